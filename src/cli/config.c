/* Configuration loading: defaults, then a JSON file (jansson through core/json limits), then
 * environment variables, then flags, each value range-checked where it is set. The set of keys
 * is one table so that the parser, the writer and the docs stay in step. */
#include "cli/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/file.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/json.h"
#include "identity/rp.h"

#define KIB 1024u
#define MIB (1024u * 1024u)
#define GIB (1024u * 1024u * 1024u)

/* The "limits" object: name, field, inclusive range, default. */
struct limit_key {
    const char *name;
    size_t off;
    uint64_t min, max, def;
};

/* clang-format off */
#define LIMIT(n, lo, hi, d) {#n, offsetof(struct ps_config_limits, n), (lo), (hi), (d)}
/* clang-format on */
static const struct limit_key limit_keys[] = {
    LIMIT(max_header_bytes, 1 * KIB, 1 * MIB, 8 * KIB),
    LIMIT(max_body_bytes, 1 * KIB, 1 * (uint64_t)GIB, 1 * MIB),
    LIMIT(idle_timeout_s, 1, 3600, 30),
    LIMIT(request_timeout_s, 1, 3600, 30),
    LIMIT(header_timeout_s, 1, 3600, 5), /* the effective one is at most request_timeout_s */
    LIMIT(max_connections, 1, 1000000, 1024),
    LIMIT(max_per_ip, 0, 1000000, 256), /* 0: no per-address limit */
    LIMIT(shutdown_grace_ms, 0, 600000, 10000),
    LIMIT(arena_bytes, 64 * KIB, 1 * (uint64_t)GIB, 4 * MIB),
};
#undef LIMIT
#define NLIMITS (sizeof limit_keys / sizeof limit_keys[0])

#define THREADS_MAX 1024

static const char *const level_names[] = {"debug", "info", "warn", "error"};

static uint64_t *limit_field(struct ps_config_limits *l, const struct limit_key *k)
{
    return (uint64_t *)(void *)((char *)l + k->off);
}

/* Rewrites diag's message as "<origin>: <message>". */
static enum ps_err prefixed(struct ps_diag *diag, enum ps_err e, const char *origin)
{
    if (!diag || !origin)
        return e;
    char why[sizeof diag->message];
    if (ps_str_copy(why, sizeof why, ps_str_from_cstr(diag->message)) != PS_OK)
        why[0] = '\0';
    return ps_diag_set(diag, e, "%s: %s", origin, why);
}

bool ps_config_db_is_sqlite(const char *url)
{
    return strncmp(url, "sqlite:", 7) == 0;
}

enum ps_err ps_config_init(struct ps_config *c, const char *data_dir, struct ps_diag *diag)
{
    memset(c, 0, sizeof *c);
    enum ps_err e =
        ps_config_parse_listen(PS_STR(PS_DEFAULT_LISTEN), c->listen_addr, &c->port, diag);
    PS_ASSERT(e == PS_OK);
    c->log_level = PS_LOG_INFO;
    c->threads = 0;
    for (size_t i = 0; i < NLIMITS; i++)
        *limit_field(&c->limits, &limit_keys[i]) = limit_keys[i].def;
    ps_config_identity_init(&c->identity);
    int n = snprintf(c->db_url, sizeof c->db_url, "sqlite:%s/pocketstate.db", data_dir);
    if (n < 0 || (size_t)n >= sizeof c->db_url)
        return ps_diag_set(diag, PS_ERR_LIMIT, "data directory path is too long");
    return PS_OK;
}

