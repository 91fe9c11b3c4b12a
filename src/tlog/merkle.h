/* RFC 9162 (section 2.1) Merkle tree hashing for the transparency log: leaf and node hashes,
 * tree roots, inclusion and consistency proofs and their verifiers, and the "frontier" that
 * turns appended leaves into the hashes of newly completed subtrees. Pure: no I/O, no globals;
 * hashes that live elsewhere (the store, fetched tiles) are reached through a provider. */
#ifndef PS_TLOG_MERKLE_H
#define PS_TLOG_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define PS_HASH_LEN 32

/* A SHA-256 value. Arrays of it are contiguous 32-byte records (tile bytes). */
struct ps_hash {
    uint8_t b[PS_HASH_LEN];
};

/* Longest proof for any tree of fewer than 2^64 leaves: an inclusion path has at most 64
 * elements, a consistency proof at most 64 + 1. */
#define PS_MERKLE_MAX_PROOF 66

struct ps_merkle_proof {
    size_t len;
    struct ps_hash h[PS_MERKLE_MAX_PROOF];
};

/* leaf hash = SHA-256(0x00 || entry); node hash = SHA-256(0x01 || left || right); the root of
 * the empty tree is SHA-256(""). Errors: PS_ERR_CRYPTO when OpenSSL fails (out of memory).
 * Thread-safe. */
enum ps_err ps_merkle_leaf_hash(const void *entry, size_t len, struct ps_hash *out) PS_WUR;
enum ps_err ps_merkle_node_hash(const struct ps_hash *left, const struct ps_hash *right,
                                struct ps_hash *out) PS_WUR;
enum ps_err ps_merkle_empty_root(struct ps_hash *out) PS_WUR;

/* Root of the complete subtree whose 2^k bottom-level hashes are hashes[0..n-1] (n a power of
 * two); hashes is overwritten. Reuses one SHA-256 context: the fast path for tile reduction. */
enum ps_err ps_merkle_reduce(struct ps_hash *hashes, size_t n, struct ps_hash *out) PS_WUR;

/* Where hashes of complete ("perfect") subtrees come from. A subtree at `level` with index k
 * covers leaves [k * 2^level, (k + 1) * 2^level); level 0 is the leaf hashes.
 *
 * hashes() fills out[0..count-1] with the subtrees first..first+count-1 at `level`; count >= 1.
 * Callers only ask for subtrees that are complete in the tree they work on. It returns
 * PS_ERR_NOTFOUND when a hash is not (yet) known, or any error of its backing store, which
 * the caller passes through unchanged. A provider backed only by stored tile levels is made
 * complete by ps_tiles_provider (tiles.h). */
struct ps_merkle_provider {
    enum ps_err (*hashes)(void *ctx, unsigned level, uint64_t first, size_t count,
                          struct ps_hash *out);
    void *ctx;
};

/* Root hash of the tree of the first `size` leaves (size 0: the empty root). Costs at most one
 * provider call per set bit of size. Errors: the provider's, PS_ERR_CRYPTO. */
enum ps_err ps_merkle_root(const struct ps_merkle_provider *p, uint64_t size,
                           struct ps_hash *out) PS_WUR;

/* Hash of the leaves [lo, hi) where lo is a multiple of the largest power of two <= hi - lo
 * (every node of the RFC 9162 tree is such a range, complete or not). lo < hi. */
enum ps_err ps_merkle_range_hash(const struct ps_merkle_provider *p, uint64_t lo, uint64_t hi,
                                 struct ps_hash *out) PS_WUR;

/* Inclusion proof (audit path, RFC 9162 2.1.3.1) for leaf `index` in the tree of `size`
 * leaves, ordered from the leaf upwards. O(log size) provider calls. OUT proof.
 * Errors: PS_ERR_INVALID unless index < size; the provider's; PS_ERR_CRYPTO. */
