/* string.format(list) from the strings extension: the clauses %s %d %f %e %b %o %x %X and
 * %%, an optional precision for %f and %e, and the error messages cel-go gives (the spec's
 * string_ext tests check them). Maps print with their entries sorted by the printed key. */
#include <math.h>
#include <stdlib.h>

#include "cel/cel_int.h"

#define MAX_PRECISION 100

static const char *kind_name(struct ps_cel_value v)
{
    return cel_type_name(cel_type_of_kind(v.kind));
}

static struct ps_cel_value clause_err(const struct ps_cel_call *c, const char *what,
                                      struct ps_cel_value v)
{
    return cel_call_err(c, "error during formatting: %s, was given %s", what, kind_name(v));
}

static bool special_double(struct cel_sb *sb, double d)
{
    if (isnan(d))
        return cel_sb_cstr(sb, "NaN");
    if (isinf(d))
        return cel_sb_cstr(sb, d > 0 ? "Infinity" : "-Infinity");
    return false;
}

static bool stringify(const struct ps_cel_call *c, struct cel_sb *sb, struct ps_cel_value v,
                      unsigned depth, struct ps_cel_value *err);

struct entry {
    char *key;
    size_t len;
    uint32_t index;
};

static int entry_cmp(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int r = memcmp(x->key, y->key, n);
    return r ? r : (x->len > y->len) - (x->len < y->len);
}

static bool stringify_map(const struct ps_cel_call *c, struct cel_sb *sb,
                          const struct ps_cel_map *m, unsigned depth, struct ps_cel_value *err)
{
    struct entry *e = cel_alloc_array(c->ev, m->n ? m->n : 1, sizeof *e);
    if (!e)
        return false;
    for (uint32_t i = 0; i < m->n; i++) {
        struct cel_sb k = {.ev = c->ev};
        if (!stringify(c, &k, m->keys[i], depth + 1, err))
            return false;
        e[i] = (struct entry){k.p, k.len, i};
    }
    qsort(e, m->n, sizeof *e, entry_cmp);
    cel_sb_put(sb, "{", 1);
    for (uint32_t i = 0; i < m->n; i++) {
        if (i)
            cel_sb_put(sb, ", ", 2);
        cel_sb_put(sb, e[i].key, e[i].len);
        cel_sb_put(sb, ": ", 2);
        if (!stringify(c, sb, m->vals[e[i].index], depth + 1, err))
            return false;
    }
    return cel_sb_put(sb, "}", 1);
}

/* Bytes as text: invalid UTF-8 becomes U+FFFD so that the result stays a valid string. */
static bool put_text(struct cel_sb *sb, struct ps_cel_value v)
{
    size_t i = 0;
    while (i < v.n) {
        size_t bad = cel_utf8_invalid_at(v.v.s + i, v.n - i);
        cel_sb_put(sb, v.v.s + i, bad);
        i += bad;
        if (i < v.n) {
            cel_sb_cstr(sb, "\xef\xbf\xbd");
            i++;
        }
    }
    return !sb->failed;
}

static bool stringify(const struct ps_cel_call *c, struct cel_sb *sb, struct ps_cel_value v,
                      unsigned depth, struct ps_cel_value *err)
{
    char tmp[48];
    if (depth > CEL_VALUE_MAX_DEPTH) {
        *err = cel_call_err(c, "error during formatting: value nested too deeply");
        return false;
    }
    switch (v.kind) {
    case PS_CEL_STRING:
    case PS_CEL_BYTES:
        return put_text(sb, v);
    case PS_CEL_NULL:
        return cel_sb_cstr(sb, "null");
    case PS_CEL_BOOL:
        return cel_sb_cstr(sb, v.v.b ? "true" : "false");
    case PS_CEL_INT:
        return cel_sb_printf(sb, "%lld", (long long)v.v.i);
    case PS_CEL_UINT:
        return cel_sb_printf(sb, "%llu", (unsigned long long)v.v.u);
    case PS_CEL_DOUBLE:
        if (isnan(v.v.d) || isinf(v.v.d))
            return special_double(sb, v.v.d);
        return cel_sb_put(sb, tmp, cel_format_double(tmp, v.v.d, false));
    case PS_CEL_TYPE:
        return cel_sb_cstr(sb, cel_type_name(v.v.type));
    case PS_CEL_TIMESTAMP:
        return cel_sb_put(sb, tmp, cel_format_timestamp(tmp, v.v.i, v.n));
    case PS_CEL_DURATION:
        return cel_sb_put(sb, tmp, cel_format_duration(tmp, v.v.i));
    case PS_CEL_LIST:
        cel_sb_put(sb, "[", 1);
        for (uint32_t i = 0; i < v.n; i++) {
            if (i)
                cel_sb_put(sb, ", ", 2);
            if (!stringify(c, sb, v.v.items[i], depth + 1, err))
                return false;
        }
        return cel_sb_put(sb, "]", 1);
    case PS_CEL_MAP:
        return stringify_map(c, sb, v.v.map, depth, err);
    default:
        *err = clause_err(c, "string clause can only be used on strings, bools, bytes, ints, "
                             "doubles, maps, lists, types, durations, and timestamps", v);
        return false;
    }
}

