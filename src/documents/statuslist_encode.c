/* Status List Token in CWT form: bits packed least significant first within each byte
 * (index i at bit (i * bits) % 8 of byte i * bits / 8), zlib at level 9, claims 1 iss, 2 sub,
 * 6 iat, [4 exp], [65534 ttl], 65533 {"bits", "lst"}. */
#include <stdlib.h>
#include <string.h>

#include "documents/cbor_write.h"
#include "documents/cose_encode.h"
#include "documents/statuslist_encode.h"

#define SL_MAX (64u << 20)

static enum ps_err pack(const struct ps_doc_status_list *sl, struct ps_buf *z)
{
    size_t bytes = (sl->n * sl->bits + 7) / 8;
    uint8_t *raw = calloc(bytes ? bytes : 1, 1);
    if (!raw)
        return PS_ERR_NOMEM;
    enum ps_err e = PS_OK;
    for (size_t i = 0; i < sl->n; i++) {
        if (sl->values[i] >> sl->bits) {
            e = PS_ERR_INVALID;
            break;
        }
        size_t bit = i * sl->bits;
        raw[bit / 8] |= (uint8_t)(sl->values[i] << (bit % 8));
    }
    if (e == PS_OK)
        e = ps_doc_deflate(raw, bytes, z);
    free(raw);
    return e;
}

enum ps_err ps_doc_status_list_encode(const struct ps_doc_status_list *sl,
                                      const struct ps_doc_signer *s, struct ps_buf *out)
{
    if ((sl->bits != 1 && sl->bits != 2 && sl->bits != 4 && sl->bits != 8) || !sl->iss ||
        !sl->uri || sl->n > SIZE_MAX / 8)
        return PS_ERR_INVALID;
    struct ps_buf z, pl;
    ps_buf_init(&z, SL_MAX);
    ps_buf_init(&pl, SL_MAX);
    enum ps_err e = pack(sl, &z);
    size_t count = 4 + (sl->exp ? 1 : 0) + (sl->ttl ? 1 : 0);
    if (e == PS_OK && (e = ps_cbor_head(&pl, 5, count)) == PS_OK &&
        (e = ps_cbor_int(&pl, 1)) == PS_OK && (e = ps_cbor_cstr(&pl, sl->iss)) == PS_OK &&
        (e = ps_cbor_int(&pl, 2)) == PS_OK && (e = ps_cbor_cstr(&pl, sl->uri)) == PS_OK &&
        (e = ps_cbor_int(&pl, 6)) == PS_OK && (e = ps_cbor_int(&pl, sl->iat)) == PS_OK) {
        if (sl->exp && (e = ps_cbor_int(&pl, 4)) == PS_OK)
            e = ps_cbor_int(&pl, sl->exp);
        if (e == PS_OK && sl->ttl && (e = ps_cbor_int(&pl, 65534)) == PS_OK)
            e = ps_cbor_int(&pl, sl->ttl);
    }
    if (e == PS_OK && (e = ps_cbor_int(&pl, 65533)) == PS_OK &&
        (e = ps_cbor_head(&pl, 5, 2)) == PS_OK && (e = ps_cbor_cstr(&pl, "bits")) == PS_OK &&
        (e = ps_cbor_int(&pl, sl->bits)) == PS_OK && (e = ps_cbor_cstr(&pl, "lst")) == PS_OK &&
        (e = ps_cbor_bytes(&pl, z.p, z.len)) == PS_OK)
        e = ps_doc_sign1(s, "application/statuslist+cwt", (const uint8_t *)pl.p, pl.len, out);
    ps_buf_reset(&pl);
    ps_buf_reset(&z);
    return e;
}
