/* The officials' documents pages: a person's documents looked up by RNOKPP with a purpose
 * (the API's GET /api/v1/registry/persons/{rnokpp}/documents: issued first if the registers
 * call for it, the read recorded "document.list" in the same transaction, decided again for
 * the person named, as the work area's lookup), and an issuer's registrar or inspector
 * revoking, suspending or reinstating one with a reason (the API's POST
 * /api/v1/agencies/{agency}/documents/{id}/status: the same action, decided for the agency of
 * the path; the change is recorded by the documents module). */
#include <string.h>

#include "core/clock.h"
#include "identity/session.h"
#include "portal/documents_int.h"
#include "registries/rnokpp.h"
#include "tlog/access.h"

enum { L_RNOKPP, L_PURPOSE, L_N };
static const struct ps_field lookup_fields[L_N] = {
    [L_RNOKPP] = {.name = "rnokpp", .label = N_("Taxpayer number (RNOKPP)"),
                  .hint = N_("10 digits"), .inputmode = "numeric", .autocomplete = "off",
                  .width = "10", .max_chars = 20,
                  .required = N_("Enter the person’s taxpayer number (RNOKPP)"),
                  .spellcheck_off = true},
    [L_PURPOSE] = {.name = "purpose", .label = N_("Purpose of the read"),
                   .hint = N_("Why your work needs this person’s record, for example “pension "
                              "review, case 2026/114”. The person sees it."),
                   .autocomplete = "off", .max_chars = PS_API_PURPOSE_MAX,
                   .required = N_("Enter the purpose of the read")},
};

struct lookup {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_docs *docs;
    struct ps_form form;
    bool found;
    struct ps_doc_view views[PS_DOCS_PER_PERSON_MAX];
    size_t n;
};

/* True when the session holds role registrar or inspector at agency. */
static bool may_change(const struct ps_session *s, struct ps_str agency)
{
    for (size_t i = 0; s && i < s->nroles; i++) {
        if ((ps_str_eq_cstr(s->roles[i].name, "registrar") ||
             ps_str_eq_cstr(s->roles[i].name, "inspector")) &&
            ps_str_eq(s->roles[i].agency, agency))
            return true;
    }
    return false;
}

static bool rows(struct lookup *l, struct ps_tpl_official_documents *v)
{
    struct ps_req *req = l->pg->req;
    const struct ps_session *s = ps_api_session(req);
    int64_t now = ps_clock_now_ms();
    struct ps_tpl_official_documents_docs *d = ps_api_alloc(req, (l->n + 1) * sizeof *d);
    if (!d)
        return false;
    for (size_t i = 0; i < l->n; i++) {
        const struct ps_document *doc = &l->views[i].doc;
        bool bad;
        d[i].title = doc->type ? ps_portal_label(l->pg, &doc->type->name) : doc->type_id;
        d[i].issuer = doc->issuer;
        d[i].status = ps_portal_doc_status(l->pg, doc, now, &bad);
        if (may_change(s, doc->issuer))
            d[i].href = ps_str_from_cstr(ps_arena_printf(
                req->arena, "/official/agencies/%.*s/documents/%s/status",
                PS_STR_FMT(doc->issuer), doc->id));
    }
    v->docs = d;
    v->ndocs = l->n;
    return true;
}

static void lookup_page(struct lookup *l)
{
    struct ps_page *pg = l->pg;
    struct ps_tpl_official_documents v = {.found = l->found};
    ps_form_input(&l->form, L_RNOKPP, pg->lang, pg->req->arena, &v.rnokpp);
    ps_form_input(&l->form, L_PURPOSE, pg->lang, pg->req->arena, &v.purpose);
    if (l->found && !rows(l, &v))
        return;
    ps_page_form_errors(pg, &l->form);
    ps_page_send(pg, pg->layout.nerrors ? 400 : 200, ps_tpl_official_documents_slot(&v));
}

static struct lookup *lookup_new(struct ps_req *req)
{
    struct lookup *l = ps_api_alloc(req, sizeof *l);
    if (!l || !(l->pg = ps_page_new(req, N_("Documents of a person"), "/official")))
        return NULL;
    ps_form_init(&l->form, lookup_fields, L_N);
    return l;
}

