/* The synthetic population's passports, driving licences, vehicles, IDP registrations (the
 * certificates are drawn from them) and birth records. Shares (approximate, from public statistics before 2022 and the IDP
 * register after): a travel passport for 40% of people over 16; a driving licence for 55% of
 * men and 30% of women aged 18-80; a vehicle for 55% of licence holders, a second for 12% of
 * those; an IDP certificate for 9% of people living outside the occupied and front-line
 * oblasts, from Donetsk, Luhansk, Kharkiv, Kherson, Zaporizhzhia oblasts and Crimea; a birth
 * record for everyone, the father named in 92% of them. Parents' names follow the person's:
 * the father's given name is the one the patronymic was made from, his surname the male form
 * of the person's. Dates count back from PS_POPULATION_REF_DATE, as the persons' do. */
#include "registries/population_records.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/ids.h"
#include "registries/names.h"
#include "registries/population.h"
#include "registries/prng.h"
#include "registries/transport.h"
#include "store/store.h"

#define MAP_SIZE 4096 /* open addressing; > 4x the names it holds */
#define PASSPORT_SPAN 52000000u /* series F? and G?, 6 digits */
#define SERIES_SPAN 1728000000ull /* 12^3 series, 6 digits */
#define PLATE_SPAN (9999u * 144u)
#define MILLION 1000000u
#define BIRTH_SPAN (16u * MILLION) /* series I-XVI, 6 digits */
#define MAX_INDEX 10000000u /* persons: every number space below holds them */

struct map {
    const char *key[MAP_SIZE];
    uint16_t val[MAP_SIZE];
};

struct affine {
    uint64_t mul, add, span;
};

struct ps_pop_records_gen {
    struct ps_prng rng;     /* set up the tables; then one person's draws (seeded per person) */
    uint64_t seed;
    int64_t ref_day;
    struct map surname;    /* either form -> index into ps_surnames */
    struct map patronymic; /* either form -> index into ps_male_names */
    char patr[2][128][64]; /* [sex][male name] patronymic, for mothers and grandfathers */
    struct affine passport, licence, certificate, idp, birth, plate[32];
    uint64_t n_plate[32]; /* plates handed out per oblast, in the stream's order */
};

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static bool map_put(struct map *m, const char *key, uint16_t val)
{
    for (uint64_t i = fnv(key), k = 0; k < MAP_SIZE; i++, k++) {
        size_t at = i & (MAP_SIZE - 1);
        if (!m->key[at] || strcmp(m->key[at], key) == 0) {
            m->key[at] = key;
            m->val[at] = val;
            return true;
        }
    }
    return false;
}

