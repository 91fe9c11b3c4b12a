/* The store dispatcher: picks a backend from the url, owns every connection (one per thread
 * that reads, one per committer), caches prepared statements per connection, runs
 * transactions as functions, applies migrations, and runs the committer threads that group
 * submitted write jobs into one physical commit. The committer is the one place that retries.
 * See docs/internals/store.md. */
#include "store/store_int.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"

#define DEFAULT_BUSY_TIMEOUT_MS 5000
#define DEFAULT_MAX_RETRIES 5
#define DEFAULT_PG_COMMITTERS 4
#define DEFAULT_MAX_BATCH 256
#define MAX_COMMITTERS 64
#define BACKOFF_MAX_NS (64 * 1000 * 1000)

struct committer {
    struct ps_store *store;
    struct ps_conn *conn;
    pthread_t thread;
    bool started;
};

struct ps_store {
    const struct ps_backend *be;
    struct ps_store_opts opts; /* opts.url points to `target`'s owner below */
    char *url;                 /* owned copy */
    const char *target;        /* inside url: what the backend opens */

    int sync_level;            /* how much of the key, mutexes, cond, rwlock is initialized */
    pthread_key_t key;         /* this thread's reader connection */
    pthread_mutex_t conn_mu;   /* guards conns and idle */
    struct ps_conn *conns;     /* every connection, owned */
    struct ps_conn *idle;      /* reader connections of exited threads, for reuse */

    pthread_mutex_t q_mu;      /* guards the queue and stopping */
    pthread_cond_t q_cond;
    struct ps_store_job *q_head, *q_tail;
    bool stopping;

    /* Committers hold it shared per batch; a bulk load on a backend with exclusive_bulk holds
     * it exclusively, so a committer waits instead of failing on the busy timeout. */
    pthread_rwlock_t gate;

    struct committer *committers;
    int ncommitters;

    int schema_known;

    atomic_uint_fast64_t st_commits, st_jobs, st_job_failures, st_retries, st_reads;
    atomic_uint_fast64_t st_commit_ns, st_tx_ns, st_queue;
};

/* Misuse detectors: which store this thread commits for, or holds a bulk load on. */
static _Thread_local const struct ps_store *tl_committer;
static _Thread_local const struct ps_store *tl_bulk;

void ps_store_opts_init(struct ps_store_opts *o)
{
    memset(o, 0, sizeof *o);
    o->busy_timeout_ms = DEFAULT_BUSY_TIMEOUT_MS;
    o->max_retries = DEFAULT_MAX_RETRIES;
    o->max_batch = DEFAULT_MAX_BATCH;
    o->committers = 0; /* the backend's default */
    o->migrate = true;
    o->create = true;
}

static void stat_add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* ---- connections and their statement caches ---- */

static void conn_close(struct ps_conn *c)
{
    for (size_t i = 0; i < c->cache_cap; i++)
        if (c->cache[i].st)
            c->be->finalize(c->cache[i].st);
    ps_free(c->cache);
    c->cache = NULL;
    c->be->close(c);
}

static void conn_register(struct ps_store *s, struct ps_conn *c)
{
    pthread_mutex_lock(&s->conn_mu);
    c->next_all = s->conns;
    s->conns = c;
    pthread_mutex_unlock(&s->conn_mu);
}

/* A thread that read through the store has exited: its connection waits for the next new
 * thread instead of piling up under a thread pool that replaces its workers. */
static void conn_thread_exit(void *p)
{
    struct ps_conn *c = p;
    struct ps_store *s = c->store;
    pthread_mutex_lock(&s->conn_mu);
    c->next_idle = s->idle;
    s->idle = c;
    pthread_mutex_unlock(&s->conn_mu);
}

static enum ps_err thread_conn(struct ps_store *s, struct ps_conn **out, struct ps_diag *diag)
{
    struct ps_conn *c = pthread_getspecific(s->key);
    if (c) {
        *out = c;
        return PS_OK;
    }
    pthread_mutex_lock(&s->conn_mu);
    c = s->idle;
    if (c)
        s->idle = c->next_idle;
    pthread_mutex_unlock(&s->conn_mu);
    if (!c) {
        enum ps_err err = s->be->open(s, s->target, &s->opts, false, &c, diag);
        if (err != PS_OK)
            return err;
        c->store = s;
        conn_register(s, c);
    }
    if (pthread_setspecific(s->key, c) != 0) {
        conn_thread_exit(c);
        return ps_diag_set(diag, PS_ERR_NOMEM, "cannot attach a connection to this thread");
    }
    *out = c;
    return PS_OK;
}

static size_t slot_of(const struct ps_sql *def, size_t cap)
{
    uintptr_t h = (uintptr_t)def;
    h ^= h >> 17;
    h *= (uintptr_t)0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 7) & (cap - 1);
}

static struct ps_stmt_slot *cache_find(struct ps_conn *c, const struct ps_sql *def)
{
    if (!c->cache_cap)
        return NULL;
    for (size_t i = slot_of(def, c->cache_cap);; i = (i + 1) & (c->cache_cap - 1)) {
        if (c->cache[i].def == def || !c->cache[i].def)
            return &c->cache[i];
    }
}

