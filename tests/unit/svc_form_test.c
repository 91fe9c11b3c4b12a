/* The service form as pages (src/portal/svc_form.c) over the shipped definitions: the pages
 * and which are asked, posted values read back into answers (every field type, a list's rows
 * added and removed, blank rows dropped, values kept as typed for the engine to judge),
 * questions rendered with their values and the engine's messages placed on the right input,
 * error links, and the answers worded for "check your answers" in both languages. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "core/arena.h"
#include "engine/env.h"
#include "engine/svc.h"
#include "portal/svc_form.h"

static struct ps_engine_env *env;
static struct ps_svc *fop, *idp;
static struct ps_arena *arena;

static struct ps_svc *load(const char *name)
{
    char path[512];
    struct ps_svc *s = NULL;
    struct ps_diag d = {0};
    snprintf(path, sizeof path, "%s/services/%s.yaml", PS_SOURCE_DIR, name);
    cr_assert_eq(ps_svc_load_file(env, path, &s, &d), PS_OK, "%s", d.message);
    return s;
}

static void setup(void)
{
    struct ps_diag d = {0};
    cr_assert_eq(ps_engine_env_new(NULL, &env, &d), PS_OK, "%s", d.message);
    fop = load("fop-registration");
    idp = load("idp-registration");
    arena = ps_arena_new(1 << 20);
    cr_assert(arena);
}

static void teardown(void)
{
    ps_arena_free(arena);
    ps_svc_free(fop);
    ps_svc_free(idp);
    ps_engine_env_free(env);
}

TestSuite(svc_form, .init = setup, .fini = teardown);

/* Pairs from "name=value" strings (no decoding needed in these tests). */
static size_t pairs_of(struct ps_form_pair *p, const char *const *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *eq = strchr(kv[i], '=');
        p[i].name = (struct ps_str){kv[i], (size_t)(eq - kv[i])};
        p[i].value = ps_str_from_cstr(eq + 1);
    }
    return n;
}

static json_t *read_page(const struct ps_svc *s, const char *page, json_t *answers,
                         const char *const *kv, size_t n)
{
    struct ps_form_pair p[32];
    struct ps_diag d = {0};
    size_t np = pairs_of(p, kv, n);
    cr_assert_eq(ps_svcform_read(s->fields, s->nfields, page, p, np, answers, &d), PS_OK);
    return answers;
}

static char *dump(json_t *j)
{
    static char out[1024];
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(out, sizeof out, "%s", s ? s : "(null)");
    free(s);
    return out;
}

Test(svc_form, pages_in_order_and_prefilled_pages_not_asked)
{
    const char *pages[PS_SVC_MAX_FIELDS];
    size_t n = ps_svcform_pages(fop, pages, PS_SVC_MAX_FIELDS);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(pages[0], "activities");
    cr_assert_str_eq(pages[2], "address");
    cr_assert_str_eq(pages[3], "contacts");
    cr_assert_eq(ps_svcform_page_index(fop, PS_STR("contacts")), 3);
    cr_assert_eq(ps_svcform_page_index(fop, PS_STR("nope")), -1);
    json_t *a = json_pack("{s:{s:s}}", "address", "oblast", "x");
    cr_assert(ps_svcform_page_known(fop, "address", a), "prefilled and answered");
    cr_assert_not(ps_svcform_page_known(fop, "contacts", a), "not prefilled");
    json_object_del(a, "address");
    cr_assert_not(ps_svcform_page_known(fop, "address", a), "prefilled but not answered");
    json_decref(a);
}