static int map_get(const struct map *m, struct ps_str key)
{
    char buf[128];
    if (ps_str_copy(buf, sizeof buf, key) != PS_OK)
        return -1;
    for (uint64_t i = fnv(buf), k = 0; k < MAP_SIZE; i++, k++) {
        size_t at = i & (MAP_SIZE - 1);
        if (!m->key[at])
            return -1;
        if (strcmp(m->key[at], buf) == 0)
            return m->val[at];
    }
    return -1;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* k -> (mul*k + add) mod span is a bijection of [0, span) when mul is coprime to span. */
static void affine_init(struct ps_pop_records_gen *g, struct affine *a, uint64_t span)
{
    uint64_t mul;
    do {
        mul = 1 + ps_prng_next(&g->rng) % (span - 1);
    } while (gcd(mul, span) != 1);
    a->mul = mul;
    a->add = ps_prng_next(&g->rng) % span;
    a->span = span;
}

static uint64_t affine(const struct affine *a, uint64_t k)
{
    return (uint64_t)(((unsigned __int128)a->mul * (k % a->span) + a->add) % a->span);
}

static enum ps_err maps_init(struct ps_pop_records_gen *g, struct ps_diag *diag)
{
    bool ok = ps_n_male_names <= 128;
    for (size_t i = 0; ok && i < ps_n_surnames; i++)
        ok = map_put(&g->surname, ps_surnames[i].male, (uint16_t)i) &&
             map_put(&g->surname, ps_surnames[i].female, (uint16_t)i);
    for (size_t i = 0; ok && i < ps_n_male_names; i++) {
        for (int s = 0; ok && s < 2; s++) {
            size_t len = 0;
            ok = ps_patronymic(ps_str_from_cstr(ps_male_names[i].name),
                               s ? PS_SEX_FEMALE : PS_SEX_MALE, g->patr[s][i],
                               sizeof g->patr[s][i], &len) == PS_OK &&
                 map_put(&g->patronymic, g->patr[s][i], (uint16_t)i);
        }
    }
    return ok ? PS_OK : ps_diag_set(diag, PS_ERR_INTERNAL, "name tables do not fit the maps");
}

enum ps_err ps_pop_records_gen_new(uint64_t seed, struct ps_pop_records_gen **out,
                                   struct ps_diag *diag)
{
    struct ps_pop_records_gen *g = ps_calloc(1, sizeof *g);
    if (!g)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    g->seed = seed ^ 0x7265636f726473u; /* "records": a stream of its own */
    ps_prng_seed(&g->rng, g->seed);
    g->ref_day = ps_date_to_days(PS_POPULATION_REF_DATE);
    enum ps_err e = maps_init(g, diag);
    if (e != PS_OK) {
        ps_free(g);
        return e;
    }
    PS_ASSERT(ps_n_oblast_codes <= 32);
    affine_init(g, &g->passport, PASSPORT_SPAN);
    affine_init(g, &g->licence, SERIES_SPAN);
    affine_init(g, &g->certificate, SERIES_SPAN);
    affine_init(g, &g->idp, 10000000000ull);
    affine_init(g, &g->birth, BIRTH_SPAN);
    for (size_t i = 0; i < 32; i++)
        affine_init(g, &g->plate[i], PLATE_SPAN);
    *out = g;
    return PS_OK;
}

void ps_pop_records_gen_free(struct ps_pop_records_gen *g)
{
    ps_free(g);
}

/* ---- helpers ---- */

static uint32_t below(struct ps_pop_records_gen *g, uint32_t n)
{
    return ps_prng_below(&g->rng, n);
}

static int age_at_ref(const struct ps_pop_records_gen *g, struct ps_date birth)
{
    struct ps_date ref = ps_date_from_days(g->ref_day);
    int age = ref.year - birth.year;
    if (ref.month < birth.month || (ref.month == birth.month && ref.day < birth.day))
        age--;
    return age;
}

static int64_t plus_years(int64_t day, int years)
{
    struct ps_date d = ps_date_from_days(day);
    d.year += years;
    if (d.month == 2 && d.day == 29 && !ps_date_valid(d))
        d.day = 28;
    return ps_date_to_days(d);
}

/* A day uniformly in [from, to] (to >= from). */
static int64_t day_between(struct ps_pop_records_gen *g, int64_t from, int64_t to)
{
    return from + (int64_t)below(g, (uint32_t)(to - from + 1));
}

static void fmt_day(int64_t day, char out[11])
{
    ps_date_fmt(ps_date_from_days(day), out);
}

static void series(uint64_t v, char *out, size_t cap)
{
    uint64_t letters = v / MILLION;
    int n = snprintf(out, cap, "%s%s%s%06u", ps_series_letters[letters / 144 % 12],
                     ps_series_letters[letters / 12 % 12], ps_series_letters[letters % 12],
                     (unsigned)(v % MILLION));
    PS_ASSERT(n > 0 && (size_t)n < cap);
}

static size_t oblast_index(const struct ps_person *p)
{
    const struct ps_oblast_codes *c = ps_oblast_codes_of(p->address.oblast);
    PS_ASSERT(c != NULL); /* the generator draws oblasts from the same list */
    return (size_t)(c - ps_oblast_codes);
}

/* ---- the records ---- */

static void draw_passport(struct ps_pop_records_gen *g, const struct ps_person *p, int64_t birth,
                          uint64_t index, struct ps_pop_records *r)
{
    int64_t from = plus_years(birth, 16), ten_years_ago = plus_years(g->ref_day, -10) + 1;
    from = from > ten_years_ago ? from : ten_years_ago;
    int64_t issued = day_between(g, from, g->ref_day - 1);
    uint64_t v = affine(&g->passport, index);
    int n = snprintf(r->pass.number, sizeof r->pass.number, "%c%c%06u",
                     v / MILLION / 26 ? 'G' : 'F', (char)('A' + v / MILLION % 26),
                     (unsigned)(v % MILLION));
    PS_ASSERT(n == 8);
    n = snprintf(r->pass.authority, sizeof r->pass.authority, "%s1%u",
                 ps_oblast_codes[oblast_index(p)].koatuu, below(g, 10));
    PS_ASSERT(n == 4);
    fmt_day(issued, r->pass.issued);
    fmt_day(plus_years(issued, 10), r->pass.expires);
    r->passport = true;
}

static const struct {
    const char *c;
    unsigned weight;
} licence_categories[] = {{"B", 55}, {"A B", 8}, {"B C", 12}, {"B C1", 8}, {"A1 B", 4},
                          {"B C D", 5}, {"B BE", 5}, {"B C CE", 3}};

static void draw_licence(struct ps_pop_records_gen *g, const struct ps_person *p, int64_t birth,
                         uint64_t index, struct ps_pop_records *r)
{
    int64_t from = plus_years(birth, 18), thirty_years_ago = plus_years(g->ref_day, -30) + 1;
    from = from > thirty_years_ago ? from : thirty_years_ago;
    int64_t issued = day_between(g, from, g->ref_day - 1);
    series(affine(&g->licence, index), r->lic.number, sizeof r->lic.number);
    unsigned total = 100, pick = below(g, total), acc = 0;
    size_t k = 0;
    while (acc + licence_categories[k].weight <= pick)
        acc += licence_categories[k++].weight;
    int n = snprintf(r->lic.categories, sizeof r->lic.categories, "%s", licence_categories[k].c);
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->lic.categories);
    n = snprintf(r->lic.authority, sizeof r->lic.authority, "ТСЦ %s4%u",
                 ps_oblast_codes[oblast_index(p)].koatuu, 1 + below(g, 3));
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->lic.authority);
    fmt_day(issued, r->lic.issued);
    fmt_day(plus_years(issued, 30), r->lic.expires);
    r->licence = true;
}

