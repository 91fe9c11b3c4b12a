/* The tests inside a definition (`tests:`): applicant, registry state, answers and the human
 * steps' results in; the expected result out. Values are kept as JSON for the test runner
 * (svctest.c). */
#include <stdlib.h>
#include <string.h>

#include "engine/def_int.h"

/* A plain scalar that reads as a JSON number (YAML 1.2 core schema's int and float). */
static json_t *number(struct ps_str s)
{
    char buf[64], *end = NULL;
    if (s.len == 0 || s.len >= sizeof buf)
        return NULL;
    memcpy(buf, s.p, s.len);
    buf[s.len] = '\0';
    bool integral = strspn(buf + (buf[0] == '-'), "0123456789") == s.len - (buf[0] == '-');
    if (integral && s.len - (buf[0] == '-') > 0 && s.len < 19)
        return json_integer(strtoll(buf, NULL, 10));
    double d = strtod(buf, &end);
    if (*end || end == buf || buf[0] == '.' || strspn(buf, "+-0123456789.eE") != s.len)
        return NULL;
    return json_real(d);
}

static json_t *scalar_json(const struct ps_yv *v)
{
    if (v->style == PS_YS_PLAIN) {
        if (ps_str_eq_cstr(v->s, "true"))
            return json_true();
        if (ps_str_eq_cstr(v->s, "false"))
            return json_false();
        if (ps_str_eq_cstr(v->s, "null") || ps_str_eq_cstr(v->s, "~") || v->s.len == 0)
            return json_null();
        json_t *n = number(v->s);
        if (n)
            return n;
    }
    return json_stringn(v->s.p, v->s.len);
}

