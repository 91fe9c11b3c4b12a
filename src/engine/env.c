/* The engine's CEL environment (env.h): variables, host functions, and the two data sets they
 * read, parsed once from tab-separated files (embedded at build time, or read from a
 * directory). */
#include "engine/env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "registries/business.h"
#include "registries/date.h"
#include "registries/rnokpp.h"

extern const char ps_engine_kved_tsv[];
extern const size_t ps_engine_kved_tsv_len;
extern const char ps_engine_territories_tsv[];
extern const size_t ps_engine_territories_tsv_len;

struct kved {
    char code[6];
    const char *title;
};

struct territory {
    const char *hromada;
    char status[9]; /* "occupied" / "combat" */
    char from[11], to[11]; /* to "" while it lasts */
};

struct ps_engine_env {
    struct ps_cel_env *cel;
    struct ps_arena *arena; /* data */
    struct kved *kved;
    size_t nkved;
    struct territory *terr;
    size_t nterr;
};

/* ---- data files ---- */

/* Splits the next line of text at tabs into f (up to max fields); *n fields; false at the
 * end. Comment and empty lines are skipped; *line counts lines. */
static bool next_line(struct ps_str *text, unsigned *line, struct ps_str *f, size_t max,
                      size_t *n)
{
    while (text->len > 0) {
        const char *nl = memchr(text->p, '\n', text->len);
        size_t len = nl ? (size_t)(nl - text->p) : text->len;
        struct ps_str l = {text->p, len};
        text->p += nl ? len + 1 : len;
        text->len -= nl ? len + 1 : len;
        (*line)++;
        if (l.len == 0 || l.p[0] == '#')
            continue;
        *n = 0;
        while (*n < max) {
            const char *tab = memchr(l.p, '\t', l.len);
            size_t fl = tab ? (size_t)(tab - l.p) : l.len;
            f[(*n)++] = (struct ps_str){l.p, fl};
            if (!tab)
                break;
            l.p += fl + 1;
            l.len -= fl + 1;
        }
        return true;
    }
    return false;
}

static int kved_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kved *)a)->code, ((const struct kved *)b)->code);
}

static enum ps_err load_kved(struct ps_engine_env *env, struct ps_str text, const char *name,
                             struct ps_diag *diag)
{
    size_t cap = 1024, n = 0;
    unsigned line = 0;
    struct ps_str f[3];
    env->kved = ps_arena_array(env->arena, cap, sizeof *env->kved);
    if (!env->kved)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    while (next_line(&text, &line, f, 3, &n)) {
        struct kved *k = &env->kved[env->nkved];
        bool class = f[0].len == 5 && f[0].p[2] == '.';
        if (!class)
            continue; /* sections, divisions and groups: titles only */
        struct ps_diag d;
        if (n < 2 || ps_kved_validate(f[0], &d) != PS_OK || f[1].len == 0)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s:%u: expected CODE<TAB>TITLE", name,
                               line);
        if (env->nkved == cap)
            return ps_diag_set(diag, PS_ERR_LIMIT, "%s: more than %zu classes", name, cap);
        memcpy(k->code, f[0].p, 5);
        k->code[5] = '\0';
        k->title = ps_arena_cstr(env->arena, f[1]);
        if (!k->title)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        env->nkved++;
    }
    qsort(env->kved, env->nkved, sizeof *env->kved, kved_cmp);
    for (size_t i = 1; i < env->nkved; i++)
        if (strcmp(env->kved[i - 1].code, env->kved[i].code) == 0)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s: class %s twice", name,
                               env->kved[i].code);
    return PS_OK;
}

static bool date_ok(struct ps_str s)
{
    struct ps_date d;
    struct ps_diag dg;
    return ps_date_parse(s, &d, &dg) == PS_OK;
}