/* Keeps the table at most half full so probes stay short and a free slot always exists. */
static enum ps_err cache_reserve(struct ps_conn *c)
{
    if ((c->cache_used + 1) * 2 <= c->cache_cap)
        return PS_OK;
    size_t ncap = c->cache_cap ? c->cache_cap * 2 : 32;
    struct ps_stmt_slot *old = c->cache;
    size_t ocap = c->cache_cap;
    struct ps_stmt_slot *nt = ps_calloc(ncap, sizeof *nt);
    if (!nt)
        return PS_ERR_NOMEM;
    c->cache = nt;
    c->cache_cap = ncap;
    for (size_t i = 0; i < ocap; i++)
        if (old[i].def)
            *cache_find(c, old[i].def) = old[i];
    ps_free(old);
    return PS_OK;
}

/* ---- transactions ---- */

static void tx_init(struct ps_tx *tx, struct ps_store *s, struct ps_conn *c, enum ps_tx_mode m)
{
    memset(tx, 0, sizeof *tx);
    tx->store = s;
    tx->conn = c;
    tx->mode = m;
}

/* Returns every statement the transaction function left held (it must not keep row
 * pointers past its return, so resetting them here is safe). */
static void tx_release_held(struct ps_tx *tx)
{
    while (tx->held)
        ps_stmt_done(tx->held);
}

static enum ps_err tx_begin(struct ps_tx *tx)
{
    enum ps_err err = tx->conn->be->begin(tx->conn, tx->mode, tx->errmsg);
    if (err == PS_OK)
        tx->conn->in_tx = true;
    return err;
}

static void tx_rollback(struct ps_tx *tx)
{
    tx_release_held(tx);
    tx->conn->be->rollback(tx->conn);
    tx->conn->in_tx = false;
}

static enum ps_err tx_commit(struct ps_tx *tx)
{
    tx_release_held(tx);
    enum ps_err err = tx->conn->be->commit(tx->conn, tx->errmsg);
    if (err != PS_OK)
        tx->conn->be->rollback(tx->conn);
    tx->conn->in_tx = false;
    return err;
}

/* Error of a finished transaction for a diag: the database's detail when there is one. */
static enum ps_err tx_diag(struct ps_tx *tx, enum ps_err err, struct ps_diag *diag)
{
    if (tx->errmsg[0])
        return ps_diag_set(diag, err, "%s", tx->errmsg);
    return ps_diag_set(diag, err, "transaction failed: %s", ps_err_name(err));
}

enum ps_err ps_tx_prepare(struct ps_tx *tx, const struct ps_sql *def, struct ps_stmt **out)
{
    PS_ASSERT(tx && def && def->sql && def->name && out);
    struct ps_conn *c = tx->conn;
    struct ps_stmt *st = NULL;
    enum ps_err err = cache_reserve(c);
    if (err != PS_OK) {
        ps_store_errf(tx->errmsg, "%s: out of memory for the statement cache", def->name);
        return err;
    }
    struct ps_stmt_slot *slot = cache_find(c, def);
    if (slot->def && !slot->st->tx) {
        st = slot->st; /* idle in the cache */
    } else {
        err = c->be->prepare(c, def, &st, tx->errmsg);
        if (err != PS_OK) {
            char detail[PS_STORE_ERRMSG_CAP];
            memcpy(detail, tx->errmsg, sizeof detail);
            ps_store_errf(tx->errmsg, "%s: %s", def->name, detail);
            return err;
        }
        st->conn = c;
        st->def = def;
        st->cached = !slot->def; /* a second concurrent use of def stays uncached */
        if (st->cached) {
            slot->def = def;
            slot->st = st;
            c->cache_used++;
        }
    }
    st->tx = tx;
    st->next_held = tx->held;
    tx->held = st;
    *out = st;
    return PS_OK;
}

/* Prefixes the backend's detail with the statement's name. */
static enum ps_err stmt_err(struct ps_stmt *st, enum ps_err err)
{
    if (err != PS_OK) {
        char detail[PS_STORE_ERRMSG_CAP];
        memcpy(detail, st->tx->errmsg, sizeof detail);
        ps_store_errf(st->tx->errmsg, "%s: %s", st->def->name, detail);
    }
    return err;
}

static void check_stmt(const struct ps_stmt *st)
{
    if (!st || !st->tx)
        ps_panic(__FILE__, __LINE__, "ps_stmt used after ps_stmt_done or its transaction");
}

enum ps_err ps_stmt_bind_text(struct ps_stmt *st, int i, struct ps_str v)
{
    check_stmt(st);
    return stmt_err(st, st->conn->be->bind_text(st, i, v, st->tx->errmsg));
}

enum ps_err ps_stmt_bind_i64(struct ps_stmt *st, int i, int64_t v)
{
    check_stmt(st);
    return stmt_err(st, st->conn->be->bind_i64(st, i, v, st->tx->errmsg));
}

enum ps_err ps_stmt_bind_blob(struct ps_stmt *st, int i, const void *p, size_t n)
{
    check_stmt(st);
    PS_ASSERT(p || n == 0);
    return stmt_err(st, st->conn->be->bind_blob(st, i, p, n, st->tx->errmsg));
}

enum ps_err ps_stmt_bind_null(struct ps_stmt *st, int i)
{
    check_stmt(st);
    return stmt_err(st, st->conn->be->bind_null(st, i, st->tx->errmsg));
}

enum ps_err ps_stmt_step(struct ps_stmt *st, bool *row)
{
    check_stmt(st);
    if (st->tx->read_failed) {
        *row = false;
        ps_store_errf(st->tx->errmsg, "%s: out of memory reading a column", st->def->name);
        return PS_ERR_NOMEM;
    }
    return stmt_err(st, st->conn->be->step(st, row, st->tx->errmsg));
}

