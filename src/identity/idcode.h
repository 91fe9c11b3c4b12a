/* The stable failure codes of the identity protocol layers (WebAuthn ceremonies, HTTP Message
 * Signatures, Content-Digest) and the diagnostic that carries them. Every refusal has its own
 * code so that the edge can map each to its own problem `type` (docs/problems.md); the names
 * are the stable part, the numeric values are not. */
#ifndef PS_IDENTITY_IDCODE_H
#define PS_IDENTITY_IDCODE_H

#include "core/err.h"

enum ps_id_code {
    PS_ID_OK = 0,
    PS_ID_INTERNAL, /* "internal": out of memory or a bug; not the client's fault */

    /* WebAuthn (webauthn.h) */
    PS_ID_WA_MALFORMED,          /* "webauthn-malformed" */
    PS_ID_WA_LIMIT,              /* "webauthn-limit" */
    PS_ID_WA_BAD_TYPE,           /* "webauthn-bad-type" */
    PS_ID_WA_BAD_CHALLENGE,      /* "webauthn-bad-challenge" */
    PS_ID_WA_BAD_ORIGIN,         /* "webauthn-bad-origin" */
    PS_ID_WA_CROSS_ORIGIN,       /* "webauthn-cross-origin" */
    PS_ID_WA_BAD_RP,             /* "webauthn-bad-rp" */
    PS_ID_WA_USER_PRESENCE,      /* "webauthn-user-presence" */
    PS_ID_WA_USER_VERIFICATION,  /* "webauthn-user-verification" */
    PS_ID_WA_BAD_FLAGS,          /* "webauthn-bad-flags" */
    PS_ID_WA_NO_CREDENTIAL_DATA, /* "webauthn-no-credential-data" */
    PS_ID_WA_CREDENTIAL_ID,      /* "webauthn-credential-id" */
    PS_ID_WA_ALGORITHM,          /* "webauthn-algorithm" */
    PS_ID_WA_BAD_KEY,            /* "webauthn-bad-key" */
    PS_ID_WA_ATTESTATION,        /* "webauthn-attestation" */
    PS_ID_WA_ATTESTATION_X5C,    /* "webauthn-attestation-x5c" */
    PS_ID_WA_SIGNATURE_ENCODING, /* "webauthn-signature-encoding" */
    PS_ID_WA_BAD_SIGNATURE,      /* "webauthn-bad-signature" */
    PS_ID_WA_USER_HANDLE,        /* "webauthn-user-handle" */
    PS_ID_WA_BACKUP_ELIGIBILITY, /* "webauthn-backup-eligibility" */
    PS_ID_WA_SIGN_COUNT,         /* "webauthn-sign-count" */

    /* HTTP Message Signatures (httpsig.h) */
    PS_ID_HS_MISSING,           /* "httpsig-missing" */
    PS_ID_HS_MALFORMED,         /* "httpsig-malformed" */
    PS_ID_HS_LIMIT,             /* "httpsig-limit" */
    PS_ID_HS_AMBIGUOUS,         /* "httpsig-ambiguous" */
    PS_ID_HS_UNSUPPORTED,       /* "httpsig-unsupported" */
    PS_ID_HS_COMPONENT_MISSING, /* "httpsig-component-missing" */
    PS_ID_HS_COMPONENTS,        /* "httpsig-components" */
    PS_ID_HS_PARAMS,            /* "httpsig-params" */
    PS_ID_HS_STALE,             /* "httpsig-stale" */
    PS_ID_HS_EXPIRED,           /* "httpsig-expired" */
    PS_ID_HS_UNKNOWN_KEY,       /* "httpsig-unknown-key" */
    PS_ID_HS_ALGORITHM,         /* "httpsig-algorithm" */
    PS_ID_HS_BAD_SIGNATURE,     /* "httpsig-bad-signature" */

    /* Content-Digest (digest.h) */
    PS_ID_DG_MISSING,     /* "digest-missing" */
    PS_ID_DG_MALFORMED,   /* "digest-malformed" */
    PS_ID_DG_UNSUPPORTED, /* "digest-unsupported" */
    PS_ID_DG_MISMATCH,    /* "digest-mismatch" */

    PS_ID_CODE_COUNT
};

/* A code and a message for a human (never a secret, never a whole input). Caller-owned, usually
 * on the stack. d.code holds the enum ps_err class the function returned. */
struct ps_id_diag {
    enum ps_id_code code;
    struct ps_diag d;
};

/* Stable name ("webauthn-bad-challenge", ...); "unknown" for a value out of range. */
const char *ps_id_code_name(enum ps_id_code code);
/* The ps_err class a function returns with this code: PS_ERR_INVALID for malformed or
 * unsupported input, PS_ERR_LIMIT for an input over a limit, PS_ERR_DENIED for a well-formed
 * input that does not verify or does not meet the policy, PS_ERR_NOMEM for PS_ID_INTERNAL. */
enum ps_err ps_id_code_err(enum ps_id_code code);
/* One line saying when the code is given (the text docs/internals/identity-protocols.md
 * tabulates). Never NULL. */
const char *ps_id_code_text(enum ps_id_code code);

/* Fills diag (may be NULL) with code, its class and a formatted message; returns the class, so
 * that a function can `return ps_id_fail(diag, PS_ID_WA_BAD_RP, "...")`. */
enum ps_err ps_id_fail(struct ps_id_diag *diag, enum ps_id_code code, const char *fmt, ...)
    PS_PRINTF(3, 4);
/* Clears diag to PS_ID_OK. NULL is a no-op. */
void ps_id_diag_clear(struct ps_id_diag *diag);

#endif
