/* Status lists in the store: slots handed out to new documents, a revision bumped by every
 * status change, and the token (draft-ietf-oauth-status-list, CWT form) built from the
 * documents that are not valid, signed by the issuer's current key. The documents table is
 * the one record of statuses: a token is derived from it, never stored. */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "documents/docs_int.h"
#include "documents/statuslist_encode.h"
#include "store/store.h"

static const struct ps_sql open_list = {
    "status_lists.open",
    "SELECT id, capacity, mul, add_, next FROM status_lists WHERE issuer = $1 AND bits = $2 "
    "AND next < capacity ORDER BY id DESC LIMIT 1",
};
static const struct ps_sql take_slot = {
    "status_lists.take",
    "UPDATE status_lists SET next = next + 1 WHERE id = $1 AND next = $2",
};
static const struct ps_sql last_id = {
    "status_lists.last", "SELECT COALESCE(max(id), 0) FROM status_lists",
};
static const struct ps_sql new_list = {
    "status_lists.insert",
    "INSERT INTO status_lists (id, issuer, bits, capacity, mul, add_, next, revision, "
    "created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, 1, 0, $7)",
};
static const struct ps_sql bump = {
    "status_lists.bump", "UPDATE status_lists SET revision = revision + 1 WHERE id = $1",
};
static const struct ps_sql list_meta = {
    "status_lists.meta", "SELECT issuer, bits, capacity, revision FROM status_lists WHERE id = $1",
};
static const struct ps_sql not_valid = {
    "status_lists.not_valid",
    "SELECT status_idx, status FROM documents WHERE status_list = $1 AND status <> 'valid'",
};

static enum ps_err store_err(struct ps_tx *tx, enum ps_err e, struct ps_diag *diag)
{
    if (e == PS_ERR_EXISTS) /* two new lists at once: one of them runs again */
        e = PS_ERR_CONFLICT;
    return ps_diag_set(diag, e, "status lists: %s", ps_tx_errmsg(tx));
}

/* A new list for issuer, its first slot (n = 0) taken. */
static enum ps_err create(struct ps_tx *tx, const char *issuer, int bits, int64_t *list,
                          int64_t *idx, struct ps_diag *diag)
{
    struct ps_query q;
    int64_t id = 0;
    ps_query_start(&q, tx, &last_id);
    if (ps_query_row(&q))
        id = ps_stmt_i64(q.st, 0) + 1;
    enum ps_err e = ps_query_end(&q);
    uint32_t r[2];
    ps_random_bytes(r, sizeof r);
    int64_t mul = (int64_t)(r[0] % PS_STATUS_LIST_CAPACITY) | 1; /* odd: a permutation */
    int64_t add = (int64_t)(r[1] % PS_STATUS_LIST_CAPACITY);
    if (e == PS_OK) {
        ps_query_start(&q, tx, &new_list);
        ps_query_i64(&q, id);
        ps_query_text(&q, ps_str_from_cstr(issuer));
        ps_query_i64(&q, bits);
        ps_query_i64(&q, PS_STATUS_LIST_CAPACITY);
        ps_query_i64(&q, mul);
        ps_query_i64(&q, add);
        ps_query_i64(&q, ps_clock_now_ms());
        e = ps_query_exec(&q);
    }
    if (e != PS_OK)
        return store_err(tx, e, diag);
    *list = id;
    *idx = add; /* (mul * 0 + add) mod capacity */
    return PS_OK;
}

enum ps_err ps_docs_slot(struct ps_tx *tx, const char *issuer, int bits, int64_t *list,
                         int64_t *idx, struct ps_diag *diag)
{
    struct ps_query q;
    int64_t id = 0, cap = 0, mul = 0, add = 0, next = 0;
    bool found = false;
    ps_query_start(&q, tx, &open_list);
    ps_query_text(&q, ps_str_from_cstr(issuer));
    ps_query_i64(&q, bits);
    if (ps_query_row(&q)) {
        found = true;
        id = ps_stmt_i64(q.st, 0);
        cap = ps_stmt_i64(q.st, 1);
        mul = ps_stmt_i64(q.st, 2);
        add = ps_stmt_i64(q.st, 3);
        next = ps_stmt_i64(q.st, 4);
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return store_err(tx, e, diag);
    if (!found || cap <= 0)
        return create(tx, issuer, bits, list, idx, diag);
    ps_query_start(&q, tx, &take_slot);
    ps_query_i64(&q, id);
    ps_query_i64(&q, next);
    e = ps_query_exec(&q);
    if (e == PS_OK && q.changes != 1)
        e = PS_ERR_CONFLICT; /* taken by a concurrent writer: run again */
    if (e != PS_OK)
        return store_err(tx, e, diag);
    *list = id;
    *idx = (int64_t)(((unsigned __int128)(uint64_t)mul * (uint64_t)next + (uint64_t)add) %
                     (uint64_t)cap);
    return PS_OK;
}

enum ps_err ps_docs_slot_changed(struct ps_tx *tx, int64_t list, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &bump);
    ps_query_i64(&q, list);
    enum ps_err e = ps_query_exec(&q);
    return e == PS_OK ? PS_OK : store_err(tx, e, diag);
}

/* ---- tokens ---- */

struct token_read {
    int64_t id;
    char issuer[40];
    int bits;
    int64_t capacity, revision;
    uint8_t *values; /* capacity entries, when read */
    struct ps_diag diag;
};

