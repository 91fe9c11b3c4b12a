"""The portal's template compiler: web/templates/*.html to C, with context-aware escaping
decided at build time (docs/internals/portal.md). Python 3 standard library only.

Syntax (everything else is HTML, copied as is; whitespace runs with a newline collapse to
one newline outside <pre> and <textarea>):

  {{ name }}  {{ loop.field }}       a value, escaped for where it stands
  {{ name|num }} |date |time |raw    a number, date or time formatted in the page's language;
                                     raw: trusted markup (a struct ps_html), text context only
  {{ _("Message {name}") }}          a translation (po/*.po), {placeholders} are fields
  {{ _n("{n} entry", "{n} entries", n) }}   a plural translation chosen by the number n
  {{ static("portal.css") }}         the URL of a static file (content hash in its name)
  {% if [not] name %} ... {% else %} ... {% endif %}
  {% for item in list %} ... {% endfor %}
  {% include "components/input.html" name %}   a component with its own fields
  {% slot %}                          where the page goes (the layout only)
  {# comment #}

Each template becomes a C struct of its fields (types inferred from their uses) and a render
function per language. The HTML context of every value is tracked by a small tokenizer:
element text and RCDATA (escape & < >), quoted attribute values (& < > " '), URL attributes
(href, src, action, ...: a whole URL is checked for its scheme, a part after static text is
percent-encoded). Values in script or style content, comments, event-handler, style or srcset
attributes, unquoted attributes, tag or attribute names are refused, and so is anything that
leaves the two branches of an if, or a loop body, in different contexts: there is no way to
place a value unescaped but {{ x|raw }} of the distinct type struct ps_html."""
import re

from portal_po import PLACEHOLDER

URL_ATTRS = {"href", "src", "action", "formaction", "poster", "cite", "data", "background",
             "ping", "manifest", "codebase", "longdesc", "usemap", "icon", "xlink:href"}
RAWTEXT_TAGS = {"script", "style"}
KEEP_SPACE_TAGS = {"pre", "textarea"}
FILTERS = {"num", "date", "time", "raw"}
C_TYPES = {"str": "struct ps_str", "bool": "bool", "num": "uint64_t", "date": "struct ps_date",
           "time": "int64_t", "html": "struct ps_html"}
IDENT = r"[a-z_][a-z0-9_]*"
PATH = IDENT + r"(?:\." + IDENT + r")?"
C_KEYWORDS = {"auto", "break", "case", "char", "const", "continue", "default", "do", "double",
              "else", "enum", "extern", "float", "for", "goto", "if", "int", "long", "register",
              "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
              "union", "unsigned", "void", "volatile", "while", "bool", "v", "w"}


class TemplateError(Exception):
    pass


# ---- parsing ---------------------------------------------------------------------------

class Node:
    def __init__(self, kind, line, **kw):
        self.kind, self.line = kind, line
        self.__dict__.update(kw)


