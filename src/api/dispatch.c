/* The dispatcher: every routed API request comes through here before its handler. It reads
 * the route's contract (action, accepted credentials), applies the abuse limits,
 * authenticates the caller (the local admin token, a person's session as a bearer token or a
 * cookie, an agency system's signature), checks the origin of cookie-borne state changes,
 * asks the one policy function (again with the person's oblast when a role is scoped to one),
 * records a denial of an authenticated caller, and runs the handler with the decided actor.
 * Handlers never check access themselves. */
#include "api/api_int.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/log.h"
#include "crypto/keys.h"
#include "identity/client.h"
#include "identity/idcode.h"
#include "policy/policy.h"
#include "registries/persons.h"
#include "tlog/access.h"

#define BEARER_MAX 512

/* What authentication found. */
struct auth {
    enum { AUTH_NONE, AUTH_OK, AUTH_BAD } result;
    const char *why;   /* AUTH_BAD: for the 401's detail */
    const char *type;  /* AUTH_BAD: the problem type */
    bool by_cookie;    /* a session from the cookie: state changes need a matching origin */
    struct ps_session *session;
    struct ps_str nonce; /* a signed request's: used (stored) before the handler runs */
};

/* Everything one dispatch carries across its suspensions (the denial's record, the session's
 * last-seen write). In the request's arena. */
struct dispatch {
    struct ps_actor who;
    struct ps_decision decision;
    struct ps_resource resource;
    struct auth auth;
    const char *action; /* a denial's record: what was asked, where */
    struct ps_str path;
};

/* The token of "Authorization: Bearer <token>" (scheme case-insensitive, RFC 9110 11.1);
 * PS_STR_NULL when there is no Authorization header; an empty token when it is not Bearer. */
static struct ps_str bearer(struct ps_req *req)
{
    static const struct ps_str prefix = {"Bearer ", 7};
    struct ps_str auth = ps_req_header(req, "Authorization");
    if (!auth.p)
        return PS_STR_NULL;
    if (auth.len <= prefix.len || auth.len - prefix.len > BEARER_MAX ||
        !ps_str_eq_nocase((struct ps_str){auth.p, prefix.len}, prefix))
        return PS_STR("");
    return (struct ps_str){auth.p + prefix.len, auth.len - prefix.len};
}

/* The value of cookie `name` in the Cookie header (RFC 6265 5.4: "a=b; c=d"), or PS_STR_NULL. */
static struct ps_str cookie(struct ps_req *req, const char *name)
{
    struct ps_str h = ps_req_header(req, "Cookie"), want = ps_str_from_cstr(name);
    size_t i = 0;
    while (h.p && i < h.len) {
        while (i < h.len && (h.p[i] == ' ' || h.p[i] == ';'))
            i++;
        size_t start = i;
        while (i < h.len && h.p[i] != ';')
            i++;
        struct ps_str pair = {h.p + start, i - start};
        const char *eq = memchr(pair.p, '=', pair.len);
        if (eq && ps_str_eq((struct ps_str){pair.p, (size_t)(eq - pair.p)}, want))
            return (struct ps_str){eq + 1, pair.len - (size_t)(eq - pair.p) - 1};
    }
    return PS_STR_NULL;
}

struct session_read {
    struct ps_str token;
    const struct ps_session_cfg *cfg;
    struct ps_arena *arena;
    struct ps_session *out;
    struct ps_diag diag;
};

static enum ps_err session_tx(struct ps_tx *tx, void *ctx)
{
    struct session_read *s = ctx;
    return ps_session_find(tx, s->token, s->cfg, s->arena, s->out, &s->diag);
}

/* A person's session from its token, in a read on this thread (no write). */
static void by_session(struct ps_req *req, struct ps_str token, struct ps_actor *who,
                       struct auth *a)
{
    struct ps_app *app = req->app;
    struct session_read s = {token, &app->id.sessions, req->arena, NULL, {0}};
    struct ps_diag store = {0};
    s.out = ps_arena_zalloc(req->arena, sizeof *s.out);
    enum ps_err e = s.out ? ps_store_read(app->store, session_tx, &s, &store) : PS_ERR_NOMEM;
    if (e != PS_OK) {
        a->result = AUTH_BAD;
        a->type = e == PS_ERR_DENIED ? "session-invalid" : NULL;
        a->why = e == PS_ERR_DENIED ? ps_arena_strndup(req->arena, s.diag.message,
                                                       strlen(s.diag.message))
                                    : NULL;
        return;
    }
    a->result = AUTH_OK;
    a->session = s.out;
    who->kind = PS_ACTOR_CITIZEN;
    who->id = s.out->rnokpp;
    who->credential = ps_str_from_cstr(s.out->id);
    who->roles = s.out->roles;
    who->nroles = s.out->nroles;
}

