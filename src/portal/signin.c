/* Signing in, enrolling and signing out, and how a page that needs a session sends a browser
 * to sign in and back: the sign-in page gets the page's address as `next` (checked to be a
 * path of this site) and a form posted after the session ended is kept in a short-lived
 * cookie (the draft) that the form's page reads once, so the person finds their values again.
 * The ceremonies are identity's (src/identity/ceremony.c), the same steps as the API's. */
#include <sodium.h>
#include <string.h>

#include "core/log.h"
#include "identity/ceremony.h"
#include "identity/demo.h"
#include "identity/session.h"
#include "portal/portal_int.h"
#include "registries/rnokpp.h"
#include "registries/translit.h"

#define NEXT_MAX 512          /* bytes of a `next` address */
#define DEFAULT_NEXT "/me"

/* ---- next: where to go after signing in ---- */

bool ps_portal_next_ok(struct ps_str next)
{
    if (!next.p || next.len == 0 || next.len > NEXT_MAX || next.p[0] != '/')
        return false;
    if (next.len > 1 && (next.p[1] == '/' || next.p[1] == '\\'))
        return false; /* "//host" and "/\host" leave the site */
    for (size_t i = 0; i < next.len; i++)
        if (next.p[i] <= 0x20 || next.p[i] >= 0x7f || next.p[i] == '\\')
            return false;
    return !ps_str_starts_with(next, PS_STR("/signin")) &&
           !ps_str_starts_with(next, PS_STR("/signout"));
}

void ps_portal_signin_redirect(struct ps_req *req)
{
    struct ps_page *pg = ps_page_new(req, N_("Sign in"), NULL);
    if (!pg)
        return;
    bool get = ps_str_eq_cstr(req->method, "GET") || ps_str_eq_cstr(req->method, "HEAD");
    struct ps_str next = req->path;
    if (get && req->query.len) {
        char *with_query = ps_arena_printf(req->arena, "%.*s?%.*s", PS_STR_FMT(req->path),
                                           PS_STR_FMT(req->query));
        next = with_query ? ps_str_from_cstr(with_query) : req->path;
    }
    if (!get)
        ps_page_draft_save(pg);
    const char *location = "/signin";
    if (ps_portal_next_ok(next)) {
        struct ps_str enc = ps_page_url_part(req->arena, next);
        char *l = enc.p ? ps_arena_printf(req->arena, "/signin?next=%.*s", PS_STR_FMT(enc))
                        : NULL;
        location = l ? l : location;
    }
    ps_page_redirect(pg, location);
}

/* ---- the session a ceremony made ---- */

static bool signed_in(const struct ps_req *req)
{
    const struct ps_actor *who = ps_api_actor((struct ps_req *)(uintptr_t)req);
    return who->kind == PS_ACTOR_CITIZEN || who->kind == PS_ACTOR_OFFICIAL;
}

/* The session's cookie, then 303 to location (post/redirect/get). The token is wiped. */
static void session_started(struct ps_page *pg, struct ps_ceremony_session *s,
                            const char *location)
{
    ps_api_session_cookie(pg->req, s->token,
                          (s->session.expires_at_ms - s->session.created_at_ms) / 1000);
    sodium_memzero(s->token, sizeof s->token);
    ps_page_redirect(pg, location);
}

static void ceremony_cfg(struct ps_req *req, struct ps_ceremony_cfg *cfg)
{
    struct ps_app *app = req->app;
    cfg->rp = &app->id.rp;
    cfg->sessions = &app->id.sessions;
    cfg->activation_key = app->id.activation_key;
}

static struct ps_str device_label(struct ps_req *req)
{
    struct ps_str ua = ps_req_header(req, "User-Agent");
    return ua.p ? ua : PS_STR("unknown device");
}

/* ---- sign in ---- */

enum { SI_USERNAME, SI_CREDENTIAL, SI_NEXT, SI_RNOKPP, SI_N };
static const struct ps_field signin_fields[SI_N] = {
    [SI_USERNAME] = {.name = "username", .label = N_("Taxpayer number (RNOKPP)"),
                     .hint = N_("Optional. When you select this field, your browser may offer "
                                "your passkey."),
                     .inputmode = "numeric", .autocomplete = "username webauthn", .width = "10",
                     .max_chars = 20, .spellcheck_off = true},
    [SI_CREDENTIAL] = {.name = "credential", .label = N_("Sign in with a passkey"),
                       .max_chars = PS_FORM_BODY_MAX},
    [SI_NEXT] = {.name = "next", .label = N_("Sign in"), .max_chars = NEXT_MAX},
    [SI_RNOKPP] = {.name = "rnokpp", .label = N_("Taxpayer number (RNOKPP)"), .max_chars = 20},
};

