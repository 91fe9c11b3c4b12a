/* Images documents produce: PNG (libpng) of small indexed-colour pictures, the synthetic
 * holder photos, and QR codes (libqrencode) of a presentation or a share link as PNG or SVG.
 * Pure functions onto bounded buffers; thread-safe. */
#ifndef PS_DOCUMENTS_IMAGE_H
#define PS_DOCUMENTS_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"

#define PS_PHOTO_SIZE 64 /* pixels, square */

/* The holder's synthetic photo: a 64x64 avatar (face, hair, clothes and background colours
 * drawn from SHA-256 of the RNOKPP), as PNG appended to out. The same RNOKPP always gives the
 * same bytes. Errors: PS_ERR_LIMIT (out's maximum), PS_ERR_NOMEM, PS_ERR_INTERNAL (libpng). */
enum ps_err ps_doc_photo_png(struct ps_str rnokpp, struct ps_buf *out) PS_WUR;
/* SHA-256 of those bytes: the photo claim. */
enum ps_err ps_doc_photo_sha256(struct ps_str rnokpp, uint8_t out[32]) PS_WUR;

/* A QR code of text (byte mode, error correction M) as PNG: scale pixels per module (1-16),
 * a 4-module quiet zone. Errors: PS_ERR_INVALID (text too long for a QR code, bad scale),
 * PS_ERR_LIMIT, PS_ERR_NOMEM, PS_ERR_INTERNAL. */
enum ps_err ps_doc_qr_png(struct ps_str text, unsigned scale, struct ps_buf *out) PS_WUR;
/* The same as SVG (one path; viewBox in modules). */
enum ps_err ps_doc_qr_svg(struct ps_str text, struct ps_buf *out) PS_WUR;

/* The QR modules of text: width * width bytes, 1 dark 0 light (no quiet zone), in a new
 * malloc'd array (caller frees with ps_free). For the PDF, which draws them itself. */
enum ps_err ps_doc_qr_modules(struct ps_str text, uint8_t **modules, unsigned *width) PS_WUR;

#endif
