/* A person's own account: their record, who used their data, their passkeys and sessions,
 * signing out; and the activation codes a service-centre clerk hands out. Reading one's own
 * data is not an access by others: those reads are read transactions that record nothing;
 * every change is a change entry of the log (the domain records it). */
#include <string.h>

#include "api/api_int.h"
#include "api/render.h"
#include "core/clock.h"
#include "identity/activation.h"
#include "identity/passkey.h"
#include "identity/session.h"
#include "registries/persons.h"
#include "tlog/log.h"

/* ---- GET /api/v1/me ---- */

struct me {
    const struct ps_actor *actor;
    struct ps_arena *arena;
    struct ps_person person;
};

static enum ps_err me_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct me *m = ctx;
    return ps_person_read(tx, m->actor, m->actor->id, PS_STR_NULL, m->arena, &m->person, diag);
}

static void me_render(struct ps_req *req, void *ctx)
{
    struct me *m = ctx;
    const struct ps_session *s = ps_api_session(req);
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "person");
    ps_api_person_json(&w, &m->person);
    ps_jw_key(&w, "roles");
    ps_api_roles_json(&w, s ? s->roles : NULL, s ? s->nroles : 0);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_me_get(struct ps_req *req)
{
    struct me *m = ps_api_alloc(req, sizeof *m);
    if (!m)
        return;
    m->actor = ps_api_actor(req);
    m->arena = req->arena;
    ps_api_read(req, me_op, m, me_render);
}

/* ---- GET /api/v1/me/access-log ---- */

#define PAGE_DEFAULT 20

struct my_log {
    const struct ps_actor *actor;
    struct ps_str before;
    struct ps_arena *arena;
    struct ps_api_access_page page;
};

static enum ps_err my_log_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct my_log *l = ctx;
    struct ps_api_access_page *p = &l->page;
    p->for_subject = true;
    enum ps_err e = ps_person_access_log(tx, l->actor, l->actor->id, PS_STR_NULL, l->before,
                                         p->limit, l->arena, p->rows, &p->n, diag);
    if (e == PS_OK)
        e = ps_api_access_page_prepare(l->arena, p);
    if (e == PS_OK)
        e = ps_tlog_rows_proofs(tx, p->rows, p->n, p->proofs, &p->size, &p->checkpoint, diag);
    return e;
}

static void my_log_render(struct ps_req *req, void *ctx)
{
    struct my_log *l = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_access_page_json(&w, &l->page);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_me_access_log(struct ps_req *req)
{
    struct my_log *l = ps_api_alloc(req, sizeof *l);
    if (!l || !ps_api_page_query(req, PAGE_DEFAULT, &l->page.limit, &l->before))
        return;
    l->actor = ps_api_actor(req);
    l->arena = req->arena;
    l->page.subject = l->actor->id;
    ps_api_read(req, my_log_op, l, my_log_render);
}

/* ---- passkeys ---- */

struct passkeys {
    const struct ps_actor *actor;
    struct ps_arena *arena;
    struct ps_passkey list[PS_PASSKEYS_MAX];
    size_t n;
    struct ps_str id, name;
};

static enum ps_err passkeys_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct passkeys *p = ctx;
    return ps_passkeys_of(tx, p->actor->id, p->arena, p->list, PS_PASSKEYS_MAX, &p->n, diag);
}

static void passkeys_render(struct ps_req *req, void *ctx)
{
    struct passkeys *p = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "passkeys");
    ps_jw_arr(&w);
    for (size_t i = 0; i < p->n; i++)
        ps_api_passkey_json(&w, &p->list[i]);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_me_passkeys(struct ps_req *req)
{
    struct passkeys *p = ps_api_alloc(req, sizeof *p);
    if (!p)
        return;
    p->actor = ps_api_actor(req);
    p->arena = req->arena;
    ps_api_read(req, passkeys_op, p, passkeys_render);
}

static enum ps_err rename_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct passkeys *p = ctx;
    return ps_passkey_rename(tx, p->actor, p->actor->id, p->id, p->name, diag);
}

void ps_api_me_passkey_patch(struct ps_req *req)
{
    json_t *root = ps_api_json_body(req, 2);
    struct passkeys *p = root ? ps_api_alloc(req, sizeof *p) : NULL;
    if (!p)
        return;
    p->name = ps_json_get_str(root, "name");
    if (!p->name.p || json_object_size(root) != 1) {
        ps_api_invalid(req, "the body is {\"name\": \"...\"}");
        return;
    }
    p->actor = ps_api_actor(req);
    p->id = ps_req_param(req, "id");
    ps_api_write(req, rename_op, p, ps_api_no_content);
}

static enum ps_err remove_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct passkeys *p = ctx;
    return ps_passkey_remove(tx, p->actor, p->actor->id, p->id, diag);
}

