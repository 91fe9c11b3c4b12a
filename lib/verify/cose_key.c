/* COSE_Key (RFC 9052 section 7, RFC 9053 sections 7.1-7.2, RFC 8230 for RSA) into a ready
 * EVP_PKEY: EC2 P-256, OKP Ed25519, RSA 2048-4096 bits. The key's alg parameter, when
 * present, binds it to that algorithm (no algorithm confusion). */
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <stdlib.h>
#include <string.h>

#include "psv_int.h"

EVP_PKEY *psv_pkey_p256(const uint8_t *x, const uint8_t *y)
{
    uint8_t pub[65];
    pub[0] = 0x04;
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    char group[] = "prime256v1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *pkey = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        (void)EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
    EVP_PKEY_CTX_free(ctx);
    return pkey; /* NULL for a point not on the curve */
}

EVP_PKEY *psv_pkey_ed25519(const uint8_t *x)
{
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
}

EVP_PKEY *psv_pkey_rsa(const uint8_t *n, size_t nl, const uint8_t *e, size_t el)
{
    EVP_PKEY *pkey = NULL;
    BIGNUM *bn = BN_bin2bn(n, (int)nl, NULL);
    BIGNUM *be = BN_bin2bn(e, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    if (!bn || !be || !bld || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
        (void)EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(be);
    BN_free(bn);
    return pkey;
}

static bool is_bytes(const struct psv_item *it, size_t len)
{
    return it && it->type == PSV_ITEM_BYTES && !it->ntags && (len == 0 || it->len == len);
}

static enum psv_error ec2_okp(const struct psv_item *map, int64_t kty,
                              struct psv_cose_key *key, struct psv_diag *d)
{
    int64_t crv;
    const struct psv_item *x = psv_map_int(map, -2), *y = psv_map_int(map, -3);
    if (!psv_item_int(psv_map_int(map, -1), &crv))
        return psv_fail(d, PSV_E_COSE, "COSE_Key without an integer crv (-1)");
    if (kty == PSV_KTY_EC2) {
        if (crv != 1)
            return psv_fail(d, PSV_E_ALGORITHM, "EC2 curve %lld not supported (P-256 only)",
                            (long long)crv);
        if (!is_bytes(x, 32) || !is_bytes(y, 32))
            return psv_fail(d, PSV_E_COSE, "EC2 key needs x and y of 32 bytes "
                                           "(compressed points not supported)");
        key->pkey = psv_pkey_p256(x->p, y->p);
    } else {
        if (crv != 6)
            return psv_fail(d, PSV_E_ALGORITHM, "OKP curve %lld not supported (Ed25519 only)",
                            (long long)crv);
        if (!is_bytes(x, 32) || y)
            return psv_fail(d, PSV_E_COSE, "Ed25519 key needs x of 32 bytes and no y");
        key->pkey = psv_pkey_ed25519(x->p);
    }
    if (!key->pkey)
        return psv_fail(d, PSV_E_COSE, "public key is not a valid point");
    return PSV_OK;
}

enum psv_error psv_cose_key_from_item(const struct psv_item *map, struct psv_cose_key *key,
                                      struct psv_diag *d)
{
    *key = (struct psv_cose_key){0};
    if (!map || map->type != PSV_ITEM_MAP)
        return psv_fail(d, PSV_E_COSE, "COSE_Key is not a map");
    int64_t kty, alg = 0;
    if (!psv_item_int(psv_map_int(map, 1), &kty))
        return psv_fail(d, PSV_E_COSE, "COSE_Key without an integer kty (1)");
    const struct psv_item *a = psv_map_int(map, 3);
    if (a && !psv_item_int(a, &alg))
        return psv_fail(d, PSV_E_COSE, "COSE_Key alg (3) is not an integer");
    enum psv_error e;
    if (kty == PSV_KTY_EC2 || kty == PSV_KTY_OKP) {
        if ((e = ec2_okp(map, kty, key, d)) != PSV_OK)
            return e;
    } else if (kty == PSV_KTY_RSA) {
        const struct psv_item *n = psv_map_int(map, -1), *ex = psv_map_int(map, -2);
        if (!is_bytes(n, 0) || !is_bytes(ex, 0) || n->len < 256 || n->len > 512 ||
            n->p[0] == 0 || ex->len == 0 || ex->len > 8)
            return psv_fail(d, PSV_E_COSE, "RSA key needs n of 2048-4096 bits and e");
        if (!(key->pkey = psv_pkey_rsa(n->p, n->len, ex->p, ex->len)))
            return psv_fail(d, PSV_E_COSE, "RSA key rejected by OpenSSL");
    } else {
        return psv_fail(d, PSV_E_ALGORITHM, "COSE key type %lld not supported", (long long)kty);
    }
    key->kty = (int)kty;
    key->alg = (int)alg;
    if (alg != 0 && !psv_alg_fits_pkey((int)alg, key->pkey)) {
        EVP_PKEY_free(key->pkey);
        key->pkey = NULL;
        return psv_fail(d, PSV_E_ALGORITHM, "alg %lld does not fit the key type", (long long)alg);
    }
    return PSV_OK;
}

enum psv_error psv_cose_key_parse(const uint8_t *cbor, size_t len, psv_cose_key **out,
                                  struct psv_diag *diag)
{
    if (!cbor || !out)
        return psv_fail(diag, PSV_E_USAGE, "NULL argument");
    *out = NULL;
    struct psv_mem *m = psv_mem_new(64 * 1024);
    if (!m)
        return psv_fail(diag, PSV_E_USAGE, "out of memory");
    const struct psv_cbor_limits lim = {.max_depth = 4, .max_items = 64};
    const struct psv_item *it = NULL;
    struct psv_cose_key key;
    enum psv_error e = psv_cbor_parse(m, cbor, len, &lim, &it, diag);
    if (e == PSV_OK)
        e = psv_cose_key_from_item(it, &key, diag);
    psv_mem_free(m);
    if (e != PSV_OK)
        return e;
    if (!(*out = malloc(sizeof **out))) {
        EVP_PKEY_free(key.pkey);
        return psv_fail(diag, PSV_E_USAGE, "out of memory");
    }
    **out = key;
    return PSV_OK;
}

void psv_cose_key_free(psv_cose_key *key)
{
    if (!key)
        return;
    EVP_PKEY_free(key->pkey);
    free(key);
}

int psv_cose_key_kty(const psv_cose_key *key) { return key ? key->kty : 0; }
int psv_cose_key_alg(const psv_cose_key *key) { return key ? key->alg : 0; }

enum psv_error psv_cose_key_verify(const psv_cose_key *key, int64_t alg, const uint8_t *msg,
                                   size_t msg_len, const uint8_t *sig, size_t sig_len,
                                   unsigned flags)
{
    if (!key || !key->pkey || (!msg && msg_len) || !sig)
        return PSV_E_USAGE;
    if (alg < INT32_MIN || alg > INT32_MAX || (key->alg != 0 && alg != key->alg) ||
        !psv_alg_fits_pkey((int)alg, key->pkey))
        return PSV_E_ALGORITHM;
    return psv_sig_verify(key->pkey, (int)alg, msg, msg_len, sig, sig_len, flags, NULL);
}