/* A column read: a value the backend could not produce for lack of memory taints the
 * transaction (store_int.h, read_failed). */
static struct ps_str col_read(struct ps_stmt *st, int col,
                              struct ps_str (*read)(struct ps_stmt *, int, bool *))
{
    bool nomem = false;
    struct ps_str v = read(st, col, &nomem);
    if (nomem)
        st->tx->read_failed = true;
    return v;
}

struct ps_str ps_stmt_text(struct ps_stmt *st, int col)
{
    check_stmt(st);
    return col_read(st, col, st->conn->be->col_text);
}

int64_t ps_stmt_i64(struct ps_stmt *st, int col)
{
    check_stmt(st);
    return st->conn->be->col_i64(st, col);
}

struct ps_str ps_stmt_blob(struct ps_stmt *st, int col)
{
    check_stmt(st);
    return col_read(st, col, st->conn->be->col_blob);
}

/* The result of a transaction function, after the column reads it made: one that read ""
 * for lack of memory fails with PS_ERR_NOMEM, whatever it concluded from that "" (a wrong
 * length, say). Clears the taint for the next function. */
static enum ps_err fn_result(struct ps_tx *tx, enum ps_err err)
{
    if (tx->read_failed) {
        ps_store_errf(tx->errmsg, "out of memory reading a column");
        err = PS_ERR_NOMEM;
    }
    tx->read_failed = false;
    return err;
}

bool ps_stmt_is_null(struct ps_stmt *st, int col)
{
    check_stmt(st);
    return st->conn->be->col_is_null(st, col);
}

void ps_stmt_reset(struct ps_stmt *st)
{
    check_stmt(st);
    st->conn->be->reset(st);
}

void ps_stmt_done(struct ps_stmt *st)
{
    if (!st)
        return;
    check_stmt(st);
    struct ps_stmt **pp = &st->tx->held;
    while (*pp && *pp != st)
        pp = &(*pp)->next_held;
    PS_ASSERT(*pp == st);
    *pp = st->next_held;
    st->next_held = NULL;
    st->tx = NULL;
    if (st->cached)
        st->conn->be->reset(st);
    else
        st->conn->be->finalize(st);
}

int64_t ps_tx_changes(struct ps_tx *tx)
{
    return tx->conn->be->changes(tx->conn);
}

enum ps_err ps_tx_exec(struct ps_tx *tx, const struct ps_sql *def)
{
    struct ps_stmt *st;
    bool row = true;
    enum ps_err err = ps_tx_prepare(tx, def, &st);
    if (err != PS_OK)
        return err;
    while (err == PS_OK && row)
        err = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return err;
}

const char *ps_tx_errmsg(struct ps_tx *tx)
{
    return tx->errmsg;
}

/* ---- the committer: group commit and the one retry loop ---- */

