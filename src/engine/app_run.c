/* One transition of an application (app_int.h ps_app_advance): the registry look-ups its
 * expressions make (recorded when about anyone but the actor), the workflow's steps done in
 * the store, and the new state saved with its history and its change entry. A refusal by a
 * registry or a taken slot returns PS_ERR_EXISTS, so the whole transition rolls back. */
#include <stdio.h>
#include <string.h>

#include "engine/app_int.h"
#include "engine/writes.h"
#include "policy/actor.h"
#include "registries/kinship.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"

/* ---- look-ups ---- */

static enum ps_err lk_person(void *ctx, struct ps_str rnokpp, json_t **out,
                             struct ps_diag *diag)
{
    struct ps_app_eval *ev = ctx;
    struct ps_diag d;
    *out = NULL;
    if (ps_rnokpp_validate(rnokpp, NULL, &d) != PS_OK)
        return PS_OK; /* no such person: found = false */
    if (ps_str_eq(rnokpp, ev->a->applicant) && ev->applicant) {
        *out = json_incref(ev->applicant);
        return PS_OK;
    }
    return ps_app_person(ev->c, rnokpp, ps_str_from_cstr(ev->purpose), out, diag);
}

/* Records the kinship read about each of the persons who is not the actor. */
static enum ps_err kin_read(struct ps_app_eval *ev, const struct ps_str *who, size_t n,
                            struct ps_diag *diag)
{
    for (size_t i = 0; i < n; i++) {
        char res[64];
        if (ps_actor_is_subject(ev->c->actor, who[i]))
            continue;
        int w = snprintf(res, sizeof res, "persons/%.*s#kinship", PS_STR_FMT(who[i]));
        if (w < 0 || (size_t)w >= sizeof res)
            return ps_diag_set(diag, PS_ERR_INVALID, "bad RNOKPP");
        enum ps_err e = ps_access_record(ev->c->tx, ev->c->actor, "kinship.read", who[i],
                                         (struct ps_str){res, (size_t)w},
                                         ps_str_from_cstr(ev->purpose), diag);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

static enum ps_err lk_related(void *ctx, struct ps_str a, struct ps_str b, bool *out,
                              struct ps_diag *diag)
{
    struct ps_app_eval *ev = ctx;
    struct ps_str who[2] = {a, b};
    enum ps_err e = ps_kinship_close(ev->c->tx, a, b, out, diag);
    return e == PS_OK ? kin_read(ev, who, 2, diag) : e;
}

static enum ps_err lk_parent_of(void *ctx, struct ps_str child, bool *out,
                                struct ps_diag *diag)
{
    struct ps_app_eval *ev = ctx;
    enum ps_err e = ps_kinship_is_parent(ev->c->tx, ev->a->applicant, child, out, diag);
    return e == PS_OK ? kin_read(ev, &child, 1, diag) : e;
}

enum ps_err ps_app_eval_init(struct ps_app_eval *ev, const struct ps_app_ctx *c,
                             const struct ps_app_row *a, struct ps_diag *diag)
{
    memset(ev, 0, sizeof *ev);
    ev->c = c;
    ev->a = a;
    ev->lookup = (struct ps_engine_lookup){lk_person, lk_related, lk_parent_of, ev};
    ps_engine_host_init(&ev->host, ps_engine_env(c->engine), &ev->lookup);
    snprintf(ev->purpose, sizeof ev->purpose, "service %s v%u, application %s", a->svc->id,
             a->svc->version, a->id);
    enum ps_err e = ps_app_person(c, a->applicant, ps_str_from_cstr(ev->purpose),
                                  &ev->applicant, diag);
    if (e == PS_OK && !ev->applicant)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "the applicant is not in the registry");
    if (e == PS_OK && ps_arena_defer(c->arena, (void (*)(void *))json_decref,
                                     ev->applicant) != PS_OK) {
        json_decref(ev->applicant);
        ev->applicant = NULL;
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    if (e == PS_OK)
        e = ps_flow_vars(&ev->vars, ev->applicant, a->answers, a->facts, &ev->host, c->arena,
                         diag);
    return e;
}

/* ---- the steps, in the store ---- */

struct run {
    const struct ps_app_ctx *c;
    struct ps_app_row *a;
    struct ps_app_eval *ev;
};

static const struct ps_svc_text consent_title = {"Вас просять дати згоду",
                                                 "You are asked to consent"};

static enum ps_err op_consent(void *ctx, const struct ps_svc_step *st, struct ps_str party,
                              int64_t due, struct ps_diag *diag)
{
    struct run *r = ctx;
    struct ps_diag d;
    if (ps_rnokpp_validate(party, NULL, &d) != PS_OK || ps_str_eq(party, r->a->applicant))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: the party is not another person",
                           st->name);
    enum ps_err e = ps_app_party(r->c, r->a, party, "party", diag);
    if (e == PS_OK)
        e = ps_app_task_open(r->c, r->a, st, party, PS_STR(""), due, diag);
    if (e == PS_OK)
        e = ps_app_inbox(r->c, party, ps_str_from_cstr(r->a->id), consent_title.uk,
                         consent_title.en, r->a->svc->title.uk, r->a->svc->title.en, diag);
    return e;
}

static enum ps_err op_decision(void *ctx, const struct ps_svc_step *st, struct ps_str oblast,
                               int64_t due, struct ps_diag *diag)
{
    struct run *r = ctx;
    return ps_app_task_open(r->c, r->a, st, PS_STR_NULL, oblast, due, diag);
}

static enum ps_err op_fee(void *ctx, const struct ps_svc_step *st, struct ps_diag *diag)
{
    struct run *r = ctx;
    return ps_app_fee(r->c, r->a, st, diag);
}

static enum ps_err op_book(void *ctx, const struct ps_svc_step *st, struct ps_str slot,
                           struct ps_diag *refused, struct ps_diag *diag)
{
    struct run *r = ctx;
    bool booked = false;
    enum ps_err e = ps_app_book(r->c, r->a, st, slot, &booked, diag);
    if (e == PS_OK && !booked)
        ps_diag_set(refused, PS_ERR_EXISTS, "the chosen time is no longer free");
    return e;
}

static enum ps_err op_write(void *ctx, const char *act, json_t *args, struct ps_diag *refused,
                            struct ps_diag *diag)
{
    struct run *r = ctx;
    json_t *result = NULL;
    enum ps_err e = ps_engine_write_run(r->c->tx, r->c->actor, act, args,
                                        ps_str_from_cstr(r->ev->purpose), &result, refused,
                                        diag);
    if (e == PS_OK && refused->code == PS_OK && result) {
        json_t *w = json_object_get(r->a->facts, "_writes");
        if (!w) {
            w = json_array();
            json_object_set_new(r->a->facts, "_writes", w);
        }
        json_object_set_new(result, "act", json_string(act));
        json_array_append(w, result);
    }
    json_decref(result);
    return e;
}

static enum ps_err op_document(void *ctx, const char *type, struct ps_str holder,
                               struct ps_diag *diag)
{
    struct run *r = ctx;
    const struct ps_engine_opts *o = ps_engine_opts(r->c->engine);
    struct ps_str reason = ps_str_from_cstr(r->ev->purpose);
    char id[37] = "";
    json_t *docs = json_object_get(r->a->facts, "_documents");
    if (!docs) {
        docs = json_array();
        json_object_set_new(r->a->facts, "_documents", docs);
    }
    if (o->issue) { /* the documents module issues it, or the transition fails */
        enum ps_err e = o->issue(r->c->tx, r->c->actor, type, holder, reason, o->issue_ctx, id,
                                 diag);
        if (e == PS_OK)
            json_array_append_new(docs, json_pack("{s:s,s:s%,s:s,s:s}", "type", type, "holder",
                                                  holder.p, holder.len, "status", "issued",
                                                  "id", id));
        return e;
    }
    /* no documents module installed: the request is recorded for it */
    char res[128];
    int n = snprintf(res, sizeof res, "documents/%s?application=%s", type, r->a->id);
    if (n < 0 || (size_t)n >= sizeof res)
        return ps_diag_set(diag, PS_ERR_INVALID, "document type too long");
    json_array_append_new(docs, json_pack("{s:s,s:s%,s:s}", "type", type, "holder", holder.p,
                                          holder.len, "status", "requested"));
    return ps_tlog_record_change(r->c->tx, r->c->actor, "document.request", holder,
                                 (struct ps_str){res, (size_t)n}, reason, diag);
}

static enum ps_err op_message(void *ctx, struct ps_str to, const struct ps_svc_message *m,
                              const char *bu, const char *be, struct ps_diag *diag)
{
    struct run *r = ctx;
    return ps_app_inbox(r->c, to, ps_str_from_cstr(r->a->id), m->title.uk, m->title.en, bu, be,
                        diag);
}

static json_t *op_parties(void *ctx)
{
    struct run *r = ctx;
    return ps_app_parties(r->c, r->a);
}

static enum ps_err op_event(void *ctx, const struct ps_svc_step *st, const char *what,
                            struct ps_diag *diag)
{
    struct run *r = ctx;
    return ps_app_event(r->c, r->a, ps_svc_skind_name(st->kind), st->name, what, diag);
}

static const struct ps_flow_ops store_ops = {op_consent,  op_decision, op_fee,
                                             op_book,     op_write,    op_document,
                                             op_message,  op_parties,  op_event, NULL};

/* ---- the transition ---- */

void ps_app_result_fill(struct ps_app_result *res, const struct ps_app_row *a)
{
    memcpy(res->id, a->id, sizeof res->id);
    res->svc = a->svc;
    res->status = a->status.p;
    res->step = a->step.p;
    res->answers = a->answers;
}

static enum ps_err save(const struct ps_app_ctx *c, struct ps_app_row *a, const char *verb,
                        struct ps_str old_status, int64_t old_updated, bool submitting,
                        struct ps_diag *diag)
{
    char action[48], res[64];
    enum ps_err e = ps_app_update(c, a, old_status, old_updated, submitting, diag);
    int n = snprintf(action, sizeof action, "application.%s", verb);
    int m = snprintf(res, sizeof res, "applications/%s", a->id);
    PS_ASSERT(n > 0 && (size_t)n < sizeof action && m > 0 && (size_t)m < sizeof res);
    char why[160];
    int w = snprintf(why, sizeof why, "service %s v%u: %.*s", a->svc->id, a->svc->version,
                     PS_STR_FMT(a->status));
    if (w < 0 || (size_t)w >= sizeof why)
        w = 0;
    if (e == PS_OK)
        e = ps_tlog_record_change(c->tx, c->actor, action, a->applicant,
                                  (struct ps_str){res, (size_t)m},
                                  (struct ps_str){why, (size_t)w}, diag);
    return e;
}

enum ps_err ps_app_advance(const struct ps_app_ctx *c, struct ps_app_row *a, const char *verb,
                           struct ps_str old_status, int64_t old_updated, bool submitting,
                           struct ps_app_eval *ev, struct ps_app_result *res,
                           struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    if (!ev) {
        ev = ps_arena_zalloc(c->arena, sizeof *ev);
        e = ev ? ps_app_eval_init(ev, c, a, diag)
               : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    if (e != PS_OK)
        return e;
    struct run r = {c, a, ev};
    struct ps_flow_ops ops = store_ops;
    ops.ctx = &r;
    struct ps_flow f = {.svc = a->svc, .vars = ev->vars, .facts = a->facts, .id = a->id,
                        .step = ps_svc_step_index(a->svc, a->step)};
    struct ps_diag refused = {0};
    if (f.step < 0)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "step %.*s is not in %s v%u",
                           PS_STR_FMT(a->step), a->svc->id, a->svc->version);
    e = ps_flow_run(&f, &ops, &ev->host, c->arena, &refused, diag);
    if (e == PS_OK && refused.code != PS_OK) /* the whole transition fails */
        return ps_diag_set(diag, PS_ERR_EXISTS, "%s", refused.message);
    if (e != PS_OK)
        return e;
    a->status = ps_str_from_cstr(ps_flow_status_name(f.status));
    a->step = ps_str_from_cstr(a->svc->steps[f.step].name);
    if (f.reason.uk) {
        json_t *r2 = json_pack("{s:s,s:s}", "uk", f.reason.uk, "en", f.reason.en);
        a->reason = r2 ? ps_app_json_text(c->arena, r2) : PS_STR_NULL;
        json_decref(r2);
        if (!a->reason.p)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        res->reason = f.reason;
    }
    e = save(c, a, verb, old_status, old_updated, submitting, diag);
    if (e == PS_OK)
        ps_app_result_fill(res, a);
    return e;
}
