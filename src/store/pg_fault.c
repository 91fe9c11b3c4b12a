/* Test support, linked only into test programs: the PostgreSQL fault injector of pg_fault.h,
 * plugged into postgres.c through its seam (pg_int.h) by the first call of any function here.
 * It makes the lost-connection cases of docs/internals/store.md happen on demand against a real
 * server: a dropped socket, a COMMIT reply lost after the server committed, a failing probe, a
 * reconnect that lands on another timeline, a barrier that fails or warns. */
#include "store/pg_fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/str.h"
#include "store/pg_int.h"
#include "store/store_int.h"

static atomic_int armed;       /* enum ps_pg_fault for the next write COMMIT */
static atomic_bool probe_fail; /* ps_pg_test_probe_fails */
static pthread_mutex_t barrier_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ps_pg_barrier_stats barrier_stats; /* under barrier_lock */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* The connection ends as if the network dropped it. The socket is swapped for one whose peer
 * is gone (the TCP connection closes; libpq's next read sees EOF), so a reply already in the
 * kernel's buffer is lost, as it would be. */
static void drop_connection(PGconn *pg)
{
    int fd = PQsocket(pg), sv[2];
    if (fd < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return;
    close(sv[1]);
    (void)dup2(sv[0], fd);
    close(sv[0]);
}

/* Whether backend pid's session is idle (its COMMIT has completed), asked from side. */
static bool session_idle(PGconn *side, const char *pid)
{
    const char *const vals[] = {pid};
    PGresult *r = PQexecParams(side, "SELECT state = 'idle' FROM pg_stat_activity WHERE pid = $1",
                               1, NULL, vals, NULL, NULL, 0);
    bool idle = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
                !strcmp(PQgetvalue(r, 0, 0), "t");
    PQclear(r);
    return idle;
}

/* Waits until the server has committed, from a second connection, so that the reply the
 * fault then drops is the reply to a real commit: pg_xact_status says so, or, without a
 * transaction id, the session went idle. */
static void wait_committed(PGconn *pg, const char *target, const char *xid)
{
    char pid[16];
    int n = snprintf(pid, sizeof pid, "%d", PQbackendPID(pg));
    if (n < 0 || (size_t)n >= sizeof pid)
        return;
    PGconn *side = PQconnectdb(target);
    for (int i = 0; i < 2000 && PQstatus(side) == CONNECTION_OK; i++) {
        if (xid[0] ? ps_pg_xact_committed(side, xid) : session_idle(side, pid))
            break;
        sleep_ms(5);
    }
    PQfinish(side);
}

static bool probe_fails(void)
{
    return atomic_load(&probe_fail);
}

static int take_commit(void)
{
    return atomic_exchange(&armed, PS_PG_FAULT_NONE);
}

static void before_commit(int f, PGconn *pg)
{
    if (f == PS_PG_FAULT_LOSE_BEFORE_COMMIT)
        drop_connection(pg);
}

static void after_commit_sent(int f, PGconn *pg, const char *target, const char *xid)
{
    if (f < PS_PG_FAULT_LOSE_REPLY)
        return;
    wait_committed(pg, target, xid);
    drop_connection(pg);
}

static bool refuse_reconnect(int f, char *why)
{
    if (f != PS_PG_FAULT_LOSE_REPLY_NO_RECONNECT)
        return false;
    ps_store_errf(why, "reconnect: refused by the test fault");
    return true;
}

static bool fail_identity(int f)
{
    return f == PS_PG_FAULT_LOSE_REPLY_NO_IDENTITY;
}

/* The identity a promoted standby shows: the same system on another timeline. */
static void alter_identity(int f, char *ident, size_t cap)
{
    char buf[64];
    if (f != PS_PG_FAULT_LOSE_REPLY_OTHER_SERVER)
        return;
    const char *slash = strchr(ident, '/');
    int n = snprintf(buf, sizeof buf, "%.*s/FFFFFFFF", slash ? (int)(slash - ident) : 0, ident);
    if (n > 0 && (size_t)n < cap && (size_t)n < sizeof buf)
        memcpy(ident, buf, (size_t)n + 1);
}

static bool in_progress(int f)
{
    return f == PS_PG_FAULT_LOSE_REPLY_IN_PROGRESS;
}

static const char barrier_warn_sql[] =
    PS_PG_BARRIER_HEAD "DO $$BEGIN RAISE WARNING 'pocketstate test fault'; END$$; COMMIT";

static const char *barrier_sql(int f, PGconn *pg)
{
    if (f == PS_PG_FAULT_LOSE_REPLY_BARRIER_FAILS)
        drop_connection(pg);
    return f == PS_PG_FAULT_LOSE_REPLY_BARRIER_WARNS ? barrier_warn_sql : NULL;
}

static void barrier_done(const char *xid, const char *lsn)
{
    pthread_mutex_lock(&barrier_lock);
    barrier_stats.completed++;
    if (ps_str_copy(barrier_stats.xid, sizeof barrier_stats.xid, ps_str_from_cstr(xid)) != PS_OK)
        barrier_stats.xid[0] = '\0';
    if (ps_str_copy(barrier_stats.lsn, sizeof barrier_stats.lsn, ps_str_from_cstr(lsn)) != PS_OK)
        barrier_stats.lsn[0] = '\0';
    pthread_mutex_unlock(&barrier_lock);
}

/* The stand-in for the probe is a function no server has. */
static const struct ps_pg_faults injector = {
    .failing_probe = ", pg_catalog.pocketstate_test_no_such_function()",
    .probe_fails = probe_fails,
    .take_commit = take_commit,
    .before_commit = before_commit,
    .after_commit_sent = after_commit_sent,
    .refuse_reconnect = refuse_reconnect,
    .fail_identity = fail_identity,
    .alter_identity = alter_identity,
    .in_progress = in_progress,
    .barrier_sql = barrier_sql,
    .barrier_done = barrier_done,
};

static pthread_once_t installed = PTHREAD_ONCE_INIT;

static void install_now(void)
{
    ps_pg_set_faults(&injector);
}

/* Tests that only read the barrier statistics need the injector in place before the commit
 * they look at, so every entry point installs it. */
static void install(void)
{
    pthread_once(&installed, install_now);
}

void ps_pg_test_fault(enum ps_pg_fault f)
{
    install();
    atomic_store(&armed, (int)f);
}

enum ps_pg_fault ps_pg_test_fault_pending(void)
{
    install();
    return (enum ps_pg_fault)atomic_load(&armed);
}

void ps_pg_test_probe_fails(bool on)
{
    install();
    atomic_store(&probe_fail, on);
}

void ps_pg_test_barrier_stats(struct ps_pg_barrier_stats *out)
{
    install();
    pthread_mutex_lock(&barrier_lock);
    *out = barrier_stats;
    pthread_mutex_unlock(&barrier_lock);
}
