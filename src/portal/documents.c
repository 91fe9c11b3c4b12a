/* The holder's documents pages: the list as cards laid out by each type, one document with
 * its QR code (the API's presentation, refreshed by documents.js or a link), the choice of
 * the claims it shows, a single-use share code, and the paper copy. Reading one's own
 * documents records nothing (as the API's reads); issuing what the registers call for is a
 * write, made only when a dry run finds something to change; a share is recorded by the
 * documents module ("share.create"). */
#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "documents/image.h"
#include "portal/documents_int.h"

#define CARD_FIELDS 3
#define CLAIMS_LIST_MAX 2048 /* "a,b,..." of at most 64 names of 64 bytes, and more */
#define SHARE_SVG_MAX (256u << 10)

/* ---- words the documents pages share ---- */

struct ps_str ps_portal_label(const struct ps_page *pg, const struct ps_label *l)
{
    return ps_str_from_cstr(pg->lang == PS_LANG_UK || !l->en ? l->uk : l->en);
}

struct ps_str ps_portal_claim_text(struct ps_page *pg, const struct ps_doctype_claim *t,
                                   const struct ps_doc_claim *c)
{
    struct ps_arena *a = pg->req->arena;
    switch (c->type) {
    case PS_DOC_TEXT: {
        struct ps_date d;
        struct ps_diag diag = {0};
        char buf[PS_I18N_DATE_MAX];
        struct ps_str s = ps_str_from_cstr(c->text ? c->text : "");
        if (t && t->type == PS_CLAIM_DATE && ps_date_parse(s, &d, &diag) == PS_OK)
            return ps_arena_str(a, (struct ps_str){buf, ps_i18n_date(pg->lang, d, buf)});
        return s;
    }
    case PS_DOC_INT: {
        char buf[PS_I18N_NUM_MAX];
        if (c->i < 0)
            return ps_str_from_cstr(ps_arena_printf(a, "%lld", (long long)c->i));
        return ps_arena_str(a, (struct ps_str){buf, ps_i18n_num(pg->lang, (uint64_t)c->i,
                                                                buf)});
    }
    case PS_DOC_BOOL: return ps_str_from_cstr(ps_page_t(pg, c->b ? N_("Yes") : N_("No")));
    case PS_DOC_BYTES: break;
    }
    return PS_STR("—");
}

struct ps_str ps_portal_doc_status(const struct ps_page *pg, const struct ps_document *doc,
                                   int64_t now_ms, bool *bad)
{
    const char *m = N_("Valid");
    *bad = true;
    if (doc->status == PS_DOC_REVOKED)
        m = N_("Revoked");
    else if (doc->status == PS_DOC_SUSPENDED)
        m = N_("Suspended");
    else if (doc->expires_at_ms <= now_ms)
        m = N_("Expired");
    else
        *bad = false;
    return ps_str_from_cstr(ps_page_t(pg, m));
}

const char *ps_portal_doc_action(struct ps_str action)
{
    static const struct {
        const char *action, *text;
    } acts[] = {
        {"document.issue", N_("issued you a document")},
        {"document.revoke", N_("revoked a document of yours")},
        {"document.suspend", N_("suspended a document of yours")},
        {"document.reinstate", N_("reinstated a document of yours")},
        {"document.holder-key", N_("bound a document of yours to a phone’s key")},
        {"document.list", N_("read the list of your documents")},
        {"document.share.redeem", N_("checked a document you shared")},
        {"share.create", N_("made a share code")},
    };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (ps_str_eq_cstr(action, acts[i].action))
            return acts[i].text;
    return NULL;
}

struct ps_docs *ps_portal_docs(struct ps_page *pg)
{
    struct ps_app *app = pg->req->app;
    if (!app || !app->docs)
        ps_page_error(pg, 503, N_("Documents are not available"),
                      N_("This server was started without its documents service."));
    return app ? app->docs : NULL;
}

/* ---- the list: GET /me/documents ---- */

struct mine {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_docs *docs;
    const struct ps_actor *actor;
    size_t changes;
    struct ps_doc_view views[PS_DOCS_PER_PERSON_MAX];
    size_t n;
};

static enum ps_err mine_list(struct ps_tx *tx, struct mine *m, struct ps_diag *diag)
{
    return ps_docs_list(tx, m->docs, m->actor, m->actor->id, PS_STR_NULL, m->pg->req->arena,
                        m->views, PS_DOCS_PER_PERSON_MAX, &m->n, diag);
}

