/* Private parts of the store shared by the dispatcher (store.c) and the backends (sqlite.c,
 * postgres.c): the backend vtable, the common headers of connections and statements, and the
 * embedded migration tables. Nothing outside src/store includes this file. */
#ifndef PS_STORE_STORE_INT_H
#define PS_STORE_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* How a transaction starts. READ: a consistent read-only snapshot. WRITE: takes the write
 * lock at once (SQLite BEGIN IMMEDIATE; PostgreSQL BEGIN). BULK: one long exclusive write
 * (SQLite BEGIN EXCLUSIVE; PostgreSQL BEGIN). */
enum ps_tx_mode { PS_TX_READ, PS_TX_WRITE, PS_TX_BULK };

/* One cached prepared statement per struct ps_sql, per connection (a small open-addressing
 * table keyed by the definition's address; definitions are static, so addresses are stable). */
struct ps_stmt_slot {
    const struct ps_sql *def;
    struct ps_stmt *st;
};

/* Common head of a backend connection. A backend allocates its own struct with this as the
 * first member and fills `be`; everything else belongs to the dispatcher. A connection is
 * used by one thread at a time; it may be closed from another thread (ps_store_free). */
struct ps_conn {
    const struct ps_backend *be;
    struct ps_store *store;
    struct ps_conn *next_all;  /* the store's list of every connection (owner: the store) */
    struct ps_conn *next_idle; /* reader connections released by exited threads */
    bool in_tx;
    bool is_writer;
    struct ps_stmt_slot *cache; /* owned; cache_cap entries, power of two */
    size_t cache_cap;
    size_t cache_used;
};

/* Common head of a backend statement, first member of the backend's struct. */
struct ps_stmt {
    struct ps_conn *conn;
    const struct ps_sql *def;
    struct ps_tx *tx;           /* the transaction holding it; NULL while idle in the cache */
    struct ps_stmt *next_held;  /* the transaction's list of held statements */
    bool cached;                /* true: lives in conn->cache; false: finalized on done */
};

/* A transaction as the tx functions see it. Lives on the stack of the code that runs it. */
struct ps_tx {
    struct ps_store *store;
    struct ps_conn *conn;
    enum ps_tx_mode mode;
    struct ps_stmt *held;       /* statements handed out and not yet done */
    char errmsg[256];           /* detail of the last failure ("" if none) */
    /* A column read ran out of memory and handed back "" instead of the value: the function
     * running in this transaction may have used it, so its result becomes PS_ERR_NOMEM (and a
     * write is rolled back) whatever it returns; further steps fail too. */
    bool read_failed;
};

/* The backend vtable. Every function returning enum ps_err fills `errmsg` (cap 256) with
 * the database's own words on failure, where one is given. Errors map as follows: unique or
 * primary-key violation -> PS_ERR_EXISTS; busy, locked, serialization failure, deadlock ->
 * PS_ERR_CONFLICT (the committer retries); other constraint violations -> PS_ERR_INVALID;
 * connection lost or database unreachable -> PS_ERR_UNAVAILABLE; anything else ->
 * PS_ERR_STORE. */
struct ps_backend {
    const char *name;                 /* "sqlite", "postgres" */
    enum ps_store_backend kind;
    /* True when a bulk load must keep the committers out (SQLite: one writer at a time,
     * so a committer would only wait on the busy timeout and fail). */
    bool exclusive_bulk;
    /* Parses the url (after the dispatcher picked this backend) and checks it; target is the
     * part after "sqlite:" for SQLite, the whole url for PostgreSQL. */
    enum ps_err (*check_target)(const char *target, struct ps_diag *diag);
    /* Opens one connection with the store's settings; *out is owned by the dispatcher and
     * released with close. writer: the committer's connection (SQLite: the only one that
     * may write outside ps_store_bulk). */
    enum ps_err (*open)(struct ps_store *s, const char *target, const struct ps_store_opts *o,
                        bool writer, struct ps_conn **out, struct ps_diag *diag);
    void (*close)(struct ps_conn *c);
    enum ps_err (*begin)(struct ps_conn *c, enum ps_tx_mode mode, char *errmsg);
    /* Ends a transaction begun here. A backend whose connection can be lost while COMMIT is
     * in flight (PostgreSQL) finds out what happened before returning: PS_OK when it
     * committed, an error when it did not, PS_ERR_UNKNOWN_OUTCOME when it cannot tell (the
     * dispatcher then neither reports the jobs successful nor runs them again). */
    enum ps_err (*commit)(struct ps_conn *c, char *errmsg);
    void (*rollback)(struct ps_conn *c); /* best effort; the connection stays usable */
    /* False when the database ended the transaction by itself (SQLite does so after some
     * I/O or memory errors): the dispatcher then treats the whole batch as failed. */
    bool (*tx_alive)(struct ps_conn *c);
    /* Savepoints used by group commit: one per job, named by the dispatcher ("j"). */
    enum ps_err (*savepoint)(struct ps_conn *c, char *errmsg);
    enum ps_err (*release)(struct ps_conn *c, char *errmsg);
    enum ps_err (*rollback_to)(struct ps_conn *c, char *errmsg);
    /* Runs a script of several statements without parameters (migrations only). */
    enum ps_err (*exec_script)(struct ps_conn *c, const char *sql, char *errmsg);

