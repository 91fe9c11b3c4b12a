/* Base45 (RFC 9285), strict: only the 45 characters of the alphabet, no whitespace, a length
 * that is not 1 mod 3, and every group within range (a triple <= 65535, a pair <= 255). */
#include "psv_int.h"

static const char ALPHABET[45] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

/* Character value or -1. */
static int value_of(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    switch (c) {
    case ' ': return 36;
    case '$': return 37;
    case '%': return 38;
    case '*': return 39;
    case '+': return 40;
    case '-': return 41;
    case '.': return 42;
    case '/': return 43;
    case ':': return 44;
    default: return -1;
    }
}

size_t psv_base45_decoded_len(size_t n)
{
    return n / 3 * 2 + (n % 3 == 2 ? 1 : 0);
}

enum psv_error psv_base45_decode(const char *in, size_t n, uint8_t *out, size_t cap,
                                 size_t *out_len)
{
    if (!in || !out || !out_len)
        return PSV_E_USAGE;
    if (n % 3 == 1 || psv_base45_decoded_len(n) > cap)
        return PSV_E_BASE45;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        size_t k = n - i >= 3 ? 3 : 2;
        uint32_t v = 0, mul = 1;
        for (size_t j = 0; j < k; j++) {
            int c = value_of((unsigned char)in[i + j]);
            if (c < 0)
                return PSV_E_BASE45;
            v += (uint32_t)c * mul;
            mul *= 45;
        }
        if (k == 3) {
            if (v > 65535)
                return PSV_E_BASE45;
            out[o++] = (uint8_t)(v >> 8);
            out[o++] = (uint8_t)v;
        } else {
            if (v > 255)
                return PSV_E_BASE45;
            out[o++] = (uint8_t)v;
        }
    }
    *out_len = o;
    return PSV_OK;
}

size_t psv_base45_encoded_len(size_t n)
{
    return n / 2 * 3 + (n % 2 ? 2 : 0);
}

enum psv_error psv_base45_encode(const uint8_t *in, size_t n, char *out, size_t cap,
                                 size_t *out_len)
{
    if ((!in && n) || !out || !out_len || n > SIZE_MAX / 3 || psv_base45_encoded_len(n) > cap)
        return PSV_E_USAGE;
    size_t o = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        uint32_t v = (uint32_t)in[i] << 8 | in[i + 1];
        out[o++] = ALPHABET[v % 45];
        out[o++] = ALPHABET[v / 45 % 45];
        out[o++] = ALPHABET[v / 2025];
    }
    if (n % 2) {
        uint32_t v = in[n - 1];
        out[o++] = ALPHABET[v % 45];
        out[o++] = ALPHABET[v / 45];
    }
    *out_len = o;
    return PSV_OK;
}
