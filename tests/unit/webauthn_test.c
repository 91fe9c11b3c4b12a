/* Unit tests of the WebAuthn ceremonies: every published test vector of WebAuthn Level 3
 * section 16 (tests/identity/webauthn_vectors.h, W3C Document License), registration and
 * authentication, with the outcome this relying party must give each (accepted, or refused
 * with its own code); then one tampered input per check and layer (JSON, base64url,
 * clientDataJSON, CBOR, authenticator data, attestation statement, signature encoding,
 * counters), the limits, the CBOR reader and the options builders. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "documents/cbor_write.h"
#include "identity/cbor_read.h"
#include "identity/webauthn.h"
#include "../identity/webauthn_vectors.h"

static struct ps_arena *arena;

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    arena = ps_arena_new(16 << 20);
    cr_assert(arena);
}

static void teardown(void)
{
    ps_arena_free(arena);
}

TestSuite(webauthn, .init = setup, .fini = teardown);
TestSuite(cbor_read, .init = setup, .fini = teardown);

/* ---- helpers ---- */

static struct ps_bytes hex(const char *h)
{
    size_t n = strlen(h) / 2, len = 0;
    uint8_t *p = ps_arena_alloc(arena, n + 1);
    cr_assert(p);
    cr_assert_eq(sodium_hex2bin(p, n + 1, h, strlen(h), NULL, &len, NULL), 0);
    cr_assert_eq(len, n);
    return (struct ps_bytes){p, n};
}

static const char *b64u(struct ps_bytes b)
{
    char *s = ps_b64url_encode(arena, b.p, b.len);
    cr_assert(s);
    return s;
}

static struct ps_bytes copy(struct ps_bytes b)
{
    uint8_t *p = ps_arena_alloc(arena, b.len + 1);
    cr_assert(p);
    memcpy(p, b.p, b.len);
    return (struct ps_bytes){p, b.len};
}

static const struct webauthn_vector *vec(const char *id)
{
    for (size_t i = 0; i < WEBAUTHN_NVECTORS; i++)
        if (strcmp(webauthn_vectors[i].id, id) == 0)
            return &webauthn_vectors[i];
    cr_assert_fail("no vector %s", id);
    return NULL;
}

static const struct ps_str origins[] = {PS_STR("https://example.org")};
static const struct ps_str tops[] = {PS_STR("https://example.com")};

static struct ps_webauthn_expect expect(struct ps_bytes challenge)
{
    return (struct ps_webauthn_expect){.rp_id = PS_STR("example.org"), .origins = origins,
                                       .norigins = 1, .challenge = challenge,
                                       .user_verification_optional = true};
}

static const char *dump(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    cr_assert(s);
    char *c = ps_arena_strndup(arena, s, strlen(s));
    free(s);
    json_decref(j);
    return c;
}

/* A RegistrationResponseJSON around the given bytes (as credential.toJSON() gives it). */
static const char *reg_json(struct ps_bytes id, struct ps_bytes cdj, struct ps_bytes att)
{
    return dump(json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:[s,s]},s:{},s:s}", "id", b64u(id), "rawId",
                          b64u(id), "type", "public-key", "response", "clientDataJSON",
                          b64u(cdj), "attestationObject", b64u(att), "transports", "internal",
                          "hybrid", "clientExtensionResults", "authenticatorAttachment",
                          "platform"));
}

static const char *auth_json(struct ps_bytes id, struct ps_bytes cdj, struct ps_bytes ad,
                             struct ps_bytes sig, const char *user)
{
    json_t *j = json_pack("{s:s,s:s,s:s,s:{s:s,s:s,s:s},s:{}}", "id", b64u(id), "rawId",
                          b64u(id), "type", "public-key", "response", "clientDataJSON", b64u(cdj),
                          "authenticatorData", b64u(ad), "signature", b64u(sig),
                          "clientExtensionResults");
    if (user)
        json_object_set_new(json_object_get(j, "response"), "userHandle",
                            json_string(b64u((struct ps_bytes){(const uint8_t *)user, strlen(user)})));
    return dump(j);
}

static enum ps_id_code reg_code(const struct ps_webauthn_expect *exp, const char *json,
                                struct ps_webauthn_credential *out)
{
    struct ps_webauthn_credential tmp;
    struct ps_id_diag d;
    d.code = PS_ID_INTERNAL;
    enum ps_err e = ps_webauthn_register(arena, exp, ps_str_from_cstr(json), out ? out : &tmp, &d);
    cr_assert_eq(e == PS_OK, d.code == PS_ID_OK, "%s %s", ps_id_code_name(d.code), d.d.message);
    if (e != PS_OK)
        cr_assert_eq(e, ps_id_code_err(d.code));
    return d.code;
}

static enum ps_id_code vector_reg(const struct webauthn_vector *v, const struct ps_webauthn_expect *exp,
                                  struct ps_webauthn_credential *out)
{
    return reg_code(exp, reg_json(hex(v->credential_id), hex(v->reg_client_data),
                                  hex(v->attestation_object)), out);
}

/* The stored record for a vector: the key straight from its attestation object. */
static struct ps_webauthn_stored stored_of(const struct webauthn_vector *v)
{
    struct ps_bytes att = hex(v->attestation_object);
    struct ps_cbor_val m, ad;
    cr_assert_eq(ps_cbor_read(att.p, att.len, 8, 512, &m), PS_OK);
    cr_assert_eq(ps_cbor_map_text(&m, "authData", &ad), PS_OK);
    struct ps_webauthn_auth_data a;
    struct ps_id_diag d;
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){ad.p, ad.len}, &a, &d), PS_OK);
    struct ps_cbor_val key, alg;
    int64_t al;
    cr_assert_eq(ps_cbor_read(a.public_key.p, a.public_key.len, 2, 64, &key), PS_OK);
    cr_assert_eq(ps_cbor_map_int(&key, 3, &alg), PS_OK);
    cr_assert(ps_cbor_get_int(&alg, &al));
    return (struct ps_webauthn_stored){.public_key = a.public_key, .alg = (int)al,
                                       .backup_eligible = a.flags & PS_WEBAUTHN_FLAG_BE,
                                       .user_handle = {(const uint8_t *)"user-1", 6}};
}

static enum ps_id_code auth_code(const struct ps_webauthn_expect *exp, const char *json,
                                 const struct ps_webauthn_stored *cred,
                                 struct ps_webauthn_auth *out)
{
    struct ps_webauthn_assertion as;
    struct ps_webauthn_auth tmp;
    struct ps_id_diag d;
    d.code = PS_ID_INTERNAL;
    enum ps_err e = ps_webauthn_assertion_parse(arena, ps_str_from_cstr(json), &as, &d);
    if (e == PS_OK)
        e = ps_webauthn_assertion_verify(arena, exp, &as, cred, out ? out : &tmp, &d);
    cr_assert_eq(e == PS_OK, d.code == PS_ID_OK, "%s %s", ps_id_code_name(d.code), d.d.message);
    if (e != PS_OK)
        cr_assert_eq(e, ps_id_code_err(d.code));
    return d.code;
}

