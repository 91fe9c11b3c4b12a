/* Private to lib/verify: the budgeted arena every verification allocates from, the bounded
 * CBOR tree, COSE_Sign1 parts, key records of the trust store and helpers shared between
 * the layers. Includes nothing outside include/ and the system libraries. */
#ifndef PSV_INT_H
#define PSV_INT_H

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pocketstate/cose_key.h"
#include "pocketstate/verify.h"

#define PSV_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* ---- memory (mem.c) ---- */

/* A bump arena whose every chunk counts against budget. Freed whole. */
struct psv_mem {
    size_t budget, used;
    struct psv_chunk *chunks;
    uint8_t *cur;
    size_t left;
    bool exceeded;
};
struct psv_mem *psv_mem_new(size_t budget); /* the struct itself is counted too */
void psv_mem_free(struct psv_mem *m);
/* 16-byte aligned, uninitialised; NULL (and m->exceeded) when over budget. */
void *psv_alloc(struct psv_mem *m, size_t n);
void *psv_zalloc(struct psv_mem *m, size_t n);

/* ---- diagnostics ---- */
void psv_diag_vset(struct psv_diag *d, enum psv_error code, const char *fmt, va_list ap)
    PSV_PRINTF(3, 0);
enum psv_error psv_fail(struct psv_diag *d, enum psv_error code, const char *fmt, ...)
    PSV_PRINTF(3, 4);

/* ---- inflate (inflate.c) ---- */
/* zlib stream in -> *out (allocated from m), at most cap bytes. Refuses a missing zlib
 * header, a corrupt or truncated stream, output over cap and bytes after the stream. */
enum psv_error psv_inflate(struct psv_mem *m, const uint8_t *in, size_t n, size_t cap,
                           uint8_t **out, size_t *out_len, struct psv_diag *d);

/* ---- CBOR (cbor.c) ---- */
struct psv_cbor_limits {
    unsigned max_depth;
    size_t max_items;
    bool allow_indefinite; /* arrays and maps only; indefinite strings are always refused */
};
/* Parses exactly one item spanning all of buf (n bytes) into a tree allocated from m; items
 * point into buf, which must outlive the tree. Refuses duplicate map keys, more than 3
 * tags on one item, reserved or malformed encodings. PSV_E_CBOR. */
enum psv_error psv_cbor_parse(struct psv_mem *m, const uint8_t *buf, size_t n,
                              const struct psv_cbor_limits *lim, const struct psv_item **out,
                              struct psv_diag *d);
/* Map lookup by integer key / text key; NULL when absent or not a map. */
const struct psv_item *psv_map_int(const struct psv_item *map, int64_t key);
const struct psv_item *psv_map_text(const struct psv_item *map, const char *key);
/* Integer item as int64 (false if not an integer or out of range). */
bool psv_item_int(const struct psv_item *it, int64_t *out);
bool psv_item_is_text(const struct psv_item *it, const char *s);
/* CBOR -> JSON text into m (NUL-terminated). Bytes as base64url, non-text map keys as their
 * decimal or text form, floats %.17g (non-finite as null), tags dropped. */
enum psv_error psv_item_json(struct psv_mem *m, const struct psv_item *it, char **out,
                             size_t *out_len, struct psv_diag *d);

/* ---- keys (cose_key.c, sig.c) ---- */
struct psv_cose_key {
    int kty;
    int alg; /* 0: not bound */
    EVP_PKEY *pkey;
};
/* Builds a key from a parsed COSE_Key map (into caller storage; free pkey with
 * EVP_PKEY_free). */
enum psv_error psv_cose_key_from_item(const struct psv_item *map, struct psv_cose_key *key,
                                      struct psv_diag *d);
/* EVP_PKEY from raw P-256 x, y (32 bytes each) / Ed25519 x (32 bytes). NULL on bad point. */
EVP_PKEY *psv_pkey_p256(const uint8_t *x, const uint8_t *y);
EVP_PKEY *psv_pkey_ed25519(const uint8_t *x);
EVP_PKEY *psv_pkey_rsa(const uint8_t *n, size_t nl, const uint8_t *e, size_t el);
/* Signature check on a ready EVP_PKEY; the alg/key pairing must have been checked. */
enum psv_error psv_sig_verify(EVP_PKEY *pkey, int alg, const uint8_t *msg, size_t msg_len,
                              const uint8_t *sig, size_t sig_len, unsigned flags,
                              struct psv_diag *d);
/* Is alg usable with a key of this kty (and, for EC2/OKP, its curve)? */
bool psv_alg_fits_pkey(int alg, EVP_PKEY *pkey);
const char *psv_alg_name(int alg);
int psv_alg_from_name(const char *name); /* "ES256" -> -7; 0 if unknown */

