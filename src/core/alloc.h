/* The one allocation wrapper. Everything allocates through here so that tests can make the
 * N-th allocation fail (as curl's torture tests and SQLite's malloc tests do). */
#ifndef PS_CORE_ALLOC_H
#define PS_CORE_ALLOC_H

#include <stddef.h>

#include "core/err.h"

/* malloc/calloc/realloc that return NULL on failure or on an injected failure.
 * ps_alloc_array checks n * size for overflow. ps_free(NULL) is a no-op. Thread-safe. */
void *ps_malloc(size_t size);
void *ps_calloc(size_t n, size_t size);
void *ps_realloc(void *p, size_t size);
void *ps_alloc_array(size_t n, size_t size);
void ps_free(void *p);

/* Test hook: after `n` more successful allocations, every allocation fails until
 * ps_alloc_fail_reset(). n < 0 disables. Returns the number of allocations counted so far. */
void ps_alloc_fail_after(long n);
void ps_alloc_fail_reset(void);
long ps_alloc_count(void);

/* Checked size arithmetic: false on overflow (result untouched). */
static inline _Bool ps_size_add(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_add_overflow(a, b, &r))
        return 0;
    *out = r;
    return 1;
}
static inline _Bool ps_size_mul(size_t a, size_t b, size_t *out)
{
    size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        return 0;
    *out = r;
    return 1;
}

#endif
