/* The workflow part of a definition: steps of six kinds, each with the keys its kind takes,
 * then the graph: every name resolves, every step is reachable from the start, no cycle, and
 * every path ends in an outcome (so an application always reaches one, in at most
 * PS_SVC_MAX_STEPS hops). */
#include <string.h>

#include "engine/def_int.h"
#include "engine/writes.h"

static const char *const kinds[] = {
    [PS_SVC_CHECK] = "check",           [PS_SVC_CONSENT] = "consent",
    [PS_SVC_FEE] = "fee",               [PS_SVC_APPOINTMENT] = "appointment",
    [PS_SVC_DECISION] = "decision",     [PS_SVC_OUTCOME] = "outcome",
};

const char *ps_svc_skind_name(enum ps_svc_skind k)
{
    return (size_t)k < sizeof kinds / sizeof kinds[0] ? kinds[k] : "";
}

/* The keys each kind takes, beyond name and kind. */
static const char *const *kind_keys(enum ps_svc_skind k)
{
    static const char *const check[] = {"name", "kind", "rules", "next", "on_fail", NULL};
    static const char *const consent[] = {"name", "kind", "party", "fields", "deadline_days",
                                          "next", "on_fail", NULL};
    static const char *const fee[] = {"name", "kind", "amount_kop", "purpose", "next", NULL};
    static const char *const appt[] = {"name", "kind", "field", "agency", "slot_kind", "next",
                                       NULL};
    static const char *const decision[] = {"name",   "kind",          "role", "agency",
                                           "oblast", "deadline_days", "next", "on_fail", NULL};
    static const char *const outcome[] = {"name",   "kind",      "result",   "reason",
                                          "writes", "documents", "messages", NULL};
    static const char *const *const all[] = {check, consent, fee, appt, decision, outcome};
    return all[k];
}

/* who: "applicant", "parties", or an expression under `expr` */
static enum ps_err recipient(struct ps_ld *ld, const struct ps_yv *map, struct ps_svc_to *to)
{
    const struct ps_yv *v = ps_yaml_get(map, "to");
    if (!v)
        return ps_ld_fail(ld, map, "needs \"to\": applicant, parties or an expression");
    if (v->kind == PS_Y_SCALAR && (ps_str_eq_cstr(v->s, "applicant") ||
                                   ps_str_eq_cstr(v->s, "parties"))) {
        to->who = v->s.p;
        return PS_OK;
    }
    return ps_ld_expr_node(ld, v, "to", NULL, &to->expr);
}

static enum ps_err write_args(struct ps_ld *ld, const struct ps_yv *args,
                              const struct ps_engine_write_spec *spec, struct ps_svc_write *w)
{
    if (!args || args->kind != PS_Y_MAP)
        return ps_ld_fail(ld, args, "a write needs \"args\": a mapping");
    w->args = ps_arena_array(ld->s->arena, args->n + 1, sizeof *w->args);
    w->vals = ps_arena_array(ld->s->arena, args->n + 1, sizeof *w->vals);
    if (!w->args || !w->vals)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < args->n; i++) {
        if (!ps_engine_write_has_arg(spec, args->keys[i]))
            return ps_ld_fail(ld, args->key_nodes[i], "%s takes no argument \"%.*s\"",
                              spec->act, PS_STR_FMT(args->keys[i]));
        w->args[i] = args->keys[i].p;
        enum ps_err e = ps_ld_expr_node(ld, args->vals[i], w->args[i], NULL, &w->vals[i]);
        if (e != PS_OK)
            return e;
    }
    w->nargs = args->n;
    for (size_t r = 0; spec->required[r]; r++) {
        if (!ps_yaml_get(args, spec->required[r]))
            return ps_ld_fail(ld, args, "%s needs the argument \"%s\"", spec->act,
                              spec->required[r]);
    }
    return PS_OK;
}

