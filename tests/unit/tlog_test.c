/* Unit tests of the pure transparency-log core: RFC 9162 Merkle trees and proofs (published
 * vectors and exhaustive small trees), C2SP tiles and bundles, signed notes (Go sumdb/note
 * vector), checkpoints and cosignatures (a real witnessed checkpoint). Prints proof timing at
 * 10 million leaves without asserting on it. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "tlog/checkpoint.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
}

TestSuite(tlog, .init = setup);

/* ---- helpers ---- */

static struct ps_hash hex_hash(const char *hex)
{
    struct ps_hash h;
    size_t len = 0;
    cr_assert(sodium_hex2bin(h.b, sizeof h.b, hex, strlen(hex), NULL, &len, NULL) == 0);
    cr_assert_eq(len, PS_HASH_LEN);
    return h;
}

static struct ps_hash leaf_of(const void *p, size_t n)
{
    struct ps_hash h;
    cr_assert_eq(ps_merkle_leaf_hash(p, n, &h), PS_OK);
    return h;
}

static struct ps_hash node_of(const struct ps_hash *l, const struct ps_hash *r)
{
    struct ps_hash h;
    cr_assert_eq(ps_merkle_node_hash(l, r, &h), PS_OK);
    return h;
}

/* The RFC 9162 definition of MTH, written as plainly as the RFC writes it, as the reference
 * the provider-based code is checked against. */
static struct ps_hash ref_mth(const struct ps_hash *leaves, uint64_t n)
{
    if (n == 1)
        return leaves[0];
    uint64_t k = 1;
    while (k * 2 < n)
        k *= 2;
    struct ps_hash l = ref_mth(leaves, k), r = ref_mth(leaves + k, n - k);
    return node_of(&l, &r);
}

/* Provider over an array of leaf hashes, computing every subtree from them. */
struct memtree {
    const struct ps_hash *leaves;
    uint64_t n;
    unsigned calls;
};

static enum ps_err memtree_hashes(void *ctx, unsigned level, uint64_t first, size_t count,
                                  struct ps_hash *out)
{
    struct memtree *t = ctx;
    t->calls++;
    for (size_t i = 0; i < count; i++) {
        uint64_t lo = (first + i) << level, w = (uint64_t)1 << level;
        if (level >= 63 || lo + w > t->n)
            return PS_ERR_NOTFOUND;
        out[i] = ref_mth(t->leaves + lo, w);
    }
    return PS_OK;
}

static const unsigned char *const vec_in[8] = {
    (const unsigned char *)"",
    (const unsigned char *)"\x00",
    (const unsigned char *)"\x10",
    (const unsigned char *)"\x20\x21",
    (const unsigned char *)"\x30\x31",
    (const unsigned char *)"\x40\x41\x42\x43",
    (const unsigned char *)"\x50\x51\x52\x53\x54\x55\x56\x57",
    (const unsigned char *)"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
};
static const size_t vec_len[8] = {0, 1, 1, 2, 2, 4, 8, 16};

/* Roots of the first n of the 8 inputs (the RFC 6962 test vectors of Certificate
 * Transparency implementations), recomputed independently in Python with hashlib. */
static const char *const vec_root[9] = {
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void vec_leaves(struct ps_hash out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = leaf_of(vec_in[i], vec_len[i]);
}

static void leaves_n(struct ps_hash *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t e[8];
        for (int b = 0; b < 8; b++)
            e[b] = (uint8_t)(i >> (8 * b));
        out[i] = leaf_of(e, sizeof e);
    }
}

/* ---- Merkle trees ---- */

Test(tlog, merkle_known_roots)
{
    struct ps_hash leaves[8], h;
    vec_leaves(leaves);
    struct memtree t = {leaves, 8, 0};
    struct ps_merkle_provider p = {memtree_hashes, &t};
    struct ps_merkle_frontier f;
    ps_merkle_frontier_init(&f);
    for (uint64_t n = 0; n <= 8; n++) {
        struct ps_hash want = hex_hash(vec_root[n]);
        t.n = n;
        cr_assert_eq(ps_merkle_root(&p, n, &h), PS_OK);
        cr_assert(ps_hash_eq(&h, &want), "root of %llu leaves", (unsigned long long)n);
        cr_assert_eq(ps_merkle_frontier_root(&f, &h), PS_OK);
        cr_assert(ps_hash_eq(&h, &want), "frontier root of %llu leaves", (unsigned long long)n);
        if (n < 8)
            cr_assert_eq(ps_merkle_frontier_append(&f, &leaves[n], NULL, NULL), PS_OK);
    }
}

Test(tlog, merkle_known_proofs)
{
    struct ps_hash leaves[8];
    vec_leaves(leaves);
    struct memtree t = {leaves, 8, 0};
    struct ps_merkle_provider p = {memtree_hashes, &t};
    struct ps_merkle_proof proof;
    static const char *const incl_0_8[] = {
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    };
    cr_assert_eq(ps_merkle_inclusion_proof(&p, 0, 8, &proof), PS_OK);
    cr_assert_eq(proof.len, 3);
    for (int i = 0; i < 3; i++) {
        struct ps_hash w = hex_hash(incl_0_8[i]);
        cr_assert(ps_hash_eq(&proof.h[i], &w));
    }
    static const char *const cons_6_8[] = {
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    };
    cr_assert_eq(ps_merkle_consistency_proof(&p, 6, 8, &proof), PS_OK);
    cr_assert_eq(proof.len, 3);
    for (int i = 0; i < 3; i++) {
        struct ps_hash w = hex_hash(cons_6_8[i]);
        cr_assert(ps_hash_eq(&proof.h[i], &w));
    }
    static const char *const cons_3_7[] = {
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "837dbb152e9b079010717e84e865da4ebc0fa198a806d59d31bf15accef22d0e",
    };
    cr_assert_eq(ps_merkle_consistency_proof(&p, 3, 7, &proof), PS_OK);
    cr_assert_eq(proof.len, 4);
    for (int i = 0; i < 4; i++) {
        struct ps_hash w = hex_hash(cons_3_7[i]);
        cr_assert(ps_hash_eq(&proof.h[i], &w));
    }
    struct ps_hash r3 = hex_hash(vec_root[3]), r7 = hex_hash(vec_root[7]);
    cr_assert_eq(ps_merkle_verify_consistency(3, 7, proof.h, proof.len, &r3, &r7), PS_OK);
    /* 4 is a power of two: the proof to 7 is the single sibling subtree */
    cr_assert_eq(ps_merkle_consistency_proof(&p, 4, 7, &proof), PS_OK);
    cr_assert_eq(proof.len, 1);
}

/* Every (index, size) and (m, n) up to 64: generated proofs verify, and fail after flipping
 * any bit of any byte... one bit per byte suffices to touch every byte. */
