/* `pocketstate issuer rotate|list` and `pocketstate doctype check`: the agencies' document
 * signing keys (rotation with overlap, each change recorded in the transparency log by the
 * local admin) and the check of a document type file before it is dropped into DIR/doctypes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/clock.h"
#include "crypto/keys.h"
#include "keystore/keystore.h"
#include "documents/docs.h"
#include "documents/issuer.h"
#include "registries/records.h"
#include "store/store.h"

static const struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = {"local-admin", 11}};

/* ---- issuer rotate AGENCY ---- */

enum { R_DATA, R_ALG, R_OVERLAP, R_REASON, NR };
static const struct ps_cli_flag rotate_flags[NR] = {
    [R_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [R_ALG] = {"--alg", "ALG", "ES256 (default) or EdDSA"},
    [R_OVERLAP] = {"--overlap", "SECONDS",
                   "when the new key starts signing (and the old stops), 0 to 31536000 "
                   "(default 90000: longer than verifiers cache the trust list)"},
    [R_REASON] = {"--reason", "TEXT", "why, recorded (default \"key rotation\")"},
};

static int run_rotate(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    const char *dir = vals[R_DATA] ? vals[R_DATA] : PS_DEFAULT_DATA_DIR;
    const char *alg_s = vals[R_ALG] ? vals[R_ALG] : "ES256";
    uint64_t overlap = PS_ISSUER_OVERLAP_DEFAULT_MS / 1000;
    if (!vals[NR])
        return ps_cli_usage(cmd->name, "which agency? (issuer rotate AGENCY)");
    int alg = strcmp(alg_s, "ES256") == 0 ? -7 : strcmp(alg_s, "EdDSA") == 0 ? -8 : 0;
    if (!alg)
        return ps_cli_usage(cmd->name, "--alg: ES256 or EdDSA");
    if (vals[R_OVERLAP] && ps_cli_u64(cmd->name, "--overlap", vals[R_OVERLAP], 0, 31536000,
                                      &overlap) != PS_CLI_CONTINUE)
        return PS_EXIT_USAGE;
    char key_path[PS_CONFIG_PATH_MAX], types_dir[PS_CONFIG_PATH_MAX];
    if (ps_cli_path(key_path, sizeof key_path, dir, "master.key") != PS_OK ||
        ps_cli_path(types_dir, sizeof types_dir, dir, "doctypes") != PS_OK)
        return ps_cli_failf(cmd->name, "%s: path too long", dir);
    struct ps_store *store = NULL;
    struct ps_master_key *m = NULL;
    struct ps_diag d = {0};
    int rc = ps_cli_open_local(cmd->name, dir, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    enum ps_err e = ps_keystore_load_master(key_path, getenv(PS_MASTER_KEY_ENV), false, &m, NULL,
                                        NULL, &d);
    if (e == PS_OK)
        e = ps_docs_issuer_rotate(store, m, types_dir, &admin, vals[NR], alg,
                                  (int64_t)overlap * 1000,
                                  ps_str_from_cstr(vals[R_REASON] ? vals[R_REASON]
                                                                  : "key rotation"),
                                  &d);
    if (e == PS_OK) {
        printf("rotated %s: a new %s key signs from %llu s from now; the old keys until "
               "then\n",
               vals[NR], alg_s, (unsigned long long)overlap);
        rc = PS_EXIT_OK;
    } else {
        rc = ps_cli_fail(cmd->name, &d);
    }
    ps_keys_master_free(m);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_rotate = {
    .name = "issuer rotate",
    .summary = "give an agency a new document signing key",
    .help = "Makes a new signing key for AGENCY (sealed under the master key, certified by the\n"
            "platform root) allowed to sign the document types the agency issues. Its window\n"
            "opens, and the old keys' close, --overlap seconds from now: meanwhile the trust\n"
            "list publishes both and the old key still signs, so verifiers that cache the list\n"
            "know the new key before it signs; what the old key signed stays valid until it\n"
            "expires. A running server picks the change up within 5 seconds. Each change is\n"
            "recorded (issuer-key.retire, issuer-key.create) with the --reason.",
    .flags = rotate_flags,
    .nflags = NR,
    .positional = "AGENCY",
    .run = run_rotate,
};

/* ---- issuer list ---- */

enum { L_DATA, NL };
static const struct ps_cli_flag list_flags[NL] = {
    [L_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
};

struct list_job {
    struct ps_arena *arena;
    struct ps_issuer_key keys[PS_ISSUER_KEYS_MAX];
    size_t n;
    struct ps_diag d;
};

static enum ps_err list_tx(struct ps_tx *tx, void *arg)
{
    struct list_job *j = arg;
    return ps_issuer_keys_list(tx, j->arena, j->keys, PS_ISSUER_KEYS_MAX, &j->n, &j->d);
}

static void print_key(const struct ps_issuer_key *k)
{
    char kid[2 * PS_ISSUER_KID_LEN + 1], nbf[25], naf[25] = "open";
    for (size_t i = 0; i < PS_ISSUER_KID_LEN; i++)
        snprintf(kid + 2 * i, 3, "%02x", k->kid[i]);
    ps_clock_fmt_rfc3339(k->nbf_ms, nbf);
    if (k->naf_ms)
        ps_clock_fmt_rfc3339(k->naf_ms, naf);
    printf("%s\t%s\t%s\t%s\t%s\t%s\n", k->agency, kid, k->alg == -8 ? "EdDSA" : "ES256", nbf,
           naf, k->types);
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
        j->arena = ps_arena_new(1u << 20);
    if (!j || !j->arena)
        rc = ps_cli_failf(cmd->name, "out of memory");
    else if (ps_store_read(store, list_tx, j, &d) != PS_OK)
        rc = ps_cli_fail(cmd->name, j->d.code != PS_OK ? &j->d : &d);
    else
        rc = PS_EXIT_OK;
    for (size_t i = 0; rc == PS_EXIT_OK && i < j->n; i++)
        print_key(&j->keys[i]);
    if (j)
        ps_arena_free(j->arena);
    ps_free(j);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_list = {
    .name = "issuer list",
    .summary = "list the agencies' document signing keys",
    .help = "Prints one line per key, oldest first, tab-separated: agency, kid (hex),\n"
            "algorithm, signs from, signs until (\"open\"), the types it may sign.",
    .flags = list_flags,
    .nflags = NL,
    .run = run_list,
};

static const struct ps_cli_cmd *const subs[] = {&cmd_rotate, &cmd_list};

static int issuer_dispatch(const struct ps_cli_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    return ps_cli_subcommands("issuer", subs, sizeof subs / sizeof subs[0], argc, argv);
}

const struct ps_cli_cmd ps_cli_cmd_issuer = {
    .name = "issuer",
    .summary = "rotate or list the agencies' document signing keys",
    .help = "Subcommands:\n"
            "  issuer rotate AGENCY [--alg ES256|EdDSA] [--overlap SECONDS] [--reason TEXT]\n"
            "                [--data DIR]\n"
            "  issuer list [--data DIR]\n"
            "Run 'pocketstate issuer SUBCOMMAND --help' for each.",
    .dispatch = issuer_dispatch,
};

/* ---- doctype check FILE ---- */

enum { C_DATA, NC };
static const struct ps_cli_flag check_flags[NC] = {
    [C_DATA] = {"--data", "DIR", "also load DIR/doctypes (default: the built-in types only)"},
};

static int run_check(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    const char *file = vals[NC];
    char types_dir[PS_CONFIG_PATH_MAX];
    struct ps_doctypes *set = NULL;
    struct ps_diag d = {0};
    if (!file)
        return ps_cli_usage(cmd->name, "which file? (doctype check FILE)");
    if (vals[C_DATA] && ps_cli_path(types_dir, sizeof types_dir, vals[C_DATA], "doctypes") != PS_OK)
        return ps_cli_failf(cmd->name, "%s: path too long", vals[C_DATA]);
    FILE *f = fopen(file, "rb");
    if (!f)
        return ps_cli_failf(cmd->name, "%s: %s", file, strerror(errno));
    char *text = ps_malloc(PS_DOCTYPE_FILE_MAX + 1);
    size_t n = text ? fread(text, 1, PS_DOCTYPE_FILE_MAX + 1, f) : 0;
    fclose(f);
    enum ps_err e = text ? ps_doctypes_load(vals[C_DATA] ? types_dir : NULL, &set, &d)
                         : ps_diag_set(&d, PS_ERR_NOMEM, "out of memory");
    if (e == PS_OK)
        e = ps_doctypes_add(set, file, text, n, &d);
    int rc = e == PS_OK ? PS_EXIT_OK : ps_cli_fail(cmd->name, &d);
    for (size_t i = 0; e == PS_OK && i < ps_doctypes_count(set); i++) {
        const struct ps_doctype *t = ps_doctypes_at(set, i);
        printf("%s\tv%u\t%s\t%s\t%zu claims\t%s\n", t->id, t->version, t->issuer,
               t->source->name, t->nclaims, t->name.en);
    }
    ps_doctypes_free(set);
    ps_free(text);
    return rc;
}

static const struct ps_cli_cmd cmd_check = {
    .name = "doctype check",
    .summary = "check a document type file",
    .help = "Loads FILE (docs/formats/doctype.md) with the built-in types (and DIR/doctypes\n"
            "with --data): prints every type, one per line, or the first problem as\n"
            "FILE:LINE:COLUMN: message and exits 1. A file that passes can be put in\n"
            "DIR/doctypes/ and is issued after the next start; a new type needs no code.",
    .flags = check_flags,
    .nflags = NC,
    .positional = "FILE",
    .run = run_check,
};

static const struct ps_cli_cmd *const doctype_subs[] = {&cmd_check};

static int doctype_dispatch(const struct ps_cli_cmd *cmd, int argc, char **argv)
{
    (void)cmd;
    return ps_cli_subcommands("doctype", doctype_subs, 1, argc, argv);
}

const struct ps_cli_cmd ps_cli_cmd_doctype = {
    .name = "doctype",
    .summary = "check document type files",
    .help = "Subcommands:\n"
            "  doctype check FILE [--data DIR]\n",
    .dispatch = doctype_dispatch,
};
