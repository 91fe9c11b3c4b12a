/* The officials' queue and tasks as pages: the open tasks their roles may decide (the
 * engine's ps_app_queue: role, agency and oblast), one task with its application (read
 * through ps_app_get, which records an official's read of the applicant's answers in the same
 * transaction), claiming it and deciding it (approve, or reject with a reason), each the
 * engine's transition exactly as the API's /api/v1/queue routes make it. */
#include <string.h>

#include "engine/app.h"
#include "identity/official.h"
#include "identity/session.h"
#include "portal/portal_int.h"
#include "portal/svc_form.h"
#include "portal/svc_pages.h"

#define TASKS_MAX 50

struct work {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_app_ctx ac;
    struct ps_app_task tasks[TASKS_MAX];
    size_t n;
    const struct ps_app_task *task; /* the one this page is about */
    struct ps_app_view view;
    json_t *answers;
    struct ps_app_result res;
    struct ps_form form;
    bool claimed_by_me, approve;
    struct ps_str reason, error;
    struct ps_agency agencies[PS_AGENCIES_MAX];
    size_t nagencies;
};

static struct work *work_new(struct ps_req *req, const char *title)
{
    struct ps_app *app = req->app;
    struct work *w = ps_api_alloc(req, sizeof *w);
    if (!w || !(w->pg = ps_page_new(req, title, "/official/queue")))
        return NULL;
    w->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    return w;
}

static const char *lc(const struct ps_page *pg)
{
    return ps_lang_code(pg->lang);
}

/* A task's service title and step, in the page's language. */
static struct ps_str task_service(struct ps_page *pg, const struct ps_app_task *t)
{
    struct ps_app *app = pg->req->app;
    const struct ps_svc *s = ps_engine_current(app->engine, t->service);
    return s ? ps_str_from_cstr(ps_svc_text_in(s->title, lc(pg))) : t->service;
}

static enum ps_err queue_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct work *w = ctx;
    w->ac.tx = tx;
    return ps_app_queue(&w->ac, w->tasks, TASKS_MAX, &w->n, diag);
}

static enum ps_err queue_page_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct work *w = ctx;
    enum ps_err e = queue_op(tx, ctx, diag);
    return e == PS_OK ? ps_agencies_list(tx, w->ac.arena, w->agencies, PS_AGENCIES_MAX,
                                         &w->nagencies, diag)
                      : e;
}

/* A registrar keeps a calendar at each agency they are a registrar of. */
static bool calendars(struct work *w, struct ps_tpl_queue *v)
{
    const struct ps_session *s = ps_api_session(w->pg->req);
    size_t n = s ? s->nroles : 0, k = 0;
    struct ps_tpl_queue_calendars *c = ps_api_alloc(w->pg->req, (n ? n : 1) * sizeof *c);
    if (!c)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!ps_str_eq_cstr(s->roles[i].name, "registrar"))
            continue;
        c[k].code = s->roles[i].agency;
        c[k++].agency =
            ps_portal_agency_name(w->pg->lang, w->agencies, w->nagencies, s->roles[i].agency);
    }
    v->calendars = c;
    v->ncalendars = k;
    return true;
}

static void queue_render(struct ps_req *req, void *ctx)
{
    struct work *w = ctx;
    struct ps_tpl_queue_tasks *t = ps_api_alloc(req, (w->n ? w->n : 1) * sizeof *t);
    size_t k = 0;
    if (!t)
        return;
    for (size_t i = 0; i < w->n; i++) {
        const struct ps_app_task *x = &w->tasks[i];
        if (ps_str_eq_cstr(x->kind, "consent")) /* a citizen's own: on their application */
            continue;
        t[k].id = x->id;
        t[k].service = task_service(w->pg, x);
        t[k].step = x->step;
        t[k].due = x->due_ms / 1000;
        t[k].claimed = ps_str_from_cstr(ps_page_t(w->pg, !x->claimed_by.len ? N_("No")
                                                         : ps_str_eq(x->claimed_by, w->ac.actor->id)
                                                             ? N_("By you")
                                                             : N_("By another official")));
        k++;
    }
    struct ps_tpl_queue v = {.tasks = t, .ntasks = k};
    if (calendars(w, &v))
        ps_page_send(w->pg, 200, ps_tpl_queue_slot(&v));
}

void ps_portal_queue(struct ps_req *req)
{
    struct work *w = work_new(req, N_("Tasks"));
    if (w)
        ps_api_read_or(req, queue_page_op, w, queue_render, ps_page_failed);
}

/* ---- one task ---- */

enum { D_DECISION, D_REASON, D_N };

