/* The synthetic population's other records: for each generated person, their travel
 * passport, driving licence, vehicles, IDP registration and birth record (or none), drawn
 * deterministically from the seed and the person's place in the stream (its index), with
 * random streams of their own, so the persons of a seed stay what they were and a person's
 * records do not depend on how many were loaded. Numbers are unique within a stream (the
 * index through affine bijections, as ID-card numbers are) and valid by transport.h's rules;
 * plates, unique per region, are handed out by per-oblast counters in the stream's order.
 * Private to src/registries: the bulk loader (persons.c) inserts them with the persons. Not
 * thread-safe: one generator per thread. */
#ifndef PS_REGISTRIES_POPULATION_RECORDS_H
#define PS_REGISTRIES_POPULATION_RECORDS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "registries/persons.h"

#define PS_POP_VEHICLES_MAX 2
#define PS_POP_TEXT 200

/* A person's other records. Fixed storage: copying the struct copies them. */
struct ps_pop_records {
    bool passport, licence, idp;
    unsigned nvehicles;
    struct {
        char number[9], authority[5], issued[11], expires[11];
    } pass;
    struct {
        char number[24], categories[32], authority[16], issued[11], expires[11];
    } lic;
    struct {
        char plate[9], vin[18], certificate[24], registered[11];
        const char *make, *model, *colour;
        int year;
    } veh[PS_POP_VEHICLES_MAX];
    struct {
        char number[24], address[PS_POP_TEXT], current[PS_POP_TEXT];
        const char *hromada, *status; /* territory status: "occupied" or "combat" */
        int64_t issued_day;           /* days since 1970-01-01 */
        bool aid;
    } idp_;
    struct {
        char certificate[32], registered[11], office[PS_POP_TEXT], place[PS_POP_TEXT];
        char father[PS_POP_TEXT], mother[PS_POP_TEXT];
        int act;
    } birth;
};

struct ps_pop_records_gen;

/* A generator for seed. Errors: PS_ERR_NOMEM, PS_ERR_INTERNAL (a name table entry without a
 * patronymic: a bug in the tables). Free with ps_pop_records_gen_free (NULL is a no-op). */
enum ps_err ps_pop_records_gen_new(uint64_t seed, struct ps_pop_records_gen **out,
                                   struct ps_diag *diag) PS_WUR;
void ps_pop_records_gen_free(struct ps_pop_records_gen *g);

/* Draws the records of p, the person number index (from 0) of the same seed's population
 * stream, into *out, plates left empty. Depends only on the seed, index and p. Errors:
 * PS_ERR_LIMIT for an index of 10 million or more (the number spaces hold that many). */
enum ps_err ps_pop_records_draw(struct ps_pop_records_gen *g, uint64_t index,
                                const struct ps_person *p, struct ps_pop_records *out) PS_WUR;
/* Gives r's vehicles their plates from p's oblast's series. Call it for every person in the
 * stream's order (the same seed's persons in the same order get the same plates). Errors:
 * PS_ERR_LIMIT when the oblast's two series are used up (2.9 million plates). */
enum ps_err ps_pop_records_plates(struct ps_pop_records_gen *g, const struct ps_person *p,
                                  struct ps_pop_records *r) PS_WUR;

/* Inserts r, the records of the person rnokpp, in tx with the loader's prepared statements
 * (ps_tx_prepare caches them per connection; each insert is one step). Errors: store errors
 * with the table in diag (PS_ERR_EXISTS for a number already registered). */
enum ps_err ps_pop_records_insert(struct ps_tx *tx, struct ps_str rnokpp,
                                  const struct ps_pop_records *r, struct ps_diag *diag) PS_WUR;

#endif
