/* Private parts of the HTTP edge shared by server.c, request.c, resp.c and metrics.c: the
 * per-connection state, the request states of the suspend/resume protocol and the metrics
 * store. Nothing outside src/http includes this. */
#ifndef PS_HTTP_HTTP_INT_H
#define PS_HTTP_HTTP_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "http/http.h"

struct MHD_Connection;
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
 * which is what the deadline sweep (server.c) may cut. Only the sweep and a thread that
 * answers past MHD move a connection to LINGER, always by compare-and-swap. */
enum ps_rx {
    PS_RX_FIRST = 0, /* accepted, no request line yet */
    PS_RX_WAIT,      /* keep-alive: waiting for the next request line */
    PS_RX_HEAD,      /* request line in, headers arriving */
    PS_RX_BODY,      /* headers in, body arriving, nothing answered */
    PS_RX_NONE,      /* handler running, suspended, or a response queued: no read deadline */
    PS_RX_LINGER,    /* answered past MHD, write side shut; read side shut at deadline_ns */
    PS_RX_DEAD,      /* both sides shut: MHD closes the connection */
};

/* Why a connection is refused (decided once, when it is accepted). */
enum ps_conn_over { PS_OVER_NONE, PS_OVER_CONNS, PS_OVER_IP };

/* One per TCP connection, owned by the server (NOTIFY_CONNECTION started .. closed). The
 * arena and the response buffer are reused by each request on the connection. */
struct ps_http_conn {
    struct ps_http_server *srv;
    struct MHD_Connection *mhd;
    struct ps_arena *arena;
    struct ps_req req;
    enum ps_conn_over over;
    int phase_;          /* server.c's enum phase */
    bool ip_counted;
    bool in_request;     /* between the URI callback and NOTIFY_COMPLETED */
    bool zombie;         /* abandoned at shutdown: never freed (see ps_req_suspend) */
    bool must_close;     /* answer with Connection: close */
    bool pending;        /* a 404/405 is prepared, sent at the final call */
    bool suspended_list; /* on the server's list of suspended requests */
    uint8_t ip[16];
    char ip_text[48];
    size_t route_idx;    /* metrics: the route index, or nroutes for "unmatched" */
    int sent_status;     /* status queued to MHD, 0 before */
    char *body;          /* ps_malloc'ed, freed when the request's arena is reset or freed */
    size_t body_len, body_cap, body_limit, drained;
    int fd;              /* MHD's socket, for answers written past MHD */
    int rx_;             /* enum ps_rx, atomic */
    int raw_status_;     /* atomic: status written past MHD (log, metrics), 0 if none */
    int64_t accepted_ns;
    int64_t deadline_ns; /* atomic; monotonic: when the sweep cuts the current rx_ stage */
    int64_t linger_ns;   /* atomic; LINGER: when the sweep shuts the read side */
    struct ps_http_conn *next_conn, *prev_conn; /* every connection (server's conn_lock) */
    struct ps_http_conn *next_susp, *prev_susp;
    struct ps_http_conn *next_zombie;
};

/* Test hook (tests/unit/http_test.c): when set, the connection's thread calls it just before
 * each compare-and-swap that moves rx_ forward out of a stage the sweep may cut (FIRST or
 * WAIT -> HEAD, HEAD -> BODY, BODY -> NONE), so a test can let the sweep claim the connection
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

/* ---- server internals used by request.c ---- */

/* Header lookup on the live MHD connection (request.c). */
struct ps_str ps_http_conn_header(struct ps_http_conn *c, const char *name);
/* Percent-decodes s into the arena ('+' becomes a space when plus_space). p NULL when the
 * encoding is bad, or decodes to a NUL (or '/' when reject_slash). */
struct ps_str ps_http_pct_decode(struct ps_arena *a, struct ps_str s, bool plus_space,
                                 bool reject_slash);

#endif