/* The decision form as two questions of the kind a definition has, worded from po/. */
static void decision_form(struct ps_svc_field f[D_N], struct ps_svc_option o[2])
{
    static const char *const msgs[] = {N_("Approve"), N_("Reject"), N_("Your decision"),
                                       N_("Reason"),
                                       N_("Needed to reject: the applicant will see it")};
    struct ps_svc_text t[5];
    for (size_t i = 0; i < 5; i++)
        t[i] = (struct ps_svc_text){ps_i18n(PS_LANG_UK, msgs[i]), ps_i18n(PS_LANG_EN, msgs[i])};
    o[0] = (struct ps_svc_option){"approve", t[0]};
    o[1] = (struct ps_svc_option){"reject", t[1]};
    memset(f, 0, D_N * sizeof *f);
    f[D_DECISION] = (struct ps_svc_field){
        .name = "decision", .type = PS_SVC_ENUM, .label = t[2], .options = o, .noptions = 2};
    f[D_REASON] =
        (struct ps_svc_field){.name = "reason", .type = PS_SVC_TEXT, .label = t[3], .hint = t[4]};
}

/* The task named in the path among the queue's, then its application (recorded). */
static enum ps_err task_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct work *w = ctx;
    struct ps_str id = ps_req_param(w->pg->req, "id");
    enum ps_err e = queue_op(tx, w, diag);
    w->task = NULL;
    for (size_t i = 0; e == PS_OK && i < w->n && !w->task; i++)
        if (ps_str_eq(w->tasks[i].id, id) && !ps_str_eq_cstr(w->tasks[i].kind, "consent"))
            w->task = &w->tasks[i];
    if (e != PS_OK)
        return e;
    if (!w->task)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such task");
    e = ps_app_get(&w->ac, w->task->application, &w->view, diag);
    if (e == PS_OK && !w->view.svc)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "the service version is not loaded");
    w->answers = e == PS_OK ? json_loadb(w->view.answers.p, w->view.answers.len, 0, NULL) : NULL;
    if (w->answers &&
        ps_arena_defer(w->ac.arena, (void (*)(void *))json_decref, w->answers) != PS_OK) {
        json_decref(w->answers);
        w->answers = NULL;
    }
    if (e == PS_OK && !w->answers)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    return e;
}

static bool events_of(struct work *w, struct ps_tpl_task *v)
{
    struct ps_tpl_task_events *ev =
        ps_api_alloc(w->pg->req, (w->view.nevents ? w->view.nevents : 1) * sizeof *ev);
    if (!ev)
        return false;
    for (size_t i = 0; i < w->view.nevents; i++) {
        const struct ps_app_event *e = &w->view.events[i];
        ev[i].at = e->at_ms / 1000;
        const char *m = ps_svcform_event_msg(e->kind, e->detail);
        ev[i].text =
            m ? ps_str_from_cstr(ps_page_t(w->pg, m))
              : ps_str_from_cstr(ps_arena_printf(w->pg->req->arena, "%.*s: %.*s",
                                                 PS_STR_FMT(e->kind), PS_STR_FMT(e->detail)));
    }
    v->events = ev;
    v->nevents = w->view.nevents;
    return true;
}

static void task_page(struct work *w, int status)
{
    struct ps_page *pg = w->pg;
    struct ps_app *app = pg->req->app;
    const struct ps_app_task *t = w->task;
    bool mine = ps_str_eq(t->claimed_by, w->ac.actor->id);
    json_t *given = json_object();
    if (given && w->form.values[D_DECISION].len)
        json_object_set_new(
            given, "decision",
            json_stringn(w->form.values[D_DECISION].p, w->form.values[D_DECISION].len));
    if (given && w->form.values[D_REASON].len)
        json_object_set_new(given, "reason",
                            json_stringn(w->form.values[D_REASON].p, w->form.values[D_REASON].len));
    struct ps_svc_field fields[D_N];
    struct ps_svc_option options[2];
    decision_form(fields, options);
    const char *err_at = w->form.values[D_DECISION].len ? "reason" : "decision";
    struct ps_form_error err = {err_at, w->error.p, w->error.p};
    struct ps_svcform_view fv = {pg->lang, given, &err, w->error.len ? 1 : 0, NULL, 0};
    struct ps_svcform_view av = {pg->lang, w->answers, NULL, 0, NULL, 0};
    struct ps_tpl_question *q = NULL;
    size_t nq = 0;
    struct ps_tpl_task v = {
        .service = task_service(pg, t),
        .step = t->step,
        .app_id = t->application,
        .applicant = w->view.applicant,
        .status = ps_str_from_cstr(ps_page_t(pg, ps_svcform_status_msg(w->view.status))),
        .due = t->due_ms / 1000,
        .id = t->id,
        .claimable = !t->claimed_by.len,
        .decidable = mine,
        .other = t->claimed_by.len && !mine,
    };
    enum ps_err e = ps_svcform_answers(w->view.svc, &av, ps_engine_env(app->engine), NULL,
                                       pg->req->arena, &v.answers);
    if (e == PS_OK && given)
        e = ps_svcform_questions(fields, D_N, NULL, &fv, pg->req->arena, &q, &nq);
    json_decref(given);
    if (e != PS_OK || !given || !events_of(w, &v))
        return ps_page_error(pg, 500, N_("Sorry, something went wrong"), N_("Try again later."));
    v.decision = q[0];
    v.reason = q[1];
    if (w->error.len) {
        pg->errors[0].id =
            ps_str_from_cstr(ps_svcform_error_id(fields, D_N, err_at, pg->req->arena));
        pg->errors[0].message = w->error;
        pg->layout.nerrors = 1;
    }
    ps_page_send(pg, status, ps_tpl_task_slot(&v));
}

