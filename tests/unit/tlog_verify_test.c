/* Unit tests of whole-log verification (src/tlog/verify.c) over a synthetic in-memory log: an
 * untouched log verifies, and every kind of tampering (entry bytes, deleted and reordered
 * rows, stored leaf and tile hashes, checkpoints signed by another key, with another root,
 * size or origin, a checkpoint deleted from a linked chain, witness cosignatures of a missing
 * checkpoint or that do not verify) is reported with the exact first bad index or checkpoint.
 * Then the local database (src/tlog/verify_store.c) over a log the real integrator built. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tiles.h"
#include "tlog/verify_store.h"

#define ORIGIN "pocketstate.test/log"
#define MAXN 70000
#define MAXCP 16
#define LEVELS 3 /* tree levels 0, 8, 16 */

/* The synthetic log: rows as a store would hold them, each deletable. */
struct row {
    uint64_t idx;
    bool gone;
    char bytes[96];
    size_t len;
};

struct hrow {
    bool gone;
    struct ps_hash h;
};

struct mlog {
    size_t n; /* entry rows (order as delivered) */
    struct row *rows;
    size_t nh[LEVELS];
    struct hrow *h[LEVELS];
    size_t ncp;
    uint64_t cp_size[MAXCP];
    struct ps_buf cp_note[MAXCP];
    bool cp_gone[MAXCP];
    uint64_t claimed;
    enum ps_err fail_entries; /* an injected source error */
    bool chain;               /* run with opts.chain */
    size_t ncs;               /* stored witness cosignatures (size, line) */
    uint64_t cs_size[MAXCP];
    char cs_line[MAXCP][512];
};

static struct ps_note_signer *signer, *other, *witness;
static struct ps_note_verifier key, witness_key;

static void setup(void)
{
    uint8_t seed[32];
    cr_assert(sodium_init() >= 0);
    randombytes_buf(seed, sizeof seed);
    cr_assert_eq(ps_note_signer_new(PS_STR(ORIGIN), PS_NOTE_ED25519, seed, &signer), PS_OK);
    randombytes_buf(seed, sizeof seed);
    cr_assert_eq(ps_note_signer_new(PS_STR(ORIGIN), PS_NOTE_ED25519, seed, &other), PS_OK);
    key = *ps_note_signer_verifier(signer);
}

static void teardown(void)
{
    ps_note_signer_free(signer);
    ps_note_signer_free(other);
    ps_note_signer_free(witness);
}

TestSuite(tlog_verify, .init = setup, .fini = teardown);

/* ---- building the log ---- */

static enum ps_err store_emit(void *ctx, unsigned level, uint64_t index, const struct ps_hash *h)
{
    struct mlog *m = ctx;
    unsigned q = level / PS_TILE_HEIGHT;
    cr_assert(q < LEVELS);
    cr_assert_eq(index, m->nh[q]);
    m->h[q][m->nh[q]++] = (struct hrow){false, *h};
    return PS_OK;
}

static void sign_checkpoint_ext(struct ps_buf *out, struct ps_note_signer *s, const char *origin,
                                uint64_t size, const struct ps_hash *root, struct ps_str ext)
{
    struct ps_checkpoint c = {ps_str_from_cstr(origin), size, *root, ext};
    struct ps_buf text;
    struct ps_diag d = {0};
    ps_buf_init(&text, 4096);
    cr_assert_eq(ps_checkpoint_format(&c, &text), PS_OK);
    ps_buf_reset(out);
    ps_buf_init(out, 8192);
    cr_assert_eq(ps_note_sign(ps_buf_str(&text), &s, 1, 0, out, &d), PS_OK, "%s", d.message);
    ps_buf_reset(&text);
}

static void sign_checkpoint(struct ps_buf *out, struct ps_note_signer *s, const char *origin,
                            uint64_t size, const struct ps_hash *root)
{
    sign_checkpoint_ext(out, s, origin, size, root, PS_STR(""));
}

/* The root of checkpoint c of m, as signed. */
static struct ps_hash cp_root(struct mlog *m, size_t c)
{
    struct ps_checkpoint cp;
    struct ps_note note;
    struct ps_diag d = {0};
    cr_assert_eq(ps_note_parse(ps_buf_str(&m->cp_note[c]), &note, &d), PS_OK);
    cr_assert_eq(ps_checkpoint_parse(note.text, &cp, &d), PS_OK);
    return cp.root;
}

/* Re-signs checkpoint c of m with the link to checkpoint c - 1 (as the integrator writes). */
static void link_checkpoint(struct mlog *m, size_t c)
{
    struct ps_checkpoint_link l;
    struct ps_buf ext;
    ps_buf_init(&ext, 256);
    cr_assert_eq(ps_checkpoint_link_make(m->cp_size[c - 1], ps_buf_str(&m->cp_note[c - 1]), &l),
                 PS_OK);
    cr_assert_eq(ps_checkpoint_link_format(&l, &ext), PS_OK);
    struct ps_hash root = cp_root(m, c);
    sign_checkpoint_ext(&m->cp_note[c], signer, ORIGIN, m->cp_size[c], &root, ps_buf_str(&ext));
    ps_buf_reset(&ext);
}

