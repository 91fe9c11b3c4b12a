"""The portal over HTTP (pocketstate demo): every public page is UTF-8 HTML with the security
headers and one h1; the language comes from ?lang=, the cookie, then Accept-Language, and the
switch link keeps the page; static files have hashed URLs and immutable caching; unknown paths
get the HTML 404 page in a browser and problem+json otherwise; the record lookup form follows
the GOV.UK error pattern; bad input gets clear errors; an XSS payload list through the path,
the query, the language and the form field never changes the page's markup; page weight."""
import html.parser
import re
import unittest
import urllib.parse

from psserver import ServerTestCase, assert_problem, raw_exchange, run_cli, status_of

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
PAGES = ["/", "/about", "/transparency", "/transparency/record",
         "/transparency/record?number=0", "/services", "/services?q=reg&category=business",
         "/services/marriage"]
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
UK_MONTHS = "січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня"
EN_MONTHS = ("January|February|March|April|May|June|July|August|September|October|November|"
             "December")
PAYLOADS = [
    "<script>alert(1)</script>",
    "\"><img src=x onerror=alert(1)>",
    "'><svg onload=alert(1)>",
    "\" onmouseover=\"alert(1)",
    "javascript:alert(1)",
    "</title><script>alert(1)</script>",
    "</pre><script>alert(1)</script>",
    "<!--",
    "&lt;script&gt;",
    "//evil.example/",
    "Привіт <b>",
]


