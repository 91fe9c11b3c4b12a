/* The transparency log on the store: entry serialization, the integration round, the provider
 * over tlog_hashes, the reads behind the log's HTTP routes and the witness list. Every statement
 * of the log is here, in the subset of SQL both backends accept. */
#include "core/str.h"
#include "tlog/log.h"

#include <inttypes.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/jsonw.h"
#include "crypto/keys.h"
#include "store/store.h"
#include "tlog/access.h"
#include "tlog/checkpoint.h"

/* ---- statements ---- */

static const struct ps_sql sql_lock = {
    "tlog.lock", "UPDATE tlog_state SET size = size WHERE id = 1"};
static const struct ps_sql sql_state = {
    "tlog.state", "SELECT size, last_record_id FROM tlog_state WHERE id = 1"};
static const struct ps_sql sql_state_set = {
    "tlog.state_set", "UPDATE tlog_state SET size = $1, last_record_id = $2 WHERE id = 1"};
static const struct ps_sql sql_hashes = {
    "tlog.hashes",
    "SELECT hash FROM tlog_hashes WHERE level = $1 AND idx >= $2 AND idx < $3 ORDER BY idx"};
static const struct ps_sql sql_hash_insert = {
    "tlog.hash_insert", "INSERT INTO tlog_hashes (level, idx, hash) VALUES ($1, $2, $3)"};
/* MANY rows per statement: one round trip instead of MANY on PostgreSQL. */
#define MANY 32
static const struct ps_sql sql_hash_insert_many = {
    "tlog.hash_insert_many",
    "INSERT INTO tlog_hashes (level, idx, hash) VALUES ($1, $2, $3), ($4, $5, $6), ($7, $8, "
    "$9), ($10, $11, $12), ($13, $14, $15), ($16, $17, $18), ($19, $20, $21), ($22, $23, $24), "
    "($25, $26, $27), ($28, $29, $30), ($31, $32, $33), ($34, $35, $36), ($37, $38, $39), "
    "($40, $41, $42), ($43, $44, $45), ($46, $47, $48), ($49, $50, $51), ($52, $53, $54), "
    "($55, $56, $57), ($58, $59, $60), ($61, $62, $63), ($64, $65, $66), ($67, $68, $69), "
    "($70, $71, $72), ($73, $74, $75), ($76, $77, $78), ($79, $80, $81), ($82, $83, $84), "
    "($85, $86, $87), ($88, $89, $90), ($91, $92, $93), ($94, $95, $96)"};
/* New records: ids above the largest integrated one cannot be in the tree yet (fast path, an
 * index range). Late ones (committed after a larger id was integrated) are found by the
 * anti-join over the window below it, which a sweep runs every few seconds. */
#define RECORD_COLS                                                                            \
    "SELECT a.id, a.at_ms, a.actor_kind, a.actor_id, a.action, a.subject, a.resource, "        \
    "a.purpose, a.salt, a.actor_role, a.actor_agency FROM access_log a "
static const struct ps_sql sql_new_records = {
    "tlog.new_records", RECORD_COLS "WHERE a.id > $1 ORDER BY a.id LIMIT $2"};
static const struct ps_sql sql_late_records = {
    "tlog.late_records",
    RECORD_COLS "WHERE a.id >= $1 AND a.id <= $2 AND NOT EXISTS "
                "(SELECT 1 FROM tlog_entries e WHERE e.record_id = a.id) ORDER BY a.id LIMIT $3"};
static const struct ps_sql sql_pending = {
    "tlog.pending", "SELECT a.id FROM access_log a WHERE a.id > $1 LIMIT 1"};
static const struct ps_sql sql_late_pending = {
    "tlog.late_pending",
    "SELECT a.id FROM access_log a WHERE a.id >= $1 AND a.id <= $2 AND NOT EXISTS "
    "(SELECT 1 FROM tlog_entries e WHERE e.record_id = a.id) LIMIT 1"};
static const struct ps_sql sql_entry_insert = {
    "tlog.entry_insert", "INSERT INTO tlog_entries (idx, record_id, entry) VALUES ($1, $2, $3)"};
static const struct ps_sql sql_entry_insert_many = {
    "tlog.entry_insert_many",
    "INSERT INTO tlog_entries (idx, record_id, entry) VALUES ($1, $2, $3), ($4, $5, $6), ($7, "
    "$8, $9), ($10, $11, $12), ($13, $14, $15), ($16, $17, $18), ($19, $20, $21), ($22, $23, "
    "$24), ($25, $26, $27), ($28, $29, $30), ($31, $32, $33), ($34, $35, $36), ($37, $38, "
    "$39), ($40, $41, $42), ($43, $44, $45), ($46, $47, $48), ($49, $50, $51), ($52, $53, "
    "$54), ($55, $56, $57), ($58, $59, $60), ($61, $62, $63), ($64, $65, $66), ($67, $68, "
    "$69), ($70, $71, $72), ($73, $74, $75), ($76, $77, $78), ($79, $80, $81), ($82, $83, "
    "$84), ($85, $86, $87), ($88, $89, $90), ($91, $92, $93), ($94, $95, $96)"};
static const struct ps_sql sql_entries = {
    "tlog.entries",
    "SELECT idx, entry FROM tlog_entries WHERE idx >= $1 AND idx < $2 ORDER BY idx"};
static const struct ps_sql sql_cp_insert = {
    "tlog.checkpoint_insert",
    "INSERT INTO tlog_checkpoints (size, at_ms, note) VALUES ($1, $2, $3)"};
static const struct ps_sql sql_cp_latest = {
    "tlog.checkpoint_latest",
    "SELECT size, note FROM tlog_checkpoints ORDER BY size DESC LIMIT 1"};
static const struct ps_sql sql_cp_at = {
    "tlog.checkpoint_at", "SELECT note FROM tlog_checkpoints WHERE size = $1"};
static const struct ps_sql sql_cosigs = {
    "tlog.cosignatures",
    "SELECT line FROM tlog_cosignatures WHERE size = $1 ORDER BY key_name"};
static const struct ps_sql sql_cosig_insert = {
    "tlog.cosignature_insert",
    "INSERT INTO tlog_cosignatures (size, key_name, line, at_ms) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (size, key_name) DO NOTHING"};
static const struct ps_sql sql_meta = {"tlog.meta", "SELECT value FROM meta WHERE key = $1"};
/* Write transactions are serializable on PostgreSQL (and single-writer on SQLite), so the
 * read-modify-write of the witness list cannot lose a concurrent edit: one of two retries. */
static const struct ps_sql sql_meta_put = {
    "tlog.meta_put", "INSERT INTO meta (key, value) VALUES ($1, $2) "
                     "ON CONFLICT (key) DO UPDATE SET value = excluded.value"};
