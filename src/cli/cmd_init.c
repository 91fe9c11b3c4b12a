/* `pocketstate init`: makes a data directory a complete installation (directory, master key,
 * config file, database, platform keys, admin token). Every step checks before it creates,
 * so running it again changes nothing and says so. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "keystore/keystore.h"
#include "store/store.h"
#include "tlog/access.h"
#include "tlog/integrator.h"

enum { F_DATA, F_DB, NFLAGS };

static const struct ps_cli_flag flags[NFLAGS] = {
    [F_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [F_DB] = {"--db", "URL",
              "database URL recorded in the new config.json "
              "(default sqlite:DIR/pocketstate.db)"},
};

/* What this run created, for the summary. */
struct init_report {
    bool dir, master_file, master_env, config, token, token_file_missing;
    int keys;
};

static enum ps_err open_for_init(const struct ps_config *cfg, struct ps_store **out,
                                 struct ps_diag *d)
{
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = cfg->db_url;
    o.migrate = true;
    o.create = true;
    return ps_store_open(&o, out, d);
}

/* Every existing key must open under this master key: a re-run with the wrong key (a typo in
 * POCKETSTATE_MASTER_KEY) is caught here, not at the first signature. */
static enum ps_err check_keys(struct ps_store *store, const struct ps_master_key *m,
                              struct ps_diag *d)
{
    for (int i = 0; i < PS_KEY_PURPOSE_COUNT; i++) {
        struct ps_key *k = NULL;
        enum ps_err e = ps_keystore_open(store, m, (enum ps_key_purpose)i, &k, d);
        ps_key_free(k);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

/* Key and credential changes commit with their transparency-log change entry (ARCHITECTURE
 * rule 4): the system actor "pocketstate-init", the resource as keys.c names it. */
static enum ps_err record_key_change(struct ps_tx *tx, const char *action, struct ps_str resource,
                                     void *ctx, struct ps_diag *diag)
{
    static const struct ps_actor init_actor = {.kind = PS_ACTOR_SYSTEM,
                                               .id = PS_STR("pocketstate-init")};
    return ps_tlog_record_change(tx, &init_actor, action, PS_STR(""), resource,
                                 PS_STR("platform initialisation"), diag);
}

static const struct ps_keystore_recorder key_recorder = {record_key_change, NULL};

static enum ps_err ensure_token(struct ps_store *store, const char *token_path,
                                struct init_report *r, struct ps_diag *d)
{
    unsigned char hash[32];
    enum ps_err e = ps_keystore_admin_token_get(store, hash, d);
    if (e == PS_OK) {
        r->token_file_missing = !ps_cli_exists(token_path);
        return PS_OK;
    }
    if (e != PS_ERR_NOTFOUND)
        return e;
    /* The file first: if storing the hash then fails, the next run makes a new token and
     * replaces the file; the other order could leave a hash whose token no one has. */
    char token[PS_ADMIN_TOKEN_MAX + 1];
    ps_admin_token_new(token, hash);
    size_t len = strlen(token);
    token[len] = '\n';
    e = ps_cli_write_secret_file(token_path, (struct ps_str){token, len + 1}, d);
    sodium_memzero(token, sizeof token);
    if (e == PS_OK)
        e = ps_keystore_admin_token_put(store, hash, &key_recorder, d);
    if (e == PS_OK)
        r->token = true;
    return e;
}

static void print_report(const char *dir, const struct ps_config *cfg, const struct init_report *r,
                         const char *token_path)
{
    bool nothing = !r->dir && !r->master_file && !r->config && !r->token && r->keys == 0;
    if (nothing) {
        printf("pocketstate: %s is already initialised; nothing changed\n", dir);
    } else {
        if (r->dir)
            printf("created %s (mode 0700)\n", dir);
        if (r->master_file)
            printf("created master key %s/master.key (mode 0600): back it up, it seals every "
                   "private key\n",
                   dir);
        if (r->config)
            printf("wrote %s/config.json\n", dir);
        printf("database ready (%s)\n",
               ps_config_db_is_sqlite(cfg->db_url) ? cfg->db_url : "postgresql");
        if (r->keys)
            printf("generated %d platform key%s\n", r->keys, r->keys == 1 ? "" : "s");
        if (r->token)
            printf("admin token written to %s (mode 0600)\n", token_path);
        printf("pocketstate: initialised %s\n", dir);
    }
    if (r->master_env)
        printf("master key taken from %s (no key file used)\n", PS_MASTER_KEY_ENV);
    if (r->token_file_missing)
        printf("note: %s is missing; the admin token stored in the database stays valid\n",
               token_path);
}

/* Writes the config file when missing. */
static int ensure_config(const char *cmd, const char *data_dir, const char *cfg_path,
                         const char *db_flag, struct init_report *r)
{
    if (ps_cli_exists(cfg_path))
        return PS_CLI_CONTINUE;
    struct ps_config c;
    struct ps_diag d = {0};
    if (ps_config_init(&c, data_dir, &d) != PS_OK)
        return ps_cli_fail(cmd, &d);
    if (db_flag && ps_config_set_db(&c, ps_str_from_cstr(db_flag), "--db", &d) != PS_OK)
        return ps_cli_usage(cmd, "%s", d.message);
    /* relative to the config file's directory: the data directory can move */
    const char *in_file = db_flag ? db_flag : "sqlite:pocketstate.db";
    if (ps_config_write_file(&c, cfg_path, in_file, &d) != PS_OK)
        return ps_cli_fail(cmd, &d);
    r->config = true;
    return PS_CLI_CONTINUE;
}

int ps_cli_init_data(const char *cmd, const char *data_dir, const char *db_flag, bool quiet)
{
    char key_path[PS_CONFIG_PATH_MAX], cfg_path[PS_CONFIG_PATH_MAX], token_path[PS_CONFIG_PATH_MAX];
    struct init_report r = {0};
    struct ps_diag d = {0};
    struct ps_master_key *m = NULL;
    struct ps_store *store = NULL;
    struct ps_config cfg;
    int rc = PS_EXIT_FAIL;
    if (ps_cli_path(key_path, sizeof key_path, data_dir, "master.key") != PS_OK ||
        ps_cli_path(cfg_path, sizeof cfg_path, data_dir, "config.json") != PS_OK ||
        ps_cli_path(token_path, sizeof token_path, data_dir, "admin.token") != PS_OK)
        return ps_cli_failf(cmd, "%s: path too long", data_dir);
    if (ps_cli_mkdir(data_dir, &r.dir, &d) != PS_OK)
        return ps_cli_fail(cmd, &d);
    if (ps_keystore_load_master(key_path, getenv(PS_MASTER_KEY_ENV), true, &m, &r.master_env,
                            &r.master_file, &d) != PS_OK)
        return ps_cli_fail(cmd, &d);
    rc = ensure_config(cmd, data_dir, cfg_path, db_flag, &r);
    if (rc != PS_CLI_CONTINUE)
        goto out;
    rc = ps_cli_config(cmd, data_dir, NULL, NULL, db_flag, &cfg);
    if (rc != PS_CLI_CONTINUE)
        goto out;
    rc = PS_EXIT_FAIL;
    if (open_for_init(&cfg, &store, &d) != PS_OK ||
        ps_keystore_generate_all(store, m, &key_recorder, &r.keys, &d) != PS_OK ||
        check_keys(store, m, &d) != PS_OK || ensure_token(store, token_path, &r, &d) != PS_OK ||
        ps_tlog_sequence_pending(store, NULL, &d) != PS_OK) { /* the key and token records */
        rc = ps_cli_fail(cmd, &d);
        goto out;
    }
    if (!quiet)
        print_report(data_dir, &cfg, &r, token_path);
    rc = PS_EXIT_OK;
out:
    ps_store_free(store);
    ps_keys_master_free(m);
    return rc;
}

static int run(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    const char *dir = vals[F_DATA] ? vals[F_DATA] : PS_DEFAULT_DATA_DIR;
    return ps_cli_init_data(cmd->name, dir, vals[F_DB], false);
}

const struct ps_cli_cmd ps_cli_cmd_init = {
    .name = "init",
    .summary = "create a data directory: database, config, master key, platform keys",
    .help = "Creates DIR (mode 0700) with the SQLite database DIR/pocketstate.db, the config\n"
            "file DIR/config.json, the master key DIR/master.key (mode 0600; or taken from\n"
            "POCKETSTATE_MASTER_KEY, 64 hex characters, and then no file is written), the\n"
            "platform signing keys (sealed under the master key in the database) and a local\n"
            "admin token, written once to DIR/admin.token (mode 0600) and stored only as a\n"
            "SHA-256 hash. Running it again on an initialised directory changes nothing.\n"
            "POCKETSTATE_DB selects another database (e.g. PostgreSQL) as for serve.",
    .flags = flags,
    .nflags = NFLAGS,
    .run = run,
};
