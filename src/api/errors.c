/* Errors to problems (RFC 9457, the stable types of docs/problems.md): the domain's and the
 * store's errors, request parsing, and the JSON body every write route reads. */
#include "api/api_int.h"
#include "core/log.h"

static void fail_internal(struct ps_req *req, const struct ps_diag *diag, const char *msg)
{
    /* store internals stay in the log, not in the response */
    ps_log(PS_LOG_ERROR, "request %s failed: %s: %s", req->request_id, ps_err_name(diag->code),
           msg);
    ps_resp_problem(req, 500, "internal", "Internal error", "request %s failed",
                    req->request_id);
}

/* Errors that mean "try again shortly" (or, for an unknown outcome, "look, then maybe try
 * again"), from the domain or the store alike. */
static bool fail_transient(struct ps_req *req, const struct ps_diag *diag)
{
    if (diag->code == PS_ERR_UNAVAILABLE) {
        ps_resp_header(req, "Retry-After", "1");
        ps_resp_problem(req, 503, "store-unavailable", "Store unavailable",
                        "the database is not reachable; nothing was written");
        return true;
    }
    if (diag->code == PS_ERR_CONFLICT) {
        /* lock or serialization retries ran out: the server's state, not the resource's */
        ps_resp_header(req, "Retry-After", "1");
        ps_resp_problem(req, 503, "busy", "Busy",
                        "the database is busy; nothing was written, try again");
        return true;
    }
    if (diag->code == PS_ERR_UNKNOWN_OUTCOME) {
        /* no Retry-After: a blind retry could apply the write twice */
        ps_resp_problem(req, 503, "outcome-unknown", "Outcome unknown",
                        "the database connection was lost while committing; the write may or "
                        "may not have been applied: read the resource before retrying");
        return true;
    }
    return false;
}

/* The domain's errors that are the caller's doing, and how each is answered. */
static const struct {
    enum ps_err code;
    int status;
    const char *slug, *title;
} caller_errors[] = {
    {PS_ERR_INVALID, 400, "invalid-input", "Invalid input"},
    {PS_ERR_LIMIT, 400, "limit-exceeded", "Limit exceeded"},
    {PS_ERR_NOTFOUND, 404, "not-found", "Not found"},
    {PS_ERR_EXISTS, 409, "conflict", "Conflict"},
    {PS_ERR_DENIED, 403, "forbidden", "Forbidden"},
};

void ps_api_fail(struct ps_req *req, const struct ps_diag *diag)
{
    const char *msg = diag->message[0] ? diag->message : ps_err_name(diag->code);
    if (fail_transient(req, diag))
        return;
    for (size_t i = 0; i < sizeof caller_errors / sizeof caller_errors[0]; i++) {
        if (caller_errors[i].code == diag->code) {
            ps_resp_problem(req, caller_errors[i].status, caller_errors[i].slug,
                            caller_errors[i].title, "%s", msg);
            return;
        }
    }
    fail_internal(req, diag, msg);
}

void ps_api_fail_store(struct ps_req *req, const struct ps_diag *diag)
{
    const char *msg = diag->message[0] ? diag->message : ps_err_name(diag->code);
    if (!fail_transient(req, diag))
        fail_internal(req, diag, msg);
}

void ps_api_fail_job(struct ps_req *req, const struct ps_diag *domain,
                     const struct ps_diag *store, enum ps_err result)
{
    if (domain->code != PS_OK) {
        ps_api_fail(req, domain);
        return;
    }
    struct ps_diag d = *store;
    if (d.code == PS_OK)
        d.code = result != PS_OK ? result : PS_ERR_INTERNAL;
    ps_api_fail_store(req, &d);
}

json_t *ps_api_json_body(struct ps_req *req, size_t max_depth)
{
    if (!ps_req_content_type_is(req, "application/json")) {
        ps_resp_problem(req, 415, "unsupported-media-type", "Unsupported media type",
                        "the body must be application/json");
        return NULL;
    }
    json_t *root = NULL;
    struct ps_diag d = {0};
    if (ps_json_parse(req->arena, req->body, req->route->max_body, max_depth, &root, &d) !=
        PS_OK) {
        if (d.code == PS_ERR_LIMIT)
            ps_resp_problem(req, 400, "limit-exceeded", "Limit exceeded", "%s", d.message);
        else
            ps_resp_problem(req, 400, "malformed-json", "Malformed JSON", "%s", d.message);
        return NULL;
    }
    if (!json_is_object(root)) {
        ps_api_invalid(req, "the body must be an object");
        return NULL;
    }
    return root;
}

bool ps_api_purpose(struct ps_req *req, struct ps_str *out)
{
    /* recorded in the access log: a malformed one is refused, never silently dropped */
    if (ps_req_query_get(req, "purpose", out) == PS_ERR_INVALID) {
        ps_api_invalid(req, "purpose is not valid percent-encoded text");
        return false;
    }
    if (out->p && out->len > PS_API_PURPOSE_MAX) {
        ps_api_invalid(req, "purpose is longer than %d bytes", PS_API_PURPOSE_MAX);
        return false;
    }
    return true;
}

bool ps_api_reason(struct ps_req *req, struct ps_str *out)
{
    if (ps_req_query_get(req, "reason", out) != PS_OK || out->len == 0 ||
        out->len > PS_API_PURPOSE_MAX) {
        ps_api_invalid(req, "?reason= is required: why, at most %d bytes", PS_API_PURPOSE_MAX);
        return false;
    }
    return true;
}
