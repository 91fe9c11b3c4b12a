/* Unit tests of RFC 9421 HTTP Message Signatures: the RFC's published signature bases
 * (Appendix B.2, sections 2.1-2.2), its verifiable signatures (B.2.6 Ed25519; the ECDSA P-256
 * signatures of section 4.3 and Appendix B.3; the transformations of B.4), the signer (which
 * must reproduce B.2.6 byte for byte), and one test per refusal. Vectors copied from RFC 9421
 * (Copyright (c) 2024 IETF Trust and the persons identified as the document authors; code
 * components under the Revised BSD License), unwrapped per RFC 8792. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "identity/b64.h"
#include "identity/httpsig.h"
#include "identity/sfv.h"
#include "identity/sig.h"

static struct ps_arena *arena;

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    arena = ps_arena_new(4 << 20);
    cr_assert(arena);
}

static void teardown(void)
{
    ps_arena_free(arena);
}

TestSuite(httpsig, .init = setup, .fini = teardown);

/* ---- the RFC's keys and messages (Appendix B.1) ---- */

#define ED25519_D "n4Ni-HpISpVObnQMW0wOhCKROaIKqKtW_2ZYb2p9KcU"
#define ED25519_X "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"
#define P256_D "UpuF81l-kOxbjf7T4mNSv0r5tN67Gim7rnf6EFpcYDs"
#define P256_X "qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA"
#define P256_Y "Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0"

#define DIGEST512 "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
#define HELLO "{\"hello\": \"world\"}"
#define CLIENT_CERT                                                                                \
    ":MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6MRswGQYDVQQKDBJMZXQncyBBdXRoZW50aWNhdGUxGzAZBgNVBAMMEkxB" \
    "IEludGVybWVkaWF0ZSBDQTAeFw0yMDAxMTQyMjU1MzNaFw0yMTAxMjMyMjU1MzNaMA0xCzAJBgNVBAMMAkJDMFkwEwYHKoZI" \
    "zj0CAQYIKoZIzj0DAQcDQgAE8YnXXfaUgmnMtOXU/IncWalRhebrXmckC8vdgJ1p5Be5F/3YC8OthxM4+k1M6aEAEFcGzkJi" \
    "Ny6J84y7uzo9M6NyMHAwCQYDVR0TBAIwADAfBgNVHSMEGDAWgBRm3WjLa38lbEYCuiCPct0ZaSED2DAOBgNVHQ8BAf8EBAMC" \
    "BsAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0RAQH/BBMwEYEPYmRjQGV4YW1wbGUuY29tMAoGCCqGSM49BAMCA0gAMEUC" \
    "IBHda/r1vaL6G3VliL4/Di6YK0Q6bMjeSkC3dFCOOB8TAiEAx/kHSB4urmiZ0NX5r5XarmPk0wmuydBVoU4hBVZ1yhk=:"

#define L(n, v) {PS_STR(n), PS_STR(v)}

