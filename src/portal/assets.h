/* The static files of web/static, embedded at build time (scripts/portal_gen.py) and served at
 * /static/NAME.HASH.EXT, the hash being the first 10 hex digits of the SHA-256 of the content:
 * a changed file gets a new URL, so every URL can be cached for a year as immutable. */
#ifndef PS_PORTAL_ASSETS_H
#define PS_PORTAL_ASSETS_H

#include <stddef.h>

#include "core/str.h"

struct ps_asset {
    const char *name; /* "portal.css" (as in web/static) */
    const char *url;  /* "/static/portal.0123456789.css" */
    const char *mime; /* Content-Type */
    const unsigned char *data;
    size_t len;
};
extern const struct ps_asset ps_assets[];
extern const size_t ps_nassets;

/* The asset whose URL's last segment is file ("portal.0123456789.css"), or NULL. */
const struct ps_asset *ps_asset_by_file(struct ps_str file);
/* The asset named name ("passkey.js"), or NULL. For pages that load a script. */
const struct ps_asset *ps_asset_by_name(const char *name);

#endif
