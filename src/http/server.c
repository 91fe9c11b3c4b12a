/* The server: libmicrohttpd (internal epoll thread pool) driving the per-connection request
 * state machine (request line -> headers: the field rules, limits and routing -> body ->
 * handler -> maybe suspend/resume -> response), the request's end (metrics, the log line),
 * and starting and stopping the whole edge. The other rooms: gate.c (accept, the first
 * request head), conns.c (connections, per-IP counts), sweep.c (deadlines), suspend.c,
 * reqlog.c. docs/internals/http.md explains the invariants. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "http/head.h"
#include "http/http_int.h"

#define DRAIN_MAX (64u * 1024)     /* body bytes swallowed past the limit before closing */
#define OUT_KEEP_MAX (256u * 1024) /* response buffer capacity kept between requests */
#define MIN_MEMORY_LIMIT (32u * 1024)
#define NS_PER_MS 1000000ll
#define NS_PER_S 1000000000ll

enum phase { PH_HEADERS, PH_BODY, PH_HANDLER, PH_DONE };

/* ---------- limits, defaults ---------- */

void ps_http_limits_init(struct ps_http_limits *l)
{
    *l = (struct ps_http_limits){
        .max_header_bytes = 8192,
        .max_body_bytes = 1024 * 1024,
        .idle_timeout_s = 30,
        .request_timeout_s = 30,
        .header_timeout_s = 5,
        .max_connections = 1024,
        .max_per_ip = 256,
        .threads = 0,
        .shutdown_grace_ms = 10000,
        .arena_bytes = 4 * 1024 * 1024,
        .max_response_bytes = 16 * 1024 * 1024,
    };
}

/* Zero fields (other than max_per_ip and threads, where 0 has a meaning) take defaults. */
static void limits_fill(struct ps_http_limits *l)
{
    struct ps_http_limits d;
    ps_http_limits_init(&d);
#define DEF(f)                                                                                \
    if (l->f == 0)                                                                            \
    l->f = d.f
    DEF(max_header_bytes);
    DEF(max_body_bytes);
    DEF(idle_timeout_s);
    DEF(request_timeout_s);
    DEF(header_timeout_s);
    DEF(max_connections);
    DEF(shutdown_grace_ms);
    DEF(arena_bytes);
    DEF(max_response_bytes);
#undef DEF
    if (l->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        l->threads = n > 0 && n < 256 ? (unsigned)n : 1;
    }
}

/* ---------- rx_ stages moved by the connection's own thread ---------- */

void (*ps_http_test_stage_hook)(int from, int to);

/* Moves rx_ from `from` to `to`. False when the sweep (or ps_http_answer_now) claimed the
 * connection first: it was answered past MHD, so the caller returns MHD_NO and runs nothing
 * for the request. Every forward move out of a stage the sweep may cut goes through here, so
 * a 408 and a handler can never both happen for one request. */
