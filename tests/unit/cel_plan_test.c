/* The planner (src/cel/plan.c) and the DFA for constant patterns (src/cel/regex_dfa.c): every
 * planned function falls back on the generic walk's rules, so a program evaluated as planned
 * and again with the plan removed (the walk everywhere) must give the same value, or the same
 * error at the same place, with the same cost; the DFA must answer as PCRE2 does for the
 * patterns of its subset and leave the others (and non-ASCII subjects) to PCRE2. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "cel/cel_int.h"

static struct ps_cel_env *env;
static struct ps_arena *vars;
static struct ps_cel_value vals[8];
static uint32_t nvals;

static void declare(const char *name, const char *type, struct ps_cel_value v)
{
    uint32_t slot;
    struct ps_cel_diag d;
    cr_assert_eq(ps_cel_env_declare_var(env, name, type, &slot, &d), PS_OK, "%s", d.message);
    vals[slot] = v;
    nvals = slot + 1;
}

/* A map value of n string keys k0, k1, ... (or the names given) to ints 0, 1, ... */
static struct ps_cel_value map_of(const char *const *names, uint32_t n)
{
    struct ps_cel_value *k = ps_arena_array(vars, n, sizeof *k);
    struct ps_cel_value *v = ps_arena_array(vars, n, sizeof *v);
    cr_assert(k && v);
    for (uint32_t i = 0; i < n; i++) {
        const char *s = names ? names[i] : ps_arena_printf(vars, "k%u", i);
        k[i] = ps_cel_string(ps_str_from_cstr(s));
        v[i] = ps_cel_int(i);
    }
    struct ps_cel_value m;
    struct ps_cel_diag d;
    cr_assert_eq(ps_cel_map_new(vars, k, v, n, &m, &d), PS_OK);
    return m;
}

static void setup(void)
{
    env = ps_cel_env_new(NULL);
    vars = ps_arena_new(1 << 20);
    cr_assert(env && vars);
    static const char *const names[] = {"a", "ab", "abc", "abcd", "abcdefgh", "abcdefghi", "",
                                        "region"};
    static struct ps_cel_value items[4];
    items[0] = ps_cel_int(3);
    items[1] = map_of(names, 8);
    items[2] = ps_cel_string(PS_STR("x"));
    items[3] = ps_cel_int(-1);
    declare("m", "map(string, int)", map_of(names, 8));
    declare("big", "map(string, int)", map_of(NULL, 20)); /* past 8 entries: a hash index */
    declare("d", "dyn", map_of(names, 3));
    declare("l", "list(dyn)", ps_cel_list(items, 4));
    declare("s", "string", ps_cel_string(PS_STR("Lviv")));
    declare("i", "int", ps_cel_int(9223372036854775807));
    declare("unset", "map(string, int)", (struct ps_cel_value){0});
}

static void teardown(void)
{
    ps_cel_env_free(env);
    ps_arena_free(vars);
}

/* "value" or "error L:C message", and the cost, of p. */
static void run(const struct ps_cel_program *p, uint64_t max_cost, char *out, size_t cap,
                uint64_t *cost)
{
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_activation act = {vals, nvals};
    struct ps_cel_eval_options o = {.max_cost = max_cost};
    struct ps_cel_value v;
    struct ps_cel_diag d;
    if (ps_cel_eval_cost(p, &act, a, &o, &v, cost, &d) == PS_OK) {
        char *lit = ps_cel_format_literal(a, v);
        snprintf(out, cap, "%s", lit ? lit : "?");
    } else {
        snprintf(out, cap, "error %u:%u %s", d.line, d.column, d.message);
    }
    ps_arena_free(a);
}

/* Planned and walked: the same outcome and cost. Returns the planned outcome. */
static const char *same(const char *expr, uint64_t max_cost)
{
    static char planned[512];
    char walked[512];
    uint64_t c1 = 0, c2 = 0;
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    if (ps_cel_compile(env, ps_str_from_cstr(expr), 0, &p, &d) != PS_OK) {
        cr_expect_fail("%s: %s", expr, d.message);
        return "";
    }
    run(p, max_cost, planned, sizeof planned, &c1);
    cel_plan_remove(p);
    run(p, max_cost, walked, sizeof walked, &c2);
    cr_expect_str_eq(planned, walked, "%s", expr);
    cr_expect_eq(c1, c2, "%s: cost %llu planned, %llu walked", expr, (unsigned long long)c1,
                 (unsigned long long)c2);
    ps_cel_program_free(p);
    return planned;
}

TestSuite(cel_plan, .init = setup, .fini = teardown);

