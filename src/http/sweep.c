/* The deadline sweep: one thread per server that answers 408 to every connection MHD owns
 * whose request head or body is past its deadline, and shuts the read side of connections
 * answered past MHD once they have lingered. Also the answer a connection's own thread
 * writes past MHD mid-body. Why answers are written past libmicrohttpd at all, and the
 * protocol that keeps them from crossing MHD's own: docs/internals/http.md. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/http_int.h"

#define NS_PER_S 1000000000ll
#define LINGER_MIN_NS (250 * 1000000ll) /* time for the client to read before a close */
#define SWEEP_BATCH 64 /* connections answered per pass under conn_lock */

/* Moves the connection from stage `from` to LINGER: this thread alone answers it now. The
 * sweep shuts the read side a little later, so the client reads the answer before a close
 * with unread input resets the connection. False when another thread got there first. */
static bool claim(struct ps_http_conn *c, int from)
{
    int64_t linger = c->srv->sweep_ns > LINGER_MIN_NS ? c->srv->sweep_ns : LINGER_MIN_NS;
    __atomic_store_n(&c->linger_ns, ps_clock_mono_ns() + linger, __ATOMIC_RELAXED);
    return __atomic_compare_exchange_n(&c->rx_, &from, PS_RX_LINGER, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

void ps_http_answer_now(struct ps_http_conn *c, int status, const char *slug, const char *title,
                        const char *detail)
{
    if (!claim(c, PS_RX_BODY))
        return;
    ps_resp_problem(&c->req, status, slug, title, "%s", detail);
    c->must_close = true;
    int err = ps_http_send_raw(c->fd, &c->req);
    if (err)
        ps_log(PS_LOG_INFO, "http: answer %d to %s not sent: %s", status, c->ip_text,
               strerror(err));
    c->sent_status = c->req.status;
}

/* What a pass did, logged once conn_lock is released (a log write may block). */
struct cut {
    char ip[48];
    const char *detail; /* static text */
    int send_errno;
};

struct sweep_batch {
    struct cut v[SWEEP_BATCH];
    size_t n;
};

/* Under conn_lock, which keeps c->fd the connection's own (MHD calls NOTIFY_CONNECTION
 * closed, which takes the lock, before it closes the socket): claims c out of `from` and
 * writes the 408 with one non-blocking send. */
static void cut(struct sweep_batch *b, struct ps_http_conn *c, int from, const char *detail)
{
    if (b->n == SWEEP_BATCH || !claim(c, from))
        return; /* a full batch: the next pass over the list takes it */
    struct ps_req r;
    ps_http_problem_apart(&r, 408, "request-timeout", "Request Timeout", detail);
    struct cut *v = &b->v[b->n++];
    v->send_errno = ps_http_send_raw(c->fd, &r);
    ps_buf_reset(&r.out);
    v->detail = detail;
    memcpy(v->ip, c->ip_text, sizeof v->ip);
    __atomic_store_n(&c->raw_status_, 408, __ATOMIC_RELAXED);
}

static void sweep_conn(struct ps_http_conn *c, int64_t now, struct sweep_batch *b)
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
    if (st > PS_RX_BODY || now <= __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED))
        return;
    cut(b, c, st,
        st == PS_RX_BODY ? "the request body took too long to arrive"
                         : "the request head took too long to arrive");
}

/* One pass over every connection: answers under conn_lock, logs after it, in batches. */
static void sweep_pass(struct ps_http_server *s, int64_t now)
{
    struct sweep_batch b;
    do {
        b.n = 0;
        pthread_mutex_lock(&s->conn_lock);
        for (struct ps_http_conn *c = s->conn_head; c; c = c->next_conn)
            sweep_conn(c, now, &b);
        pthread_mutex_unlock(&s->conn_lock);
        for (size_t i = 0; i < b.n; i++) {
            if (b.v[i].send_errno)
                ps_log(PS_LOG_INFO, "http: %s: %s: 408 not sent: %s", b.v[i].ip,
                       b.v[i].detail, strerror(b.v[i].send_errno));
            else
                ps_log(PS_LOG_INFO, "http: %s: %s: answered 408, closing", b.v[i].ip,
                       b.v[i].detail);
        }
    } while (b.n == SWEEP_BATCH);
}

static void *sweep_main(void *arg)
{
    struct ps_http_server *s = arg;
    pthread_mutex_lock(&s->sweep_lock);
    while (!s->sweep_stop) {
        if (!s->sweep_kicked) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            int64_t t = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec + s->sweep_ns;
            ts.tv_sec = (time_t)(t / NS_PER_S);
            ts.tv_nsec = (long)(t % NS_PER_S);
            pthread_cond_timedwait(&s->sweep_cond, &s->sweep_lock, &ts);
        }
        if (s->sweep_stop)
            break;
        s->sweep_kicked = false;
        pthread_mutex_unlock(&s->sweep_lock);
        sweep_pass(s, ps_clock_mono_ns());
        pthread_mutex_lock(&s->sweep_lock);
    }
    pthread_mutex_unlock(&s->sweep_lock);
    return NULL;
}

void ps_http_sweep_kick(struct ps_http_server *s)
{
    pthread_mutex_lock(&s->sweep_lock);
    s->sweep_kicked = true;
    pthread_cond_signal(&s->sweep_cond);
    pthread_mutex_unlock(&s->sweep_lock);
}

enum ps_err ps_http_sweep_start(struct ps_http_server *s, struct ps_diag *diag)
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

void ps_http_sweep_stop(struct ps_http_server *s)
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
