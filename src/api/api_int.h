/* Private to src/api: handler declarations and helpers shared by the handler files. */
#ifndef PS_API_API_INT_H
#define PS_API_API_INT_H

#include <stdbool.h>

#include "api/api.h"
#include "core/buf.h"
#include "http/http.h"
#include "store/store.h"

void ps_api_healthz(struct ps_req *req);
void ps_api_readyz(struct ps_req *req);
void ps_api_metrics(struct ps_req *req);
void ps_api_openapi_get(struct ps_req *req);
void ps_api_person_get(struct ps_req *req);
void ps_api_person_post(struct ps_req *req);
/* transparency log (log_api.c) */
void ps_api_log_checkpoint(struct ps_req *req);
void ps_api_log_tile(struct ps_req *req);
void ps_api_log_entries(struct ps_req *req);
void ps_api_log_key(struct ps_req *req);
void ps_api_log_inclusion(struct ps_req *req);
void ps_api_log_consistency(struct ps_req *req);
void ps_api_log_cosign(struct ps_req *req);
void ps_api_person_access_log(struct ps_req *req);
/* Appends the integrator's Prometheus metrics (nothing when app->tlog is NULL). */
enum ps_err ps_api_log_metrics(struct ps_app *app, struct ps_buf *b) PS_WUR;

/* True when the request carries the local admin token; otherwise it has answered 401. */
bool ps_api_require_admin(struct ps_req *req);
/* The ?purpose= of a read of someone's data, as it will be recorded: default
 * "local-administration"; false when it is malformed or longer than PS_API_PURPOSE_MAX bytes
 * (then it has answered 400). */
#define PS_API_PURPOSE_MAX 200
bool ps_api_purpose(struct ps_req *req, struct ps_str *out);

/* Answers a domain error (the domain's own diagnostic: its INVALID, LIMIT, NOTFOUND, EXISTS,
 * DENIED are the caller's doing) with the matching problem: 400/400/404/409/403; CONFLICT
 * (retries ran out) and UNAVAILABLE are 503 with Retry-After; anything else 500, logged. */
void ps_api_fail(struct ps_req *req, const struct ps_diag *diag);
/* Answers an error the store reported around a job (not the domain's): 503 for CONFLICT and
 * UNAVAILABLE, else 500 with the detail only in the log (a constraint or SQL message is an
 * internal matter, not the client's). */
void ps_api_fail_store(struct ps_req *req, const struct ps_diag *diag);
/* A transaction failed: the domain's diagnostic when it set one (ps_api_fail), else the
 * store's, or result (ps_api_fail_store). */
void ps_api_fail_job(struct ps_req *req, const struct ps_diag *domain,
                     const struct ps_diag *store, enum ps_err result);

/* Runs fn(tx, ctx) as a store job for req: suspends req with continuation `then` (which finds
 * ctx in req->then_ctx and the outcome in job->result), submits the job, and resumes req
 * when the job is durable or failed. A store that refuses the job (shutting down) leaves
 * job->result PS_ERR_UNAVAILABLE and resumes at once. If the server's shutdown grace ends
 * first, a job still queued is withdrawn and the 503 says nothing was done; one a committer
 * has taken is answered 503 outcome-unknown. job and ctx must live in req's arena. */
void ps_api_submit(struct ps_req *req, struct ps_store_job *job, void *ctx, ps_tx_fn fn,
                   ps_handler_fn then);

#endif
