/* The strings extension (cel-go's ext.Strings, the functions the spec's string_ext tests
 * name): charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split, substring,
 * trim, join, reverse, strings.quote; indexes count code points. format is in std_format.c. */
#include "cel/cel_int.h"

#define FN(name) static struct ps_cel_value name(const struct ps_cel_call *c, \
                                                  const struct ps_cel_value *a)
#define P PS_CEL_FN_PURE
#define R (PS_CEL_FN_RECEIVER | PS_CEL_FN_PURE)

static struct ps_cel_value str(const char *p, size_t n)
{
    return ps_cel_string((struct ps_str){p, n});
}

/* Byte offset of code point index cp in s (cp <= count). */
static size_t cp_offset(struct ps_cel_value s, int64_t cp)
{
    size_t i = 0;
    while (i < s.n && cp > 0) {
        i++;
        while (i < s.n && ((unsigned char)s.v.s[i] & 0xC0) == 0x80)
            i++;
        cp--;
    }
    return i;
}

static int64_t count(struct ps_cel_value s)
{
    return (int64_t)cel_utf8_count(s.v.s, s.n);
}

static struct ps_cel_value range_err(const struct ps_cel_call *c, int64_t i)
{
    return cel_call_err(c, "index out of range: %lld", (long long)i);
}

FN(char_at)
{
    int64_t n = count(a[0]), i = a[1].v.i;
    if (i < 0 || i > n)
        return range_err(c, i);
    size_t at = cp_offset(a[0], i);
    if (at == a[0].n)
        return str("", 0);
    uint32_t cp;
    unsigned len = cel_utf8_decode((const unsigned char *)a[0].v.s + at, a[0].n - at, &cp);
    return str(a[0].v.s + at, len);
}

static int64_t index_of(const struct ps_cel_call *c, const struct ps_cel_value *a, int64_t from,
                        struct ps_cel_value *err)
{
    int64_t n = count(a[0]);
    if (from < 0 || from > n) {
        *err = range_err(c, from);
        return -2;
    }
    size_t start = cp_offset(a[0], from);
    if (a[1].n == 0)
        return from;
    const char *hit = a[1].n <= a[0].n - start
                          ? memmem(a[0].v.s + start, a[0].n - start, a[1].v.s, a[1].n)
                          : NULL;
    if (!hit)
        return -1;
    return (int64_t)cel_utf8_count(a[0].v.s, (size_t)(hit - a[0].v.s));
}

FN(index_of1)
{
    struct ps_cel_value err;
    int64_t r = index_of(c, a, 0, &err);
    return r == -2 ? err : ps_cel_int(r);
}

FN(index_of2)
{
    struct ps_cel_value err;
    int64_t r = index_of(c, a, a[2].v.i, &err);
    return r == -2 ? err : ps_cel_int(r);
}

static struct ps_cel_value last_index_of(const struct ps_cel_call *c,
                                         const struct ps_cel_value *a, int64_t from)
{
    int64_t n = count(a[0]);
    if (from < 0 || from > n)
        return range_err(c, from);
    if (a[1].n == 0)
        return ps_cel_int(from);
    size_t start = cp_offset(a[0], from);
    if (a[1].n > a[0].n)
        return ps_cel_int(-1);
    size_t last = a[0].n - a[1].n;
    for (size_t i = start < last ? start : last;; i--) {
        if (memcmp(a[0].v.s + i, a[1].v.s, a[1].n) == 0)
            return ps_cel_int((int64_t)cel_utf8_count(a[0].v.s, i));
        if (i == 0)
            break;
    }
    return ps_cel_int(-1);
}

FN(last_index_of1)
{
    return last_index_of(c, a, count(a[0]));
}

FN(last_index_of2)
{
    return last_index_of(c, a, a[2].v.i);
}

