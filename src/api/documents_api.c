/* A person's own documents: the list (issued on first sight from the registries, a write
 * only when something is to be issued), one document, its presentation (the QR as text, PNG
 * or SVG, refreshed every 3 minutes), its paper copy, the holder's photo, the device key
 * that makes offline presentations possible, and single-use shares. Reading one's own
 * documents is not an access by others: those are read transactions that record nothing. */
#include <sodium.h>
#include <string.h>

#include "api/api_int.h"
#include "api/docs_render.h"
#include "api/render.h"
#include "core/clock.h"
#include "documents/image.h"
#include "registries/rnokpp.h"

#define QR_SCALE_DEFAULT 6
#define SHARE_TTL_MAX_S 180 /* as Diia: a code lives 3 minutes at most */

struct ps_docs *ps_api_docs(struct ps_req *req)
{
    struct ps_app *app = req->app;
    if (!app->docs)
        ps_resp_problem(req, 503, "documents-unavailable", "Documents unavailable",
                        "this server was started without the documents service");
    return app->docs;
}

void ps_api_not_in_force(struct ps_req *req, const struct ps_document *doc)
{
    bool expired = doc->expires_at_ms <= ps_clock_now_ms();
    ps_resp_problem(req, 409, "document-not-in-force", "Document not in force",
                    "document %s is %s", doc->id,
                    doc->status != PS_DOC_VALID ? ps_doc_status_name(doc->status)
                    : expired                   ? "expired"
                                                : "not in force");
}

/* ---- GET /api/v1/me/documents ---- */

struct mine {
    struct ps_docs *docs;
    const struct ps_actor *actor;
    struct ps_arena *arena;
    size_t changes;
    struct ps_doc_view views[PS_DOCS_PER_PERSON_MAX];
    size_t n;
};

static enum ps_err mine_list(struct ps_tx *tx, struct mine *m, struct ps_diag *diag)
{
    return ps_docs_list(tx, m->docs, m->actor, m->actor->id, PS_STR_NULL, m->arena, m->views,
                        PS_DOCS_PER_PERSON_MAX, &m->n, diag);
}

/* In step already? Then the list, in the same read. */
static enum ps_err mine_check_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct mine *m = ctx;
    enum ps_err e = ps_docs_sync(tx, m->docs, m->actor, m->actor->id, PS_STR("issued to the holder"),
                                 true, &m->changes, diag);
    return e == PS_OK && m->changes == 0 ? mine_list(tx, m, diag) : e;
}

static enum ps_err mine_sync_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct mine *m = ctx;
    enum ps_err e = ps_docs_sync(tx, m->docs, m->actor, m->actor->id,
                                 PS_STR("issued to the holder"), false, &m->changes, diag);
    return e == PS_OK ? mine_list(tx, m, diag) : e;
}

static void mine_render(struct ps_req *req, void *ctx)
{
    struct mine *m = ctx;
    struct ps_jw w;
    int64_t now = ps_clock_now_ms();
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "documents");
    ps_jw_arr(&w);
    for (size_t i = 0; i < m->n; i++)
        ps_api_document_json(&w, m->docs, &m->views[i], ~(ps_claim_mask)0, now);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

static void mine_checked(struct ps_req *req, void *ctx)
{
    struct mine *m = ctx;
    if (m->changes == 0)
        mine_render(req, ctx);
    else
        ps_api_write(req, mine_sync_op, m, mine_render);
}

void ps_api_my_documents(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    struct mine *m = docs ? ps_api_alloc(req, sizeof *m) : NULL;
    if (!m)
        return;
    m->docs = docs;
    m->actor = ps_api_actor(req);
    m->arena = req->arena;
    ps_api_read(req, mine_check_op, m, mine_checked);
}

/* ---- one document: GET .../{id}, .../presentation, .../pdf, .../photo ---- */

struct one {
    struct ps_docs *docs;
    const struct ps_actor *actor;
    struct ps_str id;
    struct ps_arena *arena;
    struct ps_doc_view view;
};

static enum ps_err one_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct one *o = ctx;
    return ps_docs_get(tx, o->docs, o->actor, o->id, o->arena, &o->view, diag);
}

