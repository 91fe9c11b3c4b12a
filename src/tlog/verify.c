/* Whole-log verification in one streaming pass: entries are read 256 at a time, hashed and
 * appended to a Merkle frontier whose emitted tile-level hashes are compared with the stored
 * ones; checkpoints, opened beforehand, are checked when the frontier reaches their size.
 * Pure: the log comes through a struct ps_tlog_source (the store's is verify_store.c). */
#include "core/str.h"
#include "tlog/verify.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "tlog/checkpoint.h"
#include "tlog/tiles.h"

#define CHUNK PS_TILE_WIDTH
#define MAX_TILE_LEVELS 8 /* tree levels 8, 16, ..., 64 */
#define NO_BLOCK UINT64_MAX

/* A checkpoint that opened (or the reason it did not, for the first bad one). */
struct cp {
    uint64_t size;
    struct ps_hash root;
};

/* The stored hashes of one 256-aligned block of a tile level, fetched when needed. */
struct level_cache {
    uint64_t block;
    struct ps_hash h[CHUNK];
    uint8_t present[CHUNK];
};

struct vstate {
    const struct ps_tlog_source *src;
    const struct ps_tlog_verify_opts *o;
    struct ps_tlog_report *rep;
    struct ps_diag *diag;
    struct ps_str origin;
    uint64_t total;
    /* checkpoints */
    struct ps_note *note;
    struct ps_buf cosig_msg; /* a stored note with one cosignature line appended */
    struct cp *cps;
    size_t ncps, capcps;
    bool have_bad_cp;
    uint64_t bad_cp_size;
    char bad_cp_msg[256];
    /* the checkpoint delivered last (for the next one's link) */
    bool have_prev;
    struct ps_checkpoint_link prev;
    /* the chunk being read */
    uint64_t chunk_first, chunk_n, expect;
    bool chunk_bad;
    uint64_t chunk_bad_index;
    char chunk_bad_msg[256];
    struct ps_hash leaf[CHUNK];
    struct level_cache l0;
    /* tile levels above 0 */
    struct level_cache *up; /* MAX_TILE_LEVELS of them, heap */
    struct ps_merkle_frontier f;
    bool found; /* a problem was reported */
};

static enum ps_err problem(struct vstate *v, enum ps_tlog_problem kind, uint64_t index,
                           unsigned level, const char *fmt, ...) PS_PRINTF(5, 6);

enum ps_err ps_tlog_report_vset(struct ps_tlog_report *rep, struct ps_diag *diag,
                                enum ps_tlog_problem kind, uint64_t index, unsigned level,
                                const char *fmt, va_list ap)
{
    ps_str_vcut(rep->message, sizeof rep->message, fmt, ap);
    rep->problem = kind;
    rep->index = index;
    rep->level = level;
    return ps_diag_set(diag, PS_ERR_CRYPTO, "%s", rep->message);
}

static enum ps_err problem(struct vstate *v, enum ps_tlog_problem kind, uint64_t index,
                           unsigned level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum ps_err err = ps_tlog_report_vset(v->rep, v->diag, kind, index, level, fmt, ap);
    va_end(ap);
    v->found = true;
    return err;
}

/* ---- entry format ---- */

enum ps_err ps_tlog_entry_check_json(void *ctx, uint64_t index, struct ps_str entry,
                                     struct ps_diag *diag)
{
    (void)ctx;
    (void)index;
    enum ps_err err = PS_OK;
    json_error_t je;
    json_t *v = NULL;
    char *again = NULL;
    if (entry.len == 0 || entry.len > PS_BUNDLE_MAX_ENTRY)
        return ps_diag_set(diag, PS_ERR_INVALID, "entry is empty or longer than %d bytes",
                           PS_BUNDLE_MAX_ENTRY);
    v = json_loadb(entry.p, entry.len, JSON_REJECT_DUPLICATES, &je);
    if (!v) {
        err = ps_diag_set(diag, PS_ERR_INVALID, "entry is not JSON (%s at byte %d)", je.text,
                          je.position);
        goto out;
    }
    if (!json_is_object(v)) {
        err = ps_diag_set(diag, PS_ERR_INVALID, "entry is not a JSON object");
        goto out;
    }
    again = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!again) {
        err = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory re-serializing the entry");
        goto out;
    }
    if (strlen(again) != entry.len || memcmp(again, entry.p, entry.len) != 0)
        err = ps_diag_set(diag, PS_ERR_INVALID, "entry is not canonical compact JSON");
