/* Private to the WebAuthn files: the JSON member readers, the client-data and
 * authenticator-data checks both ceremonies share, and the signature check with a COSE_Key
 * through lib/verify. */
#ifndef PS_IDENTITY_WEBAUTHN_INT_H
#define PS_IDENTITY_WEBAUTHN_INT_H

#include "identity/webauthn.h"

#include <pocketstate/cose_key.h>

/* The parts of a RegistrationResponseJSON / AuthenticationResponseJSON both ceremonies read. */
struct wa_response {
    json_t *root, *response;
    struct ps_bytes raw_id;
    struct ps_bytes client_data;
};

/* Parses the JSON text, checks type "public-key", id = rawId (1..1023 bytes),
 * clientExtensionResults / authenticatorAttachment types, and decodes
 * response.clientDataJSON. */
enum ps_err wa_response_read(struct ps_arena *a, struct ps_str text, struct wa_response *r,
                             struct ps_id_diag *diag);

/* A string member (required or not: out->p NULL when absent and optional). */
enum ps_err wa_member_str(const json_t *obj, const char *key, bool required, struct ps_str *out,
                          struct ps_id_diag *diag);
/* A base64url member decoded with at most max bytes (out->p NULL when absent and optional). */
enum ps_err wa_member_b64(struct ps_arena *a, const json_t *obj, const char *key, size_t max,
                          bool required, struct ps_bytes *out, struct ps_id_diag *diag);

/* Parses and checks clientDataJSON (type, challenge, origin, crossOrigin, topOrigin), and
 * gives its SHA-256. */
enum ps_err wa_client_data_check(struct ps_arena *a, const struct ps_webauthn_expect *exp,
                                 struct ps_bytes json, const char *type, uint8_t hash[32],
                                 struct ps_id_diag *diag);

/* rpIdHash, UP, UV, and BS without BE. */
enum ps_err wa_auth_data_check(const struct ps_webauthn_auth_data *ad,
                               const struct ps_webauthn_expect *exp, struct ps_id_diag *diag);

/* Parses a COSE_Key with lib/verify (kty/crv/alg supported, alg present). *out: free with
 * psv_cose_key_free. */
enum ps_err wa_key_open(struct ps_bytes cose, psv_cose_key **out, int *alg,
                        struct ps_id_diag *diag);

/* Checks sig over auth_data || client_data_hash with key (alg; cose: the key's encoding, for
 * the RSA modulus length). */
enum ps_err wa_signature_check(struct ps_arena *a, const psv_cose_key *key, int alg,
                               struct ps_bytes cose, struct ps_bytes auth_data,
                               const uint8_t client_data_hash[32], struct ps_bytes sig,
                               struct ps_id_diag *diag);

#endif
