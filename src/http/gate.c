/* The gate: the server's own accept loop in front of libmicrohttpd. Each new connection stays
 * here until the head of its first request is complete and valid (read with MSG_PEEK, so
 * the bytes stay in the socket for MHD), then goes to MHD with MHD_add_connection. Here the
 * header deadline is kept, the slowest incomplete request is dropped when connections run
 * short, per-IP and total limits are answered, and a head that breaks RFC 9112 gets a
 * problem+json answer, all on a socket MHD has never seen. One thread, one epoll set.
 * docs/internals/http.md ("The gate") explains why this cannot be done inside MHD 0.9.75. */
#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/head.h"
#include "http/http_int.h"

#define NS_PER_MS 1000000ll
#define GATE_EVENTS 64
#define ACCEPT_BATCH 64             /* accepts per wake-up, so reads are not starved */
#define LINGER_NS (1000 * NS_PER_MS) /* answered: time for the client to read and close */
#define DRAIN_MAX (64u * 1024)      /* bytes swallowed while lingering, then closed */
#define EMFILE_PAUSE_NS (100 * NS_PER_MS)

enum gstate { G_PENDING, G_LINGER, G_CLOSED };

struct gconn {
    int fd;
    enum gstate state;
    bool counted; /* pending: counts towards the connection limits */
    bool over_conns, over_ip, ip_counted;
    int64_t accepted_ns, last_ns, deadline_ns;
    size_t seen, drained;
    struct ps_http_head head;
    uint8_t ip[16];
    char ip_text[48];
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct gconn *prev, *next; /* every connection the gate holds */
    struct gconn *next_dead;
};

struct ps_http_gate {
    struct ps_http_server *s;
    int epfd, evfd;
    pthread_t thread;
    bool running;
    struct gconn *head;           /* every held connection */
    struct gconn *dead;           /* closed during this batch of events, freed after it */
    size_t npending, nlinger;
    size_t linger_max;
    int64_t next_check_ns;        /* no deadline falls before this */
    int64_t accept_paused_until;  /* out of descriptors: accepting resumes then */
    char *peek;                   /* max_header_bytes + 1 */
    size_t peek_cap;
    int64_t first_ns;             /* header deadline: min(header, request timeout) */
};

/* The listen socket's epoll tag; connections carry their struct gconn *. */
static char listen_tag, stop_tag;

/* ---------- holding connections ---------- */

static void link_conn(struct ps_http_gate *g, struct gconn *c)
{
    c->prev = NULL;
    c->next = g->head;
    if (g->head)
        g->head->prev = c;
    g->head = c;
}

