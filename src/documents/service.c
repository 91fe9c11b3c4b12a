/* The documents service: started once with the store and the master key (the types, the
 * keys every issuing agency needs, the platform root, the keyring, the registries' hook), then
 * shared by every thread: presentations and credentials signed by the keyring (reloaded when
 * the keys' version in the store moves), the trust list and status lists built on change. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "crypto/keys.h"
#include "keystore/keystore.h"
#include "documents/docs_int.h"
#include "documents/soft_key.h"
#include "policy/actor.h"
#include "registries/records.h"
#include "store/store.h"

#define TRUST_MAX (1u << 20)

/* ---- start: keys for every issuer ---- */

struct ensure {
    const struct ps_docs *d;
    struct ps_diag diag;
};

/* The space-separated ids of the types agency issues (in id order: the set's). */
static void types_of(const struct ps_doctypes *set, const char *agency, char *out, size_t cap)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ps_doctypes_count(set); i++) {
        const struct ps_doctype *t = ps_doctypes_at(set, i);
        if (strcmp(t->issuer, agency) != 0)
            continue;
        int n = snprintf(out + used, cap - used, "%s%s", used ? " " : "", t->id);
        if (n < 0 || (size_t)n >= cap - used)
            return;
        used += (size_t)n;
    }
}

/* The alg of agency's latest key (an issuer stays with the algorithm it chose), else ES256. */
static int alg_of(const struct ps_issuer_key *keys, size_t n, const char *agency, bool *any)
{
    int alg = -7;
    *any = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(keys[i].agency, agency) == 0) {
            alg = keys[i].alg;
            *any = true;
        }
    }
    return alg;
}

static bool covered(const struct ps_issuer_key *keys, size_t n, const char *agency,
                    const char *types, int64_t now)
{
    for (size_t i = 0; i < n; i++) {
        const struct ps_issuer_key *k = &keys[i];
        if (strcmp(k->agency, agency) == 0 && strcmp(k->types, types) == 0 &&
            k->nbf_ms <= now && (k->naf_ms == 0 || now < k->naf_ms))
            return true;
    }
    return false;
}

static enum ps_err ensure_tx(struct ps_tx *tx, void *ctx)
{
    struct ensure *en = ctx;
    const struct ps_docs *d = en->d;
    static const struct ps_actor system = {.kind = PS_ACTOR_SYSTEM, .id = PS_STR("pocketstate")};
    struct ps_arena *a = ps_arena_new(1u << 20);
    struct ps_issuer_key *keys = a ? ps_arena_array(a, PS_ISSUER_KEYS_MAX, sizeof *keys) : NULL;
    size_t n = 0;
    enum ps_err e = keys ? PS_OK : PS_ERR_NOMEM;
    ps_diag_clear(&en->diag);
    if (e == PS_OK)
        e = ps_issuer_keys_list(tx, a, keys, PS_ISSUER_KEYS_MAX, &n, &en->diag);
    int64_t now = ps_clock_now_ms();
    for (size_t i = 0; e == PS_OK && i < ps_doctypes_count(d->types); i++) {
        const char *agency = ps_doctypes_at(d->types, i)->issuer;
        char types[PS_ISSUER_TYPES_MAX + 1];
        bool any = false;
        types_of(d->types, agency, types, sizeof types);
        if (covered(keys, n, agency, types, now))
            continue;
        int alg = alg_of(keys, n, agency, &any);
        e = ps_issuer_rotate(tx, d->master, d->root, &system, agency, alg, types, 0,
                             PS_STR(any ? "the agency's document types changed"
                                        : "first key of the agency"),
                             NULL, &en->diag);
        if (e == PS_OK) /* see the new key on the next type of the same agency */
            e = ps_issuer_keys_list(tx, a, keys, PS_ISSUER_KEYS_MAX, &n, &en->diag);
        /* the new key starts at the clock's time of its making, which may be past the now
         * read above: a next type of the same agency must find it covering, not rotate again
         * (a slow run retired the first key of an agency with two types) */
        now = ps_clock_now_ms();
    }
    ps_arena_free(a);
    return e;
}

