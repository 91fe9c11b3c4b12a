/* Tests of the configuration chain (src/cli/config.c): defaults, file, environment and flags
 * in that order, and the precise refusal of malformed, unknown and out-of-range settings. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/config.h"

static char tmpdir[64];

static void make_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ps_config_test.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static void write_file(const char *name, const char *text, char *path, size_t cap)
{
    int n = snprintf(path, cap, "%s/%s", tmpdir, name);
    cr_assert(n > 0 && (size_t)n < cap);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static struct ps_config defaults(void)
{
    struct ps_config c;
    struct ps_diag d = {0};
    cr_assert_eq(ps_config_init(&c, "data", &d), PS_OK);
    return c;
}

/* Applies text and returns the error; message in d. */
static enum ps_err apply(struct ps_config *c, const char *text, struct ps_diag *d)
{
    return ps_config_apply_json(c, ps_str_from_cstr(text), "config.json", "/base", d);
}

static void refused(const char *text, const char *needle)
{
    struct ps_config c = defaults();
    struct ps_diag d = {0};
    cr_assert_eq(apply(&c, text, &d), PS_ERR_INVALID, "accepted: %s", text);
    cr_assert_not_null(strstr(d.message, needle), "message \"%s\" lacks \"%s\"", d.message, needle);
    cr_assert_not_null(strstr(d.message, "config.json: "), "no origin in \"%s\"", d.message);
}

Test(config, defaults)
{
    struct ps_config c = defaults();
    cr_assert_str_eq(c.listen_addr, "127.0.0.1");
    cr_assert_eq(c.port, 8080);
    cr_assert_str_eq(c.db_url, "sqlite:data/pocketstate.db");
    cr_assert_str_eq(c.log_file, "");
    cr_assert_eq(c.log_level, PS_LOG_INFO);
    cr_assert_eq(c.threads, 0);
    cr_assert_eq(c.limits.max_header_bytes, 8192);
    cr_assert_eq(c.limits.max_body_bytes, 1024 * 1024);
    cr_assert_eq(c.limits.idle_timeout_s, 30);
    cr_assert_eq(c.limits.request_timeout_s, 30);
    cr_assert_eq(c.limits.header_timeout_s, 5);
    cr_assert_eq(c.limits.max_connections, 1024);
    cr_assert_eq(c.limits.max_per_ip, 256);
    cr_assert_eq(c.limits.shutdown_grace_ms, 10000);
    cr_assert_eq(c.limits.arena_bytes, 4 * 1024 * 1024);
}

Test(config, file_overrides_defaults)
{
    char path[256];
    make_tmp();
    write_file("config.json",
               "{\"listen\": \"0.0.0.0:9090\", \"db\": \"sqlite:x.db\", \"threads\": 4,\n"
               " \"log_file\": \"logs/ps.log\", \"log_level\": \"warn\",\n"
               " \"limits\": {\"max_body_bytes\": 2048, \"shutdown_grace_ms\": 0,\n"
               "            \"header_timeout_s\": 3}}\n",
               path, sizeof path);
    struct ps_config c = defaults();
    struct ps_diag d = {0};
    bool loaded = false;
    cr_assert_eq(ps_config_load_file(&c, path, true, &loaded, &d), PS_OK, "%s", d.message);
    cr_assert(loaded);
    cr_assert_str_eq(c.listen_addr, "0.0.0.0");
    cr_assert_eq(c.port, 9090);
    char want[256];
    snprintf(want, sizeof want, "sqlite:%s/x.db", tmpdir); /* relative to the file's dir */
    cr_assert_str_eq(c.db_url, want);
    snprintf(want, sizeof want, "%s/logs/ps.log", tmpdir);
    cr_assert_str_eq(c.log_file, want);
    cr_assert_eq(c.log_level, PS_LOG_WARN);
    cr_assert_eq(c.threads, 4);
    cr_assert_eq(c.limits.max_body_bytes, 2048);
    cr_assert_eq(c.limits.shutdown_grace_ms, 0);
    cr_assert_eq(c.limits.header_timeout_s, 3);
    cr_assert_eq(c.limits.max_header_bytes, 8192, "untouched keys keep their defaults");
}

Test(config, missing_file)
{
    make_tmp();
    char path[256];
    snprintf(path, sizeof path, "%s/none.json", tmpdir);
    struct ps_config c = defaults();
    struct ps_diag d = {0};
    bool loaded = true;
    cr_assert_eq(ps_config_load_file(&c, path, false, &loaded, &d), PS_OK);
    cr_assert(!loaded);
    cr_assert_eq(ps_config_load_file(&c, path, true, &loaded, &d), PS_ERR_NOTFOUND);
}