static void one_init(struct one *o, struct ps_req *req, struct ps_docs *docs)
{
    o->docs = docs;
    o->actor = ps_api_actor(req);
    o->id = ps_req_param(req, "id");
    o->arena = req->arena;
}

/* Reads the actor's document {id}, then render. */
static void with_document(struct ps_req *req, ps_api_render render)
{
    struct ps_docs *docs = ps_api_docs(req);
    struct one *o = docs ? ps_api_alloc(req, sizeof *o) : NULL;
    if (!o)
        return;
    one_init(o, req, docs);
    ps_api_read(req, one_op, o, render);
}

static void one_render(struct ps_req *req, void *ctx)
{
    struct one *o = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_document_json(&w, o->docs, &o->view, ~(ps_claim_mask)0, ps_clock_now_ms());
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_my_document(struct ps_req *req)
{
    with_document(req, one_render);
}

/* ?claims= (names, "all" or absent: the type's default). False after answering 400. */
static bool claims_query(struct ps_req *req, const struct ps_doctype *t, ps_claim_mask *mask)
{
    struct ps_str list = PS_STR_NULL;
    struct ps_diag d = {0};
    if (ps_req_query_get(req, "claims", &list) == PS_ERR_INVALID) {
        ps_api_invalid(req, "claims is not valid percent-encoded text");
        return false;
    }
    if (ps_docs_parse_claims(t, list, mask, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return false;
    }
    return true;
}

static void presentation_render(struct ps_req *req, void *ctx)
{
    struct one *o = ctx;
    ps_claim_mask mask = 0;
    struct ps_str format = ps_req_query(req, "format");
    int64_t now = ps_clock_now_ms() / 1000;
    struct ps_buf qr;
    struct ps_diag d = {0};
    if (!claims_query(req, o->view.doc.type, &mask))
        return;
    if (o->view.doc.status != PS_DOC_VALID || o->view.doc.expires_at_ms <= now * 1000) {
        ps_api_not_in_force(req, &o->view.doc);
        return;
    }
    ps_buf_init(&qr, 16384);
    if (ps_docs_present(o->docs, &o->view, mask, now, &qr, &d) != PS_OK) {
        ps_buf_reset(&qr);
        ps_api_fail(req, &d);
        return;
    }
    struct ps_buf *body = ps_resp_body(req);
    enum ps_err e = PS_OK;
    ps_resp_header(req, "Cache-Control", "no-store");
    if (ps_str_eq_cstr(format, "png")) {
        e = ps_doc_qr_png(ps_buf_str(&qr), QR_SCALE_DEFAULT, body);
        if (e == PS_OK)
            ps_resp_ready(req, 200, "image/png");
    } else if (ps_str_eq_cstr(format, "svg")) {
        e = ps_doc_qr_svg(ps_buf_str(&qr), body);
        if (e == PS_OK)
            ps_resp_ready(req, 200, "image/svg+xml");
    } else if (!format.p || ps_str_eq_cstr(format, "json")) {
        struct ps_jw w;
        ps_jw_init(&w, body);
        ps_jw_obj(&w);
        ps_jw_kcstr(&w, "document", o->view.doc.id);
        ps_jw_kstr(&w, "qr", ps_buf_str(&qr));
        ps_api_time_json(&w, "issued_at", now * 1000);
        ps_api_time_json(&w, "expires_at", (now + PS_DOC_PRESENTATION_LIFETIME) * 1000);
        ps_jw_key(&w, "claims");
        ps_jw_arr(&w);
        for (size_t i = 0; i < o->view.n; i++) {
            if (mask & ((ps_claim_mask)1 << i))
                ps_jw_cstr(&w, o->view.claims[i].name);
        }
        ps_jw_arr_end(&w);
        ps_jw_obj_end(&w);
        ps_api_json_end(req, &w, 200);
    } else {
        ps_api_invalid(req, "format is json, png or svg");
    }
    ps_buf_reset(&qr);
    if (e != PS_OK)
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "QR image: %s",
                        ps_err_name(e));
}

void ps_api_my_presentation(struct ps_req *req)
{
    with_document(req, presentation_render);
}

static void pdf_render(struct ps_req *req, void *ctx)
{
    struct one *o = ctx;
    struct ps_diag d = {0};
    struct ps_buf *body = ps_resp_body(req);
    if (ps_docs_pdf(o->docs, &o->view, ps_clock_now_ms(), body, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    char *disp = ps_arena_printf(req->arena, "inline; filename=\"%s-%s.pdf\"",
                                 o->view.doc.type->id, o->view.doc.id);
    if (disp)
        ps_resp_header(req, "Content-Disposition", disp);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_resp_ready(req, 200, "application/pdf");
}

void ps_api_my_pdf(struct ps_req *req)
{
    with_document(req, pdf_render);
}

static void photo_render(struct ps_req *req, void *ctx)
{
    struct one *o = ctx;
    if (!o->view.doc.type->photo) {
        ps_resp_problem(req, 404, "not-found", "Not found", "%s shows no photo",
                        o->view.doc.type->id);
        return;
    }
    if (ps_doc_photo_png(o->view.doc.holder, ps_resp_body(req)) != PS_OK) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "photo");
        return;
    }
    ps_resp_header(req, "Cache-Control", "private, max-age=86400");
    ps_resp_ready(req, 200, "image/png");
}

void ps_api_my_photo(struct ps_req *req)
{
    with_document(req, photo_render);
}

/* ---- POST .../{id}/holder-key: bind the device's key, receive the credential ---- */

struct bind {
    struct one one;
    uint8_t x[32], y[32];
};

static enum ps_err bind_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct bind *b = ctx;
    enum ps_err e = ps_docs_holder_key(tx, b->one.docs, b->one.actor, b->one.id, b->x, b->y,
                                       diag);
    return e == PS_OK ? one_op(tx, &b->one, diag) : e;
}

