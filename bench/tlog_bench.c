/* Transparency-log benchmark, against plain SQLite measured in the same run:
 *  1. durable appends: many threads each recording person reads with ps_access_record in
 *     ps_store_write jobs (group commit, synchronous=FULL), with the integrator sequencing and
 *     checkpointing in the background; vs raw sqlite3 INSERTs of the same rows (WAL,
 *     synchronous=FULL), one transaction per row and 256 rows per transaction;
 *  2. inclusion and consistency proof generation at 10 million entries through the
 *     store-backed hash provider (tlog_hashes bulk-loaded first).
 * Prints figures and ratios; never fails on a ratio. Settings from the environment:
 *   TLOG_BENCH_THREADS=32 TLOG_BENCH_SECONDS=5 TLOG_BENCH_PROOF_N=10000000
 *   TLOG_BENCH_PROOFS=1000 TLOG_BENCH_DIR=/tmp  TLOG_BENCH_SKIP=proof|append
 *   TLOG_BENCH_WITHOUT_ROWID=1 (experiment: tlog_hashes as a WITHOUT ROWID table) */
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/str.h"
#include "store/store.h"
#include "tlog/access.h"
#include "tlog/integrator.h"
#include "tlog/log.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tiles.h"
#include "tlog/verify_store.h"

static uint64_t env_u64(const char *name, uint64_t def)
{
    const char *v = getenv(name);
    uint64_t n;
    if (!v || ps_str_to_u64(ps_str_from_cstr(v), &n) != PS_OK || n == 0)
        return def;
    return n;
}

static double now_s(void)
{
    return (double)ps_clock_mono_ns() / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "tlog_bench: %s: %s\n", what, why);
    exit(1);
}

/* ---- 1. appends through the store ---- */

struct appender {
    struct ps_store *store;
    double deadline;
    atomic_uint_fast64_t *done;
    int id;
};

struct one_read {
    int thread;
    uint64_t n;
};

static enum ps_err record_tx(struct ps_tx *tx, void *arg)
{
    struct one_read *r = arg;
    char res[48];
    struct ps_actor actor = {.kind = PS_ACTOR_OFFICIAL, .id = PS_STR("bench-official-0042")};
    struct ps_diag d = {0};
    int k = snprintf(res, sizeof res, "persons/%02d%08" PRIu64, r->thread % 100, r->n % 100000000);
    if (k < 0 || (size_t)k >= sizeof res)
        return PS_ERR_LIMIT;
    return ps_access_record(tx, &actor, "person.read", PS_STR("3184710691"), ps_str_from_cstr(res),
                            PS_STR("benchmark: tax audit case 2026/17"), &d);
}

static void *append_loop(void *arg)
{
    struct appender *a = arg;
    struct one_read r = {a->id, 0};
    while (now_s() < a->deadline) {
        struct ps_diag d = {0};
        if (ps_store_write(a->store, record_tx, &r, &d) != PS_OK)
            die("ps_store_write", d.message);
        r.n++;
        atomic_fetch_add(a->done, 1);
    }
    return NULL;
}

struct append_result {
    double appends_per_s, sequenced_per_s, verify_per_s;
    uint64_t records, tree_size, checkpoints, commits;
};

static enum ps_err count_tx(struct ps_tx *tx, void *arg)
{
    static const struct ps_sql q = {"bench.cps", "SELECT count(*) FROM tlog_checkpoints"};
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err err = ps_tx_prepare(tx, &q, &st);
    if (!err)
        err = ps_stmt_step(st, &row);
    if (!err && row)
        *(uint64_t *)arg = (uint64_t)ps_stmt_i64(st, 0);
    ps_stmt_done(st);
    return err;
}

struct vjob {
    struct ps_note_verifier key;
    struct ps_tlog_report rep;
    enum ps_err result;
};

static enum ps_err verify_tx(struct ps_tx *tx, void *arg)
{
    struct vjob *v = arg;
    struct ps_tlog_store_source ss;
    struct ps_tlog_source src;
    struct ps_diag d = {0};
    struct ps_tlog_verify_opts o = {.keys = &v->key, .nkeys = 1};
    ps_tlog_store_source_init(&ss, tx, &src);
    v->result = ps_tlog_verify(&src, &o, &v->rep, &d);
    return PS_OK;
}

