/* The portal's languages: Ukrainian (the default) and English. Messages come from the gettext
 * catalogs po/uk.po and po/en.po, turned into C tables at build time (scripts/portal_gen.py);
 * templates have their translations folded in at build time, C code looks msgids up here.
 * Also the language of a request (?lang=, the lang cookie, Accept-Language) and numbers,
 * dates and times written as each language writes them. Pure functions over static tables;
 * thread-safe. The parsers (Accept-Language, Cookie) are fuzzed (fuzz/fuzz_portal_lang.c). */
#ifndef PS_PORTAL_I18N_H
#define PS_PORTAL_I18N_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/str.h"
#include "registries/date.h"

/* In the order of scripts/portal_po.py's LANGS. */
enum ps_lang { PS_LANG_UK = 0, PS_LANG_EN = 1 };
#define PS_LANG_COUNT 2
#define PS_LANG_DEFAULT PS_LANG_UK

/* Marks a msgid in C source for the messages check (scripts/portal_messages.py extracts the
 * argument, which must be one plain string literal) and expands to it. NN_ marks a plural
 * pair and expands to both, comma-separated (for ps_i18n_n's two arguments). */
#define N_(msgid) msgid
#define NN_(msgid, plural) msgid, plural

#define PS_I18N_MAX_FORMS 3 /* Ukrainian has three plural forms */

/* One catalog entry (generated table ps_i18n_msgs, sorted by msgid bytes). str[lang][form]
 * is NULL where the catalog has no translation (the messages test fails then). */
struct ps_i18n_msg {
    const char *id;
    const char *plural; /* msgid_plural, or NULL */
    const char *str[PS_LANG_COUNT][PS_I18N_MAX_FORMS];
};
extern const struct ps_i18n_msg ps_i18n_msgs[];
extern const size_t ps_i18n_nmsgs;

/* "uk", "en": the BCP 47 tag for lang attributes and the cookie. */
const char *ps_lang_code(enum ps_lang lang);
/* The language's own name ("Українська", "English"), for the language switch. */
const char *ps_lang_name(enum ps_lang lang);
/* The language named by s ("uk", "en", any case); false for anything else. */
bool ps_lang_parse(struct ps_str s, enum ps_lang *out);
/* The language a request's Accept-Language (RFC 9110 12.5.4) prefers: the supported one with
 * the highest q-value, the first listed on a tie, matching on the primary subtag ("uk-UA" is
 * uk); "*" stands for the default. Malformed items are skipped; past 32 items the rest are
 * ignored. PS_LANG_DEFAULT when nothing matches or the header is absent. */
enum ps_lang ps_lang_negotiate(struct ps_str accept_language);
/* The value of the "lang" cookie in a Cookie header (RFC 6265 5.4), when it names a language:
 * true and *out set; false when absent or not a language. */
bool ps_lang_cookie(struct ps_str cookie_header, enum ps_lang *out);

/* The translation of msgid (a N_() literal) in lang; msgid itself when the catalogs lack it.
 * Static storage. */
const char *ps_i18n(enum ps_lang lang, const char *msgid);
/* The form of the plural message (msgid, plural: a NN_() pair) for the count n. */
const char *ps_i18n_n(enum ps_lang lang, const char *msgid, const char *plural, uint64_t n);
/* Which plural form n takes in lang (the Plural-Forms rule of its catalog): uk 0, 1 or 2
 * (one, few, many: 1 21 31 / 2-4 22-24 / 0 5-20 25-30 ...); en 0 for 1, 1 otherwise. */
unsigned ps_i18n_plural_form(enum ps_lang lang, uint64_t n);

/* A placeholder value for ps_i18n_fill. */
struct ps_i18n_arg {
    const char *name;
    struct ps_str value;
};
/* text with each {name} replaced by the value of the arg of that name (unknown names are left
 * as they are), in the arena; PS_STR_NULL when the arena is exhausted. */
struct ps_str ps_i18n_fill(struct ps_arena *a, const char *text, const struct ps_i18n_arg *args,
                           size_t nargs);

/* Lengths of the formatted forms below, with their NUL. */
#define PS_I18N_NUM_MAX 40  /* 18 446 744 073 709 551 615: 20 digits, 6 two-byte spaces */
#define PS_I18N_DATE_MAX 40 /* "31 листопада 9999" */
#define PS_I18N_TIME_MAX 64 /* the date, ", 23:59 UTC" */
/* n with the language's digit grouping: uk "12 345" (U+00A0 between groups, from five
 * digits up: Ukrainian typography leaves "1234" whole), en "1,234". Returns the length. */
size_t ps_i18n_num(enum ps_lang lang, uint64_t n, char out[PS_I18N_NUM_MAX]);
/* d as the language writes a date: uk "3 грудня 2026" (the month in the genitive), en
 * "3 December 2026". An invalid date gives "". Returns the length. */
size_t ps_i18n_date(enum ps_lang lang, struct ps_date d, char out[PS_I18N_DATE_MAX]);
/* A moment (seconds since the Unix epoch) in UTC: the date as above and ", HH:MM UTC". */
size_t ps_i18n_time(enum ps_lang lang, int64_t unix_s, char out[PS_I18N_TIME_MAX]);

#endif
