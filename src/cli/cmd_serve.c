/* `pocketstate serve`: loads the configuration, opens the store (waiting out an unreachable
 * database), starts the HTTP server with the API routes, and then owns the signals in the main
 * thread: SIGTERM/SIGINT stop gracefully, SIGHUP reopens the log and reloads the service
 * definitions (a broken one is refused with its location; the version before it keeps
 * serving). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "api/api.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"
#include "documents/docs.h"
#include "engine/engine.h"
#include "keystore/keystore.h"
#include "http/http.h"
#include "portal/portal.h"
#include "store/store.h"
#include "tlog/integrator.h"

#define BACKOFF_MAX_S 30

enum { F_DATA, F_CONFIG, F_LISTEN, F_DB, F_PUBLIC_URL, NFLAGS };

static const struct ps_cli_flag flags[NFLAGS] = {
    [F_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [F_CONFIG] = {"--config", "FILE", "config file (default DIR/config.json)"},
    [F_LISTEN] = {"--listen", "ADDR:PORT", "address to listen on (default " PS_DEFAULT_LISTEN ")"},
    [F_DB] = {"--db", "URL", "database: sqlite:PATH or postgresql://..."},
    [F_PUBLIC_URL] = {"--public-url", "URL",
                      "the URL people open (default http://localhost:PORT); passkeys are bound "
                      "to its host"},
};

int ps_cli_config(const char *cmd, const char *data_dir, const char *config_path,
                  const char *listen, const char *db, struct ps_config *out)
{
    struct ps_diag d = {0};
    char def_path[PS_CONFIG_PATH_MAX];
    if (ps_config_init(out, data_dir, &d) != PS_OK)
        return ps_cli_fail(cmd, &d);
    /* flags first on a scratch copy: a usage error wins over a bad file */
    struct ps_config scratch = *out;
    if (listen && ps_config_set_listen(&scratch, ps_str_from_cstr(listen), "--listen", &d) != PS_OK)
        return ps_cli_usage(cmd, "%s", d.message);
    if (db && ps_config_set_db(&scratch, ps_str_from_cstr(db), "--db", &d) != PS_OK)
        return ps_cli_usage(cmd, "%s", d.message);
    bool must = config_path != NULL;
    if (!config_path) {
        if (ps_cli_path(def_path, sizeof def_path, data_dir, "config.json") != PS_OK)
            return ps_cli_failf(cmd, "%s: path too long", data_dir);
        config_path = def_path;
    }
    if (ps_config_load_file(out, config_path, must, NULL, &d) != PS_OK ||
        ps_config_apply_env(out, getenv, &d) != PS_OK)
        return ps_cli_fail(cmd, &d);
    if (listen && ps_config_set_listen(out, ps_str_from_cstr(listen), "--listen", &d) != PS_OK)
        return ps_cli_usage(cmd, "%s", d.message);
    if (db && ps_config_set_db(out, ps_str_from_cstr(db), "--db", &d) != PS_OK)
        return ps_cli_usage(cmd, "%s", d.message);
    return PS_CLI_CONTINUE;
}

int ps_cli_open_local(const char *cmd, const char *dir, struct ps_store **out)
{
    struct ps_config cfg;
    struct ps_store_opts o;
    struct ps_diag d = {0};
    int rc = ps_cli_config(cmd, dir, NULL, NULL, NULL, &cfg);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    if (ps_config_db_is_sqlite(cfg.db_url) && !ps_cli_exists(cfg.db_url + 7))
        return ps_cli_failf(cmd, "%s: no database: run 'pocketstate init' first", cfg.db_url + 7);
    ps_store_opts_init(&o);
    o.url = cfg.db_url;
    o.migrate = false;
    o.create = false;
    o.max_batch = 1;
    if (ps_store_open(&o, out, &d) != PS_OK)
        return ps_cli_fail(cmd, &d);
    return PS_CLI_CONTINUE;
}

