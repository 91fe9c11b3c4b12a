/* The cel-spec "simple" conformance runner: reads testdata/ (*.textproto) (SimpleTestFile), runs
 * every test through src/cel (parse, check unless disable_check, evaluate with the bindings)
 * and compares the result exactly (kinds included) with the expected value, or expects an
 * evaluation error. Tests that need protocol buffer messages (message construction, message
 * values or types) are skipped with the reason and never counted as passed. Prints one line
 * per file with its pass rate and ends with "N passed, N failed, N skipped"; exits 1 when any
 * test failed.
 *
 * Usage: cel_conformance [-v] [-k SUBSTRING] FILE.textproto...
 *   -v  print every failure (expression, expected, got)   -k  only tests whose name contains */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cel/cel.h"
#include "textproto.h"

#define FILE_MAX (8u << 20)
#define ARENA_BYTES (64u << 20)

static bool verbose;
static const char *filter;
static struct ps_cel_tz_resolver tz;

struct counts {
    unsigned pass, fail, skip;
};

/* ---- reading the test file ---------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(FILE_MAX);
    size_t n = buf ? fread(buf, 1, FILE_MAX - 1, f) : 0;
    fclose(f);
    if (buf)
        buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- why a test cannot run without protocol buffers ----------------------------------------- */

static bool ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.';
}

/* A message construction (Name{...}) outside string literals. */
static bool constructs_message(const char *e)
{
    for (size_t i = 0; e[i];) {
        if (e[i] == '"' || e[i] == '\'') {
            char q = e[i];
            bool triple = e[i + 1] == q && e[i + 2] == q;
            i += triple ? 3 : 1;
            while (e[i] && !(e[i] == q && (!triple || (e[i + 1] == q && e[i + 2] == q)))) {
                if (e[i] == '\\' && e[i + 1])
                    i++;
                i++;
            }
            i += e[i] ? (triple ? 3 : 1) : 0;
            continue;
        }
        if (ident_char(e[i]) && !(e[i] >= '0' && e[i] <= '9')) {
            size_t s = i;
            while (ident_char(e[i]))
                i++;
            size_t j = i;
            for (;;) {
                if (e[j] == ' ' || e[j] == '\t' || e[j] == '\n' || e[j] == '\r' || e[j] == '\f')
                    j++;
                else if (e[j] == '/' && e[j + 1] == '/')
                    while (e[j] && e[j] != '\n')
                        j++;
                else
                    break;
            }
            if (e[j] == '{' && !(i - s == 2 && strncmp(e + s, "in", 2) == 0))
                return true;
            continue;
        }
        i++;
    }
    return false;
}

static bool native_message(const char *type_url_or_name)
{
    return strstr(type_url_or_name, "google.protobuf.Timestamp") ||
           strstr(type_url_or_name, "google.protobuf.Duration");
}

/* Walks a subtree for message values, enums and message types CEL has no native form for. */
static const char *proto_use(const struct tp_node *n)
{
    for (const struct tp_node *f = n ? n->first : NULL; f; f = f->next) {
        if (strcmp(f->name, "enum_value") == 0)
            return "uses a protocol buffer enum value";
        if (strcmp(f->name, "wrapper") == 0)
            return "declares a protocol buffer wrapper type";
        if (strcmp(f->name, "message_type") == 0 && !native_message(f->text))
            return "declares a protocol buffer message type";
        if (strcmp(f->name, "well_known") == 0 && strcmp(f->text, "ANY") == 0)
            return "declares google.protobuf.Any";
        if (f->name[0] == '[' && !native_message(f->name))
            return "uses a protocol buffer message value";
        if (f->kind == TP_MESSAGE) {
            const char *r = proto_use(f);
            if (r)
                return r;
        }
    }
    return NULL;
}

