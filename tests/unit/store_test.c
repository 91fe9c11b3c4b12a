/* Unit tests of the store on its SQLite backend: migrations, statements and types, error
 * mapping, group commit (savepoint isolation, batching, retries), per-thread reads, bulk
 * loads beside the committer, online backup, bad urls and allocation failures. Each test
 * works in its own mkdtemp directory. Set PS_STORE_BENCH=1 to print group-commit figures. */
#include <criterion/criterion.h>

#include <ftw.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "store/store.h"
#include "store/store_int.h"

static char dir[64];
static char dbpath[128];
static char url[160];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static void setup(void)
{
    int n = snprintf(dir, sizeof dir, "/tmp/ps_store_XXXXXX");
    cr_assert(n > 0 && (size_t)n < sizeof dir);
    cr_assert_not_null(mkdtemp(dir));
    n = snprintf(dbpath, sizeof dbpath, "%s/ps.db", dir);
    cr_assert(n > 0 && (size_t)n < sizeof dbpath);
    n = snprintf(url, sizeof url, "sqlite:%s", dbpath);
    cr_assert(n > 0 && (size_t)n < sizeof url);
}

static void teardown(void)
{
    nftw(dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(store, .init = setup, .fini = teardown, .timeout = 120);

static struct ps_store *open_store(const char *u, int max_batch)
{
    struct ps_store_opts o;
    struct ps_diag d;
    struct ps_store *s = NULL;
    ps_store_opts_init(&o);
    o.url = u;
    o.max_batch = max_batch;
    enum ps_err err = ps_store_open(&o, &s, &d);
    cr_assert_eq(err, PS_OK, "open %s: %s: %s", u, ps_err_name(err), d.message);
    return s;
}

/* ---- a test table ---- */

static const struct ps_sql sql_create_t = {
    "test.create_t",
    "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, n INTEGER, b BLOB, note TEXT)",
};
static const struct ps_sql sql_insert_t = {
    "test.insert_t", "INSERT INTO t (name, n, b, note) VALUES ($1, $2, $3, $4)",
};
/* placeholders out of order: $N is bound by name, not position */
static const struct ps_sql sql_insert_rev = {
    "test.insert_rev", "INSERT INTO t (n, name) VALUES ($2, $1)",
};
static const struct ps_sql sql_get_t = {
    "test.get_t", "SELECT name, n, b, note FROM t WHERE name = $1",
};
static const struct ps_sql sql_count_t = {"test.count_t", "SELECT count(*) FROM t"};
static const struct ps_sql sql_sum_t = {"test.sum_t", "SELECT COALESCE(SUM(n), 0) FROM t"};

static enum ps_err create_t(struct ps_tx *tx, void *ctx)
{
    (void)ctx;
    return ps_tx_exec(tx, &sql_create_t);
}

static void make_t(struct ps_store *s)
{
    struct ps_diag d;
    enum ps_err err = ps_store_write(s, create_t, NULL, &d);
    cr_assert_eq(err, PS_OK, "%s", d.message);
}

struct row {
    struct ps_str name;
    int64_t n;
    const void *b;
    size_t blen;
    bool b_null;
    bool note_null;
};

static enum ps_err insert_row(struct ps_tx *tx, const struct row *r)
{
    struct ps_stmt *st;
    bool more;
    enum ps_err err = ps_tx_prepare(tx, &sql_insert_t, &st);
    if (err != PS_OK)
        return err;
    err = ps_stmt_bind_text(st, 1, r->name);
    if (err == PS_OK)
        err = ps_stmt_bind_i64(st, 2, r->n);
    if (err == PS_OK)
        err = r->b_null ? ps_stmt_bind_null(st, 3) : ps_stmt_bind_blob(st, 3, r->b, r->blen);
    if (err == PS_OK)
        err = r->note_null ? ps_stmt_bind_null(st, 4)
                           : ps_stmt_bind_text(st, 4, PS_STR("note"));
    if (err == PS_OK)
        err = ps_stmt_step(st, &more);
    ps_stmt_done(st);
    return err;
}

static enum ps_err insert_named(struct ps_tx *tx, void *ctx)
{
    struct row r = {.name = ps_str_from_cstr(ctx), .n = 1, .b_null = true, .note_null = true};
    return insert_row(tx, &r);
}

static enum ps_err count_fn(struct ps_tx *tx, void *ctx)
{
    struct ps_stmt *st;
    bool row;
    enum ps_err err = ps_tx_prepare(tx, &sql_count_t, &st);
    if (err != PS_OK)
        return err;
    err = ps_stmt_step(st, &row);
    if (err == PS_OK && row)
        *(int64_t *)ctx = ps_stmt_i64(st, 0);
    ps_stmt_done(st);
    return err;
}

static int64_t count_rows(struct ps_store *s)
{
    int64_t n = -1;
    struct ps_diag d;
    enum ps_err err = ps_store_read(s, count_fn, &n, &d);
    cr_assert_eq(err, PS_OK, "%s", d.message);
    return n;
}

static bool has_name(struct ps_store *s, const char *name);

static int newest_known(void)
{
    cr_assert_gt(ps_migrations_sqlite_count, 0);
    return ps_migrations_sqlite[ps_migrations_sqlite_count - 1].version;
}

/* ---- migrations ---- */

struct mig_row {
    int64_t version;
    char name[32];
    char applied_at[32];
    int rows;
};

static const struct ps_sql sql_migs = {
    "test.migs", "SELECT version, name, applied_at FROM schema_migrations ORDER BY version",
};

static enum ps_err read_migs(struct ps_tx *tx, void *ctx)
{
    struct mig_row *m = ctx;
    struct ps_stmt *st;
    bool row = true;
    enum ps_err err = ps_tx_prepare(tx, &sql_migs, &st);
    while (err == PS_OK) {
        err = ps_stmt_step(st, &row);
        if (err != PS_OK || !row)
            break;
        if (m->rows++ == 0) {
            m->version = ps_stmt_i64(st, 0);
            cr_assert_eq(ps_str_copy(m->name, sizeof m->name, ps_stmt_text(st, 1)), PS_OK);
            cr_assert_eq(ps_str_copy(m->applied_at, sizeof m->applied_at, ps_stmt_text(st, 2)),
                         PS_OK);
        }
    }
    ps_stmt_done(st);
    return err;
}

static const struct ps_sql sql_meta_put = {
    "test.meta_put", "INSERT INTO meta (key, value) VALUES ($1, $2)",
};

static enum ps_err meta_put(struct ps_tx *tx, void *ctx)
{
    struct ps_stmt *st;
    bool row;
    (void)ctx;
    enum ps_err err = ps_tx_prepare(tx, &sql_meta_put, &st);
    if (err == PS_OK)
        err = ps_stmt_bind_text(st, 1, PS_STR("instance"));
    if (err == PS_OK)
        err = ps_stmt_bind_text(st, 2, PS_STR("test"));
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return err;
}

Test(store, migrations_applied_and_recorded)
{
    struct ps_diag d;
    int applied = -1, known = -1;
    struct ps_store *s = open_store(url, 256);
    cr_assert_eq(ps_store_backend(s), PS_STORE_SQLITE);
    cr_assert_eq(ps_store_schema_version(s, &applied, &known, &d), PS_OK, "%s", d.message);
    cr_assert_eq(known, newest_known());
    cr_assert_eq(applied, known);
    cr_assert(ps_store_ready(s));

    struct mig_row m = {0};
    cr_assert_eq(ps_store_read(s, read_migs, &m, &d), PS_OK, "%s", d.message);
    cr_assert_eq(m.rows, (int)ps_migrations_sqlite_count);
    cr_assert_eq(m.version, 1);
    cr_assert_str_eq(m.name, "core");
    cr_assert_eq(strlen(m.applied_at), 24, "applied_at %s", m.applied_at);
    /* 0001_core made the meta table */
    cr_assert_eq(ps_store_write(s, meta_put, NULL, &d), PS_OK, "%s", d.message);
    ps_store_free(s);

    /* reopening applies nothing twice */
    s = open_store(url, 256);
    m = (struct mig_row){0};
    cr_assert_eq(ps_store_read(s, read_migs, &m, &d), PS_OK, "%s", d.message);
    cr_assert_eq(m.rows, (int)ps_migrations_sqlite_count);
    ps_store_free(s);
}

Test(store, without_migrate_not_ready)
{
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d;
    int applied = -1, known = -1;
    ps_store_opts_init(&o);
    o.url = dbpath; /* a bare path works too */
    o.migrate = false;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_schema_version(s, &applied, &known, &d), PS_OK, "%s", d.message);
    cr_assert_eq(applied, 0);
    cr_assert_not(ps_store_ready(s));
    ps_store_free(s);
}

static const struct ps_sql sql_future = {
    "test.future",
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, 'future', 'x')",
};

