/* JSON of the service engine's objects (services_render.h). Both languages are always
 * given for texts the definition carries; a problem's "detail" is in the request's. */
#include "api/services_render.h"

#include <jansson.h>
#include <string.h>

#include "core/clock.h"

const char *ps_api_lang(struct ps_req *req)
{
    struct ps_str q = ps_req_query(req, "lang");
    if (q.p)
        return ps_str_eq_cstr(q, "en") ? "en" : "uk";
    struct ps_str al = ps_req_header(req, "Accept-Language");
    if (al.len >= 2 && (al.p[0] == 'e' || al.p[0] == 'E') && (al.p[1] == 'n' || al.p[1] == 'N'))
        return "en";
    return "uk";
}

static void text(struct ps_jw *w, const char *key, struct ps_svc_text t)
{
    if (!t.uk)
        return;
    ps_jw_key(w, key);
    ps_jw_obj(w);
    ps_jw_kcstr(w, "uk", t.uk);
    ps_jw_kcstr(w, "en", t.en);
    ps_jw_obj_end(w);
}

static void time_key(struct ps_jw *w, const char *key, int64_t ms)
{
    char t[25];
    if (ms <= 0)
        return;
    ps_clock_fmt_rfc3339(ms, t);
    ps_jw_kcstr(w, key, t);
}

void ps_api_svc_summary_json(struct ps_jw *w, const struct ps_svc *s)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "id", s->id);
    ps_jw_kuint(w, "version", s->version);
    ps_jw_kcstr(w, "agency", s->agency);
    ps_jw_kcstr(w, "category", s->category);
    text(w, "title", s->title);
    text(w, "description", s->description);
    text(w, "legalBasis", s->legal_basis);
    ps_jw_obj_end(w);
}

static void fields_json(struct ps_jw *w, const struct ps_svc_field *f, size_t n);

static void field_json(struct ps_jw *w, const struct ps_svc_field *f)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "name", f->name);
    ps_jw_kcstr(w, "type", ps_svc_ftype_name(f->type));
    text(w, "label", f->label);
    text(w, "hint", f->hint);
    if (f->page)
        ps_jw_kcstr(w, "page", f->page);
    ps_jw_kbool(w, "required", f->required);
    ps_jw_kbool(w, "prefilled", f->prefill.prog != NULL);
    if (f->type == PS_SVC_TEXT)
        ps_jw_kuint(w, "maxLength", f->max_len);
    if (f->type == PS_SVC_LIST)
        ps_jw_kuint(w, "maxItems", f->max_items);
    if (f->has_min)
        ps_jw_kint(w, "min", (int64_t)f->min);
    if (f->has_max)
        ps_jw_kint(w, "max", (int64_t)f->max);
    if (f->noptions) {
        ps_jw_key(w, "options");
        ps_jw_arr(w);
        for (size_t i = 0; i < f->noptions; i++) {
            ps_jw_obj(w);
            ps_jw_kcstr(w, "value", f->options[i].value);
            text(w, "label", f->options[i].label);
            ps_jw_obj_end(w);
        }
        ps_jw_arr_end(w);
    }
    if (f->nitems) {
        ps_jw_key(w, "items");
        fields_json(w, f->items, f->nitems);
    }
    ps_jw_obj_end(w);
}

static void fields_json(struct ps_jw *w, const struct ps_svc_field *f, size_t n)
{
    ps_jw_arr(w);
    for (size_t i = 0; i < n; i++)
        field_json(w, &f[i]);
    ps_jw_arr_end(w);
}

/* The pages in the order their first field appears ("" for fields without one). */
static void pages_json(struct ps_jw *w, const struct ps_svc *s)
{
    ps_jw_key(w, "pages");
    ps_jw_arr(w);
    for (size_t i = 0; i < s->nfields; i++) {
        const char *p = s->fields[i].page ? s->fields[i].page : "";
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(s->fields[k].page ? s->fields[k].page : "", p) == 0;
        if (!seen)
            ps_jw_cstr(w, p);
    }
    ps_jw_arr_end(w);
}

static void step_json(struct ps_jw *w, const struct ps_svc_step *st)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "name", st->name);
    ps_jw_kcstr(w, "kind", ps_svc_skind_name(st->kind));
    if (st->kind == PS_SVC_DECISION || st->kind == PS_SVC_APPOINTMENT)
        ps_jw_kcstr(w, "agency", st->agency);
    if (st->kind == PS_SVC_DECISION)
        ps_jw_kcstr(w, "role", st->role);
    if (st->kind == PS_SVC_APPOINTMENT) {
        ps_jw_kcstr(w, "field", st->slot_field);
        ps_jw_kcstr(w, "slotKind", st->slot_kind);
    }
    if (st->kind == PS_SVC_CONSENT || st->kind == PS_SVC_DECISION)
        ps_jw_kuint(w, "deadlineDays", st->deadline_days);
    if (st->kind == PS_SVC_FEE) {
        ps_jw_kint(w, "amountKop", st->amount_kop);
        text(w, "purpose", st->purpose);
    }
    if (st->kind == PS_SVC_CONSENT && st->nfields) {
        ps_jw_key(w, "fields");
        fields_json(w, st->fields, st->nfields);
    }
    if (st->kind == PS_SVC_OUTCOME)
        ps_jw_kcstr(w, "result", st->approved ? "approved" : "rejected");
    ps_jw_obj_end(w);
}

