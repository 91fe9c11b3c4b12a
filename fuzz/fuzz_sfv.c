/* Fuzz target: the RFC 8941 structured-field parser (src/identity/sfv.h), which reads
 * Signature-Input, Signature and Content-Digest from every signed request. The input is parsed
 * as a Dictionary, a List and an Item; whatever parses must serialize, and the serialization
 * must parse back to a value that serializes to the same bytes (canonical form is a fixed
 * point). */
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "fuzz.h"
#include "identity/sfv.h"

enum kind { DICT, LIST, ITEM };

static enum ps_err parse(struct ps_arena *a, enum kind k, struct ps_str s, struct ps_sfv_field *f,
                         struct ps_sfv_value *v)
{
    return k == DICT ? ps_sfv_parse_dict(a, s, NULL, f, NULL)
           : k == LIST ? ps_sfv_parse_list(a, s, NULL, f, NULL)
                       : ps_sfv_parse_item(a, s, NULL, v, NULL);
}

static enum ps_err serialize(struct ps_buf *b, enum kind k, const struct ps_sfv_field *f,
                             const struct ps_sfv_value *v)
{
    return k == DICT ? ps_sfv_serialize_dict(b, f)
           : k == LIST ? ps_sfv_serialize_list(b, f) : ps_sfv_serialize_value(b, v);
}

static void check(struct ps_arena *a, enum kind k, struct ps_str in)
{
    struct ps_sfv_field f, f2;
    struct ps_sfv_value v, v2;
    if (parse(a, k, in, &f, &v) != PS_OK)
        return;
    FUZZ_CHECK(k == ITEM || f.n <= 64);
    struct ps_buf b1, b2;
    ps_buf_init(&b1, 1 << 20);
    ps_buf_init(&b2, 1 << 20);
    FUZZ_CHECK(serialize(&b1, k, &f, &v) == PS_OK);
    struct ps_sfv_limits big = {.max_bytes = 1 << 20};
    struct ps_str s1 = ps_buf_str(&b1);
    enum ps_err e = k == DICT ? ps_sfv_parse_dict(a, s1, &big, &f2, NULL)
                    : k == LIST ? ps_sfv_parse_list(a, s1, &big, &f2, NULL)
                                : ps_sfv_parse_item(a, s1, &big, &v2, NULL);
    FUZZ_CHECK(e == PS_OK);
    FUZZ_CHECK(serialize(&b2, k, &f2, &v2) == PS_OK);
    FUZZ_CHECK(b1.len == b2.len && memcmp(b1.p ? b1.p : "", b2.p ? b2.p : "", b1.len) == 0);
    ps_buf_reset(&b1);
    ps_buf_reset(&b2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(64u << 20);
    FUZZ_CHECK(a != NULL);
    struct ps_str in = {(const char *)data, size};
    check(a, DICT, in);
    check(a, LIST, in);
    check(a, ITEM, in);
    ps_arena_free(a);
    return 0;
}
