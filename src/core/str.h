/* Sized strings by value. NUL termination only at libc edges. */
#ifndef PS_CORE_STR_H
#define PS_CORE_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct ps_str {
    const char *p;
    size_t len;
};

#define PS_STR(lit) ((struct ps_str){(lit), sizeof(lit) - 1})
#define PS_STR_NULL ((struct ps_str){NULL, 0})
/* printf("%.*s", PS_STR_FMT(s)) */
#define PS_STR_FMT(s) (int)(s).len, (s).p

struct ps_str ps_str_from_cstr(const char *s); /* NULL gives the empty string */
bool ps_str_eq(struct ps_str a, struct ps_str b);
bool ps_str_eq_cstr(struct ps_str a, const char *b);
bool ps_str_eq_nocase(struct ps_str a, struct ps_str b); /* ASCII only */
bool ps_str_starts_with(struct ps_str s, struct ps_str prefix);
/* All bytes are ASCII digits and len > 0. */
bool ps_str_is_digits(struct ps_str s);
/* Decimal unsigned integer without sign or spaces, no overflow; PS_ERR_INVALID otherwise. */
enum ps_err ps_str_to_u64(struct ps_str s, uint64_t *out) PS_WUR;
/* Formats into buf (cap > 0 bytes) for a bounded message: what does not fit is cut, and an
 * encoding error leaves buf empty. */
void ps_str_vcut(char *buf, size_t cap, const char *fmt, va_list ap) PS_PRINTF(3, 0);
/* Comparison in constant time for equal lengths (secrets): true when equal. */
bool ps_str_eq_secret(struct ps_str a, struct ps_str b);
/* Value of a hexadecimal digit (either case), or -1. */
int ps_hex_digit(char c);
/* Copies s into dst (size cap, NUL-terminated); PS_ERR_LIMIT when it does not fit. */
enum ps_err ps_str_copy(char *dst, size_t cap, struct ps_str s) PS_WUR;

#endif
