/* Fuzz target: the document-type loader (ps_doctype_parse, src/documents/doctype.h) on
 * arbitrary bytes. A type it accepts keeps every promise of doctype.h: 1-64 claims with
 * unique names, each referring to a field that exists, sections laying out only existing
 * claims, each at most once; a refusal has a located message ("file:line:column: ...") and
 * one of the documented codes. */
#include <string.h>

#include "documents/doctype.h"
#include "fuzz.h"
#include "registries/records.h"

static void check_type(const struct ps_doctype *t)
{
    bool seen[PS_DOCTYPE_CLAIMS_MAX] = {false};
    FUZZ_CHECK(t->id && t->issuer && t->source && t->name.uk && t->name.en);
    FUZZ_CHECK(t->nclaims >= 1 && t->nclaims <= PS_DOCTYPE_CLAIMS_MAX);
    FUZZ_CHECK(t->version >= 1);
    for (size_t i = 0; i < t->nclaims; i++) {
        const struct ps_doctype_claim *c = &t->claims[i];
        FUZZ_CHECK(c->name && strlen(c->name) >= 1 && strlen(c->name) <= PS_DOCTYPE_NAME_MAX);
        FUZZ_CHECK(c->label.uk && c->label.en);
        if (c->from == PS_FROM_RECORD)
            FUZZ_CHECK(c->field >= 0 && (size_t)c->field < t->source->nfields);
        for (size_t j = 0; j < i; j++)
            FUZZ_CHECK(strcmp(t->claims[j].name, c->name) != 0);
    }
    FUZZ_CHECK(t->nsections >= 1 && t->nsections <= PS_DOCTYPE_SECTIONS_MAX);
    for (size_t s = 0; s < t->nsections; s++) {
        for (size_t k = 0; k < t->sections[s].n; k++) {
            size_t c = t->sections[s].claims[k];
            FUZZ_CHECK(c < t->nclaims);
            FUZZ_CHECK(!seen[c] || t->nsections == 1);
            seen[c] = true;
        }
    }
    if (t->validity == PS_VALID_FIELD)
        FUZZ_CHECK(t->validity_n >= 0 && (size_t)t->validity_n < t->source->nfields);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(8u << 20);
    struct ps_doctype t;
    struct ps_diag d = {0};
    if (!a)
        return 0;
    enum ps_err e = ps_doctype_parse("f.yaml", (const char *)data, size, a, &t, &d);
    if (e == PS_OK)
        check_type(&t);
    else
        FUZZ_CHECK((e == PS_ERR_INVALID || e == PS_ERR_LIMIT || e == PS_ERR_NOMEM) &&
                   strncmp(d.message, "f.yaml", 6) == 0);
    ps_arena_free(a);
    return 0;
}
