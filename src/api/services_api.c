/* Reading the service engine: the catalogue and a service's definition (public), free slots,
 * a citizen's applications and one application with its history (a store job when someone
 * else's answers are shown: the read is recorded), the queue, the inbox, and registrars
 * adding slots. */
#include <string.h>

#include "api/api_int.h"
#include "api/services_render.h"
#include "core/clock.h"
#include "engine/app.h"
#include "engine/engine.h"

/* ---- GET /api/v1/services ---- */

/* A case-sensitive substring of the title in either language, the id or the category. */
static bool matches(const struct ps_svc *s, struct ps_str q, struct ps_str category)
{
    if (category.len && !ps_str_eq_cstr(category, s->category))
        return false;
    if (!q.len)
        return true;
    const char *hay[] = {s->id, s->title.uk, s->title.en, s->description.uk,
                         s->description.en};
    char needle[128];
    if (ps_str_copy(needle, sizeof needle, q) != PS_OK)
        return false;
    for (size_t i = 0; i < sizeof hay / sizeof hay[0]; i++)
        if (strcasestr(hay[i], needle))
            return true;
    return false;
}

void ps_api_services_list(struct ps_req *req)
{
    struct ps_app *app = req->app;
    const struct ps_svc *svcs[PS_ENGINE_MAX_SERVICES];
    struct ps_str q = ps_req_query(req, "q"), cat = ps_req_query(req, "category");
    size_t n = ps_engine_catalogue(app->engine, svcs, PS_ENGINE_MAX_SERVICES);
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "services");
    ps_jw_arr(&w);
    for (size_t i = 0; i < n; i++)
        if (matches(svcs[i], q, cat))
            ps_api_svc_summary_json(&w, svcs[i]);
    ps_jw_arr_end(&w);
    ps_jw_key(&w, "categories");
    ps_jw_arr(&w);
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++)
            seen = strcmp(svcs[k]->category, svcs[i]->category) == 0;
        if (!seen)
            ps_jw_cstr(&w, svcs[i]->category);
    }
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_api_json_end(req, &w, 200);
}

/* ---- GET /api/v1/services/{id} ---- */

void ps_api_service_get(struct ps_req *req)
{
    struct ps_app *app = req->app;
    const struct ps_svc *s = ps_engine_current(app->engine, ps_req_param(req, "id"));
    if (!s) {
        ps_resp_problem(req, 404, "not-found", "Not found", "no such service");
        return;
    }
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_svc_json(&w, s);
    ps_api_json_end(req, &w, 200);
}

/* ---- GET /api/v1/services/{id}/slots ---- */

struct slots {
    const struct ps_svc *svc;
    struct ps_app_ctx ac;
    struct ps_slot rows[50];
    size_t n;
};

static enum ps_err slots_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct slots *s = ctx;
    s->ac.tx = tx;
    s->n = 0;
    for (size_t i = 0; i < s->svc->nsteps; i++) {
        const struct ps_svc_step *st = &s->svc->steps[i];
        size_t got = 0;
        if (st->kind != PS_SVC_APPOINTMENT)
            continue;
        enum ps_err e = ps_slots_free(&s->ac, ps_str_from_cstr(st->agency),
                                      ps_str_from_cstr(st->slot_kind), s->rows + s->n,
                                      50 - s->n, &got, diag);
        if (e != PS_OK)
            return e;
        s->n += got;
    }
    return PS_OK;
}

static void slots_render(struct ps_req *req, void *ctx)
{
    struct slots *s = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "slots");
    ps_jw_arr(&w);
    for (size_t i = 0; i < s->n; i++)
        ps_api_slot_json(&w, &s->rows[i]);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_service_slots(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct slots *s = ps_api_alloc(req, sizeof *s);
    if (!s)
        return;
    s->svc = ps_engine_current(app->engine, ps_req_param(req, "id"));
    if (!s->svc) {
        ps_resp_problem(req, 404, "not-found", "Not found", "no such service");
        return;
    }
    s->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    ps_api_read(req, slots_op, s, slots_render);
}

/* ---- GET /api/v1/applications, /api/v1/applications/{id} ---- */

struct reading {
    struct ps_app_ctx ac;
    struct ps_str id;
    struct ps_app_view one;
    struct ps_app_view *list;
    struct ps_app_task tasks[50];
    struct ps_inbox_msg msgs[50];
    size_t n;
};

static struct reading *reading_new(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct reading *r = ps_api_alloc(req, sizeof *r);
    if (r)
        r->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    return r;
}

static enum ps_err mine_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct reading *r = ctx;
    r->ac.tx = tx;
    return ps_app_mine(&r->ac, r->list, PS_APP_LIST_MAX, &r->n, diag);
}

