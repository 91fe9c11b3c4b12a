/* The math extension (cel-go's ext.Math): math.greatest and math.least over arguments or a
 * list (numbers compared across int, uint and double), ceil floor round trunc abs sign,
 * isNaN isInf isFinite, and the bit operations with shifts that never wrap. */
#include <math.h>

#include "cel/cel_int.h"

#define FN(name) static struct ps_cel_value name(const struct ps_cel_call *c, \
                                                  const struct ps_cel_value *a)
#define P PS_CEL_FN_PURE
#define V (PS_CEL_FN_PURE | PS_CEL_FN_VARIADIC)

static struct ps_cel_value extreme(const struct ps_cel_call *c, const struct ps_cel_value *a,
                                   int want)
{
    const struct ps_cel_value *vals = a;
    uint32_t n = c->nargs;
    if (n == 1 && a[0].kind == PS_CEL_LIST) {
        vals = a[0].v.items;
        n = a[0].n;
        if (n == 0)
            return cel_call_err(c, "%.*s: empty list", PS_STR_FMT(c->node->name));
    }
    struct ps_cel_value best = vals[0];
    for (uint32_t i = 0; i < n; i++) {
        if (!cel_is_numeric(vals[i].kind))
            return cel_no_overload(c);
        if (i && cel_compare(vals[i], best) == want)
            best = vals[i];
    }
    return best;
}

FN(greatest)
{
    return extreme(c, a, 1);
}

FN(least)
{
    return extreme(c, a, -1);
}

#define DOUBLE_FN(name, expr)                                                                  \
    FN(name)                                                                                   \
    {                                                                                          \
        (void)c;                                                                               \
        double x = a[0].v.d;                                                                   \
        return expr;                                                                           \
    }
DOUBLE_FN(m_ceil, ps_cel_double(ceil(x)))
DOUBLE_FN(m_floor, ps_cel_double(floor(x)))
DOUBLE_FN(m_round, ps_cel_double(round(x)))
DOUBLE_FN(m_trunc, ps_cel_double(trunc(x)))
DOUBLE_FN(m_abs_double, ps_cel_double(fabs(x)))
DOUBLE_FN(m_sign_double, ps_cel_double(isnan(x) ? x : x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0))
DOUBLE_FN(m_is_nan, ps_cel_bool(isnan(x)))
DOUBLE_FN(m_is_inf, ps_cel_bool(isinf(x)))
DOUBLE_FN(m_is_finite, ps_cel_bool(isfinite(x)))

FN(m_abs_int)
{
    if (a[0].v.i == INT64_MIN)
        return cel_call_err(c, "integer overflow");
    return ps_cel_int(a[0].v.i < 0 ? -a[0].v.i : a[0].v.i);
}

FN(m_abs_uint)
{
    (void)c;
    return a[0];
}

FN(m_sign_int)
{
    (void)c;
    return ps_cel_int(a[0].v.i > 0 ? 1 : a[0].v.i < 0 ? -1 : 0);
}

FN(m_sign_uint)
{
    (void)c;
    return ps_cel_uint(a[0].v.u > 0);
}

/* Bit operations work on the 64-bit pattern; the result keeps the first argument's kind. */
static struct ps_cel_value bits(struct ps_cel_value like, uint64_t u)
{
    return like.kind == PS_CEL_INT ? ps_cel_int((int64_t)u) : ps_cel_uint(u);
}

FN(bit_and)
{
    (void)c;
    return bits(a[0], a[0].v.u & a[1].v.u);
}

FN(bit_or)
{
    (void)c;
    return bits(a[0], a[0].v.u | a[1].v.u);
}

FN(bit_xor)
{
    (void)c;
    return bits(a[0], a[0].v.u ^ a[1].v.u);
}

FN(bit_not)
{
    (void)c;
    return bits(a[0], ~a[0].v.u);
}

static struct ps_cel_value shift(const struct ps_cel_call *c, const struct ps_cel_value *a,
                                 bool left)
{
    int64_t by = a[1].v.i;
    if (by < 0)
        return cel_call_err(c, "math.bitShift%s: negative offset %lld", left ? "Left" : "Right",
                            (long long)by);
    if (by >= 64)
        return bits(a[0], 0);
    return bits(a[0], left ? a[0].v.u << by : a[0].v.u >> by);
}

