/* COSE_Sign1 (RFC 9052 section 4.2) with the protected header the verifier expects, and the
 * QR text wrapping: zlib at level 9, base45 (lib/verify's encoder), a prefix. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "documents/cbor_write.h"
#include "documents/cose_encode.h"
#include "pocketstate/verify.h"

#define TBS_MAX (1u << 20)

static enum ps_err protected_header(const struct ps_doc_signer *s, const char *typ,
                                    struct ps_buf *b)
{
    enum ps_err e;
    if ((e = ps_cbor_head(b, 5, typ ? 3 : 2)) != PS_OK || (e = ps_cbor_int(b, 1)) != PS_OK ||
        (e = ps_cbor_int(b, s->alg)) != PS_OK || (e = ps_cbor_int(b, 4)) != PS_OK ||
        (e = ps_cbor_bytes(b, s->kid, s->kid_len)) != PS_OK)
        return e;
    if (typ && ((e = ps_cbor_int(b, 16)) != PS_OK || (e = ps_cbor_cstr(b, typ)) != PS_OK))
        return e;
    return PS_OK;
}

enum ps_err ps_doc_sign1(const struct ps_doc_signer *s, const char *typ, const uint8_t *payload,
                         size_t len, struct ps_buf *out)
{
    struct ps_buf prot, tbs;
    ps_buf_init(&prot, 256);
    ps_buf_init(&tbs, TBS_MAX);
    uint8_t sig[PS_DOC_SIG_MAX];
    size_t sig_len = 0;
    enum ps_err e;
    if ((e = protected_header(s, typ, &prot)) != PS_OK ||
        (e = ps_cbor_head(&tbs, 4, 4)) != PS_OK || (e = ps_cbor_cstr(&tbs, "Signature1")) != PS_OK ||
        (e = ps_cbor_bytes(&tbs, prot.p, prot.len)) != PS_OK ||
        (e = ps_cbor_bytes(&tbs, "", 0)) != PS_OK || (e = ps_cbor_bytes(&tbs, payload, len)) != PS_OK)
        goto out;
    if ((e = s->sign(s->ctx, (const uint8_t *)tbs.p, tbs.len, sig, sizeof sig, &sig_len)) != PS_OK)
        goto out;
    if ((e = ps_cbor_head(out, 6, 18)) != PS_OK || (e = ps_cbor_head(out, 4, 4)) != PS_OK ||
        (e = ps_cbor_bytes(out, prot.p, prot.len)) != PS_OK || (e = ps_cbor_head(out, 5, 0)) != PS_OK ||
        (e = ps_cbor_bytes(out, payload, len)) != PS_OK)
        goto out;
    e = ps_cbor_bytes(out, sig, sig_len);
out:
    ps_buf_reset(&tbs);
    ps_buf_reset(&prot);
    return e;
}

enum ps_err ps_doc_deflate(const uint8_t *data, size_t len, struct ps_buf *out)
{
    uLongf cap = compressBound((uLong)len);
    uint8_t *z = malloc(cap);
    if (!z)
        return PS_ERR_NOMEM;
    enum ps_err e = compress2(z, &cap, data, (uLong)len, 9) == Z_OK ? ps_buf_append(out, z, cap)
                                                                    : PS_ERR_INTERNAL;
    free(z);
    return e;
}

enum ps_err ps_doc_qr_wrap(const char *prefix, const uint8_t *data, size_t len,
                           struct ps_buf *out)
{
    struct ps_buf z;
    ps_buf_init(&z, 2 * len + 64);
    enum ps_err e = ps_doc_deflate(data, len, &z);
    char *b45 = NULL;
    size_t n = 0, cap = psv_base45_encoded_len(z.len);
    if (e == PS_OK && !(b45 = malloc(cap ? cap : 1)))
        e = PS_ERR_NOMEM;
    if (e == PS_OK && psv_base45_encode((const uint8_t *)z.p, z.len, b45, cap, &n) != PSV_OK)
        e = PS_ERR_INTERNAL;
    if (e == PS_OK && (e = ps_buf_append_cstr(out, prefix)) == PS_OK)
        e = ps_buf_append(out, b45, n);
    free(b45);
    ps_buf_reset(&z);
    return e;
}
