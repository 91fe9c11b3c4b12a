/* Fuzz target: a service form's posted page read back into answers (ps_svcform_read,
 * src/portal/svc_form.h) over fields of every type, then rendered as questions and worded as
 * answers, and the input taken as an error's field path (ps_svcform_error_id). The answers
 * stay an object holding only the form's fields; a list never exceeds its limit; every value
 * rendered is UTF-8 when the input was; an error link is always an input's id ("f-..."). */
#include <string.h>

#include "core/utf8.h"
#include "fuzz.h"
#include "portal/svc_form.h"

static struct ps_svc_option options[] = {{"a", {"А", "A"}}, {"b", {"Б", "B"}}};
static struct ps_svc_field items[] = {
    {.name = "code", .type = PS_SVC_KVED, .label = {"К", "K"}},
    {.name = "who", .type = PS_SVC_PERSON, .label = {"Х", "W"}},
    {.name = "on", .type = PS_SVC_DATE, .label = {"Д", "D"}},
};
static struct ps_svc_field fields[] = {
    {.name = "t", .type = PS_SVC_TEXT, .label = {"Т", "T"}, .page = "p1"},
    {.name = "n", .type = PS_SVC_NUMBER, .label = {"Ч", "N"}, .page = "p1"},
    {.name = "d", .type = PS_SVC_DATE, .label = {"Д", "D"}},
    {.name = "e", .type = PS_SVC_ENUM, .label = {"В", "E"}, .options = options, .noptions = 2},
    {.name = "b", .type = PS_SVC_BOOLEAN, .label = {"Т", "B"}},
    {.name = "a", .type = PS_SVC_ADDRESS, .label = {"А", "A"}},
    {.name = "l", .type = PS_SVC_LIST, .label = {"С", "L"}, .items = items, .nitems = 3,
     .max_items = 3},
    {.name = "s", .type = PS_SVC_SLOT, .label = {"Ч", "S"}},
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static void check_answers(json_t *answers)
{
    const char *key;
    json_t *v;
    FUZZ_CHECK(json_is_object(answers));
    json_object_foreach(answers, key, v) {
        bool known = false;
        for (size_t i = 0; i < NFIELDS; i++)
            known = known || strcmp(key, fields[i].name) == 0;
        FUZZ_CHECK(known);
    }
    json_t *l = json_object_get(answers, "l");
    FUZZ_CHECK(!l || (json_is_array(l) && json_array_size(l) >= 1 && json_array_size(l) <= 3));
}

static void render(json_t *answers, struct ps_arena *a, struct ps_str in, bool utf8)
{
    static const struct ps_svcform_slot slots[] = {{"s1", 1767225600, 30}};
    char *path = ps_arena_cstr(a, in);
    struct ps_form_error err = {path ? path : "", "х", "x"};
    struct ps_svcform_view v = {PS_LANG_UK, answers, &err, 1, slots, 1};
    struct ps_tpl_question *q = NULL;
    size_t n = 0;
    FUZZ_CHECK(ps_svcform_questions(fields, NFIELDS, NULL, &v, a, &q, &n) == PS_OK);
    FUZZ_CHECK(n == NFIELDS);
    for (size_t i = 0; i < n; i++)
        FUZZ_CHECK(!utf8 || ps_utf8_valid(q[i].value));
    struct ps_svc s = {.fields = fields, .nfields = NFIELDS};
    struct ps_tpl_answers out;
    FUZZ_CHECK(ps_svcform_answers(&s, &v, NULL, "/x/", a, &out) == PS_OK);
    FUZZ_CHECK(out.nrows == NFIELDS);
    if (path) {
        const char *id = ps_svcform_error_id(fields, NFIELDS, path, a);
        FUZZ_CHECK(id && strncmp(id, "f-", 2) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(1 << 22);
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    struct ps_str in = {(const char *)data, size};
    struct ps_diag d = {0};
    size_t n = 0;
    FUZZ_CHECK(a);
    json_t *answers = json_object();
    FUZZ_CHECK(answers);
    if (ps_form_parse(a, in, pairs, PS_FORM_MAX_PAIRS, &n, &d) == PS_OK) {
        bool utf8 = ps_form_utf8(pairs, n);
        FUZZ_CHECK(ps_svcform_read(fields, NFIELDS, NULL, pairs, n, answers, &d) == PS_OK);
        check_answers(answers);
        /* only one page's fields are touched */
        json_t *before = json_deep_copy(answers);
        FUZZ_CHECK(ps_svcform_read(fields, NFIELDS, "p1", pairs, n, answers, &d) == PS_OK);
        FUZZ_CHECK(json_equal(json_object_get(before, "d"), json_object_get(answers, "d")) ||
                   (!json_object_get(before, "d") && !json_object_get(answers, "d")));
        json_decref(before);
        render(answers, a, in, utf8);
    }
    json_decref(answers);
    ps_arena_free(a);
    return 0;
}