Test(cel_plan, planned_and_walked_agree)
{
    static const char *const exprs[] = {
        /* selection: every name shape, a hash index, absent keys, non-maps, unset */
        "m.a + m.ab + m.abc + m.abcd + m.abcdefgh + m.abcdefghi + m.region", "m.zzz", "m.abd",
        "m.abcdefghj", "big.k0 + big.k19", "big.k20", "d.a", "d.abcd", "d.nope", "l[1].abc",
        "l[1].region", "l[0].a", "unset.a", "has(m.a)", "has(m.q)", "m.?a.orValue(5)",
        "l[1].?zz.orValue(7)", "[m, m][1].abcdefghi",
        /* indexing */
        "m['abcd']", "m['abcdefghi']", "m['']", "m['nope']", "big['k7']", "l[0]", "l[3]", "l[4]",
        "l[-1]", "l[1u]", "l[dyn(1.0)]", "l[dyn(0.5)]", "d[1]", "l[dyn('a')]", "m[?'a'].orValue(9)",
        /* operators with and without a constant operand, overflow, kinds the fast path skips */
        "l[0] < 4", "l[0] <= 3", "l[0] > 3", "l[0] >= 4", "l[0] + 1 == 4", "l[0] - 5",
        "l[0] * 3", "i + 1", "i * 2", "-i - 2", "l[0] < 4.5", "l[2] < 'y'", "l[0] + l[3]",
        "l[2] == 'x'", "l[2] != 'x'", "l[0] == 3.0", "l[0] == 3u", "l[1] == l[1]", "l[0] == l[2]",
        "true == (l[0] > 1)", "m.q == 1", "1 == m.q",
        /* membership in constant lists */
        "s in ['Kyiv', 'Lviv', 'Odesa']", "s in ['Kyiv', 'Odesa']",
        "s in ['a-rather-long-city-name', 'Lviv']", "'a-rather-long-city-name' + s in "
        "['a-rather-long-city-nameLviv']", "l[0] in [1, 2, 3]", "l[0] in [1, 2]",
        "dyn(3u) in [1, 2, 3]", "dyn(3.0) in [1, 2, 3]", "l[2] in [1, 2, 3]", "l[0] in ['a', 'b']",
        "m.q in [1]", "s in ['Lviv', 'Lviv']", "s in ['x', 'y', 'z', 'a', 'b', 'c', 'd', 'e', "
        "'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p']",
        /* calls */
        "size(s)", "s.size()", "s.startsWith('Lv')", "string(l[0])", "int(l[2])", "dyn(m.q).size()",
        "math.greatest(1, l[0], 2)", "s.contains(l[2])", "dyn(l[2]).size() + dyn(l[0]).size()",
        /* quantifiers and other comprehensions */
        "l.exists(x, x == 3)", "l.all(x, x != 'y')", "l.exists(x, x > 5)", "l.all(x, x > 0)",
        "[1, 2, 3].exists(x, x > 2)", "[1, 2, 3].all(x, x > 0)", "[1, 'a', 3].exists(x, x > 2)",
        "[1, 'a', 3].all(x, x > 0)", "['a', 1].exists(x, x > 0)", "m.exists(k, m[k] == 3)",
        "m.all(k, k.size() < 9)", "l.exists_one(x, x == 3)", "l.map(x, x == 3)",
        "l.filter(x, x == 3)", "[[1], [2, 3]].exists(x, x.exists(y, y == 3))",
        "cel.bind(t, m.abc, t + 1)", "[m, d].exists(x, x.a == 0)", "[m, d].all(x, x.a == 0)",
        /* logic, conditions */
        "m.q > 1 || true", "true || m.q > 1", "m.q > 1 && false", "m.q > 1 && true",
        "l[0] > 1 ? 'yes' : dyn(m.q)", "l[0] > 5 ? 'yes' : dyn(m.q)", "l[2] ? 1 : 2",
        /* matches with constant patterns (the DFA) and a runtime one */
        "s.matches('^[A-Z][a-z]+$')", "s.matches('v$')", "s.matches('^[0-9]{10}$')",
        "(s + 'é').matches('^[A-Z][a-z]+$')", "(s + 'é').matches('.$')", "s.matches(s)",
        "l[2].matches('x')", "matches(s, '(?i)lviv')",
    };
    for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++)
        same(exprs[k], 0);
}

Test(cel_plan, fallbacks_keep_the_walks_errors)
{
    cr_expect_str_eq(same("m.zzz", 0), "error 1:2 no such key: 'zzz'");
    cr_expect_str_eq(same("unset.a", 0), "error 1:1 no value for variable 'unset'");
    cr_expect_str_eq(same("l[0].a", 0), "error 1:5 type 'int' does not support field selection");
    cr_expect_str_eq(same("i + 1", 0), "error 1:3 integer overflow");
    cr_expect_str_eq(same("l[4]", 0), "error 1:2 invalid_argument: index out of range: 4");
    cr_expect_str_eq(same("dyn(3u) in [1, 2, 3]", 0), "true");
    cr_expect_str_eq(same("big.k19", 0), "19");
}

