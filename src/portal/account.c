/* A person's own pages: my data (the registry record, read with the session in one read
 * transaction), passkeys (rename, remove) and sessions (this device marked; end any). Reading
 * one's own data records nothing; every change is identity's, recorded as a change entry, and
 * followed by a redirect (post/redirect/get) to the list with a notice. */
#include <string.h>

#include "identity/passkey.h"
#include "identity/session.h"
#include "portal/portal_int.h"
#include "registries/persons.h"
#include "registries/translit.h"

/* ---- my data ---- */

/* The address lines, each with its transliteration. NULL after answering 500. */
static struct ps_tpl_me_address *address_lines(struct ps_page *pg, const struct ps_address *ad,
                                               size_t *n)
{
    const struct {
        const char *label;
        struct ps_str value;
    } lines[] = {
        {N_("Region"), ad->oblast},   {N_("Community"), ad->hromada},
        {N_("Settlement"), ad->settlement}, {N_("Street"), ad->street},
        {N_("Building"), ad->building},
    };
    struct ps_tpl_me_address *out = ps_api_alloc(pg->req, sizeof lines / sizeof lines[0] *
                                                              sizeof *out);
    *n = 0;
    for (size_t i = 0; out && i < sizeof lines / sizeof lines[0]; i++) {
        struct ps_diag d = {0};
        if (!lines[i].value.len)
            continue;
        out[*n].label = ps_str_from_cstr(ps_page_t(pg, lines[i].label));
        out[*n].value = lines[i].value;
        if (ps_translit_arena(pg->req->arena, lines[i].value, &out[*n].latin, &d) != PS_OK)
            out[*n].latin = PS_STR("");
        (*n)++;
    }
    return out;
}

void ps_portal_me(struct ps_req *req)
{
    const struct ps_person *p = ps_api_person(req);
    struct ps_page *pg = ps_page_new(req, N_("My data"), "/me");
    if (!pg)
        return;
    if (!p) { /* an account whose person is not in the register: nothing to show */
        ps_page_error(pg, 404, N_("Page not found"), N_("What you asked for does not exist."));
        return;
    }
    struct ps_tpl_me v = {
        .surname = p->surname, .surname_latin = p->surname_latin,
        .given_name = p->given_name, .given_name_latin = p->given_name_latin,
        .patronymic = p->patronymic, .patronymic_latin = p->patronymic_latin,
        .birth = p->birth_date, .rnokpp = p->rnokpp, .unzr = p->unzr, .id_card = p->id_card,
        .sex = ps_str_from_cstr(ps_page_t(pg, ps_portal_sex_msg(p->sex))),
        .status = ps_str_from_cstr(ps_page_t(pg, ps_portal_status_msg(p->status))),
    };
    v.address = address_lines(pg, &p->address, &v.naddress);
    if (v.address)
        ps_page_send(pg, 200, ps_tpl_me_slot(&v));
}

/* ---- passkeys ---- */

struct passkeys {
    struct ps_page *pg; /* first: ps_page_failed */
    const struct ps_actor *actor;
    struct ps_passkey list[PS_PASSKEYS_MAX];
    size_t n;
    struct ps_str id;   /* the one a page is about */
    struct ps_form form;
};

static struct passkeys *passkeys_new(struct ps_req *req, const char *title)
{
    struct passkeys *p = ps_api_alloc(req, sizeof *p);
    if (!p || !(p->pg = ps_page_new(req, title, "/me/passkeys")))
        return NULL;
    p->actor = ps_api_actor(req);
    p->id = ps_req_param(req, "id");
    return p;
}

static enum ps_err passkeys_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct passkeys *p = ctx;
    return ps_passkeys_of(tx, p->actor->id, p->pg->req->arena, p->list, PS_PASSKEYS_MAX, &p->n,
                          diag);
}

/* Seconds of a time in milliseconds (the templates' |time takes seconds). */
static int64_t secs(int64_t ms)
{
    return ms / 1000;
}

static void passkeys_render(struct ps_req *req, void *ctx)
{
    struct passkeys *p = ctx;
    const struct ps_session *mine = ps_api_session(req);
    struct ps_tpl_passkeys v = {.only_one = p->n == 1};
    struct ps_tpl_passkeys_passkeys *rows = ps_api_alloc(req, (p->n ? p->n : 1) * sizeof *rows);
    if (!rows)
        return;
    for (size_t i = 0; i < p->n; i++) {
        rows[i].id = ps_str_from_cstr(p->list[i].id);
        rows[i].name = p->list[i].name;
        rows[i].created = secs(p->list[i].created_at_ms);
        rows[i].used = secs(p->list[i].last_used_at_ms);
        rows[i].current = mine && ps_str_eq_cstr(mine->passkey_id, p->list[i].id);
        rows[i].removable = p->n > 1;
    }
    v.passkeys = rows;
    v.npasskeys = p->n;
    ps_page_send(p->pg, 200, ps_tpl_passkeys_slot(&v));
}

