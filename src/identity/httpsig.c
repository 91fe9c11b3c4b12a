/* RFC 9421 verification (section 3.2) and signing (section 3.1) for requests: reading and
 * matching the Signature-Input and Signature dictionaries, choosing the signature, the
 * caller's policy, key resolution, and the cryptographic check over the signature base that
 * httpsig_base.c builds. */
#include "identity/httpsig.h"

#include <sodium.h>
#include <string.h>

#include "identity/digest.h"
#include "identity/sfv.h"
#include "identity/sig.h"

static const char *const alg_names[] = {
    [PS_HTTPSIG_ED25519] = "ed25519",
    [PS_HTTPSIG_ECDSA_P256_SHA256] = "ecdsa-p256-sha256",
};

const char *ps_httpsig_alg_name(enum ps_httpsig_alg alg)
{
    if (alg != PS_HTTPSIG_ED25519 && alg != PS_HTTPSIG_ECDSA_P256_SHA256)
        return NULL;
    return alg_names[alg];
}

bool ps_httpsig_fields_lookup(void *ctx, struct ps_str name, size_t idx, struct ps_str *value)
{
    const struct ps_httpsig_fields *f = ctx;
    for (size_t i = 0; i < f->n; i++)
        if (ps_str_eq_nocase(f->lines[i].name, name) && idx-- == 0) {
            *value = f->lines[i].value;
            return true;
        }
    return false;
}

static enum ps_err nomem(struct ps_id_diag *diag)
{
    return ps_id_fail(diag, PS_ID_INTERNAL, "out of memory");
}

/* The lines of a field joined with ", " (RFC 9110 section 5.3); value.p NULL when absent. */
static enum ps_err field_joined(struct ps_arena *a, const struct ps_httpsig_request *req,
                                const char *name, struct ps_str *value, struct ps_id_diag *diag)
{
    struct ps_str line;
    struct ps_buf b;
    ps_buf_init(&b, PS_HTTPSIG_FIELD_MAX);
    *value = PS_STR_NULL;
    size_t n = 0;
    enum ps_err e = PS_OK;
    for (; e == PS_OK && req->field && req->field(req->field_ctx, ps_str_from_cstr(name), n, &line);
         n++) {
        if (n > 0)
            e = ps_buf_append(&b, ", ", 2);
        if (e == PS_OK)
            e = ps_buf_append_str(&b, line);
    }
    if (e == PS_OK && n > 0 && !(value->p = ps_arena_strndup(a, b.p ? b.p : "", b.len)))
        e = PS_ERR_NOMEM;
    value->len = value->p ? b.len : 0;
    ps_buf_reset(&b);
    if (e == PS_ERR_LIMIT)
        return ps_id_fail(diag, PS_ID_HS_LIMIT, "%s over %d bytes", name, PS_HTTPSIG_FIELD_MAX);
    return e == PS_OK ? PS_OK : nomem(diag);
}

static enum ps_err parse_field(struct ps_arena *a, struct ps_str v, const char *name,
                               struct ps_sfv_field *out, struct ps_id_diag *diag)
{
    struct ps_sfv_limits lim = {PS_HTTPSIG_FIELD_MAX, PS_HTTPSIG_MAX_SIGNATURES,
                                PS_HTTPSIG_MAX_COMPONENTS, 16};
    struct ps_diag sd = {0};
    enum ps_err e = ps_sfv_parse_dict(a, v, &lim, out, &sd);
    if (e == PS_ERR_NOMEM)
        return nomem(diag);
    if (e == PS_ERR_LIMIT)
        return ps_id_fail(diag, PS_ID_HS_LIMIT, "%s: %s", name, sd.message);
    if (e != PS_OK)
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "%s: %s", name, sd.message);
    if (out->dups)
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "%s repeats a label or parameter", name);
    return PS_OK;
}

