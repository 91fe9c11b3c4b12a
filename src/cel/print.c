/* Values as text: doubles in their shortest round-tripping form (Go's 'g' rules, which the
 * reference implementation's string(double) follows), and values as CEL literals that parse
 * back to equal values (the `pocketstate expr` output). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cel/cel_int.h"

size_t cel_format_double(char out[40], double d, bool literal)
{
    int n;
    if (isnan(d)) {
        n = snprintf(out, 40, "%s", literal ? "double(\"NaN\")" : "NaN");
        return cel_fitted(n, 40);
    }
    if (isinf(d)) {
        n = snprintf(out, 40, "%s", literal ? (d > 0 ? "double(\"Infinity\")"
                                                     : "double(\"-Infinity\")")
                                            : (d > 0 ? "+Inf" : "-Inf"));
        return cel_fitted(n, 40);
    }
    char e[40];
    int prec = 0;
    for (; prec < 17; prec++) {
        cel_fitted(snprintf(e, sizeof e, "%.*e", prec, d), sizeof e);
        if (strtod(e, NULL) == d)
            break;
    }
    const char *ep = strchr(e, 'e');
    int exp = ep ? (int)strtol(ep + 1, NULL, 10) : 0;
    if (exp < -4 || exp >= 6) /* Go's rule for the shortest 'g' form */
        n = snprintf(out, 40, "%.*e", prec, d);
    else
        n = snprintf(out, 40, "%.*f", prec > exp ? prec - exp : 0, d);
    size_t len = cel_fitted(n, 37); /* room for ".0" */
    if (literal && !strpbrk(out, ".e")) {
        memcpy(out + len, ".0", 3);
        len += 2;
    }
    return len;
}

/* ---- literals ------------------------------------------------------------------------------- */

static bool put(struct ps_buf *b, const char *s)
{
    return ps_buf_append_cstr(b, s) == PS_OK;
}

static bool quoted(struct ps_buf *b, struct ps_cel_value v)
{
    bool bytes = v.kind == PS_CEL_BYTES;
    if (!put(b, bytes ? "b\"" : "\""))
        return false;
    for (uint32_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.v.s[i];
        const char *esc = ch == '\\' ? "\\\\" : ch == '"' ? "\\\"" : ch == '\n' ? "\\n"
                          : ch == '\r' ? "\\r" : ch == '\t' ? "\\t" : NULL;
        enum ps_err e;
        if (esc)
            e = ps_buf_append_cstr(b, esc);
        else if (ch < 0x20 || ch == 0x7f || (bytes && ch >= 0x80))
            e = ps_buf_printf(b, "\\x%02x", ch);
        else
            e = ps_buf_append(b, &ch, 1);
        if (e != PS_OK)
            return false;
    }
    return put(b, "\"");
}

static bool aggregate(struct ps_buf *b, struct ps_cel_value v, unsigned depth)
{
    bool is_map = v.kind == PS_CEL_MAP;
    uint32_t n = is_map ? v.v.map->n : v.n;
    if (!put(b, is_map ? "{" : "["))
        return false;
    for (uint32_t i = 0; i < n; i++) {
        if (i && !put(b, ", "))
            return false;
        if (is_map && (!cel_buf_literal(b, v.v.map->keys[i], depth + 1) || !put(b, ": ")))
            return false;
        if (!cel_buf_literal(b, is_map ? v.v.map->vals[i] : v.v.items[i], depth + 1))
            return false;
    }
    return put(b, is_map ? "}" : "]");
}

bool cel_buf_literal(struct ps_buf *b, struct ps_cel_value v, unsigned depth)
{
    char tmp[48];
    if (depth > CEL_VALUE_MAX_DEPTH)
        return false;
    switch (v.kind) {
    case PS_CEL_NULL:
        return put(b, "null");
    case PS_CEL_BOOL:
        return put(b, v.v.b ? "true" : "false");
    case PS_CEL_INT:
        return ps_buf_printf(b, "%lld", (long long)v.v.i) == PS_OK;
    case PS_CEL_UINT:
        return ps_buf_printf(b, "%lluu", (unsigned long long)v.v.u) == PS_OK;
    case PS_CEL_DOUBLE:
        cel_format_double(tmp, v.v.d, true);
        return put(b, tmp);
    case PS_CEL_STRING:
    case PS_CEL_BYTES:
        return quoted(b, v);
    case PS_CEL_LIST:
    case PS_CEL_MAP:
        return aggregate(b, v, depth);
    case PS_CEL_TIMESTAMP:
        cel_format_timestamp(tmp, v.v.i, v.n);
        return ps_buf_printf(b, "timestamp(\"%s\")", tmp) == PS_OK;
    case PS_CEL_DURATION:
        cel_format_duration(tmp, v.v.i);
        return ps_buf_printf(b, "duration(\"%s\")", tmp) == PS_OK;
    case PS_CEL_TYPE:
        return put(b, cel_type_name(v.v.type));
    case PS_CEL_OPTIONAL:
        if (!v.v.opt)
            return put(b, "optional.none()");
        return put(b, "optional.of(") && cel_buf_literal(b, *v.v.opt, depth + 1) && put(b, ")");
    default:
        return false;
    }
}

char *ps_cel_format_literal(struct ps_arena *arena, struct ps_cel_value v)
{
    struct ps_buf b;
    ps_buf_init(&b, 64u << 20);
    char *s = cel_buf_literal(&b, v, 0) ? ps_arena_strndup(arena, ps_buf_str(&b).p, b.len)
                                        : NULL;
    ps_buf_reset(&b);
    return s;
}