static enum ps_id_code vector_auth(const struct webauthn_vector *v,
                                   const struct ps_webauthn_expect *exp,
                                   const struct ps_webauthn_stored *cred)
{
    return auth_code(exp, auth_json(hex(v->credential_id), hex(v->auth_client_data),
                                    hex(v->auth_data), hex(v->signature), "user-1"),
                     cred, NULL);
}

/* ---- the published vectors ---- */

struct outcome {
    const char *id;
    enum ps_id_code reg;   /* with cross-origin use allowed to https://example.com */
    bool auth;             /* the credential key is one we support: authenticate too */
};

static const struct outcome outcomes[] = {
    {"none-es256", PS_ID_OK, true},
    {"packed-self-es256", PS_ID_OK, true},
    {"none-es256-crossOrigin", PS_ID_OK, true},
    {"none-es256-topOrigin", PS_ID_OK, true},
    {"none-es256-long-credential-id", PS_ID_OK, true},
    {"packed-es256", PS_ID_WA_ATTESTATION_X5C, true},
    {"packed-es384", PS_ID_WA_ALGORITHM, false},
    {"packed-es512", PS_ID_WA_ALGORITHM, false},
    {"packed-rs256", PS_ID_WA_ATTESTATION_X5C, true},
    {"packed-eddsa", PS_ID_WA_ATTESTATION_X5C, true},
    {"packed-ed448", PS_ID_WA_ALGORITHM, false},
    {"tpm-es256", PS_ID_WA_ATTESTATION, true},
    {"android-key-es256", PS_ID_WA_ATTESTATION, true},
    {"apple-es256", PS_ID_WA_ATTESTATION, true},
    {"fido-u2f-es256", PS_ID_WA_ATTESTATION, true},
};

Test(webauthn, every_published_vector)
{
    cr_assert_eq(WEBAUTHN_NVECTORS, sizeof outcomes / sizeof outcomes[0]);
    for (size_t i = 0; i < sizeof outcomes / sizeof outcomes[0]; i++) {
        const struct webauthn_vector *v = vec(outcomes[i].id);
        struct ps_webauthn_expect exp = expect(hex(v->reg_challenge));
        exp.allow_cross_origin = true;
        exp.top_origins = tops;
        exp.ntop_origins = 1;
        struct ps_webauthn_credential c;
        cr_assert_eq(vector_reg(v, &exp, &c), outcomes[i].reg, "%s: registration gives %s",
                     v->id, ps_id_code_name(vector_reg(v, &exp, &c)));
        if (outcomes[i].reg == PS_ID_OK) {
            struct ps_bytes id = hex(v->credential_id);
            cr_assert_eq(c.id.len, id.len, "%s", v->id);
            cr_assert_eq(memcmp(c.id.p, id.p, id.len), 0);
            cr_assert_eq(memcmp(c.aaguid, hex(v->aaguid).p, 16), 0, "%s", v->id);
            cr_assert_eq(c.alg, PS_WEBAUTHN_ES256);
            cr_assert_eq(c.sign_count, 0);
            cr_assert_eq(c.transports, PS_WEBAUTHN_INTERNAL | PS_WEBAUTHN_HYBRID);
            struct ps_webauthn_stored s = stored_of(v);
            cr_assert_eq(c.public_key.len, s.public_key.len);
            cr_assert_eq(memcmp(c.public_key.p, s.public_key.p, s.public_key.len), 0);
            cr_assert_eq(c.be, s.backup_eligible);
            cr_assert_eq(c.attestation, strstr(v->id, "packed-self") ? PS_WEBAUTHN_ATTESTATION_SELF
                                                                     : PS_WEBAUTHN_ATTESTATION_NONE);
        }
        if (!outcomes[i].auth)
            continue;
        exp.challenge = hex(v->auth_challenge);
        struct ps_webauthn_stored s = stored_of(v);
        cr_assert_eq(vector_auth(v, &exp, &s), PS_ID_OK, "%s: authentication", v->id);
        /* the same assertion against a counter already at 1: a possible clone */
        s.sign_count = 1;
        cr_assert_eq(vector_auth(v, &exp, &s), PS_ID_WA_SIGN_COUNT, "%s", v->id);
    }
}

Test(webauthn, vector_flags_as_published)
{
    /* none-es256: flags 0x59 at registration (UP BE BS AT, no UV), packed-self: 0x5d (UV) */
    struct ps_webauthn_credential c;
    const struct webauthn_vector *v = vec("none-es256");
    struct ps_webauthn_expect exp = expect(hex(v->reg_challenge));
    cr_assert_eq(vector_reg(v, &exp, &c), PS_ID_OK);
    cr_assert(!c.uv && c.be && c.bs);
    exp.user_verification_optional = false; /* the platform's setting */
    cr_assert_eq(vector_reg(v, &exp, &c), PS_ID_WA_USER_VERIFICATION);
    v = vec("packed-self-es256");
    exp.challenge = hex(v->reg_challenge);
    cr_assert_eq(vector_reg(v, &exp, &c), PS_ID_OK);
    cr_assert(c.uv && c.be && c.bs);
    /* its assertion (flags 0x09) has no UV */
    exp.challenge = hex(v->auth_challenge);
    struct ps_webauthn_stored s = stored_of(v);
    cr_assert_eq(vector_auth(v, &exp, &s), PS_ID_WA_USER_VERIFICATION);
    struct ps_webauthn_auth out;
    exp.user_verification_optional = true;
    cr_assert_eq(auth_code(&exp, auth_json(hex(v->credential_id), hex(v->auth_client_data),
                                           hex(v->auth_data), hex(v->signature), "user-1"),
                           &s, &out), PS_ID_OK);
    cr_assert(!out.uv && out.be && !out.bs);
    cr_assert_eq(out.sign_count, 0);
}

Test(webauthn, cross_origin_policy)
{
    const struct webauthn_vector *v = vec("none-es256-crossOrigin");
    struct ps_webauthn_expect exp = expect(hex(v->reg_challenge));
    cr_assert_eq(vector_reg(v, &exp, NULL), PS_ID_WA_CROSS_ORIGIN);
    exp.allow_cross_origin = true;
    cr_assert_eq(vector_reg(v, &exp, NULL), PS_ID_OK);
    v = vec("none-es256-topOrigin");
    exp = expect(hex(v->reg_challenge));
    cr_assert_eq(vector_reg(v, &exp, NULL), PS_ID_WA_CROSS_ORIGIN);
    exp.allow_cross_origin = true; /* but https://example.com is no allowed top origin */
    cr_assert_eq(vector_reg(v, &exp, NULL), PS_ID_WA_CROSS_ORIGIN);
    static const struct ps_str other[] = {PS_STR("https://example.net")};
    exp.top_origins = other;
    exp.ntop_origins = 1;
    cr_assert_eq(vector_reg(v, &exp, NULL), PS_ID_WA_CROSS_ORIGIN);
    exp.top_origins = tops;
    cr_assert_eq(vector_reg(v, &exp, NULL), PS_ID_OK);
}

