/* Pages: language choice, the layout's fields, rendering into the response with the security
 * headers, error pages, forms on pages, and the HTML answer to a failed domain operation. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "portal/portal_int.h"
#include "registries/persons.h"

/* Who sees a navigation entry. */
#define NAV_ANYONE 0
#define NAV_SIGNED_IN 1 /* a person signed in */
#define NAV_OFFICIAL 2  /* a person signed in who holds an official role */

static const struct {
    const char *href, *label;
    int who;
} nav_items[] = {
    {"/", N_("Home"), NAV_ANYONE},
    {"/services", N_("Services"), NAV_ANYONE},
    {"/me", N_("My data"), NAV_SIGNED_IN},
    {"/me/documents", N_("My documents"), NAV_SIGNED_IN},
    {"/me/applications", N_("My applications"), NAV_SIGNED_IN},
    {"/me/inbox", N_("Inbox"), NAV_SIGNED_IN},
    {"/me/access", N_("Who used my data"), NAV_SIGNED_IN},
    {"/me/passkeys", N_("Passkeys"), NAV_SIGNED_IN},
    {"/me/sessions", N_("Sessions"), NAV_SIGNED_IN},
    {"/official", N_("Work area"), NAV_OFFICIAL},
    {"/verify", N_("Check a document"), NAV_ANYONE},
    {"/official/queue", N_("Tasks"), NAV_OFFICIAL},
    {"/transparency", N_("Transparency log"), NAV_ANYONE},
    {"/about", N_("About"), NAV_ANYONE},
};

/* The confirmations a page shows after post/redirect/get: ?notice=CODE names one. */
static const struct {
    const char *code, *text;
} notices[] = {
    {"signed-in", N_("You are signed in.")},
    {"signed-out", N_("You have signed out.")},
    {"enrolled", N_("Your passkey is ready and you are signed in.")},
    {"renamed", N_("The passkey has been renamed.")},
    {"removed", N_("The passkey has been removed, and the sessions it started have ended.")},
    {"session-ended", N_("The session has ended.")},
};

/* ---- language ---- */

static void pick_language(struct ps_page *pg)
{
    struct ps_req *req = pg->req;
    struct ps_str q;
    if (ps_req_query_get(req, "lang", &q) == PS_OK && ps_lang_parse(q, &pg->lang)) {
        pg->lang_chosen = true;
        return;
    }
    if (ps_lang_cookie(ps_req_header(req, "Cookie"), &pg->lang))
        return;
    pg->lang = ps_lang_negotiate(ps_req_header(req, "Accept-Language"));
}

/* This page's address in the other language: the path, the query without its lang
 * parameters, and lang=CODE, written into the arena (the template escapes it as a URL). */
static struct ps_str lang_url(struct ps_page *pg, enum ps_lang other)
{
    struct ps_req *req = pg->req;
    struct ps_str path = req->path, q = req->query;
    const char *code = ps_lang_code(other);
    if (!path.p || path.len == 0 || path.p[0] != '/' || (path.len > 1 && path.p[1] == '/'))
        path = PS_STR("/"); /* never "//host": that would leave the site */
    size_t cap = path.len + q.len + strlen(code) + 8; /* "?" "&" "lang=" NUL */
    char *out = ps_arena_alloc(req->arena, cap);
    if (!out)
        return PS_STR("/");
    size_t n = path.len;
    memcpy(out, path.p, n);
    out[n++] = '?';
    for (size_t i = 0; q.p && i < q.len;) {
        const char *amp = memchr(q.p + i, '&', q.len - i);
        size_t end = amp ? (size_t)(amp - q.p) : q.len;
        struct ps_str item = {q.p + i, end - i};
        i = end + 1;
        if (item.len == 0 || ps_str_eq(item, PS_STR("lang")) ||
            ps_str_starts_with(item, PS_STR("lang=")))
            continue;
        memcpy(out + n, item.p, item.len); /* the items and their '&' fit: q.len + 1 */
        n += item.len;
        out[n++] = '&';
    }
    int k = snprintf(out + n, cap - n, "lang=%s", code);
    if (k < 0 || (size_t)k >= cap - n)
        return PS_STR("/");
    return (struct ps_str){out, n + (size_t)k};
}

/* ---- the page ---- */

/* The signed-in person as the header names them: given name and surname, in Latin letters on
 * pages that are not Ukrainian; the RNOKPP when the record was not read. */
