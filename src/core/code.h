/* Codes people read and type (share codes, activation codes): random symbols of Crockford's
 * base32 alphabet (no I, L, O, U: nothing to confuse), grouped with hyphens; typed back
 * case-insensitively, hyphens and spaces ignored, O read as 0 and I or L as 1. Each symbol
 * carries 5 bits. */
#ifndef PS_CORE_CODE_H
#define PS_CORE_CODE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

#define PS_CODE_ALPHABET "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#define PS_CODE_MAX_SYMBOLS 64

/* n random symbols (1..PS_CODE_MAX_SYMBOLS, from the one random source) with a hyphen after
 * every `group` of them (0: none), NUL-terminated into out; cap must hold them (aborts
 * otherwise: a programming error). */
void ps_code_make(size_t n, size_t group, char *out, size_t cap);
/* The n canonical symbols of a typed code into out (exactly n bytes, no NUL); false unless it
 * is exactly n symbols of the alphabet after folding. */
bool ps_code_canonical(struct ps_str in, size_t n, char *out);

#endif
