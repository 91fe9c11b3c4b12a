/* Documents in the store: issuance and reissue from registry records (sync), reading them
 * with their claims, the holder's device key, and officials' status changes. Each change
 * flips its status list's revision and records its change entry in the same transaction. */
#include "documents/docs.h"

#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "documents/claims.h"
#include "documents/docs_int.h"
#include "policy/actor.h"
#include "registries/records.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"

#define DOC_COLUMNS                                                                         \
    "id, type, type_version, holder, record_id, issuer, status_list, status_idx, status, "    \
    "issued_at_ms, expires_at_ms, changed_at_ms, change_reason, superseded_by, holder_key, "  \
    "content_hash"

static const struct ps_sql in_force = {
    "documents.in_force",
    "SELECT " DOC_COLUMNS " FROM documents WHERE holder = $1 AND status IN ('valid', "
    "'suspended') ORDER BY issued_at_ms DESC, id DESC",
};
/* Documents the issuer revoked (newest first): not reissued while their record is unchanged. */
static const struct ps_sql withdrawn = {
    "documents.withdrawn",
    "SELECT " DOC_COLUMNS " FROM documents WHERE holder = $1 AND revocation = 'issuer' "
    "ORDER BY issued_at_ms DESC, id DESC LIMIT 32",
};
static const struct ps_sql by_id = {
    "documents.by_id", "SELECT " DOC_COLUMNS " FROM documents WHERE id = $1",
};
static const struct ps_sql insert_doc = {
    "documents.insert",
    "INSERT INTO documents (id, type, type_version, holder, record_id, issuer, content_hash, "
    "status_list, status_idx, status, issued_at_ms, expires_at_ms, changed_at_ms, "
    "change_reason, superseded_by, holder_key) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, NULL, $15)",
};
static const struct ps_sql supersede = {
    "documents.supersede",
    "UPDATE documents SET status = 'revoked', changed_at_ms = $2, change_reason = $3, "
    "superseded_by = $4, revocation = $5 WHERE id = $1 AND status IN ('valid', 'suspended')",
};
static const struct ps_sql set_status = {
    "documents.set_status",
    "UPDATE documents SET status = $2, changed_at_ms = $3, change_reason = $4, "
    "revocation = $6 WHERE id = $1 AND status = $5",
};
static const struct ps_sql set_holder_key = {
    "documents.holder_key",
    "UPDATE documents SET holder_key = $2 WHERE id = $1 AND holder = $3 "
    "AND status IN ('valid', 'suspended')",
};
static const struct ps_sql person_exists = {
    "documents.person_exists", "SELECT 1 FROM persons WHERE rnokpp = $1",
};

static const char *const status_names[] = {"valid", "suspended", "revoked"};

const char *ps_doc_status_name(enum ps_doc_status s)
{
    return (unsigned)s < 3 ? status_names[s] : "";
}

static bool status_parse(struct ps_str s, enum ps_doc_status *out)
{
    for (int i = 0; i < 3; i++) {
        if (ps_str_eq_cstr(s, status_names[i])) {
            *out = (enum ps_doc_status)i;
            return true;
        }
    }
    return false;
}

enum ps_err ps_docs_id(struct ps_str id, char out[37], struct ps_diag *diag)
{
    struct ps_uuid u;
    if (!ps_uuid_parse(id, &u))
        return ps_diag_set(diag, PS_ERR_INVALID, "a document id is a UUID");
    ps_uuid_fmt(&u, out);
    return PS_OK;
}

/* ---- rows ---- */

enum ps_err ps_docs_read_row(const struct ps_docs *d, struct ps_stmt *st, struct ps_arena *a,
                             struct ps_document *o)
{
    memset(o, 0, sizeof *o);
    struct ps_str *text[] = {&o->type_id, &o->holder, &o->record_id, &o->issuer,
                             &o->change_reason, &o->superseded_by};
    static const int cols[] = {1, 3, 4, 5, 12, 13};
    if (ps_str_copy(o->id, sizeof o->id, ps_stmt_text(st, 0)) != PS_OK)
        return PS_ERR_STORE;
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++) {
        *text[i] = ps_arena_str(a, ps_stmt_text(st, cols[i]));
        if (!text[i]->p)
            return PS_ERR_NOMEM;
    }
    o->type = ps_doctypes_find(d->types, o->type_id);
    o->type_version = (unsigned)ps_stmt_i64(st, 2);
    o->status_list = ps_stmt_i64(st, 6);
    o->status_idx = ps_stmt_i64(st, 7);
    if (!status_parse(ps_stmt_text(st, 8), &o->status))
        return PS_ERR_STORE;
    o->issued_at_ms = ps_stmt_i64(st, 9);
    o->expires_at_ms = ps_stmt_i64(st, 10);
    o->changed_at_ms = ps_stmt_is_null(st, 11) ? 0 : ps_stmt_i64(st, 11);
    struct ps_str key = ps_stmt_blob(st, 14);
    o->has_holder_key = key.len == 64;
    if (o->has_holder_key)
        memcpy(o->holder_key, key.p, 64);
    return PS_OK;
}