/* Both fields, parsed, with the same labels and values of the right types. */
static enum ps_err read_fields(struct ps_arena *a, const struct ps_httpsig_request *req,
                               struct ps_sfv_field *in, struct ps_sfv_field *sig,
                               struct ps_id_diag *diag)
{
    struct ps_str vin, vsig;
    enum ps_err e = field_joined(a, req, "signature-input", &vin, diag);
    if (e == PS_OK)
        e = field_joined(a, req, "signature", &vsig, diag);
    if (e != PS_OK)
        return e;
    if (!vin.p && !vsig.p)
        return ps_id_fail(diag, PS_ID_HS_MISSING, "no Signature-Input and Signature fields");
    if (!vin.p || !vsig.p)
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "%s without %s",
                          vin.p ? "Signature-Input" : "Signature",
                          vin.p ? "Signature" : "Signature-Input");
    if ((e = parse_field(a, vin, "Signature-Input", in, diag)) != PS_OK ||
        (e = parse_field(a, vsig, "Signature", sig, diag)) != PS_OK)
        return e;
    if (in->n != sig->n)
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "Signature-Input and Signature labels differ");
    for (size_t i = 0; i < in->n; i++) {
        const struct ps_sfv_member *s = ps_sfv_dict_get(sig, in->members[i].key);
        if (!s)
            return ps_id_fail(diag, PS_ID_HS_MALFORMED, "label %.*s has no Signature",
                              PS_STR_FMT(in->members[i].key));
        if (in->members[i].value.bare.type != PS_SFV_INNER_LIST)
            return ps_id_fail(diag, PS_ID_HS_MALFORMED, "Signature-Input %.*s is not an inner list",
                              PS_STR_FMT(in->members[i].key));
        if (s->value.bare.type != PS_SFV_BYTES || s->value.nparams)
            return ps_id_fail(diag, PS_ID_HS_MALFORMED, "Signature %.*s is not a byte sequence",
                              PS_STR_FMT(in->members[i].key));
    }
    return PS_OK;
}

/* The one signature the policy's label and tag leave. */
static enum ps_err choose(const struct ps_sfv_field *in, const struct ps_httpsig_policy *pol,
                          size_t *chosen, struct ps_id_diag *diag)
{
    size_t count = 0;
    for (size_t i = 0; i < in->n; i++) {
        if (pol->label.p && !ps_str_eq(in->members[i].key, pol->label))
            continue;
        const struct ps_sfv_bare *tag = ps_sfv_param_get(&in->members[i].value, PS_STR("tag"));
        if (pol->tag.p && (!tag || tag->type != PS_SFV_STRING || !ps_str_eq(tag->s, pol->tag)))
            continue;
        *chosen = i;
        count++;
    }
    if (count == 0)
        return ps_id_fail(diag, PS_ID_HS_MISSING, "no signature with the requested label or tag");
    if (count > 1)
        return ps_id_fail(diag, PS_ID_HS_AMBIGUOUS,
                          "%zu signatures match and no label or tag chooses one", count);
    return PS_OK;
}

/* Reads the registered signature parameters, checking their types. */
static enum ps_err read_params(const struct ps_sfv_value *v, struct ps_httpsig_result *r,
                               struct ps_str *alg, struct ps_id_diag *diag)
{
    static const struct {
        const char *key;
        enum ps_sfv_type type;
    } known[] = {{"created", PS_SFV_INTEGER}, {"expires", PS_SFV_INTEGER}, {"nonce", PS_SFV_STRING},
                 {"alg", PS_SFV_STRING},      {"keyid", PS_SFV_STRING},    {"tag", PS_SFV_STRING}};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        const struct ps_sfv_bare *b = ps_sfv_param_get(v, ps_str_from_cstr(known[i].key));
        if (!b)
            continue;
        if (b->type != known[i].type)
            return ps_id_fail(diag, PS_ID_HS_MALFORMED, "signature parameter %s of the wrong type",
                              known[i].key);
        switch (i) {
        case 0: r->created = b->i; break;
        case 1: r->expires = b->i; r->has_expires = true; break;
        case 2: r->nonce = b->s; break;
        case 3: *alg = b->s; break;
        case 4: r->keyid = b->s; break;
        default: r->tag = b->s; break;
        }
    }
    return PS_OK;
}

static enum ps_err check_time(const struct ps_sfv_value *v, const struct ps_httpsig_policy *pol,
                              const struct ps_httpsig_result *r, struct ps_id_diag *diag)
{
    if (!r->keyid.p)
        return ps_id_fail(diag, PS_ID_HS_PARAMS, "no keyid parameter");
    if (!ps_sfv_param_get(v, PS_STR("created")))
        return ps_id_fail(diag, PS_ID_HS_PARAMS, "no created parameter");
    if (pol->require_nonce && !r->nonce.p)
        return ps_id_fail(diag, PS_ID_HS_PARAMS, "no nonce parameter");
    int64_t w = pol->window_s > 0 ? pol->window_s : PS_HTTPSIG_DEFAULT_WINDOW_S;
    if (r->created < pol->now - w || r->created > pol->now + w)
        return ps_id_fail(diag, PS_ID_HS_STALE,
                          "created %lld is more than %lld s away from now (%lld)",
                          (long long)r->created, (long long)w, (long long)pol->now);
    if (r->has_expires && r->expires < pol->now)
        return ps_id_fail(diag, PS_ID_HS_EXPIRED, "expired at %lld, now %lld",
                          (long long)r->expires, (long long)pol->now);
    return PS_OK;
}

