/* Test-only generator of PS1 material (not installed): a platform's trust list and root key,
 * a status list, server-made and offline presentations, tampered and broken payloads (one per
 * error code), and, for a holder key given in raw form, a credential and its disclosures for
 * the JavaScript holder test. Everything at FIX_NOW (2027-01-15T08:00:00Z).
 *   ps1_gen OUTDIR [HOLDER-RAW-HEX]
 * Files: root.jwk trust.json status.cwt ps1_<case>.txt [cred.hex disclosures.txt]
 *   ps1_gen --png-to-jpeg IN.png OUT.jpg     (a JPEG of a QR for `verify --image` tests) */
#include <stdio.h>
/* jpeglib.h after stdio.h */
#include <jpeglib.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "documents/cbor_write.h"
#include "documents/cose_encode.h"
#include "documents/statuslist_encode.h"
#include "verify_fixture.h"

static const char *outdir;

static void put(const char *name, const void *p, size_t n)
{
    char path[1024];
    NEED(snprintf(path, sizeof path, "%s/%s", outdir, name) < (int)sizeof path);
    FILE *f = fopen(path, "wb");
    NEED(f && fwrite(p, 1, n, f) == n && fclose(f) == 0);
}

static void put_present(const char *name, const struct ps_doc_signer *s,
                        const struct ps_doc_header *h, size_t nclaims)
{
    struct ps_buf qr;
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present(h, FIX_CLAIMS, nclaims, FIX_NOW, s, &qr) == PS_OK);
    put(name, qr.p, qr.len);
    ps_buf_reset(&qr);
}

/* The ES256 presentation with its raw CBOR edited by fn, rewrapped. */
static void put_tampered(const char *name, struct fixture *f, void (*fn)(struct ps_buf *))
{
    struct ps_doc_header h = fixture_header();
    struct ps_buf qr = {0}, raw = {0}, out = {0};
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present(&h, FIX_CLAIMS, 4, FIX_NOW, &f->es_s, &qr) == PS_OK);
    fixture_unwrap(qr.p, &raw);
    fn(&raw);
    fixture_wrap("PS1:", raw.p, raw.len, &out);
    put(name, out.p, out.len);
    ps_buf_reset(&out);
    ps_buf_reset(&raw);
    ps_buf_reset(&qr);
}

static void flip_sig(struct ps_buf *r) { r->p[r->len - 1] ^= 1; }

static void replace(struct ps_buf *r, const char *from, const char *to, size_t n)
{
    for (size_t i = 0; i + n <= r->len; i++)
        if (memcmp(r->p + i, from, n) == 0) {
            memcpy(r->p + i, to, n);
            return;
        }
    NEED(!"pattern");
}

static void alg_eddsa(struct ps_buf *r) { replace(r, "\x01\x26\x04", "\x01\x27\x04", 3); }
static void kid_unknown(struct ps_buf *r) { replace(r, "es-1", "xx-9", 4); }
/* the alg label 1 becomes crit (2) with a non-array value: a COSE header error */
static void crit_header(struct ps_buf *r) { replace(r, "\x01\x26\x04", "\x02\x26\x04", 3); }

static void broken(struct fixture *f)
{
    put("ps1_prefix.txt", "XS1:ABC", 7);
    put("ps1_base45.txt", "PS1:abc", 7);
    static uint8_t zeros[1 << 20];
    struct ps_buf out = {0};
    fixture_wrap("PS1:", zeros, sizeof zeros, &out);
    put("ps1_decompress.txt", out.p, out.len);
    static const uint8_t dup[] = {0xa2, 0x01, 0x00, 0x01, 0x00};
    fixture_wrap("PS1:", dup, sizeof dup, &out);
    put("ps1_cbor.txt", out.p, out.len);
    ps_buf_reset(&out);
    put_tampered("ps1_signature.txt", f, flip_sig);
    put_tampered("ps1_algorithm.txt", f, alg_eddsa);
    put_tampered("ps1_unknown_key.txt", f, kid_unknown);
    put_tampered("ps1_cose.txt", f, crit_header);
}

