/* The integrator thread: wakes every interval, asks the store cheaply whether records await
 * sequencing, and if so runs one integration round (log.c) as a store write job. It keeps the
 * tree's frontier in memory between rounds so that a round reads nothing of the tree; the
 * round itself checks that the stored size still matches (another serve process may have
 * integrated in between). */
#include "tlog/integrator.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "keystore/keystore.h"
#include "tlog/checkpoint.h"
#include "store/store.h"

struct ps_tlog_integrator {
    struct ps_store *store;
    struct ps_note_signer *signer;
    const char *origin;
    unsigned interval_ms;
    size_t max_records;
    size_t chunk; /* round_mu: records per job now (CHUNK, doubled while falling behind) */
    pthread_t thread;
    pthread_mutex_t mu; /* stop flag and the condition */
    pthread_cond_t cond;
    bool stopping;
    pthread_mutex_t round_mu; /* one round at a time; guards cache */
    pthread_mutex_t stats_mu; /* guards stats, so /metrics never waits for a round */
    struct ps_merkle_frontier cache;
    bool have_cache;
    struct ps_tlog_integrator_stats stats;
    int64_t last_sweep_ns; /* integrator thread only */
};

/* How often the thread also looks for late records (log.h, ps_tlog_integrate_tx). */
#define SWEEP_NS ((int64_t)PS_TLOG_SWEEP_MS * 1000000LL)
/* Records per committer job of an integration (see locked_round), and the most it grows to
 * while the integrator keeps ending its rounds on the budget with a backlog left. */
#define CHUNK 256
#define CHUNK_MAX 4096
/* run_round's sweep: 0 none, 1 the window, FULL_SWEEP the whole table */
#define FULL_SWEEP 2
/* run_round's checkpoint: signed, deferred to a later round, or never (no key) */
enum sign { SIGN, DEFER, NO_KEY };
/* Longest an integration defers its checkpoint while records keep coming. */
#define ROUND_BUDGET_NS (1000000000LL)

struct round_job {
    struct ps_tlog_round_in in;
    struct ps_tlog_round_out out;
    struct ps_diag diag;
};

static enum ps_err round_fn(struct ps_tx *tx, void *ctx)
{
    struct round_job *j = ctx;
    ps_diag_clear(&j->diag);
    return ps_tlog_integrate_tx(tx, &j->in, &j->out, &j->diag);
}

/* One round through the committer. cache (may be NULL) is read and, on success, replaced. */
static enum ps_err run_round(struct ps_store *store, struct ps_note_signer *signer,
                             const char *origin, size_t max, int sweep, uint64_t sweep_ms,
                             enum sign sign, struct ps_merkle_frontier *cache,
                             bool *have_cache, struct ps_tlog_round_out *out,
                             struct ps_diag *diag)
{
    struct round_job *j = ps_calloc(1, sizeof *j);
    if (!j)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    j->in.signer = signer;
    j->in.origin = ps_str_from_cstr(origin);
    j->in.cache = cache && *have_cache ? cache : NULL;
    j->in.max_records = max;
    j->in.sweep = sweep != 0;
    j->in.full_sweep = sweep == FULL_SWEEP;
    j->in.sweep_ms = sweep_ms;
    j->in.defer_checkpoint = sign == DEFER;
    j->in.no_checkpoint = sign == NO_KEY;
    enum ps_err e = ps_store_write(store, round_fn, j, diag);
    if (e != PS_OK && j->diag.code == e) /* the round's own reason, unless the store overrode it */
        *diag = j->diag;
    if (e == PS_OK && cache) {
        *cache = j->out.frontier;
        *have_cache = true;
    } else if (cache) {
        *have_cache = false;
    }
    if (e == PS_OK && out)
        *out = j->out;
    ps_free(j);
    return e;
}

struct pending {
    uint64_t sweep_ms; /* 0: no sweep this time */
    bool found, late;
};

static enum ps_err pending_fn(struct ps_tx *tx, void *ctx)
{
    struct pending *p = ctx;
    return ps_tlog_pending(tx, p->sweep_ms, &p->found, &p->late);
}

static void stats_add(struct ps_tlog_integrator *it, const struct ps_tlog_round_out *o,
                      enum ps_err e, bool signed_one)
{
    PS_ASSERT(pthread_mutex_lock(&it->stats_mu) == 0);
    if (e == PS_OK) {
        it->stats.appended += o->appended;
        it->stats.size = o->new_size;
        if (signed_one)
            it->stats.rounds++;
    } else {
        it->stats.failures++;
    }
    PS_ASSERT(pthread_mutex_unlock(&it->stats_mu) == 0);
}

