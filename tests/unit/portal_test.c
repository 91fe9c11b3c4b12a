/* The portal: context-aware escaping (every context, an XSS payload list through every field
 * of every template, in both languages), translations and formatting, language negotiation,
 * forms (parsing, checks, the POST refusals) and pages rendered through a request. */
#include <criterion/criterion.h>
#include <string.h>

#include "core/utf8.h"
#include "identity/session.h"
#include "policy/actor.h"
#include "policy/policy.h"
#include "portal/escape.h"
#include "portal/form.h"
#include "portal/i18n.h"
#include "portal/portal_int.h"
#include "portal/tpl_every.h"

static char *esc(enum ps_html_ctx ctx, struct ps_str s)
{
    static char out[4096];
    struct ps_buf b;
    ps_buf_init(&b, 1 << 16);
    cr_assert_eq(ps_html_escape(&b, ctx, s), PS_OK);
    cr_assert_eq(ps_str_copy(out, sizeof out, ps_buf_str(&b)), PS_OK);
    ps_buf_reset(&b);
    return out;
}

#define ESC(ctx, lit) esc(ctx, PS_STR(lit))

/* ---- escaping, context by context ---- */

Test(escape, text_escapes_markup_only)
{
    cr_expect_str_eq(ESC(PS_HTML_TEXT, "<a href=\"x\">&'"), "&lt;a href=\"x\"&gt;&amp;'");
    cr_expect_str_eq(ESC(PS_HTML_TEXT, "Привіт, світе"), "Привіт, світе");
    cr_expect_str_eq(ESC(PS_HTML_TEXT, "a\tb\nc\r"), "a\tb\nc\r");
}

Test(escape, attribute_escapes_quotes_too)
{
    cr_expect_str_eq(ESC(PS_HTML_ATTR, "<a href=\"x\">&'"),
                     "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    cr_expect_str_eq(ESC(PS_HTML_ATTR, "\" onmouseover=\"alert(1)"),
                     "&quot; onmouseover=&quot;alert(1)");
}

Test(escape, bad_utf8_and_controls_become_replacement)
{
    const char *r = "\xEF\xBF\xBD";
    char want[64];
    snprintf(want, sizeof want, "a%sb%sc%sd%se%s", r, r, r, r, r);
    /* a lone continuation byte, NUL, an overlong '<', a surrogate (3 bytes, each bad), DEL */
    struct ps_str in = {"a\x80" "b\x00" "c\xC0" "d\x7F" "e\xC2\x85", 11};
    cr_expect_str_eq(esc(PS_HTML_TEXT, in), want);
    char *s = ESC(PS_HTML_ATTR, "\xED\xA0\x80");
    cr_expect(ps_utf8_valid(ps_str_from_cstr(s)));
    cr_expect_null(strchr(s, '\xED'));
}

Test(escape, whole_url_keeps_http_https_mailto_and_relative)
{
    cr_expect_str_eq(ESC(PS_HTML_URL, "https://example.org/a?b=1&c=2#d"),
                     "https://example.org/a?b=1&amp;c=2#d");
    cr_expect_str_eq(ESC(PS_HTML_URL, "HTTP://x/"), "HTTP://x/");
    cr_expect_str_eq(ESC(PS_HTML_URL, "mailto:a@b.example"), "mailto:a@b.example");
    cr_expect_str_eq(ESC(PS_HTML_URL, "/about?lang=en"), "/about?lang=en");
    cr_expect_str_eq(ESC(PS_HTML_URL, "/a:b"), "/a:b");
    cr_expect_str_eq(ESC(PS_HTML_URL, "x?y=a:b"), "x?y=a:b");
}