enum ps_err ps_config_parse_listen(struct ps_str v, char addr[PS_CONFIG_ADDR_MAX], uint16_t *port,
                                   struct ps_diag *diag)
{
    struct ps_str a, p;
    int family = AF_INET;
    if (v.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "empty; expected ADDR:PORT");
    if (v.p[0] == '[') {
        const char *close = memchr(v.p, ']', v.len);
        if (!close || (size_t)(close - v.p) + 1 >= v.len || close[1] != ':')
            return ps_diag_set(diag, PS_ERR_INVALID, "expected [IPv6]:PORT");
        a = (struct ps_str){v.p + 1, (size_t)(close - v.p) - 1};
        p = (struct ps_str){close + 2, v.len - (size_t)(close - v.p) - 2};
        family = AF_INET6;
    } else {
        const char *colon = memrchr(v.p, ':', v.len);
        if (!colon)
            return ps_diag_set(diag, PS_ERR_INVALID, "missing :PORT; expected ADDR:PORT");
        a = (struct ps_str){v.p, (size_t)(colon - v.p)};
        p = (struct ps_str){colon + 1, v.len - (size_t)(colon - v.p) - 1};
        if (memchr(a.p, ':', a.len))
            return ps_diag_set(diag, PS_ERR_INVALID, "write IPv6 addresses as [ADDR]:PORT");
    }
    char buf[PS_CONFIG_ADDR_MAX];
    unsigned char bin[16];
    if (a.len == 0 || ps_str_copy(buf, sizeof buf, a) != PS_OK || inet_pton(family, buf, bin) != 1)
        return ps_diag_set(diag, PS_ERR_INVALID, "\"%.*s\" is not a numeric IP%s address",
                           (int)(a.len > 64 ? 64 : a.len), a.p, family == AF_INET ? "v4" : "v6");
    uint64_t n;
    if (p.len == 0 || ps_str_to_u64(p, &n) != PS_OK || n > 65535)
        return ps_diag_set(diag, PS_ERR_INVALID, "port \"%.*s\" is not a number from 0 to 65535",
                           (int)(p.len > 32 ? 32 : p.len), p.p);
    memcpy(addr, buf, strlen(buf) + 1);
    *port = (uint16_t)n;
    return PS_OK;
}

enum ps_err ps_config_url(const char *addr, uint16_t port, char *out, size_t cap)
{
    bool v6 = strchr(addr, ':') != NULL;
    int n =
        snprintf(out, cap, "http://%s%s%s:%u", v6 ? "[" : "", addr, v6 ? "]" : "", (unsigned)port);
    return n < 0 || (size_t)n >= cap ? PS_ERR_LIMIT : PS_OK;
}

enum ps_err ps_config_set_listen(struct ps_config *c, struct ps_str v, const char *origin,
                                 struct ps_diag *diag)
{
    enum ps_err e = ps_config_parse_listen(v, c->listen_addr, &c->port, diag);
    return e == PS_OK ? e : prefixed(diag, e, origin);
}

/* Joins base_dir and a relative path into out; absolute paths and a NULL base pass through. */
static enum ps_err resolve(struct ps_str path, const char *base_dir, char *out, size_t cap)
{
    int n;
    if (!base_dir || (path.len > 0 && path.p[0] == '/'))
        n = snprintf(out, cap, "%.*s", PS_STR_FMT(path));
    else
        n = snprintf(out, cap, "%s/%.*s", base_dir, PS_STR_FMT(path));
    return n < 0 || (size_t)n >= cap ? PS_ERR_LIMIT : PS_OK;
}

static bool has_ctl(struct ps_str v)
{
    for (size_t i = 0; i < v.len; i++)
        if ((unsigned char)v.p[i] < 0x20 || v.p[i] == 0x7f)
            return true;
    return false;
}

static enum ps_err set_db(struct ps_config *c, struct ps_str v, const char *base_dir,
                          struct ps_diag *diag)
{
    if (v.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "empty database URL");
    if (has_ctl(v))
        return ps_diag_set(diag, PS_ERR_INVALID, "control character in database URL");
    if (ps_str_starts_with(v, PS_STR("postgresql://")) ||
        ps_str_starts_with(v, PS_STR("postgres://"))) {
        if (ps_str_copy(c->db_url, sizeof c->db_url, v) != PS_OK)
            return ps_diag_set(diag, PS_ERR_INVALID, "database URL longer than %d bytes",
                               PS_CONFIG_URL_MAX - 1);
        return PS_OK;
    }
    if (!ps_str_starts_with(v, PS_STR("sqlite:")))
        /* the value may hold a password: never echo it */
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "database URL must start with sqlite: or postgresql://");
    struct ps_str path = {v.p + 7, v.len - 7};
    if (path.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "sqlite: URL without a file path");
    char full[PS_CONFIG_URL_MAX];
    if (resolve(path, base_dir, full, sizeof full) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "database path too long");
    int n = snprintf(c->db_url, sizeof c->db_url, "sqlite:%s", full);
    if (n < 0 || (size_t)n >= sizeof c->db_url)
        return ps_diag_set(diag, PS_ERR_INVALID, "database path too long");
    return PS_OK;
}