void ps_api_svc_json(struct ps_jw *w, const struct ps_svc *s)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "id", s->id);
    ps_jw_kuint(w, "version", s->version);
    ps_jw_kcstr(w, "agency", s->agency);
    ps_jw_kcstr(w, "category", s->category);
    text(w, "title", s->title);
    text(w, "description", s->description);
    text(w, "legalBasis", s->legal_basis);
    ps_jw_key(w, "eligibility");
    ps_jw_arr(w);
    for (size_t i = 0; i < s->neligibility; i++) {
        ps_jw_obj(w);
        text(w, "message", s->eligibility[i].message);
        ps_jw_obj_end(w);
    }
    ps_jw_arr_end(w);
    pages_json(w, s);
    ps_jw_key(w, "fields");
    fields_json(w, s->fields, s->nfields);
    ps_jw_key(w, "steps");
    ps_jw_arr(w);
    for (size_t i = 0; i < s->nsteps; i++)
        step_json(w, &s->steps[i]);
    ps_jw_arr_end(w);
    ps_jw_obj_end(w);
}

void ps_api_task_json(struct ps_jw *w, const struct ps_app_task *t)
{
    ps_jw_obj(w);
    ps_jw_kstr(w, "id", t->id);
    ps_jw_kstr(w, "application", t->application);
    ps_jw_kstr(w, "service", t->service);
    ps_jw_kstr(w, "step", t->step);
    ps_jw_kstr(w, "kind", t->kind);
    if (t->role.len)
        ps_jw_kstr(w, "role", t->role);
    ps_jw_kstr(w, "agency", t->agency);
    if (t->oblast.len)
        ps_jw_kstr(w, "oblast", t->oblast);
    ps_jw_kbool(w, "claimed", t->claimed_by.len > 0);
    time_key(w, "due", t->due_ms);
    ps_jw_kbool(w, "overdue", t->due_ms < ps_clock_now_ms());
    time_key(w, "created", t->created_ms);
    ps_jw_obj_end(w);
}

static void raw_or_null(struct ps_jw *w, const char *key, struct ps_str json)
{
    ps_jw_key(w, key);
    if (json.len)
        ps_jw_raw(w, json);
    else
        ps_jw_null(w);
}

/* The documents the outcome issued, from facts._documents (written by the engine only):
 * type, holder, status and, once issued, the document's id. */
static void documents(struct ps_jw *w, struct ps_str facts)
{
    json_t *f = facts.len ? json_loadb(facts.p, facts.len, 0, NULL) : NULL, *d;
    size_t i;
    ps_jw_key(w, "documents");
    ps_jw_arr(w);
    json_array_foreach(json_object_get(f, "_documents"), i, d) {
        const char *keys[] = {"type", "holder", "status", "id"};
        ps_jw_obj(w);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
            json_t *v = json_object_get(d, keys[k]);
            if (json_is_string(v))
                ps_jw_kstr(w, keys[k], (struct ps_str){json_string_value(v),
                                                       json_string_length(v)});
        }
        ps_jw_obj_end(w);
    }
    ps_jw_arr_end(w);
    json_decref(f);
}

void ps_api_app_json(struct ps_jw *w, const struct ps_app_view *v)
{
    ps_jw_obj(w);
    ps_jw_kstr(w, "id", v->id);
    ps_jw_kstr(w, "service", v->service);
    ps_jw_kuint(w, "version", v->version);
    if (v->svc)
        text(w, "title", v->svc->title);
    ps_jw_kstr(w, "status", v->status);
    ps_jw_kstr(w, "step", v->step);
    raw_or_null(w, "reason", v->reason);
    raw_or_null(w, "answers", v->answers);
    time_key(w, "created", v->created_ms);
    time_key(w, "updated", v->updated_ms);
    time_key(w, "submitted", v->submitted_ms);
    ps_jw_kint(w, "feeDueKop", v->fee_due_kop);
    documents(w, v->facts);
    ps_jw_key(w, "tasks");
    ps_jw_arr(w);
    for (size_t i = 0; i < v->ntasks; i++)
        ps_api_task_json(w, &v->tasks[i]);
    ps_jw_arr_end(w);
    if (v->events) {
        ps_jw_key(w, "history");
        ps_jw_arr(w);
        for (size_t i = 0; i < v->nevents; i++) {
            const struct ps_app_event *e = &v->events[i];
            ps_jw_obj(w);
            ps_jw_kint(w, "seq", e->seq);
            time_key(w, "at", e->at_ms);
            ps_jw_kstr(w, "actor", e->actor_kind);
            ps_jw_kstr(w, "event", e->kind);
            ps_jw_kstr(w, "step", e->step);
            ps_jw_kstr(w, "detail", e->detail);
            ps_jw_obj_end(w);
        }
        ps_jw_arr_end(w);
    }
    ps_jw_obj_end(w);
}

