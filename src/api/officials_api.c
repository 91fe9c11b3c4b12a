/* Agencies, the roles their officials hold (granted and revoked by an agency admin of that
 * agency or the local admin), and the agency systems (clients) the local admin manages. Who
 * may call each route is the policy's (the agency in the path is the resource); every change
 * is a change entry the domain records. */
#include <string.h>

#include "api/api_int.h"
#include "api/render.h"
#include "identity/client.h"
#include "identity/official.h"

/* ---- GET /api/v1/agencies ---- */

struct agencies {
    struct ps_arena *arena;
    struct ps_agency list[PS_AGENCIES_MAX];
    size_t n;
};

static enum ps_err agencies_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct agencies *a = ctx;
    return ps_agencies_list(tx, a->arena, a->list, PS_AGENCIES_MAX, &a->n, diag);
}

static void agencies_render(struct ps_req *req, void *ctx)
{
    struct agencies *a = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "agencies");
    ps_jw_arr(&w);
    for (size_t i = 0; i < a->n; i++) {
        ps_jw_obj(&w);
        ps_jw_kstr(&w, "code", a->list[i].code);
        ps_jw_kstr(&w, "name_uk", a->list[i].name_uk);
        ps_jw_kstr(&w, "name_en", a->list[i].name_en);
        if (a->list[i].parent.len)
            ps_jw_kstr(&w, "parent", a->list[i].parent);
        ps_jw_obj_end(&w);
    }
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "public, max-age=300");
    ps_api_json_end(req, &w, 200);
}

void ps_api_agencies(struct ps_req *req)
{
    struct agencies *a = ps_api_alloc(req, sizeof *a);
    if (!a)
        return;
    a->arena = req->arena;
    ps_api_read(req, agencies_op, a, agencies_render);
}

/* ---- roles of an agency ---- */

struct roles {
    const struct ps_actor *actor;
    struct ps_arena *arena;
    struct ps_str agency, rnokpp, reason, id;
    struct ps_role role;
    struct ps_role_grant list[PS_ROLES_MAX];
    size_t n;
    struct ps_diag refused;
};

static void grant_json(struct ps_jw *w, const struct ps_role_grant *g)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "id", g->id);
    ps_jw_kstr(w, "rnokpp", g->rnokpp);
    ps_jw_kstr(w, "role", g->role.name);
    ps_jw_kstr(w, "agency", g->role.agency);
    if (g->role.oblast.len)
        ps_jw_kstr(w, "oblast", g->role.oblast);
    ps_api_time_json(w, "granted_at", g->granted_at_ms);
    ps_jw_obj_end(w);
}

static enum ps_err roles_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct roles *r = ctx;
    return ps_grants_of_agency(tx, r->agency, r->arena, r->list, PS_ROLES_MAX, &r->n, diag);
}

static void roles_render(struct ps_req *req, void *ctx)
{
    struct roles *r = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "roles");
    ps_jw_arr(&w);
    for (size_t i = 0; i < r->n; i++)
        grant_json(&w, &r->list[i]);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

static struct roles *roles_new(struct ps_req *req)
{
    struct roles *r = ps_api_alloc(req, sizeof *r);
    if (r) {
        r->actor = ps_api_actor(req);
        r->arena = req->arena;
        r->agency = ps_req_param(req, "agency");
        r->id = ps_req_param(req, "id");
    }
    return r;
}

void ps_api_roles_get(struct ps_req *req)
{
    struct roles *r = roles_new(req);
    if (r)
        ps_api_read(req, roles_op, r, roles_render);
}

static enum ps_err grant_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct roles *r = ctx;
    r->n = 0;
    enum ps_err e = ps_role_grant(tx, r->actor, r->rnokpp, &r->role, r->reason, &r->list[0],
                                  &r->refused, diag);
    if (e == PS_OK && r->refused.code == PS_OK)
        r->n = 1;
    return e;
}

static void grant_render(struct ps_req *req, void *ctx)
{
    struct roles *r = ctx;
    if (r->refused.code != PS_OK) { /* committed: the status read is on record */
        ps_api_fail(req, &r->refused);
        return;
    }
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    grant_json(&w, &r->list[0]);
    ps_api_json_end(req, &w, 201);
}