void ps_portal_official_documents(struct ps_req *req)
{
    struct lookup *l = lookup_new(req);
    if (!l)
        return;
    ps_page_draft(l->pg, &l->form);
    lookup_page(l);
}

/* The API's read: issue what the registers call for (the official's act), then the list,
 * recorded; a person who is not there is a message on the form, not recorded. */
static enum ps_err lookup_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct lookup *l = ctx;
    const struct ps_actor *a = ps_api_actor(l->pg->req);
    struct ps_str rnokpp = l->form.values[L_RNOKPP], purpose = l->form.values[L_PURPOSE];
    enum ps_err e = ps_docs_sync(tx, l->docs, a, rnokpp, ps_access_purpose(a, purpose), false,
                                 NULL, diag);
    if (e == PS_OK)
        e = ps_docs_list(tx, l->docs, a, rnokpp, purpose, l->pg->req->arena, l->views,
                         PS_DOCS_PER_PERSON_MAX, &l->n, diag);
    l->found = e == PS_OK;
    return e;
}

static void lookup_render(struct ps_req *req, void *ctx)
{
    (void)req;
    lookup_page(ctx);
}

static void lookup_failed(struct ps_req *req, void *ctx, const struct ps_diag *domain,
                          const struct ps_diag *store, enum ps_err result)
{
    struct lookup *l = ctx;
    if (domain && domain->code == PS_ERR_NOTFOUND) {
        ps_form_error(&l->form, L_RNOKPP, ps_str_from_cstr(ps_page_t(
                          l->pg, N_("There is no person with this taxpayer number in the "
                                    "register"))));
        lookup_page(l);
        return;
    }
    ps_page_failed(req, ctx, domain, store, result);
}

static void lookup_allowed(struct ps_req *req)
{
    ps_api_write_or(req, lookup_op, req->then_ctx, lookup_render, lookup_failed);
}

void ps_portal_official_documents_post(struct ps_req *req)
{
    struct lookup *l = lookup_new(req);
    struct ps_diag d = {0};
    if (!l || !ps_page_post_form(l->pg, &l->form))
        return;
    ps_form_check(&l->form, l->pg->lang, req->arena);
    if (!l->form.errors[L_RNOKPP].len &&
        ps_rnokpp_validate(l->form.values[L_RNOKPP], NULL, &d) != PS_OK)
        ps_form_error(&l->form, L_RNOKPP, ps_str_from_cstr(ps_page_t(
                          l->pg, N_("Enter a taxpayer number of 10 digits, as on the "
                                    "person’s documents"))));
    if (l->form.nerrors) {
        lookup_page(l);
        return;
    }
    if (!(l->docs = ps_portal_docs(l->pg)))
        return;
    req->then_ctx = l;
    ps_api_decide_for(req, l->form.values[L_RNOKPP], lookup_allowed);
}

/* ---- GET|POST /official/agencies/{agency}/documents/{id}/status ---- */

enum { C_TO, C_REASON, C_N };
static const struct ps_field change_fields[C_N] = {
    [C_TO] = {.name = "to", .label = N_("New status"), .max_chars = 16,
              .required = N_("Choose the new status")},
    [C_REASON] = {.name = "reason", .label = N_("Reason"),
                  .hint = N_("The holder sees it, for example “licence withdrawn by court order "
                             "2026/55”."),
                  .autocomplete = "off", .max_chars = PS_DOC_REASON_MAX,
                  .required = N_("Enter the reason for the change")},
};

struct change {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_docs *docs;
    struct ps_form form;
    struct ps_str agency, id;
    enum ps_doc_status to;
    bool post, changed;
    struct ps_diag refused; /* a transition not allowed */
    struct ps_document doc;
};

static enum ps_err change_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct change *c = ctx;
    enum ps_err e = PS_OK;
    if (c->post) {
        memset(&c->refused, 0, sizeof c->refused);
        e = ps_docs_set_status(tx, c->docs, ps_api_actor(c->pg->req), c->agency, c->id, c->to,
                               c->form.values[C_REASON], &c->refused);
        c->changed = e == PS_OK;
        if (e == PS_ERR_INVALID) /* a transition not allowed: a message on the form */
            e = PS_OK;
        else if (e != PS_OK)
            *diag = c->refused;
    }
    if (e == PS_OK)
        e = ps_docs_public(tx, c->docs, c->id, c->pg->req->arena, &c->doc, diag);
    if (e == PS_OK && !ps_str_eq(c->doc.issuer, c->agency))
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "no such document of this agency");
    return e;
}

