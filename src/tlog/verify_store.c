/* The local database as a source of the whole-log verifier (the tlog_* tables of migration
 * 0004), the log's keys from the keys table, and the checks only the database allows: every
 * entry against the record it was made from, and every old enough record against the log. */
#include "tlog/verify_store.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "store/store.h"
#include "tlog/checkpoint.h"
#include "tlog/log.h"
#include "tlog/tiles.h"

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
static const struct ps_sql q_cosigs = {
    "tlog_verify.cosignatures",
    "SELECT c.size, c.line, k.note FROM tlog_cosignatures c LEFT JOIN tlog_checkpoints k "
    "ON k.size = c.size ORDER BY c.size, c.key_name"};
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

static enum ps_err st_cosigs(void *ctx, ps_tlog_cosig_fn row, void *row_ctx,
                             struct ps_diag *diag)
{
    struct ps_tlog_store_source *s = ctx;
    struct ps_stmt *st = NULL;
    enum ps_err err = ps_tx_prepare(s->tx, &q_cosigs, &st);
    for (bool more = true; !err;) {
        err = ps_stmt_step(st, &more);
        if (err || !more)
            break;
        int64_t size = ps_stmt_i64(st, 0);
        struct ps_str note = ps_stmt_is_null(st, 2) ? (struct ps_str){NULL, 0} : ps_stmt_text(st, 2);
        if (size >= 0)
            err = row(row_ctx, (uint64_t)size, ps_stmt_text(st, 1), note);
        if (err) {
            ps_stmt_done(st);
            return err; /* the verifier's own error, with its diag */
        }
    }
    if (err)
        err = store_fail(s->tx, err, diag, "tlog_cosignatures");
    ps_stmt_done(st);
    return err;
}

