/* QR text from an image file: PNG through libpng's simplified API, JPEG through libjpeg
 * (errors via longjmp out of its error manager), both to 8-bit grey, then zbar's image
 * scanner with only the QR symbology enabled. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs stdio.h and stddef.h first */
#include <jpeglib.h>
#include <png.h>
#include <zbar.h>

#include "cli/qr_image.h"

struct grey {
    uint8_t *px;
    unsigned w, h;
};

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

static enum ps_err png_grey(const struct ps_buf *file, struct grey *g, struct ps_diag *d)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, file->p, file->len))
        return ps_diag_set(d, PS_ERR_INVALID, "PNG: %s", img.message);
    img.format = PNG_FORMAT_GRAY;
    if ((uint64_t)img.width * img.height > PS_QR_IMAGE_MAX_PIXELS) {
        png_image_free(&img);
        return ps_diag_set(d, PS_ERR_LIMIT, "PNG of %ux%u pixels is too large", img.width, img.height);
    }
    g->w = img.width;
    g->h = img.height;
    g->px = malloc((size_t)PNG_IMAGE_SIZE(img));
    if (!g->px) {
        png_image_free(&img);
        return ps_diag_set(d, PS_ERR_NOMEM, "out of memory");
    }
    if (!png_image_finish_read(&img, NULL, g->px, 0, NULL))
        return ps_diag_set(d, PS_ERR_INVALID, "PNG: %s", img.message);
    return PS_OK;
}

struct jpeg_err {
    struct jpeg_error_mgr mgr;
    jmp_buf jump;
    char msg[JMSG_LENGTH_MAX];
};

static void jpeg_fail(j_common_ptr c)
{
    struct jpeg_err *e = (struct jpeg_err *)c->err;
    c->err->format_message(c, e->msg);
    longjmp(e->jump, 1);
}

static enum ps_err jpeg_grey(const struct ps_buf *file, struct grey *g, struct ps_diag *d)
{
    struct jpeg_decompress_struct c;
    struct jpeg_err err;
    c.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&c);
        return ps_diag_set(d, PS_ERR_INVALID, "JPEG: %s", err.msg);
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, (const unsigned char *)file->p, (unsigned long)file->len);
    if (jpeg_read_header(&c, TRUE) != JPEG_HEADER_OK)
        longjmp(err.jump, 1);
    if ((uint64_t)c.image_width * c.image_height > PS_QR_IMAGE_MAX_PIXELS) {
        jpeg_destroy_decompress(&c);
        return ps_diag_set(d, PS_ERR_LIMIT, "JPEG too large");
    }
    c.out_color_space = JCS_GRAYSCALE;
    jpeg_start_decompress(&c);
    g->w = c.output_width;
    g->h = c.output_height;
    g->px = malloc((size_t)g->w * g->h);
    if (!g->px) {
        jpeg_destroy_decompress(&c);
        return ps_diag_set(d, PS_ERR_NOMEM, "out of memory");
    }
    while (c.output_scanline < c.output_height) {
        JSAMPROW row = g->px + (size_t)c.output_scanline * g->w;
        jpeg_read_scanlines(&c, &row, 1);
    }
    jpeg_finish_decompress(&c);
    jpeg_destroy_decompress(&c);
    return PS_OK;
}

static enum ps_err scan(const struct grey *g, struct ps_buf *text, struct ps_diag *d)
{
    zbar_image_scanner_t *sc = zbar_image_scanner_create();
    zbar_image_t *img = zbar_image_create();
    enum ps_err e = ps_diag_set(d, PS_ERR_INVALID, "no QR code found in the image");
    if (!sc || !img)
        goto out;
    zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
    zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
    zbar_image_set_format(img, zbar_fourcc('Y', '8', '0', '0'));
    zbar_image_set_size(img, g->w, g->h);
    zbar_image_set_data(img, g->px, (unsigned long)g->w * g->h, NULL);
    if (zbar_scan_image(sc, img) <= 0)
        goto out;
    for (const zbar_symbol_t *s = zbar_image_first_symbol(img); s; s = zbar_symbol_next(s)) {
        if (zbar_symbol_get_type(s) != ZBAR_QRCODE)
            continue;
        ps_diag_clear(d);
        e = ps_buf_append(text, zbar_symbol_get_data(s), zbar_symbol_get_data_length(s));
        break;
    }
out:
    zbar_image_destroy(img);
    zbar_image_scanner_destroy(sc);
    return e;
}

enum ps_err ps_cli_qr_from_image(const char *path, struct ps_buf *text, struct ps_diag *d)
{
    struct ps_buf file;
    ps_buf_init(&file, PS_QR_IMAGE_MAX_BYTES);
    struct grey g = {0};
    enum ps_err e = read_all(path, &file, d);
    if (e != PS_OK)
        goto out;
    const uint8_t *p = (const uint8_t *)file.p;
    if (file.len >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0)
        e = png_grey(&file, &g, d);
    else if (file.len >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        e = jpeg_grey(&file, &g, d);
    else
        e = ps_diag_set(d, PS_ERR_INVALID, "%s: neither PNG nor JPEG", path);
    if (e == PS_OK)
        e = scan(&g, text, d);
out:
    free(g.px);
    ps_buf_reset(&file);
    return e;
}
