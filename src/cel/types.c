/* CEL types: the checker's parameterised types (list(int), map(string, dyn), type
 * parameters), their text form in declarations ("(list(A), A) -> bool"), and the runtime
 * type values type() returns. */
#include <stdio.h>

#include "cel/cel_int.h"

const struct ps_cel_type cel_types[T_COUNT] = {
    [T_DYN] = {.kind = T_DYN},           [T_NULL] = {.kind = T_NULL},
    [T_BOOL] = {.kind = T_BOOL},         [T_INT] = {.kind = T_INT},
    [T_UINT] = {.kind = T_UINT},         [T_DOUBLE] = {.kind = T_DOUBLE},
    [T_STRING] = {.kind = T_STRING},     [T_BYTES] = {.kind = T_BYTES},
    [T_TIMESTAMP] = {.kind = T_TIMESTAMP}, [T_DURATION] = {.kind = T_DURATION},
    [T_LIST] = {.kind = T_LIST, .p0 = &cel_types[T_DYN]},
    [T_MAP] = {.kind = T_MAP, .p0 = &cel_types[T_DYN], .p1 = &cel_types[T_DYN]},
    [T_TYPE] = {.kind = T_TYPE},
    [T_OPTIONAL] = {.kind = T_OPTIONAL, .p0 = &cel_types[T_DYN]},
    [T_PARAM] = {.kind = T_PARAM},       [T_ERROR] = {.kind = T_ERROR},
};

static const struct {
    const char *name;
    uint8_t kind;
    uint8_t rt; /* runtime kind */
} names[] = {
    {"dyn", T_DYN, PS_CEL_UNSET},
    {"null_type", T_NULL, PS_CEL_NULL},
    {"bool", T_BOOL, PS_CEL_BOOL},
    {"int", T_INT, PS_CEL_INT},
    {"uint", T_UINT, PS_CEL_UINT},
    {"double", T_DOUBLE, PS_CEL_DOUBLE},
    {"string", T_STRING, PS_CEL_STRING},
    {"bytes", T_BYTES, PS_CEL_BYTES},
    {"google.protobuf.Timestamp", T_TIMESTAMP, PS_CEL_TIMESTAMP},
    {"google.protobuf.Duration", T_DURATION, PS_CEL_DURATION},
    {"list", T_LIST, PS_CEL_LIST},
    {"map", T_MAP, PS_CEL_MAP},
    {"type", T_TYPE, PS_CEL_TYPE},
    {"optional_type", T_OPTIONAL, PS_CEL_OPTIONAL},
    {"timestamp", T_TIMESTAMP, PS_CEL_TIMESTAMP}, /* aliases, accepted in declarations */
    {"duration", T_DURATION, PS_CEL_DURATION},
    {"optional", T_OPTIONAL, PS_CEL_OPTIONAL},
};
#define NNAMES (sizeof names / sizeof names[0])

uint8_t cel_type_runtime_kind(const struct ps_cel_type *t)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (names[i].kind == t->kind)
            return names[i].rt;
    return PS_CEL_UNSET;
}

const char *cel_type_name(const struct ps_cel_type *t)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (names[i].kind == t->kind)
            return names[i].name;
    return t->kind == T_PARAM && t->name ? t->name : "dyn";
}

const struct ps_cel_type *cel_type_of_kind(uint8_t kind)
{
    for (size_t i = 0; i < NNAMES; i++)
        if (names[i].rt == kind && kind != PS_CEL_UNSET)
            return CEL_T(names[i].kind);
    return CEL_T(T_DYN);
}

bool cel_type_equal(const struct ps_cel_type *a, const struct ps_cel_type *b)
{
    return a->kind == b->kind; /* runtime type values carry no parameters */
}

const struct ps_cel_type *cel_type_new(struct ps_arena *a, uint8_t kind,
                                       const struct ps_cel_type *p0,
                                       const struct ps_cel_type *p1)
{
    struct ps_cel_type *t = ps_arena_zalloc(a, sizeof *t);
    if (!t)
        return NULL;
    t->kind = kind;
    t->p0 = p0;
    t->p1 = p1;
    return t;
}

/* ---- text form ------------------------------------------------------------------------------ */

static void skip_ws(const char *s, size_t *pos)
{
    while (s[*pos] == ' ' || s[*pos] == '\t')
        (*pos)++;
}

static size_t word_len(const char *s)
{
    size_t n = 0;
    while ((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= 'A' && s[n] <= 'Z') ||
           (s[n] >= '0' && s[n] <= '9') || s[n] == '_' || s[n] == '.')
        n++;
    return n;
}

static bool is_param_name(const char *s, size_t n)
{
    if (n == 0 || s[0] < 'A' || s[0] > 'Z')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return false;
    return true;
}

