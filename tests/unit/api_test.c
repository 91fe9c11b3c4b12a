/* The OpenAPI document and the route table describe the same API: every route is documented
 * and every documented operation is served. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "api/api.h"

static json_t *load_doc(void)
{
    struct ps_str doc = ps_api_openapi();
    json_error_t err;
    json_t *root = json_loadb(doc.p, doc.len, JSON_REJECT_DUPLICATES, &err);
    cr_assert_not_null(root, "openapi.json does not parse: %s (line %d)", err.text, err.line);
    return root;
}

static void lower(const char *in, char *out, size_t cap)
{
    size_t i = 0;
    for (; in[i] && i + 1 < cap; i++)
        out[i] = (char)((in[i] >= 'A' && in[i] <= 'Z') ? in[i] - 'A' + 'a' : in[i]);
    out[i] = '\0';
}

Test(openapi, is_openapi_3_1)
{
    json_t *root = load_doc();
    const char *v = json_string_value(json_object_get(root, "openapi"));
    cr_assert_not_null(v);
    cr_assert(strncmp(v, "3.1.", 4) == 0, "openapi version is %s", v);
    json_decref(root);
}

Test(openapi, every_route_is_documented)
{
    json_t *root = load_doc();
    json_t *paths = json_object_get(root, "paths");
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    cr_assert_gt(n, 0);
    for (size_t i = 0; i < n; i++) {
        char method[16];
        lower(routes[i].method, method, sizeof method);
        json_t *item = json_object_get(paths, routes[i].pattern);
        cr_expect_not_null(item, "route %s %s is not in openapi.json", routes[i].method,
                           routes[i].pattern);
        if (item)
            cr_expect_not_null(json_object_get(item, method),
                               "route %s %s: method missing in openapi.json",
                               routes[i].method, routes[i].pattern);
    }
    json_decref(root);
}

Test(openapi, every_documented_operation_is_served)
{
    static const char *const methods[] = {"get", "put", "post", "delete", "patch", "head",
                                          "options", "trace"};
    json_t *root = load_doc();
    json_t *paths = json_object_get(root, "paths");
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    const char *path;
    json_t *item;
    json_object_foreach(paths, path, item) {
        for (size_t m = 0; m < sizeof methods / sizeof methods[0]; m++) {
            if (!json_object_get(item, methods[m]))
                continue;
            int found = 0;
            for (size_t i = 0; i < n && !found; i++) {
                char method[16];
                lower(routes[i].method, method, sizeof method);
                found = strcmp(routes[i].pattern, path) == 0 && strcmp(method, methods[m]) == 0;
            }
            cr_expect(found, "openapi.json documents %s %s but no route serves it", methods[m],
                      path);
        }
    }
    json_decref(root);
}

Test(openapi, admin_routes_declare_security)
{
    json_t *root = load_doc();
    json_t *paths = json_object_get(root, "paths");
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    for (size_t i = 0; i < n; i++) {
        if (!(routes[i].flags & PS_ROUTE_ADMIN))
            continue;
        char method[16];
        lower(routes[i].method, method, sizeof method);
        json_t *op = json_object_get(json_object_get(paths, routes[i].pattern), method);
        cr_expect_not_null(json_object_get(op, "security"), "%s %s needs a security entry",
                           routes[i].method, routes[i].pattern);
    }
    json_decref(root);
}
