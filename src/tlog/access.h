/* Access recording: THE one function that writes down who read a person's data, what, why
 * and when (ARCHITECTURE.md rule 3), and its sibling for state changes (rule 4). Both append
 * one row to the append-only table access_log in the caller's transaction, so the record
 * commits together with the read's decision (or the change) or not at all. access_log is the
 * transparency log's record table: the integrator (integrator.h) sequences its rows into the
 * public Merkle tree about a second after they commit, publishing only non-personal fields
 * and a salted commitment (docs/internals/tlog.md, "Entries"). The signatures are stable. */
#ifndef PS_TLOG_ACCESS_H
#define PS_TLOG_ACCESS_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

struct ps_tx;

enum ps_actor_kind {
    PS_ACTOR_CITIZEN,  /* a person acting for themselves; id is their RNOKPP */
    PS_ACTOR_OFFICIAL, /* a civil servant; id is their account id */
    PS_ACTOR_SYSTEM,   /* an agency system over the exchange API; id is the client id */
    PS_ACTOR_ADMIN,    /* the local operator; id names the admin credential */
};

/* Who is acting. Borrowed strings; the caller keeps them alive for the call. */
struct ps_actor {
    enum ps_actor_kind kind;
    struct ps_str id;
};

/* Limits on the recorded fields, in bytes. */
#define PS_ACCESS_ACTOR_ID_MAX 128
#define PS_ACCESS_ACTION_MAX 64
#define PS_ACCESS_SUBJECT_MAX 64
#define PS_ACCESS_RESOURCE_MAX 256
#define PS_ACCESS_PURPOSE_MAX 256

/* "citizen", "official", "system", "admin" (as stored); "" for an unknown kind. */
const char *ps_actor_kind_name(enum ps_actor_kind kind);

/* True when actor is the citizen whose RNOKPP is subject: reading one's own data is not
 * recorded. */
bool ps_actor_is_subject(const struct ps_actor *actor, struct ps_str subject);

/* Appends one row (kind 'access') to access_log in tx: a new UUIDv7 id, 32 random salt
 * bytes, the time from ps_clock_now_ms, the actor's kind and id, action (a stable dotted name such as "person.read"), subject (whose
 * data: the RNOKPP), resource (what was read, e.g. "persons/3184710691") and purpose (why,
 * free text from the reader). tx must be a write transaction.
 * Every text must be non-empty valid UTF-8 without control characters and within the
 * PS_ACCESS_*_MAX limits. Errors: PS_ERR_INVALID (with the field in diag), store errors from
 * the insert. Thread-safe as far as tx is (one thread per transaction). */
enum ps_err ps_access_record(struct ps_tx *tx, const struct ps_actor *actor, const char *action,
                             struct ps_str subject, struct ps_str resource, struct ps_str purpose,
                             struct ps_diag *diag) PS_WUR;

/* The same for a state change (kind 'change'): action names the change ("document.issue"),
 * resource what changed, subject the person it concerns and reason why; subject and reason
 * may be empty (PS_STR_NULL or ""), everything else is checked as for ps_access_record. Call
 * it in the transaction that makes the change. Same errors and thread-safety. */
enum ps_err ps_tlog_record_change(struct ps_tx *tx, const struct ps_actor *actor,
                                  const char *action, struct ps_str subject,
                                  struct ps_str resource, struct ps_str reason,
                                  struct ps_diag *diag) PS_WUR;

#endif
