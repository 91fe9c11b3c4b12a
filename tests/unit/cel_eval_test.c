/* CEL evaluation, from langdef's "Evaluation" and "Standard Definitions": arithmetic that
 * never wraps, heterogeneous equality and ordering, commutative error absorption, membership,
 * conversions with range errors, macros, optionals, the strings and math extensions; and the
 * embedding guarantees: a cost limit that stops runaway macros, the caller's arena budget,
 * activations, and one program evaluated by many threads at once. */
#include <pthread.h>

#include "cel_helper.h"

Test(cel_eval, integer_arithmetic_never_wraps)
{
    EXPECT("9223372036854775807 + 1", "error: integer overflow");
    EXPECT("-9223372036854775808 - 1", "error: integer overflow");
    EXPECT("-(-9223372036854775808)", "error: integer overflow");
    EXPECT("-9223372036854775808 / -1", "error: integer overflow");
    EXPECT("-9223372036854775808 % -1", "0");
    EXPECT("5000000000 * 5000000000", "error: integer overflow");
    EXPECT("0u - 1u", "error: integer overflow");
    EXPECT("18446744073709551615u + 1u", "error: integer overflow");
    EXPECT("7 / 0", "error: division by zero");
    EXPECT("7 % 0", "error: modulus by zero");
    EXPECT("7u / 0u", "error: division by zero");
    EXPECT("-7 / 2", "-3");
    EXPECT("-7 % 3", "-1");
    EXPECT("1.0 / 0.0", "double(\"Infinity\")");
    EXPECT("-1.0 / 0.0", "double(\"-Infinity\")");
    EXPECT("0.0 / 0.0", "double(\"NaN\")");
    EXPECT("-(0.0)", "-0.0");
    EXPECT_PREFIX("1 + 1u", "compile 1:3: found no matching overload");
    EXPECT("'ab' + 'cd'", "\"abcd\"");
    EXPECT("b'a' + b'\\x00'", "b\"a\\x00\"");
    EXPECT("[1] + [2, 3]", "[1, 2, 3]");
}

Test(cel_eval, heterogeneous_equality_and_ordering)
{
    EXPECT("dyn(1) == 1u", "true");
    EXPECT("dyn(1) == 1.0", "true");
    EXPECT("dyn(-1) == 18446744073709551615u", "false");
    EXPECT("dyn(1) < 1.5", "true");
    EXPECT("dyn(18446744073709551615u) > -1", "true");
    EXPECT("dyn(0.0/0.0) == 0.0/0.0", "false");
    EXPECT("dyn(0.0/0.0) != 0.0/0.0", "true");
    EXPECT("dyn(1.0) < 0.0/0.0 || dyn(1.0) >= 0.0/0.0", "false");
    EXPECT("[1, 2.0] == [1u, dyn(2)]", "true");
    EXPECT("dyn({1: 'a'}) == {1u: 'a'}", "true");
    EXPECT("{'a': 1, 'b': 2} == {'b': 2, 'a': 1}", "true");
    EXPECT("dyn('a') == 1", "false");
    EXPECT("dyn(null) == false", "false");
    EXPECT("'a' < 'b' && b'a' < b'b' && false < true", "true");
    EXPECT("'\\u00e1' > 'z'", "true"); /* code point order */
    EXPECT("type(1) == int && type(1u) != int", "true");
    EXPECT_PREFIX("dyn([1]) < [2]", "compile 1:10: found no matching overload for '_<_' "
                                    "applied to '(dyn, list(int))'");
    cr_expect_str_eq(cel_run_flags("[1] < [2]", PS_CEL_NO_CHECK), "error: no such overload: _<_");
    cr_expect_str_eq(cel_run_flags("null < null", PS_CEL_NO_CHECK),
                     "error: no such overload: _<_");
}

Test(cel_eval, logic_absorbs_errors_commutatively)
{
    EXPECT("false && 1/0 == 1", "false");
    EXPECT("1/0 == 1 && false", "false");
    EXPECT("true || 1/0 == 1", "true");
    EXPECT("1/0 == 1 || true", "true");
    EXPECT("1/0 == 1 || false", "error: division by zero");
    EXPECT("true && 1/0 == 1", "error: division by zero");
    EXPECT("!(1/0 == 1)", "error: division by zero");
    EXPECT("false ? 1/0 : 2", "2");
    EXPECT("true ? 2 : 1/0", "2");
    cr_expect_str_eq(cel_run_flags("'x' && false", PS_CEL_NO_CHECK), "false");
    cr_expect_str_eq(cel_run_flags("'x' || 'y'", PS_CEL_NO_CHECK),
                     "error: no matching overload for '_||_'");
    cr_expect_str_eq(cel_run_flags("1 ? 2 : 3", PS_CEL_NO_CHECK),
                     "error: no matching overload for '_?_:_'");
}

