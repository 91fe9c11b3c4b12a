/* The one injectable clock (ARCHITECTURE.md rule 7) and the one source of randomness. Wall-clock
 * time comes from the installed clock source (the system's unless an embedder or a test
 * installs another: docs/internals/core.md, "Hooks"); randomness from libsodium, whose own
 * hook (randombytes_set_implementation, before sodium_init) an embedder may use. */
#ifndef PS_CORE_CLOCK_H
#define PS_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in milliseconds / nanoseconds since the Unix epoch, UTC, from the installed
 * source. Thread-safe. */
int64_t ps_clock_now_ms(void);
int64_t ps_clock_now_ns(void);
/* Monotonic nanoseconds, for durations and timeouts; never affected by the test clock. */
int64_t ps_clock_mono_ns(void);

/* A wall-clock source: now_ns returns nanoseconds since the Unix epoch, UTC. It may be called
 * from any thread at once. ctx is passed back untouched. */
struct ps_clock_source {
    int64_t (*now_ns)(void *ctx);
    void *ctx;
};
/* Installs src (NULL: the system clock, CLOCK_REALTIME, the default) and returns the one it
 * replaces (NULL for the system clock). src is borrowed: it must stay valid until replaced.
 * Monotonic time (ps_clock_mono_ns) is never affected. */
const struct ps_clock_source *ps_clock_set_source(const struct ps_clock_source *src);
/* Tests: installs the built-in fixed source, frozen at ms (ps_clock_now_* then return it,
 * advancing by nothing); ps_clock_set_fixed(-1) installs the system clock again. */
void ps_clock_set_fixed(int64_t ms);
/* Formats ms as RFC 3339 UTC with milliseconds ("2026-11-27T03:57:26.123Z") into out
 * (at least 25 bytes). */
void ps_clock_fmt_rfc3339(int64_t ms, char out[25]);

/* Cryptographically secure random bytes (libsodium). Aborts if the system source fails. */
void ps_random_bytes(void *out, size_t n);
/* Uniform in [0, upper). */
uint32_t ps_random_uniform(uint32_t upper);

#endif
