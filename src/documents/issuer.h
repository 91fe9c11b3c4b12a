/* Issuers' signing keys: each agency that issues documents has its own keys (ES256 by default,
 * EdDSA per issuer), kept in issuer_keys sealed under the master key (crypto/keys.h
 * ps_keys_seal) with an X.509 certificate signed by the platform root. A key signs within a
 * window [not_before, not_after): rotation opens the new key's window and closes the old
 * one's at the same moment, `overlap` after the rotation, so that verifiers learn the new key
 * from the trust list before it signs anything, and the old key's documents stay valid until
 * they expire (the trust list keeps it: a document's iat must fall in its key's window). Every
 * key creation and window closing is a change entry of the log in its transaction.
 *
 * The keyring is every key unsealed in memory, immutable once loaded, shared read-only by
 * any number of threads; it answers "which key signs type T of agency A at time t" and
 * writes the trust list (docs/formats/trust-list.md). */
#ifndef PS_DOCUMENTS_ISSUER_H
#define PS_DOCUMENTS_ISSUER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "documents/signer.h"

struct ps_tx;
struct ps_actor;
struct ps_master_key;
struct ps_doc_soft_key;

#define PS_ISSUER_KID_LEN 8 /* the first 8 bytes of SHA-256 of the public key */
#define PS_ISSUER_TYPES_MAX 1024 /* bytes of the space-separated type list */
/* The default overlap of a rotation: longer than a trust list lives in a verifier's cache. */
#define PS_ISSUER_OVERLAP_DEFAULT_MS (25LL * 3600 * 1000)
/* How long a trust list may be cached by verifiers (its exp - iat). */
#define PS_TRUST_LIST_LIFETIME_S (24 * 3600)
#define PS_ISSUER_KEYS_MAX 256
/* How long after a key's window closes a server may still sign with it: the time a running
 * server takes to notice a rotation made elsewhere (it checks the keys' version at most this
 * often). The trust list publishes every closed window this much longer, so what was signed
 * in that time verifies. */
#define PS_ISSUER_RELOAD_MS 5000

/* The iss of what an agency signs: "ua.<agency>". */
enum ps_err ps_issuer_iss(const char *agency, char *out, size_t cap) PS_WUR;

/* A key as stored (no private part). Strings in the reader's arena. */
struct ps_issuer_key {
    char id[37];
    const char *agency, *agency_name;
    uint8_t kid[PS_ISSUER_KID_LEN];
    int alg;                 /* -7 ES256, -8 EdDSA */
    const char *types;       /* space-separated */
    int64_t created_ms, nbf_ms, naf_ms; /* naf_ms 0: open */
};

/* Creates a key for agency (alg -7 or -8) allowed to sign types (space-separated, 1 to
 * PS_ISSUER_TYPES_MAX bytes), signing from nbf_ms, in tx: generated, sealed under m,
 * certified by root (the platform root key, named "PocketState root"), inserted, and
 * recorded by actor ("issuer-key.create", resource "issuer-keys/<agency>/<kid hex>?alg=..
 * &types=..", reason). id_out (37 bytes, may be NULL) gets the key's id. Errors:
 * PS_ERR_INVALID (alg, types, an agency that does not exist), PS_ERR_CRYPTO, store errors. */
enum ps_err ps_issuer_key_create(struct ps_tx *tx, const struct ps_master_key *m,
                                 const struct ps_doc_soft_key *root, const struct ps_actor *actor,
                                 const char *agency, int alg, const char *types, int64_t nbf_ms,
                                 struct ps_str reason, char id_out[37],
                                 struct ps_diag *diag) PS_WUR;

/* Rotates agency's keys in tx: at t = now + overlap_ms every open window of the agency's keys
 * closes ("issuer-key.retire" each) and a new key (alg, types) starts (ps_issuer_key_create).
 * With overlap 0 the new key signs at once. Errors as ps_issuer_key_create. */
enum ps_err ps_issuer_rotate(struct ps_tx *tx, const struct ps_master_key *m,
                             const struct ps_doc_soft_key *root, const struct ps_actor *actor,
                             const char *agency, int alg, const char *types, int64_t overlap_ms,
                             struct ps_str reason, char id_out[37],
                             struct ps_diag *diag) PS_WUR;

/* Every key, oldest first (at most cap; PS_ERR_LIMIT beyond). */
enum ps_err ps_issuer_keys_list(struct ps_tx *tx, struct ps_arena *arena,
                                struct ps_issuer_key *out, size_t cap, size_t *n,
                                struct ps_diag *diag) PS_WUR;

/* A number that changes whenever a key is created or a window closed (for reloading). */
enum ps_err ps_issuer_keys_version(struct ps_tx *tx, int64_t *version,
                                   struct ps_diag *diag) PS_WUR;

/* ---- the keyring ---- */

struct ps_keyring;

/* Loads and unseals every key (PS_ERR_CRYPTO for a key that does not open under m: a wrong
 * master key or a tampered row). *version gets ps_issuer_keys_version's. Free with
 * ps_keyring_free (NULL is a no-op). */
enum ps_err ps_keyring_load(struct ps_tx *tx, const struct ps_master_key *m,
                            struct ps_keyring **out, struct ps_diag *diag) PS_WUR;
void ps_keyring_free(struct ps_keyring *kr);
int64_t ps_keyring_version(const struct ps_keyring *kr);

/* The key that signs agency's documents of type at at_ms (its window holds at_ms, its types
 * hold type; the latest to start wins), as a signer valid while kr lives. type NULL: any
 * (status lists). PS_ERR_NOTFOUND when none. */
enum ps_err ps_keyring_signer(const struct ps_keyring *kr, const char *agency, const char *type,
                              int64_t at_ms, struct ps_doc_signer *out) PS_WUR;

/* The trust list of every key, iat = now_s, exp = now_s + PS_TRUST_LIST_LIFETIME_S, signed by
 * root (whose public JWK goes into its header), appended to out. */
enum ps_err ps_keyring_trust_list(const struct ps_keyring *kr, const struct ps_doc_soft_key *root,
                                  int64_t now_s, struct ps_buf *out) PS_WUR;

/* Whether agency has a key whose window holds at_ms and whose types are exactly types (as a
 * set): what start-up checks before it creates or rotates. */
bool ps_keyring_covers(const struct ps_keyring *kr, const char *agency, const char *types,
                       int64_t at_ms);

#endif
