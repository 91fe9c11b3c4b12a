/* Connections and their limits: the per-IP connection counts (shared by the gate, for
 * connections it still reads, and by MHD's connections), the per-connection state libmicrohttpd
 * owns (NOTIFY_CONNECTION), the list the deadline sweep walks, and the cuts made under
 * connection pressure or at shutdown. docs/internals/http.md explains the invariants. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "http/http_int.h"

/* ---------- per-IP connection counts (open addressing, backward-shift delete) ---------- */

static size_t ip_hash(const uint8_t ip[16], size_t cap)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (int i = 0; i < 16; i++)
        h = (h ^ ip[i]) * 1099511628211ull;
    return (size_t)h & (cap - 1);
}

unsigned ps_http_ip_acquire(struct ps_http_server *s, const uint8_t ip[16])
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

static void ip_delete(struct ps_http_server *s, size_t i)
{
    size_t mask = s->ip_cap - 1, hole = i, j = i;
    for (;;) { /* pull later entries of the probe run into the hole */
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
}

void ps_http_ip_release(struct ps_http_server *s, const uint8_t ip[16])
{
    pthread_mutex_lock(&s->ip_lock);
    size_t mask = s->ip_cap - 1, i = ip_hash(ip, s->ip_cap);
    for (size_t probe = 0; probe < s->ip_cap; probe++, i = (i + 1) & mask) {
        struct ip_slot *sl = &s->ips[i];
        if (sl->count == 0)
            break;
        if (memcmp(sl->ip, ip, 16) != 0)
            continue;
        if (--sl->count == 0)
            ip_delete(s, i);
        break;
    }
    pthread_mutex_unlock(&s->ip_lock);
}

void ps_http_addr_ip(const struct sockaddr *sa, uint8_t ip[16], char text[48])
{
    memset(ip, 0, 16);
    text[0] = '\0';
    if (sa && sa->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
        ip[10] = ip[11] = 0xff; /* ::ffff:a.b.c.d, as a dual-stack socket reports it */
        memcpy(ip + 12, &in->sin_addr, 4);
        if (!inet_ntop(AF_INET, &in->sin_addr, text, 48))
            text[0] = '\0';
    } else if (sa && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)sa;
        memcpy(ip, &in6->sin6_addr, 16);
        if (!inet_ntop(AF_INET6, &in6->sin6_addr, text, 48))
            text[0] = '\0';
    }
}

enum ps_err ps_http_conns_init(struct ps_http_server *s, unsigned hard_conns)
{
    s->hard_conns = hard_conns;
    s->ip_cap = 64;
    while (s->ip_cap < 2 * (size_t)hard_conns)
        s->ip_cap *= 2;
    s->ips = ps_calloc(s->ip_cap, sizeof *s->ips);
    return s->ips ? PS_OK : PS_ERR_NOMEM;
}

/* ---------- connections MHD owns ---------- */

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

static void conn_free(struct ps_http_conn *c)
{
    ps_buf_reset(&c->req.out);
    ps_arena_free(c->arena);
    ps_free(c);
}

/* The gate hands over a connection once its first request head is in the socket buffer, so
 * MHD reads it at once: the request line is due within the shorter read deadline. */
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
    const union MHD_ConnectionInfo *ai =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    ps_http_addr_ip(ai ? ai->client_addr : NULL, c->ip, c->ip_text);
    const union MHD_ConnectionInfo *fi =
        MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
    c->fd = fi ? fi->connect_fd : -1;
    int64_t first = s->header_ns < s->request_ns ? s->header_ns : s->request_ns;
    c->rx_ = PS_RX_WAIT;
    c->deadline_ns = ps_clock_mono_ns() + first;
    if (s->lim.max_per_ip) {
        c->ip_counted = true;
        (void)ps_http_ip_acquire(s, c->ip); /* the gate decided the limit already */
    }
    *sock_ctx = c;
    if (c->fd >= 0) /* always, in practice; without it only the idle timeout applies */
        conn_list_add(s, c);
}

void ps_http_on_connection(void *cls, struct MHD_Connection *mc, void **sock_ctx,
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
        ps_http_ip_release(s, c->ip);
    if (!c->zombie)
        conn_free(c);
}

/* ---------- cuts ---------- */

/* Under connection pressure (the gate has no incomplete first request to drop): the
 * connection whose request head has been arriving longest gets a 408 from the sweep (its
 * deadline moves to now); without one, the keep-alive connection idle longest is closed (an
 * idle connection may be closed at any time, RFC 9112 9.6). A connection MHD has not read a
 * request from yet is never chosen: its complete head waits in the socket buffer. */
bool ps_http_conns_evict(struct ps_http_server *s)
{
    struct ps_http_conn *head = NULL, *idle = NULL;
    int64_t head_dl = INT64_MAX, idle_dl = INT64_MAX;
    bool done = false;
    pthread_mutex_lock(&s->conn_lock);
    for (struct ps_http_conn *c = s->conn_head; c; c = c->next_conn) {
        int st = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
        int64_t dl = __atomic_load_n(&c->deadline_ns, __ATOMIC_RELAXED);
        if (st == PS_RX_HEAD && dl < head_dl) {
            head = c;
            head_dl = dl;
        } else if (st == PS_RX_WAIT && __atomic_load_n(&c->served_, __ATOMIC_RELAXED) &&
                   dl < idle_dl) {
            idle = c;
            idle_dl = dl;
        }
    }
    if (head) {
        __atomic_store_n(&head->deadline_ns, 0, __ATOMIC_RELAXED);
        done = true;
    } else if (idle) {
        int exp = PS_RX_WAIT;
        done = __atomic_compare_exchange_n(&idle->rx_, &exp, PS_RX_DEAD, false, __ATOMIC_ACQ_REL,
                                           __ATOMIC_ACQUIRE);
        if (done)
            shutdown(idle->fd, SHUT_RDWR); /* MHD sees the end and closes */
    }
    pthread_mutex_unlock(&s->conn_lock);
    if (head)
        ps_http_sweep_kick(s);
    return done;
}

void ps_http_conns_cut(struct ps_http_server *s, int upto)
{
    pthread_mutex_lock(&s->conn_lock);
    for (struct ps_http_conn *c = s->conn_head; c; c = c->next_conn) {
        int st = __atomic_load_n(&c->rx_, __ATOMIC_ACQUIRE);
        bool fresh = st == PS_RX_WAIT && !__atomic_load_n(&c->served_, __ATOMIC_RELAXED);
        if (st <= upto && !(fresh && upto < PS_RX_BODY) &&
            __atomic_compare_exchange_n(&c->rx_, &st, PS_RX_DEAD, false,
                                                      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            shutdown(c->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&s->conn_lock);
}
