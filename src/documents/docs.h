/* Digital documents: issued from registry records, shown, shared, revoked
 * (docs/internals/documents.md).
 *
 * A document row (migration 0010_documents) holds no claim values: whenever a document is shown its
 * claims are computed from the records it is drawn from (claims.h), and the row holds the
 * SHA-256 of what they said at issuance. ps_docs_sync keeps a person's documents in step with
 * their records: a record without a document in force gets one, a document whose record
 * changed is revoked and a new one issued, a document whose record ended is revoked; every
 * step is a change entry of the log in the same transaction. It runs from the registries'
 * change hook (registries/records.h: person updates, marriages, sole-proprietor acts), so
 * a registry write and the reissue of the documents drawn from it commit together, and when
 * a person first asks for their documents.
 *
 * Every function that shows a document's claims to someone other than its holder records the
 * access (tlog/access.h) in its transaction; a refusal reveals nothing about whether a
 * document exists. The service (struct ps_docs: types, keys, caches) is built once at start
 * and shared read-only by every thread; functions that take a tx never sign. */
#ifndef PS_DOCUMENTS_DOCS_H
#define PS_DOCUMENTS_DOCS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "documents/doctype.h"
#include "documents/ps1_encode.h"
#include "registries/records.h"
#include "registries/share.h"

struct ps_tx;
struct ps_store;
struct ps_actor;
struct ps_master_key;

/* ---- the service ---- */

struct ps_docs;

struct ps_docs_opts {
    const char *public_url;   /* base of status-list URIs and share links, no trailing '/' */
    const char *doctypes_dir; /* more types (doctype.h ps_doctypes_load); NULL: built-in only */
    bool install_hook;        /* install the registries' change hook (serve: true) */
};

/* Starts the documents service on store: loads the types, makes sure every agency that issues
 * a type has a key that may sign exactly its types (creating one, or rotating with no overlap
 * when the types changed: change entries by the system actor "pocketstate"), opens the
 * platform root (the "document-signing" key of crypto/keys.h) and every issuer key, and
 * installs the registries' hook. m is borrowed and must outlive the service (keys are
 * reloaded when another node or the CLI rotates them). Errors: the types' (located),
 * PS_ERR_INVALID (a type's issuer is not an agency), PS_ERR_CRYPTO, store errors. */
enum ps_err ps_docs_start(struct ps_store *store, const struct ps_master_key *m,
                          const struct ps_docs_opts *opts, struct ps_docs **out,
                          struct ps_diag *diag) PS_WUR;
/* Rotates agency's signing key (issuer.h ps_issuer_rotate) for the CLI: the types it issues
 * (built in, and doctypes_dir's), the platform root opened under m, alg -7 (ES256) or -8
 * (EdDSA), the new key signing overlap_ms from now. *kid (8 bytes) gets the new key's kid.
 * Recorded by actor with reason. Errors: PS_ERR_INVALID (no type is issued by agency),
 * those of ps_issuer_rotate and the store. Blocks (ps_store_write). */
enum ps_err ps_docs_issuer_rotate(struct ps_store *store, const struct ps_master_key *m,
                                  const char *doctypes_dir, const struct ps_actor *actor,
                                  const char *agency, int alg, int64_t overlap_ms,
                                  struct ps_str reason, struct ps_diag *diag) PS_WUR;

/* Uninstalls the hook and frees. NULL is a no-op. No request may use it any more. */
void ps_docs_stop(struct ps_docs *d);
const struct ps_doctypes *ps_docs_types(const struct ps_docs *d);
const char *ps_docs_public_url(const struct ps_docs *d);

/* ---- documents ---- */

enum ps_doc_status { PS_DOC_VALID, PS_DOC_SUSPENDED, PS_DOC_REVOKED };
/* "valid", "suspended", "revoked". */
const char *ps_doc_status_name(enum ps_doc_status s);

/* A document row. Strings in the reader's arena. */
struct ps_document {
    char id[37];
    const struct ps_doctype *type; /* NULL when the type is no longer configured */
    struct ps_str type_id, holder, record_id, issuer, change_reason, superseded_by;
    unsigned type_version;
    enum ps_doc_status status;
    int64_t issued_at_ms, expires_at_ms, changed_at_ms; /* changed: 0 when never */
    int64_t status_list, status_idx;
    bool has_holder_key;
    uint8_t holder_key[64]; /* x || y */
};

