/* The one allocation wrapper and its hook. Everything allocates through ps_malloc and friends,
 * and they call the one installed allocator: the C library's unless an embedder or a test
 * installs another with ps_alloc_set (docs/internals/core.md, "Hooks"). jansson allocates
 * through the same wrapper once an allocator has been installed, and the store's SQLite
 * backend always does (SQLITE_CONFIG_MALLOC), so a test that fails the N-th allocation reaches
 * into both libraries (as curl's torture tests and SQLite's malloc tests do). */
#ifndef PS_CORE_ALLOC_H
#define PS_CORE_ALLOC_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"

/* malloc/calloc/realloc through the installed allocator; NULL on failure. A size of 0 asks
 * for 1 byte, so NULL always means failure. ps_calloc and ps_alloc_array check n * size for
 * overflow (NULL). ps_free(NULL) is a no-op. Thread-safe. */
void *ps_malloc(size_t size);
void *ps_calloc(size_t n, size_t size);
void *ps_realloc(void *p, size_t size);
void *ps_alloc_array(size_t n, size_t size);
void ps_free(void *p);

/* ---- the allocator hook ---- */

/* An allocator. malloc and realloc get size >= 1 and return memory aligned for any object
 * (as malloc does) or NULL; realloc gets p == NULL like malloc; free never gets NULL. All
 * three may be called from any thread at once. ctx is passed back untouched. */
struct ps_allocator {
    void *(*malloc)(void *ctx, size_t size);
    void *(*realloc)(void *ctx, void *p, size_t size);
    void (*free)(void *ctx, void *p);
    void *ctx;
};

/* Installs a as the process's allocator (NULL: the C library's, the default) and returns the
 * one it replaces. a is borrowed: it must stay valid until it is replaced. Memory allocated
 * before the call is released through the new allocator, so install either before the first
 * allocation (before any other ps_ call, and before jansson or SQLite is used), or an
 * allocator that can release its predecessor's blocks (a wrapper that delegates to the
 * allocator it replaces, as the tests' fault injector does). The first call also points
 * jansson at ps_malloc/ps_free (json_set_alloc_funcs), so from then on jansson allocations
 * reach the installed allocator too; before it both are the C library's. Thread-safe, but
 * jansson's switch is not atomic: make the first call before other threads use jansson. */
const struct ps_allocator *ps_alloc_set(const struct ps_allocator *a);

/* The installed allocator (never NULL). */
const struct ps_allocator *ps_alloc_get(void);

/* ---- test support: the fault injector ----
 * Defined in src/core/alloc_fault.c, which only test programs link (the `testing` dependency
 * of meson.build); the pocketstate binary has none of it (scripts/check_binary.py). The first
 * call installs the injector, a wrapper around the allocator installed at that moment, for
 * the rest of the process. Thread-safe: allocations on every thread count. */

/* After n more successful allocations, every allocation fails until ps_alloc_fail_reset().
 * n < 0 disables. */
void ps_alloc_fail_after(long n);
/* Only the allocation n allocations from now (0: the next one) fails, once; the ones after it
 * succeed again. n < 0 disables. */
void ps_alloc_fail_nth(long n);
/* Disarms; ps_alloc_fail_fired() keeps its answer until the next arming. */
void ps_alloc_fail_reset(void);
/* Whether an allocation failed because of the last ps_alloc_fail_after/_nth. */
bool ps_alloc_fail_fired(void);
/* Allocations seen by the injector since it was installed. */
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
