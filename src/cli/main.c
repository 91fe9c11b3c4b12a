/* The pocketstate command: finds the subcommand in a table and runs it. Exit codes: 0 ok,
 * 1 failure (one line "pocketstate: <what>: <reason>" on stderr), 2 usage. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"

/* Later subcommands (verify, expr, service, log, backup) add one line each. */
static const struct ps_cli_cmd *const commands[] = {
    &ps_cli_cmd_init,
    &ps_cli_cmd_serve,
    &ps_cli_cmd_demo,
    &ps_cli_cmd_backup,
    &ps_cli_cmd_routes,
    &ps_cli_cmd_log,
    &ps_cli_cmd_client,
    &ps_cli_cmd_issuer,
    &ps_cli_cmd_doctype,
    &ps_cli_cmd_verify,
    &ps_cli_cmd_expr,
    &ps_cli_cmd_service,
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const struct ps_cli_cmd *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

static void print_main_help(void)
{
    printf("Usage: pocketstate COMMAND [OPTIONS]\n\n"
           "PocketState: a state in a smartphone. Digital identity, documents, services,\n"
           "payments and a public record of every use of a citizen's data.\n\nCommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        printf("  %-10s %s\n", commands[i]->name, commands[i]->summary);
    printf("  %-10s %s\n\n", "help", "show help for a command: pocketstate help COMMAND");
    printf("Options:\n  %-22s %s\n  %-22s %s\n\n", "-h, --help", "show this help", "--version",
           "print the version");
    printf("Exit status: 0 success, 1 failure, 2 usage error.\n"
           "Configuration: docs/configuration.md.\n");
}

static int help_command(int argc, char **argv)
{
    if (argc == 0) {
        print_main_help();
        return PS_EXIT_OK;
    }
    const struct ps_cli_cmd *cmd = find_command(argv[0]);
    if (!cmd)
        return ps_cli_usage(NULL, "help: unknown command '%.64s'", argv[0]);
    if (argc == 2 && cmd->dispatch) { /* help log verify = log verify --help */
        char help[] = "--help";
        char *sub[] = {argv[1], help, NULL};
        return cmd->dispatch(cmd, 2, sub);
    }
    if (argc > 1)
        return ps_cli_usage(NULL, "help: expects one command name");
    if (cmd->dispatch) { /* help log = log --help: one page */
        char help[] = "--help";
        char *sub[] = {help, NULL};
        return cmd->dispatch(cmd, 1, sub);
    }
    ps_cli_print_help(cmd);
    return PS_EXIT_OK;
}

int main(int argc, char **argv)
{
    /* the human-readable lines on stdout interleave with the JSON log on stderr in order,
     * even when both go to one pipe (make run | tee) */
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* the database, its WAL and every file we write hold personal data or keys */
    umask(077);
    if (argc < 2)
        return ps_cli_usage(NULL, "missing command");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_main_help();
        return PS_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        if (argc > 2)
            return ps_cli_usage(NULL, "--version takes no arguments");
        printf("pocketstate %s\n", PS_VERSION);
        return PS_EXIT_OK;
    }
    if (strcmp(name, "help") == 0)
        return help_command(argc - 2, argv + 2);
    const struct ps_cli_cmd *cmd = find_command(name);
    if (!cmd) {
        if (name[0] == '-')
            return ps_cli_usage(NULL, "unknown option '%.64s'", name);
        return ps_cli_usage(NULL, "unknown command '%.64s'", name);
    }
    if (cmd->dispatch) {
        int drc = cmd->dispatch(cmd, argc - 2, argv + 2);
        fflush(stdout);
        return drc;
    }
    const char *vals[PS_CLI_MAX_FLAGS];
    int rc = ps_cli_parse(cmd, argc - 2, argv + 2, vals);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    rc = cmd->run(cmd, vals);
    fflush(stdout);
    return rc;
}
