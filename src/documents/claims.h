/* A document's claims, computed from the registry records it is drawn from whenever it is
 * shown (the registries are the one copy of the truth), and the content hash that ties a
 * document row to the values it was issued with. Pure: the caller reads the records. */
#ifndef PS_DOCUMENTS_CLAIMS_H
#define PS_DOCUMENTS_CLAIMS_H

#include <stdint.h>

#include "core/arena.h"
#include "documents/doctype.h"
#include "documents/ps1_encode.h"
#include "registries/records.h"

/* What a document says about itself (the document.* fields of a type). */
struct ps_doc_meta {
    const char *id; /* UUID text */
    int64_t issued_at_ms, expires_at_ms;
};

/* The values of t's claims in mask (bit i: claim i; the others get their name and type only),
 * in t's order, into out (t->nclaims entries; strings owned by arena), for the holder's
 * population record person, the type's source record (the same as person for source
 * "person"), the document meta and the time now_ms (for age claims).
 * Errors: PS_ERR_INVALID when a registry value does not fit the declared type (a date that
 * is not YYYY-MM-DD, an int that is not a number: diag names the claim), PS_ERR_NOMEM. */
enum ps_err ps_doc_claims_build(const struct ps_doctype *t, const struct ps_record *person,
                                const struct ps_record *record, const struct ps_doc_meta *meta,
                                uint64_t mask, int64_t now_ms, struct ps_arena *arena,
                                struct ps_doc_claim *out, struct ps_diag *diag) PS_WUR;

/* SHA-256 over the type's id and version and the values of its claims that come from the
 * registries (person., record. and the derived names and address; not the time-dependent
 * ages, the photo, which follows the RNOKPP, nor the document's own fields): equal hashes mean
 * the document still says what its records say. */
enum ps_err ps_doc_content_hash(const struct ps_doctype *t, const struct ps_record *person,
                                const struct ps_record *record, uint8_t out[32]) PS_WUR;

/* The document's expiry for one issued at now_ms: years or days later, or the end of the day
 * the record's field names (UTC). PS_ERR_INVALID when the field is not a date. */
enum ps_err ps_doc_expiry(const struct ps_doctype *t, const struct ps_record *record,
                          int64_t now_ms, int64_t *exp_ms, struct ps_diag *diag) PS_WUR;

/* "YYYY-MM-DD" (UTC) of ms into out. */
void ps_doc_date_of(int64_t ms, char out[11]);

#endif