static const struct ps_sql sql_subject = {
    "tlog.subject_rows",
    "SELECT a.id, a.kind, a.actor_kind, a.actor_id, a.action, a.resource, a.purpose, a.at_ms, "
    "a.salt, e.idx, e.entry, a.actor_role, a.actor_agency FROM access_log a "
    "LEFT JOIN tlog_entries e ON e.record_id = a.id "
    "WHERE a.subject = $1 AND ($2 = '' OR a.id < $2) ORDER BY a.id DESC LIMIT $3"};

/* ---- entries ---- */

static enum ps_err sha_update_lp(EVP_MD_CTX *c, struct ps_str s)
{
    uint8_t len[4] = {(uint8_t)(s.len >> 24), (uint8_t)(s.len >> 16), (uint8_t)(s.len >> 8),
                      (uint8_t)s.len};
    if (s.len > UINT32_MAX || EVP_DigestUpdate(c, len, 4) != 1 ||
        (s.len && EVP_DigestUpdate(c, s.p, s.len) != 1))
        return PS_ERR_CRYPTO;
    return PS_OK;
}

enum ps_err ps_tlog_commitment(const uint8_t *salt, struct ps_str subject, struct ps_str resource,
                               struct ps_str purpose, struct ps_hash *out)
{
    static const uint8_t zero[PS_TLOG_SALT_LEN];
    enum ps_err e = PS_ERR_CRYPTO;
    unsigned int n = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(c, salt ? salt : zero, PS_TLOG_SALT_LEN) != 1)
        goto out;
    e = sha_update_lp(c, subject);
    if (e == PS_OK)
        e = sha_update_lp(c, resource);
    if (e == PS_OK)
        e = sha_update_lp(c, purpose);
    if (e == PS_OK && (EVP_DigestFinal_ex(c, out->b, &n) != 1 || n != PS_HASH_LEN))
        e = PS_ERR_CRYPTO;
out:
    EVP_MD_CTX_free(c);
    return e;
}

void ps_tlog_b64(const void *p, size_t n, char *out, size_t cap)
{
    PS_ASSERT(cap >= sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL));
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
}

static bool known_kind(struct ps_str k)
{
    return ps_str_eq_cstr(k, "admin") || ps_str_eq_cstr(k, "official") ||
           ps_str_eq_cstr(k, "system") || ps_str_eq_cstr(k, "citizen");
}

enum ps_err ps_tlog_entry_format(const struct ps_tlog_record *r, struct ps_buf *out)
{
    if (!known_kind(r->actor_kind))
        return PS_ERR_INVALID;
    struct ps_hash cm;
    enum ps_err e = ps_tlog_commitment(r->salt, r->subject, r->resource, r->purpose, &cm);
    if (e != PS_OK)
        return e;
    char time[25], b64[48];
    ps_clock_fmt_rfc3339(r->at_ms, time);
    ps_tlog_b64(cm.b, sizeof cm.b, b64, sizeof b64);
    struct ps_jw w;
    ps_jw_init(&w, out);
    ps_jw_obj(&w);
    ps_jw_kint(&w, "v", 1);
    ps_jw_kstr(&w, "id", r->id);
    ps_jw_kcstr(&w, "time", time);
    ps_jw_key(&w, "actor");
    ps_jw_obj(&w);
    ps_jw_kstr(&w, "kind", r->actor_kind);
    /* who acted, without naming a person: a citizen's id or an official's would name them.
     * An official's record made before the role was kept (empty) keeps its first form. */
    bool official = ps_str_eq_cstr(r->actor_kind, "official") && r->actor_role.len > 0;
    if (!ps_str_eq_cstr(r->actor_kind, "citizen") && !official)
        ps_jw_kstr(&w, "id", r->actor_id);
    if (official)
        ps_jw_kstr(&w, "role", r->actor_role);
    if (r->actor_agency.len > 0)
        ps_jw_kstr(&w, "agency", r->actor_agency);
    ps_jw_obj_end(&w);
    ps_jw_kstr(&w, "action", r->action);
    ps_jw_kcstr(&w, "commitment", b64);
    ps_jw_obj_end(&w);
    return ps_jw_end(&w);
}

/* ---- the stored provider ---- */

static enum ps_err stored_hashes(void *ctx, unsigned level, uint64_t first, size_t count,
                                 struct ps_hash *out)
{
    struct ps_tlog_provider *p = ctx;
    if (level % PS_TILE_HEIGHT != 0 || first > INT64_MAX || count > INT64_MAX - first)
        return PS_ERR_INTERNAL;
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(p->tx, &sql_hashes, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)level);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, (int64_t)first);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 3, (int64_t)(first + count));
    size_t got = 0;
    bool row = true;
    while (e == PS_OK) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        struct ps_str h = ps_stmt_blob(st, 0);
        if (h.len != PS_HASH_LEN || got == count) {
            e = PS_ERR_INTERNAL;
            break;
        }
        memcpy(out[got++].b, h.p, PS_HASH_LEN);
    }
    ps_stmt_done(st);
    if (e == PS_OK && got != count)
        e = PS_ERR_NOTFOUND;
    return e;
}

void ps_tlog_provider_init(struct ps_tlog_provider *p, struct ps_tx *tx,
                           struct ps_merkle_provider *out)
{
    p->tx = tx;
    p->stored.hashes = stored_hashes;
    p->stored.ctx = p;
    ps_tiles_provider(&p->adapter, &p->stored, out);
}

/* ---- small statement helpers ---- */

static enum ps_err exec_i64(struct ps_tx *tx, const struct ps_sql *def, int n,
                            const int64_t *args)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, def, &st);
    for (int i = 0; i < n && e == PS_OK; i++)
        e = ps_stmt_bind_i64(st, i + 1, args[i]);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return e;
}

static enum ps_err read_state(struct ps_tx *tx, uint64_t *size, char last[37])
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &sql_state, &st);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && !row)
        e = PS_ERR_INTERNAL; /* migration 0004 inserts the row */
    if (e == PS_OK) {
        int64_t s = ps_stmt_i64(st, 0);
        struct ps_str id = ps_stmt_text(st, 1);
        *size = s < 0 ? 0 : (uint64_t)s;
        last[0] = '\0';
        if (id.len == 36) {
            memcpy(last, id.p, 36);
            last[36] = '\0';
        }
    }
    ps_stmt_done(st);
    return e;
}

/* The UUIDv7 time of the last integrated id minus window_ms, as the text prefix
 * "tttttttt-tttt" (ids compare as lower-case text). */
