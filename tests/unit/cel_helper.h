/* Shared by the cel_*_test.c files: compile and evaluate an expression and get one line back
 * (the result as a CEL literal, "error: MESSAGE" for an evaluation error, "compile L:C:
 * MESSAGE" for a parse or check error), so tests read as tables of expression and result. */
#ifndef PS_TESTS_UNIT_CEL_HELPER_H
#define PS_TESTS_UNIT_CEL_HELPER_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cel/cel.h"

static char cel_out[16384];

__attribute__((unused)) static const char *cel_run_env(struct ps_cel_env *env, const char *expr, unsigned flags,
                               const struct ps_cel_activation *act,
                               const struct ps_cel_eval_options *eo)
{
    struct ps_cel_program *p = NULL;
    struct ps_cel_diag d;
    struct ps_arena *a = ps_arena_new(64u << 20);
    cr_assert_not_null(a);
    if (ps_cel_compile(env, ps_str_from_cstr(expr), flags, &p, &d) != PS_OK) {
        snprintf(cel_out, sizeof cel_out, "compile %u:%u: %s", d.line, d.column, d.message);
    } else {
        struct ps_cel_value v;
        if (ps_cel_eval(p, act, a, eo, &v, &d) != PS_OK) {
            snprintf(cel_out, sizeof cel_out, "error: %s", d.message);
        } else {
            char *s = ps_cel_format_literal(a, v);
            snprintf(cel_out, sizeof cel_out, "%s", s ? s : "(unprintable)");
        }
    }
    ps_cel_program_free(p);
    ps_arena_free(a);
    return cel_out;
}

__attribute__((unused)) static const char *cel_run_flags(const char *expr, unsigned flags)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    cr_assert_not_null(env);
    const char *r = cel_run_env(env, expr, flags, NULL, NULL);
    ps_cel_env_free(env);
    return r;
}

__attribute__((unused)) static const char *cel_run(const char *expr)
{
    return cel_run_flags(expr, 0);
}

/* The result must be exactly want. */
#define EXPECT(expr, want)                                                                     \
    do {                                                                                       \
        const char *got_ = cel_run(expr);                                                      \
        cr_expect(strcmp(got_, (want)) == 0, "expr: %s\n got: %s\nwant: %s", (expr), got_,    \
                  (want));                                                                     \
    } while (0)
/* The result must start with prefix ("error: division", "compile 1:5"). */
#define EXPECT_PREFIX(expr, prefix)                                                            \
    do {                                                                                       \
        const char *got_ = cel_run(expr);                                                      \
        cr_expect(strncmp(got_, (prefix), strlen(prefix)) == 0, "expr: %s\n got: %s\nwant: %s...", \
                  (expr), got_, (prefix));                                                     \
    } while (0)

#endif
