/* The trust store: keys parsed once into ready EVP_PKEYs, from the PocketState trust list (a
 * flattened JWS JSON serialization, RFC 7515 section 7.2.2, signed by the platform root;
 * docs/formats/trust-list.md) or from X.509 signer certificates (HC1). Immutable once
 * loaded, so threads share it without locks. jansson parses the JSON (once per load, not
 * per verification; bounded by PSV_TRUST_MAX_JSON). */
#include <openssl/core_names.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#include "psv_int.h"

#define PSV_TRUST_MAX_JSON (4u << 20)
#define MAX_KEYS 100000u

psv_trust *psv_trust_new(void)
{
    return calloc(1, sizeof(psv_trust));
}

static void tkey_clear(struct psv_tkey *k)
{
    EVP_PKEY_free(k->pkey);
    free(k->issuer);
    if (k->types)
        for (char **t = k->types; *t; t++)
            free(*t);
    free(k->types);
}

void psv_trust_free(psv_trust *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        tkey_clear(&t->keys[i]);
    free(t->keys);
    free(t);
}

size_t psv_trust_count(const psv_trust *t) { return t ? t->n : 0; }

void psv_trust_truncate(psv_trust *t, size_t n)
{
    while (t->n > n)
        tkey_clear(&t->keys[--t->n]);
}

/* Takes ownership of k's allocations (cleared on failure). */
enum psv_error psv_trust_add_key(psv_trust *t, struct psv_tkey *k, struct psv_diag *d)
{
    if (t->n == MAX_KEYS) {
        tkey_clear(k);
        return psv_fail(d, PSV_E_TRUST_LIST, "more than %u keys", MAX_KEYS);
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        struct psv_tkey *nk = realloc(t->keys, cap * sizeof *nk);
        if (!nk) {
            tkey_clear(k);
            return psv_fail(d, PSV_E_USAGE, "out of memory");
        }
        t->keys = nk;
        t->cap = cap;
    }
    t->keys[t->n++] = *k;
    return PSV_OK;
}

const struct psv_tkey *psv_trust_next(const psv_trust *t, const uint8_t *kid, size_t kid_len,
                                      size_t *pos)
{
    for (; *pos < t->n; (*pos)++) {
        const struct psv_tkey *k = &t->keys[*pos];
        if (k->kid_len == kid_len && memcmp(k->kid, kid, kid_len) == 0) {
            (*pos)++;
            return k;
        }
    }
    return NULL;
}

bool psv_tkey_allows_type(const struct psv_tkey *k, const char *type, size_t len)
{
    if (!k->types)
        return true;
    for (char **t = k->types; *t; t++)
        if (strlen(*t) == len && memcmp(*t, type, len) == 0)
            return true;
    return false;
}

/* ---- X.509 signer certificates (HC1) ---- */

static int64_t asn1_time_unix(const ASN1_TIME *t)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return 0;
    return (int64_t)timegm(&tm);
}

enum psv_error psv_trust_add_cert_der(psv_trust *t, const uint8_t *der, size_t len,
                                      struct psv_diag *d)
{
    if (!t || !der || len == 0 || len > 65536)
        return psv_fail(d, PSV_E_USAGE, "bad arguments (certificate of 1-65536 bytes)");
    const unsigned char *p = der;
    X509 *x = d2i_X509(NULL, &p, (long)len);
    if (!x || (size_t)(p - der) != len) {
        X509_free(x);
        return psv_fail(d, PSV_E_TRUST_LIST, "not a DER X.509 certificate");
    }
    struct psv_tkey k = {.kid_len = 8, .uses = PSV_USE_DOCUMENTS};
    uint8_t h[32];
    EVP_Digest(der, len, h, NULL, EVP_sha256(), NULL);
    memcpy(k.kid, h, 8);
    k.pkey = X509_get_pubkey(x);
    k.nbf = asn1_time_unix(X509_get0_notBefore(x));
    k.exp = asn1_time_unix(X509_get0_notAfter(x));
    X509_free(x);
    if (!k.pkey)
        return psv_fail(d, PSV_E_TRUST_LIST, "certificate public key unreadable");
    k.alg = psv_alg_fits_pkey(PSV_ALG_ES256, k.pkey)   ? PSV_ALG_ES256
            : psv_alg_fits_pkey(PSV_ALG_PS256, k.pkey) ? PSV_ALG_PS256
            : psv_alg_fits_pkey(PSV_ALG_EDDSA, k.pkey) ? PSV_ALG_EDDSA
                                                        : 0;
    if (k.alg == 0 || (k.alg == PSV_ALG_PS256 && EVP_PKEY_get_bits(k.pkey) < 2048)) {
        tkey_clear(&k);
        return psv_fail(d, PSV_E_TRUST_LIST, "certificate key is not P-256, Ed25519 or RSA >= 2048");
    }
    return psv_trust_add_key(t, &k, d);
}

enum psv_error psv_trust_add_cert_pem(psv_trust *t, const char *pem, size_t len,
                                      struct psv_diag *d)
{
    if (!t || !pem || len == 0 || len > PSV_TRUST_MAX_JSON)
        return psv_fail(d, PSV_E_USAGE, "bad arguments");
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    if (!bio)
        return psv_fail(d, PSV_E_USAGE, "out of memory");
    size_t added = 0;
    enum psv_error e = PSV_OK;
    X509 *x;
    while (e == PSV_OK && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
        unsigned char *der = NULL;
        int n = i2d_X509(x, &der);
        X509_free(x);
        e = n > 0 ? psv_trust_add_cert_der(t, der, (size_t)n, d)
                  : psv_fail(d, PSV_E_TRUST_LIST, "certificate cannot be re-encoded");
        OPENSSL_free(der);
        added += e == PSV_OK;
    }
    BIO_free(bio);
    if (e == PSV_OK && added == 0)
        return psv_fail(d, PSV_E_TRUST_LIST, "no PEM certificate found");
    return e;
}
