/* The two WebAuthn ceremonies (sections 7.1 and 7.2) in the specification's order, on the
 * shared checks of webauthn_data.c: registration with "none" or "packed" self attestation,
 * and authentication of a discoverable credential against its stored record. */
#include <sodium.h>
#include <string.h>

#include "identity/cbor_read.h"
#include "identity/webauthn_int.h"

static enum ps_err nomem(struct ps_id_diag *diag)
{
    return ps_id_fail(diag, PS_ID_INTERNAL, "out of memory");
}

static void check_expect(const struct ps_webauthn_expect *exp)
{
    /* the caller's own values: misuse aborts (STYLE.md), it is never the client's fault */
    PS_ASSERT(exp->rp_id.len > 0 && exp->norigins > 0 && exp->origins);
    PS_ASSERT(exp->challenge.len >= PS_WEBAUTHN_CHALLENGE_MIN &&
              exp->challenge.len <= PS_WEBAUTHN_CHALLENGE_MAX);
}

enum ps_err ps_webauthn_challenge_of(struct ps_arena *a, struct ps_str response_json,
                                     struct ps_bytes *challenge, struct ps_id_diag *diag)
{
    struct wa_response r;
    struct ps_webauthn_client_data c;
    *challenge = (struct ps_bytes){NULL, 0};
    enum ps_err e = wa_response_read(a, response_json, &r, diag);
    if (e == PS_OK)
        e = ps_webauthn_client_data_parse(a, r.client_data, &c, diag);
    if (e != PS_OK)
        return e;
    e = ps_b64url_decode(a, c.challenge, PS_WEBAUTHN_CHALLENGE_MAX, challenge);
    if (e == PS_ERR_NOMEM)
        return nomem(diag);
    if (e != PS_OK || challenge->len < PS_WEBAUTHN_CHALLENGE_MIN)
        return ps_id_fail(diag, PS_ID_WA_BAD_CHALLENGE,
                          "the challenge is not base64url of %d..%d bytes",
                          PS_WEBAUTHN_CHALLENGE_MIN, PS_WEBAUTHN_CHALLENGE_MAX);
    ps_id_diag_clear(diag);
    return PS_OK;
}

/* ---- registration ---- */

struct reg {
    struct ps_arena *a;
    const struct ps_webauthn_expect *exp;
    struct ps_id_diag *diag;
    struct wa_response r;
    uint8_t cd_hash[32];
    struct ps_bytes att_obj, auth;
    struct ps_cbor_val fmt, stmt;
    struct ps_webauthn_auth_data ad;
    psv_cose_key *key;
    int alg;
};

/* attestationObject: a CBOR map with fmt (text), attStmt (map) and authData (bytes). */
static enum ps_err read_att_obj(struct reg *g)
{
    struct ps_cbor_val m, ad;
    enum ps_err e = wa_member_b64(g->a, g->r.response, "attestationObject",
                                  PS_WEBAUTHN_ATT_OBJ_MAX, true, &g->att_obj, g->diag);
    if (e != PS_OK)
        return e;
    e = ps_cbor_read(g->att_obj.p, g->att_obj.len, PS_WEBAUTHN_CBOR_DEPTH, PS_WEBAUTHN_CBOR_ITEMS,
                     &m);
    if (e == PS_ERR_LIMIT)
        return ps_id_fail(g->diag, PS_ID_WA_LIMIT, "attestationObject: CBOR over its limits");
    if (e != PS_OK || m.type != PS_CBOR_MAP || m.raw_len != g->att_obj.len ||
        !ps_cbor_map_keys_unique(&m))
        return ps_id_fail(g->diag, PS_ID_WA_MALFORMED,
                          "attestationObject is not one CBOR map with distinct keys");
    if (ps_cbor_map_text(&m, "fmt", &g->fmt) != PS_OK || g->fmt.type != PS_CBOR_TEXT ||
        ps_cbor_map_text(&m, "attStmt", &g->stmt) != PS_OK || g->stmt.type != PS_CBOR_MAP ||
        ps_cbor_map_text(&m, "authData", &ad) != PS_OK || ad.type != PS_CBOR_BYTES)
        return ps_id_fail(g->diag, PS_ID_WA_MALFORMED,
                          "attestationObject needs fmt (text), attStmt (map), authData (bytes)");
    g->auth = (struct ps_bytes){ad.p, ad.len};
    return ps_webauthn_auth_data_parse(g->auth, &g->ad, g->diag);
}

