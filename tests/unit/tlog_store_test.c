/* The transparency log on a real store (SQLite in a temporary file, or a fresh PostgreSQL
 * schema when PS_TEST_DB is set): records -> integration -> signed checkpoints whose roots,
 * proofs, tiles and bundles all agree with the stored entries; append-only tables; entries that
 * carry no personal data but a commitment the subject can recompute; witness cosignatures.
 * PS_TLOG_BENCH=1 adds the throughput and 1M-entry proof measurements (printed only). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/ids.h"
#include "keystore/keystore.h"
#include "store/store.h"
#include "tlog/access.h"
#include "tlog/checkpoint.h"
#include "tlog/integrator.h"
#include "tlog/log.h"
#include "tlog/verify_store.h"
#include "pg_helper.h"
#include "tx_helper.h"

static struct ps_store *store;
static struct ps_note_signer *signer;
static char dbpath[64];
static char pg_url[512], pg_schema[64];
static const char *origin = PS_TLOG_DEFAULT_ORIGIN;

static void open_store(void)
{
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    bool pg = ps_test_pg_base() != NULL;
    if (pg)
        cr_assert(ps_test_pg_fresh(pg_url, sizeof pg_url, pg_schema));
    o.url = pg ? pg_url : dbpath;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_open(&o, &store, &d), PS_OK, "%s", d.message);
}

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    int n = snprintf(dbpath, sizeof dbpath, "/tmp/ps-tlog-store-%d.db", (int)getpid());
    cr_assert(n > 0 && (size_t)n < sizeof dbpath);
    unlink(dbpath);
    pg_schema[0] = '\0';
    open_store();
    uint8_t seed[32];
    memset(seed, 7, sizeof seed);
    cr_assert_eq(ps_note_signer_new(ps_str_from_cstr(origin), PS_NOTE_ED25519, seed, &signer),
                 PS_OK);
}

static void teardown(void)
{
    ps_store_free(store);
    store = NULL;
    ps_note_signer_free(signer);
    signer = NULL;
    if (pg_schema[0])
        ps_test_pg_drop(pg_schema);
    char p[80];
    unlink(dbpath);
    if (snprintf(p, sizeof p, "%s-wal", dbpath) < (int)sizeof p)
        unlink(p);
    if (snprintf(p, sizeof p, "%s-shm", dbpath) < (int)sizeof p)
        unlink(p);
}

TestSuite(tlog_store, .init = setup, .fini = teardown);

/* ---- helpers ---- */

struct rec_ctx {
    int i;
    enum ps_actor_kind kind;
};

static void subject_of(int i, char out[11])
{
    snprintf(out, 11, "31%08d", i);
}

static enum ps_err record_tx(struct ps_tx *tx, void *ctx)
{
    struct rec_ctx *c = ctx;
    char subject[11], resource[64], purpose[64];
    subject_of(c->i, subject);
    snprintf(resource, sizeof resource, "persons/%s", subject);
    snprintf(purpose, sizeof purpose, "case-%d secret purpose", c->i);
    struct ps_actor a = {.kind = c->kind, .id = PS_STR("official-42")};
    struct ps_diag d = {0};
    return ps_access_record(tx, &a, "person.read", ps_str_from_cstr(subject),
                            ps_str_from_cstr(resource), ps_str_from_cstr(purpose), &d);
}

static void add_records(int from, int to)
{
    for (int i = from; i < to; i++) {
        struct rec_ctx c = {i, i % 5 == 0 ? PS_ACTOR_CITIZEN : PS_ACTOR_OFFICIAL};
        struct ps_diag d = {0};
        cr_assert_eq(ps_store_write(store, record_tx, &c, &d), PS_OK, "%s", d.message);
    }
}

static uint64_t integrate(size_t *appended)
{
    struct ps_diag d = {0};
    uint64_t size = 0;
    cr_assert_eq(ps_tlog_integrate_now(store, signer, origin, appended, &size, &d), PS_OK, "%s",
                 d.message);
    return size;
}

/* Everything the tests read, in one read transaction. */
struct snapshot {
    struct ps_buf note;   /* latest, with cosignatures */
    uint64_t size;
    struct ps_str *entries; /* all entries, malloc'd copies */
    size_t n;
};

static const struct ps_sql all_entries = {"test.all_entries",
                                          "SELECT idx, entry FROM tlog_entries ORDER BY idx"};

static enum ps_err snap_tx(struct ps_tx *tx, void *ctx)
{
    struct snapshot *s = ctx;
    enum ps_err e = ps_tlog_latest(tx, &s->size, &s->note);
    struct ps_stmt *st = NULL;
    bool row = true;
    if (e == PS_OK)
        e = ps_tx_prepare(tx, &all_entries, &st);
    while (e == PS_OK) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        cr_assert_eq((uint64_t)ps_stmt_i64(st, 0), s->n);
        struct ps_str b = ps_stmt_blob(st, 1);
        s->entries = ps_realloc(s->entries, (s->n + 1) * sizeof *s->entries);
        char *copy = ps_malloc(b.len + 1);
        memcpy(copy, b.p, b.len);
        copy[b.len] = '\0';
        s->entries[s->n++] = (struct ps_str){copy, b.len};
    }
    ps_stmt_done(st);
    return e;
}

static void snap(struct snapshot *s)
{
    memset(s, 0, sizeof *s);
    ps_buf_init(&s->note, 1 << 20);
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, snap_tx, s, &d), PS_OK, "%s", d.message);
}

static void snap_free(struct snapshot *s)
{
    for (size_t i = 0; i < s->n; i++)
        ps_free((void *)s->entries[i].p);
    ps_free(s->entries);
    ps_buf_reset(&s->note);
}

/* Opens a checkpoint note with the log's verifier; returns its root. */
static struct ps_hash open_checkpoint(struct ps_str note, uint64_t want_size)
{
    struct ps_checkpoint_policy pol = {.origin = ps_str_from_cstr(origin),
                                       .log_keys = ps_note_signer_verifier(signer),
                                       .nlog_keys = 1};
    struct ps_note *n = ps_malloc(sizeof *n);
    struct ps_checkpoint c;
    struct ps_diag d = {0};
    cr_assert_eq(ps_checkpoint_open(note, &pol, n, &c, NULL, &d), PS_OK, "%s", d.message);
    cr_assert_eq(c.size, want_size);
    struct ps_hash root = c.root;
    ps_free(n);
    return root;
}

static struct ps_hash root_of_entries(const struct snapshot *s, size_t size)
{
    struct ps_merkle_frontier f;
    ps_merkle_frontier_init(&f);
    for (size_t i = 0; i < size; i++) {
        struct ps_hash leaf;
        cr_assert_eq(ps_merkle_leaf_hash(s->entries[i].p, s->entries[i].len, &leaf), PS_OK);
        cr_assert_eq(ps_merkle_frontier_append(&f, &leaf, NULL, NULL), PS_OK);
    }
    struct ps_hash r;
    cr_assert_eq(ps_merkle_frontier_root(&f, &r), PS_OK);
    return r;
}

/* ---- tests ---- */

Test(tlog_store, first_round_signs_the_empty_tree)
{
    size_t n = 9;
    cr_assert_eq(integrate(&n), 0);
    cr_assert_eq(n, 0);
    struct snapshot s;
    snap(&s);
    cr_assert_eq(s.size, 0);
    struct ps_hash root = open_checkpoint(ps_buf_str(&s.note), 0), empty;
    cr_assert_eq(ps_merkle_empty_root(&empty), PS_OK);
    cr_assert(ps_hash_eq(&root, &empty));
    snap_free(&s);
}

struct proof_ctx {
    uint64_t a, b;
    struct ps_merkle_proof proof;
    struct ps_diag diag;
};

static enum ps_err incl_tx(struct ps_tx *tx, void *ctx)
{
    struct proof_ctx *p = ctx;
    return ps_tlog_inclusion(tx, p->a, p->b, &p->proof, &p->diag);
}

static enum ps_err cons_tx(struct ps_tx *tx, void *ctx)
{
    struct proof_ctx *p = ctx;
    return ps_tlog_consistency(tx, p->a, p->b, &p->proof, &p->diag);
}

