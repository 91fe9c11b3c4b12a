/* Reading a QR code's text from a PNG or JPEG photo or screenshot file, for `pocketstate
 * verify --image` (documents/qr_read.h decodes it). */
#ifndef PS_CLI_QR_IMAGE_H
#define PS_CLI_QR_IMAGE_H

#include <stddef.h>

#include "core/buf.h"

#define PS_QR_IMAGE_MAX_BYTES (32u << 20)
#define PS_QR_IMAGE_MAX_PIXELS (64u << 20) /* 8192 x 8192 */

/* Decodes the image at path (PNG or JPEG, told by its first bytes) to grey and appends the
 * text of the first QR code found to text. Errors: PS_ERR_IO (unreadable), PS_ERR_INVALID
 * (not PNG/JPEG, corrupt, no QR found), PS_ERR_LIMIT (file or pixel count over the limits). */
enum ps_err ps_cli_qr_from_image(const char *path, struct ps_buf *text,
                                 struct ps_diag *diag) PS_WUR;

#endif
