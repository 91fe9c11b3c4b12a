/* Token Status List (draft-ietf-oauth-status-list-18), CWT form: the Status List Token
 * (COSE_Sign1, protected typ 16 "application/statuslist+cwt"; claims 1 iss, 2 sub, 6 iat,
 * 4 exp, 65534 ttl, 65533 status_list {"bits": 1|2|4|8, "lst": zlib bytes}) parsed into an
 * immutable bit array, and the referenced token's status claim (65535 {"status_list":
 * {"idx", "uri"}}) looked up in it. */
#include <stdlib.h>
#include <string.h>

#include "psv_int.h"

#define DEFAULT_MAX_LIST (16u << 20)
#define MAX_TOKEN (1u << 20)

struct psv_status_list {
    char *iss, *uri;
    unsigned bits;
    uint8_t *lst;
    size_t lst_len;
};

void psv_status_list_free(psv_status_list *s)
{
    if (!s)
        return;
    free(s->iss);
    free(s->uri);
    free(s->lst);
    free(s);
}

int psv_status_list_get(const psv_status_list *s, uint64_t idx)
{
    if (!s || idx > (uint64_t)SIZE_MAX / 8 || idx * s->bits / 8 >= s->lst_len)
        return -1;
    uint64_t bit = idx * s->bits;
    return (s->lst[bit / 8] >> (bit % 8)) & ((1u << s->bits) - 1);
}

static char *dup_text(const struct psv_item *t)
{
    char *c = malloc(t->len + 1);
    if (c) {
        memcpy(c, t->p, t->len);
        c[t->len] = '\0';
    }
    return c;
}

static bool typ_ok(const struct psv_item *typ)
{
    return psv_item_is_text(typ, "application/statuslist+cwt") ||
           psv_item_is_text(typ, "statuslist+cwt");
}

/* Claims of a verified token into *sl (lst inflated with malloc'd copy). */
static enum psv_error read_claims(struct psv_mem *m, const struct psv_item *c,
                                  size_t max_inflated, psv_status_list *sl, struct psv_diag *d)
{
    const struct psv_item *iss = psv_map_int(c, 1), *sub = psv_map_int(c, 2);
    const struct psv_item *list = psv_map_int(c, 65533);
    const struct psv_item *bits = psv_map_text(list, "bits"), *lst = psv_map_text(list, "lst");
    int64_t b = 0;
    if (!iss || iss->type != PSV_ITEM_TEXT || !sub || sub->type != PSV_ITEM_TEXT ||
        !psv_map_int(c, 6))
        return psv_fail(d, PSV_E_TRUST_LIST, "status list needs iss (1), sub (2) and iat (6)");
    if (!psv_item_int(bits, &b) || (b != 1 && b != 2 && b != 4 && b != 8) || !lst ||
        lst->type != PSV_ITEM_BYTES)
        return psv_fail(d, PSV_E_TRUST_LIST, "status_list (65533) needs bits 1/2/4/8 and lst");
    uint8_t *raw;
    size_t n;
    struct psv_diag zd = {0};
    if (psv_inflate(m, lst->p, lst->len, max_inflated, &raw, &n, &zd) != PSV_OK)
        return psv_fail(d, PSV_E_TRUST_LIST, "status list lst: %s", zd.message);
    sl->bits = (unsigned)b;
    sl->iss = dup_text(iss);
    sl->uri = dup_text(sub);
    sl->lst = malloc(n ? n : 1);
    if (!sl->iss || !sl->uri || !sl->lst)
        return psv_fail(d, PSV_E_USAGE, "out of memory");
    memcpy(sl->lst, raw, n);
    sl->lst_len = n;
    return PSV_OK;
}

static enum psv_error check_token(const psv_trust *t, struct psv_mem *m, const struct psv_sign1 *s,
                                  const struct psv_item *claims, int64_t now, struct psv_diag *d)
{
    if (!typ_ok(s->typ))
        return psv_fail(d, PSV_E_TRUST_LIST, "status list typ (16) must be application/statuslist+cwt");
    int64_t exp;
    if (psv_map_int(claims, 4) && (!psv_item_int(psv_map_int(claims, 4), &exp) || now >= exp))
        return psv_fail(d, PSV_E_TRUST_LIST, "status list expired");
    const struct psv_item *iss = psv_map_int(claims, 1);
    uint8_t *tbs;
    size_t tbs_len, pos = 0;
    if (!s->kid || psv_sign1_tbs(m, s, &tbs, &tbs_len, d) != PSV_OK)
        return psv_fail(d, PSV_E_TRUST_LIST, "status list without kid");
    const struct psv_tkey *k;
    while ((k = psv_trust_next(t, s->kid, s->kid_len, &pos)) != NULL) {
        if (!(k->uses & PSV_USE_STATUS) || k->alg != s->alg || !iss || !k->issuer ||
            strlen(k->issuer) != iss->len || memcmp(k->issuer, iss->p, iss->len) != 0)
            continue;
        if (psv_sig_verify(k->pkey, k->alg, tbs, tbs_len, s->sig, s->sig_len, 0, NULL) == PSV_OK)
            return PSV_OK;
    }
    return psv_fail(d, PSV_E_TRUST_LIST, "status list not signed by a status-list key of its issuer");
}