Test(cel_plan, cost_limits_stop_the_fast_paths_as_the_walk)
{
    static const char *const exprs[] = {
        "l[0] < 4", "l[0] + 1 < 5", "s in ['Kyiv', 'Lviv']", "s in ['Kyiv', 'Odesa']",
        "s.matches('^[A-Z][a-z]+$')", "[1, 2, 3, 4, 5].exists(x, x > 4)", "s.size() == 4",
        "l[2] == 'x' && s.startsWith('L')",
    };
    for (size_t k = 0; k < sizeof exprs / sizeof exprs[0]; k++)
        for (uint64_t max = 1; max < 14; max++)
            same(exprs[k], max);
    cr_expect_str_eq(same("[1, 2, 3, 4, 5].exists(x, x > 4)", 6),
                     "error 1:16 cost limit exceeded");
}

/* ---- the DFA -------------------------------------------------------------------------------- */

Test(cel_plan, dfa_covers_its_subset_only)
{
    static const char *const in[] = {
        "^[0-9]{10}$", "^[A-Z]{2}\\d{6}$", "^\\d{5}(-\\d{4})?$", "a.c", "(cat|dog)s?", "^$", "",
        "[^a-z]+", "\\.\\+", "a{2,}b{0,3}", "(?:ab)+?c", "[-a\\]]", "\\t\\v\\s\\S\\w\\W",
    };
    static const char *const out[] = {
        "(?i)abc", "é", "\\bfoo", "a|^b", "^a|b", "a$|b$", "x{,3}", "a{2", "[[:alpha:]]",
        "\\x41", "(?P<n>a)", "\\pL", "[]a]", "a**", "(a{100})", "\\Qa\\E", "\\",
    };
    struct ps_arena *a = ps_arena_new(1 << 20);
    for (size_t k = 0; k < sizeof in / sizeof in[0]; k++)
        cr_expect_not_null(cel_dfa_build(a, in[k], strlen(in[k]), true), "%s", in[k]);
    for (size_t k = 0; k < sizeof out / sizeof out[0]; k++)
        cr_expect_null(cel_dfa_build(a, out[k], strlen(out[k]), true), "%s", out[k]);
    cr_expect_null(cel_dfa_build(a, "a.c", 3, false), "'.' needs PCRE2's newline to be LF");
    ps_arena_free(a);
}

Test(cel_plan, dfa_answers_as_pcre2)
{
    static const struct {
        const char *pattern, *subject;
        int want; /* 1, 0, -1 (PCRE2's to answer) */
    } cases[] = {
        {"^[0-9]{10}$", "3000000001", 1}, {"^[0-9]{10}$", "300000000", 0},
        {"^[0-9]{10}$", "30000000012", 0}, {"^[0-9]{10}$", "30000000é1", -1},
        {"^[0-9]{10}$", "x0000000é1", 0}, {"ab+c", "xxabbbcxx", 1}, {"ab+c", "ac", 0},
        {"a.c", "a\nc", 0}, {"a.c", "abc", 1}, {"^$", "", 1}, {"^$", "a", 0}, {"$", "abc", 1},
        {"", "é", 1}, {"(cat|dog)s?", "hotdogs", 1}, {"(cat|dog)s?", "hotdo", 0},
        {"^(a|aa)+$", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", 0}, {"x*", "", 1},
        {"[^a-z]", "abcD", 1}, {"[^a-z]", "abc", 0}, {"[\\d\\s]+", "ab 12", 1}, {"\\W", "abc_", 0},
        {"[-a]", "b-", 1}, {"a{0}", "b", 1}, {"a{2,}", "caab", 1}, {"a{2,}", "cab", 0},
        {"^a{1,3}b", "aaaab", 0}, {"(ab){2}", "abab", 1}, {"(?:ab)+?c", "ababc", 1},
        {"^\\+380\\d{9}$", "+380501234567", 1}, {"\\t\\v", "\t\v", 1}, {"a\\$", "a$", 1},
        {"^\\d{5}(-\\d{4})?$", "12345-678", 0}, {"^\\d{5}(-\\d{4})?$", "12345-6789", 1},
        {"é?", "x", 1}, {"[\\]]", "]", 1},
    };
    struct ps_arena *a = ps_arena_new(1 << 20);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        const char *p = cases[k].pattern, *s = cases[k].subject;
        const struct cel_dfa *d = cel_dfa_build(a, p, strlen(p), true);
        if (!d) { /* outside the subset: only the expected answer below */
            cr_expect(strchr(p, 0xc3) || strchr(p, ']'), "%s has no DFA", p);
            continue;
        }
        cr_expect_eq(cel_dfa_match(d, s, strlen(s)), cases[k].want, "'%s' on '%s'", p, s);
    }
    ps_arena_free(a);
}
