/* Write-load driver for the durability test (tests/pg/test_durability.py): THREADS threads
 * insert sequential keys into pg_writer_keys through ps_store_write until SIGTERM (or at most
 * SECONDS seconds), recording every key attempted and every key acknowledged, while the test
 * stops and restarts the server underneath. Not a unit test; it prints a one-line summary. */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/str.h"
#include "store/store.h"

#define MAX_THREADS 64
#define MAX_KEYS 200000

struct writer {
    pthread_t thread;
    struct ps_store *store;
    int id;
    double until;
    char (*attempted)[24];
    char (*acked)[24];
    size_t nattempted, nacked;
    size_t errors[PS_ERR_UNKNOWN_OUTCOME + 1];
};

static atomic_bool stopping;

static void on_term(int sig)
{
    (void)sig;
    atomic_store(&stopping, true);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct ps_sql sql_insert = {"pg_writer.insert",
                                         "INSERT INTO pg_writer_keys (k, n) VALUES ($1, $2)"};

struct row {
    const char *key;
    int64_t n;
};

static enum ps_err insert_fn(struct ps_tx *tx, void *ctx)
{
    struct row *r = ctx;
    struct ps_stmt *st;
    bool more;
    enum ps_err e = ps_tx_prepare(tx, &sql_insert, &st);
    if (e != PS_OK)
        return e;
    e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(r->key));
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, r->n);
    if (e == PS_OK)
        e = ps_stmt_step(st, &more);
    ps_stmt_done(st);
    return e;
}

static void *writer_main(void *arg)
{
    struct writer *w = arg;
    for (int64_t seq = 0; !atomic_load(&stopping) && now_s() < w->until && w->nattempted < MAX_KEYS;
         seq++) {
        char *key = w->attempted[w->nattempted];
        int n = snprintf(key, 24, "w%02d-%09lld", w->id, (long long)seq);
        if (n < 0 || n >= 24)
            break;
        w->nattempted++;
        struct row r = {key, seq};
        struct ps_diag d = {0};
        enum ps_err e = ps_store_write(w->store, insert_fn, &r, &d);
        if (e == PS_OK) {
            memcpy(w->acked[w->nacked++], key, 24);
        } else {
            w->errors[e <= PS_ERR_UNKNOWN_OUTCOME ? e : PS_ERR_INTERNAL]++;
            struct timespec ts = {0, 20 * 1000 * 1000}; /* server away: do not spin */
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

static int write_keys(const char *path, struct writer *ws, int n, bool acked)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (int i = 0; i < n; i++) {
        size_t cnt = acked ? ws[i].nacked : ws[i].nattempted;
        for (size_t j = 0; j < cnt; j++)
            fprintf(f, "%s\n", acked ? ws[i].acked[j] : ws[i].attempted[j]);
    }
    return fclose(f);
}

static long arg_long(const char *s, long lo, long hi)
{
    uint64_t v;
    if (ps_str_to_u64(ps_str_from_cstr(s), &v) != PS_OK || (long)v < lo || (long)v > hi) {
        fprintf(stderr, "pg_writer: bad number '%s' (%ld..%ld)\n", s, lo, hi);
        exit(2);
    }
    return (long)v;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: pg_writer URL THREADS SECONDS COMMITTERS OUT_PREFIX\n");
        return 2;
    }
    int nthreads = (int)arg_long(argv[2], 1, MAX_THREADS);
    long secs = arg_long(argv[3], 1, 600);
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = argv[1];
    o.committers = (int)arg_long(argv[4], 1, 16);
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    if (ps_store_open(&o, &s, &d) != PS_OK) {
        fprintf(stderr, "pg_writer: open: %s\n", d.message);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_term};
    sigemptyset(&sa.sa_mask);
    PS_ASSERT(sigaction(SIGTERM, &sa, NULL) == 0);
    struct writer *ws = ps_calloc((size_t)nthreads, sizeof *ws);
    PS_ASSERT(ws);
    double until = now_s() + (double)secs;
    for (int i = 0; i < nthreads; i++) {
        ws[i] = (struct writer){.store = s, .id = i, .until = until};
        ws[i].attempted = ps_calloc(MAX_KEYS, 24);
        ws[i].acked = ps_calloc(MAX_KEYS, 24);
        PS_ASSERT(ws[i].attempted && ws[i].acked);
        PS_ASSERT(pthread_create(&ws[i].thread, NULL, writer_main, &ws[i]) == 0);
    }
    size_t att = 0, ack = 0, errs[PS_ERR_UNKNOWN_OUTCOME + 1] = {0};
    for (int i = 0; i < nthreads; i++) {
        pthread_join(ws[i].thread, NULL);
        att += ws[i].nattempted;
        ack += ws[i].nacked;
        for (int e = 0; e <= PS_ERR_UNKNOWN_OUTCOME; e++)
            errs[e] += ws[i].errors[e];
    }
    ps_store_free(s);
    char path[4096];
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        int n = snprintf(path, sizeof path, "%s.%s", argv[5], k ? "acked" : "attempted");
        if (n < 0 || (size_t)n >= sizeof path || write_keys(path, ws, nthreads, k) != 0)
            rc = 1;
    }
    printf("attempted=%zu acked=%zu", att, ack);
    for (int e = 1; e <= PS_ERR_UNKNOWN_OUTCOME; e++)
        if (errs[e])
            printf(" %s=%zu", ps_err_name((enum ps_err)e), errs[e]);
    printf("\n");
    for (int i = 0; i < nthreads; i++) {
        ps_free(ws[i].attempted);
        ps_free(ws[i].acked);
    }
    ps_free(ws);
    return rc;
}
