/* Test-only fault injection for the PostgreSQL backend's COMMIT: makes the "connection lost
 * while committing" cases of docs/internals/store.md happen on demand against a real server.
 * Implemented in pg_fault.c, which only test programs link (the `testing` dependency of
 * meson.build); the first call of any function here plugs it into the backend (pg_int.h).
 * pocketstate contains none of it (scripts/check_binary.py). */
#ifndef PS_STORE_PG_FAULT_H
#define PS_STORE_PG_FAULT_H

#include <stdbool.h>

enum ps_pg_fault {
    PS_PG_FAULT_NONE,
    /* The connection drops just before COMMIT is sent: the server rolls back. */
    PS_PG_FAULT_LOSE_BEFORE_COMMIT,
    /* COMMIT is sent, the backend waits (up to 10 s, from a second connection: pg_xact_status
     * when the transaction's id is known, else pg_stat_activity until the session is idle)
     * until the server has committed, then drops the connection without reading the reply.
     * Every fault below does this first. */
    PS_PG_FAULT_LOSE_REPLY,
    /* As LOSE_REPLY, and every reconnect of the outcome check fails: the outcome cannot be
     * learned. */
    PS_PG_FAULT_LOSE_REPLY_NO_RECONNECT,
    /* As LOSE_REPLY, and every pg_xact_status poll reads "in progress": the polls run out. */
    PS_PG_FAULT_LOSE_REPLY_IN_PROGRESS,
    /* As LOSE_REPLY, and the reconnected session's identity probe fails with a server error
     * (as on a standby or an engine without the functions): the server is not known to be
     * the one that received COMMIT. */
    PS_PG_FAULT_LOSE_REPLY_NO_IDENTITY,
    /* As LOSE_REPLY, and the identity read after reconnecting shows another timeline, as
     * after landing on a promoted standby: the transaction id may name another transaction. */
    PS_PG_FAULT_LOSE_REPLY_OTHER_SERVER,
    /* As LOSE_REPLY, pg_xact_status says committed, and the new connection drops just before
     * the durability barrier: that the commit is durable cannot be confirmed. */
    PS_PG_FAULT_LOSE_REPLY_BARRIER_FAILS,
    /* As LOSE_REPLY, and the durability barrier draws a WARNING (the server's sign that a
     * cancelled synchronous-standby wait let a COMMIT through unreplicated). */
    PS_PG_FAULT_LOSE_REPLY_BARRIER_WARNS,
};

/* Arms f for the next COMMIT of a write transaction (PS_TX_WRITE or PS_TX_BULK) on any
 * PostgreSQL connection of this process; that COMMIT consumes it. One fault at a time: arming
 * replaces an unconsumed one. Thread-safe. */
void ps_pg_test_fault(enum ps_pg_fault f);
/* The armed fault not yet consumed (PS_PG_FAULT_NONE once a COMMIT took it). */
enum ps_pg_fault ps_pg_test_fault_pending(void);

/* While on, the session-setup probe of every (re)connect in this process fails with a server
 * error, as on a Postgres-compatible engine without to_regproc, pg_control_system or
 * pg_walfile_name: sessions open without the outcome check. Thread-safe. */
void ps_pg_test_probe_fails(bool on);

/* The durability barriers run after a "committed" outcome in this process (see
 * docs/internals/store.md): how many completed, and the last one's transaction id and the
 * WAL position of the record it wrote ("" before the first). */
struct ps_pg_barrier_stats {
    unsigned completed;
    char xid[24];
    char lsn[24];
};
/* Fills *out (OUT). Thread-safe. */
void ps_pg_test_barrier_stats(struct ps_pg_barrier_stats *out);

#endif
