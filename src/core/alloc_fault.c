/* Test support, linked only into test programs: an allocator that wraps the installed one and
 * makes chosen allocations fail (curl's torture tests, SQLite's malloc tests). Declared in
 * core/alloc.h. */
#include <stdatomic.h>
#include <stdbool.h>

#include "core/alloc.h"

enum mode { OFF, AFTER, NTH };

static struct {
    const struct ps_allocator *inner;
    atomic_int mode;
    atomic_long left; /* allocations still to succeed before the armed failure */
    atomic_long counted;
    atomic_bool fired;
} fault;

static atomic_flag installed = ATOMIC_FLAG_INIT;

static bool should_fail(void)
{
    atomic_fetch_add_explicit(&fault.counted, 1, memory_order_relaxed);
    int m = atomic_load_explicit(&fault.mode, memory_order_relaxed);
    if (m == OFF)
        return false;
    /* another thread may race us: at most `n` succeed, and in NTH mode exactly one fails */
    long left = atomic_fetch_sub_explicit(&fault.left, 1, memory_order_relaxed);
    if (left > 0)
        return false;
    if (m == NTH) {
        int expect = NTH;
        if (!atomic_compare_exchange_strong(&fault.mode, &expect, OFF))
            return false;
    } else {
        atomic_store_explicit(&fault.left, 0, memory_order_relaxed); /* no wrap-around */
    }
    atomic_store(&fault.fired, true);
    return true;
}

static void *f_malloc(void *ctx, size_t size)
{
    (void)ctx;
    return should_fail() ? NULL : fault.inner->malloc(fault.inner->ctx, size);
}

static void *f_realloc(void *ctx, void *p, size_t size)
{
    (void)ctx;
    return should_fail() ? NULL : fault.inner->realloc(fault.inner->ctx, p, size);
}

static void f_free(void *ctx, void *p)
{
    (void)ctx;
    fault.inner->free(fault.inner->ctx, p);
}

static const struct ps_allocator fault_allocator = {f_malloc, f_realloc, f_free, NULL};

/* The wrapper delegates to the allocator it replaces, so blocks allocated before it came
 * are released correctly (ps_alloc_set's rule). */
static void install(void)
{
    if (atomic_flag_test_and_set(&installed))
        return;
    fault.inner = ps_alloc_get();
    (void)ps_alloc_set(&fault_allocator);
}

static void arm(enum mode m, long n)
{
    install();
    atomic_store(&fault.mode, OFF);
    if (n < 0)
        return;
    atomic_store(&fault.fired, false);
    atomic_store(&fault.left, n);
    atomic_store(&fault.mode, (int)m);
}

void ps_alloc_fail_after(long n)
{
    arm(AFTER, n);
}

void ps_alloc_fail_nth(long n)
{
    arm(NTH, n);
}

void ps_alloc_fail_reset(void)
{
    install();
    atomic_store(&fault.mode, OFF);
}

bool ps_alloc_fail_fired(void)
{
    return atomic_load(&fault.fired);
}

long ps_alloc_count(void)
{
    install();
    return atomic_load(&fault.counted);
}
