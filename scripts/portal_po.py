"""Reading gettext PO catalogs and finding the messages the portal uses, for the build
(scripts/portal_gen.py turns the catalogs into C tables) and for the messages check
(scripts/portal_messages.py). Python 3 standard library only.

Written by hand (docs/DEPENDENCIES.md): the standard library has no PO reader, the subset
needed is small (msgid, msgid_plural, msgstr, msgstr[N], multi-line strings with C escapes,
flags, obsolete entries), and GNU msgfmt --check, which the messages test runs, validates
the same files with gettext's own parser. msgctxt is refused rather than half-supported."""
import os
import re

# The portal's languages, in the order of enum ps_lang (src/portal/i18n.h): Ukrainian first,
# the default. Plural-Forms each catalog must declare (gettext's formulas; the C side
# implements the same rule in ps_i18n_plural_form).
LANGS = ("uk", "en")
PLURAL_FORMS = {
    "uk": ("nplurals=3; plural=(n%10==1 && n%100!=11 ? 0 : n%10>=2 && n%10<=4 && "
           "(n%100<10 || n%100>=20) ? 1 : 2);"),
    "en": "nplurals=2; plural=(n != 1);",
}
NPLURALS = {"uk": 3, "en": 2}

# Placeholders in messages: {name} or {loopvar.field}, filled from the template's fields.
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\}")


class POError(Exception):
    pass


class Entry:
    def __init__(self):
        self.msgid = None
        self.plural = None
        self.strs = {}  # form index -> text (index 0 for a non-plural msgstr)
        self.flags = set()
        self.line = 0

    @property
    def fuzzy(self):
        return "fuzzy" in self.flags

    def translated(self, nplurals):
        if self.fuzzy:
            return False
        want = range(nplurals) if self.plural is not None else range(1)
        return all(self.strs.get(i) for i in want)


def _unquote(s, path, line):
    s = s.strip()
    if len(s) < 2 or s[0] != '"' or s[-1] != '"':
        raise POError("%s:%d: expected a quoted string" % (path, line))
    out, i, body = [], 0, s[1:-1]
    esc = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    while i < len(body):
        c = body[i]
        if c == "\\":
            if i + 1 >= len(body) or body[i + 1] not in esc:
                raise POError("%s:%d: unsupported escape in %s" % (path, line, s))
            out.append(esc[body[i + 1]])
            i += 2
            continue
        if c == '"':
            raise POError("%s:%d: unescaped quote in %s" % (path, line, s))
        out.append(c)
        i += 1
    return "".join(out)


def parse(path):
    """Entries of a PO file as {msgid: Entry} plus the header fields ({name: value})."""
    text = open(path, encoding="utf-8").read()
    entries, cur, field = [], Entry(), None

    def flush():
        nonlocal cur, field
        if cur.msgid is not None:
            entries.append(cur)
        elif cur.strs or cur.plural is not None:
            raise POError("%s:%d: msgstr without msgid" % (path, cur.line))
        cur, field = Entry(), None

    for n, raw in enumerate(text.split("\n"), 1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            continue  # obsolete entry: kept in the file for translators, never used
        if line.startswith("#,"):
            if cur.msgid is not None:
                flush()
            cur.flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            continue
        if line.startswith("#"):
            if cur.msgid is not None and field is not None and field != "comment":
                flush()
            continue
        m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*)$', line)
        if m:
            key = m.group(1)
            if key == "msgctxt":
                raise POError("%s:%d: msgctxt is not supported" % (path, n))
            if key == "msgid" and cur.msgid is not None:
                flush()
            value = _unquote(m.group(3), path, n)
            if key == "msgid":
                cur.msgid, cur.line, field = value, n, ("id",)
            elif key == "msgid_plural":
                cur.plural, field = value, ("plural",)
            else:
                idx = int(m.group(2)) if m.group(2) is not None else 0
                if idx in cur.strs:
                    raise POError("%s:%d: msgstr[%d] given twice" % (path, n, idx))
                cur.strs[idx], field = value, ("str", idx)
            continue
        if line.startswith('"') and field is not None:
            value = _unquote(line, path, n)
            if field[0] == "id":
                cur.msgid += value
            elif field[0] == "plural":
                cur.plural += value
            else:
                cur.strs[field[1]] += value
            continue
        raise POError("%s:%d: cannot read %r" % (path, n, raw[:60]))
    flush()

    header, out = {}, {}
    for e in entries:
        if e.msgid == "":
            for hl in e.strs.get(0, "").split("\n"):
                if ":" in hl:
                    k, v = hl.split(":", 1)
                    header[k.strip()] = v.strip()
            continue
        if e.msgid in out:
            raise POError("%s:%d: msgid %r given twice" % (path, e.line, e.msgid))
        out[e.msgid] = e
    return out, header


