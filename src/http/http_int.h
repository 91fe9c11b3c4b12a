/* Private parts of the HTTP edge shared by its files: the server and per-connection state,
 * the request states of the suspend/resume protocol, and each file's internal functions.
 * Nothing outside src/http includes this (but its unit test). */
#ifndef PS_HTTP_HTTP_INT_H
#define PS_HTTP_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "http/http.h"

struct ps_http_server;

/* req->state_, read and written with __atomic builtins */
enum req_state {
    PS_RS_IDLE = 0,    /* between requests */
    PS_RS_READING,     /* headers seen, body being read */
    PS_RS_RUNNING,     /* handler or continuation running on a server thread */
    PS_RS_SUSPENDING,  /* handler called ps_req_suspend, has not returned yet */
    PS_RS_SUSPENDED,   /* MHD_suspend_connection done; waiting for ps_req_resume */
    PS_RS_RESUMED,     /* ps_req_resume called; continuation pending */
    PS_RS_ABANDONED,   /* shutdown grace ended while suspended: answer 503, ignore resume */
    PS_RS_DONE,        /* response queued */
};

/* ps_http_conn.rx_, read and written with __atomic builtins: what the connection waits for,
 * which is what the deadline sweep (sweep.c) may cut. Only the sweep and a thread that
 * answers past MHD move a connection to LINGER, always by compare-and-swap. A connection
 * reaches MHD only once the gate (gate.c) has seen its first request head complete. */
enum ps_rx {
    PS_RX_WAIT = 0,  /* waiting for a request line (the first one is already buffered) */
    PS_RX_HEAD,      /* request line in, headers arriving */
    PS_RX_BODY,      /* headers in, body arriving, nothing answered */
    PS_RX_NONE,      /* handler running, suspended, or a response queued: no read deadline */
    PS_RX_LINGER,    /* answered past MHD, write side shut; read side shut at linger_ns */
    PS_RX_DEAD,      /* both sides shut: MHD closes the connection */
};

/* One per TCP connection while MHD has it, owned by the server (NOTIFY_CONNECTION started ..
 * closed). The arena and the response buffer are reused by each request on the connection. */
struct ps_http_conn {
    struct ps_http_server *srv;
    struct MHD_Connection *mhd;
    struct ps_arena *arena;
    struct ps_req req;
    int phase_;          /* server.c's enum phase */
    bool ip_counted;
    bool in_request;     /* between the URI callback and NOTIFY_COMPLETED */
    bool zombie;         /* abandoned at shutdown: never freed (see ps_req_suspend) */
    bool must_close;     /* answer with Connection: close */
    bool pending;        /* a 404/405 is prepared, sent at the final call */
    bool suspended_list; /* on the server's list of suspended requests */
    bool long_timeout;   /* MHD's idle timeout lifted while a body arrives */
    uint8_t ip[16];
    char ip_text[48];
    size_t route_idx;    /* metrics: the route index, or nroutes for "unmatched" */
    int sent_status;     /* status queued to MHD, 0 before */
    char *body;          /* ps_malloc'ed, freed when the request's arena is reset or freed */
    size_t body_len, body_cap, body_limit, drained;
    int fd;              /* MHD's socket, for answers written past MHD */
    int rx_;             /* enum ps_rx, atomic */
    int raw_status_;     /* atomic: status written past MHD (log, metrics), 0 if none */
    int served_;         /* atomic: a request has completed (an idle keep-alive may be cut) */
    int64_t deadline_ns; /* atomic; monotonic: when the sweep cuts the current rx_ stage */
    int64_t linger_ns;   /* atomic; LINGER: when the sweep shuts the read side */
    struct ps_http_conn *next_conn, *prev_conn; /* every connection (conn_lock) */
    struct ps_http_conn *next_susp, *prev_susp;
    struct ps_http_conn *next_zombie;
};

struct ip_slot {
    uint8_t ip[16];
    unsigned count; /* 0: empty */
};

struct ps_http_gate; /* gate.c */