struct signin {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_form form;
    struct ps_ceremony_cfg cfg;
    struct ps_str next;
    struct ps_ceremony_session out;
    struct ps_ceremony_refused refused;
};

static struct signin *signin_new(struct ps_req *req)
{
    struct signin *s = ps_api_alloc(req, sizeof *s);
    if (!s || !(s->pg = ps_page_new(req, N_("Sign in"), NULL)))
        return NULL;
    ps_form_init(&s->form, signin_fields, SI_N);
    ceremony_cfg(req, &s->cfg);
    return s;
}

/* The demo people as one-click sign-in buttons (Latin names on English pages). */
static bool demo_buttons(struct signin *s, struct ps_tpl_signin *v)
{
    struct ps_app *app = s->pg->req->app;
    struct ps_diag d = {0};
    v->demo = app && app->demo;
    if (!v->demo || app->ndemo == 0)
        return true;
    struct ps_tpl_signin_people *p = ps_api_alloc(s->pg->req, app->ndemo * sizeof *p);
    if (!p)
        return false;
    for (size_t i = 0; i < app->ndemo; i++) {
        p[i].rnokpp = ps_str_from_cstr(app->demo[i].rnokpp);
        p[i].name = ps_str_from_cstr(app->demo[i].name);
        if (s->pg->lang != PS_LANG_UK &&
            ps_translit_arena(s->pg->req->arena, p[i].name, &p[i].name, &d) != PS_OK)
            p[i].name = ps_str_from_cstr(app->demo[i].name);
        p[i].role = ps_str_from_cstr(app->demo[i].role);
        p[i].next = s->next;
    }
    v->people = p;
    v->npeople = app->ndemo;
    return true;
}

/* The sign-in page; message (translated) when the last try failed: 400 with the summary
 * pointing at the button. */
static void signin_page(struct signin *s, const char *message)
{
    struct ps_page *pg = s->pg;
    struct ps_tpl_signin v = {.next = s->next};
    ps_form_input(&s->form, SI_USERNAME, pg->lang, pg->req->arena, &v.username);
    if (!demo_buttons(s, &v))
        return;
    if (message) {
        pg->errors[0].id = PS_STR("signin");
        pg->errors[0].message = ps_str_from_cstr(ps_page_t(pg, message));
        pg->layout.nerrors = 1;
    }
    ps_page_script(pg, "passkey.js");
    ps_page_send(pg, message ? 400 : 200, ps_tpl_signin_slot(&v));
}

/* The form's `next` when it is a path of this site, else the default. */
static struct ps_str next_or_default(struct ps_str next)
{
    return ps_portal_next_ok(next) ? next : PS_STR(DEFAULT_NEXT);
}

void ps_portal_signin(struct ps_req *req)
{
    struct signin *s = signin_new(req);
    if (!s || !ps_page_query_form(s->pg, &s->form))
        return;
    s->next = ps_portal_next_ok(s->form.values[SI_NEXT]) ? s->form.values[SI_NEXT] : PS_STR("");
    if (signed_in(req)) { /* nothing to do here: on to where they were going */
        char *to = ps_arena_strndup(req->arena, next_or_default(s->next).p,
                                    next_or_default(s->next).len);
        if (to)
            ps_page_redirect(s->pg, to);
        return;
    }
    signin_page(s, NULL);
}

static enum ps_err signin_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct signin *s = ctx;
    return ps_signin_finish(tx, &s->cfg, s->pg->req->arena, s->form.values[SI_CREDENTIAL],
                            device_label(s->pg->req), &s->out, &s->refused, diag);
}

/* What a refused ceremony tells the person (the same for sign-in and enrolment). */
static const char *refusal_text(const struct ps_ceremony_refused *r)
{
    switch (r->kind) {
    case PS_CR_CHALLENGE:
    case PS_CR_CHALLENGE_EXPIRED:
        return N_("The passkey step took too long. Try again.");
    case PS_CR_CREDENTIAL:
        return N_("This passkey is not registered here, or it was removed. Use another "
                  "passkey, or enrol again with an activation code.");
    case PS_CR_ACTIVATION:
        return N_("The activation code was used or has expired meanwhile. Ask a service "
                  "centre for a new one.");
    default:
        return N_("Your passkey could not be checked. Try again, or use another passkey.");
    }
}

