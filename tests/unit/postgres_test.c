/* The PostgreSQL backend through its vtable, against a real server (PS_TEST_DB; skipped when
 * unset): types round-trip, SQLSTATE mapping from real errors, savepoints, a failed
 * transaction's COMMIT, reconnection with statements re-prepared after a lost session, and a
 * COMMIT whose reply is lost (committed and confirmed durable, rolled back, or unknown: no
 * answer, another server, a failed durability barrier, no probe; faults from pg_fault.h). */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>

#include "pg_helper.h"
#include "tx_helper.h"
#include "store/pg_fault.h"
#include "store/store.h"
#include "store/store_int.h"

static const struct ps_backend *be = &ps_backend_postgres;
static char url[512], schema[64];

static void setup(void)
{
    if (!ps_test_pg_base())
        cr_skip_test("PS_TEST_DB is not a postgresql:// url");
    cr_assert(ps_test_pg_fresh(url, sizeof url, schema));
}

static void teardown(void)
{
    if (schema[0])
        ps_test_pg_drop(schema);
}

static struct ps_conn *conn_open(int statement_timeout_ms, int lock_timeout_ms)
{
    struct ps_store_opts o = {.url = url,
                              .busy_timeout_ms = lock_timeout_ms,
                              .statement_timeout_ms = statement_timeout_ms};
    struct ps_conn *c = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(be->check_target(url, &d), PS_OK, "%s", d.message);
    cr_assert_eq(be->open(NULL, url, &o, true, &c, &d), PS_OK, "%s", d.message);
    return c;
}

/* Prepares, runs to completion, finalizes; returns the step's error. */
static enum ps_err exec1(struct ps_conn *c, const struct ps_sql *def)
{
    char err[256] = "";
    struct ps_stmt *st = NULL;
    enum ps_err e = be->prepare(c, def, &st, err);
    if (e != PS_OK)
        return e;
    bool row = true;
    while (e == PS_OK && row)
        e = be->step(st, &row, err);
    be->finalize(st);
    return e;
}

static void script(struct ps_conn *c, const char *sql)
{
    char err[256] = "";
    cr_assert_eq(be->exec_script(c, sql, err), PS_OK, "%s: %s", sql, err);
}

static const struct ps_sql create_t = {
    "create_t", "CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT NOT NULL CHECK (name <> ''),"
                " data BYTEA, n BIGINT)"};
static const struct ps_sql ins_t = {"ins_t",
                                    "INSERT INTO t (id, name, data, n) VALUES ($1, $2, $3, $4)"};
static const struct ps_sql sel_t = {"sel_t",
                                    "SELECT id, name, data, n, n IS NULL FROM t WHERE id = $1"};
static const struct ps_sql count_t = {"count_t", "SELECT count(*) FROM t"};

static int64_t count_rows(struct ps_conn *c)
{
    char err[256] = "";
    struct ps_stmt *st = NULL;
    bool row = false;
    cr_assert_eq(be->prepare(c, &count_t, &st, err), PS_OK, "%s", err);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
    cr_assert(row);
    int64_t n = be->col_i64(st, 0);
    be->finalize(st);
    return n;
}

static enum ps_err insert(struct ps_conn *c, int64_t id, const char *name, char *err)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = be->prepare(c, &ins_t, &st, err);
    if (e != PS_OK)
        return e;
    bool row;
    cr_assert_eq(be->bind_i64(st, 1, id, err), PS_OK);
    cr_assert_eq(be->bind_text(st, 2, ps_str_from_cstr(name), err), PS_OK);
    cr_assert_eq(be->bind_null(st, 3, err), PS_OK);
    cr_assert_eq(be->bind_i64(st, 4, id * 2, err), PS_OK);
    e = be->step(st, &row, err);
    be->finalize(st);
    return e;
}

TestSuite(postgres, .init = setup, .fini = teardown);

Test(postgres, bad_urls_and_unreachable_server)
{
    struct ps_diag d = {0};
    cr_assert_eq(be->check_target("mysql://x", &d), PS_ERR_INVALID);
    cr_assert_eq(be->check_target("postgresql://h/db?nosuchoption=1", &d), PS_ERR_INVALID);
    struct ps_store_opts o = {.url = "postgresql://127.0.0.1:1/x", .busy_timeout_ms = 100};
    struct ps_conn *c = NULL;
    cr_assert_eq(be->open(NULL, o.url, &o, true, &c, &d), PS_ERR_UNAVAILABLE);
    cr_assert_null(c);
}

