/* The strict request-head reader of head.h: request line, field lines and the rules between
 * fields (RFC 9112, RFC 9110 section 5), over bytes that may still be arriving. */
#include <string.h>

#include "http/head.h"

#define MAX_CL_DIGITS 19 /* 10^19 - 1 fits in uint64_t: longer is 413, never parsed */

static const struct ps_http_head_error E_LINE = {400, "bad-request", "Bad Request",
                                                 "malformed request line"};
static const struct ps_http_head_error E_VERSION = {400, "bad-request", "Bad Request",
                                                    "malformed HTTP version"};
static const struct ps_http_head_error E_VERSION_UNSUPPORTED = {
    505, "http-version-not-supported", "HTTP Version Not Supported",
    "only HTTP/1.0 and HTTP/1.1 are served"};
static const struct ps_http_head_error E_BARE_CR = {
    400, "bad-request", "Bad Request", "a bare CR or a line not ended by CRLF in the head"};
static const struct ps_http_head_error E_FOLD = {
    400, "bad-request", "Bad Request",
    "a header line starts with whitespace (obsolete line folding is not accepted)"};
static const struct ps_http_head_error E_WS_COLON = {
    400, "bad-request", "Bad Request", "whitespace between a header field name and its colon"};
static const struct ps_http_head_error E_NAME = {400, "bad-request", "Bad Request",
                                                 "invalid header field name"};
static const struct ps_http_head_error E_NO_COLON = {400, "bad-request", "Bad Request",
                                                     "a header line without a colon"};
static const struct ps_http_head_error E_VALUE = {
    400, "bad-request", "Bad Request", "a control character in a header field value"};
static const struct ps_http_head_error E_TOO_MANY = {
    431, "headers-too-large", "Request Header Fields Too Large", "too many header fields"};
static const struct ps_http_head_error E_TOO_BIG = {
    431, "headers-too-large", "Request Header Fields Too Large",
    "the request line and headers are too large"};
static const struct ps_http_head_error E_URI_TOO_LONG = {414, "uri-too-long", "URI Too Long",
                                                         "the request line is too long"};
static const struct ps_http_head_error E_HOST = {400, "bad-request", "Bad Request",
                                                 "invalid Host header"};
static const struct ps_http_head_error E_NO_HOST = {400, "bad-request", "Bad Request",
                                                    "an HTTP/1.1 request without Host"};
static const struct ps_http_head_error E_TWO_HOSTS = {400, "bad-request", "Bad Request",
                                                      "more than one Host header"};
static const struct ps_http_head_error E_TWO_AUTH = {400, "bad-request", "Bad Request",
                                                     "more than one Authorization header"};
static const struct ps_http_head_error E_CL = {400, "bad-request", "Bad Request",
                                               "invalid Content-Length"};
static const struct ps_http_head_error E_CL_BIG = {
    413, "payload-too-large", "Payload Too Large",
    "the request body is larger than this resource accepts"};
static const struct ps_http_head_error E_TWO_CL = {400, "bad-request", "Bad Request",
                                                   "more than one Content-Length"};
static const struct ps_http_head_error E_TE_CL = {
    400, "bad-request", "Bad Request",
    "both Transfer-Encoding and Content-Length are present"};
static const struct ps_http_head_error E_TE = {
    400, "bad-request", "Bad Request", "the only Transfer-Encoding accepted is chunked"};
static const struct ps_http_head_error E_TE_10 = {
    400, "bad-request", "Bad Request", "Transfer-Encoding in a request older than HTTP/1.1"};

static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_vchar(unsigned char c)
{
    return c > 0x20 && c < 0x7f;
}

/* A field value octet: HTAB, SP, VCHAR, obs-text (RFC 9110 5.5). */
static bool is_value_octet(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool fail(struct ps_http_fields *f, const struct ps_http_head_error *e)
{
    if (!f->bad) {
        f->bad = true;
        f->err = *e;
    }
    return false;
}

/* ---------- fields ---------- */

void ps_http_fields_init(struct ps_http_fields *f)
{
    memset(f, 0, sizeof *f);
}

/* RFC 3986 host [":" port]: an IP literal in brackets, or reg-name / IPv4 characters
 * (unreserved, pct-encoded, sub-delims). Empty is allowed (RFC 9112 3.2). */
static bool host_valid(struct ps_str v)
{
    while (v.len && (v.p[v.len - 1] == ' ' || v.p[v.len - 1] == '\t'))
        v.len--;
    size_t i = 0;
    if (v.len && v.p[0] == '[') {
        for (i = 1; i < v.len && v.p[i] != ']'; i++)
            if (ps_hex_digit(v.p[i]) < 0 && v.p[i] != ':' && v.p[i] != '.')
                return false;
        if (i == v.len || i == 1)
            return false;
        i++;
    } else {
        for (; i < v.len && v.p[i] != ':'; i++) {
            unsigned char c = (unsigned char)v.p[i];
            if (c == '%') {
                if (i + 2 >= v.len || ps_hex_digit(v.p[i + 1]) < 0 ||
                    ps_hex_digit(v.p[i + 2]) < 0)
                    return false;
                i += 2;
            } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || strchr("-._~!$&'()*+,;=", c))) {
                return false;
            }
        }
    }
    if (i == v.len)
        return true;
    if (v.p[i] != ':' || v.len - i - 1 > 5)
        return false;
    return ps_str_is_digits((struct ps_str){v.p + i + 1, v.len - i - 1}) || v.len == i + 1;
}

