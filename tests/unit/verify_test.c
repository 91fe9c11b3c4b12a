/* libpsverify through the server's encoders: round trips for PS1 (server-made and offline
 * holder presentations, ES256 and EdDSA), every error code, tampering at each layer, limits,
 * the memory budget, status lists, trust lists, and threads sharing one trust store. */
#include <criterion/criterion.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "documents/cbor_write.h"
#include "documents/cose_encode.h"
#include "documents/statuslist_encode.h"
#include "pocketstate/cose_key.h"
#include "verify_fixture.h"

static struct fixture F;

static void setup(void) { fixture_init(&F); }
static void teardown(void) { fixture_free(&F); }

TestSuite(ps1, .init = setup, .fini = teardown);
TestSuite(layers, .init = setup, .fini = teardown);
TestSuite(status, .init = setup, .fini = teardown);
TestSuite(trust, .init = setup, .fini = teardown);
TestSuite(holder, .init = setup, .fini = teardown);

static enum psv_error run(const char *qr, int64_t now, const psv_status_list *sl,
                          struct psv_result *r)
{
    struct psv_params p = {.trust = F.trust, .status = sl, .now = now};
    return psv_verify(&p, qr, strlen(qr), r);
}

/* Expects code; returns nothing, frees the result. */
static void expect(const char *qr, int64_t now, enum psv_error code)
{
    struct psv_result r;
    enum psv_error e = run(qr, now, NULL, &r);
    cr_expect_eq(e, code, "expected %s, got %s: %s", psv_error_name(code), psv_error_name(e),
                 r.error.message);
    psv_result_free(&r);
}

static void present(const struct ps_doc_signer *s, const struct ps_doc_header *h, int64_t now,
                    struct ps_buf *qr)
{
    ps_buf_init(qr, 1 << 16);
    cr_assert_eq(ps_doc_ps1_present(h, FIX_CLAIMS, 4, now, s, qr), PS_OK);
}

Test(ps1, server_presentation_es256)
{
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0};
    present(&F.es_s, &h, FIX_NOW, &qr);
    cr_assert(strncmp(qr.p, "PS1:", 4) == 0);
    struct psv_result r;
    cr_assert_eq(run(qr.p, FIX_NOW + 10, NULL, &r), PSV_OK, "%s", r.error.message);
    cr_expect(r.valid);
    cr_expect_eq(r.format, PSV_FORMAT_PS1);
    cr_expect_eq(r.signature, PSV_CHECK_OK);
    cr_expect_eq(r.validity, PSV_CHECK_OK);
    cr_expect_eq(r.status, PSV_NOT_CHECKED);
    cr_expect_eq(r.holder, PSV_NOT_CHECKED);
    cr_expect_str_eq(r.issuer, "ua.mvs");
    cr_expect_str_eq(r.doc_type, "ua.id-card");
    cr_expect(r.kid_len == 4 && memcmp(r.kid, "es-1", 4) == 0);
    cr_expect_eq(r.issued_at, FIX_NOW);
    cr_expect_eq(r.expires_at, FIX_NOW + 180);
    cr_expect_str_eq(r.claims_json, "{\"family_name\":\"Шевченко\",\"given_name\":\"Тарас\","
                                    "\"birth_year\":1990,\"over_18\":true}");
    cr_expect(r.mem_used > 0 && r.mem_used <= 512 * 1024);
    psv_result_free(&r);
    ps_buf_reset(&qr);
}

Test(ps1, server_presentation_eddsa_and_type_binding)
{
    struct ps_doc_header h = fixture_header();
    h.iss = "ua.hsc";
    h.type = "ua.driving-licence";
    struct ps_buf qr = {0};
    present(&F.ed_s, &h, FIX_NOW, &qr);
    expect(qr.p, FIX_NOW, PSV_OK);
    ps_buf_reset(&qr);
    /* the licence key may not sign an id card */
    h.type = "ua.id-card";
    present(&F.ed_s, &h, FIX_NOW, &qr);
    struct psv_result r;
    cr_expect_eq(run(qr.p, FIX_NOW, NULL, &r), PSV_E_UNKNOWN_KEY);
    cr_expect_eq(r.signature, PSV_CHECK_UNKNOWN_KEY);
    cr_expect(strstr(r.error.message, "type") != NULL, "%s", r.error.message);
    psv_result_free(&r);
    ps_buf_reset(&qr);
    /* nor may it claim another issuer */
    h.iss = "ua.mvs";
    h.type = "ua.driving-licence";
    present(&F.ed_s, &h, FIX_NOW, &qr);
    expect(qr.p, FIX_NOW, PSV_E_UNKNOWN_KEY);
    ps_buf_reset(&qr);
}

