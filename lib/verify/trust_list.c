/* Loading the PocketState trust list: the JWS envelope (flattened JSON serialization, alg
 * EdDSA or ES256, typ "pocketstate-trust-list+json"), the pinned or header root key, and the
 * payload's issuers and keys (JWK, optional x5c that must hold the same key, types, uses,
 * signing window). Format: docs/formats/trust-list.md. */
#include <jansson.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "psv_int.h"

#define MAX_JSON (4u << 20)
#define MAX_TYPES 256u
#define TYP "pocketstate-trust-list+json"

/* base64url member of o into out (cap bytes); false if absent or malformed. */
static bool b64_member(const json_t *o, const char *name, uint8_t *out, size_t cap,
                       size_t *len)
{
    const char *s = json_string_value(json_object_get(o, name));
    return s && psv_b64_decode(s, strlen(s), true, out, cap, len);
}

/* A public JWK (OKP Ed25519, EC P-256, RSA) into an EVP_PKEY; NULL with a message. */
static EVP_PKEY *jwk_pkey(const json_t *jwk, struct psv_diag *d)
{
    const char *kty = json_string_value(json_object_get(jwk, "kty"));
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    uint8_t x[32], y[32];
    size_t xl = 0, yl = 0;
    EVP_PKEY *pkey = NULL;
    if (kty && strcmp(kty, "OKP") == 0 && crv && strcmp(crv, "Ed25519") == 0) {
        if (b64_member(jwk, "x", x, sizeof x, &xl) && xl == 32)
            pkey = psv_pkey_ed25519(x);
    } else if (kty && strcmp(kty, "EC") == 0 && crv && strcmp(crv, "P-256") == 0) {
        if (b64_member(jwk, "x", x, sizeof x, &xl) && xl == 32 &&
            b64_member(jwk, "y", y, sizeof y, &yl) && yl == 32)
            pkey = psv_pkey_p256(x, y);
    } else if (kty && strcmp(kty, "RSA") == 0) {
        uint8_t n[512], e[8];
        size_t nl = 0, el = 0;
        if (b64_member(jwk, "n", n, sizeof n, &nl) && nl >= 256 && n[0] != 0 &&
            b64_member(jwk, "e", e, sizeof e, &el) && el > 0)
            pkey = psv_pkey_rsa(n, nl, e, el);
    } else {
        psv_fail(d, PSV_E_TRUST_LIST, "JWK kty/crv not supported (OKP Ed25519, EC P-256, RSA)");
        return NULL;
    }
    if (!pkey)
        psv_fail(d, PSV_E_TRUST_LIST, "JWK %s: bad or missing key members", kty);
    return pkey;
}

/* Decodes a base64url member holding JSON. */
static json_t *b64_json_member(const json_t *o, const char *name, struct psv_diag *d)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (!s) {
        psv_fail(d, PSV_E_TRUST_LIST, "JWS member \"%s\" missing", name);
        return NULL;
    }
    size_t n = strlen(s), len = 0;
    uint8_t *buf = malloc(n ? n : 1);
    json_t *j = NULL;
    if (buf && psv_b64_decode(s, n, true, buf, n, &len))
        j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        psv_fail(d, PSV_E_TRUST_LIST, "JWS %s is not base64url JSON object", name);
        return NULL;
    }
    return j;
}

static EVP_PKEY *root_key(const struct psv_root *root, const json_t *hdr, struct psv_diag *d)
{
    if (!root)
        return json_is_object(json_object_get(hdr, "jwk"))
                   ? jwk_pkey(json_object_get(hdr, "jwk"), d)
                   : (psv_fail(d, PSV_E_TRUST_LIST, "no pinned root and no jwk in the header"),
                      NULL);
    json_t *j = json_loadb(root->jwk, root->jwk_len, JSON_REJECT_DUPLICATES, NULL);
    EVP_PKEY *k = j ? jwk_pkey(j, d) : NULL;
    if (!j)
        psv_fail(d, PSV_E_TRUST_LIST, "pinned root is not a JSON JWK");
    json_decref(j);
    return k;
}