Test(tlog_store, checkpoint_root_and_every_inclusion_proof)
{
    add_records(0, 300);
    size_t n = 0;
    cr_assert_eq(integrate(&n), 300);
    cr_assert_eq(n, 300);
    struct snapshot s;
    snap(&s);
    cr_assert_eq(s.size, 300);
    cr_assert_eq(s.n, 300);
    struct ps_hash root = open_checkpoint(ps_buf_str(&s.note), 300);
    struct ps_hash again = root_of_entries(&s, 300);
    cr_assert(ps_hash_eq(&root, &again), "checkpoint root differs from the entries' root");
    for (uint64_t i = 0; i < 300; i++) {
        struct proof_ctx p = {.a = i, .b = 300};
        struct ps_diag d = {0};
        cr_assert_eq(ps_store_read(store, incl_tx, &p, &d), PS_OK, "%s", p.diag.message);
        struct ps_hash leaf;
        cr_assert_eq(ps_merkle_leaf_hash(s.entries[i].p, s.entries[i].len, &leaf), PS_OK);
        cr_assert_eq(ps_merkle_verify_inclusion(&leaf, i, 300, p.proof.h, p.proof.len, &root),
                     PS_OK, "inclusion proof of %" PRIu64, i);
    }
    /* beyond the latest checkpoint, and index >= size */
    struct proof_ctx p = {.a = 0, .b = 301};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, incl_tx, &p, &d), PS_ERR_NOTFOUND);
    p = (struct proof_ctx){.a = 5, .b = 5};
    cr_assert_eq(ps_store_read(store, incl_tx, &p, &d), PS_ERR_INVALID);
    snap_free(&s);
}

static enum ps_err cp_at_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_buf *b = ctx;
    return ps_tlog_checkpoint_at(tx, 300, b);
}

Test(tlog_store, consistency_between_successive_checkpoints)
{
    add_records(0, 300);
    cr_assert_eq(integrate(NULL), 300);
    add_records(300, 517);
    cr_assert_eq(integrate(NULL), 517);
    struct ps_buf first;
    ps_buf_init(&first, 1 << 16);
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, cp_at_tx, &first, &d), PS_OK);
    struct ps_hash r1 = open_checkpoint(ps_buf_str(&first), 300);
    struct snapshot s;
    snap(&s);
    struct ps_hash r2 = open_checkpoint(ps_buf_str(&s.note), 517);
    uint64_t pairs[][2] = {{300, 517}, {1, 517}, {256, 300}, {0, 517}, {517, 517}};
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        struct proof_ctx p = {.a = pairs[k][0], .b = pairs[k][1]};
        cr_assert_eq(ps_store_read(store, cons_tx, &p, &d), PS_OK, "%s", p.diag.message);
        struct ps_hash ra = root_of_entries(&s, p.a), rb = root_of_entries(&s, p.b);
        cr_assert_eq(ps_merkle_verify_consistency(p.a, p.b, p.proof.h, p.proof.len, &ra, &rb),
                     PS_OK, "consistency %" PRIu64 " -> %" PRIu64, p.a, p.b);
    }
    struct proof_ctx p = {.a = 300, .b = 517};
    cr_assert_eq(ps_store_read(store, cons_tx, &p, &d), PS_OK);
    cr_assert_eq(ps_merkle_verify_consistency(300, 517, p.proof.h, p.proof.len, &r1, &r2), PS_OK);
    p = (struct proof_ctx){.a = 518, .b = 300};
    cr_assert_eq(ps_store_read(store, cons_tx, &p, &d), PS_ERR_INVALID);
    p = (struct proof_ctx){.a = 1, .b = 518};
    cr_assert_eq(ps_store_read(store, cons_tx, &p, &d), PS_ERR_NOTFOUND);
    ps_buf_reset(&first);
    snap_free(&s);
}

struct tile_ctx {
    const char *path;
    struct ps_buf out;
};

static enum ps_err tile_tx(struct ps_tx *tx, void *ctx)
{
    struct tile_ctx *t = ctx;
    struct ps_tile tile;
    struct ps_diag d = {0};
    cr_assert_eq(ps_tile_parse(ps_str_from_cstr(t->path), &tile, &d), PS_OK, "%s", d.message);
    return ps_tlog_tile(tx, &tile, &t->out);
}

static enum ps_err get_tile(const char *path, struct ps_buf *out)
{
    struct tile_ctx t = {.path = path};
    ps_buf_init(&t.out, 1 << 20);
    struct ps_diag d = {0};
    enum ps_err e = ps_store_read(store, tile_tx, &t, &d);
    *out = t.out;
    return e;
}

Test(tlog_store, tiles_and_bundles_match_the_entries)
{
    add_records(0, 300);
    cr_assert_eq(integrate(NULL), 300);
    struct snapshot s;
    snap(&s);
    struct ps_hash *leaves = ps_alloc_array(300, sizeof *leaves);
    for (size_t i = 0; i < 300; i++)
        cr_assert_eq(ps_merkle_leaf_hash(s.entries[i].p, s.entries[i].len, &leaves[i]), PS_OK);
    struct ps_buf b;
    cr_assert_eq(get_tile("tile/0/000", &b), PS_OK);
    cr_assert_eq(b.len, 256 * 32);
    cr_assert(memcmp(b.p, leaves, 256 * 32) == 0, "full tile != leaf hashes 0..255");
    ps_buf_reset(&b);
    cr_assert_eq(get_tile("tile/0/001.p/44", &b), PS_OK);
    cr_assert_eq(b.len, 44 * 32);
    cr_assert(memcmp(b.p, leaves + 256, 44 * 32) == 0);
    ps_buf_reset(&b);
    cr_assert_eq(get_tile("tile/0/001.p/10", &b), PS_OK); /* a smaller partial also exists */
    ps_buf_reset(&b);
    /* level 1: one hash, the root of the first 256 leaves */
    cr_assert_eq(get_tile("tile/1/000.p/1", &b), PS_OK);
    struct ps_hash sub, *scratch = ps_alloc_array(256, sizeof *scratch);
    memcpy(scratch, leaves, 256 * sizeof *scratch);
    cr_assert_eq(ps_merkle_reduce(scratch, 256, &sub), PS_OK); /* overwrites its input */
    ps_free(scratch);
    cr_assert_eq(b.len, 32);
    cr_assert(memcmp(b.p, sub.b, 32) == 0);
    ps_buf_reset(&b);
    /* beyond the checkpoint */
    cr_assert_eq(get_tile("tile/0/001", &b), PS_ERR_NOTFOUND);
    ps_buf_reset(&b);
    cr_assert_eq(get_tile("tile/0/001.p/45", &b), PS_ERR_NOTFOUND);
    ps_buf_reset(&b);
    /* entry bundles parse back to the entries and verify against the hash tiles */
    cr_assert_eq(get_tile("tile/entries/001.p/44", &b), PS_OK);
    struct ps_str got[256];
    size_t cnt = 0;
    struct ps_diag d = {0};
    cr_assert_eq(ps_bundle_parse(ps_buf_str(&b), got, 256, &cnt, &d), PS_OK, "%s", d.message);
    cr_assert_eq(cnt, 44);
    for (size_t i = 0; i < cnt; i++)
        cr_assert(ps_str_eq(got[i], s.entries[256 + i]));
    cr_assert_eq(ps_bundle_verify(ps_buf_str(&b), leaves + 256, 44, &d), PS_OK, "%s", d.message);
    ps_buf_reset(&b);
    cr_assert_eq(get_tile("tile/entries/000", &b), PS_OK);
    cr_assert_eq(ps_bundle_verify(ps_buf_str(&b), leaves, 256, &d), PS_OK, "%s", d.message);
    ps_buf_reset(&b);
    ps_free(leaves);
    snap_free(&s);
}

static const struct ps_sql count_cp = {"test.count_cp", "SELECT count(*) FROM tlog_checkpoints"};

static enum ps_err count_tx(struct ps_tx *tx, void *ctx)
{
    return tx_run(tx, &count_cp, ctx, "");
}

static enum ps_err pending_tx(struct ps_tx *tx, void *ctx)
{
    return ps_tlog_pending(tx, 70 * 1000, ctx, NULL);
}

struct pending_late {
    bool pending, late;
};

static enum ps_err pending_late_tx(struct ps_tx *tx, void *ctx)
{
    struct pending_late *p = ctx;
    return ps_tlog_pending(tx, 70 * 1000, &p->pending, &p->late);
}

static int64_t checkpoints(void)
{
    int64_t n = -1;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, count_tx, &n, &d), PS_OK);
    return n;
}

Test(tlog_store, no_new_records_no_new_checkpoint)
{
    add_records(0, 10);
    cr_assert_eq(integrate(NULL), 10);
    cr_assert_eq(checkpoints(), 1);
    size_t n = 1;
    cr_assert_eq(integrate(&n), 10);
    cr_assert_eq(n, 0);
    cr_assert_eq(integrate(&n), 10);
    cr_assert_eq(checkpoints(), 1);
    bool pending = true;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, pending_tx, &pending, &d),
                 PS_OK);
    cr_assert(!pending);
    add_records(10, 11);
    cr_assert_eq(ps_store_read(store, pending_tx, &pending, &d),
                 PS_OK);
    cr_assert(pending);
    cr_assert_eq(integrate(&n), 11);
    cr_assert_eq(checkpoints(), 2);
}

