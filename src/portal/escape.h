/* Context-aware HTML escaping: every value the portal writes into a page goes through one of
 * these, chosen at build time by the template compiler (scripts/portal_tpl.py) from where the
 * value stands. Output is always valid UTF-8 without control characters (bad bytes and
 * controls become U+FFFD, or %XX in URLs). Pure, thread-safe; fuzzed (fuzz/fuzz_portal_escape.c).
 * docs/internals/portal.md lists the contexts and why each escapes what it does. */
#ifndef PS_PORTAL_ESCAPE_H
#define PS_PORTAL_ESCAPE_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

enum ps_html_ctx {
    PS_HTML_TEXT,     /* element text and RCDATA (<title>, <textarea>): & < > */
    PS_HTML_ATTR,     /* a quoted attribute value: & < > " ' */
    PS_HTML_URL,      /* a whole URL in href/src/action...: a scheme other than http, https
                       * or mailto gives "about:invalid" (anything before a ':' that comes
                       * before any '/', '?' or '#' counts as a scheme); then bytes outside
                       * the URL characters are percent-encoded and & becomes &amp; */
    PS_HTML_URL_PART, /* a part of a URL after static text (a path segment, a query value):
                       * everything but A-Z a-z 0-9 - . _ ~ is percent-encoded */
};

/* What PS_HTML_URL writes in place of a URL with another scheme (javascript:, data:, ...). */
#define PS_HTML_BAD_URL "about:invalid"

/* Appends s to out escaped for ctx. Errors: PS_ERR_LIMIT (out is full; out may hold part of
 * the value), PS_ERR_NOMEM. */
enum ps_err ps_html_escape(struct ps_buf *out, enum ps_html_ctx ctx, struct ps_str s) PS_WUR;

/* True when s, as a whole URL, has no ':' before its first '/', '?' or '#' (a relative
 * reference) or its scheme is http, https or mailto (case-insensitive): what PS_HTML_URL
 * keeps. */
bool ps_html_url_scheme_ok(struct ps_str s);

#endif