/* test-request, Appendix B.2 */
static const struct ps_httpsig_field_line test_request[] = {
    L("Host", "example.com"),
    L("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    L("Content-Type", "application/json"),
    L("Content-Digest", DIGEST512),
    L("Content-Length", "18"),
};

struct msg {
    struct ps_httpsig_field_line lines[16];
    struct ps_httpsig_fields fields;
    struct ps_httpsig_request req;
};

static void msg_init(struct msg *m, const char *method, const char *uri,
                     const struct ps_httpsig_field_line *lines, size_t n, const char *content)
{
    memset(m, 0, sizeof *m);
    cr_assert(n <= 14);
    if (n)
        memcpy(m->lines, lines, n * sizeof *lines);
    m->fields = (struct ps_httpsig_fields){m->lines, n};
    m->req = (struct ps_httpsig_request){
        .method = ps_str_from_cstr(method), .target_uri = ps_str_from_cstr(uri),
        .field = ps_httpsig_fields_lookup, .field_ctx = &m->fields,
        .content = ps_str_from_cstr(content)};
}

static void msg_add(struct msg *m, const char *name, const char *value)
{
    cr_assert(m->fields.n < 16);
    m->lines[m->fields.n++] =
        (struct ps_httpsig_field_line){ps_str_from_cstr(name), ps_str_from_cstr(value)};
}

/* struct msg points into itself: initialize it where it lives */
static void test_req(struct msg *m)
{
    msg_init(m, "POST", "https://example.com/foo?param=Value&Pet=dog", test_request,
             sizeof test_request / sizeof test_request[0], HELLO);
}

/* The signature base for one Signature-Input member value ("(...);created=..."), or "ERR:<code>". */
static const char *base_of(const struct ps_httpsig_request *req, const char *member)
{
    static char out[PS_HTTPSIG_BASE_MAX + 1];
    struct ps_sfv_field f;
    char dict[4096];
    cr_assert(snprintf(dict, sizeof dict, "s=%s", member) < (int)sizeof dict);
    cr_assert_eq(ps_sfv_parse_dict(arena, ps_str_from_cstr(dict), NULL, &f, NULL), PS_OK, "%s",
                 member);
    struct ps_buf b;
    struct ps_id_diag d;
    ps_buf_init(&b, PS_HTTPSIG_BASE_MAX);
    enum ps_err e = ps_httpsig_base(arena, req, &f.members[0].value, &b, &d);
    if (e != PS_OK)
        snprintf(out, sizeof out, "ERR:%s", ps_id_code_name(d.code));
    else
        cr_assert_eq(ps_str_copy(out, sizeof out, ps_buf_str(&b)), PS_OK);
    ps_buf_reset(&b);
    return out;
}

Test(httpsig, rfc_b2_signature_bases)
{
    struct msg m;
    test_req(&m);
    /* B.2.1 */
    cr_assert_str_eq(base_of(&m.req, "();created=1618884473;keyid=\"test-key-rsa-pss\";nonce=\"b3k2pp5k7z-50gnwp.yemd\""),
                     "\"@signature-params\": ();created=1618884473;keyid=\"test-key-rsa-pss\";nonce=\"b3k2pp5k7z-50gnwp.yemd\"");
    /* B.2.2 */
    cr_assert_str_eq(base_of(&m.req, "(\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\""),
                     "\"@authority\": example.com\n"
                     "\"content-digest\": " DIGEST512 "\n"
                     "\"@query-param\";name=\"Pet\": dog\n"
                     "\"@signature-params\": (\"@authority\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1618884473;keyid=\"test-key-rsa-pss\";tag=\"header-example\"");
    /* B.2.3 */
    cr_assert_str_eq(base_of(&m.req, "(\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\""),
                     "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
                     "\"@method\": POST\n"
                     "\"@path\": /foo\n"
                     "\"@query\": ?param=Value&Pet=dog\n"
                     "\"@authority\": example.com\n"
                     "\"content-type\": application/json\n"
                     "\"content-digest\": " DIGEST512 "\n"
                     "\"content-length\": 18\n"
                     "\"@signature-params\": (\"date\" \"@method\" \"@path\" \"@query\" \"@authority\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-rsa-pss\"");
    /* B.2.5 (HMAC: only the base can be checked here) */
    cr_assert_str_eq(base_of(&m.req, "(\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\""),
                     "\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n"
                     "\"@authority\": example.com\n"
                     "\"content-type\": application/json\n"
                     "\"@signature-params\": (\"date\" \"@authority\" \"content-type\");created=1618884473;keyid=\"test-shared-secret\"");
    /* section 2.5's example */
    cr_assert_str_eq(base_of(&m.req, "(\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-length\" \"content-type\");created=1618884473;keyid=\"test-key-rsa-pss\""),
                     "\"@method\": POST\n\"@authority\": example.com\n\"@path\": /foo\n"
                     "\"content-digest\": " DIGEST512 "\n\"content-length\": 18\n"
                     "\"content-type\": application/json\n"
                     "\"@signature-params\": (\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-length\" \"content-type\");created=1618884473;keyid=\"test-key-rsa-pss\"");
}

Test(httpsig, rfc_field_values)
{
    /* section 2.1 */
    static const struct ps_httpsig_field_line lines[] = {
        L("Host", "www.example.com"),
        L("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
        L("X-OWS-Header", "   Leading and trailing whitespace.   "),
        L("X-Obs-Fold-Header", "Obsolete\r\n    line folding."),
        L("Cache-Control", "max-age=60"),
        L("Cache-Control", "   must-revalidate"),
        L("Example-Dict", " a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
        L("X-Empty-Header", ""),
    };
    struct msg m;
    msg_init(&m, "GET", "https://www.example.com/", lines, 8, "");
    cr_assert_str_eq(base_of(&m.req, "(\"host\" \"date\" \"x-ows-header\" \"x-obs-fold-header\" \"cache-control\" \"example-dict\" \"x-empty-header\")"),
                     "\"host\": www.example.com\n"
                     "\"date\": Tue, 20 Apr 2021 02:07:56 GMT\n"
                     "\"x-ows-header\": Leading and trailing whitespace.\n"
                     "\"x-obs-fold-header\": Obsolete line folding.\n"
                     "\"cache-control\": max-age=60, must-revalidate\n"
                     "\"example-dict\": a=1,    b=2;x=1;y=2,   c=(a   b   c)\n"
                     "\"x-empty-header\": \n"
                     "\"@signature-params\": (\"host\" \"date\" \"x-ows-header\" \"x-obs-fold-header\" \"cache-control\" \"example-dict\" \"x-empty-header\")");
    /* section 2.1.3: ;bs keeps two lines apart from one */
    static const struct ps_httpsig_field_line two[] = {L("Example-Header", "value, with, lots"),
                                                       L("Example-Header", "of, commas")};
    static const struct ps_httpsig_field_line one[] = {
        L("Example-Header", "value, with, lots, of, commas")};
    msg_init(&m, "GET", "https://www.example.com/", two, 2, "");
    cr_assert_str_eq(base_of(&m.req, "(\"example-header\";bs)"),
                     "\"example-header\";bs: :dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:\n"
                     "\"@signature-params\": (\"example-header\";bs)");
    cr_assert_str_eq(base_of(&m.req, "(\"example-header\")"),
                     "\"example-header\": value, with, lots, of, commas\n"
                     "\"@signature-params\": (\"example-header\")");
    msg_init(&m, "GET", "https://www.example.com/", one, 1, "");
    cr_assert_str_eq(base_of(&m.req, "(\"example-header\";bs)"),
                     "\"example-header\";bs: :dmFsdWUsIHdpdGgsIGxvdHMsIG9mLCBjb21tYXM=:\n"
                     "\"@signature-params\": (\"example-header\";bs)");
}

Test(httpsig, structured_components)
{
    static const struct ps_httpsig_field_line lines[] = {
        L("Content-Digest", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,   "
                            "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"),
        L("Example-Dict", "a=1"),
        L("Repr-Digest", "a=1, b=2;x=1;y=2,  c=(a   b    c), d"),
    };
    struct msg m;
    msg_init(&m, "GET", "https://www.example.com/", lines, 3, "");
    cr_assert_str_eq(base_of(&m.req, "(\"content-digest\";key=\"sha-256\" \"content-digest\";sf)"),
                     "\"content-digest\";key=\"sha-256\": :X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:\n"
                     "\"content-digest\";sf: sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, " DIGEST512 "\n"
                     "\"@signature-params\": (\"content-digest\";key=\"sha-256\" \"content-digest\";sf)");
    /* section 2.1.2's member values, on a dictionary field the verifier knows */
    cr_assert_str_eq(base_of(&m.req, "(\"repr-digest\";key=\"a\" \"repr-digest\";key=\"d\" \"repr-digest\";key=\"b\" \"repr-digest\";key=\"c\")"),
                     "\"repr-digest\";key=\"a\": 1\n\"repr-digest\";key=\"d\": ?1\n"
                     "\"repr-digest\";key=\"b\": 2;x=1;y=2\n\"repr-digest\";key=\"c\": (a b c)\n"
                     "\"@signature-params\": (\"repr-digest\";key=\"a\" \"repr-digest\";key=\"d\" \"repr-digest\";key=\"b\" \"repr-digest\";key=\"c\")");
    cr_assert_str_eq(base_of(&m.req, "(\"repr-digest\";key=\"z\")"), "ERR:httpsig-component-missing");
    cr_assert_str_eq(base_of(&m.req, "(\"example-dict\";sf)"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"example-dict\";key=\"a\")"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"repr-digest\";bs;sf)"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"repr-digest\";key=1)"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"repr-digest\";req)"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"repr-digest\";tr)"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"repr-digest\";foo)"), "ERR:httpsig-unsupported");
}

Test(httpsig, derived_components)
{
    struct msg m;
    msg_init(&m, "POST", "HTTPS://WWW.Example.COM:443/path?param=value&foo=bar&baz=bat%2Dman", NULL,
             0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@method\" \"@scheme\" \"@authority\" \"@path\" \"@query\" \"@request-target\" \"@target-uri\")"),
                     "\"@method\": POST\n\"@scheme\": https\n\"@authority\": www.example.com\n"
                     "\"@path\": /path\n\"@query\": ?param=value&foo=bar&baz=bat%2Dman\n"
                     "\"@request-target\": /path?param=value&foo=bar&baz=bat%2Dman\n"
                     "\"@target-uri\": HTTPS://WWW.Example.COM:443/path?param=value&foo=bar&baz=bat%2Dman\n"
                     "\"@signature-params\": (\"@method\" \"@scheme\" \"@authority\" \"@path\" \"@query\" \"@request-target\" \"@target-uri\")");
    msg_init(&m, "GET", "http://example.com:8080", NULL, 0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@authority\" \"@path\" \"@query\" \"@request-target\")"),
                     "\"@authority\": example.com:8080\n\"@path\": /\n\"@query\": ?\n"
                     "\"@request-target\": /\n"
                     "\"@signature-params\": (\"@authority\" \"@path\" \"@query\" \"@request-target\")");
    msg_init(&m, "GET", "http://[2001:DB8::1]:80/x?", NULL, 0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@authority\" \"@query\")"),
                     "\"@authority\": [2001:db8::1]\n\"@query\": ?\n"
                     "\"@signature-params\": (\"@authority\" \"@query\")");
    /* an explicit request target (absolute form to a proxy) wins */
    m.req.request_target = PS_STR("http://[2001:DB8::1]:80/x?");
    cr_assert_str_eq(base_of(&m.req, "(\"@request-target\")"),
                     "\"@request-target\": http://[2001:DB8::1]:80/x?\n"
                     "\"@signature-params\": (\"@request-target\")");
    cr_assert_str_eq(base_of(&m.req, "(\"@status\")"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"@frobnicate\")"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"@method\";req)"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"@signature-params\")"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"@method\" \"@method\")"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"Date\")"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"date\")"), "ERR:httpsig-component-missing");
    cr_assert_str_eq(base_of(&m.req, "(date)"), "ERR:httpsig-malformed");
    /* target URIs that are not absolute http(s)-like URIs */
    static const char *const bad[] = {"/relative", "https://", "https://user@host/",
                                      "https://host/a#frag", "https://host/a b", "mailto:x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        msg_init(&m, "GET", bad[i], NULL, 0, "");
        cr_assert_str_eq(base_of(&m.req, "(\"@method\")"), "ERR:httpsig-malformed", "%s", bad[i]);
    }
}

