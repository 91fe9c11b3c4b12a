/* A service's form as pages (svc_form.h): the definition's fields to GOV.UK questions, the
 * posted form back to answers, the engine's errors onto inputs, answers worded for reading. */
#include "portal/svc_form.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/env.h"
#include "registries/date.h"

#define RADIOS_MAX 10 /* an enum with more options is a select */

static const char *const address_parts[] = {"oblast", "hromada", "settlement", "street",
                                            "building"};
static const char *const address_labels[] = {N_("Oblast"), N_("Hromada"), N_("Settlement"),
                                             N_("Street"), N_("Building")};
#define NADDRESS (sizeof address_parts / sizeof address_parts[0])

/* ---- pages ---- */

static const char *page_of(const struct ps_svc_field *f)
{
    return f->page ? f->page : "";
}

bool ps_svcform_on_page(const struct ps_svc_field *f, const char *page)
{
    return strcmp(page_of(f), page) == 0;
}

size_t ps_svcform_pages(const struct ps_svc *s, const char **out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < s->nfields && n < cap; i++) {
        bool seen = false;
        for (size_t k = 0; k < n && !seen; k++)
            seen = strcmp(out[k], page_of(&s->fields[i])) == 0;
        if (!seen)
            out[n++] = page_of(&s->fields[i]);
    }
    return n;
}

int ps_svcform_page_index(const struct ps_svc *s, struct ps_str page)
{
    const char *pages[PS_SVC_MAX_FIELDS];
    size_t n = ps_svcform_pages(s, pages, PS_SVC_MAX_FIELDS);
    for (size_t i = 0; i < n; i++)
        if (ps_str_eq_cstr(page, pages[i]))
            return (int)i;
    return -1;
}

bool ps_svcform_page_known(const struct ps_svc *s, const char *page, json_t *answers)
{
    bool any = false;
    for (size_t i = 0; i < s->nfields; i++) {
        const struct ps_svc_field *f = &s->fields[i];
        if (!ps_svcform_on_page(f, page))
            continue;
        if (!f->prefill.prog || !json_object_get(answers, f->name))
            return false;
        any = true;
    }
    return any;
}

/* ---- reading a posted page ---- */

/* The first value posted under name, ASCII spaces trimmed; p NULL when absent. */
static struct ps_str posted(const struct ps_form_pair *p, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        if (!ps_str_eq_cstr(p[i].name, name))
            continue;
        struct ps_str v = p[i].value;
        while (v.len && v.p[0] == ' ')
            v.p++, v.len--;
        while (v.len && v.p[v.len - 1] == ' ')
            v.len--;
        return v.p ? v : PS_STR("");
    }
    return PS_STR_NULL;
}

static json_t *str_json(struct ps_str s)
{
    return json_stringn(s.p, s.len);
}

/* A number as typed when it reads as one (an integer when it is whole), else the text. */
static json_t *number_json(struct ps_str s)
{
    char buf[64], *end = NULL;
    if (ps_str_copy(buf, sizeof buf, s) != PS_OK)
        return str_json(s);
    double x = strtod(buf, &end);
    if (end == buf || *end || !isfinite(x))
        return str_json(s);
    if (x == floor(x) && fabs(x) < 9007199254740992.0)
        return json_integer((json_int_t)x);
    return json_real(x);
}

/* Day, month and year as "YYYY-MM-DD" (zero-padded when they are digits; as typed
 * otherwise, for the engine to refuse). */
static json_t *date_json(struct ps_str d, struct ps_str m, struct ps_str y)
{
    char buf[64];
    int k;
    bool digits = ps_str_is_digits(d) && ps_str_is_digits(m) && ps_str_is_digits(y) && d.len <= 2 &&
                  m.len <= 2 && y.len == 4;
    if (digits)
        k = snprintf(buf, sizeof buf, "%.*s-%s%.*s-%s%.*s", PS_STR_FMT(y), m.len == 1 ? "0" : "",
                     PS_STR_FMT(m), d.len == 1 ? "0" : "", PS_STR_FMT(d));
    else
        k = snprintf(buf, sizeof buf, "%.*s-%.*s-%.*s", PS_STR_FMT(y), PS_STR_FMT(m),
                     PS_STR_FMT(d));
    if (k < 0 || (size_t)k >= sizeof buf)
        return json_string("-"); /* longer than any date: refused as one */
    return json_stringn(buf, (size_t)k);
}

