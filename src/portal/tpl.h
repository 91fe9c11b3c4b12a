/* The runtime of the compiled templates (portal_gen.h, generated from web/templates by
 * scripts/portal_gen.py): a writer with a sticky error that appends to the response body,
 * and one call per kind of value, each escaped for the context the compiler chose. Generated
 * code calls these; page code calls the generated ps_tpl_<name>() functions with a filled
 * struct. No allocation: everything goes straight into the writer's buffer. */
#ifndef PS_PORTAL_TPL_H
#define PS_PORTAL_TPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "portal/escape.h"
#include "portal/i18n.h"
#include "registries/date.h"

/* Trusted markup: the only kind of value a template writes without escaping ({{ x|raw }}),
 * a type of its own so that no struct ps_str becomes markup by accident. Make one only from
 * markup the program itself wrote (PS_HTML_TRUSTED on a literal). */
struct ps_html {
    struct ps_str s;
};
#define PS_HTML_TRUSTED(lit) ((struct ps_html){PS_STR(lit)})

struct ps_tw {
    struct ps_buf *out;
    enum ps_lang lang;
    enum ps_err err; /* the first error; later calls do nothing */
};

/* The layout's {% slot %}: the page's body template and its struct. */
struct ps_tpl_slot {
    void (*fn)(struct ps_tw *w, const void *v);
    const void *v;
};

/* Starts writing to out (appending) in lang. */
void ps_tw_init(struct ps_tw *w, struct ps_buf *out, enum ps_lang lang);
/* PS_OK, or the first error (PS_ERR_LIMIT: the buffer's maximum; PS_ERR_NOMEM). */
enum ps_err ps_tw_end(const struct ps_tw *w) PS_WUR;

/* Template text (trusted, already escaped by the compiler where it came from a catalog). */
void ps_tw_lit(struct ps_tw *w, const char *p, size_t n);
/* A string escaped for ctx. */
void ps_tw_str(struct ps_tw *w, enum ps_html_ctx ctx, struct ps_str s);
/* A number in w's language (ps_i18n_num); plain digits in URL contexts. */
void ps_tw_num(struct ps_tw *w, enum ps_html_ctx ctx, uint64_t n);
/* A date, a moment (seconds since the epoch, UTC) in w's language; a zero or invalid date or
 * a moment out of range writes nothing. */
void ps_tw_date(struct ps_tw *w, enum ps_html_ctx ctx, struct ps_date d);
void ps_tw_time(struct ps_tw *w, enum ps_html_ctx ctx, int64_t unix_s);
/* Trusted markup as it is. */
void ps_tw_html(struct ps_tw *w, struct ps_html h);

#endif
