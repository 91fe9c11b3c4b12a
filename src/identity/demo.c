/* Demo sign-in (demo.h). */
#include "identity/demo.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <string.h>

#include "core/clock.h"
#include "identity/passkey.h"
#include "tlog/access.h"

#define COSE_KEY_LEN 77 /* map(5) kty EC2, alg ES256, crv P-256, x, y */

/* A P-256 public key as a COSE_Key, its private half dropped at once. */
static enum ps_err throwaway_key(unsigned char out[COSE_KEY_LEN], struct ps_diag *diag)
{
    unsigned char point[65];
    size_t n = 0;
    EVP_PKEY *k = EVP_EC_gen("P-256");
    bool ok = k && EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, point,
                                                   sizeof point, &n) == 1 && n == 65;
    EVP_PKEY_free(k);
    if (!ok)
        return ps_diag_set(diag, PS_ERR_CRYPTO, "cannot make a P-256 key");
    /* {1: 2 (EC2), 3: -7 (ES256), -1: 1 (P-256), -2: x, -3: y} */
    static const unsigned char head[] = {0xa5, 0x01, 0x02, 0x03, 0x26,
                                         0x20, 0x01, 0x21, 0x58, 0x20};
    memcpy(out, head, sizeof head);
    memcpy(out + sizeof head, point + 1, 32);
    out[42] = 0x22;
    out[43] = 0x58;
    out[44] = 0x20;
    memcpy(out + 45, point + 33, 32);
    return PS_OK;
}

/* The person's demo passkey id into id, or "" when none. */
static enum ps_err find_demo(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                             char id[37], struct ps_diag *diag)
{
    struct ps_passkey keys[PS_PASSKEYS_MAX];
    size_t n = 0;
    id[0] = '\0';
    enum ps_err e = ps_passkeys_of(tx, rnokpp, arena, keys, PS_PASSKEYS_MAX, &n, diag);
    for (size_t i = 0; e == PS_OK && i < n; i++)
        if (ps_str_eq_cstr(keys[i].name, PS_DEMO_PASSKEY_NAME))
            memcpy(id, keys[i].id, 37);
    return e;
}

enum ps_err ps_demo_passkey_ensure(struct ps_tx *tx, struct ps_str rnokpp, struct ps_diag *diag)
{
    char id[37];
    unsigned char handle[PS_USER_HANDLE_BYTES], cose[COSE_KEY_LEN], cred[32];
    bool exists = false;
    struct ps_arena *arena = ps_arena_new(1 << 16);
    if (!arena)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = find_demo(tx, rnokpp, arena, id, diag);
    if (e == PS_OK && !id[0])
        e = ps_account_handle(tx, rnokpp, handle, &exists, diag);
    if (e == PS_OK && !id[0])
        e = throwaway_key(cose, diag);
    if (e == PS_OK && !id[0]) {
        ps_random_bytes(cred, sizeof cred);
        struct ps_passkey p = {.rnokpp = rnokpp,
                               .credential_id = {(const char *)cred, sizeof cred},
                               .public_key = {(const char *)cose, sizeof cose},
                               .alg = -7,
                               .transports = PS_STR("internal"),
                               .name = PS_STR(PS_DEMO_PASSKEY_NAME)};
        e = ps_passkey_add(tx, handle, &p, diag);
    }
    ps_arena_free(arena);
    return e;
}

enum ps_err ps_demo_signin(struct ps_tx *tx, struct ps_str rnokpp, struct ps_str label,
                           const struct ps_session_cfg *cfg, struct ps_arena *arena,
                           char token[PS_SESSION_TOKEN_LEN + 1], struct ps_session *out,
                           struct ps_diag *diag)
{
    char id[37];
    enum ps_err e = find_demo(tx, rnokpp, arena, id, diag);
    if (e == PS_OK && !id[0])
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "not a demo person");
    if (e == PS_OK)
        e = ps_session_create(tx, rnokpp, id, label, cfg, token, out, diag);
    if (e != PS_OK)
        return e;
    out->rnokpp = ps_arena_str(arena, rnokpp);
    out->passkey_id = ps_arena_str(arena, ps_str_from_cstr(id));
    if (!out->rnokpp.p || !out->passkey_id.p)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = rnokpp};
    return ps_tlog_record_change(tx, &self, "auth.demo-signin", rnokpp,
                                 PS_STR("auth/demo"), PS_STR("pocketstate demo"), diag);
}