/* The value posted for field f whose inputs are named id...; NULL when nothing was entered. */
static json_t *value_of(const struct ps_svc_field *f, const char *id, const struct ps_form_pair *p,
                        size_t n)
{
    char name[PS_SVCFORM_ID_MAX + 16];
    if (f->type == PS_SVC_DATE || f->type == PS_SVC_ADDRESS) {
        struct ps_str part[NADDRESS];
        size_t np = f->type == PS_SVC_DATE ? 3 : NADDRESS;
        bool any = false;
        static const char *const dmy[] = {"day", "month", "year"};
        for (size_t i = 0; i < np; i++) {
            PS_SVCFORM_FMT(name, "%s-%s", id, f->type == PS_SVC_DATE ? dmy[i] : address_parts[i]);
            part[i] = posted(p, n, name);
            if (!part[i].p)
                part[i] = PS_STR("");
            any = any || part[i].len;
        }
        if (!any)
            return NULL;
        if (f->type == PS_SVC_DATE)
            return date_json(part[0], part[1], part[2]);
        json_t *o = json_object();
        for (size_t i = 0; o && i < NADDRESS; i++)
            json_object_set_new(o, address_parts[i], str_json(part[i]));
        return o;
    }
    struct ps_str v = posted(p, n, id);
    if (!v.len)
        return NULL;
    if (f->type == PS_SVC_NUMBER)
        return number_json(v);
    if (f->type == PS_SVC_BOOLEAN)
        return ps_str_eq_cstr(v, "yes")  ? json_true()
               : ps_str_eq_cstr(v, "no") ? json_false()
                                         : str_json(v);
    return str_json(v);
}

/* A list's rows posted as id-N-ITEM; rows with nothing entered are dropped. */
static json_t *list_of(const struct ps_svc_field *f, const char *id, const struct ps_form_pair *p,
                       size_t n)
{
    json_t *arr = json_array();
    char item_id[PS_SVCFORM_ID_MAX + 16];
    for (uint32_t i = 0; arr && i < f->max_items; i++) {
        json_t *item = json_object();
        for (size_t k = 0; item && k < f->nitems; k++) {
            PS_SVCFORM_FMT(item_id, "%s-%u-%s", id, i, f->items[k].name);
            json_t *v = value_of(&f->items[k], item_id, p, n);
            if (v)
                json_object_set_new(item, f->items[k].name, v);
        }
        if (item && json_object_size(item))
            json_array_append(arr, item);
        json_decref(item);
    }
    return arr;
}

/* "_action": a new empty row ("add-NAME") or a row removed ("remove-NAME-N"). */
static void list_action(const struct ps_svc_field *f, json_t *list, struct ps_str action)
{
    char want[PS_SVC_NAME_MAX + 16];
    PS_SVCFORM_FMT(want, "add-%s", f->name);
    if (ps_str_eq_cstr(action, want)) {
        if (json_array_size(list) < f->max_items)
            json_array_append_new(list, json_object());
        return;
    }
    int k = PS_SVCFORM_FMT(want, "remove-%s-", f->name);
    struct ps_str idx = {action.p + k, action.len - (size_t)k};
    uint64_t i = 0;
    if (k > 0 && action.len > (size_t)k && ps_str_starts_with(action, ps_str_from_cstr(want)) &&
        ps_str_to_u64(idx, &i) == PS_OK && i < json_array_size(list))
        json_array_remove(list, (size_t)i);
}