enum ps_err ps_docs_find(struct ps_tx *tx, const struct ps_docs *d, struct ps_str id,
                         struct ps_arena *arena, struct ps_document *out, struct ps_diag *diag)
{
    char canon[37];
    enum ps_err e = ps_docs_id(id, canon, diag);
    if (e != PS_OK)
        return e;
    struct ps_query q;
    bool found = false;
    ps_query_start(&q, tx, &by_id);
    ps_query_text(&q, ps_str_from_cstr(canon));
    if (ps_query_row(&q)) {
        found = true;
        q.err = ps_docs_read_row(d, q.st, arena, out);
    }
    e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading a document: %s", ps_tx_errmsg(tx));
    return found ? PS_OK : ps_diag_set(diag, PS_ERR_NOTFOUND, "no document %s", canon);
}

/* The content hash column, read apart (only sync needs it). */
static void row_hash(struct ps_stmt *st, uint8_t out[32])
{
    struct ps_str h = ps_stmt_blob(st, 15);
    memset(out, 0, 32);
    if (h.len == 32)
        memcpy(out, h.p, 32);
}

/* ---- records ---- */

static const struct ps_record_source *person_source(void)
{
    return ps_record_source(PS_STR("person"));
}

/* The person's record in force (found false when dead or unknown). */
static enum ps_err person_of(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *a,
                             struct ps_record *out, bool *found, struct ps_diag *diag)
{
    size_t n = 0;
    enum ps_err e = ps_records_of(tx, person_source(), rnokpp, a, out, 1, &n, diag);
    *found = e == PS_OK && n == 1;
    return e;
}

enum ps_err ps_docs_source_of(struct ps_tx *tx, const struct ps_docs *d,
                              const struct ps_document *doc, struct ps_arena *arena,
                              struct ps_doc_source *src, struct ps_diag *diag)
{
    const struct ps_doctype *t = doc->type;
    struct ps_record recs[PS_RECORDS_MAX];
    const struct ps_record *rec = NULL;
    bool found = false;
    size_t n = 0;
    (void)d;
    src->doc = *doc;
    if (!t)
        return ps_diag_set(diag, PS_ERR_INVALID, "document type %.*s is no longer issued",
                           PS_STR_FMT(doc->type_id));
    enum ps_err e = person_of(tx, doc->holder, arena, &src->person, &found, diag);
    if (e == PS_OK && found && t->source == person_source())
        rec = &src->person;
    else if (e == PS_OK && found)
        e = ps_records_of(tx, t->source, doc->holder, arena, recs, PS_RECORDS_MAX, &n, diag);
    for (size_t i = 0; e == PS_OK && i < n && !rec; i++) {
        if (ps_str_eq(recs[i].id, doc->record_id))
            rec = &recs[i];
    }
    if (e != PS_OK)
        return e;
    if (!rec)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "the records of document %s are no longer in force", doc->id);
    src->record = *rec;
    return PS_OK;
}

enum ps_err ps_docs_view_build(const struct ps_docs *d, const struct ps_doc_source *src,
                               uint64_t mask, int64_t now_ms, struct ps_arena *arena,
                               struct ps_doc_view *out, struct ps_diag *diag)
{
    const struct ps_doctype *t = src->doc.type;
    struct ps_doc_meta meta = {src->doc.id, src->doc.issued_at_ms, src->doc.expires_at_ms};
    (void)d;
    out->doc = src->doc;
    out->n = 0;
    if (!t)
        return ps_diag_set(diag, PS_ERR_INVALID, "document type %.*s is no longer issued",
                           PS_STR_FMT(src->doc.type_id));
    enum ps_err e = ps_doc_claims_build(t, &src->person, &src->record, &meta, mask, now_ms,
                                        arena, out->claims, diag);
    if (e == PS_OK)
        out->n = t->nclaims;
    return e;
}

