/* base64 / base64url through libsodium's constant-time codec. libsodium is strict already
 * (rejects characters outside the alphabet, trailing garbage and non-zero pad bits); this file
 * adds the size limit and picks the variant. */
#include "identity/b64.h"

#include <sodium.h>
#include <string.h>

#include "core/alloc.h"

static enum ps_err decode(struct ps_arena *a, struct ps_str s, size_t max_bytes, int variant,
                          struct ps_bytes *out)
{
    static const uint8_t empty[1];
    out->p = empty;
    out->len = 0;
    /* every 4 characters make at most 3 bytes, so s.len / 4 * 3 + 2 bounds the output; up to
     * 2 of those may be padding, so the exact length is checked again after decoding */
    size_t bound = s.len / 4 * 3 + 2;
    if (s.len / 4 * 3 > max_bytes + 2)
        return PS_ERR_LIMIT;
    if (s.len == 0)
        return PS_OK;
    uint8_t *buf = ps_arena_alloc(a, bound);
    if (!buf)
        return PS_ERR_NOMEM;
    size_t n = 0;
    if (sodium_base642bin(buf, bound, s.p, s.len, NULL, &n, NULL, variant) != 0)
        return PS_ERR_INVALID;
    if (n > max_bytes)
        return PS_ERR_LIMIT;
    out->p = buf;
    out->len = n;
    return PS_OK;
}

enum ps_err ps_b64url_decode(struct ps_arena *a, struct ps_str s, size_t max_bytes,
                             struct ps_bytes *out)
{
    return decode(a, s, max_bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING, out);
}

enum ps_err ps_b64_decode(struct ps_arena *a, struct ps_str s, size_t max_bytes,
                          struct ps_bytes *out)
{
    int padded = s.len > 0 && s.p[s.len - 1] == '=';
    return decode(a, s, max_bytes,
                  padded ? sodium_base64_VARIANT_ORIGINAL : sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                  out);
}

enum ps_err ps_b64_append(struct ps_buf *b, const void *p, size_t n, int url)
{
    int variant = url ? sodium_base64_VARIANT_URLSAFE_NO_PADDING : sodium_base64_VARIANT_ORIGINAL;
    if (n > (SIZE_MAX - 8) / 4 * 3)
        return PS_ERR_LIMIT;
    size_t cap = sodium_base64_ENCODED_LEN(n, variant); /* includes the NUL */
    char small[128];
    char *tmp = cap <= sizeof small ? small : ps_malloc(cap);
    if (!tmp)
        return PS_ERR_NOMEM;
    sodium_bin2base64(tmp, cap, p, n, variant);
    enum ps_err e = ps_buf_append(b, tmp, strlen(tmp));
    if (tmp != small)
        ps_free(tmp);
    return e;
}

char *ps_b64url_encode(struct ps_arena *a, const void *p, size_t n)
{
    if (n > (SIZE_MAX - 8) / 4 * 3)
        return NULL;
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = ps_arena_alloc(a, cap);
    if (!out)
        return NULL;
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}
