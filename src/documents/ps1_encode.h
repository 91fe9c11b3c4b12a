/* PS1 encoders for the server (docs/formats/ps1.md): the issuer-signed credential with salted
 * claim digests bound to the holder's P-256 key, the server-made presentation (issuer-signed,
 * 3 minutes, chosen claims in clear), and the offline holder presentation (what the phone's
 * web/js/ps1-holder.js makes; here for tests and the bench). Pure functions: no store, no
 * I/O; keys sign through ps_doc_signer; salts come from rand (NULL: ps_random_bytes). */
#ifndef PS_DOCUMENTS_PS1_ENCODE_H
#define PS_DOCUMENTS_PS1_ENCODE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "documents/signer.h"

#define PS_DOC_MAX_CLAIMS 64
#define PS_DOC_PRESENTATION_LIFETIME 180 /* seconds */
#define PS_DOC_SALT_LEN 16

enum ps_doc_value { PS_DOC_TEXT, PS_DOC_INT, PS_DOC_BOOL, PS_DOC_BYTES };

/* One claim: a name (1-64 bytes) and a value. Borrowed. */
struct ps_doc_claim {
    const char *name;
    enum ps_doc_value type;
    const char *text; /* TEXT (NUL-terminated) */
    int64_t i;        /* INT */
    bool b;           /* BOOL */
    const uint8_t *bytes; /* BYTES */
    size_t len;
};

/* What the document says about itself (all borrowed). */
struct ps_doc_header {
    const char *iss;  /* issuer id in the trust list, e.g. "ua.mvs" */
    const char *type; /* document type, e.g. "ua.id-card" */
    const uint8_t *cti; /* document id, 1-64 bytes */
    size_t cti_len;
    int64_t iat, nbf, exp; /* Unix seconds; nbf 0 = none */
    const char *status_uri; /* NULL: no status claim */
    uint64_t status_idx;
};

/* The credential: COSE_Sign1 bytes and one disclosure per claim, in claim order. */
struct ps_doc_credential {
    struct ps_buf cose;
    struct ps_buf disc;                    /* disclosures back to back */
    size_t off[PS_DOC_MAX_CLAIMS + 1];     /* disclosure i is disc.p[off[i] .. off[i+1]) */
    size_t n;
};
void ps_doc_credential_reset(struct ps_doc_credential *c);

typedef void (*ps_doc_rand_fn)(void *out, size_t n);

/* Issues a credential: claims hashed as SHA-256 of the CBOR [salt, name, value] disclosure,
 * digests signed by the issuer with cnf = the holder's P-256 key (x, y). *out is
 * initialised here; release with ps_doc_credential_reset. Errors: PS_ERR_INVALID (a name,
 * count or field out of range), PS_ERR_CRYPTO, PS_ERR_LIMIT. */
enum ps_err ps_doc_ps1_credential(const struct ps_doc_header *h, const struct ps_doc_claim *claims,
                                  size_t n, const uint8_t holder_x[32],
                                  const uint8_t holder_y[32], const struct ps_doc_signer *issuer,
                                  ps_doc_rand_fn rand, struct ps_doc_credential *out) PS_WUR;

/* A server-made presentation "PS1:..." appended to out: iat = now, exp = now + 180, the
 * given claims in clear, signed by the issuer. h->iat/exp/nbf are ignored. */
enum ps_err ps_doc_ps1_present(const struct ps_doc_header *h, const struct ps_doc_claim *claims,
                               size_t n, int64_t now, const struct ps_doc_signer *issuer,
                               struct ps_buf *out) PS_WUR;

/* An offline holder presentation "PS1:..." appended to out: the credential, the disclosures
 * whose indices are in pick (npick of them), and the holder's ES256 signature over
 * {6: now, 4: now + 180, "ch": SHA-256(credential)}. */
enum ps_err ps_doc_ps1_present_holder(const struct ps_doc_credential *c, const size_t *pick,
                                      size_t npick, int64_t now,
                                      const struct ps_doc_signer *holder,
                                      struct ps_buf *out) PS_WUR;

/* The CBOR of one claim value (used by the encoders and tests). */
enum ps_err ps_doc_claim_value(struct ps_buf *b, const struct ps_doc_claim *c) PS_WUR;

#endif