static const struct ps_vehicle_model *pick_model(struct ps_pop_records_gen *g)
{
    unsigned total = 0;
    for (size_t i = 0; i < ps_n_vehicle_models; i++)
        total += ps_vehicle_models[i].weight;
    unsigned pick = below(g, total), acc = 0;
    size_t k = 0;
    while (acc + ps_vehicle_models[k].weight <= pick)
        acc += ps_vehicle_models[k++].weight;
    return &ps_vehicle_models[k];
}

static enum ps_err draw_plate(struct ps_pop_records_gen *g, size_t ob, char out[9])
{
    const struct ps_oblast_codes *c = &ps_oblast_codes[ob];
    uint64_t k = g->n_plate[ob];
    const char *code = k / PLATE_SPAN < 2 ? c->plates[k / PLATE_SPAN] : NULL;
    if (!code)
        return PS_ERR_LIMIT;
    g->n_plate[ob]++;
    uint64_t v = affine(&g->plate[ob], k);
    unsigned suffix = (unsigned)(v / 9999u);
    int n = snprintf(out, 9, "%s%04u%c%c", code, (unsigned)(v % 9999u) + 1,
                     PS_PLATE_LETTERS[suffix / 12], PS_PLATE_LETTERS[suffix % 12]);
    PS_ASSERT(n == 8);
    return PS_OK;
}

