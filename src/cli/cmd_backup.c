/* `pocketstate backup DEST`: a consistent copy of the live SQLite database, safe while
 * `serve` runs (SQLite's online backup API). For PostgreSQL it says what to use instead. */
#include <stdio.h>

#include "cli/cli.h"
#include "store/store.h"

enum { F_DATA, F_CONFIG, F_DB, NFLAGS, P_DEST = NFLAGS };

static const struct ps_cli_flag flags[NFLAGS] = {
    [F_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [F_CONFIG] = {"--config", "FILE", "config file (default DIR/config.json)"},
    [F_DB] = {"--db", "URL", "database URL (overrides the config)"},
};

static int run(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    const char *dir = vals[F_DATA] ? vals[F_DATA] : PS_DEFAULT_DATA_DIR;
    if (!vals[P_DEST])
        return ps_cli_usage(cmd->name, "DEST is required: pocketstate backup DEST");
    struct ps_config cfg;
    sigset_t sigs;
    struct ps_store *store = NULL;
    int rc = ps_cli_config(cmd->name, dir, vals[F_CONFIG], NULL, vals[F_DB], &cfg);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    ps_cli_block_signals(&sigs);
    rc = ps_cli_open_store(cmd->name, &cfg, &sigs, false, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    struct ps_diag d = {0};
    if (ps_store_backup(store, vals[P_DEST], &d) != PS_OK) {
        rc = ps_cli_fail(cmd->name, &d);
    } else {
        printf("pocketstate: backup written to %s\n", vals[P_DEST]);
        rc = PS_EXIT_OK;
    }
    ps_store_free(store);
    return rc;
}

const struct ps_cli_cmd ps_cli_cmd_backup = {
    .name = "backup",
    .summary = "write a consistent copy of the SQLite database (safe while serving)",
    .help = "Copies the live SQLite database to DEST with SQLite's online backup API: the copy\n"
            "is one consistent snapshot even while `serve` writes. It is written to\n"
            "DEST.partial, synced and renamed, so DEST is never half-written. Restore by\n"
            "stopping the server and putting the copy in place of DIR/pocketstate.db.\n"
            "PostgreSQL: use pg_dump, or pg_basebackup with WAL archiving for point-in-time\n"
            "recovery (docs/deploy.md).",
    .flags = flags,
    .nflags = NFLAGS,
    .positional = "DEST",
    .run = run,
};