static void backoff(int attempt)
{
    int64_t ns = (int64_t)1000000 << (attempt < 6 ? attempt : 6);
    if (ns > BACKOFF_MAX_NS)
        ns = BACKOFF_MAX_NS;
    ns = ns / 2 + (int64_t)ps_random_uniform((uint32_t)(ns / 2)); /* jitter de-synchronizes */
    struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static void job_fail(struct ps_store_job *job, enum ps_err err, struct ps_tx *tx)
{
    job->result = err;
    tx_diag(tx, err, &job->diag);
}

/* Hands the outcome to the submitter. done() may free the job: nothing touches it after. */
static void job_report(struct ps_store *s, struct ps_store_job *job)
{
    if (job->result == PS_OK) {
        ps_diag_clear(&job->diag);
        stat_add(&s->st_jobs, 1);
    } else {
        stat_add(&s->st_job_failures, 1);
    }
    job->done(job);
}

static bool retryable(const struct ps_store *s, const struct ps_store_job *job)
{
    return job->result == PS_ERR_CONFLICT && job->attempts_ < s->opts.max_retries;
}

/* BEGIN, fn, COMMIT (or ROLLBACK when fn failed), with the store's timings: one job alone, or
 * a bulk load. */
static enum ps_err run_tx(struct ps_store *s, struct ps_tx *tx, ps_tx_fn fn, void *ctx)
{
    struct ps_conn *c = tx->conn;
    int64_t t0 = ps_clock_mono_ns();
    enum ps_err err = tx_begin(tx);
    if (err == PS_OK) {
        err = fn_result(tx, fn(tx, ctx));
        if (err == PS_OK && !c->be->tx_alive(c)) {
            ps_store_errf(tx->errmsg, "the database ended the transaction by itself");
            err = PS_ERR_STORE;
        }
        if (err == PS_OK) {
            int64_t t1 = ps_clock_mono_ns();
            err = tx_commit(tx);
            stat_add(&s->st_commit_ns, (uint64_t)(ps_clock_mono_ns() - t1));
            if (err == PS_OK)
                stat_add(&s->st_commits, 1);
        } else {
            tx_rollback(tx);
        }
    }
    stat_add(&s->st_tx_ns, (uint64_t)(ps_clock_mono_ns() - t0));
    return err;
}

/* One job, one transaction. */
static enum ps_err run_once(struct ps_store *s, struct ps_conn *c, struct ps_store_job *job)
{
    struct ps_tx tx;
    tx_init(&tx, s, c, PS_TX_WRITE);
    enum ps_err err = run_tx(s, &tx, job->fn, job->ctx);
    if (err != PS_OK)
        job_fail(job, err, &tx);
    else
        job->result = PS_OK;
    return err;
}

/* Runs a job alone, retrying after PS_ERR_CONFLICT up to max_retries, then reports it. */
static void run_solo(struct ps_store *s, struct ps_conn *c, struct ps_store_job *job)
{
    while (run_once(s, c, job) == PS_ERR_CONFLICT && retryable(s, job)) {
        job->attempts_++;
        stat_add(&s->st_retries, 1);
        backoff(job->attempts_);
    }
    job_report(s, job);
}

/* The batch's transaction is gone (COMMIT failed, or the database rolled back by itself):
 * nothing in it is durable, so each job runs again on its own. */
static void redo_solo(struct ps_store *s, struct ps_conn *c, struct ps_store_job *list)
{
    while (list) {
        struct ps_store_job *job = list;
        list = job->next_;
        job->next_ = NULL;
        job->attempts_++;
        stat_add(&s->st_retries, 1);
        run_solo(s, c, job);
    }
}

/* Runs job in its own savepoint inside the open batch transaction. Returns false when the
 * transaction itself was lost; otherwise job->result says whether its changes were kept. */
static bool run_in_savepoint(struct ps_store *s, struct ps_tx *tx, struct ps_store_job *job)
{
    struct ps_conn *c = tx->conn;
    tx->errmsg[0] = '\0';
    enum ps_err err = c->be->savepoint(c, tx->errmsg);
    if (err == PS_OK) {
        err = fn_result(tx, job->fn(tx, job->ctx));
        tx_release_held(tx);
    }
    if (!c->be->tx_alive(c))
        return false;
    if (err == PS_OK) {
        err = c->be->release(c, tx->errmsg);
        if (err != PS_OK)
            return false;
        job->result = PS_OK;
        return true;
    }
    job_fail(job, err, tx);
    char ignored[PS_STORE_ERRMSG_CAP];
    return c->be->rollback_to(c, ignored) == PS_OK && c->be->tx_alive(c);
}

/* BEGIN for a whole batch, retried here rather than per job: when another process holds the
 * write lock each try has already waited busy_timeout, and 256 jobs retrying one by one
 * would stall the queue for minutes. */
static enum ps_err begin_batch(struct ps_store *s, struct ps_tx *tx)
{
    for (int attempt = 0;; attempt++) {
        enum ps_err err = tx_begin(tx);
        if (err != PS_ERR_CONFLICT || attempt >= s->opts.max_retries)
            return err;
        stat_add(&s->st_retries, 1);
        backoff(attempt + 1);
    }
}

static void fail_all(struct ps_store *s, struct ps_store_job *list, enum ps_err err,
                     struct ps_tx *tx)
{
    while (list) {
        struct ps_store_job *job = list;
        list = job->next_;
        job->next_ = NULL;
        job_fail(job, err, tx);
        job_report(s, job);
    }
}

/* Group commit: one BEGIN, a savepoint per job, one COMMIT (one fsync), then the reports. A
 * failed COMMIT re-runs every job alone; one with PS_ERR_UNKNOWN_OUTCOME re-runs none. */
static void run_batch(struct ps_store *s, struct ps_conn *c, struct ps_store_job *jobs, size_t n)
{
    if (n == 1) {
        run_solo(s, c, jobs);
        return;
    }
    struct ps_tx tx;
    tx_init(&tx, s, c, PS_TX_WRITE);
    int64_t t0 = ps_clock_mono_ns();
    enum ps_err err = begin_batch(s, &tx);
    if (err != PS_OK) {
        fail_all(s, jobs, err, &tx);
        return;
    }
    for (struct ps_store_job *job = jobs; job; job = job->next_) {
        if (!run_in_savepoint(s, &tx, job)) {
            tx_rollback(&tx);
            stat_add(&s->st_tx_ns, (uint64_t)(ps_clock_mono_ns() - t0));
            redo_solo(s, c, jobs);
            return;
        }
    }
    int64_t t1 = ps_clock_mono_ns();
    err = tx_commit(&tx);
    int64_t t2 = ps_clock_mono_ns();
    stat_add(&s->st_commit_ns, (uint64_t)(t2 - t1));
    stat_add(&s->st_tx_ns, (uint64_t)(t2 - t0));
    if (err != PS_OK && err != PS_ERR_UNKNOWN_OUTCOME) {
        redo_solo(s, c, jobs); /* no job of a failed COMMIT is reported successful */
        return;
    }
    if (err == PS_OK)
        stat_add(&s->st_commits, 1);
    /* Outcome unknown (the COMMIT reply was lost and the backend could not learn what became
     * of it): the kept jobs may be durable, so they are neither reported successful nor run
     * again. Jobs already rolled back to their savepoints wrote nothing either way. */
    struct ps_store_job *retry = NULL, **rtail = &retry;
    while (jobs) {
        struct ps_store_job *job = jobs;
        jobs = job->next_;
        job->next_ = NULL;
        if (err != PS_OK && job->result == PS_OK)
            job_fail(job, err, &tx);
        if (retryable(s, job)) {
            *rtail = job;
            rtail = &job->next_;
        } else {
            job_report(s, job);
        }
    }
    while (retry) {
        struct ps_store_job *job = retry;
        retry = job->next_;
        job->next_ = NULL;
        job->attempts_++;
        stat_add(&s->st_retries, 1);
        backoff(job->attempts_);
        run_solo(s, c, job);
    }
}

static void *committer_main(void *arg)
{
    struct committer *cm = arg;
    struct ps_store *s = cm->store;
    tl_committer = s;
    for (;;) {
        pthread_mutex_lock(&s->q_mu);
        while (!s->q_head && !s->stopping)
            pthread_cond_wait(&s->q_cond, &s->q_mu);
        if (!s->q_head) {
            pthread_mutex_unlock(&s->q_mu); /* stopping, and the queue is drained */
            break;
        }
        /* The bulk gate before the batch leaves the queue: while a bulk load holds it, the
         * jobs stay queued, so ps_store_cancel can still withdraw them (nothing ran). */
        pthread_mutex_unlock(&s->q_mu);
        pthread_rwlock_rdlock(&s->gate);
        pthread_mutex_lock(&s->q_mu);
        struct ps_store_job *head = s->q_head;
        if (!head) { /* withdrawn, or taken by another committer, meanwhile */
            pthread_mutex_unlock(&s->q_mu);
            pthread_rwlock_unlock(&s->gate);
            continue;
        }
        struct ps_store_job *last = head;
        size_t n = 1;
        while (n < (size_t)s->opts.max_batch && last->next_) {
            last = last->next_;
            n++;
        }
        s->q_head = last->next_;
        if (!s->q_head)
            s->q_tail = NULL;
        last->next_ = NULL;
        pthread_mutex_unlock(&s->q_mu);
        atomic_fetch_sub_explicit(&s->st_queue, n, memory_order_relaxed);
        run_batch(s, cm->conn, head, n);
        pthread_rwlock_unlock(&s->gate);
    }
    tl_committer = NULL;
    return NULL;
}

bool ps_store_cancel(struct ps_store *s, struct ps_store_job *job)
{
    PS_ASSERT(s && job);
    bool found = false;
    pthread_mutex_lock(&s->q_mu);
    struct ps_store_job *prev = NULL;
    for (struct ps_store_job *j = s->q_head; j; prev = j, j = j->next_) {
        if (j != job)
            continue;
        if (prev)
            prev->next_ = j->next_;
        else
            s->q_head = j->next_;
        if (s->q_tail == j)
            s->q_tail = prev;
        j->next_ = NULL;
        atomic_fetch_sub_explicit(&s->st_queue, 1, memory_order_relaxed);
        found = true;
        break;
    }
    pthread_mutex_unlock(&s->q_mu);
    return found;
}

enum ps_err ps_store_submit(struct ps_store *s, struct ps_store_job *job)
{
    PS_ASSERT(s && job && job->fn && job->done);
    job->next_ = NULL;
    job->attempts_ = 0;
    job->result = PS_OK;
    ps_diag_clear(&job->diag);
    pthread_mutex_lock(&s->q_mu);
    if (s->stopping) {
        pthread_mutex_unlock(&s->q_mu);
        return ps_diag_set(&job->diag, PS_ERR_UNAVAILABLE, "the store is shutting down");
    }
    if (s->q_tail)
        s->q_tail->next_ = job;
    else
        s->q_head = job;
    s->q_tail = job;
    stat_add(&s->st_queue, 1);
    pthread_cond_signal(&s->q_cond);
    pthread_mutex_unlock(&s->q_mu);
    return PS_OK;
}

static void waiter_done(struct ps_store_job *job)
{
    sem_post(job->done_ctx);
}

enum ps_err ps_store_write(struct ps_store *s, ps_tx_fn fn, void *ctx, struct ps_diag *diag)
{
    if (tl_committer == s)
        ps_panic(__FILE__, __LINE__,
                 "ps_store_write inside a write job would wait for itself; use the job's tx");
    if (tl_bulk == s)
        ps_panic(__FILE__, __LINE__,
                 "ps_store_write inside ps_store_bulk would wait for itself; use the bulk tx");
    sem_t sem;
    if (sem_init(&sem, 0, 0) != 0)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "sem_init: %s", strerror(errno));
    struct ps_store_job job = {.fn = fn, .ctx = ctx, .done = waiter_done, .done_ctx = &sem};
    enum ps_err err = ps_store_submit(s, &job);
    if (err == PS_OK) {
        while (sem_wait(&sem) != 0)
            PS_ASSERT(errno == EINTR);
        err = job.result;
    }
    sem_destroy(&sem);
    if (err != PS_OK && diag)
        *diag = job.diag;
    else
        ps_diag_clear(diag);
    return err;
}

