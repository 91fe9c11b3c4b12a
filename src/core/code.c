/* Human-typed codes (code.h). */
#include "core/code.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"

void ps_code_make(size_t n, size_t group, char *out, size_t cap)
{
    PS_ASSERT(n > 0 && n <= PS_CODE_MAX_SYMBOLS);
    PS_ASSERT(cap > n + (group ? (n - 1) / group : 0));
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (group && i > 0 && i % group == 0)
            out[o++] = '-';
        out[o++] = PS_CODE_ALPHABET[ps_random_uniform(32)];
    }
    out[o] = '\0';
}

bool ps_code_canonical(struct ps_str in, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < in.len; i++) {
        char c = in.p[i];
        if (c == '-' || c == ' ')
            continue;
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c == 'O')
            c = '0';
        else if (c == 'I' || c == 'L')
            c = '1';
        if (c == '\0' || !strchr(PS_CODE_ALPHABET, c) || k == n)
            return false;
        out[k++] = c;
    }
    return k == n;
}
