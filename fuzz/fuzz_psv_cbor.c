/* Fuzz target: the bounded CBOR decoder. A parsed item spans the whole input, respects the
 * limits, and renders to JSON of the measured length; each child's raw span re-parses. */
#include <string.h>

#include "fuzz.h"
#include "psv_int.h"

static size_t depth_of(const struct psv_item *it)
{
    size_t d = 0;
    for (const struct psv_item *c = it->child; c; c = c->next) {
        size_t k = depth_of(c);
        d = k > d ? k : d;
    }
    return (it->type == PSV_ITEM_ARRAY || it->type == PSV_ITEM_MAP) ? d + 1 : d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct psv_mem *m = psv_mem_new(256 * 1024);
    FUZZ_CHECK(m);
    const struct psv_cbor_limits lim = {.max_depth = 8, .max_items = 512,
                                        .allow_indefinite = size % 2 == 0};
    const struct psv_item *it;
    struct psv_diag d = {0};
    if (psv_cbor_parse(m, data, size, &lim, &it, &d) == PSV_OK) {
        FUZZ_CHECK(it->raw == data && it->raw_len == size);
        FUZZ_CHECK(depth_of(it) <= lim.max_depth);
        char *json;
        size_t jl;
        if (psv_item_json(m, it, &json, &jl, &d) == PSV_OK)
            FUZZ_CHECK(strlen(json) == jl);
        for (const struct psv_item *c = it->child; c; c = c->next) {
            const struct psv_item *again;
            FUZZ_CHECK(psv_cbor_parse(m, c->raw, c->raw_len, &lim, &again, &d) == PSV_OK ||
                       m->exceeded);
        }
    } else {
        FUZZ_CHECK(d.code == PSV_E_CBOR);
    }
    psv_mem_free(m);
    return 0;
}