static enum ps_err mine_check_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct mine *m = ctx;
    enum ps_err e = ps_docs_sync(tx, m->docs, m->actor, m->actor->id,
                                 PS_STR("issued to the holder"), true, &m->changes, diag);
    return e == PS_OK && m->changes == 0 ? mine_list(tx, m, diag) : e;
}

static enum ps_err mine_sync_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct mine *m = ctx;
    enum ps_err e = ps_docs_sync(tx, m->docs, m->actor, m->actor->id,
                                 PS_STR("issued to the holder"), false, &m->changes, diag);
    return e == PS_OK ? mine_list(tx, m, diag) : e;
}

/* The first few claims of the type's first section that a card can show. */
static bool card_fields(struct ps_page *pg, const struct ps_doc_view *v,
                        struct ps_tpl_documents_cards *card)
{
    const struct ps_doctype *t = v->doc.type;
    struct ps_tpl_documents_cards_fields *f = ps_api_alloc(pg->req, CARD_FIELDS * sizeof *f);
    if (!f)
        return false;
    size_t n = 0;
    for (size_t s = 0; t && s < t->nsections && n == 0; s++) {
        for (size_t k = 0; k < t->sections[s].n && n < CARD_FIELDS; k++) {
            size_t i = t->sections[s].claims[k];
            if (i >= v->n || v->claims[i].type == PS_DOC_BYTES)
                continue;
            f[n].label = ps_portal_label(pg, &t->claims[i].label);
            f[n].value = ps_portal_claim_text(pg, &t->claims[i], &v->claims[i]);
            n++;
        }
    }
    card->fields = f;
    card->nfields = n;
    return true;
}

static void mine_render(struct ps_req *req, void *ctx)
{
    struct mine *m = ctx;
    int64_t now = ps_clock_now_ms();
    struct ps_tpl_documents v = {0};
    struct ps_tpl_documents_cards *cards = ps_api_alloc(req, (m->n ? m->n : 1) * sizeof *cards);
    if (!cards)
        return;
    for (size_t i = 0; i < m->n; i++) {
        const struct ps_document *doc = &m->views[i].doc;
        cards[i].id = ps_str_from_cstr(doc->id);
        cards[i].title = doc->type ? ps_portal_label(m->pg, &doc->type->name) : doc->type_id;
        cards[i].status = ps_portal_doc_status(m->pg, doc, now, &cards[i].bad);
        if (!card_fields(m->pg, &m->views[i], &cards[i]))
            return;
    }
    v.cards = cards;
    v.ncards = m->n;
    ps_page_script(m->pg, "documents.js");
    ps_page_send(m->pg, 200, ps_tpl_documents_slot(&v));
}

static void mine_checked(struct ps_req *req, void *ctx)
{
    struct mine *m = ctx;
    if (m->changes == 0)
        mine_render(req, ctx);
    else
        ps_api_write_or(req, mine_sync_op, m, mine_render, ps_page_failed);
}

void ps_portal_documents(struct ps_req *req)
{
    struct mine *m = ps_api_alloc(req, sizeof *m);
    if (!m || !(m->pg = ps_page_new(req, N_("My documents"), "/me/documents")) ||
        !(m->docs = ps_portal_docs(m->pg)))
        return;
    m->actor = ps_api_actor(req);
    ps_api_read_or(req, mine_check_op, m, mine_checked, ps_page_failed);
}

/* ---- one document: GET /me/documents/{id} ---- */

struct one {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_docs *docs;
    const struct ps_actor *actor;
    struct ps_str id;
    struct ps_str choice;  /* the claims asked for: "a,b", or empty for the default */
    struct ps_doc_view view;
    ps_claim_mask mask;
    struct ps_share_code code; /* a share made by the POST */
};

static enum ps_err one_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct one *o = ctx;
    enum ps_err e = ps_docs_get(tx, o->docs, o->actor, o->id, o->pg->req->arena, &o->view,
                                diag);
    if (e == PS_OK)
        e = ps_docs_parse_claims(o->view.doc.type, o->choice, &o->mask, diag);
    return e;
}

