/* The store: one interface over two backends (SQLite now, PostgreSQL next), used by domain
 * code only. SQL is written once with $1..$N placeholders in the common subset of both
 * dialects and bound by parameter; no SQL is ever assembled from values.
 *
 * Transactions are functions. Writes are submitted as jobs to the store's committer, which
 * may run several jobs in one physical transaction (each in its own savepoint) so that they
 * share one fsync: group commit. A job's completion is reported only after its transaction
 * committed durably (ARCHITECTURE.md rule 5). The committer is also the one place that
 * retries a job after a serialization failure or busy database, a bounded number of times.
 *
 * Threading: a struct ps_store is shared by all threads. Each thread that reads gets its own
 * connection (created on first use, closed by ps_store_free; a connection of a thread that
 * exited is reused by the next new thread). Jobs run on committer threads. Internals:
 * docs/internals/store.md. */
#ifndef PS_STORE_STORE_H
#define PS_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ps_store;
struct ps_tx;
struct ps_stmt;

/* A statement definition: static data in the module that owns the SQL. `name` identifies it
 * in metrics and in prepared-statement caches; `sql` uses $1..$N. */
struct ps_sql {
    const char *name;
    const char *sql;
};

enum ps_store_backend { PS_STORE_SQLITE, PS_STORE_POSTGRES };

struct ps_store_opts {
    const char *url;          /* "sqlite:PATH", a bare path, or "postgresql://..." */
    int busy_timeout_ms;      /* SQLite busy timeout / PostgreSQL lock wait; default 5000 */
    int statement_timeout_ms; /* 0: none; PostgreSQL statement_timeout */
    int max_retries;          /* retries of a job after PS_ERR_CONFLICT; default 5 */
    int max_batch;            /* most jobs in one group commit; default 256 (1 disables) */
    int committers;           /* committer threads; 0: 1 for SQLite (one writer anyway), 4 for
                               * PostgreSQL */
    bool migrate;             /* apply pending migrations at open; default true */
    bool create;              /* create the database file if missing (SQLite); default true */
};

/* Fills defaults (url stays NULL). */
void ps_store_opts_init(struct ps_store_opts *o);

/* Opens the store, checks (and with opts->migrate applies) migrations, starts the
 * committer. The url is copied. Migrations this binary knows and the database lacks are
 * applied in order, one transaction each, recorded in schema_migrations; without
 * opts->migrate the store opens anyway and ps_store_ready reports false until they are.
 * Errors: PS_ERR_VERSION when the database is newer than this binary, PS_ERR_UNAVAILABLE
 * when it cannot be reached, PS_ERR_INVALID for a bad url or options (also ":memory:"),
 * PS_ERR_NOMEM, PS_ERR_STORE. Caller frees with ps_store_free. */
enum ps_err ps_store_open(const struct ps_store_opts *opts, struct ps_store **out,
                          struct ps_diag *diag) PS_WUR;
/* Drains submitted jobs (each still gets its done()), stops committers, closes every
 * connection. No other thread may use the store any more. NULL is a no-op. */
void ps_store_free(struct ps_store *s);
enum ps_store_backend ps_store_backend(const struct ps_store *s);

/* Schema version applied in the database, and the newest this binary knows (OUT, either
 * may be NULL). Runs a read on this thread's connection. */
enum ps_err ps_store_schema_version(struct ps_store *s, int *applied, int *known,
                                    struct ps_diag *diag) PS_WUR;
/* True when the database answers a trivial query and migrations are current. */
bool ps_store_ready(struct ps_store *s);

/* ---- transactions as functions ---- */

/* fn runs inside a transaction; it returns PS_OK to commit, anything else to roll back.
 * It must not keep pointers to row data after it returns. */
typedef enum ps_err (*ps_tx_fn)(struct ps_tx *tx, void *ctx);

/* Runs fn in a read-only transaction on this thread's connection (a consistent snapshot of
 * committed data; a write inside fails). fn's error is returned, with the database detail in
 * diag when there is one. Not retried. Must not be called inside a write job (aborts) nor
 * inside another ps_store_read/ps_store_bulk on the same thread (aborts). */
enum ps_err ps_store_read(struct ps_store *s, ps_tx_fn fn, void *ctx,
                          struct ps_diag *diag) PS_WUR;