static const struct ps_sql forge[] = {
    {"test.f1", "UPDATE tlog_entries SET entry = entry"},
    {"test.f2", "DELETE FROM tlog_entries"},
    {"test.f3", "UPDATE tlog_hashes SET hash = hash"},
    {"test.f4", "DELETE FROM tlog_hashes"},
    {"test.f5", "UPDATE tlog_checkpoints SET note = note"},
    {"test.f6", "DELETE FROM tlog_checkpoints"},
    {"test.f7", "UPDATE access_log SET salt = NULL"},
};

static enum ps_err forge_tx(struct ps_tx *tx, void *ctx)
{
    return ps_tx_exec(tx, ctx);
}

Test(tlog_store, tlog_tables_are_append_only)
{
    add_records(0, 3);
    cr_assert_eq(integrate(NULL), 3);
    for (size_t i = 0; i < sizeof forge / sizeof forge[0]; i++) {
        struct ps_diag d = {0};
        enum ps_err e = ps_store_write(store, forge_tx, (void *)&forge[i], &d);
        cr_assert_neq(e, PS_OK, "%s was allowed", forge[i].sql);
    }
    struct snapshot s;
    snap(&s);
    cr_assert_eq(s.n, 3);
    snap_free(&s);
}

struct subj_ctx {
    struct ps_str subject;
    struct ps_arena *arena;
    struct ps_tlog_subject_row rows[PS_TLOG_PAGE_MAX];
    size_t n;
};

static enum ps_err subj_tx(struct ps_tx *tx, void *ctx)
{
    struct subj_ctx *c = ctx;
    return ps_tlog_subject_rows(tx, c->subject, PS_STR_NULL, 10, c->arena, c->rows, &c->n);
}

Test(tlog_store, entries_hold_no_personal_data_but_a_commitment)
{
    add_records(0, 20);
    cr_assert_eq(integrate(NULL), 20);
    struct snapshot s;
    snap(&s);
    for (size_t i = 0; i < s.n; i++) {
        char subject[11];
        subject_of((int)i, subject);
        cr_assert_null(strstr(s.entries[i].p, subject), "entry %zu holds the RNOKPP", i);
        cr_assert_null(strstr(s.entries[i].p, "secret purpose"), "entry %zu: purpose", i);
        cr_assert_null(strstr(s.entries[i].p, "persons/"), "entry %zu: resource", i);
        cr_assert(strncmp(s.entries[i].p, "{\"v\":1,\"id\":\"", 13) == 0, "%s", s.entries[i].p);
    }
    /* the subject sees its record with salt and recomputes the commitment and the entry */
    struct subj_ctx c = {.arena = ps_arena_new(1 << 20)};
    char subject[11];
    subject_of(5, subject); /* i = 5: a citizen actor */
    c.subject = ps_str_from_cstr(subject);
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, subj_tx, &c, &d), PS_OK);
    cr_assert_eq(c.n, 1);
    struct ps_tlog_subject_row *r = &c.rows[0];
    cr_assert(r->sequenced && r->has_salt);
    cr_assert(ps_str_eq(r->entry, s.entries[r->index]));
    struct ps_hash cm;
    cr_assert_eq(ps_tlog_commitment(r->salt, c.subject, r->resource, r->purpose, &cm), PS_OK);
    char b64[48], want[80];
    ps_tlog_b64(cm.b, 32, b64, sizeof b64);
    snprintf(want, sizeof want, "\"commitment\":\"%s\"}", b64);
    cr_assert_not_null(strstr(r->entry.p, want), "%s lacks %s", r->entry.p, want);
    cr_assert_not_null(strstr(r->entry.p, "\"actor\":{\"kind\":\"citizen\"}"), "%s", r->entry.p);
    /* by hand, as an outside auditor would: SHA-256(salt || be32 len || bytes ...) */
    uint8_t buf[32 + 3 * 4 + 128];
    size_t k = 0;
    memcpy(buf, r->salt, 32);
    k = 32;
    struct ps_str parts[] = {c.subject, r->resource, r->purpose};
    for (int i = 0; i < 3; i++) {
        buf[k++] = 0, buf[k++] = 0, buf[k++] = 0, buf[k++] = (uint8_t)parts[i].len;
        memcpy(buf + k, parts[i].p, parts[i].len);
        k += parts[i].len;
    }
    uint8_t h[32];
    crypto_hash_sha256(h, buf, k);
    cr_assert(memcmp(h, cm.b, 32) == 0);
    /* an official's entry names the official */
    cr_assert_not_null(strstr(s.entries[1].p, "\"actor\":{\"kind\":\"official\",\"id\":\"official-42\"}"),
                       "%s", s.entries[1].p);
    ps_arena_free(c.arena);
    snap_free(&s);
}

Test(tlog_store, entry_format_is_exact)
{
    uint8_t salt[32] = {0};
    struct ps_tlog_record r = {.id = PS_STR("01890000-0000-7000-8000-000000000000"),
                               .at_ms = 1700000000123,
                               .actor_kind = PS_STR("admin"),
                               .actor_id = PS_STR("local-admin"),
                               .action = PS_STR("person.read"),
                               .subject = PS_STR("3184710691"),
                               .resource = PS_STR("persons/3184710691"),
                               .purpose = PS_STR("local-administration"),
                               .salt = salt};
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    cr_assert_eq(ps_tlog_entry_format(&r, &b), PS_OK);
    struct ps_hash cm;
    cr_assert_eq(ps_tlog_commitment(salt, r.subject, r.resource, r.purpose, &cm), PS_OK);
    char b64[48], want[512];
    ps_tlog_b64(cm.b, 32, b64, sizeof b64);
    snprintf(want, sizeof want,
             "{\"v\":1,\"id\":\"01890000-0000-7000-8000-000000000000\",\"time\":"
             "\"2023-11-14T22:13:20.123Z\",\"actor\":{\"kind\":\"admin\",\"id\":\"local-admin\"},"
             "\"action\":\"person.read\",\"commitment\":\"%s\"}",
             b64);
    cr_assert_str_eq(b.p, want);
    printf("entry: %s\n", b.p);
    ps_buf_reset(&b);
    r.actor_kind = PS_STR("robot");
    cr_assert_eq(ps_tlog_entry_format(&r, &b), PS_ERR_INVALID);
    ps_buf_reset(&b);
}

/* An official acting within a role: the role and agency are public, the official's own number
 * is not; an official's record from before roles were kept keeps its first form. */
Test(tlog_store, entry_format_official_names_role_not_person)
{
    uint8_t salt[32] = {0};
    struct ps_tlog_record r = {.id = PS_STR("01890000-0000-7000-8000-000000000000"),
                               .at_ms = 1700000000123,
                               .actor_kind = PS_STR("official"),
                               .actor_id = PS_STR("2950207346"),
                               .actor_role = PS_STR("registrar"),
                               .actor_agency = PS_STR("pfu"),
                               .action = PS_STR("person.read"),
                               .subject = PS_STR("3184710691"),
                               .resource = PS_STR("persons/3184710691"),
                               .purpose = PS_STR("pension review"),
                               .salt = salt};
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    cr_assert_eq(ps_tlog_entry_format(&r, &b), PS_OK);
    cr_assert(strstr(b.p, "\"actor\":{\"kind\":\"official\",\"role\":\"registrar\","
                          "\"agency\":\"pfu\"},") != NULL, "%s", b.p);
    cr_assert(strstr(b.p, "2950207346") == NULL, "%s", b.p);
    ps_buf_reset(&b);
    r.actor_role = PS_STR("");
    r.actor_agency = PS_STR("");
    cr_assert_eq(ps_tlog_entry_format(&r, &b), PS_OK);
    cr_assert(strstr(b.p, "\"actor\":{\"kind\":\"official\",\"id\":\"2950207346\"},") != NULL,
              "%s", b.p);
    ps_buf_reset(&b);
    /* an agency system's act names its agency beside its client id */
    r.actor_kind = PS_STR("system");
    r.actor_id = PS_STR("pfu-payments");
    r.actor_agency = PS_STR("pfu");
    cr_assert_eq(ps_tlog_entry_format(&r, &b), PS_OK);
    cr_assert(strstr(b.p, "\"actor\":{\"kind\":\"system\",\"id\":\"pfu-payments\","
                          "\"agency\":\"pfu\"},") != NULL, "%s", b.p);
    ps_buf_reset(&b);
}

/* ---- witnesses ---- */

/* Raw SQL only to plant what ps_tlog_witness_add would refuse to write (a malformed list). */
static const struct ps_sql set_witnesses = {
    "test.witnesses", "INSERT INTO meta (key, value) VALUES ('tlog_witnesses', $1)"};
static const struct ps_sql get_witnesses = {
    "test.witnesses_get", "SELECT value FROM meta WHERE key = 'tlog_witnesses'"};
