/* A citizen's applications as pages: start (keyed), the form's pages (saved as a draft on
 * each), check your answers, submit (keyed), the confirmation with the engine's outcome, my
 * applications, one application (status, what it waits for, the answers, the history, and the
 * second party's consent form), and the inbox. Every page calls the engine's public functions
 * (engine/app.h) as the API's handlers do, in the same kind of store job: a transition and its
 * records commit together; reads of someone else's answers are recorded by the engine. The
 * form itself is svc_form.c's. */
#include <sodium.h>
#include <string.h>

#include "core/ids.h"
#include "engine/app.h"
#include "portal/portal_int.h"
#include "portal/svc_form.h"
#include "portal/svc_pages.h"

#define KEY_MAX 128
#define SLOTS_MAX 50

static const char *lc(const struct ps_page *pg)
{
    return ps_lang_code(pg->lang);
}

/* What one application page works with. */
struct apg {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_app_ctx ac;
    struct ps_str id, page; /* the application; the form's page ("_": fields without one) */
    struct ps_app_view view;
    json_t *answers;          /* the view's, parsed (arena-owned) */
    struct ps_app_result res; /* a transition's or a check's */
    struct ps_svcform_slot slots[SLOTS_MAX];
    size_t nslots;
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    size_t npairs;
    json_t *consent; /* the consent answers typed, shown again with their errors */
    struct ps_str action, key, hash;
    bool reused, yes;
    enum ps_err refused; /* a transition the registry refused (PS_ERR_EXISTS) */
    char refusal[256];
    char location[200];
};

static struct apg *apg_new(struct ps_req *req, const char *title, const char *nav)
{
    struct ps_app *app = req->app;
    struct apg *g = ps_api_alloc(req, sizeof *g);
    if (!g || !(g->pg = ps_page_new(req, title, nav)))
        return NULL;
    g->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    g->id = ps_req_param(req, "id");
    g->page = ps_req_param(req, "page");
    return g;
}

static json_t *parse_answers(struct ps_arena *a, struct ps_str text)
{
    json_t *j = text.len ? json_loadb(text.p, text.len, 0, NULL) : json_object();
    if (j && ps_arena_defer(a, (void (*)(void *))json_decref, j) != PS_OK) {
        json_decref(j);
        return NULL;
    }
    return json_is_object(j) ? j : NULL;
}

/* The free slots of every appointment step of the application's service (for the slot
 * field's radios and the answers' wording). */
static enum ps_err slots_of(struct apg *g, const struct ps_svc *s, struct ps_diag *diag)
{
    struct ps_slot rows[SLOTS_MAX];
    g->nslots = 0;
    for (size_t i = 0; s && i < s->nsteps; i++) {
        const struct ps_svc_step *st = &s->steps[i];
        size_t got = 0;
        if (st->kind != PS_SVC_APPOINTMENT)
            continue;
        enum ps_err e =
            ps_slots_free(&g->ac, ps_str_from_cstr(st->agency), ps_str_from_cstr(st->slot_kind),
                          rows, SLOTS_MAX - g->nslots, &got, diag);
        if (e != PS_OK)
            return e;
        for (size_t k = 0; k < got; k++, g->nslots++) {
            g->slots[g->nslots].id = ps_arena_cstr(g->ac.arena, rows[k].id);
            g->slots[g->nslots].starts_s = rows[k].starts_ms / 1000;
            g->slots[g->nslots].minutes = rows[k].minutes;
            if (!g->slots[g->nslots].id)
                return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        }
    }
    return PS_OK;
}

/* The application (its applicant, a party, or an official with a task on it), its answers
 * and the free slots. */
static enum ps_err load(struct apg *g, struct ps_tx *tx, struct ps_diag *diag)
{
    g->ac.tx = tx;
    enum ps_err e = ps_app_get(&g->ac, g->id, &g->view, diag);
    if (e == PS_OK && !g->view.svc)
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "the service version is not loaded");
    if (e == PS_OK && !(g->answers = parse_answers(g->ac.arena, g->view.answers)))
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    return e == PS_OK ? slots_of(g, g->view.svc, diag) : e;
}

static bool mine(const struct apg *g)
{
    return ps_str_eq(g->view.applicant, g->ac.actor->id);
}

static bool is_draft(const struct apg *g)
{
    return ps_str_eq_cstr(g->view.status, "draft");
}

static struct ps_svcform_view form_view(const struct apg *g)
{
    return (struct ps_svcform_view){g->pg->lang,    g->answers, g->res.errors,
                                    g->res.nerrors, g->slots,   g->nslots};
}

/* The page's name in a URL: "_" for the fields without one. */
static const char *page_url_name(const char *page)
{
    return *page ? page : "_";
}

/* The first page from index from on that is still to be asked (prefilled pages are not), or
 * the check page. */
