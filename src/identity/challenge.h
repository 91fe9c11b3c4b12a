/* WebAuthn challenges in flight: 32 random bytes each, stored as SHA-256 with what the
 * ceremony is for, valid 5 minutes, single use (taking one deletes it in the same
 * transaction that uses it). Kept in the database, not in a node's memory, so that the
 * ceremony may start on one node and end on another. */
#ifndef PS_IDENTITY_CHALLENGE_H
#define PS_IDENTITY_CHALLENGE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ps_tx;

#define PS_CHALLENGE_BYTES 32
#define PS_CHALLENGE_TTL_MS (5 * 60 * 1000)
#define PS_USER_HANDLE_BYTES 32

enum ps_challenge_purpose { PS_CHALLENGE_ENROL, PS_CHALLENGE_SIGNIN };

struct ps_challenge {
    unsigned char bytes[PS_CHALLENGE_BYTES];
    enum ps_challenge_purpose purpose;
    int64_t expires_at_ms;
    bool expired; /* taken after its expiry: the ceremony must be refused (and tx committed) */
    /* enrolment only */
    char rnokpp[11];
    char activation_id[37];
    unsigned char user_handle[PS_USER_HANDLE_BYTES];
};

/* Draws c->bytes and stores the challenge with c's purpose (and, for enrolment, rnokpp,
 * activation id and user handle) expiring PS_CHALLENGE_TTL_MS from now (c->expires_at_ms).
 * Errors: store errors. */
enum ps_err ps_challenge_new(struct ps_tx *tx, struct ps_challenge *c,
                             struct ps_diag *diag) PS_WUR;

/* Takes the challenge whose bytes are `bytes` (n of them) for purpose: deletes it and fills
 * *out. A challenge past its expiry is taken too, with out->expired set: the caller refuses
 * the ceremony and commits, so that it is gone. PS_ERR_NOTFOUND when there is none (never
 * issued, already used, or issued for the other purpose). */
enum ps_err ps_challenge_take(struct ps_tx *tx, const unsigned char *bytes, size_t n,
                              enum ps_challenge_purpose purpose, struct ps_challenge *out,
                              struct ps_diag *diag) PS_WUR;

/* Deletes challenges that expired before now (*deleted may be NULL). */
enum ps_err ps_challenge_prune(struct ps_tx *tx, int64_t now, int64_t *deleted,
                               struct ps_diag *diag) PS_WUR;

#endif
