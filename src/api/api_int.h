/* Private to src/api: handler declarations and helpers shared by the handler files. */
#ifndef PS_API_API_INT_H
#define PS_API_API_INT_H

#include <stdbool.h>

#include "api/api.h"
#include "core/buf.h"

void ps_api_healthz(struct ps_req *req);
void ps_api_readyz(struct ps_req *req);
void ps_api_metrics(struct ps_req *req);
void ps_api_openapi_get(struct ps_req *req);
void ps_api_person_get(struct ps_req *req);
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
/* Answers a domain/store error with the matching problem (400/404/409/503/500). */
void ps_api_fail(struct ps_req *req, const struct ps_diag *diag);

#endif
