/* Verifying the log in the local database: the source over the tlog_* tables, the log keys of
 * the keys table, and the checks only the database allows (entries against their records,
 * records against the log). Reads only; everything runs in the caller's read transaction. */
#ifndef PS_TLOG_VERIFY_STORE_H
#define PS_TLOG_VERIFY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "tlog/log.h"
#include "tlog/note.h"
#include "tlog/verify.h"

struct ps_tx;

/* ---- the local database as a source ---- */

/* A source that reads tlog_state, tlog_checkpoints, tlog_entries and tlog_hashes through tx
 * (a read transaction held for the whole verification, so it sees one snapshot). Caller
 * storage; tx is borrowed. */
struct ps_tlog_store_source {
    struct ps_tx *tx;
};
void ps_tlog_store_source_init(struct ps_tlog_store_source *s, struct ps_tx *tx,
                               struct ps_tlog_source *out);

/* Every checkpoint-signing public key in the keys table (purpose "tlog-signing", any
 * status; the active one first, then newest first), as note verifiers named `origin`. OUT keys (cap
 * entries), *n how many. Errors: PS_ERR_NOTFOUND when there is none, PS_ERR_LIMIT beyond cap, store
 * errors. */
enum ps_err ps_tlog_store_log_keys(struct ps_tx *tx, struct ps_str origin,
                                   struct ps_note_verifier *keys, size_t cap, size_t *n,
                                   struct ps_diag *diag) PS_WUR;

/* The log's keys now: every tlog-signing key of the keys table (as ps_tlog_store_log_keys)
 * named with the origin of the latest checkpoint, or PS_TLOG_DEFAULT_ORIGIN before the first.
 * Errors as ps_tlog_store_log_keys, PS_ERR_INVALID when the latest checkpoint does not parse. */
#define PS_TLOG_MAX_LOG_KEYS 16
enum ps_err ps_tlog_store_current_keys(struct ps_tx *tx, struct ps_note_verifier *keys,
                                       size_t cap, size_t *n, struct ps_diag *diag) PS_WUR;

/* The latest checkpoint note (OUT, copied into note with cap bytes, NUL-terminated) and its
 * size. PS_ERR_NOTFOUND when the log has no checkpoint yet, PS_ERR_LIMIT for cap. */
enum ps_err ps_tlog_store_latest_checkpoint(struct ps_tx *tx, char *note, size_t cap,
                                            uint64_t *size, struct ps_diag *diag) PS_WUR;

/* ---- the checks only the database allows ---- */

/* Entries against their records: for every index below size, the access_log row named by
 * tlog_entries.record_id must exist and make exactly the stored entry (ps_tlog_entry_format:
 * id, time, actor, action, and the commitment recomputed from subject, resource, purpose and
 * salt). PS_OK when all do; PS_ERR_CRYPTO with rep (problem PS_TLOG_BAD_RECORD, the entry
 * index, "entry 41: its actor does not match record <id>") for the first that does not; store
 * errors otherwise (not a verdict). Run it on a log ps_tlog_verify has accepted: the entries
 * are then those the signed checkpoints commit to. */
enum ps_err ps_tlog_check_records(struct ps_tx *tx, uint64_t size, struct ps_tlog_report *rep,
                                  struct ps_diag *diag) PS_WUR;

/* What `pocketstate log verify --data` trusts. */
struct ps_tlog_local_opts {
    /* A note verifier key to trust ("<name>+<id>+<base64>"); p == NULL: every tlog-signing
     * key of the keys table, named with the origin of the latest checkpoint. */
    struct ps_str key;
    void (*progress)(void *ctx, uint64_t done, uint64_t total); /* may be NULL */
    void *progress_ctx;
    /* Records older than this before the newest must be in the log (ps_tlog_missing_records);
     * < 0: PS_TLOG_VERIFY_WINDOW_MS, what a running integrator guarantees; 0: every record. */
    int64_t window_ms;
};

/* The whole verification of the log in the database, from tx's snapshot (a read
 * transaction): ps_tlog_verify over the store source with the checkpoint chain required and
 * the stored cosignatures checked (the configured witnesses' must verify); then every entry
 * against its record (ps_tlog_check_records); then every record older than the window against
 * the log (ps_tlog_missing_records). OUT rep. PS_OK: the log verifies; PS_ERR_CRYPTO: the first
 * problem in that order is in rep (a verdict); any other error: the log could not be read
 * (rep->message and diag say why; not a verdict). */
enum ps_err ps_tlog_verify_local(struct ps_tx *tx, const struct ps_tlog_local_opts *o,
                                 struct ps_tlog_report *rep, struct ps_diag *diag) PS_WUR;

#endif
