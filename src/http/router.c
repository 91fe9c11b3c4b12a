/* The router: a route table compiled into per-route segment lists, matched by method and raw
 * path with "{name}" parameters, a final "{name...}" catch-all, and static-beats-parameter
 * precedence. Matching is a pure
 * function (no allocation, no locks) so the server threads and the fuzz target share it. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "http/http.h"

#define MAX_METHODS_TEXT 128

struct seg {
    struct ps_str text; /* static text, or the parameter name without braces (and dots) */
    bool param;
};

struct croute {
    const struct ps_route *route;
    struct ps_str method;
    struct seg segs[PS_ROUTE_MAX_SEGMENTS];
    size_t nsegs;
    bool rest;          /* the last segment is "{name...}": it takes the rest of the path */
    uint32_t rank;      /* bit (31 - i) set when segment i is static: higher is more specific */
    size_t shape;       /* index of the first route with the same shape (for Allow) */
    char allow[MAX_METHODS_TEXT];
};

struct ps_router {
    struct croute *routes;
    size_t n;
};

/* Splits a path into segments. Returns the count, or -1 when the path can never match. */
static int split(struct ps_str path, struct ps_str segs[PS_ROUTE_MAX_SEGMENTS])
{
    if (path.len == 0 || path.len > PS_ROUTE_MAX_PATH || path.p[0] != '/')
        return -1;
    if (memchr(path.p, '\0', path.len))
        return -1;
    if (path.len == 1)
        return 0; /* "/" */
    int n = 0;
    size_t start = 1;
    for (size_t i = 1; i <= path.len; i++) {
        if (i < path.len && path.p[i] != '/')
            continue;
        if (i == start || n == PS_ROUTE_MAX_SEGMENTS)
            return -1; /* empty segment (including a trailing slash) or too many */
        segs[n++] = (struct ps_str){path.p + start, i - start};
        start = i + 1;
    }
    return n;
}

/* "." or "..", with any dot possibly written as %2e / %2E. */
static bool is_dot_segment(struct ps_str s)
{
    size_t dots = 0, i = 0;
    while (i < s.len) {
        if (s.p[i] == '.') {
            i++;
        } else if (i + 2 < s.len && s.p[i] == '%' && s.p[i + 1] == '2' &&
                   (s.p[i + 2] == 'e' || s.p[i + 2] == 'E')) {
            i += 3;
        } else {
            return false;
        }
        dots++;
    }
    return dots == 1 || dots == 2;
}

