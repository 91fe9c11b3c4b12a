/* HTTP Message Signatures (RFC 9421) for requests: verification of a Signature-Input /
 * Signature pair against the request with a caller's key resolver and policy, and a signer
 * (tests, tools, the benchmark, agencies' reference). Algorithms: ed25519 and
 * ecdsa-p256-sha256 (r || s). Components: the request-derived ones (@method, @target-uri,
 * @authority, @scheme, @request-target, @path, @query, @query-param) and header fields, with
 * the ;sf and ;key parameters for the Dictionary fields it knows (content-digest, repr-digest,
 * signature-input, signature, want-*-digest, accept-signature) and ;bs for any field. @status,
 * ;req, ;tr and unknown parameters are refused with PS_ID_HS_UNSUPPORTED. Nonce storage
 * (replay) is the caller's: the verified nonce is returned. Pure: no I/O, no globals. */
#ifndef PS_IDENTITY_HTTPSIG_H
#define PS_IDENTITY_HTTPSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/idcode.h"

/* Limits (each has a test). */
#define PS_HTTPSIG_FIELD_MAX 8192      /* combined Signature-Input, or Signature, value */
#define PS_HTTPSIG_MAX_SIGNATURES 8    /* labels in one message */
#define PS_HTTPSIG_MAX_COMPONENTS 32   /* covered components of one signature */
#define PS_HTTPSIG_BASE_MAX 16384      /* signature base */
#define PS_HTTPSIG_TARGET_MAX 4096     /* target URI */
#define PS_HTTPSIG_DEFAULT_WINDOW_S 300 /* created within +-5 minutes of now */

enum ps_httpsig_alg {
    PS_HTTPSIG_ED25519 = 1,         /* "ed25519": 32-byte public key */
    PS_HTTPSIG_ECDSA_P256_SHA256 = 2, /* "ecdsa-p256-sha256": 65-byte uncompressed point */
};

/* The registered name of alg ("ed25519", "ecdsa-p256-sha256"); NULL when unknown. */
const char *ps_httpsig_alg_name(enum ps_httpsig_alg alg);

/* Returns the idx-th (0-based) field line named name (lower-case) in *value and true, or false
 * when there is no such line. The values are borrowed until the call returns to the caller of
 * ps_httpsig_verify / ps_httpsig_sign. */
typedef bool (*ps_httpsig_field_fn)(void *ctx, struct ps_str name, size_t idx,
                                    struct ps_str *value);

/* The request as received (or about to be sent). */
struct ps_httpsig_request {
    struct ps_str method;     /* as on the request line, case kept ("POST") */
    /* the absolute target URI: scheme "://" authority path ["?" query], as the server
     * reconstructs it from its own scheme, the Host field and the request target; no fragment,
     * no userinfo, printable ASCII only, at most PS_HTTPSIG_TARGET_MAX bytes */
    struct ps_str target_uri;
    /* the request target of the request line, for @request-target; PS_STR_NULL derives it as
     * path ["?" query] of target_uri (origin form) */
    struct ps_str request_target;
    ps_httpsig_field_fn field;
    void *field_ctx;
    struct ps_str content; /* the request content; empty (len 0) when there is none */
};

/* A convenience field table for callers holding the header lines in an array (tests, the
 * tools, the fuzz targets): names compared case-insensitively. Use
 * ps_httpsig_fields_lookup as `field` and the table as `field_ctx`. */
struct ps_httpsig_field_line {
    struct ps_str name, value;
};
struct ps_httpsig_fields {
    const struct ps_httpsig_field_line *lines;
    size_t n;
};
bool ps_httpsig_fields_lookup(void *ctx, struct ps_str name, size_t idx, struct ps_str *value);

/* A verification key, as the resolver finds it for a keyid. */
struct ps_httpsig_key {
    enum ps_httpsig_alg alg;
    uint8_t pub[65];
    size_t pub_len; /* 32 for ed25519, 65 for ecdsa-p256-sha256 */
};

/* Looks keyid up: PS_OK and *key filled, PS_ERR_NOTFOUND for a key it does not know (or does
 * not trust for this request), any other error (a store error) to abort: it is passed through
 * as the return value of ps_httpsig_verify, with code PS_ID_INTERNAL. */
typedef enum ps_err (*ps_httpsig_resolve_fn)(void *ctx, struct ps_str keyid,
                                             struct ps_httpsig_key *key);

