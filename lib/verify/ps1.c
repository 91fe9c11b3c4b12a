/* PS1: PocketState presentations (docs/formats/ps1.md). Two shapes after base45 + zlib:
 *  - a COSE_Sign1 by the issuer: a server-made presentation (claims in clear, "claims" map,
 *    lifetime at most 180 s);
 *  - a map {"c": credential, "d": [disclosures], "h": holder COSE_Sign1}: made offline by the
 *    phone from the issuer-signed credential (salted digests "sd", holder key "cnf"), the
 *    disclosures of the chosen claims, and an ES256 signature by the holder key over a fresh
 *    window (at most 180 s) and the credential's hash. */
#include <openssl/sha.h>
#include <string.h>

#include "psv_int.h"

#define MAX_LIFETIME 180
#define SKEW 60
#define MAX_DISCLOSURES 64
#define MAX_DIGESTS 256

/* "type": the document type, 1-128 bytes. */
static enum psv_error doc_type(struct psv_vctx *v, const struct psv_item *claims)
{
    const struct psv_item *t = psv_map_text(claims, "type");
    if (!t || t->type != PSV_ITEM_TEXT || t->len == 0 || t->len > 128)
        return psv_vfail(v, PSV_E_CBOR, "\"type\" must be a text of 1-128 bytes");
    if (!(v->r->doc_type = psv_strdup_item(v->m, t)))
        return psv_vfail(v, PSV_E_CBOR, "memory budget exceeded");
    return PSV_OK;
}

static enum psv_error set_claims(struct psv_vctx *v, const struct psv_item *map)
{
    struct psv_diag d = {0};
    char *json;
    v->r->claims = map;
    if (psv_item_json(v->m, map, &json, &v->r->claims_json_len, &d) != PSV_OK)
        return psv_vfail(v, d.code, "%s", d.message);
    v->r->claims_json = json;
    return PSV_OK;
}

/* Reads a COSE_Sign1 item and its CWT claims map. */
static enum psv_error sign1_claims(struct psv_vctx *v, const struct psv_item *it,
                                   struct psv_sign1 *s, const struct psv_item **claims)
{
    struct psv_diag d = {0};
    if (psv_sign1_read(v->m, it, &v->lim, 0, s, &d) != PSV_OK ||
        psv_cbor_parse(v->m, s->payload, s->payload_len, &v->lim, claims, &d) != PSV_OK)
        return psv_vfail(v, d.code, "%s", d.message);
    return PSV_OK;
}

static bool text_keys_only(const struct psv_item *map)
{
    for (const struct psv_item *k = map->child; k && k->next; k = k->next->next)
        if (k->type != PSV_ITEM_TEXT || k->len == 0 || k->len > 64)
            return false;
    return true;
}

static enum psv_error server_presentation(struct psv_vctx *v, const struct psv_item *top)
{
    struct psv_result *r = v->r;
    struct psv_sign1 s;
    const struct psv_item *claims;
    enum psv_error e;
    if ((e = sign1_claims(v, top, &s, &claims)) != PSV_OK ||
        (e = psv_cwt_common(v, claims, SKEW)) != PSV_OK || (e = doc_type(v, claims)) != PSV_OK)
        return e;
    if (psv_map_text(claims, "sd"))
        return psv_vfail(v, PSV_E_HOLDER, "a credential is shown only with a holder signature");
    const struct psv_item *shown = psv_map_text(claims, "claims");
    if (!shown || shown->type != PSV_ITEM_MAP || !text_keys_only(shown))
        return psv_vfail(v, PSV_E_CBOR, "\"claims\" must be a map with text names of 1-64 bytes");
    if (!r->has_issued_at || !r->has_expires_at || r->expires_at <= r->issued_at ||
        r->expires_at - r->issued_at > MAX_LIFETIME)
        return psv_vfail(v, PSV_E_CBOR, "a presentation needs iat and exp at most %d s apart",
                         MAX_LIFETIME);
    if ((e = set_claims(v, shown)) != PSV_OK)
        return e;
    r->format_check = PSV_CHECK_OK;
    (void)psv_check_issuer_sig(v, &s, r->doc_type, strlen(r->doc_type), PSV_USE_DOCUMENTS, NULL);
    (void)psv_report_validity(v);
    (void)psv_check_status(v, claims);
    return r->error.code;
}