Test(svc_form, a_list_reads_rows_drops_blank_ones_adds_and_removes)
{
    json_t *a = json_pack("{s:s}", "email", "keep@example.com");
    const char *kv[] = {"f-activities-0-code=62.01",
                        "f-activities-1-code=", "f-activities-2-code=47.81",
                        "f-email=other@example.com"};
    read_page(fop, "activities", a, kv, 4);
    cr_assert_str_eq(dump(a),
                     "{\"activities\":[{\"code\":\"62.01\"},{\"code\":\"47.81\"}],"
                     "\"email\":\"keep@example.com\"}",
                     "only the page's fields; blank rows dropped");
    const char *add[] = {"f-activities-0-code=62.01", "_action=add-activities"};
    read_page(fop, "activities", a, add, 2);
    cr_assert_eq(json_array_size(json_object_get(a, "activities")), 2, "%s", dump(a));
    cr_assert_eq(json_object_size(json_array_get(json_object_get(a, "activities"), 1)), 0);
    const char *rm[] = {"f-activities-0-code=62.01", "f-activities-1-code=47.81",
                        "_action=remove-activities-0"};
    read_page(fop, "activities", a, rm, 3);
    cr_assert_str_eq(dump(json_object_get(a, "activities")), "[{\"code\":\"47.81\"}]");
    const char *bad[] = {"f-activities-0-code=47.81", "_action=remove-activities-9",
                         "_action=remove-activities-x"};
    read_page(fop, "activities", a, bad, 3);
    cr_assert_eq(json_array_size(json_object_get(a, "activities")), 1);
    const char *none[] = {"f-activities-0-code=", "_action=continue"};
    read_page(fop, "activities", a, none, 2);
    cr_assert_null(json_object_get(a, "activities"), "an empty list is no answer");
    json_decref(a);
}

Test(svc_form, dates_addresses_booleans_and_lists_of_people)
{
    json_t *a = json_object();
    const char *left[] = {"f-left_on-day=5",
                          "f-left_on-month=3",
                          "f-left_on-year=2022",
                          "f-from_address-oblast=Донецька",
                          "f-from_address-hromada=Маріупольська",
                          "f-from_address-settlement=м. Маріуполь",
                          "f-from_address-street=",
                          "f-from_address-building=1"};
    read_page(idp, "left", a, left, 8);
    cr_assert_str_eq(json_string_value(json_object_get(a, "left_on")), "2022-03-05");
    cr_assert_str_eq(
        json_string_value(json_object_get(json_object_get(a, "from_address"), "street")), "",
        "an address keeps its empty parts for the engine to refuse");
    const char *partial[] = {"f-left_on-day=31", "f-left_on-month=", "f-left_on-year=22"};
    read_page(idp, "left", a, partial, 3);
    cr_assert_str_eq(json_string_value(json_object_get(a, "left_on")), "22--31",
                     "as typed: the engine says what is wrong");
    cr_assert_null(json_object_get(a, "from_address"), "all parts empty: no answer");
    const char *yes[] = {"f-allowance=yes"};
    read_page(idp, "allowance", a, yes, 1);
    cr_assert(json_is_true(json_object_get(a, "allowance")));
    const char *no[] = {"f-allowance=no"};
    read_page(idp, "allowance", a, no, 1);
    cr_assert(json_is_false(json_object_get(a, "allowance")));
    const char *kids[] = {"f-children-0-rnokpp=3456789012"};
    read_page(idp, "children", a, kids, 1);
    cr_assert_str_eq(dump(json_object_get(a, "children")), "[{\"rnokpp\":\"3456789012\"}]");
    json_decref(a);
}

Test(svc_form, numbers_read_as_numbers_or_stay_text)
{
    static const struct ps_svc_field f[] = {
        {.name = "n", .type = PS_SVC_NUMBER, .label = {"Н", "N"}}};
    struct ps_form_pair p[1];
    struct ps_diag d = {0};
    json_t *a = json_object();
    const char *cases[][2] = {
        {"f-n=12", "12"}, {"f-n=1.5", "1.5"}, {"f-n=abc", "\"abc\""}, {"f-n=1e999", "\"1e999\""}};
    for (size_t i = 0; i < 4; i++) {
        pairs_of(p, &cases[i][0], 1);
        cr_assert_eq(ps_svcform_read(f, 1, NULL, p, 1, a, &d), PS_OK);
        char *s = json_dumps(json_object_get(a, "n"), JSON_ENCODE_ANY);
        cr_assert_str_eq(s, cases[i][1], "%s: %s", cases[i][0], s);
        free(s);
    }
    json_decref(a);
}