enum ps_err ps_svcform_read(const struct ps_svc_field *fields, size_t n, const char *page,
                            const struct ps_form_pair *pairs, size_t npairs, json_t *answers,
                            struct ps_diag *diag)
{
    char id[PS_SVCFORM_ID_MAX];
    struct ps_str action = posted(pairs, npairs, "_action");
    for (size_t i = 0; i < n; i++) {
        const struct ps_svc_field *f = &fields[i];
        if (page && !ps_svcform_on_page(f, page))
            continue;
        PS_SVCFORM_FMT(id, "f-%s", f->name);
        json_t *v =
            f->type == PS_SVC_LIST ? list_of(f, id, pairs, npairs) : value_of(f, id, pairs, npairs);
        if (f->type == PS_SVC_LIST && v && action.p)
            list_action(f, v, action);
        if (f->type == PS_SVC_LIST && v && json_array_size(v) == 0) {
            json_decref(v);
            v = NULL;
        }
        if (!v) {
            json_object_del(answers, f->name);
            continue;
        }
        if (json_object_set_new(answers, f->name, v) != 0)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    return PS_OK;
}

/* ---- errors ---- */

const char *ps_svcform_error_text(const struct ps_form_error *e, enum ps_lang lang)
{
    return lang == PS_LANG_EN ? e->en : e->uk;
}

static const struct ps_svc_field *field_named(const struct ps_svc_field *fields, size_t n,
                                              struct ps_str name)
{
    for (size_t i = 0; i < n; i++)
        if (ps_str_eq_cstr(name, fields[i].name))
            return &fields[i];
    return NULL;
}

/* The id of the first input of field f (named id). */
static const char *first_input(const struct ps_svc_field *f, const char *id, struct ps_arena *a)
{
    switch (f->type) {
    case PS_SVC_DATE:
        return ps_arena_printf(a, "%s-day", id);
    case PS_SVC_ADDRESS:
        return ps_arena_printf(a, "%s-oblast", id);
    case PS_SVC_ENUM:
        return f->noptions <= RADIOS_MAX ? ps_arena_printf(a, "%s-0", id) : id;
    case PS_SVC_BOOLEAN:
    case PS_SVC_SLOT:
        return ps_arena_printf(a, "%s-0", id);
    case PS_SVC_LIST:
        return f->nitems ? first_input(&f->items[0],
                                       ps_arena_printf(a, "%s-0-%s", id, f->items[0].name), a)
                         : id;
    default:
        return id;
    }
}

const char *ps_svcform_error_id(const struct ps_svc_field *fields, size_t n, const char *path,
                                struct ps_arena *a)
{
    if (!n)
        return "main";
    struct ps_str p = ps_str_from_cstr(path);
    size_t cut = 0;
    while (cut < p.len && p.p[cut] != '[')
        cut++;
    const struct ps_svc_field *f = field_named(fields, n, (struct ps_str){p.p, cut});
    if (!f)
        f = &fields[0];
    char *id = ps_arena_printf(a, "f-%s", f->name);
    if (!id || cut == p.len || f->type != PS_SVC_LIST || !f->nitems)
        return id ? first_input(f, id, a) : NULL;
    /* "list[i]" or "list[i].item" */
    size_t close = cut;
    while (close < p.len && p.p[close] != ']')
        close++;
    struct ps_str idx = {p.p + cut + 1, close > cut ? close - cut - 1 : 0};
    const struct ps_svc_field *item = &f->items[0];
    if (close + 2 < p.len && p.p[close + 1] == '.')
        item =
            field_named(f->items, f->nitems, (struct ps_str){p.p + close + 2, p.len - close - 2});
    if (!item)
        item = &f->items[0];
    char *iid = ps_arena_printf(a, "%s-%.*s-%s", id, PS_STR_FMT(idx), item->name);
    return iid ? first_input(item, iid, a) : NULL;
}

/* The engine's message for exactly path, or NULL. */
static const char *error_at(const struct ps_svcform_view *v, const char *path)
{
    for (size_t i = 0; i < v->nerrs; i++)
        if (strcmp(v->errs[i].field, path) == 0)
            return ps_svcform_error_text(&v->errs[i], v->lang);
    return NULL;
}

/* The message of a whole question: its own, or an item's rule ("list[i]" without ".x"). */
static const char *question_error(const struct ps_svc_field *f, const struct ps_svcform_view *v)
{
    const char *own = error_at(v, f->name);
    size_t len = strlen(f->name);
    for (size_t i = 0; !own && i < v->nerrs; i++) {
        const char *p = v->errs[i].field;
        if (strncmp(p, f->name, len) == 0 && p[len] == '[' && !strchr(p + len, '.'))
            own = ps_svcform_error_text(&v->errs[i], v->lang);
    }
    return own;
}

/* ---- questions ---- */

static struct ps_str cs(const char *s)
{
    return ps_str_from_cstr(s);
}

/* A value as the input shows it: text as it is, a number printed, else "". */
static struct ps_str shown(json_t *v, struct ps_arena *a)
{
    if (json_is_string(v))
        return (struct ps_str){json_string_value(v), json_string_length(v)};
    if (json_is_integer(v))
        return cs(ps_arena_printf(a, "%lld", (long long)json_integer_value(v)));
    if (json_is_real(v))
        return cs(ps_arena_printf(a, "%g", json_real_value(v)));
    return PS_STR("");
}

/* aria-describedby: the hint's id, then the error's. */
static struct ps_str described(const char *id, bool hint, bool error, struct ps_arena *a)
{
    return cs(ps_arena_printf(a, "%s%s%s%s%s", hint ? id : "", hint ? "-hint" : "",
                              hint && error ? " " : "", error ? id : "", error ? "-error" : ""));
}

/* A text-like input (components/input.html) for field f named id. */
static void input_of(const struct ps_svc_field *f, const char *id, json_t *val, const char *err,
                     const struct ps_svcform_view *v, struct ps_arena *a, struct ps_tpl_input *out)
{
    const char *hint = ps_svc_text_in(f->hint, ps_lang_code(v->lang));
    memset(out, 0, sizeof *out);
    out->id = out->name = cs(id);
    out->label = cs(ps_svc_text_in(f->label, ps_lang_code(v->lang)));
    out->hint = cs(f->hint.uk ? hint : NULL);
    out->type = PS_STR("text");
    out->value = shown(val, a);
    out->error = cs(err);
    out->autocomplete = PS_STR("off");
    if (f->type == PS_SVC_NUMBER || f->type == PS_SVC_PERSON || f->type == PS_SVC_KVED)
        out->inputmode = f->type == PS_SVC_KVED ? PS_STR("decimal") : PS_STR("numeric");
    if (f->type == PS_SVC_PERSON || f->type == PS_SVC_KVED)
        out->width = PS_STR("10");
    out->describedby = described(id, f->hint.uk != NULL, err != NULL, a);
}

static enum ps_err radios(struct ps_tpl_question *q, const char *id, size_t n, struct ps_arena *a)
{
    struct ps_tpl_question_options *o = ps_arena_array(a, n ? n : 1, sizeof *o);
    if (!o)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        o[i].id = cs(ps_arena_printf(a, "%s-%zu", id, i));
    q->options = o;
    q->noptions = n;
    return PS_OK;
}

static enum ps_err choices(const struct ps_svc_field *f, json_t *val,
                           const struct ps_svcform_view *v, struct ps_arena *a,
                           struct ps_tpl_question *q)
{
    const char *id = q->id.p;
    size_t n = f->type == PS_SVC_ENUM ? f->noptions : f->type == PS_SVC_BOOLEAN ? 2 : v->nslots;
    if (radios(q, id, n, a) != PS_OK)
        return PS_ERR_NOMEM;
    struct ps_tpl_question_options *o = (struct ps_tpl_question_options *)q->options;
    const char *cur = json_string_value(val);
    for (size_t i = 0; i < n; i++) {
        if (f->type == PS_SVC_ENUM) {
            o[i].value = cs(f->options[i].value);
            o[i].label = cs(ps_svc_text_in(f->options[i].label, ps_lang_code(v->lang)));
            o[i].checked = cur && strcmp(cur, f->options[i].value) == 0;
        } else if (f->type == PS_SVC_BOOLEAN) {
            o[i].value = i == 0 ? PS_STR("yes") : PS_STR("no");
            o[i].label = cs(ps_i18n(v->lang, i == 0 ? N_("Yes") : N_("No")));
            o[i].checked = i == 0 ? json_is_true(val) : json_is_false(val);
        } else {
            char at[PS_I18N_TIME_MAX];
            size_t len = ps_i18n_time(v->lang, v->slots[i].starts_s, at);
            o[i].value = cs(v->slots[i].id);
            o[i].label =
                cs(ps_arena_printf(a, "%.*s (%lld %s)", (int)len, at,
                                   (long long)v->slots[i].minutes, ps_i18n(v->lang, N_("min"))));
            o[i].checked = cur && strcmp(cur, v->slots[i].id) == 0;
        }
    }
    q->is_group = f->type != PS_SVC_ENUM || f->noptions <= RADIOS_MAX;
    q->is_radios = q->is_group;
    q->is_select = !q->is_group;
    q->no_options = n == 0;
    return PS_OK;
}

static void date_parts(json_t *val, struct ps_tpl_question *q)
{
    struct ps_str s = {json_string_value(val), json_string_length(val)};
    struct ps_str part[3] = {PS_STR(""), PS_STR(""), PS_STR("")};
    for (size_t k = 0, start = 0, i = 0; s.p && i <= s.len && k < 3; i++) {
        if (i == s.len || s.p[i] == '-') {
            part[k++] = (struct ps_str){s.p + start, i - start};
            start = i + 1;
        }
    }
    q->is_group = q->is_date = true;
    q->year = part[0];
    q->month = part[1];
    q->day = part[2];
}

static enum ps_err address(const struct ps_svc_field *f, json_t *val,
                           const struct ps_svcform_view *v, struct ps_arena *a,
                           struct ps_tpl_question *q)
{
    struct ps_tpl_input *in = ps_arena_array(a, NADDRESS, sizeof *in);
    if (!in)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < NADDRESS; i++) {
        memset(&in[i], 0, sizeof in[i]);
        in[i].id = in[i].name = cs(ps_arena_printf(a, "%s-%s", q->id.p, address_parts[i]));
        in[i].label = cs(ps_i18n(v->lang, address_labels[i]));
        in[i].type = PS_STR("text");
        in[i].value = shown(json_object_get(val, address_parts[i]), a);
        in[i].autocomplete = PS_STR("off");
        if (!in[i].id.p)
            return PS_ERR_NOMEM;
    }
    q->is_group = q->is_address = true;
    q->parts = in;
    q->nparts = NADDRESS;
    (void)f;
    return PS_OK;
}