/* n entries; checkpoints at the sizes listed (ascending, <= n). */
static struct mlog *build(size_t n, const uint64_t *cps, size_t ncps)
{
    struct mlog *m = calloc(1, sizeof *m);
    struct ps_merkle_frontier f;
    struct ps_tiles_emit te = {store_emit, m};
    size_t c = 0;
    cr_assert(m && n <= MAXN && ncps <= MAXCP);
    m->rows = calloc(n ? n : 1, sizeof *m->rows);
    for (int q = 0; q < LEVELS; q++)
        m->h[q] = calloc(n + 1, sizeof *m->h[q]);
    ps_merkle_frontier_init(&f);
    while (c < ncps && cps[c] == 0) {
        struct ps_hash r;
        cr_assert_eq(ps_merkle_frontier_root(&f, &r), PS_OK);
        m->cp_size[c] = 0;
        sign_checkpoint(&m->cp_note[c], signer, ORIGIN, 0, &r);
        c++;
    }
    for (size_t i = 0; i < n; i++) {
        struct row *r = &m->rows[i];
        int k = snprintf(r->bytes, sizeof r->bytes,
                         "{\"v\":1,\"id\":\"rec-%06zu\",\"action\":\"person.read\"}", i);
        cr_assert(k > 0 && (size_t)k < sizeof r->bytes);
        r->idx = i;
        r->len = (size_t)k;
        struct ps_hash leaf;
        cr_assert_eq(ps_merkle_leaf_hash(r->bytes, r->len, &leaf), PS_OK);
        cr_assert_eq(ps_merkle_frontier_append(&f, &leaf, ps_tiles_emit_stored, &te), PS_OK);
        while (c < ncps && cps[c] == i + 1) {
            struct ps_hash root;
            cr_assert_eq(ps_merkle_frontier_root(&f, &root), PS_OK);
            m->cp_size[c] = i + 1;
            sign_checkpoint(&m->cp_note[c], signer, ORIGIN, i + 1, &root);
            c++;
        }
    }
    cr_assert_eq(c, ncps);
    m->n = n;
    m->ncp = ncps;
    m->claimed = n;
    return m;
}

static void mlog_free(struct mlog *m)
{
    for (size_t c = 0; c < m->ncp; c++)
        ps_buf_reset(&m->cp_note[c]);
    for (int q = 0; q < LEVELS; q++)
        free(m->h[q]);
    free(m->rows);
    free(m);
}

/* ---- the source ---- */

static enum ps_err m_size(void *ctx, uint64_t *out, struct ps_diag *diag)
{
    struct mlog *m = ctx;
    *out = m->claimed;
    return PS_OK;
}

static enum ps_err m_checkpoints(void *ctx, ps_tlog_row_fn row, void *rc, struct ps_diag *diag)
{
    struct mlog *m = ctx;
    for (size_t c = 0; c < m->ncp; c++) {
        if (m->cp_gone[c])
            continue;
        enum ps_err err = row(rc, m->cp_size[c], ps_buf_str(&m->cp_note[c]));
        if (err)
            return err;
    }
    return PS_OK;
}

/* Like a range query over an index: rows in idx order, whatever their position. */
static enum ps_err m_entries(void *ctx, uint64_t first, uint64_t count, ps_tlog_row_fn row,
                             void *rc, struct ps_diag *diag)
{
    struct mlog *m = ctx;
    if (m->fail_entries)
        return ps_diag_set(diag, m->fail_entries, "injected");
    for (uint64_t want = first; want < first + count; want++) {
        for (size_t i = 0; i < m->n; i++) { /* rows mostly sit at their idx */
            size_t j = (size_t)((want + i) % m->n);
            if (m->rows[j].idx == want && !m->rows[j].gone) {
                enum ps_err err = row(rc, want, (struct ps_str){m->rows[j].bytes, m->rows[j].len});
                if (err)
                    return err;
                break;
            }
        }
    }
    return PS_OK;
}

static enum ps_err m_hashes(void *ctx, unsigned level, uint64_t first, uint64_t count,
                            ps_tlog_row_fn row, void *rc, struct ps_diag *diag)
{
    struct mlog *m = ctx;
    unsigned q = level / PS_TILE_HEIGHT;
    cr_assert(level % PS_TILE_HEIGHT == 0 && q < LEVELS);
    for (uint64_t i = first; i < first + count && i < m->nh[q]; i++) {
        if (m->h[q][i].gone)
            continue;
        enum ps_err err = row(rc, i, (struct ps_str){(const char *)m->h[q][i].h.b, PS_HASH_LEN});
        if (err)
            return err;
    }
    return PS_OK;
}

/* Each stored cosignature with the note of its size (as a LEFT JOIN would give it). */
static enum ps_err m_cosigs(void *ctx, ps_tlog_cosig_fn row, void *rc, struct ps_diag *diag)
{
    struct mlog *m = ctx;
    for (size_t i = 0; i < m->ncs; i++) {
        struct ps_str note = {NULL, 0};
        for (size_t c = 0; c < m->ncp; c++)
            if (m->cp_size[c] == m->cs_size[i] && !m->cp_gone[c])
                note = ps_buf_str(&m->cp_note[c]);
        enum ps_err err = row(rc, m->cs_size[i], ps_str_from_cstr(m->cs_line[i]), note);
        if (err)
            return err;
    }
    return PS_OK;
}

static enum ps_err run(struct mlog *m, struct ps_tlog_report *rep)
{
    struct ps_tlog_source src = {
        .size = m_size, .checkpoints = m_checkpoints, .entries = m_entries, .hashes = m_hashes, .ctx = m};
    if (m->ncs)
        src.cosignatures = m_cosigs;
    struct ps_tlog_verify_opts o = {.keys = &key, .nkeys = 1, .chain = m->chain};
    if (witness) {
        o.witnesses = &witness_key;
        o.nwitnesses = 1;
    }
    struct ps_diag d = {0};
    return ps_tlog_verify(&src, &o, rep, &d);
}

static const uint64_t CPS[] = {0, 1, 100, 256, 300, 512, 700};
#define NCPS (sizeof CPS / sizeof CPS[0])

