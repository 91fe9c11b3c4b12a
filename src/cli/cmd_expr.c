/* `pocketstate expr [--var NAME=EXPR]... EXPR`: evaluates one CEL expression and prints the
 * result as a CEL literal that parses back to an equal value. Each --var value is itself a
 * constant expression; the variable is declared with that expression's checked type. Exit
 * 0 with the value, 1 on an evaluation error ("error: MESSAGE"), 2 on a usage, parse or
 * check error (printed with its line and column). */
#include <stdio.h>
#include <string.h>

#include "cel/cel.h"
#include "cli/cli.h"

#define EXPR_ARENA_BYTES (256u << 20)
#define MAX_VARS 64

static const struct ps_cli_flag flags[] = {
    {"--var", "NAME=EXPR", "bind NAME to the value of the constant expression EXPR (repeatable)"},
};

struct var {
    const char *name;
    size_t name_len;
    const char *expr;
};

/* The failing line of source with a caret under the column. */
static void show_place(const char *src, const struct ps_cel_diag *d)
{
    if (d->line == 0)
        return;
    const char *line = src;
    for (uint32_t l = 1; l < d->line && line; l++) {
        line = strchr(line, '\n');
        line = line ? line + 1 : NULL;
    }
    if (!line)
        return;
    int len = (int)strcspn(line, "\n");
    fprintf(stderr, " | %.*s\n | ", len > 200 ? 200 : len, line);
    for (uint32_t c = 1; c < d->column && c < 200; c++)
        fputc('.', stderr);
    fputs("^\n", stderr);
}

static int compile_error(const char *what, const char *src, const struct ps_cel_diag *d)
{
    if (d->line)
        fprintf(stderr, "error: %s%s%u:%u: %s\n", what, what[0] ? ": " : "", d->line,
                d->column, d->message);
    else
        fprintf(stderr, "error: %s%s%s\n", what, what[0] ? ": " : "", d->message);
    show_place(src, d);
    return PS_EXIT_USAGE;
}

static void free_program(void *p)
{
    ps_cel_program_free(p);
}

/* Evaluates one --var value and declares the variable in env. */
static int bind_var(struct ps_cel_env *consts, struct ps_cel_env *env, struct ps_arena *arena,
                    const struct var *v, struct ps_cel_value *vals, const struct ps_cel_tz_resolver *tz)
{
    struct ps_cel_diag d;
    struct ps_cel_program *p;
    char what[96];
    int n = snprintf(what, sizeof what, "--var %.*s",
                     (int)(v->name_len > 64 ? 64 : v->name_len), v->name);
    if (n < 0 || (size_t)n >= sizeof what) /* cannot happen: the name is cut to 64 bytes */
        return ps_cli_failf("expr", "internal error formatting a message");
    if (ps_cel_compile(consts, ps_str_from_cstr(v->expr), 0, &p, &d) != PS_OK)
        return compile_error(what, v->expr, &d);
    struct ps_cel_eval_options o = {.tz = tz};
    struct ps_cel_value val;
    int rc = PS_EXIT_OK;
    char *name = ps_arena_strndup(arena, v->name, v->name_len);
    uint32_t slot;
    if (ps_cel_eval(p, NULL, arena, &o, &val, &d) != PS_OK) {
        fprintf(stderr, "error: %s: %s\n", what, d.message);
        rc = PS_EXIT_FAIL;
    } else if (!name || ps_cel_env_declare_var_type(env, name, ps_cel_program_type(p), &slot,
                                                    &d) != PS_OK) {
        rc = ps_cli_usage("expr", "%s: %s", what, name ? d.message : "out of memory");
    } else if (slot >= MAX_VARS) {
        rc = ps_cli_usage("expr", "at most %d --var", MAX_VARS);
    } else {
        vals[slot] = val;
    }
    /* the value may point into the program: keep it until the arena goes */
    if (ps_arena_defer(arena, free_program, p) != PS_OK) {
        ps_cel_program_free(p);
        rc = ps_cli_failf("expr", "out of memory");
    }
    return rc;
}

