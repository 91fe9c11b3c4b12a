/* The public services' pages: the catalogue (search over titles and descriptions in both
 * languages, a category filter: a GET form), a service's page (what, who may apply, what
 * happens after, the law, Start), and Start itself: a draft application made by the engine's
 * ps_app_start exactly as the API's POST /api/v1/applications, keyed so that a double click
 * makes one (the key travels in the form). Words a page shows about a service come from its
 * definition in the page's language; the portal's own words from po/. */
#include <string.h>

#include "core/ids.h"
#include "engine/app.h"
#include "portal/portal_int.h"
#include "portal/svc_form.h"
#include "portal/svc_pages.h"

#define Q_MAX 100 /* bytes of a search */

static const char *lc(const struct ps_page *pg)
{
    return ps_lang_code(pg->lang);
}

/* A category's name in the page's language (the definitions' codes); unknown as it is. */
static const char *category_text(const struct ps_page *pg, const char *code)
{
    static const struct {
        const char *code, *msg;
    } names[] = {
        {"business", N_("Business")},
        {"family", N_("Family")},
        {"social", N_("Social support")},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(code, names[i].code) == 0)
            return ps_page_t(pg, names[i].msg);
    return code;
}

/* q in the title or description in either language, or the id (case-insensitive for ASCII,
 * exact for Cyrillic); category when given must be the service's. */
static bool matches(const struct ps_svc *s, struct ps_str q, struct ps_str category)
{
    if (category.len && !ps_str_eq_cstr(category, s->category))
        return false;
    char needle[Q_MAX + 1];
    if (!q.len || ps_str_copy(needle, sizeof needle, q) != PS_OK)
        return q.len == 0;
    const char *hay[] = {s->id, s->title.uk, s->title.en, s->description.uk, s->description.en};
    for (size_t i = 0; i < sizeof hay / sizeof hay[0]; i++)
        if (strcasestr(hay[i], needle))
            return true;
    return false;
}

static bool categories(struct ps_page *pg, const struct ps_svc *const *all, size_t n,
                       struct ps_str chosen, struct ps_tpl_services *v)
{
    struct ps_tpl_services_categories *c = ps_api_alloc(pg->req, (n ? n : 1) * sizeof *c);
    if (!c)
        return false;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < k && !seen; j++)
            seen = ps_str_eq_cstr(c[j].value, all[i]->category);
        if (seen)
            continue;
        c[k].value = ps_str_from_cstr(all[i]->category);
        c[k].label = ps_str_from_cstr(category_text(pg, all[i]->category));
        c[k].selected = ps_str_eq_cstr(chosen, all[i]->category);
        k++;
    }
    v->categories = c;
    v->ncategories = k;
    return true;
}

void ps_portal_services(struct ps_req *req)
{
    static const struct ps_field fields[] = {
        {.name = "q", .label = N_("Search services"), .max_chars = Q_MAX},
        {.name = "category", .label = N_("Category"), .max_chars = PS_SVC_NAME_MAX},
    };
    struct ps_app *app = req->app;
    struct ps_page *pg = ps_page_new(req, N_("Public services"), "/services");
    struct ps_form f;
    if (!pg)
        return;
    ps_form_init(&f, fields, 2);
    if (!ps_page_query_form(pg, &f))
        return;
    const struct ps_svc *all[PS_ENGINE_MAX_SERVICES];
    size_t n = app->engine ? ps_engine_catalogue(app->engine, all, PS_ENGINE_MAX_SERVICES) : 0;
    struct ps_tpl_services v = {.q = f.values[0]};
    struct ps_tpl_services_services *s = ps_api_alloc(req, (n ? n : 1) * sizeof *s);
    if (!s || !categories(pg, all, n, f.values[1], &v))
        return;
    for (size_t i = 0; i < n; i++) {
        if (!matches(all[i], f.values[0].len > Q_MAX ? PS_STR("") : f.values[0], f.values[1]))
            continue;
        s[v.nservices].id = ps_str_from_cstr(all[i]->id);
        s[v.nservices].title = ps_str_from_cstr(ps_svc_text_in(all[i]->title, lc(pg)));
        s[v.nservices].description = ps_str_from_cstr(ps_svc_text_in(all[i]->description, lc(pg)));
        s[v.nservices].category = ps_str_from_cstr(category_text(pg, all[i]->category));
        v.nservices++;
    }
    v.services = s;
    v.count = v.nservices;
    ps_page_send(pg, 200, ps_tpl_services_slot(&v));
}

