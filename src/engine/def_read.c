/* The definition loader's primitives (def_int.h): located errors, and reading one value of
 * each kind (keys, texts, names, numbers, booleans, texts in both languages, lists,
 * expressions compiled and placed in the file, rules), plus the look-ups by name every part
 * of the loader and the engine uses. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "engine/def_int.h"

/* ---- errors ---- */

enum ps_err ps_ld_fail(struct ps_ld *ld, const struct ps_yv *at, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    return ps_diag_set(ld->diag, PS_ERR_INVALID, "%s:%u:%u: %s", ld->file, at ? at->line : 1,
                       at ? at->col : 1, msg);
}

enum ps_err ps_ld_oom(struct ps_ld *ld)
{
    return ps_diag_set(ld->diag, PS_ERR_NOMEM, "%s: out of memory", ld->file);
}

/* ---- shapes and scalars ---- */

enum ps_err ps_ld_keys(struct ps_ld *ld, const struct ps_yv *map, const char *what,
                       const char *const *allowed)
{
    if (!map || map->kind != PS_Y_MAP)
        return ps_ld_fail(ld, map, "%s must be a mapping", what);
    for (size_t i = 0; i < map->n; i++) {
        bool ok = false;
        for (size_t j = 0; allowed[j] && !ok; j++)
            ok = ps_str_eq_cstr(map->keys[i], allowed[j]);
        if (!ok)
            return ps_ld_fail(ld, map->key_nodes[i], "%s: unknown key \"%.*s\"", what,
                              PS_STR_FMT(map->keys[i]));
    }
    return PS_OK;
}

/* The value of key, or a located error when required and absent. */
static enum ps_err need(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                        bool required, const char *what, const struct ps_yv **out)
{
    *out = ps_yaml_get(map, key);
    if (!*out && required)
        return ps_ld_fail(ld, map, "%s needs \"%s\"", what, key);
    return PS_OK;
}

enum ps_err ps_ld_text(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, size_t max, const char **out)
{
    const struct ps_yv *v;
    *out = NULL;
    enum ps_err e = need(ld, map, key, required, "this", &v);
    if (e != PS_OK || !v)
        return e;
    if (v->kind != PS_Y_SCALAR)
        return ps_ld_fail(ld, v, "\"%s\" must be text", key);
    if (v->s.len == 0 || v->s.len > max)
        return ps_ld_fail(ld, v, "\"%s\" must be 1 to %zu bytes", key, max);
    for (size_t i = 0; i < v->s.len; i++)
        if ((unsigned char)v->s.p[i] < 0x20 && v->s.p[i] != '\n')
            return ps_ld_fail(ld, v, "\"%s\" contains a control character", key);
    *out = v->s.p;
    return PS_OK;
}

enum ps_err ps_ld_name(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, const char **out)
{
    enum ps_err e = ps_ld_text(ld, map, key, required, PS_SVC_NAME_MAX, out);
    for (const char *c = *out; e == PS_OK && c && *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                  (c != *out && (*c == '_' || *c == '-' || *c == '.'));
        if (!ok)
            return ps_ld_fail(ld, ps_yaml_get(map, key),
                              "\"%s\" may hold a-z, 0-9 and _ - . (not first)", key);
    }
    return e;
}

static enum ps_err uint_of(struct ps_ld *ld, const struct ps_yv *v, const char *key,
                           uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (v->kind != PS_Y_SCALAR || v->style != PS_YS_PLAIN ||
        ps_str_to_u64(v->s, out) != PS_OK || *out < lo || *out > hi)
        return ps_ld_fail(ld, v, "\"%s\" must be a whole number from %llu to %llu", key,
                          (unsigned long long)lo, (unsigned long long)hi);
    return PS_OK;
}

enum ps_err ps_ld_uint(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, uint64_t lo, uint64_t hi, uint64_t *out)
{
    const struct ps_yv *v;
    enum ps_err e = need(ld, map, key, required, "this", &v);
    if (e != PS_OK || !v)
        return e;
    return uint_of(ld, v, key, lo, hi, out);
}