static bool advance(struct ps_http_conn *c, int from, int to)
{
    void (*hook)(int, int) = __atomic_load_n(&ps_http_test_stage_hook, __ATOMIC_ACQUIRE);
    if (hook)
        hook(from, to);
    return __atomic_compare_exchange_n(&c->rx_, &from, to, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* ---------- request start: the URI callback runs once the request line is in ---------- */

static void split_uri(struct ps_req *req, const char *uri)
{
    size_t n = strlen(uri);
    const char *q = memchr(uri, '?', n);
    size_t plen = q ? (size_t)(q - uri) : n;
    char *copy = ps_arena_strndup(req->arena, uri, n);
    if (!copy)
        return; /* path stays NULL: answered 500 */
    copy[plen] = '\0';
    req->path = (struct ps_str){copy, plen};
    req->query = q ? (struct ps_str){copy + plen + 1, n - plen - 1} : PS_STR_NULL;
}

/* The read deadlines of a request count from its request line (the first byte is not visible
 * through MHD): the headers get min(header, request timeout), the whole request the request
 * timeout. Only this thread writes deadline_ns; the sweep reads it after its acquire load of
 * rx_. A lost compare-and-swap means the sweep answered already: on_headers gives up. */
static void start_deadline(struct ps_http_conn *c, int64_t now)
{
    struct ps_http_server *s = c->srv;
    int64_t head = s->header_ns < s->request_ns ? s->header_ns : s->request_ns;
    int64_t dl = now + head;
    if (dl < __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
        __atomic_store_n(&c->deadline_ns, dl, __ATOMIC_RELAXED);
    int rx = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
    if (rx == PS_RX_WAIT)
        (void)advance(c, rx, PS_RX_HEAD);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *mc)
{
    struct ps_http_server *s = cls;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    struct ps_http_conn *c = ci ? ci->socket_context : NULL;
    if (!c)
        return NULL;
    struct ps_req *req = &c->req;
    struct ps_buf out = req->out;
    ps_arena_reset(c->arena);
    memset(req, 0, sizeof *req);
    req->out = out;
    req->out.len = 0;
    req->arena = c->arena;
    req->app = s->app;
    req->conn_ = c;
    req->start_ns_ = ps_clock_mono_ns();
    req->client_ip = ps_str_from_cstr(c->ip_text);
    start_deadline(c, req->start_ns_);
    c->route_idx = s->nroutes;
    c->sent_status = 0;
    c->must_close = c->pending = false;
    c->body = NULL;
    c->body_len = c->body_cap = c->drained = 0;
    c->in_request = true;
    __atomic_store_n(&req->state_, PS_RS_READING, __ATOMIC_SEQ_CST);
    c->phase_ = PH_HEADERS;
    split_uri(req, uri ? uri : "");
    ps_http_metrics_in_flight_add(s->metrics, 1);
    return c;
}

/* ---------- responses ---------- */

static enum MHD_Result queue(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    c->phase_ = PH_DONE;
    /* refusals queue from BODY, which the sweep may still cut: whoever moves it first answers */
    int rx = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
    if (rx > PS_RX_NONE || (rx != PS_RX_NONE && !advance(c, rx, PS_RX_NONE)))
        return MHD_NO; /* answered past MHD already: close */
    if (!c->zombie) /* an abandoned request stays ABANDONED for the late ps_req_resume */
        __atomic_store_n(&req->state_, PS_RS_DONE, __ATOMIC_SEQ_CST);
    struct MHD_Response *r = MHD_create_response_from_buffer(
        req->out.len, req->out.p ? req->out.p : (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    enum MHD_Result ok = MHD_YES;
    if (req->content_type)
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, req->content_type);
    if (ok == MHD_YES && req->request_id[0])
        ok = MHD_add_response_header(r, "X-Request-Id", req->request_id);
    for (size_t i = 0; i < req->nhdrs && ok == MHD_YES; i++)
        ok = MHD_add_response_header(r, req->hdr_names[i].p, req->hdr_values[i].p);
    if (ok == MHD_YES &&
        (c->must_close || __atomic_load_n(&c->srv->stopping, __ATOMIC_RELAXED)))
        ok = MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (ok == MHD_YES)
        ok = MHD_queue_response(c->mhd, (unsigned)req->status, r);
    MHD_destroy_response(r);
    if (ok == MHD_YES)
        c->sent_status = req->status;
    return ok;
}

/* An answer from the server itself; the connection closes after it when close is set. */
static enum MHD_Result refuse(struct ps_http_conn *c, int status, const char *slug,
                              const char *title, const char *detail, bool close)
{
    ps_resp_problem(&c->req, status, slug, title, "%s", detail);
    c->must_close = close;
    return queue(c);
}

/* ---------- handlers ---------- */

static enum MHD_Result settled(struct ps_http_conn *c, enum ps_settle how)
{
    if (how == PS_SETTLE_SUSPENDED)
        return MHD_YES;
    if (how == PS_SETTLE_RESPOND && c->req.status == 0)
        ps_resp_problem(&c->req, 500, "internal", "Internal Server Error",
                        "the handler produced no response");
    return queue(c);
}

static enum MHD_Result run_handler(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    c->phase_ = PH_HANDLER; /* rx_ is NONE: the caller moved it */
    req->body = (struct ps_str){c->body ? c->body : "", c->body_len};
    __atomic_store_n(&req->state_, PS_RS_RUNNING, __ATOMIC_SEQ_CST);
    if (c->srv->dispatch)
        c->srv->dispatch(req);
    else
        req->route->fn(req);
    return settled(c, ps_http_settle(c));
}

/* ---------- request id, field rules, routing and body limits ---------- */

static void set_request_id(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    struct ps_str rid = ps_http_conn_header(c, "X-Request-Id");
    if (ps_http_request_id_valid(rid)) {
        memcpy(req->request_id, rid.p, rid.len);
        req->request_id[rid.len] = '\0';
        return;
    }
    struct ps_uuid u = ps_uuid7();
    char text[37];
    ps_uuid_fmt(&u, text);
    memcpy(req->request_id, text, sizeof text);
}

/* Decodes path parameters in place of the raw slices; false when one is unusable. */
static bool decode_params(struct ps_req *req)
{
    for (size_t i = 0; i < req->nparams; i++) {
        struct ps_str v = ps_http_pct_decode(req->arena, req->params[i], false, true);
        if (!v.p || ps_str_eq_cstr(v, ".") || ps_str_eq_cstr(v, ".."))
            return false;
        req->params[i] = v;
    }
    return true;
}

/* True when a body follows the headers (Content-Length > 0, or a transfer coding). */
static bool expects_body(struct ps_http_conn *c)
{
    struct ps_str cl = ps_http_conn_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl.p)
        return !ps_str_eq_cstr(cl, "0");
    return ps_http_conn_header(c, MHD_HTTP_HEADER_TRANSFER_ENCODING).p != NULL;
}

static enum MHD_Result add_field(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    return ps_http_fields_add(cls, (struct ps_str){key ? key : "", key ? key_size : 0},
                              (struct ps_str){value ? value : "", value ? value_size : 0})
               ? MHD_YES
               : MHD_NO;
}

/* The field rules of head.h over the fields MHD parsed (the gate ran them, with the line
 * rules, on the raw bytes of a connection's first request; this covers the later ones).
 * MHD keeps whitespace before a colon in the name, so that is seen here too. NULL when the
 * fields are acceptable. */
static const struct ps_http_head_error *fields_error(struct ps_http_conn *c, const char *version,
                                                     struct ps_http_head_error *err)
{
    struct ps_http_fields f;
    ps_http_fields_init(&f);
    MHD_get_connection_values_n(c->mhd, MHD_HEADER_KIND, add_field, &f);
    int minor = version && strcmp(version, MHD_HTTP_VERSION_1_0) == 0 ? 0 : 1;
    return ps_http_fields_end(&f, minor, err) ? NULL : err;
}

/* Routes; on a miss prepares the 404/405 (sent by the caller) and returns false. */
static bool route(struct ps_http_conn *c)
{
    struct ps_http_server *s = c->srv;
    struct ps_req *req = &c->req;
    const char *allow = NULL;
    enum ps_route_match m = ps_router_match(s->router, req->method, req->path, req, &allow);
    if (m == PS_ROUTE_NO_METHOD) {
        req->route = NULL;
        ps_resp_header(req, "Allow", allow);
        ps_resp_problem(req, 405, "method-not-allowed", "Method Not Allowed",
                        "the resource does not support this method");
        return false;
    }
    if (m != PS_ROUTE_FOUND || !decode_params(req)) {
        req->route = NULL;
        ps_resp_problem(req, 404, "not-found", "Not Found", "no resource at this path");
        return false;
    }
    c->route_idx = (size_t)(req->route - s->routes);
    return true;
}

/* The body lives in one ps_malloc'ed buffer beside the arena, released with the request (arena
 * reset or free). Kept out of the arena, a growing chunked body leaves no dead copies behind
 * and never competes with the handler for arena_bytes. */
static void body_release(void *arg)
{
    struct ps_http_conn *c = arg;
    ps_free(c->body);
    c->body = NULL;
    c->body_len = c->body_cap = 0;
}

/* Grows the body buffer to cap bytes (cap > body_cap); false when memory is out. */
static bool body_reserve(struct ps_http_conn *c, size_t cap)
{
    if (c->body_cap == 0 && ps_arena_defer(c->req.arena, body_release, c) != PS_OK)
        return false;
    char *p = ps_realloc(c->body, cap);
    if (!p)
        return false;
    c->body = p;
    c->body_cap = cap;
    return true;
}

/* While a body arrives MHD's idle timeout is lifted past the request deadline, so that a body
 * that stalls gets the sweep's 408 (after idle_timeout_s without a byte, or at the request
 * deadline) instead of MHD's silent close; NOTIFY_COMPLETED puts it back. */
static void lift_idle_timeout(struct ps_http_conn *c)
{
    struct ps_http_server *s = c->srv;
    unsigned t = s->lim.idle_timeout_s + s->lim.request_timeout_s + 1;
    if (MHD_set_connection_option(c->mhd, MHD_CONNECTION_OPTION_TIMEOUT, t) == MHD_YES)
        c->long_timeout = true;
}

/* A body byte arrived at now: the body may stall for idle_timeout_s, and must end by the
 * request deadline. */
static void body_deadline(struct ps_http_conn *c, int64_t now)
{
    struct ps_http_server *s = c->srv;
    int64_t dl = c->req.start_ns_ + s->request_ns;
    if (now + s->idle_ns < dl)
        dl = now + s->idle_ns;
    __atomic_store_n(&c->deadline_ns, dl, __ATOMIC_RELAXED);
}

/* Checks Content-Length against the route's limit and reserves the body. MHD_YES to go
 * on reading; otherwise the refusal was queued. The field rules passed: a Content-Length is
 * digits, at most 19 of them. */
static enum MHD_Result body_start(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    c->body_limit = req->route->max_body ? req->route->max_body : c->srv->lim.max_body_bytes;
    struct ps_str cl = ps_http_conn_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t n = 0;
    if (cl.p && ps_str_to_u64(cl, &n) != PS_OK)
        return refuse(c, 400, "bad-request", "Bad Request", "invalid Content-Length", true);
    if (n > c->body_limit)
        return refuse(c, 413, "payload-too-large", "Payload Too Large",
                      "the request body is larger than this resource accepts", true);
    if (n > 0 && !body_reserve(c, (size_t)n))
        return refuse(c, 500, "internal", "Internal Server Error",
                      "no memory for the request body", true);
    if (expects_body(c)) {
        lift_idle_timeout(c);
        body_deadline(c, ps_clock_mono_ns());
    }
    return MHD_YES;
}

/* What ends the request at its first call: the headers are too large, too late, or break a
 * field rule. */
static enum MHD_Result refuse_head(struct ps_http_conn *c, const char *version, bool *refused)
{
    struct ps_http_server *s = c->srv;
    *refused = true;
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c->mhd, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hs && hs->header_size > s->lim.max_header_bytes)
        return refuse(c, 431, "headers-too-large", "Request Header Fields Too Large",
                      "the request line and headers are too large", true);
    if (ps_clock_mono_ns() > __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
        return refuse(c, 408, "request-timeout", "Request Timeout",
                      "the request head took too long to arrive", true);
    struct ps_http_head_error e;
    if (fields_error(c, version, &e))
        return refuse(c, e.status, e.slug, e.title, e.detail, true);
    if (!c->req.path.p)
        return refuse(c, 500, "internal", "Internal Server Error", "out of request memory",
                      true);
    *refused = false;
    return MHD_YES;
}

/* First call, headers complete. Refusals that end the connection are queued now (MHD then
 * skips any body and closes). Everything else answers at the final call: MHD closes a
 * connection whose response was queued before the request was fully received, even one
 * without a body, and keep-alive matters for the fast path. */
static enum MHD_Result on_headers(struct ps_http_conn *c, const char *method,
                                  const char *version)
{
    struct ps_req *req = &c->req;
    /* copied: the log line and metrics read it after MHD may have moved on */
    req->method = ps_arena_str(req->arena, ps_str_from_cstr(method));
    if (!req->method.p)
        req->method = PS_STR("?");
    set_request_id(c);
    c->phase_ = PH_BODY;
    /* from here on the deadline is checked by this thread too; a refusal queued below moves
     * BODY -> NONE by compare-and-swap, so the sweep and this thread never both answer */
    if (!advance(c, PS_RX_HEAD, PS_RX_BODY))
        return MHD_NO; /* the sweep answered it already */
    bool refused;
    enum MHD_Result r = refuse_head(c, version, &refused);
    if (refused)
        return r;
    if (!route(c)) {
        c->pending = true; /* 404/405 prepared */
        if (expects_body(c)) {
            c->must_close = true;
            return queue(c);
        }
        return MHD_YES;
    }
    return body_start(c);
}

/* Appends n bytes (the body then has need bytes, within the limit); false when out of
 * memory. */
static bool body_append(struct ps_http_conn *c, const char *data, size_t n, size_t need)
{
    if (need > c->body_cap) { /* chunked: double, up to the limit */
        size_t cap = c->body_cap > c->body_limit / 2 ? c->body_limit : 2 * c->body_cap;
        if (cap < 4096)
            cap = 4096;
        if (cap < need)
            cap = need;
        if (cap > c->body_limit)
            cap = c->body_limit;
        if (!body_reserve(c, cap))
            return false;
    }
    memcpy(c->body + c->body_len, data, n);
    c->body_len = need;
    return true;
}

/* MHD cannot queue a response mid-body: a body past its deadline or its limit is answered
 * past MHD at once (408 / 413, Connection: close); what still arrives while the connection
 * lingers is swallowed, up to DRAIN_MAX, then the connection is closed. */
static enum MHD_Result on_body(struct ps_http_conn *c, const char *data, size_t *size)
{
    size_t n = *size, need = 0;
    *size = 0;
    if (__atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE) == PS_RX_BODY) {
        int64_t now = ps_clock_mono_ns();
        if (now > __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
            ps_http_answer_now(c, 408, "request-timeout", "Request Timeout",
                               "the request body took too long to arrive");
        else if (!ps_size_add(c->body_len, n, &need) || need > c->body_limit)
            ps_http_answer_now(c, 413, "payload-too-large", "Payload Too Large",
                               "the request body is larger than this resource accepts");
        else if (body_append(c, data, n, need)) {
            body_deadline(c, now);
            return MHD_YES;
        } else
            ps_http_answer_now(c, 500, "internal", "Internal Server Error",
                               "no memory for the request body");
        c->phase_ = PH_DONE;
    }
    if (!ps_size_add(c->drained, n, &c->drained) || c->drained > DRAIN_MAX)
        return MHD_NO;
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *mc, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_data_size,
                                 void **con_cls)
{
    struct ps_http_conn *c = *con_cls;
    if (!c)
        return MHD_NO; /* no memory for the connection */
    switch (c->phase_) {
    case PH_HEADERS:
        return on_headers(c, method, version);
    case PH_BODY:
        if (*upload_data_size)
            return on_body(c, upload_data, upload_data_size);
        if (!advance(c, PS_RX_BODY, PS_RX_NONE))
            return MHD_NO; /* answered past MHD (413, 408, 500): close */
        if (c->pending)
            return queue(c);
        return run_handler(c);
    case PH_HANDLER:
        return settled(c, ps_http_reentry(c));
    default:
        return MHD_YES;
    }
}

/* ---------- request end: metrics and the log line ---------- */

static void log_request(struct ps_http_conn *c, int status, int64_t dur_ns,
                        enum MHD_RequestTerminationCode t)
{
    struct ps_req *req = &c->req;
    struct ps_http_logline l = {
        .request_id = req->request_id,
        .method = req->method,
        .route = req->route ? req->route->pattern : "unmatched",
        .status = status,
        .duration_ns = dur_ns,
        .bytes = c->sent_status ? req->out.len : (size_t)0,
        .remote = req->client_ip,
        .aborted = t == MHD_REQUEST_TERMINATED_COMPLETED_OK ? -1 : (int)t,
    };
    ps_http_log_request(&l);
}

/* Keep-alive: the next request's first byte comes within the idle timeout, and then it has
 * its own deadlines; a lost race (aborted mid-body) leaves the sweep's LINGER. */
static void keep_alive(struct ps_http_conn *c, int64_t now)
{
    struct ps_http_server *s = c->srv;
    int rx = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
    if (rx < PS_RX_LINGER) {
        __atomic_store_n(&c->deadline_ns, now + s->idle_ns + s->header_ns, __ATOMIC_RELAXED);
        (void)__atomic_compare_exchange_n(&c->rx_, &rx, PS_RX_WAIT, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE);
    }
    __atomic_store_n(&c->served_, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&c->raw_status_, 0, __ATOMIC_RELAXED);
    if (c->long_timeout &&
        MHD_set_connection_option(c->mhd, MHD_CONNECTION_OPTION_TIMEOUT,
                                  s->lim.idle_timeout_s) == MHD_YES)
        c->long_timeout = false;
    __atomic_store_n(&c->req.state_, PS_RS_IDLE, __ATOMIC_SEQ_CST);
    c->phase_ = PH_HEADERS;
    if (c->req.out.cap > OUT_KEEP_MAX)
        ps_buf_reset(&c->req.out);
}

static void on_completed(void *cls, struct MHD_Connection *mc, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct ps_http_server *s = cls;
    struct ps_http_conn *c = *con_cls;
    if (!c || !c->in_request)
        return;
    *con_cls = NULL;
    c->in_request = false;
    if (c->suspended_list)
        ps_http_susp_remove(s, c);
    int64_t now = ps_clock_mono_ns(), dur = now - c->req.start_ns_;
    int status = c->sent_status ? c->sent_status
                                : __atomic_load_n(&c->raw_status_, __ATOMIC_RELAXED);
    if (status)
        ps_http_metrics_observe(s->metrics, c->route_idx, c->req.method, status, dur);
    if (s->log_requests)
        log_request(c, status, dur, toe);
    if (!c->zombie)
        keep_alive(c, now);
    ps_http_metrics_in_flight_add(s->metrics, -1);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        return;
    size_t len = strnlen(msg, sizeof msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
        msg[--len] = '\0';
    ps_log(PS_LOG_WARN, "libmicrohttpd: %s", msg);
}

/* ---------- start / stop ---------- */

static enum ps_err parse_addr(struct sockaddr_storage *ss, socklen_t *len, const char *text,
                              uint16_t port, struct ps_diag *diag)
{
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *in = (struct sockaddr_in *)(void *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)ss;
    if (!text)
        text = "127.0.0.1";
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        *len = sizeof *in;
        return PS_OK;
    }
    if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        *len = sizeof *in6;
        return PS_OK;
    }
    return ps_diag_set(diag, PS_ERR_INVALID, "listen address %s is not an IP address", text);
}

/* The listen socket is the server's own (the gate accepts on it). "::" means every address,
 * IPv4 included; another IPv6 address only itself. */
static enum ps_err open_listener(struct ps_http_server *s, const struct ps_http_config *cfg,
                                 const char *where, struct ps_diag *diag)
{
    struct sockaddr_storage ss;
    socklen_t len = 0;
    enum ps_err e = parse_addr(&ss, &len, cfg->listen_addr, cfg->port, diag);
    if (e != PS_OK)
        return e;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    bool ok = fd >= 0 && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0;
    if (ok && ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)&ss;
        int only = IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ? 0 : 1;
        ok = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof only) == 0;
    }
    ok = ok && bind(fd, (struct sockaddr *)&ss, len) == 0 && listen(fd, SOMAXCONN) == 0;
    socklen_t blen = sizeof ss;
    ok = ok && getsockname(fd, (struct sockaddr *)&ss, &blen) == 0;
    if (!ok) {
        int err = errno;
        if (fd >= 0)
            close(fd);
        return ps_diag_set(diag, PS_ERR_IO, "cannot listen on %s: %s (choose another address "
                           "with --listen)", where, strerror(err));
    }
    s->listen_fd = fd;
    s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)(void *)&ss)->sin6_port
                                             : ((struct sockaddr_in *)(void *)&ss)->sin_port);
    return PS_OK;
}

