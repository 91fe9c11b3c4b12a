"""Documents against the real binary (demo population): what verifiers fetch (trust list with
ETag and 304, root key, status lists, document types, a document's public status); a citizen
enrolled with the software authenticator (tests/tools/ps_authn) lists their documents, which
are issued from the registries on first sight, shows one as a PS1 QR (text, PNG, SVG) that
`pocketstate verify` accepts with the trust list, the root and the status list, prints it,
shares chosen claims once (a verifier and the public page redeem; used, expired, unknown and
malformed codes have their problem types; the redemption shows in "who used my data"), binds a
WebCrypto device key and presents offline (node + web/js/ps1-holder.js); an issuer revokes
and the same QR then verifies as revoked; `issuer rotate` and `doctype check`."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from psserver import PS_BIN, PROBLEM_BASE, ROOT, ServerTestCase, run_cli
from psserver import assert_problem as problem_of

TOOLS = os.path.join(os.path.dirname(os.path.abspath(PS_BIN)), "tests", "tools")
PS_AUTHN = os.path.join(TOOLS, "ps_authn")
JSON = {"Content-Type": "application/json"}


def assert_problem(tc, resp, status, slug=None):
    """A problem with status, and with the type slug when given."""
    p = problem_of(tc, resp, status)
    if slug:
        tc.assertEqual(p["type"], PROBLEM_BASE + slug, p)
    return p


def tool(*args, stdin=None):
    r = subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (args[0], r.returncode, r.stderr))
    return r.stdout


class DocumentsTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "demo", "citizens": 300}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.dir = tempfile.mkdtemp(prefix="ps-docs-")
        cls.origin = "http://localhost:%d" % cls.server.port
        cls.person = None
        for r in cls.server.known_rnokpps(limit=40):
            p = cls.server.get("/api/v1/registry/persons/%s?purpose=test-setup" % r, auth=True)
            body = p.json()
            if p.status == 200 and body["status"] == "alive" and body["birth_date"] < "2000":
                cls.person = (r, body["birth_date"])
                break
        cls.token = cls.enrol()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)
        super().tearDownClass()

    # ---- helpers ----
    @classmethod
    def post(cls, path, body, headers=None, raw=False):
        hdrs = dict(JSON)
        hdrs.update(headers or {})
        return cls.server.request("POST", path, headers=hdrs,
                                  body=body if raw else json.dumps(body).encode())

    @classmethod
    def bearer(cls, token=None):
        return {"Authorization": "Bearer " + (token or cls.token)}

    @classmethod
    def enrol(cls):
        rnokpp, birth = cls.person
        r = cls.post("/api/v1/registry/persons/%s/activation-codes" % rnokpp,
                     {"reason": "identity checked"}, headers=cls.bearer(cls.server.token))
        assert r.status == 201, r
        r = cls.post("/api/v1/auth/enrol/options",
                     {"rnokpp": rnokpp, "birth_date": birth, "activation_code": r.json()["code"]})
        assert r.status == 200, r
        reg = tool(PS_AUTHN, "create", "--key", os.path.join(cls.dir, "passkey"), "--origin",
                   cls.origin, stdin=r.body.decode())
        r = cls.post("/api/v1/auth/enrol", reg.encode(), raw=True)
        assert r.status == 201, r
        return r.json()["token"]

    def mine(self):
        r = self.server.get("/api/v1/me/documents", headers=self.bearer())
        self.assertEqual(r.status, 200, r)
        return r.json()["documents"]

    def doc_of(self, type_):
        for d in self.mine():
            if d["type"] == type_:
                return d
        self.fail("no %s" % type_)

    def fetch_lists(self, doc):
        """trust.json, root.jwk and status.cwt for doc into self.dir."""
        r = self.server.get("/.well-known/pocketstate/trust-list")
        self.assertEqual(r.status, 200, r)
        with open(os.path.join(self.dir, "trust.json"), "wb") as f:
            f.write(r.body)
        r = self.server.get("/.well-known/pocketstate/root-key")
        self.assertEqual(r.status, 200, r)
        with open(os.path.join(self.dir, "root.jwk"), "wb") as f:
            f.write(r.body)
        path = "/api/v1/status-lists/" + doc["status_list"]["uri"].rsplit("/", 1)[1]
        r = self.server.get(path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("content-type"), "application/statuslist+cwt")
        with open(os.path.join(self.dir, "status.cwt"), "wb") as f:
            f.write(r.body)
        return r

    def verify(self, *args):
        r = run_cli("verify", "--trust", os.path.join(self.dir, "trust.json"), "--root",
                    os.path.join(self.dir, "root.jwk"), "--status",
                    os.path.join(self.dir, "status.cwt"), "--json", *args)
        return r.returncode, json.loads(r.stdout) if r.stdout else None

    def share(self, doc_id, body):
        return self.post("/api/v1/me/documents/%s/shares" % doc_id, body, headers=self.bearer())

    # ---- what verifiers fetch ----
    def test_public_lists_and_types(self):
        r = self.server.get("/api/v1/doctypes")
        self.assertEqual(r.status, 200, r)
        ids = [t["id"] for t in r.json()["doctypes"]]
        for want in ("ua.id-card", "ua.passport", "ua.driving-licence", "ua.vehicle-registration",
                     "ua.taxpayer-card", "ua.idp-certificate", "ua.birth-certificate",
                     "ua.marriage-certificate", "ua.fop-extract"):
            self.assertIn(want, ids)
        r = self.server.get("/.well-known/pocketstate/trust-list")
        self.assertEqual(r.status, 200, r)
        etag = r.header("etag")
        self.assertTrue(etag and etag.startswith('"'), r)
        self.assertIn("max-age", r.header("cache-control"))
        payload = json.loads(base64.urlsafe_b64decode(r.json()["payload"] + "=="))
        issuers = {i["id"]: i for i in payload["issuers"]}
        self.assertIn("ua.hsc-mvs", issuers)
        types = issuers["ua.hsc-mvs"]["keys"][-1]["types"]
        self.assertEqual(sorted(types), ["ua.driving-licence", "ua.vehicle-registration"])
        self.assertTrue(issuers["ua.hsc-mvs"]["keys"][-1]["x5c"])
        r = self.server.get("/.well-known/pocketstate/trust-list", headers={"If-None-Match": etag})
        self.assertEqual(r.status, 304, r)
        r = self.server.get("/.well-known/pocketstate/root-key")
        self.assertEqual(r.json()["kty"], "OKP")
        assert_problem(self, self.server.get("/api/v1/status-lists/999999"), 404)
        assert_problem(self, self.server.get("/api/v1/status-lists/x"), 404)
        assert_problem(self, self.server.get("/api/v1/documents/nope/status"), 400)
        assert_problem(self, self.server.get(
            "/api/v1/documents/0190a0b0-0000-7000-8000-000000000000/status"), 404)

    # ---- a citizen's documents ----
    def test_documents_issued_shown_and_verified(self):
        docs = self.mine()
        types = {d["type"] for d in docs}
        for want in ("ua.id-card", "ua.taxpayer-card", "ua.birth-certificate"):
            self.assertIn(want, types)
        again = self.mine()
        self.assertEqual([d["id"] for d in docs], [d["id"] for d in again], "issued once")
        card = self.doc_of("ua.id-card")
        self.assertEqual(card["status"], "valid")
        one = self.server.get("/api/v1/me/documents/" + card["id"], headers=self.bearer())
        self.assertEqual(one.status, 200, one)
        names = [c["name"] for c in one.json()["claims"]]
        self.assertIn("family_name", names)
        q = "/api/v1/me/documents/%s/presentation?claims=family_name,photo,over_18" % card["id"]
        r = self.server.get(q, headers=self.bearer())
        self.assertEqual(r.status, 200, r)
        self.assertIn("no-store", r.header("cache-control"))
        pres = r.json()
        self.assertTrue(pres["qr"].startswith("PS1:"))
        self.assertEqual(pres["claims"], ["family_name", "photo", "over_18"])
        self.fetch_lists(card)
        code, out = self.verify(pres["qr"])
        self.assertEqual(code, 0, out)
        self.assertEqual(out["issuer"], "ua.dmsu")
        self.assertEqual(out["status"], "ok")
        self.assertEqual(sorted(out["claims"]), ["family_name", "over_18", "photo"])
        png = self.server.get(q + "&format=png", headers=self.bearer())
        self.assertEqual(png.header("content-type"), "image/png")
        with open(os.path.join(self.dir, "qr.png"), "wb") as f:
            f.write(png.body)
        code, out = self.verify("--image", os.path.join(self.dir, "qr.png"))
        self.assertEqual(code, 0, out)
        svg = self.server.get(q + "&format=svg", headers=self.bearer())
        self.assertTrue(svg.body.startswith(b"<svg "), svg)
        assert_problem(self, self.server.get(q + "&format=gif", headers=self.bearer()), 400)
        assert_problem(self, self.server.get(
            "/api/v1/me/documents/%s/presentation?claims=wings" % card["id"],
            headers=self.bearer()), 400)
        pdf = self.server.get("/api/v1/me/documents/%s/pdf" % card["id"], headers=self.bearer())
        self.assertEqual(pdf.status, 200, pdf)
        self.assertTrue(pdf.body.startswith(b"%PDF-"))
        photo = self.server.get("/api/v1/me/documents/%s/photo" % card["id"],
                                headers=self.bearer())
        self.assertTrue(photo.body.startswith(b"\x89PNG"), photo)

    def test_someone_elses_document_is_not_found(self):
        rnokpp = self.person[0]
        others = [r for r in self.server.known_rnokpps(limit=40) if r != rnokpp]
        r = self.server.get("/api/v1/registry/persons/%s/documents?purpose=inspection" % others[0],
                            auth=True)
        self.assertEqual(r.status, 200, r)
        theirs = r.json()["documents"]
        self.assertTrue(theirs, "an official sees them (issued on the way)")
        for path in ("", "/presentation", "/pdf"):
            assert_problem(self, self.server.get("/api/v1/me/documents/" + theirs[0]["id"] + path,
                                                 headers=self.bearer()), 404)
        assert_problem(self, self.server.get("/api/v1/me/documents/not-a-uuid",
                                             headers=self.bearer()), 400)
        assert_problem(self, self.server.get("/api/v1/me/documents"), 401)

    # ---- sharing ----
    def test_share_once_and_who_used_my_data(self):
        card = self.doc_of("ua.taxpayer-card")
        r = self.share(card["id"], {"claims": ["rnokpp", "full_name"]})
        self.assertEqual(r.status, 201, r)
        s = r.json()
        self.assertRegex(s["code"], r"^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$")
        self.assertTrue(s["url"].endswith("/verify/" + s["code"]))
        self.assertTrue(s["qr_svg"].startswith("<svg "))
        redeem = {"code": s["code"], "purpose": "opening an account"}
        r = self.post("/api/v1/shares/redeem", redeem, headers=self.bearer(self.server.token))
        self.assertEqual(r.status, 200, r)
        got = {c["name"]: c["value"] for c in r.json()["claims"]}
        self.assertEqual(sorted(got), ["full_name", "rnokpp"])
        self.assertEqual(got["rnokpp"], self.person[0])
        r = self.post("/api/v1/shares/redeem", redeem, headers=self.bearer(self.server.token))
        assert_problem(self, r, 409, "share-code-used")
        log = self.server.get("/api/v1/me/access-log", headers=self.bearer()).json()
        used = [e for e in log["entries"] if e["action"] == "document.share.redeem"]
        self.assertTrue(used, log)
        self.assertEqual(used[0]["actor"]["kind"], "admin")
        self.assertEqual(used[0]["purpose"], "opening an account")
        # the public page: only what the type discloses by default
        r = self.share(card["id"], {"claims": "all"})
        r = self.post("/api/v1/public/shares/redeem", {"code": r.json()["code"].replace("-", "")})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(sorted(c["name"] for c in r.json()["claims"]),
                         ["birth_date", "full_name", "rnokpp"])
        # expired, unknown, malformed, bad bodies
        r = self.share(card["id"], {"ttl_s": 1})
        time.sleep(1.3)
        assert_problem(self, self.post("/api/v1/public/shares/redeem", {"code": r.json()["code"]}),
                       410, "share-code-expired")
        assert_problem(self, self.post("/api/v1/public/shares/redeem",
                                       {"code": "0000-0000-0000-0000"}), 404, "share-code-unknown")
        assert_problem(self, self.post("/api/v1/public/shares/redeem", {"code": "hello"}), 400)
        assert_problem(self, self.post("/api/v1/public/shares/redeem",
                                       {"code": "x", "purpose": "y"}), 400)
        assert_problem(self, self.post("/api/v1/shares/redeem", {"code": "0000-0000-0000-0000"},
                                       headers=self.bearer(self.server.token)), 400)
        assert_problem(self, self.post("/api/v1/shares/redeem", redeem), 401)
        assert_problem(self, self.post("/api/v1/shares/redeem",
                                       {"code": s["code"], "purpose": "x" * 201},
                                       headers=self.bearer(self.server.token)), 400)
        assert_problem(self, self.post("/api/v1/shares/redeem", {"code": "A" * 65, "purpose": "p"},
                                       headers=self.bearer(self.server.token)), 400)
        assert_problem(self, self.share(card["id"], {"ttl_s": 600}), 400)
        assert_problem(self, self.share(card["id"], {"claims": ["wings"]}), 400)

    # ---- the device key ----
    def test_offline_presentation_with_a_device_key(self):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is needed (scripts/deps.sh test installs nodejs)")
        card = self.doc_of("ua.taxpayer-card")
        self.fetch_lists(card)
        r = subprocess.run([node, os.path.join(ROOT, "tests", "http", "documents_holder.mjs"),
                            PS_BIN, "http://%s:%d" % ("127.0.0.1", self.server.port), self.token,
                            card["id"], self.dir], capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 failed", r.stdout)
        r = self.post("/api/v1/me/documents/%s/holder-key" % card["id"],
                      {"jwk": {"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA"}},
                      headers=self.bearer())
        assert_problem(self, r, 400)

    # ---- revocation ----
    def test_revoked_document_verifies_as_revoked(self):
        card = self.doc_of("ua.birth-certificate")
        q = "/api/v1/me/documents/%s/presentation?claims=all" % card["id"]
        qr = self.server.get(q, headers=self.bearer()).json()["qr"]
        first = self.fetch_lists(card)
        self.assertEqual(self.verify(qr)[0], 0)
        path = "/api/v1/agencies/%s/documents/%s/status"
        body = {"status": "revoked", "reason": "issued in error"}
        assert_problem(self, self.post(path % ("dmsu", card["id"]), body,
                                       headers=self.bearer(self.server.token)), 404)
        assert_problem(self, self.post(path % ("minjust", card["id"]), {"status": "gone"},
                                       headers=self.bearer(self.server.token)), 400)
        assert_problem(self, self.post(path % ("minjust", card["id"]), body,
                                       headers=self.bearer()), 403)
        r = self.post(path % ("minjust", card["id"]), body, headers=self.bearer(self.server.token))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "revoked")
        second = self.fetch_lists(card)
        self.assertNotEqual(first.header("etag"), second.header("etag"))
        code, out = self.verify(qr)
        self.assertEqual(code, 1, out)
        self.assertEqual(out["status"], "revoked")
        self.assertEqual(out["error"]["code"], "revoked")
        pub = self.server.get("/api/v1/documents/%s/status" % card["id"]).json()
        self.assertEqual(pub["status"], "revoked")
        self.assertNotIn("holder", pub)
        self.assertNotIn("ua.birth-certificate", [d["type"] for d in self.mine()],
                         "a revoked document is not reissued while its record is unchanged")

    # ---- the command line ----
    def test_issuer_rotate_and_list(self):
        r = run_cli("issuer", "list", "--data", self.server.data, env=self.server.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        before = [line for line in r.stdout.splitlines() if line.startswith("dps\t")]
        self.assertEqual(len(before), 1, r.stdout)
        r = run_cli("issuer", "rotate", "dps", "--overlap", "0", "--alg", "EdDSA", "--data",
                    self.server.data, env=self.server.env)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = run_cli("issuer", "list", "--data", self.server.data, env=self.server.env)
        after = [line for line in r.stdout.splitlines() if line.startswith("dps\t")]
        self.assertEqual(len(after), 2, r.stdout)
        self.assertIn("EdDSA", after[1])
        self.assertEqual(run_cli("issuer", "rotate", "nobody", "--data", self.server.data,
                                 env=self.server.env).returncode, 1)
        self.assertEqual(run_cli("issuer", "rotate", "dps", "--alg", "RSA").returncode, 2)
        card = self.doc_of("ua.taxpayer-card")
        deadline = time.monotonic() + 15  # the server notices within 5 s
        while True:
            qr = self.server.get("/api/v1/me/documents/%s/presentation" % card["id"],
                                 headers=self.bearer()).json()["qr"]
            self.fetch_lists(card)
            code, out = self.verify(qr)
            self.assertEqual(code, 0, out)
            if out["kid"] and base64.b64decode(out["kid"]).hex() == after[1].split("\t")[1]:
                break
            self.assertLess(time.monotonic(), deadline, "the new key never signed")
            time.sleep(0.5)

    def test_doctype_check(self):
        r = run_cli("doctype", "check", os.path.join(ROOT, "doctypes", "driving-licence.yaml"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("ua.driving-licence", r.stdout)
        bad = os.path.join(self.dir, "bad.yaml")
        with open(bad, "w", encoding="utf-8") as f:
            f.write("id: x.y\nversion: 1\nname: {uk: a, en: b}\nissuer: dps\nsource: ship\n")
        r = run_cli("doctype", "check", bad)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bad.yaml:1:1: a document type needs", r.stderr)


if __name__ == "__main__":
    unittest.main()
