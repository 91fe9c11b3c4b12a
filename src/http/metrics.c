/* HTTP metrics in Prometheus text format 0.0.4. Counters live in per-thread shards updated
 * with relaxed atomics (no locks on the request path) and are summed when rendered. Labels
 * use route patterns, never raw paths, so cardinality is bounded by the route table. */
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "http/http_int.h"

#define NSHARDS 8
#define NBUCKETS 12
#define NMETHOD_SLOTS 8 /* for "unmatched": GET HEAD POST PUT DELETE PATCH OPTIONS other */

static const double bucket_le[NBUCKETS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                           0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
static const int64_t bucket_ns[NBUCKETS] = {500000,    1000000,   2500000,   5000000,
                                            10000000,  25000000,  50000000,  100000000,
                                            250000000, 500000000, 1000000000, 2500000000};
static const char *const unmatched_methods[NMETHOD_SLOTS] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "other"};
/* status codes with their own counter; anything else counts under its class ("2xx") */
static const int known_status[] = {100, 101, 200, 201, 202, 204, 206, 301, 302, 303, 304,
                                   307, 308, 400, 401, 403, 404, 405, 406, 408, 409, 410,
                                   411, 412, 413, 414, 415, 416, 422, 425, 428, 429, 431,
                                   451, 500, 501, 502, 503, 504, 505};
#define NKNOWN (sizeof known_status / sizeof known_status[0])
#define NSTATUS (NKNOWN + 5) /* + 1xx..5xx classes */

struct series { /* requests_total for one (route, method) */
    uint64_t status[NSTATUS];
};
struct hist { /* duration histogram for one route */
    uint64_t bucket[NBUCKETS + 1]; /* not cumulative; the last is +Inf */
    uint64_t sum_ns, count;
};
struct shard {
    struct series *series; /* nroutes + NMETHOD_SLOTS */
    struct hist *hists;    /* nroutes + 1 */
    long in_flight, conns;
    char pad[64];
};

struct ps_http_metrics {
    const struct ps_route *routes;
    size_t n, nseries, nhists;
    struct shard shards[NSHARDS];
};

static unsigned shard_counter;
static _Thread_local unsigned my_shard = UINT32_MAX;

static struct shard *shard_of(struct ps_http_metrics *m)
{
    if (my_shard == UINT32_MAX)
        my_shard = __atomic_fetch_add(&shard_counter, 1, __ATOMIC_RELAXED) % NSHARDS;
    return &m->shards[my_shard];
}

static void add(uint64_t *p, uint64_t v)
{
    __atomic_fetch_add(p, v, __ATOMIC_RELAXED);
}

static uint64_t get(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

struct ps_http_metrics *ps_http_metrics_new(const struct ps_route *routes, size_t n)
{
    struct ps_http_metrics *m = ps_calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->routes = routes;
    m->n = n;
    m->nseries = n + NMETHOD_SLOTS;
    m->nhists = n + 1;
    for (size_t i = 0; i < NSHARDS; i++) {
        m->shards[i].series = ps_calloc(m->nseries, sizeof(struct series));
        m->shards[i].hists = ps_calloc(m->nhists, sizeof(struct hist));
        if (!m->shards[i].series || !m->shards[i].hists) {
            ps_http_metrics_free(m);
            return NULL;
        }
    }
    return m;
}

void ps_http_metrics_free(struct ps_http_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < NSHARDS; i++) {
        ps_free(m->shards[i].series);
        ps_free(m->shards[i].hists);
    }
    ps_free(m);
}

static size_t status_slot(int status)
{
    for (size_t i = 0; i < NKNOWN; i++)
        if (known_status[i] == status)
            return i;
    int cls = status / 100;
    if (cls < 1 || cls > 5)
        cls = 5;
    return NKNOWN + (size_t)(cls - 1);
}

static size_t method_slot(struct ps_str method)
{
    for (size_t i = 0; i + 1 < NMETHOD_SLOTS; i++)
        if (ps_str_eq_cstr(method, unmatched_methods[i]))
            return i;
    return NMETHOD_SLOTS - 1;
}

void ps_http_metrics_observe(struct ps_http_metrics *m, size_t route_idx, struct ps_str method,
                             int status, int64_t duration_ns)
{
    struct shard *sh = shard_of(m);
    size_t si = route_idx < m->n ? route_idx : m->n + method_slot(method);
    size_t hi = route_idx < m->n ? route_idx : m->n;
    add(&sh->series[si].status[status_slot(status)], 1);
    struct hist *h = &sh->hists[hi];
    size_t b = 0;
    while (b < NBUCKETS && duration_ns > bucket_ns[b])
        b++;
    add(&h->bucket[b], 1);
    add(&h->sum_ns, duration_ns > 0 ? (uint64_t)duration_ns : 0);
    add(&h->count, 1);
}

void ps_http_metrics_in_flight_add(struct ps_http_metrics *m, long delta)
{
    __atomic_fetch_add(&shard_of(m)->in_flight, delta, __ATOMIC_RELAXED);
}

void ps_http_metrics_conns_add(struct ps_http_metrics *m, long delta)
{
    __atomic_fetch_add(&shard_of(m)->conns, delta, __ATOMIC_RELAXED);
}

long ps_http_metrics_in_flight(const struct ps_http_metrics *m)
{
    long v = 0;
    for (size_t i = 0; i < NSHARDS; i++)
        v += __atomic_load_n(&m->shards[i].in_flight, __ATOMIC_RELAXED);
    return v;
}

