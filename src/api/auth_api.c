/* Enrolment and sign-in with passkeys (WebAuthn Level 3): the options a browser's
 * PublicKeyCredential.parse*OptionsFromJSON() take, and the responses credential.toJSON()
 * gives back. Each step is one transaction (src/identity/ceremony.c); a refusal is answered
 * with its own problem type once the refusal itself (a used challenge, a counted wrong try,
 * the failure's change entry) is durable. A successful enrolment or sign-in answers with a
 * session: the token in the body for API clients and the session cookie for browsers. */
#include <sodium.h>
#include <string.h>

#include "api/api_int.h"
#include "api/render.h"
#include "identity/ceremony.h"
#include "identity/demo.h"
#include "registries/date.h"

#define OPTIONS_BODY_MAX_DEPTH 2

struct ceremony {
    struct ps_ceremony_cfg cfg;
    struct ps_arena *arena;
    struct ps_str rnokpp, code, response, label;
    struct ps_date birth;
    json_t *options;
    struct ps_ceremony_session out;
    struct ps_ceremony_refused refused;
    int status; /* of the session's answer: 201 for a new passkey, 200 for a sign-in */
};

static struct ceremony *ceremony_new(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct ceremony *c = ps_api_alloc(req, sizeof *c);
    if (!c)
        return NULL;
    c->cfg.rp = &app->id.rp;
    c->cfg.sessions = &app->id.sessions;
    c->cfg.activation_key = app->id.activation_key;
    c->arena = req->arena;
    c->label = ps_req_header(req, "User-Agent");
    if (!c->label.p)
        c->label = PS_STR("unknown device");
    return c;
}

/* A refused ceremony: its own problem type, the status by what failed. */
static void refused(struct ps_req *req, const struct ps_ceremony_refused *r)
{
    int status = 400;
    if (r->kind == PS_CR_ACTIVATION)
        status = 403;
    else if (r->kind == PS_CR_CREDENTIAL ||
             (r->kind == PS_CR_PROTOCOL && ps_id_code_err(r->id.code) == PS_ERR_DENIED))
        status = 401;
    ps_resp_problem(req, status, ps_ceremony_refusal_name(r), "Refused", "%s",
                    r->id.d.message[0] ? r->id.d.message : "refused");
}

static void options_render(struct ps_req *req, void *ctx)
{
    struct ceremony *c = ctx;
    if (c->refused.kind != PS_CR_NONE) {
        refused(req, &c->refused);
        return;
    }
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "publicKey");
    char *options = ps_json_dump(req->arena, c->options);
    ps_jw_raw(&w, options ? ps_str_from_cstr(options) : PS_STR_NULL);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

/* The session a ceremony made: JSON for API clients, the cookie for browsers. */
static void session_render(struct ps_req *req, void *ctx)
{
    struct ceremony *c = ctx;
    if (c->refused.kind != PS_CR_NONE) {
        refused(req, &c->refused);
        return;
    }
    const struct ps_session *s = &c->out.session;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kcstr(&w, "token", c->out.token);
    ps_api_time_json(&w, "expires_at", s->expires_at_ms);
    ps_jw_kstr(&w, "rnokpp", s->rnokpp);
    ps_jw_kcstr(&w, "session", s->id);
    ps_jw_obj_end(&w);
    ps_api_session_cookie(req, c->out.token, (s->expires_at_ms - s->created_at_ms) / 1000);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, c->status);
    sodium_memzero(c->out.token, sizeof c->out.token);
}

/* ---- enrolment ---- */

static enum ps_err enrol_options_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct ceremony *c = ctx;
    return ps_enrol_start(tx, &c->cfg, c->arena, c->rnokpp, c->birth, c->code, &c->options,
                          &c->refused, diag);
}

