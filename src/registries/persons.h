/* The population registry: persons with their identifiers (RNOKPP, UNZR, ID card), names in
 * Ukrainian and Latin, birth date, sex, registered address and status; writes, the bulk
 * loader of the synthetic population, the one read of a person's record and the status check
 * of registry acts, both of which record the access (ARCHITECTURE.md rule 3). No SQL dialect
 * and no HTTP here: the store interface only. */
#ifndef PS_REGISTRIES_PERSONS_H
#define PS_REGISTRIES_PERSONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "registries/date.h"
#include "registries/rnokpp.h"

struct ps_tx;
struct ps_store;
struct ps_actor;

enum ps_person_status { PS_PERSON_ALIVE = 1, PS_PERSON_DECEASED = 2 };

/* "alive" / "deceased"; "" for anything else. */
const char *ps_person_status_name(enum ps_person_status s);

struct ps_address {
    struct ps_str oblast;     /* "Львівська область", "м. Київ" */
    struct ps_str hromada;    /* "Стрийська міська громада" */
    struct ps_str settlement; /* "м. Стрий" */
    struct ps_str street;     /* "вул. Шевченка" */
    struct ps_str building;   /* "17" or "17, кв. 52" */
};

/* One person. Every string is borrowed: who fills the struct says who owns them. */
struct ps_person {
    struct ps_str rnokpp;  /* 10 digits */
    struct ps_str unzr;    /* YYYYMMDD-NNNNC */
    struct ps_str id_card; /* 9 digits */
    struct ps_str surname, given_name, patronymic; /* Ukrainian; patronymic may be empty */
    struct ps_str surname_latin, given_name_latin, patronymic_latin; /* resolution 55 */
    struct ps_date birth_date;
    enum ps_sex sex;
    struct ps_address address;
    enum ps_person_status status;
};

/* Limits, in bytes. */
#define PS_PERSON_NAME_MAX 100
#define PS_PERSON_ADDRESS_FIELD_MAX 200

/* Checks every field and the cross-checks: RNOKPP and UNZR valid, the RNOKPP's date and sex
 * and the UNZR's date agree with birth_date and sex, ID card 9 digits, names non-empty
 * Ukrainian text that transliterates (empty Latin fields are allowed: ps_persons_insert
 * fills them), Latin fields ASCII, address fields present, status and sex known.
 * Errors: PS_ERR_INVALID with the first problem in diag. */
enum ps_err ps_person_validate(const struct ps_person *p, struct ps_diag *diag) PS_WUR;

/* Validates p and inserts it in tx (a write transaction). Empty Latin fields are filled by
 * transliteration. Errors: PS_ERR_INVALID, PS_ERR_EXISTS (RNOKPP, UNZR or ID-card number
 * already registered), store errors. */
enum ps_err ps_persons_insert(struct ps_tx *tx, const struct ps_person *p,
                              struct ps_diag *diag) PS_WUR;

/* Replaces the record of the person p->rnokpp (the RNOKPP itself never changes) with p,
 * validated and completed as ps_persons_insert does, in tx, records the change
 * "person.update" (subject the RNOKPP, resource "persons/<rnokpp>", reason), then tells the
 * records hook (records.h) about the person and their spouse, if married (their marriage
 * records show this person): documents drawn from them are reissued in the same
 * transaction. A death is an update with status "deceased". Errors: PS_ERR_DENIED (no
 * actor), PS_ERR_INVALID (the record, or no reason), PS_ERR_NOTFOUND (no such person),
 * PS_ERR_EXISTS (another person's UNZR or ID-card number), the hook's, store errors. */
enum ps_err ps_person_update(struct ps_tx *tx, const struct ps_actor *actor,
                             const struct ps_person *p, struct ps_str reason,
                             struct ps_diag *diag) PS_WUR;

/* Completes a person record given by a registrar before it is registered: fills empty Latin
 * names by the official transliteration (resolution 55 of 2010; strings owned by arena), then
 * checks it all (ps_person_validate). Pure: no store. Errors: PS_ERR_INVALID (the first
 * problem, or a name that does not transliterate), PS_ERR_NOMEM. */
enum ps_err ps_person_complete(struct ps_person *p, struct ps_arena *arena,
                               struct ps_diag *diag) PS_WUR;

/* Registers a person: ps_persons_insert plus the change record of the transparency log
 * (action "person.register", subject the RNOKPP), in tx, so that both commit or neither does
 * (ARCHITECTURE.md rule 4). reason: the legal basis, as recorded. Errors as
 * ps_persons_insert, and those of ps_tlog_record_change. */
enum ps_err ps_person_register(struct ps_tx *tx, const struct ps_actor *actor,
                               const struct ps_person *p, struct ps_str reason,
                               struct ps_diag *diag) PS_WUR;