/* ---- COSE_Sign1 (cose.c) ---- */
struct psv_sign1 {
    const struct psv_item *protected_map; /* decoded protected header (may be empty map) */
    const uint8_t *protected_raw;         /* the protected bstr content */
    size_t protected_len;
    const struct psv_item *unprotected;
    const uint8_t *payload;
    size_t payload_len;
    const uint8_t *sig;
    size_t sig_len;
    int64_t alg;
    const uint8_t *kid;
    size_t kid_len;
    const struct psv_item *typ; /* header 16, may be NULL */
};
/* Reads a COSE_Sign1 (tag 18 optional, inside at most a CWT tag 61) from a parsed item:
 * header types, crit (only labels 1, 3, 4, 16 are understood), alg present, kid a bstr.
 * PSV_E_COSE / PSV_E_CBOR. */
enum { PSV_SIGN1_ALG_UNPROTECTED = 1u << 0 }; /* HC1: the DCC test data puts alg there */
enum psv_error psv_sign1_read(struct psv_mem *m, const struct psv_item *it,
                              const struct psv_cbor_limits *lim, unsigned flags,
                              struct psv_sign1 *s, struct psv_diag *d);
/* Sig_structure ["Signature1", protected, h'', payload] into m. */
enum psv_error psv_sign1_tbs(struct psv_mem *m, const struct psv_sign1 *s, uint8_t **out,
                             size_t *out_len, struct psv_diag *d);

/* ---- trust store (trust.c) ---- */
enum { PSV_USE_DOCUMENTS = 1u << 0, PSV_USE_STATUS = 1u << 1 };
struct psv_tkey {
    uint8_t kid[64];
    size_t kid_len;
    int alg;
    EVP_PKEY *pkey;
    char *issuer;    /* NULL for an X.509 signer (HC1) */
    char **types;    /* NULL-terminated; NULL = any type */
    unsigned uses;
    int64_t nbf, exp; /* the window in which the key may have signed (iat); 0 = open */
};
struct psv_trust {
    struct psv_tkey *keys;
    size_t n, cap;
};
/* Keys whose kid equals kid, one at a time: *pos starts at 0. NULL when no more. */
const struct psv_tkey *psv_trust_next(const psv_trust *t, const uint8_t *kid, size_t kid_len,
                                      size_t *pos);
/* Appends k (taking its allocations, cleared on failure). */
enum psv_error psv_trust_add_key(psv_trust *t, struct psv_tkey *k, struct psv_diag *d);
/* Drops keys past the first n (a failed load leaves the store as it was). */
void psv_trust_truncate(psv_trust *t, size_t n);
bool psv_tkey_allows_type(const struct psv_tkey *k, const char *type, size_t type_len);

/* ---- verification context shared by ps1.c / hc1.c / verify.c ---- */
struct psv_vctx {
    const struct psv_params *p;
    struct psv_mem *m;
    struct psv_cbor_limits lim;
    struct psv_result *r;
    bool exp_inclusive; /* HC1: valid at exp itself (as the DCC test data expects) */
    bool cert_window;   /* validity failed on the signer certificate's window */
};
/* Sets r->error once (the first failure wins) and returns code. */
enum psv_error psv_vfail(struct psv_vctx *v, enum psv_error code, const char *fmt, ...)
    PSV_PRINTF(3, 4);
/* Finds the key for s (kid, alg), verifies the signature: fills r->signature, r->kid.
 * type (may be NULL) must be allowed for the key; iat (has_iat) inside its window. */
enum psv_error psv_check_issuer_sig(struct psv_vctx *v, const struct psv_sign1 *s,
                                    const char *type, size_t type_len, unsigned use,
                                    const struct psv_tkey **key_out);
/* CWT common claims: iss (1, text), iat (6), nbf (5), exp (4) into r and r->validity
 * against now (nbf and iat may be up to skew seconds ahead of the clock). Reports only
 * malformed claims; psv_report_validity reports the window, after the signature check. */
enum psv_error psv_cwt_common(struct psv_vctx *v, const struct psv_item *claims, int64_t skew);
enum psv_error psv_report_validity(struct psv_vctx *v);
/* Status claim (65535) against params->status: fills r->status. */
enum psv_error psv_check_status(struct psv_vctx *v, const struct psv_item *claims);
char *psv_strdup_item(struct psv_mem *m, const struct psv_item *text);

enum psv_error psv_ps1_verify(struct psv_vctx *v, const struct psv_item *top);
enum psv_error psv_hc1_verify(struct psv_vctx *v, const struct psv_item *top);

/* base64 / base64url decoding (b64.c). url: the URL-safe alphabet without padding;
 * otherwise the standard alphabet with optional padding. */
bool psv_b64_decode(const char *in, size_t n, bool url, uint8_t *out, size_t cap,
                    size_t *out_len);
size_t psv_b64url_encode(const uint8_t *in, size_t n, char *out, size_t cap);

#endif