/* The server, shared by its rooms: server.c (MHD glue, the request state machine, start and
 * stop), conns.c (connections, per-IP counts), gate.c (accept and the first request head),
 * sweep.c (deadlines, answers past MHD), suspend.c (suspend/resume, shutdown), reqlog.c. */
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
    int listen_fd;
    int stopping;   /* atomic: answer with Connection: close */
    int abandoning; /* atomic: grace over, never suspend again */
    struct ps_http_gate *gate;
    /* conns.c */
    pthread_mutex_t ip_lock;
    struct ip_slot *ips;
    size_t ip_cap; /* power of two */
    unsigned hard_conns; /* above this many connections, close at accept */
    pthread_mutex_t conn_lock; /* the list; held while the sweep touches a socket */
    struct ps_http_conn *conn_head;
    /* suspend.c */
    pthread_mutex_t susp_lock;
    struct ps_http_conn *susp_head;
    /* sweep.c */
    pthread_mutex_t sweep_lock;
    pthread_cond_t sweep_cond; /* CLOCK_MONOTONIC */
    bool sweep_stop, sweep_running, sweep_kicked;
    pthread_t sweep_thread;
    int64_t sweep_ns;   /* period */
    int64_t request_ns; /* limits.request_timeout_s */
    int64_t header_ns;  /* limits.header_timeout_s */
    int64_t idle_ns;
};

/* Test hook (tests/unit/http_test.c): when set, the connection's thread calls it just before
 * each compare-and-swap that moves rx_ forward out of a stage the sweep may cut (WAIT -> HEAD, HEAD -> BODY, BODY -> NONE), so a test can let the sweep claim the connection
 * in between. NULL in production; read atomically. */
extern void (*ps_http_test_stage_hook)(int from, int to);

/* ---- metrics (metrics.c) ---- */

struct ps_http_metrics;
/* Counters for n routes plus "unmatched". Caller frees with ps_http_metrics_free. */
struct ps_http_metrics *ps_http_metrics_new(const struct ps_route *routes, size_t n);
void ps_http_metrics_free(struct ps_http_metrics *m);
/* Records one finished request (route_idx == n for unmatched). Lock-free, per-thread shard. */
void ps_http_metrics_observe(struct ps_http_metrics *m, size_t route_idx, struct ps_str method,
                             int status, int64_t duration_ns);
/* Gauges, sharded the same way; the value is the sum over shards. */
void ps_http_metrics_in_flight_add(struct ps_http_metrics *m, long delta);
void ps_http_metrics_conns_add(struct ps_http_metrics *m, long delta);
long ps_http_metrics_in_flight(const struct ps_http_metrics *m);
long ps_http_metrics_conns(const struct ps_http_metrics *m);
enum ps_err ps_http_metrics_render(const struct ps_http_metrics *m, struct ps_buf *out) PS_WUR;

/* ---- request.c ---- */

/* Header lookup on the live MHD connection. */
struct ps_str ps_http_conn_header(struct ps_http_conn *c, const char *name);
/* Percent-decodes s into the arena ('+' becomes a space when plus_space). p NULL when the
 * encoding is bad, or decodes to a NUL (or '/' when reject_slash). */
struct ps_str ps_http_pct_decode(struct ps_arena *a, struct ps_str s, bool plus_space,
                                 bool reject_slash);

/* ---- resp.c ---- */

/* Writes req's response (status line, Date, Connection: close, Content-Type, X-Request-Id,
 * Content-Length, body) to fd with one non-blocking sendmsg, then shuts the write side: for
 * a socket the server has stopped reading requests from (the gate's own, or one written past
 * MHD by sweep.c). A full send buffer loses the answer, never the thread. Returns 0, or the
 * errno of a send that failed (the caller logs it, outside any lock). */
int ps_http_send_raw(int fd, const struct ps_req *req);
/* A problem answer for no request (the gate, the sweep): zeroes req, gives it a new request
 * id and a 4 KiB output buffer (the caller releases it with ps_buf_reset(&req->out)) and
 * fills it with ps_resp_problem. */
void ps_http_problem_apart(struct ps_req *req, int status, const char *slug, const char *title,
                           const char *detail);

/* ---- conns.c ---- */

