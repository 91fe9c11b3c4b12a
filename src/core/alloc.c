/* The allocation wrapper: every call goes to the one installed allocator (the C library's by
 * default). The pointer to it is core's only allocation state (docs/internals/core.md). */
#include "core/alloc.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void *libc_malloc(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void *libc_realloc(void *ctx, void *p, size_t size)
{
    (void)ctx;
    return realloc(p, size);
}

static void libc_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

static const struct ps_allocator libc_allocator = {libc_malloc, libc_realloc, libc_free, NULL};

/* The hook: set by ps_alloc_set, read by every allocation. */
static _Atomic(const struct ps_allocator *) installed = &libc_allocator;
static atomic_flag jansson_routed = ATOMIC_FLAG_INIT;

static void *json_alloc(size_t size)
{
    return ps_malloc(size);
}

const struct ps_allocator *ps_alloc_set(const struct ps_allocator *a)
{
    if (!atomic_flag_test_and_set(&jansson_routed))
        json_set_alloc_funcs(json_alloc, ps_free);
    return atomic_exchange(&installed, a ? a : &libc_allocator);
}

const struct ps_allocator *ps_alloc_get(void)
{
    return atomic_load_explicit(&installed, memory_order_acquire);
}

void *ps_malloc(size_t size)
{
    const struct ps_allocator *a = ps_alloc_get();
    return a->malloc(a->ctx, size ? size : 1);
}

void *ps_calloc(size_t n, size_t size)
{
    void *p = ps_alloc_array(n ? n : 1, size ? size : 1);
    if (p)
        memset(p, 0, (n ? n : 1) * (size ? size : 1)); /* the product was checked */
    return p;
}

void *ps_realloc(void *p, size_t size)
{
    const struct ps_allocator *a = ps_alloc_get();
    return a->realloc(a->ctx, p, size ? size : 1);
}

void *ps_alloc_array(size_t n, size_t size)
{
    size_t total;
    if (!ps_size_mul(n, size, &total))
        return NULL;
    return ps_malloc(total);
}

void ps_free(void *p)
{
    if (!p)
        return;
    const struct ps_allocator *a = ps_alloc_get();
    a->free(a->ctx, p);
}