Test(tlog, merkle_all_proofs_to_64)
{
    enum { N = 64 };
    struct ps_hash leaves[N], roots[N + 1];
    leaves_n(leaves, N);
    struct memtree t = {leaves, N, 0};
    struct ps_merkle_provider p = {memtree_hashes, &t};
    cr_assert_eq(ps_merkle_empty_root(&roots[0]), PS_OK);
    for (uint64_t n = 1; n <= N; n++) {
        roots[n] = ref_mth(leaves, n);
        struct ps_hash h;
        cr_assert_eq(ps_merkle_root(&p, n, &h), PS_OK);
        cr_assert(ps_hash_eq(&h, &roots[n]));
    }
    struct ps_merkle_proof proof;
    for (uint64_t n = 1; n <= N; n++)
        for (uint64_t i = 0; i < n; i++) {
            cr_assert_eq(ps_merkle_inclusion_proof(&p, i, n, &proof), PS_OK);
            cr_assert_eq(
                ps_merkle_verify_inclusion(&leaves[i], i, n, proof.h, proof.len, &roots[n]), PS_OK,
                "incl %llu/%llu", (unsigned long long)i, (unsigned long long)n);
            for (size_t e = 0; e < proof.len; e++)
                for (size_t b = 0; b < PS_HASH_LEN; b++) {
                    proof.h[e].b[b] ^= 0x01;
                    cr_assert_eq(
                        ps_merkle_verify_inclusion(&leaves[i], i, n, proof.h, proof.len, &roots[n]),
                        PS_ERR_CRYPTO);
                    proof.h[e].b[b] ^= 0x01;
                }
            /* wrong index, wrong size, short and long paths */
            if (n > 1)
                cr_assert_neq(ps_merkle_verify_inclusion(&leaves[i], (i + 1) % n, n, proof.h,
                                                         proof.len, &roots[n]),
                              PS_OK);
            if (n < N) /* the next tree's root is not proven by this tree's path */
                cr_assert_neq(ps_merkle_verify_inclusion(&leaves[i], i, n + 1, proof.h, proof.len,
                                                         &roots[n + 1]),
                              PS_OK);
            if (proof.len)
                cr_assert_eq(
                    ps_merkle_verify_inclusion(&leaves[i], i, n, proof.h, proof.len - 1, &roots[n]),
                    PS_ERR_CRYPTO);
            proof.h[proof.len] = roots[n];
            cr_assert_eq(
                ps_merkle_verify_inclusion(&leaves[i], i, n, proof.h, proof.len + 1, &roots[n]),
                PS_ERR_CRYPTO);
        }
    for (uint64_t n = 1; n <= N; n++)
        for (uint64_t m = 1; m <= n; m++) {
            cr_assert_eq(ps_merkle_consistency_proof(&p, m, n, &proof), PS_OK);
            cr_assert_eq(
                ps_merkle_verify_consistency(m, n, proof.h, proof.len, &roots[m], &roots[n]), PS_OK,
                "cons %llu..%llu", (unsigned long long)m, (unsigned long long)n);
            for (size_t e = 0; e < proof.len; e++)
                for (size_t b = 0; b < PS_HASH_LEN; b++) {
                    proof.h[e].b[b] ^= 0x80;
                    cr_assert_eq(ps_merkle_verify_consistency(m, n, proof.h, proof.len, &roots[m],
                                                              &roots[n]),
                                 PS_ERR_CRYPTO);
                    proof.h[e].b[b] ^= 0x80;
                }
            if (m < n) {
                cr_assert_eq(ps_merkle_verify_consistency(m, n, proof.h, proof.len,
                                                          &roots[m - 1 ? m - 1 : n], &roots[n]),
                             PS_ERR_CRYPTO);
                cr_assert_eq(ps_merkle_verify_consistency(m, n, proof.h, proof.len - 1, &roots[m],
                                                          &roots[n]),
                             PS_ERR_CRYPTO);
            }
        }
    /* argument errors */
    cr_assert_eq(ps_merkle_inclusion_proof(&p, 5, 5, &proof), PS_ERR_INVALID);
    cr_assert_eq(ps_merkle_consistency_proof(&p, 0, 5, &proof), PS_ERR_INVALID);
    cr_assert_eq(ps_merkle_consistency_proof(&p, 6, 5, &proof), PS_ERR_INVALID);
    cr_assert_eq(ps_merkle_verify_consistency(6, 5, NULL, 0, &roots[6], &roots[5]), PS_ERR_INVALID);
    cr_assert_eq(ps_merkle_verify_consistency(0, 5, NULL, 0, &roots[0], &roots[5]), PS_OK);
    cr_assert_eq(ps_merkle_verify_consistency(5, 5, NULL, 0, &roots[5], &roots[5]), PS_OK);
    cr_assert_eq(ps_merkle_verify_consistency(5, 5, NULL, 0, &roots[4], &roots[5]), PS_ERR_CRYPTO);
    cr_assert_eq(ps_merkle_verify_inclusion(&leaves[0], 3, 3, NULL, 0, &roots[3]), PS_ERR_INVALID);
}

/* A provider error (a hash the store does not have) comes back unchanged. */
Test(tlog, merkle_provider_errors_pass_through)
{
    struct ps_hash leaves[8];
    leaves_n(leaves, 8);
    struct memtree t = {leaves, 5, 0}; /* knows only 5 leaves */
    struct ps_merkle_provider p = {memtree_hashes, &t};
    struct ps_merkle_proof proof;
    cr_assert_eq(ps_merkle_inclusion_proof(&p, 0, 8, &proof), PS_ERR_NOTFOUND);
    cr_assert_eq(proof.len, 0);
    cr_assert_eq(ps_merkle_consistency_proof(&p, 3, 8, &proof), PS_ERR_NOTFOUND);
    struct ps_merkle_frontier f;
    ps_merkle_frontier_init(&f);
    cr_assert_eq(ps_merkle_frontier_load(&f, &p, 8), PS_ERR_NOTFOUND);
    cr_assert_eq(f.size, 0);
}

struct emitted {
    unsigned count[64];
    uint64_t next[64];
};

static enum ps_err record_emit(void *ctx, unsigned level, uint64_t index, const struct ps_hash *h)
{
    struct emitted *e = ctx;
    cr_assert_eq(index, e->next[level], "level %u emitted out of order", level);
    e->next[level]++;
    e->count[level]++;
    (void)h;
    return PS_OK;
}

Test(tlog, merkle_frontier_emits_and_loads)
{
    enum { N = 1000 };
    static struct ps_hash leaves[N];
    leaves_n(leaves, N);
    struct memtree t = {leaves, N, 0};
    struct ps_merkle_provider p = {memtree_hashes, &t};
    struct ps_merkle_frontier f, g;
    struct emitted e = {0};
    ps_merkle_frontier_init(&f);
    for (size_t i = 0; i < N; i++) {
        cr_assert_eq(ps_merkle_frontier_append(&f, &leaves[i], record_emit, &e), PS_OK);
        if ((i + 1) % 97 == 0 || i + 1 == N) {
            struct ps_hash a, b;
            cr_assert_eq(ps_merkle_frontier_root(&f, &a), PS_OK);
            b = ref_mth(leaves, i + 1);
            cr_assert(ps_hash_eq(&a, &b));
            t.calls = 0;
            cr_assert_eq(ps_merkle_frontier_load(&g, &p, i + 1), PS_OK);
            cr_assert_eq(t.calls, (unsigned)__builtin_popcountll(i + 1));
            cr_assert_eq(ps_merkle_frontier_root(&g, &b), PS_OK);
            cr_assert(ps_hash_eq(&a, &b));
        }
    }
    for (unsigned l = 0; l < 10; l++)
        cr_assert_eq(e.count[l], N >> l, "level %u: %u", l, e.count[l]);
}

/* ---- tiles ---- */

static void assert_path(struct ps_tile t, const char *want)
{
    char buf[PS_TILE_PATH_MAX];
    size_t len;
    struct ps_tile back;
    struct ps_diag d;
    cr_assert_eq(ps_tile_path(&t, buf, &len), PS_OK);
    cr_assert_str_eq(buf, want);
    cr_assert_eq(len, strlen(want));
    cr_assert_eq(ps_tile_parse(ps_str_from_cstr(buf), &back, &d), PS_OK, "%s: %s", want, d.message);
    cr_assert(back.entries == t.entries && back.level == t.level && back.index == t.index &&
              back.width == t.width);
}