/* ---- crafted ceremonies: the none-es256 vector's key, any authenticator data ---- */

#include "identity/sig.h"

struct fix {
    struct ps_bytes id;
    uint8_t priv[32];
    struct ps_webauthn_stored stored;
    struct ps_bytes challenge;
};

static struct fix fixture(void)
{
    const struct webauthn_vector *v = vec("none-es256");
    struct fix f = {.id = hex(v->credential_id), .stored = stored_of(v)};
    memcpy(f.priv, hex(v->private_key).p, 32);
    uint8_t pub[65];
    cr_assert_eq(ps_sig_p256_public(f.priv, pub), PS_OK);
    struct ps_cbor_val key, x;
    cr_assert_eq(ps_cbor_read(f.stored.public_key.p, f.stored.public_key.len, 2, 64, &key), PS_OK);
    cr_assert_eq(ps_cbor_map_int(&key, -2, &x), PS_OK);
    cr_assert_eq(memcmp(x.p, pub + 1, 32), 0); /* the vector's private key is its public key's */
    f.challenge = hex("0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
    return f;
}

struct spec {
    const char *type, *origin, *rp, *user, *fmt, *client_data;
    uint8_t flags;
    uint32_t count;
    struct ps_bytes challenge, id;   /* id: the credential ID in the authenticator data */
    struct ps_bytes key;             /* the COSE key in the authenticator data */
    struct ps_bytes extensions;      /* appended (with ED set by the caller) */
    int stmt;                        /* packed statement: 0 {alg,sig}, 1 + x5c, 2 alg -8,
                                        3 no sig, 4 non-empty "none" */
    int sig;                         /* 0 good DER, 1 one bit flipped, 2 non-canonical DER,
                                        3 raw r||s */
};

static struct spec base_spec(const struct fix *f, const char *type)
{
    return (struct spec){.type = type, .origin = "https://example.org", .rp = "example.org",
                         .user = "user-1", .fmt = "none",
                         .flags = PS_WEBAUTHN_FLAG_UP | PS_WEBAUTHN_FLAG_UV,
                         .challenge = f->challenge, .id = f->id, .key = f->stored.public_key};
}

static struct ps_bytes buf_bytes(struct ps_buf *b)
{
    struct ps_bytes r = copy((struct ps_bytes){(const uint8_t *)b->p, b->len});
    ps_buf_reset(b);
    return r;
}

static struct ps_bytes client_data(const struct spec *s)
{
    if (s->client_data)
        return copy((struct ps_bytes){(const uint8_t *)s->client_data, strlen(s->client_data)});
    const char *j = dump(json_pack("{s:s,s:s,s:s,s:b}", "type", s->type, "challenge",
                                   b64u(s->challenge), "origin", s->origin, "crossOrigin", 0));
    return copy((struct ps_bytes){(const uint8_t *)j, strlen(j)});
}

static struct ps_bytes auth_data(const struct spec *s, bool attested)
{
    struct ps_buf b;
    ps_buf_init(&b, 1 << 16);
    uint8_t h[32], cnt[4] = {s->count >> 24, s->count >> 16, s->count >> 8, s->count};
    crypto_hash_sha256(h, (const uint8_t *)s->rp, strlen(s->rp));
    uint8_t flags = s->flags | (attested ? PS_WEBAUTHN_FLAG_AT : 0);
    cr_assert_eq(ps_buf_append(&b, h, 32), PS_OK);
    cr_assert_eq(ps_buf_append(&b, &flags, 1), PS_OK);
    cr_assert_eq(ps_buf_append(&b, cnt, 4), PS_OK);
    if (attested) {
        uint8_t len[2] = {s->id.len >> 8, s->id.len & 0xff};
        cr_assert_eq(ps_buf_append(&b, "0123456789abcdef", 16), PS_OK);
        cr_assert_eq(ps_buf_append(&b, len, 2), PS_OK);
        cr_assert_eq(ps_buf_append(&b, s->id.p, s->id.len), PS_OK);
        cr_assert_eq(ps_buf_append(&b, s->key.p, s->key.len), PS_OK);
    }
    if (s->extensions.len)
        cr_assert_eq(ps_buf_append(&b, s->extensions.p, s->extensions.len), PS_OK);
    return buf_bytes(&b);
}

/* ES256 signature over ad || SHA-256(cdj), encoded as s->sig says. */
static struct ps_bytes signature(const struct fix *f, const struct spec *s, struct ps_bytes ad,
                                 struct ps_bytes cdj)
{
    uint8_t *msg = ps_arena_alloc(arena, ad.len + 32), raw[64], der[80];
    memcpy(msg, ad.p, ad.len);
    crypto_hash_sha256(msg + ad.len, cdj.p, cdj.len);
    cr_assert_eq(ps_sig_p256_sign(f->priv, msg, ad.len + 32, raw), PS_OK);
    if (s->sig == 3)
        return copy((struct ps_bytes){raw, 64});
    size_t n;
    cr_assert_eq(ps_sig_ecdsa_raw_to_der(raw, 32, der, sizeof der, &n), PS_OK);
    if (s->sig == 1)
        der[n - 1] ^= 1;
    if (s->sig == 2) { /* r with a superfluous leading zero byte */
        memmove(der + 5, der + 4, n - 4);
        der[4] = 0;
        der[3]++;
        der[1]++;
        n++;
    }
    return copy((struct ps_bytes){der, n});
}

static const char *make_reg(const struct fix *f, const struct spec *s)
{
    struct ps_bytes cdj = client_data(s), ad = auth_data(s, true);
    struct ps_buf b;
    ps_buf_init(&b, 1 << 16);
    cr_assert_eq(ps_cbor_head(&b, 5, 3), PS_OK);
    cr_assert_eq(ps_cbor_cstr(&b, "fmt"), PS_OK);
    cr_assert_eq(ps_cbor_cstr(&b, s->fmt), PS_OK);
    cr_assert_eq(ps_cbor_cstr(&b, "attStmt"), PS_OK);
    if (strcmp(s->fmt, "packed") == 0) {
        struct ps_bytes sig = signature(f, s, ad, cdj);
        cr_assert_eq(ps_cbor_head(&b, 5, s->stmt == 1 ? 3 : s->stmt == 3 ? 1 : 2), PS_OK);
        cr_assert_eq(ps_cbor_cstr(&b, "alg"), PS_OK);
        cr_assert_eq(ps_cbor_int(&b, s->stmt == 2 ? -8 : -7), PS_OK);
        if (s->stmt != 3) {
            cr_assert_eq(ps_cbor_cstr(&b, "sig"), PS_OK);
            cr_assert_eq(ps_cbor_bytes(&b, sig.p, sig.len), PS_OK);
        }
        if (s->stmt == 1) {
            cr_assert_eq(ps_cbor_cstr(&b, "x5c"), PS_OK);
            cr_assert_eq(ps_cbor_head(&b, 4, 1), PS_OK);
            cr_assert_eq(ps_cbor_bytes(&b, "cert", 4), PS_OK);
        }
    } else if (s->stmt == 4) {
        cr_assert_eq(ps_cbor_head(&b, 5, 1), PS_OK);
        cr_assert_eq(ps_cbor_cstr(&b, "alg"), PS_OK);
        cr_assert_eq(ps_cbor_int(&b, -7), PS_OK);
    } else {
        cr_assert_eq(ps_cbor_head(&b, 5, 0), PS_OK);
    }
    cr_assert_eq(ps_cbor_cstr(&b, "authData"), PS_OK);
    cr_assert_eq(ps_cbor_bytes(&b, ad.p, ad.len), PS_OK);
    return reg_json(f->id, cdj, buf_bytes(&b));
}

static const char *make_auth(const struct fix *f, const struct spec *s)
{
    struct ps_bytes cdj = client_data(s), ad = auth_data(s, false);
    return auth_json(f->id, cdj, ad, signature(f, s, ad, cdj), s->user);
}

static struct ps_webauthn_expect fix_expect(const struct fix *f)
{
    struct ps_webauthn_expect e = expect(f->challenge);
    e.user_verification_optional = false;
    return e;
}

Test(webauthn, crafted_registration_refusals)
{
    struct fix f = fixture();
    struct ps_webauthn_expect exp = fix_expect(&f);
    struct spec s = base_spec(&f, "webauthn.create");
    struct ps_webauthn_credential c;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &s), &c), PS_ID_OK);
    cr_assert(c.uv && !c.be && !c.bs);
    cr_assert_eq(memcmp(c.aaguid, "0123456789abcdef", 16), 0);
    s.fmt = "packed";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &s), &c), PS_ID_OK);
    cr_assert_eq(c.attestation, PS_WEBAUTHN_ATTESTATION_SELF);
    s.count = 7;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &s), &c), PS_ID_OK);
    cr_assert_eq(c.sign_count, 7);
    /* clientDataJSON */
    struct spec t = base_spec(&f, "webauthn.get");
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_TYPE);
    t = base_spec(&f, "webauthn.create");
    t.challenge = hex("ff02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20");
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_CHALLENGE);
    t = base_spec(&f, "webauthn.create");
    t.origin = "https://example.org.evil";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_ORIGIN);
    t.origin = "https://Example.org"; /* exact match only */
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_ORIGIN);
    static const struct ps_str app[] = {PS_STR("https://example.org"),
                                        PS_STR("android:apk-key-hash:Ab_c-D0123")};
    exp.origins = app;
    exp.norigins = 2;
    t.origin = "android:apk-key-hash:Ab_c-D0123";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_OK);
    /* authenticator data */
    t = base_spec(&f, "webauthn.create");
    t.rp = "example.com";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_RP);
    t = base_spec(&f, "webauthn.create");
    t.flags = PS_WEBAUTHN_FLAG_UV;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_USER_PRESENCE);
    t.flags = PS_WEBAUTHN_FLAG_UP;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_USER_VERIFICATION);
    t.flags = PS_WEBAUTHN_FLAG_UP | PS_WEBAUTHN_FLAG_UV | PS_WEBAUTHN_FLAG_BS;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_FLAGS);
    t.flags |= PS_WEBAUTHN_FLAG_BE;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), &c), PS_ID_OK);
    cr_assert(c.be && c.bs);
    t = base_spec(&f, "webauthn.create");
    t.id = hex("00112233");
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_CREDENTIAL_ID);
    /* an extensions map after the key */
    t = base_spec(&f, "webauthn.create");
    t.flags |= PS_WEBAUTHN_FLAG_ED;
    t.extensions = hex("a16b6372656450726f7465637402"); /* {"credProtect": 2} */
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_OK);
    t.extensions = hex("a16b6372656450726f746563740200"); /* one byte too many */
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_MALFORMED);
    t.flags &= (uint8_t)~PS_WEBAUTHN_FLAG_ED; /* extensions present, ED clear */
    t.extensions = hex("a16b6372656450726f7465637402");
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_MALFORMED);
    /* algorithms */
    static const int eddsa_only[] = {PS_WEBAUTHN_EDDSA};
    exp.algs = eddsa_only;
    exp.nalgs = 1;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &s), NULL), PS_ID_WA_ALGORITHM);
    exp.algs = NULL;
    t = base_spec(&f, "webauthn.create");
    t.key = hex("a5010203262001215820" "0000000000000000000000000000000000000000000000000000000000000000"
                "225820" "0000000000000000000000000000000000000000000000000000000000000001");
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_KEY); /* not on the curve */
    t.key = hex("a401010327200621582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832");
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_OK); /* EdDSA, "none" */
    t.key = hex("a3010103272006"); /* OKP without x */
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_KEY);
    t.key = hex("a40102200121582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832"
                "22582044e06ddd331c36a8dc667bab52bcae63486c916aa5e339e6acebaa84934bf832");
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_KEY); /* no alg (3) */
    /* attestation statements */
    t = base_spec(&f, "webauthn.create");
    t.stmt = 4;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_ATTESTATION);
    t.fmt = "fido-u2f";
    t.stmt = 0;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_ATTESTATION);
    t.fmt = "packed";
    t.stmt = 1;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_ATTESTATION_X5C);
    t.stmt = 2;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_ATTESTATION);
    t.stmt = 3;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_ATTESTATION);
    t.stmt = 0;
    t.sig = 1;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_BAD_SIGNATURE);
    t.sig = 2;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_SIGNATURE_ENCODING);
    t.sig = 3;
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_SIGNATURE_ENCODING);
}

