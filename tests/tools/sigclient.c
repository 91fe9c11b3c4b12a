/* The RFC 9421 request signer of the test tools: a key file, the Content-Digest of the body,
 * and the Signature-Input / Signature field values for a request, through the same base
 * builder the server verifies with (src/identity/httpsig.h). */
#include <sodium.h>
#include <string.h>

#include "authn_tools.h"
#include "identity/digest.h"
#include "identity/sig.h"
#include "tools_int.h"

enum ps_err ps_sigclient_key_new(enum ps_httpsig_alg alg, const char *keyid,
                                 struct ps_sigclient_key *k)
{
    memset(k, 0, sizeof *k);
    if (!keyid || !*keyid || ps_str_copy(k->keyid, sizeof k->keyid, ps_str_from_cstr(keyid)) != PS_OK)
        return PS_ERR_INVALID;
    k->alg = alg;
    if (alg == PS_HTTPSIG_ED25519) {
        crypto_sign_keypair(k->pub, k->secret);
        k->pub_len = 32;
        return PS_OK;
    }
    if (alg != PS_HTTPSIG_ECDSA_P256_SHA256)
        return PS_ERR_INVALID;
    k->pub_len = 65;
    return ps_sig_p256_keygen(k->secret, k->pub);
}

static size_t secret_len(enum ps_httpsig_alg alg)
{
    return alg == PS_HTTPSIG_ED25519 ? 64 : 32;
}

enum ps_err ps_sigclient_key_load(const char *path, struct ps_sigclient_key *k,
                                  struct ps_diag *diag)
{
    json_t *j;
    memset(k, 0, sizeof *k);
    enum ps_err e = tools_read_json(path, &j, diag);
    if (e != PS_OK)
        return e;
    const char *alg = json_string_value(json_object_get(j, "alg"));
    const char *keyid = json_string_value(json_object_get(j, "keyid"));
    k->alg = alg && strcmp(alg, "ed25519") == 0 ? PS_HTTPSIG_ED25519
             : alg && strcmp(alg, "ecdsa-p256-sha256") == 0 ? PS_HTTPSIG_ECDSA_P256_SHA256 : 0;
    k->pub_len = k->alg == PS_HTTPSIG_ED25519 ? 32 : 65;
    if (!k->alg || !keyid || ps_str_copy(k->keyid, sizeof k->keyid, ps_str_from_cstr(keyid)) != PS_OK)
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s: alg or keyid missing or wrong", path);
    if (e == PS_OK)
        e = tools_b64_member(j, "secret", k->secret, secret_len(k->alg), 0, NULL, diag);
    if (e == PS_OK && k->alg == PS_HTTPSIG_ED25519)
        memcpy(k->pub, k->secret + 32, 32);
    else if (e == PS_OK && ps_sig_p256_public(k->secret, k->pub) != PS_OK)
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s: not a P-256 private key", path);
    json_decref(j);
    return e;
}

enum ps_err ps_sigclient_key_save(const char *path, const struct ps_sigclient_key *k,
                                  struct ps_diag *diag)
{
    json_t *j = json_pack("{s:s,s:s,s:o,s:o}", "alg", ps_httpsig_alg_name(k->alg), "keyid",
                          k->keyid, "secret", tools_b64_json(k->secret, secret_len(k->alg)),
                          "public", tools_b64_json(k->pub, k->pub_len));
    if (!j)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = tools_write_json(path, j, diag);
    json_decref(j);
    return e;
}

enum ps_err ps_sigclient_key_public_json(const struct ps_sigclient_key *k, struct ps_buf *out)
{
    json_t *j = json_pack("{s:s,s:s,s:o}", "keyid", k->keyid, "alg", ps_httpsig_alg_name(k->alg),
                          "public", tools_b64_json(k->pub, k->pub_len));
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    enum ps_err e = s ? ps_buf_append_cstr(out, s) : PS_ERR_NOMEM;
    free(s);
    json_decref(j);
    return e;
}

/* The header lines the signature covers: the caller's, plus Content-Digest when there is a
 * body. */
static enum ps_err lines_of(struct ps_arena *a, const struct ps_sigclient_request *req,
                            struct ps_buf *digest, struct ps_httpsig_fields *f)
{
    struct ps_httpsig_field_line *l = ps_arena_array(a, req->nheaders + 1, sizeof *l);
    if (!l)
        return PS_ERR_NOMEM;
    if (req->nheaders)
        memcpy(l, req->headers, req->nheaders * sizeof *l);
    f->lines = l;
    f->n = req->nheaders;
    if (req->body.len == 0)
        return PS_OK;
    enum ps_err e = ps_digest_format(digest, PS_DIGEST_SHA256, req->body.p, req->body.len);
    if (e != PS_OK)
        return e;
    l[f->n++] = (struct ps_httpsig_field_line){PS_STR("Content-Digest"), ps_buf_str(digest)};
    return PS_OK;
}

enum ps_err ps_sigclient_sign(struct ps_arena *a, const struct ps_sigclient_key *k,
                              const struct ps_sigclient_request *req, struct ps_buf *content_digest,
                              struct ps_buf *sig_input, struct ps_buf *signature,
                              struct ps_diag *diag)
{
    static const char *const with_body[] = {"@method", "@target-uri", "content-digest"};
    struct ps_httpsig_fields f;
    enum ps_err e = lines_of(a, req, content_digest, &f);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "cannot compute Content-Digest");
    struct ps_httpsig_request r = {.method = req->method, .target_uri = req->url,
                                   .field = ps_httpsig_fields_lookup, .field_ctx = &f,
                                   .content = req->body};
    struct ps_httpsig_sign_params p = {
        .label = req->label.p ? req->label : PS_STR("sig1"),
        .components = req->components ? req->components : with_body,
        .ncomponents = req->components ? req->ncomponents : req->body.len ? 3 : 2,
        .created = req->created, .expires = req->expires, .keyid = ps_str_from_cstr(k->keyid),
        .nonce = req->nonce, .tag = req->tag, .alg = k->alg, .secret = k->secret};
    struct ps_id_diag d;
    e = ps_httpsig_sign(a, &r, &p, sig_input, signature, NULL, &d);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "%s: %s", ps_id_code_name(d.code), d.d.message);
    return PS_OK;
}