static enum ps_err list_row(const struct ps_svc_field *f, size_t i, json_t *item,
                            const struct ps_svcform_view *v, struct ps_arena *a, const char *id,
                            struct ps_tpl_question_rows *row)
{
    struct ps_tpl_input *in = ps_arena_array(a, f->nitems, sizeof *in);
    if (!in)
        return PS_ERR_NOMEM;
    for (size_t k = 0; k < f->nitems; k++) {
        char *iid = ps_arena_printf(a, "%s-%zu-%s", id, i, f->items[k].name);
        char *path = ps_arena_printf(a, "%s[%zu].%s", f->name, i, f->items[k].name);
        if (!iid || !path)
            return PS_ERR_NOMEM;
        input_of(&f->items[k], iid, json_object_get(item, f->items[k].name), error_at(v, path), v,
                 a, &in[k]);
    }
    char num[PS_I18N_NUM_MAX];
    size_t len = ps_i18n_num(v->lang, i + 1, num);
    struct ps_i18n_arg arg = {"n", {num, len}};
    row->legend = ps_i18n_fill(a, ps_i18n(v->lang, N_("Item {n}")), &arg, 1);
    row->inputs = in;
    row->ninputs = f->nitems;
    row->remove = cs(ps_arena_printf(a, "remove-%s-%zu", f->name, i));
    return row->legend.p && row->remove.p ? PS_OK : PS_ERR_NOMEM;
}