static struct ps_cel_value ascii_case(const struct ps_cel_call *c, struct ps_cel_value s,
                                      bool upper)
{
    char *p = cel_alloc(c->ev, s.n ? s.n : 1);
    if (!p)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    for (uint32_t i = 0; i < s.n; i++) {
        char ch = s.v.s[i];
        if (upper && ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 'a' + 'A');
        else if (!upper && ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        p[i] = ch;
    }
    return str(p, s.n);
}

FN(lower_ascii)
{
    return ascii_case(c, a[0], false);
}

FN(upper_ascii)
{
    return ascii_case(c, a[0], true);
}

static struct ps_cel_value replace(const struct ps_cel_call *c, const struct ps_cel_value *a,
                                   int64_t limit)
{
    struct cel_sb sb = {.ev = c->ev};
    struct ps_cel_value s = a[0], from = a[1], to = a[2];
    size_t i = 0;
    int64_t done = 0;
    while (i <= s.n && (limit < 0 || done < limit)) {
        const char *hit;
        if (from.n == 0) { /* insert before every code point and at the end */
            hit = s.v.s + i;
        } else {
            hit = from.n <= s.n - i ? memmem(s.v.s + i, s.n - i, from.v.s, from.n) : NULL;
            if (!hit)
                break;
        }
        size_t at = (size_t)(hit - s.v.s);
        cel_sb_put(&sb, s.v.s + i, at - i);
        cel_sb_put(&sb, to.v.s, to.n);
        done++;
        if (from.n == 0) {
            if (at == s.n) {
                i = s.n + 1;
                break;
            }
            uint32_t cp;
            unsigned len = cel_utf8_decode((const unsigned char *)s.v.s + at, s.n - at, &cp);
            cel_sb_put(&sb, s.v.s + at, len);
            i = at + len;
        } else {
            i = at + from.n;
        }
    }
    if (i < s.n)
        cel_sb_put(&sb, s.v.s + i, s.n - i);
    return cel_sb_value(&sb, PS_CEL_STRING);
}

FN(replace2)
{
    return replace(c, a, -1);
}

FN(replace3)
{
    return replace(c, a, a[3].v.i);
}

static struct ps_cel_value split(const struct ps_cel_call *c, const struct ps_cel_value *a,
                                 int64_t limit)
{
    struct ps_cel_value s = a[0], sep = a[1];
    if (limit == 0)
        return ps_cel_list(NULL, 0);
    size_t cap = (sep.n ? s.n / sep.n : s.n) + 1;
    if (limit > 0 && (uint64_t)limit < cap)
        cap = (size_t)limit;
    struct ps_cel_value *items = cel_alloc_array(c->ev, cap, sizeof *items);
    if (!items)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    size_t n = 0, i = 0;
    while (n + 1 < cap) {
        if (sep.n == 0) {
            if (i >= s.n)
                break;
            uint32_t cp;
            unsigned len = cel_utf8_decode((const unsigned char *)s.v.s + i, s.n - i, &cp);
            items[n++] = str(s.v.s + i, len);
            i += len;
            continue;
        }
        const char *hit = sep.n <= s.n - i ? memmem(s.v.s + i, s.n - i, sep.v.s, sep.n) : NULL;
        if (!hit)
            break;
        items[n++] = str(s.v.s + i, (size_t)(hit - (s.v.s + i)));
        i = (size_t)(hit - s.v.s) + sep.n;
    }
    if (sep.n != 0 || i < s.n)
        items[n++] = str(s.v.s + i, s.n - i);
    return ps_cel_list(items, (uint32_t)n);
}

FN(split1)
{
    return split(c, a, -1);
}

FN(split2)
{
    return split(c, a, a[2].v.i);
}

static struct ps_cel_value substring(const struct ps_cel_call *c, struct ps_cel_value s,
                                     int64_t from, int64_t to)
{
    int64_t n = count(s);
    if (from < 0 || from > n)
        return range_err(c, from);
    if (to < 0 || to > n)
        return range_err(c, to);
    if (to < from)
        return cel_call_err(c, "invalid substring range. start: %lld, end: %lld",
                            (long long)from, (long long)to);
    size_t b = cp_offset(s, from), e = cp_offset(s, to);
    return str(s.v.s + b, e - b);
}

FN(substring1)
{
    return substring(c, a[0], a[1].v.i, count(a[0]));
}

FN(substring2)
{
    return substring(c, a[0], a[1].v.i, a[2].v.i);
}

static bool is_space(uint32_t cp)
{
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x20 || cp == 0x85 || cp == 0xA0 ||
           cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

FN(trim)
{
    (void)c;
    const unsigned char *p = (const unsigned char *)a[0].v.s;
    size_t b = 0, e = a[0].n;
    while (b < e) {
        uint32_t cp;
        unsigned len = cel_utf8_decode(p + b, e - b, &cp);
        if (!is_space(cp))
            break;
        b += len;
    }
    while (e > b) {
        size_t start = e - 1;
        while (start > b && (p[start] & 0xC0) == 0x80)
            start--;
        uint32_t cp;
        cel_utf8_decode(p + start, e - start, &cp);
        if (!is_space(cp))
            break;
        e = start;
    }
    return str(a[0].v.s + b, e - b);
}

static struct ps_cel_value join(const struct ps_cel_call *c, struct ps_cel_value list,
                                struct ps_cel_value sep)
{
    struct cel_sb sb = {.ev = c->ev};
    for (uint32_t i = 0; i < list.n; i++) {
        if (list.v.items[i].kind != PS_CEL_STRING)
            return cel_call_err(c, "join: list element %u is not a string", i);
        if (i)
            cel_sb_put(&sb, sep.v.s, sep.n);
        cel_sb_put(&sb, list.v.items[i].v.s, list.v.items[i].n);
    }
    return cel_sb_value(&sb, PS_CEL_STRING);
}

FN(join0)
{
    return join(c, a[0], str("", 0));
}

FN(join1)
{
    return join(c, a[0], a[1]);
}

FN(reverse)
{
    char *p = cel_alloc(c->ev, a[0].n ? a[0].n : 1);
    if (!p)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    size_t out = a[0].n;
    for (size_t i = 0; i < a[0].n;) {
        uint32_t cp;
        unsigned len = cel_utf8_decode((const unsigned char *)a[0].v.s + i, a[0].n - i, &cp);
        out -= len;
        memcpy(p + out, a[0].v.s + i, len);
        i += len;
    }
    return str(p, a[0].n);
}

FN(quote)
{
    struct cel_sb sb = {.ev = c->ev};
    cel_sb_put(&sb, "\"", 1);
    for (uint32_t i = 0; i < a[0].n; i++) {
        char ch = a[0].v.s[i];
        const char *esc = ch == '\a' ? "\\a" : ch == '\b' ? "\\b" : ch == '\f' ? "\\f"
                          : ch == '\n' ? "\\n" : ch == '\r' ? "\\r" : ch == '\t' ? "\\t"
                          : ch == '\v' ? "\\v" : ch == '\\' ? "\\\\" : ch == '"' ? "\\\""
                                                                                : NULL;
        if (esc)
            cel_sb_cstr(&sb, esc);
        else
            cel_sb_put(&sb, &ch, 1);
    }
    cel_sb_put(&sb, "\"", 1);
    return cel_sb_value(&sb, PS_CEL_STRING);
}

FN(format)
{
    return cel_std_format(c, a);
}

static const struct cel_decl string_decls[] = {
    {"charAt", "string_char_at_int", "(string, int) -> string", R, char_at, NULL},
    {"indexOf", "string_index_of_string", "(string, string) -> int", R, index_of1, NULL},
    {"indexOf", "string_index_of_string_int", "(string, string, int) -> int", R, index_of2,
     NULL},
    {"lastIndexOf", "string_last_index_of_string", "(string, string) -> int", R,
     last_index_of1, NULL},
    {"lastIndexOf", "string_last_index_of_string_int", "(string, string, int) -> int", R,
     last_index_of2, NULL},
    {"lowerAscii", "string_lower_ascii", "(string) -> string", R, lower_ascii, NULL},
    {"upperAscii", "string_upper_ascii", "(string) -> string", R, upper_ascii, NULL},
    {"replace", "string_replace_string_string", "(string, string, string) -> string", R,
     replace2, NULL},
    {"replace", "string_replace_string_string_int", "(string, string, string, int) -> string",
     R, replace3, NULL},
    {"split", "string_split_string", "(string, string) -> list(string)", R, split1, NULL},
    {"split", "string_split_string_int", "(string, string, int) -> list(string)", R, split2,
     NULL},
    {"substring", "string_substring_int", "(string, int) -> string", R, substring1, NULL},
    {"substring", "string_substring_int_int", "(string, int, int) -> string", R, substring2,
     NULL},
    {"trim", "string_trim", "(string) -> string", R, trim, NULL},
    {"join", "list_join", "(list(string)) -> string", R, join0, NULL},
    {"join", "list_join_string", "(list(string), string) -> string", R, join1, NULL},
    {"reverse", "string_reverse", "(string) -> string", R, reverse, NULL},
    {"strings.quote", "strings_quote", "(string) -> string", P, quote, NULL},
    {"format", "string_format", "(string, list(dyn)) -> string", R, format, NULL},
};

enum ps_err cel_std_string(struct ps_cel_env *env, struct ps_cel_diag *diag)
{
    return cel_declare_table(env, string_decls, sizeof string_decls / sizeof string_decls[0],
                             diag);
}
