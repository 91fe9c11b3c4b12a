/* The local database as a source of the whole-log verifier (the tlog_* tables of migration
 * 0004), the log's keys from the keys table, and the checks only the database allows: every
 * entry against the record it was made from, and every old enough record against the log. */
#include "tlog/verify_store.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store.h"
#include "tlog/checkpoint.h"

/* ---- the local database as a source ---- */

static const struct ps_sql q_size = {"tlog_verify.size",
                                     "SELECT size FROM tlog_state WHERE id = 1"};
static const struct ps_sql q_checkpoints = {
    "tlog_verify.checkpoints", "SELECT size, note FROM tlog_checkpoints ORDER BY size"};
static const struct ps_sql q_latest = {
    "tlog_verify.latest", "SELECT size, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1"};
static const struct ps_sql q_entries = {
    "tlog_verify.entries",
    "SELECT idx, entry FROM tlog_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx"};
static const struct ps_sql q_hashes = {
    "tlog_verify.hashes", "SELECT idx, hash FROM tlog_hashes WHERE level = $1 AND idx >= $2 "
                          "AND idx < $3 ORDER BY idx"};
static const struct ps_sql q_keys = {
    "tlog_verify.keys",
    "SELECT public_key FROM keys WHERE purpose = 'tlog-signing' AND algorithm = 'Ed25519' "
    "ORDER BY status = 'active' DESC, created_at DESC"};

static enum ps_err store_fail(struct ps_tx *tx, enum ps_err err, struct ps_diag *diag,
                              const char *what)
{
    return ps_diag_set(diag, err, "reading %s: %s", what, ps_tx_errmsg(tx));
}

static enum ps_err st_size(void *ctx, uint64_t *out, struct ps_diag *diag)
{
    struct ps_tlog_store_source *s = ctx;
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err err = ps_tx_prepare(s->tx, &q_size, &st);
    if (!err)
        err = ps_stmt_step(st, &row);
    if (err) {
        err = store_fail(s->tx, err, diag, "tlog_state");
        goto out;
    }
    *out = row ? (uint64_t)ps_stmt_i64(st, 0) : 0;
out:
    ps_stmt_done(st);
    return err;
}

/* Steps st to the end, handing (column 0, column 1 as bytes) to row. */
static enum ps_err each_row(struct ps_tx *tx, struct ps_stmt *st, bool text, ps_tlog_row_fn row,
                            void *row_ctx, struct ps_diag *diag, const char *what)
{
    for (;;) {
        bool more = false;
        enum ps_err err = ps_stmt_step(st, &more);
        if (err)
            return store_fail(tx, err, diag, what);
        if (!more)
            return PS_OK;
        int64_t idx = ps_stmt_i64(st, 0);
        if (idx < 0)
            continue;
        struct ps_str b = text ? ps_stmt_text(st, 1) : ps_stmt_blob(st, 1);
        err = row(row_ctx, (uint64_t)idx, b);
        if (err)
            return err;
    }
}

static enum ps_err st_checkpoints(void *ctx, ps_tlog_row_fn row, void *row_ctx,
                                  struct ps_diag *diag)
{
    struct ps_tlog_store_source *s = ctx;
    struct ps_stmt *st = NULL;
    enum ps_err err = ps_tx_prepare(s->tx, &q_checkpoints, &st);
    if (err)
        return store_fail(s->tx, err, diag, "tlog_checkpoints");
    err = each_row(s->tx, st, true, row, row_ctx, diag, "tlog_checkpoints");
    ps_stmt_done(st);
    return err;
}

static enum ps_err bind_range(struct ps_stmt *st, int at, uint64_t first, uint64_t count)
{
    uint64_t end = first + count;
    if (first > INT64_MAX || end > INT64_MAX || end < first)
        return PS_ERR_INVALID;
    enum ps_err err = ps_stmt_bind_i64(st, at, (int64_t)first);
    if (!err)
        err = ps_stmt_bind_i64(st, at + 1, (int64_t)end);
    return err;
}

