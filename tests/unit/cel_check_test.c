/* The CEL environment and type checker: declared variables with parameterised types,
 * overload resolution, type errors located at line and column, name resolution (containers,
 * qualified names, comprehension variables), and host functions declared by the embedder
 * (global, receiver, namespaced, variadic, pure), which the evaluator runs like any other. */
#include "cel_helper.h"

static struct ps_cel_env *env_with(const char *const *decls)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    cr_assert_not_null(env);
    struct ps_cel_diag d;
    for (size_t i = 0; decls && decls[i]; i += 2)
        cr_assert_eq(ps_cel_env_declare_var(env, decls[i], decls[i + 1], NULL, &d), PS_OK,
                     "%s: %s", decls[i], d.message);
    return env;
}

/* Checked type of expr in env, as text. */
static const char *type_of(struct ps_cel_env *env, const char *expr)
{
    static char buf[512];
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    if (ps_cel_compile(env, ps_str_from_cstr(expr), 0, &p, &d) != PS_OK) {
        snprintf(buf, sizeof buf, "compile %u:%u: %s", d.line, d.column, d.message);
        return buf;
    }
    struct ps_arena *a = ps_arena_new(1 << 20);
    char *t = ps_cel_type_format(a, ps_cel_program_type(p));
    snprintf(buf, sizeof buf, "%s", t ? t : "?");
    ps_arena_free(a);
    ps_cel_program_free(p);
    return buf;
}

static const char *const vars[] = {"i", "int", "s", "string", "l", "list(int)", "m",
                                   "map(string, dyn)", "ts", "google.protobuf.Timestamp",
                                   "o", "optional_type(string)", "ll", "list(list(string))",
                                   NULL};

