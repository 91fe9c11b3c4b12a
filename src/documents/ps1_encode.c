/* PS1 encoding (docs/formats/ps1.md): credential with salted digests and cnf, server-made
 * presentation, offline holder presentation. Every length is checked against the limits
 * the verifier enforces, so what is issued here always fits what libpsverify accepts. */
#include <openssl/sha.h>
#include <string.h>

#include "core/clock.h"
#include "documents/cbor_write.h"
#include "documents/cose_encode.h"
#include "documents/ps1_encode.h"

#define CBOR_MAX (48u * 1024)
#define QR_MAX 8192u

void ps_doc_credential_reset(struct ps_doc_credential *c)
{
    ps_buf_reset(&c->cose);
    ps_buf_reset(&c->disc);
    c->n = 0;
}

enum ps_err ps_doc_claim_value(struct ps_buf *b, const struct ps_doc_claim *c)
{
    switch (c->type) {
    case PS_DOC_TEXT: return ps_cbor_cstr(b, c->text ? c->text : "");
    case PS_DOC_INT: return ps_cbor_int(b, c->i);
    case PS_DOC_BOOL: return ps_cbor_bool(b, c->b);
    case PS_DOC_BYTES: return ps_cbor_bytes(b, c->bytes, c->len);
    }
    return PS_ERR_INVALID;
}

static bool header_ok(const struct ps_doc_header *h, size_t n, const struct ps_doc_claim *c)
{
    if (!h->iss || !*h->iss || strlen(h->iss) > 256 || !h->type || !*h->type ||
        strlen(h->type) > 128 || !h->cti || h->cti_len == 0 || h->cti_len > 64 ||
        n > PS_DOC_MAX_CLAIMS || (h->status_uri && strlen(h->status_uri) > 512))
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t l = c[i].name ? strlen(c[i].name) : 0;
        if (l == 0 || l > 64)
            return false;
        for (size_t j = 0; j < i; j++)
            if (strcmp(c[i].name, c[j].name) == 0)
                return false;
    }
    return true;
}

/* Claims common to both shapes: 1 iss, 6 iat, [5 nbf], 4 exp, 7 cti, "type", [65535]. The
 * caller has written the map head with the right count. */
static enum ps_err common_claims(struct ps_buf *b, const struct ps_doc_header *h, int64_t iat,
                                 int64_t exp)
{
    enum ps_err e;
    if ((e = ps_cbor_int(b, 1)) != PS_OK || (e = ps_cbor_cstr(b, h->iss)) != PS_OK ||
        (e = ps_cbor_int(b, 6)) != PS_OK || (e = ps_cbor_int(b, iat)) != PS_OK ||
        (e = ps_cbor_int(b, 4)) != PS_OK || (e = ps_cbor_int(b, exp)) != PS_OK ||
        (e = ps_cbor_int(b, 7)) != PS_OK || (e = ps_cbor_bytes(b, h->cti, h->cti_len)) != PS_OK ||
        (e = ps_cbor_cstr(b, "type")) != PS_OK || (e = ps_cbor_cstr(b, h->type)) != PS_OK)
        return e;
    if (!h->status_uri)
        return PS_OK;
    if ((e = ps_cbor_int(b, 65535)) != PS_OK || (e = ps_cbor_head(b, 5, 1)) != PS_OK ||
        (e = ps_cbor_cstr(b, "status_list")) != PS_OK || (e = ps_cbor_head(b, 5, 2)) != PS_OK ||
        (e = ps_cbor_cstr(b, "idx")) != PS_OK || (e = ps_cbor_head(b, 0, h->status_idx)) != PS_OK ||
        (e = ps_cbor_cstr(b, "uri")) != PS_OK)
        return e;
    return ps_cbor_cstr(b, h->status_uri);
}

static size_t common_count(const struct ps_doc_header *h) { return h->status_uri ? 6 : 5; }

/* Disclosure i: CBOR [salt, name, value]. */
static enum ps_err disclosure(struct ps_buf *b, const struct ps_doc_claim *c, ps_doc_rand_fn rand)
{
    uint8_t salt[PS_DOC_SALT_LEN];
    rand(salt, sizeof salt);
    enum ps_err e;
    if ((e = ps_cbor_head(b, 4, 3)) != PS_OK || (e = ps_cbor_bytes(b, salt, sizeof salt)) != PS_OK ||
        (e = ps_cbor_cstr(b, c->name)) != PS_OK)
        return e;
    return ps_doc_claim_value(b, c);
}

static enum ps_err cnf_claim(struct ps_buf *b, const uint8_t x[32], const uint8_t y[32])
{
    enum ps_err e;
    if ((e = ps_cbor_int(b, 8)) != PS_OK || (e = ps_cbor_head(b, 5, 1)) != PS_OK ||
        (e = ps_cbor_int(b, 1)) != PS_OK || (e = ps_cbor_head(b, 5, 4)) != PS_OK ||
        (e = ps_cbor_int(b, 1)) != PS_OK || (e = ps_cbor_int(b, 2)) != PS_OK || /* kty EC2 */
        (e = ps_cbor_int(b, -1)) != PS_OK || (e = ps_cbor_int(b, 1)) != PS_OK || /* crv P-256 */
        (e = ps_cbor_int(b, -2)) != PS_OK || (e = ps_cbor_bytes(b, x, 32)) != PS_OK ||
        (e = ps_cbor_int(b, -3)) != PS_OK)
        return e;
    return ps_cbor_bytes(b, y, 32);
}

