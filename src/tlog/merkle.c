/* RFC 9162 Merkle trees over a hash provider: proofs are generated top-down from the hashes of
 * complete subtrees (O(log n) provider calls) and verified with the RFC's bit-walking
 * algorithms, which need no provider at all. */
#include "tlog/merkle.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <string.h>

/* ---- hashing ---- */

static enum ps_err sha256_parts(const void *a, size_t alen, const void *b, size_t blen,
                                const void *c, size_t clen, struct ps_hash *out)
{
    enum ps_err err = PS_ERR_CRYPTO;
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return PS_ERR_CRYPTO;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
        goto out;
    if ((alen && EVP_DigestUpdate(ctx, a, alen) != 1) ||
        (blen && EVP_DigestUpdate(ctx, b, blen) != 1) ||
        (clen && EVP_DigestUpdate(ctx, c, clen) != 1))
        goto out;
    if (EVP_DigestFinal_ex(ctx, out->b, &n) != 1 || n != PS_HASH_LEN)
        goto out;
    err = PS_OK;
out:
    EVP_MD_CTX_free(ctx);
    return err;
}

enum ps_err ps_merkle_leaf_hash(const void *entry, size_t len, struct ps_hash *out)
{
    static const uint8_t prefix = 0x00;
    return sha256_parts(&prefix, 1, entry, len, NULL, 0, out);
}

enum ps_err ps_merkle_node_hash(const struct ps_hash *left, const struct ps_hash *right,
                                struct ps_hash *out)
{
    /* one contiguous buffer: one update is measurably cheaper than three */
    uint8_t buf[1 + 2 * PS_HASH_LEN];
    buf[0] = 0x01;
    memcpy(buf + 1, left->b, PS_HASH_LEN);
    memcpy(buf + 1 + PS_HASH_LEN, right->b, PS_HASH_LEN);
    return sha256_parts(buf, sizeof buf, NULL, 0, NULL, 0, out);
}

enum ps_err ps_merkle_empty_root(struct ps_hash *out)
{
    return sha256_parts(NULL, 0, NULL, 0, NULL, 0, out);
}

/* A SHA-256 context reused across many node hashes: the explicit fetch and the one context
 * save about 60% of each hash against EVP_Digest's implicit fetch and fresh context. */
struct hasher {
    EVP_MD *md;
    EVP_MD_CTX *ctx;
};

static enum ps_err hasher_open(struct hasher *h)
{
    h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    h->ctx = EVP_MD_CTX_new();
    if (!h->md || !h->ctx) {
        EVP_MD_CTX_free(h->ctx);
        EVP_MD_free(h->md);
        return PS_ERR_CRYPTO;
    }
    return PS_OK;
}

static void hasher_close(struct hasher *h)
{
    EVP_MD_CTX_free(h->ctx);
    EVP_MD_free(h->md);
}

static enum ps_err hasher_node(struct hasher *h, const struct ps_hash *left,
                               const struct ps_hash *right, struct ps_hash *out)
{
    uint8_t buf[1 + 2 * PS_HASH_LEN];
    unsigned int n = 0;
    buf[0] = 0x01;
    memcpy(buf + 1, left->b, PS_HASH_LEN);
    memcpy(buf + 1 + PS_HASH_LEN, right->b, PS_HASH_LEN);
    if (EVP_DigestInit_ex2(h->ctx, h->md, NULL) != 1 ||
        EVP_DigestUpdate(h->ctx, buf, sizeof buf) != 1 ||
        EVP_DigestFinal_ex(h->ctx, out->b, &n) != 1 || n != PS_HASH_LEN)
        return PS_ERR_CRYPTO;
    return PS_OK;
}

enum ps_err ps_merkle_reduce(struct ps_hash *hashes, size_t n, struct ps_hash *out)
{
    struct hasher h;
    PS_ASSERT(n && !(n & (n - 1)));
    enum ps_err err = hasher_open(&h);
    if (err)
        return err;
    for (size_t w = n; w > 1 && !err; w /= 2)
        for (size_t j = 0; j < w / 2 && !err; j++)
            err = hasher_node(&h, &hashes[2 * j], &hashes[2 * j + 1], &hashes[j]);
    if (!err)
        *out = hashes[0];
    hasher_close(&h);
    return err;
}

bool ps_hash_eq(const struct ps_hash *a, const struct ps_hash *b)
{
    return CRYPTO_memcmp(a->b, b->b, PS_HASH_LEN) == 0;
}

/* ---- bit helpers ---- */

/* Largest power of two strictly below n (n >= 2). */
static uint64_t split_point(uint64_t n)
{
    PS_ASSERT(n >= 2);
    return (uint64_t)1 << (63 - __builtin_clzll(n - 1));
}