static void next_location(struct apg *g, int from)
{
    const char *pages[PS_SVC_MAX_FIELDS];
    size_t n = ps_svcform_pages(g->view.svc, pages, PS_SVC_MAX_FIELDS);
    for (size_t i = from < 0 ? 0 : (size_t)from; i < n; i++) {
        if (ps_svcform_page_known(g->view.svc, pages[i], g->answers))
            continue;
        PS_SVCFORM_FMT(g->location, "/me/applications/%.*s/pages/%s", PS_STR_FMT(g->id),
                       page_url_name(pages[i]));
        return;
    }
    PS_SVCFORM_FMT(g->location, "/me/applications/%.*s/check", PS_STR_FMT(g->id));
}

/* ---- status words ---- */

/* What the application waits for now, in the page's language. */
static const char *awaited_msg(const struct ps_app_view *v)
{
    int k = v->svc ? ps_svc_step_index(v->svc, v->step) : -1;
    if (ps_str_eq_cstr(v->status, "draft"))
        return N_("Not sent yet: continue it and send it when you are ready.");
    if (ps_str_eq_cstr(v->status, "approved"))
        return N_("Done: the service has been provided.");
    if (ps_str_eq_cstr(v->status, "rejected"))
        return N_("Refused.");
    if (k >= 0 && v->svc->steps[k].kind == PS_SVC_CONSENT)
        return N_("Waiting for the other person’s consent.");
    if (k >= 0 && v->svc->steps[k].kind == PS_SVC_DECISION)
        return N_("Waiting for an official’s decision.");
    if (k >= 0 && v->svc->steps[k].kind == PS_SVC_FEE)
        return N_("Waiting for the state fee to be paid.");
    return N_("In progress.");
}

static struct ps_str fee_text(struct ps_page *pg, int64_t kop)
{
    char num[PS_I18N_NUM_MAX];
    if (kop <= 0)
        return PS_STR("");
    size_t n = ps_i18n_num(pg->lang, (uint64_t)(kop / 100), num);
    return ps_str_from_cstr(ps_arena_printf(pg->req->arena, "%.*s%s%02lld", (int)n, num,
                                            pg->lang == PS_LANG_UK ? "," : ".",
                                            (long long)(kop % 100)));
}

/* ---- keys: a double submit makes one ---- */

/* The form's _key (1..128 visible ASCII) as this person's idempotency key ("page:" + it) and
 * the request's hash (path and body); false after answering 400. */
static bool keyed(struct apg *g)
{
    struct ps_req *req = g->pg->req;
    struct ps_str k = PS_STR_NULL;
    for (size_t i = 0; i < g->npairs && !k.p; i++)
        if (ps_str_eq_cstr(g->pairs[i].name, "_key"))
            k = g->pairs[i].value;
    bool ok = k.p && k.len > 0 && k.len <= KEY_MAX;
    for (size_t i = 0; ok && i < k.len; i++)
        ok = k.p[i] > 0x20 && k.p[i] < 0x7f;
    if (!ok) {
        ps_page_error(g->pg, 400, N_("The form could not be read"),
                      N_("Open the page again and send the form from there."));
        return false;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state st;
    char *hex = ps_arena_alloc(req->arena, 65);
    g->key = ps_str_from_cstr(ps_arena_printf(req->arena, "page:%.*s", PS_STR_FMT(k)));
    if (!hex || !g->key.p) {
        ps_page_error(g->pg, 500, N_("Sorry, something went wrong"), N_("Try again later."));
        return false;
    }
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)req->path.p, req->path.len);
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_hash_sha256_update(&st, (const unsigned char *)req->body.p, req->body.len);
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(hex, 65, h, sizeof h);
    g->hash = (struct ps_str){hex, 64};
    return true;
}

/* Reads the key's stored answer: *done when there is one (g->location) or the key was used
 * with another form (g->reused). */
static enum ps_err key_seen(struct apg *g, struct ps_tx *tx, bool *done, struct ps_diag *diag)
{
    int status = 0;
    struct ps_str body;
    bool found = false;
    enum ps_err e = ps_app_idem_get(tx, g->ac.actor->id, g->key, g->hash, g->ac.arena, &found,
                                    &status, &body, diag);
    *done = true;
    if (e == PS_ERR_EXISTS) {
        ps_diag_clear(diag);
        g->reused = true;
        return PS_OK;
    }
    if (e == PS_OK && found)
        return ps_str_copy(g->location, sizeof g->location, body) == PS_OK
                   ? PS_OK
                   : ps_diag_set(diag, PS_ERR_INTERNAL, "stored answer too long");
    *done = false;
    return e;
}

static enum ps_err key_store(struct apg *g, struct ps_tx *tx, struct ps_diag *diag)
{
    return ps_app_idem_put(tx, g->ac.actor->id, g->key, g->hash, 303, ps_str_from_cstr(g->location),
                           diag);
}