/* A document with its claims, in its type's order. */
struct ps_doc_view {
    struct ps_document doc;
    struct ps_doc_claim claims[PS_DOCTYPE_CLAIMS_MAX];
    size_t n;
};

/* A document and the registry records its claims come from, as read in a transaction: the
 * claims themselves are computed afterwards (ps_docs_view_build), out of the transaction, so
 * the store's committer does only the reads and writes. Strings in the reader's arena. */
struct ps_doc_source {
    struct ps_document doc;
    struct ps_record person, record; /* record: the source's (the person again for "person") */
};

/* The claims of src in mask (the others keep their name and type, no value) at now_ms, into
 * *out. Pure. Errors: PS_ERR_INVALID (a registry value that does not fit its type; a type no
 * longer configured), PS_ERR_NOMEM. */
enum ps_err ps_docs_view_build(const struct ps_docs *d, const struct ps_doc_source *src,
                               uint64_t mask, int64_t now_ms, struct ps_arena *arena,
                               struct ps_doc_view *out, struct ps_diag *diag) PS_WUR;

#define PS_DOCS_PER_PERSON_MAX 32
#define PS_DOC_REASON_MAX 200

/* Brings the documents of the person rnokpp in step with their records (see above), as actor
 * for reason (recorded with each issue and revocation). dry_run: change nothing, only count.
 * *changes (may be NULL) gets the number of documents issued plus revoked. Errors: store and
 * recording errors, PS_ERR_LIMIT (more than PS_DOCS_PER_PERSON_MAX documents), a record whose
 * values do not fit its type (PS_ERR_INVALID: a data error in a registry). */
enum ps_err ps_docs_sync(struct ps_tx *tx, const struct ps_docs *d, const struct ps_actor *actor,
                         struct ps_str rnokpp, struct ps_str reason, bool dry_run,
                         size_t *changes, struct ps_diag *diag) PS_WUR;

/* What a service outcome that promised a document of type doctype to holder does, in the
 * transition's transaction: the engine's issue hook (engine/engine.h ps_engine_issue_fn, the
 * same signature; serve installs it with the service as ctx). Finds the newest document of
 * that type in force and not expired for holder and copies its id to id_out (37 bytes), after
 * bringing holder's documents in step (ps_docs_sync as actor for reason), which is skipped when
 * the registries' hook is installed and the document is found already: the outcome's write ran
 * the hook in this transaction, so the document was issued once, by the write. Errors:
 * PS_ERR_INTERNAL when none is in force (the definition promised a document the records do not
 * support: its writes made no record of the type's source), when doctype is not a configured
 * type or holder not an RNOKPP, each naming the service's promise; those of ps_docs_sync. */
enum ps_err ps_docs_outcome_issue(struct ps_tx *tx, const struct ps_actor *actor,
                                  const char *doctype, struct ps_str holder, struct ps_str reason,
                                  void *ctx, char id_out[37], struct ps_diag *diag) PS_WUR;

/* The documents in force of rnokpp with their claims at now (ages), newest first, into out
 * (cap entries, strings in arena). When actor is not that person the read is recorded
 * ("document.list", resource "persons/<rnokpp>/documents", purpose required). Errors:
 * PS_ERR_INVALID (bad RNOKPP, no purpose), PS_ERR_NOTFOUND (no such person: not recorded),
 * store and recording errors. */
enum ps_err ps_docs_list(struct ps_tx *tx, const struct ps_docs *d, const struct ps_actor *actor,
                         struct ps_str rnokpp, struct ps_str purpose, struct ps_arena *arena,
                         struct ps_doc_view *out, size_t cap, size_t *n,
                         struct ps_diag *diag) PS_WUR;

/* One document with its claims, for its holder (a citizen actor whose RNOKPP is the
 * holder's; anyone else gets PS_ERR_NOTFOUND, as for an unknown id: no oracle). A revoked or
 * expired document is returned as it is (its status says so). Errors: PS_ERR_INVALID (id not
 * a UUID), PS_ERR_NOTFOUND, PS_ERR_INVALID for a document whose records ended (it shows
 * nothing any more), store errors. */
