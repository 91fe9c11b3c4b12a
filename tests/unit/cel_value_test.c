/* CEL values as the host builds and reads them: maps (hash index, numeric keys across kinds,
 * repeated keys), JSON in both directions (form answers, registry records), literals that
 * parse back to equal values, and regular expressions: RE2 syntax only (refusals located),
 * PCRE2 match and depth limits against regex bombs. */
#include <math.h>

#include "cel_helper.h"

Test(cel_value, maps_built_by_the_host)
{
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_value keys[40], vals[40], m, out;
    struct ps_cel_diag d;
    char names[40][8];
    for (int i = 0; i < 40; i++) {
        snprintf(names[i], sizeof names[i], "k%d", i);
        keys[i] = ps_cel_string(ps_str_from_cstr(names[i]));
        vals[i] = ps_cel_int(i);
    }
    keys[39] = ps_cel_uint(7); /* numeric keys meet across kinds */
    cr_assert_eq(ps_cel_map_new(a, keys, vals, 40, &m, &d), PS_OK, "%s", d.message);
    cr_expect_eq(ps_cel_map_size(m.v.map), 40);
    cr_expect(ps_cel_map_get_str(m.v.map, PS_STR("k17"), &out) && out.v.i == 17);
    cr_expect(!ps_cel_map_get_str(m.v.map, PS_STR("k40"), &out));
    cr_expect(ps_cel_map_get(m.v.map, ps_cel_int(7), &out) && out.v.i == 39);
    cr_expect(ps_cel_map_get(m.v.map, ps_cel_double(7.0), &out) && out.v.i == 39);
    cr_expect(!ps_cel_map_get(m.v.map, ps_cel_double(7.5), &out));
    cr_expect(!ps_cel_map_get(m.v.map, ps_cel_bool(true), &out));
    cr_expect_eq(ps_cel_map_key(m.v.map, 3).kind, PS_CEL_STRING, "insertion order kept");
    keys[5] = ps_cel_int(7);
    cr_expect_eq(ps_cel_map_new(a, keys, vals, 40, &m, &d), PS_ERR_INVALID);
    cr_expect_str_eq(d.message, "Failed with repeated key");
    keys[5] = ps_cel_double(1.5);
    cr_expect_eq(ps_cel_map_new(a, keys, vals, 40, &m, &d), PS_ERR_INVALID);
    cr_expect_str_eq(d.message, "unsupported map key type");
    ps_arena_free(a);
}

Test(cel_value, strings_from_the_host_are_checked)
{
    struct ps_cel_value v;
    cr_expect_eq(ps_cel_string_checked(PS_STR("Київ"), &v), PS_OK);
    cr_expect_eq(v.n, 8);
    cr_expect_eq(ps_cel_string_checked(PS_STR("a\xff"), &v), PS_ERR_INVALID);
    cr_expect_eq(ps_cel_timestamp(0, 1000000000u, &v), PS_ERR_INVALID);
    cr_expect_eq(ps_cel_timestamp(253402300800LL, 0, &v), PS_ERR_INVALID);
    cr_expect_eq(ps_cel_timestamp_parse(PS_STR("2024-01-01T00:00:00Z"), &v), PS_OK);
    cr_expect_eq(v.v.i, 1704067200);
}

static const char *json_roundtrip(const char *text, unsigned flags)
{
    static char buf[1024];
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    cr_assert_not_null(j, "%s", text);
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_value v;
    struct ps_cel_diag d;
    if (ps_cel_from_json(a, j, flags, 8, &v, &d) != PS_OK) {
        snprintf(buf, sizeof buf, "error: %s", d.message);
    } else {
        char *lit = ps_cel_format_literal(a, v);
        json_t *back;
        cr_assert_eq(ps_cel_to_json(v, 0, &back, &d), PS_OK, "%s", d.message);
        char *dumped = json_dumps(back, JSON_COMPACT | JSON_PRESERVE_ORDER);
        snprintf(buf, sizeof buf, "%s | %s", lit, dumped);
        free(dumped);
        json_decref(back);
    }
    json_decref(j);
    ps_arena_free(a);
    return buf;
}