enum ps_err ps_config_set_db(struct ps_config *c, struct ps_str v, const char *origin,
                             struct ps_diag *diag)
{
    enum ps_err e = set_db(c, v, NULL, diag);
    return e == PS_OK ? e : prefixed(diag, e, origin);
}

/* ---- the JSON file ---- */

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a number with a fraction";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

static enum ps_err get_uint(const json_t *v, const char *key, uint64_t min, uint64_t max,
                            uint64_t *out, struct ps_diag *diag)
{
    if (!json_is_integer(v))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: expected an integer, got %s", key,
                           type_name(v));
    json_int_t n = json_integer_value(v);
    if (n < 0 || (uint64_t)n < min || (uint64_t)n > max)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: %lld is out of range (%llu to %llu)", key,
                           (long long)n, (unsigned long long)min, (unsigned long long)max);
    *out = (uint64_t)n;
    return PS_OK;
}

static enum ps_err get_str(const json_t *v, const char *key, struct ps_str *out,
                           struct ps_diag *diag)
{
    if (!json_is_string(v))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: expected a string, got %s", key,
                           type_name(v));
    *out = (struct ps_str){json_string_value(v), json_string_length(v)};
    return PS_OK;
}

static enum ps_err apply_limits(struct ps_config *c, const json_t *obj, struct ps_diag *diag)
{
    if (!json_is_object(obj))
        return ps_diag_set(diag, PS_ERR_INVALID, "limits: expected an object, got %s",
                           type_name(obj));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i = 0;
        while (i < NLIMITS && strcmp(limit_keys[i].name, key) != 0)
            i++;
        if (i == NLIMITS)
            return ps_diag_set(diag, PS_ERR_INVALID, "unknown key \"limits.%.64s\"", key);
        char name[96];
        int n = snprintf(name, sizeof name, "limits.%s", key);
        if (n < 0 || (size_t)n >= sizeof name)
            return ps_diag_set(diag, PS_ERR_INTERNAL, "key name too long");
        enum ps_err e = get_uint(v, name, limit_keys[i].min, limit_keys[i].max,
                                 limit_field(&c->limits, &limit_keys[i]), diag);
        if (e != PS_OK)
            return e;
    }
    /* the server refuses to start otherwise (ps_http_start): say so where it is written */
    if (c->limits.arena_bytes < c->limits.max_body_bytes)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "limits.arena_bytes (%llu) must be at least limits.max_body_bytes "
                           "(%llu)", (unsigned long long)c->limits.arena_bytes,
                           (unsigned long long)c->limits.max_body_bytes);
    return PS_OK;
}

/* ---- identity: public_url, origins, sessions, rate_limits ---- */

struct num_key {
    const char *group, *name;
    size_t off;
    uint64_t min, max, def;
};

/* clang-format off */
#define NUM(g, n, f, lo, hi, d) {g, n, offsetof(struct ps_config_identity, f), (lo), (hi), (d)}
/* clang-format on */
static const struct num_key identity_keys[] = {
    NUM("sessions", "idle_s", session_idle_s, 60, 86400, 900),
    NUM("sessions", "absolute_s", session_absolute_s, 300, 30 * 86400, 43200),
    NUM("rate_limits", "auth_per_ip_per_minute", auth_per_ip_per_minute, 0, 1000000, 60),
    NUM("rate_limits", "auth_per_account_per_minute", auth_per_account_per_minute, 0, 1000000,
        20),
    NUM("rate_limits", "api_per_account_per_second", api_per_account_per_second, 0, 1000000, 50),
    NUM("rate_limits", "api_per_client_per_second", api_per_client_per_second, 0, 1000000, 200),
};
#undef NUM
#define NIDKEYS (sizeof identity_keys / sizeof identity_keys[0])

static uint64_t *id_field(struct ps_config_identity *id, const struct num_key *k)
{
    return (uint64_t *)(void *)((char *)id + k->off);
}

void ps_config_identity_init(struct ps_config_identity *id)
{
    memset(id, 0, sizeof *id);
    for (size_t i = 0; i < NIDKEYS; i++)
        *id_field(id, &identity_keys[i]) = identity_keys[i].def;
}

