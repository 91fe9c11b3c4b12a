/* The portal's routes, the site's whole table (the API's routes, the portal's, the
 * fallbacks), the fallback that answers unknown paths, the static files, and the portal's
 * state. Pages take the session cookie when there is one (PS_CRED_PAGE); a person's own
 * pages need it (PS_CRED_PAGE | PS_CRED_SESSION). Their actions are the policy's: the public
 * pages "portal.read", the person's pages the API's "me.read"/"me.write", the ceremonies
 * "auth.*" (with their abuse limits), the official's lookup "person.read" like the API's
 * read. State-changing pages are POST routes with max_body PS_FORM_ROUTE_MAX. */
#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "portal/documents_int.h"
#include "portal/portal_int.h"
#include "portal/svc_pages.h"

#define STATIC_CACHE "public, max-age=31536000, immutable"

#define PAGE PS_CRED_PAGE
#define SIGNED_IN (PS_CRED_PAGE | PS_CRED_SESSION)
#define FORM PS_FORM_ROUTE_MAX

static const struct ps_route pages[] = {
    {"GET", "/", "portal.read", PAGE, ps_portal_home, 0},
    {"GET", "/about", "portal.read", PAGE, ps_portal_about, 0},
    {"GET", "/transparency", "portal.read", PAGE, ps_portal_transparency, 0},
    {"GET", "/transparency/record", "portal.read", PAGE, ps_portal_record, 0},
    {"GET", "/static/{file}", "portal.read", 0, ps_portal_static, 0},
    {"GET", "/sw.js", "portal.read", 0, ps_portal_service_worker, 0},
    {"GET", "/manifest.webmanifest", "portal.read", 0, ps_portal_manifest, 0},
    /* signing in and out, enrolling */
    {"GET", "/signin", "portal.read", PAGE, ps_portal_signin, 0},
    {"POST", "/signin", "auth.signin", PAGE, ps_portal_signin_post, FORM},
    {"POST", "/signin/demo", "auth.signin", PAGE, ps_portal_demo_signin, FORM},
    {"POST", "/signout", "portal.signout", PAGE, ps_portal_signout, FORM},
    {"GET", "/enrol", "portal.read", PAGE, ps_portal_enrol, 0},
    {"POST", "/enrol", "auth.enrol", PAGE, ps_portal_enrol_post, FORM},
    {"POST", "/enrol/passkey", "auth.enrol", PAGE, ps_portal_enrol_passkey, FORM},
    /* the person's own pages */
    {"GET", "/me", "me.read", SIGNED_IN, ps_portal_me, 0},
    {"GET", "/me/access", "me.read", SIGNED_IN, ps_portal_access, 0},
    {"GET", "/me/passkeys", "me.read", SIGNED_IN, ps_portal_passkeys, 0},
    {"GET", "/me/passkeys/{id}/rename", "me.read", SIGNED_IN, ps_portal_passkey_rename, 0},
    {"POST", "/me/passkeys/{id}/rename", "me.write", SIGNED_IN, ps_portal_passkey_rename_post,
     FORM},
    {"GET", "/me/passkeys/{id}/remove", "me.read", SIGNED_IN, ps_portal_passkey_remove, 0},
    {"POST", "/me/passkeys/{id}/remove", "me.write", SIGNED_IN, ps_portal_passkey_remove_post,
     FORM},
    {"GET", "/me/sessions", "me.read", SIGNED_IN, ps_portal_sessions, 0},
    {"POST", "/me/sessions", "me.write", SIGNED_IN, ps_portal_sessions_post, FORM},
    /* documents: the holder's, the public verify page, the officials' (documents_int.h) */
    {"GET", "/me/documents", "document.own.read", SIGNED_IN, ps_portal_documents, 0},
    {"GET", "/me/documents/{id}", "document.own.read", SIGNED_IN, ps_portal_document, 0},
    {"POST", "/me/documents/{id}/share", "document.own.write", SIGNED_IN,
     ps_portal_document_share, FORM},
    {"GET", "/verify", "portal.read", PAGE, ps_portal_verify, 0},
    {"GET", "/verify/{code}", "portal.read", PAGE, ps_portal_verify_code, 0},
    {"POST", "/verify", "document.share.redeem-public", PAGE, ps_portal_verify_post, FORM},
    {"POST", "/verify/image", "portal.read", PAGE, ps_portal_verify_image, PS_VERIFY_IMAGE_ROUTE_MAX},
    {"GET", "/official/documents", "official.work", SIGNED_IN, ps_portal_official_documents, 0},
    {"POST", "/official/documents", "document.list", SIGNED_IN,
     ps_portal_official_documents_post, FORM},
    {"GET", "/official/agencies/{agency}/documents/{id}/status", "official.work", SIGNED_IN,
     ps_portal_official_document_status, 0},
    {"POST", "/official/agencies/{agency}/documents/{id}/status", "document.status.change",
     SIGNED_IN, ps_portal_official_document_status, FORM},
    /* officials */
    {"GET", "/official", "official.work", SIGNED_IN, ps_portal_official, 0},
    {"POST", "/official", "person.read", SIGNED_IN, ps_portal_official_post, FORM},
    /* public services (svc_pages.h): the engine's actions, as its API routes */
    {"GET", "/services", "portal.read", PAGE, ps_portal_services, 0},
    {"GET", "/services/{id}", "portal.read", PAGE, ps_portal_service, 0},
    {"GET", "/services/{id}/start", "portal.read", PAGE, ps_portal_service, 0},
    {"POST", "/services/{id}/start", "application.write", SIGNED_IN, ps_portal_service_start,
     FORM},
    {"GET", "/me/applications", "application.read", SIGNED_IN, ps_portal_apps, 0},
    {"GET", "/me/applications/{id}", "application.read", SIGNED_IN, ps_portal_app, 0},
    {"GET", "/me/applications/{id}/pages/{page}", "application.read", SIGNED_IN,
     ps_portal_app_page, 0},
    {"POST", "/me/applications/{id}/pages/{page}", "application.write", SIGNED_IN,
     ps_portal_app_page_post, FORM},
    {"GET", "/me/applications/{id}/check", "application.read", SIGNED_IN, ps_portal_app_check,
     0},
    {"GET", "/me/applications/{id}/submit", "application.read", SIGNED_IN, ps_portal_app_check,
     0},
    {"POST", "/me/applications/{id}/submit", "application.write", SIGNED_IN,
     ps_portal_app_submit, FORM},
    {"GET", "/me/applications/{id}/confirmation", "application.read", SIGNED_IN,
     ps_portal_app_confirmation, 0},
    {"GET", "/me/applications/{id}/consent", "application.read", SIGNED_IN, ps_portal_app, 0},
    {"POST", "/me/applications/{id}/consent", "application.write", SIGNED_IN,
     ps_portal_app_consent, FORM},
    {"GET", "/me/inbox", "me.read", SIGNED_IN, ps_portal_inbox, 0},
    {"GET", "/me/inbox/{id}/read", "me.read", SIGNED_IN, ps_portal_inbox, 0},
    {"POST", "/me/inbox/{id}/read", "me.write", SIGNED_IN, ps_portal_inbox_read, FORM},
    {"GET", "/official/queue", "official.work", SIGNED_IN, ps_portal_queue, 0},
    {"GET", "/official/tasks/{id}", "official.work", SIGNED_IN, ps_portal_task, 0},
    {"GET", "/official/tasks/{id}/claim", "official.work", SIGNED_IN, ps_portal_task, 0},
    {"POST", "/official/tasks/{id}/claim", "task.decide", SIGNED_IN, ps_portal_task_claim, FORM},
    {"GET", "/official/tasks/{id}/decision", "official.work", SIGNED_IN, ps_portal_task, 0},
    {"POST", "/official/tasks/{id}/decision", "task.decide", SIGNED_IN, ps_portal_task_decide,
     FORM},
    {"GET", "/official/slots/{agency}", "official.work", SIGNED_IN, ps_portal_slots, 0},
    {"POST", "/official/slots/{agency}", "slot.add", SIGNED_IN, ps_portal_slots_post, FORM},
};

