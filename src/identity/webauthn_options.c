/* PublicKeyCredentialCreationOptionsJSON and PublicKeyCredentialRequestOptionsJSON (WebAuthn
 * Level 3 section 5.1.10 / 5.1.11), the forms the browser's parse*OptionsFromJSON() take. */
#include <string.h>

#include "identity/webauthn.h"

#define DEFAULT_TIMEOUT_MS 300000

static const char *const transport_names[] = {"usb", "nfc", "ble", "smart-card", "hybrid",
                                              "internal"};
#define NTRANSPORTS (sizeof transport_names / sizeof transport_names[0])

const char *ps_webauthn_transport_name(unsigned bit)
{
    for (size_t i = 0; i < NTRANSPORTS; i++)
        if (bit == 1u << i)
            return transport_names[i];
    return NULL;
}

unsigned ps_webauthn_transport_bit(struct ps_str name)
{
    for (size_t i = 0; i < NTRANSPORTS; i++)
        if (ps_str_eq_cstr(name, transport_names[i]))
            return 1u << i;
    return 0;
}

enum ps_err ps_webauthn_transports_format(unsigned set, struct ps_buf *out)
{
    enum ps_err e = PS_OK;
    bool first = true;
    for (size_t i = 0; e == PS_OK && i < NTRANSPORTS; i++) {
        if (!(set & (1u << i)))
            continue;
        if (!first)
            e = ps_buf_append(out, " ", 1);
        if (e == PS_OK)
            e = ps_buf_append_cstr(out, transport_names[i]);
        first = false;
    }
    return e;
}

static void decref(void *v)
{
    json_decref(v);
}

/* Hands j to the arena (released with it); NULL when j is NULL or memory ran out. */
static json_t *owned(struct ps_arena *a, json_t *j)
{
    if (!j)
        return NULL;
    if (ps_arena_defer(a, decref, j) != PS_OK) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* base64url of b as a new JSON string; NULL when out of memory. */
static json_t *b64(struct ps_arena *a, struct ps_bytes b)
{
    char *s = ps_b64url_encode(a, b.p, b.len);
    return s ? json_string(s) : NULL;
}

static bool alg_known(int alg)
{
    return alg == PS_WEBAUTHN_ES256 || alg == PS_WEBAUTHN_EDDSA || alg == PS_WEBAUTHN_RS256;
}

static json_t *cred_params(const int *algs, size_t n)
{
    static const int def[] = {PS_WEBAUTHN_ES256, PS_WEBAUTHN_EDDSA, PS_WEBAUTHN_RS256};
    if (!algs) {
        algs = def;
        n = 3;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_pack("{s:s,s:i}", "type", "public-key", "alg",
                                                 algs[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

static json_t *transports_json(unsigned set)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < NTRANSPORTS; i++)
        if ((set & (1u << i)) && json_array_append_new(arr, json_string(transport_names[i])) != 0) {
            json_decref(arr);
            return NULL;
        }
    return arr;
}

static json_t *exclude_list(struct ps_arena *a, const struct ps_webauthn_cred_ref *c, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++) {
        json_t *d = json_pack("{s:s,s:o}", "type", "public-key", "id", b64(a, c[i].id));
        if (d && c[i].transports && json_object_set_new(d, "transports",
                                                        transports_json(c[i].transports)) != 0) {
            json_decref(d);
            d = NULL;
        }
        if (!d || json_array_append_new(arr, d) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static enum ps_err check_creation(const struct ps_webauthn_creation *c, struct ps_diag *diag)
{
    if (!c->rp_id.len || !c->rp_name.len || !c->user_name.len || !c->user_display_name.len)
        return ps_diag_set(diag, PS_ERR_INVALID, "rp id/name and user name/displayName are needed");
    if (c->user_handle.len < 1 || c->user_handle.len > PS_WEBAUTHN_USER_HANDLE_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "user handle must have 1..%d bytes",
                           PS_WEBAUTHN_USER_HANDLE_MAX);
    if (c->challenge.len < PS_WEBAUTHN_CHALLENGE_MIN || c->challenge.len > PS_WEBAUTHN_CHALLENGE_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "challenge must have %d..%d bytes",
                           PS_WEBAUTHN_CHALLENGE_MIN, PS_WEBAUTHN_CHALLENGE_MAX);
    for (size_t i = 0; c->algs && i < c->nalgs; i++)
        if (!alg_known(c->algs[i]))
            return ps_diag_set(diag, PS_ERR_INVALID, "algorithm %d is not supported", c->algs[i]);
    if (c->algs && c->nalgs == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "no algorithm");
    for (size_t i = 0; i < c->nexclude; i++)
        if (c->exclude[i].id.len < 1 || c->exclude[i].id.len > PS_WEBAUTHN_CRED_ID_MAX)
            return ps_diag_set(diag, PS_ERR_INVALID, "excluded credential %zu: bad ID length", i);
    return PS_OK;
}

enum ps_err ps_webauthn_creation_options(struct ps_arena *a, const struct ps_webauthn_creation *c,
                                         json_t **out, struct ps_diag *diag)
{
    *out = NULL;
    enum ps_err e = check_creation(c, diag);
    if (e != PS_OK)
        return e;
    json_t *o = json_pack(
        "{s:{s:s%,s:s%},s:{s:o,s:s%,s:s%},s:o,s:o,s:I,s:o,s:{s:s,s:b,s:s},s:s}",
        "rp", "id", c->rp_id.p, c->rp_id.len, "name", c->rp_name.p, c->rp_name.len,
        "user", "id", b64(a, c->user_handle), "name", c->user_name.p, c->user_name.len,
        "displayName", c->user_display_name.p, c->user_display_name.len,
        "challenge", b64(a, c->challenge), "pubKeyCredParams", cred_params(c->algs, c->nalgs),
        "timeout", (json_int_t)(c->timeout_ms ? c->timeout_ms : DEFAULT_TIMEOUT_MS),
        "excludeCredentials", exclude_list(a, c->exclude, c->nexclude),
        "authenticatorSelection", "residentKey", "required", "requireResidentKey", 1,
        "userVerification", "required", "attestation", "none");
    if (!(*out = owned(a, o)))
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory (or a name that is not UTF-8)");
    return PS_OK;
}

enum ps_err ps_webauthn_request_options(struct ps_arena *a, const struct ps_webauthn_request *r,
                                        json_t **out, struct ps_diag *diag)
{
    *out = NULL;
    if (!r->rp_id.len)
        return ps_diag_set(diag, PS_ERR_INVALID, "rp id is needed");
    if (r->challenge.len < PS_WEBAUTHN_CHALLENGE_MIN || r->challenge.len > PS_WEBAUTHN_CHALLENGE_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "challenge must have %d..%d bytes",
                           PS_WEBAUTHN_CHALLENGE_MIN, PS_WEBAUTHN_CHALLENGE_MAX);
    json_t *o = json_pack("{s:o,s:s%,s:I,s:s,s:[]}", "challenge", b64(a, r->challenge), "rpId",
                          r->rp_id.p, r->rp_id.len, "timeout",
                          (json_int_t)(r->timeout_ms ? r->timeout_ms : DEFAULT_TIMEOUT_MS),
                          "userVerification", "required", "allowCredentials");
    if (!(*out = owned(a, o)))
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory (or an rp id that is not UTF-8)");
    return PS_OK;
}
