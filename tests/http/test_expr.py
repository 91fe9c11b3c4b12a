"""`pocketstate expr [--var NAME=EXPR]... EXPR`: prints the result as a CEL literal that
parses back to an equal value; exit 0, 1 with "error: MESSAGE" for an evaluation error, 2
for a usage, parse or check error (with its line and column)."""
import unittest

from psserver import run_cli


def expr(*args):
    return run_cli("expr", *args, timeout=30)


class ExprTest(unittest.TestCase):
    def assertPrints(self, want, *args):
        r = expr(*args)
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, want + "\n", ""), args)

    def test_literals_print_back(self):
        cases = [
            ("1 + 2", "3"), ("1u", "1u"), ("2.0 / 4.0", "0.5"), ("1.0", "1.0"),
            ("-2.5e10", "-2.5e+10"), ("1.0 / 0.0", 'double("Infinity")'),
            ("0.0 / 0.0", 'double("NaN")'), ('"a\\n" + \'"\'', '"a\\n\\""'),
            ("b'\\x00\\xff'", 'b"\\x00\\xff"'), ("[1, [2u]]", "[1, [2u]]"),
            ('{"k": 1, 2: null}', '{"k": 1, 2: null}'),
            ("timestamp('2009-02-13T23:31:30Z')", 'timestamp("2009-02-13T23:31:30Z")'),
            ("duration('1h')", 'duration("3600s")'), ("type(1)", "int"),
            ("optional.of(1)", "optional.of(1)"), ("'Київ'.size()", "4"),
        ]
        for e, want in cases:
            self.assertPrints(want, e)
            # and the printed literal reads back to the same
            self.assertPrints(want, want)

    def test_vars(self):
        self.assertPrints('"adult"', "--var", "age=17 + 1",
                          'age >= 18 ? "adult" : "minor"')
        self.assertPrints("[1, 2, 3]", "--var", 'm={"a": [1, 2]}', "--var=x=3u",
                          'm.a + [int(x)]')
        r = expr("--var", "x=1u", "x + 1")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("found no matching overload for '_+_' applied to '(uint, int)'",
                      r.stderr)

    def test_time_zones_from_zoneinfo(self):
        self.assertPrints("15", "timestamp('2024-07-01T12:00:00Z').getHours('Europe/Kyiv')")
        self.assertPrints("5", "timestamp('2024-07-01T12:00:00Z').getHours('-07:00')")

    def test_evaluation_error_exit_1(self):
        r = expr("1 / 0")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (1, "", "error: division by zero\n"))
        r = expr("--var", "m={'a': 1}", "m.b")
        self.assertEqual(r.returncode, 1, r)
        self.assertEqual(r.stderr, "error: no such key: 'b'\n")

    def test_parse_and_check_errors_exit_2_with_location(self):
        r = expr("1 +\n  (2")
        self.assertEqual(r.returncode, 2, r)
        self.assertTrue(r.stderr.startswith("error: 2:5: syntax error: expected ')'"), r.stderr)
        self.assertIn(" |   (2\n | ....^", r.stderr)
        r = expr("'a'.matches('(a)\\\\1')")
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("1:13: invalid regular expression", r.stderr)
        self.assertIn("backreferences are not supported", r.stderr)
        r = expr("--var", "x=1 +", "x")
        self.assertEqual(r.returncode, 2, r)
        self.assertTrue(r.stderr.startswith("error: --var x: 1:4: syntax error"), r.stderr)

    def test_usage_errors_exit_2(self):
        for args in ([], ["1", "2"], ["--var"], ["--var", "noequals", "1"], ["--bogus", "1"],
                     ["--var", "=1", "1"], ["--var", "1x=1", "1"]):
            r = expr(*args)
            self.assertEqual(r.returncode, 2, (args, r))
            self.assertIn("pocketstate: expr:", r.stderr)
        self.assertPrints("-1", "--", "-1")

    def test_limits_are_errors_not_crashes(self):
        bomb = ("[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, "
                "[1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, "
                "[1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, "
                "a + b + c + d + e + f > 0))))))")
        r = expr(bomb)
        self.assertEqual((r.returncode, r.stderr), (1, "error: cost limit exceeded\n"))
        r = expr("(" * 500 + "1" + ")" * 500)
        self.assertEqual(r.returncode, 2, r)
        self.assertIn("nested more than 100 levels", r.stderr)
        # an ASCII subject is answered by the constant pattern's DFA in linear time (no
        # backtracking to limit); a non-ASCII one goes to PCRE2, whose match limit stops it
        r = expr("'" + "a" * 40 + "!'.matches('^(a|aa)+$')")
        self.assertEqual((r.returncode, r.stdout), (0, "false\n"))
        r = expr("'" + "ї" * 40 + "!'.matches('^(ї|її)+$')")
        self.assertEqual((r.returncode, r.stderr),
                         (1, "error: regular expression match limit exceeded\n"))


if __name__ == "__main__":
    unittest.main()