static void window_start(const char last[37], uint64_t window_ms, char out[16])
{
    out[0] = '\0';
    if (last[0] == '\0')
        return;
    uint64_t ms = 0;
    for (int i = 0; i < 13; i++) {
        if (i == 8)
            continue;
        int v = ps_hex_digit(last[i]);
        if (v < 0)
            return;
        ms = ms << 4 | (uint64_t)v;
    }
    if (ms <= window_ms)
        return;
    ms -= window_ms;
    int n = snprintf(out, 16, "%08" PRIx64 "-%04" PRIx64, ms >> 16, ms & 0xFFFF);
    if (n != 13)
        out[0] = '\0';
}

/* The default reach of a sweeping round (80 s): the window, one sweep interval, and one more
 * because other nodes' rounds may move the last integrated id on between the read that found
 * a late record and the round. ps_tlog_missing_records counts only records older than it. */
#define SWEEP_ROUND_WINDOW_MS PS_TLOG_VERIFY_WINDOW_MS

/* Binds the text arguments and then the limit (if limit > 0). */
static enum ps_err bind_args(struct ps_stmt *st, const char *a, const char *b, int64_t limit)
{
    int i = 1;
    enum ps_err e = ps_stmt_bind_text(st, i++, ps_str_from_cstr(a));
    if (e == PS_OK && b)
        e = ps_stmt_bind_text(st, i++, ps_str_from_cstr(b));
    if (e == PS_OK && limit > 0)
        e = ps_stmt_bind_i64(st, i, limit);
    return e;
}

static enum ps_err probe(struct ps_tx *tx, const struct ps_sql *def, const char *a,
                         const char *b, bool *found)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, def, &st);
    if (e == PS_OK)
        e = bind_args(st, a, b, 0);
    if (e == PS_OK)
        e = ps_stmt_step(st, found);
    ps_stmt_done(st);
    return e;
}

static enum ps_err checkpoint_exists(struct ps_tx *tx, uint64_t size, bool *exists);

enum ps_err ps_tlog_pending(struct ps_tx *tx, uint64_t sweep_ms, bool *pending, bool *late)
{
    uint64_t size;
    char last[37], from[16];
    bool found_late = false;
    *pending = false;
    bool signed_size = true;
    enum ps_err e = read_state(tx, &size, last);
    if (e == PS_OK)
        e = probe(tx, &sql_pending, last, NULL, pending);
    /* entries sequenced without a checkpoint (ps_tlog_sequence_pending): a round signs them */
    if (e == PS_OK && !*pending)
        e = checkpoint_exists(tx, size, &signed_size);
    if (!signed_size)
        *pending = true;
    if (e == PS_OK && sweep_ms > 0 && last[0]) {
        window_start(last, sweep_ms, from);
        e = probe(tx, &sql_late_pending, from, last, &found_late);
    }
    if (found_late)
        *pending = true;
    if (late)
        *late = found_late;
    return e;
}

/* ---- integration ---- */

struct pending_entry {
    char id[37];
    size_t off, len;
};

struct queued_hash {
    unsigned level;
    uint64_t index;
    struct ps_hash hash;
};

struct round {
    struct ps_tx *tx;
    struct ps_buf entries; /* serialized entries back to back */
    struct pending_entry *rows;
    size_t n, cap;
    struct queued_hash hq[MANY]; /* tile-level hashes waiting for a multi-row insert */
    size_t nh;
};

/* Runs one record query and serializes what it returns; the inserts come after it is done. */
static enum ps_err collect(struct round *r, const struct ps_sql *def, const char *a,
                          const char *b, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = true;
    if (r->n == r->cap)
        return PS_OK;
    enum ps_err e = ps_tx_prepare(r->tx, def, &st);
    if (e == PS_OK)
        e = bind_args(st, a, b, (int64_t)(r->cap - r->n));
    while (e == PS_OK && r->n < r->cap) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        struct ps_str salt = ps_stmt_blob(st, 8);
        struct ps_tlog_record rec = {
            .id = ps_stmt_text(st, 0), .at_ms = ps_stmt_i64(st, 1),
            .actor_kind = ps_stmt_text(st, 2), .actor_id = ps_stmt_text(st, 3),
            .actor_role = ps_stmt_text(st, 9), .actor_agency = ps_stmt_text(st, 10),
            .action = ps_stmt_text(st, 4), .subject = ps_stmt_text(st, 5),
            .resource = ps_stmt_text(st, 6), .purpose = ps_stmt_text(st, 7),
            .salt = salt.len == PS_TLOG_SALT_LEN ? (const uint8_t *)salt.p : NULL};
        struct pending_entry *pe = &r->rows[r->n];
        if (rec.id.len != 36) {
            e = ps_diag_set(diag, PS_ERR_INTERNAL, "access_log id %.*s is not a UUID",
                            PS_STR_FMT(rec.id));
            break;
        }
        memcpy(pe->id, rec.id.p, 36);
        pe->id[36] = '\0';
        pe->off = r->entries.len;
        e = ps_tlog_entry_format(&rec, &r->entries);
        if (e != PS_OK) {
            ps_diag_set(diag, e, "record %s: cannot serialize its entry", pe->id);
            break;
        }
        pe->len = r->entries.len - pe->off;
        r->n++;
    }
    ps_stmt_done(st);
    if (e != PS_OK && diag->code == PS_OK)
        ps_diag_set(diag, e, "reading new records: %s", ps_tx_errmsg(r->tx));
    return e;
}

/* Binds (level, idx, hash) or (idx, record_id, entry) triples from $first. */
static enum ps_err bind_hash(struct ps_stmt *st, int first, const struct queued_hash *q)
{
    enum ps_err e = ps_stmt_bind_i64(st, first, (int64_t)q->level);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, first + 1, (int64_t)q->index);
    if (e == PS_OK)
        e = ps_stmt_bind_blob(st, first + 2, q->hash.b, PS_HASH_LEN);
    return e;
}

static enum ps_err bind_entry(struct ps_stmt *st, int first, const struct round *r, size_t i,
                              uint64_t idx)
{
    const struct pending_entry *pe = &r->rows[i];
    enum ps_err e = ps_stmt_bind_i64(st, first, (int64_t)idx);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, first + 1, (struct ps_str){pe->id, 36});
    if (e == PS_OK)
        e = ps_stmt_bind_blob(st, first + 2, r->entries.p + pe->off, pe->len);
    return e;
}

/* Inserts the queued hashes: MANY at once, or one by one when fewer (the last flush). */
static enum ps_err flush_hashes(struct round *r)
{
    bool many = r->nh == MANY, row = false;
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(r->tx, many ? &sql_hash_insert_many : &sql_hash_insert, &st);
    for (size_t i = 0; i < r->nh && e == PS_OK; i++) {
        if (!many && i > 0)
            ps_stmt_reset(st);
        e = bind_hash(st, many ? (int)(3 * i + 1) : 1, &r->hq[i]);
        if (e == PS_OK && (!many || i == r->nh - 1))
            e = ps_stmt_step(st, &row);
    }
    ps_stmt_done(st);
    r->nh = 0;
    return e;
}

