/* RFC 8941 parsing (section 4.2) as a recursive-descent reader over a bounded cursor, and the
 * canonical serializer (section 4.1). Nesting is fixed by the grammar (an inner list holds only
 * items), so the recursion depth is at most three; counts are bounded by ps_sfv_limits. */
#include "identity/sfv.h"

#include <inttypes.h>
#include <string.h>

#include "core/alloc.h"

#define SFV_INT_MAX INT64_C(999999999999999)

struct cur {
    const char *p, *e, *start;
    struct ps_arena *a;
    struct ps_sfv_limits lim;
    size_t dups;
    struct ps_diag *diag;
};

static enum ps_err fail(struct cur *c, const char *what)
{
    return ps_diag_set(c->diag, PS_ERR_INVALID, "structured field: %s at offset %zu", what,
                       (size_t)(c->p - c->start));
}

static enum ps_err too_many(struct cur *c, const char *what, size_t max)
{
    return ps_diag_set(c->diag, PS_ERR_LIMIT, "structured field: more than %zu %s", max, what);
}

static int at(const struct cur *c, char ch)
{
    return c->p < c->e && *c->p == ch;
}

static int is_alpha(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static int is_lcalpha(char ch)
{
    return ch >= 'a' && ch <= 'z';
}

static int is_tchar(char ch)
{
    return is_alpha(ch) || is_digit(ch) || (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int is_key_char(char ch)
{
    return is_lcalpha(ch) || is_digit(ch) || ch == '_' || ch == '-' || ch == '.' || ch == '*';
}

static void skip_sp(struct cur *c)
{
    while (c->p < c->e && *c->p == ' ')
        c->p++;
}

static void skip_ows(struct cur *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\t'))
        c->p++;
}

/* Makes room for element n of an arena array of elem-sized entries (doubling, copying). */
static enum ps_err grow(struct cur *c, void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return PS_OK;
    size_t ncap = *cap ? *cap * 2 : 4;
    void *na = ps_arena_array(c->a, ncap, elem);
    if (!na)
        return ps_diag_set(c->diag, PS_ERR_NOMEM, "out of memory");
    if (n)
        memcpy(na, *arr, n * elem);
    *arr = na;
    *cap = ncap;
    return PS_OK;
}

/* ---- bare items ---- */

static enum ps_err parse_number(struct cur *c, struct ps_sfv_bare *out)
{
    int neg = 0, decimal = 0;
    size_t ndig = 0, frac = 0;
    int64_t v = 0;
    if (at(c, '-')) {
        neg = 1;
        c->p++;
    }
    if (c->p >= c->e || !is_digit(*c->p))
        return fail(c, "digit expected");
    for (; c->p < c->e; c->p++) {
        char ch = *c->p;
        if (is_digit(ch)) {
            v = v * 10 + (ch - '0');
            ndig++;
            frac += decimal;
        } else if (ch == '.' && !decimal) {
            if (ndig > 12)
                return fail(c, "decimal with more than 12 integer digits");
            decimal = 1;
        } else {
            break;
        }
        if (!decimal && ndig > 15)
            return fail(c, "integer with more than 15 digits");
        if (decimal && ndig + 1 > 16)
            return fail(c, "decimal with more than 16 characters");
    }
    if (decimal) {
        if (frac == 0)
            return fail(c, "decimal ends with '.'");
        if (frac > 3)
            return fail(c, "decimal with more than 3 fraction digits");
        for (; frac < 3; frac++)
            v *= 10;
    }
    out->type = decimal ? PS_SFV_DECIMAL : PS_SFV_INTEGER;
    out->i = neg ? -v : v;
    return PS_OK;
}

static enum ps_err parse_string(struct cur *c, struct ps_sfv_bare *out)
{
    c->p++; /* the DQUOTE */
    char *buf = ps_arena_alloc(c->a, (size_t)(c->e - c->p) + 1);
    if (!buf)
        return ps_diag_set(c->diag, PS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    while (c->p < c->e) {
        char ch = *c->p++;
        if (ch == '\\') {
            if (c->p >= c->e || (*c->p != '"' && *c->p != '\\'))
                return fail(c, "bad escape in string");
            buf[n++] = *c->p++;
        } else if (ch == '"') {
            buf[n] = '\0';
            out->type = PS_SFV_STRING;
            out->s = (struct ps_str){buf, n};
            return PS_OK;
        } else if ((unsigned char)ch < 0x20 || (unsigned char)ch > 0x7e) {
            c->p--;
            return fail(c, "control character in string");
        } else {
            buf[n++] = ch;
        }
    }
    return fail(c, "unterminated string");
}

static enum ps_err parse_token(struct cur *c, struct ps_sfv_bare *out)
{
    const char *s = c->p++;
    while (c->p < c->e && (is_tchar(*c->p) || *c->p == ':' || *c->p == '/'))
        c->p++;
    out->type = PS_SFV_TOKEN;
    out->s = (struct ps_str){s, (size_t)(c->p - s)};
    return PS_OK;
}

static enum ps_err parse_bytes(struct cur *c, struct ps_sfv_bare *out)
{
    const char *s = ++c->p;
    while (c->p < c->e && *c->p != ':') {
        char ch = *c->p;
        if (!is_alpha(ch) && !is_digit(ch) && ch != '+' && ch != '/' && ch != '=')
            return fail(c, "character outside base64 in byte sequence");
        c->p++;
    }
    if (c->p >= c->e)
        return fail(c, "unterminated byte sequence");
    struct ps_str b64 = {s, (size_t)(c->p - s)};
    enum ps_err e = ps_b64_decode(c->a, b64, b64.len, &out->b);
    if (e == PS_ERR_NOMEM)
        return ps_diag_set(c->diag, e, "out of memory");
    if (e != PS_OK) {
        c->p = s;
        return fail(c, "invalid base64 in byte sequence");
    }
    c->p++;
    out->type = PS_SFV_BYTES;
    return PS_OK;
}

static enum ps_err parse_bare(struct cur *c, struct ps_sfv_bare *out)
{
    memset(out, 0, sizeof *out);
    if (c->p >= c->e)
        return fail(c, "item expected");
    char ch = *c->p;
    if (ch == '-' || is_digit(ch))
        return parse_number(c, out);
    if (ch == '"')
        return parse_string(c, out);
    if (is_alpha(ch) || ch == '*')
        return parse_token(c, out);
    if (ch == ':')
        return parse_bytes(c, out);
    if (ch == '?') {
        c->p++;
        if (at(c, '0') || at(c, '1')) {
            out->type = PS_SFV_BOOLEAN;
            out->boolean = *c->p++ == '1';
            return PS_OK;
        }
        return fail(c, "boolean must be ?0 or ?1");
    }
    if (ch == '@' || ch == '%')
        return fail(c, "RFC 9651 dates and display strings are not supported");
    return fail(c, "unrecognised item");
}

static enum ps_err parse_key(struct cur *c, struct ps_str *out)
{
    if (c->p >= c->e || (!is_lcalpha(*c->p) && *c->p != '*'))
        return fail(c, "key expected (lower-case letter or '*')");
    const char *s = c->p;
    while (c->p < c->e && is_key_char(*c->p))
        c->p++;
    *out = (struct ps_str){s, (size_t)(c->p - s)};
    return PS_OK;
}

static enum ps_err parse_params(struct cur *c, struct ps_sfv_value *v)
{
    size_t cap = 0;
    v->params = NULL;
    v->nparams = 0;
    while (at(c, ';')) {
        c->p++;
        skip_sp(c);
        struct ps_sfv_param p = {.value = {.type = PS_SFV_BOOLEAN, .boolean = true}};
        enum ps_err e = parse_key(c, &p.key);
        if (e == PS_OK && at(c, '=')) {
            c->p++;
            e = parse_bare(c, &p.value);
        }
        if (e != PS_OK)
            return e;
        size_t i = 0;
        while (i < v->nparams && !ps_str_eq(v->params[i].key, p.key))
            i++;
        if (i < v->nparams) { /* the last value wins, in the first position */
            v->params[i].value = p.value;
            c->dups++;
            continue;
        }
        if (v->nparams == c->lim.max_params)
            return too_many(c, "parameters", c->lim.max_params);
        e = grow(c, (void **)&v->params, &cap, v->nparams, sizeof *v->params);
        if (e != PS_OK)
            return e;
        v->params[v->nparams++] = p;
    }
    return PS_OK;
}

static enum ps_err parse_item(struct cur *c, struct ps_sfv_value *v)
{
    memset(v, 0, sizeof *v);
    enum ps_err e = parse_bare(c, &v->bare);
    return e != PS_OK ? e : parse_params(c, v);
}

static enum ps_err parse_inner(struct cur *c, struct ps_sfv_value *v)
{
    size_t cap = 0;
    memset(v, 0, sizeof *v);
    v->bare.type = PS_SFV_INNER_LIST;
    c->p++; /* '(' */
    while (c->p < c->e) {
        skip_sp(c);
        if (at(c, ')')) {
            c->p++;
            return parse_params(c, v);
        }
        if (v->nitems == c->lim.max_items)
            return too_many(c, "inner-list items", c->lim.max_items);
        enum ps_err e = grow(c, (void **)&v->items, &cap, v->nitems, sizeof *v->items);
        if (e == PS_OK)
            e = parse_item(c, &v->items[v->nitems]);
        if (e != PS_OK)
            return e;
        v->nitems++;
        if (!at(c, ' ') && !at(c, ')'))
            return fail(c, "' ' or ')' expected in inner list");
    }
    return fail(c, "unterminated inner list");
}

static enum ps_err parse_item_or_inner(struct cur *c, struct ps_sfv_value *v)
{
    return at(c, '(') ? parse_inner(c, v) : parse_item(c, v);
}

/* ---- top level ---- */

static enum ps_err begin(struct cur *c, struct ps_arena *a, struct ps_str f,
                         const struct ps_sfv_limits *lim, struct ps_diag *diag)
{
    memset(c, 0, sizeof *c);
    c->a = a;
    c->diag = diag;
    if (lim)
        c->lim = *lim;
    c->lim.max_bytes = c->lim.max_bytes ? c->lim.max_bytes : 8192;
    c->lim.max_members = c->lim.max_members ? c->lim.max_members : 64;
    c->lim.max_items = c->lim.max_items ? c->lim.max_items : 64;
    c->lim.max_params = c->lim.max_params ? c->lim.max_params : 16;
    c->start = c->p = f.p ? f.p : "";
    c->e = c->p + f.len;
    if (f.len > c->lim.max_bytes)
        return ps_diag_set(diag, PS_ERR_LIMIT, "structured field: %zu bytes, more than %zu",
                           f.len, c->lim.max_bytes);
    for (const char *q = c->p; q < c->e; q++)
        if ((unsigned char)*q >= 0x80 || *q == '\0') {
            c->p = q;
            return fail(c, "byte outside ASCII");
        }
    skip_sp(c);
    return PS_OK;
}

static enum ps_err end(struct cur *c)
{
    skip_sp(c);
    return c->p == c->e ? PS_OK : fail(c, "unexpected character");
}

/* After a member: end of input, or "," with optional whitespace and another member. */
static enum ps_err next_member(struct cur *c, int *done)
{
    skip_ows(c);
    *done = c->p >= c->e;
    if (*done)
        return PS_OK;
    if (!at(c, ','))
        return fail(c, "',' expected");
    c->p++;
    skip_ows(c);
    return c->p < c->e ? PS_OK : fail(c, "trailing ','");
}

static enum ps_err dict_member(struct cur *c, struct ps_sfv_member *m)
{
    memset(m, 0, sizeof *m);
    enum ps_err e = parse_key(c, &m->key);
    if (e != PS_OK)
        return e;
    if (at(c, '=')) {
        c->p++;
        return parse_item_or_inner(c, &m->value);
    }
    m->value.bare.type = PS_SFV_BOOLEAN;
    m->value.bare.boolean = true;
    return parse_params(c, &m->value);
}

/* Adds m to out, or overwrites the value of an earlier member with the same key (dict). */
static enum ps_err add_member(struct cur *c, struct ps_sfv_field *out, size_t *cap,
                              const struct ps_sfv_member *m, int dict)
{
    for (size_t i = 0; dict && i < out->n; i++)
        if (ps_str_eq(out->members[i].key, m->key)) {
            out->members[i].value = m->value;
            c->dups++;
            return PS_OK;
        }
    if (out->n == c->lim.max_members)
        return too_many(c, "members", c->lim.max_members);
    enum ps_err e = grow(c, (void **)&out->members, cap, out->n, sizeof *out->members);
    if (e == PS_OK)
        out->members[out->n++] = *m;
    return e;
}

static enum ps_err parse_members(struct ps_arena *a, struct ps_str field,
                                 const struct ps_sfv_limits *limits, struct ps_sfv_field *out,
                                 struct ps_diag *diag, int dict)
{
    struct cur c;
    size_t cap = 0;
    memset(out, 0, sizeof *out);
    enum ps_err e = begin(&c, a, field, limits, diag);
    int done = c.p >= c.e;
    while (e == PS_OK && !done) {
        struct ps_sfv_member m = {0};
        e = dict ? dict_member(&c, &m) : parse_item_or_inner(&c, &m.value);
        if (e == PS_OK)
            e = add_member(&c, out, &cap, &m, dict);
        if (e == PS_OK)
            e = next_member(&c, &done);
    }
    out->dups = c.dups;
    return e;
}

enum ps_err ps_sfv_parse_dict(struct ps_arena *a, struct ps_str field,
                              const struct ps_sfv_limits *limits, struct ps_sfv_field *out,
                              struct ps_diag *diag)
{
    return parse_members(a, field, limits, out, diag, 1);
}

enum ps_err ps_sfv_parse_list(struct ps_arena *a, struct ps_str field,
                              const struct ps_sfv_limits *limits, struct ps_sfv_field *out,
                              struct ps_diag *diag)
{
    return parse_members(a, field, limits, out, diag, 0);
}

enum ps_err ps_sfv_parse_item(struct ps_arena *a, struct ps_str field,
                              const struct ps_sfv_limits *limits, struct ps_sfv_value *out,
                              struct ps_diag *diag)
{
    struct cur c;
    memset(out, 0, sizeof *out);
    enum ps_err e = begin(&c, a, field, limits, diag);
    if (e == PS_OK)
        e = parse_item(&c, out);
    return e == PS_OK ? end(&c) : e;
}

const struct ps_sfv_member *ps_sfv_dict_get(const struct ps_sfv_field *d, struct ps_str key)
{
    for (size_t i = 0; i < d->n; i++)
        if (ps_str_eq(d->members[i].key, key))
            return &d->members[i];
    return NULL;
}

const struct ps_sfv_bare *ps_sfv_param_get(const struct ps_sfv_value *v, struct ps_str key)
{
    for (size_t i = 0; i < v->nparams; i++)
        if (ps_str_eq(v->params[i].key, key))
            return &v->params[i].value;
    return NULL;
}

/* ---- serialization ---- */

enum ps_err ps_sfv_serialize_key(struct ps_buf *b, struct ps_str k)
{
    if (k.len == 0 || (!is_lcalpha(k.p[0]) && k.p[0] != '*'))
        return PS_ERR_INVALID;
    for (size_t i = 0; i < k.len; i++)
        if (!is_key_char(k.p[i]))
            return PS_ERR_INVALID;
    return ps_buf_append_str(b, k);
}

enum ps_err ps_sfv_serialize_string(struct ps_buf *b, struct ps_str s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.p[i] < 0x20 || (unsigned char)s.p[i] > 0x7e)
            return PS_ERR_INVALID;
    enum ps_err e = ps_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; e == PS_OK && i <= s.len; i++) {
        if (i < s.len && s.p[i] != '"' && s.p[i] != '\\')
            continue;
        e = ps_buf_append(b, s.p + run, i - run); /* the run before the escape (or the end) */
        if (e == PS_OK && i < s.len)
            e = ps_buf_append(b, "\\", 1);
        run = i;
    }
    return e == PS_OK ? ps_buf_append(b, "\"", 1) : e;
}

static enum ps_err ser_token(struct ps_buf *b, struct ps_str t)
{
    if (t.len == 0 || (!is_alpha(t.p[0]) && t.p[0] != '*'))
        return PS_ERR_INVALID;
    for (size_t i = 1; i < t.len; i++)
        if (!is_tchar(t.p[i]) && t.p[i] != ':' && t.p[i] != '/')
            return PS_ERR_INVALID;
    return ps_buf_append_str(b, t);
}

static enum ps_err ser_decimal(struct ps_buf *b, int64_t v)
{
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (m / 1000 > INT64_C(999999999999))
        return PS_ERR_INVALID;
    unsigned frac = (unsigned)(m % 1000);
    int digits = 3;
    while (digits > 1 && frac % 10 == 0) {
        frac /= 10;
        digits--;
    }
    return ps_buf_printf(b, "%s%" PRIu64 ".%0*u", v < 0 ? "-" : "", m / 1000, digits, frac);
}

enum ps_err ps_sfv_serialize_bare(struct ps_buf *b, const struct ps_sfv_bare *v)
{
    switch (v->type) {
    case PS_SFV_INTEGER:
        if (v->i < -SFV_INT_MAX || v->i > SFV_INT_MAX)
            return PS_ERR_INVALID;
        return ps_buf_printf(b, "%" PRId64, v->i);
    case PS_SFV_DECIMAL:
        return ser_decimal(b, v->i);
    case PS_SFV_STRING:
        return ps_sfv_serialize_string(b, v->s);
    case PS_SFV_TOKEN:
        return ser_token(b, v->s);
    case PS_SFV_BYTES: {
        enum ps_err e = ps_buf_append(b, ":", 1);
        if (e == PS_OK)
            e = ps_b64_append(b, v->b.p, v->b.len, 0);
        return e == PS_OK ? ps_buf_append(b, ":", 1) : e;
    }
    case PS_SFV_BOOLEAN:
        return ps_buf_append_cstr(b, v->boolean ? "?1" : "?0");
    case PS_SFV_INNER_LIST:
        break;
    }
    return PS_ERR_INVALID;
}

enum ps_err ps_sfv_serialize_params(struct ps_buf *b, const struct ps_sfv_param *p, size_t n)
{
    enum ps_err e = PS_OK;
    for (size_t i = 0; e == PS_OK && i < n; i++) {
        e = ps_buf_append(b, ";", 1);
        if (e == PS_OK)
            e = ps_sfv_serialize_key(b, p[i].key);
        if (e != PS_OK || (p[i].value.type == PS_SFV_BOOLEAN && p[i].value.boolean))
            continue;
        e = ps_buf_append(b, "=", 1);
        if (e == PS_OK)
            e = ps_sfv_serialize_bare(b, &p[i].value);
    }
    return e;
}

enum ps_err ps_sfv_serialize_value(struct ps_buf *b, const struct ps_sfv_value *v)
{
    enum ps_err e = PS_OK;
    if (v->bare.type != PS_SFV_INNER_LIST) {
        e = ps_sfv_serialize_bare(b, &v->bare);
        return e == PS_OK ? ps_sfv_serialize_params(b, v->params, v->nparams) : e;
    }
    e = ps_buf_append(b, "(", 1);
    for (size_t i = 0; e == PS_OK && i < v->nitems; i++) {
        if (v->items[i].bare.type == PS_SFV_INNER_LIST)
            return PS_ERR_INVALID;
        if (i > 0)
            e = ps_buf_append(b, " ", 1);
        if (e == PS_OK)
            e = ps_sfv_serialize_value(b, &v->items[i]);
    }
    if (e == PS_OK)
        e = ps_buf_append(b, ")", 1);
    return e == PS_OK ? ps_sfv_serialize_params(b, v->params, v->nparams) : e;
}

static enum ps_err ser_members(struct ps_buf *b, const struct ps_sfv_field *f, int dict)
{
    enum ps_err e = PS_OK;
    for (size_t i = 0; e == PS_OK && i < f->n; i++) {
        const struct ps_sfv_member *m = &f->members[i];
        if (i > 0)
            e = ps_buf_append(b, ", ", 2);
        if (e == PS_OK && dict)
            e = ps_sfv_serialize_key(b, m->key);
        if (e != PS_OK)
            break;
        if (dict && m->value.bare.type == PS_SFV_BOOLEAN && m->value.bare.boolean) {
            e = ps_sfv_serialize_params(b, m->value.params, m->value.nparams);
            continue;
        }
        if (dict)
            e = ps_buf_append(b, "=", 1);
        if (e == PS_OK)
            e = ps_sfv_serialize_value(b, &m->value);
    }
    return e;
}

enum ps_err ps_sfv_serialize_dict(struct ps_buf *b, const struct ps_sfv_field *d)
{
    return ser_members(b, d, 1);
}

enum ps_err ps_sfv_serialize_list(struct ps_buf *b, const struct ps_sfv_field *l)
{
    return ser_members(b, l, 0);
}
