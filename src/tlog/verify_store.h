/* Verifying the log in the local database: the source over the tlog_* tables, the log keys of
 * the keys table, and the checks only the database allows (entries against their records,
 * records against the log). Reads only; everything runs in the caller's read transaction. */
#ifndef PS_TLOG_VERIFY_STORE_H
#define PS_TLOG_VERIFY_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
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

/* The latest checkpoint note (OUT, copied into note with cap bytes, NUL-terminated) and its
 * size. PS_ERR_NOTFOUND when the log has no checkpoint yet, PS_ERR_LIMIT for cap. */
enum ps_err ps_tlog_store_latest_checkpoint(struct ps_tx *tx, char *note, size_t cap,
                                            uint64_t *size, struct ps_diag *diag) PS_WUR;

#endif
