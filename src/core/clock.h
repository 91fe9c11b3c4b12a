/* The one injectable clock (ARCHITECTURE.md rule 7) and the one source of randomness. */
#ifndef PS_CORE_CLOCK_H
#define PS_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall-clock time in milliseconds / nanoseconds since the Unix epoch, UTC. Thread-safe. */
int64_t ps_clock_now_ms(void);
int64_t ps_clock_now_ns(void);
/* Monotonic nanoseconds, for durations and timeouts; never affected by the test clock. */
int64_t ps_clock_mono_ns(void);
/* Tests: freeze wall-clock time at ms (ps_clock_now_* then return it, advancing by nothing);
 * ps_clock_set_fixed(-1) returns to the system clock. */
void ps_clock_set_fixed(int64_t ms);
/* Formats ms as RFC 3339 UTC with milliseconds ("2026-11-27T03:57:26.123Z") into out
 * (at least 25 bytes). */
void ps_clock_fmt_rfc3339(int64_t ms, char out[25]);

/* Cryptographically secure random bytes (libsodium). Aborts if the system source fails. */
void ps_random_bytes(void *out, size_t n);
/* Uniform in [0, upper). */
uint32_t ps_random_uniform(uint32_t upper);

#endif