out:
    ps_free(again); /* jansson allocates through ps_malloc (core/alloc.h) */
    json_decref(v);
    return err;
}

/* ---- checkpoints, opened before the pass ---- */

static void key_label(const struct ps_tlog_verify_opts *o, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s+%08" PRIx32, o->keys[0].name, o->keys[0].key_id);
    if (n < 0 || (size_t)n >= cap)
        out[0] = '\0';
}

static void bad_cp(struct vstate *v, uint64_t size, const char *fmt, ...) PS_PRINTF(3, 4);

static void bad_cp(struct vstate *v, uint64_t size, const char *fmt, ...)
{
    if (v->have_bad_cp && v->bad_cp_size <= size)
        return; /* the first one in size order is the one reported */
    va_list ap;
    va_start(ap, fmt);
    ps_str_vcut(v->bad_cp_msg, sizeof v->bad_cp_msg, fmt, ap);
    va_end(ap);
    v->have_bad_cp = true;
    v->bad_cp_size = size;
}

static enum ps_err push_cp(struct vstate *v, uint64_t size, const struct ps_hash *root)
{
    if (v->ncps == v->capcps) {
        size_t cap = v->capcps ? v->capcps * 2 : 64, bytes;
        if (!ps_size_mul(cap, sizeof *v->cps, &bytes))
            return PS_ERR_LIMIT;
        struct cp *n = ps_realloc(v->cps, bytes);
        if (!n)
            return PS_ERR_NOMEM;
        v->cps = n;
        v->capcps = cap;
    }
    v->cps[v->ncps++] = (struct cp){size, *root};
    return PS_OK;
}

/* With opts->chain: a checkpoint that links to a previous one must name the checkpoint
 * delivered just before it (a deleted one in between, or before the first, leaves a link to a
 * checkpoint the log no longer has). One without a link was signed before links existed. */
static bool check_link(struct vstate *v, uint64_t size, struct ps_str extensions)
{
    struct ps_checkpoint_link link;
    struct ps_diag d = {0};
    bool found = false;
    if (ps_checkpoint_link_parse(extensions, &found, &link, &d) != PS_OK) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": %s", size, d.message);
        return false;
    }
    if (!found || !v->o->chain)
        return true;
    if (link.size >= size) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": names checkpoint size %" PRIu64
               " as the one before it", size, link.size);
        return false;
    }
    if (!v->have_prev || v->prev.size < link.size) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": the checkpoint signed before it, size %" PRIu64
               ", is missing from the log", size, link.size);
        return false;
    }
    if (v->prev.size != link.size) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": the checkpoint before it is size %" PRIu64
               ", not the size %" PRIu64 " it names", size, v->prev.size, link.size);
        return false;
    }
    if (!ps_hash_eq(&v->prev.note_hash, &link.note_hash)) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": checkpoint size %" PRIu64
               " is not the one it was signed after", size, link.size);
        return false;
    }
    return true;
}

static enum ps_err open_checkpoint(struct vstate *v, uint64_t size, struct ps_str msg)
{
    struct ps_diag d = {0};
    struct ps_checkpoint c;
    char key[PS_NOTE_MAX_NAME + 16];
    if (v->ncps > 0 && size <= v->cps[v->ncps - 1].size) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": out of order", size);
        return PS_OK;
    }
    if (ps_note_parse(msg, v->note, &d) != PS_OK) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": malformed note: %s", size, d.message);
        return PS_OK;
    }
    if (ps_note_verify(v->note, v->o->keys, v->o->nkeys, NULL, &d) != PS_OK) {
        key_label(v->o, key, sizeof key);
        bad_cp(v, size, "checkpoint size %" PRIu64 ": signature does not verify with key %s", size,
               key);
        return PS_OK;
    }
    if (ps_checkpoint_parse(v->note->text, &c, &d) != PS_OK) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": malformed checkpoint: %s", size, d.message);
        return PS_OK;
    }
    if (!ps_str_eq(c.origin, v->origin)) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": origin is not %.*s", size,
               PS_STR_FMT(v->origin));
        return PS_OK;
    }
    if (c.size != size) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": the note states size %" PRIu64, size, c.size);
        return PS_OK;
    }
    if (!check_link(v, size, c.extensions))
        return PS_OK;
    if (push_cp(v, size, &c.root) != PS_OK)
        return ps_diag_set(v->diag, PS_ERR_NOMEM, "out of memory collecting checkpoints");
    return PS_OK;
}

