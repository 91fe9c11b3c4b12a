/* Bounded CBOR decoding into a tree: libcbor's streaming decoder (cbor_stream_decode) reads
 * one header at a time, never allocates, and this file builds the tree from the budgeted
 * arena with limits on depth, item count and indefinite lengths, refusing duplicate map keys
 * and trailing bytes. Also the map lookups and the CBOR -> JSON rendering of claims. */
#include <cbor.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "psv_int.h"

#define MAX_TAGS 3

/* What the callbacks saw for the one header just decoded. */
struct hdr {
    enum { H_NONE, H_UINT, H_NINT, H_BYTES, H_TEXT, H_ARRAY, H_MAP, H_IARRAY, H_IMAP, H_TAG,
           H_FLOAT, H_FALSE, H_TRUE, H_NULL, H_UNDEF, H_BREAK, H_ISTRING } kind;
    uint64_t u;
    double f;
    const uint8_t *p;
    size_t len;
};

static void cb_u8(void *c, uint8_t v) { *(struct hdr *)c = (struct hdr){.kind = H_UINT, .u = v}; }
static void cb_u16(void *c, uint16_t v) { *(struct hdr *)c = (struct hdr){.kind = H_UINT, .u = v}; }
static void cb_u32(void *c, uint32_t v) { *(struct hdr *)c = (struct hdr){.kind = H_UINT, .u = v}; }
static void cb_u64(void *c, uint64_t v) { *(struct hdr *)c = (struct hdr){.kind = H_UINT, .u = v}; }
static void cb_n8(void *c, uint8_t v) { *(struct hdr *)c = (struct hdr){.kind = H_NINT, .u = v}; }
static void cb_n16(void *c, uint16_t v) { *(struct hdr *)c = (struct hdr){.kind = H_NINT, .u = v}; }
static void cb_n32(void *c, uint32_t v) { *(struct hdr *)c = (struct hdr){.kind = H_NINT, .u = v}; }
static void cb_n64(void *c, uint64_t v) { *(struct hdr *)c = (struct hdr){.kind = H_NINT, .u = v}; }
static void cb_bytes(void *c, cbor_data p, size_t n)
{
    *(struct hdr *)c = (struct hdr){.kind = H_BYTES, .p = p, .len = n};
}
static void cb_text(void *c, cbor_data p, size_t n)
{
    *(struct hdr *)c = (struct hdr){.kind = H_TEXT, .p = p, .len = n};
}
static void cb_istr(void *c) { *(struct hdr *)c = (struct hdr){.kind = H_ISTRING}; }
static void cb_array(void *c, size_t n) { *(struct hdr *)c = (struct hdr){.kind = H_ARRAY, .len = n}; }
static void cb_map(void *c, size_t n) { *(struct hdr *)c = (struct hdr){.kind = H_MAP, .len = n}; }
static void cb_iarray(void *c) { *(struct hdr *)c = (struct hdr){.kind = H_IARRAY}; }
static void cb_imap(void *c) { *(struct hdr *)c = (struct hdr){.kind = H_IMAP}; }
static void cb_tag(void *c, uint64_t v) { *(struct hdr *)c = (struct hdr){.kind = H_TAG, .u = v}; }
static void cb_f4(void *c, float v) { *(struct hdr *)c = (struct hdr){.kind = H_FLOAT, .f = v}; }
static void cb_f8(void *c, double v) { *(struct hdr *)c = (struct hdr){.kind = H_FLOAT, .f = v}; }
static void cb_undef(void *c) { *(struct hdr *)c = (struct hdr){.kind = H_UNDEF}; }
static void cb_null(void *c) { *(struct hdr *)c = (struct hdr){.kind = H_NULL}; }
static void cb_bool(void *c, bool v) { *(struct hdr *)c = (struct hdr){.kind = v ? H_TRUE : H_FALSE}; }
static void cb_break(void *c) { *(struct hdr *)c = (struct hdr){.kind = H_BREAK}; }

static const struct cbor_callbacks CALLBACKS = {
    .uint8 = cb_u8, .uint16 = cb_u16, .uint32 = cb_u32, .uint64 = cb_u64,
    .negint8 = cb_n8, .negint16 = cb_n16, .negint32 = cb_n32, .negint64 = cb_n64,
    .byte_string_start = cb_istr, .byte_string = cb_bytes, .string = cb_text,
    .string_start = cb_istr, .indef_array_start = cb_iarray, .array_start = cb_array,
    .indef_map_start = cb_imap, .map_start = cb_map, .tag = cb_tag, .float2 = cb_f4,
    .float4 = cb_f4, .float8 = cb_f8, .undefined = cb_undef, .null = cb_null,
    .boolean = cb_bool, .indef_break = cb_break,
};

