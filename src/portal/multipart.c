/* multipart/form-data, read as slices: the boundary from the media type's parameters, then
 * each part between "\r\n--boundary" delimiters, its header lines up to the empty line, the
 * content up to the next delimiter. Written here rather than taken from libmicrohttpd's post
 * processor, which reads a live connection's headers and streams into callbacks, while a page
 * handler has the whole body in memory (docs/DEPENDENCIES.md). */
#include "portal/multipart.h"

#include <stdbool.h>
#include <string.h> /* memmem: _GNU_SOURCE, as the build defines */
#include <strings.h>

#define DELIM_MAX (PS_MULTIPART_BOUNDARY_MAX + 4) /* "\r\n--" boundary */

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

static struct ps_str trim(struct ps_str s)
{
    while (s.len && is_space(s.p[0])) {
        s.p++;
        s.len--;
    }
    while (s.len && is_space(s.p[s.len - 1]))
        s.len--;
    return s;
}

/* Whether s starts with lit, ASCII case-insensitively. */
static bool starts_ci(struct ps_str s, const char *lit)
{
    size_t n = strlen(lit);
    return s.len >= n && strncasecmp(s.p, lit, n) == 0;
}

/* The parameter name's value in params (";"-separated "k=v" or k="v"), or PS_STR_NULL; false
 * when the parameters do not read as such. */
static bool param(struct ps_str params, const char *name, struct ps_str *out)
{
    const char *p = params.p, *end = params.p + params.len;
    *out = PS_STR_NULL;
    while (p < end) {
        while (p < end && (is_space(*p) || *p == ';'))
            p++;
        const char *k = p;
        while (p < end && *p != '=' && *p != ';')
            p++;
        if (p >= end || *p != '=')
            return p >= end && trim((struct ps_str){k, (size_t)(p - k)}).len == 0;
        struct ps_str key = trim((struct ps_str){k, (size_t)(p - k)});
        p++;
        struct ps_str v;
        if (p < end && *p == '"') {
            const char *q = memchr(p + 1, '"', (size_t)(end - p - 1));
            if (!q)
                return false;
            v = (struct ps_str){p + 1, (size_t)(q - p - 1)};
            p = q + 1;
        } else {
            const char *s = p;
            while (p < end && *p != ';')
                p++;
            v = trim((struct ps_str){s, (size_t)(p - s)});
        }
        if (key.len == strlen(name) && strncasecmp(key.p, name, key.len) == 0 && !out->p)
            *out = v;
    }
    return true;
}

static enum ps_err boundary_of(struct ps_str ctype, char delim[DELIM_MAX + 1], size_t *dlen,
                               struct ps_diag *d)
{
    struct ps_str b;
    ctype = trim(ctype);
    if (!starts_ci(ctype, "multipart/form-data") ||
        (ctype.len > 19 && ctype.p[19] != ';' && !is_space(ctype.p[19])))
        return ps_diag_set(d, PS_ERR_INVALID, "not multipart/form-data");
    ctype.p += 19;
    ctype.len -= 19;
    if (!param(ctype, "boundary", &b) || !b.p || b.len == 0 ||
        b.len > PS_MULTIPART_BOUNDARY_MAX)
        return ps_diag_set(d, PS_ERR_INVALID, "no usable boundary (1 to %d characters)",
                           PS_MULTIPART_BOUNDARY_MAX);
    for (size_t i = 0; i < b.len; i++) {
        if ((unsigned char)b.p[i] < 0x20 || (unsigned char)b.p[i] > 0x7e)
            return ps_diag_set(d, PS_ERR_INVALID, "the boundary is not printable ASCII");
    }
    memcpy(delim, "\r\n--", 4);
    memcpy(delim + 4, b.p, b.len);
    *dlen = b.len + 4;
    delim[*dlen] = '\0';
    return PS_OK;
}