/* The name is a token; whitespace in it can only have come before the colon. */
static bool name_ok(struct ps_http_fields *f, struct ps_str name)
{
    if (name.len == 0)
        return fail(f, &E_NAME);
    for (size_t i = 0; i < name.len; i++) {
        unsigned char c = (unsigned char)name.p[i];
        if (c == ' ' || c == '\t')
            return fail(f, &E_WS_COLON);
        if (!is_tchar(c))
            return fail(f, &E_NAME);
    }
    return true;
}

static bool value_ok(struct ps_http_fields *f, struct ps_str v)
{
    for (size_t i = 0; i < v.len; i++)
        if (!is_value_octet((unsigned char)v.p[i]))
            return fail(f, &E_VALUE);
    return true;
}

static bool content_length_ok(struct ps_http_fields *f, struct ps_str v)
{
    if (v.len == 0 || !ps_str_is_digits(v))
        return fail(f, &E_CL);
    size_t lead = 0;
    while (lead + 1 < v.len && v.p[lead] == '0')
        lead++;
    if (v.len - lead > MAX_CL_DIGITS)
        return fail(f, &E_CL_BIG);
    return true;
}

bool ps_http_fields_add(struct ps_http_fields *f, struct ps_str name, struct ps_str value)
{
    if (f->bad)
        return false;
    if (++f->n > PS_HTTP_MAX_FIELDS)
        return fail(f, &E_TOO_MANY);
    if (!name_ok(f, name) || !value_ok(f, value))
        return false;
    if (ps_str_eq_nocase(name, PS_STR("Host"))) {
        f->host++;
        if (!host_valid(value))
            return fail(f, &E_HOST);
    } else if (ps_str_eq_nocase(name, PS_STR("Authorization"))) {
        f->auth++;
    } else if (ps_str_eq_nocase(name, PS_STR("Content-Length"))) {
        f->cl++;
        return content_length_ok(f, value);
    } else if (ps_str_eq_nocase(name, PS_STR("Transfer-Encoding"))) {
        /* exactly the value MHD compares (leading whitespace gone, trailing kept): a value
         * MHD does not take for chunked must not pass here */
        f->te++;
        f->te_chunked = ps_str_eq_nocase(value, PS_STR("chunked"));
    }
    return true;
}

bool ps_http_fields_end(struct ps_http_fields *f, int minor, struct ps_http_head_error *err)
{
    if (!f->bad) {
        if (f->host > 1)
            fail(f, &E_TWO_HOSTS);
        else if (minor >= 1 && f->host == 0)
            fail(f, &E_NO_HOST);
        else if (f->auth > 1)
            fail(f, &E_TWO_AUTH);
        else if (f->te && f->cl)
            fail(f, &E_TE_CL);
        else if (f->te > 1 || (f->te && !f->te_chunked))
            fail(f, &E_TE);
        else if (f->te && minor == 0)
            fail(f, &E_TE_10);
        else if (f->cl > 1)
            fail(f, &E_TWO_CL);
    }
    if (f->bad && err)
        *err = f->err;
    return !f->bad;
}

/* ---------- lines ---------- */

void ps_http_head_init(struct ps_http_head *h)
{
    memset(h, 0, sizeof *h);
    ps_http_fields_init(&h->fields);
}

/* "HTTP/" DIGIT "." DIGIT, or a prefix of it when the line is not complete. */
static const struct ps_http_head_error *version_check(struct ps_http_head *h, const char *v,
                                                      size_t n, bool complete)
{
    static const char tmpl[] = "HTTP/0.0";
    if (n > 8 || (complete && n != 8))
        return &E_VERSION;
    for (size_t i = 0; i < n; i++) {
        bool digit = v[i] >= '0' && v[i] <= '9';
        if (tmpl[i] == '0' ? !digit : v[i] != tmpl[i])
            return &E_VERSION;
    }
    if (!complete)
        return NULL;
    if (v[5] != '1')
        return &E_VERSION_UNSUPPORTED;
    h->minor = v[7] == '0' ? 0 : 1; /* 1.2 .. 1.9 are served as 1.1, as MHD does */
    return NULL;
}

