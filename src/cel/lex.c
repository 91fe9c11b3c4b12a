/* The CEL lexer (langdef "lexis"): whitespace and // comments, identifiers and keywords,
 * operators, and literals decoded as the spec says: decimal and hex ints and uints, doubles,
 * strings and bytes in all quote forms, raw or with every escape. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cel/cel_int.h"

static enum ps_err lex_err(struct cel_lexer *lx, struct ps_cel_diag *diag, size_t at,
                           const char *msg)
{
    return cel_diag_at(diag, PS_ERR_INVALID, lx->src, lx->len, (uint32_t)at, "%s", msg);
}

static bool is_ident_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void skip_space(struct cel_lexer *lx)
{
    while (lx->pos < lx->len) {
        char c = lx->src[lx->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            lx->pos++;
        } else if (c == '/' && lx->pos + 1 < lx->len && lx->src[lx->pos + 1] == '/') {
            while (lx->pos < lx->len && lx->src[lx->pos] != '\n')
                lx->pos++;
        } else {
            return;
        }
    }
}

/* ---- numbers ---------------------------------------------------------------------------- */

static enum ps_err lex_hex(struct cel_lexer *lx, struct cel_token *t)
{
    size_t p = lx->pos + 2;
    uint64_t v = 0;
    while (p < lx->len && ps_hex_digit(lx->src[p]) >= 0) {
        if (v > (UINT64_MAX >> 4))
            t->overflow = true;
        v = (v << 4) | (uint64_t)ps_hex_digit(lx->src[p]);
        p++;
    }
    t->kind = TK_INT;
    t->u = v;
    if (p < lx->len && (lx->src[p] == 'u' || lx->src[p] == 'U')) {
        t->kind = TK_UINT;
        p++;
    }
    lx->pos = p;
    return PS_OK;
}

static enum ps_err lex_double(struct cel_lexer *lx, struct cel_token *t, size_t end,
                              struct ps_cel_diag *diag)
{
    char buf[128];
    size_t n = end - lx->pos;
    if (n >= sizeof buf)
        return lex_err(lx, diag, lx->pos, "double literal too long");
    memcpy(buf, lx->src + lx->pos, n);
    buf[n] = '\0';
    errno = 0;
    char *stop = NULL;
    double d = strtod(buf, &stop);
    if (stop != buf + n || (errno == ERANGE && isinf(d)))
        return lex_err(lx, diag, lx->pos, "double literal out of range");
    t->kind = TK_DOUBLE;
    t->d = d;
    lx->pos = end;
    return PS_OK;
}

