/* The checks the PS1 and HC1 verifiers share: the first-failure-wins error of a result, the
 * issuer's signature against the trust store (kid, alg, uses, type, signing window, issuer),
 * the CWT common claims and the validity window. The first failure sets the result's error;
 * later checks still run where they can, so an expired document with a good signature
 * reports both. */
#include <stdio.h>
#include <string.h>

#include "psv_int.h"

enum psv_error psv_vfail(struct psv_vctx *v, enum psv_error code, const char *fmt, ...)
{
    if (v->r->error.code != PSV_OK)
        return code;
    va_list ap;
    va_start(ap, fmt);
    psv_diag_vset(&v->r->error, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Copies a layer's diagnostic into the result (first failure wins). */
static enum psv_error take(struct psv_vctx *v, const struct psv_diag *d)
{
    return psv_vfail(v, d->code, "%s", d->message);
}

static enum psv_error try_key(struct psv_vctx *v, const struct psv_tkey *k,
                              const struct psv_sign1 *s, const uint8_t *tbs, size_t tbs_len,
                              struct psv_diag *d)
{
    if (k->alg != s->alg)
        return psv_fail(d, PSV_E_ALGORITHM, "kid is declared for %s, the document uses %s",
                        psv_alg_name(k->alg), psv_alg_name((int)s->alg));
    return psv_sig_verify(k->pkey, k->alg, tbs, tbs_len, s->sig, s->sig_len, 0, d);
}

/* The key was good for the signature: may it sign this type at this iat? */
static enum psv_error key_policy(struct psv_vctx *v, const struct psv_tkey *k,
                                 const char *type, size_t type_len)
{
    struct psv_result *r = v->r;
    if (type && !psv_tkey_allows_type(k, type, type_len))
        return psv_vfail(v, PSV_E_UNKNOWN_KEY, "key may not sign documents of type %.*s",
                         (int)(type_len > 64 ? 64 : type_len), type);
    /* trust-list keys: the window in which they may sign, against iat (rotation: what an old
     * key signed stays valid until it expires) */
    if (k->issuer && r->has_issued_at &&
        ((k->nbf && r->issued_at < k->nbf) || (k->exp && r->issued_at > k->exp)))
        return psv_vfail(v, PSV_E_UNKNOWN_KEY, "key was not valid for signing at iat %lld "
                         "(window %lld..%lld)", (long long)r->issued_at, (long long)k->nbf,
                         (long long)k->exp);
    /* X.509 signers (HC1): a certificate outside its validity at the clock makes the document
     * not valid now, while the signature itself checks out (the DCC test data's view) */
    if (!k->issuer && r->validity == PSV_CHECK_OK && k->exp && v->p->now > k->exp) {
        r->validity = PSV_CHECK_EXPIRED;
        v->cert_window = true;
    } else if (!k->issuer && r->validity == PSV_CHECK_OK && k->nbf && v->p->now < k->nbf) {
        r->validity = PSV_CHECK_NOT_YET_VALID;
        v->cert_window = true;
    }
    if (k->issuer && r->issuer && strcmp(k->issuer, r->issuer) != 0)
        return psv_vfail(v, PSV_E_UNKNOWN_KEY, "key belongs to issuer %s, not %s", k->issuer,
                         r->issuer);
    return PSV_OK;
}

enum psv_error psv_check_issuer_sig(struct psv_vctx *v, const struct psv_sign1 *s,
                                    const char *type, size_t type_len, unsigned use,
                                    const struct psv_tkey **key_out)
{
    struct psv_result *r = v->r;
    r->signature = PSV_CHECK_FAILED;
    if (s->alg != PSV_ALG_ES256 && s->alg != PSV_ALG_EDDSA && s->alg != PSV_ALG_PS256 &&
        s->alg != PSV_ALG_RS256)
        return psv_vfail(v, PSV_E_ALGORITHM, "alg %lld not supported", (long long)s->alg);
    if (!s->kid) {
        r->signature = PSV_CHECK_UNKNOWN_KEY;
        return psv_vfail(v, PSV_E_UNKNOWN_KEY, "no kid in the COSE headers");
    }
    r->kid_len = s->kid_len;
    memcpy(r->kid, s->kid, s->kid_len);
    uint8_t *tbs;
    size_t tbs_len, pos = 0;
    struct psv_diag d = {0};
    if (psv_sign1_tbs(v->m, s, &tbs, &tbs_len, &d) != PSV_OK)
        return take(v, &d);
    const struct psv_tkey *k;
    bool any = false;
    while ((k = psv_trust_next(v->p->trust, s->kid, s->kid_len, &pos)) != NULL) {
        if (!(k->uses & use))
            continue;
        any = true;
        struct psv_diag kd = {0};
        if (try_key(v, k, s, tbs, tbs_len, &kd) == PSV_OK) {
            if (key_out)
                *key_out = k;
            enum psv_error e = key_policy(v, k, type, type_len);
            r->signature = e == PSV_OK ? PSV_CHECK_OK : PSV_CHECK_UNKNOWN_KEY;
            return e;
        }
        if (d.code == PSV_OK || kd.code == PSV_E_SIGNATURE) /* a real try beats a mismatch */
            d = kd;
    }
    if (!any) {
        r->signature = PSV_CHECK_UNKNOWN_KEY;
        return psv_vfail(v, PSV_E_UNKNOWN_KEY, "no trusted key with this kid");
    }
    return take(v, &d);
}

/* NumericDate (RFC 8392): an integer or a float (truncated), 0 .. 2^53. */
static bool time_claim(const struct psv_item *claims, int64_t key, int64_t *out, bool *has,
                       bool *bad)
{
    const struct psv_item *it = psv_map_int(claims, key);
    if (!it)
        return false;
    if (it->type == PSV_ITEM_FLOAT && !it->ntags && it->f >= 0 && it->f < 9007199254740992.0)
        *out = (int64_t)it->f;
    else if (!psv_item_int(it, out) || *out < 0) {
        *bad = true;
        return false;
    }
    *has = true;
    return true;
}

enum psv_error psv_cwt_common(struct psv_vctx *v, const struct psv_item *claims, int64_t skew)
{
    struct psv_result *r = v->r;
    if (claims->type != PSV_ITEM_MAP || claims->ntags)
        return psv_vfail(v, PSV_E_CBOR, "CWT claims are not a map");
    const struct psv_item *iss = psv_map_int(claims, 1);
    if (iss && (iss->type != PSV_ITEM_TEXT || iss->len > 256))
        return psv_vfail(v, PSV_E_CBOR, "iss (1) is not a text of at most 256 bytes");
    if (iss && !(r->issuer = psv_strdup_item(v->m, iss)))
        return psv_vfail(v, PSV_E_CBOR, "memory budget exceeded");
    bool bad = false, has_nbf = false;
    int64_t nbf = 0;
    time_claim(claims, 6, &r->issued_at, &r->has_issued_at, &bad);
    time_claim(claims, 4, &r->expires_at, &r->has_expires_at, &bad);
    time_claim(claims, 5, &nbf, &has_nbf, &bad);
    if (bad)
        return psv_vfail(v, PSV_E_CBOR, "iat, nbf and exp must be non-negative NumericDates");
    int64_t now = v->p->now;
    if (r->has_expires_at && (v->exp_inclusive ? now > r->expires_at : now >= r->expires_at))
        r->validity = PSV_CHECK_EXPIRED;
    else if ((has_nbf && now + skew < nbf) || (r->has_issued_at && now + skew < r->issued_at))
        r->validity = PSV_CHECK_NOT_YET_VALID;
    else
        r->validity = PSV_CHECK_OK;
    return PSV_OK;
}

enum psv_error psv_report_validity(struct psv_vctx *v)
{
    if (v->r->validity == PSV_CHECK_EXPIRED)
        return v->cert_window
                   ? psv_vfail(v, PSV_E_EXPIRED, "the signer's certificate has expired")
                   : psv_vfail(v, PSV_E_EXPIRED, "expired at %lld", (long long)v->r->expires_at);
    if (v->r->validity == PSV_CHECK_NOT_YET_VALID)
        return v->cert_window
                   ? psv_vfail(v, PSV_E_NOT_YET_VALID, "the signer's certificate is not valid yet")
                   : psv_vfail(v, PSV_E_NOT_YET_VALID, "not valid before its nbf/iat");
    return PSV_OK;
}