enum ps_err ps_ld_bool(struct ps_ld *ld, const struct ps_yv *map, const char *key, bool dflt,
                       bool *out)
{
    const struct ps_yv *v = ps_yaml_get(map, key);
    *out = dflt;
    if (!v)
        return PS_OK;
    if (v->kind == PS_Y_SCALAR && v->style == PS_YS_PLAIN && ps_str_eq_cstr(v->s, "true"))
        *out = true;
    else if (v->kind == PS_Y_SCALAR && v->style == PS_YS_PLAIN && ps_str_eq_cstr(v->s, "false"))
        *out = false;
    else
        return ps_ld_fail(ld, v, "\"%s\" must be true or false", key);
    return PS_OK;
}

enum ps_err ps_ld_number(struct ps_ld *ld, const struct ps_yv *v, const char *key,
                         double *out)
{
    char buf[64], *end = NULL;
    if (v->kind != PS_Y_SCALAR || v->s.len == 0 || v->s.len >= sizeof buf)
        return ps_ld_fail(ld, v, "\"%s\" must be a number", key);
    memcpy(buf, v->s.p, v->s.len);
    buf[v->s.len] = '\0';
    *out = strtod(buf, &end);
    if (*end || !isfinite(*out))
        return ps_ld_fail(ld, v, "\"%s\" must be a number", key);
    return PS_OK;
}

/* {uk: ..., en: ...}, both required. */
enum ps_err ps_ld_i18n(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, struct ps_svc_text *out)
{
    static const char *const keys[] = {"uk", "en", NULL};
    const struct ps_yv *v;
    memset(out, 0, sizeof *out);
    enum ps_err e = need(ld, map, key, required, "this", &v);
    if (e != PS_OK || !v)
        return e;
    e = ps_ld_keys(ld, v, key, keys);
    if (e == PS_OK)
        e = ps_ld_text(ld, v, "uk", true, PS_SVC_TEXT_MAX, &out->uk);
    if (e == PS_OK)
        e = ps_ld_text(ld, v, "en", true, PS_SVC_TEXT_MAX, &out->en);
    return e;
}

/* ---- expressions ---- */

/* The file place of the character the CEL diagnostic names inside scalar v. */
static void cel_place(struct ps_ld *ld, const struct ps_yv *v, const struct ps_cel_diag *cd,
                      uint32_t *line, uint32_t *col)
{
    uint32_t cl = cd->line ? cd->line : 1, cc = cd->column ? cd->column : 1;
    if (v->style != PS_YS_BLOCK) {
        *line = v->line + cl - 1;
        *col = cl == 1 ? v->col + (v->style == PS_YS_QUOTED) + cc - 1 : cc;
        return;
    }
    /* a block scalar: its content starts on the next line, indented */
    *line = v->line + cl;
    size_t at = 0;
    for (uint32_t l = 1; l < *line && at < ld->len; at++)
        if (ld->text[at] == '\n')
            l++;
    uint32_t indent = 0;
    while (at + indent < ld->len && ld->text[at + indent] == ' ')
        indent++;
    *col = indent + cc;
}

enum ps_err ps_ld_track(struct ps_ld *ld, struct ps_cel_program *p)
{
    struct ps_svc *s = ld->s;
    if (s->nprogs_ == s->capprogs_) {
        size_t cap = s->capprogs_ ? s->capprogs_ * 2 : 32;
        struct ps_cel_program **n = ps_realloc(s->progs_, cap * sizeof *n);
        if (!n) {
            ps_cel_program_free(p);
            return ps_ld_oom(ld);
        }
        s->progs_ = n;
        s->capprogs_ = cap;
    }
    s->progs_[s->nprogs_++] = p;
    return PS_OK;
}

/* Compiles v's text; want "bool", "string", "list" or NULL (any type). dyn passes every want
 * (checked at run time). */
