/* The civil-status register of marriages: registration and dissolution. A person is in at
 * most one active marriage, whichever party they are, a rule the database enforces: each
 * party is a row of marriage_parties and a unique index over the active rows' RNOKPP
 * (migration 0005) refuses a second one, so two marriages of one person racing on any number
 * of nodes end with one registered and the other refused. A refusal that tells an official
 * something about a spouse (missing, deceased, already married, the marriage no longer
 * active) is PS_OK with `refused` set, and the read behind it is recorded and committed
 * (ARCHITECTURE.md rule 3). Every write records a transparency-log change for each spouse in
 * the same transaction (rule 4). */
#ifndef PS_REGISTRIES_CIVIL_H
#define PS_REGISTRIES_CIVIL_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

/* A marriage id: UUIDv7 text, 36 characters (plus NUL in buffers). */
#define PS_MARRIAGE_ID_LEN 36

/* Registers the marriage of persons a and b in tx (a write transaction): one marriages row
 * and both marriage_parties rows, then the change "marriage.register" (resource
 * "marriages/<id>", reason as given) once for each spouse as subject. id_out (37 bytes, may be
 * NULL) gets the marriage id ("" when none was made). The three rows go in together in the one
 * transaction, or none does. The party rows (and the change records) are written in ascending
 * RNOKPP order, whatever the order of a and b, so that marry(A, B) and marry(B, A) on two
 * nodes never wait for each other in a cycle (PostgreSQL would break such a deadlock by
 * failing one with 40P01).
 * First both RNOKPPs are validated and a != b checked (before any read); then
 * ps_person_check_alive reads a's status and, if a is alive, b's, each read recorded
 * ("person.status.read", purpose = reason) when actor is not that person; then, if both are
 * alive, one SELECT asks the unique index's rows whether either is in an active marriage,
 * and one (kinship.h) whether they are close relatives.
 * Returns PS_OK with refused->code PS_OK when registered. Returns PS_OK with refused->code set
 * when the act is refused for a reason about a spouse: PS_ERR_NOTFOUND ("no person with
 * RNOKPP X"), PS_ERR_INVALID ("the person with RNOKPP X is deceased"), PS_ERR_EXISTS ("the
 * person with RNOKPP X is already married", X the first spouse in RNOKPP order who is),
 * PS_ERR_INVALID ("... are close relatives and may not marry").
 * Nothing is registered then, but the status reads were recorded and tx must be committed (in
 * a job: fn returns PS_OK). refused (OUT) is required and is not diag (aborts otherwise).
 * The unique index stays the guard: a registration that passes the SELECT but meets, in the
 * index, a marriage committed after this transaction's snapshot (a concurrent writer on
 * PostgreSQL; never on SQLite, whose single writer runs the SELECT and the inserts as one
 * step) fails with PS_ERR_CONFLICT, as PostgreSQL's SERIALIZABLE mostly reports such a race
 * itself (40001): in a job the committer runs it again, and the new snapshot's SELECT refuses
 * it as above. It never returns PS_ERR_EXISTS.
 * Errors (roll back): PS_ERR_INVALID (bad RNOKPP; a and b the same person; no reason from
 * someone other than the spouses), PS_ERR_DENIED (no actor), PS_ERR_CONFLICT (the race
 * above, or the store's), tlog and store errors. */
enum ps_err ps_marriage_register(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str a,
                                 struct ps_str b, struct ps_str reason, char id_out[37],
                                 struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

/* ps_marriage_register with the surname each spouse chose (surname_a a's, surname_b b's;
 * 1..400 bytes, checked before anything is read) recorded in the same act, as
 * ps_marriage_set_surname records them, before ps_records_changed runs for each spouse: the
 * marriage certificates are issued once, with the chosen surnames (what a service outcome
 * uses). Returns, refusals and errors as ps_marriage_register. */
enum ps_err ps_marriage_register_named(struct ps_tx *tx, const struct ps_actor *actor,
                                       struct ps_str a, struct ps_str b, struct ps_str surname_a,
                                       struct ps_str surname_b, struct ps_str reason,
                                       char id_out[37], struct ps_diag *refused,
                                       struct ps_diag *diag) PS_WUR;

/* Dissolves the active marriage id for both spouses: one conditional UPDATE of the marriage
 * (status 'active' -> 'dissolved', dissolved_at_ms from ps_clock_now_ms) and one of its party
 * rows, then the change "marriage.dissolve" for each spouse. Either may marry again after.
 * Returns PS_OK with refused->code PS_OK when dissolved. Returns PS_OK with refused->code
 * PS_ERR_NOTFOUND ("no active marriage <id>") when the UPDATE matched nothing: an unknown id,
 * or a marriage already dissolved (perhaps by a concurrent job). In the second case the answer
 * tells the actor that these spouses' marriage is over, so the read is recorded for each
 * spouse the actor is not (ps_access_record: action "marriage.status.read", subject the
 * spouse, resource "marriages/<id>#status", purpose = reason) and tx must be committed (in a
 * job: fn returns PS_OK); an unknown id is about no one and records nothing. A successful
 * dissolution records no access row: its change records name the actor, both spouses and the
 * reason. refused (OUT) is required and is not diag (aborts otherwise).
 * Errors (roll back): PS_ERR_DENIED (no actor), PS_ERR_INVALID (id not a UUID; no reason: a
 * marriage is always another person's record too), tlog and store errors (PS_ERR_CONFLICT as
 * is: retried in a job). */
enum ps_err ps_marriage_dissolve(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str id,
                                 struct ps_str reason, struct ps_diag *refused,
                                 struct ps_diag *diag) PS_WUR;

/* Records the surname spouse rnokpp chose at the registration of marriage id (one row per
 * spouse, marriage_surnames), with the change "marriage.surname" (subject rnokpp) in tx,
 * then ps_records_changed for both spouses (their certificates show it).
 * Errors: PS_ERR_DENIED (no actor), PS_ERR_INVALID (empty or longer than 400 bytes),
 * PS_ERR_NOTFOUND (rnokpp is not a party of that active marriage), PS_ERR_EXISTS (already
 * recorded), tlog and store errors. */
enum ps_err ps_marriage_set_surname(struct ps_tx *tx, const struct ps_actor *actor,
                                    struct ps_str id, struct ps_str rnokpp,
                                    struct ps_str surname, struct ps_str reason,
                                    struct ps_diag *diag) PS_WUR;

/* *out true when rnokpp is a party of an active marriage. Reads only; records nothing:
 * callers that show the answer to someone other than the person record it. */
enum ps_err ps_marriage_active(struct ps_tx *tx, struct ps_str rnokpp, bool *out,
                               struct ps_diag *diag) PS_WUR;

#endif
