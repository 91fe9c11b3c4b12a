/* Bounded growable buffer. */
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

void ps_buf_init(struct ps_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

void ps_buf_reset(struct ps_buf *b)
{
    ps_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

static enum ps_err reserve(struct ps_buf *b, size_t extra)
{
    size_t need;
    if (!ps_size_add(b->len, extra, &need) || need > b->max)
        return PS_ERR_LIMIT;
    if (need + 1 <= b->cap)
        return PS_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need + 1) {
        if (!ps_size_mul(cap, 2, &cap))
            return PS_ERR_LIMIT;
    }
    if (cap > b->max + 1)
        cap = b->max + 1;
    char *p = ps_realloc(b->p, cap);
    if (!p)
        return PS_ERR_NOMEM;
    b->p = p;
    b->cap = cap;
    return PS_OK;
}

enum ps_err ps_buf_append(struct ps_buf *b, const void *p, size_t n)
{
    enum ps_err e = reserve(b, n);
    if (e != PS_OK)
        return e;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return PS_OK;
}

enum ps_err ps_buf_append_str(struct ps_buf *b, struct ps_str s)
{
    return ps_buf_append(b, s.p, s.len);
}

enum ps_err ps_buf_append_cstr(struct ps_buf *b, const char *s)
{
    return ps_buf_append(b, s, strlen(s));
}

enum ps_err ps_buf_printf(struct ps_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return PS_ERR_INVALID;
    enum ps_err e = reserve(b, (size_t)n);
    if (e != PS_OK)
        return e;
    va_start(ap, fmt);
    int m = vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (m != n)
        return PS_ERR_INTERNAL;
    b->len += (size_t)n;
    return PS_OK;
}

/* The letter of c's two-character escape (RFC 8259 section 7), or 0: the shortest form, as a
 * compact JSON serializer writes it. */
static char short_escape(unsigned char c)
{
    static const char from[] = "\"\\\n\r\t\b\f", to[] = "\"\\nrtbf";
    const char *hit = c ? strchr(from, c) : NULL;
    return hit ? to[hit - from] : 0;
}

enum ps_err ps_buf_append_json_str(struct ps_buf *b, struct ps_str s)
{
    static const char hex[] = "0123456789abcdef";
    enum ps_err e = ps_buf_append(b, "\"", 1);
    size_t run = 0; /* start of the pending run of bytes that need no escape */
    for (size_t i = 0; e == PS_OK && i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        e = ps_buf_append(b, s.p + run, i - run);
        run = i + 1;
        if (e != PS_OK)
            break;
        char letter = short_escape(c);
        if (letter) {
            char esc[2] = {'\\', letter};
            e = ps_buf_append(b, esc, 2);
        } else {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            e = ps_buf_append(b, esc, 6);
        }
    }
    if (e == PS_OK && s.len > run)
        e = ps_buf_append(b, s.p + run, s.len - run);
    if (e == PS_OK)
        e = ps_buf_append(b, "\"", 1);
    return e;
}
