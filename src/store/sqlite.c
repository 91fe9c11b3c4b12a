/* The SQLite backend of the store: connections in WAL mode with synchronous=FULL, statements
 * whose $1..$N placeholders are bound by name, error mapping to enum ps_err, and the online
 * backup. The dispatcher (store.c) decides which connection runs what; this file only talks
 * to SQLite. */
#include "store/store_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/log.h"

/* WAL pages after which the background checkpointer is woken, and after which the writer
 * checkpoints by itself because the background one is not keeping up. */
#define CKPT_WAKE_FRAMES 8000
#define CKPT_INLINE_FRAMES 200000
/* Read through a memory map instead of a pread per page (reads are the hot path of every
 * lookup); pages beyond it are read as usual. */
#define SQ_MMAP_BYTES "1073741824"
#define SQ_CACHE_KIB "32768"

/* The writer's checkpoints run on their own thread and connection, so that copying the WAL
 * into the database (and its fsync) never stalls a commit. */
struct checkpointer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    sqlite3 *db;
    bool stop, pending;
};

/* Fixed control statements, prepared once per connection on first use. */
enum ctl { CTL_BEGIN, CTL_BEGIN_IMM, CTL_BEGIN_EXCL, CTL_COMMIT, CTL_ROLLBACK, CTL_SAVEPOINT,
           CTL_RELEASE, CTL_ROLLBACK_TO, CTL_QUERY_ONLY_ON, CTL_QUERY_ONLY_OFF, CTL_COUNT };

static const char *const ctl_sql[CTL_COUNT] = {
    [CTL_BEGIN] = "BEGIN",
    [CTL_BEGIN_IMM] = "BEGIN IMMEDIATE",
    [CTL_BEGIN_EXCL] = "BEGIN EXCLUSIVE",
    [CTL_COMMIT] = "COMMIT",
    [CTL_ROLLBACK] = "ROLLBACK",
    [CTL_SAVEPOINT] = "SAVEPOINT j",
    [CTL_RELEASE] = "RELEASE j",
    [CTL_ROLLBACK_TO] = "ROLLBACK TO j",
    [CTL_QUERY_ONLY_ON] = "PRAGMA query_only=1",
    [CTL_QUERY_ONLY_OFF] = "PRAGMA query_only=0",
};

struct sq_conn {
    struct ps_conn base;
    sqlite3 *db;
    sqlite3_stmt *ctl[CTL_COUNT];
    bool reader;      /* query_only outside bulk loads */
    bool unlocked;    /* query_only lifted for the current bulk transaction */
    struct checkpointer *ckpt; /* the writer's, NULL on readers */
};

struct sq_stmt {
    struct ps_stmt base;
    sqlite3_stmt *st;
    int *pmap;        /* pmap[N] = SQLite parameter index of "$N"; 0 when absent */
    int maxp;         /* highest N */
    int ncols;
    bool has_row;
};

static struct sq_conn *sqc(struct ps_conn *c)
{
    return (struct sq_conn *)c;
}

static struct sq_stmt *sqs(struct ps_stmt *st)
{
    return (struct sq_stmt *)st;
}

static enum ps_err map_rc(sqlite3 *db, int rc, char *errmsg)
{
    if (errmsg)
        ps_store_errf(errmsg, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return PS_OK;
    case SQLITE_CONSTRAINT:
        if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return PS_ERR_EXISTS;
        return PS_ERR_INVALID;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return PS_ERR_CONFLICT;
    case SQLITE_NOMEM:
        return PS_ERR_NOMEM;
    case SQLITE_TOOBIG:
        return PS_ERR_LIMIT;
    case SQLITE_RANGE:
    case SQLITE_MISMATCH:
        return PS_ERR_INVALID;
    case SQLITE_CANTOPEN:
        return PS_ERR_UNAVAILABLE;
    case SQLITE_MISUSE:
        return PS_ERR_INTERNAL;
    default:
        return PS_ERR_STORE;
    }
}

static enum ps_err ctl_run(struct sq_conn *c, enum ctl which, char *errmsg)
{
    int rc;
    if (!c->ctl[which]) {
        rc = sqlite3_prepare_v2(c->db, ctl_sql[which], -1, &c->ctl[which], NULL);
        if (rc != SQLITE_OK)
            return map_rc(c->db, rc, errmsg);
    }
    rc = sqlite3_step(c->ctl[which]);
    sqlite3_reset(c->ctl[which]);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return map_rc(c->db, rc, errmsg);
    return PS_OK;
}

