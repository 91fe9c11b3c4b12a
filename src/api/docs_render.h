/* JSON representations of documents and document types (the edge's: the portal renders the
 * same records as HTML), and the JWK of a device key in a request body. Pure. */
#ifndef PS_API_DOCS_RENDER_H
#define PS_API_DOCS_RENDER_H

#include <jansson.h>
#include <stdint.h>

#include "core/jsonw.h"
#include "documents/docs.h"

/* {"id", "type", "type_version", "name": {"uk", "en"}, "issuer", "iss", "status",
 *  "issued_at", "expires_at", "expired", "changed_at"?, "change_reason"?, "superseded_by"?,
 *  "status_list": {"uri", "idx"}, "device_key": bool, "photo": bool,
 *  "claims": [{"name", "type", "label": {"uk", "en"}, "disclose", "value"}],
 *  "sections": [{"title": {"uk", "en"}, "claims": [name, ...]}]}
 * with the claims of mask only (all: ~0), values typed (int, bool; bytes as base64url). */
void ps_api_document_json(struct ps_jw *w, const struct ps_docs *d, const struct ps_doc_view *v,
                          ps_claim_mask mask, int64_t now_ms);
/* The facts anyone may see: {"id", "type", "name", "issuer", "iss", "status", "issued_at",
 * "expires_at", "expired", "changed_at"?}. */
void ps_api_document_public_json(struct ps_jw *w, const struct ps_document *doc,
                                 int64_t now_ms);
/* A document type: {"id", "version", "name", "issuer", "source", "validity", "suspension",
 * "photo", "claims": [{"name", "type", "from", "label", "disclose"}], "sections"}. */
void ps_api_doctype_json(struct ps_jw *w, const struct ps_doctype *t);

/* {"kty": "EC", "crv": "P-256", "x", "y"} (base64url, 32 bytes each; other members ignored)
 * into x and y. PS_ERR_INVALID naming what is wrong. */
enum ps_err ps_api_p256_jwk(const json_t *jwk, uint8_t x[32], uint8_t y[32],
                            struct ps_diag *diag) PS_WUR;

#endif
