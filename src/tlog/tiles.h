/* C2SP tlog-tiles: the log's Merkle tree and entries served as immutable tiles of 256 hashes
 * (tile height 8) and entry bundles. Path encoding and a strict request-path parser, tile
 * contents from a hash provider, the adapter that derives every tree level from the stored
 * tile levels (0, 8, 16, ...), and entry bundles. Pure: no I/O, no globals. */
#ifndef PS_TLOG_TILES_H
#define PS_TLOG_TILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "tlog/merkle.h"

#define PS_TILE_HEIGHT 8
#define PS_TILE_WIDTH 256    /* hashes (or entries) in a full tile */
#define PS_TILE_MAX_LEVEL 63 /* the spec's syntactic range of <L> */
/* Longest path ps_tile_path writes, with its NUL: "tile/entries/" + 7 index groups + ".p/255". */
#define PS_TILE_PATH_MAX 64
/* Largest entry an entry bundle can carry (uint16 length prefix). */
#define PS_BUNDLE_MAX_ENTRY 65535

/* One tile resource: tile/<level>/<index>[.p/<width>] or tile/entries/<index>[.p/<width>]. */
struct ps_tile {
    bool entries;   /* an entry bundle (level is then 0) */
    unsigned level; /* tile level L: its hashes are tree level 8 * L */
    uint64_t index; /* N */
    unsigned width; /* 1..256; 256 is a full tile, anything less is partial (.p/<W>) */
};

/* Writes the path of t (no leading slash, relative to the log prefix) into out, NUL-terminated;
 * *len (may be NULL) gets its length. Index 1234067 is written "x001/x234/067".
 * PS_ERR_INVALID for a width outside 1..256, a level above 63, or an entries tile with a
 * level. */
enum ps_err ps_tile_path(const struct ps_tile *t, char out[PS_TILE_PATH_MAX], size_t *len) PS_WUR;

/* Parses a request path relative to the log prefix, without leading slash ("tile/0/x001/067",
 * "tile/entries/123.p/45"). Strict: the only accepted spelling of a tile is the one
 * ps_tile_path writes. Rejected, with the reason in diag: other prefixes, a level with leading
 * zeros or above 63, index groups that are not exactly 3 digits, a missing or misplaced "x",
 * a leading "x000" group, an index beyond 2^64 - 1, a width with leading zeros, 0 or above 255,
 * and any trailing byte. Errors: PS_ERR_INVALID. */
enum ps_err ps_tile_parse(struct ps_str path, struct ps_tile *out, struct ps_diag *diag) PS_WUR;

/* True when every hash (or entry) of t is complete in the tree of tree_size leaves, that is,
 * when the log can serve t for a checkpoint of that size or an earlier one. Levels whose
 * hashes cover 2^64 leaves or more never exist. */
bool ps_tile_exists(const struct ps_tile *t, uint64_t tree_size);

/* Number of hashes (or entries) in the rightmost tile of level `level` for a tree of
 * tree_size leaves: floor(tree_size / 256^level) mod 256; 0 when that tile is empty. */
unsigned ps_tile_partial_width(unsigned level, uint64_t tree_size);

/* The hashes of a hash tile (not an entries tile): out[0..t->width-1], one provider call at
 * tree level 8 * level. The bytes to serve are out as an array (width * 32 bytes).
 * Errors: PS_ERR_INVALID for an entries tile or an impossible tile, the provider's. */
enum ps_err ps_tile_hashes(const struct ps_merkle_provider *p, const struct ps_tile *t,
                           struct ps_hash out[PS_TILE_WIDTH]) PS_WUR;

/* ---- every level from the stored levels ---- */

/* A provider that answers every level from `stored`, which need answer only the tile levels
 * (tree levels that are multiples of 8): level 8q + r is computed from 2^r stored hashes of
 * level 8q (at most 255 node hashes per subtree). Caller-owned storage that must outlive the
 * provider it fills; `stored` is borrowed. */
struct ps_tiles_adapter {
    const struct ps_merkle_provider *stored;
};
void ps_tiles_provider(struct ps_tiles_adapter *a, const struct ps_merkle_provider *stored,
                       struct ps_merkle_provider *out);

/* Tile levels to store as the log grows: an emit filter for ps_merkle_frontier_append that
 * forwards only tree levels that are multiples of 8 to `next`. */
struct ps_tiles_emit {
    ps_merkle_emit_fn next;
    void *next_ctx;
};
enum ps_err ps_tiles_emit_stored(void *ctx, unsigned level, uint64_t index,
                                 const struct ps_hash *hash) PS_WUR;

/* ---- entry bundles ---- */

/* Appends entry to a bundle under construction: big-endian uint16 length, then the bytes.
 * PS_ERR_LIMIT for an entry longer than 65535 bytes or a full buffer. */
enum ps_err ps_bundle_append(struct ps_buf *bundle, struct ps_str entry) PS_WUR;

/* Splits a bundle into its entries (borrowed from bundle): *count gets how many, at most max.
 * PS_ERR_INVALID for a truncated length or entry, PS_ERR_LIMIT for more than max entries. */
enum ps_err ps_bundle_parse(struct ps_str bundle, struct ps_str *entries, size_t max, size_t *count,
                            struct ps_diag *diag) PS_WUR;

/* Checks a bundle against the level-0 tile of the same index and width: exactly `width`
 * entries whose leaf hashes are tile[0..width-1]. PS_ERR_INVALID for a malformed bundle or a
 * wrong count, PS_ERR_CRYPTO for a hash mismatch (diag names the entry). */
enum ps_err ps_bundle_verify(struct ps_str bundle, const struct ps_hash *tile, size_t width,
                             struct ps_diag *diag) PS_WUR;

#endif
