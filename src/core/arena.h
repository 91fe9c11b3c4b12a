/* Region allocator: one per request, CLI command or engine job, freed once at its end
 * (ARCHITECTURE.md rule 2). Every arena has a hard byte limit. Not thread-safe: an arena
 * belongs to one thread at a time. */
#ifndef PS_CORE_ARENA_H
#define PS_CORE_ARENA_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

struct ps_arena;

/* New arena that will hand out at most max_bytes in total. Caller frees with
 * ps_arena_free. NULL on allocation failure. */
struct ps_arena *ps_arena_new(size_t max_bytes);
/* Frees every block and the arena. NULL is a no-op. */
void ps_arena_free(struct ps_arena *a);
/* Keeps the first block, forgets every allocation: for reuse across requests. */
void ps_arena_reset(struct ps_arena *a);

/* size bytes aligned for any type, or NULL when the limit is reached or memory is out.
 * Owned by the arena. ps_arena_zalloc zeroes them. */
void *ps_arena_alloc(struct ps_arena *a, size_t size);
void *ps_arena_zalloc(struct ps_arena *a, size_t size);
void *ps_arena_array(struct ps_arena *a, size_t n, size_t size);
/* NUL-terminated copies, owned by the arena. */
char *ps_arena_strndup(struct ps_arena *a, const char *s, size_t n);
char *ps_arena_cstr(struct ps_arena *a, struct ps_str s);
struct ps_str ps_arena_str(struct ps_arena *a, struct ps_str s); /* p NULL on failure */
char *ps_arena_printf(struct ps_arena *a, const char *fmt, ...) PS_PRINTF(2, 3);
/* Runs fn(arg) when the arena is freed or reset (in reverse order of registration):
 * to release resources (jansson values, statements) with the request. */
enum ps_err ps_arena_defer(struct ps_arena *a, void (*fn)(void *), void *arg) PS_WUR;
/* Bytes handed out so far. */
size_t ps_arena_used(const struct ps_arena *a);

#endif