Test(ps1, expired_and_not_yet_valid_report_the_signature_too)
{
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0};
    present(&F.es_s, &h, FIX_NOW, &qr);
    struct psv_result r;
    cr_expect_eq(run(qr.p, FIX_NOW + 180, NULL, &r), PSV_E_EXPIRED);
    cr_expect_eq(r.signature, PSV_CHECK_OK);
    cr_expect_eq(r.validity, PSV_CHECK_EXPIRED);
    cr_expect(!r.valid);
    psv_result_free(&r);
    cr_expect_eq(run(qr.p, FIX_NOW - 61, NULL, &r), PSV_E_NOT_YET_VALID);
    cr_expect_eq(r.validity, PSV_CHECK_NOT_YET_VALID);
    psv_result_free(&r);
    expect(qr.p, FIX_NOW - 60, PSV_OK); /* 60 s of clock skew */
    ps_buf_reset(&qr);
}

Test(ps1, key_window_rotation)
{
    /* es-1 may sign until FIX_NOW + 30 days; what it signed stays valid until it expires */
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0};
    int64_t late = FIX_NOW + 31 * 86400;
    present(&F.es_s, &h, late, &qr);
    expect(qr.p, late, PSV_E_UNKNOWN_KEY);
    ps_buf_reset(&qr);
}

Test(layers, prefix_and_length)
{
    expect("PS2:ABC", FIX_NOW, PSV_E_PREFIX);
    expect("", FIX_NOW, PSV_E_PREFIX);
    expect("ps1:00", FIX_NOW, PSV_E_PREFIX);
    char big[9000];
    memset(big, '0', sizeof big);
    memcpy(big, "PS1:", 4);
    big[sizeof big - 1] = '\0';
    expect(big, FIX_NOW, PSV_E_BASE45);
}

Test(layers, base45)
{
    expect("PS1:abc", FIX_NOW, PSV_E_BASE45);   /* lower case */
    expect("PS1:0000", FIX_NOW, PSV_E_BASE45);  /* length 1 mod 3 */
    expect("PS1:GGW", FIX_NOW, PSV_E_BASE45);   /* 65536 */
    expect("PS1:V5", FIX_NOW, PSV_E_BASE45);    /* 256 in a pair */
    expect("PS1:BB8\n", FIX_NOW, PSV_E_BASE45); /* whitespace */
    /* RFC 9285 examples */
    static const struct { const char *in, *out; } v[] = {
        {"AB", "BB8"}, {"Hello!!", "%69 VD92EX0"}, {"base-45", "UJCLQE7W581"}, {"ietf!", "QED8WEX0"}};
    for (size_t i = 0; i < 4; i++) {
        char enc[32];
        uint8_t dec[32];
        size_t n = 0, m = 0;
        cr_assert_eq(psv_base45_encode((const uint8_t *)v[i].in, strlen(v[i].in), enc, sizeof enc, &n), PSV_OK);
        cr_expect(n == strlen(v[i].out) && memcmp(enc, v[i].out, n) == 0);
        cr_assert_eq(psv_base45_decode(v[i].out, strlen(v[i].out), dec, sizeof dec, &m), PSV_OK);
        cr_expect(m == strlen(v[i].in) && memcmp(dec, v[i].in, m) == 0);
    }
}