Test(httpsig, query_params)
{
    struct msg m;
    /* section 2.2.8 */
    msg_init(&m, "GET", "https://www.example.com/path?param=value&foo=bar&baz=batman&qux=", NULL, 0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"baz\" \"@query-param\";name=\"qux\" \"@query-param\";name=\"param\")"),
                     "\"@query-param\";name=\"baz\": batman\n\"@query-param\";name=\"qux\": \n"
                     "\"@query-param\";name=\"param\": value\n"
                     "\"@signature-params\": (\"@query-param\";name=\"baz\" \"@query-param\";name=\"qux\" \"@query-param\";name=\"param\")");
    msg_init(&m, "GET", "https://www.example.com/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%20=something",
             NULL, 0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"var\" \"@query-param\";name=\"bar\" \"@query-param\";name=\"fa%C3%A7ade%22%3A%20\")"),
                     "\"@query-param\";name=\"var\": this%20is%20a%20big%0Amultiline%20value\n"
                     "\"@query-param\";name=\"bar\": with%20plus%20whitespace\n"
                     "\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\": something\n"
                     "\"@signature-params\": (\"@query-param\";name=\"var\" \"@query-param\";name=\"bar\" \"@query-param\";name=\"fa%C3%A7ade%22%3A%20\")");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"none\")"),
                     "ERR:httpsig-component-missing");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\")"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=var)"), "ERR:httpsig-malformed");
    msg_init(&m, "GET", "https://h/p?a=1&b&a=2&c=%FF&d=%zz", NULL, 0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"a\")"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"b\")"),
                     "\"@query-param\";name=\"b\": \n\"@signature-params\": (\"@query-param\";name=\"b\")");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"c\")"), "ERR:httpsig-unsupported");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"d\")"),
                     "\"@query-param\";name=\"d\": %25zz\n\"@signature-params\": (\"@query-param\";name=\"d\")");
    msg_init(&m, "GET", "https://h/p", NULL, 0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@query-param\";name=\"a\")"), "ERR:httpsig-component-missing");
}

Test(httpsig, field_values_outside_ascii)
{
    static const struct ps_httpsig_field_line lines[] = {L("X-Name", "caf\xc3\xa9"),
                                                         L("X-Ctl", "a\x01b")};
    struct msg m;
    msg_init(&m, "GET", "https://h/", lines, 2, "");
    cr_assert_str_eq(base_of(&m.req, "(\"x-name\")"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"x-ctl\")"), "ERR:httpsig-malformed");
    cr_assert_str_eq(base_of(&m.req, "(\"x-name\";bs)"),
                     "\"x-name\";bs: :Y2Fmw6k=:\n\"@signature-params\": (\"x-name\";bs)");
}

