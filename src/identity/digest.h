/* RFC 9530 Content-Digest: verification of the field against the message content, and its
 * production. Only sha-256 and sha-512 (the registry's "Active" algorithms) count; others are
 * ignored, as the RFC allows. Pure: no I/O, no globals. */
#ifndef PS_IDENTITY_DIGEST_H
#define PS_IDENTITY_DIGEST_H

#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/idcode.h"

enum ps_digest_alg {
    PS_DIGEST_SHA256 = 1, /* "sha-256" */
    PS_DIGEST_SHA512 = 2, /* "sha-512" */
};

/* Largest Content-Digest field value accepted (a handful of members). */
#define PS_DIGEST_FIELD_MAX 1024

/* Checks the Content-Digest field value (field.p == NULL when the field is absent) against
 * content (the bytes of the message content, possibly empty). Every sha-256 and sha-512 member
 * must match (a present-but-wrong one is never outvoted by a right one); at least one must be
 * present. *algs (may be NULL) gets the bit set of the algorithms that matched.
 * Codes: PS_ID_DG_MISSING (absent), PS_ID_DG_MALFORMED (not a Dictionary, over
 * PS_DIGEST_FIELD_MAX bytes or 16 members, a member that is not a Byte Sequence, a wrong digest
 * length, repeated keys), PS_ID_DG_UNSUPPORTED (neither algorithm present), PS_ID_DG_MISMATCH.
 * Thread-safe. */
enum ps_err ps_digest_verify(struct ps_arena *a, struct ps_str field, struct ps_str content,
                             unsigned *algs, struct ps_id_diag *diag) PS_WUR;

/* Appends one member "sha-256=:<base64>:" (or sha-512) for content to b: the value a sender
 * puts in Content-Digest (join several with ", "). Errors: PS_ERR_LIMIT, PS_ERR_NOMEM,
 * PS_ERR_INVALID (unknown alg). */
enum ps_err ps_digest_format(struct ps_buf *b, enum ps_digest_alg alg, const void *content,
                             size_t n) PS_WUR;

#endif