/* ---- a service's page ---- */

/* What one step means for the applicant, in the page's language. */
static struct ps_str step_text(struct ps_page *pg, const struct ps_svc_step *st)
{
    struct ps_arena *a = pg->req->arena;
    switch (st->kind) {
    case PS_SVC_CHECK:
        return ps_str_from_cstr(ps_page_t(pg, N_("The registers check your application at "
                                                 "once.")));
    case PS_SVC_CONSENT:
        return ps_str_from_cstr(ps_page_t(pg, N_("The other person you name gives their "
                                                 "consent from their own account.")));
    case PS_SVC_FEE: {
        char num[PS_I18N_NUM_MAX];
        size_t n = ps_i18n_num(pg->lang, (uint64_t)(st->amount_kop / 100), num);
        char *amount =
            ps_arena_printf(a, "%.*s%s%02lld", (int)n, num, pg->lang == PS_LANG_UK ? "," : ".",
                            (long long)(st->amount_kop % 100));
        struct ps_i18n_arg args[] = {
            {"amount", ps_str_from_cstr(amount)},
            {"purpose", ps_str_from_cstr(ps_svc_text_in(st->purpose, lc(pg)))}};
        return ps_i18n_fill(a,
                            ps_page_t(pg, N_("A state fee of {amount} UAH is due: "
                                             "{purpose}.")),
                            args, 2);
    }
    case PS_SVC_APPOINTMENT:
        return ps_str_from_cstr(ps_page_t(pg, N_("The time you choose is booked for you.")));
    case PS_SVC_DECISION:
        return ps_str_from_cstr(ps_page_t(pg, N_("An official decides on your application.")));
    case PS_SVC_OUTCOME:
        break;
    }
    return PS_STR_NULL;
}

static bool service_steps(struct ps_page *pg, const struct ps_svc *s, struct ps_tpl_service *v)
{
    struct ps_tpl_service_steps *st = ps_api_alloc(pg->req, (s->nsteps + 1) * sizeof *st);
    struct ps_tpl_service_rules *r = ps_api_alloc(pg->req, (s->neligibility + 1) * sizeof *r);
    if (!st || !r)
        return false;
    for (size_t i = 0; i < s->nsteps; i++) {
        struct ps_str t = step_text(pg, &s->steps[i]);
        if (t.p)
            st[v->nsteps++].text = t;
    }
    st[v->nsteps++].text = ps_str_from_cstr(ps_page_t(
        pg, N_("You get the outcome in your inbox, and any document in your documents.")));
    for (size_t i = 0; i < s->neligibility; i++)
        r[i].text = ps_str_from_cstr(ps_svc_text_in(s->eligibility[i].message, lc(pg)));
    v->steps = st;
    v->rules = r;
    v->nrules = s->neligibility;
    return true;
}

/* GET /services/{id} (and GET /services/{id}/start, where signing in comes back to). */
void ps_portal_service(struct ps_req *req)
{
    struct ps_app *app = req->app;
    const struct ps_svc *s =
        app->engine ? ps_engine_current(app->engine, ps_req_param(req, "id")) : NULL;
    if (!s) {
        ps_portal_error(req, 404, N_("Page not found"),
                        N_("There is no such service. Find it in the list of services."));
        return;
    }
    struct ps_page *pg = ps_page_new(req, N_("Public services"), "/services");
    char key[37];
    if (!pg)
        return;
    pg->layout.title = ps_str_from_cstr(ps_svc_text_in(s->title, lc(pg)));
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, key);
    struct ps_tpl_service v = {
        .id = ps_str_from_cstr(s->id),
        .title = pg->layout.title,
        .category = ps_str_from_cstr(category_text(pg, s->category)),
        .description = ps_str_from_cstr(ps_svc_text_in(s->description, lc(pg))),
        .legal_basis = ps_str_from_cstr(ps_svc_text_in(s->legal_basis, lc(pg))),
        .signed_in = pg->layout.signed_in,
        .key = ps_arena_str(req->arena, ps_str_from_cstr(key)),
    };
    if (!service_steps(pg, s, &v))
        return;
    ps_page_send(pg, 200, ps_tpl_service_slot(&v));
}