static const struct ps_sql witness_changes = {
    "test.witness_changes",
    "SELECT kind, actor_kind, actor_id, action, subject, resource, purpose FROM access_log "
    "WHERE action LIKE 'tlog.witness.%' ORDER BY id"};

static enum ps_err witnesses_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_stmt *st = NULL;
    bool row;
    enum ps_err e = ps_tx_prepare(tx, &set_witnesses, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(ctx));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return e;
}

/* One witness edit: add vkey, or (vkey NULL) remove name. */
struct wit_ctx {
    const char *vkey, *name, *reason;
    struct ps_note_verifier v;
    struct ps_diag diag;
};

static enum ps_err wit_tx(struct ps_tx *tx, void *ctx)
{
    struct wit_ctx *c = ctx;
    struct ps_actor a = {.kind = PS_ACTOR_ADMIN, .id = PS_STR("local-admin")};
    struct ps_str reason = ps_str_from_cstr(c->reason ? c->reason : "test");
    memset(&c->diag, 0, sizeof c->diag);
    if (c->vkey)
        return ps_tlog_witness_add(tx, &a, ps_str_from_cstr(c->vkey), reason, &c->v, &c->diag);
    return ps_tlog_witness_remove(tx, &a, ps_str_from_cstr(c->name), reason, &c->v, &c->diag);
}

static enum ps_err wit_add(const char *vkey, const char *reason, struct wit_ctx *c)
{
    struct ps_diag d = {0};
    *c = (struct wit_ctx){.vkey = vkey, .reason = reason};
    return ps_store_write(store, wit_tx, c, &d);
}

static enum ps_err wit_remove(const char *name, struct wit_ctx *c)
{
    struct ps_diag d = {0};
    *c = (struct wit_ctx){.name = name};
    return ps_store_write(store, wit_tx, c, &d);
}

struct wit_list {
    struct ps_note_verifier v[PS_TLOG_MAX_WITNESSES];
    size_t n;
    struct ps_buf raw; /* the meta value as stored */
    struct ps_diag diag;
};

static enum ps_err wit_list_tx(struct ps_tx *tx, void *ctx)
{
    struct wit_list *l = ctx;
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tlog_witnesses(tx, l->v, PS_TLOG_MAX_WITNESSES, &l->n, &l->diag);
    if (e == PS_OK)
        e = ps_tx_prepare(tx, &get_witnesses, &st);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && row)
        e = ps_buf_append_str(&l->raw, ps_stmt_text(st, 0));
    ps_stmt_done(st);
    return e;
}

static void wit_list(struct wit_list *l)
{
    struct ps_diag d = {0};
    memset(l, 0, sizeof *l);
    ps_buf_init(&l->raw, 1 << 16);
    cr_assert_eq(ps_store_read(store, wit_list_tx, l, &d), PS_OK, "%s %s", d.message,
                 l->diag.message);
}

static enum ps_err wit_changes_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_buf *b = ctx;
    struct ps_stmt *st = NULL;
    bool row = true;
    enum ps_err e = ps_tx_prepare(tx, &witness_changes, &st);
    while (e == PS_OK) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        for (int i = 0; i < 7 && e == PS_OK; i++)
            e = ps_buf_printf(b, "%s%.*s", i ? "|" : "", PS_STR_FMT(ps_stmt_text(st, i)));
        if (e == PS_OK)
            e = ps_buf_append_cstr(b, "\n");
    }
    ps_stmt_done(st);
    return e;
}

/* A cosignature/v1 signer named name (seed filled with seed_byte) and its verifier key. */
static struct ps_note_signer *witness_key(const char *name, int seed_byte, struct ps_buf *vkey)
{
    uint8_t seed[32];
    struct ps_note_signer *w = NULL;
    memset(seed, seed_byte, sizeof seed);
    cr_assert_eq(ps_note_signer_new(ps_str_from_cstr(name), PS_NOTE_COSIG_V1, seed, &w), PS_OK);
    ps_buf_init(vkey, 1024);
    cr_assert_eq(ps_note_verifier_format(ps_note_signer_verifier(w), vkey), PS_OK);
    return w;
}

Test(tlog_store, witness_add_list_remove)
{
    struct ps_buf k1, k2, k1b, logk, want, got;
    struct ps_note_signer *w1 = witness_key("witness.example/w1", 21, &k1);
    struct ps_note_signer *w2 = witness_key("witness.example/w2", 22, &k2);
    struct ps_note_signer *w1b = witness_key("witness.example/w1", 23, &k1b); /* same name */
    ps_buf_init(&logk, 1024);
    cr_assert_eq(ps_note_verifier_format(ps_note_signer_verifier(signer), &logk), PS_OK);
    struct wit_list l;
    wit_list(&l);
    cr_assert_eq(l.n, 0);
    ps_buf_reset(&l.raw);

    struct wit_ctx c;
    cr_assert_eq(wit_add(k1.p, "onboarding w1", &c), PS_OK, "%s", c.diag.message);
    cr_assert_str_eq(c.v.name, "witness.example/w1");
    cr_assert_eq(c.v.key_id, ps_note_signer_verifier(w1)->key_id);
    cr_assert_eq(wit_add(k2.p, NULL, &c), PS_OK, "%s", c.diag.message);
    wit_list(&l);
    cr_assert_eq(l.n, 2);
    ps_buf_init(&want, 4096);
    cr_assert_eq(ps_buf_printf(&want, "%s\n%s\n", k1.p, k2.p), PS_OK);
    cr_assert_str_eq(l.raw.p, want.p, "canonical keys, one per line, in the order added");
    ps_buf_reset(&l.raw);

    /* refused: nothing written, nothing recorded */
    cr_assert_eq(wit_add(k1.p, NULL, &c), PS_ERR_EXISTS);
    cr_assert_not_null(strstr(c.diag.message, "witness witness.example/w1+"), "%s",
                       c.diag.message);
    cr_assert_not_null(strstr(c.diag.message, "is already configured"), "%s", c.diag.message);
    cr_assert_eq(wit_add(k1b.p, NULL, &c), PS_ERR_EXISTS, "same name, another key");
    cr_assert_not_null(strstr(c.diag.message, "already configured"), "%s", c.diag.message);
    cr_assert_eq(wit_add(logk.p, NULL, &c), PS_ERR_INVALID, "an Ed25519 log key");
    cr_assert_not_null(strstr(c.diag.message, "not cosignature/v1"), "%s", c.diag.message);
    printf("log key as witness: %s\n", c.diag.message);
    cr_assert_eq(wit_add("witness.example/w3+00000000+AAAA", NULL, &c), PS_ERR_INVALID);
    cr_assert_not_null(strstr(c.diag.message, "witness key: "), "%s", c.diag.message);
    cr_assert_eq(wit_remove("witness.example/nobody", &c), PS_ERR_NOTFOUND);
    cr_assert_not_null(strstr(c.diag.message, "witness.example/nobody"), "%s", c.diag.message);
    cr_assert_eq(wit_remove("witness.example/w", &c), PS_ERR_NOTFOUND, "names match whole");

    cr_assert_eq(wit_remove("witness.example/w1", &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.v.key_id, ps_note_signer_verifier(w1)->key_id);
    wit_list(&l);
    cr_assert_eq(l.n, 1);
    cr_assert_str_eq(l.v[0].name, "witness.example/w2");
    ps_buf_reset(&want);
    ps_buf_init(&want, 4096);
    cr_assert_eq(ps_buf_printf(&want, "%s\n", k2.p), PS_OK);
    cr_assert_str_eq(l.raw.p, want.p);
    ps_buf_reset(&l.raw);
    cr_assert_eq(wit_remove("witness.example/w1", &c), PS_ERR_NOTFOUND, "removed once");
    cr_assert_eq(wit_remove("witness.example/w2", &c), PS_OK, "%s", c.diag.message);
    wit_list(&l);
    cr_assert_eq(l.n, 0);
    cr_assert_str_eq(ps_buf_str(&l.raw).p, "", "nothing left in the stored list");
    ps_buf_reset(&l.raw);

    /* each change is a change record of the admin, with its resource and reason */
    uint32_t id1 = ps_note_signer_verifier(w1)->key_id, id2 = ps_note_signer_verifier(w2)->key_id;
    ps_buf_reset(&want);
    ps_buf_init(&want, 4096);
    cr_assert_eq(
        ps_buf_printf(&want,
                      "change|admin|local-admin|tlog.witness.add||witnesses/witness.example/"
                      "w1+%08" PRIx32 "|onboarding w1\n"
                      "change|admin|local-admin|tlog.witness.add||witnesses/witness.example/"
                      "w2+%08" PRIx32 "|test\n"
                      "change|admin|local-admin|tlog.witness.remove||witnesses/witness.example/"
                      "w1+%08" PRIx32 "|test\n"
                      "change|admin|local-admin|tlog.witness.remove||witnesses/witness.example/"
                      "w2+%08" PRIx32 "|test\n",
                      id1, id2, id1, id2),
        PS_OK);
    struct ps_diag d = {0};
    ps_buf_init(&got, 4096);
    cr_assert_eq(ps_store_read(store, wit_changes_tx, &got, &d), PS_OK, "%s", d.message);
    cr_assert_str_eq(ps_buf_str(&got).p, want.p);
    /* and they reach the public log like any record */
    cr_assert_eq(integrate(NULL), 4);
    struct snapshot s;
    snap(&s);
    cr_assert_not_null(strstr(s.entries[0].p, "\"action\":\"tlog.witness.add\""), "%s",
                       s.entries[0].p);
    cr_assert_not_null(strstr(s.entries[3].p, "\"action\":\"tlog.witness.remove\""), "%s",
                       s.entries[3].p);
    snap_free(&s);

    ps_buf_reset(&got);
    ps_buf_reset(&want);
    ps_buf_reset(&k1);
    ps_buf_reset(&k2);
    ps_buf_reset(&k1b);
    ps_buf_reset(&logk);
    ps_note_signer_free(w1);
    ps_note_signer_free(w2);
    ps_note_signer_free(w1b);
}

Test(tlog_store, witness_limits)
{
    char name[64];
    struct ps_buf k;
    struct wit_ctx c;
    for (int i = 0; i <= PS_TLOG_MAX_WITNESSES; i++) {
        snprintf(name, sizeof name, "witness.example/w%02d", i);
        struct ps_note_signer *w = witness_key(name, 40 + i, &k);
        enum ps_err e = wit_add(k.p, NULL, &c);
        if (i < PS_TLOG_MAX_WITNESSES) {
            cr_assert_eq(e, PS_OK, "witness %d: %s", i, c.diag.message);
        } else {
            cr_assert_eq(e, PS_ERR_LIMIT, "witness %d", i);
            cr_assert_not_null(strstr(c.diag.message, "at most 16"), "%s", c.diag.message);
        }
        ps_buf_reset(&k);
        ps_note_signer_free(w);
    }
    struct wit_list l;
    wit_list(&l);
    cr_assert_eq(l.n, PS_TLOG_MAX_WITNESSES);
    ps_buf_reset(&l.raw);
    /* removing one makes room again */
    cr_assert_eq(wit_remove("witness.example/w03", &c), PS_OK, "%s", c.diag.message);
    struct ps_note_signer *w = witness_key("witness.example/w16", 40 + 16, &k);
    cr_assert_eq(wit_add(k.p, NULL, &c), PS_OK, "%s", c.diag.message);
    ps_buf_reset(&k);
    ps_note_signer_free(w);

    /* a name too long for the change entry's resource is refused before anything is written */
    char longname[PS_TLOG_WITNESS_NAME_MAX + 2];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    cr_assert_eq(wit_remove("witness.example/w16", &c), PS_OK);
    w = witness_key(longname, 60, &k);
    cr_assert_eq(wit_add(k.p, NULL, &c), PS_ERR_INVALID);
    cr_assert_not_null(strstr(c.diag.message, "longer than"), "%s", c.diag.message);
    ps_buf_reset(&k);
    ps_note_signer_free(w);
    longname[sizeof longname - 2] = '\0'; /* exactly the maximum */
    w = witness_key(longname, 61, &k);
    cr_assert_eq(wit_add(k.p, NULL, &c), PS_OK, "%s", c.diag.message);
    ps_buf_reset(&k);
    ps_note_signer_free(w);
}

Test(tlog_store, witness_edit_refuses_a_malformed_stored_list)
{
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, witnesses_tx, (void *)"garbage\n", &d), PS_OK, "%s",
                 d.message);
    struct ps_buf k;
    struct ps_note_signer *w = witness_key("witness.example/w1", 21, &k);
    struct wit_ctx c;
    cr_assert_eq(wit_add(k.p, NULL, &c), PS_ERR_INVALID);
    cr_assert_not_null(strstr(c.diag.message, "witness key 1 in meta tlog_witnesses"), "%s",
                       c.diag.message);
    cr_assert_eq(wit_remove("garbage", &c), PS_ERR_INVALID);
    ps_buf_reset(&k);
    ps_note_signer_free(w);
}