static enum ps_err meta_tx(struct ps_tx *tx, void *ctx)
{
    struct token_read *t = ctx;
    struct ps_query q;
    bool found = false;
    ps_query_start(&q, tx, &list_meta);
    ps_query_i64(&q, t->id);
    if (ps_query_row(&q)) {
        found = true;
        if (ps_str_copy(t->issuer, sizeof t->issuer, ps_stmt_text(q.st, 0)) != PS_OK)
            q.err = PS_ERR_STORE;
        t->bits = (int)ps_stmt_i64(q.st, 1);
        t->capacity = ps_stmt_i64(q.st, 2);
        t->revision = ps_stmt_i64(q.st, 3);
    }
    enum ps_err e = ps_query_end(&q);
    if (e == PS_OK && !found)
        return ps_diag_set(&t->diag, PS_ERR_NOTFOUND, "no status list %lld", (long long)t->id);
    if (e == PS_OK && (t->capacity <= 0 || t->capacity > PS_STATUS_LIST_CAPACITY))
        e = PS_ERR_STORE;
    if (e != PS_OK || !t->values)
        return e;
    memset(t->values, 0, (size_t)t->capacity);
    ps_query_start(&q, tx, &not_valid);
    ps_query_i64(&q, t->id);
    while (ps_query_row(&q)) {
        int64_t idx = ps_stmt_i64(q.st, 0);
        bool suspended = ps_str_eq_cstr(ps_stmt_text(q.st, 1), "suspended");
        if (idx >= 0 && idx < t->capacity)
            t->values[idx] = suspended && t->bits >= 2 ? 2 : 1;
    }
    return ps_query_end(&q);
}

static struct status_cache *cached(struct ps_docs *d, int64_t id)
{
    for (size_t i = 0; i < d->nlists; i++) {
        if (d->lists[i].id == id)
            return &d->lists[i];
    }
    return NULL;
}

/* The cache entry for id (a free one, or the oldest reused). Under cache_lock. */
static struct status_cache *slot_for(struct ps_docs *d, int64_t id)
{
    struct status_cache *c = cached(d, id);
    if (c)
        return c;
    if (d->nlists < PS_DOCS_LIST_CACHE) {
        c = &d->lists[d->nlists++];
        ps_buf_init(&c->token, 1u << 20);
    } else {
        c = &d->lists[0];
        for (size_t i = 1; i < d->nlists; i++) {
            if (d->lists[i].built_s < c->built_s)
                c = &d->lists[i];
        }
    }
    c->id = id;
    c->revision = -1;
    return c;
}

static enum ps_err build(struct ps_docs *d, struct token_read *t, struct status_cache *c,
                         struct ps_diag *diag)
{
    char uri[400], iss[48];
    int64_t now = ps_clock_now_ms() / 1000;
    struct ps_doc_signer signer;
    int n = snprintf(uri, sizeof uri, "%s/api/v1/status-lists/%lld", d->public_url,
                     (long long)t->id);
    enum ps_err e = n > 0 && (size_t)n < sizeof uri ? ps_issuer_iss(t->issuer, iss, sizeof iss)
                                                     : PS_ERR_LIMIT;
    if (e != PS_OK)
        return ps_diag_set(diag, e, "status list URI too long");
    struct ps_doc_status_list sl = {iss, uri, now, now + PS_STATUS_LIST_LIFETIME_S,
                                    PS_STATUS_LIST_TTL_S, (unsigned)t->bits, t->values,
                                    (size_t)t->capacity};
    pthread_rwlock_rdlock(&d->ring_lock);
    e = ps_keyring_signer(d->ring, t->issuer, NULL, now * 1000, &signer);
    c->token.len = 0;
    if (e == PS_OK)
        e = ps_doc_status_list_encode(&sl, &signer, &c->token);
    pthread_rwlock_unlock(&d->ring_lock);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "signing status list %lld: %s", (long long)t->id,
                           ps_err_name(e));
    c->revision = t->revision;
    c->built_s = now;
    snprintf(c->etag, sizeof c->etag, "\"sl-%lld-%lld-%lld\"", (long long)t->id,
             (long long)t->revision, (long long)now);
    return PS_OK;
}

enum ps_err ps_docs_status_list(struct ps_docs *d, int64_t id, struct ps_buf *out,
                                char etag[67], struct ps_diag *diag)
{
    struct token_read t = {.id = id};
    struct ps_diag sd = {0};
    enum ps_err e = ps_store_read(d->store, meta_tx, &t, &sd);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "%s", t.diag.code ? t.diag.message : sd.message);
    e = ps_docs_refresh_keys(d, diag);
    if (e != PS_OK)
        return e;
    int64_t now = ps_clock_now_ms() / 1000;
    pthread_mutex_lock(&d->cache_lock);
    struct status_cache *c = slot_for(d, id);
    if (c->revision != t.revision || now - c->built_s > PS_STATUS_LIST_LIFETIME_S / 2) {
        t.values = ps_malloc((size_t)t.capacity);
        e = t.values ? ps_store_read(d->store, meta_tx, &t, &sd) : PS_ERR_NOMEM;
        if (e == PS_OK)
            e = build(d, &t, c, diag);
        else
            ps_diag_set(diag, e, "reading status list %lld: %s", (long long)id, sd.message);
        ps_free(t.values);
    }
    if (e == PS_OK)
        e = ps_buf_append(out, c->token.p, c->token.len);
    if (e == PS_OK)
        memcpy(etag, c->etag, sizeof c->etag);
    pthread_mutex_unlock(&d->cache_lock);
    return e;
}
