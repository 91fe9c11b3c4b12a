/* CEL values: UTF-8 helpers, maps (insertion order kept, a hash index past a few entries,
 * numeric keys equal across int, uint and double), heterogeneous equality and ordering as
 * langdef's "Equality" and "Ordering" sections define them. */
#include <math.h>

#include "cel/cel_int.h"

/* ---- UTF-8 ------------------------------------------------------------------------------- */

size_t cel_utf8_invalid_at(const char *p, size_t len)
{
    const unsigned char *s = (const unsigned char *)p;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        unsigned need;
        uint32_t cp, min;
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1, cp = c & 0x1F, min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            need = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            need = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return i;
        }
        if (len - i <= need)
            return i;
        for (unsigned k = 1; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += need + 1;
    }
    return len;
}

bool cel_utf8_valid(const char *p, size_t len)
{
    return cel_utf8_invalid_at(p, len) == len;
}

size_t cel_utf8_count(const char *p, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80)
            n++;
    return n;
}

unsigned cel_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp)
{
    unsigned c = p[0];
    unsigned n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    if (n > len)
        n = (unsigned)len;
    uint32_t v = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (unsigned k = 1; k < n; k++)
        v = (v << 6) | (p[k] & 0x3F);
    *cp = v;
    return n;
}

unsigned cel_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

enum ps_err ps_cel_string_checked(struct ps_str s, struct ps_cel_value *out)
{
    if (s.len > CEL_MAX_STRING || !cel_utf8_valid(s.p, s.len))
        return PS_ERR_INVALID;
    *out = ps_cel_string(s);
    return PS_OK;
}

/* ---- ordering and equality ------------------------------------------------------------------ */

bool cel_is_numeric(uint8_t kind)
{
    return kind == PS_CEL_INT || kind == PS_CEL_UINT || kind == PS_CEL_DOUBLE;
}

static int cmp_double(double a, double b)
{
    if (isnan(a) || isnan(b))
        return 2;
    return a < b ? -1 : a > b ? 1 : 0;
}

static int cmp_bytes(struct ps_cel_value a, struct ps_cel_value b)
{
    size_t n = a.n < b.n ? a.n : b.n;
    int c = n ? memcmp(a.v.s, b.v.s, n) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return a.n < b.n ? -1 : a.n > b.n ? 1 : 0;
}

/* Numbers of different kinds: ints and uints exactly, against a double by converting the
 * integer to double (the conformance suite's "lossy" cases). */
static int cmp_numbers(struct ps_cel_value a, struct ps_cel_value b)
{
    if (a.kind == PS_CEL_DOUBLE || b.kind == PS_CEL_DOUBLE) {
        double x = a.kind == PS_CEL_DOUBLE ? a.v.d : a.kind == PS_CEL_INT ? (double)a.v.i
                                                                            : (double)a.v.u;
        double y = b.kind == PS_CEL_DOUBLE ? b.v.d : b.kind == PS_CEL_INT ? (double)b.v.i
                                                                            : (double)b.v.u;
        return cmp_double(x, y);
    }
    if (a.kind == PS_CEL_INT) /* and b uint */
        return a.v.i < 0 ? -1 : (uint64_t)a.v.i < b.v.u ? -1 : (uint64_t)a.v.i > b.v.u;
    return b.v.i < 0 ? 1 : a.v.u < (uint64_t)b.v.i ? -1 : a.v.u > (uint64_t)b.v.i;
}

int cel_compare(struct ps_cel_value a, struct ps_cel_value b)
{
    if (a.kind != b.kind) {
        if (cel_is_numeric(a.kind) && cel_is_numeric(b.kind))
            return cmp_numbers(a, b);
        return 3;
    }
    switch (a.kind) {
    case PS_CEL_INT:
        return a.v.i < b.v.i ? -1 : a.v.i > b.v.i;
    case PS_CEL_UINT:
        return a.v.u < b.v.u ? -1 : a.v.u > b.v.u;
    case PS_CEL_DOUBLE:
        return cmp_double(a.v.d, b.v.d);
    case PS_CEL_STRING:
    case PS_CEL_BYTES:
        return cmp_bytes(a, b);
    case PS_CEL_BOOL:
        return (int)a.v.b - (int)b.v.b;
    case PS_CEL_DURATION:
        return a.v.i < b.v.i ? -1 : a.v.i > b.v.i;
    case PS_CEL_TIMESTAMP:
        if (a.v.i != b.v.i)
            return a.v.i < b.v.i ? -1 : 1;
        return a.n < b.n ? -1 : a.n > b.n;
    default:
        return 3;
    }
}