static enum ps_err check_credential(struct reg *g)
{
    enum ps_err e = wa_auth_data_check(&g->ad, g->exp, g->diag);
    if (e != PS_OK)
        return e;
    if (!g->ad.has_credential)
        return ps_id_fail(g->diag, PS_ID_WA_NO_CREDENTIAL_DATA, "no attested credential data");
    if (g->ad.credential_id.len != g->r.raw_id.len ||
        memcmp(g->ad.credential_id.p, g->r.raw_id.p, g->r.raw_id.len) != 0)
        return ps_id_fail(g->diag, PS_ID_WA_CREDENTIAL_ID,
                          "rawId is not the credential ID in the authenticator data");
    if ((e = wa_key_open(g->ad.public_key, &g->key, &g->alg, g->diag)) != PS_OK)
        return e;
    static const int def[] = {PS_WEBAUTHN_ES256, PS_WEBAUTHN_EDDSA, PS_WEBAUTHN_RS256};
    const int *algs = g->exp->algs ? g->exp->algs : def;
    size_t n = g->exp->algs ? g->exp->nalgs : 3, i = 0;
    while (i < n && algs[i] != g->alg)
        i++;
    if (i == n)
        return ps_id_fail(g->diag, PS_ID_WA_ALGORITHM, "algorithm %d is not allowed", g->alg);
    return PS_OK;
}

/* response.publicKeyAlgorithm and response.authenticatorData repeat what the attestation
 * object says: when present they must agree. */
static enum ps_err check_redundant(struct reg *g)
{
    json_t *alg = json_object_get(g->r.response, "publicKeyAlgorithm");
    if (alg && (!json_is_integer(alg) || json_integer_value(alg) != g->alg))
        return ps_id_fail(g->diag, PS_ID_WA_MALFORMED,
                          "response.publicKeyAlgorithm disagrees with the credential key");
    struct ps_bytes ad;
    enum ps_err e = wa_member_b64(g->a, g->r.response, "authenticatorData",
                                  PS_WEBAUTHN_AUTH_DATA_MAX, false, &ad, g->diag);
    if (e == PS_OK && ad.p && (ad.len != g->auth.len || memcmp(ad.p, g->auth.p, ad.len) != 0))
        e = ps_id_fail(g->diag, PS_ID_WA_MALFORMED,
                       "response.authenticatorData differs from the attestation object's");
    struct ps_str pk;
    if (e == PS_OK)
        e = wa_member_str(g->r.response, "publicKey", false, &pk, g->diag);
    return e;
}

static enum ps_err check_packed(struct reg *g)
{
    struct ps_cbor_val alg, sig, x;
    int64_t a;
    if (ps_cbor_map_text(&g->stmt, "x5c", &x) != PS_ERR_NOTFOUND)
        return ps_id_fail(g->diag, PS_ID_WA_ATTESTATION_X5C,
                          "packed attestation with a certificate chain is not accepted");
    if (ps_cbor_map_text(&g->stmt, "ecdaaKeyId", &x) != PS_ERR_NOTFOUND || g->stmt.u != 2 ||
        ps_cbor_map_text(&g->stmt, "alg", &alg) != PS_OK || !ps_cbor_get_int(&alg, &a) ||
        ps_cbor_map_text(&g->stmt, "sig", &sig) != PS_OK || sig.type != PS_CBOR_BYTES)
        return ps_id_fail(g->diag, PS_ID_WA_ATTESTATION,
                          "packed statement must be exactly {alg: int, sig: bytes}");
    if (a != g->alg)
        return ps_id_fail(g->diag, PS_ID_WA_ATTESTATION,
                          "self attestation alg %lld is not the credential's (%d)", (long long)a,
                          g->alg);
    return wa_signature_check(g->a, g->key, g->alg, g->ad.public_key, g->auth, g->cd_hash,
                              (struct ps_bytes){sig.p, sig.len}, g->diag);
}

static enum ps_err check_attestation(struct reg *g, enum ps_webauthn_attestation *kind)
{
    struct ps_str fmt = {(const char *)g->fmt.p, g->fmt.len};
    if (ps_str_eq_cstr(fmt, "none")) {
        *kind = PS_WEBAUTHN_ATTESTATION_NONE;
        if (g->stmt.u != 0)
            return ps_id_fail(g->diag, PS_ID_WA_ATTESTATION, "\"none\" with a non-empty attStmt");
        return PS_OK;
    }
    if (ps_str_eq_cstr(fmt, "packed")) {
        *kind = PS_WEBAUTHN_ATTESTATION_SELF;
        return check_packed(g);
    }
    return ps_id_fail(g->diag, PS_ID_WA_ATTESTATION, "attestation format %.*s not accepted",
                      (int)(fmt.len > 32 ? 32 : fmt.len), fmt.p);
}

