/* The WebAuthn byte layouts and the checks both ceremonies share: the response JSON's common
 * members, clientDataJSON (section 5.8.1), authenticator data (section 6.1), and signatures
 * with a credential's COSE_Key (through lib/verify). */
#include <sodium.h>
#include <string.h>

#include "core/json.h"
#include "identity/cbor_read.h"
#include "identity/sig.h"
#include "identity/webauthn_int.h"

static enum ps_err nomem(struct ps_id_diag *diag)
{
    return ps_id_fail(diag, PS_ID_INTERNAL, "out of memory");
}

/* ---- JSON members ---- */

enum ps_err wa_member_str(const json_t *obj, const char *key, bool required, struct ps_str *out,
                          struct ps_id_diag *diag)
{
    json_t *v = json_object_get(obj, key);
    *out = PS_STR_NULL;
    if (!v && !required)
        return PS_OK;
    if (!v)
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "%s is missing", key);
    if (!json_is_string(v))
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "%s is not a string", key);
    *out = (struct ps_str){json_string_value(v), json_string_length(v)};
    return PS_OK;
}

enum ps_err wa_member_b64(struct ps_arena *a, const json_t *obj, const char *key, size_t max,
                          bool required, struct ps_bytes *out, struct ps_id_diag *diag)
{
    struct ps_str s;
    *out = (struct ps_bytes){NULL, 0};
    enum ps_err e = wa_member_str(obj, key, required, &s, diag);
    if (e != PS_OK || !s.p)
        return e;
    e = ps_b64url_decode(a, s, max, out);
    if (e == PS_ERR_LIMIT)
        return ps_id_fail(diag, PS_ID_WA_LIMIT, "%s decodes to more than %zu bytes", key, max);
    if (e == PS_ERR_NOMEM)
        return nomem(diag);
    if (e != PS_OK)
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "%s is not unpadded base64url", key);
    return PS_OK;
}

static enum ps_err json_text(struct ps_arena *a, struct ps_str text, size_t max, size_t depth,
                             const char *what, json_t **out, struct ps_id_diag *diag)
{
    struct ps_diag jd = {0};
    enum ps_err e = ps_json_parse(a, text, max, depth, out, &jd);
    if (e == PS_ERR_LIMIT)
        return ps_id_fail(diag, PS_ID_WA_LIMIT, "%s: %s", what, jd.message);
    if (e == PS_ERR_NOMEM)
        return nomem(diag);
    if (e != PS_OK)
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "%s: %s", what, jd.message);
    if (!json_is_object(*out))
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "%s is not a JSON object", what);
    return PS_OK;
}

static enum ps_err optional_types(const json_t *root, struct ps_id_diag *diag)
{
    json_t *ext = json_object_get(root, "clientExtensionResults");
    json_t *att = json_object_get(root, "authenticatorAttachment");
    if (ext && !json_is_object(ext))
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "clientExtensionResults is not an object");
    if (att && !json_is_string(att) && !json_is_null(att))
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "authenticatorAttachment is not a string");
    return PS_OK;
}

enum ps_err wa_response_read(struct ps_arena *a, struct ps_str text, struct wa_response *r,
                             struct ps_id_diag *diag)
{
    struct ps_str type, id, raw;
    memset(r, 0, sizeof *r);
    enum ps_err e = json_text(a, text, PS_WEBAUTHN_JSON_MAX, PS_WEBAUTHN_JSON_DEPTH,
                              "credential JSON", &r->root, diag);
    if (e == PS_OK)
        e = wa_member_str(r->root, "type", true, &type, diag);
    if (e == PS_OK && !ps_str_eq_cstr(type, "public-key"))
        e = ps_id_fail(diag, PS_ID_WA_BAD_TYPE, "credential type is not \"public-key\"");
    if (e == PS_OK)
        e = wa_member_str(r->root, "id", true, &id, diag);
    if (e == PS_OK)
        e = wa_member_str(r->root, "rawId", true, &raw, diag);
    if (e == PS_OK && !ps_str_eq(id, raw))
        e = ps_id_fail(diag, PS_ID_WA_CREDENTIAL_ID, "id and rawId differ");
    if (e == PS_OK && (e = wa_member_b64(a, r->root, "rawId", PS_WEBAUTHN_CRED_ID_MAX, true,
                                         &r->raw_id, diag)) == PS_ERR_LIMIT)
        e = ps_id_fail(diag, PS_ID_WA_CREDENTIAL_ID, "credential ID longer than %d bytes",
                       PS_WEBAUTHN_CRED_ID_MAX);
    if (e == PS_OK && r->raw_id.len == 0)
        e = ps_id_fail(diag, PS_ID_WA_CREDENTIAL_ID, "empty credential ID");
    if (e == PS_OK)
        e = optional_types(r->root, diag);
    if (e != PS_OK)
        return e;
    r->response = json_object_get(r->root, "response");
    if (!json_is_object(r->response))
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "response is missing or not an object");
    return wa_member_b64(a, r->response, "clientDataJSON", PS_WEBAUTHN_CLIENT_DATA_MAX, true,
                         &r->client_data, diag);
}