/* ---- reads, bulk loads, backup: on the calling thread's own connection ---- */

static enum ps_err own_conn(struct ps_store *s, const char *what, struct ps_conn **c,
                            struct ps_diag *diag)
{
    if (tl_committer == s)
        ps_panic(__FILE__, __LINE__, what);
    enum ps_err err = thread_conn(s, c, diag);
    if (err == PS_OK && (*c)->in_tx)
        ps_panic(__FILE__, __LINE__,
                 "nested store transaction on one thread (ps_store_read/bulk/backup inside "
                 "ps_store_read or ps_store_bulk)");
    return err;
}

enum ps_err ps_store_read(struct ps_store *s, ps_tx_fn fn, void *ctx, struct ps_diag *diag)
{
    struct ps_conn *c = NULL;
    enum ps_err err = own_conn(s, "ps_store_read inside a write job; read through the job's tx",
                               &c, diag);
    if (err != PS_OK)
        return err;
    struct ps_tx tx;
    tx_init(&tx, s, c, PS_TX_READ);
    err = tx_begin(&tx);
    if (err == PS_OK) {
        err = fn_result(&tx, fn(&tx, ctx));
        tx_rollback(&tx); /* read-only: ending it discards nothing */
    }
    stat_add(&s->st_reads, 1);
    if (err != PS_OK)
        return tx_diag(&tx, err, diag);
    ps_diag_clear(diag);
    return PS_OK;
}