/* method SP request-target SP HTTP-version; NULL when acceptable (so far). */
static const struct ps_http_head_error *request_line(struct ps_http_head *h, const char *p,
                                                     size_t n, bool complete)
{
    size_t i = 0;
    while (i < n && is_tchar((unsigned char)p[i]))
        i++;
    if (i == n)
        return complete ? &E_LINE : NULL;
    if (i == 0 || p[i] != ' ')
        return &E_LINE;
    size_t j = i + 1;
    while (j < n && is_vchar((unsigned char)p[j]))
        j++;
    if (j == n)
        return complete ? &E_LINE : NULL;
    if (j == i + 1 || p[j] != ' ')
        return &E_LINE;
    return version_check(h, p + j + 1, n - j - 1, complete);
}

/* One field line (without its CRLF), or the start of one. */
static const struct ps_http_head_error *field_line(struct ps_http_head *h, const char *p,
                                                   size_t n, bool complete)
{
    if (n && (p[0] == ' ' || p[0] == '\t'))
        return &E_FOLD; /* obs-fold, or whitespace right after the request line */
    const char *colon = memchr(p, ':', n);
    size_t nlen = colon ? (size_t)(colon - p) : n;
    for (size_t i = 0; i < nlen; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == ' ' || c == '\t')
            return &E_WS_COLON;
        if (!is_tchar(c))
            return &E_NAME;
    }
    if (!colon)
        return complete ? &E_NO_COLON : NULL;
    if (nlen == 0)
        return &E_NAME;
    const char *v = colon + 1, *end = p + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    struct ps_str value = {v, (size_t)(end - v)};
    if (!complete) {
        for (size_t i = 0; i < value.len; i++)
            if (!is_value_octet((unsigned char)value.p[i]))
                return &E_VALUE;
        return NULL;
    }
    if (!ps_http_fields_add(&h->fields, (struct ps_str){p, nlen}, value))
        return &h->fields.err;
    return NULL;
}

/* One line of the head: complete (without CRLF), or what has arrived of it. */
static const struct ps_http_head_error *one_line(struct ps_http_head *h, const char *p,
                                                 size_t n, bool complete)
{
    if (memchr(p, '\r', n))
        return &E_BARE_CR;
    if (h->stage == 0) {
        if (n == 0)
            return NULL; /* an empty line before the request line is ignored (RFC 9112 2.2) */
        const struct ps_http_head_error *e = request_line(h, p, n, complete);
        if (!e && complete)
            h->stage = 1;
        return e;
    }
    if (n == 0) {
        if (!complete)
            return NULL;
        h->stage = 2;
        return ps_http_fields_end(&h->fields, h->minor, NULL) ? NULL : &h->fields.err;
    }
    return field_line(h, p, n, complete);
}

static enum ps_head_result bad(struct ps_http_head_error *err, const struct ps_http_head_error *e)
{
    if (err)
        *err = *e;
    return PS_HEAD_BAD;
}

enum ps_head_result ps_http_head_feed(struct ps_http_head *h, const char *buf, size_t n,
                                      size_t max_bytes, struct ps_http_head_error *err)
{
    while (h->stage < 2 && h->off < n) {
        const char *line = buf + h->off;
        const char *lf = memchr(line, '\n', n - h->off);
        if (!lf) { /* judge what has arrived of the line (a trailing CR may be half a CRLF) */
            size_t len = n - h->off;
            if (line[len - 1] == '\r')
                len--;
            const struct ps_http_head_error *e = one_line(h, line, len, false);
            if (e)
                return bad(err, e);
            break;
        }
        size_t len = (size_t)(lf - line);
        if (len == 0 || line[len - 1] != '\r')
            return bad(err, &E_BARE_CR); /* a bare LF */
        int stage = h->stage;
        const struct ps_http_head_error *e = one_line(h, line, len - 1, true);
        if (e)
            return bad(err, e);
        h->off += len + 1;
        if (stage == 0 && h->stage == 1)
            h->line_end = h->off;
    }
    size_t used = h->stage == 2 ? h->off : n;
    if (used > max_bytes) /* 414 when the request line alone does not fit */
        return bad(err, h->stage == 0 || h->line_end > max_bytes ? &E_URI_TOO_LONG : &E_TOO_BIG);
    return h->stage == 2 ? PS_HEAD_DONE : PS_HEAD_PARTIAL;
}