static int equal_maps(const struct ps_cel_map *a, const struct ps_cel_map *b, unsigned depth)
{
    if (a->n != b->n)
        return 0;
    for (uint32_t i = 0; i < a->n; i++) {
        struct ps_cel_value bv;
        if (!cel_map_find(b, a->keys[i], &bv))
            return 0;
        int e = cel_equal(a->vals[i], bv, depth + 1);
        if (e != 1)
            return e;
    }
    return 1;
}

int cel_equal(struct ps_cel_value a, struct ps_cel_value b, unsigned depth)
{
    if (depth > CEL_VALUE_MAX_DEPTH)
        return -1;
    if (a.kind != b.kind)
        return cel_is_numeric(a.kind) && cel_is_numeric(b.kind) && cmp_numbers(a, b) == 0;
    switch (a.kind) {
    case PS_CEL_STRING:
    case PS_CEL_BYTES:
        return a.n == b.n && cel_bytes_eq(a.v.s, b.v.s, a.n);
    case PS_CEL_INT:
        return a.v.i == b.v.i;
    case PS_CEL_NULL:
        return 1;
    case PS_CEL_LIST:
        if (a.n != b.n)
            return 0;
        for (uint32_t i = 0; i < a.n; i++) {
            int e = cel_equal(a.v.items[i], b.v.items[i], depth + 1);
            if (e != 1)
                return e;
        }
        return 1;
    case PS_CEL_MAP:
        return equal_maps(a.v.map, b.v.map, depth);
    case PS_CEL_TYPE:
        return cel_type_equal(a.v.type, b.v.type);
    case PS_CEL_OPTIONAL:
        if (!a.v.opt || !b.v.opt)
            return !a.v.opt && !b.v.opt;
        return cel_equal(*a.v.opt, *b.v.opt, depth + 1);
    case PS_CEL_ERROR:
    case PS_CEL_UNSET:
        return 0;
    default:
        return cel_compare(a, b) == 0;
    }
}

bool ps_cel_value_equal(struct ps_cel_value a, struct ps_cel_value b)
{
    return cel_equal(a, b, 0) == 1;
}

bool cel_is_zero(struct ps_cel_value v)
{
    switch (v.kind) {
    case PS_CEL_NULL:
        return true;
    case PS_CEL_BOOL:
        return !v.v.b;
    case PS_CEL_INT:
    case PS_CEL_DURATION:
        return v.v.i == 0;
    case PS_CEL_UINT:
        return v.v.u == 0;
    case PS_CEL_DOUBLE:
        return v.v.d == 0;
    case PS_CEL_STRING:
    case PS_CEL_BYTES:
    case PS_CEL_LIST:
        return v.n == 0;
    case PS_CEL_MAP:
        return v.v.map->n == 0;
    case PS_CEL_TIMESTAMP:
        return v.v.i == 0 && v.n == 0;
    case PS_CEL_OPTIONAL:
        return v.v.opt == NULL;
    default:
        return false;
    }
}

/* ---- maps ------------------------------------------------------------------------------------ */

const struct ps_cel_map cel_empty_map = {0, 0, NULL, NULL, NULL};

#define LINEAR_MAX 8

static bool key_kind_ok(uint8_t k)
{
    return k == PS_CEL_INT || k == PS_CEL_UINT || k == PS_CEL_BOOL || k == PS_CEL_STRING;
}

