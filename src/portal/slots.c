/* A registrar's calendar (GET and POST /official/slots/{agency}): the free slots of the
 * appointment kinds the catalogue's services book at that agency (ps_slots_free), and a slot
 * added (ps_slot_add, the engine's, recorded as a change, exactly as the API's
 * POST /api/v1/agencies/{agency}/slots). The route's {agency} is what the policy matches the
 * official's role against, as for the API. */
#include <string.h>

#include "core/clock.h"
#include "engine/app.h"
#include "identity/official.h"
#include "portal/portal_int.h"
#include "portal/svc_form.h"
#include "portal/svc_pages.h"
#include "registries/date.h"

#define KINDS_MAX 16
#define SLOTS_MAX 50

enum { S_KIND, S_DAY, S_MONTH, S_YEAR, S_TIME, S_MINUTES, S_N };

struct cal {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_app_ctx ac;
    struct ps_str agency;
    const char *kinds[KINDS_MAX];
    struct ps_svc_text kind_labels[KINDS_MAX];
    size_t nkinds;
    struct ps_slot slots[SLOTS_MAX];
    size_t nslots;
    struct ps_agency agencies[PS_AGENCIES_MAX];
    size_t nagencies;
    struct ps_form form;
    int64_t starts_ms, minutes;
    char id[37];
    bool add;
};

static const struct ps_field fields[S_N] = {
    [S_KIND] = {.name = "f-kind", .label = N_("Kind")},
    [S_DAY] = {.name = "starts-day", .label = N_("Day"), .required = N_("Enter the date")},
    [S_MONTH] = {.name = "starts-month", .label = N_("Month")},
    [S_YEAR] = {.name = "starts-year", .label = N_("Year")},
    [S_TIME] = {.name = "time",
                .label = N_("Time (UTC)"),
                .hint = N_("For example, 14:30"),
                .width = "10",
                .max_chars = 5,
                .required = N_("Enter the time")},
    [S_MINUTES] = {.name = "minutes",
                   .label = N_("Minutes"),
                   .inputmode = "numeric",
                   .width = "10",
                   .max_chars = 3,
                   .required = N_("Enter the length in minutes")},
};

/* The appointment kinds the catalogue's services book at the agency (service title, kind). */
static void kinds_of(struct cal *c)
{
    struct ps_app *app = c->pg->req->app;
    const struct ps_svc *all[PS_ENGINE_MAX_SERVICES];
    size_t n = ps_engine_catalogue(app->engine, all, PS_ENGINE_MAX_SERVICES);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < all[i]->nsteps && c->nkinds < KINDS_MAX; k++) {
            const struct ps_svc_step *st = &all[i]->steps[k];
            bool seen = false;
            if (st->kind != PS_SVC_APPOINTMENT || !ps_str_eq_cstr(c->agency, st->agency))
                continue;
            for (size_t j = 0; j < c->nkinds && !seen; j++)
                seen = strcmp(c->kinds[j], st->slot_kind) == 0;
            if (seen)
                continue;
            c->kinds[c->nkinds] = st->slot_kind;
            c->kind_labels[c->nkinds++] = all[i]->title;
        }
}

static enum ps_err cal_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct cal *c = ctx;
    c->ac.tx = tx;
    c->nslots = 0;
    enum ps_err e = PS_OK;
    if (c->add)
        e = ps_slot_add(&c->ac, c->agency, c->form.values[S_KIND], c->starts_ms, c->minutes, c->id,
                        diag);
    for (size_t i = 0; e == PS_OK && i < c->nkinds; i++) {
        size_t got = 0;
        e = ps_slots_free(&c->ac, c->agency, ps_str_from_cstr(c->kinds[i]), c->slots + c->nslots,
                          SLOTS_MAX - c->nslots, &got, diag);
        c->nslots += got;
    }
    return e == PS_OK ? ps_agencies_list(tx, c->ac.arena, c->agencies, PS_AGENCIES_MAX,
                                         &c->nagencies, diag)
                      : e;
}

static bool kind_question(struct cal *c, struct ps_tpl_slots *v)
{
    struct ps_svc_option *o = ps_api_alloc(c->pg->req, (c->nkinds + 1) * sizeof *o);
    if (!o)
        return false;
    for (size_t i = 0; i < c->nkinds; i++)
        o[i] = (struct ps_svc_option){c->kinds[i], c->kind_labels[i]};
    const char *label = ps_page_t(c->pg, N_("Kind"));
    struct ps_svc_field f = {.name = "kind",
                             .type = PS_SVC_ENUM,
                             .label = {label, label},
                             .options = o,
                             .noptions = c->nkinds};
    json_t *a = json_object();
    if (a && c->form.values[S_KIND].len)
        json_object_set_new(a, "kind",
                            json_stringn(c->form.values[S_KIND].p, c->form.values[S_KIND].len));
    const char *err = c->form.errors[S_KIND].p;
    struct ps_form_error e = {"kind", err, err};
    struct ps_svcform_view fv = {c->pg->lang, a, &e, err && *err ? 1 : 0, NULL, 0};
    struct ps_tpl_question *q = NULL;
    size_t n = 0;
    bool ok = a && ps_svcform_questions(&f, 1, NULL, &fv, c->pg->req->arena, &q, &n) == PS_OK;
    json_decref(a);
    if (ok)
        v->kind = q[0];
    return ok;
}