static struct ps_str display_name(struct ps_page *pg, const struct ps_actor *who)
{
    const struct ps_person *p = ps_api_person(pg->req);
    if (!p)
        return who->id;
    bool latin = pg->lang != PS_LANG_UK && p->given_name_latin.len && p->surname_latin.len;
    struct ps_str given = latin ? p->given_name_latin : p->given_name;
    struct ps_str surname = latin ? p->surname_latin : p->surname;
    char *name = ps_arena_alloc(pg->req->arena, given.len + surname.len + 1);
    if (!name)
        return who->id;
    memcpy(name, given.p, given.len); /* names are at most PS_PERSON_NAME_MAX bytes each */
    name[given.len] = ' ';
    memcpy(name + given.len + 1, surname.p, surname.len);
    return (struct ps_str){name, given.len + 1 + surname.len};
}

static void nav_init(struct ps_page *pg, const char *nav_href, bool signed_in, bool official)
{
    size_t n = 0;
    for (size_t i = 0; i < sizeof nav_items / sizeof nav_items[0] && n < PS_PAGE_NAV_MAX; i++) {
        int who = nav_items[i].who;
        if ((who == NAV_SIGNED_IN && !signed_in) || (who == NAV_OFFICIAL && !official))
            continue;
        pg->nav[n].href = ps_str_from_cstr(nav_items[i].href);
        pg->nav[n].label = ps_str_from_cstr(ps_page_t(pg, nav_items[i].label));
        pg->nav[n].current = nav_href && strcmp(nav_href, nav_items[i].href) == 0;
        n++;
    }
    pg->layout.nav = pg->nav;
    pg->layout.nnav = n;
}

static void notice_init(struct ps_page *pg)
{
    struct ps_str code;
    if (ps_req_query_get(pg->req, "notice", &code) != PS_OK)
        return;
    for (size_t i = 0; i < sizeof notices / sizeof notices[0]; i++)
        if (ps_str_eq_cstr(code, notices[i].code))
            pg->layout.notice = ps_str_from_cstr(ps_page_t(pg, notices[i].text));
}

static void layout_init(struct ps_page *pg, const char *title, const char *nav_href)
{
    struct ps_app *app = pg->req->app;
    struct ps_tpl_layout *l = &pg->layout;
    enum ps_lang other = pg->lang == PS_LANG_UK ? PS_LANG_EN : PS_LANG_UK;
    l->lang = ps_str_from_cstr(ps_lang_code(pg->lang));
    l->title = ps_str_from_cstr(ps_page_t(pg, title));
    l->other_lang = ps_str_from_cstr(ps_lang_code(other));
    l->other_lang_name = ps_str_from_cstr(ps_lang_name(other));
    l->lang_url = lang_url(pg, other);
    l->version = ps_str_from_cstr(app && app->version ? app->version : "");
    l->demo = app && app->demo;
    l->errors = pg->errors;
    l->scripts = pg->scripts;
    /* The session-aware header: a page served to a signed-in person (the dispatcher decided a
     * citizen or an official from the session cookie) names them and offers to sign out; the
     * navigation adds their pages, and the work area for officials. */
    const struct ps_actor *who = ps_api_actor(pg->req);
    const struct ps_session *s = ps_api_session(pg->req);
    l->signed_in = who->kind == PS_ACTOR_CITIZEN || who->kind == PS_ACTOR_OFFICIAL;
    l->user_name = l->signed_in ? display_name(pg, who) : PS_STR("");
    l->signout_url = PS_STR("/signout");
    nav_init(pg, nav_href, l->signed_in, l->signed_in && s && s->nroles > 0);
    notice_init(pg);
}

struct ps_page *ps_page_new(struct ps_req *req, const char *title, const char *nav_href)
{
    struct ps_app *app = req->app;
    struct ps_page *pg = ps_api_alloc(req, sizeof *pg);
    if (!pg)
        return NULL;
    pg->req = req;
    pg->portal = app ? app->portal : NULL;
    pg->rp = app && app->id.rp.url[0] ? &app->id.rp : NULL;
    pg->cache = "no-store";
    pick_language(pg);
    layout_init(pg, title, nav_href);
    return pg;
}

const char *ps_page_t(const struct ps_page *pg, const char *msgid)
{
    return ps_i18n(pg->lang, msgid);
}

