"""`pocketstate service check|test|list` against the real binary: the shipped definitions
check and pass their own tests; broken ones are refused as file:line:column: message (YAML,
format and expression type errors); `service list` reports a broken file in a directory and
lists the rest. And the shipped definitions against docs/formats/service.schema.json when
PyYAML and jsonschema are importable (skipped otherwise). Python 3 standard library."""
import glob
import json
import os
import re
import shutil
import tempfile
import unittest

from psserver import ROOT, run_cli

SERVICES = sorted(glob.glob(os.path.join(ROOT, "services", "*.yaml")))


class ServiceCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="ps-svc-cli-")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def test_shipped_definitions_check_and_pass_their_tests(self):
        self.assertEqual(len(SERVICES), 3)
        for path in SERVICES:
            r = run_cli("service", "check", path)
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertRegex(r.stdout, r"version 1: \d+ fields, \d+ steps, \d+ tests: ok")
            r = run_cli("service", "test", path)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertRegex(r.stdout.splitlines()[-1], r"^\d+ passed, 0 failed$")

    def test_errors_are_located(self):
        src = open(SERVICES[0], encoding="utf-8").read()  # fop-registration
        cases = [
            ("yaml.yaml", src.replace("title:\n", "title: [\n", 1), r"yaml\.yaml:\d+:\d+: "),
            ("type.yaml", src.replace("age(applicant.birth_date) >= 18",
                                      "age(applicant.birth_date) >= 'x'"),
             r"type\.yaml:20:\d+: rule: "),
            ("key.yaml", src.replace("category: business", "category: business\ncolour: red"),
             r"key\.yaml:\d+:1: a definition: unknown key \"colour\""),
            ("step.yaml", src.replace("next: registered", "next: nowhere"),
             r"step\.yaml:\d+:\d+: no step named \"nowhere\""),
        ]
        for name, text, want in cases:
            r = run_cli("service", "check", self.write(name, text))
            self.assertEqual(r.returncode, 1, name)
            self.assertRegex(r.stderr, re.escape(os.path.join(self.tmp, "")) + want, name)

    def test_a_failing_test_fails_the_command(self):
        src = open(SERVICES[0], encoding="utf-8").read()
        path = self.write("wrong.yaml", src.replace("status: approved\n      step: registered",
                                                    "status: rejected\n      step: registered"))
        r = run_cli("service", "test", path)
        self.assertEqual(r.returncode, 1, r.stdout)
        self.assertIn("FAIL", r.stdout)
        self.assertRegex(r.stdout.splitlines()[-1], r"^\d+ passed, 1 failed$")

    def test_list_with_a_directory(self):
        d = os.path.join(self.tmp, "dir")
        os.makedirs(d, exist_ok=True)
        src = open(SERVICES[0], encoding="utf-8").read()
        with open(os.path.join(d, "v2.yaml"), "w", encoding="utf-8") as f:
            f.write(src.replace("version: 1", "version: 2"))
        with open(os.path.join(d, "broken.yaml"), "w", encoding="utf-8") as f:
            f.write("format: 1\nid: [\n")
        r = run_cli("service", "list", "--services", d)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stdout, r"fop-registration\s+v2 ")
        self.assertRegex(r.stdout, r"marriage\s+v1 ")
        self.assertIn("broken.yaml:", r.stderr)

    def test_shipped_definitions_follow_the_schema(self):
        try:
            import yaml
            import jsonschema
        except ImportError as e:
            self.skipTest("PyYAML or jsonschema not installed: %s" % e)
        schema = json.load(open(os.path.join(ROOT, "docs", "formats", "service.schema.json")))
        jsonschema.Draft202012Validator.check_schema(schema)
        v = jsonschema.Draft202012Validator(schema)
        for path in SERVICES:
            doc = yaml.load(open(path, encoding="utf-8"), Loader=yaml.SafeLoader)
            errors = ["%s: %s" % (list(e.path), e.message) for e in v.iter_errors(doc)]
            self.assertEqual(errors, [], path)


if __name__ == "__main__":
    unittest.main()