Test(cel_eval, membership_size_and_indexing)
{
    EXPECT("2 in [1, 2, 3]", "true");
    EXPECT("dyn(2.0) in [1, 2, 3]", "true");
    EXPECT("'b' in {'a': 1, 'b': 2}", "true");
    EXPECT("dyn(2u) in {2: 'x'}", "true");
    EXPECT("size('Київ') + size(b'\\xff') + size([1, 2]) + size({'a': 1})", "8");
    EXPECT("'Київ'.size()", "4");
    EXPECT("[1, 2, 3][2]", "3");
    EXPECT("[1, 2, 3][3]", "error: invalid_argument: index out of range: 3");
    EXPECT("[1, 2, 3][-1]", "error: invalid_argument: index out of range: -1");
    EXPECT("[1, 2, 3][dyn(1u)]", "2");
    EXPECT("[1, 2, 3][dyn(1.0)]", "2");
    EXPECT("[1, 2, 3][dyn(1.5)]",
           "error: invalid_argument: list index must be an integer, found 'double'");
    EXPECT("{'a': 1}['b']", "error: no such key: 'b'");
    EXPECT("{'a': 1}.b", "error: no such key: 'b'");
    EXPECT("{1: 'x'}[dyn(1.0)]", "\"x\"");
    EXPECT("{1: 'x'}[dyn(1.5)]", "error: no such key");
    EXPECT("has({'a': {'b': 1}}.a.b) && !has({'a': {}}.a.b)", "true");
    EXPECT("{'a': 1, 'a': 2}", "error: Failed with repeated key");
    EXPECT("{1: 1, 1u: 2}", "error: Failed with repeated key");
    cr_expect_str_eq(cel_run_flags("{1.5: 1}", PS_CEL_NO_CHECK),
                     "error: unsupported map key type");
    cr_expect_str_eq(cel_run_flags("1.a", PS_CEL_NO_CHECK),
                     "error: type 'int' does not support field selection");
}

Test(cel_eval, conversions)
{
    EXPECT("int('-42') + int(42u) + int(2.9) + int(-2.9)", "0");
    EXPECT("int('1e3')", "error: invalid int: '1e3'");
    EXPECT("int(' 1')", "error: invalid int: ' 1'");
    EXPECT("int('9223372036854775808')",
           "error: range error: '9223372036854775808' does not fit in int");
    EXPECT("int(9223372036854775807.0)",
           "error: range error: 9.223372036854776e+18 does not fit in int");
    EXPECT("int(0.0/0.0)", "error: range error: NaN does not fit in int");
    EXPECT("int(18446744073709551615u)",
           "error: range error: 18446744073709551615 does not fit in int");
    EXPECT("uint(-1)", "error: range error: -1 does not fit in uint");
    EXPECT("uint(-0.5)", "error: range error: -0.5 does not fit in uint");
    EXPECT("uint('18446744073709551615')", "18446744073709551615u");
    EXPECT("uint('-1')", "error: invalid uint: '-1'");
    EXPECT("double('1.5e3') + double(1) + double(1u)", "1502.0");
    EXPECT("double('Infinity')", "double(\"Infinity\")");
    EXPECT("double('abc')", "error: invalid double: 'abc'");
    EXPECT("string(1.5) + string(-2) + string(3u) + string(true) + string(b'x')",
           "\"1.5-23truex\"");
    EXPECT("string(1e6) + ' ' + string(0.000123) + ' ' + string(1e-5)",
           "\"1e+06 0.000123 1e-05\"");
    EXPECT("string(b'\\xff')", "error: invalid UTF-8 in bytes converted to string");
    EXPECT("bytes('é')", "b\"\\xc3\\xa9\"");
    EXPECT("bool('true') && !bool('f')", "true");
    EXPECT("bool('yes')", "error: Type conversion error: 'yes' is not a bool");
    EXPECT("type(type(1)) == type && dyn(1) == 1", "true");
    EXPECT("type([1]) == type(['a']) && type({1: 2}) == map", "true");
    EXPECT("type(null) == null_type && type(optional.none()) == optional_type", "true");
}