static char *fake_env(const char *name)
{
    if (strcmp(name, PS_ENV_DB) == 0)
        return "postgresql://ps@db.internal/ps";
    if (strcmp(name, PS_ENV_LISTEN) == 0)
        return "[::1]:7000";
    return NULL;
}

static char *empty_env(const char *name)
{
    return strcmp(name, PS_ENV_LISTEN) == 0 ? "" : NULL;
}

static char *bad_port_env(const char *name)
{
    return strcmp(name, PS_ENV_LISTEN) == 0 ? "127.0.0.1:65536" : NULL;
}

Test(config, env_overrides_file_and_flags_override_env)
{
    struct ps_config c = defaults();
    struct ps_diag d = {0};
    cr_assert_eq(apply(&c, "{\"listen\": \"10.0.0.1:1\", \"db\": \"sqlite:/a.db\"}", &d), PS_OK);
    cr_assert_eq(ps_config_apply_env(&c, fake_env, &d), PS_OK, "%s", d.message);
    cr_assert_str_eq(c.listen_addr, "::1");
    cr_assert_eq(c.port, 7000);
    cr_assert_str_eq(c.db_url, "postgresql://ps@db.internal/ps");
    cr_assert_eq(ps_config_set_listen(&c, PS_STR("127.0.0.1:0"), "--listen", &d), PS_OK);
    cr_assert_eq(ps_config_set_db(&c, PS_STR("sqlite:rel.db"), "--db", &d), PS_OK);
    cr_assert_str_eq(c.listen_addr, "127.0.0.1");
    cr_assert_eq(c.port, 0);
    cr_assert_str_eq(c.db_url, "sqlite:rel.db", "flag paths are relative to the cwd");
}

Test(config, env_refused)
{
    struct ps_config c = defaults();
    struct ps_diag d = {0};
    cr_assert_eq(ps_config_apply_env(&c, empty_env, &d), PS_ERR_INVALID);
    cr_assert_not_null(strstr(d.message, "POCKETSTATE_LISTEN: empty"), "%s", d.message);
    cr_assert_eq(ps_config_apply_env(&c, bad_port_env, &d), PS_ERR_INVALID);
    cr_assert_not_null(strstr(d.message, "0 to 65535"), "%s", d.message);
}

Test(config, malformed_json)
{
    struct ps_config c = defaults();
    struct ps_diag d = {0};
    cr_assert_eq(apply(&c, "{\"listen\": \"127.0.0.1:80\",\n \"threads\": }", &d), PS_ERR_INVALID);
    cr_assert_not_null(strstr(d.message, "config.json: malformed JSON at line 2 column"), "%s",
                       d.message);
    refused("[1, 2]", "expected a JSON object at the top level, got an array");
    refused("{\"threads\": 1, \"threads\": 2}", "malformed JSON");
    refused("{} trailing", "malformed JSON");
}

Test(config, unknown_keys)
{
    refused("{\"listn\": \"127.0.0.1:80\"}", "unknown key \"listn\"");
    refused("{\"limits\": {\"max_bodybytes\": 5000}}", "unknown key \"limits.max_bodybytes\"");
}

Test(config, wrong_types)
{
    refused("{\"threads\": \"4\"}", "threads: expected an integer, got a string");
    refused("{\"threads\": 1.5}", "threads: expected an integer, got a number with a fraction");
    refused("{\"listen\": 8080}", "listen: expected a string, got an integer");
    refused("{\"limits\": []}", "limits: expected an object, got an array");
    refused("{\"log_file\": null}", "log_file: expected a string, got null");
}

Test(config, out_of_range)
{
    refused("{\"threads\": 5000}", "threads: 5000 is out of range (0 to 1024)");
    refused("{\"threads\": -1}", "threads: -1 is out of range");
    refused("{\"limits\": {\"max_body_bytes\": 0}}",
            "limits.max_body_bytes: 0 is out of range (1024 to 1073741824)");
    refused("{\"limits\": {\"idle_timeout_s\": 3601}}", "limits.idle_timeout_s: 3601");
    refused("{\"limits\": {\"header_timeout_s\": 0}}",
            "limits.header_timeout_s: 0 is out of range (1 to 3600)");
    refused("{\"limits\": {\"header_timeout_s\": 3601}}", "limits.header_timeout_s: 3601");
    refused("{\"limits\": {\"header_timeout_s\": \"5\"}}",
            "limits.header_timeout_s: expected an integer, got a string");
    refused("{\"limits\": {\"max_connections\": 9223372036854775807}}", "out of range");
    refused("{\"listen\": \"127.0.0.1:70000\"}",
            "listen: port \"70000\" is not a number from 0 to 65535");
    refused("{\"log_level\": \"verbose\"}", "log_level: expected");
    refused("{\"limits\": {\"arena_bytes\": 65536}}",
            "limits.arena_bytes (65536) must be at least limits.max_body_bytes (1048576)");
}