static enum ps_err load_territories(struct ps_engine_env *env, struct ps_str text,
                                    const char *name, struct ps_diag *diag)
{
    size_t cap = 4096, n = 0;
    unsigned line = 0;
    struct ps_str f[5];
    env->terr = ps_arena_array(env->arena, cap, sizeof *env->terr);
    if (!env->terr)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    while (next_line(&text, &line, f, 5, &n)) {
        struct territory *t = &env->terr[env->nterr];
        bool status_ok = ps_str_eq_cstr(f[2], "occupied") || ps_str_eq_cstr(f[2], "combat");
        if (n != 5 || f[1].len == 0 || !status_ok || !date_ok(f[3]) ||
            (f[4].len && !date_ok(f[4])))
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "%s:%u: expected OBLAST<TAB>HROMADA<TAB>occupied|combat<TAB>"
                               "FROM<TAB>TO (dates YYYY-MM-DD, TO may be empty)",
                               name, line);
        if (env->nterr == cap)
            return ps_diag_set(diag, PS_ERR_LIMIT, "%s: more than %zu entries", name, cap);
        t->hromada = ps_arena_cstr(env->arena, f[1]);
        if (!t->hromada || ps_str_copy(t->status, sizeof t->status, f[2]) != PS_OK ||
            ps_str_copy(t->from, sizeof t->from, f[3]) != PS_OK ||
            ps_str_copy(t->to, sizeof t->to, f[4]) != PS_OK)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        env->nterr++;
    }
    return PS_OK;
}

