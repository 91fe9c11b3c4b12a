/* `pocketstate client add|list|remove`: the agency systems (machine clients) that sign their
 * requests: their ids, agencies, public keys and scopes, kept in the database (every node
 * sees a change at once), each change recorded in the transparency log by the local admin. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "identity/client.h"
#include "store/store.h"

#define LIST_ARENA (4u << 20)

static const struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = {"local-admin", 11}};

/* ---- client add ---- */

enum { A_DATA, A_ID, A_AGENCY, A_NAME, A_ALG, A_KEY, A_SCOPES, A_REASON, NA };
static const struct ps_cli_flag add_flags[NA] = {
    [A_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [A_ID] = {"--id", "ID", "the client id (3 to 64 of a-z, 0-9 and -): its keyid"},
    [A_AGENCY] = {"--agency", "CODE", "the agency it acts for (see GET /api/v1/agencies)"},
    [A_NAME] = {"--name", "TEXT", "a readable name"},
    [A_ALG] = {"--alg", "ALG", "ed25519 (default) or ecdsa-p256-sha256"},
    [A_KEY] = {"--public-key", "B64URL",
               "the public key, base64url: 32 raw Ed25519 bytes or the 65-byte P-256 point"},
    [A_SCOPES] = {"--scopes", "LIST", "space- or comma-separated: registry:read documents:verify"},
    [A_REASON] = {"--reason", "TEXT", "why, recorded (default \"client configuration\")"},
};

struct client_job {
    struct ps_client c;
    struct ps_str reason;
    struct ps_diag d;
    unsigned char key[96];
};

static enum ps_err add_tx(struct ps_tx *tx, void *arg)
{
    struct client_job *j = arg;
    ps_diag_clear(&j->d); /* the job may run again */
    return ps_client_add(tx, &admin, &j->c, j->reason, &j->d);
}

/* The flags onto j (usage errors say which flag). */
static int add_parse(const char *cmd, const char *const *vals, struct client_job *j)
{
    static const int required[] = {A_ID, A_AGENCY, A_NAME, A_KEY, A_SCOPES};
    size_t n = 0;
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        if (!vals[required[i]])
            return ps_cli_usage(cmd, "%s is required", add_flags[required[i]].name);
    j->c.id = ps_str_from_cstr(vals[A_ID]);
    j->c.agency = ps_str_from_cstr(vals[A_AGENCY]);
    j->c.name = ps_str_from_cstr(vals[A_NAME]);
    j->reason = ps_str_from_cstr(vals[A_REASON] ? vals[A_REASON] : "client configuration");
    if (!ps_client_alg_parse(ps_str_from_cstr(vals[A_ALG] ? vals[A_ALG] : "ed25519"), &j->c.alg))
        return ps_cli_usage(cmd, "--alg: ed25519 or ecdsa-p256-sha256");
    if (sodium_base642bin(j->key, sizeof j->key, vals[A_KEY], strlen(vals[A_KEY]), NULL, &n,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return ps_cli_usage(cmd, "--public-key: base64url without padding");
    j->c.public_key = (struct ps_str){(const char *)j->key, n};
    if (ps_client_scopes_parse(ps_str_from_cstr(vals[A_SCOPES]), &j->c.scopes, &j->d) != PS_OK)
        return ps_cli_usage(cmd, "--scopes: %s", j->d.message);
    return PS_CLI_CONTINUE;
}

static int run_add(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct client_job j;
    struct ps_store *store = NULL;
    struct ps_diag d = {0};
    memset(&j, 0, sizeof j);
    int rc = add_parse(cmd->name, vals, &j);
    if (rc == PS_CLI_CONTINUE)
        rc = ps_cli_open_local(cmd->name, vals[A_DATA] ? vals[A_DATA] : PS_DEFAULT_DATA_DIR,
                               &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    if (ps_store_write(store, add_tx, &j, &d) != PS_OK)
        rc = ps_cli_fail(cmd->name, j.d.code != PS_OK ? &j.d : &d);
    else
        rc = PS_EXIT_OK, printf("added client %s\n", vals[A_ID]);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_add = {
    .name = "client add",
    .summary = "add an agency system: its id, agency, public key and scopes",
    .help = "Adds a machine client that signs its requests with HTTP Message Signatures\n"
            "(RFC 9421, keyid = its id). The change is one transaction with its change entry\n"
            "in the log (client.add, actor admin local-admin, the --reason).",
    .flags = add_flags,
    .nflags = NA,
    .run = run_add,
};

/* ---- client list ---- */

enum { L_DATA, NL };
static const struct ps_cli_flag list_flags[NL] = {
    [L_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
};

struct list_job {
    struct ps_arena *arena;
    struct ps_client list[PS_CLIENTS_MAX];
    size_t n;
    struct ps_diag d;
};

static enum ps_err list_tx(struct ps_tx *tx, void *arg)
{
    struct list_job *j = arg;
    return ps_clients_list(tx, j->arena, j->list, PS_CLIENTS_MAX, &j->n, &j->d);
}

static void print_client(const struct ps_client *c)
{
    char scopes[128], key[128];
    ps_client_scopes_text(c->scopes, scopes, sizeof scopes);
    sodium_bin2base64(key, sizeof key, (const unsigned char *)c->public_key.p, c->public_key.len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    printf("%.*s\t%.*s\t%s\t%s\t%s\t%.*s\n", PS_STR_FMT(c->id), PS_STR_FMT(c->agency),
           ps_client_alg_name(c->alg), key, scopes, PS_STR_FMT(c->name));
}

static int run_list(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct ps_store *store = NULL;
    struct ps_diag d = {0};
    int rc = ps_cli_open_local(cmd->name, vals[L_DATA] ? vals[L_DATA] : PS_DEFAULT_DATA_DIR,
                               &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    struct list_job *j = ps_calloc(1, sizeof *j);
    if (j)
        j->arena = ps_arena_new(LIST_ARENA);
    if (!j || !j->arena)
        rc = ps_cli_failf(cmd->name, "out of memory");
    else if (ps_store_read(store, list_tx, j, &d) != PS_OK)
        rc = ps_cli_fail(cmd->name, j->d.code != PS_OK ? &j->d : &d);
    else
        rc = PS_EXIT_OK;
    for (size_t i = 0; rc == PS_EXIT_OK && i < j->n; i++)
        print_client(&j->list[i]);
    if (j)
        ps_arena_free(j->arena);
    ps_free(j);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_list = {
    .name = "client list",
    .summary = "list the agency systems",
    .help = "Prints one line per active client, tab-separated: id, agency, algorithm, public\n"
            "key (base64url), scopes, name.",
    .flags = list_flags,
    .nflags = NL,
    .run = run_list,
};

/* ---- client remove ---- */

enum { R_DATA, R_REASON, NR };
static const struct ps_cli_flag remove_flags[NR] = {
    [R_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [R_REASON] = {"--reason", "TEXT", "why, recorded (default \"client configuration\")"},
};

static enum ps_err remove_tx(struct ps_tx *tx, void *arg)
{
    struct client_job *j = arg;
    ps_diag_clear(&j->d);
    return ps_client_remove(tx, &admin, j->c.id, j->reason, &j->d);
}

static int run_remove(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct client_job j;
    struct ps_store *store = NULL;
    struct ps_diag d = {0};
    if (!vals[NR])
        return ps_cli_usage(cmd->name, "which client? (client remove ID)");
    memset(&j, 0, sizeof j);
    j.c.id = ps_str_from_cstr(vals[NR]);
    j.reason = ps_str_from_cstr(vals[R_REASON] ? vals[R_REASON] : "client configuration");
    int rc = ps_cli_open_local(cmd->name, vals[R_DATA] ? vals[R_DATA] : PS_DEFAULT_DATA_DIR,
                               &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    if (ps_store_write(store, remove_tx, &j, &d) != PS_OK)
        rc = ps_cli_fail(cmd->name, j.d.code != PS_OK ? &j.d : &d);
    else
        rc = PS_EXIT_OK, printf("removed client %s\n", vals[NR]);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_remove = {
    .name = "client remove",
    .summary = "remove an agency system",
    .help = "Removes the client ID: its signed requests fail from then on, on every node. The\n"
            "change is recorded (client.remove) with the --reason.",
    .flags = remove_flags,
    .nflags = NR,
    .positional = "ID",
    .run = run_remove,
};

/* ---- pocketstate client SUBCOMMAND ---- */

static const struct ps_cli_cmd *const subs[] = {&cmd_add, &cmd_list, &cmd_remove};

static int client_dispatch(const struct ps_cli_cmd *cmd, int argc, char **argv)
{
    return ps_cli_subcommands("client", subs, sizeof subs / sizeof subs[0], argc, argv);
}

const struct ps_cli_cmd ps_cli_cmd_client = {
    .name = "client",
    .summary = "add, list or remove the agency systems that sign their requests",
    .help = "Subcommands:\n"
            "  client add --id ID --agency CODE --name TEXT [--alg ALG] --public-key B64URL\n"
            "             --scopes LIST [--reason TEXT] [--data DIR]\n"
            "  client list [--data DIR]\n"
            "  client remove ID [--reason TEXT] [--data DIR]\n"
            "Run 'pocketstate client SUBCOMMAND --help' for each.",
    .dispatch = client_dispatch,
};
