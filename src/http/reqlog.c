/* The request log: one JSON line per answered request, written with a tiny bounded writer on
 * the stack (no allocation on the request path). The raw path is never logged: it may carry
 * personal data. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "http/http_int.h"

struct jw {
    char b[1024];
    size_t n;
    bool bad;
};

static void jw_raw(struct jw *w, const char *s, size_t n)
{
    if (w->bad || n > sizeof w->b - w->n) {
        w->bad = true;
        return;
    }
    memcpy(w->b + w->n, s, n);
    w->n += n;
}

static void jw_str(struct jw *w, const char *key, struct ps_str v)
{
    jw_raw(w, ",\"", 2);
    jw_raw(w, key, strlen(key));
    jw_raw(w, "\":\"", 3);
    for (size_t i = 0; i < v.len; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        if (ch < 0x20 || ch == '"' || ch == '\\' || ch >= 0x7f)
            jw_raw(w, "?", 1); /* log fields here are ASCII tokens; never trust them */
        else
            jw_raw(w, v.p + i, 1);
    }
    jw_raw(w, "\"", 1);
}

static void jw_fmt(struct jw *w, const char *fmt, ...) PS_PRINTF(2, 3);
static void jw_fmt(struct jw *w, const char *fmt, ...)
{
    if (w->bad)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(w->b + w->n, sizeof w->b - w->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= sizeof w->b - w->n)
        w->bad = true;
    else
        w->n += (size_t)k;
}

void ps_http_log_request(const struct ps_http_logline *l)
{
    struct jw w = {.n = 0, .bad = false};
    char when[25];
    ps_clock_fmt_rfc3339(ps_clock_now_ms(), when);
    jw_fmt(&w, "{\"time\":\"%s\",\"level\":\"info\",\"msg\":\"request\"", when);
    jw_str(&w, "requestId", ps_str_from_cstr(l->request_id));
    jw_str(&w, "method", l->method);
    jw_str(&w, "route", ps_str_from_cstr(l->route));
    jw_fmt(&w, ",\"status\":%d,\"duration_ms\":%.3f,\"bytes\":%zu", l->status,
           (double)l->duration_ns / 1e6, l->bytes);
    jw_str(&w, "remote", l->remote);
    if (l->aborted >= 0)
        jw_fmt(&w, ",\"aborted\":%d", l->aborted);
    jw_raw(&w, "}", 1);
    if (!w.bad)
        ps_log_json((struct ps_str){w.b, w.n});
}