/* ---- clientDataJSON ---- */

enum ps_err ps_webauthn_client_data_parse(struct ps_arena *a, struct ps_bytes json,
                                          struct ps_webauthn_client_data *out,
                                          struct ps_id_diag *diag)
{
    memset(out, 0, sizeof *out);
    struct ps_str text = {(const char *)json.p, json.len};
    if (text.len >= 3 && memcmp(text.p, "\xef\xbb\xbf", 3) == 0) { /* UTF-8 BOM */
        text.p += 3;
        text.len -= 3;
    }
    json_t *c;
    enum ps_err e = json_text(a, text, PS_WEBAUTHN_CLIENT_DATA_MAX, 4, "clientDataJSON", &c, diag);
    if (e == PS_OK)
        e = wa_member_str(c, "type", true, &out->type, diag);
    if (e == PS_OK)
        e = wa_member_str(c, "challenge", true, &out->challenge, diag);
    if (e == PS_OK)
        e = wa_member_str(c, "origin", true, &out->origin, diag);
    if (e == PS_OK)
        e = wa_member_str(c, "topOrigin", false, &out->top_origin, diag);
    if (e != PS_OK)
        return e;
    json_t *co = json_object_get(c, "crossOrigin");
    if (co && !json_is_boolean(co))
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "crossOrigin is not a boolean");
    out->cross_origin = json_is_true(co);
    return PS_OK;
}

static bool in_list(struct ps_str s, const struct ps_str *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ps_str_eq(s, list[i]))
            return true;
    return false;
}

enum ps_err wa_client_data_check(struct ps_arena *a, const struct ps_webauthn_expect *exp,
                                 struct ps_bytes json, const char *type, uint8_t hash[32],
                                 struct ps_id_diag *diag)
{
    struct ps_webauthn_client_data c;
    enum ps_err e = ps_webauthn_client_data_parse(a, json, &c, diag);
    if (e != PS_OK)
        return e;
    if (!ps_str_eq_cstr(c.type, type))
        return ps_id_fail(diag, PS_ID_WA_BAD_TYPE, "clientDataJSON type is not %s", type);
    char *want = ps_b64url_encode(a, exp->challenge.p, exp->challenge.len);
    if (!want)
        return nomem(diag);
    if (!ps_str_eq_secret(c.challenge, ps_str_from_cstr(want)))
        return ps_id_fail(diag, PS_ID_WA_BAD_CHALLENGE, "not the challenge of this ceremony");
    if (!in_list(c.origin, exp->origins, exp->norigins))
        return ps_id_fail(diag, PS_ID_WA_BAD_ORIGIN, "origin %.*s is not allowed",
                          (int)(c.origin.len > 100 ? 100 : c.origin.len), c.origin.p);
    if ((c.cross_origin || c.top_origin.p) && !exp->allow_cross_origin)
        return ps_id_fail(diag, PS_ID_WA_CROSS_ORIGIN, "%s, and cross-origin use is not allowed",
                          c.top_origin.p ? "topOrigin present" : "crossOrigin is true");
    if (c.top_origin.p && !in_list(c.top_origin, exp->top_origins, exp->ntop_origins))
        return ps_id_fail(diag, PS_ID_WA_CROSS_ORIGIN, "topOrigin is not an allowed top origin");
    crypto_hash_sha256(hash, json.p, json.len);
    return PS_OK;
}

