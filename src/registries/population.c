/* Synthetic population: sampling tables are turned into cumulative weights once, then each
 * person costs a handful of PRNG draws and binary searches. Uniqueness comes from per-day
 * serial counters (RNOKPP per day and sex, UNZR per day) and an affine bijection for ID-card
 * numbers, so nothing has to be remembered per person. */
#include "registries/population.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/arena.h"
#include "registries/names.h"
#include "registries/prng.h"
#include "registries/translit.h"
#include "registries/unzr.h"

#define ID_CARD_SPAN 900000000u /* 9-digit numbers not starting with 0 */
#define ID_CARD_BASE 100000000u
#define NAME_BYTES 256

struct cum {
    uint32_t *w; /* cumulative weights */
    size_t n;
};

struct names_latin {
    struct ps_str *male, *female; /* surnames; or the patronymics of a father's name */
    struct ps_str *male_lat, *female_lat;
};

struct ps_population {
    struct ps_prng rng;
    uint64_t count;
    struct ps_arena *arena;
    struct cum ages, oblasts, surnames;
    struct cum male_old, male_young, female_old, female_young;
    struct cum *hromadas; /* per oblast */
    struct ps_str *surname_lat[2];        /* [0] male, [1] female */
    struct ps_str *male_lat, *female_lat; /* given names */
    struct ps_str *patr[2], *patr_lat[2]; /* per male given name */
    int64_t first_day, ref_day;           /* day numbers of 1900-01-01 and the ref date */
    uint16_t *rnokpp_next;                /* [day * 2 + sex-1] */
    uint16_t *unzr_next;                  /* [day] */
    uint64_t id_mul, id_add;
    unsigned rnokpp_perm;                 /* serial permutation offset */
    char rnokpp[PS_RNOKPP_LEN + 1], unzr[PS_UNZR_LEN + 1], id_card[10], building[32];
};

static uint64_t next_u64(struct ps_population *p)
{
    return ps_prng_next(&p->rng);
}

static uint32_t below(struct ps_population *p, uint32_t n)
{
    return ps_prng_below(&p->rng, n);
}

static size_t pick(struct ps_population *p, const struct cum *c)
{
    uint32_t r = below(p, c->w[c->n - 1]);
    size_t lo = 0, hi = c->n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c->w[mid] > r)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* Cumulative weights from a strided table: weight of item i at base + i*stride + offset. */
static enum ps_err cum_init(struct ps_arena *a, struct cum *c, const void *base, size_t n,
                            size_t stride, size_t offset)
{
    c->w = ps_arena_array(a, n, sizeof *c->w);
    if (!c->w)
        return PS_ERR_NOMEM;
    uint32_t total = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned w;
        memcpy(&w, (const char *)base + i * stride + offset, sizeof w);
        total += w;
        c->w[i] = total;
    }
    c->n = n;
    return total > 0 ? PS_OK : PS_ERR_INTERNAL;
}

static enum ps_err latin_str(struct ps_arena *a, struct ps_str uk, struct ps_str *out,
                             struct ps_diag *diag)
{
    enum ps_err e = ps_translit_arena(a, uk, out, NULL);
    if (e == PS_ERR_NOMEM)
        return ps_diag_set(diag, e, "out of memory");
    if (e != PS_OK)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "table name %.*s does not transliterate",
                           PS_STR_FMT(uk));
    return PS_OK;
}

static enum ps_err latin(struct ps_arena *a, const char *uk, struct ps_str *out,
                         struct ps_diag *diag)
{
    return latin_str(a, ps_str_from_cstr(uk), out, diag);
}

