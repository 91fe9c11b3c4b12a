/* Router: parameters, static-beats-parameter precedence, 404 vs 405 with Allow, path limits,
 * malformed paths and bad route tables. */
#include <criterion/criterion.h>
#include <string.h>

#include "http/http.h"

static void h_any(struct ps_req *req)
{
    (void)req;
}
static void h_other(struct ps_req *req)
{
    (void)req;
}

static const struct ps_route routes[] = {
    {"GET", "/", NULL, 0, h_any, 0},
    {"GET", "/healthz", NULL, 0, h_any, 0},
    {"GET", "/api/v1/persons/{rnokpp}", NULL, 0, h_any, 0},
    {"PUT", "/api/v1/persons/{rnokpp}", NULL, 0, h_any, 0},
    {"GET", "/api/v1/persons/search", NULL, 0, h_other, 0},
    {"GET", "/api/v1/docs/{kind}/{id}/versions/{v}", NULL, 0, h_any, 0},
    {"POST", "/api/v1/docs/{kind}/new", NULL, 0, h_other, 0},
    {"HEAD", "/only-head", NULL, 0, h_any, 0},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static struct ps_router *router;

static void setup(void)
{
    struct ps_diag d;
    cr_assert_eq(ps_router_new(routes, NROUTES, &router, &d), PS_OK, "%s", d.message);
}
static void teardown(void)
{
    ps_router_free(router);
}

static enum ps_route_match match(const char *method, const char *path, struct ps_req *req,
                                 const char **allow)
{
    if (req)
        memset(req, 0, sizeof *req);
    return ps_router_match(router, ps_str_from_cstr(method), ps_str_from_cstr(path), req,
                           allow);
}

TestSuite(router, .init = setup, .fini = teardown);

Test(router, static_and_root)
{
    struct ps_req req;
    cr_assert_eq(match("GET", "/healthz", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &routes[1]);
    cr_assert_eq(req.nparams, 0);
    cr_assert_eq(match("GET", "/", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &routes[0]);
}

Test(router, params)
{
    struct ps_req req;
    cr_assert_eq(match("GET", "/api/v1/persons/3012345678", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &routes[2]);
    cr_assert_eq(req.nparams, 1);
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "rnokpp"), "3012345678"));
    cr_assert_null(ps_req_param(&req, "nope").p);
    cr_assert_eq(match("GET", "/api/v1/docs/dl/abc/versions/7", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.nparams, 3);
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "kind"), "dl"));
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "id"), "abc"));
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "v"), "7"));
}

Test(router, params_match_one_segment_only)
{
    struct ps_req req;
    cr_assert_eq(match("GET", "/api/v1/persons/1/2", &req, NULL), PS_ROUTE_NO_PATH);
    cr_assert_eq(match("GET", "/api/v1/persons", &req, NULL), PS_ROUTE_NO_PATH);
}

Test(router, static_beats_param)
{
    struct ps_req req;
    cr_assert_eq(match("GET", "/api/v1/persons/search", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &routes[4]);
    cr_assert_eq(req.nparams, 0);
    /* the static route has no PUT: the parameter route serves it */
    cr_assert_eq(match("PUT", "/api/v1/persons/search", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &routes[3]);
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "rnokpp"), "search"));
}

Test(router, method_not_allowed_with_allow)
{
    struct ps_req req;
    const char *allow = NULL;
    cr_assert_eq(match("DELETE", "/api/v1/persons/1", &req, &allow), PS_ROUTE_NO_METHOD);
    cr_assert_str_eq(allow, "GET, PUT, HEAD");
    cr_assert_eq(match("POST", "/healthz", &req, &allow), PS_ROUTE_NO_METHOD);
    cr_assert_str_eq(allow, "GET, HEAD");
    cr_assert_eq(match("GET", "/api/v1/docs/x/new", &req, &allow), PS_ROUTE_NO_METHOD);
    cr_assert_str_eq(allow, "POST");
    cr_assert_eq(match("GET", "/only-head", &req, &allow), PS_ROUTE_NO_METHOD);
    cr_assert_str_eq(allow, "HEAD");
    cr_assert_eq(match("DELETE", "/healthz", NULL, NULL), PS_ROUTE_NO_METHOD);
}