static uint64_t mix(uint64_t h)
{
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

/* Equal keys (1 and 1u) hash alike. */
static uint64_t key_hash(struct ps_cel_value k)
{
    switch (k.kind) {
    case PS_CEL_INT:
        return mix((uint64_t)k.v.i);
    case PS_CEL_UINT:
        return k.v.u <= (uint64_t)INT64_MAX ? mix(k.v.u) : mix(k.v.u ^ 0x5bd1e995u);
    case PS_CEL_BOOL:
        return mix(k.v.b ? 0x9e3779b9u : 0x7f4a7c15u);
    default: {
        uint64_t h = 0xcbf29ce484222325ULL;
        for (uint32_t i = 0; i < k.n; i++)
            h = (h ^ (unsigned char)k.v.s[i]) * 0x100000001b3ULL;
        return mix(h);
    }
    }
}

static bool key_eq(struct ps_cel_value a, struct ps_cel_value b)
{
    if (a.kind == PS_CEL_STRING && b.kind == PS_CEL_STRING)
        return a.n == b.n && cel_bytes_eq(a.v.s, b.v.s, a.n);
    if (a.kind == PS_CEL_BOOL || b.kind == PS_CEL_BOOL)
        return a.kind == b.kind && a.v.b == b.v.b;
    if (cel_is_numeric(a.kind) && cel_is_numeric(b.kind)) /* keys are never doubles */
        return cel_compare(a, b) == 0;
    return false;
}

static bool find_key(const struct ps_cel_map *m, struct ps_cel_value key, uint32_t *at)
{
    if (!m->hmask) {
        for (uint32_t i = 0; i < m->n; i++)
            if (key_eq(m->keys[i], key)) {
                *at = i;
                return true;
            }
        return false;
    }
    for (uint64_t h = key_hash(key);; h++) {
        uint32_t e = m->index[h & m->hmask];
        if (!e)
            return false;
        if (key_eq(m->keys[e - 1], key)) {
            *at = e - 1;
            return true;
        }
    }
}

bool cel_map_find(const struct ps_cel_map *m, struct ps_cel_value key, struct ps_cel_value *out)
{
    if (key.kind == PS_CEL_DOUBLE) {
        double d = key.v.d;
        if (d != trunc(d))
            return false;
        if (d >= -9223372036854775808.0 && d < 9223372036854775808.0)
            key = ps_cel_int((int64_t)d);
        else if (d >= 0 && d < 18446744073709551616.0)
            key = ps_cel_uint((uint64_t)d);
        else
            return false;
    }
    if (!key_kind_ok(key.kind))
        return false;
    uint32_t at;
    if (!find_key(m, key, &at))
        return false;
    if (out)
        *out = m->vals[at];
    return true;
}

struct ps_cel_map *cel_map_make(struct ps_arena *a, const struct ps_cel_value *keys,
                                    const struct ps_cel_value *vals, uint32_t n,
                                    const char **why)
{
    *why = NULL;
    struct ps_cel_map *m = ps_arena_zalloc(a, sizeof *m);
    if (!m)
        return NULL;
    m->n = n;
    m->keys = keys;
    m->vals = vals;
    for (uint32_t i = 0; i < n; i++)
        if (!key_kind_ok(keys[i].kind)) {
            *why = "unsupported map key type";
            return NULL;
        }
    if (n <= LINEAR_MAX) {
        for (uint32_t i = 1; i < n; i++)
            for (uint32_t j = 0; j < i; j++)
                if (key_eq(keys[i], keys[j])) {
                    *why = "Failed with repeated key";
                    return NULL;
                }
        return m;
    }
    uint32_t cap = 16;
    while (cap < 2 * n)
        cap *= 2;
    uint32_t *index = ps_arena_array(a, cap, sizeof *index);
    if (!index)
        return NULL;
    m->hmask = cap - 1;
    m->index = index;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t h = key_hash(keys[i]);
        for (;; h++) {
            uint32_t *slot = &index[h & m->hmask];
            if (!*slot) {
                *slot = i + 1;
                break;
            }
            if (key_eq(keys[*slot - 1], keys[i])) {
                *why = "Failed with repeated key";
                return NULL;
            }
        }
    }
    return m;
}

enum ps_err ps_cel_map_new(struct ps_arena *arena, const struct ps_cel_value *keys,
                           const struct ps_cel_value *vals, size_t n, struct ps_cel_value *out,
                           struct ps_cel_diag *diag)
{
    if (n > UINT32_MAX / 4)
        return cel_diag_set(diag, PS_ERR_LIMIT, "map too large");
    const char *why;
    struct ps_cel_map *m = cel_map_make(arena, keys, vals, (uint32_t)n, &why);
    if (!m)
        return why ? cel_diag_set(diag, PS_ERR_INVALID, "%s", why)
                   : cel_diag_set(diag, PS_ERR_NOMEM, "arena budget exhausted");
    *out = (struct ps_cel_value){.kind = PS_CEL_MAP, .v.map = m};
    return PS_OK;
}

size_t ps_cel_map_size(const struct ps_cel_map *m)
{
    return m->n;
}

struct ps_cel_value ps_cel_map_key(const struct ps_cel_map *m, size_t i)
{
    PS_ASSERT(i < m->n);
    return m->keys[i];
}

struct ps_cel_value ps_cel_map_value(const struct ps_cel_map *m, size_t i)
{
    PS_ASSERT(i < m->n);
    return m->vals[i];
}

bool ps_cel_map_get(const struct ps_cel_map *m, struct ps_cel_value key, struct ps_cel_value *out)
{
    return cel_map_find(m, key, out);
}

bool ps_cel_map_get_str(const struct ps_cel_map *m, struct ps_str key, struct ps_cel_value *out)
{
    return cel_map_find(m, ps_cel_string(key), out);
}

const char *ps_cel_error_message(struct ps_cel_value err)
{
    return err.kind == PS_CEL_ERROR && err.v.err ? err.v.err->msg : "";
}
