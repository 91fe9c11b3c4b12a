/* The officials' work area: the roles the signed-in person holds, and a person looked up by
 * RNOKPP with a mandatory purpose. The lookup is THE read of a person's record
 * (ps_person_read), recorded in the same transaction as the API's read, with the role the
 * policy decided: the dispatcher decides again for the person the form names
 * (ps_api_decide_for), so an oblast-scoped role reads only people of its oblast. The page
 * says, before the form, that the citizen will see the read. */
#include <string.h>

#include "core/clock.h"

#include "identity/official.h"
#include "identity/session.h"
#include "portal/portal_int.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"

enum { O_RNOKPP, O_PURPOSE, O_N };
static const struct ps_field lookup_fields[O_N] = {
    [O_RNOKPP] = {.name = "rnokpp", .label = N_("Taxpayer number (RNOKPP)"),
                  .hint = N_("10 digits"), .inputmode = "numeric", .autocomplete = "off",
                  .width = "10", .max_chars = 20,
                  .required = N_("Enter the person’s taxpayer number (RNOKPP)"),
                  .spellcheck_off = true},
    [O_PURPOSE] = {.name = "purpose", .label = N_("Purpose of the read"),
                   .hint = N_("Why your work needs this person’s record, for example “pension "
                              "review, case 2026/114”. The person sees it."),
                   .autocomplete = "off", .max_chars = PS_API_PURPOSE_MAX,
                   .required = N_("Enter the purpose of the read")},
};

/* Roles that may read a person's record (the policy's rule for person.read). */
static bool reads_persons(const struct ps_session *s)
{
    for (size_t i = 0; s && i < s->nroles; i++)
        if (ps_str_eq_cstr(s->roles[i].name, "clerk") ||
            ps_str_eq_cstr(s->roles[i].name, "registrar") ||
            ps_str_eq_cstr(s->roles[i].name, "inspector"))
            return true;
    return false;
}

struct work {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_form form;
    struct ps_agency agencies[PS_AGENCIES_MAX];
    size_t nagencies;
    bool lookup;        /* a read to make (POST) */
    struct ps_person person;
    bool found;
    int64_t read_at_s;
};

static enum ps_err agencies_op(struct ps_tx *tx, struct work *w, struct ps_diag *diag)
{
    return ps_agencies_list(tx, w->pg->req->arena, w->agencies, PS_AGENCIES_MAX, &w->nagencies,
                            diag);
}

static bool roles_rows(struct work *w, struct ps_tpl_official *v)
{
    const struct ps_session *s = ps_api_session(w->pg->req);
    size_t n = s ? s->nroles : 0;
    struct ps_tpl_official_roles *r = ps_api_alloc(w->pg->req, (n ? n : 1) * sizeof *r);
    if (!r)
        return false;
    for (size_t i = 0; i < n; i++) {
        r[i].role = ps_portal_role_text(w->pg->lang, s->roles[i].name);
        r[i].agency = ps_portal_agency_name(w->pg->lang, w->agencies, w->nagencies,
                                            s->roles[i].agency);
        r[i].oblast = s->roles[i].oblast.len
                          ? s->roles[i].oblast
                          : ps_str_from_cstr(ps_page_t(w->pg, N_("Every region")));
    }
    v->roles = r;
    v->nroles = n;
    v->can_read = reads_persons(s);
    return true;
}

static void person_fields(struct work *w, struct ps_tpl_official *v)
{
    const struct ps_person *p = &w->person;
    struct ps_arena *a = w->pg->req->arena;
    char at[PS_I18N_TIME_MAX];
    char *name = ps_arena_printf(a, "%.*s %.*s %.*s", PS_STR_FMT(p->surname),
                                 PS_STR_FMT(p->given_name), PS_STR_FMT(p->patronymic));
    char *latin = ps_arena_printf(a, "%.*s %.*s %.*s", PS_STR_FMT(p->surname_latin),
                                  PS_STR_FMT(p->given_name_latin),
                                  PS_STR_FMT(p->patronymic_latin));
    char *address = ps_arena_printf(a, "%.*s, %.*s, %.*s, %.*s, %.*s",
                                    PS_STR_FMT(p->address.oblast), PS_STR_FMT(p->address.hromada),
                                    PS_STR_FMT(p->address.settlement),
                                    PS_STR_FMT(p->address.street),
                                    PS_STR_FMT(p->address.building));
    v->found = true;
    v->name = ps_str_from_cstr(name);
    v->name_latin = ps_str_from_cstr(latin);
    v->birth = p->birth_date;
    v->sex = ps_str_from_cstr(ps_page_t(w->pg, ps_portal_sex_msg(p->sex)));
    v->person_rnokpp = p->rnokpp;
    v->unzr = p->unzr;
    v->id_card = p->id_card;
    v->address = ps_str_from_cstr(address);
    v->status = ps_str_from_cstr(ps_page_t(w->pg, ps_portal_status_msg(p->status)));
    v->recorded_at = ps_arena_str(a, (struct ps_str){at, ps_i18n_time(w->pg->lang,
                                                                      w->read_at_s, at)});
}

