/* Activation codes: what a person gets from a service-centre clerk (or the local admin) to
 * open their account and enrol a first passkey. 50 random bits as 10 symbols people can type
 * ("7KQ3M-9XD2H"), stored only as HMAC-SHA256 under a key derived from the master key (so a
 * copy of the database does not let anyone try codes offline), single use, 72 hours, dead
 * after 5 wrong tries (counted in the database: it survives restarts and spans nodes). */
#ifndef PS_IDENTITY_ACTIVATION_H
#define PS_IDENTITY_ACTIVATION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "policy/actor.h"
#include "registries/date.h"

struct ps_tx;

#define PS_ACTIVATION_SYMBOLS 10 /* 50 bits */
#define PS_ACTIVATION_TEXT_LEN 11 /* "XXXXX-XXXXX" */
#define PS_ACTIVATION_TTL_MS (72LL * 3600 * 1000)
#define PS_ACTIVATION_MAX_FAILURES 5
#define PS_ACTIVATION_INPUT_MAX 64
#define PS_IDENTITY_KEY_BYTES 32

struct ps_activation {
    char id[37];
    char code[PS_ACTIVATION_TEXT_LEN + 1]; /* shown once, to be handed to the person */
    int64_t expires_at_ms;
};

/* Issues a code for the person rnokpp, in tx (a write job). The person must be alive: the
 * check is actor's recorded status read (ps_person_check_alive, purpose = reason) and a
 * refusal (no such person, deceased) is a committed outcome: PS_OK with refused set, nothing
 * issued. Otherwise stores the code's HMAC under key and records the change
 * "activation-code.issue" (subject rnokpp, resource "activation-codes/<id>", reason).
 * Errors: PS_ERR_INVALID (bad RNOKPP, no reason), recording and store errors. */
enum ps_err ps_activation_issue(struct ps_tx *tx, const struct ps_actor *actor,
                                struct ps_str rnokpp, struct ps_str reason,
                                const unsigned char key[PS_IDENTITY_KEY_BYTES],
                                struct ps_activation *out, struct ps_diag *refused,
                                struct ps_diag *diag) PS_WUR;

/* Checks what someone typed to enrol: a living person rnokpp born on birth, and a live code
 * of theirs (unused, unexpired, fewer than PS_ACTIVATION_MAX_FAILURES wrong tries). Match:
 * PS_OK, refused clear, activation_id filled. Any mismatch: PS_OK with refused set to
 * PS_ERR_DENIED and one message whatever did not match (no oracle), and, when a person with
 * that RNOKPP exists, one more wrong try on each of their live codes: tx must commit (a job's
 * fn returns PS_OK). Errors: store errors. */
enum ps_err ps_activation_check(struct ps_tx *tx, struct ps_str rnokpp, struct ps_date birth,
                                struct ps_str code, const unsigned char key[PS_IDENTITY_KEY_BYTES],
                                char activation_id[37], struct ps_diag *refused,
                                struct ps_diag *diag) PS_WUR;

/* Uses the code (one conditional UPDATE, at enrolment): PS_ERR_DENIED when it was used,
 * expired or died in the meantime. */
enum ps_err ps_activation_use(struct ps_tx *tx, struct ps_str activation_id,
                              struct ps_diag *diag) PS_WUR;

#endif
