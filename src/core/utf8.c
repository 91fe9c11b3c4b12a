/* Strict UTF-8 decoding, table-free: the lead byte gives the length and the smallest code
 * point that length may encode (anything below is an overlong form). */
#include "core/utf8.h"

bool ps_utf8_next(struct ps_str s, size_t *i, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s.p + *i;
    size_t left = s.len - *i;
    unsigned char c = p[0];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        *i += 1;
        return true;
    }
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2, v = c & 0x1Fu, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3, v = c & 0x0Fu, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4, v = c & 0x07u, min = 0x10000;
    } else {
        *i += 1; /* a continuation byte, C0/C1 (always overlong) or F5..FF */
        return false;
    }
    if (left < n) {
        *i += 1;
        return false;
    }
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80) {
            *i += 1;
            return false;
        }
        v = (v << 6) | (p[k] & 0x3Fu);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
        *i += 1;
        return false;
    }
    *cp = v;
    *i += n;
    return true;
}

bool ps_utf8_valid(struct ps_str s)
{
    size_t i = 0;
    uint32_t cp;
    while (i < s.len) {
        if ((unsigned char)s.p[i] < 0x80) { /* the common case, byte by byte */
            i++;
            continue;
        }
        if (!ps_utf8_next(s, &i, &cp))
            return false;
    }
    return true;
}

size_t ps_utf8_count(struct ps_str s)
{
    size_t i = 0, n = 0;
    uint32_t cp;
    while (i < s.len) {
        (void)ps_utf8_next(s, &i, &cp);
        n++;
    }
    return n;
}
