/* Private to src/portal: the documents pages (docs/internals/portal.md, "Documents pages"):
 * the holder's documents, the public verify page, and the officials' documents. Words they share: a claim's value and label, a type's name, a status, in the page's
 * language. Pages call the documents module only through documents/docs.h. */
#ifndef PS_PORTAL_DOCUMENTS_INT_H
#define PS_PORTAL_DOCUMENTS_INT_H

#include "documents/docs.h"
#include "portal/portal_int.h"

/* The verify page's picture upload: its route's body limit (the picture and the form around
 * it; the request arena, 4 MiB by default, must hold it: src/http). */
#define PS_VERIFY_IMAGE_ROUTE_MAX ((3u << 20) + (16u << 10))

/* The label l in the page's language. Borrowed (static or the service's). */
struct ps_str ps_portal_label(const struct ps_page *pg, const struct ps_label *l);
/* A claim's value as a page shows it: text as it is, a date in the page's language, a number,
 * yes or no; bytes (a photo's hash) as "—". In the request's arena. */
struct ps_str ps_portal_claim_text(struct ps_page *pg, const struct ps_doctype_claim *t,
                                   const struct ps_doc_claim *c);
/* The document's status as a page words it ("Valid", "Suspended", "Revoked", "Expired"),
 * and *bad when it is not in force. */
struct ps_str ps_portal_doc_status(const struct ps_page *pg, const struct ps_document *doc,
                                   int64_t now_ms, bool *bad);
/* What a documents act of the log did, worded for "who used my data" ("revoked a document of
 * yours"): a msgid, or NULL when action is not one of documents'. */
const char *ps_portal_doc_action(struct ps_str action);
/* The documents service, or NULL after answering a 503 page (a server started without it). */
struct ps_docs *ps_portal_docs(struct ps_page *pg);

/* documents.c: the holder's pages */
void ps_portal_documents(struct ps_req *req);
void ps_portal_document(struct ps_req *req);
void ps_portal_document_share(struct ps_req *req);
/* verify_page.c: the public verify page */
void ps_portal_verify(struct ps_req *req);
void ps_portal_verify_code(struct ps_req *req);
void ps_portal_verify_post(struct ps_req *req);
void ps_portal_verify_image(struct ps_req *req);
/* official_docs.c: an official's view of a person's documents and status changes */
void ps_portal_official_documents(struct ps_req *req);
void ps_portal_official_documents_post(struct ps_req *req);
void ps_portal_official_document_status(struct ps_req *req);
/* offline.c: the web app manifest and the service worker, at the site's root */
void ps_portal_manifest(struct ps_req *req);
void ps_portal_service_worker(struct ps_req *req);

#endif
