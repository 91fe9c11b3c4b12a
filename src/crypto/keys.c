/* Key material without I/O: the master key in secure memory, sealing private keys with
 * XChaCha20-Poly1305 (libsodium), platform key pairs (Ed25519 via libsodium, ES256 via OpenSSL 3
 * EVP) made sealed and opened from their sealed form, signatures made and verified, and the
 * admin token. The keystore module keeps all of it (keystore/keystore.c). */
#include "crypto/keys.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/ids.h"

#define SEAL_VERSION 0x01
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define PRIV_BYTES PS_KEY_PRIVATE_BYTES /* Ed25519 seed or P-256 scalar: what is sealed */

struct ps_master_key {
    unsigned char k[PS_MASTER_KEY_BYTES];
};

static const char *const purpose_names[PS_KEY_PURPOSE_COUNT] = {
    [PS_KEY_DOCUMENTS] = "document-signing",
    [PS_KEY_TLOG] = "tlog-signing",
    [PS_KEY_QR] = "qr-signing",
};

const char *ps_key_purpose_name(enum ps_key_purpose p)
{
    PS_ASSERT((unsigned)p < PS_KEY_PURPOSE_COUNT);
    return purpose_names[p];
}

const char *ps_key_alg_name(enum ps_key_alg a)
{
    return a == PS_ALG_ES256 ? "ES256" : "Ed25519";
}

enum ps_key_alg ps_key_purpose_alg(enum ps_key_purpose p)
{
    return p == PS_KEY_QR ? PS_ALG_ES256 : PS_ALG_ED25519;
}

/* ---- master key ---- */

static enum ps_err need_sodium(struct ps_diag *diag)
{
    if (sodium_init() < 0)
        return ps_diag_set(diag, PS_ERR_CRYPTO, "libsodium failed to initialise");
    return PS_OK;
}

static struct ps_master_key *master_alloc(void)
{
    return sodium_malloc(sizeof(struct ps_master_key));
}

void ps_keys_master_free(struct ps_master_key *m)
{
    if (m)
        sodium_free(m); /* zeroes before release, also when read-only */
}

void ps_keys_master_derive(const struct ps_master_key *m, uint64_t id, const char context[8],
                           unsigned char out[32])
{
    PS_ASSERT(m != NULL);
    PS_ASSERT(crypto_kdf_derive_from_key(out, 32, id, context, m->k) == 0);
}

static bool is_hex(struct ps_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

enum ps_err ps_keys_master_from_hex(struct ps_str hex, struct ps_master_key **out,
                                    struct ps_diag *diag)
{
    *out = NULL;
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    if (hex.len != 2 * PS_MASTER_KEY_BYTES)
        return ps_diag_set(diag, PS_ERR_INVALID, "master key must be %d hex characters, got %zu",
                           2 * PS_MASTER_KEY_BYTES, hex.len);
    if (!is_hex(hex))
        return ps_diag_set(diag, PS_ERR_INVALID, "master key contains a non-hex character");
    struct ps_master_key *m = master_alloc();
    if (!m)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
    size_t n = 0;
    if (sodium_hex2bin(m->k, sizeof m->k, hex.p, hex.len, NULL, &n, NULL) != 0 ||
        n != sizeof m->k) {
        sodium_free(m);
        return ps_diag_set(diag, PS_ERR_INVALID, "master key is not valid hex");
    }
    sodium_mprotect_readonly(m);
    *out = m;
    return PS_OK;
}

enum ps_err ps_keys_master_new(struct ps_master_key **out, struct ps_diag *diag)
{
    *out = NULL;
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    struct ps_master_key *m = master_alloc();
    if (!m)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
    ps_random_bytes(m->k, sizeof m->k);
    sodium_mprotect_readonly(m);
    *out = m;
    return PS_OK;
}

void ps_keys_master_hex(const struct ps_master_key *m, char hex[2 * PS_MASTER_KEY_BYTES + 1])
{
    sodium_bin2hex(hex, 2 * PS_MASTER_KEY_BYTES + 1, m->k, sizeof m->k);
}

/* ---- sealing ---- */

/* Associated data: key id, NUL, purpose. Binds a sealed blob to its row. */
static enum ps_err make_ad(struct ps_str id, struct ps_str purpose, unsigned char ad[128],
                           size_t *len)
{
    size_t n;
    if (!ps_size_add(id.len, purpose.len, &n) || !ps_size_add(n, 1, &n) || n > 128)
        return PS_ERR_LIMIT;
    if (id.len)
        memcpy(ad, id.p, id.len);
    ad[id.len] = 0;
    if (purpose.len)
        memcpy(ad + id.len + 1, purpose.p, purpose.len);
    *len = n;
    return PS_OK;
}

enum ps_err ps_keys_seal(const struct ps_master_key *m, struct ps_str key_id, struct ps_str purpose,
                         const unsigned char *plain, size_t n, unsigned char *out, size_t cap,
                         size_t *out_len)
{
    unsigned char ad[128];
    size_t adlen, need;
    if (!ps_size_add(n, PS_SEALED_OVERHEAD, &need) || need > cap)
        return PS_ERR_LIMIT;
    if (make_ad(key_id, purpose, ad, &adlen) != PS_OK)
        return PS_ERR_LIMIT;
    if (sodium_init() < 0)
        return PS_ERR_CRYPTO;
    out[0] = SEAL_VERSION;
    ps_random_bytes(out + 1, NONCE_BYTES);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + NONCE_BYTES, &clen, plain, n, ad,
                                                   adlen, NULL, out + 1, m->k) != 0)
        return PS_ERR_CRYPTO;
    *out_len = 1 + NONCE_BYTES + (size_t)clen;
    return PS_OK;
}