Test(httpsig, base_limits)
{
    char big[PS_HTTPSIG_BASE_MAX];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    struct ps_httpsig_field_line lines[] = {{PS_STR("X-Big"), ps_str_from_cstr(big)}};
    struct msg m;
    msg_init(&m, "GET", "https://h/", lines, 1, "");
    cr_assert_str_eq(base_of(&m.req, "(\"x-big\")"), "ERR:httpsig-limit");
    lines[0].value.len = PS_HTTPSIG_BASE_MAX - 200;
    msg_init(&m, "GET", "https://h/", lines, 1, "");
    cr_assert_str_neq(base_of(&m.req, "(\"x-big\")"), "ERR:httpsig-limit");
    /* 32 components are fine, 33 are not */
    struct ps_buf list;
    ps_buf_init(&list, 4096);
    cr_assert_eq(ps_buf_append(&list, "(", 1), PS_OK);
    for (int i = 0; i < 33; i++)
        cr_assert_eq(ps_buf_printf(&list, "%s\"@query-param\";name=\"p%d\"", i ? " " : "", i),
                     PS_OK);
    cr_assert_eq(ps_buf_append(&list, ")", 1), PS_OK);
    cr_assert_str_eq(base_of(&m.req, list.p), "ERR:httpsig-limit");
    ps_buf_reset(&list);
    char uri[PS_HTTPSIG_TARGET_MAX + 2] = "https://h/";
    memset(uri + 10, 'p', sizeof uri - 11);
    uri[sizeof uri - 1] = '\0';
    msg_init(&m, "GET", uri, NULL, 0, "");
    cr_assert_str_eq(base_of(&m.req, "(\"@path\")"), "ERR:httpsig-malformed");
}

/* ---- verification ---- */

struct keyring {
    struct ps_httpsig_key ed, p256;
    int calls;
    enum ps_err fail; /* returned instead of a key when set */
};

static void b64url(const char *s, uint8_t *out, size_t n)
{
    struct ps_bytes b;
    cr_assert_eq(ps_b64url_decode(arena, ps_str_from_cstr(s), n, &b), PS_OK);
    cr_assert_eq(b.len, n);
    memcpy(out, b.p, n);
}

static enum ps_err resolve(void *ctx, struct ps_str keyid, struct ps_httpsig_key *key)
{
    struct keyring *k = ctx;
    k->calls++;
    if (k->fail)
        return k->fail;
    if (ps_str_eq_cstr(keyid, "test-key-ed25519"))
        *key = k->ed;
    else if (ps_str_eq_cstr(keyid, "test-key-ecc-p256"))
        *key = k->p256;
    else
        return PS_ERR_NOTFOUND;
    return PS_OK;
}

static struct keyring keys(void)
{
    struct keyring k = {.ed = {.alg = PS_HTTPSIG_ED25519, .pub_len = 32},
                        .p256 = {.alg = PS_HTTPSIG_ECDSA_P256_SHA256, .pub_len = 65}};
    b64url(ED25519_X, k.ed.pub, 32);
    k.p256.pub[0] = 0x04;
    b64url(P256_X, k.p256.pub + 1, 32);
    b64url(P256_Y, k.p256.pub + 33, 32);
    return k;
}

static struct ps_httpsig_policy policy(struct keyring *k, int64_t now)
{
    static const char *const req[] = {"@method", "@authority"};
    return (struct ps_httpsig_policy){.required = req, .nrequired = 2, .now = now,
                                      .resolve = resolve, .resolve_ctx = k};
}

#define B26_INPUT "sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\""
#define B26_SIG "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"

/* verify with the B.2.6 message; the request has no content here so that the policy's
 * content-digest rule does not apply (B.2.6 does not cover it) */
static enum ps_err verify_b26(const char *input, const char *sig, struct ps_httpsig_policy *pol,
                              struct ps_httpsig_result *r, struct ps_id_diag *d)
{
    struct msg m;
    test_req(&m);
    m.req.content = PS_STR("");
    if (input)
        msg_add(&m, "Signature-Input", input);
    if (sig)
        msg_add(&m, "Signature", sig);
    return ps_httpsig_verify(arena, &m.req, pol, r, d);
}