int ps_cli_public_url(const char *cmd, const char *flag, struct ps_config *cfg)
{
    struct ps_diag d = {0};
    if (flag && ps_config_set_public_url(cfg, ps_str_from_cstr(flag), "--public-url", &d) !=
                    PS_OK)
        return ps_cli_usage(cmd, "%s", d.message);
    return PS_CLI_CONTINUE;
}

void ps_cli_block_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    sigaddset(set, SIGHUP);
    sigaddset(set, SIGUSR1);
    PS_ASSERT(pthread_sigmask(SIG_BLOCK, set, NULL) == 0);
    /* A shell starts background jobs with SIGINT ignored, nohup ignores SIGHUP, and Linux
     * discards an ignored signal even while it is blocked: restore the default action so
     * that sigwait sees them (blocked, the default action never runs). */
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
}

static void reopen_log(void)
{
    if (ps_log_reopen() != PS_OK)
        ps_log(PS_LOG_ERROR, "cannot reopen the log file");
    else
        ps_log(PS_LOG_INFO, "reloaded");
}

/* Waits up to seconds for a signal; true when it says stop. SIGHUP reopens the log and keeps
 * waiting out the rest of the time. */
static bool wait_or_stop(const sigset_t *sigs, int seconds)
{
    int64_t until = ps_clock_mono_ns() + (int64_t)seconds * 1000000000;
    for (;;) {
        int64_t left = until - ps_clock_mono_ns();
        if (left <= 0)
            return false;
        struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
        int sig = sigtimedwait(sigs, NULL, &ts);
        if (sig == SIGINT || sig == SIGTERM)
            return true;
        if (sig == SIGHUP)
            reopen_log();
        if (sig < 0 && errno != EINTR && errno != EAGAIN)
            return false;
    }
}

static void http_config(const struct ps_config *cfg, struct ps_app *app, struct ps_http_config *hc);

/* While the database cannot be reached at start, the address already answers: /healthz 200,
 * /readyz (and everything else) 503, so that a load balancer sees "alive, not ready" rather
 * than a refused connection. NULL when it cannot listen (the real server will say why). */
static struct ps_http_server *start_not_ready(const struct ps_config *cfg)
{
    struct ps_http_config hc;
    struct ps_http_server *srv = NULL;
    struct ps_diag d = {0};
    http_config(cfg, NULL, &hc);
    hc.routes = ps_api_starting_routes(&hc.nroutes);
    if (ps_http_start(&hc, &srv, &d) != PS_OK) {
        ps_log(PS_LOG_WARN, "cannot answer /readyz while waiting: %s", d.message);
        return NULL;
    }
    return srv;
}