json_t *ps_yaml_to_json(const struct ps_yv *v)
{
    if (v->kind == PS_Y_SCALAR)
        return scalar_json(v);
    json_t *out = v->kind == PS_Y_MAP ? json_object() : json_array();
    for (size_t i = 0; out && i < v->n; i++) {
        json_t *x = ps_yaml_to_json(v->vals[i]);
        int rc = -1;
        if (x && v->kind == PS_Y_MAP)
            rc = json_object_setn_new(out, v->keys[i].p, v->keys[i].len, x);
        else if (x)
            rc = json_array_append_new(out, x);
        if (rc != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

/* key's value as JSON of type want ('o' object, 0 any), or NULL when absent. */
static enum ps_err json_of(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                           char want, void **out)
{
    const struct ps_yv *v = ps_yaml_get(map, key);
    *out = NULL;
    if (!v)
        return PS_OK;
    if (want == 'o' && v->kind != PS_Y_MAP)
        return ps_ld_fail(ld, v, "\"%s\" must be a mapping", key);
    *out = ps_yaml_to_json(v);
    return *out ? PS_OK : ps_ld_oom(ld);
}

static enum ps_err names(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                         const char ***out, size_t *n)
{
    const struct ps_yv *seq;
    enum ps_err e = ps_ld_seq(ld, map, key, 64, &seq);
    if (e != PS_OK || !seq)
        return e;
    *out = ps_arena_array(ld->s->arena, seq->n + 1, sizeof **out);
    if (!*out)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        /* "" is a rule across fields (or of eligibility): it names no field */
        bool empty_ok = strcmp(key, "errors") == 0;
        if (seq->vals[i]->kind != PS_Y_SCALAR || (seq->vals[i]->s.len == 0 && !empty_ok))
            return ps_ld_fail(ld, seq->vals[i], "\"%s\" lists names", key);
        (*out)[i] = seq->vals[i]->s.p;
    }
    *n = seq->n;
    return PS_OK;
}

static enum ps_err expect(struct ps_ld *ld, const struct ps_yv *m, struct ps_svc_test *t)
{
    static const char *const keys[] = {"status", "step", "reason", "errors", "writes", NULL};
    static const char *const statuses[] = {"approved", "rejected", "waiting", "not-eligible",
                                           "invalid", NULL};
    const struct ps_yv *x = ps_yaml_get(m, "expect");
    if (!x)
        return ps_ld_fail(ld, m, "a test needs \"expect\"");
    enum ps_err e = ps_ld_keys(ld, x, "expect", keys);
    if (e == PS_OK)
        e = ps_ld_text(ld, x, "status", true, 16, &t->expect_status);
    bool known = false;
    for (size_t i = 0; e == PS_OK && statuses[i]; i++)
        known = known || strcmp(statuses[i], t->expect_status) == 0;
    if (e == PS_OK && !known)
        return ps_ld_fail(ld, ps_yaml_get(x, "status"),
                          "status is approved, rejected, waiting, not-eligible or invalid");
    if (e == PS_OK)
        e = ps_ld_name(ld, x, "step", false, &t->expect_step);
    if (e == PS_OK && t->expect_step && ps_svc_step_index(ld->s, ps_str_from_cstr(
                                            t->expect_step)) < 0)
        return ps_ld_fail(ld, ps_yaml_get(x, "step"), "no step named \"%s\"", t->expect_step);
    if (e == PS_OK)
        e = ps_ld_text(ld, x, "reason", false, PS_SVC_TEXT_MAX, &t->expect_reason);
    if (e == PS_OK)
        e = names(ld, x, "errors", &t->expect_errors, &t->nexpect_errors);
    if (e == PS_OK)
        e = names(ld, x, "writes", &t->expect_writes, &t->nexpect_writes);
    return e;
}

static enum ps_err test(struct ps_ld *ld, const struct ps_yv *m, struct ps_svc_test *t)
{
    static const char *const keys[] = {"name",      "applicant", "registry", "answers",
                                       "consents",  "decisions", "expect",   NULL};
    t->line = m ? m->line : 0;
    t->col = m ? m->col : 0;
    enum ps_err e = ps_ld_keys(ld, m, "a test", keys);
    if (e == PS_OK)
        e = ps_ld_text(ld, m, "name", true, 200, &t->name);
    if (e == PS_OK && !ps_yaml_get(m, "applicant"))
        return ps_ld_fail(ld, m, "a test needs \"applicant\"");
    if (e == PS_OK)
        e = json_of(ld, m, "applicant", 'o', &t->applicant);
    if (e == PS_OK)
        e = json_of(ld, m, "registry", 'o', &t->registry);
    if (e == PS_OK)
        e = json_of(ld, m, "answers", 'o', &t->answers);
    if (e == PS_OK)
        e = json_of(ld, m, "consents", 'o', &t->consents);
    if (e == PS_OK)
        e = json_of(ld, m, "decisions", 'o', &t->decisions);
    return e == PS_OK ? expect(ld, m, t) : e;
}

enum ps_err ps_ld_tests(struct ps_ld *ld, const struct ps_yv *root)
{
    const struct ps_yv *seq;
    struct ps_svc *s = ld->s;
    enum ps_err e = ps_ld_seq(ld, root, "tests", PS_SVC_MAX_TESTS, &seq);
    if (e != PS_OK || !seq)
        return e;
    s->tests = ps_arena_array(s->arena, seq->n, sizeof *s->tests);
    if (!s->tests)
        return ps_ld_oom(ld);
    for (size_t i = 0; i < seq->n; i++) {
        s->ntests = i + 1; /* freed with the svc even when this one fails half-way */
        e = test(ld, seq->vals[i], &s->tests[i]);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

void ps_svc_tests_free(struct ps_svc *s)
{
    for (size_t i = 0; i < s->ntests; i++) {
        json_decref(s->tests[i].applicant);
        json_decref(s->tests[i].registry);
        json_decref(s->tests[i].answers);
        json_decref(s->tests[i].consents);
        json_decref(s->tests[i].decisions);
    }
    s->ntests = 0;
}
