/* COSE_Key (RFC 9052 section 7, RFC 9053) public keys and signature verification with them:
 * EC2 P-256 (kty 2, crv 1, x, y), OKP Ed25519 (kty 1, crv 6, x), RSA (kty 3, n, e). Part of
 * libpsverify; the server's WebAuthn code uses it for passkeys' credential public keys, the
 * verifier for the holder key of a PS1 credential (cnf, RFC 8747). A parsed key is
 * immutable and may be shared by threads. No I/O, no globals. */
#ifndef POCKETSTATE_COSE_KEY_H
#define POCKETSTATE_COSE_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "pocketstate/verify.h"

#ifdef __cplusplus
extern "C" {
#endif

/* COSE algorithm identifiers (IANA "COSE Algorithms"). */
enum {
    PSV_ALG_ES256 = -7,
    PSV_ALG_EDDSA = -8,
    PSV_ALG_PS256 = -37,
    PSV_ALG_RS256 = -257,
};
/* COSE key types. */
enum { PSV_KTY_OKP = 1, PSV_KTY_EC2 = 2, PSV_KTY_RSA = 3 };

/* psv_cose_key_verify flags. */
enum {
    /* ES256 signature in ASN.1 DER (WebAuthn assertions) instead of COSE's raw r||s. Only
     * with PSV_ALG_ES256; the DER must be strict (minimal lengths, no trailing bytes). */
    PSV_SIG_DER = 1u << 0,
};

typedef struct psv_cose_key psv_cose_key;

/* Parses one COSE_Key map from CBOR (len bytes, nothing after it). The map's alg (3), if
 * present, binds the key to that algorithm. Limits: RSA modulus 2048..4096 bits; an EC point
 * must be on the curve. Errors: PSV_E_CBOR (malformed), PSV_E_COSE (missing or mistyped
 * parameter), PSV_E_ALGORITHM (unsupported kty/crv/alg). *out: free with psv_cose_key_free. */
enum psv_error psv_cose_key_parse(const uint8_t *cbor, size_t len, psv_cose_key **out,
                                  struct psv_diag *diag) PSV_WUR;
void psv_cose_key_free(psv_cose_key *key);

/* kty and alg (0 when the key did not say) of a parsed key. */
int psv_cose_key_kty(const psv_cose_key *key);
int psv_cose_key_alg(const psv_cose_key *key);

/* Verifies sig over msg with key and COSE algorithm alg (ES256 with SHA-256, EdDSA, PS256,
 * RS256). Algorithm confusion is refused: alg must suit the key type and, when the key
 * declares an alg, equal it (PSV_E_ALGORITHM). ES256 signatures are raw r||s of exactly 64
 * bytes with 0 < r, s < n unless flags has PSV_SIG_DER; EdDSA exactly 64 bytes. Returns
 * PSV_OK or PSV_E_SIGNATURE (malformed or not valid), PSV_E_ALGORITHM, PSV_E_USAGE. */
enum psv_error psv_cose_key_verify(const psv_cose_key *key, int64_t alg, const uint8_t *msg,
                                   size_t msg_len, const uint8_t *sig, size_t sig_len,
                                   unsigned flags) PSV_WUR;

#ifdef __cplusplus
}
#endif
#endif