FN(shift_left)
{
    return shift(c, a, true);
}

FN(shift_right)
{
    return shift(c, a, false);
}

#define EXTREME(name, id, fn)                                                                  \
    {name, id "_int", "(int) -> int", P, fn, NULL},                                            \
    {name, id "_uint", "(uint) -> uint", P, fn, NULL},                                         \
    {name, id "_double", "(double) -> double", P, fn, NULL},                                   \
    {name, id "_int_int", "(int, int) -> int", V, fn, NULL},                                   \
    {name, id "_uint_uint", "(uint, uint) -> uint", V, fn, NULL},                              \
    {name, id "_double_double", "(double, double) -> double", V, fn, NULL},                    \
    {name, id "_dyn_dyn", "(dyn, dyn) -> dyn", V, fn, NULL},                                   \
    {name, id "_list_int", "(list(int)) -> int", P, fn, NULL},                                 \
    {name, id "_list_uint", "(list(uint)) -> uint", P, fn, NULL},                              \
    {name, id "_list_double", "(list(double)) -> double", P, fn, NULL},                        \
    {name, id "_list_dyn", "(list(dyn)) -> dyn", P, fn, NULL}

static const struct cel_decl math_decls[] = {
    EXTREME("math.greatest", "math_greatest", greatest),
    EXTREME("math.least", "math_least", least),
    {"math.ceil", "math_ceil_double", "(double) -> double", P, m_ceil, NULL},
    {"math.floor", "math_floor_double", "(double) -> double", P, m_floor, NULL},
    {"math.round", "math_round_double", "(double) -> double", P, m_round, NULL},
    {"math.trunc", "math_trunc_double", "(double) -> double", P, m_trunc, NULL},
    {"math.abs", "math_abs_int", "(int) -> int", P, m_abs_int, NULL},
    {"math.abs", "math_abs_uint", "(uint) -> uint", P, m_abs_uint, NULL},
    {"math.abs", "math_abs_double", "(double) -> double", P, m_abs_double, NULL},
    {"math.sign", "math_sign_int", "(int) -> int", P, m_sign_int, NULL},
    {"math.sign", "math_sign_uint", "(uint) -> uint", P, m_sign_uint, NULL},
    {"math.sign", "math_sign_double", "(double) -> double", P, m_sign_double, NULL},
    {"math.isNaN", "math_isNaN_double", "(double) -> bool", P, m_is_nan, NULL},
    {"math.isInf", "math_isInf_double", "(double) -> bool", P, m_is_inf, NULL},
    {"math.isFinite", "math_isFinite_double", "(double) -> bool", P, m_is_finite, NULL},
    {"math.bitAnd", "math_bitAnd_int_int", "(int, int) -> int", P, bit_and, NULL},
    {"math.bitAnd", "math_bitAnd_uint_uint", "(uint, uint) -> uint", P, bit_and, NULL},
    {"math.bitOr", "math_bitOr_int_int", "(int, int) -> int", P, bit_or, NULL},
    {"math.bitOr", "math_bitOr_uint_uint", "(uint, uint) -> uint", P, bit_or, NULL},
    {"math.bitXor", "math_bitXor_int_int", "(int, int) -> int", P, bit_xor, NULL},
    {"math.bitXor", "math_bitXor_uint_uint", "(uint, uint) -> uint", P, bit_xor, NULL},
    {"math.bitNot", "math_bitNot_int", "(int) -> int", P, bit_not, NULL},
    {"math.bitNot", "math_bitNot_uint", "(uint) -> uint", P, bit_not, NULL},
    {"math.bitShiftLeft", "math_bitShiftLeft_int_int", "(int, int) -> int", P, shift_left,
     NULL},
    {"math.bitShiftLeft", "math_bitShiftLeft_uint_int", "(uint, int) -> uint", P, shift_left,
     NULL},
    {"math.bitShiftRight", "math_bitShiftRight_int_int", "(int, int) -> int", P, shift_right,
     NULL},
    {"math.bitShiftRight", "math_bitShiftRight_uint_int", "(uint, int) -> uint", P,
     shift_right, NULL},
};

enum ps_err cel_std_math(struct ps_cel_env *env, struct ps_cel_diag *diag)
{
    return cel_declare_table(env, math_decls, sizeof math_decls / sizeof math_decls[0], diag);
}
