/* The synthetic population's pseudo-random numbers: xoshiro256** seeded by splitmix64
 * (Blackman and Vigna), fast and deterministic for a seed. Never for anything secret: the one
 * source of secure randomness is ps_random_bytes. Private to src/registries. */
#ifndef PS_REGISTRIES_PRNG_H
#define PS_REGISTRIES_PRNG_H

#include <stdint.h>

struct ps_prng {
    uint64_t s[4];
};

static inline uint64_t ps_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static inline void ps_prng_seed(struct ps_prng *r, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = ps_splitmix64(&x);
}

static inline uint64_t ps_prng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t ps_prng_next(struct ps_prng *r)
{
    uint64_t *s = r->s;
    uint64_t result = ps_prng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = ps_prng_rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) by multiply-shift (bias below 2^-32 for the sizes used here). */
static inline uint32_t ps_prng_below(struct ps_prng *r, uint32_t n)
{
    return (uint32_t)(((unsigned __int128)ps_prng_next(r) * n) >> 64);
}

#endif
