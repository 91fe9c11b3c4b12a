/* Whole-log verification: recomputes every leaf hash and every tile-level hash of the
 * transparency log from its entries in one streaming pass, and checks them against what the
 * log stores and publishes (stored tile hashes, signed checkpoints, consistency between
 * checkpoints, entry format, contiguous indexes). The log is reached through an abstract
 * source so the same pass runs over the local database and over a remote log's tiles.
 * Reports the FIRST problem in log order, naming the entry index, hash or checkpoint. */
#ifndef PS_TLOG_VERIFY_H
#define PS_TLOG_VERIFY_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

/* One row handed from a source to the verifier: an entry (index, entry bytes), a stored hash
 * (index at its level, 32 bytes) or a checkpoint (tree size, whole signed note). bytes is
 * borrowed for the call. A non-PS_OK return stops the source, which returns that error. */
typedef enum ps_err (*ps_tlog_row_fn)(void *ctx, uint64_t index, struct ps_str bytes);

/* One stored witness cosignature handed to the verifier: the size of the checkpoint it
 * cosigns, the signature line ("— <name> <base64>", without its newline) and the signed note
 * the log stores for that size (p == NULL when the log has none). Borrowed for the call. */
typedef enum ps_err (*ps_tlog_cosig_fn)(void *ctx, uint64_t size, struct ps_str line,
                                        struct ps_str note);

/* Where the log comes from. Every callback reports the rows it has, in increasing index
 * order, without inventing missing ones (a missing row is what the verifier must notice);
 * it returns PS_OK when the rows are delivered, or an I/O or store error (diag says why),
 * which ends the verification as "could not be completed". ctx is the source's own. */
struct ps_tlog_source {
    /* The tree size the log claims to have (the sequencer state; for a remote log the
     * latest checkpoint's size). */
    enum ps_err (*size)(void *ctx, uint64_t *out, struct ps_diag *diag);
    /* Every checkpoint note, in increasing order of size (row index = the size it is
     * stored under). */
    enum ps_err (*checkpoints)(void *ctx, ps_tlog_row_fn row, void *row_ctx, struct ps_diag *diag);
    /* Entries with index in [first, first + count). */
    enum ps_err (*entries)(void *ctx, uint64_t first, uint64_t count, ps_tlog_row_fn row,
                           void *row_ctx, struct ps_diag *diag);
    /* Stored hashes of tree level `level` (0, 8, 16, ...) with index in [first, first+count). */
    enum ps_err (*hashes)(void *ctx, unsigned level, uint64_t first, uint64_t count,
                          ps_tlog_row_fn row, void *row_ctx, struct ps_diag *diag);
    void *ctx;
    /* Optional (NULL: none): every witness cosignature the log keeps, in increasing order of
     * size, each with the log's note of that size. */
    enum ps_err (*cosignatures)(void *ctx, ps_tlog_cosig_fn row, void *row_ctx,
                                struct ps_diag *diag);
};

/* Checks one entry's format. PS_OK when acceptable; otherwise any error with the reason in
 * diag (the verifier reports "entry N: <reason>"). */
typedef enum ps_err (*ps_tlog_entry_check_fn)(void *ctx, uint64_t index, struct ps_str entry,
                                              struct ps_diag *diag);

/* The default entry check: 1..65535 bytes of one JSON object, without duplicate keys, in
 * canonical compact form (exactly the bytes a compact re-serialization in the same key order
 * gives: no whitespace, minimal escapes, UTF-8 as is). */
enum ps_err ps_tlog_entry_check_json(void *ctx, uint64_t index, struct ps_str entry,
                                     struct ps_diag *diag) PS_WUR;