static bool is_pow2(uint64_t n)
{
    return n && !(n & (n - 1));
}

/* ---- generation ---- */

static enum ps_err get_one(const struct ps_merkle_provider *p, unsigned level, uint64_t index,
                           struct ps_hash *out)
{
    return p->hashes(p->ctx, level, index, 1, out);
}

enum ps_err ps_merkle_range_hash(const struct ps_merkle_provider *p, uint64_t lo, uint64_t hi,
                                 struct ps_hash *out)
{
    /* [lo, hi) splits into complete subtrees of descending size, one per set bit of its
     * width; the RFC's recursion hashes them together from the right. */
    struct ps_hash parts[64];
    size_t n = 0;
    PS_ASSERT(lo < hi);
    uint64_t width = hi - lo;
    for (int l = 63; l >= 0; l--) {
        if (!((width >> l) & 1))
            continue;
        PS_ASSERT((lo & (((uint64_t)1 << l) - 1)) == 0);
        enum ps_err err = get_one(p, (unsigned)l, lo >> l, &parts[n]);
        if (err)
            return err;
        n++;
        lo += (uint64_t)1 << l;
    }
    struct ps_hash acc = parts[n - 1];
    if (n > 1) {
        struct hasher h;
        enum ps_err err = hasher_open(&h);
        if (err)
            return err;
        for (size_t i = n - 1; !err && i-- > 0;)
            err = hasher_node(&h, &parts[i], &acc, &acc);
        hasher_close(&h);
        if (err)
            return err;
    }
    *out = acc;
    return PS_OK;
}

enum ps_err ps_merkle_root(const struct ps_merkle_provider *p, uint64_t size, struct ps_hash *out)
{
    if (size == 0)
        return ps_merkle_empty_root(out);
    return ps_merkle_range_hash(p, 0, size, out);
}

static void reverse(struct ps_merkle_proof *proof)
{
    for (size_t i = 0, j = proof->len; i + 1 < j; i++, j--) {
        struct ps_hash t = proof->h[i];
        proof->h[i] = proof->h[j - 1];
        proof->h[j - 1] = t;
    }
}

enum ps_err ps_merkle_inclusion_proof(const struct ps_merkle_provider *p, uint64_t index,
                                      uint64_t size, struct ps_merkle_proof *proof)
{
    /* PATH(m, D[n]) walked from the root down; the RFC lists the deepest sibling first, so
     * the collected path is reversed at the end. */
    uint64_t lo = 0, width = size, m = index;
    proof->len = 0;
    if (index >= size)
        return PS_ERR_INVALID;
    while (width > 1) {
        uint64_t k = split_point(width);
        enum ps_err err;
        PS_ASSERT(proof->len < PS_MERKLE_MAX_PROOF);
        if (m < k) {
            err = ps_merkle_range_hash(p, lo + k, lo + width, &proof->h[proof->len]);
            width = k;
        } else {
            err = ps_merkle_range_hash(p, lo, lo + k, &proof->h[proof->len]);
            lo += k;
            m -= k;
            width -= k;
        }
        if (err) {
            proof->len = 0;
            return err;
        }
        proof->len++;
    }
    reverse(proof);
    return PS_OK;
}

enum ps_err ps_merkle_consistency_proof(const struct ps_merkle_provider *p, uint64_t m, uint64_t n,
                                        struct ps_merkle_proof *proof)
{
    /* SUBPROOF(m, D[n], true) walked from the root down, reversed at the end like PATH. */
    uint64_t lo = 0, width = n;
    bool whole = true; /* the RFC's b: the old tree's root is this very node */
    enum ps_err err = PS_OK;
    proof->len = 0;
    if (m == 0 || m > n)
        return PS_ERR_INVALID;
    for (;;) {
        PS_ASSERT(proof->len < PS_MERKLE_MAX_PROOF);
        if (m == width) {
            if (!whole)
                err = ps_merkle_range_hash(p, lo, lo + width, &proof->h[proof->len++]);
            break;
        }
        uint64_t k = split_point(width);
        if (m <= k) {
            err = ps_merkle_range_hash(p, lo + k, lo + width, &proof->h[proof->len++]);
            width = k;
        } else {
            err = ps_merkle_range_hash(p, lo, lo + k, &proof->h[proof->len++]);
            lo += k;
            m -= k;
            width -= k;
            whole = false;
        }
        if (err)
            break;
    }
    if (err) {
        proof->len = 0;
        return err;
    }
    reverse(proof);
    return PS_OK;
}

/* ---- verification ---- */