static unsigned hard_limit(unsigned soft, unsigned threads)
{
    /* room above the soft limit so that refused clients still get an answer; MHD splits the
     * limit between pool threads, hence the per-thread share */
    unsigned slack = soft / 8 > 16 * threads ? soft / 8 : 16 * threads;
    return soft > UINT32_MAX - slack ? UINT32_MAX : soft + slack;
}

/* MHD never listens: the gate hands it each connection (MHD_add_connection) once the head of
 * its first request has arrived. */
static enum ps_err start_daemon(struct ps_http_server *s, struct ps_diag *diag)
{
    size_t mem = s->lim.max_header_bytes * 4;
    if (mem < MIN_MEMORY_LIMIT)
        mem = MIN_MEMORY_LIMIT;
    unsigned per_ip = s->lim.max_per_ip ? hard_limit(s->lim.max_per_ip, 1) : 0;
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, s}, /* first, as MHD asks */
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)s->hard_conns, NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_ip, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->lim.idle_timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)mem, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)ps_http_on_connection, s},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s},
        {s->lim.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         (intptr_t)s->lim.threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_access, s, MHD_OPTION_ARRAY, ops,
                            MHD_OPTION_END);
    if (!s->d)
        return ps_diag_set(diag, PS_ERR_IO, "cannot start libmicrohttpd: %s", strerror(errno));
    return PS_OK;
}

