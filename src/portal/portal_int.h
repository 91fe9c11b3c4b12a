/* Private to src/portal: the portal's state, and the page helpers every page handler uses
 * (docs/internals/portal.md, "Pages"). A handler:
 *
 *   struct ps_page *pg = ps_page_new(req, N_("About PocketState"), "/about");
 *   if (!pg) return;                          // it answered 500
 *   struct ps_tpl_about v = {...};            // the page template's fields
 *   ps_page_send(pg, 200, ps_tpl_about_slot(&v));
 *
 * ps_page_new picks the language (?lang=, then the lang cookie, then Accept-Language), fills
 * the layout (title, navigation, language switch, demo banner, and with identity the
 * signed-in person); ps_page_send renders layout and page straight into the response with the
 * security headers. Pages that read the store use ps_api_read_or/ps_api_write_or with
 * ps_page_failed, so that a failure is an HTML page too. */
#ifndef PS_PORTAL_PORTAL_INT_H
#define PS_PORTAL_PORTAL_INT_H

#include <stdbool.h>

#include "api/api_int.h"
#include "http/http.h"
#include "portal/assets.h"
#include "portal/form.h"
#include "portal/i18n.h"
#include "portal/portal.h"
#include "portal/portal_gen.h"
#include "portal/tpl.h"

struct ps_portal {
    char version[32];
    /* the site's routes without the fallbacks, to tell 404 from 405 */
    struct ps_route *routes;
    struct ps_router *router;
};

/* The Content-Security-Policy of every page and static file: nothing inline, nothing from
 * another origin, no framing. */
#define PS_PORTAL_CSP                                                                        \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "        \
    "frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
#define PS_PORTAL_LANG_COOKIE_AGE "31536000" /* a year */

#define PS_PAGE_NAV_MAX 8
#define PS_PAGE_SCRIPTS_MAX 2

struct ps_page {
    struct ps_req *req;
    const struct ps_portal *portal; /* NULL when the app has none (unit tests) */
    const struct ps_rp *rp;         /* the relying party: public URL, origin, https; NULL or
                                     * an empty url when the app has none (unit tests) */
    enum ps_lang lang;
    bool lang_chosen;               /* ?lang= named it: remember it in the cookie */
    const char *cache;              /* Cache-Control; "no-store" unless a page says else */
    struct ps_tpl_layout layout;
    struct ps_tpl_layout_nav nav[PS_PAGE_NAV_MAX];
    struct ps_tpl_layout_errors errors[PS_FORM_MAX_FIELDS];
    struct ps_tpl_layout_scripts scripts[PS_PAGE_SCRIPTS_MAX];
};

/* ---- pages (page.c) ---- */

/* A page for req titled title (a N_() msgid; the page's h1 says the same), with nav_href the
 * navigation entry to mark current (NULL: none). In the request's arena; NULL after answering
 * 500 (out of memory). */
struct ps_page *ps_page_new(struct ps_req *req, const char *title, const char *nav_href);
/* msgid in the page's language. */
const char *ps_page_t(const struct ps_page *pg, const char *msgid);
/* Renders the layout around body with status, the security headers and, when ?lang= chose
 * the language, the lang cookie. A page too large for the response, or a render error, is a
 * 500 (logged). */
void ps_page_send(struct ps_page *pg, int status, struct ps_tpl_slot body);
/* Loads web/static/name (a script: passkey.js) on this page, deferred, from its hashed URL. */
void ps_page_script(struct ps_page *pg, const char *name);
/* The form's messages into the error summary (and so "Error:" in the title). */
void ps_page_form_errors(struct ps_page *pg, const struct ps_form *f);
/* 303 See Other to location (a path of this site): post/redirect/get after a change. */
void ps_page_redirect(struct ps_page *pg, const char *location);
/* The error page: status, a heading and a message (N_() msgids). */
void ps_page_error(struct ps_page *pg, int status, const char *heading, const char *message);
/* The same for a request that has no page yet. */
void ps_portal_error(struct ps_req *req, int status, const char *heading, const char *message);

/* A GET form's values from the query string (ps_form_fill), or false after answering 400
 * (bad encoding, not UTF-8) or 413 (too many fields). */
bool ps_page_query_form(struct ps_page *pg, struct ps_form *f);
/* A POST form (the convention for every state-changing portal route: the route's max_body is
 * PS_FORM_ROUTE_MAX): checks Origin, the media type, size, encoding and UTF-8 (ps_form_read)
 * and fills f; false after answering 403, 415, 413 or 400 with a page that says what to do. */
bool ps_page_post_form(struct ps_page *pg, struct ps_form *f);

/* For ps_api_read_or/ps_api_write_or: a failed domain operation as an HTML page (404 for
 * NOTFOUND, 400 for INVALID/LIMIT, 403 DENIED, 503 with Retry-After when the store is busy
 * or unreachable, the outcome-unknown page for a lost commit, else 500, logged). ctx is the
 * operation's context, whose first member must be the struct ps_page pointer. */
void ps_page_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                    const struct ps_diag *store, enum ps_err result);

/* Whether this request wants HTML (a browser): Accept names text/html and the path is not
 * under /api. */
bool ps_portal_wants_html(struct ps_req *req);
/* The security headers (ps_page_send and the static files add them), with cache as
 * Cache-Control. */
void ps_portal_headers(struct ps_req *req, const char *cache);

/* ---- handlers (routes.c names them) ---- */
void ps_portal_home(struct ps_req *req);
void ps_portal_about(struct ps_req *req);
void ps_portal_transparency(struct ps_req *req);
void ps_portal_record(struct ps_req *req);
void ps_portal_static(struct ps_req *req);
void ps_portal_fallback(struct ps_req *req);

#endif
