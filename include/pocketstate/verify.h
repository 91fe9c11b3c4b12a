/* libpsverify: the embeddable offline verifier of PocketState presentations ("PS1:") and EU
 * Digital COVID Certificates ("HC1:"). It decodes a QR text (base45, zlib, CBOR, COSE_Sign1,
 * CWT), checks the signature against a trust list, the validity window against a clock the
 * caller gives, the revocation status against an optional status list, and for offline
 * presentations the holder's signature; it reports each check separately plus the claims.
 *
 * No network, no I/O, no global state: every object is passed in. A parsed trust list and
 * status list are immutable and may be shared read-only by any number of threads; each
 * psv_verify call owns its psv_result. Every allocation of a verification is counted against
 * a caller-set memory budget (psv_params.mem_budget); going over it stops the verification
 * with a precise error. Formats: docs/formats/ps1.md, docs/formats/trust-list.md;
 * internals and limits: docs/internals/verify.md. Symbols: psv_* / PSV_*. */
#ifndef POCKETSTATE_VERIFY_H
#define POCKETSTATE_VERIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define PSV_WUR __attribute__((warn_unused_result))
#else
#define PSV_WUR
#endif

/* The error codes of a failed verification (stable names by psv_error_name: "prefix",
 * "base45", ...). PSV_OK (0) means the payload is valid. */
enum psv_error {
    PSV_OK = 0,
    PSV_E_PREFIX,        /* not "PS1:" / "HC1:" */
    PSV_E_BASE45,        /* base45 alphabet, length or value; text over the length limit */
    PSV_E_DECOMPRESS,    /* not zlib, corrupt, or inflated past the output cap */
    PSV_E_CBOR,          /* malformed CBOR, over a CBOR limit, or claims of the wrong type */
    PSV_E_COSE,          /* not a COSE_Sign1; bad header types; unknown critical header */
    PSV_E_ALGORITHM,     /* unsupported alg, or not the alg the key is declared for */
    PSV_E_UNKNOWN_KEY,   /* no trusted key with that kid (for that document type, at iat) */
    PSV_E_SIGNATURE,     /* signature malformed, non-canonical or not valid */
    PSV_E_EXPIRED,       /* the clock is at or past exp */
    PSV_E_NOT_YET_VALID, /* the clock is before nbf (or before iat) */
    PSV_E_REVOKED,       /* the status list says revoked or suspended */
    PSV_E_TRUST_LIST,    /* trust list or status list unusable (signature, shape, expiry) */
    PSV_E_HOLDER,        /* holder signature wrong, by the wrong key, or outside its window */
    PSV_E_USAGE,         /* the caller broke an API contract (NULL argument, ...) */
};

/* One check's outcome. */
enum psv_check {
    PSV_NOT_CHECKED = 0,
    PSV_CHECK_OK,
    PSV_CHECK_FAILED,        /* signature, holder, format */
    PSV_CHECK_UNKNOWN_KEY,   /* signature */
    PSV_CHECK_EXPIRED,       /* validity */
    PSV_CHECK_NOT_YET_VALID, /* validity */
    PSV_CHECK_REVOKED,       /* status */
    PSV_CHECK_SUSPENDED,     /* status */
};

enum psv_format { PSV_FORMAT_UNKNOWN = 0, PSV_FORMAT_PS1, PSV_FORMAT_HC1 };

/* What went wrong, for a person; filled by every fallible call. */
struct psv_diag {
    enum psv_error code;
    char message[240];
};

/* Decoding limits; a zero field takes the default in brackets. */
struct psv_limits {
    size_t max_text;     /* QR text characters, prefix included [8192] */
    size_t max_inflated; /* zlib output cap in bytes [65536] */
    unsigned max_depth;  /* CBOR nesting [16] */
    size_t max_items;    /* CBOR data items in one document [2048] */
};

typedef struct psv_trust psv_trust;
typedef struct psv_status_list psv_status_list;