Test(cel_eval, macros)
{
    EXPECT("[1, 2, 3].all(x, x > 0)", "true");
    EXPECT("[1, 2, 3].exists(x, x == 2)", "true");
    EXPECT("[1, 2, 3].exists_one(x, x > 1)", "false");
    EXPECT("[1, 2, 3].existsOne(i, x, i == x - 1 && x == 3)", "true");
    EXPECT("[1, 2, 3].map(x, x * x)", "[1, 4, 9]");
    EXPECT("[1, 2, 3].filter(x, x % 2 == 1)", "[1, 3]");
    EXPECT("{'a': 1, 'b': 2}.map(k, k + k)", "[\"aa\", \"bb\"]");
    EXPECT("{'a': 1, 'b': 2}.filter(k, k == 'b')", "[\"b\"]");
    EXPECT("{'a': 1, 'b': 2}.all(k, v, v > 0 && k != '')", "true");
    EXPECT("['x', 'y'].transformList(i, v, v + string(i))", "[\"x0\", \"y1\"]");
    EXPECT("['x', 'y'].transformMap(i, v, i)", "{0: 0, 1: 1}");
    EXPECT("[1, 0].all(x, 1 / x > 0)", "error: division by zero");
    EXPECT("[0, 1].all(x, x > 0 && 1 / x > 0)", "false");
    EXPECT("[1, 0].exists(x, 1 / x > 0)", "true");
    EXPECT("[0, 1].exists_one(x, 1 / x > 0)", "error: division by zero");
    EXPECT("[[1, 2], [3]].map(l, l.map(x, x * 10))", "[[10, 20], [30]]");
    EXPECT("[1, 2].exists(x, [3, 4].exists(x, x == 4))", "true"); /* inner x shadows */
    EXPECT("cel.bind(a, 'x', cel.bind(b, a + 'y', a + b))", "\"xxy\"");
    cr_expect_str_eq(cel_run_flags("[1, 'a'].all(x, x)", PS_CEL_NO_CHECK),
                     "error: no such overload: predicate is 'int', not bool");
    cr_expect_str_eq(cel_run_flags("dyn(1).all(x, true)", PS_CEL_NO_CHECK),
                     "error: no such overload: cannot iterate over 'int'");
}

Test(cel_eval, optionals)
{
    EXPECT("optional.of(1).hasValue() && !optional.none().hasValue()", "true");
    EXPECT("optional.of(1).value()", "1");
    EXPECT("optional.none().value()", "error: optional.none() dereference");
    EXPECT("optional.none().or(optional.of(2)).orValue(3)", "2");
    EXPECT("optional.none().orValue(1/0 == 1)", "error: division by zero");
    EXPECT("optional.of(true).orValue(1/0 == 1)", "true"); /* orValue is lazy */
    EXPECT("optional.ofNonZeroValue('').hasValue() || optional.ofNonZeroValue([]).hasValue()",
           "false");
    EXPECT("{'a': {'b': 1}}.?a.b", "optional.of(1)");
    EXPECT("{'a': {'b': 1}}.?x.b", "optional.none()");
    EXPECT("{'a': {'b': 1}}.?a.?c.orValue(9)", "9");
    EXPECT("[1, 2][?1]", "optional.of(2)");
    EXPECT("optional.of([1]).optMap(l, l.size())", "optional.of(1)");
    EXPECT("optional.of({'a': 1}).optFlatMap(m, m.?a)", "optional.of(1)");
    EXPECT("optional.unwrap([optional.of(1), optional.none(), optional.of(3)])", "[1, 3]");
    EXPECT("optional.of(1) == optional.of(1) && optional.none() == optional.none()", "true");
}