enum ps_err ps_docs_get(struct ps_tx *tx, const struct ps_docs *d, const struct ps_actor *actor,
                        struct ps_str id, struct ps_arena *arena, struct ps_doc_view *out,
                        struct ps_diag *diag) PS_WUR;

/* The public facts of a document, for the paper copy's QR and the public page: type, issuer,
 * status, validity; no claims, nothing about its holder (out->holder and record_id are
 * emptied). Errors: PS_ERR_INVALID (not a UUID), PS_ERR_NOTFOUND. */
enum ps_err ps_docs_public(struct ps_tx *tx, const struct ps_docs *d, struct ps_str id,
                           struct ps_arena *arena, struct ps_document *out,
                           struct ps_diag *diag) PS_WUR;

/* Binds the device key (x, y: a P-256 point, checked) to the holder's document in force id,
 * recording "document.holder-key" (resource "documents/<id>"). Errors: PS_ERR_NOTFOUND (not
 * the actor's document in force), PS_ERR_INVALID (not a point on P-256), store errors. */
enum ps_err ps_docs_holder_key(struct ps_tx *tx, const struct ps_docs *d,
                               const struct ps_actor *actor, struct ps_str id,
                               const uint8_t x[32], const uint8_t y[32],
                               struct ps_diag *diag) PS_WUR;

/* An official's act on the document id of agency (the path's: the dispatcher decided the
 * actor's role there): to PS_DOC_REVOKED (from valid or suspended), PS_DOC_SUSPENDED (from
 * valid, types with suspension only) or back to PS_DOC_VALID (from suspended), with reason
 * (1..PS_DOC_REASON_MAX bytes). Flips the status list entry and records "document.revoke",
 * "document.suspend" or "document.reinstate" (subject the holder). Errors: PS_ERR_NOTFOUND (no
 * such document of that agency), PS_ERR_INVALID (no reason; a transition not allowed, e.g.
 * a revoked document), store errors. */
enum ps_err ps_docs_set_status(struct ps_tx *tx, const struct ps_docs *d,
                               const struct ps_actor *actor, struct ps_str agency,
                               struct ps_str id, enum ps_doc_status to, struct ps_str reason,
                               struct ps_diag *diag) PS_WUR;

/* ---- choosing claims ---- */

/* A set of a type's claims: bit i is claim i. */
typedef uint64_t ps_claim_mask;

/* The claims a type discloses by default. */
ps_claim_mask ps_docs_default_claims(const struct ps_doctype *t);
/* "a,b,c" (names of t's claims), "all" or "" / PS_STR_NULL (the default) into *out.
 * PS_ERR_INVALID naming the unknown claim. */
enum ps_err ps_docs_parse_claims(const struct ps_doctype *t, struct ps_str list,
                                 ps_claim_mask *out, struct ps_diag *diag) PS_WUR;

/* ---- sharing (single use, typed or scanned, 3 minutes) ---- */

/* Creates a share code for the holder's document in force id, showing the claims in mask
 * (non-empty), valid ttl_ms (0: PS_SHARE_TTL_DEFAULT_MS): registries/share.h's code with
 * resource "documents/<id>?claims=<names>" (recorded "share.create"). Errors: PS_ERR_NOTFOUND
 * (not the actor's document in force), PS_ERR_INVALID (no claims; expired document), those of
 * ps_share_create. */
enum ps_err ps_docs_share_create(struct ps_tx *tx, const struct ps_docs *d,
                                 const struct ps_actor *actor, struct ps_str id,
                                 ps_claim_mask mask, int64_t ttl_ms, struct ps_share_code *out,
                                 struct ps_diag *diag) PS_WUR;