enum ps_err ps_merkle_verify_inclusion(const struct ps_hash *leaf, uint64_t index, uint64_t size,
                                       const struct ps_hash *path, size_t len,
                                       const struct ps_hash *root)
{
    struct hasher h;
    if (index >= size)
        return PS_ERR_INVALID;
    enum ps_err err = hasher_open(&h);
    if (err)
        return err;
    uint64_t fn = index, sn = size - 1;
    struct ps_hash r = *leaf;
    for (size_t i = 0; i < len && !err; i++) {
        if (sn == 0) {
            err = PS_ERR_CRYPTO; /* the path is longer than the tree is deep */
            break;
        }
        if ((fn & 1) || fn == sn) {
            err = hasher_node(&h, &path[i], &r, &r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            err = hasher_node(&h, &r, &path[i], &r);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (!err && (sn != 0 || !ps_hash_eq(&r, root)))
        err = PS_ERR_CRYPTO;
    hasher_close(&h);
    return err;
}

enum ps_err ps_merkle_verify_consistency(uint64_t m, uint64_t n, const struct ps_hash *proof,
                                         size_t len, const struct ps_hash *root_m,
                                         const struct ps_hash *root_n)
{
    struct hasher h;
    if (m > n)
        return PS_ERR_INVALID;
    if (m == 0 || m == n) {
        if (len != 0)
            return PS_ERR_CRYPTO;
        return m == 0 || ps_hash_eq(root_m, root_n) ? PS_OK : PS_ERR_CRYPTO;
    }
    if (len == 0)
        return PS_ERR_CRYPTO;
    enum ps_err err = hasher_open(&h);
    if (err)
        return err;
    /* when m is a power of two the old root is itself a node of the new tree: the RFC
     * prepends it to the path instead of sending it */
    size_t i = 0;
    struct ps_hash fr, sr;
    if (is_pow2(m)) {
        fr = sr = *root_m;
    } else {
        fr = sr = proof[0];
        i = 1;
    }
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    for (; i < len && !err; i++) {
        if (sn == 0) {
            err = PS_ERR_CRYPTO;
            break;
        }
        if ((fn & 1) || fn == sn) {
            err = hasher_node(&h, &proof[i], &fr, &fr);
            if (!err)
                err = hasher_node(&h, &proof[i], &sr, &sr);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else {
            err = hasher_node(&h, &sr, &proof[i], &sr);
        }
        fn >>= 1;
        sn >>= 1;
    }
    if (!err && (sn != 0 || !ps_hash_eq(&fr, root_m) || !ps_hash_eq(&sr, root_n)))
        err = PS_ERR_CRYPTO;
    hasher_close(&h);
    return err;
}

/* ---- frontier ---- */

void ps_merkle_frontier_init(struct ps_merkle_frontier *f)
{
    memset(f, 0, sizeof *f);
}

enum ps_err ps_merkle_frontier_append(struct ps_merkle_frontier *f, const struct ps_hash *leaf,
                                      ps_merkle_emit_fn emit, void *ctx)
{
    if (f->size == UINT64_MAX)
        return PS_ERR_LIMIT;
    uint64_t index = f->size;
    struct ps_hash h = *leaf;
    unsigned level = 0;
    for (;;) {
        if (emit) {
            enum ps_err err = emit(ctx, level, index >> level, &h);
            if (err)
                return err;
        }
        if (!((index >> level) & 1))
            break;
        enum ps_err err = ps_merkle_node_hash(&f->level[level], &h, &h);
        if (err)
            return err;
        level++;
    }
    f->level[level] = h;
    f->size = index + 1;
    return PS_OK;
}

enum ps_err ps_merkle_frontier_root(const struct ps_merkle_frontier *f, struct ps_hash *out)
{
    if (f->size == 0)
        return ps_merkle_empty_root(out);
    unsigned low = (unsigned)__builtin_ctzll(f->size);
    struct ps_hash acc = f->level[low];
    for (unsigned l = low + 1; l < 64; l++) {
        if (!((f->size >> l) & 1))
            continue;
        enum ps_err err = ps_merkle_node_hash(&f->level[l], &acc, &acc);
        if (err)
            return err;
    }
    *out = acc;
    return PS_OK;
}

enum ps_err ps_merkle_frontier_load(struct ps_merkle_frontier *f,
                                    const struct ps_merkle_provider *p, uint64_t size)
{
    struct ps_merkle_frontier tmp;
    ps_merkle_frontier_init(&tmp);
    uint64_t lo = 0;
    for (int l = 63; l >= 0; l--) {
        if (!((size >> l) & 1))
            continue;
        enum ps_err err = get_one(p, (unsigned)l, lo >> l, &tmp.level[l]);
        if (err)
            return err;
        lo += (uint64_t)1 << l;
    }
    tmp.size = size;
    *f = tmp;
    return PS_OK;
}
