/* The 2010 Ukrainian-Latin table as data, and the few positional rules around it. The input
 * is decoded from UTF-8 one code point at a time; each Ukrainian letter knows its lower and
 * upper code point and its Latin forms inside and at the start of a word. */
#include "registries/translit.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/alloc.h"

struct letter {
    uint32_t lower, upper;
    const char *latin;   /* inside a word */
    const char *initial; /* at the start of a word */
};

/* Resolution 55 of 27.01.2010, in alphabet order. */
static const struct letter letters[] = {
    {0x0430, 0x0410, "a", "a"},       {0x0431, 0x0411, "b", "b"},
    {0x0432, 0x0412, "v", "v"},       {0x0433, 0x0413, "h", "h"},
    {0x0491, 0x0490, "g", "g"},       {0x0434, 0x0414, "d", "d"},
    {0x0435, 0x0415, "e", "e"},       {0x0454, 0x0404, "ie", "ye"},
    {0x0436, 0x0416, "zh", "zh"},     {0x0437, 0x0417, "z", "z"},
    {0x0438, 0x0418, "y", "y"},       {0x0456, 0x0406, "i", "i"},
    {0x0457, 0x0407, "i", "yi"},      {0x0439, 0x0419, "i", "y"},
    {0x043A, 0x041A, "k", "k"},       {0x043B, 0x041B, "l", "l"},
    {0x043C, 0x041C, "m", "m"},       {0x043D, 0x041D, "n", "n"},
    {0x043E, 0x041E, "o", "o"},       {0x043F, 0x041F, "p", "p"},
    {0x0440, 0x0420, "r", "r"},       {0x0441, 0x0421, "s", "s"},
    {0x0442, 0x0422, "t", "t"},       {0x0443, 0x0423, "u", "u"},
    {0x0444, 0x0424, "f", "f"},       {0x0445, 0x0425, "kh", "kh"},
    {0x0446, 0x0426, "ts", "ts"},     {0x0447, 0x0427, "ch", "ch"},
    {0x0448, 0x0428, "sh", "sh"},     {0x0449, 0x0429, "shch", "shch"},
    {0x044C, 0x042C, "", ""},         {0x044E, 0x042E, "iu", "yu"},
    {0x044F, 0x042F, "ia", "ya"},
};

#define LETTER_G 0x0433u
#define LETTER_Z 0x0437u

static bool is_apostrophe(uint32_t c)
{
    return c == 0x27 || c == 0x02BC || c == 0x2019;
}