/* Every body a route accepts must be one its request can use: handlers decode bodies into
 * the request's arena, so it must be able to hold a copy of the largest. The body buffer
 * itself lives outside the arena (body_reserve), so a request uses at most arena_bytes plus
 * its route's body limit. */
static enum ps_err check_body_limits(const struct ps_http_server *s, struct ps_diag *diag)
{
    const struct ps_http_limits *l = &s->lim;
    if (l->max_body_bytes > l->arena_bytes)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "limits.arena_bytes (%zu) is smaller than limits.max_body_bytes "
                           "(%zu): a request could not use the body it is allowed to send",
                           l->arena_bytes, l->max_body_bytes);
    for (size_t i = 0; i < s->nroutes; i++) {
        const struct ps_route *r = &s->routes[i];
        if (r->max_body > l->arena_bytes)
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "limits.arena_bytes (%zu) is smaller than the max_body of route "
                               "%s %s (%zu)",
                               l->arena_bytes, r->method, r->pattern, r->max_body);
    }
    return PS_OK;
}

/* Periods from the limits: deadlines are whole seconds, so a sweep every eighth of the
 * shortest (50 .. 500 ms) keeps every cut within a small part of its limit. */
static void sweep_timing(struct ps_http_server *s)
{
    s->request_ns = (int64_t)s->lim.request_timeout_s * NS_PER_S;
    s->header_ns = (int64_t)s->lim.header_timeout_s * NS_PER_S;
    s->idle_ns = (int64_t)s->lim.idle_timeout_s * NS_PER_S;
    int64_t shortest = s->request_ns < s->idle_ns ? s->request_ns : s->idle_ns;
    if (s->header_ns < shortest)
        shortest = s->header_ns;
    s->sweep_ns = shortest / 8;
    if (s->sweep_ns < 50 * NS_PER_MS)
        s->sweep_ns = 50 * NS_PER_MS;
    if (s->sweep_ns > 500 * NS_PER_MS)
        s->sweep_ns = 500 * NS_PER_MS;
}

