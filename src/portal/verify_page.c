/* The public verify page: anyone checks a document someone shows them, by a share code
 * (redeemed as the API's public redemption does: once, recorded for the holder as the system
 * "public-verify", and only the claims the type discloses by default) or by a QR code's text
 * ("PS1:" or "HC1:"), verified with libpsverify against this platform's own trust list (pinned
 * to its root key) and the issuers' status lists. Each check is said in plain words. The
 * share link's page (/verify/{code}) only fills the form: a GET never uses a code up. */
#include <string.h>

#include "core/clock.h"
#include "documents/qr_read.h"
#include "pocketstate/verify.h"
#include "portal/documents_int.h"
#include "portal/multipart.h"

#define QR_TEXT_MAX 8192        /* libpsverify's own default limit on a QR text */
#define TRUST_LIST_MAX (1u << 20)
#define STATUS_LIST_MAX (1u << 20)
#define STATUS_LISTS_MAX 64     /* lists tried for a document's status (one per issuer) */
#define CHECKS_MAX 5
#define QR_FIELDS_MAX 64
#define IMAGE_PIXELS_MAX (16u << 20) /* a 16-megapixel photo */
#define IMAGE_PARTS_MAX 4

enum { V_CODE, V_QR, V_CHECK, V_IMAGE, V_N };
static const struct ps_field verify_fields[V_N] = {
    [V_CODE] = {.name = "code", .label = N_("Share code"),
                .hint = N_("16 letters and digits, for example 7K2M-9QXD-4HRT-C8WN"),
                .autocomplete = "off", .width = "20", .max_chars = PS_SHARE_CODE_INPUT_MAX,
                .spellcheck_off = true},
    [V_QR] = {.name = "qr", .label = N_("Text of the QR code"),
              .hint = N_("It starts with PS1: or HC1:. A phone’s camera app can copy it."),
              .autocomplete = "off", .max_chars = QR_TEXT_MAX, .spellcheck_off = true},
    [V_CHECK] = {.name = "check", .label = N_("Check"), .max_chars = 8},
    /* a file: not read by ps_form_read (verify_image), listed for its messages */
    [V_IMAGE] = {.name = "image", .label = N_("Photo or screenshot of the QR code")},
};

struct verify {
    struct ps_page *pg; /* first: ps_page_failed */
    struct ps_docs *docs;
    struct ps_form form;
    /* a share code */
    struct ps_doc_source src;
    ps_claim_mask mask;
    struct ps_diag refused;
    struct ps_doc_view view;
    /* the result */
    struct ps_tpl_verify v;
    struct ps_tpl_verify_checks checks[CHECKS_MAX];
};

static void check(struct verify *w, const char *name, bool ok, struct ps_str text)
{
    if (w->v.nchecks >= CHECKS_MAX)
        return;
    struct ps_tpl_verify_checks *c = &w->checks[w->v.nchecks++];
    c->name = ps_str_from_cstr(ps_page_t(w->pg, name));
    c->ok = ok;
    c->text = text;
    w->v.checks = w->checks;
}

static struct ps_str t(struct verify *w, const char *msgid)
{
    return ps_str_from_cstr(ps_page_t(w->pg, msgid));
}

/* msgid with {at} a moment (Unix seconds) in the page's language. */
static struct ps_str at_text(struct verify *w, const char *msgid, int64_t at_s)
{
    char buf[PS_I18N_TIME_MAX];
    size_t n = ps_i18n_time(w->pg->lang, at_s, buf);
    struct ps_i18n_arg a[] = {{"at", {buf, n}}};
    return ps_i18n_fill(w->pg->req->arena, ps_page_t(w->pg, msgid), a, 1);
}

static void page(struct verify *w)
{
    struct ps_page *pg = w->pg;
    ps_form_input(&w->form, V_CODE, pg->lang, pg->req->arena, &w->v.code);
    ps_form_input(&w->form, V_QR, pg->lang, pg->req->arena, &w->v.qr);
    w->v.image_error = w->form.errors[V_IMAGE];
    ps_page_form_errors(pg, &w->form);
    ps_page_send(pg, pg->layout.nerrors ? 400 : 200, ps_tpl_verify_slot(&w->v));
}

