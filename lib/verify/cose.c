/* COSE_Sign1 (RFC 9052 section 4.2) structure reading and the Sig_structure to be signed.
 * Header rules: alg (1) an integer in the protected header (HC1 also accepts it unprotected); kid (4) a bstr in either header
 * (the protected one wins when both carry it, as the EU DCC test data expects); crit (2)
 * only in the protected header, a non-empty array of labels that are all present and
 * understood; content type (3) and typ (16) an integer or text; no other label in both. */
#include <string.h>

#include "psv_int.h"

static bool label_known(int64_t l)
{
    return l == 1 || l == 2 || l == 3 || l == 4 || l == 16;
}

static enum psv_error check_crit(const struct psv_item *prot, const struct psv_item *crit,
                                 struct psv_diag *d)
{
    if (crit->type != PSV_ITEM_ARRAY || crit->len == 0)
        return psv_fail(d, PSV_E_COSE, "crit must be a non-empty array");
    for (const struct psv_item *c = crit->child; c; c = c->next) {
        int64_t l;
        if (c->type == PSV_ITEM_TEXT)
            return psv_fail(d, PSV_E_COSE, "unknown critical header \"%.*s\"",
                            (int)(c->len > 40 ? 40 : c->len), (const char *)c->p);
        if (!psv_item_int(c, &l))
            return psv_fail(d, PSV_E_COSE, "crit label is not an integer or text");
        if (!label_known(l) || l == 2)
            return psv_fail(d, PSV_E_COSE, "unknown critical header %lld", (long long)l);
        if (!psv_map_int(prot, l))
            return psv_fail(d, PSV_E_COSE, "critical header %lld is absent", (long long)l);
    }
    return PSV_OK;
}

/* Types of the known labels in one header bucket. */
static enum psv_error check_bucket(const struct psv_item *map, bool is_protected,
                                   unsigned flags, struct psv_diag *d)
{
    for (const struct psv_item *k = map->child; k && k->next; k = k->next->next) {
        const struct psv_item *v = k->next;
        int64_t l, iv;
        if (k->type == PSV_ITEM_TEXT)
            continue;
        if (!psv_item_int(k, &l))
            return psv_fail(d, PSV_E_COSE, "header label is not an integer or text");
        if (l == 1 && !psv_item_int(v, &iv))
            return psv_fail(d, PSV_E_COSE, "alg is not an integer");
        if (l == 1 && !is_protected && !(flags & PSV_SIGN1_ALG_UNPROTECTED))
            return psv_fail(d, PSV_E_COSE, "alg must be in the protected header");
        if (l == 2 && !is_protected)
            return psv_fail(d, PSV_E_COSE, "crit must be in the protected header");
        if (l == 4 && (v->type != PSV_ITEM_BYTES || v->ntags || v->len == 0 || v->len > 64))
            return psv_fail(d, PSV_E_COSE, "kid must be a byte string of 1-64 bytes");
        if ((l == 3 || l == 16) && !psv_item_int(v, &iv) && v->type != PSV_ITEM_TEXT)
            return psv_fail(d, PSV_E_COSE, "content type / typ must be an integer or text");
    }
    return PSV_OK;
}

static enum psv_error read_headers(struct psv_mem *m, const struct psv_item *ph,
                                   const struct psv_item *uh,
                                   const struct psv_cbor_limits *lim, unsigned flags,
                                   struct psv_sign1 *s, struct psv_diag *d)
{
    static const uint8_t empty_map[] = {0xa0};
    const uint8_t *pb = ph->len ? ph->p : empty_map;
    size_t pl = ph->len ? ph->len : 1;
    struct psv_cbor_limits hl = *lim;
    hl.allow_indefinite = false;
    struct psv_diag inner = {0};
    enum psv_error e = psv_cbor_parse(m, pb, pl, &hl, &s->protected_map, &inner);
    if (e != PSV_OK)
        return psv_fail(d, PSV_E_COSE, "protected header: %s", inner.message);
    if (s->protected_map->type != PSV_ITEM_MAP || s->protected_map->ntags)
        return psv_fail(d, PSV_E_COSE, "protected header is not a map");
    if (uh->type != PSV_ITEM_MAP || uh->ntags)
        return psv_fail(d, PSV_E_COSE, "unprotected header is not a map");
    if ((e = check_bucket(s->protected_map, true, flags, d)) != PSV_OK ||
        (e = check_bucket(uh, false, flags, d)) != PSV_OK)
        return e;
    for (const struct psv_item *k = uh->child; k && k->next; k = k->next->next) {
        int64_t l;
        if (psv_item_int(k, &l) && l != 4 && psv_map_int(s->protected_map, l))
            return psv_fail(d, PSV_E_COSE, "header %lld in both buckets", (long long)l);
    }
    const struct psv_item *crit = psv_map_int(s->protected_map, 2);
    if (crit && (e = check_crit(s->protected_map, crit, d)) != PSV_OK)
        return e;
    const struct psv_item *alg = psv_map_int(s->protected_map, 1);
    if (!alg && (flags & PSV_SIGN1_ALG_UNPROTECTED))
        alg = psv_map_int(uh, 1);
    if (!psv_item_int(alg, &s->alg))
        return psv_fail(d, PSV_E_COSE, "no alg in the protected header");
    const struct psv_item *kid = psv_map_int(s->protected_map, 4);
    if (!kid)
        kid = psv_map_int(uh, 4);
    if (kid) {
        s->kid = kid->p;
        s->kid_len = kid->len;
    }
    s->typ = psv_map_int(s->protected_map, 16);
    s->protected_raw = ph->p;
    s->protected_len = ph->len;
    s->unprotected = uh;
    return PSV_OK;
}

