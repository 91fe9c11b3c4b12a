/* The passkey ceremonies of the platform, each step one transaction: enrolment (a person
 * proves who they are with an activation code, then registers a passkey and gets a session)
 * and sign-in (a discoverable passkey's assertion gives a session). They tie the pure
 * WebAuthn verification (webauthn.h) to the stored state: challenges (single use, 5 minutes),
 * activation codes, accounts, passkeys, sessions, and the log's change entries.
 *
 * A refusal after the ceremony's challenge was taken, or after an activation code took a
 * wrong try, is a committed outcome (PS_OK with `refused` set): the challenge stays used, the
 * try stays counted, and the failure is recorded ("auth.enrol.refuse" / "auth.signin.refuse",
 * actor the platform's authentication service, subject the account when known, reason the
 * failure code's name). */
#ifndef PS_IDENTITY_CEREMONY_H
#define PS_IDENTITY_CEREMONY_H

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/idcode.h"
#include "identity/rp.h"
#include "identity/session.h"
#include "registries/date.h"

struct ps_tx;

/* What the ceremonies need from the platform. Borrowed. */
struct ps_ceremony_cfg {
    const struct ps_rp *rp;
    const struct ps_session_cfg *sessions;
    const unsigned char *activation_key; /* PS_IDENTITY_KEY_BYTES */
};

/* Why a ceremony was refused. kind names the problem; for PS_CR_PROTOCOL, id.code is the
 * WebAuthn failure (idcode.h) and its name the problem type. */
enum ps_ceremony_refusal {
    PS_CR_NONE = 0,
    PS_CR_ACTIVATION,        /* "activation-invalid": rnokpp, birth date or code do not match */
    PS_CR_CHALLENGE,         /* "challenge-unknown": never issued, used, or for the other step */
    PS_CR_CHALLENGE_EXPIRED, /* "challenge-expired" */
    PS_CR_CREDENTIAL,        /* "credential-unknown": no such passkey (removed, or never) */
    PS_CR_PROTOCOL,          /* the response does not verify: id.code says how */
};

struct ps_ceremony_refused {
    enum ps_ceremony_refusal kind;
    struct ps_id_diag id; /* the message for every kind; the code for PS_CR_PROTOCOL */
};

/* The problem type slug of a refusal ("activation-invalid", "webauthn-bad-origin", ...). */
const char *ps_ceremony_refusal_name(const struct ps_ceremony_refused *r);

/* A session the ceremony made: the token (the only copy), when it ends, whose it is. */
struct ps_ceremony_session {
    char token[PS_SESSION_TOKEN_LEN + 1];
    struct ps_session session;
};

/* Enrolment, step 1: checks rnokpp, birth and the activation code (a mismatch is a committed
 * refusal PS_CR_ACTIVATION that counts a wrong try), then stores an enrolment challenge bound
 * to the person, the code and the account's user handle (a new random one for a first
 * passkey) and builds PublicKeyCredentialCreationOptionsJSON (*options, owned by arena;
 * excludeCredentials: the person's passkeys). */
enum ps_err ps_enrol_start(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                           struct ps_arena *arena, struct ps_str rnokpp, struct ps_date birth,
                           struct ps_str code, json_t **options,
                           struct ps_ceremony_refused *refused, struct ps_diag *diag) PS_WUR;

/* Enrolment, step 2: the RegistrationResponseJSON. Takes the challenge it answers, uses the
 * activation code, verifies the registration (origin, RP ID, UP, UV, algorithm, attestation
 * none or packed self), stores the passkey (named after the device label) and starts a
 * session (*out). Refusals: PS_CR_CHALLENGE, PS_CR_CHALLENGE_EXPIRED, PS_CR_ACTIVATION (the
 * code was used or died meanwhile), PS_CR_PROTOCOL. Errors: store errors; PS_ERR_EXISTS when
 * the credential is registered already. */
enum ps_err ps_enrol_finish(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                            struct ps_arena *arena, struct ps_str response, struct ps_str label,
                            struct ps_ceremony_session *out, struct ps_ceremony_refused *refused,
                            struct ps_diag *diag) PS_WUR;

/* Sign-in, step 1: stores a sign-in challenge and builds PublicKeyCredentialRequestOptionsJSON
 * for discoverable credentials (*options, owned by arena). */
enum ps_err ps_signin_start(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                            struct ps_arena *arena, json_t **options,
                            struct ps_diag *diag) PS_WUR;

/* Sign-in, step 2: the AuthenticationResponseJSON. Takes its challenge, finds the passkey,
 * verifies the assertion against it (user handle, origin, RP ID, UP, UV, signature, and the
 * counter: a non-zero one that does not increase is refused as PS_CR_PROTOCOL
 * "webauthn-sign-count" and recorded), updates the counter and starts a session (*out). */
enum ps_err ps_signin_finish(struct ps_tx *tx, const struct ps_ceremony_cfg *cfg,
                             struct ps_arena *arena, struct ps_str response, struct ps_str label,
                             struct ps_ceremony_session *out, struct ps_ceremony_refused *refused,
                             struct ps_diag *diag) PS_WUR;

#endif
