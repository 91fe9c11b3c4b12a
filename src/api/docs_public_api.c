/* Documents for everyone else: what verifiers fetch and cache (the trust list, the root key,
 * status lists, a document's public status, the document types), share redemption by a
 * verifier or the public verify page, an official's view of a person's documents, and an
 * issuer official's revocation, suspension and reinstatement. */
#include <string.h>

#include "api/api_int.h"
#include "api/docs_render.h"
#include "api/render.h"
#include "core/clock.h"
#include "registries/rnokpp.h"
#include "tlog/access.h"

#define TRUST_MAX_AGE "public, max-age=3600"

/* Answers 304 when If-None-Match names etag. */
static bool not_modified(struct ps_req *req, const char *etag)
{
    struct ps_str inm = ps_req_header(req, "If-None-Match");
    if (!inm.p || !strstr(ps_arena_cstr(req->arena, inm) ? ps_arena_cstr(req->arena, inm) : "",
                          etag))
        return false;
    ps_resp_header(req, "ETag", etag);
    ps_resp_bytes(req, 304, NULL, PS_STR(""));
    return true;
}

/* ---- GET /.well-known/pocketstate/trust-list ---- */

void ps_api_trust_list(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    char etag[67];
    struct ps_diag d = {0};
    if (!docs)
        return;
    struct ps_buf *body = ps_resp_body(req);
    if (ps_docs_trust_list(docs, body, etag, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    ps_resp_header(req, "Cache-Control", TRUST_MAX_AGE);
    if (not_modified(req, etag))
        return;
    ps_resp_header(req, "ETag", etag);
    ps_resp_ready(req, 200, "application/json");
}

/* ---- GET /.well-known/pocketstate/root-key ---- */

void ps_api_root_key(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    if (!docs)
        return;
    if (ps_docs_root_jwk(docs, ps_resp_body(req)) != PS_OK) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "root key");
        return;
    }
    ps_resp_header(req, "Cache-Control", "public, max-age=86400");
    ps_resp_ready(req, 200, "application/jwk+json");
}

/* ---- GET /api/v1/status-lists/{id} ---- */

void ps_api_status_list(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    uint64_t id = 0;
    char etag[67];
    struct ps_diag d = {0};
    if (!docs)
        return;
    if (ps_str_to_u64(ps_req_param(req, "id"), &id) != PS_OK || id == 0 || id > INT64_MAX) {
        ps_resp_problem(req, 404, "not-found", "Not found", "a status list id is a number");
        return;
    }
    if (ps_docs_status_list(docs, (int64_t)id, ps_resp_body(req), etag, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    ps_resp_header(req, "Cache-Control", "public, max-age=300");
    if (not_modified(req, etag))
        return;
    ps_resp_header(req, "ETag", etag);
    ps_resp_ready(req, 200, "application/statuslist+cwt");
}

/* ---- GET /api/v1/documents/{id}/status ---- */

struct pub {
    struct ps_docs *docs;
    struct ps_str id;
    struct ps_arena *arena;
    struct ps_document doc;
};

static enum ps_err pub_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct pub *p = ctx;
    return ps_docs_public(tx, p->docs, p->id, p->arena, &p->doc, diag);
}

static void pub_render(struct ps_req *req, void *ctx)
{
    struct pub *p = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_document_public_json(&w, &p->doc, ps_clock_now_ms());
    ps_resp_header(req, "Cache-Control", "no-cache");
    ps_api_json_end(req, &w, 200);
}

void ps_api_document_status(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    struct pub *p = docs ? ps_api_alloc(req, sizeof *p) : NULL;
    if (!p)
        return;
    p->docs = docs;
    p->id = ps_req_param(req, "id");
    p->arena = req->arena;
    ps_api_read(req, pub_op, p, pub_render);
}

/* ---- GET /api/v1/doctypes ---- */

void ps_api_doctypes(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    if (!docs)
        return;
    const struct ps_doctypes *set = ps_docs_types(docs);
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "doctypes");
    ps_jw_arr(&w);
    for (size_t i = 0; i < ps_doctypes_count(set); i++)
        ps_api_doctype_json(&w, ps_doctypes_at(set, i));
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "public, max-age=3600");
    ps_api_json_end(req, &w, 200);
}

