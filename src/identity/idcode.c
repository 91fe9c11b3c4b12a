/* Names, classes and descriptions of the identity protocol failure codes: one table, so that
 * the name an edge sends, the ps_err a function returns and the documented meaning never
 * drift apart. */
#include "core/str.h"
#include "identity/idcode.h"

#include <stdarg.h>
#include <stdio.h>

struct code_info {
    const char *name;
    enum ps_err err;
    const char *text;
};

#define I PS_ERR_INVALID
#define L PS_ERR_LIMIT
#define D PS_ERR_DENIED

static const struct code_info codes[PS_ID_CODE_COUNT] = {
    [PS_ID_OK] = {"ok", PS_OK, "verified"},
    [PS_ID_INTERNAL] = {"internal", PS_ERR_NOMEM, "out of memory or a bug; not the client's fault"},

    [PS_ID_WA_MALFORMED] = {"webauthn-malformed", I,
                            "the response is not the JSON, base64url, CBOR or authenticator-data "
                            "structure WebAuthn defines, or a member is missing or of the wrong type"},
    [PS_ID_WA_LIMIT] = {"webauthn-limit", L,
                        "an input is over a size, depth or count limit (response JSON, "
                        "clientDataJSON, attestation object, a base64url member)"},
    [PS_ID_WA_BAD_TYPE] = {"webauthn-bad-type", I,
                           "credential type is not \"public-key\", or clientDataJSON type is not "
                           "\"webauthn.create\" (registration) / \"webauthn.get\" (authentication)"},
    [PS_ID_WA_BAD_CHALLENGE] = {"webauthn-bad-challenge", D,
                                "clientDataJSON challenge is not the challenge this ceremony issued"},
    [PS_ID_WA_BAD_ORIGIN] = {"webauthn-bad-origin", D,
                             "clientDataJSON origin is not one of the allowed origins (exact match)"},
    [PS_ID_WA_CROSS_ORIGIN] = {"webauthn-cross-origin", D,
                               "crossOrigin is true or topOrigin is present, and the relying party "
                               "does not allow that embedding (or topOrigin is not allowed)"},
    [PS_ID_WA_BAD_RP] = {"webauthn-bad-rp", D,
                         "authenticator data rpIdHash is not SHA-256 of the expected RP ID"},
    [PS_ID_WA_USER_PRESENCE] = {"webauthn-user-presence", D, "the UP (user present) flag is not set"},
    [PS_ID_WA_USER_VERIFICATION] = {"webauthn-user-verification", D,
                                    "the UV (user verified) flag is not set"},
    [PS_ID_WA_BAD_FLAGS] = {"webauthn-bad-flags", I,
                            "authenticator data flags are inconsistent (BS set without BE)"},
    [PS_ID_WA_NO_CREDENTIAL_DATA] = {"webauthn-no-credential-data", I,
                                     "registration authenticator data carries no attested "
                                     "credential data (AT flag clear)"},
    [PS_ID_WA_CREDENTIAL_ID] = {"webauthn-credential-id", I,
                                "id, rawId and the credential ID in the authenticator data differ, "
                                "or the credential ID is longer than 1023 bytes"},
    [PS_ID_WA_ALGORITHM] = {"webauthn-algorithm", D,
                            "the credential's algorithm is not one of those allowed (ES256, EdDSA, "
                            "RS256 unless narrowed), or differs from the stored one"},
    [PS_ID_WA_BAD_KEY] = {"webauthn-bad-key", I,
                          "the credential public key is not a valid COSE_Key for its algorithm "
                          "(wrong curve, point not on the curve, RSA modulus too small ...)"},
    [PS_ID_WA_ATTESTATION] = {"webauthn-attestation", I,
                              "attestation format is neither \"none\" nor \"packed\", \"none\" "
                              "with a non-empty statement, or a packed statement that is malformed "
                              "or names another algorithm than the credential's"},
    [PS_ID_WA_ATTESTATION_X5C] = {"webauthn-attestation-x5c", D,
                                  "packed attestation with a certificate chain (x5c): not accepted, "
                                  "the platform asks for attestation \"none\""},
    [PS_ID_WA_SIGNATURE_ENCODING] = {"webauthn-signature-encoding", I,
                                     "the signature is not encoded as its algorithm requires "
                                     "(ES256: strict DER; EdDSA: 64 bytes; RS256: modulus length)"},
    [PS_ID_WA_BAD_SIGNATURE] = {"webauthn-bad-signature", D,
                                "the assertion or self-attestation signature over authenticatorData "
                                "|| SHA-256(clientDataJSON) does not verify"},
    [PS_ID_WA_USER_HANDLE] = {"webauthn-user-handle", D,
                              "the assertion carries no user handle, or another than the "
                              "credential's account"},
    [PS_ID_WA_BACKUP_ELIGIBILITY] = {"webauthn-backup-eligibility", D,
                                     "the BE flag differs from the one recorded at registration"},
    [PS_ID_WA_SIGN_COUNT] = {"webauthn-sign-count", D,
                             "a non-zero signature counter did not increase: the authenticator "
                             "may be cloned (the caller records the event)"},

    [PS_ID_HS_MISSING] = {"httpsig-missing", D,
                          "no Signature-Input / Signature fields, or no signature with the "
                          "requested label or tag"},
    [PS_ID_HS_MALFORMED] = {"httpsig-malformed", I,
                            "Signature-Input or Signature is not a valid structured-field "
                            "dictionary, labels differ between them, a covered component is "
                            "repeated, or a signature parameter has the wrong type"},
    [PS_ID_HS_LIMIT] = {"httpsig-limit", L,
                        "a field, the number of signatures or components, or the signature base "
                        "is over its limit"},
    [PS_ID_HS_AMBIGUOUS] = {"httpsig-ambiguous", I,
                            "several signatures match and no label or tag chooses one"},
    [PS_ID_HS_UNSUPPORTED] = {"httpsig-unsupported", I,
                              "a covered component or component parameter this verifier does not "
                              "implement (@status, ;req, ;tr, ;sf or ;key on a field it does not "
                              "know the type of, unknown derived component)"},
    [PS_ID_HS_COMPONENT_MISSING] = {"httpsig-component-missing", D,
                                    "a covered component is absent from the request (field, "
                                    "query parameter, dictionary key)"},
    [PS_ID_HS_COMPONENTS] = {"httpsig-components", D,
                             "a component the policy requires (@method, @target-uri, "
                             "content-digest with a body ...) is not covered"},
    [PS_ID_HS_PARAMS] = {"httpsig-params", D,
                         "a signature parameter the policy requires (created, keyid, nonce) is "
                         "absent"},
    [PS_ID_HS_STALE] = {"httpsig-stale", D, "created is outside the allowed window around now"},
    [PS_ID_HS_EXPIRED] = {"httpsig-expired", D, "expires is in the past"},
    [PS_ID_HS_UNKNOWN_KEY] = {"httpsig-unknown-key", D, "the keyid names no key the verifier knows"},
    [PS_ID_HS_ALGORITHM] = {"httpsig-algorithm", D,
                            "the alg parameter is not ed25519 / ecdsa-p256-sha256, or differs "
                            "from the key's algorithm"},
    [PS_ID_HS_BAD_SIGNATURE] = {"httpsig-bad-signature", D,
                                "the signature does not verify over the signature base"},

    [PS_ID_DG_MISSING] = {"digest-missing", D,
                          "the request has content but no Content-Digest field"},
    [PS_ID_DG_MALFORMED] = {"digest-malformed", I,
                            "Content-Digest is not a dictionary of byte sequences, or a sha-256 / "
                            "sha-512 value has the wrong length"},
    [PS_ID_DG_UNSUPPORTED] = {"digest-unsupported", D,
                              "Content-Digest carries neither sha-256 nor sha-512"},
    [PS_ID_DG_MISMATCH] = {"digest-mismatch", D,
                           "a sha-256 or sha-512 value differs from the digest of the content"},
};

