/* In-memory OpenSSL keys that sign for the document encoders: ES256 signatures converted from
 * OpenSSL's DER to COSE's raw r||s, EdDSA raw, PS256 with a 32-byte salt. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "documents/soft_key.h"
#include "documents/trustlist_encode.h"

struct ps_doc_soft_key {
    int alg;
    EVP_PKEY *pkey;
};

struct ps_doc_soft_key *ps_doc_soft_key_new(int alg)
{
    EVP_PKEY *pkey = alg == -7    ? EVP_EC_gen("P-256")
                     : alg == -8  ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
                     : alg == -37 ? EVP_RSA_gen(2048)
                                  : NULL;
    if (!pkey)
        return NULL;
    struct ps_doc_soft_key *k = malloc(sizeof *k);
    if (!k) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    k->alg = alg;
    k->pkey = pkey;
    return k;
}

void ps_doc_soft_key_free(struct ps_doc_soft_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

void *ps_doc_soft_key_pkey(const struct ps_doc_soft_key *k) { return k->pkey; }

/* DER ECDSA signature -> raw r||s (32 bytes each). */
static enum ps_err der_to_raw(const uint8_t *der, size_t n, uint8_t out[64])
{
    const unsigned char *p = der;
    ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)n);
    if (!s)
        return PS_ERR_CRYPTO;
    const BIGNUM *r, *ss;
    ECDSA_SIG_get0(s, &r, &ss);
    bool ok = BN_bn2binpad(r, out, 32) == 32 && BN_bn2binpad(ss, out + 32, 32) == 32;
    ECDSA_SIG_free(s);
    return ok ? PS_OK : PS_ERR_CRYPTO;
}

static enum ps_err soft_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t *sig,
                             size_t cap, size_t *sig_len)
{
    struct ps_doc_soft_key *k = ctx;
    uint8_t buf[PS_DOC_SIG_MAX];
    size_t n = sizeof buf;
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int ok = mctx && EVP_DigestSignInit(mctx, &pctx, k->alg == -8 ? NULL : EVP_sha256(), NULL,
                                        k->pkey) == 1;
    if (ok && k->alg == -37)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    ok = ok && EVP_DigestSign(mctx, buf, &n, msg, len) == 1;
    EVP_MD_CTX_free(mctx);
    if (!ok)
        return PS_ERR_CRYPTO;
    if (k->alg == -7) {
        if (cap < 64 || der_to_raw(buf, n, sig) != PS_OK)
            return PS_ERR_CRYPTO;
        *sig_len = 64;
        return PS_OK;
    }
    if (n > cap)
        return PS_ERR_CRYPTO;
    memcpy(sig, buf, n);
    *sig_len = n;
    return PS_OK;
}

void ps_doc_soft_key_signer(struct ps_doc_soft_key *k, const uint8_t *kid, size_t kid_len,
                            struct ps_doc_signer *s)
{
    PS_ASSERT(kid_len > 0 && kid_len <= PS_DOC_KID_MAX);
    *s = (struct ps_doc_signer){.alg = k->alg, .kid_len = kid_len, .sign = soft_sign, .ctx = k};
    memcpy(s->kid, kid, kid_len);
}

enum ps_err ps_doc_soft_key_p256(const struct ps_doc_soft_key *k, uint8_t x[32], uint8_t y[32])
{
    uint8_t pub[65];
    size_t n = 0;
    if (k->alg != -7 ||
        EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub,
                                        &n) != 1 || n != 65 || pub[0] != 4)
        return PS_ERR_CRYPTO;
    memcpy(x, pub + 1, 32);
    memcpy(y, pub + 33, 32);
    return PS_OK;
}

static enum ps_err rsa_jwk(const struct ps_doc_soft_key *k, struct ps_buf *out)
{
    BIGNUM *n = NULL, *e = NULL;
    uint8_t nb[512], eb[8];
    enum ps_err err = PS_ERR_CRYPTO;
    if (EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_N, &n) == 1 &&
        EVP_PKEY_get_bn_param(k->pkey, OSSL_PKEY_PARAM_RSA_E, &e) == 1 &&
        BN_num_bytes(n) <= (int)sizeof nb && BN_num_bytes(e) <= (int)sizeof eb) {
        int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
        if ((err = ps_buf_append_cstr(out, "{\"kty\":\"RSA\",\"n\":\"")) == PS_OK &&
            (err = ps_doc_b64url(out, nb, (size_t)nl)) == PS_OK &&
            (err = ps_buf_append_cstr(out, "\",\"e\":\"")) == PS_OK &&
            (err = ps_doc_b64url(out, eb, (size_t)el)) == PS_OK)
            err = ps_buf_append_cstr(out, "\"}");
    }
    BN_free(n);
    BN_free(e);
    return err;
}