Test(svc_form, questions_carry_values_and_the_engines_messages)
{
    json_t *a = json_pack("{s:s,s:[{s:s},{s:s}]}", "tax_system", "single-2", "activities", "code",
                          "62.01", "code", "99.99");
    struct ps_form_error errs[] = {{"activities[1].code", "Код не існує", "No such code"},
                                   {"activities[0]", "Двічі", "Twice"},
                                   {"tax_system", "Оберіть", "Choose one"}};
    struct ps_svcform_view v = {PS_LANG_EN, a, errs, 3, NULL, 0};
    struct ps_tpl_question *q = NULL;
    size_t n = 0;
    cr_assert_eq(ps_svcform_questions(fop->fields, fop->nfields, "tax", &v, arena, &q, &n), PS_OK);
    cr_assert_eq(n, 1);
    cr_assert(q[0].is_radios && q[0].is_group && !q[0].is_select);
    cr_assert_eq(q[0].noptions, 4);
    cr_assert(q[0].options[1].checked && !q[0].options[0].checked);
    cr_assert(ps_str_eq_cstr(q[0].options[1].id, "f-tax_system-1"));
    cr_assert(ps_str_eq_cstr(q[0].error, "Choose one"));
    cr_assert(strstr(q[0].describedby.p, "f-tax_system-error"));
    cr_assert_eq(ps_svcform_questions(fop->fields, fop->nfields, "activities", &v, arena, &q, &n),
                 PS_OK);
    cr_assert(q[0].is_list && q[0].nrows == 2 && q[0].can_add);
    cr_assert(ps_str_eq_cstr(q[0].error, "Twice"), "an item's rule is the question's");
    cr_assert(ps_str_eq_cstr(q[0].rows[1].inputs[0].id, "f-activities-1-code"));
    cr_assert(ps_str_eq_cstr(q[0].rows[1].inputs[0].value, "99.99"));
    cr_assert(ps_str_eq_cstr(q[0].rows[1].inputs[0].error, "No such code"));
    cr_assert_eq(q[0].rows[0].inputs[0].error.len, 0);
    cr_assert(ps_str_eq_cstr(q[0].rows[1].remove, "remove-activities-1"));
    v.lang = PS_LANG_UK;
    cr_assert_eq(ps_svcform_questions(fop->fields, fop->nfields, "tax", &v, arena, &q, &n), PS_OK);
    cr_assert(ps_str_eq_cstr(q[0].error, "Оберіть"));
    cr_assert(ps_str_eq_cstr(q[0].label, "Система оподаткування"));
    json_object_del(a, "activities");
    cr_assert_eq(ps_svcform_questions(fop->fields, fop->nfields, "activities", &v, arena, &q, &n),
                 PS_OK);
    cr_assert_eq(q[0].nrows, 1, "an empty list shows one blank row");
    json_decref(a);
}

Test(svc_form, dates_and_addresses_and_slots_as_questions)
{
    json_t *a = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "left_on", "2022-03-05", "from_address",
                          "oblast", "O", "hromada", "H", "settlement", "S", "street", "St",
                          "building", "1");
    struct ps_svcform_view v = {PS_LANG_EN, a, NULL, 0, NULL, 0};
    struct ps_tpl_question *q = NULL;
    size_t n = 0;
    cr_assert_eq(ps_svcform_questions(idp->fields, idp->nfields, "left", &v, arena, &q, &n), PS_OK);
    cr_assert_eq(n, 2);
    cr_assert(q[0].is_address && q[0].nparts == 5);
    cr_assert(ps_str_eq_cstr(q[0].parts[3].id, "f-from_address-street"));
    cr_assert(ps_str_eq_cstr(q[0].parts[3].value, "St"));
    cr_assert(q[1].is_date);
    cr_assert(ps_str_eq_cstr(q[1].day, "05") && ps_str_eq_cstr(q[1].month, "03") &&
              ps_str_eq_cstr(q[1].year, "2022"));
    static const struct ps_svc_field slot[] = {
        {.name = "s", .type = PS_SVC_SLOT, .label = {"Час", "Time"}}};
    struct ps_svcform_slot slots[] = {{"0190-a", 1767225600, 30}};
    json_t *b = json_pack("{s:s}", "s", "0190-a");
    struct ps_svcform_view sv = {PS_LANG_EN, b, NULL, 0, slots, 1};
    cr_assert_eq(ps_svcform_questions(slot, 1, NULL, &sv, arena, &q, &n), PS_OK);
    cr_assert(q[0].is_radios && q[0].noptions == 1 && q[0].options[0].checked);
    cr_assert(strstr(q[0].options[0].label.p, "1 January 2026"), "%s", q[0].options[0].label.p);
    sv.nslots = 0;
    cr_assert_eq(ps_svcform_questions(slot, 1, NULL, &sv, arena, &q, &n), PS_OK);
    cr_assert(q[0].no_options, "nothing to choose: said so");
    json_decref(a);
    json_decref(b);
}

