/* Private to src/api: the handlers, and the few helpers every handler uses: the decided actor,
 * running a domain operation for a request, rendering JSON into the response, and mapping
 * errors to problems. */
#ifndef PS_API_API_INT_H
#define PS_API_API_INT_H

#include <stdbool.h>

#include "api/api.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/jsonw.h"
#include "http/http.h"
#include "policy/actor.h"
#include "store/store.h"

/* ---- handlers (routes.c names them) ---- */
void ps_api_healthz(struct ps_req *req);
void ps_api_readyz(struct ps_req *req);
void ps_api_metrics(struct ps_req *req);
void ps_api_openapi_get(struct ps_req *req);
void ps_api_person_get(struct ps_req *req);
void ps_api_person_post(struct ps_req *req);
void ps_api_person_access_log(struct ps_req *req);
void ps_api_log_checkpoint(struct ps_req *req);
void ps_api_log_tile(struct ps_req *req);
void ps_api_log_entries(struct ps_req *req);
void ps_api_log_key(struct ps_req *req);
void ps_api_log_inclusion(struct ps_req *req);
void ps_api_log_consistency(struct ps_req *req);
void ps_api_log_cosign(struct ps_req *req);
/* identity (me_api.c, officials_api.c, auth_api.c) */
void ps_api_me_get(struct ps_req *req);
void ps_api_me_access_log(struct ps_req *req);
void ps_api_me_passkeys(struct ps_req *req);
void ps_api_me_passkey_patch(struct ps_req *req);
void ps_api_me_passkey_delete(struct ps_req *req);
void ps_api_me_sessions(struct ps_req *req);
void ps_api_me_session_delete(struct ps_req *req);
void ps_api_signout(struct ps_req *req);
void ps_api_activation_post(struct ps_req *req);
void ps_api_agencies(struct ps_req *req);
void ps_api_roles_get(struct ps_req *req);
void ps_api_role_post(struct ps_req *req);
void ps_api_role_delete(struct ps_req *req);
void ps_api_clients_get(struct ps_req *req);
void ps_api_client_post(struct ps_req *req);
void ps_api_client_delete(struct ps_req *req);
void ps_api_enrol_options(struct ps_req *req);
void ps_api_enrol(struct ps_req *req);
void ps_api_signin_options(struct ps_req *req);
void ps_api_signin(struct ps_req *req);
void ps_api_demo_signin(struct ps_req *req);
/* documents (documents_api.c, docs_public_api.c) */
void ps_api_my_documents(struct ps_req *req);
void ps_api_my_document(struct ps_req *req);
void ps_api_my_presentation(struct ps_req *req);
void ps_api_my_pdf(struct ps_req *req);
void ps_api_my_photo(struct ps_req *req);
void ps_api_my_holder_key(struct ps_req *req);
void ps_api_my_share(struct ps_req *req);
void ps_api_trust_list(struct ps_req *req);
void ps_api_root_key(struct ps_req *req);
void ps_api_status_list(struct ps_req *req);
void ps_api_document_status(struct ps_req *req);
void ps_api_doctypes(struct ps_req *req);
void ps_api_share_redeem(struct ps_req *req);
void ps_api_share_redeem_public(struct ps_req *req);
void ps_api_person_documents(struct ps_req *req);
void ps_api_document_set_status(struct ps_req *req);
/* The documents service, or NULL after answering 503 "documents-unavailable". */
struct ps_docs *ps_api_docs(struct ps_req *req);
/* 409 "document-not-in-force" naming why (revoked, suspended, expired). */
struct ps_document;
void ps_api_not_in_force(struct ps_req *req, const struct ps_document *doc);
/* the service engine (services_api.c, applications_api.c) */
void ps_api_services_list(struct ps_req *req);
void ps_api_service_get(struct ps_req *req);
void ps_api_service_slots(struct ps_req *req);
void ps_api_app_create(struct ps_req *req);
void ps_api_apps_mine(struct ps_req *req);
void ps_api_app_get(struct ps_req *req);
void ps_api_app_save(struct ps_req *req);
void ps_api_app_submit(struct ps_req *req);
void ps_api_app_consent(struct ps_req *req);
void ps_api_queue(struct ps_req *req);
void ps_api_task_claim(struct ps_req *req);
void ps_api_task_decide(struct ps_req *req);
void ps_api_slot_add(struct ps_req *req);
void ps_api_inbox(struct ps_req *req);
void ps_api_inbox_read(struct ps_req *req);
/* Appends the integrator's Prometheus metrics (nothing when app->tlog is NULL). */
enum ps_err ps_api_log_metrics(struct ps_app *app, struct ps_buf *b) PS_WUR;

