/* WebAuthn Level 3 relying-party ceremonies, pure: the options a browser's
 * PublicKeyCredential.parseCreationOptionsFromJSON() / parseRequestOptionsFromJSON() take, and
 * the verification of what credential.toJSON() gives back (section 7.1 registration, section
 * 7.2 authentication) against expected values the caller holds (challenge, origins, RP ID, the
 * stored credential). No store, no HTTP, no clock, no randomness: the caller draws challenges
 * and user handles, stores challenges, credentials and counters, and maps every failure code
 * (idcode.h, PS_ID_WA_*) to its problem type. Credential public keys are COSE_Keys parsed and
 * used through lib/verify (pocketstate/cose_key.h). Thread-safe; results are owned by the
 * caller's arena. */
#ifndef PS_IDENTITY_WEBAUTHN_H
#define PS_IDENTITY_WEBAUTHN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/b64.h"
#include "identity/idcode.h"

/* COSE algorithms a credential may use (IANA COSE Algorithms). */
#define PS_WEBAUTHN_ES256 (-7)
#define PS_WEBAUTHN_EDDSA (-8)
#define PS_WEBAUTHN_RS256 (-257)

/* Limits (each has a test). */
#define PS_WEBAUTHN_JSON_MAX 65536        /* a whole RegistrationResponseJSON / AuthenticationResponseJSON */
#define PS_WEBAUTHN_JSON_DEPTH 8
#define PS_WEBAUTHN_CLIENT_DATA_MAX 4096  /* decoded clientDataJSON */
#define PS_WEBAUTHN_ATT_OBJ_MAX 32768     /* decoded attestationObject */
#define PS_WEBAUTHN_AUTH_DATA_MAX 16384   /* decoded authenticatorData */
#define PS_WEBAUTHN_SIG_MAX 1024          /* decoded signature (RSA-4096 is 512) */
#define PS_WEBAUTHN_CRED_ID_MAX 1023      /* section 7.1 step 24 */
#define PS_WEBAUTHN_USER_HANDLE_MAX 64
#define PS_WEBAUTHN_CHALLENGE_MIN 16
#define PS_WEBAUTHN_CHALLENGE_MAX 128
#define PS_WEBAUTHN_CBOR_DEPTH 8
#define PS_WEBAUTHN_CBOR_ITEMS 512
#define PS_WEBAUTHN_MAX_TRANSPORTS 8

/* Authenticator data flags (section 6.1). */
#define PS_WEBAUTHN_FLAG_UP 0x01
#define PS_WEBAUTHN_FLAG_UV 0x04
#define PS_WEBAUTHN_FLAG_BE 0x08
#define PS_WEBAUTHN_FLAG_BS 0x10
#define PS_WEBAUTHN_FLAG_AT 0x40
#define PS_WEBAUTHN_FLAG_ED 0x80

/* Transports, as a bit set (unknown names are ignored, as clients must). */
enum {
    PS_WEBAUTHN_USB = 1u << 0,        /* "usb" */
    PS_WEBAUTHN_NFC = 1u << 1,        /* "nfc" */
    PS_WEBAUTHN_BLE = 1u << 2,        /* "ble" */
    PS_WEBAUTHN_SMART_CARD = 1u << 3, /* "smart-card" */
    PS_WEBAUTHN_HYBRID = 1u << 4,     /* "hybrid" */
    PS_WEBAUTHN_INTERNAL = 1u << 5,   /* "internal" */
};
/* The name of one transport bit; NULL for anything else. */
const char *ps_webauthn_transport_name(unsigned bit);
/* The bit of a transport name; 0 when unknown. */
unsigned ps_webauthn_transport_bit(struct ps_str name);
/* Appends the names of the set's transports, space-separated, in bit order ("usb hybrid"). */
enum ps_err ps_webauthn_transports_format(unsigned set, struct ps_buf *out) PS_WUR;

/* A credential named in excludeCredentials. */
struct ps_webauthn_cred_ref {
    struct ps_bytes id;  /* 1..1023 bytes */
    unsigned transports; /* bit set; 0 omits the member */
};

/* ---- options ---- */

struct ps_webauthn_creation {
    struct ps_str rp_id, rp_name;
    struct ps_bytes user_handle;  /* 1..64 random bytes (32 recommended), never personal data */
    struct ps_str user_name, user_display_name;
    struct ps_bytes challenge;    /* 16..128 random bytes (32 recommended) */
    uint32_t timeout_ms;          /* 0 takes 300000 */
    const struct ps_webauthn_cred_ref *exclude;
    size_t nexclude;
    const int *algs;              /* pubKeyCredParams in preference order; NULL takes */
    size_t nalgs;                 /* ES256, EdDSA, RS256 */
};

/* PublicKeyCredentialCreationOptionsJSON: rp {id, name}, user {id, name, displayName},
 * challenge, pubKeyCredParams, timeout, excludeCredentials, authenticatorSelection
 * {residentKey "required", requireResidentKey true, userVerification "required"},
 * attestation "none" (binary members base64url). *out is owned by the arena (released with
 * it). Errors: PS_ERR_INVALID (a length or algorithm out of range, empty names; diag says
 * which), PS_ERR_NOMEM. */
