/* A stand-in for Criterion's <criterion/criterion.h>, used only by the ThreadSanitizer build
 * (meson -Dtsan=true): Criterion 2.4 cannot start under TSan (its BoxFort arena must be mapped
 * at a random fixed address between 0x2000_0000_0000 and 0x7f00_0000_0000, which TSan's
 * 48-bit layout reserves for shadow memory: "Could not initialize inheritable arena",
 * Snaipe/Criterion issue 274). It offers what tests/unit uses: Test, TestSuite (.init, .fini,
 * .timeout, .disabled, .signal, .exit_code), ParameterizedTest (all parameters in one test), the cr_assert and cr_expect families, cr_skip_test and cr_log_*;
 * runner.c runs each test in its own child process, as Criterion does, and prints Criterion's
 * closing "Synthesis" line. docs/testing.md says when to use which. */
#ifndef PS_TSAN_CRITERION_SHIM_H
#define PS_TSAN_CRITERION_SHIM_H
/* as Criterion's own header is: the comparisons its macros expand to are the test's business */
#pragma GCC system_header

#include <stdbool.h>
#include <string.h>

struct shim_extra {
    void (*init)(void);
    void (*fini)(void);
    double timeout; /* seconds; 0: none */
    bool disabled;
    const char *description;
    int signal;    /* the test passes when it dies of this signal */
    int exit_code; /* the test passes when it exits with this code */
};

struct shim_test {
    const char *suite, *name;
    void (*fn)(void);
    struct shim_extra x;
    struct shim_test *next;
};

struct shim_suite {
    const char *name;
    struct shim_extra x;
    struct shim_suite *next;
};

