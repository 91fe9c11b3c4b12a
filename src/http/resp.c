/* Building responses: bodies into the request's reusable output buffer, extra headers into
 * the arena, RFC 9457 problem+json documents with the stable type slugs of docs/problems.md,
 * and the one raw HTTP/1.1 answer written on a socket libmicrohttpd does not (or no longer)
 * answer on. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "core/clock.h"
#include "core/ids.h"
#include "core/log.h"
#include "http/http_int.h"

#define PROBLEM_CT "application/problem+json"

/* Last resort when a body cannot be stored: a bodyless 500 (the log line still says why). */
static void fail_internal(struct ps_req *req)
{
    req->out.len = 0;
    if (req->out.p)
        req->out.p[0] = '\0';
    req->status = 500;
    req->content_type = NULL;
}

void ps_resp_bytes(struct ps_req *req, int status, const char *content_type, struct ps_str body)
{
    PS_ASSERT(status >= 100 && status <= 599);
    req->out.len = 0;
    req->status = status;
    req->content_type = content_type;
    if (body.len && ps_buf_append_str(&req->out, body) != PS_OK) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error",
                        "the response body is too large");
    }
}

struct ps_buf *ps_resp_body(struct ps_req *req)
{
    req->out.len = 0;
    if (req->out.p)
        req->out.p[0] = '\0';
    return &req->out;
}

void ps_resp_ready(struct ps_req *req, int status, const char *content_type)
{
    PS_ASSERT(status >= 100 && status <= 599);
    req->status = status;
    req->content_type = content_type;
}

void ps_resp_json(struct ps_req *req, int status, struct ps_str json)
{
    ps_resp_bytes(req, status, "application/json", json);
}

static enum ps_err problem_body(struct ps_req *req, int status, const char *slug,
                                const char *title, const char *detail)
{
    struct ps_buf *b = &req->out;
    enum ps_err e = ps_buf_append_cstr(b, "{\"type\":\"" PS_PROBLEM_BASE);
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, slug);
    if (e == PS_OK)
        e = ps_buf_append_cstr(b, "\",\"title\":");
    if (e == PS_OK)
        e = ps_buf_append_json_str(b, ps_str_from_cstr(title));
    if (e == PS_OK)
        e = ps_buf_printf(b, ",\"status\":%d", status);
    if (e == PS_OK && detail && detail[0]) {
        e = ps_buf_append_cstr(b, ",\"detail\":");
        if (e == PS_OK)
            e = ps_buf_append_json_str(b, ps_str_from_cstr(detail));
    }
    if (e == PS_OK && req->path.p) {
        e = ps_buf_append_cstr(b, ",\"instance\":");
        if (e == PS_OK)
            e = ps_buf_append_json_str(b, req->path);
    }
    if (e == PS_OK && req->request_id[0]) {
        e = ps_buf_append_cstr(b, ",\"requestId\":");
        if (e == PS_OK)
            e = ps_buf_append_json_str(b, ps_str_from_cstr(req->request_id));
    }
    if (e == PS_OK)
        e = ps_buf_append(b, "}", 1);
    return e;
}

void ps_resp_problem(struct ps_req *req, int status, const char *slug, const char *title,
                     const char *detail_fmt, ...)
{
    PS_ASSERT(status >= 100 && status <= 599 && slug && title);
    char detail[512];
    detail[0] = '\0';
    if (detail_fmt) {
        va_list ap;
        va_start(ap, detail_fmt);
        int n = vsnprintf(detail, sizeof detail, detail_fmt, ap);
        va_end(ap);
        if (n < 0)
            detail[0] = '\0';
        /* a longer detail is cut at the buffer: it is prose for a human */
    }
    req->out.len = 0;
    req->status = status;
    req->content_type = PROBLEM_CT;
    if (problem_body(req, status, slug, title, detail) != PS_OK)
        fail_internal(req);
}

void ps_resp_header(struct ps_req *req, const char *name, const char *value)
{
    if (req->nhdrs >= PS_RESP_MAX_HEADERS) {
        ps_log(PS_LOG_WARN, "http: response header %s dropped: more than %d", name,
               PS_RESP_MAX_HEADERS);
        return;
    }
    struct ps_str n = req->arena ? ps_arena_str(req->arena, ps_str_from_cstr(name)) : PS_STR_NULL;
    struct ps_str v =
        req->arena ? ps_arena_str(req->arena, ps_str_from_cstr(value)) : PS_STR_NULL;
    if (!n.p || !v.p)
        return; /* arena exhausted: the header is dropped, the response still goes out */
    req->hdr_names[req->nhdrs] = n;
    req->hdr_values[req->nhdrs] = v;
    req->nhdrs++;
}

/* ---------- answers on a raw socket (gate.c, sweep.c) ---------- */

static void http_date(char out[32])
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ps_clock_now_ms() / 1000);
    struct tm tm;
    out[0] = '\0';
    if (!gmtime_r(&t, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 ||
        tm.tm_mon > 11)
        return;
    int n = snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                     tm.tm_sec);
    if (n < 0 || n >= 32)
        out[0] = '\0';
}

int ps_http_send_raw(int fd, const struct ps_req *req)
{
    char date[32], head[512];
    http_date(date);
    const char *reason = MHD_get_reason_phrase_for((unsigned)req->status);
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 %d %s\r\nDate: %s\r\nConnection: close\r\nContent-Type: %s\r\n"
                     "X-Request-Id: %s\r\nContent-Length: %zu\r\n\r\n",
                     req->status, reason && reason[0] ? reason : "Unknown", date,
                     req->content_type ? req->content_type : "application/octet-stream",
                     req->request_id, req->out.len);
    int err = 0;
    if (n > 0 && (size_t)n < sizeof head) {
        struct iovec iov[2] = {{head, (size_t)n}, {req->out.p, req->out.len}};
        struct msghdr m = {.msg_iov = iov, .msg_iovlen = req->out.len ? 2 : 1};
        if (sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
            err = errno;
    } else {
        err = EMSGSIZE;
    }
    shutdown(fd, SHUT_WR);
    return err;
}

void ps_http_problem_apart(struct ps_req *req, int status, const char *slug, const char *title,
                           const char *detail)
{
    memset(req, 0, sizeof *req);
    ps_buf_init(&req->out, 4096);
    struct ps_uuid u = ps_uuid7();
    char id[37];
    ps_uuid_fmt(&u, id);
    memcpy(req->request_id, id, sizeof id);
    ps_resp_problem(req, status, slug, title, "%s", detail);
}