void ps_portal_passkeys(struct ps_req *req)
{
    struct passkeys *p = passkeys_new(req, N_("Passkeys"));
    if (p)
        ps_api_read_or(req, passkeys_op, p, passkeys_render, ps_page_failed);
}

/* The passkey the page is about, or NULL. */
static const struct ps_passkey *this_passkey(const struct passkeys *p)
{
    for (size_t i = 0; i < p->n; i++)
        if (ps_str_eq_cstr(p->id, p->list[i].id))
            return &p->list[i];
    return NULL;
}

static const struct ps_field rename_fields[] = {
    {.name = "name", .label = N_("Name of the passkey"),
     .hint = N_("For example, “My phone” or “Work laptop”"), .autocomplete = "off",
     .width = "20", .max_chars = PS_PASSKEY_NAME_MAX,
     .required = N_("Enter a name for the passkey")},
};

static void rename_page(struct passkeys *p)
{
    struct ps_tpl_passkey_rename v = {.id = p->id};
    ps_form_input(&p->form, 0, p->pg->lang, p->pg->req->arena, &v.name);
    ps_page_form_errors(p->pg, &p->form);
    ps_page_send(p->pg, p->form.nerrors ? 400 : 200, ps_tpl_passkey_rename_slot(&v));
}

static void not_found(struct ps_page *pg)
{
    ps_page_error(pg, 404, N_("Page not found"), N_("What you asked for does not exist."));
}

static void rename_render(struct ps_req *req, void *ctx)
{
    struct passkeys *p = ctx;
    const struct ps_passkey *k = this_passkey(p);
    (void)req;
    if (!k) {
        not_found(p->pg);
        return;
    }
    if (!ps_page_draft(p->pg, &p->form)) /* a form kept across signing in again, or the name */
        p->form.values[0] = k->name;
    rename_page(p);
}

void ps_portal_passkey_rename(struct ps_req *req)
{
    struct passkeys *p = passkeys_new(req, N_("Rename a passkey"));
    if (!p)
        return;
    ps_form_init(&p->form, rename_fields, 1);
    ps_api_read_or(req, passkeys_op, p, rename_render, ps_page_failed);
}

static enum ps_err rename_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct passkeys *p = ctx;
    return ps_passkey_rename(tx, p->actor, p->actor->id, p->id, p->form.values[0], diag);
}

static void renamed(struct ps_req *req, void *ctx)
{
    struct passkeys *p = ctx;
    (void)req;
    ps_page_redirect(p->pg, "/me/passkeys?notice=renamed");
}

void ps_portal_passkey_rename_post(struct ps_req *req)
{
    struct passkeys *p = passkeys_new(req, N_("Rename a passkey"));
    if (!p)
        return;
    ps_form_init(&p->form, rename_fields, 1);
    if (!ps_page_post_form(p->pg, &p->form))
        return;
    if (ps_form_check(&p->form, p->pg->lang, req->arena)) {
        rename_page(p);
        return;
    }
    ps_api_write_or(req, rename_op, p, renamed, ps_page_failed);
}

static void remove_render(struct ps_req *req, void *ctx)
{
    struct passkeys *p = ctx;
    const struct ps_passkey *k = this_passkey(p);
    const struct ps_session *mine = ps_api_session(req);
    if (!k) {
        not_found(p->pg);
        return;
    }
    if (p->n < 2) {
        ps_page_error(p->pg, 409, N_("You cannot remove your only passkey"),
                      N_("You would have no way to sign in. Enrol another device first, with "
                         "a new activation code."));
        return;
    }
    struct ps_tpl_passkey_remove v = {
        .id = p->id, .name = k->name,
        .current = mine && ps_str_eq_cstr(mine->passkey_id, k->id),
    };
    ps_page_send(p->pg, 200, ps_tpl_passkey_remove_slot(&v));
}

void ps_portal_passkey_remove(struct ps_req *req)
{
    struct passkeys *p = passkeys_new(req, N_("Remove a passkey"));
    if (p)
        ps_api_read_or(req, passkeys_op, p, remove_render, ps_page_failed);
}

static enum ps_err remove_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct passkeys *p = ctx;
    return ps_passkey_remove(tx, p->actor, p->actor->id, p->id, diag);
}