enum ps_err ps_docs_view_of(struct ps_tx *tx, const struct ps_docs *d,
                            const struct ps_document *doc, int64_t now_ms,
                            struct ps_arena *arena, struct ps_doc_view *out,
                            struct ps_diag *diag)
{
    struct ps_doc_source src;
    enum ps_err e = ps_docs_source_of(tx, d, doc, arena, &src, diag);
    if (e == PS_OK)
        e = ps_docs_view_build(d, &src, ~(uint64_t)0, now_ms, arena, out, diag);
    return e;
}

/* ---- sync ---- */

struct have {
    struct ps_document doc;
    uint8_t hash[32];
    bool seen;
    bool withdrawn; /* revoked by its issuer: blocks a new document for unchanged records */
};

struct sync {
    struct ps_tx *tx;
    const struct ps_docs *d;
    const struct ps_actor *actor;
    struct ps_str rnokpp, reason;
    bool dry;
    size_t changes;
    int64_t now;
    struct ps_arena *arena;
    struct have have[2 * PS_DOCS_PER_PERSON_MAX];
    size_t nhave;
    struct ps_record person;
    bool alive;
    struct ps_diag *diag;
};

/* The holder's documents in force, then the ones their issuer withdrew. */
static enum ps_err load_have(struct sync *s, const struct ps_sql *sql, bool withdrawn_)
{
    struct ps_query q;
    size_t cap = s->nhave + PS_DOCS_PER_PERSON_MAX;
    ps_query_start(&q, s->tx, sql);
    ps_query_text(&q, s->rnokpp);
    while (ps_query_row(&q)) {
        if (s->nhave == cap) {
            q.err = PS_ERR_LIMIT;
            break;
        }
        struct have *h = &s->have[s->nhave++];
        h->seen = false;
        h->withdrawn = withdrawn_;
        row_hash(q.st, h->hash);
        q.err = ps_docs_read_row(s->d, q.st, s->arena, &h->doc);
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(s->diag, e, "reading documents: %s", ps_tx_errmsg(s->tx));
    return e;
}

static enum ps_err load_in_force(struct sync *s)
{
    enum ps_err e = load_have(s, &in_force, false);
    return e == PS_OK ? load_have(s, &withdrawn, true) : e;
}

static enum ps_err log_change(struct ps_tx *tx, const struct ps_actor *actor, const char *action,
                              struct ps_str holder, const char *id, const char *extra,
                              struct ps_str reason, struct ps_diag *diag)
{
    char res[PS_ACCESS_RESOURCE_MAX + 1];
    int n = snprintf(res, sizeof res, "documents/%s%s", id, extra);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof res ? (size_t)n : sizeof res - 1;
    if (reason.len > PS_ACCESS_PURPOSE_MAX)
        reason.len = PS_ACCESS_PURPOSE_MAX; /* a registry act's reason may be longer */
    return ps_tlog_record_change(tx, actor, action, holder, (struct ps_str){res, len}, reason,
                                 diag);
}

/* Issues document id (a fresh UUID) for rec. */
static enum ps_err issue(struct sync *s, const struct ps_doctype *t, const struct ps_record *rec,
                         const uint8_t hash[32], int64_t exp, enum ps_doc_status status,
                         const char id[37])
{
    int64_t list = 0, idx = 0;
    enum ps_err e = ps_docs_slot(s->tx, t->issuer, t->suspension ? 2 : 1, &list, &idx, s->diag);
    if (e != PS_OK)
        return e;
    struct ps_query q;
    ps_query_start(&q, s->tx, &insert_doc);
    ps_query_text(&q, ps_str_from_cstr(id));
    ps_query_text(&q, ps_str_from_cstr(t->id));
    ps_query_i64(&q, t->version);
    ps_query_text(&q, s->rnokpp);
    ps_query_text(&q, rec->id);
    ps_query_text(&q, ps_str_from_cstr(t->issuer));
    ps_query_blob(&q, hash, 32);
    ps_query_i64(&q, list);
    ps_query_i64(&q, idx);
    ps_query_text(&q, ps_str_from_cstr(ps_doc_status_name(status)));
    ps_query_i64(&q, s->now);
    ps_query_i64(&q, exp);
    if (status == PS_DOC_VALID) {
        ps_query_null(&q);
        ps_query_null(&q);
    } else { /* a reissue keeps a suspension */
        ps_query_i64(&q, s->now);
        ps_query_text(&q, PS_STR("suspension carried over on reissue"));
    }
    ps_query_null(&q);
    e = ps_query_exec(&q);
    if (e == PS_ERR_EXISTS) /* a concurrent sync issued it: run again and see it */
        e = PS_ERR_CONFLICT;
    if (e != PS_OK)
        return ps_diag_set(s->diag, e, "issuing a document: %s", ps_tx_errmsg(s->tx));
    char extra[96];
    snprintf(extra, sizeof extra, "?type=%s", t->id);
    return log_change(s->tx, s->actor, "document.issue", s->rnokpp, id, extra, s->reason,
                      s->diag);
}

static enum ps_err revoke(struct sync *s, const struct have *h, const char *by, const char *why)
{
    char reason[PS_ACCESS_PURPOSE_MAX + 1];
    int n = snprintf(reason, sizeof reason, "%s: %.*s", why, PS_STR_FMT(s->reason));
    size_t len = n < 0 ? 0 : (size_t)n < sizeof reason ? (size_t)n : sizeof reason - 1;
    struct ps_query q;
    ps_query_start(&q, s->tx, &supersede);
    ps_query_text(&q, ps_str_from_cstr(h->doc.id));
    ps_query_i64(&q, s->now);
    ps_query_text(&q, (struct ps_str){reason, len});
    ps_query_text_or_null(&q, by ? ps_str_from_cstr(by) : PS_STR_NULL);
    ps_query_text(&q, by ? PS_STR("reissued") : PS_STR("ended"));
    enum ps_err e = ps_query_exec(&q);
    if (e == PS_OK && q.changes != 1)
        e = PS_ERR_CONFLICT; /* changed under us: run again */
    if (e != PS_OK)
        return ps_diag_set(s->diag, e, "revoking a document: %s", ps_tx_errmsg(s->tx));
    e = ps_docs_slot_changed(s->tx, h->doc.status_list, s->diag);
    if (e == PS_OK)
        e = log_change(s->tx, s->actor, "document.revoke", s->rnokpp, h->doc.id, "",
                       (struct ps_str){reason, len}, s->diag);
    return e;
}

static struct have *have_of(struct sync *s, const struct ps_doctype *t, struct ps_str record,
                            bool withdrawn_)
{
    for (size_t i = 0; i < s->nhave; i++) {
        struct have *h = &s->have[i];
        if (!h->seen && h->withdrawn == withdrawn_ && h->doc.type == t &&
            ps_str_eq(h->doc.record_id, record))
            return h;
    }
    return NULL;
}

/* One record of type t: keep its document, issue one, or reissue. */
static enum ps_err sync_record(struct sync *s, const struct ps_doctype *t,
                               const struct ps_record *rec)
{
    uint8_t hash[32];
    int64_t exp = 0;
    struct have *h = have_of(s, t, rec->id, false);
    enum ps_err e = ps_doc_content_hash(t, &s->person, rec, hash);
    if (e != PS_OK)
        return ps_diag_set(s->diag, e, "%s: hashing claims", t->id);
    if (h) {
        h->seen = true;
        if (h->doc.type_version == t->version && memcmp(h->hash, hash, 32) == 0 &&
            h->doc.expires_at_ms > s->now)
            return PS_OK;
    } else {
        /* the issuer revoked the document of this record as it is: no new one until it
         * changes (a new licence, a corrected name) */
        struct have *w = have_of(s, t, rec->id, true);
        if (w && w->doc.type_version == t->version && memcmp(w->hash, hash, 32) == 0)
            return PS_OK;
    }
    e = ps_doc_expiry(t, rec, s->now, &exp, s->diag);
    if (e != PS_OK || exp <= s->now)
        return e; /* the record itself has expired: nothing new to issue */
    s->changes += h ? 2 : 1;
    if (s->dry)
        return PS_OK;
    char id[37];
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id);
    if (h) /* first: one document in force per record at any moment */
        e = revoke(s, h, id, "reissued");
    if (e == PS_OK)
        e = issue(s, t, rec, hash, exp, h ? h->doc.status : PS_DOC_VALID, id);
    return e;
}

