/* Private to the test tools: key-file I/O and base64url members of JSON objects. */
#ifndef PS_TESTS_TOOLS_INT_H
#define PS_TESTS_TOOLS_INT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define TOOLS_FILE_MAX 65536

/* Reads the whole file (at most TOOLS_FILE_MAX bytes, not accessible to group or others) as
 * JSON. Caller json_decref()s. */
enum ps_err tools_read_json(const char *path, json_t **out, struct ps_diag *diag);
/* Writes j to path through a temporary file (mode 0600, fsynced, renamed over path). */
enum ps_err tools_write_json(const char *path, const json_t *j, struct ps_diag *diag);
/* Decodes the base64url string member key of obj into out, exactly n bytes (or, when n is 0,
 * up to cap bytes with *len set). */
enum ps_err tools_b64_member(const json_t *obj, const char *key, uint8_t *out, size_t n,
                             size_t cap, size_t *len, struct ps_diag *diag);
/* A new JSON string of the base64url of p (n bytes); NULL when out of memory. */
json_t *tools_b64_json(const void *p, size_t n);

#endif
