/* Service engine benchmarks (bench/engine.sh).
 *
 *   engine_bench mint DB_URL N OUT   signs N adult, living persons of the store in (a demo
 *       passkey and a session each, as `pocketstate demo` does for its demo people) and
 *       writes their session tokens, one a line, to OUT: the clients of the FOP load test,
 *       one registration each.
 *   engine_bench eval SECONDS        the engine's overhead: the FOP definition's full
 *       eligibility and validation (src/engine: the values made from JSON, every rule) against
 *       the same checks hand-written in C over the same JSON, each evaluation on a fresh
 *       arena; rates per second of process CPU time, best of 3 alternating rounds; prints
 *       "RESULT ours=E peer=C ratio=R".
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine.h"
#include "engine/flow.h"
#include "identity/demo.h"
#include "registries/business.h"
#include "registries/date.h"
#include "store/store.h"

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- mint ---- */

struct mint {
    size_t want, n;
    char (*rnokpp)[11];
    FILE *out;
};

static const struct ps_sql sql_adults = {
    "bench.adults", "SELECT rnokpp FROM persons WHERE status = 'alive' AND birth_date < "
                    "'2006-01-01' ORDER BY rnokpp LIMIT $1"};

static enum ps_err adults_tx(struct ps_tx *tx, void *ctx)
{
    struct mint *m = ctx;
    struct ps_query q;
    ps_query_start(&q, tx, &sql_adults);
    ps_query_i64(&q, (int64_t)m->want);
    while (m->n < m->want && ps_query_row(&q)) {
        struct ps_str r = ps_stmt_text(q.st, 0);
        if (ps_str_copy(m->rnokpp[m->n], 11, r) == PS_OK)
            m->n++;
    }
    return ps_query_end(&q);
}

static enum ps_err sign_in_tx(struct ps_tx *tx, void *ctx)
{
    struct mint *m = ctx;
    struct ps_session_cfg cfg = {PS_SESSION_ABSOLUTE_DEFAULT_MS, PS_SESSION_ABSOLUTE_DEFAULT_MS};
    struct ps_arena *a = ps_arena_new(1u << 20);
    enum ps_err e = a ? PS_OK : PS_ERR_NOMEM;
    for (size_t i = 0; e == PS_OK && i < m->n; i++) {
        char token[PS_SESSION_TOKEN_LEN + 1];
        struct ps_session s;
        struct ps_diag d = {0};
        struct ps_str r = {m->rnokpp[i], 10};
        e = ps_demo_passkey_ensure(tx, r, &d);
        if (e == PS_OK)
            e = ps_demo_signin(tx, r, PS_STR("bench"), &cfg, a, token, &s, &d);
        if (e == PS_OK)
            fprintf(m->out, "%s\n", token);
        else
            fprintf(stderr, "engine_bench: %s: %s\n", m->rnokpp[i], d.message);
        ps_arena_reset(a);
    }
    ps_arena_free(a);
    return e;
}

static int mint(const char *url, size_t n, const char *path)
{
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = url;
    o.migrate = false;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    struct mint m = {.want = n, .rnokpp = calloc(n, 11), .out = fopen(path, "w")};
    int rc = 1;
    if (!m.rnokpp || !m.out || ps_store_open(&o, &s, &d) != PS_OK)
        fprintf(stderr, "engine_bench: %s\n", d.message);
    else if (ps_store_read(s, adults_tx, &m, &d) != PS_OK)
        fprintf(stderr, "engine_bench: reading persons: %s\n", d.message);
    else if (ps_store_bulk(s, sign_in_tx, &m, &d) != PS_OK)
        fprintf(stderr, "engine_bench: signing in: %s\n", d.message);
    else
        rc = 0, printf("minted %zu sessions\n", m.n);
    ps_store_free(s);
    if (m.out)
        fclose(m.out);
    free(m.rnokpp);
    return rc;
}