Test(tlog, tile_paths)
{
    assert_path((struct ps_tile){false, 0, 1234067, 256}, "tile/0/x001/x234/067");
    assert_path((struct ps_tile){false, 0, 0, 256}, "tile/0/000");
    assert_path((struct ps_tile){false, 1, 999, 17}, "tile/1/999.p/17");
    assert_path((struct ps_tile){false, 2, 1000, 1}, "tile/2/x001/000.p/1");
    assert_path((struct ps_tile){false, 63, 5, 255}, "tile/63/005.p/255");
    assert_path((struct ps_tile){true, 0, 273, 112}, "tile/entries/273.p/112");
    assert_path((struct ps_tile){true, 0, UINT64_MAX, 256},
                "tile/entries/x018/x446/x744/x073/x709/x551/615");
    /* round trips over many indexes and widths */
    uint64_t x = 0x9E3779B97F4A7C15u;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        struct ps_tile t = {(x & 1) != 0, 0, x >> (x & 63), (unsigned)(x >> 40) % 256 + 1};
        if (!t.entries)
            t.level = (unsigned)(x >> 20) % 64;
        char buf[PS_TILE_PATH_MAX];
        struct ps_tile back;
        cr_assert_eq(ps_tile_path(&t, buf, NULL), PS_OK);
        cr_assert_eq(ps_tile_parse(ps_str_from_cstr(buf), &back, NULL), PS_OK, "%s", buf);
        cr_assert(back.entries == t.entries && back.level == t.level && back.index == t.index &&
                      back.width == t.width,
                  "%s", buf);
    }
    char buf[PS_TILE_PATH_MAX];
    cr_assert_eq(ps_tile_path(&(struct ps_tile){false, 0, 0, 0}, buf, NULL), PS_ERR_INVALID);
    cr_assert_eq(ps_tile_path(&(struct ps_tile){false, 0, 0, 257}, buf, NULL), PS_ERR_INVALID);
    cr_assert_eq(ps_tile_path(&(struct ps_tile){false, 64, 0, 1}, buf, NULL), PS_ERR_INVALID);
    cr_assert_eq(ps_tile_path(&(struct ps_tile){true, 1, 0, 1}, buf, NULL), PS_ERR_INVALID);
}

Test(tlog, tile_parse_rejects)
{
    static const char *const bad[] = {
        "",
        "tile",
        "tile/",
        "/tile/0/000",
        "tiles/0/000",
        "tile/0",
        "tile/0/",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/100/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/a/000",
        "tile/1x/000",
        "tile/0/00",
        "tile/0/0000",
        "tile/0/1",
        "tile/0/x000/001",
        "tile/0/x001",
        "tile/0/x001/",
        "tile/0/001/002",
        "tile/0/x01/002",
        "tile/0/X001/002",
        "tile/0/x001/x002",
        "tile/0/000/",
        "tile/0/000.p",
        "tile/0/000.p/",
        "tile/0/000.p/0",
        "tile/0/000.p/00",
        "tile/0/000.p/01",
        "tile/0/000.p/256",
        "tile/0/000.p/1000",
        "tile/0/000.p/1/",
        "tile/0/000.p/1x",
        "tile/0/000.q/1",
        "tile/0/000x",
        "tile/0/000?x=1",
        "tile/0/000 ",
        "tile/0//000",
        "tile/entries",
        "tile/entries/",
        "tile/entries/0",
        "tile/entries/x000/000",
        "tile/entries/000.p/256",
        "tile/entries/000/",
        "tile/data/000",
        /* 18446744073709551616 = 2^64 */
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x001/x000/x000/x000/x000/x000/x000/000",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ps_tile t;
        struct ps_diag d = {0};
        cr_assert_eq(ps_tile_parse(ps_str_from_cstr(bad[i]), &t, &d), PS_ERR_INVALID, "accepted %s",
                     bad[i]);
        cr_assert(d.message[0] != '\0', "no reason for %s", bad[i]);
    }
    /* a NUL inside is just a byte that does not belong */
    struct ps_tile t;
    cr_assert_eq(ps_tile_parse((struct ps_str){"tile/0/000\0", 11}, &t, NULL), PS_ERR_INVALID);
    cr_assert_eq(ps_tile_parse(PS_STR_NULL, &t, NULL), PS_ERR_INVALID);
}

Test(tlog, tile_existence_70000)
{
    /* the tlog-tiles example: a tree of 70,000 has 273 full level-0 tiles, a partial level-0
     * tile of width 112, one full level-1 tile, a partial level-1 tile of width 17 and a
     * partial level-2 tile of width 1 */
    uint64_t s = 70000;
    cr_assert_eq(ps_tile_partial_width(0, s), 112);
    cr_assert_eq(ps_tile_partial_width(1, s), 17);
    cr_assert_eq(ps_tile_partial_width(2, s), 1);
    cr_assert_eq(ps_tile_partial_width(3, s), 0);
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 0, 272, 256}, s));
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 0, 273, 256}, s));
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 0, 273, 112}, s));
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 0, 273, 5}, s)); /* an older size */
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 0, 273, 113}, s));
    cr_assert(ps_tile_exists(&(struct ps_tile){true, 0, 273, 112}, s));
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 1, 0, 256}, s));
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 1, 1, 256}, s));
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 1, 1, 17}, s));
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 2, 0, 1}, s));
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 2, 0, 2}, s));
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 3, 0, 1}, s));
    /* a tree of 256 has one full level-0 tile and a level-1 tile of width 1 */
    cr_assert_eq(ps_tile_partial_width(0, 256), 0);
    cr_assert_eq(ps_tile_partial_width(1, 256), 1);
    /* the largest trees: no overflow, level 8 and above never exist */
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 7, 0, 255}, UINT64_MAX));
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 8, 0, 1}, UINT64_MAX));
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 0, UINT64_MAX, 256}, UINT64_MAX));
    cr_assert(ps_tile_exists(&(struct ps_tile){false, 0, UINT64_MAX / 256 - 1, 256}, UINT64_MAX));
    cr_assert(!ps_tile_exists(&(struct ps_tile){false, 0, 0, 1}, 0));
}

/* Stored tile levels (tree levels 0, 8, 16, ...) in memory, filled by the frontier through
 * ps_tiles_emit_stored. Level 0 may be synthetic (computed from the index) to spare memory. */
struct stored {
    struct ps_hash *lv[8];
    uint64_t n[8], cap[8];
    bool synthetic0;
    unsigned calls;
};

static struct ps_hash synth_leaf(uint64_t i)
{
    struct ps_hash h;
    for (int b = 0; b < PS_HASH_LEN; b++)
        h.b[b] = (uint8_t)((i >> (8 * (b % 8))) ^ (uint64_t)b * 0x3B);
    return h;
}

static enum ps_err stored_put(void *ctx, unsigned level, uint64_t index, const struct ps_hash *h)
{
    struct stored *s = ctx;
    unsigned q = level / 8;
    cr_assert_eq(level % 8, 0, "only tile levels reach the store");
    if (q == 0 && s->synthetic0)
        return PS_OK;
    cr_assert_eq(index, s->n[q]);
    if (s->n[q] == s->cap[q]) {
        s->cap[q] = s->cap[q] ? 2 * s->cap[q] : 64;
        s->lv[q] = ps_realloc(s->lv[q], s->cap[q] * sizeof(struct ps_hash));
        cr_assert_not_null(s->lv[q]);
    }
    s->lv[q][s->n[q]++] = *h;
    return PS_OK;
}

static enum ps_err stored_hashes(void *ctx, unsigned level, uint64_t first, size_t count,
                                 struct ps_hash *out)
{
    struct stored *s = ctx;
    s->calls++;
    if (level % 8 != 0)
        return PS_ERR_INVALID;
    unsigned q = level / 8;
    if (q == 0 && s->synthetic0) {
        for (size_t i = 0; i < count; i++)
            out[i] = synth_leaf(first + i);
        return PS_OK;
    }
    if (q >= 8 || first + count > s->n[q])
        return PS_ERR_NOTFOUND;
    memcpy(out, s->lv[q] + first, count * sizeof *out);
    return PS_OK;
}

static void stored_free(struct stored *s)
{
    for (int q = 0; q < 8; q++)
        ps_free(s->lv[q]);
}

