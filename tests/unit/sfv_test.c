/* Unit tests of the structured-field parser and serializer (RFC 8941 examples, every refusal,
 * every limit) and of Content-Digest (RFC 9530 sample values). */
#include <criterion/criterion.h>
#include <sodium.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "identity/b64.h"
#include "identity/digest.h"
#include "identity/sfv.h"

static struct ps_arena *arena;

static void setup(void)
{
    cr_assert(sodium_init() >= 0);
    arena = ps_arena_new(1 << 20);
    cr_assert(arena);
}

static void teardown(void)
{
    ps_arena_free(arena);
}

TestSuite(sfv, .init = setup, .fini = teardown);
TestSuite(digest, .init = setup, .fini = teardown);
TestSuite(b64, .init = setup, .fini = teardown);

/* Parses text as a dictionary ('d'), list ('l') or item ('i') and returns the canonical
 * serialization (or "ERR:<err>" when parsing fails). */
static const char *roundtrip(char type, const char *text)
{
    static char out[4096];
    struct ps_sfv_field f;
    struct ps_sfv_value v;
    struct ps_diag d = {0};
    struct ps_str s = ps_str_from_cstr(text);
    enum ps_err e = type == 'd'   ? ps_sfv_parse_dict(arena, s, NULL, &f, &d)
                    : type == 'l' ? ps_sfv_parse_list(arena, s, NULL, &f, &d)
                                  : ps_sfv_parse_item(arena, s, NULL, &v, &d);
    if (e != PS_OK) {
        snprintf(out, sizeof out, "ERR:%s", ps_err_name(e));
        return out;
    }
    struct ps_buf b;
    ps_buf_init(&b, sizeof out - 1);
    e = type == 'd' ? ps_sfv_serialize_dict(&b, &f)
        : type == 'l' ? ps_sfv_serialize_list(&b, &f) : ps_sfv_serialize_value(&b, &v);
    cr_assert_eq(e, PS_OK, "serialize %s", text);
    cr_assert_eq(ps_str_copy(out, sizeof out, ps_buf_str(&b)), PS_OK);
    ps_buf_reset(&b);
    return out;
}

Test(sfv, rfc8941_examples)
{
    /* RFC 8941 sections 3.1 - 3.3 */
    cr_assert_str_eq(roundtrip('l', "sugar, tea, rum"), "sugar, tea, rum");
    cr_assert_str_eq(roundtrip('l', "sugar,  tea,\trum"), "sugar, tea, rum");
    cr_assert_str_eq(roundtrip('l', "(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()"),
                     "(\"foo\" \"bar\"), (\"baz\"), (\"bat\" \"one\"), ()");
    cr_assert_str_eq(roundtrip('l', "(\"foo\"; a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1"),
                     "(\"foo\";a=1;b=2);lvl=5, (\"bar\" \"baz\");lvl=1");
    cr_assert_str_eq(roundtrip('l', "abc;a=1;b=2; cde_456, (ghi;jk=4 l);q=\"9\";r=w"),
                     "abc;a=1;b=2;cde_456, (ghi;jk=4 l);q=\"9\";r=w");
    cr_assert_str_eq(roundtrip('d', "en=\"Applepie\", da=:w4ZibGV0w6ZydGUK:"),
                     "en=\"Applepie\", da=:w4ZibGV0w6ZydGUK:");
    cr_assert_str_eq(roundtrip('d', "a=?0, b, c; foo=bar"), "a=?0, b, c;foo=bar");
    cr_assert_str_eq(roundtrip('d', "rating=1.5, feelings=(joy sadness)"),
                     "rating=1.5, feelings=(joy sadness)");
    cr_assert_str_eq(roundtrip('d', "a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid"),
                     "a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid");
    /* RFC 9421 section 2.1.1: strict serialization of Example-Dict */
    cr_assert_str_eq(roundtrip('d', "a=1,    b=2;x=1;y=2,   c=(a   b   c)"),
                     "a=1, b=2;x=1;y=2, c=(a b c)");
    cr_assert_str_eq(roundtrip('i', "5; foo=bar"), "5;foo=bar");
    cr_assert_str_eq(roundtrip('i', "  ?1  "), "?1");
    cr_assert_str_eq(roundtrip('d', ""), "");
    cr_assert_str_eq(roundtrip('l', "   "), "");
}