#undef I
#undef L
#undef D

const char *ps_id_code_name(enum ps_id_code code)
{
    if ((unsigned)code >= PS_ID_CODE_COUNT || !codes[code].name)
        return "unknown";
    return codes[code].name;
}

enum ps_err ps_id_code_err(enum ps_id_code code)
{
    if ((unsigned)code >= PS_ID_CODE_COUNT || !codes[code].name)
        return PS_ERR_INTERNAL;
    return codes[code].err;
}

const char *ps_id_code_text(enum ps_id_code code)
{
    if ((unsigned)code >= PS_ID_CODE_COUNT || !codes[code].name)
        return "unknown code";
    return codes[code].text;
}

enum ps_err ps_id_fail(struct ps_id_diag *diag, enum ps_id_code code, const char *fmt, ...)
{
    enum ps_err err = ps_id_code_err(code);
    if (!diag)
        return err;
    diag->code = code;
    diag->d.code = err;
    va_list ap;
    va_start(ap, fmt);
    ps_str_vcut(diag->d.message, sizeof diag->d.message, fmt, ap);
    va_end(ap);
    return err;
}

void ps_id_diag_clear(struct ps_id_diag *diag)
{
    if (!diag)
        return;
    diag->code = PS_ID_OK;
    ps_diag_clear(&diag->d);
}
