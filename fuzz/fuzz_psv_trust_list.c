/* Fuzz target: the trust list loader (JWS envelope, JWK keys, payload) on arbitrary JSON,
 * unpinned (the header's jwk). A failed load leaves the store empty; every key loaded is
 * usable (it has a key, an alg that fits it and a kid). */
#include "fuzz.h"
#include "psv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    psv_trust *t = psv_trust_new();
    FUZZ_CHECK(t);
    struct psv_diag d = {0};
    enum psv_error e = psv_trust_load_list(t, (const char *)data, size, NULL, 1800000000, &d);
    if (e != PSV_OK)
        FUZZ_CHECK(psv_trust_count(t) == 0 && (e == PSV_E_TRUST_LIST || e == PSV_E_USAGE));
    for (size_t i = 0; i < t->n; i++) {
        FUZZ_CHECK(t->keys[i].pkey && t->keys[i].kid_len > 0);
        FUZZ_CHECK(psv_alg_fits_pkey(t->keys[i].alg, t->keys[i].pkey));
    }
    psv_trust_free(t);
    return 0;
}