void ps_portal_headers(struct ps_req *req, const char *cache)
{
    struct ps_app *app = req->app;
    ps_resp_header(req, "Content-Security-Policy", PS_PORTAL_CSP);
    /* same-origin: no address leaves the site, and a form posted here carries our Origin
     * (with no-referrer browsers send "Origin: null", which the CSRF check cannot use) */
    ps_resp_header(req, "Referrer-Policy", "same-origin");
    ps_resp_header(req, "X-Content-Type-Options", "nosniff");
    ps_resp_header(req, "Cache-Control", cache);
    if (app && app->id.rp.https)
        ps_resp_header(req, "Strict-Transport-Security", "max-age=63072000; includeSubDomains");
}

static void lang_cookie(struct ps_page *pg)
{
    bool secure = pg->rp && pg->rp->https;
    char *c = ps_arena_printf(pg->req->arena,
                              "lang=%s; Path=/; Max-Age=" PS_PORTAL_LANG_COOKIE_AGE
                              "; SameSite=Lax; HttpOnly%s",
                              ps_lang_code(pg->lang), secure ? "; Secure" : "");
    if (c)
        ps_resp_header(pg->req, "Set-Cookie", c);
}

void ps_page_send(struct ps_page *pg, int status, struct ps_tpl_slot body)
{
    struct ps_req *req = pg->req;
    struct ps_tw w;
    ps_tw_init(&w, ps_resp_body(req), pg->lang);
    ps_tpl_layout(&w, &pg->layout, body);
    enum ps_err e = ps_tw_end(&w);
    if (e != PS_OK) {
        ps_log(PS_LOG_ERROR, "request %s: page rendering failed: %s", req->request_id,
               ps_err_name(e));
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "rendering failed");
        return;
    }
    ps_portal_headers(req, pg->cache);
    if (pg->lang_chosen)
        lang_cookie(pg);
    ps_resp_ready(req, status, "text/html; charset=utf-8");
}

void ps_page_script(struct ps_page *pg, const char *name)
{
    const struct ps_asset *a = ps_asset_by_name(name);
    PS_ASSERT(a && pg->layout.nscripts < PS_PAGE_SCRIPTS_MAX);
    pg->scripts[pg->layout.nscripts++].src = ps_str_from_cstr(a->url);
}

void ps_page_form_errors(struct ps_page *pg, const struct ps_form *f)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++) {
        if (!f->errors[i].len)
            continue;
        pg->errors[n].id = ps_str_from_cstr(f->fields[i].name);
        pg->errors[n].message = f->errors[i];
        n++;
    }
    pg->layout.nerrors = n;
}

void ps_page_redirect(struct ps_page *pg, const char *location)
{
    PS_ASSERT(location[0] == '/' && location[1] != '/' && location[1] != '\\');
    ps_resp_header(pg->req, "Location", location);
    ps_portal_headers(pg->req, pg->cache);
    ps_resp_bytes(pg->req, 303, "text/plain; charset=utf-8", PS_STR(""));
}

/* ---- the draft: a form kept across signing in again ---- */

#define DRAFT_COOKIE "ps_draft"
#define DRAFT_COOKIE_SECURE "__Host-ps_draft"
#define DRAFT_MAX 3000        /* bytes of the draft cookie's value */
#define DRAFT_AGE "900"       /* seconds: long enough to sign in again */

/* s percent-encoded (everything but unreserved characters) into the arena. */
struct ps_str ps_page_url_part(struct ps_arena *a, struct ps_str s)
{
    struct ps_buf b;
    ps_buf_init(&b, 3 * s.len + 1);
    struct ps_str out = PS_STR_NULL;
    if (ps_html_escape(&b, PS_HTML_URL_PART, s) == PS_OK)
        out = ps_arena_str(a, ps_buf_str(&b));
    ps_buf_reset(&b);
    return out;
}

static const char *draft_cookie_name(const struct ps_page *pg)
{
    return pg->rp && pg->rp->https ? DRAFT_COOKIE_SECURE : DRAFT_COOKIE;
}

static void draft_set(struct ps_page *pg, struct ps_str value, const char *max_age)
{
    char *c = ps_arena_printf(pg->req->arena, "%s=%.*s; Max-Age=%s; Path=/; HttpOnly; "
                                              "SameSite=Strict%s",
                              draft_cookie_name(pg), PS_STR_FMT(value), max_age,
                              pg->rp && pg->rp->https ? "; Secure" : "");
    if (c)
        ps_resp_header(pg->req, "Set-Cookie", c);
}

