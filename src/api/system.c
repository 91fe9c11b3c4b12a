/* System routes: liveness, readiness, Prometheus metrics, the OpenAPI document, and the
 * helpers every handler shares (admin check, error mapping). */
#include <inttypes.h>
#include <sodium.h>
#include <string.h>

#include "api/api_int.h"
#include "core/log.h"
#include "store/store.h"

void ps_api_healthz(struct ps_req *req)
{
    ps_resp_json(req, 200, PS_STR("{\"status\":\"ok\"}"));
}

void ps_api_readyz(struct ps_req *req)
{
    struct ps_app *app = req->app;
    int applied = 0, known = 0;
    struct ps_diag diag = {0};
    if (!ps_store_ready(app->store) ||
        ps_store_schema_version(app->store, &applied, &known, &diag) != PS_OK) {
        ps_resp_problem(req, 503, "not-ready", "Not ready", "the store is not reachable");
        return;
    }
    if (applied != known) {
        ps_resp_problem(req, 503, "not-ready", "Not ready",
                        "schema version %d applied, %d expected", applied, known);
        return;
    }
    const char *backend = ps_store_backend(app->store) == PS_STORE_POSTGRES ? "postgresql"
                                                                            : "sqlite";
    char *body = ps_arena_printf(req->arena, "{\"status\":\"ready\",\"schema\":%d,\"backend\":\"%s\"}",
                                 applied, backend);
    if (!body) {
        ps_resp_problem(req, 500, "internal", "Internal error", "out of memory");
        return;
    }
    ps_resp_json(req, 200, ps_str_from_cstr(body));
}

static enum ps_err store_metrics(struct ps_store *store, struct ps_buf *b)
{
    struct ps_store_stats st;
    ps_store_stats(store, &st);
    return ps_buf_printf(
        b,
        "# HELP pocketstate_store_commits_total Physical transactions committed.\n"
        "# TYPE pocketstate_store_commits_total counter\n"
        "pocketstate_store_commits_total %" PRIu64 "\n"
        "# HELP pocketstate_store_jobs_total Write jobs committed (several share a commit).\n"
        "# TYPE pocketstate_store_jobs_total counter\n"
        "pocketstate_store_jobs_total %" PRIu64 "\n"
        "# HELP pocketstate_store_job_failures_total Write jobs rolled back.\n"
        "# TYPE pocketstate_store_job_failures_total counter\n"
        "pocketstate_store_job_failures_total %" PRIu64 "\n"
        "# HELP pocketstate_store_retries_total Jobs retried after a serialization failure.\n"
        "# TYPE pocketstate_store_retries_total counter\n"
        "pocketstate_store_retries_total %" PRIu64 "\n"
        "# HELP pocketstate_store_reads_total Read transactions.\n"
        "# TYPE pocketstate_store_reads_total counter\n"
        "pocketstate_store_reads_total %" PRIu64 "\n"
        "# HELP pocketstate_store_commit_seconds_total Time spent in COMMIT (durable flush).\n"
        "# TYPE pocketstate_store_commit_seconds_total counter\n"
        "pocketstate_store_commit_seconds_total %.6f\n"
        "# HELP pocketstate_store_transaction_seconds_total Time spent in write transactions.\n"
        "# TYPE pocketstate_store_transaction_seconds_total counter\n"
        "pocketstate_store_transaction_seconds_total %.6f\n"
        "# HELP pocketstate_store_queue_depth Write jobs waiting for the committer.\n"
        "# TYPE pocketstate_store_queue_depth gauge\n"
        "pocketstate_store_queue_depth %" PRIu64 "\n",
        st.commits, st.jobs, st.job_failures, st.retries, st.reads,
        (double)st.commit_ns_total / 1e9, (double)st.tx_ns_total / 1e9, st.queue_depth);
}

void ps_api_metrics(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct ps_buf b;
    ps_buf_init(&b, 1u << 20);
    /* the server pointer is published (atomically) just after the listener starts; a scrape
     * in that instant gets the store's figures alone */
    struct ps_http_server *srv = __atomic_load_n(&app->server, __ATOMIC_ACQUIRE);
    enum ps_err e = srv ? ps_http_metrics(srv, &b) : PS_OK;
    if (e == PS_OK)
        e = store_metrics(app->store, &b);
    if (e == PS_OK)
        e = ps_api_log_metrics(app, &b);
    if (e == PS_OK)
        ps_resp_bytes(req, 200, "text/plain; version=0.0.4; charset=utf-8", ps_buf_str(&b));
    else
        ps_resp_problem(req, 500, "internal", "Internal error", "metrics: %s", ps_err_name(e));
    ps_buf_reset(&b);
}

void ps_api_openapi_get(struct ps_req *req)
{
    ps_resp_json(req, 200, ps_api_openapi());
}

bool ps_api_require_admin(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct ps_str auth = ps_req_header(req, "Authorization");
    static const struct ps_str prefix = {"Bearer ", 7};
    /* the scheme name is case-insensitive (RFC 9110 section 11.1) */
    if (!auth.p || auth.len < prefix.len ||
        !ps_str_eq_nocase((struct ps_str){auth.p, prefix.len}, prefix) ||
        auth.len - prefix.len > 512) {
        ps_resp_header(req, "WWW-Authenticate", "Bearer realm=\"pocketstate\"");
        ps_resp_problem(req, 401, "unauthorized", "Unauthorized",
                        "this route needs the local admin token as a Bearer token");
        return false;
    }
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, (const unsigned char *)auth.p + prefix.len, auth.len - prefix.len);
    bool ok = sodium_memcmp(hash, app->admin_token_hash, sizeof hash) == 0;
    sodium_memzero(hash, sizeof hash);
    if (!ok) {
        ps_resp_header(req, "WWW-Authenticate", "Bearer realm=\"pocketstate\", error=\"invalid_token\"");
        ps_resp_problem(req, 401, "unauthorized", "Unauthorized", "the token is not valid");
    }
    return ok;
}