/* Checks the envelope's signature; returns the decoded payload (caller decrefs). */
static json_t *verify_jws(const json_t *env, const struct psv_root *root, struct psv_diag *d)
{
    const char *p64 = json_string_value(json_object_get(env, "protected"));
    const char *b64 = json_string_value(json_object_get(env, "payload"));
    const char *s64 = json_string_value(json_object_get(env, "signature"));
    if (!p64 || !b64 || !s64) {
        psv_fail(d, PSV_E_TRUST_LIST, "not a flattened JWS (protected, payload, signature)");
        return NULL;
    }
    json_t *hdr = b64_json_member(env, "protected", d), *payload = NULL;
    if (!hdr)
        return NULL;
    const char *alg_s = json_string_value(json_object_get(hdr, "alg"));
    const char *typ = json_string_value(json_object_get(hdr, "typ"));
    int alg = alg_s ? psv_alg_from_name(alg_s) : 0;
    EVP_PKEY *pk = NULL;
    char *input = NULL;
    uint8_t sig[64];
    size_t sl = 0, pl = strlen(p64), bl = strlen(b64);
    if (alg != PSV_ALG_EDDSA && alg != PSV_ALG_ES256) {
        psv_fail(d, PSV_E_TRUST_LIST, "trust list alg must be EdDSA or ES256");
    } else if (!typ || strcmp(typ, TYP) != 0 || json_object_get(hdr, "crit")) {
        psv_fail(d, PSV_E_TRUST_LIST, "JWS typ must be " TYP " and no crit");
    } else if (!(pk = root_key(root, hdr, d))) {
        /* message set */
    } else if (!psv_alg_fits_pkey(alg, pk)) {
        psv_fail(d, PSV_E_TRUST_LIST, "root key does not fit alg %s", alg_s);
    } else if (!psv_b64_decode(s64, strlen(s64), true, sig, sizeof sig, &sl) ||
               !(input = malloc(pl + 1 + bl))) {
        psv_fail(d, PSV_E_TRUST_LIST, "JWS signature is not base64url of 64 bytes");
    } else {
        memcpy(input, p64, pl);
        input[pl] = '.';
        memcpy(input + pl + 1, b64, bl);
        struct psv_diag sd = {0};
        if (psv_sig_verify(pk, alg, (uint8_t *)input, pl + 1 + bl, sig, sl, 0, &sd) != PSV_OK)
            psv_fail(d, PSV_E_TRUST_LIST, "trust list signature: %s", sd.message);
        else
            payload = b64_json_member(env, "payload", d);
    }
    free(input);
    EVP_PKEY_free(pk);
    json_decref(hdr);
    return payload;
}

static bool get_time(const json_t *o, const char *name, int64_t *out)
{
    const json_t *v = json_object_get(o, name);
    if (!v)
        return true;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return false;
    *out = json_integer_value(v);
    return true;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (c)
        memcpy(c, s, n + 1);
    return c;
}

static enum psv_error key_types_uses(const json_t *jk, struct psv_tkey *k, struct psv_diag *d)
{
    const json_t *types = json_object_get(jk, "types"), *uses = json_object_get(jk, "uses");
    size_t nt = json_array_size(types), i;
    if (!json_is_array(types) || nt == 0 || nt > MAX_TYPES)
        return psv_fail(d, PSV_E_TRUST_LIST, "key types must be an array of 1-%u names", MAX_TYPES);
    if (!(k->types = calloc(nt + 1, sizeof *k->types)))
        return psv_fail(d, PSV_E_USAGE, "out of memory");
    json_t *v;
    json_array_foreach(types, i, v) {
        const char *s = json_string_value(v);
        if (!s || !*s || strlen(s) > 128 || !(k->types[i] = dup_str(s)))
            return psv_fail(d, PSV_E_TRUST_LIST, "key type %zu is not a name of 1-128 bytes", i);
    }
    k->uses = uses ? 0 : PSV_USE_DOCUMENTS;
    if (uses && !json_is_array(uses))
        return psv_fail(d, PSV_E_TRUST_LIST, "uses must be an array");
    json_array_foreach(uses, i, v) {
        const char *s = json_string_value(v);
        if (s && strcmp(s, "documents") == 0)
            k->uses |= PSV_USE_DOCUMENTS;
        else if (s && strcmp(s, "status-lists") == 0)
            k->uses |= PSV_USE_STATUS;
        else
            return psv_fail(d, PSV_E_TRUST_LIST, "unknown use (documents, status-lists)");
    }
    return PSV_OK;
}

/* The optional x5c: its first certificate must hold the JWK's key. */
static enum psv_error key_x5c(const json_t *jk, EVP_PKEY *pkey, struct psv_diag *d)
{
    const json_t *x5c = json_object_get(jk, "x5c");
    if (!x5c)
        return PSV_OK;
    const char *s = json_string_value(json_array_get(x5c, 0));
    if (!json_is_array(x5c) || !s)
        return psv_fail(d, PSV_E_TRUST_LIST, "x5c must be an array of base64 certificates");
    size_t n = strlen(s), len = 0;
    uint8_t *der = malloc(n ? n : 1);
    const unsigned char *p = der;
    X509 *x = NULL;
    if (der && psv_b64_decode(s, n, false, der, n, &len))
        x = d2i_X509(NULL, &p, (long)len);
    EVP_PKEY *cert_key = x ? X509_get0_pubkey(x) : NULL;
    bool same = cert_key && EVP_PKEY_eq(cert_key, pkey) == 1;
    X509_free(x);
    free(der);
    return same ? PSV_OK : psv_fail(d, PSV_E_TRUST_LIST, "x5c certificate does not hold the JWK");
}