Test(cel_check, inferred_types)
{
    struct ps_cel_env *env = env_with(vars);
    static const char *const cases[][2] = {
        {"1 + 2", "int"},
        {"[1, 2].map(x, x * 2)", "list(int)"},
        {"{'a': [1]}", "map(string, list(int))"},
        {"[1, 'a']", "list(dyn)"},
        {"[]", "list(dyn)"},
        {"l[0]", "int"},
        {"m.a", "dyn"},
        {"m.?a", "optional_type(dyn)"},
        {"o.orValue('x')", "string"},
        {"ll.map(x, x.size())", "list(int)"},
        {"ll.filter(x, x.size() > 1)", "list(list(string))"},
        {"{'a': 1}.transformMap(k, v, double(v) * 2.0)", "map(string, double)"},
        {"type(1)", "type(int)"},
        {"ts - ts", "duration"},
        {"ts.getFullYear('Europe/Kyiv')", "int"},
        {"dyn(1)", "dyn"},
        {"i == 1 ? 'a' : s", "string"},
        {"cel.bind(x, [s], x + x)", "list(string)"},
        {"optional.none()", "optional_type(dyn)"},
        {"[optional.of(1)].map(x, x.value())", "list(int)"},
        {"'%d'.format([i])", "string"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        cr_expect_str_eq(type_of(env, cases[k][0]), cases[k][1], "%s", cases[k][0]);
    ps_cel_env_free(env);
}

Test(cel_check, type_errors_are_located)
{
    struct ps_cel_env *env = env_with(vars);
    static const char *const cases[][2] = {
        {"s + 1", "compile 1:3: found no matching overload for '_+_' applied to '(string, int)'"},
        {"1 == 1.0", "compile 1:3: found no matching overload for '_==_' applied to "
                     "'(int, double)'"},
        {"l[0] + s", "compile 1:6: found no matching overload for '_+_' applied to "
                     "'(int, string)'"},
        {"i &&\n  true", "compile 1:1: expected bool, found 'int'"},
        {"true ? 1 : 'a'", "compile 1:6: found no matching overload for '_?_:_' applied to "
                           "'(bool, int, string)'"},
        {"{3.5: 1}", "compile 1:2: unsupported map key type 'double'"},
        {"i.x", "compile 1:2: type 'int' does not support field selection"},
        {"l.all(x, x)", "compile 1:10: expected bool, found 'int'"},
        {"size(1)", "compile 1:1: found no matching overload for 'size' applied to '(int)'"},
        {"nope + 1", "compile 1:1: undeclared reference to 'nope'"},
        {"s.nope()", "compile 1:2: undeclared reference to 'nope'"},
        {"i.all(x, true)", "compile 1:1: expression of type 'int' cannot be the range of a "
                           "comprehension (must be list, map, or dynamic)"},
        {"l['a']", "compile 1:2: found no matching overload for '_[_]' applied to "
                   "'(list(int), string)'"},
        {"[1].map(x, x) + ['a']", "compile 1:15: found no matching overload for '_+_' "
                                  "applied to '(list(int), list(string))'"},
        {"o.value() + 1", "compile 1:11: found no matching overload for '_+_' applied to "
                          "'(string, int)'"},
        {"ts + ts", "compile 1:4: found no matching overload for '_+_' applied to "
                    "'(timestamp, timestamp)'"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++)
        cr_expect_str_eq(type_of(env, cases[k][0]), cases[k][1], "%s", cases[k][0]);
    ps_cel_env_free(env);
}

Test(cel_check, unchecked_programs_dispatch_at_runtime)
{
    cr_expect_str_eq(cel_run_flags("1 == 1.0", PS_CEL_NO_CHECK), "true");
    cr_expect_str_eq(cel_run_flags("true ? 'a' : 1", PS_CEL_NO_CHECK), "\"a\"");
    cr_expect_str_eq(cel_run_flags("'a' + 1", PS_CEL_NO_CHECK), "error: no such overload: _+_");
    cr_expect_str_eq(cel_run_flags("x", PS_CEL_NO_CHECK),
                     "error: undeclared reference to 'x' (in container '')");
    cr_expect_str_eq(cel_run_flags("f(1) || true", PS_CEL_NO_CHECK), "true");
    cr_expect_str_eq(cel_run_flags("f(1)", PS_CEL_NO_CHECK), "error: unbound function 'f'");
}

Test(cel_check, declarations)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_diag d;
    uint32_t slot;
    cr_expect_eq(ps_cel_env_declare_var(env, "a", "map(string, list(int))", &slot, &d), PS_OK);
    cr_expect_eq(slot, 0);
    cr_expect_eq(ps_cel_env_declare_var(env, "a.b", "int", &slot, &d), PS_OK);
    cr_expect_eq(slot, 1);
    cr_expect_eq(ps_cel_env_declare_var(env, "a", "int", NULL, &d), PS_ERR_EXISTS);
    cr_expect_eq(ps_cel_env_declare_var(env, "1x", "int", NULL, &d), PS_ERR_INVALID);
    cr_expect_eq(ps_cel_env_declare_var(env, "a..b", "int", NULL, &d), PS_ERR_INVALID);
    cr_expect_eq(ps_cel_env_declare_var(env, "z", "list(int", NULL, &d), PS_ERR_INVALID);
    cr_expect_eq(ps_cel_env_declare_var(env, "z", "widget", NULL, &d), PS_ERR_INVALID);
    cr_expect(strstr(d.message, "unknown type 'widget'"), "%s", d.message);
    cr_expect_eq(ps_cel_env_declare_var(env, "z", "list(A)", NULL, &d), PS_ERR_INVALID);
    cr_expect(ps_cel_env_var_slot(env, "a.b", &slot) && slot == 1);
    cr_expect(!ps_cel_env_var_slot(env, "q", &slot));
    cr_expect_eq(ps_cel_env_var_count(env), 2);
    ps_cel_env_free(env);
}

Test(cel_check, names_resolve_longest_first_and_in_containers)
{
    struct ps_cel_env_options o = {.container = "gov.ua"};
    struct ps_cel_env *env = ps_cel_env_new(&o);
    struct ps_cel_diag d;
    uint32_t s0, s1, s2, s3;
    cr_assert_eq(ps_cel_env_declare_var(env, "gov.ua.limit", "int", &s0, &d), PS_OK);
    cr_assert_eq(ps_cel_env_declare_var(env, "limit", "string", &s1, &d), PS_OK);
    cr_assert_eq(ps_cel_env_declare_var(env, "a.b", "map(string, int)", &s2, &d), PS_OK);
    cr_assert_eq(ps_cel_env_declare_var(env, "a.b.c", "int", &s3, &d), PS_OK);
    struct ps_cel_value vals[4];
    struct ps_cel_value keys[1] = {ps_cel_string(PS_STR("c"))}, mv[1] = {ps_cel_int(7)};
    struct ps_arena *a = ps_arena_new(1 << 20);
    vals[s0] = ps_cel_int(100);
    vals[s1] = ps_cel_string(PS_STR("root"));
    cr_assert_eq(ps_cel_map_new(a, keys, mv, 1, &vals[s2], &d), PS_OK);
    vals[s3] = ps_cel_int(9);
    struct ps_cel_activation act = {vals, 4};
    cr_expect_str_eq(cel_run_env(env, "limit", 0, &act, NULL), "100");
    cr_expect_str_eq(cel_run_env(env, ".limit", 0, &act, NULL), "\"root\"");
    cr_expect_str_eq(cel_run_env(env, "a.b.c", 0, &act, NULL), "9");
    cr_expect_str_eq(cel_run_env(env, "a.b['c']", 0, &act, NULL), "7");
    cr_expect_str_eq(cel_run_env(env, "[1].exists(limit, limit == 1)", 0, &act, NULL), "true");
    cr_expect_str_eq(cel_run_env(env, "[1].exists(limit, .limit == 'root')", 0, &act, NULL),
                     "true");
    cr_expect_str_eq(cel_run_env(env, "[{'b': {'c': 5}}].all(a, a.b.c == 5)", 0, &act, NULL),
                     "true");
    cr_expect_str_eq(cel_run_env(env, "int == type(1) && google.protobuf.Duration == "
                                      "type(duration('1s'))", 0, &act, NULL), "true");
    ps_arena_free(a);
    ps_cel_env_free(env);
}

Test(cel_check, unbound_variable_is_an_evaluation_error)
{
    struct ps_cel_env *env = env_with(vars);
    cr_expect_str_eq(cel_run_env(env, "i + 1", 0, NULL, NULL),
                     "error: no value for variable 'i'");
    cr_expect_str_eq(cel_run_env(env, "i > 0 || true", 0, NULL, NULL), "true");
    ps_cel_env_free(env);
}

/* ---- host functions ---------------------------------------------------------------------------- */

static int calls;

static struct ps_cel_value age(const struct ps_cel_call *c, const struct ps_cel_value *a)
{
    calls++;
    int64_t years = (a[1].v.i - a[0].v.i) / (365 * 86400 + 86400 / 4);
    return ps_cel_int(years + *(int *)ps_cel_call_udata(c));
}

static struct ps_cel_value shout(const struct ps_cel_call *c, const struct ps_cel_value *a)
{
    calls++;
    char *p = ps_arena_alloc(ps_cel_call_arena(c), a[0].n + 1);
    if (!p)
        return ps_cel_call_fail(c, PS_ERR_LIMIT, "out of memory");
    for (uint32_t i = 0; i < a[0].n; i++)
        p[i] = (char)(a[0].v.s[i] >= 'a' && a[0].v.s[i] <= 'z' ? a[0].v.s[i] - 32 : a[0].v.s[i]);
    p[a[0].n] = '!';
    return ps_cel_string((struct ps_str){p, a[0].n + 1});
}

static struct ps_cel_value sum(const struct ps_cel_call *c, const struct ps_cel_value *a)
{
    /* variadic: the host knows the count only from its own contract; here the first
     * argument says how many follow */
    int64_t s = 0;
    for (int64_t i = 1; i <= a[0].v.i; i++)
        s += a[i].v.i;
    (void)c;
    return ps_cel_int(s);
}

static struct ps_cel_value person(const struct ps_cel_call *c, const struct ps_cel_value *a)
{
    if (ps_str_eq_cstr(ps_cel_str(a[0]), "down"))
        return ps_cel_call_fail(c, PS_ERR_UNAVAILABLE, "registry unavailable");
    if (!ps_str_eq_cstr(ps_cel_str(a[0]), "3000000001"))
        return ps_cel_call_error(c, "no person %.*s", PS_STR_FMT(ps_cel_str(a[0])));
    struct ps_arena *ar = ps_cel_call_arena(c);
    struct ps_cel_value *k = ps_arena_array(ar, 2, sizeof *k), *v = ps_arena_array(ar, 2, sizeof *v);
    k[0] = ps_cel_string(PS_STR("name"));
    v[0] = ps_cel_string(PS_STR("Olena"));
    k[1] = ps_cel_string(PS_STR("host"));
    v[1] = ps_cel_bool(ps_cel_call_host(c) != NULL);
    struct ps_cel_value m;
    struct ps_cel_diag d;
    if (ps_cel_map_new(ar, k, v, 2, &m, &d) != PS_OK)
        return ps_cel_call_fail(c, PS_ERR_LIMIT, "%s", d.message);
    return m;
}

static struct ps_cel_env *host_env(int *bonus)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_diag d;
    const struct ps_cel_fn_decl decls[] = {
        {"age", "age_timestamp_timestamp", "(timestamp, timestamp) -> int", 0, age, bonus},
        {"shout", "string_shout", "(string) -> string", PS_CEL_FN_RECEIVER, shout, NULL},
        {"sum", "sum_int", "(int, int) -> int", PS_CEL_FN_VARIADIC, sum, NULL},
        {"registry.person", "registry_person_string", "(string) -> map(string, dyn)", 0,
         person, NULL},
        {"pureShout", "pure_shout", "(string) -> string", PS_CEL_FN_PURE, shout, NULL},
    };
    for (size_t i = 0; i < sizeof decls / sizeof decls[0]; i++)
        cr_assert_eq(ps_cel_env_declare_fn(env, &decls[i], &d), PS_OK, "%s", d.message);
    return env;
}

Test(cel_check, host_functions)
{
    int bonus = 0;
    struct ps_cel_env *env = host_env(&bonus);
    calls = 0;
    cr_expect_str_eq(cel_run_env(env, "age(timestamp('1990-06-01T00:00:00Z'), "
                                      "timestamp('2026-06-02T00:00:00Z'))", 0, NULL, NULL), "36");
    bonus = 100;
    cr_expect_str_eq(cel_run_env(env, "age(timestamp('1990-06-01T00:00:00Z'), "
                                      "timestamp('2026-06-02T00:00:00Z')) > 100", 0, NULL, NULL),
                     "true");
    cr_expect_str_eq(cel_run_env(env, "'hi'.shout()", 0, NULL, NULL), "\"HI!\"");
    cr_expect_str_eq(cel_run_env(env, "sum(3, 1, 2, 3)", 0, NULL, NULL), "6");
    cr_expect_str_eq(cel_run_env(env, "registry.person('3000000001').name", 0, NULL, NULL),
                     "\"Olena\"");
    cr_expect_str_eq(cel_run_env(env, "registry.person('1').name", 0, NULL, NULL),
                     "error: no person 1");
    cr_expect_str_eq(cel_run_env(env, "registry.person('1').name == 'x' || true", 0, NULL,
                                 NULL), "true");
    cr_expect_str_eq(cel_run_env(env, "age(1, 2)", 0, NULL, NULL),
                     "compile 1:1: found no matching overload for 'age' applied to '(int, int)'");
    cr_expect_str_eq(cel_run_env(env, "shout('x')", 0, NULL, NULL),
                     "compile 1:1: found no matching overload for 'shout' applied to '(string)'");
    ps_cel_env_free(env);
}

Test(cel_check, host_failure_stops_the_evaluation)
{
    struct ps_cel_env *env = host_env(&(int){0});
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("registry.person('down').name == 'x' || "
                                                      "true"), 0, &p, &d), PS_OK);
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_value v;
    int host_ctx = 1;
    struct ps_cel_eval_options o = {.host = &host_ctx};
    cr_expect_eq(ps_cel_eval(p, NULL, a, &o, &v, &d), PS_ERR_UNAVAILABLE,
                 "a host failure is never absorbed by ||");
    cr_expect_str_eq(d.message, "registry unavailable");
    cr_expect_eq(d.column, 1, "located at the function's qualified name");
    ps_cel_program_free(p);
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("registry.person('3000000001').host"), 0,
                                &p, &d), PS_OK);
    cr_assert_eq(ps_cel_eval(p, NULL, a, &o, &v, &d), PS_OK);
    cr_expect(v.kind == PS_CEL_BOOL && v.v.b, "the host context reaches the function");
    ps_cel_program_free(p);
    ps_arena_free(a);
    ps_cel_env_free(env);
}

