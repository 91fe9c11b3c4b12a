/* The item-extent walk over libcbor's streaming decoder: a stack of "children still to read"
 * counters, one per open array or map, bounded by max_depth; every head is one item counted
 * against max_items. Map look-ups re-walk the (already validated) children. */
#include "identity/cbor_read.h"

#include <cbor.h>
#include <string.h>

#define READ_MAX_DEPTH 32

struct head {
    enum { H_NONE, H_UINT, H_NINT, H_BYTES, H_TEXT, H_ARRAY, H_MAP, H_SIMPLE, H_BAD } kind;
    uint64_t u;
    const uint8_t *p;
    size_t len;
};

static void set(void *c, int kind, uint64_t u)
{
    *(struct head *)c = (struct head){.kind = kind, .u = u};
}
static void on_u8(void *c, uint8_t v) { set(c, H_UINT, v); }
static void on_u16(void *c, uint16_t v) { set(c, H_UINT, v); }
static void on_u32(void *c, uint32_t v) { set(c, H_UINT, v); }
static void on_u64(void *c, uint64_t v) { set(c, H_UINT, v); }
static void on_n8(void *c, uint8_t v) { set(c, H_NINT, v); }
static void on_n16(void *c, uint16_t v) { set(c, H_NINT, v); }
static void on_n32(void *c, uint32_t v) { set(c, H_NINT, v); }
static void on_n64(void *c, uint64_t v) { set(c, H_NINT, v); }
static void on_bytes(void *c, cbor_data p, size_t n)
{
    *(struct head *)c = (struct head){.kind = H_BYTES, .p = p, .len = n};
}
static void on_text(void *c, cbor_data p, size_t n)
{
    *(struct head *)c = (struct head){.kind = H_TEXT, .p = p, .len = n};
}
static void on_array(void *c, size_t n) { set(c, H_ARRAY, n); }
static void on_map(void *c, size_t n) { set(c, H_MAP, n); }
static void on_bad(void *c) { set(c, H_BAD, 0); }
static void on_tag(void *c, uint64_t v) { (void)v; set(c, H_BAD, 0); }
static void on_simple(void *c) { set(c, H_SIMPLE, 0); }
static void on_bool(void *c, bool v) { (void)v; set(c, H_SIMPLE, 0); }
static void on_float(void *c, float v) { (void)v; set(c, H_SIMPLE, 0); }
static void on_double(void *c, double v) { (void)v; set(c, H_SIMPLE, 0); }

static const struct cbor_callbacks callbacks = {
    .uint8 = on_u8, .uint16 = on_u16, .uint32 = on_u32, .uint64 = on_u64,
    .negint8 = on_n8, .negint16 = on_n16, .negint32 = on_n32, .negint64 = on_n64,
    .byte_string = on_bytes, .byte_string_start = on_bad, .string = on_text,
    .string_start = on_bad, .array_start = on_array, .indef_array_start = on_bad,
    .map_start = on_map, .indef_map_start = on_bad, .tag = on_tag, .float2 = on_float,
    .float4 = on_float, .float8 = on_double, .undefined = on_simple, .null = on_simple,
    .boolean = on_bool, .indef_break = on_bad,
};

/* One head at buf[pos..n): its kind in *h, its length in *used. */
static enum ps_err head_at(const uint8_t *buf, size_t n, size_t pos, struct head *h, size_t *used)
{
    *h = (struct head){.kind = H_NONE};
    if (pos >= n)
        return PS_ERR_INVALID;
    struct cbor_decoder_result r = cbor_stream_decode(buf + pos, n - pos, &callbacks, h);
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || h->kind == H_NONE || h->kind == H_BAD)
        return PS_ERR_INVALID;
    *used = r.read;
    return PS_OK;
}

static void fill(struct ps_cbor_val *v, const struct head *h, const uint8_t *raw, size_t used)
{
    static const enum ps_cbor_type types[] = {
        [H_UINT] = PS_CBOR_UINT, [H_NINT] = PS_CBOR_NINT, [H_BYTES] = PS_CBOR_BYTES,
        [H_TEXT] = PS_CBOR_TEXT, [H_ARRAY] = PS_CBOR_ARRAY, [H_MAP] = PS_CBOR_MAP,
        [H_SIMPLE] = PS_CBOR_SIMPLE};
    memset(v, 0, sizeof *v);
    v->type = types[h->kind];
    v->u = h->u;
    v->p = h->p;
    v->len = h->len;
    v->raw = raw;
    v->head_len = used;
}