Test(layers, decompress_not_zlib_corrupt_and_bomb)
{
    char enc[64];
    size_t n;
    static const uint8_t raw[] = {0x84, 0x40, 0xa0, 0x40, 0x40};
    cr_assert_eq(psv_base45_encode(raw, sizeof raw, enc + 4, sizeof enc - 5, &n), PSV_OK);
    memcpy(enc, "PS1:", 4);
    enc[4 + n] = '\0';
    expect(enc, FIX_NOW, PSV_E_DECOMPRESS);
    /* a bomb: 1 MiB of zeros compresses to ~1 KiB and stops at the 64 KiB cap */
    static uint8_t zeros[1 << 20];
    struct ps_buf qr = {0};
    fixture_wrap("PS1:", zeros, sizeof zeros, &qr);
    struct psv_result r;
    cr_expect_eq(run(qr.p, FIX_NOW, NULL, &r), PSV_E_DECOMPRESS);
    cr_expect(strstr(r.error.message, "cap") != NULL, "%s", r.error.message);
    cr_expect(r.mem_used < 200 * 1024);
    psv_result_free(&r);
    /* truncated stream */
    struct ps_doc_header h = fixture_header();
    struct ps_buf good = {0}, z = {0};
    present(&F.es_s, &h, FIX_NOW, &good);
    fixture_unwrap(good.p, &z);
    struct ps_buf zz = {0};
    ps_buf_init(&zz, 1 << 16);
    cr_assert_eq(ps_doc_deflate((const uint8_t *)z.p, z.len, &zz), PS_OK);
    char b45[4096];
    cr_assert_eq(psv_base45_encode((const uint8_t *)zz.p, zz.len - 3, b45 + 4, sizeof b45 - 5, &n), PSV_OK);
    memcpy(b45, "PS1:", 4);
    b45[4 + n] = '\0';
    expect(b45, FIX_NOW, PSV_E_DECOMPRESS);
    ps_buf_reset(&zz);
    ps_buf_reset(&z);
    ps_buf_reset(&good);
    ps_buf_reset(&qr);
}

static void expect_raw(const void *raw, size_t n, enum psv_error code)
{
    struct ps_buf qr = {0};
    fixture_wrap("PS1:", raw, n, &qr);
    expect(qr.p, FIX_NOW, code);
    ps_buf_reset(&qr);
}

