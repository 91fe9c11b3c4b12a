/* Files in the data directory: paths, the 0700 directory, and small secret files (the admin
 * token) written atomically with mode 0600 and read only when no one else can. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/file.h"

enum ps_err ps_cli_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n < 0 || (size_t)n >= cap ? PS_ERR_LIMIT : PS_OK;
}

bool ps_cli_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

enum ps_err ps_cli_mkdir(const char *dir, bool *created, struct ps_diag *diag)
{
    *created = false;
    if (mkdir(dir, 0700) == 0) {
        *created = true;
        return PS_OK;
    }
    if (errno != EEXIST)
        return ps_diag_set(diag, PS_ERR_IO, "%s: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0)
        return ps_diag_set(diag, PS_ERR_IO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: exists and is not a directory", dir);
    /* the directory holds every person's data and the sealed keys: owner only */
    if ((st.st_mode & 077) != 0 && chmod(dir, 0700) != 0)
        return ps_diag_set(diag, PS_ERR_DENIED, "%s is readable by others and cannot be made "
                           "private: %s", dir, strerror(errno));
    return PS_OK;
}

enum ps_err ps_cli_write_secret_file(const char *path, struct ps_str data, struct ps_diag *diag)
{
    char tmp[PS_CONFIG_PATH_MAX];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return ps_diag_set(diag, PS_ERR_LIMIT, "%s: path too long", path);
    (void)unlink(tmp); /* a leftover of an interrupted run */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ps_diag_set(diag, PS_ERR_IO, "%s: %s", tmp, strerror(errno));
    enum ps_err e = PS_OK;
    if (ps_file_write_all(fd, data.p, data.len) != PS_OK || fsync(fd) != 0)
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", tmp, strerror(errno));
    if (close(fd) != 0 && e == PS_OK)
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", tmp, strerror(errno));
    if (e == PS_OK && rename(tmp, path) != 0)
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
    if (e != PS_OK) {
        (void)unlink(tmp);
        return e;
    }
    ps_file_sync_dir_of(path);
    return PS_OK;
}

enum ps_err ps_cli_read_secret_file(const char *path, char *out, size_t cap, size_t *len,
                                    struct ps_diag *diag)
{
    size_t got = 0;
    if (cap < 2)
        return ps_diag_set(diag, PS_ERR_LIMIT, "%s: no room", path);
    enum ps_err e = ps_file_read_private(path, out, cap - 1, &got, diag);
    if (e != PS_OK)
        return e;
    out[got] = '\0';
    *len = got;
    return PS_OK;
}
