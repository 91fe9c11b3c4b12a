"""Person lookup against a demo population: GET /api/v1/registry/persons/{rnokpp} with the
admin token; authentication (401), validation (400) and unknown persons (404)."""
import json
import threading
import unittest

from psserver import ServerTestCase, assert_problem, make_rnokpp, rnokpp_check_digit

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


def make_unzr(yyyymmdd, serial4):
    base = yyyymmdd + "%04d" % serial4
    return "%s-%04d%d" % (yyyymmdd, serial4,
                          sum(int(c) * (7, 3, 1)[i % 3] for i, c in enumerate(base)) % 10)


class RegisterTest(ServerTestCase, unittest.TestCase):
    """POST /api/v1/registry/persons: a validated JSON body, 201 with Location, the record
    readable afterwards, duplicates refused by the database (409), and bad bodies 400/415."""
    SERVER_ARGS = {"mode": "demo", "citizens": 20}

    @staticmethod
    def body(serial=1, **over):
        days = 32644  # 1989-05-17 as days since 1899-12-31 (day 1 is 1900-01-01)
        d9 = "%05d%03d%d" % (days, serial, 3)
        b = {"rnokpp": d9 + rnokpp_check_digit(d9), "unzr": make_unzr("19890517", serial),
             "id_card": "%09d" % (700000000 + serial), "surname": "Шевченко",
             "given_name": "Тарас", "patronymic": "Григорович", "birth_date": "1989-05-17",
             "sex": "male", "reason": "birth registration act %d" % serial,
             "address": {"oblast": "Черкаська область", "hromada": "Звенигородська міська громада",
                         "settlement": "м. Звенигородка", "street": "вул. Шевченка",
                         "building": "1"}}
        b.update(over)
        return b

    def post(self, body, ctype="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.server.request("POST", PATH.rstrip("/"), body=data, auth=True,
                                   headers={"Content-Type": ctype})

    def test_register_then_read(self):
        b = self.body(serial=11)
        r = self.post(b)
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header("location"), PATH + b["rnokpp"])
        p = r.json()
        self.assertEqual((p["surname_latin"], p["given_name_latin"], p["patronymic_latin"]),
                         ("Shevchenko", "Taras", "Hryhorovych"))
        got = self.server.get(PATH + b["rnokpp"], auth=True)
        self.assertEqual(got.status, 200, got)
        self.assertEqual(got.json()["unzr"], b["unzr"])

    def test_duplicate_409(self):
        b = self.body(serial=12)
        self.assertEqual(self.post(b).status, 201)
        assert_problem(self, self.post(b), 409)
        other = self.body(serial=13, id_card=b["id_card"])  # same ID card, other person
        assert_problem(self, self.post(other), 409)

    def test_invalid_bodies_400(self):
        cases = {
            "sex disagrees with the RNOKPP": self.body(serial=14, sex="female"),
            "unknown field": dict(self.body(serial=15), nickname="Kobzar"),
            "no reason": {k: v for k, v in self.body(serial=16).items() if k != "reason"},
            "latin letters": self.body(serial=17, surname="Shevchenko"),
            "bad date": self.body(serial=18, birth_date="1989-02-30"),
            "not an object": [1, 2],
            "address not an object": self.body(serial=19, address="Kyiv"),
        }
        for name, b in cases.items():
            with self.subTest(case=name):
                assert_problem(self, self.post(b), 400)

    def test_wrong_content_type_415_and_no_token_401(self):
        assert_problem(self, self.post(self.body(serial=20), ctype="text/plain"), 415)
        r = self.server.request("POST", PATH.rstrip("/"), body=b"{}",
                                headers={"Content-Type": "application/json"})
        assert_problem(self, r, 401)
