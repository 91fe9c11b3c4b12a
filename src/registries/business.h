/* The register of sole proprietors (ФОП, фізична особа-підприємець): a person's registrations
 * as a sole proprietor with their main activity (KVED-2010 class). At most one registration of
 * a person is active at a time, a rule the database enforces with a unique index
 * (migration 0005), never a check in C: two registrations racing on any number of nodes end
 * with one registered and one refused. A refusal that tells an official something about a
 * person (missing, deceased, already registered, nothing to terminate) is PS_OK with
 * `refused` set, and the read behind it is recorded and committed (ARCHITECTURE.md rule 3).
 * Every write records its transparency-log change in the same transaction (rule 4). No SQL
 * dialect and no HTTP here. */
#ifndef PS_REGISTRIES_BUSINESS_H
#define PS_REGISTRIES_BUSINESS_H

#include <stddef.h>

#include <stdbool.h>

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
 * Returns PS_OK with refused->code PS_OK when registered. Returns PS_OK with refused->code set
 * when the act is refused for a reason about the person:
 *   PS_ERR_NOTFOUND "no person with RNOKPP X", PS_ERR_INVALID "the person with RNOKPP X is
 *   deceased" (the status check), PS_ERR_EXISTS "the person with RNOKPP X is already
 *   registered as a sole proprietor (an active registration exists)" (the unique index: the
 *   INSERT is ON CONFLICT DO NOTHING on sole_proprietors_one_active, so the database, not a
 *   read in C, decides, also against a registration committed a moment ago by another node).
 * Nothing is registered then, but the status read was recorded and tx must be committed (in a
 * job: fn returns PS_OK). On PostgreSQL a registration racing an uncommitted one waits for it
 * and, when it commits, fails with PS_ERR_CONFLICT (40001, SERIALIZABLE): the committer runs
 * the job again and it is then refused as above. refused (OUT) is required and is not diag
 * (aborts otherwise).
 * Errors (roll back): PS_ERR_INVALID (bad RNOKPP or KVED, checked before any read; no reason
 * from someone other than the person), PS_ERR_DENIED (no actor), errors of ps_access_record
 * and ps_tlog_record_change, store errors (PS_ERR_CONFLICT is returned as is: in a job the
 * committer retries it). */
enum ps_err ps_sole_proprietor_register(struct ps_tx *tx, const struct ps_actor *actor,
                                        struct ps_str rnokpp, struct ps_str kved,
                                        struct ps_str reason, char id_out[37],
                                        struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

/* Terminates the person's active registration with one conditional UPDATE (status 'active'
 * -> 'terminated', terminated_at_ms from ps_clock_now_ms) and records the change
 * ("sole-proprietor.terminate", subject rnokpp, reason as given) in tx. id_out (37 bytes, may
 * be NULL) gets the terminated registration's id ("" when none). The person may register
 * again afterwards. The person's status is not checked: a deceased person's registration is
 * terminated too.
 * Returns PS_OK with refused->code PS_OK when terminated. Returns PS_OK with refused->code
 * PS_ERR_NOTFOUND ("the person with RNOKPP X has no active sole-proprietor registration":
 * never registered, already terminated, perhaps by a concurrent job, or no such person) when
 * the UPDATE matched no row. That answer is about the person, so when actor is not the person
 * it is recorded in tx (ps_access_record: action "sole-proprietor.status.read", subject
 * rnokpp, resource "persons/<rnokpp>#sole-proprietor", purpose = reason) and tx must be
 * committed (in a job: fn returns PS_OK). A successful termination records no access row: its
 * change record already names the actor, the person and the reason. refused (OUT) is
 * required and is not diag (aborts otherwise).
 * Errors (roll back): PS_ERR_DENIED (no actor), PS_ERR_INVALID (bad RNOKPP; no reason from
 * someone other than the person; both before anything is read), errors of ps_access_record
 * and ps_tlog_record_change, store errors (PS_ERR_CONFLICT as is: retried in a job). */
enum ps_err ps_sole_proprietor_terminate(struct ps_tx *tx, const struct ps_actor *actor,
                                         struct ps_str rnokpp, struct ps_str reason,
                                         char id_out[37], struct ps_diag *refused,
                                         struct ps_diag *diag) PS_WUR;

/* What a registration records beside its main activity: the tax system ("single-1",
 * "single-2", "single-3": the single tax's groups, or "general"), every activity (the main one
 * first; 1..PS_SOLE_PROPRIETOR_KVEDS_MAX KVED codes) and contacts. Strings borrowed. */
#define PS_SOLE_PROPRIETOR_KVEDS_MAX 20
struct ps_sole_proprietor_details {
    struct ps_str tax_system;
    const struct ps_str *kveds;
    size_t nkveds;
    struct ps_str email, phone; /* may be empty */
};

/* Records d for the active registration id of rnokpp (one row, once), with the change
 * "sole-proprietor.details" (subject rnokpp) in tx, then ps_records_changed (the extract shows
 * them). Errors: PS_ERR_DENIED (no actor),
 * PS_ERR_INVALID (unknown tax system, bad KVED, contacts too long), PS_ERR_NOTFOUND (no such
 * active registration of rnokpp), PS_ERR_EXISTS (details already recorded), tlog and store
 * errors. */
enum ps_err ps_sole_proprietor_set_details(struct ps_tx *tx, const struct ps_actor *actor,
                                           struct ps_str id, struct ps_str rnokpp,
                                           const struct ps_sole_proprietor_details *d,
                                           struct ps_str reason, struct ps_diag *diag) PS_WUR;

/* ps_sole_proprietor_register with d recorded in the same act (d->kveds[0] the main
 * activity): d is checked before anything is read, and its row and change entry are written
 * before ps_records_changed runs, once, so the documents drawn from the registration are
 * issued once, with the details (what a service outcome uses). Returns, refusals and errors
 * as ps_sole_proprietor_register, and those of ps_sole_proprietor_set_details. */
enum ps_err ps_sole_proprietor_register_with(struct ps_tx *tx, const struct ps_actor *actor,
                                             struct ps_str rnokpp,
                                             const struct ps_sole_proprietor_details *d,
                                             struct ps_str reason, char id_out[37],
                                             struct ps_diag *refused,
                                             struct ps_diag *diag) PS_WUR;

/* *out true when rnokpp has an active registration. Reads only; records nothing: callers that
 * show the answer to someone other than the person record it. */
enum ps_err ps_sole_proprietor_active(struct ps_tx *tx, struct ps_str rnokpp, bool *out,
                                      struct ps_diag *diag) PS_WUR;

#endif
