/* The template writer: thin, so that a page costs one append per literal run and one escaping
 * pass per value. */
#include "portal/tpl.h"

#include <stdio.h>

void ps_tw_init(struct ps_tw *w, struct ps_buf *out, enum ps_lang lang)
{
    w->out = out;
    w->lang = lang < PS_LANG_COUNT ? lang : PS_LANG_DEFAULT;
    w->err = PS_OK;
}

enum ps_err ps_tw_end(const struct ps_tw *w)
{
    return w->err;
}

void ps_tw_lit(struct ps_tw *w, const char *p, size_t n)
{
    if (w->err == PS_OK)
        w->err = ps_buf_append(w->out, p, n);
}

void ps_tw_str(struct ps_tw *w, enum ps_html_ctx ctx, struct ps_str s)
{
    if (w->err == PS_OK)
        w->err = ps_html_escape(w->out, ctx, s);
}

void ps_tw_num(struct ps_tw *w, enum ps_html_ctx ctx, uint64_t n)
{
    char buf[PS_I18N_NUM_MAX];
    if (ctx == PS_HTML_URL || ctx == PS_HTML_URL_PART) { /* digits only, no grouping */
        int len = snprintf(buf, sizeof buf, "%llu", (unsigned long long)n);
        ps_tw_str(w, ctx, (struct ps_str){buf, len > 0 ? (size_t)len : 0});
        return;
    }
    ps_tw_str(w, ctx, (struct ps_str){buf, ps_i18n_num(w->lang, n, buf)});
}

void ps_tw_date(struct ps_tw *w, enum ps_html_ctx ctx, struct ps_date d)
{
    char buf[PS_I18N_DATE_MAX];
    ps_tw_str(w, ctx, (struct ps_str){buf, ps_i18n_date(w->lang, d, buf)});
}

void ps_tw_time(struct ps_tw *w, enum ps_html_ctx ctx, int64_t unix_s)
{
    char buf[PS_I18N_TIME_MAX];
    ps_tw_str(w, ctx, (struct ps_str){buf, ps_i18n_time(w->lang, unix_s, buf)});
}

void ps_tw_html(struct ps_tw *w, struct ps_html h)
{
    if (w->err == PS_OK && h.s.len)
        w->err = ps_buf_append(w->out, h.s.p, h.s.len);
}