Test(escape, whole_url_refuses_other_schemes)
{
    const char *bad[] = {"javascript:alert(1)", "JaVaScRiPt:alert(1)", "vbscript:x",
                         "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd", "foo:bar"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_str_eq(esc(PS_HTML_URL, ps_str_from_cstr(bad[i])), PS_HTML_BAD_URL, "%s",
                         bad[i]);
    /* anything before a ':' that comes before '/', '?' and '#' counts as a scheme, even what a
     * browser would strip or fold (spaces, tabs): refused as well */
    cr_expect_str_eq(ESC(PS_HTML_URL, " javascript:alert(1)"), PS_HTML_BAD_URL);
    cr_expect_str_eq(ESC(PS_HTML_URL, "java\tscript:alert(1)"), PS_HTML_BAD_URL);
    cr_expect_str_eq(ESC(PS_HTML_URL, "\x01javascript:alert(1)"), PS_HTML_BAD_URL);
}

Test(escape, whole_url_percent_encodes_what_is_not_url)
{
    cr_expect_str_eq(ESC(PS_HTML_URL, "/p a\"t<h>'`"), "/p%20a%22t%3Ch%3E%27%60");
    cr_expect_str_eq(ESC(PS_HTML_URL, "/%41%zz%"), "/%41%25zz%25");
    cr_expect_str_eq(ESC(PS_HTML_URL, "/шлях"), "/%D1%88%D0%BB%D1%8F%D1%85");
}

Test(escape, url_part_encodes_everything_but_unreserved)
{
    cr_expect_str_eq(ESC(PS_HTML_URL_PART, "a b/c?d&e=é~._-"), "a%20b%2Fc%3Fd%26e%3D%C3%A9~._-");
    cr_expect_str_eq(ESC(PS_HTML_URL_PART, "javascript:alert(1)"), "javascript%3Aalert%281%29");
}

Test(escape, full_buffer_is_a_limit)
{
    struct ps_buf b;
    ps_buf_init(&b, 8);
    cr_expect_eq(ps_html_escape(&b, PS_HTML_TEXT, PS_STR("<<<<<<<<")), PS_ERR_LIMIT);
    ps_buf_reset(&b);
}

/* ---- every template with every payload ---- */

static const char *const payloads[] = {
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "\" onmouseover=\"alert(1)",
    "' onmouseover='alert(1)",
    "` onmouseover=alert(1)",
    "javascript:alert(1)",
    " JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "vbscript:msgbox(1)",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&#x3C;script&#x3E;",
    "</title><script>alert(1)</script>",
    "</textarea><script>alert(1)</script>",
    "</pre><script>alert(1)</script>",
    "<!--", "-->", "<![CDATA[", "]]>",
    "{{ x }}{% if y %}",
    "%3Cscript%3Ealert(1)%3C/script%3E",
    "//evil.example/",
    "/\\evil.example",
    "\xC0\xBCscript\xC0\xBE",
    "\xED\xA0\x80\xFF\xFE",
    "\xE2\x80\xA8\xE2\x80\xA9",
    "a\rb\nc",
    "Привіт <b>світе</b> & «лапки» ’",
};

/* One tag as the scanner sees it: its name and attribute names, plus each URL attribute's
 * value. Payloads must never change the set of tags and attributes a template writes. */
struct tag {
    char text[512];
};

/* Tags of html (name and attribute names, in order) into out; their count. */
static size_t scan(const char *html, struct tag *out, size_t cap, bool *bad_url)
{
    size_t n = 0;
    for (const char *p = html; (p = strchr(p, '<')) != NULL && n < cap; n++) {
        size_t k = 0;
        p++;
        while (*p && *p != '>' && k + 2 < sizeof out[n].text) {
            if (*p == '"' || *p == '\'') { /* a value: skip it, but look at URLs */
                char q = *p;
                const char *end = strchr(p + 1, q);
                cr_assert_not_null(end, "unterminated attribute in %s", html);
                bool url = k >= 5 && (strncmp(out[n].text + k - 5, "href=", 5) == 0 ||
                                      strncmp(out[n].text + k - 4, "src=", 4) == 0 ||
                                      strncmp(out[n].text + k - 7, "action=", 7) == 0);
                if (url && (strncasecmp(p + 1, "javascript:", 11) == 0 ||
                            strncasecmp(p + 1, "data:", 5) == 0 ||
                            strncasecmp(p + 1, "vbscript:", 9) == 0))
                    *bad_url = true;
                p = end + 1;
                continue;
            }
            out[n].text[k++] = *p++;
        }
        out[n].text[k] = '\0';
    }
    return n;
}

static void render(size_t i, enum ps_lang lang, struct ps_str value, bool on, struct ps_buf *b,
                   struct ps_arena *a)
{
    struct ps_tw w;
    b->len = 0;
    ps_tw_init(&w, b, lang);
    ps_tpl_render_every(&w, a, i, value, on);
    cr_assert_eq(ps_tw_end(&w), PS_OK, "%s", ps_tpl_every_name(i));
}

static void check_output(const char *name, struct ps_str html)
{
    cr_expect(ps_utf8_valid(html), "%s: output is not UTF-8", name);
    for (size_t k = 0; k < html.len; k++) {
        unsigned char c = (unsigned char)html.p[k];
        cr_expect(c >= 0x20 || c == '\n' || c == '\t' || c == '\r', "%s: control byte %02x",
                  name, c);
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
            break;
    }
}

Test(templates, payloads_in_every_field_never_change_the_markup)
{
    static struct tag ref[1024], got[1024];
    struct ps_buf b;
    ps_buf_init(&b, 1 << 20);
    struct ps_arena *a = ps_arena_new(1 << 20);
    size_t ntpl = ps_tpl_render_every(&(struct ps_tw){.out = &b, .err = PS_ERR_LIMIT}, a,
                                      (size_t)-1, PS_STR(""), false);
    cr_assert_gt(ntpl, 5);
    for (size_t i = 0; i < ntpl; i++) {
        for (int lang = 0; lang < PS_LANG_COUNT; lang++) {
            for (int on = 0; on < 2; on++) {
                bool bad = false;
                render(i, (enum ps_lang)lang, PS_STR("x"), on, &b, a);
                size_t nref = scan(b.p, ref, 1024, &bad);
                for (size_t p = 0; p < sizeof payloads / sizeof payloads[0]; p++) {
                    struct ps_str v = ps_str_from_cstr(payloads[p]);
                    render(i, (enum ps_lang)lang, v, on, &b, a);
                    check_output(ps_tpl_every_name(i), ps_buf_str(&b));
                    size_t n = scan(b.p, got, 1024, &bad);
                    cr_expect_eq(n, nref, "%s [%s] payload %zu: %zu tags, not %zu",
                                 ps_tpl_every_name(i), ps_lang_code(lang), p, n, nref);
                    for (size_t t = 0; t < n && t < nref; t++)
                        cr_expect_str_eq(got[t].text, ref[t].text, "%s payload %zu",
                                         ps_tpl_every_name(i), p);
                    cr_expect_not(bad, "%s: a dangerous URL with payload %zu",
                                  ps_tpl_every_name(i), p);
                    if (strchr(payloads[p], '<'))
                        cr_expect_null(strstr(b.p, payloads[p]), "%s: payload %zu verbatim",
                                       ps_tpl_every_name(i), p);
                }
                ps_arena_reset(a);
            }
        }
    }
    ps_arena_free(a);
    ps_buf_reset(&b);
}

Test(templates, layout_title_says_error_when_the_form_failed)
{
    struct ps_buf b;
    ps_buf_init(&b, 1 << 16);
    struct ps_tpl_layout_errors e = {PS_STR("number"), PS_STR("Enter a record number")};
    struct ps_tpl_layout l = {.lang = PS_STR("uk"), .title = PS_STR("Знайти запис"),
                              .errors = &e, .nerrors = 1};
    struct ps_tw w;
    ps_tw_init(&w, &b, PS_LANG_UK);
    ps_tpl_layout(&w, &l, ps_tpl_error_slot(&(struct ps_tpl_error){0}));
    cr_assert_eq(ps_tw_end(&w), PS_OK);
    cr_expect_not_null(strstr(b.p, "<title>Помилка: Знайти запис"), "%s", b.p);
    cr_expect_not_null(strstr(b.p, "<a href=\"#number\">Enter a record number</a>"));
    b.len = 0;
    l.nerrors = 0;
    ps_tw_init(&w, &b, PS_LANG_EN);
    ps_tpl_layout(&w, &l, ps_tpl_error_slot(&(struct ps_tpl_error){0}));
    cr_assert_eq(ps_tw_end(&w), PS_OK);
    cr_expect_not_null(strstr(b.p, "<title>Знайти запис"));
    cr_expect_null(strstr(b.p, "error-summary"));
    ps_buf_reset(&b);
}

Test(templates, raw_markup_is_written_as_is_and_only_as_its_own_type)
{
    struct ps_buf b;
    ps_buf_init(&b, 256);
    struct ps_tw w;
    ps_tw_init(&w, &b, PS_LANG_UK);
    ps_tw_html(&w, PS_HTML_TRUSTED("<b>x</b>"));
    ps_tw_str(&w, PS_HTML_TEXT, PS_STR("<b>x</b>"));
    cr_assert_eq(ps_tw_end(&w), PS_OK);
    cr_expect_str_eq(b.p, "<b>x</b>&lt;b&gt;x&lt;/b&gt;");
    ps_buf_reset(&b);
}

Test(templates, writer_error_is_sticky)
{
    struct ps_buf b;
    ps_buf_init(&b, 4);
    struct ps_tw w;
    ps_tw_init(&w, &b, PS_LANG_EN);
    ps_tw_lit(&w, "abcdef", 6);
    ps_tw_lit(&w, "a", 1);
    cr_expect_eq(ps_tw_end(&w), PS_ERR_LIMIT);
    cr_expect_eq(b.len, 0);
    ps_buf_reset(&b);
}

/* ---- languages, messages, formats ---- */

Test(i18n, plural_rules_of_the_catalogs)
{
    static const struct {
        uint64_t n;
        unsigned uk, en;
    } cases[] = {{0, 2, 1},  {1, 0, 0},  {2, 1, 1},  {4, 1, 1},  {5, 2, 1},   {11, 2, 1},
                 {12, 2, 1}, {14, 2, 1}, {21, 0, 1}, {22, 1, 1}, {25, 2, 1},  {101, 0, 1},
                 {111, 2, 1}, {112, 2, 1}, {122, 1, 1}, {1000001, 0, 1}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(ps_i18n_plural_form(PS_LANG_UK, cases[i].n), cases[i].uk, "uk %llu",
                     (unsigned long long)cases[i].n);
        cr_expect_eq(ps_i18n_plural_form(PS_LANG_EN, cases[i].n), cases[i].en, "en %llu",
                     (unsigned long long)cases[i].n);
    }
}

Test(i18n, numbers_grouped_as_each_language_writes_them)
{
    char b[PS_I18N_NUM_MAX];
    ps_i18n_num(PS_LANG_UK, 1234, b);
    cr_expect_str_eq(b, "1234");
    ps_i18n_num(PS_LANG_UK, 12345, b);
    cr_expect_str_eq(b, "12\xC2\xA0" "345");
    ps_i18n_num(PS_LANG_UK, UINT64_MAX, b);
    cr_expect_str_eq(b, "18\xC2\xA0" "446\xC2\xA0" "744\xC2\xA0" "073\xC2\xA0" "709\xC2\xA0"
                        "551\xC2\xA0" "615");
    ps_i18n_num(PS_LANG_EN, 1234, b);
    cr_expect_str_eq(b, "1,234");
    ps_i18n_num(PS_LANG_EN, 999, b);
    cr_expect_str_eq(b, "999");
    ps_i18n_num(PS_LANG_EN, 0, b);
    cr_expect_str_eq(b, "0");
}

Test(i18n, dates_with_genitive_months_and_times_in_utc)
{
    char b[PS_I18N_TIME_MAX];
    ps_i18n_date(PS_LANG_UK, (struct ps_date){2026, 12, 3}, b);
    cr_expect_str_eq(b, "3 грудня 2026");
    ps_i18n_date(PS_LANG_UK, (struct ps_date){1991, 8, 24}, b);
    cr_expect_str_eq(b, "24 серпня 1991");
    ps_i18n_date(PS_LANG_EN, (struct ps_date){2026, 12, 3}, b);
    cr_expect_str_eq(b, "3 December 2026");
    cr_expect_eq(ps_i18n_date(PS_LANG_EN, (struct ps_date){2026, 2, 30}, b), 0);
    cr_expect_eq(ps_i18n_date(PS_LANG_EN, (struct ps_date){0, 0, 0}, b), 0);
    ps_i18n_time(PS_LANG_UK, 0, b);
    cr_expect_str_eq(b, "1 січня 1970 о 00:00 (UTC)");
    ps_i18n_time(PS_LANG_EN, 1796311509, b); /* 2026-12-03T15:25:09Z */
    cr_expect_str_eq(b, "3 December 2026, 15:25 UTC");
    ps_i18n_time(PS_LANG_EN, -1, b);
    cr_expect_str_eq(b, "31 December 1969, 23:59 UTC");
    cr_expect_eq(ps_i18n_time(PS_LANG_EN, INT64_MAX, b), 0);
    cr_expect_eq(ps_i18n_time(PS_LANG_EN, INT64_MIN, b), 0);
}

Test(i18n, every_catalog_entry_has_both_languages)
{
    cr_assert_gt(ps_i18n_nmsgs, 50);
    for (size_t i = 0; i < ps_i18n_nmsgs; i++) {
        const struct ps_i18n_msg *m = &ps_i18n_msgs[i];
        for (int l = 0; l < PS_LANG_COUNT; l++)
            cr_expect_not_null(m->str[l][0], "%s: no %s", m->id, ps_lang_code(l));
        if (i > 0)
            cr_expect_lt(strcmp(ps_i18n_msgs[i - 1].id, m->id), 0, "not sorted at %s", m->id);
    }
    cr_expect_str_eq(ps_i18n(PS_LANG_UK, N_("Error:")), "Помилка:");
    cr_expect_str_eq(ps_i18n(PS_LANG_EN, N_("Error:")), "Error:");
    cr_expect_str_eq(ps_i18n(PS_LANG_UK, "no such message"), "no such message");
}

Test(i18n, fill_replaces_named_placeholders)
{
    struct ps_arena *a = ps_arena_new(4096);
    struct ps_i18n_arg args[] = {{"n", PS_STR("7")}, {"name", PS_STR("{n}")}};
    struct ps_str s = ps_i18n_fill(a, "{n} {name} {n}{unknown}{", args, 2);
    cr_expect(ps_str_eq(s, PS_STR("7 {n} 7{unknown}{")), "%.*s", PS_STR_FMT(s));
    ps_arena_free(a);
}

Test(i18n, accept_language_picks_the_best_supported)
{
    static const struct {
        const char *header;
        enum ps_lang want;
    } cases[] = {
        {"en-US,en;q=0.9", PS_LANG_EN},     {"uk-UA,uk;q=0.9,en;q=0.8", PS_LANG_UK},
        {"ru;q=1, en;q=0.5", PS_LANG_EN},   {"fr, de", PS_LANG_UK},
        {"*", PS_LANG_UK},                  {"en;q=0", PS_LANG_UK},
        {"en;q=2, uk;q=0.1", PS_LANG_UK},   {"EN", PS_LANG_EN},
        {"", PS_LANG_UK},                   {"en;q=0.5, uk;q=0.5", PS_LANG_EN},
        {"en;q=0.8,uk;q=0.9", PS_LANG_UK},  {"en-GB-oxendict", PS_LANG_EN},
        {"english", PS_LANG_UK},            {"en;q=0.1234", PS_LANG_UK},
        {",,,;;;=q", PS_LANG_UK},           {"en ; q=0.7 , uk;q=0.6", PS_LANG_EN},
        {"ukr", PS_LANG_UK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        cr_expect_eq(ps_lang_negotiate(ps_str_from_cstr(cases[i].header)), cases[i].want, "%s",
                     cases[i].header);
    cr_expect_eq(ps_lang_negotiate(PS_STR_NULL), PS_LANG_UK);
}

Test(i18n, lang_cookie)
{
    enum ps_lang l = PS_LANG_UK;
    cr_expect(ps_lang_cookie(PS_STR("a=b; lang=en"), &l));
    cr_expect_eq(l, PS_LANG_EN);
    cr_expect(ps_lang_cookie(PS_STR(" lang = uk ;x=y"), &l));
    cr_expect_eq(l, PS_LANG_UK);
    cr_expect_not(ps_lang_cookie(PS_STR("lang=xx"), &l));
    cr_expect_not(ps_lang_cookie(PS_STR("xlang=en"), &l));
    cr_expect_not(ps_lang_cookie(PS_STR_NULL, &l));
}

/* ---- forms ---- */

static const struct ps_field fields[] = {
    {.name = "code", .label = N_("Record number"), .hint = N_("For example, 15"),
     .max_chars = 5, .required = N_("Enter a record number")},
    {.name = "note", .label = N_("Record number")},
};

Test(form, parse_decodes_pairs)
{
    struct ps_arena *a = ps_arena_new(4096);
    struct ps_form_pair p[8];
    size_t n = 0;
    cr_assert_eq(ps_form_parse(a, PS_STR("a=1&b=%41+c&&d&=e"), p, 8, &n, NULL), PS_OK);
    cr_assert_eq(n, 4);
    cr_expect(ps_str_eq(p[1].name, PS_STR("b")) && ps_str_eq(p[1].value, PS_STR("A c")));
    cr_expect(ps_str_eq(p[2].name, PS_STR("d")) && p[2].value.len == 0);
    cr_expect(p[3].name.len == 0 && ps_str_eq(p[3].value, PS_STR("e")));
    struct ps_diag d = {0};
    cr_expect_eq(ps_form_parse(a, PS_STR("a=%4"), p, 8, &n, &d), PS_ERR_INVALID);
    cr_expect_eq(ps_form_parse(a, PS_STR("a=%zz"), p, 8, &n, &d), PS_ERR_INVALID);
    cr_expect_eq(ps_form_parse(a, PS_STR("a=%00"), p, 8, &n, &d), PS_ERR_INVALID);
    cr_expect_eq(ps_form_parse(a, PS_STR("a&b&c"), p, 2, &n, &d), PS_ERR_LIMIT);
    cr_assert_eq(ps_form_parse(a, PS_STR("a=%FF"), p, 8, &n, &d), PS_OK);
    cr_expect_not(ps_form_utf8(p, n));
    ps_arena_free(a);
}

Test(form, checks_required_and_length_in_characters)
{
    struct ps_arena *a = ps_arena_new(8192);
    struct ps_form f;
    struct ps_form_pair p[] = {{PS_STR("code"), PS_STR("  ")}, {PS_STR("code"), PS_STR("2")}};
    ps_form_init(&f, fields, 2);
    ps_form_fill(&f, p, 2);
    cr_expect(f.submitted);
    cr_expect_eq(f.values[0].len, 0, "trimmed, the first of a repeated name");
    cr_expect_eq(ps_form_check(&f, PS_LANG_UK, a), 1);
    cr_expect(ps_str_eq(f.errors[0], ps_str_from_cstr("Введіть номер запису")));
    ps_form_init(&f, fields, 2);
    struct ps_form_pair q[] = {{PS_STR("code"), PS_STR("ЄЄЄЄЄ")}}; /* 5 chars, 10 bytes */
    ps_form_fill(&f, q, 1);
    cr_expect_eq(ps_form_check(&f, PS_LANG_EN, a), 0);
    ps_form_init(&f, fields, 2);
    struct ps_form_pair r[] = {{PS_STR("code"), PS_STR("123456")}};
    ps_form_fill(&f, r, 1);
    cr_expect_eq(ps_form_check(&f, PS_LANG_UK, a), 1);
    cr_expect(ps_str_eq(f.errors[0], ps_str_from_cstr("Номер запису: не більше ніж 5 символів")),
              "%.*s", PS_STR_FMT(f.errors[0]));
    struct ps_tpl_input in;
    ps_form_input(&f, 0, PS_LANG_UK, a, &in);
    cr_expect(ps_str_eq(in.describedby, PS_STR("code-hint code-error")));
    cr_expect(ps_str_eq(in.value, PS_STR("123456")));
    ps_form_input(&f, 1, PS_LANG_UK, a, &in);
    cr_expect_eq(in.describedby.len, 0);
    ps_arena_free(a);
}

Test(form, post_refusals)
{
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_form f;
    struct ps_form_post ok = {.content_type = PS_STR("application/x-www-form-urlencoded"),
                              .body = PS_STR("code=12&note=%D0%84")};
    ps_form_init(&f, fields, 2);
    cr_assert_eq(ps_form_read(a, &ok, &f), PS_FORM_OK);
    cr_expect(ps_str_eq(f.values[1], PS_STR("Є")));
    struct ps_form_post p = ok;
    p.content_type = PS_STR("multipart/form-data; boundary=x");
    cr_expect_eq(ps_form_read(a, &p, &f), PS_FORM_MEDIA_TYPE);
    p.content_type = PS_STR("Application/X-WWW-Form-Urlencoded; charset=UTF-8");
    cr_expect_eq(ps_form_read(a, &p, &f), PS_FORM_OK);
    p = ok;
    p.body = PS_STR("code=%FF");
    cr_expect_eq(ps_form_read(a, &p, &f), PS_FORM_NOT_UTF8);
    p.body = PS_STR("code=%F");
    cr_expect_eq(ps_form_read(a, &p, &f), PS_FORM_MALFORMED);
    static char big[PS_FORM_BODY_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    p.body = (struct ps_str){big, sizeof big - 1};
    cr_expect_eq(ps_form_read(a, &p, &f), PS_FORM_TOO_LARGE);
    static char many[4 * (PS_FORM_MAX_PAIRS + 1)];
    for (size_t i = 0; i < PS_FORM_MAX_PAIRS + 1; i++)
        memcpy(many + 4 * i, "a=1&", 4);
    p.body = (struct ps_str){many, sizeof many};
    cr_expect_eq(ps_form_read(a, &p, &f), PS_FORM_TOO_LARGE);
    ps_arena_free(a);
}

/* ---- pages through a request (no server: no headers, so the default language) ---- */

#include "portal_fake.h"

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

Test(pages, about_in_ukrainian_with_the_security_headers)
{
    struct fake f;
    fake_init(&f, "/about", "");
    ps_portal_about(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_str_eq(f.req.content_type, "text/html; charset=utf-8");
    cr_expect_str_eq(header(&f.req, "Content-Security-Policy"), PS_PORTAL_CSP);
    cr_expect_str_eq(header(&f.req, "Referrer-Policy"), "same-origin");
    cr_expect_str_eq(header(&f.req, "X-Content-Type-Options"), "nosniff");
    cr_expect_str_eq(header(&f.req, "Cache-Control"), "no-store");
    cr_expect_null(header(&f.req, "Strict-Transport-Security"));
    cr_expect_null(header(&f.req, "Set-Cookie"));
    cr_expect_not_null(strstr(f.req.out.p, "<html lang=\"uk\">"));
    cr_expect_not_null(strstr(f.req.out.p, "<h1>Про PocketState</h1>"));
    cr_expect_eq(count(f.req.out.p, "<h1"), 1);
    cr_expect_not_null(strstr(f.req.out.p, "href=\"/about?lang=en\""));
    cr_expect_not_null(strstr(f.req.out.p, "<a href=\"/about\" aria-current=\"page\">"));
    cr_expect_not_null(strstr(f.req.out.p, "Версія: 9.9.9"));
    fake_free(&f);
}

Test(pages, lang_query_switches_keeps_the_rest_and_sets_the_cookie)
{
    struct fake f;
    fake_init(&f, "/about", "x=%3Cb%3E&lang=en&y=\"");
    ps_portal_about(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_not_null(strstr(f.req.out.p, "<html lang=\"en\">"));
    cr_expect_not_null(strstr(f.req.out.p, "href=\"/about?x=%3Cb%3E&amp;y=%22&amp;lang=uk\""),
                       "%s", f.req.out.p);
    cr_expect_str_eq(header(&f.req, "Set-Cookie"),
                     "lang=en; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly");
    fake_free(&f);
}

Test(pages, https_public_url_adds_hsts_and_secure_cookies)
{
    struct fake f;
    fake_init(&f, "/", "lang=uk");
    cr_assert_eq(ps_rp_set_url(&f.app.id.rp, PS_STR("https://portal.example/"), NULL), PS_OK);
    ps_portal_home(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_str_eq(header(&f.req, "Strict-Transport-Security"),
                     "max-age=63072000; includeSubDomains");
    cr_expect_not_null(strstr(header(&f.req, "Set-Cookie"), "; Secure"));
    fake_free(&f);
    fake_init(&f, "/transparency", "");
    cr_assert_eq(ps_rp_set_url(&f.app.id.rp, PS_STR("http://localhost:8080"), NULL), PS_OK);
    ps_portal_about(&f.req);
    cr_expect_null(header(&f.req, "Strict-Transport-Security"), "plain http: no HSTS");
    fake_free(&f);
}

Test(pages, home_lists_demo_people_and_the_header_escapes_the_signed_in_person)
{
    struct fake f;
    struct ps_demo_person people[2] = {
        {.rnokpp = "3443818003", .name = "Лисенко <Єлизавета>", .code = "XQK1N-4YFEA",
         .birth_date = "1994-04-15"},
        {.rnokpp = "3168918013", .name = "Шевчук Антон", .code = "DVHQJ-ZY1BG",
         .birth_date = "1986-10-05", .role = "registrar, pfu"},
    };
    fake_init(&f, "/", "");
    f.app.demo = people;
    f.app.ndemo = 2;
    f.actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = PS_STR("<script>x</script>")};
    cr_assert(ps_api_subject_set(&f.req, &f.actor, NULL, NULL));
    ps_portal_home(&f.req);
    cr_assert_eq(f.req.status, 200);
    const char *html = f.req.out.p;
    cr_expect_not_null(strstr(html, "class=\"tag\">Демо</strong>"));
    cr_expect_not_null(strstr(html, "<h3 class=\"person__name\">Лисенко &lt;Єлизавета&gt;</h3>"),
                       "%s", html);
    cr_expect_not_null(strstr(html, "15 квітня 1994"));
    cr_expect_not_null(strstr(html, "<code>XQK1N-4YFEA</code>"));
    cr_expect_not_null(strstr(html, "Посадова особа: registrar, pfu"));
    cr_expect_not_null(strstr(html, "Ви ввійшли як &lt;script&gt;x&lt;/script&gt;"));
    cr_expect_null(strstr(html, "<script>x"));
    fake_free(&f);
    fake_init(&f, "/", "lang=en");
    f.app.demo = people;
    f.app.ndemo = 2;
    ps_portal_home(&f.req);
    cr_expect_not_null(strstr(f.req.out.p, "Shevchuk Anton <span class=\"person__native\" "
                                           "lang=\"uk\">Шевчук Антон</span></h3>"),
                       "%s", f.req.out.p);
    fake_free(&f);
}

Test(pages, unknown_path_is_problem_json_without_an_html_accept)
{
    struct fake f;
    fake_init(&f, "/no/such", "");
    ps_portal_fallback(&f.req);
    cr_expect_eq(f.req.status, 404);
    cr_expect_str_eq(f.req.content_type, "application/problem+json");
    fake_free(&f);
}

Test(pages, site_routes_are_the_api_then_the_portal_then_the_fallbacks)
{
    size_t n, na;
    const struct ps_route *r = ps_portal_site_routes(&n);
    ps_api_routes(&na);
    cr_assert_gt(n, na);
    cr_expect_str_eq(r[na].pattern, "/");
    cr_expect_str_eq(r[n - 1].pattern, "/{path...}");
    struct ps_router *router = NULL;
    cr_assert_eq(ps_router_new(r, n, &router, NULL), PS_OK);
    struct ps_req req;
    memset(&req, 0, sizeof req);
    cr_expect_eq(ps_router_match(router, PS_STR("GET"), PS_STR("/healthz"), &req, NULL),
                 PS_ROUTE_FOUND);
    cr_expect_str_eq(req.route->pattern, "/healthz");
    cr_expect_eq(ps_router_match(router, PS_STR("POST"), PS_STR("/healthz"), &req, NULL),
                 PS_ROUTE_FOUND);
    cr_expect_str_eq(req.route->pattern, "/{path...}", "the fallback decides 405");
    ps_router_free(router);
}

/* ---- page routes through the dispatcher (no server: no headers, no cookie) ---- */

static int page_runs;
static void page_counter(struct ps_req *req)
{
    page_runs++;
    ps_resp_bytes(req, 200, "text/html; charset=utf-8", PS_STR("ok"));
}

/* Every page route of the site: a public one runs for anyone; one that needs a session
 * answers 401 (no HTML asked for) and never runs; a form posted without this site's Origin
 * is refused before anything else (the one CSRF check). Every page route's action has a
 * policy rule, public exactly when the route needs no credential but the page cookie. */
Test(pages, dispatcher_on_every_page_route)
{
    size_t n;
    const struct ps_route *routes = ps_portal_site_routes(&n);
    size_t pages = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(routes[i].creds & PS_CRED_PAGE))
            continue;
        bool public = false;
        cr_expect(ps_policy_known(routes[i].action, &public), "%s: no rule", routes[i].action);
        cr_expect_eq(public, !(routes[i].creds & PS_CRED_SESSION), "%s %s", routes[i].method,
                     routes[i].pattern);
        struct fake f;
        fake_init(&f, routes[i].pattern, "");
        f.app.pages = ps_portal_pages();
        struct ps_route r = routes[i];
        r.fn = page_counter;
        f.req.route = &r;
        f.req.method = ps_str_from_cstr(r.method);
        page_runs = 0;
        ps_api_dispatch(&f.req);
        if (strcmp(r.method, "POST") == 0) {
            cr_expect_eq(f.req.status, 403, "%s %s", r.method, r.pattern);
            cr_expect_str_eq(f.req.content_type, "application/problem+json");
            cr_expect_eq(page_runs, 0);
        } else if (r.creds & PS_CRED_SESSION) {
            cr_expect_eq(f.req.status, 401, "%s %s", r.method, r.pattern);
            cr_expect_eq(page_runs, 0);
        } else {
            cr_expect_eq(page_runs, 1, "%s %s", r.method, r.pattern);
        }
        fake_free(&f);
        pages++;
    }
    cr_expect_gt(pages, 15);
}

Test(pages, signed_in_navigation_and_header_name)
{
    struct fake f;
    struct ps_role roles[1] = {{PS_STR("registrar"), PS_STR("pfu"), PS_STR("")}};
    struct ps_session s = {.id = "x", .roles = {roles[0]}, .nroles = 1};
    struct ps_person p = {.given_name = PS_STR("Антон"), .surname = PS_STR("Шевчук"),
                          .given_name_latin = PS_STR("Anton"), .surname_latin = PS_STR("Shevchuk")};
    fake_init(&f, "/about", "lang=en&notice=signed-out");
    f.actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = PS_STR("3168918013")};
    cr_assert(ps_api_subject_set(&f.req, &f.actor, &s, &p));
    ps_portal_about(&f.req);
    const char *html = f.req.out.p;
    cr_expect_not_null(strstr(html, "Signed in as Anton Shevchuk"), "%s", html);
    cr_expect_not_null(strstr(html, "<a href=\"/official\">Work area</a>"));
    cr_expect_not_null(strstr(html, "<a href=\"/me/access\">Who used my data</a>"));
    cr_expect_not_null(strstr(html, "<p>You have signed out.</p>"));
    fake_free(&f);
    s.nroles = 0;
    fake_init(&f, "/about", "notice=%3Cb%3E");
    f.actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = PS_STR("3168918013")};
    cr_assert(ps_api_subject_set(&f.req, &f.actor, &s, &p));
    ps_portal_about(&f.req);
    cr_expect_not_null(strstr(f.req.out.p, "Ви ввійшли як Антон Шевчук"), "%s", f.req.out.p);
    cr_expect_null(strstr(f.req.out.p, "/official"), "no work area without a role");
    cr_expect_null(strstr(f.req.out.p, "class=\"notice\""), "unknown notices are ignored");
    fake_free(&f);
}

/* ---- signing in and back ---- */

Test(signin, next_is_a_path_of_this_site)
{
    static const char *const good[] = {"/", "/me", "/me/access?period=week&org=pfu",
                                       "/official#lookup", "/me/passkeys/0194-x/rename"};
    static const char *const bad[] = {"", "me", "//evil.example", "/\\evil.example",
                                      "https://evil.example/", "/a b", "/a\tb", "/a\nb",
                                      "/signin", "/signin?next=/me", "/signout", "/\xD0\x84",
                                      "/a\\b"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_expect(ps_portal_next_ok(ps_str_from_cstr(good[i])), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_not(ps_portal_next_ok(ps_str_from_cstr(bad[i])), "%s", bad[i]);
    char long_path[600];
    memset(long_path, 'a', sizeof long_path);
    long_path[0] = '/';
    cr_expect_not(ps_portal_next_ok((struct ps_str){long_path, sizeof long_path}));
}

static const struct ps_field date_fields[] = {
    {.name = "d-day", .label = "Day", .required = N_("Enter your date of birth")},
    {.name = "d-month", .label = "Month"},
    {.name = "d-year", .label = "Year"},
};

static size_t date_case(const char *d, const char *m, const char *y, struct ps_form *f,
                        struct ps_date *out, struct ps_arena *a)
{
    ps_form_init(f, date_fields, 3);
    f->values[0] = ps_str_from_cstr(d);
    f->values[1] = ps_str_from_cstr(m);
    f->values[2] = ps_str_from_cstr(y);
    ps_form_date_check(f, 0, N_("Date of birth"), true, PS_LANG_EN, a, out);
    return f->nerrors;
}

Test(form, dates_the_gov_uk_way)
{
    struct ps_arena *a = ps_arena_new(1 << 16);
    struct ps_form f;
    struct ps_date d;
    cr_expect_eq(date_case("5", "10", "1986", &f, &d, a), 0);
    cr_expect_eq(d.year * 10000 + d.month * 100 + d.day, 19861005);
    cr_expect_eq(date_case("29", "2", "2024", &f, &d, a), 0, "a leap day");
    cr_expect_eq(date_case("", "", "", &f, &d, a), 1);
    cr_expect(ps_str_eq(f.errors[0], PS_STR("Enter your date of birth")));
    cr_expect_eq(date_case("5", "", "1986", &f, &d, a), 1);
    cr_expect(ps_str_eq(f.errors[1], PS_STR("Date of birth must include a day, month and year")));
    cr_expect(f.marked[1] && !f.marked[0] && !f.marked[2], "only the missing part is marked");
    cr_expect_eq(date_case("29", "2", "2023", &f, &d, a), 1);
    cr_expect(ps_str_eq(f.errors[0], PS_STR("Date of birth must be a real date")));
    cr_expect_eq(date_case("1", "13", "1990", &f, &d, a), 1);
    cr_expect(f.marked[1] && f.errors[1].len, "the month is the wrong part");
    cr_expect_eq(date_case("x", "1", "1990", &f, &d, a), 1);
    cr_expect_eq(date_case("1", "1", "90", &f, &d, a), 1);
    cr_expect(ps_str_eq(f.errors[2], PS_STR("Year must include 4 numbers")));
    cr_expect_eq(date_case("1", "1", "9999", &f, &d, a), 1);
    cr_expect(ps_str_eq(f.errors[0], PS_STR("Date of birth must be in the past")));
    struct ps_tpl_date v;
    ps_form_date_input(&f, 0, "d", N_("Date of birth"), N_("For example, 27 3 1987"), "bday",
                       PS_LANG_EN, a, &v);
    cr_expect(ps_str_eq(v.describedby, PS_STR("d-hint d-error")));
    cr_expect(v.day_error && v.month_error && v.year_error);
    ps_arena_free(a);
}

/* ---- who used my data: the wording ---- */

Test(access, wording_in_both_languages)
{
    struct ps_arena *a = ps_arena_new(1 << 16);
    struct ps_portal_access r = {
        .subject = PS_STR("3443818003"), .actor_kind = PS_STR("official"),
        .actor_id = PS_STR("3168918013"), .role = PS_STR("registrar"),
        .agency = PS_STR("Pension Fund"), .action = PS_STR("person.read"),
        .purpose = PS_STR("pension review"), .at_s = 1796306520, /* 2026-12-03 14:02 UTC */
    };
    struct ps_str s = ps_portal_access_text(&r, PS_LANG_EN, a);
    cr_expect(ps_str_eq(s, PS_STR("An official of the Pension Fund, role registrar, read your "
                                  "record on 3 December 2026 at 14:02 UTC, purpose: pension "
                                  "review")),
              "%.*s", (int)s.len, s.p);
    r.agency = PS_STR("Пенсійний фонд України");
    s = ps_portal_access_text(&r, PS_LANG_UK, a);
    cr_expect(ps_str_eq(s, PS_STR("3 грудня 2026 о 14:02 (UTC) — Посадова особа (Пенсійний фонд "
                                  "України, роль: реєстратор): перегляд вашого запису; мета: "
                                  "pension review")),
              "%.*s", (int)s.len, s.p);
    r.role = r.agency = PS_STR("");
    s = ps_portal_access_text(&r, PS_LANG_EN, a);
    cr_expect(ps_str_starts_with(s, PS_STR("An official read your record on 3 December 2026")));
    r = (struct ps_portal_access){.subject = PS_STR("3443818003"),
                                  .actor_kind = PS_STR("citizen"), .actor_id = PS_STR("3443818003"),
                                  .action = PS_STR("session.start"), .purpose = PS_STR(""),
                                  .at_s = 1796306520, .change = true};
    s = ps_portal_access_text(&r, PS_LANG_EN, a);
    cr_expect(ps_str_eq(s, PS_STR("You signed in on 3 December 2026 at 14:02 UTC")), "%.*s",
              (int)s.len, s.p);
    r.action = PS_STR("x.<b>");
    r.purpose = PS_STR("because");
    s = ps_portal_access_text(&r, PS_LANG_EN, a);
    cr_expect(ps_str_eq(s, PS_STR("You acted on your data (x.<b>) on 3 December 2026 at 14:02 "
                                  "UTC, reason: because")),
              "%.*s (the page escapes it)", (int)s.len, s.p);
    cr_expect(ps_str_eq(ps_portal_role_text(PS_LANG_UK, PS_STR("clerk")),
                        PS_STR("адміністратор ЦНАП")));
    cr_expect(ps_str_eq(ps_portal_role_text(PS_LANG_EN, PS_STR("nope")), PS_STR("nope")));
    ps_arena_free(a);
}

Test(pages, log_times_read_back)
{
    cr_expect_eq(ps_portal_time_s(PS_STR("2026-12-03T14:02:09.123Z")), 1796306529);
    cr_expect_eq(ps_portal_time_s(PS_STR("2026-12-03T14:02:09Z")), 1796306529);
    cr_expect_eq(ps_portal_time_s(PS_STR("2026-12-03 14:02:09")), 0);
    cr_expect_eq(ps_portal_time_s(PS_STR_NULL), 0);
}