/* Inputs of one verification. */
struct psv_params {
    const psv_trust *trust;         /* required; borrowed, read-only */
    const psv_status_list *status;  /* optional; borrowed, read-only */
    int64_t now;                    /* the clock: Unix seconds */
    size_t mem_budget;              /* bytes; 0 = 512 KiB */
    struct psv_limits limits;
};

/* A decoded CBOR data item (the claims). Borrowed from the psv_result that holds it. */
enum psv_item_type {
    PSV_ITEM_UINT, PSV_ITEM_NINT, PSV_ITEM_BYTES, PSV_ITEM_TEXT, PSV_ITEM_ARRAY, PSV_ITEM_MAP,
    PSV_ITEM_FALSE, PSV_ITEM_TRUE, PSV_ITEM_NULL, PSV_ITEM_UNDEFINED, PSV_ITEM_FLOAT,
    PSV_ITEM_SIMPLE,
};
struct psv_item {
    enum psv_item_type type;
    uint64_t u;          /* UINT: the value; NINT: the value is -1 - u; SIMPLE: the value */
    double f;            /* FLOAT */
    const uint8_t *p;    /* BYTES, TEXT: the content (TEXT not NUL-terminated) */
    size_t len;          /* BYTES, TEXT: content bytes; ARRAY: items; MAP: pairs */
    const uint8_t *raw;  /* the item's whole encoding (tags included) */
    size_t raw_len;
    uint64_t tag;        /* the innermost tag, if ntags > 0 */
    uint64_t outer_tag;  /* the outermost tag, if ntags > 1 */
    unsigned ntags;
    bool indefinite;     /* ARRAY, MAP encoded with indefinite length */
    const struct psv_item *child; /* ARRAY: first item; MAP: first key (then its value) */
    const struct psv_item *next;  /* next sibling */
};

/* The outcome of psv_verify. Everything it points to is owned by it until psv_result_free. */
struct psv_result {
    bool valid;                  /* every applicable check passed (error == PSV_OK) */
    enum psv_format format;
    enum psv_check format_check; /* decoding through COSE and claims: ok / failed */
    enum psv_check signature;    /* ok / failed / unknown-key / not-checked */
    enum psv_check validity;     /* ok / expired / not-yet-valid / not-checked */
    enum psv_check status;       /* ok / revoked / suspended / not-checked */
    enum psv_check holder;       /* PS1 offline presentations: ok / failed; else not-checked */
    const char *issuer;          /* CWT iss (NUL-terminated) or NULL */
    const char *doc_type;        /* PS1 document type or NULL */
    uint8_t kid[64];             /* the issuer key's kid */
    size_t kid_len;
    bool has_issued_at, has_expires_at;
    int64_t issued_at, expires_at; /* Unix seconds */
    const struct psv_item *claims; /* HC1: the certificate object; PS1: name -> value map of
                                      the disclosed claims (a synthetic map); NULL if none */
    const char *claims_json;     /* the claims as JSON text (NUL-terminated) or NULL */
    size_t claims_json_len;
    struct psv_diag error;       /* code PSV_OK when valid */
    bool budget_exceeded;        /* the error was the memory budget running out */
    size_t mem_used;             /* bytes allocated from the budget */
    void *priv_;                 /* the result's memory; do not touch */
};

/* Verifies one QR text of len bytes (not NUL-terminated; "PS1:..." or "HC1:..."). Fills
 * *out (always; free it with psv_result_free even on failure) and returns out->error.code:
 * PSV_OK when valid. The signature is checked even when the document has expired, so both
 * facts are in *out. Thread-safe for distinct *out with shared params->trust / status. */
enum psv_error psv_verify(const struct psv_params *params, const char *text, size_t len,
                          struct psv_result *out) PSV_WUR;

/* Frees what out holds; out may be NULL or already freed. */
void psv_result_free(struct psv_result *out);

/* "prefix", "base45", ..., "holder", "usage"; "ok" for PSV_OK. Never NULL. */
const char *psv_error_name(enum psv_error code);
/* "ok", "failed", "unknown-key", "not-checked", "expired", "not-yet-valid", "revoked",
 * "suspended". Never NULL. */
