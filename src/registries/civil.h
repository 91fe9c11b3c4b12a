/* The civil-status register of marriages: registration and dissolution. A person is in at
 * most one active marriage, whichever party they are, a rule the database enforces: each
 * party is a row of marriage_parties and a unique index over the active rows' RNOKPP
 * (migration 0005) refuses a second one, so two marriages of one person racing on any number
 * of nodes end with one PS_OK and one PS_ERR_EXISTS. Every write records a transparency-log
 * change for each spouse in the same transaction (ARCHITECTURE.md rule 4). */
#ifndef PS_REGISTRIES_CIVIL_H
#define PS_REGISTRIES_CIVIL_H

#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

/* A marriage id: UUIDv7 text, 36 characters (plus NUL in buffers). */
#define PS_MARRIAGE_ID_LEN 36

/* Registers the marriage of persons a and b in tx (a write transaction): one marriages row
 * and both marriage_parties rows, then the change "marriage.register" (resource
 * "marriages/<id>", reason as given) once for each spouse as subject. id_out (37 bytes, may be
 * NULL) gets the marriage id ("" when none was made). Both inserts are in the one transaction,
 * so a concurrent marriage of either person makes this one or that one fail as a whole. The
 * party rows (and the change records) are written in ascending RNOKPP order, whatever the
 * order of a and b, so that marry(A, B) and marry(B, A) on two nodes never wait for each other
 * in a cycle (PostgreSQL would break such a deadlock by failing one with 40P01).
 * First both RNOKPPs are validated and a != b checked (before any read); then
 * ps_person_check_alive reads a's status and, if a is alive, b's, each read recorded
 * ("person.status.read", purpose = reason) when actor is not that person.
 * Returns PS_OK with refused->code PS_OK when registered. Returns PS_OK with refused->code
 * PS_ERR_NOTFOUND ("no person with RNOKPP X") or PS_ERR_INVALID ("the person with RNOKPP X is
 * deceased") when a spouse is missing or deceased: nothing is registered, but the status reads
 * were recorded and tx must be committed (in a job: fn returns PS_OK). refused (OUT) is
 * required and is not diag (aborts otherwise).
 * Errors (roll back): PS_ERR_INVALID (bad RNOKPP; a and b the same person; no reason from
 * someone other than the spouses), PS_ERR_DENIED (no actor), PS_ERR_EXISTS ("the person with
 * RNOKPP X is already married": the database's unique index; X is the first spouse in RNOKPP
 * order who is), tlog and store errors. */
enum ps_err ps_marriage_register(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str a,
                                 struct ps_str b, struct ps_str reason, char id_out[37],
                                 struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

/* Dissolves the active marriage id for both spouses: one conditional UPDATE of the marriage
 * (status 'active' -> 'dissolved', dissolved_at_ms from ps_clock_now_ms) and one of its party
 * rows, then the change "marriage.dissolve" for each spouse. Either may marry again after.
 * Errors: PS_ERR_INVALID (id not a UUID), PS_ERR_NOTFOUND (no active marriage with this id:
 * unknown or already dissolved), tlog and store errors. */
enum ps_err ps_marriage_dissolve(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str id,
                                 struct ps_str reason, struct ps_diag *diag) PS_WUR;

#endif