static void work_page(struct work *w)
{
    struct ps_page *pg = w->pg;
    struct ps_tpl_official v;
    memset(&v, 0, sizeof v);
    if (!roles_rows(w, &v))
        return;
    ps_form_input(&w->form, O_RNOKPP, pg->lang, pg->req->arena, &v.rnokpp);
    ps_form_input(&w->form, O_PURPOSE, pg->lang, pg->req->arena, &v.purpose);
    if (w->found)
        person_fields(w, &v);
    ps_page_form_errors(pg, &w->form);
    ps_page_send(pg, pg->layout.nerrors ? 400 : 200, ps_tpl_official_slot(&v));
}

static struct work *work_new(struct ps_req *req)
{
    struct work *w = ps_api_alloc(req, sizeof *w);
    if (!w || !(w->pg = ps_page_new(req, N_("Work area"), "/official")))
        return NULL;
    ps_form_init(&w->form, lookup_fields, O_N);
    return w;
}

/* GET: the roles and the form (with a draft kept across signing in again). */
static enum ps_err area_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    return agencies_op(tx, ctx, diag);
}

static void area_render(struct ps_req *req, void *ctx)
{
    struct work *w = ctx;
    (void)req;
    work_page(w);
}

void ps_portal_official(struct ps_req *req)
{
    struct work *w = work_new(req);
    if (!w)
        return;
    ps_page_draft(w->pg, &w->form);
    ps_api_read_or(req, area_op, w, area_render, ps_page_failed);
}

/* POST: the read itself, recorded with the decided actor (official, with the role). A person
 * who is not there is a message on the form, and reveals nothing: not recorded. */
static enum ps_err lookup_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct work *w = ctx;
    enum ps_err e = agencies_op(tx, w, diag);
    if (e != PS_OK)
        return e;
    w->read_at_s = ps_clock_now_ms() / 1000;
    e = ps_person_read(tx, ps_api_actor(w->pg->req), w->form.values[O_RNOKPP],
                       w->form.values[O_PURPOSE], w->pg->req->arena, &w->person, diag);
    w->found = e == PS_OK;
    return e == PS_ERR_NOTFOUND ? PS_OK : e;
}

static void lookup_render(struct ps_req *req, void *ctx)
{
    struct work *w = ctx;
    (void)req;
    if (!w->found)
        ps_form_error(&w->form, O_RNOKPP, ps_str_from_cstr(ps_page_t(
                          w->pg, N_("There is no person with this taxpayer number in the "
                                    "register"))));
    work_page(w);
}

static void lookup_allowed(struct ps_req *req)
{
    struct work *w = req->then_ctx;
    ps_api_write_or(req, lookup_op, w, lookup_render, ps_page_failed);
}

void ps_portal_official_post(struct ps_req *req)
{
    struct work *w = work_new(req);
    struct ps_diag d = {0};
    if (!w || !ps_page_post_form(w->pg, &w->form))
        return;
    ps_form_check(&w->form, w->pg->lang, req->arena);
    if (!w->form.errors[O_RNOKPP].len &&
        ps_rnokpp_validate(w->form.values[O_RNOKPP], NULL, &d) != PS_OK)
        ps_form_error(&w->form, O_RNOKPP, ps_str_from_cstr(ps_page_t(
                          w->pg, N_("Enter a taxpayer number of 10 digits, as on the "
                                    "person’s documents"))));
    if (w->form.nerrors) {
        ps_api_read_or(req, area_op, w, area_render, ps_page_failed);
        return;
    }
    req->then_ctx = w; /* for lookup_allowed, which runs before anything else uses it */
    ps_api_decide_for(req, w->form.values[O_RNOKPP], lookup_allowed);
}
