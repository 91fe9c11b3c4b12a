/* WebAuthn challenges, valid 5 minutes, single use, 32 bytes each, in two kinds:
 *
 * - Enrolment challenges are random and stored (as SHA-256) with whom they were issued for;
 *   taking one deletes it in the transaction that uses it.
 * - Sign-in challenges carry their own proof and are not stored when issued, so that starting
 *   a sign-in writes nothing (anyone may start one): expiry (8 bytes, milliseconds since the
 *   epoch, big-endian) || 8 random bytes || the first 16 bytes of HMAC-SHA-256 under the RP's
 *   challenge key of "ps-signin-challenge-v1" and the first 16 bytes. Checking one needs no
 *   database; spending one inserts its hash in the transaction that uses it, and a second
 *   spend finds it there (the row is pruned after the expiry, when the check refuses it
 *   anyway).
 *
 * Both live in the database, not in a node's memory, and the key comes from the master key,
 * so that a ceremony may start on one node and end on another. */
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

/* Draws c->bytes and stores the enrolment challenge with rnokpp, activation id and user
 * handle, expiring PS_CHALLENGE_TTL_MS from now (c->expires_at_ms). Errors: store errors. */
enum ps_err ps_challenge_new(struct ps_tx *tx, struct ps_challenge *c,
                             struct ps_diag *diag) PS_WUR;

/* Takes the challenge whose bytes are `bytes` (n of them) for purpose: deletes it and fills
 * *out. A challenge past its expiry is taken too, with out->expired set: the caller refuses
 * the ceremony and commits, so that it is gone. PS_ERR_NOTFOUND when there is none (never
 * issued, already used, or issued for the other purpose). */
enum ps_err ps_challenge_take(struct ps_tx *tx, const unsigned char *bytes, size_t n,
                              enum ps_challenge_purpose purpose, struct ps_challenge *out,
                              struct ps_diag *diag) PS_WUR;

/* A new sign-in challenge under key (c->bytes, c->expires_at_ms; c->purpose SIGNIN). Writes
 * nothing. */
void ps_challenge_signin_new(const unsigned char key[32], struct ps_challenge *c);

/* Checks that bytes (n of them) are a sign-in challenge made under key, and fills *out
 * (out->expired when past its expiry). PS_ERR_NOTFOUND when they are not. Pure. */
enum ps_err ps_challenge_signin_check(const unsigned char key[32], const unsigned char *bytes,
                                      size_t n, struct ps_challenge *out) PS_WUR;

/* Spends a checked sign-in challenge in tx: PS_ERR_EXISTS when it was spent already. */
enum ps_err ps_challenge_spend(struct ps_tx *tx, const struct ps_challenge *c,
                               struct ps_diag *diag) PS_WUR;

/* Deletes challenges (and spent sign-in challenges) that expired before now (*deleted may be
 * NULL). */
enum ps_err ps_challenge_prune(struct ps_tx *tx, int64_t now, int64_t *deleted,
                               struct ps_diag *diag) PS_WUR;

#endif
