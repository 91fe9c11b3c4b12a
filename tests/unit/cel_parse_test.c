/* CEL lexer and parser, from langdef's "Syntax" and "String and Bytes Values": literals in
 * every form, escapes, precedence and associativity, reserved words, macros, and bad input
 * (each a located error): deep nesting, huge literals, invalid UTF-8, unterminated strings,
 * invalid escapes. */
#include "cel_helper.h"

Test(cel_parse, integer_literals)
{
    EXPECT("0", "0");
    EXPECT("42", "42");
    EXPECT("0x1F", "31");
    EXPECT("0X1f", "31");
    EXPECT("1u", "1u");
    EXPECT("0x1Fu", "31u");
    EXPECT("18446744073709551615u", "18446744073709551615u");
    EXPECT("9223372036854775807", "9223372036854775807");
    EXPECT("-9223372036854775808", "-9223372036854775808");
    EXPECT("-0x8000000000000000", "-9223372036854775808");
    EXPECT_PREFIX("9223372036854775808", "compile 1:1: integer literal out of range");
    EXPECT_PREFIX("18446744073709551616u", "compile 1:1: uint literal out of range");
    EXPECT_PREFIX("99999999999999999999999999999", "compile 1:1: integer literal out of range");
    EXPECT_PREFIX("-(9223372036854775808)", "compile 1:3: integer literal out of range");
}

Test(cel_parse, double_literals)
{
    EXPECT("1.0", "1.0");
    EXPECT("1e3", "1000.0");
    EXPECT(".5", "0.5");
    EXPECT("2.5e-3", "0.0025");
    EXPECT("-2.5e+10", "-2.5e+10");
    EXPECT("1e-324", "0.0");
    EXPECT("0.1 + 0.2", "0.30000000000000004");
    EXPECT_PREFIX("1e400", "compile 1:1: double literal out of range");
    EXPECT_PREFIX("1.", "compile 1:3: syntax error"); /* a digit must follow the point */
}

Test(cel_parse, string_quote_forms)
{
    EXPECT("'a'", "\"a\"");
    EXPECT("\"a\"", "\"a\"");
    EXPECT("'''a'b\"c'''", "\"a'b\\\"c\"");
    EXPECT("\"\"\"x\ny\"\"\"", "\"x\\ny\"");
    EXPECT("'''x''x'''", "\"x''x\"");
    EXPECT("r'\\n'", "\"\\\\n\"");
    EXPECT("R\"\\d+\"", "\"\\\\d+\"");
    EXPECT("b'abc'", "b\"abc\"");
    EXPECT("B'\\xff'", "b\"\\xff\"");
    EXPECT("br'\\x'", "b\"\\\\x\"");
    EXPECT("Rb'\\x'", "b\"\\\\x\"");
    EXPECT("b'ÿ'", "b\"\\xc3\\xbf\"");
    EXPECT("'Київ'", "\"Київ\"");
}

Test(cel_parse, escapes)
{
    EXPECT("'\\a\\b\\f\\n\\r\\t\\v\\\\\\?\\\"\\'\\`'", "\"\\x07\\x08\\x0c\\n\\r\\t\\x0b\\\\?\\\"'`\"");
    EXPECT("'\\x41\\X42'", "\"AB\"");
    EXPECT("'\\u0418'", "\"И\"");
    EXPECT("'\\U0001F431'", "\"🐱\"");
    EXPECT("'\\101'", "\"A\"");
    EXPECT("'\\377'", "\"ÿ\""); /* a code point in strings */
    EXPECT("b'\\377'", "b\"\\xff\""); /* an octet in bytes */
    EXPECT("'\\xff' == '\\u00ff'", "true");
    EXPECT("size(b'\\u00ff')", "2");
}

Test(cel_parse, invalid_escapes_are_located)
{
    EXPECT_PREFIX("'ab\\s'", "compile 1:4: invalid escape sequence");
    EXPECT_PREFIX("'\\uD83D\\uDE03'", "compile 1:2: invalid Unicode code point");
    EXPECT_PREFIX("'\\U00110000'", "compile 1:2: invalid Unicode code point");
    EXPECT_PREFIX("'\\xZ1'", "compile 1:2: invalid escape sequence: expected hexadecimal");
    EXPECT_PREFIX("'\\4'", "compile 1:2: invalid escape sequence"); /* octal starts 0-3 */
    EXPECT_PREFIX("'\\08'", "compile 1:2: invalid octal escape");
    EXPECT_PREFIX("'\\'", "compile 1:1: unterminated string literal");
}