/* Edits a member of a JSON text ("response.x" reaches into response); value NULL deletes. */
static const char *edit(const char *json, const char *member, json_t *value)
{
    json_t *j = json_loads(json, 0, NULL);
    cr_assert(j);
    json_t *obj = j;
    if (strncmp(member, "response.", 9) == 0) {
        obj = json_object_get(j, "response");
        member += 9;
    }
    if (value)
        json_object_set_new(obj, member, value);
    else
        json_object_del(obj, member);
    return dump(j);
}

Test(webauthn, registration_json_refusals)
{
    struct fix f = fixture();
    struct ps_webauthn_expect exp = fix_expect(&f);
    struct spec s = base_spec(&f, "webauthn.create");
    const char *ok = make_reg(&f, &s);
    cr_assert_eq(reg_code(&exp, ok, NULL), PS_ID_OK);
    cr_assert_eq(reg_code(&exp, "{", NULL), PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, "[]", NULL), PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, "{\"type\":\"public-key\",\"type\":\"public-key\"}", NULL),
                 PS_ID_WA_MALFORMED); /* duplicate keys */
    cr_assert_eq(reg_code(&exp, edit(ok, "type", json_string("password")), NULL), PS_ID_WA_BAD_TYPE);
    cr_assert_eq(reg_code(&exp, edit(ok, "type", NULL), NULL), PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "id", json_string("AAAA")), NULL), PS_ID_WA_CREDENTIAL_ID);
    cr_assert_eq(reg_code(&exp, edit(edit(ok, "id", json_string("AAAA")), "rawId", json_string("AAAA")), NULL),
                 PS_ID_WA_CREDENTIAL_ID); /* not the authenticator data's */
    cr_assert_eq(reg_code(&exp, edit(edit(ok, "id", json_string("AA==")), "rawId", json_string("AA==")), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(edit(ok, "id", json_string("")), "rawId", json_string("")), NULL),
                 PS_ID_WA_CREDENTIAL_ID);
    cr_assert_eq(reg_code(&exp, edit(ok, "response", NULL), NULL), PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response", json_string("x")), NULL), PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.clientDataJSON", NULL), NULL), PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.clientDataJSON", json_integer(1)), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.attestationObject", json_string("AAAA")), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.attestationObject", json_string("oA")), NULL),
                 PS_ID_WA_MALFORMED); /* {} */
    cr_assert_eq(reg_code(&exp, edit(ok, "clientExtensionResults", json_string("x")), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "authenticatorAttachment", json_integer(2)), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "authenticatorAttachment", json_null()), NULL), PS_ID_OK);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.transports", json_string("usb")), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.transports", json_pack("[i]", 1)), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.transports",
                                     json_pack("[s,s,s,s,s,s,s,s,s]", "a", "b", "c", "d", "e", "f",
                                               "g", "h", "i")), NULL), PS_ID_WA_LIMIT);
    struct ps_webauthn_credential c;
    cr_assert_eq(reg_code(&exp, edit(ok, "response.transports", json_pack("[s,s,s]", "usb", "nfc", "teleport")), &c),
                 PS_ID_OK);
    cr_assert_eq(c.transports, PS_WEBAUTHN_USB | PS_WEBAUTHN_NFC);
    /* the redundant members must agree */
    cr_assert_eq(reg_code(&exp, edit(ok, "response.publicKeyAlgorithm", json_integer(-7)), NULL), PS_ID_OK);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.publicKeyAlgorithm", json_integer(-8)), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.publicKeyAlgorithm", json_string("-7")), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.authenticatorData", json_string("AAAA")), NULL),
                 PS_ID_WA_MALFORMED);
    cr_assert_eq(reg_code(&exp, edit(ok, "response.publicKey", json_integer(1)), NULL), PS_ID_WA_MALFORMED);
    /* clientDataJSON bytes */
    struct spec t = s;
    t.client_data = "{\"type\":\"webauthn.create\"}";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_MALFORMED);
    t.client_data = "not json";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_MALFORMED);
    t.client_data = "{\"type\":\"webauthn.create\",\"challenge\":\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA\",\"origin\":\"https://example.org\",\"crossOrigin\":\"false\"}";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_WA_MALFORMED);
    t.client_data = "\xef\xbb\xbf{\"type\":\"webauthn.create\",\"challenge\":\"AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA\",\"origin\":\"https://example.org\"}";
    cr_assert_eq(reg_code(&exp, make_reg(&f, &t), NULL), PS_ID_OK); /* BOM stripped */
}