void ps_portal_svc_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                          const struct ps_diag *store, enum ps_err result)
{
    struct ps_page *pg = *(struct ps_page **)ctx;
    if ((domain && domain->code == PS_ERR_EXISTS) || (!domain && result == PS_ERR_EXISTS)) {
        ps_page_error(pg, 409, N_("The registry refused it"),
                      N_("Nothing was done: the registry does not allow this now. Open the "
                         "application to see where it stands."));
        return;
    }
    ps_page_failed(req, ctx, domain, store, result);
}

static bool post_pairs(struct apg *g)
{
    struct ps_form f;
    struct ps_diag d = {0};
    ps_form_init(&f, NULL, 0);
    if (!ps_page_post_form(g->pg, &f))
        return false;
    /* the body passed the checks: its pairs again, every name */
    if (ps_form_parse(g->pg->req->arena, g->pg->req->body, g->pairs, PS_FORM_MAX_PAIRS, &g->npairs,
                      &d) != PS_OK) {
        ps_page_error(g->pg, 400, N_("The form could not be read"),
                      N_("It contains characters that are not text. Go back and try again."));
        return false;
    }
    for (size_t i = 0; i < g->npairs; i++)
        if (ps_str_eq_cstr(g->pairs[i].name, "_action"))
            g->action = g->pairs[i].value;
    return true;
}

static void reused_page(struct apg *g)
{
    ps_page_error(g->pg, 422, N_("This form was already sent"),
                  N_("It was sent before with other answers. Open the page again and send it "
                     "from there."));
}

static void redirect_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    (void)req;
    if (g->reused) {
        reused_page(g);
        return;
    }
    ps_page_redirect(g->pg, g->location);
}

/* ---- start: POST /services/{id}/start ---- */

static void not_eligible_page(struct apg *g, const struct ps_svc *s)
{
    struct ps_page *pg = g->pg;
    size_t n = 0;
    for (size_t i = 0; i < g->res.nerrors && n < PS_FORM_MAX_FIELDS; i++, n++) {
        pg->errors[n].id = PS_STR("main");
        pg->errors[n].message =
            ps_str_from_cstr(ps_svcform_error_text(&g->res.errors[i], pg->lang));
    }
    pg->layout.nerrors = n;
    struct ps_tpl_error v = {
        .heading = ps_str_from_cstr(ps_page_t(pg, N_("You cannot use this service"))),
        .message = ps_str_from_cstr(ps_svc_text_in(s->title, lc(pg))),
    };
    pg->layout.title = v.heading;
    ps_page_send(pg, 403, ps_tpl_error_slot(&v));
}

static enum ps_err start_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct apg *g = ctx;
    bool done = false;
    g->ac.tx = tx;
    g->reused = false;
    enum ps_err e = key_seen(g, tx, &done, diag);
    if (e != PS_OK || done)
        return e;
    e = ps_app_start(&g->ac, ps_req_param(g->pg->req, "id"), NULL, false, &g->res, diag);
    if (e != PS_OK || g->res.outcome != PS_APP_DONE)
        return e;
    g->id = ps_arena_str(g->ac.arena, ps_str_from_cstr(g->res.id));
    g->view.svc = g->res.svc;
    g->answers = g->res.answers;
    next_location(g, 0);
    return key_store(g, tx, diag);
}

static void start_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    struct ps_app *app = req->app;
    if (!g->reused && !g->location[0] && g->res.outcome == PS_APP_NOT_ELIGIBLE) {
        not_eligible_page(g, ps_engine_current(app->engine, ps_req_param(req, "id")));
        return;
    }
    redirect_render(req, ctx);
}

void ps_portal_service_start(struct ps_req *req)
{
    struct ps_app *app = req->app;
    if (!app->engine || !ps_engine_current(app->engine, ps_req_param(req, "id"))) {
        ps_portal_error(req, 404, N_("Page not found"),
                        N_("There is no such service. Find it in the list of services."));
        return;
    }
    struct apg *g = apg_new(req, N_("Public services"), "/services");
    if (g && post_pairs(g) && keyed(g))
        ps_api_write_or(req, start_op, g, start_render, ps_page_failed);
}

/* ---- a page of the form: GET and POST /me/applications/{id}/pages/{page} ---- */

static const char *page_name(const struct apg *g)
{
    return ps_str_eq_cstr(g->page, "_") ? "" : ps_arena_cstr(g->ac.arena, g->page);
}

