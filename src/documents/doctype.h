/* Document types as data (doctypes/NAME.yaml; docs/formats/doctype.md, doctype.schema.json):
 * which agency issues a type, the registry records it is drawn from (one document per
 * record), its claims (name, type, where the value comes from, disclosed by default or not,
 * uk/en label), its validity, its layout, whether it shows a photo and whether it can be
 * suspended. A new type needs no C: the loader checks every name it refers to against the
 * registry sources (registries/records.h) and the fields documents compute themselves.
 *
 * The loader (libfyaml) refuses anything it does not know, with the place of the first
 * problem: "driving-licence.yaml:12:5: claims[3].from: unknown field ...". Every input is
 * bounded (PS_DOCTYPE_* below; aliases are refused). A loaded type is immutable and may be
 * shared by any number of threads. */
#ifndef PS_DOCUMENTS_DOCTYPE_H
#define PS_DOCUMENTS_DOCTYPE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct ps_record_source;

/* Limits of one file. */
#define PS_DOCTYPE_FILE_MAX (64u << 10)
#define PS_DOCTYPE_CLAIMS_MAX 64 /* = PS_DOC_MAX_CLAIMS */
#define PS_DOCTYPE_SECTIONS_MAX 16
#define PS_DOCTYPE_ID_MAX 64
#define PS_DOCTYPE_NAME_MAX 64  /* claim names */
#define PS_DOCTYPE_LABEL_MAX 256
#define PS_DOCTYPES_MAX 64      /* types in one set */

enum ps_claim_type { PS_CLAIM_TEXT, PS_CLAIM_DATE, PS_CLAIM_INT, PS_CLAIM_BOOL, PS_CLAIM_BYTES };

/* Where a claim's value comes from. */
enum ps_claim_origin {
    PS_FROM_PERSON,   /* a field of the holder's population record ("person.surname") */
    PS_FROM_RECORD,   /* a field of the type's source record ("record.plate") */
    PS_FROM_DERIVED,  /* computed by documents (enum ps_derived) */
    PS_FROM_DOCUMENT, /* the document's own (enum ps_doc_field) */
};

enum ps_derived {
    PS_DERIVED_FULL_NAME,       /* "Шевченко Тарас Григорович" */
    PS_DERIVED_FULL_NAME_LATIN, /* "Shevchenko Taras Hryhorovych" */
    PS_DERIVED_ADDRESS,         /* the registered address in one line */
    PS_DERIVED_OVER_18,         /* at the time the document is shown */
    PS_DERIVED_OVER_21,
    PS_DERIVED_AGE,
    PS_DERIVED_PHOTO,           /* SHA-256 of the holder's photo (photo.h) */
};

enum ps_doc_field { PS_DOCFIELD_ID, PS_DOCFIELD_ISSUED_ON, PS_DOCFIELD_EXPIRES_ON };

struct ps_label {
    const char *uk, *en;
};

struct ps_doctype_claim {
    const char *name;
    enum ps_claim_type type;
    enum ps_claim_origin from;
    int field;     /* index in the person / record source, or the ps_derived / ps_doc_field */
    bool disclose; /* shown when the holder does not choose */
    struct ps_label label;
};

struct ps_doctype_section {
    struct ps_label title;
    const size_t *claims; /* indices into claims, in order */
    size_t n;
};

enum ps_validity { PS_VALID_YEARS, PS_VALID_DAYS, PS_VALID_FIELD };

struct ps_doctype {
    const char *id;     /* "ua.driving-licence" */
    unsigned version;   /* a new version reissues every document of the type */
    struct ps_label name;
    const char *issuer; /* the agency's code, "hsc-mvs" */
    const struct ps_record_source *source;
    enum ps_validity validity;
    int validity_n;     /* years or days, or the record field holding the expiry date */
    bool suspension;    /* status lists of 2 bits (valid, revoked, suspended) */
    bool photo;
    const struct ps_doctype_claim *claims;
    size_t nclaims;
    const struct ps_doctype_section *sections;
    size_t nsections;
};

/* Parses one type from text (len bytes; file names it in errors, e.g. "id-card.yaml").
 * Everything *out points to is owned by arena. Errors: PS_ERR_INVALID with
 * "FILE:LINE:COLUMN: what" in diag (the first problem: syntax, an unknown or missing key, a
 * wrong type, a name that refers to nothing, a limit), PS_ERR_LIMIT for a file over
 * PS_DOCTYPE_FILE_MAX, PS_ERR_NOMEM. Thread-safe with distinct arenas. */
enum ps_err ps_doctype_parse(const char *file, const char *text, size_t len,
                             struct ps_arena *arena, struct ps_doctype *out,
                             struct ps_diag *diag) PS_WUR;

/* ---- a set of types ---- */

struct ps_doctypes;

/* The types built into the binary (doctypes/ at build time), then, when dir is non-NULL and
 * exists, every DIR/NAME.yaml (in name order): a type with the id of a built-in one replaces
 * it. Errors: those of ps_doctype_parse, PS_ERR_EXISTS (two files of dir with one id),
 * PS_ERR_LIMIT (more than PS_DOCTYPES_MAX), PS_ERR_IO. Free with ps_doctypes_free. */
enum ps_err ps_doctypes_load(const char *dir, struct ps_doctypes **out,
                             struct ps_diag *diag) PS_WUR;
/* An empty set, for tests and tools that add their own. */
enum ps_err ps_doctypes_new(struct ps_doctypes **out) PS_WUR;
/* Parses text and adds the type (replacing one with the same id). */
enum ps_err ps_doctypes_add(struct ps_doctypes *set, const char *file, const char *text,
                            size_t len, struct ps_diag *diag) PS_WUR;
void ps_doctypes_free(struct ps_doctypes *set);

size_t ps_doctypes_count(const struct ps_doctypes *set);
/* The i-th type (0 <= i < count), in id order. */
const struct ps_doctype *ps_doctypes_at(const struct ps_doctypes *set, size_t i);
/* The type with id, or NULL. */
const struct ps_doctype *ps_doctypes_find(const struct ps_doctypes *set, struct ps_str id);

/* The index of claim name in t, or -1. */
int ps_doctype_claim_index(const struct ps_doctype *t, struct ps_str name);
/* "text", "date", "int", "bool", "bytes". */
const char *ps_claim_type_name(enum ps_claim_type t);

#endif