static enum ps_err transports(const json_t *resp, unsigned *out, struct ps_id_diag *diag)
{
    json_t *t = json_object_get(resp, "transports"), *v;
    size_t i;
    *out = 0;
    if (!t)
        return PS_OK;
    if (!json_is_array(t))
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "transports is not an array");
    if (json_array_size(t) > PS_WEBAUTHN_MAX_TRANSPORTS)
        return ps_id_fail(diag, PS_ID_WA_LIMIT, "more than %d transports",
                          PS_WEBAUTHN_MAX_TRANSPORTS);
    json_array_foreach(t, i, v)
    {
        if (!json_is_string(v))
            return ps_id_fail(diag, PS_ID_WA_MALFORMED, "a transport is not a string");
        *out |= ps_webauthn_transport_bit(
            (struct ps_str){json_string_value(v), json_string_length(v)});
    }
    return PS_OK;
}

static enum ps_err reg_fill(struct reg *g, struct ps_webauthn_credential *out)
{
    uint8_t *id = ps_arena_alloc(g->a, g->r.raw_id.len);
    uint8_t *pk = ps_arena_alloc(g->a, g->ad.public_key.len);
    if (!id || !pk)
        return nomem(g->diag);
    memcpy(id, g->r.raw_id.p, g->r.raw_id.len);
    memcpy(pk, g->ad.public_key.p, g->ad.public_key.len);
    out->id = (struct ps_bytes){id, g->r.raw_id.len};
    out->public_key = (struct ps_bytes){pk, g->ad.public_key.len};
    out->alg = g->alg;
    out->sign_count = g->ad.sign_count;
    out->uv = g->ad.flags & PS_WEBAUTHN_FLAG_UV;
    out->be = g->ad.flags & PS_WEBAUTHN_FLAG_BE;
    out->bs = g->ad.flags & PS_WEBAUTHN_FLAG_BS;
    memcpy(out->aaguid, g->ad.aaguid, 16);
    return PS_OK;
}

enum ps_err ps_webauthn_register(struct ps_arena *a, const struct ps_webauthn_expect *exp,
                                 struct ps_str response_json, struct ps_webauthn_credential *out,
                                 struct ps_id_diag *diag)
{
    struct reg g = {.a = a, .exp = exp, .diag = diag};
    enum ps_webauthn_attestation kind = PS_WEBAUTHN_ATTESTATION_NONE;
    unsigned tr = 0;
    check_expect(exp);
    memset(out, 0, sizeof *out);
    enum ps_err e = wa_response_read(a, response_json, &g.r, diag);
    if (e == PS_OK)
        e = wa_client_data_check(a, exp, g.r.client_data, "webauthn.create", g.cd_hash, diag);
    if (e == PS_OK)
        e = read_att_obj(&g);
    if (e == PS_OK)
        e = check_credential(&g);
    if (e == PS_OK)
        e = check_redundant(&g);
    if (e == PS_OK)
        e = check_attestation(&g, &kind);
    if (e == PS_OK)
        e = transports(g.r.response, &tr, diag);
    if (e == PS_OK)
        e = reg_fill(&g, out);
    psv_cose_key_free(g.key);
    if (e != PS_OK)
        return e;
    out->attestation = kind;
    out->transports = tr;
    ps_id_diag_clear(diag);
    return PS_OK;
}

/* ---- authentication ---- */