Test(layers, cbor_limits)
{
    static const uint8_t bad[] = {0xff};
    expect_raw(bad, 1, PSV_E_CBOR);
    static const uint8_t trailing[] = {0xa0, 0x00};
    expect_raw(trailing, 2, PSV_E_CBOR);
    static const uint8_t indef[] = {0x9f, 0x01, 0xff};
    expect_raw(indef, 3, PSV_E_CBOR); /* PS1 refuses indefinite lengths */
    static const uint8_t istr[] = {0x5f, 0x41, 0x00, 0xff};
    expect_raw(istr, 4, PSV_E_CBOR);
    static const uint8_t dup[] = {0xa2, 0x01, 0x00, 0x01, 0x00};
    expect_raw(dup, 5, PSV_E_CBOR);
    static const uint8_t huge_count[] = {0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    expect_raw(huge_count, sizeof huge_count, PSV_E_CBOR);
    uint8_t deep[40];
    memset(deep, 0x81, sizeof deep); /* [[[[...]]]] */
    deep[39] = 0x00;
    expect_raw(deep, sizeof deep, PSV_E_CBOR);
    /* more items than the limit */
    static uint8_t many[3 + 3000];
    many[0] = 0x99;
    many[1] = 3000 >> 8;
    many[2] = 3000 & 0xff;
    expect_raw(many, sizeof many, PSV_E_CBOR);
}

/* A COSE_Sign1 for our own key with arbitrary protected bytes and signature (for header
 * tests). */
static void sign1_raw(const uint8_t *prot, size_t pl, const uint8_t *unprot, size_t ul,
                      struct ps_buf *out)
{
    ps_buf_init(out, 1 << 16);
    static const uint8_t payload[] = {0xa0};
    uint8_t sig[64] = {1};
    cr_assert_eq(ps_cbor_head(out, 6, 18), PS_OK);
    cr_assert_eq(ps_cbor_head(out, 4, 4), PS_OK);
    cr_assert_eq(ps_cbor_bytes(out, prot, pl), PS_OK);
    cr_assert_eq(ps_buf_append(out, unprot, ul), PS_OK);
    cr_assert_eq(ps_cbor_bytes(out, payload, 1), PS_OK);
    cr_assert_eq(ps_cbor_bytes(out, sig, 64), PS_OK);
}

Test(layers, cose_headers)
{
    static const uint8_t three[] = {0xd2, 0x83, 0x40, 0xa0, 0x40};
    expect_raw(three, sizeof three, PSV_E_COSE);
    struct ps_buf b = {0};
    static const uint8_t empty_map[] = {0xa0};
    /* unknown critical header 99 */
    static const uint8_t crit[] = {0xa3, 0x01, 0x26, 0x02, 0x81, 0x18, 0x63, 0x18, 0x63, 0x00};
    sign1_raw(crit, sizeof crit, empty_map, 1, &b);
    expect_raw(b.p, b.len, PSV_E_COSE);
    ps_buf_reset(&b);
    /* alg only in the unprotected header */
    static const uint8_t alg_u[] = {0xa1, 0x01, 0x26};
    sign1_raw(NULL, 0, alg_u, sizeof alg_u, &b);
    expect_raw(b.p, b.len, PSV_E_COSE);
    ps_buf_reset(&b);
    /* kid of the wrong type (text) */
    static const uint8_t kid_t[] = {0xa2, 0x01, 0x26, 0x04, 0x61, 0x6b};
    sign1_raw(kid_t, sizeof kid_t, empty_map, 1, &b);
    expect_raw(b.p, b.len, PSV_E_COSE);
    ps_buf_reset(&b);
    /* alg as text */
    static const uint8_t alg_t[] = {0xa1, 0x01, 0x65, 'E', 'S', '2', '5', '6'};
    sign1_raw(alg_t, sizeof alg_t, empty_map, 1, &b);
    expect_raw(b.p, b.len, PSV_E_COSE);
    ps_buf_reset(&b);
}

/* Replaces the first occurrence of from (n bytes) in raw by to. */
static void patch(struct ps_buf *raw, const void *from, const void *to, size_t n)
{
    for (size_t i = 0; i + n <= raw->len; i++)
        if (memcmp(raw->p + i, from, n) == 0) {
            memcpy(raw->p + i, to, n);
            return;
        }
    cr_assert_fail("pattern not found");
}

Test(layers, algorithm_confusion_unknown_key_and_bad_signatures)
{
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0}, raw = {0}, out = {0};
    present(&F.es_s, &h, FIX_NOW, &qr);
    fixture_unwrap(qr.p, &raw);
    /* protected header {1: -7, 4: "es-1"}: claim EdDSA (-8 = 0x27) instead */
    struct ps_buf alg = {0};
    ps_buf_init(&alg, 1 << 16);
    cr_assert_eq(ps_buf_append(&alg, raw.p, raw.len), PS_OK);
    patch(&alg, "\x01\x26\x04", "\x01\x27\x04", 3);
    fixture_wrap("PS1:", alg.p, alg.len, &out);
    expect(out.p, FIX_NOW, PSV_E_ALGORITHM);
    /* unsupported alg (-35 ES384) */
    patch(&alg, "\x01\x27\x04", "\x01\x22\x04", 3);
    fixture_wrap("PS1:", alg.p, alg.len, &out);
    expect(out.p, FIX_NOW, PSV_E_ALGORITHM);
    ps_buf_reset(&alg);
    /* unknown kid */
    struct ps_buf k = {0};
    ps_buf_init(&k, 1 << 16);
    cr_assert_eq(ps_buf_append(&k, raw.p, raw.len), PS_OK);
    patch(&k, "es-1", "es-9", 4);
    fixture_wrap("PS1:", k.p, k.len, &out);
    struct psv_result r;
    cr_expect_eq(run(out.p, FIX_NOW, NULL, &r), PSV_E_UNKNOWN_KEY);
    cr_expect_eq(r.signature, PSV_CHECK_UNKNOWN_KEY);
    psv_result_free(&r);
    ps_buf_reset(&k);
    /* a flipped bit in the payload, then in the signature */
    raw.p[raw.len - 70] ^= 1;
    fixture_wrap("PS1:", raw.p, raw.len, &out);
    cr_expect_eq(run(out.p, FIX_NOW, NULL, &r), PSV_E_SIGNATURE);
    cr_expect_eq(r.signature, PSV_CHECK_FAILED);
    psv_result_free(&r);
    raw.p[raw.len - 70] ^= 1;
    raw.p[raw.len - 1] ^= 1;
    fixture_wrap("PS1:", raw.p, raw.len, &out);
    expect(out.p, FIX_NOW, PSV_E_SIGNATURE);
    raw.p[raw.len - 1] ^= 1;
    /* s = n (non-canonical): replace the last 32 bytes */
    static const uint8_t n256[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    memcpy(raw.p + raw.len - 32, n256, 32);
    fixture_wrap("PS1:", raw.p, raw.len, &out);
    expect(out.p, FIX_NOW, PSV_E_SIGNATURE);
    /* a DER-length signature (70 bytes) */
    raw.p[raw.len - 65] = 0x58;
    ps_buf_reset(&out);
    ps_buf_reset(&raw);
    ps_buf_reset(&qr);
}

Test(layers, memory_budget)
{
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0};
    present(&F.es_s, &h, FIX_NOW, &qr);
    struct psv_params p = {.trust = F.trust, .now = FIX_NOW, .mem_budget = 16 * 1024};
    struct psv_result r;
    cr_expect_neq(psv_verify(&p, qr.p, qr.len, &r), PSV_OK);
    cr_expect(r.budget_exceeded);
    cr_expect(r.mem_used <= 16 * 1024);
    cr_expect(strstr(r.error.message, "budget") != NULL, "%s", r.error.message);
    psv_result_free(&r);
    p.mem_budget = 0;
    cr_expect_eq(psv_verify(&p, qr.p, qr.len, &r), PSV_OK);
    psv_result_free(&r);
    ps_buf_reset(&qr);
}