Test(sfv, numbers)
{
    cr_assert_str_eq(roundtrip('i', "42"), "42");
    cr_assert_str_eq(roundtrip('i', "-42"), "-42");
    cr_assert_str_eq(roundtrip('i', "-0"), "0");
    cr_assert_str_eq(roundtrip('i', "999999999999999"), "999999999999999");
    cr_assert_str_eq(roundtrip('i', "-999999999999999"), "-999999999999999");
    cr_assert_str_eq(roundtrip('i', "1000000000000000"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "4.5"), "4.5");
    cr_assert_str_eq(roundtrip('i', "1.120"), "1.12");
    cr_assert_str_eq(roundtrip('i', "-1.000"), "-1.0");
    cr_assert_str_eq(roundtrip('i', "123456789012.123"), "123456789012.123");
    cr_assert_str_eq(roundtrip('i', "1234567890123.1"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "1.1234"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "1."), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "-"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "-a"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "1.2.3"), "ERR:invalid");
}

Test(sfv, strings_tokens_bytes_booleans)
{
    cr_assert_str_eq(roundtrip('i', "\"hello \\\"world\\\" \\\\o/\""),
                     "\"hello \\\"world\\\" \\\\o/\"");
    cr_assert_str_eq(roundtrip('i', "\"bad \\a escape\""), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "\"tab\tinside\""), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "\"unterminated"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "\"trailing backslash\\"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "foo123/456:bar"), "foo123/456:bar");
    cr_assert_str_eq(roundtrip('i', "*star"), "*star");
    /* RFC 8941 3.3.5 */
    cr_assert_str_eq(roundtrip('i', ":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:"),
                     ":cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:");
    cr_assert_str_eq(roundtrip('i', ":cHJldGVuZA:"), ":cHJldGVuZA==:"); /* padding synthesized */
    cr_assert_str_eq(roundtrip('i', "::"), "::");
    cr_assert_str_eq(roundtrip('i', ":cHJl_GVuZA==:"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', ":cHJldGVuZB==:"), "ERR:invalid"); /* non-zero pad bits */
    cr_assert_str_eq(roundtrip('i', ":cHJldGVuZA=="), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "?1"), "?1");
    cr_assert_str_eq(roundtrip('i', "?0"), "?0");
    cr_assert_str_eq(roundtrip('i', "?2"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "?"), "ERR:invalid");
    /* RFC 9651 types are refused with their own message */
    struct ps_sfv_value v;
    struct ps_diag d = {0};
    cr_assert_eq(ps_sfv_parse_item(arena, PS_STR("@1659578233"), NULL, &v, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "RFC 9651"), "%s", d.message);
    cr_assert_eq(ps_sfv_parse_item(arena, PS_STR("%\"f%c3%bc\""), NULL, &v, &d), PS_ERR_INVALID);
}

Test(sfv, refusals)
{
    cr_assert_str_eq(roundtrip('l', "a, b,"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('l', "a,,b"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('l', "a b"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('l', "(a b"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('l', "(a,b)"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('l', "((a))"), "ERR:invalid"); /* no nested inner lists */
    cr_assert_str_eq(roundtrip('d', "A=1"), "ERR:invalid");  /* keys are lower-case */
    cr_assert_str_eq(roundtrip('d', "a=1;B=2"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('d', "a=1; =2"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('d', "a="), "ERR:invalid");
    cr_assert_str_eq(roundtrip('d', "\ta=1"), "ERR:invalid"); /* only SP is discarded first */
    cr_assert_str_eq(roundtrip('i', "a b"), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', ""), "ERR:invalid");
    cr_assert_str_eq(roundtrip('i', "\"caf\xc3\xa9\""), "ERR:invalid"); /* not ASCII */
    struct ps_sfv_value v;
    cr_assert_eq(ps_sfv_parse_item(arena, (struct ps_str){"1\0", 2}, NULL, &v, NULL),
                 PS_ERR_INVALID);
}

Test(sfv, repeated_keys_last_value_first_position)
{
    struct ps_sfv_field f;
    cr_assert_eq(ps_sfv_parse_dict(arena, PS_STR("a=1, b=2, a=3;x;x=?0"), NULL, &f, NULL), PS_OK);
    cr_assert_eq(f.n, 2);
    cr_assert_eq(f.dups, 2);
    cr_assert_str_eq(roundtrip('d', "a=1, b=2, a=3;x;x=?0"), "a=3;x=?0, b=2");
    cr_assert_eq(ps_sfv_dict_get(&f, PS_STR("a"))->value.bare.i, 3);
    cr_assert_null(ps_sfv_dict_get(&f, PS_STR("c")));
}

Test(sfv, limits)
{
    struct ps_sfv_limits lim = {.max_bytes = 16, .max_members = 3, .max_items = 2, .max_params = 2};
    struct ps_sfv_field f;
    struct ps_diag d = {0};
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("a, b, c"), &lim, &f, &d), PS_OK);
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("a, b, c, d"), &lim, &f, &d), PS_ERR_LIMIT);
    cr_assert(strstr(d.message, "members"), "%s", d.message);
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("(a b)"), &lim, &f, &d), PS_OK);
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("(a b c)"), &lim, &f, &d), PS_ERR_LIMIT);
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("a;x;y"), &lim, &f, &d), PS_OK);
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("a;x;y;z"), &lim, &f, &d), PS_ERR_LIMIT);
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("a;x;y;x;y"), &lim, &f, &d), PS_OK); /* repeats */
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("aaaaaaaaaaaaaaaa"), &lim, &f, &d), PS_OK);
    cr_assert_eq(ps_sfv_parse_list(arena, PS_STR("aaaaaaaaaaaaaaaaa"), &lim, &f, &d),
                 PS_ERR_LIMIT);
    /* the default byte limit */
    char big[8194];
    memset(big, 'a', sizeof big);
    cr_assert_eq(ps_sfv_parse_list(arena, (struct ps_str){big, 8192}, NULL, &f, &d), PS_OK);
    cr_assert_eq(ps_sfv_parse_list(arena, (struct ps_str){big, 8193}, NULL, &f, &d), PS_ERR_LIMIT);
}

