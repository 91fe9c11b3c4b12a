/* A YAML document as a small tree in an arena, every node with its place in the file: what the
 * definition loader walks (def.c). libfyaml parses (syntax, duplicate keys); this reads its
 * document into the tree under limits and refuses what service definitions do not use
 * (aliases, anchors' merge keys, tags, non-string keys). Private to src/engine. */
#ifndef PS_ENGINE_YAML_H
#define PS_ENGINE_YAML_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

#define PS_YAML_MAX_BYTES (1u << 20) /* a definition file */
#define PS_YAML_MAX_DEPTH 24
#define PS_YAML_MAX_NODES 50000

enum ps_yk { PS_Y_SCALAR, PS_Y_MAP, PS_Y_SEQ };
/* How a scalar was written (for placing errors inside it). */
enum ps_ystyle { PS_YS_PLAIN, PS_YS_QUOTED, PS_YS_BLOCK };

struct ps_yv {
    enum ps_yk kind;
    enum ps_ystyle style;
    uint32_t line, col; /* 1-based; a scalar's first character (its quote when quoted) */
    struct ps_str s;    /* scalars: the value (NUL-terminated in the arena) */
    size_t n;           /* maps: entries; sequences: items */
    struct ps_str *keys;
    const struct ps_yv **key_nodes; /* maps: the keys as nodes, for their place */
    const struct ps_yv **vals;
};

/* Parses text (len bytes, at most PS_YAML_MAX_BYTES) into *out (owned by arena). file names
 * the input in messages. Errors: PS_ERR_INVALID "file:line:col: message" (syntax, an alias, a
 * tag, a non-scalar key, an empty document), PS_ERR_LIMIT (size, depth, node count),
 * PS_ERR_NOMEM. */
enum ps_err ps_yaml_parse(const char *text, size_t len, const char *file, struct ps_arena *arena,
                          const struct ps_yv **out, struct ps_diag *diag) PS_WUR;

/* The value of key in map (NULL when absent or map is not a map). */
const struct ps_yv *ps_yaml_get(const struct ps_yv *map, const char *key);

#endif