static void unlink_conn(struct ps_http_gate *g, struct gconn *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void note_deadline(struct ps_http_gate *g, int64_t when)
{
    if (when < g->next_check_ns)
        g->next_check_ns = when;
}

/* Leaves the pending state: the connection no longer counts towards the limits. */
static void release_pending(struct ps_http_gate *g, struct gconn *c)
{
    if (!c->counted)
        return;
    c->counted = false;
    g->npending--;
    ps_http_metrics_conns_add(g->s->metrics, -1);
    if (c->ip_counted)
        ps_http_ip_release(g->s, c->ip);
    c->ip_counted = false;
}

/* Forgets c; its fd is closed here unless handed over (fd < 0). Freed after the batch of
 * events, since a later event of the same batch may still name it. */
static void drop(struct ps_http_gate *g, struct gconn *c)
{
    release_pending(g, c);
    if (c->state == G_LINGER)
        g->nlinger--;
    if (c->fd >= 0)
        close(c->fd); /* also leaves the epoll set */
    c->fd = -1;
    c->state = G_CLOSED;
    unlink_conn(g, c);
    c->next_dead = g->dead;
    g->dead = c;
}

static void free_dead(struct ps_http_gate *g)
{
    while (g->dead) {
        struct gconn *next = g->dead->next_dead;
        ps_free(g->dead);
        g->dead = next;
    }
}

/* ---------- answers ---------- */

static void drain(struct ps_http_gate *g, struct gconn *c)
{
    char scratch[4096];
    for (;;) {
        ssize_t r = recv(c->fd, scratch, sizeof scratch, MSG_DONTWAIT);
        if (r > 0 && (c->drained += (size_t)r) <= DRAIN_MAX)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        drop(g, c); /* end of input, an error, or too much: close */
        return;
    }
}

/* Answers a problem on the gate's own socket (MHD never had it), then lingers: reads and
 * drops what the client still sends until it closes, for at most LINGER_NS, so that a close
 * with unread input does not reset the connection before the client has read the answer. */
static void answer(struct ps_http_gate *g, struct gconn *c, int status, const char *slug,
                   const char *title, const char *detail)
{
    struct ps_http_server *s = g->s;
    struct ps_req r;
    ps_http_problem_apart(&r, status, slug, title, detail);
    int err = ps_http_send_raw(c->fd, &r);
    int64_t now = ps_clock_mono_ns();
    ps_http_metrics_observe(s->metrics, s->nroutes, PS_STR("?"), status, now - c->accepted_ns);
    if (s->log_requests) {
        struct ps_http_logline l = {r.request_id, PS_STR("?"), "unmatched", err ? 0 : status,
                                    now - c->accepted_ns, err ? 0 : r.out.len,
                                    ps_str_from_cstr(c->ip_text), -1};
        ps_http_log_request(&l);
    }
    ps_buf_reset(&r.out);
    release_pending(g, c);
    c->state = G_LINGER;
    c->deadline_ns = now + LINGER_NS;
    note_deadline(g, c->deadline_ns);
    g->nlinger++;
    drain(g, c);
}

/* Clients that never close after an answer: past linger_max of them the oldest go at once. */
static void trim_linger(struct ps_http_gate *g)
{
    while (g->nlinger > g->linger_max) {
        struct gconn *oldest = NULL;
        for (struct gconn *o = g->head; o; o = o->next)
            if (o->state == G_LINGER && (!oldest || o->deadline_ns < oldest->deadline_ns))
                oldest = o;
        drop(g, oldest);
    }
}

static void answer_head(struct ps_http_gate *g, struct gconn *c,
                        const struct ps_http_head_error *e)
{
    answer(g, c, e->status, e->slug, e->title, e->detail);
}

/* ---------- connection pressure ---------- */

/* The pending connection whose head arrives slowest: fewest bytes per second since it was
 * accepted (one byte is added, so that a connection that has sent nothing yet counts as
 * slower the longer it has been silent). */
static struct gconn *slowest(struct ps_http_gate *g, int64_t now)
{
    struct gconn *worst = NULL;
    double worst_rate = 0;
    for (struct gconn *c = g->head; c; c = c->next) {
        if (c->state != G_PENDING)
            continue;
        double age = (double)(now - c->accepted_ns) / 1e9 + 1e-6;
        double rate = (double)(c->seen + 1) / age;
        if (!worst || rate < worst_rate) {
            worst = c;
            worst_rate = rate;
        }
    }
    return worst;
}

/* At max_connections: room is made by dropping the slowest incomplete request (408), else
 * one of MHD's connections waiting for a head or idle; false when nothing can go. */
static bool make_room(struct ps_http_gate *g, int64_t now)
{
    struct gconn *victim = slowest(g, now);
    if (victim) {
        answer(g, victim, 408, "request-timeout", "Request Timeout",
               "too many connections: the slowest request to arrive was dropped");
        return true;
    }
    return ps_http_conns_evict(g->s);
}

/* ---------- reading heads ---------- */

static void hand_over(struct ps_http_gate *g, struct gconn *c)
{
    (void)epoll_ctl(g->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    int fd = c->fd;
    c->fd = -1; /* MHD's from here, also when it refuses (it closes the socket then) */
    release_pending(g, c);
    drop(g, c);
    if (MHD_add_connection(g->s->d, fd, (const struct sockaddr *)&c->addr, c->addrlen) !=
        MHD_YES)
        ps_log(PS_LOG_WARN, "http: connection from %s refused by libmicrohttpd: %s",
               c->ip_text, strerror(errno));
}

static void on_head_done(struct ps_http_gate *g, struct gconn *c)
{
    if (c->over_conns)
        answer(g, c, 503, "overloaded", "Service Unavailable",
               "too many connections; retry later");
    else if (c->over_ip)
        answer(g, c, 429, "too-many-requests", "Too Many Requests",
               "too many connections from this address");
    else
        hand_over(g, c);
}

/* Reads (without taking) what has arrived and judges the head so far. */
static void on_readable(struct ps_http_gate *g, struct gconn *c, uint32_t events)
{
    ssize_t r = recv(c->fd, g->peek, g->peek_cap, MSG_PEEK | MSG_DONTWAIT);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        r = -2;
    if (r == 0 || r == -1) {
        drop(g, c); /* the client closed (or failed) before its head was complete */
        return;
    }
    if (r > 0 && (size_t)r != c->seen) {
        c->seen = (size_t)r;
        c->last_ns = ps_clock_mono_ns();
        int64_t idle_dl = c->last_ns + g->s->idle_ns;
        c->deadline_ns = c->accepted_ns + g->first_ns;
        if (idle_dl < c->deadline_ns)
            c->deadline_ns = idle_dl;
        struct ps_http_head_error e;
        enum ps_head_result res =
            ps_http_head_feed(&c->head, g->peek, c->seen, g->s->lim.max_header_bytes, &e);
        if (res == PS_HEAD_DONE) {
            on_head_done(g, c);
            return;
        }
        if (res == PS_HEAD_BAD) {
            answer_head(g, c, &e);
            return;
        }
    }
    if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        drop(g, c); /* half a head and the client stopped sending: never completes */
}

/* ---------- accepting ---------- */

static void admit(struct ps_http_gate *g, int fd, const struct sockaddr_storage *addr,
                  socklen_t addrlen, int64_t now)
{
    struct ps_http_server *s = g->s;
    long total = ps_http_metrics_conns(s->metrics);
    struct gconn *c = total < (long)s->hard_conns ? ps_calloc(1, sizeof *c) : NULL;
    if (!c) { /* past the hard limit (or out of memory): closed unanswered, as MHD would */
        close(fd);
        return;
    }
    c->fd = fd;
    c->state = G_PENDING;
    c->accepted_ns = c->last_ns = now;
    c->deadline_ns = now + g->first_ns;
    if (s->idle_ns < g->first_ns)
        c->deadline_ns = now + s->idle_ns;
    c->addr = *addr;
    c->addrlen = addrlen;
    ps_http_addr_ip((const struct sockaddr *)addr, c->ip, c->ip_text);
    ps_http_head_init(&c->head);
    if (total >= (long)s->lim.max_connections && !make_room(g, now))
        c->over_conns = true;
    c->counted = true;
    g->npending++;
    ps_http_metrics_conns_add(s->metrics, 1);
    link_conn(g, c);
    if (s->lim.max_per_ip) {
        c->ip_counted = true;
        c->over_ip = ps_http_ip_acquire(s, c->ip) > s->lim.max_per_ip;
    }
    note_deadline(g, c->deadline_ns);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
    if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        drop(g, c);
        return;
    }
    on_readable(g, c, 0); /* the head often arrives with the connection */
}

static void pause_accepting(struct ps_http_gate *g, int64_t now, int err)
{
    struct epoll_event ev = {.events = 0, .data.ptr = &listen_tag};
    (void)epoll_ctl(g->epfd, EPOLL_CTL_MOD, g->s->listen_fd, &ev);
    g->accept_paused_until = now + EMFILE_PAUSE_NS;
    note_deadline(g, g->accept_paused_until);
    ps_log(PS_LOG_WARN, "http: cannot accept connections: %s (retrying in 100 ms)",
           strerror(err));
}

static void accept_some(struct ps_http_gate *g)
{
    for (int i = 0; i < ACCEPT_BATCH; i++) {
        struct sockaddr_storage addr;
        socklen_t len = sizeof addr;
        int fd = accept4(g->s->listen_fd, (struct sockaddr *)&addr, &len,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        int64_t now = ps_clock_mono_ns();
        if (fd >= 0) {
            admit(g, fd, &addr, len, now);
            continue;
        }
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            pause_accepting(g, now, errno);
        return; /* EAGAIN, or a connection that failed before it was accepted */
    }
}

/* ---------- deadlines ---------- */

static void check_deadlines(struct ps_http_gate *g, int64_t now)
{
    if (now < g->next_check_ns)
        return;
    g->next_check_ns = INT64_MAX;
    if (g->accept_paused_until && now >= g->accept_paused_until) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &listen_tag};
        (void)epoll_ctl(g->epfd, EPOLL_CTL_MOD, g->s->listen_fd, &ev);
        g->accept_paused_until = 0;
    }
    note_deadline(g, g->accept_paused_until ? g->accept_paused_until : INT64_MAX);
    struct gconn *next;
    for (struct gconn *c = g->head; c; c = next) {
        next = c->next;
        if (now < c->deadline_ns) {
            note_deadline(g, c->deadline_ns);
        } else if (c->state == G_LINGER || c->seen == 0) {
            drop(g, c); /* lingered enough, or sent nothing at all: closed unanswered */
        } else {
            answer(g, c, 408, "request-timeout", "Request Timeout",
                   "the request head took too long to arrive");
        }
    }
}

