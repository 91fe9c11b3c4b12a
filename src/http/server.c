/* The server: libmicrohttpd (internal epoll thread pool) driving the per-connection request
 * state machine (headers -> limits and routing -> body -> handler -> maybe suspend/resume ->
 * response), connection limits with an answer (503/429) below MHD's hard limits, the
 * whole-request deadline (a sweep thread), the request log line and graceful shutdown.
 * docs/internals/http.md explains the invariants. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/tcp.h> /* struct tcp_info with tcpi_bytes_received (glibc's lacks it) */
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "http/http_int.h"

#define DRAIN_MAX (64u * 1024)       /* body bytes swallowed past the limit before closing */
#define OUT_KEEP_MAX (256u * 1024)   /* response buffer capacity kept between requests */
#define MIN_MEMORY_LIMIT (32u * 1024)
#define NS_PER_MS 1000000ll
#define NS_PER_S 1000000000ll
/* Bytes but no request line, then silence this long: cut (408). Long enough for one TCP
 * retransmission (initial RTO 1 s) of a stalled request line. */
#define QUIET_MAX_NS (2 * NS_PER_S)
#define SWEEP_BATCH 64 /* connections the sweep claims per pass over the list */

enum phase { PH_HEADERS, PH_BODY, PH_HANDLER, PH_DONE };

struct ip_slot {
    uint8_t ip[16];
    unsigned count; /* 0: empty */
};

struct ps_http_server {
    struct MHD_Daemon *d;
    struct ps_router *router;
    struct ps_http_metrics *metrics;
    struct ps_http_limits lim;
    const struct ps_route *routes;
    size_t nroutes;
    void *app;
    ps_handler_fn dispatch; /* NULL: route->fn directly */
    bool log_requests;
    uint16_t port;
    int stopping;   /* atomic: answer with Connection: close */
    int abandoning; /* atomic: grace over, never suspend again */
    struct sockaddr_storage addr;
    pthread_mutex_t ip_lock;
    struct ip_slot *ips;
    size_t ip_cap; /* power of two */
    pthread_mutex_t susp_lock;
    struct ps_http_conn *susp_head;
    /* the deadline sweep: every connection on a list, walked every sweep_ns */
    pthread_mutex_t conn_lock; /* the list; held while the sweep touches a socket */
    struct ps_http_conn *conn_head;
    pthread_mutex_t sweep_lock;
    pthread_cond_t sweep_cond; /* CLOCK_MONOTONIC */
    bool sweep_stop, sweep_running;
    pthread_t sweep_thread;
    int64_t sweep_ns;   /* period */
    int64_t request_ns; /* limits.request_timeout_s */
    int64_t quiet_ns;   /* bytes but no request line, then silence this long: 400 */
    int64_t idle_ns;
};

/* ---------- limits, defaults ---------- */

void ps_http_limits_init(struct ps_http_limits *l)
{
    *l = (struct ps_http_limits){
        .max_header_bytes = 8192,
        .max_body_bytes = 1024 * 1024,
        .idle_timeout_s = 30,
        .request_timeout_s = 30,
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

/* ---------- per-IP connection counts (open addressing, backward-shift delete) ---------- */

static size_t ip_hash(const uint8_t ip[16], size_t cap)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ ip[i]) * 1099511628211ull;
    return (size_t)h & (cap - 1);
}

/* Increments and returns the count for ip; 0 when the table is full (counts as allowed). */
static unsigned ip_acquire(struct ps_http_server *s, const uint8_t ip[16])
{
    unsigned n = 0;
    pthread_mutex_lock(&s->ip_lock);
    size_t i = ip_hash(ip, s->ip_cap);
    for (size_t probe = 0; probe < s->ip_cap; probe++, i = (i + 1) & (s->ip_cap - 1)) {
        struct ip_slot *sl = &s->ips[i];
        if (sl->count == 0)
            memcpy(sl->ip, ip, 16);
        if (sl->count == 0 || memcmp(sl->ip, ip, 16) == 0) {
            n = ++sl->count;
            break;
        }
    }
    pthread_mutex_unlock(&s->ip_lock);
    return n;
}

static void ip_release(struct ps_http_server *s, const uint8_t ip[16])
{
    pthread_mutex_lock(&s->ip_lock);
    size_t mask = s->ip_cap - 1, i = ip_hash(ip, s->ip_cap);
    for (size_t probe = 0; probe < s->ip_cap; probe++, i = (i + 1) & mask) {
        struct ip_slot *sl = &s->ips[i];
        if (sl->count == 0)
            break;
        if (memcmp(sl->ip, ip, 16) != 0)
            continue;
        if (--sl->count > 0)
            break;
        /* backward-shift: pull later entries of the probe run into the hole */
        size_t hole = i, j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (s->ips[j].count == 0)
                break;
            size_t home = ip_hash(s->ips[j].ip, s->ip_cap);
            if (((j - home) & mask) >= ((j - hole) & mask)) {
                s->ips[hole] = s->ips[j];
                s->ips[j].count = 0;
                hole = j;
            }
        }
        break;
    }
    pthread_mutex_unlock(&s->ip_lock);
}

/* ---------- suspended requests (for shutdown) ---------- */

static void susp_add(struct ps_http_server *s, struct ps_http_conn *c)
{
    pthread_mutex_lock(&s->susp_lock);
    c->prev_susp = NULL;
    c->next_susp = s->susp_head;
    if (s->susp_head)
        s->susp_head->prev_susp = c;
    s->susp_head = c;
    c->suspended_list = true;
    pthread_mutex_unlock(&s->susp_lock);
}