Test(tlog, tiles_adapter_matches_full_tree)
{
    enum { N = 70000 };
    struct ps_hash *leaves = ps_alloc_array(N, sizeof *leaves);
    cr_assert_not_null(leaves);
    leaves_n(leaves, N);
    struct stored s = {0};
    struct ps_tiles_emit filter = {stored_put, &s};
    struct ps_merkle_frontier f;
    ps_merkle_frontier_init(&f);
    for (size_t i = 0; i < N; i++)
        cr_assert_eq(ps_merkle_frontier_append(&f, &leaves[i], ps_tiles_emit_stored, &filter),
                     PS_OK);
    cr_assert_eq(s.n[0], N);
    cr_assert_eq(s.n[1], N / 256);
    cr_assert_eq(s.n[2], N / 65536);
    struct ps_merkle_provider stored = {stored_hashes, &s}, all;
    struct ps_tiles_adapter a;
    ps_tiles_provider(&a, &stored, &all);
    struct memtree t = {leaves, N, 0};
    struct ps_merkle_provider ref = {memtree_hashes, &t};
    struct ps_hash r1, r2;
    cr_assert_eq(ps_merkle_root(&all, N, &r1), PS_OK);
    cr_assert_eq(ps_merkle_frontier_root(&f, &r2), PS_OK);
    cr_assert(ps_hash_eq(&r1, &r2));
    static const uint64_t idx[] = {0, 1, 255, 256, 65535, 65536, 69999, 31337};
    for (size_t k = 0; k < sizeof idx / sizeof idx[0]; k++) {
        struct ps_merkle_proof pa, pb;
        cr_assert_eq(ps_merkle_inclusion_proof(&all, idx[k], N, &pa), PS_OK);
        cr_assert_eq(ps_merkle_verify_inclusion(&leaves[idx[k]], idx[k], N, pa.h, pa.len, &r1),
                     PS_OK);
        if (idx[k] % 4 == 1) { /* the reference provider is slow: spot checks */
            cr_assert_eq(ps_merkle_inclusion_proof(&ref, idx[k], N, &pb), PS_OK);
            cr_assert_eq(pa.len, pb.len);
            cr_assert(memcmp(pa.h, pb.h, pa.len * sizeof pa.h[0]) == 0);
        }
        uint64_t m = idx[k] + 1;
        struct ps_hash rm;
        cr_assert_eq(ps_merkle_root(&all, m, &rm), PS_OK);
        cr_assert_eq(ps_merkle_consistency_proof(&all, m, N, &pa), PS_OK);
        cr_assert_eq(ps_merkle_verify_consistency(m, N, pa.h, pa.len, &rm, &r1), PS_OK);
    }
    /* tile contents: the full level-1 tile is 256 hashes of full level-0 tiles */
    struct ps_hash tile[PS_TILE_WIDTH];
    cr_assert_eq(ps_tile_hashes(&all, &(struct ps_tile){false, 1, 0, 256}, tile), PS_OK);
    for (int i = 0; i < 256; i += 51) {
        struct ps_hash want = ref_mth(leaves + 256 * i, 256);
        cr_assert(ps_hash_eq(&tile[i], &want));
    }
    cr_assert_eq(ps_tile_hashes(&all, &(struct ps_tile){false, 0, 273, 112}, tile), PS_OK);
    cr_assert(ps_hash_eq(&tile[111], &leaves[273 * 256 + 111]));
    cr_assert_eq(ps_tile_hashes(&all, &(struct ps_tile){false, 0, 273, 113}, tile),
                 PS_ERR_NOTFOUND);
    cr_assert_eq(ps_tile_hashes(&all, &(struct ps_tile){true, 0, 0, 1}, tile), PS_ERR_INVALID);
    cr_assert_eq(ps_tile_hashes(&all, &(struct ps_tile){false, 8, 0, 1}, tile), PS_ERR_INVALID);
    cr_assert_eq(ps_tile_hashes(&all, &(struct ps_tile){false, 7, 1, 1}, tile), PS_ERR_INVALID);
    stored_free(&s);
    ps_free(leaves);
}

Test(tlog, entry_bundles)
{
    struct ps_buf b;
    ps_buf_init(&b, 1 << 20);
    struct ps_hash tile[PS_TILE_WIDTH];
    char entry[300];
    for (int i = 0; i < 200; i++) {
        memset(entry, 'a' + i % 26, sizeof entry);
        size_t len = (size_t)(i * 7) % sizeof entry;
        cr_assert_eq(ps_bundle_append(&b, (struct ps_str){entry, len}), PS_OK);
        tile[i] = leaf_of(entry, len);
    }
    struct ps_str bundle = ps_buf_str(&b), out[PS_TILE_WIDTH];
    size_t n;
    cr_assert_eq(ps_bundle_parse(bundle, out, PS_TILE_WIDTH, &n, NULL), PS_OK);
    cr_assert_eq(n, 200);
    cr_assert_eq(out[3].len, 21);
    cr_assert_eq(out[3].p[0], 'd');
    cr_assert_eq(ps_bundle_verify(bundle, tile, 200, NULL), PS_OK);
    struct ps_diag d;
    cr_assert_eq(ps_bundle_verify(bundle, tile, 199, &d), PS_ERR_INVALID);
    tile[17].b[0] ^= 1;
    cr_assert_eq(ps_bundle_verify(bundle, tile, 200, &d), PS_ERR_CRYPTO);
    cr_assert(strstr(d.message, "entry 17") != NULL, "%s", d.message);
    cr_assert_eq(
        ps_bundle_parse((struct ps_str){bundle.p, bundle.len - 1}, out, PS_TILE_WIDTH, &n, &d),
        PS_ERR_INVALID);
    cr_assert_eq(ps_bundle_parse((struct ps_str){"\x00", 1}, out, PS_TILE_WIDTH, &n, &d),
                 PS_ERR_INVALID);
    cr_assert_eq(ps_bundle_parse(bundle, out, 10, &n, &d), PS_ERR_LIMIT);
    cr_assert_eq(ps_bundle_parse((struct ps_str){"", 0}, out, 1, &n, NULL), PS_OK);
    cr_assert_eq(n, 0);
    /* the uint16 length bounds an entry */
    static char big[PS_BUNDLE_MAX_ENTRY + 1];
    size_t before = b.len;
    cr_assert_eq(ps_bundle_append(&b, (struct ps_str){big, sizeof big}), PS_ERR_LIMIT);
    cr_assert_eq(b.len, before);
    cr_assert_eq(ps_bundle_append(&b, (struct ps_str){big, sizeof big - 1}), PS_OK);
    ps_buf_reset(&b);
}

/* ---- signed notes ---- */

/* The example of Go's golang.org/x/mod/sumdb/note (and its published keys). */
#define PETER_SKEY "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_TEXT                                                                                 \
    "If you think cryptography is the answer to your problem,\n"                                   \
    "then you don't know what your problem is.\n"
#define PETER_NOTE                                                                                 \
    PETER_TEXT "\n\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgY"   \
               "N1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

