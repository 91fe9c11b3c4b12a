#!/usr/bin/env python3
"""The template compiler's rules (scripts/portal_tpl.py): which escaping context each value
gets, what it refuses to compile, how fields are typed, how translations are escaped at build
time. Run by meson (`portal_tpl`); prints Criterion's Synthesis line so that scripts/test.sh
counts each case. Python 3 standard library only."""
import os
import re
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import portal_po  # noqa: E402
import portal_tpl  # noqa: E402
from portal_tpl import TemplateError  # noqa: E402


class Entry(portal_po.Entry):
    def __init__(self, text):
        super().__init__()
        self.strs = {0: text}


def compile_(text, catalog=None, includes=None):
    """(C lines of the uk render function, template) for one template text."""
    templates = dict(includes or {})
    t = portal_tpl.Template("t.html", text, "t")
    portal_tpl.infer(t, templates)
    lines, _ = portal_tpl.generate(t, "uk", catalog or {}, {"portal.css": "/static/p.1.css"}, 3)
    # adjacent C string literals split over lines read as one
    return re.sub(r'"\n\s*"', "", "\n".join(lines)), t


def context_of(text):
    code, _ = compile_(text)
    for ctx in ("URL_PART", "URL", "ATTR", "TEXT"):
        if "PS_HTML_%s," % ctx in code:
            return ctx
    return None


class Contexts(unittest.TestCase):
    def test_each_place_gets_its_escaper(self):
        cases = {
            "<p>{{ a }}</p>": "TEXT",
            "<p title=\"{{ a }}\">x</p>": "ATTR",
            "<p title='{{ a }}'>x</p>": "ATTR",
            "<a href=\"{{ a }}\">x</a>": "URL",
            "<img src='{{ a }}' alt=\"\">": "URL",
            "<form action=\"{{ a }}\"></form>": "URL",
            "<a href=\"/people/{{ a }}\">x</a>": "URL_PART",
            "<a href=\"#{{ a }}\">x</a>": "URL_PART",
            "<a href=\"/x?q={{ a }}\">x</a>": "URL_PART",
            "<title>{{ a }}</title>": "TEXT",
            "<textarea>{{ a }}</textarea>": "TEXT",
            "<pre>{{ a }}</pre>": "TEXT",
            "<!DOCTYPE html><p>{{ a }}</p>": "TEXT",
            "<!-- note --><p>{{ a }}</p>": "TEXT",
            "<script src=\"/x.js\"></script><p>{{ a }}</p>": "TEXT",
            "<input value=\"{{ a }}\">": "ATTR",
            "<a class=\"x{% if b %} y{% endif %}\" title=\"{{ a }}\">x</a>": "ATTR",
        }
        for text, want in cases.items():
            with self.subTest(text=text):
                self.assertEqual(context_of(text), want)

    def test_second_value_in_a_url_is_a_part(self):
        code, _ = compile_("<a href=\"{{ a }}{{ b }}\">x</a>")
        self.assertIn("PS_HTML_URL, v->a", code)
        self.assertIn("PS_HTML_URL_PART, v->b", code)


class Refusals(unittest.TestCase):
    def test_values_where_no_escaping_is_safe_are_refused(self):
        bad = [
            "<script>{{ a }}</script>",
            "<script>var x = 1;</script><style>{{ a }}</style>",
            "<a onclick=\"{{ a }}\">x</a>",
            "<a ONMOUSEOVER=\"{{ a }}\">x</a>",
            "<p style=\"{{ a }}\">x</p>",
            "<img srcset=\"{{ a }}\" alt=\"\">",
            "<a href={{ a }}>x</a>",
            "<p title=x{{ a }}>x</p>",
            "<{{ a }}>",
            "<a {{ a }}>x</a>",
            "<a x{{ a }}=1>x</a>",
            "<!-- {{ a }} -->",
            "<meta name=\"description\" content=\"{{ a }}\">",
            "<p title=\"{{ a|raw }}\">x</p>",
            "<a href=\"{{ _(\"Home\") }}\">x</a>",
            "<a href=\"{{ n|date }}\">x</a>",
            "<script>{{ _(\"x\") }}</script>",
        ]
        for text in bad:
            with self.subTest(text=text):
                with self.assertRaises(TemplateError):
                    compile_(text)

    def test_branches_and_loops_must_end_where_they_started(self):
        bad = [
            "<a href=\"{% if a %}\">{% endif %}",
            "{% if a %}<p title=\"{% else %}<p>{% endif %}x",
            "{% for x in xs %}<a href=\"{% endfor %}",
            "{% if a %}<!--{% endif %}",
            "<p class=\"{% if a %}x\"{% endif %}>",
        ]
        for text in bad:
            with self.subTest(text=text):
                with self.assertRaises(TemplateError):
                    compile_(text)

    def test_syntax_errors(self):
        bad = ["{% if a %}x", "{% endif %}", "{% for x in %}", "{{ a|nope }}", "{{ a b }}",
               "{% else %}", "{% include \"missing.html\" a %}", "<p title=\"x",
               "{{ a }}{{ a|num }}", "{{ int }}", "{% for x in xs %}{{ x }}{% endfor %}",
               "{% for x in xs %}{{ y.z }}{% endfor %}"]
        for text in bad:
            with self.subTest(text=text):
                with self.assertRaises(TemplateError):
                    compile_(text)