/* ---- eval: the engine against the same checks in C ---- */

static const char *const group1[] = {"47.81", "47.82", "47.89", "95.23", "95.29", "96.01",
                                     "96.02"};

static bool email_ok(const char *s)
{
    const char *at = strchr(s, '@');
    if (!at || at == s || strchr(at + 1, '@') || strchr(s, ' '))
        return false;
    const char *dot = strrchr(at + 1, '.');
    return dot && dot > at + 1 && dot[1];
}

static bool address_ok(json_t *a)
{
    static const char *const k[] = {"oblast", "hromada", "settlement", "street", "building"};
    if (!json_is_object(a) || json_object_size(a) != 5)
        return false;
    for (size_t i = 0; i < 5; i++) {
        json_t *v = json_object_get(a, k[i]);
        if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200)
            return false;
    }
    return true;
}

static int years(const char *birth, const char *today)
{
    struct ps_date b, t;
    struct ps_diag d;
    if (ps_date_parse(ps_str_from_cstr(birth), &b, &d) != PS_OK ||
        ps_date_parse(ps_str_from_cstr(today), &t, &d) != PS_OK)
        return -1;
    int y = t.year - b.year;
    return (t.month < b.month || (t.month == b.month && t.day < b.day)) ? y - 1 : y;
}

/* The FOP definition's eligibility and form checks, by hand: the count of failures. */
static int by_hand(const struct ps_engine_env *env, json_t *app, json_t *ans, const char *today)
{
    int fails = 0;
    fails += years(json_string_value(json_object_get(app, "birth_date")), today) < 18;
    fails += strcmp(json_string_value(json_object_get(app, "status")), "alive") != 0;
    fails += !json_is_true(json_object_get(app, "legally_capable"));
    fails += json_is_true(json_object_get(app, "fop_active"));
    static const char *const known[] = {"activities", "tax_system", "address", "email", "phone"};
    const char *key;
    json_t *v;
    json_object_foreach(ans, key, v) {
        bool k = false;
        for (size_t i = 0; i < 5 && !k; i++)
            k = strcmp(key, known[i]) == 0;
        fails += !k;
    }
    json_t *acts = json_object_get(ans, "activities");
    size_t n = json_array_size(acts), i, j;
    fails += !json_is_array(acts) || n == 0 || n > 20;
    for (i = 0; i < n; i++) {
        json_t *c = json_object_get(json_array_get(acts, i), "code");
        struct ps_str s = {json_string_value(c), json_string_length(c)};
        fails += !s.p || !ps_engine_kved(env, s, NULL);
        for (j = 0; s.p && j < i; j++)
            fails += strcmp(json_string_value(json_object_get(json_array_get(acts, j), "code")),
                            s.p) == 0;
    }
    const char *tax = json_string_value(json_object_get(ans, "tax_system"));
    static const char *const taxes[] = {"single-1", "single-2", "single-3", "general"};
    bool tax_ok = false;
    for (i = 0; tax && i < 4 && !tax_ok; i++)
        tax_ok = strcmp(tax, taxes[i]) == 0;
    fails += !tax_ok;
    fails += !address_ok(json_object_get(ans, "address"));
    const char *email = json_string_value(json_object_get(ans, "email"));
    fails += !email || strlen(email) > 254 || !email_ok(email);
    for (i = 0; tax && strcmp(tax, "single-1") == 0 && i < n; i++) {
        const char *c = json_string_value(json_object_get(json_array_get(acts, i), "code"));
        bool in = false;
        for (j = 0; c && j < 7 && !in; j++)
            in = strcmp(c, group1[j]) == 0;
        fails += !in;
    }
    return fails;
}