/* Removed: when this session was started with it, the session ended too. */
static void removed(struct ps_req *req, void *ctx)
{
    struct passkeys *p = ctx;
    const struct ps_session *mine = ps_api_session(req);
    if (mine && ps_str_eq(mine->passkey_id, p->id)) {
        ps_api_session_cookie(req, NULL, 0);
        ps_page_redirect(p->pg, "/?notice=signed-out");
        return;
    }
    ps_page_redirect(p->pg, "/me/passkeys?notice=removed");
}

static void remove_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                          const struct ps_diag *store, enum ps_err result)
{
    struct passkeys *p = ctx;
    if (domain && domain->code == PS_ERR_EXISTS) {
        ps_page_error(p->pg, 409, N_("You cannot remove your only passkey"),
                      N_("You would have no way to sign in. Enrol another device first, with "
                         "a new activation code."));
        return;
    }
    ps_page_failed(req, ctx, domain, store, result);
}

void ps_portal_passkey_remove_post(struct ps_req *req)
{
    struct passkeys *p = passkeys_new(req, N_("Remove a passkey"));
    if (!p)
        return;
    ps_form_init(&p->form, rename_fields, 0);
    if (ps_page_post_form(p->pg, &p->form))
        ps_api_write_or(req, remove_op, p, removed, remove_failed);
}

/* ---- sessions ---- */

static const struct ps_field session_fields[] = {
    {.name = "id", .label = N_("Sessions"), .max_chars = 36, .required = N_("Sessions")},
};

struct sessions {
    struct ps_page *pg; /* first: ps_page_failed */
    const struct ps_actor *actor;
    const struct ps_session_cfg *cfg;
    struct ps_session list[PS_SESSIONS_MAX];
    size_t n;
    struct ps_form form;
    bool current;
};

static struct sessions *sessions_new(struct ps_req *req)
{
    struct ps_app *app = req->app;
    struct sessions *s = ps_api_alloc(req, sizeof *s);
    if (!s || !(s->pg = ps_page_new(req, N_("Sessions"), "/me/sessions")))
        return NULL;
    s->actor = ps_api_actor(req);
    s->cfg = &app->id.sessions;
    ps_form_init(&s->form, session_fields, 1);
    return s;
}

static enum ps_err sessions_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct sessions *s = ctx;
    return ps_sessions_of(tx, s->actor->id, s->cfg, s->pg->req->arena, s->list,
                          PS_SESSIONS_MAX, &s->n, diag);
}

static void sessions_render(struct ps_req *req, void *ctx)
{
    struct sessions *s = ctx;
    const struct ps_session *mine = ps_api_session(req);
    struct ps_tpl_sessions v = {0};
    struct ps_tpl_sessions_sessions *rows = ps_api_alloc(req, (s->n ? s->n : 1) * sizeof *rows);
    if (!rows)
        return;
    for (size_t i = 0; i < s->n; i++) {
        rows[i].id = ps_str_from_cstr(s->list[i].id);
        rows[i].device = s->list[i].label;
        rows[i].created = secs(s->list[i].created_at_ms);
        rows[i].seen = secs(s->list[i].last_seen_ms);
        rows[i].current = mine && strcmp(mine->id, s->list[i].id) == 0;
    }
    v.sessions = rows;
    v.nsessions = s->n;
    ps_page_send(s->pg, 200, ps_tpl_sessions_slot(&v));
}

void ps_portal_sessions(struct ps_req *req)
{
    struct sessions *s = sessions_new(req);
    if (s)
        ps_api_read_or(req, sessions_op, s, sessions_render, ps_page_failed);
}

static enum ps_err end_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct sessions *s = ctx;
    return ps_session_end(tx, s->actor, s->actor->id, s->form.values[0],
                          s->current ? "signout" : "removed", diag);
}

static void ended(struct ps_req *req, void *ctx)
{
    struct sessions *s = ctx;
    if (s->current) {
        ps_api_session_cookie(req, NULL, 0);
        ps_page_redirect(s->pg, "/?notice=signed-out");
        return;
    }
    ps_page_redirect(s->pg, "/me/sessions?notice=session-ended");
}

void ps_portal_sessions_post(struct ps_req *req)
{
    struct sessions *s = sessions_new(req);
    const struct ps_session *mine = ps_api_session(req);
    if (!s || !ps_page_post_form(s->pg, &s->form))
        return;
    if (ps_form_check(&s->form, s->pg->lang, req->arena)) {
        ps_page_error(s->pg, 400, N_("There is a problem with the request"),
                      N_("Check the address or the form and try again."));
        return;
    }
    s->current = mine && ps_str_eq_cstr(s->form.values[0], mine->id);
    ps_api_write_or(req, end_op, s, ended, ps_page_failed);
}
