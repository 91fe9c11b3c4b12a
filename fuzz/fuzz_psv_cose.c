/* Fuzz target: COSE_Sign1 structure and header rules, and the Sig_structure built from what
 * was accepted (it must embed the protected header and payload bytes). Also COSE_Key. */
#include <string.h>

#include "fuzz.h"
#include "psv_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct psv_mem *m = psv_mem_new(256 * 1024);
    FUZZ_CHECK(m);
    const struct psv_cbor_limits lim = {.max_depth = 8, .max_items = 512};
    const struct psv_item *it;
    struct psv_diag d = {0};
    if (psv_cbor_parse(m, data, size, &lim, &it, &d) == PSV_OK) {
        struct psv_sign1 s;
        if (psv_sign1_read(m, it, &lim, size & 1 ? PSV_SIGN1_ALG_UNPROTECTED : 0, &s, &d) == PSV_OK) {
            FUZZ_CHECK(s.kid_len <= 64);
            uint8_t *tbs;
            size_t n;
            if (psv_sign1_tbs(m, &s, &tbs, &n, &d) == PSV_OK)
                FUZZ_CHECK(n >= s.protected_len + s.payload_len + 13 &&
                           memcmp(tbs + n - s.payload_len, s.payload, s.payload_len) == 0);
        } else {
            FUZZ_CHECK(d.code == PSV_E_COSE || d.code == PSV_E_CBOR);
        }
    }
    psv_cose_key *key = NULL;
    if (psv_cose_key_parse(data, size, &key, &d) == PSV_OK) {
        FUZZ_CHECK(key && psv_cose_key_kty(key) >= 1 && psv_cose_key_kty(key) <= 3);
        uint8_t sig[64] = {1};
        enum psv_error e = psv_cose_key_verify(key, PSV_ALG_ES256, data, size, sig, 64, 0);
        FUZZ_CHECK(e != PSV_OK);
    }
    psv_cose_key_free(key);
    psv_mem_free(m);
    return 0;
}
