/* JSON representations of the service engine's objects (services_render.c): definitions as
 * the portal and apps render forms from them, applications with their history, tasks, inbox
 * messages, slots, and the engine's problems with their per-field errors. Private to
 * src/api. */
#ifndef PS_API_SERVICES_RENDER_H
#define PS_API_SERVICES_RENDER_H

#include "core/jsonw.h"
#include "engine/app.h"
#include "engine/svc.h"
#include "http/http.h"

/* "en" when ?lang=en or Accept-Language prefers English, else "uk". */
const char *ps_api_lang(struct ps_req *req);

void ps_api_svc_summary_json(struct ps_jw *w, const struct ps_svc *s);
/* The whole definition a form is rendered from: fields, pages, steps, consent fields. */
void ps_api_svc_json(struct ps_jw *w, const struct ps_svc *s);
void ps_api_app_json(struct ps_jw *w, const struct ps_app_view *v);
/* The result of a transition (201/200 bodies). */
void ps_api_app_result_json(struct ps_jw *w, const struct ps_app_result *r);
void ps_api_task_json(struct ps_jw *w, const struct ps_app_task *t);
void ps_api_inbox_json(struct ps_jw *w, const struct ps_inbox_msg *m);
void ps_api_slot_json(struct ps_jw *w, const struct ps_slot *s);

/* A transition's answer into b: 201/200 with the application, or the problem of a result
 * that is not done (422 validation-failed or not-eligible with "errors", 403 not-entitled).
 * *status gets the HTTP status. */
enum ps_err ps_api_app_answer(struct ps_buf *b, const struct ps_app_result *r, int ok_status,
                              const char *lang, const char *instance, const char *request_id,
                              int *status) PS_WUR;

#endif
