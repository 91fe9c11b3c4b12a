/* The Status List Token encoder (draft-ietf-oauth-status-list-18, CWT form): one status
 * value per document packed at 1, 2, 4 or 8 bits, zlib-compressed into "lst", signed as a
 * COSE_Sign1 with typ "application/statuslist+cwt". Pure; signs via ps_doc_signer. */
#ifndef PS_DOCUMENTS_STATUSLIST_ENCODE_H
#define PS_DOCUMENTS_STATUSLIST_ENCODE_H

#include <stdint.h>

#include "core/buf.h"
#include "documents/signer.h"

struct ps_doc_status_list {
    const char *iss; /* the issuer of the documents it covers */
    const char *uri; /* the URI documents name in their status claim ("sub" here) */
    int64_t iat, exp, ttl; /* exp, ttl 0 = absent */
    unsigned bits;   /* 1, 2, 4 or 8 */
    const uint8_t *values; /* values[i] is document i's status (0 valid, 1 revoked, 2 suspended) */
    size_t n;
};

/* Appends the signed token (CBOR bytes) to out. PS_ERR_INVALID for bits not in {1,2,4,8} or a
 * value that does not fit in bits. */
enum ps_err ps_doc_status_list_encode(const struct ps_doc_status_list *sl,
                                      const struct ps_doc_signer *s, struct ps_buf *out) PS_WUR;

#endif
