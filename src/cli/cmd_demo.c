/* `pocketstate demo`: one command from nothing to a running server with a synthetic
 * population: init if needed, load the citizens, print how to sign in, then serve. */
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/log.h"
#include "crypto/keys.h"
#include "portal/portal.h"
#include "registries/persons.h"
#include "registries/population.h"
#include "store/store.h"

#define CITIZENS_DEFAULT 10000
#define CITIZENS_MAX 10000000

/* The first people of the seed's synthetic population, for the home page and the curl example.
 * They come from the generator, not from the registry: showing them reads nobody's record,
 * so there is nothing for the access log to record. */
#define DEMO_PEOPLE 5

static void name_join(char *out, size_t cap, struct ps_str a, struct ps_str b, struct ps_str c)
{
    int n = snprintf(out, cap, "%.*s %.*s%s%.*s", PS_STR_FMT(a), PS_STR_FMT(b), c.len ? " " : "",
                     PS_STR_FMT(c));
    if (n < 0 || (size_t)n >= cap)
        out[0] = '\0'; /* names are at most PS_PERSON_NAME_MAX bytes each: never */
}

static size_t demo_people(uint64_t seed, size_t want, struct ps_portal_person *out)
{
    struct ps_population *pop = NULL;
    struct ps_person p;
    struct ps_diag d = {0};
    size_t n = 0;
    if (ps_population_new(seed, &pop, &d) != PS_OK)
        return 0;
    while (n < want && ps_population_next(pop, &p) == PS_OK &&
           ps_str_copy(out[n].rnokpp, sizeof out[n].rnokpp, p.rnokpp) == PS_OK) {
        name_join(out[n].name, sizeof out[n].name, p.surname, p.given_name, p.patronymic);
        name_join(out[n].name_latin, sizeof out[n].name_latin, p.surname_latin,
                  p.given_name_latin, p.patronymic_latin);
        out[n].birth_date = p.birth_date;
        n++;
    }
    ps_population_free(pop);
    return n;
}

enum { F_DATA, F_LISTEN, F_CITIZENS, F_SEED, NFLAGS };

static const struct ps_cli_flag flags[NFLAGS] = {
    [F_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [F_LISTEN] = {"--listen", "ADDR:PORT", "address to listen on (default " PS_DEFAULT_LISTEN ")"},
    [F_CITIZENS] = {"--citizens", "N", "persons in the registry, 1 to 10000000 (default 10000)"},
    [F_SEED] = {"--seed", "S", "seed of the synthetic population (default 1)"},
};

struct demo {
    const char *dir;
    uint64_t citizens, seed;
    int64_t persons;
    struct ps_portal_person people[DEMO_PEOPLE];
    size_t npeople;
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

static void on_ready(void *ctx, const char *url)
{
    struct demo *dm = ctx;
    char token[PS_ADMIN_TOKEN_MAX + 8];
    printf("\nPocketState demo is running.\n  url:          %s\n", url);
    printf("  portal:       %s/   (in a browser; the demo people are on the home page)\n", url);
    print_token(dm->dir, token, sizeof token);
    printf("  citizens:     %lld (seed %llu)\n\nTry:\n", (long long)dm->persons,
           (unsigned long long)dm->seed);
    printf("  curl -H \"Authorization: Bearer %s\" %s/api/v1/registry/persons/%s\n\n",
           token[0] ? token : "<token>", url, dm->npeople ? dm->people[0].rnokpp : "<RNOKPP>");
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
    rc = ps_cli_init_data(cmd->name, dm.dir, NULL, false);
    if (rc != PS_EXIT_OK)
        return rc;
    rc = ps_cli_config(cmd->name, dm.dir, NULL, vals[F_LISTEN], NULL, &cfg);
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
    /* the registry holds at least the first `persons` people of the seed's stream */
    dm.npeople = demo_people(dm.seed, dm.persons < DEMO_PEOPLE ? (size_t)dm.persons : DEMO_PEOPLE,
                             dm.people);
    struct ps_portal_opts portal = {.demo = true, .people = dm.people, .npeople = dm.npeople};
    return ps_cli_serve(cmd->name, dm.dir, &cfg, store, &sigs, &portal, on_ready, &dm);
fail:
    ps_store_free(store);
    return rc;
}

const struct ps_cli_cmd ps_cli_cmd_demo = {
    .name = "demo",
    .summary = "init if needed, load a synthetic population, print how to sign in, serve",
    .help = "Initialises DIR when needed (as init), loads N synthetic citizens generated from\n"
            "seed S when the registry holds fewer, prints the URL, the admin token from\n"
            "DIR/admin.token and a ready curl example, then serves as serve does.",
    .flags = flags,
    .nflags = NFLAGS,
    .run = run,
};
