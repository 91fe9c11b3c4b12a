/* The definition's own tests (svctest.h). Each test builds its registry from the test's
 * state, runs eligibility, validation and the workflow with every human step's result known
 * up front, and compares what happened with `expect`. */
#include "engine/svctest.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "engine/flow.h"
#include "engine/writes.h"

struct run {
    const struct ps_svc_test *t;
    json_t *applicant;
    json_t *writes;  /* acts done, in order */
    json_t *parties; /* applicant, then consenting parties */
    const char *me;
};

/* ---- the registry state ---- */

static json_t *record(struct run *r, struct ps_str rnokpp)
{
    if (ps_str_eq_cstr(rnokpp, r->me))
        return r->applicant;
    char key[16];
    if (ps_str_copy(key, sizeof key, rnokpp) != PS_OK)
        return NULL;
    return json_object_get(r->t->registry, key);
}

static bool flag(json_t *rec, const char *name)
{
    return json_is_true(json_object_get(rec, name));
}

/* true when list (a JSON array of strings) holds s */
static bool holds(json_t *list, struct ps_str s)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        if (ps_str_eq((struct ps_str){json_string_value(x), json_string_length(x)}, s))
            return true;
    }
    return false;
}

static enum ps_err lk_person(void *ctx, struct ps_str rnokpp, json_t **out, struct ps_diag *d)
{
    json_t *rec = record(ctx, rnokpp);
    *out = rec ? json_deep_copy(rec) : NULL;
    if (*out && !json_object_get(*out, "found"))
        json_object_set_new(*out, "found", json_true());
    return PS_OK;
}

static enum ps_err lk_related(void *ctx, struct ps_str a, struct ps_str b, bool *out,
                              struct ps_diag *d)
{
    json_t *ra = record(ctx, a), *rb = record(ctx, b);
    *out = holds(json_object_get(ra, "relatives"), b) ||
           holds(json_object_get(rb, "relatives"), a);
    return PS_OK;
}

static enum ps_err lk_parent_of(void *ctx, struct ps_str child, bool *out, struct ps_diag *d)
{
    struct run *r = ctx;
    *out = holds(json_object_get(record(r, child), "parents"), ps_str_from_cstr(r->me));
    return PS_OK;
}

/* ---- what steps do ---- */

static enum ps_err op_consent(void *ctx, const struct ps_svc_step *st, struct ps_str party,
                              int64_t due, struct ps_diag *d)
{
    return PS_OK;
}

static enum ps_err op_decision(void *ctx, const struct ps_svc_step *st, struct ps_str oblast,
                               int64_t due, struct ps_diag *d)
{
    return PS_OK;
}

static enum ps_err op_fee(void *ctx, const struct ps_svc_step *st, struct ps_diag *d)
{
    return PS_OK;
}

static enum ps_err op_book(void *ctx, const struct ps_svc_step *st, struct ps_str slot,
                           struct ps_diag *refused, struct ps_diag *d)
{
    return PS_OK;
}

static struct ps_str arg(json_t *args, const char *name)
{
    json_t *v = json_object_get(args, name);
    return (struct ps_str){json_string_value(v) ? json_string_value(v) : "",
                           json_string_length(v)};
}

/* The registries' refusals, from the state. */
static enum ps_err op_write(void *ctx, const char *act, json_t *args, struct ps_diag *refused,
                            struct ps_diag *d)
{
    struct run *r = ctx;
    struct ps_str who = arg(args, strcmp(act, "marriage.register") == 0 ? "a" : "rnokpp");
    json_t *rec = record(r, who);
    if (!rec || flag(rec, "deceased"))
        return ps_diag_set(refused, PS_ERR_NOTFOUND, "%s: no living person %.*s", act,
                           PS_STR_FMT(who));
    if (strcmp(act, "sole-proprietor.register") == 0 && flag(rec, "fop_active"))
        return ps_diag_set(refused, PS_ERR_EXISTS, "%s: already registered", act);
    if (strcmp(act, "idp.register") == 0 && flag(rec, "idp_registered"))
        return ps_diag_set(refused, PS_ERR_EXISTS, "%s: already registered", act);
    if (strcmp(act, "marriage.register") == 0) {
        bool kin = false;
        json_t *other = record(r, arg(args, "b"));
        lk_related(r, who, arg(args, "b"), &kin, d);
        if (flag(rec, "married") || !other || flag(other, "married") || kin)
            return ps_diag_set(refused, PS_ERR_EXISTS, "%s: refused by the registry", act);
    }
    return json_array_append_new(r->writes, json_string(act)) == 0 ? PS_OK : PS_ERR_NOMEM;
}

