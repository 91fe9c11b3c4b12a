/* Sessions: what a sign-in gives. An opaque token "ps_sess_" + 43 base64url characters (256
 * random bits), stored only as its SHA-256, bound to the passkey that signed in. It ends at
 * sign-out, when its passkey is removed, when the person ends it, after `idle_ms` without use
 * or `absolute_ms` after it began. Validating one is a read: the last-seen time is written at
 * most once a minute (ps_session_touch_due), never on every request. */
#ifndef PS_IDENTITY_SESSION_H
#define PS_IDENTITY_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/official.h"
#include "policy/actor.h"

struct ps_tx;

#define PS_SESSION_TOKEN_PREFIX "ps_sess_"
#define PS_SESSION_TOKEN_LEN (8 + 43)
#define PS_SESSION_LABEL_MAX 120
#define PS_SESSIONS_MAX 50 /* listed per person */
#define PS_SESSION_TOUCH_MS 60000
#define PS_SESSION_IDLE_DEFAULT_MS (15LL * 60 * 1000)
#define PS_SESSION_ABSOLUTE_DEFAULT_MS (12LL * 3600 * 1000)

struct ps_session_cfg {
    int64_t idle_ms;     /* default PS_SESSION_IDLE_DEFAULT_MS */
    int64_t absolute_ms; /* default PS_SESSION_ABSOLUTE_DEFAULT_MS */
};

/* A session as read. Strings in the arena (or borrowed from the creator). */
struct ps_session {
    char id[37];
    struct ps_str rnokpp, passkey_id, label;
    int64_t created_at_ms, last_seen_ms, expires_at_ms; /* expires: the absolute limit */
    int64_t idle_expires_at_ms;                         /* last seen + idle */
    struct ps_role roles[PS_ROLES_MAX];                 /* the person's active roles */
    size_t nroles;
};

/* Creates a session for rnokpp signed in with passkey_id, in tx: a new token into token
 * (NUL-terminated; the only copy: hand it to the client, then wipe), its hash stored, and the
 * change "session.start" recorded by the person. label: the device as its User-Agent names
 * it (cut to PS_SESSION_LABEL_MAX bytes). *out filled (no roles). Errors: store, recording. */
enum ps_err ps_session_create(struct ps_tx *tx, struct ps_str rnokpp, const char *passkey_id,
                              struct ps_str label, const struct ps_session_cfg *cfg,
                              char token[PS_SESSION_TOKEN_LEN + 1], struct ps_session *out,
                              struct ps_diag *diag) PS_WUR;

/* The live session of token, with the person's roles, in a read transaction. PS_ERR_DENIED
 * (with why in diag) when the token is malformed, unknown, ended, idle too long or past its
 * absolute limit. */
enum ps_err ps_session_find(struct ps_tx *tx, struct ps_str token, const struct ps_session_cfg *cfg,
                            struct ps_arena *arena, struct ps_session *out,
                            struct ps_diag *diag) PS_WUR;

/* True when s was last seen long enough ago that its last-seen time should be written. */
bool ps_session_touch_due(const struct ps_session *s, int64_t now_ms);
/* Writes last seen = now for the live session id (a write job of its own). */
enum ps_err ps_session_touch(struct ps_tx *tx, const char *id, struct ps_diag *diag) PS_WUR;

/* The person's live sessions, newest first, at most cap (no roles). */
enum ps_err ps_sessions_of(struct ps_tx *tx, struct ps_str rnokpp,
                           const struct ps_session_cfg *cfg, struct ps_arena *arena,
                           struct ps_session *out, size_t cap, size_t *n,
                           struct ps_diag *diag) PS_WUR;

/* Ends the live session id of the person rnokpp, why being "signout" or "removed", recording
 * "session.end" by actor. PS_ERR_NOTFOUND when the person has no such live session. */
enum ps_err ps_session_end(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                           struct ps_str id, const char *why, struct ps_diag *diag) PS_WUR;

/* Ends every live session made with passkey_id, as part of the passkey's removal (whose
 * "passkey.remove" change entry covers them: ps_passkey_remove). */
enum ps_err ps_sessions_end_for_passkey(struct ps_tx *tx, struct ps_str passkey_id,
                                        struct ps_diag *diag) PS_WUR;

#endif
