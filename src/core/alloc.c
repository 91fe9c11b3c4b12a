/* Allocation wrapper with fault injection for tests. */
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdlib.h>

static atomic_long fail_after = -1;
static atomic_long counted;

static int should_fail(void)
{
    atomic_fetch_add_explicit(&counted, 1, memory_order_relaxed);
    long left = atomic_load_explicit(&fail_after, memory_order_relaxed);
    if (left < 0)
        return 0;
    if (left == 0)
        return 1;
    /* another thread may race us to zero; either way at most `n` succeed */
    atomic_fetch_sub_explicit(&fail_after, 1, memory_order_relaxed);
    return 0;
}

void *ps_malloc(size_t size)
{
    if (should_fail())
        return NULL;
    return malloc(size ? size : 1);
}

void *ps_calloc(size_t n, size_t size)
{
    if (should_fail())
        return NULL;
    return calloc(n ? n : 1, size ? size : 1);
}

void *ps_realloc(void *p, size_t size)
{
    if (should_fail())
        return NULL;
    return realloc(p, size ? size : 1);
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
    free(p);
}

void ps_alloc_fail_after(long n)
{
    atomic_store(&fail_after, n);
}

void ps_alloc_fail_reset(void)
{
    atomic_store(&fail_after, -1);
}

long ps_alloc_count(void)
{
    return atomic_load(&counted);
}