/* Every checkpoint row, opened (open_checkpoint) and remembered as the predecessor of the
 * next one, whose link must name it. */
static enum ps_err on_checkpoint(void *ctx, uint64_t size, struct ps_str msg)
{
    struct vstate *v = ctx;
    enum ps_err err = open_checkpoint(v, size, msg);
    if (err)
        return err;
    if (ps_checkpoint_link_make(size, msg, &v->prev) != PS_OK)
        return ps_diag_set(v->diag, PS_ERR_CRYPTO, "SHA-256 failed");
    v->have_prev = true;
    return PS_OK;
}

/* ---- stored hashes ---- */

struct fill {
    uint64_t first, count;
    struct level_cache *c;
};

static enum ps_err on_hash(void *ctx, uint64_t index, struct ps_str bytes)
{
    struct fill *f = ctx;
    if (index < f->first || index - f->first >= f->count)
        return PS_OK; /* not asked for: ignored */
    size_t i = (size_t)(index - f->first);
    if (bytes.len != PS_HASH_LEN)
        return PS_OK; /* stays absent; reported as missing */
    memcpy(f->c->h[i].b, bytes.p, PS_HASH_LEN);
    f->c->present[i] = 1;
    return PS_OK;
}

/* Fetches the block of 256 stored hashes of `level` that holds `index`, up to `have` (the
 * number of complete subtrees at that level). */
static enum ps_err load_block(struct vstate *v, struct level_cache *c, unsigned level,
                              uint64_t index, uint64_t have)
{
    uint64_t block = index - index % CHUNK;
    if (c->block == block)
        return PS_OK;
    uint64_t count = have - block < CHUNK ? have - block : CHUNK;
    memset(c->present, 0, sizeof c->present);
    c->block = NO_BLOCK;
    struct fill f = {block, count, c};
    enum ps_err err = v->src->hashes(v->src->ctx, level, block, count, on_hash, &f, v->diag);
    if (err)
        return err;
    c->block = block;
    return PS_OK;
}

static enum ps_err on_emit(void *ctx, unsigned level, uint64_t index, const struct ps_hash *h)
{
    struct vstate *v = ctx;
    if (level == 0 || level % PS_TILE_HEIGHT != 0)
        return PS_OK;
    unsigned q = level / PS_TILE_HEIGHT - 1;
    if (q >= MAX_TILE_LEVELS)
        return PS_OK;
    struct level_cache *c = &v->up[q];
    uint64_t have = level >= 64 ? 0 : v->total >> level;
    enum ps_err err = load_block(v, c, level, index, have);
    if (err)
        return err;
    size_t i = (size_t)(index - c->block);
    uint64_t lo = index << level, hi = ((index + 1) << level) - 1;
    if (!c->present[i])
        return problem(v, PS_TLOG_BAD_HASH, index, level,
                       "stored hash level %u index %" PRIu64 " (entries %" PRIu64 "..%" PRIu64
                       ") is missing",
                       level, index, lo, hi);
    if (!ps_hash_eq(&c->h[i], h))
        return problem(v, PS_TLOG_BAD_HASH, index, level,
                       "stored hash level %u index %" PRIu64 " does not match entries %" PRIu64
                       "..%" PRIu64,
                       level, index, lo, hi);
    return PS_OK;
}

/* ---- entries ---- */

static void bad_entry(struct vstate *v, uint64_t index, const char *fmt, ...) PS_PRINTF(3, 4);

static void bad_entry(struct vstate *v, uint64_t index, const char *fmt, ...)
{
    if (v->chunk_bad && v->chunk_bad_index <= index)
        return;
    va_list ap;
    va_start(ap, fmt);
    ps_str_vcut(v->chunk_bad_msg, sizeof v->chunk_bad_msg, fmt, ap);
    va_end(ap);
    v->chunk_bad = true;
    v->chunk_bad_index = index;
}

