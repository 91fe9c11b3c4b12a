/* Static tables the synthetic population is drawn from: Ukrainian surnames, given names and
 * the patronymic rule (names.c); oblasts, hromadas, settlements and streets (geo.c); the age
 * pyramid. Private to src/registries; the data is approximate and documented in
 * docs/internals/registries.md. */
#ifndef PS_REGISTRIES_NAMES_H
#define PS_REGISTRIES_NAMES_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"
#include "registries/rnokpp.h"

struct ps_surname {
    const char *male;
    const char *female; /* same as male for the invariable -enko, -uk, ... */
    unsigned weight;    /* relative frequency */
};

struct ps_given_name {
    const char *name;
    unsigned weight_older;   /* born before 1980 */
    unsigned weight_younger; /* born in 1980 or later */
};

struct ps_hromada {
    const char *hromada;    /* "Вінницька міська громада" */
    const char *settlement; /* "м. Вінниця" */
    unsigned weight;        /* population, thousands */
    const char *const *streets; /* NULL-terminated local streets, or NULL */
};

struct ps_oblast {
    const char *name;         /* "Вінницька область", "м. Київ" */
    unsigned population;      /* thousands, estimate for 2022 */
    const struct ps_hromada *hromadas;
    size_t n_hromadas;
};

/* Five-year age bands from 0-4 to 95-99: population in thousands and share of men. */
struct ps_age_band {
    unsigned thousands;
    unsigned male_permille;
};

extern const struct ps_surname ps_surnames[];
extern const size_t ps_n_surnames;
extern const struct ps_given_name ps_male_names[];
extern const size_t ps_n_male_names;
extern const struct ps_given_name ps_female_names[];
extern const size_t ps_n_female_names;
extern const struct ps_oblast ps_oblasts[];
extern const size_t ps_n_oblasts;
extern const char *const ps_common_streets[]; /* found in almost every Ukrainian settlement */
extern const size_t ps_n_common_streets;
extern const struct ps_age_band ps_age_bands[];
extern const size_t ps_n_age_bands;

/* The patronymic derived from a father's given name, for a child of the given sex
 * ("Олександр" -> "Олександрович" / "Олександрівна", "Микола" -> "Миколайович" /
 * "Миколаївна", "Сергій" -> "Сергійович" / "Сергіївна"), into out (cap bytes, NUL-terminated).
 * Errors: PS_ERR_INVALID for a name the rules do not cover, PS_ERR_LIMIT when out is small. */
enum ps_err ps_patronymic(struct ps_str father, enum ps_sex sex, char *out, size_t cap,
                          size_t *out_len) PS_WUR;

#endif