Test(httpsig, rfc_b26_ed25519_verifies)
{
    struct keyring k = keys();
    struct ps_httpsig_policy pol = policy(&k, 1618884473);
    struct ps_httpsig_result r;
    struct ps_id_diag d;
    cr_assert_eq(verify_b26(B26_INPUT, B26_SIG, &pol, &r, &d), PS_OK, "%s: %s",
                 ps_id_code_name(d.code), d.d.message);
    cr_assert_eq(d.code, PS_ID_OK);
    cr_assert(ps_str_eq_cstr(r.label, "sig-b26"));
    cr_assert(ps_str_eq_cstr(r.keyid, "test-key-ed25519"));
    cr_assert_eq(r.created, 1618884473);
    cr_assert_not(r.has_expires);
    cr_assert_null(r.nonce.p);
    cr_assert_eq(r.alg, PS_HTTPSIG_ED25519);
    cr_assert_eq(r.ncomponents, 6);
    cr_assert(ps_str_eq_cstr(r.components[0].name, "date"));
    cr_assert(ps_str_eq_cstr(r.components[5].id, "\"content-length\""));
    cr_assert(ps_str_starts_with(r.base, PS_STR("\"date\": Tue, 20 Apr 2021 02:07:55 GMT\n")));
    cr_assert_eq(r.digest_algs, 0);
    /* one byte of the signature, of a covered field, of the parameters */
    cr_assert_eq(verify_b26(B26_INPUT, "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCA==:",
                            &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_BAD_SIGNATURE);
    struct msg m;
    test_req(&m);
    m.req.content = PS_STR("");
    m.lines[2].value = PS_STR("text/plain");
    msg_add(&m, "Signature-Input", B26_INPUT);
    msg_add(&m, "Signature", B26_SIG);
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_BAD_SIGNATURE);
    cr_assert_eq(verify_b26("sig-b26=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884474;keyid=\"test-key-ed25519\"",
                            B26_SIG, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_BAD_SIGNATURE);
    /* the same signature under another label still verifies: the label is not signed */
    cr_assert_eq(verify_b26("other=(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\");created=1618884473;keyid=\"test-key-ed25519\"",
                            "other=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:",
                            &pol, &r, &d), PS_OK);
}

Test(httpsig, signer_reproduces_b26)
{
    uint8_t seed[32], pk[32], sk[64];
    b64url(ED25519_D, seed, 32);
    cr_assert_eq(crypto_sign_seed_keypair(pk, sk, seed), 0);
    struct keyring k = keys();
    cr_assert_eq(memcmp(pk, k.ed.pub, 32), 0);
    static const char *const comps[] = {"date", "@method", "@path", "@authority", "content-type",
                                        "content-length"};
    struct ps_httpsig_sign_params p = {.label = PS_STR("sig-b26"), .components = comps,
                                       .ncomponents = 6, .created = 1618884473,
                                       .keyid = PS_STR("test-key-ed25519"),
                                       .alg = PS_HTTPSIG_ED25519, .secret = sk};
    struct msg m;
    test_req(&m);
    struct ps_buf in, sig, base;
    ps_buf_init(&in, 4096);
    ps_buf_init(&sig, 4096);
    ps_buf_init(&base, 4096);
    struct ps_id_diag d;
    cr_assert_eq(ps_httpsig_sign(arena, &m.req, &p, &in, &sig, &base, &d), PS_OK, "%s", d.d.message);
    cr_assert_str_eq(in.p, B26_INPUT);
    cr_assert_str_eq(sig.p, B26_SIG);
    cr_assert(strstr(base.p, "\"@authority\": example.com\n"));
    ps_buf_reset(&in);
    ps_buf_reset(&sig);
    ps_buf_reset(&base);
}

Test(httpsig, sign_verify_roundtrip_p256_with_everything)
{
    uint8_t priv[32], pub[65];
    cr_assert_eq(ps_sig_p256_keygen(priv, pub), PS_OK);
    struct keyring k = keys();
    memcpy(k.p256.pub, pub, 65);
    static const char *const comps[] = {"@method", "@target-uri", "content-digest",
                                        "\"@query-param\";name=\"Pet\""};
    struct ps_httpsig_sign_params p = {.label = PS_STR("client"), .components = comps,
                                       .ncomponents = 4, .created = 1700000000,
                                       .expires = 1700000060, .keyid = PS_STR("test-key-ecc-p256"),
                                       .nonce = PS_STR("n-0001"), .tag = PS_STR("pocketstate"),
                                       .include_alg = true, .alg = PS_HTTPSIG_ECDSA_P256_SHA256,
                                       .secret = priv};
    struct msg m;
    test_req(&m);
    struct ps_buf in, sig;
    ps_buf_init(&in, 4096);
    ps_buf_init(&sig, 4096);
    struct ps_id_diag d;
    cr_assert_eq(ps_httpsig_sign(arena, &m.req, &p, &in, &sig, NULL, &d), PS_OK, "%s", d.d.message);
    cr_assert_str_eq(in.p, "client=(\"@method\" \"@target-uri\" \"content-digest\" \"@query-param\";name=\"Pet\");created=1700000000;expires=1700000060;keyid=\"test-key-ecc-p256\";nonce=\"n-0001\";tag=\"pocketstate\";alg=\"ecdsa-p256-sha256\"");
    msg_add(&m, "Signature-Input", in.p);
    msg_add(&m, "Signature", sig.p);
    struct ps_httpsig_policy pol = policy(&k, 1700000030);
    pol.require_nonce = true;
    pol.tag = PS_STR("pocketstate");
    static const char *const req[] = {"@method", "@target-uri"};
    pol.required = req;
    struct ps_httpsig_result r;
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_OK, "%s: %s",
                 ps_id_code_name(d.code), d.d.message);
    cr_assert(ps_str_eq_cstr(r.nonce, "n-0001"));
    cr_assert(ps_str_eq_cstr(r.tag, "pocketstate"));
    cr_assert(r.has_expires);
    cr_assert_eq(r.expires, 1700000060);
    cr_assert_eq(r.digest_algs, 1u << 1); /* PS_DIGEST_SHA512 */
    cr_assert_eq(r.alg, PS_HTTPSIG_ECDSA_P256_SHA256);
    /* the content changed under a valid signature: the digest catches it */
    m.req.content = PS_STR("{\"hello\": \"World\"}");
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_DG_MISMATCH);
    /* after expiry */
    m.req.content = PS_STR(HELLO);
    pol.now = 1700000061;
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_EXPIRED);
    ps_buf_reset(&in);
    ps_buf_reset(&sig);
    /* a component string that is no identifier */
    static const char *const bad[] = {"\"@method"};
    p.components = bad;
    p.ncomponents = 1;
    ps_buf_init(&in, 4096);
    ps_buf_init(&sig, 4096);
    cr_assert_eq(ps_httpsig_sign(arena, &m.req, &p, &in, &sig, NULL, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_HS_MALFORMED);
    p.components = comps;
    p.label = PS_STR("Bad Label");
    cr_assert_eq(ps_httpsig_sign(arena, &m.req, &p, &in, &sig, NULL, &d), PS_ERR_INVALID);
    ps_buf_reset(&in);
    ps_buf_reset(&sig);
}

#define SIG1_INPUT "sig1=(\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-type\" \"content-length\");created=1618884475;keyid=\"test-key-ecc-p256\""
#define SIG1 "sig1=:X5spyd6CFnAG5QnDyHfqoSNICd+BUP4LYMz2Q0JXlb//4Ijpzp+kve2w4NIyqeAuM7jTDX+sNalzA8ESSaHD3A==:"
#define PROXY_INPUT "proxy_sig=(\"@method\" \"@authority\" \"@path\" \"content-digest\" \"content-type\" \"content-length\" \"forwarded\");created=1618884480;keyid=\"test-key-rsa\";alg=\"rsa-v1_5-sha256\";expires=1618884540"
#define PROXY_SIG "proxy_sig=:S6ZzPXSdAMOPjN/6KXfXWNO/f7V6cHm7BXYUh3YD/fRad4BCaRZxP+JH+8XY1I6+8Cy+CM5g92iHgxtRPz+MjniOaYmdkDcnL9cCpXJleXsOckpURl49GwiyUpZ10KHgOEe11sx3G2gxI8S0jnxQB+Pu68U9vVcasqOWAEObtNKKZd8tSFu7LB5YAv0RAGhB8tmpv7sFnIm9y+7X5kXQfi8NMaZaA8i2ZHwpBdg7a6CMfwnnrtflzvZdXAsD3LH2TwevU+/PBPv0B6NMNk93wUs/vfJvye+YuI87HU38lZHowtznbLVdp770I6VHR6WfgS9ddzirrswsE1w5o0LV/g==:"