static enum ps_err open_root(struct ps_docs *d, struct ps_diag *diag)
{
    struct ps_key *k = NULL;
    enum ps_err e = ps_keystore_open(d->store, d->master, PS_KEY_DOCUMENTS, &k, diag);
    const unsigned char *sk = e == PS_OK ? ps_key_ed25519_sk(k) : NULL;
    if (e == PS_OK && !sk)
        e = ps_diag_set(diag, PS_ERR_CRYPTO, "the document-signing key is not Ed25519");
    if (e == PS_OK) {
        d->root = ps_doc_soft_key_from_seed(sk); /* seed || public: the first 32 bytes */
        if (!d->root)
            e = ps_diag_set(diag, PS_ERR_CRYPTO, "cannot use the document-signing key");
    }
    ps_key_free(k);
    return e;
}

struct ring_read {
    const struct ps_master_key *m;
    struct ps_keyring *ring;
    int64_t version;
    struct ps_diag diag;
};

static enum ps_err ring_tx(struct ps_tx *tx, void *ctx)
{
    struct ring_read *r = ctx;
    return ps_keyring_load(tx, r->m, &r->ring, &r->diag);
}

static enum ps_err version_tx(struct ps_tx *tx, void *ctx)
{
    struct ring_read *r = ctx;
    return ps_issuer_keys_version(tx, &r->version, &r->diag);
}

static enum ps_err load_ring(struct ps_docs *d, struct ps_keyring **out, struct ps_diag *diag)
{
    struct ring_read r = {.m = d->master};
    struct ps_diag sd = {0};
    enum ps_err e = ps_store_read(d->store, ring_tx, &r, &sd);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "%s", r.diag.code ? r.diag.message : sd.message);
    *out = r.ring;
    return PS_OK;
}

enum ps_err ps_docs_start(struct ps_store *store, const struct ps_master_key *m,
                          const struct ps_docs_opts *opts, struct ps_docs **out,
                          struct ps_diag *diag)
{
    struct ps_docs *d = ps_calloc(1, sizeof *d);
    if (!d)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    d->store = store;
    d->master = m;
    pthread_rwlock_init(&d->ring_lock, NULL);
    pthread_mutex_init(&d->reload_lock, NULL);
    pthread_mutex_init(&d->cache_lock, NULL);
    ps_buf_init(&d->trust, TRUST_MAX);
    const char *url = opts && opts->public_url ? opts->public_url : "";
    size_t len = strlen(url);
    while (len > 0 && url[len - 1] == '/')
        len--;
    enum ps_err e = ps_str_copy(d->public_url, sizeof d->public_url, (struct ps_str){url, len});
    if (e != PS_OK)
        ps_diag_set(diag, e, "the public URL is too long");
    if (e == PS_OK)
        e = ps_doctypes_load(opts ? opts->doctypes_dir : NULL, &d->types, diag);
    if (e == PS_OK)
        e = open_root(d, diag);
    struct ensure en = {d, {0}};
    struct ps_diag sd = {0};
    if (e == PS_OK && ps_store_write(store, ensure_tx, &en, &sd) != PS_OK)
        e = ps_diag_set(diag, en.diag.code ? en.diag.code : sd.code, "issuer keys: %s",
                        en.diag.code ? en.diag.message : sd.message);
    if (e == PS_OK)
        e = load_ring(d, &d->ring, diag);
    d->ring_checked_ms = ps_clock_now_ms();
    if (e == PS_OK && opts && opts->install_hook) {
        ps_records_set_hook(ps_docs_hook, d);
        d->hook = true;
    }
    if (e != PS_OK) {
        ps_docs_stop(d);
        return e;
    }
    *out = d;
    return PS_OK;
}

void ps_docs_stop(struct ps_docs *d)
{
    if (!d)
        return;
    if (d->hook)
        ps_records_set_hook(NULL, NULL);
    ps_keyring_free(d->ring);
    ps_doc_soft_key_free(d->root);
    ps_doctypes_free(d->types);
    ps_buf_reset(&d->trust);
    for (size_t i = 0; i < d->nlists; i++)
        ps_buf_reset(&d->lists[i].token);
    pthread_rwlock_destroy(&d->ring_lock);
    pthread_mutex_destroy(&d->reload_lock);
    pthread_mutex_destroy(&d->cache_lock);
    ps_free(d);
}

const struct ps_doctypes *ps_docs_types(const struct ps_docs *d)
{
    return d->types;
}

const char *ps_docs_public_url(const struct ps_docs *d)
{
    return d->public_url;
}

/* ---- the keyring, kept current ---- */

