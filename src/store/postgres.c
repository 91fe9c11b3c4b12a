/* The PostgreSQL backend of the store (store_int.h's vtable) over libpq: named prepared
 * statements per connection, text-format parameters and results (blobs go in as binary
 * bytea parameters and come back as bytea hex text, decoded here), SERIALIZABLE write
 * transactions, SQLSTATE-to-ps_err mapping, reconnection after a lost connection, and the
 * outcome check of a COMMIT whose reply was lost. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "core/alloc.h"
#include "store/pg_int.h"
#include "store/store_int.h"

#define PG_BYTEA_OID 17
#define PG_XID_CAP 24         /* an xid8 in decimal: at most 20 digits */
#define PG_RESOLVE_CONNECTS 3 /* reconnect tries after a lost COMMIT reply */
#define PG_RESOLVE_POLLS 12   /* pg_xact_status reads while it says "in progress" */
#define PG_RESOLVE_DELAY_MAX_MS 200
#define PG_IDENT_CAP 40 /* "<system_identifier>/<timeline>": 20 digits, '/', 8 hex digits */

/* Server-side prepared statements belong to a session. Every (re)connect starts a new
 * generation; a cached statement prepared in an older one is prepared again, under the same
 * name, the next time it runs. So the dispatcher's cache never needs invalidating. */
struct pg_conn {
    struct ps_conn head; /* first: the dispatcher's part */
    PGconn *pg;
    int statement_timeout_ms;
    int lock_timeout_ms;
    unsigned gen;     /* session generation, bumped on every successful reconnect */
    unsigned next_id; /* statement names are "s<id>", unique per connection */
    int64_t changes;  /* rows changed by the last INSERT/UPDATE/DELETE/MERGE */
    /* A RELEASE SAVEPOINT not yet sent: it travels with the next job's SAVEPOINT (or vanishes
     * in COMMIT), saving one round trip per job in a group commit. */
    bool release_pending;
    bool has_xact_status; /* the server has pg_current_xact_id and pg_xact_status (13+) */
    bool writing;         /* the open transaction is PS_TX_WRITE or PS_TX_BULK */
    /* The server and timeline this session is on, "<system_identifier>/<timeline>", read at
     * session setup ("" when it could not be read): the outcome of a COMMIT whose reply was
     * lost is only asked of the server that received it. */
    char ident[PG_IDENT_CAP];
    /* The first WARNING the server sent since this was last cleared ("" if none). */
    char warning[PS_STORE_ERRMSG_CAP];
    /* The open write transaction's id, learned at BEGIN ("" for reads, or when unknown): a
     * COMMIT whose reply is lost is resolved by asking pg_xact_status about it. */
    char xid[PG_XID_CAP];
    const char *target; /* borrowed: the store's url, which outlives its connections */
};

struct pg_stmt {
    struct ps_stmt head; /* first: the dispatcher's part */
    char name[16];
    unsigned gen; /* the generation it was prepared in */
    int nparams;
    char **vals; /* owned copies; NULL binds SQL NULL */
    int *lens;
    int *fmts;     /* 0 text, 1 binary (blobs) */
    PGresult *res; /* the whole result of the last execution */
    int row;       /* current row, -1 before the first step */
    int ntuples;
    bool executed;
    unsigned char **blobs; /* decoded bytea per column of the current row, or NULL */
    int nblobs;
};

static struct pg_conn *pgc(struct ps_conn *c)
{
    return (struct pg_conn *)c;
}
static struct pg_stmt *pgs(struct ps_stmt *s)
{
    return (struct pg_stmt *)s;
}

static enum ps_err map_sqlstate(const char *s)
{
    if (!s || strlen(s) != 5)
        return PS_ERR_STORE;
    if (!strcmp(s, "23505"))
        return PS_ERR_EXISTS;
    if (!strcmp(s, "40001") || !strcmp(s, "40P01") || !strcmp(s, "55P03"))
        return PS_ERR_CONFLICT;
    if (!strncmp(s, "08", 2) || !strcmp(s, "57P01") || !strcmp(s, "57P02") || !strcmp(s, "57P03") ||
        !strcmp(s, "53300"))
        return PS_ERR_UNAVAILABLE;
    if (!strcmp(s, "57014"))
        return PS_ERR_LIMIT;
    if (!strcmp(s, "25006"))
        return PS_ERR_INVALID; /* a write inside a READ ONLY transaction, as on SQLite */
    /* 23xxx integrity and 22xxx data exceptions (bad UTF-8, out-of-range number, invalid
     * text for the column's type) are the caller's input, not the database's fault. */
    if (!strncmp(s, "23", 2) || !strncmp(s, "22", 2))
        return PS_ERR_INVALID;
    return PS_ERR_STORE;
}

/* Maps a failed result (r may be NULL) to an error; a dead connection wins over the
 * SQLSTATE, since nothing more can happen on it until it is reset. */
static enum ps_err fail(struct pg_conn *c, const PGresult *r, char *errmsg)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = r ? PQresultErrorMessage(r) : "";
    if (!msg || !*msg)
        msg = PQerrorMessage(c->pg);
    ps_store_errf(errmsg, "%s%s%s", state ? state : "", state ? ": " : "", msg);
    if (PQstatus(c->pg) != CONNECTION_OK)
        return PS_ERR_UNAVAILABLE;
    return map_sqlstate(state);
}

/* Runs one utility command; PS_OK when it completed. *tag (optional) gets its command tag
 * copied into a caller buffer of 16 bytes. */
static enum ps_err run(struct pg_conn *c, const char *sql, char *tag, char *errmsg)
{
    PGresult *r = PQexec(c->pg, sql);
    ExecStatusType st = PQresultStatus(r);
    enum ps_err e = PS_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        e = fail(c, r, errmsg);
    else if (tag && ps_str_copy(tag, 16, ps_str_from_cstr(PQcmdStatus(r))) != PS_OK)
        tag[0] = '\0';
    PQclear(r);
    return e;
}