static enum ps_err list(const struct ps_svc_field *f, json_t *val, const struct ps_svcform_view *v,
                        struct ps_arena *a, struct ps_tpl_question *q)
{
    size_t n = json_array_size(val), shown_rows = n ? n : 1;
    struct ps_tpl_question_rows *rows = ps_arena_array(a, shown_rows, sizeof *rows);
    if (!rows)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < shown_rows; i++)
        if (list_row(f, i, json_array_get(val, i), v, a, q->id.p, &rows[i]) != PS_OK)
            return PS_ERR_NOMEM;
    q->is_group = q->is_list = true;
    q->rows = rows;
    q->nrows = shown_rows;
    q->can_add = shown_rows < f->max_items;
    q->add = cs(ps_arena_printf(a, "add-%s", f->name));
    return q->add.p ? PS_OK : PS_ERR_NOMEM;
}

static enum ps_err question(const struct ps_svc_field *f, const struct ps_svcform_view *v,
                            struct ps_arena *a, struct ps_tpl_question *q)
{
    json_t *val = json_object_get(v->answers, f->name);
    const char *id = ps_arena_printf(a, "f-%s", f->name), *err = question_error(f, v);
    if (!id)
        return PS_ERR_NOMEM;
    memset(q, 0, sizeof *q);
    q->id = cs(id);
    q->label = cs(ps_svc_text_in(f->label, ps_lang_code(v->lang)));
    q->hint = cs(f->hint.uk ? ps_svc_text_in(f->hint, ps_lang_code(v->lang)) : NULL);
    q->error = cs(err);
    q->describedby = described(id, f->hint.uk != NULL, err != NULL, a);
    switch (f->type) {
    case PS_SVC_ENUM:
    case PS_SVC_BOOLEAN:
    case PS_SVC_SLOT:
        return choices(f, val, v, a, q);
    case PS_SVC_DATE:
        date_parts(val, q);
        return PS_OK;
    case PS_SVC_ADDRESS:
        return address(f, val, v, a, q);
    case PS_SVC_LIST:
        return list(f, val, v, a, q);
    default: {
        struct ps_tpl_input in;
        input_of(f, id, val, err, v, a, &in);
        q->value = in.value;
        q->inputmode = in.inputmode;
        q->width = in.width;
        return PS_OK;
    }
    }
}