static void bench_appends(const char *dir, int threads, double secs, struct append_result *out)
{
    char path[512], url[600];
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    struct ps_note_signer *signer = NULL;
    struct ps_tlog_integrator *it = NULL;
    uint8_t seed[32];
    atomic_uint_fast64_t done = 0;
    if (snprintf(path, sizeof path, "%s/append.db", dir) >= (int)sizeof path ||
        snprintf(url, sizeof url, "sqlite:%s", path) >= (int)sizeof url)
        die("path", "too long");
    ps_store_opts_init(&o);
    o.url = url;
    if (ps_store_open(&o, &s, &d) != PS_OK)
        die("ps_store_open", d.message);
    randombytes_buf(seed, sizeof seed);
    if (ps_note_signer_new(PS_STR(PS_TLOG_DEFAULT_ORIGIN), PS_NOTE_ED25519, seed, &signer))
        die("signer", "cannot create");
    sodium_memzero(seed, sizeof seed);
    struct ps_tlog_integrator_opts io = {.signer = signer};
    if (ps_tlog_integrator_start(s, &io, &it, &d) != PS_OK)
        die("integrator", d.message);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    struct appender *a = calloc((size_t)threads, sizeof *a);
    if (!t || !a)
        die("calloc", "out of memory");
    struct ps_store_stats st0, st1;
    ps_store_stats(s, &st0);
    double t0 = now_s();
    for (int i = 0; i < threads; i++) {
        a[i] = (struct appender){s, t0 + secs, &done, i};
        if (pthread_create(&t[i], NULL, append_loop, &a[i]) != 0)
            die("pthread_create", "failed");
    }
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    double t1 = now_s();
    ps_store_stats(s, &st1);
    ps_tlog_integrator_stop(it); /* runs a last round: everything committed is sequenced */
    double t2 = now_s();
    size_t extra = 0;
    uint64_t size = 0;
    /* the stopped integrator's last round is best effort: make sure, outside the timing */
    if (ps_tlog_integrate_now(s, signer, NULL, &extra, &size, &d) != PS_OK)
        die("integrate_now", d.message);
    out->records = (uint64_t)atomic_load(&done);
    out->appends_per_s = (double)out->records / (t1 - t0);
    out->sequenced_per_s = (double)(size - extra) / (t2 - t0);
    out->tree_size = size;
    out->commits = st1.commits - st0.commits;
    if (ps_store_read(s, count_tx, &out->checkpoints, &d) != PS_OK)
        die("count checkpoints", d.message);
    struct vjob *v = calloc(1, sizeof *v);
    if (!v)
        die("calloc", "out of memory");
    v->key = *ps_note_signer_verifier(signer);
    double v0 = now_s();
    if (ps_store_read(s, verify_tx, v, &d) != PS_OK || v->result != PS_OK)
        die("verify", v->rep.message[0] ? v->rep.message : d.message);
    out->verify_per_s = (double)v->rep.size / (now_s() - v0);
    free(v);
    ps_store_free(s);
    ps_note_signer_free(signer);
    free(t);
    free(a);
}

/* ---- 1b. the peer: raw sqlite3 ---- */

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK)
        die(sql, err ? err : "?");
}

/* The access_log table of migrations 0003 + 0004, with its index. */
static const char raw_schema[] =
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
    "CREATE TABLE access_log (id TEXT NOT NULL PRIMARY KEY, at_ms BIGINT NOT NULL,"
    " actor_kind TEXT NOT NULL CHECK (actor_kind IN ('citizen','official','system','admin')),"
    " actor_id TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL,"
    " resource TEXT NOT NULL, purpose TEXT NOT NULL, salt BLOB,"
    " kind TEXT NOT NULL DEFAULT 'access' CHECK (kind IN ('access','change')));"
    "CREATE INDEX access_log_by_subject ON access_log (subject, at_ms);";