struct parser {
    struct psv_mem *m;
    const uint8_t *buf;
    size_t n, pos, items;
    const struct psv_cbor_limits *lim;
    struct psv_diag *d;
};

static enum psv_error next_header(struct parser *ps, struct hdr *h)
{
    *h = (struct hdr){.kind = H_NONE};
    if (ps->pos >= ps->n)
        return psv_fail(ps->d, PSV_E_CBOR, "CBOR truncated at byte %zu", ps->pos);
    uint8_t ib = ps->buf[ps->pos];
    if (ib >= 0xc0 && ib <= 0xd7) {
        /* libcbor 0.8's streaming decoder refuses tags 6-23 in the initial byte ("unassigned"),
         * among them COSE_Sign1's tag 18: decode one-byte tag heads here */
        h->kind = H_TAG;
        h->u = ib & 0x1f;
        ps->pos++;
        return PSV_OK;
    }
    struct cbor_decoder_result r = cbor_stream_decode(ps->buf + ps->pos, ps->n - ps->pos,
                                                      &CALLBACKS, h);
    if (r.status == CBOR_DECODER_NEDATA)
        return psv_fail(ps->d, PSV_E_CBOR, "CBOR truncated at byte %zu", ps->pos);
    if (r.status != CBOR_DECODER_FINISHED || r.read == 0 || h->kind == H_NONE)
        return psv_fail(ps->d, PSV_E_CBOR, "malformed CBOR at byte %zu", ps->pos);
    ps->pos += r.read;
    return PSV_OK;
}

static enum psv_error parse_item(struct parser *ps, unsigned depth, struct psv_item **out,
                                 bool break_ok);

static bool same_key(const struct psv_item *a, const struct psv_item *b)
{
    return a->raw_len == b->raw_len && memcmp(a->raw, b->raw, a->raw_len) == 0;
}

/* Children of an array (pairs = false) or map; count = SIZE_MAX for indefinite. */
static enum psv_error parse_children(struct parser *ps, unsigned depth, struct psv_item *it,
                                     size_t count, bool pairs)
{
    struct psv_item **link = (struct psv_item **)&it->child;
    size_t got = 0;
    for (size_t i = 0; count == SIZE_MAX || i < count * (pairs ? 2 : 1); i++) {
        struct psv_item *c = NULL;
        enum psv_error e = parse_item(ps, depth + 1, &c, count == SIZE_MAX && i % 2 == 0);
        if (e != PSV_OK)
            return e;
        if (!c) /* the break of an indefinite container */
            break;
        if (pairs && i % 2 == 0) { /* a key: unique in this map */
            for (const struct psv_item *k = it->child; k; k = k->next ? k->next->next : NULL)
                if (same_key(k, c))
                    return psv_fail(ps->d, PSV_E_CBOR, "duplicate map key at byte %zu",
                                    (size_t)(c->raw - ps->buf));
        }
        *link = c;
        link = (struct psv_item **)&c->next;
        got++;
    }
    if (pairs && got % 2)
        return psv_fail(ps->d, PSV_E_CBOR, "map with a key and no value");
    it->len = pairs ? got / 2 : got;
    return PSV_OK;
}

static enum psv_error container(struct parser *ps, unsigned depth, struct psv_item *it,
                                const struct hdr *h)
{
    bool indef = h->kind == H_IARRAY || h->kind == H_IMAP;
    bool pairs = h->kind == H_MAP || h->kind == H_IMAP;
    it->type = pairs ? PSV_ITEM_MAP : PSV_ITEM_ARRAY;
    it->indefinite = indef;
    if (indef && !ps->lim->allow_indefinite)
        return psv_fail(ps->d, PSV_E_CBOR, "indefinite-length array or map refused");
    if (depth + 1 > ps->lim->max_depth)
        return psv_fail(ps->d, PSV_E_CBOR, "CBOR nested deeper than %u", ps->lim->max_depth);
    size_t count = indef ? SIZE_MAX : h->len;
    /* every child is at least one byte: a count past the input is a lie */
    if (!indef && (count > ps->n - ps->pos || (pairs && count > (ps->n - ps->pos) / 2)))
        return psv_fail(ps->d, PSV_E_CBOR, "CBOR count %zu past the end of the input", count);
    return parse_children(ps, depth, it, count, pairs);
}