/* One integration: the backlog goes in jobs of at most it->chunk records (CHUNK, grown while
 * falling behind, see below), so that no job holds the committer (and with it every
 * citizen's write) for long. Deferred chunks sign nothing;
 * once a chunk comes back short (caught up) or ROUND_BUDGET_NS has passed, one last job
 * appends what is there (at most a chunk) and signs, so there is exactly one checkpoint per
 * integration even while records keep arriving. */
static enum ps_err locked_round(struct ps_tlog_integrator *it, bool sweep, uint64_t sweep_ms,
                                struct ps_tlog_round_out *out, bool *behind,
                                struct ps_diag *diag)
{
    struct ps_tlog_round_out o = {0};
    PS_ASSERT(pthread_mutex_lock(&it->round_mu) == 0);
    size_t chunk = it->max_records ? it->max_records : it->chunk;
    int64_t until = ps_clock_mono_ns() + ROUND_BUDGET_NS;
    bool full = false;
    enum ps_err e;
    for (;;) {
        e = run_round(it->store, it->signer, it->origin, chunk, sweep, sweep_ms, DEFER,
                      &it->cache, &it->have_cache, &o, diag);
        sweep = false;
        stats_add(it, &o, e, e == PS_OK && o.checkpoint);
        full = e == PS_OK && !o.checkpoint && o.appended == chunk;
        if (!full || ps_clock_mono_ns() >= until)
            break;
    }
    /* Ended on the budget with a full chunk: records arrive faster than this chunk size
     * sequences them. The next round starts at once with twice the chunk (longer committer
     * jobs, but the backlog must not grow without bound); caught up, back to CHUNK. */
    it->chunk = full ? (chunk * 2 < CHUNK_MAX ? chunk * 2 : CHUNK_MAX) : CHUNK;
    if (behind)
        *behind = full;
    if (e == PS_OK && !o.checkpoint) {
        /* the signing job: finds at most a chunk more, signs whatever the size is then */
        e = run_round(it->store, it->signer, it->origin, chunk, false, 0, SIGN, &it->cache,
                      &it->have_cache, &o, diag);
        stats_add(it, &o, e, e == PS_OK && o.checkpoint);
    }
    PS_ASSERT(pthread_mutex_unlock(&it->round_mu) == 0);
    if (e == PS_OK && out)
        *out = o;
    return e;
}

enum ps_err ps_tlog_integrator_round(struct ps_tlog_integrator *it, struct ps_tlog_round_out *out,
                                     struct ps_diag *diag)
{
    return locked_round(it, true, 0, out, NULL, diag);
}

/* One look and, when there is something, one integration. True when it ended behind (see
 * locked_round): the caller starts the next one without waiting. */
static bool tick(struct ps_tlog_integrator *it, bool final)
{
    int64_t now = ps_clock_mono_ns();
    struct pending p = {0};
    if (final || now - it->last_sweep_ns >= SWEEP_NS) {
        /* A record not seen by the previous sweep read committed after it; if it did so
         * within the window of its id's time, it is at most the window plus the time since
         * that read (plus a second for clocks and the read's own start) behind. */
        p.sweep_ms = PS_TLOG_WINDOW_MS + (uint64_t)(now - it->last_sweep_ns) / 1000000u + 1000;
    }
    struct ps_diag d = {0};
    enum ps_err e = ps_store_read(it->store, pending_fn, &p, &d);
    if (e == PS_OK && p.sweep_ms)
        it->last_sweep_ns = now;
    if (e == PS_OK && !p.found)
        return false;
    bool behind = false;
    /* the anti-join ran above; the round repeats it, further back (other nodes may have moved
     * the last integrated id on meanwhile), only if it found something */
    if (e == PS_OK)
        e = locked_round(it, p.late, p.sweep_ms + PS_TLOG_SWEEP_MS, NULL, &behind, &d);
    if (e != PS_OK)
        ps_log(PS_LOG_WARN, "tlog integrator: %s: %s", ps_err_name(e), d.message);
    return e == PS_OK && behind;
}

static bool stop_requested(struct ps_tlog_integrator *it)
{
    PS_ASSERT(pthread_mutex_lock(&it->mu) == 0);
    bool stop = it->stopping;
    PS_ASSERT(pthread_mutex_unlock(&it->mu) == 0);
    return stop;
}

