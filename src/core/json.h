/* JSON decoding with limits, on jansson. Every body the server accepts comes through here:
 * size and nesting depth are checked before jansson sees the bytes. */
#ifndef PS_CORE_JSON_H
#define PS_CORE_JSON_H

#include <jansson.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

#define PS_JSON_MAX_DEPTH_DEFAULT 32

/* Parses text (max_bytes and max_depth enforced; NUL bytes, trailing data, duplicate keys
 * and invalid UTF-8 are rejected) into *out. On success *out is owned by the arena (released
 * when it is freed). Errors: PS_ERR_LIMIT (too large/deep), PS_ERR_INVALID (malformed, with
 * line and column in diag). */
enum ps_err ps_json_parse(struct ps_arena *arena, struct ps_str text, size_t max_bytes,
                          size_t max_depth, json_t **out, struct ps_diag *diag) PS_WUR;
/* Depth of nesting of arrays/objects in text, skipping strings; stops counting at limit+1. */
size_t ps_json_depth(struct ps_str text, size_t limit);
/* Serializes v compactly into a string owned by the arena (NULL on failure). */
char *ps_json_dump(struct ps_arena *arena, const json_t *v);
/* Borrowed string member of an object: PS_STR_NULL (p == NULL) when absent or not a string. */
struct ps_str ps_json_get_str(const json_t *obj, const char *key);

#endif