static void change_render(struct ps_req *req, void *ctx)
{
    struct change *c = ctx;
    static const struct {
        const char *value, *id, *label;
    } opts[] = {{"revoked", "to", N_("Revoke: for good")},
                {"suspended", "to-suspended", N_("Suspend: until reinstated")},
                {"valid", "to-valid", N_("Reinstate: in force again")}};
    struct ps_tpl_document_status v = {.changed = c->changed};
    struct ps_tpl_document_status_options *o = ps_api_alloc(req, 3 * sizeof *o);
    if (!o)
        return;
    if (c->post && !c->changed)
        ps_form_error(&c->form, C_TO, ps_str_from_cstr(ps_page_t(
                          c->pg, N_("The document cannot change to this status from the one it "
                                    "has"))));
    for (size_t i = 0; i < 3; i++) {
        if (i == 1 && !(c->doc.type && c->doc.type->suspension))
            continue;
        o[v.noptions] = (struct ps_tpl_document_status_options){
            .value = ps_str_from_cstr(opts[i].value), .id = ps_str_from_cstr(opts[i].id),
            .label = ps_str_from_cstr(ps_page_t(c->pg, opts[i].label)),
            .checked = !c->changed && ps_str_eq_cstr(c->form.values[C_TO], opts[i].value)};
        v.noptions++;
    }
    v.options = o;
    v.title = c->doc.type ? ps_portal_label(c->pg, &c->doc.type->name) : c->doc.type_id;
    v.id = ps_str_from_cstr(c->doc.id);
    v.status = ps_portal_doc_status(c->pg, &c->doc, ps_clock_now_ms(), &v.bad);
    v.action = ps_str_from_cstr(ps_arena_printf(req->arena,
                                                "/official/agencies/%.*s/documents/%s/status",
                                                PS_STR_FMT(c->agency), c->doc.id));
    v.to_error = c->form.errors[C_TO];
    if (c->changed)
        c->form.values[C_REASON] = PS_STR("");
    ps_form_input(&c->form, C_REASON, c->pg->lang, req->arena, &v.reason);
    ps_page_form_errors(c->pg, &c->form);
    ps_page_send(c->pg, c->pg->layout.nerrors ? 400 : 200, ps_tpl_document_status_slot(&v));
}

static struct change *change_new(struct ps_req *req)
{
    struct change *c = ps_api_alloc(req, sizeof *c);
    if (!c || !(c->pg = ps_page_new(req, N_("Change a document’s status"), "/official")) ||
        !(c->docs = ps_portal_docs(c->pg)))
        return NULL;
    ps_form_init(&c->form, change_fields, C_N);
    c->agency = ps_req_param(req, "agency");
    c->id = ps_req_param(req, "id");
    return c;
}

void ps_portal_official_document_status(struct ps_req *req)
{
    struct change *c = change_new(req);
    if (!c)
        return;
    if (strcmp(req->route->method, "POST") == 0) {
        static const enum ps_doc_status by_name[] = {PS_DOC_VALID, PS_DOC_SUSPENDED,
                                                     PS_DOC_REVOKED};
        if (!ps_page_post_form(c->pg, &c->form))
            return;
        ps_form_check(&c->form, c->pg->lang, req->arena);
        int to = -1;
        for (int i = 0; i < 3; i++) {
            if (ps_str_eq_cstr(c->form.values[C_TO], ps_doc_status_name(by_name[i])))
                to = i;
        }
        if (to < 0 && !c->form.errors[C_TO].len)
            ps_form_error(&c->form, C_TO, ps_str_from_cstr(ps_page_t(
                              c->pg, N_("Choose the new status"))));
        c->post = c->form.nerrors == 0;
        c->to = to >= 0 ? by_name[to] : PS_DOC_VALID;
        ps_api_write_or(req, change_op, c, change_render, ps_page_failed);
        return;
    }
    ps_page_draft(c->pg, &c->form);
    ps_api_read_or(req, change_op, c, change_render, ps_page_failed);
}