/* ---- authenticator data ---- */

/* The extent of the CBOR map at p (n bytes left) into *out. */
static enum ps_err cbor_map_at(const uint8_t *p, size_t n, const char *what, struct ps_bytes *out,
                               struct ps_id_diag *diag)
{
    struct ps_cbor_val v;
    enum ps_err e = ps_cbor_read(p, n, PS_WEBAUTHN_CBOR_DEPTH, PS_WEBAUTHN_CBOR_ITEMS, &v);
    if (e == PS_ERR_LIMIT)
        return ps_id_fail(diag, PS_ID_WA_LIMIT, "%s: CBOR deeper than %d or over %d items", what,
                          PS_WEBAUTHN_CBOR_DEPTH, PS_WEBAUTHN_CBOR_ITEMS);
    if (e != PS_OK || v.type != PS_CBOR_MAP)
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "%s is not a well-formed CBOR map", what);
    *out = (struct ps_bytes){p, v.raw_len};
    return PS_OK;
}

static enum ps_err attested(const uint8_t *p, size_t n, struct ps_webauthn_auth_data *out,
                            size_t *used, struct ps_id_diag *diag)
{
    if (n < 18)
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "attested credential data truncated");
    size_t idlen = (size_t)p[16] << 8 | p[17];
    if (idlen > PS_WEBAUTHN_CRED_ID_MAX)
        return ps_id_fail(diag, PS_ID_WA_CREDENTIAL_ID, "credential ID of %zu bytes (max %d)",
                          idlen, PS_WEBAUTHN_CRED_ID_MAX);
    if (idlen == 0 || n - 18 < idlen)
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "credential ID empty or truncated");
    out->has_credential = true;
    out->aaguid = p;
    out->credential_id = (struct ps_bytes){p + 18, idlen};
    enum ps_err e = cbor_map_at(p + 18 + idlen, n - 18 - idlen, "credential public key",
                                &out->public_key, diag);
    *used = 18 + idlen + out->public_key.len;
    return e;
}

enum ps_err ps_webauthn_auth_data_parse(struct ps_bytes data, struct ps_webauthn_auth_data *out,
                                        struct ps_id_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (data.len > PS_WEBAUTHN_AUTH_DATA_MAX)
        return ps_id_fail(diag, PS_ID_WA_LIMIT, "authenticator data over %d bytes",
                          PS_WEBAUTHN_AUTH_DATA_MAX);
    if (data.len < 37)
        return ps_id_fail(diag, PS_ID_WA_MALFORMED, "authenticator data shorter than 37 bytes");
    const uint8_t *p = data.p;
    out->rp_id_hash = p;
    out->flags = p[32];
    out->sign_count = (uint32_t)p[33] << 24 | (uint32_t)p[34] << 16 | (uint32_t)p[35] << 8 | p[36];
    size_t pos = 37, used = 0;
    enum ps_err e = PS_OK;
    if (out->flags & PS_WEBAUTHN_FLAG_AT) {
        e = attested(p + pos, data.len - pos, out, &used, diag);
        pos += used;
    }
    if (e == PS_OK && (out->flags & PS_WEBAUTHN_FLAG_ED)) {
        e = cbor_map_at(p + pos, data.len - pos, "extensions", &out->extensions, diag);
        pos += out->extensions.len;
    }
    if (e == PS_OK && pos != data.len)
        e = ps_id_fail(diag, PS_ID_WA_MALFORMED, "%zu bytes after the authenticator data",
                       data.len - pos);
    return e;
}

enum ps_err wa_auth_data_check(const struct ps_webauthn_auth_data *ad,
                               const struct ps_webauthn_expect *exp, struct ps_id_diag *diag)
{
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)exp->rp_id.p, exp->rp_id.len);
    if (sodium_memcmp(h, ad->rp_id_hash, 32) != 0)
        return ps_id_fail(diag, PS_ID_WA_BAD_RP, "rpIdHash is not SHA-256 of %.*s",
                          PS_STR_FMT(exp->rp_id));
    if (!(ad->flags & PS_WEBAUTHN_FLAG_UP))
        return ps_id_fail(diag, PS_ID_WA_USER_PRESENCE, "user presence flag not set");
    if (!(ad->flags & PS_WEBAUTHN_FLAG_UV) && !exp->user_verification_optional)
        return ps_id_fail(diag, PS_ID_WA_USER_VERIFICATION, "user verification flag not set");
    if ((ad->flags & PS_WEBAUTHN_FLAG_BS) && !(ad->flags & PS_WEBAUTHN_FLAG_BE))
        return ps_id_fail(diag, PS_ID_WA_BAD_FLAGS, "backup state set without backup eligibility");
    return PS_OK;
}