/* The capability and identity probe, extra columns of the session-setup SELECT: whether the
 * server can report a transaction's outcome by id (pg_current_xact_id, pg_xact_status: 13+),
 * and which server (pg_control_system's system_identifier; standbys cloned from one primary
 * share it) and timeline (a promoted standby starts a new one) this session is on. On a
 * standby (pg_current_wal_lsn fails there), or on a Postgres-compatible engine without one of
 * these functions, the query fails as a whole and runs again without the probe: the session
 * then lacks only the outcome check, never the connection. */
#define PG_PROBE_COLUMNS                                                                           \
    ", to_regproc('pg_catalog.pg_current_xact_id') IS NOT NULL AND "                               \
    "to_regproc('pg_catalog.pg_xact_status') IS NOT NULL, "                                        \
    "(SELECT system_identifier FROM pg_catalog.pg_control_system())::text || '/' || "              \
    "substr(pg_catalog.pg_walfile_name(pg_catalog.pg_current_wal_lsn()), 1, 8)"
/* The test-only fault injector (pg_int.h); NULL in production. */
static _Atomic(const struct ps_pg_faults *) faults;

void ps_pg_set_faults(const struct ps_pg_faults *f)
{
    atomic_store(&faults, f);
}

/* The session-setup query with probe (extra columns, or "") after the settings. PS_OK: *out
 * holds its one row (the caller clears it). */
static enum ps_err setup_query(struct pg_conn *c, const char *probe, PGresult **out, char *errmsg)
{
    char sql[640];
    int n = snprintf(sql, sizeof sql,
                     "SET statement_timeout = %d; SET lock_timeout = %d; SET TIME ZONE 'UTC'; "
                     "SELECT current_setting('synchronous_commit')%s",
                     c->statement_timeout_ms, c->lock_timeout_ms, probe);
    if (n < 0 || (size_t)n >= sizeof sql)
        return PS_ERR_INTERNAL;
    PGresult *r = PQexec(c->pg, sql);
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
        enum ps_err e = fail(c, r, errmsg);
        PQclear(r);
        return e;
    }
    *out = r;
    return PS_OK;
}

/* Per-session settings, run after every connect: timeouts from the options, UTC, and full
 * durability even if the server's default synchronous_commit was turned off (rule 5). The
 * same round trip runs the probe (PG_PROBE_COLUMNS); only if it fails does a second round
 * trip run the settings alone (the failed query's SETs were rolled back with it). fail_probe:
 * the fault injector's (pg_int.h). */
static enum ps_err session_setup(struct pg_conn *c, bool fail_probe, char *errmsg)
{
    char probe_err[PS_STORE_ERRMSG_CAP] = "";
    PGresult *r = NULL;
    const struct ps_pg_faults *inj = atomic_load(&faults);
    const char *probe = PG_PROBE_COLUMNS;
    c->has_xact_status = false;
    c->ident[0] = '\0';
    if (inj && (fail_probe || inj->probe_fails()))
        probe = inj->failing_probe;
    enum ps_err e = setup_query(c, probe, &r, probe_err);
    if (e != PS_OK && PQstatus(c->pg) == CONNECTION_OK)
        e = setup_query(c, "", &r, errmsg);
    else if (e != PS_OK)
        ps_store_errf(errmsg, "%s", probe_err);
    if (e != PS_OK)
        return e;
    if (PQnfields(r) == 3) {
        c->has_xact_status = !strcmp(PQgetvalue(r, 0, 1), "t");
        if (ps_str_copy(c->ident, sizeof c->ident, ps_str_from_cstr(PQgetvalue(r, 0, 2))) != PS_OK)
            c->ident[0] = '\0';
    }
    if (!strcmp(PQgetvalue(r, 0, 0), "off"))
        e = run(c, "SET synchronous_commit = on", NULL, errmsg);
    PQclear(r);
    return e;
}

/* Library code never prints: NOTICE and WARNING messages (for example "there is no
 * transaction in progress") are dropped instead of going to stderr. The first WARNING is
 * kept in c->warning: the durability barrier must not have drawn one. */
static void on_notice(void *arg, const PGresult *r)
{
    struct pg_conn *c = arg;
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    if (!sev)
        sev = PQresultErrorField(r, PG_DIAG_SEVERITY);
    if (!c->warning[0] && sev && !strcmp(sev, "WARNING"))
        ps_store_errf(c->warning, "%s", msg && *msg ? msg : "WARNING");
}

static enum ps_err pg_check_target(const char *target, struct ps_diag *diag)
{
    if (strncmp(target, "postgresql://", 13) != 0 && strncmp(target, "postgres://", 11) != 0)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "postgres: url must start with postgresql:// or postgres://");
    char *err = NULL;
    PQconninfoOption *opts = PQconninfoParse(target, &err);
    if (!opts) {
        enum ps_err e =
            ps_diag_set(diag, PS_ERR_INVALID, "postgres: bad url: %s", err ? err : "out of memory");
        PQfreemem(err);
        return e;
    }
    PQconninfoFree(opts);
    return PS_OK;
}

