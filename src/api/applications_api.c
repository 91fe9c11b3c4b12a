/* The service engine's routes: the catalogue and each service's definition (public), a
 * citizen's applications (start, save, submit, consent, status and history), officials'
 * queue (claim, decide), registrars' slots, the inbox. Transitions are store jobs; keyed
 * ones (Idempotency-Key) store their answer in the same transaction, so a repeat with the
 * same body gets the same answer and a repeat with another body 422. */
#include <sodium.h>
#include <string.h>

#include "api/api_int.h"
#include "api/services_render.h"
#include "core/clock.h"
#include "engine/app.h"
#include "engine/engine.h"

#define BODY_DEPTH 8
#define KEY_MAX 128
#define ANSWER_MAX (256u << 10)

enum call_kind { C_START, C_SAVE, C_SUBMIT, C_CONSENT, C_CLAIM, C_DECIDE };

struct call {
    struct ps_app *app;
    const struct ps_actor *actor;
    struct ps_arena *arena;
    enum call_kind kind;
    struct ps_str service, id, reason, key, hash;
    json_t *answers;
    bool flag;
    const char *lang, *instance, *request_id;
    int status;
    struct ps_buf out;
    struct ps_app_result res;
};

static void buf_free(void *b)
{
    ps_buf_reset(b);
}

static struct call *call_new(struct ps_req *req, enum call_kind kind)
{
    struct call *c = ps_api_alloc(req, sizeof *c);
    if (!c)
        return NULL;
    c->app = req->app;
    c->actor = ps_api_actor(req);
    c->arena = req->arena;
    c->kind = kind;
    c->lang = ps_api_lang(req);
    c->instance = ps_arena_cstr(req->arena, req->path);
    c->request_id = req->request_id;
    ps_buf_init(&c->out, ANSWER_MAX);
    if (!c->instance || ps_arena_defer(req->arena, buf_free, &c->out) != PS_OK) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return NULL;
    }
    return c;
}

static enum ps_err transition(struct call *c, struct ps_app_ctx *ac, struct ps_diag *diag)
{
    switch (c->kind) {
    case C_START:
        return ps_app_start(ac, c->service, c->answers, c->flag, &c->res, diag);
    case C_SAVE:
        return ps_app_save(ac, c->id, c->answers, &c->res, diag);
    case C_SUBMIT:
        return ps_app_submit(ac, c->id, &c->res, diag);
    case C_CONSENT:
        return ps_app_consent(ac, c->id, c->flag, c->answers, &c->res, diag);
    case C_CLAIM:
        return ps_app_claim(ac, c->id, &c->res, diag);
    case C_DECIDE:
        return ps_app_decide(ac, c->id, c->flag, c->reason, &c->res, diag);
    }
    return PS_ERR_INTERNAL;
}

static enum ps_err key_reused(struct call *c, struct ps_diag *diag)
{
    struct ps_jw w;
    ps_diag_clear(diag);
    c->status = 422;
    ps_jw_init(&w, &c->out);
    ps_jw_obj(&w);
    ps_jw_kcstr(&w, "type", PS_PROBLEM_BASE "idempotency-key-reused");
    ps_jw_kcstr(&w, "title", "Idempotency key reused");
    ps_jw_kint(&w, "status", 422);
    ps_jw_kcstr(&w, "detail", "this Idempotency-Key was sent before with another request body");
    ps_jw_kcstr(&w, "instance", c->instance);
    ps_jw_kcstr(&w, "requestId", c->request_id);
    ps_jw_obj_end(&w);
    return ps_jw_end(&w);
}

static enum ps_err call_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct call *c = ctx;
    struct ps_app_ctx ac = {c->app->engine, tx, c->actor, c->arena};
    c->out.len = 0;
    if (c->key.p) {
        bool found = false;
        struct ps_str body;
        enum ps_err e = ps_app_idem_get(tx, c->actor->id, c->key, c->hash, c->arena, &found,
                                        &c->status, &body, diag);
        if (e == PS_ERR_EXISTS) /* the key with another body: nothing is done */
            return key_reused(c, diag);
        if (e != PS_OK || found)
            return e != PS_OK ? e : ps_buf_append_str(&c->out, body);
    }
    enum ps_err e = transition(c, &ac, diag);
    if (e == PS_OK)
        e = ps_api_app_answer(&c->out, &c->res, c->kind == C_START ? 201 : 200, c->lang,
                              c->instance, c->request_id, &c->status);
    if (e == PS_OK && c->key.p)
        e = ps_app_idem_put(tx, c->actor->id, c->key, c->hash, c->status, ps_buf_str(&c->out),
                            diag);
    return e;
}

static void call_render(struct ps_req *req, void *ctx)
{
    struct call *c = ctx;
    if (c->status == 201 && c->res.id[0]) {
        char *loc = ps_arena_printf(req->arena, "/api/v1/applications/%s", c->res.id);
        if (loc)
            ps_resp_header(req, "Location", loc);
    }
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_resp_bytes(req, c->status,
                  c->status >= 400 ? "application/problem+json" : "application/json",
                  ps_buf_str(&c->out));
}

