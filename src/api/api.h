/* The JSON API edge: the route table, its dispatcher and the handlers. The route table is the
 * contract (ARCHITECTURE.md rule 9): each route names its action and the credentials it
 * accepts; the dispatcher authenticates the caller, asks the policy (src/policy) and hands the
 * decided actor to the handler. Handlers parse, call the domain and render; they hold no SQL,
 * no business rules and no access decisions (rule 1). */
#ifndef PS_API_API_H
#define PS_API_API_H

#include <stddef.h>

#include "core/ratelimit.h"
#include "http/http.h"
#include "identity/activation.h"
#include "identity/rp.h"
#include "identity/session.h"

struct ps_store;
struct ps_http_server;
struct ps_tlog_integrator;
struct ps_docs;
struct ps_engine;
struct ps_portal;

/* A person `pocketstate demo` prepared: a fresh activation code, and a role if an official. */
struct ps_demo_person {
    char rnokpp[11];
    char name[160];                       /* "Шевченко Тарас Григорович" */
    char code[PS_ACTIVATION_TEXT_LEN + 1];
    char birth_date[11];
    char role[96];                        /* "" or "registrar, pfu" */
};
#define PS_DEMO_PEOPLE 3

/* Identity settings and state shared by the dispatcher and the identity routes. */
struct ps_app_identity {
    struct ps_rp rp;
    struct ps_session_cfg sessions;
    unsigned char activation_key[PS_IDENTITY_KEY_BYTES]; /* derived from the master key */
    /* token buckets (per node): NULL means no limit */
    struct ps_ratelimit *auth_per_ip, *auth_per_account, *api_per_account, *api_per_client;
};

/* How the dispatcher refuses a request to a page route (creds PS_CRED_PAGE) that wants HTML
 * (wants_html: a browser, not under /api): each answers the request with a page. The portal
 * provides them (ps_portal_pages); requests that do not want HTML get problem+json. */
struct ps_api_pages {
    bool (*wants_html)(struct ps_req *req);
    /* no session (or one that ended) on a page that needs one: sign in, then come back
     * (303 to the sign-in page; a POST's form values kept for the form's page) */
    void (*signin)(struct ps_req *req);
    /* 403: reason is the policy's, or NULL for a state change from another site */
    void (*forbidden)(struct ps_req *req, const char *reason);
    /* 429: an abuse limit (Retry-After is set already) */
    void (*limited)(struct ps_req *req, unsigned retry_s);
};

/* What every handler can reach through req->app. Owned by `serve`; handlers only borrow. */
struct ps_app {
    struct ps_store *store;
    struct ps_http_server *server;   /* for /metrics */
    unsigned char admin_token_hash[32]; /* SHA-256 of the local admin token (see keys) */
    const char *version;
    const char *log_key; /* the log's note verifier key "<origin>+<id>+<base64>"; NULL: 503 */
    struct ps_tlog_integrator *tlog; /* for /metrics; NULL: no log metrics */
    struct ps_app_identity id;
    struct ps_docs *docs; /* documents: types, keys, signed lists; NULL: those routes 503 */
    struct ps_engine *engine; /* the service engine (catalogue, definitions) */
    /* `pocketstate demo` only (NULL otherwise): the people it prepared, and the one-click
     * demo sign-in is allowed */
    const struct ps_demo_person *demo;
    size_t ndemo;
    struct ps_portal *portal;        /* the portal's settings (src/portal); NULL: defaults */
    /* how the dispatcher answers a browser on a page route (src/portal sets it; NULL:
     * problem+json as for the API) */
    const struct ps_api_pages *pages;
};

/* Credentials a route accepts (ps_route.creds). 0: none needed, a public route. */
#define PS_CRED_ADMIN 0x1u   /* "Authorization: Bearer <local admin token>" */
#define PS_CRED_SESSION 0x2u /* a person's session: "Authorization: Bearer ps_sess_..." or the
                              * session cookie (then a state change needs a matching Origin) */
#define PS_CRED_SIGNED 0x4u  /* an agency system's HTTP Message Signature (RFC 9421) */
/* A portal page (src/portal). Alone: the session cookie when there is one, anonymous without
 * one (a cookie that does not validate is cleared and the page is served anonymously); with
 * PS_CRED_SESSION: the session cookie is required. Pages read only the cookie (never a Bearer
 * token or a signature), every state-changing request to a page must come from one of our
 * origins (the CSRF check of every form), the signed-in person's record is read in the
 * session's read transaction (ps_api_person), and refusals are pages for browsers
 * (struct ps_api_pages). */
#define PS_CRED_PAGE 0x8u
#define PS_CRED_ANY (PS_CRED_ADMIN | PS_CRED_SESSION | PS_CRED_SIGNED)
/* The session cookie: __Host-ps_session (with Secure) when public_url is https. */
#define PS_SESSION_COOKIE "ps_session"
#define PS_SESSION_COOKIE_SECURE "__Host-ps_session"

/* The credential names of creds ("admin", comma-separated when several; "public" for 0;
 * "page" for PS_CRED_PAGE)
 * into out (NUL-terminated, cut to cap). For `pocketstate routes` and tests. */
void ps_api_creds_text(unsigned creds, char *out, size_t cap);

/* The route table (static; n gets its length). */
const struct ps_route *ps_api_routes(size_t *n);
/* The routes served while the database is not reachable yet at start: /healthz answers 200
 * (the process lives), /readyz and every other path 503 problem+json "not-ready" with
 * Retry-After. Needs no app (req->app is unused) and no dispatcher. */
const struct ps_route *ps_api_starting_routes(size_t *n);

/* The dispatcher (ps_http_config.dispatch) for ps_api_routes: authenticates the request with
 * the credentials its route accepts (401 problem+json with WWW-Authenticate when a
 * non-public route gets none or a wrong one), decides (actor, route action, resource named by
 * the path) with ps_policy_decide (403 with the reason when denied), sets req->subject to the
 * decided actor (a struct ps_actor in the request's arena) and runs the handler. */
void ps_api_dispatch(struct ps_req *req);

/* The OpenAPI 3.1 document describing every route (static, NUL-terminated JSON). */
struct ps_str ps_api_openapi(void);

#endif