Test(postgres, types_round_trip)
{
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    cr_assert_eq(exec1(c, &create_t), PS_OK);
    cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK, "%s", err);
    struct ps_stmt *st = NULL;
    bool row;
    static const unsigned char blob[] = {0, 1, 0xff, '\\', 'x', 0, 0x80};
    const char *text = "Шевченко Тарас, 'quoted' \\ and $1";
    cr_assert_eq(be->prepare(c, &ins_t, &st, err), PS_OK, "%s", err);
    cr_assert_eq(be->bind_i64(st, 1, INT64_MIN, err), PS_OK);
    cr_assert_eq(be->bind_text(st, 2, ps_str_from_cstr(text), err), PS_OK);
    cr_assert_eq(be->bind_blob(st, 3, blob, sizeof blob, err), PS_OK);
    cr_assert_eq(be->bind_i64(st, 4, INT64_MAX, err), PS_OK);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
    cr_assert_not(row);
    cr_assert_eq(be->changes(c), 1);
    /* reuse with new bindings; empty blob and SQL NULL */
    be->reset(st);
    cr_assert_eq(be->bind_i64(st, 1, 7, err), PS_OK);
    cr_assert_eq(be->bind_text(st, 2, PS_STR("x"), err), PS_OK);
    cr_assert_eq(be->bind_blob(st, 3, NULL, 0, err), PS_OK);
    cr_assert_eq(be->bind_null(st, 4, err), PS_OK);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
    cr_assert_eq(be->bind_i64(st, 5, 1, err), PS_ERR_INVALID, "no $5");
    cr_assert_eq(be->bind_text(st, 2, (struct ps_str){"a\0b", 3}, err), PS_ERR_INVALID);
    be->finalize(st);

    cr_assert_eq(be->prepare(c, &sel_t, &st, err), PS_OK, "%s", err);
    cr_assert_eq(be->bind_i64(st, 1, INT64_MIN, err), PS_OK);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
    cr_assert(row);
    cr_assert_eq(be->col_i64(st, 0), INT64_MIN);
    bool nomem = false;
    struct ps_str s = be->col_text(st, 1, &nomem);
    cr_assert(s.len == strlen(text) && !memcmp(s.p, text, s.len));
    struct ps_str b = be->col_blob(st, 2, &nomem);
    cr_assert_not(nomem);
    cr_assert(b.len == sizeof blob && !memcmp(b.p, blob, b.len));
    cr_assert_eq(be->col_i64(st, 3), INT64_MAX);
    cr_assert_eq(be->col_i64(st, 4), 0, "boolean false reads 0");
    cr_assert_eq(be->step(st, &row, err), PS_OK);
    cr_assert_not(row);
    be->reset(st);
    cr_assert_eq(be->bind_i64(st, 1, 7, err), PS_OK);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
    cr_assert(row);
    cr_assert_eq(be->col_blob(st, 2, &nomem).len, 0);
    cr_assert_not(be->col_is_null(st, 2), "empty blob is not NULL");
    cr_assert(be->col_is_null(st, 3));
    cr_assert_eq(be->col_i64(st, 4), 1, "boolean true reads 1");
    be->finalize(st);
    cr_assert_eq(be->commit(c, err), PS_OK, "%s", err);
    cr_assert_eq(count_rows(c), 2);
    be->close(c);
}

Test(postgres, sqlstate_mapping)
{
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    cr_assert_eq(exec1(c, &create_t), PS_OK);
    cr_assert_eq(insert(c, 1, "a", err), PS_OK, "%s", err);
    cr_assert_eq(insert(c, 1, "b", err), PS_ERR_EXISTS, "%s", err);
    cr_assert(strstr(err, "23505"), "%s", err);
    cr_assert_eq(insert(c, 2, "", err), PS_ERR_INVALID, "check violation: %s", err);
    static const struct ps_sql bad_int = {"bad_int", "SELECT $1::bigint"};
    struct ps_stmt *st = NULL;
    bool row;
    cr_assert_eq(be->prepare(c, &bad_int, &st, err), PS_OK);
    cr_assert_eq(be->bind_text(st, 1, PS_STR("12x"), err), PS_OK);
    cr_assert_eq(be->step(st, &row, err), PS_ERR_INVALID, "22P02: %s", err);
    be->finalize(st);
    static const struct ps_sql bad_sql = {"bad_sql", "SELEC 1"};
    static const struct ps_sql no_table = {"no_table", "SELECT * FROM nosuchtable"};
    cr_assert_eq(be->prepare(c, &bad_sql, &st, err), PS_ERR_INVALID);
    /* inside a transaction, a rejected statement leaves the transaction usable */
    cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(be->prepare(c, &no_table, &st, err), PS_ERR_INVALID, "%s", err);
    cr_assert(strstr(err, "42P01"), "%s", err);
    cr_assert_eq(insert(c, 5, "e", err), PS_OK, "%s", err);
    cr_assert_eq(be->commit(c, err), PS_OK, "%s", err);
    cr_assert_eq(count_rows(c), 2);
    be->close(c);

    /* statement_timeout -> LIMIT */
    c = conn_open(50, 1000);
    static const struct ps_sql sleep = {"sleep", "SELECT pg_sleep(1)"};
    cr_assert_eq(exec1(c, &sleep), PS_ERR_LIMIT);
    be->close(c);
}

