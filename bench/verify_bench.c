/* Offline verification speed of PS1 presentations on one core (bench/verify.sh):
 *   ours: psv_verify on a server-made presentation (base45, inflate, CBOR, COSE_Sign1, CWT,
 *         trust list lookup, signature, claims JSON) - ES256 and EdDSA; and on an offline
 *         holder presentation (two signatures, disclosures);
 *   bare: OpenSSL's EVP_DigestVerify of the same signature over the same Sig_structure, in a
 *         loop (the crypto library's limit).
 * Writes the payloads and issuer keys to OUTDIR for the Node.js peer (bench/verify_peer.mjs).
 *   verify_bench OUTDIR [SECONDS]
 * Prints "RESULT <case> ours=<per s> bare=<per s>" lines. */
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "documents/cose_encode.h"
#include "verify_fixture.h"

static struct fixture F;
static double seconds = 3.0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double rate_ours(const char *qr)
{
    struct psv_params p = {.trust = F.trust, .now = FIX_NOW + 10};
    size_t n = strlen(qr);
    long count = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 64; i++) {
            struct psv_result r;
            NEED(psv_verify(&p, qr, n, &r) == PSV_OK);
            psv_result_free(&r);
        }
        count += 64;
    } while ((t = now_s() - t0) < seconds);
    return count / t;
}

/* The Sig_structure and DER/raw signature of the presentation, verified bare. */
static double rate_bare(const char *qr, EVP_PKEY *pkey, int alg)
{
    struct ps_buf raw = {0};
    fixture_unwrap(qr, &raw);
    /* tag 18, array 4, bstr protected (short), {}, bstr payload, bstr(64) signature */
    const uint8_t *b = (const uint8_t *)raw.p;
    NEED(b[0] == 0xd2 && b[1] == 0x84 && b[2] >= 0x40 && b[2] < 0x58);
    size_t plen = b[2] - 0x40, off = 3 + plen;
    NEED(b[off] == 0xa0);
    off++;
    size_t pay_hdr = b[off] == 0x58 ? 2 : b[off] == 0x59 ? 3 : 1;
    size_t pay_len = pay_hdr == 2 ? b[off + 1] : pay_hdr == 3 ? (size_t)b[off + 1] << 8 | b[off + 2]
                                                              : (size_t)(b[off] - 0x40);
    const uint8_t *payload = b + off + pay_hdr, *sig = payload + pay_len + 2;
    struct ps_buf tbs;
    ps_buf_init(&tbs, 1 << 16);
    NEED(ps_buf_append(&tbs, "\x84\x6aSignature1", 12) == PS_OK);
    NEED(ps_buf_append(&tbs, b + 2, 1 + plen) == PS_OK);
    NEED(ps_buf_append(&tbs, "\x40", 1) == PS_OK);
    NEED(ps_buf_append(&tbs, b + off, pay_hdr + pay_len) == PS_OK);
    uint8_t der[80];
    size_t der_len = 64;
    if (alg == -7) { /* raw r||s -> DER, as any OpenSSL user would do once per signature */
        ECDSA_SIG *s = ECDSA_SIG_new();
        NEED(s && ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) == 1);
        unsigned char *p = der;
        der_len = (size_t)i2d_ECDSA_SIG(s, &p);
        ECDSA_SIG_free(s);
    } else {
        memcpy(der, sig, 64);
    }
    long count = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 64; i++) {
            EVP_MD_CTX *ctx = EVP_MD_CTX_new();
            NEED(EVP_DigestVerifyInit(ctx, NULL, alg == -7 ? EVP_sha256() : NULL, NULL, pkey) == 1);
            NEED(EVP_DigestVerify(ctx, der, der_len, (const uint8_t *)tbs.p, tbs.len) == 1);
            EVP_MD_CTX_free(ctx);
        }
        count += 64;
    } while ((t = now_s() - t0) < seconds);
    ps_buf_reset(&tbs);
    ps_buf_reset(&raw);
    return count / t;
}

static void put(const char *dir, const char *name, const char *text, size_t n)
{
    char path[1024];
    NEED(snprintf(path, sizeof path, "%s/%s", dir, name) < (int)sizeof path);
    FILE *f = fopen(path, "w");
    NEED(f && fwrite(text, 1, n, f) == n && fclose(f) == 0);
}

static void one(const char *dir, const char *name, const struct ps_doc_signer *s,
                struct ps_doc_soft_key *k, const char *iss, const char *type)
{
    struct ps_doc_header h = fixture_header();
    h.iss = iss;
    h.type = type;
    struct ps_buf qr, jwk;
    ps_buf_init(&qr, 1 << 16);
    ps_buf_init(&jwk, 4096);
    NEED(ps_doc_ps1_present(&h, FIX_CLAIMS, 4, FIX_NOW, s, &qr) == PS_OK);
    NEED(ps_doc_soft_key_jwk(k, &jwk) == PS_OK);
    char file[64];
    snprintf(file, sizeof file, "%s.txt", name);
    put(dir, file, qr.p, qr.len);
    snprintf(file, sizeof file, "%s.jwk", name);
    put(dir, file, jwk.p, jwk.len);
    double ours = rate_ours(qr.p), bare = rate_bare(qr.p, ps_doc_soft_key_pkey(k), s->alg);
    printf("RESULT %s ours=%.0f bare=%.0f bytes=%zu\n", name, ours, bare, qr.len);
    fflush(stdout);
    ps_buf_reset(&jwk);
    ps_buf_reset(&qr);
}

static void holder(void)
{
    uint8_t x[32], y[32];
    NEED(ps_doc_soft_key_p256(F.holder, x, y) == PS_OK);
    struct ps_doc_header h = fixture_header();
    struct ps_doc_credential c;
    NEED(ps_doc_ps1_credential(&h, FIX_CLAIMS, 4, x, y, &F.es_s, NULL, &c) == PS_OK);
    size_t pick[] = {0, 3};
    struct ps_buf qr;
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present_holder(&c, pick, 2, FIX_NOW, &F.holder_s, &qr) == PS_OK);
    printf("RESULT holder ours=%.0f bytes=%zu\n", rate_ours(qr.p), qr.len);
    ps_buf_reset(&qr);
    ps_doc_credential_reset(&c);
}

int main(int argc, char **argv)
{
    NEED(argc == 2 || argc == 3);
    if (argc == 3)
        seconds = atof(argv[2]);
    fixture_init(&F);
    one(argv[1], "es256", &F.es_s, F.es, "ua.mvs", "ua.id-card");
    one(argv[1], "eddsa", &F.ed_s, F.ed, "ua.hsc", "ua.driving-licence");
    holder();
    fixture_free(&F);
    return 0;
}
