/* JSON-lines logger: formats a line and hands it to the installed sink; the built-in sink
 * writes it to a file descriptor (stderr or ps_log_open's file). Its state (level, sink,
 * descriptor, path) is set only through the functions of log.h (docs/internals/core.md). */
#include "core/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/clock.h"

static atomic_int min_level = PS_LOG_INFO;
/* The installed sink; NULL: the built-in fd sink below. */
static _Atomic(const struct ps_log_sink *) sink;
/* The built-in sink's descriptor and path, under lock. */
static int log_fd = 2;
static char log_path[4096];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void ps_log_set_level(enum ps_log_level level)
{
    atomic_store(&min_level, (int)level);
}

const struct ps_log_sink *ps_log_set_sink(const struct ps_log_sink *s)
{
    return atomic_exchange(&sink, s);
}

static enum ps_err open_path(void)
{
    int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0)
        return PS_ERR_IO;
    pthread_mutex_lock(&lock);
    int old = log_fd;
    log_fd = fd;
    pthread_mutex_unlock(&lock);
    if (old != 2)
        close(old);
    return PS_OK;
}

enum ps_err ps_log_open(const char *path)
{
    if (!path) {
        pthread_mutex_lock(&lock);
        int old = log_fd;
        log_fd = 2;
        log_path[0] = '\0';
        pthread_mutex_unlock(&lock);
        if (old != 2)
            close(old);
        return PS_OK;
    }
    if (ps_str_copy(log_path, sizeof log_path, ps_str_from_cstr(path)) != PS_OK)
        return PS_ERR_LIMIT;
    return open_path();
}

enum ps_err ps_log_reopen(void)
{
    if (!log_path[0])
        return PS_OK;
    return open_path();
}

static void fd_write(const char *p, size_t n)
{
    pthread_mutex_lock(&lock);
    while (n > 0) {
        ssize_t w = write(log_fd, p, n);
        if (w <= 0)
            break;
        p += w;
        n -= (size_t)w;
    }
    pthread_mutex_unlock(&lock);
}

static void write_line(enum ps_log_level level, const char *p, size_t n)
{
    const struct ps_log_sink *s = atomic_load(&sink);
    if (s)
        s->write(s->ctx, level, p, n);
    else
        fd_write(p, n);
}

void ps_log_json(struct ps_str json_object)
{
    struct ps_buf b;
    ps_buf_init(&b, json_object.len + 2);
    if (ps_buf_append_str(&b, json_object) == PS_OK && ps_buf_append(&b, "\n", 1) == PS_OK)
        write_line(PS_LOG_INFO, b.p, b.len);
    ps_buf_reset(&b);
}

void ps_log(enum ps_log_level level, const char *fmt, ...)
{
    static const char *const names[] = {"debug", "info", "warn", "error"};
    if ((int)level < atomic_load_explicit(&min_level, memory_order_relaxed))
        return;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1;
    char when[25];
    ps_clock_fmt_rfc3339(ps_clock_now_ms(), when);
    struct ps_buf b;
    ps_buf_init(&b, 6 * sizeof msg + 256); /* every byte may escape to \u00XX */
    enum ps_err e = ps_buf_printf(&b, "{\"time\":\"%s\",\"level\":\"%s\",\"msg\":", when,
                                  names[level]);
    if (e == PS_OK)
        e = ps_buf_append_json_str(&b, (struct ps_str){msg, len});
    if (e == PS_OK)
        e = ps_buf_append(&b, "}\n", 2);
    if (e == PS_OK)
        write_line(level, b.p, b.len);
    ps_buf_reset(&b);
}
