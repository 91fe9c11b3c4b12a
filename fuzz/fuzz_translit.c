/* Fuzz target: transliteration by the 2010 table (src/registries/translit.h). Any input gives
 * OK or a precise INVALID, never LIMIT with the documented capacity; what it gives is
 * NUL-terminated ASCII (the input's own ASCII bytes pass through), an all-ASCII input comes
 * back unchanged but for its apostrophes (dropped, as the table says; found by this target:
 * translit.h said ASCII passes unchanged), the output transliterates to itself, exactly len + 1 bytes of room suffice
 * and one byte less does not, and the arena form agrees. */
#include <stdbool.h>
#include <string.h>

#include "core/arena.h"
#include "registries/translit.h"
#include "fuzz.h"

static bool all_ascii(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 0x80)
            return false;
    return true;
}

static void check_ok(struct ps_str in, const char *out, size_t len, size_t cap)
{
    FUZZ_CHECK(len < cap && out[len] == '\0');
    FUZZ_CHECK(all_ascii((const uint8_t *)out, len)); /* ASCII in, even a NUL, passes as is */
    if (all_ascii((const uint8_t *)in.p, in.len)) { /* as it is, but for the apostrophes */
        size_t k = 0;
        for (size_t i = 0; i < in.len; i++)
            if (in.p[i] != '\'')
                FUZZ_CHECK(k < len && out[k++] == in.p[i]);
        FUZZ_CHECK(k == len);
    }
    char again[2 * 4096 + 1], tight[2 * 4096 + 1];
    size_t len2 = 0, len3 = 0;
    struct ps_diag d = {0};
    FUZZ_CHECK(ps_translit((struct ps_str){out, len}, again, sizeof again, &len2, &d) == PS_OK);
    FUZZ_CHECK(len2 == len && memcmp(again, out, len) == 0);
    FUZZ_CHECK(ps_translit(in, tight, len + 1, &len3, &d) == PS_OK);
    FUZZ_CHECK(len3 == len && memcmp(tight, out, len) == 0);
    FUZZ_CHECK(ps_translit(in, tight, len, &len3, &d) == PS_ERR_LIMIT);
    struct ps_arena *a = ps_arena_new(1 << 16);
    struct ps_str viaarena;
    FUZZ_CHECK(a && ps_translit_arena(a, in, &viaarena, &d) == PS_OK);
    FUZZ_CHECK(viaarena.len == len && memcmp(viaarena.p, out, len) == 0);
    ps_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096)
        return 0;
    struct ps_str in = {(const char *)data, size};
    char out[PS_TRANSLIT_CAP(4096)];
    size_t len = 0, cap = PS_TRANSLIT_CAP(size);
    struct ps_diag d = {0};
    enum ps_err e = ps_translit(in, out, cap, &len, &d);
    FUZZ_CHECK(e == PS_OK || e == PS_ERR_INVALID);
    if (e == PS_OK)
        check_ok(in, out, len, cap);
    else
        FUZZ_CHECK(d.code == PS_ERR_INVALID && d.message[0] != '\0');
    if (all_ascii(data, size))
        FUZZ_CHECK(e == PS_OK);
    return 0;
}
