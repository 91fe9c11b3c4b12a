/* Fuzz target: the portal's urlencoded form parser (ps_form_parse) and the POST checks
 * (ps_form_read), src/portal/form.h. Pairs stay within the limit and hold no NUL; a read that
 * passes leaves only UTF-8 values, trimmed. */
#include <string.h>

#include "core/utf8.h"
#include "fuzz.h"
#include "portal/form.h"

static const struct ps_field fields[] = {
    {.name = "a", .label = "A", .max_chars = 10, .required = "Enter A"},
    {.name = "b", .label = "B"},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(1 << 22);
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    struct ps_str in = {(const char *)data, size};
    size_t n = 0;
    FUZZ_CHECK(a);
    if (ps_form_parse(a, in, pairs, PS_FORM_MAX_PAIRS, &n, NULL) == PS_OK) {
        FUZZ_CHECK(n <= PS_FORM_MAX_PAIRS);
        for (size_t i = 0; i < n; i++) {
            FUZZ_CHECK(!memchr(pairs[i].name.p, '\0', pairs[i].name.len));
            FUZZ_CHECK(!memchr(pairs[i].value.p, '\0', pairs[i].value.len));
            FUZZ_CHECK(pairs[i].name.len + pairs[i].value.len <= size);
        }
    }
    struct ps_form f;
    ps_form_init(&f, fields, 2);
    struct ps_form_post post = {.origin = PS_STR("http://h"), .host = PS_STR("h"),
                                .content_type = PS_STR("application/x-www-form-urlencoded"),
                                .body = in};
    enum ps_form_refusal r = ps_form_read(a, &post, &f);
    FUZZ_CHECK(r >= PS_FORM_OK && r <= PS_FORM_NOT_UTF8);
    if (r == PS_FORM_OK) {
        for (size_t i = 0; i < f.n; i++) {
            FUZZ_CHECK(ps_utf8_valid(f.values[i]));
            FUZZ_CHECK(f.values[i].len == 0 || (f.values[i].p[0] != ' ' &&
                                                 f.values[i].p[f.values[i].len - 1] != ' '));
        }
        ps_form_check(&f, PS_LANG_UK, a);
        FUZZ_CHECK(f.nerrors <= f.n);
    }
    ps_arena_free(a);
    return 0;
}
