/* Fuzz target: Content-Digest verification (src/identity/digest.h) against a fixed content.
 * Beyond "no crash": the outcome has the class its code says, success reports at least one
 * algorithm, and a value produced by ps_digest_format for the content always verifies. */
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "fuzz.h"
#include "identity/digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FUZZ_CHECK(sodium_init() >= 0);
    struct ps_arena *a = ps_arena_new(16u << 20);
    FUZZ_CHECK(a != NULL);
    static const struct ps_str content = PS_STR("{\"hello\": \"world\"}");
    struct ps_id_diag d;
    unsigned algs = 99;
    enum ps_err e = ps_digest_verify(a, (struct ps_str){(const char *)data, size}, content, &algs, &d);
    if (e == PS_OK) {
        FUZZ_CHECK(algs != 0 && (algs & ~3u) == 0);
    } else {
        FUZZ_CHECK(algs == 0);
        FUZZ_CHECK(e == ps_id_code_err(d.code));
        FUZZ_CHECK(d.code >= PS_ID_DG_MISSING && d.code <= PS_ID_DG_MISMATCH);
    }
    /* the input as content: its own digest verifies */
    struct ps_buf b;
    ps_buf_init(&b, 512);
    FUZZ_CHECK(ps_digest_format(&b, PS_DIGEST_SHA512, data, size) == PS_OK);
    FUZZ_CHECK(ps_buf_append(&b, ", ", 2) == PS_OK);
    FUZZ_CHECK(ps_digest_format(&b, PS_DIGEST_SHA256, data, size) == PS_OK);
    FUZZ_CHECK(ps_digest_verify(a, ps_buf_str(&b), (struct ps_str){(const char *)data, size},
                                &algs, &d) == PS_OK);
    FUZZ_CHECK(algs == (PS_DIGEST_SHA256 | PS_DIGEST_SHA512));
    ps_buf_reset(&b);
    ps_arena_free(a);
    return 0;
}