static enum ps_err writes(struct ps_ld *ld, const struct ps_yv *map, struct ps_svc_step *st)
{
    static const char *const keys[] = {"act", "each", "args", NULL};
    const struct ps_yv *seq;
    enum ps_err e = ps_ld_seq(ld, map, "writes", 8, &seq);
    if (e != PS_OK || !seq)
        return e;
    st->writes = ps_arena_array(ld->s->arena, seq->n, sizeof *st->writes);
    if (!st->writes)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        struct ps_svc_write *w = &st->writes[i];
        const struct ps_yv *wm = seq->vals[i];
        w->line = wm->line;
        w->col = wm->col;
        e = ps_ld_keys(ld, wm, "a write", keys);
        if (e == PS_OK)
            e = ps_ld_name(ld, wm, "act", true, &w->act);
        const struct ps_engine_write_spec *spec = e == PS_OK ? ps_engine_write_spec(w->act)
                                                            : NULL;
        if (e == PS_OK && !spec)
            return ps_ld_fail(ld, ps_yaml_get(wm, "act"), "no registry act \"%s\"", w->act);
        if (e == PS_OK)
            e = ps_ld_expr(ld, wm, "each", false, "list", &w->each);
        if (e == PS_OK)
            e = write_args(ld, ps_yaml_get(wm, "args"), spec, w);
        if (e != PS_OK)
            return e;
    }
    st->nwrites = seq->n;
    return PS_OK;
}

static enum ps_err documents(struct ps_ld *ld, const struct ps_yv *map, struct ps_svc_step *st)
{
    static const char *const keys[] = {"type", "to", NULL};
    const struct ps_yv *seq;
    enum ps_err e = ps_ld_seq(ld, map, "documents", 8, &seq);
    if (e != PS_OK || !seq)
        return e;
    st->documents = ps_arena_array(ld->s->arena, seq->n, sizeof *st->documents);
    if (!st->documents)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        e = ps_ld_keys(ld, seq->vals[i], "a document", keys);
        if (e == PS_OK)
            e = ps_ld_name(ld, seq->vals[i], "type", true, &st->documents[i].type);
        if (e == PS_OK)
            e = recipient(ld, seq->vals[i], &st->documents[i].to);
        if (e != PS_OK)
            return e;
    }
    st->ndocuments = seq->n;
    return PS_OK;
}

static enum ps_err messages(struct ps_ld *ld, const struct ps_yv *map, struct ps_svc_step *st)
{
    static const char *const keys[] = {"to", "title", "body", NULL};
    const struct ps_yv *seq;
    enum ps_err e = ps_ld_seq(ld, map, "messages", 8, &seq);
    if (e != PS_OK || !seq)
        return e;
    st->messages = ps_arena_array(ld->s->arena, seq->n, sizeof *st->messages);
    if (!st->messages)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        struct ps_svc_message *m = &st->messages[i];
        e = ps_ld_keys(ld, seq->vals[i], "a message", keys);
        if (e == PS_OK)
            e = recipient(ld, seq->vals[i], &m->to);
        if (e == PS_OK)
            e = ps_ld_i18n(ld, seq->vals[i], "title", true, &m->title);
        if (e == PS_OK)
            e = ps_ld_i18n(ld, seq->vals[i], "body", true, &m->body);
        if (e != PS_OK)
            return e;
    }
    st->nmessages = seq->n;
    return PS_OK;
}

static enum ps_err outcome(struct ps_ld *ld, const struct ps_yv *m, struct ps_svc_step *st)
{
    const char *result = NULL;
    enum ps_err e = ps_ld_text(ld, m, "result", true, 16, &result);
    if (e != PS_OK)
        return e;
    if (strcmp(result, "approved") != 0 && strcmp(result, "rejected") != 0)
        return ps_ld_fail(ld, ps_yaml_get(m, "result"), "result is approved or rejected");
    st->approved = strcmp(result, "approved") == 0;
    e = ps_ld_i18n(ld, m, "reason", false, &st->reason);
    if (e == PS_OK && st->approved && st->reason.uk)
        return ps_ld_fail(ld, ps_yaml_get(m, "reason"), "only a rejection has a reason");
    if (e == PS_OK && st->approved)
        e = writes(ld, m, st);
    else if (e == PS_OK && ps_yaml_get(m, "writes"))
        return ps_ld_fail(ld, ps_yaml_get(m, "writes"), "a rejection writes nothing");
    if (e == PS_OK)
        e = documents(ld, m, st);
    if (e == PS_OK)
        e = messages(ld, m, st);
    return e;
}