class Markup(html.parser.HTMLParser):
    """The page's tags with their attribute names, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.text, self.h1 = [], [], 0

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(a for a, _ in attrs))))
        self.h1 += tag == "h1"
        for a, v in attrs:
            if a in ("href", "src", "action") and v and \
                    re.match(r"\s*(javascript|data|vbscript):", v, re.I):
                raise AssertionError("dangerous URL %r" % v)

    def handle_data(self, data):
        self.text.append(data)


def markup(body):
    p = Markup()
    p.feed(body.decode("utf-8"))
    return p


class PortalTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "demo", "citizens": 50}

    def page(self, path, headers=None, status=200):
        h = dict(HTML)
        h.update(headers or {})
        r = self.server.get(path, headers=h)
        self.assertEqual(r.status, status, "%s -> %r" % (path, r))
        self.assertEqual(r.header("content-type"), "text/html; charset=utf-8", path)
        return r

    def assert_security_headers(self, r, cache="no-store"):
        self.assertEqual(r.header("content-security-policy"), CSP)
        self.assertEqual(r.header("referrer-policy"), "same-origin")
        self.assertEqual(r.header("x-content-type-options"), "nosniff")
        self.assertEqual(r.header("cache-control"), cache)
        self.assertIsNone(r.header("strict-transport-security"), "HSTS on plain http")

    # ---- pages ----

    def test_every_page_is_utf8_html_with_security_headers_and_one_h1(self):
        for path in PAGES:
            with self.subTest(path=path):
                r = self.page(path)
                self.assert_security_headers(r)
                m = markup(r.body)
                self.assertEqual(m.h1, 1, "exactly one h1")
                body = r.body.decode("utf-8")
                self.assertIn('<html lang="uk">', body)
                self.assertRegex(body, "[А-Яа-яЄєІіЇїҐґ]{4}", "Ukrainian text as UTF-8")
                self.assertNotRegex(body, r"&#x?[0-9a-fA-F]{3,};", "no numeric escapes")
                for landmark in ("<header", "<nav", "<main", "<footer", 'class="skip-link"'):
                    self.assertIn(landmark, body)

    def test_head_like_get(self):
        r = self.server.request("HEAD", "/about", headers=HTML)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body, b"")
        self.assertEqual(r.header("content-security-policy"), CSP)

    def test_demo_banner_and_people_on_the_home_page(self):
        known = self.server.known_rnokpps(limit=50)
        body = self.page("/").body.decode("utf-8")
        self.assertIn('class="tag">Демо</strong>', body)
        shown = re.findall(r'<dd>(\d{10})</dd>', body)
        self.assertGreaterEqual(len(shown), 1, body)
        for rnokpp in shown:
            self.assertIn(rnokpp, known, "a demo person who is not in the registry")
        self.assertRegex(body, r"<dd>\d{1,2} (%s) \d{4}</dd>" % UK_MONTHS)
        self.assertRegex(body, r"<dd><code>[0-9A-Z]{5}-[0-9A-Z]{5}</code></dd>", "codes")
        en = self.page("/?lang=en").body.decode("utf-8")
        self.assertRegex(en, r"<dd>\d{1,2} (%s) \d{4}</dd>" % EN_MONTHS)
        self.assertRegex(en, r'<span class="person__native" lang="uk">[^<]+</span>',
                         "Ukrainian names marked uk")

    def test_transparency_page_shows_the_checkpoint_and_how_to_verify(self):
        body = self.page("/transparency?lang=en").body.decode("utf-8")
        checkpoint = self.server.get("/checkpoint").body.decode("utf-8")
        origin, size = checkpoint.split("\n")[0], int(checkpoint.split("\n")[1])
        self.assertIn(origin, body)
        self.assertIn("<dt>Records</dt><dd>{:,}</dd>".format(size), body)
        key = self.server.get("/.well-known/pocketstate/log-key").body.decode().strip()
        # the site's address: the relying party's URL (public_url, else http://localhost:PORT)
        self.assertIn("pocketstate log verify --url http://localhost:%d --key %s"
                      % (self.server.port, key), body)

    def test_witness_and_its_cosignature_of_the_checkpoint(self):
        from test_tlog import WitnessKey  # openssl-made cosignature/v1 keys
        w = WitnessKey("witness.example/portal")
        self.addCleanup(w.close)
        r = run_cli("log", "witnesses", "--data", self.server.data, "--add", w.vkey,
                    "--reason", "portal test", env=self.server.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        for _ in range(50):  # until the checkpoint we cosigned is the one the page shows
            cp = self.server.get("/checkpoint").body
            posted = self.server.request("POST", "/api/v1/log/cosignatures",
                                         body=cp + w.cosign(cp, timestamp=1700000000))
            body = self.page("/transparency?lang=en").body.decode("utf-8")
            if posted.status == 200 and "Cosigned 14 November 2023, 22:13 UTC" in body:
                break
        self.assertIn("<code class=\"break\">%s</code>" % w.vkey, body)
        self.assertIn("<td>Cosigned 14 November 2023, 22:13 UTC</td>", body)
        uk = self.page("/transparency").body.decode("utf-8")
        self.assertRegex(uk, r"<td>(Підписано 14 листопада 2023 о 22:13 \(UTC\)|Ще ні)</td>")

    # ---- languages ----

    def lang_of(self, r):
        return re.search(r'<html lang="([a-z]+)">', r.body.decode("utf-8")).group(1)

    def test_language_from_query_cookie_and_accept_language(self):
        cases = [
            ({}, "", "uk"),
            ({"Accept-Language": "en-US,en;q=0.9"}, "", "en"),
            ({"Accept-Language": "ru;q=1, en;q=0.5"}, "", "en"),
            ({"Accept-Language": "fr"}, "", "uk"),
            ({"Accept-Language": "uk", "Cookie": "lang=en"}, "", "en"),
            ({"Accept-Language": "en", "Cookie": "other=1; lang=uk"}, "", "uk"),
            ({"Cookie": "lang=uk"}, "?lang=en", "en"),
            ({"Accept-Language": "en"}, "?lang=xx", "en"),
        ]
        for headers, query, want in cases:
            with self.subTest(headers=headers, query=query):
                self.assertEqual(self.lang_of(self.page("/about" + query, headers)), want)

    def test_lang_link_sets_the_cookie_and_keeps_the_page(self):
        r = self.page("/transparency/record?number=0")
        link = re.search(r'class="header__lang" href="([^"]+)" hreflang="en" lang="en">English',
                         r.body.decode("utf-8")).group(1)
        self.assertEqual(link, "/transparency/record?number=0&amp;lang=en")
        r = self.page(link.replace("&amp;", "&"))
        self.assertEqual(self.lang_of(r), "en")
        self.assertIn("<h2>Record 0</h2>", r.body.decode("utf-8"))
        self.assertEqual(r.header("set-cookie"),
                         "lang=en; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly")
        self.assertIsNone(self.page("/about").header("set-cookie"), "cookie only when chosen")
        self.assertIsNone(self.page("/about?lang=xx").header("set-cookie"))

    # ---- static files ----

    def test_static_files_have_hashed_urls_and_long_caching(self):
        body = self.page("/").body.decode("utf-8")
        css = re.search(r'<link rel="stylesheet" href="(/static/portal\.[0-9a-f]{10}\.css)">',
                        body).group(1)
        icon = re.search(r'href="(/static/icon\.[0-9a-f]{10}\.svg)"', body).group(1)
        for path, ctype in ((css, "text/css; charset=utf-8"), (icon, "image/svg+xml")):
            with self.subTest(path=path):
                r = self.server.get(path)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.header("content-type"), ctype)
                self.assert_security_headers(r, "public, max-age=31536000, immutable")
        r = self.server.get("/static/portal.0000000000.css", headers=HTML)
        self.assertEqual(r.status, 404)
        self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")

    def test_page_weight_under_50_kb(self):
        for path in PAGES:
            with self.subTest(path=path):
                body = self.page(path).body
                total = len(body)
                for ref in re.findall(rb'(?:href|src)="(/static/[^"]+\.(?:css|js))"', body):
                    total += len(self.server.get(ref.decode()).body)
                self.assertLess(total, 50 * 1024, "%s: %d bytes" % (path, total))

    # ---- unknown paths, methods ----

    def test_unknown_path_is_a_page_for_browsers_and_a_problem_otherwise(self):
        r = self.page("/no/such/page", status=404)
        self.assert_security_headers(r)
        body = r.body.decode("utf-8")
        self.assertIn("<h1>Сторінку не знайдено</h1>", body)
        self.assertIn("<code class=\"break\">/no/such/page</code>", body)
        assert_problem(self, self.server.get("/no/such/page"), 404)
        assert_problem(self, self.server.get("/api/no/such", headers=HTML), 404)
        assert_problem(self, self.server.get("/api", headers=HTML), 404)
        assert_problem(self, self.server.request("POST", "/no/such", body=b"{}"), 404)
        assert_problem(self, self.server.request("DELETE", "/api/v1/nothing"), 404)

    def test_known_path_other_method_is_405_with_allow(self):
        r = self.server.request("POST", "/healthz", body=b"")
        assert_problem(self, r, 405)
        self.assertIn("GET", r.header("allow"))
        r = self.server.request("POST", "/about", headers=HTML, body=b"")
        self.assertEqual(r.status, 405)
        self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")
        self.assertIn("GET", r.header("allow"))
        r = self.server.request("PUT", "/api/v1/registry/persons/3443818003", body=b"{}")
        assert_problem(self, r, 405)

    # ---- the record lookup form ----

    def test_record_form_errors_the_gov_uk_way(self):
        cases = [("", "Введіть номер запису"),
                 ("abc", "Введіть номер запису цифрами, наприклад 15"),
                 ("123456789012345678901", "Номер запису: не більше ніж 20 символів"),
                 ("999999", "Запису 999\u00a0999 ще немає: у журналі ")]
        for value, message in cases:
            with self.subTest(value=value):
                r = self.page("/transparency/record?number=" + urllib.parse.quote(value),
                              status=400)
                body = r.body.decode("utf-8")
                self.assertRegex(body, r"<title>Помилка: Знайти запис")
                self.assertIn('<a href="#number">' + message, body)
                self.assertIn('<p class="field__error" id="number-error"><span '
                              'class="visually-hidden">Помилка:</span> ' + message, body)
                self.assertIn('value="%s"' % value, body, "the value typed is kept")
                self.assertIn('aria-describedby="number-hint number-error" aria-invalid="true"',
                              body)
        en = self.page("/transparency/record?lang=en&number=999999", status=400)
        self.assertRegex(en.body.decode("utf-8"), r"the log holds \d+ records?<")

    def test_record_shown(self):
        body = self.page("/transparency/record?number=0&lang=en").body.decode("utf-8")
        self.assertIn("<h2>Record 0</h2>", body)
        self.assertRegex(body, r"<dt>Time</dt><dd>\d{1,2} (%s) \d{4}, \d\d:\d\d UTC</dd>"
                         % EN_MONTHS)
        self.assertNotIn("error-summary", body)

    # ---- bad input ----

    def test_bad_query_gets_a_clear_page(self):
        for query, status in (("number=%FF", 400), ("number=%00", 400), ("number=%zz", 400),
                              ("&".join("a%d=1" % i for i in range(70)), 413)):
            with self.subTest(query=query[:30]):
                r = self.page("/transparency/record?" + query, status=status)
                self.assert_security_headers(r)
                self.assertEqual(markup(r.body).h1, 1)

    def test_raw_non_utf8_in_the_path_never_reaches_a_page_unescaped(self):
        raw, _ = raw_exchange(self.server, b"GET /caf\xe9/<b> HTTP/1.1\r\nHost: x\r\n"
                              b"Accept: text/html\r\nConnection: close\r\n\r\n")
        self.assertIn(status_of(raw), (400, 404), raw[:200])
        self.assertNotIn(b"<b>", raw.split(b"\r\n\r\n", 1)[-1])

    def test_xss_payloads_never_change_the_markup(self):
        def tags(path):
            r = self.server.get(path, headers=HTML)
            self.assertIn(r.status, (200, 400, 404), "%s -> %r" % (path, r))
            if r.header("content-type") == "application/problem+json":
                # refused by the router before any page (a %2F in a path segment): JSON only
                self.assertEqual(r.status, 404)
                return "not rendered"
            body = r.body.decode("utf-8")
            for p in PAYLOADS:
                if "<" in p or '"' in p:
                    self.assertNotIn(p, body, path)
            return markup(r.body).tags

        places = [
            lambda v: "/" + urllib.parse.quote(v, safe=""),
            lambda v: "/about?x=" + urllib.parse.quote(v, safe=""),
            lambda v: "/about?" + urllib.parse.quote(v, safe="") + "=1",
            lambda v: "/about?lang=" + urllib.parse.quote(v, safe=""),
            lambda v: "/transparency/record?number=" + urllib.parse.quote(v, safe=""),
            lambda v: "/nope?q=" + urllib.parse.quote(v, safe=""),
        ]
        for i, place in enumerate(places):
            ref = tags(place("xyz"))
            for p in PAYLOADS:
                with self.subTest(place=i, payload=p):
                    got = tags(place(p))
                    if got != "not rendered":
                        self.assertEqual(got, ref)

    # ---- the API speaks UTF-8 too ----

    def test_ukrainian_in_the_json_api_is_not_u_escaped(self):
        rnokpp = self.server.known_rnokpps(limit=1)[0]
        r = self.server.get("/api/v1/registry/persons/" + rnokpp, auth=True)
        self.assertEqual(r.status, 200)
        self.assertRegex(r.body.decode("utf-8"), "[А-Яа-яЄєІіЇїҐґ]")
        self.assertNotIn(b"\\u04", r.body)


if __name__ == "__main__":
    unittest.main()
