/* The portal's documents pages without a server: the words they share (a document's status, a
 * claim's value, in both languages), the pages that need no store (the verify form and the
 * share link's page, which fills the form and escapes what the link says), a server started
 * without the documents service (a 503 page, not a crash), and the offline files at the root
 * (the manifest is JSON naming the embedded icon; the service worker is never cached long). */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "core/clock.h"
#include "policy/actor.h"
#include "portal/documents_int.h"

#include "portal_fake.h"

static struct ps_router *router;

/* A GET of path?query routed through the site's table (so that path parameters are set). */
static void fake_get(struct fake *f, const char *path, const char *query)
{
    size_t n;
    fake_init(f, path, query);
    if (!router) {
        const struct ps_route *site = ps_portal_site_routes(&n);
        cr_assert_eq(ps_router_new(site, n, &router, NULL), PS_OK);
    }
    cr_assert_eq(ps_router_match(router, f->req.method, f->req.path, &f->req, NULL),
                 PS_ROUTE_FOUND, "%s", path);
}

static char *text(struct ps_str s)
{
    static char out[256];
    cr_assert_eq(ps_str_copy(out, sizeof out, s), PS_OK);
    return out;
}

Test(words, status_and_claims_in_both_languages)
{
    static const struct {
        const char *query;
        const char *valid, *revoked, *date, *yes, *num;
    } langs[] = {
        {"lang=en", "Valid", "Revoked", "15 April 1994", "Yes", "12,345"},
        {"lang=uk", "Чинний", "Анульований", "15 квітня 1994", "Так", "12\xc2\xa0" "345"},
    };
    for (size_t l = 0; l < 2; l++) {
        struct fake f;
        bool bad;
        fake_get(&f, "/verify", langs[l].query);
        struct ps_page *pg = ps_page_new(&f.req, N_("Check a document"), "/verify");
        cr_assert_not_null(pg);
        int64_t now = ps_clock_now_ms();
        struct ps_document doc = {.status = PS_DOC_VALID, .expires_at_ms = now + 1000};
        cr_expect_str_eq(text(ps_portal_doc_status(pg, &doc, now, &bad)), langs[l].valid);
        cr_expect_not(bad);
        doc.expires_at_ms = now;
        ps_portal_doc_status(pg, &doc, now, &bad);
        cr_expect(bad, "expired is not in force");
        doc.status = PS_DOC_REVOKED;
        cr_expect_str_eq(text(ps_portal_doc_status(pg, &doc, now, &bad)), langs[l].revoked);
        cr_expect(bad);
        struct ps_doctype_claim date = {.name = "birth_date", .type = PS_CLAIM_DATE};
        struct ps_doc_claim c = {.type = PS_DOC_TEXT, .text = "1994-04-15"};
        cr_expect_str_eq(text(ps_portal_claim_text(pg, &date, &c)), langs[l].date);
        c.text = "not a date";
        cr_expect_str_eq(text(ps_portal_claim_text(pg, &date, &c)), "not a date");
        c = (struct ps_doc_claim){.type = PS_DOC_BOOL, .b = true};
        cr_expect_str_eq(text(ps_portal_claim_text(pg, NULL, &c)), langs[l].yes);
        c = (struct ps_doc_claim){.type = PS_DOC_INT, .i = 12345};
        cr_expect_str_eq(text(ps_portal_claim_text(pg, NULL, &c)), langs[l].num);
        c.i = -3;
        cr_expect_str_eq(text(ps_portal_claim_text(pg, NULL, &c)), "-3");
        c = (struct ps_doc_claim){.type = PS_DOC_BYTES, .bytes = (const uint8_t *)"x", .len = 1};
        cr_expect_str_eq(text(ps_portal_claim_text(pg, NULL, &c)), "—");
        struct ps_label lab = {"Прізвище", "Surname"};
        cr_expect_str_eq(text(ps_portal_label(pg, &lab)), l ? "Прізвище" : "Surname");
        fake_free(&f);
    }
}