struct cosig_ctx {
    struct ps_str note;
    size_t stored;
    struct ps_diag diag;
};

static enum ps_err cosig_tx(struct ps_tx *tx, void *ctx)
{
    struct cosig_ctx *c = ctx;
    return ps_tlog_add_cosignatures(tx, c->note, &c->stored, &c->diag);
}

/* The latest checkpoint (as served) followed by a cosignature line of w into body. */
static void cosigned_latest(struct ps_note_signer *w, struct ps_buf *body)
{
    struct snapshot s;
    struct ps_diag d = {0};
    struct ps_buf line;
    snap(&s);
    struct ps_note *n = ps_malloc(sizeof *n);
    cr_assert_eq(ps_note_parse(ps_buf_str(&s.note), n, &d), PS_OK, "%s", d.message);
    ps_buf_init(&line, 4096);
    ps_buf_init(body, 1 << 16);
    cr_assert_eq(ps_note_sign_line(w, n->text, 1700000000, &line, &d), PS_OK);
    cr_assert_eq(ps_buf_append_str(body, ps_buf_str(&s.note)), PS_OK);
    cr_assert_eq(ps_buf_append_str(body, ps_buf_str(&line)), PS_OK);
    ps_buf_reset(&line);
    ps_free(n);
    snap_free(&s);
}

Test(tlog_store, witness_cosignatures)
{
    add_records(0, 4);
    cr_assert_eq(integrate(NULL), 4);
    struct ps_buf vk, svk;
    struct ps_note_signer *w = witness_key("witness.example/w1", 9, &vk);
    struct ps_note_signer *stranger = witness_key("stranger.example", 10, &svk);
    struct ps_diag d = {0};

    /* before the witness is added its cosignature is refused */
    struct ps_buf body;
    cosigned_latest(w, &body);
    struct cosig_ctx c = {.note = ps_buf_str(&body)};
    cr_assert_eq(ps_store_write(store, cosig_tx, &c, &d), PS_ERR_INVALID);
    ps_buf_reset(&body);
    struct wit_ctx wc0;
    cr_assert_eq(wit_add(vk.p, NULL, &wc0), PS_OK, "%s", wc0.diag.message);
    cr_assert_eq(integrate(NULL), 5); /* the change entry: a new checkpoint to cosign */

    struct snapshot s;
    snap(&s);
    struct ps_note *n = ps_malloc(sizeof *n);
    cr_assert_eq(ps_note_parse(ps_buf_str(&s.note), n, &d), PS_OK);
    struct ps_buf line;
    ps_buf_init(&line, 4096);
    ps_buf_init(&body, 1 << 16);
    cr_assert_eq(ps_note_sign_line(w, n->text, 1700000000, &line, &d), PS_OK);
    cr_assert_eq(ps_buf_append_str(&body, ps_buf_str(&s.note)), PS_OK);
    cr_assert_eq(ps_buf_append_str(&body, ps_buf_str(&line)), PS_OK);
    c = (struct cosig_ctx){.note = ps_buf_str(&body)};
    cr_assert_eq(ps_store_write(store, cosig_tx, &c, &d), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.stored, 1);
    c.stored = 9;
    cr_assert_eq(ps_store_write(store, cosig_tx, &c, &d), PS_OK);
    cr_assert_eq(c.stored, 0, "the first cosignature of a size is kept");

    /* served with the checkpoint, and the witness policy accepts it */
    struct snapshot s2;
    snap(&s2);
    cr_assert_not_null(strstr(s2.note.p, line.p));
    struct ps_checkpoint_policy pol = {.origin = ps_str_from_cstr(origin),
                                       .log_keys = ps_note_signer_verifier(signer),
                                       .nlog_keys = 1,
                                       .witnesses = ps_note_signer_verifier(w),
                                       .nwitnesses = 1,
                                       .quorum = 1};
    struct ps_checkpoint cp;
    struct ps_note_check wc;
    cr_assert_eq(ps_checkpoint_open(ps_buf_str(&s2.note), &pol, n, &cp, &wc, &d), PS_OK, "%s",
                 d.message);
    cr_assert_eq(wc.result, PS_NOTE_VALID);

    /* an unknown key and a bad signature are refused */
    ps_buf_reset(&line);
    ps_buf_reset(&body);
    cr_assert_eq(ps_note_parse(ps_buf_str(&s.note), n, &d), PS_OK);
    cr_assert_eq(ps_note_sign_line(stranger, n->text, 1700000000, &line, &d), PS_OK);
    cr_assert_eq(ps_buf_append_str(&body, ps_buf_str(&s.note)), PS_OK);
    cr_assert_eq(ps_buf_append_str(&body, ps_buf_str(&line)), PS_OK);
    c = (struct cosig_ctx){.note = ps_buf_str(&body)};
    cr_assert_eq(ps_store_write(store, cosig_tx, &c, &d), PS_ERR_INVALID);
    printf("unknown key: %s\n", c.diag.message);
    ps_buf_reset(&line);
    ps_buf_reset(&body);
    cr_assert_eq(ps_note_sign_line(w, PS_STR("other text\n"), 1700000000, &line, &d), PS_OK);
    cr_assert_eq(ps_buf_append_str(&body, ps_buf_str(&s.note)), PS_OK);
    cr_assert_eq(ps_buf_append_str(&body, ps_buf_str(&line)), PS_OK);
    c = (struct cosig_ctx){.note = ps_buf_str(&body)};
    cr_assert_eq(ps_store_write(store, cosig_tx, &c, &d), PS_ERR_INVALID);
    printf("bad signature: %s\n", c.diag.message);
    c = (struct cosig_ctx){.note = PS_STR("not a note")};
    cr_assert_eq(ps_store_write(store, cosig_tx, &c, &d), PS_ERR_INVALID);
    ps_buf_reset(&body);

    /* removed: its cosignature of the next checkpoint is refused */
    cr_assert_eq(wit_remove("witness.example/w1", &wc0), PS_OK, "%s", wc0.diag.message);
    cr_assert_eq(integrate(NULL), 6);
    cosigned_latest(w, &body);
    c = (struct cosig_ctx){.note = ps_buf_str(&body)};
    cr_assert_eq(ps_store_write(store, cosig_tx, &c, &d), PS_ERR_INVALID);
    cr_assert_not_null(strstr(c.diag.message, "not a configured witness key"), "%s",
                       c.diag.message);

    ps_free(n);
    ps_buf_reset(&line);
    ps_buf_reset(&body);
    ps_buf_reset(&vk);
    ps_buf_reset(&svk);
    snap_free(&s);
    snap_free(&s2);
    ps_note_signer_free(w);
    ps_note_signer_free(stranger);
}

