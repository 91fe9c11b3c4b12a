/* System routes: liveness, readiness and Prometheus metrics. */
#include <inttypes.h>
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
    struct ps_buf *b = ps_resp_body(req);
    /* the server pointer is published (atomically) just after the listener starts; a scrape
     * in that instant gets the store's figures alone */
    struct ps_http_server *srv = __atomic_load_n(&app->server, __ATOMIC_ACQUIRE);
    enum ps_err e = srv ? ps_http_metrics(srv, b) : PS_OK;
    if (e == PS_OK)
        e = store_metrics(app->store, b);
    if (e == PS_OK)
        e = ps_api_log_metrics(app, b);
    if (e == PS_OK)
        ps_resp_ready(req, 200, "text/plain; version=0.0.4; charset=utf-8");
    else
        ps_resp_problem(req, 500, "internal", "Internal error", "metrics: %s", ps_err_name(e));
}