Test(httpsig, rfc_multiple_signatures_p256)
{
    /* section 4.3: the client's ECDSA signature sig1, first on the client's message */
    struct keyring k = keys();
    struct ps_httpsig_policy pol = policy(&k, 1618884475);
    static const char *const req[] = {"@method", "@authority", "@path"};
    pol.required = req;
    pol.nrequired = 3;
    struct ps_httpsig_result r;
    struct ps_id_diag d;
    struct msg m;
    test_req(&m);
    msg_add(&m, "Signature-Input", SIG1_INPUT);
    msg_add(&m, "Signature", SIG1);
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_OK, "%s: %s",
                 ps_id_code_name(d.code), d.d.message);
    cr_assert_eq(r.digest_algs, 1u << 1);
    cr_assert_eq(r.alg, PS_HTTPSIG_ECDSA_P256_SHA256);
    /* then on the proxy's message with both signatures (two field lines each) */
    static const struct ps_httpsig_field_line fwd[] = {
        L("Host", "origin.host.internal.example"),
        L("Date", "Tue, 20 Apr 2021 02:07:56 GMT"),
        L("Content-Type", "application/json"),
        L("Content-Length", "18"),
        L("Forwarded", "for=192.0.2.123;host=example.com;proto=https"),
        L("Content-Digest", DIGEST512),
        L("Signature-Input", SIG1_INPUT),
        L("Signature-Input", PROXY_INPUT),
        L("Signature", SIG1 ", " PROXY_SIG),
    };
    msg_init(&m, "POST", "https://origin.host.internal.example/foo?param=Value&Pet=dog", fwd, 9, HELLO);
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_HS_AMBIGUOUS);
    pol.label = PS_STR("sig1");
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_BAD_SIGNATURE); /* the proxy changed the authority */
    m.req.target_uri = PS_STR("https://example.com/foo?param=Value&Pet=dog");
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_OK, "%s", d.d.message);
    /* the proxy's RSA key is not one we know */
    pol.label = PS_STR("proxy_sig");
    pol.now = 1618884480;
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_UNKNOWN_KEY);
    pol.label = PS_STR("nope");
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_MISSING);
}

Test(httpsig, rfc_b3_tls_terminating_proxy_p256)
{
    static const struct ps_httpsig_field_line lines[] = {
        L("Host", "service.internal.example"),
        L("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
        L("Content-Type", "application/json"),
        L("Content-Length", "18"),
        L("Client-Cert", CLIENT_CERT),
        L("Signature-Input", "ttrp=(\"@path\" \"@query\" \"@method\" \"@authority\" \"client-cert\");created=1618884473;keyid=\"test-key-ecc-p256\""),
        L("Signature", "ttrp=:xVMHVpawaAC/0SbHrKRs9i8I3eOs5RtTMGCWXm/9nvZzoHsIg6Mce9315T6xoklyy0yzhD9ah4JHRwMLOgmizw==:"),
    };
    struct keyring k = keys();
    struct ps_httpsig_policy pol = policy(&k, 1618884473);
    struct ps_httpsig_result r;
    struct ps_id_diag d;
    struct msg m;
    msg_init(&m, "POST", "https://service.internal.example/foo?param=Value&Pet=dog", lines, 7, HELLO);
    /* the signature leaves the content uncovered and there is no Content-Digest */
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_DG_MISSING);
    msg_add(&m, "Content-Digest", DIGEST512);
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_COMPONENTS);
    m.req.content = PS_STR("");
    cr_assert_eq(ps_httpsig_verify(arena, &m.req, &pol, &r, &d), PS_OK, "%s: %s",
                 ps_id_code_name(d.code), d.d.message);
    cr_assert_eq(r.ncomponents, 5);
}

Test(httpsig, rfc_b24_response_signature_over_its_base)
{
    /* @status is a response component this verifier refuses; the B.2.4 signature is still
     * checked over the RFC's printed base with the primitive the verifier uses */
    static const char base[] =
        "\"@status\": 200\n\"content-type\": application/json\n"
        "\"content-digest\": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5aGgfLQ==:\n"
        "\"content-length\": 23\n"
        "\"@signature-params\": (\"@status\" \"content-type\" \"content-digest\" \"content-length\");created=1618884473;keyid=\"test-key-ecc-p256\"";
    struct ps_bytes sig;
    cr_assert_eq(ps_b64_decode(arena, PS_STR("wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32oiasw=="),
                               64, &sig), PS_OK);
    struct keyring k = keys();
    cr_assert_eq(ps_sig_p256_verify(k.p256.pub, base, sizeof base - 1, sig.p, sig.len), PS_OK);
    cr_assert_eq(ps_sig_p256_verify(k.p256.pub, base, sizeof base - 2, sig.p, sig.len), PS_ERR_CRYPTO);
}

#define TRANSFORM_INPUT "transform=(\"@method\" \"@path\" \"@authority\" \"accept\");created=1618884473;keyid=\"test-key-ed25519\""
#define TRANSFORM_SIG "transform=:ZT1kooQsEHpZ0I1IjCqtQppOmIqlJPeo7DHR3SoMn0s5JZ1eRGS0A+vyYP9t/LXlh5QMFFQ6cpLt2m0pmj3NDA==:"

static enum ps_id_code transform(const char *method, const char *uri,
                                 const struct ps_httpsig_field_line *lines, size_t n)
{
    struct keyring k = keys();
    struct ps_httpsig_policy pol = policy(&k, 1618884473);
    struct ps_httpsig_result r;
    struct ps_id_diag d;
    struct msg m;
    msg_init(&m, method, uri, lines, n, "");
    msg_add(&m, "Signature-Input", TRANSFORM_INPUT);
    msg_add(&m, "Signature", TRANSFORM_SIG);
    d.code = PS_ID_INTERNAL;
    enum ps_err e = ps_httpsig_verify(arena, &m.req, &pol, &r, &d);
    cr_assert_eq(e == PS_OK, d.code == PS_ID_OK);
    return d.code;
}

