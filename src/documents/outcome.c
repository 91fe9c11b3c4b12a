/* What a service outcome does for the documents it promised (docs.h ps_docs_outcome_issue):
 * the holder's documents brought in step with the records the outcome just wrote, then the
 * promised type looked for among the documents in force, so a definition that promises a
 * document its writes do not support fails its transition instead of reporting an issue that
 * did not happen. With the registries' hook installed, the outcome's writes have already
 * synced every person whose records they changed, in this transaction: a promised document
 * found in force (and not expired) then needs no second sync, which on SQLite's one committer
 * would cost the FOP path half its throughput (bench/engine.sh); not found, the sync runs (a
 * holder never synced, an expired document to reissue) and the type is looked for again. */
#include <string.h>

#include "core/clock.h"
#include "documents/docs.h"
#include "documents/docs_int.h"
#include "registries/rnokpp.h"
#include "store/store.h"

static const struct ps_sql newest_in_force = {
    "documents.newest_in_force",
    "SELECT id FROM documents WHERE holder = $1 AND type = $2 "
    "AND status IN ('valid', 'suspended') AND expires_at_ms > $3 "
    "ORDER BY issued_at_ms DESC, id DESC LIMIT 1",
};

/* The newest document of type in force for holder into id_out ("" when none). */
static enum ps_err find(struct ps_tx *tx, struct ps_str holder, struct ps_str type,
                        char id_out[37], struct ps_diag *diag)
{
    struct ps_query q;
    id_out[0] = '\0';
    ps_query_start(&q, tx, &newest_in_force);
    ps_query_text(&q, holder);
    ps_query_text(&q, type);
    ps_query_i64(&q, ps_clock_now_ms());
    if (ps_query_row(&q) && ps_str_copy(id_out, 37, ps_stmt_text(q.st, 0)) != PS_OK)
        q.err = PS_ERR_INTERNAL;
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK
                      : ps_diag_set(diag, e, "reading documents: %s", ps_tx_errmsg(tx));
}

enum ps_err ps_docs_outcome_issue(struct ps_tx *tx, const struct ps_actor *actor,
                                  const char *doctype, struct ps_str holder, struct ps_str reason,
                                  void *ctx, char id_out[37], struct ps_diag *diag)
{
    const struct ps_docs *d = ctx;
    PS_ASSERT(d != NULL && doctype != NULL); /* installed with the service as its context */
    struct ps_str type = ps_str_from_cstr(doctype);
    struct ps_diag bad;
    id_out[0] = '\0';
    if (!ps_doctypes_find(ps_docs_types(d), type))
        return ps_diag_set(diag, PS_ERR_INTERNAL,
                           "the service promised a document of type %s, which is not a "
                           "configured document type",
                           doctype);
    if (ps_rnokpp_validate(holder, NULL, &bad) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INTERNAL,
                           "the service promised a %s to \"%.*s\", which is not an RNOKPP: %s",
                           doctype, PS_STR_FMT(holder), bad.message);
    enum ps_err e = d->hook ? find(tx, holder, type, id_out, diag) : PS_OK;
    if (e != PS_OK || id_out[0])
        return e;
    e = ps_docs_sync(tx, d, actor, holder, reason, false, NULL, diag);
    if (e == PS_OK)
        e = find(tx, holder, type, id_out, diag);
    if (e == PS_OK && !id_out[0])
        return ps_diag_set(diag, PS_ERR_INTERNAL,
                           "the service promised a %s to %.*s, but their records support none "
                           "(no record in force of the type's source \"%s\")",
                           doctype, PS_STR_FMT(holder),
                           ps_doctypes_find(ps_docs_types(d), type)->source->name);
    return e;
}
