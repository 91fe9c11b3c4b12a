/* Writes the seed corpora of the libpsverify fuzz targets (fuzz/corpus/psv_<layer>/): valid
 * payloads made by the server's encoders and each layer's broken variants (truncated, bit
 * flips, limits +-1, wrong types). Run by fuzz/make_psv_seeds.sh; the seeds are committed.
 *   psv_seeds CORPUS-DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "documents/cbor_write.h"
#include "documents/cose_encode.h"
#include "documents/statuslist_encode.h"
#include "verify_fixture.h"

static const char *root;

static void seed(const char *target, const char *name, const void *p, size_t n)
{
    char path[1024];
    NEED(snprintf(path, sizeof path, "%s/%s", root, target) < (int)sizeof path);
    mkdir(path, 0755);
    NEED(snprintf(path, sizeof path, "%s/%s/seed_%s", root, target, name) < (int)sizeof path);
    FILE *f = fopen(path, "wb");
    NEED(f && fwrite(p, 1, n, f) == n && fclose(f) == 0);
}

/* A payload at every layer: text, its base45 part, the zlib stream, the CBOR. */
static void layers(const char *name, const char *qr)
{
    size_t n = strlen(qr);
    seed("psv_verify", name, qr, n);
    char tname[64];
    NEED(snprintf(tname, sizeof tname, "%s_trunc", name) < (int)sizeof tname);
    seed("psv_verify", tname, qr, n / 2);
    seed("psv_base45", name, qr + 4, n - 4);
    uint8_t *z = malloc(n);
    size_t zl = 0;
    NEED(z && psv_base45_decode(qr + 4, n - 4, z, n, &zl) == PSV_OK);
    seed("psv_inflate", name, z, zl);
    struct ps_buf raw = {0};
    fixture_unwrap(qr, &raw);
    seed("psv_cbor", name, raw.p, raw.len);
    seed("psv_cose", name, raw.p, raw.len);
    free(z);
    ps_buf_reset(&raw);
}

static void presentations(struct fixture *f)
{
    struct ps_doc_header h = fixture_header();
    h.status_uri = "https://id.example/status/1";
    struct ps_buf qr;
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present(&h, FIX_CLAIMS, 4, FIX_NOW, &f->es_s, &qr) == PS_OK);
    layers("ps1_es256", qr.p);
    ps_buf_reset(&qr);
    h.iss = "ua.hsc";
    h.type = "ua.driving-licence";
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present(&h, FIX_CLAIMS, 2, FIX_NOW, &f->ed_s, &qr) == PS_OK);
    layers("ps1_eddsa", qr.p);
    ps_buf_reset(&qr);
    uint8_t x[32], y[32];
    NEED(ps_doc_soft_key_p256(f->holder, x, y) == PS_OK);
    struct ps_doc_credential c;
    h = fixture_header();
    NEED(ps_doc_ps1_credential(&h, FIX_CLAIMS, 4, x, y, &f->es_s, NULL, &c) == PS_OK);
    size_t pick[] = {0, 2, 3};
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present_holder(&c, pick, 3, FIX_NOW, &f->holder_s, &qr) == PS_OK);
    layers("ps1_holder", qr.p);
    ps_buf_reset(&qr);
    seed("psv_cose", "credential", c.cose.p, c.cose.len);
    seed("psv_cbor", "disclosure", c.disc.p, c.off[1]);
    ps_doc_credential_reset(&c);
}

