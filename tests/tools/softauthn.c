/* The software authenticator: CTAP2-shaped authenticator data and attestation objects
 * (canonical CBOR through src/documents' writer), clientDataJSON as browsers write it, and the
 * JSON that credential.toJSON() gives, so that tests exercise the same bytes a phone sends. */
#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "documents/cbor_write.h"
#include "identity/b64.h"
#include "identity/sig.h"
#include "identity/webauthn.h"
#include "authn_tools.h"
#include "tools_int.h"

#define OUT_MAX (1 << 16)

enum ps_err ps_softauthn_init(struct ps_softauthn *sa, int alg)
{
    memset(sa, 0, sizeof *sa);
    sa->alg = alg;
    if (alg == PS_WEBAUTHN_EDDSA) {
        crypto_sign_keypair(sa->pub, sa->secret);
        return PS_OK;
    }
    if (alg == PS_WEBAUTHN_ES256)
        return ps_sig_p256_keygen(sa->secret, sa->pub);
    return PS_ERR_INVALID;
}

static size_t secret_len(int alg)
{
    return alg == PS_WEBAUTHN_EDDSA ? 64 : 32;
}

enum ps_err ps_softauthn_load(const char *path, struct ps_softauthn *sa, struct ps_diag *diag)
{
    json_t *j;
    memset(sa, 0, sizeof *sa);
    enum ps_err e = tools_read_json(path, &j, diag);
    if (e != PS_OK)
        return e;
    sa->alg = (int)json_integer_value(json_object_get(j, "alg"));
    const char *rp = json_string_value(json_object_get(j, "rpId"));
    if (sa->alg != PS_WEBAUTHN_ES256 && sa->alg != PS_WEBAUTHN_EDDSA)
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s: alg must be -7 or -8", path);
    if (e == PS_OK)
        e = tools_b64_member(j, "secret", sa->secret, secret_len(sa->alg), 0, NULL, diag);
    if (e == PS_OK && sa->alg == PS_WEBAUTHN_EDDSA)
        memcpy(sa->pub, sa->secret + 32, 32);
    else if (e == PS_OK && ps_sig_p256_public(sa->secret, sa->pub) != PS_OK)
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s: not a P-256 private key", path);
    sa->has_credential = e == PS_OK && rp != NULL;
    if (sa->has_credential &&
        ((e = tools_b64_member(j, "credentialId", sa->cred_id, 32, 0, NULL, diag)) != PS_OK ||
         (e = tools_b64_member(j, "userHandle", sa->user_handle, 0, sizeof sa->user_handle,
                               &sa->user_handle_len, diag)) != PS_OK ||
         (e = ps_str_copy(sa->rp_id, sizeof sa->rp_id, ps_str_from_cstr(rp))) != PS_OK))
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s: bad credential", path);
    sa->sign_count = (uint32_t)json_integer_value(json_object_get(j, "signCount"));
    json_decref(j);
    return e;
}

enum ps_err ps_softauthn_save(const char *path, const struct ps_softauthn *sa, struct ps_diag *diag)
{
    json_t *j = json_pack("{s:i,s:o,s:I}", "alg", sa->alg, "secret",
                          tools_b64_json(sa->secret, secret_len(sa->alg)), "signCount",
                          (json_int_t)sa->sign_count);
    if (j && sa->has_credential &&
        (json_object_set_new(j, "credentialId", tools_b64_json(sa->cred_id, 32)) != 0 ||
         json_object_set_new(j, "userHandle", tools_b64_json(sa->user_handle, sa->user_handle_len)) != 0 ||
         json_object_set_new(j, "rpId", json_string(sa->rp_id)) != 0)) {
        json_decref(j);
        j = NULL;
    }
    if (!j)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = tools_write_json(path, j, diag);
    json_decref(j);
    return e;
}

/* ---- the byte layouts ---- */