/* One header line of a part into *part. */
static enum ps_err header(struct ps_str line, struct ps_multipart_part *part, struct ps_diag *d)
{
    const char *colon = memchr(line.p, ':', line.len);
    if (!colon)
        return ps_diag_set(d, PS_ERR_INVALID, "a part header without a colon");
    struct ps_str name = {line.p, (size_t)(colon - line.p)};
    struct ps_str value = trim((struct ps_str){colon + 1, (size_t)(line.p + line.len - colon - 1)});
    if (name.len == 12 && strncasecmp(name.p, "Content-Type", 12) == 0) {
        part->content_type = value;
        return PS_OK;
    }
    if (name.len != 19 || strncasecmp(name.p, "Content-Disposition", 19) != 0)
        return PS_OK;
    if (!starts_ci(value, "form-data") ||
        (value.len > 9 && value.p[9] != ';' && !is_space(value.p[9])))
        return ps_diag_set(d, PS_ERR_INVALID, "a part that is not form-data");
    value.p += 9;
    value.len -= 9;
    if (!param(value, "name", &part->name) || !param(value, "filename", &part->filename))
        return ps_diag_set(d, PS_ERR_INVALID, "a Content-Disposition that does not read");
    return PS_OK;
}

/* The headers of the part at *p (up to the empty line); *p moves past them. */
static enum ps_err headers(const char **p, const char *end, struct ps_multipart_part *part,
                           struct ps_diag *d)
{
    for (size_t lines = 0;; lines++) {
        const char *eol = memmem(*p, (size_t)(end - *p), "\r\n", 2);
        if (!eol)
            return ps_diag_set(d, PS_ERR_INVALID, "a part's headers do not end");
        size_t len = (size_t)(eol - *p);
        if (len == 0) {
            *p = eol + 2;
            break;
        }
        if (len > PS_MULTIPART_HEADER_MAX || lines >= PS_MULTIPART_HEADERS_MAX)
            return ps_diag_set(d, PS_ERR_LIMIT, "a part's headers are too long");
        enum ps_err e = header((struct ps_str){*p, len}, part, d);
        if (e != PS_OK)
            return e;
        *p = eol + 2;
    }
    if (!part->name.p || part->name.len == 0)
        return ps_diag_set(d, PS_ERR_INVALID, "a part without a name");
    return PS_OK;
}

enum ps_err ps_multipart_parse(struct ps_str ctype, struct ps_str body,
                               struct ps_multipart_part *parts, size_t cap, size_t *n,
                               struct ps_diag *d)
{
    char delim[DELIM_MAX + 1];
    size_t dlen = 0;
    *n = 0;
    enum ps_err e = boundary_of(ctype, delim, &dlen, d);
    if (e != PS_OK)
        return e;
    const char *end = body.p + body.len;
    /* the first delimiter: at the start (without its CRLF) or after a preamble */
    const char *p = memmem(body.p, body.len, delim, dlen);
    if (body.len >= dlen - 2 && memcmp(body.p, delim + 2, dlen - 2) == 0)
        p = body.p + dlen - 2;
    else if (p)
        p += dlen;
    else
        return ps_diag_set(d, PS_ERR_INVALID, "no delimiter");
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            return PS_OK; /* the closing delimiter */
        while (p < end && is_space(*p)) /* transport padding */
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return ps_diag_set(d, PS_ERR_INVALID, "a delimiter not followed by CRLF");
        p += 2;
        if (*n >= cap)
            return ps_diag_set(d, PS_ERR_LIMIT, "more than %zu parts", cap);
        struct ps_multipart_part *part = &parts[*n];
        *part = (struct ps_multipart_part){0};
        e = headers(&p, end, part, d);
        if (e != PS_OK)
            return e;
        const char *next = memmem(p, (size_t)(end - p), delim, dlen);
        if (!next)
            return ps_diag_set(d, PS_ERR_INVALID, "no closing delimiter");
        part->data = (struct ps_str){p, (size_t)(next - p)};
        (*n)++;
        p = next + dlen;
    }
}
