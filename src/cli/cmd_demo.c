/* `pocketstate demo`: one command from nothing to a running server with a synthetic
 * population: init if needed, load the citizens, print how to sign in, then serve. */
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/keys.h"
#include "api/api.h"
#include "identity/activation.h"
#include "identity/demo.h"
#include "identity/official.h"
#include "registries/persons.h"
#include "registries/population.h"
#include "store/store.h"

#define CITIZENS_DEFAULT 10000
#define CITIZENS_MAX 10000000

/* The RNOKPP of the seed's first synthetic person, for the curl example. It comes from the
 * generator, not from the registry: printing it reads nobody's record, so there is nothing
 * for the access log to record. */
static void first_rnokpp(uint64_t seed, char out[11])
{
    struct ps_population *pop = NULL;
    struct ps_person p;
    struct ps_diag d = {0};
    out[0] = '\0';
    if (ps_population_new(seed, &pop, &d) == PS_OK && ps_population_next(pop, &p) == PS_OK &&
        ps_str_copy(out, 11, p.rnokpp) != PS_OK)
        out[0] = '\0';
    ps_population_free(pop);
}

enum { F_DATA, F_LISTEN, F_DB, F_CITIZENS, F_SEED, F_PUBLIC_URL, NFLAGS };

static const struct ps_cli_flag flags[NFLAGS] = {
    [F_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [F_LISTEN] = {"--listen", "ADDR:PORT", "address to listen on (default " PS_DEFAULT_LISTEN ")"},
    [F_DB] = {"--db", "URL", "database: sqlite:PATH or postgresql://... (as init and serve)"},
    [F_CITIZENS] = {"--citizens", "N", "persons in the registry, 1 to 10000000 (default 10000)"},
    [F_SEED] = {"--seed", "S", "seed of the synthetic population (default 1)"},
    [F_PUBLIC_URL] = {"--public-url", "URL", "the URL people open (default http://localhost:PORT)"},
};

struct demo {
    const char *dir;
    uint64_t citizens, seed;
    int64_t persons;
    char rnokpp[11];
    struct ps_demo_person people[PS_DEMO_PEOPLE];
    /* the loader thread */
    struct ps_store *store;
    pthread_t main_thread;
    enum ps_err load_result;
    struct ps_diag load_diag;
};

static enum ps_err count_tx(struct ps_tx *tx, void *arg)
{
    struct demo *dm = arg;
    struct ps_diag d = {0};
    return ps_persons_count(tx, &dm->persons, &d);
}

static void *loader(void *arg)
{
    struct demo *dm = arg;
    dm->load_result = ps_population_load(dm->store, (size_t)dm->citizens, dm->seed, &dm->load_diag);
    pthread_kill(dm->main_thread, SIGUSR1);
    return NULL;
}

/* Loads the population on a worker thread while the main thread keeps the signals: Ctrl-C
 * during a long load ends the process at once, and the single bulk transaction leaves the
 * database as it was. */
static int load_population(const char *cmd, struct demo *dm, const sigset_t *sigs)
{
    pthread_t t;
    dm->main_thread = pthread_self();
    ps_log(PS_LOG_INFO, "loading %llu citizens (seed %llu)", (unsigned long long)dm->citizens,
           (unsigned long long)dm->seed);
    if (pthread_create(&t, NULL, loader, dm) != 0)
        return ps_cli_failf(cmd, "cannot start the loader thread");
    for (;;) {
        int sig = 0;
        if (sigwait(sigs, &sig) != 0)
            continue;
        if (sig == SIGUSR1)
            break;
        if (sig == SIGINT || sig == SIGTERM) {
            static const char msg[] =
                "pocketstate: demo: interrupted while loading the population; nothing loaded\n";
            (void)!write(2, msg, sizeof msg - 1);
            _exit(PS_EXIT_FAIL);
        }
    }
    pthread_join(t, NULL);
    if (dm->load_result == PS_ERR_EXISTS) {
        /* the same seed was loaded before (perhaps with a smaller N): keep what is there */
        ps_log(PS_LOG_WARN,
               "population for seed %llu already loaded in part; keeping %lld "
               "persons",
               (unsigned long long)dm->seed, (long long)dm->persons);
        return PS_CLI_CONTINUE;
    }
    if (dm->load_result != PS_OK)
        return ps_cli_fail(cmd, &dm->load_diag);
    dm->persons = (int64_t)dm->citizens;
    return PS_CLI_CONTINUE;
}

static void print_token(const char *dir, char *token, size_t cap)
{
    char path[PS_CONFIG_PATH_MAX];
    struct ps_diag d = {0};
    size_t len = 0;
    token[0] = '\0';
    if (ps_cli_path(path, sizeof path, dir, "admin.token") != PS_OK ||
        ps_cli_read_secret_file(path, token, cap, &len, &d) != PS_OK) {
        printf("  admin token:  not available (%s)\n", d.message);
        token[0] = '\0';
        return;
    }
    while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
        token[--len] = '\0';
    printf("  admin token:  %s   (from %s)\n", token, path);
}

/* ---- the demo people: fresh activation codes, one of them an official ---- */

/* The second demo person is a registrar of the Pension Fund, for the officials' pages. */
#define DEMO_ROLE "registrar"
#define DEMO_AGENCY "pfu"

struct prepare_ctx {
    struct demo *dm;
    const unsigned char *key;
    size_t i;
    struct ps_diag diag, refused;
};

static enum ps_err prepare_person_tx(struct ps_tx *tx, void *arg)
{
    struct prepare_ctx *p = arg;
    static const struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = PS_STR("local-admin")};
    struct ps_demo_person *dp = &p->dm->people[p->i];
    struct ps_str rnokpp = ps_str_from_cstr(dp->rnokpp);
    struct ps_activation act;
    ps_diag_clear(&p->diag);
    enum ps_err e = ps_activation_issue(tx, &admin, rnokpp, PS_STR("pocketstate demo"), p->key,
                                        &act, &p->refused, &p->diag);
    if (e == PS_OK && p->refused.code == PS_OK)
        memcpy(dp->code, act.code, sizeof dp->code);
    if (e == PS_OK && p->refused.code == PS_OK) /* the portal's one-click demo sign-in */
        e = ps_demo_passkey_ensure(tx, rnokpp, &p->diag);
    if (e != PS_OK || p->i != 1)
        return e;
    struct ps_role role = {PS_STR(DEMO_ROLE), PS_STR(DEMO_AGENCY), PS_STR("")};
    struct ps_role_grant g;
    struct ps_diag refused = {0}, d = {0};
    if (ps_role_grant(tx, &admin, rnokpp, &role, PS_STR("pocketstate demo"), &g, &refused, &d) ==
            PS_OK ||
        d.code == PS_ERR_EXISTS) /* granted on an earlier run */
        snprintf(dp->role, sizeof dp->role, "%s, %s", DEMO_ROLE, DEMO_AGENCY);
    return PS_OK;
}