/* The names in mask, comma-separated, in the arena (PS_STR_NULL when it is exhausted). */
static struct ps_str mask_names(struct ps_page *pg, const struct ps_doc_view *v,
                                ps_claim_mask mask, const char *sep)
{
    struct ps_buf b;
    enum ps_err e = PS_OK;
    ps_buf_init(&b, CLAIMS_LIST_MAX * 4);
    for (size_t i = 0; i < v->n && e == PS_OK; i++) {
        if (!(mask & ((ps_claim_mask)1 << i)))
            continue;
        const char *name = sep[0] == ',' ? v->claims[i].name
                                         : ps_portal_label(pg, &v->doc.type->claims[i].label).p;
        e = ps_buf_printf(&b, "%s%s", b.len ? sep : "", name);
    }
    struct ps_str out = e == PS_OK ? ps_arena_str(pg->req->arena, ps_buf_str(&b)) : PS_STR_NULL;
    ps_buf_reset(&b);
    return out.p ? out : PS_STR("");
}

static bool sections_rows(struct one *o, struct ps_tpl_document *v)
{
    const struct ps_doctype *t = o->view.doc.type;
    struct ps_tpl_document_sections *s = ps_api_alloc(o->pg->req,
                                                      (t->nsections + 1) * sizeof *s);
    if (!s)
        return false;
    for (size_t i = 0; i < t->nsections; i++) {
        const struct ps_doctype_section *sec = &t->sections[i];
        struct ps_tpl_document_sections_fields *f = ps_api_alloc(o->pg->req,
                                                                 (sec->n + 1) * sizeof *f);
        if (!f)
            return false;
        s[i].title = ps_portal_label(o->pg, &sec->title);
        for (size_t k = 0; k < sec->n; k++) {
            size_t c = sec->claims[k];
            if (c >= o->view.n || o->view.claims[c].type == PS_DOC_BYTES)
                continue;
            f[s[i].nfields].label = ps_portal_label(o->pg, &t->claims[c].label);
            f[s[i].nfields].value = ps_portal_claim_text(o->pg, &t->claims[c], &o->view.claims[c]);
            s[i].nfields++;
        }
        s[i].fields = f;
    }
    v->sections = s;
    v->nsections = t->nsections;
    return true;
}

static bool choices_rows(struct one *o, struct ps_tpl_document *v)
{
    const struct ps_doctype *t = o->view.doc.type;
    struct ps_tpl_document_choices *c = ps_api_alloc(o->pg->req, (o->view.n + 1) * sizeof *c);
    if (!c)
        return false;
    for (size_t i = 0; i < o->view.n; i++) {
        if (o->view.claims[i].type == PS_DOC_BYTES)
            continue; /* the photo's hash: nothing a person can read */
        c[v->nchoices].name = ps_str_from_cstr(t->claims[i].name);
        c[v->nchoices].label = ps_portal_label(o->pg, &t->claims[i].label);
        c[v->nchoices].checked = o->mask & ((ps_claim_mask)1 << i);
        v->nchoices++;
    }
    v->choices = c;
    return true;
}

static void one_render(struct ps_req *req, void *ctx)
{
    struct one *o = ctx;
    const struct ps_document *doc = &o->view.doc;
    int64_t now = ps_clock_now_ms();
    char until[PS_I18N_TIME_MAX];
    struct ps_tpl_document v = {0};
    if (!doc->type) {
        ps_page_error(o->pg, 404, N_("Page not found"), N_("What you asked for does not exist."));
        return;
    }
    o->pg->layout.title = ps_portal_label(o->pg, &doc->type->name);
    v.title = o->pg->layout.title;
    v.id = ps_str_from_cstr(doc->id);
    v.status = ps_portal_doc_status(o->pg, doc, now, &v.bad);
    v.in_force = !v.bad;
    v.photo = doc->type->photo;
    v.valid_until = ps_arena_str(req->arena, (struct ps_str){
                                                 until, ps_i18n_time(o->pg->lang,
                                                                     doc->expires_at_ms / 1000,
                                                                     until)});
    v.claims = mask_names(o->pg, &o->view, o->mask, ",");
    if (!sections_rows(o, &v) || !choices_rows(o, &v))
        return;
    ps_page_script(o->pg, "documents.js");
    ps_page_send(o->pg, 200, ps_tpl_document_slot(&v));
}

/* The claims asked for: every "claim" of the query (the form's checkboxes), else "claims"
 * ("a,b", the links'). False after answering 400. */
