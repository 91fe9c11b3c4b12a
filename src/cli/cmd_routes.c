/* `pocketstate routes`: the route table (the API's and the portal's), one line each: method, path pattern, the policy's
 * action and the credentials the route accepts, so that operators and the HTTP tests can
 * compare what is served with the OpenAPI document and see who may call what. */
#include <stdio.h>

#include "api/api.h"
#include "cli/cli.h"
#include "portal/portal.h"

static int run(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    size_t n;
    const struct ps_route *routes = ps_portal_site_routes(&n);
    for (size_t i = 0; i < n; i++) {
        char creds[64];
        ps_api_creds_text(routes[i].creds, creds, sizeof creds);
        printf("%-6s %-50s %-18s %s\n", routes[i].method, routes[i].pattern, routes[i].action,
               creds);
    }
    return PS_EXIT_OK;
}

const struct ps_cli_cmd ps_cli_cmd_routes = {
    .name = "routes",
    .summary = "list the HTTP routes the server serves",
    .help = "Prints one line per route: the method, the path pattern ({name} is a path\n"
            "parameter), the action the access policy decides on, and the credentials the\n"
            "route accepts (public: none needed). /api/openapi.json describes the API's routes\n"
            "(the portal's actions start with \"portal.\").",
    .flags = NULL,
    .nflags = 0,
    .run = run,
};