/* ---- the decided actor (dispatch.c) ---- */

/* The actor the dispatcher decided for this request (borrowed, valid until it ends); never
 * NULL in a handler run through ps_api_dispatch (anonymous on public routes). */
const struct ps_actor *ps_api_actor(struct ps_req *req);

/* The session the request was authenticated with (borrowed; roles included), or NULL when it
 * was not a person's session. */
struct ps_session;
const struct ps_session *ps_api_session(struct ps_req *req);

/* The signed-in person's registry record on a page route (read in the session's read
 * transaction: one transaction for the session and the record; borrowed, the request's
 * arena), or NULL (not a page, nobody signed in, no record). */
struct ps_person;
const struct ps_person *ps_api_person(struct ps_req *req);

/* Decides again, for a resource the request names in its body rather than its path (a page's
 * form: the person an official looks up), exactly as the dispatcher decides with a path's
 * {rnokpp}: the policy on (authenticated actor, route action, owner), again with the
 * person's oblast when a role is scoped to one. Allowed: req->subject becomes the new decided
 * actor and then(req) runs; denied: the denial is recorded and answered as the dispatcher
 * answers it (a page for a browser). Only for a request that came through ps_api_dispatch. */
void ps_api_decide_for(struct ps_req *req, struct ps_str owner, ps_handler_fn then);

/* Makes req run as actor, signed in with session and person (each may be NULL), as if the
 * dispatcher had decided it: for handlers called without a dispatcher (unit tests). False
 * when the arena is exhausted. */
bool ps_api_subject_set(struct ps_req *req, const struct ps_actor *actor,
                        const struct ps_session *session, const struct ps_person *person);

/* The value of cookie name in the Cookie header (RFC 6265 5.4: "a=b; c=d"), or PS_STR_NULL.
 * Borrowed. */
struct ps_str ps_api_cookie(struct ps_req *req, const char *name);

/* True when this server runs `pocketstate demo` and rnokpp is one of its demo people: the
 * one-click demo sign-in is allowed for them only. */
bool ps_api_demo_person(const struct ps_app *app, struct ps_str rnokpp);

/* Sets the session cookie to token for max_age_s seconds (HttpOnly, SameSite=Strict, Path=/;
 * __Host- and Secure when public_url is https), or clears it when token is NULL. */
void ps_api_session_cookie(struct ps_req *req, const char *token, int64_t max_age_s);

/* Takes a token of r's bucket for key (kind names it: "address", "account", "client"):
 * false when there was one (or r is NULL: no limit); true after answering 429 with
 * Retry-After. */
bool ps_api_limited(struct ps_req *req, struct ps_ratelimit *r, const char *kind,
                    struct ps_str key);

/* An agency system's signed request (signed.c): NONE without Signature-Input/Signature, OK
 * with *who (kind system, id, scopes, agency) and the nonce to use, BAD with why (a
 * PS_ID_HS_* or PS_ID_DG_* code: its name is the problem type). */
enum ps_api_signed { PS_API_SIGNED_NONE, PS_API_SIGNED_OK, PS_API_SIGNED_BAD };
struct ps_id_diag;
enum ps_api_signed ps_api_auth_signed(struct ps_req *req, struct ps_actor *who,
                                      struct ps_str *nonce, struct ps_id_diag *why);

/* ---- running domain operations (run.c) ---- */

/* A domain operation: runs in a transaction with the request's context; diag is the domain's
 * reason for a failure (cleared before every run: a job may run again after a conflict). */
typedef enum ps_err (*ps_api_op)(struct ps_tx *tx, void *ctx, struct ps_diag *diag);
/* Renders the response once the operation succeeded (on a server thread). */
typedef void (*ps_api_render)(struct ps_req *req, void *ctx);