Test(postgres, lock_timeout_and_serialization_failure_are_conflicts)
{
    struct ps_conn *a = conn_open(0, 100), *b = conn_open(0, 100);
    char err[256] = "";
    cr_assert_eq(exec1(a, &create_t), PS_OK);
    cr_assert_eq(insert(a, 1, "a", err), PS_OK);
    cr_assert_eq(insert(a, 2, "b", err), PS_OK);
    static const struct ps_sql upd = {"upd", "UPDATE t SET n = n + 1 WHERE id = 1"};
    static const struct ps_sql upd2 = {"upd2",
                                       "UPDATE t SET n = (SELECT sum(n) FROM t) WHERE id = 2"};
    /* a holds the row lock; b waits lock_timeout (100 ms) -> 55P03 */
    cr_assert_eq(be->begin(a, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(exec1(a, &upd), PS_OK);
    cr_assert_eq(be->begin(b, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(exec1(b, &upd), PS_ERR_CONFLICT);
    be->rollback(b);
    cr_assert_eq(be->commit(a, err), PS_OK, "%s", err);
    /* write skew under SERIALIZABLE: both read all rows, each writes one -> 40001 */
    cr_assert_eq(be->begin(a, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(be->begin(b, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(exec1(b, &upd2), PS_OK);
    cr_assert_eq(exec1(a, &count_t), PS_OK);
    static const struct ps_sql upd1 = {"upd1",
                                       "UPDATE t SET n = (SELECT sum(n) FROM t) WHERE id = 1"};
    cr_assert_eq(exec1(a, &upd1), PS_OK);
    cr_assert_eq(be->commit(b, err), PS_OK, "%s", err);
    enum ps_err e = be->commit(a, err);
    cr_assert_eq(e, PS_ERR_CONFLICT, "got %d: %s", e, err);
    be->rollback(a);
    be->close(a);
    be->close(b);
}

Test(postgres, savepoints_and_failed_commit)
{
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    cr_assert_eq(exec1(c, &create_t), PS_OK);
    cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(be->savepoint(c, err), PS_OK);
    cr_assert_eq(insert(c, 1, "a", err), PS_OK);
    cr_assert_eq(be->release(c, err), PS_OK);
    cr_assert_eq(be->savepoint(c, err), PS_OK);
    cr_assert_eq(insert(c, 2, "b", err), PS_OK);
    cr_assert_eq(insert(c, 1, "dup", err), PS_ERR_EXISTS);
    cr_assert(be->tx_alive(c), "a failed statement leaves the transaction recoverable");
    cr_assert_eq(be->rollback_to(c, err), PS_OK, "%s", err);
    cr_assert_eq(be->release(c, err), PS_OK, "%s", err);
    cr_assert_eq(be->savepoint(c, err), PS_OK);
    cr_assert_eq(insert(c, 3, "c", err), PS_OK);
    cr_assert_eq(be->release(c, err), PS_OK);
    cr_assert_eq(be->commit(c, err), PS_OK, "%s", err);
    cr_assert_eq(count_rows(c), 2, "jobs 1 and 3 committed, job 2 rolled back");

    /* a failed statement without a savepoint: COMMIT must not report success */
    cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(insert(c, 4, "d", err), PS_OK);
    cr_assert_eq(insert(c, 1, "dup", err), PS_ERR_EXISTS);
    cr_assert_neq(be->commit(c, err), PS_OK);
    be->rollback(c);
    cr_assert_eq(count_rows(c), 2);
    be->close(c);
}

static int backend_pid(struct ps_conn *c)
{
    static const struct ps_sql pid = {"pid", "SELECT pg_backend_pid()"};
    char err[256] = "";
    struct ps_stmt *st = NULL;
    bool row;
    cr_assert_eq(be->prepare(c, &pid, &st, err), PS_OK, "%s", err);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
    int p = (int)be->col_i64(st, 0);
    be->finalize(st);
    return p;
}

static void terminate(int pid)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%d)", pid);
    cr_assert(ps_test_pg_exec(ps_test_pg_base(), sql));
    usleep(50 * 1000); /* the backend exits asynchronously */
}

Test(postgres, reconnect_after_terminate)
{
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    cr_assert_eq(exec1(c, &create_t), PS_OK);
    cr_assert_eq(insert(c, 1, "a", err), PS_OK);
    /* a statement kept across the loss, as the dispatcher's cache keeps it */
    struct ps_stmt *keep = NULL;
    bool row;
    cr_assert_eq(be->prepare(c, &count_t, &keep, err), PS_OK);
    keep->cached = true;

    /* idle connection killed: begin notices before sending anything and starts on a new
     * session, where the cached statement is prepared again */
    int old = backend_pid(c);
    terminate(old);
    cr_assert_eq(be->begin(c, PS_TX_READ, err), PS_OK, "%s", err);
    cr_assert_eq(be->step(keep, &row, err), PS_OK, "re-prepared after reset: %s", err);
    cr_assert(row);
    cr_assert_eq(be->col_i64(keep, 0), 1);
    be->reset(keep);
    cr_assert_eq(be->commit(c, err), PS_OK, "%s", err);
    cr_assert_neq(backend_pid(c), old, "a new session");

    /* killed inside a write transaction: it fails UNAVAILABLE and nothing is written */
    int pid = backend_pid(c);
    cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK);
    cr_assert_eq(insert(c, 2, "b", err), PS_OK);
    terminate(pid);
    cr_assert_eq(insert(c, 3, "c", err), PS_ERR_UNAVAILABLE, "%s", err);
    cr_assert_not(be->tx_alive(c));
    be->rollback(c);
    cr_assert_eq(be->commit(c, err), PS_ERR_UNAVAILABLE);
    cr_assert_eq(be->begin(c, PS_TX_READ, err), PS_OK, "%s", err);
    cr_assert_eq(be->step(keep, &row, err), PS_OK, "%s", err);
    cr_assert_eq(be->col_i64(keep, 0), 1, "the killed transaction left nothing");
    be->reset(keep);
    cr_assert_eq(be->commit(c, err), PS_OK);
    be->finalize(keep);
    be->close(c);
}

Test(postgres, migrations_probe_and_backup)
{
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    struct ps_stmt *st = NULL;
    bool row;
    cr_assert_eq(be->prepare(c, be->sql_has_migrations, &st, err), PS_OK, "%s", err);
    cr_assert_eq(be->step(st, &row, err), PS_OK);
    cr_assert(row);
    cr_assert_eq(be->col_i64(st, 0), 0);
    be->reset(st);
    script(c, "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)");
    cr_assert_eq(be->step(st, &row, err), PS_OK);
    cr_assert_eq(be->col_i64(st, 0), 1);
    be->finalize(st);
    struct ps_diag d = {0};
    cr_assert_eq(be->backup(c, "/tmp/x", &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "pg_dump"));
    be->close(c);
}

/* ---- the same through the public store API (dispatcher + backend) ---- */

static const struct ps_sql st_create = {"st_create", "CREATE TABLE k (id BIGINT PRIMARY KEY)"};
static const struct ps_sql st_insert = {"st_insert", "INSERT INTO k (id) VALUES ($1)"};
static const struct ps_sql st_count = {"st_count", "SELECT count(*) FROM k"};

static enum ps_err create_fn(struct ps_tx *tx, void *ctx)
{
    return ps_tx_exec(tx, &st_create);
}

static enum ps_err insert_fn(struct ps_tx *tx, void *ctx)
{
    return tx_run(tx, &st_insert, NULL, "i", *(int64_t *)ctx);
}

static const struct ps_sql st_die = {"st_die", "SELECT pg_terminate_backend(pg_backend_pid())"};

/* Inserts, then has the server end this very session mid-transaction. */
static enum ps_err insert_then_die_fn(struct ps_tx *tx, void *ctx)
{
    enum ps_err e = insert_fn(tx, ctx);
    return e == PS_OK ? ps_tx_exec(tx, &st_die) : e;
}

/* Kills every session of this test's store (they carry the schema as application_name). */
static void terminate_app(void)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '%s'",
             schema);
    cr_assert(ps_test_pg_exec(ps_test_pg_base(), sql));
    usleep(100 * 1000);
}

Test(postgres, store_reconnects_after_terminate)
{
    char u[600];
    snprintf(u, sizeof u, "%s&application_name=%s", url, schema);
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = u;
    o.committers = 2;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_backend(s), PS_STORE_POSTGRES);
    cr_assert(ps_store_ready(s));
    cr_assert_eq(ps_store_write(s, create_fn, NULL, &d), PS_OK, "%s", d.message);
    int64_t id = 1, n = 0;
    cr_assert_eq(ps_store_write(s, insert_fn, &id, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_write(s, insert_fn, &id, &d), PS_ERR_EXISTS, "%s", d.message);
    n = tx_read_i64(s, &st_count);
    cr_assert_eq(n, 1);

    /* every session killed while idle: the next reads and writes start on new sessions */
    terminate_app();
    n = tx_read_i64(s, &st_count);
    cr_assert_eq(n, 1);
    for (id = 2; id < 8; id++)
        cr_assert_eq(ps_store_write(s, insert_fn, &id, &d), PS_OK, "%s", d.message);

    /* killed in the middle of a job: that job fails UNAVAILABLE with nothing written, the
     * next one succeeds */
    id = 50;
    cr_assert_eq(ps_store_write(s, insert_then_die_fn, &id, &d), PS_ERR_UNAVAILABLE, "%s",
                 d.message);
    id = 100;
    cr_assert_eq(ps_store_write(s, insert_fn, &id, &d), PS_OK, "%s", d.message);
    n = tx_read_i64(s, &st_count);
    cr_assert_eq(n, 8, "rows 1..7 and 100; not 50");
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.job_failures, 2, "the duplicate and the killed job");
    ps_store_free(s);
}

/* Read-then-write inside one job is safe because write jobs are SERIALIZABLE: several
 * committers increment one counter at once; conflicts (40001) are retried by the committer
 * and no increment is lost. */
static const struct ps_sql ctr_create = {
    "ctr_create", "CREATE TABLE ctr (id INT PRIMARY KEY, n BIGINT NOT NULL)"};
static const struct ps_sql ctr_init = {"ctr_init", "INSERT INTO ctr VALUES (1, 0)"};
static const struct ps_sql ctr_get = {"ctr_get", "SELECT n FROM ctr WHERE id = 1"};
static const struct ps_sql ctr_set = {"ctr_set", "UPDATE ctr SET n = $1 WHERE id = 1"};

static enum ps_err ctr_setup(struct ps_tx *tx, void *ctx)
{
    enum ps_err e = ps_tx_exec(tx, &ctr_create);
    return e == PS_OK ? ps_tx_exec(tx, &ctr_init) : e;
}

static enum ps_err ctr_incr(struct ps_tx *tx, void *ctx)
{
    int64_t n = -1;
    enum ps_err e = tx_run(tx, &ctr_get, &n, "");
    return e == PS_OK ? tx_run(tx, &ctr_set, NULL, "i", n + 1) : e;
}

struct incr_arg {
    struct ps_store *s;
    int ok, failed;
};

static void *incr_main(void *p)
{
    struct incr_arg *a = p;
    for (int i = 0; i < 100; i++) {
        struct ps_diag d = {0};
        if (ps_store_write(a->s, ctr_incr, NULL, &d) == PS_OK)
            a->ok++;
        else
            a->failed++;
    }
    return NULL;
}

Test(postgres, serializable_jobs_lose_no_update)
{
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = url;
    o.committers = 4;
    o.max_retries = 50;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_write(s, ctr_setup, NULL, &d), PS_OK, "%s", d.message);
    enum { T = 8 };
    struct incr_arg args[T];
    pthread_t th[T];
    for (int i = 0; i < T; i++) {
        args[i] = (struct incr_arg){.s = s};
        cr_assert_eq(pthread_create(&th[i], NULL, incr_main, &args[i]), 0);
    }
    int ok = 0, failed = 0;
    for (int i = 0; i < T; i++) {
        pthread_join(th[i], NULL);
        ok += args[i].ok;
        failed += args[i].failed;
    }
    int64_t n = -1;
    n = tx_read_i64(s, &ctr_get);
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(n, ok, "counter %lld, acknowledged increments %d (failed %d, retries %llu)",
                 (long long)n, ok, failed, (unsigned long long)st.retries);
    cr_assert_eq(failed, 0, "retries %llu", (unsigned long long)st.retries);
    cr_log_info("serializable counter: %d increments, %llu retries, %llu commits", ok,
                (unsigned long long)st.retries, (unsigned long long)st.commits);
    ps_store_free(s);
}

/* ---- a COMMIT whose reply is lost (store/pg_fault.h drives the faults) ---- */

static int64_t count_where(struct ps_conn *c, int64_t id)
{
    static const struct ps_sql count_id = {"count_id", "SELECT count(*) FROM t WHERE id = $1"};
    char err[256] = "";
    struct ps_stmt *st = NULL;
    bool row = false;
    cr_assert_eq(be->begin(c, PS_TX_READ, err), PS_OK, "%s", err);
    cr_assert_eq(be->prepare(c, &count_id, &st, err), PS_OK, "%s", err);
    cr_assert_eq(be->bind_i64(st, 1, id, err), PS_OK, "%s", err);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
    cr_assert(row);
    int64_t n = be->col_i64(st, 0);
    be->finalize(st);
    cr_assert_eq(be->commit(c, err), PS_OK, "%s", err);
    return n;
}

/* One write transaction inserting id, committed under fault f; returns COMMIT's answer. */
static enum ps_err commit_under(struct ps_conn *c, int64_t id, enum ps_pg_fault f, char *err)
{
    cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK, "%s", err);
    cr_assert_eq(insert(c, id, "x", err), PS_OK, "%s", err);
    ps_pg_test_fault(f);
    enum ps_err e = be->commit(c, err);
    cr_assert_eq(ps_pg_test_fault_pending(), PS_PG_FAULT_NONE, "the COMMIT took the fault");
    return e;
}

