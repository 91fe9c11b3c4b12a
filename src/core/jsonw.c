/* The sticky-error JSON writer (jsonw.h). Each call checks the state, writes, and on the first
 * failure records it and turns every later call into a no-op. */
#include "core/jsonw.h"

#include <inttypes.h>
#include <string.h>

void ps_jw_init(struct ps_jw *w, struct ps_buf *b)
{
    memset(w, 0, sizeof *w);
    w->b = b;
    w->kind[0] = 't';
    w->first[0] = true;
}

static void fail(struct ps_jw *w, enum ps_err e)
{
    if (w->err == PS_OK)
        w->err = e;
}

static void put(struct ps_jw *w, const char *s, size_t n)
{
    if (w->err == PS_OK)
        fail(w, ps_buf_append(w->b, s, n));
}

/* Before a value: the check that a value may stand here, and the separator. */
static bool value_start(struct ps_jw *w)
{
    if (w->err != PS_OK)
        return false;
    unsigned d = w->depth;
    bool ok = w->kind[d] == 'o' ? w->want_value[d] : w->kind[d] == 'a' || w->first[d];
    if (!ok) {
        fail(w, PS_ERR_INTERNAL); /* a value where a key is due, or a second top value */
        return false;
    }
    if (w->kind[d] == 'a' && !w->first[d])
        put(w, ",", 1);
    w->first[d] = false;
    w->want_value[d] = false;
    return w->err == PS_OK;
}

static void open_level(struct ps_jw *w, char c, char kind)
{
    if (!value_start(w))
        return;
    if (w->depth == PS_JW_MAX_DEPTH) {
        fail(w, PS_ERR_INTERNAL);
        return;
    }
    put(w, &c, 1);
    w->depth++;
    w->kind[w->depth] = kind;
    w->first[w->depth] = true;
    w->want_value[w->depth] = false;
}

static void close_level(struct ps_jw *w, char c, char kind)
{
    if (w->err != PS_OK)
        return;
    if (w->depth == 0 || w->kind[w->depth] != kind || w->want_value[w->depth]) {
        fail(w, PS_ERR_INTERNAL); /* unbalanced, or a key without its value */
        return;
    }
    w->depth--;
    put(w, &c, 1);
}

void ps_jw_obj(struct ps_jw *w)
{
    open_level(w, '{', 'o');
}

void ps_jw_obj_end(struct ps_jw *w)
{
    close_level(w, '}', 'o');
}

void ps_jw_arr(struct ps_jw *w)
{
    open_level(w, '[', 'a');
}

void ps_jw_arr_end(struct ps_jw *w)
{
    close_level(w, ']', 'a');
}

void ps_jw_key(struct ps_jw *w, const char *key)
{
    if (w->err != PS_OK)
        return;
    unsigned d = w->depth;
    if (w->kind[d] != 'o' || w->want_value[d]) {
        fail(w, PS_ERR_INTERNAL);
        return;
    }
    if (!w->first[d])
        put(w, ",", 1);
    w->first[d] = false;
    if (w->err == PS_OK)
        fail(w, ps_buf_append_json_str(w->b, ps_str_from_cstr(key)));
    put(w, ":", 1);
    w->want_value[d] = true;
}

void ps_jw_str(struct ps_jw *w, struct ps_str v)
{
    if (!v.p) {
        ps_jw_null(w);
        return;
    }
    if (value_start(w))
        fail(w, ps_buf_append_json_str(w->b, v));
}

void ps_jw_cstr(struct ps_jw *w, const char *v)
{
    ps_jw_str(w, v ? ps_str_from_cstr(v) : PS_STR_NULL);
}

void ps_jw_int(struct ps_jw *w, int64_t v)
{
    if (value_start(w))
        fail(w, ps_buf_printf(w->b, "%" PRId64, v));
}

void ps_jw_uint(struct ps_jw *w, uint64_t v)
{
    if (value_start(w))
        fail(w, ps_buf_printf(w->b, "%" PRIu64, v));
}

void ps_jw_bool(struct ps_jw *w, bool v)
{
    if (value_start(w))
        put(w, v ? "true" : "false", v ? 4 : 5);
}

void ps_jw_null(struct ps_jw *w)
{
    if (value_start(w))
        put(w, "null", 4);
}

void ps_jw_raw(struct ps_jw *w, struct ps_str json)
{
    if (value_start(w))
        put(w, json.p, json.len);
}

void ps_jw_kstr(struct ps_jw *w, const char *key, struct ps_str v)
{
    ps_jw_key(w, key);
    ps_jw_str(w, v);
}

void ps_jw_kcstr(struct ps_jw *w, const char *key, const char *v)
{
    ps_jw_key(w, key);
    ps_jw_cstr(w, v);
}

void ps_jw_kint(struct ps_jw *w, const char *key, int64_t v)
{
    ps_jw_key(w, key);
    ps_jw_int(w, v);
}

void ps_jw_kuint(struct ps_jw *w, const char *key, uint64_t v)
{
    ps_jw_key(w, key);
    ps_jw_uint(w, v);
}

void ps_jw_kbool(struct ps_jw *w, const char *key, bool v)
{
    ps_jw_key(w, key);
    ps_jw_bool(w, v);
}

enum ps_err ps_jw_end(struct ps_jw *w)
{
    if (w->err == PS_OK && (w->depth != 0 || w->first[0]))
        w->err = PS_ERR_INTERNAL; /* unbalanced, or nothing written */
    return w->err;
}
