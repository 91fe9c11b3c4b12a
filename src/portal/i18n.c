/* Languages and messages: lookups in the generated catalog table (binary search by msgid),
 * the plural rules of the catalogs' Plural-Forms headers, request language negotiation, and
 * numbers, dates and times in each language's conventions. The date formats are messages
 * (po/uk.po, po/en.po), so that translators decide the order and the grammatical case of month names. */
#include "portal/i18n.h"

#include <stdio.h>
#include <string.h>

#define ACCEPT_MAX_ITEMS 32
/* Moments ps_i18n_time writes: 0001-01-01 to 9999-12-31 (what struct ps_date holds). */
#define TIME_MIN (-62135596800LL)
#define TIME_MAX 253402300799LL

static const struct {
    const char *code, *name;
    const char *group;   /* digit group separator */
    unsigned min_group;  /* digits from which numbers are grouped */
} langs[PS_LANG_COUNT] = {
    [PS_LANG_UK] = {"uk", "Українська", "\xC2\xA0", 5},
    [PS_LANG_EN] = {"en", "English", ",", 4},
};

/* Dates: one message per month, in the order of the calendar. */
static const char *const month_formats[12] = {
    N_("{day} January {year}"), N_("{day} February {year}"), N_("{day} March {year}"),
    N_("{day} April {year}"),   N_("{day} May {year}"),      N_("{day} June {year}"),
    N_("{day} July {year}"),    N_("{day} August {year}"),   N_("{day} September {year}"),
    N_("{day} October {year}"), N_("{day} November {year}"), N_("{day} December {year}"),
};

const char *ps_lang_code(enum ps_lang lang)
{
    return langs[lang < PS_LANG_COUNT ? lang : PS_LANG_DEFAULT].code;
}

const char *ps_lang_name(enum ps_lang lang)
{
    return langs[lang < PS_LANG_COUNT ? lang : PS_LANG_DEFAULT].name;
}

bool ps_lang_parse(struct ps_str s, enum ps_lang *out)
{
    for (int l = 0; l < PS_LANG_COUNT; l++) {
        if (ps_str_eq_nocase(s, ps_str_from_cstr(langs[l].code))) {
            *out = (enum ps_lang)l;
            return true;
        }
    }
    return false;
}

/* ---- Accept-Language ---- */

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static struct ps_str trim(struct ps_str s)
{
    while (s.len && (s.p[0] == ' ' || s.p[0] == '\t'))
        s.p++, s.len--;
    while (s.len && (s.p[s.len - 1] == ' ' || s.p[s.len - 1] == '\t'))
        s.len--;
    return s;
}

/* qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ), in thousandths; -1 if bad. */
static int qvalue(struct ps_str s)
{
    if (s.len == 0 || s.len > 5 || (s.p[0] != '0' && s.p[0] != '1'))
        return -1;
    int q = (s.p[0] - '0') * 1000, scale = 100;
    if (s.len > 1 && s.p[1] != '.')
        return -1;
    for (size_t i = 2; i < s.len; i++, scale /= 10) {
        if (s.p[i] < '0' || s.p[i] > '9')
            return -1;
        q += (s.p[i] - '0') * scale;
    }
    return q > 1000 ? -1 : q;
}

/* One item "range[;q=v]": its language (or the default for "*") and q; false if malformed or
 * not a supported language. */
static bool accept_item(struct ps_str item, enum ps_lang *lang, int *q)
{
    const char *semi = memchr(item.p, ';', item.len);
    struct ps_str range = trim((struct ps_str){item.p, semi ? (size_t)(semi - item.p) : item.len});
    *q = 1000;
    if (semi) {
        struct ps_str param = trim((struct ps_str){semi + 1, item.len - (size_t)(semi + 1 - item.p)});
        if (param.len < 2 || (param.p[0] != 'q' && param.p[0] != 'Q') || param.p[1] != '=')
            return false;
        *q = qvalue((struct ps_str){param.p + 2, param.len - 2});
        if (*q < 0)
            return false;
    }
    if (range.len == 1 && range.p[0] == '*') {
        *lang = PS_LANG_DEFAULT;
        return true;
    }
    size_t n = 0;
    while (n < range.len && is_alpha(range.p[n]))
        n++;
    if (n == 0 || n > 8 || (n < range.len && range.p[n] != '-'))
        return false;
    return ps_lang_parse((struct ps_str){range.p, n}, lang);
}

enum ps_lang ps_lang_negotiate(struct ps_str header)
{
    enum ps_lang best = PS_LANG_DEFAULT;
    int best_q = 0;
    size_t i = 0, items = 0;
    while (header.p && i < header.len && items < ACCEPT_MAX_ITEMS) {
        const char *comma = memchr(header.p + i, ',', header.len - i);
        size_t end = comma ? (size_t)(comma - header.p) : header.len;
        enum ps_lang l;
        int q;
        if (accept_item((struct ps_str){header.p + i, end - i}, &l, &q) && q > best_q) {
            best = l;
            best_q = q;
        }
        items++;
        i = end + 1;
    }
    return best;
}

bool ps_lang_cookie(struct ps_str header, enum ps_lang *out)
{
    size_t i = 0;
    while (header.p && i < header.len) {
        const char *semi = memchr(header.p + i, ';', header.len - i);
        size_t end = semi ? (size_t)(semi - header.p) : header.len;
        struct ps_str pair = trim((struct ps_str){header.p + i, end - i});
        const char *eq = memchr(pair.p, '=', pair.len);
        if (eq && ps_str_eq(trim((struct ps_str){pair.p, (size_t)(eq - pair.p)}), PS_STR("lang")))
            return ps_lang_parse(trim((struct ps_str){eq + 1, pair.len - (size_t)(eq + 1 - pair.p)}),
                                 out);
        i = end + 1;
    }
    return false;
}