static void expect_problem(struct mlog *m, enum ps_tlog_problem kind, uint64_t index,
                           const char *message)
{
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_ERR_CRYPTO, "expected a problem: %s", message);
    cr_expect_eq(rep.problem, kind, "kind %d for: %s", rep.problem, rep.message);
    cr_expect_eq(rep.index, index, "index %" PRIu64 " for: %s", rep.index, rep.message);
    cr_expect_str_eq(rep.message, message);
    mlog_free(m);
}

/* ---- tests ---- */

Test(tlog_verify, untouched_log_verifies)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    cr_expect_eq(rep.size, 700);
    cr_expect_eq(rep.checkpoints, NCPS);
    cr_expect_eq(rep.problem, PS_TLOG_GOOD);
    struct ps_checkpoint c;
    struct ps_note note;
    struct ps_diag d = {0};
    cr_assert_eq(ps_note_parse(ps_buf_str(&m->cp_note[NCPS - 1]), &note, &d), PS_OK);
    cr_assert_eq(ps_checkpoint_parse(note.text, &c, &d), PS_OK);
    cr_expect(ps_hash_eq(&rep.root, &c.root));
    mlog_free(m);
}

Test(tlog_verify, empty_log_verifies)
{
    struct mlog *m = build(0, NULL, 0);
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_OK);
    cr_expect_eq(rep.size, 0);
    struct ps_hash empty;
    cr_assert_eq(ps_merkle_empty_root(&empty), PS_OK);
    cr_expect(ps_hash_eq(&rep.root, &empty));
    mlog_free(m);
}

Test(tlog_verify, flipped_entry_byte)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->rows[41].bytes[20] ^= 0x01; /* inside the id string: still canonical JSON */
    expect_problem(m, PS_TLOG_BAD_ENTRY, 41, "entry 41: leaf hash does not match stored tile hash");
}

Test(tlog_verify, malformed_entry)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->rows[41].bytes[0] = '[';
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_ERR_CRYPTO);
    cr_expect_eq(rep.index, 41);
    cr_expect(strncmp(rep.message, "entry 41: entry is not JSON", 27) == 0, "%s", rep.message);
    mlog_free(m);
}

Test(tlog_verify, non_canonical_entry)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct row *r = &m->rows[300];
    memmove(r->bytes + 2, r->bytes + 1, r->len); /* "{ \"v\"..." */
    r->bytes[1] = ' ';
    r->len++;
    expect_problem(m, PS_TLOG_BAD_ENTRY, 300, "entry 300: entry is not canonical compact JSON");
}

Test(tlog_verify, deleted_entry)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->rows[17].gone = true;
    expect_problem(m, PS_TLOG_BAD_ENTRY, 17, "entry 17 is missing");
}

Test(tlog_verify, deleted_last_entry)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->rows[699].gone = true;
    m->claimed = 699; /* the state row rolled back too: the checkpoint still says 700 */
    expect_problem(m, PS_TLOG_BAD_ENTRY, 699, "entry 699 is missing");
}

Test(tlog_verify, swapped_entries)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->rows[5].idx = 6;
    m->rows[6].idx = 5;
    expect_problem(m, PS_TLOG_BAD_ENTRY, 5, "entry 5: leaf hash does not match stored tile hash");
}

Test(tlog_verify, stored_leaf_hash_changed)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->h[0][100].h.b[3] ^= 0x80;
    expect_problem(m, PS_TLOG_BAD_ENTRY, 100,
                   "entry 100: leaf hash does not match stored tile hash");
}

Test(tlog_verify, stored_leaf_hash_deleted)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->h[0][600].gone = true;
    expect_problem(m, PS_TLOG_BAD_ENTRY, 600,
                   "entry 600: stored leaf hash (tile level 0) is missing");
}

Test(tlog_verify, stored_tile_hash_changed)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->h[1][1].h.b[0] ^= 1;
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_ERR_CRYPTO);
    cr_expect_eq(rep.problem, PS_TLOG_BAD_HASH);
    cr_expect_eq(rep.level, 8);
    cr_expect_eq(rep.index, 1);
    cr_expect_str_eq(rep.message, "stored hash level 8 index 1 does not match entries 256..511");
    mlog_free(m);
}

Test(tlog_verify, stored_tile_hash_deleted)
{
    struct mlog *m = build(700, CPS, NCPS);
    m->h[1][0].gone = true;
    expect_problem(m, PS_TLOG_BAD_HASH, 0,
                   "stored hash level 8 index 0 (entries 0..255) is missing");
}

Test(tlog_verify, checkpoint_signed_by_another_key)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct ps_note note;
    struct ps_checkpoint c;
    struct ps_diag d = {0};
    char want[400];
    cr_assert_eq(ps_note_parse(ps_buf_str(&m->cp_note[4]), &note, &d), PS_OK);
    cr_assert_eq(ps_checkpoint_parse(note.text, &c, &d), PS_OK);
    struct ps_hash root = c.root;
    sign_checkpoint(&m->cp_note[4], other, ORIGIN, 300, &root);
    snprintf(want, sizeof want,
             "checkpoint size 300: signature does not verify with key " ORIGIN "+%08" PRIx32,
             key.key_id);
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300, want);
}

Test(tlog_verify, checkpoint_with_another_root)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct ps_hash root;
    memset(root.b, 7, sizeof root.b);
    sign_checkpoint(&m->cp_note[4], signer, ORIGIN, 300, &root);
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300: root does not match entries 0..299");
}