static void raw_insert(sqlite3_stmt *st, uint64_t n)
{
    char id[37], res[48];
    uint8_t salt[32];
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id);
    ps_random_bytes(salt, sizeof salt);
    int k = snprintf(res, sizeof res, "persons/00%08" PRIu64, n % 100000000);
    if (k < 0 || (size_t)k >= sizeof res)
        die("snprintf", "truncated");
    sqlite3_bind_text(st, 1, id, 36, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, ps_clock_now_ms());
    sqlite3_bind_text(st, 3, "official", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, "bench-official-0042", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, "person.read", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, "3184710691", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, res, k, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 8, "benchmark: tax audit case 2026/17", -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, salt, sizeof salt, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        die("raw insert", sqlite3_errmsg(sqlite3_db_handle(st)));
    sqlite3_reset(st);
}

/* Rows per second with `batch` rows per transaction, for secs seconds. */
static double bench_raw(const char *dir, const char *name, int batch, double secs)
{
    char path[512];
    sqlite3 *db = NULL;
    sqlite3_stmt *ins = NULL, *begin = NULL, *commit = NULL;
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path)
        die("path", "too long");
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("sqlite3_open", path);
    exec(db, raw_schema);
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO access_log (id, at_ms, actor_kind, actor_id, action, "
                           "subject, resource, purpose, salt, kind) VALUES "
                           "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'access')",
                           -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "BEGIN", -1, &begin, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));
    uint64_t n = 0;
    double t0 = now_s(), t1;
    do {
        sqlite3_step(begin);
        sqlite3_reset(begin);
        for (int i = 0; i < batch; i++)
            raw_insert(ins, n++);
        if (sqlite3_step(commit) != SQLITE_DONE)
            die("commit", sqlite3_errmsg(db));
        sqlite3_reset(commit);
        t1 = now_s();
    } while (t1 - t0 < secs);
    sqlite3_finalize(ins);
    sqlite3_finalize(begin);
    sqlite3_finalize(commit);
    sqlite3_close(db);
    return (double)n / (t1 - t0);
}

/* ---- 2. proofs at 10 million entries ---- */

struct loader {
    sqlite3_stmt *ins;
};

static enum ps_err store_hash(void *ctx, unsigned level, uint64_t index, const struct ps_hash *h)
{
    struct loader *l = ctx;
    sqlite3_bind_int(l->ins, 1, (int)level);
    sqlite3_bind_int64(l->ins, 2, (sqlite3_int64)index);
    sqlite3_bind_blob(l->ins, 3, h->b, PS_HASH_LEN, SQLITE_STATIC);
    if (sqlite3_step(l->ins) != SQLITE_DONE)
        return PS_ERR_STORE;
    sqlite3_reset(l->ins);
    return PS_OK;
}

/* Leaves of the form {"v":1,"n":i}: what matters is the stored hashes. */
static void load_hashes(const char *path, uint64_t n, struct ps_hash *root)
{
    sqlite3 *db = NULL;
    struct loader l = {NULL};
    struct ps_tiles_emit te = {store_hash, &l};
    struct ps_merkle_frontier f;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("sqlite3_open", path);
    if (getenv("TLOG_BENCH_WITHOUT_ROWID")) /* the experiment: a clustered (level, idx) key */
        exec(db, "DROP TABLE tlog_hashes; CREATE TABLE tlog_hashes (level INTEGER NOT NULL, "
                 "idx BIGINT NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (level, idx)) "
                 "WITHOUT ROWID");
    exec(db, "PRAGMA synchronous=OFF; PRAGMA cache_size=-262144; BEGIN");
    if (sqlite3_prepare_v2(db, "INSERT INTO tlog_hashes (level, idx, hash) VALUES (?1, ?2, ?3)", -1,
                           &l.ins, NULL) != SQLITE_OK)
        die("prepare", sqlite3_errmsg(db));
    ps_merkle_frontier_init(&f);
    for (uint64_t i = 0; i < n; i++) {
        char e[48];
        struct ps_hash leaf;
        int k = snprintf(e, sizeof e, "{\"v\":1,\"n\":%" PRIu64 "}", i);
        if (k < 0 || (size_t)k >= sizeof e || ps_merkle_leaf_hash(e, (size_t)k, &leaf) != PS_OK ||
            ps_merkle_frontier_append(&f, &leaf, ps_tiles_emit_stored, &te) != PS_OK)
            die("load", sqlite3_errmsg(db));
    }
    if (ps_merkle_frontier_root(&f, root) != PS_OK)
        die("root", "failed");
    exec(db, "COMMIT");
    sqlite3_finalize(l.ins);
    sqlite3_close(db);
}

