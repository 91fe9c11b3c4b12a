/* matches() through PCRE2 with RE2's syntax: a pattern is first checked for what RE2 refuses
 * (backreferences, lookaround, atomic and possessive forms, recursion, conditionals, callouts,
 * verbs, \C \G \K \Z ...) with the offending place reported, then rewritten where the two
 * dialects read the same text differently (\v), and compiled with UTF, DOLLAR_ENDONLY and
 * NEVER_BACKSLASH_C. Constant patterns are compiled (and JIT-compiled) once at check time;
 * matching runs under match, depth and heap limits with PCRE2's memory taken from the
 * evaluation arena. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>

#include "cel/cel_int.h"

#define RE2_MAX_REPEAT 1000
#define HEAP_LIMIT_KIB 8192

/* ---- RE2 syntax ------------------------------------------------------------------------------ */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* An escape at p[i] == '\\'; returns the index after it, or SIZE_MAX with *why. */
static size_t check_escape(const char *p, size_t len, size_t i, const char **why)
{
    if (i + 1 >= len) {
        *why = "trailing backslash";
        return SIZE_MAX;
    }
    char c = p[i + 1];
    if (c >= '1' && c <= '9') {
        *why = "backreferences are not supported (RE2 syntax)";
        return SIZE_MAX;
    }
    const char *refused = strchr("CGKZXRhHgkcNoeE", c);
    if (c && refused) {
        *why = c == 'C' ? "\\C is not supported" : c == 'g' || c == 'k'
                   ? "backreferences are not supported (RE2 syntax)"
                   : "escape sequence not supported in RE2 syntax";
        return SIZE_MAX;
    }
    if (c == 'Q') { /* literal text up to \E */
        for (size_t j = i + 2; j + 1 < len; j++)
            if (p[j] == '\\' && p[j + 1] == 'E')
                return j + 2;
        return len;
    }
    return i + 2;
}

static const char *group_form(const char *p, size_t len, size_t i)
{
    /* p[i] == '(' and p[i + 1] == '?' */
    char c = i + 2 < len ? p[i + 2] : 0;
    if (c == '=' || c == '!')
        return "lookahead is not supported (RE2 syntax)";
    if (c == '<' && i + 3 < len && (p[i + 3] == '=' || p[i + 3] == '!'))
        return "lookbehind is not supported (RE2 syntax)";
    if (c == '>')
        return "atomic groups are not supported (RE2 syntax)";
    if (c == 'P' && i + 3 < len && (p[i + 3] == '=' || p[i + 3] == '>'))
        return "backreferences and recursion are not supported (RE2 syntax)";
    if (c == 'P' || c == '<' || c == ':')
        return NULL; /* named or non-capturing group */
    if (c == '|' || c == '#' || c == 'R' || c == '&' || c == '(' || c == 'C' || is_digit(c) ||
        c == '+')
        return "this group construct is not supported (RE2 syntax)";
    for (size_t j = i + 2; j < len && p[j] != ')' && p[j] != ':'; j++)
        if (!strchr("imsU-", p[j]))
            return "unknown or unsupported flag in (?...) (RE2 syntax: i m s U)";
    return NULL;
}

/* {n}, {n,}, {n,m} at p[i] == '{': SIZE_MAX on a count over RE2's limit; the index after it
 * (i + 1 when this brace is a literal). */
static size_t check_repeat(const char *p, size_t len, size_t i, const char **why)
{
    size_t j = i + 1;
    unsigned long n = 0;
    bool any = false;
    for (; j < len && (is_digit(p[j]) || p[j] == ','); j++) {
        if (p[j] == ',') {
            n = 0;
            continue;
        }
        any = true;
        n = n * 10 + (unsigned long)(p[j] - '0');
        if (n > RE2_MAX_REPEAT) {
            *why = "repeat count exceeds 1000 (RE2 limit)";
            return SIZE_MAX;
        }
    }
    return any && j < len && p[j] == '}' ? j + 1 : i + 1;
}