_TOKEN = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}|\{#.*?#\}", re.S)
_STR = r'"((?:[^"\\]|\\.)*)"'


def _pystr(s):
    return s.replace('\\"', '"').replace("\\\\", "\\")


def parse(name, text):
    """The template's node tree. A {% %} or {# #} tag alone on its line takes the line with it
    (its indentation and its newline), so that control flow leaves no blank lines."""
    root = Node("block", 1, body=[])
    stack = [root]
    pos = 0

    def where(at):
        return "%s:%d" % (name, text.count("\n", 0, at) + 1)

    for m in _TOKEN.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        start, end = m.start(), m.end()
        if m.group(1) is None:  # a statement or a comment: alone on its line?
            bol = text.rfind("\n", 0, start) + 1
            eol = text.find("\n", end)
            eol = len(text) if eol < 0 else eol
            if not text[bol:start].strip(" \t") and not text[end:eol].strip(" \t"):
                start, end = max(bol, pos), min(eol + 1, len(text))
        if start > pos:
            stack[-1].body.append(Node("text", line, text=text[pos:start]))
        pos = end
        if m.group(1) is not None:
            stack[-1].body.append(_parse_expr(m.group(1).strip(), where(m.start()), line))
        elif m.group(2) is not None:
            _parse_stmt(m.group(2).strip(), stack, where(m.start()), line)
    if pos < len(text):
        stack[-1].body.append(Node("text", 0, text=text[pos:]))
    if len(stack) != 1:
        raise TemplateError("%s: {%% %s %%} is not closed" % (name, stack[-1].kind))
    return root


def _parse_expr(e, where, line):
    m = re.fullmatch(r"_\(\s*" + _STR + r"\s*\)", e)
    if m:
        return Node("msg", line, where=where, msgid=_pystr(m.group(1)))
    m = re.fullmatch(r"_n\(\s*" + _STR + r"\s*,\s*" + _STR + r"\s*,\s*(" + PATH + r")\s*\)", e)
    if m:
        return Node("nmsg", line, where=where, msgid=_pystr(m.group(1)),
                    plural=_pystr(m.group(2)), count=m.group(3))
    m = re.fullmatch(r"static\(\s*" + _STR + r"\s*\)", e)
    if m:
        return Node("static", line, where=where, file=_pystr(m.group(1)))
    m = re.fullmatch(r"(" + PATH + r")\s*(?:\|\s*([a-z]+))?", e)
    if m:
        f = m.group(2)
        if f is not None and f not in FILTERS:
            raise TemplateError("%s: unknown filter |%s (%s)" % (where, f, ", ".join(FILTERS)))
        return Node("value", line, where=where, path=m.group(1), filter=f)
    raise TemplateError("%s: cannot read {{ %s }}" % (where, e))


def _parse_stmt(s, stack, where, line):
    top = stack[-1]
    m = re.fullmatch(r"if\s+(not\s+)?(" + PATH + r")", s)
    if m:
        node = Node("if", line, where=where, neg=bool(m.group(1)), path=m.group(2), body=[],
                    orelse=None)
        top.body.append(node)
        stack.append(node)
        return
    if s == "else":
        if top.kind != "if" or top.orelse is not None:
            raise TemplateError("%s: {%% else %%} outside an if" % where)
        top.orelse, top.body_then = [], top.body
        top.body = top.orelse
        return
    if s == "endif":
        if top.kind != "if":
            raise TemplateError("%s: {%% endif %%} without if" % where)
        if top.orelse is None:
            top.body_then, top.orelse = top.body, []
        stack.pop()
        return
    m = re.fullmatch(r"for\s+(" + IDENT + r")\s+in\s+(" + PATH + r")", s)
    if m:
        node = Node("for", line, where=where, var=m.group(1), path=m.group(2), body=[])
        top.body.append(node)
        stack.append(node)
        return
    if s == "endfor":
        if top.kind != "for":
            raise TemplateError("%s: {%% endfor %%} without for" % where)
        stack.pop()
        return
    m = re.fullmatch(r"include\s+" + _STR + r"(?:\s+(" + PATH + r"))?", s)
    if m:
        top.body.append(Node("include", line, where=where, tpl=_pystr(m.group(1)),
                             path=m.group(2)))
        return
    if s == "slot":
        top.body.append(Node("slot", line, where=where))
        return
    raise TemplateError("%s: cannot read {%% %s %%}" % (where, s))


# ---- types -----------------------------------------------------------------------------

class Struct:
    """A C struct of fields: a template's, or the element of a list. Fields are typed by their
    uses: a value printed (str, or num/date/time/html by its filter), a list, a component are
    strong uses and must agree; a field only tested in an if is a bool, only placed in a
    message placeholder a str."""

    def __init__(self, cname, frozen=False):
        self.cname = cname
        self.fields = {}   # name -> "str" ... | ("list", Struct) | ("comp", Template)
        self.order = []
        self.placed, self.tested = set(), set()
        self.frozen = frozen  # a component's struct, seen from the template that includes it

    def _touch(self, name, where):
        if name in C_KEYWORDS:
            raise TemplateError("%s: %r cannot be a field name" % (where, name))
        if name not in self.order:
            if self.frozen:
                raise TemplateError("%s: the component's struct %s has no field %r"
                                    % (where, self.cname, name))
            self.order.append(name)

    def use(self, name, typ, where):
        self._touch(name, where)
        old = self.fields.get(name)
        if old is None:
            self.fields[name] = typ
            return typ
        if _same(old, typ):
            return old
        raise TemplateError("%s: field %r used as %s and as %s" % (where, name, _tname(old),
                                                                     _tname(typ)))

    def weak(self, name, placed, where):
        self._touch(name, where)
        (self.placed if placed else self.tested).add(name)

    def resolve(self):
        for f in self.order:
            if f not in self.fields:
                self.fields[f] = "str" if f in self.placed else "bool"
        for f in self.order:  # a list's length is "n" + its name: no clash allowed
            if isinstance(self.fields[f], tuple) and self.fields[f][0] == "list" \
                    and "n" + f in self.fields:
                raise TemplateError("%s: fields %s and n%s clash" % (self.cname, f, f))


def _same(a, b):
    if isinstance(a, tuple) and isinstance(b, tuple):
        return a[0] == b[0] and a[1] is b[1]
    return a == b


def _tname(t):
    return t if isinstance(t, str) else "%s of %s" % (t[0], t[1].cname)


class Template:
    def __init__(self, name, text, cname):
        self.name, self.cname = name, cname
        self.root = parse(name, text)
        self.struct = Struct("ps_tpl_" + cname)
        self.structs = []     # list element structs, in order of appearance
        self.has_slot = False
        self.includes = {}    # template name -> Template


def infer(t, templates):
    """Types t's fields from their uses; templates maps names to the already inferred
    templates t may include."""
    _infer_block(t, t.root.body, {}, templates)
    for s in [t.struct] + t.structs:
        s.resolve()


def _resolve(path, scope, t, where):
    """(struct, field name) for a path: a field of the template or of a loop variable's
    element; (None, element struct) for a loop variable itself."""
    parts = path.split(".")
    if parts[0] in scope:
        elem = scope[parts[0]]
        return (None, elem) if len(parts) == 1 else (elem, parts[1])
    if len(parts) != 1:
        raise TemplateError("%s: %s is not a loop variable" % (where, parts[0]))
    return t.struct, parts[0]


def _infer_block(t, nodes, scope, templates):
    for n in nodes:
        getattr(_Infer, n.kind)(t, n, scope, templates)


class _Infer:
    @staticmethod
    def text(t, n, scope, templates):
        pass

    @staticmethod
    def static(t, n, scope, templates):
        pass

    @staticmethod
    def slot(t, n, scope, templates):
        t.has_slot = True

    @staticmethod
    def value(t, n, scope, templates):
        st, f = _resolve(n.path, scope, t, n.where)
        if st is None:
            raise TemplateError("%s: a loop variable is not a value" % n.where)
        st.use(f, {"num": "num", "date": "date", "time": "time", "raw": "html"}.get(
            n.filter, "str"), n.where)

    @staticmethod
    def msg(t, n, scope, templates):
        text = n.msgid + (n.plural if n.kind == "nmsg" else "")
        for ph in PLACEHOLDER.findall(text):
            st, f = _resolve(ph, scope, t, n.where)
            if st is None:
                raise TemplateError("%s: {%s} is a loop variable" % (n.where, ph))
            st.weak(f, True, n.where)
        if n.kind == "nmsg":
            st, f = _resolve(n.count, scope, t, n.where)
            if st is None:
                raise TemplateError("%s: the count is a loop variable" % n.where)
            st.use(f, "num", n.where)

    nmsg = msg

    @staticmethod
    def _if(t, n, scope, templates):
        st, f = _resolve(n.path, scope, t, n.where)
        if st is None:
            raise TemplateError("%s: cannot test a loop variable" % n.where)
        st.weak(f, False, n.where)
        _infer_block(t, n.body_then, scope, templates)
        _infer_block(t, n.orelse, scope, templates)

    @staticmethod
    def _for(t, n, scope, templates):
        st, f = _resolve(n.path, scope, t, n.where)
        if st is None:
            raise TemplateError("%s: cannot loop over a loop variable" % n.where)
        typ = st.fields.get(f)
        if not (isinstance(typ, tuple) and typ[0] == "list"):
            comp = _loop_component(n, templates)
            if comp is not None:
                typ = ("list", comp.struct)
            else:
                elem = Struct("%s_%s" % (st.cname, f))
                t.structs.append(elem)
                typ = ("list", elem)
        st.use(f, typ, n.where)
        inner = dict(scope)
        inner[n.var] = typ[1]
        _infer_block(t, n.body, inner, templates)

    @staticmethod
    def include(t, n, scope, templates):
        comp = templates.get(n.tpl)
        if comp is None:
            raise TemplateError("%s: no template %s (or it includes this one)" % (n.where,
                                                                                 n.tpl))
        t.includes[n.tpl] = comp
        if n.path is None:
            if comp.struct.fields:
                raise TemplateError("%s: %s has fields: pass a value" % (n.where, n.tpl))
            return
        st, f = _resolve(n.path, scope, t, n.where)
        if st is None:
            if f is not comp.struct:
                raise TemplateError("%s: the loop's elements are not %s" % (n.where, n.tpl))
            return
        st.use(f, ("comp", comp), n.where)


setattr(_Infer, "if", _Infer._if)
setattr(_Infer, "for", _Infer._for)


def _loop_component(n, templates):
    """The component a loop body includes with the loop variable itself, if any: the list's
    elements are then that component's struct."""
    for c in n.body:
        if c.kind == "include" and c.path == n.var:
            comp = templates.get(c.tpl)
            if comp is None:
                raise TemplateError("%s: no template %s" % (c.where, c.tpl))
            return comp
    return None


# ---- HTML context ------------------------------------------------------------------------

class Ctx:
    """Where the tokenizer is. Equality decides whether two branches end in the same place."""
    __slots__ = ("mode", "tag", "attr", "url_filled", "tail", "keep")

    def __init__(self, mode="text", tag="", attr="", url_filled=False, tail="", keep=""):
        self.mode, self.tag, self.attr = mode, tag, attr
        self.url_filled, self.tail, self.keep = url_filled, tail, keep

    def key(self):
        return (self.mode, self.tag, self.attr, self.url_filled, self.tail, self.keep)

    def copy(self):
        return Ctx(*self.key())

    def __eq__(self, other):
        return self.key() == other.key()

    def describe(self):
        if self.mode in ("dq", "sq"):
            return "the %s attribute of <%s>" % (self.attr, self.tag)
        return {"text": "element text", "rawtext": "<%s> content" % self.tag,
                "comment": "a comment", "in_tag": "the inside of <%s>" % self.tag}.get(
                    self.mode, "markup (%s)" % self.mode)


def value_context(c, where):
    """The escaping context of a value placed at c: "text", "attr", "url" or "url_part"."""
    if c.mode == "text":
        return "text"
    if c.mode in ("dq", "sq"):
        a = c.attr
        if a.startswith("on") or a in ("style", "srcset") or c.tag == "meta":
            raise TemplateError("%s: no value may go into %s" % (where, c.describe()))
        if a in URL_ATTRS:
            return "url_part" if c.url_filled else "url"
        return "attr"
    raise TemplateError("%s: no value may go into %s (only element text and quoted "
                        "attribute values take values)" % (where, c.describe()))


def feed(c, text):
    """Runs the tokenizer over literal template text from context c (changed in place) and
    returns the text to emit (whitespace runs with a newline collapsed in text and tags)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n" and c.mode in ("text", "in_tag") and not c.keep:
            j = i
            while j < n and text[j] in " \t\r\n":
                j += 1
            run = text[i:j]
            out.append("\n" if "\n" in run else run)
            i = j
            continue
        out.append(ch)
        _step(c, ch)
        i += 1
    return "".join(out)


def _start_tag_done(c):
    tag = c.tag
    if tag in RAWTEXT_TAGS:
        c.mode, c.tail = "rawtext", ""
    else:
        c.mode, c.tail, c.tag = "text", "", ""  # in text only the open <pre> matters (keep)
        if tag in KEEP_SPACE_TAGS:
            c.keep = tag
    c.attr, c.url_filled = "", False


def _step(c, ch):
    m = c.mode
    if m == "text":
        if ch == "<":
            c.mode, c.tail = "tag_open", ""
    elif m == "tag_open":
        if ch.isalpha():
            c.mode, c.tag = "tag_name", ch.lower()
        elif ch == "/":
            c.mode, c.tag = "end_tag_open", ""
        elif ch == "!":
            c.mode, c.tail = "decl", ""
        else:
            c.mode = "text"
    elif m == "end_tag_open":
        if ch.isalpha():
            c.mode, c.tag = "end_tag", ch.lower()
        else:
            raise TemplateError("malformed end tag")
    elif m == "end_tag":
        if ch == ">":
            if c.keep == c.tag:
                c.keep = ""
            c.mode, c.tag = "text", ""
        elif not ch.isspace():
            c.tag += ch.lower()
    elif m == "tag_name":
        if ch.isspace():
            c.mode = "in_tag"
        elif ch == ">":
            _start_tag_done(c)
        elif ch == "/":
            c.mode = "in_tag"
        else:
            c.tag += ch.lower()
    elif m == "in_tag":
        if ch == ">":
            _start_tag_done(c)
        elif ch in "\"'<=":
            raise TemplateError("unexpected %r inside <%s>" % (ch, c.tag))
        elif not ch.isspace() and ch != "/":
            c.mode, c.attr = "attr_name", ch.lower()
    elif m == "attr_name":
        if ch.isspace():
            c.mode = "after_attr"
        elif ch == "=":
            c.mode = "before_value"
        elif ch == ">":
            _start_tag_done(c)
        elif ch == "/":
            c.mode = "in_tag"
        else:
            c.attr += ch.lower()
    elif m == "after_attr":
        if ch == "=":
            c.mode = "before_value"
        elif ch == ">":
            _start_tag_done(c)
        elif not ch.isspace() and ch != "/":
            c.mode, c.attr = "attr_name", ch.lower()
    elif m == "before_value":
        if ch == '"':
            c.mode, c.url_filled = "dq", False
        elif ch == "'":
            c.mode, c.url_filled = "sq", False
        elif ch == ">":
            _start_tag_done(c)
        elif not ch.isspace():
            c.mode = "unquoted"
    elif m in ("dq", "sq"):
        if ch == ('"' if m == "dq" else "'"):
            c.mode, c.attr, c.url_filled = "in_tag", "", False
        else:
            c.url_filled = True
    elif m == "unquoted":
        if ch.isspace():
            c.mode, c.attr = "in_tag", ""
        elif ch == ">":
            _start_tag_done(c)
    elif m == "rawtext":
        c.tail = (c.tail + ch.lower())[-(len(c.tag) + 2):]
        if c.tail == "</" + c.tag:
            c.mode, c.tail = "end_tag", ""
    elif m == "decl":
        c.tail += ch
        if c.tail == "--":
            c.mode, c.tail = "comment", ""
        elif ch == ">":
            c.mode, c.tail = "text", ""
        elif len(c.tail) >= 2 and not c.tail.startswith("--"):
            c.tail = "x"  # a declaration (<!DOCTYPE ...>): wait for '>'
    elif m == "comment":
        c.tail = (c.tail + ch)[-3:]
        if c.tail == "-->":
            c.mode, c.tail = "text", ""


# ---- escaping of build-time literals (translations, static URLs) -------------------------

def escape_text(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape_attr(s):
    return escape_text(s).replace('"', "&quot;").replace("'", "&#39;")


# ---- code generation ---------------------------------------------------------------------

class Gen:
    """Emits C for one template in one language."""

    def __init__(self, t, lang, catalog, statics, nplurals):
        self.t, self.lang, self.cat, self.statics = t, lang, catalog, statics
        self.nplurals = nplurals
        self.lines, self.lit, self.depth, self.loops = [], [], 1, 0
        self.missing = []
        self.at_bol = True

    # literal text is buffered so that neighbours become one ps_tw_lit call; indentation
    # right after a newline is dropped (the newline already separates, as HTML renders it)
    def emit_lit(self, s, markup=True):
        if markup and self.at_bol:
            s = s.lstrip(" \t")
        if s:
            self.lit.append(s)
        self.at_bol = markup and s.endswith("\n") if s else self.at_bol

    def flush(self):
        s = "".join(self.lit)
        self.lit = []
        if s:
            self.line("ps_tw_lit(w, %s, %d);" % (c_string(s, self.depth), len(s.encode())))

    def line(self, s):
        self.lines.append("    " * self.depth + s)

    def code(self, s):
        self.flush()
        self.line(s)

    def block(self, nodes, c, scope):
        for n in nodes:
            getattr(self, "n_" + n.kind)(n, c, scope)
        return c

    def n_text(self, n, c, scope):
        try:
            collapsible = c.mode in ("text", "in_tag") and not c.keep
            self.emit_lit(feed(c, n.text), collapsible)
        except TemplateError as e:
            raise TemplateError("%s (near line %d): %s" % (self.t.name, n.line, e))

    def cexpr(self, path, scope, where):
        parts = path.split(".")
        if parts[0] in scope:
            return "%s->%s" % (scope[parts[0]][0], parts[1]) if len(parts) > 1 \
                else scope[parts[0]][0]
        return "v->" + parts[0]

    def ctype(self, path, scope):
        parts = path.split(".")
        if parts[0] in scope:
            st = scope[parts[0]][1]
            return st.fields[parts[1]] if len(parts) > 1 else st
        return self.t.struct.fields[parts[0]]

    def put_value(self, typ, expr, ctx, where):
        """A value of typ at C expression expr, escaped for ctx."""
        tw = "PS_HTML_" + ctx.upper()
        self.at_bol = False
        if typ == "html":
            if ctx != "text":
                raise TemplateError("%s: |raw only in element text" % where)
            self.code("ps_tw_html(w, %s);" % expr)
        elif typ in ("str", "num"):
            self.code("ps_tw_%s(w, %s, %s);" % (typ, tw, expr))
        elif typ in ("date", "time"):
            if ctx.startswith("url"):
                raise TemplateError("%s: a %s cannot go into a URL" % (where, typ))
            self.code("ps_tw_%s(w, %s, %s);" % (typ, tw, expr))
        else:
            raise TemplateError("%s: %s is not a printable value" % (where, _tname(typ)))

    def n_value(self, n, c, scope):
        ctx = value_context(c, n.where)
        self.put_value(self.ctype(n.path, scope), self.cexpr(n.path, scope, n.where), ctx,
                       n.where)
        if ctx.startswith("url"):
            c.url_filled = True

    def n_static(self, n, c, scope):
        url = self.statics.get(n.file)
        if url is None:
            raise TemplateError("%s: no static file %s in web/static" % (n.where, n.file))
        ctx = value_context(c, n.where)
        if ctx == "url_part":
            raise TemplateError("%s: static() must be a whole URL" % n.where)
        self.emit_lit(escape_text(url) if ctx == "text" else escape_attr(url), False)
        if ctx.startswith("url"):
            c.url_filled = True

    def translation(self, msgid, plural):
        e = self.cat.get(msgid)
        if plural is None:
            if e is None or e.fuzzy or not e.strs.get(0):
                self.missing.append(msgid)
                return [msgid]
            return [e.strs[0]]
        n = self.nplurals
        if e is None or not e.translated(n):
            self.missing.append(msgid)
            return [msgid] + [plural] * (n - 1)
        return [e.strs[i] for i in range(n)]

    def put_message(self, text, c, scope, where):
        ctx = value_context(c, where)
        if ctx.startswith("url"):
            raise TemplateError("%s: a translation cannot go into a URL" % where)
        esc = escape_text if ctx == "text" else escape_attr
        pos = 0
        for m in PLACEHOLDER.finditer(text):
            self.emit_lit(esc(text[pos:m.start()]), False)
            typ = self.ctype(m.group(1), scope)
            self.put_value(typ, self.cexpr(m.group(1), scope, where), ctx, where)
            pos = m.end()
        self.emit_lit(esc(text[pos:]), False)

    def n_msg(self, n, c, scope):
        self.put_message(self.translation(n.msgid, None)[0], c, scope, n.where)

    def n_nmsg(self, n, c, scope):
        forms = self.translation(n.msgid, n.plural)
        count = self.cexpr(n.count, scope, n.where)
        self.code("switch (ps_i18n_plural_form(PS_LANG_%s, %s)) {" % (self.lang.upper(),
                                                                        count))
        for i, form in enumerate(forms):
            self.line(("case %d:" % i) if i < len(forms) - 1 else "default:")
            self.depth += 1
            self.put_message(form, c, scope, n.where)
            self.code("break;")
            self.depth -= 1
        self.line("}")

    def cond(self, n, scope):
        typ = self.ctype(n.path, scope)
        e = self.cexpr(n.path, scope, n.where)
        if isinstance(typ, tuple) and typ[0] == "list":
            parts = n.path.split(".")
            base = e.rsplit("->", 1)
            test = "%s->n%s > 0" % (base[0], base[1])
        elif typ == "str":
            test = "%s.len > 0" % e
        elif typ == "html":
            test = "%s.s.len > 0" % e
        elif typ == "num":
            test = "%s != 0" % e
        elif typ == "time":
            test = "%s != 0" % e
        elif typ == "date":
            test = "%s.year != 0" % e
        elif typ == "bool":
            test = e
        else:
            raise TemplateError("%s: cannot test %s" % (n.where, _tname(typ)))
        return ("!(%s)" % test) if n.neg else test

    def n_if(self, n, c, scope):
        self.code("if (%s) {" % self.cond(n, scope))
        self.depth += 1
        a = self.block(n.body_then, c.copy(), scope)
        self.flush()
        self.depth -= 1
        b = c.copy()
        if n.orelse:
            self.line("} else {")
            self.depth += 1
            b = self.block(n.orelse, b, scope)
            self.flush()
            self.depth -= 1
        self.line("}")
        if a != b:
            raise TemplateError("%s: the branches of this if end in different HTML contexts "
                                "(%s / %s)" % (n.where, a.describe(), b.describe()))
        _assign(c, a)

    def n_for(self, n, c, scope):
        e = self.cexpr(n.path, scope, n.where)
        typ = self.ctype(n.path, scope)
        base, field = e.rsplit("->", 1)
        idx = "i%d" % self.loops
        var = "l_" + n.var
        self.loops += 1
        self.code("for (size_t %s = 0; %s < %s->n%s; %s++) {" % (idx, idx, base, field, idx))
        self.depth += 1
        self.line("const struct %s *%s = &%s[%s];" % (typ[1].cname, var, e, idx))
        self.line("(void)%s;" % var)
        inner = dict(scope)
        inner[n.var] = (var, typ[1])
        end = self.block(n.body, c.copy(), inner)
        self.flush()
        self.depth -= 1
        self.line("}")
        self.loops -= 1
        if end != c:
            raise TemplateError("%s: the loop body ends in another HTML context than it "
                                "starts (%s / %s)" % (n.where, c.describe(), end.describe()))

    def n_include(self, n, c, scope):
        if c.mode != "text":
            raise TemplateError("%s: include only in element text" % n.where)
        comp = self.t.includes[n.tpl]
        if n.path is None:
            self.code("ps_tpl_%s(w, NULL);" % comp.cname)
            return
        e = self.cexpr(n.path, scope, n.where)
        ref = e if n.path.split(".")[0] in scope and "." not in n.path else "&" + e
        self.code("ps_tpl_%s(w, %s);" % (comp.cname, ref))
        self.at_bol = False

    def n_slot(self, n, c, scope):
        if c.mode != "text":
            raise TemplateError("%s: the slot must be in element text" % n.where)
        self.code("slot.fn(w, slot.v);")
        self.at_bol = False


def _assign(dst, src):
    for k in Ctx.__slots__:
        setattr(dst, k, getattr(src, k))


def c_string(s, depth):
    """s as C string literals (UTF-8 kept as is, split into lines of ~90 bytes)."""
    parts, cur = [], []
    for ch in s:
        if ch == "\\":
            cur.append("\\\\")
        elif ch == '"':
            cur.append('\\"')
        elif ch == "\n":
            cur.append("\\n")
            if sum(len(x) for x in cur) > 60:
                parts.append("".join(cur))
                cur = []
        elif ch == "?":
            cur.append("\\?")  # no trigraphs in -std=c11
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            cur.append("\\%03o" % ord(ch))
        else:
            cur.append(ch)
        if sum(len(x) for x in cur) > 90:
            parts.append("".join(cur))
            cur = []
    if cur or not parts:
        parts.append("".join(cur))
    sep = "\n" + "    " * (depth + 1)
    return sep.join('"%s"' % p for p in parts)


def generate(t, lang, catalog, statics, nplurals):
    """The body of t's render function for lang: (C lines, msgids without a translation)."""
    g = Gen(t, lang, catalog, statics, nplurals)
    c = Ctx()
    g.block(t.root.body, c, {})
    g.flush()
    if c.mode != "text" or c.keep:
        raise TemplateError("%s: ends inside %s" % (t.name, c.describe()))
    return g.lines, g.missing


def messages(t):
    """[(msgid, plural or None, line)] the template uses."""
    out = []

    def walk(nodes):
        for n in nodes:
            if n.kind == "msg":
                out.append((n.msgid, None, n.line))
            elif n.kind == "nmsg":
                out.append((n.msgid, n.plural, n.line))
            elif n.kind == "if":
                walk(n.body_then)
                walk(n.orelse)
            elif n.kind == "for":
                walk(n.body)
    walk(t.root.body)
    return out


def include_names(text):
    """Names of the templates text includes (for ordering before parsing)."""
    return re.findall(r"\{%\s*include\s+" + _STR, text)
