/* Private to src/api: handler declarations and helpers shared by the handler files. */
#ifndef PS_API_API_INT_H
#define PS_API_API_INT_H

#include <stdbool.h>

#include "api/api.h"

void ps_api_healthz(struct ps_req *req);
void ps_api_readyz(struct ps_req *req);
void ps_api_metrics(struct ps_req *req);
void ps_api_openapi_get(struct ps_req *req);
void ps_api_person_get(struct ps_req *req);

/* True when the request carries the local admin token; otherwise it has answered 401. */
bool ps_api_require_admin(struct ps_req *req);
/* Answers a domain/store error with the matching problem (400/404/409/503/500). */
void ps_api_fail(struct ps_req *req, const struct ps_diag *diag);

#endif
