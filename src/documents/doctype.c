/* The document-type loader: libfyaml builds the YAML tree (syntax errors, duplicate keys and
 * the depth limit are its), then one walk checks it against the format of
 * docs/formats/doctype.md and copies it into the arena. Every error names the file, line and
 * column of the node at fault (scalars by their own position, collections by the key that
 * introduced them), and the path to it ("claims[3].from"). */
#include "documents/doctype.h"

#include <dirent.h>
#include <errno.h>
#include <libfyaml.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "registries/records.h"

struct walk {
    const char *file;
    struct ps_arena *arena;
    struct ps_diag *diag;
    char path[96]; /* where we are, for messages: "claims[3]" */
};

/* A node and where to point at it. */
struct at {
    struct fy_node *n;
    struct fy_mark m; /* 0-based */
};

static enum ps_err fail(struct walk *w, struct fy_mark m, const char *fmt, ...) PS_PRINTF(3, 4);

static enum ps_err fail(struct walk *w, struct fy_mark m, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    return ps_diag_set(w->diag, PS_ERR_INVALID, "%s:%d:%d: %s%s%s", w->file, m.line + 1,
                       m.column + 1, w->path, w->path[0] ? ": " : "", msg);
}

static enum ps_err oom(struct walk *w)
{
    return ps_diag_set(w->diag, PS_ERR_NOMEM, "%s: out of memory", w->file);
}

/* Where a node is: a scalar's token; a mapping's first key, a sequence's first item (a few
 * levels down); else the position given (the key that introduced the node). */
static struct fy_mark mark_of(struct fy_node *n, struct fy_mark fallback)
{
    for (int depth = 0; n && depth < 4; depth++) {
        void *it = NULL;
        if (fy_node_is_scalar(n)) {
            struct fy_token *t = fy_node_get_scalar_token(n);
            const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
            return m ? *m : fallback;
        }
        if (fy_node_is_mapping(n)) {
            struct fy_node_pair *p = fy_node_mapping_iterate(n, &it);
            n = p ? fy_node_pair_key(p) : NULL;
        } else {
            n = fy_node_is_sequence(n) ? fy_node_sequence_iterate(n, &it) : NULL;
        }
    }
    return fallback;
}

static void path_set(struct walk *w, const char *fmt, ...) PS_PRINTF(2, 3);

static void path_set(struct walk *w, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(w->path, sizeof w->path, fmt, ap);
    va_end(ap);
    if (n < 0)
        w->path[0] = '\0';
}

/* ---- scalars ---- */

static enum ps_err scalar(struct walk *w, struct at a, const char *what, struct ps_str *out)
{
    if (fy_node_is_alias(a.n))
        return fail(w, a.m, "aliases are not allowed");
    if (!fy_node_is_scalar(a.n))
        return fail(w, a.m, "%s must be a single value", what);
    size_t len = 0;
    const char *p = fy_node_get_scalar(a.n, &len);
    if (!p)
        return fail(w, a.m, "%s cannot be read", what);
    *out = (struct ps_str){p, len};
    return PS_OK;
}

/* Text of 1..max bytes without control characters, copied into the arena. */
static enum ps_err text(struct walk *w, struct at a, const char *what, size_t max,
                        const char **out)
{
    struct ps_str s;
    enum ps_err e = scalar(w, a, what, &s);
    if (e != PS_OK)
        return e;
    if (s.len == 0 || s.len > max)
        return fail(w, a.m, "%s must be 1 to %zu bytes", what, max);
    for (size_t i = 0; i < s.len; i++) {
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7f)
            return fail(w, a.m, "%s contains a control character", what);
    }
    *out = ps_arena_cstr(w->arena, s);
    return *out ? PS_OK : oom(w);
}