/* k: the vehicle's number in the stream (2 * person index + i), unique. */
static void draw_vin(const struct ps_vehicle_model *m, int year, uint64_t k, char vin[18])
{
    static const char plants[] = "ABCDEFGHJKLMNPRSTVWXYZ";
    int n = snprintf(vin, 18, "%s%s0%c%c%06u", m->wmi, m->vds, ps_vin_year_code(year),
                     plants[k / MILLION % (sizeof plants - 1)], (unsigned)(k % MILLION));
    PS_ASSERT(n == 17);
    vin[8] = ps_vin_check_digit(vin);
}

static void draw_vehicle(struct ps_pop_records_gen *g, int64_t birth, uint64_t index, unsigned i,
                         struct ps_pop_records *r)
{
    const struct ps_vehicle_model *m = pick_model(g);
    int ref_year = ps_date_from_days(g->ref_day).year;
    int last = m->to_year < ref_year ? m->to_year : ref_year;
    int year = m->from_year + (int)below(g, (uint32_t)(last - m->from_year + 1));
    int64_t from = ps_date_to_days((struct ps_date){year, 1, 1});
    int64_t adult = plus_years(birth, 18);
    from = from > adult ? from : adult;
    if (from >= g->ref_day)
        from = g->ref_day - 1;
    uint64_t k = 2 * index + i;
    draw_vin(m, year, k, r->veh[i].vin);
    series(affine(&g->certificate, k), r->veh[i].certificate, sizeof r->veh[i].certificate);
    fmt_day(day_between(g, from, g->ref_day - 1), r->veh[i].registered);
    r->veh[i].make = m->make;
    r->veh[i].model = m->model;
    r->veh[i].colour = ps_vehicle_colours[below(g, (uint32_t)ps_n_vehicle_colours)];
    r->veh[i].year = year;
}

/* Where IDPs came from: weights, and settlements for Crimea (not in the population tables). */
static const struct {
    const char *oblast;
    unsigned weight;
} idp_origins[] = {{"Донецька область", 35}, {"Луганська область", 20},
                   {"Харківська область", 15}, {"Херсонська область", 12},
                   {"Запорізька область", 12}, {"Автономна Республіка Крим", 6}};
/* Crimea's cities (not in the population tables), as hromada and settlement. */
static const struct ps_hromada crimea[] = {
    {"Сімферопольська міська громада", "м. Сімферополь", 0, NULL},
    {"Керченська міська громада", "м. Керч", 0, NULL},
    {"Ялтинська міська громада", "м. Ялта", 0, NULL},
    {"Євпаторійська міська громада", "м. Євпаторія", 0, NULL},
};
/* Where the front line has held the longest: registrations from there are of occupied
 * territories, the others of combat ones (a simplification of the official list, which goes
 * by hromada and date). */
static const char *const occupied_oblasts[] = {"Автономна Республіка Крим", "Луганська область"};

static bool origin_oblast(struct ps_str oblast)
{
    for (size_t i = 0; i < sizeof idp_origins / sizeof idp_origins[0]; i++) {
        if (ps_str_eq_cstr(oblast, idp_origins[i].oblast))
            return true;
    }
    return false;
}

static const struct ps_hromada *origin_hromada(struct ps_pop_records_gen *g, const char *oblast)
{
    for (size_t i = 0; i < ps_n_oblasts; i++) {
        if (strcmp(ps_oblasts[i].name, oblast) == 0)
            return &ps_oblasts[i].hromadas[below(g, (uint32_t)ps_oblasts[i].n_hromadas)];
    }
    return &crimea[below(g, (uint32_t)(sizeof crimea / sizeof crimea[0]))];
}

/* Where the IDP lives now, as the service writes it: "settlement, street, building". */
static void current_address(const struct ps_person *p, struct ps_pop_records *r)
{
    int n = snprintf(r->idp_.current, sizeof r->idp_.current, "%.*s, %.*s, %.*s",
                     PS_STR_FMT(p->address.settlement), PS_STR_FMT(p->address.street),
                     PS_STR_FMT(p->address.building));
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->idp_.current);
}

