/* libpsverify against the official EU DCC test data (tests/verify/hc1/, from dgc-testdata):
 * one test case per file, asserting every expected outcome the file states that the verifier
 * covers (prefix, base45, compression, CBOR/COSE decoding, signature, expiry, payload). */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "documents/cose_encode.h"
#include "pocketstate/verify.h"

#define DIR_HC1 PS_SOURCE_DIR "/tests/verify/hc1"

struct hc1_case {
    char name[64];
};

ParameterizedTestParameters(hc1, vectors)
{
    static struct hc1_case cases[256];
    size_t n = 0;
    DIR *d = opendir(DIR_HC1);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < 256) {
        size_t l = strlen(e->d_name);
        if (l > 5 && l < 64 && strcmp(e->d_name + l - 5, ".json") == 0)
            memcpy(cases[n++].name, e->d_name, l + 1);
    }
    if (d)
        closedir(d);
    return cr_make_param_array(struct hc1_case, cases, n);
}

/* "2021-05-03T18:00:00Z", optional fraction, Z or +-HH:MM. */
static int64_t parse_clock(const char *s)
{
    int Y, M, D, h, m, sec, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &sec, &n) != 6)
        return -1;
    s += n;
    if (*s == '.')
        while (*++s >= '0' && *s <= '9') {
        }
    struct tm tm = {.tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
                    .tm_min = m, .tm_sec = sec};
    int64_t t = timegm(&tm);
    int oh = 0, om = 0;
    if ((*s == '+' || *s == '-') && sscanf(s + 1, "%2d:%2d", &oh, &om) == 2)
        t -= (*s == '+' ? 1 : -1) * (oh * 3600 + om * 60);
    return t;
}

static int expected(json_t *er, const char *key) /* -1 absent, 0 false, 1 true */
{
    json_t *v = json_object_get(er, key);
    return json_is_boolean(v) ? json_is_true(v) : -1;
}

static void hex_to_qr(const char *hex, struct ps_buf *qr)
{
    size_t n = strlen(hex) / 2;
    uint8_t *raw = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(sscanf(hex + 2 * i, "%2hhx", &raw[i]), 1);
    ps_buf_init(qr, 1 << 20);
    cr_assert_eq(ps_doc_qr_wrap("HC1:", raw, n, qr), PS_OK);
    free(raw);
}

static psv_trust *trust_of(json_t *ctx)
{
    psv_trust *t = psv_trust_new();
    const char *cert = json_string_value(json_object_get(ctx, "CERTIFICATE"));
    if (!cert)
        return t;
    struct ps_buf pem = {0};
    ps_buf_init(&pem, 1 << 16);
    cr_assert_eq(ps_buf_printf(&pem, "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n",
                               cert), PS_OK);
    struct psv_diag d = {0};
    if (psv_trust_add_cert_pem(t, pem.p, pem.len, &d) != PSV_OK) /* some vectors have none */
        cr_log_info("certificate: %s", d.message);
    ps_buf_reset(&pem);
    return t;
}

static void check(const char *name, json_t *j, const struct psv_result *r, enum psv_error e)
{
    json_t *er = json_object_get(j, "EXPECTEDRESULTS");
    const char *msg = r->error.message;
    if (expected(er, "EXPECTEDUNPREFIX") == 0)
        cr_expect_eq(e, PSV_E_PREFIX, "%s: %s", name, msg);
    if (expected(er, "EXPECTEDB45DECODE") == 0)
        cr_expect_eq(e, PSV_E_BASE45, "%s: %s", name, msg);
    if (expected(er, "EXPECTEDCOMPRESSION") == 0)
        cr_expect_eq(e, PSV_E_DECOMPRESS, "%s: %s", name, msg);
    if (expected(er, "EXPECTEDDECODE") == 0)
        cr_expect(e == PSV_E_CBOR || e == PSV_E_COSE, "%s: %s", name, msg);
    if (expected(er, "EXPECTEDVERIFY") == 1)
        cr_expect_eq(r->signature, PSV_CHECK_OK, "%s: signature %s: %s", name,
                     psv_check_name(r->signature), msg);
    if (expected(er, "EXPECTEDVERIFY") == 0)
        cr_expect_neq(r->signature, PSV_CHECK_OK, "%s", name);
    if (expected(er, "EXPECTEDEXPIRATIONCHECK") == 1)
        cr_expect_eq(r->validity, PSV_CHECK_OK, "%s: %s", name, psv_check_name(r->validity));
    if (expected(er, "EXPECTEDEXPIRATIONCHECK") == 0)
        cr_expect(r->validity == PSV_CHECK_EXPIRED || r->validity == PSV_CHECK_NOT_YET_VALID,
                  "%s: %s", name, psv_check_name(r->validity));
    if (expected(er, "EXPECTEDVALIDJSON") == 1 || expected(er, "EXPECTEDDECODE") == 1) {
        cr_assert(r->claims_json, "%s: no claims: %s", name, msg);
        json_t *got = json_loads(r->claims_json, 0, NULL);
        cr_expect(json_equal(got, json_object_get(j, "JSON")), "%s: claims differ: %s", name,
                  r->claims_json);
        json_decref(got);
    }
    if (expected(er, "EXPECTEDVERIFY") == 1 && expected(er, "EXPECTEDEXPIRATIONCHECK") == 1)
        cr_expect(r->valid, "%s: %s", name, msg);
}

ParameterizedTest(struct hc1_case *c, hc1, vectors)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", DIR_HC1, c->name);
    json_t *j = json_load_file(path, 0, NULL);
    cr_assert(j, "%s unreadable", path);
    json_t *ctx = json_object_get(j, "TESTCTX");
    const char *clock = json_string_value(json_object_get(ctx, "VALIDATIONCLOCK"));
    const char *prefix = json_string_value(json_object_get(j, "PREFIX"));
    const char *cose = json_string_value(json_object_get(j, "COSE"));
    struct ps_buf qr = {0};
    if (!prefix && cose) {
        hex_to_qr(cose, &qr);
        prefix = qr.p;
    }
    if (!prefix) {
        json_decref(j);
        cr_skip_test("%s: no QR text or COSE", c->name);
    }
    psv_trust *t = trust_of(ctx);
    struct psv_params p = {.trust = t, .now = clock ? parse_clock(clock) : 1620000000};
    struct psv_result r;
    enum psv_error e = psv_verify(&p, prefix, strlen(prefix), &r);
    check(c->name, j, &r, e);
    psv_result_free(&r);
    psv_trust_free(t);
    ps_buf_reset(&qr);
    json_decref(j);
}
