/* The paper copy: an A4 PDF (libharu) with the document's name, its claims by the sections of
 * its layout, each labelled in Ukrainian and English, the holder's photo when the type shows
 * one, and a QR code of the document's public status URL (a verifier scans it and sees
 * whether the document is still in force). The Cyrillic TrueType font is Debian's DejaVu
 * Sans, embedded (subset by libharu) so the file reads anywhere. */
#include <hpdf.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "documents/claims.h"
#include "documents/docs_int.h"
#include "documents/image.h"

#define A4_W 595.0f
#define A4_H 842.0f
#define MARGIN 50.0f
#define LABEL_W 210.0f
#define LINE 15.0f

struct pdf {
    HPDF_Doc doc;
    HPDF_Page page;
    HPDF_Font font;
    float y;
    unsigned long error; /* libharu's first error code */
};

static void on_error(HPDF_STATUS code, HPDF_STATUS detail, void *ctx)
{
    struct pdf *p = ctx;
    (void)detail;
    if (!p->error)
        p->error = code;
}

static void text_at(struct pdf *p, float x, float y, float size, const char *s)
{
    HPDF_Page_BeginText(p->page);
    HPDF_Page_SetFontAndSize(p->page, p->font, size);
    HPDF_Page_TextOut(p->page, x, y, s);
    HPDF_Page_EndText(p->page);
}

/* s in the box [x, x + w], from p->y down; returns the lines used (at least 1). */
static int text_box(struct pdf *p, float x, float w, float size, const char *s)
{
    HPDF_UINT len = 0;
    float top = p->y + size;
    HPDF_Page_BeginText(p->page);
    HPDF_Page_SetFontAndSize(p->page, p->font, size);
    HPDF_Page_TextRect(p->page, x, top, x + w, top - 4 * (size + 3), s, HPDF_TALIGN_LEFT, &len);
    HPDF_Page_EndText(p->page);
    int lines = (int)(HPDF_Page_TextWidth(p->page, s) / w) + 1;
    return lines > 4 ? 4 : lines;
}