static psv_status_list *status_list(const struct ps_doc_signer *s, const char *iss,
                                    const uint8_t *vals, size_t n, unsigned bits,
                                    enum psv_error want)
{
    struct ps_doc_status_list sl = {.iss = iss, .uri = "https://id.example/status/1",
                                    .iat = FIX_NOW - 60, .exp = FIX_NOW + 3600, .ttl = 600,
                                    .bits = bits, .values = vals, .n = n};
    struct ps_buf tok = {0};
    ps_buf_init(&tok, 1 << 20);
    cr_assert_eq(ps_doc_status_list_encode(&sl, s, &tok), PS_OK);
    psv_status_list *out = NULL;
    struct psv_diag d = {0};
    cr_expect_eq(psv_status_list_parse(F.trust, (const uint8_t *)tok.p, tok.len, FIX_NOW, 0, &out, &d),
                 want, "%s", d.message);
    ps_buf_reset(&tok);
    return out;
}

Test(status, ok_revoked_suspended_not_checked)
{
    uint8_t vals[40] = {0};
    vals[7] = 1;
    vals[9] = 2;
    psv_status_list *sl = status_list(&F.es_s, "ua.mvs", vals, 40, 2, PSV_OK);
    cr_assert(sl);
    cr_expect_eq(psv_status_list_get(sl, 7), 1);
    cr_expect_eq(psv_status_list_get(sl, 9), 2);
    cr_expect_eq(psv_status_list_get(sl, 8), 0);
    struct ps_doc_header h = fixture_header();
    h.status_uri = "https://id.example/status/1";
    uint64_t idx[] = {3, 7, 9, 1000};
    enum psv_check want[] = {PSV_CHECK_OK, PSV_CHECK_REVOKED, PSV_CHECK_SUSPENDED, 0};
    enum psv_error code[] = {PSV_OK, PSV_E_REVOKED, PSV_E_REVOKED, PSV_E_TRUST_LIST};
    for (size_t i = 0; i < 4; i++) {
        h.status_idx = idx[i];
        struct ps_buf qr = {0};
        present(&F.es_s, &h, FIX_NOW, &qr);
        struct psv_result r;
        cr_expect_eq(run(qr.p, FIX_NOW, sl, &r), code[i], "idx %zu: %s", i, r.error.message);
        if (i < 3)
            cr_expect_eq(r.status, want[i]);
        psv_result_free(&r);
        cr_expect_eq(run(qr.p, FIX_NOW, NULL, &r), PSV_OK); /* no list: not checked */
        cr_expect_eq(r.status, PSV_NOT_CHECKED);
        psv_result_free(&r);
        ps_buf_reset(&qr);
    }
    psv_status_list_free(sl);
}

Test(status, list_signer_must_be_allowed)
{
    uint8_t vals[8] = {0};
    /* ed-1 has no status-lists use */
    cr_expect_null(status_list(&F.ed_s, "ua.hsc", vals, 8, 1, PSV_E_TRUST_LIST));
    /* es-1 may not sign for another issuer */
    cr_expect_null(status_list(&F.es_s, "ua.hsc", vals, 8, 1, PSV_E_TRUST_LIST));
    uint8_t junk[] = {0xd2, 0x84, 0x40, 0xa0, 0x40, 0x40};
    psv_status_list *out = NULL;
    struct psv_diag d = {0};
    cr_expect_eq(psv_status_list_parse(F.trust, junk, sizeof junk, FIX_NOW, 0, &out, &d),
                 PSV_E_TRUST_LIST);
}

