/* CEL benchmark (bench/cel.sh): evaluations per second of the eligibility expressions in
 * bench/cel-exprs.txt, and parse+check time per expression, through src/cel as the service
 * engine will use it: a program compiled once, an activation by slot, one arena reset per
 * evaluation. Prints one "RESULT ours name=N evals_per_s=E compile_us=C result=R" line per
 * expression; rates are per second of process CPU time (the machine is shared).
 * Usage: cel_bench EXPRS_FILE [SECONDS_PER_MEASUREMENT] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cel/cel.h"

#define MAX_LINE 8192
#define MAX_VARS 32

/* Process CPU time: the machine is shared, and time spent descheduled is not ours. */
static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *type_for(struct ps_cel_value v)
{
    switch (v.kind) {
    case PS_CEL_INT: return "int";
    case PS_CEL_STRING: return "string";
    case PS_CEL_TIMESTAMP: return "timestamp";
    case PS_CEL_MAP: return "map(string, dyn)";
    case PS_CEL_LIST: return "list(dyn)";
    default: return "dyn";
    }
}

static int fail(const char *what, const struct ps_cel_diag *d)
{
    fprintf(stderr, "cel_bench: %s: %u:%u: %s\n", what, d->line, d->column, d->message);
    return 1;
}

/* Declares every entry of the context map as a variable of env. The values may point into
 * the context's program (*keep), which the caller frees after the benchmark. */
static int load_context(struct ps_cel_env *env, struct ps_cel_env *plain, const char *text,
                        struct ps_arena *arena, struct ps_cel_value *vals, uint32_t *nvals,
                        struct ps_cel_program **keep)
{
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    struct ps_cel_value ctx;
    if (ps_cel_compile(plain, ps_str_from_cstr(text), 0, &p, &d) != PS_OK)
        return fail("context", &d);
    *keep = p;
    if (ps_cel_eval(p, NULL, arena, NULL, &ctx, &d) != PS_OK || ctx.kind != PS_CEL_MAP)
        return fail("context", &d);
    for (size_t i = 0; i < ps_cel_map_size(ctx.v.map) && i < MAX_VARS; i++) {
        struct ps_cel_value k = ps_cel_map_key(ctx.v.map, i);
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)k.n, k.v.s);
        uint32_t slot;
        struct ps_cel_value v = ps_cel_map_value(ctx.v.map, i);
        if (ps_cel_env_declare_var(env, name, type_for(v), &slot, &d) != PS_OK)
            return fail(name, &d);
        vals[slot] = v;
        *nvals = slot + 1;
    }
    return 0;
}

static double compile_us(struct ps_cel_env *env, const char *expr, double seconds)
{
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 50; i++, n++) {
            struct ps_cel_program *p;
            struct ps_cel_diag d;
            if (ps_cel_compile(env, ps_str_from_cstr(expr), 0, &p, &d) == PS_OK)
                ps_cel_program_free(p);
        }
        t = now_s();
    } while (t - t0 < seconds);
    return (t - t0) / (double)n * 1e6;
}

static int measure(struct ps_cel_env *env, const char *name, const char *expr,
                   const struct ps_cel_activation *act, double seconds)
{
    struct ps_cel_program *p;
    struct ps_cel_diag d;
    if (ps_cel_compile(env, ps_str_from_cstr(expr), 0, &p, &d) != PS_OK)
        return fail(name, &d);
    struct ps_arena *a = ps_arena_new(1 << 20);
    struct ps_cel_value v = {0};
    long n = 0;
    double t0 = now_s(), t;
    do {
        for (int i = 0; i < 1000; i++, n++) {
            if (ps_cel_eval(p, act, a, NULL, &v, &d) != PS_OK)
                return fail(name, &d);
            ps_arena_reset(a);
        }
        t = now_s();
    } while (t - t0 < seconds);
    char *text = ps_cel_format_literal(a, v);
    printf("RESULT ours name=%s evals_per_s=%.0f compile_us=%.2f result=%s\n", name,
           (double)n / (t - t0), compile_us(env, expr, seconds / 4), text ? text : "?");
    fflush(stdout);
    ps_arena_free(a);
    ps_cel_program_free(p);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: cel_bench EXPRS_FILE [SECONDS]\n");
        return 2;
    }
    double seconds = argc > 2 ? strtod(argv[2], NULL) : 2.0;
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    struct ps_cel_env *env = ps_cel_env_new(NULL), *plain = ps_cel_env_new(NULL);
    struct ps_arena *ctx_arena = ps_arena_new(16 << 20);
    struct ps_cel_program *ctx_prog = NULL;
    struct ps_cel_value vals[MAX_VARS] = {0};
    uint32_t nvals = 0;
    char line[MAX_LINE];
    int rc = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !tab)
            continue;
        *tab = '\0';
        if (strcmp(line, "context") == 0) {
            rc = load_context(env, plain, tab + 1, ctx_arena, vals, &nvals, &ctx_prog);
        } else {
            struct ps_cel_activation act = {vals, nvals};
            rc = measure(env, line, tab + 1, &act, seconds);
        }
    }
    fclose(f);
    ps_cel_program_free(ctx_prog);
    ps_arena_free(ctx_arena);
    ps_cel_env_free(plain);
    ps_cel_env_free(env);
    return rc;
}