void ps_tlog_store_source_init(struct ps_tlog_store_source *s, struct ps_tx *tx,
                               struct ps_tlog_source *out)
{
    s->tx = tx;
    *out = (struct ps_tlog_source){.size = st_size,
                                   .checkpoints = st_checkpoints,
                                   .entries = st_entries,
                                   .hashes = st_hashes,
                                   .ctx = s,
                                   .cosignatures = st_cosigs};
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

/* ---- entries against their records ---- */

static const struct ps_sql q_records = {
    "tlog_verify.records",
    "SELECT e.idx, e.record_id, e.entry, a.id, a.at_ms, a.actor_kind, a.actor_id, a.action, "
    "a.subject, a.resource, a.purpose, a.salt, a.actor_role, a.actor_agency "
    "FROM tlog_entries e "
    "LEFT JOIN access_log a ON a.id = e.record_id "
    "WHERE e.idx >= $1 AND e.idx < $2 ORDER BY e.idx"};

#define RECORDS_CHUNK 256

/* The first member of the entry JSON objects a and b that differs ("" when none does: the
 * bytes differ in form only, or one is not JSON). */
static const char *first_difference(struct ps_str a, struct ps_str b)
{
    static const char *const members[] = {"v", "id", "time", "actor", "action", "commitment"};
    const char *which = "";
    json_t *ja = json_loadb(a.p, a.len, 0, NULL), *jb = json_loadb(b.p, b.len, 0, NULL);
    for (size_t i = 0; ja && jb && i < sizeof members / sizeof members[0] && !which[0]; i++)
        if (!json_equal(json_object_get(ja, members[i]), json_object_get(jb, members[i])))
            which = members[i];
    json_decref(ja);
    json_decref(jb);
    return which;
}

static enum ps_err bad_record(struct ps_tlog_report *rep, struct ps_diag *diag, uint64_t index,
                              const char *fmt, ...) PS_PRINTF(4, 5);

static enum ps_err bad_record(struct ps_tlog_report *rep, struct ps_diag *diag, uint64_t index,
                              const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum ps_err err = ps_tlog_report_vset(rep, diag, PS_TLOG_BAD_RECORD, index, 0, fmt, ap);
    va_end(ap);
    return err;
}

/* One row of q_records: the entry the record makes must be the entry the log holds. */
static enum ps_err check_one(struct ps_stmt *st, struct ps_buf *expect, struct ps_tlog_report *rep,
                             struct ps_diag *diag)
{
    uint64_t idx = (uint64_t)ps_stmt_i64(st, 0);
    struct ps_str record_id = ps_stmt_text(st, 1), entry = ps_stmt_blob(st, 2);
    if (ps_stmt_is_null(st, 3))
        return bad_record(rep, diag, idx, "entry %" PRIu64 ": its record %.*s is not in access_log",
                          idx, PS_STR_FMT(record_id));
    struct ps_str salt = ps_stmt_blob(st, 11);
    struct ps_tlog_record r = {
        .id = ps_stmt_text(st, 3), .at_ms = ps_stmt_i64(st, 4), .actor_kind = ps_stmt_text(st, 5),
        .actor_id = ps_stmt_text(st, 6), .action = ps_stmt_text(st, 7),
        .actor_role = ps_stmt_text(st, 12), .actor_agency = ps_stmt_text(st, 13),
        .subject = ps_stmt_text(st, 8), .resource = ps_stmt_text(st, 9),
        .purpose = ps_stmt_text(st, 10),
        .salt = salt.len == PS_TLOG_SALT_LEN ? (const uint8_t *)salt.p : NULL};
    expect->len = 0;
    enum ps_err err = ps_tlog_entry_format(&r, expect);
    if (err == PS_ERR_INVALID)
        return bad_record(rep, diag, idx, "entry %" PRIu64 ": its record %.*s has an unknown actor "
                          "kind", idx, PS_STR_FMT(record_id));
    if (err)
        return ps_diag_set(diag, err, "entry %" PRIu64 ": cannot make the entry of its record", idx);
    if (ps_str_eq(ps_buf_str(expect), entry))
        return PS_OK;
    const char *which = first_difference(entry, ps_buf_str(expect));
    if (!strcmp(which, "commitment"))
        return bad_record(rep, diag, idx, "entry %" PRIu64 ": its commitment does not match the "
                          "subject, resource, purpose and salt of record %.*s", idx,
                          PS_STR_FMT(record_id));
    return bad_record(rep, diag, idx, "entry %" PRIu64 ": %s%s%sdoes not match record %.*s", idx,
                      which[0] ? "its " : "", which, which[0] ? " " : "", PS_STR_FMT(record_id));
}

static enum ps_err check_range(struct ps_tx *tx, uint64_t first, uint64_t n, struct ps_buf *expect,
                               struct ps_tlog_report *rep, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    enum ps_err err = ps_tx_prepare(tx, &q_records, &st);
    if (!err)
        err = bind_range(st, 1, first, n);
    if (err) {
        err = store_fail(tx, err, diag, "tlog_entries and access_log");
        goto out;
    }
    for (bool more = true;;) {
        err = ps_stmt_step(st, &more);
        if (err) {
            err = store_fail(tx, err, diag, "tlog_entries and access_log");
            break;
        }
        if (!more)
            break;
        err = check_one(st, expect, rep, diag);
        if (err)
            break;
    }
out:
    ps_stmt_done(st);
    return err;
}

enum ps_err ps_tlog_check_records(struct ps_tx *tx, uint64_t size, struct ps_tlog_report *rep,
                                  struct ps_diag *diag)
{
    struct ps_buf expect;
    enum ps_err err = PS_OK;
    ps_buf_init(&expect, 2 * PS_BUNDLE_MAX_ENTRY);
    for (uint64_t first = 0; !err && first < size; first += RECORDS_CHUNK)
        err = check_range(tx, first, size - first < RECORDS_CHUNK ? size - first : RECORDS_CHUNK,
                          &expect, rep, diag);
    ps_buf_reset(&expect);
    return err;
}

/* ---- the whole local verification ---- */

/* The origin (= log key name) of the latest checkpoint; the default name before the first. */
static enum ps_err latest_origin(struct ps_tx *tx, char origin[PS_CHECKPOINT_MAX_ORIGIN + 1],
                                 struct ps_diag *d)
{
    struct ps_checkpoint c;
    uint64_t size = 0;
    enum ps_err err = PS_ERR_NOMEM;
    char *note = ps_malloc(PS_NOTE_MAX_BYTES + 1);
    struct ps_note *n = ps_malloc(sizeof *n);
    if (!note || !n) {
        ps_diag_set(d, err, "out of memory");
        goto out;
    }
    err = ps_tlog_store_latest_checkpoint(tx, note, PS_NOTE_MAX_BYTES + 1, &size, d);
    if (err == PS_ERR_NOTFOUND) { /* no checkpoint yet: the name the integrator will use */
        err = ps_str_copy(origin, PS_CHECKPOINT_MAX_ORIGIN + 1, PS_STR(PS_TLOG_DEFAULT_ORIGIN));
        goto out;
    }
    if (!err)
        err = ps_note_parse(ps_str_from_cstr(note), n, d);
    if (!err)
        err = ps_checkpoint_parse(n->text, &c, d);
    if (!err)
        err = ps_str_copy(origin, PS_CHECKPOINT_MAX_ORIGIN + 1, c.origin);
    if (err && err != PS_ERR_NOMEM) {
        char why[sizeof d->message];
        memcpy(why, d->message, sizeof why); /* the message may not format from itself */
        err = ps_diag_set(d, PS_ERR_INVALID, "latest checkpoint (size %" PRIu64 "): %s", size,
                          why[0] ? why : "unreadable origin");
    }
out:
    ps_free(n);
    ps_free(note);
    return err;
}

enum ps_err ps_tlog_store_current_keys(struct ps_tx *tx, struct ps_note_verifier *keys,
                                       size_t cap, size_t *n, struct ps_diag *diag)
{
    char origin[PS_CHECKPOINT_MAX_ORIGIN + 1];
    *n = 0;
    enum ps_err err = latest_origin(tx, origin, diag);
    if (!err)
        err = ps_tlog_store_log_keys(tx, ps_str_from_cstr(origin), keys, cap, n, diag);
    return err;
}

#define MAX_LOG_KEYS PS_TLOG_MAX_LOG_KEYS

struct local {
    struct ps_note_verifier keys[MAX_LOG_KEYS];
    struct ps_note_verifier witnesses[PS_TLOG_MAX_WITNESSES];
    size_t nkeys, nwitnesses;
};

static enum ps_err trusted_keys(struct ps_tx *tx, const struct ps_tlog_local_opts *o,
                                struct local *l, struct ps_diag *d)
{
    enum ps_err err;
    if (o->key.p) {
        l->nkeys = 1;
        err = ps_note_verifier_parse(o->key, &l->keys[0], d);
    } else {
        err = ps_tlog_store_current_keys(tx, l->keys, MAX_LOG_KEYS, &l->nkeys, d);
    }
    if (!err)
        err = ps_tlog_witnesses(tx, l->witnesses, PS_TLOG_MAX_WITNESSES, &l->nwitnesses, d);
    return err;
}

/* Records older than the window that have no entry: a verdict, naming the first. */
static enum ps_err all_records_in_log(struct ps_tx *tx, int64_t window_ms,
                                      struct ps_tlog_report *rep, struct ps_diag *d)
{
    uint64_t missing = 0;
    char first[37];
    uint64_t w = window_ms < 0 ? PS_TLOG_VERIFY_WINDOW_MS : (uint64_t)window_ms;
    enum ps_err err = ps_tlog_missing_records(tx, w, &missing, first, d);
    if (err || missing == 0)
        return err;
    return bad_record(rep, d, 0, "record %s is not in the log (%" PRIu64 " recorded records "
                      "missing)", first, missing);
}

enum ps_err ps_tlog_verify_local(struct ps_tx *tx, const struct ps_tlog_local_opts *o,
                                 struct ps_tlog_report *rep, struct ps_diag *diag)
{
    struct ps_tlog_store_source ss;
    struct ps_tlog_source src;
    memset(rep, 0, sizeof *rep);
    struct local *l = ps_calloc(1, sizeof *l);
    if (!l)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err err = trusted_keys(tx, o, l, diag);
    if (!err) {
        ps_tlog_store_source_init(&ss, tx, &src);
        struct ps_tlog_verify_opts vo = {.keys = l->keys,
                                         .nkeys = l->nkeys,
                                         .progress = o->progress,
                                         .progress_ctx = o->progress_ctx,
                                         .chain = true,
                                         .witnesses = l->witnesses,
                                         .nwitnesses = l->nwitnesses};
        err = ps_tlog_verify(&src, &vo, rep, diag);
    }
    if (!err)
        err = ps_tlog_check_records(tx, rep->size, rep, diag);
    if (!err)
        err = all_records_in_log(tx, o->window_ms, rep, diag);
    if (err && err != PS_ERR_CRYPTO)
        memcpy(rep->message, diag->message, sizeof diag->message);
    ps_free(l);
    return err;
}
