/* The definition loader (svc.h): YAML into the model, every value checked against the format
 * (docs/formats/service.schema.json), every expression compiled and type-checked, every error
 * located as "file:line:column: message". The walk is one function per part of the format;
 * the workflow's graph is checked last (names resolve, every step is reachable, no cycles,
 * every path ends in an outcome). Tests (`tests:`) are read by def_tests.c. */
#include "engine/def_int.h"

#include <math.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "engine/writes.h"

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

static enum ps_err number_of(struct ps_ld *ld, const struct ps_yv *v, const char *key,
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

/* ---- the form ---- */

static const char *const ftypes[] = {
    [PS_SVC_TEXT] = "text",     [PS_SVC_NUMBER] = "number", [PS_SVC_DATE] = "date",
    [PS_SVC_ENUM] = "enum",     [PS_SVC_BOOLEAN] = "boolean", [PS_SVC_ADDRESS] = "address",
    [PS_SVC_KVED] = "kved",     [PS_SVC_LIST] = "list",     [PS_SVC_PERSON] = "person",
    [PS_SVC_SLOT] = "slot",
};

const char *ps_svc_ftype_name(enum ps_svc_ftype t)
{
    return (size_t)t < sizeof ftypes / sizeof ftypes[0] ? ftypes[t] : "";
}

static enum ps_err options(struct ps_ld *ld, const struct ps_yv *fmap, struct ps_svc_field *f)
{
    static const char *const keys[] = {"value", "label", NULL};
    const struct ps_yv *seq;
    enum ps_err e = ps_ld_seq(ld, fmap, "options", PS_SVC_MAX_OPTIONS, &seq);
    if (e != PS_OK)
        return e;
    if ((f->type == PS_SVC_ENUM) != (seq != NULL && seq->n > 0))
        return ps_ld_fail(ld, seq ? seq : fmap,
                          f->type == PS_SVC_ENUM ? "an enum field needs options"
                                                 : "only an enum field has options");
    if (!seq)
        return PS_OK;
    f->options = ps_arena_array(ld->s->arena, seq->n, sizeof *f->options);
    if (!f->options)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        e = ps_ld_keys(ld, seq->vals[i], "an option", keys);
        if (e == PS_OK)
            e = ps_ld_text(ld, seq->vals[i], "value", true, PS_SVC_NAME_MAX,
                           &f->options[i].value);
        if (e == PS_OK)
            e = ps_ld_i18n(ld, seq->vals[i], "label", true, &f->options[i].label);
        for (size_t j = 0; e == PS_OK && j < i; j++)
            if (strcmp(f->options[j].value, f->options[i].value) == 0)
                return ps_ld_fail(ld, seq->vals[i], "option \"%s\" twice",
                                  f->options[i].value);
        if (e != PS_OK)
            return e;
    }
    f->noptions = seq->n;
    return PS_OK;
}

static enum ps_err field_type(struct ps_ld *ld, const struct ps_yv *fmap, struct ps_svc_field *f)
{
    const char *t = NULL;
    enum ps_err e = ps_ld_text(ld, fmap, "type", true, 16, &t);
    if (e != PS_OK)
        return e;
    for (size_t i = 0; i < sizeof ftypes / sizeof ftypes[0]; i++) {
        if (strcmp(t, ftypes[i]) == 0) {
            f->type = (enum ps_svc_ftype)i;
            return PS_OK;
        }
    }
    return ps_ld_fail(ld, ps_yaml_get(fmap, "type"),
                      "unknown field type \"%s\" (text, number, date, enum, boolean, address, "
                      "kved, list, person, slot)",
                      t);
}

static enum ps_err bounds(struct ps_ld *ld, const struct ps_yv *fmap, struct ps_svc_field *f)
{
    const struct ps_yv *lo = ps_yaml_get(fmap, "min"), *hi = ps_yaml_get(fmap, "max");
    uint64_t u = 0;
    enum ps_err e = PS_OK;
    if ((lo || hi) && f->type != PS_SVC_NUMBER)
        return ps_ld_fail(ld, lo ? lo : hi, "only a number field has min and max");
    if (lo && (e = number_of(ld, lo, "min", &f->min)) == PS_OK)
        f->has_min = true;
    if (e == PS_OK && hi && (e = number_of(ld, hi, "max", &f->max)) == PS_OK)
        f->has_max = true;
    f->max_len = 500;
    if (e == PS_OK)
        e = ps_ld_uint(ld, fmap, "max_length", false, 1, 10000, &u);
    if (e == PS_OK && u)
        f->max_len = (uint32_t)u;
    u = 0;
    f->max_items = 10;
    if (e == PS_OK)
        e = ps_ld_uint(ld, fmap, "max_items", false, 1, PS_SVC_MAX_ITEMS, &u);
    if (e == PS_OK && u)
        f->max_items = (uint32_t)u;
    return e;
}

