/* QR text from an image file for `pocketstate verify --image`: the file read whole (bounded),
 * then documents/qr_read.h decodes it. */
#include <stdio.h>
#include <string.h>

#include "cli/qr_image.h"
#include "documents/qr_read.h"

static enum ps_err read_all(const char *path, struct ps_buf *b, struct ps_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ps_diag_set(d, PS_ERR_IO, "%s: cannot open", path);
    char chunk[65536];
    size_t n;
    enum ps_err e = PS_OK;
    while (e == PS_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
        e = ps_buf_append(b, chunk, n);
    if (e == PS_OK && ferror(f))
        e = ps_diag_set(d, PS_ERR_IO, "%s: read error", path);
    else if (e != PS_OK)
        e = ps_diag_set(d, PS_ERR_LIMIT, "%s: larger than %u bytes", path, PS_QR_IMAGE_MAX_BYTES);
    fclose(f);
    return e;
}

enum ps_err ps_cli_qr_from_image(const char *path, struct ps_buf *text, struct ps_diag *d)
{
    struct ps_buf file;
    ps_buf_init(&file, PS_QR_IMAGE_MAX_BYTES);
    enum ps_err e = read_all(path, &file, d);
    if (e == PS_OK) {
        e = ps_qr_read((const uint8_t *)file.p, file.len, PS_QR_IMAGE_MAX_PIXELS, text, d);
        if (e == PS_ERR_INVALID && strcmp(d->message, "neither PNG nor JPEG") == 0)
            e = ps_diag_set(d, PS_ERR_INVALID, "%s: neither PNG nor JPEG", path);
    }
    ps_buf_reset(&file);
    return e;
}