/* Unknown paths, for every method a client commonly sends (HEAD falls back to GET). The
 * router ranks these below every other route, so they see only what nothing else matched. */
static const struct ps_route fallbacks[] = {
    {"GET", "/{path...}", "portal.read", 0, ps_portal_fallback, 0},
    {"POST", "/{path...}", "portal.read", 0, ps_portal_fallback, 0},
    {"PUT", "/{path...}", "portal.read", 0, ps_portal_fallback, 0},
    {"PATCH", "/{path...}", "portal.read", 0, ps_portal_fallback, 0},
    {"DELETE", "/{path...}", "portal.read", 0, ps_portal_fallback, 0},
    {"OPTIONS", "/{path...}", "portal.read", 0, ps_portal_fallback, 0},
};

#define NPAGES (sizeof pages / sizeof pages[0])
#define NFALLBACKS (sizeof fallbacks / sizeof fallbacks[0])

/* api + pages (+ fallbacks) into a new array; n gets its length. NULL when out of memory. */
static struct ps_route *table(bool with_fallbacks, size_t *n)
{
    size_t na;
    const struct ps_route *api = ps_api_routes(&na);
    *n = na + NPAGES + (with_fallbacks ? NFALLBACKS : 0);
    struct ps_route *t = ps_calloc(*n, sizeof *t);
    if (!t)
        return NULL;
    memcpy(t, api, na * sizeof *t);
    memcpy(t + na, pages, sizeof pages);
    if (with_fallbacks)
        memcpy(t + na + NPAGES, fallbacks, sizeof fallbacks);
    return t;
}

