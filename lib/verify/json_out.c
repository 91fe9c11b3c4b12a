/* Renders a decoded CBOR item as JSON text for callers that want the claims as JSON (the
 * CLI's --json): two passes over the tree, the first measuring, the second writing into one
 * allocation from the budgeted arena. Invalid UTF-8 in text becomes U+FFFD. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "psv_int.h"

struct w {
    char *p; /* NULL in the measuring pass */
    size_t len;
};

static void put(struct w *w, const char *s, size_t n)
{
    if (w->p)
        memcpy(w->p + w->len, s, n);
    w->len += n;
}

static void putc1(struct w *w, char c) { put(w, &c, 1); }

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t k;
    uint32_t min, cp;
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) { k = 2; min = 0x80; cp = c & 0x1f; }
    else if ((c & 0xf0) == 0xe0) { k = 3; min = 0x800; cp = c & 0x0f; }
    else if ((c & 0xf8) == 0xf0) { k = 4; min = 0x10000; cp = c & 0x07; }
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return k;
}

static void put_string(struct w *w, const uint8_t *s, size_t n)
{
    putc1(w, '"');
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            putc1(w, '\\');
            putc1(w, (char)c);
            i++;
        } else if (c < 0x20) {
            char esc[8];
            int k = snprintf(esc, sizeof esc, "\\u%04x", c);
            put(w, esc, (size_t)k);
            i++;
        } else {
            size_t k = utf8_len(s + i, n - i);
            if (k == 0) {
                put(w, "\xef\xbf\xbd", 3);
                i++;
            } else {
                put(w, (const char *)s + i, k);
                i += k;
            }
        }
    }
    putc1(w, '"');
}

static void put_b64url(struct w *w, const uint8_t *s, size_t n)
{
    char chunk[68]; /* 48 bytes -> 64 chars */
    putc1(w, '"');
    for (size_t i = 0; i < n; i += 48) {
        size_t k = n - i < 48 ? n - i : 48;
        size_t o = psv_b64url_encode(s + i, k, chunk, sizeof chunk);
        put(w, chunk, o);
    }
    putc1(w, '"');
}

static void put_number(struct w *w, const struct psv_item *it)
{
    char num[40];
    int k;
    if (it->type == PSV_ITEM_UINT)
        k = snprintf(num, sizeof num, "%llu", (unsigned long long)it->u);
    else if (it->type == PSV_ITEM_NINT)
        k = it->u == UINT64_MAX ? snprintf(num, sizeof num, "-18446744073709551616")
                                : snprintf(num, sizeof num, "-%llu", (unsigned long long)it->u + 1);
    else if (isfinite(it->f))
        k = snprintf(num, sizeof num, "%.17g", it->f);
    else
        k = snprintf(num, sizeof num, "null");
    put(w, num, k > 0 && (size_t)k < sizeof num ? (size_t)k : 0);
}

static void put_item(struct w *w, const struct psv_item *it);

static void put_key(struct w *w, const struct psv_item *k)
{
    if (k->type == PSV_ITEM_TEXT) {
        put_string(w, k->p, k->len);
    } else if (k->type == PSV_ITEM_UINT || k->type == PSV_ITEM_NINT) {
        putc1(w, '"');
        put_number(w, k);
        putc1(w, '"');
    } else if (k->type == PSV_ITEM_BYTES) {
        put_b64url(w, k->p, k->len);
    } else { /* other key types have no JSON name: documented as "?" */
        put_string(w, (const uint8_t *)"?", 1);
    }
}

static void put_item(struct w *w, const struct psv_item *it)
{
    switch (it->type) {
    case PSV_ITEM_UINT: case PSV_ITEM_NINT: case PSV_ITEM_FLOAT: put_number(w, it); break;
    case PSV_ITEM_BYTES: put_b64url(w, it->p, it->len); break;
    case PSV_ITEM_TEXT: put_string(w, it->p, it->len); break;
    case PSV_ITEM_FALSE: put(w, "false", 5); break;
    case PSV_ITEM_TRUE: put(w, "true", 4); break;
    case PSV_ITEM_NULL: case PSV_ITEM_UNDEFINED: case PSV_ITEM_SIMPLE: put(w, "null", 4); break;
    case PSV_ITEM_ARRAY:
        putc1(w, '[');
        for (const struct psv_item *c = it->child; c; c = c->next) {
            put_item(w, c);
            if (c->next)
                putc1(w, ',');
        }
        putc1(w, ']');
        break;
    case PSV_ITEM_MAP:
        putc1(w, '{');
        for (const struct psv_item *k = it->child; k && k->next; k = k->next->next) {
            put_key(w, k);
            putc1(w, ':');
            put_item(w, k->next);
            if (k->next->next)
                putc1(w, ',');
        }
        putc1(w, '}');
        break;
    }
}

enum psv_error psv_item_json(struct psv_mem *m, const struct psv_item *it, char **out,
                             size_t *out_len, struct psv_diag *d)
{
    struct w w = {NULL, 0};
    put_item(&w, it);
    char *buf = psv_alloc(m, w.len + 1);
    if (!buf)
        return psv_fail(d, PSV_E_CBOR, "memory budget exceeded (claims JSON)");
    size_t measured = w.len;
    w = (struct w){buf, 0};
    put_item(&w, it);
    if (w.len != measured)
        return psv_fail(d, PSV_E_CBOR, "internal: JSON length changed");
    buf[w.len] = '\0';
    *out = buf;
    *out_len = w.len;
    return PSV_OK;
}