Test(cel_value, json_in_and_out)
{
    cr_expect_str_eq(json_roundtrip("{\"age\": 17, \"name\": \"Олена\", \"ok\": true, "
                                    "\"x\": null, \"l\": [1.5, \"a\"]}", 0),
                     "{\"age\": 17, \"name\": \"Олена\", \"ok\": true, \"x\": null, \"l\": "
                     "[1.5, \"a\"]} | {\"age\":17,\"name\":\"Олена\",\"ok\":true,\"x\":null,"
                     "\"l\":[1.5,\"a\"]}");
    cr_expect_str_eq(json_roundtrip("[17]", PS_CEL_JSON_NUMBERS_AS_DOUBLE), "[17.0] | [17.0]");
    cr_expect_str_eq(json_roundtrip("[[[[[[[[[1]]]]]]]]]", 0),
                     "error: JSON nested too deeply");
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_diag d;
    json_t *j;
    static const struct {
        const char *expr, *json;
    } out[] = {
        {"[9007199254740991, 9007199254740992, -9007199254740992, 18446744073709551615u]",
         "[9007199254740991,\"9007199254740992\",\"-9007199254740992\","
         "\"18446744073709551615\"]"},
        {"[b'\\x00\\xff', timestamp('2024-01-01T00:00:00.5Z'), duration('-1.5s')]",
         "[\"AP8=\",\"2024-01-01T00:00:00.5Z\",\"-1.5s\"]"},
        {"[0.0/0.0, 1.0/0.0, -1.0/0.0, optional.of(1), optional.none()]",
         "[\"NaN\",\"Infinity\",\"-Infinity\",1,null]"},
    };
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    for (size_t i = 0; i < sizeof out / sizeof out[0]; i++) {
        struct ps_cel_program *p;
        struct ps_cel_value v;
        cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr(out[i].expr), 0, &p, &d), PS_OK);
        cr_assert_eq(ps_cel_eval(p, NULL, a, NULL, &v, &d), PS_OK);
        cr_assert_eq(ps_cel_to_json(v, 0, &j, &d), PS_OK, "%s", d.message);
        char *s = json_dumps(j, JSON_COMPACT);
        cr_expect_str_eq(s, out[i].json);
        free(s);
        json_decref(j);
        ps_cel_program_free(p);
    }
    cr_expect_eq(ps_cel_to_json(ps_cel_int(1), 0, &j, &d), PS_OK);
    json_decref(j);
    struct ps_cel_value k[1] = {ps_cel_int(1)}, v[1] = {ps_cel_int(2)}, m;
    cr_assert_eq(ps_cel_map_new(a, k, v, 1, &m, &d), PS_OK);
    cr_expect_eq(ps_cel_to_json(m, 0, &j, &d), PS_ERR_INVALID);
    cr_expect_str_eq(d.message, "a map with non-string keys has no JSON form");
    struct ps_cel_value t = {.kind = PS_CEL_TYPE, .v.type = NULL};
    cr_expect_eq(ps_cel_to_json(t, 0, &j, &d), PS_ERR_INVALID);
    ps_cel_env_free(env);
    ps_arena_free(a);
}

/* ps_cel_format_literal output must parse back to an equal value of the same kind. */
Test(cel_value, literals_parse_back)
{
    static const char *const exprs[] = {
        "0", "-9223372036854775808", "18446744073709551615u", "1.0", "-0.0", "0.1",
        "1e300", "5e-324", "-2.5e+10", "123456789.125", "0.0/0.0", "1.0/0.0", "-1.0/0.0",
        "'\\x00\\x01\\x1f\\x7f\"\\'\\\\\\n\\r\\t'", "'Київ 🐱'", "b'\\x00\\xff\"\\\\abc'",
        "[1, 'a', [true, null], {}]", "{'k': {1: [2.5]}, 2u: b'', true: null}",
        "timestamp('2024-01-01T00:00:00.000000001Z')", "duration('-0.000000001s')",
        "duration('9223372036.854775807s')", "[int, google.protobuf.Timestamp, type]",
        "optional.of(optional.none())", "[optional.of([1])]", "null"};
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_arena *a = ps_arena_new(1 << 20);
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        struct ps_cel_program *p1, *p2;
        struct ps_cel_value v1, v2;
        struct ps_cel_diag d;
        cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr(exprs[i]), 0, &p1, &d), PS_OK, "%s",
                     exprs[i]);
        cr_assert_eq(ps_cel_eval(p1, NULL, a, NULL, &v1, &d), PS_OK);
        char *lit = ps_cel_format_literal(a, v1);
        cr_assert_not_null(lit);
        cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr(lit), 0, &p2, &d), PS_OK,
                     "%s printed as %s: %s", exprs[i], lit, d.message);
        cr_assert_eq(ps_cel_eval(p2, NULL, a, NULL, &v2, &d), PS_OK);
        bool nan = v1.kind == PS_CEL_DOUBLE && isnan(v1.v.d);
        cr_expect(v1.kind == v2.kind && (nan ? isnan(v2.v.d) : ps_cel_value_equal(v1, v2)),
                  "%s printed as %s does not read back equal", exprs[i], lit);
        if (v1.kind == PS_CEL_DOUBLE && !nan)
            cr_expect_eq(signbit(v1.v.d), signbit(v2.v.d), "%s", lit);
        if (v1.kind == PS_CEL_DOUBLE)
            cr_expect(strpbrk(lit, ".e") || strstr(lit, "double("), "%s has no '.'", lit);
        ps_cel_program_free(p1);
        ps_cel_program_free(p2);
    }
    ps_arena_free(a);
    ps_cel_env_free(env);
}

/* ---- regular expressions ----------------------------------------------------------------------- */