Test(cel_eval, strings_extension)
{
    EXPECT("'Київ'.charAt(1) + 'abc'.charAt(3)", "\"и\"");
    EXPECT("'abc'.charAt(4)", "error: index out of range: 4");
    EXPECT("'привіт світ'.indexOf('світ')", "7");
    EXPECT("'aXbXc'.lastIndexOf('X') + 'aXbXc'.indexOf('X', 2)", "6");
    EXPECT("'ÀbC'.lowerAscii() + 'àbc'.upperAscii()", "\"ÀbcàBC\"");
    EXPECT("'a-b-c'.replace('-', '+', 1)", "\"a+b-c\"");
    EXPECT("'ab'.replace('', '.')", "\".a.b.\"");
    EXPECT("'a,b,,c'.split(',')", "[\"a\", \"b\", \"\", \"c\"]");
    EXPECT("'a,b,c'.split(',', 2)", "[\"a\", \"b,c\"]");
    EXPECT("'абв'.split('')", "[\"а\", \"б\", \"в\"]");
    EXPECT("'Київщина'.substring(0, 4)", "\"Київ\"");
    EXPECT("'abc'.substring(2, 1)", "error: invalid substring range. start: 2, end: 1");
    EXPECT("' \\t x \\u3000'.trim()", "\"x\"");
    EXPECT("['a', 'b'].join(', ')", "\"a, b\"");
    EXPECT("'Київ'.reverse()", "\"вїиК\"");
    EXPECT("strings.quote('a\"\\n')", "\"\\\"a\\\\\\\"\\\\n\\\"\"");
    EXPECT("'%s is %d years, %.2f%%'.format(['Ada', 36, 99.5])",
           "\"Ada is 36 years, 99.50%\"");
    EXPECT("'%x %X %o %b'.format([255, 255, 8, 5])", "\"ff FF 10 101\"");
    EXPECT("'%s'.format([{'b': 1, 'a': [true, null]}])", "\"{a: [true, null], b: 1}\"");
    EXPECT("'%d'.format(['x'])",
           "error: error during formatting: decimal clause can only be used on integers, was "
           "given string");
    EXPECT("'%q'.format([1])",
           "error: could not parse formatting clause: unrecognized formatting clause \"q\"");
    EXPECT("'%s %s'.format([1])", "error: index 1 out of range");
    EXPECT("'abc'.matches('^a.c$') && !'abc'.matches('^b')", "true");
    EXPECT("'abc'.contains('bc') && 'abc'.startsWith('ab') && 'abc'.endsWith('c')", "true");
    EXPECT("base64.encode(b'hello') + ' ' + string(base64.decode('aGk'))", "\"aGVsbG8= hi\"");
    EXPECT("base64.decode('!!!!')", "error: base64.decode: invalid character at 0");
}

Test(cel_eval, math_extension)
{
    EXPECT("math.greatest(1, 2.5, 3u)", "3u");
    EXPECT("math.least([3, -1.5, 2u])", "-1.5");
    EXPECT("math.greatest(7)", "7");
    EXPECT("math.least([])", "error: math.least: empty list");
    cr_expect_str_eq(cel_run_flags("math.greatest(1, 'a')", PS_CEL_NO_CHECK),
                     "error: no such overload: math.greatest");
    EXPECT("[math.ceil(1.2), math.floor(-1.2), math.round(2.5), math.round(-2.5), "
           "math.trunc(-2.7)]", "[2.0, -2.0, 3.0, -3.0, -2.0]");
    EXPECT("math.abs(-3) + math.sign(-5)", "2");
    EXPECT("math.abs(-9223372036854775808)", "error: integer overflow");
    EXPECT("math.isNaN(0.0/0.0) && math.isInf(1.0/0.0) && !math.isFinite(1.0/0.0)", "true");
    EXPECT("math.bitAnd(12, 10) + math.bitOr(12, 10) + math.bitXor(12, 10)", "28");
    EXPECT("math.bitNot(0) + math.bitShiftLeft(1, 4) + math.bitShiftRight(256, 4)", "31");
    EXPECT("math.bitShiftLeft(1, 64)", "0");
    EXPECT("math.bitShiftRight(-1, 63)", "1");
    EXPECT("math.bitShiftLeft(1, -1)", "error: math.bitShiftLeft: negative offset -1");
}

/* ---- limits ------------------------------------------------------------------------------------ */

static enum ps_err eval_limited(const char *expr, uint64_t max_cost, size_t arena_bytes,
                                struct ps_cel_diag *d)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_program *p;
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr(expr), 0, &p, d), PS_OK, "%s",
                 d->message);
    struct ps_arena *a = ps_arena_new(arena_bytes);
    struct ps_cel_eval_options o = {.max_cost = max_cost};
    struct ps_cel_value v;
    enum ps_err e = ps_cel_eval(p, NULL, a, &o, &v, d);
    ps_arena_free(a);
    ps_cel_program_free(p);
    ps_cel_env_free(env);
    return e;
}

