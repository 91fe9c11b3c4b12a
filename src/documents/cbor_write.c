/* CBOR heads and scalars onto a bounded buffer (the writer side of what lib/verify reads). */
#include <string.h>

#include "documents/cbor_write.h"

enum ps_err ps_cbor_head(struct ps_buf *b, unsigned mt, uint64_t v)
{
    uint8_t h[9];
    size_t n;
    uint8_t m = (uint8_t)(mt << 5);
    if (v < 24) {
        h[0] = m | (uint8_t)v;
        n = 1;
    } else {
        unsigned w = v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffffu ? 4 : 8;
        h[0] = m | (uint8_t)(w == 1 ? 24 : w == 2 ? 25 : w == 4 ? 26 : 27);
        for (unsigned i = 0; i < w; i++)
            h[1 + i] = (uint8_t)(v >> (8 * (w - 1 - i)));
        n = 1 + w;
    }
    return ps_buf_append(b, h, n);
}

enum ps_err ps_cbor_int(struct ps_buf *b, int64_t v)
{
    return v >= 0 ? ps_cbor_head(b, 0, (uint64_t)v) : ps_cbor_head(b, 1, (uint64_t)(-1 - v));
}

enum ps_err ps_cbor_bytes(struct ps_buf *b, const void *p, size_t n)
{
    enum ps_err e = ps_cbor_head(b, 2, n);
    return e != PS_OK ? e : ps_buf_append(b, p, n);
}

enum ps_err ps_cbor_text(struct ps_buf *b, const char *p, size_t n)
{
    enum ps_err e = ps_cbor_head(b, 3, n);
    return e != PS_OK ? e : ps_buf_append(b, p, n);
}

enum ps_err ps_cbor_cstr(struct ps_buf *b, const char *s)
{
    return ps_cbor_text(b, s, strlen(s));
}

enum ps_err ps_cbor_bool(struct ps_buf *b, bool v)
{
    uint8_t c = v ? 0xf5 : 0xf4;
    return ps_buf_append(b, &c, 1);
}