void ps_api_app_result_json(struct ps_jw *w, const struct ps_app_result *r)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "id", r->id);
    if (r->svc) {
        ps_jw_kcstr(w, "service", r->svc->id);
        ps_jw_kuint(w, "version", r->svc->version);
    }
    ps_jw_kcstr(w, "status", r->status ? r->status : "");
    ps_jw_kcstr(w, "step", r->step ? r->step : "");
    text(w, "reason", r->reason);
    ps_jw_obj_end(w);
}

void ps_api_inbox_json(struct ps_jw *w, const struct ps_inbox_msg *m)
{
    ps_jw_obj(w);
    ps_jw_kstr(w, "id", m->id);
    if (m->application.len)
        ps_jw_kstr(w, "application", m->application);
    ps_jw_key(w, "title");
    ps_jw_obj(w);
    ps_jw_kstr(w, "uk", m->title_uk);
    ps_jw_kstr(w, "en", m->title_en);
    ps_jw_obj_end(w);
    ps_jw_key(w, "body");
    ps_jw_obj(w);
    ps_jw_kstr(w, "uk", m->body_uk);
    ps_jw_kstr(w, "en", m->body_en);
    ps_jw_obj_end(w);
    time_key(w, "at", m->at_ms);
    ps_jw_kbool(w, "read", m->read_at_ms > 0);
    ps_jw_obj_end(w);
}

void ps_api_slot_json(struct ps_jw *w, const struct ps_slot *s)
{
    ps_jw_obj(w);
    ps_jw_kstr(w, "id", s->id);
    ps_jw_kstr(w, "agency", s->agency);
    ps_jw_kstr(w, "kind", s->kind);
    if (s->oblast.len)
        ps_jw_kstr(w, "oblast", s->oblast);
    time_key(w, "starts", s->starts_ms);
    ps_jw_kint(w, "minutes", s->minutes);
    ps_jw_obj_end(w);
}

static void problem_head(struct ps_jw *w, const char *slug, const char *title, int status,
                         const char *detail, const char *instance, const char *request_id)
{
    char type[128];
    int n = snprintf(type, sizeof type, "%s%s", PS_PROBLEM_BASE, slug);
    PS_ASSERT(n > 0 && (size_t)n < sizeof type);
    ps_jw_kcstr(w, "type", type);
    ps_jw_kcstr(w, "title", title);
    ps_jw_kint(w, "status", status);
    ps_jw_kcstr(w, "detail", detail);
    ps_jw_kcstr(w, "instance", instance);
    ps_jw_kcstr(w, "requestId", request_id);
}

enum ps_err ps_api_app_answer(struct ps_buf *b, const struct ps_app_result *r, int ok_status,
                              const char *lang, const char *instance, const char *request_id,
                              int *status)
{
    struct ps_jw w;
    bool en = strcmp(lang, "en") == 0;
    ps_jw_init(&w, b);
    if (r->outcome == PS_APP_DONE) {
        *status = ok_status;
        ps_api_app_result_json(&w, r);
        return ps_jw_end(&w);
    }
    ps_jw_obj(&w);
    if (r->outcome == PS_APP_REFUSED) {
        *status = 403;
        problem_head(&w, "not-entitled", "Not entitled", 403, r->refused.message, instance,
                     request_id);
    } else {
        bool elig = r->outcome == PS_APP_NOT_ELIGIBLE;
        *status = 422;
        const char *first = r->nerrors ? (en ? r->errors[0].en : r->errors[0].uk) : "";
        problem_head(&w, elig ? "not-eligible" : "validation-failed",
                     elig ? "Not eligible" : "Validation failed", 422, first, instance,
                     request_id);
        ps_jw_key(&w, "errors");
        ps_jw_arr(&w);
        for (size_t i = 0; i < r->nerrors; i++) {
            ps_jw_obj(&w);
            ps_jw_kcstr(&w, "field", r->errors[i].field);
            ps_jw_kcstr(&w, "message", en ? r->errors[i].en : r->errors[i].uk);
            ps_jw_key(&w, "messages");
            ps_jw_obj(&w);
            ps_jw_kcstr(&w, "uk", r->errors[i].uk);
            ps_jw_kcstr(&w, "en", r->errors[i].en);
            ps_jw_obj_end(&w);
            ps_jw_obj_end(&w);
        }
        ps_jw_arr_end(&w);
    }
    ps_jw_obj_end(&w);
    return ps_jw_end(&w);
}
