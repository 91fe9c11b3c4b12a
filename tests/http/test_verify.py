"""`pocketstate verify`: the real binary on official EU DCC vectors (text, PNG and JPEG
images), on PS1 payloads made by the server's encoders (tests/verify/ps1_gen), one payload per
error code, both exit statuses and usage errors, the exact --json shape, and the phone's
JavaScript holder encoder (web/js/ps1-holder.js, run with node) checked by the binary."""
import base64
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from psserver import PS_BIN, ROOT, run_cli

GEN = os.path.join(os.path.dirname(PS_BIN), "tests", "unit", "ps1_gen")
HC1 = os.path.join(ROOT, "tests", "verify", "hc1")
AT = "2027-01-15T08:01:00Z"  # one minute after the generator's clock
KEYS = ["valid", "format", "kid", "issuer", "issued_at", "expires_at", "signature", "validity",
        "status", "claims"]


def vector(name):
    with open(os.path.join(HC1, name), encoding="utf-8") as f:
        return json.load(f)


class VerifyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="ps-verify-")
        subprocess.run([GEN, cls.dir], check=True, timeout=60)
        cls.trust = ["--trust", cls.path("trust.json"), "--root", cls.path("root.jwk")]

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, True)

    @classmethod
    def path(cls, name):
        return os.path.join(cls.dir, name)

    def payload(self, name):
        with open(self.path(name), encoding="ascii") as f:
            return f.read()

    def verify(self, *args, code=None):
        r = run_cli("verify", *args)
        if code is not None:
            self.assertEqual(r.returncode, code, r)
        return r

    def verify_json(self, name, *extra, code=None, at=AT):
        r = self.verify(*self.trust, "--at", at, *extra, "--json", self.payload(name), code=code)
        return json.loads(r.stdout)

    def test_ps1_valid_exact_shape(self):
        out = self.verify_json("ps1_es256.txt", code=0)
        self.assertEqual(list(out), KEYS)
        self.assertEqual(out["valid"], True)
        self.assertEqual(out["format"], "PS1")
        self.assertEqual(base64.b64decode(out["kid"]), b"es-1")
        self.assertEqual(out["issuer"], "ua.mvs")
        self.assertEqual(out["issued_at"], "2027-01-15T08:00:00Z")
        self.assertEqual(out["expires_at"], "2027-01-15T08:03:00Z")
        self.assertEqual((out["signature"], out["validity"], out["status"]),
                         ("ok", "ok", "not-checked"))
        self.assertEqual(out["claims"], {"family_name": "Шевченко", "given_name": "Тарас",
                                         "birth_year": 1990, "over_18": True})

    def test_ps1_eddsa_and_offline_holder(self):
        self.assertTrue(self.verify_json("ps1_eddsa.txt", code=0)["valid"])
        out = self.verify_json("ps1_holder.txt", code=0)
        self.assertEqual(out["claims"], {"given_name": "Тарас", "over_18": True})

    def test_status_ok_revoked_suspended(self):
        st = ["--status", self.path("status.cwt")]
        self.assertEqual(self.verify_json("ps1_status_ok.txt", *st, code=0)["status"], "ok")
        out = self.verify_json("ps1_revoked.txt", *st, code=1)
        self.assertEqual((out["status"], out["error"]["code"]), ("revoked", "revoked"))
        self.assertEqual(list(out), KEYS + ["error"])
        self.assertEqual(list(out["error"]), ["code", "message"])
        out = self.verify_json("ps1_suspended.txt", *st, code=1)
        self.assertEqual((out["status"], out["error"]["code"]), ("suspended", "revoked"))
        # without the list: not checked, and valid
        self.assertEqual(self.verify_json("ps1_revoked.txt", code=0)["status"], "not-checked")

    def test_every_error_code(self):
        cases = {"ps1_prefix.txt": "prefix", "ps1_base45.txt": "base45",
                 "ps1_decompress.txt": "decompress", "ps1_cbor.txt": "cbor",
                 "ps1_cose.txt": "cose", "ps1_algorithm.txt": "algorithm",
                 "ps1_unknown_key.txt": "unknown-key", "ps1_type_mismatch.txt": "unknown-key",
                 "ps1_signature.txt": "signature", "ps1_holder_wrong_key.txt": "holder"}
        for name, code in cases.items():
            with self.subTest(name=name):
                out = self.verify_json(name, code=1)
                self.assertEqual(out["valid"], False)
                self.assertEqual(out["error"]["code"], code, out)
                self.assertTrue(out["error"]["message"])
        out = self.verify_json("ps1_es256.txt", code=1, at="2027-01-15T08:03:00Z")
        self.assertEqual((out["error"]["code"], out["validity"], out["signature"]),
                         ("expired", "expired", "ok"))
        out = self.verify_json("ps1_es256.txt", code=1, at="2027-01-15T07:58:00+00:00")
        self.assertEqual(out["error"]["code"], "not-yet-valid")

    def test_trust_list_errors(self):
        with open(self.path("trust.json"), encoding="utf-8") as f:
            env = json.load(f)
        env["payload"] = env["payload"][:-4] + ("AAAA" if env["payload"][-4:] != "AAAA" else "BBBB")
        bad = self.path("tampered.json")
        with open(bad, "w", encoding="utf-8") as f:
            json.dump(env, f)
        r = self.verify("--trust", bad, "--root", self.path("root.jwk"), "--at", AT, "--json",
                        self.payload("ps1_es256.txt"), code=1)
        self.assertEqual(json.loads(r.stdout)["error"]["code"], "trust-list")
        # the list has expired a week after the generator's clock
        r = self.verify(*self.trust, "--at", "2027-02-01T00:00:00Z", "--json",
                        self.payload("ps1_es256.txt"), code=1)
        self.assertEqual(json.loads(r.stdout)["error"]["code"], "trust-list")
        # unpinned: accepted with a warning on stderr
        r = self.verify("--trust", self.path("trust.json"), "--at", AT,
                        self.payload("ps1_es256.txt"), code=0)
        self.assertIn("not pinned", r.stderr)
        self.assertTrue(r.stdout.startswith("VALID"))

    def test_stdin_and_human_output(self):
        r = subprocess.run([PS_BIN, "verify", *self.trust, "--at", AT, "-"], capture_output=True,
                           text=True, input=self.payload("ps1_signature.txt") + "\n", timeout=60)
        self.assertEqual(r.returncode, 1, r)
        self.assertTrue(r.stdout.startswith("NOT VALID"), r.stdout)
        self.assertIn("signature: failed", r.stdout)

    def test_usage_and_io_errors(self):
        p = self.payload("ps1_es256.txt")
        for args in ([], [p, p], ["--at", "yesterday", p], ["--bogus", p],
                     ["--trust", self.path("missing.json"), p], ["--image", self.path("nope.png")],
                     ["--status"], ["-", p]):
            with self.subTest(args=args):
                r = self.verify(*args, code=2)
                self.assertIn("verify", r.stderr)
        r = self.verify("--help", code=0)
        self.assertIn("--image FILE", r.stdout)

    def hc1(self, name, *args, code):
        v = vector(name)
        pem = self.path(name + ".pem")
        with open(pem, "w", encoding="ascii") as f:
            f.write("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n"
                    % v["TESTCTX"]["CERTIFICATE"])
        r = self.verify("--trust", pem, "--at", v["TESTCTX"]["VALIDATIONCLOCK"], "--json", *args,
                        code=code)
        return v, json.loads(r.stdout)

    def test_hc1_text(self):
        v, out = self.hc1("common_CO3.json", vector("common_CO3.json")["PREFIX"], code=0)
        self.assertEqual(out["format"], "HC1")
        self.assertEqual(out["issuer"], "AT")
        self.assertEqual(out["claims"], v["JSON"])
        _, out = self.hc1("common_CO5.json", vector("common_CO5.json")["PREFIX"], code=1)
        self.assertEqual((out["signature"], out["error"]["code"]), ("failed", "signature"))
        _, out = self.hc1("common_H2.json", vector("common_H2.json")["PREFIX"], code=1)
        self.assertEqual(out["error"]["code"], "prefix")
        # a base64 DER certificate file works as well as PEM
        v = vector("common_CO1.json")
        der = self.path("co1.b64")
        with open(der, "w", encoding="ascii") as f:
            f.write(v["TESTCTX"]["CERTIFICATE"] + "\n")
        r = self.verify("--trust", der, "--at", v["TESTCTX"]["VALIDATIONCLOCK"], v["PREFIX"], code=0)
        self.assertIn("VALID", r.stdout)

    def test_hc1_images_png_and_jpeg(self):
        v = vector("AT_1.json")
        png, jpg = self.path("at1.png"), self.path("at1.jpg")
        with open(png, "wb") as f:
            f.write(base64.b64decode(v["2DCODE"]))
        subprocess.run([GEN, "--png-to-jpeg", png, jpg], check=True, timeout=60)
        for img in (png, jpg):
            with self.subTest(img=img):
                _, out = self.hc1("AT_1.json", "--image", img, code=0)
                self.assertEqual(out["claims"], v["JSON"])
        # an image without a QR code: not valid input (1), a non-image (1)
        blank = self.path("blank.txt")
        with open(blank, "w", encoding="ascii") as f:
            f.write("not an image")
        self.verify("--image", blank, code=1)

    def test_js_holder_encoder(self):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is needed (scripts/deps.sh test installs nodejs)")
        d = tempfile.mkdtemp(prefix="ps-js-", dir=self.dir)
        r = subprocess.run([node, os.path.join(ROOT, "tests", "verify", "ps1_holder_test.mjs"),
                            PS_BIN, GEN, d], capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("0 failed", r.stdout)


if __name__ == "__main__":
    unittest.main()