static const char *skip_reason(const struct tp_node *test)
{
    const struct tp_node *e = tp_get(test, "expr");
    if (e && constructs_message(e->text))
        return "constructs a protocol buffer message";
    const char *r = proto_use(test);
    if (r)
        return r;
    if (tp_get(test, "check_only") || tp_get(test, "typed_result"))
        return "checks deduced types only";
    if (tp_get(test, "unknown") || tp_get(test, "any_unknowns"))
        return "expects unknown values";
    for (const struct tp_node *f = test->first; f; f = f->next)
        if (strcmp(f->name, "type_env") == 0 && tp_get(f, "function"))
            return "declares functions in its type environment";
    return NULL;
}

/* ---- expected values and types ---------------------------------------------------------------- */

static bool to_value(struct ps_arena *a, const struct tp_node *v, struct ps_cel_value *out);

static double number(const struct tp_node *n)
{
    const char *t = n->text;
    if (strcasecmp(t, "inf") == 0 || strcasecmp(t, "infinity") == 0)
        return INFINITY;
    if (strcasecmp(t, "-inf") == 0 || strcasecmp(t, "-infinity") == 0)
        return -INFINITY;
    if (strcasecmp(t, "nan") == 0)
        return NAN;
    return strtod(t, NULL);
}

static bool to_list(struct ps_arena *a, const struct tp_node *l, struct ps_cel_value *out)
{
    uint32_t n = 0;
    for (const struct tp_node *f = l->first; f; f = f->next)
        n++;
    struct ps_cel_value *items = ps_arena_array(a, n ? n : 1, sizeof *items);
    n = 0;
    for (const struct tp_node *f = l->first; f && items; f = f->next)
        if (strcmp(f->name, "values") == 0 && !to_value(a, f, &items[n++]))
            return false;
    *out = ps_cel_list(items, n);
    return items != NULL;
}

static bool to_map(struct ps_arena *a, const struct tp_node *m, struct ps_cel_value *out)
{
    uint32_t n = 0;
    for (const struct tp_node *f = m->first; f; f = f->next)
        n++;
    struct ps_cel_value *keys = ps_arena_array(a, n ? n : 1, sizeof *keys);
    struct ps_cel_value *vals = ps_arena_array(a, n ? n : 1, sizeof *vals);
    n = 0;
    for (const struct tp_node *f = m->first; f && keys && vals; f = f->next) {
        if (strcmp(f->name, "entries") != 0)
            continue;
        if (!to_value(a, tp_get(f, "key"), &keys[n]) || !to_value(a, tp_get(f, "value"), &vals[n]))
            return false;
        n++;
    }
    struct ps_cel_diag d;
    return keys && vals && ps_cel_map_new(a, keys, vals, n, out, &d) == PS_OK;
}

static const char *const type_names[] = {
    "null_type", "bool", "int", "uint", "double", "string", "bytes", "list", "map",
    "google.protobuf.Timestamp", "google.protobuf.Duration", "type", "optional_type"};

static bool to_type_value(struct ps_arena *a, const char *name, struct ps_cel_value *out)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (strcmp(name, type_names[i]) == 0) {
            /* a type value is whatever type() gives for a value of that type: evaluate it */
            struct ps_cel_env *env = ps_cel_env_new(NULL);
            struct ps_cel_program *p = NULL;
            struct ps_cel_diag d;
            bool ok = env && ps_cel_compile(env, ps_str_from_cstr(name), 0, &p, &d) == PS_OK &&
                      ps_cel_eval(p, NULL, a, NULL, out, &d) == PS_OK;
            ps_cel_program_free(p); /* type values are static: nothing points into p */
            ps_cel_env_free(env);
            return ok;
        }
    return false;
}

/* google.protobuf.Timestamp / Duration inside object_value. */
static bool to_object(const struct tp_node *o, struct ps_cel_value *out)
{
    const struct tp_node *m = o->first;
    if (!m || !native_message(m->name))
        return false;
    const struct tp_node *s = tp_get(m, "seconds"), *ns = tp_get(m, "nanos");
    int64_t sec = s ? strtoll(s->text, NULL, 10) : 0, nanos = ns ? strtoll(ns->text, NULL, 10) : 0;
    if (strstr(m->name, "Duration")) {
        *out = ps_cel_duration(sec * 1000000000 + nanos);
        return true;
    }
    return ps_cel_timestamp(sec, (uint32_t)nanos, out) == PS_OK;
}

