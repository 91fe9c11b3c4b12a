#!/usr/bin/env python3
"""Runs the HTTP test suites (tests/http/test_*.py) and prints, for scripts/test.sh, the
failures and a last line "RESULT passed=N failed=N skipped=N".

Counting: each test method is one case. A test whose class could not start its server
(setUpClass error) counts as failed; a class whose server did not stop cleanly on SIGTERM
(tearDownClass error) adds one failed case.

Usage: PS_BIN=build/pocketstate tests/http/run.py [--log FILE] [-k PATTERN]... [MODULE...]
  e.g. tests/http/run.py -k test_healthz     tests/http/run.py test_limits"""
import sys
sys.dont_write_bytecode = True  # keep tests/http free of __pycache__
import argparse
import io
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def iter_tests(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from iter_tests(t)
        else:
            yield t


def case_id(t):
    """The test's id; a subTest counts as its test."""
    return getattr(t, "test_case", t).id()


class Result(unittest.TextTestResult):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.started = set()

    def startTest(self, test):
        self.started.add(test.id())
        super().startTest(test)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", help="write the verbose unittest output here")
    ap.add_argument("-k", action="append", default=[], help="only tests matching (substring)")
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()

    loader = unittest.TestLoader()
    if args.k:
        loader.testNamePatterns = ["*%s*" % k for k in args.k]
    if args.modules:
        suite = unittest.TestSuite(loader.loadTestsFromName(m.replace(".py", ""))
                                   for m in args.modules)
    else:
        suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    all_tests = [t for t in iter_tests(suite)]
    # Discovery errors (a module that does not import) show up as _FailedTest cases.

    stream = io.StringIO()
    runner = unittest.TextTestRunner(stream=stream, verbosity=2, resultclass=Result)
    t0 = time.monotonic()
    result = runner.run(suite)
    took = time.monotonic() - t0

    failed_cases = {case_id(t) for t, _ in result.failures}
    fixture_errors = []
    for t, tb in result.errors:
        if isinstance(t, unittest.TestCase):
            failed_cases.add(case_id(t))
        else:
            fixture_errors.append((str(t), tb))
    failed_cases |= {case_id(t) for t in result.unexpectedSuccesses}
    skipped = {case_id(t) for t, _ in result.skipped if isinstance(t, unittest.TestCase)}
    skipped -= failed_cases
    not_run = [t.id() for t in all_tests if t.id() not in result.started]
    # A class skipped as a whole (SkipTest in setUpClass) leaves its tests not run: skipped.
    class_skips = [str(t) for t, _ in result.skipped if not isinstance(t, unittest.TestCase)]
    not_run_skipped = [i for i in not_run
                       if any(i.rsplit(".", 1)[0] in s for s in class_skips)]
    not_run_failed = [i for i in not_run if i not in not_run_skipped]
    teardown_errors = [d for d, _ in fixture_errors if "setUpClass" not in d]

    ran = result.started
    passed = len(ran - failed_cases - skipped)
    failed = len(failed_cases) + len(not_run_failed) + len(teardown_errors)
    nskipped = len(skipped) + len(not_run_skipped)

    text = stream.getvalue()
    if args.log:
        with open(args.log, "w") as f:
            f.write(text)
    if failed:
        # Only the failure details: unittest prints them after a line of '='.
        idx = text.find("=" * 70)
        print(text[idx:] if idx >= 0 else text)
        for i in not_run_failed:
            print("NOT RUN (class setup failed): %s" % i)
    if nskipped:
        for t, why in result.skipped:
            print("skipped: %s: %s" % (t.id() if isinstance(t, unittest.TestCase) else t, why))
    print("RESULT passed=%d failed=%d skipped=%d time=%.1fs" % (passed, failed, nskipped, took))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