enum psv_error psv_status_list_parse(const psv_trust *t, const uint8_t *cwt, size_t len,
                                     int64_t now, size_t max_inflated, psv_status_list **out,
                                     struct psv_diag *d)
{
    if (!t || !cwt || !out)
        return psv_fail(d, PSV_E_USAGE, "NULL argument");
    *out = NULL;
    if (len > MAX_TOKEN)
        return psv_fail(d, PSV_E_TRUST_LIST, "status list token over %u bytes", MAX_TOKEN);
    size_t cap = max_inflated ? max_inflated : DEFAULT_MAX_LIST;
    struct psv_mem *m = psv_mem_new(3 * len + cap + (1u << 20));
    psv_status_list *sl = calloc(1, sizeof *sl);
    const struct psv_cbor_limits lim = {.max_depth = 8, .max_items = 256};
    const struct psv_item *top, *claims;
    struct psv_sign1 s;
    struct psv_diag cd = {0};
    enum psv_error e = PSV_E_USAGE;
    if (!m || !sl)
        goto out;
    if (psv_cbor_parse(m, cwt, len, &lim, &top, &cd) != PSV_OK ||
        psv_sign1_read(m, top, &lim, 0, &s, &cd) != PSV_OK ||
        psv_cbor_parse(m, s.payload, s.payload_len, &lim, &claims, &cd) != PSV_OK ||
        claims->type != PSV_ITEM_MAP) {
        e = psv_fail(d, PSV_E_TRUST_LIST, "status list token: %s",
                     cd.message[0] ? cd.message : "claims are not a map");
        goto out;
    }
    if ((e = check_token(t, m, &s, claims, now, d)) != PSV_OK ||
        (e = read_claims(m, claims, cap, sl, d)) != PSV_OK)
        goto out;
    *out = sl;
    sl = NULL;
out:
    if (e == PSV_E_USAGE && d && d->code == PSV_OK)
        psv_fail(d, PSV_E_USAGE, "out of memory");
    psv_status_list_free(sl);
    psv_mem_free(m);
    return e;
}

enum psv_error psv_check_status(struct psv_vctx *v, const struct psv_item *claims)
{
    const struct psv_item *st = psv_map_int(claims, 65535);
    if (!st)
        return PSV_OK; /* no status mechanism: not-checked */
    const struct psv_item *ref = psv_map_text(st, "status_list");
    const struct psv_item *idx = psv_map_text(ref, "idx"), *uri = psv_map_text(ref, "uri");
    int64_t i;
    if (st->type != PSV_ITEM_MAP || !ref || !psv_item_int(idx, &i) || i < 0 || !uri ||
        uri->type != PSV_ITEM_TEXT)
        return psv_vfail(v, PSV_E_CBOR, "status (65535) must hold status_list {idx, uri}");
    const psv_status_list *sl = v->p->status;
    if (!sl || strlen(sl->uri) != uri->len || memcmp(sl->uri, uri->p, uri->len) != 0 ||
        !v->r->issuer || strcmp(sl->iss, v->r->issuer) != 0)
        return PSV_OK; /* no list for this document: not-checked */
    int val = psv_status_list_get(sl, (uint64_t)i);
    if (val < 0)
        return psv_vfail(v, PSV_E_TRUST_LIST, "status index %lld beyond the status list",
                         (long long)i);
    if (val == 0) {
        v->r->status = PSV_CHECK_OK;
        return PSV_OK;
    }
    v->r->status = val == 2 ? PSV_CHECK_SUSPENDED : PSV_CHECK_REVOKED;
    return psv_vfail(v, PSV_E_REVOKED, "the status list says %s (status %d at index %lld)",
                     val == 2 ? "suspended" : "revoked", val, (long long)i);
}