Test(pages, verify_form_in_both_languages)
{
    struct fake f;
    fake_get(&f, "/verify", "");
    ps_portal_verify(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_not_null(strstr(f.req.out.p, "<h1>Перевірити документ</h1>"));
    cr_expect_not_null(strstr(f.req.out.p, "action=\"/verify\""));
    cr_expect_not_null(strstr(f.req.out.p, "id=\"code\""));
    cr_expect_not_null(strstr(f.req.out.p, "id=\"qr\""));
    cr_expect_null(strstr(f.req.out.p, "class=\"result"), "nothing checked yet");
    fake_free(&f);
    fake_get(&f, "/verify", "lang=en");
    ps_portal_verify(&f.req);
    cr_expect_not_null(strstr(f.req.out.p, "<h1>Check a document</h1>"));
    fake_free(&f);
}

Test(pages, share_link_fills_the_form_escaped_and_uses_nothing)
{
    struct fake f;
    fake_get(&f, "/verify/7K2M9QXD4HRTC8WN", "lang=en");
    ps_portal_verify_code(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_not_null(strstr(f.req.out.p, "value=\"7K2M9QXD4HRTC8WN\""), "%s", f.req.out.p);
    cr_expect_str_eq(header(&f.req, "Cache-Control"), "no-store");
    fake_free(&f);
    fake_get(&f, "/verify/%22%3E%3Cscript%3E", "lang=en");
    f.req.params[0] = PS_STR("\"><script>"); /* as the HTTP layer decodes it */
    ps_portal_verify_code(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_null(strstr(f.req.out.p, "<script>"));
    cr_expect_not_null(strstr(f.req.out.p, "value=\"&quot;&gt;&lt;script&gt;\""));
    fake_free(&f);
}

Test(pages, without_the_documents_service_a_503_page)
{
    struct fake f;
    fake_get(&f, "/me/documents", "lang=en");
    f.actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = PS_STR("3168918013")};
    cr_assert(ps_api_subject_set(&f.req, &f.actor, NULL, NULL));
    ps_portal_documents(&f.req);
    cr_expect_eq(f.req.status, 503);
    cr_expect_not_null(strstr(f.req.out.p, "Documents are not available"));
    fake_free(&f);
}

Test(offline, manifest_and_service_worker_at_the_root)
{
    struct fake f;
    fake_get(&f, "/manifest.webmanifest", "");
    ps_portal_manifest(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_str_eq(f.req.content_type, "application/manifest+json");
    json_error_t err;
    json_t *m = json_loadb(f.req.out.p, f.req.out.len, 0, &err);
    cr_assert_not_null(m, "%s", err.text);
    cr_expect_str_eq(json_string_value(json_object_get(m, "start_url")), "/me/documents");
    cr_expect_str_eq(json_string_value(json_object_get(m, "scope")), "/");
    json_t *icon = json_array_get(json_object_get(m, "icons"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(icon, "src")),
                     ps_asset_by_name("icon.svg")->url);
    json_decref(m);
    fake_free(&f);
    fake_get(&f, "/sw.js", "");
    ps_portal_service_worker(&f.req);
    cr_assert_eq(f.req.status, 200);
    cr_expect_str_eq(f.req.content_type, "text/javascript; charset=utf-8");
    cr_expect_str_eq(header(&f.req, "Cache-Control"), "no-cache");
    cr_expect_not_null(strstr(f.req.out.p, "addEventListener('fetch'"));
    fake_free(&f);
    /* the scripts the offline page loads are embedded */
    cr_expect_not_null(ps_asset_by_name("ps1-holder.js"));
    cr_expect_not_null(ps_asset_by_name("qrcode.js"));
    cr_expect_not_null(ps_asset_by_name("documents.js"));
}

/* ---- multipart/form-data (the verify page's picture) ---- */

#include "portal/multipart.h"

#define CT "multipart/form-data; boundary=----b0undary"

Test(multipart, parts_as_browsers_send_them)
{
    static const char body[] =
        "------b0undary\r\n"
        "Content-Disposition: form-data; name=\"image\"; filename=\"qr%22.png\"\r\n"
        "Content-Type: image/png\r\n"
        "\r\n"
        "\x89PNG\r\n--not-the-boundary\r\n"
        "------b0undary\r\n"
        "content-disposition: FORM-DATA; name=check\r\n"
        "\r\n"
        "qr\r\n"
        "------b0undary--\r\n";
    struct ps_multipart_part parts[4];
    size_t n = 0;
    struct ps_diag d = {0};
    cr_assert_eq(ps_multipart_parse(PS_STR(CT), (struct ps_str){body, sizeof body - 1}, parts, 4,
                                    &n, &d), PS_OK, "%s", d.message);
    cr_assert_eq(n, 2);
    cr_expect(ps_str_eq_cstr(parts[0].name, "image"));
    cr_expect(ps_str_eq_cstr(parts[0].filename, "qr%22.png"), "as sent: nothing decoded");
    cr_expect(ps_str_eq_cstr(parts[0].content_type, "image/png"));
    cr_expect(ps_str_eq_cstr(parts[0].data, "\x89PNG\r\n--not-the-boundary"));
    cr_expect(ps_str_eq_cstr(parts[1].name, "check"));
    cr_expect_null(parts[1].filename.p);
    cr_expect(ps_str_eq_cstr(parts[1].data, "qr"));
    /* a preamble, a quoted boundary, an empty content */
    static const char pre[] = "ignored\r\n--a b\r\nContent-Disposition: form-data; name=\"x\"\r\n"
                              "\r\n\r\n--a b--";
    cr_assert_eq(ps_multipart_parse(PS_STR("Multipart/Form-Data; charset=x; boundary=\"a b\""),
                                    (struct ps_str){pre, sizeof pre - 1}, parts, 4, &n, &d),
                 PS_OK, "%s", d.message);
    cr_expect_eq(n, 1);
    cr_expect_eq(parts[0].data.len, 0);
}

Test(multipart, refusals_are_precise)
{
    static const struct {
        const char *ctype, *body;
        enum ps_err e;
    } bad[] = {
        {"application/x-www-form-urlencoded", "a=1", PS_ERR_INVALID},
        {"multipart/form-datax; boundary=b", "--b--", PS_ERR_INVALID},
        {"multipart/form-data", "--b--", PS_ERR_INVALID},
        {"multipart/form-data; boundary=", "----", PS_ERR_INVALID},
        {"multipart/form-data; boundary=\"b", "--b--", PS_ERR_INVALID},
        {CT, "no delimiter at all", PS_ERR_INVALID},
        {CT, "------b0undary\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nno end",
         PS_ERR_INVALID},
        {CT, "------b0undary\r\nContent-Disposition: attachment; name=\"x\"\r\n\r\n1\r\n"
             "------b0undary--", PS_ERR_INVALID},
        {CT, "------b0undary\r\nContent-Disposition: form-data\r\n\r\n1\r\n------b0undary--",
         PS_ERR_INVALID},
        {CT, "------b0undary\r\nno colon\r\n\r\n1\r\n------b0undary--", PS_ERR_INVALID},
        {CT, "------b0undaryX\r\n", PS_ERR_INVALID},
        {CT, "------b0undary\r\nContent-Disposition: form-data; name=a\r\n\r\n1\r\n"
             "------b0undary\r\nContent-Disposition: form-data; name=b\r\n\r\n2\r\n"
             "------b0undary\r\nContent-Disposition: form-data; name=c\r\n\r\n3\r\n"
             "------b0undary--", PS_ERR_LIMIT},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ps_multipart_part parts[2];
        size_t n = 0;
        struct ps_diag d = {0};
        cr_expect_eq(ps_multipart_parse(ps_str_from_cstr(bad[i].ctype),
                                        ps_str_from_cstr(bad[i].body), parts, 2, &n, &d),
                     bad[i].e, "case %zu", i);
        cr_expect_eq(d.code, bad[i].e, "case %zu: %s", i, d.message);
    }
    /* a boundary of 71 characters; a header line over the limit */
    char ct[128], body[PS_MULTIPART_HEADER_MAX + 200];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%071d", 0);
    struct ps_multipart_part parts[2];
    size_t n;
    struct ps_diag d = {0};
    cr_expect_eq(ps_multipart_parse(ps_str_from_cstr(ct), PS_STR("--x--"), parts, 2, &n, &d),
                 PS_ERR_INVALID);
    int len = snprintf(body, sizeof body, "------b0undary\r\nX-Long: %0*d\r\n\r\n1\r\n------b0undary--",
                       PS_MULTIPART_HEADER_MAX, 0);
    cr_assert_lt((size_t)len, sizeof body);
    cr_expect_eq(ps_multipart_parse(PS_STR(CT), ps_str_from_cstr(body), parts, 2, &n, &d),
                 PS_ERR_LIMIT);
}