static void holder_files(struct fixture *f, const char *hex)
{
    uint8_t raw[65];
    NEED(strlen(hex) == 130);
    for (size_t i = 0; i < 65; i++)
        NEED(sscanf(hex + 2 * i, "%2hhx", &raw[i]) == 1);
    NEED(raw[0] == 4);
    struct ps_doc_header h = fixture_header();
    struct ps_doc_credential c;
    NEED(ps_doc_ps1_credential(&h, FIX_CLAIMS, 4, raw + 1, raw + 33, &f->es_s, NULL, &c) == PS_OK);
    struct ps_buf txt;
    ps_buf_init(&txt, 1 << 20);
    for (size_t i = 0; i < c.cose.len; i++)
        NEED(ps_buf_printf(&txt, "%02x", (uint8_t)c.cose.p[i]) == PS_OK);
    put("cred.hex", txt.p, txt.len);
    ps_buf_reset(&txt);
    ps_buf_init(&txt, 1 << 20);
    for (size_t d = 0; d < c.n; d++) {
        for (size_t i = c.off[d]; i < c.off[d + 1]; i++)
            NEED(ps_buf_printf(&txt, "%02x", (uint8_t)c.disc.p[i]) == PS_OK);
        NEED(ps_buf_append(&txt, "\n", 1) == PS_OK);
    }
    put("disclosures.txt", txt.p, txt.len);
    ps_buf_reset(&txt);
    ps_doc_credential_reset(&c);
}

static int png_to_jpeg(const char *in, const char *out)
{
    png_image img = {.version = PNG_IMAGE_VERSION};
    NEED(png_image_begin_read_from_file(&img, in));
    img.format = PNG_FORMAT_GRAY;
    uint8_t *px = malloc(PNG_IMAGE_SIZE(img));
    NEED(px && png_image_finish_read(&img, NULL, px, 0, NULL));
    FILE *f = fopen(out, "wb");
    NEED(f);
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = img.width;
    c.image_height = img.height;
    c.input_components = 1;
    c.in_color_space = JCS_GRAYSCALE;
    jpeg_set_defaults(&c);
    jpeg_set_quality(&c, 90, TRUE);
    jpeg_start_compress(&c, TRUE);
    while (c.next_scanline < c.image_height) {
        JSAMPROW row = px + (size_t)c.next_scanline * img.width;
        jpeg_write_scanlines(&c, &row, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    NEED(fclose(f) == 0);
    free(px);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--png-to-jpeg") == 0)
        return png_to_jpeg(argv[2], argv[3]);
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: ps1_gen OUTDIR [HOLDER-RAW-HEX]\n");
        return 2;
    }
    outdir = argv[1];
    struct fixture f;
    fixture_init(&f);
    put("root.jwk", f.root_jwk.p, f.root_jwk.len);
    put("trust.json", f.trust_json.p, f.trust_json.len);
    uint8_t vals[16] = {0};
    vals[7] = 1;
    vals[9] = 2;
    struct ps_doc_status_list sl = {.iss = "ua.mvs", .uri = "https://id.example/status/1",
                                    .iat = FIX_NOW - 60, .exp = FIX_NOW + 86400, .bits = 2,
                                    .values = vals, .n = 16};
    struct ps_buf tok;
    ps_buf_init(&tok, 1 << 20);
    NEED(ps_doc_status_list_encode(&sl, &f.es_s, &tok) == PS_OK);
    put("status.cwt", tok.p, tok.len);
    ps_buf_reset(&tok);
    struct ps_doc_header h = fixture_header();
    put_present("ps1_es256.txt", &f.es_s, &h, 4);
    h.status_uri = "https://id.example/status/1";
    h.status_idx = 3;
    put_present("ps1_status_ok.txt", &f.es_s, &h, 4);
    h.status_idx = 7;
    put_present("ps1_revoked.txt", &f.es_s, &h, 4);
    h.status_idx = 9;
    put_present("ps1_suspended.txt", &f.es_s, &h, 4);
    h = fixture_header();
    h.iss = "ua.hsc";
    h.type = "ua.driving-licence";
    put_present("ps1_eddsa.txt", &f.ed_s, &h, 2);
    h.type = "ua.passport";
    put_present("ps1_type_mismatch.txt", &f.ed_s, &h, 2);
    /* an offline presentation by the holder, and one by another key */
    uint8_t x[32], y[32];
    NEED(ps_doc_soft_key_p256(f.holder, x, y) == PS_OK);
    struct ps_doc_credential c;
    h = fixture_header();
    NEED(ps_doc_ps1_credential(&h, FIX_CLAIMS, 4, x, y, &f.es_s, NULL, &c) == PS_OK);
    size_t pick[] = {1, 3};
    struct ps_buf qr;
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present_holder(&c, pick, 2, FIX_NOW, &f.holder_s, &qr) == PS_OK);
    put("ps1_holder.txt", qr.p, qr.len);
    ps_buf_reset(&qr);
    ps_buf_init(&qr, 1 << 16);
    NEED(ps_doc_ps1_present_holder(&c, pick, 2, FIX_NOW, &f.other_holder_s, &qr) == PS_OK);
    put("ps1_holder_wrong_key.txt", qr.p, qr.len);
    ps_buf_reset(&qr);
    ps_doc_credential_reset(&c);
    broken(&f);
    if (argc == 3)
        holder_files(&f, argv[2]);
    fixture_free(&f);
    return 0;
}