static void susp_remove(struct ps_http_server *s, struct ps_http_conn *c)
{
    pthread_mutex_lock(&s->susp_lock);
    if (c->suspended_list) {
        if (c->prev_susp)
            c->prev_susp->next_susp = c->next_susp;
        else
            s->susp_head = c->next_susp;
        if (c->next_susp)
            c->next_susp->prev_susp = c->prev_susp;
        c->suspended_list = false;
    }
    pthread_mutex_unlock(&s->susp_lock);
}

/* ---------- connections ---------- */

/* The list the sweep walks. MHD calls NOTIFY_CONNECTION closed before it closes the socket,
 * so while conn_lock is held every listed connection's fd is still its own. */
static void conn_list_add(struct ps_http_server *s, struct ps_http_conn *c)
{
    pthread_mutex_lock(&s->conn_lock);
    c->prev_conn = NULL;
    c->next_conn = s->conn_head;
    if (s->conn_head)
        s->conn_head->prev_conn = c;
    s->conn_head = c;
    pthread_mutex_unlock(&s->conn_lock);
}

static void conn_list_remove(struct ps_http_server *s, struct ps_http_conn *c)
{
    pthread_mutex_lock(&s->conn_lock);
    if (c->prev_conn)
        c->prev_conn->next_conn = c->next_conn;
    else
        s->conn_head = c->next_conn;
    if (c->next_conn)
        c->next_conn->prev_conn = c->prev_conn;
    c->next_conn = c->prev_conn = NULL;
    pthread_mutex_unlock(&s->conn_lock);
}

static void conn_address(struct ps_http_conn *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c->mhd, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    memset(c->ip, 0, sizeof c->ip);
    c->ip_text[0] = '\0';
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        c->ip[10] = c->ip[11] = 0xff; /* ::ffff:a.b.c.d, as a dual-stack socket reports it */
        memcpy(c->ip + 12, &in->sin_addr, 4);
        if (!inet_ntop(AF_INET, &in->sin_addr, c->ip_text, sizeof c->ip_text))
            c->ip_text[0] = '\0';
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(c->ip, &in6->sin6_addr, 16);
        if (!inet_ntop(AF_INET6, &in6->sin6_addr, c->ip_text, sizeof c->ip_text))
            c->ip_text[0] = '\0';
    }
}

static void conn_free(struct ps_http_conn *c)
{
    ps_buf_reset(&c->req.out);
    ps_arena_free(c->arena);
    ps_free(c);
}

static void conn_started(struct ps_http_server *s, struct MHD_Connection *mc, void **sock_ctx)
{
    *sock_ctx = NULL;
    ps_http_metrics_conns_add(s->metrics, 1);
    struct ps_http_conn *c = ps_calloc(1, sizeof *c);
    if (!c)
        return;
    c->arena = ps_arena_new(s->lim.arena_bytes);
    if (!c->arena) {
        ps_free(c);
        return;
    }
    c->srv = s;
    c->mhd = mc;
    ps_buf_init(&c->req.out, s->lim.max_response_bytes);
    conn_address(c);
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = fi ? fi->connect_fd : -1;
    /* the first request's clock starts at accept: clients send at once */
    c->accepted_ns = ps_clock_mono_ns();
    c->rx_ = PS_RX_FIRST;
    c->deadline_ns = c->accepted_ns + s->request_ns;
    if (ps_http_metrics_conns(s->metrics) > (long)s->lim.max_connections) {
        c->over = PS_OVER_CONNS;
    } else if (s->lim.max_per_ip) {
        c->ip_counted = true;
        if (ip_acquire(s, c->ip) > s->lim.max_per_ip)
            c->over = PS_OVER_IP;
    }
    *sock_ctx = c;
    if (c->fd >= 0) /* always, in practice; without it only the idle timeout applies */
        conn_list_add(s, c);
}

/* Once stopping, a new connection is closed at accept. (MHD_quiesce_daemon would take the
 * listen socket out of each pool thread's epoll set from this thread; in libmicrohttpd 0.9.75
 * that races with the pool thread doing the same and panics: "Failed to remove listen FD
 * from epoll set", seen once in the HTTP suite.) */
static enum MHD_Result on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    struct ps_http_server *s = cls;
    return __atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST) ? MHD_NO : MHD_YES;
}

static void on_connection(void *cls, struct MHD_Connection *mc, void **sock_ctx,
                          enum MHD_ConnectionNotificationCode code)
{
    struct ps_http_server *s = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        conn_started(s, mc, sock_ctx);
        return;
    }
    ps_http_metrics_conns_add(s->metrics, -1);
    struct ps_http_conn *c = *sock_ctx;
    if (!c)
        return;
    *sock_ctx = NULL;
    if (c->fd >= 0)
        conn_list_remove(s, c);
    if (c->ip_counted)
        ip_release(s, c->ip);
    if (!c->zombie)
        conn_free(c);
}

/* ---------- rx_ stages moved by the connection's own thread ---------- */

void (*ps_http_test_stage_hook)(int from, int to);