static enum ps_err add_future(struct ps_tx *tx, void *ctx)
{
    struct ps_stmt *st;
    bool row;
    enum ps_err err = ps_tx_prepare(tx, &sql_future, &st);
    if (err == PS_OK)
        err = ps_stmt_bind_i64(st, 1, *(int *)ctx);
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return err;
}

Test(store, newer_schema_refused)
{
    struct ps_diag d;
    struct ps_store *s = open_store(url, 256);
    int future = newest_known() + 3;
    cr_assert_eq(ps_store_write(s, add_future, &future, &d), PS_OK, "%s", d.message);
    cr_assert_not(ps_store_ready(s));
    ps_store_free(s);

    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = url;
    s = NULL;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_ERR_VERSION);
    cr_assert_null(s);
    char want[128];
    int n = snprintf(want, sizeof want,
                     "database schema %d is newer than this pocketstate (knows %d); "
                     "upgrade pocketstate", future, newest_known());
    cr_assert(n > 0 && (size_t)n < sizeof want);
    cr_assert_str_eq(d.message, want);
    o.migrate = false; /* refused whether or not it would migrate */
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_ERR_VERSION);
}

/* ---- statements and types ---- */

static const char tricky[] = "O'Brien \"Ще\" ; DROP TABLE t; -- Їжак ґудзик 日本 \xF0\x9F\x87\xBA\xF0\x9F\x87\xA6";
static const unsigned char blob[] = {0x00, 0x01, 0xff, 0x00, 0x7f, 0x27, 0x22, 0x00};

