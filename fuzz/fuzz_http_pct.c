/* Fuzz target: percent-decoding of query strings (ps_http_pct_decode, src/http/request.c).
 * The first input byte picks the flags ('+' as a space, '/' refused when decoded), the rest is
 * the string. The result must equal an independent decoder's: NULL exactly for a '%' without
 * two hex digits after it, a decoded NUL or (when refused) a decoded '/'; otherwise every
 * "%XX" decoded, '+' per the flag, every other byte as it is. */
#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "http/http_int.h"
#include "fuzz.h"

static int hex(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c |= 0x20;
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* The reference: false for input the decoder must refuse. */
static bool reference(const uint8_t *s, size_t n, bool plus, bool slash, uint8_t *out,
                      size_t *len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
            if (hi < 0 || lo < 0)
                return false;
            c = (uint8_t)(hi << 4 | lo);
            i += 2;
            if (c == 0 || (slash && c == '/'))
                return false;
        } else if (c == '+' && plus) {
            c = ' ';
        }
        out[o++] = c;
    }
    *len = o;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 8192)
        return 0;
    bool plus = data[0] & 1, slash = data[0] & 2;
    const uint8_t *s = data + 1;
    size_t n = size - 1;
    static uint8_t want[8192];
    size_t want_len = 0;
    bool ok = reference(s, n, plus, slash, want, &want_len);
    struct ps_arena *a = ps_arena_new(1 << 16);
    FUZZ_CHECK(a != NULL);
    struct ps_str got = ps_http_pct_decode(a, (struct ps_str){(const char *)s, n}, plus, slash);
    FUZZ_CHECK((got.p != NULL) == ok);
    if (ok) {
        FUZZ_CHECK(got.len == want_len && memcmp(got.p, want, want_len) == 0);
        FUZZ_CHECK(got.len <= n);
    }
    ps_arena_free(a);
    return 0;
}
