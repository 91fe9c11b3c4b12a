/* The signed lists verifiers fetch, built on change and cached: status list tokens
 * (draft-ietf-oauth-status-list, CWT form) per (list, revision), signed by the issuer's
 * current key; the trust list per keyring version, signed by the platform root. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "documents/docs_int.h"
#include "documents/statuslist_encode.h"

static struct status_cache *cached(struct ps_docs *d, int64_t id)
{
    for (size_t i = 0; i < d->nlists; i++) {
        if (d->lists[i].id == id)
            return &d->lists[i];
    }
    return NULL;
}

/* The cache entry for id (a free one, or the oldest reused). Under cache_lock. */
static struct status_cache *slot_for(struct ps_docs *d, int64_t id)
{
    struct status_cache *c = cached(d, id);
    if (c)
        return c;
    if (d->nlists < PS_DOCS_LIST_CACHE) {
        c = &d->lists[d->nlists++];
        ps_buf_init(&c->token, 1u << 20);
    } else {
        c = &d->lists[0];
        for (size_t i = 1; i < d->nlists; i++) {
            if (d->lists[i].built_s < c->built_s)
                c = &d->lists[i];
        }
    }
    c->id = id;
    c->revision = -1;
    return c;
}

static enum ps_err build(struct ps_docs *d, struct ps_status_read *t, struct status_cache *c,
                         struct ps_diag *diag)
{
    char uri[400], iss[48];
    int64_t now = ps_clock_now_ms() / 1000;
    struct ps_doc_signer signer;
    int n = snprintf(uri, sizeof uri, "%s/api/v1/status-lists/%lld", d->public_url,
                     (long long)t->id);
    enum ps_err e = n > 0 && (size_t)n < sizeof uri ? ps_issuer_iss(t->issuer, iss, sizeof iss)
                                                     : PS_ERR_LIMIT;
    if (e != PS_OK)
        return ps_diag_set(diag, e, "status list URI too long");
    struct ps_doc_status_list sl = {iss, uri, now, now + PS_STATUS_LIST_LIFETIME_S,
                                    PS_STATUS_LIST_TTL_S, (unsigned)t->bits, t->values,
                                    (size_t)t->capacity};
    pthread_rwlock_rdlock(&d->ring_lock);
    e = ps_keyring_signer(d->ring, t->issuer, NULL, now * 1000, &signer);
    c->token.len = 0;
    if (e == PS_OK)
        e = ps_doc_status_list_encode(&sl, &signer, &c->token);
    pthread_rwlock_unlock(&d->ring_lock);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "signing status list %lld: %s", (long long)t->id,
                           ps_err_name(e));
    c->revision = t->revision;
    c->built_s = now;
    snprintf(c->etag, sizeof c->etag, "\"sl-%lld-%lld-%lld\"", (long long)t->id,
             (long long)t->revision, (long long)now);
    return PS_OK;
}

enum ps_err ps_docs_status_list(struct ps_docs *d, int64_t id, struct ps_buf *out,
                                char etag[67], struct ps_diag *diag)
{
    struct ps_status_read t = {.id = id};
    enum ps_err e = ps_docs_status_read(d->store, &t);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "%s", t.diag.message);
    e = ps_docs_reload(d, false, diag);
    if (e != PS_OK)
        return e;
    int64_t now = ps_clock_now_ms() / 1000;
    pthread_mutex_lock(&d->cache_lock);
    struct status_cache *c = slot_for(d, id);
    if (c->revision != t.revision || now - c->built_s > PS_STATUS_LIST_LIFETIME_S / 2) {
        t.values = ps_malloc((size_t)t.capacity);
        e = t.values ? ps_docs_status_read(d->store, &t) : PS_ERR_NOMEM;
        if (e == PS_OK)
            e = build(d, &t, c, diag);
        else
            ps_diag_set(diag, e, "%s", t.diag.code ? t.diag.message : "out of memory");
        ps_free(t.values);
    }
    if (e == PS_OK)
        e = ps_buf_append(out, c->token.p, c->token.len);
    if (e == PS_OK)
        memcpy(etag, c->etag, sizeof c->etag);
    pthread_mutex_unlock(&d->cache_lock);
    return e;
}

/* ---- the trust list ---- */

enum ps_err ps_docs_trust_list(struct ps_docs *d, struct ps_buf *out, char etag[67],
                               struct ps_diag *diag)
{
    enum ps_err e = ps_docs_reload(d, true, diag);
    int64_t now = ps_clock_now_ms() / 1000;
    if (e != PS_OK)
        return e;
    pthread_mutex_lock(&d->cache_lock);
    pthread_rwlock_rdlock(&d->ring_lock);
    int64_t version = ps_keyring_version(d->ring);
    if (d->trust.len == 0 || d->trust_version != version ||
        now - d->trust_built_s > PS_TRUST_LIST_LIFETIME_S / 2) {
        d->trust.len = 0;
        e = ps_keyring_trust_list(d->ring, d->root, now, &d->trust);
        if (e == PS_OK) {
            uint8_t h[32];
            char hex[65];
            crypto_hash_sha256(h, (const unsigned char *)d->trust.p, d->trust.len);
            sodium_bin2hex(hex, sizeof hex, h, 32);
            snprintf(d->trust_etag, sizeof d->trust_etag, "\"%.64s\"", hex);
            d->trust_version = version;
            d->trust_built_s = now;
        } else {
            d->trust.len = 0;
            ps_diag_set(diag, e, "signing the trust list: %s", ps_err_name(e));
        }
    }
    pthread_rwlock_unlock(&d->ring_lock);
    if (e == PS_OK)
        e = ps_buf_append(out, d->trust.p, d->trust.len);
    if (e == PS_OK)
        memcpy(etag, d->trust_etag, sizeof d->trust_etag);
    pthread_mutex_unlock(&d->cache_lock);
    return e;
}