static enum ps_err pg_open(struct ps_store *s, const char *target, const struct ps_store_opts *o,
                           bool writer, struct ps_conn **out, struct ps_diag *diag)
{
    char errmsg[PS_STORE_ERRMSG_CAP] = "";
    struct pg_conn *c = ps_calloc(1, sizeof *c);
    if (!c)
        return ps_diag_set(diag, PS_ERR_NOMEM, "postgres: out of memory");
    c->head.be = &ps_backend_postgres;
    c->head.store = s;
    c->target = target;
    c->statement_timeout_ms = o->statement_timeout_ms > 0 ? o->statement_timeout_ms : 0;
    c->lock_timeout_ms = o->busy_timeout_ms > 0 ? o->busy_timeout_ms : 0;
    /* Keywords before dbname are defaults the url may override; after it, they win. The
     * keepalives notice a peer that vanished (network, failover) in about a minute. */
    const char *const keys[] = {"connect_timeout",  "fallback_application_name",
                                "keepalives_idle",  "keepalives_interval",
                                "keepalives_count", "dbname",
                                "client_encoding",  NULL};
    const char *const vals[] = {"10", "pocketstate", "30", "10", "3", target, "UTF8", NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (!c->pg) {
        ps_free(c);
        return ps_diag_set(diag, PS_ERR_NOMEM, "postgres: out of memory");
    }
    if (PQstatus(c->pg) != CONNECTION_OK) {
        ps_store_errf(errmsg, "%s", PQerrorMessage(c->pg));
        PQfinish(c->pg);
        ps_free(c);
        return ps_diag_set(diag, PS_ERR_UNAVAILABLE, "postgres: cannot connect: %s", errmsg);
    }
    PQsetNoticeReceiver(c->pg, on_notice, c); /* kept across PQreset */
    enum ps_err e = session_setup(c, false, errmsg);
    if (e != PS_OK) {
        PQfinish(c->pg);
        ps_free(c);
        return ps_diag_set(diag, e, "postgres: session setup: %s", errmsg);
    }
    *out = &c->head;
    return PS_OK;
}

static void pg_close(struct ps_conn *conn)
{
    struct pg_conn *c = pgc(conn);
    if (!c)
        return;
    PQfinish(c->pg);
    ps_free(c);
}

/* Brings a connection that lost its session back: PQreset, a new generation, the session
 * settings again. The transaction that saw the loss has already failed (UNAVAILABLE).
 * fail_probe: the test fault's, for session_setup. */
static enum ps_err reconnect(struct pg_conn *c, bool fail_probe, char *errmsg)
{
    PQreset(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        ps_store_errf(errmsg, "reconnect: %s", PQerrorMessage(c->pg));
        return PS_ERR_UNAVAILABLE;
    }
    c->gen++;
    return session_setup(c, fail_probe, errmsg);
}

/* ---- a COMMIT whose reply is lost ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* BEGIN plus "SELECT pg_current_xact_id()" in one round trip: the transaction gets its id now
 * rather than at its first write (a write transaction has one anyway), and the backend knows
 * it before COMMIT is sent. */
static enum ps_err begin_with_xid(struct pg_conn *c, const char *sql, char *errmsg)
{
    PGresult *r = PQexec(c->pg, sql);
    enum ps_err e = PS_OK;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQgetisnull(r, 0, 0))
        e = fail(c, r, errmsg);
    else if (ps_str_copy(c->xid, sizeof c->xid, ps_str_from_cstr(PQgetvalue(r, 0, 0))) != PS_OK)
        c->xid[0] = '\0'; /* cannot happen (20 digits at most); the outcome check is skipped */
    PQclear(r);
    return e;
}

enum xact_state { XACT_COMMITTED, XACT_ABORTED, XACT_IN_PROGRESS, XACT_UNKNOWN };

/* What the server says about transaction xid. UNKNOWN: no answer (an error, the connection,
 * or NULL: the id is too old for the server to remember); errmsg says which. */
static enum xact_state xact_status(PGconn *pg, const char *xid, char *errmsg)
{
    const char *const vals[] = {xid};
    PGresult *r = PQexecParams(pg, "SELECT pg_xact_status($1::xid8)", 1, NULL, vals, NULL, NULL, 0);
    enum xact_state st = XACT_UNKNOWN;
    if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
        ps_store_errf(errmsg, "pg_xact_status: %s", PQresultErrorMessage(r));
    else if (PQgetisnull(r, 0, 0))
        ps_store_errf(errmsg, "pg_xact_status: no record of transaction %s", xid);
    else if (!strcmp(PQgetvalue(r, 0, 0), "committed"))
        st = XACT_COMMITTED;
    else if (!strcmp(PQgetvalue(r, 0, 0), "aborted"))
        st = XACT_ABORTED;
    else if (!strcmp(PQgetvalue(r, 0, 0), "in progress"))
        st = XACT_IN_PROGRESS;
    else
        ps_store_errf(errmsg, "pg_xact_status: unexpected \"%s\"", PQgetvalue(r, 0, 0));
    PQclear(r);
    return st;
}

bool ps_pg_xact_committed(PGconn *pg, const char *xid)
{
    char ignored[PS_STORE_ERRMSG_CAP];
    return xact_status(pg, xid, ignored) == XACT_COMMITTED;
}

/* COMMIT as run() sends it, with the injected fault (if any) applied around the send. */
static enum ps_err send_commit(struct pg_conn *c, char *tag, char *errmsg, int *f)
{
    const struct ps_pg_faults *inj = atomic_load(&faults);
    *f = inj && c->writing ? inj->take_commit() : 0;
    if (*f)
        inj->before_commit(*f, c->pg);
    if (!PQsendQuery(c->pg, "COMMIT"))
        return fail(c, NULL, errmsg);
    if (*f)
        inj->after_commit_sent(*f, c->pg, c->target, c->xid);
    PGresult *last = NULL;
    for (PGresult *r = PQgetResult(c->pg); r; r = PQgetResult(c->pg)) {
        PQclear(last);
        last = r;
    }
    enum ps_err e = PS_OK;
    if (PQresultStatus(last) != PGRES_COMMAND_OK)
        e = fail(c, last, errmsg);
    else if (ps_str_copy(tag, 16, ps_str_from_cstr(PQcmdStatus(last))) != PS_OK)
        tag[0] = '\0';
    PQclear(last);
    return e;
}

/* Reconnects for the outcome check (a few tries, short backoff) and makes sure the new session
 * is on the server and timeline that received COMMIT, as recorded by the old session's setup:
 * a multi-host url, a moved address or a promoted standby may lead elsewhere, where the same
 * transaction id can name another transaction or none. false: no answer can be had (why). */
