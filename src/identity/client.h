/* Agency systems (machine clients): an agency registry, a bank. Each has an id, the agency it
 * acts for, a public key (Ed25519, or ECDSA P-256) with which it signs every request (HTTP
 * Message Signatures, RFC 9421) and scopes. Managed by the local admin (CLI and API), each
 * change recorded. The nonces of signed requests are kept for the signature window, so a
 * replayed request fails on every node and after restarts. */
#ifndef PS_IDENTITY_CLIENT_H
#define PS_IDENTITY_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "policy/actor.h"

struct ps_tx;

#define PS_CLIENTS_MAX 1000   /* listed at once */
#define PS_CLIENT_ID_MIN 3
#define PS_CLIENT_ID_MAX 64   /* [a-z0-9-] */
#define PS_CLIENT_NAME_MAX 200
#define PS_NONCE_MAX 128
#define PS_SIGNATURE_WINDOW_MS (300 * 1000) /* created within +-300 s */

enum ps_client_alg { PS_CLIENT_ED25519, PS_CLIENT_P256 };

struct ps_client {
    struct ps_str id, agency, name;
    enum ps_client_alg alg;
    struct ps_str public_key; /* Ed25519: 32 bytes; P-256: 65 bytes 0x04 || X || Y */
    unsigned scopes;          /* PS_SCOPE_* */
    int64_t created_at_ms;
};

/* "ed25519" / "ecdsa-p256-sha256" (RFC 9421's algorithm names), and back. */
const char *ps_client_alg_name(enum ps_client_alg alg);
bool ps_client_alg_parse(struct ps_str name, enum ps_client_alg *out);
/* Scopes as text ("registry:read documents:verify") and back: PS_ERR_INVALID naming an
 * unknown scope. */
enum ps_err ps_client_scopes_parse(struct ps_str text, unsigned *out, struct ps_diag *diag) PS_WUR;
void ps_client_scopes_text(unsigned scopes, char *out, size_t cap);

/* Adds client c (id 3..64 of [a-z0-9-], a known agency, a key of the algorithm's size, at
 * least one scope), recording "client.add" by actor with reason. Errors: PS_ERR_INVALID,
 * PS_ERR_EXISTS (the id is taken, also by a removed client), store and recording errors. */
enum ps_err ps_client_add(struct ps_tx *tx, const struct ps_actor *actor,
                          const struct ps_client *c, struct ps_str reason,
                          struct ps_diag *diag) PS_WUR;
/* Removes the active client id, recording "client.remove". PS_ERR_NOTFOUND when none. */
enum ps_err ps_client_remove(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str id,
                             struct ps_str reason, struct ps_diag *diag) PS_WUR;
/* The active client id (strings in arena). PS_ERR_NOTFOUND when none. */
enum ps_err ps_client_get(struct ps_tx *tx, struct ps_str id, struct ps_arena *arena,
                          struct ps_client *out, struct ps_diag *diag) PS_WUR;
/* Active clients by id, at most cap. */
enum ps_err ps_clients_list(struct ps_tx *tx, struct ps_arena *arena, struct ps_client *out,
                            size_t cap, size_t *n, struct ps_diag *diag) PS_WUR;

/* Uses nonce for client id (a write): PS_ERR_DENIED "replayed" when it was used within the
 * window (the transaction stays usable: nothing failed in it); otherwise stores it. Nonces older than two windows are deleted on the way (a few
 * at a time). */
enum ps_err ps_client_nonce_use(struct ps_tx *tx, struct ps_str id, struct ps_str nonce,
                                struct ps_diag *diag) PS_WUR;

#endif