static int evaluate(const char *expr, const struct var *vars, size_t nvars)
{
    int rc = PS_EXIT_FAIL;
    struct ps_cel_env *consts = ps_cel_env_new(NULL), *env = ps_cel_env_new(NULL);
    struct ps_arena *arena = ps_arena_new(EXPR_ARENA_BYTES);
    struct ps_cel_tzdb *tzdb = ps_cel_tzdb_new(NULL, 0);
    struct ps_cel_value vals[MAX_VARS] = {0};
    struct ps_cel_program *p = NULL;
    if (!consts || !env || !arena || !tzdb) {
        rc = ps_cli_failf("expr", "out of memory");
        goto out;
    }
    struct ps_cel_tz_resolver tz = ps_cel_tzdb_resolver(tzdb);
    for (size_t i = 0; i < nvars; i++)
        if ((rc = bind_var(consts, env, arena, &vars[i], vals, &tz)) != PS_EXIT_OK)
            goto out;
    struct ps_cel_diag d;
    if (ps_cel_compile(env, ps_str_from_cstr(expr), 0, &p, &d) != PS_OK) {
        rc = compile_error("", expr, &d);
        goto out;
    }
    struct ps_cel_activation act = {vals, (uint32_t)nvars};
    struct ps_cel_eval_options o = {.tz = &tz};
    struct ps_cel_value result;
    if (ps_cel_eval(p, &act, arena, &o, &result, &d) != PS_OK) {
        fprintf(stderr, "error: %s\n", d.message);
        rc = PS_EXIT_FAIL;
        goto out;
    }
    char *text = ps_cel_format_literal(arena, result);
    if (!text) {
        rc = ps_cli_failf("expr", "result too large to print");
        goto out;
    }
    printf("%s\n", text);
    rc = PS_EXIT_OK;
out:
    ps_cel_program_free(p);
    ps_arena_free(arena);
    ps_cel_tzdb_free(tzdb);
    ps_cel_env_free(env);
    ps_cel_env_free(consts);
    return rc;
}

static int expr_dispatch(const struct ps_cli_cmd *cmd, int argc, char **argv)
{
    struct var vars[MAX_VARS];
    size_t nvars = 0;
    const char *expr = NULL;
    bool options = true;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *val = NULL;
        if (options && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
            ps_cli_print_help(cmd);
            return PS_EXIT_OK;
        } else if (options && strcmp(a, "--") == 0) {
            options = false;
            continue;
        } else if (options && strcmp(a, "--var") == 0) {
            if (++i >= argc)
                return ps_cli_usage("expr", "--var needs NAME=EXPR");
            val = argv[i];
        } else if (options && strncmp(a, "--var=", 6) == 0) {
            val = a + 6;
        } else if (options && strncmp(a, "--", 2) == 0) {
            return ps_cli_usage("expr", "unknown option '%.64s'", a);
        } else if (expr) {
            return ps_cli_usage("expr", "expects one expression (quote it)");
        } else {
            expr = a;
            continue;
        }
        const char *eq = strchr(val, '=');
        if (!eq || eq == val)
            return ps_cli_usage("expr", "--var expects NAME=EXPR, got '%.64s'", val);
        if (nvars == MAX_VARS)
            return ps_cli_usage("expr", "at most %d --var", MAX_VARS);
        vars[nvars++] = (struct var){val, (size_t)(eq - val), eq + 1};
    }
    if (!expr)
        return ps_cli_usage("expr", "missing expression");
    int rc = evaluate(expr, vars, nvars);
    fflush(stdout);
    return rc;
}

const struct ps_cli_cmd ps_cli_cmd_expr = {
    .name = "expr",
    .summary = "evaluate a CEL expression (the language of service rules)",
    .help = "Evaluates EXPR, an expression of the Common Expression Language, and prints the\n"
            "result as a CEL literal: 1, 1u, 1.0, \"text\", b\"\\x00\", [1, 2], {\"k\": 1}, null,\n"
            "timestamp(\"2009-02-13T23:31:30Z\"), duration(\"3600s\"), int. --var may be\n"
            "repeated; each value is a constant expression such as 1u or {\"a\": [1, 2]}.\n"
            "Time zones are read from $TZDIR or /usr/share/zoneinfo.\n"
            "Exit status: 0 value printed, 1 evaluation error, 2 usage, syntax or type error.\n"
            "Example: pocketstate expr --var age=17 'age >= 18 ? \"adult\" : \"minor\"'",
    .flags = flags,
    .nflags = sizeof flags / sizeof flags[0],
    .positional = "EXPR",
    .dispatch = expr_dispatch,
};
