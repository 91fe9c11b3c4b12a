/* UTF-8 decoding (RFC 3629): one code point at a time, strictly (no overlong forms, no
 * surrogates, nothing above U+10FFFF), for code that must treat bytes as text: escaping
 * values into HTML, validating form input. Pure functions, thread-safe. */
#ifndef PS_CORE_UTF8_H
#define PS_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define PS_UTF8_REPLACEMENT 0xFFFDu /* U+FFFD, what a bad sequence stands for */

/* Decodes the code point starting at s.p[*i] (requires *i < s.len). On success sets *cp,
 * advances *i past it and returns true; on a malformed, truncated, overlong, surrogate or
 * out-of-range sequence returns false and advances *i by one byte (so that a caller that
 * replaces bad bytes with U+FFFD makes progress). */
bool ps_utf8_next(struct ps_str s, size_t *i, uint32_t *cp);

/* True when s is entirely well-formed UTF-8 (the empty string is). */
bool ps_utf8_valid(struct ps_str s);

/* Number of code points in s, counting each malformed byte as one. */
size_t ps_utf8_count(struct ps_str s);

#endif