static enum ps_err insert_types(struct ps_tx *tx, void *ctx)
{
    (void)ctx;
    struct row rows[] = {
        {PS_STR(tricky), INT64_MAX, blob, sizeof blob, false, true},
        {PS_STR("min"), INT64_MIN, NULL, 0, true, false},
        {PS_STR("empty-blob"), 0, "", 0, false, false},
        {PS_STR(""), -1, NULL, 0, true, true},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        enum ps_err err = insert_row(tx, &rows[i]);
        if (err != PS_OK)
            return err;
    }
    struct ps_stmt *st;
    bool row;
    enum ps_err err = ps_tx_prepare(tx, &sql_insert_rev, &st);
    if (err == PS_OK)
        err = ps_stmt_bind_text(st, 1, PS_STR("rev"));
    if (err == PS_OK)
        err = ps_stmt_bind_i64(st, 2, 42);
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    if (err == PS_OK)
        cr_assert_eq(ps_tx_changes(tx), 1);
    return err;
}

struct got {
    const char *name;
    bool found;
    char text[256];
    size_t text_len;
    int64_t n;
    unsigned char b[16];
    size_t blen;
    bool b_null, note_null;
};

static enum ps_err get_fn(struct ps_tx *tx, void *ctx)
{
    struct got *g = ctx;
    struct ps_stmt *st;
    bool row;
    enum ps_err err = ps_tx_prepare(tx, &sql_get_t, &st);
    if (err == PS_OK)
        err = ps_stmt_bind_text(st, 1, ps_str_from_cstr(g->name));
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    if (err == PS_OK && row) {
        g->found = true;
        struct ps_str t = ps_stmt_text(st, 0);
        cr_assert_lt(t.len, sizeof g->text);
        memcpy(g->text, t.p, t.len);
        g->text_len = t.len;
        g->n = ps_stmt_i64(st, 1);
        g->b_null = ps_stmt_is_null(st, 2);
        struct ps_str b = ps_stmt_blob(st, 2);
        cr_assert_leq(b.len, sizeof g->b);
        memcpy(g->b, b.p, b.len);
        g->blen = b.len;
        g->note_null = ps_stmt_is_null(st, 3);
        struct ps_str note = ps_stmt_text(st, 3);
        if (g->note_null)
            cr_assert_eq(note.len, 0);
        else
            cr_assert(ps_str_eq_cstr(note, "note"));
        cr_assert_eq(ps_stmt_step(st, &row), PS_OK);
        cr_assert_not(row);
    }
    ps_stmt_done(st);
    return err;
}

static struct got get_row(struct ps_store *s, const char *name)
{
    struct got g = {.name = name};
    struct ps_diag d;
    cr_assert_eq(ps_store_read(s, get_fn, &g, &d), PS_OK, "%s", d.message);
    return g;
}

static bool has_name(struct ps_store *s, const char *name)
{
    return get_row(s, name).found;
}

Test(store, bind_step_column_types)
{
    struct ps_diag d;
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    cr_assert_eq(ps_store_write(s, insert_types, NULL, &d), PS_OK, "%s", d.message);

    struct got g = get_row(s, tricky);
    cr_assert(g.found);
    cr_assert_eq(g.text_len, strlen(tricky));
    cr_assert_eq(memcmp(g.text, tricky, g.text_len), 0);
    cr_assert_eq(g.n, INT64_MAX);
    cr_assert_not(g.b_null);
    cr_assert_eq(g.blen, sizeof blob);
    cr_assert_eq(memcmp(g.b, blob, sizeof blob), 0);
    cr_assert(g.note_null);

    g = get_row(s, "min");
    cr_assert_eq(g.n, INT64_MIN);
    cr_assert(g.b_null);
    cr_assert_eq(g.blen, 0);
    cr_assert_not(g.note_null);

    g = get_row(s, "empty-blob");
    cr_assert_not(g.b_null, "a zero-length blob is not NULL");
    cr_assert_eq(g.blen, 0);

    g = get_row(s, "");
    cr_assert(g.found);
    cr_assert_eq(g.text_len, 0);
    cr_assert_eq(g.n, -1);

    g = get_row(s, "rev");
    cr_assert_eq(g.n, 42);
    cr_assert_eq(count_rows(s), 5, "the DROP TABLE inside a value did nothing");
    ps_store_free(s);
}

