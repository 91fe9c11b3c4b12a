/* Small files the program keeps beside its database (the master key, the admin token): read
 * whole into caller memory when only their owner can access them, written fully, and made
 * durable by name. POSIX only. */
#ifndef PS_CORE_FILE_H
#define PS_CORE_FILE_H

#include <stddef.h>

#include "core/err.h"

/* Reads the file at path into out (cap bytes of the caller's memory, e.g. sodium_malloc for
 * a secret) without following a symbolic link; *len gets its size. The file must be a
 * regular file that neither group nor others can access (mode & 077 == 0) and shorter than
 * cap bytes. Errors, with the path in diag: PS_ERR_NOTFOUND (no such file), PS_ERR_DENIED (not
 * a regular file, or group/world permissions: "chmod 600 it"), PS_ERR_LIMIT (cap bytes or
 * more), PS_ERR_IO. out is not NUL-terminated. */
enum ps_err ps_file_read_private(const char *path, char *out, size_t cap, size_t *len,
                                 struct ps_diag *diag) PS_WUR;

/* Writes all n bytes of p to fd, retrying short writes and EINTR. PS_ERR_IO otherwise (errno
 * says why). */
enum ps_err ps_file_write_all(int fd, const void *p, size_t n) PS_WUR;

/* fsyncs the directory that holds path, so that a file just created or renamed there keeps
 * its name after a crash. Best effort: errors are ignored (the data itself was fsynced). */
void ps_file_sync_dir_of(const char *path);

#endif
