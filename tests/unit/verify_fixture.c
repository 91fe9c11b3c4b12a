/* The verifier tests' platform: keys, trust list, wrap/unwrap helpers (see the header). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "documents/cose_encode.h"
#include "documents/trustlist_encode.h"
#include "verify_fixture.h"

const struct ps_doc_claim FIX_CLAIMS[4] = {
    {.name = "family_name", .type = PS_DOC_TEXT, .text = "Шевченко"},
    {.name = "given_name", .type = PS_DOC_TEXT, .text = "Тарас"},
    {.name = "birth_year", .type = PS_DOC_INT, .i = 1990},
    {.name = "over_18", .type = PS_DOC_BOOL, .b = true},
};

struct ps_doc_header fixture_header(void)
{
    return (struct ps_doc_header){.iss = "ua.mvs", .type = "ua.id-card",
                                  .cti = (const uint8_t *)"doc-1", .cti_len = 5,
                                  .iat = FIX_NOW - 86400, .exp = FIX_NOW + 365 * 86400};
}

static struct ps_doc_soft_key *key(int alg, const char *kid, struct ps_doc_signer *s)
{
    struct ps_doc_soft_key *k = ps_doc_soft_key_new(alg);
    NEED(k);
    ps_doc_soft_key_signer(k, (const uint8_t *)kid, strlen(kid), s);
    return k;
}

void fixture_init(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    f->root = key(-8, "root", &f->root_s);
    f->es = key(-7, "es-1", &f->es_s);
    f->ed = key(-8, "ed-1", &f->ed_s);
    f->holder = key(-7, "holder", &f->holder_s);
    f->other_holder = key(-7, "holder", &f->other_holder_s);
    struct ps_buf es_jwk, ed_jwk, es_cert;
    ps_buf_init(&f->root_jwk, 4096);
    ps_buf_init(&es_jwk, 4096);
    ps_buf_init(&ed_jwk, 4096);
    ps_buf_init(&es_cert, 8192);
    ps_buf_init(&f->trust_json, 1 << 20);
    NEED(ps_doc_soft_key_jwk(f->root, &f->root_jwk) == PS_OK);
    NEED(ps_doc_soft_key_jwk(f->es, &es_jwk) == PS_OK);
    NEED(ps_doc_soft_key_jwk(f->ed, &ed_jwk) == PS_OK);
    NEED(ps_doc_soft_key_cert(f->es, "ua.mvs es-1", FIX_NOW - 400 * 86400, FIX_NOW + 800 * 86400,
                              &es_cert) == PS_OK);
    static const char *const es_types[] = {"ua.id-card", "ua.passport"};
    static const char *const ed_types[] = {"ua.driving-licence"};
    struct ps_doc_tl_key keys[] = {
        {.issuer = "ua.mvs", .name = "Ministry of Internal Affairs", .kid = (const uint8_t *)"es-1",
         .kid_len = 4, .alg = -7, .jwk = es_jwk.p, .cert = (const uint8_t *)es_cert.p,
         .cert_len = es_cert.len, .types = es_types, .ntypes = 2,
         .uses = PS_DOC_USE_DOCUMENTS | PS_DOC_USE_STATUS, .nbf = FIX_NOW - 400 * 86400,
         .exp = FIX_NOW + 30 * 86400},
        {.issuer = "ua.hsc", .kid = (const uint8_t *)"ed-1", .kid_len = 4, .alg = -8,
         .jwk = ed_jwk.p, .types = ed_types, .ntypes = 1},
    };
    struct ps_doc_tl tl = {.iat = FIX_NOW - 3600, .exp = FIX_NOW + 7 * 86400, .keys = keys,
                           .nkeys = 2};
    NEED(ps_doc_trust_list_encode(&tl, &f->root_s, f->root_jwk.p, &f->trust_json) == PS_OK);
    f->trust = psv_trust_new();
    struct psv_root root = {f->root_jwk.p, f->root_jwk.len};
    struct psv_diag d = {0};
    if (psv_trust_load_list(f->trust, f->trust_json.p, f->trust_json.len, &root, FIX_NOW, &d) !=
        PSV_OK) {
        fprintf(stderr, "trust list: %s\n", d.message);
        abort();
    }
    ps_buf_reset(&es_jwk);
    ps_buf_reset(&ed_jwk);
    ps_buf_reset(&es_cert);
}

void fixture_free(struct fixture *f)
{
    psv_trust_free(f->trust);
    ps_buf_reset(&f->root_jwk);
    ps_buf_reset(&f->trust_json);
    ps_doc_soft_key_free(f->root);
    ps_doc_soft_key_free(f->es);
    ps_doc_soft_key_free(f->ed);
    ps_doc_soft_key_free(f->holder);
    ps_doc_soft_key_free(f->other_holder);
}

struct fixture *fixture_shared(void)
{
    static struct fixture f;
    static bool made;
    if (!made) {
        fixture_init(&f);
        made = true;
    }
    return &f;
}

void fixture_unwrap(const char *qr, struct ps_buf *out)
{
    size_t n = strlen(qr) - 4, len = 0;
    uint8_t *z = malloc(n);
    NEED(z && psv_base45_decode(qr + 4, n, z, n, &len) == PSV_OK);
    uLongf cap = 1 << 20;
    uint8_t *raw = malloc(cap);
    NEED(raw && uncompress(raw, &cap, z, (uLong)len) == Z_OK);
    ps_buf_reset(out);
    ps_buf_init(out, 1 << 20);
    NEED(ps_buf_append(out, raw, cap) == PS_OK);
    free(raw);
    free(z);
}

void fixture_wrap(const char *prefix, const void *raw, size_t n, struct ps_buf *out)
{
    ps_buf_reset(out);
    ps_buf_init(out, 1 << 22);
    NEED(ps_doc_qr_wrap(prefix, raw, n, out) == PS_OK);
}
