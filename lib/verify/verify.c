/* psv_verify: the layers in order (prefix, length, base45, zlib, CBOR), then the format's
 * verifier (ps1.c, hc1.c); the names of codes and checks; freeing a result. */
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

/* Copies a layer's diagnostic into the result (first failure wins). */
static enum psv_error take(struct psv_vctx *v, const struct psv_diag *d)
{
    return psv_vfail(v, d->code, "%s", d->message);
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