static enum psv_error scalar(struct parser *ps, struct psv_item *it, const struct hdr *h)
{
    switch (h->kind) {
    case H_UINT: it->type = PSV_ITEM_UINT; it->u = h->u; break;
    case H_NINT: it->type = PSV_ITEM_NINT; it->u = h->u; break;
    case H_BYTES: it->type = PSV_ITEM_BYTES; it->p = h->p; it->len = h->len; break;
    case H_TEXT: it->type = PSV_ITEM_TEXT; it->p = h->p; it->len = h->len; break;
    case H_FLOAT: it->type = PSV_ITEM_FLOAT; it->f = h->f; break;
    case H_FALSE: it->type = PSV_ITEM_FALSE; break;
    case H_TRUE: it->type = PSV_ITEM_TRUE; break;
    case H_NULL: it->type = PSV_ITEM_NULL; break;
    case H_UNDEF: it->type = PSV_ITEM_UNDEFINED; break;
    case H_ISTRING:
        return psv_fail(ps->d, PSV_E_CBOR, "indefinite-length string refused");
    default:
        return psv_fail(ps->d, PSV_E_CBOR, "unexpected CBOR item at byte %zu", ps->pos);
    }
    if (it->type == PSV_ITEM_TEXT && memchr(it->p, 0, it->len))
        return psv_fail(ps->d, PSV_E_CBOR, "text string with a NUL byte");
    return PSV_OK;
}

/* One item (with its tags) at ps->pos. *out NULL when a break was read and break_ok. */
static enum psv_error parse_item(struct parser *ps, unsigned depth, struct psv_item **out,
                                 bool break_ok)
{
    size_t start = ps->pos;
    if (++ps->items > ps->lim->max_items)
        return psv_fail(ps->d, PSV_E_CBOR, "more than %zu CBOR items", ps->lim->max_items);
    struct psv_item *it = psv_zalloc(ps->m, sizeof *it);
    if (!it)
        return psv_fail(ps->d, PSV_E_CBOR, "memory budget exceeded (CBOR items)");
    struct hdr h;
    enum psv_error e;
    for (;;) {
        if ((e = next_header(ps, &h)) != PSV_OK)
            return e;
        if (h.kind != H_TAG)
            break;
        if (it->ntags == MAX_TAGS)
            return psv_fail(ps->d, PSV_E_CBOR, "more than %d tags on one item", MAX_TAGS);
        if (it->ntags++ == 0)
            it->outer_tag = h.u;
        it->tag = h.u;
    }
    if (h.kind == H_BREAK) {
        if (!break_ok || it->ntags)
            return psv_fail(ps->d, PSV_E_CBOR, "unexpected break at byte %zu", start);
        *out = NULL;
        return PSV_OK;
    }
    if (h.kind == H_ARRAY || h.kind == H_MAP || h.kind == H_IARRAY || h.kind == H_IMAP)
        e = container(ps, depth, it, &h);
    else
        e = scalar(ps, it, &h);
    if (e != PSV_OK)
        return e;
    it->raw = ps->buf + start;
    it->raw_len = ps->pos - start;
    *out = it;
    return PSV_OK;
}

enum psv_error psv_cbor_parse(struct psv_mem *m, const uint8_t *buf, size_t n,
                              const struct psv_cbor_limits *lim, const struct psv_item **out,
                              struct psv_diag *d)
{
    struct parser ps = {.m = m, .buf = buf, .n = n, .lim = lim, .d = d};
    struct psv_item *it = NULL;
    enum psv_error e = parse_item(&ps, 0, &it, false);
    if (e != PSV_OK)
        return e;
    if (ps.pos != n)
        return psv_fail(d, PSV_E_CBOR, "%zu bytes after the CBOR item", n - ps.pos);
    *out = it;
    return PSV_OK;
}

bool psv_item_int(const struct psv_item *it, int64_t *out)
{
    if (!it || it->ntags)
        return false;
    if (it->type == PSV_ITEM_UINT && it->u <= INT64_MAX) {
        *out = (int64_t)it->u;
        return true;
    }
    if (it->type == PSV_ITEM_NINT && it->u <= INT64_MAX) {
        *out = -1 - (int64_t)it->u;
        return true;
    }
    return false;
}

bool psv_item_is_text(const struct psv_item *it, const char *s)
{
    size_t n = strlen(s);
    return it && it->type == PSV_ITEM_TEXT && it->len == n && memcmp(it->p, s, n) == 0;
}

const struct psv_item *psv_map_int(const struct psv_item *map, int64_t key)
{
    if (!map || map->type != PSV_ITEM_MAP)
        return NULL;
    for (const struct psv_item *k = map->child; k && k->next; k = k->next->next) {
        int64_t v;
        if (psv_item_int(k, &v) && v == key)
            return k->next;
    }
    return NULL;
}

const struct psv_item *psv_map_text(const struct psv_item *map, const char *key)
{
    if (!map || map->type != PSV_ITEM_MAP)
        return NULL;
    for (const struct psv_item *k = map->child; k && k->next; k = k->next->next)
        if (psv_item_is_text(k, key))
            return k->next;
    return NULL;
}

char *psv_strdup_item(struct psv_mem *m, const struct psv_item *text)
{
    char *s = psv_alloc(m, text->len + 1);
    if (!s)
        return NULL;
    memcpy(s, text->p, text->len);
    s[text->len] = '\0';
    return s;
}
