/* libpsverify on its own (built by scripts/verify-standalone.sh with only include/ and the
 * library's dependencies): base45 vectors of RFC 9285, a decompression bomb stopped at the
 * cap, CBOR depth, and every HC1 vector's expected signature and expiry outcome.
 * Prints "N passed, N failed". */
#include <dirent.h>
#include <jansson.h>
#include <pocketstate/verify.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

static int passed, failed;

#define CHECK(cond, ...)                                                                       \
    do {                                                                                       \
        if (cond) {                                                                            \
            passed++;                                                                          \
        } else {                                                                               \
            failed++;                                                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                               \
            fprintf(stderr, __VA_ARGS__);                                                      \
            fputc('\n', stderr);                                                               \
        }                                                                                      \
    } while (0)

static void base45(void)
{
    char out[32];
    size_t n = 0;
    CHECK(psv_base45_encode((const uint8_t *)"Hello!!", 7, out, sizeof out, &n) == PSV_OK &&
              n == 11 && memcmp(out, "%69 VD92EX0", 11) == 0, "encode");
    uint8_t dec[16];
    CHECK(psv_base45_decode("QED8WEX0", 8, dec, sizeof dec, &n) == PSV_OK && n == 5 &&
              memcmp(dec, "ietf!", 5) == 0, "decode");
    CHECK(psv_base45_decode("GGW", 3, dec, sizeof dec, &n) == PSV_E_BASE45, "65536");
}

/* "HC1:" + base45(zlib(data)) */
static char *wrap(const uint8_t *data, size_t len)
{
    uLongf zl = compressBound(len);
    uint8_t *z = malloc(zl);
    compress2(z, &zl, data, len, 9);
    size_t cap = psv_base45_encoded_len(zl) + 5, n = 0;
    char *qr = malloc(cap);
    memcpy(qr, "HC1:", 4);
    if (psv_base45_encode(z, zl, qr + 4, cap - 5, &n) != PSV_OK)
        n = 0;
    qr[4 + n] = '\0';
    free(z);
    return qr;
}

static void bounded(psv_trust *t)
{
    static uint8_t zeros[1 << 20];
    char *qr = wrap(zeros, sizeof zeros);
    struct psv_params p = {.trust = t, .now = 1620000000};
    struct psv_result r;
    CHECK(psv_verify(&p, qr, strlen(qr), &r) == PSV_E_DECOMPRESS && r.mem_used < 200000,
          "bomb: %s", r.error.message);
    psv_result_free(&r);
    free(qr);
    uint8_t deep[64];
    memset(deep, 0x81, sizeof deep);
    deep[63] = 0;
    qr = wrap(deep, sizeof deep);
    CHECK(psv_verify(&p, qr, strlen(qr), &r) == PSV_E_CBOR, "depth: %s", r.error.message);
    psv_result_free(&r);
    free(qr);
}

static int64_t clock_of(const char *s)
{
    struct tm tm = {0};
    if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
        return 1620000000;
    int64_t t = timegm(&tm);
    const char *z = strpbrk(s + 19, "Z+-");
    if (z && *z != 'Z')
        t -= (*z == '+' ? 1 : -1) * (strtol(z + 1, NULL, 10) * 3600 + strtol(z + 4, NULL, 10) * 60);
    return t;
}

static void vector(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *j = json_load_file(path, 0, NULL), *ctx = json_object_get(j, "TESTCTX");
    json_t *er = json_object_get(j, "EXPECTEDRESULTS");
    const char *qr = json_string_value(json_object_get(j, "PREFIX"));
    const char *cert = json_string_value(json_object_get(ctx, "CERTIFICATE"));
    json_t *verify = json_object_get(er, "EXPECTEDVERIFY"), *exp = json_object_get(er, "EXPECTEDEXPIRATIONCHECK");
    if (!qr || !cert || (!verify && !exp)) {
        json_decref(j);
        return;
    }
    char pem[8192];
    snprintf(pem, sizeof pem, "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", cert);
    psv_trust *t = psv_trust_new();
    struct psv_diag d;
    if (psv_trust_add_cert_pem(t, pem, strlen(pem), &d) != PSV_OK)
        fprintf(stderr, "%s: %s\n", name, d.message);
    struct psv_params p = {.trust = t, .now = clock_of(json_string_value(json_object_get(ctx, "VALIDATIONCLOCK")))};
    struct psv_result r;
    enum psv_error code = psv_verify(&p, qr, strlen(qr), &r);
    (void)code; /* the checks below look at each outcome */
    if (verify)
        CHECK((r.signature == PSV_CHECK_OK) == json_is_true(verify), "%s: signature %s", name,
              psv_check_name(r.signature));
    if (exp)
        CHECK((r.validity == PSV_CHECK_OK) == json_is_true(exp), "%s: validity %s", name,
              psv_check_name(r.validity));
    psv_result_free(&r);
    psv_trust_free(t);
    json_decref(j);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s tests/verify/hc1\n", argv[0]);
        return 2;
    }
    base45();
    psv_trust *t = psv_trust_new();
    bounded(t);
    psv_trust_free(t);
    DIR *dir = opendir(argv[1]);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL)
        if (strstr(e->d_name, ".json"))
            vector(argv[1], e->d_name);
    if (dir)
        closedir(dir);
    printf("standalone: %d passed, %d failed\n", passed, failed);
    return failed || passed < 50 ? 1 : 0;
}
