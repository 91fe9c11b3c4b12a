/* In-memory signing keys (OpenSSL) behind the ps_doc_signer callback: fresh ones for tests,
 * the bench and the test generator; the issuers' keys (issuer.h) once unsealed from their
 * PKCS#8 form; the platform root from its Ed25519 seed. Signing with one key from several
 * threads is safe (OpenSSL 3 keys are immutable once made). */
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
/* A key from its PKCS#8 DER (as ps_doc_soft_key_private_der writes it) for alg; NULL when the
 * DER does not hold a key of that algorithm. */
struct ps_doc_soft_key *ps_doc_soft_key_from_der(int alg, const uint8_t *der, size_t len);
/* An EdDSA key from its 32-byte Ed25519 seed (the platform root, crypto/keys.h). */
struct ps_doc_soft_key *ps_doc_soft_key_from_seed(const uint8_t seed[32]);
/* The private key as PKCS#8 DER appended to out (a secret: the caller wipes out). */
enum ps_err ps_doc_soft_key_private_der(const struct ps_doc_soft_key *k,
                                        struct ps_buf *out) PS_WUR;
/* The raw public key: ES256 65 bytes 0x04 || X || Y, EdDSA 32 bytes; *len set. */
enum ps_err ps_doc_soft_key_public_raw(const struct ps_doc_soft_key *k, uint8_t out[65],
                                       size_t *len) PS_WUR;
/* An X.509 certificate (DER) for k's public key named cn, valid [nbf, exp], issued and signed
 * by `by` named by_cn (serial random). */
enum ps_err ps_doc_soft_key_cert_by(const struct ps_doc_soft_key *k, const char *cn, int64_t nbf,
                                    int64_t exp, const struct ps_doc_soft_key *by,
                                    const char *by_cn, struct ps_buf *der) PS_WUR;
int ps_doc_soft_key_alg(const struct ps_doc_soft_key *k);

/* The OpenSSL key (borrowed), for tests that need to go below the encoders. */
void *ps_doc_soft_key_pkey(const struct ps_doc_soft_key *k);

#endif