void ps_api_me_passkey_delete(struct ps_req *req)
{
    struct passkeys *p = ps_api_alloc(req, sizeof *p);
    if (!p)
        return;
    p->actor = ps_api_actor(req);
    p->id = ps_req_param(req, "id");
    ps_api_write(req, remove_op, p, ps_api_no_content);
}

/* ---- sessions ---- */

struct sessions {
    const struct ps_actor *actor;
    const struct ps_session_cfg *cfg;
    struct ps_arena *arena;
    struct ps_session list[PS_SESSIONS_MAX];
    size_t n;
    struct ps_str id;
    const char *why;
    bool current;
};

static enum ps_err sessions_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct sessions *s = ctx;
    return ps_sessions_of(tx, s->actor->id, s->cfg, s->arena, s->list, PS_SESSIONS_MAX, &s->n,
                          diag);
}

static void sessions_render(struct ps_req *req, void *ctx)
{
    struct sessions *s = ctx;
    const struct ps_session *mine = ps_api_session(req);
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "sessions");
    ps_jw_arr(&w);
    for (size_t i = 0; i < s->n; i++)
        ps_api_session_json(&w, &s->list[i], mine && strcmp(mine->id, s->list[i].id) == 0);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_me_sessions(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct sessions *s = ps_api_alloc(req, sizeof *s);
    if (!s)
        return;
    s->actor = ps_api_actor(req);
    s->cfg = &app->id.sessions;
    s->arena = req->arena;
    ps_api_read(req, sessions_op, s, sessions_render);
}

static enum ps_err end_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct sessions *s = ctx;
    return ps_session_end(tx, s->actor, s->actor->id, s->id, s->why, diag);
}

/* 204; when the session ended was this request's own, the cookie is cleared too. */
static void ended(struct ps_req *req, void *ctx)
{
    struct sessions *s = ctx;
    if (s->current)
        ps_api_session_cookie(req, NULL, 0);
    ps_resp_bytes(req, 204, NULL, PS_STR(""));
}

static void end_session(struct ps_req *req, struct ps_str id, const char *why)
{
    struct sessions *s = ps_api_alloc(req, sizeof *s);
    const struct ps_session *mine = ps_api_session(req);
    if (!s)
        return;
    s->actor = ps_api_actor(req);
    s->id = id;
    s->why = why;
    s->current = mine && ps_str_eq_cstr(id, mine->id);
    ps_api_write(req, end_op, s, ended);
}

void ps_api_me_session_delete(struct ps_req *req)
{
    end_session(req, ps_req_param(req, "id"), "removed");
}

void ps_api_signout(struct ps_req *req)
{
    const struct ps_session *mine = ps_api_session(req);
    if (!mine) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input", "not signed in");
        return;
    }
    end_session(req, ps_str_from_cstr(mine->id), "signout");
}

/* ---- POST /api/v1/registry/persons/{rnokpp}/activation-codes ---- */

#define DEFAULT_REASON "identity checked in person"

struct activation {
    const struct ps_actor *actor;
    const unsigned char *key;
    struct ps_str rnokpp, reason;
    struct ps_activation out;
    struct ps_diag refused;
};

static enum ps_err activation_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct activation *a = ctx;
    enum ps_err e = ps_activation_issue(tx, a->actor, a->rnokpp, a->reason, a->key, &a->out,
                                        &a->refused, diag);
    return e;
}

static void activation_render(struct ps_req *req, void *ctx)
{
    struct activation *a = ctx;
    char expires[25];
    if (a->refused.code != PS_OK) { /* committed: the status read is on record */
        ps_api_fail(req, &a->refused);
        return;
    }
    ps_clock_fmt_rfc3339(a->out.expires_at_ms, expires);
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kcstr(&w, "id", a->out.id);
    ps_jw_kcstr(&w, "code", a->out.code);
    ps_jw_kcstr(&w, "expires_at", expires);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 201);
}

void ps_api_activation_post(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct activation *a = ps_api_alloc(req, sizeof *a);
    if (!a)
        return;
    a->reason = PS_STR(DEFAULT_REASON);
    if (req->body.len > 0) {
        json_t *root = ps_api_json_body(req, 2);
        if (!root)
            return;
        struct ps_str r = ps_json_get_str(root, "reason");
        if ((!r.p && json_object_size(root) > 0) || json_object_size(root) > 1) {
            ps_api_invalid(req, "the body is empty or {\"reason\": \"...\"}");
            return;
        }
        if (r.p)
            a->reason = r;
    }
    a->actor = ps_api_actor(req);
    a->key = app->id.activation_key;
    a->rnokpp = ps_req_param(req, "rnokpp");
    ps_api_write(req, activation_op, a, activation_render);
}
