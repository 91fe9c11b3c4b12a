/* Smaller extensions: optional values (optional.of, optional.ofNonZeroValue, optional.none,
 * hasValue, value, or and orValue (evaluated lazily by eval.c), optional.unwrap) and the
 * encoders (base64.encode, base64.decode). The macros (optMap, optFlatMap, cel.bind) are
 * expanded by the parser. */
#include "cel/cel_int.h"

#define FN(name) static struct ps_cel_value name(const struct ps_cel_call *c, \
                                                  const struct ps_cel_value *a)
#define P PS_CEL_FN_PURE
#define R (PS_CEL_FN_RECEIVER | PS_CEL_FN_PURE)

static struct ps_cel_value some(const struct ps_cel_call *c, struct ps_cel_value v)
{
    struct ps_cel_value *p = cel_alloc(c->ev, sizeof *p);
    if (!p)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    *p = v;
    return (struct ps_cel_value){.kind = PS_CEL_OPTIONAL, .v.opt = p};
}

FN(opt_of)
{
    return some(c, a[0]);
}

FN(opt_of_non_zero)
{
    if (cel_is_zero(a[0]))
        return (struct ps_cel_value){.kind = PS_CEL_OPTIONAL};
    return some(c, a[0]);
}

FN(opt_none)
{
    (void)c;
    (void)a;
    return (struct ps_cel_value){.kind = PS_CEL_OPTIONAL};
}

FN(has_value)
{
    (void)c;
    return ps_cel_bool(a[0].v.opt != NULL);
}

FN(value)
{
    if (!a[0].v.opt)
        return cel_call_err(c, "optional.none() dereference");
    return *a[0].v.opt;
}

FN(lazy)
{
    (void)a;
    return cel_call_err(c, "internal error: or/orValue are evaluated by the evaluator");
}

FN(unwrap)
{
    struct ps_cel_value *items = cel_alloc_array(c->ev, a[0].n ? a[0].n : 1, sizeof *items);
    if (!items)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    uint32_t n = 0;
    for (uint32_t i = 0; i < a[0].n; i++) {
        struct ps_cel_value v = a[0].v.items[i];
        if (v.kind != PS_CEL_OPTIONAL)
            return cel_call_err(c, "optional.unwrap: element %u is not an optional", i);
        if (v.v.opt)
            items[n++] = *v.v.opt;
    }
    return ps_cel_list(items, n);
}

/* ---- base64 ------------------------------------------------------------------------------------ */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t cel_base64_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[v >> 18];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    return o;
}

static int b64_value(char ch)
{
    const char *p = ch ? strchr(b64, ch) : NULL;
    return p ? (int)(p - b64) : -1;
}

FN(b64_encode)
{
    size_t n = 4 * (((size_t)a[0].n + 2) / 3);
    char *out = cel_alloc(c->ev, n ? n : 1);
    if (!out)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    cel_base64_encode((const unsigned char *)a[0].v.s, a[0].n, out);
    return ps_cel_string((struct ps_str){out, n});
}

/* Padded or unpadded standard base64. */
FN(b64_decode)
{
    size_t len = a[0].n;
    while (len > 0 && a[0].v.s[len - 1] == '=' && a[0].n - len < 2)
        len--;
    if (len % 4 == 1 || (a[0].n != len && a[0].n % 4 != 0))
        return cel_call_err(c, "base64.decode: invalid input length");
    unsigned char *out = cel_alloc(c->ev, len ? len : 1);
    if (!out)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    size_t o = 0;
    uint32_t acc = 0;
    unsigned bitsn = 0;
    for (size_t i = 0; i < len; i++) {
        int v = b64_value(a[0].v.s[i]);
        if (v < 0)
            return cel_call_err(c, "base64.decode: invalid character at %zu", i);
        acc = (acc << 6) | (uint32_t)v;
        bitsn += 6;
        if (bitsn >= 8) {
            bitsn -= 8;
            out[o++] = (unsigned char)(acc >> bitsn);
        }
    }
    return ps_cel_bytes(out, o);
}

static const struct cel_decl ext_decls[] = {
    {"optional.of", "optional_of", "(A) -> optional_type(A)", P, opt_of, NULL},
    {"optional.ofNonZeroValue", "optional_ofNonZeroValue", "(A) -> optional_type(A)", P,
     opt_of_non_zero, NULL},
    {"optional.none", "optional_none", "() -> optional_type(T)", P, opt_none, NULL},
    {"hasValue", "optional_hasValue", "(optional_type(A)) -> bool", R, has_value, NULL},
    {"value", "optional_value", "(optional_type(A)) -> A", R, value, NULL},
    {"or", "optional_or_optional", "(optional_type(A), optional_type(A)) -> optional_type(A)",
     R | CEL_FN_OPT_OR, lazy, NULL},
    {"orValue", "optional_orValue_value", "(optional_type(A), A) -> A",
     R | CEL_FN_OPT_OR_VALUE, lazy, NULL},
    {"optional.unwrap", "optional_unwrap", "(list(optional_type(A))) -> list(A)", P, unwrap,
     NULL},
    {"unwrapOpt", "optional_unwrapOpt", "(list(optional_type(A))) -> list(A)", R, unwrap, NULL},
    {"base64.encode", "base64_encode_bytes", "(bytes) -> string", P, b64_encode, NULL},
    {"base64.decode", "base64_decode_string", "(string) -> bytes", P, b64_decode, NULL},
};

enum ps_err cel_std_ext(struct ps_cel_env *env, struct ps_cel_diag *diag)
{
    return cel_declare_table(env, ext_decls, sizeof ext_decls / sizeof ext_decls[0], diag);
}
