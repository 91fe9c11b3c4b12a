/* Signature primitives on raw public keys: Ed25519 (libsodium) and ECDSA P-256 with SHA-256
 * (OpenSSL 3), with the signature in the raw r || s form (RFC 9421, COSE) or in strict DER (what
 * WebAuthn authenticators send). Pure: no I/O, no globals; thread-safe. */
#ifndef PS_IDENTITY_SIG_H
#define PS_IDENTITY_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PS_ED25519_PUB_LEN 32
#define PS_ED25519_SIG_LEN 64
#define PS_P256_PUB_LEN 65 /* 0x04 || X || Y */
#define PS_P256_PRIV_LEN 32
#define PS_P256_SIG_LEN 64 /* r || s, each zero-padded to 32 bytes */

/* Ed25519 (RFC 8032, no pre-hash) over msg. Errors: PS_ERR_INVALID when siglen is not 64,
 * PS_ERR_CRYPTO when the signature does not verify (libsodium also refuses small-order keys and
 * non-canonical S). */
enum ps_err ps_sig_ed25519_verify(const uint8_t pub[PS_ED25519_PUB_LEN], const void *msg,
                                  size_t n, const uint8_t *sig, size_t siglen) PS_WUR;

/* True when pub is an uncompressed P-256 point (0x04 prefix) that lies on the curve. */
int ps_sig_p256_point_valid(const uint8_t pub[PS_P256_PUB_LEN]);

/* ECDSA P-256 / SHA-256 over msg with sig = r || s (64 bytes). Errors: PS_ERR_INVALID (siglen
 * not 64, or pub not a valid point), PS_ERR_CRYPTO (does not verify; r or s zero or not below
 * the group order), PS_ERR_NOMEM. */
enum ps_err ps_sig_p256_verify(const uint8_t pub[PS_P256_PUB_LEN], const void *msg, size_t n,
                               const uint8_t *sig, size_t siglen) PS_WUR;

/* Converts a DER Ecdsa-Sig-Value (SEQUENCE { INTEGER r, INTEGER s }) into r || s, each
 * zero-padded to field_len bytes (32 for P-256, at most 66). Strict DER: short-form lengths only
 * where they suffice, minimal positive integers (no superfluous 0x00, no negative value), no
 * zero, nothing after the sequence. Errors: PS_ERR_INVALID. */
enum ps_err ps_sig_ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t field_len,
                                    uint8_t *out) PS_WUR;

/* The inverse, for signers that must send DER (the software authenticator): appends the DER of
 * r || s (2 * field_len bytes) to out (cap >= 2 * field_len + 9); *out_len gets the length. */
enum ps_err ps_sig_ecdsa_raw_to_der(const uint8_t *raw, size_t field_len, uint8_t *out,
                                    size_t cap, size_t *out_len) PS_WUR;

/* ---- signing (tests, tools, the benchmark, client reference code) ---- */

/* A new P-256 key pair from the system's random source. */
enum ps_err ps_sig_p256_keygen(uint8_t priv[PS_P256_PRIV_LEN], uint8_t pub[PS_P256_PUB_LEN]) PS_WUR;
/* The public point of a private scalar. Errors: PS_ERR_INVALID (scalar zero or >= order). */
enum ps_err ps_sig_p256_public(const uint8_t priv[PS_P256_PRIV_LEN],
                               uint8_t pub[PS_P256_PUB_LEN]) PS_WUR;
/* ECDSA P-256 / SHA-256 signature r || s of msg. Errors: PS_ERR_INVALID (bad key),
 * PS_ERR_CRYPTO. */
enum ps_err ps_sig_p256_sign(const uint8_t priv[PS_P256_PRIV_LEN], const void *msg, size_t n,
                             uint8_t sig[PS_P256_SIG_LEN]) PS_WUR;

#endif