/* Decodes one code point at s[*i]; false for invalid UTF-8 (overlong, surrogate, > 0x10FFFF). */
static bool utf8_next(struct ps_str s, size_t *i, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s.p + *i;
    size_t left = s.len - *i;
    uint32_t c = p[0];
    size_t n;
    uint32_t min;
    if (c < 0x80) {
        n = 1, min = 0;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, min = 0x10000, c &= 0x07;
    } else {
        return false;
    }
    if (n > left)
        return false;
    for (size_t k = 1; k < n; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return false;
        c = (c << 6) | (p[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return false;
    *cp = c;
    *i += n;
    return true;
}

/* Every Ukrainian letter is in U+0400..U+04FF: a table of that block gives each code point's
 * letter (index + 1, 0: none) at once; built from letters[] on first use. Transliteration
 * runs on every page that shows an address, several lookups a character. */
#define CYRILLIC_FIRST 0x0400u
#define CYRILLIC_COUNT 0x100u

static unsigned char block[CYRILLIC_COUNT];
static pthread_once_t block_once = PTHREAD_ONCE_INIT;

static void block_build(void)
{
    for (size_t k = 0; k < sizeof letters / sizeof letters[0]; k++) {
        block[letters[k].lower - CYRILLIC_FIRST] = (unsigned char)(k + 1);
        block[letters[k].upper - CYRILLIC_FIRST] = (unsigned char)(k + 1);
    }
}

/* The letter for cp, and whether cp is its capital; NULL when cp is no Ukrainian letter. */
static const struct letter *find_letter(uint32_t cp, bool *upper)
{
    if (cp < CYRILLIC_FIRST || cp - CYRILLIC_FIRST >= CYRILLIC_COUNT)
        return NULL;
    pthread_once(&block_once, block_build);
    unsigned k = block[cp - CYRILLIC_FIRST];
    if (!k)
        return NULL;
    *upper = letters[k - 1].upper == cp;
    return &letters[k - 1];
}

static bool is_upper_letter(uint32_t cp)
{
    bool up = false;
    if (cp >= 'A' && cp <= 'Z')
        return true;
    return find_letter(cp, &up) && up;
}

static bool is_word_char(uint32_t cp)
{
    bool up;
    return (cp >= 'A' && cp <= 'Z') || (cp >= 'a' && cp <= 'z') || is_apostrophe(cp) ||
           find_letter(cp, &up);
}

struct out {
    char *p;
    size_t cap, len;
};

static bool put(struct out *o, const char *s, size_t n, int caps)
{
    /* caps: 0 lower, 1 first capital, 2 all capitals */
    if (n >= o->cap - o->len)
        return false;
    for (size_t k = 0; k < n; k++) {
        char c = s[k];
        if (caps == 2 || (caps == 1 && k == 0))
            c = (char)(c - 'a' + 'A');
        o->p[o->len++] = c;
    }
    o->p[o->len] = '\0';
    return true;
}

/* Whether a capital at this position starts an all-capitals word: the next code point is a
 * capital, or there is no next letter and the previous one was a capital. */
static bool all_caps_here(struct ps_str in, size_t next, uint32_t prev)
{
    size_t i = next;
    uint32_t cp;
    if (i < in.len && utf8_next(in, &i, &cp) && is_word_char(cp) && !is_apostrophe(cp))
        return is_upper_letter(cp);
    return is_upper_letter(prev);
}

enum ps_err ps_translit(struct ps_str in, char *out, size_t cap, size_t *out_len,
                        struct ps_diag *diag)
{
    if (cap == 0)
        return ps_diag_set(diag, PS_ERR_LIMIT, "transliteration buffer too small");
    struct out o = {out, cap, 0};
    out[0] = '\0';
    uint32_t prev = 0; /* previous code point, 0 at the start */
    size_t i = 0;
    while (i < in.len) {
        size_t at = i;
        uint32_t cp;
        if (!utf8_next(in, &i, &cp))
            return ps_diag_set(diag, PS_ERR_INVALID, "invalid UTF-8 at byte %zu", at);
        bool upper = false;
        const struct letter *l = find_letter(cp, &upper);
        if (l) {
            bool initial = !is_word_char(prev);
            const char *lat = initial ? l->initial : l->latin;
            if (l->lower == LETTER_G && (prev == LETTER_Z || prev == LETTER_Z - 0x20))
                lat = "gh";
            int caps = upper ? (all_caps_here(in, i, prev) ? 2 : 1) : 0;
            if (!put(&o, lat, strlen(lat), caps))
                return ps_diag_set(diag, PS_ERR_LIMIT, "transliteration buffer too small");
        } else if (is_apostrophe(cp)) {
            /* not reproduced */
        } else if (cp < 0x80) {
            char c = (char)cp;
            if (!put(&o, &c, 1, 0))
                return ps_diag_set(diag, PS_ERR_LIMIT, "transliteration buffer too small");
        } else {
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "character U+%04X at byte %zu is not in the Ukrainian alphabet",
                               (unsigned)cp, at);
        }
        prev = cp;
    }
    if (out_len)
        *out_len = o.len;
    return PS_OK;
}

enum ps_err ps_translit_arena(struct ps_arena *arena, struct ps_str in, struct ps_str *out,
                              struct ps_diag *diag)
{
    size_t cap;
    if (!ps_size_mul(in.len, 2, &cap) || !ps_size_add(cap, 1, &cap))
        return ps_diag_set(diag, PS_ERR_LIMIT, "text too long to transliterate");
    char *p = ps_arena_alloc(arena, cap);
    if (!p)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    size_t n = 0;
    enum ps_err e = ps_translit(in, p, cap, &n, diag);
    if (e != PS_OK)
        return e;
    *out = (struct ps_str){p, n};
    return PS_OK;
}
