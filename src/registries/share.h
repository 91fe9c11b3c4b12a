/* Share codes: a citizen lets a verifier (a bank, a notary, an official) see one of their
 * records by handing over a short-lived random code, typed or scanned. The code is stored only
 * as its SHA-256 (ARCHITECTURE.md rule 8) and can be redeemed exactly once: redemption is one
 * conditional UPDATE that only an unused, unexpired code satisfies, so of two verifiers racing
 * with the same code on any number of nodes exactly one gets the grant (migration 0005,
 * docs/internals/registries.md). Creation and redemption each record a transparency-log change
 * in their transaction (rule 4). The data itself is then read through ps_person_read, which
 * records the access (rule 3). */
#ifndef PS_REGISTRIES_SHARE_H
#define PS_REGISTRIES_SHARE_H

#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "registries/rnokpp.h"
#include "tlog/access.h"

struct ps_tx;

/* A code is 16 symbols of Crockford's base32 (80 random bits), written in groups of four:
 * "7KQ3-M9XD-2HBT-R4ZC". */
#define PS_SHARE_CODE_SYMBOLS 16
#define PS_SHARE_CODE_TEXT_LEN 19
/* Redemption input limit, in bytes (spaces and hyphens are ignored). */
#define PS_SHARE_CODE_INPUT_MAX 64
/* Lifetime: default and the longest allowed. */
#define PS_SHARE_TTL_DEFAULT_MS (3 * 60 * 1000)
#define PS_SHARE_TTL_MAX_MS (60 * 60 * 1000)

/* A fresh code. Secret: the holder wipes it (sodium_memzero) once it has been shown. */
struct ps_share_code {
    char text[PS_SHARE_CODE_TEXT_LEN + 1];
    char id[37];          /* the code's public id (UUIDv7), as in the log */
    int64_t expires_at_ms;
};

/* What a redeemed code grants: whose record, which one. */
struct ps_share_grant {
    char id[37];
    char subject[PS_RNOKPP_LEN + 1];
    char resource[PS_ACCESS_RESOURCE_MAX + 1];
};

/* Creates a code for resource, valid for ttl_ms (0: PS_SHARE_TTL_DEFAULT_MS), in tx (a write
 * transaction), with random bits from ps_random_bytes, and records the change "share.create"
 * (subject the citizen, resource as given, reason "share code <id>"). For now the one thing a
 * citizen can share is their own registry record: actor must be a citizen and resource
 * "persons/<their RNOKPP>". OUT: *out (the code is in no log, no diag, no table).
 * Errors: PS_ERR_DENIED (not a citizen, or another person's record), PS_ERR_INVALID (another
 * kind of resource; ttl_ms negative or above PS_SHARE_TTL_MAX_MS; the person is deceased),
 * PS_ERR_NOTFOUND (no such person), tlog and store errors. Unlike the registry acts of
 * business.h and civil.h, a missing or deceased person is an error here, not a PS_OK with a
 * refusal: the actor is always the person (checked first), whose reading of their own status
 * ps_person_check_alive does not record, so rolling back loses no access record. Run as a
 * job, a retry makes a new code: only the last one written to *out was committed. */
enum ps_err ps_share_create(struct ps_tx *tx, const struct ps_actor *actor,
                            struct ps_str resource, int64_t ttl_ms, struct ps_share_code *out,
                            struct ps_diag *diag) PS_WUR;

/* ps_share_create for a document of the citizen actor: resource "documents/<id>..." (at most
 * PS_ACCESS_RESOURCE_MAX bytes), whose holder the caller (src/documents) has checked is the
 * actor. Otherwise as ps_share_create. */
enum ps_err ps_share_create_document(struct ps_tx *tx, const struct ps_actor *actor,
                                     struct ps_str resource, int64_t ttl_ms,
                                     struct ps_share_code *out, struct ps_diag *diag) PS_WUR;

/* ps_share_redeem without its change record, for a caller that records the redemption
 * together with the read it allows, as one entry (documents: "document.share.redeem", an
 * access record, in the same transaction). Same checks, errors and single use. */
enum ps_err ps_share_take(struct ps_tx *tx, const struct ps_actor *verifier, struct ps_str code,
                          struct ps_str purpose, struct ps_share_grant *out,
                          struct ps_diag *diag) PS_WUR;

/* Redeems code for verifier with one statement: UPDATE ... SET used_at_ms = now WHERE
 * code_hash = SHA-256(code) AND used_at_ms IS NULL AND expires_at_ms > now. When it matched,
 * records the change "share.redeem" (actor the verifier, subject and resource of the code,
 * reason = purpose) in tx and fills *out. When it did not, a read of the same row says why.
 * The code may be given in either case, with or without hyphens and spaces (O reads as 0,
 * I and L as 1). A non-empty purpose is required, as for any read of another's data.
 * Errors: PS_ERR_INVALID (malformed code, no purpose), PS_ERR_NOTFOUND ("unknown share
 * code"), PS_ERR_EXISTS ("this share code has already been used": its one use exists),
 * PS_ERR_LIMIT ("this share code expired at <time>": its time limit passed), tlog and store
 * errors. The code never appears in diag. */
enum ps_err ps_share_redeem(struct ps_tx *tx, const struct ps_actor *verifier, struct ps_str code,
                            struct ps_str purpose, struct ps_share_grant *out,
                            struct ps_diag *diag) PS_WUR;

#endif