/* True when asked to stop; otherwise returns after interval_ms. */
static bool wait_interval(struct ps_tlog_integrator *it)
{
    struct timespec ts;
    PS_ASSERT(clock_gettime(CLOCK_MONOTONIC, &ts) == 0);
    ts.tv_sec += it->interval_ms / 1000;
    ts.tv_nsec += (long)(it->interval_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    PS_ASSERT(pthread_mutex_lock(&it->mu) == 0);
    while (!it->stopping) {
        int r = pthread_cond_timedwait(&it->cond, &it->mu, &ts);
        if (r == ETIMEDOUT)
            break;
    }
    bool stop = it->stopping;
    PS_ASSERT(pthread_mutex_unlock(&it->mu) == 0);
    return stop;
}

static void *thread_main(void *arg)
{
    struct ps_tlog_integrator *it = arg;
    bool behind = false;
    while (!(behind ? stop_requested(it) : wait_interval(it)))
        behind = tick(it, false);
    (void)tick(it, true); /* sequence what committed before the stop */
    return NULL;
}

static enum ps_err init_sync(struct ps_tlog_integrator *it)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return PS_ERR_INTERNAL;
    bool ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
              pthread_cond_init(&it->cond, &ca) == 0;
    pthread_condattr_destroy(&ca);
    if (!ok)
        return PS_ERR_INTERNAL;
    if (pthread_mutex_init(&it->mu, NULL) != 0 || pthread_mutex_init(&it->round_mu, NULL) != 0 ||
        pthread_mutex_init(&it->stats_mu, NULL) != 0)
        return PS_ERR_INTERNAL;
    return PS_OK;
}

enum ps_err ps_tlog_integrator_start(struct ps_store *store,
                                     const struct ps_tlog_integrator_opts *opts,
                                     struct ps_tlog_integrator **out, struct ps_diag *diag)
{
    *out = NULL;
    const char *origin = opts->origin ? opts->origin : PS_TLOG_DEFAULT_ORIGIN;
    if (!opts->signer || !ps_note_name_valid(ps_str_from_cstr(origin)))
        return ps_diag_set(diag, PS_ERR_INVALID, "tlog integrator: a signer and a valid origin "
                                                 "are required");
    struct ps_tlog_integrator *it = ps_calloc(1, sizeof *it);
    if (!it)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    it->store = store;
    it->signer = opts->signer;
    it->origin = origin;
    it->interval_ms = opts->interval_ms ? opts->interval_ms : 1000;
    it->max_records = opts->max_records;
    it->chunk = CHUNK;
    it->last_sweep_ns = ps_clock_mono_ns(); /* the start's whole-table sweep came just before */
    if (init_sync(it) != PS_OK || pthread_create(&it->thread, NULL, thread_main, it) != 0) {
        ps_free(it); /* initialized sync objects hold no resources on Linux */
        return ps_diag_set(diag, PS_ERR_INTERNAL, "tlog integrator: cannot start its thread");
    }
    *out = it;
    return PS_OK;
}

void ps_tlog_integrator_stats(struct ps_tlog_integrator *it, struct ps_tlog_integrator_stats *out)
{
    PS_ASSERT(pthread_mutex_lock(&it->stats_mu) == 0);
    *out = it->stats;
    PS_ASSERT(pthread_mutex_unlock(&it->stats_mu) == 0);
}

void ps_tlog_integrator_stop(struct ps_tlog_integrator *it)
{
    if (!it)
        return;
    PS_ASSERT(pthread_mutex_lock(&it->mu) == 0);
    it->stopping = true;
    PS_ASSERT(pthread_cond_signal(&it->cond) == 0);
    PS_ASSERT(pthread_mutex_unlock(&it->mu) == 0);
    PS_ASSERT(pthread_join(it->thread, NULL) == 0);
    pthread_cond_destroy(&it->cond);
    pthread_mutex_destroy(&it->mu);
    pthread_mutex_destroy(&it->round_mu);
    pthread_mutex_destroy(&it->stats_mu);
    ps_free(it);
}