Test(tlog_verify, checkpoint_root_of_another_size)
{
    /* a real root, but of 299 entries, stored as the checkpoint of 300 */
    struct mlog *m = build(700, CPS, NCPS);
    struct mlog *m2 = build(299, NULL, 0);
    struct ps_merkle_frontier f;
    struct ps_hash leaf, root;
    ps_merkle_frontier_init(&f);
    for (size_t i = 0; i < 299; i++) {
        cr_assert_eq(ps_merkle_leaf_hash(m2->rows[i].bytes, m2->rows[i].len, &leaf), PS_OK);
        cr_assert_eq(ps_merkle_frontier_append(&f, &leaf, NULL, NULL), PS_OK);
    }
    cr_assert_eq(ps_merkle_frontier_root(&f, &root), PS_OK);
    mlog_free(m2);
    sign_checkpoint(&m->cp_note[4], signer, ORIGIN, 300, &root);
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300: root does not match entries 0..299");
}

Test(tlog_verify, checkpoint_stating_another_size)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct ps_hash root;
    memset(root.b, 7, sizeof root.b);
    sign_checkpoint(&m->cp_note[4], signer, ORIGIN, 301, &root);
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300, "checkpoint size 300: the note states size 301");
}

Test(tlog_verify, checkpoint_with_another_origin)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct ps_hash root;
    memset(root.b, 7, sizeof root.b);
    /* signed by the log's key but naming another log */
    sign_checkpoint(&m->cp_note[2], signer, "evil.example/log", 100, &root);
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 100, "checkpoint size 100: origin is not " ORIGIN);
}

Test(tlog_verify, garbage_checkpoint_note)
{
    struct mlog *m = build(700, CPS, NCPS);
    ps_buf_reset(&m->cp_note[5]);
    ps_buf_init(&m->cp_note[5], 64);
    cr_assert_eq(ps_buf_append_cstr(&m->cp_note[5], "not a note"), PS_OK);
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_ERR_CRYPTO);
    cr_expect_eq(rep.problem, PS_TLOG_BAD_CHECKPOINT);
    cr_expect_eq(rep.index, 512);
    cr_expect(strncmp(rep.message, "checkpoint size 512: malformed note", 35) == 0, "%s",
              rep.message);
    mlog_free(m);
}

Test(tlog_verify, checkpoint_beyond_the_entries)
{
    /* a checkpoint for 800 entries when 700 exist: the first missing entry is named */
    uint64_t cps[] = {100, 800};
    struct mlog *m = build(700, cps, 1);
    struct ps_hash root;
    memset(root.b, 7, sizeof root.b);
    m->ncp = 2;
    m->cp_size[1] = 800;
    sign_checkpoint(&m->cp_note[1], signer, ORIGIN, 800, &root);
    expect_problem(m, PS_TLOG_BAD_ENTRY, 700, "entry 700 is missing");
}

Test(tlog_verify, first_problem_in_log_order_wins)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct ps_hash root;
    memset(root.b, 7, sizeof root.b);
    sign_checkpoint(&m->cp_note[1], other, ORIGIN, 1, &root); /* checkpoint 1 */
    m->rows[0].bytes[20] ^= 1;                                /* entry 0 comes before it */
    m->rows[500].gone = true;
    expect_problem(m, PS_TLOG_BAD_ENTRY, 0, "entry 0: leaf hash does not match stored tile hash");
}

Test(tlog_verify, checkpoint_before_later_entry)
{
    struct mlog *m = build(700, CPS, NCPS);
    struct ps_hash root;
    memset(root.b, 7, sizeof root.b);
    sign_checkpoint(&m->cp_note[3], signer, ORIGIN, 256, &root);
    m->rows[256].gone = true; /* entry 256 comes after the checkpoint of 256 */
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 256,
                   "checkpoint size 256: root does not match entries 0..255");
}

Test(tlog_verify, source_errors_are_not_verdicts)
{
    struct mlog *m = build(10, NULL, 0);
    struct ps_tlog_report rep;
    m->fail_entries = PS_ERR_IO;
    cr_expect_eq(run(m, &rep), PS_ERR_IO);
    cr_expect_eq(rep.problem, PS_TLOG_GOOD);
    mlog_free(m);
}

Test(tlog_verify, level_16_over_70000_entries)
{
    uint64_t cps[] = {65535, 65536, 70000};
    struct mlog *m = build(70000, cps, 3);
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    cr_expect_eq(rep.checkpoints, 3);
    cr_assert_eq(m->nh[2], 1);
    m->h[2][0].h.b[31] ^= 1;
    expect_problem(m, PS_TLOG_BAD_HASH, 0,
                   "stored hash level 16 index 0 does not match entries 0..65535");
}

/* ---- the checkpoint chain and witness cosignatures ---- */

/* The log of CPS with every checkpoint after the first linked to the one before it. */
static struct mlog *build_linked(void)
{
    struct mlog *m = build(700, CPS, NCPS);
    for (size_t c = 1; c < m->ncp; c++)
        link_checkpoint(m, c);
    m->chain = true;
    return m;
}

static size_t cp_index(const struct mlog *m, uint64_t size)
{
    for (size_t c = 0; c < m->ncp; c++)
        if (m->cp_size[c] == size)
            return c;
    cr_assert_fail("no checkpoint of size %" PRIu64, size);
    return 0;
}

Test(tlog_verify, linked_chain_verifies_and_old_checkpoints_need_no_link)
{
    struct mlog *m = build_linked();
    struct ps_tlog_report rep;
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    cr_expect_eq(rep.checkpoints, NCPS);
    mlog_free(m);
    m = build(700, CPS, NCPS); /* signed before links existed */
    m->chain = true;
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    mlog_free(m);
}

Test(tlog_verify, deleted_intermediate_checkpoint)
{
    struct mlog *m = build_linked();
    struct ps_tlog_report rep;
    m->cp_gone[cp_index(m, 256)] = true;
    m->chain = false; /* what the verifier saw before the chain: consistent, so it passed */
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    m->chain = true;
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300: the checkpoint signed before it, size 256, is missing "
                   "from the log");
}