static enum ps_err names_init(struct ps_population *p, struct ps_diag *diag)
{
    struct ps_arena *a = p->arena;
    size_t ns = ps_n_surnames, nm = ps_n_male_names, nf = ps_n_female_names;
    p->surname_lat[0] = ps_arena_array(a, ns, sizeof(struct ps_str));
    p->surname_lat[1] = ps_arena_array(a, ns, sizeof(struct ps_str));
    p->male_lat = ps_arena_array(a, nm, sizeof(struct ps_str));
    p->female_lat = ps_arena_array(a, nf, sizeof(struct ps_str));
    for (int s = 0; s < 2; s++) {
        p->patr[s] = ps_arena_array(a, nm, sizeof(struct ps_str));
        p->patr_lat[s] = ps_arena_array(a, nm, sizeof(struct ps_str));
        if (!p->patr[s] || !p->patr_lat[s])
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    if (!p->surname_lat[0] || !p->surname_lat[1] || !p->male_lat || !p->female_lat)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = PS_OK;
    for (size_t i = 0; i < ns && e == PS_OK; i++) {
        e = latin(a, ps_surnames[i].male, &p->surname_lat[0][i], diag);
        if (e == PS_OK)
            e = latin(a, ps_surnames[i].female, &p->surname_lat[1][i], diag);
    }
    for (size_t i = 0; i < nf && e == PS_OK; i++)
        e = latin(a, ps_female_names[i].name, &p->female_lat[i], diag);
    for (size_t i = 0; i < nm && e == PS_OK; i++) {
        e = latin(a, ps_male_names[i].name, &p->male_lat[i], diag);
        for (int s = 0; s < 2 && e == PS_OK; s++) {
            char buf[NAME_BYTES];
            size_t len = 0;
            e = ps_patronymic(ps_str_from_cstr(ps_male_names[i].name),
                              s ? PS_SEX_FEMALE : PS_SEX_MALE, buf, sizeof buf, &len);
            if (e != PS_OK)
                return ps_diag_set(diag, PS_ERR_INTERNAL, "no patronymic for %s",
                                   ps_male_names[i].name);
            p->patr[s][i] = ps_arena_str(a, (struct ps_str){buf, len});
            if (!p->patr[s][i].p)
                return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
            e = latin_str(a, p->patr[s][i], &p->patr_lat[s][i], diag);
        }
    }
    return e;
}

static enum ps_err tables_init(struct ps_population *p)
{
    struct ps_arena *a = p->arena;
    const size_t gn = sizeof(struct ps_given_name);
    enum ps_err e = cum_init(a, &p->ages, ps_age_bands, ps_n_age_bands,
                             sizeof(struct ps_age_band), offsetof(struct ps_age_band, thousands));
    if (e == PS_OK)
        e = cum_init(a, &p->oblasts, ps_oblasts, ps_n_oblasts, sizeof(struct ps_oblast),
                     offsetof(struct ps_oblast, population));
    if (e == PS_OK)
        e = cum_init(a, &p->surnames, ps_surnames, ps_n_surnames, sizeof(struct ps_surname),
                     offsetof(struct ps_surname, weight));
    if (e == PS_OK)
        e = cum_init(a, &p->male_old, ps_male_names, ps_n_male_names, gn,
                     offsetof(struct ps_given_name, weight_older));
    if (e == PS_OK)
        e = cum_init(a, &p->male_young, ps_male_names, ps_n_male_names, gn,
                     offsetof(struct ps_given_name, weight_younger));
    if (e == PS_OK)
        e = cum_init(a, &p->female_old, ps_female_names, ps_n_female_names, gn,
                     offsetof(struct ps_given_name, weight_older));
    if (e == PS_OK)
        e = cum_init(a, &p->female_young, ps_female_names, ps_n_female_names, gn,
                     offsetof(struct ps_given_name, weight_younger));
    p->hromadas = ps_arena_array(a, ps_n_oblasts, sizeof *p->hromadas);
    if (!p->hromadas)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < ps_n_oblasts && e == PS_OK; i++)
        e = cum_init(a, &p->hromadas[i], ps_oblasts[i].hromadas, ps_oblasts[i].n_hromadas,
                     sizeof(struct ps_hromada), offsetof(struct ps_hromada, weight));
    return e;
}

