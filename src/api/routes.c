/* The route table of the JSON API: the contract of every route (ARCHITECTURE.md rule 9).
 * Each row names the method and path, the action the policy decides on (src/policy/policy.c
 * has a rule for each), the credentials the route accepts (0: public), the handler and the
 * body limit. Every route is described in openapi.json; unit tests fail when the table, the
 * policy and the document disagree, or when a non-public route answers a request without a
 * valid credential with anything but 401. */
#include "api/api_int.h"

static const struct ps_route routes[] = {
    {"GET", "/healthz", "system.read", 0, ps_api_healthz, 0},
    {"GET", "/readyz", "system.read", 0, ps_api_readyz, 0},
    {"GET", "/metrics", "system.read", 0, ps_api_metrics, 0},
    {"GET", "/api/openapi.json", "system.read", 0, ps_api_openapi_get, 0},
    /* the population registry */
    {"GET", "/api/v1/registry/persons/{rnokpp}", "person.read", PS_CRED_ANY, ps_api_person_get,
     0},
    {"POST", "/api/v1/registry/persons", "person.register", PS_CRED_ADMIN | PS_CRED_SESSION,
     ps_api_person_post, 16 * 1024},
    {"GET", "/api/v1/registry/persons/{rnokpp}/access-log", "access-log.read",
     PS_CRED_ADMIN | PS_CRED_SESSION, ps_api_person_access_log, 0},
    {"POST", "/api/v1/registry/persons/{rnokpp}/activation-codes", "activation-code.issue",
     PS_CRED_ADMIN | PS_CRED_SESSION, ps_api_activation_post, 4096},
    /* passkeys: enrolment with an activation code, sign-in */
    {"POST", "/api/v1/auth/enrol/options", "auth.enrol", 0, ps_api_enrol_options, 4096},
    {"POST", "/api/v1/auth/enrol", "auth.enrol", 0, ps_api_enrol, 64u << 10},
    {"POST", "/api/v1/auth/signin/options", "auth.signin", 0, ps_api_signin_options, 1024},
    {"POST", "/api/v1/auth/signin", "auth.signin", 0, ps_api_signin, 64u << 10},
    {"POST", "/api/v1/auth/demo", "auth.signin", 0, ps_api_demo_signin, 1024},
    /* a person's own account */
    {"GET", "/api/v1/me", "me.read", PS_CRED_SESSION, ps_api_me_get, 0},
    {"GET", "/api/v1/me/access-log", "me.read", PS_CRED_SESSION, ps_api_me_access_log, 0},
    {"GET", "/api/v1/me/passkeys", "me.read", PS_CRED_SESSION, ps_api_me_passkeys, 0},
    {"PATCH", "/api/v1/me/passkeys/{id}", "me.write", PS_CRED_SESSION, ps_api_me_passkey_patch,
     4096},
    {"DELETE", "/api/v1/me/passkeys/{id}", "me.write", PS_CRED_SESSION,
     ps_api_me_passkey_delete, 0},
    {"GET", "/api/v1/me/sessions", "me.read", PS_CRED_SESSION, ps_api_me_sessions, 0},
    {"DELETE", "/api/v1/me/sessions/{id}", "me.write", PS_CRED_SESSION,
     ps_api_me_session_delete, 0},
    {"POST", "/api/v1/auth/signout", "me.write", PS_CRED_SESSION, ps_api_signout, 0},
    /* agencies, their officials' roles, agency systems */
    {"GET", "/api/v1/agencies", "agency.list", 0, ps_api_agencies, 0},
    {"GET", "/api/v1/agencies/{agency}/roles", "role.list", PS_CRED_ADMIN | PS_CRED_SESSION,
     ps_api_roles_get, 0},
    {"POST", "/api/v1/agencies/{agency}/roles", "role.grant", PS_CRED_ADMIN | PS_CRED_SESSION,
     ps_api_role_post, 4096},
    {"DELETE", "/api/v1/agencies/{agency}/roles/{id}", "role.revoke",
     PS_CRED_ADMIN | PS_CRED_SESSION, ps_api_role_delete, 0},
    {"GET", "/api/v1/clients", "client.list", PS_CRED_ADMIN, ps_api_clients_get, 0},
    {"POST", "/api/v1/clients", "client.add", PS_CRED_ADMIN, ps_api_client_post, 4096},
    {"DELETE", "/api/v1/clients/{id}", "client.remove", PS_CRED_ADMIN, ps_api_client_delete, 0},
    /* documents: one's own, shared, verified, revoked (src/documents) */
    {"GET", "/api/v1/me/documents", "document.own.read", PS_CRED_SESSION, ps_api_my_documents,
     0},
    {"GET", "/api/v1/me/documents/{id}", "document.own.read", PS_CRED_SESSION,
     ps_api_my_document, 0},
    {"GET", "/api/v1/me/documents/{id}/presentation", "document.own.read", PS_CRED_SESSION,
     ps_api_my_presentation, 0},
    {"GET", "/api/v1/me/documents/{id}/pdf", "document.own.read", PS_CRED_SESSION, ps_api_my_pdf,
     0},
    {"GET", "/api/v1/me/documents/{id}/photo", "document.own.read", PS_CRED_SESSION,
     ps_api_my_photo, 0},
    {"POST", "/api/v1/me/documents/{id}/holder-key", "document.own.write", PS_CRED_SESSION,
     ps_api_my_holder_key, 4096},
    {"POST", "/api/v1/me/documents/{id}/shares", "document.own.write", PS_CRED_SESSION,
     ps_api_my_share, 4096},
    {"GET", "/api/v1/registry/persons/{rnokpp}/documents", "document.list", PS_CRED_ANY,
     ps_api_person_documents, 0},
    {"POST", "/api/v1/shares/redeem", "document.share.redeem", PS_CRED_ANY, ps_api_share_redeem,
     1024},
    {"POST", "/api/v1/public/shares/redeem", "document.share.redeem-public", 0,
     ps_api_share_redeem_public, 256},
    {"POST", "/api/v1/agencies/{agency}/documents/{id}/status", "document.status.change",
     PS_CRED_ADMIN | PS_CRED_SESSION, ps_api_document_set_status, 4096},
    {"GET", "/api/v1/documents/{id}/status", "document.public", 0, ps_api_document_status, 0},
    {"GET", "/api/v1/doctypes", "document.public", 0, ps_api_doctypes, 0},
    {"GET", "/api/v1/status-lists/{id}", "document.public", 0, ps_api_status_list, 0},
    {"GET", "/.well-known/pocketstate/trust-list", "document.public", 0, ps_api_trust_list, 0},
    {"GET", "/.well-known/pocketstate/root-key", "document.public", 0, ps_api_root_key, 0},
    /* public services (the engine): catalogue, applications, officials' queue, inbox */
    {"GET", "/api/v1/services", "service.list", 0, ps_api_services_list, 0},
    {"GET", "/api/v1/services/{id}", "service.list", 0, ps_api_service_get, 0},
    {"GET", "/api/v1/services/{id}/slots", "service.list", 0, ps_api_service_slots, 0},
    {"POST", "/api/v1/applications", "application.write", PS_CRED_SESSION, ps_api_app_create,
     256u << 10},
    {"GET", "/api/v1/applications", "application.read", PS_CRED_SESSION, ps_api_apps_mine, 0},
    {"GET", "/api/v1/applications/{id}", "application.read", PS_CRED_SESSION, ps_api_app_get,
     0},
    {"PUT", "/api/v1/applications/{id}/answers", "application.write", PS_CRED_SESSION,
     ps_api_app_save, 256u << 10},
    {"POST", "/api/v1/applications/{id}/submit", "application.write", PS_CRED_SESSION,
     ps_api_app_submit, 0},
    {"POST", "/api/v1/applications/{id}/consent", "application.write", PS_CRED_SESSION,
     ps_api_app_consent, 64u << 10},
    {"GET", "/api/v1/queue", "application.read", PS_CRED_SESSION, ps_api_queue, 0},
    {"POST", "/api/v1/queue/{id}/claim", "task.decide", PS_CRED_SESSION, ps_api_task_claim, 0},
    {"POST", "/api/v1/queue/{id}/decision", "task.decide", PS_CRED_SESSION, ps_api_task_decide,
     4096},
    {"POST", "/api/v1/agencies/{agency}/slots", "slot.add", PS_CRED_SESSION, ps_api_slot_add,
     1024},
    {"GET", "/api/v1/me/inbox", "me.read", PS_CRED_SESSION, ps_api_inbox, 0},
    {"POST", "/api/v1/me/inbox/{id}/read", "me.write", PS_CRED_SESSION, ps_api_inbox_read, 0},
    /* the transparency log: C2SP checkpoint and tlog-tiles at the root, as clients expect */
    {"GET", "/checkpoint", "log.read", 0, ps_api_log_checkpoint, 0},
    {"GET", "/tile/{L}/{N...}", "log.read", 0, ps_api_log_tile, 0},
    {"GET", "/tile/entries/{N...}", "log.read", 0, ps_api_log_entries, 0},
    {"GET", "/.well-known/pocketstate/log-key", "log.read", 0, ps_api_log_key, 0},
    {"GET", "/api/v1/log/proof/inclusion", "log.read", 0, ps_api_log_inclusion, 0},
    {"GET", "/api/v1/log/proof/consistency", "log.read", 0, ps_api_log_consistency, 0},
    {"POST", "/api/v1/log/cosignatures", "log.cosign", 0, ps_api_log_cosign, 64u << 10},
};

const struct ps_route *ps_api_routes(size_t *n)
{
    *n = sizeof routes / sizeof routes[0];
    return routes;
}

static void not_ready(struct ps_req *req)
{
    ps_resp_header(req, "Retry-After", "2");
    ps_resp_problem(req, 503, "not-ready", "Not ready",
                    "the database is not reachable yet; the server keeps trying");
}

static const struct ps_route starting[] = {
    {"GET", "/healthz", "system.read", 0, ps_api_healthz, 0},
    {"GET", "/readyz", "system.read", 0, not_ready, 0},
    {"GET", "/{path...}", "system.read", 0, not_ready, 0},
    {"POST", "/{path...}", "system.read", 0, not_ready, 0},
};

const struct ps_route *ps_api_starting_routes(size_t *n)
{
    *n = sizeof starting / sizeof starting[0];
    return starting;
}