static void form_page(struct apg *g, int status)
{
    struct ps_page *pg = g->pg;
    const struct ps_svc *s = g->view.svc;
    const char *pages[PS_SVC_MAX_FIELDS], *name = page_name(g);
    size_t total = ps_svcform_pages(s, pages, PS_SVC_MAX_FIELDS);
    int at = ps_svcform_page_index(s, ps_str_from_cstr(name));
    struct ps_svcform_view fv = form_view(g);
    struct ps_tpl_question *q = NULL;
    size_t nq = 0, ne = 0;
    if (ps_svcform_questions(s->fields, s->nfields, name, &fv, pg->req->arena, &q, &nq) != PS_OK)
        return ps_page_error(pg, 500, N_("Sorry, something went wrong"), N_("Try again later."));
    for (size_t i = 0; i < g->res.nerrors && ne < PS_FORM_MAX_FIELDS; i++) {
        const struct ps_form_error *e = &g->res.errors[i];
        pg->errors[ne].id =
            ps_str_from_cstr(ps_svcform_error_id(s->fields, s->nfields, e->field, pg->req->arena));
        pg->errors[ne++].message = ps_str_from_cstr(ps_svcform_error_text(e, pg->lang));
    }
    pg->layout.nerrors = ne;
    char num[PS_I18N_NUM_MAX], tot[PS_I18N_NUM_MAX];
    struct ps_tpl_service_form v = {
        .service = ps_str_from_cstr(ps_svc_text_in(s->title, lc(pg))),
        .number = ps_arena_str(pg->req->arena,
                               (struct ps_str){num, ps_i18n_num(pg->lang, (uint64_t)at + 1, num)}),
        .total =
            ps_arena_str(pg->req->arena, (struct ps_str){tot, ps_i18n_num(pg->lang, total, tot)}),
        .heading = nq == 1 ? PS_STR("") : ps_str_from_cstr(ps_svc_text_in(s->title, lc(pg))),
        .app_id = g->id,
        .page = ps_str_from_cstr(page_url_name(name)),
        .questions = q,
        .nquestions = nq,
    };
    if (nq == 1) /* the only question is the page's heading */
        q[0].is_heading = true;
    pg->layout.title = nq == 1 ? q[0].label : v.heading;
    ps_page_send(pg, status, ps_tpl_service_form_slot(&v));
}

static enum ps_err form_get_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    return load(ctx, tx, diag);
}

/* Only the applicant's draft has form pages; a page the form does not have is 404. */
static bool form_ok(struct apg *g)
{
    if (!mine(g) || ps_svcform_page_index(g->view.svc, ps_str_from_cstr(page_name(g))) < 0) {
        ps_page_error(g->pg, 404, N_("Page not found"),
                      N_("There is no such page. Go back to your applications."));
        return false;
    }
    if (!is_draft(g)) {
        PS_SVCFORM_FMT(g->location, "/me/applications/%.*s", PS_STR_FMT(g->id));
        ps_page_redirect(g->pg, g->location);
        return false;
    }
    return true;
}

/* A page posted after the session had ended comes back with what was typed (the draft
 * cookie, ps_page_draft_pairs): shown, not saved until the person sends the page again. */
static void form_get_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    struct ps_diag d = {0};
    (void)req;
    if (!form_ok(g))
        return;
    const struct ps_svc *s = g->view.svc;
    if (ps_page_draft_pairs(g->pg, g->pairs, PS_FORM_MAX_PAIRS, &g->npairs) &&
        ps_svcform_read(s->fields, s->nfields, page_name(g), g->pairs, g->npairs, g->answers, &d) !=
            PS_OK)
        return ps_page_error(g->pg, 500, N_("Sorry, something went wrong"), N_("Try again later."));
    form_page(g, 200);
}

void ps_portal_app_page(struct ps_req *req)
{
    struct apg *g = apg_new(req, N_("My applications"), "/me/applications");
    if (g)
        ps_api_write_or(req, form_get_op, g, form_get_render, ps_page_failed);
}

/* Saves the page's answers into the draft, then checks them (nothing stored by the check):
 * the errors of this page's fields are the page's. */
static enum ps_err form_post_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct apg *g = ctx;
    memset(&g->res, 0, sizeof g->res);
    enum ps_err e = load(g, tx, diag);
    if (e != PS_OK || !mine(g) || !is_draft(g) ||
        ps_svcform_page_index(g->view.svc, ps_str_from_cstr(page_name(g))) < 0)
        return e;
    const struct ps_svc *s = g->view.svc;
    e = ps_svcform_read(s->fields, s->nfields, page_name(g), g->pairs, g->npairs, g->answers, diag);
    if (e == PS_OK)
        e = ps_app_save(&g->ac, g->id, g->answers, &g->res, diag);
    if (e != PS_OK || !ps_str_eq_cstr(g->action, "continue"))
        return e;
    e = ps_app_check(&g->ac, g->id, &g->res, diag);
    size_t k = 0; /* keep the errors of this page's fields only */
    for (size_t i = 0; e == PS_OK && i < g->res.nerrors; i++) {
        const char *path = g->res.errors[i].field;
        size_t len = strcspn(path, "[");
        for (size_t f = 0; f < s->nfields; f++)
            if (strlen(s->fields[f].name) == len && strncmp(s->fields[f].name, path, len) == 0 &&
                ps_svcform_on_page(&s->fields[f], page_name(g)) && len)
                g->res.errors[k++] = g->res.errors[i];
    }
    g->res.nerrors = k;
    return e;
}