static enum ps_err on_entry(void *ctx, uint64_t index, struct ps_str entry)
{
    struct vstate *v = ctx;
    uint64_t end = v->chunk_first + v->chunk_n;
    if (index < v->chunk_first || index >= end)
        return PS_OK; /* not asked for */
    if (index < v->expect) {
        bad_entry(v, index, "entry %" PRIu64 ": delivered twice or out of order", index);
        return PS_OK;
    }
    if (index > v->expect)
        bad_entry(v, v->expect, "entry %" PRIu64 " is missing", v->expect);
    v->expect = index + 1;
    struct ps_diag d = {0};
    ps_tlog_entry_check_fn check = v->o->entry_check ? v->o->entry_check : ps_tlog_entry_check_json;
    if (check(v->o->entry_ctx, index, entry, &d) != PS_OK) {
        bad_entry(v, index, "entry %" PRIu64 ": %s", index, d.message);
        return PS_OK;
    }
    enum ps_err err = ps_merkle_leaf_hash(entry.p, entry.len, &v->leaf[index - v->chunk_first]);
    if (err)
        return ps_diag_set(v->diag, err, "SHA-256 failed");
    return PS_OK;
}

/* ---- checkpoints during the pass ---- */

struct hprov {
    struct vstate *v;
};

struct afill {
    uint64_t first, count, got;
    struct ps_hash *out;
    bool gap;
};

static enum ps_err on_hash_array(void *ctx, uint64_t index, struct ps_str bytes)
{
    struct afill *a = ctx;
    if (index != a->first + a->got || a->got >= a->count || bytes.len != PS_HASH_LEN) {
        a->gap = true;
        return PS_OK;
    }
    memcpy(a->out[a->got++].b, bytes.p, PS_HASH_LEN);
    return PS_OK;
}

/* A merkle provider over the source's stored hashes (for consistency proofs). */
static enum ps_err source_hashes(void *ctx, unsigned level, uint64_t first, size_t count,
                                 struct ps_hash *out)
{
    struct vstate *v = ctx;
    struct afill a = {first, count, 0, out, false};
    enum ps_err err = v->src->hashes(v->src->ctx, level, first, count, on_hash_array, &a, v->diag);
    if (err)
        return err;
    return a.gap || a.got != count ? PS_ERR_NOTFOUND : PS_OK;
}

static enum ps_err check_consistency(struct vstate *v, const struct cp *prev, const struct cp *cur)
{
    struct ps_merkle_provider stored = {source_hashes, v}, all;
    struct ps_tiles_adapter ad;
    struct ps_merkle_proof proof;
    ps_tiles_provider(&ad, &stored, &all);
    enum ps_err err = ps_merkle_consistency_proof(&all, prev->size, cur->size, &proof);
    if (err == PS_ERR_NOTFOUND)
        return problem(v, PS_TLOG_BAD_CHECKPOINT, cur->size, 0,
                       "checkpoint size %" PRIu64 ": stored hashes for a consistency proof "
                       "from size %" PRIu64 " are missing",
                       cur->size, prev->size);
    if (err)
        return err;
    if (ps_merkle_verify_consistency(prev->size, cur->size, proof.h, proof.len, &prev->root,
                                     &cur->root) != PS_OK)
        return problem(v, PS_TLOG_BAD_CHECKPOINT, cur->size, 0,
                       "checkpoint size %" PRIu64 ": not consistent with checkpoint size %" PRIu64,
                       cur->size, prev->size);
    return PS_OK;
}

/* Checks every checkpoint of size f.size (at most one good one; a bad one reported). */
static enum ps_err at_size(struct vstate *v, size_t *next)
{
    uint64_t s = v->f.size;
    if (v->have_bad_cp && v->bad_cp_size == s)
        return problem(v, PS_TLOG_BAD_CHECKPOINT, s, 0, "%s", v->bad_cp_msg);
    if (*next >= v->ncps || v->cps[*next].size != s)
        return PS_OK;
    struct ps_hash root;
    enum ps_err err = ps_merkle_frontier_root(&v->f, &root);
    if (err)
        return err;
    const struct cp *cur = &v->cps[*next];
    if (!ps_hash_eq(&root, &cur->root)) {
        if (s == 0)
            return problem(v, PS_TLOG_BAD_CHECKPOINT, s, 0,
                           "checkpoint size 0: root is not the empty tree's");
        return problem(v, PS_TLOG_BAD_CHECKPOINT, s, 0,
                       "checkpoint size %" PRIu64 ": root does not match entries 0..%" PRIu64, s,
                       s - 1);
    }
    if (*next > 0 && v->cps[*next - 1].size > 0) {
        err = check_consistency(v, &v->cps[*next - 1], cur);
        if (err)
            return err;
    }
    v->rep->checkpoints++;
    (*next)++;
    return PS_OK;
}

