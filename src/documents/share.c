/* Sharing a document as Diia does: a single-use code (typed, or in a link shown as a QR)
 * that lets one verifier see the claims the holder chose, for 3 minutes. The code is the
 * registries' (registries/share.h); the resource names the document and the claims. */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "documents/docs_int.h"
#include "policy/actor.h"
#include "tlog/access.h"

#define CLAIMS_PARAM "?claims="

/* "documents/<id>?claims=a,b" for the claims in mask. */
static enum ps_err resource_of(const struct ps_document *doc, ps_claim_mask mask, char *out,
                               size_t cap, size_t *len, struct ps_diag *diag)
{
    int n = snprintf(out, cap, "documents/%s" CLAIMS_PARAM, doc->id);
    size_t used = n > 0 ? (size_t)n : cap;
    const char *sep = "";
    for (size_t i = 0; i < doc->type->nclaims && used < cap; i++) {
        if (!(mask & ((ps_claim_mask)1 << i)))
            continue;
        n = snprintf(out + used, cap - used, "%s%s", sep, doc->type->claims[i].name);
        used = n < 0 ? cap : used + (size_t)n;
        sep = ",";
    }
    if (used >= cap)
        return ps_diag_set(diag, PS_ERR_LIMIT,
                           "too many claims to share at once; share fewer or all");
    *len = used;
    return PS_OK;
}

enum ps_err ps_docs_share_create(struct ps_tx *tx, const struct ps_docs *d,
                                 const struct ps_actor *actor, struct ps_str id,
                                 ps_claim_mask mask, int64_t ttl_ms, struct ps_share_code *out,
                                 struct ps_diag *diag)
{
    struct ps_document doc;
    struct ps_arena *a = ps_arena_new(64u << 10);
    enum ps_err e = a ? ps_docs_find(tx, d, id, a, &doc, diag) : PS_ERR_NOMEM;
    bool mine = e == PS_OK && actor && actor->kind == PS_ACTOR_CITIZEN &&
                ps_str_eq(actor->id, doc.holder) && doc.status != PS_DOC_REVOKED && doc.type;
    if (e == PS_OK && !mine)
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "no document %s in force", doc.id);
    if (e == PS_OK && doc.expires_at_ms <= ps_clock_now_ms())
        e = ps_diag_set(diag, PS_ERR_INVALID, "document %s has expired", doc.id);
    if (e == PS_OK && mask == 0)
        e = ps_diag_set(diag, PS_ERR_INVALID, "choose at least one claim to share");
    char res[PS_ACCESS_RESOURCE_MAX + 1];
    size_t len = 0;
    if (e == PS_OK)
        e = resource_of(&doc, mask, res, sizeof res, &len, diag);
    if (e == PS_OK)
        e = ps_share_create_document(tx, actor, (struct ps_str){res, len}, ttl_ms, out, diag);
    ps_arena_free(a);
    return e;
}

/* The document id and the claims of a shared resource. */
static enum ps_err parse_resource(const struct ps_docs *d, const char *res, struct ps_str *id,
                                  struct ps_str *claims, struct ps_diag *diag)
{
    static const char prefix[] = "documents/";
    const char *q = strstr(res, CLAIMS_PARAM);
    if (strncmp(res, prefix, sizeof prefix - 1) != 0 || !q)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "this share code is not for a document");
    (void)d;
    *id = (struct ps_str){res + sizeof prefix - 1, (size_t)(q - res) - (sizeof prefix - 1)};
    *claims = ps_str_from_cstr(q + sizeof CLAIMS_PARAM - 1);
    return PS_OK;
}

/* Refusals of ps_share_take: said before anything is written. */
static bool refusal(enum ps_err e)
{
    return e == PS_ERR_NOTFOUND || e == PS_ERR_EXISTS || e == PS_ERR_LIMIT ||
           e == PS_ERR_INVALID || e == PS_ERR_DENIED;
}

enum ps_err ps_docs_share_redeem(struct ps_tx *tx, const struct ps_docs *d,
                                 const struct ps_actor *verifier, struct ps_str code,
                                 struct ps_str purpose, bool public, struct ps_arena *arena,
                                 struct ps_doc_source *out, ps_claim_mask *mask,
                                 struct ps_diag *refused, struct ps_diag *diag)
{
    PS_ASSERT(refused != NULL && refused != diag);
    ps_diag_clear(refused);
    struct ps_share_grant g;
    struct ps_str id, claims;
    struct ps_document doc;
    enum ps_err e = ps_share_take(tx, verifier, code, purpose, &g, refused);
    if (e != PS_OK && refusal(e))
        return PS_OK; /* nothing was written: the refusal is the answer */
    if (e != PS_OK) {
        *diag = *refused;
        ps_diag_clear(refused);
        return e;
    }
    e = parse_resource(d, g.resource, &id, &claims, diag);
    if (e == PS_OK)
        e = ps_docs_find(tx, d, id, arena, &doc, diag);
    if (e == PS_OK)
        e = ps_docs_source_of(tx, d, &doc, arena, out, diag);
    if (e == PS_OK)
        e = ps_docs_parse_claims(doc.type, claims, mask, diag);
    if (e == PS_OK && public)
        *mask &= ps_docs_default_claims(doc.type);
    if (e == PS_OK) /* the redemption and the read it allows: one record */
        e = ps_access_record(tx, verifier, "document.share.redeem", doc.holder,
                             ps_str_from_cstr(g.resource), purpose, diag);
    return e;
}