static void signin_done(struct ps_req *req, void *ctx)
{
    struct signin *s = ctx;
    (void)req;
    if (s->refused.kind != PS_CR_NONE) {
        signin_page(s, refusal_text(&s->refused));
        return;
    }
    struct ps_str to = next_or_default(s->next);
    char *loc = ps_arena_strndup(s->pg->req->arena, to.p, to.len);
    session_started(s->pg, &s->out, loc ? loc : DEFAULT_NEXT);
}

/* A credential that does not even parse is the person's problem to retry, not a 400 page. */
static void signin_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                          const struct ps_diag *store, enum ps_err result)
{
    struct signin *s = ctx;
    if (domain && (domain->code == PS_ERR_INVALID || domain->code == PS_ERR_LIMIT)) {
        signin_page(s, N_("Your passkey could not be checked. Try again, or use another "
                          "passkey."));
        return;
    }
    ps_page_failed(req, ctx, domain, store, result);
}

void ps_portal_signin_post(struct ps_req *req)
{
    struct signin *s = signin_new(req);
    if (!s || !ps_page_post_form(s->pg, &s->form))
        return;
    s->next = ps_portal_next_ok(s->form.values[SI_NEXT]) ? s->form.values[SI_NEXT] : PS_STR("");
    if (s->form.values[SI_CREDENTIAL].len == 0) {
        signin_page(s, N_("Your browser did not send a passkey. Choose “Sign in with a "
                          "passkey” and follow your browser’s steps (passkeys need "
                          "JavaScript)."));
        return;
    }
    ps_api_write_or(req, signin_op, s, signin_done, signin_failed);
}

/* ---- the demo's one-click sign-in ---- */

static enum ps_err demo_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct signin *s = ctx;
    return ps_demo_signin(tx, s->form.values[SI_RNOKPP], device_label(s->pg->req),
                          s->cfg.sessions, s->pg->req->arena, s->out.token, &s->out.session,
                          diag);
}

static void demo_done(struct ps_req *req, void *ctx)
{
    struct signin *s = ctx;
    (void)req;
    struct ps_str to = next_or_default(s->next);
    char *loc = ps_arena_strndup(s->pg->req->arena, to.p, to.len);
    session_started(s->pg, &s->out, loc ? loc : DEFAULT_NEXT);
}

void ps_portal_demo_signin(struct ps_req *req)
{
    struct signin *s = signin_new(req);
    if (!s || !ps_page_post_form(s->pg, &s->form))
        return;
    s->next = s->form.values[SI_NEXT];
    if (!ps_api_demo_person(req->app, s->form.values[SI_RNOKPP])) {
        ps_page_error(s->pg, 403, N_("One-click sign-in is only for the demonstration"),
                      N_("This server does not offer it. Sign in with your passkey."));
        return;
    }
    ps_api_write_or(req, demo_op, s, demo_done, ps_page_failed);
}

/* ---- sign out ---- */

struct signout {
    struct ps_page *pg; /* first: ps_page_failed */
    const struct ps_actor *actor;
    struct ps_str id;
};

static enum ps_err signout_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct signout *o = ctx;
    enum ps_err e = ps_session_end(tx, o->actor, o->actor->id, o->id, "signout", diag);
    return e == PS_ERR_NOTFOUND ? PS_OK : e; /* ended meanwhile: signed out all the same */
}

static void signed_out(struct ps_req *req, void *ctx)
{
    struct signout *o = ctx;
    ps_api_session_cookie(req, NULL, 0);
    ps_page_redirect(o->pg, "/?notice=signed-out");
}

void ps_portal_signout(struct ps_req *req)
{
    const struct ps_session *mine = ps_api_session(req);
    struct signout *o = ps_api_alloc(req, sizeof *o);
    if (!o || !(o->pg = ps_page_new(req, N_("Sign in"), NULL)))
        return;
    if (!mine || !signed_in(req)) { /* nothing to end: forget the cookie all the same */
        signed_out(req, o);
        return;
    }
    o->actor = ps_api_actor(req);
    o->id = ps_str_from_cstr(mine->id);
    ps_api_write_or(req, signout_op, o, signed_out, ps_page_failed);
}

/* ---- enrol ---- */