struct proofs {
    uint64_t n, count;
    struct ps_hash root;
    double *incl_us, *cons_us;
    bool ok;
};

static enum ps_err proofs_tx(struct ps_tx *tx, void *arg)
{
    struct proofs *p = arg;
    struct ps_tlog_provider tp;
    struct ps_merkle_provider prov;
    struct ps_merkle_proof proof;
    struct ps_hash root, leaf;
    ps_tlog_provider_init(&tp, tx, &prov);
    p->ok = ps_merkle_root(&prov, p->n, &root) == PS_OK && ps_hash_eq(&root, &p->root);
    for (uint64_t i = 0; i < p->count; i++) {
        uint64_t idx = ((uint64_t)ps_random_uniform(UINT32_MAX) * 7919u) % p->n;
        double t0 = now_s();
        enum ps_err err = ps_merkle_inclusion_proof(&prov, idx, p->n, &proof);
        p->incl_us[i] = (now_s() - t0) * 1e6;
        if (err)
            return err;
        if (i < 20 &&
            (prov.hashes(prov.ctx, 0, idx, 1, &leaf) != PS_OK ||
             ps_merkle_verify_inclusion(&leaf, idx, p->n, proof.h, proof.len, &root) != PS_OK))
            p->ok = false;
        uint64_t m = 1 + idx % (p->n - 1);
        t0 = now_s();
        err = ps_merkle_consistency_proof(&prov, m, p->n, &proof);
        p->cons_us[i] = (now_s() - t0) * 1e6;
        if (err)
            return err;
    }
    return PS_OK;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(double *v, uint64_t n, double *mean, double *p99)
{
    double sum = 0;
    for (uint64_t i = 0; i < n; i++)
        sum += v[i];
    qsort(v, n, sizeof *v, cmp_d);
    *mean = sum / (double)n;
    *p99 = v[n * 99 / 100];
}

static void bench_proofs(const char *dir, uint64_t n, uint64_t count)
{
    char path[512], url[600];
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    struct proofs p = {n, count, {{0}}, NULL, NULL, false};
    if (snprintf(path, sizeof path, "%s/proof.db", dir) >= (int)sizeof path ||
        snprintf(url, sizeof url, "sqlite:%s", path) >= (int)sizeof url)
        die("path", "too long");
    ps_store_opts_init(&o);
    o.url = url;
    if (ps_store_open(&o, &s, &d) != PS_OK) /* creates the schema */
        die("ps_store_open", d.message);
    ps_store_free(s);
    double t0 = now_s();
    load_hashes(path, n, &p.root);
    double load_s = now_s() - t0;
    o.migrate = false;
    if (ps_store_open(&o, &s, &d) != PS_OK)
        die("ps_store_open", d.message);
    p.incl_us = calloc(count, sizeof *p.incl_us);
    p.cons_us = calloc(count, sizeof *p.cons_us);
    if (!p.incl_us || !p.cons_us)
        die("calloc", "out of memory");
    if (ps_store_read(s, proofs_tx, &p, &d) != PS_OK)
        die("proofs", d.message);
    double im, ip, cm, cp;
    stats(p.incl_us, count, &im, &ip);
    stats(p.cons_us, count, &cm, &cp);
    printf("proofs at %" PRIu64 " entries (tlog_hashes bulk-loaded in %.1f s; store-backed "
           "provider, SQLite, one read transaction, %" PRIu64 " random proofs each):\n",
           n, load_s, count);
    printf("  inclusion proof:   mean %.1f us, p99 %.1f us (target < 1000 us: %s)\n", im, ip,
           ip < 1000 ? "meets" : "below");
    printf("  consistency proof: mean %.1f us, p99 %.1f us\n", cm, cp);
    printf("  proofs verified against the recomputed root: %s\n", p.ok ? "yes" : "NO");
    printf("RESULT proof n=%" PRIu64 " incl_mean_us=%.1f incl_p99_us=%.1f cons_mean_us=%.1f "
           "cons_p99_us=%.1f load_s=%.1f\n",
           n, im, ip, cm, cp, load_s);
    ps_store_free(s);
    free(p.incl_us);
    free(p.cons_us);
}

int main(void)
{
    if (sodium_init() < 0)
        die("sodium_init", "failed");
    int threads = (int)env_u64("TLOG_BENCH_THREADS", 32);
    double secs = (double)env_u64("TLOG_BENCH_SECONDS", 5);
    uint64_t proof_n = env_u64("TLOG_BENCH_PROOF_N", 10000000);
    uint64_t nproofs = env_u64("TLOG_BENCH_PROOFS", 1000);
    const char *base = getenv("TLOG_BENCH_DIR") ? getenv("TLOG_BENCH_DIR") : "/tmp";
    const char *skip = getenv("TLOG_BENCH_SKIP") ? getenv("TLOG_BENCH_SKIP") : "";
    char dir[512];
    if (snprintf(dir, sizeof dir, "%s/ps-tlog-bench-XXXXXX", base) >= (int)sizeof dir ||
        !mkdtemp(dir))
        die("mkdtemp", base);
    if (strcmp(skip, "append") != 0) {
        struct append_result r;
        bench_appends(dir, threads, secs, &r);
        double raw1 = bench_raw(dir, "raw1.db", 1, secs);
        double raw256 = bench_raw(dir, "raw256.db", 256, secs);
        printf("durable appends, %d threads, %.0f s each (ours: the store's durable commit; "
               "peer: WAL, synchronous=FULL):\n",
               threads, secs);
        printf("  ours: ps_access_record in ps_store_write jobs (group commit), integrator on:\n"
               "        %.0f appends/s committed (%" PRIu64 " records, %" PRIu64 " commits, "
               "%.1f per commit)\n"
               "        %.0f appends/s sequenced and checkpointed (tree %" PRIu64 ", %" PRIu64
               " checkpoints)\n",
               r.appends_per_s, r.records, r.commits,
               r.commits ? (double)r.records / (double)r.commits : 0.0, r.sequenced_per_s,
               r.tree_size, r.checkpoints);
        printf("  whole-log verification (ps_tlog_verify, store source): %.0f entries/s\n",
               r.verify_per_s);
        printf("  peer: raw sqlite3 prepared INSERT, 1 row per transaction:    %.0f rows/s\n",
               raw1);
        printf("  peer: raw sqlite3 prepared INSERT, 256 rows per transaction: %.0f rows/s\n",
               raw256);
        printf("  ratio ours/raw(1 per txn) = %.2fx, ours/raw(256 per txn) = %.2fx "
               "(targets: >= 0.5x of raw, >= 20000/s: %s)\n",
               r.appends_per_s / raw1, r.appends_per_s / raw256,
               r.appends_per_s >= 20000 && r.appends_per_s >= 0.5 * raw1 ? "meets" : "below");
        printf("RESULT append threads=%d ours=%.0f sequenced=%.0f raw1=%.0f raw256=%.0f "
               "per_commit=%.1f checkpoints=%" PRIu64 " verify=%.0f\n",
               threads, r.appends_per_s, r.sequenced_per_s, raw1, raw256,
               r.commits ? (double)r.records / (double)r.commits : 0.0, r.checkpoints,
               r.verify_per_s);
        fflush(stdout);
    }
    if (strcmp(skip, "proof") != 0)
        bench_proofs(dir, proof_n, nproofs);
    char cmd[600];
    if (snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) < (int)sizeof cmd && system(cmd) != 0)
        fprintf(stderr, "tlog_bench: could not remove %s\n", dir);
    return 0;
}
