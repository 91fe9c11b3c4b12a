/* Trust list JSON (jansson) and its JWS envelope: protected header {"alg", "typ", "jwk"},
 * signing input BASE64URL(header) "." BASE64URL(payload), signature raw (ES256 r||s). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "documents/trustlist_encode.h"

#define TL_MAX (4u << 20)

enum ps_err ps_doc_b64url(struct ps_buf *out, const uint8_t *p, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        char c[4] = {A[v >> 18], A[v >> 12 & 63], A[v >> 6 & 63], A[v & 63]};
        enum ps_err e = ps_buf_append(out, c, n - i >= 3 ? 4 : n - i + 1);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

static const char *alg_name(int alg)
{
    return alg == -7 ? "ES256" : alg == -8 ? "EdDSA" : alg == -37 ? "PS256" : alg == -257 ? "RS256" : NULL;
}

/* base64 (standard, padded) for x5c. */
static json_t *b64_std(const uint8_t *p, size_t n)
{
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc((n + 2) / 3 * 4 + 1);
    if (!s)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        s[o++] = A[v >> 18];
        s[o++] = A[v >> 12 & 63];
        s[o++] = i + 1 < n ? A[v >> 6 & 63] : '=';
        s[o++] = i + 2 < n ? A[v & 63] : '=';
    }
    s[o] = '\0';
    json_t *j = json_string(s);
    free(s);
    return j;
}

static json_t *key_json(const struct ps_doc_tl_key *k)
{
    struct ps_buf kid;
    ps_buf_init(&kid, 128);
    json_t *jwk = json_loads(k->jwk ? k->jwk : "", 0, NULL);
    json_t *types = json_array(), *uses = json_array();
    json_t *o = NULL;
    if (ps_doc_b64url(&kid, k->kid, k->kid_len) != PS_OK || !jwk || !types || !uses ||
        !alg_name(k->alg) || k->ntypes == 0)
        goto out;
    for (size_t i = 0; i < k->ntypes; i++)
        json_array_append_new(types, json_string(k->types[i]));
    if (!k->uses || (k->uses & PS_DOC_USE_DOCUMENTS))
        json_array_append_new(uses, json_string("documents"));
    if (k->uses & PS_DOC_USE_STATUS)
        json_array_append_new(uses, json_string("status-lists"));
    o = json_pack("{s:s, s:s, s:O, s:O, s:O}", "kid", kid.p, "alg", alg_name(k->alg), "jwk", jwk,
                  "types", types, "uses", uses);
    if (o && k->cert)
        json_object_set_new(o, "x5c", json_pack("[o]", b64_std(k->cert, k->cert_len)));
    if (o && k->nbf)
        json_object_set_new(o, "nbf", json_integer(k->nbf));
    if (o && k->exp)
        json_object_set_new(o, "exp", json_integer(k->exp));
out:
    json_decref(jwk);
    json_decref(types);
    json_decref(uses);
    ps_buf_reset(&kid);
    return o;
}

static json_t *payload_json(const struct ps_doc_tl *tl)
{
    json_t *issuers = json_array();
    json_t *by_id = json_object(); /* issuer id -> its keys array */
    json_t *root = NULL;
    for (size_t i = 0; issuers && by_id && i < tl->nkeys; i++) {
        const struct ps_doc_tl_key *k = &tl->keys[i];
        json_t *keys = json_object_get(by_id, k->issuer ? k->issuer : "");
        if (!keys) {
            keys = json_array();
            json_t *is = json_pack("{s:s, s:o}", "id", k->issuer ? k->issuer : "", "keys", keys);
            if (!is)
                goto out;
            if (k->name)
                json_object_set_new(is, "name", json_string(k->name));
            json_array_append_new(issuers, is);
            json_object_set(by_id, k->issuer ? k->issuer : "", keys);
        }
        json_t *kj = key_json(k);
        if (!kj)
            goto out;
        json_array_append_new(keys, kj);
    }
    root = json_pack("{s:i, s:I, s:I, s:O}", "version", 1, "iat", (json_int_t)tl->iat, "exp",
                     (json_int_t)tl->exp, "issuers", issuers);
out:
    json_decref(by_id);
    json_decref(issuers);
    return root;
}

/* BASE64URL(JSON text of j) appended to b. */
static enum ps_err b64_of_json(struct ps_buf *b, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    enum ps_err e = s ? ps_doc_b64url(b, (const uint8_t *)s, strlen(s)) : PS_ERR_INVALID;
    free(s);
    return e;
}

enum ps_err ps_doc_trust_list_encode(const struct ps_doc_tl *tl, const struct ps_doc_signer *root,
                                     const char *root_jwk, struct ps_buf *out)
{
    if ((root->alg != -7 && root->alg != -8) || tl->exp <= tl->iat)
        return PS_ERR_INVALID;
    json_t *jwk = json_loads(root_jwk ? root_jwk : "", 0, NULL);
    json_t *hdr = jwk ? json_pack("{s:s, s:s, s:O}", "alg", alg_name(root->alg), "typ",
                                  "pocketstate-trust-list+json", "jwk", jwk)
                      : NULL;
    json_t *pl = payload_json(tl);
    struct ps_buf input, sigb;
    ps_buf_init(&input, TL_MAX);
    ps_buf_init(&sigb, 1024);
    uint8_t sig[PS_DOC_SIG_MAX];
    size_t sl = 0;
    enum ps_err e = pl && hdr ? PS_OK : PS_ERR_INVALID;
    if (e == PS_OK && (e = b64_of_json(&input, hdr)) == PS_OK &&
        (e = ps_buf_append(&input, ".", 1)) == PS_OK && (e = b64_of_json(&input, pl)) == PS_OK &&
        (e = root->sign(root->ctx, (const uint8_t *)input.p, input.len, sig, sizeof sig, &sl)) == PS_OK &&
        (e = ps_doc_b64url(&sigb, sig, sl)) == PS_OK) {
        const char *dot = memchr(input.p, '.', input.len);
        e = ps_buf_printf(out, "{\"protected\":\"%.*s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
                          (int)(dot - input.p), input.p, dot + 1, sigb.p);
    }
    ps_buf_reset(&sigb);
    ps_buf_reset(&input);
    json_decref(pl);
    json_decref(hdr);
    json_decref(jwk);
    return e;
}
