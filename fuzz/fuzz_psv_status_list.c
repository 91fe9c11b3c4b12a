/* Fuzz target: Status List Token parsing (CWT) against the fixture's trust store. A list that
 * parses answers psv_status_list_get within its bit width, and -1 past its end. */
#include "fuzz.h"
#include "pocketstate/verify.h"
#include "verify_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fixture *fix = fixture_shared();
    psv_status_list *sl = NULL;
    struct psv_diag d = {0};
    if (psv_status_list_parse(fix->trust, data, size, FIX_NOW, 1 << 16, &sl, &d) == PSV_OK) {
        for (uint64_t i = 0; i < 64; i++) {
            int v = psv_status_list_get(sl, i * 977);
            FUZZ_CHECK(v >= -1 && v <= 255);
        }
        FUZZ_CHECK(psv_status_list_get(sl, UINT64_MAX) == -1);
    } else {
        FUZZ_CHECK(d.code == PSV_E_TRUST_LIST && !sl);
    }
    psv_status_list_free(sl);
    return 0;
}
