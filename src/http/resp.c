/* Building responses: bodies into the request's reusable output buffer, extra headers into
 * the arena, and RFC 9457 problem+json documents with the stable type slugs of
 * docs/problems.md. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

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