/* A write job. The caller owns the struct and keeps it alive until done() is called. */
struct ps_store_job {
    ps_tx_fn fn;
    void *ctx;
    /* Called exactly once, on a committer thread, after the job's changes are durable
     * (result PS_OK) or were rolled back (result and diag say why), or, with
     * PS_ERR_UNKNOWN_OUTCOME, when the connection was lost during COMMIT and the store could
     * not learn whether it committed (PostgreSQL): the changes may or may not be durable.
     * Required. Must not block; the store does not touch the job after calling it, so done
     * may free it. */
    void (*done)(struct ps_store_job *job);
    void *done_ctx;
    enum ps_err result;
    struct ps_diag diag;
    /* private to the store */
    struct ps_store_job *next_;
    int attempts_;
};

/* Queues job for the committer; returns at once. The committer runs up to max_batch queued
 * jobs in one transaction, each in its own savepoint: a job whose fn fails is rolled back
 * alone. A job that fails with PS_ERR_CONFLICT is run again, alone, up to max_retries times
 * with a short backoff; if the batch's COMMIT fails, every job in it is run again alone. fn
 * may thus run more than once: it must have no effects outside the transaction and ctx.
 * A COMMIT whose reply is lost with the connection (PostgreSQL) is resolved by asking the
 * server: committed -> PS_OK; rolled back -> as a failed COMMIT; no answer -> the batch's
 * kept jobs get PS_ERR_UNKNOWN_OUTCOME and are never run again.
 * PS_ERR_UNAVAILABLE when the store is shutting down (done is not called then). */
enum ps_err ps_store_submit(struct ps_store *s, struct ps_store_job *job) PS_WUR;
/* Withdraws a submitted job that no committer has taken yet: true when it was still queued
 * (it will never run and done() is not called), false when it is running or done (done()
 * comes or came as usual). For a server that must answer before the job's outcome is known
 * (shutdown) and wants to say truthfully that nothing was written. */
bool ps_store_cancel(struct ps_store *s, struct ps_store_job *job);
/* Submits fn and waits for its durable commit: the synchronous form for CLI and tests.
 * Returns the job's result (PS_ERR_UNKNOWN_OUTCOME included, see ps_store_submit).
 * Aborts when called from inside a write job or a bulk load (it would wait for itself). */
enum ps_err ps_store_write(struct ps_store *s, ps_tx_fn fn, void *ctx,
                           struct ps_diag *diag) PS_WUR;
/* Runs fn in one exclusive write transaction on the calling thread, bypassing the committer:
 * for bulk loads (the demo population) that commit once at the end. On SQLite the committer
 * pauses between batches while it runs (jobs queue up and commit afterwards), so neither
 * waits on the other's lock. Not retried. A lost COMMIT reply is resolved as for jobs
 * (PS_OK, PS_ERR_UNAVAILABLE, or PS_ERR_UNKNOWN_OUTCOME). Aborts inside a write job or a
 * read. */
enum ps_err ps_store_bulk(struct ps_store *s, ps_tx_fn fn, void *ctx,
                          struct ps_diag *diag) PS_WUR;

/* Writes a consistent copy of the live database to dest_path while the store keeps serving
 * (SQLite online backup into "<dest_path>.partial", then an atomic rename). Errors:
 * PS_ERR_INVALID for the PostgreSQL store (use pg_dump) or when dest_path is the live
 * database, PS_ERR_IO, PS_ERR_STORE. Runs on this thread's connection. */
enum ps_err ps_store_backup(struct ps_store *s, const char *dest_path,
                            struct ps_diag *diag) PS_WUR;

/* ---- statements inside a transaction ---- */

/* Prepares (or takes from this connection's cache, keyed by def's address) def. The
 * statement belongs to tx and is valid until ps_stmt_done or the end of the transaction (or
 * of the job's savepoint), when the store releases it. Only $1..$N placeholders are allowed
 * (PS_ERR_INVALID otherwise, and for SQL the database rejects). def must be static. */
enum ps_err ps_tx_prepare(struct ps_tx *tx, const struct ps_sql *def,
                          struct ps_stmt **out) PS_WUR;
/* Parameters are numbered from 1 as $1..$N. Text and blobs are copied (or bound transiently)
 * so the caller's memory need only live until the first ps_stmt_step. */