Test(tlog, note_go_vector)
{
    struct ps_note_signer *s;
    struct ps_note_verifier v;
    struct ps_diag d;
    cr_assert_eq(ps_note_signer_parse(PS_STR(PETER_SKEY), &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_note_verifier_parse(PS_STR(PETER_VKEY), &v, &d), PS_OK, "%s", d.message);
    cr_assert_eq(v.key_id, 0xc74f20a3);
    cr_assert(memcmp(ps_note_signer_verifier(s)->pub, v.pub, 32) == 0);
    /* Ed25519 is deterministic: signing reproduces the published note byte for byte */
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    cr_assert_eq(ps_note_sign(PS_STR(PETER_TEXT), &s, 1, 0, &b, &d), PS_OK, "%s", d.message);
    cr_assert_str_eq(b.p, PETER_NOTE);
    /* the verifier key formats back to the same string */
    struct ps_buf k;
    ps_buf_init(&k, 256);
    cr_assert_eq(ps_note_verifier_format(&v, &k), PS_OK);
    cr_assert_str_eq(k.p, PETER_VKEY);
    ps_buf_reset(&k);

    static struct ps_note note;
    struct ps_note_check c;
    cr_assert_eq(ps_note_parse(PS_STR(PETER_NOTE), &note, &d), PS_OK, "%s", d.message);
    cr_assert_eq(note.nsigs, 1);
    cr_assert_eq(note.text.len, strlen(PETER_TEXT));
    cr_assert_eq(ps_note_verify(&note, &v, 1, &c, &d), PS_OK, "%s", d.message);
    cr_assert_eq(c.result, PS_NOTE_VALID);

    /* tampered text: one changed letter */
    char tampered[] = PETER_NOTE;
    tampered[12] = 'C';
    cr_assert_eq(ps_note_parse(ps_str_from_cstr(tampered), &note, &d), PS_OK);
    cr_assert_eq(ps_note_verify(&note, &v, 1, &c, &d), PS_ERR_CRYPTO);
    cr_assert_eq(c.result, PS_NOTE_INVALID);
    ps_buf_reset(&b);
    ps_note_signer_free(s);
}

Test(tlog, note_keys)
{
    struct ps_note_verifier v;
    struct ps_diag d;
    /* every proper substring and every single-byte change of the key is rejected */
    const char *vk = PETER_VKEY;
    size_t n = strlen(vk);
    for (size_t i = 0; i <= n; i++)
        for (size_t j = i + 1; j <= n; j++)
            if (i != 0 || j != n)
                cr_assert_neq(ps_note_verifier_parse((struct ps_str){vk + i, j - i}, &v, NULL),
                              PS_OK, "accepted %.*s", (int)(j - i), vk + i);
    char m[sizeof PETER_VKEY];
    for (size_t i = 0; i < n; i++) {
        memcpy(m, vk, sizeof m);
        m[i] = (char)(m[i] + 1);
        cr_assert_neq(ps_note_verifier_parse(ps_str_from_cstr(m), &v, NULL), PS_OK, "accepted %s",
                      m);
    }
    /* the key id must be the derived one */
    cr_assert_eq(ps_note_verifier_parse(PS_STR("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfs"
                                               "Vkmqq/LDE4izWy10TW"),
                                        &v, &d),
                 PS_ERR_INVALID);
    cr_assert(strstr(d.message, "does not match") != NULL, "%s", d.message);
    /* names: no '+', no spaces, no control characters, valid UTF-8 */
    cr_assert(ps_note_name_valid(PS_STR("example.com/log")));
    cr_assert(ps_note_name_valid(PS_STR("\xD0\xB4\xD1\x96\xD1\x8F.gov.ua/log")));
    cr_assert(!ps_note_name_valid(PS_STR("")));
    cr_assert(!ps_note_name_valid(PS_STR("a b")));
    cr_assert(!ps_note_name_valid(PS_STR("a+b")));
    cr_assert(!ps_note_name_valid(PS_STR("a\tb")));
    cr_assert(!ps_note_name_valid(PS_STR("a\xC2\xA0"
                                         "b"))); /* U+00A0 */
    cr_assert(!ps_note_name_valid(PS_STR("a\xE3\x80\x80"
                                         "b")));             /* U+3000 */
    cr_assert(!ps_note_name_valid(PS_STR("a\xC0\xAF")));     /* overlong */
    cr_assert(!ps_note_name_valid(PS_STR("a\xED\xA0\x80"))); /* surrogate */
    cr_assert(!ps_note_name_valid(PS_STR("a\xFF")));
    /* generated keys: format and parse back; the cosignature type derives another id */
    uint8_t seed[32];
    randombytes_buf(seed, sizeof seed);
    struct ps_note_signer *s1, *s4;
    cr_assert_eq(ps_note_signer_new(PS_STR("log.example/a"), PS_NOTE_ED25519, seed, &s1), PS_OK);
    cr_assert_eq(ps_note_signer_new(PS_STR("log.example/a"), PS_NOTE_COSIG_V1, seed, &s4), PS_OK);
    cr_assert_neq(ps_note_signer_verifier(s1)->key_id, ps_note_signer_verifier(s4)->key_id);
    for (int k = 0; k < 2; k++) {
        const struct ps_note_verifier *pv = ps_note_signer_verifier(k ? s4 : s1);
        struct ps_buf b;
        ps_buf_init(&b, 256);
        cr_assert_eq(ps_note_verifier_format(pv, &b), PS_OK);
        cr_assert_eq(ps_note_verifier_parse(ps_buf_str(&b), &v, &d), PS_OK, "%s", d.message);
        cr_assert(v.key_id == pv->key_id && v.type == pv->type && memcmp(v.pub, pv->pub, 32) == 0);
        ps_buf_reset(&b);
    }
    cr_assert_eq(ps_note_signer_new(PS_STR("bad name"), PS_NOTE_ED25519, seed, &s1 /*unused*/),
                 PS_ERR_INVALID);
    cr_assert_null(s1);
    cr_assert_eq(ps_note_signer_new(PS_STR("x"), 0x02, seed, &s1), PS_ERR_INVALID);
    ps_note_signer_free(s4);
    ps_note_signer_free(NULL);
    sodium_memzero(seed, sizeof seed);
}

static struct ps_note_signer *new_signer(const char *name, uint8_t type)
{
    uint8_t seed[32];
    struct ps_note_signer *s;
    randombytes_buf(seed, sizeof seed);
    cr_assert_eq(ps_note_signer_new(ps_str_from_cstr(name), type, seed, &s), PS_OK);
    sodium_memzero(seed, sizeof seed);
    return s;
}

Test(tlog, note_round_trip_and_rules)
{
    struct ps_note_signer *a = new_signer("a.example/log", PS_NOTE_ED25519);
    struct ps_note_signer *b = new_signer("b.example/log", PS_NOTE_ED25519);
    struct ps_note_signer *c = new_signer("c.example/log", PS_NOTE_ED25519);
    struct ps_note_verifier vs[3] = {*ps_note_signer_verifier(a), *ps_note_signer_verifier(b),
                                     *ps_note_signer_verifier(c)};
    struct ps_note_signer *ab[2] = {a, b};
    struct ps_buf out;
    struct ps_diag d;
    static struct ps_note note;
    struct ps_note_check checks[3];
    ps_buf_init(&out, 1 << 16);
    /* text may hold an empty line: the last blank line separates the signatures */
    struct ps_str text = PS_STR("line one\n\nline three \xE2\x9C\x93\n");
    cr_assert_eq(ps_note_sign(text, ab, 2, 0, &out, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_note_parse(ps_buf_str(&out), &note, &d), PS_OK, "%s", d.message);
    cr_assert(ps_str_eq(note.text, text));
    cr_assert_eq(note.nsigs, 2);
    cr_assert_eq(ps_note_verify(&note, vs, 3, checks, &d), PS_OK, "%s", d.message);
    cr_assert_eq(checks[0].result, PS_NOTE_VALID);
    cr_assert_eq(checks[1].result, PS_NOTE_VALID);
    cr_assert_eq(checks[2].result, PS_NOTE_ABSENT);
    /* only unknown keys signed */
    cr_assert_eq(ps_note_verify(&note, &vs[2], 1, NULL, &d), PS_ERR_DENIED);
    /* same name, other key id: ignored, not failed */
    struct ps_note_verifier other = vs[0];
    other.key_id ^= 1;
    cr_assert_eq(ps_note_verify(&note, &other, 1, checks, &d), PS_ERR_DENIED);
    cr_assert_eq(checks[0].result, PS_NOTE_ABSENT);
    /* same key id, other name: ignored */
    other = vs[0];
    other.name[0] = 'z';
    cr_assert_eq(ps_note_verify(&note, &other, 1, checks, &d), PS_ERR_DENIED);
    /* right name and id, wrong public key: a failed known signature rejects the note */
    other = vs[0];
    memcpy(other.pub, vs[2].pub, 32);
    cr_assert_eq(ps_note_verify(&note, &other, 1, checks, &d), PS_ERR_CRYPTO);
    /* a second line by the same key does not override the first */
    struct ps_buf dup;
    ps_buf_init(&dup, 1 << 16);
    cr_assert_eq(ps_buf_append_str(&dup, ps_buf_str(&out)), PS_OK);
    cr_assert_eq(ps_note_sign_line(a, PS_STR("other text\n"), 0, &dup, &d), PS_OK);
    cr_assert_eq(ps_note_parse(ps_buf_str(&dup), &note, &d), PS_OK);
    cr_assert_eq(ps_note_verify(&note, vs, 1, checks, &d), PS_OK);
    ps_buf_reset(&dup);
    /* signing refuses bad text */
    cr_assert_eq(ps_note_sign(PS_STR("no newline"), ab, 1, 0, &out, &d), PS_ERR_INVALID);
    cr_assert_eq(ps_note_sign(PS_STR(""), ab, 1, 0, &out, &d), PS_ERR_INVALID);
    cr_assert_eq(ps_note_sign(PS_STR("tab\there\n"), ab, 1, 0, &out, &d), PS_ERR_INVALID);
    cr_assert_eq(ps_note_sign(PS_STR("bad \xC3\n"), ab, 1, 0, &out, &d), PS_ERR_INVALID);
    cr_assert_eq(ps_note_sign(text, ab, 0, 0, &out, &d), PS_ERR_INVALID);
    ps_buf_reset(&out);
    ps_note_signer_free(a);
    ps_note_signer_free(b);
    ps_note_signer_free(c);
}

Test(tlog, note_parse_rejects)
{
#define SIG                                                                                        \
    "\xE2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZS"      \
    "NXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static const struct {
        const char *msg;
        enum ps_err err;
    } bad[] = {
        {"", PS_ERR_INVALID},
        {"text\n", PS_ERR_INVALID},            /* no signatures */
        {"text\n\n", PS_ERR_INVALID},          /* blank line, no signatures */
        {"text\n" SIG, PS_ERR_INVALID},        /* no blank line */
        {"text\n\n" SIG "\n", PS_ERR_INVALID}, /* trailing blank line */
        {"text\n\n"
         "\xE2\x80\x94 PeterNeumann "
         "x08go/ZJkuBS9UG/"
         "SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
         PS_ERR_INVALID},                                                 /* no final newline */
        {"text\n\n-- PeterNeumann AAAAAAA=\n", PS_ERR_INVALID},           /* not an em dash */
        {"text\n\n\xE2\x80\x93 PeterNeumann AAAAAAA=\n", PS_ERR_INVALID}, /* en dash */
        {"text\n\n\xE2\x80\x94PeterNeumann AAAAAAA=\n", PS_ERR_INVALID},
        {"text\n\n\xE2\x80\x94 PeterNeumann\n", PS_ERR_INVALID},
        {"text\n\n\xE2\x80\x94  AAAAAAA=\n", PS_ERR_INVALID},    /* empty name */
        {"text\n\n\xE2\x80\x94 a+b AAAAAAA=\n", PS_ERR_INVALID}, /* '+' in the name */
        {"text\n\n\xE2\x80\x94 a AAAA\n", PS_ERR_INVALID},       /* 3 bytes: no signature */
        {"text\n\n\xE2\x80\x94 a AAAAAA==\n", PS_ERR_INVALID},   /* 4 bytes: key id only */
        {"text\n\n\xE2\x80\x94 a AAAAAAA\n", PS_ERR_INVALID},    /* missing padding */
        {"text\n\n\xE2\x80\x94 a AAAAAAB=\n", PS_ERR_INVALID},   /* non-canonical bits */
        {"text\n\n\xE2\x80\x94 a AAAA AAA=\n", PS_ERR_INVALID},  /* space in base64 */
        {"text\n\n\xE2\x80\x94 a AAAAAAA= \n", PS_ERR_INVALID},  /* trailing space */
        {"text\n\n\xE2\x80\x94 a AAAAAAA=\r\n", PS_ERR_INVALID}, /* CR */
        {"te\x01xt\n\n" SIG, PS_ERR_INVALID},                    /* control character */
        {"te\xC3xt\n\n" SIG, PS_ERR_INVALID},                    /* invalid UTF-8 */
        {"text\n\n" SIG "garbage\n", PS_ERR_INVALID},
    };
    static struct ps_note note;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ps_diag d = {0};
        cr_assert_eq(ps_note_parse(ps_str_from_cstr(bad[i].msg), &note, &d), bad[i].err, "case %zu",
                     i);
        cr_assert(d.message[0], "no reason for case %zu", i);
    }
    cr_assert_eq(ps_note_parse((struct ps_str){"t\0xt\n\n" SIG, 6 + sizeof SIG - 1}, &note, NULL),
                 PS_ERR_INVALID);
    cr_assert_eq(ps_note_parse(PS_STR("text\n\n" SIG), &note, NULL), PS_OK);
    /* signature count and size limits */
    struct ps_buf b;
    ps_buf_init(&b, 2 * PS_NOTE_MAX_BYTES);
    cr_assert_eq(ps_buf_append_cstr(&b, "text\n\n"), PS_OK);
    for (int i = 0; i < PS_NOTE_MAX_SIGS; i++)
        cr_assert_eq(ps_buf_append_cstr(&b, SIG), PS_OK);
    cr_assert_eq(ps_note_parse(ps_buf_str(&b), &note, NULL), PS_OK);
    cr_assert_eq(note.nsigs, PS_NOTE_MAX_SIGS);
    cr_assert_eq(ps_buf_append_cstr(&b, SIG), PS_OK);
    cr_assert_eq(ps_note_parse(ps_buf_str(&b), &note, NULL), PS_ERR_LIMIT);
    ps_buf_reset(&b);
    ps_buf_init(&b, 2 * PS_NOTE_MAX_BYTES);
    for (int i = 0; i < PS_NOTE_MAX_BYTES / 8; i++)
        cr_assert_eq(ps_buf_append_cstr(&b, "1234567\n"), PS_OK);
    cr_assert_eq(ps_buf_append_cstr(&b, "\n" SIG), PS_OK);
    cr_assert_eq(ps_note_parse(ps_buf_str(&b), &note, NULL), PS_ERR_LIMIT);
    ps_buf_reset(&b);
#undef SIG
}