static void form_post_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    (void)req;
    if (!form_ok(g))
        return;
    if (g->res.nerrors) {
        form_page(g, 400);
        return;
    }
    if (ps_str_eq_cstr(g->action, "draft"))
        PS_SVCFORM_FMT(g->location, "/me/applications/%.*s", PS_STR_FMT(g->id));
    else if (ps_str_eq_cstr(g->action, "continue"))
        next_location(g, ps_svcform_page_index(g->view.svc, ps_str_from_cstr(page_name(g))) + 1);
    else /* a list's row added or removed: the same page again */
        PS_SVCFORM_FMT(g->location, "/me/applications/%.*s/pages/%.*s", PS_STR_FMT(g->id),
                       PS_STR_FMT(g->page));
    ps_page_redirect(g->pg, g->location);
}

void ps_portal_app_page_post(struct ps_req *req)
{
    struct apg *g = apg_new(req, N_("My applications"), "/me/applications");
    if (g && post_pairs(g))
        ps_api_write_or(req, form_post_op, g, form_post_render, ps_page_failed);
}

/* ---- check your answers, submit ---- */

static void check_page(struct apg *g, int status)
{
    struct ps_page *pg = g->pg;
    const struct ps_svc *s = g->view.svc;
    struct ps_svcform_view fv = form_view(g);
    struct ps_app *app = pg->req->app;
    char key[37],
        *base = ps_arena_printf(pg->req->arena, "/me/applications/%.*s/pages/", PS_STR_FMT(g->id));
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, key);
    struct ps_tpl_service_check v = {
        .service = ps_str_from_cstr(ps_svc_text_in(s->title, lc(pg))),
        .app_id = g->id,
        .key = ps_arena_str(pg->req->arena, ps_str_from_cstr(key)),
    };
    if (!base || ps_svcform_answers(s, &fv, ps_engine_env(app->engine), base, pg->req->arena,
                                    &v.answers) != PS_OK)
        return ps_page_error(pg, 500, N_("Sorry, something went wrong"), N_("Try again later."));
    size_t ne = 0;
    for (size_t i = 0; i < g->res.nerrors && ne < PS_FORM_MAX_FIELDS; i++) {
        const char *f = g->res.errors[i].field;
        size_t len = strcspn(f, "[");
        pg->errors[ne].id = ps_str_from_cstr(
            len ? ps_arena_printf(pg->req->arena, "change-%.*s", (int)len, f)
                : (s->nfields ? ps_arena_printf(pg->req->arena, "change-%s", s->fields[0].name)
                              : "main"));
        pg->errors[ne++].message =
            ps_str_from_cstr(ps_svcform_error_text(&g->res.errors[i], pg->lang));
    }
    if (g->refused && ne < PS_FORM_MAX_FIELDS) {
        /* the engine's reasons are English: the one a person meets most, in the page's */
        const char *why = strstr(g->refusal, "no longer free")
                              ? ps_page_t(pg, N_("the time you chose is no longer free"))
                              : g->refusal;
        struct ps_i18n_arg arg = {"reason", ps_str_from_cstr(why)};
        pg->errors[ne].id = PS_STR("main");
        pg->errors[ne++].message = ps_i18n_fill(
            pg->req->arena,
            ps_page_t(pg, N_("The application could not be completed, nothing was done: "
                             "{reason}. Change your answers and send it again.")),
            &arg, 1);
    }
    pg->layout.nerrors = ne;
    ps_page_send(pg, status, ps_tpl_service_check_slot(&v));
}

static void check_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    (void)req;
    if (!mine(g)) {
        ps_page_error(g->pg, 404, N_("Page not found"),
                      N_("There is no such page. Go back to your applications."));
        return;
    }
    if (!is_draft(g)) {
        PS_SVCFORM_FMT(g->location, "/me/applications/%.*s", PS_STR_FMT(g->id));
        ps_page_redirect(g->pg, g->location);
        return;
    }
    check_page(g, 200);
}

void ps_portal_app_check(struct ps_req *req)
{
    struct apg *g =
        apg_new(req, N_("Check your answers before sending your application"), "/me/applications");
    if (g)
        ps_api_write_or(req, form_get_op, g, check_render, ps_page_failed);
}