static bool covers(const struct ps_sfv_value *v, const char *name)
{
    for (size_t i = 0; i < v->nitems; i++)
        if (v->items[i].bare.type == PS_SFV_STRING &&
            ps_str_eq_cstr(v->items[i].bare.s, name) && v->items[i].nparams == 0)
            return true;
    return false;
}

static enum ps_err check_required(const struct ps_sfv_value *v,
                                  const struct ps_httpsig_request *req,
                                  const struct ps_httpsig_policy *pol, struct ps_id_diag *diag)
{
    static const char *const def[] = {"@method", "@target-uri"};
    const char *const *list = pol->required ? pol->required : def;
    size_t n = pol->required ? pol->nrequired : 2;
    for (size_t i = 0; i < n; i++)
        if (!covers(v, list[i]))
            return ps_id_fail(diag, PS_ID_HS_COMPONENTS, "%s is not covered", list[i]);
    if (req->content.len == 0 || covers(v, "content-digest"))
        return PS_OK;
    struct ps_str cd;
    if (!req->field || !req->field(req->field_ctx, PS_STR("content-digest"), 0, &cd))
        return ps_id_fail(diag, PS_ID_DG_MISSING, "request content without Content-Digest");
    return ps_id_fail(diag, PS_ID_HS_COMPONENTS, "content-digest is not covered");
}

static enum ps_err resolve(const struct ps_httpsig_policy *pol, struct ps_str alg,
                           struct ps_httpsig_result *r, struct ps_httpsig_key *key,
                           struct ps_id_diag *diag)
{
    memset(key, 0, sizeof *key);
    enum ps_err e = pol->resolve ? pol->resolve(pol->resolve_ctx, r->keyid, key) : PS_ERR_NOTFOUND;
    if (e == PS_ERR_NOTFOUND)
        return ps_id_fail(diag, PS_ID_HS_UNKNOWN_KEY, "unknown keyid");
    if (e != PS_OK) {
        ps_id_fail(diag, PS_ID_INTERNAL, "key lookup failed: %s", ps_err_name(e));
        if (diag)
            diag->d.code = e;
        return e;
    }
    bool size_ok = (key->alg == PS_HTTPSIG_ED25519 && key->pub_len == PS_ED25519_PUB_LEN) ||
                   (key->alg == PS_HTTPSIG_ECDSA_P256_SHA256 && key->pub_len == PS_P256_PUB_LEN);
    if (!size_ok) {
        ps_id_fail(diag, PS_ID_INTERNAL, "the resolver returned a malformed key");
        if (diag)
            diag->d.code = PS_ERR_INTERNAL;
        return PS_ERR_INTERNAL;
    }
    if (alg.p && !ps_str_eq_cstr(alg, ps_httpsig_alg_name(key->alg)))
        return ps_id_fail(diag, PS_ID_HS_ALGORITHM, "alg %.*s is not the key's algorithm (%s)",
                          PS_STR_FMT(alg), ps_httpsig_alg_name(key->alg));
    r->alg = key->alg;
    return PS_OK;
}

static enum ps_err check_signature(const struct ps_httpsig_key *key, struct ps_str base,
                                   struct ps_bytes sig, struct ps_id_diag *diag)
{
    enum ps_err e = key->alg == PS_HTTPSIG_ED25519
                        ? ps_sig_ed25519_verify(key->pub, base.p, base.len, sig.p, sig.len)
                        : ps_sig_p256_verify(key->pub, base.p, base.len, sig.p, sig.len);
    if (e == PS_ERR_NOMEM)
        return nomem(diag);
    if (e != PS_OK)
        return ps_id_fail(diag, PS_ID_HS_BAD_SIGNATURE, "signature does not verify (%zu bytes, %s)",
                          sig.len, ps_httpsig_alg_name(key->alg));
    return PS_OK;
}

