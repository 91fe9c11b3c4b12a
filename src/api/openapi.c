/* The OpenAPI 3.1 document (openapi.json, embedded at build time) and its route. */
#include "api/api_int.h"

extern const char ps_openapi_json[];
extern const size_t ps_openapi_json_len;

struct ps_str ps_api_openapi(void)
{
    return (struct ps_str){ps_openapi_json, ps_openapi_json_len};
}

void ps_api_openapi_get(struct ps_req *req)
{
    ps_resp_json(req, 200, ps_api_openapi());
}
