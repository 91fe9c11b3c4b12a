/* The signing callback the document encoders use, so the server's key store signs without the
 * encoders knowing where keys live (src/crypto is not a dependency of the encoders). */
#ifndef PS_DOCUMENTS_SIGNER_H
#define PS_DOCUMENTS_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PS_DOC_SIG_MAX 512 /* RSA-4096 */
#define PS_DOC_KID_MAX 64

/* Signs msg (len bytes) with the key behind ctx, writing the signature in the COSE/JOSE
 * form of the signer's alg (ES256: raw r||s, 64 bytes; EdDSA: 64 bytes) into sig (cap bytes)
 * and its length into *sig_len. Returns PS_OK or PS_ERR_CRYPTO. */
typedef enum ps_err (*ps_doc_sign_fn)(void *ctx, const uint8_t *msg, size_t len,
                                      uint8_t *sig, size_t cap, size_t *sig_len);

struct ps_doc_signer {
    int alg;                     /* COSE alg: -7 ES256, -8 EdDSA, -37 PS256 */
    uint8_t kid[PS_DOC_KID_MAX]; /* the kid the trust list names */
    size_t kid_len;
    ps_doc_sign_fn sign;
    void *ctx; /* borrowed */
};

#endif
