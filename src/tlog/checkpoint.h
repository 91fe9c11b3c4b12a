/* C2SP tlog-checkpoint: the signed tree head as note text (origin, tree size, base64 root hash,
 * optional extension lines), and opening a checkpoint note under a policy: the log's key must
 * sign, and a quorum of witness cosignatures (tlog-cosignature/v1) may be required. Pure. */
#ifndef PS_TLOG_CHECKPOINT_H
#define PS_TLOG_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

#define PS_CHECKPOINT_MAX_ORIGIN 255

struct ps_checkpoint {
    struct ps_str origin; /* without its newline; borrowed from the text when parsed */
    uint64_t size;
    struct ps_hash root;
    struct ps_str extensions; /* "" or whole non-empty lines, each ending in '\n'; borrowed */
};

/* Parses checkpoint note text strictly: at least three lines, none empty, the text ending in
 * '\n', no control character but '\n'; a non-empty origin of at most 255 bytes; the size in
 * decimal without leading zeros ("0" for the empty tree) below 2^64; the root as padded base64
 * of exactly 32 bytes. OUT c borrows text. Errors: PS_ERR_INVALID with the reason in diag. */
enum ps_err ps_checkpoint_parse(struct ps_str text, struct ps_checkpoint *c,
                                struct ps_diag *diag) PS_WUR;

/* Appends the note text of c to out. The origin must be a valid key name (it is the log's key
 * name too), extensions "" or non-empty lines ending in '\n'. PS_ERR_INVALID, PS_ERR_LIMIT. */
enum ps_err ps_checkpoint_format(const struct ps_checkpoint *c, struct ps_buf *out) PS_WUR;

/* ---- the link to the previous checkpoint ----
 * PocketState's one extension line (tlog-checkpoint allows opaque extension lines, which
 * clients ignore): every checkpoint the integrator signs after the first names the checkpoint
 * signed before it,
 *     "previous <size> <base64 SHA-256 of that checkpoint's signed note, as stored>\n",
 * so that the whole-log verifier notices a checkpoint deleted from the log's history (the
 * consistency of the ones left would not show it). */
#define PS_CHECKPOINT_LINK_WORD "previous"

struct ps_checkpoint_link {
    uint64_t size;
    struct ps_hash note_hash; /* SHA-256 of the previous checkpoint's signed note bytes */
};

/* The link to the checkpoint of `size` whose stored signed note is `note`. */
enum ps_err ps_checkpoint_link_make(uint64_t size, struct ps_str note,
                                    struct ps_checkpoint_link *out) PS_WUR;
/* Appends the link's extension line to out. PS_ERR_LIMIT/NOMEM from out. */
enum ps_err ps_checkpoint_link_format(const struct ps_checkpoint_link *l, struct ps_buf *out) PS_WUR;
/* Looks for the link among extension lines (a parsed checkpoint's extensions). PS_OK with
 * *found false when there is none; PS_ERR_INVALID (reason in diag) for a malformed or repeated
 * "previous" line. Other extension lines are ignored. */
enum ps_err ps_checkpoint_link_parse(struct ps_str extensions, bool *found,
                                     struct ps_checkpoint_link *out, struct ps_diag *diag) PS_WUR;

/* What a client trusts. All borrowed. */
struct ps_checkpoint_policy {
    struct ps_str origin;                    /* expected origin line */
    const struct ps_note_verifier *log_keys; /* the log's keys (type 0x01); one must sign */
    size_t nlog_keys;
    const struct ps_note_verifier *witnesses; /* cosigners (type 0x04) */
    size_t nwitnesses;
    size_t quorum; /* valid witness cosignatures required */
};

/* Opens a signed checkpoint: parses the note into *note (caller storage, borrowed from msg),
 * checks the log's signature with the signed-note rule, parses the text into *c and checks its
 * origin, then checks every witness: witness_out (nwitnesses entries, may be NULL) gets each
 * result and cosignature time. A witness signature that fails does not reject the checkpoint
 * (it is not counted), but fewer than quorum valid ones do. Errors: PS_ERR_INVALID or
 * PS_ERR_LIMIT (malformed), PS_ERR_CRYPTO (bad log signature), PS_ERR_DENIED (not signed by
 * the log, wrong origin, or quorum not reached), PS_ERR_NOMEM; diag says which. */
enum ps_err ps_checkpoint_open(struct ps_str msg, const struct ps_checkpoint_policy *policy,
                               struct ps_note *note, struct ps_checkpoint *c,
                               struct ps_note_check *witness_out, struct ps_diag *diag) PS_WUR;

#endif