    /* Statements. prepare allocates a backend statement whose head the dispatcher fills;
     * finalize frees it; reset clears bindings and the cursor for reuse. */
    enum ps_err (*prepare)(struct ps_conn *c, const struct ps_sql *def, struct ps_stmt **out,
                           char *errmsg);
    void (*finalize)(struct ps_stmt *st);
    void (*reset)(struct ps_stmt *st);
    enum ps_err (*bind_text)(struct ps_stmt *st, int i, struct ps_str v, char *errmsg);
    enum ps_err (*bind_i64)(struct ps_stmt *st, int i, int64_t v, char *errmsg);
    enum ps_err (*bind_blob)(struct ps_stmt *st, int i, const void *p, size_t n, char *errmsg);
    enum ps_err (*bind_null)(struct ps_stmt *st, int i, char *errmsg);
    enum ps_err (*step)(struct ps_stmt *st, bool *row, char *errmsg);
    /* Column reads; *nomem is set when the value could not be produced for lack of memory
     * (a conversion or a decoding buffer): the result is then "" and taints the transaction
     * (read_failed). */
    struct ps_str (*col_text)(struct ps_stmt *st, int col, bool *nomem);
    int64_t (*col_i64)(struct ps_stmt *st, int col);
    struct ps_str (*col_blob)(struct ps_stmt *st, int col, bool *nomem);
    bool (*col_is_null)(struct ps_stmt *st, int col);
    int64_t (*changes)(struct ps_conn *c);

    /* A consistent copy of the live database to dest_path (SQLite online backup); a backend
     * without one returns PS_ERR_INVALID saying what to use instead. */
    enum ps_err (*backup)(struct ps_conn *c, const char *dest_path, struct ps_diag *diag);

    /* Dialect SQL the dispatcher needs: one row, one integer column, 1 when the table
     * schema_migrations exists. */
    const struct ps_sql *sql_has_migrations;
    /* NULL, or a statement that makes concurrent processes migrate one at a time (PostgreSQL:
     * a transaction-scoped advisory lock). When set, each migration runs in PS_TX_BULK mode
     * (PostgreSQL: READ COMMITTED) and executes it first, so that every later statement sees
     * what the process that held the lock before committed. */
    const struct ps_sql *sql_migration_lock;
};

/* Writes a formatted detail into a backend errmsg buffer (PS_STORE_ERRMSG_CAP bytes; errmsg
 * may be NULL), marking a cut with "...": details are bounded. Shared by the dispatcher and
 * both backends (errmsg.c). */
void ps_store_errf(char *errmsg, const char *fmt, ...) PS_PRINTF(2, 3);
#define PS_STORE_ERRMSG_CAP 256

extern const struct ps_backend ps_backend_sqlite;
extern const struct ps_backend ps_backend_postgres;

/* ---- embedded migrations (generated by scripts/embed_migrations.py) ---- */

struct ps_migration {
    int version;       /* NNNN from the file name */
    const char *name;  /* the rest of the file name, without ".sql" */
    const char *sql;   /* the file's text, NUL-terminated */
};

/* Sorted by version, each version once, the same versions and names in both dialects (the
 * generator checks). Gaps are allowed; the newest known version is the last entry's. */
extern const struct ps_migration ps_migrations_sqlite[];
extern const size_t ps_migrations_sqlite_count;
extern const struct ps_migration ps_migrations_postgres[];
extern const size_t ps_migrations_postgres_count;

#endif