static bool to_value(struct ps_arena *a, const struct tp_node *v, struct ps_cel_value *out)
{
    const struct tp_node *f = v ? v->first : NULL;
    if (!f) /* Value{} with nothing set */
        return false;
    const char *k = f->name;
    if (strcmp(k, "null_value") == 0)
        *out = ps_cel_null();
    else if (strcmp(k, "bool_value") == 0)
        *out = ps_cel_bool(strcmp(f->text, "true") == 0);
    else if (strcmp(k, "int64_value") == 0)
        *out = ps_cel_int(strtoll(f->text, NULL, 0));
    else if (strcmp(k, "uint64_value") == 0)
        *out = ps_cel_uint(strtoull(f->text, NULL, 0));
    else if (strcmp(k, "double_value") == 0)
        *out = ps_cel_double(number(f));
    else if (strcmp(k, "string_value") == 0)
        *out = ps_cel_string((struct ps_str){f->text, f->len});
    else if (strcmp(k, "bytes_value") == 0)
        *out = ps_cel_bytes(f->text, f->len);
    else if (strcmp(k, "list_value") == 0)
        return to_list(a, f, out);
    else if (strcmp(k, "map_value") == 0)
        return to_map(a, f, out);
    else if (strcmp(k, "type_value") == 0)
        return to_type_value(a, f->text, out);
    else if (strcmp(k, "object_value") == 0)
        return to_object(f, out);
    else
        return false;
    return true;
}

/* A cel.expr.Type message as declaration text ("list(int)") into buf. */
static bool to_type(const struct tp_node *t, char *buf, size_t cap)
{
    static const struct {
        const char *proto, *cel;
    } prim[] = {{"BOOL", "bool"},     {"INT64", "int"},     {"UINT64", "uint"},
                {"DOUBLE", "double"}, {"STRING", "string"}, {"BYTES", "bytes"},
                {"TIMESTAMP", "timestamp"}, {"DURATION", "duration"}};
    const struct tp_node *f = t ? t->first : NULL;
    char a[256], b[256];
    if (!f)
        return false;
    if (strcmp(f->name, "primitive") == 0 || strcmp(f->name, "well_known") == 0) {
        for (size_t i = 0; i < sizeof prim / sizeof prim[0]; i++)
            if (strcmp(f->text, prim[i].proto) == 0)
                return snprintf(buf, cap, "%s", prim[i].cel) < (int)cap;
        return false;
    }
    if (strcmp(f->name, "message_type") == 0 && native_message(f->text))
        return snprintf(buf, cap, "%s", strstr(f->text, "Duration") ? "duration" : "timestamp") <
               (int)cap;
    if (strcmp(f->name, "null") == 0)
        return snprintf(buf, cap, "null_type") < (int)cap;
    if (strcmp(f->name, "dyn") == 0)
        return snprintf(buf, cap, "dyn") < (int)cap;
    if (strcmp(f->name, "list_type") == 0)
        return to_type(tp_get(f, "elem_type"), a, sizeof a) &&
               snprintf(buf, cap, "list(%s)", a) < (int)cap;
    if (strcmp(f->name, "map_type") == 0)
        return to_type(tp_get(f, "key_type"), a, sizeof a) &&
               to_type(tp_get(f, "value_type"), b, sizeof b) &&
               snprintf(buf, cap, "map(%s, %s)", a, b) < (int)cap;
    if (strcmp(f->name, "type") == 0)
        return to_type(f, a, sizeof a) && snprintf(buf, cap, "type(%s)", a) < (int)cap;
    return false;
}

/* ---- comparing -------------------------------------------------------------------------------- */

