/* Structured logging: one JSON object per line, handed to the one installed sink: the built-in
 * one writes to stderr (or a file, reopened on SIGHUP) with one write(2) per line; an embedder
 * or a test installs its own with ps_log_set_sink (docs/internals/core.md, "Hooks"). Secrets
 * are never passed here (ARCHITECTURE.md rule 8). Thread-safe. */
#ifndef PS_CORE_LOG_H
#define PS_CORE_LOG_H

#include "core/err.h"
#include "core/str.h"

enum ps_log_level { PS_LOG_DEBUG, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR };

/* Lines below level are dropped (before formatting, whatever the sink). Default PS_LOG_INFO. */
void ps_log_set_level(enum ps_log_level level);

/* A log sink. write gets one complete line: a JSON object and '\n', len bytes, borrowed for
 * the call; it may be called from any thread at once and should not block for long (request
 * threads log). ctx is passed back untouched. */
struct ps_log_sink {
    void (*write)(void *ctx, enum ps_log_level level, const char *line, size_t len);
    void *ctx;
};
/* Installs sink (NULL: the built-in one, the default) and returns the one it replaces (NULL
 * when it was the built-in one). sink is borrowed: it must stay valid until replaced. */
const struct ps_log_sink *ps_log_set_sink(const struct ps_log_sink *sink);

/* The built-in sink's destination: path (appending) instead of stderr; NULL returns to stderr.
 * Reopens the same path when called again (log rotation on SIGHUP). No effect on an installed
 * sink other than the built-in one. */
enum ps_err ps_log_open(const char *path) PS_WUR;
enum ps_err ps_log_reopen(void) PS_WUR;
/* {"time":..., "level":..., "msg": <formatted message>} */
void ps_log(enum ps_log_level level, const char *fmt, ...) PS_PRINTF(2, 3);
/* Writes a prepared JSON object (without trailing newline) as one line. */
void ps_log_json(struct ps_str json_object);

#endif