Test(httpsig, rfc_b4_transformations)
{
    static const struct ps_httpsig_field_line orig[] = {
        L("Host", "example.org"), L("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        L("Accept", "application/json"), L("Accept", "*/*")};
    static const struct ps_httpsig_field_line added[] = {
        L("Host", "example.org"), L("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        L("Accept", "application/json"), L("Accept", "*/*"),
        L("Accept-Language", "en-US,en;q=0.5")};
    static const struct ps_httpsig_field_line collapsed[] = {
        L("Host", "example.org"), L("Referer", "https://developer.example.org/demo"),
        L("Accept", "application/json, */*")};
    static const struct ps_httpsig_field_line reordered[] = {
        L("Accept", "application/json"), L("Accept", "*/*"),
        L("Date", "Fri, 15 Jul 2022 14:24:55 GMT"), L("Host", "example.org")};
    static const struct ps_httpsig_field_line swapped[] = {
        L("Host", "example.org"), L("Date", "Fri, 15 Jul 2022 14:24:55 GMT"),
        L("Accept", "*/*"), L("Accept", "application/json")};
    const char *u = "https://example.org/demo?name1=Value1&Name2=value2";
    cr_assert_eq(transform("GET", u, orig, 4), PS_ID_OK);
    cr_assert_eq(transform("GET", "https://example.org/demo?name1=Value1&Name2=value2&param=added",
                           added, 5), PS_ID_OK);
    cr_assert_eq(transform("GET", u, collapsed, 3), PS_ID_OK);
    cr_assert_eq(transform("GET", u, reordered, 4), PS_ID_OK);
    cr_assert_eq(transform("POST", "https://example.com/demo?name1=Value1&Name2=value2", orig, 4),
                 PS_ID_HS_BAD_SIGNATURE);
    cr_assert_eq(transform("GET", u, swapped, 4), PS_ID_HS_BAD_SIGNATURE);
}

/* Verifies B.2.6's message with other Signature-Input / Signature values; returns the code. */
static enum ps_id_code refusal(const char *input, const char *sig, struct ps_httpsig_policy *pol)
{
    struct ps_httpsig_result r;
    struct ps_id_diag d;
    d.code = PS_ID_OK;
    enum ps_err e = verify_b26(input, sig, pol, &r, &d);
    cr_assert_eq(e == PS_OK, d.code == PS_ID_OK, "%s", d.d.message);
    if (e != PS_OK && d.code != PS_ID_INTERNAL)
        cr_assert_eq(e, ps_id_code_err(d.code));
    return d.code;
}

#define B26_PARAMS "(\"date\" \"@method\" \"@path\" \"@authority\" \"content-type\" \"content-length\")"
#define B26_SIGVAL ":wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lIp5WPpBKRCw==:"

Test(httpsig, refusals)
{
    struct keyring k = keys();
    struct ps_httpsig_policy pol = policy(&k, 1618884473);
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_OK);
    cr_assert_eq(refusal(NULL, NULL, &pol), PS_ID_HS_MISSING);
    cr_assert_eq(refusal(B26_INPUT, NULL, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal(NULL, B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal("sig-b26=(\"date\"", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal(B26_INPUT, "sig-b26=:wqcA", &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal(B26_INPUT, "other=" B26_SIGVAL, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal(B26_INPUT, B26_SIG ", other=" B26_SIGVAL, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal(B26_INPUT, "sig-b26=\"text\"", &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal(B26_INPUT, B26_SIG ";x=1", &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal("sig-b26=\"@method\"", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal(B26_INPUT ", sig-b26=()", B26_SIG, &pol), PS_ID_HS_MALFORMED); /* repeat */
    cr_assert_eq(refusal(B26_INPUT ";created=1618884473", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    /* parameter types and presence */
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=\"1618884473\";keyid=\"test-key-ed25519\"", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=test-key-ed25519", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";nonce=1", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";expires=1.5", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";alg=ed25519", B26_SIG, &pol), PS_ID_HS_MALFORMED);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473", B26_SIG, &pol), PS_ID_HS_PARAMS);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";keyid=\"test-key-ed25519\"", B26_SIG, &pol), PS_ID_HS_PARAMS);
    pol.require_nonce = true;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_PARAMS);
    pol.require_nonce = false;
    /* unknown parameters are allowed (and signed) */
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";x=1", B26_SIG, &pol), PS_ID_HS_BAD_SIGNATURE);
    /* freshness: +-300 s by default, or the policy's window */
    pol.now = 1618884473 + 300;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_OK);
    pol.now = 1618884473 + 301;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_STALE);
    pol.now = 1618884473 - 301;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_STALE);
    pol.window_s = 5;
    pol.now = 1618884473 + 6;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_STALE);
    pol.now = 1618884473 + 5;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_OK);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";expires=1618884477", B26_SIG, &pol), PS_ID_HS_EXPIRED);
    pol.window_s = 0;
    pol.now = 1618884473;
    /* required components */
    static const char *const req[] = {"@method", "@target-uri"};
    pol.required = req;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_COMPONENTS);
    pol.required = NULL; /* the default is @method and @target-uri */
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_COMPONENTS);
    pol = policy(&k, 1618884473);
    /* keys and algorithms */
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"who\"", B26_SIG, &pol), PS_ID_HS_UNKNOWN_KEY);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";alg=\"ecdsa-p256-sha256\"", B26_SIG, &pol), PS_ID_HS_ALGORITHM);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";alg=\"hmac-sha256\"", B26_SIG, &pol), PS_ID_HS_ALGORITHM);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ecc-p256\"", B26_SIG, &pol), PS_ID_HS_BAD_SIGNATURE);
    cr_assert_eq(refusal(B26_INPUT, "sig-b26=:AAAA:", &pol), PS_ID_HS_BAD_SIGNATURE);
    /* the resolver's own failure is passed through */
    k.fail = PS_ERR_UNAVAILABLE;
    struct ps_httpsig_result r;
    struct ps_id_diag d;
    cr_assert_eq(verify_b26(B26_INPUT, B26_SIG, &pol, &r, &d), PS_ERR_UNAVAILABLE);
    cr_assert_eq(d.code, PS_ID_INTERNAL);
    k.fail = PS_OK;
    pol.resolve = NULL;
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_UNKNOWN_KEY);
    pol.resolve = resolve;
    /* choosing by tag */
    pol.tag = PS_STR("app");
    cr_assert_eq(refusal(B26_INPUT, B26_SIG, &pol), PS_ID_HS_MISSING);
    /* a token is no string tag: it does not match, and without a tag filter it is malformed */
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";tag=app", B26_SIG, &pol), PS_ID_HS_MISSING);
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";tag=\"app\"", B26_SIG, &pol), PS_ID_HS_BAD_SIGNATURE);
    pol.tag = PS_STR_NULL;
    cr_assert_eq(refusal("sig-b26=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\";tag=app", B26_SIG, &pol), PS_ID_HS_MALFORMED);
}

