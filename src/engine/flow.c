/* The workflow runner (flow.h): one loop over steps. Automatic steps run at once; a human
 * step passes when its fact is known and otherwise opens its task and waits; an outcome ends
 * the run. The loop is bounded (the loader refuses cycles, and PS_SVC_MAX_HOPS stops the rest). */
#include <string.h>

#include "core/clock.h"
#include "engine/flow.h"

const char *ps_flow_status_name(enum ps_flow_status s)
{
    static const char *const names[] = {"in-progress", "waiting", "approved", "rejected"};
    return (size_t)s < sizeof names / sizeof names[0] ? names[s] : "";
}

static enum ps_err eval(struct ps_flow *f, const struct ps_svc_expr *x,
                        const struct ps_cel_value *vals, struct ps_engine_host *host,
                        struct ps_arena *arena, struct ps_cel_value *out, struct ps_diag *diag)
{
    struct ps_cel_diag cd = {0};
    enum ps_err e = ps_engine_eval(x->prog, vals ? vals : f->vars.v, host, arena, out, &cd);
    if (e == PS_OK)
        return PS_OK;
    if (host->failure.code != PS_OK)
        return ps_diag_set(diag, host->failure.code, "%s", host->failure.message);
    return ps_diag_set(diag, e, "%s:%u:%u: %s", f->svc->file, x->line, x->col, cd.message);
}

static enum ps_err eval_str(struct ps_flow *f, const struct ps_svc_expr *x,
                            struct ps_engine_host *host, struct ps_arena *arena,
                            struct ps_str *out, struct ps_diag *diag)
{
    struct ps_cel_value v;
    enum ps_err e = eval(f, x, NULL, host, arena, &v, diag);
    if (e == PS_OK && v.kind != PS_CEL_STRING)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s:%u:%u: not a string", f->svc->file,
                           x->line, x->col);
    if (e == PS_OK)
        *out = ps_cel_str(v);
    return e;
}

/* The fact of a human step: facts.<step>.<key>. */
static json_t *fact(struct ps_flow *f, const struct ps_svc_step *st, const char *key)
{
    return json_object_get(json_object_get(f->facts, st->name), key);
}

static enum ps_err check(struct ps_flow *f, const struct ps_svc_step *st,
                         struct ps_engine_host *host, struct ps_arena *arena, bool *ok,
                         struct ps_diag *diag)
{
    *ok = true;
    for (size_t i = 0; i < st->nrules && *ok; i++) {
        struct ps_cel_value v;
        struct ps_cel_diag cd = {0};
        enum ps_err e = ps_engine_eval(st->rules[i].expr.prog, f->vars.v, host, arena, &v, &cd);
        if (e != PS_OK && e != PS_ERR_INVALID)
            return host->failure.code != PS_OK
                       ? ps_diag_set(diag, host->failure.code, "%s", host->failure.message)
                       : ps_diag_set(diag, e, "%s: %s", st->name, cd.message);
        *ok = e == PS_OK && v.kind == PS_CEL_BOOL && v.v.b;
        if (!*ok)
            f->reason = st->rules[i].message;
    }
    return PS_OK;
}

static int64_t due(const struct ps_svc_step *st)
{
    return ps_clock_now_ms() + (int64_t)st->deadline_days * 86400000;
}

/* A human step: *go the next step when its fact is known, -1 to wait (the task opened). */
static enum ps_err human(struct ps_flow *f, const struct ps_svc_step *st,
                         const struct ps_flow_ops *ops, struct ps_engine_host *host,
                         struct ps_arena *arena, int *go, struct ps_diag *diag)
{
    json_t *c = fact(f, st, st->kind == PS_SVC_CONSENT ? "consent" : "decision");
    if (c) {
        bool yes = st->kind == PS_SVC_CONSENT
                       ? json_is_true(c)
                       : ps_str_eq_cstr(ps_str_from_cstr(json_string_value(c)), "approve");
        if (!yes) {
            const char *r = json_string_value(fact(f, st, "reason"));
            if (r) {
                f->reason.uk = f->reason.en = ps_arena_strndup(arena, r, strlen(r));
                if (!f->reason.uk)
                    return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
            }
        }
        *go = yes ? st->next : st->on_fail;
        return PS_OK;
    }
    *go = -1;
    struct ps_str who = PS_STR("");
    enum ps_err e = PS_OK;
    if (st->kind == PS_SVC_CONSENT) {
        e = eval_str(f, &st->party, host, arena, &who, diag);
        return e == PS_OK ? ops->consent(ops->ctx, st, who, due(st), diag) : e;
    }
    if (st->oblast.prog)
        e = eval_str(f, &st->oblast, host, arena, &who, diag);
    return e == PS_OK ? ops->decision(ops->ctx, st, who, due(st), diag) : e;
}

