/* Access recording: THE one function that writes down who read a person's data, what, why
 * and when (ARCHITECTURE.md rule 3), and its sibling for state changes (rule 4). Both append
 * one row to the append-only table access_log in the caller's transaction, so the record
 * commits together with the read's decision (or the change) or not at all. access_log is the
 * transparency log's record table: the integrator (integrator.h) sequences its rows into the
 * public Merkle tree about a second after they commit, publishing only non-personal fields
 * and a salted commitment (docs/internals/tlog.md, "Entries"). The signatures are stable.
 * The actor is who the access policy decided is acting (policy/actor.h): the log records it
 * as it is handed over. */
#ifndef PS_TLOG_ACCESS_H
#define PS_TLOG_ACCESS_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "policy/actor.h"

struct ps_tx;

/* Limits on the recorded fields, in bytes. */
#define PS_ACCESS_ACTOR_ID_MAX 128
#define PS_ACCESS_ACTION_MAX 64
#define PS_ACCESS_SUBJECT_MAX 64
#define PS_ACCESS_RESOURCE_MAX 256
#define PS_ACCESS_PURPOSE_MAX 256

/* The purpose recorded when a reader gives none: the local administrator's reads default to
 * PS_ACCESS_ADMIN_PURPOSE; everyone else must say why (given is returned as is, possibly
 * empty, and the read is refused without one). */
#define PS_ACCESS_ADMIN_PURPOSE "local-administration"
struct ps_str ps_access_purpose(const struct ps_actor *actor, struct ps_str given);

/* Appends one row (kind 'access') to access_log in tx: a new UUIDv7 id, 32 random salt
 * bytes, the time from ps_clock_now_ms, the actor's kind and id, action (a stable dotted
 * name such as "person.read"), subject (whose data: the RNOKPP), resource (what was read, e.g. "persons/3184710691") and purpose (why,
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