static struct ps_route *site;
static size_t nsite;
static pthread_once_t site_once = PTHREAD_ONCE_INIT;

static void site_build(void)
{
    site = table(true, &nsite); /* lives as long as the process */
    PS_ASSERT(site);
}

const struct ps_route *ps_portal_site_routes(size_t *n)
{
    pthread_once(&site_once, site_build);
    *n = nsite;
    return site;
}

/* ---- the portal's state ---- */

enum ps_err ps_portal_new(const struct ps_portal_opts *o, struct ps_portal **out,
                          struct ps_diag *diag)
{
    struct ps_portal *p = ps_calloc(1, sizeof *p);
    size_t n = 0;
    *out = NULL;
    if (!p)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = PS_OK;
    if (ps_str_copy(p->version, sizeof p->version, ps_str_from_cstr(o->version)) != PS_OK)
        e = ps_diag_set(diag, PS_ERR_INVALID, "version too long");
    if (e == PS_OK) {
        p->routes = table(false, &n);
        e = p->routes ? ps_router_new(p->routes, n, &p->router, diag)
                      : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    if (e != PS_OK) {
        ps_portal_free(p);
        return e;
    }
    *out = p;
    return PS_OK;
}

void ps_portal_free(struct ps_portal *p)
{
    if (!p)
        return;
    ps_router_free(p->router);
    ps_free(p->routes);
    ps_free(p);
}

/* ---- unknown paths ---- */

static void not_found(struct ps_req *req)
{
    if (!ps_portal_wants_html(req)) {
        ps_resp_problem(req, 404, "not-found", "Not Found", "no resource at this path");
        return;
    }
    struct ps_page *pg = ps_page_new(req, N_("Page not found"), NULL);
    if (!pg)
        return;
    struct ps_tpl_not_found v = {.path = req->path};
    ps_page_send(pg, 404, ps_tpl_not_found_slot(&v));
}

/* What the server would have answered without the fallbacks: 405 with Allow when another
 * method has a route at this path, else 404; a page for browsers, problem+json otherwise. */
void ps_portal_fallback(struct ps_req *req)
{
    struct ps_app *app = req->app;
    const char *allow = NULL;
    enum ps_route_match m = PS_ROUTE_NO_PATH;
    if (app && app->portal)
        m = ps_router_match(app->portal->router, req->method, req->path, NULL, &allow);
    if (m != PS_ROUTE_NO_METHOD || !allow) {
        not_found(req);
        return;
    }
    ps_resp_header(req, "Allow", allow);
    if (!ps_portal_wants_html(req)) {
        ps_resp_problem(req, 405, "method-not-allowed", "Method Not Allowed",
                        "the resource does not support this method");
        return;
    }
    ps_portal_error(req, 405, N_("This page cannot do that"),
                    N_("The address exists, but not for what your browser asked. Go back and "
                       "try again."));
}

/* ---- how the dispatcher answers browsers on pages ---- */

static const struct ps_api_pages page_hooks = {
    .wants_html = ps_portal_wants_html,
    .signin = ps_portal_signin_redirect,
    .forbidden = ps_portal_forbidden,
    .limited = ps_portal_limited,
};

const struct ps_api_pages *ps_portal_pages(void)
{
    return &page_hooks;
}

/* ---- static files ---- */

void ps_portal_static(struct ps_req *req)
{
    const struct ps_asset *a = ps_asset_by_file(ps_req_param(req, "file"));
    if (!a) {
        not_found(req);
        return;
    }
    ps_resp_bytes(req, 200, a->mime, (struct ps_str){(const char *)a->data, a->len});
    ps_portal_headers(req, STATIC_CACHE);
}
