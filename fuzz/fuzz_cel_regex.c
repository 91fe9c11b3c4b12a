/* Fuzz target: matches() with a constant pattern (checked at compile time, answered by the DFA
 * of src/cel/regex_dfa.c when the pattern is in its subset, by PCRE2 otherwise) against the
 * same pattern given at runtime (always PCRE2): both must give the same answer, or the same
 * error. The first byte is the pattern's length, the pattern follows, the rest is the subject
 * (both must be UTF-8). Differences in PCRE2's own limits (the JIT and the interpreter count
 * differently, the DFA has none) are not compared. */
#include <string.h>

#include "cel/cel.h"
#include "fuzz.h"

static struct ps_cel_env *env;
static struct ps_cel_program *runtime; /* s.matches(p) */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct ps_cel_diag d;
    env = ps_cel_env_new(NULL);
    FUZZ_CHECK(env);
    FUZZ_CHECK(ps_cel_env_declare_var(env, "s", "string", NULL, &d) == PS_OK);
    FUZZ_CHECK(ps_cel_env_declare_var(env, "p", "string", NULL, &d) == PS_OK);
    FUZZ_CHECK(ps_cel_compile(env, ps_str_from_cstr("s.matches(p)"), 0, &runtime, &d) == PS_OK);
    return 0;
}

/* "s.matches(<pattern as a CEL literal>)" compiled, or NULL with *e the compile error. */
static struct ps_cel_program *constant(struct ps_arena *a, struct ps_cel_value pattern,
                                       enum ps_err *e)
{
    char *lit = ps_cel_format_literal(a, pattern);
    char *src = lit ? ps_arena_printf(a, "s.matches(%s)", lit) : NULL;
    FUZZ_CHECK(src);
    struct ps_cel_program *p = NULL;
    struct ps_cel_diag d;
    *e = ps_cel_compile(env, ps_str_from_cstr(src), 0, &p, &d);
    return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!env)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1)
        return 0;
    size_t plen = data[0] < size - 1 ? data[0] : size - 1;
    struct ps_cel_value vals[2];
    if (ps_cel_string_checked((struct ps_str){(const char *)data + 1 + plen,
                                              size - 1 - plen}, &vals[0]) != PS_OK ||
        ps_cel_string_checked((struct ps_str){(const char *)data + 1, plen}, &vals[1]) != PS_OK)
        return 0;
    struct ps_arena *a = ps_arena_new(8u << 20);
    FUZZ_CHECK(a);
    struct ps_cel_activation act = {vals, 2};
    struct ps_cel_eval_options o = {.regex_match_limit = 20000};
    struct ps_cel_diag d;
    struct ps_cel_value rv, cv;
    enum ps_err re = ps_cel_eval(runtime, &act, a, &o, &rv, &d), ce;
    struct ps_cel_program *p = constant(a, vals[1], &ce);
    if (!p) { /* refused at compile time: refused at runtime too */
        FUZZ_CHECK(ce == PS_ERR_INVALID && re == PS_ERR_INVALID);
    } else {
        ce = ps_cel_eval(p, &act, a, &o, &cv, &d);
        if (ce != PS_ERR_LIMIT && re != PS_ERR_LIMIT) {
            FUZZ_CHECK(ce == re);
            FUZZ_CHECK(ce != PS_OK || (cv.kind == PS_CEL_BOOL && rv.kind == PS_CEL_BOOL &&
                                       cv.v.b == rv.v.b));
        }
        ps_cel_program_free(p);
    }
    ps_arena_free(a);
    return 0;
}