def load(po_dir):
    """{lang: {msgid: Entry}} for every language, checking each header (UTF-8, the plural rule
    the C side implements)."""
    cats = {}
    for lang in LANGS:
        path = os.path.join(po_dir, lang + ".po")
        entries, header = parse(path)
        ct = header.get("Content-Type", "")
        if "charset=UTF-8" not in ct:
            raise POError("%s: Content-Type must say charset=UTF-8 (has %r)" % (path, ct))
        pf = " ".join(header.get("Plural-Forms", "").split())
        if pf.replace(" ", "") != PLURAL_FORMS[lang].replace(" ", ""):
            raise POError("%s: Plural-Forms must be %r (the rule ps_i18n_plural_form "
                          "implements), not %r" % (path, PLURAL_FORMS[lang], pf))
        if header.get("Language", "") != lang:
            raise POError("%s: Language must be %r" % (path, lang))
        cats[lang] = entries
    return cats


# ---- the messages the code uses ----------------------------------------------------------

# One C string argument: adjacent literals ("a " "b") are one string, as the compiler joins
# them.
_C_LIT = r'"(?:[^"\\\n]|\\.)*"'
_C_STR = r"(" + _C_LIT + r"(?:\s*" + _C_LIT + r")*)"
# N_("text") marks a msgid in C; NN_("one", "many") a plural pair.
C_MSG = re.compile(r"\bN_\(\s*" + _C_STR + r"\s*\)")
C_NMSG = re.compile(r"\bNN_\(\s*" + _C_STR + r"\s*,\s*" + _C_STR + r"\s*\)")
C_MARK = re.compile(r"\bN{1,2}_\(")


def c_unescape(s):
    """The text of adjacent C string literals."""
    parts = re.findall(_C_LIT, s)
    text = "".join(p[1:-1] for p in parts)
    if "\\" not in text:
        return text
    return bytes(text, "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")


def c_messages(path):
    """[(msgid, plural or None, line)] marked in a C source; a marker whose argument is not a
    plain string literal is an error (the checker could not see the message)."""
    text = _blank_comments(open(path, encoding="utf-8").read())
    found, spans = [], []
    for rx, plural in ((C_NMSG, True), (C_MSG, False)):
        for m in rx.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            if plural:
                found.append((c_unescape(m.group(1)), c_unescape(m.group(2)), line))
            else:
                found.append((c_unescape(m.group(1)), None, line))
            spans.append(m.start())
    for m in C_MARK.finditer(text):
        if m.start() not in spans and not _in_macro_definition(text, m.start()):
            line = text.count("\n", 0, m.start()) + 1
            raise POError("%s:%d: N_()/NN_() needs one plain string literal per message"
                          % (path, line))
    return found


def _blank_comments(text):
    """text with C comments replaced by spaces (newlines kept, so lines still count)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("".join(ch if ch == "\n" else " " for ch in text[i:j]))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _in_macro_definition(text, pos):
    start = text.rfind("\n", 0, pos) + 1
    return text[start:pos].lstrip().startswith("#define")
