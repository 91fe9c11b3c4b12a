#!/usr/bin/env python3
"""Checks of what the build produced, run by `make test` (scripts/test.sh, suite "checks").

Two checks, each a test case of its own:
  test-only   the pocketstate binary defines none of the symbols of the test-only library
              (libpstesting.a: the allocation fault injector, the PostgreSQL fault injector)
              and contains none of their marker strings; the library itself must define them
              (so that the check can fail).
  core-state  every piece of writable static data in core's object files (.data, .bss and
              thread-local sections; not the read-only relocated .data.rel.ro) is one that
              docs/internals/core.md lists in its table of core's state ("| `file.c` |
              `name` | ..."): the hooks and what they govern, nothing an embedder could not
              control. libpsverify must have none at all.

Usage: scripts/check_binary.py [--build DIR]
Prints one line per problem and a last line "checks: N passed, M failed". Exit status 0 when
all pass."""
import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Strings only the test-only code has (pg_fault.c's failing probe and warning).
MARKERS = [b"pocketstate_test_no_such_function", b"pocketstate test fault"]
DOC = os.path.join(ROOT, "docs", "internals", "core.md")
SYMTAB = re.compile(r"^[0-9a-f]+ (.{7}) (\S+)\s+[0-9a-f]+\s+(\S+)$")


def run(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def defined_globals(path):
    out = run("nm", "--defined-only", "-g", path)
    return {line.split()[-1] for line in out.splitlines() if len(line.split()) == 3}


def check_test_only(build):
    problems = []
    lib = os.path.join(build, "libpstesting.a")
    binary = os.path.join(build, "pocketstate")
    if not os.path.exists(lib) or not os.path.exists(binary):
        return ["test-only: %s or %s was not built" % (lib, binary)]
    test_syms = defined_globals(lib)
    if not any(s.startswith("ps_pg_test_") for s in test_syms) or \
            not any(s.startswith("ps_alloc_fail") for s in test_syms):
        problems.append("test-only: %s lacks the fault injectors (the check would be blind)" % lib)
    shipped = defined_globals(binary)
    for s in sorted(test_syms & shipped):
        problems.append("test-only: pocketstate defines %s, which only tests may link" % s)
    with open(binary, "rb") as f:
        data = f.read()
    for m in MARKERS:
        if m in data:
            problems.append("test-only: pocketstate contains the string %r" % m.decode())
    return problems


def writable_state(objdir):
    """{(source file, symbol)} of writable static data in the object files of objdir."""
    found = set()
    for obj in sorted(glob.glob(os.path.join(objdir, "*.o"))):
        src = os.path.basename(obj).rsplit("_", 1)[-1][:-len(".o")]  # src_core_log.c.o -> log.c
        for line in run("objdump", "-t", obj).splitlines():
            m = SYMTAB.match(line)
            if not m:
                continue
            flags, section, name = m.groups()
            if "d" in flags or "f" in flags or "F" in flags:
                continue  # section, file and function symbols
            writable = section in (".data", ".bss", ".tdata", ".tbss") or \
                (section.startswith((".data.", ".bss.", ".tdata.", ".tbss.")) and
                 not section.startswith(".data.rel.ro"))
            if writable:
                found.add((src, re.sub(r"\.\d+$", "", name)))
    return found


def documented_state():
    rows = set()
    with open(DOC, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\|\s*`([a-z_]+\.c)`\s*\|\s*`([A-Za-z_0-9]+)`", line)
            if m:
                rows.add((m.group(1), m.group(2)))
    return rows


def check_core_state(build):
    objdir = os.path.join(build, "libpscore.a.p")
    if not os.path.isdir(objdir):
        return ["core-state: %s was not built" % objdir]
    found, listed = writable_state(objdir), documented_state()
    problems = ["core-state: %s has writable static `%s`, not listed in docs/internals/core.md "
                "(make it a hook's state and document it, or make it const)" % fs
                for fs in sorted(found - listed)]
    problems += ["core-state: docs/internals/core.md lists %s `%s`, which is not there any more"
                 % fs for fs in sorted(listed - found)]
    verify = os.path.join(build, "libpsverify.a.p")
    if os.path.isdir(verify):
        problems += ["core-state: libpsverify has writable static `%s` in %s (it must have none)"
                     % (n, s) for s, n in sorted(writable_state(verify))]
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    args = ap.parse_args()
    passed = failed = 0
    for name, fn in (("test-only", check_test_only), ("core-state", check_core_state)):
        problems = fn(args.build)
        for p in problems:
            print("checks/" + p)
        if problems:
            failed += 1
        else:
            passed += 1
            print("checks/%s: ok" % name)
    print("checks: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
