/* Sized string helpers. */
#include "core/str.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

struct ps_str ps_str_from_cstr(const char *s)
{
    if (!s)
        return (struct ps_str){"", 0};
    return (struct ps_str){s, strlen(s)};
}

bool ps_str_eq(struct ps_str a, struct ps_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool ps_str_eq_cstr(struct ps_str a, const char *b)
{
    return ps_str_eq(a, ps_str_from_cstr(b));
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool ps_str_eq_nocase(struct ps_str a, struct ps_str b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (lower(a.p[i]) != lower(b.p[i]))
            return false;
    return true;
}

bool ps_str_starts_with(struct ps_str s, struct ps_str prefix)
{
    return s.len >= prefix.len && (prefix.len == 0 || memcmp(s.p, prefix.p, prefix.len) == 0);
}

bool ps_str_is_digits(struct ps_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++)
        if (s.p[i] < '0' || s.p[i] > '9')
            return false;
    return true;
}

enum ps_err ps_str_to_u64(struct ps_str s, uint64_t *out)
{
    if (!ps_str_is_digits(s) || s.len > 20)
        return PS_ERR_INVALID;
    uint64_t v = 0;
    for (size_t i = 0; i < s.len; i++) {
        if (__builtin_mul_overflow(v, 10u, &v) ||
            __builtin_add_overflow(v, (uint64_t)(s.p[i] - '0'), &v))
            return PS_ERR_INVALID;
    }
    *out = v;
    return PS_OK;
}

bool ps_str_eq_secret(struct ps_str a, struct ps_str b)
{
    if (a.len != b.len)
        return false;
    if (a.len == 0)
        return true;
    return sodium_memcmp(a.p, b.p, a.len) == 0;
}

enum ps_err ps_str_copy(char *dst, size_t cap, struct ps_str s)
{
    if (cap == 0 || s.len >= cap)
        return PS_ERR_LIMIT;
    if (s.len)
        memcpy(dst, s.p, s.len);
    dst[s.len] = '\0';
    return PS_OK;
}

int ps_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void ps_str_vcut(char *buf, size_t cap, const char *fmt, va_list ap)
{
    if (vsnprintf(buf, cap, fmt, ap) < 0)
        buf[0] = '\0';
}
