/* Status lists in the store: slots handed out to new documents, a revision bumped by every
 * status change, and the read of a list's statuses from the documents that are not valid
 * (the documents table is the one record of statuses: a token is derived from it, never
 * stored; signed_lists.c signs it). */
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "documents/docs_int.h"
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

/* ---- reading a list for its token ---- */

static enum ps_err status_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_status_read *t = ctx;
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

enum ps_err ps_docs_status_read(struct ps_store *store, struct ps_status_read *t)
{
    struct ps_diag sd = {0};
    enum ps_err e = ps_store_read(store, status_tx, t, &sd);
    if (e != PS_OK && t->diag.code == PS_OK)
        ps_diag_set(&t->diag, e, "reading status list %lld: %s", (long long)t->id, sd.message);
    return e;
}