static bool reconnect_same_server(struct pg_conn *c, int f, char *why)
{
    const struct ps_pg_faults *inj = f ? atomic_load(&faults) : NULL;
    char sent_to[PG_IDENT_CAP], now[PG_IDENT_CAP];
    memcpy(sent_to, c->ident, sizeof sent_to);
    if (!c->xid[0])
        return false; /* why says so already */
    if (!sent_to[0]) {
        ps_store_errf(why, "the identity of the server that received COMMIT is unknown");
        return false;
    }
    bool connected = false;
    for (int i = 0; !connected && i < PG_RESOLVE_CONNECTS; i++) {
        if (i > 0)
            sleep_ms(50 * i);
        if (!inj || !inj->refuse_reconnect(f, why))
            connected = reconnect(c, inj && inj->fail_identity(f), why) == PS_OK;
    }
    if (!connected)
        return false;
    memcpy(now, c->ident, sizeof now);
    if (inj)
        inj->alter_identity(f, now, sizeof now);
    if (!now[0]) {
        ps_store_errf(why, "reconnected, but the server's identity could not be read");
        return false;
    }
    if (strcmp(now, sent_to) != 0) {
        ps_store_errf(why, "reconnected to another server or timeline (%s, COMMIT went to %s)", now,
                sent_to);
        return false;
    }
    return true;
}

/* Asks pg_xact_status about the lost COMMIT's transaction, a bounded number of times while it
 * says "in progress" (the old session is still finishing). */
static enum xact_state poll_status(struct pg_conn *c, int f, char *why)
{
    const struct ps_pg_faults *inj = f ? atomic_load(&faults) : NULL;
    for (int i = 0, delay = 5; i < PG_RESOLVE_POLLS; i++) {
        if (i > 0) {
            sleep_ms(delay);
            delay = delay * 2 < PG_RESOLVE_DELAY_MAX_MS ? delay * 2 : PG_RESOLVE_DELAY_MAX_MS;
        }
        enum xact_state st = inj && inj->in_progress(f) ? XACT_IN_PROGRESS
                                                        : xact_status(c->pg, c->xid, why);
        if (st != XACT_IN_PROGRESS)
            return st;
        ps_store_errf(why, "still in progress after %d checks", i + 1);
    }
    return XACT_UNKNOWN;
}

/* The barrier's transaction. An id alone is not enough: a transaction that wrote no WAL before
 * its commit record commits asynchronously, without flushing or waiting for a synchronous
 * standby (RecordTransactionCommit's wrote_xlog in PostgreSQL's xact.c), so a transactional
 * logical message (harmless: no table, any user may emit one) gives it a WAL record. */
static const char barrier_sql[] = PS_PG_BARRIER_HEAD "COMMIT";

/* Runs the durability barrier's statements; PS_OK when its COMMIT answered COMMIT. xid and lsn
 * (caps PG_XID_CAP) get the transaction's id and its message's WAL position. */
static enum ps_err run_barrier(struct pg_conn *c, const char *sql, char *xid, char *lsn,
                               char *errmsg)
{
    char tag[16] = "";
    enum ps_err e = PS_OK;
    if (!PQsendQuery(c->pg, sql))
        return fail(c, NULL, errmsg);
    for (PGresult *r = PQgetResult(c->pg); r; r = PQgetResult(c->pg)) {
        ExecStatusType st = PQresultStatus(r);
        if (e != PS_OK) {
            /* the first error is the one reported */
        } else if (st == PGRES_TUPLES_OK && PQntuples(r) == 1 && PQnfields(r) == 2) {
            if (ps_str_copy(xid, PG_XID_CAP, ps_str_from_cstr(PQgetvalue(r, 0, 0))) != PS_OK ||
                ps_str_copy(lsn, PG_XID_CAP, ps_str_from_cstr(PQgetvalue(r, 0, 1))) != PS_OK)
                xid[0] = '\0';
        } else if (st == PGRES_COMMAND_OK) {
            if (ps_str_copy(tag, sizeof tag, ps_str_from_cstr(PQcmdStatus(r))) != PS_OK)
                tag[0] = '\0';
        } else {
            e = fail(c, r, errmsg);
        }
        PQclear(r);
    }
    if (e == PS_OK && (strcmp(tag, "COMMIT") != 0 || !xid[0])) {
        ps_store_errf(errmsg, "it did not commit (\"%s\")", tag);
        e = PS_ERR_STORE;
    }
    return e;
}

/* After pg_xact_status said "committed": PostgreSQL marks the commit log before a COMMIT
 * waits for synchronous standbys (and on 15 pg_xact_status reads the commit log first), so
 * "committed" may name a commit no standby has: the old session may still be waiting, or was
 * ended while waiting. This write transaction's COMMIT returns only once its WAL is as durable
 * as any commit's (flushed; confirmed by synchronous standbys, which confirm WAL in order), and
 * the lost commit's record precedes it. A WARNING means its standby wait was cancelled and
 * the server let it through unconfirmed: that is a failure too. */
static enum ps_err durability_barrier(struct pg_conn *c, int f, char *errmsg)
{
    char xid[PG_XID_CAP] = "", lsn[PG_XID_CAP] = "";
    const struct ps_pg_faults *inj = atomic_load(&faults);
    const char *sql = inj && f ? inj->barrier_sql(f, c->pg) : NULL;
    c->warning[0] = '\0';
    enum ps_err e = run_barrier(c, sql ? sql : barrier_sql, xid, lsn, errmsg);
    if (e == PS_OK && c->warning[0]) {
        ps_store_errf(errmsg, "the server warned: %s", c->warning);
        e = PS_ERR_STORE;
    }
    if (e != PS_OK)
        return e;
    if (inj)
        inj->barrier_done(xid, lsn);
    return PS_OK;
}