static const struct ps_sql kinds = {
    "test.kinds", "SELECT kind, subject, purpose FROM access_log ORDER BY id"};

static enum ps_err change_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_actor a = {.kind = PS_ACTOR_SYSTEM, .id = PS_STR("registry-sync")};
    struct ps_diag *d = ctx;
    enum ps_err e = ps_tlog_record_change(tx, &a, "document.issue", PS_STR("3100000001"),
                                          PS_STR("documents/abc"), PS_STR_NULL, d);
    if (e == PS_OK)
        e = ps_tlog_record_change(tx, &a, "key.rotate", PS_STR_NULL, PS_STR("keys/tlog"),
                                  PS_STR("yearly"), d);
    return e;
}

static enum ps_err kinds_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_buf *b = ctx;
    struct ps_stmt *st = NULL;
    bool row = true;
    enum ps_err e = ps_tx_prepare(tx, &kinds, &st);
    while (e == PS_OK) {
        e = ps_stmt_step(st, &row);
        if (e != PS_OK || !row)
            break;
        e = ps_buf_printf(b, "%.*s/%.*s/%.*s;", PS_STR_FMT(ps_stmt_text(st, 0)),
                          PS_STR_FMT(ps_stmt_text(st, 1)), PS_STR_FMT(ps_stmt_text(st, 2)));
    }
    ps_stmt_done(st);
    return e;
}

static enum ps_err bad_change_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_actor a = {.kind = PS_ACTOR_SYSTEM, .id = PS_STR("x")};
    return ps_tlog_record_change(tx, &a, "", PS_STR_NULL, PS_STR("r"), PS_STR_NULL, ctx);
}

Test(tlog_store, changes_are_records_too)
{
    struct ps_diag d = {0};
    add_records(0, 1);
    cr_assert_eq(ps_store_write(store, change_tx, &d, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_store_write(store, bad_change_tx, &d, &d), PS_ERR_INVALID);
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    cr_assert_eq(ps_store_read(store, kinds_tx, &b, &d), PS_OK);
    cr_assert_str_eq(b.p, "access/3100000000/case-0 secret purpose;change/3100000001/;"
                          "change//yearly;");
    ps_buf_reset(&b);
    cr_assert_eq(integrate(NULL), 3);
    struct snapshot s;
    snap(&s);
    cr_assert_not_null(strstr(s.entries[2].p, "\"action\":\"key.rotate\""), "%s", s.entries[2].p);
    cr_assert_not_null(strstr(s.entries[2].p, "\"kind\":\"system\",\"id\":\"registry-sync\""));
    snap_free(&s);
}

Test(tlog_store, background_integrator)
{
    struct ps_tlog_integrator *it = NULL;
    struct ps_tlog_integrator_opts o = {.signer = signer, .interval_ms = 50};
    struct ps_diag d = {0};
    cr_assert_eq(ps_tlog_integrator_start(store, &o, &it, &d), PS_OK, "%s", d.message);
    add_records(0, 40);
    int64_t until = ps_clock_mono_ns() + 5000000000LL;
    struct ps_tlog_integrator_stats st = {0};
    while (ps_clock_mono_ns() < until) {
        ps_tlog_integrator_stats(it, &st);
        if (st.size == 40)
            break;
        usleep(10000);
    }
    cr_assert_eq(st.size, 40, "integrator reached %" PRIu64, st.size);
    ps_tlog_integrator_stop(it);
    struct snapshot s;
    snap(&s);
    cr_assert_eq(s.size, 40);
    struct ps_hash root = open_checkpoint(ps_buf_str(&s.note), 40);
    struct ps_hash again = root_of_entries(&s, 40);
    cr_assert(ps_hash_eq(&root, &again));
    snap_free(&s);
}

Test(tlog_store, service_signs_with_the_platform_log_key)
{
    struct ps_master_key *m = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_keys_master_from_hex(PS_STR("000102030405060708090a0b0c0d0e0f"
                                                "101112131415161718191a1b1c1d1e1f"), &m, &d),
                 PS_OK, "%s", d.message);
    struct ps_tlog_service *svc = NULL;
    cr_assert_eq(ps_tlog_service_start(store, m, NULL, &svc, &d), PS_ERR_NOTFOUND);
    cr_assert_eq(ps_keystore_generate_all(store, m, NULL, NULL, &d), PS_OK, "%s", d.message);
    add_records(0, 3);
    cr_assert_eq(ps_tlog_service_start(store, m, NULL, &svc, &d), PS_OK, "%s", d.message);
    struct ps_note_verifier v;
    cr_assert_eq(ps_note_verifier_parse(ps_str_from_cstr(ps_tlog_service_vkey(svc)), &v, &d),
                 PS_OK, "%s", d.message);
    cr_assert_str_eq(v.name, PS_TLOG_DEFAULT_ORIGIN);
    printf("log key: %s\n", ps_tlog_service_vkey(svc));
    struct snapshot s;
    snap(&s); /* start ran one round: the checkpoint is there already */
    cr_assert_eq(s.size, 3);
    struct ps_checkpoint_policy pol = {.origin = PS_STR(PS_TLOG_DEFAULT_ORIGIN),
                                       .log_keys = &v, .nlog_keys = 1};
    struct ps_note *n = ps_malloc(sizeof *n);
    struct ps_checkpoint c;
    cr_assert_eq(ps_checkpoint_open(ps_buf_str(&s.note), &pol, n, &c, NULL, &d), PS_OK, "%s",
                 d.message);
    ps_free(n);
    snap_free(&s);
    ps_tlog_service_stop(svc);
    ps_keys_master_free(m);
}

static enum ps_err raw_tx(struct ps_tx *tx, void *ctx);
static char preset_id[37];

Test(tlog_store, late_records_are_swept_in)
{
    struct ps_uuid early = ps_uuid7(); /* an id taken before the others, committed after */
    ps_uuid_fmt(&early, preset_id);
    add_records(0, 10);
    cr_assert_eq(integrate(NULL), 10);
    struct ps_diag d = {0};
    struct pending_late pl = {true, true};
    cr_assert_eq(ps_store_read(store, pending_late_tx, &pl, &d), PS_OK);
    cr_assert(!pl.pending && !pl.late, "nothing is pending after the round");
    add_records(10, 11); /* a new record above the integrated ones is not late */
    cr_assert_eq(ps_store_read(store, pending_late_tx, &pl, &d), PS_OK);
    cr_assert(pl.pending && !pl.late);
    cr_assert_eq(integrate(NULL), 11);
    int i = 99;
    cr_assert_eq(ps_store_write(store, raw_tx, &i, &d), PS_OK, "%s", d.message);
    preset_id[0] = '\0';
    cr_assert_eq(ps_store_read(store, pending_late_tx, &pl, &d), PS_OK);
    cr_assert(pl.pending && pl.late, "the sweep sees the late record");
    cr_assert_eq(integrate(NULL), 12);
    cr_assert_eq(ps_store_read(store, pending_late_tx, &pl, &d), PS_OK);
    cr_assert(!pl.pending && !pl.late, "the late record is in the log");
    struct snapshot s;
    snap(&s);
    cr_assert_eq(s.n, 12);
    struct ps_hash root = open_checkpoint(ps_buf_str(&s.note), 12);
    struct ps_hash again = root_of_entries(&s, 12);
    cr_assert(ps_hash_eq(&root, &again));
    snap_free(&s);
}