enum ps_err ps_store_bulk(struct ps_store *s, ps_tx_fn fn, void *ctx, struct ps_diag *diag)
{
    struct ps_conn *c = NULL;
    enum ps_err err = own_conn(s, "ps_store_bulk inside a write job", &c, diag);
    if (err != PS_OK)
        return err;
    bool gate = s->be->exclusive_bulk;
    if (gate)
        pthread_rwlock_wrlock(&s->gate); /* waits for the batch in flight, holds the next */
    tl_bulk = s;
    struct ps_tx tx;
    tx_init(&tx, s, c, PS_TX_BULK);
    err = run_tx(s, &tx, fn, ctx);
    tl_bulk = NULL;
    if (gate)
        pthread_rwlock_unlock(&s->gate);
    if (err != PS_OK)
        return tx_diag(&tx, err, diag);
    ps_diag_clear(diag);
    return PS_OK;
}

enum ps_err ps_store_backup(struct ps_store *s, const char *dest_path, struct ps_diag *diag)
{
    struct ps_conn *c = NULL;
    enum ps_err err = own_conn(s, "ps_store_backup inside a write job", &c, diag);
    if (err != PS_OK)
        return err;
    if (!s->be->backup)
        return ps_diag_set(diag, PS_ERR_INVALID, "the %s store has no online backup",
                           s->be->name);
    err = s->be->backup(c, dest_path, diag);
    if (err == PS_OK)
        ps_diag_clear(diag);
    return err;
}

/* ---- migrations ---- */

static const struct ps_sql sql_create_migrations = {
    "store.create_migrations",
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at TEXT NOT NULL)",
};
static const struct ps_sql sql_max_version = {
    "store.max_version",
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
};
static const struct ps_sql sql_has_version = {
    "store.has_version",
    "SELECT count(*) FROM schema_migrations WHERE version = $1",
};
static const struct ps_sql sql_record_migration = {
    "store.record_migration",
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
};

static const struct ps_migration *known_migrations(const struct ps_backend *be, size_t *n)
{
    if (be->kind == PS_STORE_POSTGRES) {
        *n = ps_migrations_postgres_count;
        return ps_migrations_postgres;
    }
    *n = ps_migrations_sqlite_count;
    return ps_migrations_sqlite;
}

/* One row, one integer; `arg` binds $1 when >= 0. */
static enum ps_err query_i64(struct ps_tx *tx, const struct ps_sql *def, int64_t arg,
                             int64_t *out)
{
    struct ps_stmt *st;
    bool row = false;
    enum ps_err err = ps_tx_prepare(tx, def, &st);
    if (err != PS_OK)
        return err;
    if (arg >= 0)
        err = ps_stmt_bind_i64(st, 1, arg);
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    *out = err == PS_OK && row ? ps_stmt_i64(st, 0) : 0;
    ps_stmt_done(st);
    return err;
}

/* What the database has: the newest version recorded, and how many versions this binary
 * knows are not recorded (gaps included: a branch may land 0003 before 0002). */
struct schema_state {
    int64_t applied;
    size_t missing;
};

static enum ps_err read_schema(struct ps_tx *tx, void *ctx)
{
    struct schema_state *ss = ctx;
    size_t n;
    const struct ps_migration *ms = known_migrations(tx->conn->be, &n);
    int64_t has = 0;
    ss->applied = 0;
    ss->missing = n;
    enum ps_err err = query_i64(tx, tx->conn->be->sql_has_migrations, -1, &has);
    if (err != PS_OK || !has)
        return err;
    err = query_i64(tx, &sql_max_version, -1, &ss->applied);
    for (size_t i = 0; err == PS_OK && i < n; i++) {
        int64_t found = 0;
        err = query_i64(tx, &sql_has_version, ms[i].version, &found);
        if (found)
            ss->missing--;
    }
    return err;
}

static enum ps_err check_known(const struct ps_store *s, int64_t applied, struct ps_diag *diag)
{
    if (applied > s->schema_known)
        return ps_diag_set(diag, PS_ERR_VERSION,
                           "database schema %lld is newer than this pocketstate (knows %d); "
                           "upgrade pocketstate", (long long)applied, s->schema_known);
    return PS_OK;
}

static enum ps_err record_migration(struct ps_tx *tx, const struct ps_migration *m)
{
    struct ps_stmt *st;
    bool row;
    char when[25];
    ps_clock_fmt_rfc3339(ps_clock_now_ms(), when);
    enum ps_err err = ps_tx_prepare(tx, &sql_record_migration, &st);
    if (err != PS_OK)
        return err;
    err = ps_stmt_bind_i64(st, 1, m->version);
    if (err == PS_OK)
        err = ps_stmt_bind_text(st, 2, ps_str_from_cstr(m->name));
    if (err == PS_OK)
        err = ps_stmt_bind_text(st, 3, ps_str_from_cstr(when));
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return err;
}

/* One migration, one transaction, re-checked inside it: another process may have applied it
 * since we looked. */