static const struct ps_sql sql_qmark = {"test.qmark", "SELECT * FROM t WHERE name = ?"};
static const struct ps_sql sql_bad = {"test.bad", "SELEKT nonsense"};

static enum ps_err misuse_fn(struct ps_tx *tx, void *ctx)
{
    struct ps_stmt *st;
    (void)ctx;
    cr_assert_eq(ps_tx_prepare(tx, &sql_qmark, &st), PS_ERR_INVALID);
    cr_assert(strstr(ps_tx_errmsg(tx), "test.qmark"), "%s", ps_tx_errmsg(tx));
    cr_assert_eq(ps_tx_prepare(tx, &sql_bad, &st), PS_ERR_INVALID);
    cr_assert_eq(ps_tx_prepare(tx, &sql_get_t, &st), PS_OK);
    cr_assert_eq(ps_stmt_bind_text(st, 2, PS_STR("x")), PS_ERR_INVALID);
    cr_assert_eq(ps_stmt_bind_i64(st, 0, 1), PS_ERR_INVALID);
    /* the same definition twice at once: the second is prepared beside the cached one */
    struct ps_stmt *st2;
    cr_assert_eq(ps_tx_prepare(tx, &sql_get_t, &st2), PS_OK);
    cr_assert_neq(st, st2);
    ps_stmt_done(st2);
    /* st is left held on purpose: the end of the transaction releases it */
    return PS_OK;
}

static enum ps_err write_in_read(struct ps_tx *tx, void *ctx)
{
    return insert_named(tx, ctx);
}

Test(store, statement_misuse_and_read_only)
{
    struct ps_diag d;
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    cr_assert_eq(ps_store_read(s, misuse_fn, NULL, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_read(s, misuse_fn, NULL, &d), PS_OK, "%s", d.message);
    enum ps_err err = ps_store_read(s, write_in_read, "nope", &d);
    cr_assert_neq(err, PS_OK);
    cr_assert(!has_name(s, "nope"));
    ps_store_free(s);
}

/* ---- errors and group commit ---- */

Test(store, unique_violation_is_exists)
{
    struct ps_diag d;
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    cr_assert_eq(ps_store_write(s, insert_named, "dup", &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_write(s, insert_named, "dup", &d), PS_ERR_EXISTS);
    cr_assert(strstr(d.message, "UNIQUE"), "%s", d.message);
    cr_assert(strstr(d.message, "test.insert_t"), "%s", d.message);
    cr_assert_eq(count_rows(s), 1);
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.job_failures, 1);
    ps_store_free(s);
}

struct gate_ctx {
    sem_t entered, release;
};

static enum ps_err blocker_fn(struct ps_tx *tx, void *ctx)
{
    struct gate_ctx *g = ctx;
    sem_post(&g->entered);
    while (sem_wait(&g->release) != 0)
        ;
    return insert_named(tx, "blocker");
}

struct waited {
    sem_t sem;
};

static void post_done(struct ps_store_job *job)
{
    sem_post(&((struct waited *)job->done_ctx)->sem);
}

static enum ps_err insert_then_fail(struct ps_tx *tx, void *ctx)
{
    enum ps_err err = insert_named(tx, ctx);
    cr_assert_eq(err, PS_OK);
    return PS_ERR_NOTFOUND; /* a domain failure after a write: the write must vanish */
}

/* Holds the committer inside one job while three more queue up, so they form one batch. */
Test(store, failed_job_rolls_back_alone)
{
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    struct ps_store_stats before, after;
    ps_store_stats(s, &before);

    struct gate_ctx g;
    struct waited w;
    sem_init(&g.entered, 0, 0);
    sem_init(&g.release, 0, 0);
    sem_init(&w.sem, 0, 0);
    struct ps_store_job jobs[5] = {
        {.fn = blocker_fn, .ctx = &g},
        {.fn = insert_named, .ctx = "b"},
        {.fn = insert_then_fail, .ctx = "c"},
        {.fn = insert_named, .ctx = "b"}, /* duplicate of a batch-mate: EXISTS, alone */
        {.fn = insert_named, .ctx = "d"},
    };
    for (int i = 0; i < 5; i++) {
        jobs[i].done = post_done;
        jobs[i].done_ctx = &w;
    }
    cr_assert_eq(ps_store_submit(s, &jobs[0]), PS_OK);
    while (sem_wait(&g.entered) != 0)
        ;
    for (int i = 1; i < 5; i++)
        cr_assert_eq(ps_store_submit(s, &jobs[i]), PS_OK);
    ps_store_stats(s, &after);
    cr_assert_eq(after.queue_depth, 4);
    sem_post(&g.release);
    for (int i = 0; i < 5; i++)
        while (sem_wait(&w.sem) != 0)
            ;
    cr_assert_eq(jobs[0].result, PS_OK);
    cr_assert_eq(jobs[1].result, PS_OK);
    cr_assert_eq(jobs[2].result, PS_ERR_NOTFOUND);
    cr_assert_eq(jobs[2].diag.code, PS_ERR_NOTFOUND);
    cr_assert_eq(jobs[3].result, PS_ERR_EXISTS);
    cr_assert_eq(jobs[4].result, PS_OK);
    cr_assert(has_name(s, "blocker"));
    cr_assert(has_name(s, "b"));
    cr_assert_not(has_name(s, "c"));
    cr_assert(has_name(s, "d"));
    cr_assert_eq(count_rows(s), 3);

    ps_store_stats(s, &after);
    cr_assert_eq(after.commits - before.commits, 2, "the blocker alone, then one batch of 4");
    cr_assert_eq(after.jobs - before.jobs, 3);
    cr_assert_eq(after.job_failures - before.job_failures, 2);
    cr_assert_eq(after.queue_depth, 0);
    ps_store_free(s);
    sem_destroy(&g.entered);
    sem_destroy(&g.release);
    sem_destroy(&w.sem);
}

struct flaky {
    atomic_int calls;
    int fail_first;
};

static enum ps_err flaky_fn(struct ps_tx *tx, void *ctx)
{
    struct flaky *f = ctx;
    int call = atomic_fetch_add(&f->calls, 1);
    if (call < f->fail_first)
        return PS_ERR_CONFLICT;
    return insert_named(tx, "flaky");
}

Test(store, conflict_is_retried_bounded)
{
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d;
    ps_store_opts_init(&o);
    o.url = url;
    o.max_retries = 3;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    make_t(s);

    struct flaky f = {.fail_first = 2};
    cr_assert_eq(ps_store_write(s, flaky_fn, &f, &d), PS_OK, "%s", d.message);
    cr_assert_eq(atomic_load(&f.calls), 3);
    cr_assert(has_name(s, "flaky"));
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.retries, 2);

    struct flaky always = {.fail_first = 1000};
    cr_assert_eq(ps_store_write(s, flaky_fn, &always, &d), PS_ERR_CONFLICT);
    cr_assert_eq(atomic_load(&always.calls), 1 + o.max_retries);
    ps_store_free(s);
}