static void new_page_if_needed(struct pdf *p, float need)
{
    if (p->y - need > MARGIN + 40)
        return;
    p->page = HPDF_AddPage(p->doc);
    HPDF_Page_SetSize(p->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    p->y = A4_H - MARGIN;
}

/* A claim's value as text. */
static void value_text(const struct ps_doc_claim *c, char *out, size_t cap)
{
    switch (c->type) {
    case PS_DOC_TEXT: snprintf(out, cap, "%s", c->text ? c->text : ""); return;
    case PS_DOC_INT: snprintf(out, cap, "%lld", (long long)c->i); return;
    case PS_DOC_BOOL: snprintf(out, cap, "%s", c->b ? "так / yes" : "ні / no"); return;
    case PS_DOC_BYTES: break;
    }
    size_t n = 0;
    for (size_t i = 0; i < c->len && n + 3 < cap; i++)
        n += (size_t)snprintf(out + n, cap - n, "%02x", c->bytes[i]);
    out[n] = '\0';
}

static void claims(struct pdf *p, const struct ps_doc_view *v)
{
    const struct ps_doctype *t = v->doc.type;
    char val[1200], label[600];
    for (size_t s = 0; s < t->nsections; s++) {
        const struct ps_doctype_section *sec = &t->sections[s];
        new_page_if_needed(p, 60);
        p->y -= 10;
        snprintf(label, sizeof label, "%s / %s", sec->title.uk, sec->title.en);
        text_at(p, MARGIN, p->y, 12, label);
        p->y -= LINE + 4;
        for (size_t k = 0; k < sec->n; k++) {
            const struct ps_doctype_claim *c = &t->claims[sec->claims[k]];
            new_page_if_needed(p, 40);
            text_at(p, MARGIN, p->y, 9, c->label.uk);
            text_at(p, MARGIN, p->y - 10, 7, c->label.en);
            value_text(&v->claims[sec->claims[k]], val, sizeof val);
            int lines = text_box(p, MARGIN + LABEL_W, A4_W - 2 * MARGIN - LABEL_W, 10,
                                 val[0] ? val : "—");
            p->y -= (float)(lines > 1 ? lines : 2) * 12.0f + 4;
        }
    }
}

static void photo(struct pdf *p, const struct ps_doc_view *v)
{
    struct ps_buf png;
    ps_buf_init(&png, 64u << 10);
    if (ps_doc_photo_png(v->doc.holder, &png) == PS_OK) {
        HPDF_Image img = HPDF_LoadPngImageFromMem(p->doc, (const HPDF_BYTE *)png.p,
                                                  (HPDF_UINT)png.len);
        if (img)
            HPDF_Page_DrawImage(p->page, img, A4_W - MARGIN - 90, A4_H - MARGIN - 110, 90, 90);
    }
    ps_buf_reset(&png);
}

/* The QR of text at (x, y) bottom-left, side points wide. */
static void qr(struct pdf *p, const char *text, float x, float y, float side)
{
    uint8_t *m = NULL;
    unsigned w = 0;
    if (ps_doc_qr_modules(ps_str_from_cstr(text), &m, &w) != PS_OK)
        return;
    float cell = side / (float)w;
    HPDF_Page_SetRGBFill(p->page, 0, 0, 0);
    for (unsigned r = 0; r < w; r++) {
        for (unsigned c = 0; c < w; c++) {
            if (m[(size_t)r * w + c])
                HPDF_Page_Rectangle(p->page, x + (float)c * cell,
                                    y + side - (float)(r + 1) * cell, cell, cell);
        }
    }
    HPDF_Page_Fill(p->page);
    ps_free(m);
}

static void header(struct pdf *p, const struct ps_docs *d, const struct ps_doc_view *v,
                   int64_t now_ms, char *url, size_t cap)
{
    const struct ps_doctype *t = v->doc.type;
    char line[400], issued[11], expires[11], printed[11];
    ps_doc_date_of(v->doc.issued_at_ms, issued);
    ps_doc_date_of(v->doc.expires_at_ms, expires);
    ps_doc_date_of(now_ms, printed);
    p->y = A4_H - MARGIN - 10;
    text_at(p, MARGIN, p->y, 18, t->name.uk);
    p->y -= 20;
    text_at(p, MARGIN, p->y, 12, t->name.en);
    p->y -= 22;
    snprintf(line, sizeof line, "Документ / Document: %s", v->doc.id);
    text_at(p, MARGIN, p->y, 9, line);
    p->y -= 13;
    snprintf(line, sizeof line, "Видано / Issued: %s   Дійсний до / Valid until: %s", issued,
             expires);
    text_at(p, MARGIN, p->y, 9, line);
    p->y -= 13;
    snprintf(line, sizeof line, "Статус / Status: %s   Роздруковано / Printed: %s",
             ps_doc_status_name(v->doc.status), printed);
    text_at(p, MARGIN, p->y, 9, line);
    p->y -= 30;
    snprintf(url, cap, "%s/api/v1/documents/%s/status", d->public_url, v->doc.id);
}

static void footer(struct pdf *p, const char *url)
{
    float side = 110;
    new_page_if_needed(p, side + 30); /* the code and its words below the claims */
    qr(p, url, A4_W - MARGIN - side, MARGIN, side);
    text_at(p, MARGIN, MARGIN + 60, 9, "Перевірити чинність документа: відскануйте QR-код або");
    text_at(p, MARGIN, MARGIN + 48, 9, "To check that this document is in force, scan the code or");
    text_at(p, MARGIN, MARGIN + 36, 7, url);
}

static enum ps_err save(struct pdf *p, struct ps_buf *out)
{
    if (HPDF_SaveToStream(p->doc) != HPDF_OK || p->error)
        return PS_ERR_INTERNAL;
    HPDF_UINT32 size = HPDF_GetStreamSize(p->doc);
    HPDF_ResetStream(p->doc);
    enum ps_err e = PS_OK;
    while (size > 0 && e == PS_OK) {
        HPDF_BYTE buf[8192];
        HPDF_UINT32 n = size < sizeof buf ? size : sizeof buf;
        if (HPDF_ReadFromStream(p->doc, buf, &n) > HPDF_STREAM_EOF || n == 0)
            return PS_ERR_INTERNAL;
        e = ps_buf_append(out, buf, n);
        size -= n;
    }
    return e;
}

enum ps_err ps_docs_pdf(const struct ps_docs *d, const struct ps_doc_view *v, int64_t now_ms,
                        struct ps_buf *out, struct ps_diag *diag)
{
    if (!v->doc.type || v->n != v->doc.type->nclaims)
        return ps_diag_set(diag, PS_ERR_INVALID, "document %s has no claims", v->doc.id);
    FILE *f = fopen(PS_DOCS_FONT, "rb");
    if (!f)
        return ps_diag_set(diag, PS_ERR_IO, "%s is missing (Debian: fonts-dejavu-core)",
                           PS_DOCS_FONT);
    fclose(f);
    struct pdf p = {0};
    char url[600];
    p.doc = HPDF_New(on_error, &p);
    if (!p.doc)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    HPDF_SetCompressionMode(p.doc, HPDF_COMP_ALL);
    HPDF_UseUTFEncodings(p.doc);
    HPDF_SetCurrentEncoder(p.doc, "UTF-8");
    const char *name = HPDF_LoadTTFontFromFile(p.doc, PS_DOCS_FONT, HPDF_TRUE);
    p.font = name ? HPDF_GetFont(p.doc, name, "UTF-8") : NULL;
    enum ps_err e = PS_ERR_INTERNAL;
    if (p.font) {
        HPDF_SetInfoAttr(p.doc, HPDF_INFO_CREATOR, "PocketState");
        p.page = HPDF_AddPage(p.doc);
        HPDF_Page_SetSize(p.page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
        header(&p, d, v, now_ms, url, sizeof url);
        if (v->doc.type->photo)
            photo(&p, v);
        claims(&p, v);
        footer(&p, url);
        e = save(&p, out);
    }
    if (e != PS_OK)
        ps_diag_set(diag, e, "making the PDF (libharu error 0x%lx)", p.error);
    HPDF_Free(p.doc);
    return e;
}