/* A COMMIT answered with a WARNING (as a cancelled synchronous-standby wait is) is not
 * acknowledged: outcome unknown. The warning comes from a deferred trigger that fires at
 * COMMIT, a real server warning on a real COMMIT; without it the same COMMIT succeeds. */
Test(postgres, commit_that_warns_is_outcome_unknown)
{
    static const struct ps_sql warn_fn = {
        "warn_fn", "CREATE FUNCTION warn_at_commit() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$BEGIN RAISE WARNING 'committed locally, but might not have been "
                   "replicated'; RETURN NULL; END$$"};
    static const struct ps_sql warn_trg = {
        "warn_trg", "CREATE CONSTRAINT TRIGGER warn_at_commit AFTER INSERT ON t DEFERRABLE "
                    "INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.n = 7) EXECUTE FUNCTION "
                    "warn_at_commit()"};
    static const struct ps_sql ins_n = {"ins_n",
                                        "INSERT INTO t (id, name, n) VALUES ($1, 'w', $2)"};
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    cr_assert_eq(exec1(c, &create_t), PS_OK);
    cr_assert_eq(exec1(c, &warn_fn), PS_OK);
    cr_assert_eq(exec1(c, &warn_trg), PS_OK);
    for (int64_t n = 6; n <= 7; n++) {
        struct ps_stmt *st = NULL;
        bool row = false;
        cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK, "%s", err);
        cr_assert_eq(be->prepare(c, &ins_n, &st, err), PS_OK, "%s", err);
        cr_assert_eq(be->bind_i64(st, 1, 100 + n, err), PS_OK);
        cr_assert_eq(be->bind_i64(st, 2, n, err), PS_OK);
        cr_assert_eq(be->step(st, &row, err), PS_OK, "%s", err);
        be->finalize(st);
        enum ps_err e = be->commit(c, err);
        if (n == 6) {
            cr_assert_eq(e, PS_OK, "no warning, a clean COMMIT: %s", err);
        } else {
            cr_assert_eq(e, PS_ERR_UNKNOWN_OUTCOME);
            cr_assert(strstr(err, "might not have been replicated"), "%s", err);
        }
        cr_assert_eq(count_where(c, 100 + n), 1, "committed either way");
    }
    be->close(c);
}