static enum ps_err op_document(void *ctx, const char *type, struct ps_str holder,
                               struct ps_diag *d)
{
    return PS_OK;
}

static enum ps_err op_message(void *ctx, struct ps_str to, const struct ps_svc_message *m,
                              const char *bu, const char *be, struct ps_diag *d)
{
    return PS_OK;
}

static json_t *op_parties(void *ctx)
{
    return json_deep_copy(((struct run *)ctx)->parties);
}

static enum ps_err op_event(void *ctx, const struct ps_svc_step *st, const char *what,
                            struct ps_diag *d)
{
    return PS_OK;
}

static const struct ps_flow_ops ops = {op_consent, op_decision, op_fee,     op_book, op_write,
                                       op_document, op_message, op_parties, op_event, NULL};

/* ---- one test ---- */

static void say(struct ps_svc_test_result *res, const char *fmt, ...) PS_PRINTF(2, 3);
static void say(struct ps_svc_test_result *res, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(res->message, sizeof res->message, fmt, ap);
    va_end(ap);
    if (n < 0)
        res->message[0] = '\0';
}

/* facts from the test's consents and decisions: {step: {consent|decision, reason, answers}} */
static json_t *facts_of(const struct ps_svc_test *t, struct run *r)
{
    json_t *facts = json_object(), *v;
    const char *step;
    json_object_foreach(t->consents, step, v) {
        json_object_set_new(facts, step, json_deep_copy(v));
        json_t *by = json_object_get(v, "by");
        if (json_is_string(by))
            json_array_append(r->parties, by);
    }
    json_object_foreach(t->decisions, step, v)
        json_object_set_new(facts, step, json_deep_copy(v));
    return facts;
}

static bool errors_match(const struct ps_svc_test *t, const struct ps_form_error *errs,
                         size_t n)
{
    if (n != t->nexpect_errors)
        return false;
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (size_t j = 0; j < n && !found; j++)
            found = strcmp(errs[i].field, t->expect_errors[j]) == 0;
        if (!found)
            return false;
    }
    return true;
}

static void compare(const struct ps_svc *svc, const struct ps_svc_test *t, struct run *r,
                    const char *status, const struct ps_flow *f, const struct ps_form_error *errs,
                    size_t nerrs, struct ps_svc_test_result *res)
{
    const char *step = f ? svc->steps[f->step].name : "";
    const char *ru = f && f->reason.uk ? f->reason.uk : nerrs ? errs[0].uk : "";
    const char *re = f && f->reason.en ? f->reason.en : nerrs ? errs[0].en : "";
    res->ok = false;
    if (strcmp(status, t->expect_status) != 0)
        return say(res, "expected %s, got %s at step %s (%s)", t->expect_status, status, step,
                   re);
    if (t->expect_step && strcmp(step, t->expect_step) != 0)
        return say(res, "expected to end at %s, ended at %s", t->expect_step, step);
    if (t->expect_reason && !strstr(ru, t->expect_reason) && !strstr(re, t->expect_reason))
        return say(res, "expected a reason with \"%s\", got \"%s\"", t->expect_reason, re);
    if (strcmp(status, "invalid") == 0 && !errors_match(t, errs, nerrs))
        return say(res, "the fields that failed differ (%zu failed, first: %s)", nerrs,
                   nerrs ? errs[0].field : "none");
    for (size_t i = 0; i < t->nexpect_writes || i < json_array_size(r->writes); i++) {
        const char *got = json_string_value(json_array_get(r->writes, i));
        const char *want = i < t->nexpect_writes ? t->expect_writes[i] : NULL;
        if (!got || !want || strcmp(got, want) != 0)
            return say(res, "write %zu: expected %s, got %s", i + 1, want ? want : "none",
                       got ? got : "none");
    }
    res->ok = true;
    say(res, "%s at step %s", status, step);
}

