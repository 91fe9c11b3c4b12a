/* Offline verification speed of PS1 presentations on one core (bench/verify.sh):
 *   ours: psv_verify on a server-made presentation (base45, inflate, CBOR, COSE_Sign1, CWT,
 *         trust list lookup, signature, claims JSON) - ES256 and EdDSA; and on an offline
 *         holder presentation (two signatures, disclosures);
 *   bare: OpenSSL's EVP_DigestVerify of the same signature over the same Sig_structure, in a
 *         loop (the crypto library's limit).
 * Writes the payloads and issuer keys to OUTDIR for the Node.js peer (bench/verify_peer.mjs).
 *   verify_bench OUTDIR [SECONDS]
 * ours and bare alternate in 50 ms slices (load from other processes falls on both alike).
 * Prints "RESULT <case> ours=<per s> bare=<per s>" lines and the per-verification cost of
 * everything but the signature ("RESULT overhead us=..."). */
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <stdbool.h>
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

/* One measurement: a function verifying once, and its accumulated count and time. */
struct meter {
    bool (*once)(void *ctx);
    void *ctx;
    long count;
    double time;
};

/* Runs m for slice seconds (at least 16 verifications) and adds to its totals. */
static void run_slice(struct meter *m, double slice)
{
    double t0 = now_s(), t;
    long n = 0;
    do {
        for (int i = 0; i < 16; i++)
            NEED(m->once(m->ctx));
        n += 16;
    } while ((t = now_s() - t0) < slice);
    m->count += n;
    m->time += t;
}

/* ours and bare alternate in 50 ms slices, so that load from other processes on a shared
 * machine falls on both alike. */
static void measure(struct meter *a, struct meter *b)
{
    double end = now_s() + 2 * seconds;
    while (now_s() < end) {
        run_slice(a, 0.05);
        if (b)
            run_slice(b, 0.05);
    }
}

struct ours_ctx {
    const char *qr;
    size_t len;
    enum psv_error want;
};

static bool ours_once(void *p)
{
    struct ours_ctx *c = p;
    struct psv_params prm = {.trust = F.trust, .now = FIX_NOW + 10};
    struct psv_result r;
    bool ok = psv_verify(&prm, c->qr, c->len, &r) == c->want;
    psv_result_free(&r);
    return ok;
}

struct bare_ctx {
    EVP_PKEY *pkey;
    int alg;
    const uint8_t *tbs, *sig;
    size_t tbs_len, sig_len;
};

static bool bare_once(void *p)
{
    struct bare_ctx *c = p;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, c->alg == -7 ? EVP_sha256() : NULL, NULL,
                                          c->pkey) == 1 &&
              EVP_DigestVerify(ctx, c->sig, c->sig_len, c->tbs, c->tbs_len) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

/* The Sig_structure and DER (ES256) or raw (EdDSA) signature of a server presentation. */
static void bare_setup(const char *qr, struct ps_buf *raw, struct ps_buf *tbs, uint8_t der[80],
                       struct bare_ctx *c)
{
    fixture_unwrap(qr, raw);
    /* tag 18, array 4, bstr protected (short), {}, bstr payload, bstr(64) signature */
    const uint8_t *b = (const uint8_t *)raw->p;
    NEED(b[0] == 0xd2 && b[1] == 0x84 && b[2] >= 0x40 && b[2] < 0x58);
    size_t plen = b[2] - 0x40, off = 3 + plen;
    NEED(b[off] == 0xa0);
    off++;
    size_t hdr = b[off] == 0x58 ? 2 : b[off] == 0x59 ? 3 : 1;
    size_t pay_len = hdr == 2 ? b[off + 1] : hdr == 3 ? (size_t)b[off + 1] << 8 | b[off + 2]
                                                      : (size_t)(b[off] - 0x40);
    const uint8_t *sig = b + off + hdr + pay_len + 2;
    ps_buf_init(tbs, 1 << 16);
    NEED(ps_buf_append(tbs, "\x84\x6aSignature1", 12) == PS_OK);
    NEED(ps_buf_append(tbs, b + 2, 1 + plen) == PS_OK);
    NEED(ps_buf_append(tbs, "\x40", 1) == PS_OK);
    NEED(ps_buf_append(tbs, b + off, hdr + pay_len) == PS_OK);
    c->sig_len = 64;
    if (c->alg == -7) { /* raw r||s -> DER, as any OpenSSL user would do once */
        ECDSA_SIG *s = ECDSA_SIG_new();
        NEED(s && ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL)) == 1);
        unsigned char *p = der;
        c->sig_len = (size_t)i2d_ECDSA_SIG(s, &p);
        ECDSA_SIG_free(s);
    } else {
        memcpy(der, sig, 64);
    }
    c->sig = der;
    c->tbs = (const uint8_t *)tbs->p;
    c->tbs_len = tbs->len;
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
    struct ours_ctx oc = {qr.p, qr.len, PSV_OK};
    struct bare_ctx bc = {.pkey = ps_doc_soft_key_pkey(k), .alg = s->alg};
    struct ps_buf raw = {0}, tbs = {0};
    uint8_t der[80];
    bare_setup(qr.p, &raw, &tbs, der, &bc);
    struct meter ours = {ours_once, &oc, 0, 0}, bare = {bare_once, &bc, 0, 0};
    measure(&ours, &bare);
    printf("RESULT %s ours=%.0f bare=%.0f bytes=%zu\n", name, ours.count / ours.time,
           bare.count / bare.time, qr.len);
    fflush(stdout);
    ps_buf_reset(&tbs);
    ps_buf_reset(&raw);
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
    struct ours_ctx oc = {qr.p, qr.len, PSV_OK};
    struct meter m = {ours_once, &oc, 0, 0};
    measure(&m, NULL);
    printf("RESULT holder ours=%.0f bytes=%zu\n", m.count / m.time, qr.len);
    ps_buf_reset(&qr);
    ps_doc_credential_reset(&c);
}

/* Everything but the signature: the ES256 presentation with an unknown kid (decoding, CWT,
 * Sig_structure, lookup), in microseconds per verification. */
static void overhead(void)
{
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0}, raw = {0}, out = {0};
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present(&h, FIX_CLAIMS, 4, FIX_NOW, &F.es_s, &qr) == PS_OK);
    fixture_unwrap(qr.p, &raw);
    char *kid = memmem(raw.p, raw.len, "es-1", 4);
    NEED(kid);
    memcpy(kid, "zz-9", 4);
    fixture_wrap("PS1:", raw.p, raw.len, &out);
    struct ours_ctx oc = {out.p, out.len, PSV_E_UNKNOWN_KEY};
    struct meter m = {ours_once, &oc, 0, 0};
    measure(&m, NULL);
    printf("RESULT overhead us=%.2f\n", 1e6 * m.time / m.count);
    ps_buf_reset(&out);
    ps_buf_reset(&raw);
    ps_buf_reset(&qr);
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
    overhead();
    fixture_free(&F);
    return 0;
}