static struct verify *verify_new(struct ps_req *req)
{
    struct verify *w = ps_api_alloc(req, sizeof *w);
    if (!w || !(w->pg = ps_page_new(req, N_("Check a document"), "/verify")))
        return NULL;
    ps_form_init(&w->form, verify_fields, V_N);
    return w;
}

void ps_portal_verify(struct ps_req *req)
{
    struct verify *w = verify_new(req);
    if (w)
        page(w);
}

/* GET /verify/{code}: the share link; the form with the code in it, not yet used. */
void ps_portal_verify_code(struct ps_req *req)
{
    struct verify *w = verify_new(req);
    if (!w)
        return;
    struct ps_str code = ps_req_param(req, "code");
    if (code.len <= PS_SHARE_CODE_INPUT_MAX)
        w->form.values[V_CODE] = code;
    w->pg->cache = "no-store";
    page(w);
}

/* ---- by share code ---- */

static enum ps_err redeem_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    static const struct ps_actor public = {.kind = PS_ACTOR_SYSTEM, .id = {"public-verify", 13}};
    struct verify *w = ctx;
    memset(&w->refused, 0, sizeof w->refused);
    return ps_docs_share_redeem(tx, w->docs, &public, w->form.values[V_CODE],
                                PS_STR("public verification"), true, w->pg->req->arena,
                                &w->src, &w->mask, &w->refused, diag);
}

static void refused_render(struct verify *w)
{
    const char *m = N_("There is no share code like this. Check that you typed it as shown.");
    if (w->refused.code == PS_ERR_EXISTS)
        m = N_("This code has been used already: a code works once. Ask for a new one.");
    else if (w->refused.code == PS_ERR_LIMIT)
        m = N_("This code has expired: a code works for 3 minutes. Ask for a new one.");
    else if (w->refused.code == PS_ERR_INVALID)
        m = N_("Enter the share code as shown: 16 letters and digits");
    ps_form_error(&w->form, V_CODE, t(w, m));
    page(w);
}

static bool shown_fields(struct verify *w)
{
    const struct ps_doctype *ty = w->view.doc.type;
    struct ps_tpl_verify_fields *f = ps_api_alloc(w->pg->req, (w->view.n + 1) * sizeof *f);
    if (!f)
        return false;
    for (size_t i = 0; ty && i < w->view.n; i++) {
        if (!(w->mask & ((ps_claim_mask)1 << i)) || w->view.claims[i].type == PS_DOC_BYTES)
            continue;
        f[w->v.nfields].label = ps_portal_label(w->pg, &ty->claims[i].label);
        f[w->v.nfields].value = ps_portal_claim_text(w->pg, &ty->claims[i], &w->view.claims[i]);
        w->v.nfields++;
    }
    w->v.fields = f;
    return true;
}

static void redeem_render(struct ps_req *req, void *ctx)
{
    struct verify *w = ctx;
    struct ps_diag d = {0};
    int64_t now = ps_clock_now_ms();
    if (w->refused.code != PS_OK) {
        refused_render(w);
        return;
    }
    if (ps_docs_view_build(w->docs, &w->src, w->mask, now, req->arena, &w->view, &d) != PS_OK) {
        ps_page_failed(req, w, &d, NULL, d.code);
        return;
    }
    const struct ps_document *doc = &w->view.doc;
    bool bad = false;
    struct ps_str status = ps_portal_doc_status(w->pg, doc, now, &bad);
    w->v.checked = true;
    w->v.valid = !bad;
    check(w, N_("Share code"), true,
          t(w, N_("Accepted, and now used up: the holder made it for you to check.")));
    check(w, N_("Issuer"), true,
          t(w, N_("The document is in this platform’s register of issued documents.")));
    check(w, N_("Status"), !bad, status);
    check(w, N_("Validity"), doc->expires_at_ms > now,
          at_text(w, doc->expires_at_ms > now ? N_("Valid until {at}.")
                                              : N_("Expired at {at}."),
                  doc->expires_at_ms / 1000));
    w->v.title = doc->type ? ps_portal_label(w->pg, &doc->type->name) : doc->type_id;
    w->form.values[V_CODE] = PS_STR("");
    if (shown_fields(w))
        page(w);
}

/* ---- by QR text ---- */

struct qr {
    psv_trust *trust;
    psv_status_list *list;
    struct psv_result r;
    struct ps_buf buf;
};