enum ps_err ps_webauthn_creation_options(struct ps_arena *a, const struct ps_webauthn_creation *c,
                                         json_t **out, struct ps_diag *diag) PS_WUR;

struct ps_webauthn_request {
    struct ps_str rp_id;
    struct ps_bytes challenge; /* 16..128 random bytes (32 recommended) */
    uint32_t timeout_ms;       /* 0 takes 300000 */
};

/* PublicKeyCredentialRequestOptionsJSON for discoverable credentials: challenge, rpId,
 * timeout, userVerification "required", allowCredentials []. As above. */
enum ps_err ps_webauthn_request_options(struct ps_arena *a, const struct ps_webauthn_request *r,
                                        json_t **out, struct ps_diag *diag) PS_WUR;

/* ---- what the relying party expects ---- */

struct ps_webauthn_expect {
    struct ps_str rp_id;              /* its SHA-256 must be the authenticator data's rpIdHash */
    const struct ps_str *origins;     /* allowed clientDataJSON origins, exact match */
    size_t norigins;                  /* ("https://id.example.gov", "android:apk-key-hash:...") */
    struct ps_bytes challenge;        /* the challenge this ceremony issued */
    bool allow_cross_origin;          /* accept crossOrigin true / a topOrigin at all */
    const struct ps_str *top_origins; /* with allow_cross_origin: allowed topOrigin values */
    size_t ntop_origins;
    const int *algs;                  /* registration: allowed algorithms; NULL takes */
    size_t nalgs;                     /* ES256, EdDSA, RS256 */
    /* false (the platform's ceremonies): the UV flag is required, as the options ask. true
     * only where user verification is not required (the published test vectors) */
    bool user_verification_optional;
};

/* The challenge a RegistrationResponseJSON or AuthenticationResponseJSON claims to answer,
 * decoded (16..128 bytes), read *without verifying anything else*: for looking up the stored
 * ceremony it belongs to (which is then passed to ps_webauthn_register /
 * ps_webauthn_assertion_verify as exp->challenge). Codes: PS_ID_WA_MALFORMED, PS_ID_WA_LIMIT,
 * PS_ID_WA_BAD_TYPE, PS_ID_WA_CREDENTIAL_ID (as the ceremonies' first steps),
 * PS_ID_WA_BAD_CHALLENGE (not base64url of 16..128 bytes), PS_ID_INTERNAL. */
enum ps_err ps_webauthn_challenge_of(struct ps_arena *a, struct ps_str response_json,
                                     struct ps_bytes *challenge, struct ps_id_diag *diag) PS_WUR;

/* ---- registration (section 7.1) ---- */

enum ps_webauthn_attestation {
    PS_WEBAUTHN_ATTESTATION_NONE = 1, /* fmt "none" */
    PS_WEBAUTHN_ATTESTATION_SELF = 2, /* fmt "packed" without x5c, verified with the key */
};

/* The credential record to store (section 7.1 step 26). Byte strings are owned by the arena. */
struct ps_webauthn_credential {
    struct ps_bytes id;         /* the credential ID (rawId), 1..1023 bytes */
    struct ps_bytes public_key; /* the COSE_Key exactly as in the authenticator data */
    int alg;                    /* PS_WEBAUTHN_ES256 / _EDDSA / _RS256 */
    uint32_t sign_count;
    bool uv, be, bs;            /* flags at registration (uvInitialized, backupEligible, backupState) */
    unsigned transports;        /* from response.transports, bit set */
    uint8_t aaguid[16];
    enum ps_webauthn_attestation attestation;
};

/* Verifies a RegistrationResponseJSON (response_json, at most PS_WEBAUTHN_JSON_MAX bytes) in
 * the order of section 7.1: the JSON and its members; type "public-key"; clientDataJSON (type
 * "webauthn.create", challenge, origin, crossOrigin / topOrigin); the attestation object; the
 * rpIdHash; UP; UV (unless exp->user_verification_optional); BS without BE; attested
 * credential data; id = rawId = the credential ID
 * (<= 1023 bytes); the COSE_Key and its algorithm (one of exp->algs); response.
 * publicKeyAlgorithm and response.authenticatorData, when present, agreeing; the attestation
 * statement: "none" with an empty statement, or "packed" self attestation (alg equal to the
 * credential's, signature over authData || SHA-256(clientDataJSON) with the credential key).
 * Packed attestation with x5c is refused (PS_ID_WA_ATTESTATION_X5C). The caller then checks
 * that the credential ID is not registered yet and stores *out. Codes: PS_ID_WA_*;
 * PS_ID_INTERNAL with PS_ERR_NOMEM. */