static enum ps_err components_out(struct ps_arena *a, const struct ps_sfv_value *v,
                                  struct ps_httpsig_result *r, struct ps_id_diag *diag)
{
    r->components = ps_arena_array(a, v->nitems ? v->nitems : 1, sizeof *r->components);
    if (!r->components)
        return nomem(diag);
    for (size_t i = 0; i < v->nitems; i++) {
        struct ps_buf b;
        ps_buf_init(&b, PS_HTTPSIG_FIELD_MAX);
        enum ps_err e = ps_sfv_serialize_value(&b, &v->items[i]);
        char *id = e == PS_OK ? ps_arena_strndup(a, b.p, b.len) : NULL;
        r->components[i].name = v->items[i].bare.s;
        r->components[i].id = (struct ps_str){id, id ? b.len : 0};
        ps_buf_reset(&b);
        if (!id)
            return nomem(diag);
    }
    r->ncomponents = v->nitems;
    return PS_OK;
}

static enum ps_err verify_chosen(struct ps_arena *a, const struct ps_httpsig_request *req,
                                 const struct ps_httpsig_policy *pol, const struct ps_sfv_value *v,
                                 struct ps_bytes sig, struct ps_httpsig_result *r,
                                 struct ps_id_diag *diag)
{
    struct ps_str alg = PS_STR_NULL;
    struct ps_httpsig_key key;
    enum ps_err e = read_params(v, r, &alg, diag);
    if (e == PS_OK)
        e = check_time(v, pol, r, diag);
    if (e == PS_OK)
        e = check_required(v, req, pol, diag);
    if (e == PS_OK)
        e = resolve(pol, alg, r, &key, diag);
    if (e != PS_OK)
        return e;
    struct ps_buf base;
    ps_buf_init(&base, PS_HTTPSIG_BASE_MAX);
    e = ps_httpsig_base(a, req, v, &base, diag);
    if (e == PS_OK)
        e = check_signature(&key, ps_buf_str(&base), sig, diag);
    if (e == PS_OK && !(r->base.p = ps_arena_strndup(a, base.p, base.len)))
        e = nomem(diag);
    r->base.len = r->base.p ? base.len : 0;
    ps_buf_reset(&base);
    if (e == PS_OK && covers(v, "content-digest")) {
        struct ps_str cd;
        if ((e = field_joined(a, req, "content-digest", &cd, diag)) == PS_OK)
            e = ps_digest_verify(a, cd, req->content, &r->digest_algs, diag);
    }
    return e == PS_OK ? components_out(a, v, r, diag) : e;
}

enum ps_err ps_httpsig_verify(struct ps_arena *a, const struct ps_httpsig_request *req,
                              const struct ps_httpsig_policy *policy,
                              struct ps_httpsig_result *out, struct ps_id_diag *diag)
{
    struct ps_sfv_field in, sig;
    size_t k = 0;
    memset(out, 0, sizeof *out);
    enum ps_err e = read_fields(a, req, &in, &sig, diag);
    if (e == PS_OK)
        e = choose(&in, policy, &k, diag);
    if (e != PS_OK)
        return e;
    out->label = in.members[k].key;
    const struct ps_sfv_member *s = ps_sfv_dict_get(&sig, out->label);
    e = verify_chosen(a, req, policy, &in.members[k].value, s->value.bare.b, out, diag);
    if (e == PS_OK)
        ps_id_diag_clear(diag);
    return e;
}

/* ---- signing ---- */

static enum ps_err add_param(struct ps_sfv_value *v, size_t cap, const char *key,
                             struct ps_sfv_bare val)
{
    if (v->nparams == cap)
        return PS_ERR_INTERNAL;
    v->params[v->nparams].key = ps_str_from_cstr(key);
    v->params[v->nparams++].value = val;
    return PS_OK;
}