static enum ps_err sync_type(struct sync *s, const struct ps_doctype *t)
{
    struct ps_record recs[PS_RECORDS_MAX];
    size_t n = 0;
    enum ps_err e = PS_OK;
    if (!s->alive)
        return PS_OK;
    if (t->source == person_source())
        return sync_record(s, t, &s->person);
    e = ps_records_of(s->tx, t->source, s->rnokpp, s->arena, recs, PS_RECORDS_MAX, &n, s->diag);
    for (size_t i = 0; e == PS_OK && i < n; i++)
        e = sync_record(s, t, &recs[i]);
    return e;
}

enum ps_err ps_docs_sync(struct ps_tx *tx, const struct ps_docs *d, const struct ps_actor *actor,
                         struct ps_str rnokpp, struct ps_str reason, bool dry_run,
                         size_t *changes, struct ps_diag *diag)
{
    struct sync *s = ps_calloc(1, sizeof *s);
    struct ps_arena *a = ps_arena_new(2u << 20);
    enum ps_err e = s && a ? PS_OK : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    if (e == PS_OK) {
        *s = (struct sync){.tx = tx, .d = d, .actor = actor, .rnokpp = rnokpp,
                           .reason = reason, .dry = dry_run, .now = ps_clock_now_ms(),
                           .arena = a, .diag = diag};
        e = load_in_force(s);
    }
    if (e == PS_OK)
        e = person_of(tx, rnokpp, a, &s->person, &s->alive, diag);
    for (size_t i = 0; e == PS_OK && i < ps_doctypes_count(d->types); i++)
        e = sync_type(s, ps_doctypes_at(d->types, i));
    for (size_t i = 0; e == PS_OK && s && i < s->nhave; i++) {
        if (s->have[i].seen || s->have[i].withdrawn)
            continue;
        s->changes++;
        if (!dry_run)
            e = revoke(s, &s->have[i], NULL, "its record is no longer in force");
    }
    if (changes)
        *changes = e == PS_OK ? s->changes : 0;
    ps_arena_free(a);
    ps_free(s);
    return e;
}

