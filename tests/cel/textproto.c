/* Protocol buffer text format reader for the conformance files (see textproto.h). */
#include "textproto.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/str.h"

#define TP_MAX_DEPTH 64

struct tp {
    struct ps_arena *a;
    const char *s;
    size_t len, pos;
    uint32_t line;
    char *err;
    size_t errcap;
    enum ps_err code;
};

static bool fail(struct tp *t, enum ps_err code, const char *fmt, ...) PS_PRINTF(3, 4);

static bool fail(struct tp *t, enum ps_err code, const char *fmt, ...)
{
    if (t->code != PS_OK)
        return false;
    t->code = code;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    if (snprintf(t->err, t->errcap, "line %u: %s", t->line, msg) < 0 && t->errcap)
        t->err[0] = '\0';
    return false;
}

static void skip(struct tp *t)
{
    while (t->pos < t->len) {
        char c = t->s[t->pos];
        if (c == '\n') {
            t->line++;
            t->pos++;
        } else if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
            t->pos++;
        } else if (c == '#') {
            while (t->pos < t->len && t->s[t->pos] != '\n')
                t->pos++;
        } else {
            return;
        }
    }
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '-' || c == '+';
}

static int hexv(char c)
{
    return ps_hex_digit(c);
}

static size_t utf8(uint32_t cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* One escape after the backslash at t->pos; appends to out. */
static bool escape(struct tp *t, char *out, size_t *n)
{
    static const char from[] = "abfnrtv\\'\"?", to[] = "\a\b\f\n\r\t\v\\'\"?";
    char c = t->pos + 1 < t->len ? t->s[t->pos + 1] : '\0';
    const char *hit = c ? strchr(from, c) : NULL;
    t->pos += 2;
    if (hit) {
        out[(*n)++] = to[hit - from];
        return true;
    }
    uint32_t v = 0;
    if (c >= '0' && c <= '7') {
        v = (uint32_t)(c - '0');
        for (int k = 0; k < 2 && t->pos < t->len && t->s[t->pos] >= '0' && t->s[t->pos] <= '7';
             k++)
            v = v * 8 + (uint32_t)(t->s[t->pos++] - '0');
        out[(*n)++] = (char)v;
        return true;
    }
    if (c == 'x' || c == 'X') {
        for (int k = 0; k < 2 && t->pos < t->len && hexv(t->s[t->pos]) >= 0; k++)
            v = v * 16 + (uint32_t)hexv(t->s[t->pos++]);
        out[(*n)++] = (char)v;
        return true;
    }
    if (c == 'u' || c == 'U') {
        int count = c == 'u' ? 4 : 8;
        for (int k = 0; k < count; k++) {
            if (t->pos >= t->len || hexv(t->s[t->pos]) < 0)
                return fail(t, PS_ERR_INVALID, "bad \\%c escape", c);
            v = v * 16 + (uint32_t)hexv(t->s[t->pos++]);
        }
        if (v > 0x10FFFF)
            return fail(t, PS_ERR_INVALID, "code point out of range");
        *n += utf8(v, out + *n);
        return true;
    }
    return fail(t, PS_ERR_INVALID, "unknown escape \\%c", c ? c : ' ');
}

/* A string, or adjacent strings concatenated, into arena memory. */
static bool string(struct tp *t, struct tp_node *v)
{
    size_t cap = t->len - t->pos + 1, n = 0;
    char *out = ps_arena_alloc(t->a, cap);
    if (!out)
        return fail(t, PS_ERR_LIMIT, "arena budget");
    while (t->pos < t->len && (t->s[t->pos] == '"' || t->s[t->pos] == '\'')) {
        char q = t->s[t->pos++];
        while (t->pos < t->len && t->s[t->pos] != q) {
            if (t->s[t->pos] == '\n')
                return fail(t, PS_ERR_INVALID, "newline in a string");
            if (t->s[t->pos] == '\\') {
                if (!escape(t, out, &n))
                    return false;
            } else {
                out[n++] = t->s[t->pos++];
            }
        }
        if (t->pos >= t->len)
            return fail(t, PS_ERR_INVALID, "unterminated string");
        t->pos++;
        skip(t);
    }
    out[n] = '\0';
    v->kind = TP_STRING;
    v->text = out;
    v->len = n;
    return true;
}

static bool scalar(struct tp *t, struct tp_node *v)
{
    if (t->s[t->pos] == '"' || t->s[t->pos] == '\'')
        return string(t, v);
    size_t start = t->pos;
    while (t->pos < t->len && word_char(t->s[t->pos]))
        t->pos++;
    if (t->pos == start)
        return fail(t, PS_ERR_INVALID, "expected a value");
    char c = t->s[start];
    v->kind = (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' ? TP_NUMBER : TP_IDENT;
    v->len = t->pos - start;
    v->text = ps_arena_strndup(t->a, t->s + start, v->len);
    return v->text ? true : fail(t, PS_ERR_LIMIT, "arena budget");
}

static bool message(struct tp *t, struct tp_node *msg, char close, unsigned depth);

static bool field_name(struct tp *t, const char **name)
{
    size_t start = t->pos;
    if (t->s[t->pos] == '[') {
        while (t->pos < t->len && t->s[t->pos] != ']')
            t->pos++;
        if (t->pos >= t->len)
            return fail(t, PS_ERR_INVALID, "unterminated [extension]");
        t->pos++;
    } else {
        while (t->pos < t->len && word_char(t->s[t->pos]))
            t->pos++;
    }
    if (t->pos == start)
        return fail(t, PS_ERR_INVALID, "expected a field name, found '%c'", t->s[t->pos]);
    *name = ps_arena_strndup(t->a, t->s + start, t->pos - start);
    return *name ? true : fail(t, PS_ERR_LIMIT, "arena budget");
}

static struct tp_node *append(struct tp *t, struct tp_node *msg, struct tp_node **last,
                              const char *name)
{
    struct tp_node *v = ps_arena_zalloc(t->a, sizeof *v);
    if (!v) {
        fail(t, PS_ERR_LIMIT, "arena budget");
        return NULL;
    }
    v->name = name;
    v->line = t->line;
    if (*last)
        (*last)->next = v;
    else
        msg->first = v;
    *last = v;
    return v;
}

/* One field (possibly a [list] of values, each becoming a repeated field). */
static bool field(struct tp *t, struct tp_node *msg, struct tp_node **last, unsigned depth)
{
    const char *name = NULL;
    if (!field_name(t, &name))
        return false;
    skip(t);
    bool colon = t->pos < t->len && t->s[t->pos] == ':';
    if (colon) {
        t->pos++;
        skip(t);
    }
    if (t->pos >= t->len)
        return fail(t, PS_ERR_INVALID, "value missing for '%s'", name);
    char c = t->s[t->pos];
    if (c == '{' || c == '<') {
        struct tp_node *v = append(t, msg, last, name);
        t->pos++;
        return v && message(t, v, c == '{' ? '}' : '>', depth + 1);
    }
    if (!colon)
        return fail(t, PS_ERR_INVALID, "expected ':' after '%s'", name);
    if (c != '[') {
        struct tp_node *v = append(t, msg, last, name);
        return v && scalar(t, v);
    }
    t->pos++;
    for (skip(t); t->pos < t->len && t->s[t->pos] != ']'; skip(t)) {
        struct tp_node *v = append(t, msg, last, name);
        if (!v || !scalar(t, v))
            return false;
        skip(t);
        if (t->pos < t->len && t->s[t->pos] == ',')
            t->pos++;
    }
    if (t->pos >= t->len)
        return fail(t, PS_ERR_INVALID, "unterminated list");
    t->pos++;
    return true;
}

static bool message(struct tp *t, struct tp_node *msg, char close, unsigned depth)
{
    if (depth > TP_MAX_DEPTH)
        return fail(t, PS_ERR_LIMIT, "nested more than %d levels", TP_MAX_DEPTH);
    msg->kind = TP_MESSAGE;
    struct tp_node *last = NULL;
    for (;;) {
        skip(t);
        if (t->pos >= t->len) {
            if (close)
                return fail(t, PS_ERR_INVALID, "missing '%c'", close);
            return true;
        }
        if (t->s[t->pos] == close) {
            t->pos++;
            return true;
        }
        if (!field(t, msg, &last, depth))
            return false;
        skip(t);
        if (t->pos < t->len && (t->s[t->pos] == ',' || t->s[t->pos] == ';'))
            t->pos++;
    }
}

enum ps_err tp_parse(struct ps_arena *arena, const char *src, size_t len, struct tp_node **out,
                     char *err, size_t errcap)
{
    struct tp t = {.a = arena, .s = src, .len = len, .line = 1, .err = err, .errcap = errcap};
    struct tp_node *root = ps_arena_zalloc(arena, sizeof *root);
    if (!root)
        return PS_ERR_LIMIT;
    if (!message(&t, root, '\0', 0))
        return t.code;
    *out = root;
    return PS_OK;
}

const struct tp_node *tp_get(const struct tp_node *msg, const char *name)
{
    for (const struct tp_node *f = msg ? msg->first : NULL; f; f = f->next)
        if (strcmp(f->name, name) == 0)
            return f;
    return NULL;
}