/* ---- messages ---- */

static const struct ps_i18n_msg *find(const char *msgid)
{
    size_t lo = 0, hi = ps_i18n_nmsgs;
    while (msgid && lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ps_i18n_msgs[mid].id, msgid);
        if (c == 0)
            return &ps_i18n_msgs[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const char *ps_i18n(enum ps_lang lang, const char *msgid)
{
    const struct ps_i18n_msg *m = find(msgid);
    const char *s = m && lang < PS_LANG_COUNT ? m->str[lang][0] : NULL;
    return s ? s : msgid;
}

unsigned ps_i18n_plural_form(enum ps_lang lang, uint64_t n)
{
    if (lang == PS_LANG_UK) {
        if (n % 10 == 1 && n % 100 != 11)
            return 0;
        if (n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20))
            return 1;
        return 2;
    }
    return n != 1;
}

const char *ps_i18n_n(enum ps_lang lang, const char *msgid, const char *plural, uint64_t n)
{
    const struct ps_i18n_msg *m = find(msgid);
    unsigned form = ps_i18n_plural_form(lang, n);
    const char *s = m && lang < PS_LANG_COUNT ? m->str[lang][form] : NULL;
    if (s)
        return s;
    return n == 1 ? msgid : plural;
}

/* Writes text with its placeholders filled to out (cap bytes with the NUL) and returns the
 * length; cap when it does not fit (out is then cut). out NULL: only measures. */
static size_t fill(char *out, size_t cap, const char *text, const struct ps_i18n_arg *args,
                   size_t nargs)
{
    size_t n = 0;
    for (const char *p = text; *p;) {
        struct ps_str piece = {p, 1};
        size_t adv = 1;
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        for (size_t a = 0; close && a < nargs; a++) {
            if (ps_str_eq((struct ps_str){p + 1, (size_t)(close - p - 1)},
                          ps_str_from_cstr(args[a].name))) {
                piece = args[a].value;
                adv = (size_t)(close + 1 - p);
                break;
            }
        }
        if (out) {
            if (n + piece.len >= cap)
                return cap;
            memcpy(out + n, piece.p, piece.len);
        }
        n += piece.len; /* values are bounded by the arena: no overflow */
        p += adv;
    }
    if (out)
        out[n] = '\0';
    return n;
}

struct ps_str ps_i18n_fill(struct ps_arena *a, const char *text, const struct ps_i18n_arg *args,
                           size_t nargs)
{
    size_t len = fill(NULL, 0, text, args, nargs);
    char *out = len < SIZE_MAX ? ps_arena_alloc(a, len + 1) : NULL;
    if (!out)
        return PS_STR_NULL;
    return (struct ps_str){out, fill(out, len + 1, text, args, nargs)};
}

/* ---- numbers, dates, times ---- */

size_t ps_i18n_num(enum ps_lang lang, uint64_t n, char out[PS_I18N_NUM_MAX])
{
    char digits[24];
    int len = snprintf(digits, sizeof digits, "%llu", (unsigned long long)n);
    if (lang >= PS_LANG_COUNT)
        lang = PS_LANG_DEFAULT;
    const char *sep = langs[lang].group;
    size_t seplen = strlen(sep), o = 0;
    bool group = len >= (int)langs[lang].min_group;
    for (int i = 0; i < len; i++) {
        if (group && i > 0 && (len - i) % 3 == 0) {
            memcpy(out + o, sep, seplen);
            o += seplen;
        }
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return o;
}

size_t ps_i18n_date(enum ps_lang lang, struct ps_date d, char out[PS_I18N_DATE_MAX])
{
    char day[4], year[8];
    out[0] = '\0';
    if (!ps_date_valid(d))
        return 0;
    if (snprintf(day, sizeof day, "%d", d.day) >= (int)sizeof day ||
        snprintf(year, sizeof year, "%d", d.year) >= (int)sizeof year)
        return 0;
    struct ps_i18n_arg args[] = {{"day", ps_str_from_cstr(day)}, {"year", ps_str_from_cstr(year)}};
    size_t n = fill(out, PS_I18N_DATE_MAX, ps_i18n(lang, month_formats[d.month - 1]), args, 2);
    if (n >= PS_I18N_DATE_MAX) {
        out[0] = '\0';
        return 0;
    }
    return n;
}

size_t ps_i18n_time(enum ps_lang lang, int64_t unix_s, char out[PS_I18N_TIME_MAX])
{
    char date[PS_I18N_DATE_MAX], hm[8];
    out[0] = '\0';
    if (unix_s < TIME_MIN || unix_s > TIME_MAX)
        return 0;
    int64_t days = unix_s >= 0 ? unix_s / 86400 : -((-unix_s + 86399) / 86400);
    int64_t secs = unix_s - days * 86400;
    size_t n = ps_i18n_date(lang, ps_date_from_days(days), date);
    if (n == 0 || snprintf(hm, sizeof hm, "%02d:%02d", (int)(secs / 3600),
                           (int)(secs % 3600 / 60)) >= (int)sizeof hm)
        return 0;
    struct ps_i18n_arg args[] = {{"date", {date, n}}, {"time", ps_str_from_cstr(hm)}};
    n = fill(out, PS_I18N_TIME_MAX, ps_i18n(lang, N_("{date}, {time} UTC")), args, 2);
    if (n >= PS_I18N_TIME_MAX) {
        out[0] = '\0';
        return 0;
    }
    return n;
}