static enum ps_err human(struct ps_ld *ld, const struct ps_yv *m, struct ps_svc_step *st)
{
    uint64_t days = 0;
    enum ps_err e = ps_ld_uint(ld, m, "deadline_days", true, 1, 365, &days);
    st->deadline_days = (uint32_t)days;
    if (e != PS_OK)
        return e;
    if (st->kind == PS_SVC_CONSENT) {
        e = ps_ld_expr(ld, m, "party", true, "string", &st->party);
        const struct ps_yv *f = ps_yaml_get(m, "fields");
        if (e == PS_OK && f)
            e = ps_ld_fields(ld, f, 1, &st->fields, &st->nfields);
        return e;
    }
    e = ps_ld_name(ld, m, "role", true, &st->role);
    if (e == PS_OK)
        e = ps_ld_name(ld, m, "agency", true, &st->agency);
    if (e == PS_OK)
        e = ps_ld_expr(ld, m, "oblast", false, "string", &st->oblast);
    return e;
}

static enum ps_err step_body(struct ps_ld *ld, const struct ps_yv *m, struct ps_svc_step *st)
{
    uint64_t amount = 0;
    enum ps_err e;
    switch (st->kind) {
    case PS_SVC_CHECK:
        e = ps_ld_rules(ld, m, "rules", &st->rules, &st->nrules);
        if (e == PS_OK && st->nrules == 0)
            return ps_ld_fail(ld, m, "a check needs rules");
        return e;
    case PS_SVC_CONSENT:
    case PS_SVC_DECISION:
        return human(ld, m, st);
    case PS_SVC_FEE:
        e = ps_ld_uint(ld, m, "amount_kop", true, 0, 100000000000ull, &amount);
        st->amount_kop = (int64_t)amount;
        return e == PS_OK ? ps_ld_i18n(ld, m, "purpose", true, &st->purpose) : e;
    case PS_SVC_APPOINTMENT:
        e = ps_ld_name(ld, m, "field", true, &st->slot_field);
        if (e == PS_OK)
            e = ps_ld_name(ld, m, "agency", true, &st->agency);
        if (e == PS_OK)
            e = ps_ld_name(ld, m, "slot_kind", true, &st->slot_kind);
        if (e == PS_OK) {
            const struct ps_svc_field *f = ps_svc_field(ld->s, st->slot_field);
            if (!f || f->type != PS_SVC_SLOT)
                return ps_ld_fail(ld, ps_yaml_get(m, "field"), "\"%s\" is not a slot field",
                                  st->slot_field);
        }
        return e;
    case PS_SVC_OUTCOME:
        return outcome(ld, m, st);
    }
    return PS_ERR_INTERNAL;
}

static enum ps_err step(struct ps_ld *ld, const struct ps_yv *m, struct ps_svc_step *st)
{
    const char *kind = NULL;
    st->line = m ? m->line : 0;
    st->col = m ? m->col : 0;
    if (!m || m->kind != PS_Y_MAP)
        return ps_ld_fail(ld, m, "a step must be a mapping");
    enum ps_err e = ps_ld_name(ld, m, "name", true, &st->name);
    if (e == PS_OK)
        e = ps_ld_text(ld, m, "kind", true, 16, &kind);
    if (e != PS_OK)
        return e;
    size_t k = 0;
    while (k < sizeof kinds / sizeof kinds[0] && strcmp(kinds[k], kind) != 0)
        k++;
    if (k == sizeof kinds / sizeof kinds[0])
        return ps_ld_fail(ld, ps_yaml_get(m, "kind"),
                          "unknown step kind \"%s\" (check, consent, fee, appointment, "
                          "decision, outcome)",
                          kind);
    st->kind = (enum ps_svc_skind)k;
    e = ps_ld_keys(ld, m, "this step", kind_keys(st->kind));
    return e == PS_OK ? step_body(ld, m, st) : e;
}