static enum ps_err emit_hash(void *ctx, unsigned level, uint64_t index, const struct ps_hash *h)
{
    struct round *r = ctx;
    enum ps_err e = r->nh == MANY ? flush_hashes(r) : PS_OK;
    if (e == PS_OK)
        r->hq[r->nh++] = (struct queued_hash){level, index, *h};
    return e;
}

/* Inserts entries [from, from + count) as leaves first_idx..: MANY at once when count is
 * MANY, else one statement each. */
static enum ps_err insert_entries(struct round *r, size_t from, size_t count, uint64_t first_idx)
{
    bool many = count == MANY, row = false;
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(r->tx, many ? &sql_entry_insert_many : &sql_entry_insert, &st);
    for (size_t i = 0; i < count && e == PS_OK; i++) {
        if (!many && i > 0)
            ps_stmt_reset(st);
        e = bind_entry(st, many ? (int)(3 * i + 1) : 1, r, from + i, first_idx + i);
        if (e == PS_OK && (!many || i == count - 1))
            e = ps_stmt_step(st, &row);
    }
    ps_stmt_done(st);
    return e;
}

/* Inserts the collected entries as leaves size.. and their tile-level hashes. */
static enum ps_err append_all(struct round *r, struct ps_merkle_frontier *f)
{
    uint64_t first = f->size;
    enum ps_err e = PS_OK;
    for (size_t i = 0; i < r->n && e == PS_OK; i += MANY)
        e = insert_entries(r, i, r->n - i >= MANY ? MANY : r->n - i, first + i);
    struct ps_tiles_emit filter = {emit_hash, r};
    for (size_t i = 0; i < r->n && e == PS_OK; i++) {
        struct ps_hash leaf;
        e = ps_merkle_leaf_hash(r->entries.p + r->rows[i].off, r->rows[i].len, &leaf);
        if (e == PS_OK)
            e = ps_merkle_frontier_append(f, &leaf, ps_tiles_emit_stored, &filter);
    }
    if (e == PS_OK && r->nh > 0)
        e = flush_hashes(r);
    return e;
}

static enum ps_err checkpoint_exists(struct ps_tx *tx, uint64_t size, bool *exists)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &sql_cp_at, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)size);
    if (e == PS_OK)
        e = ps_stmt_step(st, exists);
    ps_stmt_done(st);
    return e;
}

static enum ps_err store_state(struct ps_tx *tx, const struct ps_merkle_frontier *f,
                               const char *last)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &sql_state_set, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)f->size);
    if (e == PS_OK)
        e = last[0] ? ps_stmt_bind_text(st, 2, ps_str_from_cstr(last)) : ps_stmt_bind_null(st, 2);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return e;
}

/* The extension line naming the latest stored checkpoint (checkpoint.h), into ext; nothing
 * when there is none yet. */
static enum ps_err link_previous(struct ps_tx *tx, struct ps_buf *ext)
{
    struct ps_stmt *st = NULL;
    struct ps_checkpoint_link link;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &sql_cp_latest, &st);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && row)
        e = ps_checkpoint_link_make((uint64_t)ps_stmt_i64(st, 0), ps_stmt_text(st, 1), &link);
    if (e == PS_OK && row)
        e = ps_checkpoint_link_format(&link, ext);
    ps_stmt_done(st);
    return e;
}

static enum ps_err sign_and_store(struct ps_tx *tx, const struct ps_tlog_round_in *in,
                                  const struct ps_merkle_frontier *f, const char *last,
                                  struct ps_diag *diag)
{
    struct ps_checkpoint cp = {.origin = in->origin, .size = f->size};
    struct ps_buf text, note, ext;
    ps_buf_init(&text, 4096);
    ps_buf_init(&note, 8192);
    ps_buf_init(&ext, 256);
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_merkle_frontier_root(f, &cp.root);
    if (e == PS_OK)
        e = link_previous(tx, &ext);
    cp.extensions = ext.len ? ps_buf_str(&ext) : PS_STR("");
    if (e == PS_OK)
        e = ps_checkpoint_format(&cp, &text);
    if (e == PS_OK)
        e = ps_note_sign(ps_buf_str(&text), &in->signer, 1, 0, &note, diag);
    if (e == PS_OK)
        e = ps_tx_prepare(tx, &sql_cp_insert, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)f->size);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, ps_clock_now_ms());
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 3, ps_buf_str(&note));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    if (e == PS_OK)
        e = store_state(tx, f, last);
    ps_buf_reset(&text);
    ps_buf_reset(&note);
    ps_buf_reset(&ext);
    return e;
}

static enum ps_err load_frontier(struct ps_tx *tx, const struct ps_tlog_round_in *in,
                                 uint64_t size, struct ps_merkle_frontier *f)
{
    if (in->cache && in->cache->size == size) {
        *f = *in->cache;
        return PS_OK;
    }
    struct ps_tlog_provider pv;
    struct ps_merkle_provider p;
    ps_tlog_provider_init(&pv, tx, &p);
    ps_merkle_frontier_init(f);
    enum ps_err e = ps_merkle_frontier_load(f, &p, size);
    return e == PS_ERR_NOTFOUND ? PS_ERR_INTERNAL : e;
}