/* The per-IP table, sized for hard_conns connections. PS_ERR_NOMEM. */
enum ps_err ps_http_conns_init(struct ps_http_server *s, unsigned hard_conns) PS_WUR;
/* Counts one more connection from ip; returns the count (0: table full, counts as allowed). */
unsigned ps_http_ip_acquire(struct ps_http_server *s, const uint8_t ip[16]);
void ps_http_ip_release(struct ps_http_server *s, const uint8_t ip[16]);
/* ip as 16 bytes (IPv4 mapped into ::ffff:0:0/96) and as text; zeroes for another family. */
void ps_http_addr_ip(const struct sockaddr *sa, uint8_t ip[16], char text[48]);
/* MHD_OPTION_NOTIFY_CONNECTION: creates and frees struct ps_http_conn. */
void ps_http_on_connection(void *cls, struct MHD_Connection *mc, void **sock_ctx,
                           enum MHD_ConnectionNotificationCode code);
/* Connection pressure: cuts one connection MHD owns that waits for the rest of a request
 * head (408 from the sweep) or, without one, the keep-alive connection idle longest (closed).
 * False when there is none. Any thread. */
bool ps_http_conns_evict(struct ps_http_server *s);
/* Shutdown: shuts both ways, unanswered, every connection whose rx_ is at most upto
 * (PS_RX_HEAD: those waiting for a request, but a fresh one whose head is buffered; PS_RX_BODY:
 * also those still receiving a body). */
void ps_http_conns_cut(struct ps_http_server *s, int upto);

/* ---- sweep.c ---- */

enum ps_err ps_http_sweep_start(struct ps_http_server *s, struct ps_diag *diag) PS_WUR;
void ps_http_sweep_stop(struct ps_http_server *s);
/* Makes the sweep run a pass now (a deadline was moved to now). Any thread. */
void ps_http_sweep_kick(struct ps_http_server *s);
/* On the connection's thread, mid-body (MHD cannot queue a response then): moves rx_ from
 * BODY to LINGER and writes the problem past MHD, Connection: close. Nothing when the sweep
 * claimed the connection first. */
void ps_http_answer_now(struct ps_http_conn *c, int status, const char *slug, const char *title,
                        const char *detail);

/* ---- suspend.c ---- */

enum ps_settle {
    PS_SETTLE_RESPOND,   /* the request has its response: queue it */
    PS_SETTLE_SUSPENDED, /* suspended in MHD: return MHD_YES */
    PS_SETTLE_ABANDONED, /* shutdown gave up on it: req holds the 503, queue it and close */
};
/* After the handler (or a continuation) returned, on the connection's thread: runs the
 * continuation inline when resumed already, suspends the connection, or answers 503 when the
 * grace period is over. */
enum ps_settle ps_http_settle(struct ps_http_conn *c);
/* MHD called the access handler again for a request past its handler: resumed (the
 * continuation runs, then as ps_http_settle), abandoned at shutdown, or a spurious call while
 * suspending (PS_SETTLE_SUSPENDED). */
enum ps_settle ps_http_reentry(struct ps_http_conn *c);
/* Takes c off the list of suspended requests (NOTIFY_COMPLETED). */
void ps_http_susp_remove(struct ps_http_server *s, struct ps_http_conn *c);
/* Grace over: answers every suspended request 503 and leaves its memory to a late
 * ps_req_resume. */
void ps_http_abandon_suspended(struct ps_http_server *s);

/* ---- reqlog.c ---- */

/* One request's log line (docs/internals/http.md "Logs and metrics"). */
struct ps_http_logline {
    const char *request_id;
    struct ps_str method;
    const char *route; /* the pattern, or "unmatched" */
    int status;        /* 0 when none was sent */
    int64_t duration_ns;
    size_t bytes;
    struct ps_str remote;
    int aborted; /* MHD's termination code when the request did not complete, else -1 */
};
void ps_http_log_request(const struct ps_http_logline *l);

/* ---- gate.c ---- */

/* Starts the gate thread on s->listen_fd (which it then owns) and s->d. */
enum ps_err ps_http_gate_start(struct ps_http_server *s, struct ps_diag *diag) PS_WUR;
/* Stops accepting (closes the listen socket) and closes every connection the gate still
 * holds; joins the thread. NULL gate: nothing. */
void ps_http_gate_stop(struct ps_http_server *s);

#endif
