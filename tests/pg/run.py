#!/usr/bin/env python3
"""Runs the PostgreSQL-only tests (tests/pg/test_*.py) and prints a last line
"RESULT passed=N failed=N skipped=N" for scripts/pg-suite.sh. Errors count as failures.

Usage: PS_TEST_DB=URL PS_PG_DIR=DIR PS_BUILD=BUILD tests/pg/run.py [--log FILE] [-k PATTERN]"""
import argparse
import io
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log")
    ap.add_argument("-k", action="append", default=[])
    args = ap.parse_args()
    loader = unittest.TestLoader()
    if args.k:
        loader.testNamePatterns = ["*%s*" % k for k in args.k]
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    stream = io.StringIO()
    res = unittest.TextTestRunner(stream=stream, verbosity=2).run(suite)
    text = stream.getvalue()
    if args.log:
        with open(args.log, "w", encoding="utf-8") as f:
            f.write(text)
    failed = len(res.failures) + len(res.errors) + len(res.unexpectedSuccesses)
    skipped = len(res.skipped)
    passed = res.testsRun - failed - skipped
    if failed:
        sys.stdout.write(text)
    print("RESULT passed=%d failed=%d skipped=%d" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