enum ps_err ps_svcform_questions(const struct ps_svc_field *fields, size_t n, const char *page,
                                 const struct ps_svcform_view *v, struct ps_arena *a,
                                 struct ps_tpl_question **out, size_t *nout)
{
    struct ps_tpl_question *q = ps_arena_array(a, n ? n : 1, sizeof *q);
    *nout = 0;
    if (!q)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if (page && !ps_svcform_on_page(&fields[i], page))
            continue;
        if (question(&fields[i], v, a, &q[*nout]) != PS_OK)
            return PS_ERR_NOMEM;
        ++*nout;
    }
    *out = q;
    return PS_OK;
}

/* ---- answers worded ---- */

struct wording {
    const struct ps_svcform_view *v;
    const struct ps_engine_env *env;
    struct ps_arena *a;
};

static const char *word(const struct wording *w, const struct ps_svc_field *f, json_t *val);

static const char *word_date(const struct wording *w, json_t *val)
{
    struct ps_date d;
    struct ps_diag dg;
    char out[PS_I18N_DATE_MAX];
    struct ps_str s = {json_string_value(val), json_string_length(val)};
    if (!s.p || ps_date_parse(s, &d, &dg) != PS_OK)
        return s.p ? ps_arena_cstr(w->a, s) : "";
    size_t n = ps_i18n_date(w->v->lang, d, out);
    return ps_arena_strndup(w->a, out, n);
}

static const char *word_enum(const struct wording *w, const struct ps_svc_field *f, json_t *val)
{
    const char *cur = json_string_value(val);
    for (size_t i = 0; cur && i < f->noptions; i++)
        if (strcmp(cur, f->options[i].value) == 0)
            return ps_svc_text_in(f->options[i].label, ps_lang_code(w->v->lang));
    return cur ? cur : "";
}

static const char *word_slot(const struct wording *w, json_t *val)
{
    const char *cur = json_string_value(val);
    for (size_t i = 0; cur && i < w->v->nslots; i++) {
        if (strcmp(cur, w->v->slots[i].id) != 0)
            continue;
        char at[PS_I18N_TIME_MAX];
        size_t n = ps_i18n_time(w->v->lang, w->v->slots[i].starts_s, at);
        return ps_arena_strndup(w->a, at, n);
    }
    return cur ? cur : "";
}

static const char *word_kved(const struct wording *w, json_t *val)
{
    const char *title = NULL, *code = json_string_value(val);
    struct ps_str s = {code, json_string_length(val)};
    if (code && w->env && ps_engine_kved(w->env, s, &title) && title)
        return ps_arena_printf(w->a, "%s %s", code, title);
    return code ? code : "";
}

/* Several values on one line, ", " between: an address's parts, a list item's fields. */
static const char *word_item(const struct wording *w, const struct ps_svc_field *items, size_t n,
                             json_t *obj)
{
    const char *line = "";
    for (size_t k = 0; k < n && line; k++) {
        json_t *v = json_object_get(obj, items ? items[k].name : address_parts[k]);
        const char *s = items ? word(w, &items[k], v) : json_string_value(v);
        if (s && *s)
            line = ps_arena_printf(w->a, "%s%s%s", line, *line ? ", " : "", s);
    }
    return line;
}