/* Redeems code once for verifier (registries/share.h: one conditional UPDATE) and returns the
 * shared document and its records (build its claims with ps_docs_view_build); *mask gets the claims the verifier may see: those shared,
 * and with public (the anonymous verify page, acting as the system "public-verify") only those
 * of them its type discloses by default. The redemption and the read are one access record
 * ("document.share.redeem", subject the holder, resource the code's, purpose as given; the
 * public page's "public verification"): the holder sees who redeemed it and when in "who used
 * my data".
 * A code that cannot be redeemed is PS_OK with refused set, nothing written: PS_ERR_NOTFOUND
 * (unknown), PS_ERR_EXISTS (used), PS_ERR_LIMIT (expired), PS_ERR_INVALID (malformed; no
 * purpose). refused (OUT) is required and is not diag (aborts otherwise). Errors (roll back,
 * the code stays unused): PS_ERR_NOTFOUND for a code that is not a document's or a document
 * that is gone, PS_ERR_INVALID for a document whose records ended, store and recording
 * errors. */
enum ps_err ps_docs_share_redeem(struct ps_tx *tx, const struct ps_docs *d,
                                 const struct ps_actor *verifier, struct ps_str code,
                                 struct ps_str purpose, bool public, struct ps_arena *arena,
                                 struct ps_doc_source *out, ps_claim_mask *mask,
                                 struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

/* ---- signed forms (no transaction; the service's keys) ---- */

/* A server presentation "PS1:..." of the claims in mask of v, signed now (Unix seconds) by the
 * key of the document's issuer, living PS_DOC_PRESENTATION_LIFETIME seconds, with the
 * document's status list entry; appended to out. Errors: PS_ERR_INVALID (a document not in
 * force or expired, an empty mask), PS_ERR_NOTFOUND (no key signs the type now), PS_ERR_CRYPTO,
 * PS_ERR_LIMIT. */
enum ps_err ps_docs_present(struct ps_docs *d, const struct ps_doc_view *v, ps_claim_mask mask,
                            int64_t now, struct ps_buf *out, struct ps_diag *diag) PS_WUR;

/* The credential of v bound to its holder key (every claim, salted digests; docs/formats/
 * ps1.md), issued now, expiring with the document. Errors as ps_docs_present, and
 * PS_ERR_INVALID when no holder key is bound. Release *out with ps_doc_credential_reset. */
enum ps_err ps_docs_credential(struct ps_docs *d, const struct ps_doc_view *v, int64_t now,
                               struct ps_doc_credential *out, struct ps_diag *diag) PS_WUR;

/* The signed trust list (docs/formats/trust-list.md) appended to out, and its entity tag
 * (a quoted string, 67 bytes with NUL): rebuilt when keys changed or half its life passed.
 * Reads the keys' version from the store. */
enum ps_err ps_docs_trust_list(struct ps_docs *d, struct ps_buf *out, char etag[67],
                               struct ps_diag *diag) PS_WUR;
/* Reloads the issuers' keys now if they changed in the store (otherwise signing notices a
 * rotation made elsewhere within PS_DOCS_RING_CHECK_MS, 5 s). */
enum ps_err ps_docs_reload_keys(struct ps_docs *d, struct ps_diag *diag) PS_WUR;

/* The platform root's public JWK (the trust list's pin) appended to out. */
enum ps_err ps_docs_root_jwk(const struct ps_docs *d, struct ps_buf *out) PS_WUR;

/* The status list token id (CWT, draft-ietf-oauth-status-list) appended to out with its
 * entity tag, rebuilt when a status in it changed. Errors: PS_ERR_NOTFOUND, store errors. */
enum ps_err ps_docs_status_list(struct ps_docs *d, int64_t id, struct ps_buf *out, char etag[67],
                                struct ps_diag *diag) PS_WUR;

/* The paper copy of v: an A4 PDF in Ukrainian and English with the claims of its layout, the
 * photo if the type shows one, and a QR of its public status URL; appended to out. Errors:
 * PS_ERR_IO (the font file is missing), PS_ERR_INTERNAL (libharu), PS_ERR_LIMIT. */
enum ps_err ps_docs_pdf(const struct ps_docs *d, const struct ps_doc_view *v, int64_t now_ms,
                        struct ps_buf *out, struct ps_diag *diag) PS_WUR;
/* The font the PDF embeds (Debian's fonts-dejavu-core). */
#define PS_DOCS_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

#endif
