/* The synthetic population generator: a deterministic stream of valid, realistic persons for
 * a seed (same seed, same people), drawn from Ukraine's age pyramid, oblast populations,
 * common names and real places (names.h). RNOKPP, UNZR and ID-card numbers are unique within
 * one stream. Uses its own PRNG (xoshiro256** seeded by splitmix64), never the crypto source.
 * Not thread-safe: one generator per thread. */
#ifndef PS_REGISTRIES_POPULATION_H
#define PS_REGISTRIES_POPULATION_H

#include <stdint.h>

#include "core/err.h"
#include "registries/persons.h"

struct ps_population;

/* Ages are counted back from this fixed date, not from the clock, so a seed gives the same
 * people on any day. */
#define PS_POPULATION_REF_DATE ((struct ps_date){2025, 1, 1})

/* New generator for seed. Caller frees with ps_population_free. Errors: PS_ERR_NOMEM,
 * PS_ERR_INTERNAL if a name table entry does not transliterate (a bug in the tables). */
enum ps_err ps_population_new(uint64_t seed, struct ps_population **out,
                              struct ps_diag *diag) PS_WUR;
/* NULL is a no-op. */
void ps_population_free(struct ps_population *pop);

/* The next person into *out. Its strings are owned by pop and valid until the next call or
 * ps_population_free. Errors: PS_ERR_LIMIT when a birth date ran out of serials (more than
 * 5000 people of one sex born on one day: far beyond tens of millions of people). */
enum ps_err ps_population_next(struct ps_population *pop, struct ps_person *out) PS_WUR;

/* Persons generated so far. */
uint64_t ps_population_count(const struct ps_population *pop);

#endif