/* This platform's trust list, pinned to its root key. */
static enum ps_err load_trust(struct verify *w, struct qr *q, int64_t now, struct ps_diag *d)
{
    char etag[67];
    struct ps_buf root;
    struct psv_diag pd = {0};
    ps_buf_init(&root, 4096);
    enum ps_err e = ps_docs_root_jwk(w->docs, &root);
    if (e == PS_OK)
        e = ps_docs_trust_list(w->docs, &q->buf, etag, d);
    if (e == PS_OK) {
        struct psv_root pin = {root.p, root.len};
        if (!(q->trust = psv_trust_new()) ||
            psv_trust_load_list(q->trust, q->buf.p, q->buf.len, &pin, now, &pd) != PSV_OK)
            e = ps_diag_set(d, PS_ERR_INTERNAL, "trust list: %s", pd.message);
    }
    ps_buf_reset(&root);
    return e;
}

/* The status of the document: the issuers' lists in turn until one is the document's (the
 * verifier matches a list by its URI and issuer). Leaves q->r as verified with it, or without
 * any list when none matched. */
static void with_status(struct verify *w, struct qr *q, struct ps_str text, int64_t now)
{
    for (int64_t id = 1; id <= STATUS_LISTS_MAX; id++) {
        char etag[67];
        struct ps_diag d = {0};
        struct psv_diag pd = {0};
        ps_buf_reset(&q->buf);
        ps_buf_init(&q->buf, STATUS_LIST_MAX);
        if (ps_docs_status_list(w->docs, id, &q->buf, etag, &d) != PS_OK)
            return; /* the last list */
        psv_status_list *sl = NULL;
        if (psv_status_list_parse(q->trust, (const uint8_t *)q->buf.p, q->buf.len, now, 0, &sl,
                                  &pd) != PSV_OK)
            continue;
        struct psv_result r = {0};
        struct psv_params p = {.trust = q->trust, .status = sl, .now = now};
        enum psv_error pe = psv_verify(&p, text.p, text.len, &r); /* the outcome is in r */
        if (pe != PSV_E_USAGE && r.status != PSV_NOT_CHECKED) {
            psv_result_free(&q->r);
            q->r = r;
            q->list = sl;
            return;
        }
        psv_result_free(&r);
        psv_status_list_free(sl);
    }
}

static struct ps_str signature_text(struct verify *w, const struct psv_result *r)
{
    switch (r->signature) {
    case PSV_CHECK_OK: {
        struct ps_i18n_arg a[] = {{"issuer", ps_str_from_cstr(r->issuer ? r->issuer : "?")}};
        return ps_i18n_fill(w->pg->req->arena,
                            ps_page_t(w->pg, N_("Signed by {issuer} with a key this platform "
                                                "trusts: nothing in it was changed.")),
                            a, 1);
    }
    case PSV_CHECK_UNKNOWN_KEY:
        return t(w, N_("Not signed by any key this platform trusts."));
    case PSV_CHECK_FAILED:
        return t(w, N_("The signature does not match: the code was changed or forged."));
    default: return t(w, N_("Could not be checked: the code is not a document’s."));
    }
}

static void validity_check(struct verify *w, const struct psv_result *r)
{
    if (r->validity == PSV_CHECK_OK && r->has_expires_at)
        check(w, N_("Validity"), true, at_text(w, N_("Valid until {at}."), r->expires_at));
    else if (r->validity == PSV_CHECK_EXPIRED)
        check(w, N_("Validity"), false,
              at_text(w, N_("Expired at {at}: ask for a fresh code."), r->expires_at));
    else if (r->validity == PSV_CHECK_NOT_YET_VALID)
        check(w, N_("Validity"), false, t(w, N_("Not valid yet: check the clock.")));
    else if (r->validity == PSV_CHECK_OK)
        check(w, N_("Validity"), true, t(w, N_("Within its validity.")));
}

static void status_check(struct verify *w, const struct psv_result *r)
{
    const char *m = N_("Not revoked or suspended: checked against its issuer’s status list.");
    bool ok = r->status == PSV_CHECK_OK;
    if (r->status == PSV_CHECK_REVOKED)
        m = N_("Revoked by its issuer.");
    else if (r->status == PSV_CHECK_SUSPENDED)
        m = N_("Suspended by its issuer.");
    else if (r->status == PSV_NOT_CHECKED)
        m = N_("Could not be checked: no status list of this platform names it.");
    check(w, N_("Status"), ok, t(w, m));
}

