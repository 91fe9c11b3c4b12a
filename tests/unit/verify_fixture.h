/* Shared by the verifier's unit tests, fuzz seed generator and bench: a platform made of
 * in-memory keys (root, issuers, holder), its signed trust list loaded into a psv_trust,
 * and helpers to unwrap / rewrap QR texts for tampering. */
#ifndef PS_TESTS_VERIFY_FIXTURE_H
#define PS_TESTS_VERIFY_FIXTURE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/buf.h"
#include "documents/ps1_encode.h"
#include "documents/soft_key.h"
#include "pocketstate/verify.h"

#define FIX_NOW 1800000000 /* 2027-01-15T08:00:00Z */

/* For the test programs (generators, bench): abort with the place when cond is false. */
#define NEED(cond)                                                                             \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                         \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

struct fixture {
    struct ps_doc_soft_key *root, *es, *ed, *holder, *other_holder;
    struct ps_doc_signer root_s, es_s, ed_s, holder_s, other_holder_s;
    struct ps_buf root_jwk, trust_json;
    psv_trust *trust;
};

/* Keys: es (ES256, kid "es-1", issuer "ua.mvs", types ua.id-card + ua.passport, documents +
 * status lists), ed (EdDSA, kid "ed-1", issuer "ua.hsc", type ua.driving-licence). */
void fixture_init(struct fixture *f);
void fixture_free(struct fixture *f);
/* One fixture for the whole process, made on first use (fuzz targets). */
struct fixture *fixture_shared(void);

/* The standard claims of a test document. */
extern const struct ps_doc_claim FIX_CLAIMS[4];
/* A header: iss ua.mvs, type ua.id-card, cti "doc-1", iat FIX_NOW - 86400, exp + 1 year. */
struct ps_doc_header fixture_header(void);

/* QR text -> raw CBOR (base45 + inflate); out is reset first. */
void fixture_unwrap(const char *qr, struct ps_buf *out);
/* raw -> "PS1:"/"HC1:" QR text into out (reset first). */
void fixture_wrap(const char *prefix, const void *raw, size_t n, struct ps_buf *out);

#endif
