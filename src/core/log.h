/* Structured logging: one JSON object per line on stderr (or a file, reopened on SIGHUP).
 * Secrets are never passed here (ARCHITECTURE.md rule 8). Thread-safe: each line is one
 * write(2). */
#ifndef PS_CORE_LOG_H
#define PS_CORE_LOG_H

#include "core/err.h"
#include "core/str.h"

enum ps_log_level { PS_LOG_DEBUG, PS_LOG_INFO, PS_LOG_WARN, PS_LOG_ERROR };

/* Lines below level are dropped. Default PS_LOG_INFO. */
void ps_log_set_level(enum ps_log_level level);
/* Log to path (appending) instead of stderr; NULL returns to stderr. Reopens the same path
 * when called again (log rotation on SIGHUP). */
enum ps_err ps_log_open(const char *path) PS_WUR;
enum ps_err ps_log_reopen(void) PS_WUR;
/* {"time":..., "level":..., "msg": <formatted message>} */
void ps_log(enum ps_log_level level, const char *fmt, ...) PS_PRINTF(2, 3);
/* Writes a prepared JSON object (without trailing newline) as one line. */
void ps_log_json(struct ps_str json_object);

#endif