enum { EN_RNOKPP, EN_DAY, EN_MONTH, EN_YEAR, EN_CODE, EN_CREDENTIAL, EN_N };
static const struct ps_field enrol_fields[EN_N] = {
    [EN_RNOKPP] = {.name = "rnokpp", .label = N_("Taxpayer number (RNOKPP)"),
                   .hint = N_("10 digits, as on your documents"), .inputmode = "numeric",
                   .autocomplete = "off", .width = "10", .max_chars = 20,
                   .required = N_("Enter your taxpayer number (RNOKPP)"),
                   .spellcheck_off = true},
    [EN_DAY] = {.name = "birth-day", .label = N_("Day"), .max_chars = 10,
                .required = N_("Enter your date of birth")},
    [EN_MONTH] = {.name = "birth-month", .label = N_("Month"), .max_chars = 10},
    [EN_YEAR] = {.name = "birth-year", .label = N_("Year"), .max_chars = 10},
    [EN_CODE] = {.name = "code", .label = N_("Activation code"),
                 .hint = N_("10 letters and digits, for example 7KQ3M-9XD2H"),
                 .autocomplete = "one-time-code", .width = "10", .max_chars = 30,
                 .required = N_("Enter your activation code"), .spellcheck_off = true},
    [EN_CREDENTIAL] = {.name = "credential", .label = N_("Create a passkey"),
                       .max_chars = PS_FORM_BODY_MAX},
};

struct enrol {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_form form;
    struct ps_ceremony_cfg cfg;
    struct ps_date birth;
    json_t *options;
    struct ps_ceremony_session out;
    struct ps_ceremony_refused refused;
};

static struct enrol *enrol_new(struct ps_req *req, const char *title)
{
    struct enrol *e = ps_api_alloc(req, sizeof *e);
    if (!e || !(e->pg = ps_page_new(req, title, NULL)))
        return NULL;
    ps_form_init(&e->form, enrol_fields, EN_N);
    ceremony_cfg(req, &e->cfg);
    return e;
}

/* Step 1: the form with its values and messages; message (translated, may be NULL): a
 * failure of step 2, in the summary, pointing at the first field. */
static void enrol_page(struct enrol *e, const char *message)
{
    struct ps_page *pg = e->pg;
    struct ps_arena *a = pg->req->arena;
    struct ps_tpl_enrol v;
    memset(&v, 0, sizeof v);
    ps_form_input(&e->form, EN_RNOKPP, pg->lang, a, &v.rnokpp);
    ps_form_date_input(&e->form, EN_DAY, "birth", N_("Date of birth"),
                       N_("For example, 27 3 1987"), "bday", pg->lang, a, &v.birth);
    ps_form_input(&e->form, EN_CODE, pg->lang, a, &v.code);
    ps_page_form_errors(pg, &e->form);
    if (message && pg->layout.nerrors == 0) {
        pg->errors[0].id = PS_STR("rnokpp");
        pg->errors[0].message = ps_str_from_cstr(ps_page_t(pg, message));
        pg->layout.nerrors = 1;
    }
    ps_page_send(pg, pg->layout.nerrors ? 400 : 200, ps_tpl_enrol_slot(&v));
}

void ps_portal_enrol(struct ps_req *req)
{
    struct enrol *e = enrol_new(req, N_("Enrol with your activation code"));
    if (e)
        enrol_page(e, NULL);
}

/* The code as typed: 10 symbols of Crockford's base32 (any case; O, I and L read as digits),
 * in groups separated by '-' or spaces. identity checks it for real. */
static bool code_shape_ok(struct ps_str code)
{
    size_t n = 0;
    for (size_t i = 0; i < code.len; i++) {
        char c = code.p[i];
        if (c == '-' || c == ' ')
            continue;
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) ||
            c == 'u' || c == 'U')
            return false;
        n++;
    }
    return n == PS_ACTIVATION_SYMBOLS;
}