/* ---- checkpoints and cosignatures ---- */

/* A checkpoint of a public staging CT log with its Ed25519 note signature, an RFC 6962 tree
 * head signature (type 0x05, which verifiers must ignore) and four witness cosignatures, with
 * the published keys of the log and witnesses. */
#define ARCHE_ORIGIN "arche2025h1.staging.ct.transparency.dev"
#define ARCHE_CHECKPOINT                                                                           \
    ARCHE_ORIGIN "\n1432088532\nU7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=\n\n"                  \
                 "\xE2\x80\x94 " ARCHE_ORIGIN                                                      \
                 " zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbll"                  \
                 "zalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=\n"                       \
                 "\xE2\x80\x94 " ARCHE_ORIGIN                                                      \
                 " ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL"                  \
                 "1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=\n"                                               \
                 "\xE2\x80\x94 transparency.dev/DEV:witness-little-garden "                        \
                 "2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6U"                                              \
                 "P8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==\n"        \
                 "\xE2\x80\x94 witness1.smartit.nu/witness1 "                                      \
                 "pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eeb"                                \
                 "l8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==\n"                      \
                 "\xE2\x80\x94 remora.n621.de "                                                    \
                 "2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZ"                 \
                 "I+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==\n"                                     \
                 "\xE2\x80\x94 witness.stagemole.eu "                                              \
                 "Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8F"                       \
                 "tEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==\n"