class Fields(unittest.TestCase):
    def test_types_come_from_uses(self):
        _, t = compile_("{% if flag %}{{ name }}{% endif %}{% if name %}{{ n|num }}{{ d|date }}"
                        "{{ at|time }}{% endif %}{{ h|raw }}{{ _(\"Hi {who}\") }}"
                        "{% for p in people %}{{ p.x }}{% if p.y %}{% endif %}{% endfor %}")
        f = t.struct.fields
        self.assertEqual(f["flag"], "bool")
        self.assertEqual(f["name"], "str")
        self.assertEqual(f["n"], "num")
        self.assertEqual(f["d"], "date")
        self.assertEqual(f["at"], "time")
        self.assertEqual(f["h"], "html")
        self.assertEqual(f["who"], "str")
        self.assertEqual(f["people"][0], "list")
        self.assertEqual(f["people"][1].fields, {"x": "str", "y": "bool"})

    def test_components_are_structs_of_their_own(self):
        comp = portal_tpl.Template("c.html", "<b>{{ label }}</b>", "c")
        portal_tpl.infer(comp, {})
        comp.struct.frozen = True
        code, t = compile_("{% include \"c.html\" field %}{% for f in fs %}"
                           "{% include \"c.html\" f %}{% endfor %}", includes={"c.html": comp})
        self.assertEqual(t.struct.fields["field"], ("comp", comp))
        self.assertIs(t.struct.fields["fs"][1], comp.struct)
        self.assertIn("ps_tpl_c(w, &v->field);", code)
        self.assertIn("ps_tpl_c(w, l_f);", code)


class Translations(unittest.TestCase):
    def test_translations_are_escaped_for_their_context_at_build_time(self):
        cat = {"A <b> & c": Entry("Переклад <b> & \"q\""), "Hi {who}": Entry("Привіт, {who}!")}
        code, _ = compile_("<p>{{ _(\"A <b> & c\") }}</p><p title=\"{{ _(\"A <b> & c\") }}\">"
                           "{{ _(\"Hi {who}\") }}</p>", cat)
        self.assertIn("Переклад &lt;b&gt; &amp; \\\"q\\\"</p><p title=\\\"Переклад &lt;b&gt; "
                      "&amp; &quot;q&quot;", code)
        self.assertIn("Привіт, ", code)
        self.assertIn("ps_tw_str(w, PS_HTML_TEXT, v->who);", code)

    def test_missing_translation_falls_back_to_the_msgid(self):
        t = portal_tpl.Template("t.html", "<p>{{ _(\"Nobody translated me\") }}</p>", "t")
        portal_tpl.infer(t, {})
        lines, missing = portal_tpl.generate(t, "uk", {}, {}, 3)
        self.assertEqual(missing, ["Nobody translated me"])
        self.assertIn("Nobody translated me", "\n".join(lines))

    def test_plurals_switch_on_the_language_rule(self):
        e = portal_po.Entry()
        e.plural, e.strs = "{n} records", {0: "{n} запис", 1: "{n} записи", 2: "{n} записів"}
        code, t = compile_("<p>{{ _n(\"{n} record\", \"{n} records\", n) }}</p>",
                           {"{n} record": e})
        self.assertEqual(t.struct.fields["n"], "num")
        self.assertIn("switch (ps_i18n_plural_form(PS_LANG_UK, v->n))", code)
        self.assertIn("записів", code)
        self.assertIn("ps_tw_num(w, PS_HTML_TEXT, v->n);", code)


class Whitespace(unittest.TestCase):
    def test_statement_lines_vanish_and_pre_is_kept(self):
        code, _ = compile_("<ul>\n  {% if a %}\n  <li>x</li>\n  {% endif %}\n</ul>\n"
                           "<pre>  a\n    b</pre>\n")
        self.assertIn('"<ul>\\n"', code)
        self.assertIn('"<li>x</li>\\n"', code)
        self.assertIn("<pre>  a\\n    b</pre>", code)


class Result(unittest.TextTestResult):
    pass


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    r = unittest.TextTestRunner(verbosity=2).run(suite)
    tested = r.testsRun
    failing = len(r.failures) + len(r.errors)
    # Criterion's closing line: scripts/test_count.py counts the cases from it
    print("[====] Synthesis: Tested: %d | Passing: %d | Failing: %d | Crashing: 0"
          % (tested, tested - failing, failing))
    sys.exit(0 if r.wasSuccessful() else 1)