enum ps_err cel_re2_syntax(const char *p, size_t len, size_t *at, const char **why)
{
    bool in_class = false;
    for (size_t i = 0; i < len;) {
        char c = p[i];
        size_t next = i + 1;
        *at = i;
        if (c == '\\') {
            next = check_escape(p, len, i, why);
        } else if (in_class) {
            if (c == ']')
                in_class = false;
            else if (c == '[' && i + 1 < len && p[i + 1] == ':')
                for (size_t j = i + 2; j + 1 < len; j++)
                    if (p[j] == ':' && p[j + 1] == ']') {
                        next = j + 2;
                        break;
                    }
        } else if (c == '[') {
            in_class = true;
            next = i + 1 < len && p[i + 1] == '^' ? i + 2 : i + 1;
            if (next < len && p[next] == ']')
                next++;
        } else if (c == '(' && i + 1 < len && p[i + 1] == '*') {
            *why = "(*...) verbs are not supported (RE2 syntax)";
            next = SIZE_MAX;
        } else if (c == '(' && i + 1 < len && p[i + 1] == '?') {
            *why = group_form(p, len, i);
            next = *why ? SIZE_MAX : i + 2;
        } else if ((c == '*' || c == '+' || c == '?') && i + 1 < len && p[i + 1] == '+') {
            *at = i + 1;
            *why = "possessive quantifiers are not supported (RE2 syntax)";
            next = SIZE_MAX;
        } else if (c == '{') {
            next = check_repeat(p, len, i, why);
            if (next != SIZE_MAX && next > i + 1 && next < len && p[next] == '+') {
                *at = next;
                *why = "possessive quantifiers are not supported (RE2 syntax)";
                next = SIZE_MAX;
            }
        }
        if (next == SIZE_MAX)
            return PS_ERR_INVALID;
        i = next;
    }
    if (in_class) {
        *why = "missing closing ]";
        return PS_ERR_INVALID;
    }
    return PS_OK;
}

/* The PCRE2 spelling of an RE2 pattern: \v (a vertical tab in RE2, a class in PCRE2). */
static char *translate(struct ps_arena *a, const char *p, size_t len, size_t *out_len)
{
    size_t cap;
    if (!ps_size_mul(len, 2, &cap))
        return NULL;
    char *out = ps_arena_alloc(a, cap + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '\\' && i + 1 < len) {
            if (p[i + 1] == 'v') {
                memcpy(out + n, "\\x0b", 4);
                n += 4;
            } else {
                out[n++] = p[i];
                out[n++] = p[i + 1];
            }
            i++;
            continue;
        }
        out[n++] = p[i];
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

#define COMPILE_OPTS (PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_NEVER_BACKSLASH_C)

/* A constant pattern, compiled at check time. */
struct cel_regex {
    pcre2_code *code;
    bool jit;
};

static void code_free(void *code)
{
    pcre2_code_free(code);
}

enum ps_err cel_regex_compile_const(const struct ps_cel_program *prog, struct ps_str pattern,
                                    void **out, struct ps_cel_diag *diag, uint32_t offset)
{
    size_t at;
    const char *why;
    if (cel_re2_syntax(pattern.p, pattern.len, &at, &why) != PS_OK)
        return cel_diag_at(diag, PS_ERR_INVALID, prog->source, prog->source_len, offset,
                           "invalid regular expression at offset %zu of the pattern: %s", at,
                           why);
    size_t n;
    struct ps_arena *program = prog->arena;
    char *pat = translate(program, pattern.p, pattern.len, &n);
    if (!pat)
        return cel_diag_set(diag, PS_ERR_LIMIT, "pattern too large for the memory budget");
    int code;
    PCRE2_SIZE eoff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, n, COMPILE_OPTS, &code, &eoff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(code, msg, sizeof msg);
        return cel_diag_at(diag, PS_ERR_INVALID, prog->source, prog->source_len, offset,
                           "invalid regular expression at offset %zu of the pattern: %s",
                           (size_t)eoff, (const char *)msg);
    }
    if (ps_arena_defer(program, code_free, re) != PS_OK) {
        pcre2_code_free(re);
        return cel_diag_set(diag, PS_ERR_LIMIT, "out of memory");
    }
    struct cel_regex *r = ps_arena_alloc(program, sizeof *r);
    if (!r)
        return cel_diag_set(diag, PS_ERR_LIMIT, "out of memory");
    r->code = re;
    /* the interpreter serves when JIT compilation is unavailable */
    r->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    *out = r;
    return PS_OK;
}

