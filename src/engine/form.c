/* Eligibility, the form's validation and prefill (flow.h). Validation collects every failure
 * at once (the citizen fixes them all in one go): type and shape per field first, then the
 * field's own rules, then the rules across fields once every field passed. An expression that
 * runs out of its cost budget stops the whole validation (PS_ERR_LIMIT): a runaway rule is
 * the definition's fault, not the citizen's. */
#include <math.h>
#include <string.h>

#include "core/ids.h"
#include "engine/flow.h"
#include "registries/date.h"
#include "registries/rnokpp.h"

const struct ps_svc_text ps_flow_msg_required = {"Це поле обов'язкове",
                                                 "This field is required"};
const struct ps_svc_text ps_flow_msg_unknown = {"Такого питання у формі немає",
                                                "This form has no such question"};
static const struct ps_svc_text msg_type[] = {
    [PS_SVC_TEXT] = {"Введіть текст", "Enter text"},
    [PS_SVC_NUMBER] = {"Введіть число", "Enter a number"},
    [PS_SVC_DATE] = {"Введіть дату у форматі РРРР-ММ-ДД", "Enter a date as YYYY-MM-DD"},
    [PS_SVC_ENUM] = {"Оберіть один із варіантів", "Choose one of the options"},
    [PS_SVC_BOOLEAN] = {"Оберіть так або ні", "Choose yes or no"},
    [PS_SVC_ADDRESS] = {"Вкажіть повну адресу: область, громаду, населений пункт, вулицю, "
                        "будинок",
                        "Enter the full address: oblast, hromada, settlement, street, "
                        "building"},
    [PS_SVC_KVED] = {"Такого коду КВЕД-2010 немає", "No such KVED-2010 code"},
    [PS_SVC_LIST] = {"Забагато або неправильні елементи списку",
                     "Too many items, or items of the wrong shape"},
    [PS_SVC_PERSON] = {"Неправильний РНОКПП (ІПН)", "Not a valid taxpayer number (RNOKPP)"},
    [PS_SVC_SLOT] = {"Оберіть час із запропонованих", "Choose one of the times offered"},
};
static const struct ps_svc_text msg_long = {"Занадто довгий текст", "The text is too long"};
static const struct ps_svc_text msg_range = {"Число поза дозволеними межами",
                                             "The number is out of range"};

enum ps_err ps_flow_vars(struct ps_flow_vars *vars, json_t *applicant, json_t *answers,
                         json_t *facts, const struct ps_engine_host *host,
                         struct ps_arena *arena, struct ps_diag *diag)
{
    struct ps_cel_diag cd = {0};
    json_t *in[3] = {applicant, answers, facts};
    const enum ps_engine_var slot[3] = {PS_EV_APPLICANT, PS_EV_ANSWERS, PS_EV_FACTS};
    memset(vars, 0, sizeof *vars);
    enum ps_err e = PS_OK;
    for (int i = 0; e == PS_OK && i < 3; i++)
        e = in[i] && json_object_size(in[i])
                ? ps_cel_from_json(arena, in[i], 0, 12, &vars->v[slot[i]], &cd)
                : ps_cel_map_new(arena, NULL, NULL, 0, &vars->v[slot[i]], &cd);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "the values for expressions: %s", cd.message);
    struct ps_str today = ps_arena_str(arena, ps_str_from_cstr(host->today));
    if (!today.p)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    vars->v[PS_EV_TODAY] = ps_cel_string(today);
    return PS_OK;
}

static enum ps_err add(struct ps_form_error *errs, size_t cap, size_t *n, const char *field,
                       struct ps_svc_text t, struct ps_diag *diag)
{
    if (!field)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    if (*n == cap)
        return ps_diag_set(diag, PS_ERR_LIMIT, "more than %zu failures", cap);
    errs[(*n)++] = (struct ps_form_error){field, t.uk, t.en};
    return PS_OK;
}

/* One rule: *ok false when it is false or fails. Cost and look-up failures are errors. */
static enum ps_err rule_holds(const struct ps_svc_rule *r, const struct ps_cel_value *vals,
                              struct ps_engine_host *host, struct ps_arena *arena, bool *ok,
                              struct ps_diag *diag)
{
    struct ps_cel_value out;
    struct ps_cel_diag cd = {0};
    enum ps_err e = ps_engine_eval(r->expr.prog, vals, host, arena, &out, &cd);
    *ok = e == PS_OK && out.kind == PS_CEL_BOOL && out.v.b;
    if (e == PS_OK || e == PS_ERR_INVALID)
        return PS_OK;
    if (host->failure.code != PS_OK)
        return ps_diag_set(diag, host->failure.code, "%s", host->failure.message);
    return ps_diag_set(diag, e, "rule at line %u: %s", r->expr.line, cd.message);
}