static enum ps_err one(const struct ps_engine_env *env, const struct ps_svc *svc,
                       const struct ps_svc_test *t, struct run *r, struct ps_arena *arena,
                       struct ps_svc_test_result *res)
{
    struct ps_engine_lookup lk = {lk_person, lk_related, lk_parent_of, r};
    struct ps_engine_host host;
    struct ps_flow_ops o = ops;
    struct ps_form_error errs[PS_FORM_MAX_ERRORS];
    size_t nerrs = 0;
    struct ps_diag d = {0}, refused = {0};
    o.ctx = r;
    ps_engine_host_init(&host, env, &lk);
    json_t *answers = t->answers ? json_deep_copy(t->answers) : json_object();
    json_t *facts = facts_of(t, r);
    struct ps_flow f = {.svc = svc, .facts = facts, .id = "test", .step = svc->start};
    enum ps_err e = ps_flow_vars(&f.vars, r->applicant, NULL, NULL, &host, arena, &d);
    if (e == PS_OK)
        e = ps_flow_eligible(svc, &f.vars, &host, arena, errs, PS_FORM_MAX_ERRORS, &nerrs, &d);
    if (e == PS_OK && nerrs) {
        compare(svc, t, r, "not-eligible", NULL, errs, nerrs, res);
        goto out;
    }
    if (e == PS_OK)
        e = ps_flow_prefill(svc, answers, &f.vars, &host, arena, &d);
    if (e == PS_OK)
        e = ps_flow_vars(&f.vars, r->applicant, answers, facts, &host, arena, &d);
    if (e == PS_OK)
        e = ps_flow_validate(svc, svc->fields, svc->nfields, svc->validate, svc->nvalidate,
                             answers, &f.vars, &host, arena, errs, PS_FORM_MAX_ERRORS, &nerrs,
                             &d);
    if (e == PS_OK && nerrs) {
        compare(svc, t, r, "invalid", NULL, errs, nerrs, res);
        goto out;
    }
    if (e == PS_OK)
        e = ps_flow_run(&f, &o, &host, arena, &refused, &d);
    if (e == PS_OK && refused.code != PS_OK)
        f.reason = (struct ps_svc_text){refused.message, refused.message};
    if (e == PS_OK)
        compare(svc, t, r, refused.code != PS_OK ? "refused" : ps_flow_status_name(f.status),
                &f, errs, 0, res);
out:
    if (e != PS_OK) {
        res->ok = false;
        say(res, "%s", d.message);
    }
    json_decref(answers);
    json_decref(facts);
    return e == PS_ERR_NOMEM ? e : PS_OK;
}

enum ps_err ps_svc_run_tests(const struct ps_engine_env *env, const struct ps_svc *svc,
                             struct ps_svc_test_result *results, size_t cap, size_t *n,
                             size_t *failed, struct ps_diag *diag)
{
    *n = *failed = 0;
    for (size_t i = 0; i < svc->ntests && i < cap; i++) {
        const struct ps_svc_test *t = &svc->tests[i];
        struct ps_svc_test_result *res = &results[i];
        memset(res, 0, sizeof *res);
        res->name = t->name;
        res->line = t->line;
        struct run r = {.t = t, .applicant = t->applicant, .writes = json_array(),
                        .parties = json_array()};
        r.me = json_string_value(json_object_get(t->applicant, "rnokpp"));
        if (!r.me)
            r.me = "";
        json_array_append_new(r.parties, json_string(r.me));
        struct ps_arena *arena = ps_arena_new(8u << 20);
        enum ps_err e = arena && r.writes && r.parties ? one(env, svc, t, &r, arena, res)
                                                       : PS_ERR_NOMEM;
        ps_arena_free(arena);
        json_decref(r.writes);
        json_decref(r.parties);
        if (e != PS_OK)
            return ps_diag_set(diag, e, "out of memory");
        *n = i + 1;
        *failed += !res->ok;
    }
    return PS_OK;
}