/* Another process (here: a raw connection) holds the write lock: BEGIN IMMEDIATE times out
 * with SQLITE_BUSY, which maps to PS_ERR_CONFLICT and is retried a bounded number of times. */
Test(store, busy_database_is_conflict)
{
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d;
    ps_store_opts_init(&o);
    o.url = url;
    o.busy_timeout_ms = 20;
    o.max_retries = 2;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    make_t(s);
    sqlite3 *other = NULL;
    cr_assert_eq(sqlite3_open(dbpath, &other), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
    cr_assert_eq(ps_store_write(s, insert_named, "blocked", &d), PS_ERR_CONFLICT);
    cr_assert(strstr(d.message, "locked"), "%s", d.message);
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.retries, 2);
    cr_assert_eq(sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    cr_assert_eq(ps_store_write(s, insert_named, "free", &d), PS_OK, "%s", d.message);
    cr_assert_eq(count_rows(s), 1);
    ps_store_free(s);
}

/* ---- many writers, readers on their own connections ---- */

#define WRITERS 8
#define PER_WRITER 300

struct writer_arg {
    struct ps_store *s;
    int id;
    int failures;
};

static const struct ps_sql sql_insert_n = {
    "test.insert_n", "INSERT INTO t (name, n) VALUES ($1, $2)",
};

struct named_n {
    char name[32];
    int64_t n;
};

static enum ps_err insert_n(struct ps_tx *tx, void *ctx)
{
    struct named_n *v = ctx;
    struct ps_stmt *st;
    bool row;
    enum ps_err err = ps_tx_prepare(tx, &sql_insert_n, &st);
    if (err == PS_OK)
        err = ps_stmt_bind_text(st, 1, ps_str_from_cstr(v->name));
    if (err == PS_OK)
        err = ps_stmt_bind_i64(st, 2, v->n);
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return err;
}

struct counted {
    atomic_int ok, failed;
};

static void count_done(struct ps_store_job *job)
{
    struct counted *c = job->done_ctx;
    atomic_fetch_add(job->result == PS_OK ? &c->ok : &c->failed, 1);
}

Test(store, free_drains_queue)
{
    enum { N = 500 };
    struct ps_store *s = open_store(url, 64);
    make_t(s);
    static struct ps_store_job jobs[N];
    static struct named_n vals[N];
    struct counted c = {0};
    for (int i = 0; i < N; i++) {
        int n = snprintf(vals[i].name, sizeof vals[i].name, "q%d", i);
        cr_assert(n > 0 && (size_t)n < sizeof vals[i].name);
        jobs[i] = (struct ps_store_job){.fn = insert_n, .ctx = &vals[i], .done = count_done,
                                        .done_ctx = &c};
        cr_assert_eq(ps_store_submit(s, &jobs[i]), PS_OK);
    }
    ps_store_free(s); /* every queued job still commits and is reported */
    cr_assert_eq(atomic_load(&c.ok), N);
    cr_assert_eq(atomic_load(&c.failed), 0);
    s = open_store(url, 64);
    cr_assert_eq(count_rows(s), N);
    ps_store_free(s);
}

static void *writer_main(void *p)
{
    struct writer_arg *a = p;
    for (int i = 0; i < PER_WRITER; i++) {
        struct named_n v = {.n = 1};
        int n = snprintf(v.name, sizeof v.name, "w%d-%d", a->id, i);
        cr_assert(n > 0 && (size_t)n < sizeof v.name);
        struct ps_diag d;
        if (ps_store_write(a->s, insert_n, &v, &d) != PS_OK)
            a->failures++;
        if (i % 50 == 0)
            (void)count_rows(a->s); /* reads on this thread's own connection meanwhile */
    }
    return NULL;
}

Test(store, many_threads_batch)
{
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    struct ps_store_stats before, after;
    ps_store_stats(s, &before);
    pthread_t th[WRITERS];
    struct writer_arg args[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        args[i] = (struct writer_arg){.s = s, .id = i};
        cr_assert_eq(pthread_create(&th[i], NULL, writer_main, &args[i]), 0);
    }
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(args[i].failures, 0);
    }
    ps_store_stats(s, &after);
    uint64_t jobs = after.jobs - before.jobs, commits = after.commits - before.commits;
    cr_assert_eq(jobs, WRITERS * PER_WRITER);
    cr_assert_lt(commits, jobs, "group commit batched: %llu commits for %llu jobs",
                 (unsigned long long)commits, (unsigned long long)jobs);
    cr_assert_eq(count_rows(s), WRITERS * PER_WRITER);
    cr_assert_geq(after.reads, 1);
    ps_store_free(s);
}