/* Rounds until nothing is left: the first sweeps `first_sweep`, the later ones the window. */
static enum ps_err rounds(struct ps_store *store, struct ps_note_signer *signer,
                          const char *origin, int first_sweep, enum sign sign, size_t *appended,
                          uint64_t *size, struct ps_diag *diag)
{
    struct ps_merkle_frontier *cache = ps_malloc(sizeof *cache);
    bool have = false;
    size_t total = 0;
    enum ps_err e = cache ? PS_OK : PS_ERR_NOMEM;
    struct ps_tlog_round_out o = {0};
    const char *org = origin ? origin : PS_TLOG_DEFAULT_ORIGIN;
    while (e == PS_OK) {
        e = run_round(store, signer, org, PS_TLOG_ROUND_MAX, total == 0 ? first_sweep : 1, 0,
                      sign, cache, &have, &o, diag);
        if (e != PS_OK || o.appended < PS_TLOG_ROUND_MAX)
            break;
        total += o.appended;
    }
    if (e == PS_OK) {
        total += o.appended;
        if (appended)
            *appended = total;
        if (size)
            *size = o.new_size;
    } else if (e == PS_ERR_NOMEM && diag->code == PS_OK) {
        ps_diag_set(diag, e, "out of memory");
    }
    ps_free(cache);
    return e;
}

enum ps_err ps_tlog_integrate_now(struct ps_store *store, struct ps_note_signer *signer,
                                  const char *origin, size_t *appended, uint64_t *size,
                                  struct ps_diag *diag)
{
    /* the first round of a start looks at the whole table (see log.h, full_sweep) */
    return rounds(store, signer, origin, FULL_SWEEP, SIGN, appended, size, diag);
}

enum ps_err ps_tlog_sequence_pending(struct ps_store *store, size_t *appended,
                                     struct ps_diag *diag)
{
    return rounds(store, NULL, NULL, 1, NO_KEY, appended, NULL, diag);
}

/* ---- the service ---- */

struct ps_tlog_service {
    struct ps_note_signer *signer;
    struct ps_tlog_integrator *it;
    char origin[PS_CHECKPOINT_MAX_ORIGIN + 1];
    char vkey[PS_NOTE_MAX_NAME + 64];
};

static enum ps_err service_signer(struct ps_store *store, const struct ps_master_key *master,
                                  struct ps_tlog_service *svc, struct ps_diag *diag)
{
    struct ps_key *key = NULL;
    struct ps_buf vk;
    ps_buf_init(&vk, sizeof svc->vkey - 1);
    enum ps_err e = ps_keystore_open(store, master, PS_KEY_TLOG, &key, diag);
    if (e == PS_OK)
        e = ps_tlog_signer_from_key(key, ps_str_from_cstr(svc->origin), &svc->signer, diag);
    if (e == PS_OK)
        e = ps_note_verifier_format(ps_note_signer_verifier(svc->signer), &vk);
    if (e == PS_OK)
        memcpy(svc->vkey, vk.p, vk.len + 1);
    else if (diag->code == PS_OK)
        ps_diag_set(diag, e, "the log's verifier key does not fit");
    ps_buf_reset(&vk);
    ps_key_free(key);
    return e;
}

enum ps_err ps_tlog_service_start(struct ps_store *store, const struct ps_master_key *master,
                                  const char *origin, struct ps_tlog_service **out,
                                  struct ps_diag *diag)
{
    *out = NULL;
    struct ps_tlog_service *svc = ps_calloc(1, sizeof *svc);
    if (!svc)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_str_copy(svc->origin, sizeof svc->origin,
                                ps_str_from_cstr(origin ? origin : PS_TLOG_DEFAULT_ORIGIN));
    if (e != PS_OK)
        ps_diag_set(diag, PS_ERR_INVALID, "the log origin is too long");
    if (e == PS_OK)
        e = service_signer(store, master, svc, diag);
    if (e == PS_OK)
        e = ps_tlog_integrate_now(store, svc->signer, svc->origin, NULL, NULL, diag);
    struct ps_tlog_integrator_opts o = {.origin = svc->origin, .signer = svc->signer};
    if (e == PS_OK)
        e = ps_tlog_integrator_start(store, &o, &svc->it, diag);
    if (e != PS_OK) {
        ps_tlog_service_stop(svc);
        return e;
    }
    *out = svc;
    return PS_OK;
}

const char *ps_tlog_service_vkey(const struct ps_tlog_service *svc)
{
    return svc->vkey;
}

struct ps_tlog_integrator *ps_tlog_service_integrator(struct ps_tlog_service *svc)
{
    return svc->it;
}

void ps_tlog_service_stop(struct ps_tlog_service *svc)
{
    if (!svc)
        return;
    ps_tlog_integrator_stop(svc->it);
    ps_note_signer_free(svc->signer);
    ps_free(svc);
}