int ps_cli_check_listen(const char *cmd, const struct ps_config *cfg)
{
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, cfg->listen_addr, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(cfg->port);
        len = sizeof *v4;
    } else if (inet_pton(AF_INET6, cfg->listen_addr, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(cfg->port);
        len = sizeof *v6;
    } else {
        return ps_cli_failf(cmd, "listen address %s is not numeric", cfg->listen_addr);
    }
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return ps_cli_failf(cmd, "cannot make a socket: %s", strerror(errno));
    int one = 1; /* as the server does: a port in TIME_WAIT is not taken */
    (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int rc = bind(fd, (struct sockaddr *)&ss, len);
    int err = errno;
    close(fd);
    if (rc == 0)
        return PS_CLI_CONTINUE;
    return ps_cli_failf(cmd, strchr(cfg->listen_addr, ':')
                                 ? "cannot listen on [%s]:%u: %s (choose another address with "
                                   "--listen)"
                                 : "cannot listen on %s:%u: %s (choose another address with "
                                   "--listen)",
                        cfg->listen_addr, (unsigned)cfg->port, strerror(err));
}

int ps_cli_open_store(const char *cmd, const struct ps_config *cfg, const sigset_t *sigs,
                      bool listen_while_waiting, struct ps_store **out)
{
    struct ps_store_opts o;
    struct stat st;
    ps_store_opts_init(&o);
    o.url = cfg->db_url;
    o.migrate = true;
    o.create = false;
    /* a missing SQLite file is a missing `init`, not an unreachable database */
    if (ps_config_db_is_sqlite(cfg->db_url) && stat(cfg->db_url + 7, &st) != 0)
        return ps_cli_failf(cmd, "%s: no database: run 'pocketstate init' first", cfg->db_url + 7);
    int delay = 1, rc = PS_CLI_CONTINUE;
    struct ps_http_server *starting = NULL;
    for (;;) {
        struct ps_diag d = {0};
        enum ps_err e = ps_store_open(&o, out, &d);
        if (e == PS_OK)
            break;
        if (e != PS_ERR_UNAVAILABLE) {
            rc = ps_cli_fail(cmd, &d);
            break;
        }
        ps_log(PS_LOG_WARN, "database unavailable (%s); retrying in %d s", d.message, delay);
        if (listen_while_waiting && !starting)
            starting = start_not_ready(cfg);
        if (wait_or_stop(sigs, delay)) {
            ps_log(PS_LOG_INFO, "stopped before the database became available");
            rc = PS_EXIT_OK;
            break;
        }
        delay = delay * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : delay * 2;
    }
    /* the real server takes the address over now (a moment without a listener) */
    ps_http_stop(starting);
    return rc;
}

static void http_config(const struct ps_config *cfg, struct ps_app *app, struct ps_http_config *hc)
{
    memset(hc, 0, sizeof *hc);
    hc->listen_addr = cfg->listen_addr;
    hc->port = cfg->port;
    ps_http_limits_init(&hc->limits);
    hc->limits.max_header_bytes = (size_t)cfg->limits.max_header_bytes;
    hc->limits.max_body_bytes = (size_t)cfg->limits.max_body_bytes;
    hc->limits.idle_timeout_s = (unsigned)cfg->limits.idle_timeout_s;
    hc->limits.request_timeout_s = (unsigned)cfg->limits.request_timeout_s;
    hc->limits.header_timeout_s = (unsigned)cfg->limits.header_timeout_s;
    hc->limits.max_connections = (unsigned)cfg->limits.max_connections;
    hc->limits.max_per_ip = (unsigned)cfg->limits.max_per_ip;
    hc->limits.shutdown_grace_ms = (unsigned)cfg->limits.shutdown_grace_ms;
    hc->limits.arena_bytes = (size_t)cfg->limits.arena_bytes;
    hc->limits.threads = (unsigned)cfg->threads;
    hc->routes = ps_portal_site_routes(&hc->nroutes);
    hc->app = app;
    hc->dispatch = ps_api_dispatch;
    hc->log_requests = true;
}

/* Opens the master key: DIR/master.key, or the environment. */
static enum ps_err load_master(const char *data_dir, struct ps_master_key **m,
                               struct ps_diag *d)
{
    char path[PS_CONFIG_PATH_MAX];
    if (ps_cli_path(path, sizeof path, data_dir, "master.key") != PS_OK)
        return ps_diag_set(d, PS_ERR_LIMIT, "%s: path too long", data_dir);
    return ps_keystore_load_master(path, getenv(PS_MASTER_KEY_ENV), false, m, NULL, NULL, d);
}

/* The relying party: public_url, or http://localhost:PORT (browsers treat localhost as a
 * secure context; they refuse an IP address as an RP ID), and the configured origins. */
static enum ps_err identity_rp(const struct ps_config *cfg, struct ps_rp *rp, struct ps_diag *d)
{
    char url[64];
    const char *u = cfg->identity.public_url;
    memset(rp, 0, sizeof *rp);
    if (!u[0]) {
        int n = cfg->port ? snprintf(url, sizeof url, "http://localhost:%u", (unsigned)cfg->port)
                          : snprintf(url, sizeof url, "http://localhost");
        if (n < 0 || (size_t)n >= sizeof url)
            return ps_diag_set(d, PS_ERR_INTERNAL, "public url");
        u = url;
    }
    enum ps_err e = ps_rp_set_url(rp, ps_str_from_cstr(u), d);
    for (size_t i = 0; e == PS_OK && i < cfg->identity.norigins; i++)
        e = ps_rp_add_origin(rp, ps_str_from_cstr(cfg->identity.origins[i]), d);
    return e;
}

/* Token buckets from the configured rates (0: no limit; NULL then). */
static struct ps_ratelimit *bucket(uint64_t per_unit, double unit_s)
{
    if (per_unit == 0)
        return NULL;
    double rate = (double)per_unit / unit_s;
    return ps_ratelimit_new(1 << 16, rate, (double)per_unit);
}

static enum ps_err identity_setup(const struct ps_config *cfg, const struct ps_master_key *m,
                                  struct ps_app_identity *id, struct ps_diag *d)
{
    const struct ps_config_identity *c = &cfg->identity;
    ps_keys_master_derive(m, 1, "actcode1", id->activation_key);
    id->sessions.idle_ms = (int64_t)c->session_idle_s * 1000;
    id->sessions.absolute_ms = (int64_t)c->session_absolute_s * 1000;
    id->auth_per_ip = bucket(c->auth_per_ip_per_minute, 60.0);
    id->auth_per_account = bucket(c->auth_per_account_per_minute, 60.0);
    id->api_per_account = bucket(c->api_per_account_per_second, 1.0);
    id->api_per_client = bucket(c->api_per_client_per_second, 1.0);
    bool oom = (c->auth_per_ip_per_minute && !id->auth_per_ip) ||
               (c->auth_per_account_per_minute && !id->auth_per_account) ||
               (c->api_per_account_per_second && !id->api_per_account) ||
               (c->api_per_client_per_second && !id->api_per_client);
    if (oom)
        return ps_diag_set(d, PS_ERR_NOMEM, "out of memory for the rate limits");
    enum ps_err e = identity_rp(cfg, &id->rp, d);
    if (e == PS_OK)
        ps_keys_master_derive(m, 1, "signch01", id->rp.challenge_key);
    return e;
}

static void identity_free(struct ps_app_identity *id)
{
    sodium_memzero(id->activation_key, sizeof id->activation_key);
    ps_ratelimit_free(id->auth_per_ip);
    ps_ratelimit_free(id->auth_per_account);
    ps_ratelimit_free(id->api_per_account);
    ps_ratelimit_free(id->api_per_client);
}

/* The documents service: its types (built in, and DIR/doctypes/NAME.yaml), keys and lists,
 * and the registries' hook. m must outlive it. */
static enum ps_err documents_setup(const char *data_dir, const struct ps_master_key *m,
                                   struct ps_app *app, struct ps_diag *d)
{
    char dir[PS_CONFIG_PATH_MAX];
    if (ps_cli_path(dir, sizeof dir, data_dir, "doctypes") != PS_OK)
        return ps_diag_set(d, PS_ERR_LIMIT, "%s: path too long", data_dir);
    struct ps_docs_opts o = {app->id.rp.url, dir, true};
    return ps_docs_start(app->store, m, &o, &app->docs, d);
}

static void log_report(const char *what, const struct ps_engine_report *r)
{
    ps_log(PS_LOG_INFO, "services %s: %zu loaded, %zu unchanged, %zu refused", what, r->loaded,
           r->unchanged, r->refused);
    for (size_t i = 0; i < r->refused && i < PS_ENGINE_REPORT_MAX; i++)
        ps_log(PS_LOG_ERROR, "service definition refused: %s", r->refusals[i]);
}

/* A document type an outcome promises that the documents service does not know fails every
 * application that reaches it (ps_docs_outcome_issue): said at start and reload. */
static void check_promises(const struct ps_app *app)
{
    const struct ps_svc *svc[PS_ENGINE_MAX_SERVICES];
    size_t n = ps_engine_catalogue(app->engine, svc, PS_ENGINE_MAX_SERVICES);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < svc[i]->nsteps; k++)
            for (size_t j = 0; j < svc[i]->steps[k].ndocuments; j++) {
                const char *t = svc[i]->steps[k].documents[j].type;
                if (!ps_doctypes_find(ps_docs_types(app->docs), ps_str_from_cstr(t)))
                    ps_log(PS_LOG_ERROR,
                           "service %s v%u: outcome %s promises a %s, which is not a "
                           "document type here: it will fail",
                           svc[i]->id, svc[i]->version, svc[i]->steps[k].name, t);
            }
}

