/* Fuzz target: the CEL lexer, parser and checker (src/cel). Any input is an expression; it
 * must parse or fail with a located message, never crash. When it compiles to a constant, the
 * constant printed as a literal must compile back to an equal value (the `pocketstate expr`
 * output contract). */
#include <math.h>
#include <string.h>

#include "cel/cel.h"
#include "fuzz.h"

static struct ps_cel_env *env;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    env = ps_cel_env_new(NULL);
    struct ps_cel_diag d;
    FUZZ_CHECK(env && ps_cel_env_declare_var(env, "x", "dyn", NULL, &d) == PS_OK &&
               ps_cel_env_declare_var(env, "m", "map(string, list(int))", NULL, &d) == PS_OK);
    return 0;
}

static void roundtrip(const struct ps_cel_program *p)
{
    struct ps_cel_value v, w;
    if (!ps_cel_program_constant(p, &v) || (v.kind == PS_CEL_DOUBLE && isnan(v.v.d)))
        return;
    struct ps_arena *a = ps_arena_new(8u << 20);
    FUZZ_CHECK(a);
    char *lit = ps_cel_format_literal(a, v);
    struct ps_cel_program *q = NULL;
    struct ps_cel_diag d;
    if (lit && ps_cel_compile(env, ps_str_from_cstr(lit), 0, &q, &d) == PS_OK) {
        FUZZ_CHECK(ps_cel_eval(q, NULL, a, NULL, &w, &d) == PS_OK);
        FUZZ_CHECK(w.kind == v.kind && ps_cel_value_equal(v, w));
    } else if (lit) {
        /* only a value nested past the compile limits may fail to read back */
        FUZZ_CHECK(d.code == PS_ERR_LIMIT || strstr(d.message, "nested"));
    }
    ps_cel_program_free(q);
    ps_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!env)
        LLVMFuzzerInitialize(NULL, NULL);
    struct ps_str src = {(const char *)data, size};
    for (unsigned flags = 0; flags <= PS_CEL_NO_CHECK; flags += PS_CEL_NO_CHECK) {
        struct ps_cel_program *p = NULL;
        struct ps_cel_diag d;
        enum ps_err e = ps_cel_compile(env, src, flags, &p, &d);
        if (e != PS_OK) {
            FUZZ_CHECK(!p && d.code == e && d.message[0]);
            FUZZ_CHECK(e == PS_ERR_INVALID || e == PS_ERR_LIMIT);
            FUZZ_CHECK(e != PS_ERR_INVALID || d.line >= 1);
            continue;
        }
        FUZZ_CHECK(p && ps_cel_program_type(p));
        roundtrip(p);
        ps_cel_program_free(p);
    }
    return 0;
}
