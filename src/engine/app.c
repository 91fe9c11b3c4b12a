/* Applications' transitions (app.h): start, save, submit, consent, claim, decide. Each checks
 * who acts and where the application stands, then hands over to ps_app_advance for the
 * workflow. An act by someone not entitled to it is refused with a change entry
 * ("application.refused") that commits: the attempt is on the record. */
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "engine/app_int.h"
#include "policy/actor.h"
#include "tlog/access.h"

static bool is_citizen(const struct ps_actor *a)
{
    return a && a->kind == PS_ACTOR_CITIZEN && a->id.len > 0;
}

/* The refusal of an act the actor is not entitled to: recorded, then PS_OK (commit). */
static enum ps_err refuse(const struct ps_app_ctx *c, const struct ps_app_row *a,
                          struct ps_app_result *res, const char *act, const char *why,
                          struct ps_diag *diag)
{
    char resource[64], reason[200];
    res->outcome = PS_APP_REFUSED;
    ps_diag_set(&res->refused, PS_ERR_DENIED, "%s", why);
    int n = snprintf(resource, sizeof resource, "applications/%s", a->id);
    int m = snprintf(reason, sizeof reason, "%s refused: %s", act, why);
    if (n < 0 || (size_t)n >= sizeof resource || m < 0 || (size_t)m >= sizeof reason)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "refusal text too long");
    ps_app_result_fill(res, a);
    return ps_tlog_record_change(c->tx, c->actor, "application.refused", a->applicant,
                                 (struct ps_str){resource, (size_t)n},
                                 (struct ps_str){reason, (size_t)m}, diag);
}

/* Eligibility and validation of a's answers; res->outcome set when either fails. *evp gets
 * the look-ups and values made (for the workflow that follows in the same transaction). */
static enum ps_err vet(const struct ps_app_ctx *c, struct ps_app_row *a, bool validate,
                       struct ps_app_result *res, struct ps_app_eval **evp,
                       struct ps_diag *diag)
{
    struct ps_app_eval *ev = *evp = ps_arena_zalloc(c->arena, sizeof *ev);
    if (!ev)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_app_eval_init(ev, c, a, diag);
    if (e == PS_OK)
        e = ps_flow_eligible(a->svc, &ev->vars, &ev->host, c->arena, res->errors,
                             PS_FORM_MAX_ERRORS, &res->nerrors, diag);
    if (e == PS_OK && res->nerrors) {
        res->outcome = PS_APP_NOT_ELIGIBLE;
        return PS_OK;
    }
    if (e == PS_OK && !validate)
        e = ps_flow_prefill(a->svc, a->answers, &ev->vars, &ev->host, c->arena, diag);
    if (e != PS_OK || !validate)
        return e;
    e = ps_flow_prefill(a->svc, a->answers, &ev->vars, &ev->host, c->arena, diag);
    if (e == PS_OK) /* the answers changed: their values again */
        e = ps_flow_vars(&ev->vars, ev->applicant, a->answers, a->facts, &ev->host, c->arena,
                         diag);
    if (e == PS_OK)
        e = ps_flow_validate(a->svc, a->svc->fields, a->svc->nfields, a->svc->validate,
                             a->svc->nvalidate, a->answers, &ev->vars, &ev->host, c->arena,
                             res->errors, PS_FORM_MAX_ERRORS, &res->nerrors, diag);
    if (e == PS_OK && res->nerrors)
        res->outcome = PS_APP_INVALID;
    return e;
}