static enum ps_err cose_key(const struct ps_softauthn *sa, struct ps_buf *b)
{
    bool ec = sa->alg == PS_WEBAUTHN_ES256;
    enum ps_err e = ps_cbor_head(b, 5, ec ? 5 : 4);
    if (e == PS_OK)
        e = ps_cbor_int(b, 1);
    if (e == PS_OK)
        e = ps_cbor_int(b, ec ? 2 : 1); /* kty EC2 / OKP */
    if (e == PS_OK)
        e = ps_cbor_int(b, 3);
    if (e == PS_OK)
        e = ps_cbor_int(b, sa->alg);
    if (e == PS_OK)
        e = ps_cbor_int(b, -1);
    if (e == PS_OK)
        e = ps_cbor_int(b, ec ? 1 : 6); /* crv P-256 / Ed25519 */
    if (e == PS_OK)
        e = ps_cbor_int(b, -2);
    if (e == PS_OK)
        e = ps_cbor_bytes(b, ec ? sa->pub + 1 : sa->pub, 32);
    if (e == PS_OK && ec)
        e = ps_cbor_int(b, -3);
    if (e == PS_OK && ec)
        e = ps_cbor_bytes(b, sa->pub + 33, 32);
    return e;
}

/* rpIdHash || flags || counter [|| AAGUID (zero) || ID length || ID || COSE key] */
static enum ps_err auth_data(const struct ps_softauthn *sa, bool attested, struct ps_buf *b)
{
    uint8_t h[32], cnt[4] = {sa->sign_count >> 24, sa->sign_count >> 16, sa->sign_count >> 8,
                              sa->sign_count};
    uint8_t flags = PS_WEBAUTHN_FLAG_UP | PS_WEBAUTHN_FLAG_UV | (attested ? PS_WEBAUTHN_FLAG_AT : 0);
    static const uint8_t aaguid[16], idlen[2] = {0, 32};
    crypto_hash_sha256(h, (const uint8_t *)sa->rp_id, strlen(sa->rp_id));
    enum ps_err e = ps_buf_append(b, h, 32);
    if (e == PS_OK)
        e = ps_buf_append(b, &flags, 1);
    if (e == PS_OK)
        e = ps_buf_append(b, cnt, 4);
    if (e != PS_OK || !attested)
        return e;
    if ((e = ps_buf_append(b, aaguid, 16)) == PS_OK && (e = ps_buf_append(b, idlen, 2)) == PS_OK &&
        (e = ps_buf_append(b, sa->cred_id, 32)) == PS_OK)
        e = cose_key(sa, b);
    return e;
}

static enum ps_err client_data(const char *type, const char *challenge, struct ps_str origin,
                               struct ps_buf *b)
{
    enum ps_err e = ps_buf_printf(b, "{\"type\":\"%s\",\"challenge\":", type);
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, ps_str_from_cstr(challenge));
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, ",\"origin\":");
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, origin);
    return e == PS_OK ? ps_buf_append_cstr(b, ",\"crossOrigin\":false}") : e;
}

/* Signs auth_data || SHA-256(client_data) (ES256 in DER, as authenticators send it). */
static enum ps_err sign(const struct ps_softauthn *sa, const struct ps_buf *ad,
                        const struct ps_buf *cd, uint8_t sig[80], size_t *len)
{
    uint8_t *msg = ps_malloc(ad->len + 32), raw[64];
    if (!msg)
        return PS_ERR_NOMEM;
    memcpy(msg, ad->p, ad->len);
    crypto_hash_sha256(msg + ad->len, (const uint8_t *)cd->p, cd->len);
    enum ps_err e = PS_OK;
    if (sa->alg == PS_WEBAUTHN_EDDSA) {
        crypto_sign_detached(sig, NULL, msg, ad->len + 32, sa->secret);
        *len = 64;
    } else if ((e = ps_sig_p256_sign(sa->secret, msg, ad->len + 32, raw)) == PS_OK) {
        e = ps_sig_ecdsa_raw_to_der(raw, 32, sig, 80, len);
    }
    ps_free(msg);
    return e;
}

