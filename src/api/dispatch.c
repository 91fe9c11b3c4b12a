/* The dispatcher: every routed API request comes through here before its handler. It reads
 * the route's contract (action, accepted credentials), authenticates the caller, asks the one
 * policy function, and runs the handler with the decided actor. Handlers never check access
 * themselves. */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include "crypto/keys.h"
#include "policy/policy.h"

#define BEARER_MAX 512

enum auth { AUTH_NONE, AUTH_OK, AUTH_BAD };

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

static enum auth authenticate(struct ps_req *req, unsigned creds, struct ps_actor *who)
{
    struct ps_app *app = req->app;
    struct ps_str token = bearer(req);
    if (!token.p)
        return AUTH_NONE;
    if ((creds & PS_CRED_ADMIN) && ps_str_starts_with(token, PS_STR(PS_ADMIN_TOKEN_PREFIX)) &&
        ps_admin_token_check(token, app->admin_token_hash)) {
        who->kind = PS_ACTOR_ADMIN;
        who->id = PS_STR("local-admin");
        return AUTH_OK;
    }
    return AUTH_BAD;
}

static void unauthorized(struct ps_req *req, enum auth a)
{
    if (a == AUTH_NONE) {
        ps_resp_header(req, "WWW-Authenticate", "Bearer realm=\"pocketstate\"");
        ps_resp_problem(req, 401, "unauthorized", "Unauthorized",
                        "this resource needs credentials");
    } else {
        ps_resp_header(req, "WWW-Authenticate",
                       "Bearer realm=\"pocketstate\", error=\"invalid_token\"");
        ps_resp_problem(req, 401, "unauthorized", "Unauthorized",
                        "the credentials are not valid here");
    }
}

void ps_api_dispatch(struct ps_req *req)
{
    const struct ps_route *route = req->route;
    struct ps_actor who = {.kind = PS_ACTOR_ANONYMOUS};
    if (route->creds) {
        enum auth a = authenticate(req, route->creds, &who);
        if (a != AUTH_OK) {
            unauthorized(req, a);
            return;
        }
    }
    /* the resource as the path names it; the domain decides again where a rule needs more */
    struct ps_resource res = {.owner = ps_req_param(req, "rnokpp")};
    struct ps_decision *d = ps_api_alloc(req, sizeof *d);
    if (!d)
        return;
    ps_policy_decide(&who, route->action, &res, d);
    if (!d->allow) {
        ps_resp_problem(req, 403, "forbidden", "Forbidden", "%s", d->reason);
        return;
    }
    req->subject = &d->actor;
    route->fn(req);
}

void ps_api_creds_text(unsigned creds, char *out, size_t cap)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{PS_CRED_ADMIN, "admin"}};
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

const struct ps_actor *ps_api_actor(struct ps_req *req)
{
    static const struct ps_actor anonymous = {.kind = PS_ACTOR_ANONYMOUS};
    return req->subject ? req->subject : &anonymous;
}