static json_t *fresh_object(struct ps_arena *arena, json_t *from)
{
    json_t *o = from ? json_deep_copy(from) : json_object();
    if (o && ps_arena_defer(arena, (void (*)(void *))json_decref, o) != PS_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

enum ps_err ps_app_start(const struct ps_app_ctx *c, struct ps_str service, json_t *answers,
                         bool submit, struct ps_app_result *res, struct ps_diag *diag)
{
    memset(res, 0, sizeof *res);
    if (!is_citizen(c->actor))
        return ps_diag_set(diag, PS_ERR_DENIED, "only a citizen applies");
    const struct ps_svc *svc = ps_engine_current(c->engine, service);
    if (!svc)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no service %.*s", PS_STR_FMT(service));
    if (answers && !json_is_object(answers))
        return ps_diag_set(diag, PS_ERR_INVALID, "answers must be an object");
    struct ps_app_row *a = ps_arena_zalloc(c->arena, sizeof *a);
    if (!a)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, a->id);
    a->svc = svc;
    a->service = ps_str_from_cstr(svc->id);
    a->version = svc->version;
    a->applicant = c->actor->id;
    a->status = PS_STR("draft");
    a->step = ps_str_from_cstr(svc->steps[svc->start].name);
    a->reason = PS_STR("");
    a->answers = fresh_object(c->arena, answers);
    a->facts = fresh_object(c->arena, NULL);
    if (!a->answers || !a->facts)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    struct ps_app_eval *ev = NULL;
    enum ps_err e = vet(c, a, submit, res, &ev, diag);
    if (e != PS_OK || res->outcome != PS_APP_DONE) /* recorded reads commit */
        return e;
    e = ps_app_store_version(c->tx, svc, diag);
    if (e == PS_OK)
        e = ps_app_insert(c, a, diag);
    if (e == PS_OK)
        e = ps_app_event(c, a, "start", NULL, "draft", diag);
    if (e != PS_OK)
        return e;
    if (!submit) {
        ps_app_result_fill(res, a);
        return PS_OK;
    }
    e = ps_app_event(c, a, "submit", NULL, "", diag);
    return e == PS_OK ? ps_app_advance(c, a, "submit", PS_STR("draft"), a->updated_ms, true,
                                       ev, res, diag)
                      : e;
}

/* Loads id for its applicant; anyone else gets "no such application" (no oracle). */
static enum ps_err load_mine(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_row *a,
                             struct ps_diag *diag)
{
    if (!is_citizen(c->actor))
        return ps_diag_set(diag, PS_ERR_DENIED, "only the applicant may do this");
    enum ps_err e = ps_app_load(c, id, a, diag);
    if (e == PS_OK && !ps_str_eq(a->applicant, c->actor->id))
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such application");
    return e;
}

enum ps_err ps_app_save(const struct ps_app_ctx *c, struct ps_str id, json_t *answers,
                        struct ps_app_result *res, struct ps_diag *diag)
{
    struct ps_app_row a;
    memset(res, 0, sizeof *res);
    if (!json_is_object(answers))
        return ps_diag_set(diag, PS_ERR_INVALID, "answers must be an object");
    enum ps_err e = load_mine(c, id, &a, diag);
    if (e == PS_OK && !ps_str_eq_cstr(a.status, "draft"))
        return ps_diag_set(diag, PS_ERR_INVALID, "the application is already submitted");
    if (e != PS_OK)
        return e;
    struct ps_str old = a.status;
    int64_t old_updated = a.updated_ms;
    a.answers = fresh_object(c->arena, answers);
    if (!a.answers)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    e = ps_app_update(c, &a, old, old_updated, false, diag);
    if (e == PS_OK)
        ps_app_result_fill(res, &a);
    return e;
}

enum ps_err ps_app_submit(const struct ps_app_ctx *c, struct ps_str id,
                          struct ps_app_result *res, struct ps_diag *diag)
{
    struct ps_app_row *a = ps_arena_zalloc(c->arena, sizeof *a);
    memset(res, 0, sizeof *res);
    if (!a)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = load_mine(c, id, a, diag);
    if (e != PS_OK)
        return e;
    if (!ps_str_eq_cstr(a->status, "draft")) { /* submitted before: its state, unchanged */
        ps_app_result_fill(res, a);
        return PS_OK;
    }
    struct ps_app_eval *ev = NULL;
    e = vet(c, a, true, res, &ev, diag);
    if (e != PS_OK || res->outcome != PS_APP_DONE)
        return e;
    e = ps_app_event(c, a, "submit", NULL, "", diag);
    return e == PS_OK ? ps_app_advance(c, a, "submit", a->status, a->updated_ms, true, ev,
                                       res, diag)
                      : e;
}

/* Validates a draft without submitting it (app.h): eligibility, then prefill (in memory) and
 * every field whatever eligibility said, so a form page can show its own fields' messages.
 * Nothing is stored; reads the rules make are recorded like any transition's. */
static enum ps_err check_draft(const struct ps_app_ctx *c, struct ps_app_row *a,
                               struct ps_app_result *res, struct ps_diag *diag)
{
    struct ps_app_eval *ev = ps_arena_zalloc(c->arena, sizeof *ev);
    size_t nfields = 0;
    if (!ev)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_app_eval_init(ev, c, a, diag);
    if (e == PS_OK)
        e = ps_flow_eligible(a->svc, &ev->vars, &ev->host, c->arena, res->errors,
                             PS_FORM_MAX_ERRORS, &res->nerrors, diag);
    if (e == PS_OK)
        e = ps_flow_prefill(a->svc, a->answers, &ev->vars, &ev->host, c->arena, diag);
    if (e == PS_OK)
        e = ps_flow_vars(&ev->vars, ev->applicant, a->answers, a->facts, &ev->host, c->arena,
                         diag);
    if (e == PS_OK)
        e = ps_flow_validate(a->svc, a->svc->fields, a->svc->nfields, a->svc->validate,
                             a->svc->nvalidate, a->answers, &ev->vars, &ev->host, c->arena,
                             res->errors + res->nerrors, PS_FORM_MAX_ERRORS - res->nerrors,
                             &nfields, diag);
    if (e != PS_OK)
        return e;
    res->outcome = res->nerrors ? PS_APP_NOT_ELIGIBLE : nfields ? PS_APP_INVALID : PS_APP_DONE;
    res->nerrors += nfields;
    return PS_OK;
}

enum ps_err ps_app_check(const struct ps_app_ctx *c, struct ps_str id,
                         struct ps_app_result *res, struct ps_diag *diag)
{
    struct ps_app_row *a = ps_arena_zalloc(c->arena, sizeof *a);
    memset(res, 0, sizeof *res);
    if (!a)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = load_mine(c, id, a, diag);
    if (e == PS_OK && ps_str_eq_cstr(a->status, "draft"))
        e = check_draft(c, a, res, diag);
    if (e == PS_OK)
        ps_app_result_fill(res, a);
    return e;
}

/* facts.<step> = v */
static enum ps_err set_fact(const struct ps_app_ctx *c, struct ps_app_row *a, struct ps_str step,
                            json_t *v, struct ps_diag *diag)
{
    char *name = ps_arena_cstr(c->arena, step);
    if (!v || !name || json_object_set_new(a->facts, name, v) != 0)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    return PS_OK;
}

static enum ps_err consent_answers(const struct ps_app_ctx *c, struct ps_app_row *a,
                                   const struct ps_svc_step *st, json_t *answers,
                                   struct ps_app_result *res, struct ps_diag *diag)
{
    struct ps_app_eval *ev = ps_arena_zalloc(c->arena, sizeof *ev);
    if (!ev)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = ps_app_eval_init(ev, c, a, diag);
    if (e == PS_OK)
        e = ps_flow_validate(a->svc, st->fields, st->nfields, NULL, 0, answers, &ev->vars,
                             &ev->host, c->arena, res->errors, PS_FORM_MAX_ERRORS,
                             &res->nerrors, diag);
    if (e == PS_OK && res->nerrors)
        res->outcome = PS_APP_INVALID;
    return e;
}

enum ps_err ps_app_consent(const struct ps_app_ctx *c, struct ps_str id, bool yes,
                           json_t *answers, struct ps_app_result *res, struct ps_diag *diag)
{
    struct ps_app_row *a = ps_arena_zalloc(c->arena, sizeof *a);
    struct ps_app_task t;
    bool found = false;
    memset(res, 0, sizeof *res);
    if (!a)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    if (!is_citizen(c->actor))
        return ps_diag_set(diag, PS_ERR_DENIED, "only the person asked may consent");
    enum ps_err e = ps_app_load(c, id, a, diag);
    if (e == PS_OK)
        e = ps_app_task_open_for(c, id, PS_STR("consent"), &t, &found, diag);
    if (e != PS_OK)
        return e;
    if (!found || !ps_str_eq(t.party, c->actor->id))
        return refuse(c, a, res, "consent", "no consent of this person is awaited", diag);
    if (t.due_ms < ps_clock_now_ms())
        return refuse(c, a, res, "consent", "the time to consent has passed", diag);
    int si = ps_svc_step_index(a->svc, t.step);
    json_t *given = fresh_object(c->arena, answers);
    if (si < 0 || !given)
        return ps_diag_set(diag, si < 0 ? PS_ERR_INTERNAL : PS_ERR_NOMEM, "consent step");
    if (yes && (e = consent_answers(c, a, &a->svc->steps[si], given, res, diag)) != PS_OK)
        return e;
    if (res->outcome != PS_APP_DONE)
        return PS_OK;
    struct ps_str old = a->status;
    int64_t old_updated = a->updated_ms;
    e = set_fact(c, a, t.step,
                 json_pack("{s:b,s:s%,s:O}", "consent", yes, "by", c->actor->id.p,
                           c->actor->id.len, "answers", given),
                 diag);
    if (e == PS_OK)
        e = ps_app_task_done(c, t.id, yes ? "consent" : "refuse", PS_STR_NULL, diag);
    if (e == PS_OK)
        e = ps_app_event(c, a, "consent", t.step.p, yes ? "given" : "refused", diag);
    return e == PS_OK ? ps_app_advance(c, a, "consent", old, old_updated, false, NULL, res,
                                       diag)
                      : e;
}

/* The actor's role that may decide t (role and agency match; oblast unscoped or equal). */
static bool entitled(const struct ps_actor *actor, const struct ps_app_task *t)
{
    for (size_t i = 0; actor && i < actor->nroles; i++) {
        const struct ps_role *r = &actor->roles[i];
        if (ps_str_eq(r->name, t->role) && ps_str_eq(r->agency, t->agency) &&
            (r->oblast.len == 0 || t->oblast.len == 0 || ps_str_eq(r->oblast, t->oblast)))
            return true;
    }
    return false;
}

static enum ps_err task_for_official(const struct ps_app_ctx *c, struct ps_str task,
                                     struct ps_app_row *a, struct ps_app_task *t, bool *ok,
                                     struct ps_app_result *res, struct ps_diag *diag)
{
    bool found = false;
    *ok = false;
    enum ps_err e = ps_app_task_get(c, task, t, &found, diag);
    if (e == PS_OK && (!found || !ps_str_eq_cstr(t->kind, "decision")))
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such task");
    if (e == PS_OK)
        e = ps_app_load(c, t->application, a, diag);
    if (e != PS_OK)
        return e;
    if (!entitled(c->actor, t))
        return refuse(c, a, res, "decision", "no role of this official may decide it", diag);
    if (!ps_str_eq_cstr(t->status, "open"))
        return ps_diag_set(diag, PS_ERR_INVALID, "the task is already decided");
    *ok = true;
    return PS_OK;
}

enum ps_err ps_app_claim(const struct ps_app_ctx *c, struct ps_str task,
                         struct ps_app_result *res, struct ps_diag *diag)
{
    struct ps_app_row *a = ps_arena_zalloc(c->arena, sizeof *a);
    struct ps_app_task t;
    bool ok = false, claimed = false;
    memset(res, 0, sizeof *res);
    if (!a)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = task_for_official(c, task, a, &t, &ok, res, diag);
    if (e != PS_OK || !ok)
        return e;
    e = ps_app_task_claim(c, task, &claimed, diag);
    if (e == PS_OK && !claimed)
        return refuse(c, a, res, "claim", "another official has claimed it", diag);
    if (e == PS_OK)
        e = ps_app_event(c, a, "claim", t.step.p, "", diag);
    if (e == PS_OK)
        ps_app_result_fill(res, a);
    return e;
}

enum ps_err ps_app_decide(const struct ps_app_ctx *c, struct ps_str task, bool approve,
                          struct ps_str reason, struct ps_app_result *res,
                          struct ps_diag *diag)
{
    struct ps_app_row *a = ps_arena_zalloc(c->arena, sizeof *a);
    struct ps_app_task t;
    bool ok = false;
    memset(res, 0, sizeof *res);
    if (!a)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    if (!approve && reason.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "a rejection needs a reason");
    if (reason.len > PS_APP_REASON_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "the reason is longer than %d bytes",
                           PS_APP_REASON_MAX);
    enum ps_err e = task_for_official(c, task, a, &t, &ok, res, diag);
    if (e != PS_OK || !ok)
        return e;
    if (!ps_str_eq(t.claimed_by, c->actor->id))
        return refuse(c, a, res, "decision", "the task is not claimed by this official", diag);
    struct ps_str old = a->status;
    int64_t old_updated = a->updated_ms;
    e = set_fact(c, a, t.step,
                 json_pack("{s:s,s:s%,s:s%}", "decision", approve ? "approve" : "reject",
                           "reason", reason.p ? reason.p : "", reason.len, "by",
                           c->actor->id.p, c->actor->id.len),
                 diag);
    if (e == PS_OK)
        e = ps_app_task_done(c, t.id, approve ? "approve" : "reject", reason, diag);
    if (e == PS_OK)
        e = ps_app_event(c, a, "decision", t.step.p, approve ? "approve" : "reject", diag);
    return e == PS_OK ? ps_app_advance(c, a, "decide", old, old_updated, false, NULL, res,
                                       diag)
                      : e;
}