static void by_signature(struct ps_req *req, struct ps_actor *who, struct auth *a)
{
    struct ps_id_diag why = {0};
    enum ps_api_signed r = ps_api_auth_signed(req, who, &a->nonce, &why);
    if (r == PS_API_SIGNED_NONE)
        return;
    a->result = r == PS_API_SIGNED_OK ? AUTH_OK : AUTH_BAD;
    if (r == PS_API_SIGNED_BAD) {
        a->type = ps_id_code_name(why.code);
        a->why = ps_arena_strndup(req->arena, why.d.message, strlen(why.d.message));
    }
}

static struct auth authenticate(struct ps_req *req, unsigned creds, struct ps_actor *who)
{
    struct ps_app *app = req->app;
    struct auth a = {.result = AUTH_NONE};
    struct ps_str token = bearer(req);
    const char *cookie_name = app->id.rp.https ? PS_SESSION_COOKIE_SECURE : PS_SESSION_COOKIE;
    if (token.p) {
        a.result = AUTH_BAD;
        if ((creds & PS_CRED_ADMIN) &&
            ps_str_starts_with(token, PS_STR(PS_ADMIN_TOKEN_PREFIX)) &&
            ps_admin_token_check(token, app->admin_token_hash)) {
            who->kind = PS_ACTOR_ADMIN;
            who->id = PS_STR("local-admin");
            a.result = AUTH_OK;
        } else if ((creds & PS_CRED_SESSION) &&
                   ps_str_starts_with(token, PS_STR(PS_SESSION_TOKEN_PREFIX))) {
            by_session(req, token, who, &a);
        }
        return a;
    }
    struct ps_str c = (creds & PS_CRED_SESSION) ? cookie(req, cookie_name) : PS_STR_NULL;
    if (c.p) {
        a.by_cookie = true;
        by_session(req, c, who, &a);
        return a;
    }
    if (creds & PS_CRED_SIGNED)
        by_signature(req, who, &a);
    return a;
}

static void unauthorized(struct ps_req *req, const struct auth *a)
{
    if (a->result == AUTH_NONE) {
        ps_resp_header(req, "WWW-Authenticate", "Bearer realm=\"pocketstate\"");
        ps_resp_problem(req, 401, "unauthorized", "Unauthorized",
                        "this resource needs credentials");
        return;
    }
    ps_resp_header(req, "WWW-Authenticate",
                   "Bearer realm=\"pocketstate\", error=\"invalid_token\"");
    ps_resp_problem(req, 401, a->type ? a->type : "unauthorized", "Unauthorized", "%s",
                    a->why ? a->why : "the credentials are not valid here");
}

/* A state change carried by the session cookie must come from one of our origins (the Origin
 * header, or at least Sec-Fetch-Site: same-origin): SameSite=Strict's second line. */
static bool origin_ok(struct ps_req *req)
{
    struct ps_app *app = req->app;
    if (ps_str_eq_cstr(req->method, "GET") || ps_str_eq_cstr(req->method, "HEAD"))
        return true;
    struct ps_str origin = ps_req_header(req, "Origin");
    if (origin.p)
        return ps_rp_origin_allowed(&app->id.rp, origin);
    return ps_str_eq_cstr(ps_req_header(req, "Sec-Fetch-Site"), "same-origin");
}

bool ps_api_limited(struct ps_req *req, struct ps_ratelimit *r, const char *kind,
                    struct ps_str key)
{
    unsigned retry = 0;
    char k[160];
    int n = snprintf(k, sizeof k, "%s:%.*s", kind, PS_STR_FMT(key));
    if (!r || n < 0)
        return false;
    struct ps_str bucket = {k, (size_t)n < sizeof k ? (size_t)n : sizeof k - 1};
    if (ps_ratelimit_take(r, bucket, ps_clock_mono_ns() / 1000000, &retry))
        return false;
    char after[16];
    snprintf(after, sizeof after, "%u", retry);
    ps_resp_header(req, "Retry-After", after);
    ps_resp_problem(req, 429, "too-many-requests", "Too Many Requests",
                    "too many requests from this %s; try again in %u s", kind, retry);
    return true;
}

