/* The server's configuration: built-in defaults, overridden by the config file (JSON), then by
 * the environment (POCKETSTATE_DB, POCKETSTATE_LISTEN), then by command-line flags. Every value
 * is checked for range when it is set; docs/configuration.md lists every key. */
#ifndef PS_CLI_CONFIG_H
#define PS_CLI_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/log.h"
#include "core/str.h"

#define PS_CONFIG_FILE_MAX (64 * 1024)
#define PS_CONFIG_URL_MAX 1024
#define PS_CONFIG_PATH_MAX 1024
#define PS_CONFIG_ADDR_MAX 64
#define PS_DEFAULT_DATA_DIR "./data"
#define PS_DEFAULT_LISTEN "127.0.0.1:8080"
#define PS_ENV_DB "POCKETSTATE_DB"
#define PS_ENV_LISTEN "POCKETSTATE_LISTEN"

struct ps_config_limits {
    uint64_t max_header_bytes;
    uint64_t max_body_bytes;
    uint64_t idle_timeout_s;
    uint64_t request_timeout_s;
    uint64_t header_timeout_s;
    uint64_t max_connections;
    uint64_t max_per_ip;
    uint64_t shutdown_grace_ms;
    uint64_t arena_bytes;
};

#define PS_CONFIG_ORIGINS_MAX 8
#define PS_CONFIG_ORIGIN_MAX 512
#define PS_ENV_PUBLIC_URL "POCKETSTATE_PUBLIC_URL"

/* Identity: who the platform is to browsers (public_url, further origins), sessions and the
 * abuse limits (token buckets; per node). config_identity.c. */
struct ps_config_identity {
    char public_url[PS_CONFIG_URL_MAX]; /* "" : http://localhost:<listen port> */
    char origins[PS_CONFIG_ORIGINS_MAX][PS_CONFIG_ORIGIN_MAX];
    size_t norigins;
    uint64_t session_idle_s;               /* sessions.idle_s, default 900 */
    uint64_t session_absolute_s;           /* sessions.absolute_s, default 43200 */
    uint64_t auth_per_ip_per_minute;       /* rate_limits.*, 0: no limit */
    uint64_t auth_per_account_per_minute;
    uint64_t api_per_account_per_second;
    uint64_t api_per_client_per_second;
};

/* Caller-owned, plain data (no pointers): copy freely. */
struct ps_config {
    char listen_addr[PS_CONFIG_ADDR_MAX]; /* numeric IPv4 or IPv6, no brackets */
    uint16_t port;                        /* 0: any free port */
    char db_url[PS_CONFIG_URL_MAX];       /* "sqlite:PATH" or "postgresql://..." */
    char log_file[PS_CONFIG_PATH_MAX];    /* "" : stderr */
    char services_dir[PS_CONFIG_PATH_MAX]; /* more service definitions; "": built-in only */
    enum ps_log_level log_level;
    uint64_t threads; /* HTTP threads; 0: one per core */
    struct ps_config_limits limits;
    struct ps_config_identity identity;
};

/* Defaults; the database is "sqlite:<data_dir>/pocketstate.db". Errors: PS_ERR_LIMIT when
 * data_dir is too long. */
enum ps_err ps_config_init(struct ps_config *c, const char *data_dir, struct ps_diag *diag) PS_WUR;

/* Applies a JSON config document. `origin` names it in messages ("data/config.json").
 * Relative paths in it (a sqlite: database, log_file) are taken relative to base_dir (the
 * file's directory; NULL: as given). Unknown keys, wrong types and out-of-range values are
 * refused with PS_ERR_INVALID and a message naming the key; malformed JSON gives its line and
 * column. On error c may be partly updated: discard it. */
enum ps_err ps_config_apply_json(struct ps_config *c, struct ps_str text, const char *origin,
                                 const char *base_dir, struct ps_diag *diag) PS_WUR;

/* Reads and applies the file at path. When must_exist is false a missing file is not an error
 * (*loaded, may be NULL, says whether it was read). Errors: as above, PS_ERR_NOTFOUND,
 * PS_ERR_IO, PS_ERR_LIMIT (larger than PS_CONFIG_FILE_MAX). */
enum ps_err ps_config_load_file(struct ps_config *c, const char *path, bool must_exist,
                                bool *loaded, struct ps_diag *diag) PS_WUR;

/* Applies POCKETSTATE_DB and POCKETSTATE_LISTEN as returned by get (normally getenv; an unset
 * variable is NULL, an empty one is refused). */
enum ps_err ps_config_apply_env(struct ps_config *c, char *(*get)(const char *name),
                                struct ps_diag *diag) PS_WUR;

/* Single settings, as flags and environment variables give them. `origin` names the source in
 * messages ("--listen", "POCKETSTATE_LISTEN"). listen is "ADDR:PORT" or "[IPv6]:PORT". */
enum ps_err ps_config_set_listen(struct ps_config *c, struct ps_str v, const char *origin,
                                 struct ps_diag *diag) PS_WUR;
enum ps_err ps_config_set_db(struct ps_config *c, struct ps_str v, const char *origin,
                             struct ps_diag *diag) PS_WUR;

/* Parses "ADDR:PORT" / "[IPv6]:PORT" (numeric addresses only, port 0-65535). */
enum ps_err ps_config_parse_listen(struct ps_str v, char addr[PS_CONFIG_ADDR_MAX], uint16_t *port,
                                   struct ps_diag *diag) PS_WUR;

/* "http://ADDR:PORT" with brackets around IPv6, into out (cap bytes). PS_ERR_LIMIT if short. */
enum ps_err ps_config_url(const char *addr, uint16_t port, char *out, size_t cap) PS_WUR;

/* Writes the config file that `init` creates: db_url as given (a database inside the data
 * directory is written relative), listen, threads, log settings and limits. Created
 * exclusively with mode 0600. Errors: PS_ERR_EXISTS, PS_ERR_IO, PS_ERR_NOMEM. */
enum ps_err ps_config_write_file(const struct ps_config *c, const char *path,
                                 const char *db_url_in_file, struct ps_diag *diag) PS_WUR;

/* Identity keys (config_identity.c): defaults; one top-level key of the file ("public_url",
 * "origins", "sessions", "rate_limits": PS_ERR_NOTFOUND for any other key, nothing
 * changed); the public URL as a flag or POCKETSTATE_PUBLIC_URL gives it; the keys back into
 * a JSON object for `init`. */
void ps_config_identity_init(struct ps_config_identity *id);
enum ps_err ps_config_identity_apply(struct ps_config_identity *id, const char *key,
                                     const json_t *v, struct ps_diag *diag) PS_WUR;
enum ps_err ps_config_set_public_url(struct ps_config *c, struct ps_str v, const char *origin,
                                     struct ps_diag *diag) PS_WUR;
enum ps_err ps_config_identity_to_json(const struct ps_config_identity *id,
                                       json_t *root) PS_WUR;

/* True for "sqlite:..." URLs (the embedded backend). */
bool ps_config_db_is_sqlite(const char *url);

#endif