enum ps_err ps_keys_unseal(const struct ps_master_key *m, struct ps_str key_id,
                           struct ps_str purpose, const unsigned char *sealed, size_t len,
                           unsigned char *plain, size_t cap, size_t *plain_len)
{
    unsigned char ad[128];
    size_t adlen;
    if (len < PS_SEALED_OVERHEAD || sealed[0] != SEAL_VERSION)
        return PS_ERR_CRYPTO;
    if (len - PS_SEALED_OVERHEAD > cap)
        return PS_ERR_LIMIT;
    if (make_ad(key_id, purpose, ad, &adlen) != PS_OK)
        return PS_ERR_LIMIT;
    if (sodium_init() < 0)
        return PS_ERR_CRYPTO;
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, sealed + 1 + NONCE_BYTES,
                                                   len - 1 - NONCE_BYTES, ad, adlen, sealed + 1,
                                                   m->k) != 0) {
        sodium_memzero(plain, cap);
        return PS_ERR_CRYPTO;
    }
    *plain_len = (size_t)plen;
    return PS_OK;
}

/* ---- key material ---- */

/* A new key pair: priv (PRIV_BYTES, caller's secure memory) and its public key. */
static enum ps_err keypair_new(enum ps_key_alg alg, unsigned char *priv, unsigned char pub[65],
                               size_t *publen)
{
    if (alg == PS_ALG_ED25519) {
        unsigned char *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
        if (!sk)
            return PS_ERR_NOMEM;
        ps_random_bytes(priv, PRIV_BYTES);
        int r = crypto_sign_seed_keypair(pub, sk, priv);
        sodium_free(sk);
        *publen = crypto_sign_PUBLICKEYBYTES;
        return r == 0 ? PS_OK : PS_ERR_CRYPTO;
    }
    enum ps_err e = PS_ERR_CRYPTO;
    BIGNUM *bn = NULL;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!pkey)
        goto out;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 ||
        BN_bn2binpad(bn, priv, PRIV_BYTES) != PRIV_BYTES)
        goto out;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, publen) != 1 ||
        *publen != 65 || pub[0] != 0x04)
        goto out;
    e = PS_OK;
out:
    BN_clear_free(bn);
    EVP_PKEY_free(pkey);
    return e;
}

/* Builds an ES256 EVP_PKEY from scalar and public point and checks that they belong
 * together: a row whose public key was swapped fails here. */
static enum ps_err es256_from_raw(const unsigned char *scalar, const unsigned char *pub,
                                  size_t publen, EVP_PKEY **out)
{
    enum ps_err e = PS_ERR_CRYPTO;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *priv = BN_secure_new();
    if (!bld || !priv || !BN_bin2bn(scalar, PRIV_BYTES, priv))
        goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, publen))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
        goto out;
    check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!check || EVP_PKEY_pairwise_check(check) != 1)
        goto out;
    *out = pkey;
    pkey = NULL;
    e = PS_OK;
out:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    return e;
}

void ps_key_free(struct ps_key *k)
{
    if (!k)
        return;
    if (k->secret_)
        sodium_free(k->secret_);
    EVP_PKEY_free(k->pkey_);
    ps_free(k);
}

