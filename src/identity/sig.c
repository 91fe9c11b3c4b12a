/* Ed25519 through libsodium; P-256 through OpenSSL's EVP interface, with keys built from raw
 * points (OSSL_PARAM) and the DER <-> r || s conversion written here, strictly, so that a
 * malformed or non-canonical DER signature is refused before OpenSSL sees it. */
#include "identity/sig.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <string.h>

enum ps_err ps_sig_ed25519_verify(const uint8_t pub[PS_ED25519_PUB_LEN], const void *msg,
                                  size_t n, const uint8_t *sig, size_t siglen)
{
    if (siglen != PS_ED25519_SIG_LEN)
        return PS_ERR_INVALID;
    if (crypto_sign_verify_detached(sig, msg, n, pub) != 0)
        return PS_ERR_CRYPTO;
    return PS_OK;
}

/* ---- DER ---- */

/* Reads one strict DER INTEGER at *p (end e) into out (field_len bytes, left-padded). */
static enum ps_err der_int(const uint8_t **p, const uint8_t *e, size_t field_len, uint8_t *out)
{
    const uint8_t *q = *p;
    if (e - q < 2 || q[0] != 0x02 || q[1] >= 0x80)
        return PS_ERR_INVALID;
    size_t len = q[1];
    q += 2;
    if (len == 0 || (size_t)(e - q) < len)
        return PS_ERR_INVALID;
    if (q[0] & 0x80) /* negative */
        return PS_ERR_INVALID;
    if (q[0] == 0 && (len == 1 || !(q[1] & 0x80))) /* zero, or a superfluous leading 0x00 */
        return PS_ERR_INVALID;
    const uint8_t *v = q;
    size_t vlen = len;
    if (v[0] == 0) {
        v++;
        vlen--;
    }
    if (vlen > field_len)
        return PS_ERR_INVALID;
    memset(out, 0, field_len - vlen);
    memcpy(out + field_len - vlen, v, vlen);
    *p = q + len;
    return PS_OK;
}

enum ps_err ps_sig_ecdsa_der_to_raw(const uint8_t *der, size_t len, size_t field_len,
                                    uint8_t *out)
{
    if (field_len == 0 || field_len > 66 || len < 8)
        return PS_ERR_INVALID;
    const uint8_t *p = der, *e = der + len;
    size_t body;
    if (p[0] != 0x30)
        return PS_ERR_INVALID;
    if (p[1] < 0x80) {
        body = p[1];
        p += 2;
    } else if (p[1] == 0x81 && p[2] >= 0x80) { /* long form only when the short one cannot */
        body = p[2];
        p += 3;
    } else {
        return PS_ERR_INVALID;
    }
    if ((size_t)(e - p) != body)
        return PS_ERR_INVALID;
    if (der_int(&p, e, field_len, out) != PS_OK ||
        der_int(&p, e, field_len, out + field_len) != PS_OK)
        return PS_ERR_INVALID;
    return p == e ? PS_OK : PS_ERR_INVALID;
}

/* Writes the minimal DER INTEGER of the field_len-byte big-endian value v. */
static size_t put_int(uint8_t *o, const uint8_t *v, size_t field_len)
{
    size_t i = 0;
    while (i + 1 < field_len && v[i] == 0)
        i++;
    size_t vlen = field_len - i, pad = (v[i] & 0x80) ? 1 : 0;
    o[0] = 0x02;
    o[1] = (uint8_t)(vlen + pad);
    if (pad)
        o[2] = 0;
    memcpy(o + 2 + pad, v + i, vlen);
    return 2 + pad + vlen;
}

enum ps_err ps_sig_ecdsa_raw_to_der(const uint8_t *raw, size_t field_len, uint8_t *out,
                                    size_t cap, size_t *out_len)
{
    if (field_len == 0 || field_len > 66 || cap < 2 * field_len + 9)
        return PS_ERR_INVALID;
    uint8_t body[2 * 66 + 6];
    size_t n = put_int(body, raw, field_len);
    n += put_int(body + n, raw + field_len, field_len);
    size_t h = 0;
    out[h++] = 0x30;
    if (n >= 0x80)
        out[h++] = 0x81;
    out[h++] = (uint8_t)n;
    memcpy(out + h, body, n);
    *out_len = h + n;
    return PS_OK;
}