Test(router, head_falls_back_to_get)
{
    struct ps_req req;
    cr_assert_eq(match("HEAD", "/healthz", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &routes[1]);
    cr_assert_eq(match("HEAD", "/only-head", &req, NULL), PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &routes[7]);
}

Test(router, not_found)
{
    struct ps_req req;
    cr_assert_eq(match("GET", "/nope", &req, NULL), PS_ROUTE_NO_PATH);
    cr_assert_eq(match("GET", "/healthz/more", &req, NULL), PS_ROUTE_NO_PATH);
    cr_assert_eq(match("GET", "/HEALTHZ", &req, NULL), PS_ROUTE_NO_PATH);
}

Test(router, malformed_paths)
{
    static const char *const bad[] = {
        "",        "healthz",       "//",        "/healthz/",     "//healthz",
        "/./healthz", "/api/v1/persons/..", "/api/v1/persons/.", "/api/v1/persons/%2e%2E",
        "/api/v1/persons/.%2e", "/a//b", "*", "http://x/healthz",
    };
    struct ps_req req;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(match("GET", bad[i], &req, NULL), PS_ROUTE_NO_PATH, "%s", bad[i]);
    /* three dots is an ordinary segment */
    cr_assert_eq(match("GET", "/api/v1/persons/...", &req, NULL), PS_ROUTE_FOUND);
    /* NUL inside the path */
    struct ps_str p = {"/healthz\0x", 10};
    cr_assert_eq(ps_router_match(router, PS_STR("GET"), p, &req, NULL), PS_ROUTE_NO_PATH);
    struct ps_str p2 = {"/healthz\0", 9};
    cr_assert_eq(ps_router_match(router, PS_STR("GET"), p2, &req, NULL), PS_ROUTE_NO_PATH);
}

Test(router, path_limits)
{
    struct ps_req req;
    char path[PS_ROUTE_MAX_PATH + 2];
    /* /api/v1/persons/xxxx... exactly at the limit matches; one byte more does not */
    memcpy(path, "/api/v1/persons/", 16);
    memset(path + 16, 'x', sizeof path - 16);
    path[PS_ROUTE_MAX_PATH] = '\0';
    cr_assert_eq(match("GET", path, &req, NULL), PS_ROUTE_FOUND);
    path[PS_ROUTE_MAX_PATH] = 'x';
    path[PS_ROUTE_MAX_PATH + 1] = '\0';
    cr_assert_eq(match("GET", path, &req, NULL), PS_ROUTE_NO_PATH);
    /* 33 segments never match, even with a route of that shape absent */
    char segs[200] = "";
    size_t n = 0;
    for (int i = 0; i < PS_ROUTE_MAX_SEGMENTS + 1; i++) {
        segs[n++] = '/';
        segs[n++] = 'a';
    }
    segs[n] = '\0';
    cr_assert_eq(match("GET", segs, &req, NULL), PS_ROUTE_NO_PATH);
}

static enum ps_err try_table(const struct ps_route *t, size_t n)
{
    struct ps_router *r = NULL;
    struct ps_diag d;
    enum ps_err e = ps_router_new(t, n, &r, &d);
    ps_router_free(r);
    return e;
}

Test(router_table, bad_tables)
{
    const struct ps_route dup[] = {{"GET", "/a/{x}", NULL, 0, h_any, 0},
                                   {"GET", "/a/{y}", NULL, 0, h_any, 0}};
    cr_assert_eq(try_table(dup, 2), PS_ERR_INVALID);
    const struct ps_route ok[] = {{"GET", "/a/{x}", NULL, 0, h_any, 0},
                                  {"POST", "/a/{y}", NULL, 0, h_any, 0}};
    cr_assert_eq(try_table(ok, 2), PS_OK);
    static const char *const bad[] = {"", "a", "/a/", "/a//b", "/{}", "/{a", "/a}", "/x{a}",
                                      "/{a-b}", "/..", "/.", "/{a}/{b}/{c}/{d}/{e}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ps_route r = {"GET", bad[i], NULL, 0, h_any, 0};
        cr_assert_eq(try_table(&r, 1), PS_ERR_INVALID, "%s", bad[i]);
    }
    struct ps_route nofn = {"GET", "/a", NULL, 0, NULL, 0};
    cr_assert_eq(try_table(&nofn, 1), PS_ERR_INVALID);
    struct ps_route lower = {"get", "/a", NULL, 0, h_any, 0};
    cr_assert_eq(try_table(&lower, 1), PS_ERR_INVALID);
    cr_assert_eq(try_table(NULL, 0), PS_OK);
}

Test(request_id, validation)
{
    cr_assert(ps_http_request_id_valid(PS_STR("abc-DEF_1.2")));
    cr_assert(ps_http_request_id_valid(PS_STR("x")));
    char longid[PS_REQUEST_ID_MAX + 1];
    memset(longid, 'a', sizeof longid);
    cr_assert(ps_http_request_id_valid((struct ps_str){longid, PS_REQUEST_ID_MAX}));
    cr_assert_not(ps_http_request_id_valid((struct ps_str){longid, PS_REQUEST_ID_MAX + 1}));
    cr_assert_not(ps_http_request_id_valid(PS_STR("")));
    cr_assert_not(ps_http_request_id_valid(PS_STR_NULL));
    cr_assert_not(ps_http_request_id_valid(PS_STR("a b")));
    cr_assert_not(ps_http_request_id_valid(PS_STR("a\"b")));
    cr_assert_not(ps_http_request_id_valid(PS_STR("a/b")));
    cr_assert_not(ps_http_request_id_valid((struct ps_str){"a\0b", 3}));
}

Test(request, query_decoding)
{
    struct ps_arena *a = ps_arena_new(1 << 16);
    struct ps_req req;
    memset(&req, 0, sizeof req);
    req.arena = a;
    req.query = PS_STR("a=1&name=Ivan+Franko&enc=%D0%86&empty=&flag&bad=%zz&a=2");
    cr_assert(ps_str_eq_cstr(ps_req_query(&req, "a"), "1"));
    cr_assert(ps_str_eq_cstr(ps_req_query(&req, "name"), "Ivan Franko"));
    cr_assert(ps_str_eq_cstr(ps_req_query(&req, "enc"), "\xD0\x86"));
    cr_assert(ps_str_eq_cstr(ps_req_query(&req, "empty"), ""));
    cr_assert_not_null(ps_req_query(&req, "flag").p);
    cr_assert_null(ps_req_query(&req, "bad").p);
    cr_assert_null(ps_req_query(&req, "missing").p);
    req.query = PS_STR_NULL;
    cr_assert_null(ps_req_query(&req, "a").p);
    ps_arena_free(a);
}

/* A final "{name...}" takes the rest of the path (tile paths: tile/0/x001/234.p/7). */
Test(router, catch_all_takes_the_rest)
{
    static const struct ps_route rt[] = {
        {"GET", "/tile/{L}/{N...}", NULL, 0, h_any, 0},
        {"GET", "/tile/entries/{N...}", NULL, 0, h_other, 0},
        {"GET", "/tile/{L}/fixed", NULL, 0, h_other, 0},
    };
    struct ps_router *r = NULL;
    struct ps_diag d;
    cr_assert_eq(ps_router_new(rt, 3, &r, &d), PS_OK, "%s", d.message);
    struct ps_req req;
    memset(&req, 0, sizeof req);
    cr_assert_eq(ps_router_match(r, PS_STR("GET"), PS_STR("/tile/0/x001/234.p/7"), &req, NULL),
                 PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &rt[0]);
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "L"), "0"));
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "N"), "x001/234.p/7"));
    cr_assert_eq(ps_router_match(r, PS_STR("GET"), PS_STR("/tile/3/000"), &req, NULL),
                 PS_ROUTE_FOUND);
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "N"), "000"));
    cr_assert_eq(ps_router_match(r, PS_STR("GET"), PS_STR("/tile/entries/x001/002"), &req, NULL),
                 PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &rt[1]);
    cr_assert(ps_str_eq_cstr(ps_req_param(&req, "N"), "x001/002"));
    /* a fixed segment count beats the catch-all at the same rank; static beats both */
    cr_assert_eq(ps_router_match(r, PS_STR("GET"), PS_STR("/tile/5/fixed"), &req, NULL),
                 PS_ROUTE_FOUND);
    cr_assert_eq(req.route, &rt[2]);
    /* the rest is at least one segment, and the usual path rules still hold */
    cr_assert_eq(ps_router_match(r, PS_STR("GET"), PS_STR("/tile/0"), &req, NULL),
                 PS_ROUTE_NO_PATH);
    cr_assert_eq(ps_router_match(r, PS_STR("GET"), PS_STR("/tile/0/000/"), &req, NULL),
                 PS_ROUTE_NO_PATH);
    cr_assert_eq(ps_router_match(r, PS_STR("GET"), PS_STR("/tile/0/a/../b"), &req, NULL),
                 PS_ROUTE_NO_PATH);
    const char *allow = NULL;
    cr_assert_eq(ps_router_match(r, PS_STR("POST"), PS_STR("/tile/0/000/1"), &req, &allow),
                 PS_ROUTE_NO_METHOD);
    cr_assert_str_eq(allow, "GET, HEAD");
    ps_router_free(r);
    /* "..." only on the last segment */
    static const struct ps_route bad[] = {{"GET", "/a/{x...}/b", NULL, 0, h_any, 0}};
    cr_assert_eq(ps_router_new(bad, 1, &r, &d), PS_ERR_INVALID);
}