/* The abuse limits that apply before and after authentication. */
static bool limited_before(struct ps_req *req)
{
    struct ps_app *app = req->app;
    bool auth_action = strncmp(req->route->action, "auth.", 5) == 0;
    return auth_action && ps_api_limited(req, app->id.auth_per_ip, "address", req->client_ip);
}

static bool limited_after(struct ps_req *req, const struct ps_actor *who)
{
    struct ps_app *app = req->app;
    if (who->kind == PS_ACTOR_CITIZEN)
        return ps_api_limited(req, app->id.api_per_account, "account", who->id);
    if (who->kind == PS_ACTOR_SYSTEM)
        return ps_api_limited(req, app->id.api_per_client, "client", who->id);
    return false;
}

/* ---- the decision ---- */

struct oblast_read {
    struct ps_str rnokpp, oblast;
    struct ps_arena *arena;
};

static enum ps_err oblast_tx(struct ps_tx *tx, void *ctx)
{
    struct oblast_read *o = ctx;
    struct ps_diag d;
    return ps_person_oblast(tx, o->rnokpp, o->arena, &o->oblast, &d);
}

/* A role scoped to an oblast allowed provisionally: decide again knowing where the person
 * lives. A person who does not exist leaves the provisional decision (the handler says 404). */
static void decide_with_oblast(struct ps_req *req, struct dispatch *d)
{
    struct ps_app *app = req->app;
    struct oblast_read o = {d->resource.owner, PS_STR_NULL, req->arena};
    struct ps_diag store = {0};
    if (!o.rnokpp.p || ps_store_read(app->store, oblast_tx, &o, &store) != PS_OK)
        return;
    d->resource.oblast = o.oblast;
    ps_policy_decide(&d->who, req->route->action, &d->resource, &d->decision);
}

static void run_handler(struct ps_req *req, struct dispatch *d)
{
    req->subject = &d->decision.actor;
    req->route->fn(req);
}

/* ---- a denial is a change entry (ARCHITECTURE.md rule 4 for access decisions) ---- */

static enum ps_err denial_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    const struct dispatch *d = ctx;
    char resource[PS_ACCESS_RESOURCE_MAX + 1];
    int n = snprintf(resource, sizeof resource, "%s %.*s", d->action, PS_STR_FMT(d->path));
    if (n < 0)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "formatting a denial");
    size_t len = (size_t)n < sizeof resource ? (size_t)n : sizeof resource - 1;
    return ps_tlog_record_change(tx, &d->who, "access.deny", d->resource.owner,
                                 (struct ps_str){resource, len},
                                 ps_str_from_cstr(d->decision.reason), diag);
}

static void denial_recorded(struct ps_req *req, void *ctx)
{
    const struct dispatch *d = ctx;
    ps_resp_problem(req, 403, "forbidden", "Forbidden", "%s", d->decision.reason);
}

static void deny(struct ps_req *req, struct dispatch *d)
{
    if (d->who.kind == PS_ACTOR_ANONYMOUS) {
        ps_resp_problem(req, 403, "forbidden", "Forbidden", "%s", d->decision.reason);
        return;
    }
    d->action = req->route->action;
    d->path = req->path;
    ps_api_write(req, denial_op, d, denial_recorded);
}

/* ---- last seen, at most once a minute, not waited for ---- */

struct touch {
    struct ps_store_job job;
    char id[37];
};

static enum ps_err touch_tx(struct ps_tx *tx, void *ctx)
{
    struct touch *t = ctx;
    struct ps_diag d;
    return ps_session_touch(tx, t->id, &d);
}

static void touch_done(struct ps_store_job *job)
{
    if (job->result != PS_OK)
        ps_log(PS_LOG_WARN, "session last-seen not written: %s", ps_err_name(job->result));
    ps_free(job->ctx);
}

