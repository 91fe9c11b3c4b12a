/* Strict base64 and base64url (RFC 4648) on libsodium, with a size limit checked before any
 * decoding: the encodings WebAuthn (unpadded base64url) and structured-field byte sequences
 * (standard alphabet) use. */
#ifndef PS_IDENTITY_B64_H
#define PS_IDENTITY_B64_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* Borrowed or arena-owned bytes, by value. p is never NULL for a decoded value (len may be 0). */
struct ps_bytes {
    const uint8_t *p;
    size_t len;
};

/* Decodes base64url without padding (RFC 4648 section 5; '=' is refused, as are non-zero pad
 * bits and any character outside the alphabet) into bytes owned by the arena. Errors:
 * PS_ERR_LIMIT when the decoded length would exceed max_bytes (decided from the length of s,
 * before decoding), PS_ERR_INVALID, PS_ERR_NOMEM. */
enum ps_err ps_b64url_decode(struct ps_arena *a, struct ps_str s, size_t max_bytes,
                             struct ps_bytes *out) PS_WUR;
/* Decodes standard base64 (section 4), padded or not (a structured-field byte sequence may omit
 * the padding), non-zero pad bits refused; otherwise as ps_b64url_decode. */
enum ps_err ps_b64_decode(struct ps_arena *a, struct ps_str s, size_t max_bytes,
                          struct ps_bytes *out) PS_WUR;

/* Appends the encoding of n bytes to b: base64url without padding (url) or padded standard
 * base64. Errors: PS_ERR_LIMIT (b's maximum), PS_ERR_NOMEM. */
enum ps_err ps_b64_append(struct ps_buf *b, const void *p, size_t n, int url) PS_WUR;
/* Unpadded base64url of n bytes as a NUL-terminated string owned by the arena; NULL when out
 * of memory. */
char *ps_b64url_encode(struct ps_arena *a, const void *p, size_t n);

#endif