enum ps_err ps_tlog_integrate_tx(struct ps_tx *tx, const struct ps_tlog_round_in *in,
                                 struct ps_tlog_round_out *out, struct ps_diag *diag)
{
    struct round r = {.tx = tx, .cap = in->max_records ? in->max_records : PS_TLOG_ROUND_MAX};
    char last[37], from[16];
    uint64_t size = 0;
    memset(out, 0, sizeof *out);
    ps_buf_init(&r.entries, r.cap * 1024 + 4096);
    enum ps_err e = exec_i64(tx, &sql_lock, 0, NULL); /* the sequencer's row lock first */
    if (e == PS_OK)
        e = read_state(tx, &size, last);
    if (e == PS_OK)
        e = load_frontier(tx, in, size, &out->frontier);
    if (e == PS_ERR_INTERNAL)
        ps_diag_set(diag, e, "stored tile hashes do not cover tree size %" PRIu64, size);
    if (e != PS_OK)
        goto out;
    out->old_size = out->new_size = size;
    r.rows = ps_alloc_array(r.cap, sizeof *r.rows);
    if (!r.rows) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (in->sweep && last[0]) {
        if (in->full_sweep)
            from[0] = '\0'; /* every id is >= "" */
        else
            window_start(last, in->sweep_ms ? in->sweep_ms : SWEEP_ROUND_WINDOW_MS, from);
        e = collect(&r, &sql_late_records, from, last, diag);
    }
    if (e == PS_OK)
        e = collect(&r, &sql_new_records, last, NULL, diag);
    if (e != PS_OK)
        goto out;
    bool have = true;
    if (r.n == 0 && in->no_checkpoint)
        goto out;
    if (r.n == 0) {
        e = checkpoint_exists(tx, size, &have);
        if (e != PS_OK || have)
            goto out; /* nothing new: no write beyond the lock */
    }
    e = append_all(&r, &out->frontier);
    for (size_t i = 0; i < r.n; i++)
        if (strcmp(r.rows[i].id, last) > 0)
            memcpy(last, r.rows[i].id, 37);
    bool sign = !in->no_checkpoint && !(in->defer_checkpoint && r.n > 0);
    if (e == PS_OK && !sign)
        e = store_state(tx, &out->frontier, last);
    else if (e == PS_OK)
        e = sign_and_store(tx, in, &out->frontier, last, diag);
    if (e == PS_OK) {
        out->appended = r.n;
        out->new_size = out->frontier.size;
        out->checkpoint = sign;
    }
out:
    if (e != PS_OK && diag->code == PS_OK)
        ps_diag_set(diag, e, "integrating the log: %s", ps_tx_errmsg(tx));
    ps_free(r.rows);
    ps_buf_reset(&r.entries);
    return e;
}

enum ps_err ps_tlog_signer_from_key(const struct ps_key *key, struct ps_str origin,
                                    struct ps_note_signer **out, struct ps_diag *diag)
{
    if (key->alg != PS_ALG_ED25519 || !key->secret_ || key->public_len != 32)
        return ps_diag_set(diag, PS_ERR_INVALID, "the log key must be Ed25519");
    uint8_t seed[crypto_sign_SEEDBYTES];
    crypto_sign_ed25519_sk_to_seed(seed, key->secret_);
    enum ps_err e = ps_note_signer_new(origin, PS_NOTE_ED25519, seed, out);
    sodium_memzero(seed, sizeof seed);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "cannot make the log signer (origin %.*s)",
                           PS_STR_FMT(origin));
    if (memcmp(ps_note_signer_verifier(*out)->pub, key->public_key, 32) != 0) {
        ps_note_signer_free(*out);
        *out = NULL;
        return ps_diag_set(diag, PS_ERR_CRYPTO, "the log key does not match its public key");
    }
    return PS_OK;
}

/* ---- reads ---- */

static enum ps_err append_cosigs(struct ps_tx *tx, uint64_t size, struct ps_buf *note)
{
    struct ps_stmt *st = NULL;
    bool row = true;
    enum ps_err e = ps_tx_prepare(tx, &sql_cosigs, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)size);
    while (e == PS_OK) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        e = ps_buf_append_str(note, ps_stmt_text(st, 0));
        if (e == PS_OK)
            e = ps_buf_append(note, "\n", 1);
    }
    ps_stmt_done(st);
    return e;
}

enum ps_err ps_tlog_latest(struct ps_tx *tx, uint64_t *size, struct ps_buf *note)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &sql_cp_latest, &st);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && !row)
        e = PS_ERR_NOTFOUND;
    if (e == PS_OK) {
        *size = (uint64_t)ps_stmt_i64(st, 0);
        if (note)
            e = ps_buf_append_str(note, ps_stmt_text(st, 1));
    }
    ps_stmt_done(st);
    if (e == PS_OK && note)
        e = append_cosigs(tx, *size, note);
    return e;
}

enum ps_err ps_tlog_checkpoint_at(struct ps_tx *tx, uint64_t size, struct ps_buf *note)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    if (size > INT64_MAX)
        return PS_ERR_NOTFOUND;
    enum ps_err e = ps_tx_prepare(tx, &sql_cp_at, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)size);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && !row)
        e = PS_ERR_NOTFOUND;
    if (e == PS_OK)
        e = ps_buf_append_str(note, ps_stmt_text(st, 0));
    ps_stmt_done(st);
    return e;
}

static enum ps_err entry_bundle(struct ps_tx *tx, const struct ps_tile *t, struct ps_buf *out)
{
    uint64_t lo = t->index * PS_TILE_WIDTH, want = t->width, got = 0;
    struct ps_stmt *st = NULL;
    bool row = true;
    enum ps_err e = ps_tx_prepare(tx, &sql_entries, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)lo);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, (int64_t)(lo + want));
    while (e == PS_OK) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        if ((uint64_t)ps_stmt_i64(st, 0) != lo + got) {
            e = PS_ERR_INTERNAL;
            break;
        }
        e = ps_bundle_append(out, ps_stmt_blob(st, 1));
        got++;
    }
    ps_stmt_done(st);
    if (e == PS_OK && got != want)
        e = PS_ERR_INTERNAL;
    return e;
}

enum ps_err ps_tlog_tile(struct ps_tx *tx, const struct ps_tile *t, struct ps_buf *out)
{
    uint64_t size = 0;
    enum ps_err e = ps_tlog_latest(tx, &size, NULL);
    if (e != PS_OK)
        return e;
    if (!ps_tile_exists(t, size))
        return PS_ERR_NOTFOUND;
    /* an existing tile ends at or below the latest size < 2^63: index * 256 cannot wrap */
    if (t->entries)
        return entry_bundle(tx, t, out);
    struct ps_tlog_provider pv = {.tx = tx};
    pv.stored.hashes = stored_hashes;
    pv.stored.ctx = &pv;
    struct ps_hash *h = ps_alloc_array(PS_TILE_WIDTH, sizeof *h);
    if (!h)
        return PS_ERR_NOMEM;
    e = ps_tile_hashes(&pv.stored, t, h);
    if (e == PS_ERR_NOTFOUND)
        e = PS_ERR_INTERNAL;
    if (e == PS_OK)
        e = ps_buf_append(out, h, (size_t)t->width * PS_HASH_LEN);
    ps_free(h);
    return e;
}

static enum ps_err check_size(struct ps_tx *tx, uint64_t size, struct ps_diag *diag)
{
    uint64_t latest = 0;
    enum ps_err e = ps_tlog_latest(tx, &latest, NULL);
    if (e == PS_ERR_NOTFOUND)
        return ps_diag_set(diag, e, "the log has no checkpoint yet");
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading the latest checkpoint: %s", ps_tx_errmsg(tx));
    if (size > latest)
        return ps_diag_set(diag, PS_ERR_NOTFOUND,
                           "tree size %" PRIu64 " is beyond the latest checkpoint (%" PRIu64 ")",
                           size, latest);
    return PS_OK;
}