static bool choice_of(struct one *o)
{
    struct ps_form_pair pairs[PS_FORM_MAX_PAIRS];
    size_t n = 0;
    struct ps_diag d = {0};
    struct ps_buf b;
    bool ok = ps_form_parse(o->pg->req->arena, o->pg->req->query, pairs, PS_FORM_MAX_PAIRS, &n,
                            &d) == PS_OK && ps_form_utf8(pairs, n);
    ps_buf_init(&b, CLAIMS_LIST_MAX);
    for (size_t i = 0; ok && i < n; i++) {
        if (ps_str_eq_cstr(pairs[i].name, "claim"))
            ok = ps_buf_printf(&b, "%s%.*s", b.len ? "," : "", PS_STR_FMT(pairs[i].value)) ==
                 PS_OK;
        else if (ps_str_eq_cstr(pairs[i].name, "claims") && !o->choice.len)
            o->choice = pairs[i].value;
    }
    if (ok && b.len)
        o->choice = ps_arena_str(o->pg->req->arena, ps_buf_str(&b));
    ps_buf_reset(&b);
    if (!ok || !o->choice.p)
        ps_page_error(o->pg, 400, N_("There is a problem with the request"),
                      N_("Check the address or the form and try again."));
    return ok && o->choice.p;
}

static struct one *one_new(struct ps_req *req, const char *title)
{
    struct one *o = ps_api_alloc(req, sizeof *o);
    if (!o || !(o->pg = ps_page_new(req, title, "/me/documents")) ||
        !(o->docs = ps_portal_docs(o->pg)))
        return NULL;
    o->actor = ps_api_actor(req);
    o->id = ps_req_param(req, "id");
    o->choice = PS_STR("");
    return o;
}

void ps_portal_document(struct ps_req *req)
{
    struct one *o = one_new(req, N_("My documents"));
    if (o && choice_of(o))
        ps_api_read_or(req, one_op, o, one_render, ps_page_failed);
}

/* ---- POST /me/documents/{id}/share ---- */

enum { S_CLAIMS, S_N };
static const struct ps_field share_fields[S_N] = {
    [S_CLAIMS] = {.name = "claims", .label = N_("Details to share"),
                  .max_chars = CLAIMS_LIST_MAX},
};

static enum ps_err share_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct one *o = ctx;
    enum ps_err e = one_op(tx, o, diag);
    if (e == PS_OK)
        e = ps_docs_share_create(tx, o->docs, o->actor, o->id, o->mask, 0, &o->code, diag);
    return e;
}

static void share_render(struct ps_req *req, void *ctx)
{
    struct one *o = ctx;
    struct ps_tpl_document_share v = {0};
    struct ps_buf svg;
    char *url = ps_arena_printf(req->arena, "%s/verify/%s", ps_docs_public_url(o->docs),
                                o->code.text);
    char at[PS_I18N_TIME_MAX];
    ps_buf_init(&svg, SHARE_SVG_MAX);
    if (url && ps_doc_qr_svg(ps_str_from_cstr(url), &svg) == PS_OK)
        v.qr = (struct ps_html){ps_buf_str(&svg)}; /* geometry the program drew: no input */
    v.code = ps_str_from_cstr(o->code.text);
    v.id = ps_str_from_cstr(o->view.doc.id);
    v.expires_at = ps_arena_str(req->arena, (struct ps_str){at, ps_i18n_time(
                                                                    o->pg->lang,
                                                                    o->code.expires_at_ms / 1000,
                                                                    at)});
    v.shown = mask_names(o->pg, &o->view, o->mask, ", ");
    ps_page_send(o->pg, 200, ps_tpl_document_share_slot(&v));
    if (svg.p)
        sodium_memzero(svg.p, svg.len);
    ps_buf_reset(&svg);
    if (url)
        sodium_memzero(url, strlen(url));
    sodium_memzero(&o->code, sizeof o->code);
}

void ps_portal_document_share(struct ps_req *req)
{
    struct one *o = one_new(req, N_("Share code"));
    struct ps_form f;
    if (!o)
        return;
    ps_form_init(&f, share_fields, S_N);
    if (!ps_page_post_form(o->pg, &f))
        return;
    if (ps_form_check(&f, o->pg->lang, req->arena)) {
        ps_page_error(o->pg, 400, N_("There is a problem with the request"),
                      N_("Check the address or the form and try again."));
        return;
    }
    o->choice = f.values[S_CLAIMS];
    ps_api_write_or(req, share_op, o, share_render, ps_page_failed);
}