static void seed_init(struct ps_population *p, uint64_t seed)
{
    ps_prng_seed(&p->rng, seed);
    /* ID cards: i -> BASE + (mul*i + add) mod SPAN, a bijection when mul is coprime to
     * SPAN = 2^8 * 3^2 * 5^8 */
    uint64_t mul;
    do {
        mul = next_u64(p) % ID_CARD_SPAN;
    } while (mul % 2 == 0 || mul % 3 == 0 || mul % 5 == 0);
    p->id_mul = mul;
    p->id_add = next_u64(p) % ID_CARD_SPAN;
    p->rnokpp_perm = (unsigned)(next_u64(p) % PS_RNOKPP_SERIALS);
}

enum ps_err ps_population_new(uint64_t seed, struct ps_population **out, struct ps_diag *diag)
{
    enum ps_err e = PS_ERR_NOMEM;
    struct ps_population *p = ps_calloc(1, sizeof *p);
    if (!p)
        goto out;
    p->arena = ps_arena_new(4u << 20);
    p->first_day = ps_date_to_days((struct ps_date){1900, 1, 1});
    p->ref_day = ps_date_to_days(PS_POPULATION_REF_DATE);
    size_t days = (size_t)(p->ref_day - p->first_day + 1);
    p->rnokpp_next = ps_alloc_array(days * 2, sizeof *p->rnokpp_next);
    p->unzr_next = ps_alloc_array(days, sizeof *p->unzr_next);
    if (!p->arena || !p->rnokpp_next || !p->unzr_next)
        goto out;
    memset(p->rnokpp_next, 0, days * 2 * sizeof *p->rnokpp_next);
    memset(p->unzr_next, 0, days * sizeof *p->unzr_next);
    e = tables_init(p);
    if (e == PS_OK)
        e = names_init(p, diag);
    if (e != PS_OK)
        goto out;
    seed_init(p, seed);
    *out = p;
    return PS_OK;
out:
    ps_population_free(p);
    if (e == PS_ERR_NOMEM)
        ps_diag_set(diag, e, "out of memory creating the population generator");
    return e;
}

void ps_population_free(struct ps_population *pop)
{
    if (!pop)
        return;
    ps_free(pop->rnokpp_next);
    ps_free(pop->unzr_next);
    ps_arena_free(pop->arena);
    ps_free(pop);
}

uint64_t ps_population_count(const struct ps_population *pop)
{
    return pop->count;
}

/* Age band, sex and birth day; deceased: about 7% of those over 60 and 1% of the rest, which
 * gives 2-3% of the whole. */
static void draw_person_core(struct ps_population *p, struct ps_person *o, int64_t *day)
{
    size_t band = pick(p, &p->ages);
    o->sex = below(p, 1000) < ps_age_bands[band].male_permille ? PS_SEX_MALE : PS_SEX_FEMALE;
    int64_t age_days = (int64_t)band * 5 * 36525 / 100 + below(p, 5 * 36525 / 100);
    *day = p->ref_day - age_days;
    if (*day < p->first_day)
        *day = p->first_day;
    o->birth_date = ps_date_from_days(*day);
    unsigned death_permille = band >= 12 ? 70 : 10;
    o->status = below(p, 1000) < death_permille ? PS_PERSON_DECEASED : PS_PERSON_ALIVE;
}

static void draw_names(struct ps_population *p, struct ps_person *o)
{
    int f = o->sex == PS_SEX_FEMALE;
    bool young = o->birth_date.year >= 1980;
    size_t s = pick(p, &p->surnames);
    o->surname = ps_str_from_cstr(f ? ps_surnames[s].female : ps_surnames[s].male);
    o->surname_latin = p->surname_lat[f][s];
    const struct cum *gc = f ? (young ? &p->female_young : &p->female_old)
                             : (young ? &p->male_young : &p->male_old);
    size_t g = pick(p, gc);
    o->given_name = ps_str_from_cstr(f ? ps_female_names[g].name : ps_male_names[g].name);
    o->given_name_latin = f ? p->female_lat[g] : p->male_lat[g];
    /* the father was born some 20-35 years earlier: older fashions for births before 2005 */
    size_t fa = pick(p, o->birth_date.year >= 2005 ? &p->male_young : &p->male_old);
    o->patronymic = p->patr[f][fa];
    o->patronymic_latin = p->patr_lat[f][fa];
}