struct reader_arg {
    struct ps_store *s;
    int64_t seen;
};

static void *reader_main(void *p)
{
    struct reader_arg *a = p;
    a->seen = count_rows(a->s);
    return NULL;
}

Test(store, read_sees_committed_from_other_threads)
{
    struct ps_diag d;
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    cr_assert_eq(count_rows(s), 0);
    cr_assert_eq(ps_store_write(s, insert_named, "x", &d), PS_OK, "%s", d.message);
    cr_assert_eq(count_rows(s), 1, "this thread's connection sees the commit");
    /* threads come and go: a new one sees it too, and may reuse an exited one's connection */
    for (int i = 0; i < 3; i++) {
        struct reader_arg a = {.s = s, .seen = -1};
        pthread_t t;
        cr_assert_eq(pthread_create(&t, NULL, reader_main, &a), 0);
        pthread_join(t, NULL);
        cr_assert_eq(a.seen, 1);
    }
    ps_store_free(s);
}

/* ---- bulk loads beside the committer ---- */

#define BULK_ROWS 20000

static enum ps_err bulk_fn(struct ps_tx *tx, void *ctx)
{
    struct ps_stmt *st;
    bool row;
    int fail_at = ctx ? *(int *)ctx : -1;
    enum ps_err err = ps_tx_prepare(tx, &sql_insert_n, &st);
    for (int i = 0; err == PS_OK && i < BULK_ROWS; i++) {
        char name[32];
        int n = snprintf(name, sizeof name, "bulk-%d", i);
        cr_assert(n > 0 && (size_t)n < sizeof name);
        if (i == fail_at)
            err = PS_ERR_INVALID;
        if (err == PS_OK)
            err = ps_stmt_bind_text(st, 1, ps_str_from_cstr(name));
        if (err == PS_OK)
            err = ps_stmt_bind_i64(st, 2, i);
        if (err == PS_OK)
            err = ps_stmt_step(st, &row);
        ps_stmt_reset(st);
    }
    ps_stmt_done(st);
    return err;
}

struct bulk_arg {
    struct ps_store *s;
    enum ps_err err;
};

static void *bulk_main(void *p)
{
    struct bulk_arg *a = p;
    struct ps_diag d;
    a->err = ps_store_bulk(a->s, bulk_fn, NULL, &d);
    return NULL;
}

Test(store, bulk_beside_committer)
{
    struct ps_diag d;
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    int fail_at = BULK_ROWS / 2;
    cr_assert_eq(ps_store_bulk(s, bulk_fn, &fail_at, &d), PS_ERR_INVALID);
    cr_assert_eq(count_rows(s), 0, "a failed bulk load leaves nothing");

    struct bulk_arg a = {.s = s, .err = PS_ERR_INTERNAL};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, bulk_main, &a), 0);
    for (int i = 0; i < 50; i++) {
        struct named_n v = {.n = 0};
        int n = snprintf(v.name, sizeof v.name, "job-%d", i);
        cr_assert(n > 0 && (size_t)n < sizeof v.name);
        cr_assert_eq(ps_store_write(s, insert_n, &v, &d), PS_OK, "%s", d.message);
    }
    pthread_join(t, NULL);
    cr_assert_eq(a.err, PS_OK);
    cr_assert_eq(count_rows(s), BULK_ROWS + 50);
    /* the bulk thread's connection is read-only again */
    cr_assert_neq(ps_store_read(s, write_in_read, "after-bulk", &d), PS_OK);
    ps_store_free(s);
}

