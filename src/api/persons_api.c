/* Population registry routes. The read is a store job because recording the access is a
 * write that must be durable before the data leaves (ARCHITECTURE.md rules 3 and 5): the
 * request is suspended until its group commit lands, then rendered. */
#include "api/api_int.h"
#include "core/buf.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"


struct person_get {
    struct ps_req *req;
    struct ps_store_job job;
    struct ps_actor actor;
    struct ps_str rnokpp, purpose;
    struct ps_person person;
    struct ps_diag diag; /* the domain's reason, kept apart from the store's summary */
};

static enum ps_err person_get_tx(struct ps_tx *tx, void *ctx)
{
    struct person_get *g = ctx;
    ps_diag_clear(&g->diag); /* the job may run again after a conflict */
    return ps_person_read(tx, &g->actor, g->rnokpp, g->purpose, g->req->arena, &g->person,
                          &g->diag);
}

static void person_get_done(struct ps_store_job *job)
{
    struct person_get *g = job->done_ctx;
    ps_req_resume(g->req);
}

static void person_get_render(struct ps_req *req)
{
    struct person_get *g = req->then_ctx;
    if (g->job.result != PS_OK) {
        ps_api_fail_job(req, &g->diag, &g->job.diag, g->job.result);
        return;
    }
    struct ps_buf b;
    ps_buf_init(&b, 64u << 10);
    enum ps_err e = ps_person_to_json(&g->person, &b);
    if (e == PS_OK)
        ps_resp_json(req, 200, ps_buf_str(&b));
    else
        ps_resp_problem(req, 500, "internal", "Internal error", "rendering failed");
    ps_buf_reset(&b);
}

void ps_api_person_get(struct ps_req *req)
{
    struct ps_app *app = req->app;
    if (!ps_api_require_admin(req))
        return;
    struct person_get *g = ps_arena_zalloc(req->arena, sizeof *g);
    if (!g) {
        ps_resp_problem(req, 500, "internal", "Internal error", "out of memory");
        return;
    }
    g->req = req;
    g->rnokpp = ps_req_param(req, "rnokpp");
    /* refuse a malformed number before it costs a transaction; the domain checks again */
    struct ps_diag diag = {0};
    if (ps_rnokpp_validate(g->rnokpp, NULL, &diag) != PS_OK) {
        ps_api_fail(req, &diag);
        return;
    }
    if (!ps_api_purpose(req, &g->purpose))
        return;
    g->actor.kind = PS_ACTOR_ADMIN;
    g->actor.id = PS_STR("local-admin");
    g->job.fn = person_get_tx;
    g->job.ctx = g;
    g->job.done = person_get_done;
    g->job.done_ctx = g;
    req->then_ctx = g;
    ps_req_suspend(req, person_get_render);
    if (ps_store_submit(app->store, &g->job) != PS_OK) {
        /* done() will not be called: answer now */
        g->job.result = PS_ERR_UNAVAILABLE;
        g->job.diag.code = PS_ERR_UNAVAILABLE;
        ps_req_resume(req);
    }
}
