/* Fuzz target: the capped zlib inflate of libpsverify. Output never exceeds the cap or the
 * budget; what it accepts equals zlib's own uncompress of the same stream. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "fuzz.h"
#include "psv_int.h"

#define CAP 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct psv_mem *m = psv_mem_new(96 * 1024);
    FUZZ_CHECK(m);
    uint8_t *out = NULL;
    size_t n = 0;
    struct psv_diag d = {0};
    if (psv_inflate(m, data, size, CAP, &out, &n, &d) == PSV_OK) {
        FUZZ_CHECK(n <= CAP);
        uint8_t ref[CAP + 1];
        uLongf rl = sizeof ref;
        FUZZ_CHECK(uncompress(ref, &rl, data, (uLong)size) == Z_OK);
        FUZZ_CHECK(rl == n && memcmp(ref, out, n) == 0);
    } else {
        FUZZ_CHECK(d.code == PSV_E_DECOMPRESS && d.message[0]);
    }
    FUZZ_CHECK(m->used <= m->budget);
    psv_mem_free(m);
    return 0;
}
