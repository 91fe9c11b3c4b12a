/* Demo mode only (`pocketstate demo`): a one-click sign-in as one of the demo people, so that
 * a visitor without a passkey can look around. Each demo person gets a "demo" passkey at start:
 * a real P-256 public key whose private half was never kept, so no WebAuthn ceremony can ever
 * use it; it exists so that demo sessions are bound to a passkey like every session (and end
 * when it is removed). The server refuses demo sign-ins unless it runs as `demo`. */
#ifndef PS_IDENTITY_DEMO_H
#define PS_IDENTITY_DEMO_H

#include "core/err.h"
#include "core/str.h"
#include "identity/session.h"

struct ps_tx;

#define PS_DEMO_PASSKEY_NAME "Demo sign-in (pocketstate demo)"

/* Makes sure the person rnokpp has an account with a demo passkey (creating both when not),
 * in tx. Errors: store and recording errors. */
enum ps_err ps_demo_passkey_ensure(struct ps_tx *tx, struct ps_str rnokpp,
                                   struct ps_diag *diag) PS_WUR;

/* Signs the person rnokpp in with their demo passkey: a session (token into token, *out),
 * recorded as "session.start" and "auth.demo-signin". PS_ERR_NOTFOUND when the person has no
 * demo passkey (not a demo person). */
enum ps_err ps_demo_signin(struct ps_tx *tx, struct ps_str rnokpp, struct ps_str label,
                           const struct ps_session_cfg *cfg, struct ps_arena *arena,
                           char token[PS_SESSION_TOKEN_LEN + 1], struct ps_session *out,
                           struct ps_diag *diag) PS_WUR;

#endif