enum ps_err ps_flow_eligible(const struct ps_svc *svc, const struct ps_flow_vars *vars,
                             struct ps_engine_host *host, struct ps_arena *arena,
                             struct ps_form_error *errs, size_t cap, size_t *n,
                             struct ps_diag *diag)
{
    *n = 0;
    for (size_t i = 0; i < svc->neligibility; i++) {
        bool ok = false;
        enum ps_err e = rule_holds(&svc->eligibility[i], vars->v, host, arena, &ok, diag);
        if (e == PS_OK && !ok)
            e = add(errs, cap, n, "", svc->eligibility[i].message, diag);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

/* ---- shapes ---- */

static bool text_ok(json_t *v)
{
    const char *s = json_string_value(v);
    for (size_t i = 0; s && i < json_string_length(v); i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
            return false;
    return s != NULL;
}

static bool address_ok(json_t *v)
{
    static const char *const parts[] = {"oblast", "hromada", "settlement", "street", "building"};
    if (!json_is_object(v) || json_object_size(v) != 5)
        return false;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        json_t *p = json_object_get(v, parts[i]);
        if (!text_ok(p) || json_string_length(p) == 0 || json_string_length(p) > 200)
            return false;
    }
    return true;
}

static bool date_ok(json_t *v)
{
    struct ps_date d;
    struct ps_diag dg;
    return json_is_string(v) &&
           ps_date_parse((struct ps_str){json_string_value(v), json_string_length(v)}, &d,
                         &dg) == PS_OK;
}

/* The shape of v for f; *why the reason when it is wrong (NULL when right). */
static const struct ps_svc_text *shape(const struct ps_svc *svc, const struct ps_svc_field *f,
                                       json_t *v, struct ps_engine_host *host)
{
    struct ps_str s = {json_string_value(v), json_string_length(v)};
    struct ps_diag d;
    struct ps_uuid u;
    switch (f->type) {
    case PS_SVC_TEXT:
        if (!text_ok(v))
            return &msg_type[f->type];
        return s.len > f->max_len ? &msg_long : NULL;
    case PS_SVC_NUMBER: {
        if (!json_is_number(v))
            return &msg_type[f->type];
        double x = json_number_value(v);
        return (f->has_min && x < f->min) || (f->has_max && x > f->max) ? &msg_range : NULL;
    }
    case PS_SVC_DATE:
        return date_ok(v) ? NULL : &msg_type[f->type];
    case PS_SVC_ENUM:
        for (size_t i = 0; s.p && i < f->noptions; i++)
            if (ps_str_eq_cstr(s, f->options[i].value))
                return NULL;
        return &msg_type[f->type];
    case PS_SVC_BOOLEAN:
        return json_is_boolean(v) ? NULL : &msg_type[f->type];
    case PS_SVC_ADDRESS:
        return address_ok(v) ? NULL : &msg_type[f->type];
    case PS_SVC_KVED:
        return s.p && ps_engine_kved(host->env, s, NULL) ? NULL : &msg_type[f->type];
    case PS_SVC_LIST:
        return json_is_array(v) && json_array_size(v) <= f->max_items ? NULL
                                                                     : &msg_type[f->type];
    case PS_SVC_PERSON:
        return s.p && ps_rnokpp_validate(s, NULL, &d) == PS_OK ? NULL : &msg_type[f->type];
    case PS_SVC_SLOT:
        return s.p && ps_uuid_parse(s, &u) ? NULL : &msg_type[f->type];
    }
    (void)svc;
    return &msg_type[0];
}

static bool absent(json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0);
}

struct vctx {
    const struct ps_svc *svc;
    const char *list;   /* in a list item: the list's name (NULL: the top) */
    size_t idx;         /* and the item's index */
    struct ps_cel_value vals[PS_EV_COUNT];
    struct ps_engine_host *host;
    struct ps_arena *arena;
    struct ps_form_error *errs;
    size_t cap, *n;
    struct ps_diag *diag;
};

static enum ps_err fields_of(struct vctx *c, const struct ps_svc_field *fields, size_t nfields,
                             json_t *obj, struct ps_cel_value map);

/* The path of name in the object being validated ("name", "list[2].name"); NULL on memory
 * (add() then fails). Built only for a failure. */
static const char *path_of(struct vctx *c, const char *name)
{
    return c->list ? ps_arena_printf(c->arena, "%s[%zu].%s", c->list, c->idx, name) : name;
}

static enum ps_err field_rules(struct vctx *c, const struct ps_svc_field *f,
                               struct ps_cel_value v, const char *name)
{
    c->vals[PS_EV_VALUE] = v;
    for (size_t r = 0; r < f->nrules; r++) {
        bool ok = false;
        enum ps_err e = rule_holds(&f->rules[r], c->vals, c->host, c->arena, &ok, c->diag);
        if (e == PS_OK && !ok)
            e = add(c->errs, c->cap, c->n, path_of(c, name), f->rules[r].message, c->diag);
        if (e != PS_OK)
            return e;
    }
    c->vals[PS_EV_VALUE] = (struct ps_cel_value){0};
    return PS_OK;
}

static enum ps_err list_items(struct vctx *c, const struct ps_svc_field *f, json_t *v,
                              struct ps_cel_value cv, const char *name)
{
    size_t i;
    json_t *item;
    json_array_foreach(v, i, item) {
        if (!json_is_object(item) || cv.kind != PS_CEL_LIST || i >= cv.n ||
            cv.v.items[i].kind != PS_CEL_MAP) {
            const char *p = ps_arena_printf(c->arena, "%s[%zu]", name, i);
            enum ps_err e = add(c->errs, c->cap, c->n, p, msg_type[PS_SVC_LIST], c->diag);
            if (e != PS_OK)
                return e;
            continue;
        }
        c->vals[PS_EV_ITEM] = cv.v.items[i];
        c->list = name;
        c->idx = i;
        enum ps_err e = fields_of(c, f->items, f->nitems, item, cv.v.items[i]);
        c->list = NULL;
        c->vals[PS_EV_ITEM] = (struct ps_cel_value){0};
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

static enum ps_err one_field(struct vctx *c, const struct ps_svc_field *f, json_t *v,
                             struct ps_cel_value cv, const char *name)
{
    if (absent(v))
        return f->required ? add(c->errs, c->cap, c->n, path_of(c, name), ps_flow_msg_required,
                                 c->diag)
                           : PS_OK;
    const struct ps_svc_text *why = shape(c->svc, f, v, c->host);
    if (why)
        return add(c->errs, c->cap, c->n, path_of(c, name), *why, c->diag);
    size_t before = *c->n;
    enum ps_err e = f->type == PS_SVC_LIST ? list_items(c, f, v, cv, name) : PS_OK;
    if (e == PS_OK && *c->n == before && f->nrules)
        e = field_rules(c, f, cv, name);
    return e;
}

/* obj (JSON) and its CEL twin map: unknown keys, then each field. */
static enum ps_err fields_of(struct vctx *c, const struct ps_svc_field *fields, size_t nfields,
                             json_t *obj, struct ps_cel_value map)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool known = false;
        for (size_t i = 0; i < nfields && !known; i++)
            known = strcmp(fields[i].name, key) == 0;
        if (!known) {
            enum ps_err e = add(c->errs, c->cap, c->n, path_of(c, key), ps_flow_msg_unknown,
                                c->diag);
            if (e != PS_OK)
                return e;
        }
    }
    for (size_t i = 0; i < nfields; i++) {
        const struct ps_svc_field *f = &fields[i];
        struct ps_cel_value cv = {0};
        if (map.kind == PS_CEL_MAP)
            ps_cel_map_get_str(map.v.map, ps_str_from_cstr(f->name), &cv);
        enum ps_err e = one_field(c, f, json_object_get(obj, f->name), cv, f->name);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

enum ps_err ps_flow_validate(const struct ps_svc *svc, const struct ps_svc_field *fields,
                             size_t nfields, const struct ps_svc_rule *rules, size_t nrules,
                             json_t *answers, const struct ps_flow_vars *vars,
                             struct ps_engine_host *host, struct ps_arena *arena,
                             struct ps_form_error *errs, size_t cap, size_t *n,
                             struct ps_diag *diag)
{
    struct vctx c = {.svc = svc, .host = host, .arena = arena, .errs = errs, .cap = cap,
                     .n = n, .diag = diag};
    memcpy(c.vals, vars->v, sizeof c.vals);
    *n = 0;
    if (!json_is_object(answers))
        return add(errs, cap, n, "", msg_type[PS_SVC_LIST], diag);
    /* the answers' CEL twin: the form's own values, or a consent's made here */
    struct ps_cel_value map = vars->v[PS_EV_ANSWERS];
    struct ps_cel_diag cd = {0};
    if (fields != svc->fields &&
        ps_cel_from_json(arena, answers, 0, 12, &map, &cd) != PS_OK)
        return ps_diag_set(diag, PS_ERR_LIMIT, "answers: %s", cd.message);
    enum ps_err e = fields_of(&c, fields, nfields, answers, map);
    for (size_t i = 0; e == PS_OK && *n == 0 && i < nrules; i++) {
        bool ok = false;
        e = rule_holds(&rules[i], c.vals, host, arena, &ok, diag);
        if (e == PS_OK && !ok)
            e = add(errs, cap, n, "", rules[i].message, diag);
    }
    return e;
}

enum ps_err ps_flow_prefill(const struct ps_svc *svc, json_t *answers,
                            const struct ps_flow_vars *vars, struct ps_engine_host *host,
                            struct ps_arena *arena, struct ps_diag *diag)
{
    for (size_t i = 0; i < svc->nfields; i++) {
        const struct ps_svc_field *f = &svc->fields[i];
        if (!f->prefill.prog || !absent(json_object_get(answers, f->name)))
            continue;
        struct ps_cel_value out;
        struct ps_cel_diag cd = {0};
        enum ps_err e = ps_engine_eval(f->prefill.prog, vars->v, host, arena, &out, &cd);
        if (e == PS_ERR_INVALID)
            continue; /* nothing known: the citizen answers */
        json_t *j = NULL;
        if (e == PS_OK)
            e = ps_cel_to_json(out, 12, &j, &cd);
        if (e == PS_OK && json_object_set_new(answers, f->name, j) != 0)
            e = PS_ERR_NOMEM;
        if (e != PS_OK)
            return ps_diag_set(diag, e, "prefill of %s: %s", f->name, cd.message);
    }
    return PS_OK;
}