/* Moves rx_ from `from` to `to`. False when the sweep (or answer_now) claimed the connection
 * first: it was answered past MHD, so the caller returns MHD_NO and runs nothing for the
 * request. Every forward move out of a stage the sweep may cut goes through here, so a 408
 * and a handler can never both happen for one request. */
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
    /* the deadline counts from the request's first byte, which MHD does not report: the
     * earlier of "request line in + timeout" and the bound set at accept or at the end of
     * the previous request. Only this thread writes deadline_ns; the sweep reads it after
     * its acquire load of rx_, and an older (later) deadline only makes it more lenient.
     * A lost compare-and-swap means the sweep answered already: on_headers gives up. */
    int64_t dl = req->start_ns_ + s->request_ns;
    if (dl < __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
        __atomic_store_n(&c->deadline_ns, dl, __ATOMIC_RELAXED);
    int rx = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
    if (rx <= PS_RX_WAIT)
        (void)advance(c, rx, PS_RX_HEAD);
    __atomic_store_n(&c->raw_status_, 0, __ATOMIC_RELAXED);
    c->route_idx = s->nroutes;
    c->sent_status = 0;
    c->must_close = c->pending = false;
    c->body = NULL;
    c->body_len = c->body_cap = c->drained = 0;
    c->in_request = true;
    __atomic_store_n(&req->state_, PS_RS_READING, __ATOMIC_SEQ_CST);
    c->phase_ = PH_HEADERS;
    split_uri(req, uri);
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

/* ---------- answers past MHD, the deadline sweep ---------- */

/* MHD 0.9.75 can only queue a response once a request is fully received, and has no hook
 * while a request line or headers arrive. A request that must be cut at those points gets
 * its answer written straight to the socket (plain TCP only: this server never uses TLS),
 * at a moment MHD writes nothing on that connection: no response queued, or between
 * requests. docs/internals/http.md has the protocol. */

static void http_date(char out[32])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ps_clock_now_ms() / 1000);
    struct tm tm;
    out[0] = '\0';
    if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11)
        return;
    int n = snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    if (n < 0 || n >= 32)
        out[0] = '\0';
}

/* Writes req's response (status, content type, body, request id) with Connection: close to
 * fd and shuts the write side. Non-blocking: a full send buffer loses the answer, not the
 * thread. ip is for the log line only. */
static void send_past_mhd(int fd, const char *ip, const struct ps_req *req)
{
    char date[32], head[512];
    http_date(date);
    const char *reason = MHD_get_reason_phrase_for((unsigned)req->status);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: %s\r\n"
                     "X-Request-Id: %s\r\nContent-Length: %zu\r\n\r\n",
                     req->status, reason ? reason : "Unknown", date,
                     req->content_type ? req->content_type : "application/octet-stream",
                     req->request_id, req->out.len);
    if (n > 0 && (size_t)n < sizeof head) {
        struct iovec iov[2] = {{head, (size_t)n}, {req->out.p, req->out.len}};
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = req->out.len ? 2 : 1};
        if (sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            ps_log(PS_LOG_INFO, "http: answer %d to %s not sent: %s", req->status, ip,
                   strerror(errno));
    }
    shutdown(fd, SHUT_WR);
}

/* Moves the connection from stage `from` to LINGER: this thread alone answers it now. The
 * sweep shuts the read side one period later, so the client reads the answer before a close
 * with unread input resets the connection. False when another thread got there first. */
static bool claim(struct ps_http_conn *c, int from)
{
    __atomic_store_n(&c->linger_ns, ps_clock_mono_ns() + c->srv->sweep_ns, __ATOMIC_RELAXED);
    return __atomic_compare_exchange_n(&c->rx_, &from, PS_RX_LINGER, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

/* On the connection's thread, mid-body: answer now with a problem, Connection: close. */
static void answer_now(struct ps_http_conn *c, int status, const char *slug, const char *title,
                       const char *detail)
{
    if (!claim(c, PS_RX_BODY))
        return;
    ps_resp_problem(&c->req, status, slug, title, "%s", detail);
    c->must_close = true;
    c->phase_ = PH_DONE;
    send_past_mhd(c->fd, c->ip_text, &c->req);
    c->sent_status = c->req.status;
}

/* A connection the sweep claimed (LINGER) under conn_lock, answered once the lock is
 * released: sendmsg and the log line never hold up a thread opening or closing a
 * connection. Once the lock is dropped MHD may close the connection and free it at any
 * moment, so the victim carries its own descriptor (a dup, which keeps the socket open until
 * the sweep closes it) and copies of what the answer and the log need. */
struct victim {
    int fd;             /* dup of the connection's socket; -1: dup failed (dup_errno) */
    int dup_errno;
    const char *detail; /* static text */
    char ip[48];
};

struct sweep_batch {
    struct victim v[SWEEP_BATCH];
    size_t n;
};

/* Under conn_lock: claims c out of `from` for a 408 answered after the lock. */
static void take(struct sweep_batch *b, struct ps_http_conn *c, int from, const char *detail)
{
    if (b->n == SWEEP_BATCH || !claim(c, from))
        return; /* a full batch: the next pass over the list takes it */
    struct victim *v = &b->v[b->n++];
    v->fd = fcntl(c->fd, F_DUPFD_CLOEXEC, 0);
    v->dup_errno = v->fd < 0 ? errno : 0;
    v->detail = detail;
    memcpy(v->ip, c->ip_text, sizeof v->ip);
    if (v->fd < 0) { /* out of descriptors: no answer, close now (the fd is valid here) */
        shutdown(c->fd, SHUT_RDWR);
        __atomic_store_n(&c->rx_, PS_RX_DEAD, __ATOMIC_RELEASE);
        return;
    }
    __atomic_store_n(&c->raw_status_, 408, __ATOMIC_RELAXED);
}

/* On the sweep thread, without conn_lock. The request (if any) belongs to its server thread,
 * so the answer is built apart with its own request id. */
static void sweep_answer(const struct victim *v)
{
    if (v->fd < 0) {
        ps_log(PS_LOG_WARN, "http: %s: %s: closed without an answer: %s", v->ip, v->detail,
               strerror(v->dup_errno));
        return;
    }
    struct ps_req r;
    memset(&r, 0, sizeof r);
    ps_buf_init(&r.out, 4096);
    struct ps_uuid u = ps_uuid7();
    char id[37];
    ps_uuid_fmt(&u, id);
    memcpy(r.request_id, id, sizeof id);
    ps_resp_problem(&r, 408, "request-timeout", "Request Timeout", "%s", v->detail);
    send_past_mhd(v->fd, v->ip, &r);
    close(v->fd);
    ps_buf_reset(&r.out);
    ps_log(PS_LOG_INFO, "http: %s: %s: answered 408, closing", v->ip, v->detail);
}

/* What the kernel saw arrive on a connection whose request line MHD has not produced. */
static bool tcp_received(int fd, int64_t *quiet_ns)
{
    struct tcp_info ti;
    socklen_t len = sizeof ti;
    memset(&ti, 0, sizeof ti);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) != 0 ||
        len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof ti.tcpi_bytes_received)
        return false; /* unknown (kernel < 4.1): treated as nothing received */
    *quiet_ns = (int64_t)ti.tcpi_last_data_recv * NS_PER_MS;
    return ti.tcpi_bytes_received > 0;
}