static void server_free(struct ps_http_server *s)
{
    ps_http_gate_stop(s);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    ps_http_sweep_stop(s);
    if (s->d)
        MHD_stop_daemon(s->d);
    ps_router_free(s->router);
    ps_http_metrics_free(s->metrics);
    ps_free(s->ips);
    pthread_mutex_destroy(&s->ip_lock);
    pthread_mutex_destroy(&s->susp_lock);
    pthread_mutex_destroy(&s->conn_lock);
    pthread_mutex_destroy(&s->sweep_lock);
    ps_free(s);
}

static struct ps_http_server *server_new(const struct ps_http_config *cfg)
{
    struct ps_http_server *s = ps_calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->ip_lock, NULL);
    pthread_mutex_init(&s->susp_lock, NULL);
    pthread_mutex_init(&s->conn_lock, NULL);
    pthread_mutex_init(&s->sweep_lock, NULL);
    s->listen_fd = -1;
    s->lim = cfg->limits;
    limits_fill(&s->lim);
    sweep_timing(s);
    s->routes = cfg->routes;
    s->nroutes = cfg->nroutes;
    s->app = cfg->app;
    s->dispatch = cfg->dispatch;
    s->log_requests = cfg->log_requests;
    return s;
}

/* The address as the user wrote it, for the bind error (an IPv6 one in brackets). */
static void where_text(const struct ps_http_config *cfg, char where[80])
{
    const char *host = cfg->listen_addr ? cfg->listen_addr : "";
    int n = snprintf(where, 80, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                     (unsigned)cfg->port);
    if (n < 0 || n >= 80)
        memcpy(where, "the listen address", sizeof "the listen address");
}

