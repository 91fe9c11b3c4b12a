/* Key material, pure (no file, no database, no global): the master key that seals every
 * private key, sealing with XChaCha20-Poly1305 (libsodium), the platform key pairs (Ed25519
 * via libsodium, ES256 via OpenSSL 3 EVP) made in sealed form and opened from it, signing and
 * verifying, and the local admin token and its hash. Where keys are kept (the master key
 * file, the `keys` table, the token hash in `meta`) is the keystore module's
 * (keystore/keystore.h). Secrets live in sodium_malloc memory and are wiped when freed. */
#ifndef PS_CRYPTO_KEYS_H
#define PS_CRYPTO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

#define PS_MASTER_KEY_BYTES 32

/* The master key, in sodium_malloc memory (guard pages, no core dumps, read-only after
 * load). Owned by whoever made it; free with ps_keys_master_free. */
struct ps_master_key;

/* Parses 64 hex characters (either case; nothing else, not even a newline) into a new master
 * key. Errors: PS_ERR_INVALID (wrong length or a non-hex character; the message never
 * echoes the value), PS_ERR_NOMEM, PS_ERR_CRYPTO (libsodium would not initialise). */
enum ps_err ps_keys_master_from_hex(struct ps_str hex, struct ps_master_key **out,
                                    struct ps_diag *diag) PS_WUR;

/* A new random master key. Errors: PS_ERR_NOMEM, PS_ERR_CRYPTO. */
enum ps_err ps_keys_master_new(struct ps_master_key **out, struct ps_diag *diag) PS_WUR;

/* Writes the 64 lower-case hex characters of m and a NUL into hex, which the caller keeps in
 * secure memory and wipes. */
void ps_keys_master_hex(const struct ps_master_key *m, char hex[2 * PS_MASTER_KEY_BYTES + 1]);

/* Wipes and frees. NULL is a no-op. */
void ps_keys_master_free(struct ps_master_key *m);

/* Derives the 32-byte subkey number id of one purpose from the master key (libsodium
 * crypto_kdf, BLAKE2b), context being 8 characters that name the purpose ("actcode1"): every
 * node with the same master key derives the same subkey, and no subkey reveals the master
 * key or another subkey. The caller wipes out (sodium_memzero) when done. Thread-safe. */
void ps_keys_master_derive(const struct ps_master_key *m, uint64_t id, const char context[8],
                           unsigned char out[32]);

/* ---- sealing: XChaCha20-Poly1305-IETF under the master key ---- */

/* A sealed blob is: version byte 0x01 || 24-byte nonce || ciphertext || 16-byte tag. */
#define PS_SEALED_OVERHEAD (1 + 24 + 16)

/* Seals plaintext (n bytes) into out (cap >= n + PS_SEALED_OVERHEAD) with associated data
 * `key_id` NUL `purpose`; *out_len gets the length. Errors: PS_ERR_LIMIT (cap), PS_ERR_CRYPTO. */
enum ps_err ps_keys_seal(const struct ps_master_key *m, struct ps_str key_id, struct ps_str purpose,
                         const unsigned char *plain, size_t n, unsigned char *out, size_t cap,
                         size_t *out_len) PS_WUR;
/* Opens a sealed blob into plain (cap >= len - PS_SEALED_OVERHEAD); *plain_len gets the
 * length. Errors: PS_ERR_CRYPTO for a wrong master key, a different id/purpose, any tampered
 * byte or an unknown version; PS_ERR_LIMIT (cap). On error plain is wiped. */
enum ps_err ps_keys_unseal(const struct ps_master_key *m, struct ps_str key_id,
                           struct ps_str purpose, const unsigned char *sealed, size_t len,
                           unsigned char *plain, size_t cap, size_t *plain_len) PS_WUR;

/* ---- platform keys ---- */

enum ps_key_purpose {
    PS_KEY_DOCUMENTS, /* "document-signing", Ed25519: signs issued documents */
    PS_KEY_TLOG,      /* "tlog-signing", Ed25519: signs transparency log checkpoints */
    PS_KEY_QR,        /* "qr-signing", ES256 (ECDSA P-256, SHA-256): COSE for offline QR */
};
#define PS_KEY_PURPOSE_COUNT 3

enum ps_key_alg { PS_ALG_ED25519, PS_ALG_ES256 };

/* Stable names stored in keys.purpose / keys.algorithm ("Ed25519", "ES256"). */
const char *ps_key_purpose_name(enum ps_key_purpose p);
const char *ps_key_alg_name(enum ps_key_alg a);
enum ps_key_alg ps_key_purpose_alg(enum ps_key_purpose p);