/* Before the first request line. MHD 0.9.75 closes on a request line without a space but
 * takes one that starts with NUL for an empty line and waits; it never tells us either
 * way, so garbage and a request line that stopped half-way look the same from here: bytes
 * arrived, then silence. Both get a 408 once quiet for quiet_ns (before MHD's idle timeout
 * would close silently), as does a request line still trickling at the deadline. A client
 * that sent nothing at all is closed silently at the deadline, as the idle timeout would. */
static void sweep_first(struct ps_http_server *s, struct ps_http_conn *c, int64_t now,
                        struct sweep_batch *b)
{
    int64_t quiet = 0;
    bool got = tcp_received(c->fd, &quiet);
    bool late = now > __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED);
    if (got && (late || quiet >= s->quiet_ns)) {
        take(b, c, PS_RX_FIRST, "no complete request line arrived in time");
        return;
    }
    int exp = PS_RX_FIRST;
    if (!got && late &&
        __atomic_compare_exchange_n(&c->rx_, &exp, PS_RX_DEAD, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE))
        shutdown(c->fd, SHUT_RDWR);
}

/* Under conn_lock: only non-blocking socket calls on c->fd (valid while the lock is held);
 * answers wait in b. */
static void sweep_conn(struct ps_http_server *s, struct ps_http_conn *c, int64_t now,
                       struct sweep_batch *b)
{
    int st = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
    if (st == PS_RX_LINGER) {
        int exp = PS_RX_LINGER;
        if (now >= __atomic_load_n(&c->linger_ns, __ATOMIC_RELAXED) &&
            __atomic_compare_exchange_n(&c->rx_, &exp, PS_RX_DEAD, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            shutdown(c->fd, SHUT_RDWR); /* MHD sees the end of input and closes */
        return;
    }
    if (st == PS_RX_FIRST) {
        if (now - c->accepted_ns >= s->quiet_ns ||
            now > __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
            sweep_first(s, c, now, b);
        return;
    }
    if (st > PS_RX_BODY || now <= __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
        return;
    take(b, c, st, "the request took too long to arrive");
}

/* One pass over every connection: claims under conn_lock, answers after it, in batches. */
static void sweep_pass(struct ps_http_server *s, int64_t now)
{
    struct sweep_batch b;
    do {
        b.n = 0;
        pthread_mutex_lock(&s->conn_lock);
        for (struct ps_http_conn *c = s->conn_head; c; c = c->next_conn)
            sweep_conn(s, c, now, &b);
        pthread_mutex_unlock(&s->conn_lock);
        for (size_t i = 0; i < b.n; i++)
            sweep_answer(&b.v[i]);
    } while (b.n == SWEEP_BATCH);
}

static void *sweep_main(void *arg)
{
    struct ps_http_server *s = arg;
    pthread_mutex_lock(&s->sweep_lock);
    while (!s->sweep_stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t t = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec + s->sweep_ns;
        ts.tv_sec = (time_t)(t / NS_PER_S);
        ts.tv_nsec = (long)(t % NS_PER_S);
        pthread_cond_timedwait(&s->sweep_cond, &s->sweep_lock, &ts);
        if (s->sweep_stop)
            break;
        pthread_mutex_unlock(&s->sweep_lock);
        sweep_pass(s, ps_clock_mono_ns());
        pthread_mutex_lock(&s->sweep_lock);
    }
    pthread_mutex_unlock(&s->sweep_lock);
    return NULL;
}

/* ---------- handlers, suspend and resume ---------- */

void ps_req_suspend(struct ps_req *req, ps_handler_fn then)
{
    PS_ASSERT(then && __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST) == PS_RS_RUNNING);
    req->then_ = then;
    __atomic_store_n(&req->state_, PS_RS_SUSPENDING, __ATOMIC_SEQ_CST);
}

void ps_req_resume(struct ps_req *req)
{
    int st = __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST);
    for (;;) {
        if (st == PS_RS_ABANDONED)
            return; /* shutdown answered it already; memory is kept alive for us */
        PS_ASSERT(st == PS_RS_SUSPENDING || st == PS_RS_SUSPENDED);
        if (__atomic_compare_exchange_n(&req->state_, &st, PS_RS_RESUMED, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            break;
    }
    /* SUSPENDING: the server thread has not suspended yet and will see RESUMED itself */
    if (st == PS_RS_SUSPENDED) {
        struct ps_http_conn *c = req->conn_;
        MHD_resume_connection(c->mhd);
    }
}

/* Abandoned connections stay reachable from here for the life of the process, so a late
 * ps_req_resume touches live memory (and leak checkers see no leak). */
static pthread_mutex_t zombie_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ps_http_conn *zombies;

static void make_zombie(struct ps_http_conn *c)
{
    pthread_mutex_lock(&zombie_lock);
    if (!c->zombie) {
        c->zombie = true;
        c->next_zombie = zombies;
        zombies = c;
    }
    pthread_mutex_unlock(&zombie_lock);
}

void ps_req_on_abandon(struct ps_req *req, bool (*withdraw)(struct ps_req *req, void *ctx),
                       void *ctx)
{
    req->withdraw = withdraw;
    req->withdraw_ctx = ctx;
}

/* Answers a request the shutdown gave up on, truthfully about its work: withdrawn before it
 * ran, or possibly still completing (a store job a committer has already taken). */
static enum MHD_Result abandon(struct ps_http_conn *c)
{
    make_zombie(c);
    bool (*withdraw)(struct ps_req *, void *) = c->req.withdraw;
    c->req.withdraw = NULL;
    if (withdraw && withdraw(&c->req, c->req.withdraw_ctx))
        return refuse(c, 503, "overloaded", "Service Unavailable",
                      "the server is shutting down; nothing was done", true);
    return refuse(c, 503, "outcome-unknown", "Outcome unknown",
                  "the server is shutting down before this request finished; its write may "
                  "still be applied: read the resource before retrying",
                  true);
}

static enum MHD_Result after_handler(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    for (;;) {
        int st = __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST);
        if (st == PS_RS_RUNNING)
            break;
        if (st == PS_RS_RESUMED) { /* resumed before we suspended: continue inline */
            ps_handler_fn then = req->then_;
            req->then_ = NULL;
            req->withdraw = NULL; /* the suspended work is over */
            __atomic_store_n(&req->state_, PS_RS_RUNNING, __ATOMIC_SEQ_CST);
            then(req);
            continue;
        }
        PS_ASSERT(st == PS_RS_SUSPENDING);
        if (__atomic_load_n(&c->srv->abandoning, __ATOMIC_SEQ_CST)) {
            int exp = PS_RS_SUSPENDING;
            if (__atomic_compare_exchange_n(&req->state_, &exp, PS_RS_ABANDONED, false,
                                            __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
                return abandon(c);
            continue; /* it was resumed meanwhile */
        }
        susp_add(c->srv, c);
        MHD_suspend_connection(c->mhd);
        int exp = PS_RS_SUSPENDING;
        if (!__atomic_compare_exchange_n(&req->state_, &exp, PS_RS_SUSPENDED, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
            MHD_resume_connection(c->mhd); /* resumed in between: MHD calls us again */
        return MHD_YES;
    }
    if (req->status == 0)
        ps_resp_problem(req, 500, "internal", "Internal Server Error",
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
    return after_handler(c);
}

static enum MHD_Result on_reentry(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    int st = __atomic_load_n(&req->state_, __ATOMIC_SEQ_CST);
    if (st == PS_RS_RESUMED) {
        susp_remove(c->srv, c);
        ps_handler_fn then = req->then_;
        req->then_ = NULL;
        req->withdraw = NULL; /* the suspended work is over */
        __atomic_store_n(&req->state_, PS_RS_RUNNING, __ATOMIC_SEQ_CST);
        then(req);
        return after_handler(c);
    }
    if (st == PS_RS_ABANDONED)
        return abandon(c);
    return MHD_YES; /* spurious call while suspending */
}

/* ---------- request id, routing and body limits ---------- */

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

struct framing {
    unsigned te, cl;
    bool te_chunked;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind, const char *key,
                                     size_t key_size, const char *value, size_t value_size)
{
    struct framing *f = cls;
    (void)kind;
    /* exactly the value MHD compares (it has stripped leading whitespace, not trailing): a
     * value MHD does not take for chunked must not pass here */
    struct ps_str k = {key, key_size}, v = {value ? value : "", value ? value_size : 0};
    if (ps_str_eq_nocase(k, PS_STR(MHD_HTTP_HEADER_TRANSFER_ENCODING))) {
        f->te++;
        f->te_chunked = ps_str_eq_nocase(v, PS_STR("chunked"));
    } else if (ps_str_eq_nocase(k, PS_STR(MHD_HTTP_HEADER_CONTENT_LENGTH))) {
        f->cl++;
    }
    return MHD_YES;
}

/* RFC 9112 6.1 and 6.3: NULL when the body's framing is unambiguous, else why not. MHD
 * 0.9.75 reads a chunked body and ignores a Content-Length beside it, and reads any other
 * coding until the client closes; a proxy in front may frame the same bytes differently
 * (request smuggling), so such a request is refused and its connection closed. */
static const char *framing_error(struct ps_http_conn *c, const char *version)
{
    struct framing f = {0, 0, false};
    MHD_get_connection_values_n(c->mhd, MHD_HEADER_KIND, count_framing, &f);
    if (f.te && f.cl)
        return "both Transfer-Encoding and Content-Length are present";
    if (f.te > 1 || (f.te && !f.te_chunked))
        return "the only Transfer-Encoding accepted is chunked";
    if (f.te && version && strcmp(version, MHD_HTTP_VERSION_1_0) == 0)
        return "Transfer-Encoding in a request older than HTTP/1.1";
    if (f.cl > 1)
        return "more than one Content-Length";
    return NULL;
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

/* Checks Content-Length against the route's limit and reserves the body. MHD_YES to go
 * on reading; otherwise the refusal was queued. */
static enum MHD_Result body_start(struct ps_http_conn *c)
{
    struct ps_req *req = &c->req;
    c->body_limit = req->route->max_body ? req->route->max_body : c->srv->lim.max_body_bytes;
    struct ps_str cl = ps_http_conn_header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (!cl.p)
        return MHD_YES; /* chunked, no body, or another coding (MHD 0.9.75 then reads
                         * until the client closes: the deadline ends it with a 408) */
    uint64_t n = 0;
    if (ps_str_to_u64(cl, &n) != PS_OK)
        return refuse(c, 400, "bad-request", "Bad Request", "invalid Content-Length", true);
    if (n > c->body_limit)
        return refuse(c, 413, "payload-too-large", "Payload Too Large",
                      "the request body is larger than this resource accepts", true);
    if (n > 0 && !body_reserve(c, (size_t)n))
        return refuse(c, 500, "internal", "Internal Server Error",
                      "no memory for the request body", true);
    return MHD_YES;
}

/* First call, headers complete. Refusals that end the connection are queued now (MHD then
 * skips any body and closes). Everything else answers at the final call: MHD closes a
 * connection whose response was queued before the request was fully received, even one
 * without a body, and keep-alive matters for the fast path. */
static enum MHD_Result on_headers(struct ps_http_conn *c, const char *method,
                                  const char *version)
{
    struct ps_http_server *s = c->srv;
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
    if (c->over == PS_OVER_CONNS)
        return refuse(c, 503, "overloaded", "Service Unavailable",
                      "too many connections; retry later", true);
    if (c->over == PS_OVER_IP)
        return refuse(c, 429, "too-many-requests", "Too Many Requests",
                      "too many connections from this address", true);
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(c->mhd, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    if (hs && hs->header_size > s->lim.max_header_bytes)
        return refuse(c, 431, "headers-too-large", "Request Header Fields Too Large",
                      "the request line and headers are too large", true);
    if (ps_clock_mono_ns() > __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
        return refuse(c, 408, "request-timeout", "Request Timeout",
                      "the request took too long to arrive", true);
    const char *bad = framing_error(c, version);
    if (bad)
        return refuse(c, 400, "bad-request", "Bad Request", bad, true);
    if (!req->path.p)
        return refuse(c, 500, "internal", "Internal Server Error", "out of request memory",
                      true);
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
        if (ps_clock_mono_ns() > __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
            answer_now(c, 408, "request-timeout", "Request Timeout",
                       "the request took too long to arrive");
        else if (!ps_size_add(c->body_len, n, &need) || need > c->body_limit)
            answer_now(c, 413, "payload-too-large", "Payload Too Large",
                       "the request body is larger than this resource accepts");
        else if (body_append(c, data, n, need))
            return MHD_YES;
        else
            answer_now(c, 500, "internal", "Internal Server Error",
                       "no memory for the request body");
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
        return on_reentry(c);
    default:
        return MHD_YES;
    }
}

/* ---------- request end: metrics and the log line ---------- */

struct jw { /* a tiny JSON writer on the stack for the log line */
    char b[1024];
    size_t n;
    bool bad;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
    if (w->bad || n > sizeof w->b - w->n) {
        w->bad = true;
        return;
    }
    memcpy(w->b + w->n, s, n);
    w->n += n;
}

static void jw_str(struct jw *w, const char *key, struct ps_str v)
{
    jw_raw(w, ",\"", 2);
    jw_raw(w, key, strlen(key));
    jw_raw(w, "\":\"", 3);
    for (size_t i = 0; i < v.len; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        if (ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x7f)
            jw_raw(w, "?", 1); /* log fields here are ASCII tokens; never trust them */
        else
            jw_raw(w, v.p + i, 1);
    }
    jw_raw(w, "\"", 1);
}

static void jw_fmt(struct jw *w, const char *fmt, ...) PS_PRINTF(2, 3);
static void jw_fmt(struct jw *w, const char *fmt, ...)
{
    if (w->bad)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(w->b + w->n, sizeof w->b - w->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof w->b - w->n)
        w->bad = true;
    else
        w->n += (size_t)k;
}

static void log_request(struct ps_http_conn *c, int status, int64_t dur_ns,
                        enum MHD_RequestTerminationCode t)
{
    struct ps_req *req = &c->req;
    struct jw w = {.n = 0, .bad = false};
    char when[25];
    ps_clock_fmt_rfc3339(ps_clock_now_ms(), when);
    jw_fmt(&w, "{\"time\":\"%s\",\"level\":\"info\",\"msg\":\"request\"", when);
    jw_str(&w, "requestId", ps_str_from_cstr(req->request_id));
    jw_str(&w, "method", req->method);
    jw_str(&w, "route", ps_str_from_cstr(req->route ? req->route->pattern : "unmatched"));
    jw_fmt(&w, ",\"status\":%d,\"duration_ms\":%.3f,\"bytes\":%zu", status,
           (double)dur_ns / 1e6, c->sent_status ? req->out.len : (size_t)0);
    jw_str(&w, "remote", req->client_ip);
    if (t != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        jw_fmt(&w, ",\"aborted\":%d", (int)t);
    jw_raw(&w, "}", 1);
    if (!w.bad)
        ps_log_json((struct ps_str){w.b, w.n});
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
        susp_remove(s, c);
    int64_t now = ps_clock_mono_ns(), dur = now - c->req.start_ns_;
    int status = c->sent_status ? c->sent_status
                                : __atomic_load_n(&c->raw_status_, __ATOMIC_RELAXED);
    if (status)
        ps_http_metrics_observe(s->metrics, c->route_idx, c->req.method, status, dur);
    if (s->log_requests)
        log_request(c, status, dur, toe);
    if (!c->zombie) {
        /* keep-alive: the next request's first byte comes within the idle timeout, and
         * then it has the request timeout */
        int rx = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
        if (rx < PS_RX_LINGER) { /* a lost race (aborted mid-body) leaves the sweep's LINGER */
            __atomic_store_n(&c->deadline_ns, now + s->idle_ns + s->request_ns,
                             __ATOMIC_RELAXED);
            (void)__atomic_compare_exchange_n(&c->rx_, &rx, PS_RX_WAIT, false,
                                              __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
        }
        __atomic_store_n(&c->req.state_, PS_RS_IDLE, __ATOMIC_SEQ_CST);
        c->phase_ = PH_HEADERS;
        if (c->req.out.cap > OUT_KEEP_MAX)
            ps_buf_reset(&c->req.out);
    }
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

static enum ps_err parse_addr(struct ps_http_server *s, const char *text, uint16_t port,
                              unsigned *flags, struct ps_diag *diag)
{
    memset(&s->addr, 0, sizeof s->addr);
    struct sockaddr_in *in = (struct sockaddr_in *)(void *)&s->addr;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)(void *)&s->addr;
    if (!text)
        text = "127.0.0.1";
    if (inet_pton(AF_INET, text, &in->sin_addr) == 1) {
        in->sin_family = AF_INET;
        in->sin_port = htons(port);
        return PS_OK;
    }
    if (inet_pton(AF_INET6, text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        /* "::" means every address, IPv4 included */
        *flags |= IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr) ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
        return PS_OK;
    }
    return ps_diag_set(diag, PS_ERR_INVALID, "listen address %s is not an IP address", text);
}

static unsigned hard_limit(unsigned soft, unsigned threads)
{
    /* room above the soft limit so that refused clients still get an answer; MHD splits the
     * limit between pool threads, hence the per-thread share */
    unsigned slack = soft / 8 > 16 * threads ? soft / 8 : 16 * threads;
    return soft > UINT32_MAX - slack ? UINT32_MAX : soft + slack;
}

static enum ps_err start_daemon(struct ps_http_server *s, unsigned flags, uint16_t port,
                                const char *where, struct ps_diag *diag)
{
    size_t mem = s->lim.max_header_bytes * 4;
    if (mem < MIN_MEMORY_LIMIT)
        mem = MIN_MEMORY_LIMIT;
    unsigned per_ip = s->lim.max_per_ip ? hard_limit(s->lim.max_per_ip, 1) : 0;
    struct MHD_OptionItem ops[] = {
        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, s}, /* first, as MHD asks */
        {MHD_OPTION_SOCK_ADDR, 0, &s->addr},
        {MHD_OPTION_CONNECTION_LIMIT, (intptr_t)hard_limit(s->lim.max_connections,
                                                           s->lim.threads), NULL},
        {MHD_OPTION_PER_IP_CONNECTION_LIMIT, (intptr_t)per_ip, NULL},
        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)s->lim.idle_timeout_s, NULL},
        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)mem, NULL},
        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, s},
        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, s},
        {MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)on_uri, s},
        {s->lim.threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END,
         (intptr_t)s->lim.threads, NULL},
        {MHD_OPTION_END, 0, NULL},
    };
    flags |= MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    /* the address comes from MHD_OPTION_SOCK_ADDR; the port only names it in MHD's messages */
    s->d = MHD_start_daemon(flags, port, on_accept, s, on_access, s, MHD_OPTION_ARRAY, ops,
                            MHD_OPTION_END);
    if (!s->d)
        return ps_diag_set(diag, PS_ERR_IO, "cannot listen on %s: %s (choose another address "
                           "with --listen)", where, strerror(errno));
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : 0;
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

/* Periods from the limits: the sweep must act on a quiet garbage sender before MHD's idle
 * timeout closes it silently, hence quiet = QUIET_MAX_NS or half the smaller timeout, and a
 * period of a quarter of that (50 ms .. 1 s). */
static void sweep_timing(struct ps_http_server *s)
{
    s->request_ns = (int64_t)s->lim.request_timeout_s * NS_PER_S;
    s->idle_ns = (int64_t)s->lim.idle_timeout_s * NS_PER_S;
    s->quiet_ns = (s->request_ns < s->idle_ns ? s->request_ns : s->idle_ns) / 2;
    if (s->quiet_ns > QUIET_MAX_NS)
        s->quiet_ns = QUIET_MAX_NS;
    s->sweep_ns = s->quiet_ns / 4;
    if (s->sweep_ns < 50 * NS_PER_MS)
        s->sweep_ns = 50 * NS_PER_MS;
    if (s->sweep_ns > NS_PER_S)
        s->sweep_ns = NS_PER_S;
}

static enum ps_err start_sweep(struct ps_http_server *s, struct ps_diag *diag)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    int rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (rc == 0)
        rc = pthread_cond_init(&s->sweep_cond, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "cannot create a condition variable");
    rc = pthread_create(&s->sweep_thread, NULL, sweep_main, s);
    if (rc != 0) {
        pthread_cond_destroy(&s->sweep_cond);
        return ps_diag_set(diag, PS_ERR_NOMEM, "cannot start the deadline thread: %s",
                           strerror(rc));
    }
    s->sweep_running = true;
    return PS_OK;
}

static void stop_sweep(struct ps_http_server *s)
{
    if (!s->sweep_running)
        return;
    pthread_mutex_lock(&s->sweep_lock);
    s->sweep_stop = true;
    pthread_cond_signal(&s->sweep_cond);
    pthread_mutex_unlock(&s->sweep_lock);
    pthread_join(s->sweep_thread, NULL);
    pthread_cond_destroy(&s->sweep_cond);
    s->sweep_running = false;
}

static void server_free(struct ps_http_server *s)
{
    stop_sweep(s);
    ps_router_free(s->router);
    ps_http_metrics_free(s->metrics);
    ps_free(s->ips);
    pthread_mutex_destroy(&s->ip_lock);
    pthread_mutex_destroy(&s->susp_lock);
    pthread_mutex_destroy(&s->conn_lock);
    pthread_mutex_destroy(&s->sweep_lock);
    ps_free(s);
}

enum ps_err ps_http_start(const struct ps_http_config *cfg, struct ps_http_server **out,
                          struct ps_diag *diag)
{
    *out = NULL;
    struct ps_http_server *s = ps_calloc(1, sizeof *s);
    if (!s)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&s->ip_lock, NULL);
    pthread_mutex_init(&s->susp_lock, NULL);
    pthread_mutex_init(&s->conn_lock, NULL);
    pthread_mutex_init(&s->sweep_lock, NULL);
    s->lim = cfg->limits;
    limits_fill(&s->lim);
    sweep_timing(s);
    s->routes = cfg->routes;
    s->nroutes = cfg->nroutes;
    s->app = cfg->app;
    s->dispatch = cfg->dispatch;
    s->log_requests = cfg->log_requests;
    unsigned flags = 0;
    enum ps_err e = ps_router_new(cfg->routes, cfg->nroutes, &s->router, diag);
    if (e == PS_OK)
        e = check_body_limits(s, diag);
    if (e == PS_OK)
        e = parse_addr(s, cfg->listen_addr, cfg->port, &flags, diag);
    if (e == PS_OK) {
        s->metrics = ps_http_metrics_new(cfg->routes, cfg->nroutes);
        s->ip_cap = 64;
        while (s->ip_cap < 2 * (size_t)hard_limit(s->lim.max_connections, s->lim.threads))
            s->ip_cap *= 2;
        s->ips = ps_calloc(s->ip_cap, sizeof *s->ips);
        if (!s->metrics || !s->ips)
            e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    if (e == PS_OK)
        e = start_sweep(s, diag);
    /* the address as the user wrote it, for the bind error (an IPv6 one in brackets) */
    char where[80];
    const char *host = cfg->listen_addr ? cfg->listen_addr : "";
    int n = snprintf(where, sizeof where, strchr(host, ':') ? "[%s]:%u" : "%s:%u", host,
                     (unsigned)cfg->port);
    if (n < 0 || (size_t)n >= sizeof where)
        memcpy(where, "the listen address", sizeof "the listen address");
    if (e == PS_OK)
        e = start_daemon(s, flags, cfg->port, where, diag);
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

/* Grace is over: answer every suspended request 503 and leave its memory to a late
 * ps_req_resume. The lock only guards the list; MHD is called outside it. */
static void abandon_suspended(struct ps_http_server *s)
{
    __atomic_store_n(&s->abandoning, 1, __ATOMIC_SEQ_CST);
    struct ps_http_conn *todo = NULL;
    pthread_mutex_lock(&s->susp_lock);
    struct ps_http_conn *c = s->susp_head;
    while (c) {
        struct ps_http_conn *next = c->next_susp;
        int exp = PS_RS_SUSPENDED;
        if (__atomic_compare_exchange_n(&c->req.state_, &exp, PS_RS_ABANDONED, false,
                                        __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
            make_zombie(c);
            if (c->prev_susp)
                c->prev_susp->next_susp = next;
            else
                s->susp_head = next;
            if (next)
                next->prev_susp = c->prev_susp;
            c->suspended_list = false;
            c->next_susp = todo;
            todo = c;
        }
        c = next;
    }
    pthread_mutex_unlock(&s->susp_lock);
    while (todo) {
        struct ps_http_conn *next = todo->next_susp;
        ps_log(PS_LOG_WARN, "http: request %s still suspended at shutdown: answered 503",
               todo->req.request_id);
        MHD_resume_connection(todo->mhd);
        todo = next;
    }
}

void ps_http_stop(struct ps_http_server *s)
{
    if (!s)
        return;
    __atomic_store_n(&s->stopping, 1, __ATOMIC_SEQ_CST); /* on_accept refuses from now on */
    int64_t until = ps_clock_mono_ns() + (int64_t)s->lim.shutdown_grace_ms * 1000000;
    if (!wait_idle(s, until)) {
        for (int round = 0; round < 20 && ps_http_metrics_in_flight(s->metrics) > 0; round++) {
            abandon_suspended(s); /* again: a handler may have been mid-suspend */
            if (wait_idle(s, ps_clock_mono_ns() + 50 * 1000000))
                break;
        }
    }
    stop_sweep(s); /* before MHD closes the sockets it may still be cutting */
    MHD_stop_daemon(s->d);
    server_free(s);
}