static void *gate_main(void *arg)
{
    struct ps_http_gate *g = arg;
    struct epoll_event evs[GATE_EVENTS];
    for (;;) {
        int64_t now = ps_clock_mono_ns(), wait_ms = 1000;
        if (g->next_check_ns - now < wait_ms * NS_PER_MS)
            wait_ms = g->next_check_ns <= now ? 0 : (g->next_check_ns - now) / NS_PER_MS + 1;
        int n = epoll_wait(g->epfd, evs, GATE_EVENTS, (int)wait_ms);
        for (int i = 0; i < n; i++) {
            void *tag = evs[i].data.ptr;
            if (tag == &stop_tag)
                return NULL;
            if (tag == &listen_tag) {
                accept_some(g);
                continue;
            }
            struct gconn *c = tag;
            if (c->state == G_PENDING)
                on_readable(g, c, evs[i].events);
            else if (c->state == G_LINGER)
                drain(g, c);
        }
        check_deadlines(g, ps_clock_mono_ns());
        trim_linger(g);
        free_dead(g);
    }
}

/* ---------- start / stop ---------- */

static void gate_free(struct ps_http_gate *g)
{
    while (g->head)
        drop(g, g->head);
    free_dead(g);
    if (g->epfd >= 0)
        close(g->epfd);
    if (g->evfd >= 0)
        close(g->evfd);
    ps_free(g->peek);
    ps_free(g);
}