/* One round as the running integrator does it after a sweep read found a late record: the
 * window sweep, not the whole-table sweep of a start. */
struct sweep_round {
    struct ps_tlog_round_in in;
    struct ps_tlog_round_out *out;
    struct ps_diag diag;
};

static enum ps_err sweep_round_tx(struct ps_tx *tx, void *ctx)
{
    struct sweep_round *r = ctx;
    ps_diag_clear(&r->diag);
    return ps_tlog_integrate_tx(tx, &r->in, r->out, &r->diag);
}

static enum ps_err round_with_sweep(struct ps_tlog_round_out *out, struct ps_diag *d)
{
    struct sweep_round r = {.out = out};
    r.in.signer = signer;
    r.in.origin = ps_str_from_cstr(origin);
    r.in.sweep = true;
    enum ps_err e = ps_store_write(store, sweep_round_tx, &r, d);
    if (e != PS_OK && r.diag.code != PS_OK)
        *d = r.diag;
    return e;
}

Test(tlog_store, a_record_late_by_the_whole_window_is_swept_in_while_running)
{
    /* an id 65 s older than the newest integrated one, committed only now: it committed
     * within the window of its own time plus one sweep interval, so the running
     * integrator's sweep (read, then round) must find it, not only the next start */
    ps_clock_set_fixed(ps_clock_now_ms() - PS_TLOG_WINDOW_MS - 5000);
    struct ps_uuid old = ps_uuid7();
    ps_clock_set_fixed(-1);
    add_records(0, 5);
    cr_assert_eq(integrate(NULL), 5);
    ps_uuid_fmt(&old, preset_id);
    int i = 97;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, raw_tx, &i, &d), PS_OK, "%s", d.message);
    preset_id[0] = '\0';
    struct pending_late pl = {false, false};
    cr_assert_eq(ps_store_read(store, pending_late_tx, &pl, &d), PS_OK);
    cr_assert(pl.pending && pl.late, "the sweep read sees it");
    struct ps_tlog_round_out o;
    cr_assert_eq(round_with_sweep(&o, &d), PS_OK, "%s", d.message);
    cr_assert_eq(o.appended, 1, "the sweeping round sequences it");
    cr_assert_eq(o.new_size, 6);
}

Test(tlog_store, records_older_than_the_window_are_sequenced_at_start)
{
    /* an id from ten minutes ago (a clock stepped back, a very long transaction): outside
     * the late-record window, found by the full sweep that starts every integration run */
    ps_clock_set_fixed(ps_clock_now_ms() - 10 * 60 * 1000);
    struct ps_uuid old = ps_uuid7();
    ps_clock_set_fixed(-1);
    add_records(0, 5);
    cr_assert_eq(integrate(NULL), 5);
    ps_uuid_fmt(&old, preset_id);
    int i = 98;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, raw_tx, &i, &d), PS_OK, "%s", d.message);
    preset_id[0] = '\0';
    cr_assert_eq(integrate(NULL), 6, "the old record is in the log after the next start");
    struct snapshot s;
    snap(&s);
    struct ps_hash root = open_checkpoint(ps_buf_str(&s.note), 6);
    struct ps_hash again = root_of_entries(&s, 6);
    cr_assert(ps_hash_eq(&root, &again));
    snap_free(&s);
}

/* ---- measurements (PS_TLOG_BENCH=1) ---- */

#define BENCH_THREADS 32

struct bench_thread {
    int from, to;
    bool raw;
};

static const struct ps_sql raw_insert = {
    "test.raw_insert",
    "INSERT INTO access_log (id, at_ms, actor_kind, actor_id, action, subject, resource, purpose,"
    " salt) VALUES ($1, $2, 'official', 'official-42', 'person.read', $3, $4, $5, $6)"};

static enum ps_err raw_tx(struct ps_tx *tx, void *ctx)
{
    int i = *(int *)ctx;
    char id[37], subject[11], resource[64], purpose[64];
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id);
    if (preset_id[0])
        memcpy(id, preset_id, sizeof id);
    subject_of(i, subject);
    snprintf(resource, sizeof resource, "persons/%s", subject);
    snprintf(purpose, sizeof purpose, "case-%d secret purpose", i);
    uint8_t salt[32];
    ps_random_bytes(salt, sizeof salt);
    struct ps_stmt *st = NULL;
    bool row;
    enum ps_err e = ps_tx_prepare(tx, &raw_insert, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, ps_clock_now_ms());
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 3, ps_str_from_cstr(subject));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 4, ps_str_from_cstr(resource));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 5, ps_str_from_cstr(purpose));
    if (e == PS_OK)
        e = ps_stmt_bind_blob(st, 6, salt, sizeof salt);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return e;
}

static void *bench_main(void *arg)
{
    struct bench_thread *t = arg;
    for (int i = t->from; i < t->to; i++) {
        struct rec_ctx c = {i, PS_ACTOR_OFFICIAL};
        struct ps_diag d = {0};
        enum ps_err e = t->raw ? ps_store_write(store, raw_tx, &i, &d)
                               : ps_store_write(store, record_tx, &c, &d);
        cr_assert_eq(e, PS_OK, "%s", d.message);
    }
    return NULL;
}

static double run_threads(int total, bool raw, int base)
{
    pthread_t th[BENCH_THREADS];
    struct bench_thread bt[BENCH_THREADS];
    int64_t t0 = ps_clock_mono_ns();
    for (int k = 0; k < BENCH_THREADS; k++) {
        bt[k] = (struct bench_thread){base + k * (total / BENCH_THREADS),
                                      base + (k + 1) * (total / BENCH_THREADS), raw};
        cr_assert_eq(pthread_create(&th[k], NULL, bench_main, &bt[k]), 0);
    }
    for (int k = 0; k < BENCH_THREADS; k++)
        pthread_join(th[k], NULL);
    return (double)total / ((double)(ps_clock_mono_ns() - t0) / 1e9);
}

/* The same rows straight into SQLite: one connection, one transaction, no fsync per row. */
static double raw_sqlite(int total)
{
    char path[80];
    snprintf(path, sizeof path, "%s.raw", dbpath);
    unlink(path);
    sqlite3 *db = NULL;
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                                  "CREATE TABLE a (id TEXT PRIMARY KEY, at_ms INTEGER, k TEXT, "
                                  "ai TEXT, ac TEXT, s TEXT, r TEXT, p TEXT, salt BLOB)",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_stmt *st = NULL;
    cr_assert_eq(sqlite3_prepare_v2(db, "INSERT INTO a VALUES (?1, ?2, 'official', "
                                        "'official-42', 'person.read', ?3, ?4, ?5, ?6)",
                                    -1, &st, NULL), SQLITE_OK);
    int64_t t0 = ps_clock_mono_ns();
    cr_assert_eq(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    for (int i = 0; i < total; i++) {
        char id[37], subject[11], resource[64], purpose[64];
        struct ps_uuid u = ps_uuid7();
        ps_uuid_fmt(&u, id);
        subject_of(i, subject);
        snprintf(resource, sizeof resource, "persons/%s", subject);
        snprintf(purpose, sizeof purpose, "case-%d secret purpose", i);
        uint8_t salt[32];
        ps_random_bytes(salt, sizeof salt);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 2, ps_clock_now_ms());
        sqlite3_bind_text(st, 3, subject, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, resource, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, purpose, -1, SQLITE_TRANSIENT);
        sqlite3_bind_blob(st, 6, salt, 32, SQLITE_TRANSIENT);
        cr_assert_eq(sqlite3_step(st), SQLITE_DONE);
        sqlite3_reset(st);
    }
    cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    double rate = (double)total / ((double)(ps_clock_mono_ns() - t0) / 1e9);
    sqlite3_finalize(st);
    sqlite3_close(db);
    unlink(path);
    return rate;
}