static void task_render(struct ps_req *req, void *ctx)
{
    (void)req;
    task_page(ctx, 200);
}

void ps_portal_task(struct ps_req *req)
{
    struct work *w = work_new(req, N_("Tasks"));
    if (!w)
        return;
    ps_form_init(&w->form, NULL, 0);
    ps_api_write_or(req, task_op, w, task_render, ps_page_failed);
}

/* ---- claim and decide ---- */

static enum ps_err claim_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct work *w = ctx;
    w->ac.tx = tx;
    memset(&w->res, 0, sizeof w->res);
    return ps_app_claim(&w->ac, ps_req_param(w->pg->req, "id"), &w->res, diag);
}

static void decided_render(struct ps_req *req, void *ctx)
{
    struct work *w = ctx;
    if (w->res.outcome == PS_APP_REFUSED) {
        ps_page_error(w->pg, 403, N_("You cannot do that"),
                      N_("Your roles do not allow this task, or another official has it."));
        return;
    }
    char *to =
        ps_arena_printf(req->arena, "/official/tasks/%.*s", PS_STR_FMT(ps_req_param(req, "id")));
    ps_page_redirect(w->pg, w->res.status && strcmp(w->res.status, "waiting") != 0
                                ? "/official/queue"
                                : (to ? to : "/official/queue"));
}

void ps_portal_task_claim(struct ps_req *req)
{
    struct work *w = work_new(req, N_("Tasks"));
    if (!w)
        return;
    ps_form_init(&w->form, NULL, 0);
    if (ps_page_post_form(w->pg, &w->form))
        ps_api_write_or(req, claim_op, w, decided_render, ps_portal_svc_failed);
}

static enum ps_err decide_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct work *w = ctx;
    w->ac.tx = tx;
    memset(&w->res, 0, sizeof w->res);
    if (w->error.len) /* the form's error: the page again, nothing decided */
        return task_op(tx, w, diag);
    return ps_app_decide(&w->ac, ps_req_param(w->pg->req, "id"), w->approve, w->reason, &w->res,
                         diag);
}

static void decide_render(struct ps_req *req, void *ctx)
{
    struct work *w = ctx;
    if (w->error.len) {
        task_page(w, 400);
        return;
    }
    decided_render(req, ctx);
}

void ps_portal_task_decide(struct ps_req *req)
{
    static const struct ps_field fields[D_N] = {
        [D_DECISION] = {.name = "f-decision", .label = N_("Your decision")},
        [D_REASON] = {.name = "f-reason", .label = N_("Reason"), .max_chars = PS_APP_REASON_MAX},
    };
    struct work *w = work_new(req, N_("Tasks"));
    if (!w)
        return;
    ps_form_init(&w->form, fields, D_N);
    if (!ps_page_post_form(w->pg, &w->form))
        return;
    struct ps_str d = w->form.values[D_DECISION];
    w->approve = ps_str_eq_cstr(d, "approve");
    w->reason = w->form.values[D_REASON];
    if (!w->approve && !ps_str_eq_cstr(d, "reject"))
        w->error = ps_str_from_cstr(ps_page_t(w->pg, N_("Choose whether to approve or reject")));
    else if (!w->approve && !w->reason.len)
        w->error = ps_str_from_cstr(ps_page_t(w->pg, N_("Enter the reason for the refusal")));
    else if (w->reason.len > PS_APP_REASON_MAX)
        w->error = ps_str_from_cstr(ps_page_t(w->pg, N_("The reason must be 500 characters "
                                                        "or fewer")));
    ps_api_write_or(req, decide_op, w, decide_render, ps_portal_svc_failed);
}