static void cbor_edges(void)
{
    static const uint8_t dup[] = {0xa2, 0x01, 0x00, 0x01, 0x00};
    static const uint8_t indef[] = {0xbf, 0x61, 'a', 0x9f, 0x01, 0xff, 0xff};
    static const uint8_t istr[] = {0x5f, 0x41, 0x00, 0xff};
    static const uint8_t tags[] = {0xd8, 0x3d, 0xd2, 0xd8, 0x20, 0x01};
    static const uint8_t floats[] = {0x83, 0xf9, 0x7c, 0x00, 0xfa, 0x7f, 0xc0, 0x00, 0x00, 0xfb,
                                     0x41, 0xd8, 0x28, 0xa0, 0x1f, 0x31, 0xeb, 0x85};
    static const uint8_t huge[] = {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    static const uint8_t reserved[] = {0x1c};
    static const uint8_t simple[] = {0x82, 0xf0, 0xf8, 0x20};
    uint8_t deep[20];
    memset(deep, 0x81, sizeof deep);
    deep[19] = 0;
    seed("psv_cbor", "dup", dup, sizeof dup);
    seed("psv_cbor", "indef", indef, sizeof indef);
    seed("psv_cbor", "istr", istr, sizeof istr);
    seed("psv_cbor", "tags", tags, sizeof tags);
    seed("psv_cbor", "floats", floats, sizeof floats);
    seed("psv_cbor", "huge", huge, sizeof huge);
    seed("psv_cbor", "reserved", reserved, sizeof reserved);
    seed("psv_cbor", "simple", simple, sizeof simple);
    seed("psv_cbor", "deep", deep, sizeof deep);
    /* COSE headers: crit with an unknown label, alg unprotected, kid as text */
    static const uint8_t crit[] = {0xd2, 0x84, 0x4a, 0xa3, 0x01, 0x26, 0x02, 0x81, 0x18, 0x63,
                                   0x18, 0x63, 0x00, 0xa0, 0x41, 0xa0, 0x40};
    static const uint8_t alg_u[] = {0x84, 0x40, 0xa2, 0x01, 0x26, 0x04, 0x41, 'k', 0x41, 0xa0, 0x40};
    static const uint8_t cose_key[] = {0xa4, 0x01, 0x01, 0x20, 0x06, 0x21, 0x58, 0x20,
                                       1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                       17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
                                       31, 32, 0x03, 0x27};
    seed("psv_cose", "crit", crit, sizeof crit);
    seed("psv_cose", "alg_unprotected", alg_u, sizeof alg_u);
    seed("psv_cose", "okp_key", cose_key, sizeof cose_key);
}

static void cwt_claims(void)
{
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    NEED(ps_cbor_head(&b, 5, 5) == PS_OK && ps_cbor_int(&b, 1) == PS_OK &&
         ps_cbor_cstr(&b, "ua.mvs") == PS_OK && ps_cbor_int(&b, 6) == PS_OK &&
         ps_cbor_int(&b, FIX_NOW) == PS_OK && ps_cbor_int(&b, 4) == PS_OK &&
         ps_cbor_int(&b, FIX_NOW + 180) == PS_OK && ps_cbor_int(&b, 5) == PS_OK &&
         ps_cbor_int(&b, FIX_NOW - 1) == PS_OK && ps_cbor_int(&b, 65535) == PS_OK &&
         ps_cbor_head(&b, 5, 1) == PS_OK && ps_cbor_cstr(&b, "status_list") == PS_OK &&
         ps_cbor_head(&b, 5, 2) == PS_OK && ps_cbor_cstr(&b, "idx") == PS_OK &&
         ps_cbor_int(&b, 7) == PS_OK && ps_cbor_cstr(&b, "uri") == PS_OK &&
         ps_cbor_cstr(&b, "https://id.example/status/1") == PS_OK);
    seed("psv_cwt", "claims", b.p, b.len);
    ps_buf_reset(&b);
    static const uint8_t float_exp[] = {0xa1, 0x04, 0xfb, 0x41, 0xda, 0xd2, 0x74, 0x80, 0x00, 0x00, 0x00};
    static const uint8_t neg_iat[] = {0xa1, 0x06, 0x20};
    static const uint8_t text_iss_bad[] = {0xa1, 0x01, 0x01};
    seed("psv_cwt", "float_exp", float_exp, sizeof float_exp);
    seed("psv_cwt", "neg_iat", neg_iat, sizeof neg_iat);
    seed("psv_cwt", "iss_int", text_iss_bad, sizeof text_iss_bad);
}

static void zlib_edges(void)
{
    static uint8_t zeros[1 << 16];
    struct ps_buf z;
    ps_buf_init(&z, 1 << 20);
    NEED(ps_doc_deflate(zeros, sizeof zeros, &z) == PS_OK);
    seed("psv_inflate", "bomb", z.p, z.len);
    seed("psv_inflate", "truncated", z.p, z.len - 4);
    NEED(ps_buf_append(&z, "xx", 2) == PS_OK);
    seed("psv_inflate", "trailing", z.p, z.len);
    seed("psv_inflate", "raw_deflate", z.p + 2, z.len - 8);
    ps_buf_reset(&z);
    static const char *const b45[] = {"BB8", "%69 VD92EX0", "GGW", "V5", "0", "abc", ""};
    for (size_t i = 0; i < sizeof b45 / sizeof b45[0]; i++) {
        char name[16];
        snprintf(name, sizeof name, "rfc_%zu", i);
        seed("psv_base45", name, b45[i], strlen(b45[i]));
    }
}

static void trust_and_status(struct fixture *f)
{
    seed("psv_trust_list", "signed", f->trust_json.p, f->trust_json.len);
    seed("psv_trust_list", "truncated", f->trust_json.p, f->trust_json.len / 2);
    static const char env[] = "{\"protected\":\"e30\",\"payload\":\"e30\",\"signature\":\"AA\"}";
    seed("psv_trust_list", "empty_envelope", env, sizeof env - 1);
    seed("psv_trust_list", "array", "[]", 2);
    uint8_t vals[64] = {0};
    vals[3] = 1;
    vals[5] = 2;
    struct ps_doc_status_list sl = {.iss = "ua.mvs", .uri = "https://id.example/status/1",
                                    .iat = FIX_NOW - 60, .exp = FIX_NOW + 3600, .ttl = 300,
                                    .bits = 2, .values = vals, .n = 64};
    struct ps_buf tok;
    ps_buf_init(&tok, 1 << 20);
    NEED(ps_doc_status_list_encode(&sl, &f->es_s, &tok) == PS_OK);
    seed("psv_status_list", "signed", tok.p, tok.len);
    seed("psv_status_list", "truncated", tok.p, tok.len - 10);
    tok.p[tok.len - 1] ^= 1;
    seed("psv_status_list", "bad_signature", tok.p, tok.len);
    seed("psv_cose", "status_list", tok.p, tok.len);
    ps_buf_reset(&tok);
}

int main(int argc, char **argv)
{
    NEED(argc == 2);
    root = argv[1];
    struct fixture f;
    fixture_init(&f);
    presentations(&f);
    cbor_edges();
    cwt_claims();
    zlib_edges();
    trust_and_status(&f);
    seed("psv_verify", "prefix", "XS1:ABC", 7);
    seed("psv_verify", "base45", "PS1:abc", 7);
    fixture_free(&f);
    return 0;
}