static enum ps_err sq_check_target(const char *target, struct ps_diag *diag)
{
    if (!target[0])
        return ps_diag_set(diag, PS_ERR_INVALID, "store url names no SQLite database file");
    if (strcmp(target, ":memory:") == 0 || strncmp(target, "file:", 5) == 0)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "SQLite store needs a file path (in-memory and URI names are not "
                           "shared between connections): %s", target);
    return PS_OK;
}

/* journal_mode answers with the mode in force, which is not WAL on file systems that cannot
 * share memory; refuse those rather than run with weaker guarantees. */
static enum ps_err set_wal(sqlite3 *db, struct ps_diag *diag)
{
    sqlite3_stmt *st = NULL;
    enum ps_err err = PS_OK;
    char msg[PS_STORE_ERRMSG_CAP];
    int rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        err = map_rc(db, rc, msg);
        ps_diag_set(diag, err, "cannot switch SQLite to WAL mode: %s", msg);
        goto out;
    }
    const unsigned char *mode = sqlite3_column_text(st, 0);
    if (!mode || sqlite3_stricmp((const char *)mode, "wal") != 0) {
        err = ps_diag_set(diag, PS_ERR_STORE, "SQLite refused WAL mode (journal_mode is %s)",
                          mode ? (const char *)mode : "unknown");
        goto out;
    }
out:
    sqlite3_finalize(st);
    return err;
}

static enum ps_err configure(struct sq_conn *c, const struct ps_store_opts *o,
                             struct ps_diag *diag)
{
    char msg[PS_STORE_ERRMSG_CAP];
    enum ps_err err;
    sqlite3_extended_result_codes(c->db, 1);
    sqlite3_busy_timeout(c->db, o->busy_timeout_ms);
    err = set_wal(c->db, diag);
    if (err != PS_OK)
        return err;
    char *emsg = NULL;
    int rc = sqlite3_exec(c->db,
                          "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                          "PRAGMA trusted_schema=OFF; PRAGMA temp_store=MEMORY; "
                          "PRAGMA mmap_size=" SQ_MMAP_BYTES "; "
                          "PRAGMA cache_size=-" SQ_CACHE_KIB,
                          NULL, NULL, &emsg);
    if (rc != SQLITE_OK) {
        err = map_rc(c->db, rc, msg);
        sqlite3_free(emsg);
        return ps_diag_set(diag, err, "cannot configure SQLite connection: %s", msg);
    }
    if (c->reader) {
        err = ctl_run(c, CTL_QUERY_ONLY_ON, msg);
        if (err != PS_OK)
            return ps_diag_set(diag, err, "cannot make SQLite connection read-only: %s", msg);
    }
    return PS_OK;
}

static void *checkpointer_main(void *arg)
{
    struct checkpointer *k = arg;
    pthread_mutex_lock(&k->lock);
    while (!k->stop) {
        if (!k->pending) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 5;
            pthread_cond_timedwait(&k->wake, &k->lock, &until);
        }
        if (k->stop)
            break;
        k->pending = false;
        pthread_mutex_unlock(&k->lock);
        /* PASSIVE never waits for readers or the writer: it copies what it can */
        int rc = sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
            ps_log(PS_LOG_WARN, "sqlite checkpoint: %s", sqlite3_errmsg(k->db));
        pthread_mutex_lock(&k->lock);
    }
    pthread_mutex_unlock(&k->lock);
    return NULL;
}

static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
    struct checkpointer *k = arg;
    if (frames >= CKPT_INLINE_FRAMES) {
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
        return SQLITE_OK;
    }
    if (frames >= CKPT_WAKE_FRAMES) {
        pthread_mutex_lock(&k->lock);
        if (!k->pending) {
            k->pending = true;
            pthread_cond_signal(&k->wake);
        }
        pthread_mutex_unlock(&k->lock);
    }
    return SQLITE_OK;
}