/* A group object ("sessions", "rate_limits") of numeric keys. */
static enum ps_err apply_group(struct ps_config_identity *id, const char *group, const json_t *obj,
                               struct ps_diag *diag)
{
    if (!json_is_object(obj))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: expected an object, got %s", group,
                           type_name(obj));
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        const struct num_key *k = NULL;
        for (size_t i = 0; !k && i < NIDKEYS; i++) {
            if (strcmp(identity_keys[i].group, group) == 0 &&
                strcmp(identity_keys[i].name, key) == 0)
                k = &identity_keys[i];
        }
        if (!k)
            return ps_diag_set(diag, PS_ERR_INVALID, "unknown key \"%s.%.64s\"", group, key);
        char name[96];
        int n = snprintf(name, sizeof name, "%s.%s", group, key);
        if (n < 0 || (size_t)n >= sizeof name)
            return ps_diag_set(diag, PS_ERR_INTERNAL, "key name too long");
        enum ps_err e = get_uint(v, name, k->min, k->max, id_field(id, k), diag);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

/* Checks a public URL as the relying party will use it. */
static enum ps_err check_public_url(struct ps_str v, struct ps_diag *diag)
{
    struct ps_rp rp;
    memset(&rp, 0, sizeof rp);
    return ps_rp_set_url(&rp, v, diag);
}

static enum ps_err apply_origins(struct ps_config_identity *id, const json_t *arr,
                                 struct ps_diag *diag)
{
    struct ps_rp rp;
    memset(&rp, 0, sizeof rp);
    if (!json_is_array(arr))
        return ps_diag_set(diag, PS_ERR_INVALID, "origins: expected an array, got %s",
                           type_name(arr));
    id->norigins = 0;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        struct ps_str o;
        enum ps_err e = get_str(v, "origins[]", &o, diag);
        if (e == PS_OK)
            e = ps_rp_add_origin(&rp, o, diag); /* the same checks the server makes */
        if (e != PS_OK)
            return e;
        memcpy(id->origins[id->norigins++], rp.extra[i], PS_CONFIG_ORIGIN_MAX);
    }
    return PS_OK;
}

enum ps_err ps_config_identity_apply(struct ps_config_identity *id, const char *key,
                                     const json_t *v, struct ps_diag *diag)
{
    struct ps_str s;
    if (strcmp(key, "sessions") == 0 || strcmp(key, "rate_limits") == 0)
        return apply_group(id, key, v, diag);
    if (strcmp(key, "origins") == 0)
        return apply_origins(id, v, diag);
    if (strcmp(key, "public_url") != 0)
        return PS_ERR_NOTFOUND;
    enum ps_err e = get_str(v, key, &s, diag);
    if (e == PS_OK && s.len > 0)
        e = check_public_url(s, diag);
    if (e == PS_OK && ps_str_copy(id->public_url, sizeof id->public_url, s) != PS_OK)
        e = ps_diag_set(diag, PS_ERR_INVALID, "public_url: too long");
    return e;
}

enum ps_err ps_config_set_public_url(struct ps_config *c, struct ps_str v, const char *origin,
                                     struct ps_diag *diag)
{
    enum ps_err e = check_public_url(v, diag);
    if (e == PS_OK && ps_str_copy(c->identity.public_url, sizeof c->identity.public_url, v) !=
                          PS_OK)
        e = ps_diag_set(diag, PS_ERR_INVALID, "too long");
    return e == PS_OK ? e : prefixed(diag, e, origin);
}

enum ps_err ps_config_identity_to_json(const struct ps_config_identity *id, json_t *root)
{
    json_t *groups[2] = {json_object(), json_object()};
    static const char *const names[2] = {"sessions", "rate_limits"};
    json_t *origins = json_array();
    bool ok = groups[0] && groups[1] && origins;
    for (size_t i = 0; ok && i < NIDKEYS; i++) {
        const struct num_key *k = &identity_keys[i];
        const uint64_t *f = (const uint64_t *)(const void *)((const char *)id + k->off);
        ok = json_object_set_new(groups[strcmp(k->group, names[0]) == 0 ? 0 : 1], k->name,
                                 json_integer((json_int_t)*f)) == 0;
    }
    for (size_t i = 0; ok && i < id->norigins; i++)
        ok = json_array_append_new(origins, json_string(id->origins[i])) == 0;
    ok = ok && json_object_set_new(root, "public_url", json_string(id->public_url)) == 0;
    ok = ok && json_object_set(root, "origins", origins) == 0;
    ok = ok && json_object_set(root, names[0], groups[0]) == 0;
    ok = ok && json_object_set(root, names[1], groups[1]) == 0;
    json_decref(origins);
    json_decref(groups[0]);
    json_decref(groups[1]);
    return ok ? PS_OK : PS_ERR_NOMEM;
}