static enum ps_err submit_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct apg *g = ctx;
    bool done = false;
    g->reused = false;
    g->location[0] = '\0';
    memset(&g->res, 0, sizeof g->res);
    enum ps_err e = load(g, tx, diag);
    if (e == PS_OK)
        e = key_seen(g, tx, &done, diag);
    if (e != PS_OK || done || !mine(g))
        return e;
    e = ps_app_submit(&g->ac, g->id, &g->res, diag); /* a refusal rolls it all back */
    if (e != PS_OK || g->res.outcome != PS_APP_DONE)
        return e;
    PS_SVCFORM_FMT(g->location, "/me/applications/%.*s/confirmation", PS_STR_FMT(g->id));
    return key_store(g, tx, diag);
}

static void submit_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    if (g->location[0] || g->reused) {
        redirect_render(req, ctx);
        return;
    }
    if (!mine(g)) {
        ps_page_error(g->pg, 404, N_("Page not found"),
                      N_("There is no such page. Go back to your applications."));
        return;
    }
    check_page(g, 400);
}

static void refused_render(struct ps_req *req, void *ctx)
{
    (void)req;
    check_page(ctx, 409);
}

/* A submission the registry refused (a slot taken meanwhile, a registry's unique rule): the
 * job rolled back, nothing was written; the check page again, from a fresh read, says why. */
static void submit_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                          const struct ps_diag *store, enum ps_err result)
{
    struct apg *g = ctx;
    if (!domain || domain->code != PS_ERR_EXISTS) {
        ps_page_failed(req, ctx, domain, store, result);
        return;
    }
    g->refused = PS_ERR_EXISTS;
    PS_SVCFORM_FMT(g->refusal, "%s", domain->message);
    memset(&g->res, 0, sizeof g->res);
    ps_api_read_or(req, form_get_op, g, refused_render, ps_page_failed);
}

void ps_portal_app_submit(struct ps_req *req)
{
    struct apg *g =
        apg_new(req, N_("Check your answers before sending your application"), "/me/applications");
    if (g && post_pairs(g) && keyed(g))
        ps_api_write_or(req, submit_op, g, submit_render, submit_failed);
}

/* ---- the confirmation ---- */

static void confirmation_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    struct ps_page *pg = g->pg;
    const struct ps_app_view *a = &g->view;
    (void)req;
    if (!mine(g) || is_draft(g)) {
        ps_page_error(pg, 404, N_("Page not found"),
                      N_("There is no such page. Go back to your applications."));
        return;
    }
    bool refused = ps_str_eq_cstr(a->status, "rejected");
    const char *heading = refused ? N_("Your application was refused")
                          : ps_str_eq_cstr(a->status, "approved") ? N_("Application complete")
                                                                  : N_("Application sent");
    struct ps_tpl_service_done v = {
        .refused = refused,
        .heading = ps_str_from_cstr(ps_page_t(pg, heading)),
        .app_id = g->id,
        .next = ps_str_from_cstr(ps_page_t(pg, awaited_msg(a))),
        .reason = a->reason,
        .fee = fee_text(pg, a->fee_due_kop),
    };
    pg->layout.title = v.heading;
    ps_page_send(pg, 200, ps_tpl_service_done_slot(&v));
}

void ps_portal_app_confirmation(struct ps_req *req)
{
    struct apg *g = apg_new(req, N_("Application sent"), "/me/applications");
    if (g)
        ps_api_write_or(req, form_get_op, g, confirmation_render, ps_page_failed);
}

/* ---- words of the history and reasons ---- */

static bool events_of(struct ps_page *pg, const struct ps_app_view *a,
                      struct ps_tpl_application_events **out, size_t *n)
{
    struct ps_tpl_application_events *ev =
        ps_api_alloc(pg->req, (a->nevents ? a->nevents : 1) * sizeof *ev);
    if (!ev)
        return false;
    for (size_t i = 0; i < a->nevents; i++) {
        const char *m = ps_svcform_event_msg(a->events[i].kind, a->events[i].detail);
        ev[i].at = a->events[i].at_ms / 1000;
        ev[i].text = m ? ps_str_from_cstr(ps_page_t(pg, m))
                       : ps_str_from_cstr(ps_arena_printf(pg->req->arena, "%.*s: %.*s",
                                                          PS_STR_FMT(a->events[i].kind),
                                                          PS_STR_FMT(a->events[i].detail)));
    }
    *out = ev;
    *n = a->nevents;
    return true;
}

/* A reason as stored ({"uk": ..., "en": ...}) in the page's language; other text as it is. */
static struct ps_str reason_text(struct ps_page *pg, struct ps_str stored)
{
    json_t *j = stored.len ? parse_answers(pg->req->arena, stored) : NULL;
    const char *t = json_string_value(json_object_get(j, lc(pg)));
    return t ? ps_str_from_cstr(t) : (j ? PS_STR("") : stored);
}

/* ---- my applications ---- */

struct apps {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_app_ctx ac;
    struct ps_app_view *list;
    size_t n;
};

