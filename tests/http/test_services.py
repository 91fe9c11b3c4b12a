"""The service engine over HTTP against the real binary: the catalogue, FOP registration end
to end with Idempotency-Key (same key and body: the same answer; another body: 422), the
second registration refused, every validation failure at once in both languages, keyed
submissions racing (exactly one application), marriage with the second party's consent, a
stranger's consent and a clerk's decision refused (403 not-entitled, recorded), the
registrar's slot, claim and decision, both inboxes; definitions reloaded on SIGHUP (a broken
one refused with its location, the previous version serving, a new version for new
applications only); each outcome's documents (the FOP extract, the IDP certificates of a
parent and their child, both marriage certificates with the chosen surnames) listed in each
holder's GET /api/v1/me/documents, issued once, and their presentations accepted by
`pocketstate verify` with the trust list, the root key and the status list. Python 3 standard
library plus the test tools (tests/tools/ps_authn)."""
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from psserver import ServerTestCase, assert_problem, ROOT, PROBLEM_BASE, run_cli

TOOLS = os.path.join(os.path.dirname(os.environ.get("PS_BIN") or os.path.join(
    ROOT, "build", "pocketstate")), "tests", "tools")
PS_AUTHN = os.path.join(TOOLS, "ps_authn")
JSON = {"Content-Type": "application/json"}
SERVICES_DIR = tempfile.mkdtemp(prefix="ps-services-")


