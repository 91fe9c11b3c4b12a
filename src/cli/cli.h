/* Private to src/cli: the subcommand descriptor, the strict flag parser, the one-line error
 * reporting that fixes exit codes, and the pieces `init`, `serve` and `demo` share. */
#ifndef PS_CLI_CLI_H
#define PS_CLI_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli/config.h"
#include "core/err.h"

#define PS_VERSION "0.1.0"

struct ps_store;

/* Exit codes: every command returns one of these. */
enum { PS_EXIT_OK = 0, PS_EXIT_FAIL = 1, PS_EXIT_USAGE = 2 };
/* ps_cli_parse's "go on" answer (not an exit code). */
#define PS_CLI_CONTINUE (-1)

#define PS_CLI_MAX_FLAGS 16

struct ps_cli_flag {
    const char *name;    /* "--data" */
    const char *metavar; /* "DIR"; NULL for a flag without a value */
    const char *help;    /* one line; mention the default */
};

/* One subcommand. Adding one is a new cmd_<name>.c with its descriptor and a line in the
 * table in main.c. */
struct ps_cli_cmd {
    const char *name;
    const char *summary; /* one line for `pocketstate --help` */
    const char *help;    /* paragraph(s) for `pocketstate help NAME` */
    const struct ps_cli_flag *flags;
    size_t nflags;
    /* Metavar of one optional positional argument ("DEST"), or NULL for none. Its value is
     * vals[nflags]. */
    const char *positional;
    /* vals[i] is the value of flags[i] or NULL when it was not given (a valueless flag
     * that was given reads as ""). Returns an exit code. */
    int (*run)(const struct ps_cli_cmd *cmd, const char *const *vals);
    /* Instead of flags/positional/run: a command with subcommands of its own ("log verify")
     * gets the arguments after its name unparsed. Returns an exit code. */
    int (*dispatch)(const struct ps_cli_cmd *cmd, int argc, char **argv);
};

extern const struct ps_cli_cmd ps_cli_cmd_init;
extern const struct ps_cli_cmd ps_cli_cmd_serve;
extern const struct ps_cli_cmd ps_cli_cmd_demo;
extern const struct ps_cli_cmd ps_cli_cmd_backup;
extern const struct ps_cli_cmd ps_cli_cmd_routes;
extern const struct ps_cli_cmd ps_cli_cmd_log;
extern const struct ps_cli_cmd ps_cli_cmd_client;
extern const struct ps_cli_cmd ps_cli_cmd_issuer;
extern const struct ps_cli_cmd ps_cli_cmd_doctype;
extern const struct ps_cli_cmd ps_cli_cmd_verify;
extern const struct ps_cli_cmd ps_cli_cmd_expr;
extern const struct ps_cli_cmd ps_cli_cmd_service;

/* Prints the command's help to stdout. */
void ps_cli_print_help(const struct ps_cli_cmd *cmd);

/* Parses args (after the command name): "--flag VALUE" and "--flag=VALUE"; "-h"/"--help"
 * print help. Values must be non-empty; repeated flags, unknown flags and positional
 * arguments are usage errors. Returns PS_CLI_CONTINUE, PS_EXIT_OK (help printed) or
 * PS_EXIT_USAGE (message printed). */
int ps_cli_parse(const struct ps_cli_cmd *cmd, int argc, char **argv,
                 const char *vals[PS_CLI_MAX_FLAGS]);

/* "pocketstate: CMD: MESSAGE" + a hint to --help on stderr; returns PS_EXIT_USAGE. */
int ps_cli_usage(const char *cmd, const char *fmt, ...) PS_PRINTF(2, 3);
/* "pocketstate: WHAT: diag->message" on stderr; returns PS_EXIT_FAIL. */
int ps_cli_fail(const char *what, const struct ps_diag *diag);
/* "pocketstate: WHAT: MESSAGE" on stderr; returns PS_EXIT_FAIL. */
int ps_cli_failf(const char *what, const char *fmt, ...) PS_PRINTF(2, 3);

/* Strict decimal in [min, max] for flag `flag` of command `cmd`: PS_CLI_CONTINUE or
 * PS_EXIT_USAGE (message printed). */
int ps_cli_u64(const char *cmd, const char *flag, const char *v, uint64_t min, uint64_t max,
               uint64_t *out);

/* ---- files in the data directory (files.c) ---- */

/* "<dir>/<name>" into out; PS_ERR_LIMIT when it does not fit. */
enum ps_err ps_cli_path(char *out, size_t cap, const char *dir, const char *name) PS_WUR;
/* Creates dir with mode 0700 (its parent must exist); *created tells whether it was made.
 * An existing non-directory is PS_ERR_INVALID. */
