/* The JSON API edge: the route table and its handlers. Handlers parse and authorize, call the
 * domain, and render; they hold no SQL and no business rules (ARCHITECTURE.md rule 1). */
#ifndef PS_API_API_H
#define PS_API_API_H

#include <stddef.h>

#include "http/http.h"

struct ps_store;
struct ps_http_server;
struct ps_tlog_integrator;

/* What every handler can reach through req->app. Owned by `serve`; handlers only borrow. */
struct ps_app {
    struct ps_store *store;
    struct ps_http_server *server;   /* for /metrics */
    unsigned char admin_token_hash[32]; /* SHA-256 of the local admin token (see keys) */
    const char *version;
    const char *log_key; /* the log's note verifier key "<origin>+<id>+<base64>"; NULL: 503 */
    struct ps_tlog_integrator *tlog; /* for /metrics; NULL: no log metrics */
};

/* Route flags */
#define PS_ROUTE_ADMIN 0x1u /* needs "Authorization: Bearer <admin token>" */

/* The route table (static; n gets its length). */
const struct ps_route *ps_api_routes(size_t *n);
/* The routes served while the database is not reachable yet at start: /healthz answers 200
 * (the process lives), /readyz and every other path 503 problem+json "not-ready" with
 * Retry-After. Needs no app (req->app is unused). */
const struct ps_route *ps_api_starting_routes(size_t *n);

/* The OpenAPI 3.1 document describing every route (static, NUL-terminated JSON). */
struct ps_str ps_api_openapi(void);

#endif