/* ---- keys and signatures ---- */

enum ps_err wa_key_open(struct ps_bytes cose, psv_cose_key **out, int *alg,
                        struct ps_id_diag *diag)
{
    struct psv_diag vd = {0};
    *out = NULL;
    enum psv_error e = psv_cose_key_parse(cose.p, cose.len, out, &vd);
    if (e == PSV_E_ALGORITHM)
        return ps_id_fail(diag, PS_ID_WA_ALGORITHM, "credential key: %s", vd.message);
    if (e != PSV_OK)
        return ps_id_fail(diag, PS_ID_WA_BAD_KEY, "credential key: %s", vd.message);
    *alg = psv_cose_key_alg(*out);
    if (*alg == 0) {
        psv_cose_key_free(*out);
        *out = NULL;
        return ps_id_fail(diag, PS_ID_WA_BAD_KEY, "credential key without alg (3)");
    }
    return PS_OK;
}

/* Is sig encoded as alg requires (before any cryptography)? */
static enum ps_err sig_encoding(int alg, struct ps_bytes cose, struct ps_bytes sig,
                                struct ps_id_diag *diag)
{
    uint8_t raw[64];
    if (alg == PS_WEBAUTHN_ES256 && ps_sig_ecdsa_der_to_raw(sig.p, sig.len, 32, raw) != PS_OK)
        return ps_id_fail(diag, PS_ID_WA_SIGNATURE_ENCODING, "ES256 signature is not strict DER");
    if (alg == PS_WEBAUTHN_EDDSA && sig.len != 64)
        return ps_id_fail(diag, PS_ID_WA_SIGNATURE_ENCODING, "EdDSA signature of %zu bytes",
                          sig.len);
    if (alg == PS_WEBAUTHN_RS256) {
        struct ps_cbor_val key, n;
        if (ps_cbor_read(cose.p, cose.len, 2, 64, &key) != PS_OK ||
            ps_cbor_map_int(&key, -1, &n) != PS_OK || n.type != PS_CBOR_BYTES)
            return ps_id_fail(diag, PS_ID_WA_BAD_KEY, "RSA key without a modulus");
        if (sig.len != n.len)
            return ps_id_fail(diag, PS_ID_WA_SIGNATURE_ENCODING,
                              "RS256 signature of %zu bytes for a %zu-byte modulus", sig.len,
                              n.len);
    }
    return PS_OK;
}

enum ps_err wa_signature_check(struct ps_arena *a, const psv_cose_key *key, int alg,
                               struct ps_bytes cose, struct ps_bytes auth_data,
                               const uint8_t client_data_hash[32], struct ps_bytes sig,
                               struct ps_id_diag *diag)
{
    enum ps_err e = sig_encoding(alg, cose, sig, diag);
    if (e != PS_OK)
        return e;
    uint8_t *msg = ps_arena_alloc(a, auth_data.len + 32);
    if (!msg)
        return nomem(diag);
    memcpy(msg, auth_data.p, auth_data.len);
    memcpy(msg + auth_data.len, client_data_hash, 32);
    enum psv_error ve = psv_cose_key_verify(key, alg, msg, auth_data.len + 32, sig.p, sig.len,
                                            alg == PS_WEBAUTHN_ES256 ? PSV_SIG_DER : 0);
    if (ve == PSV_E_ALGORITHM)
        return ps_id_fail(diag, PS_ID_WA_ALGORITHM, "algorithm %d does not fit the key", alg);
    if (ve != PSV_OK)
        return ps_id_fail(diag, PS_ID_WA_BAD_SIGNATURE, "signature does not verify");
    return PS_OK;
}