/* Turns an unsealed private key into an opened struct ps_key, checking the public key. */
static enum ps_err key_from_priv(struct ps_key *k, const unsigned char *priv)
{
    if (k->alg == PS_ALG_ED25519) {
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        k->secret_ = sodium_malloc(crypto_sign_SECRETKEYBYTES);
        if (!k->secret_)
            return PS_ERR_NOMEM;
        if (crypto_sign_seed_keypair(pk, k->secret_, priv) != 0 || k->public_len != sizeof pk ||
            sodium_memcmp(pk, k->public_key, sizeof pk) != 0)
            return PS_ERR_CRYPTO;
        return PS_OK;
    }
    k->secret_ = sodium_malloc(PRIV_BYTES);
    if (!k->secret_)
        return PS_ERR_NOMEM;
    memcpy(k->secret_, priv, PRIV_BYTES);
    EVP_PKEY *pkey = NULL;
    enum ps_err e = es256_from_raw(priv, k->public_key, k->public_len, &pkey);
    k->pkey_ = pkey;
    return e;
}

const unsigned char *ps_key_ed25519_sk(const struct ps_key *k)
{
    return k->alg == PS_ALG_ED25519 ? k->secret_ : NULL;
}

enum ps_err ps_key_sign(const struct ps_key *k, const unsigned char *msg, size_t n,
                        unsigned char sig[64], size_t *sig_len, struct ps_diag *diag)
{
    if (k->alg == PS_ALG_ED25519) {
        unsigned long long sl = 0;
        if (crypto_sign_detached(sig, &sl, msg, n, k->secret_) != 0)
            return ps_diag_set(diag, PS_ERR_CRYPTO, "Ed25519 signing failed");
        *sig_len = (size_t)sl;
        return PS_OK;
    }
    enum ps_err e = PS_ERR_CRYPTO;
    unsigned char der[80];
    size_t derlen = sizeof der;
    ECDSA_SIG *es = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k->pkey_, NULL) != 1 ||
        EVP_DigestSign(md, der, &derlen, msg, n) != 1)
        goto out;
    const unsigned char *p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!es)
        goto out;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
        goto out;
    *sig_len = 64;
    e = PS_OK;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    if (e != PS_OK)
        ps_diag_set(diag, e, "ES256 signing failed");
    return e;
}

/* ---- verifying ---- */

/* An ES256 public key from its uncompressed point (0x04 || X || Y). */
static EVP_PKEY *es256_public(const unsigned char *pub, size_t publen)
{
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (!bld || !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, publen))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
        pkey = NULL;
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

/* r || s (32 bytes each) as the DER ECDSA-Sig-Value OpenSSL verifies; *der is OpenSSL's. */
static int es256_der(const unsigned char sig[64], unsigned char **der)
{
    int n = -1;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    if (es && r && s && ECDSA_SIG_set0(es, r, s) == 1) {
        r = s = NULL; /* owned by es now */
        n = i2d_ECDSA_SIG(es, der);
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return n;
}

static enum ps_err es256_verify(const unsigned char *pub, size_t publen, const unsigned char *msg,
                                size_t n, const unsigned char sig[64])
{
    enum ps_err e = PS_ERR_CRYPTO;
    unsigned char *der = NULL;
    EVP_PKEY *pkey = es256_public(pub, publen);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int derlen = es256_der(sig, &der);
    if (pkey && md && derlen > 0 &&
        EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pkey, NULL) == 1 &&
        EVP_DigestVerify(md, der, (size_t)derlen, msg, n) == 1)
        e = PS_OK;
    OPENSSL_free(der);
    EVP_MD_CTX_free(md);
    EVP_PKEY_free(pkey);
    return e;
}

enum ps_err ps_key_verify(enum ps_key_alg alg, const unsigned char *pub, size_t publen,
                          const unsigned char *msg, size_t n, const unsigned char *sig,
                          size_t siglen, struct ps_diag *diag)
{
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    if (alg == PS_ALG_ED25519) {
        if (publen != crypto_sign_PUBLICKEYBYTES || siglen != crypto_sign_BYTES)
            return ps_diag_set(diag, PS_ERR_CRYPTO, "malformed Ed25519 key or signature");
        if (crypto_sign_verify_detached(sig, msg, n, pub) != 0)
            return ps_diag_set(diag, PS_ERR_CRYPTO, "Ed25519 signature does not verify");
        return PS_OK;
    }
    if (publen != 65 || pub[0] != 0x04 || siglen != 64)
        return ps_diag_set(diag, PS_ERR_CRYPTO, "malformed ES256 key or signature");
    if (es256_verify(pub, publen, msg, n, sig) != PS_OK)
        return ps_diag_set(diag, PS_ERR_CRYPTO, "ES256 signature does not verify");
    return PS_OK;
}