/* What the verifier trusts. All borrowed. */
struct ps_tlog_verify_opts {
    const struct ps_note_verifier *keys; /* the log's Ed25519 note keys (>= 1); any may sign */
    size_t nkeys;
    struct ps_str origin;               /* checkpoint origin; empty: keys[0].name */
    ps_tlog_entry_check_fn entry_check; /* NULL: ps_tlog_entry_check_json */
    void *entry_ctx;
    /* Called every 2^16 entries and at the end (may be NULL): for a progress line. */
    void (*progress)(void *ctx, uint64_t done, uint64_t total);
    void *progress_ctx;
    /* The source delivers every checkpoint the log has signed (a local database, not a
     * remote log's latest one): a checkpoint's link to the one signed before it
     * (tlog/checkpoint.h) must name the checkpoint delivered before it, byte for byte. */
    bool chain;
    /* The witnesses whose stored cosignatures must verify (type 0x04; may be none). A
     * cosignature of another key is checked only for having its checkpoint in the log. */
    const struct ps_note_verifier *witnesses;
    size_t nwitnesses;
};

/* The kind of the first problem found. */
enum ps_tlog_problem {
    PS_TLOG_GOOD = 0,
    PS_TLOG_BAD_ENTRY,      /* missing, out of order, malformed, or its leaf hash differs */
    PS_TLOG_BAD_HASH,       /* a stored higher-level hash is missing or wrong */
    PS_TLOG_BAD_CHECKPOINT, /* signature, origin, size, root, consistency, link to the
                               previous checkpoint, or a witness cosignature */
    PS_TLOG_BAD_RECORD,     /* (local database) an entry does not match the record it was
                               made from, or a record older than the window is not in the log */
};

/* Result of a verification. Caller-owned. */
struct ps_tlog_report {
    uint64_t size;        /* entries verified (the tree size) */
    uint64_t checkpoints; /* checkpoints verified */
    struct ps_hash root;  /* root of the verified tree of `size` entries */
    enum ps_tlog_problem problem;
    uint64_t index;    /* entry index, hash index at `level`, or checkpoint size */
    unsigned level;    /* PS_TLOG_BAD_HASH: the tree level */
    char message[320]; /* "entry 41: leaf hash does not match stored tile hash" ... */
};

/* Fills rep with a problem (kind, index, level, the formatted message) and diag with the
 * message; returns PS_ERR_CRYPTO, what a verdict returns. For checks beyond ps_tlog_verify
 * that report like it (verify_store.c). */
enum ps_err ps_tlog_report_vset(struct ps_tlog_report *rep, struct ps_diag *diag,
                                enum ps_tlog_problem kind, uint64_t index, unsigned level,
                                const char *fmt, va_list ap) PS_PRINTF(6, 0);

/* Verifies the whole log from src. Walks indexes 0 .. max(claimed size, largest checkpoint
 * or cosigned size) - 1: each entry must be present, in order and accepted by the entry
 * check; its leaf hash must equal the stored level-0 hash; every completed subtree at a tile
 * level must equal its stored hash; every checkpoint must be signed by one of opts->keys,
 * carry the origin, state its own size, have the root recomputed at that size, be consistent
 * with the previous checkpoint (an RFC 9162 consistency proof generated over the verified
 * stored hashes, checked against both roots) and, with opts->chain, name in its link the
 * checkpoint delivered before it; every stored cosignature must have its checkpoint in the
 * log, and one of opts->witnesses must verify. Stops at the first problem, in log order (a
 * checkpoint of size s comes after entry s - 1).
 * OUT rep. Returns PS_OK when everything verifies; PS_ERR_CRYPTO when a problem was found
 * (rep->problem, rep->index, rep->message say which, diag repeats the message); any other
 * error when the source failed or memory ran out (diag says why; the log was not judged).
 * Single-threaded; allocates O(checkpoints) memory plus ~80 KiB. */
enum ps_err ps_tlog_verify(const struct ps_tlog_source *src, const struct ps_tlog_verify_opts *opts,
                           struct ps_tlog_report *rep, struct ps_diag *diag) PS_WUR;

#endif
