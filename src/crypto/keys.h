/* The platform's keys: the master key that seals every private key, the platform signing keys
 * (kept sealed in the `keys` table, opened into sodium_malloc memory only when needed) and the
 * local admin token (kept only as a SHA-256 hash in `meta`). */
#ifndef PS_CRYPTO_KEYS_H
#define PS_CRYPTO_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ps_store;
struct ps_tx;

#define PS_MASTER_KEY_BYTES 32
#define PS_MASTER_KEY_ENV "POCKETSTATE_MASTER_KEY"

/* The master key, in sodium_malloc memory (guard pages, no core dumps, read-only after
 * load). Owned by whoever loaded it; free with ps_keys_master_free. */
struct ps_master_key;

/* Parses 64 hex characters (either case; nothing else, not even a newline) into a new master
 * key. Errors: PS_ERR_INVALID (wrong length or a non-hex character; the message never
 * echoes the value), PS_ERR_NOMEM. */
enum ps_err ps_keys_master_from_hex(struct ps_str hex, struct ps_master_key **out,
                                    struct ps_diag *diag) PS_WUR;

/* Reads the master key file at path: 64 hex characters and an optional final newline. The
 * file must be a regular file that neither group nor others can access (mode & 077 == 0).
 * Errors: PS_ERR_NOTFOUND (no such file), PS_ERR_DENIED (group/world permissions or not a
 * regular file), PS_ERR_INVALID (bad contents), PS_ERR_IO. */
enum ps_err ps_keys_master_read_file(const char *path, struct ps_master_key **out,
                                     struct ps_diag *diag) PS_WUR;

/* Creates a new random master key and writes it to path (mode 0600, created exclusively and
 * fsynced, with its directory). Errors: PS_ERR_EXISTS when path exists, PS_ERR_IO. */
enum ps_err ps_keys_master_create_file(const char *path, struct ps_master_key **out,
                                       struct ps_diag *diag) PS_WUR;

/* The one policy: when env_value (normally getenv(PS_MASTER_KEY_ENV)) is non-NULL the key
 * comes from it (and *from_env is set); otherwise from the file at path, created first when
 * missing and `create` is true (*created is set then). from_env/created may be NULL. */
enum ps_err ps_keys_load_master(const char *path, const char *env_value, bool create,
                                struct ps_master_key **out, bool *from_env, bool *created,
                                struct ps_diag *diag) PS_WUR;

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

/* How key changes reach the transparency log (ARCHITECTURE rule 4) without this module
 * depending on it: fn runs inside the transaction that makes the change, once per change,
 * with an action ("key.create", "admin-token.set") and a resource naming what changed (never
 * a secret); an error from it rolls the change back. Set by the caller (the CLI records a
 * tlog change entry); NULL records nothing (tests). */
struct ps_keys_recorder {
    enum ps_err (*fn)(struct ps_tx *tx, const char *action, struct ps_str resource, void *ctx,
                      struct ps_diag *diag);
    void *ctx;
};

/* Generates, seals and inserts (through ps_store_write, one transaction) an active key for
 * every purpose that has none, each with its recorder call ("key.create", resource
 * "keys/<purpose>/<id>?alg=<alg>&public=<base64url public key>"). Idempotent: existing keys
 * are never replaced. *created (may be NULL) gets how many keys were made. Errors from the
 * store or the recorder, PS_ERR_CRYPTO, PS_ERR_NOMEM. */
enum ps_err ps_keys_generate_all(struct ps_store *store, const struct ps_master_key *m,
                                 const struct ps_keys_recorder *rec, int *created,
                                 struct ps_diag *diag) PS_WUR;

/* Opens the active key for purpose: reads it (ps_store_read), unseals it, and checks that the
 * private key matches the stored public key. Caller frees with ps_key_free.
 * Errors: PS_ERR_NOTFOUND (no active key), PS_ERR_CRYPTO (wrong master key or tampered row),
 * store errors. */
enum ps_err ps_keys_open(struct ps_store *store, const struct ps_master_key *m,
                         enum ps_key_purpose purpose, struct ps_key **out,
                         struct ps_diag *diag) PS_WUR;

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

/* ---- the local admin token ---- */

#define PS_ADMIN_TOKEN_PREFIX "ps_admin_"
/* "ps_admin_" + 43 base64url characters (32 random bytes, no padding) + NUL */
#define PS_ADMIN_TOKEN_MAX 64
#define PS_ADMIN_TOKEN_META_KEY "admin_token_sha256"

/* A new token: text into out (NUL-terminated) and the SHA-256 of that text into hash. */
void ps_admin_token_new(char out[PS_ADMIN_TOKEN_MAX], unsigned char hash[32]);
/* SHA-256 of the whole token text, prefix included: what `meta` holds (as lower-case hex)
 * and what a bearer token is hashed to before a constant-time comparison. */
void ps_admin_token_hash(struct ps_str token, unsigned char hash[32]);
/* True when token hashes to hash (constant-time comparison of the digests). */
bool ps_admin_token_check(struct ps_str token, const unsigned char hash[32]);

/* Inserts meta('admin_token_sha256', hex(hash)) through ps_store_write, with the recorder's
 * "admin-token.set" (resource "meta/admin_token_sha256") in the same transaction (rec may be
 * NULL). Errors: PS_ERR_EXISTS when a token hash is already stored, store errors. */
enum ps_err ps_admin_token_store(struct ps_store *store, const unsigned char hash[32],
                                 const struct ps_keys_recorder *rec,
                                 struct ps_diag *diag) PS_WUR;
/* Reads the stored hash. Errors: PS_ERR_NOTFOUND (never initialised), PS_ERR_INVALID
 * (corrupt value), store errors. */
enum ps_err ps_admin_token_load_hash(struct ps_store *store, unsigned char hash[32],
                                     struct ps_diag *diag) PS_WUR;

#endif