static void mine_render(struct ps_req *req, void *ctx)
{
    struct reading *r = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "applications");
    ps_jw_arr(&w);
    for (size_t i = 0; i < r->n; i++)
        ps_api_app_json(&w, &r->list[i]);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_apps_mine(struct ps_req *req)
{
    struct reading *r = reading_new(req);
    if (!r || !(r->list = ps_api_alloc(req, PS_APP_LIST_MAX * sizeof *r->list)))
        return;
    ps_api_read(req, mine_op, r, mine_render);
}

static enum ps_err get_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct reading *r = ctx;
    r->ac.tx = tx;
    return ps_app_get(&r->ac, r->id, &r->one, diag);
}

static void get_render(struct ps_req *req, void *ctx)
{
    struct reading *r = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_api_app_json(&w, &r->one);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_app_get(struct ps_req *req)
{
    struct reading *r = reading_new(req);
    if (!r)
        return;
    r->id = ps_req_param(req, "id");
    ps_api_write(req, get_op, r, get_render); /* a read of another's answers is recorded */
}

/* ---- GET /api/v1/queue ---- */

static enum ps_err queue_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct reading *r = ctx;
    r->ac.tx = tx;
    return ps_app_queue(&r->ac, r->tasks, 50, &r->n, diag);
}

static void queue_render(struct ps_req *req, void *ctx)
{
    struct reading *r = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "tasks");
    ps_jw_arr(&w);
    for (size_t i = 0; i < r->n; i++)
        ps_api_task_json(&w, &r->tasks[i]);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_queue(struct ps_req *req)
{
    struct reading *r = reading_new(req);
    if (r)
        ps_api_read(req, queue_op, r, queue_render);
}

/* ---- GET /api/v1/me/inbox, POST /api/v1/me/inbox/{id}/read ---- */

static enum ps_err inbox_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct reading *r = ctx;
    r->ac.tx = tx;
    return ps_inbox_list(&r->ac, r->msgs, 50, &r->n, diag);
}

static void inbox_render(struct ps_req *req, void *ctx)
{
    struct reading *r = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_key(&w, "messages");
    ps_jw_arr(&w);
    for (size_t i = 0; i < r->n; i++)
        ps_api_inbox_json(&w, &r->msgs[i]);
    ps_jw_arr_end(&w);
    ps_jw_obj_end(&w);
    ps_resp_header(req, "Cache-Control", "no-store");
    ps_api_json_end(req, &w, 200);
}

void ps_api_inbox(struct ps_req *req)
{
    struct reading *r = reading_new(req);
    if (r)
        ps_api_read(req, inbox_op, r, inbox_render);
}

static enum ps_err inbox_read_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct reading *r = ctx;
    r->ac.tx = tx;
    return ps_inbox_read(&r->ac, r->id, diag);
}

void ps_api_inbox_read(struct ps_req *req)
{
    struct reading *r = reading_new(req);
    if (!r)
        return;
    r->id = ps_req_param(req, "id");
    ps_api_write(req, inbox_read_op, r, ps_api_no_content);
}

/* ---- POST /api/v1/agencies/{agency}/slots ---- */

struct slot_add {
    struct ps_app_ctx ac;
    struct ps_str agency, kind;
    int64_t starts_ms, minutes;
    char id[37];
};

static enum ps_err slot_add_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct slot_add *s = ctx;
    s->ac.tx = tx;
    return ps_slot_add(&s->ac, s->agency, s->kind, s->starts_ms, s->minutes, s->id, diag);
}

static void slot_add_render(struct ps_req *req, void *ctx)
{
    struct slot_add *s = ctx;
    struct ps_jw w;
    ps_api_json_begin(req, &w);
    ps_jw_obj(&w);
    ps_jw_kcstr(&w, "id", s->id);
    ps_jw_obj_end(&w);
    ps_api_json_end(req, &w, 201);
}

void ps_api_slot_add(struct ps_req *req)
{
    struct ps_app *app = req->app;
    json_t *root = ps_api_json_body(req, 2);
    struct slot_add *s = root ? ps_api_alloc(req, sizeof *s) : NULL;
    if (!s)
        return;
    json_t *kind = json_object_get(root, "kind"), *starts = json_object_get(root, "starts"),
           *minutes = json_object_get(root, "minutes");
    if (!json_is_string(kind) || !json_is_integer(starts) || !json_is_integer(minutes)) {
        ps_api_invalid(req, "expected {\"kind\": TEXT, \"starts\": UNIX_MS, \"minutes\": N}");
        return;
    }
    s->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    s->agency = ps_req_param(req, "agency");
    s->kind = (struct ps_str){json_string_value(kind), json_string_length(kind)};
    s->starts_ms = json_integer_value(starts);
    s->minutes = json_integer_value(minutes);
    ps_api_write(req, slot_add_op, s, slot_add_render);
}