static bool radix(struct cel_sb *sb, struct ps_cel_value v, unsigned base, bool upper)
{
    static const char lo[] = "0123456789abcdef", hi[] = "0123456789ABCDEF";
    bool neg = v.kind == PS_CEL_INT && v.v.i < 0;
    uint64_t u = v.kind == PS_CEL_BOOL ? (uint64_t)v.v.b
                 : v.kind == PS_CEL_UINT ? v.v.u
                 : neg ? (uint64_t)0 - (uint64_t)v.v.i : (uint64_t)v.v.i;
    char buf[72];
    size_t n = sizeof buf;
    do {
        buf[--n] = (upper ? hi : lo)[u % base];
        u /= base;
    } while (u);
    if (neg)
        buf[--n] = '-';
    return cel_sb_put(sb, buf + n, sizeof buf - n);
}

static bool hex_bytes(struct cel_sb *sb, struct ps_cel_value v, bool upper)
{
    for (uint32_t i = 0; i < v.n; i++)
        if (!cel_sb_printf(sb, upper ? "%02X" : "%02x", (unsigned char)v.v.s[i]))
            return false;
    return true;
}

static bool is_int(struct ps_cel_value v)
{
    return v.kind == PS_CEL_INT || v.kind == PS_CEL_UINT;
}

/* One clause; false with *err set on a type error. */
static bool clause(const struct ps_cel_call *c, struct cel_sb *sb, char verb, int prec,
                   struct ps_cel_value v, struct ps_cel_value *err)
{
    double d = v.kind == PS_CEL_DOUBLE ? v.v.d : v.kind == PS_CEL_INT ? (double)v.v.i
                                                                       : (double)v.v.u;
    switch (verb) {
    case 's':
        return stringify(c, sb, v, 0, err);
    case 'd':
        if (is_int(v))
            return radix(sb, v, 10, false);
        if (v.kind == PS_CEL_DOUBLE && (isnan(d) || isinf(d)))
            return special_double(sb, d);
        *err = clause_err(c, "decimal clause can only be used on integers", v);
        return false;
    case 'f':
    case 'e':
        if (!is_int(v) && v.kind != PS_CEL_DOUBLE) {
            *err = clause_err(c, verb == 'f' ? "fixed-point clause can only be used on doubles"
                                             : "scientific clause can only be used on doubles",
                              v);
            return false;
        }
        if (isnan(d) || isinf(d))
            return special_double(sb, d);
        return cel_sb_printf(sb, verb == 'f' ? "%.*f" : "%.*e", prec < 0 ? 6 : prec, d);
    case 'b':
        if (is_int(v) || v.kind == PS_CEL_BOOL)
            return radix(sb, v, 2, false);
        *err = clause_err(c, "only integers and bools can be formatted as binary", v);
        return false;
    case 'o':
        if (is_int(v))
            return radix(sb, v, 8, false);
        *err = clause_err(c, "octal clause can only be used on integers", v);
        return false;
    default: /* x, X */
        if (is_int(v))
            return radix(sb, v, 16, verb == 'X');
        if (v.kind == PS_CEL_STRING || v.kind == PS_CEL_BYTES)
            return hex_bytes(sb, v, verb == 'X');
        *err = clause_err(c, "only integers, byte buffers, and strings can be formatted as hex",
                          v);
        return false;
    }
}

struct ps_cel_value cel_std_format(const struct ps_cel_call *c, const struct ps_cel_value *a)
{
    struct ps_cel_value fmt = a[0], args = a[1], err = {0};
    struct cel_sb sb = {.ev = c->ev};
    uint32_t argi = 0;
    for (uint32_t i = 0; i < fmt.n; i++) {
        char ch = fmt.v.s[i];
        if (ch != '%') {
            cel_sb_put(&sb, &ch, 1);
            continue;
        }
        if (++i < fmt.n && fmt.v.s[i] == '%') {
            cel_sb_put(&sb, "%", 1);
            continue;
        }
        int prec = -1;
        if (i < fmt.n && fmt.v.s[i] == '.') {
            prec = 0;
            while (++i < fmt.n && fmt.v.s[i] >= '0' && fmt.v.s[i] <= '9')
                if ((prec = prec * 10 + (fmt.v.s[i] - '0')) > MAX_PRECISION)
                    return cel_call_err(c, "could not parse formatting clause: precision over "
                                           "%d", MAX_PRECISION);
        }
        char verb = i < fmt.n ? fmt.v.s[i] : '\0';
        if (!verb || !strchr("sdfeboxX", verb))
            return cel_call_err(c, "could not parse formatting clause: unrecognized formatting "
                                   "clause \"%c\"", verb ? verb : ' ');
        if (argi >= args.n)
            return cel_call_err(c, "index %u out of range", argi);
        if (!clause(c, &sb, verb, prec, args.v.items[argi++], &err))
            return err.kind == PS_CEL_ERROR ? err : cel_sb_value(&sb, PS_CEL_STRING);
    }
    return cel_sb_value(&sb, PS_CEL_STRING);
}