Test(trust, tampered_wrong_root_expired)
{
    struct psv_root root = {F.root_jwk.p, F.root_jwk.len};
    struct psv_diag d = {0};
    psv_trust *t = psv_trust_new();
    char *copy = strdup(F.trust_json.p);
    char *pl = strstr(copy, "\"payload\":\"") + 11;
    pl[10] = pl[10] == 'A' ? 'B' : 'A';
    cr_expect_eq(psv_trust_load_list(t, copy, strlen(copy), &root, FIX_NOW, &d), PSV_E_TRUST_LIST);
    free(copy);
    struct ps_buf other = {0};
    ps_buf_init(&other, 4096);
    cr_assert_eq(ps_doc_soft_key_jwk(F.ed, &other), PS_OK);
    struct psv_root wrong = {other.p, other.len};
    cr_expect_eq(psv_trust_load_list(t, F.trust_json.p, F.trust_json.len, &wrong, FIX_NOW, &d),
                 PSV_E_TRUST_LIST);
    cr_expect_eq(psv_trust_load_list(t, F.trust_json.p, F.trust_json.len, &root,
                                     FIX_NOW + 8 * 86400, &d), PSV_E_TRUST_LIST);
    cr_expect(strstr(d.message, "expired") != NULL);
    cr_expect_eq(psv_trust_count(t), 0);
    /* unpinned: the header's jwk */
    cr_expect_eq(psv_trust_load_list(t, F.trust_json.p, F.trust_json.len, NULL, FIX_NOW, &d), PSV_OK);
    cr_expect_eq(psv_trust_count(t), 2);
    ps_buf_reset(&other);
    psv_trust_free(t);
}

Test(trust, x509_signers)
{
    struct ps_buf der = {0};
    ps_buf_init(&der, 8192);
    cr_assert_eq(ps_doc_soft_key_cert(F.es, "x", FIX_NOW - 10, FIX_NOW + 10, &der), PS_OK);
    psv_trust *t = psv_trust_new();
    struct psv_diag d = {0};
    cr_expect_eq(psv_trust_add_cert_der(t, (const uint8_t *)der.p, der.len, &d), PSV_OK);
    cr_expect_eq(psv_trust_add_cert_der(t, (const uint8_t *)der.p, der.len - 1, &d), PSV_E_TRUST_LIST);
    cr_expect_eq(psv_trust_add_cert_pem(t, "garbage", 7, &d), PSV_E_TRUST_LIST);
    cr_expect_eq(psv_trust_count(t), 1);
    psv_trust_free(t);
    ps_buf_reset(&der);
}

/* An offline presentation of claims 0 and 3 by the holder at time at. */
static void holder_qr(const struct ps_doc_signer *holder, int64_t at, struct ps_buf *qr,
                      struct ps_doc_credential *cred)
{
    struct ps_doc_header h = fixture_header();
    uint8_t x[32], y[32];
    cr_assert_eq(ps_doc_soft_key_p256(F.holder, x, y), PS_OK);
    cr_assert_eq(ps_doc_ps1_credential(&h, FIX_CLAIMS, 4, x, y, &F.es_s, NULL, cred), PS_OK);
    size_t pick[] = {0, 3};
    ps_buf_init(qr, 1 << 16);
    cr_assert_eq(ps_doc_ps1_present_holder(cred, pick, 2, at, holder, qr), PS_OK);
}

Test(holder, offline_presentation)
{
    struct ps_buf qr = {0};
    struct ps_doc_credential cred;
    holder_qr(&F.holder_s, FIX_NOW, &qr, &cred);
    struct psv_result r;
    cr_assert_eq(run(qr.p, FIX_NOW + 100, NULL, &r), PSV_OK, "%s", r.error.message);
    cr_expect_eq(r.holder, PSV_CHECK_OK);
    cr_expect_eq(r.signature, PSV_CHECK_OK);
    cr_expect_str_eq(r.claims_json, "{\"family_name\":\"Шевченко\",\"over_18\":true}");
    cr_expect_eq(r.issued_at, FIX_NOW - 86400); /* the credential's */
    psv_result_free(&r);
    /* outside the window */
    cr_expect_eq(run(qr.p, FIX_NOW + 180, NULL, &r), PSV_E_HOLDER);
    cr_expect_eq(r.holder, PSV_CHECK_FAILED);
    cr_expect_eq(r.signature, PSV_CHECK_OK);
    psv_result_free(&r);
    expect(qr.p, FIX_NOW - 61, PSV_E_HOLDER);
    ps_buf_reset(&qr);
    ps_doc_credential_reset(&cred);
}

