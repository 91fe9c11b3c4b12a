/* The PostgreSQL backend's seam for the test-only fault injector (pg_fault.c, which only test
 * programs link; pg_fault.h is its interface for tests). postgres.c calls the injector at the
 * points where a lost connection, a failed probe or a lost COMMIT reply can happen, and only
 * when one is installed: pocketstate installs none and contains none of its code
 * (scripts/check_binary.py). Private to the store module. */
#ifndef PS_STORE_PG_INT_H
#define PS_STORE_PG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

/* A fault injector. A COMMIT's fault is an int the injector chose (0: none) and passes back to
 * the later calls about the same COMMIT. Every member is required; all are called from the
 * committer threads. */
struct ps_pg_faults {
    /* Extra columns for session setup that fail on every server, used when probe_fails()
     * says so or the caller asks for a failing probe (fail_identity). */
    const char *failing_probe;
    bool (*probe_fails)(void);
    /* The fault for the COMMIT of a write transaction about to be sent (consumed). */
    int (*take_commit)(void);
    /* Just before COMMIT is sent, and just after (target: the connection's url). */
    void (*before_commit)(int f, PGconn *pg);
    void (*after_commit_sent)(int f, PGconn *pg, const char *target, const char *xid);
    /* The outcome check of a lost reply: refuse every reconnect (why gets the reason,
     * PS_STORE_ERRMSG_CAP bytes), fail the reconnected session's identity probe, change the
     * identity read (cap bytes), answer "in progress" for every poll. */
    bool (*refuse_reconnect)(int f, char *why);
    bool (*fail_identity)(int f);
    void (*alter_identity)(int f, char *ident, size_t cap);
    bool (*in_progress)(int f);
    /* The durability barrier's SQL for f (NULL: the real one); it may drop pg first. */
    const char *(*barrier_sql)(int f, PGconn *pg);
    /* A barrier completed: its transaction id and the WAL position of its message. */
    void (*barrier_done)(const char *xid, const char *lsn);
};

/* Installs the injector (NULL: none, the default). Borrowed: it must outlive every store. */
void ps_pg_set_faults(const struct ps_pg_faults *f);

/* Whether the server pg says transaction xid has committed (pg_xact_status). */
bool ps_pg_xact_committed(PGconn *pg, const char *xid);

/* The durability barrier's transaction up to its COMMIT (postgres.c explains it). */
#define PS_PG_BARRIER_HEAD                                                                         \
    "BEGIN; SELECT pg_catalog.pg_current_xact_id()::text, "                                        \
    "pg_catalog.pg_logical_emit_message(true, 'pocketstate', 'durability barrier')::text; "

#endif