enum ps_err ps_docs_reload(struct ps_docs *d, bool force, struct ps_diag *diag)
{
    struct ring_read r = {.m = d->master};
    struct ps_diag sd = {0};
    int64_t now = ps_clock_now_ms();
    if (!force && now - __atomic_load_n(&d->ring_checked_ms, __ATOMIC_RELAXED) <
                      PS_DOCS_RING_CHECK_MS)
        return PS_OK;
    pthread_mutex_lock(&d->reload_lock);
    enum ps_err e = ps_store_read(d->store, version_tx, &r, &sd);
    struct ps_keyring *fresh = NULL, *old = NULL;
    if (e == PS_OK && r.version != ps_keyring_version(d->ring))
        e = load_ring(d, &fresh, diag);
    else if (e != PS_OK)
        ps_diag_set(diag, e, "reading issuer keys: %s", sd.message);
    if (fresh) {
        pthread_rwlock_wrlock(&d->ring_lock);
        old = d->ring;
        d->ring = fresh;
        pthread_rwlock_unlock(&d->ring_lock);
    }
    __atomic_store_n(&d->ring_checked_ms, now, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&d->reload_lock);
    ps_keyring_free(old);
    return e;
}

enum ps_err ps_docs_reload_keys(struct ps_docs *d, struct ps_diag *diag)
{
    return ps_docs_reload(d, true, diag);
}

/* ---- presentations and credentials ---- */

static enum ps_err in_force(const struct ps_doc_view *v, int64_t now, struct ps_diag *diag)
{
    if (v->doc.status != PS_DOC_VALID)
        return ps_diag_set(diag, PS_ERR_INVALID, "document %s is %s", v->doc.id,
                           ps_doc_status_name(v->doc.status));
    if (v->doc.expires_at_ms <= now * 1000)
        return ps_diag_set(diag, PS_ERR_INVALID, "document %s has expired", v->doc.id);
    if (!v->doc.type || v->n != v->doc.type->nclaims)
        return ps_diag_set(diag, PS_ERR_INVALID, "document %s has no claims", v->doc.id);
    return PS_OK;
}

struct header {
    struct ps_doc_header h;
    char iss[48], type[PS_DOCTYPE_ID_MAX + 1], uri[400];
    uint8_t cti[16];
};

static enum ps_err header_of(const struct ps_docs *d, const struct ps_doc_view *v,
                             struct header *out)
{
    struct ps_uuid u;
    char agency[40];
    if (!ps_uuid_parse(ps_str_from_cstr(v->doc.id), &u) ||
        ps_str_copy(agency, sizeof agency, v->doc.issuer) != PS_OK ||
        ps_issuer_iss(agency, out->iss, sizeof out->iss) != PS_OK)
        return PS_ERR_INTERNAL;
    memcpy(out->cti, u.b, 16);
    snprintf(out->type, sizeof out->type, "%s", v->doc.type->id);
    int n = snprintf(out->uri, sizeof out->uri, "%s/api/v1/status-lists/%lld", d->public_url,
                     (long long)v->doc.status_list);
    if (n < 0 || (size_t)n >= sizeof out->uri)
        return PS_ERR_LIMIT;
    out->h = (struct ps_doc_header){out->iss, out->type, out->cti, 16, 0, 0, 0, out->uri,
                                    (uint64_t)v->doc.status_idx};
    return PS_OK;
}

/* Signs with the key of v's issuer for its type at now, the keyring held meanwhile. */
static enum ps_err with_signer(struct ps_docs *d, const struct ps_doc_view *v, int64_t now,
                               enum ps_err (*fn)(const struct ps_doc_signer *, void *),
                               void *ctx, struct ps_diag *diag)
{
    char agency[40];
    struct ps_doc_signer s;
    enum ps_err e = ps_docs_reload(d, false, diag);
    if (e == PS_OK && ps_str_copy(agency, sizeof agency, v->doc.issuer) != PS_OK)
        e = PS_ERR_INTERNAL;
    if (e != PS_OK)
        return e;
    pthread_rwlock_rdlock(&d->ring_lock);
    e = ps_keyring_signer(d->ring, agency, v->doc.type->id, now * 1000, &s);
    if (e == PS_OK)
        e = fn(&s, ctx);
    pthread_rwlock_unlock(&d->ring_lock);
    if (e == PS_ERR_NOTFOUND)
        return ps_diag_set(diag, e, "no key of %s signs %s now", agency, v->doc.type->id);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "signing: %s", ps_err_name(e));
    return PS_OK;
}