/* ---- matching ---------------------------------------------------------------------------------- */

struct re_ctx {
    pcre2_general_context *gctx;
    pcre2_match_context *mctx;
    pcre2_match_data *md;
};

static void *arena_malloc(size_t size, void *data)
{
    return ps_arena_alloc(data, size);
}

static void arena_free(void *p, void *data)
{
    (void)p;
    (void)data; /* released with the arena */
}

static struct re_ctx *contexts(struct cel_eval *ev)
{
    if (ev->re_gctx)
        return ev->re_gctx;
    struct re_ctx *r = cel_alloc(ev, sizeof *r);
    if (!r)
        return NULL;
    r->gctx = pcre2_general_context_create(arena_malloc, arena_free, ev->arena);
    r->mctx = r->gctx ? pcre2_match_context_create(r->gctx) : NULL;
    r->md = r->mctx ? pcre2_match_data_create(1, r->gctx) : NULL;
    if (!r->md) {
        cel_stop(ev, PS_ERR_LIMIT, UINT32_MAX, "memory budget exhausted");
        return NULL;
    }
    pcre2_set_match_limit(r->mctx, ev->re_match_limit);
    pcre2_set_depth_limit(r->mctx, ev->re_depth_limit);
    pcre2_set_heap_limit(r->mctx, HEAP_LIMIT_KIB);
    ev->re_gctx = r;
    return r;
}

static pcre2_code *compile_runtime(const struct ps_cel_call *c, struct re_ctx *r,
                                   struct ps_str pattern, struct ps_cel_value *err)
{
    size_t at, n;
    const char *why;
    if (cel_re2_syntax(pattern.p, pattern.len, &at, &why) != PS_OK) {
        *err = cel_call_err(c, "invalid regular expression at offset %zu of the pattern: %s",
                            at, why);
        return NULL;
    }
    char *pat = translate(c->ev->arena, pattern.p, pattern.len, &n);
    pcre2_compile_context *cc = pat ? pcre2_compile_context_create(r->gctx) : NULL;
    if (!cc) {
        *err = cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
        return NULL;
    }
    int code;
    PCRE2_SIZE eoff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, n, COMPILE_OPTS, &code, &eoff, cc);
    if (!re) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(code, msg, sizeof msg);
        *err = cel_call_err(c, "invalid regular expression at offset %zu of the pattern: %s",
                            (size_t)eoff, (const char *)msg);
    }
    return re;
}

struct ps_cel_value cel_regex_match(const struct ps_cel_call *c, const void *code,
                                    struct ps_str pattern, struct ps_str subject)
{
    struct re_ctx *r = contexts(c->ev);
    if (!r)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    struct ps_cel_value err;
    const struct cel_regex *cr = code;
    const pcre2_code *re = cr ? cr->code : compile_runtime(c, r, pattern, &err);
    if (!re)
        return err;
    if (!cel_cost(c->ev, 1 + subject.len / 64))
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "cost limit exceeded");
    PCRE2_SPTR s = (PCRE2_SPTR)(subject.p ? subject.p : "");
    /* the JIT fast path skips pcre2_match's checks: the subject is valid UTF-8 already */
    int rc = cr && cr->jit ? pcre2_jit_match(re, s, subject.len, 0, 0, r->md, r->mctx)
                           : pcre2_match(re, s, subject.len, 0, PCRE2_NO_UTF_CHECK, r->md,
                                         r->mctx);
    if (rc >= 0)
        return ps_cel_bool(true);
    if (rc == PCRE2_ERROR_NOMATCH)
        return ps_cel_bool(false);
    if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
        rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset,
                        "regular expression match limit exceeded");
    if (rc == PCRE2_ERROR_NOMEMORY)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    return cel_call_err(c, "regular expression match failed (%d)", rc);
}