struct ps_httpsig_policy {
    struct ps_str label; /* verify the signature with this label; PS_STR_NULL: any */
    struct ps_str tag;   /* only signatures whose tag parameter equals this; PS_STR_NULL: any */
    /* component names that must be covered (plain names without parameters, e.g. "@method",
     * "@target-uri", "@authority", "date"); NULL takes {"@method", "@target-uri"}.
     * content-digest is required on top whenever the request has content. */
    const char *const *required;
    size_t nrequired;
    int64_t now;       /* Unix seconds: created must be within now +- window_s */
    int64_t window_s;  /* 0 takes PS_HTTPSIG_DEFAULT_WINDOW_S */
    bool require_nonce;
    ps_httpsig_resolve_fn resolve;
    void *resolve_ctx;
};

struct ps_httpsig_component {
    struct ps_str name; /* "@method", "content-digest", "@query-param" ... */
    struct ps_str id;   /* the serialized identifier, e.g. "\"@query-param\";name=\"pet\"" */
};

/* What was verified. Strings are owned by the arena. */
struct ps_httpsig_result {
    struct ps_str label, keyid, nonce, tag; /* nonce, tag: PS_STR_NULL when absent */
    int64_t created;
    int64_t expires; /* valid when has_expires */
    bool has_expires;
    enum ps_httpsig_alg alg;
    struct ps_httpsig_component *components;
    size_t ncomponents;
    unsigned digest_algs; /* enum ps_digest_alg bits verified from Content-Digest, 0 if uncovered */
    struct ps_str base;   /* the signature base that verified (for logs and debugging) */
};

/* Verifies the request's signature in this order: both fields present and parsed (strict
 * structured-field dictionaries, same labels, no repeats, at most PS_HTTPSIG_MAX_SIGNATURES);
 * the signature chosen by label / tag (exactly one must remain); parameter types; keyid and
 * created present (nonce when required), created within the window, expires not past; the
 * required components covered (content-digest when there is content); the key resolved and the
 * alg parameter, when present, equal to its algorithm; the signature base built (every covered
 * component present and derivable); the signature verified over it; and last, when
 * content-digest is covered, the Content-Digest field checked against the content
 * (ps_digest_verify). On success *out is filled and diag cleared.
 * Codes: PS_ID_HS_* and PS_ID_DG_* (idcode.h; docs/internals/identity-protocols.md has the
 * list), PS_ID_INTERNAL with PS_ERR_NOMEM or the resolver's own error.
 * Thread-safe (the arena is the caller's). */
enum ps_err ps_httpsig_verify(struct ps_arena *a, const struct ps_httpsig_request *req,
                              const struct ps_httpsig_policy *policy,
                              struct ps_httpsig_result *out, struct ps_id_diag *diag) PS_WUR;

/* ---- signing ---- */

struct ps_httpsig_sign_params {
    struct ps_str label; /* e.g. "sig1": a structured-field key */
    /* covered components, each a plain name ("@method", "content-digest") or a serialized
     * component identifier starting with '"' ("\"@query-param\";name=\"pet\"") */
    const char *const *components;
    size_t ncomponents;
    int64_t created;
    int64_t expires; /* 0: no expires parameter */
    struct ps_str keyid;
    struct ps_str nonce; /* PS_STR_NULL: none */
    struct ps_str tag;   /* PS_STR_NULL: none */
    bool include_alg;    /* add the alg parameter */
    enum ps_httpsig_alg alg;
    /* ed25519: the 64-byte libsodium secret key; ecdsa-p256-sha256: the 32-byte scalar */
    const uint8_t *secret;
};

/* Builds the signature base over req (whose field callback must already return every covered
 * field, Content-Digest included), signs it, and appends to sig_input and signature the values
 * of the Signature-Input and Signature fields for this one label ("sig1=(...);created=...",
 * "sig1=:...:"). base (may be NULL) gets the signature base. Codes as for verification
 * (malformed parameters, missing components, PS_ID_HS_LIMIT); PS_ERR_CRYPTO for a bad key. */
enum ps_err ps_httpsig_sign(struct ps_arena *a, const struct ps_httpsig_request *req,
                            const struct ps_httpsig_sign_params *p, struct ps_buf *sig_input,
                            struct ps_buf *signature, struct ps_buf *base,
                            struct ps_id_diag *diag) PS_WUR;

/* The signature base for one already-parsed Signature-Input member value (covered components
 * plus parameters), appended to out: what both verification and signing sign. Exposed for the
 * tests (the RFC's published bases) and the fuzz target. Codes as for verification. */
struct ps_sfv_value;
enum ps_err ps_httpsig_base(struct ps_arena *a, const struct ps_httpsig_request *req,
                            const struct ps_sfv_value *params, struct ps_buf *out,
                            struct ps_id_diag *diag) PS_WUR;

#endif