enum ps_err ps_ld_fields(struct ps_ld *ld, const struct ps_yv *seq, unsigned depth,
                         struct ps_svc_field **out, size_t *n);

static enum ps_err field(struct ps_ld *ld, const struct ps_yv *fmap, unsigned depth,
                         struct ps_svc_field *f)
{
    static const char *const keys[] = {"name",  "type",    "label",     "hint",  "page",
                                       "required", "max_length", "min",  "max",   "options",
                                       "items", "max_items", "prefill", "rules", NULL};
    enum ps_err e = ps_ld_keys(ld, fmap, "a field", keys);
    if (e == PS_OK)
        e = ps_ld_name(ld, fmap, "name", true, &f->name);
    if (e == PS_OK)
        e = field_type(ld, fmap, f);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, fmap, "label", true, &f->label);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, fmap, "hint", false, &f->hint);
    if (e == PS_OK)
        e = ps_ld_name(ld, fmap, "page", false, &f->page);
    if (e == PS_OK)
        e = ps_ld_bool(ld, fmap, "required", true, &f->required);
    if (e == PS_OK)
        e = bounds(ld, fmap, f);
    if (e == PS_OK)
        e = options(ld, fmap, f);
    if (e == PS_OK)
        e = ps_ld_expr(ld, fmap, "prefill", false, NULL, &f->prefill);
    if (e == PS_OK)
        e = ps_ld_rules(ld, fmap, "rules", &f->rules, &f->nrules);
    if (e != PS_OK)
        return e;
    const struct ps_yv *items = ps_yaml_get(fmap, "items");
    if ((f->type == PS_SVC_LIST) != (items != NULL))
        return ps_ld_fail(ld, items ? items : fmap,
                          f->type == PS_SVC_LIST ? "a list field needs items"
                                                 : "only a list field has items");
    if (items && depth > 0)
        return ps_ld_fail(ld, items, "a list's items cannot hold lists");
    return items ? ps_ld_fields(ld, items, depth + 1, &f->items, &f->nitems) : PS_OK;
}

enum ps_err ps_ld_fields(struct ps_ld *ld, const struct ps_yv *seq, unsigned depth,
                         struct ps_svc_field **out, size_t *n)
{
    if (seq->kind != PS_Y_SEQ || seq->n == 0)
        return ps_ld_fail(ld, seq, "fields must be a non-empty list");
    if (seq->n > PS_SVC_MAX_FIELDS)
        return ps_ld_fail(ld, seq, "more than %d fields", PS_SVC_MAX_FIELDS);
    *out = ps_arena_array(ld->s->arena, seq->n, sizeof **out);
    if (!*out)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        enum ps_err e = field(ld, seq->vals[i], depth, &(*out)[i]);
        for (size_t j = 0; e == PS_OK && j < i; j++)
            if (strcmp((*out)[j].name, (*out)[i].name) == 0)
                return ps_ld_fail(ld, seq->vals[i], "field \"%s\" twice", (*out)[i].name);
        if (e != PS_OK)
            return e;
    }
    *n = seq->n;
    return PS_OK;
}

static enum ps_err form(struct ps_ld *ld, const struct ps_yv *root)
{
    static const char *const keys[] = {"fields", "rules", NULL};
    const struct ps_yv *f = ps_yaml_get(root, "form");
    if (!f)
        return ps_ld_fail(ld, root, "a definition needs \"form\"");
    enum ps_err e = ps_ld_keys(ld, f, "form", keys);
    const struct ps_yv *fields = ps_yaml_get(f, "fields");
    if (e == PS_OK && !fields)
        return ps_ld_fail(ld, f, "form needs \"fields\"");
    if (e == PS_OK)
        e = ps_ld_fields(ld, fields, 0, &ld->s->fields, &ld->s->nfields);
    if (e == PS_OK)
        e = ps_ld_rules(ld, f, "rules", &ld->s->validate, &ld->s->nvalidate);
    return e;
}