/* ---- backup ---- */

static enum ps_err sum_fn(struct ps_tx *tx, void *ctx)
{
    struct ps_stmt *st;
    bool row;
    enum ps_err err = ps_tx_prepare(tx, &sql_sum_t, &st);
    if (err == PS_OK)
        err = ps_stmt_step(st, &row);
    if (err == PS_OK && row)
        *(int64_t *)ctx = ps_stmt_i64(st, 0);
    ps_stmt_done(st);
    return err;
}

struct churn {
    struct ps_store *s;
    atomic_bool stop;
    int done;
};

static void *churn_main(void *p)
{
    struct churn *c = p;
    while (!atomic_load(&c->stop)) {
        struct named_n v = {.n = 1};
        int n = snprintf(v.name, sizeof v.name, "churn-%d", c->done);
        cr_assert(n > 0 && (size_t)n < sizeof v.name);
        struct ps_diag d;
        cr_assert_eq(ps_store_write(c->s, insert_n, &v, &d), PS_OK, "%s", d.message);
        c->done++;
    }
    return NULL;
}

Test(store, backup_is_consistent_copy)
{
    struct ps_diag d;
    char bpath[160], burl[170];
    cr_assert_lt((size_t)snprintf(bpath, sizeof bpath, "%s/backup.db", dir), sizeof bpath);
    cr_assert_lt((size_t)snprintf(burl, sizeof burl, "sqlite:%s", bpath), sizeof burl);
    struct ps_store *s = open_store(url, 256);
    make_t(s);
    cr_assert_eq(ps_store_write(s, insert_types, NULL, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_bulk(s, bulk_fn, NULL, &d), PS_OK, "%s", d.message);
    int64_t rows = count_rows(s), sum = 0, bsum = 0;
    cr_assert_eq(ps_store_read(s, sum_fn, &sum, &d), PS_OK);

    cr_assert_eq(ps_store_backup(s, dbpath, &d), PS_ERR_INVALID, "not onto the live file");
    cr_assert_eq(ps_store_backup(s, bpath, &d), PS_OK, "%s", d.message);
    struct ps_store *b = open_store(burl, 256);
    cr_assert_eq(count_rows(b), rows);
    cr_assert_eq(ps_store_read(b, sum_fn, &bsum, &d), PS_OK);
    cr_assert_eq(bsum, sum);
    struct got g = get_row(b, tricky);
    cr_assert_eq(g.blen, sizeof blob);
    cr_assert_eq(memcmp(g.b, blob, sizeof blob), 0);
    ps_store_free(b);

    /* while writes continue: the copy holds a whole number of committed jobs */
    struct churn c = {.s = s};
    pthread_t t;
    cr_assert_eq(pthread_create(&t, NULL, churn_main, &c), 0);
    usleep(20000);
    cr_assert_eq(ps_store_backup(s, bpath, &d), PS_OK, "%s", d.message);
    atomic_store(&c.stop, true);
    pthread_join(t, NULL);
    b = open_store(burl, 256);
    int64_t brows = count_rows(b);
    cr_assert_geq(brows, rows);
    cr_assert_leq(brows, rows + c.done);
    cr_assert_eq(ps_store_read(b, sum_fn, &bsum, &d), PS_OK);
    cr_assert_eq(bsum - sum, brows - rows, "every churn row counted once");
    ps_store_free(b);
    ps_store_free(s);
}

/* ---- opening: bad urls, missing files, allocation failures ---- */

static enum ps_err try_open(const char *u, bool create, struct ps_diag *d)
{
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    ps_store_opts_init(&o);
    o.url = u;
    o.create = create;
    enum ps_err err = ps_store_open(&o, &s, d);
    if (err == PS_OK)
        ps_store_free(s);
    else
        cr_assert_null(s);
    return err;
}

Test(store, bad_urls)
{
    struct ps_diag d;
    cr_assert_eq(try_open("", true, &d), PS_ERR_INVALID);
    cr_assert_eq(try_open(NULL, true, &d), PS_ERR_INVALID);
    cr_assert_eq(try_open("mysql://localhost/x", true, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "unknown store url"), "%s", d.message);
    cr_assert_eq(try_open("sqlite:", true, &d), PS_ERR_INVALID);
    cr_assert_eq(try_open(":memory:", true, &d), PS_ERR_INVALID);
    cr_assert_eq(try_open("sqlite:file:x.db?mode=memory", true, &d), PS_ERR_INVALID);
    /* PostgreSQL: nothing listens on port 1 */
    enum ps_err pg = try_open("postgresql://127.0.0.1:1/ps?connect_timeout=2", true, &d);
    cr_assert(pg == PS_ERR_UNAVAILABLE || pg == PS_ERR_INVALID, "%s: %s", ps_err_name(pg),
              d.message);
    cr_assert_eq(try_open("sqlite:/nonexistent-dir/x/ps.db", true, &d), PS_ERR_UNAVAILABLE);
    cr_assert_eq(try_open(url, false, &d), PS_ERR_UNAVAILABLE, "create=false, no file");

    struct ps_store_opts o;
    struct ps_store *s = NULL;
    ps_store_opts_init(&o);
    o.url = url;
    o.max_batch = 0;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_ERR_INVALID);
    o.max_batch = 1;
    o.committers = 0;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_ERR_INVALID);

    /* a file that is not a database */
    FILE *f = fopen(dbpath, "w");
    cr_assert_not_null(f);
    fputs("this is not an SQLite database, it is a text file long enough to have a header\n",
          f);
    fclose(f);
    enum ps_err err = try_open(url, true, &d);
    cr_assert(err == PS_ERR_STORE || err == PS_ERR_UNAVAILABLE, "%s", ps_err_name(err));
}