enum ps_err ps_webauthn_register(struct ps_arena *a, const struct ps_webauthn_expect *exp,
                                 struct ps_str response_json, struct ps_webauthn_credential *out,
                                 struct ps_id_diag *diag) PS_WUR;

/* ---- authentication (section 7.2) ---- */

/* A parsed AuthenticationResponseJSON: the caller looks the credential up by credential_id,
 * then calls ps_webauthn_assertion_verify. Owned by the arena. */
struct ps_webauthn_assertion {
    struct ps_bytes credential_id; /* rawId (= id) */
    struct ps_bytes user_handle;   /* len 0 when the response carried none */
    struct ps_bytes client_data, auth_data, signature;
};

/* Parses the JSON and its base64url members (limits as above; type "public-key"; id = rawId).
 * Codes: PS_ID_WA_MALFORMED, PS_ID_WA_LIMIT, PS_ID_WA_BAD_TYPE, PS_ID_WA_CREDENTIAL_ID,
 * PS_ID_INTERNAL. */
enum ps_err ps_webauthn_assertion_parse(struct ps_arena *a, struct ps_str response_json,
                                        struct ps_webauthn_assertion *out,
                                        struct ps_id_diag *diag) PS_WUR;

/* The stored credential record the assertion is checked against. */
struct ps_webauthn_stored {
    struct ps_bytes public_key;  /* COSE_Key bytes from registration */
    int alg;                     /* its algorithm, as stored */
    uint32_t sign_count;         /* the stored counter */
    bool backup_eligible;        /* BE at registration */
    struct ps_bytes user_handle; /* the account's user handle */
};

/* What to update in the record after success (section 7.2 step 25). */
struct ps_webauthn_auth {
    uint32_t sign_count;
    bool uv, be, bs;
};

/* Verifies a parsed assertion in the order of section 7.2: the user handle (present, equal to
 * the account's: discoverable credentials), clientDataJSON (type "webauthn.get", challenge,
 * origin, crossOrigin / topOrigin), the authenticator data (rpIdHash, UP, UV, BS without BE,
 * BE as at registration), the signature over authData || SHA-256(clientDataJSON) with the
 * stored key (ES256: strict DER; EdDSA: 64 bytes; RS256: PKCS#1 v1.5, modulus-sized), and the
 * signature counter: when either counter is non-zero the new one must be greater
 * (PS_ID_WA_SIGN_COUNT otherwise, so the caller can record a possibly cloned authenticator;
 * *out is filled even then). Codes: PS_ID_WA_*; PS_ID_INTERNAL. */
enum ps_err ps_webauthn_assertion_verify(struct ps_arena *a, const struct ps_webauthn_expect *exp,
                                         const struct ps_webauthn_assertion *as,
                                         const struct ps_webauthn_stored *cred,
                                         struct ps_webauthn_auth *out,
                                         struct ps_id_diag *diag) PS_WUR;

/* ---- the byte layouts, exposed for the tests, the fuzz targets and the soft authenticator ---- */

/* Authenticator data (section 6.1): borrowed slices of the input. */
struct ps_webauthn_auth_data {
    const uint8_t *rp_id_hash; /* 32 bytes */
    uint8_t flags;
    uint32_t sign_count;
    bool has_credential;       /* AT: the next four are set */
    const uint8_t *aaguid;     /* 16 bytes */
    struct ps_bytes credential_id;
    struct ps_bytes public_key; /* the COSE_Key's encoding (its extent; not yet parsed) */
    struct ps_bytes extensions; /* ED: the extensions map's encoding; len 0 otherwise */
};

/* Splits authenticator data: 37 fixed bytes, then attested credential data when AT is set
 * (credential ID length <= 1023, a CBOR map as public key), then an extensions map when ED is
 * set, and nothing else. Codes: PS_ID_WA_MALFORMED, PS_ID_WA_LIMIT (size, CBOR depth/items),
 * PS_ID_WA_CREDENTIAL_ID (ID over 1023 bytes). */
enum ps_err ps_webauthn_auth_data_parse(struct ps_bytes data, struct ps_webauthn_auth_data *out,
                                        struct ps_id_diag *diag) PS_WUR;

/* The collected client data (section 5.8.1) of a clientDataJSON: strings are borrowed from
 * the arena-owned parse. */
struct ps_webauthn_client_data {
    struct ps_str type, challenge, origin, top_origin; /* top_origin.p NULL when absent */
    bool cross_origin;
};

/* Parses clientDataJSON bytes (a leading UTF-8 BOM is dropped; at most
 * PS_WEBAUTHN_CLIENT_DATA_MAX bytes, depth 4): an object with string type, challenge and origin,
 * an optional boolean crossOrigin and string topOrigin. Codes: PS_ID_WA_MALFORMED,
 * PS_ID_WA_LIMIT, PS_ID_INTERNAL. */
enum ps_err ps_webauthn_client_data_parse(struct ps_arena *a, struct ps_bytes json,
                                          struct ps_webauthn_client_data *out,
                                          struct ps_id_diag *diag) PS_WUR;

#endif