Test(postgres, lost_commit_reply_is_resolved_by_xact_status)
{
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    cr_assert_eq(exec1(c, &create_t), PS_OK);

    /* the server committed, the reply was lost: pg_xact_status says committed */
    int pid = backend_pid(c);
    cr_assert_eq(commit_under(c, 1, PS_PG_FAULT_LOSE_REPLY, err), PS_OK, "%s", err);
    cr_assert_neq(backend_pid(c), pid, "the session was lost and replaced");
    cr_assert_eq(count_where(c, 1), 1);

    /* lost before COMMIT was sent: the server rolled back */
    pid = backend_pid(c);
    cr_assert_eq(commit_under(c, 2, PS_PG_FAULT_LOSE_BEFORE_COMMIT, err), PS_ERR_UNAVAILABLE);
    cr_assert(strstr(err, "rolled transaction"), "%s", err);
    cr_assert_neq(backend_pid(c), pid, "the session was lost and replaced");
    cr_assert_eq(count_where(c, 2), 0);

    /* committed, but no reconnect: the outcome cannot be learned */
    cr_assert_eq(commit_under(c, 3, PS_PG_FAULT_LOSE_REPLY_NO_RECONNECT, err),
                 PS_ERR_UNKNOWN_OUTCOME);
    cr_assert(strstr(err, "commit outcome unknown"), "%s", err);
    cr_assert_eq(count_where(c, 3), 1, "the next BEGIN reconnects; the row is there");

    /* committed, but pg_xact_status keeps answering "in progress": the polls run out */
    cr_assert_eq(commit_under(c, 4, PS_PG_FAULT_LOSE_REPLY_IN_PROGRESS, err),
                 PS_ERR_UNKNOWN_OUTCOME);
    cr_assert(strstr(err, "in progress"), "%s", err);
    cr_assert_eq(count_where(c, 4), 1);

    /* a read transaction has no id: its COMMIT leaves an armed fault alone */
    ps_pg_test_fault(PS_PG_FAULT_LOSE_REPLY);
    cr_assert_eq(count_where(c, 1), 1);
    cr_assert_eq(ps_pg_test_fault_pending(), PS_PG_FAULT_LOSE_REPLY);
    ps_pg_test_fault(PS_PG_FAULT_NONE);
    be->close(c);
}

/* The one value of a one-row query with text parameters a and b (NULL: none), run outside a
 * transaction, copied into out (cap 64). */
static void query1(struct ps_conn *c, const struct ps_sql *def, const char *a, const char *b,
                   char *out)
{
    char err[256] = "";
    struct ps_stmt *st = NULL;
    bool row = false;
    cr_assert_eq(be->prepare(c, def, &st, err), PS_OK, "%s", err);
    if (a)
        cr_assert_eq(be->bind_text(st, 1, ps_str_from_cstr(a), err), PS_OK, "%s", err);
    if (b)
        cr_assert_eq(be->bind_text(st, 2, ps_str_from_cstr(b), err), PS_OK, "%s", err);
    cr_assert_eq(be->step(st, &row, err), PS_OK, "%s: %s", def->sql, err);
    cr_assert(row, "%s", def->sql);
    bool nomem = false;
    cr_assert_eq(ps_str_copy(out, 64, be->col_text(st, 0, &nomem)), PS_OK);
    be->finalize(st);
}