Test(svc_form, error_links_point_at_the_first_wrong_input)
{
    const struct ps_svc_field *f = fop->fields;
    size_t n = fop->nfields;
    cr_assert_str_eq(ps_svcform_error_id(f, n, "activities[1].code", arena), "f-activities-1-code");
    cr_assert_str_eq(ps_svcform_error_id(f, n, "activities[2]", arena), "f-activities-2-code");
    cr_assert_str_eq(ps_svcform_error_id(f, n, "activities", arena), "f-activities-0-code");
    cr_assert_str_eq(ps_svcform_error_id(f, n, "tax_system", arena), "f-tax_system-0");
    cr_assert_str_eq(ps_svcform_error_id(f, n, "address", arena), "f-address-oblast");
    cr_assert_str_eq(ps_svcform_error_id(f, n, "email", arena), "f-email");
    cr_assert_str_eq(ps_svcform_error_id(f, n, "", arena), "f-activities-0-code");
    cr_assert_str_eq(ps_svcform_error_id(idp->fields, idp->nfields, "left_on", arena),
                     "f-left_on-day");
    cr_assert_str_eq(ps_svcform_error_id(idp->fields, idp->nfields, "allowance", arena),
                     "f-allowance-0");
}

Test(svc_form, answers_worded_in_the_pages_language)
{
    json_t *a =
        json_pack("{s:[{s:s}],s:s,s:{s:s,s:s,s:s,s:s,s:s}}", "activities", "code", "62.01",
                  "tax_system", "general", "address", "oblast", "м. Київ", "hromada", "Київська",
                  "settlement", "м. Київ", "street", "вул. Хрещатик", "building", "1");
    struct ps_svcform_view v = {PS_LANG_EN, a, NULL, 0, NULL, 0};
    struct ps_tpl_answers out;
    cr_assert_eq(ps_svcform_answers(fop, &v, env, "/x/pages/", arena, &out), PS_OK);
    cr_assert_eq(out.nrows, fop->nfields);
    cr_assert(strncmp(out.rows[0].lines[0].text.p, "62.01 ", 6) == 0, "with its title: %s",
              out.rows[0].lines[0].text.p);
    cr_assert(ps_str_eq_cstr(out.rows[1].lines[0].text, "General system"));
    cr_assert(ps_str_eq_cstr(out.rows[1].change, "/x/pages/tax"));
    cr_assert(
        ps_str_eq_cstr(out.rows[2].lines[0].text, "м. Київ, Київська, м. Київ, вул. Хрещатик, 1"));
    cr_assert(ps_str_eq_cstr(out.rows[3].lines[0].text, "Not answered"));
    v.lang = PS_LANG_UK;
    cr_assert_eq(ps_svcform_answers(fop, &v, env, NULL, arena, &out), PS_OK);
    cr_assert(ps_str_eq_cstr(out.rows[1].lines[0].text, "Загальна система"));
    cr_assert(ps_str_eq_cstr(out.rows[3].lines[0].text, "Немає відповіді"));
    cr_assert_eq(out.rows[1].change.len, 0, "no change links when not asked for");
    json_t *b = json_pack("{s:s,s:b}", "left_on", "2022-03-05", "allowance", 1);
    struct ps_svcform_view w = {PS_LANG_UK, b, NULL, 0, NULL, 0};
    cr_assert_eq(ps_svcform_answers(idp, &w, env, NULL, arena, &out), PS_OK);
    cr_assert(ps_str_eq_cstr(out.rows[1].lines[0].text, "5 березня 2022"), "%.*s",
              (int)out.rows[1].lines[0].text.len, out.rows[1].lines[0].text.p);
    cr_assert(ps_str_eq_cstr(out.rows[4].lines[0].text, "Так"));
    json_decref(a);
    json_decref(b);
}
