/* Fuzz target: the registration body (POST /api/v1/registry/persons) from bytes to a complete
 * person record, as the edge does it: ps_json_parse with the route's limits, the table mapping
 * (ps_api_person_from_json, src/api/render.h), then the domain's completion
 * (ps_person_complete: transliteration and every cross-check). Checks, beyond "no crash": a
 * record that completes has its Latin names filled and validates again; a mapping that fails
 * always says why. */
#include <string.h>

#include "api/render.h"
#include "core/arena.h"
#include "core/json.h"
#include "fuzz.h"
#include "registries/persons.h"

#define MAX_BYTES (16u * 1024) /* the route's body limit */
#define MAX_DEPTH 3u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(1u << 20);
    if (!a)
        return 0;
    json_t *root = NULL;
    struct ps_diag d = {0};
    struct ps_str text = {(const char *)data, size};
    if (ps_json_parse(a, text, MAX_BYTES, MAX_DEPTH, &root, &d) == PS_OK) {
        struct ps_person p;
        struct ps_str reason = PS_STR_NULL;
        enum ps_err e = ps_api_person_from_json(root, &p, &reason, &d);
        FUZZ_CHECK(e == PS_OK || (e == PS_ERR_INVALID && d.message[0]));
        if (e == PS_OK) {
            FUZZ_CHECK(reason.len > 0 && reason.len <= 200);
            e = ps_person_complete(&p, a, &d);
            FUZZ_CHECK(e == PS_OK || d.message[0]);
            if (e == PS_OK) {
                FUZZ_CHECK(p.surname_latin.len > 0 && p.given_name_latin.len > 0);
                FUZZ_CHECK(ps_person_validate(&p, &d) == PS_OK);
            }
        }
    }
    ps_arena_free(a);
    return 0;
}