static enum ps_err booking(struct ps_flow *f, const struct ps_svc_step *st,
                           const struct ps_flow_ops *ops, struct ps_diag *refused,
                           struct ps_diag *diag)
{
    struct ps_cel_value v;
    struct ps_str slot = PS_STR_NULL;
    if (ps_cel_map_get_str(f->vars.v[PS_EV_ANSWERS].v.map, ps_str_from_cstr(st->slot_field),
                           &v) &&
        v.kind == PS_CEL_STRING)
        slot = ps_cel_str(v);
    if (!slot.p)
        return ps_diag_set(refused, PS_ERR_INVALID, "no slot chosen in \"%s\"", st->slot_field);
    return ops->book(ops->ctx, st, slot, refused, diag);
}

/* Each RNOKPP a recipient names: applicant, parties, or an expression (string or list). */
static enum ps_err recipients(struct ps_flow *f, const struct ps_svc_to *to,
                              const struct ps_flow_ops *ops, struct ps_engine_host *host,
                              struct ps_arena *arena, json_t **out, struct ps_diag *diag)
{
    struct ps_cel_value v, rn;
    struct ps_cel_diag cd = {0};
    *out = NULL;
    if (to->who && strcmp(to->who, "parties") == 0) {
        *out = ops->parties(ops->ctx);
        return *out ? PS_OK : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    if (to->who) {
        if (!ps_cel_map_get_str(f->vars.v[PS_EV_APPLICANT].v.map, PS_STR("rnokpp"), &rn))
            return ps_diag_set(diag, PS_ERR_INTERNAL, "the applicant has no RNOKPP");
        v = rn;
    } else {
        enum ps_err e = eval(f, &to->expr, NULL, host, arena, &v, diag);
        if (e != PS_OK)
            return e;
    }
    json_t *j = NULL;
    if (ps_cel_to_json(v, 4, &j, &cd) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "recipient: %s", cd.message);
    *out = json_is_array(j) ? j : json_pack("[o]", j);
    return *out ? PS_OK : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
}

/* Replaces {reason} and {application} in body. */
static const char *fill(struct ps_arena *arena, const char *body, const char *reason,
                        const char *app)
{
    size_t cap = strlen(body) + strlen(reason) * 4 + strlen(app) * 4 + 1;
    char *out = ps_arena_alloc(arena, cap);
    size_t n = 0;
    for (const char *p = body; out && *p;) {
        const char *with = !strncmp(p, "{reason}", 8) ? reason
                           : !strncmp(p, "{application}", 13) ? app
                                                               : NULL;
        size_t skip = with ? (with == reason ? 8 : 13) : 1;
        size_t len = with ? strlen(with) : 1;
        if (n + len >= cap)
            break;
        memcpy(out + n, with ? with : p, len);
        n += len;
        p += skip;
    }
    if (out)
        out[n] = '\0';
    return out;
}

static enum ps_err deliver(struct ps_flow *f, const struct ps_svc_step *st,
                           const struct ps_flow_ops *ops, struct ps_engine_host *host,
                           struct ps_arena *arena, struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    for (size_t i = 0; e == PS_OK && i < st->ndocuments + st->nmessages; i++) {
        bool doc = i < st->ndocuments;
        const struct ps_svc_to *to = doc ? &st->documents[i].to
                                         : &st->messages[i - st->ndocuments].to;
        json_t *list = NULL, *r;
        size_t k;
        e = recipients(f, to, ops, host, arena, &list, diag);
        const struct ps_svc_message *m = doc ? NULL : &st->messages[i - st->ndocuments];
        const char *bu = m ? fill(arena, m->body.uk, f->reason.uk ? f->reason.uk : "", f->id)
                           : NULL;
        const char *be = m ? fill(arena, m->body.en, f->reason.en ? f->reason.en : "", f->id)
                           : NULL;
        if (e == PS_OK && m && (!bu || !be))
            e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        json_array_foreach(list, k, r) {
            struct ps_str who = {json_string_value(r), json_string_length(r)};
            if (e == PS_OK && !who.p)
                e = ps_diag_set(diag, PS_ERR_INVALID, "a recipient is not an RNOKPP");
            if (e == PS_OK)
                e = doc ? ops->document(ops->ctx, st->documents[i].type, who, diag)
                        : ops->message(ops->ctx, who, m, bu, be, diag);
        }
        json_decref(list);
    }
    return e;
}

/* The arguments of a write as a JSON object, with `item` bound to item (may be unset). */
static enum ps_err write_args(struct ps_flow *f, const struct ps_svc_write *w,
                              struct ps_cel_value item, struct ps_engine_host *host,
                              struct ps_arena *arena, json_t **out, struct ps_diag *diag)
{
    struct ps_cel_value vals[PS_EV_COUNT];
    memcpy(vals, f->vars.v, sizeof vals);
    vals[PS_EV_ITEM] = item;
    json_t *args = *out = json_object();
    if (!args)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < w->nargs; i++) {
        struct ps_cel_value v;
        struct ps_cel_diag cd = {0};
        json_t *j = NULL;
        enum ps_err e = eval(f, &w->vals[i], vals, host, arena, &v, diag);
        if (e == PS_OK && ps_cel_to_json(v, 8, &j, &cd) != PS_OK)
            e = ps_diag_set(diag, PS_ERR_INVALID, "%s: %s", w->args[i], cd.message);
        if (e == PS_OK && json_object_set_new(args, w->args[i], j) != 0)
            e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

static enum ps_err one_write(struct ps_flow *f, const struct ps_svc_write *w,
                             struct ps_cel_value item, const struct ps_flow_ops *ops,
                             struct ps_engine_host *host, struct ps_arena *arena,
                             struct ps_diag *refused, struct ps_diag *diag)
{
    json_t *args = NULL;
    enum ps_err e = write_args(f, w, item, host, arena, &args, diag);
    if (e == PS_OK)
        e = ops->write(ops->ctx, w->act, args, refused, diag);
    json_decref(args);
    return e;
}

static enum ps_err outcome(struct ps_flow *f, const struct ps_svc_step *st,
                           const struct ps_flow_ops *ops, struct ps_engine_host *host,
                           struct ps_arena *arena, struct ps_diag *refused,
                           struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    f->status = st->approved ? PS_FLOW_APPROVED : PS_FLOW_REJECTED;
    if (!st->approved && !f->reason.uk)
        f->reason = st->reason;
    for (size_t i = 0; e == PS_OK && refused->code == PS_OK && i < st->nwrites; i++) {
        const struct ps_svc_write *w = &st->writes[i];
        struct ps_cel_value list, none = {0};
        if (!w->each.prog) {
            e = one_write(f, w, none, ops, host, arena, refused, diag);
            continue;
        }
        e = eval(f, &w->each, NULL, host, arena, &list, diag);
        if (e == PS_OK && list.kind != PS_CEL_LIST)
            e = ps_diag_set(diag, PS_ERR_INVALID, "each: not a list");
        for (uint32_t k = 0; e == PS_OK && refused->code == PS_OK && k < list.n; k++)
            e = one_write(f, w, list.v.items[k], ops, host, arena, refused, diag);
    }
    if (e == PS_OK && refused->code == PS_OK)
        e = deliver(f, st, ops, host, arena, diag);
    return e;
}

enum ps_err ps_flow_run(struct ps_flow *f, const struct ps_flow_ops *ops,
                        struct ps_engine_host *host, struct ps_arena *arena,
                        struct ps_diag *refused, struct ps_diag *diag)
{
    ps_diag_clear(refused);
    f->status = PS_FLOW_RUNNING;
    for (int hops = 0; hops < PS_SVC_MAX_HOPS; hops++) {
        const struct ps_svc_step *st = &f->svc->steps[f->step];
        enum ps_err e = PS_OK;
        bool ok = true;
        int go = st->next;
        switch (st->kind) {
        case PS_SVC_CHECK:
            e = check(f, st, host, arena, &ok, diag);
            go = ok ? st->next : st->on_fail;
            break;
        case PS_SVC_CONSENT:
        case PS_SVC_DECISION:
            e = human(f, st, ops, host, arena, &go, diag);
            break;
        case PS_SVC_FEE:
            e = ops->fee(ops->ctx, st, diag);
            break;
        case PS_SVC_APPOINTMENT:
            e = booking(f, st, ops, refused, diag);
            break;
        case PS_SVC_OUTCOME:
            e = outcome(f, st, ops, host, arena, refused, diag);
            if (e == PS_OK && refused->code == PS_OK)
                e = ops->event(ops->ctx, st, ps_flow_status_name(f->status), diag);
            return e;
        }
        if (e == PS_OK && refused->code == PS_OK)
            e = ops->event(ops->ctx, st, go < 0 ? "waiting" : ok ? "passed" : "failed", diag);
        if (e != PS_OK || refused->code != PS_OK)
            return e;
        if (go < 0) {
            f->status = PS_FLOW_WAITING;
            return PS_OK;
        }
        f->step = go;
    }
    return ps_diag_set(diag, PS_ERR_INTERNAL, "more than %d steps in one transition",
                       PS_SVC_MAX_HOPS);
}
