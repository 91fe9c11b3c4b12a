/* Forms: the urlencoded parser, the field table's generic checks, the input component's
 * fields, and the checks a POST passes before any field is read. */
#include "portal/form.h"

#include <string.h>

#include "core/utf8.h"

/* ---- parsing ---- */

/* Decodes one urlencoded component; PS_STR_NULL with diag set on a bad escape or a NUL. */
static struct ps_str decode(struct ps_arena *a, struct ps_str s, struct ps_diag *diag)
{
    if (!memchr(s.p, '%', s.len) && !memchr(s.p, '+', s.len))
        return s;
    char *out = ps_arena_alloc(a, s.len + 1);
    size_t n = 0;
    if (!out) {
        ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        return PS_STR_NULL;
    }
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < s.len ? ps_hex_digit(s.p[i + 1]) : -1;
            int lo = hi >= 0 ? ps_hex_digit(s.p[i + 2]) : -1;
            if (lo < 0) {
                ps_diag_set(diag, PS_ERR_INVALID, "a %% that does not start an escape %%XX");
                return PS_STR_NULL;
            }
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return (struct ps_str){out, n};
}

static enum ps_err pair(struct ps_arena *a, struct ps_str raw, struct ps_form_pair *out,
                        struct ps_diag *diag)
{
    const char *eq = memchr(raw.p, '=', raw.len);
    struct ps_str k = {raw.p, eq ? (size_t)(eq - raw.p) : raw.len};
    struct ps_str v = eq ? (struct ps_str){eq + 1, raw.len - k.len - 1} : PS_STR("");
    out->name = decode(a, k, diag);
    out->value = out->name.p ? decode(a, v, diag) : PS_STR_NULL;
    if (!out->name.p || !out->value.p)
        return diag->code;
    if (memchr(out->name.p, '\0', out->name.len) || memchr(out->value.p, '\0', out->value.len))
        return ps_diag_set(diag, PS_ERR_INVALID, "a NUL character");
    return PS_OK;
}

enum ps_err ps_form_parse(struct ps_arena *a, struct ps_str data, struct ps_form_pair *pairs,
                          size_t cap, size_t *n, struct ps_diag *diag)
{
    struct ps_diag scratch = {0};
    size_t i = 0;
    *n = 0;
    if (!diag)
        diag = &scratch;
    while (data.p && i < data.len) {
        const char *amp = memchr(data.p + i, '&', data.len - i);
        size_t end = amp ? (size_t)(amp - data.p) : data.len;
        struct ps_str raw = {data.p + i, end - i};
        i = end + 1;
        if (raw.len == 0)
            continue;
        if (*n == cap)
            return ps_diag_set(diag, PS_ERR_LIMIT, "more than %zu fields", cap);
        enum ps_err e = pair(a, raw, &pairs[*n], diag);
        if (e != PS_OK)
            return e;
        (*n)++;
    }
    return PS_OK;
}

bool ps_form_utf8(const struct ps_form_pair *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!ps_utf8_valid(pairs[i].name) || !ps_utf8_valid(pairs[i].value))
            return false;
    return true;
}

/* ---- fields ---- */

void ps_form_init(struct ps_form *f, const struct ps_field *fields, size_t n)
{
    PS_ASSERT(n <= PS_FORM_MAX_FIELDS);
    memset(f, 0, sizeof *f);
    f->fields = fields;
    f->n = n;
    for (size_t i = 0; i < n; i++)
        f->values[i] = PS_STR("");
}

static struct ps_str trim(struct ps_str s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t' || s.p[0] == '\r' || s.p[0] == '\n'))
        s.p++, s.len--;
    while (s.len && strchr(" \t\r\n", s.p[s.len - 1]))
        s.len--;
    return s;
}

void ps_form_fill(struct ps_form *f, const struct ps_form_pair *pairs, size_t n)
{
    bool seen[PS_FORM_MAX_FIELDS] = {false};
    for (size_t p = 0; p < n; p++) {
        for (size_t i = 0; i < f->n; i++) {
            if (!seen[i] && ps_str_eq_cstr(pairs[p].name, f->fields[i].name)) {
                f->values[i] = trim(pairs[p].value);
                seen[i] = f->submitted = true;
            }
        }
    }
}