static void draw_idp(struct ps_pop_records_gen *g, const struct ps_person *p, uint64_t index,
                     struct ps_pop_records *r)
{
    unsigned pick = below(g, 100), acc = 0;
    size_t k = 0;
    while (acc + idp_origins[k].weight <= pick)
        acc += idp_origins[k++].weight;
    const struct ps_hromada *h = origin_hromada(g, idp_origins[k].oblast);
    r->idp_.hromada = h->hromada;
    int n = snprintf(r->idp_.address, sizeof r->idp_.address, "%s, %s, %s, %u",
                     idp_origins[k].oblast, h->settlement,
                     ps_common_streets[below(g, (uint32_t)ps_n_common_streets)],
                     1 + below(g, 1 + below(g, 120)));
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->idp_.address);
    uint64_t v = affine(&g->idp, index);
    n = snprintf(r->idp_.number, sizeof r->idp_.number, "%s%02u-%010llu",
                 ps_oblast_codes[oblast_index(p)].koatuu, below(g, 100), (unsigned long long)v);
    PS_ASSERT(n == 15);
    int64_t war = ps_date_to_days((struct ps_date){2022, 3, 1});
    r->idp_.issued_day = day_between(g, war, g->ref_day - 1);
    r->idp_.status = "combat";
    for (size_t i = 0; i < sizeof occupied_oblasts / sizeof occupied_oblasts[0]; i++)
        if (strcmp(idp_origins[k].oblast, occupied_oblasts[i]) == 0)
            r->idp_.status = "occupied";
    r->idp_.aid = below(g, 100) < 60;
    current_address(p, r);
    r->idp = true;
}

/* The parents' names: the father's given name is the one the patronymic came from. */
static void draw_parents(struct ps_pop_records_gen *g, const struct ps_person *p,
                         struct ps_pop_records *r)
{
    int s = map_get(&g->surname, p->surname), f = map_get(&g->patronymic, p->patronymic);
    const char *family_m = s >= 0 ? ps_surnames[s].male : "";
    const char *family_f = s >= 0 ? ps_surnames[s].female : "";
    size_t grandfather = below(g, (uint32_t)ps_n_male_names);
    size_t mother = below(g, (uint32_t)ps_n_female_names);
    size_t mothers_father = below(g, (uint32_t)ps_n_male_names);
    r->birth.father[0] = '\0';
    if (f >= 0 && s >= 0 && below(g, 100) < 92) {
        int n = snprintf(r->birth.father, sizeof r->birth.father, "%s %s %s", family_m,
                         ps_male_names[f].name, g->patr[0][grandfather]);
        PS_ASSERT(n > 0 && (size_t)n < sizeof r->birth.father);
    }
    int n = snprintf(r->birth.mother, sizeof r->birth.mother, "%s %s %s", family_f,
                     ps_female_names[mother].name, g->patr[1][mothers_father]);
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->birth.mother);
}

static void draw_birth(struct ps_pop_records_gen *g, const struct ps_person *p, int64_t birth,
                       uint64_t index, struct ps_pop_records *r)
{
    static const char *const roman[16] = {"I",  "II",  "III",  "IV",  "V",   "VI",
                                          "VII", "VIII", "IX", "X",   "XI",  "XII",
                                          "XIII", "XIV", "XV", "XVI"};
    const struct ps_oblast_codes *c = &ps_oblast_codes[oblast_index(p)];
    uint64_t v = affine(&g->birth, index);
    int n = snprintf(r->birth.certificate, sizeof r->birth.certificate, "%s-%s %06u",
                     roman[v / MILLION], c->civil, (unsigned)(v % MILLION));
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->birth.certificate);
    fmt_day(birth + 1 + below(g, 30), r->birth.registered);
    r->birth.act = 1 + (int)below(g, 3000);
    bool kyiv = ps_str_eq_cstr(p->address.oblast, "м. Київ");
    n = snprintf(r->birth.office, sizeof r->birth.office,
                 "Відділ державної реєстрації актів цивільного стану, %.*s",
                 PS_STR_FMT(p->address.settlement));
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->birth.office);
    n = kyiv ? snprintf(r->birth.place, sizeof r->birth.place, "м. Київ")
             : snprintf(r->birth.place, sizeof r->birth.place, "%.*s, %.*s",
                        PS_STR_FMT(p->address.settlement), PS_STR_FMT(p->address.oblast));
    PS_ASSERT(n > 0 && (size_t)n < sizeof r->birth.place);
    draw_parents(g, p, r);
}

