/* Agency systems' requests: HTTP Message Signatures (RFC 9421) verified against the client's
 * stored key, with Content-Digest (RFC 9530) over the body, `created` within 300 s and a
 * nonce. The nonce is used by the dispatcher in a write of its own, so that a replay fails on
 * every node and after a restart. */
#include <string.h>

#include "api/api_int.h"
#include "core/clock.h"
#include "identity/client.h"
#include "identity/httpsig.h"

struct resolver {
    struct ps_req *req;
    struct ps_client client;
    bool found;
};

struct client_read {
    struct ps_str id;
    struct ps_arena *arena;
    struct ps_client *out;
};

static enum ps_err client_tx(struct ps_tx *tx, void *ctx)
{
    struct client_read *c = ctx;
    struct ps_diag d;
    return ps_client_get(tx, c->id, c->arena, c->out, &d);
}

/* The key of client keyid, read from the store (a read on this thread). */
static enum ps_err resolve(void *ctx, struct ps_str keyid, struct ps_httpsig_key *key)
{
    struct resolver *r = ctx;
    struct ps_app *app = r->req->app;
    struct client_read c = {keyid, r->req->arena, &r->client};
    struct ps_diag d = {0};
    enum ps_err e = ps_store_read(app->store, client_tx, &c, &d);
    if (e != PS_OK)
        return e;
    if (r->client.public_key.len > sizeof key->pub)
        return PS_ERR_NOTFOUND;
    key->alg = r->client.alg == PS_CLIENT_ED25519 ? PS_HTTPSIG_ED25519
                                                  : PS_HTTPSIG_ECDSA_P256_SHA256;
    memcpy(key->pub, r->client.public_key.p, r->client.public_key.len);
    key->pub_len = r->client.public_key.len;
    r->found = true;
    return PS_OK;
}

static bool field(void *ctx, struct ps_str name, size_t idx, struct ps_str *value)
{
    struct ps_req *req = ctx;
    char n[64];
    if (idx > 0 || ps_str_copy(n, sizeof n, name) != PS_OK)
        return false; /* the edge refuses repeated fields that matter (Host, Authorization) */
    *value = ps_req_header(req, n);
    return value->p != NULL;
}

/* scheme://Host path[?query] as the client addressed us. */
static struct ps_str target_uri(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct ps_str host = ps_req_header(req, "Host");
    if (!host.p)
        return PS_STR_NULL;
    char *t = ps_arena_printf(req->arena, "%s://%.*s%.*s%s%.*s", app->id.rp.https ? "https" : "http",
                              PS_STR_FMT(host), PS_STR_FMT(req->path), req->query.p ? "?" : "",
                              (int)(req->query.p ? req->query.len : 0),
                              req->query.p ? req->query.p : "");
    return t ? ps_str_from_cstr(t) : PS_STR_NULL;
}

enum ps_api_signed ps_api_auth_signed(struct ps_req *req, struct ps_actor *who,
                                      struct ps_str *nonce, struct ps_id_diag *why)
{
    static const char *const required[] = {"@method", "@target-uri"};
    struct resolver r = {.req = req};
    struct ps_httpsig_request hr = {.method = req->method,
                                    .target_uri = target_uri(req),
                                    .field = field,
                                    .field_ctx = req,
                                    .content = req->body};
    struct ps_httpsig_policy pol = {.required = required,
                                    .nrequired = 2,
                                    .now = ps_clock_now_ms() / 1000,
                                    .window_s = PS_SIGNATURE_WINDOW_MS / 1000,
                                    .require_nonce = true,
                                    .resolve = resolve,
                                    .resolve_ctx = &r};
    struct ps_httpsig_result res;
    if (!ps_req_header(req, "Signature-Input").p && !ps_req_header(req, "Signature").p)
        return PS_API_SIGNED_NONE;
    if (!hr.target_uri.p) {
        ps_id_fail(why, PS_ID_HS_COMPONENT_MISSING, "a signed request needs a Host header");
        return PS_API_SIGNED_BAD;
    }
    if (ps_httpsig_verify(req->arena, &hr, &pol, &res, why) != PS_OK)
        return PS_API_SIGNED_BAD;
    who->kind = PS_ACTOR_SYSTEM;
    who->id = r.client.id;
    who->credential = res.keyid;
    who->scopes = r.client.scopes;
    who->agency = r.client.agency;
    *nonce = res.nonce;
    return PS_API_SIGNED_OK;
}