Test(tlog_verify, deleted_first_checkpoint)
{
    struct mlog *m = build_linked();
    m->cp_gone[cp_index(m, 0)] = true;
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 1,
                   "checkpoint size 1: the checkpoint signed before it, size 0, is missing "
                   "from the log");
}

Test(tlog_verify, checkpoint_replaced_by_a_valid_one_of_the_same_size)
{
    struct mlog *m = build_linked();
    size_t c = cp_index(m, 256);
    struct ps_hash root = cp_root(m, c);
    sign_checkpoint(&m->cp_note[c], signer, ORIGIN, 256, &root); /* same tree, no link */
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300: checkpoint size 256 is not the one it was signed after");
}

Test(tlog_verify, malformed_link)
{
    struct mlog *m = build(700, CPS, NCPS);
    size_t c = cp_index(m, 300);
    struct ps_hash root = cp_root(m, c);
    sign_checkpoint_ext(&m->cp_note[c], signer, ORIGIN, 300, &root, PS_STR("previous 256 x\n"));
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300: malformed link to the previous checkpoint: expected "
                   "'previous <size> <base64 SHA-256>'");
}

/* A witness cosignature line of checkpoint size (its note's text) into m's stored ones. */
static void cosign(struct mlog *m, uint64_t size)
{
    struct ps_note note;
    struct ps_diag d = {0};
    struct ps_buf line;
    if (!witness) {
        uint8_t seed[32];
        randombytes_buf(seed, sizeof seed);
        cr_assert_eq(ps_note_signer_new(PS_STR("witness.test/w1"), PS_NOTE_COSIG_V1, seed, &witness),
                     PS_OK);
        witness_key = *ps_note_signer_verifier(witness);
    }
    cr_assert_eq(ps_note_parse(ps_buf_str(&m->cp_note[cp_index(m, size)]), &note, &d), PS_OK);
    ps_buf_init(&line, 1024);
    cr_assert_eq(ps_note_sign_line(witness, note.text, 1700000000, &line, &d), PS_OK);
    cr_assert(line.len > 1 && line.len < sizeof m->cs_line[0]);
    memcpy(m->cs_line[m->ncs], line.p, line.len - 1); /* without the newline */
    m->cs_line[m->ncs][line.len - 1] = '\0';
    m->cs_size[m->ncs++] = size;
    ps_buf_reset(&line);
}

Test(tlog_verify, cosignatures_verify)
{
    struct mlog *m = build_linked();
    struct ps_tlog_report rep;
    cosign(m, 300);
    cosign(m, 700);
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    mlog_free(m);
}

Test(tlog_verify, cosignature_that_does_not_verify)
{
    struct mlog *m = build_linked();
    cosign(m, 300);
    char *b64 = strrchr(m->cs_line[0], ' ') + 1;
    b64[20] = b64[20] == 'A' ? 'B' : 'A';
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300: the cosignature of witness witness.test/w1 does not "
                   "verify");
}

Test(tlog_verify, cosigned_checkpoint_deleted)
{
    struct mlog *m = build(700, CPS, NCPS); /* no links: only the cosignature tells */
    cosign(m, 300);
    m->cp_gone[cp_index(m, 300)] = true;
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300 is missing from the log, but witness witness.test/w1 "
                   "cosigned it");
}

Test(tlog_verify, truncated_log_with_a_later_cosignature)
{
    struct mlog *m = build_linked();
    struct ps_tlog_report rep;
    cosign(m, 512);
    /* cut back consistently at 300: entries, hashes, checkpoints and the claimed size */
    for (size_t i = 300; i < m->n; i++)
        m->rows[i].gone = true;
    for (size_t i = 300; i < m->nh[0]; i++)
        m->h[0][i].gone = true;
    m->h[1][1].gone = true; /* level 8, entries 256..511 */
    m->cp_gone[cp_index(m, 512)] = m->cp_gone[cp_index(m, 700)] = true;
    m->claimed = 300;
    size_t ncs = m->ncs;
    m->ncs = 0; /* without the cosignature, a consistent cut leaves nothing to see */
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    cr_expect_eq(rep.size, 300);
    m->ncs = ncs;
    expect_problem(m, PS_TLOG_BAD_ENTRY, 300, "entry 300 is missing");
}

Test(tlog_verify, cosignature_of_an_unconfigured_key_needs_its_checkpoint_only)
{
    struct mlog *m = build_linked();
    struct ps_tlog_report rep;
    cosign(m, 300);
    ps_note_signer_free(witness);
    witness = NULL; /* not configured (e.g. removed): its line cannot be checked */
    char *b64 = strrchr(m->cs_line[0], ' ') + 1;
    b64[20] = b64[20] == 'A' ? 'B' : 'A';
    cr_assert_eq(run(m, &rep), PS_OK, "%s", rep.message);
    m->cp_gone[cp_index(m, 300)] = true;
    m->chain = false;
    expect_problem(m, PS_TLOG_BAD_CHECKPOINT, 300,
                   "checkpoint size 300 is missing from the log, but witness witness.test/w1 "
                   "cosigned it");
}