static enum ps_err proof_err(struct ps_tx *tx, enum ps_err e, struct ps_diag *diag)
{
    if (e == PS_ERR_NOTFOUND)
        e = PS_ERR_INTERNAL; /* a stored level is missing below the latest checkpoint */
    if (e != PS_OK)
        ps_diag_set(diag, e, "computing the proof: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_tlog_inclusion(struct ps_tx *tx, uint64_t index, uint64_t size,
                              struct ps_merkle_proof *proof, struct ps_diag *diag)
{
    if (index >= size)
        return ps_diag_set(diag, PS_ERR_INVALID, "index %" PRIu64 " is not below size %" PRIu64,
                           index, size);
    enum ps_err e = check_size(tx, size, diag);
    if (e != PS_OK)
        return e;
    struct ps_tlog_provider pv;
    struct ps_merkle_provider p;
    ps_tlog_provider_init(&pv, tx, &p);
    return proof_err(tx, ps_merkle_inclusion_proof(&p, index, size, proof), diag);
}

enum ps_err ps_tlog_consistency(struct ps_tx *tx, uint64_t first, uint64_t second,
                                struct ps_merkle_proof *proof, struct ps_diag *diag)
{
    if (first > second)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "first (%" PRIu64 ") is larger than second (%" PRIu64 ")", first,
                           second);
    enum ps_err e = check_size(tx, second, diag);
    if (e != PS_OK)
        return e;
    proof->len = 0;
    if (first == 0)
        return PS_OK;
    struct ps_tlog_provider pv;
    struct ps_merkle_provider p;
    ps_tlog_provider_init(&pv, tx, &p);
    return proof_err(tx, ps_merkle_consistency_proof(&p, first, second, proof), diag);
}

/* ---- a subject's records ---- */

static struct ps_str dup(struct ps_arena *a, struct ps_str s, bool *ok)
{
    struct ps_str d = ps_arena_str(a, s);
    if (!d.p)
        *ok = false;
    return d;
}

static bool subject_row(struct ps_stmt *st, struct ps_arena *a, struct ps_tlog_subject_row *r)
{
    bool ok = true;
    char time[25];
    memset(r, 0, sizeof *r);
    r->id = dup(a, ps_stmt_text(st, 0), &ok);
    r->kind = dup(a, ps_stmt_text(st, 1), &ok);
    r->actor_kind = dup(a, ps_stmt_text(st, 2), &ok);
    r->actor_id = dup(a, ps_stmt_text(st, 3), &ok);
    r->actor_role = dup(a, ps_stmt_text(st, 11), &ok);
    r->actor_agency = dup(a, ps_stmt_text(st, 12), &ok);
    r->action = dup(a, ps_stmt_text(st, 4), &ok);
    r->resource = dup(a, ps_stmt_text(st, 5), &ok);
    r->purpose = dup(a, ps_stmt_text(st, 6), &ok);
    ps_clock_fmt_rfc3339(ps_stmt_i64(st, 7), time);
    r->time = dup(a, ps_str_from_cstr(time), &ok);
    struct ps_str salt = ps_stmt_blob(st, 8);
    r->has_salt = salt.len == PS_TLOG_SALT_LEN;
    if (r->has_salt)
        memcpy(r->salt, salt.p, PS_TLOG_SALT_LEN);
    r->sequenced = !ps_stmt_is_null(st, 9);
    if (r->sequenced) {
        r->index = (uint64_t)ps_stmt_i64(st, 9);
        r->entry = dup(a, ps_stmt_blob(st, 10), &ok);
    }
    return ok;
}

enum ps_err ps_tlog_subject_rows(struct ps_tx *tx, struct ps_str subject, struct ps_str before,
                                 size_t limit, struct ps_arena *arena,
                                 struct ps_tlog_subject_row *rows, size_t *n)
{
    struct ps_stmt *st = NULL;
    bool row = true;
    *n = 0;
    if (limit == 0 || limit > PS_TLOG_PAGE_MAX)
        return PS_ERR_INVALID;
    enum ps_err e = ps_tx_prepare(tx, &sql_subject, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, subject);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, before.p ? before : PS_STR(""));
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 3, (int64_t)limit);
    while (e == PS_OK && *n < limit) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        if (!subject_row(st, arena, &rows[*n]))
            e = PS_ERR_NOMEM;
        else
            (*n)++;
    }
    ps_stmt_done(st);
    return e;
}

enum ps_err ps_tlog_rows_proofs(struct ps_tx *tx, const struct ps_tlog_subject_row *rows,
                                size_t n, struct ps_merkle_proof *proofs, uint64_t *size,
                                struct ps_buf *note, struct ps_diag *diag)
{
    enum ps_err e = ps_tlog_latest(tx, size, note);
    for (size_t i = 0; i < n; i++)
        proofs[i].len = 0;
    if (e == PS_ERR_NOTFOUND) {
        *size = 0; /* no checkpoint yet: nothing is provable */
        return PS_OK;
    }
    for (size_t i = 0; i < n && e == PS_OK; i++) {
        if (rows[i].sequenced && rows[i].index < *size)
            e = ps_tlog_inclusion(tx, rows[i].index, *size, &proofs[i], diag);
    }
    return e;
}

/* ---- witnesses ---- */

enum ps_err ps_tlog_witnesses(struct ps_tx *tx, struct ps_note_verifier *out, size_t cap,
                              size_t *n, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    *n = 0;
    enum ps_err e = ps_tx_prepare(tx, &sql_meta, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, PS_STR(PS_TLOG_WITNESSES_META));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    struct ps_str v = row ? ps_stmt_text(st, 0) : PS_STR("");
    size_t i = 0;
    while (e == PS_OK && i < v.len) {
        const char *nl = memchr(v.p + i, '\n', v.len - i);
        size_t end = nl ? (size_t)(nl - v.p) : v.len;
        struct ps_str line = {v.p + i, end - i};
        i = end + 1;
        if (line.len && line.p[line.len - 1] == '\r')
            line.len--;
        if (line.len == 0)
            continue;
        if (*n == cap) {
            e = ps_diag_set(diag, PS_ERR_LIMIT, "more than %zu witnesses configured", cap);
            break;
        }
        struct ps_diag d = {0};
        e = ps_note_verifier_parse(line, &out[*n], &d);
        if (e == PS_OK && out[*n].type != PS_NOTE_COSIG_V1)
            e = ps_diag_set(&d, PS_ERR_INVALID, "not a cosignature/v1 key");
        if (e != PS_OK)
            ps_diag_set(diag, PS_ERR_INVALID, "witness key %zu in meta %s: %s", *n + 1,
                        PS_TLOG_WITNESSES_META, d.message);
        else
            (*n)++;
    }
    ps_stmt_done(st);
    return e;
}