size_t ps_form_field(const struct ps_form *f, const char *name)
{
    for (size_t i = 0; i < f->n; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return i;
    PS_ASSERT(!"no such field");
    return 0;
}

void ps_form_error(struct ps_form *f, size_t i, struct ps_str message)
{
    PS_ASSERT(i < f->n);
    if (f->errors[i].len || !message.p || message.len == 0)
        return;
    f->errors[i] = message;
    f->nerrors++;
}

size_t ps_form_check(struct ps_form *f, enum ps_lang lang, struct ps_arena *a)
{
    for (size_t i = 0; i < f->n; i++) {
        const struct ps_field *d = &f->fields[i];
        size_t max = d->max_chars ? d->max_chars : PS_FORM_VALUE_MAX;
        if (f->values[i].len == 0 && d->required) {
            ps_form_error(f, i, ps_str_from_cstr(ps_i18n(lang, d->required)));
        } else if (ps_utf8_count(f->values[i]) > max) {
            char num[PS_I18N_NUM_MAX];
            struct ps_i18n_arg args[] = {
                {"label", ps_str_from_cstr(ps_i18n(lang, d->label))},
                {"max", {num, ps_i18n_num(lang, max, num)}},
            };
            const char *text = ps_i18n_n(lang, NN_("{label} must be {max} character or fewer",
                                                   "{label} must be {max} characters or fewer"),
                                         max);
            ps_form_error(f, i, ps_i18n_fill(a, text, args, 2));
        }
    }
    return f->nerrors;
}

void ps_form_input(const struct ps_form *f, size_t i, enum ps_lang lang, struct ps_arena *a,
                   struct ps_tpl_input *out)
{
    const struct ps_field *d = &f->fields[i];
    memset(out, 0, sizeof *out);
    out->id = out->name = ps_str_from_cstr(d->name);
    out->label = ps_str_from_cstr(ps_i18n(lang, d->label));
    out->hint = d->hint ? ps_str_from_cstr(ps_i18n(lang, d->hint)) : PS_STR("");
    out->type = ps_str_from_cstr(d->type ? d->type : "text");
    out->inputmode = ps_str_from_cstr(d->inputmode);
    out->autocomplete = ps_str_from_cstr(d->autocomplete);
    out->width = ps_str_from_cstr(d->width);
    out->spellcheck_off = d->spellcheck_off;
    out->value = f->values[i];
    out->error = f->errors[i];
    /* aria-describedby: the hint, then the error message */
    char *ids = ps_arena_printf(a, "%s%s%s%s%s", d->hint ? d->name : "", d->hint ? "-hint" : "",
                                d->hint && out->error.len ? " " : "",
                                out->error.len ? d->name : "", out->error.len ? "-error" : "");
    out->describedby = ps_str_from_cstr(ids);
}

/* ---- POST ---- */

bool ps_form_same_origin(struct ps_str origin, struct ps_str host, const struct ps_rp *rp)
{
    if (!origin.p || origin.len == 0 || ps_str_eq(origin, PS_STR("null")))
        return false;
    if (rp && rp->url[0])
        return ps_rp_origin_allowed(rp, origin);
    if (!host.p || host.len == 0)
        return false;
    static const struct ps_str schemes[] = {PS_STR_NULL, PS_STR("http://"), PS_STR("https://")};
    for (size_t i = 1; i < sizeof schemes / sizeof schemes[0]; i++) {
        struct ps_str s = schemes[i];
        if (origin.len == s.len + host.len && ps_str_starts_with(origin, s) &&
            ps_str_eq_nocase((struct ps_str){origin.p + s.len, host.len}, host))
            return true;
    }
    return false;
}

/* The media type of a Content-Type value, parameters and spaces dropped. */
static struct ps_str media_type(struct ps_str ct)
{
    size_t n = 0;
    while (ct.p && n < ct.len && ct.p[n] != ';' && ct.p[n] != ' ' && ct.p[n] != '\t')
        n++;
    return (struct ps_str){ct.p, n};
}

enum ps_form_refusal ps_form_read(struct ps_arena *a, const struct ps_form_post *post,
                                  struct ps_form *f)
{
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    struct ps_diag d = {0};
    size_t n = 0;
    if (!ps_form_same_origin(post->origin, post->host, post->rp))
        return PS_FORM_CROSS_ORIGIN;
    if (!ps_str_eq_nocase(media_type(post->content_type),
                          PS_STR("application/x-www-form-urlencoded")))
        return PS_FORM_MEDIA_TYPE;
    if (post->body.len > PS_FORM_BODY_MAX)
        return PS_FORM_TOO_LARGE;
    enum ps_err e = ps_form_parse(a, post->body, pairs, PS_FORM_MAX_PAIRS, &n, &d);
    if (e == PS_ERR_LIMIT)
        return PS_FORM_TOO_LARGE;
    if (e != PS_OK)
        return PS_FORM_MALFORMED;
    if (!ps_form_utf8(pairs, n))
        return PS_FORM_NOT_UTF8;
    ps_form_fill(f, pairs, n);
    return PS_FORM_OK;
}