enum ps_err ps_docs_hook(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                         struct ps_str reason, void *ctx, struct ps_diag *diag)
{
    return ps_docs_sync(tx, ctx, actor, rnokpp, reason, false, NULL, diag);
}

/* ---- reading ---- */

static enum ps_err exists(struct ps_tx *tx, struct ps_str rnokpp, bool *found,
                          struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &person_exists);
    ps_query_text(&q, rnokpp);
    *found = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : ps_diag_set(diag, e, "reading persons: %s", ps_tx_errmsg(tx));
}

static enum ps_err record_list_read(struct ps_tx *tx, const struct ps_actor *actor,
                                    struct ps_str rnokpp, struct ps_str purpose,
                                    struct ps_diag *diag)
{
    char res[64];
    int n = snprintf(res, sizeof res, "persons/%.*s/documents", PS_STR_FMT(rnokpp));
    PS_ASSERT(n > 0 && (size_t)n < sizeof res);
    return ps_access_record(tx, actor, "document.list", rnokpp, (struct ps_str){res, (size_t)n},
                            purpose, diag);
}

enum ps_err ps_docs_list(struct ps_tx *tx, const struct ps_docs *d, const struct ps_actor *actor,
                         struct ps_str rnokpp, struct ps_str purpose, struct ps_arena *arena,
                         struct ps_doc_view *out, size_t cap, size_t *n, struct ps_diag *diag)
{
    *n = 0;
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "listing documents needs an actor");
    enum ps_err e = ps_rnokpp_validate(rnokpp, NULL, diag);
    bool self = ps_actor_is_subject(actor, rnokpp), found = false;
    purpose = ps_access_purpose(actor, purpose);
    if (e == PS_OK && !self && purpose.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a purpose is required to read another person's documents");
    if (e == PS_OK)
        e = exists(tx, rnokpp, &found, diag);
    if (e == PS_OK && !found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no person with RNOKPP %.*s",
                           PS_STR_FMT(rnokpp));
    if (e == PS_OK && !self)
        e = record_list_read(tx, actor, rnokpp, purpose, diag);
    struct ps_query q;
    struct ps_document docs[PS_DOCS_PER_PERSON_MAX];
    size_t k = 0;
    if (e != PS_OK)
        return e;
    ps_query_start(&q, tx, &in_force);
    ps_query_text(&q, rnokpp);
    while (ps_query_row(&q) && k < PS_DOCS_PER_PERSON_MAX && k < cap)
        q.err = ps_docs_read_row(d, q.st, arena, &docs[k++]);
    e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading documents: %s", ps_tx_errmsg(tx));
    int64_t now = ps_clock_now_ms();
    for (size_t i = 0; i < k && e == PS_OK; i++) {
        struct ps_diag skip = {0};
        /* a document whose type or records went away is left out, not an error */
        if (ps_docs_view_of(tx, d, &docs[i], now, arena, &out[*n], &skip) == PS_OK)
            (*n)++;
        else if (skip.code != PS_ERR_INVALID)
            e = ps_diag_set(diag, skip.code, "%s", skip.message);
    }
    return e;
}