static enum ps_err st_entries(void *ctx, uint64_t first, uint64_t count, ps_tlog_row_fn row,
                              void *row_ctx, struct ps_diag *diag)
{
    struct ps_tlog_store_source *s = ctx;
    struct ps_stmt *st = NULL;
    enum ps_err err = ps_tx_prepare(s->tx, &q_entries, &st);
    if (!err)
        err = bind_range(st, 1, first, count);
    if (err) {
        err = store_fail(s->tx, err, diag, "tlog_entries");
        goto out;
    }
    err = each_row(s->tx, st, false, row, row_ctx, diag, "tlog_entries");
out:
    ps_stmt_done(st);
    return err;
}

static enum ps_err st_hashes(void *ctx, unsigned level, uint64_t first, uint64_t count,
                             ps_tlog_row_fn row, void *row_ctx, struct ps_diag *diag)
{
    struct ps_tlog_store_source *s = ctx;
    struct ps_stmt *st = NULL;
    enum ps_err err = ps_tx_prepare(s->tx, &q_hashes, &st);
    if (!err)
        err = ps_stmt_bind_i64(st, 1, (int64_t)level);
    if (!err)
        err = bind_range(st, 2, first, count);
    if (err) {
        err = store_fail(s->tx, err, diag, "tlog_hashes");
        goto out;
    }
    err = each_row(s->tx, st, false, row, row_ctx, diag, "tlog_hashes");
out:
    ps_stmt_done(st);
    return err;
}

void ps_tlog_store_source_init(struct ps_tlog_store_source *s, struct ps_tx *tx,
                               struct ps_tlog_source *out)
{
    s->tx = tx;
    *out = (struct ps_tlog_source){st_size, st_checkpoints, st_entries, st_hashes, s};
}

enum ps_err ps_tlog_store_log_keys(struct ps_tx *tx, struct ps_str origin,
                                   struct ps_note_verifier *keys, size_t cap, size_t *n,
                                   struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    enum ps_err err = ps_tx_prepare(tx, &q_keys, &st);
    *n = 0;
    if (err) {
        err = store_fail(tx, err, diag, "keys");
        goto out;
    }
    for (;;) {
        bool row = false;
        err = ps_stmt_step(st, &row);
        if (err) {
            err = store_fail(tx, err, diag, "keys");
            goto out;
        }
        if (!row)
            break;
        struct ps_str pub = ps_stmt_blob(st, 0);
        if (pub.len != PS_NOTE_PUBLIC_KEY_LEN)
            continue;
        if (*n == cap) {
            err = ps_diag_set(diag, PS_ERR_LIMIT, "more than %zu log keys", cap);
            goto out;
        }
        err = ps_note_verifier_init(&keys[*n], origin, PS_NOTE_ED25519, (const uint8_t *)pub.p);
        if (err) {
            err = ps_diag_set(diag, err, "'%.*s' is not a valid key name", PS_STR_FMT(origin));
            goto out;
        }
        (*n)++;
    }
    if (*n == 0)
        err = ps_diag_set(diag, PS_ERR_NOTFOUND, "no tlog-signing key in the keys table");
out:
    ps_stmt_done(st);
    return err;
}

enum ps_err ps_tlog_store_latest_checkpoint(struct ps_tx *tx, char *note, size_t cap,
                                            uint64_t *size, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err err = ps_tx_prepare(tx, &q_latest, &st);
    if (!err)
        err = ps_stmt_step(st, &row);
    if (err) {
        err = store_fail(tx, err, diag, "tlog_checkpoints");
        goto out;
    }
    if (!row) {
        err = ps_diag_set(diag, PS_ERR_NOTFOUND, "the log has no checkpoint yet");
        goto out;
    }
    *size = (uint64_t)ps_stmt_i64(st, 0);
    if (ps_str_copy(note, cap, ps_stmt_text(st, 1)) != PS_OK)
        err = ps_diag_set(diag, PS_ERR_LIMIT, "checkpoint note longer than %zu bytes", cap);
out:
    ps_stmt_done(st);
    return err;
}
