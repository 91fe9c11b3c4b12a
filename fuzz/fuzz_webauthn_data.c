/* Fuzz target: the WebAuthn byte layouts (src/identity/webauthn.h): authenticator data
 * (ps_webauthn_auth_data_parse), clientDataJSON (ps_webauthn_client_data_parse) and the CBOR
 * reader under them (src/identity/cbor_read.h), each on the whole input. Beyond "no crash":
 * every slice the parsers return lies inside the input and the pieces of authenticator data
 * add up to exactly its length; a CBOR item's extent never passes the input's end. */
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "fuzz.h"
#include "identity/cbor_read.h"
#include "identity/webauthn.h"

static int inside(const uint8_t *base, size_t n, const uint8_t *p, size_t len)
{
    return len == 0 || (p >= base && len <= n && (size_t)(p - base) <= n - len);
}

static void auth_data(const uint8_t *data, size_t size)
{
    struct ps_webauthn_auth_data ad;
    struct ps_id_diag d;
    enum ps_err e = ps_webauthn_auth_data_parse((struct ps_bytes){data, size}, &ad, &d);
    if (e != PS_OK) {
        FUZZ_CHECK(e == ps_id_code_err(d.code));
        return;
    }
    FUZZ_CHECK(size >= 37 && ad.rp_id_hash == data);
    size_t total = 37;
    if (ad.has_credential) {
        FUZZ_CHECK(ad.flags & PS_WEBAUTHN_FLAG_AT);
        FUZZ_CHECK(ad.credential_id.len >= 1 && ad.credential_id.len <= PS_WEBAUTHN_CRED_ID_MAX);
        FUZZ_CHECK(inside(data, size, ad.credential_id.p, ad.credential_id.len));
        FUZZ_CHECK(inside(data, size, ad.public_key.p, ad.public_key.len));
        total += 18 + ad.credential_id.len + ad.public_key.len;
    }
    FUZZ_CHECK(inside(data, size, ad.extensions.p, ad.extensions.len));
    total += ad.extensions.len;
    FUZZ_CHECK(total == size);
}

static void client_data(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(16u << 20);
    FUZZ_CHECK(a != NULL);
    struct ps_webauthn_client_data c;
    struct ps_id_diag d;
    enum ps_err e = ps_webauthn_client_data_parse(a, (struct ps_bytes){data, size}, &c, &d);
    if (e == PS_OK)
        FUZZ_CHECK(c.type.p && c.challenge.p && c.origin.p && size <= PS_WEBAUTHN_CLIENT_DATA_MAX);
    else
        FUZZ_CHECK(e == ps_id_code_err(d.code) || d.code == PS_ID_INTERNAL);
    ps_arena_free(a);
}

static void cbor(const uint8_t *data, size_t size)
{
    struct ps_cbor_val v, x;
    if (ps_cbor_read(data, size, 8, 512, &v) != PS_OK)
        return;
    FUZZ_CHECK(v.raw == data && v.raw_len >= 1 && v.raw_len <= size);
    FUZZ_CHECK(v.head_len <= v.raw_len);
    if (v.type == PS_CBOR_BYTES || v.type == PS_CBOR_TEXT)
        FUZZ_CHECK(inside(data, v.raw_len, v.p, v.len));
    if (v.type == PS_CBOR_MAP) {
        (void)ps_cbor_map_keys_unique(&v);
        if (ps_cbor_map_text(&v, "authData", &x) == PS_OK) {
            FUZZ_CHECK(inside(data, v.raw_len, x.raw, x.raw_len));
            if (x.type == PS_CBOR_BYTES)
                auth_data(x.p, x.len);
        }
        if (ps_cbor_map_int(&v, -1, &x) == PS_OK)
            FUZZ_CHECK(inside(data, v.raw_len, x.raw, x.raw_len));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_CHECK(sodium_init() >= 0);
    auth_data(data, size);
    client_data(data, size);
    cbor(data, size);
    return 0;
}
