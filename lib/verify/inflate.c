/* zlib inflate with a fixed output cap: a decompression bomb stops at the cap. zlib's own
 * state and window come from the verification's budgeted arena (zalloc/zfree hooks on the
 * stream: per call, no global setter). */
#include <zlib.h>

#include "psv_int.h"

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    size_t n;
    if (__builtin_mul_overflow((size_t)items, (size_t)size, &n))
        return Z_NULL;
    return psv_alloc(opaque, n);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque; /* arena memory: freed with the arena */
    (void)p;
}

enum psv_error psv_inflate(struct psv_mem *m, const uint8_t *in, size_t n, size_t cap,
                           uint8_t **out, size_t *out_len, struct psv_diag *d)
{
    if (n < 2 || (in[0] & 0x0f) != 8 || ((unsigned)in[0] << 8 | in[1]) % 31 != 0)
        return psv_fail(d, PSV_E_DECOMPRESS, "not a zlib stream (RFC 1950 header)");
    if (n > UINT32_MAX || cap > UINT32_MAX - 1)
        return psv_fail(d, PSV_E_DECOMPRESS, "input too large");
    /* one byte past the cap tells "exactly cap" from "more than cap" */
    uint8_t *buf = psv_alloc(m, cap + 1);
    if (!buf)
        return psv_fail(d, PSV_E_DECOMPRESS, "memory budget exceeded (output buffer)");
    z_stream z = {.next_in = (Bytef *)in, .avail_in = (uInt)n, .next_out = buf,
                  .avail_out = (uInt)cap + 1, .zalloc = z_alloc, .zfree = z_free,
                  .opaque = m};
    if (inflateInit(&z) != Z_OK)
        return psv_fail(d, PSV_E_DECOMPRESS, "%s", m->exceeded ? "memory budget exceeded"
                                                               : "inflateInit failed");
    int rc = inflate(&z, Z_FINISH);
    size_t got = (size_t)(cap + 1 - z.avail_out);
    size_t rest = z.avail_in;
    inflateEnd(&z);
    if (got > cap)
        return psv_fail(d, PSV_E_DECOMPRESS, "inflated size exceeds the cap of %zu bytes", cap);
    if (m->exceeded)
        return psv_fail(d, PSV_E_DECOMPRESS, "memory budget exceeded");
    if (rc != Z_STREAM_END)
        return psv_fail(d, PSV_E_DECOMPRESS, "corrupt or truncated zlib stream (%d)", rc);
    if (rest != 0)
        return psv_fail(d, PSV_E_DECOMPRESS, "%zu bytes after the zlib stream", rest);
    *out = buf;
    *out_len = got;
    return PSV_OK;
}