/* ---- options ---- */

static const json_t *public_key(const json_t *options)
{
    const json_t *pk = json_object_get(options, "publicKey");
    return json_is_object(pk) ? pk : options;
}

static bool lists_id(const json_t *list, const uint8_t id[32])
{
    size_t i;
    json_t *c;
    json_array_foreach(list, i, c)
    {
        uint8_t got[64];
        size_t n = 0;
        if (tools_b64_member(c, "id", got, 0, sizeof got, &n, NULL) == PS_OK && n == 32 &&
            memcmp(got, id, 32) == 0)
            return true;
    }
    return false;
}

static bool offers_alg(const json_t *params, int alg)
{
    size_t i;
    json_t *p;
    json_array_foreach(params, i, p)
    {
        if (json_integer_value(json_object_get(p, "alg")) == alg)
            return true;
    }
    return false;
}

/* Checks the creation options and takes rp.id and user.id from them. */
static enum ps_err creation_take(struct ps_softauthn *sa, const json_t *o, struct ps_diag *diag)
{
    const char *rp = json_string_value(json_object_get(json_object_get(o, "rp"), "id"));
    if (!rp || ps_str_copy(sa->rp_id, sizeof sa->rp_id, ps_str_from_cstr(rp)) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "options without rp.id");
    if (!offers_alg(json_object_get(o, "pubKeyCredParams"), sa->alg))
        return ps_diag_set(diag, PS_ERR_INVALID, "pubKeyCredParams lack algorithm %d", sa->alg);
    if (sa->has_credential && lists_id(json_object_get(o, "excludeCredentials"), sa->cred_id))
        return ps_diag_set(diag, PS_ERR_EXISTS, "this credential is in excludeCredentials");
    if (tools_b64_member(json_object_get(o, "user"), "id", sa->user_handle, 0,
                         sizeof sa->user_handle, &sa->user_handle_len, diag) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "options without a base64url user.id");
    randombytes_buf(sa->cred_id, sizeof sa->cred_id);
    sa->has_credential = true;
    sa->sign_count++;
    return PS_OK;
}

static enum ps_err att_object(const struct ps_softauthn *sa, bool packed, const struct ps_buf *ad,
                              const struct ps_buf *cd, struct ps_buf *b)
{
    uint8_t sig[80];
    size_t siglen = 0;
    enum ps_err e = packed ? sign(sa, ad, cd, sig, &siglen) : PS_OK;
    if (e == PS_OK)
        e = ps_cbor_head(b, 5, 3);
    if (e == PS_OK)
        e = ps_cbor_cstr(b, "fmt");
    if (e == PS_OK)
        e = ps_cbor_cstr(b, packed ? "packed" : "none");
    if (e == PS_OK)
        e = ps_cbor_cstr(b, "attStmt");
    if (e == PS_OK)
        e = ps_cbor_head(b, 5, packed ? 2 : 0);
    if (e == PS_OK && packed && (e = ps_cbor_cstr(b, "alg")) == PS_OK &&
        (e = ps_cbor_int(b, sa->alg)) == PS_OK && (e = ps_cbor_cstr(b, "sig")) == PS_OK)
        e = ps_cbor_bytes(b, sig, siglen);
    if (e == PS_OK)
        e = ps_cbor_cstr(b, "authData");
    return e == PS_OK ? ps_cbor_bytes(b, ad->p, ad->len) : e;
}

static enum ps_err emit(const struct ps_softauthn *sa, json_t *response, struct ps_buf *out,
                        struct ps_diag *diag)
{
    json_t *j = json_pack("{s:o,s:o,s:s,s:o,s:{},s:s}", "id", tools_b64_json(sa->cred_id, 32),
                          "rawId", tools_b64_json(sa->cred_id, 32), "type", "public-key",
                          "response", response, "clientExtensionResults",
                          "authenticatorAttachment", "platform");
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    enum ps_err e = s ? ps_buf_append_cstr(out, s) : PS_ERR_NOMEM;
    free(s);
    json_decref(j);
    return e == PS_OK ? PS_OK : ps_diag_set(diag, e, "cannot write the response");
}

