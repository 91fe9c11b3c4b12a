/* Unit tests of whole-log verification (src/tlog/verify.c) over a synthetic in-memory log: an
 * untouched log verifies, and every kind of tampering (entry bytes, deleted and reordered
 * rows, stored leaf and tile hashes, checkpoints signed by another key, with another root,
 * size or origin) is reported with the exact first bad index or checkpoint. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
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
    uint64_t claimed;
    enum ps_err fail_entries; /* an injected source error */
};

static struct ps_note_signer *signer, *other;
static struct ps_note_verifier key;

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

static void sign_checkpoint(struct ps_buf *out, struct ps_note_signer *s, const char *origin,
                            uint64_t size, const struct ps_hash *root)
{
    struct ps_checkpoint c = {ps_str_from_cstr(origin), size, *root, PS_STR("")};
    struct ps_buf text;
    struct ps_diag d = {0};
    ps_buf_init(&text, 4096);
    cr_assert_eq(ps_checkpoint_format(&c, &text), PS_OK);
    ps_buf_reset(out);
    ps_buf_init(out, 8192);
    cr_assert_eq(ps_note_sign(ps_buf_str(&text), &s, 1, 0, out, &d), PS_OK, "%s", d.message);
    ps_buf_reset(&text);
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

static enum ps_err run(struct mlog *m, struct ps_tlog_report *rep)
{
    struct ps_tlog_source src = {
        .size = m_size, .checkpoints = m_checkpoints, .entries = m_entries, .hashes = m_hashes, .ctx = m};
    struct ps_tlog_verify_opts o = {.keys = &key, .nkeys = 1};
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
    struct ps_actor actor = {PS_ACTOR_ADMIN, PS_STR("unit-test")};
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

static void store_verify(const char *path, struct vctx *v)
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
    cr_assert_eq(ps_store_read(s, verify_tx, v, &d), PS_OK, "%s", d.message);
    ps_store_free(s);
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
        cr_expect_str_eq(t.rep.message, cases[c].message, "case %zu", c);
    }
    ps_note_signer_free(sg);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