enum psv_error psv_sign1_read(struct psv_mem *m, const struct psv_item *it,
                              const struct psv_cbor_limits *lim, unsigned flags,
                              struct psv_sign1 *s, struct psv_diag *d)
{
    *s = (struct psv_sign1){0};
    bool tags_ok = it->ntags == 0 || (it->ntags == 1 && it->tag == 18) ||
                   (it->ntags == 2 && it->outer_tag == 61 && it->tag == 18);
    if (!tags_ok)
        return psv_fail(d, PSV_E_COSE, "not a COSE_Sign1 (tag %llu)",
                        (unsigned long long)it->tag);
    if (it->type != PSV_ITEM_ARRAY || it->len != 4)
        return psv_fail(d, PSV_E_COSE, "COSE_Sign1 must be an array of 4 items");
    const struct psv_item *ph = it->child, *uh = ph->next, *pl = uh->next, *sig = pl->next;
    if (ph->type != PSV_ITEM_BYTES || ph->ntags)
        return psv_fail(d, PSV_E_COSE, "protected header is not a byte string");
    if (pl->type != PSV_ITEM_BYTES || pl->ntags)
        return psv_fail(d, PSV_E_COSE, "payload is not a byte string (detached payloads "
                                       "are not supported)");
    if (sig->type != PSV_ITEM_BYTES || sig->ntags)
        return psv_fail(d, PSV_E_COSE, "signature is not a byte string");
    enum psv_error e = read_headers(m, ph, uh, lim, flags, s, d);
    if (e != PSV_OK)
        return e;
    s->payload = pl->p;
    s->payload_len = pl->len;
    s->sig = sig->p;
    s->sig_len = sig->len;
    return PSV_OK;
}

/* CBOR head of major type mt with argument v; returns bytes written (<= 9). */
static size_t head(uint8_t *o, uint8_t mt, uint64_t v)
{
    mt = (uint8_t)(mt << 5);
    if (v < 24) { o[0] = mt | (uint8_t)v; return 1; }
    if (v <= 0xff) { o[0] = mt | 24; o[1] = (uint8_t)v; return 2; }
    if (v <= 0xffff) { o[0] = mt | 25; o[1] = (uint8_t)(v >> 8); o[2] = (uint8_t)v; return 3; }
    if (v <= 0xffffffffu) {
        o[0] = mt | 26;
        for (int i = 0; i < 4; i++) o[1 + i] = (uint8_t)(v >> (24 - 8 * i));
        return 5;
    }
    o[0] = mt | 27;
    for (int i = 0; i < 8; i++) o[1 + i] = (uint8_t)(v >> (56 - 8 * i));
    return 9;
}

enum psv_error psv_sign1_tbs(struct psv_mem *m, const struct psv_sign1 *s, uint8_t **out,
                             size_t *out_len, struct psv_diag *d)
{
    static const uint8_t start[] = {0x84, 0x6a, 'S', 'i', 'g', 'n', 'a', 't', 'u', 'r', 'e', '1'};
    size_t total = sizeof start + 9 + s->protected_len + 1 + 9 + s->payload_len;
    uint8_t *b = psv_alloc(m, total);
    if (!b)
        return psv_fail(d, PSV_E_COSE, "memory budget exceeded (Sig_structure)");
    size_t o = 0;
    memcpy(b, start, sizeof start);
    o += sizeof start;
    o += head(b + o, 2, s->protected_len);
    memcpy(b + o, s->protected_raw, s->protected_len);
    o += s->protected_len;
    b[o++] = 0x40; /* external_aad: empty */
    o += head(b + o, 2, s->payload_len);
    memcpy(b + o, s->payload, s->payload_len);
    o += s->payload_len;
    *out = b;
    *out_len = o;
    return PSV_OK;
}
