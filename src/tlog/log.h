/* The transparency log on the store: the public entry of a record (canonical JSON with a salted
 * commitment instead of personal data), one integration round that appends new access_log rows
 * to the Merkle tree and signs a checkpoint, the stored-hash provider, every read the HTTP edge
 * serves (checkpoints, tiles, entry bundles, proofs, a subject's records), and the witness list
 * with the cosignatures it admits. All the log's SQL lives here; callers bring the transaction
 * (docs/internals/tlog.md, "Store and HTTP"). */
#ifndef PS_TLOG_LOG_H
#define PS_TLOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tiles.h"

struct ps_tx;
struct ps_key;

#define PS_TLOG_SALT_LEN 32
/* Default origin line of checkpoints and name of the log key. TODO: a config key once the CLI
 * config has one (docs/configuration.md). */
#define PS_TLOG_DEFAULT_ORIGIN "pocketstate.local/log"
/* Largest entry the serializer writes (the fields' limits make ~1 KiB the real bound). */
#define PS_TLOG_ENTRY_MAX 4096
/* Most records one integration round sequences. */
#define PS_TLOG_ROUND_MAX 50000
/* Records committed later than this after the last integrated id (by UUIDv7 time) are not
 * looked for: longer than any transaction plus clock skew between serve hosts. */
#define PS_TLOG_WINDOW_MS (60 * 1000)
/* How often the running integrator looks for late records (see ps_tlog_pending). */
#define PS_TLOG_SWEEP_MS (10 * 1000)
/* meta key holding the witnesses' verifier keys, one per line: in the database, so every serve
 * process reads the same list in the transaction that checks a cosignature. Written only by
 * ps_tlog_witness_add / ps_tlog_witness_remove. */
#define PS_TLOG_WITNESSES_META "tlog_witnesses"
#define PS_TLOG_MAX_WITNESSES 16
/* Longest witness name ps_tlog_witness_add takes: the change entry's resource
 * "witnesses/<name>+<8 hex>" must fit PS_ACCESS_RESOURCE_MAX (256) bytes. */
#define PS_TLOG_WITNESS_NAME_MAX (256 - 10 - 9)

/* ---- entries ---- */

/* One access_log row as the serializer needs it. Borrowed strings. salt may be NULL (a row
 * recorded before migration 0004): 32 zero bytes stand in for it. */
struct ps_tlog_record {
    struct ps_str id;         /* UUIDv7 text */
    int64_t at_ms;
    struct ps_str actor_kind; /* "admin", "official", "system", "citizen" */
    struct ps_str actor_id;
    struct ps_str actor_role;   /* an official's role ("" for others, and before 0007) */
    struct ps_str actor_agency; /* the official's or the agency system's agency, or "" */
    struct ps_str action;
    struct ps_str subject, resource, purpose; /* personal: only in the commitment */
    const uint8_t *salt;                      /* PS_TLOG_SALT_LEN bytes or NULL */
};

/* commitment = SHA-256(salt || u32be(len) subject || u32be(len) resource || u32be(len)
 * purpose). Errors: PS_ERR_CRYPTO. Thread-safe. */
enum ps_err ps_tlog_commitment(const uint8_t *salt, struct ps_str subject, struct ps_str resource,
                               struct ps_str purpose, struct ps_hash *out) PS_WUR;

/* Appends the entry of r to out: compact JSON, keys in this order, no whitespace:
 * {"v":1,"id":..,"time":"<RFC 3339 ms UTC>","actor":{"kind":..,"id":..},"action":..,
 *  "commitment":"<base64>"}, where a citizen actor has no "id". Errors: PS_ERR_INVALID (an
 * unknown actor kind), PS_ERR_LIMIT (out full), PS_ERR_CRYPTO. */
enum ps_err ps_tlog_entry_format(const struct ps_tlog_record *r, struct ps_buf *out) PS_WUR;

/* Standard padded base64 of n bytes into out (cap >= 4 * ((n + 2) / 3) + 1), NUL-terminated. */
void ps_tlog_b64(const void *p, size_t n, char *out, size_t cap);

