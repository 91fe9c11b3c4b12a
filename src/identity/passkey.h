/* Accounts and their passkeys. An account is a person from the population registry who has
 * enrolled: it has a random WebAuthn user handle and one or more passkeys (the public key
 * of each, its signature counter, backup flags, transports and a name the person chose).
 * Removing a passkey ends the sessions it made; the last one cannot be removed. */
#ifndef PS_IDENTITY_PASSKEY_H
#define PS_IDENTITY_PASSKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/challenge.h"
#include "policy/actor.h"

struct ps_tx;

#define PS_PASSKEYS_MAX 32          /* per person */
#define PS_PASSKEY_NAME_MAX 100
#define PS_CREDENTIAL_ID_MAX 1023
#define PS_TRANSPORTS_MAX 128

/* One passkey. Strings borrowed from whoever filled it (reads: the arena). */
struct ps_passkey {
    char id[37];                 /* ours (UUIDv7), what the API names */
    struct ps_str credential_id; /* the authenticator's, raw bytes */
    struct ps_str rnokpp;
    struct ps_str public_key;    /* COSE_Key bytes */
    int alg;                     /* COSE: -7 ES256, -8 EdDSA, -257 RS256 */
    int64_t sign_count;
    bool backup_eligible, backup_state;
    struct ps_str transports;    /* space-separated, as the browser reported */
    struct ps_str aaguid;        /* 16 bytes, or empty */
    struct ps_str name;
    int64_t created_at_ms, last_used_at_ms; /* last used: 0 when never */
};

/* The user handle of rnokpp's account (*exists true), or a fresh random one when there is
 * no account yet (*exists false; nothing stored). */
enum ps_err ps_account_handle(struct ps_tx *tx, struct ps_str rnokpp,
                              unsigned char handle[PS_USER_HANDLE_BYTES], bool *exists,
                              struct ps_diag *diag) PS_WUR;

/* The person's passkeys (not removed), oldest first; at most cap (*n the count). */
enum ps_err ps_passkeys_of(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                           struct ps_passkey *out, size_t cap, size_t *n,
                           struct ps_diag *diag) PS_WUR;

/* The passkey (not removed) with this credential id. PS_ERR_NOTFOUND when none. */
enum ps_err ps_passkey_find(struct ps_tx *tx, struct ps_str credential_id,
                            struct ps_arena *arena, struct ps_passkey *out,
                            struct ps_diag *diag) PS_WUR;

/* Stores a new passkey p for p->rnokpp (p->id is filled), creating the account with handle
 * when it has none, and records the change "passkey.add" by the person. Errors:
 * PS_ERR_EXISTS (the credential id is registered already, or the handle belongs to another
 * account), PS_ERR_LIMIT (PS_PASSKEYS_MAX reached), PS_ERR_INVALID, store errors. */
enum ps_err ps_passkey_add(struct ps_tx *tx, const unsigned char handle[PS_USER_HANDLE_BYTES],
                           struct ps_passkey *p, struct ps_diag *diag) PS_WUR;

/* After a verified sign-in: the new signature counter and the time of use. */
enum ps_err ps_passkey_used(struct ps_tx *tx, const char *id, int64_t sign_count,
                            struct ps_diag *diag) PS_WUR;

/* Renames the passkey id of the person rnokpp (1..PS_PASSKEY_NAME_MAX bytes of text),
 * recording "passkey.rename". PS_ERR_NOTFOUND when the person has no such passkey. */
enum ps_err ps_passkey_rename(struct ps_tx *tx, const struct ps_actor *actor,
                              struct ps_str rnokpp, struct ps_str id, struct ps_str name,
                              struct ps_diag *diag) PS_WUR;

/* Removes the passkey id of the person rnokpp and ends the sessions it made, recording
 * "passkey.remove" (which stands for those sessions' end too). PS_ERR_NOTFOUND when the person has no such passkey; PS_ERR_EXISTS when
 * it is their last one (a person must keep a way in). */
enum ps_err ps_passkey_remove(struct ps_tx *tx, const struct ps_actor *actor,
                              struct ps_str rnokpp, struct ps_str id,
                              struct ps_diag *diag) PS_WUR;

#endif