static void holder_check(struct verify *w, const struct psv_result *r)
{
    if (r->format != PSV_FORMAT_PS1)
        return;
    if (r->holder == PSV_CHECK_OK)
        check(w, N_("Holder"), true,
              t(w, N_("Made on the holder’s own phone with the key bound to the document.")));
    else if (r->holder == PSV_CHECK_FAILED)
        check(w, N_("Holder"), false,
              t(w, N_("Not made by the phone the document is bound to.")));
    else if (r->signature == PSV_CHECK_OK)
        check(w, N_("Holder"), true,
              t(w, N_("Made by the platform for its signed-in holder, valid 3 minutes.")));
}

/* The disclosed claims of a PS1 presentation, labelled by its type when this platform has it. */
static void qr_fields(struct verify *w, const struct psv_result *r)
{
    const struct ps_doctype *ty = r->doc_type
        ? ps_doctypes_find(ps_docs_types(w->docs), ps_str_from_cstr(r->doc_type)) : NULL;
    struct ps_tpl_verify_fields *f = ps_api_alloc(w->pg->req, QR_FIELDS_MAX * sizeof *f);
    if (!f || !r->claims || r->format != PSV_FORMAT_PS1)
        return;
    w->v.title = ty ? ps_portal_label(w->pg, &ty->name) : ps_str_from_cstr(r->doc_type ? r->doc_type : "");
    for (const struct psv_item *k = r->claims->child; k && k->next && w->v.nfields < QR_FIELDS_MAX;
         k = k->next->next) {
        const struct psv_item *val = k->next;
        struct ps_str name = {(const char *)k->p, k->len};
        int i = ty && k->type == PSV_ITEM_TEXT ? ps_doctype_claim_index(ty, name) : -1;
        struct ps_doc_claim c = {.type = PS_DOC_TEXT};
        if (k->type != PSV_ITEM_TEXT)
            continue;
        if (val->type == PSV_ITEM_TEXT)
            c.text = ps_arena_cstr(w->pg->req->arena, (struct ps_str){(const char *)val->p,
                                                                     val->len});
        else if (val->type == PSV_ITEM_UINT)
            c = (struct ps_doc_claim){.type = PS_DOC_INT, .i = (int64_t)(val->u & INT64_MAX)};
        else if (val->type == PSV_ITEM_TRUE || val->type == PSV_ITEM_FALSE)
            c = (struct ps_doc_claim){.type = PS_DOC_BOOL, .b = val->type == PSV_ITEM_TRUE};
        else
            continue; /* bytes (a photo's hash), structures */
        f[w->v.nfields].label = i >= 0 ? ps_portal_label(w->pg, &ty->claims[i].label) : name;
        f[w->v.nfields].value = ps_portal_claim_text(w->pg, i >= 0 ? &ty->claims[i] : NULL, &c);
        w->v.nfields++;
    }
    w->v.fields = f;
}

static void qr_result(struct verify *w, const struct psv_result *r)
{
    w->v.checked = true;
    w->v.valid = r->valid;
    if (r->format_check != PSV_CHECK_OK) {
        check(w, N_("Format"), false,
              t(w, N_("This is not the text of a document’s QR code, or it is damaged.")));
        return;
    }
    check(w, N_("Signature"), r->signature == PSV_CHECK_OK, signature_text(w, r));
    validity_check(w, r);
    status_check(w, r);
    holder_check(w, r);
    if (r->signature == PSV_CHECK_OK)
        qr_fields(w, r);
}