Test(sfv, serializer_refuses_what_cannot_be_serialized)
{
    struct ps_buf b;
    ps_buf_init(&b, 256);
    struct ps_sfv_bare v = {.type = PS_SFV_STRING, .s = PS_STR("a\nb")};
    cr_assert_eq(ps_sfv_serialize_bare(&b, &v), PS_ERR_INVALID);
    v = (struct ps_sfv_bare){.type = PS_SFV_TOKEN, .s = PS_STR("1abc")};
    cr_assert_eq(ps_sfv_serialize_bare(&b, &v), PS_ERR_INVALID);
    v = (struct ps_sfv_bare){.type = PS_SFV_INTEGER, .i = INT64_C(1000000000000000)};
    cr_assert_eq(ps_sfv_serialize_bare(&b, &v), PS_ERR_INVALID);
    cr_assert_eq(ps_sfv_serialize_key(&b, PS_STR("Upper")), PS_ERR_INVALID);
    cr_assert_eq(ps_sfv_serialize_key(&b, PS_STR("")), PS_ERR_INVALID);
    b.len = 0;
    cr_assert_eq(ps_sfv_serialize_string(&b, PS_STR("say \"hi\" \\o")), PS_OK);
    cr_assert_str_eq(b.p, "\"say \\\"hi\\\" \\\\o\"");
    ps_buf_reset(&b);
}

/* ---- base64 ---- */

Test(b64, strict_base64url)
{
    struct ps_bytes out;
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA"), 64,
                                  &out), PS_OK);
    cr_assert_eq(out.len, 32);
    cr_assert_eq(out.p[0], 0x00);
    cr_assert_eq(out.p[31], 0x30);
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AMMPt4UxxGTStncdq417YDwBFi8vpIa-pw8oOuVW4TA="), 64,
                                  &out), PS_ERR_INVALID); /* padding */
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AMMPt4UxxGTStncdq417YDwBFi8vpIa+pw8oOuVW4TA"), 64,
                                  &out), PS_ERR_INVALID); /* '+' */
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AB"), 64, &out), PS_ERR_INVALID); /* pad bits */
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("A"), 64, &out), PS_ERR_INVALID);
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AA A"), 64, &out), PS_ERR_INVALID);
    cr_assert_eq(ps_b64url_decode(arena, PS_STR(""), 64, &out), PS_OK);
    cr_assert_eq(out.len, 0);
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AAAA"), 3, &out), PS_OK);
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AAAAAA"), 3, &out), PS_ERR_LIMIT);
    cr_assert_eq(ps_b64url_decode(arena, PS_STR("AAAAAAAA"), 5, &out), PS_ERR_LIMIT);
    char *s = ps_b64url_encode(arena, "\xff\xfe", 2);
    cr_assert_str_eq(s, "__4");
}

/* ---- Content-Digest (RFC 9530) ---- */

#define HELLO "{\"hello\": \"world\"}"

static enum ps_err dv(const char *field, const char *content, unsigned *algs,
                      struct ps_id_diag *d)
{
    return ps_digest_verify(arena, field ? ps_str_from_cstr(field) : PS_STR_NULL,
                            ps_str_from_cstr(content), algs, d);
}

