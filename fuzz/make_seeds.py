#!/usr/bin/env python3
"""Writes the hand-made seed corpora into fuzz/corpus/<target>/ (idempotent: a seed is
named by its role, so rerunning rewrites the same files). Inputs libFuzzer finds later are
added beside them under their hash names. Run: python3 fuzz/make_seeds.py [TARGET...]"""
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


def conformance_exprs(limit):
    """Expressions of the cel-spec conformance files (tests/cel/testdata), every few kept."""
    import glob
    import re
    import warnings
    warnings.simplefilter("ignore", DeprecationWarning)  # "\?" in unicode_escape
    out = []
    pat = re.compile(r'^\s*expr:\s*(["\'])(.*)\1\s*$')
    files = sorted(glob.glob(os.path.join(HERE, "..", "tests", "cel", "testdata", "*.textproto")))
    for path in files:
        for line in open(path, encoding="utf-8"):
            m = pat.match(line)
            if not m:
                continue
            raw = m.group(2)
            try:  # the textproto string escapes, as the runner's reader decodes them
                text = raw.encode("utf-8").decode("unicode_escape").encode("latin-1")
                text.decode("utf-8")
                out.append(text)
            except (UnicodeDecodeError, UnicodeEncodeError):
                out.append(raw.encode())
    return out[::max(1, len(out) // limit)]


def cel_bad_inputs():
    return {
        "deep_parens": b"(" * 300 + b"1" + b")" * 300,
        "deep_lists": b"[" * 300 + b"]" * 300,
        "long_chain": b"+".join([b"1"] * 2000),
        "deep_unary": b"-" * 5000 + b"1",
        "deep_calls": b"size(" * 200 + b"'a'" + b")" * 200,
        "huge_int": b"9" * 400,
        "huge_double": b"1e99999",
        "huge_string": b"'" + b"x" * 50000 + b"'",
        "bad_utf8": b"'\\xff' + '\xff\xfe'",
        "overlong_utf8": b"'\xc0\xaf'",
        "surrogate_escape": b"'\\ud800'",
        "unterminated": b"'abc",
        "unterminated_triple": b"'" * 3 + b"abc" + b"'" * 2,
        "bad_escape": b"'\\q'",
        "nul_byte": b"'a\x00b' + \x00",
        "unknown_function": b"nope(1) + x.nope()",
        "wrong_types": b"1 + 'a' == [1] && {1: 2}.x",
        "regex_backref": b"'aa'.matches('(a)\\\\1')",
        "regex_lookahead": b"'ab'.matches('a(?=b)')",
        "regex_bomb": b"'" + b"a" * 60 + b"!'.matches('^(a|aa)+$')",
        "macro_bomb": b"[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, "
                      b"[1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, "
                      b"[1,2,3,4,5,6,7,8,9,10].all(e, a+b+c+d+e > 0)))))",
        "string_growth": b"cel.bind(s, 'abcdefghij', cel.bind(t, s+s+s+s+s+s+s+s+s+s, "
                         b"[1,2,3,4,5,6,7,8,9,10].map(i, [1,2,3,4,5,6,7,8,9,10].map(j, "
                         b"t+t+t+t+t+t+t+t+t+t))))",
        "list_growth": b"[1,2,3,4,5,6,7,8,9,10].map(a, [1,2,3,4,5,6,7,8,9,10].map(b, "
                       b"[1,2,3,4,5,6,7,8,9,10].map(c, [a,b,c,a,b,c])))",
        "struct": b"google.protobuf.Int64Value{value: 1}",
        "reserved": b"package.if",
        "empty": b"",
    }


def cel_parse_seeds():
    seeds = {"conf_%03d" % i: e for i, e in enumerate(conformance_exprs(200))}
    seeds.update(cel_bad_inputs())
    seeds.update({
        "vars": b"x.a.b[0] + m['k'][1] in [1, 2u, 3.0]",
        "literals": b"[0x1Fu, .5e-3, r'\\d', b'\\377', " + b"'" * 3 + b"a\nb" + b"'" * 3 +
                    b", null, -9223372036854775808]",
        "optional": b"{?'a': m.?k.optMap(l, l.size())}[?'a'].orValue(0)",
    })
    return seeds


def cel_eval_seeds():
    seeds = {"conf_%03d" % i: b"\x00" + e for i, e in enumerate(conformance_exprs(200))}
    for name, e in cel_bad_inputs().items():
        seeds[name] = b"\x00" + e
        seeds[name + "_unchecked_tiny"] = b"\x07" + e
    seeds.update({
        "vars": b"\x00i + int(u) + int(f) + size(s) + size(b) + l[2] + m.a.size() + "
                b"t.getHours('+02:00')",
        "vars_unchecked": b"\x01dyn(m).b.all(x, x > 0) && s.matches('[0-9]+') && "
                          b"l.exists(x, x < 0)",
        "format": b"\x00'%s %d %.3f %x'.format([l, i, f, b])",
        "time": b"\x00t + duration('1h') > timestamp('2024-01-01T00:00:00Z')",
    })
    return seeds


def cel_tzif_seeds():
    seeds = {}
    for zone in ("UTC", "Europe/Kyiv", "Asia/Kathmandu", "America/St_Johns", "Australia/Sydney"):
        path = os.path.join("/usr/share/zoneinfo", zone)
        if os.path.exists(path):
            with open(path, "rb") as f:
                seeds["zone_" + zone.replace("/", "_")] = f.read()
    kyiv = seeds.get("zone_Europe_Kyiv", b"TZif2" + b"\x00" * 39)
    seeds.update({
        "empty": b"",
        "magic_only": b"TZif",
        "truncated": kyiv[:60],
        "v1_header_only": b"TZif" + b"\x00" * 40,
        "huge_counts": b"TZif2" + b"\x00" * 15 + b"\xff" * 24,
        "bad_footer": kyiv[: kyiv.rfind(b"\n", 0, len(kyiv) - 1) + 1] + b"XYZ-99:99,M13.9.9\n",
    })
    return seeds


def cel_textproto_seeds():
    path = os.path.join(HERE, "..", "tests", "cel", "testdata", "basic.textproto")
    with open(path, "rb") as f:
        seeds = {"basic": f.read()[:4000]}
    seeds.update({
        "nested": b"a { b { c: 1 } } d: [1, 2, 'x']",
        "strings": b"s: 'a' \"b\" '\\x41\\101\\u0418\\U0001F431' t: \"\\n\"",
        "any": b"v { object_value { [type.googleapis.com/google.protobuf.Duration] "
               b"{ seconds: 1 } } }",
        "deep": b"a {" * 80 + b"}" * 80,
        "unterminated": b"a: 'abc",
        "bad_escape": b"a: '\\q'",
        "missing_colon": b"a 1",
        "comment": b"# c\na: 1 # d\n",
        "angle": b"a < b: 1 >",
    })
    return seeds


def http_head_seeds():
    """First byte: size limit (low 6 bits, x16 + 16) and arrival step (high 2 bits)."""
    big = b"\x3f"  # limit 1024, one byte at a time
    chunky = b"\xff"  # limit 1024, 22 bytes at a time
    heads = {
        "get": b"GET / HTTP/1.1\r\nHost: example.org\r\n\r\n",
        "get10": b"GET /healthz HTTP/1.0\r\n\r\n",
        "post_cl": b"POST /api/v1/x?y=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
                   b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        "chunked": b"PUT /a HTTP/1.1\r\nHost: [::1]:80\r\nTransfer-Encoding: chunked\r\n\r\n"
                   b"3\r\nabc\r\n0\r\n\r\n",
        "leading_crlf": b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "pipelined": b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n",
        "ws_colon": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n"
                    b"Content-Length: 3\r\n\r\n",
        "obs_fold": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n",
        "no_host": b"GET / HTTP/1.1\r\n\r\n",
        "two_hosts": b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "two_auth": b"GET / HTTP/1.1\r\nHost: a\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n",
        "te_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                 b"Transfer-Encoding: chunked\r\n\r\n",
        "bad_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n",
        "huge_cl": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n",
        "http2": b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
        "bare_lf": b"GET / HTTP/1.1\nHost: x\n\n",
        "bare_cr": b"GET / HTTP/1.1\r\nHost: x\rX: 1\r\n\r\n",
        "nul": b"\x00\x01\x02\r\n\r\n",
        "tls": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        "ctl_value": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n",
        "obs_text": b"GET / HTTP/1.1\r\nHost: x\r\nX-A: \xc3\xa9\r\n\r\n",
        "long_target": b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
        "many_fields": b"GET / HTTP/1.1\r\nHost: x\r\n" +
                       b"".join(b"A%d: 1\r\n" % i for i in range(120)) + b"\r\n",
    }
    out = {}
    for name, h in heads.items():
        out[name] = big + h
        out[name + "_chunky"] = chunky + h
    out["small_limit"] = b"\x00" + heads["get"]
    return out


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


def main(only=None):
    for target, seeds in (("json", json_seeds()), ("router", router_seeds()),
                          ("rnokpp", rnokpp_seeds()), ("unzr", unzr_seeds()),
                          ("uuid", uuid_seeds()), ("http_head", http_head_seeds()),
                          ("cel_parse", cel_parse_seeds()), ("cel_eval", cel_eval_seeds()),
                          ("cel_tzif", cel_tzif_seeds()),
                          ("cel_textproto", cel_textproto_seeds()),
                          ("translit", translit_seeds()), ("http_pct", http_pct_seeds()),
                          ("config", config_seeds()),
                          ("portal_escape", portal_escape_seeds()),
                          ("portal_form", portal_form_seeds()),
                          ("portal_lang", portal_lang_seeds())):
        if only and target not in only:
            continue


def translit_seeds():
    return {
        "empty": b"",
        "ascii": b"Hello, World 123",
        "shevchenko": "Шевченко Тарас Григорович".encode(),
        "word_start_ye": "Єнакієве Їжакевич Йосипівка Юрій Яготин".encode(),
        "inside_ie": "Гаєвич Кадиївка Мар'їне Мацьків".encode(),
        "zgh": "Згорани Розгон".encode(),
        "apostrophes": "Знам'янка Знам\u02bcянка Знам\u2019янка".encode(),
        "soft_sign": "Львів Стрий Усть".encode(),
        "all_caps": "ЩАСЛИВИЙ ЖИТОМИР ЧЕРКАСИ".encode(),
        "mixed_case": "ЩедрийЩ щУКА".encode(),
        "all_letters": "абвгґдеєжзиіїйклмнопрстуфхцчшщьюяАБВГҐДЕЄЖЗИІЇЙКЛМНОПРСТУФХЦЧШЩЬЮЯ".encode(),
        "russian_letter": "Объём".encode(),
        "latin_extended": "Łódź".encode(),
        "bad_utf8": b"\xd0\xd0\xff",
        "truncated_utf8": "Ки".encode()[:3],
        "overlong": b"\xc0\xaf",
        "nul": b"a\x00b",
        "controls": b"\t\n\r",
        "long": ("Щ" * 2048).encode(),
    }


def http_pct_seeds():
    # first byte: 1 = '+' is a space, 2 = a decoded '/' is refused
    return {
        "empty": b"\x00",
        "plain": b"\x01purpose=pension-review",
        "plus": b"\x01a+b+c",
        "plus_kept": b"\x00a+b",
        "escaped": b"\x01%D0%9A%D0%B8%D1%97%D0%B2",
        "lower_hex": b"\x01%d0%9a",
        "slash_refused": b"\x03a%2Fb",
        "slash_allowed": b"\x01a%2Fb",
        "literal_slash": b"\x03a/b",
        "nul": b"\x01a%00b",
        "bad_hex": b"\x01%G1",
        "truncated": b"\x01abc%4",
        "percent_end": b"\x01abc%",
        "double": b"\x01%2525",
        "raw_utf8": b"\x01\xd0\x9a%20",
        "only_plus": b"\x01+",
    }


def config_seeds():
    full = (b'{"listen": "127.0.0.1:8080", "db": "sqlite:pocketstate.db", "threads": 4, '
            b'"log_file": "", "log_level": "info", "limits": {"max_header_bytes": 8192, '
            b'"max_body_bytes": 1048576, "idle_timeout_s": 30, "request_timeout_s": 30, '
            b'"max_connections": 1000, "max_per_ip": 100, "shutdown_grace_ms": 10000, '
            b'"arena_bytes": 1048576}}')
    return {
        "empty_object": b"{}",
        "empty": b"",
        "full": full,
        "ipv6": b'{"listen": "[::1]:0"}',
        "postgres": b'{"db": "postgresql://user@127.0.0.1:5432/db"}',
        "log": b'{"log_file": "logs/p.log", "log_level": "debug"}',
        "unknown_key": b'{"listn": "127.0.0.1:1"}',
        "wrong_type": b'{"threads": "4"}',
        "negative": b'{"threads": -1}',
        "huge": b'{"limits": {"max_body_bytes": 18446744073709551616}}',
        "bad_level": b'{"log_level": "loud"}',
        "bad_listen": b'{"listen": "localhost:80"}',
        "bad_port": b'{"listen": "127.0.0.1:65536"}',
        "bad_db": b'{"db": "mysql://x"}',
        "control_char": b'{"log_file": "a\\u0001b"}',
        "not_object": b"[]",
        "dup_key": b'{"threads": 1, "threads": 2}',
        "deep": b'{"limits": ' + b"[" * 64 + b"]" * 64 + b"}",
        "trailing": b"{} {}",
        "bad_utf8": b'{"log_file": "\xff"}',
        "too_large": b'{"log_file": "' + b"a" * (64 * 1024) + b'"}',
    }


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])  # target names, or all
