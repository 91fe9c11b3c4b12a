/* Growable byte buffer with a hard maximum fixed at creation: going past it is an error
 * (PS_ERR_LIMIT), not a realloc (curl's dynbuf "toobig"). */
#ifndef PS_CORE_BUF_H
#define PS_CORE_BUF_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

struct ps_buf {
    char *p;    /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max; /* len never exceeds max */
};

/* Caller-owned storage; ps_buf_reset frees the memory. */
void ps_buf_init(struct ps_buf *b, size_t max);
void ps_buf_reset(struct ps_buf *b);
enum ps_err ps_buf_append(struct ps_buf *b, const void *p, size_t n) PS_WUR;
enum ps_err ps_buf_append_str(struct ps_buf *b, struct ps_str s) PS_WUR;
enum ps_err ps_buf_append_cstr(struct ps_buf *b, const char *s) PS_WUR;
enum ps_err ps_buf_printf(struct ps_buf *b, const char *fmt, ...) PS_WUR PS_PRINTF(2, 3);
/* Appends s as a JSON string literal with quotes and escapes (valid UTF-8 assumed). */
enum ps_err ps_buf_append_json_str(struct ps_buf *b, struct ps_str s) PS_WUR;
static inline struct ps_str ps_buf_str(const struct ps_buf *b)
{
    return (struct ps_str){b->p ? b->p : "", b->len};
}

#endif