enum ps_err ps_cli_mkdir(const char *dir, bool *created, struct ps_diag *diag) PS_WUR;
bool ps_cli_exists(const char *path);
/* Writes data to path atomically (temporary file, fsync, rename, fsync of the directory)
 * with mode 0600. */
enum ps_err ps_cli_write_secret_file(const char *path, struct ps_str data,
                                     struct ps_diag *diag) PS_WUR;
/* Reads path into out (NUL-terminated; a file of cap - 1 bytes or more is PS_ERR_LIMIT),
 * refusing files that group or others can access (PS_ERR_DENIED). */
enum ps_err ps_cli_read_secret_file(const char *path, char *out, size_t cap, size_t *len,
                                    struct ps_diag *diag) PS_WUR;

/* ---- shared by init, serve and demo ---- */

/* Effective configuration: defaults for data_dir < config file (config_path, or
 * <data_dir>/config.json when it exists) < environment < the listen/db flags (NULL when not
 * given). Returns PS_CLI_CONTINUE, PS_EXIT_FAIL or PS_EXIT_USAGE (bad flag value). */
int ps_cli_config(const char *cmd, const char *data_dir, const char *config_path,
                  const char *listen, const char *db, struct ps_config *out);

/* Opens the store of data directory dir (its config, environment) for a one-shot command:
 * no migrations, no group commit. PS_CLI_CONTINUE with *out, or an exit code. */
int ps_cli_open_local(const char *cmd, const char *dir, struct ps_store **out);

/* Runs the subcommand of a command group ("client add ..."): argv[0] names one of subs
 * (whose names are "<group> <sub>"), the rest are its flags. --help lists them. Returns an
 * exit code. */
int ps_cli_subcommands(const char *group, const struct ps_cli_cmd *const *subs, size_t n,
                       int argc, char **argv);

/* Applies the --public-url flag (NULL: not given) to cfg. PS_CLI_CONTINUE or PS_EXIT_USAGE. */
int ps_cli_public_url(const char *cmd, const char *flag, struct ps_config *cfg);

/* Makes data_dir a complete installation: directory, master key, config file, database,
 * platform keys, admin token. Idempotent; prints what it did to stdout unless quiet.
 * Returns an exit code. */
int ps_cli_init_data(const char *cmd, const char *data_dir, const char *db_flag, bool quiet);

/* Applies cfg's log level and log file. Returns PS_CLI_CONTINUE or PS_EXIT_FAIL. */
int ps_cli_setup_log(const char *cmd, const struct ps_config *cfg);

/* Blocks SIGINT, SIGTERM, SIGHUP (and SIGUSR1, for workers to wake the main thread) in the
 * calling thread, and so in every thread started after; ignores SIGPIPE. Call before any
 * thread starts. */
void ps_cli_block_signals(sigset_t *set);

/* Opens the store (migrate = true), retrying with exponential backoff (1 s doubling to at
 * most 30 s) while the database is unavailable, until a signal in sigs says stop. With
 * listen_while_waiting, cfg's address answers meanwhile: /healthz 200, /readyz and the rest
 * 503 not-ready. Returns PS_CLI_CONTINUE with *out set, PS_EXIT_OK when stopped by a signal, or
 * PS_EXIT_FAIL. */
int ps_cli_open_store(const char *cmd, const struct ps_config *cfg, const sigset_t *sigs,
                      bool listen_while_waiting, struct ps_store **out);

/* Fails (exit code, one line naming the address) when cfg's address cannot be bound now
 * (taken, or not an address of this host); PS_CLI_CONTINUE otherwise. A check before long
 * work (the demo's load), not a reservation: the server binds again when it starts. */
int ps_cli_check_listen(const char *cmd, const struct ps_config *cfg);

/* What a command adds to serving (demo): prepare runs once the application is set up and
 * before the server listens (it may write through app->store and set app->demo; a non-zero
 * exit code stops), on_ready once the server listens, with its URL. Any may be NULL. */
struct ps_app;
struct ps_cli_serve_hooks {
    int (*prepare)(void *ctx, struct ps_app *app);
    void (*on_ready)(void *ctx, const char *url);
    void *ctx;
};

/* Serves until SIGTERM/SIGINT; takes ownership of store. Opens the master key
 * (data_dir/master.key, or POCKETSTATE_MASTER_KEY): the transparency log's integrator starts
 * with the log key opened under it (stopped after the HTTP server), and the identity keys are
 * derived from it. The relying party is cfg's public_url, or http://localhost:PORT. hooks may
 * be NULL. Returns an exit code. */
int ps_cli_serve(const char *cmd, const char *data_dir, const struct ps_config *cfg,
                 struct ps_store *store, const sigset_t *sigs,
                 const struct ps_cli_serve_hooks *hooks);

#endif