static void bytes_json(struct ps_jw *w, struct ps_req *req, const void *p, size_t n)
{
    size_t cap = n / 3 * 4 + 8;
    char *s = ps_arena_alloc(req->arena, cap);
    if (s)
        ps_api_b64url((struct ps_str){p, n}, s, cap);
    ps_jw_cstr(w, s ? s : "");
}

static void bind_render(struct ps_req *req, void *ctx)
{
    struct bind *b = ctx;
    struct ps_doc_credential cred;
    struct ps_diag d = {0};
    int64_t now = ps_clock_now_ms() / 1000;
    if (b->one.view.doc.status != PS_DOC_VALID) {
        ps_api_not_in_force(req, &b->one.view.doc);
        return;
    }
    if (ps_docs_credential(b->one.docs, &b->one.view, now, &cred, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kcstr(&w, "document", b->one.view.doc.id);
    ps_jw_key(&w, "credential");
    bytes_json(&w, req, cred.cose.p, cred.cose.len);
    ps_jw_key(&w, "disclosures");
    ps_jw_arr(&w);
    for (size_t i = 0; i < cred.n; i++) {
        ps_jw_obj(&w);
        ps_jw_kcstr(&w, "claim", b->one.view.claims[i].name);
        ps_jw_key(&w, "disclosure");
        bytes_json(&w, req, cred.disc.p + cred.off[i], cred.off[i + 1] - cred.off[i]);
        ps_jw_obj_end(&w);
    }
    ps_jw_arr_end(&w);
    ps_api_time_json(&w, "expires_at", b->one.view.doc.expires_at_ms);
    ps_jw_obj_end(&w);
    ps_doc_credential_reset(&cred);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_my_holder_key(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    json_t *root = docs ? ps_api_json_body(req, 3) : NULL;
    struct bind *b = root ? ps_api_alloc(req, sizeof *b) : NULL;
    struct ps_diag d = {0};
    if (!b)
        return;
    if (json_object_size(root) != 1 || ps_api_p256_jwk(json_object_get(root, "jwk"), b->x, b->y,
                                                       &d) != PS_OK) {
        ps_api_invalid(req, "%s", d.code ? d.message : "the body is {\"jwk\": {...}}");
        return;
    }
    one_init(&b->one, req, docs);
    ps_api_write(req, bind_op, b, bind_render);
}

/* ---- POST .../{id}/shares ---- */

struct share {
    struct one one;
    struct ps_str claims; /* "a,b" or "all"; empty: the default */
    int64_t ttl_ms;
    ps_claim_mask mask;
    struct ps_share_code code;
};

static enum ps_err share_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct share *s = ctx;
    enum ps_err e = one_op(tx, &s->one, diag);
    if (e == PS_OK)
        e = ps_docs_parse_claims(s->one.view.doc.type, s->claims, &s->mask, diag);
    if (e == PS_OK)
        e = ps_docs_share_create(tx, s->one.docs, s->one.actor, s->one.id, s->mask, s->ttl_ms,
                                 &s->code, diag);
    return e;
}

static void share_render(struct ps_req *req, void *ctx)
{
    struct share *s = ctx;
    char *url = ps_arena_printf(req->arena, "%s/verify/%s", ps_docs_public_url(s->one.docs),
                                s->code.text);
    struct ps_buf svg;
    ps_buf_init(&svg, 1u << 20);
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kcstr(&w, "code", s->code.text);
    ps_jw_kcstr(&w, "url", url ? url : "");
    ps_jw_kcstr(&w, "id", s->code.id);
    ps_api_time_json(&w, "expires_at", s->code.expires_at_ms);
    ps_jw_key(&w, "claims");
    ps_jw_arr(&w);
    for (size_t i = 0; i < s->one.view.n; i++) {
        if (s->mask & ((ps_claim_mask)1 << i))
            ps_jw_cstr(&w, s->one.view.claims[i].name);
    }
    ps_jw_arr_end(&w);
    if (url && ps_doc_qr_svg(ps_str_from_cstr(url), &svg) == PS_OK)
        ps_jw_kstr(&w, "qr_svg", ps_buf_str(&svg));
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 201);
    if (svg.p)
        sodium_memzero(svg.p, svg.len);
    ps_buf_reset(&svg);
    if (url)
        sodium_memzero(url, strlen(url));
    sodium_memzero(&s->code, sizeof s->code);
}

/* {"claims": "a,b" | ["a", "b"] | "all" (optional), "ttl_s": 1..180 (optional)}. */
static bool share_body(struct ps_req *req, json_t *root, struct share *s)
{
    json_t *claims = json_object_get(root, "claims"), *ttl = json_object_get(root, "ttl_s");
    size_t known = !!claims + !!ttl;
    if (json_object_size(root) != known) {
        ps_api_invalid(req, "the body has only claims and ttl_s");
        return false;
    }
    if (ttl && (!json_is_integer(ttl) || json_integer_value(ttl) < 1 ||
                json_integer_value(ttl) > SHARE_TTL_MAX_S)) {
        ps_api_invalid(req, "ttl_s is 1 to %d seconds", SHARE_TTL_MAX_S);
        return false;
    }
    s->ttl_ms = ttl ? json_integer_value(ttl) * 1000 : 0;
    if (!claims || json_is_string(claims)) {
        s->claims = claims ? (struct ps_str){json_string_value(claims), json_string_length(claims)}
                           : PS_STR_NULL;
        return true;
    }
    struct ps_buf list;
    size_t i;
    json_t *v;
    ps_buf_init(&list, 4096);
    bool ok = json_is_array(claims) && json_array_size(claims) > 0;
    json_array_foreach(claims, i, v) {
        ok = ok && json_is_string(v) &&
             ps_buf_printf(&list, "%s%s", i ? "," : "", json_string_value(v)) == PS_OK;
    }
    s->claims = ok ? ps_arena_str(req->arena, ps_buf_str(&list)) : PS_STR_NULL;
    ps_buf_reset(&list);
    if (!ok || !s->claims.p)
        ps_api_invalid(req, "claims is \"all\", \"a,b\" or a list of claim names");
    return ok && s->claims.p;
}

void ps_api_my_share(struct ps_req *req)
{
    struct ps_docs *docs = ps_api_docs(req);
    json_t *root = docs ? ps_api_json_body(req, 3) : NULL;
    struct share *s = root ? ps_api_alloc(req, sizeof *s) : NULL;
    if (!s)
        return;
    one_init(&s->one, req, docs);
    if (share_body(req, root, s))
        ps_api_write(req, share_op, s, share_render);
}