void ps_api_role_post(struct ps_req *req)
{
    static const char *const keys[] = {"rnokpp", "role", "oblast", "reason"};
    json_t *root = ps_api_json_body(req, 2);
    struct roles *r = root ? roles_new(req) : NULL;
    if (!r)
        return;
    struct ps_str *vals[] = {&r->rnokpp, &r->role.name, &r->role.oblast, &r->reason};
    size_t found = 0;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        *vals[i] = ps_json_get_str(root, keys[i]);
        found += vals[i]->p != NULL;
    }
    if (!r->rnokpp.p || !r->role.name.p || !r->reason.p || found != json_object_size(root)) {
        ps_api_invalid(req, "the body is {\"rnokpp\", \"role\", \"oblast\" (optional), "
                            "\"reason\"}, all strings");
        return;
    }
    if (!r->role.oblast.p)
        r->role.oblast = PS_STR("");
    r->role.agency = r->agency;
    ps_api_write(req, grant_op, r, grant_render);
}

static enum ps_err revoke_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct roles *r = ctx;
    return ps_role_revoke(tx, r->actor, r->agency, r->id, r->reason, diag);
}

void ps_api_role_delete(struct ps_req *req)
{
    struct roles *r = roles_new(req);
    if (!r || !ps_api_reason(req, &r->reason))
        return;
    ps_api_write(req, revoke_op, r, ps_api_no_content);
}

/* ---- agency systems (clients) ---- */

struct clients {
    const struct ps_actor *actor;
    struct ps_arena *arena;
    struct ps_client one;
    struct ps_client *list; /* PS_CLIENTS_MAX, for the listing */
    size_t n;
    struct ps_str id, reason;
};

static void client_json(struct ps_jw *w, const struct ps_client *c)
{
    char scopes[128], key[128];
    ps_client_scopes_text(c->scopes, scopes, sizeof scopes);
    ps_api_b64url(c->public_key, key, sizeof key);
    ps_jw_obj(w);
    ps_jw_kstr(w, "id", c->id);
    ps_jw_kstr(w, "agency", c->agency);
    ps_jw_kstr(w, "name", c->name);
    ps_jw_kcstr(w, "alg", ps_client_alg_name(c->alg));
    ps_jw_kcstr(w, "public_key", key);
    ps_jw_kcstr(w, "scopes", scopes);
    ps_api_time_json(w, "created_at", c->created_at_ms);
    ps_jw_obj_end(w);
}

static enum ps_err clients_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct clients *c = ctx;
    return ps_clients_list(tx, c->arena, c->list, PS_CLIENTS_MAX, &c->n, diag);
}

static void clients_render(struct ps_req *req, void *ctx)
{
    struct clients *c = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "clients");
    ps_jw_arr(&w);
    for (size_t i = 0; i < c->n; i++)
        client_json(&w, &c->list[i]);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

static struct clients *clients_new(struct ps_req *req)
{
    struct clients *c = ps_api_alloc(req, sizeof *c);
    if (c) {
        c->actor = ps_api_actor(req);
        c->arena = req->arena;
        c->id = ps_req_param(req, "id");
    }
    return c;
}

void ps_api_clients_get(struct ps_req *req)
{
    struct clients *c = clients_new(req);
    if (!c)
        return;
    c->list = ps_arena_array(req->arena, PS_CLIENTS_MAX, sizeof *c->list);
    if (!c->list) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return;
    }
    ps_api_read(req, clients_op, c, clients_render);
}

static enum ps_err add_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct clients *c = ctx;
    return ps_client_add(tx, c->actor, &c->one, c->reason, diag);
}

static void added(struct ps_req *req, void *ctx)
{
    struct clients *c = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    client_json(&w, &c->one);
    ps_api_json_end(req, &w, 201);
}

void ps_api_client_post(struct ps_req *req)
{
    json_t *root = ps_api_json_body(req, 2);
    struct clients *c = root ? clients_new(req) : NULL;
    struct ps_diag d = {0};
    if (!c)
        return;
    if (ps_api_client_from_json(root, req->arena, &c->one, &c->reason, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    ps_api_write(req, add_op, c, added);
}

static enum ps_err remove_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct clients *c = ctx;
    return ps_client_remove(tx, c->actor, c->id, c->reason, diag);
}

void ps_api_client_delete(struct ps_req *req)
{
    struct clients *c = clients_new(req);
    if (!c || !ps_api_reason(req, &c->reason))
        return;
    ps_api_write(req, remove_op, c, ps_api_no_content);
}