static const char *word(const struct wording *w, const struct ps_svc_field *f, json_t *val)
{
    if (!val || json_is_null(val))
        return "";
    switch (f->type) {
    case PS_SVC_DATE:
        return word_date(w, val);
    case PS_SVC_ENUM:
        return word_enum(w, f, val);
    case PS_SVC_BOOLEAN:
        return ps_i18n(w->v->lang, json_is_true(val) ? N_("Yes") : N_("No"));
    case PS_SVC_SLOT:
        return word_slot(w, val);
    case PS_SVC_KVED:
        return word_kved(w, val);
    case PS_SVC_ADDRESS:
        return word_item(w, NULL, NADDRESS, val);
    default:
        return shown(val, w->a).p ? ps_arena_cstr(w->a, shown(val, w->a)) : "";
    }
}

static enum ps_err answer_row(const struct wording *w, const struct ps_svc_field *f,
                              const char *change_base, struct ps_tpl_answers_rows *row)
{
    json_t *val = json_object_get(w->v->answers, f->name);
    size_t n = f->type == PS_SVC_LIST ? json_array_size(val) : 1;
    struct ps_tpl_answers_rows_lines *l = ps_arena_array(w->a, n ? n : 1, sizeof *l);
    if (!l)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *s = f->type == PS_SVC_LIST
                            ? word_item(w, f->items, f->nitems, json_array_get(val, i))
                            : word(w, f, val);
        l[i].text = cs(s);
    }
    if (!n || (n == 1 && !l[0].text.len)) {
        l[0].text = cs(ps_i18n(w->v->lang, N_("Not answered")));
        n = 1;
    }
    memset(row, 0, sizeof *row);
    row->label = cs(ps_svc_text_in(f->label, ps_lang_code(w->v->lang)));
    row->lines = l;
    row->nlines = n;
    row->id = cs(ps_arena_printf(w->a, "change-%s", f->name));
    if (change_base)
        row->change = cs(ps_arena_printf(w->a, "%s%s", change_base, f->page ? f->page : "_"));
    return row->id.p ? PS_OK : PS_ERR_NOMEM;
}

enum ps_err ps_svcform_answers(const struct ps_svc *s, const struct ps_svcform_view *v,
                               const struct ps_engine_env *env, const char *change_base,
                               struct ps_arena *a, struct ps_tpl_answers *out)
{
    struct wording w = {v, env, a};
    struct ps_tpl_answers_rows *rows = ps_arena_array(a, s->nfields ? s->nfields : 1, sizeof *rows);
    if (!rows)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < s->nfields; i++)
        if (answer_row(&w, &s->fields[i], change_base, &rows[i]) != PS_OK)
            return PS_ERR_NOMEM;
    out->rows = rows;
    out->nrows = s->nfields;
    return PS_OK;
}

/* ---- the history ---- */

const char *ps_svcform_event_msg(struct ps_str kind, struct ps_str detail)
{
    static const struct {
        const char *kind, *detail, *msg;
    } words[] = {
        {"start", NULL, N_("Application started")},
        {"submit", NULL, N_("Application sent")},
        {"consent", "given", N_("Consent given")},
        {"consent", "refused", N_("Consent refused")},
        {"consent", "waiting", N_("Waiting for consent")},
        {"consent", "passed", N_("Consent received")},
        {"claim", NULL, N_("An official took the task")},
        {"decision", "approve", N_("An official approved it")},
        {"decision", "reject", N_("An official refused it")},
        {"decision", "waiting", N_("Waiting for an official’s decision")},
        {"decision", "passed", N_("Decision recorded")},
        {"decision", "failed", N_("Decision recorded")},
        {"check", "passed", N_("Checks passed")},
        {"check", "failed", N_("Checks failed")},
        {"fee", NULL, N_("State fee recorded as due")},
        {"appointment", NULL, N_("Time booked")},
        {"outcome", "approved", N_("Completed")},
        {"outcome", "rejected", N_("Refused")},
    };
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (ps_str_eq_cstr(kind, words[i].kind) &&
            (!words[i].detail || ps_str_eq_cstr(detail, words[i].detail)))
            return words[i].msg;
    return NULL;
}

const char *ps_svcform_status_msg(struct ps_str status)
{
    if (ps_str_eq_cstr(status, "draft"))
        return N_("Draft");
    if (ps_str_eq_cstr(status, "waiting"))
        return N_("Waiting");
    if (ps_str_eq_cstr(status, "approved"))
        return N_("Approved");
    if (ps_str_eq_cstr(status, "rejected"))
        return N_("Rejected");
    return N_("In progress");
}