Test(holder, wrong_key_and_tampered_parts)
{
    struct ps_buf qr = {0}, raw = {0}, out = {0};
    struct ps_doc_credential cred;
    holder_qr(&F.other_holder_s, FIX_NOW, &qr, &cred);
    expect(qr.p, FIX_NOW, PSV_E_HOLDER);
    ps_buf_reset(&qr);
    ps_doc_credential_reset(&cred);
    holder_qr(&F.holder_s, FIX_NOW, &qr, &cred);
    fixture_unwrap(qr.p, &raw);
    /* a disclosed value changed (over_18 true -> false, in a copy): its digest is not in the
     * credential */
    struct ps_buf t = {0};
    ps_buf_init(&t, 1 << 16);
    cr_assert_eq(ps_buf_append(&t, raw.p, raw.len), PS_OK);
    patch(&t, "over_18\xf5", "over_18\xf4", 8);
    fixture_wrap("PS1:", t.p, t.len, &out);
    expect(out.p, FIX_NOW, PSV_E_SIGNATURE);
    ps_buf_reset(&t);
    /* the holder signature's last byte */
    raw.p[raw.len - 1] ^= 1;
    fixture_wrap("PS1:", raw.p, raw.len, &out);
    expect(out.p, FIX_NOW, PSV_E_HOLDER);
    /* the credential shown alone (as if server-made) */
    fixture_wrap("PS1:", cred.cose.p, cred.cose.len, &out);
    expect(out.p, FIX_NOW, PSV_E_HOLDER);
    ps_buf_reset(&out);
    ps_buf_reset(&raw);
    ps_buf_reset(&qr);
    ps_doc_credential_reset(&cred);
}

Test(holder, cose_key_api)
{
    uint8_t x[32], y[32];
    cr_assert_eq(ps_doc_soft_key_p256(F.holder, x, y), PS_OK);
    struct ps_buf k = {0};
    ps_buf_init(&k, 256);
    cr_assert_eq(ps_cbor_head(&k, 5, 5), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, 1), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, 2), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, 3), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, -7), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, -1), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, 1), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, -2), PS_OK);
    cr_assert_eq(ps_cbor_bytes(&k, x, 32), PS_OK);
    cr_assert_eq(ps_cbor_int(&k, -3), PS_OK);
    cr_assert_eq(ps_cbor_bytes(&k, y, 32), PS_OK);
    psv_cose_key *key = NULL;
    struct psv_diag d = {0};
    cr_assert_eq(psv_cose_key_parse((const uint8_t *)k.p, k.len, &key, &d), PSV_OK, "%s", d.message);
    cr_expect_eq(psv_cose_key_kty(key), PSV_KTY_EC2);
    cr_expect_eq(psv_cose_key_alg(key), PSV_ALG_ES256);
    uint8_t sig[64];
    size_t sl = 0;
    const uint8_t msg[] = "webauthn authenticatorData || clientDataHash";
    cr_assert_eq(F.holder_s.sign(F.holder_s.ctx, msg, sizeof msg, sig, sizeof sig, &sl), PS_OK);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_ES256, msg, sizeof msg, sig, 64, 0), PSV_OK);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_ES256, msg, sizeof msg - 1, sig, 64, 0), PSV_E_SIGNATURE);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_EDDSA, msg, sizeof msg, sig, 64, 0), PSV_E_ALGORITHM);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_ES256, msg, sizeof msg, sig, 64, PSV_SIG_DER), PSV_E_SIGNATURE);
    psv_cose_key_free(key);
    /* the point must be on the curve */
    k.p[k.len - 1] ^= 1;
    cr_expect_eq(psv_cose_key_parse((const uint8_t *)k.p, k.len, &key, &d), PSV_E_COSE);
    ps_buf_reset(&k);
}

struct thread_arg {
    const char *qr;
    int ok;
};

static void *verify_many(void *p)
{
    struct thread_arg *a = p;
    for (int i = 0; i < 200; i++) {
        struct psv_result r;
        a->ok += run(a->qr, FIX_NOW, NULL, &r) == PSV_OK;
        psv_result_free(&r);
    }
    return NULL;
}

Test(ps1, threads_share_one_trust_store)
{
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0};
    present(&F.es_s, &h, FIX_NOW, &qr);
    pthread_t th[4];
    struct thread_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i] = (struct thread_arg){qr.p, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, verify_many, &a[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        cr_expect_eq(a[i].ok, 200);
    }
    ps_buf_reset(&qr);
}

