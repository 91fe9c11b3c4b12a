/* Running a domain operation for a request (a store job, the request suspended until it is
 * durable, or a read on this thread) and writing JSON straight into the response. One shape
 * for every handler: parse, ps_api_write/ps_api_read, render. */
#include "api/api_int.h"

#include "core/log.h"

struct api_job {
    struct ps_req *req;
    struct ps_store_job job;
    ps_api_op op;
    ps_api_render render;
    ps_api_failure fail; /* NULL: problem+json (ps_api_fail_job) */
    void *ctx;
    struct ps_diag diag; /* the domain's reason, kept apart from the store's summary */
};

void *ps_api_alloc(struct ps_req *req, size_t n)
{
    void *p = ps_arena_zalloc(req->arena, n);
    if (!p)
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
    return p;
}

static enum ps_err job_tx(struct ps_tx *tx, void *ctx)
{
    struct api_job *j = ctx;
    ps_diag_clear(&j->diag);
    return j->op(tx, j->ctx, &j->diag);
}

static void job_done(struct ps_store_job *job)
{
    ps_req_resume(job->done_ctx);
}

static bool job_withdraw(struct ps_req *req, void *job)
{
    struct ps_app *app = req->app;
    return ps_store_cancel(app->store, job);
}

static void failed(struct ps_req *req, struct api_job *j, const struct ps_diag *store,
                   enum ps_err result)
{
    if (j->fail)
        j->fail(req, j->ctx, &j->diag, store, result);
    else
        ps_api_fail_job(req, &j->diag, store, result);
}

static void job_then(struct ps_req *req)
{
    struct api_job *j = req->then_ctx;
    if (j->job.result != PS_OK)
        failed(req, j, &j->job.diag, j->job.result);
    else
        j->render(req, j->ctx);
}

static struct api_job *job_new(struct ps_req *req, ps_api_op op, void *ctx,
                               ps_api_render render, ps_api_failure fail)
{
    struct api_job *j = ps_api_alloc(req, sizeof *j);
    if (j) {
        j->req = req;
        j->op = op;
        j->ctx = ctx;
        j->render = render;
        j->fail = fail;
    }
    return j;
}

void ps_api_write(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render)
{
    ps_api_write_or(req, op, ctx, render, NULL);
}

void ps_api_read(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render)
{
    ps_api_read_or(req, op, ctx, render, NULL);
}

void ps_api_write_or(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render,
                     ps_api_failure fail)
{
    struct ps_app *app = req->app;
    struct api_job *j = job_new(req, op, ctx, render, fail);
    if (!j)
        return;
    j->job.fn = job_tx;
    j->job.ctx = j;
    j->job.done = job_done;
    j->job.done_ctx = req;
    req->then_ctx = j;
    ps_req_suspend(req, job_then);
    ps_req_on_abandon(req, job_withdraw, &j->job);
    if (ps_store_submit(app->store, &j->job) != PS_OK) {
        j->job.result = PS_ERR_UNAVAILABLE; /* done() will not be called: answer now */
        j->job.diag.code = PS_ERR_UNAVAILABLE;
        ps_req_resume(req);
    }
}

void ps_api_read_or(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render,
                    ps_api_failure fail)
{
    struct ps_app *app = req->app;
    struct api_job *j = job_new(req, op, ctx, render, fail);
    if (!j)
        return;
    struct ps_diag store = {0};
    enum ps_err e = ps_store_read(app->store, job_tx, j, &store);
    if (e != PS_OK)
        failed(req, j, &store, e);
    else
        render(req, ctx);
}

void ps_api_json_begin(struct ps_req *req, struct ps_jw *w)
{
    ps_jw_init(w, ps_resp_body(req));
}

void ps_api_json_end(struct ps_req *req, struct ps_jw *w, int status)
{
    enum ps_err e = ps_jw_end(w);
    if (e == PS_OK) {
        ps_resp_ready(req, status, "application/json");
        return;
    }
    ps_log(PS_LOG_ERROR, "request %s: rendering failed: %s", req->request_id, ps_err_name(e));
    ps_resp_problem(req, 500, "internal", "Internal Server Error", "rendering failed");
}

void ps_api_session_cookie(struct ps_req *req, const char *token, int64_t max_age_s)
{
    struct ps_app *app = req->app;
    bool secure = app->id.rp.https;
    char *v = ps_arena_printf(req->arena, "%s=%s; Max-Age=%lld; Path=/; HttpOnly; "
                                          "SameSite=Strict%s",
                              secure ? PS_SESSION_COOKIE_SECURE : PS_SESSION_COOKIE,
                              token ? token : "", token ? (long long)max_age_s : 0LL,
                              secure ? "; Secure" : "");
    if (v)
        ps_resp_header(req, "Set-Cookie", v);
}

void ps_api_no_content(struct ps_req *req, void *ctx)
{
    (void)ctx;
    ps_resp_bytes(req, 204, NULL, PS_STR(""));
}