Test(cel_parse, unterminated_strings)
{
    EXPECT_PREFIX("'abc", "compile 1:1: unterminated string literal");
    EXPECT_PREFIX("1 + \"abc", "compile 1:5: unterminated string literal");
    EXPECT_PREFIX("'''abc''", "compile 1:1: unterminated string literal");
    EXPECT_PREFIX("'a\nb'", "compile 1:1: unterminated string literal (newline");
    EXPECT_PREFIX("'a\rb'", "compile 1:1: unterminated string literal (newline");
    EXPECT_PREFIX("x\n  + 'a", "compile 2:5: unterminated string literal");
}

Test(cel_parse, invalid_utf8_is_located)
{
    EXPECT_PREFIX("'ab' + '\xff'", "compile 1:9: expression is not valid UTF-8");
    EXPECT_PREFIX("'\xc0\x80'", "compile 1:2: expression is not valid UTF-8"); /* overlong */
    EXPECT_PREFIX("'\xed\xa0\x80'", "compile 1:2: expression is not valid UTF-8"); /* surrogate */
    EXPECT_PREFIX("'é\xe2\x82'", "compile 1:3: expression is not valid UTF-8"); /* truncated */
    EXPECT("size(b'\\xff\\xfe')", "2"); /* bytes may hold anything, written with escapes */
}

Test(cel_parse, precedence_and_associativity)
{
    EXPECT("1 + 2 * 3", "7");
    EXPECT("(1 + 2) * 3", "9");
    EXPECT("10 - 4 - 3", "3");
    EXPECT("100 / 10 / 5", "2");
    EXPECT("7 % 4 * 2", "6");
    EXPECT("-2 * 3", "-6");
    EXPECT("!true || true", "true");
    EXPECT("true || false && false", "true");
    EXPECT("1 < 2 == true", "true");
    EXPECT("1 + 1 in [2]", "true");
    EXPECT("false ? 1 : true ? 2 : 3", "2");
    EXPECT("true ? 1 : 2 + 10", "1");
    EXPECT("!!true", "true");
    EXPECT("--5", "5");
    EXPECT("---5", "-5");
    EXPECT("-(5)", "-5");
    EXPECT("[1, 2][1] + {'a': 3}.a", "5");
}

Test(cel_parse, trailing_commas_and_empty_aggregates)
{
    EXPECT("[1, 2,]", "[1, 2]");
    EXPECT("{'a': 1,}", "{\"a\": 1}");
    EXPECT("[]", "[]");
    EXPECT("{}", "{}");
    EXPECT_PREFIX("[,]", "compile 1:2: syntax error");
    EXPECT_PREFIX("f(1,)", "compile 1:5: syntax error");
}

Test(cel_parse, comments_and_whitespace)
{
    EXPECT("1 + // one\n 2 // two", "3");
    EXPECT("\t1\f+\r2\n", "3");
}

Test(cel_parse, reserved_words)
{
    EXPECT_PREFIX("if", "compile 1:1: 'if' is a reserved word");
    EXPECT_PREFIX("package(1)", "compile 1:1: 'package' is a reserved word");
    EXPECT("{'if': 1}.if", "1"); /* allowed as a field name */
    EXPECT_PREFIX("true = 1", "compile 1:6: unexpected character");
    EXPECT_PREFIX("in", "compile 1:1: syntax error");
}

Test(cel_parse, syntax_errors_are_located)
{
    EXPECT_PREFIX("1 +", "compile 1:4: syntax error: unexpected end of expression");
    EXPECT_PREFIX("(1 + 2", "compile 1:7: syntax error: expected ')'");
    EXPECT_PREFIX("1 2", "compile 1:3: syntax error: unexpected integer literal");
    EXPECT_PREFIX("a.", "compile 1:3: syntax error: expected a field name");
    EXPECT_PREFIX("{1 2}", "compile 1:4: syntax error: expected ':'");
    EXPECT_PREFIX("1 ? 2", "compile 1:6: syntax error: expected ':'");
    EXPECT_PREFIX("#", "compile 1:1: unexpected character");
    EXPECT_PREFIX("x\n\n   $", "compile 3:4: unexpected character");
    EXPECT_PREFIX("'ü' + $", "compile 1:7: unexpected character"); /* columns count code points */
    EXPECT_PREFIX("", "compile 1:1: syntax error: unexpected end of expression");
}

Test(cel_parse, nesting_limit)
{
    char deep[600];
    size_t n = 0;
    for (int i = 0; i < 120; i++)
        deep[n++] = '(';
    deep[n++] = '1';
    for (int i = 0; i < 120; i++)
        deep[n++] = ')';
    deep[n] = '\0';
    EXPECT_PREFIX(deep, "compile 1:101: expression nested more than 100 levels deep");
    /* the conformance minimum: 32 nested parentheses, 24 ternaries, 32 terms of || */
    EXPECT("((((((((((((((((((((((((((((((((7))))))))))))))))))))))))))))))))", "7");
}