enum ps_err ps_pop_records_draw(struct ps_pop_records_gen *g, uint64_t index,
                                const struct ps_person *p, struct ps_pop_records *r)
{
    memset(r, 0, sizeof *r);
    if (index >= MAX_INDEX)
        return PS_ERR_LIMIT;
    uint64_t x = g->seed ^ (index * 0x9E3779B97F4A7C15u);
    ps_prng_seed(&g->rng, ps_splitmix64(&x));
    int64_t birth = ps_date_to_days(p->birth_date);
    int age = age_at_ref(g, p->birth_date);
    bool alive = p->status == PS_PERSON_ALIVE, male = p->sex == PS_SEX_MALE;
    draw_birth(g, p, birth, index, r);
    if (alive && age >= 16 && below(g, 100) < 40)
        draw_passport(g, p, birth, index, r);
    if (alive && age >= 18 && age <= 80 && below(g, 100) < (male ? 55u : 30u))
        draw_licence(g, p, birth, index, r);
    if (r->licence && below(g, 100) < 55)
        r->nvehicles = below(g, 100) < 12 ? 2 : 1;
    for (unsigned i = 0; i < r->nvehicles; i++)
        draw_vehicle(g, birth, index, i, r);
    if (alive && !origin_oblast(p->address.oblast) && below(g, 100) < 9)
        draw_idp(g, p, index, r);
    return PS_OK;
}

enum ps_err ps_pop_records_plates(struct ps_pop_records_gen *g, const struct ps_person *p,
                                  struct ps_pop_records *r)
{
    size_t ob = oblast_index(p);
    for (unsigned i = 0; i < r->nvehicles; i++) {
        enum ps_err e = draw_plate(g, ob, r->veh[i].plate);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}

/* ---- inserts ---- */

static const struct ps_sql insert_passport = {
    "population.passport",
    "INSERT INTO passports (id, rnokpp, number, authority, issued_on, expires_on, status) "
    "VALUES ($1, $2, $3, $4, $5, $6, 'active')",
};
static const struct ps_sql insert_licence = {
    "population.licence",
    "INSERT INTO driving_licences (id, rnokpp, number, categories, authority, issued_on, "
    "expires_on, status) VALUES ($1, $2, $3, $4, $5, $6, $7, 'active')",
};
static const struct ps_sql insert_vehicle = {
    "population.vehicle",
    "INSERT INTO vehicles (id, owner, plate, vin, make, model, year, colour, certificate, "
    "registered_on, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'registered')",
};
static const struct ps_sql insert_idp = {
    "population.idp",
    "INSERT INTO idp_registrations (id, rnokpp, number, with_parent, from_hromada, "
    "from_address, current_address, territory_status, aid_eligible, registered_at_ms, status) "
    "VALUES ($1, $2, $3, NULL, $4, $5, $6, $7, $8, $9, 'active')",
};
static const struct ps_sql insert_birth = {
    "population.birth",
    "INSERT INTO birth_records (id, rnokpp, act_number, registered_on, registry_office, "
    "place_of_birth, father, mother, certificate) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
};

static void start(struct ps_query *q, struct ps_tx *tx, const struct ps_sql *sql,
                  struct ps_str rnokpp)
{
    char id[37];
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id);
    ps_query_start(q, tx, sql);
    ps_query_text(q, (struct ps_str){id, 36});
    ps_query_text(q, rnokpp);
}

