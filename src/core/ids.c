/* UUIDv7: 48-bit Unix milliseconds, version 7, 12-bit sub-millisecond counter, variant,
 * 62 random bits. */
#include "core/str.h"
#include "core/ids.h"

#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "core/clock.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_ms;
static uint32_t seq;

/* Ids are asked for on every request: draw random bytes a pool at a time per thread rather
 * than a system call each. */
static void pooled_random(uint8_t *out, size_t n)
{
    static _Thread_local uint8_t pool[512];
    static _Thread_local size_t left;
    if (left < n) {
        ps_random_bytes(pool, sizeof pool);
        left = sizeof pool;
    }
    memcpy(out, pool + sizeof pool - left, n);
    sodium_memzero(pool + sizeof pool - left, n);
    left -= n;
}

struct ps_uuid ps_uuid7(void)
{
    struct ps_uuid u;
    pooled_random(u.b, sizeof u.b);
    int64_t ms = ps_clock_now_ms();
    pthread_mutex_lock(&lock);
    if (ms <= last_ms) {
        /* same (or earlier) millisecond: keep order with the counter, borrowing a
         * millisecond when it wraps */
        ms = last_ms;
        if (++seq > 0xfff) {
            seq = 0;
            ms = ++last_ms;
        }
    } else {
        last_ms = ms;
        seq = u.b[6] & 0x3; /* start low so that many ids fit in one millisecond */
    }
    uint32_t s = seq;
    pthread_mutex_unlock(&lock);
    for (int i = 0; i < 6; i++)
        u.b[i] = (uint8_t)((uint64_t)ms >> (40 - 8 * i));
    u.b[6] = (uint8_t)(0x70 | ((s >> 8) & 0x0f));
    u.b[7] = (uint8_t)(s & 0xff);
    u.b[8] = (uint8_t)(0x80 | (u.b[8] & 0x3f));
    return u;
}

void ps_uuid_fmt(const struct ps_uuid *u, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out[o++] = '-';
        out[o++] = hex[u->b[i] >> 4];
        out[o++] = hex[u->b[i] & 15];
    }
    out[o] = '\0';
}

bool ps_uuid_parse(struct ps_str s, struct ps_uuid *out)
{
    if (s.len != 36)
        return false;
    size_t j = 0;
    for (size_t i = 0; i < 36;) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (s.p[i] != '-')
                return false;
            i++;
            continue;
        }
        int hi = ps_hex_digit(s.p[i]), lo = ps_hex_digit(s.p[i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out->b[j++] = (uint8_t)(hi << 4 | lo);
        i += 2;
    }
    return true;
}
