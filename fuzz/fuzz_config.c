/* Fuzz target: the config file loader (ps_config_load_file, src/cli/config.c), fed the input
 * as the file (an in-memory file, so the read loop runs too). A document is refused with a
 * reason or applied whole; an applied one gives a config whose strings are NUL-terminated and
 * free of control characters, whose database is SQLite or PostgreSQL, and which survives the
 * round trip through the file `init` writes (ps_config_write_file) and a second load. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cli/config.h"
#include "fuzz.h"

static char tmpdir[64];

static bool clean(const char *s, size_t cap)
{
    const char *nul = memchr(s, '\0', cap);
    if (!nul)
        return false;
    for (const char *p = s; p < nul; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return false;
    return true;
}

static int mem_file(const uint8_t *data, size_t size, char path[64])
{
    int fd = memfd_create("config.json", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0);
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        FUZZ_CHECK(w > 0);
        off += (size_t)w;
    }
    FUZZ_CHECK(snprintf(path, 64, "/proc/self/fd/%d", fd) < 64);
    return fd;
}

static void same(const struct ps_config *a, const struct ps_config *b)
{
    FUZZ_CHECK(strcmp(a->listen_addr, b->listen_addr) == 0 && a->port == b->port);
    FUZZ_CHECK(strcmp(a->db_url, b->db_url) == 0 && strcmp(a->log_file, b->log_file) == 0);
    FUZZ_CHECK(a->log_level == b->log_level && a->threads == b->threads);
    FUZZ_CHECK(memcmp(&a->limits, &b->limits, sizeof a->limits) == 0);
}

/* What init writes for c must load back as c. */
static void round_trip(const struct ps_config *c)
{
    char path[128];
    struct ps_config back;
    struct ps_diag d = {0};
    FUZZ_CHECK(snprintf(path, sizeof path, "%s/config.json", tmpdir) < (int)sizeof path);
    unlink(path);
    FUZZ_CHECK(ps_config_write_file(c, path, c->db_url, &d) == PS_OK);
    FUZZ_CHECK(ps_config_init(&back, "/fuzz/data", &d) == PS_OK);
    FUZZ_CHECK(ps_config_load_file(&back, path, true, NULL, &d) == PS_OK);
    same(c, &back);
    unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    struct ps_config c;
    struct ps_diag d = {0};
    bool loaded = false;
    if (!tmpdir[0]) {
        memcpy(tmpdir, "/tmp/ps-fuzz-config-XXXXXX", sizeof "/tmp/ps-fuzz-config-XXXXXX");
        FUZZ_CHECK(mkdtemp(tmpdir) != NULL);
    }
    FUZZ_CHECK(ps_config_init(&c, "/fuzz/data", &d) == PS_OK);
    int fd = mem_file(data, size, path);
    enum ps_err e = ps_config_load_file(&c, path, true, &loaded, &d);
    close(fd);
    if (e != PS_OK) {
        FUZZ_CHECK(e == PS_ERR_INVALID || e == PS_ERR_LIMIT);
        FUZZ_CHECK(!loaded && d.message[0] != '\0');
        if (size > PS_CONFIG_FILE_MAX)
            FUZZ_CHECK(e == PS_ERR_LIMIT);
        return 0;
    }
    FUZZ_CHECK(loaded && size <= PS_CONFIG_FILE_MAX);
    FUZZ_CHECK(clean(c.listen_addr, sizeof c.listen_addr) && clean(c.db_url, sizeof c.db_url));
    FUZZ_CHECK(clean(c.log_file, sizeof c.log_file));
    FUZZ_CHECK(strncmp(c.db_url, "sqlite:", 7) == 0 || strncmp(c.db_url, "postgres", 8) == 0);
    FUZZ_CHECK(c.log_level >= PS_LOG_DEBUG && c.log_level <= PS_LOG_ERROR);
    round_trip(&c);
    return 0;
}
