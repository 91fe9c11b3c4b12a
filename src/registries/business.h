/* The register of sole proprietors (ФОП, фізична особа-підприємець): a person's registrations
 * as a sole proprietor with their main activity (KVED-2010 class). At most one registration of
 * a person is active at a time, a rule the database enforces with a unique index
 * (migration 0005), never a check in C: two registrations racing on any number of nodes end
 * with one PS_OK and one PS_ERR_EXISTS. Every write records its transparency-log change in the
 * same transaction (ARCHITECTURE.md rule 4). No SQL dialect and no HTTP here. */
#ifndef PS_REGISTRIES_BUSINESS_H
#define PS_REGISTRIES_BUSINESS_H

#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

/* A KVED-2010 class code is "NN.NN": division, dot, group and class digits. */
#define PS_KVED_LEN 5
/* A registration id: UUIDv7 text, 36 characters (plus NUL in buffers). */
#define PS_SOLE_PROPRIETOR_ID_LEN 36

/* Checks code is a KVED-2010 class code: "NN.NN" whose division (the first two digits) is one
 * of the 88 of KVED-2010, which are those of NACE Rev. 2: 01-03, 05-09, 10-33, 35-39, 41-43,
 * 45-47, 49-53, 55-56, 58-66, 68-75, 77-82, 84-88, 90-99.
 * Errors: PS_ERR_INVALID with the reason ("KVED code must be NN.NN, e.g. 62.01",
 * "KVED-2010 has no division 04"). Pure; thread-safe. */
enum ps_err ps_kved_validate(struct ps_str code, struct ps_diag *diag) PS_WUR;

/* Registers the person rnokpp as a sole proprietor with main activity kved, in tx (a write
 * transaction), and records the change ("sole-proprietor.register", subject rnokpp, resource
 * "sole-proprietors/<id>", reason as given: the legal basis) in the same transaction.
 * Before it, ps_person_check_alive reads the person's status and, when actor is not the person,
 * records that read ("person.status.read", purpose = reason) in tx.
 * id_out (37 bytes, may be NULL) gets the new registration's id ("" when none was made).
 * Returns PS_OK with refused->code PS_OK when registered. Returns PS_OK with refused->code
 * PS_ERR_NOTFOUND ("no person with RNOKPP X") or PS_ERR_INVALID ("the person with RNOKPP X is
 * deceased") when the person is missing or deceased: nothing is registered, but the status
 * read was recorded and tx must be committed (in a job: fn returns PS_OK). refused (OUT) is
 * required and is not diag (aborts otherwise).
 * Errors (roll back): PS_ERR_INVALID (bad RNOKPP or KVED, checked before any read; no reason
 * from someone other than the person), PS_ERR_DENIED (no actor), PS_ERR_EXISTS (the person
 * already has an active registration: the database's unique index said so, also for a
 * registration committed a moment ago by another node), errors of ps_access_record and
 * ps_tlog_record_change, store errors (PS_ERR_CONFLICT is returned as is: in a job the
 * committer retries it). */
enum ps_err ps_sole_proprietor_register(struct ps_tx *tx, const struct ps_actor *actor,
                                        struct ps_str rnokpp, struct ps_str kved,
                                        struct ps_str reason, char id_out[37],
                                        struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

/* Terminates the person's active registration with one conditional UPDATE (status 'active'
 * -> 'terminated', terminated_at_ms from ps_clock_now_ms) and records the change
 * ("sole-proprietor.terminate") in tx. id_out (37 bytes, may be NULL) gets the terminated
 * registration's id. The person may register again afterwards.
 * Errors: PS_ERR_INVALID (bad RNOKPP), PS_ERR_NOTFOUND (no active registration: never
 * registered, or already terminated, perhaps by a concurrent job), tlog and store errors. */
enum ps_err ps_sole_proprietor_terminate(struct ps_tx *tx, const struct ps_actor *actor,
                                         struct ps_str rnokpp, struct ps_str reason,
                                         char id_out[37], struct ps_diag *diag) PS_WUR;

#endif