static enum ps_err gate_setup(struct ps_http_gate *g, struct ps_diag *diag)
{
    struct ps_http_server *s = g->s;
    g->epfd = epoll_create1(EPOLL_CLOEXEC);
    g->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    g->peek_cap = s->lim.max_header_bytes + 1;
    g->peek = ps_malloc(g->peek_cap);
    if (g->epfd < 0 || g->evfd < 0 || !g->peek)
        return ps_diag_set(diag, PS_ERR_NOMEM, "cannot set up the accept loop: %s",
                           strerror(errno));
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = &listen_tag};
    struct epoll_event sev = {.events = EPOLLIN, .data.ptr = &stop_tag};
    if (epoll_ctl(g->epfd, EPOLL_CTL_ADD, s->listen_fd, &lev) != 0 ||
        epoll_ctl(g->epfd, EPOLL_CTL_ADD, g->evfd, &sev) != 0)
        return ps_diag_set(diag, PS_ERR_IO, "cannot set up the accept loop: %s",
                           strerror(errno));
    return PS_OK;
}

enum ps_err ps_http_gate_start(struct ps_http_server *s, struct ps_diag *diag)
{
    struct ps_http_gate *g = ps_calloc(1, sizeof *g);
    if (!g)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    g->s = s;
    g->epfd = g->evfd = -1;
    g->next_check_ns = INT64_MAX;
    g->first_ns = s->header_ns < s->request_ns ? s->header_ns : s->request_ns;
    g->linger_max = s->lim.max_connections / 4 > 64 ? s->lim.max_connections / 4 : 64;
    enum ps_err e = gate_setup(g, diag);
    if (e == PS_OK) {
        int rc = pthread_create(&g->thread, NULL, gate_main, g);
        if (rc != 0)
            e = ps_diag_set(diag, PS_ERR_NOMEM, "cannot start the accept thread: %s",
                            strerror(rc));
    }
    if (e != PS_OK) {
        gate_free(g);
        return e;
    }
    g->running = true;
    s->gate = g;
    return PS_OK;
}

void ps_http_gate_stop(struct ps_http_server *s)
{
    struct ps_http_gate *g = s->gate;
    if (!g)
        return;
    uint64_t one = 1;
    if (write(g->evfd, &one, sizeof one) != (ssize_t)sizeof one)
        ps_log(PS_LOG_WARN, "http: cannot wake the accept thread: %s", strerror(errno));
    pthread_join(g->thread, NULL);
    if (s->listen_fd >= 0)
        close(s->listen_fd); /* new connections are refused from here */
    s->listen_fd = -1;
    gate_free(g);
    s->gate = NULL;
}
