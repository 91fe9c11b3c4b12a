/* Test-only fault injection for the PostgreSQL backend's COMMIT: makes the "connection lost
 * while committing" cases of docs/internals/store.md happen on demand against a real server.
 * Only tests include this file; production code never arms a fault. */
#ifndef PS_STORE_PG_FAULT_H
#define PS_STORE_PG_FAULT_H

enum ps_pg_fault {
    PS_PG_FAULT_NONE,
    /* The connection drops just before COMMIT is sent: the server rolls back. */
    PS_PG_FAULT_LOSE_BEFORE_COMMIT,
    /* COMMIT is sent, the backend waits (up to 10 s, polling pg_xact_status from a second
     * connection) until the server has committed, then drops the connection without reading
     * the reply. */
    PS_PG_FAULT_LOSE_REPLY,
    /* As LOSE_REPLY, and every reconnect of the outcome check fails: the outcome cannot be
     * learned. */
    PS_PG_FAULT_LOSE_REPLY_NO_RECONNECT,
    /* As LOSE_REPLY, and every pg_xact_status poll reads "in progress": the polls run out. */
    PS_PG_FAULT_LOSE_REPLY_IN_PROGRESS,
};

/* Arms f for the next COMMIT of a write transaction (one that learned its transaction id at
 * BEGIN) on any PostgreSQL connection of this process; that COMMIT consumes it. One fault at
 * a time: arming replaces an unconsumed one. Thread-safe. */
void ps_pg_test_fault(enum ps_pg_fault f);
/* The armed fault not yet consumed (PS_PG_FAULT_NONE once a COMMIT took it). */
enum ps_pg_fault ps_pg_test_fault_pending(void);

#endif