static void cal_page(struct cal *c, int status)
{
    struct ps_page *pg = c->pg;
    struct ps_arena *a = pg->req->arena;
    struct ps_tpl_slots v = {
        .agency = ps_portal_agency_name(pg->lang, c->agencies, c->nagencies, c->agency),
        .code = c->agency,
        .can_add = c->nkinds > 0,
    };
    struct ps_tpl_slots_slots *rows = ps_api_alloc(pg->req, (c->nslots + 1) * sizeof *rows);
    if (!rows || !kind_question(c, &v))
        return;
    for (size_t i = 0; i < c->nslots; i++) {
        rows[i].starts = c->slots[i].starts_ms / 1000;
        rows[i].minutes =
            ps_str_from_cstr(ps_arena_printf(a, "%lld", (long long)c->slots[i].minutes));
        rows[i].kind = c->slots[i].kind;
    }
    v.slots = rows;
    v.nslots = c->nslots;
    ps_form_date_input(&c->form, S_DAY, "starts", N_("Date"), N_("For example, 27 3 2027"), NULL,
                       pg->lang, a, &v.date);
    ps_form_input(&c->form, S_TIME, pg->lang, a, &v.time);
    ps_form_input(&c->form, S_MINUTES, pg->lang, a, &v.minutes);
    ps_page_form_errors(pg, &c->form);
    for (size_t i = 0; i < pg->layout.nerrors; i++) /* the kind's radios: the first one */
        if (ps_str_eq_cstr(pg->errors[i].id, "f-kind"))
            pg->errors[i].id = PS_STR("f-kind-0");
    ps_page_send(pg, status, ps_tpl_slots_slot(&v));
}

static void cal_render(struct ps_req *req, void *ctx)
{
    struct cal *c = ctx;
    char *to = ps_arena_printf(req->arena, "/official/slots/%.*s", PS_STR_FMT(c->agency));
    if (c->add && to) {
        ps_page_redirect(c->pg, to);
        return;
    }
    cal_page(c, c->form.nerrors ? 400 : 200);
}

static struct cal *cal_new(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct cal *c = ps_api_alloc(req, sizeof *c);
    if (!c || !(c->pg = ps_page_new(req, N_("Calendar"), "/official/queue")))
        return NULL;
    c->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    c->agency = ps_req_param(req, "agency");
    ps_form_init(&c->form, fields, S_N);
    kinds_of(c);
    return c;
}

void ps_portal_slots(struct ps_req *req)
{
    struct cal *c = cal_new(req);
    if (c)
        ps_api_read_or(req, cal_op, c, cal_render, ps_page_failed);
}

/* "HH:MM" as minutes since midnight, or -1. */
static int64_t time_of(struct ps_str t)
{
    if (t.len != 5 || t.p[2] != ':')
        return -1;
    uint64_t h = 0, m = 0;
    if (ps_str_to_u64((struct ps_str){t.p, 2}, &h) != PS_OK ||
        ps_str_to_u64((struct ps_str){t.p + 3, 2}, &m) != PS_OK || h > 23 || m > 59)
        return -1;
    return (int64_t)(h * 60 + m);
}

/* The form's own checks (the engine checks the rest: a future start, 5 to 480 minutes). */
static void check(struct cal *c)
{
    struct ps_page *pg = c->pg;
    struct ps_arena *a = pg->req->arena;
    struct ps_date d;
    uint64_t minutes = 0;
    bool known = false;
    ps_form_check(&c->form, pg->lang, a);
    for (size_t i = 0; i < c->nkinds; i++)
        known = known || ps_str_eq_cstr(c->form.values[S_KIND], c->kinds[i]);
    if (!known)
        ps_form_error(&c->form, S_KIND, ps_str_from_cstr(ps_page_t(pg, N_("Choose the kind"))));
    bool date_ok = ps_form_date_check(&c->form, S_DAY, N_("Date"), false, pg->lang, a, &d);
    int64_t t = time_of(c->form.values[S_TIME]);
    if (c->form.values[S_TIME].len && t < 0)
        ps_form_error(&c->form, S_TIME,
                      ps_str_from_cstr(ps_page_t(pg, N_("Enter the time like 14:30"))));
    if (c->form.values[S_MINUTES].len &&
        (ps_str_to_u64(c->form.values[S_MINUTES], &minutes) != PS_OK || minutes < 5 ||
         minutes > 480))
        ps_form_error(
            &c->form, S_MINUTES,
            ps_str_from_cstr(ps_page_t(pg, N_("Enter a number of minutes from 5 to 480"))));
    if (!c->form.nerrors && date_ok && ps_date_valid(d)) {
        c->starts_ms = (ps_date_to_days(d) * 1440 + t) * 60000;
        c->minutes = (int64_t)minutes;
        c->add = true;
        if (c->starts_ms <= ps_clock_now_ms()) {
            c->add = false;
            ps_form_error(&c->form, S_DAY,
                          ps_str_from_cstr(ps_page_t(pg, N_("The slot must start in the future"))));
        }
    }
}

/* A slot at a time this registrar already has: the job rolled back; the form again, with
 * the calendar from a fresh read. */
static void cal_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                       const struct ps_diag *store, enum ps_err result)
{
    struct cal *c = ctx;
    if (!domain || domain->code != PS_ERR_EXISTS) {
        ps_page_failed(req, ctx, domain, store, result);
        return;
    }
    c->add = false;
    ps_form_error(&c->form, S_TIME,
                  ps_str_from_cstr(ps_page_t(c->pg, N_("You already have a slot starting then"))));
    ps_api_read_or(req, cal_op, c, cal_render, ps_page_failed);
}

void ps_portal_slots_post(struct ps_req *req)
{
    struct cal *c = cal_new(req);
    if (!c || !ps_page_post_form(c->pg, &c->form))
        return;
    check(c);
    ps_api_write_or(req, cal_op, c, cal_render, cal_failed);
}