_Static_assert(PS_TLOG_WITNESS_NAME_MAX + sizeof "witnesses/" - 1 + 9 == PS_ACCESS_RESOURCE_MAX,
               "a witness's change resource must fit the access_log limit");

/* The configured list being edited (about 5 KiB: on the heap, not a committer's stack). */
struct witness_edit {
    struct ps_note_verifier v[PS_TLOG_MAX_WITNESSES];
    size_t n;
    struct ps_buf text;
};

static enum ps_err witness_edit_new(struct ps_tx *tx, struct witness_edit **out,
                                    struct ps_diag *diag)
{
    struct witness_edit *w = ps_calloc(1, sizeof *w);
    *out = w;
    if (!w)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    ps_buf_init(&w->text, PS_TLOG_MAX_WITNESSES * (PS_NOTE_MAX_NAME + 64));
    enum ps_err e = ps_tlog_witnesses(tx, w->v, PS_TLOG_MAX_WITNESSES, &w->n, diag);
    if (e != PS_OK && diag->code == PS_OK)
        ps_diag_set(diag, e, "reading the configured witnesses: %s", ps_tx_errmsg(tx));
    return e;
}

static void witness_edit_free(struct witness_edit *w)
{
    if (!w)
        return;
    ps_buf_reset(&w->text);
    ps_free(w);
}

/* Writes the edited list back in canonical form and records the change `action` of v. */
static enum ps_err witness_commit(struct ps_tx *tx, struct witness_edit *w,
                                  const struct ps_actor *actor, const char *action,
                                  const struct ps_note_verifier *v, struct ps_str reason,
                                  struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    char resource[PS_ACCESS_RESOURCE_MAX + 1];
    enum ps_err e = PS_OK;
    for (size_t i = 0; i < w->n && e == PS_OK; i++) {
        e = ps_note_verifier_format(&w->v[i], &w->text);
        if (e == PS_OK)
            e = ps_buf_append(&w->text, "\n", 1);
    }
    if (e == PS_OK)
        e = ps_tx_prepare(tx, &sql_meta_put, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, PS_STR(PS_TLOG_WITNESSES_META));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, ps_buf_str(&w->text));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "storing the witness list: %s", ps_tx_errmsg(tx));
    int n = snprintf(resource, sizeof resource, "witnesses/%s+%08" PRIx32, v->name, v->key_id);
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INVALID, "witness name %s is too long", v->name);
    return ps_tlog_record_change(tx, actor, action, PS_STR(""), ps_str_from_cstr(resource),
                                 reason, diag);
}

static size_t witness_find(const struct witness_edit *w, struct ps_str name)
{
    size_t i = 0;
    while (i < w->n && !ps_str_eq((struct ps_str){w->v[i].name, w->v[i].name_len}, name))
        i++;
    return i;
}

static enum ps_err witness_parse(struct ps_str vkey, struct ps_note_verifier *v,
                                 struct ps_diag *diag)
{
    struct ps_diag d = {0};
    if (ps_note_verifier_parse(vkey, v, &d) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "witness key: %s", d.message);
    if (v->type != PS_NOTE_COSIG_V1)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "witness key %s+%08" PRIx32 " is of type 0x%02x, not cosignature/v1 "
                           "(0x04): witnesses cosign with timestamped keys",
                           v->name, v->key_id, v->type);
    if (v->name_len > PS_TLOG_WITNESS_NAME_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "witness name longer than %d bytes",
                           PS_TLOG_WITNESS_NAME_MAX);
    return PS_OK;
}

enum ps_err ps_tlog_witness_add(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str vkey,
                                struct ps_str reason, struct ps_note_verifier *added,
                                struct ps_diag *diag)
{
    struct ps_note_verifier v;
    struct witness_edit *w = NULL;
    enum ps_err e = witness_parse(vkey, &v, diag);
    if (e == PS_OK)
        e = witness_edit_new(tx, &w, diag);
    if (e != PS_OK)
        goto out;
    size_t i = witness_find(w, (struct ps_str){v.name, v.name_len});
    if (i < w->n && w->v[i].key_id == v.key_id)
        e = ps_diag_set(diag, PS_ERR_EXISTS, "witness %s+%08" PRIx32 " is already configured",
                        v.name, v.key_id);
    else if (i < w->n)
        e = ps_diag_set(diag, PS_ERR_EXISTS,
                        "witness %s is already configured (key %08" PRIx32 "): remove it "
                        "first to change its key", v.name, w->v[i].key_id);
    else if (w->n == PS_TLOG_MAX_WITNESSES)
        e = ps_diag_set(diag, PS_ERR_LIMIT, "at most %d witnesses can be configured",
                        PS_TLOG_MAX_WITNESSES);
    if (e != PS_OK)
        goto out;
    w->v[w->n++] = v;
    e = witness_commit(tx, w, actor, "tlog.witness.add", &v, reason, diag);
    if (e == PS_OK && added)
        *added = v;
out:
    witness_edit_free(w);
    return e;
}

enum ps_err ps_tlog_witness_remove(struct ps_tx *tx, const struct ps_actor *actor,
                                   struct ps_str name, struct ps_str reason,
                                   struct ps_note_verifier *removed, struct ps_diag *diag)
{
    struct witness_edit *w = NULL;
    enum ps_err e = witness_edit_new(tx, &w, diag);
    if (e != PS_OK)
        goto out;
    size_t i = witness_find(w, name);
    if (i == w->n) {
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "no witness named %.*s is configured",
                        (int)(name.len > PS_NOTE_MAX_NAME ? PS_NOTE_MAX_NAME : name.len),
                        name.p ? name.p : "");
        goto out;
    }
    struct ps_note_verifier v = w->v[i];
    memmove(&w->v[i], &w->v[i + 1], (w->n - i - 1) * sizeof w->v[0]);
    w->n--;
    e = witness_commit(tx, w, actor, "tlog.witness.remove", &v, reason, diag);
    if (e == PS_OK && removed)
        *removed = v;
out:
    witness_edit_free(w);
    return e;
}

/* True when sig is a line of the log's own key (same name and key id as a line of stored). */
static bool is_log_line(const struct ps_note *stored, const struct ps_note_sig *sig)
{
    for (size_t i = 0; i < stored->nsigs; i++)
        if (ps_str_eq(stored->sigs[i].name, sig->name) && stored->sigs[i].key_id == sig->key_id)
            return true;
    return false;
}

struct cosig_work {
    struct ps_note note, stored;
    struct ps_note_verifier wit[PS_TLOG_MAX_WITNESSES];
    struct ps_note_check checks[PS_TLOG_MAX_WITNESSES];
    struct ps_buf stored_text;
    size_t nwit;
    uint64_t size;
};