void ps_page_draft_save(struct ps_page *pg)
{
    struct ps_req *req = pg->req;
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    size_t n = 0;
    struct ps_diag d = {0};
    if (!ps_req_content_type_is(req, "application/x-www-form-urlencoded") ||
        req->body.len > PS_FORM_BODY_MAX ||
        ps_form_parse(req->arena, req->body, pairs, PS_FORM_MAX_PAIRS, &n, &d) != PS_OK ||
        !ps_form_utf8(pairs, n))
        return;
    struct ps_buf b;
    ps_buf_init(&b, DRAFT_MAX);
    enum ps_err e = ps_buf_append(&b, "_path=", 6);
    if (e == PS_OK)
        e = ps_html_escape(&b, PS_HTML_URL_PART, req->path);
    for (size_t i = 0; i < n && e == PS_OK; i++) {
        if (ps_str_eq_cstr(pairs[i].name, "credential") || pairs[i].name.p[0] == '_')
            continue;
        e = ps_buf_append(&b, "&", 1);
        if (e == PS_OK)
            e = ps_html_escape(&b, PS_HTML_URL_PART, pairs[i].name);
        if (e == PS_OK)
            e = ps_buf_append(&b, "=", 1);
        if (e == PS_OK)
            e = ps_html_escape(&b, PS_HTML_URL_PART, pairs[i].value);
    }
    if (e == PS_OK)
        draft_set(pg, ps_arena_str(req->arena, ps_buf_str(&b)), DRAFT_AGE);
    ps_buf_reset(&b);
}

bool ps_page_draft_pairs(struct ps_page *pg, struct ps_form_pair *pairs, size_t cap, size_t *n)
{
    struct ps_req *req = pg->req;
    struct ps_str c = ps_api_cookie(req, draft_cookie_name(pg));
    struct ps_diag d = {0};
    *n = 0;
    if (!c.p)
        return false;
    draft_set(pg, PS_STR(""), "0"); /* read once */
    if (ps_form_parse(req->arena, c, pairs, cap, n, &d) != PS_OK || !ps_form_utf8(pairs, *n) ||
        *n == 0 || !ps_str_eq_cstr(pairs[0].name, "_path") ||
        !ps_str_eq(pairs[0].value, req->path)) {
        *n = 0;
        return false;
    }
    memmove(pairs, pairs + 1, --*n * sizeof *pairs);
    pg->layout.notice = ps_str_from_cstr(ps_page_t(
        pg, N_("Your session had ended, so the form was not sent. You are signed in again: "
               "check the form and send it again.")));
    return true;
}

bool ps_page_draft(struct ps_page *pg, struct ps_form *f)
{
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    size_t n = 0;
    if (!ps_page_draft_pairs(pg, pairs, PS_FORM_MAX_PAIRS, &n))
        return false;
    ps_form_fill(f, pairs, n);
    return true;
}

/* ---- errors ---- */

void ps_page_error(struct ps_page *pg, int status, const char *heading, const char *message)
{
    struct ps_tpl_error v = {
        .heading = ps_str_from_cstr(ps_page_t(pg, heading)),
        .message = ps_str_from_cstr(ps_page_t(pg, message)),
    };
    if (status >= 500)
        v.request_id = ps_str_from_cstr(pg->req->request_id);
    pg->layout.title = v.heading;
    for (size_t i = 0; i < pg->layout.nnav; i++)
        pg->nav[i].current = false;
    ps_page_send(pg, status, ps_tpl_error_slot(&v));
}

void ps_portal_error(struct ps_req *req, int status, const char *heading, const char *message)
{
    struct ps_page *pg = ps_page_new(req, heading, NULL);
    if (pg)
        ps_page_error(pg, status, heading, message);
}