Test(cel_parse, long_chains_are_limited_by_tree_height)
{
    char chain[4000];
    size_t n = 0;
    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(chain + n, sizeof chain - n, "%s1", i ? "+" : "");
    EXPECT_PREFIX(chain, "compile 1:");
    cr_expect(strstr(cel_out, "nested more than 100 levels"), "%s", cel_out);
    char list[4000];
    n = (size_t)snprintf(list, sizeof list, "[");
    for (int i = 0; i < 500; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%d,", i);
    snprintf(list + n, sizeof list - n, "][499]");
    EXPECT(list, "499"); /* wide is fine, only deep is limited */
}

Test(cel_parse, source_size_limit)
{
    struct ps_cel_env_options o = {.max_source = 16};
    struct ps_cel_env *env = ps_cel_env_new(&o);
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("1 + 2 + 3 + 4 + 5"), 0, &p, &d),
                 PS_ERR_LIMIT);
    cr_expect(strstr(d.message, "longer than 16 bytes"), "%s", d.message);
    cr_assert_eq(ps_cel_compile(env, ps_str_from_cstr("1 + 2"), 0, &p, &d), PS_OK);
    ps_cel_program_free(p);
    ps_cel_env_free(env);
}

Test(cel_parse, huge_string_literal)
{
    size_t n = 60000;
    char *s = malloc(n + 3);
    s[0] = '\'';
    memset(s + 1, 'x', n);
    s[n + 1] = '\'';
    s[n + 2] = '\0';
    char *expr = malloc(n + 20);
    snprintf(expr, n + 20, "size(%s)", s);
    EXPECT(expr, "60000");
    free(s);
    free(expr);
}

Test(cel_parse, macros)
{
    EXPECT("has({'a': 1}.a)", "true");
    EXPECT_PREFIX("has(1)", "compile 1:5: invalid argument to has()");
    EXPECT_PREFIX("[1].all(1, true)", "compile 1:9: macro variable must be a simple name");
    EXPECT_PREFIX("[1].all(x.y, true)", "compile 1:10: macro variable must be a simple name");
    EXPECT_PREFIX("[1].all(x, x, true)", "compile 1:12: the two macro variables must differ");
    /* another arity is an ordinary call, which then has no overload */
    EXPECT_PREFIX("[1].all(1)", "compile 1:4: undeclared reference to 'all'");
    EXPECT("[1, 2, 3].map(x, x > 1, x * 10)", "[20, 30]");
    EXPECT("cel.bind(x, 3, x * x)", "9");
    EXPECT("{'a': 1}.transformMap(k, v, v + 1)", "{\"a\": 2}");
}

Test(cel_parse, macros_can_be_disabled)
{
    cr_expect_str_eq(cel_run_flags("has({'a': 1}.a)", PS_CEL_NO_MACROS),
                     "compile 1:1: undeclared reference to 'has'");
    cr_expect_str_eq(cel_run_flags("[1].exists(x, true)", PS_CEL_NO_MACROS),
                     "compile 1:12: undeclared reference to 'x'");
}

Test(cel_parse, quoted_field_names_and_optional_syntax)
{
    EXPECT("{'content-type': 'json'}.`content-type`", "\"json\"");
    EXPECT("{'a.b': 1}.`a.b`", "1");
    EXPECT_PREFIX("{'a': 1}.`a+b`", "compile 1:12: invalid character in a quoted field name");
    EXPECT("{'a': 1}.?a", "optional.of(1)");
    EXPECT("[1][?3]", "optional.none()");
    EXPECT("[?optional.none(), ?optional.of(2)]", "[2]");
    EXPECT("{?'a': optional.none(), 'b': 1}", "{\"b\": 1}");
}

Test(cel_parse, message_construction_is_refused)
{
    EXPECT_PREFIX("google.protobuf.Int64Value{value: 1}",
                  "compile 1:27: 'google.protobuf.Int64Value{...}' constructs a protocol buffer "
                  "message");
}

Test(cel_parse, ast_is_reusable_through_parse_and_check)
{
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    struct ps_cel_ast *ast;
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    cr_assert_eq(ps_cel_parse(env, ps_str_from_cstr("[1, 2].size() + 1"), 0, &ast, &d), PS_OK);
    cr_assert_eq(ps_cel_check(env, ast, 0, &p, &d), PS_OK);
    struct ps_cel_value v;
    cr_assert(ps_cel_program_constant(p, &v), "constant expressions fold at check time");
    cr_expect_eq(v.kind, PS_CEL_INT);
    cr_expect_eq(v.v.i, 3);
    ps_cel_program_free(p);
    cr_assert_eq(ps_cel_parse(env, ps_str_from_cstr("1 +"), 0, &ast, &d), PS_ERR_INVALID);
    cr_expect_null(ast);
    cr_expect_eq(d.line, 1);
    cr_expect_eq(d.column, 4);
    ps_cel_env_free(env);
}
