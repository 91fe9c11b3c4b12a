/* The escapers: one pass over the value, runs of bytes that need nothing copied at once.
 * Text and attributes share the UTF-8 handling (bad sequences and control characters become
 * U+FFFD, so that no page ever carries them); URLs percent-encode instead. */
#include "portal/escape.h"

#include <string.h>

#include "core/utf8.h"

#define REPLACEMENT "\xEF\xBF\xBD"

/* Bytes of a URL kept as they are in PS_HTML_URL (RFC 3986 unreserved and reserved, but the
 * quote "'" which, though reserved, is encoded to be safe in any attribute). */
static bool url_keep(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("-._~:/?#[]@!$&()*+,;=", c) != NULL;
}

static bool unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.' || c == '_' || c == '~';
}

static bool control(uint32_t cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F);
}

/* The entity for c in ctx, or NULL when c needs none. */
static const char *entity(unsigned char c, enum ps_html_ctx ctx)
{
    switch (c) {
    case '&':
        return "&amp;";
    case '<':
        return "&lt;";
    case '>':
        return "&gt;";
    case '"':
        return ctx == PS_HTML_ATTR ? "&quot;" : NULL;
    case '\'':
        return ctx == PS_HTML_ATTR ? "&#39;" : NULL;
    default:
        return NULL;
    }
}

static enum ps_err markup(struct ps_buf *out, enum ps_html_ctx ctx, struct ps_str s)
{
    size_t i = 0, run = 0;
    enum ps_err e = PS_OK;
    while (i < s.len && e == PS_OK) {
        unsigned char c = (unsigned char)s.p[i];
        const char *ent = c < 0x80 ? entity(c, ctx) : NULL;
        if (c >= 0x20 && c < 0x7F && !ent) {
            i++;
            continue;
        }
        size_t at = i;
        uint32_t cp = c;
        bool ok = c < 0x80 ? (i++, true) : ps_utf8_next(s, &i, &cp);
        if (!ent && ok && !control(cp))
            continue; /* tab, newline, or a good multi-byte sequence: part of the run */
        e = ps_buf_append(out, s.p + run, at - run);
        if (e == PS_OK)
            e = ps_buf_append_cstr(out, ent ? ent : REPLACEMENT);
        run = i;
    }
    if (e == PS_OK)
        e = ps_buf_append(out, s.p + run, s.len - run);
    return e;
}

bool ps_html_url_scheme_ok(struct ps_str s)
{
    static const char *const ok[] = {"http", "https", "mailto"};
    size_t n = 0;
    while (n < s.len && !strchr(":/?#", s.p[n]))
        n++;
    if (n == s.len || s.p[n] != ':')
        return true; /* no scheme: relative */
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++)
        if (ps_str_eq_nocase((struct ps_str){s.p, n}, ps_str_from_cstr(ok[k])))
            return true;
    return false;
}

static bool hex(unsigned char c)
{
    return ps_hex_digit((char)c) >= 0;
}

static enum ps_err url(struct ps_buf *out, struct ps_str s, bool part)
{
    static const char digits[] = "0123456789ABCDEF";
    if (!part && !ps_html_url_scheme_ok(s))
        return ps_buf_append_cstr(out, PS_HTML_BAD_URL);
    size_t run = 0;
    enum ps_err e = PS_OK;
    for (size_t i = 0; i < s.len && e == PS_OK; i++) {
        unsigned char c = (unsigned char)s.p[i];
        bool keep = part ? unreserved(c) : url_keep(c) && c != '&';
        /* an existing escape %XX stays as it is in a whole URL */
        if (!part && c == '%' && i + 2 < s.len && hex((unsigned char)s.p[i + 1]) &&
            hex((unsigned char)s.p[i + 2]))
            keep = true;
        if (keep)
            continue;
        e = ps_buf_append(out, s.p + run, i - run);
        if (e == PS_OK && !part && c == '&')
            e = ps_buf_append_cstr(out, "&amp;");
        else if (e == PS_OK) {
            char pct[3] = {'%', digits[c >> 4], digits[c & 15]};
            e = ps_buf_append(out, pct, 3);
        }
        run = i + 1;
    }
    if (e == PS_OK)
        e = ps_buf_append(out, s.p + run, s.len - run);
    return e;
}

enum ps_err ps_html_escape(struct ps_buf *out, enum ps_html_ctx ctx, struct ps_str s)
{
    if (!s.p || s.len == 0)
        return PS_OK;
    switch (ctx) {
    case PS_HTML_TEXT:
    case PS_HTML_ATTR:
        return markup(out, ctx, s);
    case PS_HTML_URL:
        return url(out, s, false);
    case PS_HTML_URL_PART:
        return url(out, s, true);
    }
    return PS_ERR_INTERNAL;
}
