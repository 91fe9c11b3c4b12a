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
#define PS_ROUTE_MAX_PATH 2048    /* longer paths never match (404) */
#define PS_ROUTE_MAX_SEGMENTS 32  /* more segments never match (404) */
#define PS_RESP_MAX_HEADERS 8
#define PS_REQUEST_ID_MAX 64      /* X-Request-Id: 1..64 of [A-Za-z0-9._-] */
/* Base of the stable problem type URIs: PS_PROBLEM_BASE "not-found" etc. (docs/problems.md) */
#define PS_PROBLEM_BASE "https://pocketstate.dev/problems/"

struct ps_req;
typedef void (*ps_handler_fn)(struct ps_req *req);

/* One row of the route table: the contract of a route (ARCHITECTURE.md rule 9). The HTTP layer
 * matches method and pattern and enforces max_body; action and creds are the application's,
 * read by its dispatcher (ps_http_config.dispatch) to authenticate the caller and decide
 * access before fn runs. */
struct ps_route {
    const char *method;   /* "GET", "POST", ... */
    const char *pattern;  /* "/api/v1/registry/persons/{rnokpp}": {name} matches one segment;
                           * a last segment "{name...}" matches one or more (the rest of the
                           * path, slashes included) */
    const char *action;   /* what the route does, as the access policy names it
                           * ("person.read"); the application's, opaque here */
    unsigned creds;       /* the credentials the route accepts (application bits; 0: none is
                           * needed, the route is public) */
    ps_handler_fn fn;
    size_t max_body;      /* 0: the server's default limit */
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
    char request_id[PS_REQUEST_ID_MAX + 1]; /* X-Request-Id (validated) or a new UUIDv7 */
    struct ps_str client_ip;
    const void *subject;              /* who asks, as decided by the application's dispatcher
                                       * (opaque here); NULL before it ran */
    /* response */
    int status;                       /* 0 until a response is set */
    const char *content_type;
    struct ps_buf out;                /* response body */
    struct ps_str hdr_names[PS_RESP_MAX_HEADERS], hdr_values[PS_RESP_MAX_HEADERS];
    size_t nhdrs;
    void *then_ctx;                   /* the handler's own state for its continuation */
    /* Optional, set while suspended (ps_req_on_abandon): asked at shutdown whether the
     * suspended work could be withdrawn before it ran (true) or may still complete. */
    bool (*withdraw)(struct ps_req *req, void *ctx);
    void *withdraw_ctx;
    /* continuation state, private to the server */
    ps_handler_fn then_;
    void *conn_;                      /* the server's connection; NULL outside a server */
    int state_;                       /* accessed atomically (suspend/resume race) */
    int64_t start_ns_;
};

/* Request header value (case-insensitive name), PS_STR_NULL (p == NULL) when absent.
 * Borrowed: valid until the request ends. Server thread only. */
struct ps_str ps_req_header(struct ps_req *req, const char *name);
/* Path parameter by name, PS_STR_NULL when absent. Percent-decoded by the server before
 * the handler runs (a parameter that decodes to NUL, '/', "." or ".." gives 404). */
struct ps_str ps_req_param(struct ps_req *req, const char *name);
/* Query parameter by name (first occurrence, percent-decoded into the arena, '+' is a
 * space). PS_STR_NULL when absent or badly encoded; a present "k" or "k=" gives "". */
/* The same, telling "absent" (PS_ERR_NOTFOUND) from "present but not decodable" (bad
 * percent-encoding, NUL: PS_ERR_INVALID), for parameters whose silent absence would change
 * what is recorded. */
enum ps_err ps_req_query_get(struct ps_req *req, const char *name, struct ps_str *out) PS_WUR;
struct ps_str ps_req_query(struct ps_req *req, const char *name);
/* True when the Content-Type media type (parameters ignored, case-insensitive) equals
 * mime. With "application/json" it also accepts any "application/...+json". For handlers
 * that answer 415 (slug "unsupported-media-type") themselves. */
bool ps_req_content_type_is(struct ps_req *req, const char *mime);

/* Pure: true when s is a valid client request id (1..64 bytes of [A-Za-z0-9._-]).
 * For the server and the fuzz target. */