/* True for a living adult of working age (18 to 64) today. */
static bool working_age(const struct ps_person *p)
{
    char today[25];
    ps_clock_fmt_rfc3339(ps_clock_now_ms(), today);
    int year = (today[0] - '0') * 1000 + (today[1] - '0') * 100 + (today[2] - '0') * 10 +
               (today[3] - '0');
    int age = year - p->birth_date.year - 1; /* at least this old, whatever the day */
    return p->status == PS_PERSON_ALIVE && age >= 18 && age <= 63;
}

/* The first adults of the seed, from the generator (reading nobody's record). */
static void demo_people(struct demo *dm)
{
    struct ps_population *pop = NULL;
    struct ps_person p;
    struct ps_diag d = {0};
    if (ps_population_new(dm->seed, &pop, &d) != PS_OK)
        return;
    size_t i = 0;
    for (int64_t k = 0; i < PS_DEMO_PEOPLE && k < dm->persons; k++) {
        if (ps_population_next(pop, &p) != PS_OK)
            break;
        if (!working_age(&p))
            continue;
        struct ps_demo_person *dp = &dm->people[i++];
        if (ps_str_copy(dp->rnokpp, sizeof dp->rnokpp, p.rnokpp) != PS_OK)
            dp->rnokpp[0] = '\0';
        snprintf(dp->name, sizeof dp->name, "%.*s %.*s %.*s", PS_STR_FMT(p.surname),
                 PS_STR_FMT(p.given_name), PS_STR_FMT(p.patronymic));
        ps_date_fmt(p.birth_date, dp->birth_date);
    }
    ps_population_free(pop);
}

static int prepare(void *ctx, struct ps_app *app)
{
    struct demo *dm = ctx;
    struct prepare_ctx p = {.dm = dm, .key = app->id.activation_key};
    demo_people(dm);
    for (p.i = 0; p.i < PS_DEMO_PEOPLE; p.i++) {
        struct ps_diag d = {0};
        if (!dm->people[p.i].rnokpp[0])
            continue;
        if (ps_store_write(app->store, prepare_person_tx, &p, &d) != PS_OK)
            return ps_cli_fail("demo", p.diag.code != PS_OK ? &p.diag : &d);
    }
    app->demo = dm->people;
    app->ndemo = PS_DEMO_PEOPLE;
    return PS_CLI_CONTINUE;
}

