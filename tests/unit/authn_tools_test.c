/* Unit tests of the test tools against the verifiers they serve: the software authenticator's
 * registrations and assertions (library and ps_authn command) pass ps_webauthn_register /
 * ps_webauthn_assertion_verify with counters that increase, and the request signer's output
 * (library and ps_httpsig command) passes ps_httpsig_verify. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authn_tools.h"
#include "core/arena.h"
#include "identity/webauthn.h"

static struct ps_arena *arena;
static char dir[64];

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    arena = ps_arena_new(16 << 20);
    cr_assert(arena);
    cr_assert_eq(ps_str_copy(dir, sizeof dir, PS_STR("/tmp/ps_tools_XXXXXX")), PS_OK);
    cr_assert(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    cr_assert(snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir) < (int)sizeof cmd);
    cr_assert_eq(system(cmd), 0);
    ps_arena_free(arena);
}

TestSuite(authn_tools, .init = setup, .fini = teardown);

static const struct ps_str origins[] = {PS_STR("https://id.example.gov")};
static uint8_t challenge[32], user[32];

static json_t *creation(void)
{
    randombytes_buf(challenge, sizeof challenge);
    memset(user, 0x5a, sizeof user);
    struct ps_webauthn_creation c = {.rp_id = PS_STR("id.example.gov"), .rp_name = PS_STR("PS"),
                                     .user_handle = {user, 32}, .user_name = PS_STR("u"),
                                     .user_display_name = PS_STR("U"), .challenge = {challenge, 32}};
    json_t *o;
    cr_assert_eq(ps_webauthn_creation_options(arena, &c, &o, NULL), PS_OK);
    return o;
}

static json_t *request(void)
{
    randombytes_buf(challenge, sizeof challenge);
    struct ps_webauthn_request r = {.rp_id = PS_STR("id.example.gov"), .challenge = {challenge, 32}};
    json_t *o;
    cr_assert_eq(ps_webauthn_request_options(arena, &r, &o, NULL), PS_OK);
    return o;
}

static struct ps_webauthn_expect expect(void)
{
    return (struct ps_webauthn_expect){.rp_id = PS_STR("id.example.gov"), .origins = origins,
                                       .norigins = 1, .challenge = {challenge, 32}};
}

static enum ps_id_code assert_with(const char *json, struct ps_webauthn_stored *st,
                                   struct ps_webauthn_auth *out)
{
    struct ps_webauthn_assertion as;
    struct ps_id_diag d = {0};
    struct ps_webauthn_expect exp = expect();
    if (ps_webauthn_assertion_parse(arena, ps_str_from_cstr(json), &as, &d) == PS_OK)
        (void)!ps_webauthn_assertion_verify(arena, &exp, &as, st, out, &d);
    return d.code;
}

static void ceremony(int alg, bool packed)
{
    struct ps_softauthn sa;
    struct ps_buf b;
    struct ps_diag d = {0};
    struct ps_id_diag id = {0};
    cr_assert_eq(ps_softauthn_init(&sa, alg), PS_OK);
    ps_buf_init(&b, 1 << 17);
    cr_assert_eq(ps_softauthn_create(&sa, creation(), PS_STR("https://id.example.gov"), packed, &b, &d),
                 PS_OK, "%s", d.message);
    struct ps_webauthn_credential c;
    struct ps_webauthn_expect exp = expect();
    cr_assert_eq(ps_webauthn_register(arena, &exp, ps_buf_str(&b), &c, &id), PS_OK, "%s: %s",
                 ps_id_code_name(id.code), id.d.message);
    cr_assert_eq(c.alg, alg);
    cr_assert_eq(c.sign_count, 1);
    cr_assert(c.uv && !c.be);
    cr_assert_eq(c.attestation, packed ? PS_WEBAUTHN_ATTESTATION_SELF : PS_WEBAUTHN_ATTESTATION_NONE);
    cr_assert_eq(c.transports, PS_WEBAUTHN_INTERNAL);
    struct ps_webauthn_stored st = {.public_key = c.public_key, .alg = c.alg,
                                    .sign_count = c.sign_count, .user_handle = {user, 32}};
    struct ps_webauthn_auth out;
    for (uint32_t i = 2; i < 5; i++) {
        b.len = 0;
        cr_assert_eq(ps_softauthn_get(&sa, request(), PS_STR("https://id.example.gov"), &b, &d), PS_OK);
        cr_assert_eq(assert_with(b.p, &st, &out), PS_ID_OK);
        cr_assert_eq(out.sign_count, i);
        st.sign_count = out.sign_count;
    }
    cr_assert_eq(assert_with(b.p, &st, &out), PS_ID_WA_SIGN_COUNT); /* a replay */
    b.len = 0;
    cr_assert_eq(ps_softauthn_get(&sa, request(), PS_STR("https://evil.example"), &b, &d), PS_OK);
    cr_assert_eq(assert_with(b.p, &st, &out), PS_ID_WA_BAD_ORIGIN);
    ps_buf_reset(&b);
}

