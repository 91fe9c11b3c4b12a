/* The portal as an installable web app that keeps the person's documents on the device: the
 * web app manifest and the service worker (web/static/sw.js), both at the site's root, since a
 * service worker controls only the paths under its own (docs/internals/portal.md, "Documents
 * pages"). Neither may be cached for long: a new version must reach the phone. */
#include <string.h>

#include "portal/documents_int.h"

void ps_portal_service_worker(struct ps_req *req)
{
    const struct ps_asset *a = ps_asset_by_name("sw.js");
    PS_ASSERT(a); /* embedded at build time */
    ps_resp_bytes(req, 200, a->mime, (struct ps_str){(const char *)a->data, a->len});
    ps_portal_headers(req, "no-cache");
}

void ps_portal_manifest(struct ps_req *req)
{
    const struct ps_asset *icon = ps_asset_by_name("icon.svg");
    PS_ASSERT(icon);
    char *m = ps_arena_printf(
        req->arena,
        "{\"name\":\"PocketState\",\"short_name\":\"PocketState\",\"id\":\"/\","
        "\"start_url\":\"/me/documents\",\"scope\":\"/\",\"display\":\"standalone\","
        "\"background_color\":\"#ffffff\",\"theme_color\":\"#0b3d91\","
        "\"icons\":[{\"src\":\"%s\",\"sizes\":\"any\",\"type\":\"image/svg+xml\"}]}\n",
        icon->url);
    if (!m) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return;
    }
    ps_resp_bytes(req, 200, "application/manifest+json", ps_str_from_cstr(m));
    ps_portal_headers(req, "public, max-age=3600");
}