/* The reply to COMMIT was lost with the connection: the server may or may not have committed.
 * Reconnects to the same server (reconnect_same_server), asks pg_xact_status about the id
 * learned at BEGIN, and confirms a "committed" with the durability barrier. PS_OK: committed
 * and durable. PS_ERR_UNAVAILABLE: rolled back, like any failed COMMIT.
 * PS_ERR_UNKNOWN_OUTCOME: no answer; the caller must not run the transaction again. */
static enum ps_err resolve_commit(struct pg_conn *c, int f, char *errmsg)
{
    char lost[PS_STORE_ERRMSG_CAP];
    char why[PS_STORE_ERRMSG_CAP] = "no transaction id was learned at BEGIN";
    char barrier[PS_STORE_ERRMSG_CAP] = "";
    ps_store_errf(lost, "%s", errmsg ? errmsg : "connection lost");
    enum xact_state st = reconnect_same_server(c, f, why) ? poll_status(c, f, why) : XACT_UNKNOWN;
    if (st == XACT_COMMITTED && durability_barrier(c, f, barrier) != PS_OK) {
        ps_store_errf(why, "pg_xact_status says committed, but the durability barrier failed: %s",
                barrier);
        st = XACT_UNKNOWN;
    }
    if (st == XACT_COMMITTED) {
        ps_store_errf(errmsg, "%s", "");
        return PS_OK;
    }
    if (st == XACT_ABORTED) {
        ps_store_errf(errmsg,
                "commit: the connection was lost during COMMIT and the server rolled "
                "transaction %s back (%s)",
                c->xid, lost);
        return PS_ERR_UNAVAILABLE;
    }
    ps_store_errf(errmsg,
            "commit outcome unknown: the connection was lost during COMMIT and whether "
            "transaction %s committed could not be learned (%s; %s)",
            c->xid[0] ? c->xid : "?", why, lost);
    return PS_ERR_UNKNOWN_OUTCOME;
}

static enum ps_err pg_begin(struct ps_conn *conn, enum ps_tx_mode mode, char *errmsg)
{
    struct pg_conn *c = pgc(conn);
    enum ps_err e;
    /* A session the server ended while this connection sat idle (restart, failover,
     * pg_terminate_backend) has left its FATAL message or EOF on the socket. Reading it now,
     * before anything of this transaction is sent, turns the status BAD, and the transaction
     * starts on a fresh session instead of failing. Non-blocking reads, no round trip: the
     * first takes the message, the second sees the EOF. */
    for (int i = 0;
         i < 2 && PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) == PQTRANS_IDLE;
         i++)
        (void)PQconsumeInput(c->pg);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        e = reconnect(c, false, errmsg);
        if (e != PS_OK)
            return e;
    } else if (PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        /* a transaction left open by a failed commit or rollback: end it first */
        e = run(c, "ROLLBACK", NULL, errmsg);
        if (e != PS_OK)
            return e;
    }
    c->changes = 0;
    c->release_pending = false;
    c->xid[0] = '\0';
    c->writing = mode != PS_TX_READ;
    /* WRITE is SERIALIZABLE: with several committers and several nodes this is what SQLite's
     * single writer gives for free, and a 40001 becomes PS_ERR_CONFLICT, which the committer
     * retries. READ takes a stable snapshot. BULK loads new rows nobody else writes: READ
     * COMMITTED spares millions of predicate locks. */
    if (mode == PS_TX_READ)
        return run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", NULL, errmsg);
    if (!c->has_xact_status)
        return run(c,
                   mode == PS_TX_WRITE ? "BEGIN ISOLATION LEVEL SERIALIZABLE"
                                       : "BEGIN ISOLATION LEVEL READ COMMITTED",
                   NULL, errmsg);
    return begin_with_xid(c,
                          mode == PS_TX_WRITE
                              ? "BEGIN ISOLATION LEVEL SERIALIZABLE; SELECT pg_current_xact_id()"
                              : "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_current_xact_id()",
                          errmsg);
}

static enum ps_err pg_commit(struct ps_conn *conn, char *errmsg)
{
    struct pg_conn *c = pgc(conn);
    char tag[16] = "";
    c->release_pending = false; /* COMMIT releases every savepoint */
    enum ps_err e;
    if (PQstatus(c->pg) != CONNECTION_OK) {
        ps_store_errf(errmsg, "commit: the connection was lost before COMMIT was sent");
        e = PS_ERR_UNAVAILABLE; /* the server rolls back a session that ends in a transaction */
    } else {
        int f;
        c->warning[0] = '\0';
        e = send_commit(c, tag, errmsg, &f);
        if (e != PS_OK && PQstatus(c->pg) != CONNECTION_OK)
            e = resolve_commit(c, f, errmsg); /* sent; the reply went with the connection */
        else if (e == PS_OK && strcmp(tag, "COMMIT") != 0) {
            /* COMMIT of a transaction that had failed answers "ROLLBACK", not an error */
            ps_store_errf(errmsg, "commit: the transaction had failed and was rolled back");
            e = PS_ERR_STORE;
        } else if (e == PS_OK && c->warning[0]) {
            /* A COMMIT that warns is not a clean one: a cancelled wait for a synchronous
             * standby ("canceling wait for synchronous replication ... committed locally, but
             * might not have been replicated") is answered COMMIT with a WARNING. Durable here,
             * perhaps not after a failover: not acknowledged, never re-run (rule 5). */
            ps_store_errf(errmsg, "commit outcome unknown: the server warned: %s", c->warning);
            e = PS_ERR_UNKNOWN_OUTCOME;
        }
    }
    c->xid[0] = '\0';
    return e;
}

static void pg_rollback(struct ps_conn *conn)
{
    struct pg_conn *c = pgc(conn);
    c->release_pending = false;
    c->xid[0] = '\0';
    if (PQstatus(c->pg) != CONNECTION_OK)
        return;
    PGTransactionStatusType t = PQtransactionStatus(c->pg);
    if (t == PQTRANS_INTRANS || t == PQTRANS_INERROR) {
        char errmsg[PS_STORE_ERRMSG_CAP];
        (void)run(c, "ROLLBACK", NULL, errmsg); /* best effort: a failure leaves it non-idle */
    }
}

