/* The HTTP edge: libmicrohttpd with its internal epoll thread pool, a router on method + path
 * pattern, bounded requests, problem+json errors, metrics and one JSON log line per request.
 * This layer knows nothing of the store or the domain: handlers (src/api) bring those.
 *
 * A handler runs on a server thread with a per-request arena. It either produces a response
 * (ps_resp_*) before returning, or suspends the request (ps_req_suspend) while work runs
 * elsewhere (a store job waiting for its group commit); another thread then calls
 * ps_req_resume and the continuation runs on a server thread to produce the response. */
#ifndef PS_HTTP_HTTP_H
#define PS_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#define PS_ROUTE_MAX_PARAMS 4
#define PS_RESP_MAX_HEADERS 8
/* Base of the stable problem type URIs: PS_PROBLEM_BASE "not-found" etc. (docs/problems.md) */
#define PS_PROBLEM_BASE "https://pocketstate.dev/problems/"

struct ps_req;
typedef void (*ps_handler_fn)(struct ps_req *req);

struct ps_route {
    const char *method;   /* "GET", "POST", ... */
    const char *pattern;  /* "/api/v1/registry/persons/{rnokpp}": {name} matches one segment */
    ps_handler_fn fn;
    size_t max_body;      /* 0: the server's default limit */
    unsigned flags;       /* route-specific bits for the application (e.g. auth required) */
};

struct ps_req {
    struct ps_arena *arena;           /* owned by the server; freed when the request ends */
    void *app;                        /* the application context given to ps_http_start */
    const struct ps_route *route;     /* NULL until routed */
    struct ps_str method, path, query; /* path without the query; query without '?' */
    struct ps_str body;               /* whole body (bounded by the route's limit) */
    struct ps_str param_names[PS_ROUTE_MAX_PARAMS];
    struct ps_str params[PS_ROUTE_MAX_PARAMS];
    size_t nparams;
    char request_id[64];              /* from X-Request-Id (validated) or a new UUIDv7 */
    struct ps_str client_ip;
    /* response */
    int status;                       /* 0 until a response is set */
    const char *content_type;
    struct ps_buf out;                /* response body */
    struct ps_str hdr_names[PS_RESP_MAX_HEADERS], hdr_values[PS_RESP_MAX_HEADERS];
    size_t nhdrs;
    /* continuation state, private to the server */
    ps_handler_fn then_;
    void *conn_;
    int state_;
    int64_t start_ns_;
};

/* Request header value (case-insensitive name), PS_STR_NULL (p == NULL) when absent. */
struct ps_str ps_req_header(struct ps_req *req, const char *name);
/* Path parameter by name, PS_STR_NULL when absent. */
struct ps_str ps_req_param(struct ps_req *req, const char *name);
/* Query parameter by name (first occurrence, percent-decoded into the arena). */
struct ps_str ps_req_query(struct ps_req *req, const char *name);

/* Responses. Each sets status, content type and body (copied); the last call wins. */
void ps_resp_bytes(struct ps_req *req, int status, const char *content_type, struct ps_str body);
void ps_resp_json(struct ps_req *req, int status, struct ps_str json);
/* application/problem+json (RFC 9457): type = PS_PROBLEM_BASE slug, title, status, detail,
 * instance = request path, plus "requestId". */
void ps_resp_problem(struct ps_req *req, int status, const char *slug, const char *title,
                     const char *detail_fmt, ...) PS_PRINTF(5, 6);
/* Adds a response header (name and value copied into the arena); silently capped at
 * PS_RESP_MAX_HEADERS (a programming error caught in tests). */
void ps_resp_header(struct ps_req *req, const char *name, const char *value);

/* Suspends the request: the handler calls this and returns. Later, ps_req_resume (from any
 * thread, exactly once) makes the server call then(req) on a server thread. */
void ps_req_suspend(struct ps_req *req, ps_handler_fn then);
void ps_req_resume(struct ps_req *req);

/* ---- router ---- */

struct ps_router;
/* Compiles the table (borrowed: it must outlive the router). PS_ERR_INVALID for a bad
 * pattern or a duplicate. Caller frees with ps_router_free. */
enum ps_err ps_router_new(const struct ps_route *routes, size_t n, struct ps_router **out,
                          struct ps_diag *diag) PS_WUR;
void ps_router_free(struct ps_router *r);
enum ps_route_match { PS_ROUTE_FOUND, PS_ROUTE_NO_PATH, PS_ROUTE_NO_METHOD };
/* Matches method + path; on FOUND fills req->route and params (slices of path). On
 * NO_METHOD, *allow (may be NULL) gets a comma-separated list of methods for the path,
 * owned by the router. Paths longer than 2048 bytes or with more than 32 segments, empty or
 * dot segments, or NUL bytes never match. */
enum ps_route_match ps_router_match(const struct ps_router *r, struct ps_str method,
                                    struct ps_str path, struct ps_req *req, const char **allow);

/* ---- server ---- */

struct ps_http_limits {
    size_t max_header_bytes;   /* request line + headers; default 8192 -> 431 */
    size_t max_body_bytes;     /* default 1 MiB -> 413; a route may override */
    unsigned idle_timeout_s;   /* default 30 -> connection closed (408 if a request started) */
    unsigned request_timeout_s;/* whole request read deadline; default 30 -> 408 */
    unsigned max_connections;  /* default 1024 -> 503 */
    unsigned max_per_ip;       /* default 256 -> 429 */
    unsigned threads;          /* 0: one per core */
    unsigned shutdown_grace_ms;/* default 10000 */
    size_t arena_bytes;        /* per-request arena limit; default 4 MiB */
};
void ps_http_limits_init(struct ps_http_limits *l);

struct ps_http_config {
    const char *listen_addr;   /* "127.0.0.1", "::1", "0.0.0.0" */
    uint16_t port;             /* 0: pick a free port (see ps_http_port) */
    struct ps_http_limits limits;
    const struct ps_route *routes;
    size_t nroutes;
    void *app;
    bool log_requests;         /* one JSON line per request on the log */
};

struct ps_http_server;
enum ps_err ps_http_start(const struct ps_http_config *cfg, struct ps_http_server **out,
                          struct ps_diag *diag) PS_WUR;
uint16_t ps_http_port(const struct ps_http_server *s);
/* Stops accepting, lets in-flight requests finish within the grace period, frees. */
void ps_http_stop(struct ps_http_server *s);
/* Appends Prometheus text for the server's metrics (requests by route and status, latency
 * histograms, in-flight, connections). */
enum ps_err ps_http_metrics(struct ps_http_server *s, struct ps_buf *out) PS_WUR;

#endif