/* ---- the pass ---- */

static enum ps_err read_chunk(struct vstate *v, uint64_t first, uint64_t n)
{
    v->chunk_first = first;
    v->chunk_n = n;
    v->expect = first;
    v->chunk_bad = false;
    enum ps_err err = v->src->entries(v->src->ctx, first, n, on_entry, v, v->diag);
    if (err)
        return err;
    if (v->expect < first + n)
        bad_entry(v, v->expect, "entry %" PRIu64 " is missing", v->expect);
    return load_block(v, &v->l0, 0, first, v->total);
}

static enum ps_err one_leaf(struct vstate *v, uint64_t idx, size_t *next)
{
    size_t i = (size_t)(idx - v->chunk_first);
    if (v->chunk_bad && v->chunk_bad_index == idx)
        return problem(v, PS_TLOG_BAD_ENTRY, idx, 0, "%s", v->chunk_bad_msg);
    if (!v->l0.present[i])
        return problem(v, PS_TLOG_BAD_ENTRY, idx, 0,
                       "entry %" PRIu64 ": stored leaf hash (tile level 0) is missing", idx);
    if (!ps_hash_eq(&v->leaf[i], &v->l0.h[i]))
        return problem(v, PS_TLOG_BAD_ENTRY, idx, 0,
                       "entry %" PRIu64 ": leaf hash does not match stored tile hash", idx);
    enum ps_err err = ps_merkle_frontier_append(&v->f, &v->leaf[i], on_emit, v);
    if (err)
        return err;
    return at_size(v, next);
}

static enum ps_err walk(struct vstate *v)
{
    size_t next = 0;
    enum ps_err err = at_size(v, &next);
    for (uint64_t first = 0; !err && first < v->total; first += CHUNK) {
        uint64_t n = v->total - first < CHUNK ? v->total - first : CHUNK;
        err = read_chunk(v, first, n);
        for (uint64_t k = 0; !err && k < n; k++)
            err = one_leaf(v, first + k, &next);
        if (!err && v->o->progress && ((first + n) % 65536 == 0 || first + n == v->total))
            v->o->progress(v->o->progress_ctx, first + n, v->total);
    }
    return err;
}

/* ---- witness cosignatures ---- */

/* The opened checkpoint of size (cps is in increasing size order); NULL when none opened. */
static const struct cp *find_cp(const struct vstate *v, uint64_t size)
{
    size_t lo = 0, hi = v->ncps;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->cps[mid].size < size)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < v->ncps && v->cps[lo].size == size ? &v->cps[lo] : NULL;
}

/* The key name of a signature line "— <name> <base64>" (for messages; "?" when malformed). */
static struct ps_str line_name(struct ps_str line)
{
    static const char prefix[] = PS_NOTE_SIG_PREFIX;
    if (line.len <= sizeof prefix - 1 || memcmp(line.p, prefix, sizeof prefix - 1) != 0)
        return PS_STR("?");
    struct ps_str rest = {line.p + sizeof prefix - 1, line.len - (sizeof prefix - 1)};
    const char *sp = memchr(rest.p, ' ', rest.len);
    return sp ? (struct ps_str){rest.p, (size_t)(sp - rest.p)} : PS_STR("?");
}

/* Whether the configured witness that line belongs to (if any) verifies it over the note's
 * checkpoint: the note with the line appended is checked as the log serves it. */