#define T(s) ps_str_from_cstr(s)

static enum ps_err finish(struct ps_query *q, const char *table, struct ps_diag *diag)
{
    enum ps_err e = ps_query_exec(q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "inserting into %s: %s", table, ps_tx_errmsg(q->tx));
    return e;
}

static enum ps_err insert_vehicles(struct ps_tx *tx, struct ps_str rnokpp,
                                   const struct ps_pop_records *r, struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    for (unsigned i = 0; i < r->nvehicles && e == PS_OK; i++) {
        struct ps_query q;
        start(&q, tx, &insert_vehicle, rnokpp);
        ps_query_text(&q, T(r->veh[i].plate));
        ps_query_text(&q, T(r->veh[i].vin));
        ps_query_text(&q, T(r->veh[i].make));
        ps_query_text(&q, T(r->veh[i].model));
        ps_query_i64(&q, r->veh[i].year);
        ps_query_text(&q, T(r->veh[i].colour));
        ps_query_text(&q, T(r->veh[i].certificate));
        ps_query_text(&q, T(r->veh[i].registered));
        e = finish(&q, "vehicles", diag);
    }
    return e;
}

static enum ps_err insert_more(struct ps_tx *tx, struct ps_str rnokpp,
                               const struct ps_pop_records *r, struct ps_diag *diag)
{
    struct ps_query q;
    enum ps_err e = PS_OK;
    if (r->licence) {
        start(&q, tx, &insert_licence, rnokpp);
        ps_query_text(&q, T(r->lic.number));
        ps_query_text(&q, T(r->lic.categories));
        ps_query_text(&q, T(r->lic.authority));
        ps_query_text(&q, T(r->lic.issued));
        ps_query_text(&q, T(r->lic.expires));
        e = finish(&q, "driving_licences", diag);
    }
    if (e == PS_OK && r->idp) {
        start(&q, tx, &insert_idp, rnokpp);
        ps_query_text(&q, T(r->idp_.number));
        ps_query_text(&q, T(r->idp_.hromada));
        ps_query_text(&q, T(r->idp_.address));
        ps_query_text(&q, T(r->idp_.current));
        ps_query_text(&q, T(r->idp_.status));
        ps_query_i64(&q, r->idp_.aid ? 1 : 0);
        ps_query_i64(&q, r->idp_.issued_day * 86400000 + 43200000); /* noon UTC */
        e = finish(&q, "idp_registrations", diag);
    }
    return e == PS_OK ? insert_vehicles(tx, rnokpp, r, diag) : e;
}

enum ps_err ps_pop_records_insert(struct ps_tx *tx, struct ps_str rnokpp,
                                  const struct ps_pop_records *r, struct ps_diag *diag)
{
    struct ps_query q;
    start(&q, tx, &insert_birth, rnokpp);
    ps_query_i64(&q, r->birth.act);
    ps_query_text(&q, T(r->birth.registered));
    ps_query_text(&q, T(r->birth.office));
    ps_query_text(&q, T(r->birth.place));
    ps_query_text(&q, T(r->birth.father));
    ps_query_text(&q, T(r->birth.mother));
    ps_query_text(&q, T(r->birth.certificate));
    enum ps_err e = finish(&q, "birth_records", diag);
    if (e == PS_OK && r->passport) {
        start(&q, tx, &insert_passport, rnokpp);
        ps_query_text(&q, T(r->pass.number));
        ps_query_text(&q, T(r->pass.authority));
        ps_query_text(&q, T(r->pass.issued));
        ps_query_text(&q, T(r->pass.expires));
        e = finish(&q, "passports", diag);
    }
    return e == PS_OK ? insert_more(tx, rnokpp, r, diag) : e;
}