/* Exact equality: kinds must agree (1 is not 1u is not 1.0); NaN equals NaN. */
static bool same(struct ps_cel_value x, struct ps_cel_value y)
{
    if (x.kind != y.kind)
        return false;
    switch (x.kind) {
    case PS_CEL_DOUBLE:
        return (isnan(x.v.d) && isnan(y.v.d)) ||
               (x.v.d == y.v.d && signbit(x.v.d) == signbit(y.v.d));
    case PS_CEL_LIST:
        if (x.n != y.n)
            return false;
        for (uint32_t i = 0; i < x.n; i++)
            if (!same(x.v.items[i], y.v.items[i]))
                return false;
        return true;
    case PS_CEL_MAP: {
        size_t n = ps_cel_map_size(x.v.map);
        if (n != ps_cel_map_size(y.v.map))
            return false;
        for (size_t i = 0; i < n; i++) {
            struct ps_cel_value k = ps_cel_map_key(x.v.map, i), other;
            bool found = false;
            for (size_t j = 0; j < n && !found; j++)
                if (same(k, ps_cel_map_key(y.v.map, j))) {
                    other = ps_cel_map_value(y.v.map, j);
                    found = true;
                }
            if (!found || !same(ps_cel_map_value(x.v.map, i), other))
                return false;
        }
        return true;
    }
    default:
        return ps_cel_value_equal(x, y);
    }
}

/* ---- running one test ------------------------------------------------------------------------------ */

struct ctx {
    const char *file;
    const char *section;
    struct counts *c;
};

