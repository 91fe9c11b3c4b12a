/* Strict, hand-written argument parsing for the subcommands, and the one place that prints
 * "pocketstate: <what>: <reason>" so every command reports errors and exit codes alike. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/str.h"

int ps_cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    ps_str_vcut(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* a longer message is cut: usage errors are one line */
    if (cmd)
        fprintf(stderr, "pocketstate: %s: %s\nTry 'pocketstate %s --help'.\n", cmd, msg, cmd);
    else
        fprintf(stderr, "pocketstate: %s\nTry 'pocketstate --help'.\n", msg);
    return PS_EXIT_USAGE;
}

int ps_cli_fail(const char *what, const struct ps_diag *diag)
{
    const char *why = !diag ? "failed" : diag->message[0] ? diag->message : ps_err_name(diag->code);
    fprintf(stderr, "pocketstate: %s: %s\n", what, why);
    return PS_EXIT_FAIL;
}

int ps_cli_failf(const char *what, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    ps_str_vcut(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pocketstate: %s: %s\n", what, msg);
    return PS_EXIT_FAIL;
}

void ps_cli_print_help(const struct ps_cli_cmd *cmd)
{
    printf("Usage: pocketstate %s", cmd->name);
    for (size_t i = 0; i < cmd->nflags; i++) {
        if (cmd->flags[i].metavar)
            printf(" [%s %s]", cmd->flags[i].name, cmd->flags[i].metavar);
        else
            printf(" [%s]", cmd->flags[i].name);
    }
    if (cmd->positional)
        printf(" %s", cmd->positional);
    printf("\n\n%s\n\n%s\n\nOptions:\n", cmd->summary, cmd->help);
    for (size_t i = 0; i < cmd->nflags; i++) {
        char left[64];
        const struct ps_cli_flag *f = &cmd->flags[i];
        int n = snprintf(left, sizeof left, "%s%s%s", f->name, f->metavar ? " " : "",
                         f->metavar ? f->metavar : "");
        if (n < 0 || (size_t)n >= sizeof left)
            left[0] = '\0';
        printf("  %-22s %s\n", left, f->help);
    }
    printf("  %-22s %s\n", "-h, --help", "show this help");
}

static const struct ps_cli_flag *find_flag(const struct ps_cli_cmd *cmd, const char *arg,
                                           size_t namelen, size_t *idx)
{
    for (size_t i = 0; i < cmd->nflags; i++) {
        const char *name = cmd->flags[i].name;
        if (strlen(name) == namelen && memcmp(name, arg, namelen) == 0) {
            *idx = i;
            return &cmd->flags[i];
        }
    }
    return NULL;
}

/* One argument at argv[*i]; advances *i past a separate value. */
static int parse_one(const struct ps_cli_cmd *cmd, int argc, char **argv, int *i, const char **vals)
{
    const char *arg = argv[*i];
    if (cmd->positional && arg[0] != '-' && arg[0] != '\0' && !vals[cmd->nflags]) {
        vals[cmd->nflags] = arg;
        return PS_CLI_CONTINUE;
    }
    if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0')
        return ps_cli_usage(cmd->name, "unexpected argument '%.64s'", arg);
    const char *eq = strchr(arg, '=');
    size_t namelen = eq ? (size_t)(eq - arg) : strlen(arg);
    size_t idx;
    const struct ps_cli_flag *f = find_flag(cmd, arg, namelen, &idx);
    if (!f)
        return ps_cli_usage(cmd->name, "unknown option '%.*s'", (int)(namelen > 64 ? 64 : namelen),
                            arg);
    if (vals[idx])
        return ps_cli_usage(cmd->name, "option '%s' given twice", f->name);
    if (!f->metavar) {
        if (eq)
            return ps_cli_usage(cmd->name, "option '%s' takes no value", f->name);
        vals[idx] = "";
        return PS_CLI_CONTINUE;
    }
    const char *v;
    if (eq) {
        v = eq + 1;
    } else {
        if (*i + 1 >= argc)
            return ps_cli_usage(cmd->name, "option '%s' needs a value (%s)", f->name, f->metavar);
        v = argv[++*i];
    }
    if (v[0] == '\0')
        return ps_cli_usage(cmd->name, "option '%s' needs a non-empty value", f->name);
    vals[idx] = v;
    return PS_CLI_CONTINUE;
}

int ps_cli_parse(const struct ps_cli_cmd *cmd, int argc, char **argv,
                 const char *vals[PS_CLI_MAX_FLAGS])
{
    PS_ASSERT(cmd->nflags + (cmd->positional ? 1 : 0) <= PS_CLI_MAX_FLAGS);
    for (size_t i = 0; i < PS_CLI_MAX_FLAGS; i++)
        vals[i] = NULL;
    /* help wins wherever it is, so `serve --listen bad --help` still helps */
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            ps_cli_print_help(cmd);
            return PS_EXIT_OK;
        }
    }
    for (int i = 0; i < argc; i++) {
        int rc = parse_one(cmd, argc, argv, &i, vals);
        if (rc != PS_CLI_CONTINUE)
            return rc;
    }
    return PS_CLI_CONTINUE;
}

int ps_cli_u64(const char *cmd, const char *flag, const char *v, uint64_t min, uint64_t max,
               uint64_t *out)
{
    uint64_t n;
    if (ps_str_to_u64(ps_str_from_cstr(v), &n) != PS_OK)
        return ps_cli_usage(cmd, "%s: '%.32s' is not a whole number", flag, v);
    if (n < min || n > max)
        return ps_cli_usage(cmd, "%s: %llu is out of range (%llu to %llu)", flag,
                            (unsigned long long)n, (unsigned long long)min,
                            (unsigned long long)max);
    *out = n;
    return PS_CLI_CONTINUE;
}

int ps_cli_subcommands(const char *group, const struct ps_cli_cmd *const *subs, size_t n,
                       int argc, char **argv)
{
    const char *vals[PS_CLI_MAX_FLAGS];
    size_t skip = strlen(group) + 1;
    if (argc < 1)
        return ps_cli_usage(group, "missing subcommand (try '%s --help')", group);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        printf("Usage: pocketstate %s SUBCOMMAND [OPTIONS]\n\nSubcommands:\n", group);
        for (size_t i = 0; i < n; i++)
            printf("  %-12s %s\n", subs[i]->name + skip, subs[i]->summary);
        printf("\nRun 'pocketstate %s SUBCOMMAND --help' for its options.\n", group);
        return PS_EXIT_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[0], subs[i]->name + skip) != 0)
            continue;
        int rc = ps_cli_parse(subs[i], argc - 1, argv + 1, vals);
        return rc != PS_CLI_CONTINUE ? rc : subs[i]->run(subs[i], vals);
    }
    return ps_cli_usage(group, "unknown subcommand '%.64s' (try '%s --help')", argv[0], group);
}