Test(digest, rfc9530_values)
{
    unsigned algs;
    struct ps_id_diag d;
    /* Appendix D (sample digest values of {"hello": "world"}) and the RFC 9421 test request */
    cr_assert_eq(dv("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNye"
                    "aldVLvRwEmTHWXvJwew==:", HELLO, &algs, &d), PS_OK, "%s", d.d.message);
    cr_assert_eq(algs, PS_DIGEST_SHA512);
    cr_assert_eq(dv("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", HELLO, &algs, &d),
                 PS_OK);
    cr_assert_eq(algs, PS_DIGEST_SHA256);
    /* section 2 and B.1: the same object followed by LF */
    cr_assert_eq(dv("sha-512=:YMAam51Jz/jOATT6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM"
                    "7iw7yZ/WkppmM44T3qg==:", HELLO "\n", &algs, &d), PS_OK);
    cr_assert_eq(dv("sha-256=:RK/0qy18MlBSVnWgjwz6lZEWjP/lF5HF9bvEF8FabDg=:", HELLO "\n", &algs, &d),
                 PS_OK);
    /* B.2: empty content; B.3: the partial content "world"} LF */
    cr_assert_eq(dv("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", "", &algs, &d), PS_OK);
    cr_assert_eq(dv("sha-256=:jjcgBDWNAtbYUXI37CVG3gRuGOAjaaDRGpIUFsdyepQ=:", "\"world\"}\n", &algs,
                    &d), PS_OK);
    /* both, and an unknown algorithm beside them is ignored */
    cr_assert_eq(dv("md5=:Sd/dVLAcvNLSq16eXua5uQ==:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kb"
                    "u9DBPE=:, sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYl"
                    "lu7BNNyealdVLvRwEmTHWXvJwew==:", HELLO, &algs, &d), PS_OK);
    cr_assert_eq(algs, PS_DIGEST_SHA256 | PS_DIGEST_SHA512);
}

Test(digest, refusals)
{
    struct ps_id_diag d;
    cr_assert_eq(dv(NULL, HELLO, NULL, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_DG_MISSING);
    cr_assert_eq(dv("sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:", HELLO, NULL, &d),
                 PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_DG_MISMATCH);
    /* a right sha-256 does not outvote a wrong sha-512 */
    cr_assert_eq(dv("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-512=:YMAam51Jz/jOAT"
                    "T6/zvHrLVgOYTGFy1d6GJiOHTohq4yP+pgk4vf2aCsyRZOtw8MjkM7iw7yZ/WkppmM44T3qg==:",
                    HELLO, NULL, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_DG_MISMATCH);
    cr_assert_eq(dv("md5=:Sd/dVLAcvNLSq16eXua5uQ==:", HELLO, NULL, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_DG_UNSUPPORTED);
    cr_assert_eq(dv("", HELLO, NULL, &d), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_DG_UNSUPPORTED);
    cr_assert_eq(dv("sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\"", HELLO, NULL, &d),
                 PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_DG_MALFORMED);
    cr_assert_eq(dv("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBA==:", HELLO, NULL, &d),
                 PS_ERR_INVALID); /* 31 bytes */
    cr_assert_eq(d.code, PS_ID_DG_MALFORMED);
    cr_assert_eq(dv("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, sha-256=:X48E9qOokqqr"
                    "vdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", HELLO, NULL, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_DG_MALFORMED);
    cr_assert_eq(dv("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:,", HELLO, NULL, &d),
                 PS_ERR_INVALID);
    char big[PS_DIGEST_FIELD_MAX + 2];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(dv(big, HELLO, NULL, &d), PS_ERR_INVALID);
    cr_assert_eq(d.code, PS_ID_DG_MALFORMED);
    cr_assert(strstr(d.d.message, "bytes"), "%s", d.d.message);
}

Test(digest, format_then_verify)
{
    struct ps_buf b;
    ps_buf_init(&b, 512);
    cr_assert_eq(ps_digest_format(&b, PS_DIGEST_SHA512, HELLO, strlen(HELLO)), PS_OK);
    cr_assert_str_eq(b.p, "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BN"
                          "NyealdVLvRwEmTHWXvJwew==:");
    cr_assert_eq(ps_buf_append(&b, ", ", 2), PS_OK);
    cr_assert_eq(ps_digest_format(&b, PS_DIGEST_SHA256, "", 0), PS_OK);
    cr_assert(strstr(b.p, "sha-256=:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=:"));
    cr_assert_eq(ps_digest_format(&b, (enum ps_digest_alg)7, "", 0), PS_ERR_INVALID);
    ps_buf_reset(&b);
}