Test(postgres, committed_answer_is_confirmed_by_a_durability_barrier)
{
    static const struct ps_sql xid_q = {"xid_q", "SELECT pg_current_xact_id()::text"};
    static const struct ps_sql lsn_q = {"lsn_q", "SELECT pg_current_wal_insert_lsn()::text"};
    static const struct ps_sql status_q = {"status_q", "SELECT pg_xact_status($1::xid8)"};
    static const struct ps_sql xid_gt = {"xid_gt", "SELECT ($1::xid8 > $2::xid8)::text"};
    static const struct ps_sql lsn_gt = {"lsn_gt", "SELECT ($1::pg_lsn > $2::pg_lsn)::text"};
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "", xid[64], lsn[64], v[64];
    struct ps_pg_barrier_stats before, after;
    cr_assert_eq(exec1(c, &create_t), PS_OK);

    /* a COMMIT whose reply arrives runs no barrier: the common path is unchanged */
    ps_pg_test_barrier_stats(&before);
    cr_assert_eq(commit_under(c, 1, PS_PG_FAULT_NONE, err), PS_OK, "%s", err);
    ps_pg_test_barrier_stats(&after);
    cr_assert_eq(after.completed, before.completed);

    /* the reply is lost after the server committed: PS_OK only after one barrier, a write
     * transaction of its own that committed after the lost one and wrote WAL after it */
    cr_assert_eq(be->begin(c, PS_TX_WRITE, err), PS_OK, "%s", err);
    cr_assert_eq(insert(c, 2, "x", err), PS_OK, "%s", err);
    query1(c, &xid_q, NULL, NULL, xid);
    query1(c, &lsn_q, NULL, NULL, lsn);
    ps_pg_test_fault(PS_PG_FAULT_LOSE_REPLY);
    cr_assert_eq(be->commit(c, err), PS_OK, "%s", err);
    cr_assert_eq(ps_pg_test_fault_pending(), PS_PG_FAULT_NONE, "the COMMIT took the fault");
    ps_pg_test_barrier_stats(&after);
    cr_assert_eq(after.completed, before.completed + 1, "one durability barrier ran");
    query1(c, &status_q, after.xid, NULL, v);
    cr_assert_str_eq(v, "committed", "barrier transaction %s", after.xid);
    query1(c, &xid_gt, after.xid, xid, v);
    cr_assert_str_eq(v, "true", "barrier %s after the lost transaction %s", after.xid, xid);
    cr_assert(after.lsn[0], "the barrier wrote a WAL record of its own");
    query1(c, &lsn_gt, after.lsn, lsn, v);
    cr_assert_str_eq(v, "true", "barrier WAL record at %s, after %s", after.lsn, lsn);
    cr_assert_eq(count_where(c, 2), 1);
    be->close(c);
}

Test(postgres, lost_reply_elsewhere_or_undurable_is_unknown)
{
    static const struct {
        enum ps_pg_fault f;
        const char *why;
    } cases[] = {
        {PS_PG_FAULT_LOSE_REPLY_OTHER_SERVER, "reconnected to another server or timeline"},
        {PS_PG_FAULT_LOSE_REPLY_BARRIER_FAILS, "durability barrier failed"},
        {PS_PG_FAULT_LOSE_REPLY_BARRIER_WARNS, "the server warned: pocketstate test fault"},
        /* last: it leaves the session without an identity */
        {PS_PG_FAULT_LOSE_REPLY_NO_IDENTITY, "identity could not be read"},
    };
    struct ps_conn *c = conn_open(0, 1000);
    char err[256] = "";
    struct ps_pg_barrier_stats before, after;
    cr_assert_eq(exec1(c, &create_t), PS_OK);
    for (int i = 0; i < (int)(sizeof cases / sizeof cases[0]); i++) {
        ps_pg_test_barrier_stats(&before);
        cr_assert_eq(commit_under(c, 10 + i, cases[i].f, err), PS_ERR_UNKNOWN_OUTCOME,
                     "case %d: %s", i, err);
        cr_assert(strstr(err, "commit outcome unknown"), "%s", err);
        cr_assert(strstr(err, cases[i].why), "case %d: %s", i, err);
        ps_pg_test_barrier_stats(&after);
        cr_assert_eq(after.completed, before.completed, "case %d: no barrier completed", i);
        /* the server did commit: "unknown" is not "not written" */
        cr_assert_eq(count_where(c, 10 + i), 1, "case %d", i);
    }
    /* that session has no identity, so it learns no id: a lost reply there is unknown too */
    cr_assert_eq(commit_under(c, 20, PS_PG_FAULT_LOSE_REPLY, err), PS_ERR_UNKNOWN_OUTCOME);
    cr_assert(strstr(err, "no transaction id was learned"), "%s", err);
    cr_assert_eq(count_where(c, 20), 1);
    be->close(c);
}

Test(postgres, failed_probe_still_opens_without_the_outcome_check)
{
    static const struct ps_sql settings = {
        "settings", "SELECT current_setting('statement_timeout') || ' ' || "
                    "current_setting('lock_timeout') || ' ' || current_setting('TimeZone')"};
    char err[256] = "", v[64];
    ps_pg_test_probe_fails(true);
    struct ps_conn *c = conn_open(1500, 1000); /* asserts that it opens */
    /* the settings were applied again after the probe's error rolled them back */
    query1(c, &settings, NULL, NULL, v);
    cr_assert_str_eq(v, "1500ms 1s UTC");
    cr_assert_eq(exec1(c, &create_t), PS_OK);
    cr_assert_eq(commit_under(c, 1, PS_PG_FAULT_NONE, err), PS_OK, "%s", err);
    cr_assert_eq(count_where(c, 1), 1);
    /* without the probe no id is learned: a lost reply cannot be resolved */
    cr_assert_eq(commit_under(c, 2, PS_PG_FAULT_LOSE_REPLY, err), PS_ERR_UNKNOWN_OUTCOME, "%s",
                 err);
    cr_assert(strstr(err, "no transaction id was learned"), "%s", err);
    cr_assert_eq(count_where(c, 2), 1, "the next BEGIN reconnects; the row is there");
    query1(c, &settings, NULL, NULL, v);
    cr_assert_str_eq(v, "1500ms 1s UTC", "after the reconnect too");
    ps_pg_test_probe_fails(false);
    be->close(c);
}