Test(cel_value, re2_syntax_is_enforced_with_a_location)
{
    static const char *const refused[][2] = {
        {"'x'.matches('(a)\\\\1')", "backreferences are not supported"},
        {"'x'.matches('(?P<n>a)(?P=n)')", "backreferences and recursion are not supported"},
        {"'x'.matches('a(?=b)')", "lookahead is not supported"},
        {"'x'.matches('a(?!b)')", "lookahead is not supported"},
        {"'x'.matches('(?<=a)b')", "lookbehind is not supported"},
        {"'x'.matches('(?<!a)b')", "lookbehind is not supported"},
        {"'x'.matches('(?>a+)b')", "atomic groups are not supported"},
        {"'x'.matches('a*+b')", "possessive quantifiers are not supported"},
        {"'x'.matches('a{2}+')", "possessive quantifiers are not supported"},
        {"'x'.matches('(a|(?R))')", "this group construct is not supported"},
        {"'x'.matches('(?(1)a|b)')", "this group construct is not supported"},
        {"'x'.matches('(*FAIL)')", "(*...) verbs are not supported"},
        {"'x'.matches('\\\\Ca')", "\\C is not supported"},
        {"'x'.matches('a\\\\Z')", "escape sequence not supported"},
        {"'x'.matches('\\\\k<n>')", "backreferences are not supported"},
        {"'x'.matches('a{1001}')", "repeat count exceeds 1000"},
        {"'x'.matches('(?x)a b')", "unknown or unsupported flag"},
        {"'x'.matches('[a')", "missing closing ]"},
        {"'x'.matches('(a')", "missing closing parenthesis"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        const char *got = cel_run(refused[i][0]);
        cr_expect(strncmp(got, "compile 1:13: invalid regular expression", 40) == 0 &&
                      strstr(got, refused[i][1]),
                  "%s: %s", refused[i][0], got);
    }
    EXPECT("'aAb'.matches('(?i)^a+b$') && 'x'.matches('(?P<n>x)') && 'é'.matches('^\\\\pL$')",
           "true");
    EXPECT("'a+b'.matches('\\\\Qa+b\\\\E') && 'ab1'.matches('[[:alpha:]]+\\\\d')", "true");
    EXPECT("'\\v'.matches('^\\\\v$') && !'\\n'.matches('^\\\\v$')", "true"); /* RE2's \\v */
    EXPECT("'a\\n'.matches('a$')", "false"); /* $ is the end of text */
    EXPECT("'a\\nb'.matches('(?m)a$')", "true");
    EXPECT("'ab'.matches('a{1,1000}b')", "true");
}

Test(cel_value, patterns_known_only_at_runtime)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_diag d;
    uint32_t slot;
    cr_assert_eq(ps_cel_env_declare_var(env, "p", "string", &slot, &d), PS_OK);
    struct ps_cel_value vals[1] = {ps_cel_string(PS_STR("^[0-9]{10}$"))};
    struct ps_cel_activation act = {vals, 1};
    cr_expect_str_eq(cel_run_env(env, "'3000000001'.matches(p)", 0, &act, NULL), "true");
    vals[0] = ps_cel_string(PS_STR("(a)\\1"));
    cr_expect_str_eq(cel_run_env(env, "'aa'.matches(p)", 0, &act, NULL),
                     "error: invalid regular expression at offset 3 of the pattern: "
                     "backreferences are not supported (RE2 syntax)");
    vals[0] = ps_cel_string(PS_STR("a)"));
    cr_expect_str_eq(cel_run_env(env, "'aa'.matches(p) || true", 0, &act, NULL), "true");
    ps_cel_env_free(env);
}

Test(cel_value, regex_bombs_stop_at_the_match_limit)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_diag d;
    uint32_t slot;
    cr_assert_eq(ps_cel_env_declare_var(env, "s", "string", &slot, &d), PS_OK);
    char subject[64];
    memset(subject, 'a', 40);
    subject[40] = '!';
    struct ps_cel_value vals[1] = {ps_cel_string((struct ps_str){subject, 41})};
    struct ps_cel_activation act = {vals, 1};
    struct ps_cel_program *p;
    /* (a|aa)+$ on a long run of a's backtracks exponentially (the JIT included) */
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("s.matches('^(a|aa)+$') || true"), 0,
                                &p, &d), PS_OK);
    struct ps_arena *a = ps_arena_new(8 << 20);
    struct ps_cel_value v;
    struct ps_cel_eval_options o = {.regex_match_limit = 10000};
    cr_expect_eq(ps_cel_eval(p, &act, a, &o, &v, &d), PS_ERR_LIMIT);
    cr_expect_str_eq(d.message, "regular expression match limit exceeded");
    cr_expect_eq(d.column, 2, "located at the call");
    ps_cel_program_free(p);
    /* a runtime pattern (interpreter, no JIT) under the depth limit */
    uint32_t ps;
    cr_assert_eq(ps_cel_env_declare_var(env, "pat", "string", &ps, &d), PS_OK);
    struct ps_cel_value vals2[2] = {vals[0], ps_cel_string(PS_STR("^(a|aa)+$"))};
    struct ps_cel_activation act2 = {vals2, 2};
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("s.matches(pat)"), 0, &p, &d), PS_OK);
    o.regex_depth_limit = 50;
    o.regex_match_limit = 0;
    cr_expect_eq(ps_cel_eval(p, &act2, a, &o, &v, &d), PS_ERR_LIMIT);
    ps_cel_program_free(p);
    ps_arena_free(a);
    ps_cel_env_free(env);
}
