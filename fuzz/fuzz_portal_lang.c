/* Fuzz target: the portal's request-language parsers (Accept-Language: ps_lang_negotiate;
 * Cookie: ps_lang_cookie) and message placeholders (ps_i18n_fill), src/portal/i18n.h. The
 * answer is always a supported language; a fill never writes past what it allocated. */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "portal/i18n.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_str in = {(const char *)data, size};
    enum ps_lang l = ps_lang_negotiate(in);
    FUZZ_CHECK(l == PS_LANG_UK || l == PS_LANG_EN);
    l = PS_LANG_COUNT;
    if (ps_lang_cookie(in, &l))
        FUZZ_CHECK(l == PS_LANG_UK || l == PS_LANG_EN);
    struct ps_arena *a = ps_arena_new(1 << 22);
    char *text = ps_arena_strndup(a, in.p, in.len); /* up to a NUL, as msgids are */
    FUZZ_CHECK(a && text);
    /* values are NUL-free text (what pages pass): the input up to its first NUL */
    struct ps_i18n_arg args[] = {{"n", PS_STR("12345")}, {"name", ps_str_from_cstr(text)},
                                 {"", PS_STR("{}")}};
    struct ps_str out = ps_i18n_fill(a, text, args, 3);
    if (out.p) { /* NULL: the arena is exhausted (a long text full of {name}) */
        FUZZ_CHECK(out.p[out.len] == '\0' && strlen(out.p) == out.len);
        size_t opens = 0;
        for (const char *p = text; *p; p++)
            opens += *p == '{';
        FUZZ_CHECK(out.len <= strlen(text) + opens * (strlen(text) > 5 ? strlen(text) : 5));
    }
    ps_arena_free(a);
    return 0;
}
