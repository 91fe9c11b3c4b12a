/* Token buckets by key (an address, an account, a client): each key may take `rate` tokens per
 * second on average and up to `burst` at once. The table has a fixed number of slots: a key
 * that finds no slot takes the least recently used one in its neighbourhood, so memory never
 * grows and an attacker cycling keys only makes the limiter forget (never refuse) others.
 * Keys are hashed with a per-table random key (SipHash), so collisions cannot be aimed.
 * Per process: a limit holds per node. Thread-safe (striped locks). */
#ifndef PS_CORE_RATELIMIT_H
#define PS_CORE_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

struct ps_ratelimit;

/* A limiter of `slots` keys (rounded up to a power of two, at least 64) refilling `rate`
 * tokens per second up to `burst`. rate 0 means no limit (every take succeeds). NULL on
 * allocation failure. Caller frees with ps_ratelimit_free. */
struct ps_ratelimit *ps_ratelimit_new(size_t slots, double rate, double burst);
void ps_ratelimit_free(struct ps_ratelimit *r);

/* Takes one token for key at now_ms (monotonic milliseconds): true when there was one;
 * otherwise false and *retry_after_s (may be NULL) gets the whole seconds until there will
 * be one (at least 1). */
bool ps_ratelimit_take(struct ps_ratelimit *r, struct ps_str key, int64_t now_ms,
                       unsigned *retry_after_s);

#endif