/* The Idempotency-Key header (1..128 visible ASCII) and the request's hash; false after
 * answering 400. Absent: key stays NULL. */
static bool idempotency(struct ps_req *req, struct call *c)
{
    struct ps_str k = ps_req_header(req, "Idempotency-Key");
    if (!k.p)
        return true;
    bool ok = k.len > 0 && k.len <= KEY_MAX;
    for (size_t i = 0; ok && i < k.len; i++)
        ok = k.p[i] > 0x20 && k.p[i] < 0x7f;
    if (!ok) {
        ps_api_invalid(req, "Idempotency-Key must be 1 to %d visible ASCII characters",
                       KEY_MAX);
        return false;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)req->path.p, req->path.len);
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)req->body.p, req->body.len);
    crypto_hash_sha256_final(&st, h);
    char *hex = ps_arena_alloc(req->arena, 65);
    if (!hex) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return false;
    }
    sodium_bin2hex(hex, 65, h, sizeof h);
    c->key = k;
    c->hash = (struct ps_str){hex, 64};
    return true;
}

/* answers: an object when present. */
static bool answers_of(struct ps_req *req, json_t *root, const char *key, json_t **out)
{
    *out = json_object_get(root, key);
    if (*out && !json_is_object(*out)) {
        ps_api_invalid(req, "%s must be an object", key);
        return false;
    }
    return true;
}

/* ---- POST /api/v1/applications ---- */

void ps_api_app_create(struct ps_req *req)
{
    json_t *root = ps_api_json_body(req, BODY_DEPTH);
    struct call *c = root ? call_new(req, C_START) : NULL;
    if (!c || !idempotency(req, c) || !answers_of(req, root, "answers", &c->answers))
        return;
    json_t *svc = json_object_get(root, "service"), *submit = json_object_get(root, "submit");
    if (!json_is_string(svc) || (submit && !json_is_boolean(submit))) {
        ps_api_invalid(req, "expected {\"service\": ID, \"answers\": {...}, \"submit\": bool}");
        return;
    }
    c->service = (struct ps_str){json_string_value(svc), json_string_length(svc)};
    c->flag = json_is_true(submit);
    ps_api_write(req, call_op, c, call_render);
}

/* ---- PUT /api/v1/applications/{id}/answers ---- */

void ps_api_app_save(struct ps_req *req)
{
    json_t *root = ps_api_json_body(req, BODY_DEPTH);
    struct call *c = root ? call_new(req, C_SAVE) : NULL;
    if (!c || !answers_of(req, root, "answers", &c->answers))
        return;
    if (!c->answers) {
        ps_api_invalid(req, "expected {\"answers\": {...}}");
        return;
    }
    c->id = ps_req_param(req, "id");
    ps_api_write(req, call_op, c, call_render);
}

/* ---- POST /api/v1/applications/{id}/submit ---- */

void ps_api_app_submit(struct ps_req *req)
{
    struct call *c = call_new(req, C_SUBMIT);
    if (!c || !idempotency(req, c))
        return;
    c->id = ps_req_param(req, "id");
    ps_api_write(req, call_op, c, call_render);
}

/* ---- POST /api/v1/applications/{id}/consent ---- */

void ps_api_app_consent(struct ps_req *req)
{
    json_t *root = ps_api_json_body(req, BODY_DEPTH);
    struct call *c = root ? call_new(req, C_CONSENT) : NULL;
    if (!c || !answers_of(req, root, "answers", &c->answers))
        return;
    json_t *yes = json_object_get(root, "consent");
    if (!json_is_boolean(yes)) {
        ps_api_invalid(req, "expected {\"consent\": true|false, \"answers\": {...}}");
        return;
    }
    c->flag = json_is_true(yes);
    c->id = ps_req_param(req, "id");
    ps_api_write(req, call_op, c, call_render);
}

/* ---- POST /api/v1/queue/{id}/claim, /decision ---- */

void ps_api_task_claim(struct ps_req *req)
{
    struct call *c = call_new(req, C_CLAIM);
    if (!c)
        return;
    c->id = ps_req_param(req, "id");
    ps_api_write(req, call_op, c, call_render);
}

void ps_api_task_decide(struct ps_req *req)
{
    json_t *root = ps_api_json_body(req, 2);
    struct call *c = root ? call_new(req, C_DECIDE) : NULL;
    if (!c)
        return;
    json_t *d = json_object_get(root, "decision"), *r = json_object_get(root, "reason");
    bool approve = json_is_string(d) && strcmp(json_string_value(d), "approve") == 0;
    bool reject = json_is_string(d) && strcmp(json_string_value(d), "reject") == 0;
    if ((!approve && !reject) || (r && !json_is_string(r))) {
        ps_api_invalid(req, "expected {\"decision\": \"approve\"|\"reject\", \"reason\": TEXT}");
        return;
    }
    c->flag = approve;
    c->reason = r ? (struct ps_str){json_string_value(r), json_string_length(r)} : PS_STR("");
    c->id = ps_req_param(req, "id");
    ps_api_write(req, call_op, c, call_render);
}
