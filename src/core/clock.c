/* The wall clock through the installed source (the system's by default, or the built-in
 * fixed one), monotonic time, and randomness from libsodium. The source pointer and the fixed
 * source's time are core's only clock state (docs/internals/core.md). */
#include "core/clock.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* The installed source; NULL: the system clock. */
static _Atomic(const struct ps_clock_source *) source;
/* The built-in fixed source's time (ps_clock_set_fixed). */
static atomic_llong fixed_ms;

static int64_t fixed_now_ns(void *ctx)
{
    (void)ctx;
    return (int64_t)atomic_load_explicit(&fixed_ms, memory_order_relaxed) * 1000000;
}

static const struct ps_clock_source fixed_source = {fixed_now_ns, NULL};

int64_t ps_clock_now_ns(void)
{
    const struct ps_clock_source *s = atomic_load_explicit(&source, memory_order_acquire);
    if (s)
        return s->now_ns(s->ctx);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

const struct ps_clock_source *ps_clock_set_source(const struct ps_clock_source *src)
{
    return atomic_exchange(&source, src);
}

int64_t ps_clock_now_ms(void)
{
    return ps_clock_now_ns() / 1000000;
}

int64_t ps_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void ps_clock_set_fixed(int64_t ms)
{
    if (ms < 0) {
        (void)ps_clock_set_source(NULL);
        return;
    }
    atomic_store(&fixed_ms, (long long)ms);
    (void)ps_clock_set_source(&fixed_source);
}

void ps_clock_fmt_rfc3339(int64_t ms, char out[25])
{
    time_t secs = (time_t)(ms / 1000);
    int milli = (int)(ms % 1000);
    if (milli < 0) {
        milli += 1000;
        secs -= 1;
    }
    struct tm tm;
    gmtime_r(&secs, &tm);
    int n = snprintf(out, 25, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
    if (n < 0 || n >= 25)
        out[0] = '\0';
}

void ps_random_bytes(void *out, size_t n)
{
    /* sodium_init is idempotent and thread-safe; randombytes_buf aborts on failure */
    if (sodium_init() < 0) {
        fputs("pocketstate: libsodium failed to initialise\n", stderr);
        abort();
    }
    randombytes_buf(out, n);
}

uint32_t ps_random_uniform(uint32_t upper)
{
    if (sodium_init() < 0)
        abort();
    return randombytes_uniform(upper);
}