static bool pg_tx_alive(struct ps_conn *conn)
{
    /* INERROR is alive: ROLLBACK TO SAVEPOINT recovers it. IDLE or UNKNOWN (connection lost)
     * means the transaction is gone. */
    PGTransactionStatusType t = PQtransactionStatus(pgc(conn)->pg);
    return t == PQTRANS_INTRANS || t == PQTRANS_INERROR;
}

/* Sends a deferred RELEASE before anything that must not run inside the released savepoint. */
static enum ps_err flush_release(struct pg_conn *c, char *errmsg)
{
    if (!c->release_pending)
        return PS_OK;
    c->release_pending = false;
    return run(c, "RELEASE SAVEPOINT j", NULL, errmsg);
}

static enum ps_err pg_savepoint(struct ps_conn *conn, char *errmsg)
{
    struct pg_conn *c = pgc(conn);
    const char *sql = c->release_pending ? "RELEASE SAVEPOINT j; SAVEPOINT j" : "SAVEPOINT j";
    c->release_pending = false;
    return run(c, sql, NULL, errmsg);
}

static enum ps_err pg_release(struct ps_conn *conn, char *errmsg)
{
    struct pg_conn *c = pgc(conn);
    /* Deferred only when it cannot fail: the transaction is healthy (libpq knows that
     * locally) and savepoint j is the innermost. A failed job's state is reported now. */
    if (PQtransactionStatus(c->pg) == PQTRANS_INTRANS && !c->release_pending) {
        c->release_pending = true;
        return PS_OK;
    }
    enum ps_err e = flush_release(c, errmsg);
    return e != PS_OK ? e : run(c, "RELEASE SAVEPOINT j", NULL, errmsg);
}

static enum ps_err pg_rollback_to(struct ps_conn *conn, char *errmsg)
{
    struct pg_conn *c = pgc(conn);
    enum ps_err e = flush_release(c, errmsg);
    return e != PS_OK ? e : run(c, "ROLLBACK TO SAVEPOINT j", NULL, errmsg);
}

static enum ps_err pg_exec_script(struct ps_conn *conn, const char *sql, char *errmsg)
{
    struct pg_conn *c = pgc(conn);
    enum ps_err e = flush_release(c, errmsg);
    /* The simple query protocol runs every statement of the string, in the open
     * transaction; the result is the last statement's, or the first error's. */
    return e != PS_OK ? e : run(c, sql, NULL, errmsg);
}

/* ---- statements ---- */

/* SQL the server rejects (a syntax error, an unknown table: class 42) is PS_ERR_INVALID, as
 * the store promises. Inside a transaction a failed Parse would abort the whole transaction,
 * where SQLite merely refuses the statement; a savepoint around it keeps the transaction
 * usable. That costs two round trips, once per statement per session. */
static enum ps_err do_prepare(struct pg_conn *c, struct pg_stmt *st, const char *sql, char *errmsg)
{
    char ignored[PS_STORE_ERRMSG_CAP];
    bool in_tx = PQtransactionStatus(c->pg) == PQTRANS_INTRANS;
    enum ps_err e = in_tx ? run(c, "SAVEPOINT ps_prepare", NULL, errmsg) : PS_OK;
    if (e != PS_OK)
        return e;
    PGresult *r = PQprepare(c->pg, st->name, sql, 0, NULL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
        e = fail(c, r, errmsg);
        if (e == PS_ERR_STORE && state && !strncmp(state, "42", 2))
            e = PS_ERR_INVALID;
    }
    PQclear(r);
    if (in_tx && e != PS_ERR_UNAVAILABLE) {
        if (e != PS_OK)
            (void)run(c, "ROLLBACK TO SAVEPOINT ps_prepare", NULL, ignored);
        enum ps_err rel = run(c, "RELEASE SAVEPOINT ps_prepare", NULL, e ? ignored : errmsg);
        if (e == PS_OK)
            e = rel;
    }
    if (e == PS_OK)
        st->gen = c->gen;
    return e;
}

static void free_blobs(struct pg_stmt *st)
{
    for (int i = 0; i < st->nblobs; i++) {
        ps_free(st->blobs[i]);
        st->blobs[i] = NULL;
    }
}

static void clear_result(struct pg_stmt *st)
{
    free_blobs(st);
    ps_free(st->blobs);
    st->blobs = NULL;
    st->nblobs = 0;
    PQclear(st->res);
    st->res = NULL;
    st->row = -1;
    st->ntuples = 0;
    st->executed = false;
}

static void clear_params(struct pg_stmt *st)
{
    for (int i = 0; i < st->nparams; i++) {
        ps_free(st->vals[i]);
        st->vals[i] = NULL;
        st->lens[i] = 0;
        st->fmts[i] = 0;
    }
}

static void pg_finalize(struct ps_stmt *stmt)
{
    struct pg_stmt *st = pgs(stmt);
    if (!st)
        return;
    struct pg_conn *c = pgc(stmt->conn);
    /* A statement dropped outside the cache (the cache keeps its own for the life of the
     * connection) is deallocated on the server, when the session can take a command. */
    if (c && !stmt->cached && st->gen == c->gen && PQstatus(c->pg) == CONNECTION_OK) {
        PGTransactionStatusType t = PQtransactionStatus(c->pg);
        if (t == PQTRANS_IDLE || t == PQTRANS_INTRANS) {
            char sql[32], errmsg[PS_STORE_ERRMSG_CAP];
            int n = snprintf(sql, sizeof sql, "DEALLOCATE %s", st->name);
            if (n > 0 && (size_t)n < sizeof sql)
                (void)run(c, sql, NULL, errmsg); /* best effort: the session frees it anyway */
        }
    }
    clear_result(st);
    clear_params(st);
    ps_free(st->vals);
    ps_free(st->lens);
    ps_free(st->fmts);
    ps_free(st);
}

