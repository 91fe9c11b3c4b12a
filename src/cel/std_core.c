/* The standard library's core (langdef "Standard Definitions"): arithmetic that never wraps,
 * equality and ordering (across int, uint and double at runtime), logical not, membership,
 * size, concatenation, the conversions int uint double string bytes bool type dyn, and the
 * string predicates contains, startsWith, endsWith, matches. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cel/cel_int.h"

#define FN(name) static struct ps_cel_value name(const struct ps_cel_call *c, \
                                                  const struct ps_cel_value *a)
#define P PS_CEL_FN_PURE
#define R (PS_CEL_FN_RECEIVER | PS_CEL_FN_PURE)

static struct ps_cel_value overflow(const struct ps_cel_call *c)
{
    return cel_call_err(c, "integer overflow");
}

/* ---- arithmetic ------------------------------------------------------------------------------ */

FN(add_int)
{
    int64_t r;
    return __builtin_add_overflow(a[0].v.i, a[1].v.i, &r) ? overflow(c) : ps_cel_int(r);
}

FN(sub_int)
{
    int64_t r;
    return __builtin_sub_overflow(a[0].v.i, a[1].v.i, &r) ? overflow(c) : ps_cel_int(r);
}

FN(mul_int)
{
    int64_t r;
    return __builtin_mul_overflow(a[0].v.i, a[1].v.i, &r) ? overflow(c) : ps_cel_int(r);
}

FN(div_int)
{
    if (a[1].v.i == 0)
        return cel_call_err(c, "division by zero");
    if (a[0].v.i == INT64_MIN && a[1].v.i == -1)
        return overflow(c);
    return ps_cel_int(a[0].v.i / a[1].v.i);
}

FN(mod_int)
{
    if (a[1].v.i == 0)
        return cel_call_err(c, "modulus by zero");
    if (a[1].v.i == -1)
        return ps_cel_int(0); /* INT64_MIN % -1 is undefined in C */
    return ps_cel_int(a[0].v.i % a[1].v.i);
}

FN(neg_int)
{
    return a[0].v.i == INT64_MIN ? overflow(c) : ps_cel_int(-a[0].v.i);
}

FN(add_uint)
{
    uint64_t r;
    return __builtin_add_overflow(a[0].v.u, a[1].v.u, &r) ? overflow(c) : ps_cel_uint(r);
}

FN(sub_uint)
{
    uint64_t r;
    return __builtin_sub_overflow(a[0].v.u, a[1].v.u, &r) ? overflow(c) : ps_cel_uint(r);
}

FN(mul_uint)
{
    uint64_t r;
    return __builtin_mul_overflow(a[0].v.u, a[1].v.u, &r) ? overflow(c) : ps_cel_uint(r);
}

FN(div_uint)
{
    return a[1].v.u == 0 ? cel_call_err(c, "division by zero")
                         : ps_cel_uint(a[0].v.u / a[1].v.u);
}

FN(mod_uint)
{
    return a[1].v.u == 0 ? cel_call_err(c, "modulus by zero")
                         : ps_cel_uint(a[0].v.u % a[1].v.u);
}

FN(add_double)
{
    return ps_cel_double(a[0].v.d + a[1].v.d);
}

FN(sub_double)
{
    return ps_cel_double(a[0].v.d - a[1].v.d);
}

FN(mul_double)
{
    return ps_cel_double(a[0].v.d * a[1].v.d);
}

FN(div_double)
{
    return ps_cel_double(a[0].v.d / a[1].v.d);
}

FN(neg_double)
{
    return ps_cel_double(-a[0].v.d);
}

/* string + string, bytes + bytes */
FN(concat)
{
    uint64_t n = (uint64_t)a[0].n + a[1].n;
    if (n > CEL_MAX_STRING)
        return cel_call_err(c, "string too long");
    if (a[1].n == 0)
        return a[0];
    if (a[0].n == 0)
        return a[1];
    char *p = cel_alloc(c->ev, (size_t)n);
    if (!p || !cel_cost(c->ev, n / 64))
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    memcpy(p, a[0].v.s, a[0].n);
    memcpy(p + a[0].n, a[1].v.s, a[1].n);
    return (struct ps_cel_value){.kind = a[0].kind, .n = (uint32_t)n, .v.s = p};
}