/* ---- P-256 ---- */

static EVP_PKEY *p256_key(const uint8_t *pub, const uint8_t *priv)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *d = priv ? BN_bin2bn(priv, PS_P256_PRIV_LEN, NULL) : NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!bld || !ctx || (priv && !d) ||
        OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) != 1 ||
        OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, PS_P256_PUB_LEN) != 1 ||
        (d && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d) != 1))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    if (!params || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, d ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    BN_clear_free(d);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

int ps_sig_p256_point_valid(const uint8_t pub[PS_P256_PUB_LEN])
{
    if (pub[0] != 0x04)
        return 0;
    EVP_PKEY *k = p256_key(pub, NULL);
    EVP_PKEY_free(k);
    return k != NULL;
}

enum ps_err ps_sig_p256_verify(const uint8_t pub[PS_P256_PUB_LEN], const void *msg, size_t n,
                               const uint8_t *sig, size_t siglen)
{
    if (siglen != PS_P256_SIG_LEN || pub[0] != 0x04)
        return PS_ERR_INVALID;
    uint8_t der[PS_P256_SIG_LEN + 9];
    size_t derlen;
    if (ps_sig_ecdsa_raw_to_der(sig, 32, der, sizeof der, &derlen) != PS_OK)
        return PS_ERR_INVALID;
    EVP_PKEY *k = p256_key(pub, NULL);
    if (!k)
        return PS_ERR_INVALID;
    enum ps_err e = PS_ERR_NOMEM;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, k, NULL) == 1)
        e = EVP_DigestVerify(md, der, derlen, msg, n) == 1 ? PS_OK : PS_ERR_CRYPTO;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return e;
}

enum ps_err ps_sig_p256_public(const uint8_t priv[PS_P256_PRIV_LEN],
                               uint8_t pub[PS_P256_PUB_LEN])
{
    enum ps_err e = PS_ERR_INVALID;
    EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
    EC_POINT *pt = g ? EC_POINT_new(g) : NULL;
    BIGNUM *d = BN_bin2bn(priv, PS_P256_PRIV_LEN, NULL);
    if (!g || !pt || !d) {
        e = PS_ERR_NOMEM;
        goto out;
    }
    if (BN_is_zero(d) || BN_cmp(d, EC_GROUP_get0_order(g)) >= 0)
        goto out;
    if (EC_POINT_mul(g, pt, d, NULL, NULL, NULL) == 1 &&
        EC_POINT_point2oct(g, pt, POINT_CONVERSION_UNCOMPRESSED, pub, PS_P256_PUB_LEN, NULL) ==
            PS_P256_PUB_LEN)
        e = PS_OK;
out:
    BN_clear_free(d);
    EC_POINT_free(pt);
    EC_GROUP_free(g);
    return e;
}

enum ps_err ps_sig_p256_keygen(uint8_t priv[PS_P256_PRIV_LEN], uint8_t pub[PS_P256_PUB_LEN])
{
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    BIGNUM *d = NULL;
    enum ps_err e = PS_ERR_CRYPTO;
    if (k && EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY, &d) == 1 &&
        BN_bn2binpad(d, priv, PS_P256_PRIV_LEN) == PS_P256_PRIV_LEN)
        e = ps_sig_p256_public(priv, pub);
    BN_clear_free(d);
    EVP_PKEY_free(k);
    return e;
}

enum ps_err ps_sig_p256_sign(const uint8_t priv[PS_P256_PRIV_LEN], const void *msg, size_t n,
                             uint8_t sig[PS_P256_SIG_LEN])
{
    uint8_t pub[PS_P256_PUB_LEN];
    if (ps_sig_p256_public(priv, pub) != PS_OK)
        return PS_ERR_INVALID;
    EVP_PKEY *k = p256_key(pub, priv);
    if (!k)
        return PS_ERR_INVALID;
    enum ps_err e = PS_ERR_CRYPTO;
    uint8_t der[80];
    size_t derlen = sizeof der;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md && EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k, NULL) == 1 &&
        EVP_DigestSign(md, der, &derlen, msg, n) == 1)
        e = ps_sig_ecdsa_der_to_raw(der, derlen, 32, sig) == PS_OK ? PS_OK : PS_ERR_CRYPTO;
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(k);
    return e;
}
