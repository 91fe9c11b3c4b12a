#!/usr/bin/env python3
"""Runs the HTTP test suites (tests/http/test_*.py) and prints, for scripts/test.sh, the
failures and a last line "RESULT passed=N failed=N skipped=N".

Counting: each test method is one case. A test whose class could not start its server
(setUpClass error) counts as failed; a class whose server did not stop cleanly on SIGTERM
(tearDownClass error) adds one failed case.

With -j N (N > 1) the test classes run in N processes at once, each class in a process of its
own (every class starts its own servers on free ports with their own data, so classes do not
share anything); the output is the same, failures in class order.

Usage: PS_BIN=build/pocketstate tests/http/run.py [-j N] [--log FILE] [-k PATTERN]... [MODULE...]
  e.g. tests/http/run.py -k test_healthz     tests/http/run.py test_limits"""
import sys
sys.dont_write_bytecode = True  # keep tests/http free of __pycache__
import argparse
import io
import os
import subprocess
import sys
import tempfile
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


def load(args):
    loader = unittest.TestLoader()
    if args.k:
        loader.testNamePatterns = ["*%s*" % k for k in args.k]
    if args.modules:
        return unittest.TestSuite(loader.loadTestsFromName(m.replace(".py", ""))
                                  for m in args.modules)
    return loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)


def units(suite):
    """What the parallel mode runs apart: each test class ("module.Class"), or a whole module
    whose import failed (its _FailedTest reports it). Largest modules first: the longest
    classes (the deadline tests) start early."""
    out = []
    for t in iter_tests(suite):
        cls = type(t)
        if cls.__module__ == "unittest.loader":  # _FailedTest, named after its module
            name = t.id().rsplit(".", 1)[-1]
        else:
            name = "%s.%s" % (cls.__module__, cls.__qualname__)
        if name not in out:
            out.append(name)

    def size(u):
        try:
            return os.path.getsize(os.path.join(HERE, u.split(".")[0] + ".py"))
        except OSError:
            return 0
    return sorted(out, key=size, reverse=True)


def parallel(args, jobs):
    """Each unit in its own `run.py` process, at most `jobs` at once; sums their RESULT lines."""
    todo = units(load(args))
    tmp = tempfile.mkdtemp(prefix="ps-http-run-")
    running, done = [], {}
    t0 = time.monotonic()
    while todo or running:
        while todo and len(running) < jobs:
            u = todo.pop(0)
            log = os.path.join(tmp, "%s.log" % u)
            cmd = [sys.executable, os.path.abspath(__file__), "--log", log]
            for k in args.k:
                cmd += ["-k", k]
            out = open(os.path.join(tmp, "%s.out" % u), "w+")
            running.append((u, subprocess.Popen(cmd + [u], stdout=out, stderr=subprocess.STDOUT,
                                                cwd=HERE), out, log))
        time.sleep(0.05)
        for r in [r for r in running if r[1].poll() is not None]:
            running.remove(r)
            u, proc, out, log = r
            out.seek(0)
            done[u] = (proc.returncode, out.read(), log)
            out.close()
    took = time.monotonic() - t0
    passed = failed = skipped = 0
    logs = []
    for u in sorted(done):
        rc, text, log = done[u]
        lines = text.splitlines()
        res = [x for x in lines if x.startswith("RESULT ")]
        if not res:
            failed += 1
            print("%s: no RESULT line (exit %d)\n%s" % (u, rc, text))
        else:
            f = dict(kv.split("=") for kv in res[-1].split()[1:])
            passed, failed = passed + int(f["passed"]), failed + int(f["failed"])
            skipped += int(f["skipped"])
            rest = "\n".join(x for x in lines if not x.startswith("RESULT "))
            if rest.strip():
                print(rest)
        try:
            with open(log) as f:
                logs.append(f.read())
        except OSError:
            pass
    if args.log:
        with open(args.log, "w") as f:
            f.write("\n".join(logs))
    for name in os.listdir(tmp):
        os.remove(os.path.join(tmp, name))
    os.rmdir(tmp)
    print("RESULT passed=%d failed=%d skipped=%d time=%.1fs" % (passed, failed, skipped, took))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--log", help="write the verbose unittest output here")
    ap.add_argument("-k", action="append", default=[], help="only tests matching (substring)")
    ap.add_argument("-j", type=int, default=1, help="test classes run in this many processes")
    ap.add_argument("modules", nargs="*")
    args = ap.parse_args()
    if args.j > 1:
        return parallel(args, args.j)

    suite = load(args)
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