long ps_http_metrics_conns(const struct ps_http_metrics *m)
{
    long v = 0;
    for (size_t i = 0; i < NSHARDS; i++)
        v += __atomic_load_n(&m->shards[i].conns, __ATOMIC_RELAXED);
    return v;
}

/* Label values are route patterns and methods from our own table: escape anyway. */
static enum ps_err label(struct ps_buf *b, const char *v)
{
    enum ps_err e = PS_OK;
    for (const char *p = v; *p && e == PS_OK; p++) {
        if (*p == '\\' || *p == '"')
            e = ps_buf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            e = ps_buf_append_cstr(b, "\\n");
        else
            e = ps_buf_append(b, p, 1);
    }
    return e;
}

static enum ps_err status_label(struct ps_buf *b, size_t slot)
{
    if (slot < NKNOWN)
        return ps_buf_printf(b, "%d", known_status[slot]);
    return ps_buf_printf(b, "%zuxx", slot - NKNOWN + 1);
}

static enum ps_err render_counters(const struct ps_http_metrics *m, struct ps_buf *b)
{
    enum ps_err e = ps_buf_append_cstr(
        b, "# HELP pocketstate_http_requests_total HTTP requests answered, by route pattern, "
           "method and status.\n# TYPE pocketstate_http_requests_total counter\n");
    for (size_t s = 0; s < m->nseries && e == PS_OK; s++) {
        const char *route = s < m->n ? m->routes[s].pattern : "unmatched";
        const char *method = s < m->n ? m->routes[s].method : unmatched_methods[s - m->n];
        for (size_t k = 0; k < NSTATUS && e == PS_OK; k++) {
            uint64_t v = 0;
            for (size_t i = 0; i < NSHARDS; i++)
                v += get(&m->shards[i].series[s].status[k]);
            if (v == 0)
                continue;
            e = ps_buf_append_cstr(b, "pocketstate_http_requests_total{route=\"");
            if (e == PS_OK)
                e = label(b, route);
            if (e == PS_OK)
                e = ps_buf_append_cstr(b, "\",method=\"");
            if (e == PS_OK)
                e = label(b, method);
            if (e == PS_OK)
                e = ps_buf_append_cstr(b, "\",status=\"");
            if (e == PS_OK)
                e = status_label(b, k);
            if (e == PS_OK)
                e = ps_buf_printf(b, "\"} %llu\n", (unsigned long long)v);
        }
    }
    return e;
}

static enum ps_err render_hist(const struct ps_http_metrics *m, size_t h, struct ps_buf *b)
{
    const char *route = h < m->n ? m->routes[h].pattern : "unmatched";
    uint64_t buckets[NBUCKETS + 1] = {0}, sum = 0, count = 0;
    for (size_t i = 0; i < NSHARDS; i++) {
        const struct hist *x = &m->shards[i].hists[h];
        for (size_t k = 0; k <= NBUCKETS; k++)
            buckets[k] += get(&x->bucket[k]);
        sum += get(&x->sum_ns);
        count += get(&x->count);
    }
    if (count == 0)
        return PS_OK;
    enum ps_err e = PS_OK;
    uint64_t cum = 0;
    for (size_t k = 0; k <= NBUCKETS && e == PS_OK; k++) {
        cum += buckets[k];
        e = ps_buf_append_cstr(b, "pocketstate_http_request_duration_seconds_bucket{route=\"");
        if (e == PS_OK)
            e = label(b, route);
        if (e == PS_OK && k < NBUCKETS)
            e = ps_buf_printf(b, "\",le=\"%g\"} %llu\n", bucket_le[k], (unsigned long long)cum);
        else if (e == PS_OK)
            e = ps_buf_printf(b, "\",le=\"+Inf\"} %llu\n", (unsigned long long)cum);
    }
    const char *parts[2] = {"sum", "count"};
    for (size_t k = 0; k < 2 && e == PS_OK; k++) {
        e = ps_buf_printf(b, "pocketstate_http_request_duration_seconds_%s{route=\"", parts[k]);
        if (e == PS_OK)
            e = label(b, route);
        if (e == PS_OK && k == 0)
            e = ps_buf_printf(b, "\"} %.9f\n", (double)sum / 1e9);
        else if (e == PS_OK)
            e = ps_buf_printf(b, "\"} %llu\n", (unsigned long long)count);
    }
    return e;
}

enum ps_err ps_http_metrics_render(const struct ps_http_metrics *m, struct ps_buf *b)
{
    enum ps_err e = render_counters(m, b);
    if (e == PS_OK)
        e = ps_buf_append_cstr(
            b, "# HELP pocketstate_http_request_duration_seconds Time from request line to "
               "response sent, by route pattern.\n"
               "# TYPE pocketstate_http_request_duration_seconds histogram\n");
    for (size_t h = 0; h < m->nhists && e == PS_OK; h++)
        e = render_hist(m, h, b);
    if (e == PS_OK)
        e = ps_buf_printf(b,
                          "# HELP pocketstate_http_requests_in_flight Requests being read, "
                          "handled or suspended.\n"
                          "# TYPE pocketstate_http_requests_in_flight gauge\n"
                          "pocketstate_http_requests_in_flight %ld\n"
                          "# HELP pocketstate_http_connections Open client connections.\n"
                          "# TYPE pocketstate_http_connections gauge\n"
                          "pocketstate_http_connections %ld\n",
                          ps_http_metrics_in_flight(m), ps_http_metrics_conns(m));
    return e;
}