static void fail_internal(struct ps_req *req, const struct ps_diag *diag, const char *msg)
{
    /* store internals stay in the log, not in the response */
    ps_log(PS_LOG_ERROR, "request %s failed: %s: %s", req->request_id, ps_err_name(diag->code),
           msg);
    ps_resp_problem(req, 500, "internal", "Internal error", "request %s failed",
                    req->request_id);
}

/* Errors that mean "try again shortly" (or, for an unknown outcome, "look, then maybe try
 * again"), from the domain or the store alike. */
static bool fail_transient(struct ps_req *req, const struct ps_diag *diag)
{
    if (diag->code == PS_ERR_UNAVAILABLE) {
        ps_resp_header(req, "Retry-After", "1");
        ps_resp_problem(req, 503, "store-unavailable", "Store unavailable",
                        "the database is not reachable; nothing was written");
        return true;
    }
    if (diag->code == PS_ERR_CONFLICT) {
        /* lock or serialization retries ran out: the server's state, not the resource's */
        ps_resp_header(req, "Retry-After", "1");
        ps_resp_problem(req, 503, "busy", "Busy",
                        "the database is busy; nothing was written, try again");
        return true;
    }
    if (diag->code == PS_ERR_UNKNOWN_OUTCOME) {
        /* no Retry-After: a blind retry could apply the write twice */
        ps_resp_problem(req, 503, "outcome-unknown", "Outcome unknown",
                        "the database connection was lost while committing; the write may or "
                        "may not have been applied: read the resource before retrying");
        return true;
    }
    return false;
}

void ps_api_fail(struct ps_req *req, const struct ps_diag *diag)
{
    const char *msg = diag->message[0] ? diag->message : ps_err_name(diag->code);
    if (fail_transient(req, diag))
        return;
    switch (diag->code) {
    case PS_ERR_INVALID:
        ps_resp_problem(req, 400, "invalid-input", "Invalid input", "%s", msg);
        break;
    case PS_ERR_LIMIT:
        ps_resp_problem(req, 400, "limit-exceeded", "Limit exceeded", "%s", msg);
        break;
    case PS_ERR_NOTFOUND:
        ps_resp_problem(req, 404, "not-found", "Not found", "%s", msg);
        break;
    case PS_ERR_EXISTS:
        ps_resp_problem(req, 409, "conflict", "Conflict", "%s", msg);
        break;
    case PS_ERR_DENIED:
        ps_resp_problem(req, 403, "forbidden", "Forbidden", "%s", msg);
        break;
    default:
        fail_internal(req, diag, msg);
        break;
    }
}

void ps_api_fail_store(struct ps_req *req, const struct ps_diag *diag)
{
    const char *msg = diag->message[0] ? diag->message : ps_err_name(diag->code);
    if (!fail_transient(req, diag))
        fail_internal(req, diag, msg);
}

void ps_api_fail_job(struct ps_req *req, const struct ps_diag *domain,
                     const struct ps_diag *store, enum ps_err result)
{
    if (domain->code != PS_OK) {
        ps_api_fail(req, domain);
        return;
    }
    struct ps_diag d = *store;
    if (d.code == PS_OK)
        d.code = result != PS_OK ? result : PS_ERR_INTERNAL;
    ps_api_fail_store(req, &d);
}

bool ps_api_purpose(struct ps_req *req, struct ps_str *out)
{
    /* recorded in the access log: a malformed one is refused, never replaced by the default */
    if (ps_req_query_get(req, "purpose", out) == PS_ERR_INVALID) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "purpose is not valid percent-encoded text");
        return false;
    }
    if (!out->p || out->len == 0)
        *out = PS_STR("local-administration");
    if (out->len > PS_API_PURPOSE_MAX) {
        ps_resp_problem(req, 400, "invalid-input", "Invalid input",
                        "purpose is longer than %d bytes", PS_API_PURPOSE_MAX);
        return false;
    }
    return true;
}

/* ---- store jobs for suspended requests ---- */

static void job_done(struct ps_store_job *job)
{
    ps_req_resume(job->done_ctx);
}

static bool job_withdraw(struct ps_req *req, void *job)
{
    struct ps_app *app = req->app;
    return ps_store_cancel(app->store, job);
}

void ps_api_submit(struct ps_req *req, struct ps_store_job *job, void *ctx, ps_tx_fn fn,
                   ps_handler_fn then)
{
    struct ps_app *app = req->app;
    job->fn = fn;
    job->ctx = ctx;
    job->done = job_done;
    job->done_ctx = req;
    req->then_ctx = ctx;
    ps_req_suspend(req, then);
    ps_req_on_abandon(req, job_withdraw, job);
    if (ps_store_submit(app->store, job) != PS_OK) {
        job->result = PS_ERR_UNAVAILABLE; /* done() will not be called: answer now */
        job->diag.code = PS_ERR_UNAVAILABLE;
        ps_req_resume(req);
    }
}