/* The Signature-Input member value for p: covered components and parameters. */
static enum ps_err sign_input(struct ps_arena *a, const struct ps_httpsig_sign_params *p,
                              struct ps_sfv_value *v, struct ps_id_diag *diag)
{
    memset(v, 0, sizeof *v);
    v->bare.type = PS_SFV_INNER_LIST;
    if (p->ncomponents > PS_HTTPSIG_MAX_COMPONENTS)
        return ps_id_fail(diag, PS_ID_HS_LIMIT, "more than %d components", PS_HTTPSIG_MAX_COMPONENTS);
    v->items = ps_arena_array(a, p->ncomponents + 1, sizeof *v->items);
    v->params = ps_arena_array(a, 6, sizeof *v->params);
    if (!v->items || !v->params)
        return nomem(diag);
    for (size_t i = 0; i < p->ncomponents; i++) {
        struct ps_str c = ps_str_from_cstr(p->components[i]);
        struct ps_diag sd = {0};
        memset(&v->items[i], 0, sizeof v->items[i]);
        v->items[i].bare = (struct ps_sfv_bare){.type = PS_SFV_STRING, .s = c};
        if (c.len && c.p[0] == '"' && ps_sfv_parse_item(a, c, NULL, &v->items[i], &sd) != PS_OK)
            return ps_id_fail(diag, PS_ID_HS_MALFORMED, "component %s: %s", p->components[i],
                              sd.message);
    }
    v->nitems = p->ncomponents;
    enum ps_err e = add_param(v, 6, "created", (struct ps_sfv_bare){.type = PS_SFV_INTEGER, .i = p->created});
    if (e == PS_OK && p->expires)
        e = add_param(v, 6, "expires", (struct ps_sfv_bare){.type = PS_SFV_INTEGER, .i = p->expires});
    if (e == PS_OK)
        e = add_param(v, 6, "keyid", (struct ps_sfv_bare){.type = PS_SFV_STRING, .s = p->keyid});
    if (e == PS_OK && p->nonce.p)
        e = add_param(v, 6, "nonce", (struct ps_sfv_bare){.type = PS_SFV_STRING, .s = p->nonce});
    if (e == PS_OK && p->tag.p)
        e = add_param(v, 6, "tag", (struct ps_sfv_bare){.type = PS_SFV_STRING, .s = p->tag});
    if (e == PS_OK && p->include_alg)
        e = add_param(v, 6, "alg",
                      (struct ps_sfv_bare){.type = PS_SFV_STRING,
                                           .s = ps_str_from_cstr(ps_httpsig_alg_name(p->alg))});
    return e;
}

static enum ps_err sign_base(const struct ps_httpsig_sign_params *p, struct ps_str base,
                             uint8_t sig[64], struct ps_id_diag *diag)
{
    if (p->alg == PS_HTTPSIG_ED25519) {
        crypto_sign_detached(sig, NULL, (const unsigned char *)base.p, base.len, p->secret);
        return PS_OK;
    }
    if (p->alg == PS_HTTPSIG_ECDSA_P256_SHA256 &&
        ps_sig_p256_sign(p->secret, base.p, base.len, sig) == PS_OK)
        return PS_OK;
    ps_id_fail(diag, PS_ID_HS_ALGORITHM, "cannot sign with this algorithm or key");
    if (diag)
        diag->d.code = PS_ERR_CRYPTO;
    return PS_ERR_CRYPTO;
}

enum ps_err ps_httpsig_sign(struct ps_arena *a, const struct ps_httpsig_request *req,
                            const struct ps_httpsig_sign_params *p, struct ps_buf *sig_input,
                            struct ps_buf *signature, struct ps_buf *base_out,
                            struct ps_id_diag *diag)
{
    struct ps_sfv_value v;
    uint8_t sig[64];
    struct ps_buf base;
    ps_buf_init(&base, PS_HTTPSIG_BASE_MAX);
    enum ps_err e = sign_input(a, p, &v, diag);
    if (e == PS_OK && (!p->keyid.p || !ps_httpsig_alg_name(p->alg)))
        e = ps_id_fail(diag, PS_ID_HS_PARAMS, "signing needs a keyid and a known algorithm");
    if (e == PS_OK)
        e = ps_httpsig_base(a, req, &v, &base, diag);
    if (e == PS_OK)
        e = sign_base(p, ps_buf_str(&base), sig, diag);
    if (e == PS_OK && (ps_sfv_serialize_key(sig_input, p->label) != PS_OK ||
                       ps_buf_append(sig_input, "=", 1) != PS_OK ||
                       ps_sfv_serialize_value(sig_input, &v) != PS_OK ||
                       ps_sfv_serialize_key(signature, p->label) != PS_OK ||
                       ps_buf_append(signature, "=:", 2) != PS_OK ||
                       ps_b64_append(signature, sig, sizeof sig, 0) != PS_OK ||
                       ps_buf_append(signature, ":", 1) != PS_OK))
        e = ps_id_fail(diag, PS_ID_HS_MALFORMED,
                       "label or parameters cannot be serialized (or the output is full)");
    if (e == PS_OK && base_out)
        e = ps_buf_append(base_out, base.p, base.len) == PS_OK ? PS_OK : nomem(diag);
    ps_buf_reset(&base);
    return e;
}
