/* Test-side clients of the identity protocols, for the unit and HTTP tests, scripts, the
 * benchmark and agencies' reference: a software WebAuthn authenticator that keeps one
 * credential (ES256 or Ed25519) in a small file and answers creation / request options the
 * way a browser's credential.toJSON() would, and an RFC 9421 request signer with its key file.
 * Never part of the server (not installed). */
#ifndef PS_TESTS_AUTHN_TOOLS_H
#define PS_TESTS_AUTHN_TOOLS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/httpsig.h"

/* ---- the software authenticator ---- */

struct ps_softauthn {
    int alg;             /* PS_WEBAUTHN_ES256 or PS_WEBAUTHN_EDDSA */
    uint8_t secret[64];  /* ES256: 32-byte scalar; EdDSA: libsodium's 64-byte secret key */
    uint8_t pub[65];     /* ES256: 0x04 || X || Y; EdDSA: 32 bytes */
    bool has_credential; /* the fields below are set once a credential was created */
    uint8_t cred_id[32];
    uint8_t user_handle[64];
    size_t user_handle_len;
    char rp_id[256];
    uint32_t sign_count; /* incremented before every signature */
};

/* A new authenticator with a fresh key for alg (no credential yet). PS_ERR_INVALID for another
 * algorithm. */
enum ps_err ps_softauthn_init(struct ps_softauthn *sa, int alg) PS_WUR;
/* The key file: a JSON object {"alg", "secret", "credentialId", "userHandle", "rpId",
 * "signCount"} (binary members base64url). Save writes a new file next to path (mode 0600,
 * fsynced) and renames it over path. Errors: PS_ERR_IO, PS_ERR_INVALID (contents). */
enum ps_err ps_softauthn_load(const char *path, struct ps_softauthn *sa, struct ps_diag *diag) PS_WUR;
enum ps_err ps_softauthn_save(const char *path, const struct ps_softauthn *sa,
                              struct ps_diag *diag) PS_WUR;

/* Answers PublicKeyCredentialCreationOptionsJSON (or an object whose "publicKey" member is
 * one): makes a new credential (random 32-byte ID) for rp.id and user.id, flags UP | UV | AT,
 * attestation "none" (packed: "packed" self attestation), and appends the
 * RegistrationResponseJSON text to out. Refuses options whose pubKeyCredParams lack the key's
 * algorithm or whose excludeCredentials name this credential. */
enum ps_err ps_softauthn_create(struct ps_softauthn *sa, const json_t *options,
                                struct ps_str origin, bool packed, struct ps_buf *out,
                                struct ps_diag *diag) PS_WUR;
/* Answers PublicKeyCredentialRequestOptionsJSON (or {"publicKey": ...}) for the stored
 * credential (rpId must match; a non-empty allowCredentials must name it): appends the
 * AuthenticationResponseJSON text (with userHandle) to out. */
enum ps_err ps_softauthn_get(struct ps_softauthn *sa, const json_t *options, struct ps_str origin,
                             struct ps_buf *out, struct ps_diag *diag) PS_WUR;

/* ---- the RFC 9421 request signer ---- */

struct ps_sigclient_key {
    enum ps_httpsig_alg alg;
    uint8_t secret[64]; /* ed25519: libsodium's 64-byte secret key; P-256: 32-byte scalar */
    uint8_t pub[65];
    size_t pub_len;
    char keyid[128];
};

/* A fresh key. Errors: PS_ERR_INVALID (keyid empty or over 127 bytes, unknown alg). */
enum ps_err ps_sigclient_key_new(enum ps_httpsig_alg alg, const char *keyid,
                                 struct ps_sigclient_key *k) PS_WUR;
/* Key file {"alg": "ed25519" | "ecdsa-p256-sha256", "keyid", "secret", "public"} (base64url);
 * saved as ps_softauthn_save does. */
enum ps_err ps_sigclient_key_load(const char *path, struct ps_sigclient_key *k,
                                  struct ps_diag *diag) PS_WUR;
enum ps_err ps_sigclient_key_save(const char *path, const struct ps_sigclient_key *k,
                                  struct ps_diag *diag) PS_WUR;
/* The public part, {"keyid": ..., "alg": ..., "public": base64url}, appended to out. */
enum ps_err ps_sigclient_key_public_json(const struct ps_sigclient_key *k, struct ps_buf *out) PS_WUR;

struct ps_sigclient_request {
    struct ps_str method, url; /* url: the absolute target URI */
    struct ps_str body;        /* empty: no content */
    const struct ps_httpsig_field_line *headers; /* other header fields sent (and signable) */
    size_t nheaders;
    const char *const *components; /* NULL: @method @target-uri, plus content-digest with a body */
    size_t ncomponents;
    int64_t created;   /* Unix seconds */
    int64_t expires;   /* 0: none */
    struct ps_str nonce; /* PS_STR_NULL: none */
    struct ps_str tag;   /* PS_STR_NULL: none */
    struct ps_str label; /* PS_STR_NULL: "sig1" */
};

/* Signs req with k: fills content_digest (the Content-Digest value, sha-256, when there is a
 * body; left empty otherwise), sig_input and signature (the field values). */
enum ps_err ps_sigclient_sign(struct ps_arena *a, const struct ps_sigclient_key *k,
                              const struct ps_sigclient_request *req, struct ps_buf *content_digest,
                              struct ps_buf *sig_input, struct ps_buf *signature,
                              struct ps_diag *diag) PS_WUR;

#endif