Test(httpsig, field_limits)
{
    struct keyring k = keys();
    struct ps_httpsig_policy pol = policy(&k, 1618884473);
    struct ps_buf in, sig;
    ps_buf_init(&in, 1 << 16);
    ps_buf_init(&sig, 1 << 16);
    for (int i = 0; i < 9; i++) {
        cr_assert_eq(ps_buf_printf(&in, "%ss%d=" B26_PARAMS ";created=1618884473;keyid=\"test-key-ed25519\"", i ? ", " : "", i), PS_OK);
        cr_assert_eq(ps_buf_printf(&sig, "%ss%d=" B26_SIGVAL, i ? ", " : "", i), PS_OK);
        if (i == 7) {
            pol.label = PS_STR("s7");
            cr_assert_eq(refusal(in.p, sig.p, &pol), PS_ID_OK);
        }
    }
    cr_assert_eq(refusal(in.p, sig.p, &pol), PS_ID_HS_LIMIT);
    ps_buf_reset(&in);
    ps_buf_reset(&sig);
    ps_buf_init(&in, 1 << 16);
    cr_assert_eq(ps_buf_append_cstr(&in, B26_INPUT ";x=\""), PS_OK);
    while (in.len < PS_HTTPSIG_FIELD_MAX)
        cr_assert_eq(ps_buf_append(&in, "a", 1), PS_OK);
    cr_assert_eq(ps_buf_append(&in, "\"", 1), PS_OK);
    cr_assert_eq(refusal(in.p, B26_SIG, &pol), PS_ID_HS_LIMIT);
    ps_buf_reset(&in);
}

/* ---- the signature primitives under both protocols ---- */

static enum ps_err der(const char *h, uint8_t raw[64])
{
    uint8_t b[128];
    size_t n = 0;
    cr_assert_eq(sodium_hex2bin(b, sizeof b, h, strlen(h), NULL, &n, NULL), 0);
    return ps_sig_ecdsa_der_to_raw(b, n, 32, raw);
}

Test(httpsig, strict_der_and_points)
{
    uint8_t raw[64];
    cr_assert_eq(der("3006020101020102", raw), PS_OK);
    cr_assert_eq(raw[31], 1);
    cr_assert_eq(raw[63], 2);
    cr_assert_eq(der("300702020080020102", raw), PS_OK); /* 0x80 needs its 0x00 */
    cr_assert_eq(raw[31], 0x80);
    cr_assert_eq(der("3006020180020102", raw), PS_ERR_INVALID);     /* negative */
    cr_assert_eq(der("300702020001020102", raw), PS_ERR_INVALID);   /* superfluous 0x00 */
    cr_assert_eq(der("3006020100020102", raw), PS_ERR_INVALID);     /* zero */
    cr_assert_eq(der("300602010102010200", raw), PS_ERR_INVALID);   /* trailing byte */
    cr_assert_eq(der("3007020101020102", raw), PS_ERR_INVALID);     /* length mismatch */
    cr_assert_eq(der("308106020101020102", raw), PS_ERR_INVALID);   /* needless long form */
    cr_assert_eq(der("3106020101020102", raw), PS_ERR_INVALID);     /* not a SEQUENCE */
    cr_assert_eq(der("3006030101020102", raw), PS_ERR_INVALID);     /* not an INTEGER */
    /* 33 value bytes do not fit a 32-byte field */
    cr_assert_eq(der("302602210101010101010101010101010101010101010101010101010101010101010101020101",
                     raw), PS_ERR_INVALID);
    /* raw -> DER -> raw, the long form for a 66-byte field */
    uint8_t r[132], back[132], out[200];
    size_t n;
    memset(r, 0xff, sizeof r);
    cr_assert_eq(ps_sig_ecdsa_raw_to_der(r, 66, out, sizeof out, &n), PS_OK);
    cr_assert_eq(out[1], 0x81);
    cr_assert_eq(ps_sig_ecdsa_der_to_raw(out, n, 66, back), PS_OK);
    cr_assert_eq(memcmp(r, back, sizeof r), 0);
    cr_assert_eq(ps_sig_ecdsa_raw_to_der(r, 32, out, 10, &n), PS_ERR_INVALID);
    /* points */
    struct keyring k = keys();
    cr_assert(ps_sig_p256_point_valid(k.p256.pub));
    uint8_t bad[65];
    memcpy(bad, k.p256.pub, 65);
    bad[64] ^= 1;
    cr_assert_not(ps_sig_p256_point_valid(bad));
    bad[64] ^= 1;
    bad[0] = 0x03;
    cr_assert_not(ps_sig_p256_point_valid(bad));
    uint8_t sig[64] = {1};
    cr_assert_eq(ps_sig_p256_verify(bad, "m", 1, sig, 64), PS_ERR_INVALID);
    cr_assert_eq(ps_sig_p256_verify(k.p256.pub, "m", 1, sig, 63), PS_ERR_INVALID);
    memset(sig, 0, sizeof sig); /* r = s = 0 */
    cr_assert_eq(ps_sig_p256_verify(k.p256.pub, "m", 1, sig, 64), PS_ERR_CRYPTO);
    cr_assert_eq(ps_sig_ed25519_verify(k.ed.pub, "m", 1, sig, 63), PS_ERR_INVALID);
    cr_assert_eq(ps_sig_ed25519_verify(k.ed.pub, "m", 1, sig, 64), PS_ERR_CRYPTO);
    /* the private key of the RFC's P-256 test key gives its public key, and signs */
    uint8_t d[32], pub[65];
    b64url(P256_D, d, 32);
    cr_assert_eq(ps_sig_p256_public(d, pub), PS_OK);
    cr_assert_eq(memcmp(pub, k.p256.pub, 65), 0);
    cr_assert_eq(ps_sig_p256_sign(d, "msg", 3, sig), PS_OK);
    cr_assert_eq(ps_sig_p256_verify(pub, "msg", 3, sig, 64), PS_OK);
    memset(d, 0, sizeof d);
    cr_assert_eq(ps_sig_p256_public(d, pub), PS_ERR_INVALID);
    memset(d, 0xff, sizeof d); /* above the group order */
    cr_assert_eq(ps_sig_p256_public(d, pub), PS_ERR_INVALID);
}
