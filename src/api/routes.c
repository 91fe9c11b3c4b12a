/* The route table of the JSON API. Every route here is described in openapi.json; a unit test
 * fails when the two disagree. */
#include "api/api_int.h"

extern const char ps_openapi_json[];
extern const size_t ps_openapi_json_len;

static const struct ps_route routes[] = {
    {"GET", "/healthz", NULL, 0, ps_api_healthz, 0},
    {"GET", "/readyz", NULL, 0, ps_api_readyz, 0},
    {"GET", "/metrics", NULL, 0, ps_api_metrics, 0},
    {"GET", "/api/openapi.json", NULL, 0, ps_api_openapi_get, 0},
    {"GET", "/api/v1/registry/persons/{rnokpp}", NULL, PS_ROUTE_ADMIN, ps_api_person_get, 0},
    {"POST", "/api/v1/registry/persons", NULL, PS_ROUTE_ADMIN, ps_api_person_post, 16 * 1024},
    {"GET", "/api/v1/registry/persons/{rnokpp}/access-log", NULL, PS_ROUTE_ADMIN,
     ps_api_person_access_log, 0},
    /* the transparency log: C2SP checkpoint and tlog-tiles at the root, as clients expect */
    {"GET", "/checkpoint", NULL, 0, ps_api_log_checkpoint, 0},
    {"GET", "/tile/{L}/{N...}", NULL, 0, ps_api_log_tile, 0},
    {"GET", "/tile/entries/{N...}", NULL, 0, ps_api_log_entries, 0},
    {"GET", "/.well-known/pocketstate/log-key", NULL, 0, ps_api_log_key, 0},
    {"GET", "/api/v1/log/proof/inclusion", NULL, 0, ps_api_log_inclusion, 0},
    {"GET", "/api/v1/log/proof/consistency", NULL, 0, ps_api_log_consistency, 0},
    {"POST", "/api/v1/log/cosignatures", NULL, 0, ps_api_log_cosign, 64u << 10},
};

const struct ps_route *ps_api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

static void not_ready(struct ps_req *req)
{
    ps_resp_header(req, "Retry-After", "2");
    ps_resp_problem(req, 503, "not-ready", "Not ready",
                    "the database is not reachable yet; the server keeps trying");
}

static const struct ps_route starting[] = {
    {"GET", "/healthz", NULL, 0, ps_api_healthz, 0},
    {"GET", "/readyz", NULL, 0, not_ready, 0},
    {"GET", "/{path...}", NULL, 0, not_ready, 0},
    {"POST", "/{path...}", NULL, 0, not_ready, 0},
};

const struct ps_route *ps_api_starting_routes(size_t *n)
{
    *n = sizeof starting / sizeof starting[0];
    return starting;
}

struct ps_str ps_api_openapi(void)
{
    return (struct ps_str){ps_openapi_json, ps_openapi_json_len};
}
