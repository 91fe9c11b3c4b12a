/* COSE_Sign1 building and the QR wrapping (zlib, base45, prefix) shared by the PS1 and
 * status-list encoders. Pure functions: no store, no I/O; signing goes through the
 * ps_doc_signer callback. */
#ifndef PS_DOCUMENTS_COSE_ENCODE_H
#define PS_DOCUMENTS_COSE_ENCODE_H

#include "core/buf.h"
#include "documents/signer.h"

/* Appends tag 18 [bstr protected {1: alg, 4: kid[, 16: typ]}, {}, bstr payload, bstr sig]
 * to out, signing the Sig_structure with s. typ may be NULL. Errors: PS_ERR_CRYPTO (signer),
 * PS_ERR_LIMIT (out's maximum). */
enum ps_err ps_doc_sign1(const struct ps_doc_signer *s, const char *typ, const uint8_t *payload,
                         size_t len, struct ps_buf *out) PS_WUR;
/* prefix ("PS1:") + base45(zlib(data)) appended to out (NUL-terminated by ps_buf). */
enum ps_err ps_doc_qr_wrap(const char *prefix, const uint8_t *data, size_t len,
                           struct ps_buf *out) PS_WUR;
/* zlib (RFC 1950) at level 9 of data appended to out. */
enum ps_err ps_doc_deflate(const uint8_t *data, size_t len, struct ps_buf *out) PS_WUR;

#endif
