/* libfyaml's document, copied into an arena tree with places (yaml.h). The copy is a walk
 * bounded in depth and node count; libfyaml's own diagnostics are collected, not printed, and
 * the first becomes the located error. */
#include "engine/yaml.h"

#include <libfyaml.h>
#include <string.h>

#include "core/utf8.h"

struct conv {
    const char *file;
    struct ps_arena *arena;
    struct ps_diag *diag;
    size_t nodes;
};

static enum ps_err at(struct conv *c, uint32_t line, uint32_t col, enum ps_err code,
                      const char *msg)
{
    return ps_diag_set(c->diag, code, "%s:%u:%u: %s", c->file, line, col, msg);
}

/* Where n starts: a scalar's token; a collection's first scalar a few levels down (libfyaml
 * keeps no mark for collections); 0 when empty (the caller places it at its key). */
static void place(struct fy_node *n, struct ps_yv *v)
{
    for (int depth = 0; n && depth < 8; depth++) {
        void *it = NULL;
        if (fy_node_is_scalar(n)) {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
            v->line = m ? (uint32_t)m->line + 1 : 0;
            v->col = m ? (uint32_t)m->column + 1 : 0;
            return;
        }
        if (fy_node_is_mapping(n)) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            n = fy_node_is_sequence(n) ? fy_node_sequence_iterate(n, &it) : NULL;
        }
    }
}

static enum ps_err node(struct conv *c, struct fy_node *n, unsigned depth,
                        const struct ps_yv **out);

static enum ps_err scalar(struct conv *c, struct fy_node *n, struct ps_yv *v)
{
    size_t len = 0;
    const char *p = fy_node_get_scalar(n, &len);
    if (!p)
        return at(c, v->line, v->col, PS_ERR_INVALID, "unreadable scalar");
    enum fy_node_style st = fy_node_get_style(n);
    v->style = st == FYNS_LITERAL || st == FYNS_FOLDED           ? PS_YS_BLOCK
               : st == FYNS_SINGLE_QUOTED || st == FYNS_DOUBLE_QUOTED ? PS_YS_QUOTED
                                                               : PS_YS_PLAIN;
    v->s.p = ps_arena_strndup(c->arena, p, len);
    v->s.len = len;
    return v->s.p ? PS_OK : ps_diag_set(c->diag, PS_ERR_NOMEM, "%s: out of memory", c->file);
}

static enum ps_err mapping(struct conv *c, struct fy_node *n, unsigned depth, struct ps_yv *v)
{
    int count = fy_node_mapping_item_count(n);
    v->n = count > 0 ? (size_t)count : 0;
    v->keys = ps_arena_array(c->arena, v->n + 1, sizeof *v->keys);
    v->key_nodes = ps_arena_array(c->arena, v->n + 1, sizeof *v->key_nodes);
    v->vals = ps_arena_array(c->arena, v->n + 1, sizeof *v->vals);
    if (!v->keys || !v->key_nodes || !v->vals)
        return ps_diag_set(c->diag, PS_ERR_NOMEM, "%s: out of memory", c->file);
    void *it = NULL;
    for (size_t i = 0; i < v->n; i++) {
        struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
        struct fy_node *k = p ? fy_node_pair_key(p) : NULL;
        if (!k || !fy_node_is_scalar(k) || fy_node_is_alias(k))
            return at(c, v->line, v->col, PS_ERR_INVALID, "keys must be plain names");
        enum ps_err e = node(c, k, depth + 1, &v->key_nodes[i]);
        if (e == PS_OK)
            e = node(c, fy_node_pair_value(p), depth + 1, &v->vals[i]);
        if (e != PS_OK)
            return e;
        v->keys[i] = v->key_nodes[i]->s;
        if (v->vals[i]->line == 0) { /* empty: at its key */
            struct ps_yv *val = (struct ps_yv *)v->vals[i];
            val->line = v->key_nodes[i]->line;
            val->col = v->key_nodes[i]->col;
        }
    }
    return PS_OK;
}