bool ps_http_request_id_valid(struct ps_str s);

/* Responses. Each sets status, content type and body (copied); the last call wins. Call
 * them on a server thread (in the handler or the continuation), never from the thread that
 * calls ps_req_resume. A body that does not fit the response limit becomes a 500. */
void ps_resp_bytes(struct ps_req *req, int status, const char *content_type, struct ps_str body);
void ps_resp_json(struct ps_req *req, int status, struct ps_str json);
/* For a handler that renders straight into the response: ps_resp_body empties the body and
 * returns it (the request's buffer, bounded by the response limit); ps_resp_ready then sets
 * status and content type for what was written. */
struct ps_buf *ps_resp_body(struct ps_req *req);
void ps_resp_ready(struct ps_req *req, int status, const char *content_type);
/* application/problem+json (RFC 9457): type = PS_PROBLEM_BASE slug, title, status, detail,
 * instance = request path, plus "requestId". */
void ps_resp_problem(struct ps_req *req, int status, const char *slug, const char *title,
                     const char *detail_fmt, ...) PS_PRINTF(5, 6);
/* Adds a response header (name and value copied into the arena). Headers past
 * PS_RESP_MAX_HEADERS are dropped with a warning on the log (a programming error). Values
 * with CR or LF are refused by MHD when the response is built (the request then fails). */
void ps_resp_header(struct ps_req *req, const char *name, const char *value);

/* Suspends the request: the handler calls this and returns. Later, ps_req_resume (from any
 * thread, exactly once, possibly before the handler has even returned) makes the server
 * call then(req) on a server thread; `then` may suspend again. The server thread never
 * blocks meanwhile. The request (arena, body, params) stays valid until then() answers.
 * ps_req_resume must not be called after ps_http_stop has returned; requests still
 * suspended when the grace period ends are answered 503 and their memory is kept (leaked
 * on purpose) so that a late ps_req_resume is a harmless no-op. */
void ps_req_suspend(struct ps_req *req, ps_handler_fn then);
void ps_req_resume(struct ps_req *req);
/* For a suspended request: withdraw(req, ctx) is called (on a server thread, once) when the grace
 * period ends before the request was resumed. True means the work was withdrawn before it
 * did anything (the 503 says "nothing was done": type overloaded); false, or no withdraw,
 * means it may still complete (503 outcome-unknown: read before retrying). A late
 * ps_req_resume stays harmless either way. */
void ps_req_on_abandon(struct ps_req *req, bool (*withdraw)(struct ps_req *req, void *ctx),
                       void *ctx);

/* ---- router ---- */

struct ps_router;
/* Compiles the table (borrowed: it must outlive the router). PS_ERR_INVALID for a bad
 * pattern or a duplicate. Caller frees with ps_router_free. */
enum ps_err ps_router_new(const struct ps_route *routes, size_t n, struct ps_router **out,
                          struct ps_diag *diag) PS_WUR;
void ps_router_free(struct ps_router *r);
enum ps_route_match { PS_ROUTE_FOUND, PS_ROUTE_NO_PATH, PS_ROUTE_NO_METHOD };
/* Matches method + path (raw, still percent-encoded). Pure: no allocation, no locks, safe
 * from many threads; the fuzz target drives it. On FOUND fills req->route, nparams and
 * params/param_names (slices of path and of the patterns). Among routes that match both
 * method and path the most specific wins: comparing segment by segment from the left, a
 * static segment beats a parameter. HEAD falls back to GET. On NO_METHOD, *allow (may be
 * NULL) gets the comma-separated methods of the most specific pattern matching the path,
 * owned by the router. Paths longer than PS_ROUTE_MAX_PATH or with more than
 * PS_ROUTE_MAX_SEGMENTS segments, empty or dot segments ("." "..", also as %2e), NUL
 * bytes, or not starting with '/' never match. req may be NULL (only the result). */
enum ps_route_match ps_router_match(const struct ps_router *r, struct ps_str method,
                                    struct ps_str path, struct ps_req *req, const char **allow);

/* ---- server ---- */

