/* Fuzz target: CEL parse + check + evaluate (src/cel). The first byte picks options (bit 0:
 * unchecked, bit 1: a 64 KiB arena, bit 2: a cost limit of 2000); the rest is the expression,
 * evaluated with declared variables of every kind. Evaluation must end with a value or a
 * located error within its limits: no crash, no leak, no unbounded time. */
#include <string.h>

#include "cel/cel.h"
#include "fuzz.h"

static struct ps_cel_env *env;
static struct ps_arena *vars_arena;
static struct ps_cel_value vals[8];

static void declare(const char *name, const char *type, struct ps_cel_value v)
{
    uint32_t slot;
    struct ps_cel_diag d;
    FUZZ_CHECK(ps_cel_env_declare_var(env, name, type, &slot, &d) == PS_OK && slot < 8);
    vals[slot] = v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    env = ps_cel_env_new(NULL);
    vars_arena = ps_arena_new(1 << 20);
    FUZZ_CHECK(env && vars_arena);
    static struct ps_cel_value items[3];
    items[0] = ps_cel_int(1);
    items[1] = ps_cel_int(-2);
    items[2] = ps_cel_int(3);
    struct ps_cel_value k[2] = {ps_cel_string(PS_STR("a")), ps_cel_string(PS_STR("b"))};
    struct ps_cel_value v[2] = {ps_cel_list(items, 3), ps_cel_list(items, 0)};
    struct ps_cel_value m, t;
    struct ps_cel_diag d;
    FUZZ_CHECK(ps_cel_map_new(vars_arena, k, v, 2, &m, &d) == PS_OK);
    FUZZ_CHECK(ps_cel_timestamp(1700000000, 5, &t) == PS_OK);
    declare("i", "int", ps_cel_int(42));
    declare("u", "uint", ps_cel_uint(7));
    declare("f", "double", ps_cel_double(2.5));
    declare("s", "string", ps_cel_string(PS_STR("Київ, 2024")));
    declare("b", "bytes", ps_cel_bytes("\x00\xff", 2));
    declare("l", "list(int)", ps_cel_list(items, 3));
    declare("m", "map(string, list(int))", m);
    declare("t", "timestamp", t);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!env)
        LLVMFuzzerInitialize(NULL, NULL);
    if (size < 1)
        return 0;
    unsigned opt = data[0];
    struct ps_str src = {(const char *)data + 1, size - 1};
    struct ps_cel_program *p = NULL;
    struct ps_cel_diag d;
    if (ps_cel_compile(env, src, (opt & 1) ? PS_CEL_NO_CHECK : 0, &p, &d) != PS_OK)
        return 0;
    struct ps_arena *a = ps_arena_new((opt & 2) ? (64u << 10) : (16u << 20));
    FUZZ_CHECK(a);
    struct ps_cel_activation act = {vals, 8};
    struct ps_cel_eval_options o = {.max_cost = (opt & 4) ? 2000 : 200000,
                                    .regex_match_limit = 20000};
    struct ps_cel_value out;
    enum ps_err e = ps_cel_eval(p, &act, a, &o, &out, &d);
    if (e == PS_OK) {
        FUZZ_CHECK(out.kind != PS_CEL_ERROR && out.kind != PS_CEL_UNSET);
        (void)ps_cel_format_literal(a, out);
    } else {
        FUZZ_CHECK(d.code == e && d.message[0] && (e == PS_ERR_INVALID || e == PS_ERR_LIMIT));
    }
    ps_arena_free(a);
    ps_cel_program_free(p);
    return 0;
}
