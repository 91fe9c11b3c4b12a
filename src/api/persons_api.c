/* Population registry routes: read a person's record, register a person, and who used a
 * person's data. Reads of someone's data are store jobs: recording the access is a write that
 * must be durable before the data leaves (ARCHITECTURE.md rules 3 and 5). The JSON shapes are
 * in render.c. */
#include <string.h>

#include "api/api_int.h"
#include "api/render.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"
#include "tlog/log.h"

/* A malformed number is refused before it costs a transaction (the domain checks again). */
static bool valid_rnokpp(struct ps_req *req, struct ps_str rnokpp)
{
    struct ps_diag d = {0};
    if (ps_rnokpp_validate(rnokpp, NULL, &d) == PS_OK)
        return true;
    ps_api_fail(req, &d);
    return false;
}

/* ---- GET /api/v1/registry/persons/{rnokpp} ---- */

struct person_get {
    const struct ps_actor *actor;
    struct ps_str rnokpp, purpose;
    struct ps_arena *arena;
    struct ps_person person;
};

static enum ps_err person_get_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct person_get *g = ctx;
    return ps_person_read(tx, g->actor, g->rnokpp, g->purpose, g->arena, &g->person, diag);
}

static void person_get_render(struct ps_req *req, void *ctx)
{
    struct person_get *g = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_person_json(&w, &g->person);
    ps_api_json_end(req, &w, 200);
}

void ps_api_person_get(struct ps_req *req)
{
    struct person_get *g = ps_api_alloc(req, sizeof *g);
    if (!g || !ps_api_purpose(req, &g->purpose))
        return;
    g->actor = ps_api_actor(req);
    g->rnokpp = ps_req_param(req, "rnokpp");
    g->arena = req->arena;
    if (valid_rnokpp(req, g->rnokpp))
        ps_api_write(req, person_get_op, g, person_get_render);
}

/* ---- POST /api/v1/registry/persons ---- */

#define REGISTER_MAX_DEPTH 3

struct person_post {
    const struct ps_actor *actor;
    struct ps_person person;
    struct ps_str reason;
};

static enum ps_err person_post_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct person_post *g = ctx;
    return ps_person_register(tx, g->actor, &g->person, g->reason, diag);
}

static void person_post_render(struct ps_req *req, void *ctx)
{
    struct person_post *g = ctx;
    char *location = ps_arena_printf(req->arena, "/api/v1/registry/persons/%.*s",
                                     PS_STR_FMT(g->person.rnokpp));
    if (!location) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return;
    }
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_person_json(&w, &g->person);
    ps_resp_header(req, "Location", location);
    ps_api_json_end(req, &w, 201);
}

void ps_api_person_post(struct ps_req *req)
{
    json_t *root = ps_api_json_body(req, REGISTER_MAX_DEPTH);
    struct person_post *g = root ? ps_api_alloc(req, sizeof *g) : NULL;
    if (!g)
        return;
    struct ps_diag d = {0};
    if (ps_api_person_from_json(root, &g->person, &g->reason, &d) != PS_OK ||
        ps_person_complete(&g->person, req->arena, &d) != PS_OK) {
        ps_api_fail(req, &d);
        return;
    }
    g->actor = ps_api_actor(req);
    ps_api_write(req, person_post_op, g, person_post_render);
}

/* ---- GET /api/v1/registry/persons/{rnokpp}/access-log: who used a person's data ---- */

#define PAGE_DEFAULT 20

struct who {
    const struct ps_actor *actor;
    struct ps_str rnokpp, before, purpose;
    struct ps_arena *arena;
    struct ps_api_access_page page;
};

static enum ps_err who_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct who *w = ctx;
    return ps_person_access_log(tx, w->actor, w->rnokpp, w->purpose, w->before, w->page.limit,
                                w->arena, w->page.rows, &w->page.n, diag);
}

static enum ps_err who_proofs_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct ps_api_access_page *p = ctx;
    return ps_tlog_rows_proofs(tx, p->rows, p->n, p->proofs, &p->size, &p->checkpoint, diag);
}

static void who_render(struct ps_req *req, void *ctx)
{
    struct ps_api_access_page *p = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_access_page_json(&w, p);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

/* The access record is durable: now the proofs of the rows, from the latest checkpoint. */
static void who_recorded(struct ps_req *req, void *ctx)
{
    struct who *w = ctx;
    if (ps_api_access_page_prepare(req->arena, &w->page) != PS_OK) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return;
    }
    ps_api_read(req, who_proofs_op, &w->page, who_render);
}

void ps_api_person_access_log(struct ps_req *req)
{
    struct who *w = ps_api_alloc(req, sizeof *w);
    if (!w || !ps_api_page_query(req, PAGE_DEFAULT, &w->page.limit, &w->before) ||
        !ps_api_purpose(req, &w->purpose))
        return;
    w->actor = ps_api_actor(req);
    w->rnokpp = ps_req_param(req, "rnokpp");
    w->page.subject = w->rnokpp;
    w->arena = req->arena;
    if (valid_rnokpp(req, w->rnokpp))
        ps_api_write(req, who_op, w, who_recorded);
}
