/* Fuzz target: RFC 9421 verification (src/identity/httpsig.h) of the RFC's test request with
 * fuzzed fields. Input: the first line is the Signature-Input value, the second the Signature
 * value, every further line "name: value" another header field. Keys: the RFC's Ed25519 and
 * P-256 test keys; the clock at the RFC's created time. Beyond "no crash": the outcome's class
 * matches its code, and a verified signature reports its label, keyid, a created time within
 * the window and only components the signature lists. */
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "fuzz.h"
#include "identity/b64.h"
#include "identity/httpsig.h"

#define MAX_LINES 24

static struct ps_httpsig_key ed, p256;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FUZZ_CHECK(sodium_init() >= 0);
    static const char edx[] = "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs";
    static const char px[] = "qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA";
    static const char py[] = "Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0";
    size_t n;
    ed = (struct ps_httpsig_key){.alg = PS_HTTPSIG_ED25519, .pub_len = 32};
    p256 = (struct ps_httpsig_key){.alg = PS_HTTPSIG_ECDSA_P256_SHA256, .pub_len = 65};
    p256.pub[0] = 4;
    FUZZ_CHECK(sodium_base642bin(ed.pub, 32, edx, sizeof edx - 1, NULL, &n, NULL,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
    FUZZ_CHECK(sodium_base642bin(p256.pub + 1, 32, px, sizeof px - 1, NULL, &n, NULL,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
    FUZZ_CHECK(sodium_base642bin(p256.pub + 33, 32, py, sizeof py - 1, NULL, &n, NULL,
                                 sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0);
    return 0;
}

static enum ps_err resolve(void *ctx, struct ps_str keyid, struct ps_httpsig_key *key)
{
    (void)ctx;
    if (ps_str_eq_cstr(keyid, "test-key-ed25519"))
        *key = ed;
    else if (ps_str_eq_cstr(keyid, "test-key-ecc-p256"))
        *key = p256;
    else if (ps_str_eq_cstr(keyid, "store-down"))
        return PS_ERR_UNAVAILABLE;
    else
        return PS_ERR_NOTFOUND;
    return PS_OK;
}

/* Splits data into lines: 0 and 1 the signature fields, then "name: value" lines. */
static size_t split(const uint8_t *data, size_t size, struct ps_httpsig_field_line *l)
{
    static const char *const names[] = {"Signature-Input", "Signature"};
    size_t n = 5, start = 0, idx = 0;
    for (size_t i = 0; i <= size && n < MAX_LINES; i++) {
        if (i < size && data[i] != '\n')
            continue;
        struct ps_str line = {(const char *)data + start, i - start};
        start = i + 1;
        if (idx < 2) {
            l[n++] = (struct ps_httpsig_field_line){ps_str_from_cstr(names[idx++]), line};
            continue;
        }
        const char *colon = line.len ? memchr(line.p, ':', line.len) : NULL;
        if (!colon)
            continue;
        size_t nl = (size_t)(colon - line.p);
        l[n++] = (struct ps_httpsig_field_line){{line.p, nl}, {colon + 1, line.len - nl - 1}};
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_httpsig_field_line l[MAX_LINES] = {
        {PS_STR("Host"), PS_STR("example.com")},
        {PS_STR("Date"), PS_STR("Tue, 20 Apr 2021 02:07:55 GMT")},
        {PS_STR("Content-Type"), PS_STR("application/json")},
        {PS_STR("Content-Digest"), PS_STR("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:")},
        {PS_STR("Content-Length"), PS_STR("18")},
    };
    struct ps_httpsig_fields f = {l, split(data, size, l)};
    struct ps_arena *a = ps_arena_new(64u << 20);
    FUZZ_CHECK(a != NULL);
    for (int with_body = 0; with_body < 2; with_body++) {
        struct ps_httpsig_request req = {
            .method = PS_STR("POST"), .target_uri = PS_STR("https://example.com/foo?param=Value&Pet=dog"),
            .field = ps_httpsig_fields_lookup, .field_ctx = &f,
            .content = with_body ? PS_STR("{\"hello\": \"world\"}") : PS_STR("")};
        static const char *const req_any[] = {"@method"};
        struct ps_httpsig_policy pol = {.required = req_any, .nrequired = with_body ? 1 : 0,
                                        .now = 1618884473, .resolve = resolve};
        struct ps_httpsig_result r;
        struct ps_id_diag d;
        enum ps_err e = ps_httpsig_verify(a, &req, &pol, &r, &d);
        if (e == PS_OK) {
            FUZZ_CHECK(d.code == PS_ID_OK && r.label.len > 0 && r.keyid.p);
            FUZZ_CHECK(r.created >= pol.now - PS_HTTPSIG_DEFAULT_WINDOW_S &&
                       r.created <= pol.now + PS_HTTPSIG_DEFAULT_WINDOW_S);
            FUZZ_CHECK(r.ncomponents <= PS_HTTPSIG_MAX_COMPONENTS && r.base.len > 0);
        } else if (d.code == PS_ID_INTERNAL) {
            FUZZ_CHECK(e == PS_ERR_UNAVAILABLE || e == PS_ERR_NOMEM);
        } else {
            FUZZ_CHECK(e == ps_id_code_err(d.code));
        }
    }
    ps_arena_free(a);
    return 0;
}
