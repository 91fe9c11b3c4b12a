/* PNG writing (libpng into memory, indexed colour, fast compression: these pictures are tiny),
 * the synthetic photos, and QR codes from libqrencode as PNG or SVG. */
#include "documents/image.h"

#include <png.h>
#include <pthread.h>
#include <stdbool.h>
#include <qrencode.h>
#include <sodium.h>
#include <string.h>

#include "core/alloc.h"

#define QUIET 4
#define QR_TEXT_MAX 4096

struct png_out {
    struct ps_buf *b;
    enum ps_err err;
};

static void png_write(png_structp png, png_bytep data, size_t n)
{
    struct png_out *o = png_get_io_ptr(png);
    if (o->err == PS_OK)
        o->err = ps_buf_append(o->b, data, n);
}

static void png_flush(png_structp png)
{
    (void)png;
}

/* rows: height rows of width palette indices. */
static enum ps_err png_indexed(unsigned width, unsigned height, const png_color *pal, int npal,
                               int depth, uint8_t *const *rows, struct ps_buf *out)
{
    struct png_out o = {out, PS_OK};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, info ? &info : NULL);
        return PS_ERR_NOMEM;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return o.err != PS_OK ? o.err : PS_ERR_INTERNAL;
    }
    png_set_write_fn(png, &o, png_write, png_flush);
    png_set_compression_level(png, 1);
    png_set_IHDR(png, info, width, height, depth, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_PLTE(png, info, pal, npal);
    png_write_info(png, info);
    if (depth < 8)
        png_set_packing(png);
    png_write_rows(png, (png_bytepp)rows, height);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return o.err;
}

/* ---- photos ---- */

static const png_color skins[] = {{241, 204, 177}, {224, 172, 138}, {198, 140, 103},
                                  {250, 220, 196}};
static const png_color hairs[] = {{40, 30, 25}, {95, 60, 35}, {190, 150, 90}, {140, 60, 30},
                                  {120, 120, 120}};
static const png_color clothes[] = {{40, 70, 140}, {30, 110, 80}, {140, 40, 50},
                                    {60, 60, 70},  {200, 160, 40}};
static const png_color backs[] = {{200, 220, 240}, {225, 235, 215}, {240, 225, 205},
                                  {230, 230, 230}};
#define PICK(t, b) t[(b) % (sizeof t / sizeof t[0])]

/* 0 background, 1 skin, 2 hair, 3 clothes. h: hash bytes shaping the face. */
static uint8_t photo_pixel(int x, int y, const uint8_t h[32])
{
    int cx = 32, cy = 27, r = 12 + h[4] % 3;
    int dx = x - cx, dy = y - cy;
    int body = (x - 32) * (x - 32) * 4 + (y - 70) * (y - 70) * 3;
    if (body < 26 * 26 * 4 && y > 44)
        return 3;
    if (dx * dx + dy * dy <= (r + 2) * (r + 2) && y < cy - 4 + h[5] % 5)
        return 2;
    if (dx * dx * 10 + dy * dy * 8 <= r * r * 10)
        return 1;
    if (y >= cy + r && y < cy + r + 5 && dx > -5 && dx < 5)
        return 1; /* neck */
    return 0;
}

enum ps_err ps_doc_photo_png(struct ps_str rnokpp, struct ps_buf *out)
{
    uint8_t h[32];
    crypto_hash_sha256(h, (const unsigned char *)rnokpp.p, rnokpp.len);
    const png_color pal[4] = {PICK(backs, h[0]), PICK(skins, h[1]), PICK(hairs, h[2]),
                              PICK(clothes, h[3])};
    uint8_t px[PS_PHOTO_SIZE][PS_PHOTO_SIZE];
    uint8_t *rows[PS_PHOTO_SIZE];
    for (int y = 0; y < PS_PHOTO_SIZE; y++) {
        for (int x = 0; x < PS_PHOTO_SIZE; x++)
            px[y][x] = photo_pixel(x, y, h);
        rows[y] = px[y];
    }
    return png_indexed(PS_PHOTO_SIZE, PS_PHOTO_SIZE, pal, 4, 2, rows, out);
}

/* The photo claim is asked for every time a document with a photo is shown or shared (the
 * drawing and its compression cost ~40 us): the hashes of recent holders are kept, as a
 * photo registry would keep them next to the pictures. Direct-mapped by the RNOKPP's hash;
 * the same input always gives the same bytes, so a stale entry cannot exist. */
#define PHOTO_CACHE 4096
static struct {
    char key[16];
    uint8_t hash[32];
} photo_cache[PHOTO_CACHE];
static pthread_mutex_t photo_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t photo_slot(struct ps_str rnokpp)
{
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < rnokpp.len; i++)
        h = (h ^ (unsigned char)rnokpp.p[i]) * 1099511628211u;
    return (size_t)(h % PHOTO_CACHE);
}