Test(cel_eval, runaway_macros_stop_at_the_cost_limit)
{
    struct ps_cel_diag d;
    const char *bomb = "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, "
                       "[1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, "
                       "[1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, "
                       "a + b + c + d + e + f > 0))))))";
    cr_expect_eq(eval_limited(bomb, 100000, 64 << 20, &d), PS_ERR_LIMIT);
    cr_expect_str_eq(d.message, "cost limit exceeded");
    cr_expect_eq(d.line, 1);
    cr_expect_gt(d.column, 1, "located inside the expression");
    /* an error limit is never absorbed */
    cr_expect_eq(eval_limited("[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, "
                              "[1,2,3,4,5,6,7,8,9,10].all(c, true))) || true", 500, 64 << 20,
                              &d), PS_ERR_LIMIT);
    cr_expect_eq(eval_limited("[1, 2, 3].all(x, x > 0)", 100, 1 << 20, &d), PS_OK);
}

Test(cel_eval, growth_past_the_arena_budget_is_a_located_error)
{
    struct ps_cel_diag d;
    const char *doubling = "cel.bind(s, 'abcdefghijklmnopqrstuvwxyz0123456789', "
                           "cel.bind(t, s + s + s + s + s + s + s + s + s + s, "
                           "cel.bind(u, t + t + t + t + t + t + t + t + t + t, "
                           "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].map(i, "
                           "[1,2,3,4,5,6,7,8,9,10].map(j, u + u + u + u + u)))))";
    cr_expect_eq(eval_limited(doubling, 100000000, 1 << 20, &d), PS_ERR_LIMIT);
    cr_expect_str_eq(d.message, "memory budget exhausted");
    cr_expect_eq(d.line, 1);
    cr_expect_gt(d.column, 1);
    cr_expect_eq(eval_limited("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20].map(x, "
                              "[x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x,x])", 1000000, 4096, &d),
                 PS_ERR_LIMIT);
}

/* ---- activations and threads ----------------------------------------------------------------- */

struct shared {
    const struct ps_cel_program *p;
    uint32_t slot;
    int failures;
};

static void *worker(void *arg)
{
    struct shared *s = arg;
    struct ps_arena *a = ps_arena_new(1 << 20);
    for (int64_t i = 0; i < 2000; i++) {
        struct ps_cel_value vals[1] = {ps_cel_int(i)};
        struct ps_cel_activation act = {vals, 1};
        struct ps_cel_value v;
        struct ps_cel_diag d;
        if (ps_cel_eval(s->p, &act, a, NULL, &v, &d) != PS_OK || v.kind != PS_CEL_STRING ||
            v.n != (i < 1000 ? 5u : 3u))
            __atomic_add_fetch(&s->failures, 1, __ATOMIC_RELAXED);
        ps_arena_reset(a);
    }
    ps_arena_free(a);
    return NULL;
}

Test(cel_eval, one_program_many_threads)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_diag d;
    struct shared s = {0};
    cr_assert_eq(ps_cel_env_declare_var(env, "n", "int", &s.slot, &d), PS_OK);
    struct ps_cel_program *p;
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("[n, n + 1].map(x, x * 2).exists(x, x > "
                                                      "2000) && 'abc'.matches('^a+b') ? 'big' "
                                                      ": 'small'.substring(0, 4) + "
                                                      "{'k': 'x'}.k"), 0, &p, &d),
                 PS_OK, "%s", d.message);
    s.p = p;
    pthread_t t[8];
    for (int i = 0; i < 8; i++)
        cr_assert_eq(pthread_create(&t[i], NULL, worker, &s), 0);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    cr_expect_eq(s.failures, 0);
    ps_cel_program_free(p);
    ps_cel_env_free(env);
}

Test(cel_eval, cost_is_reported)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("[1, 2, 3].map(x, x + 1)"), 0, &p, &d),
                 PS_OK);
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_value v;
    uint64_t cost = 0;
    cr_assert_eq(ps_cel_eval_cost(p, NULL, a, NULL, &v, &cost, &d), PS_OK);
    cr_expect_eq(cost, 6, "three loop steps and three additions");
    ps_arena_free(a);
    ps_cel_program_free(p);
    ps_cel_env_free(env);
}