static void checkpointer_stop(struct checkpointer *k)
{
    if (!k)
        return;
    pthread_mutex_lock(&k->lock);
    k->stop = true;
    pthread_cond_signal(&k->wake);
    pthread_mutex_unlock(&k->lock);
    pthread_join(k->thread, NULL);
    /* one last full copy so that a clean shutdown leaves a small WAL */
    (void)sqlite3_wal_checkpoint_v2(k->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
    sqlite3_close_v2(k->db);
    pthread_cond_destroy(&k->wake);
    pthread_mutex_destroy(&k->lock);
    ps_free(k);
}

/* Turns off the writer's automatic checkpoints and starts the background checkpointer on a
 * connection of its own. */
static enum ps_err checkpointer_start(struct sq_conn *c, const char *target,
                                      const struct ps_store_opts *o, struct ps_diag *diag)
{
    struct checkpointer *k = ps_calloc(1, sizeof *k);
    if (!k)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory starting the checkpointer");
    int rc = sqlite3_open_v2(target, &k->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(k->db, o->busy_timeout_ms);
        rc = sqlite3_exec(k->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
    }
    if (rc != SQLITE_OK) {
        char msg[PS_STORE_ERRMSG_CAP];
        enum ps_err err = map_rc(k->db, rc, msg);
        ps_diag_set(diag, err, "cannot open the checkpoint connection: %s", msg);
        sqlite3_close_v2(k->db);
        ps_free(k);
        return err;
    }
    pthread_mutex_init(&k->lock, NULL);
    pthread_cond_init(&k->wake, NULL);
    if (pthread_create(&k->thread, NULL, checkpointer_main, k) != 0) {
        pthread_cond_destroy(&k->wake);
        pthread_mutex_destroy(&k->lock);
        sqlite3_close_v2(k->db);
        ps_free(k);
        return ps_diag_set(diag, PS_ERR_STORE, "cannot start the checkpoint thread");
    }
    sqlite3_wal_autocheckpoint(c->db, 0);
    sqlite3_wal_hook(c->db, on_wal_commit, k);
    c->ckpt = k;
    return PS_OK;
}

static void sq_close(struct ps_conn *pc)
{
    struct sq_conn *c = sqc(pc);
    if (!c)
        return;
    if (c->ckpt) {
        sqlite3_wal_hook(c->db, NULL, NULL);
        checkpointer_stop(c->ckpt);
        c->ckpt = NULL;
    }
    for (int i = 0; i < CTL_COUNT; i++)
        sqlite3_finalize(c->ctl[i]);
    /* sqlite3_close_v2 defers the close if a statement was leaked; the dispatcher finalizes
     * every statement first, so this closes at once. */
    sqlite3_close_v2(c->db);
    ps_free(c);
}

/* ---- SQLite's allocations through ps_malloc ----
 * SQLite asks its allocator for the size of a block (xSize); the wrapper does not know it, so
 * each block carries it in an 8-byte header, as SQLite's own mem1.c does without
 * malloc_usable_size. Blocks stay 8-byte aligned, which is what SQLite requires. */

#define MEM_HEADER 8

static void *mem_malloc(int n)
{
    if (n <= 0)
        return NULL;
    int64_t *p = ps_malloc((size_t)n + MEM_HEADER);
    if (!p)
        return NULL;
    p[0] = n;
    return p + 1;
}

static void mem_free(void *p)
{
    if (p)
        ps_free((int64_t *)p - 1);
}

static void *mem_realloc(void *p, int n)
{
    if (n <= 0)
        return NULL;
    int64_t *q = ps_realloc((int64_t *)p - 1, (size_t)n + MEM_HEADER);
    if (!q)
        return NULL;
    q[0] = n;
    return q + 1;
}

static int mem_size(void *p)
{
    return p ? (int)((int64_t *)p)[-1] : 0;
}

static int mem_roundup(int n)
{
    return n > INT32_MAX - 7 ? n : (n + 7) & ~7;
}

static int mem_init(void *ctx)
{
    (void)ctx;
    return SQLITE_OK;
}

static void mem_shutdown(void *ctx)
{
    (void)ctx;
}

static pthread_once_t routed = PTHREAD_ONCE_INIT;

/* Before SQLite's first use: configuring it afterwards fails (SQLITE_MISUSE), and then SQLite
 * keeps the C library's allocator, which is only a lost test reach, so it is not an error. */
static void route_allocations(void)
{
    static const sqlite3_mem_methods methods = {mem_malloc, mem_free,    mem_realloc, mem_size,
                                                mem_roundup, mem_init, mem_shutdown, NULL};
    if (sqlite3_config(SQLITE_CONFIG_MALLOC, &methods) != SQLITE_OK)
        ps_log(PS_LOG_DEBUG, "SQLite was already in use: its allocations bypass ps_malloc");
}

static enum ps_err sq_open(struct ps_store *s, const char *target, const struct ps_store_opts *o,
                           bool writer, struct ps_conn **out, struct ps_diag *diag)
{
    enum ps_err err;
    *out = NULL;
    pthread_once(&routed, route_allocations);
    if (!sqlite3_threadsafe())
        return ps_diag_set(diag, PS_ERR_INTERNAL, "SQLite was built without thread support");
    struct sq_conn *c = ps_calloc(1, sizeof *c);
    if (!c)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory opening SQLite connection");
    c->base.be = &ps_backend_sqlite;
    c->base.store = s;
    c->reader = !writer;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (o->create && writer)
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(target, &c->db, flags, NULL);
    if (rc != SQLITE_OK) {
        char msg[PS_STORE_ERRMSG_CAP];
        err = map_rc(c->db, rc, msg);
        if (err == PS_ERR_STORE)
            err = PS_ERR_UNAVAILABLE;
        ps_diag_set(diag, err, "cannot open SQLite database %s: %s", target, msg);
        goto fail;
    }
    err = configure(c, o, diag);
    if (err == PS_OK && writer)
        err = checkpointer_start(c, target, o, diag);
    if (err != PS_OK)
        goto fail;
    *out = &c->base;
    return PS_OK;
fail:
    sq_close(&c->base);
    return err;
}

static enum ps_err sq_begin(struct ps_conn *pc, enum ps_tx_mode mode, char *errmsg)
{
    struct sq_conn *c = sqc(pc);
    enum ps_err err;
    switch (mode) {
    case PS_TX_READ:
        return ctl_run(c, CTL_BEGIN, errmsg);
    case PS_TX_WRITE:
        return ctl_run(c, CTL_BEGIN_IMM, errmsg);
    case PS_TX_BULK:
        if (c->reader) {
            err = ctl_run(c, CTL_QUERY_ONLY_OFF, errmsg);
            if (err != PS_OK)
                return err;
            c->unlocked = true;
        }
        err = ctl_run(c, CTL_BEGIN_EXCL, errmsg);
        if (err != PS_OK && c->unlocked) {
            (void)ctl_run(c, CTL_QUERY_ONLY_ON, NULL);
            c->unlocked = false;
        }
        return err;
    }
    return PS_ERR_INTERNAL;
}

/* After a bulk load the reader connection becomes read-only again. Should that fail (it
 * cannot, short of memory), the connection stays writable: no data is at risk, the read
 * path only loses its guard. */
static void relock(struct sq_conn *c)
{
    if (c->unlocked) {
        (void)ctl_run(c, CTL_QUERY_ONLY_ON, NULL);
        c->unlocked = false;
    }
}

static enum ps_err sq_commit(struct ps_conn *pc, char *errmsg)
{
    struct sq_conn *c = sqc(pc);
    enum ps_err err = ctl_run(c, CTL_COMMIT, errmsg);
    if (err == PS_OK)
        relock(c);
    return err;
}

static void sq_rollback(struct ps_conn *pc)
{
    struct sq_conn *c = sqc(pc);
    if (!sqlite3_get_autocommit(c->db))
        (void)ctl_run(c, CTL_ROLLBACK, NULL);
    relock(c);
}

static bool sq_tx_alive(struct ps_conn *pc)
{
    return !sqlite3_get_autocommit(sqc(pc)->db);
}

static enum ps_err sq_savepoint(struct ps_conn *pc, char *errmsg)
{
    return ctl_run(sqc(pc), CTL_SAVEPOINT, errmsg);
}

static enum ps_err sq_release(struct ps_conn *pc, char *errmsg)
{
    return ctl_run(sqc(pc), CTL_RELEASE, errmsg);
}

/* ROLLBACK TO keeps the savepoint open; RELEASE then removes it, so the contract "undo the
 * job and forget its savepoint" holds in one call. */
static enum ps_err sq_rollback_to(struct ps_conn *pc, char *errmsg)
{
    enum ps_err err = ctl_run(sqc(pc), CTL_ROLLBACK_TO, errmsg);
    if (err != PS_OK)
        return err;
    return ctl_run(sqc(pc), CTL_RELEASE, errmsg);
}

static enum ps_err sq_exec_script(struct ps_conn *pc, const char *sql, char *errmsg)
{
    struct sq_conn *c = sqc(pc);
    char *emsg = NULL;
    int rc = sqlite3_exec(c->db, sql, NULL, NULL, &emsg);
    sqlite3_free(emsg);
    if (rc != SQLITE_OK)
        return map_rc(c->db, rc, errmsg);
    return PS_OK;
}

/* ---- statements ---- */

/* Only "$N" placeholders (N from 1 to 999, no leading zero) exist in the common dialect. */
static int param_number(const char *name)
{
    if (!name || name[0] != '$' || name[1] < '1' || name[1] > '9')
        return 0;
    int n = 0;
    for (const char *p = name + 1; *p; p++) {
        if (*p < '0' || *p > '9' || n > 99)
            return 0;
        n = n * 10 + (*p - '0');
    }
    return n;
}

static enum ps_err build_pmap(struct sq_stmt *s, const struct ps_sql *def, char *errmsg)
{
    int count = sqlite3_bind_parameter_count(s->st);
    int maxp = 0;
    for (int i = 1; i <= count; i++) {
        int n = param_number(sqlite3_bind_parameter_name(s->st, i));
        if (n == 0) {
            const char *nm = sqlite3_bind_parameter_name(s->st, i);
            ps_store_errf(errmsg, "%s: placeholder %s is not $1..$N", def->name,
                          nm ? nm : "?");
            return PS_ERR_INVALID;
        }
        if (n > maxp)
            maxp = n;
    }
    s->maxp = maxp;
    s->pmap = ps_calloc((size_t)maxp + 1, sizeof *s->pmap);
    if (!s->pmap)
        return PS_ERR_NOMEM;
    for (int i = 1; i <= count; i++)
        s->pmap[param_number(sqlite3_bind_parameter_name(s->st, i))] = i;
    return PS_OK;
}

static void sq_finalize(struct ps_stmt *pst)
{
    struct sq_stmt *s = sqs(pst);
    if (!s)
        return;
    sqlite3_finalize(s->st);
    ps_free(s->pmap);
    ps_free(s);
}

static enum ps_err sq_prepare(struct ps_conn *pc, const struct ps_sql *def, struct ps_stmt **out,
                              char *errmsg)
{
    struct sq_conn *c = sqc(pc);
    enum ps_err err;
    *out = NULL;
    struct sq_stmt *s = ps_calloc(1, sizeof *s);
    if (!s)
        return PS_ERR_NOMEM;
    int rc = sqlite3_prepare_v3(c->db, def->sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st, NULL);
    if (rc != SQLITE_OK) {
        err = map_rc(c->db, rc, errmsg);
        if (err == PS_ERR_STORE)
            err = PS_ERR_INVALID; /* a syntax error or unknown table is the SQL's fault */
        goto fail;
    }
    if (!s->st) {
        ps_store_errf(errmsg, "%s: no SQL statement", def->name);
        err = PS_ERR_INVALID;
        goto fail;
    }
    err = build_pmap(s, def, errmsg);
    if (err != PS_OK)
        goto fail;
    s->ncols = sqlite3_column_count(s->st);
    *out = &s->base;
    return PS_OK;
fail:
    sq_finalize(&s->base);
    return err;
}

static void sq_reset(struct ps_stmt *pst)
{
    struct sq_stmt *s = sqs(pst);
    sqlite3_reset(s->st);
    sqlite3_clear_bindings(s->st);
    s->has_row = false;
}

static enum ps_err param_index(struct sq_stmt *s, int i, int *idx, char *errmsg)
{
    if (i < 1 || i > s->maxp || s->pmap[i] == 0) {
        ps_store_errf(errmsg, "%s: no placeholder $%d", s->base.def->name, i);
        return PS_ERR_INVALID;
    }
    *idx = s->pmap[i];
    return PS_OK;
}

static enum ps_err sq_bind_text(struct ps_stmt *pst, int i, struct ps_str v, char *errmsg)
{
    struct sq_stmt *s = sqs(pst);
    int idx;
    enum ps_err err = param_index(s, i, &idx, errmsg);
    if (err != PS_OK)
        return err;
    int rc = sqlite3_bind_text64(s->st, idx, v.p ? v.p : "", v.len, SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
    return rc == SQLITE_OK ? PS_OK : map_rc(sqc(s->base.conn)->db, rc, errmsg);
}

static enum ps_err sq_bind_i64(struct ps_stmt *pst, int i, int64_t v, char *errmsg)
{
    struct sq_stmt *s = sqs(pst);
    int idx;
    enum ps_err err = param_index(s, i, &idx, errmsg);
    if (err != PS_OK)
        return err;
    int rc = sqlite3_bind_int64(s->st, idx, v);
    return rc == SQLITE_OK ? PS_OK : map_rc(sqc(s->base.conn)->db, rc, errmsg);
}

static enum ps_err sq_bind_blob(struct ps_stmt *pst, int i, const void *p, size_t n,
                                char *errmsg)
{
    struct sq_stmt *s = sqs(pst);
    int idx;
    enum ps_err err = param_index(s, i, &idx, errmsg);
    if (err != PS_OK)
        return err;
    /* a zero-length blob is still a blob, not NULL */
    int rc = n ? sqlite3_bind_blob64(s->st, idx, p, n, SQLITE_TRANSIENT)
               : sqlite3_bind_zeroblob(s->st, idx, 0);
    return rc == SQLITE_OK ? PS_OK : map_rc(sqc(s->base.conn)->db, rc, errmsg);
}

static enum ps_err sq_bind_null(struct ps_stmt *pst, int i, char *errmsg)
{
    struct sq_stmt *s = sqs(pst);
    int idx;
    enum ps_err err = param_index(s, i, &idx, errmsg);
    if (err != PS_OK)
        return err;
    int rc = sqlite3_bind_null(s->st, idx);
    return rc == SQLITE_OK ? PS_OK : map_rc(sqc(s->base.conn)->db, rc, errmsg);
}

static enum ps_err sq_step(struct ps_stmt *pst, bool *row, char *errmsg)
{
    struct sq_stmt *s = sqs(pst);
    int rc = sqlite3_step(s->st);
    s->has_row = rc == SQLITE_ROW;
    *row = s->has_row;
    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        return PS_OK;
    return map_rc(sqc(s->base.conn)->db, rc, errmsg);
}

static void check_col(struct sq_stmt *s, int col)
{
    if (!s->has_row)
        ps_panic(__FILE__, __LINE__, "ps_stmt column read without a current row");
    if (col < 0 || col >= s->ncols)
        ps_panic(__FILE__, __LINE__, "ps_stmt column index out of range");
}

/* SQLite answers NULL for a value it could not convert for lack of memory, and then says so in
 * the connection's error code (after the step that made the row it is SQLITE_ROW); NULL for SQL
 * NULL and a zero-length blob leaves it so. */
static bool read_nomem(struct sq_stmt *s, int col)
{
    (void)col; /* the value's type may read NULL after the failed conversion */
    return sqlite3_errcode(sqlite3_db_handle(s->st)) == SQLITE_NOMEM;
}

static struct ps_str sq_col_text(struct ps_stmt *pst, int col, bool *nomem)
{
    struct sq_stmt *s = sqs(pst);
    check_col(s, col);
    const unsigned char *t = sqlite3_column_text(s->st, col);
    if (!t) {
        *nomem = read_nomem(s, col);
        return PS_STR("");
    }
    return (struct ps_str){(const char *)t, (size_t)sqlite3_column_bytes(s->st, col)};
}

static int64_t sq_col_i64(struct ps_stmt *pst, int col)
{
    struct sq_stmt *s = sqs(pst);
    check_col(s, col);
    return sqlite3_column_int64(s->st, col);
}

static struct ps_str sq_col_blob(struct ps_stmt *pst, int col, bool *nomem)
{
    struct sq_stmt *s = sqs(pst);
    check_col(s, col);
    const void *p = sqlite3_column_blob(s->st, col);
    if (!p) {
        *nomem = read_nomem(s, col);
        return PS_STR("");
    }
    return (struct ps_str){p, (size_t)sqlite3_column_bytes(s->st, col)};
}

static bool sq_col_is_null(struct ps_stmt *pst, int col)
{
    struct sq_stmt *s = sqs(pst);
    check_col(s, col);
    return sqlite3_column_type(s->st, col) == SQLITE_NULL;
}

static int64_t sq_changes(struct ps_conn *pc)
{
    return sqlite3_changes64(sqc(pc)->db);
}

/* ---- online backup ---- */

static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (!a || !b || stat(a, &sa) != 0 || stat(b, &sb) != 0)
        return false;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* rename() is durable only once the directory entry is on disk. */
static enum ps_err sync_dir_of(const char *path, struct ps_diag *diag)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        size_t n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir)
            return ps_diag_set(diag, PS_ERR_LIMIT, "backup path too long");
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return ps_diag_set(diag, PS_ERR_IO, "cannot open %s: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0)
        return ps_diag_set(diag, PS_ERR_IO, "cannot sync %s: %s", dir, strerror(e));
    return PS_OK;
}

/* Copies into "<dest>.partial" in one backup step (one read snapshot of the source, so the
 * copy is consistent while the committer keeps writing), then renames it over dest. */
static enum ps_err sq_backup(struct ps_conn *pc, const char *dest, struct ps_diag *diag)
{
    struct sq_conn *c = sqc(pc);
    enum ps_err err = PS_OK;
    sqlite3 *dst = NULL;
    char tmp[4096];
    char msg[PS_STORE_ERRMSG_CAP];
    if (!dest || !dest[0])
        return ps_diag_set(diag, PS_ERR_INVALID, "backup needs a destination path");
    if (same_file(dest, sqlite3_db_filename(c->db, "main")))
        return ps_diag_set(diag, PS_ERR_INVALID, "backup destination %s is the live database",
                           dest);
    int n = snprintf(tmp, sizeof tmp, "%s.partial", dest);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ps_diag_set(diag, PS_ERR_LIMIT, "backup path too long");
    if (unlink(tmp) != 0 && errno != ENOENT)
        return ps_diag_set(diag, PS_ERR_IO, "cannot remove %s: %s", tmp, strerror(errno));
    int rc = sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        err = map_rc(dst, rc, msg);
        ps_diag_set(diag, err, "cannot create %s: %s", tmp, msg);
        goto out;
    }
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", c->db, "main");
    if (!b) {
        err = map_rc(dst, sqlite3_errcode(dst), msg);
        ps_diag_set(diag, err, "cannot start backup: %s", msg);
        goto out;
    }
    rc = sqlite3_backup_step(b, -1);
    int frc = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE || frc != SQLITE_OK) {
        err = map_rc(dst, rc != SQLITE_DONE ? rc : frc, msg);
        ps_diag_set(diag, err ? err : PS_ERR_STORE, "backup failed: %s", msg);
        err = err ? err : PS_ERR_STORE;
        goto out;
    }
    rc = sqlite3_close(dst);
    dst = NULL;
    if (rc != SQLITE_OK) {
        err = ps_diag_set(diag, PS_ERR_IO, "cannot close %s: %s", tmp, sqlite3_errstr(rc));
        goto out;
    }
    if (rename(tmp, dest) != 0) {
        err = ps_diag_set(diag, PS_ERR_IO, "cannot rename %s to %s: %s", tmp, dest,
                          strerror(errno));
        goto out;
    }
    err = sync_dir_of(dest, diag);
out:
    if (dst)
        sqlite3_close(dst);
    if (err != PS_OK)
        (void)unlink(tmp);
    return err;
}

static const struct ps_sql has_migrations_sql = {
    "store.has_migrations",
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
};

const struct ps_backend ps_backend_sqlite = {
    .name = "sqlite",
    .kind = PS_STORE_SQLITE,
    .exclusive_bulk = true,
    .check_target = sq_check_target,
    .open = sq_open,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .tx_alive = sq_tx_alive,
    .savepoint = sq_savepoint,
    .release = sq_release,
    .rollback_to = sq_rollback_to,
    .exec_script = sq_exec_script,
    .prepare = sq_prepare,
    .finalize = sq_finalize,
    .reset = sq_reset,
    .bind_text = sq_bind_text,
    .bind_i64 = sq_bind_i64,
    .bind_blob = sq_bind_blob,
    .bind_null = sq_bind_null,
    .step = sq_step,
    .col_text = sq_col_text,
    .col_i64 = sq_col_i64,
    .col_blob = sq_col_blob,
    .col_is_null = sq_col_is_null,
    .changes = sq_changes,
    .backup = sq_backup,
    .sql_has_migrations = &has_migrations_sql,
};