FN(add_list)
{
    uint64_t n = (uint64_t)a[0].n + a[1].n;
    if (a[1].n == 0)
        return a[0];
    if (a[0].n == 0)
        return a[1];
    if (n > UINT32_MAX)
        return cel_call_err(c, "list too long");
    struct ps_cel_value *items = cel_alloc_array(c->ev, (size_t)n, sizeof *items);
    if (!items || !cel_cost(c->ev, n / 16))
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    memcpy(items, a[0].v.items, a[0].n * sizeof *items);
    memcpy(items + a[0].n, a[1].v.items, a[1].n * sizeof *items);
    return ps_cel_list(items, (uint32_t)n);
}

/* ---- equality, ordering, logic ------------------------------------------------------------------ */

static struct ps_cel_value equal(const struct ps_cel_call *c, const struct ps_cel_value *a,
                                 bool want)
{
    int e = cel_equal(a[0], a[1], 0);
    if (e < 0)
        return cel_call_err(c, "values nested too deeply to compare");
    return ps_cel_bool((e == 1) == want);
}

FN(eq)
{
    return equal(c, a, true);
}

FN(ne)
{
    return equal(c, a, false);
}

static struct ps_cel_value order(const struct ps_cel_call *c, const struct ps_cel_value *a,
                                 int lo, int hi)
{
    int r = cel_compare(a[0], a[1]);
    if (r == 3)
        return cel_no_overload(c);
    return ps_cel_bool(r != 2 && r >= lo && r <= hi);
}

FN(lt)
{
    return order(c, a, -1, -1);
}

FN(le)
{
    return order(c, a, -1, 0);
}

FN(gt)
{
    return order(c, a, 1, 1);
}

FN(ge)
{
    return order(c, a, 0, 1);
}

FN(not_)
{
    (void)c;
    return ps_cel_bool(!a[0].v.b);
}

FN(in_list)
{
    if (a[0].kind == PS_CEL_STRING) { /* the common case, without the general equality */
        for (uint32_t i = 0; i < a[1].n; i++) {
            const struct ps_cel_value *x = &a[1].v.items[i];
            if (x->kind == PS_CEL_STRING && x->n == a[0].n &&
                cel_bytes_eq(x->v.s, a[0].v.s, x->n))
                return ps_cel_bool(true);
        }
        if (!cel_cost(c->ev, a[1].n / 16))
            return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "cost limit exceeded");
        return ps_cel_bool(false);
    }
    for (uint32_t i = 0; i < a[1].n; i++) {
        int e = cel_equal(a[0], a[1].v.items[i], 0);
        if (e < 0)
            return cel_call_err(c, "values nested too deeply to compare");
        if (e)
            return ps_cel_bool(true);
    }
    if (!cel_cost(c->ev, a[1].n / 16))
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "cost limit exceeded");
    return ps_cel_bool(false);
}

FN(in_map)
{
    (void)c;
    return ps_cel_bool(cel_map_find(a[1].v.map, a[0], NULL));
}

/* ---- size ---------------------------------------------------------------------------------------- */

FN(size_string)
{
    (void)c;
    return ps_cel_int((int64_t)cel_utf8_count(a[0].v.s, a[0].n));
}

FN(size_n)
{
    (void)c;
    return ps_cel_int(a[0].n);
}

FN(size_map)
{
    (void)c;
    return ps_cel_int(a[0].v.map->n);
}

/* ---- conversions ------------------------------------------------------------------------------------ */

FN(identity)
{
    (void)c;
    return a[0];
}

FN(int_uint)
{
    return a[0].v.u > (uint64_t)INT64_MAX ? cel_call_err(c, "range error: %llu does not fit in "
                                                         "int", (unsigned long long)a[0].v.u)
                                          : ps_cel_int((int64_t)a[0].v.u);
}