/* ---- the stored hashes ---- */

/* A provider over tlog_hashes read in tx, answering every level (tiles adapter inside).
 * Caller-owned storage that outlives *out; tx is borrowed. */
struct ps_tlog_provider {
    struct ps_tx *tx;
    struct ps_merkle_provider stored;
    struct ps_tiles_adapter adapter;
};
void ps_tlog_provider_init(struct ps_tlog_provider *p, struct ps_tx *tx,
                           struct ps_merkle_provider *out);

/* ---- integration ---- */

/* What one round needs. signer and origin borrowed; cache (may be NULL) is the frontier this
 * process left after its last round: used when its size is the stored size, else the frontier
 * is loaded from tlog_hashes. */
struct ps_tlog_round_in {
    struct ps_note_signer *signer; /* Ed25519 (0x01), named origin; only read */
    struct ps_str origin;
    const struct ps_merkle_frontier *cache;
    size_t max_records; /* 0: PS_TLOG_ROUND_MAX */
    bool sweep;         /* also look for late records in the window (see below) */
    uint64_t sweep_ms;  /* with sweep: how far back from the last integrated id (0: 80 s) */
    /* Store the entries, hashes and tlog_state but sign no checkpoint: a later round of the
     * same integration signs one. Keeps each committer job short under a backlog while
     * checkpoints stay at most one per integration. */
    bool defer_checkpoint;
    /* With sweep: look for records missing from the log over the whole table, not only the
     * window (at start: a record that committed later than the window, e.g. after a clock
     * step, is sequenced at the next start at the latest). O(records) in an index scan. */
    bool full_sweep;
    /* Sign nothing, ever: store the entries, hashes and tlog_state only (a command that
     * records without the log key; the next round that has it signs). signer may be NULL. */
    bool no_checkpoint;
};

struct ps_tlog_round_out {
    uint64_t old_size, new_size;
    size_t appended;
    bool checkpoint; /* a new checkpoint was written */
    struct ps_merkle_frontier frontier; /* of new_size: the next round's cache */
};

/* One integration round in tx (a write job): takes the sequencer row (UPDATE tlog_state),
 * appends as entries, at most max_records in all: with in->sweep first the late records
 * (rows with ids between the largest integrated id minus PS_TLOG_WINDOW_MS and that id that
 * are not yet entries: they committed after a larger id was integrated), then the records
 * with ids above the largest integrated id, each group in id order; stores the tile-level
 * hashes, and when anything was appended (or no checkpoint exists yet) signs and stores a
 * checkpoint and updates tlog_state. No effects outside tx and *out, so the committer may run
 * it again. Errors: store errors (PS_ERR_CONFLICT retryable), PS_ERR_CRYPTO, PS_ERR_INTERNAL
 * (stored hashes inconsistent with tlog_state), PS_ERR_NOMEM. */
enum ps_err ps_tlog_integrate_tx(struct ps_tx *tx, const struct ps_tlog_round_in *in,
                                 struct ps_tlog_round_out *out, struct ps_diag *diag) PS_WUR;

/* What a round would do: *pending true for an id above the largest integrated one (one
 * index probe), or when the tree's size has no checkpoint yet (entries sequenced without the
 * key, or a new log: one more probe); with sweep_ms > 0, *late (may be NULL) true for a late record: a row with an
 * id from sweep_ms before the largest integrated one up to it and no entry (an anti-join over
 * those rows), which also makes *pending true. The integrator passes the window plus the time
 * since its previous sweep read, so a record that commits within the window of its id's time
 * is inside when the next sweep looks. The read the integrator does before it submits a
 * round: the anti-join runs here, on the integrator's own read connection, and the round (a
 * committer job) sweeps only when *late says there is something to find, so a scan of the
 * window never holds up the committer. */
enum ps_err ps_tlog_pending(struct ps_tx *tx, uint64_t sweep_ms, bool *pending,
                            bool *late) PS_WUR;