/* ---- POST /api/v1/shares/redeem, POST /api/v1/public/shares/redeem ---- */

#define CODE_MAX 64

struct redeem {
    struct ps_docs *docs;
    const struct ps_actor *verifier;
    struct ps_str code, purpose;
    bool public;
    struct ps_arena *arena;
    struct ps_doc_source src;
    ps_claim_mask mask;
    struct ps_diag refused;
    struct ps_doc_view view;
};

static enum ps_err redeem_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct redeem *r = ctx;
    return ps_docs_share_redeem(tx, r->docs, r->verifier, r->code, r->purpose, r->public,
                                r->arena, &r->src, &r->mask, &r->refused, diag);
}

static void redeem_failed(struct ps_req *req, const struct ps_diag *d);

static void redeem_render(struct ps_req *req, void *ctx)
{
    struct redeem *r = ctx;
    struct ps_diag d = {0};
    int64_t now = ps_clock_now_ms();
    if (r->refused.code != PS_OK) {
        redeem_failed(req, &r->refused);
        return;
    }
    /* the claims, computed here on the server thread: the committer only read and wrote */
    if (ps_docs_view_build(r->docs, &r->src, r->mask, now, r->arena, &r->view, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_document_json(&w, r->docs, &r->view, r->mask, now);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

/* Share codes have problems of their own: unknown, used, expired. */
static void redeem_failed(struct ps_req *req, const struct ps_diag *d)
{
    switch (d->code) {
    case PS_ERR_NOTFOUND:
        ps_resp_problem(req, 404, "share-code-unknown", "Unknown share code", "%s", d->message);
        return;
    case PS_ERR_EXISTS:
        ps_resp_problem(req, 409, "share-code-used", "Share code used", "%s", d->message);
        return;
    case PS_ERR_LIMIT:
        ps_resp_problem(req, 410, "share-code-expired", "Share code expired", "%s", d->message);
        return;
    default:
        ps_api_fail(req, d);
    }
}

/* {"code": "...", "purpose": "..."} (the public page: only the code). */
static void redeem(struct ps_req *req, bool public)
{
    struct ps_docs *docs = ps_api_docs(req);
    json_t *root = docs ? ps_api_json_body(req, 2) : NULL;
    struct redeem *r = root ? ps_api_alloc(req, sizeof *r) : NULL;
    if (!r)
        return;
    const char *code = json_string_value(json_object_get(root, "code"));
    const char *purpose = json_string_value(json_object_get(root, "purpose"));
    size_t members = 1 + (purpose != NULL);
    if (!code || strlen(code) > CODE_MAX || json_object_size(root) != members ||
        (public && purpose) || (!public && (!purpose || !*purpose ||
                                            strlen(purpose) > PS_API_PURPOSE_MAX))) {
        ps_api_invalid(req, public ? "the body is {\"code\": \"...\"}"
                                   : "the body is {\"code\": \"...\", \"purpose\": \"...\"} "
                                     "(purpose 1 to 200 bytes)");
        return;
    }
    static const struct ps_actor page = {.kind = PS_ACTOR_SYSTEM, .id = {"public-verify", 13}};
    r->docs = docs;
    r->verifier = public ? &page : ps_api_actor(req);
    r->code = ps_str_from_cstr(code);
    r->purpose = public ? PS_STR("public verification") : ps_str_from_cstr(purpose);
    r->public = public;
    r->arena = req->arena;
    ps_api_write(req, redeem_op, r, redeem_render);
}

void ps_api_share_redeem(struct ps_req *req)
{
    redeem(req, false);
}

void ps_api_share_redeem_public(struct ps_req *req)
{
    redeem(req, true);
}

/* ---- GET /api/v1/registry/persons/{rnokpp}/documents ---- */

struct theirs {
    struct ps_docs *docs;
    const struct ps_actor *actor;
    struct ps_str rnokpp, purpose;
    struct ps_arena *arena;
    struct ps_doc_view views[PS_DOCS_PER_PERSON_MAX];
    size_t n;
};

/* The documents the registries say the person has (issued now if need be, the official's
 * act recorded with them), then the list, whose read is recorded: one transaction, so a
 * refusal of the read (no purpose, no such person) rolls the issuance back with it. */
static enum ps_err theirs_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct theirs *t = ctx;
    enum ps_err e = ps_docs_sync(tx, t->docs, t->actor, t->rnokpp,
                                 ps_access_purpose(t->actor, t->purpose), false, NULL, diag);
    if (e == PS_OK)
        e = ps_docs_list(tx, t->docs, t->actor, t->rnokpp, t->purpose, t->arena, t->views,
                         PS_DOCS_PER_PERSON_MAX, &t->n, diag);
    return e;
}

static void theirs_render(struct ps_req *req, void *ctx)
{
    struct theirs *t = ctx;
    struct ps_jw w;
    int64_t now = ps_clock_now_ms();
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kstr(&w, "rnokpp", t->rnokpp);
    ps_jw_key(&w, "documents");
    ps_jw_arr(&w);
    for (size_t i = 0; i < t->n; i++)
        ps_api_document_json(&w, t->docs, &t->views[i], ~(ps_claim_mask)0, now);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_person_documents(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    struct theirs *t = docs ? ps_api_alloc(req, sizeof *t) : NULL;
    if (!t || !ps_api_purpose(req, &t->purpose))
        return;
    struct ps_diag d = {0};
    t->docs = docs;
    t->actor = ps_api_actor(req);
    t->rnokpp = ps_req_param(req, "rnokpp");
    t->arena = req->arena;
    if (ps_rnokpp_validate(t->rnokpp, NULL, &d) != PS_OK) { /* before it costs a transaction */
        ps_api_fail(req, &d);
        return;
    }
    /* the read of someone's documents is recorded: a write, durable before they leave */
    ps_api_write(req, theirs_op, t, theirs_render);
}

/* ---- POST /api/v1/agencies/{agency}/documents/{id}/status ---- */

struct change {
    struct ps_docs *docs;
    const struct ps_actor *actor;
    struct ps_str agency, id, reason;
    enum ps_doc_status to;
    struct ps_arena *arena;
    struct ps_document doc;
};

static enum ps_err change_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct change *c = ctx;
    enum ps_err e = ps_docs_set_status(tx, c->docs, c->actor, c->agency, c->id, c->to, c->reason,
                                       diag);
    return e == PS_OK ? ps_docs_public(tx, c->docs, c->id, c->arena, &c->doc, diag) : e;
}

static void change_render(struct ps_req *req, void *ctx)
{
    struct change *c = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_document_public_json(&w, &c->doc, ps_clock_now_ms());
    ps_api_json_end(req, &w, 200);
}

void ps_api_document_set_status(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    json_t *root = docs ? ps_api_json_body(req, 2) : NULL;
    struct change *c = root ? ps_api_alloc(req, sizeof *c) : NULL;
    if (!c)
        return;
    const char *status = json_string_value(json_object_get(root, "status"));
    const char *reason = json_string_value(json_object_get(root, "reason"));
    static const enum ps_doc_status by_name[] = {PS_DOC_VALID, PS_DOC_SUSPENDED, PS_DOC_REVOKED};
    int to = -1;
    for (int i = 0; status && i < 3; i++) {
        if (strcmp(status, ps_doc_status_name(by_name[i])) == 0)
            to = i;
    }
    if (to < 0 || !reason || json_object_size(root) != 2) {
        ps_api_invalid(req, "the body is {\"status\": \"revoked\" | \"suspended\" | \"valid\", "
                            "\"reason\": \"...\"}");
        return;
    }
    c->docs = docs;
    c->actor = ps_api_actor(req);
    c->agency = ps_req_param(req, "agency");
    c->id = ps_req_param(req, "id");
    c->reason = ps_str_from_cstr(reason);
    c->to = by_name[to];
    c->arena = req->arena;
    ps_api_write(req, change_op, c, change_render);
}