static struct ps_cel_value double_range(const struct ps_cel_call *c, double d, const char *to)
{
    char buf[40];
    cel_format_double(buf, d, false);
    return cel_call_err(c, "range error: %s does not fit in %s", buf, to);
}

FN(int_double)
{
    double d = a[0].v.d;
    if (!(d > -9223372036854775808.0 && d < 9223372036854775808.0))
        return double_range(c, d, "int");
    return ps_cel_int((int64_t)d);
}

/* Strict decimal text for the int/uint conversions (strtoll would skip spaces). */
static bool digits(struct ps_cel_value s, size_t from)
{
    if (s.n <= from || s.n > 40)
        return false;
    for (size_t i = from; i < s.n; i++)
        if (s.v.s[i] < '0' || s.v.s[i] > '9')
            return false;
    return true;
}

FN(int_string)
{
    char buf[48];
    bool sign = a[0].n > 0 && (a[0].v.s[0] == '-' || a[0].v.s[0] == '+');
    if (!digits(a[0], sign))
        return cel_call_err(c, "invalid int: '%.*s'", (int)(a[0].n > 40 ? 40 : a[0].n),
                            a[0].v.s);
    memcpy(buf, a[0].v.s, a[0].n);
    buf[a[0].n] = '\0';
    errno = 0;
    long long v = strtoll(buf, NULL, 10);
    if (errno == ERANGE)
        return cel_call_err(c, "range error: '%s' does not fit in int", buf);
    return ps_cel_int(v);
}

FN(uint_int)
{
    return a[0].v.i < 0 ? cel_call_err(c, "range error: %lld does not fit in uint",
                                       (long long)a[0].v.i)
                        : ps_cel_uint((uint64_t)a[0].v.i);
}

FN(uint_double)
{
    double d = a[0].v.d;
    if (!(d >= 0 && d < 18446744073709551616.0))
        return double_range(c, d, "uint");
    return ps_cel_uint((uint64_t)d);
}

FN(uint_string)
{
    char buf[48];
    if (!digits(a[0], a[0].n > 0 && a[0].v.s[0] == '+'))
        return cel_call_err(c, "invalid uint: '%.*s'", (int)(a[0].n > 40 ? 40 : a[0].n),
                            a[0].v.s);
    memcpy(buf, a[0].v.s, a[0].n);
    buf[a[0].n] = '\0';
    errno = 0;
    unsigned long long v = strtoull(buf, NULL, 10);
    if (errno == ERANGE)
        return cel_call_err(c, "range error: '%s' does not fit in uint", buf);
    return ps_cel_uint(v);
}

FN(double_int)
{
    (void)c;
    return ps_cel_double((double)a[0].v.i);
}

FN(double_uint)
{
    (void)c;
    return ps_cel_double((double)a[0].v.u);
}

static bool float_chars(struct ps_cel_value s)
{
    for (uint32_t i = 0; i < s.n; i++) {
        char ch = s.v.s[i];
        if (!((ch >= '0' && ch <= '9') || ch == '.' || ch == 'e' || ch == 'E' || ch == '+' ||
              ch == '-'))
            return false;
    }
    return s.n > 0;
}

FN(double_string)
{
    static const struct {
        const char *s;
        double d;
    } words[] = {{"NaN", NAN},          {"nan", NAN},          {"Infinity", INFINITY},
                 {"+Infinity", INFINITY}, {"-Infinity", -INFINITY}, {"inf", INFINITY},
                 {"+inf", INFINITY},    {"-inf", -INFINITY}};
    struct ps_str s = ps_cel_str(a[0]);
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (ps_str_eq_cstr(s, words[i].s))
            return ps_cel_double(words[i].d);
    char buf[80];
    if (!float_chars(a[0]) || a[0].n >= sizeof buf)
        return cel_call_err(c, "invalid double: '%.*s'", (int)(s.len > 40 ? 40 : s.len), s.p);
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    char *end;
    errno = 0;
    double d = strtod(buf, &end);
    if (*end || (errno == ERANGE && isinf(d)))
        return cel_call_err(c, "invalid double: '%s'", buf);
    return ps_cel_double(d);
}