/* A note signer for the log from the opened tlog-signing key (crypto/keys.h), named origin.
 * Caller frees with ps_note_signer_free. Errors: PS_ERR_INVALID (not an Ed25519 key, bad
 * origin), PS_ERR_NOMEM. */
enum ps_err ps_tlog_signer_from_key(const struct ps_key *key, struct ps_str origin,
                                    struct ps_note_signer **out, struct ps_diag *diag) PS_WUR;

/* ---- reads (any transaction) ---- */

/* The latest checkpoint: its size and, when note is non-NULL, the signed note followed by the
 * stored cosignature lines for that size (appended to note). PS_ERR_NOTFOUND when none. */
enum ps_err ps_tlog_latest(struct ps_tx *tx, uint64_t *size, struct ps_buf *note) PS_WUR;

/* The signed note of the checkpoint of exactly `size` (no cosignatures) appended to note.
 * PS_ERR_NOTFOUND when there is none. */
enum ps_err ps_tlog_checkpoint_at(struct ps_tx *tx, uint64_t size, struct ps_buf *note) PS_WUR;

/* A tile for the latest checkpoint: hash tiles append width * 32 bytes, entry tiles the
 * bundle. PS_ERR_NOTFOUND when the tile does not exist at the latest checkpoint; store
 * errors; PS_ERR_INTERNAL when stored rows are missing. */
enum ps_err ps_tlog_tile(struct ps_tx *tx, const struct ps_tile *t, struct ps_buf *out) PS_WUR;

/* Inclusion proof of leaf index in the tree of `size`, which must not exceed the latest
 * checkpoint. Errors: PS_ERR_INVALID (index >= size), PS_ERR_NOTFOUND (size beyond the latest
 * checkpoint), store errors. */
enum ps_err ps_tlog_inclusion(struct ps_tx *tx, uint64_t index, uint64_t size,
                              struct ps_merkle_proof *proof, struct ps_diag *diag) PS_WUR;
/* Consistency proof from first to second (0 <= first <= second <= latest; first 0 gives the
 * empty proof). Errors as above. */
enum ps_err ps_tlog_consistency(struct ps_tx *tx, uint64_t first, uint64_t second,
                                struct ps_merkle_proof *proof, struct ps_diag *diag) PS_WUR;

/* ---- a subject's records ("who used my data") ---- */

struct ps_tlog_subject_row {
    struct ps_str id, kind, actor_kind, actor_id, actor_role, actor_agency, action, resource,
        purpose, time;
    struct ps_str entry; /* the public entry bytes when sequenced, else empty */
    uint8_t salt[PS_TLOG_SALT_LEN];
    bool has_salt;
    bool sequenced;
    uint64_t index;
};

#define PS_TLOG_PAGE_MAX 100

/* Records whose subject is `subject`, newest first (by id), with ids below `before` when it is
 * non-empty, at most limit (1..PS_TLOG_PAGE_MAX). Strings owned by arena. *n gets the count. */
enum ps_err ps_tlog_subject_rows(struct ps_tx *tx, struct ps_str subject, struct ps_str before,
                                 size_t limit, struct ps_arena *arena,
                                 struct ps_tlog_subject_row *rows, size_t *n) PS_WUR;

/* Inclusion proofs for rows of ps_tlog_subject_rows against the latest checkpoint: *size gets
 * its tree size (0 when the log has no checkpoint yet), note the checkpoint (appended), and
 * proofs[i] the proof of each row sequenced below *size (len 0 for the others). A read
 * transaction suffices. Errors as ps_tlog_inclusion, PS_ERR_LIMIT from note. */
enum ps_err ps_tlog_rows_proofs(struct ps_tx *tx, const struct ps_tlog_subject_row *rows,
                                size_t n, struct ps_merkle_proof *proofs, uint64_t *size,
                                struct ps_buf *note, struct ps_diag *diag) PS_WUR;

/* ---- witnesses ---- */

/* The configured witness verifier keys (meta PS_TLOG_WITNESSES_META, one per line; absent:
 * none). Errors: PS_ERR_INVALID for a malformed key (diag names it). */