static enum ps_err lex_number(struct cel_lexer *lx, struct cel_token *t,
                              struct ps_cel_diag *diag)
{
    const char *s = lx->src;
    size_t p = lx->pos;
    if (s[p] == '0' && p + 2 < lx->len && (s[p + 1] == 'x' || s[p + 1] == 'X') &&
        ps_hex_digit(s[p + 2]) >= 0)
        return lex_hex(lx, t);
    while (p < lx->len && is_digit(s[p]))
        p++;
    bool dbl = false;
    if (p + 1 < lx->len && s[p] == '.' && is_digit(s[p + 1])) {
        dbl = true;
        p++;
        while (p < lx->len && is_digit(s[p]))
            p++;
    }
    if (p < lx->len && (s[p] == 'e' || s[p] == 'E')) {
        size_t q = p + 1;
        if (q < lx->len && (s[q] == '+' || s[q] == '-'))
            q++;
        if (q < lx->len && is_digit(s[q])) {
            dbl = true;
            while (q < lx->len && is_digit(s[q]))
                q++;
            p = q;
        }
    }
    if (dbl)
        return lex_double(lx, t, p, diag);
    uint64_t v = 0;
    for (size_t i = lx->pos; i < p; i++) {
        if (__builtin_mul_overflow(v, 10u, &v) ||
            __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
            t->overflow = true;
    }
    t->kind = TK_INT;
    t->u = v;
    if (p < lx->len && (s[p] == 'u' || s[p] == 'U')) {
        t->kind = TK_UINT;
        p++;
    }
    lx->pos = p;
    return PS_OK;
}

/* ---- strings and bytes -------------------------------------------------------------------- */

struct strlit {
    char quote;
    bool triple, raw, bytes;
    char *out;
    size_t n;
};

static void put_cp(struct strlit *sl, uint32_t cp)
{
    sl->n += cel_utf8_encode(cp, sl->out + sl->n);
}

static int hexval(struct cel_lexer *lx, size_t p, unsigned count, uint32_t *out)
{
    uint32_t v = 0;
    if (p + count > lx->len)
        return -1;
    for (unsigned i = 0; i < count; i++) {
        int h = ps_hex_digit(lx->src[p + i]);
        if (h < 0)
            return -1;
        v = (v << 4) | (uint32_t)h;
    }
    *out = v;
    return 0;
}

static char simple_escape(char c)
{
    switch (c) {
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    case '\\': return '\\';
    case '?': return '?';
    case '"': return '"';
    case '\'': return '\'';
    case '`': return '`';
    default: return 0;
    }
}

/* Decodes the escape at lx->pos (a backslash); advances past it. */
static enum ps_err escape(struct cel_lexer *lx, struct strlit *sl, struct ps_cel_diag *diag)
{
    size_t at = lx->pos;
    if (at + 1 >= lx->len)
        return lex_err(lx, diag, at, "unterminated string literal");
    char c = lx->src[at + 1];
    char simple = simple_escape(c);
    uint32_t v;
    if (simple) {
        sl->out[sl->n++] = simple;
        lx->pos = at + 2;
        return PS_OK;
    }
    if (c == 'x' || c == 'X' || c == 'u' || c == 'U') {
        unsigned count = (c == 'u') ? 4 : (c == 'U') ? 8 : 2;
        if (hexval(lx, at + 2, count, &v) < 0)
            return lex_err(lx, diag, at, "invalid escape sequence: expected hexadecimal digits");
        lx->pos = at + 2 + count;
    } else if (c >= '0' && c <= '3') {
        if (at + 3 >= lx->len || lx->src[at + 2] < '0' || lx->src[at + 2] > '7' ||
            lx->src[at + 3] < '0' || lx->src[at + 3] > '7')
            return lex_err(lx, diag, at, "invalid octal escape sequence");
        v = (uint32_t)((c - '0') * 64 + (lx->src[at + 2] - '0') * 8 + (lx->src[at + 3] - '0'));
        lx->pos = at + 4;
    } else {
        return lex_err(lx, diag, at, "invalid escape sequence");
    }
    if (sl->bytes && c != 'u' && c != 'U') {
        sl->out[sl->n++] = (char)v;
        return PS_OK;
    }
    if ((v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF)
        return lex_err(lx, diag, at, "invalid Unicode code point in escape sequence");
    put_cp(sl, v);
    return PS_OK;
}

static bool at_close(struct cel_lexer *lx, const struct strlit *sl)
{
    const char *s = lx->src + lx->pos;
    if (s[0] != sl->quote)
        return false;
    if (!sl->triple)
        return true;
    return lx->pos + 2 < lx->len && s[1] == sl->quote && s[2] == sl->quote;
}

static enum ps_err lex_string(struct cel_lexer *lx, struct cel_token *t, bool raw, bool bytes,
                              struct ps_cel_diag *diag)
{
    size_t start = t->start;
    struct strlit sl = {.quote = lx->src[lx->pos], .raw = raw, .bytes = bytes};
    if (lx->pos + 2 < lx->len && lx->src[lx->pos + 1] == sl.quote &&
        lx->src[lx->pos + 2] == sl.quote)
        sl.triple = true;
    lx->pos += sl.triple ? 3 : 1;
    sl.out = ps_arena_alloc(lx->arena, lx->len - lx->pos + 1);
    if (!sl.out)
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory reading a string literal");
    for (;;) {
        if (lx->pos >= lx->len)
            return lex_err(lx, diag, start, "unterminated string literal");
        char c = lx->src[lx->pos];
        if (at_close(lx, &sl))
            break;
        if (!sl.triple && (c == '\n' || c == '\r'))
            return lex_err(lx, diag, start, "unterminated string literal (newline in a "
                                            "single-quoted string)");
        if (c == '\\' && !raw) {
            enum ps_err e = escape(lx, &sl, diag);
            if (e != PS_OK)
                return e;
            continue;
        }
        sl.out[sl.n++] = c;
        lx->pos++;
    }
    lx->pos += sl.triple ? 3 : 1;
    if (!bytes && !cel_utf8_valid(sl.out, sl.n))
        return lex_err(lx, diag, start, "string literal is not valid UTF-8");
    t->kind = bytes ? TK_BYTES : TK_STRING;
    t->s = (struct ps_str){sl.out, sl.n};
    return PS_OK;
}

/* ---- identifiers and operators ------------------------------------------------------------ */

static enum ps_err lex_word(struct cel_lexer *lx, struct cel_token *t, struct ps_cel_diag *diag)
{
    size_t p = lx->pos;
    while (p < lx->len && (is_ident_start(lx->src[p]) || is_digit(lx->src[p])))
        p++;
    struct ps_str w = {lx->src + lx->pos, p - lx->pos};
    /* string prefixes: r, R, b, B, and br/rb in any case */
    if (p < lx->len && (lx->src[p] == '"' || lx->src[p] == '\'') && w.len <= 2) {
        bool raw = false, bytes = false, ok = true;
        for (size_t i = 0; i < w.len; i++) {
            char c = w.p[i];
            if ((c == 'r' || c == 'R') && !raw)
                raw = true;
            else if ((c == 'b' || c == 'B') && !bytes)
                bytes = true;
            else
                ok = false;
        }
        if (ok) {
            lx->pos = p;
            return lex_string(lx, t, raw, bytes, diag);
        }
    }
    lx->pos = p;
    t->s = w;
    t->kind = TK_IDENT;
    if (ps_str_eq_cstr(w, "true"))
        t->kind = TK_TRUE;
    else if (ps_str_eq_cstr(w, "false"))
        t->kind = TK_FALSE;
    else if (ps_str_eq_cstr(w, "null"))
        t->kind = TK_NULL;
    else if (ps_str_eq_cstr(w, "in"))
        t->kind = TK_IN;
    return PS_OK;
}

static enum ps_err lex_quoted_ident(struct cel_lexer *lx, struct cel_token *t,
                                    struct ps_cel_diag *diag)
{
    size_t p = lx->pos + 1;
    while (p < lx->len && lx->src[p] != '`') {
        char c = lx->src[p];
        if (!(is_ident_start(c) || is_digit(c) || c == '.' || c == '-' || c == '/' || c == ' '))
            return lex_err(lx, diag, p, "invalid character in a quoted field name");
        p++;
    }
    if (p >= lx->len || p == lx->pos + 1)
        return lex_err(lx, diag, lx->pos, "unterminated or empty quoted field name");
    t->kind = TK_QIDENT;
    t->s = (struct ps_str){lx->src + lx->pos + 1, p - lx->pos - 1};
    lx->pos = p + 1;
    return PS_OK;
}

static int two_char(char a, char b)
{
    static const struct {
        char a, b;
        uint8_t kind;
    } ops[] = {{'=', '=', TK_EQ}, {'!', '=', TK_NE}, {'<', '=', TK_LE}, {'>', '=', TK_GE},
               {'&', '&', TK_AND}, {'|', '|', TK_OR}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].a == a && ops[i].b == b)
            return ops[i].kind;
    return -1;
}

static int one_char(char c)
{
    static const char chars[] = "()[]{}.,:?+-*/%!<>";
    static const uint8_t kinds[] = {TK_LPAREN, TK_RPAREN, TK_LBRACKET, TK_RBRACKET, TK_LBRACE,
                                    TK_RBRACE, TK_DOT,    TK_COMMA,    TK_COLON,    TK_QUESTION,
                                    TK_PLUS,   TK_MINUS,  TK_STAR,     TK_SLASH,    TK_PERCENT,
                                    TK_BANG,   TK_LT,     TK_GT};
    const char *hit = c ? strchr(chars, c) : NULL;
    return hit ? kinds[hit - chars] : -1;
}

enum ps_err cel_lex_next(struct cel_lexer *lx, struct cel_token *t, struct ps_cel_diag *diag)
{
    skip_space(lx);
    memset(t, 0, sizeof *t);
    t->start = (uint32_t)lx->pos;
    enum ps_err e = PS_OK;
    if (lx->pos >= lx->len) {
        t->kind = TK_EOF;
    } else {
        char c = lx->src[lx->pos];
        char n = lx->pos + 1 < lx->len ? lx->src[lx->pos + 1] : 0;
        int k;
        if (is_digit(c) || (c == '.' && is_digit(n))) {
            e = lex_number(lx, t, diag);
        } else if (is_ident_start(c)) {
            e = lex_word(lx, t, diag);
        } else if (c == '"' || c == '\'') {
            e = lex_string(lx, t, false, false, diag);
        } else if (c == '`') {
            e = lex_quoted_ident(lx, t, diag);
        } else if ((k = two_char(c, n)) >= 0) {
            t->kind = (uint8_t)k;
            lx->pos += 2;
        } else if ((k = one_char(c)) >= 0) {
            t->kind = (uint8_t)k;
            lx->pos++;
        } else {
            e = lex_err(lx, diag, lx->pos, "unexpected character");
        }
    }
    t->end = (uint32_t)lx->pos;
    return e;
}

const char *cel_tok_name(uint8_t kind)
{
    static const char *const names[] = {
        "end of expression", "integer literal", "uint literal", "double literal",
        "string literal", "bytes literal", "identifier", "quoted field name", "'true'",
        "'false'", "'null'", "'in'", "'('", "')'", "'['", "']'", "'{'", "'}'", "'.'", "','",
        "':'", "'?'", "'+'", "'-'", "'*'", "'/'", "'%'", "'!'", "'=='", "'!='", "'<'", "'<='",
        "'>'", "'>='", "'&&'", "'||'"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "token";
}
