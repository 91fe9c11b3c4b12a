/* Content-Digest on the structured-field parser: a Dictionary whose sha-256 / sha-512 members
 * are Byte Sequences of the digest of the content. */
#include "identity/digest.h"

#include <sodium.h>

#include "identity/sfv.h"

struct alg_info {
    enum ps_digest_alg alg;
    const char *key;
    size_t len;
};

static const struct alg_info algs_known[] = {
    {PS_DIGEST_SHA256, "sha-256", crypto_hash_sha256_BYTES},
    {PS_DIGEST_SHA512, "sha-512", crypto_hash_sha512_BYTES},
};

static void hash(enum ps_digest_alg alg, const void *p, size_t n, unsigned char *out)
{
    if (alg == PS_DIGEST_SHA256)
        crypto_hash_sha256(out, p, n);
    else
        crypto_hash_sha512(out, p, n);
}

/* Checks one known member; *matched gets its bit when it matches. */
static enum ps_err check_member(const struct ps_sfv_member *m, const struct alg_info *ai,
                                struct ps_str content, unsigned *matched,
                                struct ps_id_diag *diag)
{
    if (m->value.bare.type != PS_SFV_BYTES)
        return ps_id_fail(diag, PS_ID_DG_MALFORMED, "Content-Digest %s is not a byte sequence",
                          ai->key);
    if (m->value.bare.b.len != ai->len)
        return ps_id_fail(diag, PS_ID_DG_MALFORMED, "Content-Digest %s has %zu bytes, not %zu",
                          ai->key, m->value.bare.b.len, ai->len);
    unsigned char d[crypto_hash_sha512_BYTES];
    hash(ai->alg, content.p ? content.p : "", content.len, d);
    if (sodium_memcmp(d, m->value.bare.b.p, ai->len) != 0)
        return ps_id_fail(diag, PS_ID_DG_MISMATCH, "Content-Digest %s does not match the content",
                          ai->key);
    *matched |= (unsigned)ai->alg;
    return PS_OK;
}

enum ps_err ps_digest_verify(struct ps_arena *a, struct ps_str field, struct ps_str content,
                             unsigned *algs, struct ps_id_diag *diag)
{
    unsigned matched = 0;
    if (algs)
        *algs = 0;
    if (!field.p)
        return ps_id_fail(diag, PS_ID_DG_MISSING, "no Content-Digest field");
    struct ps_sfv_field d;
    struct ps_sfv_limits lim = {.max_bytes = PS_DIGEST_FIELD_MAX, .max_members = 16};
    struct ps_diag sd = {0};
    enum ps_err e = ps_sfv_parse_dict(a, field, &lim, &d, &sd);
    if (e == PS_ERR_NOMEM)
        return ps_id_fail(diag, PS_ID_INTERNAL, "out of memory");
    if (e != PS_OK || d.dups)
        return ps_id_fail(diag, PS_ID_DG_MALFORMED, "Content-Digest: %s",
                          e != PS_OK ? sd.message : "repeated algorithm");
    for (size_t i = 0; i < sizeof algs_known / sizeof algs_known[0]; i++) {
        const struct ps_sfv_member *m = ps_sfv_dict_get(&d, ps_str_from_cstr(algs_known[i].key));
        if (m && (e = check_member(m, &algs_known[i], content, &matched, diag)) != PS_OK)
            return e;
    }
    if (!matched)
        return ps_id_fail(diag, PS_ID_DG_UNSUPPORTED,
                          "Content-Digest carries neither sha-256 nor sha-512");
    if (algs)
        *algs = matched;
    ps_id_diag_clear(diag);
    return PS_OK;
}

enum ps_err ps_digest_format(struct ps_buf *b, enum ps_digest_alg alg, const void *content,
                             size_t n)
{
    for (size_t i = 0; i < sizeof algs_known / sizeof algs_known[0]; i++) {
        if (algs_known[i].alg != alg)
            continue;
        unsigned char d[crypto_hash_sha512_BYTES];
        hash(alg, n ? content : "", n, d);
        enum ps_err e = ps_buf_printf(b, "%s=:", algs_known[i].key);
        if (e == PS_OK)
            e = ps_b64_append(b, d, algs_known[i].len, 0);
        return e == PS_OK ? ps_buf_append(b, ":", 1) : e;
    }
    return PS_ERR_INVALID;
}
