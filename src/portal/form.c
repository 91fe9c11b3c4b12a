/* Forms: the urlencoded parser, the field table's generic checks, the input component's
 * fields, and the checks a POST passes before any field is read. */
#include "portal/form.h"

#include <string.h>

#include "core/utf8.h"
#include "registries/date.h"

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

/* ---- dates ---- */

/* The value as a number of 1..4 digits, or -1. */
static int digits(struct ps_str v)
{
    int n = 0;
    if (v.len == 0 || v.len > 4)
        return -1;
    for (size_t i = 0; i < v.len; i++) {
        if (v.p[i] < '0' || v.p[i] > '9')
            return -1;
        n = n * 10 + (v.p[i] - '0');
    }
    return n;
}

/* The date's one message on its first marked part; every marked part stays marked. */
static bool date_fail(struct ps_form *f, size_t day, const char *msgid, const char *legend,
                      enum ps_lang lang, struct ps_arena *a)
{
    struct ps_i18n_arg arg = {"label", ps_str_from_cstr(ps_i18n(lang, legend))};
    struct ps_str text = ps_i18n_fill(a, ps_i18n(lang, msgid), &arg, 1);
    if (text.p && text.len)
        for (size_t i = day; i < day + 3; i++)
            if (f->marked[i]) {
                ps_form_error(f, i, text);
                break;
            }
    return false;
}

bool ps_form_date_check(struct ps_form *f, size_t day, const char *legend, bool past,
                        enum ps_lang lang, struct ps_arena *a, struct ps_date *out)
{
    static const int maxes[3] = {31, 12, 9999};
    int v[3];
    size_t empty = 0;
    PS_ASSERT(day + 3 <= f->n);
    *out = (struct ps_date){0, 0, 0};
    for (size_t i = 0; i < 3; i++)
        empty += f->values[day + i].len == 0;
    if (empty == 3) {
        if (f->fields[day].required)
            ps_form_error(f, day, ps_str_from_cstr(ps_i18n(lang, f->fields[day].required)));
        return !f->fields[day].required;
    }
    if (empty) {
        for (size_t i = 0; i < 3; i++)
            f->marked[day + i] = f->values[day + i].len == 0;
        return date_fail(f, day, N_("{label} must include a day, month and year"), legend,
                         lang, a);
    }
    bool bad = false;
    for (size_t i = 0; i < 3; i++) {
        v[i] = digits(f->values[day + i]);
        f->marked[day + i] = v[i] < 1 || v[i] > maxes[i];
        bad |= f->marked[day + i];
    }
    if (bad)
        return date_fail(f, day, N_("{label} must be a real date"), legend, lang, a);
    if (f->values[day + 2].len != 4) {
        f->marked[day + 2] = true;
        return date_fail(f, day, N_("Year must include 4 numbers"), legend, lang, a);
    }
    struct ps_date d = {v[2], v[1], v[0]};
    if (!ps_date_valid(d)) {
        f->marked[day] = f->marked[day + 1] = f->marked[day + 2] = true;
        return date_fail(f, day, N_("{label} must be a real date"), legend, lang, a);
    }
    if (past && ps_date_cmp(d, ps_date_today()) >= 0) {
        f->marked[day] = f->marked[day + 1] = f->marked[day + 2] = true;
        return date_fail(f, day, N_("{label} must be in the past"), legend, lang, a);
    }
    *out = d;
    return true;
}

void ps_form_date_input(const struct ps_form *f, size_t day, const char *id, const char *legend,
                        const char *hint, const char *autocomplete, enum ps_lang lang,
                        struct ps_arena *a, struct ps_tpl_date *out)
{
    memset(out, 0, sizeof *out);
    out->id = ps_str_from_cstr(id);
    out->legend = ps_str_from_cstr(ps_i18n(lang, legend));
    out->hint = ps_str_from_cstr(ps_i18n(lang, hint));
    out->autocomplete = ps_str_from_cstr(autocomplete);
    out->day = f->values[day];
    out->month = f->values[day + 1];
    out->year = f->values[day + 2];
    for (size_t i = day; i < day + 3 && !out->error.len; i++)
        out->error = f->errors[i];
    out->day_error = f->marked[day] || f->errors[day].len;
    out->month_error = f->marked[day + 1] || f->errors[day + 1].len;
    out->year_error = f->marked[day + 2] || f->errors[day + 2].len;
    char *ids = ps_arena_printf(a, "%s-hint%s%s%s", id, out->error.len ? " " : "",
                                out->error.len ? id : "", out->error.len ? "-error" : "");
    out->describedby = ps_str_from_cstr(ids);
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