static enum ps_err apply_level(struct ps_config *c, struct ps_str s, struct ps_diag *diag)
{
    for (size_t i = 0; i < sizeof level_names / sizeof level_names[0]; i++) {
        if (ps_str_eq_cstr(s, level_names[i])) {
            c->log_level = (enum ps_log_level)i;
            return PS_OK;
        }
    }
    return ps_diag_set(diag, PS_ERR_INVALID,
                       "log_level: expected \"debug\", \"info\", \"warn\" or \"error\"");
}

/* A path key (log_file, services_dir): "" clears it; relative paths are base_dir's. */
static enum ps_err apply_path(const char *key, char *out, struct ps_str s, const char *base_dir,
                              struct ps_diag *diag)
{
    if (s.len == 0) {
        out[0] = '\0';
        return PS_OK;
    }
    if (has_ctl(s) || memchr(s.p, '\0', s.len))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: control character in path", key);
    if (resolve(s, base_dir, out, PS_CONFIG_PATH_MAX) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: path longer than %d bytes", key,
                           PS_CONFIG_PATH_MAX - 1);
    return PS_OK;
}

/* One top-level key. */
static enum ps_err apply_key(struct ps_config *c, const char *key, const json_t *v,
                             const char *base_dir, struct ps_diag *diag)
{
    struct ps_str s;
    enum ps_err e;
    if (strcmp(key, "limits") == 0)
        return apply_limits(c, v, diag);
    if (strcmp(key, "threads") == 0)
        return get_uint(v, key, 0, THREADS_MAX, &c->threads, diag);
    e = ps_config_identity_apply(&c->identity, key, v, diag);
    if (e != PS_ERR_NOTFOUND)
        return e;
    if (strcmp(key, "listen") != 0 && strcmp(key, "db") != 0 && strcmp(key, "log_file") != 0 &&
        strcmp(key, "log_level") != 0 && strcmp(key, "services_dir") != 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "unknown key \"%.64s\"", key);
    e = get_str(v, key, &s, diag);
    if (e != PS_OK)
        return e;
    if (memchr(s.p, '\0', s.len))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: NUL character in value", key);
    if (strcmp(key, "listen") == 0)
        e = ps_config_set_listen(c, s, "listen", diag);
    else if (strcmp(key, "db") == 0)
        e = prefixed(diag, set_db(c, s, base_dir, diag), "db");
    else if (strcmp(key, "log_file") == 0)
        e = apply_path(key, c->log_file, s, base_dir, diag);
    else if (strcmp(key, "services_dir") == 0)
        e = apply_path(key, c->services_dir, s, base_dir, diag);
    else
        e = apply_level(c, s, diag);
    return e;
}

enum ps_err ps_config_apply_json(struct ps_config *c, struct ps_str text, const char *origin,
                                 const char *base_dir, struct ps_diag *diag)
{
    json_t *root = NULL;
    struct ps_arena *a = ps_arena_new(1 * MIB);
    enum ps_err e = PS_OK;
    if (!a) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    e = ps_json_parse(a, text, PS_CONFIG_FILE_MAX, 8, &root, diag);
    if (e != PS_OK)
        goto out;
    if (!json_is_object(root)) {
        e = ps_diag_set(diag, PS_ERR_INVALID, "expected a JSON object at the top level, got %s",
                        type_name(root));
        goto out;
    }
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        e = apply_key(c, key, v, base_dir, diag);
        if (e != PS_OK)
            goto out;
    }
out:
    if (e != PS_OK)
        prefixed(diag, e, origin);
    ps_arena_free(a);
    return e;
}

static enum ps_err read_small(const char *path, struct ps_buf *b, struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ps_diag_set(diag, errno == ENOENT ? PS_ERR_NOTFOUND : PS_ERR_IO, "%s: %s", path,
                           strerror(errno));
    char chunk[4096];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
            break;
        }
        if (r == 0)
            break;
        e = ps_buf_append(b, chunk, (size_t)r);
        if (e != PS_OK) {
            ps_diag_set(diag, e, "%s: larger than %d bytes", path, PS_CONFIG_FILE_MAX);
            break;
        }
    }
    close(fd);
    return e;
}