/* Runs op as a store job for req: suspends req, submits the job, and when it is durable calls
 * render(req, ctx), or answers the failure (the domain's diag first, else the store's:
 * ps_api_fail_job). A store that refuses the job (shutting down) answers 503 at once; if the
 * server's shutdown grace ends first, a job still queued is withdrawn and the 503 says
 * nothing was done, one a committer has taken is 503 outcome-unknown. ctx must live in req's
 * arena. Out of memory answers 500. */
void ps_api_write(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render);
/* Runs op in a read transaction on this thread (ps_store_read), then render or the failure
 * as above. For reads that record nothing. */
void ps_api_read(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render);
/* How a failed operation is answered when the caller does not want problem+json (the
 * portal's HTML pages): domain is the operation's diagnostic, store the store's, result the
 * transaction's error, as ps_api_fail_job takes them. */
typedef void (*ps_api_failure)(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                               const struct ps_diag *store, enum ps_err result);
/* ps_api_write and ps_api_read with fail answering failures (NULL: ps_api_fail_job). */
void ps_api_write_or(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render,
                     ps_api_failure fail);
void ps_api_read_or(struct ps_req *req, ps_api_op op, void *ctx, ps_api_render render,
                    ps_api_failure fail);
/* Allocates n zeroed bytes in req's arena; NULL after answering 500. */
void *ps_api_alloc(struct ps_req *req, size_t n);

/* ---- JSON responses (run.c) ---- */

/* Starts a JSON body written straight into the response. */
void ps_api_json_begin(struct ps_req *req, struct ps_jw *w);
/* Sends it with status (application/json), or 500 when the writer failed (too large, out of
 * memory, a rendering bug: logged). */
void ps_api_json_end(struct ps_req *req, struct ps_jw *w, int status);

/* ---- errors (errors.c) ---- */

/* Answers a domain error (the domain's own diagnostic: its INVALID, LIMIT, NOTFOUND, EXISTS,
 * DENIED are the caller's doing) with the matching problem: 400/400/404/409/403; CONFLICT
 * (retries ran out) and UNAVAILABLE are 503 with Retry-After; UNKNOWN_OUTCOME 503 without;
 * anything else 500, logged. */
void ps_api_fail(struct ps_req *req, const struct ps_diag *diag);
/* Answers an error the store reported around a job (not the domain's): 503 for CONFLICT,
 * UNAVAILABLE and UNKNOWN_OUTCOME, else 500 with the detail only in the log (a constraint
 * or SQL message is an internal matter, not the client's). */
void ps_api_fail_store(struct ps_req *req, const struct ps_diag *diag);
/* A transaction failed: the domain's diagnostic when it set one (ps_api_fail), else the
 * store's, or result (ps_api_fail_store). */
void ps_api_fail_job(struct ps_req *req, const struct ps_diag *domain,
                     const struct ps_diag *store, enum ps_err result);
/* 400 problems for request parsing: "invalid-input" with the detail (printf format). */
#define ps_api_invalid(req, ...)                                                             \
    ps_resp_problem((req), 400, "invalid-input", "Invalid input", __VA_ARGS__)
/* Parses req's body as a JSON object of at most max_depth levels (the route's max_body):
 * NULL after answering 415 (not application/json), 400 malformed-json or limit-exceeded, or
 * 400 invalid-input (not an object). The value is owned by the arena. */
json_t *ps_api_json_body(struct ps_req *req, size_t max_depth);

/* The required ?reason= of a change (1..PS_API_PURPOSE_MAX bytes): false after answering 400. */
bool ps_api_reason(struct ps_req *req, struct ps_str *out);
/* A render that answers 204 No Content. */
void ps_api_no_content(struct ps_req *req, void *ctx);

/* The ?purpose= of a read of someone's data, as given (the domain supplies defaults and
 * requires one where it must): PS_STR_NULL when absent; false when it is malformed or longer
 * than PS_API_PURPOSE_MAX bytes (then it has answered 400). */
#define PS_API_PURPOSE_MAX 200
bool ps_api_purpose(struct ps_req *req, struct ps_str *out);

#endif
