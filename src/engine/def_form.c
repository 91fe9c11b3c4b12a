/* The form part of a definition: fields of ten types with their labels, hints, pages, limits,
 * options, list items, prefill and rules (def_int.h ps_ld_fields). */
#include <string.h>

#include "engine/def_int.h"

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
    if (lo && (e = ps_ld_number(ld, lo, "min", &f->min)) == PS_OK)
        f->has_min = true;
    if (e == PS_OK && hi && (e = ps_ld_number(ld, hi, "max", &f->max)) == PS_OK)
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