def tool(*args, stdin=None):
    r = subprocess.run(list(args), input=stdin, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError("%s failed (%d): %s" % (args[0], r.returncode, r.stderr))
    return r.stdout


class ServicesTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "serve", "config": {"services_dir": SERVICES_DIR}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keydir = tempfile.mkdtemp(prefix="ps-keys-")
        cls.origin = "http://localhost:%d" % cls.server.port
        # serve mode starts with an empty population: each test registers its own people
        cls.next_serial = 100

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.keydir, ignore_errors=True)
        super().tearDownClass()
        shutil.rmtree(SERVICES_DIR, ignore_errors=True)

    # ---- helpers ----
    @classmethod
    def post_admin(cls, path, body):
        return cls.server.request("POST", path, headers=dict(
            JSON, Authorization="Bearer " + cls.server.token), body=json.dumps(body).encode())

    def post(self, path, body, token=None, headers=None, raw=False):
        hdrs = dict(JSON)
        if token:
            hdrs["Authorization"] = "Bearer " + token
        hdrs.update(headers or {})
        return self.server.request("POST", path, headers=hdrs,
                                   body=body if raw else json.dumps(body).encode())

    def get(self, path, token=None):
        return self.server.get(path, headers={"Authorization": "Bearer " + token} if token
                               else {})

    def new_person(self, born="1990-05-17", sex="female", oblast="м. Київ",
                   hromada="Київська міська громада", enrol=True):
        """Registers a person (admin) and enrols them with a passkey: (rnokpp, token)."""
        from psserver import make_rnokpp
        import datetime
        days = (datetime.date.fromisoformat(born) - datetime.date(1899, 12, 31)).days
        ServicesTest.next_serial += 1
        serial = ServicesTest.next_serial
        rnokpp = make_rnokpp(days, serial, 1 if sex == "male" else 2)
        y, m, d = born.split("-")
        unzr = "%s%s%s-%04d" % (y, m, d, serial)
        w = (7, 3, 1)
        digits = unzr.replace("-", "")
        unzr += str(sum(int(c) * w[i % 3] for i, c in enumerate(digits)) % 10)
        body = {"rnokpp": rnokpp, "unzr": unzr, "id_card": "%09d" % (300000000 + serial),
                "surname": "Коваль", "given_name": "Оксана" if sex == "female" else "Іван",
                "patronymic": "", "birth_date": born, "sex": sex,
                "address": {"oblast": oblast, "hromada": hromada, "settlement": "м. Київ",
                            "street": "вул. Хрещатик", "building": "1"},
                "reason": "test"}
        r = self.post_admin("/api/v1/registry/persons", body)
        self.assertEqual(r.status, 201, r)
        return rnokpp, self.enrol(rnokpp, born) if enrol else None

    def enrol(self, rnokpp, born):
        r = self.post_admin("/api/v1/registry/persons/%s/activation-codes" % rnokpp,
                            {"reason": "identity checked"})
        self.assertEqual(r.status, 201, r)
        code = r.json()["code"]
        r = self.post("/api/v1/auth/enrol/options",
                      {"rnokpp": rnokpp, "birth_date": born, "activation_code": code})
        self.assertEqual(r.status, 200, r)
        key = os.path.join(self.keydir, "key-%s" % rnokpp)
        reg = tool(PS_AUTHN, "create", "--key", key, "--origin", self.origin,
                   stdin=r.body.decode())
        r = self.post("/api/v1/auth/enrol", reg.encode(), raw=True)
        self.assertEqual(r.status, 201, r)
        return r.json()["token"]

    def fop(self, token, key=None, tax="general", email="fop@example.com"):
        hdrs = {"Idempotency-Key": key} if key else {}
        return self.post("/api/v1/applications", {
            "service": "fop-registration", "submit": True,
            "answers": {"activities": [{"code": "62.01"}, {"code": "62.02"}],
                        "tax_system": tax, "email": email}}, token=token, headers=hdrs)

    def link_parent(self, child, parent):
        """Records parent as child's parent straight in the database: the registry has no
        route for birth registration yet (ps_kinship_register is called by nothing over HTTP)."""
        sql = "INSERT INTO person_parents (child, parent) VALUES ('%s', '%s')" % (child, parent)
        if self.server.env:
            r = subprocess.run(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d",
                                self.server.env["POCKETSTATE_DB"], "-c", sql],
                               capture_output=True, text=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            return
        dbs = [n for n in os.listdir(self.server.data) if n.endswith(".db")]
        self.assertEqual(len(dbs), 1, dbs)
        db = sqlite3.connect(os.path.join(self.server.data, dbs[0]), timeout=10)
        try:
            db.execute(sql)
            db.commit()
        finally:
            db.close()

    def documents_of(self, token, type_):
        """The holder's documents of type_ (GET /api/v1/me/documents), and that list again:
        a second look issues nothing new."""
        r = self.get("/api/v1/me/documents", token)
        self.assertEqual(r.status, 200, r)
        docs = r.json()["documents"]
        again = self.get("/api/v1/me/documents", token).json()["documents"]
        self.assertEqual([d["id"] for d in docs], [d["id"] for d in again], "issued once")
        return [d for d in docs if d["type"] == type_]

    def claims_of(self, token, doc):
        r = self.get("/api/v1/me/documents/" + doc["id"], token)
        self.assertEqual(r.status, 200, r)
        return {c["name"]: c.get("value") for c in r.json()["claims"]}

    def verify_doc(self, token, doc, issuer):
        """doc's presentation (every claim) verified by `pocketstate verify` with the trust
        list, the root key and doc's status list, as a verifier would."""
        d = tempfile.mkdtemp(prefix="ps-verify-")
        try:
            files = {"trust": "/.well-known/pocketstate/trust-list",
                     "root": "/.well-known/pocketstate/root-key",
                     "status": "/api/v1/status-lists/" +
                               doc["status_list"]["uri"].rsplit("/", 1)[1]}
            for name, path in files.items():
                r = self.get(path)
                self.assertEqual(r.status, 200, r)
                with open(os.path.join(d, name), "wb") as f:
                    f.write(r.body)
            r = self.get("/api/v1/me/documents/%s/presentation?claims=all" % doc["id"], token)
            self.assertEqual(r.status, 200, r)
            out = run_cli("verify", "--trust", os.path.join(d, "trust"), "--root",
                          os.path.join(d, "root"), "--status", os.path.join(d, "status"),
                          "--json", r.json()["qr"])
            self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
            res = json.loads(out.stdout)
            self.assertEqual((res["status"], res["issuer"]), ("ok", issuer), res)
            return res
        finally:
            shutil.rmtree(d, ignore_errors=True)

    # ---- the catalogue ----
    def test_catalogue_and_definitions_are_public(self):
        r = self.get("/api/v1/services")
        self.assertEqual(r.status, 200, r)
        ids = [s["id"] for s in r.json()["services"]]
        self.assertIn("fop-registration", ids)
        self.assertIn("marriage", ids)
        self.assertIn("idp-registration", ids)
        self.assertIn("family", r.json()["categories"])
        r = self.get("/api/v1/services?q=%D1%88%D0%BB%D1%8E%D0%B1")  # "шлюб"
        self.assertEqual([s["id"] for s in r.json()["services"]], ["marriage"])
        r = self.get("/api/v1/services?category=business")
        self.assertEqual([s["id"] for s in r.json()["services"]], ["fop-registration"])
        svc = self.get("/api/v1/services/fop-registration").json()
        self.assertEqual(svc["pages"], ["activities", "tax", "address", "contacts"])
        names = [f["name"] for f in svc["fields"]]
        self.assertEqual(names, ["activities", "tax_system", "address", "email", "phone"])
        self.assertTrue(svc["fields"][2]["prefilled"])
        self.assertEqual(svc["fields"][1]["options"][0]["label"]["en"], "Single tax, group 1")
        assert_problem(self, self.get("/api/v1/services/nope"), 404)
        # applications need a session
        assert_problem(self, self.post("/api/v1/applications", {"service": "marriage"}), 401)

    # ---- FOP ----
    def test_fop_registration_end_to_end_and_idempotency(self):
        rnokpp, token = self.new_person()
        r = self.fop(token, key="first-try")
        self.assertEqual(r.status, 201, r)
        body = r.json()
        self.assertEqual(body["status"], "approved")
        self.assertTrue(r.header("location").endswith(body["id"]))
        again = self.fop(token, key="first-try")
        self.assertEqual(again.status, 201)
        self.assertEqual(again.body, r.body, "the same key and body: the same answer")
        other = self.fop(token, key="first-try", tax="single-3")
        p = assert_problem(self, other, 422)
        self.assertEqual(p["type"], PROBLEM_BASE + "idempotency-key-reused")
        second = self.fop(token, key="second")
        p = assert_problem(self, second, 422)
        self.assertEqual(p["type"], PROBLEM_BASE + "not-eligible")
        mine = self.get("/api/v1/applications", token).json()["applications"]
        self.assertEqual(len(mine), 1)
        app = self.get("/api/v1/applications/" + body["id"], token).json()
        self.assertEqual(app["status"], "approved")
        self.assertEqual(app["answers"]["address"]["hromada"], "Київська міська громада")
        self.assertIn("submit", [h["event"] for h in app["history"]])
        inbox = self.get("/api/v1/me/inbox", token).json()["messages"]
        self.assertEqual(inbox[0]["title"]["en"], "You are registered as a sole proprietor")
        r = self.post("/api/v1/me/inbox/%s/read" % inbox[0]["id"], {}, token=token)
        self.assertEqual(r.status, 204, r)
        # someone else cannot see it
        _, other_token = self.new_person(born="1980-01-01")
        assert_problem(self, self.get("/api/v1/applications/" + body["id"], other_token), 404)

    def test_fop_outcome_issues_the_extract(self):
        rnokpp, token = self.new_person(born="1987-06-06", sex="male")
        r = self.fop(token, tax="single-2")
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["status"], "approved")
        docs = self.documents_of(token, "ua.fop-extract")
        self.assertEqual(len(docs), 1, docs)
        self.assertEqual(docs[0]["status"], "valid")
        claims = self.claims_of(token, docs[0])
        self.assertEqual((claims["rnokpp"], claims["kved"], claims["activities"],
                          claims["tax_system"]),
                         (rnokpp, "62.01", "62.01, 62.02", "єдиний податок, 2 група"))
        res = self.verify_doc(token, docs[0], "ua.minjust")
        self.assertIn("activities", res["claims"])
        app = self.get("/api/v1/applications/" + r.json()["id"], token).json()
        self.assertEqual(app["documents"], [{"type": "ua.fop-extract", "holder": rnokpp,
                                             "status": "issued", "id": docs[0]["id"]}])

    def test_idp_outcome_issues_the_certificates_of_parent_and_child(self):
        mariupol = {"oblast": "Донецька область", "hromada": "Маріупольська міська громада"}
        mum, tmum = self.new_person(born="1986-02-02", **mariupol)
        son, _ = self.new_person(born="2013-05-05", sex="male", enrol=False, **mariupol)
        self.link_parent(son, mum)
        tson = self.enrol(son, "2013-05-05")
        r = self.post("/api/v1/applications", {
            "service": "idp-registration", "submit": True,
            "answers": {"left_on": "2022-03-12",
                        "current_address": {"oblast": "Львівська область",
                                            "hromada": "Львівська міська громада",
                                            "settlement": "м. Львів", "street": "вул. Городоцька",
                                            "building": "12"},
                        "children": [{"rnokpp": son}], "allowance": True}}, token=tmum)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json()["status"], "approved", r.json())
        numbers = set()
        for token in (tmum, tson):
            docs = self.documents_of(token, "ua.idp-certificate")
            self.assertEqual(len(docs), 1, docs)
            claims = self.claims_of(token, docs[0])
            self.assertEqual(claims["from_hromada"], "Маріупольська міська громада")
            self.assertEqual(claims["actual_address"], "м. Львів, вул. Городоцька, 12")
            self.assertRegex(claims["certificate_number"], r"^[0-9]{4}-[0-9]{10}$")
            numbers.add(claims["certificate_number"])
            self.verify_doc(token, docs[0], "ua.minsoc")
        self.assertEqual(len(numbers), 2, "each registration its own certificate")
        app = self.get("/api/v1/applications/" + r.json()["id"], tmum).json()
        self.assertEqual(sorted((d["holder"], d["status"]) for d in app["documents"]),
                         sorted([(mum, "issued"), (son, "issued")]))

    def test_every_validation_failure_at_once_in_the_requests_language(self):
        _, token = self.new_person(born="1985-02-02")
        answers = {"activities": [{"code": "62.01"}, {"code": "04.11"}], "tax_system": "x",
                   "email": "nope", "colour": "red"}
        for lang, want in (("en", "This form has no such question"),
                           ("uk", "Такого питання у формі немає")):
            r = self.post("/api/v1/applications?lang=" + lang,
                          {"service": "fop-registration", "submit": True, "answers": answers},
                          token=token)
            p = assert_problem(self, r, 422)
            self.assertEqual(p["type"], PROBLEM_BASE + "validation-failed")
            fields = {e["field"]: e for e in p["errors"]}
            self.assertEqual(set(fields), {"colour", "activities[1].code", "tax_system",
                                           "email"})
            self.assertEqual(fields["colour"]["message"], want)
            self.assertTrue(fields["email"]["messages"]["uk"] and
                            fields["email"]["messages"]["en"])
        self.assertEqual(self.get("/api/v1/applications", token).json()["applications"], [])

    def test_racing_keyed_submissions_make_one_application(self):
        _, token = self.new_person(born="1979-09-09")
        results = []

        def go():
            results.append(self.fop(token, key="race"))
        threads = [threading.Thread(target=go) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertTrue(all(r.status == 201 for r in results), [r.status for r in results])
        self.assertEqual(len({r.json()["id"] for r in results}), 1)
        self.assertEqual(len(self.get("/api/v1/applications", token).json()["applications"]), 1)

    # ---- marriage ----
    def test_marriage_consent_and_registrar(self):
        a, ta = self.new_person(born="1991-03-03", sex="male")
        b, tb = self.new_person(born="1993-04-04", sex="female")
        _, tstranger = self.new_person(born="1970-07-07", sex="male")
        reg, _ = self.new_person(born="1975-01-01", enrol=False)
        clerk, _ = self.new_person(born="1976-01-01", enrol=False)
        for who, role in ((reg, "registrar"), (clerk, "clerk")):
            r = self.post_admin("/api/v1/agencies/minjust/roles",
                                {"rnokpp": who, "role": role, "reason": "appointed"})
            self.assertEqual(r.status, 201, r)
        treg = self.enrol(reg, "1975-01-01")
        tclerk = self.enrol(clerk, "1976-01-01")
        r = self.post("/api/v1/agencies/minjust/slots", {
            "kind": "video-ceremony", "starts": int(time.time() * 1000) + 86400000,
            "minutes": 30}, token=treg)
        self.assertEqual(r.status, 201, r)
        # a citizen without the role cannot add slots: refused by policy
        assert_problem(self, self.post("/api/v1/agencies/minjust/slots", {
            "kind": "video-ceremony", "starts": int(time.time() * 1000) + 86400000,
            "minutes": 30}, token=ta), 403)
        slots = self.get("/api/v1/services/marriage/slots").json()["slots"]
        self.assertEqual(len(slots), 1)
        self.assertNotIn("registrar", slots[0], "a registrar's identity is not public")
        r = self.post("/api/v1/applications", {
            "service": "marriage", "submit": True,
            "answers": {"spouse": b, "surname_after": "Коваль",
                        "ceremony_slot": slots[0]["id"]}}, token=ta)
        self.assertEqual(r.status, 201, r)
        app = r.json()
        self.assertEqual((app["status"], app["step"]), ("waiting", "consent"))
        p = assert_problem(self, self.post("/api/v1/applications/%s/consent" % app["id"],
                                           {"consent": True, "answers": {"surname_after": "Х"}},
                                           token=tstranger), 403)
        self.assertEqual(p["type"], PROBLEM_BASE + "not-entitled")
        q = self.get("/api/v1/queue", tb).json()["tasks"]
        self.assertEqual([t["kind"] for t in q], ["consent"])
        r = self.post("/api/v1/applications/%s/consent" % app["id"],
                      {"consent": True, "answers": {"surname_after": "Коваль-Бондар"}}, token=tb)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["step"], "registrar")
        tasks = self.get("/api/v1/queue", treg).json()["tasks"]
        self.assertEqual(len(tasks), 1)
        task = tasks[0]["id"]
        # a clerk passes the policy (clerks decide some tasks) but not this task's role:
        # the engine refuses it, recorded
        r = self.post("/api/v1/queue/%s/claim" % task, {}, token=tclerk)
        p = assert_problem(self, r, 403)
        self.assertEqual(p["type"], PROBLEM_BASE + "not-entitled")
        r = self.post("/api/v1/queue/%s/claim" % task, {}, token=treg)
        self.assertEqual(r.status, 200, r)
        r = self.post("/api/v1/queue/%s/decision" % task, {"decision": "approve"}, token=treg)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["status"], "approved")
        for t in (ta, tb):
            titles = [m["title"]["en"] for m in self.get("/api/v1/me/inbox", t).json()["messages"]]
            self.assertIn("Your marriage is registered", titles)
        # the registrar could read it while deciding; not any more
        hist = self.get("/api/v1/applications/" + app["id"], ta).json()["history"]
        self.assertIn("decision", [h["event"] for h in hist])
        # both certificates, each with the surnames chosen
        for token, spouse in ((ta, "Коваль-Бондар"), (tb, "Коваль")):
            docs = self.documents_of(token, "ua.marriage-certificate")
            self.assertEqual(len(docs), 1, docs)
            claims = self.claims_of(token, docs[0])
            self.assertEqual((claims["surname_after"], claims["spouse_surname_after"]),
                             ("Коваль" if token is ta else "Коваль-Бондар", spouse))
            self.verify_doc(token, docs[0], "ua.minjust")

    # ---- definitions reloaded ----
    def test_sighup_refuses_a_broken_definition_and_pins_versions(self):
        _, token = self.new_person(born="1982-08-08")
        src = open(os.path.join(ROOT, "services", "fop-registration.yaml")).read()
        broken = src.replace("version: 1", "version: 2").replace(
            "rule: age(applicant.birth_date) >= 18", "rule: age(applicant.birth_date) >= ")
        path = os.path.join(SERVICES_DIR, "fop-registration.yaml")
        with open(path, "w") as f:
            f.write(broken)
        os.kill(self.server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while "service definition refused" not in self.server.log_tail(200) and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertIn("fop-registration.yaml:20:", self.server.log_tail(200))
        svc = self.get("/api/v1/services/fop-registration").json()
        self.assertEqual(svc["version"], 1, "the previous version keeps serving")
        # a draft started on version 1, then version 2 arrives
        r = self.post("/api/v1/applications", {"service": "fop-registration"}, token=token)
        self.assertEqual(r.status, 201, r)
        draft = r.json()["id"]
        v2 = src.replace("version: 1", "version: 2").replace(
            "title:\n  uk: Реєстрація ФОП", "title:\n  uk: Реєстрація ФОП (2)")
        with open(path, "w") as f:
            f.write(v2)
        os.kill(self.server.proc.pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        while self.get("/api/v1/services/fop-registration").json()["version"] != 2 and \
                time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.get("/api/v1/services/fop-registration").json()["version"], 2)
        r = self.server.request("PUT", "/api/v1/applications/%s/answers" % draft,
                                headers=dict(JSON, Authorization="Bearer " + token),
                                body=json.dumps({"answers": {
                                    "activities": [{"code": "47.91"}], "tax_system": "single-3",
                                    "email": "a@b.ua"}}).encode())
        self.assertEqual(r.status, 200, r)
        r = self.post("/api/v1/applications/%s/submit" % draft, {}, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json()["version"], r.json()["status"]), (1, "approved"))
        os.unlink(path)
        self.assertHealthy()


if __name__ == "__main__":
    unittest.main()
