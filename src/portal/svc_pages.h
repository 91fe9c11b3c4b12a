/* The service pages' handlers (services.c, applications.c, tasks.c), named by routes.c:
 * the catalogue, a service, its application's form pages, check your answers, the
 * confirmation, my applications, the inbox, and the officials' queue and tasks
 * (docs/internals/portal.md, "Service pages"). Private to src/portal. */
#ifndef PS_PORTAL_SVC_PAGES_H
#define PS_PORTAL_SVC_PAGES_H

#include "http/http.h"

/* services.c */
void ps_portal_services(struct ps_req *req);
void ps_portal_service(struct ps_req *req);
/* applications.c */
void ps_portal_service_start(struct ps_req *req);
void ps_portal_app_page(struct ps_req *req);
void ps_portal_app_page_post(struct ps_req *req);
void ps_portal_app_check(struct ps_req *req);
void ps_portal_app_submit(struct ps_req *req);
void ps_portal_app_confirmation(struct ps_req *req);
void ps_portal_apps(struct ps_req *req);
void ps_portal_app(struct ps_req *req);
void ps_portal_app_consent(struct ps_req *req);
void ps_portal_inbox(struct ps_req *req);
void ps_portal_inbox_read(struct ps_req *req);
/* ps_page_failed, with a registry's refusal of a transition (PS_ERR_EXISTS: the job rolled
 * back, nothing was written) as a 409 page that says so. ctx starts with the page pointer. */
void ps_portal_svc_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                          const struct ps_diag *store, enum ps_err result);
/* tasks.c */
void ps_portal_queue(struct ps_req *req);
void ps_portal_task(struct ps_req *req);
void ps_portal_task_claim(struct ps_req *req);
void ps_portal_task_decide(struct ps_req *req);
/* slots.c */
void ps_portal_slots(struct ps_req *req);
void ps_portal_slots_post(struct ps_req *req);

#endif