static enum psv_error load_key(psv_trust *t, const char *issuer, const json_t *jk,
                               struct psv_diag *d)
{
    struct psv_tkey k = {0};
    const char *alg = json_string_value(json_object_get(jk, "alg"));
    enum psv_error e = PSV_OK;
    k.alg = alg ? psv_alg_from_name(alg) : 0;
    if (k.alg == 0)
        e = psv_fail(d, PSV_E_TRUST_LIST, "key alg must be ES256, EdDSA, PS256 or RS256");
    else if (!b64_member(jk, "kid", k.kid, sizeof k.kid, &k.kid_len) || k.kid_len == 0)
        e = psv_fail(d, PSV_E_TRUST_LIST, "key kid must be base64url of 1-64 bytes");
    else if (!(k.pkey = jwk_pkey(json_object_get(jk, "jwk"), d)))
        e = PSV_E_TRUST_LIST;
    else if (!psv_alg_fits_pkey(k.alg, k.pkey))
        e = psv_fail(d, PSV_E_TRUST_LIST, "key alg %s does not fit its JWK", alg);
    else if (!get_time(jk, "nbf", &k.nbf) || !get_time(jk, "exp", &k.exp))
        e = psv_fail(d, PSV_E_TRUST_LIST, "key nbf/exp must be NumericDate integers");
    else if ((e = key_x5c(jk, k.pkey, d)) == PSV_OK &&
             (e = key_types_uses(jk, &k, d)) == PSV_OK && !(k.issuer = dup_str(issuer)))
        e = psv_fail(d, PSV_E_USAGE, "out of memory");
    if (e != PSV_OK) {
        EVP_PKEY_free(k.pkey);
        if (k.types)
            for (char **s = k.types; *s; s++)
                free(*s);
        free(k.types);
        free(k.issuer);
        return e;
    }
    return psv_trust_add_key(t, &k, d);
}

static enum psv_error load_payload(psv_trust *t, const json_t *pl, int64_t now,
                                   struct psv_diag *d)
{
    int64_t iat = -1, exp = -1;
    const json_t *issuers = json_object_get(pl, "issuers");
    if (json_integer_value(json_object_get(pl, "version")) != 1)
        return psv_fail(d, PSV_E_TRUST_LIST, "trust list version must be 1");
    if (!get_time(pl, "iat", &iat) || !get_time(pl, "exp", &exp) || iat < 0 || exp < 0)
        return psv_fail(d, PSV_E_TRUST_LIST, "trust list needs iat and exp");
    if (now >= exp)
        return psv_fail(d, PSV_E_TRUST_LIST, "trust list expired (exp %lld)", (long long)exp);
    if (!json_is_array(issuers))
        return psv_fail(d, PSV_E_TRUST_LIST, "issuers must be an array");
    size_t i, j;
    json_t *is, *jk;
    json_array_foreach(issuers, i, is) {
        const char *id = json_string_value(json_object_get(is, "id"));
        const json_t *keys = json_object_get(is, "keys");
        if (!id || !*id || strlen(id) > 128 || !json_is_array(keys))
            return psv_fail(d, PSV_E_TRUST_LIST, "issuer %zu needs an id and keys", i);
        json_array_foreach(keys, j, jk) {
            enum psv_error e = load_key(t, id, jk, d);
            if (e != PSV_OK)
                return e;
        }
    }
    return PSV_OK;
}

enum psv_error psv_trust_load_list(psv_trust *t, const char *json, size_t len,
                                   const struct psv_root *root, int64_t now,
                                   struct psv_diag *d)
{
    if (!t || !json)
        return psv_fail(d, PSV_E_USAGE, "NULL argument");
    if (len > MAX_JSON)
        return psv_fail(d, PSV_E_TRUST_LIST, "trust list over %u bytes", MAX_JSON);
    json_t *env = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(env)) {
        json_decref(env);
        return psv_fail(d, PSV_E_TRUST_LIST, "trust list is not a JSON object");
    }
    json_t *payload = verify_jws(env, root, d);
    json_decref(env);
    if (!payload)
        return PSV_E_TRUST_LIST;
    size_t before = t->n;
    enum psv_error e = load_payload(t, payload, now, d);
    json_decref(payload);
    if (e != PSV_OK) /* all or nothing */
        psv_trust_truncate(t, before);
    return e;
}