/* The service engine: the definitions, their versions stored for every node; outcomes issue
 * their documents through the documents service (started before it). */
static enum ps_err engine_setup(const struct ps_config *cfg, struct ps_app *app,
                                struct ps_diag *d)
{
    struct ps_engine_opts o = {.services_dir = cfg->services_dir[0] ? cfg->services_dir : NULL,
                               .issue = ps_docs_outcome_issue,
                               .issue_ctx = app->docs};
    struct ps_engine_report r;
    enum ps_err e = ps_engine_new(&o, &app->engine, &r, d);
    if (e != PS_OK)
        return e;
    log_report("loaded", &r);
    check_promises(app);
    e = ps_engine_sync(app->engine, app->store, &r, d);
    if (e == PS_OK && r.refused)
        log_report("stored", &r);
    return e;
}

static void engine_reload(struct ps_app *app)
{
    struct ps_engine_report r;
    struct ps_diag d = {0};
    if (ps_engine_reload(app->engine, &r, &d) != PS_OK) {
        ps_log(PS_LOG_ERROR, "services: reload failed: %s", d.message);
        return;
    }
    log_report("reloaded", &r);
    check_promises(app);
    if (ps_engine_sync(app->engine, app->store, &r, &d) != PS_OK)
        ps_log(PS_LOG_ERROR, "services: storing versions failed: %s", d.message);
    else if (r.refused)
        log_report("stored", &r);
}

