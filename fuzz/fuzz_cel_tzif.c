/* Fuzz target: the TZif (RFC 8536) reader and POSIX TZ footer rules of the time zone
 * resolver (src/cel/tz.c). A file that parses must give an offset within a day of UTC at
 * every probed instant, before, inside and far beyond its transitions. */
#include "cel/cel.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int64_t probes[] = {-62135596800LL, -1, 0, 1700000000, 2000000000,
                                     4118054400LL, 253402300799LL};
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        int32_t off;
        struct ps_cel_diag d;
        enum ps_err e = ps_cel_tzif_offset(data, size, probes[i], &off, &d);
        if (e != PS_OK) {
            FUZZ_CHECK(e == PS_ERR_INVALID || e == PS_ERR_LIMIT || e == PS_ERR_NOMEM);
            return 0;
        }
        FUZZ_CHECK(off > -2 * 86400 && off < 2 * 86400);
    }
    return 0;
}