Test(webauthn, limits)
{
    struct fix f = fixture();
    struct ps_webauthn_expect exp = fix_expect(&f);
    struct spec s = base_spec(&f, "webauthn.create");
    const char *ok = make_reg(&f, &s);
    /* the whole JSON */
    struct ps_buf b;
    ps_buf_init(&b, 1 << 20);
    cr_assert_eq(ps_buf_append(&b, ok, strlen(ok) - 1), PS_OK);
    cr_assert_eq(ps_buf_append_cstr(&b, ",\"pad\":\""), PS_OK);
    while (b.len < PS_WEBAUTHN_JSON_MAX)
        cr_assert_eq(ps_buf_append(&b, "x", 1), PS_OK);
    cr_assert_eq(ps_buf_append_cstr(&b, "\"}"), PS_OK);
    cr_assert_eq(reg_code(&exp, b.p, NULL), PS_ID_WA_LIMIT);
    ps_buf_reset(&b);
    cr_assert_eq(reg_code(&exp, edit(ok, "clientExtensionResults",
                                     json_pack("{s:{s:{s:{s:{s:{s:{s:{}}}}}}}}", "a", "b", "c", "d",
                                               "e", "f", "g")), NULL), PS_ID_WA_LIMIT);
    /* members over their decoded sizes: 5463 characters decode to 4097 bytes, 43692 to 32769 */
    char *big = ps_arena_alloc(arena, 50000);
    memset(big, 'A', 49999);
    big[5463] = '\0';
    cr_assert_eq(reg_code(&exp, edit(ok, "response.clientDataJSON", json_string(big)), NULL),
                 PS_ID_WA_LIMIT);
    big[5463] = 'A';
    big[43692] = '\0';
    cr_assert_eq(reg_code(&exp, edit(ok, "response.attestationObject", json_string(big)), NULL),
                 PS_ID_WA_LIMIT);
    /* a credential ID of 1023 bytes is the most (the published vector has one), 1024 is not */
    uint8_t *p = ps_arena_alloc(arena, 1024);
    memset(p, 7, 1024);
    struct ps_bytes id = {p, 1024};
    cr_assert_eq(reg_code(&exp, edit(edit(ok, "id", json_string(b64u(id))), "rawId", json_string(b64u(id))), NULL),
                 PS_ID_WA_CREDENTIAL_ID);
    struct spec t = s;
    struct fix g = f;
    g.id = (struct ps_bytes){p, 1023};
    t.id = g.id;
    cr_assert_eq(reg_code(&exp, make_reg(&g, &t), NULL), PS_ID_OK);
}