/* Everything before listening: the admin token's hash, the master key's children (the log's
 * integrator, the identity keys, the documents' keys), then the command's own preparation.
 * *master stays open for the documents service (keys rotated elsewhere are reloaded). */
static int prepare(const char *cmd, const char *data_dir, const struct ps_config *cfg,
                   struct ps_app *app, struct ps_tlog_service **tlog,
                   struct ps_master_key **master, const struct ps_cli_serve_hooks *hooks)
{
    struct ps_master_key *m = NULL;
    struct ps_diag d = {0};
    enum ps_err e = ps_keystore_admin_token_get(app->store, app->admin_token_hash, &d);
    if (e == PS_OK)
        e = load_master(data_dir, &m, &d);
    *master = m;
    if (e == PS_OK)
        e = ps_tlog_service_start(app->store, m, NULL, tlog, &d);
    if (e == PS_OK)
        e = identity_setup(cfg, m, &app->id, &d);
    if (e == PS_OK)
        e = documents_setup(data_dir, m, app, &d);
    if (e == PS_OK)
        e = engine_setup(cfg, app, &d);
    if (e == PS_OK)
        e = ps_portal_new(&(struct ps_portal_opts){.version = PS_VERSION}, &app->portal, &d);
    app->pages = ps_portal_pages();
    if (e != PS_OK)
        return ps_cli_fail(cmd, &d);
    app->log_key = ps_tlog_service_vkey(*tlog);
    app->tlog = ps_tlog_service_integrator(*tlog);
    if (hooks && hooks->prepare)
        return hooks->prepare(hooks->ctx, app);
    return PS_CLI_CONTINUE;
}