Test(tlog_verify, entry_check_json_rules)
{
    struct ps_diag d = {0};
    cr_expect_eq(ps_tlog_entry_check_json(NULL, 0, PS_STR("{\"a\":1,\"b\":\"x\"}"), &d), PS_OK);
    cr_expect_eq(ps_tlog_entry_check_json(NULL, 0, PS_STR("{\"a\":1,\"a\":2}"), &d),
                 PS_ERR_INVALID);
    cr_expect_eq(ps_tlog_entry_check_json(NULL, 0, PS_STR("{\"a\": 1}"), &d), PS_ERR_INVALID);
    cr_expect_eq(ps_tlog_entry_check_json(NULL, 0, PS_STR("{\"a\":1}\n"), &d), PS_ERR_INVALID);
    cr_expect_eq(ps_tlog_entry_check_json(NULL, 0, PS_STR("[1]"), &d), PS_ERR_INVALID);
    cr_expect_eq(ps_tlog_entry_check_json(NULL, 0, PS_STR(""), &d), PS_ERR_INVALID);
    cr_expect_eq(ps_tlog_entry_check_json(NULL, 0, PS_STR("{\"a\":\"\\u0041\"}"), &d),
                 PS_ERR_INVALID);
}

/* ---- the store source over a log built by the real integrator ---- */

#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include "store/store.h"
#include "tlog/access.h"
#include "tlog/integrator.h"
#include "tlog/log.h"

struct rec_ctx {
    int i;
};

static enum ps_err record_tx(struct ps_tx *tx, void *arg)
{
    struct rec_ctx *rc = arg;
    char res[64];
    struct ps_actor actor = {.kind = PS_ACTOR_ADMIN, .id = PS_STR("unit-test")};
    struct ps_diag d = {0};
    snprintf(res, sizeof res, "persons/%010d", rc->i);
    return ps_access_record(tx, &actor, "person.read", PS_STR("3184710691"), ps_str_from_cstr(res),
                            PS_STR("tlog verify test"), &d);
}

struct vctx {
    struct ps_note_verifier key;
    struct ps_tlog_report rep;
    enum ps_err result;
};

static enum ps_err verify_tx(struct ps_tx *tx, void *arg)
{
    struct vctx *v = arg;
    struct ps_tlog_store_source ss;
    struct ps_tlog_source src;
    struct ps_diag d = {0};
    struct ps_tlog_verify_opts o = {.keys = &v->key, .nkeys = 1};
    ps_tlog_store_source_init(&ss, tx, &src);
    src.cosignatures = NULL; /* the log by itself, as verified before cosignatures counted */
    v->result = ps_tlog_verify(&src, &o, &v->rep, &d);
    return PS_OK;
}

static void sql(const char *path, const char *stmt)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, stmt, NULL, NULL, &err), SQLITE_OK, "%s: %s", stmt,
                 err ? err : "");
    sqlite3_close(db);
}

/* Runs fn in one read of the SQLite database at path, opened as it is (no migration). */
static void read_db(const char *path, ps_tx_fn fn, void *ctx)
{
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    char url[600];
    snprintf(url, sizeof url, "sqlite:%s", path);
    ps_store_opts_init(&o);
    o.url = url;
    o.migrate = false;
    o.create = false;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_read(s, fn, ctx, &d), PS_OK, "%s", d.message);
    ps_store_free(s);
}

static void store_verify(const char *path, struct vctx *v)
{
    read_db(path, verify_tx, v);
}

Test(tlog_verify, store_source_over_the_integrator, .timeout = 120)
{
    char dir[] = "/tmp/ps_tlogv_XXXXXX", path[64], copy[64], cmd[512], url[80];
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    struct ps_note_signer *sg = NULL;
    uint8_t seed[32];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/log.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    ps_store_opts_init(&o);
    o.url = url;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    randombytes_buf(seed, sizeof seed);
    cr_assert_eq(ps_note_signer_new(PS_STR(PS_TLOG_DEFAULT_ORIGIN), PS_NOTE_ED25519, seed, &sg),
                 PS_OK);
    for (int round = 0; round < 3; round++) { /* three checkpoints */
        for (int i = 0; i < 150; i++) {
            struct rec_ctx rc = {round * 150 + i};
            cr_assert_eq(ps_store_write(s, record_tx, &rc, &d), PS_OK, "%s", d.message);
        }
        uint64_t size = 0;
        cr_assert_eq(ps_tlog_integrate_now(s, sg, NULL, NULL, &size, &d), PS_OK, "%s", d.message);
        cr_assert_eq(size, (uint64_t)(round + 1) * 150);
    }
    ps_store_free(s);

    struct vctx v = {.key = *ps_note_signer_verifier(sg)};
    store_verify(path, &v);
    cr_assert_eq(v.result, PS_OK, "%s", v.rep.message);
    cr_expect_eq(v.rep.size, 450);
    cr_expect_geq(v.rep.checkpoints, 3);

    struct {
        const char *sql, *message;
    } cases[] = {
        {"UPDATE tlog_entries SET entry = CAST(replace(CAST(entry AS TEXT), 'person.read', "
         "'person.reaD') AS BLOB) WHERE idx = 41",
         "entry 41: leaf hash does not match stored tile hash"},
        {"DELETE FROM tlog_entries WHERE idx = 17", "entry 17 is missing"},
        {"UPDATE tlog_entries SET idx = 999999 WHERE idx = 5; UPDATE tlog_entries SET idx = 5 "
         "WHERE "
         "idx = 6; UPDATE tlog_entries SET idx = 6 WHERE idx = 999999",
         "entry 5: leaf hash does not match stored tile hash"},
        {"UPDATE tlog_hashes SET hash = zeroblob(32) WHERE level = 8 AND idx = 0",
         "stored hash level 8 index 0 does not match entries 0..255"},
        {"UPDATE tlog_checkpoints SET note = (SELECT note FROM tlog_checkpoints WHERE size = 450)"
         " WHERE size = 300",
         "checkpoint size 300: the note states size 450"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(copy, sizeof copy, "%s/tampered.db", dir);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'", path, copy, copy,
                 copy);
        cr_assert_eq(system(cmd), 0);
        sql(copy, "DROP TRIGGER tlog_entries_no_update; DROP TRIGGER tlog_entries_no_delete; "
                  "DROP TRIGGER tlog_hashes_no_update; DROP TRIGGER tlog_checkpoints_no_update");
        sql(copy, cases[c].sql);
        struct vctx t = {.key = v.key};
        store_verify(copy, &t);
        cr_expect_eq(t.result, PS_ERR_CRYPTO, "case %zu not detected", c);
        cr_expect_str_eq(t.rep.message, cases[c].message, "case %zu: %s", c, t.rep.message);
    }
    ps_note_signer_free(sg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}

/* ---- the local database: entries against records, records against the log, the chain and
 * the cosignatures, over a log the real integrator built (ps_tlog_verify_local) ---- */

struct wctx {
    const char *vkey;
    struct ps_buf note; /* in: the latest note (write: with the cosignature line) */
    uint64_t size;
};

static enum ps_err add_witness_tx(struct ps_tx *tx, void *arg)
{
    struct wctx *w = arg;
    struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = PS_STR("unit-test")};
    struct ps_diag d = {0};
    return ps_tlog_witness_add(tx, &admin, ps_str_from_cstr(w->vkey), PS_STR("test"), NULL, &d);
}