static void report(const struct ctx *x, const struct tp_node *test, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(const struct ctx *x, const struct tp_node *test, const char *fmt, ...)
{
    x->c->fail++;
    if (!verbose)
        return;
    const struct tp_node *name = tp_get(test, "name"), *e = tp_get(test, "expr");
    printf("FAIL %s/%s/%s\n  expr: %s\n  ", x->file, x->section, name ? name->text : "?",
           e ? e->text : "");
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
}

static bool declare(struct ps_cel_env *env, const struct tp_node *test, struct ps_arena *a,
                    struct ps_cel_value *vals, uint32_t *nvals, char *why, size_t cap)
{
    for (const struct tp_node *f = test->first; f; f = f->next) {
        if (strcmp(f->name, "type_env") != 0)
            continue;
        const struct tp_node *name = tp_get(f, "name"), *id = tp_get(f, "ident");
        char type[512];
        struct ps_cel_diag d;
        if (!name || !id || !to_type(tp_get(id, "type"), type, sizeof type) ||
            ps_cel_env_declare_var(env, name->text, type, NULL, &d) != PS_OK) {
            snprintf(why, cap, "cannot declare %s", name ? name->text : "?");
            return false;
        }
    }
    for (const struct tp_node *f = test->first; f; f = f->next) {
        if (strcmp(f->name, "bindings") != 0)
            continue;
        const struct tp_node *key = tp_get(f, "key"), *ev = tp_get(f, "value");
        uint32_t slot;
        struct ps_cel_diag d;
        if (!key || !ps_cel_env_var_slot(env, key->text, &slot)) {
            if (!key || ps_cel_env_declare_var(env, key->text, "dyn", &slot, &d) != PS_OK) {
                snprintf(why, cap, "cannot bind %s", key ? key->text : "?");
                return false;
            }
        }
        if (slot >= 64 || !to_value(a, tp_get(ev, "value"), &vals[slot])) {
            snprintf(why, cap, "cannot read the value of binding %s", key->text);
            return false;
        }
        if (slot + 1 > *nvals)
            *nvals = slot + 1;
    }
    return true;
}

static void run_test(const struct ctx *x, const struct tp_node *test)
{
    const struct tp_node *name = tp_get(test, "name"), *e = tp_get(test, "expr");
    if (filter && (!name || !strstr(name->text, filter)))
        return;
    const char *skip = skip_reason(test);
    if (skip) {
        x->c->skip++;
        if (verbose)
            printf("SKIP %s/%s/%s: %s\n", x->file, x->section, name ? name->text : "?", skip);
        return;
    }
    const struct tp_node *cont = tp_get(test, "container");
    struct ps_cel_env_options eo = {.container = cont ? cont->text : NULL};
    struct ps_cel_env *env = ps_cel_env_new(&eo);
    struct ps_arena *a = ps_arena_new(ARENA_BYTES);
    struct ps_cel_value vals[64] = {0}, got, want;
    uint32_t nvals = 0;
    struct ps_cel_program *p = NULL;
    struct ps_cel_diag d;
    char why[200];
    unsigned flags = tp_get(test, "disable_check") ? PS_CEL_NO_CHECK : 0;
    const struct tp_node *wv = tp_get(test, "value"), *we = tp_get(test, "eval_error");
    if (!env || !a || !e) {
        report(x, test, "setup failed");
    } else if (!declare(env, test, a, vals, &nvals, why, sizeof why)) {
        report(x, test, "%s", why);
    } else if (ps_cel_compile(env, (struct ps_str){e->text, e->len}, flags, &p, &d) != PS_OK) {
        report(x, test, "compile error %u:%u: %s", d.line, d.column, d.message);
    } else {
        struct ps_cel_activation act = {vals, nvals};
        struct ps_cel_eval_options o = {.tz = &tz};
        enum ps_err rc = ps_cel_eval(p, &act, a, &o, &got, &d);
        if (we) {
            if (rc == PS_OK)
                report(x, test, "expected an error, got %s", ps_cel_format_literal(a, got));
            else
                x->c->pass++;
        } else if (rc != PS_OK) {
            report(x, test, "evaluation error: %s", d.message);
        } else if (wv ? !to_value(a, wv, &want) : (want = ps_cel_bool(true), false)) {
            report(x, test, "cannot read the expected value");
        } else if (!same(got, want)) {
            report(x, test, "expected %s, got %s", ps_cel_format_literal(a, want),
                   ps_cel_format_literal(a, got));
        } else {
            x->c->pass++;
        }
    }
    ps_cel_program_free(p);
    ps_arena_free(a);
    ps_cel_env_free(env);
}

static bool run_file(const char *path, struct counts *total)
{
    size_t len;
    char *src = slurp(path, &len);
    struct ps_arena *a = ps_arena_new(64u << 20);
    struct tp_node *root = NULL;
    char err[256];
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (!src || !a || tp_parse(a, src, len, &root, err, sizeof err) != PS_OK) {
        printf("%s: cannot read: %s\n", base, src && a ? err : "I/O error");
        free(src);
        ps_arena_free(a);
        total->fail++;
        return false;
    }
    struct counts c = {0};
    for (const struct tp_node *s = root->first; s; s = s->next) {
        if (strcmp(s->name, "section") != 0)
            continue;
        const struct tp_node *sn = tp_get(s, "name");
        struct ctx x = {base, sn ? sn->text : "?", &c};
        for (const struct tp_node *t = s->first; t; t = t->next)
            if (strcmp(t->name, "test") == 0)
                run_test(&x, t);
    }
    unsigned run = c.pass + c.fail;
    printf("%-28s %4u/%-4u passed (%5.1f%%)", base, c.pass, run, run ? 100.0 * c.pass / run : 100.0);
    if (c.skip)
        printf(", %u skipped (need protocol buffers)", c.skip);
    printf("\n");
    total->pass += c.pass;
    total->fail += c.fail;
    total->skip += c.skip;
    free(src);
    ps_arena_free(a);
    return c.fail == 0;
}

int main(int argc, char **argv)
{
    struct counts total = {0};
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-v") == 0)
            verbose = true;
        else if (strcmp(argv[i], "-k") == 0 && i + 1 < argc)
            filter = argv[++i];
        else {
            fprintf(stderr, "usage: cel_conformance [-v] [-k SUBSTRING] FILE...\n");
            return 2;
        }
    }
    if (i == argc) {
        fprintf(stderr, "usage: cel_conformance [-v] [-k SUBSTRING] FILE...\n");
        return 2;
    }
    struct ps_cel_tzdb *db = ps_cel_tzdb_new(NULL, 0); /* $TZDIR or /usr/share/zoneinfo */
    if (!db)
        return 2;
    tz = ps_cel_tzdb_resolver(db);
    for (; i < argc; i++)
        run_file(argv[i], &total);
    ps_cel_tzdb_free(db);
    printf("%u passed, %u failed, %u skipped\n", total.pass, total.fail, total.skip);
    return total.fail ? 1 : 0;
}