enum ps_err ps_doc_soft_key_jwk(const struct ps_doc_soft_key *k, struct ps_buf *out)
{
    uint8_t x[32], y[32];
    size_t n = sizeof x;
    enum ps_err e;
    if (k->alg == -37)
        return rsa_jwk(k, out);
    if (k->alg == -8) {
        if (EVP_PKEY_get_raw_public_key(k->pkey, x, &n) != 1 || n != 32)
            return PS_ERR_CRYPTO;
        if ((e = ps_buf_append_cstr(out, "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"")) != PS_OK ||
            (e = ps_doc_b64url(out, x, 32)) != PS_OK)
            return e;
        return ps_buf_append_cstr(out, "\"}");
    }
    if ((e = ps_doc_soft_key_p256(k, x, y)) != PS_OK ||
        (e = ps_buf_append_cstr(out, "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"")) != PS_OK ||
        (e = ps_doc_b64url(out, x, 32)) != PS_OK || (e = ps_buf_append_cstr(out, "\",\"y\":\"")) != PS_OK ||
        (e = ps_doc_b64url(out, y, 32)) != PS_OK)
        return e;
    return ps_buf_append_cstr(out, "\"}");
}

static enum ps_err make_cert(const struct ps_doc_soft_key *k, const char *cn, int64_t nbf,
                             int64_t exp, const struct ps_doc_soft_key *by, const char *by_cn,
                             struct ps_buf *der)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new(), *issuer = X509_NAME_new();
    unsigned char *out = NULL, serial[8];
    BIGNUM *bn = NULL;
    enum ps_err e = PS_ERR_CRYPTO;
    ps_random_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; /* positive */
    bn = BN_bin2bn(serial, sizeof serial, NULL);
    if (!x || !name || !issuer || !bn || X509_set_version(x, 2) != 1 ||
        !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) ||
        !ASN1_TIME_set(X509_getm_notBefore(x), (time_t)nbf) ||
        !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)exp) ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_UTF8, (const unsigned char *)by_cn,
                                   -1, -1, 0) != 1 ||
        X509_set_subject_name(x, name) != 1 || X509_set_issuer_name(x, issuer) != 1 ||
        X509_set_pubkey(x, k->pkey) != 1 ||
        X509_sign(x, by->pkey, by->alg == -8 ? NULL : EVP_sha256()) <= 0)
        goto out;
    int n = i2d_X509(x, &out);
    if (n > 0)
        e = ps_buf_append(der, out, (size_t)n);
out:
    BN_free(bn);
    OPENSSL_free(out);
    X509_NAME_free(issuer);
    X509_NAME_free(name);
    X509_free(x);
    return e;
}

enum ps_err ps_doc_soft_key_cert(const struct ps_doc_soft_key *k, const char *cn, int64_t nbf,
                                 int64_t exp, struct ps_buf *der)
{
    return make_cert(k, cn, nbf, exp, k, cn, der);
}

enum ps_err ps_doc_soft_key_cert_by(const struct ps_doc_soft_key *k, const char *cn, int64_t nbf,
                                    int64_t exp, const struct ps_doc_soft_key *by,
                                    const char *by_cn, struct ps_buf *der)
{
    return make_cert(k, cn, nbf, exp, by, by_cn, der);
}

static struct ps_doc_soft_key *wrap(int alg, EVP_PKEY *pkey)
{
    struct ps_doc_soft_key *k = pkey ? malloc(sizeof *k) : NULL;
    if (!k) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    k->alg = alg;
    k->pkey = pkey;
    return k;
}

struct ps_doc_soft_key *ps_doc_soft_key_from_der(int alg, const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    EVP_PKEY *pkey = d2i_AutoPrivateKey(NULL, &p, (long)len);
    bool fits = pkey && ((alg == -7 && EVP_PKEY_is_a(pkey, "EC") &&
                          EVP_PKEY_get_bits(pkey) == 256) ||
                         (alg == -8 && EVP_PKEY_is_a(pkey, "ED25519")));
    if (!fits) {
        EVP_PKEY_free(pkey);
        return NULL;
    }
    return wrap(alg, pkey);
}

struct ps_doc_soft_key *ps_doc_soft_key_from_seed(const uint8_t seed[32])
{
    return wrap(-8, EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32));
}

enum ps_err ps_doc_soft_key_private_der(const struct ps_doc_soft_key *k, struct ps_buf *out)
{
    unsigned char *der = NULL;
    int n = i2d_PrivateKey(k->pkey, &der);
    enum ps_err e = n > 0 ? ps_buf_append(out, der, (size_t)n) : PS_ERR_CRYPTO;
    if (der)
        OPENSSL_clear_free(der, n > 0 ? (size_t)n : 0);
    return e;
}

enum ps_err ps_doc_soft_key_public_raw(const struct ps_doc_soft_key *k, uint8_t out[65],
                                       size_t *len)
{
    if (k->alg == -8) {
        *len = 32;
        return EVP_PKEY_get_raw_public_key(k->pkey, out, len) == 1 && *len == 32
                   ? PS_OK : PS_ERR_CRYPTO;
    }
    size_t n = 0;
    if (k->alg != -7 || EVP_PKEY_get_octet_string_param(k->pkey, OSSL_PKEY_PARAM_PUB_KEY, out,
                                                        65, &n) != 1 || n != 65)
        return PS_ERR_CRYPTO;
    *len = 65;
    return PS_OK;
}

int ps_doc_soft_key_alg(const struct ps_doc_soft_key *k)
{
    return k->alg;
}
