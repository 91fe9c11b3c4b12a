"""Identity against the real binary: activation codes, passkey enrolment and sign-in with a
software authenticator speaking standard WebAuthn JSON (tests/tools/ps_authn), sessions as
bearer tokens and cookies (with the Origin check), the person's own record, access log,
passkeys and sessions; an official's read seen by the citizen; agency systems signing their
requests (tests/tools/ps_httpsig); every refusal with its own problem type."""
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.parse

from psserver import PS_BIN, ServerTestCase, assert_problem

TOOLS = os.path.join(os.path.dirname(os.path.abspath(PS_BIN)), "tests", "tools")
PS_AUTHN = os.path.join(TOOLS, "ps_authn")
PS_HTTPSIG = os.path.join(TOOLS, "ps_httpsig")
JSON = {"Content-Type": "application/json"}


def tool(*args, stdin=None):
    r = subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (args[0], r.returncode, r.stderr))
    return r.stdout


class Person:
    """A demo person and the passkey file of their authenticator."""

    def __init__(self, rnokpp, birth, keydir):
        self.rnokpp, self.birth = rnokpp, birth
        self.key = os.path.join(keydir, "key-%s-%d" % (rnokpp, time.monotonic_ns()))
        self.token = None


class IdentityTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "demo", "citizens": 200}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keydir = tempfile.mkdtemp(prefix="ps-keys-")
        cls.origin = "http://localhost:%d" % cls.server.port
        cls.people = []
        for r in cls.server.known_rnokpps(limit=30):
            p = cls.server.get("/api/v1/registry/persons/%s?purpose=test-setup" % r, auth=True)
            body = p.json()
            if p.status == 200 and body["status"] == "alive" and body["birth_date"] < "2006":
                cls.people.append((r, body["birth_date"], body["address"]["oblast"]))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.keydir, ignore_errors=True)
        super().tearDownClass()

    # ---- helpers ----
    def post(self, path, body, headers=None, raw=False):
        hdrs = dict(JSON)
        hdrs.update(headers or {})
        data = body if raw else json.dumps(body).encode()
        return self.server.request("POST", path, headers=hdrs, body=data)

    def bearer(self, token):
        return {"Authorization": "Bearer " + token}

    def code_for(self, rnokpp):
        r = self.post("/api/v1/registry/persons/%s/activation-codes" % rnokpp,
                      {"reason": "identity checked"}, headers=self.bearer(self.server.token))
        self.assertEqual(r.status, 201, r)
        return r.json()["code"]

    def person(self, i):
        rnokpp, birth, _ = self.people[i]
        return Person(rnokpp, birth, self.keydir)

    def enrol_options(self, p, code):
        return self.post("/api/v1/auth/enrol/options",
                         {"rnokpp": p.rnokpp, "birth_date": p.birth, "activation_code": code})

    def enrol(self, p, origin=None, alg="es256"):
        r = self.enrol_options(p, self.code_for(p.rnokpp))
        self.assertEqual(r.status, 200, r)
        reg = tool(PS_AUTHN, "create", "--key", p.key, "--origin", origin or self.origin,
                   "--alg", alg, stdin=r.body.decode())
        return self.post("/api/v1/auth/enrol", reg.encode(), raw=True)

    def signin(self, p, key=None, origin=None):
        r = self.post("/api/v1/auth/signin/options", {})
        self.assertEqual(r.status, 200, r)
        assertion = tool(PS_AUTHN, "get", "--key", key or p.key, "--origin",
                         origin or self.origin, stdin=r.body.decode())
        return self.post("/api/v1/auth/signin", assertion.encode(), raw=True), assertion

    def enrolled(self, i, alg="es256"):
        p = self.person(i)
        r = self.enrol(p, alg=alg)
        self.assertEqual(r.status, 201, r)
        p.token = r.json()["token"]
        return p

    # ---- enrolment, sign-in, self-service ----
    def test_enrol_sign_in_and_read_own_data(self):
        p = self.person(0)
        r = self.enrol(p)
        self.assertEqual(r.status, 201, r)
        grant = r.json()
        self.assertTrue(grant["token"].startswith("ps_sess_"))
        self.assertEqual(grant["rnokpp"], p.rnokpp)
        cookie = r.header("set-cookie")
        self.assertIn("ps_session=ps_sess_", cookie)
        for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
            self.assertIn(attr, cookie)
        r, _ = self.signin(p)
        self.assertEqual(r.status, 200, r)
        token = r.json()["token"]
        self.assertNotEqual(token, grant["token"], "a new token at every sign-in")
        me = self.server.get("/api/v1/me", headers=self.bearer(token))
        self.assertEqual(me.status, 200, me)
        self.assertEqual(me.json()["person"]["rnokpp"], p.rnokpp)
        self.assertIn("no-store", me.header("cache-control"))
        self.assertNotIn(b"\\u04", me.body, "Ukrainian text as UTF-8, not \\u escapes")
        keys = self.server.get("/api/v1/me/passkeys", headers=self.bearer(token)).json()
        self.assertEqual(len(keys["passkeys"]), 1)
        sessions = self.server.get("/api/v1/me/sessions", headers=self.bearer(token)).json()
        self.assertEqual(len(sessions["sessions"]), 2)
        self.assertEqual(sum(1 for s in sessions["sessions"] if s["current"]), 1)
        # the last passkey cannot go; renaming is fine
        kid = keys["passkeys"][0]["id"]
        assert_problem(self, self.server.request(
            "DELETE", "/api/v1/me/passkeys/" + kid, headers=self.bearer(token)), 409)
        r = self.server.request("PATCH", "/api/v1/me/passkeys/" + kid,
                                headers=dict(JSON, **self.bearer(token)),
                                body=json.dumps({"name": "Мій телефон"}).encode())
        self.assertEqual(r.status, 204, r)
        # signing out ends the session
        self.assertEqual(self.post("/api/v1/auth/signout", {}, headers=self.bearer(token)).status,
                         204)
        r = self.server.get("/api/v1/me", headers=self.bearer(token))
        assert_problem(self, r, 401)
        self.assertTrue(r.json()["type"].endswith("/session-invalid"), r.json())

    def test_second_passkey_and_removal_ends_its_sessions(self):
        p = self.enrolled(1)
        first = p.token
        p2 = Person(p.rnokpp, p.birth, self.keydir)
        r = self.enrol_options(p2, self.code_for(p.rnokpp))
        self.assertEqual(r.status, 200, r)
        excl = r.json()["publicKey"]["excludeCredentials"]
        self.assertEqual(len(excl), 1, "the person's passkey is excluded")
        reg = tool(PS_AUTHN, "create", "--key", p2.key, "--origin", self.origin,
                   stdin=r.body.decode())
        r = self.post("/api/v1/auth/enrol", reg.encode(), raw=True)
        self.assertEqual(r.status, 201, r)
        second = r.json()["token"]
        keys = self.server.get("/api/v1/me/passkeys", headers=self.bearer(second)).json()
        self.assertEqual(len(keys["passkeys"]), 2)
        oldest = keys["passkeys"][0]["id"]
        r = self.server.request("DELETE", "/api/v1/me/passkeys/" + oldest,
                                headers=self.bearer(second))
        self.assertEqual(r.status, 204, r)
        assert_problem(self, self.server.get("/api/v1/me", headers=self.bearer(first)), 401)
        self.assertEqual(self.server.get("/api/v1/me", headers=self.bearer(second)).status, 200)

    def test_officials_read_is_seen_by_the_citizen(self):
        citizen = self.enrolled(2)
        official = self.person(3)
        oblast = self.people[2][2]
        r = self.post("/api/v1/agencies/pfu/roles",
                      {"rnokpp": official.rnokpp, "role": "registrar", "oblast": oblast,
                       "reason": "appointed"}, headers=self.bearer(self.server.token))
        self.assertEqual(r.status, 201, r)
        r = self.enrol(official)
        self.assertEqual(r.status, 201, r)
        official.token = r.json()["token"]
        me = self.server.get("/api/v1/me", headers=self.bearer(official.token)).json()
        self.assertEqual(me["roles"][0]["role"], "registrar")
        r = self.server.get("/api/v1/registry/persons/%s?purpose=%s" % (
            citizen.rnokpp, urllib.parse.quote("pension review")),
            headers=self.bearer(official.token))
        self.assertEqual(r.status, 200, r)
        log = self.server.get("/api/v1/me/access-log", headers=self.bearer(citizen.token)).json()
        reads = [e for e in log["entries"] if e["action"] == "person.read"
                 and e["purpose"] == "pension review"]
        self.assertEqual(len(reads), 1, log)
        # the role and agency the official used; their own number is not shown to the citizen
        self.assertEqual(reads[0]["actor"], {"kind": "official", "role": "registrar",
                                             "agency": "pfu"})
        admin = self.server.get("/api/v1/registry/persons/%s/access-log" % citizen.rnokpp,
                                headers=self.bearer(self.server.token)).json()
        seen = [e for e in admin["entries"] if e["purpose"] == "pension review"]
        self.assertEqual(seen[0]["actor"]["id"], official.rnokpp)
        self.assertEqual(seen[0]["actor"]["role"], "registrar")
        # the administrator's read of the log is itself on the citizen's record
        log = self.server.get("/api/v1/me/access-log", headers=self.bearer(citizen.token)).json()
        self.assertEqual(log["entries"][0]["action"], "access-log.read", log["entries"][0])
        self.assertEqual(log["entries"][0]["actor"]["kind"], "admin")
        # the citizen reading their own data is not recorded
        before = len(log["entries"])
        self.server.get("/api/v1/me", headers=self.bearer(citizen.token))
        log = self.server.get("/api/v1/me/access-log", headers=self.bearer(citizen.token)).json()
        self.assertEqual(len(log["entries"]), before)
        # another oblast's registrar is refused, and the refusal is on record
        other = [x for x in self.people if x[2] != oblast]
        if other:
            r = self.server.get("/api/v1/registry/persons/%s?purpose=x" % other[0][0],
                                headers=self.bearer(official.token))
            assert_problem(self, r, 403)
        # a citizen cannot read someone else
        r = self.server.get("/api/v1/registry/persons/%s" % official.rnokpp,
                            headers=self.bearer(citizen.token))
        assert_problem(self, r, 403)

    def test_demo_one_click_sign_in_only_for_demo_people(self):
        with open(self.server.log_path, encoding="utf-8", errors="replace") as f:
            lines = [l.split() for l in f if " born " in l and " code " in l]
        self.assertTrue(lines, "the demo printed no people")
        demo = lines[-1][0]
        r = self.post("/api/v1/auth/demo", {"rnokpp": demo})
        self.assertEqual(r.status, 200, r)
        token = r.json()["token"]
        self.assertEqual(self.server.get("/api/v1/me", headers=self.bearer(token)).json()
                         ["person"]["rnokpp"], demo)
        others = [x[0] for x in self.people if x[0] not in [l[0] for l in lines]]
        self.assert_type(self.post("/api/v1/auth/demo", {"rnokpp": others[0]}), 403,
                         "demo-only")

    # ---- refusals, each with its own type ----
    def assert_type(self, r, status, slug):
        p = assert_problem(self, r, status)
        self.assertTrue(p["type"].endswith("/" + slug), "%s: %r" % (slug, p))

    def test_activation_code_mismatch_and_five_wrong_tries(self):
        p = self.person(4)
        code = self.code_for(p.rnokpp)
        wrong_birth = Person(p.rnokpp, "1900-01-01", self.keydir)
        self.assert_type(self.enrol_options(wrong_birth, code), 403, "activation-invalid")
        for i in range(4):
            self.assert_type(self.enrol_options(p, "0000000000"), 403, "activation-invalid")
        self.assert_type(self.enrol_options(p, code), 403, "activation-invalid")  # dead now
        self.assertEqual(self.enrol_options(p, self.code_for(p.rnokpp)).status, 200)

    def test_ceremony_refusals(self):
        p = self.person(5)
        self.assert_type(self.enrol(p, origin="https://evil.example"), 401,
                         "webauthn-bad-origin")
        p = self.person(5)
        r = self.enrol_options(p, self.code_for(p.rnokpp))
        reg = tool(PS_AUTHN, "create", "--key", p.key, "--origin", self.origin,
                   stdin=r.body.decode())
        self.assertEqual(self.post("/api/v1/auth/enrol", reg.encode(), raw=True).status, 201)
        self.assert_type(self.post("/api/v1/auth/enrol", reg.encode(), raw=True), 400,
                         "challenge-unknown")
        r, assertion = self.signin(p)
        self.assertEqual(r.status, 200, r)
        self.assert_type(self.post("/api/v1/auth/signin", assertion.encode(), raw=True), 400,
                         "challenge-unknown")
        stranger = Person(p.rnokpp, p.birth, self.keydir)
        tool(PS_AUTHN, "create", "--key", stranger.key, "--origin", self.origin,
             stdin=self.post("/api/v1/auth/signin/options", {}).body.decode().replace(
                 '"allowCredentials":[]', '"rp":{"id":"localhost","name":"x"},"user":{"id":'
                 '"AAAA","name":"x","displayName":"x"},"pubKeyCredParams":[{"type":'
                 '"public-key","alg":-7}]'))
        r, _ = self.signin(stranger)
        self.assert_type(r, 401, "credential-unknown")
        # a tampered signature
        opts = self.post("/api/v1/auth/signin/options", {})
        a = json.loads(tool(PS_AUTHN, "get", "--key", p.key, "--origin", self.origin,
                            stdin=opts.body.decode()))
        sig = a["response"]["signature"]
        a["response"]["signature"] = sig[:-4] + ("AAAA" if sig[-4:] != "AAAA" else "BBBB")
        r = self.post("/api/v1/auth/signin", a)
        self.assertIn(r.status, (400, 401), r)
        self.assertIn(r.json()["type"].rsplit("/", 1)[1],
                      ("webauthn-bad-signature", "webauthn-signature-encoding"))
        # a cloned authenticator: the counter does not increase
        clone = p.key + ".clone"
        shutil.copy(p.key, clone)
        self.assertEqual(self.signin(p)[0].status, 200)
        r, _ = self.signin(p, key=clone)
        self.assert_type(r, 401, "webauthn-sign-count")
        self.assert_type(self.post("/api/v1/auth/signin", b"{", raw=True), 400, "malformed-json")

    def test_sessions_tokens_and_cookie_origin(self):
        p = self.enrolled(6)
        forged = p.token[:-2] + ("AA" if not p.token.endswith("AA") else "BB")
        self.assert_type(self.server.get("/api/v1/me", headers=self.bearer(forged)), 401,
                         "session-invalid")
        cookie = {"Cookie": "other=1; ps_session=" + p.token}
        self.assertEqual(self.server.get("/api/v1/me", headers=cookie).status, 200)
        # a change carried by the cookie needs our Origin
        r = self.post("/api/v1/auth/signout", {}, headers=cookie)
        self.assert_type(r, 403, "cross-site-request")
        r = self.post("/api/v1/auth/signout", {}, headers=dict(cookie, Origin="https://evil.example"))
        self.assert_type(r, 403, "cross-site-request")
        r = self.post("/api/v1/auth/signout", {}, headers=dict(cookie, Origin=self.origin))
        self.assertEqual(r.status, 204, r)
        self.assertIn("Max-Age=0", r.header("set-cookie"))

    # ---- agency systems ----
    def signed(self, key, method, path, body=None, extra=()):
        url = "http://127.0.0.1:%d%s" % (self.server.port, path)
        args = [PS_HTTPSIG, "sign", "--key", key, "--method", method, "--url", url, *extra]
        if body is not None:
            args += ["--body", body]
        headers = {}
        for line in tool(*args).splitlines():
            name, _, value = line.partition(": ")
            headers[name] = value
        if body is not None:
            headers["Content-Type"] = "application/json"
        return headers

    def test_agency_system_signs_its_requests(self):
        key = os.path.join(self.keydir, "bank.key")
        tool(PS_HTTPSIG, "keygen", "--keyid", "bank-it", "--out", key)
        pub = json.loads(tool(PS_HTTPSIG, "public", "--key", key))["public"]
        r = self.post("/api/v1/clients", {"id": "bank-it", "agency": "mintsyfra", "name": "Bank",
                                          "alg": "ed25519", "public_key": pub,
                                          "scopes": "registry:read", "reason": "onboarding"},
                      headers=self.bearer(self.server.token))
        self.assertEqual(r.status, 201, r)
        who = self.people[7][0]
        path = "/api/v1/registry/persons/%s?purpose=kyc" % who
        h = self.signed(key, "GET", path)
        self.assertEqual(self.server.get(path, headers=h).status, 200)
        self.assert_type(self.server.get(path, headers=h), 401, "httpsig-replayed")
        stale = self.signed(key, "GET", path, extra=["--created", str(int(time.time()) - 1000)])
        self.assert_type(self.server.get(path, headers=stale), 401, "httpsig-stale")
        other = os.path.join(self.keydir, "stranger.key")
        tool(PS_HTTPSIG, "keygen", "--keyid", "stranger", "--out", other)
        self.assert_type(self.server.get(path, headers=self.signed(other, "GET", path)), 401,
                         "httpsig-unknown-key")
        # a body the signature does not cover: the digest does not match
        h = self.signed(key, "POST", "/api/v1/registry/persons", body='{"a":1}')
        r = self.server.request("POST", "/api/v1/registry/persons", headers=h, body=b'{"a":2}')
        self.assertEqual(r.status, 401, r)
        # without a scope for it: forbidden
        self.assertEqual(self.server.request("DELETE", "/api/v1/clients/bank-it?reason=done",
                                             headers=self.bearer(self.server.token)).status, 204)
        self.assert_type(self.server.get(path, headers=self.signed(key, "GET", path)), 401,
                         "httpsig-unknown-key")


class ServeRefusesDemoSigninTest(ServerTestCase, unittest.TestCase):
    def test_no_demo_sign_in_outside_demo(self):
        r = self.server.request("POST", "/api/v1/auth/demo", headers=JSON,
                                body=b'{"rnokpp": "3443818003"}')
        p = assert_problem(self, r, 403)
        self.assertTrue(p["type"].endswith("/demo-only"))


class RateLimitTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"config": {"rate_limits": {"auth_per_ip_per_minute": 3}}}

    def test_sign_in_attempts_per_address_get_429(self):
        statuses = []
        for _ in range(5):
            r = self.server.request("POST", "/api/v1/auth/signin/options", headers=JSON,
                                    body=b"{}")
            statuses.append(r.status)
        self.assertEqual(statuses[:3], [200, 200, 200])
        self.assertEqual(statuses[3], 429)
        r = self.server.request("POST", "/api/v1/auth/signin/options", headers=JSON, body=b"{}")
        p = assert_problem(self, r, 429)
        self.assertTrue(p["type"].endswith("/too-many-requests"))
        self.assertGreaterEqual(int(r.header("retry-after")), 1)


if __name__ == "__main__":
    unittest.main()
