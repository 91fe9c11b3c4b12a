#!/usr/bin/env python3
"""Writes the hand-made seed corpora into fuzz/corpus/<target>/ (idempotent: a seed is
named by its role, so rerunning rewrites the same files). Inputs libFuzzer finds later are
added beside them under their hash names. Run: python3 fuzz/make_seeds.py"""
import datetime
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def rnokpp_check(d9):
    w = (-1, 5, 7, 9, 4, 6, 10, 5, 7)
    return str(sum(int(c) * k for c, k in zip(d9, w)) % 11 % 10)


def rnokpp(days, serial3, sexdigit):
    d9 = "%05d%03d%d" % (days, serial3, sexdigit)
    return d9 + rnokpp_check(d9)


def mrz_check(digits):
    w = (7, 3, 1)
    return str(sum(int(c) * w[i % 3] for i, c in enumerate(digits)) % 10)


def unzr(y, m, d, serial):
    base = "%04d%02d%02d%04d" % (y, m, d, serial)
    return base[:8] + "-" + base[8:] + mrz_check(base)


def json_seeds():
    deep = lambda n: "[" * n + "]" * n
    return {
        "empty": b"",
        "ws": b" \t\r\n",
        "null": b"null",
        "true": b"true",
        "num_int": b"42",
        "num_neg_exp": b"-1.5e-300",
        "num_huge_int": b"123456789012345678901234567890",
        "num_huge_real": b"1e400",
        "num_tiny_real": b"1e-400",
        "num_minus_zero": b"-0",
        "num_leading_zero": b"0123",
        "str_plain": b'"hello"',
        "str_escapes": b'"\\n\\t\\"\\\\\\/\\b\\f\\r"',
        "str_unicode": '"Київ Тарас Шевченко"'.encode(),
        "str_surrogates": b'"\\ud83d\\ude00"',
        "str_lone_surrogate": b'"\\ud800"',
        "str_nul_escape": b'"a\\u0000b"',
        "str_raw_nul": b'"a\x00b"',
        "str_bad_utf8": b'"\xff\xfe"',
        "str_overlong_utf8": b'"\xc0\xaf"',
        "str_truncated_utf8": b'"\xe2\x82"',
        "str_unterminated": b'"abc',
        "obj_person": b'{"rnokpp":"3012011234","surname":"\xd0\xa8\xd0\xb5\xd0\xb2\xd1\x87\xd0\xb5\xd0\xbd\xd0\xba\xd0\xbe","given_name":"Taras","birth_date":"1914-03-09","sex":"male"}',
        "obj_dup_keys": b'{"a":1,"a":2}',
        "obj_nested": b'{"a":{"b":{"c":[1,2,{"d":null}]}}}',
        "obj_trailing_comma": b'{"a":1,}',
        "obj_missing_colon": b'{"a" 1}',
        "obj_non_string_key": b"{1:2}",
        "arr_mixed": b'[1,"two",3.0,true,false,null,{},[]]',
        "deep_ok": deep(16).encode(),
        "deep_limit": deep(17).encode(),
        "deep_huge": deep(5000).encode(),
        "deep_unbalanced": (b"[" * 40),
        "deep_in_string": ('"' + "[" * 100 + '"').encode(),
        "trailing_data": b"{} {}",
        "trailing_nul": b"{}\x00",
        "bom": b"\xef\xbb\xbf{}",
        "comment": b"/* c */ {}",
        "single_quotes": b"{'a':1}",
        "nan": b"[NaN, Infinity]",
        "long_string": b'"' + b"x" * 5000 + b'"',
        "over_limit": b"[" + b"1," * 40000 + b"1]",
    }


