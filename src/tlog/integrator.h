/* The log's integrator: a background thread of `serve` that, at most once a second and only
 * when there are new records, sequences them into the Merkle tree and signs a checkpoint in one
 * store write job (sharing group commit with everything else). Also the synchronous round that
 * tests and `pocketstate demo` use. Appending a record stays one insert; this is the only
 * writer of the tlog tables (docs/internals/tlog.md, "Store and HTTP"). */
#ifndef PS_TLOG_INTEGRATOR_H
#define PS_TLOG_INTEGRATOR_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "tlog/log.h"

struct ps_store;
struct ps_tlog_integrator;

struct ps_tlog_integrator_opts {
    const char *origin;            /* checkpoint origin = log key name; NULL: default */
    struct ps_note_signer *signer; /* borrowed; must outlive the integrator */
    unsigned interval_ms;          /* 0: 1000 */
    size_t max_records;            /* per round; 0: PS_TLOG_ROUND_MAX */
};

/* Counters for metrics and tests (a snapshot). */
struct ps_tlog_integrator_stats {
    uint64_t rounds;     /* rounds that appended or wrote a checkpoint */
    uint64_t appended;   /* records sequenced by this process */
    uint64_t failures;   /* rounds that failed (logged) */
    uint64_t size;       /* tree size after this process's last round */
};

/* Starts the thread. The store and signer are borrowed and must outlive it (stop it before
 * ps_store_free). Errors: PS_ERR_INVALID (no signer, bad origin), PS_ERR_NOMEM, PS_ERR_INTERNAL
 * (thread creation). Caller stops with ps_tlog_integrator_stop. */
enum ps_err ps_tlog_integrator_start(struct ps_store *store,
                                     const struct ps_tlog_integrator_opts *opts,
                                     struct ps_tlog_integrator **out,
                                     struct ps_diag *diag) PS_WUR;

/* Runs one round now on the calling thread (waits for its commit), sharing the thread's
 * in-memory frontier. Thread-safe against the background thread. OUT out (may be NULL). */
enum ps_err ps_tlog_integrator_round(struct ps_tlog_integrator *it, struct ps_tlog_round_out *out,
                                     struct ps_diag *diag) PS_WUR;

void ps_tlog_integrator_stats(struct ps_tlog_integrator *it, struct ps_tlog_integrator_stats *out);

/* Wakes the thread, lets it finish its round, runs a last round so that records committed
 * before the stop are sequenced (best effort, errors logged), joins and frees. NULL: no-op. */
void ps_tlog_integrator_stop(struct ps_tlog_integrator *it);

/* Sequences everything pending now, in as many rounds as needed, without a thread (tests,
 * `pocketstate demo`, `log` tools). origin NULL: default. *appended (may be NULL) gets the
 * count, *size (may be NULL) the tree size after. Errors: the round's. */
enum ps_err ps_tlog_integrate_now(struct ps_store *store, struct ps_note_signer *signer,
                                  const char *origin, size_t *appended, uint64_t *size,
                                  struct ps_diag *diag) PS_WUR;

/* Sequences what is pending (the window's late records, then the new ones) without the log
 * key: entries, hashes and tlog_state, no checkpoint (the next round of a process with the key
 * signs one). For commands that record a change when no integrator may be running (`init`,
 * `log witnesses`), so that nothing recorded waits unsequenced for the next `serve`.
 * *appended (may be NULL) gets the count. Errors: the round's. */
enum ps_err ps_tlog_sequence_pending(struct ps_store *store, size_t *appended,
                                     struct ps_diag *diag) PS_WUR;

/* ---- what `serve` needs in one call ---- */

struct ps_master_key;

/* The log as a running service: the opened tlog-signing key as a note signer, its verifier
 * key text (for /.well-known/pocketstate/log-key) and the integrator thread. */
struct ps_tlog_service;

/* Opens the active tlog-signing key under master (keystore/keystore.h), makes the signer named
 * origin (NULL: PS_TLOG_DEFAULT_ORIGIN), runs one synchronous round (so that a checkpoint
 * exists before the first request) and starts the integrator. store must outlive it.
 * Errors: PS_ERR_NOTFOUND (no log key: run `pocketstate init`), PS_ERR_CRYPTO (wrong master
 * key), store errors. Caller stops with ps_tlog_service_stop (before ps_store_free). */
enum ps_err ps_tlog_service_start(struct ps_store *store, const struct ps_master_key *master,
                                  const char *origin, struct ps_tlog_service **out,
                                  struct ps_diag *diag) PS_WUR;
/* The verifier key text, NUL-terminated, borrowed from svc. */
const char *ps_tlog_service_vkey(const struct ps_tlog_service *svc);
struct ps_tlog_integrator *ps_tlog_service_integrator(struct ps_tlog_service *svc);
/* Stops the integrator (after a last round), wipes the key. NULL: no-op. */
void ps_tlog_service_stop(struct ps_tlog_service *svc);

#endif
