/* Registry records as documents see them: named sources ("person", "driving-licence",
 * "vehicle", ...), each a fixed list of named fields read as text, and the records of one
 * person in a source. A document type (doctypes/NAME.yaml) names a source and fields from it,
 * so a new type over existing registries needs no C. Only records in force are returned
 * (a living person, an active licence, a registered vehicle, an active marriage ...).
 *
 * And the change hook: every registry write that changes what a person's records say calls
 * ps_records_changed in its transaction, which calls the hook a higher layer installed (the
 * documents module reissues the documents drawn from them), so that the change, its log entry
 * and the documents' reissue commit together (ARCHITECTURE.md rule 4) without this module
 * depending on documents. */
#ifndef PS_REGISTRIES_RECORDS_H
#define PS_REGISTRIES_RECORDS_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

#define PS_RECORD_MAX_FIELDS 24
/* Most records of one source one person has (vehicles are the many). */
#define PS_RECORDS_MAX 16

struct ps_record_source {
    const char *name;          /* "vehicle" */
    const char *const *fields; /* field names ("plate", "vin", ...), NULL-terminated */
    size_t nfields;
};

/* One record: its id (what a document names as record_id: the RNOKPP for "person", the row's
 * UUID elsewhere) and its fields' values in the source's order, as text (dates
 * "YYYY-MM-DD", integers in decimal, "" for an absent value). Strings in the reader's arena. */
struct ps_record {
    struct ps_str id;
    struct ps_str v[PS_RECORD_MAX_FIELDS];
};

/* Every source (static), *n their number. */
const struct ps_record_source *ps_record_sources(size_t *n);
/* The source named name, or NULL. */
const struct ps_record_source *ps_record_source(struct ps_str name);
/* The index of field name in src, or -1. */
int ps_record_field(const struct ps_record_source *src, struct ps_str name);

/* The records in force of the person rnokpp in src, at most cap (PS_ERR_LIMIT beyond), into
 * out (strings owned by arena), *n their number, in a stable order (by id). These are reads of
 * the person's data for a document of that person: whoever shows the document to someone
 * else records that access (documents do, with the act that shows it). Errors: store errors,
 * PS_ERR_NOMEM, PS_ERR_LIMIT. */
enum ps_err ps_records_of(struct ps_tx *tx, const struct ps_record_source *src,
                          struct ps_str rnokpp, struct ps_arena *arena, struct ps_record *out,
                          size_t cap, size_t *n, struct ps_diag *diag) PS_WUR;

/* ---- the change hook ---- */

/* Called in the transaction of a registry write, after its own change entry: rnokpp is a
 * person whose records changed, reason the write's. An error rolls the write back. */
typedef enum ps_err (*ps_records_hook)(struct ps_tx *tx, const struct ps_actor *actor,
                                       struct ps_str rnokpp, struct ps_str reason, void *ctx,
                                       struct ps_diag *diag);

/* Installs the hook (NULL: none). Process-wide: set it once before the store's threads run
 * writes (serve does, at start) and clear it after they stop; not synchronised. */
void ps_records_set_hook(ps_records_hook fn, void *ctx);

/* What every registry write calls for each person whose records it changed: runs the hook if
 * one is installed, else does nothing. */
enum ps_err ps_records_changed(struct ps_tx *tx, const struct ps_actor *actor,
                               struct ps_str rnokpp, struct ps_str reason,
                               struct ps_diag *diag) PS_WUR;

#endif
