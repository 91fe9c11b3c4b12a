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
#include "registries/persons.h"

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

#define PS_PAGE_NAV_MAX 16
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

/* Seconds since the epoch of an RFC 3339 UTC time as the log writes it
 * ("2026-12-03T14:05:09.123Z"); 0 when it does not read as that. */
int64_t ps_portal_time_s(struct ps_str rfc3339);

/* ---- signing in and back (signin.c) ---- */

/* True when next is a path of this site to go to after signing in: "/..." of at most 512
 * printable ASCII bytes, not "//" or "/\" (another host), not the sign-in or sign-out page. */
bool ps_portal_next_ok(struct ps_str next);
/* The dispatcher's answer to a browser on a page that needs a session when there is none
 * (struct ps_api_pages.signin): 303 to /signin?next=<this page, with its query for a GET>; a
 * POSTed form's values (never a passkey credential) go into the draft cookie (HttpOnly,
 * SameSite=Strict, 15 minutes) for the form's page. */
void ps_portal_signin_redirect(struct ps_req *req);
/* On a form's page (GET, at the path the form posts to): fills f from the draft cookie when
 * it was kept for this path, clears the cookie (read once) and sets the notice that says so.
 * True when it filled the form. (page.c) */
bool ps_page_draft(struct ps_page *pg, struct ps_form *f);
/* A form posted to a page whose session had ended: its values (not a passkey's credential)
 * into the draft cookie, "_path=<page>&name=value...", re-encoded. Nothing when the body is
 * not a form we could read or the draft would be too large. (page.c) */
void ps_page_draft_save(struct ps_page *pg);
/* s percent-encoded (everything but unreserved characters) into the arena; PS_STR_NULL when
 * it is exhausted. (page.c) */
struct ps_str ps_page_url_part(struct ps_arena *a, struct ps_str s);
/* The dispatcher's 403 (reason NULL: a change from another site) and 429 pages for browsers
 * (struct ps_api_pages, ps_portal_pages in routes.c). (page.c) */
void ps_portal_forbidden(struct ps_req *req, const char *reason);
void ps_portal_limited(struct ps_req *req, unsigned retry_s);

/* ---- who used my data (access.c) ---- */

/* One record of "who used my data" as the page words it. Borrowed strings. */
struct ps_portal_access {
    struct ps_str subject;               /* whose page it is (their RNOKPP) */
    struct ps_str actor_kind, actor_id;  /* as the log records them */
    struct ps_str role, agency;          /* an official's role; the official's or system's
                                          * agency (the log's code, or its name to word it) */
    struct ps_str action, purpose;       /* purpose: a change's reason when change */
    int64_t at_s;
    bool change;
};
struct ps_tlog_subject_row;
/* The record of row (a row of ps_tlog_subject_rows about subject): the one place that maps
 * what the log stores to what the sentence needs. */
void ps_portal_access_of_row(const struct ps_tlog_subject_row *row, struct ps_str subject,
                             struct ps_portal_access *out);
/* The sentence for r in lang ("An official of the Pension Fund, role registrar, read your
 * record on 3 December 2026 at 14:02 UTC, purpose: pension review"), in the arena. */
struct ps_str ps_portal_access_text(const struct ps_portal_access *r, enum ps_lang lang,
                                    struct ps_arena *a);
/* ---- words several pages share (text.c) ---- */

/* An official role's name in lang ("registrar", "реєстратор"); unknown names as they are. */
struct ps_str ps_portal_role_text(enum ps_lang lang, struct ps_str role);

/* An agency's name in lang (the English one on pages that are not Ukrainian, when it has
 * one) from list, or code when it is not there. Borrowed. */
struct ps_agency;
struct ps_str ps_portal_agency_name(enum ps_lang lang, const struct ps_agency *list, size_t n,
                                    struct ps_str code);
/* The msgids of a person's sex and status as pages show them. */
const char *ps_portal_sex_msg(enum ps_sex sex);
const char *ps_portal_status_msg(enum ps_person_status s);

/* ---- handlers (routes.c names them) ---- */
void ps_portal_home(struct ps_req *req);
void ps_portal_about(struct ps_req *req);
void ps_portal_transparency(struct ps_req *req);
void ps_portal_record(struct ps_req *req);
void ps_portal_static(struct ps_req *req);
void ps_portal_fallback(struct ps_req *req);
/* signin.c */
void ps_portal_signin(struct ps_req *req);
void ps_portal_signin_post(struct ps_req *req);
void ps_portal_demo_signin(struct ps_req *req);
void ps_portal_signout(struct ps_req *req);
void ps_portal_enrol(struct ps_req *req);
void ps_portal_enrol_post(struct ps_req *req);
void ps_portal_enrol_passkey(struct ps_req *req);
/* account.c */
void ps_portal_me(struct ps_req *req);
void ps_portal_passkeys(struct ps_req *req);
void ps_portal_passkey_rename(struct ps_req *req);
void ps_portal_passkey_rename_post(struct ps_req *req);
void ps_portal_passkey_remove(struct ps_req *req);
void ps_portal_passkey_remove_post(struct ps_req *req);
void ps_portal_sessions(struct ps_req *req);
void ps_portal_sessions_post(struct ps_req *req);
/* access.c, official.c */
void ps_portal_access(struct ps_req *req);
void ps_portal_official(struct ps_req *req);
void ps_portal_official_post(struct ps_req *req);

#endif
