#!/usr/bin/env python3
"""The portal's messages: what the code uses against what po/uk.po and po/en.po translate.

  portal_messages.py check    fail (exit 1) on any message used in a template (_(), _n())
                              or a C source (N_(), NN_()) that a catalog lacks, leaves
                              untranslated or fuzzy, whose {placeholders} differ from the
                              msgid's, or that nothing uses any more; runs `msgfmt --check`
                              on each catalog when gettext is installed
  portal_messages.py pot      print a PO template (.pot) of every message used, with where
  portal_messages.py update   add the missing messages to both catalogs (empty translations,
                              which `check` then reports) with msgmerge; drop nothing

Run by meson as the `messages` test (tests/unit/meson.build) and by hand when adding text
(docs/internals/portal.md, "Translations"). Python 3 standard library only."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import portal_po  # noqa: E402
import portal_tpl  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
C_DIRS = ["src/portal"]  # C sources whose N_() messages appear on pages


def used():
    """{msgid: (plural or None, [where...])} over the templates and the C sources."""
    out = {}

    def add(msgid, plural, where):
        if msgid in out and out[msgid][0] != plural:
            raise portal_po.POError("%s: %r is used with two different plurals" % (where, msgid))
        out.setdefault(msgid, (plural, []))[1].append(where)

    for path in sorted(glob.glob(os.path.join(ROOT, "web/templates/**/*.html"), recursive=True)):
        rel = os.path.relpath(path, ROOT)
        t = portal_tpl.Template(rel, open(path, encoding="utf-8").read(), "x")
        for msgid, plural, line in portal_tpl.messages(t):
            add(msgid, plural, "%s:%d" % (rel, line))
    for d in C_DIRS:
        for path in sorted(glob.glob(os.path.join(ROOT, d, "*.[ch]"))):
            rel = os.path.relpath(path, ROOT)
            for msgid, plural, line in portal_po.c_messages(path):
                add(msgid, plural, "%s:%d" % (rel, line))
    return out


def placeholders(s):
    return set(portal_po.PLACEHOLDER.findall(s))


def check():
    problems = []
    msgs = used()
    cats = portal_po.load(os.path.join(ROOT, "po"))
    for msgid, (plural, where) in sorted(msgs.items()):
        want = placeholders(msgid) | (placeholders(plural) if plural else set())
        for lang in portal_po.LANGS:
            e = cats[lang].get(msgid)
            at = "%s (used at %s)" % (lang, where[0])
            if e is None:
                problems.append("%s: missing %r" % (at, msgid))
                continue
            if (e.plural is None) != (plural is None):
                problems.append("%s: %r is %s in the code but not in the catalog" % (
                    at, msgid, "plural" if plural else "singular"))
                continue
            if not e.translated(portal_po.NPLURALS[lang] if plural else 1):
                problems.append("%s: %r is %s" % (at, msgid, "fuzzy" if e.fuzzy
                                                   else "not translated"))
                continue
            for i, s in sorted(e.strs.items()):
                got = placeholders(s)
                # a plural form may leave the count out ("одна" for 1), never add a field
                extra, lost = got - want, want - got
                if extra or (lost and not plural):
                    problems.append("%s: %r form %d has placeholders %s, the msgid %s" % (
                        at, msgid, i, sorted(got), sorted(want)))
    for lang in portal_po.LANGS:
        for msgid in sorted(set(cats[lang]) - set(msgs)):
            problems.append("%s: %r is in po/%s.po but nothing uses it (remove it)" % (
                lang, msgid, lang))
    problems += msgfmt_check()
    for p in problems:
        print("messages: " + p)
    n = len(msgs) * len(portal_po.LANGS)
    print("messages: %d messages in %d languages, %d problems" % (len(msgs),
                                                                   len(portal_po.LANGS),
                                                                   len(problems)))
    return 1 if problems else 0


def msgfmt_check():
    msgfmt = shutil.which("msgfmt")
    if not msgfmt:
        print("messages: msgfmt not installed (package gettext): catalog syntax not "
              "double-checked")
        return []
    out = []
    for lang in portal_po.LANGS:
        path = os.path.join(ROOT, "po", lang + ".po")
        r = subprocess.run([msgfmt, "--check", "--statistics", "-o", os.devnull, path],
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            out.append("msgfmt --check %s: %s" % (path, r.stderr.strip()))
    return out


def po_string(s):
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return '"%s"' % s


def pot():
    lines = ['msgid ""', 'msgstr ""', '"Content-Type: text/plain; charset=UTF-8\\n"', ""]
    for msgid, (plural, where) in sorted(used().items(), key=lambda kv: kv[1][1][0]):
        files = []  # file names only: line numbers would churn the catalogs on every edit
        for w in where:
            f = w.rsplit(":", 1)[0]
            if f not in files:
                files.append(f)
        lines.append("#: " + " ".join(files))
        lines.append("msgid " + po_string(msgid))
        if plural:
            lines += ["msgid_plural " + po_string(plural), 'msgstr[0] ""', 'msgstr[1] ""']
        else:
            lines.append('msgstr ""')
        lines.append("")
    return "\n".join(lines)


def update():
    msgmerge = shutil.which("msgmerge")
    if not msgmerge:
        print("update: msgmerge not installed (package gettext)", file=sys.stderr)
        return 1
    with tempfile.NamedTemporaryFile("w", suffix=".pot", encoding="utf-8", delete=False) as f:
        f.write(pot())
        name = f.name
    try:
        for lang in portal_po.LANGS:
            path = os.path.join(ROOT, "po", lang + ".po")
            subprocess.run([msgmerge, "--quiet", "--update", "--backup=none",
                            "--no-fuzzy-matching", "--no-wrap", "--add-location=file", path,
                            name], check=True,
                           timeout=60)
    finally:
        os.unlink(name)
    print("update: po/*.po merged; fill the empty msgstr, then run check")
    return 0


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    try:
        if cmd == "check":
            return check()
        if cmd == "pot":
            sys.stdout.write(pot())
            return 0
        if cmd == "update":
            return update()
    except (portal_po.POError, portal_tpl.TemplateError) as e:
        print("messages: %s" % e)
        return 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
