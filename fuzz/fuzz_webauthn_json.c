/* Fuzz target: the WebAuthn ceremonies on a fuzzed response JSON (src/identity/webauthn.h):
 * the input goes through registration (ps_webauthn_register) and through authentication
 * (ps_webauthn_assertion_parse, then ps_webauthn_assertion_verify against three stored
 * credentials: the W3C test vectors' ES256, EdDSA and RS256 keys, user handle "user-1"). To
 * reach past the challenge check, the expected challenge is the one the input claims
 * (ps_webauthn_challenge_of), when it has one. Beyond "no crash": the outcome's class
 * matches its code; a registered credential has an ID of 1..1023 bytes, a supported algorithm
 * and a public key that authenticates; a verified assertion names a credential. */
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "fuzz.h"
#include "identity/cbor_read.h"
#include "identity/webauthn.h"
#include "../tests/identity/webauthn_vectors.h"

static const struct ps_str origins[] = {PS_STR("https://example.org")};
static const struct ps_str tops[] = {PS_STR("https://example.com")};

/* The stored credentials: the keys of three published vectors, read from their attestation
 * objects once. */
static struct {
    uint8_t cose[1024];
    size_t len;
    int alg;
} keys[3];

static void load_key(int i, const char *id, int alg)
{
    for (size_t v = 0; v < WEBAUTHN_NVECTORS; v++) {
        if (strcmp(webauthn_vectors[v].id, id) != 0)
            continue;
        static uint8_t att[8192];
        size_t n = 0;
        const char *h = webauthn_vectors[v].attestation_object;
        FUZZ_CHECK(sodium_hex2bin(att, sizeof att, h, strlen(h), NULL, &n, NULL) == 0);
        struct ps_cbor_val m, ad;
        struct ps_webauthn_auth_data d;
        FUZZ_CHECK(ps_cbor_read(att, n, 8, 512, &m) == PS_OK);
        FUZZ_CHECK(ps_cbor_map_text(&m, "authData", &ad) == PS_OK);
        FUZZ_CHECK(ps_webauthn_auth_data_parse((struct ps_bytes){ad.p, ad.len}, &d, NULL) == PS_OK);
        FUZZ_CHECK(d.public_key.len <= sizeof keys[i].cose);
        memcpy(keys[i].cose, d.public_key.p, d.public_key.len);
        keys[i].len = d.public_key.len;
        keys[i].alg = alg;
        return;
    }
    FUZZ_CHECK(!"vector missing");
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    FUZZ_CHECK(sodium_init() >= 0);
    load_key(0, "none-es256", PS_WEBAUTHN_ES256);
    load_key(1, "packed-eddsa", PS_WEBAUTHN_EDDSA);
    load_key(2, "packed-rs256", PS_WEBAUTHN_RS256);
    return 0;
}

static void expected_challenge(struct ps_arena *a, struct ps_str json, struct ps_bytes *ch)
{
    static const uint8_t fixed[32] = {1};
    struct ps_id_diag d;
    enum ps_err e = ps_webauthn_challenge_of(a, json, ch, &d);
    if (e == PS_OK)
        FUZZ_CHECK(ch->len >= PS_WEBAUTHN_CHALLENGE_MIN && ch->len <= PS_WEBAUTHN_CHALLENGE_MAX);
    else
        *ch = (struct ps_bytes){fixed, sizeof fixed};
}

static void authenticate(struct ps_arena *a, const struct ps_webauthn_expect *exp,
                         const struct ps_webauthn_assertion *as, struct ps_bytes key, int alg)
{
    struct ps_webauthn_stored st = {.public_key = key, .alg = alg, .backup_eligible = true,
                                    .user_handle = {(const uint8_t *)"user-1", 6}};
    struct ps_webauthn_auth out;
    struct ps_id_diag d;
    for (int be = 0; be < 2; be++) {
        st.backup_eligible = be;
        enum ps_err e = ps_webauthn_assertion_verify(a, exp, as, &st, &out, &d);
        FUZZ_CHECK(e == PS_OK ? d.code == PS_ID_OK : e == ps_id_code_err(d.code));
        if (e == PS_OK)
            FUZZ_CHECK(as->credential_id.len >= 1 && out.be == be);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(64u << 20);
    FUZZ_CHECK(a != NULL);
    struct ps_str json = {(const char *)data, size};
    struct ps_webauthn_expect exp = {.rp_id = PS_STR("example.org"), .origins = origins,
                                     .norigins = 1, .allow_cross_origin = true,
                                     .top_origins = tops, .ntop_origins = 1,
                                     .user_verification_optional = true};
    expected_challenge(a, json, &exp.challenge);
    struct ps_webauthn_credential c;
    struct ps_id_diag d;
    enum ps_err e = ps_webauthn_register(a, &exp, json, &c, &d);
    if (e == PS_OK) {
        FUZZ_CHECK(c.id.len >= 1 && c.id.len <= PS_WEBAUTHN_CRED_ID_MAX);
        FUZZ_CHECK(c.alg == PS_WEBAUTHN_ES256 || c.alg == PS_WEBAUTHN_EDDSA ||
                   c.alg == PS_WEBAUTHN_RS256);
        FUZZ_CHECK(c.public_key.len > 0);
    } else {
        FUZZ_CHECK(e == ps_id_code_err(d.code));
    }
    struct ps_webauthn_assertion as;
    if (ps_webauthn_assertion_parse(a, json, &as, &d) == PS_OK)
        for (size_t i = 0; i < 3; i++)
            authenticate(a, &exp, &as, (struct ps_bytes){keys[i].cose, keys[i].len}, keys[i].alg);
    ps_arena_free(a);
    return 0;
}