Test(cel_check, pure_functions_fold_at_compile_time)
{
    struct ps_cel_env *env = host_env(&(int){0});
    struct ps_cel_diag d;
    struct ps_cel_program *p;
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_value v;
    calls = 0;
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("pureShout('a')"), 0, &p, &d), PS_OK);
    cr_expect_eq(calls, 1, "folded once at compile time");
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ps_cel_eval(p, NULL, a, NULL, &v, &d), PS_OK);
    cr_expect_eq(calls, 1, "never called again");
    ps_cel_program_free(p);
    calls = 0;
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("'a'.shout()"), 0, &p, &d), PS_OK);
    for (int i = 0; i < 3; i++)
        cr_assert_eq(ps_cel_eval(p, NULL, a, NULL, &v, &d), PS_OK);
    cr_expect_eq(calls, 3, "impure functions run at every evaluation");
    ps_cel_program_free(p);
    ps_arena_free(a);
    ps_cel_env_free(env);
}

Test(cel_check, bad_function_declarations)
{
    struct ps_cel_env *env = host_env(&(int){0});
    struct ps_cel_diag d;
    struct ps_cel_fn_decl dup = {"age", "age_timestamp_timestamp", "(int) -> int", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &dup, &d), PS_ERR_EXISTS);
    struct ps_cel_fn_decl overlap = {"age", "age2", "(timestamp, dyn) -> int", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &overlap, &d), PS_ERR_EXISTS);
    cr_expect(strstr(d.message, "overlaps"), "%s", d.message);
    struct ps_cel_fn_decl size_dyn = {"size", "size_dyn", "(dyn) -> int", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &size_dyn, &d), PS_ERR_EXISTS,
                 "host overloads may not overlap the standard library's");
    struct ps_cel_fn_decl other = {"age", "age_int", "(int) -> int", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &other, &d), PS_OK);
    struct ps_cel_fn_decl bad_sig = {"f", "f1", "(int -> int", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &bad_sig, &d), PS_ERR_INVALID);
    struct ps_cel_fn_decl no_result = {"f", "f2", "(int)", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &no_result, &d), PS_ERR_INVALID);
    struct ps_cel_fn_decl bad_name = {"_+_", "f3", "(int) -> int", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &bad_name, &d), PS_ERR_INVALID);
    struct ps_cel_fn_decl no_impl = {"f", "f4", "(int) -> int", 0, NULL, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &no_impl, &d), PS_ERR_INVALID);
    struct ps_cel_fn_decl recv0 = {"f", "f5", "() -> int", PS_CEL_FN_RECEIVER, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &recv0, &d), PS_ERR_INVALID);
    struct ps_cel_fn_decl generic = {"first", "first_list", "(list(T)) -> T", 0, age, NULL};
    cr_expect_eq(ps_cel_env_declare_fn(env, &generic, &d), PS_OK);
    cr_expect_str_eq(type_of(env, "first(['a']) + 'b'"), "string");
    ps_cel_env_free(env);
}