enum ps_err ps_http_start(const struct ps_http_config *cfg, struct ps_http_server **out,
                          struct ps_diag *diag)
{
    *out = NULL;
    struct ps_http_server *s = server_new(cfg);
    if (!s)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    char where[80];
    where_text(cfg, where);
    enum ps_err e = ps_router_new(cfg->routes, cfg->nroutes, &s->router, diag);
    if (e == PS_OK)
        e = check_body_limits(s, diag);
    if (e == PS_OK) {
        s->metrics = ps_http_metrics_new(cfg->routes, cfg->nroutes);
        if (!s->metrics || ps_http_conns_init(s, hard_limit(s->lim.max_connections,
                                                            s->lim.threads)) != PS_OK)
            e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    if (e == PS_OK)
        e = open_listener(s, cfg, where, diag);
    if (e == PS_OK)
        e = ps_http_sweep_start(s, diag);
    if (e == PS_OK)
        e = start_daemon(s, diag);
    if (e == PS_OK)
        e = ps_http_gate_start(s, diag);
    if (e != PS_OK) {
        server_free(s);
        return e;
    }
    *out = s;
    return PS_OK;
}

uint16_t ps_http_port(const struct ps_http_server *s)
{
    return s->port;
}

enum ps_err ps_http_metrics(struct ps_http_server *s, struct ps_buf *out)
{
    return ps_http_metrics_render(s->metrics, out);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static bool wait_idle(struct ps_http_server *s, int64_t until_ns)
{
    while (ps_http_metrics_in_flight(s->metrics) > 0) {
        if (ps_clock_mono_ns() >= until_ns)
            return false;
        sleep_ms(5);
    }
    return true;
}

/* Stopping: no new connections (the gate closes the listen socket and what it holds); the
 * requests MHD is reading a head for, and idle keep-alive connections, are cut at once (none
 * of them has reached a handler); requests past their headers get the grace period. Then the
 * rest is cut, suspended requests answered 503, and MHD stopped: all within the grace plus
 * about a second. */
void ps_http_stop(struct ps_http_server *s)
{
    if (!s)
        return;
    __atomic_store_n(&s->stopping, 1, __ATOMIC_SEQ_CST);
    int64_t until = ps_clock_mono_ns() + (int64_t)s->lim.shutdown_grace_ms * NS_PER_MS;
    ps_http_gate_stop(s);
    ps_http_conns_cut(s, PS_RX_HEAD);
    if (!wait_idle(s, until)) {
        ps_http_conns_cut(s, PS_RX_BODY);
        for (int round = 0; round < 20 && ps_http_metrics_in_flight(s->metrics) > 0; round++) {
            ps_http_abandon_suspended(s); /* again: a handler may have been mid-suspend */
            if (wait_idle(s, ps_clock_mono_ns() + 50 * NS_PER_MS))
                break;
        }
    }
    ps_http_sweep_stop(s); /* before MHD closes the sockets it may still be cutting */
    MHD_stop_daemon(s->d);
    s->d = NULL;
    server_free(s);
}