/* ---- sealed keys ---- */

enum ps_err ps_keys_create_sealed(const struct ps_master_key *m, enum ps_key_purpose purpose,
                                  struct ps_sealed_key *out, struct ps_diag *diag)
{
    const char *pname = ps_key_purpose_name(purpose);
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    unsigned char *priv = sodium_malloc(PRIV_BYTES);
    if (!priv)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
    memset(out, 0, sizeof *out);
    struct ps_uuid id = ps_uuid7();
    ps_uuid_fmt(&id, out->id);
    out->purpose = purpose;
    e = keypair_new(ps_key_purpose_alg(purpose), priv, out->public_key, &out->public_len);
    if (e == PS_OK)
        e = ps_keys_seal(m, ps_str_from_cstr(out->id), ps_str_from_cstr(pname), priv, PRIV_BYTES,
                         out->sealed, sizeof out->sealed, &out->sealed_len);
    sodium_free(priv); /* wipes */
    if (e != PS_OK)
        return ps_diag_set(diag, e, "generating the %s key failed", pname);
    return PS_OK;
}

enum ps_err ps_keys_open_sealed(const struct ps_master_key *m, const struct ps_sealed_key *sk,
                                struct ps_key **out, struct ps_diag *diag)
{
    *out = NULL;
    const char *pname = ps_key_purpose_name(sk->purpose);
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    struct ps_key *k = ps_calloc(1, sizeof *k);
    unsigned char *priv = sodium_malloc(PRIV_BYTES);
    size_t plen = 0;
    if (!k || !priv) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(k->id, sk->id, sizeof k->id);
    k->id[sizeof k->id - 1] = '\0';
    k->purpose = sk->purpose;
    k->alg = ps_key_purpose_alg(sk->purpose);
    k->public_len = sk->public_len < sizeof k->public_key ? sk->public_len : sizeof k->public_key;
    memcpy(k->public_key, sk->public_key, k->public_len);
    e = ps_keys_unseal(m, ps_str_from_cstr(k->id), ps_str_from_cstr(pname), sk->sealed,
                       sk->sealed_len, priv, PRIV_BYTES, &plen);
    if (e == PS_OK && plen != PRIV_BYTES)
        e = PS_ERR_CRYPTO;
    if (e == PS_OK)
        e = key_from_priv(k, priv);
    if (e != PS_OK) {
        e = e == PS_ERR_NOMEM ? e : PS_ERR_CRYPTO;
        ps_diag_set(diag, e, "cannot open the %s key %s: wrong master key or tampered row",
                    pname, k->id);
        goto out;
    }
    *out = k;
    k = NULL;
out:
    if (priv)
        sodium_free(priv);
    ps_key_free(k);
    return e;
}
/* ---- the admin token ---- */

void ps_admin_token_hash(struct ps_str token, unsigned char hash[32])
{
    PS_ASSERT(sodium_init() >= 0);
    crypto_hash_sha256(hash, (const unsigned char *)token.p, token.len);
}

void ps_admin_token_new(char out[PS_ADMIN_TOKEN_MAX], unsigned char hash[32])
{
    static const char prefix[] = PS_ADMIN_TOKEN_PREFIX;
    unsigned char raw[32];
    PS_ASSERT(sodium_init() >= 0);
    ps_random_bytes(raw, sizeof raw);
    memcpy(out, prefix, sizeof prefix - 1);
    sodium_bin2base64(out + sizeof prefix - 1, PS_ADMIN_TOKEN_MAX - (sizeof prefix - 1), raw,
                      sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    ps_admin_token_hash(ps_str_from_cstr(out), hash);
}

bool ps_admin_token_check(struct ps_str token, const unsigned char hash[32])
{
    unsigned char h[32];
    ps_admin_token_hash(token, h);
    bool ok = sodium_memcmp(h, hash, sizeof h) == 0;
    sodium_memzero(h, sizeof h);
    return ok;
}

