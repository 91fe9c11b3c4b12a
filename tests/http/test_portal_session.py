"""The portal's signed-in pages over HTTP (pocketstate demo): pages that need a session send a
browser to sign in (303 with `next`) and answer other clients 401; enrolment through the pages
with a software authenticator (tests/tools/ps_authn) reading the creation options the page
carries, sign-in with the assertion posted as a form, sign-out; the demo's one-click sign-in
(refused for anyone but the demo people); every form needs this site's Origin (one check, the
dispatcher's); a session that ended mid-form comes back with the form's values (the draft
cookie); an official's lookup is recorded and the citizen sees it in "who used my data", marked
as included in the public log once the server has checked its proof; passkeys renamed and
removed, sessions ended; forms the GOV.UK way; bad input; nothing rendered unescaped."""
import html
import http.client
import os
import re
import subprocess
import time
import unittest
import urllib.parse

from psserver import HOST, PS_BIN, ServerTestCase, assert_problem

TOOLS = os.path.join(os.path.dirname(os.path.abspath(PS_BIN)), "tests", "tools")
PS_AUTHN = os.path.join(TOOLS, "ps_authn")
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"
FORM = "application/x-www-form-urlencoded"


class Browser:
    """Just enough of a browser: cookies (every Set-Cookie kept, Max-Age=0 forgets), Accept
    text/html, and forms posted with this site's Origin as browsers send them."""

    def __init__(self, server, lang="en"):
        self.server, self.lang = server, lang
        self.origin = "http://localhost:%d" % server.port
        self.cookies = {}

    def request(self, method, path, body=None, headers=None, origin=True):
        h = {"Accept": HTML, "Accept-Language": self.lang, "User-Agent": "test-browser/1.0"}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if method == "POST":
            h["Content-Type"] = FORM
            if origin:
                h["Origin"] = self.origin
        h.update(headers or {})
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body).encode()
        conn = http.client.HTTPConnection(HOST, self.server.port, timeout=15)
        try:
            conn.request(method, path, body=body, headers=h)
            r = conn.getresponse()
            data = r.read()
            set_cookies = [v for k, v in r.getheaders() if k.lower() == "set-cookie"]
            for c in set_cookies:
                name, _, rest = c.partition("=")
                value = rest.split(";")[0]
                if "Max-Age=0" in c or value == "":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = value
            return Page(r.status, {k.lower(): v for k, v in r.getheaders()}, data, set_cookies)
        finally:
            conn.close()

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, fields, **kw):
        return self.request("POST", path, body=fields, **kw)


class Page:
    def __init__(self, status, headers, body, set_cookies):
        self.status, self.headers, self.body, self.set_cookies = status, headers, body, set_cookies
        self.text = body.decode("utf-8", "replace")

    def header(self, name):
        return self.headers.get(name)

    def main(self):
        m = re.search(r"<main.*?</main>", self.text, re.S)
        return m.group(0) if m else ""

    def title(self):
        return html.unescape(re.search(r"<title>(.*?)</title>", self.text, re.S).group(1))

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.headers.get("location"), self.body[:400])


def tool(*args, stdin=None):
    r = subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (args[0], r.returncode, r.stderr))
    return r.stdout


class PortalSessionTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "demo", "citizens": 60}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        home = Browser(cls.server).get("/")
        # the demo people from the home page: RNOKPP, birth date, code, role
        cards = re.findall(r'<li class="person">(.*?)</li>', home.text, re.S)
        cls.people = []
        for c in cards:
            rnokpp = re.search(r"<dd>(\d{10})</dd>", c).group(1)
            code = re.search(r"<code>([0-9A-Z-]{11})</code>", c).group(1)
            cls.people.append({"rnokpp": rnokpp, "code": code, "official": "Official:" in c})
        cls.official = next(p for p in cls.people if p["official"])
        cls.citizens = [p for p in cls.people if not p["official"]]

    def demo(self, person, lang="en", next_="/me"):
        b = Browser(self.server, lang)
        r = b.post("/signin/demo", {"rnokpp": person["rnokpp"], "next": next_})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.header("location"), next_)
        self.assertIn("ps_session", b.cookies)
        return b

    def birth_of(self, rnokpp):
        r = self.server.get("/api/v1/registry/persons/%s?purpose=test-setup" % rnokpp, auth=True)
        return r.json()["birth_date"]

    # ---- sessions on pages ----

    def test_pages_that_need_a_session_send_browsers_to_sign_in(self):
        b = Browser(self.server)
        r = b.get("/me")
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.header("location"), "/signin?next=%2Fme")
        r = b.get("/me/access?period=week&org=pfu")
        self.assertEqual(r.header("location"), "/signin?next=%2Fme%2Faccess%3Fperiod%3Dweek%26org%3Dpfu")
        page = b.get(r.header("location"))
        self.assertEqual(page.status, 200, page)
        self.assertIn('name="next" value="/me/access?period=week&amp;org=pfu"', page.text)
        # an API client (no HTML wanted) gets the API's answer
        assert_problem(self, self.server.get("/me"), 401)
        # `next` never leaves the site
        for bad in ("//evil.example/", "/\\evil.example", "https://evil.example/", "/signin"):
            page = b.get("/signin?next=" + urllib.parse.quote(bad, safe=""))
            self.assertIn('name="next" value=""', page.text, bad)

    def test_a_cookie_that_does_not_validate_is_cleared_and_the_page_served_to_anyone(self):
        b = Browser(self.server)
        b.cookies["ps_session"] = "ps_sess_" + "A" * 43
        r = b.get("/about")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(any(c.startswith("ps_session=;") and "Max-Age=0" in c
                            for c in r.set_cookies), r.set_cookies)
        self.assertNotIn("Signed in as", r.text)

    def test_header_and_navigation_of_a_signed_in_person(self):
        b = self.demo(self.official)
        page = b.get("/about")
        self.assertIn("Signed in as ", page.text)
        self.assertIn('action="/signout"', page.text)
        for href in ("/me", "/me/access", "/me/passkeys", "/me/sessions", "/official"):
            self.assertIn('href="%s"' % href, page.text)
        citizen = self.demo(self.citizens[0])
        self.assertNotIn('href="/official"', citizen.get("/about").text, "work area for officials only")
        home = citizen.get("/")
        self.assertNotIn('href="/enrol"', home.main(), "signed in: no enrol entry point")
        self.assertIn('href="/enrol"', Browser(self.server).get("/").main())

    # ---- enrolment and sign-in through the pages ----

    def test_enrol_with_a_passkey_sign_out_and_sign_in_again(self):
        p = self.citizens[-1]
        birth = self.birth_of(p["rnokpp"])
        year, month, day = birth.split("-")
        b = Browser(self.server)
        step2 = b.post("/enrol", {"rnokpp": p["rnokpp"], "birth-day": day.lstrip("0"),
                                  "birth-month": month, "birth-year": year, "code": p["code"].lower()})
        self.assertEqual(step2.status, 200, step2)
        self.assertIn('data-passkey="create"', step2.text)
        self.assertIn("/static/passkey.", step2.text)
        options = html.unescape(re.search(r'data-options-json="([^"]*)"', step2.text).group(1))
        key = os.path.join(self.server.data, "page-key")
        reg = tool(PS_AUTHN, "create", "--key", key, "--origin", b.origin,
                   stdin='{"publicKey": %s}' % options)
        r = b.post("/enrol/passkey", {"credential": reg})
        self.assertEqual(r.status, 303, r)
        self.assertEqual(r.header("location"), "/me?notice=enrolled")
        cookie = next(c for c in r.set_cookies if c.startswith("ps_session="))
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, cookie)
        me = b.get("/me?notice=enrolled")
        self.assertEqual(me.status, 200, me)
        self.assertIn(p["rnokpp"], me.main())
        self.assertIn('role="status"', me.main())
        old = dict(b.cookies)
        out = b.post("/signout", {})
        self.assertEqual((out.status, out.header("location")), (303, "/?notice=signed-out"))
        self.assertNotIn("ps_session", b.cookies)
        self.assertIn("You have signed out.", b.get("/?notice=signed-out").text)
        # the old cookie no longer opens anything
        stale = Browser(self.server)
        stale.cookies.update(old)
        self.assertEqual(stale.get("/me").status, 303)
        # sign in with the passkey: the options from the API, the assertion posted as the form
        options = self.server.request("POST", "/api/v1/auth/signin/options",
                                      headers={"Content-Type": "application/json"}, body=b"{}")
        assertion = tool(PS_AUTHN, "get", "--key", key, "--origin", b.origin,
                         stdin=options.body.decode())
        r = b.post("/signin", {"credential": assertion, "next": "/me/passkeys"})
        self.assertEqual((r.status, r.header("location")), (303, "/me/passkeys"), r)
        keys = b.get("/me/passkeys")
        self.assertEqual(keys.status, 200)
        self.assertIn("Used for this session", keys.text)
        # the same assertion again: its challenge is used
        again = Browser(self.server).post("/signin", {"credential": assertion})
        self.assertEqual(again.status, 400, again)
        self.assertTrue(again.title().startswith("Error:"), again.title())
        self.assertIn('href="#signin"', again.text)

    def test_sign_in_without_a_credential_explains(self):
        r = Browser(self.server).post("/signin", {"username": "", "credential": "", "next": "/me"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("did not send a passkey", r.main())
        r = Browser(self.server).post("/signin", {"credential": "{not json"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("could not be checked", r.main())

    def test_enrol_form_errors_the_gov_uk_way(self):
        b = Browser(self.server)
        r = b.post("/enrol", {"rnokpp": "", "birth-day": "", "birth-month": "", "birth-year": "",
                              "code": ""})
        self.assertEqual(r.status, 400, r)
        self.assertEqual(r.title(), "Error: Enrol with your activation code – PocketState")
        for anchor in ("#rnokpp", "#birth-day", "#code"):
            self.assertIn('href="%s"' % anchor, r.text)
        r = b.post("/enrol", {"rnokpp": "12345<b>", "birth-day": "31", "birth-month": "2",
                              "birth-year": "1990", "code": "7KQ3M-9XD2"})
        self.assertEqual(r.status, 400)
        self.assertIn("must be a real date", r.text)
        self.assertIn('value="12345&lt;b&gt;"', r.text, "the value typed is kept, escaped")
        self.assertIn('aria-invalid="true"', r.text)
        r = b.post("/enrol", {"rnokpp": self.citizens[0]["rnokpp"], "birth-day": "1",
                              "birth-month": "2", "birth-year": "3000",
                              "code": "7KQ3M-9XD2H"})
        self.assertIn("must be in the past", r.text)
        # well formed but wrong: one answer, whatever did not match (a try is counted)
        p = self.citizens[0]
        y, m, d = self.birth_of(p["rnokpp"]).split("-")
        r = b.post("/enrol", {"rnokpp": p["rnokpp"], "birth-day": d, "birth-month": m,
                              "birth-year": y, "code": "7KQ3M-9XD2H"})
        self.assertEqual(r.status, 400, r)
        self.assertIn("do not match", r.text)
        # step 2 without a credential (no JavaScript): back to step 1, explained
        r = b.post("/enrol/passkey", {"credential": ""})
        self.assertEqual(r.status, 400)
        self.assertIn("did not create a passkey", r.text)

    # ---- the demo's one click ----

    def test_demo_sign_in_only_for_the_demo_people(self):
        other = next(r for r in self.server.known_rnokpps(limit=20)
                     if r not in [p["rnokpp"] for p in self.people])
        r = Browser(self.server).post("/signin/demo", {"rnokpp": other})
        self.assertEqual(r.status, 403, r)
        self.assertIn("only for the demonstration", r.text)

    # ---- CSRF: one check, the dispatcher's ----

    def test_forms_need_this_sites_origin(self):
        p = self.citizens[0]
        for headers in ({}, {"Origin": "http://evil.example"}, {"Origin": "null"},
                        {"Sec-Fetch-Site": "cross-site"}):
            b = Browser(self.server)
            r = b.request("POST", "/signin/demo", body={"rnokpp": p["rnokpp"]}, origin=False,
                          headers=headers)
            self.assertEqual(r.status, 403, (headers, r))
            self.assertIn("sent from another website", r.text)
            self.assertNotIn("ps_session", b.cookies)
        b = Browser(self.server)
        r = b.request("POST", "/signin/demo", body={"rnokpp": p["rnokpp"]}, origin=False,
                      headers={"Sec-Fetch-Site": "same-origin"})
        self.assertEqual(r.status, 303, r)
        # signed in: a cross-site change is refused the same way
        r = b.request("POST", "/signout", body={}, origin=False,
                      headers={"Origin": "http://evil.example"})
        self.assertEqual(r.status, 403)
        self.assertIn("ps_session", b.cookies)

    def test_bad_form_bodies_get_clear_pages(self):
        b = self.demo(self.official)
        r = b.request("POST", "/official", body=b"rnokpp=%FF&purpose=x")
        self.assertEqual(r.status, 400, r)
        r = b.request("POST", "/official", body=b'{"rnokpp": "1"}',
                      headers={"Content-Type": "application/json"})
        self.assertEqual(r.status, 415, r)
        r = b.request("POST", "/official", body=b"purpose=" + b"a" * (20 * 1024))
        self.assertEqual(r.status, 413, r)
        self.assertIn("text/html", r.header("content-type"))

    # ---- a session that ends mid-form ----

    def test_session_ended_mid_form_comes_back_with_the_values(self):
        b = self.demo(self.official)
        b.post("/signout", {})
        b.cookies["ps_session"] = "ps_sess_" + "B" * 43  # the tab still sends an ended session
        fields = {"rnokpp": self.citizens[0]["rnokpp"], "purpose": "case <7> review"}
        r = b.post("/official", fields)
        self.assertEqual((r.status, r.header("location")), (303, "/signin?next=%2Fofficial"), r)
        self.assertIn("ps_draft", b.cookies)
        self.assertTrue(all("HttpOnly" in c and "SameSite=Strict" in c
                            for c in r.set_cookies if c.startswith("ps_draft=")))
        signin = b.get(r.header("location"))
        self.assertIn('name="next" value="/official"', signin.text)
        r = b.post("/signin/demo", {"rnokpp": self.official["rnokpp"], "next": "/official"})
        self.assertEqual(r.header("location"), "/official")
        form = b.get("/official")
        self.assertIn('value="%s"' % fields["rnokpp"], form.text)
        self.assertIn('value="case &lt;7&gt; review"', form.text)
        self.assertIn("the form was not sent", form.text)
        self.assertNotIn("ps_draft", b.cookies, "a draft is read once")
        self.assertNotIn("case &lt;7&gt;", b.get("/official").text)

    # ---- the official's lookup and what the citizen sees ----

    def test_official_lookup_is_recorded_and_the_citizen_sees_it_included(self):
        citizen = self.citizens[1]
        off = self.demo(self.official)
        area = off.get("/official")
        self.assertEqual(area.status, 200, area)
        self.assertIn("registrar", area.main())
        self.assertIn("Pension Fund", area.main())
        self.assertIn("will see this read", area.main())
        r = off.post("/official", {"rnokpp": "", "purpose": ""})
        self.assertEqual(r.status, 400)
        self.assertIn('href="#purpose"', r.text)
        r = off.post("/official", {"rnokpp": "3443818000", "purpose": "x"})
        self.assertIn("10 digits", r.main())
        r = off.post("/official", {"rnokpp": citizen["rnokpp"], "purpose": "pension review"})
        self.assertEqual(r.status, 200, r)
        self.assertIn("This read was recorded on", r.main())
        self.assertIn(citizen["rnokpp"], r.main())
        # a citizen has no work area
        mine = self.demo(citizen, next_="/me/access")
        self.assertEqual(mine.get("/official").status, 403)
        self.assertEqual(mine.post("/official", {"rnokpp": citizen["rnokpp"],
                                                 "purpose": "x"}).status, 403)
        for _ in range(60):  # the integrator sequences records about a second after commit
            page = mine.get("/me/access")
            if re.search(r"An official of the Pension Fund of Ukraine, role registrar, read your "
                         r"record on [^<]*, purpose: pension review"
                         r"</p>\s*<p class=\"record__status\"><strong class=\"badge badge--ok\">",
                         page.text):
                break
            time.sleep(0.25)
        else:
            self.fail("the official's read is not shown as included: %s" % page.main()[:3000])
        self.assertIn("Checked against the log’s signed checkpoint", page.text)
        uk = Browser(self.server, "uk")
        uk.cookies.update(mine.cookies)
        self.assertIn("Посадова особа (Пенсійний фонд України, роль: реєстратор): перегляд вашого "
                      "запису; мета: pension review", uk.get("/me/access").text)
        # filters: a period that excludes nothing, an organisation, a bad cursor
        self.assertIn("pension review", mine.get("/me/access?period=week").text)
        self.assertIn("pension review", mine.get("/me/access?org=pfu").text)
        other_org = mine.get("/me/access?org=dps")
        self.assertNotIn("pension review", other_org.text)
        self.assertIn('<option value="dps" selected="selected">', other_org.text)
        self.assertEqual(mine.get("/me/access?before=not-an-id").status, 400)

    # ---- passkeys and sessions ----

    def test_passkeys_renamed_not_removed_when_last_and_sessions_ended(self):
        b = self.demo(self.citizens[0], next_="/me/passkeys")
        other = self.demo(self.citizens[0])  # a second session of the same person
        keys = b.get("/me/passkeys")
        pid = re.search(r'href="/me/passkeys/([0-9a-f-]{36})/rename"', keys.text).group(1)
        form = b.get("/me/passkeys/%s/rename" % pid)
        self.assertEqual(form.status, 200)
        r = b.post("/me/passkeys/%s/rename" % pid, {"name": ""})
        self.assertEqual(r.status, 400)
        self.assertIn('href="#name"', r.text)
        evil = '<script>alert(1)</script>"'
        r = b.post("/me/passkeys/%s/rename" % pid, {"name": evil})
        self.assertEqual((r.status, r.header("location")), (303, "/me/passkeys?notice=renamed"))
        listed = b.get("/me/passkeys?notice=renamed")
        self.assertIn("<td>&lt;script&gt;alert(1)&lt;/script&gt;\" <strong", listed.text)
        self.assertNotIn("<script>alert", listed.text)
        self.assertIn("has been renamed", listed.text)
        self.assertEqual(b.get("/me/passkeys/%s/remove" % pid).status, 409, "the only passkey")
        self.assertEqual(b.get("/me/passkeys/00000000-0000-7000-8000-000000000000/rename").status,
                         404)
        sessions = b.get("/me/sessions")
        self.assertIn("This device", sessions.text)
        ids = re.findall(r'name="id" value="([0-9a-f-]{36})"', sessions.text)
        self.assertGreaterEqual(len(ids), 2)
        # end the other session: it is signed out
        mine = re.search(r'value="([0-9a-f-]{36})">\s*<button[^>]*>Sign out here', sessions.text)
        other_id = next(i for i in ids if i != mine.group(1))
        r = b.post("/me/sessions", {"id": other_id})
        self.assertEqual(r.header("location"), "/me/sessions?notice=session-ended")
        self.assertEqual(other.get("/me").status, 303)
        # end this one: signed out here
        r = b.post("/me/sessions", {"id": mine.group(1)})
        self.assertEqual(r.header("location"), "/?notice=signed-out")
        self.assertNotIn("ps_session", b.cookies)

    def test_signed_in_pages_are_html_with_headers_and_under_50_kb(self):
        b = self.demo(self.official)
        self.assertEqual(b.get("/signin?next=/me/sessions").header("location"), "/me/sessions",
                         "signed in: on to where they were going")
        for path in ("/me", "/me/access", "/me/passkeys", "/me/sessions", "/official", "/enrol"):
            with self.subTest(path=path):
                r = b.get(path)
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("content-type"), "text/html; charset=utf-8")
                self.assertEqual(r.header("cache-control"), "no-store")
                self.assertIn("default-src 'self'", r.header("content-security-policy"))
                self.assertEqual(r.text.count("<h1"), 1)
                self.assertLess(len(r.body), 50 * 1024)


if __name__ == "__main__":
    unittest.main()
