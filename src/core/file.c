/* Private small files: one read loop, one write loop and the directory fsync that the master
 * key and the admin token (and any later secret file) share. */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/str.h"

static enum ps_err check_private(int fd, const char *path, struct ps_diag *diag)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return ps_diag_set(diag, PS_ERR_DENIED, "%s: not a regular file", path);
    if (st.st_mode & 077)
        return ps_diag_set(diag, PS_ERR_DENIED,
                           "%s: mode %04o lets group or others access it (chmod 600 it)", path,
                           (unsigned)(st.st_mode & 07777));
    return PS_OK;
}

enum ps_err ps_file_read_private(const char *path, char *out, size_t cap, size_t *len,
                                 struct ps_diag *diag)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return ps_diag_set(diag, errno == ENOENT ? PS_ERR_NOTFOUND : PS_ERR_IO, "%s: %s", path,
                           strerror(errno));
    enum ps_err e = check_private(fd, path, diag);
    size_t got = 0;
    while (e == PS_OK) {
        if (got == cap) {
            e = ps_diag_set(diag, PS_ERR_LIMIT, "%s: %zu bytes or more", path, cap);
            break;
        }
        ssize_t r = read(fd, out + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
        else if (r == 0)
            break;
        else
            got += (size_t)r;
    }
    close(fd);
    if (e == PS_OK)
        *len = got;
    return e;
}

enum ps_err ps_file_write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return PS_ERR_IO;
        c += w;
        n -= (size_t)w;
    }
    return PS_OK;
}

void ps_file_sync_dir_of(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    struct ps_str d = slash ? (struct ps_str){path, (size_t)(slash - path)} : PS_STR(".");
    if (slash == path)
        d = PS_STR("/");
    if (ps_str_copy(dir, sizeof dir, d) != PS_OK)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}
