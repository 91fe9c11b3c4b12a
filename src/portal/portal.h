/* The portal: server-rendered HTML pages at / (the API stays under /api), served by the same
 * program with the same route table, dispatcher and policy as the API (docs/internals/
 * portal.md). Pages are compiled templates (web/templates) in Ukrainian and English
 * (po/uk.po, po/en.po), static files are embedded (web/static). This header is what `serve` needs: the
 * site's whole route table and the portal's settings. */
#ifndef PS_PORTAL_PORTAL_H
#define PS_PORTAL_PORTAL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "http/http.h"

/* What the portal needs beyond the application (struct ps_app: the relying party gives the
 * public URL, `demo` the demo people). */
struct ps_portal_opts {
    const char *version;
};

struct ps_portal;

/* The portal's state for one server, from o (copied). Errors: PS_ERR_INVALID (a version
 * string longer than 31 bytes), PS_ERR_NOMEM. Caller frees with ps_portal_free after the
 * server stopped. */
enum ps_err ps_portal_new(const struct ps_portal_opts *o, struct ps_portal **out,
                          struct ps_diag *diag) PS_WUR;
/* NULL is a no-op. */
void ps_portal_free(struct ps_portal *p);

/* Every route the server serves: the API's (ps_api_routes) and the portal's, ending with the
 * fallbacks that answer unknown paths (the portal's 404 page for browsers, problem+json
 * otherwise, and 405 with Allow for a known path and another method). Static storage, built
 * on first call (thread-safe); n gets the count. */
const struct ps_route *ps_portal_site_routes(size_t *n);

#endif