static enum ps_err alloc_params(struct pg_stmt *st, int n)
{
    size_t k = n > 0 ? (size_t)n : 1;
    st->vals = ps_calloc(k, sizeof *st->vals);
    st->lens = ps_calloc(k, sizeof *st->lens);
    st->fmts = ps_calloc(k, sizeof *st->fmts);
    if (!st->vals || !st->lens || !st->fmts)
        return PS_ERR_NOMEM; /* nparams stays 0: finalize frees the arrays, touches no slot */
    st->nparams = n;
    return PS_OK;
}

static enum ps_err pg_prepare(struct ps_conn *conn, const struct ps_sql *def, struct ps_stmt **out,
                              char *errmsg)
{
    struct pg_conn *c = pgc(conn);
    if (PQstatus(c->pg) != CONNECTION_OK) {
        ps_store_errf(errmsg, "connection lost");
        return PS_ERR_UNAVAILABLE;
    }
    struct pg_stmt *st = ps_calloc(1, sizeof *st);
    if (!st)
        return PS_ERR_NOMEM;
    st->head.conn = conn;
    st->head.def = def;
    st->row = -1;
    enum ps_err e = PS_ERR_INTERNAL;
    int n = snprintf(st->name, sizeof st->name, "s%u", c->next_id++);
    if (n < 0 || (size_t)n >= sizeof st->name)
        goto out;
    e = do_prepare(c, st, def->sql, errmsg);
    if (e != PS_OK)
        goto out;
    PGresult *d = PQdescribePrepared(c->pg, st->name);
    if (PQresultStatus(d) != PGRES_COMMAND_OK)
        e = fail(c, d, errmsg);
    else
        e = alloc_params(st, PQnparams(d));
    PQclear(d);
out:
    if (e != PS_OK) {
        st->head.cached = true; /* nothing to deallocate on the server beyond the session */
        pg_finalize(&st->head);
        return e;
    }
    *out = &st->head;
    return PS_OK;
}

static void pg_reset(struct ps_stmt *stmt)
{
    struct pg_stmt *st = pgs(stmt);
    clear_result(st);
    clear_params(st);
}

/* Takes ownership of v (NULL for SQL NULL) as parameter i (1-based). */
static enum ps_err set_param(struct pg_stmt *st, int i, char *v, int len, int fmt, char *errmsg)
{
    if (i < 1 || i > st->nparams) {
        ps_free(v);
        ps_store_errf(errmsg, "%s: no parameter $%d (it has %d)", st->head.def->name, i,
                      st->nparams);
        return PS_ERR_INVALID;
    }
    if (st->executed)
        clear_result(st); /* binding again starts a new execution */
    ps_free(st->vals[i - 1]);
    st->vals[i - 1] = v;
    st->lens[i - 1] = len;
    st->fmts[i - 1] = fmt;
    return PS_OK;
}

static enum ps_err copy_param(struct pg_stmt *st, int i, const void *p, size_t n, int fmt,
                              char *errmsg)
{
    size_t cap;
    if (n > (size_t)0x3fffffff || !ps_size_add(n, 1, &cap)) {
        ps_store_errf(errmsg, "parameter $%d is too large", i);
        return PS_ERR_LIMIT;
    }
    char *v = ps_malloc(cap);
    if (!v)
        return PS_ERR_NOMEM;
    if (n)
        memcpy(v, p, n);
    v[n] = '\0';
    return set_param(st, i, v, (int)n, fmt, errmsg);
}

static enum ps_err pg_bind_text(struct ps_stmt *stmt, int i, struct ps_str v, char *errmsg)
{
    /* text-format parameters are NUL-terminated; PostgreSQL text cannot hold NUL anyway */
    if (v.len && memchr(v.p, '\0', v.len)) {
        ps_store_errf(errmsg, "parameter $%d: text contains a NUL byte", i);
        return PS_ERR_INVALID;
    }
    return copy_param(pgs(stmt), i, v.len ? v.p : "", v.len, 0, errmsg);
}

static enum ps_err pg_bind_i64(struct ps_stmt *stmt, int i, int64_t v, char *errmsg)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    if (n < 0 || (size_t)n >= sizeof buf)
        return PS_ERR_INTERNAL;
    return copy_param(pgs(stmt), i, buf, (size_t)n, 0, errmsg);
}

static enum ps_err pg_bind_blob(struct ps_stmt *stmt, int i, const void *p, size_t n, char *errmsg)
{
    /* binary format: bytea's binary representation is the bytes themselves, no escaping */
    return copy_param(pgs(stmt), i, n ? p : "", n, 1, errmsg);
}

static enum ps_err pg_bind_null(struct ps_stmt *stmt, int i, char *errmsg)
{
    return set_param(pgs(stmt), i, NULL, 0, 0, errmsg);
}

static bool tag_changes_rows(const char *tag)
{
    return !strncmp(tag, "INSERT", 6) || !strncmp(tag, "UPDATE", 6) || !strncmp(tag, "DELETE", 6) ||
           !strncmp(tag, "MERGE", 5);
}

static int64_t parse_i64(const char *p)
{
    if (p[0] == 't' && p[1] == '\0')
        return 1; /* boolean results read as 1 / 0, as SQLite gives them */
    bool neg = *p == '-';
    if (neg || *p == '+')
        p++;
    uint64_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (UINT64_MAX - 9) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    if (neg)
        return v > (uint64_t)INT64_MAX + 1 ? 0 : (int64_t)(0 - v);
    return v > (uint64_t)INT64_MAX ? 0 : (int64_t)v;
}