void ps_api_enrol_options(struct ps_req *req)
{
    struct ps_app *app = req->app;
    json_t *root = ps_api_json_body(req, OPTIONS_BODY_MAX_DEPTH);
    struct ceremony *c = root ? ceremony_new(req) : NULL;
    struct ps_diag d = {0};
    if (!c)
        return;
    struct ps_str birth = ps_json_get_str(root, "birth_date");
    c->rnokpp = ps_json_get_str(root, "rnokpp");
    c->code = ps_json_get_str(root, "activation_code");
    if (!c->rnokpp.p || !birth.p || !c->code.p || json_object_size(root) != 3) {
        ps_api_invalid(req, "the body is {\"rnokpp\", \"birth_date\", \"activation_code\"}, "
                            "all strings");
        return;
    }
    if (ps_date_parse(birth, &c->birth, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    if (ps_api_limited(req, app->id.auth_per_account, "account", c->rnokpp))
        return;
    ps_api_write(req, enrol_options_op, c, options_render);
}

static enum ps_err enrol_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct ceremony *c = ctx;
    return ps_enrol_finish(tx, &c->cfg, c->arena, c->response, c->label, &c->out, &c->refused,
                           diag);
}

void ps_api_enrol(struct ps_req *req)
{
    struct ceremony *c = ps_api_json_body(req, 8) ? ceremony_new(req) : NULL;
    if (!c)
        return;
    c->response = req->body;
    c->status = 201;
    ps_api_write(req, enrol_op, c, session_render);
}

/* ---- sign-in ---- */

static enum ps_err signin_options_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct ceremony *c = ctx;
    return ps_signin_start(tx, &c->cfg, c->arena, &c->options, diag);
}

void ps_api_signin_options(struct ps_req *req)
{
    struct ceremony *c = ceremony_new(req);
    if (!c)
        return;
    if (req->body.len > 0 && !ps_api_json_body(req, OPTIONS_BODY_MAX_DEPTH))
        return; /* "{}" or nothing */
    ps_api_write(req, signin_options_op, c, options_render);
}

static enum ps_err signin_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct ceremony *c = ctx;
    return ps_signin_finish(tx, &c->cfg, c->arena, c->response, c->label, &c->out, &c->refused,
                            diag);
}

void ps_api_signin(struct ps_req *req)
{
    struct ceremony *c = ps_api_json_body(req, 8) ? ceremony_new(req) : NULL;
    if (!c)
        return;
    c->response = req->body;
    c->status = 200;
    ps_api_write(req, signin_op, c, session_render);
}

/* ---- demo mode: one click, no passkey ---- */

static enum ps_err demo_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct ceremony *c = ctx;
    return ps_demo_signin(tx, c->rnokpp, c->label, c->cfg.sessions, c->arena, c->out.token,
                          &c->out.session, diag);
}

/* True when rnokpp is one of the demo people this server prepared. */
static bool demo_person(const struct ps_app *app, struct ps_str rnokpp)
{
    for (size_t i = 0; i < app->ndemo; i++)
        if (ps_str_eq_cstr(rnokpp, app->demo[i].rnokpp))
            return true;
    return false;
}

void ps_api_demo_signin(struct ps_req *req)
{
    struct ps_app *app = req->app;
    json_t *root = ps_api_json_body(req, OPTIONS_BODY_MAX_DEPTH);
    struct ceremony *c = root ? ceremony_new(req) : NULL;
    if (!c)
        return;
    c->rnokpp = ps_json_get_str(root, "rnokpp");
    if (!c->rnokpp.p || json_object_size(root) != 1) {
        ps_api_invalid(req, "the body is {\"rnokpp\": \"...\"}");
        return;
    }
    if (!app->demo || !demo_person(app, c->rnokpp)) {
        ps_resp_problem(req, 403, "demo-only", "Forbidden",
                        "one-click sign-in exists only for the demo people of `pocketstate demo`");
        return;
    }
    c->status = 200;
    ps_api_write(req, demo_op, c, session_render);
}