enum ps_err ps_webauthn_assertion_parse(struct ps_arena *a, struct ps_str response_json,
                                        struct ps_webauthn_assertion *out,
                                        struct ps_id_diag *diag)
{
    struct wa_response r;
    memset(out, 0, sizeof *out);
    enum ps_err e = wa_response_read(a, response_json, &r, diag);
    if (e == PS_OK)
        e = wa_member_b64(a, r.response, "authenticatorData", PS_WEBAUTHN_AUTH_DATA_MAX, true,
                          &out->auth_data, diag);
    if (e == PS_OK)
        e = wa_member_b64(a, r.response, "signature", PS_WEBAUTHN_SIG_MAX, true, &out->signature,
                          diag);
    json_t *uh = json_object_get(r.response, "userHandle");
    if (e == PS_OK && uh && !json_is_null(uh))
        e = wa_member_b64(a, r.response, "userHandle", PS_WEBAUTHN_USER_HANDLE_MAX, true,
                          &out->user_handle, diag);
    if (e != PS_OK)
        return e;
    out->credential_id = r.raw_id;
    out->client_data = r.client_data;
    if (!out->user_handle.p)
        out->user_handle = (struct ps_bytes){(const uint8_t *)"", 0};
    return PS_OK;
}

static enum ps_err check_stored(const struct ps_webauthn_assertion *as,
                                const struct ps_webauthn_stored *cred, struct ps_id_diag *diag)
{
    if (as->user_handle.len == 0)
        return ps_id_fail(diag, PS_ID_WA_USER_HANDLE, "no user handle (discoverable credential)");
    if (as->user_handle.len != cred->user_handle.len ||
        sodium_memcmp(as->user_handle.p, cred->user_handle.p, cred->user_handle.len) != 0)
        return ps_id_fail(diag, PS_ID_WA_USER_HANDLE, "the user handle is not the account's");
    return PS_OK;
}

static enum ps_err check_assertion_data(const struct ps_webauthn_expect *exp,
                                        const struct ps_webauthn_stored *cred,
                                        const struct ps_webauthn_auth_data *ad,
                                        struct ps_id_diag *diag)
{
    enum ps_err e = wa_auth_data_check(ad, exp, diag);
    if (e != PS_OK)
        return e;
    if (!!(ad->flags & PS_WEBAUTHN_FLAG_BE) != cred->backup_eligible)
        return ps_id_fail(diag, PS_ID_WA_BACKUP_ELIGIBILITY,
                          "backup eligibility %s since registration",
                          cred->backup_eligible ? "lost" : "appeared");
    return PS_OK;
}

static enum ps_err verify_sig(struct ps_arena *a, const struct ps_webauthn_assertion *as,
                              const struct ps_webauthn_stored *cred, const uint8_t hash[32],
                              struct ps_id_diag *diag)
{
    psv_cose_key *key = NULL;
    int alg = 0;
    enum ps_err e = wa_key_open(cred->public_key, &key, &alg, diag);
    if (e == PS_OK && alg != cred->alg)
        e = ps_id_fail(diag, PS_ID_WA_ALGORITHM, "stored key says %d, the record %d", alg,
                       cred->alg);
    if (e == PS_OK)
        e = wa_signature_check(a, key, alg, cred->public_key, as->auth_data, hash, as->signature,
                               diag);
    psv_cose_key_free(key);
    return e;
}

enum ps_err ps_webauthn_assertion_verify(struct ps_arena *a, const struct ps_webauthn_expect *exp,
                                         const struct ps_webauthn_assertion *as,
                                         const struct ps_webauthn_stored *cred,
                                         struct ps_webauthn_auth *out,
                                         struct ps_id_diag *diag)
{
    struct ps_webauthn_auth_data ad;
    uint8_t hash[32];
    check_expect(exp);
    memset(out, 0, sizeof *out);
    enum ps_err e = check_stored(as, cred, diag);
    if (e == PS_OK)
        e = wa_client_data_check(a, exp, as->client_data, "webauthn.get", hash, diag);
    if (e == PS_OK)
        e = ps_webauthn_auth_data_parse(as->auth_data, &ad, diag);
    if (e == PS_OK)
        e = check_assertion_data(exp, cred, &ad, diag);
    if (e == PS_OK)
        e = verify_sig(a, as, cred, hash, diag);
    if (e != PS_OK)
        return e;
    out->sign_count = ad.sign_count;
    out->uv = ad.flags & PS_WEBAUTHN_FLAG_UV;
    out->be = ad.flags & PS_WEBAUTHN_FLAG_BE;
    out->bs = ad.flags & PS_WEBAUTHN_FLAG_BS;
    if ((ad.sign_count != 0 || cred->sign_count != 0) && ad.sign_count <= cred->sign_count)
        return ps_id_fail(diag, PS_ID_WA_SIGN_COUNT,
                          "signature counter %u is not above the stored %u", ad.sign_count,
                          cred->sign_count);
    ps_id_diag_clear(diag);
    return PS_OK;
}
