/* Limited JSON parsing on jansson. */
#include "core/json.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

size_t ps_json_depth(struct ps_str text, size_t limit)
{
    size_t depth = 0, max = 0;
    int in_str = 0, esc = 0;
    for (size_t i = 0; i < text.len; i++) {
        char c = text.p[i];
        if (in_str) {
            if (esc)
                esc = 0;
            else if (c == '\\')
                esc = 1;
            else if (c == '"')
                in_str = 0;
            continue;
        }
        if (c == '"') {
            in_str = 1;
        } else if (c == '[' || c == '{') {
            if (++depth > max) {
                max = depth;
                if (max > limit)
                    return max;
            }
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return max;
}

static void decref(void *v)
{
    json_decref(v);
}

enum ps_err ps_json_parse(struct ps_arena *arena, struct ps_str text, size_t max_bytes,
                          size_t max_depth, json_t **out, struct ps_diag *diag)
{
    *out = NULL;
    if (text.len > max_bytes)
        return ps_diag_set(diag, PS_ERR_LIMIT, "JSON body of %zu bytes exceeds %zu", text.len,
                           max_bytes);
    /* jansson stops at a NUL after a complete value; a body with one is malformed anyway */
    const char *nul = text.len ? memchr(text.p, '\0', text.len) : NULL;
    if (nul)
        return ps_diag_set(diag, PS_ERR_INVALID, "malformed JSON: NUL byte at offset %zu",
                           (size_t)(nul - text.p));
    if (ps_json_depth(text, max_depth) > max_depth)
        return ps_diag_set(diag, PS_ERR_LIMIT, "JSON nesting deeper than %zu", max_depth);
    json_error_t jerr;
    json_t *v = json_loadb(text.p ? text.p : "", text.len, JSON_REJECT_DUPLICATES, &jerr);
    if (!v)
        return ps_diag_set(diag, PS_ERR_INVALID, "malformed JSON at line %d column %d: %s",
                           jerr.line, jerr.column, jerr.text);
    if (ps_arena_defer(arena, decref, v) != PS_OK) {
        json_decref(v);
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    *out = v;
    return PS_OK;
}

char *ps_json_dump(struct ps_arena *arena, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s)
        return NULL;
    char *copy = ps_arena_strndup(arena, s, strlen(s));
    ps_free(s); /* jansson allocates through ps_malloc once routed (core/alloc.h) */
    return copy;
}

struct ps_str ps_json_get_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return PS_STR_NULL;
    return (struct ps_str){json_string_value(v), json_string_length(v)};
}
