/* `pocketstate routes`: the route table, one "METHOD /pattern" line each, so that operators
 * and the HTTP tests can compare what is served with the OpenAPI document. */
#include <stdio.h>

#include "api/api.h"
#include "cli/cli.h"

static int run(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    size_t n;
    const struct ps_route *routes = ps_api_routes(&n);
    for (size_t i = 0; i < n; i++)
        printf("%s %s\n", routes[i].method, routes[i].pattern);
    return PS_EXIT_OK;
}

const struct ps_cli_cmd ps_cli_cmd_routes = {
    .name = "routes",
    .summary = "list the HTTP routes the server serves",
    .help = "Prints one line per route: the method and the path pattern ({name} is a path\n"
            "parameter). /api/openapi.json describes the same routes.",
    .flags = NULL,
    .nflags = 0,
    .run = run,
};