enum ps_err ps_softauthn_create(struct ps_softauthn *sa, const json_t *options,
                                struct ps_str origin, bool packed, struct ps_buf *out,
                                struct ps_diag *diag)
{
    const json_t *o = public_key(options);
    const char *challenge = json_string_value(json_object_get(o, "challenge"));
    if (!challenge)
        return ps_diag_set(diag, PS_ERR_INVALID, "options without a challenge");
    struct ps_softauthn next = *sa;
    enum ps_err e = creation_take(&next, o, diag);
    if (e != PS_OK)
        return e;
    struct ps_buf ad, cd, att;
    ps_buf_init(&ad, OUT_MAX);
    ps_buf_init(&cd, OUT_MAX);
    ps_buf_init(&att, OUT_MAX);
    if ((e = auth_data(&next, true, &ad)) == PS_OK &&
        (e = client_data("webauthn.create", challenge, origin, &cd)) == PS_OK &&
        (e = att_object(&next, packed, &ad, &cd, &att)) == PS_OK)
        e = emit(&next,
                 json_pack("{s:o,s:o,s:[s],s:i,s:o}", "clientDataJSON", tools_b64_json(cd.p, cd.len),
                           "attestationObject", tools_b64_json(att.p, att.len), "transports",
                           "internal", "publicKeyAlgorithm", next.alg, "authenticatorData",
                           tools_b64_json(ad.p, ad.len)),
                 out, diag);
    if (e == PS_OK)
        *sa = next;
    ps_buf_reset(&ad);
    ps_buf_reset(&cd);
    ps_buf_reset(&att);
    return e == PS_OK ? PS_OK : ps_diag_set(diag, e, "cannot make the credential");
}

enum ps_err ps_softauthn_get(struct ps_softauthn *sa, const json_t *options, struct ps_str origin,
                             struct ps_buf *out, struct ps_diag *diag)
{
    const json_t *o = public_key(options);
    const char *challenge = json_string_value(json_object_get(o, "challenge"));
    const char *rp = json_string_value(json_object_get(o, "rpId"));
    const json_t *allow = json_object_get(o, "allowCredentials");
    if (!challenge || !rp)
        return ps_diag_set(diag, PS_ERR_INVALID, "options without challenge or rpId");
    if (!sa->has_credential || strcmp(rp, sa->rp_id) != 0)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no credential for %s", rp);
    if (json_array_size(allow) > 0 && !lists_id(allow, sa->cred_id))
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "allowCredentials does not name this credential");
    struct ps_softauthn next = *sa;
    next.sign_count++;
    struct ps_buf ad, cd;
    uint8_t sig[80];
    size_t siglen;
    ps_buf_init(&ad, OUT_MAX);
    ps_buf_init(&cd, OUT_MAX);
    enum ps_err e = auth_data(&next, false, &ad);
    if (e == PS_OK && (e = client_data("webauthn.get", challenge, origin, &cd)) == PS_OK &&
        (e = sign(&next, &ad, &cd, sig, &siglen)) == PS_OK)
        e = emit(&next,
                 json_pack("{s:o,s:o,s:o,s:o}", "clientDataJSON", tools_b64_json(cd.p, cd.len),
                           "authenticatorData", tools_b64_json(ad.p, ad.len), "signature",
                           tools_b64_json(sig, siglen), "userHandle",
                           tools_b64_json(next.user_handle, next.user_handle_len)),
                 out, diag);
    if (e == PS_OK)
        *sa = next;
    ps_buf_reset(&ad);
    ps_buf_reset(&cd);
    return e == PS_OK ? PS_OK : ps_diag_set(diag, e, "cannot make the assertion");
}