enum ps_err ps_merkle_inclusion_proof(const struct ps_merkle_provider *p, uint64_t index,
                                      uint64_t size, struct ps_merkle_proof *proof) PS_WUR;

/* Consistency proof (RFC 9162 2.1.4.1) from the tree of size m to the tree of size n.
 * 0 < m <= n; m == n gives the empty proof. O(log n) provider calls. OUT proof.
 * Errors: PS_ERR_INVALID for m == 0 or m > n; the provider's; PS_ERR_CRYPTO. */
enum ps_err ps_merkle_consistency_proof(const struct ps_merkle_provider *p, uint64_t m, uint64_t n,
                                        struct ps_merkle_proof *proof) PS_WUR;

/* RFC 9162 2.1.3.2: PS_OK when `path` proves that `leaf` (a leaf hash) is at `index` in the
 * tree of `size` leaves whose root is `root`. PS_ERR_INVALID when index >= size; PS_ERR_CRYPTO
 * when the path does not prove it (wrong length or hashes). No allocation, thread-safe. */
enum ps_err ps_merkle_verify_inclusion(const struct ps_hash *leaf, uint64_t index, uint64_t size,
                                       const struct ps_hash *path, size_t len,
                                       const struct ps_hash *root) PS_WUR;

/* RFC 9162 2.1.4.2: PS_OK when `proof` shows that the tree of size m with root `root_m` is a
 * prefix of the tree of size n with root `root_n`. Beyond the RFC algorithm: m == n requires
 * an empty proof and equal roots; m == 0 requires an empty proof (every tree extends the empty
 * one). PS_ERR_INVALID for m > n; PS_ERR_CRYPTO when the proof does not prove it. */
enum ps_err ps_merkle_verify_consistency(uint64_t m, uint64_t n, const struct ps_hash *proof,
                                         size_t len, const struct ps_hash *root_m,
                                         const struct ps_hash *root_n) PS_WUR;

/* ---- incremental building ---- */

/* The right edge of a tree: for every set bit l of size, the hash of the complete subtree of
 * 2^l leaves that the bit stands for. Enough to append leaves and to compute the root without
 * reading anything else. Caller-owned storage (2 KiB); copy it freely. */
struct ps_merkle_frontier {
    uint64_t size;
    struct ps_hash level[64]; /* level[l] is meaningful only when bit l of size is set */
};

/* Called for every complete subtree an append produces: level 0 (the leaf itself) and each
 * level its carry reaches. Return non-PS_OK to abort the append. */
typedef enum ps_err (*ps_merkle_emit_fn)(void *ctx, unsigned level, uint64_t index,
                                         const struct ps_hash *hash);

/* The empty tree. */
void ps_merkle_frontier_init(struct ps_merkle_frontier *f);
/* Appends one leaf hash. emit (may be NULL) sees each completed subtree, lowest level first.
 * On error the frontier is unchanged, although emit may already have seen some subtrees
 * (emit inside the same transaction as the leaf, so that a rollback forgets them too).
 * Errors: PS_ERR_LIMIT when the tree holds 2^64 - 1 leaves, emit's, PS_ERR_CRYPTO. */
enum ps_err ps_merkle_frontier_append(struct ps_merkle_frontier *f, const struct ps_hash *leaf,
                                      ps_merkle_emit_fn emit, void *ctx) PS_WUR;
/* Root of the tree the frontier describes. */
enum ps_err ps_merkle_frontier_root(const struct ps_merkle_frontier *f, struct ps_hash *out) PS_WUR;
/* Rebuilds the frontier of the tree of `size` leaves from a provider (at startup): one
 * provider call per set bit of size. On error f is unchanged. */
enum ps_err ps_merkle_frontier_load(struct ps_merkle_frontier *f,
                                    const struct ps_merkle_provider *p, uint64_t size) PS_WUR;

/* Constant-time comparison of two hashes. */
bool ps_hash_eq(const struct ps_hash *a, const struct ps_hash *b);

#endif