static struct ps_cel_value string_copy(const struct ps_cel_call *c, const char *s, size_t n)
{
    char *p = cel_alloc(c->ev, n ? n : 1);
    if (!p)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    memcpy(p, s, n);
    return ps_cel_string((struct ps_str){p, n});
}

FN(string_int)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)a[0].v.i);
    return string_copy(c, buf, cel_fitted(n, sizeof buf));
}

FN(string_uint)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)a[0].v.u);
    return string_copy(c, buf, cel_fitted(n, sizeof buf));
}

FN(string_double)
{
    char buf[40];
    size_t n = cel_format_double(buf, a[0].v.d, false);
    return string_copy(c, buf, n);
}

FN(string_bool)
{
    (void)c;
    return a[0].v.b ? ps_cel_string(PS_STR("true")) : ps_cel_string(PS_STR("false"));
}

FN(string_bytes)
{
    if (!cel_utf8_valid(a[0].v.s, a[0].n))
        return cel_call_err(c, "invalid UTF-8 in bytes converted to string");
    return (struct ps_cel_value){.kind = PS_CEL_STRING, .n = a[0].n, .v.s = a[0].v.s};
}

FN(bytes_string)
{
    (void)c;
    return (struct ps_cel_value){.kind = PS_CEL_BYTES, .n = a[0].n, .v.s = a[0].v.s};
}

FN(bool_string)
{
    static const char *const yes[] = {"1", "t", "true", "TRUE", "True"};
    static const char *const no[] = {"0", "f", "false", "FALSE", "False"};
    struct ps_str s = ps_cel_str(a[0]);
    for (size_t i = 0; i < 5; i++) {
        if (ps_str_eq_cstr(s, yes[i]))
            return ps_cel_bool(true);
        if (ps_str_eq_cstr(s, no[i]))
            return ps_cel_bool(false);
    }
    return cel_call_err(c, "Type conversion error: '%.*s' is not a bool",
                        (int)(s.len > 40 ? 40 : s.len), s.p);
}

FN(type_of)
{
    (void)c;
    return (struct ps_cel_value){.kind = PS_CEL_TYPE, .v.type = cel_type_of_kind(a[0].kind)};
}

/* ---- string predicates -------------------------------------------------------------------------- */

static bool find(struct ps_cel_value h, struct ps_cel_value n)
{
    if (n.n == 0)
        return true;
    if (n.n > h.n)
        return false;
    return memmem(h.v.s, h.n, n.v.s, n.n) != NULL;
}

FN(contains)
{
    (void)c;
    return ps_cel_bool(find(a[0], a[1]));
}

FN(starts_with)
{
    (void)c;
    return ps_cel_bool(a[1].n <= a[0].n && memcmp(a[0].v.s, a[1].v.s, a[1].n) == 0);
}

FN(ends_with)
{
    (void)c;
    return ps_cel_bool(a[1].n <= a[0].n &&
                       memcmp(a[0].v.s + a[0].n - a[1].n, a[1].v.s, a[1].n) == 0);
}

FN(matches)
{
    return cel_regex_match(c, c->node->aux, ps_cel_str(a[1]), ps_cel_str(a[0]));
}

static enum ps_err prepare_matches(const struct ps_cel_program *prog, const struct cel_node *call,
                                   const struct ps_cel_value *const *cargs, void **aux,
                                   struct ps_cel_diag *diag)
{
    const struct ps_cel_value *pat = cargs[1];
    if (!pat || pat->kind != PS_CEL_STRING)
        return PS_OK;
    return cel_regex_compile_const(prog, ps_cel_str(*pat), aux, diag,
                                   call->args[1]->offset);
}

/* ---- the table -------------------------------------------------------------------------------- */

