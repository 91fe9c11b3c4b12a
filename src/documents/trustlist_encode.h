/* The trust list encoder (docs/formats/trust-list.md): issuers' keys with their JWK, optional
 * X.509 certificate, document types, uses and signing window, as JSON signed by the platform
 * root in a flattened JWS (RFC 7515 section 7.2.2). Pure: the root signs via ps_doc_signer. */
#ifndef PS_DOCUMENTS_TRUSTLIST_ENCODE_H
#define PS_DOCUMENTS_TRUSTLIST_ENCODE_H

#include <stdint.h>

#include "core/buf.h"
#include "documents/signer.h"

enum { PS_DOC_USE_DOCUMENTS = 1u << 0, PS_DOC_USE_STATUS = 1u << 1 };

/* One key (borrowed). Keys of one issuer are grouped in the output in first-seen order. */
struct ps_doc_tl_key {
    const char *issuer;   /* issuer id (the CWT iss of what it signs) */
    const char *name;     /* issuer's display name, may be NULL */
    const uint8_t *kid;
    size_t kid_len;       /* 1-64 */
    int alg;              /* COSE alg */
    const char *jwk;      /* public JWK, JSON text */
    const uint8_t *cert;  /* DER X.509 of the same key, may be NULL */
    size_t cert_len;
    const char *const *types; /* document types it may sign, ntypes >= 1 */
    size_t ntypes;
    unsigned uses;        /* PS_DOC_USE_* (0 = documents) */
    int64_t nbf, exp;     /* signing window, 0 = open */
};

struct ps_doc_tl {
    int64_t iat, exp;
    const struct ps_doc_tl_key *keys;
    size_t nkeys;
};

/* Appends the signed trust list (JSON) to out. root->alg must be EdDSA or ES256; root_jwk
 * (the root's public JWK, JSON text) goes into the protected header as "jwk" so that
 * unpinned readers can check integrity. Errors: PS_ERR_INVALID, PS_ERR_CRYPTO, PS_ERR_LIMIT. */
enum ps_err ps_doc_trust_list_encode(const struct ps_doc_tl *tl, const struct ps_doc_signer *root,
                                     const char *root_jwk, struct ps_buf *out) PS_WUR;

/* base64url without padding of n bytes appended to out. */
enum ps_err ps_doc_b64url(struct ps_buf *out, const uint8_t *p, size_t n) PS_WUR;

#endif