/* The private key bytes that are sealed: the Ed25519 seed or the P-256 scalar. */
#define PS_KEY_PRIVATE_BYTES 32
#define PS_KEY_SEALED_MAX (PS_KEY_PRIVATE_BYTES + PS_SEALED_OVERHEAD)

/* A platform key as it is kept: the public half in clear, the private half sealed under the
 * master key with "id NUL purpose" as associated data (so a sealed blob cannot be moved to
 * another id or purpose). Plain data, caller storage; holds no secret in clear. */
struct ps_sealed_key {
    char id[37]; /* UUIDv7 text */
    enum ps_key_purpose purpose;
    unsigned char public_key[65]; /* Ed25519: 32 raw bytes; ES256: 0x04 || X || Y */
    size_t public_len;
    unsigned char sealed[PS_KEY_SEALED_MAX];
    size_t sealed_len;
};

/* An opened key. The private part lives in sodium_malloc memory and is wiped by
 * ps_key_free. Public fields are read-only for callers. Not thread-safe to free while in use;
 * signing with one key from several threads is safe. */
struct ps_key {
    char id[37]; /* UUIDv7 text */
    enum ps_key_purpose purpose;
    enum ps_key_alg alg;
    unsigned char public_key[65]; /* Ed25519: 32 raw bytes; ES256: 0x04 || X || Y */
    size_t public_len;
    unsigned char *secret_; /* private: Ed25519 64-byte libsodium secret key;
                               ES256 32-byte scalar */
    void *pkey_;            /* private: OpenSSL EVP_PKEY for ES256 */
};

/* Makes a new key pair for purpose (its algorithm: ps_key_purpose_alg) with a fresh UUIDv7 id
 * and seals its private key under m into *out; the private key is wiped. Errors:
 * PS_ERR_CRYPTO, PS_ERR_NOMEM. */
enum ps_err ps_keys_create_sealed(const struct ps_master_key *m, enum ps_key_purpose purpose,
                                  struct ps_sealed_key *out, struct ps_diag *diag) PS_WUR;

/* Opens sk under m: unseals the private key and checks that it belongs to sk's public key (a
 * row whose public key was swapped fails). Caller frees *out with ps_key_free. Errors:
 * PS_ERR_CRYPTO (wrong master key, tampered blob, other id or purpose, mismatched pair),
 * PS_ERR_NOMEM. */
enum ps_err ps_keys_open_sealed(const struct ps_master_key *m, const struct ps_sealed_key *sk,
                                struct ps_key **out, struct ps_diag *diag) PS_WUR;

/* Wipes and frees. NULL is a no-op. */
void ps_key_free(struct ps_key *k);

/* The libsodium Ed25519 secret key (64 bytes: seed || public key) of an opened Ed25519 key,
 * borrowed, in sodium_malloc memory, valid until ps_key_free; NULL for other algorithms. For
 * modules that build their own signer from it (the transparency log's note signer). */
const unsigned char *ps_key_ed25519_sk(const struct ps_key *k);

/* Signs msg. Ed25519: 64-byte signature. ES256: 64 bytes r || s (the COSE/JWS form, not
 * DER). sig needs 64 bytes; *sig_len gets the length. Errors: PS_ERR_CRYPTO. */
enum ps_err ps_key_sign(const struct ps_key *k, const unsigned char *msg, size_t n,
                        unsigned char sig[64], size_t *sig_len, struct ps_diag *diag) PS_WUR;

/* Verifies sig (the form ps_key_sign writes) over msg with a public key of alg (Ed25519: 32
 * raw bytes; ES256: 65 bytes 0x04 || X || Y). PS_OK when it verifies; PS_ERR_CRYPTO when it
 * does not or the key or signature is malformed (diag says which). */
enum ps_err ps_key_verify(enum ps_key_alg alg, const unsigned char *pub, size_t publen,
                          const unsigned char *msg, size_t n, const unsigned char *sig,
                          size_t siglen, struct ps_diag *diag) PS_WUR;

/* ---- the local admin token ---- */

#define PS_ADMIN_TOKEN_PREFIX "ps_admin_"
/* "ps_admin_" + 43 base64url characters (32 random bytes, no padding) + NUL */
#define PS_ADMIN_TOKEN_MAX 64

/* A new token: text into out (NUL-terminated) and the SHA-256 of that text into hash. */
void ps_admin_token_new(char out[PS_ADMIN_TOKEN_MAX], unsigned char hash[32]);
/* SHA-256 of the whole token text, prefix included: what the keystore keeps (as lower-case
 * hex) and what a bearer token is hashed to before a constant-time comparison. */
void ps_admin_token_hash(struct ps_str token, unsigned char hash[32]);
/* True when token hashes to hash (constant-time comparison of the digests). */
bool ps_admin_token_check(struct ps_str token, const unsigned char hash[32]);

#endif