/* Reads dir/name into the arena, or takes the embedded text. */
static enum ps_err data_text(struct ps_engine_env *env, const char *dir, const char *name,
                             const char *embedded, size_t elen, struct ps_str *out,
                             struct ps_diag *diag)
{
    if (!dir) {
        *out = (struct ps_str){embedded, elen};
        return PS_OK;
    }
    char path[1024];
    int n = snprintf(path, sizeof path, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= sizeof path)
        return ps_diag_set(diag, PS_ERR_LIMIT, "%s: path too long", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return ps_diag_set(diag, PS_ERR_IO, "%s: cannot open", path);
    size_t cap = 4u << 20;
    char *buf = ps_arena_alloc(env->arena, cap);
    size_t len = buf ? fread(buf, 1, cap, f) : 0;
    fclose(f);
    if (!buf)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    if (len == cap)
        return ps_diag_set(diag, PS_ERR_LIMIT, "%s: larger than 4 MiB", path);
    *out = (struct ps_str){buf, len};
    return PS_OK;
}

/* ---- host functions ---- */

static struct ps_engine_host *host_of(const struct ps_cel_call *call)
{
    return ps_cel_call_host(call);
}

/* Full years from birth to at; -1 when either is not a date. */
static int64_t years(struct ps_str birth, struct ps_str at)
{
    struct ps_date b, a;
    struct ps_diag d;
    if (ps_date_parse(birth, &b, &d) != PS_OK || ps_date_parse(at, &a, &d) != PS_OK)
        return -1;
    int64_t y = a.year - b.year;
    if (a.month < b.month || (a.month == b.month && a.day < b.day))
        y--;
    return y;
}

static struct ps_cel_value fn_age(const struct ps_cel_call *call, const struct ps_cel_value *a)
{
    struct ps_engine_host *h = host_of(call);
    int64_t y = years(ps_cel_str(a[0]), ps_str_from_cstr(h ? h->today : ""));
    return y < 0 ? ps_cel_call_error(call, "age: not a date (YYYY-MM-DD)") : ps_cel_int(y);
}

static struct ps_cel_value fn_age_at(const struct ps_cel_call *call,
                                     const struct ps_cel_value *a)
{
    int64_t y = years(ps_cel_str(a[0]), ps_cel_str(a[1]));
    return y < 0 ? ps_cel_call_error(call, "age: not a date (YYYY-MM-DD)") : ps_cel_int(y);
}

static struct ps_cel_value fn_rnokpp_valid(const struct ps_cel_call *call,
                                           const struct ps_cel_value *a)
{
    struct ps_diag d;
    return ps_cel_bool(ps_rnokpp_validate(ps_cel_str(a[0]), NULL, &d) == PS_OK);
}

static struct ps_cel_value fn_kved_valid(const struct ps_cel_call *call,
                                         const struct ps_cel_value *a)
{
    struct ps_engine_host *h = host_of(call);
    return ps_cel_bool(h && ps_engine_kved(h->env, ps_cel_str(a[0]), NULL));
}

static struct ps_cel_value fn_kved_title(const struct ps_cel_call *call,
                                         const struct ps_cel_value *a)
{
    struct ps_engine_host *h = host_of(call);
    const char *t = NULL;
    if (!h || !ps_engine_kved(h->env, ps_cel_str(a[0]), &t))
        return ps_cel_call_error(call, "kved_title: no such KVED-2010 class");
    return ps_cel_string(ps_str_from_cstr(t));
}

static struct ps_cel_value fn_territory(const struct ps_cel_call *call,
                                        const struct ps_cel_value *a)
{
    struct ps_engine_host *h = host_of(call);
    const char *s = h ? ps_engine_territory(h->env, ps_cel_str(a[0]), ps_cel_str(a[1])) : "";
    return ps_cel_string(ps_str_from_cstr(s));
}

/* A look-up's failure stops the evaluation (it is the host's, not the expression's). */
static struct ps_cel_value lookup_failed(const struct ps_cel_call *call,
                                         struct ps_engine_host *h, enum ps_err e)
{
    if (e == PS_ERR_INVALID) /* a bad argument: the expression's own error */
        return ps_cel_call_error(call, "%s", h->failure.message);
    return ps_cel_call_fail(call, e, "%s", h->failure.message);
}

static struct ps_cel_value fn_person(const struct ps_cel_call *call,
                                     const struct ps_cel_value *a)
{
    struct ps_engine_host *h = host_of(call);
    if (!h || !h->lookup || !h->lookup->person)
        return ps_cel_call_fail(call, PS_ERR_UNAVAILABLE, "person(): no registry here");
    json_t *rec = NULL;
    enum ps_err e = h->lookup->person(h->lookup->ctx, ps_cel_str(a[0]), &rec, &h->failure);
    if (e != PS_OK)
        return lookup_failed(call, h, e);
    if (!rec)
        rec = json_pack("{s:b}", "found", 0);
    struct ps_cel_value v;
    struct ps_cel_diag d;
    e = rec ? ps_cel_from_json(ps_cel_call_arena(call), rec, 0, 8, &v, &d) : PS_ERR_NOMEM;
    json_decref(rec);
    if (e != PS_OK)
        return ps_cel_call_fail(call, PS_ERR_LIMIT, "person(): %s", ps_err_name(e));
    return v;
}

static struct ps_cel_value fn_related(const struct ps_cel_call *call,
                                      const struct ps_cel_value *a)
{
    struct ps_engine_host *h = host_of(call);
    bool out = false;
    if (!h || !h->lookup || !h->lookup->related)
        return ps_cel_call_fail(call, PS_ERR_UNAVAILABLE, "related(): no registry here");
    enum ps_err e = h->lookup->related(h->lookup->ctx, ps_cel_str(a[0]), ps_cel_str(a[1]), &out,
                                       &h->failure);
    return e == PS_OK ? ps_cel_bool(out) : lookup_failed(call, h, e);
}

static struct ps_cel_value fn_parent_of(const struct ps_cel_call *call,
                                        const struct ps_cel_value *a)
{
    struct ps_engine_host *h = host_of(call);
    bool out = false;
    if (!h || !h->lookup || !h->lookup->parent_of)
        return ps_cel_call_fail(call, PS_ERR_UNAVAILABLE, "parent_of(): no registry here");
    enum ps_err e = h->lookup->parent_of(h->lookup->ctx, ps_cel_str(a[0]), &out, &h->failure);
    return e == PS_OK ? ps_cel_bool(out) : lookup_failed(call, h, e);
}

static const struct ps_cel_fn_decl host_fns[] = {
    {"age", "age_string", "(string) -> int", 0, fn_age, NULL},
    {"age", "age_string_string", "(string, string) -> int", PS_CEL_FN_PURE, fn_age_at, NULL},
    {"rnokpp_valid", "rnokpp_valid_string", "(string) -> bool", PS_CEL_FN_PURE,
     fn_rnokpp_valid, NULL},
    {"kved_valid", "kved_valid_string", "(string) -> bool", 0, fn_kved_valid, NULL},
    {"kved_title", "kved_title_string", "(string) -> string", 0, fn_kved_title, NULL},
    {"territory_status", "territory_status_string_string", "(string, string) -> string", 0,
     fn_territory, NULL},
    {"person", "person_string", "(string) -> map(string, dyn)", 0, fn_person, NULL},
    {"related", "related_string_string", "(string, string) -> bool", 0, fn_related, NULL},
    {"parent_of", "parent_of_string", "(string) -> bool", 0, fn_parent_of, NULL},
};

static const struct {
    const char *name, *type;
} vars[PS_EV_COUNT] = {
    [PS_EV_APPLICANT] = {"applicant", "map(string, dyn)"},
    [PS_EV_ANSWERS] = {"answers", "map(string, dyn)"},
    [PS_EV_VALUE] = {"value", "dyn"},
    [PS_EV_ITEM] = {"item", "dyn"},
    [PS_EV_FACTS] = {"facts", "map(string, dyn)"},
    [PS_EV_TODAY] = {"today", "string"},
};

static enum ps_err declare(struct ps_engine_env *env, struct ps_diag *diag)
{
    struct ps_cel_diag cd = {0};
    for (uint32_t i = 0; i < PS_EV_COUNT; i++) {
        uint32_t slot = 0;
        if (ps_cel_env_declare_var(env->cel, vars[i].name, vars[i].type, &slot, &cd) != PS_OK ||
            slot != i)
            return ps_diag_set(diag, PS_ERR_INTERNAL, "declaring %s: %s", vars[i].name,
                               cd.message);
    }
    for (size_t i = 0; i < sizeof host_fns / sizeof host_fns[0]; i++)
        if (ps_cel_env_declare_fn(env->cel, &host_fns[i], &cd) != PS_OK)
            return ps_diag_set(diag, PS_ERR_INTERNAL, "declaring %s: %s", host_fns[i].name,
                               cd.message);
    return PS_OK;
}

enum ps_err ps_engine_env_new(const char *data_dir, struct ps_engine_env **out,
                              struct ps_diag *diag)
{
    *out = NULL;
    struct ps_engine_env *env = ps_calloc(1, sizeof *env);
    if (!env)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    env->arena = ps_arena_new(16u << 20);
    env->cel = ps_cel_env_new(NULL);
    struct ps_str kt, tt;
    enum ps_err e = env->arena && env->cel ? PS_OK
                                            : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    if (e == PS_OK)
        e = declare(env, diag);
    if (e == PS_OK)
        e = data_text(env, data_dir, "kved-2010.tsv", ps_engine_kved_tsv,
                      ps_engine_kved_tsv_len, &kt, diag);
    if (e == PS_OK)
        e = load_kved(env, kt, "kved-2010.tsv", diag);
    if (e == PS_OK)
        e = data_text(env, data_dir, "territories.tsv", ps_engine_territories_tsv,
                      ps_engine_territories_tsv_len, &tt, diag);
    if (e == PS_OK)
        e = load_territories(env, tt, "territories.tsv", diag);
    if (e != PS_OK) {
        ps_engine_env_free(env);
        return e;
    }
    *out = env;
    return PS_OK;
}

void ps_engine_env_free(struct ps_engine_env *env)
{
    if (!env)
        return;
    ps_cel_env_free(env->cel);
    ps_arena_free(env->arena);
    ps_free(env);
}

const struct ps_cel_env *ps_engine_cel(const struct ps_engine_env *env)
{
    return env->cel;
}

void ps_engine_host_init(struct ps_engine_host *host, const struct ps_engine_env *env,
                         const struct ps_engine_lookup *lookup)
{
    memset(host, 0, sizeof *host);
    host->env = env;
    host->lookup = lookup;
    ps_date_fmt(ps_date_today(), host->today);
}

enum ps_err ps_engine_eval(const struct ps_cel_program *p, const struct ps_cel_value *vals,
                           struct ps_engine_host *host, struct ps_arena *arena,
                           struct ps_cel_value *out, struct ps_cel_diag *diag)
{
    struct ps_cel_activation act = {vals, PS_EV_COUNT};
    struct ps_cel_eval_options o = {.max_cost = PS_ENGINE_MAX_COST, .host = host};
    return ps_cel_eval(p, &act, arena, &o, out, diag);
}

bool ps_engine_kved(const struct ps_engine_env *env, struct ps_str code, const char **title)
{
    if (code.len != 5)
        return false;
    size_t lo = 0, hi = env->nkved;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(env->kved[mid].code, code.p, 5);
        if (c == 0) {
            if (title)
                *title = env->kved[mid].title;
            return true;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

size_t ps_engine_kved_count(const struct ps_engine_env *env)
{
    return env->nkved;
}

const char *ps_engine_territory(const struct ps_engine_env *env, struct ps_str hromada,
                                struct ps_str date)
{
    if (date.len != 10)
        return "";
    for (size_t i = 0; i < env->nterr; i++) {
        const struct territory *t = &env->terr[i];
        if (!ps_str_eq_cstr(hromada, t->hromada))
            continue;
        if (memcmp(date.p, t->from, 10) >= 0 && (!t->to[0] || memcmp(date.p, t->to, 10) < 0))
            return t->status;
    }
    return "";
}

size_t ps_engine_territory_count(const struct ps_engine_env *env)
{
    return env->nterr;
}