static void touch_if_due(struct ps_req *req, const struct ps_session *s)
{
    struct ps_app *app = req->app;
    if (!s || !ps_session_touch_due(s, ps_clock_now_ms()))
        return;
    struct touch *t = ps_calloc(1, sizeof *t);
    if (!t)
        return;
    memcpy(t->id, s->id, sizeof t->id);
    t->job.fn = touch_tx;
    t->job.ctx = t;
    t->job.done = touch_done;
    if (ps_store_submit(app->store, &t->job) != PS_OK)
        ps_free(t);
}

/* ---- a signed request's nonce, used before anything else happens ---- */

static void decide_and_run(struct ps_req *req, struct dispatch *d);

static enum ps_err nonce_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct dispatch *d = ctx;
    struct ps_diag replay = {0};
    enum ps_err e = ps_client_nonce_use(tx, d->who.id, d->auth.nonce, &replay);
    if (e == PS_ERR_DENIED) {
        d->auth.result = AUTH_BAD; /* nothing was written: the job commits as a no-op */
        d->auth.type = "httpsig-replayed";
        d->auth.why = "the nonce was used already: a replayed request";
        return PS_OK;
    }
    if (e != PS_OK)
        *diag = replay;
    return e;
}

static void nonce_used(struct ps_req *req, void *ctx)
{
    struct dispatch *d = ctx;
    if (d->auth.result != AUTH_OK) {
        unauthorized(req, &d->auth);
        return;
    }
    decide_and_run(req, d);
}

void ps_api_dispatch(struct ps_req *req)
{
    const struct ps_route *route = req->route;
    struct dispatch *d = ps_api_alloc(req, sizeof *d);
    if (!d || limited_before(req))
        return;
    d->who.kind = PS_ACTOR_ANONYMOUS;
    if (route->creds) {
        d->auth = authenticate(req, route->creds, &d->who);
        if (d->auth.result != AUTH_OK) {
            unauthorized(req, &d->auth);
            return;
        }
        if (d->auth.by_cookie && !origin_ok(req)) {
            ps_resp_problem(req, 403, "cross-site-request", "Forbidden",
                            "a change made with the session cookie must come from this site");
            return;
        }
        if (limited_after(req, &d->who))
            return;
        touch_if_due(req, d->auth.session);
        if (d->auth.nonce.p) {
            ps_api_write(req, nonce_op, d, nonce_used);
            return;
        }
    }
    decide_and_run(req, d);
}

static void decide_and_run(struct ps_req *req, struct dispatch *d)
{
    const struct ps_route *route = req->route;
    /* the resource as the path names it */
    d->resource.owner = ps_req_param(req, "rnokpp");
    d->resource.agency = ps_req_param(req, "agency");
    ps_policy_decide(&d->who, route->action, &d->resource, &d->decision);
    if (d->decision.allow && d->decision.needs_oblast)
        decide_with_oblast(req, d);
    if (!d->decision.allow) {
        deny(req, d);
        return;
    }
    run_handler(req, d);
}

const struct ps_actor *ps_api_actor(struct ps_req *req)
{
    static const struct ps_actor anonymous = {.kind = PS_ACTOR_ANONYMOUS};
    return req->subject ? req->subject : &anonymous;
}

const struct ps_session *ps_api_session(struct ps_req *req)
{
    if (!req->subject)
        return NULL;
    /* the decided actor lives in the dispatch that decided it */
    const struct dispatch *d =
        (const struct dispatch *)(const void *)((const char *)req->subject -
                                                offsetof(struct dispatch, decision.actor));
    return d->auth.session;
}

void ps_api_creds_text(unsigned creds, char *out, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{PS_CRED_ADMIN, "admin"}, {PS_CRED_SESSION, "session"},
                 {PS_CRED_SIGNED, "signed"}};
    size_t n = 0;
    PS_ASSERT(cap > 0);
    out[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(creds & names[i].bit))
            continue;
        int k = snprintf(out + n, cap - n, "%s%s", n ? "," : "", names[i].name);
        if (k < 0 || (size_t)k >= cap - n)
            return; /* cut: the caller's buffer is its limit */
        n += (size_t)k;
    }
    if (creds == 0 && ps_str_copy(out, cap, PS_STR("public")) != PS_OK)
        out[0] = '\0';
}
