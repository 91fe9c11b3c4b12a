/* Fuzz target: CWT claims handling (iss, iat, nbf, exp, the status claim against a status
 * list) on an arbitrary CBOR map, as psv_verify applies them. Validity must follow the
 * times it read; a malformed claim is a cbor error. */
#include <string.h>

#include "fuzz.h"
#include "psv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct psv_mem *m = psv_mem_new(256 * 1024);
    FUZZ_CHECK(m);
    const struct psv_cbor_limits lim = {.max_depth = 8, .max_items = 512};
    const struct psv_item *claims;
    struct psv_diag d = {0};
    psv_trust *t = psv_trust_new();
    struct psv_params p = {.trust = t, .now = 1800000000};
    struct psv_result r = {0};
    struct psv_vctx v = {.p = &p, .m = m, .lim = lim, .r = &r};
    if (psv_cbor_parse(m, data, size, &lim, &claims, &d) == PSV_OK &&
        psv_cwt_common(&v, claims, 60) == PSV_OK) {
        if (r.validity == PSV_CHECK_EXPIRED)
            FUZZ_CHECK(r.has_expires_at && p.now >= r.expires_at);
        if (r.validity == PSV_CHECK_OK && r.has_expires_at)
            FUZZ_CHECK(p.now < r.expires_at);
        if (r.issuer)
            FUZZ_CHECK(strlen(r.issuer) <= 256);
        (void)psv_check_status(&v, claims);
        FUZZ_CHECK(r.status == PSV_NOT_CHECKED); /* no status list given */
    }
    psv_trust_free(t);
    psv_mem_free(m);
    return 0;
}