void shim_register_test(struct shim_test *t);
void shim_register_suite(struct shim_suite *s);
/* A failed assertion: prints where and why, then ends the test (its .fini still runs). */
_Noreturn void shim_assert_fail(const char *file, int line, const char *expr, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));
/* A failed expectation: printed, the test goes on and fails at its end. */
void shim_expect_fail(const char *file, int line, const char *expr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
_Noreturn void shim_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define SHIM_CAT_(a, b) a##b
#define SHIM_ID(a, b, c) a##b##_##c

#define Test(s, n, ...)                                                                       \
    static void SHIM_ID(shim_fn_, s, n)(void);                                                \
    static struct shim_test SHIM_ID(shim_t_, s, n) = {#s, #n, SHIM_ID(shim_fn_, s, n),        \
                                                      {__VA_ARGS__}, NULL};                   \
    __attribute__((constructor)) static void SHIM_ID(shim_reg_, s, n)(void)                   \
    {                                                                                         \
        shim_register_test(&SHIM_ID(shim_t_, s, n));                                          \
    }                                                                                         \
    static void SHIM_ID(shim_fn_, s, n)(void)

/* Parameterized tests run every parameter in one test (Criterion makes one test of each). */
struct shim_params {
    void *base;
    size_t count, size;
};
#define cr_make_param_array(type, arr, len) ((struct shim_params){(arr), (len), sizeof(type)})
#define ParameterizedTestParameters(s, n) static struct shim_params SHIM_ID(shim_pp_, s, n)(void)
#define ParameterizedTest(decl, s, n, ...)                                                    \
    static void SHIM_ID(shim_pfn_, s, n)(decl);                                               \
    Test(s, n, __VA_ARGS__)                                                                   \
    {                                                                                         \
        struct shim_params shim_p_ = SHIM_ID(shim_pp_, s, n)();                               \
        for (size_t shim_i_ = 0; shim_i_ < shim_p_.count; shim_i_++)                          \
            SHIM_ID(shim_pfn_, s, n)((void *)((char *)shim_p_.base + shim_i_ * shim_p_.size)); \
    }                                                                                         \
    static void SHIM_ID(shim_pfn_, s, n)(decl)

#define TestSuite(s, ...)                                                                     \
    static struct shim_suite SHIM_CAT_(shim_s_, s) = {#s, {__VA_ARGS__}, NULL};               \
    __attribute__((constructor)) static void SHIM_CAT_(shim_sreg_, s)(void)                   \
    {                                                                                         \
        shim_register_suite(&SHIM_CAT_(shim_s_, s));                                          \
    }

/* The message arguments are optional and start with a string literal, as with Criterion. */
#define SHIM_CHECK(fail, cond, expr, ...)                                                     \
    do {                                                                                      \
        if (!(cond))                                                                          \
            fail(__FILE__, __LINE__, expr, " " __VA_ARGS__);                                  \
    } while (0)

/* clang-format off */
/* Every comparison both as cr_assert_* (ends the test) and cr_expect_* (goes on). */
#define cr_assert(c, ...) SHIM_CHECK(shim_assert_fail, (c), #c, __VA_ARGS__)
#define cr_assert_not(c, ...) SHIM_CHECK(shim_assert_fail, !(c), "!(" #c ")", __VA_ARGS__)
#define cr_assert_eq(a, b, ...) SHIM_CHECK(shim_assert_fail, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) SHIM_CHECK(shim_assert_fail, (a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...) SHIM_CHECK(shim_assert_fail, (a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) SHIM_CHECK(shim_assert_fail, (a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...) SHIM_CHECK(shim_assert_fail, (a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) SHIM_CHECK(shim_assert_fail, (a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_assert_null(a, ...) SHIM_CHECK(shim_assert_fail, (a) == NULL, #a " == NULL", __VA_ARGS__)
#define cr_assert_not_null(a, ...) SHIM_CHECK(shim_assert_fail, (a) != NULL, #a " != NULL", __VA_ARGS__)
#define cr_assert_str_eq(a, b, ...) SHIM_CHECK(shim_assert_fail, strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_assert_str_neq(a, b, ...) SHIM_CHECK(shim_assert_fail, strcmp((a), (b)) != 0, #a " differs from " #b, __VA_ARGS__)
#define cr_assert_str_empty(a, ...) SHIM_CHECK(shim_assert_fail, (a)[0] == 0, #a " is empty", __VA_ARGS__)
#define cr_assert_str_not_empty(a, ...) SHIM_CHECK(shim_assert_fail, (a)[0] != 0, #a " is not empty", __VA_ARGS__)
#define cr_assert_arr_eq(a, b, n, ...) SHIM_CHECK(shim_assert_fail, memcmp((a), (b), (n)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_assert_arr_neq(a, b, n, ...) SHIM_CHECK(shim_assert_fail, memcmp((a), (b), (n)) != 0, #a " differs from " #b, __VA_ARGS__)
#define cr_expect(c, ...) SHIM_CHECK(shim_expect_fail, (c), #c, __VA_ARGS__)
#define cr_expect_not(c, ...) SHIM_CHECK(shim_expect_fail, !(c), "!(" #c ")", __VA_ARGS__)
#define cr_expect_eq(a, b, ...) SHIM_CHECK(shim_expect_fail, (a) == (b), #a " == " #b, __VA_ARGS__)
#define cr_expect_neq(a, b, ...) SHIM_CHECK(shim_expect_fail, (a) != (b), #a " != " #b, __VA_ARGS__)
#define cr_expect_lt(a, b, ...) SHIM_CHECK(shim_expect_fail, (a) < (b), #a " < " #b, __VA_ARGS__)
#define cr_expect_leq(a, b, ...) SHIM_CHECK(shim_expect_fail, (a) <= (b), #a " <= " #b, __VA_ARGS__)
#define cr_expect_gt(a, b, ...) SHIM_CHECK(shim_expect_fail, (a) > (b), #a " > " #b, __VA_ARGS__)
#define cr_expect_geq(a, b, ...) SHIM_CHECK(shim_expect_fail, (a) >= (b), #a " >= " #b, __VA_ARGS__)
#define cr_expect_null(a, ...) SHIM_CHECK(shim_expect_fail, (a) == NULL, #a " == NULL", __VA_ARGS__)
#define cr_expect_not_null(a, ...) SHIM_CHECK(shim_expect_fail, (a) != NULL, #a " != NULL", __VA_ARGS__)
#define cr_expect_str_eq(a, b, ...) SHIM_CHECK(shim_expect_fail, strcmp((a), (b)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_expect_str_neq(a, b, ...) SHIM_CHECK(shim_expect_fail, strcmp((a), (b)) != 0, #a " differs from " #b, __VA_ARGS__)
#define cr_expect_str_empty(a, ...) SHIM_CHECK(shim_expect_fail, (a)[0] == 0, #a " is empty", __VA_ARGS__)
#define cr_expect_str_not_empty(a, ...) SHIM_CHECK(shim_expect_fail, (a)[0] != 0, #a " is not empty", __VA_ARGS__)
#define cr_expect_arr_eq(a, b, n, ...) SHIM_CHECK(shim_expect_fail, memcmp((a), (b), (n)) == 0, #a " equals " #b, __VA_ARGS__)
#define cr_expect_arr_neq(a, b, n, ...) SHIM_CHECK(shim_expect_fail, memcmp((a), (b), (n)) != 0, #a " differs from " #b, __VA_ARGS__)
/* clang-format on */
#define cr_assert_fail(...) shim_assert_fail(__FILE__, __LINE__, "cr_assert_fail", " " __VA_ARGS__)
#define cr_expect_fail(...) shim_expect_fail(__FILE__, __LINE__, "cr_expect_fail", " " __VA_ARGS__)
#define cr_skip_test(...) shim_skip(" " __VA_ARGS__)
#define cr_log_info(...) shim_log(__VA_ARGS__)
#define cr_log_warn(...) shim_log(__VA_ARGS__)
#define cr_log_error(...) shim_log(__VA_ARGS__)

#endif
