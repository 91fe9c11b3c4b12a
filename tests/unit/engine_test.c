/* The service engine: definitions (every kind of error located in the file, limits), the
 * built-in services' own tests, and applications in the store (SQLite, or PostgreSQL under
 * PS_TEST_DB): FOP registration end to end, validation failures all at once in both
 * languages, IDP with a child, marriage with consent and a registrar's decision, refusals of
 * those not entitled (recorded), keyed submissions, concurrent double submissions, pinned
 * versions, cost limits. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "engine/app.h"
#include "engine/engine.h"
#include "engine/svctest.h"
#include "policy/actor.h"
#include "registries/business.h"
#include "registries/date.h"
#include "registries/kinship.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"
#include "registries/unzr.h"
#include "store/store.h"
#include "pg_helper.h"

static struct ps_str S(const char *s)
{
    return ps_str_from_cstr(s);
}

/* ---- definitions ---- */

static struct ps_engine_env *env;

static void env_setup(void)
{
    struct ps_diag d = {0};
    cr_assert_eq(ps_engine_env_new(NULL, &env, &d), PS_OK, "%s", d.message);
}

static void env_teardown(void)
{
    ps_engine_env_free(env);
}

TestSuite(definition, .init = env_setup, .fini = env_teardown);

static const char *const builtin[] = {"fop-registration", "idp-registration", "marriage"};

static struct ps_svc *load_file(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/services/%s.yaml", PS_SOURCE_DIR, name);
    struct ps_svc *s = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_svc_load_file(env, path, &s, &d), PS_OK, "%s", d.message);
    return s;
}

Test(definition, builtin_load_and_pass_their_tests)
{
    for (size_t i = 0; i < 3; i++) {
        struct ps_svc *s = load_file(builtin[i]);
        struct ps_svc_test_result r[PS_SVC_MAX_TESTS];
        size_t n = 0, failed = 0;
        struct ps_diag d = {0};
        cr_assert_eq(ps_svc_run_tests(env, s, r, PS_SVC_MAX_TESTS, &n, &failed, &d), PS_OK);
        cr_assert_gt(n, 0);
        for (size_t k = 0; k < n; k++)
            cr_expect(r[k].ok, "%s: %s: %s", builtin[i], r[k].name, r[k].message);
        ps_svc_free(s);
    }
    cr_assert_eq(ps_engine_kved_count(env), 615);
    const char *t = NULL;
    cr_assert(ps_engine_kved(env, S("62.01"), &t));
    cr_assert_str_eq(t, "Комп'ютерне програмування");
    cr_assert_not(ps_engine_kved(env, S("62.05"), NULL));
    cr_assert_str_eq(ps_engine_territory(env, S("Херсонська міська громада"), S("2022-06-01")),
                     "occupied");
    cr_assert_str_eq(ps_engine_territory(env, S("Херсонська міська громада"), S("2023-01-01")),
                     "combat");
    cr_assert_str_eq(ps_engine_territory(env, S("Львівська міська громада"), S("2023-01-01")),
                     "");
}

/* A minimal definition with one replaceable part. */
static const char *minimal =
    "format: 1\n"
    "id: t\n"
    "version: 1\n"
    "agency: dps\n"
    "category: test\n"
    "title: {uk: Т, en: T}\n"
    "description: {uk: Т, en: T}\n"
    "legal_basis: {uk: Т, en: T}\n"
    "form:\n"
    "  fields:\n"
    "    - name: n\n"
    "      type: number\n"
    "      label: {uk: Н, en: N}\n"
    "      rules:\n"
    "        - rule: RULE\n"
    "          message: {uk: Н, en: N}\n"
    "workflow:\n"
    "  start: done\n"
    "  steps:\n"
    "    - {name: done, kind: outcome, result: approved}\n";

/* minimal with RULE replaced by rule, into text (cap bytes). */
static void with_rule(char *text, size_t cap, const char *rule)
{
    const char *at = strstr(minimal, "RULE");
    int n = snprintf(text, cap, "%.*s%s%s", (int)(at - minimal), minimal, rule, at + 4);
    cr_assert(n > 0 && (size_t)n < cap);
}

static enum ps_err load_text(const char *text, struct ps_diag *d)
{
    struct ps_svc *s = NULL;
    enum ps_err e = ps_svc_load(env, text, strlen(text), "t.yaml", &s, d);
    ps_svc_free(s);
    return e;
}

static void load_rule(const char *rule, enum ps_err want, const char *msg)
{
    char text[2048];
    with_rule(text, sizeof text, rule);
    struct ps_diag d = {0};
    cr_assert_eq(load_text(text, &d), want, "%s: %s", rule, d.message);
    if (msg)
        cr_assert_str_eq(d.message, msg, "%s", rule);
}