static bool digest_listed(const struct psv_item *sd, const uint8_t h[32])
{
    for (const struct psv_item *c = sd->child; c; c = c->next)
        if (c->len == 32 && memcmp(c->p, h, 32) == 0)
            return true;
    return false;
}

/* One disclosure bstr: [salt, name, value] whose digest the credential lists. Appends the
 * name and a copy of the value to the synthetic claims map (tail link in *link). */
static enum psv_error disclose(struct psv_vctx *v, const struct psv_item *db,
                               const struct psv_item *sd, struct psv_item *map,
                               struct psv_item ***link)
{
    struct psv_diag d = {0};
    uint8_t h[32];
    const struct psv_item *arr;
    SHA256(db->p, db->len, h);
    if (!digest_listed(sd, h))
        return psv_vfail(v, PSV_E_SIGNATURE, "a disclosure's digest is not in the credential");
    if (psv_cbor_parse(v->m, db->p, db->len, &v->lim, &arr, &d) != PSV_OK)
        return psv_vfail(v, d.code, "disclosure: %s", d.message);
    const struct psv_item *salt = arr->child, *name = salt ? salt->next : NULL;
    if (arr->type != PSV_ITEM_ARRAY || arr->len != 3 || salt->type != PSV_ITEM_BYTES ||
        salt->len < 16 || salt->len > 64 || name->type != PSV_ITEM_TEXT || name->len == 0 ||
        name->len > 64)
        return psv_vfail(v, PSV_E_CBOR, "a disclosure is [salt (16-64 bytes), name, value]");
    for (const struct psv_item *k = map->child; k; k = k->next->next)
        if (k->len == name->len && memcmp(k->p, name->p, name->len) == 0)
            return psv_vfail(v, PSV_E_CBOR, "claim %.*s disclosed twice", (int)name->len,
                             (const char *)name->p);
    struct psv_item *key = psv_alloc(v->m, sizeof *key), *val = psv_alloc(v->m, sizeof *val);
    if (!key || !val)
        return psv_vfail(v, PSV_E_CBOR, "memory budget exceeded");
    *key = *name;
    *val = *name->next;
    key->next = val;
    val->next = NULL;
    **link = key;
    *link = (struct psv_item **)&val->next;
    map->len++;
    return PSV_OK;
}

static enum psv_error disclosures(struct psv_vctx *v, const struct psv_item *cred,
                                  const struct psv_item *list)
{
    const struct psv_item *sd = psv_map_text(cred, "sd");
    if (!sd || sd->type != PSV_ITEM_ARRAY || sd->len > MAX_DIGESTS)
        return psv_vfail(v, PSV_E_CBOR, "credential \"sd\" must be an array of digests");
    for (const struct psv_item *c = sd->child; c; c = c->next)
        if (c->type != PSV_ITEM_BYTES || c->len != 32)
            return psv_vfail(v, PSV_E_CBOR, "an \"sd\" digest is not 32 bytes");
    if (list->type != PSV_ITEM_ARRAY || list->len > MAX_DISCLOSURES)
        return psv_vfail(v, PSV_E_CBOR, "\"d\" must be an array of at most %d disclosures",
                         MAX_DISCLOSURES);
    struct psv_item *map = psv_zalloc(v->m, sizeof *map);
    if (!map)
        return psv_vfail(v, PSV_E_CBOR, "memory budget exceeded");
    map->type = PSV_ITEM_MAP;
    struct psv_item **link = (struct psv_item **)&map->child;
    for (const struct psv_item *db = list->child; db; db = db->next) {
        if (db->type != PSV_ITEM_BYTES)
            return psv_vfail(v, PSV_E_CBOR, "a disclosure is not a byte string");
        enum psv_error e = disclose(v, db, sd, map, &link);
        if (e != PSV_OK)
            return e;
    }
    return set_claims(v, map);
}