Test(tlog_store, bench_appends_with_integrator, .timeout = 600)
{
    if (!getenv("PS_TLOG_BENCH") || !getenv("PS_TLOG_BENCH")[0])
        cr_skip_test("set PS_TLOG_BENCH=1 to measure");
    int total = 20000;
    double plain = run_threads(total, false, 0);
    struct ps_tlog_integrator *it = NULL;
    struct ps_tlog_integrator_opts o = {.signer = signer};
    struct ps_diag d = {0};
    cr_assert_eq(ps_tlog_integrator_start(store, &o, &it, &d), PS_OK);
    double with = run_threads(total, false, total);
    double raw_jobs = run_threads(total, true, 2 * total);
    ps_tlog_integrator_stop(it);
    double raw = ps_test_pg_base() ? 0 : raw_sqlite(total);
    struct ps_tlog_integrator_stats st;
    (void)st;
    size_t n = 0;
    uint64_t size = integrate(&n);
    printf("durable appends (%d threads, ps_access_record jobs): %.0f/s without integrator, "
           "%.0f/s with the integrator running; raw INSERT jobs of the same rows with it: "
           "%.0f/s; one-transaction raw sqlite3 inserts (not durable per row): %.0f/s; "
           "tree size %" PRIu64 "\n",
           BENCH_THREADS, plain, with, raw_jobs, raw, size);
}

static const struct ps_sql bulk_insert = {
    "test.bulk_insert",
    "INSERT INTO access_log (id, at_ms, actor_kind, actor_id, action, subject, resource, purpose,"
    " salt) VALUES ($1, $2, 'official', 'official-42', 'person.read', $3, $4, $5, $6)"};

static enum ps_err bulk_tx(struct ps_tx *tx, void *ctx)
{
    int total = *(int *)ctx;
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &bulk_insert, &st);
    for (int i = 0; i < total && e == PS_OK; i++) {
        char id[37];
        struct ps_uuid u = ps_uuid7();
        ps_uuid_fmt(&u, id);
        uint8_t salt[32];
        ps_random_bytes(salt, sizeof salt);
        bool row;
        ps_stmt_reset(st);
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
        if (e == PS_OK)
            e = ps_stmt_bind_i64(st, 2, ps_clock_now_ms());
        if (e == PS_OK)
            e = ps_stmt_bind_text(st, 3, PS_STR("3184710691"));
        if (e == PS_OK)
            e = ps_stmt_bind_text(st, 4, PS_STR("persons/3184710691"));
        if (e == PS_OK)
            e = ps_stmt_bind_text(st, 5, PS_STR("bench"));
        if (e == PS_OK)
            e = ps_stmt_bind_blob(st, 6, salt, 32);
        if (e == PS_OK)
            e = ps_stmt_step(st, &row);
    }
    ps_stmt_done(st);
    return e;
}

struct many_proofs {
    uint64_t size;
    int count;
    double incl_ns, cons_ns;
};

static enum ps_err many_tx(struct ps_tx *tx, void *ctx)
{
    struct many_proofs *m = ctx;
    struct ps_merkle_proof p;
    struct ps_diag d = {0};
    int64_t t0 = ps_clock_mono_ns();
    for (int i = 0; i < m->count; i++) {
        uint64_t idx = ((uint64_t)ps_random_uniform(UINT32_MAX) * 2654435761u) % m->size;
        enum ps_err e = ps_tlog_inclusion(tx, idx, m->size, &p, &d);
        if (e != PS_OK)
            return e;
    }
    int64_t t1 = ps_clock_mono_ns();
    for (int i = 0; i < m->count; i++) {
        uint64_t first = 1 + ps_random_uniform((uint32_t)(m->size - 1));
        enum ps_err e = ps_tlog_consistency(tx, first, m->size, &p, &d);
        if (e != PS_OK)
            return e;
    }
    int64_t t2 = ps_clock_mono_ns();
    m->incl_ns = (double)(t1 - t0) / m->count;
    m->cons_ns = (double)(t2 - t1) / m->count;
    return PS_OK;
}

Test(tlog_store, bench_proofs_at_a_million, .timeout = 1200)
{
    if (!getenv("PS_TLOG_BENCH") || !getenv("PS_TLOG_BENCH")[0])
        cr_skip_test("set PS_TLOG_BENCH=1 to measure");
    int total = 1100000;
    struct ps_diag d = {0};
    int64_t t0 = ps_clock_mono_ns();
    cr_assert_eq(ps_store_bulk(store, bulk_tx, &total, &d), PS_OK, "%s", d.message);
    int64_t t1 = ps_clock_mono_ns();
    size_t n = 0;
    uint64_t size = integrate(&n);
    int64_t t2 = ps_clock_mono_ns();
    cr_assert_eq(size, (uint64_t)total);
    struct many_proofs m = {.size = size, .count = 2000};
    cr_assert_eq(ps_store_read(store, many_tx, &m, &d), PS_OK, "%s", d.message);
    printf("1.1M records: bulk insert %.1f s; integration %.1f s (%.0f entries/s, rounds of "
           "%d); inclusion proof %.0f us, consistency proof %.0f us (store provider, %d "
           "each)\n",
           (double)(t1 - t0) / 1e9, (double)(t2 - t1) / 1e9,
           (double)total / ((double)(t2 - t1) / 1e9), PS_TLOG_ROUND_MAX, m.incl_ns / 1e3,
           m.cons_ns / 1e3, m.count);
}

/* ---- allocation failures: every allocation point of an integration ----
 * Fails the N-th allocation (once) for N = 0, 1, 2, ... of ps_tlog_integrate_now with new
 * records pending, until an integration runs without reaching it. A failed integration leaves
 * the log exactly as it was (the round is one transaction); a successful one sequences every
 * pending record and the log verifies. Leaks are LeakSanitizer's (the ASan build). */

static const struct ps_sql log_shape = {
    "test.log_shape",
    "SELECT (SELECT size FROM tlog_state), (SELECT count(*) FROM tlog_entries), "
    "(SELECT count(*) FROM tlog_hashes), (SELECT count(*) FROM tlog_checkpoints), "
    "(SELECT count(*) FROM access_log)"};

struct shape {
    int64_t size, entries, hashes, checkpoints, records;
};

static enum ps_err shape_tx(struct ps_tx *tx, void *ctx)
{
    struct shape *s = ctx;
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &log_shape, &st);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && row)
        *s = (struct shape){ps_stmt_i64(st, 0), ps_stmt_i64(st, 1), ps_stmt_i64(st, 2),
                            ps_stmt_i64(st, 3), ps_stmt_i64(st, 4)};
    ps_stmt_done(st);
    return e;
}

static struct shape log_now(void)
{
    struct shape s = {-1, -1, -1, -1, -1};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, shape_tx, &s, &d), PS_OK, "%s", d.message);
    return s;
}

struct whole {
    struct ps_note_verifier key;
    struct ps_tlog_report rep;
    enum ps_err result;
};

static enum ps_err whole_tx(struct ps_tx *tx, void *ctx)
{
    struct whole *w = ctx;
    struct ps_tlog_store_source ss;
    struct ps_tlog_source src;
    struct ps_diag d = {0};
    struct ps_tlog_verify_opts o = {.keys = &w->key, .nkeys = 1, .chain = true};
    ps_tlog_store_source_init(&ss, tx, &src);
    w->result = ps_tlog_verify(&src, &o, &w->rep, &d);
    return PS_OK;
}

Test(tlog_store, integration_survives_every_allocation_failure, .timeout = 300)
{
    long n, failed = 0;
    bool fresh = true;
    for (n = 0; n < 20000; n++) {
        /* the same three records stay pending until an integration succeeds: with more and
         * more pending, each attempt would need more allocations than the sweep has reached */
        if (fresh)
            add_records((int)n * 3, (int)n * 3 + 3);
        struct shape before = log_now();
        struct ps_diag d = {0};
        uint64_t size = 0;
        ps_alloc_fail_nth(n);
        enum ps_err e = ps_tlog_integrate_now(store, signer, origin, NULL, &size, &d);
        bool fired = ps_alloc_fail_fired();
        ps_alloc_fail_reset();
        struct shape after = log_now();
        cr_assert(e == PS_OK || e == PS_ERR_NOMEM, "allocation %ld: %s: %s", n, ps_err_name(e),
                  d.message);
        fresh = e == PS_OK;
        if (e != PS_OK) {
            failed++;
            cr_assert(memcmp(&before, &after, sizeof before) == 0,
                      "allocation %ld: a failed integration changed the log", n);
        } else {
            cr_assert_eq(after.size, after.records, "allocation %ld: every record sequenced", n);
            cr_assert_eq(after.entries, after.size);
            cr_assert_eq((int64_t)size, after.size);
            struct whole w = {.key = *ps_note_signer_verifier(signer)};
            cr_assert_eq(ps_store_read(store, whole_tx, &w, &d), PS_OK, "%s", d.message);
            cr_assert_eq(w.result, PS_OK, "allocation %ld: %s", n, w.rep.message);
            cr_assert_eq(w.rep.size, (uint64_t)after.size);
        }
        if (!fired)
            break;
    }
    cr_assert_lt(n, 20000);
    cr_assert_gt(failed, 0, "no allocation of an integration failed: the sweep saw nothing");
    cr_log_info("integration: %ld allocations swept, %ld failed cleanly", n, failed);
}