static enum ps_err param_type(struct ps_arena *a, const char *w, size_t n, const char **pnames,
                              uint32_t *nparams, const struct ps_cel_type **out,
                              struct ps_cel_diag *diag)
{
    if (!pnames)
        return cel_diag_set(diag, PS_ERR_INVALID, "type parameter '%.*s' outside a function "
                                                  "signature", (int)n, w);
    for (uint32_t i = 0; i < *nparams; i++)
        if (strlen(pnames[i]) == n && memcmp(pnames[i], w, n) == 0) {
            struct ps_cel_type *t = ps_arena_zalloc(a, sizeof *t);
            if (!t)
                return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
            *t = (struct ps_cel_type){.kind = T_PARAM, .local = 1, .id = i, .name = pnames[i]};
            *out = t;
            return PS_OK;
        }
    if (*nparams >= CEL_MAX_PARAMS)
        return cel_diag_set(diag, PS_ERR_LIMIT, "too many type parameters");
    pnames[*nparams] = ps_arena_strndup(a, w, n);
    if (!pnames[*nparams])
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    (*nparams)++;
    return param_type(a, w, n, pnames, nparams, out, diag);
}

enum ps_err cel_type_parse_at(struct ps_arena *a, const char *text, size_t *pos,
                              const char **pnames, uint32_t *nparams,
                              const struct ps_cel_type **out, struct ps_cel_diag *diag)
{
    skip_ws(text, pos);
    const char *w = text + *pos;
    size_t n = word_len(w);
    *pos += n;
    if (is_param_name(w, n))
        return param_type(a, w, n, pnames, nparams, out, diag);
    size_t i = 0;
    while (i < NNAMES && !(strlen(names[i].name) == n && memcmp(names[i].name, w, n) == 0))
        i++;
    if (i == NNAMES)
        return cel_diag_set(diag, PS_ERR_INVALID, "unknown type '%.*s' in '%s'", (int)n, w,
                            text);
    uint8_t kind = names[i].kind;
    unsigned want = kind == T_MAP ? 2 : (kind == T_LIST || kind == T_TYPE || kind == T_OPTIONAL);
    skip_ws(text, pos);
    if (text[*pos] != '(' || want == 0) {
        *out = kind == T_OPTIONAL && !want ? CEL_T(T_OPTIONAL) : CEL_T(kind);
        return PS_OK;
    }
    const struct ps_cel_type *p[2] = {NULL, NULL};
    for (unsigned k = 0; k < want; k++) {
        (*pos)++; /* '(' or ',' */
        enum ps_err e = cel_type_parse_at(a, text, pos, pnames, nparams, &p[k], diag);
        if (e != PS_OK)
            return e;
        skip_ws(text, pos);
        if (text[*pos] != (k + 1 == want ? ')' : ','))
            return cel_diag_set(diag, PS_ERR_INVALID, "malformed type '%s'", text);
    }
    (*pos)++;
    *out = cel_type_new(a, kind, p[0], p[1]);
    return *out ? PS_OK : cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
}

enum ps_err ps_cel_type_parse(struct ps_cel_env *env, const char *text,
                              const struct ps_cel_type **out, struct ps_cel_diag *diag)
{
    size_t pos = 0;
    enum ps_err e = cel_type_parse_at(env->arena, text, &pos, NULL, NULL, out, diag);
    if (e != PS_OK)
        return e;
    skip_ws(text, &pos);
    if (text[pos])
        return cel_diag_set(diag, PS_ERR_INVALID, "unexpected text after the type in '%s'",
                            text);
    return PS_OK;
}

bool cel_type_format_buf(struct ps_buf *b, const struct ps_cel_type *t)
{
    if (!t)
        return ps_buf_append_cstr(b, "dyn") == PS_OK;
    const char *name = t->kind == T_TIMESTAMP  ? "timestamp"
                       : t->kind == T_DURATION ? "duration"
                       : t->kind == T_ERROR    ? "*error*"
                                               : cel_type_name(t);
    if (ps_buf_append_cstr(b, name) != PS_OK)
        return false;
    if (!((t->kind == T_LIST || t->kind == T_MAP || t->kind == T_OPTIONAL) ||
          (t->kind == T_TYPE && t->p0)))
        return true;
    if (ps_buf_append_cstr(b, "(") != PS_OK || !cel_type_format_buf(b, t->p0))
        return false;
    if (t->kind == T_MAP && (ps_buf_append_cstr(b, ", ") != PS_OK ||
                             !cel_type_format_buf(b, t->p1)))
        return false;
    return ps_buf_append_cstr(b, ")") == PS_OK;
}

char *ps_cel_type_format(struct ps_arena *arena, const struct ps_cel_type *t)
{
    struct ps_buf b;
    ps_buf_init(&b, 4096);
    char *s = cel_type_format_buf(&b, t) ? ps_arena_strndup(arena, ps_buf_str(&b).p, b.len)
                                         : NULL;
    ps_buf_reset(&b);
    return s;
}