enum ps_err ps_ld_expr_node(struct ps_ld *ld, const struct ps_yv *v, const char *key,
                            const char *want, struct ps_svc_expr *out)
{
    if (v->kind != PS_Y_SCALAR || v->s.len == 0)
        return ps_ld_fail(ld, v, "\"%s\" must be an expression", key);
    struct ps_cel_program *p = NULL;
    struct ps_cel_diag cd = {0};
    if (ps_cel_compile(ps_engine_cel(ld->env), v->s, 0, &p, &cd) != PS_OK) {
        uint32_t line, col;
        cel_place(ld, v, &cd, &line, &col);
        return ps_diag_set(ld->diag, PS_ERR_INVALID, "%s:%u:%u: %s: %s", ld->file, line, col,
                           key, cd.message);
    }
    enum ps_err e = ps_ld_track(ld, p);
    if (e != PS_OK)
        return e;
    char *t = ps_cel_type_format(ld->s->arena, ps_cel_program_type(p));
    if (!t)
        return ps_ld_oom(ld);
    bool ok = !want || strcmp(t, "dyn") == 0 || strcmp(t, want) == 0 ||
              (strcmp(want, "list") == 0 && strncmp(t, "list(", 5) == 0);
    if (!ok)
        return ps_ld_fail(ld, v, "%s: the expression is %s, not %s", key, t, want);
    out->prog = p;
    out->src = v->s.p;
    out->line = v->line;
    out->col = v->col;
    return PS_OK;
}

enum ps_err ps_ld_expr(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, const char *want, struct ps_svc_expr *out)
{
    const struct ps_yv *v;
    memset(out, 0, sizeof *out);
    enum ps_err e = need(ld, map, key, required, "this", &v);
    if (e != PS_OK || !v)
        return e;
    return ps_ld_expr_node(ld, v, key, want, out);
}

/* A sequence of at most max items under key (absent: none); *out the node. */
enum ps_err ps_ld_seq(struct ps_ld *ld, const struct ps_yv *map, const char *key, size_t max,
                      const struct ps_yv **out)
{
    *out = ps_yaml_get(map, key);
    if (!*out)
        return PS_OK;
    if ((*out)->kind != PS_Y_SEQ)
        return ps_ld_fail(ld, *out, "\"%s\" must be a list", key);
    if ((*out)->n > max)
        return ps_ld_fail(ld, *out, "\"%s\" has more than %zu items", key, max);
    return PS_OK;
}

/* rules: [{rule: EXPR, message: {uk, en}}] */
enum ps_err ps_ld_rules(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                        struct ps_svc_rule **out, size_t *n)
{
    static const char *const keys[] = {"rule", "message", NULL};
    const struct ps_yv *seq;
    *out = NULL;
    *n = 0;
    enum ps_err e = ps_ld_seq(ld, map, key, PS_SVC_MAX_RULES, &seq);
    if (e != PS_OK || !seq)
        return e;
    *out = ps_arena_array(ld->s->arena, seq->n + 1, sizeof **out);
    if (!*out)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        const struct ps_yv *r = seq->vals[i];
        e = ps_ld_keys(ld, r, "a rule", keys);
        if (e == PS_OK)
            e = ps_ld_expr(ld, r, "rule", true, "bool", &(*out)[i].expr);
        if (e == PS_OK)
            e = ps_ld_i18n(ld, r, "message", true, &(*out)[i].message);
        if (e != PS_OK)
            return e;
    }
    *n = seq->n;
    return PS_OK;
}

const struct ps_svc_field *ps_svc_field(const struct ps_svc *s, const char *name)
{
    for (size_t i = 0; i < s->nfields; i++)
        if (strcmp(s->fields[i].name, name) == 0)
            return &s->fields[i];
    return NULL;
}

int ps_svc_step_index(const struct ps_svc *s, struct ps_str name)
{
    for (size_t i = 0; i < s->nsteps; i++)
        if (ps_str_eq_cstr(name, s->steps[i].name))
            return (int)i;
    return -1;
}

const char *ps_svc_text_in(struct ps_svc_text t, const char *lang)
{
    if (lang && strcmp(lang, "en") == 0 && t.en)
        return t.en;
    return t.uk ? t.uk : "";
}