static void on_ready(void *ctx, const char *url)
{
    struct demo *dm = ctx;
    char token[PS_ADMIN_TOKEN_MAX + 8];
    printf("\nPocketState demo is running.\n  url:          %s\n", url);
    print_token(dm->dir, token, sizeof token);
    printf("  citizens:     %lld (seed %llu)\n\n", (long long)dm->persons,
           (unsigned long long)dm->seed);
    printf("Sign in: open %s and enrol one of these demo people with a passkey\n"
           "(activation codes are single use, valid 72 hours):\n", url);
    for (size_t i = 0; i < PS_DEMO_PEOPLE; i++) {
        const struct ps_demo_person *p = &dm->people[i];
        if (!p->code[0])
            continue;
        printf("  %s  born %s  code %s  %s%s%s%s\n", p->rnokpp, p->birth_date, p->code, p->name,
               p->role[0] ? "  (official: " : "", p->role, p->role[0] ? ")" : "");
    }
    printf("\nTry the API:\n");
    printf("  curl -H \"Authorization: Bearer %s\" %s/api/v1/registry/persons/%s\n\n",
           token[0] ? token : "<token>", url, dm->rnokpp[0] ? dm->rnokpp : "<RNOKPP>");
    printf("Stop with Ctrl-C.\n");
    fflush(stdout);
    sodium_memzero(token, sizeof token);
}

static int parse_flags(const char *cmd, const char *const *vals, struct demo *dm)
{
    char addr[PS_CONFIG_ADDR_MAX];
    uint16_t port;
    struct ps_diag d = {0};
    dm->citizens = CITIZENS_DEFAULT;
    dm->seed = 1;
    if (vals[F_CITIZENS] && ps_cli_u64(cmd, "--citizens", vals[F_CITIZENS], 1, CITIZENS_MAX,
                                       &dm->citizens) != PS_CLI_CONTINUE)
        return PS_EXIT_USAGE;
    if (vals[F_SEED] &&
        ps_cli_u64(cmd, "--seed", vals[F_SEED], 0, UINT64_MAX, &dm->seed) != PS_CLI_CONTINUE)
        return PS_EXIT_USAGE;
    /* checked before init touches the disk */
    if (vals[F_LISTEN] &&
        ps_config_parse_listen(ps_str_from_cstr(vals[F_LISTEN]), addr, &port, &d) != PS_OK)
        return ps_cli_usage(cmd, "--listen: %s", d.message);
    struct ps_config scratch;
    if (vals[F_DB] && (ps_config_init(&scratch, dm->dir, &d) != PS_OK ||
                       ps_config_set_db(&scratch, ps_str_from_cstr(vals[F_DB]), "--db", &d) != PS_OK))
        return ps_cli_usage(cmd, "%s", d.message);
    return PS_CLI_CONTINUE;
}

static int run(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct demo dm = {.dir = vals[F_DATA] ? vals[F_DATA] : PS_DEFAULT_DATA_DIR};
    struct ps_config cfg;
    struct ps_diag d = {0};
    sigset_t sigs;
    struct ps_store *store = NULL;
    int rc = parse_flags(cmd->name, vals, &dm);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    ps_cli_block_signals(&sigs); /* before init starts the store's threads */
    rc = ps_cli_init_data(cmd->name, dm.dir, vals[F_DB], false);
    if (rc != PS_EXIT_OK)
        return rc;
    rc = ps_cli_config(cmd->name, dm.dir, NULL, vals[F_LISTEN], vals[F_DB], &cfg);
    if (rc == PS_CLI_CONTINUE)
        rc = ps_cli_public_url(cmd->name, vals[F_PUBLIC_URL], &cfg);
    if (rc == PS_CLI_CONTINUE) /* a taken port is said now, not after a long load */
        rc = ps_cli_check_listen(cmd->name, &cfg);
    if (rc == PS_CLI_CONTINUE)
        rc = ps_cli_setup_log(cmd->name, &cfg);
    if (rc == PS_CLI_CONTINUE)
        rc = ps_cli_open_store(cmd->name, &cfg, &sigs, true, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    dm.store = store;
    if (ps_store_read(store, count_tx, &dm, &d) != PS_OK) {
        rc = ps_cli_fail(cmd->name, &d);
        goto fail;
    }
    if (dm.persons < (int64_t)dm.citizens) {
        rc = load_population(cmd->name, &dm, &sigs);
        if (rc != PS_CLI_CONTINUE)
            goto fail;
    }
    first_rnokpp(dm.seed, dm.rnokpp);
    struct ps_cli_serve_hooks hooks = {prepare, on_ready, &dm};
    return ps_cli_serve(cmd->name, dm.dir, &cfg, store, &sigs, &hooks);
fail:
    ps_store_free(store);
    return rc;
}

const struct ps_cli_cmd ps_cli_cmd_demo = {
    .name = "demo",
    .summary = "init if needed, load a synthetic population, print how to sign in, serve",
    .help = "Initialises DIR when needed (as init), loads N synthetic citizens generated from\n"
            "seed S when the registry holds fewer, gives three demo people fresh activation\n"
            "codes (the second one a registrar of the Pension Fund), prints the URL, those\n"
            "people, the admin token from DIR/admin.token and a ready curl example, then\n"
            "serves as serve does. --db names the database as for init (recorded in a new\n"
            "DIR/config.json) and serve (it wins over the config file and POCKETSTATE_DB).",
    .flags = flags,
    .nflags = NFLAGS,
    .run = run,
};