enum ps_err ps_config_load_file(struct ps_config *c, const char *path, bool must_exist,
                                bool *loaded, struct ps_diag *diag)
{
    struct ps_buf b;
    char dir[PS_CONFIG_PATH_MAX];
    if (loaded)
        *loaded = false;
    const char *slash = strrchr(path, '/');
    struct ps_str d = slash ? (struct ps_str){path, (size_t)(slash - path)} : PS_STR(".");
    if (slash == path)
        d = PS_STR("/");
    if (ps_str_copy(dir, sizeof dir, d) != PS_OK)
        return ps_diag_set(diag, PS_ERR_LIMIT, "%s: path too long", path);
    ps_buf_init(&b, PS_CONFIG_FILE_MAX);
    enum ps_err e = read_small(path, &b, diag);
    if (e == PS_ERR_NOTFOUND && !must_exist) {
        ps_diag_clear(diag);
        e = PS_OK;
        goto out;
    }
    if (e != PS_OK)
        goto out;
    e = ps_config_apply_json(c, ps_buf_str(&b), path, dir, diag);
    if (e == PS_OK && loaded)
        *loaded = true;
out:
    ps_buf_reset(&b);
    return e;
}

enum ps_err ps_config_apply_env(struct ps_config *c, char *(*get)(const char *name),
                                struct ps_diag *diag)
{
    if (!get)
        get = getenv;
    const char *db = get(PS_ENV_DB);
    if (db) {
        enum ps_err e = ps_config_set_db(c, ps_str_from_cstr(db), PS_ENV_DB, diag);
        if (e != PS_OK)
            return e;
    }
    const char *url = get(PS_ENV_PUBLIC_URL);
    if (url) {
        enum ps_err e = ps_config_set_public_url(c, ps_str_from_cstr(url), PS_ENV_PUBLIC_URL,
                                                 diag);
        if (e != PS_OK)
            return e;
    }
    const char *listen = get(PS_ENV_LISTEN);
    if (listen)
        return ps_config_set_listen(c, ps_str_from_cstr(listen), PS_ENV_LISTEN, diag);
    return PS_OK;
}

/* ---- writing (init) ---- */

static json_t *to_json(const struct ps_config *c, const char *db_url)
{
    char listen[PS_CONFIG_ADDR_MAX + 16];
    bool v6 = strchr(c->listen_addr, ':') != NULL;
    int n = snprintf(listen, sizeof listen, "%s%s%s:%u", v6 ? "[" : "", c->listen_addr,
                     v6 ? "]" : "", (unsigned)c->port);
    if (n < 0 || (size_t)n >= sizeof listen)
        return NULL;
    json_t *limits = json_object();
    for (size_t i = 0; limits && i < NLIMITS; i++) {
        const uint64_t *f =
            (const uint64_t *)(const void *)((const char *)&c->limits + limit_keys[i].off);
        if (json_object_set_new(limits, limit_keys[i].name, json_integer((json_int_t)*f)) != 0) {
            json_decref(limits);
            return NULL;
        }
    }
    json_t *root = json_pack("{s:s, s:s, s:I, s:s, s:s, s:o}", "listen", listen, "db", db_url,
                             "threads", (json_int_t)c->threads, "log_file", c->log_file,
                             "log_level", level_names[c->log_level], "limits", limits);
    if (root && ps_config_identity_to_json(&c->identity, root) != PS_OK) {
        json_decref(root);
        return NULL;
    }
    return root;
}

enum ps_err ps_config_write_file(const struct ps_config *c, const char *path,
                                 const char *db_url_in_file, struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    char *text = NULL;
    json_t *root = to_json(c, db_url_in_file);
    int fd = -1;
    if (root)
        text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        e = ps_diag_set(diag, errno == EEXIST ? PS_ERR_EXISTS : PS_ERR_IO, "%s: %s", path,
                        strerror(errno));
        goto out;
    }
    if (ps_file_write_all(fd, text, strlen(text)) != PS_OK ||
        ps_file_write_all(fd, "\n", 1) != PS_OK || fsync(fd) != 0) {
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
        unlink(path);
    }
out:
    if (fd >= 0)
        close(fd);
    ps_free(text); /* jansson allocates through ps_malloc (core/alloc.h) */
    json_decref(root);
    return e;
}
