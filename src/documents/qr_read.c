/* QR text from a picture in memory: PNG through libpng's simplified API, JPEG through libjpeg
 * (errors via longjmp out of its error manager, warnings silenced: library code never
 * prints), both to 8-bit grey, then zbar's image scanner with only the QR symbology
 * enabled. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* jpeglib.h needs stdio.h and stddef.h first */
#include <jpeglib.h>
#include <png.h>
#include <zbar.h>

#include "documents/qr_read.h"

struct grey {
    uint8_t *px;
    unsigned w, h;
};

static enum ps_err png_grey(const uint8_t *data, size_t len, uint64_t max_pixels,
                            struct grey *g, struct ps_diag *d)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_memory(&img, data, len))
        return ps_diag_set(d, PS_ERR_INVALID, "PNG: %s", img.message);
    img.format = PNG_FORMAT_GRAY;
    if ((uint64_t)img.width * img.height > max_pixels) {
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

static void jpeg_quiet(j_common_ptr c)
{
    (void)c;
}

static enum ps_err jpeg_grey(const uint8_t *data, size_t len, uint64_t max_pixels,
                             struct grey *g, struct ps_diag *d)
{
    struct jpeg_decompress_struct c;
    struct jpeg_err err;
    c.err = jpeg_std_error(&err.mgr);
    err.mgr.error_exit = jpeg_fail;
    err.mgr.output_message = jpeg_quiet;
    if (setjmp(err.jump)) {
        jpeg_destroy_decompress(&c);
        return ps_diag_set(d, PS_ERR_INVALID, "JPEG: %s", err.msg);
    }
    jpeg_create_decompress(&c);
    jpeg_mem_src(&c, data, (unsigned long)len);
    if (jpeg_read_header(&c, TRUE) != JPEG_HEADER_OK)
        longjmp(err.jump, 1);
    if ((uint64_t)c.image_width * c.image_height > max_pixels) {
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

enum ps_err ps_qr_read(const uint8_t *data, size_t len, uint64_t max_pixels, struct ps_buf *text,
                       struct ps_diag *d)
{
    struct grey g = {0};
    enum ps_err e;
    if (max_pixels > PS_QR_READ_MAX_PIXELS)
        max_pixels = PS_QR_READ_MAX_PIXELS;
    if (len >= 8 && memcmp(data, "\x89PNG\r\n\x1a\n", 8) == 0)
        e = png_grey(data, len, max_pixels, &g, d);
    else if (len >= 3 && data[0] == 0xff && data[1] == 0xd8 && data[2] == 0xff)
        e = jpeg_grey(data, len, max_pixels, &g, d);
    else
        e = ps_diag_set(d, PS_ERR_INVALID, "neither PNG nor JPEG");
    if (e == PS_OK)
        e = scan(&g, text, d);
    free(g.px);
    return e;
}