Test(store, open_survives_allocation_failures)
{
    struct ps_diag d;
    /* first a fresh database (migrations run), then an existing one */
    for (int pass = 0; pass < 2; pass++) {
        long n;
        for (n = 0; n < 10000; n++) {
            struct ps_store_opts o;
            struct ps_store *s = NULL;
            ps_store_opts_init(&o);
            o.url = url;
            ps_alloc_fail_after(n);
            enum ps_err err = ps_store_open(&o, &s, &d);
            ps_alloc_fail_reset();
            if (err == PS_OK) {
                cr_assert(ps_store_ready(s));
                ps_store_free(s);
                break;
            }
            cr_assert_null(s);
            cr_assert_eq(err, PS_ERR_NOMEM, "after %ld allocations: %s: %s", n,
                         ps_err_name(err), d.message);
        }
        cr_assert_gt(n, 0);
        cr_assert_lt(n, 10000);
    }
}

/* ---- measurement (not a test of speed: prints only) ---- */

struct bench_arg {
    struct ps_store *s;
    int id, jobs;
};

static void *bench_main(void *p)
{
    struct bench_arg *a = p;
    for (int i = 0; i < a->jobs; i++) {
        struct named_n v = {.n = 1};
        int n = snprintf(v.name, sizeof v.name, "b%d-%d", a->id, i);
        cr_assert(n > 0 && (size_t)n < sizeof v.name);
        struct ps_diag d;
        cr_assert_eq(ps_store_write(a->s, insert_n, &v, &d), PS_OK, "%s", d.message);
    }
    return NULL;
}

static double bench_run(const char *u, int max_batch, int threads, int per_thread,
                        struct ps_store_stats *st)
{
    struct ps_store *s = open_store(u, max_batch);
    make_t(s);
    pthread_t th[64];
    struct bench_arg args[64];
    cr_assert_leq(threads, 64);
    int64_t t0 = ps_clock_mono_ns();
    for (int i = 0; i < threads; i++) {
        args[i] = (struct bench_arg){.s = s, .id = i, .jobs = per_thread};
        cr_assert_eq(pthread_create(&th[i], NULL, bench_main, &args[i]), 0);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    int64_t t1 = ps_clock_mono_ns();
    ps_store_stats(s, st);
    cr_assert_eq(count_rows(s), (int64_t)threads * per_thread);
    ps_store_free(s);
    return (double)threads * per_thread / ((double)(t1 - t0) / 1e9);
}

Test(store, bench_group_commit)
{
    if (!getenv("PS_STORE_BENCH"))
        return;
    char u1[170], u2[170];
    cr_assert_lt((size_t)snprintf(u1, sizeof u1, "sqlite:%s/b256.db", dir), sizeof u1);
    cr_assert_lt((size_t)snprintf(u2, sizeof u2, "sqlite:%s/b1.db", dir), sizeof u2);
    struct ps_store_stats a, b;
    double batched = bench_run(u1, 256, 64, 100, &a);
    double single = bench_run(u2, 1, 64, 20, &b);
    fprintf(stderr,
            "store bench: 64 submitters, small insert each\n"
            "  max_batch=256: %8.0f jobs/s  (%llu jobs, %llu commits, %.2f ms/commit)\n"
            "  max_batch=1:   %8.0f jobs/s  (%llu jobs, %llu commits, %.2f ms/commit)\n"
            "  ratio: %.1fx\n",
            batched, (unsigned long long)a.jobs, (unsigned long long)a.commits,
            a.commits ? (double)a.commit_ns_total / (double)a.commits / 1e6 : 0.0, single,
            (unsigned long long)b.jobs, (unsigned long long)b.commits,
            b.commits ? (double)b.commit_ns_total / (double)b.commits / 1e6 : 0.0,
            batched / single);
}
