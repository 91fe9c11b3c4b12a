/* Signature verification on ready keys (ES256, EdDSA, PS256, RS256) with the encodings COSE
 * uses: ES256 as raw r||s of exactly 64 bytes, each of r and s in [1, n-1] (high S accepted:
 * WebCrypto and most signers do not normalise it, and nothing here depends on a signature
 * being unique), turned into DER for OpenSSL; or strict DER when the caller says so
 * (WebAuthn). EdDSA 64 bytes. PS256: RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32 bytes. */
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/rsa.h>
#include <string.h>

#include "psv_int.h"

static const uint8_t P256_N[32] = {
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static bool scalar_ok(const uint8_t v[32])
{
    static const uint8_t zero[32];
    return memcmp(v, zero, 32) != 0 && memcmp(v, P256_N, 32) < 0;
}

/* One DER INTEGER of a 32-byte big-endian value; returns bytes written. */
static size_t der_int(uint8_t *out, const uint8_t v[32])
{
    size_t i = 0;
    while (i < 31 && v[i] == 0)
        i++;
    size_t n = 32 - i, o = 0;
    bool pad = v[i] & 0x80;
    out[o++] = 0x02;
    out[o++] = (uint8_t)(n + pad);
    if (pad)
        out[o++] = 0;
    memcpy(out + o, v + i, n);
    return o + n;
}

static size_t raw_to_der(const uint8_t sig[64], uint8_t der[72])
{
    uint8_t body[70];
    size_t n = der_int(body, sig);
    n += der_int(body + n, sig + 32);
    der[0] = 0x30;
    der[1] = (uint8_t)n;
    memcpy(der + 2, body, n);
    return n + 2;
}

/* Strict DER: decodes and re-encodes to the same bytes. */
static bool der_strict(const uint8_t *sig, size_t n)
{
    const unsigned char *p = sig;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)n);
    if (!s)
        return false;
    bool ok = (size_t)(p - sig) == n;
    unsigned char *re = NULL;
    int k = ok ? i2d_ECDSA_SIG(s, &re) : -1;
    ok = ok && k == (int)n && memcmp(re, sig, n) == 0;
    OPENSSL_free(re);
    ECDSA_SIG_free(s);
    return ok;
}

static enum psv_error digest_verify(EVP_PKEY *pkey, int alg, const uint8_t *msg, size_t n,
                                    const uint8_t *sig, size_t sig_len, struct psv_diag *d)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return psv_fail(d, PSV_E_SIGNATURE, "out of memory");
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = alg == PSV_ALG_EDDSA ? NULL : EVP_sha256();
    int ok = EVP_DigestVerifyInit(ctx, &pctx, md, NULL, pkey) == 1;
    if (ok && alg == PSV_ALG_PS256)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    else if (ok && alg == PSV_ALG_RS256)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    int v = ok ? EVP_DigestVerify(ctx, sig, sig_len, msg, n) : -1;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return psv_fail(d, PSV_E_SIGNATURE, "cannot set up verification");
    return v == 1 ? PSV_OK : psv_fail(d, PSV_E_SIGNATURE, "signature not valid");
}

enum psv_error psv_sig_verify(EVP_PKEY *pkey, int alg, const uint8_t *msg, size_t msg_len,
                              const uint8_t *sig, size_t sig_len, unsigned flags,
                              struct psv_diag *d)
{
    if (alg == PSV_ALG_ES256 && (flags & PSV_SIG_DER)) {
        if (sig_len > 72 || !der_strict(sig, sig_len))
            return psv_fail(d, PSV_E_SIGNATURE, "ES256 signature is not strict DER");
        return digest_verify(pkey, alg, msg, msg_len, sig, sig_len, d);
    }
    if (flags & PSV_SIG_DER)
        return psv_fail(d, PSV_E_ALGORITHM, "DER signatures exist only for ES256");
    if (alg == PSV_ALG_ES256) {
        if (sig_len != 64)
            return psv_fail(d, PSV_E_SIGNATURE,
                            "ES256 signature must be raw r||s of 64 bytes, got %zu", sig_len);
        if (!scalar_ok(sig) || !scalar_ok(sig + 32))
            return psv_fail(d, PSV_E_SIGNATURE, "ES256 signature r or s out of range");
        uint8_t der[72];
        size_t n = raw_to_der(sig, der);
        return digest_verify(pkey, alg, msg, msg_len, der, n, d);
    }
    if (alg == PSV_ALG_EDDSA && sig_len != 64)
        return psv_fail(d, PSV_E_SIGNATURE, "EdDSA signature must be 64 bytes, got %zu", sig_len);
    if ((alg == PSV_ALG_PS256 || alg == PSV_ALG_RS256) &&
        sig_len != (size_t)EVP_PKEY_get_size(pkey))
        return psv_fail(d, PSV_E_SIGNATURE, "RSA signature of %zu bytes for a %d-byte key",
                        sig_len, EVP_PKEY_get_size(pkey));
    return digest_verify(pkey, alg, msg, msg_len, sig, sig_len, d);
}

bool psv_alg_fits_pkey(int alg, EVP_PKEY *pkey)
{
    switch (alg) {
    case PSV_ALG_ES256: {
        char group[32];
        size_t gl = 0;
        return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
               EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                              sizeof group, &gl) == 1 &&
               strcmp(group, "prime256v1") == 0;
    }
    case PSV_ALG_EDDSA: return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519;
    case PSV_ALG_PS256:
    case PSV_ALG_RS256: return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA;
    default: return false;
    }
}

const char *psv_alg_name(int alg)
{
    switch (alg) {
    case PSV_ALG_ES256: return "ES256";
    case PSV_ALG_EDDSA: return "EdDSA";
    case PSV_ALG_PS256: return "PS256";
    case PSV_ALG_RS256: return "RS256";
    default: return "unknown";
    }
}

int psv_alg_from_name(const char *name)
{
    static const int algs[] = {PSV_ALG_ES256, PSV_ALG_EDDSA, PSV_ALG_PS256, PSV_ALG_RS256};
    for (size_t i = 0; i < sizeof algs / sizeof algs[0]; i++)
        if (strcmp(name, psv_alg_name(algs[i])) == 0)
            return algs[i];
    return 0;
}
