/* Private to src/documents: the service's state, and what docs.c, share.c, statuslist.c,
 * service.c and pdf.c share. */
#ifndef PS_DOCUMENTS_DOCS_INT_H
#define PS_DOCUMENTS_DOCS_INT_H

#include <pthread.h>

#include "documents/docs.h"
#include "documents/issuer.h"

struct ps_doc_soft_key;
struct ps_stmt;

/* Status lists: 2^17 entries each (16 KiB at 1 bit), indices handed out by an affine
 * permutation of the order of issuance. */
#define PS_STATUS_LIST_CAPACITY (1 << 17)
#define PS_STATUS_LIST_TTL_S 300
#define PS_STATUS_LIST_LIFETIME_S (24 * 3600)
#define PS_DOCS_LIST_CACHE 32
#define PS_DOCS_RING_CHECK_MS PS_ISSUER_RELOAD_MS

struct status_cache {
    int64_t id, revision, built_s;
    struct ps_buf token;
    char etag[67];
};

struct ps_docs {
    struct ps_store *store;
    const struct ps_master_key *master;
    struct ps_doctypes *types;
    char public_url[256];
    struct ps_doc_soft_key *root;
    bool hook;
    /* the keyring: swapped whole when keys change (readers hold ring_lock shared) */
    pthread_rwlock_t ring_lock;
    struct ps_keyring *ring;
    pthread_mutex_t reload_lock;
    int64_t ring_checked_ms;
    /* signed lists, rebuilt on change */
    pthread_mutex_t cache_lock;
    struct ps_buf trust;
    char trust_etag[67];
    int64_t trust_version, trust_built_s;
    struct status_cache lists[PS_DOCS_LIST_CACHE];
    size_t nlists;
};

/* The row of a document (docs.c). */
enum ps_err ps_docs_read_row(const struct ps_docs *d, struct ps_stmt *st,
                             struct ps_arena *arena, struct ps_document *out) PS_WUR;
/* Reads document id (any status) into *out; PS_ERR_NOTFOUND. */
enum ps_err ps_docs_find(struct ps_tx *tx, const struct ps_docs *d, struct ps_str id,
                         struct ps_arena *arena, struct ps_document *out,
                         struct ps_diag *diag) PS_WUR;
/* The records of doc into src (doc copied). PS_ERR_INVALID when its records ended or its
 * type is no longer configured. */
enum ps_err ps_docs_source_of(struct ps_tx *tx, const struct ps_docs *d,
                              const struct ps_document *doc, struct ps_arena *arena,
                              struct ps_doc_source *src, struct ps_diag *diag) PS_WUR;
/* The claims of doc from its records at now_ms. PS_ERR_INVALID when its records ended. */
enum ps_err ps_docs_view_of(struct ps_tx *tx, const struct ps_docs *d,
                            const struct ps_document *doc, int64_t now_ms,
                            struct ps_arena *arena, struct ps_doc_view *out,
                            struct ps_diag *diag) PS_WUR;
/* A canonical UUID from text, or PS_ERR_INVALID ("a document id is a UUID"). */
enum ps_err ps_docs_id(struct ps_str id, char out[37], struct ps_diag *diag) PS_WUR;

/* Status list slots (statuslist.c): a free slot of issuer's list of `bits` (a new list when
 * every one is full), and a status change in list (its revision, so tokens are rebuilt). */
enum ps_err ps_docs_slot(struct ps_tx *tx, const char *issuer, int bits, int64_t *list,
                         int64_t *idx, struct ps_diag *diag) PS_WUR;
enum ps_err ps_docs_slot_changed(struct ps_tx *tx, int64_t list, struct ps_diag *diag) PS_WUR;

/* A status list's issuer, bits, capacity and revision and, when values is non-NULL
 * (capacity bytes), every document's status in it, in a read (statuslist.c). */
struct ps_status_read {
    int64_t id;
    char issuer[40];
    int bits;
    int64_t capacity, revision;
    uint8_t *values;
    struct ps_diag diag;
};
enum ps_err ps_docs_status_read(struct ps_store *store, struct ps_status_read *t) PS_WUR;

/* Reloads the keyring when the keys' version moved (force: now; else at most every
 * PS_DOCS_RING_CHECK_MS) (service.c). */
enum ps_err ps_docs_reload(struct ps_docs *d, bool force, struct ps_diag *diag) PS_WUR;

/* The records hook (docs.c): ps_docs_sync for the person. */
enum ps_err ps_docs_hook(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                         struct ps_str reason, void *ctx, struct ps_diag *diag) PS_WUR;

#endif