/* A name of [a-z0-9] and the extra characters, starting with a letter or digit. */
static enum ps_err ident(struct walk *w, struct at a, const char *what, const char *extra,
                        size_t max, const char **out)
{
    enum ps_err e = text(w, a, what, max, out);
    for (const char *c = *out; e == PS_OK && *c; c++) {
        bool ok = (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
                  (c != *out && strchr(extra, *c));
        if (!ok)
            return fail(w, a.m, "%s may hold only a-z, 0-9 and \"%s\" (not first)", what,
                        extra);
    }
    return e;
}

static enum ps_err uint_in(struct walk *w, struct at a, const char *what, unsigned lo,
                           unsigned hi, unsigned *out)
{
    struct ps_str s;
    uint64_t v = 0;
    enum ps_err e = scalar(w, a, what, &s);
    if (e != PS_OK)
        return e;
    if (ps_str_to_u64(s, &v) != PS_OK || v < lo || v > hi)
        return fail(w, a.m, "%s must be a whole number from %u to %u", what, lo, hi);
    *out = (unsigned)v;
    return PS_OK;
}

static enum ps_err boolean(struct walk *w, struct at a, const char *what, bool *out)
{
    struct ps_str s;
    enum ps_err e = scalar(w, a, what, &s);
    if (e != PS_OK)
        return e;
    if (ps_str_eq_cstr(s, "true"))
        *out = true;
    else if (ps_str_eq_cstr(s, "false"))
        *out = false;
    else
        return fail(w, a.m, "%s must be true or false", what);
    return PS_OK;
}

/* ---- mappings ---- */

#define MAX_KEYS 12

struct keys {
    const char *const *names; /* the keys this mapping may have */
    unsigned required;        /* bit i: names[i] must be present */
    struct at v[MAX_KEYS];    /* OUT: the values found (n NULL when absent) */
};

static enum ps_err mapping(struct walk *w, struct at a, const char *what, struct keys *k)
{
    if (fy_node_is_alias(a.n) || !fy_node_is_mapping(a.n))
        return fail(w, a.m, "%s must be a mapping of keys to values", what);
    memset(k->v, 0, sizeof k->v);
    void *it = NULL;
    struct fy_node_pair *p;
    while ((p = fy_node_mapping_iterate(a.n, &it))) {
        struct at key = {fy_node_pair_key(p), a.m};
        key.m = mark_of(key.n, a.m);
        struct ps_str name;
        enum ps_err e = scalar(w, key, "a key", &name);
        if (e != PS_OK)
            return e;
        size_t i = 0;
        while (k->names[i] && !ps_str_eq_cstr(name, k->names[i]))
            i++;
        if (!k->names[i])
            return fail(w, key.m, "unknown key \"%.*s\" in %s", (int)(name.len > 40 ? 40 : name.len),
                        name.p, what);
        /* a value's own place for a scalar; its key's for a collection */
        k->v[i] = (struct at){fy_node_pair_value(p), key.m};
        if (fy_node_is_scalar(k->v[i].n))
            k->v[i].m = mark_of(k->v[i].n, key.m);
    }
    for (size_t i = 0; k->names[i]; i++) {
        if ((k->required & (1u << i)) && !k->v[i].n)
            return fail(w, a.m, "%s needs \"%s\"", what, k->names[i]);
    }
    return PS_OK;
}

static enum ps_err label(struct walk *w, struct at a, const char *what, struct ps_label *out)
{
    static const char *const names[] = {"uk", "en", NULL};
    struct keys k = {names, 0x3, {{0}}};
    enum ps_err e = mapping(w, a, what, &k);
    if (e == PS_OK)
        e = text(w, k.v[0], "uk", PS_DOCTYPE_LABEL_MAX, &out->uk);
    if (e == PS_OK)
        e = text(w, k.v[1], "en", PS_DOCTYPE_LABEL_MAX, &out->en);
    return e;
}

/* ---- claims ---- */

static const char *const type_names[] = {"text", "date", "int", "bool", "bytes"};

const char *ps_claim_type_name(enum ps_claim_type t)
{
    return (unsigned)t < 5 ? type_names[t] : "";
}

static const struct {
    const char *name;
    enum ps_claim_type type;
} derived[] = {
    [PS_DERIVED_FULL_NAME] = {"full_name", PS_CLAIM_TEXT},
    [PS_DERIVED_FULL_NAME_LATIN] = {"full_name_latin", PS_CLAIM_TEXT},
    [PS_DERIVED_ADDRESS] = {"address", PS_CLAIM_TEXT},
    [PS_DERIVED_OVER_18] = {"over_18", PS_CLAIM_BOOL},
    [PS_DERIVED_OVER_21] = {"over_21", PS_CLAIM_BOOL},
    [PS_DERIVED_AGE] = {"age", PS_CLAIM_INT},
    [PS_DERIVED_PHOTO] = {"photo", PS_CLAIM_BYTES},
}, docfields[] = {
    [PS_DOCFIELD_ID] = {"id", PS_CLAIM_TEXT},
    [PS_DOCFIELD_ISSUED_ON] = {"issued_on", PS_CLAIM_DATE},
    [PS_DOCFIELD_EXPIRES_ON] = {"expires_on", PS_CLAIM_DATE},
};

/* "person.surname", "record.plate", "derived.over_18", "document.id". */
static enum ps_err origin(struct walk *w, struct at a, const struct ps_doctype *t,
                          struct ps_doctype_claim *c)
{
    struct ps_str s;
    enum ps_err e = scalar(w, a, "from", &s);
    const char *dot = e == PS_OK ? memchr(s.p, '.', s.len) : NULL;
    if (e != PS_OK)
        return e;
    if (!dot)
        return fail(w, a.m, "from is person.FIELD, record.FIELD, derived.NAME or document.NAME");
    struct ps_str head = {s.p, (size_t)(dot - s.p)}, tail = {dot + 1, s.len - head.len - 1};
    c->field = -1;
    if (ps_str_eq_cstr(head, "person") || ps_str_eq_cstr(head, "record")) {
        c->from = head.p[0] == 'p' ? PS_FROM_PERSON : PS_FROM_RECORD;
        c->field = ps_record_field(c->from == PS_FROM_PERSON
                                       ? ps_record_source(PS_STR("person")) : t->source,
                                   tail);
        if (c->field >= 0 && c->type != PS_CLAIM_TEXT && c->type != PS_CLAIM_DATE &&
            c->type != PS_CLAIM_INT)
            return fail(w, a.m, "a registry field is text, date or int, not %s",
                        type_names[c->type]);
    } else {
        bool doc = ps_str_eq_cstr(head, "document");
        if (!doc && !ps_str_eq_cstr(head, "derived"))
            return fail(w, a.m, "from starts with person., record., derived. or document.");
        size_t n = doc ? sizeof docfields / sizeof docfields[0] : sizeof derived / sizeof derived[0];
        for (size_t i = 0; i < n && c->field < 0; i++) {
            if (ps_str_eq_cstr(tail, doc ? docfields[i].name : derived[i].name))
                c->field = (int)i;
        }
        c->from = doc ? PS_FROM_DOCUMENT : PS_FROM_DERIVED;
        enum ps_claim_type want = c->field < 0 ? c->type : doc ? docfields[c->field].type
                                                                : derived[c->field].type;
        if (want != c->type)
            return fail(w, a.m, "%.*s is of type %s, not %s", PS_STR_FMT(s), type_names[want],
                        type_names[c->type]);
    }
    if (c->field < 0)
        return fail(w, a.m, "unknown field \"%.*s\"%s%s", (int)(s.len > 60 ? 60 : s.len), s.p,
                    c->from == PS_FROM_RECORD ? " of source " : "",
                    c->from == PS_FROM_RECORD ? t->source->name : "");
    return PS_OK;
}

static enum ps_err claim(struct walk *w, struct at a, const struct ps_doctype *t,
                         struct ps_doctype_claim *c)
{
    static const char *const names[] = {"name", "type", "from", "disclose", "label", NULL};
    struct keys k = {names, 0x17, {{0}}};
    struct ps_str ty;
    enum ps_err e = mapping(w, a, "a claim", &k);
    if (e == PS_OK)
        e = ident(w, k.v[0], "name", "_", PS_DOCTYPE_NAME_MAX, &c->name);
    if (e == PS_OK && (c->name[0] < 'a' || c->name[0] > 'z'))
        return fail(w, k.v[0].m, "a claim name starts with a letter");
    if (e == PS_OK)
        e = scalar(w, k.v[1], "type", &ty);
    if (e != PS_OK)
        return e;
    size_t i = 0;
    while (i < 5 && !ps_str_eq_cstr(ty, type_names[i]))
        i++;
    if (i == 5)
        return fail(w, k.v[1].m, "type is one of text, date, int, bool, bytes");
    c->type = (enum ps_claim_type)i;
    e = origin(w, k.v[2], t, c);
    if (e == PS_OK && k.v[3].n)
        e = boolean(w, k.v[3], "disclose", &c->disclose);
    if (e == PS_OK)
        e = label(w, k.v[4], "label", &c->label);
    return e;
}

static enum ps_err claims(struct walk *w, struct at a, struct ps_doctype *t)
{
    if (fy_node_is_alias(a.n) || !fy_node_is_sequence(a.n))
        return fail(w, a.m, "claims must be a list");
    int n = fy_node_sequence_item_count(a.n);
    if (n < 1 || n > PS_DOCTYPE_CLAIMS_MAX)
        return fail(w, a.m, "a type has 1 to %d claims", PS_DOCTYPE_CLAIMS_MAX);
    struct ps_doctype_claim *c = ps_arena_array(w->arena, (size_t)n, sizeof *c);
    if (!c)
        return oom(w);
    void *it = NULL;
    struct fy_node *item;
    enum ps_err e = PS_OK;
    for (size_t i = 0; e == PS_OK && (item = fy_node_sequence_iterate(a.n, &it)); i++) {
        path_set(w, "claims[%zu]", i);
        struct at ia = {item, mark_of(item, a.m)};
        memset(&c[i], 0, sizeof c[i]);
        e = claim(w, ia, t, &c[i]);
        for (size_t j = 0; e == PS_OK && j < i; j++) {
            if (strcmp(c[j].name, c[i].name) == 0)
                e = fail(w, ia.m, "claim \"%s\" is defined twice", c[i].name);
        }
    }
    t->claims = c;
    t->nclaims = (size_t)n;
    w->path[0] = '\0';
    return e;
}

/* ---- layout ---- */

static enum ps_err section(struct walk *w, struct at a, struct ps_doctype *t,
                           struct ps_doctype_section *s, bool *used)
{
    static const char *const names[] = {"section", "claims", NULL};
    struct keys k = {names, 0x3, {{0}}};
    enum ps_err e = mapping(w, a, "a section", &k);
    if (e == PS_OK)
        e = label(w, k.v[0], "section", &s->title);
    if (e != PS_OK)
        return e;
    struct at l = k.v[1];
    if (fy_node_is_alias(l.n) || !fy_node_is_sequence(l.n) || fy_node_sequence_item_count(l.n) < 1)
        return fail(w, l.m, "a section's claims are a list of claim names");
    size_t n = (size_t)fy_node_sequence_item_count(l.n);
    size_t *idx = ps_arena_array(w->arena, n, sizeof *idx);
    if (!idx)
        return oom(w);
    void *it = NULL;
    struct fy_node *item;
    for (size_t i = 0; (item = fy_node_sequence_iterate(l.n, &it)); i++) {
        struct at ia = {item, mark_of(item, l.m)};
        struct ps_str name;
        e = scalar(w, ia, "a claim name", &name);
        int c = e == PS_OK ? ps_doctype_claim_index(t, name) : 0;
        if (e != PS_OK)
            return e;
        if (c < 0)
            return fail(w, ia.m, "no claim \"%.*s\"", (int)(name.len > 60 ? 60 : name.len),
                        name.p);
        if (used[c])
            return fail(w, ia.m, "claim \"%s\" is laid out twice", t->claims[c].name);
        used[c] = true;
        idx[i] = (size_t)c;
    }
    s->claims = idx;
    s->n = n;
    return PS_OK;
}

static enum ps_err layout(struct walk *w, struct at a, struct ps_doctype *t)
{
    bool used[PS_DOCTYPE_CLAIMS_MAX] = {false};
    if (fy_node_is_alias(a.n) || !fy_node_is_sequence(a.n))
        return fail(w, a.m, "layout must be a list of sections");
    int n = fy_node_sequence_item_count(a.n);
    if (n < 1 || n > PS_DOCTYPE_SECTIONS_MAX)
        return fail(w, a.m, "a layout has 1 to %d sections", PS_DOCTYPE_SECTIONS_MAX);
    struct ps_doctype_section *s = ps_arena_array(w->arena, (size_t)n, sizeof *s);
    if (!s)
        return oom(w);
    void *it = NULL;
    struct fy_node *item;
    enum ps_err e = PS_OK;
    for (size_t i = 0; e == PS_OK && (item = fy_node_sequence_iterate(a.n, &it)); i++) {
        path_set(w, "layout[%zu]", i);
        e = section(w, (struct at){item, mark_of(item, a.m)}, t, &s[i], used);
    }
    w->path[0] = '\0';
    t->sections = s;
    t->nsections = (size_t)n;
    return e;
}

/* Without a layout: one section, named as the type, with every claim. */
static enum ps_err default_layout(struct walk *w, struct ps_doctype *t)
{
    struct ps_doctype_section *s = ps_arena_zalloc(w->arena, sizeof *s);
    size_t *idx = ps_arena_array(w->arena, t->nclaims, sizeof *idx);
    if (!s || !idx)
        return oom(w);
    for (size_t i = 0; i < t->nclaims; i++)
        idx[i] = i;
    *s = (struct ps_doctype_section){t->name, idx, t->nclaims};
    t->sections = s;
    t->nsections = 1;
    return PS_OK;
}

/* ---- the type ---- */

static enum ps_err validity(struct walk *w, struct at a, struct ps_doctype *t)
{
    static const char *const names[] = {"years", "days", "field", NULL};
    struct keys k = {names, 0, {{0}}};
    enum ps_err e = mapping(w, a, "validity", &k);
    if (e != PS_OK)
        return e;
    int given = !!k.v[0].n + !!k.v[1].n + !!k.v[2].n;
    if (given != 1)
        return fail(w, a.m, "validity is one of years: N, days: N or field: NAME");
    unsigned v = 0;
    if (k.v[0].n) {
        t->validity = PS_VALID_YEARS;
        e = uint_in(w, k.v[0], "years", 1, 100, &v);
    } else if (k.v[1].n) {
        t->validity = PS_VALID_DAYS;
        e = uint_in(w, k.v[1], "days", 1, 36500, &v);
    } else {
        struct ps_str f;
        t->validity = PS_VALID_FIELD;
        e = scalar(w, k.v[2], "field", &f);
        int i = e == PS_OK ? ps_record_field(t->source, f) : 0;
        if (e == PS_OK && i < 0)
            return fail(w, k.v[2].m, "source %s has no field \"%.*s\"", t->source->name,
                        (int)(f.len > 60 ? 60 : f.len), f.p);
        v = (unsigned)i;
    }
    t->validity_n = (int)v;
    return e;
}

static enum ps_err source(struct walk *w, struct at a, struct ps_doctype *t)
{
    struct ps_str s;
    enum ps_err e = scalar(w, a, "source", &s);
    if (e != PS_OK)
        return e;
    t->source = ps_record_source(s);
    if (t->source)
        return PS_OK;
    size_t n = 0;
    const struct ps_record_source *all = ps_record_sources(&n);
    char list[256] = "";
    for (size_t i = 0, used = 0; i < n; i++) {
        int k = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", all[i].name);
        if (k < 0 || (size_t)k >= sizeof list - used)
            break;
        used += (size_t)k;
    }
    return fail(w, a.m, "unknown source; the sources are %s", list);
}

/* Claims that need the photo and the photo flag agree. */
static enum ps_err photo_check(struct walk *w, struct at a, const struct ps_doctype *t)
{
    bool has = false;
    for (size_t i = 0; i < t->nclaims; i++)
        has |= t->claims[i].from == PS_FROM_DERIVED && t->claims[i].field == PS_DERIVED_PHOTO;
    if (t->photo && !has)
        return fail(w, a.m, "photo: true needs a claim from derived.photo");
    if (!t->photo && has)
        return fail(w, a.m, "a claim from derived.photo needs photo: true");
    return PS_OK;
}

static enum ps_err doctype(struct walk *w, struct at root, struct ps_doctype *t)
{
    static const char *const names[] = {"id",         "version", "name",   "issuer",
                                        "source",     "validity", "suspension", "photo",
                                        "claims",     "layout",  NULL};
    struct keys k = {names, 0x13f, {{0}}};
    enum ps_err e = mapping(w, root, "a document type", &k);
    if (e == PS_OK)
        e = ident(w, k.v[0], "id", ".-", PS_DOCTYPE_ID_MAX, &t->id);
    if (e == PS_OK)
        e = uint_in(w, k.v[1], "version", 1, 1000000, &t->version);
    if (e == PS_OK)
        e = label(w, k.v[2], "name", &t->name);
    if (e == PS_OK)
        e = ident(w, k.v[3], "issuer", "-", 32, &t->issuer);
    if (e == PS_OK)
        e = source(w, k.v[4], t);
    if (e == PS_OK)
        e = validity(w, k.v[5], t);
    if (e == PS_OK && k.v[6].n)
        e = boolean(w, k.v[6], "suspension", &t->suspension);
    if (e == PS_OK && k.v[7].n)
        e = boolean(w, k.v[7], "photo", &t->photo);
    if (e == PS_OK)
        e = claims(w, k.v[8], t);
    if (e == PS_OK)
        e = photo_check(w, k.v[7].n ? k.v[7] : root, t);
    if (e == PS_OK)
        e = k.v[9].n ? layout(w, k.v[9], t) : default_layout(w, t);
    return e;
}

/* One code point of UTF-8 at p (n bytes left): its length, or 0 when malformed (overlong,
 * surrogate, past U+10FFFF, truncated). */
static size_t utf8_len(const unsigned char *p, size_t n, uint32_t *cp)
{
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t len = p[0] < 0x80 ? 1 : (p[0] & 0xE0) == 0xC0 ? 2 : (p[0] & 0xF0) == 0xE0 ? 3
                 : (p[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (len == 0 || len > n)
        return 0;
    uint32_t c = len == 1 ? p[0] : (uint32_t)(p[0] & (0x7F >> len));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        c = c << 6 | (p[i] & 0x3F);
    }
    if (c < min[len] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* YAML 1.2's c-printable: tab, line breaks, the printable ranges (no other C0 or C1
 * controls, no DEL, no non-characters FFFE/FFFF). */
static bool printable(uint32_t c)
{
    return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
           (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0x10FFFF);
}

/* The whole text is printable UTF-8 (what YAML allows) without tabs: all that libfyaml is
 * given. Both guards were found by the fuzz target: a malformed byte in a directive made
 * libfyaml 0.7.12 loop, and a tab after a complex key ("? id:\t ?") made it crash in its
 * cleanup. Types are indented and separated with spaces, as YAML recommends. */
static enum ps_err check_text(struct walk *w, const char *text, size_t len)
{
    struct fy_mark m = {0, 0, 0};
    for (size_t i = 0; i < len;) {
        uint32_t c = 0;
        size_t k = utf8_len((const unsigned char *)text + i, len - i, &c);
        if (k == 0 || !printable(c) || c == '\t')
            return fail(w, m, k == 0       ? "not UTF-8 text"
                              : c == '\t' ? "tabs are not allowed: indent with spaces"
                                          : "character U+%04X is not allowed",
                        (unsigned)c);
        if (c == '\n') {
            m.line++;
            m.column = 0;
        } else {
            m.column++;
        }
        i += k;
    }
    return PS_OK;
}

/* A syntax error from libfyaml's collected diagnostics (1-based positions there). */
static enum ps_err syntax_error(struct walk *w, struct fy_diag *d)
{
    void *it = NULL;
    struct fy_diag_error *err = d ? fy_diag_errors_iterate(d, &it) : NULL;
    if (!err)
        return ps_diag_set(w->diag, PS_ERR_INVALID, "%s: not a YAML document", w->file);
    return ps_diag_set(w->diag, PS_ERR_INVALID, "%s:%d:%d: %s", w->file, err->line,
                       err->column, err->msg ? err->msg : "syntax error");
}

enum ps_err ps_doctype_parse(const char *file, const char *text, size_t len,
                             struct ps_arena *arena, struct ps_doctype *out,
                             struct ps_diag *diag)
{
    struct walk w = {file ? file : "doctype", arena, diag, ""};
    memset(out, 0, sizeof *out);
    if (len > PS_DOCTYPE_FILE_MAX)
        return ps_diag_set(diag, PS_ERR_LIMIT, "%s: longer than %u bytes", w.file,
                           PS_DOCTYPE_FILE_MAX);
    enum ps_err te = check_text(&w, text, len);
    if (te != PS_OK)
        return te;
    struct fy_diag_cfg dc;
    fy_diag_cfg_default(&dc);
    dc.fp = NULL;
    struct fy_diag *d = fy_diag_create(&dc);
    if (!d)
        return oom(&w);
    fy_diag_set_collect_errors(d, true);
    struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = d};
    struct fy_document *doc = len ? fy_document_build_from_string(&cfg, text, len) : NULL;
    struct fy_node *root = doc ? fy_document_root(doc) : NULL;
    enum ps_err e = PS_OK;
    if (!root)
        e = syntax_error(&w, doc ? NULL : d);
    else
        e = doctype(&w, (struct at){root, {0, 0, 0}}, out);
    fy_document_destroy(doc);
    fy_diag_destroy(d);
    if (e != PS_OK)
        memset(out, 0, sizeof *out);
    return e;
}

int ps_doctype_claim_index(const struct ps_doctype *t, struct ps_str name)
{
    for (size_t i = 0; i < t->nclaims; i++) {
        if (ps_str_eq_cstr(name, t->claims[i].name))
            return (int)i;
    }
    return -1;
}