/* The actor's own document (anything else is "not found"). */
static enum ps_err own(struct ps_tx *tx, const struct ps_docs *d, const struct ps_actor *actor,
                       struct ps_str id, struct ps_arena *arena, struct ps_document *doc,
                       struct ps_diag *diag)
{
    enum ps_err e = ps_docs_find(tx, d, id, arena, doc, diag);
    if (e != PS_OK)
        return e;
    if (!actor || actor->kind != PS_ACTOR_CITIZEN || !ps_str_eq(actor->id, doc->holder))
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no document %s", doc->id);
    return PS_OK;
}

enum ps_err ps_docs_get(struct ps_tx *tx, const struct ps_docs *d, const struct ps_actor *actor,
                        struct ps_str id, struct ps_arena *arena, struct ps_doc_view *out,
                        struct ps_diag *diag)
{
    struct ps_document doc;
    enum ps_err e = own(tx, d, actor, id, arena, &doc, diag);
    if (e == PS_OK)
        e = ps_docs_view_of(tx, d, &doc, ps_clock_now_ms(), arena, out, diag);
    return e;
}

enum ps_err ps_docs_public(struct ps_tx *tx, const struct ps_docs *d, struct ps_str id,
                           struct ps_arena *arena, struct ps_document *out,
                           struct ps_diag *diag)
{
    enum ps_err e = ps_docs_find(tx, d, id, arena, out, diag);
    if (e == PS_OK) {
        out->holder = out->record_id = out->change_reason = PS_STR("");
        out->has_holder_key = false;
    }
    return e;
}

/* ---- the holder's key ---- */

/* x, y is a point of P-256 (OpenSSL checks it when it builds the key). */
static bool p256_point(const uint8_t x[32], const uint8_t y[32])
{
    uint8_t pub[65] = {4};
    memcpy(pub + 1, x, 32);
    memcpy(pub + 33, y, 32);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"P-256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof pub),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pkey = NULL;
    bool ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
              EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1;
    EVP_PKEY_CTX *check = ok ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
    ok = ok && check && EVP_PKEY_public_check(check) == 1;
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    return ok;
}

enum ps_err ps_docs_holder_key(struct ps_tx *tx, const struct ps_docs *d,
                               const struct ps_actor *actor, struct ps_str id,
                               const uint8_t x[32], const uint8_t y[32], struct ps_diag *diag)
{
    if (!p256_point(x, y))
        return ps_diag_set(diag, PS_ERR_INVALID, "the device key is not a P-256 public key");
    char canon[37];
    enum ps_err e = ps_docs_id(id, canon, diag);
    if (e != PS_OK)
        return e;
    if (!actor || actor->kind != PS_ACTOR_CITIZEN)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no document %s", canon);
    uint8_t key[64];
    memcpy(key, x, 32);
    memcpy(key + 32, y, 32);
    struct ps_query q;
    ps_query_start(&q, tx, &set_holder_key);
    ps_query_text(&q, ps_str_from_cstr(canon));
    ps_query_blob(&q, key, sizeof key);
    ps_query_text(&q, actor->id);
    e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "binding a device key: %s", ps_tx_errmsg(tx));
    if (q.changes != 1)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no document %s in force", canon);
    return log_change(tx, actor, "document.holder-key", actor->id, canon, "",
                      PS_STR("device key registered"), diag);
}