/* The form's own checks: RNOKPP, date, code; true when they all pass. */
static bool enrol_check(struct enrol *e)
{
    struct ps_page *pg = e->pg;
    struct ps_arena *a = pg->req->arena;
    struct ps_diag d = {0};
    ps_form_check(&e->form, pg->lang, a);
    if (!e->form.errors[EN_RNOKPP].len &&
        ps_rnokpp_validate(e->form.values[EN_RNOKPP], NULL, &d) != PS_OK)
        ps_form_error(&e->form, EN_RNOKPP, ps_str_from_cstr(ps_page_t(
                          pg, N_("Enter your taxpayer number as it is on your documents: 10 "
                                 "digits"))));
    if (!e->form.errors[EN_DAY].len && !e->form.errors[EN_MONTH].len &&
        !e->form.errors[EN_YEAR].len)
        ps_form_date_check(&e->form, EN_DAY, N_("Date of birth"), true, pg->lang, a, &e->birth);
    if (!e->form.errors[EN_CODE].len && !code_shape_ok(e->form.values[EN_CODE]))
        ps_form_error(&e->form, EN_CODE, ps_str_from_cstr(ps_page_t(
                          pg, N_("Enter the activation code as you got it: 10 letters and "
                                 "digits, like 7KQ3M-9XD2H"))));
    return e->form.nerrors == 0;
}

static enum ps_err enrol_start_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct enrol *e = ctx;
    return ps_enrol_start(tx, &e->cfg, e->pg->req->arena, e->form.values[EN_RNOKPP], e->birth,
                          e->form.values[EN_CODE], &e->options, &e->refused, diag);
}

/* Step 1 passed: step 2 with the creation options, or step 1 again when the details did not
 * match (one answer whatever did not: identity counted a wrong try). */
static void enrol_started(struct ps_req *req, void *ctx)
{
    struct enrol *e = ctx;
    if (e->refused.kind != PS_CR_NONE) {
        ps_form_error(&e->form, EN_CODE, ps_str_from_cstr(ps_page_t(
                          e->pg, N_("The taxpayer number, date of birth and activation code do "
                                    "not match. Check them and try again: after 5 wrong tries "
                                    "the code stops working."))));
        enrol_page(e, NULL);
        return;
    }
    char *options = ps_json_dump(req->arena, e->options);
    if (!options) {
        ps_resp_problem(req, 500, "internal", "Internal Server Error", "out of memory");
        return;
    }
    struct ps_tpl_enrol_passkey v = {.options = ps_str_from_cstr(options)};
    e->pg->layout.title = ps_str_from_cstr(ps_page_t(e->pg, N_("Create your passkey")));
    ps_page_script(e->pg, "passkey.js");
    ps_page_send(e->pg, 200, ps_tpl_enrol_passkey_slot(&v));
}

void ps_portal_enrol_post(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct enrol *e = enrol_new(req, N_("Enrol with your activation code"));
    if (!e || !ps_page_post_form(e->pg, &e->form))
        return;
    if (!enrol_check(e)) {
        enrol_page(e, NULL);
        return;
    }
    if (ps_api_limited(req, app->id.auth_per_account, "account", e->form.values[EN_RNOKPP]))
        return;
    ps_api_write_or(req, enrol_start_op, e, enrol_started, ps_page_failed);
}

static enum ps_err enrol_finish_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct enrol *e = ctx;
    return ps_enrol_finish(tx, &e->cfg, e->pg->req->arena, e->form.values[EN_CREDENTIAL],
                           device_label(e->pg->req), &e->out, &e->refused, diag);
}

static void enrolled(struct ps_req *req, void *ctx)
{
    struct enrol *e = ctx;
    (void)req;
    if (e->refused.kind != PS_CR_NONE) {
        enrol_page(e, refusal_text(&e->refused));
        return;
    }
    session_started(e->pg, &e->out, "/me?notice=enrolled");
}

static void enrol_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                         const struct ps_diag *store, enum ps_err result)
{
    struct enrol *e = ctx;
    if (domain && domain->code == PS_ERR_EXISTS) {
        enrol_page(e, N_("This passkey is registered already. Sign in with it instead."));
        return;
    }
    if (domain && (domain->code == PS_ERR_INVALID || domain->code == PS_ERR_LIMIT)) {
        enrol_page(e, N_("Your passkey could not be checked. Enter your details again and "
                         "try once more."));
        return;
    }
    ps_page_failed(req, ctx, domain, store, result);
}

void ps_portal_enrol_passkey(struct ps_req *req)
{
    struct enrol *e = enrol_new(req, N_("Enrol with your activation code"));
    if (!e || !ps_page_post_form(e->pg, &e->form))
        return;
    if (e->form.values[EN_CREDENTIAL].len == 0) {
        enrol_page(e, N_("Your browser did not create a passkey. Enter your details again, "
                         "then choose “Create a passkey” (passkeys need JavaScript)."));
        return;
    }
    ps_api_write_or(req, enrol_finish_op, e, enrolled, enrol_failed);
}
