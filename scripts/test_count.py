#!/usr/bin/env python3
"""Counts test cases for scripts/test.sh.

  test_count.py meson BUILD/meson-logs/testlog.json  ->  "PASSED FAILED PROGRAMS"
  test_count.py failures BUILD/meson-logs/testlog.json  ->  output of the failed programs

Each meson test's output is searched for Criterion's closing line
  [====] Synthesis: Tested: X | Passing: Y | Failing: Z | Crashing: W
and contributes Y passed and X - Y failed. A test without that line (not Criterion, or a
program that died before printing it) counts as one case, by its result. A program whose
Synthesis says all passed but whose result is a failure (a leak report at exit, a timeout)
adds one failed case."""
import json
import re
import sys

SYNTH = re.compile(r"Synthesis: Tested: (\d+) \| Passing: (\d+) \| Failing: (\d+) \| Crashing: (\d+)")
OK = {"OK", "EXPECTEDFAIL"}
NEUTRAL = {"SKIP"}


def count_meson(path):
    passed = failed = programs = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            programs += 1
            result = t.get("result", "")
            out = (t.get("stdout") or "") + "\n" + (t.get("stderr") or "")
            m = SYNTH.findall(out)
            if m:
                tested, passing = int(m[-1][0]), int(m[-1][1])
                passed += passing
                failed += tested - passing
                if result not in OK and tested == passing:
                    failed += 1
            elif result in OK:
                passed += 1
            elif result not in NEUTRAL:
                failed += 1
    return passed, failed, programs


INTERESTING = re.compile(r"\[(FAIL|----)\]|ERROR|SUMMARY|Assertion|assert|panic|"
                         r"runtime error|Direct leak|Indirect leak|#\d+ 0x|Synthesis|"
                         r"Timeout|signal", re.I)


def print_failures(path, max_lines=60):
    """For each failed program: its name, result, and the lines of its output that say why."""
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            if t.get("result") in OK or t.get("result") in NEUTRAL:
                m = SYNTH.findall((t.get("stdout") or "") + (t.get("stderr") or ""))
                if not m or m[-1][0] == m[-1][1]:
                    continue
            out = ((t.get("stdout") or "") + "\n" + (t.get("stderr") or "")).splitlines()
            why = [l for l in out if INTERESTING.search(l)] or out[-20:]
            print("---- %s: %s (exit %s) ----" % (t.get("name"), t.get("result"),
                                                  t.get("returncode")))
            for l in why[:max_lines]:
                print(l)
            if len(why) > max_lines:
                print("... %d more lines" % (len(why) - max_lines))


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("meson", "failures"):
        print(__doc__, file=sys.stderr)
        return 2
    if sys.argv[1] == "failures":
        print_failures(sys.argv[2])
    else:
        print("%d %d %d" % count_meson(sys.argv[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