Test(definition, expressions_located)
{
    load_rule("value > 1", PS_OK, NULL);
    /* a syntax error: the column of the character in the file (line 15, rule at column 17) */
    load_rule("value > > 1", PS_ERR_INVALID, NULL);
    struct ps_diag d = {0};
    char text[2048];
    with_rule(text, sizeof text, "value + ");
    cr_assert_eq(load_text(text, &d), PS_ERR_INVALID);
    cr_assert(strncmp(d.message, "t.yaml:15:", 10) == 0, "%s", d.message);
    /* a type error names the function, placed in the file */
    with_rule(text, sizeof text, "age(1) > 2");
    cr_assert_eq(load_text(text, &d), PS_ERR_INVALID);
    cr_assert(strncmp(d.message, "t.yaml:15:", 10) == 0, "%s", d.message);
    cr_assert(strstr(d.message, "age"), "%s", d.message);
    /* an unknown name */
    with_rule(text, sizeof text, "nosuch == 1");
    cr_assert_eq(load_text(text, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "t.yaml:15:17"), "%s", d.message);
    /* a rule that is not bool */
    load_rule("1 + 2", PS_ERR_INVALID, "t.yaml:15:17: rule: the expression is int, not bool");
    /* quoted: one more column for the quote */
    with_rule(text, sizeof text, "\"value >> 1\"");
    cr_assert_eq(load_text(text, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "t.yaml:15:"), "%s", d.message);
}

static void load_mutated(const char *from, const char *to, const char *want)
{
    char base[2048], text[2048];
    with_rule(base, sizeof base, "value > 1");
    const char *at = strstr(base, from);
    cr_assert(at, "%s", from);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    struct ps_diag d = {0};
    cr_assert_eq(load_text(text, &d), PS_ERR_INVALID, "%s", to);
    cr_assert(strstr(d.message, want), "%s: got %s", want, d.message);
}

Test(definition, format_errors_located)
{
    load_mutated("format: 1", "format: 2", "t.yaml:1:9: format 2 is not known");
    load_mutated("id: t", "id: T!", "t.yaml:2:5:");
    load_mutated("category: test", "category: test\ncolour: red",
                 "t.yaml:6:1: a definition: unknown key \"colour\"");
    load_mutated("title: {uk: Т, en: T}", "title: {uk: Т}", "needs \"en\"");
    load_mutated("type: number", "type: numbr", "t.yaml:12:13: unknown field type \"numbr\"");
    load_mutated("start: done", "start: nowhere", "workflow needs \"start\"");
    load_mutated("result: approved", "result: maybe", "result is approved or rejected");
    load_mutated("    - {name: done, kind: outcome, result: approved}\n",
                 "    - {name: done, kind: outcome, result: approved}\n"
                 "    - {name: lost, kind: outcome, result: approved}\n",
                 "step \"lost\" is never reached");
    load_mutated("    - {name: done, kind: outcome, result: approved}\n",
                 "    - {name: done, kind: check, rules: [{rule: 'true', message: {uk: a, en: "
                 "b}}], next: done, on_fail: done}\n",
                 "part of a cycle");
    load_mutated("version: 1", "version: [1]", "t.yaml:3:");
    load_mutated("title: {uk: Т, en: T}", "title: {uk: Т, en: T", "t.yaml:");
    load_mutated("title: {uk: Т, en: T}", "title: &a {uk: Т, en: T}\ndescription2: *a",
                 "aliases are not allowed");
}

Test(definition, limits)
{
    char *deep = malloc(200000);
    size_t n = 0;
    for (int i = 0; i < 40; i++) {
        int k = snprintf(deep + n, 200000 - n, "%*sa:\n", i * 2, "");
        cr_assert(k > 0 && (size_t)k < 200000 - n);
        n += (size_t)k;
    }
    deep[n] = '\0';
    struct ps_diag d = {0};
    cr_assert_eq(load_text(deep, &d), PS_ERR_LIMIT, "%s", d.message);
    free(deep);
    char *big = malloc((1u << 20) + 16);
    memset(big, '#', (1u << 20) + 8);
    struct ps_svc *s = NULL;
    cr_assert_eq(ps_svc_load(env, big, (1u << 20) + 8, "big.yaml", &s, &d), PS_ERR_LIMIT);
    free(big);
}

Test(definition, runaway_rule_stopped_by_cost)
{
    char text[2048];
    with_rule(text, sizeof text,
             "\"[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, "
             "[1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, "
             "[1,2,3,4,5,6,7,8,9,10].all(e, a + b + c + d + e > 0)))))\"");
    struct ps_svc *s = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_svc_load(env, text, strlen(text), "t.yaml", &s, &d), PS_OK, "%s",
                 d.message);
    struct ps_engine_host host;
    ps_engine_host_init(&host, env, NULL);
    struct ps_arena *arena = ps_arena_new(8u << 20);
    struct ps_flow_vars vars;
    json_t *answers = json_pack("{s:i}", "n", 5);
    cr_assert_eq(ps_flow_vars(&vars, NULL, answers, NULL, &host, arena, &d), PS_OK);
    struct ps_form_error errs[PS_FORM_MAX_ERRORS];
    size_t nerrs = 0;
    cr_assert_eq(ps_flow_validate(s, s->fields, s->nfields, NULL, 0, answers, &vars, &host,
                                  arena, errs, PS_FORM_MAX_ERRORS, &nerrs, &d),
                 PS_ERR_LIMIT, "%s", d.message);
    json_decref(answers);
    ps_arena_free(arena);
    ps_svc_free(s);
}