/* Through the committer: a job counts its runs; the table has no key, so a second run of a
 * committed job would show as a second row. */
static const struct ps_sql cj_create = {"cj_create", "CREATE TABLE cj (id BIGINT NOT NULL)"};
static const struct ps_sql cj_insert = {"cj_insert", "INSERT INTO cj (id) VALUES ($1)"};
static const struct ps_sql cj_count = {"cj_count", "SELECT count(*) FROM cj WHERE id = $1"};

struct counted {
    struct ps_store_job job;
    int64_t id;
    atomic_int calls;
    sem_t *done;
    enum ps_pg_fault arm; /* armed by done(), after this job's own COMMIT */
};

static enum ps_err cj_setup(struct ps_tx *tx, void *ctx)
{
    return ps_tx_exec(tx, &cj_create);
}

static enum ps_err counted_fn(struct ps_tx *tx, void *ctx)
{
    struct counted *j = ctx;
    atomic_fetch_add(&j->calls, 1);
    return tx_run(tx, &cj_insert, NULL, "i", j->id);
}

static enum ps_err cj_count_fn(struct ps_tx *tx, void *ctx)
{
    int64_t *io = ctx;
    return tx_run(tx, &cj_count, io, "i", *io);
}

static int64_t cj_rows(struct ps_store *s, int64_t id)
{
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(s, cj_count_fn, &id, &d), PS_OK, "%s", d.message);
    return id;
}

struct hold {
    sem_t entered, release;
};

static enum ps_err hold_fn(struct ps_tx *tx, void *ctx)
{
    struct hold *h = ctx;
    sem_post(&h->entered);
    while (sem_wait(&h->release) != 0)
        ;
    return PS_OK;
}

static void counted_done(struct ps_store_job *job)
{
    struct counted *j = job->done_ctx;
    if (j->arm != PS_PG_FAULT_NONE)
        ps_pg_test_fault(j->arm);
    sem_post(j->done);
}

static struct ps_store *fault_store(void)
{
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = url;
    o.committers = 1; /* one committer: the batch below is deterministic */
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_write(s, cj_setup, NULL, &d), PS_OK, "%s", d.message);
    return s;
}

/* Jobs a and b (ids 10, 11) form one batch whose COMMIT meets fault f: a holding job keeps the
 * committer busy while they queue, and its done() arms f after its own COMMIT. */
static void batch_under(struct ps_store *s, enum ps_pg_fault f, struct counted *a,
                        struct counted *b)
{
    sem_t done;
    struct hold h;
    sem_init(&done, 0, 0);
    sem_init(&h.entered, 0, 0);
    sem_init(&h.release, 0, 0);
    struct counted holder = {.job = {.fn = hold_fn, .ctx = &h}, .done = &done, .arm = f};
    struct counted *all[] = {&holder, a, b};
    for (int i = 0; i < 3; i++) {
        all[i]->job.done = counted_done;
        all[i]->job.done_ctx = all[i];
        all[i]->done = &done;
        if (i > 0) {
            all[i]->job.fn = counted_fn;
            all[i]->job.ctx = all[i];
            all[i]->id = 9 + i;
        }
    }
    cr_assert_eq(ps_store_submit(s, &holder.job), PS_OK);
    while (sem_wait(&h.entered) != 0)
        ;
    cr_assert_eq(ps_store_submit(s, &a->job), PS_OK);
    cr_assert_eq(ps_store_submit(s, &b->job), PS_OK);
    sem_post(&h.release);
    for (int i = 0; i < 3; i++)
        while (sem_wait(&done) != 0)
            ;
    cr_assert_eq(holder.job.result, PS_OK);
    cr_assert_eq(ps_pg_test_fault_pending(), PS_PG_FAULT_NONE, "the batch's COMMIT took it");
    sem_destroy(&done);
    sem_destroy(&h.entered);
    sem_destroy(&h.release);
}

/* One job alone (id 20) through ps_store_write, its COMMIT meeting fault f. */
static enum ps_err solo_under(struct ps_store *s, enum ps_pg_fault f, struct counted *j,
                              struct ps_diag *d)
{
    j->id = 20;
    ps_pg_test_fault(f);
    enum ps_err e = ps_store_write(s, counted_fn, j, d);
    cr_assert_eq(ps_pg_test_fault_pending(), PS_PG_FAULT_NONE, "the job's COMMIT took it");
    return e;
}

Test(postgres, store_lost_reply_after_commit_is_success_once)
{
    struct ps_store *s = fault_store();
    struct counted a = {0}, b = {0}, c = {0};
    batch_under(s, PS_PG_FAULT_LOSE_REPLY, &a, &b);
    cr_assert_eq(a.job.result, PS_OK, "%s", a.job.diag.message);
    cr_assert_eq(b.job.result, PS_OK, "%s", b.job.diag.message);
    cr_assert_eq(atomic_load(&a.calls), 1, "committed: never run again");
    cr_assert_eq(atomic_load(&b.calls), 1, "committed: never run again");
    cr_assert_eq(cj_rows(s, 10), 1);
    cr_assert_eq(cj_rows(s, 11), 1);

    struct ps_diag d = {0};
    cr_assert_eq(solo_under(s, PS_PG_FAULT_LOSE_REPLY, &c, &d), PS_OK, "%s", d.message);
    cr_assert_eq(atomic_load(&c.calls), 1);
    cr_assert_eq(cj_rows(s, 20), 1);
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.job_failures, 0);
    cr_assert_eq(st.retries, 0, "nothing was re-run");
    ps_store_free(s);
}