static int by_engine(const struct ps_engine_env *env, const struct ps_svc *svc, json_t *app,
                     json_t *ans, struct ps_arena *arena)
{
    struct ps_engine_host host;
    struct ps_flow_vars vars;
    struct ps_form_error errs[PS_FORM_MAX_ERRORS];
    size_t n1 = 0, n2 = 0;
    struct ps_diag d;
    ps_engine_host_init(&host, env, NULL);
    if (ps_flow_vars(&vars, app, ans, NULL, &host, arena, &d) != PS_OK ||
        ps_flow_eligible(svc, &vars, &host, arena, errs, PS_FORM_MAX_ERRORS, &n1, &d) != PS_OK ||
        ps_flow_validate(svc, svc->fields, svc->nfields, svc->validate, svc->nvalidate, ans,
                         &vars, &host, arena, errs, PS_FORM_MAX_ERRORS, &n2, &d) != PS_OK) {
        fprintf(stderr, "engine_bench: %s\n", d.message);
        exit(1);
    }
    return (int)(n1 + n2);
}

static int eval(double seconds)
{
    struct ps_engine *eng = NULL;
    struct ps_engine_report r;
    struct ps_diag d = {0};
    if (ps_engine_new(NULL, &eng, &r, &d) != PS_OK)
        return fprintf(stderr, "engine_bench: %s\n", d.message), 1;
    const struct ps_engine_env *env = ps_engine_env(eng);
    const struct ps_svc *svc = ps_engine_current(eng, PS_STR("fop-registration"));
    json_t *app = json_loads(
        "{\"found\":true,\"rnokpp\":\"3184712315\",\"status\":\"alive\",\"birth_date\":"
        "\"1987-03-12\",\"legally_capable\":true,\"fop_active\":false,\"married\":false}",
        0, NULL);
    json_t *ans = json_loads(
        "{\"activities\":[{\"code\":\"62.01\"},{\"code\":\"62.02\"},{\"code\":\"47.91\"}],"
        "\"tax_system\":\"single-3\",\"email\":\"taras@example.com\",\"address\":{\"oblast\":"
        "\"Львівська область\",\"hromada\":\"Стрийська міська громада\",\"settlement\":"
        "\"м. Стрий\",\"street\":\"вул. Шевченка\",\"building\":\"17\"}}",
        0, NULL);
    char today[11];
    ps_date_fmt(ps_date_today(), today);
    struct ps_arena *arena = ps_arena_new(4u << 20);
    if (!svc || !app || !ans || !arena)
        return fprintf(stderr, "engine_bench: setup failed\n"), 1;
    if (by_engine(env, svc, app, ans, arena) != 0 || by_hand(env, app, ans, today) != 0)
        return fprintf(stderr, "engine_bench: the sample must pass both\n"), 1;
    double best_e = 0, best_c = 0;
    for (int round = 0; round < 3; round++) {
        long n = 0;
        double t0 = cpu_s(), t;
        while ((t = cpu_s() - t0) < seconds) {
            for (int k = 0; k < 100; k++, n++) {
                by_engine(env, svc, app, ans, arena);
                ps_arena_reset(arena);
            }
        }
        best_e = n / t > best_e ? n / t : best_e;
        n = 0;
        t0 = cpu_s();
        volatile int sink = 0;
        while ((t = cpu_s() - t0) < seconds)
            for (int k = 0; k < 100; k++, n++)
                sink += by_hand(env, app, ans, today);
        best_c = n / t > best_c ? n / t : best_c;
    }
    printf("RESULT ours=%.0f peer=%.0f ratio=%.2f\n", best_e, best_c, best_e / best_c);
    json_decref(app);
    json_decref(ans);
    ps_arena_free(arena);
    ps_engine_free(eng);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && strcmp(argv[1], "mint") == 0)
        return mint(argv[2], strtoul(argv[3], NULL, 10), argv[4]);
    if (argc == 3 && strcmp(argv[1], "eval") == 0)
        return eval(strtod(argv[2], NULL));
    fprintf(stderr, "usage: engine_bench mint DB_URL N OUT | engine_bench eval SECONDS\n");
    return 2;
}