#define ORDER(op, fn, name)                                                                    \
    {op, name "_bool", "(bool, bool) -> bool", P, fn, NULL},                                   \
    {op, name "_int64", "(int, int) -> bool", P, fn, NULL},                                    \
    {op, name "_uint64", "(uint, uint) -> bool", P, fn, NULL},                                 \
    {op, name "_double", "(double, double) -> bool", P, fn, NULL},                             \
    {op, name "_string", "(string, string) -> bool", P, fn, NULL},                             \
    {op, name "_bytes", "(bytes, bytes) -> bool", P, fn, NULL},                                \
    {op, name "_timestamp", "(timestamp, timestamp) -> bool", P, fn, NULL},                    \
    {op, name "_duration", "(duration, duration) -> bool", P, fn, NULL},                       \
    {op, name "_int64_uint64", "(int, uint) -> bool", P, fn, NULL},                            \
    {op, name "_int64_double", "(int, double) -> bool", P, fn, NULL},                          \
    {op, name "_uint64_int64", "(uint, int) -> bool", P, fn, NULL},                            \
    {op, name "_uint64_double", "(uint, double) -> bool", P, fn, NULL},                        \
    {op, name "_double_int64", "(double, int) -> bool", P, fn, NULL},                          \
    {op, name "_double_uint64", "(double, uint) -> bool", P, fn, NULL}

static const struct cel_decl core[] = {
    {"_+_", "add_int64", "(int, int) -> int", P, add_int, NULL},
    {"_+_", "add_uint64", "(uint, uint) -> uint", P, add_uint, NULL},
    {"_+_", "add_double", "(double, double) -> double", P, add_double, NULL},
    {"_+_", "add_string", "(string, string) -> string", P, concat, NULL},
    {"_+_", "add_bytes", "(bytes, bytes) -> bytes", P, concat, NULL},
    {"_+_", "add_list", "(list(A), list(A)) -> list(A)", P, add_list, NULL},
    {"_-_", "subtract_int64", "(int, int) -> int", P, sub_int, NULL},
    {"_-_", "subtract_uint64", "(uint, uint) -> uint", P, sub_uint, NULL},
    {"_-_", "subtract_double", "(double, double) -> double", P, sub_double, NULL},
    {"_*_", "multiply_int64", "(int, int) -> int", P, mul_int, NULL},
    {"_*_", "multiply_uint64", "(uint, uint) -> uint", P, mul_uint, NULL},
    {"_*_", "multiply_double", "(double, double) -> double", P, mul_double, NULL},
    {"_/_", "divide_int64", "(int, int) -> int", P, div_int, NULL},
    {"_/_", "divide_uint64", "(uint, uint) -> uint", P, div_uint, NULL},
    {"_/_", "divide_double", "(double, double) -> double", P, div_double, NULL},
    {"_%_", "modulo_int64", "(int, int) -> int", P, mod_int, NULL},
    {"_%_", "modulo_uint64", "(uint, uint) -> uint", P, mod_uint, NULL},
    {"-_", "negate_int64", "(int) -> int", P, neg_int, NULL},
    {"-_", "negate_double", "(double) -> double", P, neg_double, NULL},
    {"_==_", "equals", "(A, A) -> bool", P, eq, NULL},
    {"_!=_", "not_equals", "(A, A) -> bool", P, ne, NULL},
    ORDER("_<_", lt, "less"),
    ORDER("_<=_", le, "less_equals"),
    ORDER("_>_", gt, "greater"),
    ORDER("_>=_", ge, "greater_equals"),
    {"!_", "logical_not", "(bool) -> bool", P, not_, NULL},
    {"@in", "in_list", "(A, list(A)) -> bool", P, in_list, NULL},
    {"@in", "in_map", "(A, map(A, B)) -> bool", P, in_map, NULL},
    {"size", "size_string", "(string) -> int", P, size_string, NULL},
    {"size", "size_bytes", "(bytes) -> int", P, size_n, NULL},
    {"size", "size_list", "(list(A)) -> int", P, size_n, NULL},
    {"size", "size_map", "(map(A, B)) -> int", P, size_map, NULL},
    {"size", "string_size", "(string) -> int", R, size_string, NULL},
    {"size", "bytes_size", "(bytes) -> int", R, size_n, NULL},
    {"size", "list_size", "(list(A)) -> int", R, size_n, NULL},
    {"size", "map_size", "(map(A, B)) -> int", R, size_map, NULL},
    {"int", "int64_to_int64", "(int) -> int", P, identity, NULL},
    {"int", "uint64_to_int64", "(uint) -> int", P, int_uint, NULL},
    {"int", "double_to_int64", "(double) -> int", P, int_double, NULL},
    {"int", "string_to_int64", "(string) -> int", P, int_string, NULL},
    {"uint", "uint64_to_uint64", "(uint) -> uint", P, identity, NULL},
    {"uint", "int64_to_uint64", "(int) -> uint", P, uint_int, NULL},
    {"uint", "double_to_uint64", "(double) -> uint", P, uint_double, NULL},
    {"uint", "string_to_uint64", "(string) -> uint", P, uint_string, NULL},
    {"double", "double_to_double", "(double) -> double", P, identity, NULL},
    {"double", "int64_to_double", "(int) -> double", P, double_int, NULL},
    {"double", "uint64_to_double", "(uint) -> double", P, double_uint, NULL},
    {"double", "string_to_double", "(string) -> double", P, double_string, NULL},
    {"string", "string_to_string", "(string) -> string", P, identity, NULL},
    {"string", "int64_to_string", "(int) -> string", P, string_int, NULL},
    {"string", "uint64_to_string", "(uint) -> string", P, string_uint, NULL},
    {"string", "double_to_string", "(double) -> string", P, string_double, NULL},
    {"string", "bool_to_string", "(bool) -> string", P, string_bool, NULL},
    {"string", "bytes_to_string", "(bytes) -> string", P, string_bytes, NULL},
    {"bytes", "bytes_to_bytes", "(bytes) -> bytes", P, identity, NULL},
    {"bytes", "string_to_bytes", "(string) -> bytes", P, bytes_string, NULL},
    {"bool", "bool_to_bool", "(bool) -> bool", P, identity, NULL},
    {"bool", "string_to_bool", "(string) -> bool", P, bool_string, NULL},
    {"type", "type", "(A) -> type(A)", P, type_of, NULL},
    {"dyn", "to_dyn", "(A) -> dyn", P, identity, NULL},
    {"contains", "contains_string", "(string, string) -> bool", R, contains, NULL},
    {"startsWith", "starts_with_string", "(string, string) -> bool", R, starts_with, NULL},
    {"endsWith", "ends_with_string", "(string, string) -> bool", R, ends_with, NULL},
    {"matches", "matches_string", "(string, string) -> bool", R, matches, prepare_matches},
    {"matches", "matches", "(string, string) -> bool", P, matches, prepare_matches},
};