static enum ps_err sequence(struct conv *c, struct fy_node *n, unsigned depth, struct ps_yv *v)
{
    int count = fy_node_sequence_item_count(n);
    v->n = count > 0 ? (size_t)count : 0;
    v->vals = ps_arena_array(c->arena, v->n + 1, sizeof *v->vals);
    if (!v->vals)
        return ps_diag_set(c->diag, PS_ERR_NOMEM, "%s: out of memory", c->file);
    void *it = NULL;
    for (size_t i = 0; i < v->n; i++) {
        enum ps_err e = node(c, fy_node_sequence_iterate(n, &it), depth + 1, &v->vals[i]);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

static enum ps_err node(struct conv *c, struct fy_node *n, unsigned depth,
                        const struct ps_yv **out)
{
    struct ps_yv *v = ps_arena_zalloc(c->arena, sizeof *v);
    if (!v)
        return ps_diag_set(c->diag, PS_ERR_NOMEM, "%s: out of memory", c->file);
    if (!n) { /* "key:" with nothing: an empty scalar */
        v->s = (struct ps_str){"", 0};
        *out = v;
        return PS_OK;
    }
    place(n, v);
    if (depth > PS_YAML_MAX_DEPTH)
        return at(c, v->line, v->col, PS_ERR_LIMIT, "nested too deeply");
    if (++c->nodes > PS_YAML_MAX_NODES)
        return at(c, v->line, v->col, PS_ERR_LIMIT, "too many nodes");
    if (fy_node_is_alias(n))
        return at(c, v->line, v->col, PS_ERR_INVALID, "aliases are not allowed");
    size_t tlen = 0;
    if (fy_node_get_tag(n, &tlen) && tlen > 0)
        return at(c, v->line, v->col, PS_ERR_INVALID, "tags are not allowed");
    *out = v;
    if (fy_node_is_mapping(n)) {
        v->kind = PS_Y_MAP;
        return mapping(c, n, depth, v);
    }
    if (fy_node_is_sequence(n)) {
        v->kind = PS_Y_SEQ;
        return sequence(c, n, depth, v);
    }
    v->kind = PS_Y_SCALAR;
    return scalar(c, n, v);
}

/* The first error libfyaml collected, located. */
static enum ps_err parse_error(struct conv *c, struct fy_diag *d)
{
    void *it = NULL;
    struct fy_diag_error *err = d ? fy_diag_errors_iterate(d, &it) : NULL;
    if (!err)
        return ps_diag_set(c->diag, PS_ERR_INVALID, "%s: not a YAML document", c->file);
    return ps_diag_set(c->diag, PS_ERR_INVALID, "%s:%d:%d: %s", c->file, err->line + 1,
                       err->column + 1, err->msg ? err->msg : "syntax error");
}

/* The whole text must be UTF-8: the first bad byte, located. */
static enum ps_err utf8_only(struct conv *c, const char *text, size_t len)
{
    struct ps_str s = {text, len};
    uint32_t line = 1, col = 1, cp;
    for (size_t i = 0; i < len;) {
        if (!ps_utf8_next(s, &i, &cp))
            return at(c, line, col, PS_ERR_INVALID, "not valid UTF-8");
        if (cp == '\n') {
            line++;
            col = 1;
        } else {
            col++;
        }
    }
    return PS_OK;
}

enum ps_err ps_yaml_parse(const char *text, size_t len, const char *file, struct ps_arena *arena,
                          const struct ps_yv **out, struct ps_diag *diag)
{
    struct conv c = {.file = file, .arena = arena, .diag = diag};
    *out = NULL;
    if (len > PS_YAML_MAX_BYTES)
        return ps_diag_set(diag, PS_ERR_LIMIT, "%s: larger than %u bytes", file,
                           PS_YAML_MAX_BYTES);
    if (memchr(text, '\0', len))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: contains a NUL byte", file);
    enum ps_err u = utf8_only(&c, text, len); /* libfyaml loops on some malformed input */
    if (u != PS_OK)
        return u;
    struct fy_diag_cfg dcfg;
    fy_diag_cfg_default(&dcfg);
    dcfg.fp = NULL;
    struct fy_diag *d = fy_diag_create(&dcfg);
    if (!d)
        return ps_diag_set(diag, PS_ERR_NOMEM, "%s: out of memory", file);
    fy_diag_set_collect_errors(d, true);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = d};
    struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
    enum ps_err e;
    if (!doc || fy_diag_got_error(d))
        e = parse_error(&c, d);
    else if (!fy_document_root(doc))
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s:1:1: the document is empty", file);
    else
        e = node(&c, fy_document_root(doc), 0, out);
    fy_document_destroy(doc);
    fy_diag_destroy(d);
    if (e != PS_OK)
        *out = NULL;
    return e;
}

const struct ps_yv *ps_yaml_get(const struct ps_yv *map, const char *key)
{
    for (size_t i = 0; map && map->kind == PS_Y_MAP && i < map->n; i++)
        if (ps_str_eq_cstr(map->keys[i], key))
            return map->vals[i];
    return NULL;
}