Test(config, listen_forms)
{
    char addr[PS_CONFIG_ADDR_MAX];
    uint16_t port;
    struct ps_diag d = {0};
    cr_assert_eq(ps_config_parse_listen(PS_STR("[::]:443"), addr, &port, &d), PS_OK);
    cr_assert_str_eq(addr, "::");
    cr_assert_eq(port, 443);
    cr_assert_eq(ps_config_parse_listen(PS_STR("0.0.0.0:65535"), addr, &port, &d), PS_OK);
    const char *bad[] = {
        "",           "127.0.0.1",      "127.0.0.1:",   ":8080",
        "::1:8080",   "localhost:8080", "1.2.3.4:80x",  "1.2.3.4: 80",
        "[::1]8080",  "[::1]:",         "[1.2.3.4]:80", "1.2.3.4:+80",
        "1.2.3.4:-1", "256.1.1.1:80",   "[::1",         "1.2.3.4:99999999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(ps_config_parse_listen(ps_str_from_cstr(bad[i]), addr, &port, &d),
                     PS_ERR_INVALID, "accepted \"%s\"", bad[i]);
}

Test(config, db_urls)
{
    struct ps_config c = defaults();
    struct ps_diag d = {0};
    cr_assert_eq(ps_config_set_db(&c, PS_STR("mysql://root:hunter2@x/db"), "--db", &d),
                 PS_ERR_INVALID);
    cr_assert_null(strstr(d.message, "hunter2"), "the URL (and its password) is not echoed");
    cr_assert_not_null(strstr(d.message, "--db: "), "%s", d.message);
    cr_assert_eq(ps_config_set_db(&c, PS_STR(""), "--db", &d), PS_ERR_INVALID);
    cr_assert_eq(ps_config_set_db(&c, PS_STR("sqlite:"), "--db", &d), PS_ERR_INVALID);
    cr_assert_eq(ps_config_set_db(&c, PS_STR("postgres://h/db"), "--db", &d), PS_OK);
    cr_assert_eq(ps_config_set_db(&c, PS_STR("sqlite:/abs.db"), "--db", &d), PS_OK);
    cr_assert_str_eq(c.db_url, "sqlite:/abs.db");
    refused("{\"db\": \"sqlite:a\\u0000b\"}", "malformed JSON"); /* jansson refuses \\u0000 */
}

Test(config, written_file_loads_back)
{
    make_tmp();
    char path[256];
    snprintf(path, sizeof path, "%s/config.json", tmpdir);
    struct ps_config c = defaults(), back = defaults();
    struct ps_diag d = {0};
    cr_assert_eq(ps_config_write_file(&c, path, "sqlite:pocketstate.db", &d), PS_OK, "%s",
                 d.message);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(ps_config_write_file(&c, path, "sqlite:pocketstate.db", &d), PS_ERR_EXISTS);
    cr_assert_eq(ps_config_load_file(&back, path, true, NULL, &d), PS_OK, "%s", d.message);
    char want[256];
    snprintf(want, sizeof want, "sqlite:%s/pocketstate.db", tmpdir);
    cr_assert_str_eq(back.db_url, want);
    cr_assert_str_eq(back.listen_addr, c.listen_addr);
    cr_assert_eq(back.port, c.port);
    cr_assert_eq(memcmp(&back.limits, &c.limits, sizeof c.limits), 0);
}

Test(config, url)
{
    char u[96];
    cr_assert_eq(ps_config_url("::1", 80, u, sizeof u), PS_OK);
    cr_assert_str_eq(u, "http://[::1]:80");
    cr_assert_eq(ps_config_url("127.0.0.1", 8080, u, sizeof u), PS_OK);
    cr_assert_str_eq(u, "http://127.0.0.1:8080");
    cr_assert_eq(ps_config_url("127.0.0.1", 8080, u, 8), PS_ERR_LIMIT);
}