enum ps_err ps_tlog_witnesses(struct ps_tx *tx, struct ps_note_verifier *out, size_t cap,
                              size_t *n, struct ps_diag *diag) PS_WUR;

struct ps_actor;

/* Adds the witness of verifier key vkey (C2SP "<name>+<hex id>+<base64>", type cosignature/v1)
 * in tx (a write job): rewrites meta PS_TLOG_WITNESSES_META with every configured key in its
 * canonical form, one per line, and records the change "tlog.witness.add" by actor (resource
 * "witnesses/<name>+<key id>", reason may be empty) in the same transaction (rule 4).
 * Errors, with the reason in diag: PS_ERR_INVALID (malformed key, not cosignature/v1, name
 * longer than PS_TLOG_WITNESS_NAME_MAX, or a stored key is malformed), PS_ERR_EXISTS (a
 * witness of that name is configured, with this key or another), PS_ERR_LIMIT (already
 * PS_TLOG_MAX_WITNESSES), store errors (PS_ERR_CONFLICT retryable). OUT added (may be NULL):
 * the parsed key. Borrowed arguments; no effects outside tx. */
enum ps_err ps_tlog_witness_add(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str vkey,
                                struct ps_str reason, struct ps_note_verifier *added,
                                struct ps_diag *diag) PS_WUR;

/* Removes the witness named name (the part of its verifier key before the first '+') in tx,
 * rewriting the meta value as ps_tlog_witness_add does, and records "tlog.witness.remove"
 * (resource "witnesses/<name>+<key id>"). Cosignatures it made stay stored; new ones are
 * refused. Errors: PS_ERR_NOTFOUND (no witness of that name), PS_ERR_INVALID (a
 * stored key is malformed), store errors. OUT removed (may be NULL): the removed key. */
enum ps_err ps_tlog_witness_remove(struct ps_tx *tx, const struct ps_actor *actor,
                                   struct ps_str name, struct ps_str reason,
                                   struct ps_note_verifier *removed, struct ps_diag *diag) PS_WUR;

/* Accepts a checkpoint note carrying witness cosignatures (a write job): the note text must
 * be that of a stored checkpoint, every signature line must be the log's own or a valid
 * cosignature/v1 of a configured witness; those are stored (a witness's first cosignature of
 * a size is kept). *stored gets how many new ones. Errors: PS_ERR_INVALID (malformed, unknown
 * key, bad signature; diag says which), PS_ERR_NOTFOUND (no such checkpoint), store errors. */
enum ps_err ps_tlog_add_cosignatures(struct ps_tx *tx, struct ps_str note, size_t *stored,
                                     struct ps_diag *diag) PS_WUR;

/* The checks of ps_tlog_add_cosignatures without storing anything: for a read transaction,
 * so that a note that would be refused never costs a write. */
enum ps_err ps_tlog_check_cosignatures(struct ps_tx *tx, struct ps_str note,
                                       struct ps_diag *diag) PS_WUR;

/* Records that should be in the log and are not: access_log rows without a tlog_entries row
 * whose id is older than window_ms before the newest id there is: the newest record's, or
 * the last integrated one (tlog_state.last_record_id) if that is newer. Measured from the
 * newest record rather than from the last integrated id, a log cut back together with its
 * tlog_state still leaves every record it lost outside the window (what is recorded is
 * sequenced within about a second by a running integrator, and by every command that records
 * without one: see ps_tlog_sequence_pending). PS_TLOG_VERIFY_WINDOW_MS is as far as a running
 * integrator's sweep looks back: records inside it may still be sequenced and are not
 * counted. window_ms 0: every record must be in the log (a log at rest, no serve running).
 * *count how many, first the smallest such id ("" when none). */
#define PS_TLOG_VERIFY_WINDOW_MS (PS_TLOG_WINDOW_MS + 2 * PS_TLOG_SWEEP_MS)
enum ps_err ps_tlog_missing_records(struct ps_tx *tx, uint64_t window_ms, uint64_t *count,
                                    char first[37], struct ps_diag *diag) PS_WUR;

#endif