/* next / on_fail by name; which ones a kind needs. */
static enum ps_err links(struct ps_ld *ld, const struct ps_yv *m, struct ps_svc_step *st)
{
    const struct ps_yv *next = ps_yaml_get(m, "next"), *fail = ps_yaml_get(m, "on_fail");
    bool fails = st->kind == PS_SVC_CHECK || st->kind == PS_SVC_CONSENT ||
                 st->kind == PS_SVC_DECISION;
    st->next = st->on_fail = -1;
    if (st->kind == PS_SVC_OUTCOME)
        return PS_OK;
    if (!next)
        return ps_ld_fail(ld, m, "step \"%s\" needs \"next\"", st->name);
    if (fails && !fail)
        return ps_ld_fail(ld, m, "step \"%s\" needs \"on_fail\"", st->name);
    st->next = next->kind == PS_Y_SCALAR ? ps_svc_step_index(ld->s, next->s) : -1;
    if (st->next < 0)
        return ps_ld_fail(ld, next, "no step named \"%.*s\"", PS_STR_FMT(next->s));
    if (fail) {
        st->on_fail = fail->kind == PS_Y_SCALAR ? ps_svc_step_index(ld->s, fail->s) : -1;
        if (st->on_fail < 0)
            return ps_ld_fail(ld, fail, "no step named \"%.*s\"", PS_STR_FMT(fail->s));
    }
    return PS_OK;
}

/* Depth-first from i: marks reachable steps; a step met again on the current path is a
 * cycle. state: 0 unseen, 1 on the path, 2 done. */
static enum ps_err visit(struct ps_ld *ld, int i, unsigned char *state, const struct ps_yv *seq)
{
    if (state[i] == 1)
        return ps_ld_fail(ld, seq->vals[i], "step \"%s\" is part of a cycle",
                          ld->s->steps[i].name);
    if (state[i] == 2)
        return PS_OK;
    state[i] = 1;
    const struct ps_svc_step *st = &ld->s->steps[i];
    enum ps_err e = st->next >= 0 ? visit(ld, st->next, state, seq) : PS_OK;
    if (e == PS_OK && st->on_fail >= 0)
        e = visit(ld, st->on_fail, state, seq);
    state[i] = 2;
    return e;
}

static enum ps_err graph(struct ps_ld *ld, const struct ps_yv *wf, const struct ps_yv *seq)
{
    struct ps_svc *s = ld->s;
    const struct ps_yv *start = ps_yaml_get(wf, "start");
    s->start = start && start->kind == PS_Y_SCALAR ? ps_svc_step_index(s, start->s) : -1;
    if (s->start < 0)
        return ps_ld_fail(ld, start ? start : wf, "workflow needs \"start\": a step's name");
    unsigned char state[PS_SVC_MAX_STEPS] = {0};
    enum ps_err e = visit(ld, s->start, state, seq);
    for (size_t i = 0; e == PS_OK && i < s->nsteps; i++)
        if (state[i] != 2)
            return ps_ld_fail(ld, seq->vals[i], "step \"%s\" is never reached",
                              s->steps[i].name);
    return e;
}

enum ps_err ps_ld_workflow(struct ps_ld *ld, const struct ps_yv *root)
{
    static const char *const keys[] = {"start", "steps", NULL};
    const struct ps_yv *wf = ps_yaml_get(root, "workflow"), *seq = NULL;
    if (!wf)
        return ps_ld_fail(ld, root, "a definition needs \"workflow\"");
    enum ps_err e = ps_ld_keys(ld, wf, "workflow", keys);
    if (e == PS_OK)
        e = ps_ld_seq(ld, wf, "steps", PS_SVC_MAX_STEPS, &seq);
    if (e == PS_OK && (!seq || seq->n == 0))
        return ps_ld_fail(ld, wf, "workflow needs \"steps\"");
    if (e != PS_OK)
        return e;
    struct ps_svc *s = ld->s;
    s->steps = ps_arena_array(s->arena, seq->n, sizeof *s->steps);
    if (!s->steps)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        e = step(ld, seq->vals[i], &s->steps[i]);
        for (size_t j = 0; e == PS_OK && j < i; j++)
            if (strcmp(s->steps[j].name, s->steps[i].name) == 0)
                return ps_ld_fail(ld, seq->vals[i], "step \"%s\" twice", s->steps[i].name);
        if (e != PS_OK)
            return e;
        s->nsteps = i + 1;
    }
    for (size_t i = 0; i < seq->n; i++) {
        e = links(ld, seq->vals[i], &s->steps[i]);
        if (e != PS_OK)
            return e;
    }
    return graph(ld, wf, seq);
}
