"""Person lookup against a demo population: GET /api/v1/registry/persons/{rnokpp} with the
admin token; authentication (401), validation (400) and unknown persons (404)."""
import threading
import unittest

from psserver import ServerTestCase, assert_problem, make_rnokpp

PATH = "/api/v1/registry/persons/"


class PersonsTest(ServerTestCase, unittest.TestCase):
    SERVER_ARGS = {"mode": "demo", "citizens": 200}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.known = cls.server.known_rnokpps(limit=10)

    def some_person(self):
        if not self.known:
            self.fail("no RNOKPP found in the demo database (no table with an rnokpp column)")
        return self.known[0]

    def test_get_person(self):
        if not self.known:
            self.fail("no RNOKPP found in the demo database (no table with an rnokpp column)")
        for rnokpp in self.known[:5]:
            with self.subTest(rnokpp=rnokpp):
                r = self.server.get(PATH + rnokpp, auth=True)
                self.assertEqual(r.status, 200, r)
                self.assertTrue(r.header("content-type").startswith("application/json"), r)
                p = r.json()
                self.assertEqual(p.get("rnokpp"), rnokpp)
                self.assertTrue(isinstance(p.get("surname"), str) and p["surname"], p)

    def test_no_token_401(self):
        r = self.server.get(PATH + self.some_person())
        assert_problem(self, r, 401)

    def test_401_has_www_authenticate(self):
        r = self.server.get(PATH + self.some_person())
        self.assertEqual(r.status, 401, r)
        self.assertTrue((r.header("www-authenticate") or "").lower().startswith("bearer"),
                        "401 without WWW-Authenticate: Bearer (RFC 9110 11.6.1)")

    def test_wrong_token_401(self):
        token = self.server.token or ""
        wrong = [
            "Bearer wrong",
            "Bearer " + token[:-1],
            "Bearer " + token + "x",
            "Bearer " + token.swapcase() if token.swapcase() != token else "Bearer X" + token,
            "Basic " + token,
            token,
            "Bearer",
            "Bearer ",
        ]
        for value in wrong:
            with self.subTest(auth=value[:12]):
                r = self.server.get(PATH + self.some_person(),
                                    headers={"Authorization": value})
                assert_problem(self, r, 401)
                self.assertNotIn(token.encode(), r.body, "the token is echoed back")

    def test_bearer_scheme_is_case_insensitive(self):
        r = self.server.get(PATH + self.some_person(),
                            headers={"Authorization": "bearer " + (self.server.token or "")})
        self.assertEqual(r.status, 200, r)

    def test_purpose_is_recorded_or_refused(self):
        ok = self.server.get(PATH + self.some_person() + "?purpose=court%20order%2042", auth=True)
        self.assertEqual(ok.status, 200, ok)
        for bad in ("%zz", "%", "a%00b", "x" * 201):
            with self.subTest(purpose=bad[:8]):
                r = self.server.get(PATH + self.some_person() + "?purpose=" + bad, auth=True)
                assert_problem(self, r, 400)

    def test_invalid_rnokpp_400(self):
        good = self.known[0] if self.known else make_rnokpp(30000, 123, 3)
        bad_check = good[:9] + str((int(good[9]) + 1) % 10)
        cases = {
            "bad check digit": bad_check,
            "nine digits": good[:9],
            "eleven digits": good + "0",
            "letters": "30120A1234",
            "all letters": "abcdefghij",
            "day zero": make_rnokpp(0, 123, 3),
            "in the future": make_rnokpp(99999, 1, 1),
        }
        for why, value in cases.items():
            with self.subTest(why=why):
                r = self.server.get(PATH + value, auth=True)
                p = assert_problem(self, r, 400)
                if why == "bad check digit":
                    self.assertIn("check digit", p["detail"].lower(), p)

    def test_auth_before_validation(self):
        # An anonymous caller learns nothing, not even whether a number is well formed.
        r = self.server.get(PATH + "123")
        assert_problem(self, r, 401)

    def test_unknown_person_404(self):
        # 1900-01-01, serial 987: valid, and not among 200 synthetic citizens.
        rnokpp = make_rnokpp(1, 987, 3)
        self.assertNotIn(rnokpp, self.known)
        r = self.server.get(PATH + rnokpp, auth=True)
        assert_problem(self, r, 404)

    def test_concurrent_lookups(self):
        if not self.known:
            self.fail("no RNOKPP found in the demo database")
        errors = []

        def worker(n):
            for i in range(25):
                rnokpp = self.known[(n + i) % len(self.known)]
                try:
                    r = self.server.get(PATH + rnokpp, auth=True)
                    if r.status != 200 or r.json().get("rnokpp") != rnokpp:
                        errors.append((rnokpp, r.status, r.body[:200]))
                except OSError as e:
                    errors.append((rnokpp, "error", str(e)))

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(errors[:5], [], "%d of 200 concurrent lookups failed" % len(errors))

    def test_other_methods_405(self):
        r = self.server.request("DELETE", PATH + self.some_person(), auth=True)
        self.assertEqual(r.status, 405, r)
        self.assertIn("GET", r.header("allow") or "")


if __name__ == "__main__":
    unittest.main()
