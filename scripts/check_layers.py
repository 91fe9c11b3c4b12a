#!/usr/bin/env python3
"""The layer checker (ARCHITECTURE.md rule 1), run by `make test` (scripts/test.sh).

Two checks, each a test case of its own:
  includes  every #include "MODULE/..." in a module's sources names the module itself or one
            that src/layers.txt allows it (and that comes earlier in that file, so the module
            graph has no cycle); "pocketstate/..." counts as module verify.
  cycles    no two source files of the built program depend on each other's symbols,
            directly or around a longer loop (read from the object files of BUILD with nm):
            a file that needs another's functions must not be needed by it in turn.

Usage: scripts/check_layers.py [--build DIR] [--quiet]
Prints one line per problem and a last line "layers: N passed, M failed" (2 cases).
Exit status 0 when both pass."""
import argparse
import collections
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def read_layers(path):
    """[(name, directory, [allowed])] in file order."""
    mods = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            head, sep, deps = line.partition(":")
            parts = head.split()
            if not sep or len(parts) != 2:
                sys.exit(f"{path}:{n}: expected 'NAME DIR : DEPS'")
            mods.append((parts[0], parts[1], deps.split()))
    return mods


def module_of_include(target, names):
    first = target.split("/", 1)[0]
    if first == "pocketstate":
        return "verify"
    if "/" in target and first in names:
        return first
    return None  # a file of the same directory ("fuzz.h") or a system-like header


def check_includes(mods):
    names = [m[0] for m in mods]
    problems = []
    for i, (name, directory, allowed) in enumerate(mods):
        earlier = set(names[:i])
        for dep in allowed:
            if dep not in names:
                problems.append(f"layers.txt: {name} depends on unknown module {dep}")
            elif dep not in earlier:
                problems.append(f"layers.txt: {name} depends on {dep}, which is not listed "
                                f"before it (a cycle, or the order is wrong)")
        files = sorted(glob.glob(os.path.join(ROOT, directory, "**", "*.[ch]"), recursive=True))
        for path in files:
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            for m in INCLUDE.finditer(text):
                mod = module_of_include(m.group(1), names)
                if mod is None or mod == name or mod in allowed:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                rel = os.path.relpath(path, ROOT)
                problems.append(f"{rel}:{line}: includes {m.group(1)}: module {name} may not "
                                f"depend on {mod} (src/layers.txt)")
    return problems


def object_symbols(build):
    """{object: (defined, undefined)} for the program's own object files."""
    objs = {}
    for path in glob.glob(os.path.join(build, "**", "*.o"), recursive=True):
        rel = os.path.relpath(path, build)
        if rel.startswith(("tests", "fuzz", "bench")):
            continue
        out = subprocess.run(["nm", path], capture_output=True, text=True, check=False).stdout
        defined, undefined = set(), set()
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBR":
                defined.add(p[2])
            elif len(p) == 2 and p[0] == "U":
                undefined.add(p[1])
        # "libpsapi.a.p/src_api_system.c.o" -> "src/api/system.c"
        src = os.path.basename(path)[:-2]
        src = re.sub(r"^(src|lib|include)_([a-z]+)_", r"\1/\2/", src)
        objs[src] = (defined, undefined)
    return objs


def check_cycles(build):
    objs = object_symbols(build)
    if not objs:
        return [f"no object files under {build}: build it first"]
    owner = {}
    for name, (defined, _) in objs.items():
        for s in defined:
            owner[s] = name
    graph = collections.defaultdict(set)
    for name, (_, undefined) in objs.items():
        for s in undefined:
            o = owner.get(s)
            if o and o != name:
                graph[name].add(o)
    # strongly connected components (Tarjan, iterative)
    index, low, on, stack, sccs, counter = {}, {}, set(), [], [], [0]

    def visit(v):
        work = [(v, iter(sorted(graph[v])))]
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        while work:
            node, it = work[-1]
            advanced = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                    advanced = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                if len(comp) > 1:
                    sccs.append(sorted(comp))

    for v in sorted(objs):
        if v not in index:
            visit(v)
    problems = []
    for comp in sccs:
        edges = [f"{a} -> {b}" for a in comp for b in sorted(graph[a]) if b in comp]
        problems.append("files depend on each other: " + "; ".join(edges))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    mods = read_layers(os.path.join(ROOT, "src", "layers.txt"))
    passed = failed = 0
    for label, problems in (("includes", check_includes(mods)),
                            ("cycles", check_cycles(args.build))):
        if problems:
            failed += 1
            for p in problems:
                print(f"layers/{label}: {p}")
        else:
            passed += 1
            if not args.quiet:
                print(f"layers/{label}: ok")
    print(f"layers: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