enum ps_err ps_doc_photo_sha256(struct ps_str rnokpp, uint8_t out[32])
{
    size_t slot = photo_slot(rnokpp);
    bool cacheable = rnokpp.len > 0 && rnokpp.len < sizeof photo_cache[0].key;
    bool hit = false;
    pthread_mutex_lock(&photo_lock);
    if (cacheable && strlen(photo_cache[slot].key) == rnokpp.len &&
        memcmp(photo_cache[slot].key, rnokpp.p, rnokpp.len) == 0) {
        memcpy(out, photo_cache[slot].hash, 32);
        hit = true;
    }
    pthread_mutex_unlock(&photo_lock);
    if (hit)
        return PS_OK;
    struct ps_buf b;
    ps_buf_init(&b, 64u << 10);
    enum ps_err e = ps_doc_photo_png(rnokpp, &b);
    if (e == PS_OK)
        crypto_hash_sha256(out, (const unsigned char *)b.p, b.len);
    ps_buf_reset(&b);
    if (e == PS_OK && cacheable) {
        pthread_mutex_lock(&photo_lock);
        memset(photo_cache[slot].key, 0, sizeof photo_cache[slot].key);
        memcpy(photo_cache[slot].key, rnokpp.p, rnokpp.len);
        memcpy(photo_cache[slot].hash, out, 32);
        pthread_mutex_unlock(&photo_lock);
    }
    return e;
}

/* ---- QR ---- */

static enum ps_err encode(struct ps_str text, QRcode **out)
{
    char buf[QR_TEXT_MAX + 1];
    if (text.len == 0 || text.len > QR_TEXT_MAX || memchr(text.p, '\0', text.len))
        return PS_ERR_INVALID;
    memcpy(buf, text.p, text.len);
    buf[text.len] = '\0';
    *out = QRcode_encodeString(buf, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    return *out ? PS_OK : PS_ERR_INVALID; /* ERANGE: too long for a QR code */
}

enum ps_err ps_doc_qr_modules(struct ps_str text, uint8_t **modules, unsigned *width)
{
    QRcode *qr = NULL;
    enum ps_err e = encode(text, &qr);
    if (e != PS_OK)
        return e;
    size_t n = (size_t)qr->width * (size_t)qr->width;
    uint8_t *m = ps_malloc(n);
    if (m) {
        for (size_t i = 0; i < n; i++)
            m[i] = qr->data[i] & 1;
        *modules = m;
        *width = (unsigned)qr->width;
    }
    QRcode_free(qr);
    return m ? PS_OK : PS_ERR_NOMEM;
}

enum ps_err ps_doc_qr_png(struct ps_str text, unsigned scale, struct ps_buf *out)
{
    if (scale < 1 || scale > 16)
        return PS_ERR_INVALID;
    uint8_t *m = NULL;
    unsigned w = 0;
    enum ps_err e = ps_doc_qr_modules(text, &m, &w);
    if (e != PS_OK)
        return e;
    unsigned side = (w + 2 * QUIET) * scale;
    uint8_t *px = ps_malloc((size_t)side * side);
    uint8_t **rows = ps_alloc_array(side, sizeof *rows);
    if (px && rows) {
        for (unsigned y = 0; y < side; y++) {
            rows[y] = px + (size_t)y * side;
            for (unsigned x = 0; x < side; x++) {
                int mx = (int)(x / scale) - QUIET, my = (int)(y / scale) - QUIET;
                bool in = mx >= 0 && my >= 0 && mx < (int)w && my < (int)w;
                rows[y][x] = in && m[(size_t)my * w + (size_t)mx] ? 0 : 1;
            }
        }
        static const png_color bw[2] = {{0, 0, 0}, {255, 255, 255}};
        e = png_indexed(side, side, bw, 2, 1, rows, out);
    } else {
        e = PS_ERR_NOMEM;
    }
    ps_free(rows);
    ps_free(px);
    ps_free(m);
    return e;
}

enum ps_err ps_doc_qr_svg(struct ps_str text, struct ps_buf *out)
{
    uint8_t *m = NULL;
    unsigned w = 0;
    enum ps_err e = ps_doc_qr_modules(text, &m, &w);
    if (e != PS_OK)
        return e;
    unsigned side = w + 2 * QUIET;
    e = ps_buf_printf(out,
                      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %u %u\" "
                      "shape-rendering=\"crispEdges\"><rect width=\"%u\" height=\"%u\" "
                      "fill=\"#fff\"/><path fill=\"#000\" d=\"",
                      side, side, side, side);
    for (unsigned y = 0; y < w && e == PS_OK; y++) {
        for (unsigned x = 0; x < w && e == PS_OK; x++) {
            if (!m[(size_t)y * w + x])
                continue;
            unsigned run = 1; /* dark modules in a row: one rectangle */
            while (x + run < w && m[(size_t)y * w + x + run])
                run++;
            e = ps_buf_printf(out, "M%u %uh%uv1h-%uz", x + QUIET, y + QUIET, run, run);
            x += run - 1;
        }
    }
    if (e == PS_OK)
        e = ps_buf_append_cstr(out, "\"/></svg>\n");
    ps_free(m);
    return e;
}
