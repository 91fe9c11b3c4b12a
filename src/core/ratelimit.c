/* Token buckets (ratelimit.h): open addressing over a fixed table, a probe window of PROBE
 * slots, LRU replacement inside it. */
#include "core/ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"

#define PROBE 8
#define STRIPES 64

struct slot {
    uint64_t hash; /* 0: empty */
    double tokens;
    int64_t last_ms;
};

struct ps_ratelimit {
    double rate, burst;
    size_t mask;
    unsigned char key[crypto_shorthash_KEYBYTES];
    pthread_mutex_t locks[STRIPES];
    struct slot *slots;
};

struct ps_ratelimit *ps_ratelimit_new(size_t slots, double rate, double burst)
{
    size_t n = 64;
    while (n < slots && n < ((size_t)1 << 30))
        n <<= 1;
    struct ps_ratelimit *r = ps_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->slots = ps_alloc_array(n, sizeof *r->slots);
    if (!r->slots) {
        ps_free(r);
        return NULL;
    }
    memset(r->slots, 0, n * sizeof *r->slots);
    r->mask = n - 1;
    r->rate = rate;
    r->burst = burst < 1 ? 1 : burst;
    ps_random_bytes(r->key, sizeof r->key);
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_init(&r->locks[i], NULL);
    return r;
}

void ps_ratelimit_free(struct ps_ratelimit *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&r->locks[i]);
    ps_free(r->slots);
    ps_free(r);
}

/* The slot of h in its probe window (whose slots all share one stripe: the window starts at a
 * multiple of PROBE), taking an empty or the least recently used one for a new key. */
static struct slot *find(struct ps_ratelimit *r, uint64_t h, size_t base, bool *fresh)
{
    struct slot *victim = NULL;
    for (size_t i = 0; i < PROBE; i++) {
        struct slot *s = &r->slots[base + i];
        if (s->hash == h) {
            *fresh = false;
            return s;
        }
        bool better = !victim || (victim->hash != 0 &&
                                  (s->hash == 0 || s->last_ms < victim->last_ms));
        if (better)
            victim = s; /* an empty slot, else the least recently used */
    }
    *fresh = true;
    return victim;
}

bool ps_ratelimit_take(struct ps_ratelimit *r, struct ps_str key, int64_t now_ms,
                       unsigned *retry_after_s)
{
    if (r->rate <= 0)
        return true;
    uint64_t h;
    crypto_shorthash((unsigned char *)&h, (const unsigned char *)key.p, key.len, r->key);
    h |= 1; /* never 0, the empty mark */
    size_t base = (size_t)(h >> 1) & r->mask & ~(size_t)(PROBE - 1);
    pthread_mutex_t *lock = &r->locks[(base / PROBE) % STRIPES];
    bool fresh, ok;
    pthread_mutex_lock(lock);
    struct slot *s = find(r, h, base, &fresh);
    if (fresh) {
        s->hash = h;
        s->tokens = r->burst;
    } else if (now_ms > s->last_ms) {
        s->tokens = fmin(r->burst, s->tokens + (double)(now_ms - s->last_ms) * r->rate / 1000.0);
    }
    if (fresh || now_ms > s->last_ms)
        s->last_ms = now_ms;
    ok = s->tokens >= 1.0;
    if (ok)
        s->tokens -= 1.0;
    else if (retry_after_s)
        *retry_after_s = (unsigned)ceil((1.0 - s->tokens) / r->rate);
    pthread_mutex_unlock(lock);
    if (!ok && retry_after_s && *retry_after_s == 0)
        *retry_after_s = 1;
    return ok;
}
