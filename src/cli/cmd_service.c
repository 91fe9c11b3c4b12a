/* `pocketstate service check|test|list`: a definition's errors as file:line:column: message
 * (YAML, format, expression syntax and types), its own tests, and the catalogue a server
 * would offer (the built-in definitions and a directory's). No store, no network. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "engine/engine.h"
#include "engine/svctest.h"

enum { F_FILE_POS = 0 };

static int check_one(const char *cmdname, const char *file, struct ps_engine_env **envp,
                     struct ps_svc **out)
{
    struct ps_diag d = {0};
    if (!file)
        return ps_cli_usage(cmdname, "which definition? (%s FILE)", cmdname);
    if (ps_engine_env_new(NULL, envp, &d) != PS_OK)
        return ps_cli_fail(cmdname, &d);
    if (ps_svc_load_file(*envp, file, out, &d) != PS_OK) {
        fprintf(stderr, "%s\n", d.message);
        return PS_EXIT_FAIL;
    }
    return PS_CLI_CONTINUE;
}

static int run_check(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct ps_engine_env *env = NULL;
    struct ps_svc *svc = NULL;
    int rc = check_one(cmd->name, vals[F_FILE_POS], &env, &svc);
    if (rc == PS_CLI_CONTINUE) {
        printf("%s: %s version %u: %zu fields, %zu steps, %zu tests: ok\n", vals[F_FILE_POS],
               svc->id, svc->version, svc->nfields, svc->nsteps, svc->ntests);
        rc = PS_EXIT_OK;
    }
    ps_svc_free(svc);
    ps_engine_env_free(env);
    return rc;
}

static int run_test(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct ps_engine_env *env = NULL;
    struct ps_svc *svc = NULL;
    struct ps_svc_test_result res[PS_SVC_MAX_TESTS];
    size_t n = 0, failed = 0;
    struct ps_diag d = {0};
    int rc = check_one(cmd->name, vals[F_FILE_POS], &env, &svc);
    if (rc == PS_CLI_CONTINUE && ps_svc_run_tests(env, svc, res, PS_SVC_MAX_TESTS, &n, &failed,
                                                  &d) != PS_OK)
        rc = ps_cli_fail(cmd->name, &d);
    if (rc == PS_CLI_CONTINUE) {
        for (size_t i = 0; i < n; i++)
            printf("%s %s:%u: %s: %s\n", res[i].ok ? "ok  " : "FAIL", svc->file, res[i].line,
                   res[i].name, res[i].message);
        printf("%zu passed, %zu failed\n", n - failed, failed);
        rc = failed || n == 0 ? PS_EXIT_FAIL : PS_EXIT_OK;
    }
    ps_svc_free(svc);
    ps_engine_env_free(env);
    return rc;
}

enum { L_DIR, NL };
static const struct ps_cli_flag list_flags[] = {
    {"--services", "DIR", "more definitions (*.yaml) beside the built-in ones"},
};

static int run_list(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct ps_engine_opts o = {.services_dir = vals[L_DIR]};
    struct ps_engine *e = NULL;
    struct ps_engine_report r;
    struct ps_diag d = {0};
    const struct ps_svc *svcs[PS_ENGINE_MAX_SERVICES];
    if (ps_engine_new(&o, &e, &r, &d) != PS_OK)
        return ps_cli_fail(cmd->name, &d);
    size_t n = ps_engine_catalogue(e, svcs, PS_ENGINE_MAX_SERVICES);
    for (size_t i = 0; i < n; i++)
        printf("%-24s v%-4u %-10s %-10s %s\n", svcs[i]->id, svcs[i]->version, svcs[i]->agency,
               svcs[i]->category, svcs[i]->title.en);
    for (size_t i = 0; i < r.refused && i < PS_ENGINE_REPORT_MAX; i++)
        fprintf(stderr, "refused: %s\n", r.refusals[i]);
    ps_engine_free(e);
    return r.refused ? PS_EXIT_FAIL : PS_EXIT_OK;
}

static const struct ps_cli_cmd cmd_check = {
    .name = "service check",
    .summary = "check a service definition",
    .help = "Loads FILE as the server would: YAML, the format (docs/formats/service.schema.json)\n"
            "and every expression, parsed and type-checked. Errors are printed as\n"
            "FILE:LINE:COLUMN: MESSAGE and the exit code is 1.",
    .positional = "FILE",
    .run = run_check,
};

static const struct ps_cli_cmd cmd_test = {
    .name = "service test",
    .summary = "run the tests inside a service definition",
    .help = "Runs each test of FILE's `tests:` (applicant, registry state, answers, consents and\n"
            "decisions in; the expected status, step, reason, failing fields and registry\n"
            "acts out) and prints one line per test, then \"N passed, N failed\". Exit code 1\n"
            "when a test fails or there is none.",
    .positional = "FILE",
    .run = run_test,
};

static const struct ps_cli_cmd cmd_list = {
    .name = "service list",
    .summary = "list the services a server would offer",
    .help = "Lists the current version of every service: the built-in definitions and those in\n"
            "--services DIR. Definitions that do not load are reported on stderr (exit code 1).",
    .flags = list_flags,
    .nflags = NL,
    .run = run_list,
};

static const struct ps_cli_cmd *const subs[] = {&cmd_check, &cmd_test, &cmd_list};

static int service_dispatch(const struct ps_cli_cmd *cmd, int argc, char **argv)
{
    return ps_cli_subcommands("service", subs, sizeof subs / sizeof subs[0], argc, argv);
}

const struct ps_cli_cmd ps_cli_cmd_service = {
    .name = "service",
    .summary = "check, test or list public-service definitions",
    .help = "Subcommands:\n"
            "  service check FILE\n"
            "  service test FILE\n"
            "  service list [--services DIR]\n"
            "Run 'pocketstate service SUBCOMMAND --help' for each.",
    .dispatch = service_dispatch,
};