def router_seeds():
    return {
        "healthz": b"GET /healthz",
        "readyz": b"GET /readyz",
        "metrics": b"GET /metrics",
        "openapi": b"GET /api/openapi.json",
        "person": b"GET /api/v1/registry/persons/3012011234",
        "person_put": b"PUT /api/v1/registry/persons/3012011234",
        "person_post": b"POST /api/v1/registry/persons",
        "person_delete": b"DELETE /api/v1/registry/persons/3012011234",
        "three_params": b"GET /api/v1/services/marriage/applications/0190b1f2/steps/sign",
        "four_params": b"GET /tlog/tile/0/001/256/x",
        "no_method_space": b"/healthz",
        "empty": b"",
        "root": b"GET /",
        "no_slash": b"GET healthz",
        "trailing_slash": b"GET /healthz/",
        "double_slash": b"GET //healthz",
        "empty_param": b"GET /api/v1/registry/persons/",
        "empty_segment_mid": b"GET /api//v1/registry/persons/1",
        "dot": b"GET /api/./openapi.json",
        "dotdot": b"GET /api/v1/registry/persons/../../openapi.json",
        "dotdot_param": b"GET /api/v1/registry/persons/..",
        "encoded_dotdot": b"GET /api/v1/registry/persons/%2e%2e",
        "encoded_slash": b"GET /api/v1/registry/persons/a%2Fb",
        "nul_in_path": b"GET /healthz\x00/x",
        "nul_in_param": b"GET /api/v1/registry/persons/12\x0034",
        "lowercase_method": b"get /healthz",
        "unknown_method": b"BREW /healthz",
        "long_method": b"X" * 300 + b" /healthz",
        "head": b"HEAD /healthz",
        "options": b"OPTIONS /api/v1/registry/persons/1",
        "extra_segment": b"GET /api/v1/registry/persons/1/extra",
        "case": b"GET /HEALTHZ",
        "query_in_path": b"GET /healthz?x=1",
        "utf8_param": "GET /api/v1/registry/persons/Київ".encode(),
        "bad_utf8_param": b"GET /api/v1/registry/persons/\xff\xfe",
        "long_path_2048": b"GET /" + b"a" * 2047,
        "long_path_2049": b"GET /" + b"a" * 2048,
        "segments_32": b"GET " + b"/a" * 32,
        "segments_33": b"GET " + b"/a" * 33,
        "many_segments": b"GET " + b"/x" * 2000,
        "slashes_only": b"GET " + b"/" * 100,
        "space_in_path": b"GET /api/v1/registry/persons/1 2",
    }


def rnokpp_seeds():
    today = (datetime.date.today() - datetime.date(1899, 12, 31)).days
    good_m = rnokpp(30000, 123, 3)
    good_f = rnokpp(30000, 123, 4)
    bad_check = good_m[:9] + str((int(good_m[9]) + 1) % 10)
    return {
        "valid_male": good_m.encode(),
        "valid_female": good_f.encode(),
        "valid_day1": rnokpp(1, 0, 1).encode(),
        "valid_today": rnokpp(today, 5, 2).encode(),
        "future": rnokpp(today + 1, 5, 2).encode(),
        "future_max": rnokpp(99999, 999, 9).encode(),
        "day_zero": rnokpp(0, 123, 3).encode(),
        "bad_check": bad_check.encode(),
        "nine_digits": good_m[:9].encode(),
        "eleven_digits": (good_m + "1").encode(),
        "letters": b"30120A1234",
        "spaces": b" 3012011234",
        "plus_sign": b"+301201123",
        "minus": b"-301201123",
        "nul": good_m[:5].encode() + b"\x00" + good_m[6:].encode(),
        "empty": b"",
        "all_zero": b"0000000000",
        "all_nine": b"9999999999",
        "cyrillic_digits": "３０１２０１１２３４".encode(),
        "date_iso": b"1982-03-15",
        "date_leap": b"2000-02-29",
        "date_not_leap": b"1900-02-29",
        "date_bad_month": b"2020-13-01",
        "date_bad_day": b"2021-04-31",
        "date_year0": b"0000-01-01",
        "date_short": b"2020-1-1",
        "make_seed": b"\x75\x30\x00\x10\x01",
        "make_seed_max": b"\xff\xff\xff\xff\xff",
    }


def unzr_seeds():
    good = unzr(1982, 3, 15, 123)
    bad_check = good[:13] + str((int(good[13]) + 1) % 10)
    return {
        "valid": good.encode(),
        "valid_leap": unzr(2000, 2, 29, 1).encode(),
        "valid_max_serial": unzr(1991, 8, 24, 9999).encode(),
        "serial_zero": unzr(1991, 8, 24, 0).encode(),
        "bad_check": bad_check.encode(),
        "not_leap": unzr(1900, 2, 29, 5).encode(),
        "future": unzr(2999, 1, 1, 5).encode(),
        "bad_month": unzr(1980, 13, 1, 5).encode(),
        "no_dash": good.replace("-", "").encode(),
        "dash_moved": (good[:7] + "-" + good[7] + good[9:]).encode(),
        "letters": b"1982031A-00123",
        "short": good[:13].encode(),
        "long": (good + "0").encode(),
        "nul": good[:10].encode() + b"\x00" + good[11:].encode(),
        "empty": b"",
        "digits_only_14": b"19820315012345",
        "make_seed": b"\x52\x02\x0e\x00\x7b\x00",
    }


