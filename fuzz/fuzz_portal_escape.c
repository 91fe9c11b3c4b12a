/* Fuzz target: the portal's context-aware escaping (ps_html_escape, src/portal/escape.h) and
 * every template rendered with the input in every field (ps_tpl_render_every). The first byte
 * picks the context. Escaped output is UTF-8 without control characters, and holds nothing
 * that could end its context: no < > in text, no quotes in attributes, only URL characters in
 * URLs (and "about:invalid" for a refused scheme). A template never has more '<' with the
 * input than with a plain "x": a value never adds markup. */
#include <string.h>

#include "core/utf8.h"
#include "fuzz.h"
#include "portal/escape.h"
#include "portal/tpl_every.h"

static void check_escaped(enum ps_html_ctx ctx, struct ps_str in, struct ps_str out)
{
    FUZZ_CHECK(ps_utf8_valid(out));
    for (size_t i = 0; i < out.len; i++) {
        unsigned char c = (unsigned char)out.p[i];
        FUZZ_CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r');
        FUZZ_CHECK(c != '<' && c != '>');
        if (ctx != PS_HTML_TEXT)
            FUZZ_CHECK(c != '"' && c != '\'');
        if (ctx == PS_HTML_URL || ctx == PS_HTML_URL_PART)
            FUZZ_CHECK(c > 0x20 && c < 0x7F && c != '`' && c != '\\');
        if (ctx == PS_HTML_URL_PART)
            FUZZ_CHECK(strchr("-._~%", c) || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
                       (c >= 'A' && c <= 'Z'));
        if (c == '&' && ctx != PS_HTML_URL_PART) /* only the entities we write */
            FUZZ_CHECK(out.len - i >= 4 && (!strncmp(out.p + i, "&amp;", 5) ||
                                           !strncmp(out.p + i, "&lt;", 4) ||
                                           !strncmp(out.p + i, "&gt;", 4) ||
                                           !strncmp(out.p + i, "&quot;", 6) ||
                                           !strncmp(out.p + i, "&#39;", 5)));
    }
    if (ctx == PS_HTML_URL && !ps_html_url_scheme_ok(in))
        FUZZ_CHECK(out.len == strlen(PS_HTML_BAD_URL) && !memcmp(out.p, PS_HTML_BAD_URL, out.len));
}

static size_t count_lt(struct ps_str s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        n += s.p[i] == '<';
    return n;
}

static void check_templates(struct ps_str in)
{
    static struct ps_buf b;
    static struct ps_arena *a;
    if (!a) { /* once: kept for the whole run (the process owns them) */
        a = ps_arena_new(1 << 20);
        ps_buf_init(&b, 4 << 20);
    }
    for (size_t i = 0; ps_tpl_every_name(i); i++) {
        for (int on = 0; on < 2; on++) {
            struct ps_tw w;
            b.len = 0;
            ps_tw_init(&w, &b, (enum ps_lang)(i % PS_LANG_COUNT));
            /* the same emptiness: an {% if field %} must take the same branch */
            ps_tpl_render_every(&w, a, i, in.len ? PS_STR("x") : PS_STR(""), on);
            FUZZ_CHECK(ps_tw_end(&w) == PS_OK);
            size_t ref = count_lt(ps_buf_str(&b));
            b.len = 0;
            ps_tw_init(&w, &b, (enum ps_lang)(i % PS_LANG_COUNT));
            ps_tpl_render_every(&w, a, i, in, on);
            if (ps_tw_end(&w) == PS_OK) {
                FUZZ_CHECK(ps_utf8_valid(ps_buf_str(&b)));
                FUZZ_CHECK(count_lt(ps_buf_str(&b)) == ref);
            }
            ps_arena_reset(a);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    enum ps_html_ctx ctx = (enum ps_html_ctx)(data[0] % 4);
    struct ps_str in = {(const char *)data + 1, size - 1};
    struct ps_buf out;
    ps_buf_init(&out, 16 * size + 64);
    FUZZ_CHECK(ps_html_escape(&out, ctx, in) == PS_OK);
    check_escaped(ctx, in, ps_buf_str(&out));
    ps_buf_reset(&out);
    if (size < 4096)
        check_templates(in);
    return 0;
}