static enum ps_err apps_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct apps *l = ctx;
    l->ac.tx = tx;
    return ps_app_mine(&l->ac, l->list, PS_APP_LIST_MAX, &l->n, diag);
}

static void apps_render(struct ps_req *req, void *ctx)
{
    struct apps *l = ctx;
    struct ps_tpl_applications_apps *rows = ps_api_alloc(req, (l->n ? l->n : 1) * sizeof *rows);
    if (!rows)
        return;
    for (size_t i = 0; i < l->n; i++) {
        const struct ps_app_view *a = &l->list[i];
        rows[i].id = a->id;
        rows[i].service =
            a->svc ? ps_str_from_cstr(ps_svc_text_in(a->svc->title, lc(l->pg))) : a->service;
        rows[i].status = ps_str_from_cstr(ps_page_t(l->pg, ps_svcform_status_msg(a->status)));
        rows[i].status_code = a->status;
        rows[i].party = !ps_str_eq(a->applicant, l->ac.actor->id);
        rows[i].updated = a->updated_ms / 1000;
    }
    struct ps_tpl_applications v = {.apps = rows, .napps = l->n};
    ps_page_send(l->pg, 200, ps_tpl_applications_slot(&v));
}

void ps_portal_apps(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct apps *l = ps_api_alloc(req, sizeof *l);
    if (!l || !(l->pg = ps_page_new(req, N_("My applications"), "/me/applications")) ||
        !(l->list = ps_api_alloc(req, PS_APP_LIST_MAX * sizeof *l->list)))
        return;
    l->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    ps_api_read_or(req, apps_op, l, apps_render, ps_page_failed);
}

/* ---- one application ---- */

/* The consent step waiting for this person, or NULL. */
static const struct ps_svc_step *my_consent(const struct apg *g)
{
    for (size_t i = 0; i < g->view.ntasks; i++) {
        const struct ps_app_task *t = &g->view.tasks[i];
        int k = ps_svc_step_index(g->view.svc, t->step);
        if (ps_str_eq_cstr(t->kind, "consent") && ps_str_eq(t->party, g->ac.actor->id) && k >= 0)
            return &g->view.svc->steps[k];
    }
    return NULL;
}

static void app_page(struct apg *g, int status)
{
    struct ps_page *pg = g->pg;
    const struct ps_app_view *a = &g->view;
    struct ps_app *app = pg->req->app;
    struct ps_svcform_view fv = form_view(g);
    const struct ps_svc_step *consent = my_consent(g);
    struct ps_tpl_application v = {
        .service = ps_str_from_cstr(ps_svc_text_in(a->svc->title, lc(pg))),
        .app_id = a->id,
        .status = ps_str_from_cstr(ps_page_t(pg, ps_svcform_status_msg(a->status))),
        .status_code = a->status,
        .awaited = ps_str_from_cstr(ps_page_t(pg, awaited_msg(a))),
        .reason = reason_text(pg, a->reason),
        .fee = fee_text(pg, a->fee_due_kop),
        .draft = is_draft(g) && mine(g),
        .consent = consent != NULL,
    };
    struct ps_svcform_view answers_view = fv;
    answers_view.errs = NULL;
    answers_view.nerrs = 0;
    fv.answers = g->consent; /* the consent's own answers (none yet on a GET) */
    if (v.draft) {
        next_location(g, 0);
        v.continue_url = ps_arena_str(pg->req->arena, ps_str_from_cstr(g->location));
    }
    struct ps_tpl_application_events *ev = NULL;
    struct ps_tpl_question *q = NULL;
    if (!events_of(pg, a, &ev, &v.nevents) ||
        ps_svcform_answers(a->svc, &answers_view, ps_engine_env(app->engine), NULL, pg->req->arena,
                           &v.answers) != PS_OK ||
        (consent && ps_svcform_questions(consent->fields, consent->nfields, NULL, &fv,
                                         pg->req->arena, &q, &v.nconsent_questions) != PS_OK))
        return ps_page_error(pg, 500, N_("Sorry, something went wrong"), N_("Try again later."));
    v.events = ev;
    v.consent_questions = q;
    size_t ne = 0;
    for (size_t i = 0; consent && i < g->res.nerrors && ne < PS_FORM_MAX_FIELDS; i++) {
        pg->errors[ne].id = ps_str_from_cstr(ps_svcform_error_id(
            consent->fields, consent->nfields, g->res.errors[i].field, pg->req->arena));
        pg->errors[ne++].message =
            ps_str_from_cstr(ps_svcform_error_text(&g->res.errors[i], pg->lang));
    }
    pg->layout.nerrors = ne;
    ps_page_send(pg, status, ps_tpl_application_slot(&v));
}

static void app_render(struct ps_req *req, void *ctx)
{
    (void)req;
    app_page(ctx, 200);
}