static const char *const arche_log_key =
    ARCHE_ORIGIN "+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f";
static const char *const arche_witness_keys[] = {
    "transparency.dev/DEV:witness-little-garden+d8042a87+BCtusOxINQNUTN5Oj8HObRkh2yHf/"
    "MwYaGX4CPdiVEPM",
    "witness1.smartit.nu/witness1+a48c820f+BPSFWg9G6KPiO7QPryYO5Xq4oYJJ+kAvLKLSimDhoxMO",
    "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    "witness.stagemole.eu+67f7aea0+BEqSG3yu9YrmcM3BHvQYTxwFj3uSWakQepafafpUqklv",
};

Test(tlog, checkpoint_real_witnessed)
{
    struct ps_note_verifier log, w[4];
    struct ps_diag d;
    cr_assert_eq(ps_note_verifier_parse(ps_str_from_cstr(arche_log_key), &log, &d), PS_OK, "%s",
                 d.message);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(ps_note_verifier_parse(ps_str_from_cstr(arche_witness_keys[i]), &w[i], &d),
                     PS_OK, "%s", d.message);
        cr_assert_eq(w[i].type, PS_NOTE_COSIG_V1);
    }
    struct ps_checkpoint_policy pol = {PS_STR(ARCHE_ORIGIN), &log, 1, w, 4, 4};
    static struct ps_note note;
    struct ps_checkpoint cp;
    struct ps_note_check wc[4];
    cr_assert_eq(ps_checkpoint_open(PS_STR(ARCHE_CHECKPOINT), &pol, &note, &cp, wc, &d), PS_OK,
                 "%s", d.message);
    cr_assert_eq(note.nsigs, 6);
    cr_assert_eq(cp.size, 1432088532u);
    cr_assert(ps_str_eq(cp.origin, PS_STR(ARCHE_ORIGIN)));
    cr_assert_eq(cp.extensions.len, 0);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(wc[i].result, PS_NOTE_VALID, "witness %d", i);
        cr_assert_eq(wc[i].timestamp, 1779573024u);
    }
    /* a changed tree size breaks the log signature and every cosignature */
    char bad[] = ARCHE_CHECKPOINT;
    bad[sizeof ARCHE_ORIGIN] = '2';
    cr_assert_eq(ps_checkpoint_open(ps_str_from_cstr(bad), &pol, &note, &cp, wc, &d),
                 PS_ERR_CRYPTO);
    struct ps_note_check one;
    cr_assert_eq(ps_note_parse(ps_str_from_cstr(bad), &note, &d), PS_OK);
    cr_assert_eq(ps_note_check(&note, &w[2], 1, &one), PS_OK);
    cr_assert_eq(one.result, PS_NOTE_INVALID);
    /* policies: wrong origin, unknown log key, quorum out of reach */
    pol.origin = PS_STR("example.com/other");
    cr_assert_eq(ps_checkpoint_open(PS_STR(ARCHE_CHECKPOINT), &pol, &note, &cp, NULL, &d),
                 PS_ERR_DENIED);
    pol.origin = PS_STR(ARCHE_ORIGIN);
    pol.log_keys = &w[0]; /* a cosigner key is not a log key */
    cr_assert_eq(ps_checkpoint_open(PS_STR(ARCHE_CHECKPOINT), &pol, &note, &cp, NULL, &d),
                 PS_ERR_INVALID);
    pol.log_keys = &log;
    pol.nwitnesses = 2;
    pol.quorum = 3;
    cr_assert_eq(ps_checkpoint_open(PS_STR(ARCHE_CHECKPOINT), &pol, &note, &cp, NULL, &d),
                 PS_ERR_DENIED);
    pol.quorum = 2;
    cr_assert_eq(ps_checkpoint_open(PS_STR(ARCHE_CHECKPOINT), &pol, &note, &cp, NULL, &d), PS_OK,
                 "%s", d.message);
}