static enum ps_err migrate_one(struct ps_store *s, struct ps_conn *c,
                               const struct ps_migration *m, struct ps_diag *diag)
{
    struct ps_tx tx;
    int64_t found = 0;
    const struct ps_sql *lock = s->be->sql_migration_lock; /* see store_int.h */
    tx_init(&tx, s, c, lock ? PS_TX_BULK : PS_TX_WRITE);
    enum ps_err err = tx_begin(&tx);
    if (err != PS_OK)
        return tx_diag(&tx, err, diag);
    err = lock ? ps_tx_exec(&tx, lock) : PS_OK;
    if (err == PS_OK)
        err = ps_tx_exec(&tx, &sql_create_migrations);
    if (err == PS_OK)
        err = query_i64(&tx, &sql_has_version, m->version, &found);
    if (err == PS_OK && found) {
        tx_rollback(&tx);
        return PS_OK;
    }
    if (err == PS_OK) {
        err = c->be->exec_script(c, m->sql, tx.errmsg);
        if (err != PS_OK) {
            tx_rollback(&tx);
            return ps_diag_set(diag, err, "migration %04d_%s failed: %s", m->version, m->name,
                               tx.errmsg);
        }
        err = record_migration(&tx, m);
    }
    if (err == PS_OK)
        err = tx_commit(&tx);
    else
        tx_rollback(&tx);
    if (err != PS_OK)
        return ps_diag_set(diag, err, "migration %04d_%s failed: %s", m->version, m->name,
                           tx.errmsg);
    return PS_OK;
}

static enum ps_err migrate(struct ps_store *s, struct ps_conn *c, struct ps_diag *diag)
{
    struct ps_tx tx;
    struct schema_state ss;
    tx_init(&tx, s, c, PS_TX_READ);
    enum ps_err err = tx_begin(&tx);
    if (err == PS_OK) {
        err = read_schema(&tx, &ss);
        tx_rollback(&tx);
    }
    if (err != PS_OK)
        return ps_diag_set(diag, err, "cannot read the schema version: %s", tx.errmsg);
    err = check_known(s, ss.applied, diag);
    if (err != PS_OK || !s->opts.migrate || ss.missing == 0)
        return err;
    size_t n;
    const struct ps_migration *ms = known_migrations(s->be, &n);
    for (size_t i = 0; i < n; i++) {
        err = migrate_one(s, c, &ms[i], diag);
        if (err != PS_OK)
            return err;
    }
    return PS_OK;
}

enum ps_err ps_store_schema_version(struct ps_store *s, int *applied, int *known,
                                    struct ps_diag *diag)
{
    struct schema_state ss = {0};
    enum ps_err err = ps_store_read(s, read_schema, &ss, diag);
    if (applied)
        *applied = (int)ss.applied;
    if (known)
        *known = s->schema_known;
    return err;
}

bool ps_store_ready(struct ps_store *s)
{
    struct schema_state ss = {0};
    struct ps_diag d;
    return ps_store_read(s, read_schema, &ss, &d) == PS_OK && ss.missing == 0 &&
           ss.applied <= s->schema_known;
}

/* ---- open, free, stats ---- */

static enum ps_err pick_backend(const char *url, const struct ps_backend **be,
                                const char **target, struct ps_diag *diag)
{
    if (!url || !url[0])
        return ps_diag_set(diag, PS_ERR_INVALID, "store url is empty");
    struct ps_str u = ps_str_from_cstr(url);
    if (ps_str_starts_with(u, PS_STR("sqlite:"))) {
        *be = &ps_backend_sqlite;
        *target = url + 7;
        if (ps_str_starts_with(ps_str_from_cstr(*target), PS_STR("//")))
            *target += 2; /* sqlite:///abs/path */
    } else if (ps_str_starts_with(u, PS_STR("postgresql://")) ||
               ps_str_starts_with(u, PS_STR("postgres://"))) {
        *be = &ps_backend_postgres;
        *target = url;
    } else if (strstr(url, "://")) {
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "unknown store url %s (use sqlite:PATH, a file path, or "
                           "postgresql://...)", url);
    } else {
        *be = &ps_backend_sqlite;
        *target = url;
    }
    return (*be)->check_target(*target, diag);
}

static enum ps_err check_opts(const struct ps_store_opts *o, struct ps_diag *diag)
{
    if (o->busy_timeout_ms < 0 || o->statement_timeout_ms < 0 || o->max_retries < 0 ||
        o->max_retries > 100)
        return ps_diag_set(diag, PS_ERR_INVALID, "store timeouts and retries must be >= 0 "
                           "(retries <= 100)");
    if (o->max_batch < 1 || o->max_batch > 100000)
        return ps_diag_set(diag, PS_ERR_INVALID, "store max_batch must be 1..100000");
    if (o->committers < 0 || o->committers > MAX_COMMITTERS)
        return ps_diag_set(diag, PS_ERR_INVALID, "store committers must be 0 (default) to %d",
                           MAX_COMMITTERS);
    return PS_OK;
}

/* sync_level counts what is initialized so that ps_store_free undoes exactly that. */
static enum ps_err init_sync(struct ps_store *s, struct ps_diag *diag)
{
    pthread_rwlockattr_t ra;
    if (pthread_key_create(&s->key, conn_thread_exit) != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "no thread-specific key left");
    s->sync_level = 1;
    if (pthread_mutex_init(&s->conn_mu, NULL) != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "pthread_mutex_init failed");
    s->sync_level = 2;
    if (pthread_mutex_init(&s->q_mu, NULL) != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "pthread_mutex_init failed");
    s->sync_level = 3;
    if (pthread_cond_init(&s->q_cond, NULL) != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "pthread_cond_init failed");
    s->sync_level = 4;
    if (pthread_rwlockattr_init(&ra) != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "pthread_rwlockattr_init failed");
    /* a bulk load must not starve behind a steady stream of batches */
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    int rc = pthread_rwlock_init(&s->gate, &ra);
    pthread_rwlockattr_destroy(&ra);
    if (rc != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "pthread_rwlock_init failed");
    s->sync_level = 5;
    return PS_OK;
}