enum ps_err ps_cbor_read(const uint8_t *buf, size_t n, unsigned max_depth, size_t max_items,
                         struct ps_cbor_val *v)
{
    uint64_t left[READ_MAX_DEPTH + 1];
    unsigned depth = 0;
    size_t pos = 0, items = 0;
    if (max_depth > READ_MAX_DEPTH)
        max_depth = READ_MAX_DEPTH;
    left[0] = 1;
    for (;;) {
        struct head h;
        size_t used;
        if (items++ >= max_items)
            return PS_ERR_LIMIT;
        if (head_at(buf, n, pos, &h, &used) != PS_OK)
            return PS_ERR_INVALID;
        if (pos == 0)
            fill(v, &h, buf, used);
        pos += used;
        left[depth]--;
        if ((h.kind == H_ARRAY || h.kind == H_MAP) && h.u > 0) {
            if (h.u > n - pos) /* every child takes at least one byte */
                return PS_ERR_INVALID;
            if (depth + 1 > max_depth)
                return PS_ERR_LIMIT;
            left[++depth] = h.kind == H_MAP ? 2 * h.u : h.u;
        }
        while (left[depth] == 0 && depth > 0)
            depth--;
        if (depth == 0 && left[0] == 0)
            break;
    }
    v->raw_len = pos;
    return PS_OK;
}

/* Walks the pairs of map, calling match(key) until it says yes; the found value in *out. */
static enum ps_err map_find(const struct ps_cbor_val *map,
                            bool (*match)(const struct ps_cbor_val *, const void *),
                            const void *arg, struct ps_cbor_val *out)
{
    if (map->type != PS_CBOR_MAP)
        return PS_ERR_INVALID;
    const uint8_t *end = map->raw + map->raw_len;
    const uint8_t *p = map->raw + map->head_len;
    size_t found = 0;
    for (uint64_t i = 0; i < map->u; i++) {
        struct ps_cbor_val k, val;
        /* the map was read whole before, so these reads cannot fail on limits */
        if (ps_cbor_read(p, (size_t)(end - p), READ_MAX_DEPTH, SIZE_MAX, &k) != PS_OK)
            return PS_ERR_INVALID;
        p += k.raw_len;
        if (ps_cbor_read(p, (size_t)(end - p), READ_MAX_DEPTH, SIZE_MAX, &val) != PS_OK)
            return PS_ERR_INVALID;
        p += val.raw_len;
        if (match(&k, arg) && found++ == 0)
            *out = val;
    }
    if (found > 1)
        return PS_ERR_INVALID;
    return found ? PS_OK : PS_ERR_NOTFOUND;
}

static bool text_is(const struct ps_cbor_val *k, const void *arg)
{
    size_t n = strlen(arg);
    return k->type == PS_CBOR_TEXT && k->len == n && memcmp(k->p, arg, n) == 0;
}

static bool int_is(const struct ps_cbor_val *k, const void *arg)
{
    int64_t v;
    return ps_cbor_get_int(k, &v) && v == *(const int64_t *)arg;
}

enum ps_err ps_cbor_map_text(const struct ps_cbor_val *map, const char *key,
                             struct ps_cbor_val *out)
{
    return map_find(map, text_is, key, out);
}

enum ps_err ps_cbor_map_int(const struct ps_cbor_val *map, int64_t key, struct ps_cbor_val *out)
{
    return map_find(map, int_is, &key, out);
}

bool ps_cbor_map_keys_unique(const struct ps_cbor_val *map)
{
    if (map->type != PS_CBOR_MAP)
        return false;
    const uint8_t *end = map->raw + map->raw_len, *p = map->raw + map->head_len;
    const uint8_t *first = p;
    for (uint64_t i = 0; i < map->u; i++) {
        struct ps_cbor_val k, v;
        if (ps_cbor_read(p, (size_t)(end - p), READ_MAX_DEPTH, SIZE_MAX, &k) != PS_OK)
            return false;
        const uint8_t *q = first;
        for (uint64_t j = 0; j < i; j++) { /* every earlier key */
            struct ps_cbor_val k2, v2;
            if (ps_cbor_read(q, (size_t)(end - q), READ_MAX_DEPTH, SIZE_MAX, &k2) != PS_OK ||
                ps_cbor_read(q + k2.raw_len, (size_t)(end - q - k2.raw_len), READ_MAX_DEPTH,
                             SIZE_MAX, &v2) != PS_OK)
                return false;
            if (k2.raw_len == k.raw_len && memcmp(k2.raw, k.raw, k.raw_len) == 0)
                return false;
            q += k2.raw_len + v2.raw_len;
        }
        p += k.raw_len;
        if (ps_cbor_read(p, (size_t)(end - p), READ_MAX_DEPTH, SIZE_MAX, &v) != PS_OK)
            return false;
        p += v.raw_len;
    }
    return true;
}

bool ps_cbor_get_int(const struct ps_cbor_val *v, int64_t *out)
{
    if (v->type == PS_CBOR_UINT && v->u <= (uint64_t)INT64_MAX) {
        *out = (int64_t)v->u;
        return true;
    }
    if (v->type == PS_CBOR_NINT && v->u <= (uint64_t)INT64_MAX) {
        *out = -1 - (int64_t)v->u;
        return true;
    }
    return false;
}
