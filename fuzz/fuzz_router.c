/* Fuzz target: router matching (ps_router_match, src/http/http.h) over a fixed table shaped
 * like the API's. Input: "METHOD PATH" (split at the first space; no space: GET + input).
 * Checks the header's contract: a match has the route's method (or is HEAD on a GET
 * route), params are non-empty slices
 * of the path with no '/', and paths that are too long, too deep, have empty or dot
 * segments or NUL bytes never match; NO_METHOD comes with a non-empty Allow list. */
#include <string.h>

#include "core/arena.h"
#include "http/http.h"
#include "fuzz.h"

static void nop(struct ps_req *req)
{
    (void)req;
}

static const struct ps_route routes[] = {
    {"GET", "/healthz", NULL, 0, nop, 0},
    {"GET", "/readyz", NULL, 0, nop, 0},
    {"GET", "/metrics", NULL, 0, nop, 0},
    {"GET", "/api/openapi.json", NULL, 0, nop, 0},
    {"GET", "/api/v1/registry/persons/{rnokpp}", NULL, 0, nop, 0},
    {"PUT", "/api/v1/registry/persons/{rnokpp}", NULL, 0, nop, 4096},
    {"POST", "/api/v1/registry/persons", NULL, 0, nop, 65536},
    {"GET", "/api/v1/documents/{id}/status", NULL, 0, nop, 0},
    {"DELETE", "/api/v1/documents/{id}", NULL, 0, nop, 0},
    {"GET", "/api/v1/services/{service}/applications/{app}/steps/{step}", NULL, 0, nop, 0},
    {"POST", "/api/v1/services/{service}/applications/{app}/steps/{step}", NULL, 0, nop, 0},
    {"GET", "/tlog/tile/{level}/{index}", NULL, 0, nop, 0},
    {"GET", "/tlog/tile/{level}/{index}/{width}/{extra}", NULL, 0, nop, 0},
    {"GET", "/tlog/checkpoint", NULL, 0, nop, 0},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static struct ps_router *router;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct ps_diag diag = {0};
    if (ps_router_new(routes, NROUTES, &router, &diag) != PS_OK) {
        fprintf(stderr, "fuzz_router: ps_router_new: %s\n", diag.message);
        abort();
    }
    return 0;
}

/* True when path breaks a rule that must make it never match. */
static bool path_forbidden(struct ps_str path)
{
    if (path.len > 2048 || memchr(path.p, 0, path.len))
        return true;
    if (path.len == 0 || path.p[0] != '/')
        return true;
    size_t segs = 0, i = 1, start = 1;
    for (; i <= path.len; i++) {
        if (i < path.len && path.p[i] != '/')
            continue;
        size_t n = i - start;
        segs++;
        bool last = i == path.len;
        if (n == 0 && !(last && path.len == 1))
            return true; /* empty segment ("//", trailing "/") */
        if ((n == 1 && path.p[start] == '.') ||
            (n == 2 && path.p[start] == '.' && path.p[start + 1] == '.'))
            return true;
        start = i + 1;
    }
    return segs > 32;
}

static void check_found(struct ps_req *req, struct ps_str method, struct ps_str path)
{
    FUZZ_CHECK(req->route != NULL);
    FUZZ_CHECK(req->route >= routes && req->route < routes + NROUTES);
    /* HEAD falls back to the GET route of the same path. */
    FUZZ_CHECK(ps_str_eq_cstr(method, req->route->method) ||
               (ps_str_eq_cstr(method, "HEAD") && strcmp(req->route->method, "GET") == 0));
    FUZZ_CHECK(!path_forbidden(path));
    FUZZ_CHECK(req->nparams <= PS_ROUTE_MAX_PARAMS);
    for (size_t i = 0; i < req->nparams; i++) {
        struct ps_str p = req->params[i];
        FUZZ_CHECK(p.len > 0);
        FUZZ_CHECK(p.p >= path.p && p.p + p.len <= path.p + path.len);
        FUZZ_CHECK(memchr(p.p, '/', p.len) == NULL);
        FUZZ_CHECK(req->param_names[i].len > 0);
        struct ps_str got = ps_req_param(req, ps_arena_cstr(req->arena, req->param_names[i]));
        FUZZ_CHECK(got.p == p.p && got.len == p.len);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!router)
        LLVMFuzzerInitialize(NULL, NULL);
    const char *s = (const char *)data;
    const char *sp = memchr(s, ' ', size);
    struct ps_str method = sp ? (struct ps_str){s, (size_t)(sp - s)} : PS_STR("GET");
    struct ps_str path =
        sp ? (struct ps_str){sp + 1, size - (size_t)(sp - s) - 1} : (struct ps_str){s, size};
    struct ps_req req;
    memset(&req, 0, sizeof req);
    req.arena = ps_arena_new(1u << 20);
    FUZZ_CHECK(req.arena != NULL);
    req.method = method;
    req.path = path;
    const char *allow = NULL;
    enum ps_route_match m = ps_router_match(router, method, path, &req, &allow);
    switch (m) {
    case PS_ROUTE_FOUND:
        check_found(&req, method, path);
        break;
    case PS_ROUTE_NO_METHOD:
        FUZZ_CHECK(!path_forbidden(path));
        FUZZ_CHECK(allow != NULL && allow[0] != '\0');
        break;
    case PS_ROUTE_NO_PATH:
        break;
    default:
        FUZZ_CHECK(!"unknown match result");
    }
    ps_arena_free(req.arena);
    return 0;
}
