/* psv_verify: the layers in order (prefix, length, base45, zlib, CBOR) and the checks the
 * PS1 and HC1 verifiers share: the issuer's signature against the trust store, the CWT
 * common claims and validity window, the status claim against a status list. The first
 * failure sets the result's error; later checks still run where they can, so an expired
 * document with a good signature reports both. */
#include <string.h>

#include "psv_int.h"

#define DEFAULT_BUDGET (512u * 1024)
#define DEFAULT_TEXT 8192u
#define DEFAULT_INFLATED 65536u
#define DEFAULT_DEPTH 16u
#define DEFAULT_ITEMS 2048u

const char *psv_error_name(enum psv_error c)
{
    static const char *const names[] = {
        "ok", "prefix", "base45", "decompress", "cbor", "cose", "algorithm", "unknown-key",
        "signature", "expired", "not-yet-valid", "revoked", "trust-list", "holder", "usage"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "usage";
}

const char *psv_check_name(enum psv_check c)
{
    static const char *const names[] = {"not-checked", "ok", "failed", "unknown-key",
                                        "expired", "not-yet-valid", "revoked", "suspended"};
    return (unsigned)c < sizeof names / sizeof names[0] ? names[c] : "not-checked";
}

enum psv_error psv_vfail(struct psv_vctx *v, enum psv_error code, const char *fmt, ...)
{
    struct psv_diag *d = &v->r->error;
    if (d->code != PSV_OK)
        return code;
    d->code = code;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(d->message, sizeof d->message, fmt, ap);
    va_end(ap);
    if (n < 0)
        d->message[0] = '\0';
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
    if (r->has_issued_at && ((k->nbf && r->issued_at < k->nbf) || (k->exp && r->issued_at > k->exp)))
        return psv_vfail(v, PSV_E_UNKNOWN_KEY, "key was not valid for signing at iat %lld",
                         (long long)r->issued_at);
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

static bool time_claim(const struct psv_item *claims, int64_t key, int64_t *out, bool *has,
                       bool *bad)
{
    const struct psv_item *it = psv_map_int(claims, key);
    if (!it)
        return false;
    if (!psv_item_int(it, out) || *out < 0) {
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
        return psv_vfail(v, PSV_E_CBOR, "iat, nbf and exp must be non-negative integers");
    int64_t now = v->p->now;
    if (r->has_expires_at && now >= r->expires_at)
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
        return psv_vfail(v, PSV_E_EXPIRED, "expired at %lld", (long long)v->r->expires_at);
    if (v->r->validity == PSV_CHECK_NOT_YET_VALID)
        return psv_vfail(v, PSV_E_NOT_YET_VALID, "not valid before its nbf/iat");
    return PSV_OK;
}

static void set_defaults(const struct psv_params *p, struct psv_limits *l)
{
    *l = p->limits;
    if (!l->max_text) l->max_text = DEFAULT_TEXT;
    if (!l->max_inflated) l->max_inflated = DEFAULT_INFLATED;
    if (!l->max_depth) l->max_depth = DEFAULT_DEPTH;
    if (!l->max_items) l->max_items = DEFAULT_ITEMS;
}

/* prefix .. CBOR: fills *top. */
static enum psv_error decode(struct psv_vctx *v, const struct psv_limits *l, const char *text,
                             size_t len, const struct psv_item **top)
{
    struct psv_diag d = {0};
    if (len < 4 || (memcmp(text, "PS1:", 4) != 0 && memcmp(text, "HC1:", 4) != 0))
        return psv_vfail(v, PSV_E_PREFIX, "payload does not start with PS1: or HC1:");
    v->r->format = text[0] == 'P' ? PSV_FORMAT_PS1 : PSV_FORMAT_HC1;
    if (len > l->max_text)
        return psv_vfail(v, PSV_E_BASE45, "payload of %zu characters is over the limit of %zu",
                         len, l->max_text);
    size_t cap = psv_base45_decoded_len(len - 4), n = 0;
    uint8_t *raw = psv_alloc(v->m, cap), *infl = NULL;
    if (!raw)
        return psv_vfail(v, PSV_E_BASE45, "memory budget exceeded");
    if (psv_base45_decode(text + 4, len - 4, raw, cap, &n) != PSV_OK)
        return psv_vfail(v, PSV_E_BASE45, "invalid base45 (alphabet, length or group value)");
    size_t infl_len = 0;
    if (psv_inflate(v->m, raw, n, l->max_inflated, &infl, &infl_len, &d) != PSV_OK)
        return take(v, &d);
    v->lim = (struct psv_cbor_limits){.max_depth = l->max_depth, .max_items = l->max_items,
                                      .allow_indefinite = v->r->format == PSV_FORMAT_HC1};
    if (psv_cbor_parse(v->m, infl, infl_len, &v->lim, top, &d) != PSV_OK)
        return take(v, &d);
    return PSV_OK;
}

enum psv_error psv_verify(const struct psv_params *p, const char *text, size_t len,
                          struct psv_result *out)
{
    if (!out)
        return PSV_E_USAGE;
    *out = (struct psv_result){0};
    struct psv_vctx v = {.p = p, .r = out};
    if (!p || !p->trust || !text)
        return psv_vfail(&v, PSV_E_USAGE, "params, params->trust and text are required");
    struct psv_limits l;
    set_defaults(p, &l);
    size_t budget = p->mem_budget ? p->mem_budget : DEFAULT_BUDGET;
    if (!(v.m = psv_mem_new(budget)))
        return psv_vfail(&v, PSV_E_USAGE, "memory budget too small or out of memory");
    out->priv_ = v.m;
    out->format_check = PSV_CHECK_FAILED;
    const struct psv_item *top = NULL;
    if (decode(&v, &l, text, len, &top) == PSV_OK) {
        if (out->format == PSV_FORMAT_PS1)
            (void)psv_ps1_verify(&v, top);
        else
            (void)psv_hc1_verify(&v, top);
    }
    out->budget_exceeded = v.m->exceeded;
    out->mem_used = v.m->used;
    out->valid = out->error.code == PSV_OK;
    return out->error.code;
}

void psv_result_free(struct psv_result *out)
{
    if (!out)
        return;
    psv_mem_free(out->priv_);
    out->priv_ = NULL;
    out->claims = NULL;
    out->claims_json = NULL;
    out->issuer = NULL;
    out->doc_type = NULL;
}