static enum ps_err cosig_check(struct ps_tx *tx, struct cosig_work *w, struct ps_str msg,
                               struct ps_diag *diag)
{
    struct ps_checkpoint cp;
    struct ps_diag d = {0};
    enum ps_err e = ps_note_parse(msg, &w->note, &d);
    if (e == PS_OK)
        e = ps_checkpoint_parse(w->note.text, &cp, &d);
    if (e != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "not a checkpoint note: %s", d.message);
    w->size = cp.size;
    e = ps_tlog_checkpoint_at(tx, cp.size, &w->stored_text);
    if (e == PS_ERR_NOTFOUND)
        return ps_diag_set(diag, e, "no checkpoint of size %" PRIu64 " was published", cp.size);
    if (e == PS_OK)
        e = ps_note_parse(ps_buf_str(&w->stored_text), &w->stored, diag);
    if (e != PS_OK)
        return e;
    if (!ps_str_eq(w->stored.text, w->note.text))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "the checkpoint text differs from the published one of size %" PRIu64,
                           cp.size);
    e = ps_tlog_witnesses(tx, w->wit, PS_TLOG_MAX_WITNESSES, &w->nwit, diag);
    if (e == PS_OK && w->nwit > 0)
        e = ps_note_check(&w->note, w->wit, w->nwit, w->checks);
    return e;
}

static enum ps_err cosig_store(struct ps_tx *tx, struct cosig_work *w, size_t wi, size_t *stored)
{
    const struct ps_note_sig *s = &w->note.sigs[w->checks[wi].sig];
    struct ps_buf line;
    ps_buf_init(&line, PS_NOTE_MAX_NAME + PS_NOTE_MAX_SIG_BYTES * 2);
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_buf_printf(&line, PS_NOTE_SIG_PREFIX "%.*s %.*s", PS_STR_FMT(s->name),
                                  PS_STR_FMT(s->b64));
    if (e == PS_OK)
        e = ps_tx_prepare(tx, &sql_cosig_insert, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 1, (int64_t)w->size);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, s->name);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 3, ps_buf_str(&line));
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 4, ps_clock_now_ms());
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && ps_tx_changes(tx) > 0)
        (*stored)++;
    ps_stmt_done(st);
    ps_buf_reset(&line);
    return e;
}

static enum ps_err cosignatures(struct ps_tx *tx, struct ps_str note, bool store,
                                size_t *stored, struct ps_diag *diag)
{
    *stored = 0;
    struct cosig_work *w = ps_calloc(1, sizeof *w);
    if (!w)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    ps_buf_init(&w->stored_text, PS_NOTE_MAX_BYTES);
    enum ps_err e = cosig_check(tx, w, note, diag);
    for (size_t i = 0; i < w->note.nsigs && e == PS_OK; i++) {
        const struct ps_note_sig *s = &w->note.sigs[i];
        size_t wi = 0;
        while (wi < w->nwit && !(w->checks[wi].result != PS_NOTE_ABSENT && w->checks[wi].sig == i))
            wi++;
        if (wi == w->nwit) {
            if (!is_log_line(&w->stored, s))
                e = ps_diag_set(diag, PS_ERR_INVALID,
                                "signature line %zu (%.*s): not a configured witness key, or a "
                                "repeated one", i + 1, PS_STR_FMT(s->name));
        } else if (w->checks[wi].result != PS_NOTE_VALID) {
            e = ps_diag_set(diag, PS_ERR_INVALID, "cosignature of %.*s does not verify",
                            PS_STR_FMT(s->name));
        }
    }
    for (size_t wi = 0; wi < w->nwit && e == PS_OK && store; wi++)
        if (w->checks[wi].result == PS_NOTE_VALID)
            e = cosig_store(tx, w, wi, stored);
    if (e != PS_OK && diag->code == PS_OK)
        ps_diag_set(diag, e, "storing cosignatures: %s", ps_tx_errmsg(tx));
    ps_buf_reset(&w->stored_text);
    ps_free(w);
    return e;
}

enum ps_err ps_tlog_add_cosignatures(struct ps_tx *tx, struct ps_str note, size_t *stored,
                                     struct ps_diag *diag)
{
    return cosignatures(tx, note, true, stored, diag);
}

enum ps_err ps_tlog_check_cosignatures(struct ps_tx *tx, struct ps_str note,
                                       struct ps_diag *diag)
{
    size_t none;
    return cosignatures(tx, note, false, &none, diag);
}

static const struct ps_sql sql_missing = {
    "tlog.missing_records",
    "SELECT count(*), COALESCE(min(a.id), '') FROM access_log a WHERE a.id < $1 AND NOT EXISTS "
    "(SELECT 1 FROM tlog_entries e WHERE e.record_id = a.id)"};

static const struct ps_sql sql_newest = {"tlog.newest_record", "SELECT max(id) FROM access_log"};

/* The newest record id into newest ("" for an empty table), if it is above newest already. */
static enum ps_err newest_record(struct ps_tx *tx, char newest[37])
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &sql_newest, &st);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && row) {
        struct ps_str id = ps_stmt_text(st, 0);
        if (id.len == 36 && (!newest[0] || memcmp(id.p, newest, 36) > 0)) {
            memcpy(newest, id.p, 36);
            newest[36] = '\0';
        }
    }
    ps_stmt_done(st);
    return e;
}

enum ps_err ps_tlog_missing_records(struct ps_tx *tx, uint64_t window_ms, uint64_t *count,
                                    char first[37], struct ps_diag *diag)
{
    char newest[37], from[16];
    uint64_t size = 0;
    *count = 0;
    first[0] = '\0';
    enum ps_err e = read_state(tx, &size, newest);
    if (e == PS_OK)
        e = newest_record(tx, newest);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading the log state: %s", ps_tx_errmsg(tx));
    if (!newest[0])
        return PS_OK; /* nothing recorded */
    if (window_ms == 0)
        memcpy(from, "~", 2); /* above every id: all of them */
    else
        window_start(newest, window_ms, from);
    if (!from[0])
        return PS_OK; /* all of it inside the window */
    struct ps_stmt *st = NULL;
    bool row = false;
    e = ps_tx_prepare(tx, &sql_missing, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(from));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && row) {
        *count = (uint64_t)ps_stmt_i64(st, 0);
        if (ps_str_copy(first, 37, ps_stmt_text(st, 1)) != PS_OK)
            first[0] = '\0';
    }
    ps_stmt_done(st);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "looking for records missing from the log: %s",
                           ps_tx_errmsg(tx));
    return PS_OK;
}