void ps_portal_app(struct ps_req *req)
{
    struct apg *g = apg_new(req, N_("Application"), "/me/applications");
    if (g) /* a party's read of the applicant's answers is recorded: a write job */
        ps_api_write_or(req, form_get_op, g, app_render, ps_page_failed);
}

/* ---- the second party's consent: POST /me/applications/{id}/consent ---- */

static enum ps_err consent_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct apg *g = ctx;
    memset(&g->res, 0, sizeof g->res);
    g->location[0] = '\0';
    enum ps_err e = load(g, tx, diag);
    const struct ps_svc_step *st = e == PS_OK ? my_consent(g) : NULL;
    if (!st)
        return e;
    json_t *answers = json_object();
    if (!answers || ps_arena_defer(g->ac.arena, (void (*)(void *))json_decref, answers) != PS_OK)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    e = ps_svcform_read(st->fields, st->nfields, NULL, g->pairs, g->npairs, answers, diag);
    if (e == PS_OK) /* a refusal rolls it all back */
        e = ps_app_consent(&g->ac, g->id, g->yes, g->yes ? answers : NULL, &g->res, diag);
    if (e == PS_OK && g->res.outcome == PS_APP_DONE)
        PS_SVCFORM_FMT(g->location, "/me/applications/%.*s", PS_STR_FMT(g->id));
    g->consent = answers; /* shown again as typed */
    return e;
}

static void consent_render(struct ps_req *req, void *ctx)
{
    struct apg *g = ctx;
    (void)req;
    if (g->location[0]) {
        ps_page_redirect(g->pg, g->location);
        return;
    }
    if (g->res.outcome == PS_APP_REFUSED || !my_consent(g)) {
        ps_page_error(g->pg, 403, N_("You cannot do that"),
                      N_("This application does not wait for your consent."));
        return;
    }
    app_page(g, 400);
}

void ps_portal_app_consent(struct ps_req *req)
{
    struct apg *g = apg_new(req, N_("Application"), "/me/applications");
    if (!g || !post_pairs(g))
        return;
    g->yes = ps_str_eq_cstr(g->action, "yes");
    ps_api_write_or(req, consent_op, g, consent_render, ps_portal_svc_failed);
}

/* ---- the inbox ---- */

struct inbox {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_app_ctx ac;
    struct ps_inbox_msg msgs[PS_APP_LIST_MAX];
    size_t n;
    struct ps_str id;
};

static enum ps_err inbox_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct inbox *b = ctx;
    b->ac.tx = tx;
    return ps_inbox_list(&b->ac, b->msgs, PS_APP_LIST_MAX, &b->n, diag);
}

static void inbox_render(struct ps_req *req, void *ctx)
{
    struct inbox *b = ctx;
    bool en = b->pg->lang == PS_LANG_EN;
    struct ps_tpl_inbox_messages *m = ps_api_alloc(req, (b->n ? b->n : 1) * sizeof *m);
    if (!m)
        return;
    for (size_t i = 0; i < b->n; i++) {
        const struct ps_inbox_msg *x = &b->msgs[i];
        m[i] = (struct ps_tpl_inbox_messages){.id = x->id,
                                              .app = x->application,
                                              .unread = x->read_at_ms <= 0,
                                              .title = en ? x->title_en : x->title_uk,
                                              .body = en ? x->body_en : x->body_uk,
                                              .at = x->at_ms / 1000};
    }
    struct ps_tpl_inbox v = {.messages = m, .nmessages = b->n};
    ps_page_send(b->pg, 200, ps_tpl_inbox_slot(&v));
}

static struct inbox *inbox_new(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct inbox *b = ps_api_alloc(req, sizeof *b);
    if (!b || !(b->pg = ps_page_new(req, N_("Inbox"), "/me/inbox")))
        return NULL;
    b->ac = (struct ps_app_ctx){app->engine, NULL, ps_api_actor(req), req->arena};
    b->id = ps_req_param(req, "id");
    return b;
}

void ps_portal_inbox(struct ps_req *req)
{
    struct inbox *b = inbox_new(req);
    if (b)
        ps_api_read_or(req, inbox_op, b, inbox_render, ps_page_failed);
}

static enum ps_err inbox_read_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct inbox *b = ctx;
    b->ac.tx = tx;
    return ps_inbox_read(&b->ac, b->id, diag);
}

static void inbox_read_render(struct ps_req *req, void *ctx)
{
    struct inbox *b = ctx;
    (void)req;
    ps_page_redirect(b->pg, "/me/inbox");
}

void ps_portal_inbox_read(struct ps_req *req)
{
    struct inbox *b = inbox_new(req);
    struct ps_form f;
    ps_form_init(&f, NULL, 0);
    if (b && ps_page_post_form(b->pg, &f))
        ps_api_write_or(req, inbox_read_op, b, inbox_read_render, ps_page_failed);
}