Test(postgres, store_lost_before_commit_is_rerun_or_failed)
{
    struct ps_store *s = fault_store();
    struct counted a = {0}, b = {0}, c = {0};
    batch_under(s, PS_PG_FAULT_LOSE_BEFORE_COMMIT, &a, &b);
    cr_assert_eq(a.job.result, PS_OK, "%s", a.job.diag.message);
    cr_assert_eq(b.job.result, PS_OK, "%s", b.job.diag.message);
    cr_assert_eq(atomic_load(&a.calls), 2, "rolled back with the batch, then run alone");
    cr_assert_eq(atomic_load(&b.calls), 2, "rolled back with the batch, then run alone");
    cr_assert_eq(cj_rows(s, 10), 1);
    cr_assert_eq(cj_rows(s, 11), 1);

    /* alone: reported unavailable (not retried), and nothing was written */
    struct ps_diag d = {0};
    cr_assert_eq(solo_under(s, PS_PG_FAULT_LOSE_BEFORE_COMMIT, &c, &d), PS_ERR_UNAVAILABLE, "%s",
                 d.message);
    cr_assert(strstr(d.message, "rolled transaction"), "%s", d.message);
    cr_assert_eq(atomic_load(&c.calls), 1);
    cr_assert_eq(cj_rows(s, 20), 0);
    ps_store_free(s);
}

Test(postgres, store_unknown_commit_outcome_is_reported_not_rerun)
{
    struct ps_store *s = fault_store();
    struct counted a = {0}, b = {0}, c = {0}, e = {0};
    batch_under(s, PS_PG_FAULT_LOSE_REPLY_NO_RECONNECT, &a, &b);
    cr_assert_eq(a.job.result, PS_ERR_UNKNOWN_OUTCOME, "%s", a.job.diag.message);
    cr_assert_eq(b.job.result, PS_ERR_UNKNOWN_OUTCOME, "%s", b.job.diag.message);
    cr_assert_eq(a.job.diag.code, PS_ERR_UNKNOWN_OUTCOME);
    cr_assert(strstr(a.job.diag.message, "commit outcome unknown"), "%s", a.job.diag.message);
    cr_assert_eq(atomic_load(&a.calls), 1, "never run again");
    cr_assert_eq(atomic_load(&b.calls), 1, "never run again");
    /* the server did commit: "unknown" is not "not written" */
    cr_assert_eq(cj_rows(s, 10), 1);
    cr_assert_eq(cj_rows(s, 11), 1);

    struct ps_diag d = {0};
    cr_assert_eq(solo_under(s, PS_PG_FAULT_LOSE_REPLY_IN_PROGRESS, &c, &d), PS_ERR_UNKNOWN_OUTCOME,
                 "%s", d.message);
    cr_assert_eq(d.code, PS_ERR_UNKNOWN_OUTCOME);
    cr_assert_eq(atomic_load(&c.calls), 1, "never run again");
    cr_assert_eq(cj_rows(s, 20), 1);

    /* the committer carries on: the next job reconnects and commits */
    e.id = 30;
    cr_assert_eq(ps_store_write(s, counted_fn, &e, &d), PS_OK, "%s", d.message);
    cr_assert_eq(cj_rows(s, 30), 1);
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.retries, 0, "nothing was re-run");
    cr_assert_eq(st.job_failures, 3);
    ps_store_free(s);
}

Test(postgres, store_lost_reply_elsewhere_or_undurable_is_reported_not_rerun)
{
    struct ps_store *s = fault_store();
    struct counted a = {0}, b = {0}, c = {0};
    batch_under(s, PS_PG_FAULT_LOSE_REPLY_OTHER_SERVER, &a, &b);
    cr_assert_eq(a.job.result, PS_ERR_UNKNOWN_OUTCOME, "%s", a.job.diag.message);
    cr_assert_eq(b.job.result, PS_ERR_UNKNOWN_OUTCOME, "%s", b.job.diag.message);
    cr_assert(strstr(a.job.diag.message, "another server"), "%s", a.job.diag.message);
    cr_assert_eq(atomic_load(&a.calls), 1, "never run again");
    cr_assert_eq(atomic_load(&b.calls), 1, "never run again");
    cr_assert_eq(cj_rows(s, 10), 1);
    cr_assert_eq(cj_rows(s, 11), 1);

    struct ps_diag d = {0};
    cr_assert_eq(solo_under(s, PS_PG_FAULT_LOSE_REPLY_BARRIER_FAILS, &c, &d),
                 PS_ERR_UNKNOWN_OUTCOME, "%s", d.message);
    cr_assert(strstr(d.message, "durability barrier failed"), "%s", d.message);
    cr_assert_eq(atomic_load(&c.calls), 1, "never run again");
    cr_assert_eq(cj_rows(s, 20), 1);
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.retries, 0, "nothing was re-run");
    cr_assert_eq(st.job_failures, 3);
    ps_store_free(s);
}

Test(postgres, store_opens_when_the_probe_fails)
{
    ps_pg_test_probe_fails(true);
    struct ps_store *s = fault_store(); /* asserts that it opens */
    struct counted c = {0};
    struct ps_diag d = {0};
    cr_assert_eq(solo_under(s, PS_PG_FAULT_LOSE_REPLY, &c, &d), PS_ERR_UNKNOWN_OUTCOME, "%s",
                 d.message);
    cr_assert(strstr(d.message, "no transaction id was learned"), "%s", d.message);
    cr_assert_eq(atomic_load(&c.calls), 1, "never run again");
    cr_assert_eq(cj_rows(s, 20), 1);
    struct ps_store_stats st;
    ps_store_stats(s, &st);
    cr_assert_eq(st.retries, 0, "nothing was re-run");
    ps_pg_test_probe_fails(false);
    ps_store_free(s);
}
