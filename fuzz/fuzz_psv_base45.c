/* Fuzz target: base45 decoding (RFC 9285). A decode that succeeds must encode back to the
 * same text (the strict decoder accepts exactly the canonical encodings). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pocketstate/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cap = psv_base45_decoded_len(size), n = 0, m = 0;
    uint8_t *out = malloc(cap + 1);
    char *back = malloc(size + 1);
    FUZZ_CHECK(out && back);
    if (psv_base45_decode((const char *)data, size, out, cap, &n) == PSV_OK) {
        FUZZ_CHECK(n == cap);
        FUZZ_CHECK(psv_base45_encoded_len(n) == size);
        FUZZ_CHECK(psv_base45_encode(out, n, back, size, &m) == PSV_OK);
        FUZZ_CHECK(m == size && memcmp(back, data, size) == 0);
    }
    free(back);
    free(out);
    return 0;
}