struct present {
    struct header hd;
    struct ps_doc_claim claims[PS_DOCTYPE_CLAIMS_MAX];
    size_t n;
    int64_t now;
    const uint8_t *x, *y;
    struct ps_buf *out;
    struct ps_doc_credential *cred;
};

static enum ps_err present_fn(const struct ps_doc_signer *s, void *ctx)
{
    struct present *p = ctx;
    return ps_doc_ps1_present(&p->hd.h, p->claims, p->n, p->now, s, p->out);
}

enum ps_err ps_docs_present(struct ps_docs *d, const struct ps_doc_view *v, ps_claim_mask mask,
                            int64_t now, struct ps_buf *out, struct ps_diag *diag)
{
    struct present p = {.now = now, .out = out};
    enum ps_err e = in_force(v, now, diag);
    if (e != PS_OK)
        return e;
    for (size_t i = 0; i < v->n; i++) {
        if (mask & ((ps_claim_mask)1 << i))
            p.claims[p.n++] = v->claims[i];
    }
    if (p.n == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "choose at least one claim to show");
    if (header_of(d, v, &p.hd) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "document header");
    return with_signer(d, v, now, present_fn, &p, diag);
}

static enum ps_err credential_fn(const struct ps_doc_signer *s, void *ctx)
{
    struct present *p = ctx;
    return ps_doc_ps1_credential(&p->hd.h, p->claims, p->n, p->x, p->y, s, NULL, p->cred);
}

enum ps_err ps_docs_credential(struct ps_docs *d, const struct ps_doc_view *v, int64_t now,
                               struct ps_doc_credential *out, struct ps_diag *diag)
{
    struct present p = {.now = now, .cred = out};
    enum ps_err e = in_force(v, now, diag);
    if (e != PS_OK)
        return e;
    if (!v->doc.has_holder_key)
        return ps_diag_set(diag, PS_ERR_INVALID, "no device key is bound to document %s",
                           v->doc.id);
    memcpy(p.claims, v->claims, v->n * sizeof v->claims[0]);
    p.n = v->n;
    p.x = v->doc.holder_key;
    p.y = v->doc.holder_key + 32;
    if (header_of(d, v, &p.hd) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "document header");
    p.hd.h.iat = now;
    p.hd.h.exp = v->doc.expires_at_ms / 1000;
    return with_signer(d, v, now, credential_fn, &p, diag);
}

enum ps_err ps_docs_root_jwk(const struct ps_docs *d, struct ps_buf *out)
{
    return ps_doc_soft_key_jwk(d->root, out);
}

/* ---- rotation from the command line ---- */

struct rotate {
    const struct ps_master_key *m;
    const struct ps_doc_soft_key *root;
    const struct ps_actor *actor;
    const char *agency, *types;
    int alg;
    int64_t overlap;
    struct ps_str reason;
    struct ps_diag diag;
};

static enum ps_err rotate_tx(struct ps_tx *tx, void *ctx)
{
    struct rotate *r = ctx;
    ps_diag_clear(&r->diag);
    return ps_issuer_rotate(tx, r->m, r->root, r->actor, r->agency, r->alg, r->types,
                            r->overlap, r->reason, NULL, &r->diag);
}

enum ps_err ps_docs_issuer_rotate(struct ps_store *store, const struct ps_master_key *m,
                                  const char *doctypes_dir, const struct ps_actor *actor,
                                  const char *agency, int alg, int64_t overlap_ms,
                                  struct ps_str reason, struct ps_diag *diag)
{
    struct ps_docs d = {.store = store, .master = m};
    char types[PS_ISSUER_TYPES_MAX + 1];
    struct ps_diag sd = {0};
    enum ps_err e = ps_doctypes_load(doctypes_dir, &d.types, diag);
    if (e == PS_OK) {
        types_of(d.types, agency, types, sizeof types);
        if (!types[0])
            e = ps_diag_set(diag, PS_ERR_INVALID, "no document type is issued by \"%s\"",
                            agency);
    }
    if (e == PS_OK)
        e = open_root(&d, diag);
    struct rotate r = {m, d.root, actor, agency, types, alg, overlap_ms, reason, {0}};
    if (e == PS_OK && ps_store_write(store, rotate_tx, &r, &sd) != PS_OK)
        e = ps_diag_set(diag, r.diag.code ? r.diag.code : sd.code, "%s",
                        r.diag.code ? r.diag.message : sd.message);
    ps_doc_soft_key_free(d.root);
    ps_doctypes_free(d.types);
    return e;
}
