/* Request accessors for handlers: headers, path and query parameters, content type, and
 * the pure request-id check. */
#include <microhttpd.h>
#include <string.h>

#include "core/str.h"
#include "http/http_int.h"

bool ps_http_request_id_valid(struct ps_str s)
{
    if (!s.p || s.len == 0 || s.len > PS_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

struct ps_str ps_http_conn_header(struct ps_http_conn *c, const char *name)
{
    const char *v = NULL;
    size_t n = 0;
    if (MHD_lookup_connection_value_n(c->mhd, MHD_HEADER_KIND, name, strlen(name), &v, &n) !=
            MHD_YES ||
        !v)
        return PS_STR_NULL;
    return (struct ps_str){v, n};
}

struct ps_str ps_req_header(struct ps_req *req, const char *name)
{
    if (!req->conn_)
        return PS_STR_NULL;
    return ps_http_conn_header(req->conn_, name);
}

struct ps_str ps_req_param(struct ps_req *req, const char *name)
{
    for (size_t i = 0; i < req->nparams; i++)
        if (ps_str_eq_cstr(req->param_names[i], name))
            return req->params[i];
    return PS_STR_NULL;
}

struct ps_str ps_http_pct_decode(struct ps_arena *a, struct ps_str s, bool plus_space,
                                 bool reject_slash)
{
    if (!memchr(s.p ? s.p : "", '%', s.len) && !(plus_space && memchr(s.p, '+', s.len)))
        return s.len ? s : (struct ps_str){"", 0}; /* nothing to decode: borrow */
    char *out = ps_arena_alloc(a, s.len + 1);
    if (!out)
        return PS_STR_NULL;
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (c == '%') {
            int hi = i + 2 < s.len ? ps_hex_digit(s.p[i + 1]) : -1;
            int lo = hi >= 0 ? ps_hex_digit(s.p[i + 2]) : -1;
            if (lo < 0)
                return PS_STR_NULL;
            c = (char)(hi * 16 + lo);
            i += 2;
            if (c == '\0' || (reject_slash && c == '/'))
                return PS_STR_NULL;
        } else if (c == '+' && plus_space) {
            c = ' ';
        }
        out[n++] = c;
    }
    out[n] = '\0';
    return (struct ps_str){out, n};
}

enum ps_err ps_req_query_get(struct ps_req *req, const char *name, struct ps_str *out)
{
    struct ps_str want = ps_str_from_cstr(name);
    const char *p = req->query.p, *end = p ? p + req->query.len : NULL;
    *out = PS_STR_NULL;
    while (p && p < end) {
        const char *amp = memchr(p, '&', (size_t)(end - p));
        const char *stop = amp ? amp : end;
        const char *eq = memchr(p, '=', (size_t)(stop - p));
        struct ps_str k = {p, (size_t)((eq ? eq : stop) - p)};
        struct ps_str v = eq ? (struct ps_str){eq + 1, (size_t)(stop - eq - 1)} : PS_STR("");
        struct ps_str dk = ps_http_pct_decode(req->arena, k, true, false);
        if (dk.p && ps_str_eq(dk, want)) {
            *out = ps_http_pct_decode(req->arena, v, true, false);
            return out->p ? PS_OK : PS_ERR_INVALID;
        }
        p = stop + 1;
    }
    return PS_ERR_NOTFOUND;
}

struct ps_str ps_req_query(struct ps_req *req, const char *name)
{
    struct ps_str v;
    return ps_req_query_get(req, name, &v) == PS_OK ? v : PS_STR_NULL;
}

bool ps_req_content_type_is(struct ps_req *req, const char *mime)
{
    struct ps_str ct = ps_req_header(req, "Content-Type");
    if (!ct.p)
        return false;
    size_t n = 0;
    while (n < ct.len && ct.p[n] != ';' && ct.p[n] != ' ' && ct.p[n] != '\t')
        n++;
    struct ps_str type = {ct.p, n};
    struct ps_str want = ps_str_from_cstr(mime);
    if (ps_str_eq_nocase(type, want))
        return true;
    if (!ps_str_eq_cstr(want, "application/json"))
        return false;
    /* application/<anything>+json (problem+json, merge-patch+json, ...) */
    struct ps_str app = PS_STR("application/"), suffix = PS_STR("+json");
    return type.len > app.len + suffix.len &&
           ps_str_eq_nocase((struct ps_str){type.p, app.len}, app) &&
           ps_str_eq_nocase((struct ps_str){type.p + type.len - suffix.len, suffix.len},
                            suffix);
}