/* The precondition of every registry act about a person (sole-proprietor registration,
 * marriage, share code): rnokpp names a living person, read from the status column in tx.
 *
 * The answer is itself data about the person: it tells the caller whether someone with this
 * RNOKPP exists and whether they have died. So when actor is not that person
 * (ps_actor_is_subject), the read is recorded with ps_access_record in tx whatever it found
 * (ARCHITECTURE.md rule 3): action "person.status.read", subject rnokpp, resource
 * "persons/<rnokpp>#status", purpose as given (the act's reason). A read by the person
 * themselves is not recorded.
 *
 * Returns PS_OK with refused->code PS_OK when the person is alive: the act may go on.
 * Returns PS_OK with refused->code set when the person is missing (PS_ERR_NOTFOUND, "no person
 * with RNOKPP X") or deceased (PS_ERR_INVALID, "the person with RNOKPP X is deceased"): the
 * act must not be performed and tx must COMMIT (a job's fn returns PS_OK), or the record of a
 * read whose answer the caller has seen would be rolled back.
 * Errors, before anything is read: PS_ERR_DENIED (no actor), PS_ERR_INVALID (bad RNOKPP, or no
 * purpose for another person's status); after: errors of ps_access_record, store errors (the
 * answer is then not given: refused stays PS_OK). A recorded read needs a write transaction.
 * refused (OUT) must not be NULL nor diag (aborts). */
enum ps_err ps_person_check_alive(struct ps_tx *tx, const struct ps_actor *actor,
                                  struct ps_str rnokpp, struct ps_str purpose,
                                  struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

/* Whether a LIVING person with rnokpp and exactly this birth date is in the registry (*match).
 * For a person proving who they are (enrolment with an activation code): it tells the caller
 * only whether what they typed is right, so it is not an access to anyone's data and is not
 * recorded; callers must answer every mismatch alike (no oracle). bad rnokpp: *match false. */
enum ps_err ps_person_identify(struct ps_tx *tx, struct ps_str rnokpp, struct ps_date birth,
                               bool *match, struct ps_diag *diag) PS_WUR;

/* The oblast the person rnokpp is registered in (owned by arena), for the access decision of
 * an official whose role is scoped to one oblast: the policy decides with it, nothing of it
 * reaches the official, so it is not recorded (the act it decides is). PS_ERR_NOTFOUND when
 * there is no such person. */
enum ps_err ps_person_oblast(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                             struct ps_str *oblast, struct ps_diag *diag) PS_WUR;

/* Number of persons in the registry. */
enum ps_err ps_persons_count(struct ps_tx *tx, int64_t *out, struct ps_diag *diag) PS_WUR;

/* THE read of a person's record. Validates rnokpp (PS_ERR_INVALID with the reason), reads
 * the person into *out (strings owned by arena) and, when actor is not that person
 * (ps_actor_is_subject), records the access with ps_access_record in tx: action
 * "person.read", subject the RNOKPP, resource "persons/<rnokpp>", purpose as given.
 * Recording happens only when data is returned: a lookup that finds no one
 * (PS_ERR_NOTFOUND) reveals no one's data and is not recorded (see
 * docs/internals/registries.md). A non-self read needs a non-empty purpose (PS_ERR_INVALID
 * otherwise, checked before reading) and a write transaction. If recording fails, the whole
 * read fails and *out must not be used. */
enum ps_err ps_person_read(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                           struct ps_str purpose, struct ps_arena *arena, struct ps_person *out,
                           struct ps_diag *diag) PS_WUR;

/* "Who used my data": the transparency log's records about rnokpp (tlog/log.h
 * ps_tlog_subject_rows: newest first, ids below `before` when non-empty, at most limit, rows
 * owned by arena, *n the count). The person must exist: PS_ERR_NOTFOUND otherwise, and as in
 * ps_person_read such a miss reveals nothing and is not recorded. When actor is not that
 * person the read is recorded in tx (action "access-log.read", resource
 * "persons/<rnokpp>/access-log", purpose as given, the local administrator's defaulting to
 * PS_ACCESS_ADMIN_PURPOSE; anyone else's required: PS_ERR_INVALID) and tx must then be a
 * write transaction. Errors: PS_ERR_DENIED (no actor), PS_ERR_INVALID (bad RNOKPP, no
 * purpose), PS_ERR_NOTFOUND, recording and store errors. */
struct ps_tlog_subject_row;
enum ps_err ps_person_access_log(struct ps_tx *tx, const struct ps_actor *actor,
                                 struct ps_str rnokpp, struct ps_str purpose,
                                 struct ps_str before, size_t limit, struct ps_arena *arena,
                                 struct ps_tlog_subject_row *rows, size_t *n,
                                 struct ps_diag *diag) PS_WUR;

/* Convenience over ps_person_read for CLI and tests: a self-read runs in ps_store_read, any
 * other in ps_store_write (durable before it returns, rule 5). Blocks. */
enum ps_err ps_persons_get(struct ps_store *store, const struct ps_actor *actor,
                           struct ps_str rnokpp, struct ps_str purpose, struct ps_arena *arena,
                           struct ps_person *out, struct ps_diag *diag) PS_WUR;

/* Generates n persons of the synthetic population for seed (population.h) and inserts them
 * in one ps_store_bulk transaction with one prepared statement, together with one
 * transparency-log change entry ("population.load", resource "persons?count=N&seed=S") for
 * the whole load. All or nothing.
 * Errors: PS_ERR_EXISTS when one of them is already registered (e.g. loading the same seed
 * twice), store errors. */
enum ps_err ps_population_load(struct ps_store *store, size_t n, uint64_t seed,
                               struct ps_diag *diag) PS_WUR;

#endif