/* WebAuthn's forms: ES256 in DER (flagged) and RS256 with an RSA COSE_Key bound to it. */
Test(holder, cose_key_der_and_rsa)
{
    const uint8_t msg[] = "authenticatorData || SHA-256(clientDataJSON)";
    uint8_t x[32], y[32], raw[64];
    size_t sl = 0;
    cr_assert_eq(ps_doc_soft_key_p256(F.holder, x, y), PS_OK);
    cr_assert_eq(F.holder_s.sign(F.holder_s.ctx, msg, sizeof msg, raw, sizeof raw, &sl), PS_OK);
    ECDSA_SIG *es = ECDSA_SIG_new();
    cr_assert(ECDSA_SIG_set0(es, BN_bin2bn(raw, 32, NULL), BN_bin2bn(raw + 32, 32, NULL)) == 1);
    uint8_t der[80], *dp = der;
    int dl = i2d_ECDSA_SIG(es, &dp);
    ECDSA_SIG_free(es);
    struct ps_buf k = {0};
    ps_buf_init(&k, 4096);
    cr_assert_eq(ps_cbor_head(&k, 5, 4), PS_OK);
    cr_assert(ps_cbor_int(&k, 1) == PS_OK && ps_cbor_int(&k, 2) == PS_OK);
    cr_assert(ps_cbor_int(&k, -1) == PS_OK && ps_cbor_int(&k, 1) == PS_OK);
    cr_assert(ps_cbor_int(&k, -2) == PS_OK && ps_cbor_bytes(&k, x, 32) == PS_OK);
    cr_assert(ps_cbor_int(&k, -3) == PS_OK && ps_cbor_bytes(&k, y, 32) == PS_OK);
    psv_cose_key *key = NULL;
    struct psv_diag d = {0};
    cr_assert_eq(psv_cose_key_parse((const uint8_t *)k.p, k.len, &key, &d), PSV_OK, "%s", d.message);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_ES256, msg, sizeof msg, der, (size_t)dl, PSV_SIG_DER), PSV_OK);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_ES256, msg, sizeof msg, der, (size_t)dl, 0), PSV_E_SIGNATURE);
    der[dl] = 0; /* a trailing byte is not strict DER */
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_ES256, msg, sizeof msg, der, (size_t)dl + 1, PSV_SIG_DER), PSV_E_SIGNATURE);
    psv_cose_key_free(key);
    ps_buf_reset(&k);

    struct ps_doc_soft_key *rsa = ps_doc_soft_key_new(-37);
    cr_assert(rsa);
    EVP_PKEY *pk = ps_doc_soft_key_pkey(rsa);
    BIGNUM *n = NULL, *e = NULL;
    cr_assert(EVP_PKEY_get_bn_param(pk, "n", &n) == 1 && EVP_PKEY_get_bn_param(pk, "e", &e) == 1);
    uint8_t nb[256], eb[8];
    int nl = BN_bn2bin(n, nb), el = BN_bn2bin(e, eb);
    BN_free(n);
    BN_free(e);
    ps_buf_init(&k, 4096);
    cr_assert_eq(ps_cbor_head(&k, 5, 4), PS_OK);
    cr_assert(ps_cbor_int(&k, 1) == PS_OK && ps_cbor_int(&k, 3) == PS_OK);
    cr_assert(ps_cbor_int(&k, 3) == PS_OK && ps_cbor_int(&k, -257) == PS_OK);
    cr_assert(ps_cbor_int(&k, -1) == PS_OK && ps_cbor_bytes(&k, nb, (size_t)nl) == PS_OK);
    cr_assert(ps_cbor_int(&k, -2) == PS_OK && ps_cbor_bytes(&k, eb, (size_t)el) == PS_OK);
    cr_assert_eq(psv_cose_key_parse((const uint8_t *)k.p, k.len, &key, &d), PSV_OK, "%s", d.message);
    uint8_t sig[256];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    cr_assert(EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pk) == 1 &&
              EVP_DigestSign(ctx, sig, &siglen, msg, sizeof msg) == 1); /* PKCS#1 v1.5 */
    EVP_MD_CTX_free(ctx);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_RS256, msg, sizeof msg, sig, siglen, 0), PSV_OK);
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_PS256, msg, sizeof msg, sig, siglen, 0), PSV_E_ALGORITHM);
    sig[10] ^= 1;
    cr_expect_eq(psv_cose_key_verify(key, PSV_ALG_RS256, msg, sizeof msg, sig, siglen, 0), PSV_E_SIGNATURE);
    psv_cose_key_free(key);
    ps_doc_soft_key_free(rsa);
    ps_buf_reset(&k);
}