static bool valid_param_name(struct ps_str s)
{
    if (s.len == 0)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

static bool valid_method(const char *m)
{
    size_t n = m ? strlen(m) : 0;
    if (n == 0 || n > 16)
        return false;
    for (size_t i = 0; i < n; i++)
        if (m[i] < 'A' || m[i] > 'Z')
            return false;
    return true;
}

static enum ps_err compile_one(const struct ps_route *rt, struct croute *c, struct ps_diag *d)
{
    struct ps_str raw[PS_ROUTE_MAX_SEGMENTS];
    if (!rt->pattern || !rt->fn || !valid_method(rt->method))
        return ps_diag_set(d, PS_ERR_INVALID, "route %s %s: missing method, pattern or handler",
                           rt->method ? rt->method : "?", rt->pattern ? rt->pattern : "?");
    int n = split(ps_str_from_cstr(rt->pattern), raw);
    if (n < 0)
        return ps_diag_set(d, PS_ERR_INVALID, "route %s: bad path shape", rt->pattern);
    size_t nparams = 0;
    c->route = rt;
    c->method = ps_str_from_cstr(rt->method);
    c->nsegs = (size_t)n;
    c->rest = false;
    c->rank = 0;
    for (int i = 0; i < n; i++) {
        struct ps_str s = raw[i];
        bool open = s.p[0] == '{', close = s.p[s.len - 1] == '}';
        if (open || close) {
            struct ps_str name = {s.p + 1, s.len >= 2 ? s.len - 2 : 0};
            if (name.len > 3 && memcmp(name.p + name.len - 3, "...", 3) == 0 && i == n - 1) {
                name.len -= 3;
                c->rest = true;
            }
            if (!open || !close || !valid_param_name(name))
                return ps_diag_set(d, PS_ERR_INVALID, "route %s: bad parameter", rt->pattern);
            if (++nparams > PS_ROUTE_MAX_PARAMS)
                return ps_diag_set(d, PS_ERR_INVALID, "route %s: too many parameters",
                                   rt->pattern);
            c->segs[i] = (struct seg){name, true};
        } else {
            if (is_dot_segment(s) || memchr(s.p, '{', s.len) || memchr(s.p, '}', s.len))
                return ps_diag_set(d, PS_ERR_INVALID, "route %s: bad segment", rt->pattern);
            c->segs[i] = (struct seg){s, false};
            c->rank |= 1u << (31 - i);
        }
    }
    return PS_OK;
}

static bool same_shape(const struct croute *a, const struct croute *b)
{
    if (a->nsegs != b->nsegs || a->rank != b->rank || a->rest != b->rest)
        return false;
    for (size_t i = 0; i < a->nsegs; i++)
        if (!a->segs[i].param && !ps_str_eq(a->segs[i].text, b->segs[i].text))
            return false;
    return true;
}

/* Allow text for every route: the methods of all routes with the same shape, plus HEAD when
 * GET is there (HEAD falls back to GET). */
static enum ps_err build_allow(struct ps_router *r, struct ps_diag *d)
{
    for (size_t i = 0; i < r->n; i++) {
        struct croute *c = &r->routes[i];
        size_t len = 0;
        bool get = false, head = false;
        c->allow[0] = '\0';
        for (size_t j = 0; j < r->n; j++) {
            const struct croute *o = &r->routes[j];
            if (!same_shape(c, o))
                continue;
            if (j < i && ps_str_eq(o->method, c->method))
                return ps_diag_set(d, PS_ERR_INVALID, "duplicate route %s %s",
                                   c->route->method, c->route->pattern);
            get |= ps_str_eq_cstr(o->method, "GET");
            head |= ps_str_eq_cstr(o->method, "HEAD");
            int w = snprintf(c->allow + len, sizeof c->allow - len, "%s%s", len ? ", " : "",
                             o->route->method);
            if (w < 0 || (size_t)w >= sizeof c->allow - len)
                return ps_diag_set(d, PS_ERR_INVALID, "route %s: too many methods",
                                   c->route->pattern);
            len += (size_t)w;
        }
        if (get && !head) {
            int w = snprintf(c->allow + len, sizeof c->allow - len, ", HEAD");
            if (w < 0 || (size_t)w >= sizeof c->allow - len)
                return ps_diag_set(d, PS_ERR_INVALID, "route %s: too many methods",
                                   c->route->pattern);
        }
    }
    return PS_OK;
}

enum ps_err ps_router_new(const struct ps_route *routes, size_t n, struct ps_router **out,
                          struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    *out = NULL;
    struct ps_router *r = ps_calloc(1, sizeof *r);
    if (!r)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    r->routes = ps_alloc_array(n ? n : 1, sizeof *r->routes);
    if (!r->routes) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    r->n = n;
    for (size_t i = 0; i < n && e == PS_OK; i++)
        e = compile_one(&routes[i], &r->routes[i], diag);
    if (e == PS_OK)
        e = build_allow(r, diag);
out:
    if (e != PS_OK) {
        ps_router_free(r);
        return e;
    }
    *out = r;
    return PS_OK;
}

void ps_router_free(struct ps_router *r)
{
    if (!r)
        return;
    ps_free(r->routes);
    ps_free(r);
}

static bool path_matches(const struct croute *c, const struct ps_str *segs, size_t n)
{
    if (c->rest ? n < c->nsegs : c->nsegs != n)
        return false;
    for (size_t i = 0; i < c->nsegs; i++)
        if (!c->segs[i].param && !ps_str_eq(c->segs[i].text, segs[i]))
            return false;
    return true;
}

static bool method_matches(const struct croute *c, struct ps_str method)
{
    if (ps_str_eq(c->method, method))
        return true;
    return ps_str_eq_cstr(method, "HEAD") && ps_str_eq_cstr(c->method, "GET");
}

static void fill(const struct croute *c, const struct ps_str *segs, size_t n,
                 struct ps_req *req)
{
    req->route = c->route;
    req->nparams = 0;
    for (size_t i = 0; i < c->nsegs; i++) {
        if (!c->segs[i].param)
            continue;
        req->param_names[req->nparams] = c->segs[i].text;
        req->params[req->nparams] = segs[i];
        if (c->rest && i == c->nsegs - 1) /* through the end of the last segment */
            req->params[req->nparams].len = (size_t)(segs[n - 1].p + segs[n - 1].len - segs[i].p);
        req->nparams++;
    }
}

enum ps_route_match ps_router_match(const struct ps_router *r, struct ps_str method,
                                    struct ps_str path, struct ps_req *req, const char **allow)
{
    struct ps_str segs[PS_ROUTE_MAX_SEGMENTS];
    int n = split(path, segs);
    if (n < 0)
        return PS_ROUTE_NO_PATH;
    for (int i = 0; i < n; i++)
        if (is_dot_segment(segs[i]))
            return PS_ROUTE_NO_PATH;
    const struct croute *best = NULL, *best_path = NULL;
    for (size_t i = 0; i < r->n; i++) {
        const struct croute *c = &r->routes[i];
        if (!path_matches(c, segs, (size_t)n))
            continue;
        if (!best_path || c->rank > best_path->rank)
            best_path = c;
        if (!method_matches(c, method))
            continue;
        /* an exact method beats the HEAD->GET fallback on the same shape; a fixed number of
         * segments beats a catch-all of the same rank */
        if (!best || c->rank > best->rank ||
            (c->rank == best->rank && (best->rest && !c->rest)) ||
            (c->rank == best->rank && best->rest == c->rest && ps_str_eq(c->method, method)))
            best = c;
    }
    if (best) {
        if (req)
            fill(best, segs, (size_t)n, req);
        return PS_ROUTE_FOUND;
    }
    if (!best_path)
        return PS_ROUTE_NO_PATH;
    if (allow)
        *allow = best_path->allow;
    return PS_ROUTE_NO_METHOD;
}