static enum ps_err execute(struct pg_conn *c, struct pg_stmt *st, char *errmsg)
{
    enum ps_err e;
    if (st->gen != c->gen) {
        e = do_prepare(c, st, st->head.def->sql, errmsg); /* the session was reset */
        if (e != PS_OK)
            return e;
    }
    st->res = PQexecPrepared(c->pg, st->name, st->nparams, (const char *const *)st->vals, st->lens,
                             st->fmts, 0);
    ExecStatusType rs = PQresultStatus(st->res);
    if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
        e = fail(c, st->res, errmsg);
        PQclear(st->res);
        st->res = NULL;
        return e;
    }
    const char *tag = PQcmdStatus(st->res);
    if (tag_changes_rows(tag))
        c->changes = parse_i64(PQcmdTuples(st->res));
    st->ntuples = rs == PGRES_TUPLES_OK ? PQntuples(st->res) : 0;
    st->row = -1;
    st->executed = true;
    return PS_OK;
}

static enum ps_err pg_step(struct ps_stmt *stmt, bool *row, char *errmsg)
{
    struct pg_stmt *st = pgs(stmt);
    struct pg_conn *c = pgc(stmt->conn);
    *row = false;
    if (!st->executed) {
        if (PQstatus(c->pg) != CONNECTION_OK) {
            ps_store_errf(errmsg, "connection lost");
            return PS_ERR_UNAVAILABLE;
        }
        enum ps_err e = execute(c, st, errmsg);
        if (e != PS_OK)
            return e;
    }
    free_blobs(st);
    if (st->row < st->ntuples)
        st->row++;
    *row = st->row < st->ntuples;
    return PS_OK;
}

static bool have_cell(struct pg_stmt *st, int col)
{
    return st->res && st->row >= 0 && st->row < st->ntuples && col >= 0 && col < PQnfields(st->res);
}

static bool pg_col_is_null(struct ps_stmt *stmt, int col)
{
    struct pg_stmt *st = pgs(stmt);
    return !have_cell(st, col) || PQgetisnull(st->res, st->row, col);
}

/* The cell as the server sent it (text format). */
static struct ps_str raw_text(struct ps_stmt *stmt, int col)
{
    struct pg_stmt *st = pgs(stmt);
    if (pg_col_is_null(stmt, col))
        return PS_STR("");
    return (struct ps_str){PQgetvalue(st->res, st->row, col),
                           (size_t)PQgetlength(st->res, st->row, col)};
}

static int64_t pg_col_i64(struct ps_stmt *stmt, int col)
{
    struct pg_stmt *st = pgs(stmt);
    if (pg_col_is_null(stmt, col))
        return 0;
    return parse_i64(PQgetvalue(st->res, st->row, col));
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* bytea arrives as text in hex format ("\x0a1b..."), the server default since 9.0; the
 * decoded bytes live until the next step. A decoding failure reads as empty; a buffer that
 * cannot be allocated sets *nomem. */
static struct ps_str pg_col_blob(struct ps_stmt *stmt, int col, bool *nomem)
{
    struct pg_stmt *st = pgs(stmt);
    struct ps_str raw = raw_text(stmt, col);
    if (pg_col_is_null(stmt, col) || PQftype(st->res, col) != PG_BYTEA_OID)
        return raw;
    if (raw.len < 2 || raw.p[0] != '\\' || raw.p[1] != 'x' || raw.len % 2)
        return PS_STR("");
    if (!st->blobs) {
        int nf = PQnfields(st->res);
        st->blobs = ps_calloc((size_t)nf, sizeof *st->blobs);
        if (!st->blobs) {
            *nomem = true;
            return PS_STR("");
        }
        st->nblobs = nf;
    }
    size_t n = (raw.len - 2) / 2;
    ps_free(st->blobs[col]);
    st->blobs[col] = ps_malloc(n ? n : 1);
    unsigned char *b = st->blobs[col];
    if (!b) {
        *nomem = true;
        return PS_STR("");
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(raw.p[2 + 2 * i]), lo = hexval(raw.p[3 + 2 * i]);
        if (hi < 0 || lo < 0)
            return PS_STR("");
        b[i] = (unsigned char)(hi << 4 | lo);
    }
    return (struct ps_str){(const char *)b, n};
}

static struct ps_str pg_col_text(struct ps_stmt *stmt, int col, bool *nomem)
{
    /* a bytea read as text gives its bytes, as SQLite gives a blob's */
    return pg_col_blob(stmt, col, nomem);
}

static int64_t pg_changes(struct ps_conn *c)
{
    return pgc(c)->changes;
}

static enum ps_err pg_backup(struct ps_conn *c, const char *dest_path, struct ps_diag *diag)
{
    return ps_diag_set(diag, PS_ERR_INVALID,
                       "postgres: no built-in backup; use pg_dump for a consistent logical copy, "
                       "or pg_basebackup with WAL archiving for point-in-time recovery "
                       "(docs/deploy.md)");
}

/* to_regclass follows search_path, so a store opened on a per-test schema sees its own. */
static const struct ps_sql pg_has_migrations = {
    "pg_has_migrations", "SELECT (to_regclass('schema_migrations') IS NOT NULL)::int"};

/* Processes that open one empty database at once migrate one after the other (the key is
 * "PocketSt" in ASCII). */
static const struct ps_sql pg_migration_lock = {
    "pg_migration_lock", "SELECT pg_advisory_xact_lock(5795960558363890548)"};

const struct ps_backend ps_backend_postgres = {
    .name = "postgres",
    .kind = PS_STORE_POSTGRES,
    .exclusive_bulk = false,
    .check_target = pg_check_target,
    .open = pg_open,
    .close = pg_close,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .tx_alive = pg_tx_alive,
    .savepoint = pg_savepoint,
    .release = pg_release,
    .rollback_to = pg_rollback_to,
    .exec_script = pg_exec_script,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_text = pg_bind_text,
    .bind_i64 = pg_bind_i64,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .col_text = pg_col_text,
    .col_i64 = pg_col_i64,
    .col_blob = pg_col_blob,
    .col_is_null = pg_col_is_null,
    .changes = pg_changes,
    .backup = pg_backup,
    .sql_has_migrations = &pg_has_migrations,
    .sql_migration_lock = &pg_migration_lock,
};