def uuid_seeds():
    return {
        "v7": b"0190b1f2-7c3a-7d4e-8f00-0123456789ab",
        "v4_upper": b"F47AC10B-58CC-4372-A567-0E02B2C3D479",
        "nil": b"00000000-0000-0000-0000-000000000000",
        "max": b"ffffffff-ffff-ffff-ffff-ffffffffffff",
        "no_dashes": b"0190b1f27c3a7d4e8f000123456789ab",
        "braces": b"{0190b1f2-7c3a-7d4e-8f00-0123456789ab}",
        "short": b"0190b1f2-7c3a-7d4e-8f00-0123456789a",
        "long": b"0190b1f2-7c3a-7d4e-8f00-0123456789abc",
        "bad_hex": b"0190b1g2-7c3a-7d4e-8f00-0123456789ab",
        "dash_misplaced": b"0190b1f27-c3a-7d4e-8f00-0123456789ab",
        "nul": b"0190b1f2-7c3a-7d4e-8f00-0123456789\x00b",
        "spaces": b"0190b1f2 7c3a 7d4e 8f00 0123456789ab",
        "empty": b"",
        "request_id_token": b"req-abc_123.XYZ",
        "header_injection": b"abc\r\nSet-Cookie: x=1",
    }


def portal_escape_seeds():
    """First byte: the context (0 text, 1 attribute, 2 whole URL, 3 URL part)."""
    values = {
        "script": b"<script>alert(1)</script>",
        "attr_break": b"\"><img src=x onerror=alert(1)>",
        "single_quote": b"' onmouseover='x",
        "js_url": b"javascript:alert(1)",
        "js_url_mixed": b" JaVa\tScRiPt:alert(1)",
        "https_url": b"https://example.org/a?b=1&c=2#d",
        "relative": b"/about?lang=en&x=%41%zz%",
        "ukrainian": "Привіт, світе ’«»".encode(),
        "bad_utf8": b"\xc0\xbc\xed\xa0\x80\xff\x80",
        "controls": b"a\x00b\x01c\x7fd\xc2\x85e\t\n\r",
        "entities": b"&lt;&amp;&#39;&quot;",
        "empty": b"",
    }
    return {"%s_%d" % (name, ctx): bytes([ctx]) + v for name, v in values.items()
            for ctx in range(4)}


def portal_form_seeds():
    return {
        "simple": b"a=1&b=2",
        "encoded": b"a=%D0%84+x&b=%41%42",
        "empty_pairs": b"&&a&=&b=",
        "bad_escape": b"a=%4",
        "bad_hex": b"a=%zz",
        "nul": b"a=%00",
        "not_utf8": b"a=%FF%FE",
        "long": b"a=" + b"x" * 20,
        "many": b"a=1&" * 70,
        "trim": b"a=+%20x%09+",
        "repeated": b"a=1&a=2&b=3&b=4",
        "empty": b"",
    }


def portal_lang_seeds():
    return {
        "chrome_uk": b"uk-UA,uk;q=0.9,en-US;q=0.8,en;q=0.7",
        "en": b"en-GB,en;q=0.9",
        "star": b"*",
        "q_zero": b"en;q=0, uk;q=0.000",
        "bad_q": b"en;q=1.5,uk;q=abc,;q=,",
        "cookie": b"a=b; lang=en; c=d",
        "cookie_bad": b"lang=; lang=xx; xlang=en",
        "placeholders": b"{n} {name} {} {unknown} {{n}} {",
        "many_items": b"fr," * 50 + b"en",
        "empty": b"",
    }


def main():
    for target, seeds in (("json", json_seeds()), ("router", router_seeds()),
                          ("rnokpp", rnokpp_seeds()), ("unzr", unzr_seeds()),
                          ("uuid", uuid_seeds()), ("portal_escape", portal_escape_seeds()),
                          ("portal_form", portal_form_seeds()),
                          ("portal_lang", portal_lang_seeds())):
        d = os.path.join(HERE, "corpus", target)
        os.makedirs(d, exist_ok=True)
        for name, data in seeds.items():
            with open(os.path.join(d, "seed_" + name), "wb") as f:
                f.write(data)
        print("%s: %d seeds" % (target, len(seeds)))


if __name__ == "__main__":
    main()