/* ---- officials ---- */

static bool allowed(const struct ps_doctype *t, enum ps_doc_status from, enum ps_doc_status to)
{
    switch (to) {
    case PS_DOC_REVOKED: return from != PS_DOC_REVOKED;
    case PS_DOC_SUSPENDED: return from == PS_DOC_VALID && t && t->suspension;
    case PS_DOC_VALID: return from == PS_DOC_SUSPENDED;
    }
    return false;
}

enum ps_err ps_docs_set_status(struct ps_tx *tx, const struct ps_docs *d,
                               const struct ps_actor *actor, struct ps_str agency,
                               struct ps_str id, enum ps_doc_status to, struct ps_str reason,
                               struct ps_diag *diag)
{
    if (!reason.p || reason.len == 0 || reason.len > PS_DOC_REASON_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "a reason of 1 to %d bytes is required",
                           PS_DOC_REASON_MAX);
    struct ps_document doc;
    struct ps_arena *a = ps_arena_new(64u << 10);
    enum ps_err e = a ? ps_docs_find(tx, d, id, a, &doc, diag) : PS_ERR_NOMEM;
    if (e == PS_OK && !ps_str_eq(doc.issuer, agency))
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "no document %s of agency %.*s", doc.id,
                        PS_STR_FMT(agency));
    if (e == PS_OK && !allowed(doc.type, doc.status, to))
        e = ps_diag_set(diag, PS_ERR_INVALID, "a %s document cannot become %s%s",
                        ps_doc_status_name(doc.status), ps_doc_status_name(to),
                        to == PS_DOC_SUSPENDED ? " (its type has no suspension)" : "");
    struct ps_query q;
    if (e == PS_OK) {
        ps_query_start(&q, tx, &set_status);
        ps_query_text(&q, ps_str_from_cstr(doc.id));
        ps_query_text(&q, ps_str_from_cstr(ps_doc_status_name(to)));
        ps_query_i64(&q, ps_clock_now_ms());
        ps_query_text(&q, reason);
        ps_query_text(&q, ps_str_from_cstr(ps_doc_status_name(doc.status)));
        ps_query_text_or_null(&q, to == PS_DOC_REVOKED ? PS_STR("issuer") : PS_STR_NULL);
        e = ps_query_exec(&q);
        if (e == PS_OK && q.changes != 1)
            e = PS_ERR_CONFLICT;
        if (e != PS_OK)
            ps_diag_set(diag, e, "changing a document's status: %s", ps_tx_errmsg(tx));
    }
    static const char *const actions[] = {"document.reinstate", "document.suspend",
                                          "document.revoke"};
    if (e == PS_OK)
        e = ps_docs_slot_changed(tx, doc.status_list, diag);
    if (e == PS_OK)
        e = log_change(tx, actor, actions[to], doc.holder, doc.id, "", reason, diag);
    ps_arena_free(a);
    return e;
}

/* ---- claims ---- */

ps_claim_mask ps_docs_default_claims(const struct ps_doctype *t)
{
    ps_claim_mask m = 0;
    for (size_t i = 0; i < t->nclaims; i++) {
        if (t->claims[i].disclose)
            m |= (ps_claim_mask)1 << i;
    }
    return m;
}

enum ps_err ps_docs_parse_claims(const struct ps_doctype *t, struct ps_str list,
                                 ps_claim_mask *out, struct ps_diag *diag)
{
    if (!list.p || list.len == 0) {
        *out = ps_docs_default_claims(t);
        return PS_OK;
    }
    if (ps_str_eq_cstr(list, "all")) {
        *out = t->nclaims == 64 ? ~(ps_claim_mask)0 : ((ps_claim_mask)1 << t->nclaims) - 1;
        return PS_OK;
    }
    ps_claim_mask m = 0;
    for (size_t i = 0; i <= list.len;) {
        size_t j = i;
        while (j < list.len && list.p[j] != ',')
            j++;
        struct ps_str name = {list.p + i, j - i};
        int k = ps_doctype_claim_index(t, name);
        if (k < 0)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s has no claim \"%.*s\"", t->id,
                               (int)(name.len > 64 ? 64 : name.len), name.p);
        m |= (ps_claim_mask)1 << k;
        i = j + 1;
    }
    *out = m;
    return PS_OK;
}