/* Every limit and what the client sees (docs/internals/http.md has the details). */
struct ps_http_limits {
    size_t max_header_bytes;   /* request line + headers; default 8192 -> 431 (414 while the
                                * request line is incomplete). A later request on a keep-alive
                                * connection past 4x this (MHD's per-connection memory) gets
                                * MHD's own 431 or 414 and a close. */
    size_t max_body_bytes;     /* default 1 MiB -> 413; a route may override. Checked on
                                * Content-Length before reading, and while a chunked body
                                * streams (413 + close as soon as it goes past) */
    unsigned idle_timeout_s;   /* default 30: no bytes for this long -> connection closed; a
                                * request head or body that stalls this long -> 408 + close */
    unsigned request_timeout_s;/* whole-request read deadline, from the request line (accept,
                                * for a connection's first request) to the end of its body;
                                * default 30 -> 408 + close. Handlers and keep-alive pauses
                                * do not count. */
    unsigned header_timeout_s; /* the request line and headers must arrive within this
                                * (and within request_timeout_s); default 5 -> 408 + close */
    unsigned max_connections;  /* default 1024. At the limit a new connection makes room: the
                                * incomplete request arriving slowest is dropped (408), else
                                * one MHD is reading a head for (408) or an idle keep-alive
                                * (closed); with nothing to drop -> 503 + close. Above it by
                                * max(max/8, 16 x threads): closed at accept. */
    unsigned max_per_ip;       /* default 256 -> 429 + close; 0: no limit */
    unsigned threads;          /* 0: one per core */
    unsigned shutdown_grace_ms;/* default 10000 */
    size_t arena_bytes;        /* per-request arena limit; default 4 MiB. Must be at least
                                * max_body_bytes and every route's max_body (the body
                                * itself is kept beside the arena, not in it) */
    size_t max_response_bytes; /* response body; default 16 MiB (more -> 500) */
};
/* Fills l with the defaults above. */
void ps_http_limits_init(struct ps_http_limits *l);

struct ps_http_config {
    const char *listen_addr;   /* "127.0.0.1", "::1", "0.0.0.0" */
    uint16_t port;             /* 0: pick a free port (see ps_http_port) */
    struct ps_http_limits limits;
    const struct ps_route *routes;
    size_t nroutes;
    void *app;
    /* Runs on a server thread for every routed request in place of route->fn: the
     * application authenticates and decides there, then calls req->route->fn(req) or
     * answers itself (the same rules as a handler: respond or suspend). NULL: route->fn. */
    ps_handler_fn dispatch;
    bool log_requests;         /* one JSON line per request on the log */
};

struct ps_http_server;
/* Starts the daemon (threads begin serving at once). The route table is borrowed and must
 * outlive the server; the rest of cfg is copied. Errors: PS_ERR_INVALID (bad address, bad
 * route table, a body limit larger than arena_bytes), PS_ERR_IO (bind/listen failed),
 * PS_ERR_NOMEM. Stop with ps_http_stop. */
enum ps_err ps_http_start(const struct ps_http_config *cfg, struct ps_http_server **out,
                          struct ps_diag *diag) PS_WUR;
/* The bound port (the chosen one when cfg->port was 0). */
uint16_t ps_http_port(const struct ps_http_server *s);
/* Stops accepting (the listen socket is closed), cuts connections still waiting for a request
 * head and idle ones, lets requests past their headers (suspended ones too) finish within the
 * grace period while answering with "Connection: close", then cuts the rest (503 for a
 * suspended request), stops the daemon and frees. Returns within the grace period plus about
 * a second, however slow the clients. Call from one thread (usually main), once; NULL is a
 * no-op. */
void ps_http_stop(struct ps_http_server *s);
/* Appends Prometheus text format 0.0.4 for the server's metrics to out:
 * pocketstate_http_requests_total{route,method,status}, pocketstate_http_request_duration_
 * seconds{route} (histogram), pocketstate_http_requests_in_flight, pocketstate_http_
 * connections. Route labels are patterns ("unmatched" for 404s, 405s and early errors).
 * Thread-safe; PS_ERR_LIMIT when out is full. */
enum ps_err ps_http_metrics(struct ps_http_server *s, struct ps_buf *out) PS_WUR;

#endif
