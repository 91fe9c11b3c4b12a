/* Fuzz target: libpsverify's entry point psv_verify on arbitrary QR text (PS1 and HC1), with
 * a trust store made once (tests/unit/verify_fixture.c) and a small memory budget. A result
 * must be consistent: valid only with no error, and a valid signature and window; memory
 * used never past the budget. */
#include <string.h>

#include "fuzz.h"
#include "pocketstate/verify.h"
#include "verify_fixture.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct fixture *fix = fixture_shared();
    struct psv_params p = {.trust = fix->trust, .now = FIX_NOW, .mem_budget = 128 * 1024};
    struct psv_result r;
    enum psv_error e = psv_verify(&p, (const char *)data, size, &r);
    FUZZ_CHECK(e == r.error.code);
    FUZZ_CHECK(r.valid == (e == PSV_OK));
    FUZZ_CHECK(r.mem_used <= 128 * 1024);
    if (r.valid) {
        FUZZ_CHECK(r.signature == PSV_CHECK_OK && r.validity == PSV_CHECK_OK);
        FUZZ_CHECK(r.format_check == PSV_CHECK_OK);
    }
    if (r.claims_json)
        FUZZ_CHECK(strlen(r.claims_json) == r.claims_json_len);
    psv_result_free(&r);
    return 0;
}