/* The holder's COSE_Sign1: ES256 by the cnf key over {6 iat, 4 exp, "ch" SHA-256(cred)}. */
static enum psv_error holder_check(struct psv_vctx *v, const struct psv_item *cred_claims,
                                   const struct psv_item *cbytes, const struct psv_item *h)
{
    struct psv_result *r = v->r;
    struct psv_sign1 s;
    struct psv_diag d = {0};
    const struct psv_item *hc;
    r->holder = PSV_CHECK_FAILED;
    if (psv_sign1_read(v->m, h, &v->lim, 0, &s, &d) != PSV_OK ||
        psv_cbor_parse(v->m, s.payload, s.payload_len, &v->lim, &hc, &d) != PSV_OK)
        return psv_vfail(v, PSV_E_HOLDER, "holder part: %s", d.message);
    int64_t iat, exp;
    const struct psv_item *ch = psv_map_text(hc, "ch");
    uint8_t hash[32];
    SHA256(cbytes->p, cbytes->len, hash);
    if (!psv_item_int(psv_map_int(hc, 6), &iat) || !psv_item_int(psv_map_int(hc, 4), &exp) ||
        !ch || ch->type != PSV_ITEM_BYTES || ch->len != 32)
        return psv_vfail(v, PSV_E_HOLDER, "holder claims need iat (6), exp (4) and \"ch\"");
    if (memcmp(ch->p, hash, 32) != 0)
        return psv_vfail(v, PSV_E_HOLDER, "holder signature is for another credential");
    if (exp <= iat || exp - iat > MAX_LIFETIME || v->p->now >= exp || v->p->now + SKEW < iat)
        return psv_vfail(v, PSV_E_HOLDER, "outside the holder's window (iat %lld, exp %lld)",
                         (long long)iat, (long long)exp);
    if (s.alg != PSV_ALG_ES256)
        return psv_vfail(v, PSV_E_HOLDER, "holder alg must be ES256");
    const struct psv_item *cnf = psv_map_int(psv_map_int(cred_claims, 8), 1);
    struct psv_cose_key key;
    if (psv_cose_key_from_item(cnf, &key, &d) != PSV_OK)
        return psv_vfail(v, PSV_E_HOLDER, "credential cnf: %s", d.message);
    uint8_t *tbs;
    size_t tbs_len;
    enum psv_error e = PSV_E_ALGORITHM;
    if (key.alg == 0 || key.alg == PSV_ALG_ES256) {
        e = psv_sign1_tbs(v->m, &s, &tbs, &tbs_len, &d);
        if (e == PSV_OK && psv_alg_fits_pkey(PSV_ALG_ES256, key.pkey))
            e = psv_sig_verify(key.pkey, PSV_ALG_ES256, tbs, tbs_len, s.sig, s.sig_len, 0, &d);
        else if (e == PSV_OK)
            e = PSV_E_ALGORITHM;
    }
    EVP_PKEY_free(key.pkey);
    if (e != PSV_OK)
        return psv_vfail(v, PSV_E_HOLDER, "holder signature not valid with the cnf key");
    r->holder = PSV_CHECK_OK;
    return PSV_OK;
}

static enum psv_error holder_presentation(struct psv_vctx *v, const struct psv_item *top)
{
    struct psv_result *r = v->r;
    const struct psv_item *c = psv_map_text(top, "c"), *dl = psv_map_text(top, "d");
    const struct psv_item *h = psv_map_text(top, "h"), *cred, *claims;
    if (top->len != 3 || !c || c->type != PSV_ITEM_BYTES || !dl || !h)
        return psv_vfail(v, PSV_E_CBOR, "a holder presentation is {\"c\", \"d\", \"h\"}");
    struct psv_diag d = {0};
    struct psv_sign1 s;
    enum psv_error e;
    if (psv_cbor_parse(v->m, c->p, c->len, &v->lim, &cred, &d) != PSV_OK)
        return psv_vfail(v, d.code, "credential: %s", d.message);
    if ((e = sign1_claims(v, cred, &s, &claims)) != PSV_OK ||
        (e = psv_cwt_common(v, claims, SKEW)) != PSV_OK || (e = doc_type(v, claims)) != PSV_OK)
        return e;
    if (!psv_map_int(claims, 8))
        return psv_vfail(v, PSV_E_CBOR, "credential without cnf (8)");
    if ((e = disclosures(v, claims, dl)) != PSV_OK)
        return e;
    r->format_check = PSV_CHECK_OK;
    (void)psv_check_issuer_sig(v, &s, r->doc_type, strlen(r->doc_type), PSV_USE_DOCUMENTS, NULL);
    (void)psv_report_validity(v);
    (void)holder_check(v, claims, c, h);
    (void)psv_check_status(v, claims);
    return r->error.code;
}

enum psv_error psv_ps1_verify(struct psv_vctx *v, const struct psv_item *top)
{
    if (top->type == PSV_ITEM_MAP && !top->ntags)
        return holder_presentation(v, top);
    return server_presentation(v, top);
}
