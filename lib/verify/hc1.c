/* HC1: EU Digital COVID Certificates. COSE_Sign1 (ES256 or PS256) whose CWT claims hold the
 * certificate under -260 ("hcert") key 1; the signer is found by kid (first 8 bytes of
 * SHA-256 of its certificate) among X.509 signers or trust-list keys allowed type "eu.dcc".
 * Claims are the certificate object exactly as encoded (order, types). */
#include "psv_int.h"

#define HC1_TYPE "eu.dcc"

enum psv_error psv_hc1_verify(struct psv_vctx *v, const struct psv_item *top)
{
    struct psv_result *r = v->r;
    v->exp_inclusive = true;
    struct psv_sign1 s;
    struct psv_diag d = {0};
    const struct psv_item *claims;
    if (psv_sign1_read(v->m, top, &v->lim, PSV_SIGN1_ALG_UNPROTECTED, &s, &d) != PSV_OK ||
        psv_cbor_parse(v->m, s.payload, s.payload_len, &v->lim, &claims, &d) != PSV_OK)
        return psv_vfail(v, d.code, "%s", d.message);
    enum psv_error e = psv_cwt_common(v, claims, 0);
    if (e != PSV_OK)
        return e;
    const struct psv_item *hcert = psv_map_int(claims, -260);
    const struct psv_item *dgc = psv_map_int(hcert, 1);
    if (!dgc || dgc->type != PSV_ITEM_MAP)
        return psv_vfail(v, PSV_E_CBOR, "no certificate map at claim -260 key 1");
    r->claims = dgc;
    char *json;
    if (psv_item_json(v->m, dgc, &json, &r->claims_json_len, &d) != PSV_OK)
        return psv_vfail(v, d.code, "%s", d.message);
    r->claims_json = json;
    r->format_check = PSV_CHECK_OK;
    (void)psv_check_issuer_sig(v, &s, HC1_TYPE, sizeof HC1_TYPE - 1, PSV_USE_DOCUMENTS, NULL);
    (void)psv_report_validity(v);
    return r->error.code;
}