static enum ps_err start_committers(struct ps_store *s, struct ps_diag *diag)
{
    s->committers = ps_calloc((size_t)s->opts.committers, sizeof *s->committers);
    if (!s->committers)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory for committers");
    s->ncommitters = s->opts.committers;
    for (int i = 0; i < s->ncommitters; i++) {
        struct ps_conn *c = NULL;
        enum ps_err err = s->be->open(s, s->target, &s->opts, true, &c, diag);
        if (err != PS_OK)
            return err;
        c->store = s;
        c->is_writer = true;
        conn_register(s, c);
        s->committers[i].store = s;
        s->committers[i].conn = c;
    }
    enum ps_err err = migrate(s, s->committers[0].conn, diag);
    if (err != PS_OK)
        return err;
    for (int i = 0; i < s->ncommitters; i++) {
        int rc = pthread_create(&s->committers[i].thread, NULL, committer_main,
                                &s->committers[i]);
        if (rc != 0)
            return ps_diag_set(diag, PS_ERR_NOMEM, "cannot start committer thread: %s",
                               strerror(rc));
        s->committers[i].started = true;
    }
    return PS_OK;
}

enum ps_err ps_store_open(const struct ps_store_opts *opts, struct ps_store **out,
                          struct ps_diag *diag)
{
    const struct ps_backend *be = NULL;
    const char *target = NULL;
    PS_ASSERT(opts && out);
    *out = NULL;
    enum ps_err err = check_opts(opts, diag);
    if (err == PS_OK)
        err = pick_backend(opts->url, &be, &target, diag);
    if (err != PS_OK)
        return err;
    struct ps_store *s = ps_calloc(1, sizeof *s);
    if (!s)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory opening the store");
    s->be = be;
    s->opts = *opts;
    /* SQLite has one writer, so one committer; PostgreSQL commits in parallel (its own group
     * commit joins the fsyncs), so several connections keep it busy */
    if (s->opts.committers == 0)
        s->opts.committers = be->kind == PS_STORE_POSTGRES ? DEFAULT_PG_COMMITTERS : 1;
    size_t ulen = strlen(opts->url);
    s->url = ps_malloc(ulen + 1);
    if (!s->url) {
        err = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory opening the store");
        goto fail;
    }
    memcpy(s->url, opts->url, ulen + 1);
    s->opts.url = s->url;
    s->target = s->url + (target - opts->url);
    size_t nmig;
    const struct ps_migration *ms = known_migrations(be, &nmig);
    s->schema_known = nmig ? ms[nmig - 1].version : 0;
    err = init_sync(s, diag);
    if (err == PS_OK)
        err = start_committers(s, diag);
    if (err != PS_OK)
        goto fail;
    *out = s;
    ps_diag_clear(diag);
    return PS_OK;
fail:
    ps_store_free(s);
    return err;
}

void ps_store_free(struct ps_store *s)
{
    if (!s)
        return;
    if (tl_committer == s)
        ps_panic(__FILE__, __LINE__, "ps_store_free inside a write job");
    if (s->sync_level >= 4) {
        pthread_mutex_lock(&s->q_mu);
        s->stopping = true;
        pthread_cond_broadcast(&s->q_cond);
        pthread_mutex_unlock(&s->q_mu);
    }
    for (int i = 0; i < s->ncommitters; i++)
        if (s->committers[i].started)
            pthread_join(s->committers[i].thread, NULL); /* each drains the queue first */
    while (s->conns) {
        struct ps_conn *c = s->conns;
        s->conns = c->next_all;
        conn_close(c);
    }
    switch (s->sync_level) {
    case 5:
        pthread_rwlock_destroy(&s->gate);
        /* fall through */
    case 4:
        pthread_cond_destroy(&s->q_cond);
        /* fall through */
    case 3:
        pthread_mutex_destroy(&s->q_mu);
        /* fall through */
    case 2:
        pthread_mutex_destroy(&s->conn_mu);
        /* fall through */
    case 1:
        pthread_key_delete(s->key);
        break;
    default:
        break;
    }
    ps_free(s->committers);
    ps_free(s->url);
    ps_free(s);
}

enum ps_store_backend ps_store_backend(const struct ps_store *s)
{
    return s->be->kind;
}

void ps_store_stats(struct ps_store *s, struct ps_store_stats *out)
{
    out->commits = atomic_load_explicit(&s->st_commits, memory_order_relaxed);
    out->jobs = atomic_load_explicit(&s->st_jobs, memory_order_relaxed);
    out->job_failures = atomic_load_explicit(&s->st_job_failures, memory_order_relaxed);
    out->retries = atomic_load_explicit(&s->st_retries, memory_order_relaxed);
    out->reads = atomic_load_explicit(&s->st_reads, memory_order_relaxed);
    out->commit_ns_total = atomic_load_explicit(&s->st_commit_ns, memory_order_relaxed);
    out->tx_ns_total = atomic_load_explicit(&s->st_tx_ns, memory_order_relaxed);
    out->queue_depth = atomic_load_explicit(&s->st_queue, memory_order_relaxed);
}
