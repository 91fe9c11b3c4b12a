/* A JSON writer with a sticky error: calls append to a bounded ps_buf and, once one fails
 * (the buffer's limit, memory, or misuse such as a value where a key is due), every later
 * call does nothing and ps_jw_end reports the first error. So rendering is a straight list
 * of calls and one check at the end, not a chain of `if (e == PS_OK)`. Strings are written
 * as UTF-8 as they are (only '"', '\\' and control characters are escaped), so Ukrainian text
 * costs its own bytes, not six per letter. Not thread-safe: one writer, one thread. */
#ifndef PS_CORE_JSONW_H
#define PS_CORE_JSONW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

#define PS_JW_MAX_DEPTH 32

struct ps_jw {
    struct ps_buf *b;    /* borrowed */
    enum ps_err err;     /* the first error, sticky */
    unsigned depth;      /* 0: the top level */
    /* per level: 't' top, 'o' object, 'a' array; nothing written in it yet; (objects) a
     * key was written and its value is due */
    char kind[PS_JW_MAX_DEPTH + 1];
    bool first[PS_JW_MAX_DEPTH + 1];
    bool want_value[PS_JW_MAX_DEPTH + 1];
};

/* Starts writing one JSON value (usually an object) at the end of b. */
void ps_jw_init(struct ps_jw *w, struct ps_buf *b);
/* PS_OK when one complete value was written; else the first error (PS_ERR_LIMIT,
 * PS_ERR_NOMEM from the buffer; PS_ERR_INTERNAL for misuse: unbalanced containers, a value
 * without its key, more than PS_JW_MAX_DEPTH levels). */
enum ps_err ps_jw_end(struct ps_jw *w) PS_WUR;

void ps_jw_obj(struct ps_jw *w);     /* { */
void ps_jw_obj_end(struct ps_jw *w); /* } */
void ps_jw_arr(struct ps_jw *w);     /* [ */
void ps_jw_arr_end(struct ps_jw *w); /* ] */
/* The next member's name (inside an object only). */
void ps_jw_key(struct ps_jw *w, const char *key);
/* Values (in an array, at the top, or after ps_jw_key). A NULL p in ps_jw_str writes null. */
void ps_jw_str(struct ps_jw *w, struct ps_str v);
void ps_jw_cstr(struct ps_jw *w, const char *v);
void ps_jw_int(struct ps_jw *w, int64_t v);
void ps_jw_uint(struct ps_jw *w, uint64_t v);
void ps_jw_bool(struct ps_jw *w, bool v);
void ps_jw_null(struct ps_jw *w);
/* Bytes that already are one JSON value, written as they are (the caller vouches). */
void ps_jw_raw(struct ps_jw *w, struct ps_str json);

/* Member shorthands: key then value. */
void ps_jw_kstr(struct ps_jw *w, const char *key, struct ps_str v);
void ps_jw_kcstr(struct ps_jw *w, const char *key, const char *v);
void ps_jw_kint(struct ps_jw *w, const char *key, int64_t v);
void ps_jw_kuint(struct ps_jw *w, const char *key, uint64_t v);
void ps_jw_kbool(struct ps_jw *w, const char *key, bool v);

#endif