static enum ps_err latest_tx(struct ps_tx *tx, void *arg)
{
    struct wctx *w = arg;
    w->note.len = 0;
    return ps_tlog_checkpoint_at(tx, w->size, &w->note);
}

static enum ps_err cosign_tx(struct ps_tx *tx, void *arg)
{
    struct wctx *w = arg;
    size_t stored = 0;
    struct ps_diag d = {0};
    enum ps_err e = ps_tlog_add_cosignatures(tx, ps_buf_str(&w->note), &stored, &d);
    cr_assert_eq(e, PS_OK, "%s", d.message);
    cr_assert_eq(stored, 1);
    return e;
}

struct lctx {
    struct ps_str key;
    int64_t window_ms;
    struct ps_tlog_report rep;
    enum ps_err result;
};

static enum ps_err local_tx(struct ps_tx *tx, void *arg)
{
    struct lctx *l = arg;
    struct ps_diag d = {0};
    struct ps_tlog_local_opts o = {.key = l->key, .window_ms = l->window_ms};
    l->result = ps_tlog_verify_local(tx, &o, &l->rep, &d);
    return PS_OK;
}

static void local_verify(const char *path, struct lctx *l)
{
    read_db(path, local_tx, l);
}

static void run_sql(const char *path, const char *stmt, char *out, size_t cap)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(db, stmt, -1, &st, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s", stmt);
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* 300 records ten minutes old and 150 new ones, in three integrations (checkpoints 150, 300,
 * 450), then a witness (its change record: checkpoint 451) that cosigns checkpoint 451. */
static void build_local_log(const char *path, struct ps_note_signer *sg, struct ps_buf *vkey)
{
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    char url[80];
    snprintf(url, sizeof url, "sqlite:%s", path);
    ps_store_opts_init(&o);
    o.url = url;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    int64_t old = ps_clock_now_ms() - 10 * 60 * 1000;
    for (int round = 0; round < 3; round++) {
        if (round < 2)
            ps_clock_set_fixed(old + round * 1000);
        else
            ps_clock_set_fixed(-1);
        for (int i = 0; i < 150; i++) {
            struct rec_ctx rc = {round * 150 + i};
            cr_assert_eq(ps_store_write(s, record_tx, &rc, &d), PS_OK, "%s", d.message);
        }
        cr_assert_eq(ps_tlog_integrate_now(s, sg, NULL, NULL, NULL, &d), PS_OK, "%s", d.message);
    }
    uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    cr_assert_eq(ps_note_signer_new(PS_STR("witness.test/w1"), PS_NOTE_COSIG_V1, seed, &witness),
                 PS_OK);
    ps_buf_init(vkey, 1024);
    cr_assert_eq(ps_note_verifier_format(ps_note_signer_verifier(witness), vkey), PS_OK);
    struct wctx w = {.vkey = vkey->p, .size = 451};
    ps_buf_init(&w.note, 1 << 16);
    cr_assert_eq(ps_store_write(s, add_witness_tx, &w, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_tlog_integrate_now(s, sg, NULL, NULL, NULL, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_read(s, latest_tx, &w, &d), PS_OK, "%s", d.message);
    struct ps_note note;
    cr_assert_eq(ps_note_parse(ps_buf_str(&w.note), &note, &d), PS_OK);
    cr_assert_eq(ps_note_sign_line(witness, note.text, 1700000000, &w.note, &d), PS_OK);
    cr_assert_eq(ps_store_write(s, cosign_tx, &w, &d), PS_OK, "%s", d.message);
    ps_buf_reset(&w.note);
    ps_store_free(s);
}

Test(tlog_verify, local_database_checks, .timeout = 120)
{
    char dir[] = "/tmp/ps_tlogl_XXXXXX", path[64], copy[64], cmd[512], rid[64], rid2[64];
    struct ps_note_signer *sg = NULL;
    struct ps_buf vkey, logkey;
    uint8_t seed[32];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/log.db", dir);
    randombytes_buf(seed, sizeof seed);
    cr_assert_eq(ps_note_signer_new(PS_STR(PS_TLOG_DEFAULT_ORIGIN), PS_NOTE_ED25519, seed, &sg),
                 PS_OK);
    build_local_log(path, sg, &vkey);
    ps_buf_init(&logkey, 1024);
    cr_assert_eq(ps_note_verifier_format(ps_note_signer_verifier(sg), &logkey), PS_OK);
    struct lctx l = {.key = ps_buf_str(&logkey), .window_ms = -1};
    local_verify(path, &l);
    cr_assert_eq(l.result, PS_OK, "%s", l.rep.message);
    cr_expect_eq(l.rep.size, 451);
    run_sql(path, "SELECT record_id FROM tlog_entries WHERE idx = 41", rid, sizeof rid);
    run_sql(path, "SELECT record_id FROM tlog_entries WHERE idx = 150", rid2, sizeof rid2);

    char truncate[1024];
    snprintf(truncate, sizeof truncate,
             "DELETE FROM tlog_entries WHERE idx >= 150; DELETE FROM tlog_hashes WHERE "
             "level = 0 AND idx >= 150; DELETE FROM tlog_hashes WHERE level = 8 AND idx >= 0; "
             "DELETE FROM tlog_checkpoints WHERE size > 150; UPDATE tlog_state SET size = 150, "
             "last_record_id = (SELECT record_id FROM tlog_entries WHERE idx = 149)");
    char truncate_all[1200];
    snprintf(truncate_all, sizeof truncate_all, "%s; DELETE FROM tlog_cosignatures", truncate);
    char missing[160], actor[160], purpose[160];
    snprintf(missing, sizeof missing, "record %s is not in the log (150 recorded records missing)",
             rid2);
    snprintf(actor, sizeof actor, "entry 41: its actor does not match record %s", rid);
    snprintf(purpose, sizeof purpose,
             "entry 41: its commitment does not match the subject, resource, purpose and salt of "
             "record %s", rid);
    struct {
        const char *sql, *message;
        enum ps_tlog_problem kind;
    } cases[] = {
        /* cut back at 150 with its cosignature too: 150 records older than the window lost (the
         * 150 newest were made within it, so a running integrator may not have them yet) */
        {truncate_all, missing, PS_TLOG_BAD_RECORD},
        /* the same cut, the witness's cosignature of 451 left: the log must reach 451 */
        {truncate, "entry 150 is missing", PS_TLOG_BAD_ENTRY},
        {"UPDATE access_log SET actor_id = 'someone-else' WHERE id = (SELECT record_id FROM "
         "tlog_entries WHERE idx = 41)",
         actor, PS_TLOG_BAD_RECORD},
        {"UPDATE access_log SET purpose = 'another purpose' WHERE id = (SELECT record_id FROM "
         "tlog_entries WHERE idx = 41)",
         purpose, PS_TLOG_BAD_RECORD},
        {"DELETE FROM tlog_checkpoints WHERE size = 300",
         "checkpoint size 450: the checkpoint signed before it, size 300, is missing from the "
         "log",
         PS_TLOG_BAD_CHECKPOINT},
        {"DELETE FROM tlog_checkpoints WHERE size = 451",
         "checkpoint size 451 is missing from the log, but witness witness.test/w1 cosigned it",
         PS_TLOG_BAD_CHECKPOINT},
        {"UPDATE tlog_cosignatures SET line = substr(line, 1, length(line) - 6) || 'AAAAA=' ",
         "checkpoint size 451: the cosignature of witness witness.test/w1 does not verify",
         PS_TLOG_BAD_CHECKPOINT},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(copy, sizeof copy, "%s/tampered.db", dir);
        snprintf(cmd, sizeof cmd, "cp '%s' '%s' && rm -f '%s-wal' '%s-shm'", path, copy, copy,
                 copy);
        cr_assert_eq(system(cmd), 0);
        sql(copy, "DROP TRIGGER tlog_entries_no_update; DROP TRIGGER tlog_entries_no_delete; "
                  "DROP TRIGGER tlog_hashes_no_update; DROP TRIGGER tlog_hashes_no_delete; "
                  "DROP TRIGGER tlog_checkpoints_no_update; DROP TRIGGER "
                  "tlog_checkpoints_no_delete; DROP TRIGGER access_log_no_update");
        sql(copy, cases[c].sql);
        struct vctx plain = {.key = *ps_note_signer_verifier(sg)};
        store_verify(copy, &plain);
        cr_expect_eq(plain.result, PS_OK, "case %zu: the log alone is sound (%s), so only the new "
                     "check finds it", c, plain.rep.message);
        struct lctx t = {.key = ps_buf_str(&logkey), .window_ms = -1};
        local_verify(copy, &t);
        cr_expect_eq(t.result, PS_ERR_CRYPTO, "case %zu not detected", c);
        cr_expect_eq(t.rep.problem, cases[c].kind, "case %zu: %s", c, t.rep.message);
        cr_expect_str_eq(t.rep.message, cases[c].message, "case %zu: %s", c, t.rep.message);
    }
    /* a record just made and not yet sequenced: inside the default window, but a log at rest
     * (window 0) must hold every record */
    {
        struct rec_ctx rc = {999};
        struct ps_store_opts o;
        struct ps_store *s = NULL;
        struct ps_diag d = {0};
        char url[80];
        snprintf(url, sizeof url, "sqlite:%s", path);
        ps_store_opts_init(&o);
        o.url = url;
        cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
        cr_assert_eq(ps_store_write(s, record_tx, &rc, &d), PS_OK, "%s", d.message);
        ps_store_free(s);
        struct lctx t = {.key = ps_buf_str(&logkey), .window_ms = -1};
        local_verify(path, &t);
        cr_expect_eq(t.result, PS_OK, "%s", t.rep.message);
        t.window_ms = 0;
        local_verify(path, &t);
        cr_expect_eq(t.result, PS_ERR_CRYPTO);
        cr_expect(strstr(t.rep.message, "is not in the log (1 recorded records missing)"), "%s",
                  t.rep.message);
    }
    ps_buf_reset(&vkey);
    ps_buf_reset(&logkey);
    ps_note_signer_free(sg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