Test(webauthn, crafted_authentication)
{
    struct fix f = fixture();
    struct ps_webauthn_expect exp = fix_expect(&f);
    struct spec s = base_spec(&f, "webauthn.get");
    struct ps_webauthn_auth out;
    f.stored.backup_eligible = false;
    s.count = 5;
    f.stored.sign_count = 4;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &s), &f.stored, &out), PS_ID_OK);
    cr_assert_eq(out.sign_count, 5);
    cr_assert(out.uv && !out.be && !out.bs);
    f.stored.sign_count = 5; /* replayed or cloned */
    cr_assert_eq(auth_code(&exp, make_auth(&f, &s), &f.stored, &out), PS_ID_WA_SIGN_COUNT);
    cr_assert_eq(out.sign_count, 5); /* filled even so, for the caller's record */
    f.stored.sign_count = 9;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &s), &f.stored, NULL), PS_ID_WA_SIGN_COUNT);
    s.count = 0; /* an authenticator without a counter after one with: refused too */
    cr_assert_eq(auth_code(&exp, make_auth(&f, &s), &f.stored, NULL), PS_ID_WA_SIGN_COUNT);
    f.stored.sign_count = 0; /* neither counts: fine */
    cr_assert_eq(auth_code(&exp, make_auth(&f, &s), &f.stored, NULL), PS_ID_OK);
    /* user handle */
    struct spec t = s;
    t.user = NULL;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_USER_HANDLE);
    t.user = "user-2";
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_USER_HANDLE);
    const char *ok = make_auth(&f, &s);
    cr_assert_eq(auth_code(&exp, edit(ok, "response.userHandle", json_null()), &f.stored, NULL),
                 PS_ID_WA_USER_HANDLE);
    /* client data */
    t = s;
    t.type = "webauthn.create";
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_BAD_TYPE);
    t = s;
    t.origin = "http://example.org";
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_BAD_ORIGIN);
    struct ps_webauthn_expect other = exp;
    other.challenge = hex("0102030405060708090a0b0c0d0e0f10");
    cr_assert_eq(auth_code(&other, ok, &f.stored, NULL), PS_ID_WA_BAD_CHALLENGE);
    other = exp;
    other.rp_id = PS_STR("login.example.org");
    cr_assert_eq(auth_code(&other, ok, &f.stored, NULL), PS_ID_WA_BAD_RP);
    /* flags */
    t = s;
    t.flags = PS_WEBAUTHN_FLAG_UV;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_USER_PRESENCE);
    t.flags = PS_WEBAUTHN_FLAG_UP;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_USER_VERIFICATION);
    t.flags = PS_WEBAUTHN_FLAG_UP | PS_WEBAUTHN_FLAG_UV | PS_WEBAUTHN_FLAG_BS;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_BAD_FLAGS);
    t.flags |= PS_WEBAUTHN_FLAG_BE;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_BACKUP_ELIGIBILITY);
    f.stored.backup_eligible = true;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, &out), PS_ID_OK);
    cr_assert(out.be && out.bs);
    cr_assert_eq(auth_code(&exp, make_auth(&f, &s), &f.stored, NULL), PS_ID_WA_BACKUP_ELIGIBILITY);
    f.stored.backup_eligible = false;
    t.flags = PS_WEBAUTHN_FLAG_UP | PS_WEBAUTHN_FLAG_UV | PS_WEBAUTHN_FLAG_ED;
    t.extensions = hex("a0");
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_OK);
    /* signatures */
    t = s;
    t.sig = 1;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_BAD_SIGNATURE);
    t.sig = 2;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_SIGNATURE_ENCODING);
    t.sig = 3;
    cr_assert_eq(auth_code(&exp, make_auth(&f, &t), &f.stored, NULL), PS_ID_WA_SIGNATURE_ENCODING);
    cr_assert_eq(auth_code(&exp, edit(ok, "response.signature", json_string("")), &f.stored, NULL),
                 PS_ID_WA_SIGNATURE_ENCODING);
    cr_assert_eq(auth_code(&exp, edit(ok, "response.signature", NULL), &f.stored, NULL),
                 PS_ID_WA_MALFORMED);
    /* the stored record */
    struct ps_webauthn_stored bad = f.stored;
    bad.alg = PS_WEBAUTHN_EDDSA;
    cr_assert_eq(auth_code(&exp, ok, &bad, NULL), PS_ID_WA_ALGORITHM);
    bad = f.stored;
    bad.public_key = stored_of(vec("packed-self-es256")).public_key; /* another credential's key */
    cr_assert_eq(auth_code(&exp, ok, &bad, NULL), PS_ID_WA_BAD_SIGNATURE);
    /* the other published algorithms' encodings */
    const struct webauthn_vector *v = vec("packed-eddsa");
    struct ps_webauthn_expect ve = expect(hex(v->auth_challenge));
    struct ps_webauthn_stored vs = stored_of(v);
    cr_assert_eq(auth_code(&ve, auth_json(hex(v->credential_id), hex(v->auth_client_data),
                                          hex(v->auth_data), hex("00"), "user-1"), &vs, NULL),
                 PS_ID_WA_SIGNATURE_ENCODING);
    v = vec("packed-rs256");
    ve = expect(hex(v->auth_challenge));
    vs = stored_of(v);
    struct ps_bytes sig = hex(v->signature);
    sig.len--;
    cr_assert_eq(auth_code(&ve, auth_json(hex(v->credential_id), hex(v->auth_client_data),
                                          hex(v->auth_data), sig, "user-1"), &vs, NULL),
                 PS_ID_WA_SIGNATURE_ENCODING);
    sig = copy(hex(v->signature));
    ((uint8_t *)sig.p)[100] ^= 0x40;
    cr_assert_eq(auth_code(&ve, auth_json(hex(v->credential_id), hex(v->auth_client_data),
                                          hex(v->auth_data), sig, "user-1"), &vs, NULL),
                 PS_ID_WA_BAD_SIGNATURE);
}