/* ---- the definition ---- */

static enum ps_err metadata(struct ps_ld *ld, const struct ps_yv *root)
{
    struct ps_svc *s = ld->s;
    uint64_t format = 0, version = 0;
    enum ps_err e = ps_ld_uint(ld, root, "format", true, 1, 1000, &format);
    if (e == PS_OK && format != PS_SVC_FORMAT)
        return ps_ld_fail(ld, ps_yaml_get(root, "format"), "format %llu is not known (1 is)",
                          (unsigned long long)format);
    if (e == PS_OK)
        e = ps_ld_name(ld, root, "id", true, &s->id);
    if (e == PS_OK)
        e = ps_ld_uint(ld, root, "version", true, 1, 1000000, &version);
    s->version = (uint32_t)version;
    if (e == PS_OK)
        e = ps_ld_name(ld, root, "agency", true, &s->agency);
    if (e == PS_OK)
        e = ps_ld_name(ld, root, "category", true, &s->category);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, root, "title", true, &s->title);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, root, "description", true, &s->description);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, root, "legal_basis", true, &s->legal_basis);
    if (e == PS_OK)
        e = ps_ld_rules(ld, root, "eligibility", &s->eligibility, &s->neligibility);
    return e;
}

static enum ps_err walk(struct ps_ld *ld, const struct ps_yv *root)
{
    static const char *const keys[] = {"format", "id",          "version",     "agency",
                                       "category", "title",     "description", "legal_basis",
                                       "eligibility", "form",   "workflow",    "tests", NULL};
    enum ps_err e = ps_ld_keys(ld, root, "a definition", keys);
    if (e == PS_OK)
        e = metadata(ld, root);
    if (e == PS_OK)
        e = form(ld, root);
    if (e == PS_OK)
        e = ps_ld_workflow(ld, root);
    if (e == PS_OK)
        e = ps_ld_tests(ld, root);
    return e;
}

enum ps_err ps_svc_load(const struct ps_engine_env *env, const char *text, size_t len,
                        const char *file, struct ps_svc **out, struct ps_diag *diag)
{
    *out = NULL;
    struct ps_svc *s = ps_calloc(1, sizeof *s);
    if (!s || !(s->arena = ps_arena_new(32u << 20))) {
        ps_free(s);
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    s->file = ps_arena_strndup(s->arena, file, strlen(file));
    s->source = ps_arena_strndup(s->arena, text, len);
    s->source_len = len;
    struct ps_ld ld = {.env = env, .s = s, .file = s->file, .diag = diag, .text = s->source,
                       .len = len};
    const struct ps_yv *root = NULL;
    enum ps_err e = s->file && s->source ? PS_OK : ps_ld_oom(&ld);
    if (e == PS_OK)
        e = ps_yaml_parse(s->source, len, s->file, s->arena, &root, diag);
    if (e == PS_OK)
        e = walk(&ld, root);
    if (e != PS_OK) {
        ps_svc_free(s);
        return e;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, len);
    sodium_bin2hex(s->sha256, sizeof s->sha256, h, sizeof h);
    *out = s;
    return PS_OK;
}

enum ps_err ps_svc_load_file(const struct ps_engine_env *env, const char *path,
                             struct ps_svc **out, struct ps_diag *diag)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ps_diag_set(diag, PS_ERR_IO, "%s: cannot open", path);
    size_t cap = PS_YAML_MAX_BYTES + 1;
    char *buf = ps_malloc(cap);
    size_t len = buf ? fread(buf, 1, cap, f) : 0;
    bool bad = buf && ferror(f);
    fclose(f);
    enum ps_err e;
    if (!buf)
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    else if (bad)
        e = ps_diag_set(diag, PS_ERR_IO, "%s: read error", path);
    else if (len == cap)
        e = ps_diag_set(diag, PS_ERR_LIMIT, "%s: larger than %u bytes", path,
                        PS_YAML_MAX_BYTES);
    else
        e = ps_svc_load(env, buf, len, path, out, diag);
    ps_free(buf);
    return e;
}

void ps_svc_free(struct ps_svc *s)
{
    if (!s)
        return;
    ps_svc_tests_free(s);
    for (size_t i = 0; i < s->nprogs_; i++)
        ps_cel_program_free(s->progs_[i]);
    ps_free(s->progs_);
    ps_arena_free(s->arena);
    ps_free(s);
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