static void draw_address(struct ps_population *p, struct ps_person *o)
{
    size_t ob = pick(p, &p->oblasts);
    const struct ps_oblast *obl = &ps_oblasts[ob];
    const struct ps_hromada *h = &obl->hromadas[pick(p, &p->hromadas[ob])];
    o->address.oblast = ps_str_from_cstr(obl->name);
    o->address.hromada = ps_str_from_cstr(h->hromada);
    o->address.settlement = ps_str_from_cstr(h->settlement);
    size_t nlocal = 0;
    while (h->streets && h->streets[nlocal])
        nlocal++;
    const char *street;
    if (nlocal && below(p, 2))
        street = h->streets[below(p, (uint32_t)nlocal)];
    else
        street = ps_common_streets[below(p, (uint32_t)ps_n_common_streets)];
    o->address.street = ps_str_from_cstr(street);
    /* small house numbers are more common; big towns mostly have flats */
    unsigned house = 1 + below(p, 1 + below(p, 150));
    int n;
    if (h->weight >= 100 && below(p, 10) < 7)
        n = snprintf(p->building, sizeof p->building, "%u, кв. %u", house, 1 + below(p, 180));
    else
        n = snprintf(p->building, sizeof p->building, "%u", house);
    PS_ASSERT(n > 0 && (size_t)n < sizeof p->building);
    o->address.building = (struct ps_str){p->building, (size_t)n};
}

static void id_card(struct ps_population *p, uint64_t index)
{
    uint64_t v = ID_CARD_BASE + (p->id_mul * (index % ID_CARD_SPAN) + p->id_add) % ID_CARD_SPAN;
    for (int i = 8; i >= 0; i--) {
        p->id_card[i] = (char)('0' + v % 10);
        v /= 10;
    }
    p->id_card[9] = '\0';
}

enum ps_err ps_population_next(struct ps_population *p, struct ps_person *o)
{
    memset(o, 0, sizeof *o);
    int64_t day;
    draw_person_core(p, o, &day);
    draw_names(p, o);
    draw_address(p, o);
    size_t di = (size_t)(day - p->first_day);
    uint16_t *rn = &p->rnokpp_next[di * 2 + (o->sex == PS_SEX_FEMALE)];
    uint16_t *un = &p->unzr_next[di];
    if (*rn >= PS_RNOKPP_SERIALS || *un >= PS_UNZR_MAX_SERIAL || p->count >= ID_CARD_SPAN)
        return PS_ERR_LIMIT;
    /* 2017 is prime, so k -> (k*2017 + perm) mod 5000 permutes the serials */
    unsigned serial = (unsigned)((*rn * 2017u + p->rnokpp_perm) % PS_RNOKPP_SERIALS);
    enum ps_err e = ps_rnokpp_make(o->birth_date, o->sex, serial, p->rnokpp);
    if (e == PS_OK)
        e = ps_unzr_make(o->birth_date, (unsigned)*un + 1, p->unzr);
    if (e != PS_OK)
        return PS_ERR_INTERNAL;
    (*rn)++;
    (*un)++;
    id_card(p, p->count);
    p->count++;
    o->rnokpp = (struct ps_str){p->rnokpp, PS_RNOKPP_LEN};
    o->unzr = (struct ps_str){p->unzr, PS_UNZR_LEN};
    o->id_card = (struct ps_str){p->id_card, 9};
    return PS_OK;
}