enum ps_err ps_doc_ps1_credential(const struct ps_doc_header *h, const struct ps_doc_claim *claims,
                                  size_t n, const uint8_t holder_x[32],
                                  const uint8_t holder_y[32], const struct ps_doc_signer *issuer,
                                  ps_doc_rand_fn rand, struct ps_doc_credential *out)
{
    ps_buf_init(&out->cose, CBOR_MAX);
    ps_buf_init(&out->disc, CBOR_MAX);
    out->n = 0;
    if (!header_ok(h, n, claims) || h->exp <= h->iat || h->iat < 0)
        return PS_ERR_INVALID;
    struct ps_buf pl;
    ps_buf_init(&pl, CBOR_MAX);
    enum ps_err e = ps_cbor_head(&pl, 5, common_count(h) + (h->nbf ? 3 : 2));
    if (e == PS_OK && h->nbf && (e = ps_cbor_int(&pl, 5)) == PS_OK)
        e = ps_cbor_int(&pl, h->nbf);
    if (e == PS_OK && (e = common_claims(&pl, h, h->iat, h->exp)) == PS_OK &&
        (e = cnf_claim(&pl, holder_x, holder_y)) == PS_OK &&
        (e = ps_cbor_cstr(&pl, "sd")) == PS_OK)
        e = ps_cbor_head(&pl, 4, n);
    for (size_t i = 0; e == PS_OK && i < n; i++) {
        out->off[i] = out->disc.len;
        if ((e = disclosure(&out->disc, &claims[i], rand ? rand : ps_random_bytes)) != PS_OK)
            break;
        uint8_t digest[32];
        SHA256((const uint8_t *)out->disc.p + out->off[i], out->disc.len - out->off[i], digest);
        e = ps_cbor_bytes(&pl, digest, sizeof digest);
    }
    out->off[n] = out->disc.len;
    out->n = n;
    if (e == PS_OK)
        e = ps_doc_sign1(issuer, NULL, (const uint8_t *)pl.p, pl.len, &out->cose);
    ps_buf_reset(&pl);
    return e;
}

enum ps_err ps_doc_ps1_present(const struct ps_doc_header *h, const struct ps_doc_claim *claims,
                               size_t n, int64_t now, const struct ps_doc_signer *issuer,
                               struct ps_buf *out)
{
    if (!header_ok(h, n, claims) || now < 0)
        return PS_ERR_INVALID;
    struct ps_buf pl, cose;
    ps_buf_init(&pl, CBOR_MAX);
    ps_buf_init(&cose, CBOR_MAX);
    enum ps_err e = ps_cbor_head(&pl, 5, common_count(h) + 1);
    if (e == PS_OK && (e = common_claims(&pl, h, now, now + PS_DOC_PRESENTATION_LIFETIME)) == PS_OK &&
        (e = ps_cbor_cstr(&pl, "claims")) == PS_OK)
        e = ps_cbor_head(&pl, 5, n);
    for (size_t i = 0; e == PS_OK && i < n; i++)
        if ((e = ps_cbor_cstr(&pl, claims[i].name)) == PS_OK)
            e = ps_doc_claim_value(&pl, &claims[i]);
    if (e == PS_OK && (e = ps_doc_sign1(issuer, NULL, (const uint8_t *)pl.p, pl.len, &cose)) == PS_OK)
        e = ps_doc_qr_wrap("PS1:", (const uint8_t *)cose.p, cose.len, out);
    ps_buf_reset(&cose);
    ps_buf_reset(&pl);
    return e;
}

enum ps_err ps_doc_ps1_present_holder(const struct ps_doc_credential *c, const size_t *pick,
                                      size_t npick, int64_t now,
                                      const struct ps_doc_signer *holder, struct ps_buf *out)
{
    if (npick > c->n || holder->alg != -7 || now < 0)
        return PS_ERR_INVALID;
    uint8_t ch[32];
    SHA256((const uint8_t *)c->cose.p, c->cose.len, ch);
    struct ps_buf hp, top;
    ps_buf_init(&hp, 256);
    ps_buf_init(&top, CBOR_MAX);
    enum ps_err e;
    if ((e = ps_cbor_head(&hp, 5, 3)) != PS_OK || (e = ps_cbor_int(&hp, 6)) != PS_OK ||
        (e = ps_cbor_int(&hp, now)) != PS_OK || (e = ps_cbor_int(&hp, 4)) != PS_OK ||
        (e = ps_cbor_int(&hp, now + PS_DOC_PRESENTATION_LIFETIME)) != PS_OK ||
        (e = ps_cbor_cstr(&hp, "ch")) != PS_OK || (e = ps_cbor_bytes(&hp, ch, 32)) != PS_OK)
        goto out;
    if ((e = ps_cbor_head(&top, 5, 3)) != PS_OK || (e = ps_cbor_cstr(&top, "c")) != PS_OK ||
        (e = ps_cbor_bytes(&top, c->cose.p, c->cose.len)) != PS_OK ||
        (e = ps_cbor_cstr(&top, "d")) != PS_OK || (e = ps_cbor_head(&top, 4, npick)) != PS_OK)
        goto out;
    for (size_t i = 0; i < npick; i++) {
        if (pick[i] >= c->n) {
            e = PS_ERR_INVALID;
            goto out;
        }
        size_t a = c->off[pick[i]], b = c->off[pick[i] + 1];
        if ((e = ps_cbor_bytes(&top, c->disc.p + a, b - a)) != PS_OK)
            goto out;
    }
    if ((e = ps_cbor_cstr(&top, "h")) != PS_OK ||
        (e = ps_doc_sign1(holder, NULL, (const uint8_t *)hp.p, hp.len, &top)) != PS_OK)
        goto out;
    e = ps_doc_qr_wrap("PS1:", (const uint8_t *)top.p, top.len, out);
out:
    ps_buf_reset(&top);
    ps_buf_reset(&hp);
    return e;
}
