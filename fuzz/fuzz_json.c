/* Fuzz target: JSON body decoding with limits (ps_json_parse, src/core/json.h), the path
 * every request body takes. Checks, beyond "no crash": a parse that succeeds stays within the
 * depth limit and survives a dump/parse round trip unchanged; ps_buf_append_json_str turns
 * any valid UTF-8 (the input itself) into a JSON string that parses back to the same bytes. */
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "fuzz.h"

#define MAX_BYTES (64u * 1024)
#define MAX_DEPTH 16u

static void check_roundtrip(struct ps_arena *a, const json_t *v)
{
    char *dumped = ps_json_dump(a, v);
    FUZZ_CHECK(dumped != NULL);
    json_error_t jerr;
    json_t *again = json_loads(dumped, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    FUZZ_CHECK(again != NULL);
    FUZZ_CHECK(json_equal(v, again));
    json_decref(again);
}

static void check_string_escape(const uint8_t *data, size_t size)
{
    /* jansson's own UTF-8 check decides which inputs are valid strings. */
    json_t *s = json_stringn((const char *)data, size);
    if (!s)
        return;
    json_decref(s);
    struct ps_buf b;
    ps_buf_init(&b, 8 * size + 16);
    if (ps_buf_append_json_str(&b, (struct ps_str){(const char *)data, size}) == PS_OK) {
        json_error_t jerr;
        json_t *v = json_loadb(b.p, b.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        FUZZ_CHECK(v != NULL);
        FUZZ_CHECK(json_is_string(v));
        FUZZ_CHECK(json_string_length(v) == size);
        FUZZ_CHECK(memcmp(json_string_value(v), data, size) == 0);
        json_decref(v);
    }
    ps_buf_reset(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(4u << 20);
    FUZZ_CHECK(a != NULL);
    struct ps_str text = {(const char *)data, size};
    json_t *v = NULL;
    struct ps_diag diag = {0};
    enum ps_err err = ps_json_parse(a, text, MAX_BYTES, MAX_DEPTH, &v, &diag);
    if (err == PS_OK) {
        FUZZ_CHECK(v != NULL);
        FUZZ_CHECK(size <= MAX_BYTES);
        FUZZ_CHECK(ps_json_depth(text, MAX_DEPTH) <= MAX_DEPTH);
        /* NUL bytes are rejected by contract. */
        FUZZ_CHECK(memchr(data, 0, size) == NULL);
        check_roundtrip(a, v);
    } else {
        FUZZ_CHECK(v == NULL);
        FUZZ_CHECK(err == PS_ERR_INVALID || err == PS_ERR_LIMIT || err == PS_ERR_NOMEM);
        FUZZ_CHECK(memchr(diag.message, 0, sizeof diag.message) != NULL);
    }
    ps_arena_free(a);
    check_string_escape(data, size);
    return 0;
}