Test(authn_tools, softauthn_es256_eddsa_none_and_packed)
{
    ceremony(PS_WEBAUTHN_ES256, false);
    ceremony(PS_WEBAUTHN_ES256, true);
    ceremony(PS_WEBAUTHN_EDDSA, false);
    ceremony(PS_WEBAUTHN_EDDSA, true);
}

Test(authn_tools, softauthn_refusals_and_key_file)
{
    struct ps_softauthn sa, back;
    struct ps_buf b;
    struct ps_diag d = {0};
    char path[128];
    cr_assert(snprintf(path, sizeof path, "%s/cred.json", dir) < (int)sizeof path);
    cr_assert_eq(ps_softauthn_init(&sa, -257), PS_ERR_INVALID);
    cr_assert_eq(ps_softauthn_init(&sa, PS_WEBAUTHN_EDDSA), PS_OK);
    ps_buf_init(&b, 1 << 17);
    cr_assert_eq(ps_softauthn_get(&sa, request(), PS_STR("https://id.example.gov"), &b, &d),
                 PS_ERR_NOTFOUND);
    json_t *o = creation();
    json_t *wrapped = json_pack("{s:O}", "publicKey", o);
    cr_assert_eq(ps_softauthn_create(&sa, wrapped, PS_STR("https://id.example.gov"), false, &b, &d), PS_OK);
    json_decref(wrapped);
    cr_assert_eq(ps_softauthn_save(path, &sa, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_softauthn_load(path, &back, &d), PS_OK, "%s", d.message);
    cr_assert_eq(memcmp(&back, &sa, sizeof sa), 0);
    cr_assert_eq(access(path, F_OK), 0);
    cr_assert_eq(ps_softauthn_load("/nonexistent/x.json", &back, &d), PS_ERR_NOTFOUND);
    /* excludeCredentials naming this credential */
    struct ps_webauthn_cred_ref ex = {{sa.cred_id, 32}, 0};
    struct ps_webauthn_creation c = {.rp_id = PS_STR("id.example.gov"), .rp_name = PS_STR("PS"),
                                     .user_handle = {user, 32}, .user_name = PS_STR("u"),
                                     .user_display_name = PS_STR("U"), .challenge = {challenge, 32},
                                     .exclude = &ex, .nexclude = 1};
    cr_assert_eq(ps_webauthn_creation_options(arena, &c, &o, NULL), PS_OK);
    cr_assert_eq(ps_softauthn_create(&sa, o, PS_STR("https://id.example.gov"), false, &b, &d), PS_ERR_EXISTS);
    static const int es[] = {PS_WEBAUTHN_ES256};
    c.nexclude = 0;
    c.algs = es;
    c.nalgs = 1;
    cr_assert_eq(ps_webauthn_creation_options(arena, &c, &o, NULL), PS_OK);
    cr_assert_eq(ps_softauthn_create(&sa, o, PS_STR("https://id.example.gov"), false, &b, &d), PS_ERR_INVALID);
    ps_buf_reset(&b);
}

static enum ps_err resolve(void *ctx, struct ps_str keyid, struct ps_httpsig_key *key)
{
    const struct ps_sigclient_key *k = ctx;
    if (!ps_str_eq_cstr(keyid, k->keyid))
        return PS_ERR_NOTFOUND;
    key->alg = k->alg;
    key->pub_len = k->pub_len;
    memcpy(key->pub, k->pub, k->pub_len);
    return PS_OK;
}

static enum ps_id_code verify_lines(const struct ps_sigclient_key *k, const char *method,
                                    const char *url, const char *body,
                                    struct ps_httpsig_field_line *lines, size_t n, int64_t now)
{
    struct ps_httpsig_fields f = {lines, n};
    struct ps_httpsig_request r = {.method = ps_str_from_cstr(method), .target_uri = ps_str_from_cstr(url),
                                   .field = ps_httpsig_fields_lookup, .field_ctx = &f,
                                   .content = ps_str_from_cstr(body)};
    struct ps_httpsig_policy pol = {.now = now, .require_nonce = true, .resolve = resolve,
                                    .resolve_ctx = (void *)k};
    struct ps_httpsig_result res;
    struct ps_id_diag d = {0};
    (void)!ps_httpsig_verify(arena, &r, &pol, &res, &d);
    return d.code;
}

Test(authn_tools, sigclient_signs_what_the_server_verifies)
{
    enum ps_httpsig_alg algs[] = {PS_HTTPSIG_ED25519, PS_HTTPSIG_ECDSA_P256_SHA256};
    for (int i = 0; i < 2; i++) {
        struct ps_sigclient_key k, back;
        struct ps_diag d = {0};
        char path[128];
        cr_assert(snprintf(path, sizeof path, "%s/key%d.json", dir, i) < (int)sizeof path);
        cr_assert_eq(ps_sigclient_key_new(algs[i], "agency-1", &k), PS_OK);
        cr_assert_eq(ps_sigclient_key_save(path, &k, &d), PS_OK);
        cr_assert_eq(ps_sigclient_key_load(path, &back, &d), PS_OK, "%s", d.message);
        cr_assert_eq(memcmp(&back, &k, sizeof k), 0);
        struct ps_httpsig_field_line hdr[] = {{PS_STR("Content-Type"), PS_STR("application/json")}};
        struct ps_sigclient_request r = {.method = PS_STR("POST"),
                                         .url = PS_STR("https://ps.example/api/v1/x?y=1"),
                                         .body = PS_STR("{\"a\":1}"), .headers = hdr, .nheaders = 1,
                                         .created = 1700000000, .nonce = PS_STR("n1")};
        struct ps_buf cd, in, sig;
        ps_buf_init(&cd, 1024);
        ps_buf_init(&in, 4096);
        ps_buf_init(&sig, 1024);
        cr_assert_eq(ps_sigclient_sign(arena, &k, &r, &cd, &in, &sig, &d), PS_OK, "%s", d.message);
        cr_assert(strstr(in.p, "sig1=(\"@method\" \"@target-uri\" \"content-digest\");created=1700000000;keyid=\"agency-1\";nonce=\"n1\""), "%s", in.p);
        struct ps_httpsig_field_line lines[] = {
            hdr[0], {PS_STR("Content-Digest"), ps_buf_str(&cd)},
            {PS_STR("Signature-Input"), ps_buf_str(&in)}, {PS_STR("Signature"), ps_buf_str(&sig)}};
        cr_assert_eq(verify_lines(&k, "POST", "https://ps.example/api/v1/x?y=1", "{\"a\":1}", lines, 4,
                                  1700000010), PS_ID_OK);
        cr_assert_eq(verify_lines(&k, "POST", "https://ps.example/api/v1/x?y=2", "{\"a\":1}", lines, 4,
                                  1700000010), PS_ID_HS_BAD_SIGNATURE);
        cr_assert_eq(verify_lines(&k, "POST", "https://ps.example/api/v1/x?y=1", "{\"a\":2}", lines, 4,
                                  1700000010), PS_ID_DG_MISMATCH);
        ps_buf_reset(&cd);
        ps_buf_reset(&in);
        ps_buf_reset(&sig);
    }
}

/* ---- the commands ---- */

static char *run(const char *cmd, const char *input)
{
    char tmp[160];
    cr_assert(snprintf(tmp, sizeof tmp, "%s/stdin", dir) < (int)sizeof tmp);
    FILE *f = fopen(tmp, "w");
    cr_assert(f);
    fputs(input ? input : "", f);
    fclose(f);
    char full[2048];
    cr_assert(snprintf(full, sizeof full, "%s < %s", cmd, tmp) < (int)sizeof full);
    FILE *p = popen(full, "r");
    cr_assert(p);
    static char out[1 << 16];
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int rc = pclose(p);
    return rc == 0 ? out : NULL;
}

Test(authn_tools, ps_authn_command)
{
    char cmd[512];
    const char *opts = json_dumps(creation(), JSON_COMPACT);
    cr_assert(snprintf(cmd, sizeof cmd, "%s create --key %s/c.json --origin https://id.example.gov --alg eddsa",
                       PS_AUTHN_BIN, dir) < (int)sizeof cmd);
    char *out = run(cmd, opts);
    free((void *)opts);
    cr_assert(out);
    struct ps_webauthn_credential c;
    struct ps_id_diag d = {0};
    struct ps_webauthn_expect exp = expect();
    cr_assert_eq(ps_webauthn_register(arena, &exp, ps_str_from_cstr(out), &c, &d), PS_OK, "%s", d.d.message);
    cr_assert_eq(c.alg, PS_WEBAUTHN_EDDSA);
    struct ps_webauthn_stored st = {.public_key = c.public_key, .alg = c.alg,
                                    .sign_count = c.sign_count, .user_handle = {user, 32}};
    /* get, with the options wrapped as navigator.credentials.get() takes them */
    json_t *w = json_pack("{s:o}", "publicKey", request());
    json_incref(json_object_get(w, "publicKey")); /* the arena owns request()'s reference */
    opts = json_dumps(w, JSON_COMPACT);
    json_decref(w);
    cr_assert(snprintf(cmd, sizeof cmd, "%s get --key %s/c.json --origin https://id.example.gov",
                       PS_AUTHN_BIN, dir) < (int)sizeof cmd);
    out = run(cmd, opts);
    free((void *)opts);
    cr_assert(out);
    struct ps_webauthn_auth a;
    cr_assert_eq(assert_with(out, &st, &a), PS_ID_OK);
    cr_assert_eq(a.sign_count, 2);
    cr_assert(snprintf(cmd, sizeof cmd, "%s info --key %s/c.json", PS_AUTHN_BIN, dir) < (int)sizeof cmd);
    out = run(cmd, NULL);
    cr_assert(out && strstr(out, "\"signCount\":2"), "%s", out ? out : "(failed)");
    cr_assert(snprintf(cmd, sizeof cmd, "%s get --key %s/none.json --origin x 2>/dev/null", PS_AUTHN_BIN, dir) < (int)sizeof cmd);
    cr_assert_null(run(cmd, "{}"));
    cr_assert(snprintf(cmd, sizeof cmd, "%s frob 2>/dev/null", PS_AUTHN_BIN) < (int)sizeof cmd);
    cr_assert_null(run(cmd, NULL));
}

Test(authn_tools, ps_httpsig_command)
{
    char cmd[1024];
    cr_assert(snprintf(cmd, sizeof cmd, "%s keygen --keyid agency-7 --alg ecdsa-p256-sha256 --out %s/k.json",
                       PS_HTTPSIG_BIN, dir) < (int)sizeof cmd);
    char *out = run(cmd, NULL);
    cr_assert(out && strstr(out, "\"keyid\":\"agency-7\""), "%s", out ? out : "(failed)");
    struct ps_sigclient_key k;
    struct ps_diag d = {0};
    char path[128];
    cr_assert(snprintf(path, sizeof path, "%s/k.json", dir) < (int)sizeof path);
    cr_assert_eq(ps_sigclient_key_load(path, &k, &d), PS_OK);
    cr_assert(snprintf(cmd, sizeof cmd, "%s sign --key %s --method PUT --url 'https://ps.example/a' "
                       "--body '[1,2]' --header 'X-Request-Id: 7' --component @method "
                       "--component @target-uri --component content-digest --component x-request-id "
                       "--created 1700000000 --nonce abc --tag pocketstate",
                       PS_HTTPSIG_BIN, path) < (int)sizeof cmd);
    out = run(cmd, NULL);
    cr_assert(out);
    char *cd = strstr(out, "Content-Digest: "), *in = strstr(out, "Signature-Input: "),
         *sig = strstr(out, "Signature: ");
    cr_assert(cd && in && sig, "%s", out);
    *strchr(cd, '\n') = *strchr(in, '\n') = *strchr(sig, '\n') = '\0';
    struct ps_httpsig_field_line lines[] = {{PS_STR("X-Request-Id"), PS_STR("7")},
                                            {PS_STR("Content-Digest"), ps_str_from_cstr(cd + 16)},
                                            {PS_STR("Signature-Input"), ps_str_from_cstr(in + 17)},
                                            {PS_STR("Signature"), ps_str_from_cstr(sig + 11)}};
    cr_assert_eq(verify_lines(&k, "PUT", "https://ps.example/a", "[1,2]", lines, 4, 1700000000), PS_ID_OK);
    lines[0].value = PS_STR("8");
    cr_assert_eq(verify_lines(&k, "PUT", "https://ps.example/a", "[1,2]", lines, 4, 1700000000),
                 PS_ID_HS_BAD_SIGNATURE);
    cr_assert(snprintf(cmd, sizeof cmd, "%s sign --key %s --method GET 2>/dev/null", PS_HTTPSIG_BIN, path) < (int)sizeof cmd);
    cr_assert_null(run(cmd, NULL));
}