enum ps_err ps_stmt_bind_text(struct ps_stmt *st, int i, struct ps_str v) PS_WUR;
enum ps_err ps_stmt_bind_i64(struct ps_stmt *st, int i, int64_t v) PS_WUR;
enum ps_err ps_stmt_bind_blob(struct ps_stmt *st, int i, const void *p, size_t n) PS_WUR;
enum ps_err ps_stmt_bind_null(struct ps_stmt *st, int i) PS_WUR;
/* Runs or advances: PS_OK with *row true for a row, *row false when done. Errors:
 * PS_ERR_EXISTS (unique/primary key violated), PS_ERR_INVALID (other constraint: foreign
 * key, check, not null; or a write in a read transaction), PS_ERR_CONFLICT (retryable:
 * return it from a job's fn and the committer retries), PS_ERR_UNAVAILABLE (connection
 * lost), PS_ERR_NOMEM, PS_ERR_LIMIT (value too big), PS_ERR_STORE. */
enum ps_err ps_stmt_step(struct ps_stmt *st, bool *row) PS_WUR;
/* Column reads of the current row, numbered from 0. Text/blob memory is valid until the next
 * step or ps_stmt_done. A NULL column reads as empty / 0 (use ps_stmt_is_null to tell).
 * Reading without a current row or past the last column aborts (API misuse). */
struct ps_str ps_stmt_text(struct ps_stmt *st, int col);
int64_t ps_stmt_i64(struct ps_stmt *st, int col);
struct ps_str ps_stmt_blob(struct ps_stmt *st, int col);
bool ps_stmt_is_null(struct ps_stmt *st, int col);
/* Resets the statement for reuse with new bindings. */
void ps_stmt_reset(struct ps_stmt *st);
/* Releases the statement back to the connection's cache. NULL is a no-op. */
void ps_stmt_done(struct ps_stmt *st);
/* Rows changed by the last completed statement in this transaction. */
int64_t ps_tx_changes(struct ps_tx *tx);
/* Convenience: prepare, bind nothing, step to completion, done (DDL-free utility SQL). */
enum ps_err ps_tx_exec(struct ps_tx *tx, const struct ps_sql *def) PS_WUR;
/* The error detail of the last failed call on this transaction ("" if none). */
const char *ps_tx_errmsg(struct ps_tx *tx);

/* ---- the common shape, with a sticky error ----
 * Prepare, bind $1..$N in order, step; the first failure sticks and every later call does
 * nothing, so a statement is a straight list of calls and one check:
 *
 *     struct ps_query q;
 *     ps_query_start(&q, tx, &sql_insert);
 *     ps_query_text(&q, id);                    binds $1
 *     ps_query_i64(&q, now);                    binds $2
 *     e = ps_query_exec(&q);                    steps to the end and releases
 *
 * or, reading rows: `while (ps_query_row(&q)) { ... ps_stmt_text(q.st, 0) ... }` then
 * `e = ps_query_end(&q)`. Caller-owned struct, one transaction, one thread. */
struct ps_query {
    struct ps_tx *tx;
    struct ps_stmt *st; /* NULL when prepare failed */
    int next;           /* the next parameter number */
    enum ps_err err;    /* the first error */
    int64_t changes;    /* after ps_query_exec: rows it changed */
};
void ps_query_start(struct ps_query *q, struct ps_tx *tx, const struct ps_sql *def);
void ps_query_text(struct ps_query *q, struct ps_str v);
void ps_query_i64(struct ps_query *q, int64_t v);
void ps_query_blob(struct ps_query *q, const void *p, size_t n);
void ps_query_null(struct ps_query *q);
/* Text, or NULL when v.p is NULL. */
void ps_query_text_or_null(struct ps_query *q, struct ps_str v);
/* Steps once: true when a row is there (read it from q->st); false at the end or on error. */
bool ps_query_row(struct ps_query *q);
/* Steps to the end (rows ignored), records changes, releases; the first error. */
enum ps_err ps_query_exec(struct ps_query *q) PS_WUR;
/* Releases; the first error. */
enum ps_err ps_query_end(struct ps_query *q) PS_WUR;

/* Store metrics for /metrics: cumulative counters (thread-safe snapshot). */
struct ps_store_stats {
    uint64_t commits;          /* physical commits */
    uint64_t jobs;             /* jobs committed */
    uint64_t job_failures;
    uint64_t retries;
    uint64_t reads;
    uint64_t commit_ns_total;  /* time in COMMIT (the fsync) */
    uint64_t tx_ns_total;      /* time in transactions including COMMIT */
    uint64_t queue_depth;      /* jobs waiting now */
};
void ps_store_stats(struct ps_store *s, struct ps_store_stats *out);

#endif
