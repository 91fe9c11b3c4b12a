/* Where the platform's keys are kept: the master key (in a file of the data directory or in
 * the environment), the platform signing keys sealed under it in the `keys` table, and the
 * local admin token's SHA-256 in `meta`. The key material itself, and everything done with it,
 * is the crypto module's (crypto/keys.h); this module holds the files and the SQL. */
#ifndef PS_KEYSTORE_KEYSTORE_H
#define PS_KEYSTORE_KEYSTORE_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "crypto/keys.h"

struct ps_store;
struct ps_tx;

#define PS_MASTER_KEY_ENV "POCKETSTATE_MASTER_KEY"

/* ---- the master key ---- */

/* Reads the master key file at path: 64 hex characters and an optional final newline. The
 * file must be a regular file that neither group nor others can access (mode & 077 == 0).
 * Errors: PS_ERR_NOTFOUND (no such file), PS_ERR_DENIED (group/world permissions or not a
 * regular file), PS_ERR_INVALID (bad contents), PS_ERR_IO. */
enum ps_err ps_keystore_master_read_file(const char *path, struct ps_master_key **out,
                                         struct ps_diag *diag) PS_WUR;

/* Creates a new random master key and writes it to path (mode 0600, created exclusively and
 * fsynced, with its directory). Errors: PS_ERR_EXISTS when path exists, PS_ERR_IO. */
enum ps_err ps_keystore_master_create_file(const char *path, struct ps_master_key **out,
                                           struct ps_diag *diag) PS_WUR;

/* The one policy: when env_value (normally getenv(PS_MASTER_KEY_ENV)) is non-NULL the key
 * comes from it (and *from_env is set); otherwise from the file at path, created first when
 * missing and `create` is true (*created is set then). from_env/created may be NULL. */
enum ps_err ps_keystore_load_master(const char *path, const char *env_value, bool create,
                                    struct ps_master_key **out, bool *from_env, bool *created,
                                    struct ps_diag *diag) PS_WUR;

/* ---- platform keys (the `keys` table) ---- */

/* How key changes reach the transparency log (ARCHITECTURE rule 4) without this module
 * depending on it: fn runs inside the transaction that makes the change, once per change,
 * with an action ("key.create", "admin-token.set") and a resource naming what changed (never
 * a secret); an error from it rolls the change back. Set by the caller (the CLI records a
 * tlog change entry); NULL records nothing (tests). */
struct ps_keystore_recorder {
    enum ps_err (*fn)(struct ps_tx *tx, const char *action, struct ps_str resource, void *ctx,
                      struct ps_diag *diag);
    void *ctx;
};

/* Generates, seals (ps_keys_create_sealed) and inserts (through ps_store_write, one
 * transaction) an active key for every purpose that has none, each with its recorder call
 * ("key.create", resource "keys/<purpose>/<id>?alg=<alg>&public=<base64url public key>").
 * Idempotent: existing keys are never replaced. *created (may be NULL) gets how many keys were
 * made. Errors from the store or the recorder, PS_ERR_CRYPTO, PS_ERR_NOMEM. */
enum ps_err ps_keystore_generate_all(struct ps_store *store, const struct ps_master_key *m,
                                     const struct ps_keystore_recorder *rec, int *created,
                                     struct ps_diag *diag) PS_WUR;

/* Opens the active key for purpose: reads it (ps_store_read) and opens it
 * (ps_keys_open_sealed). Caller frees with ps_key_free. Errors: PS_ERR_NOTFOUND (no active
 * key), PS_ERR_CRYPTO (wrong master key or tampered row), store errors. */
enum ps_err ps_keystore_open(struct ps_store *store, const struct ps_master_key *m,
                             enum ps_key_purpose purpose, struct ps_key **out,
                             struct ps_diag *diag) PS_WUR;

/* ---- the local admin token's hash (`meta`) ---- */

#define PS_ADMIN_TOKEN_META_KEY "admin_token_sha256"

/* Inserts meta('admin_token_sha256', hex(hash)) through ps_store_write, with the recorder's
 * "admin-token.set" (resource "meta/admin_token_sha256") in the same transaction (rec may be
 * NULL). Errors: PS_ERR_EXISTS when a token hash is already stored, store errors. */
enum ps_err ps_keystore_admin_token_put(struct ps_store *store, const unsigned char hash[32],
                                        const struct ps_keystore_recorder *rec,
                                        struct ps_diag *diag) PS_WUR;
/* Reads the stored hash. Errors: PS_ERR_NOTFOUND (never initialised), PS_ERR_INVALID
 * (corrupt value), store errors. */
enum ps_err ps_keystore_admin_token_get(struct ps_store *store, unsigned char hash[32],
                                        struct ps_diag *diag) PS_WUR;

#endif