Test(webauthn, authenticator_data_layout)
{
    struct ps_webauthn_auth_data ad;
    struct ps_id_diag d;
    /* the none-es256 authenticator data from its attestation object */
    struct ps_webauthn_stored s = stored_of(vec("none-es256"));
    cr_assert_eq(s.public_key.len, 77);
    uint8_t buf[400];
    memset(buf, 0, sizeof buf);
    buf[32] = PS_WEBAUTHN_FLAG_UP;
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 37}, &ad, &d), PS_OK);
    cr_assert_not(ad.has_credential);
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 36}, &ad, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_WA_MALFORMED);
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 38}, &ad, &d), PS_ERR_INVALID);
    buf[33] = 0x01, buf[36] = 0x02;
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 37}, &ad, &d), PS_OK);
    cr_assert_eq(ad.sign_count, 0x01000002);
    buf[32] = PS_WEBAUTHN_FLAG_AT;
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 37 + 17}, &ad, &d), PS_ERR_INVALID);
    buf[37 + 16] = 0x04, buf[37 + 17] = 0x00; /* credential ID of 1024 bytes */
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, sizeof buf}, &ad, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_WA_CREDENTIAL_ID);
    buf[37 + 16] = 0x00, buf[37 + 17] = 0x00; /* empty */
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, sizeof buf}, &ad, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_WA_MALFORMED);
    buf[37 + 17] = 0x02; /* ID "\0\0", then a key that is not a map (0x00 = integer 0) */
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 37 + 18 + 2 + 1}, &ad, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_WA_MALFORMED);
    buf[37 + 20] = 0xa0; /* {} */
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 37 + 18 + 2 + 1}, &ad, &d), PS_OK);
    cr_assert(ad.has_credential);
    cr_assert_eq(ad.credential_id.len, 2);
    cr_assert_eq(ad.public_key.len, 1);
    buf[37 + 20] = 0xa1; /* a map that ends early */
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, 37 + 18 + 2 + 1}, &ad, &d), PS_ERR_INVALID);
    /* nesting past the CBOR depth limit in the key: {0:{0:{0:...}}} */
    size_t n = 37 + 18 + 2;
    for (int i = 0; i < 9; i++) {
        buf[n++] = 0xa1;
        buf[n++] = 0x00;
    }
    buf[n++] = 0x00;
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){buf, n}, &ad, &d), PS_ERR_LIMIT);
    cr_assert_eq(d.code, PS_ID_WA_LIMIT);
    uint8_t *huge = ps_arena_zalloc(arena, PS_WEBAUTHN_AUTH_DATA_MAX + 1);
    cr_assert_eq(ps_webauthn_auth_data_parse((struct ps_bytes){huge, PS_WEBAUTHN_AUTH_DATA_MAX + 1}, &ad, &d),
                 PS_ERR_LIMIT);
}

/* ---- the CBOR reader ---- */

static enum ps_err rd(const char *h, size_t *len, enum ps_cbor_type *type)
{
    struct ps_bytes b = hex(h);
    struct ps_cbor_val v;
    enum ps_err e = ps_cbor_read(b.p, b.len, 4, 32, &v);
    if (e == PS_OK) {
        *len = v.raw_len;
        *type = v.type;
    }
    return e;
}