Test(tlog, checkpoint_sign_cosign_round_trip)
{
    struct ps_note_signer *log = new_signer("pocketstate.example/log", PS_NOTE_ED25519);
    struct ps_note_signer *w1 = new_signer("witness.example/w1", PS_NOTE_COSIG_V1);
    struct ps_note_signer *w2 = new_signer("witness.example/w2", PS_NOTE_COSIG_V1);
    struct ps_hash leaves[8];
    vec_leaves(leaves);
    struct ps_checkpoint cp = {PS_STR("pocketstate.example/log"), 8, ref_mth(leaves, 8),
                               PS_STR("")};
    struct ps_buf text, note_buf;
    struct ps_diag d;
    ps_buf_init(&text, 4096);
    ps_buf_init(&note_buf, 8192);
    cr_assert_eq(ps_checkpoint_format(&cp, &text), PS_OK);
    cr_assert_str_eq(text.p, "pocketstate.example/log\n8\n"
                             "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
    /* the log signs, then each witness appends its cosignature line */
    cr_assert_eq(ps_note_sign(ps_buf_str(&text), &log, 1, 0, &note_buf, &d), PS_OK);
    cr_assert_eq(ps_note_sign_line(w1, ps_buf_str(&text), 1779573024, &note_buf, &d), PS_OK);
    cr_assert_eq(ps_note_sign_line(w2, ps_buf_str(&text), 1779573099, &note_buf, &d), PS_OK);
    struct ps_note_verifier vlog = *ps_note_signer_verifier(log);
    struct ps_note_verifier ws[2] = {*ps_note_signer_verifier(w1), *ps_note_signer_verifier(w2)};
    struct ps_checkpoint_policy pol = {cp.origin, &vlog, 1, ws, 2, 2};
    static struct ps_note note;
    struct ps_checkpoint got;
    struct ps_note_check wc[2];
    cr_assert_eq(ps_checkpoint_open(ps_buf_str(&note_buf), &pol, &note, &got, wc, &d), PS_OK, "%s",
                 d.message);
    cr_assert_eq(got.size, 8);
    cr_assert(ps_hash_eq(&got.root, &cp.root));
    cr_assert_eq(wc[0].timestamp, 1779573024);
    cr_assert_eq(wc[1].timestamp, 1779573099);
    /* a cosignature over other text is counted as invalid, not accepted */
    struct ps_buf forged;
    ps_buf_init(&forged, 8192);
    cr_assert_eq(ps_note_sign(ps_buf_str(&text), &log, 1, 0, &forged, &d), PS_OK);
    cr_assert_eq(ps_note_sign_line(w1,
                                   PS_STR("pocketstate.example/log\n9\n"
                                          "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n"),
                                   5, &forged, &d),
                 PS_OK);
    cr_assert_eq(ps_checkpoint_open(ps_buf_str(&forged), &pol, &note, &got, wc, &d), PS_ERR_DENIED);
    cr_assert_eq(wc[0].result, PS_NOTE_INVALID);
    cr_assert_eq(wc[1].result, PS_NOTE_ABSENT);
    /* timestamps above 2^63 - 1 are refused */
    cr_assert_eq(ps_note_sign_line(w1, ps_buf_str(&text), (uint64_t)INT64_MAX + 1, &forged, &d),
                 PS_ERR_INVALID);
    ps_buf_reset(&forged);
    ps_buf_reset(&text);
    ps_buf_reset(&note_buf);
    ps_note_signer_free(log);
    ps_note_signer_free(w1);
    ps_note_signer_free(w2);
}

Test(tlog, checkpoint_parse_rules)
{
    struct ps_checkpoint cp;
    struct ps_diag d;
#define ROOT "XcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg="
    cr_assert_eq(ps_checkpoint_parse(PS_STR("o\n0\n" ROOT "\n"), &cp, &d), PS_OK);
    cr_assert_eq(cp.size, 0);
    cr_assert_eq(
        ps_checkpoint_parse(PS_STR("o\n18446744073709551615\n" ROOT "\next 1\nx\n"), &cp, &d),
        PS_OK);
    cr_assert_eq(cp.size, UINT64_MAX);
    cr_assert(ps_str_eq(cp.extensions, PS_STR("ext 1\nx\n")));
    static const char *const bad[] = {
        "",
        "o\n1\n",
        "o\n1\n" ROOT,
        "\n1\n" ROOT "\n",
        "o\n01\n" ROOT "\n",
        "o\n-1\n" ROOT "\n",
        "o\n+1\n" ROOT "\n",
        "o\n1 \n" ROOT "\n",
        "o\n\n" ROOT "\n",
        "o\n18446744073709551616\n" ROOT "\n",
        "o\n1\n" ROOT "\n\n",
        "o\n1\n" ROOT "\nx\n\ny\n",
        "o\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg\n",
        "o\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyh=\n",
        "o\n1\nAAAA\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(ps_checkpoint_parse(ps_str_from_cstr(bad[i]), &cp, &d), PS_ERR_INVALID,
                     "accepted case %zu", i);
    struct ps_buf b;
    ps_buf_init(&b, 1024);
    cp = (struct ps_checkpoint){PS_STR("a b"), 1, {{0}}, PS_STR("")};
    cr_assert_eq(ps_checkpoint_format(&cp, &b), PS_ERR_INVALID);
    cp = (struct ps_checkpoint){PS_STR("ab"), 1, {{0}}, PS_STR("x\n\ny\n")};
    cr_assert_eq(ps_checkpoint_format(&cp, &b), PS_ERR_INVALID);
    cp = (struct ps_checkpoint){PS_STR("ab"), 1, {{0}}, PS_STR("x")};
    cr_assert_eq(ps_checkpoint_format(&cp, &b), PS_ERR_INVALID);
    cr_assert_eq(b.len, 0);
    ps_buf_reset(&b);
#undef ROOT
}

/* ---- scale ---- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ten million leaves behind a provider that stores tile levels only, as the store will: prints
 * the cost of proofs (target: well under 1 ms each). Leaf hashes are synthetic (a function of
 * the index) so that level 0 needs no memory; the levels above are real hashes. */
Test(tlog, proofs_at_ten_million, .timeout = 240)
{
    const uint64_t n = 10000000;
    struct stored s = {.synthetic0 = true};
    struct ps_tiles_emit filter = {stored_put, &s};
    struct ps_merkle_frontier f;
    ps_merkle_frontier_init(&f);
    double t0 = now_s();
    for (uint64_t i = 0; i < n; i++) {
        struct ps_hash leaf = synth_leaf(i);
        cr_assert_eq(ps_merkle_frontier_append(&f, &leaf, ps_tiles_emit_stored, &filter), PS_OK);
    }
    double build = now_s() - t0;
    struct ps_merkle_provider stored = {stored_hashes, &s}, all;
    struct ps_tiles_adapter a;
    ps_tiles_provider(&a, &stored, &all);
    struct ps_hash root, r2;
    cr_assert_eq(ps_merkle_frontier_root(&f, &root), PS_OK);
    cr_assert_eq(ps_merkle_root(&all, n, &r2), PS_OK);
    cr_assert(ps_hash_eq(&root, &r2));

    enum { K = 200 };
    struct ps_merkle_proof proof;
    uint64_t x = 88172645463325252u;
    unsigned calls = 0;
    double incl = 0, cons = 0, ver = 0;
    for (int k = 0; k < K; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint64_t i = x % n;
        s.calls = 0;
        t0 = now_s();
        cr_assert_eq(ps_merkle_inclusion_proof(&all, i, n, &proof), PS_OK);
        incl += now_s() - t0;
        calls += s.calls;
        struct ps_hash leaf = synth_leaf(i);
        t0 = now_s();
        cr_assert_eq(ps_merkle_verify_inclusion(&leaf, i, n, proof.h, proof.len, &root), PS_OK);
        ver += now_s() - t0;
        uint64_t m = i + 1;
        struct ps_hash rm;
        cr_assert_eq(ps_merkle_root(&all, m, &rm), PS_OK);
        t0 = now_s();
        cr_assert_eq(ps_merkle_consistency_proof(&all, m, n, &proof), PS_OK);
        cons += now_s() - t0;
        cr_assert_eq(ps_merkle_verify_consistency(m, n, proof.h, proof.len, &rm, &root), PS_OK);
    }
    fprintf(stderr,
            "tlog: 10M leaves: tile levels built in %.2f s (%.0f ns/leaf); "
            "inclusion proof %.1f us (%.1f stored-range reads), consistency proof %.1f us, "
            "inclusion verify %.1f us\n",
            build, build / (double)n * 1e9, incl / K * 1e6, (double)calls / K, cons / K * 1e6,
            ver / K * 1e6);
    stored_free(&s);
}

/* The one allocation of the core (the cosigned message) fails cleanly. */
Test(tlog, cosignature_allocation_failure)
{
    struct ps_note_signer *w = new_signer("witness.example/w", PS_NOTE_COSIG_V1);
    struct ps_buf b;
    struct ps_diag d;
    static struct ps_note note;
    struct ps_note_check c;
    struct ps_str text = PS_STR("o\n1\nXcnaeacGWamtVZy3Ad7ZoqudgjqtL0lgz+Nw7/RgQyg=\n");
    ps_buf_init(&b, 4096);
    cr_assert_eq(ps_buf_append_str(&b, text), PS_OK);
    cr_assert_eq(ps_buf_append_cstr(&b, "\n"), PS_OK);
    ps_alloc_fail_after(0);
    cr_assert_eq(ps_note_sign_line(w, text, 1, &b, &d), PS_ERR_NOMEM);
    ps_alloc_fail_reset();
    cr_assert_eq(ps_note_sign_line(w, text, 1, &b, &d), PS_OK);
    cr_assert_eq(ps_note_parse(ps_buf_str(&b), &note, &d), PS_OK);
    ps_alloc_fail_after(0);
    cr_assert_eq(ps_note_check(&note, ps_note_signer_verifier(w), 1, &c), PS_ERR_NOMEM);
    ps_alloc_fail_reset();
    cr_assert_eq(ps_note_check(&note, ps_note_signer_verifier(w), 1, &c), PS_OK);
    cr_assert_eq(c.result, PS_NOTE_VALID);
    ps_buf_reset(&b);
    ps_note_signer_free(w);
}

/* Found by fuzzing: libsodium 1.0.18 decodes some bytes above 0x7F as base64 digits. */
Test(tlog, base64_is_strict)
{
    uint8_t out[64];
    size_t len;
    cr_assert(ps_note_b64_decode(PS_STR("AAAAAAA="), out, sizeof out, &len));
    cr_assert_eq(len, 5);
    cr_assert(!ps_note_b64_decode(PS_STR("AAAA\xbe"
                                         "AA="),
                                  out, sizeof out, &len));
    cr_assert(!ps_note_b64_decode(PS_STR("AAA=AAA="), out, sizeof out, &len));
    cr_assert(!ps_note_b64_decode(PS_STR("AAAAA==="), out, sizeof out, &len));
    cr_assert(!ps_note_b64_decode(PS_STR("AAAA-_=="), out, sizeof out, &len)); /* URL alphabet */
    cr_assert(!ps_note_b64_decode(PS_STR("AAAAAAA="), out, 4, &len));          /* too long */
    struct ps_checkpoint cp;
    cr_assert_eq(ps_checkpoint_parse(PS_STR("o\n8\nXcnaeacGWamtVZy3Ad7Zoqudgjqt\xbe"
                                            "0lgz+Nw7/RgQyg=\n"),
                                     &cp, NULL),
                 PS_ERR_INVALID);
}