static enum ps_err check_cosig(struct vstate *v, uint64_t size, struct ps_str line,
                               struct ps_str note, struct ps_str name)
{
    struct ps_diag d = {0};
    struct ps_buf *b = &v->cosig_msg;
    b->len = 0;
    if (ps_buf_append_str(b, note) != PS_OK || ps_buf_append_str(b, line) != PS_OK ||
        ps_buf_append(b, "\n", 1) != PS_OK || ps_note_parse(ps_buf_str(b), v->note, &d) != PS_OK) {
        bad_cp(v, size, "checkpoint size %" PRIu64 ": malformed cosignature line of %.*s%s%s",
               size, PS_STR_FMT(name), d.message[0] ? ": " : "", d.message);
        return PS_OK;
    }
    for (size_t i = 0; i < v->o->nwitnesses; i++) {
        struct ps_note_check r;
        if (ps_note_check(v->note, &v->o->witnesses[i], 1, &r) != PS_OK)
            return ps_diag_set(v->diag, PS_ERR_NOMEM, "out of memory checking cosignatures");
        if (r.result == PS_NOTE_INVALID)
            bad_cp(v, size, "checkpoint size %" PRIu64 ": the cosignature of witness %s does not "
                   "verify", size, v->o->witnesses[i].name);
    }
    return PS_OK;
}

/* A stored cosignature is evidence that its checkpoint was published: it must still be in
 * the log, and verify when it is a configured witness's. */
static enum ps_err on_cosig(void *ctx, uint64_t size, struct ps_str line, struct ps_str note)
{
    struct vstate *v = ctx;
    struct ps_str name = line_name(line);
    if (!note.p) {
        bad_cp(v, size, "checkpoint size %" PRIu64 " is missing from the log, but witness %.*s "
               "cosigned it", size, PS_STR_FMT(name));
        return PS_OK;
    }
    if (!find_cp(v, size) || v->o->nwitnesses == 0)
        return PS_OK; /* a checkpoint that did not open is reported at its size */
    return check_cosig(v, size, line, note, name);
}

static enum ps_err setup(struct vstate *v)
{
    uint64_t claimed = 0;
    enum ps_err err = v->src->size(v->src->ctx, &claimed, v->diag);
    if (err)
        return err;
    err = v->src->checkpoints(v->src->ctx, on_checkpoint, v, v->diag);
    if (!err && v->src->cosignatures)
        err = v->src->cosignatures(v->src->ctx, on_cosig, v, v->diag);
    if (err)
        return err;
    v->total = claimed;
    if (v->ncps > 0 && v->cps[v->ncps - 1].size > v->total)
        v->total = v->cps[v->ncps - 1].size;
    if (v->have_bad_cp && v->bad_cp_size > v->total)
        v->total = v->bad_cp_size;
    return PS_OK;
}

enum ps_err ps_tlog_verify(const struct ps_tlog_source *src, const struct ps_tlog_verify_opts *o,
                           struct ps_tlog_report *rep, struct ps_diag *diag)
{
    PS_ASSERT(src && o && rep && o->keys && o->nkeys > 0);
    memset(rep, 0, sizeof *rep);
    enum ps_err err = PS_OK;
    struct vstate *v = ps_calloc(1, sizeof *v);
    if (!v)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    v->src = src;
    v->o = o;
    v->rep = rep;
    v->diag = diag;
    v->origin = o->origin.len ? o->origin : (struct ps_str){o->keys[0].name, o->keys[0].name_len};
    v->l0.block = NO_BLOCK;
    ps_merkle_frontier_init(&v->f);
    ps_buf_init(&v->cosig_msg, PS_NOTE_MAX_BYTES);
    v->note = ps_malloc(sizeof *v->note);
    v->up = ps_calloc(MAX_TILE_LEVELS, sizeof *v->up);
    if (!v->note || !v->up) {
        err = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t q = 0; q < MAX_TILE_LEVELS; q++)
        v->up[q].block = NO_BLOCK;
    err = setup(v);
    if (!err)
        err = walk(v);
    if (err && v->found)
        err = PS_ERR_CRYPTO;
    rep->size = v->f.size;
    if (!err && ps_merkle_frontier_root(&v->f, &rep->root) != PS_OK)
        err = ps_diag_set(diag, PS_ERR_CRYPTO, "SHA-256 failed");
out:
    ps_buf_reset(&v->cosig_msg);
    ps_free(v->up);
    ps_free(v->note);
    ps_free(v->cps);
    ps_free(v);
    return err;
}