Test(cbor_read, extents_and_refusals)
{
    size_t n;
    enum ps_cbor_type t;
    cr_assert_eq(rd("00ff", &n, &t), PS_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(rd("1903e8", &n, &t), PS_OK);
    cr_assert_eq(n, 3);
    cr_assert_eq(rd("3903e7", &n, &t), PS_OK);
    cr_assert_eq(t, PS_CBOR_NINT);
    cr_assert_eq(rd("4401020304ff", &n, &t), PS_OK);
    cr_assert_eq(n, 5);
    cr_assert_eq(rd("826161a1616200", &n, &t), PS_OK); /* ["a", {"b": 0}] */
    cr_assert_eq(n, 7);
    cr_assert_eq(t, PS_CBOR_ARRAY);
    cr_assert_eq(rd("f4", &n, &t), PS_OK);
    cr_assert_eq(t, PS_CBOR_SIMPLE);
    cr_assert_eq(rd("fb3ff199999999999a", &n, &t), PS_OK);
    cr_assert_eq(n, 9);
    cr_assert_eq(rd("", &n, &t), PS_ERR_INVALID);
    cr_assert_eq(rd("440102", &n, &t), PS_ERR_INVALID);           /* truncated */
    cr_assert_eq(rd("8301", &n, &t), PS_ERR_INVALID);             /* truncated array */
    cr_assert_eq(rd("9f01ff", &n, &t), PS_ERR_INVALID);           /* indefinite */
    cr_assert_eq(rd("5f4101ff", &n, &t), PS_ERR_INVALID);         /* indefinite bytes */
    cr_assert_eq(rd("c11a514b67b0", &n, &t), PS_ERR_INVALID);     /* tag */
    cr_assert_eq(rd("1c", &n, &t), PS_ERR_INVALID);               /* reserved */
    cr_assert_eq(rd("9bffffffffffffffff00", &n, &t), PS_ERR_INVALID); /* absurd count */
    cr_assert_eq(rd("818181818100", &n, &t), PS_ERR_LIMIT); /* 5 arrays deep, the limit is 4 */
    cr_assert_eq(rd("8181818100", &n, &t), PS_OK);
    struct ps_buf b;
    ps_buf_init(&b, 256);
    cr_assert_eq(ps_buf_append(&b, "\x98\x20", 2), PS_OK); /* 32 items: 33 in all */
    for (int i = 0; i < 32; i++)
        cr_assert_eq(ps_buf_append(&b, "\x00", 1), PS_OK);
    struct ps_cbor_val v;
    cr_assert_eq(ps_cbor_read((const uint8_t *)b.p, b.len, 4, 32, &v), PS_ERR_LIMIT);
    cr_assert_eq(ps_cbor_read((const uint8_t *)b.p, b.len, 4, 33, &v), PS_OK);
    ps_buf_reset(&b);
}

Test(cbor_read, maps)
{
    struct ps_bytes b = hex("a3636b65790103387f6161f5"); /* {"key": 1, 3: -128, "a": true} */
    struct ps_cbor_val m, v;
    int64_t i;
    cr_assert_eq(ps_cbor_read(b.p, b.len, 4, 32, &m), PS_OK);
    cr_assert(ps_cbor_map_keys_unique(&m));
    cr_assert_eq(ps_cbor_map_text(&m, "key", &v), PS_OK);
    cr_assert(ps_cbor_get_int(&v, &i) && i == 1);
    cr_assert_eq(ps_cbor_map_int(&m, 3, &v), PS_OK);
    cr_assert(ps_cbor_get_int(&v, &i) && i == -128);
    cr_assert_eq(ps_cbor_map_text(&m, "a", &v), PS_OK);
    cr_assert_eq(v.type, PS_CBOR_SIMPLE);
    cr_assert_eq(ps_cbor_map_text(&m, "b", &v), PS_ERR_NOTFOUND);
    cr_assert_eq(ps_cbor_map_int(&m, 4, &v), PS_ERR_NOTFOUND);
    b = hex("a2616101616102"); /* {"a": 1, "a": 2} */
    cr_assert_eq(ps_cbor_read(b.p, b.len, 4, 32, &m), PS_OK);
    cr_assert_not(ps_cbor_map_keys_unique(&m));
    cr_assert_eq(ps_cbor_map_text(&m, "a", &v), PS_ERR_INVALID);
    b = hex("1bffffffffffffffff");
    cr_assert_eq(ps_cbor_read(b.p, b.len, 4, 32, &v), PS_OK);
    cr_assert_not(ps_cbor_get_int(&v, &i));
}

/* ---- options ---- */

static const char *sorted(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert(s);
    char *c = ps_arena_strndup(arena, s, strlen(s));
    free(s);
    return c;
}

Test(webauthn, creation_options)
{
    uint8_t user[32], ch[32];
    memset(user, 0xab, sizeof user);
    memset(ch, 0x01, sizeof ch);
    struct ps_webauthn_cred_ref ex[] = {{{(const uint8_t *)"\x01\x02\x03", 3},
                                         PS_WEBAUTHN_INTERNAL | PS_WEBAUTHN_HYBRID},
                                        {{(const uint8_t *)"\xff", 1}, 0}};
    struct ps_webauthn_creation c = {
        .rp_id = PS_STR("id.example.gov"), .rp_name = PS_STR("PocketState"),
        .user_handle = {user, 32}, .user_name = PS_STR("3012345678"),
        .user_display_name = PS_STR("Олена Коваленко"), .challenge = {ch, 32},
        .exclude = ex, .nexclude = 2};
    json_t *o;
    struct ps_diag d;
    cr_assert_eq(ps_webauthn_creation_options(arena, &c, &o, &d), PS_OK, "%s", d.message);
    cr_assert_str_eq(sorted(o),
        "{\"attestation\":\"none\",\"authenticatorSelection\":{\"requireResidentKey\":true,"
        "\"residentKey\":\"required\",\"userVerification\":\"required\"},"
        "\"challenge\":\"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE\","
        "\"excludeCredentials\":[{\"id\":\"AQID\",\"transports\":[\"hybrid\",\"internal\"],"
        "\"type\":\"public-key\"},{\"id\":\"_w\",\"type\":\"public-key\"}],"
        "\"pubKeyCredParams\":[{\"alg\":-7,\"type\":\"public-key\"},{\"alg\":-8,\"type\":"
        "\"public-key\"},{\"alg\":-257,\"type\":\"public-key\"}],\"rp\":{\"id\":\"id.example.gov\","
        "\"name\":\"PocketState\"},\"timeout\":300000,\"user\":{\"displayName\":"
        "\"Олена Коваленко\",\"id\":\"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\","
        "\"name\":\"3012345678\"}}");
    static const int es[] = {PS_WEBAUTHN_ES256};
    c.algs = es;
    c.nalgs = 1;
    c.timeout_ms = 60000;
    c.nexclude = 0;
    cr_assert_eq(ps_webauthn_creation_options(arena, &c, &o, &d), PS_OK);
    cr_assert(strstr(sorted(o), "\"pubKeyCredParams\":[{\"alg\":-7,\"type\":\"public-key\"}]"));
    cr_assert(strstr(sorted(o), "\"timeout\":60000"));
    cr_assert(strstr(sorted(o), "\"excludeCredentials\":[]"));
    /* refusals */
    struct ps_webauthn_creation bad = c;
    bad.challenge.len = 15;
    cr_assert_eq(ps_webauthn_creation_options(arena, &bad, &o, &d), PS_ERR_INVALID);
    bad = c;
    bad.user_handle.len = 0;
    cr_assert_eq(ps_webauthn_creation_options(arena, &bad, &o, &d), PS_ERR_INVALID);
    bad = c;
    static const int es384[] = {-35};
    bad.algs = es384;
    cr_assert_eq(ps_webauthn_creation_options(arena, &bad, &o, &d), PS_ERR_INVALID);
    bad = c;
    bad.rp_name = PS_STR("");
    cr_assert_eq(ps_webauthn_creation_options(arena, &bad, &o, &d), PS_ERR_INVALID);
    bad = c;
    bad.user_display_name = PS_STR("\xff\xfe");
    cr_assert_eq(ps_webauthn_creation_options(arena, &bad, &o, &d), PS_ERR_NOMEM);
    bad = c;
    bad.exclude = ex;
    bad.nexclude = 1;
    ex[0].id.len = 0;
    cr_assert_eq(ps_webauthn_creation_options(arena, &bad, &o, &d), PS_ERR_INVALID);
}

Test(webauthn, request_options)
{
    uint8_t ch[32];
    memset(ch, 0x02, sizeof ch);
    struct ps_webauthn_request r = {.rp_id = PS_STR("id.example.gov"), .challenge = {ch, 32}};
    json_t *o;
    struct ps_diag d;
    cr_assert_eq(ps_webauthn_request_options(arena, &r, &o, &d), PS_OK);
    cr_assert_str_eq(sorted(o), "{\"allowCredentials\":[],\"challenge\":"
                                "\"AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI\",\"rpId\":"
                                "\"id.example.gov\",\"timeout\":300000,\"userVerification\":"
                                "\"required\"}");
    r.challenge.len = 129;
    cr_assert_eq(ps_webauthn_request_options(arena, &r, &o, &d), PS_ERR_INVALID);
    r.challenge.len = 32;
    r.rp_id = PS_STR("");
    cr_assert_eq(ps_webauthn_request_options(arena, &r, &o, &d), PS_ERR_INVALID);
    cr_assert_str_eq(ps_webauthn_transport_name(PS_WEBAUTHN_SMART_CARD), "smart-card");
    cr_assert_null(ps_webauthn_transport_name(3));
    cr_assert_eq(ps_webauthn_transport_bit(PS_STR("ble")), PS_WEBAUTHN_BLE);
    cr_assert_eq(ps_webauthn_transport_bit(PS_STR("BLE")), 0);
    struct ps_buf b;
    ps_buf_init(&b, 64);
    cr_assert_eq(ps_webauthn_transports_format(PS_WEBAUTHN_HYBRID | PS_WEBAUTHN_USB | 0x100, &b), PS_OK);
    cr_assert_str_eq(b.p, "usb hybrid");
    ps_buf_reset(&b);
}

Test(webauthn, challenge_of_a_response)
{
    struct fix f = fixture();
    struct spec s = base_spec(&f, "webauthn.create");
    struct ps_bytes ch;
    struct ps_id_diag d;
    cr_assert_eq(ps_webauthn_challenge_of(arena, ps_str_from_cstr(make_reg(&f, &s)), &ch, &d), PS_OK);
    cr_assert_eq(ch.len, 32);
    cr_assert_eq(memcmp(ch.p, f.challenge.p, 32), 0);
    s = base_spec(&f, "webauthn.get");
    cr_assert_eq(ps_webauthn_challenge_of(arena, ps_str_from_cstr(make_auth(&f, &s)), &ch, &d), PS_OK);
    cr_assert_eq(memcmp(ch.p, f.challenge.p, 32), 0);
    s.challenge = hex("0102030405060708090a0b0c0d0e0f"); /* 15 bytes */
    cr_assert_eq(ps_webauthn_challenge_of(arena, ps_str_from_cstr(make_auth(&f, &s)), &ch, &d),
                 PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_WA_BAD_CHALLENGE);
    s.client_data = "{\"type\":\"webauthn.get\",\"challenge\":\"AQ==\",\"origin\":\"x\"}";
    cr_assert_eq(ps_webauthn_challenge_of(arena, ps_str_from_cstr(make_auth(&f, &s)), &ch, &d),
                 PS_ERR_DENIED);
    cr_assert_eq(ps_webauthn_challenge_of(arena, PS_STR("{}"), &ch, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_WA_MALFORMED);
}
