/* A small CBOR encoder (RFC 8949 preferred serialization: shortest heads, definite lengths)
 * onto a bounded ps_buf, for the document encoders. */
#ifndef PS_DOCUMENTS_CBOR_WRITE_H
#define PS_DOCUMENTS_CBOR_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* A head of major type mt (0-7) with argument v. */
enum ps_err ps_cbor_head(struct ps_buf *b, unsigned mt, uint64_t v) PS_WUR;
/* Integer (major 0 or 1). */
enum ps_err ps_cbor_int(struct ps_buf *b, int64_t v) PS_WUR;
enum ps_err ps_cbor_bytes(struct ps_buf *b, const void *p, size_t n) PS_WUR;
enum ps_err ps_cbor_text(struct ps_buf *b, const char *p, size_t n) PS_WUR;
enum ps_err ps_cbor_cstr(struct ps_buf *b, const char *s) PS_WUR;
enum ps_err ps_cbor_bool(struct ps_buf *b, bool v) PS_WUR;

#endif
