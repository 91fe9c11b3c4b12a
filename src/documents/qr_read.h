/* Reading a QR code's text from a picture in memory (a photo or a screenshot, PNG or JPEG):
 * libpng's simplified API or libjpeg to 8-bit grey, then zbar's image scanner with only the QR
 * symbology enabled. For `pocketstate verify --image` and the portal's verify page. Pure but
 * for the decoders' own allocations; thread-safe (each call has its decoder and scanner). */
#ifndef PS_DOCUMENTS_QR_READ_H
#define PS_DOCUMENTS_QR_READ_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define PS_QR_READ_MAX_PIXELS (64u << 20) /* 8192 x 8192: the most any caller may allow */

/* Decodes the picture data (len bytes, PNG or JPEG, told by its first bytes) to grey and
 * appends the text of the first QR code found to text. max_pixels (at most
 * PS_QR_READ_MAX_PIXELS) bounds width x height before anything is decoded. Errors:
 * PS_ERR_INVALID (neither PNG nor JPEG, corrupt, no QR code found: diag says which),
 * PS_ERR_LIMIT (more pixels than max_pixels; text's maximum), PS_ERR_NOMEM. */
enum ps_err ps_qr_read(const uint8_t *data, size_t len, uint64_t max_pixels, struct ps_buf *text,
                       struct ps_diag *diag) PS_WUR;

#endif