/* Integer overloads the evaluator may compute inline (eval.c, fast_int): the same results. */
static const struct {
    const char *name, *id;
    uint8_t fast;
} fast_ops[] = {
    {"_<_", "less_int64", F_LT},          {"_<=_", "less_equals_int64", F_LE},
    {"_>_", "greater_int64", F_GT},       {"_>=_", "greater_equals_int64", F_GE},
    {"_==_", "equals", F_EQ},             {"_!=_", "not_equals", F_NE},
    {"_+_", "add_int64", F_ADD},          {"_-_", "subtract_int64", F_SUB},
    {"_*_", "multiply_int64", F_MUL},
};

enum ps_err cel_std_core(struct ps_cel_env *env, struct ps_cel_diag *diag)
{
    enum ps_err e = cel_declare_table(env, core, sizeof core / sizeof core[0], diag);
    for (size_t i = 0; e == PS_OK && i < sizeof fast_ops / sizeof fast_ops[0]; i++) {
        const struct cel_func *f = cel_env_func(env, ps_str_from_cstr(fast_ops[i].name));
        for (struct cel_overload *ov = f ? f->first : NULL; ov; ov = ov->next)
            if (strcmp(ov->id, fast_ops[i].id) == 0)
                ov->fast = fast_ops[i].fast;
    }
    return e;
}
