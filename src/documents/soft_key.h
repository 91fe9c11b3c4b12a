/* In-memory signing keys (OpenSSL) behind the ps_doc_signer callback: for tests, the bench,
 * the test generator and development setups. Production keys come from the key store. */
#ifndef PS_DOCUMENTS_SOFT_KEY_H
#define PS_DOCUMENTS_SOFT_KEY_H

#include "core/buf.h"
#include "documents/signer.h"

struct ps_doc_soft_key;

/* A fresh key for alg (-7 ES256 P-256, -8 EdDSA Ed25519, -37 PS256 RSA-2048); NULL on
 * failure. Free with ps_doc_soft_key_free (NULL is a no-op). */
struct ps_doc_soft_key *ps_doc_soft_key_new(int alg);
void ps_doc_soft_key_free(struct ps_doc_soft_key *k);
/* Fills *s to sign with k under kid (1-64 bytes); k must outlive *s. */
void ps_doc_soft_key_signer(struct ps_doc_soft_key *k, const uint8_t *kid, size_t kid_len,
                            struct ps_doc_signer *s);
/* The public key as a JWK (JSON text, no private part) appended to out. */
enum ps_err ps_doc_soft_key_jwk(const struct ps_doc_soft_key *k, struct ps_buf *out) PS_WUR;
/* P-256 public coordinates (ES256 keys only). */
enum ps_err ps_doc_soft_key_p256(const struct ps_doc_soft_key *k, uint8_t x[32],
                                 uint8_t y[32]) PS_WUR;
/* A self-signed X.509 certificate (DER) for the key, valid [nbf, exp] (Unix seconds). */
enum ps_err ps_doc_soft_key_cert(const struct ps_doc_soft_key *k, const char *cn, int64_t nbf,
                                 int64_t exp, struct ps_buf *der) PS_WUR;
/* The OpenSSL key (borrowed), for tests that need to go below the encoders. */
void *ps_doc_soft_key_pkey(const struct ps_doc_soft_key *k);

#endif