static void verify_qr(struct verify *w)
{
    struct qr q = {0};
    struct ps_diag d = {0};
    struct ps_str text = w->form.values[V_QR];
    int64_t now = ps_clock_now_ms() / 1000;
    ps_buf_init(&q.buf, TRUST_LIST_MAX);
    if (load_trust(w, &q, now, &d) == PS_OK) {
        struct psv_params p = {.trust = q.trust, .now = now};
        /* the outcome is in q.r, check by check (valid or not is one of them) */
        enum psv_error pe = psv_verify(&p, text.p, text.len, &q.r);
        if (pe != PSV_E_USAGE && q.r.format_check == PSV_CHECK_OK &&
            q.r.signature == PSV_CHECK_OK && q.r.status == PSV_NOT_CHECKED)
            with_status(w, &q, text, now);
        qr_result(w, &q.r);
        page(w);
    } else {
        ps_page_failed(w->pg->req, w, &d, NULL, d.code);
    }
    psv_result_free(&q.r);
    psv_status_list_free(q.list);
    psv_trust_free(q.trust);
    ps_buf_reset(&q.buf);
}

void ps_portal_verify_post(struct ps_req *req)
{
    struct verify *w = verify_new(req);
    if (!w || !ps_page_post_form(w->pg, &w->form))
        return;
    ps_form_check(&w->form, w->pg->lang, req->arena);
    bool by_qr = ps_str_eq_cstr(w->form.values[V_CHECK], "qr") ||
                 (!w->form.values[V_CODE].len && w->form.values[V_QR].len);
    size_t field = by_qr ? V_QR : V_CODE;
    if (!w->form.errors[field].len && !w->form.values[field].len)
        ps_form_error(&w->form, field,
                      t(w, by_qr ? N_("Paste the text of the QR code")
                                 : N_("Enter the share code")));
    if (!by_qr)
        w->form.values[V_QR] = PS_STR(""); /* only the form that was sent is checked */
    if (w->form.errors[field].len) {
        page(w);
        return;
    }
    if (!(w->docs = ps_portal_docs(w->pg)))
        return;
    if (by_qr)
        verify_qr(w);
    else
        ps_api_write_or(req, redeem_op, w, redeem_render, ps_page_failed);
}

/* ---- by a photo or a screenshot: POST /verify/image (multipart/form-data) ---- */

/* The picture's QR text into the form's QR field, or a message on the picture's field. */
static bool read_picture(struct verify *w, struct ps_str picture)
{
    struct ps_buf text;
    struct ps_diag d = {0};
    const char *m = NULL;
    ps_buf_init(&text, QR_TEXT_MAX);
    enum ps_err e = ps_qr_read((const uint8_t *)picture.p, picture.len, IMAGE_PIXELS_MAX, &text,
                               &d);
    if (e == PS_ERR_INVALID && strcmp(d.message, "neither PNG nor JPEG") == 0)
        m = N_("The file is not a PNG or JPEG picture");
    else if (e == PS_ERR_INVALID)
        m = N_("No QR code was found in the picture: take it again, closer and sharper");
    else if (e == PS_ERR_LIMIT)
        m = N_("The picture is too large: at most 16 megapixels and 3 MB");
    else if (e != PS_OK)
        m = N_("The picture could not be read");
    if (m)
        ps_form_error(&w->form, V_IMAGE, t(w, m));
    else
        w->form.values[V_QR] = ps_arena_str(w->pg->req->arena, ps_buf_str(&text));
    ps_buf_reset(&text);
    return !m && w->form.values[V_QR].p;
}

void ps_portal_verify_image(struct ps_req *req)
{
    struct verify *w = verify_new(req);
    struct ps_multipart_part parts[IMAGE_PARTS_MAX];
    size_t n = 0;
    struct ps_diag d = {0};
    if (!w)
        return;
    enum ps_err e = ps_multipart_parse(ps_req_header(req, "Content-Type"), req->body, parts,
                                       IMAGE_PARTS_MAX, &n, &d);
    if (e != PS_OK) {
        ps_page_error(w->pg, e == PS_ERR_LIMIT ? 413 : 400, N_("The picture could not be read"),
                      N_("Go back, choose the picture again and send it from the form."));
        return;
    }
    struct ps_str picture = PS_STR_NULL;
    for (size_t i = 0; i < n; i++) {
        if (ps_str_eq_cstr(parts[i].name, "image") && !picture.p)
            picture = parts[i].data;
    }
    if (!picture.len)
        ps_form_error(&w->form, V_IMAGE, t(w, N_("Choose a photo or a screenshot of the QR code")));
    if (w->form.nerrors || !read_picture(w, picture)) {
        page(w);
        return;
    }
    w->docs = ps_portal_docs(w->pg);
    if (w->docs)
        verify_qr(w);
}