const char *psv_check_name(enum psv_check check);

/* ---- trust ---------------------------------------------------------------------------- */

/* An empty trust store; NULL when out of memory. Fill it with psv_trust_load_list and/or
 * psv_trust_add_cert*, then share it read-only: adding while another thread verifies
 * against it is not allowed. */
psv_trust *psv_trust_new(void);
void psv_trust_free(psv_trust *t);

/* Pinned platform root public key for psv_trust_load_list, as a JWK (JSON text): Ed25519
 * ({"kty":"OKP","crv":"Ed25519","x":...}) or P-256 ({"kty":"EC","crv":"P-256",...}). */
struct psv_root {
    const char *jwk;
    size_t jwk_len;
};

/* Loads a PocketState trust list (docs/formats/trust-list.md: a flattened JWS JSON
 * serialization signed by the platform root) into t. root pins the root key; root NULL
 * accepts the key named by the JWS header's "jwk" (integrity only, NOT authenticity: the
 * caller must say so to its user). now (Unix seconds) rejects an expired list. Every key is
 * parsed once into ready form. Errors: PSV_E_TRUST_LIST (message says why), PSV_E_USAGE. */
enum psv_error psv_trust_load_list(psv_trust *t, const char *json, size_t len,
                                   const struct psv_root *root, int64_t now,
                                   struct psv_diag *diag) PSV_WUR;

/* Adds one X.509 signer certificate (DER) for HC1: kid = first 8 bytes of SHA-256(DER),
 * alg ES256 for a P-256 key, PS256 for RSA; usable for documents signed within the
 * certificate's validity. */
enum psv_error psv_trust_add_cert_der(psv_trust *t, const uint8_t *der, size_t len,
                                      struct psv_diag *diag) PSV_WUR;
/* Adds every certificate of a PEM bundle (at least one). */
enum psv_error psv_trust_add_cert_pem(psv_trust *t, const char *pem, size_t len,
                                      struct psv_diag *diag) PSV_WUR;
/* Number of keys loaded. */
size_t psv_trust_count(const psv_trust *t);

/* ---- status lists --------------------------------------------------------------------- */

/* Parses and verifies a Status List Token in CWT form (draft-ietf-oauth-status-list:
 * COSE_Sign1, typ "application/statuslist+cwt", claims 1 iss, 2 sub, 6 iat, 4 exp, 65534
 * ttl, 65533 status_list {"bits", "lst"}), signed by a trust-list key allowed to sign status
 * lists for iss. max_inflated caps the decompressed list (0 = 16 MiB). On success *out is a
 * new immutable object (free with psv_status_list_free). Errors: PSV_E_TRUST_LIST with the
 * reason (decoding, signature, expiry at now). */
enum psv_error psv_status_list_parse(const psv_trust *t, const uint8_t *cwt, size_t len,
                                     int64_t now, size_t max_inflated,
                                     psv_status_list **out, struct psv_diag *diag) PSV_WUR;
void psv_status_list_free(psv_status_list *s);
/* The status value (0 valid, 1 invalid, 2 suspended, ...) at idx; -1 when out of range. */
int psv_status_list_get(const psv_status_list *s, uint64_t idx);

/* ---- base45 (RFC 9285) ---------------------------------------------------------------- */

/* Decoded size of n base45 characters (an upper bound that is exact for valid input). */
size_t psv_base45_decoded_len(size_t n);
/* Decodes n characters into out (cap bytes); *out_len the bytes written. Strict: only the
 * 45 alphabet characters, n % 3 != 1, every group in range. PSV_E_BASE45 otherwise. */
enum psv_error psv_base45_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                                 size_t *out_len) PSV_WUR;
/* Encoded size of n bytes. */
size_t psv_base45_encoded_len(size_t n);
/* Encodes n bytes into out (cap chars, no NUL written); PSV_E_USAGE if cap is short. */
enum psv_error psv_base45_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                                 size_t *out_len) PSV_WUR;

#ifdef __cplusplus
}
#endif
#endif