void ps_page_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                    const struct ps_diag *store, enum ps_err result)
{
    struct ps_page *pg = *(struct ps_page **)ctx;
    const struct ps_diag *d = domain && domain->code != PS_OK ? domain : store;
    enum ps_err code = d && d->code != PS_OK ? d->code : result;
    switch (code) {
    case PS_ERR_NOTFOUND:
        ps_page_error(pg, 404, N_("Page not found"), N_("What you asked for does not exist."));
        return;
    case PS_ERR_INVALID:
    case PS_ERR_LIMIT:
        ps_page_error(pg, 400, N_("There is a problem with the request"),
                      N_("Check the address or the form and try again."));
        return;
    case PS_ERR_DENIED:
        ps_page_error(pg, 403, N_("You cannot see this page"),
                      N_("Your account does not allow this."));
        return;
    case PS_ERR_UNAVAILABLE:
    case PS_ERR_CONFLICT:
        ps_resp_header(req, "Retry-After", "5");
        ps_page_error(pg, 503, N_("Sorry, the service is busy"),
                      N_("Nothing was changed. Try again in a minute."));
        return;
    case PS_ERR_UNKNOWN_OUTCOME:
        ps_page_error(pg, 503, N_("We could not confirm your change"),
                      N_("The change may or may not have been saved. Check before you try "
                         "again."));
        return;
    default:
        ps_log(PS_LOG_ERROR, "request %s failed: %s: %s", req->request_id, ps_err_name(code),
               d && d->message[0] ? d->message : "");
        ps_page_error(pg, 500, N_("Sorry, something went wrong"),
                      N_("This is our fault. Try again later."));
    }
}

/* The dispatcher's refusals on page routes (struct ps_api_pages, routes.c). */
void ps_portal_forbidden(struct ps_req *req, const char *reason)
{
    if (!reason) {
        ps_portal_error(req, 403, N_("This form was sent from another website"),
                        N_("For your safety it was not accepted. Open the page on this site and "
                           "send the form again."));
        return;
    }
    ps_portal_error(req, 403, N_("You cannot see this page"),
                    N_("Your account does not allow this."));
}

void ps_portal_limited(struct ps_req *req, unsigned retry_s)
{
    (void)retry_s; /* Retry-After says it; the page says what to do */
    ps_portal_error(req, 429, N_("Too many tries"), N_("Wait a minute, then try again."));
}

bool ps_portal_wants_html(struct ps_req *req)
{
    struct ps_str path = req->path, accept = ps_req_header(req, "Accept");
    if (ps_str_eq(path, PS_STR("/api")) || ps_str_starts_with(path, PS_STR("/api/")))
        return false;
    static const struct ps_str html = PS_STR("text/html");
    for (size_t i = 0; accept.p && i + html.len <= accept.len; i++)
        if (ps_str_eq_nocase((struct ps_str){accept.p + i, html.len}, html))
            return true;
    return false;
}

/* ---- times ---- */

int64_t ps_portal_time_s(struct ps_str s)
{
    char head[20];
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!s.p || s.len < 20 || s.p[s.len - 1] != 'Z' ||
        ps_str_copy(head, sizeof head, (struct ps_str){s.p, 19}) != PS_OK)
        return 0;
    const char *end = strptime(head, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end || *end)
        return 0;
    return (int64_t)timegm(&tm);
}

/* ---- forms ---- */

bool ps_page_query_form(struct ps_page *pg, struct ps_form *f)
{
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    size_t n = 0;
    struct ps_diag d = {0};
    enum ps_err e = ps_form_parse(pg->req->arena, pg->req->query, pairs, PS_FORM_MAX_PAIRS, &n,
                                  &d);
    if (e == PS_ERR_LIMIT) {
        ps_page_error(pg, 413, N_("The form is too large"),
                      N_("It is larger than any form here can be. Go back and try again."));
        return false;
    }
    if (e != PS_OK || !ps_form_utf8(pairs, n)) {
        ps_page_error(pg, 400, N_("The address is not valid"),
                      N_("It contains characters that are not text. Go back and try again."));
        return false;
    }
    ps_form_fill(f, pairs, n);
    return true;
}

bool ps_page_post_form(struct ps_page *pg, struct ps_form *f)
{
    struct ps_req *req = pg->req;
    struct ps_form_post post = {
        .content_type = ps_req_header(req, "Content-Type"),
        .body = req->body,
    };
    switch (ps_form_read(req->arena, &post, f)) {
    case PS_FORM_OK:
        return true;
    case PS_FORM_MEDIA_TYPE:
        ps_page_error(pg, 415, N_("The form could not be read"),
                      N_("It was not sent as a web form. Open the page and send the form "
                         "again."));
        return false;
    case PS_FORM_TOO_LARGE:
        ps_page_error(pg, 413, N_("The form is too large"),
                      N_("It is larger than any form here can be. Go back and try again."));
        return false;
    case PS_FORM_MALFORMED:
    case PS_FORM_NOT_UTF8:
        break;
    }
    ps_page_error(pg, 400, N_("The form could not be read"),
                  N_("It contains characters that are not text. Go back and try again."));
    return false;
}