int ps_cli_serve(const char *cmd, const char *data_dir, const struct ps_config *cfg,
                 struct ps_store *store, const sigset_t *sigs,
                 const struct ps_cli_serve_hooks *hooks)
{
    struct ps_app app = {.store = store, .version = PS_VERSION};
    struct ps_tlog_service *tlog = NULL;
    struct ps_master_key *master = NULL;
    struct ps_http_config hc;
    struct ps_http_server *server = NULL;
    struct ps_diag d = {0};
    char url[PS_CONFIG_ADDR_MAX + 32];
    int rc = prepare(cmd, data_dir, cfg, &app, &tlog, &master, hooks);
    if (rc != PS_CLI_CONTINUE)
        goto out;
    rc = PS_EXIT_FAIL;
    http_config(cfg, &app, &hc);
    if (ps_http_start(&hc, &server, &d) != PS_OK) {
        rc = ps_cli_fail(cmd, &d);
        goto out;
    }
    /* published after the pool threads started: /metrics (src/api/system.c) reads it */
    __atomic_store_n(&app.server, server, __ATOMIC_RELEASE);
    if (ps_config_url(cfg->listen_addr, ps_http_port(server), url, sizeof url) != PS_OK) {
        rc = ps_cli_failf(cmd, "listen address too long");
        goto out;
    }
    ps_log(PS_LOG_INFO, "pocketstate: serving on %s (public url %s)", url, app.id.rp.url);
    if (hooks && hooks->on_ready)
        hooks->on_ready(hooks->ctx, app.id.rp.url);
    for (;;) {
        int sig = 0;
        if (sigwait(sigs, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            reopen_log();
            engine_reload(&app);
        } else if (sig == SIGINT || sig == SIGTERM) {
            ps_log(PS_LOG_INFO, "stopping (signal %d)", sig);
            break;
        }
    }
    rc = PS_EXIT_OK;
out:
    if (server)
        ps_http_stop(server);
    ps_tlog_service_stop(tlog); /* a last round, before the store goes */
    ps_portal_free(app.portal);
    ps_store_free(store);      /* its committers done: no more hook calls */
    ps_docs_stop(app.docs);
    ps_keys_master_free(master);
    sodium_memzero(app.admin_token_hash, sizeof app.admin_token_hash);
    identity_free(&app.id);
    ps_engine_free(app.engine);
    if (rc == PS_EXIT_OK)
        ps_log(PS_LOG_INFO, "stopped");
    return rc;
}

int ps_cli_setup_log(const char *cmd, const struct ps_config *cfg)
{
    ps_log_set_level(cfg->log_level);
    if (cfg->log_file[0] && ps_log_open(cfg->log_file) != PS_OK)
        return ps_cli_failf(cmd, "%s: cannot open the log file", cfg->log_file);
    return PS_CLI_CONTINUE;
}

static int run(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    const char *dir = vals[F_DATA] ? vals[F_DATA] : PS_DEFAULT_DATA_DIR;
    struct ps_config cfg;
    sigset_t sigs;
    struct ps_store *store = NULL;
    int rc = ps_cli_config(cmd->name, dir, vals[F_CONFIG], vals[F_LISTEN], vals[F_DB], &cfg);
    if (rc == PS_CLI_CONTINUE)
        rc = ps_cli_public_url(cmd->name, vals[F_PUBLIC_URL], &cfg);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    rc = ps_cli_setup_log(cmd->name, &cfg);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    ps_cli_block_signals(&sigs); /* before the first thread (the store's committer) */
    rc = ps_cli_open_store(cmd->name, &cfg, &sigs, true, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    return ps_cli_serve(cmd->name, dir, &cfg, store, &sigs, NULL);
}

const struct ps_cli_cmd ps_cli_cmd_serve = {
    .name = "serve",
    .summary = "run the HTTP server",
    .help = "Serves the API and the portal until SIGTERM or SIGINT (graceful: in-flight\n"
            "requests finish within limits.shutdown_grace_ms). SIGHUP reopens the log file\n"
            "and reloads the service definitions (services_dir). Settings come from, in\n"
            "rising order: defaults, the config file, POCKETSTATE_DB and POCKETSTATE_LISTEN,\n"
            "then these flags. While the database is unreachable the server retries with\n"
            "exponential backoff (at most 30 s apart) until stopped. See docs/configuration.md.",
    .flags = flags,
    .nflags = NFLAGS,
    .run = run,
};
