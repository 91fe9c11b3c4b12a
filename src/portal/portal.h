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
#include "registries/date.h"

#define PS_PORTAL_DEMO_MAX 8       /* demo people shown on the home page */
#define PS_PORTAL_NAME_MAX 320     /* a person's full name, bytes */
#define PS_PORTAL_ORIGIN_MAX 256   /* "https://host:port" */

/* A person of the demo population, as `pocketstate demo` generated them (nothing read from
 * the registry: showing them records no access). */
struct ps_portal_person {
    char rnokpp[11];
    char name[PS_PORTAL_NAME_MAX];       /* Ukrainian: surname, given name, patronymic */
    char name_latin[PS_PORTAL_NAME_MAX]; /* the official transliteration */
    struct ps_date birth_date;
};

struct ps_portal_opts {
    /* The address citizens use ("https://portal.example.gov.ua"); NULL or "": none is
     * configured and the site is plain http on its listen address (no HSTS, Origin checked
     * against Host). An https URL turns on HSTS and Secure cookies. */
    const char *public_url;
    const char *version;
    bool demo; /* serving `pocketstate demo`: the banner on every page */
    const struct ps_portal_person *people; /* copied */
    size_t npeople;                        /* at most PS_PORTAL_DEMO_MAX (more are dropped) */
};

struct ps_portal;

/* The portal's state for one server, from o (copied). Errors: PS_ERR_INVALID (a public URL
 * that is not http(s)://host[:port][/]), PS_ERR_NOMEM. Caller frees with ps_portal_free
 * after the server stopped. */
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
