/* Formats of the records documents are drawn from, beyond persons: Ukrainian driving-licence
 * numbers and categories, vehicle plates of the 2013 regional series, VINs (ISO 3779 with the
 * check digit of 49 CFR 565), travel-passport numbers; and the tables the synthetic
 * population draws vehicles from (makes, models and their world manufacturer identifiers,
 * the regional plate codes and KOATUU codes of each oblast). Pure functions; thread-safe. */
#ifndef PS_REGISTRIES_TRANSPORT_H
#define PS_REGISTRIES_TRANSPORT_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

#define PS_VIN_LEN 17
#define PS_PLATE_LEN 8         /* "BC1234AI" as stored; "BC 1234 AI" as printed */
#define PS_PLATE_PRINTED_LEN 10
#define PS_PASSPORT_NUMBER_LEN 8

/* The Cyrillic letters of licence and certificate series: those that look like Latin ones
 * (А В Е І К М Н О Р С Т Х), as the cards are printed. */
extern const char *const ps_series_letters[12];
/* The Latin letters of plate suffixes (the same twelve shapes). */
#define PS_PLATE_LETTERS "ABCEHIKMOPTX"

/* A driving-licence number: 3 series letters (ps_series_letters, UTF-8) and 6 digits,
 * "ВХА123456". PS_ERR_INVALID with the reason otherwise. */
enum ps_err ps_licence_number_validate(struct ps_str s, struct ps_diag *diag) PS_WUR;
/* Licence categories as printed: space-separated, each one of A1 A B1 B C1 C D1 D BE C1E CE
 * D1E DE T, no repeats, at least one. */
enum ps_err ps_licence_categories_validate(struct ps_str s, struct ps_diag *diag) PS_WUR;

/* A plate of the 2013 series: 2 region letters, 4 digits (not 0000), 2 suffix letters, all
 * letters from PS_PLATE_LETTERS, and a region code that belongs to an oblast. */
enum ps_err ps_plate_validate(struct ps_str s, struct ps_diag *diag) PS_WUR;
/* "BC1234AI" -> "BC 1234 AI" (out: PS_PLATE_PRINTED_LEN + 1 bytes). plate must be valid. */
void ps_plate_print(struct ps_str plate, char out[PS_PLATE_PRINTED_LEN + 1]);

/* The check digit ('0'..'9' or 'X') of a VIN's 17 characters (position 9 ignored); '\0'
 * when a character is not a VIN character (I, O, Q are not). */
char ps_vin_check_digit(const char vin[PS_VIN_LEN]);
/* 17 characters of 0-9 A-Z without I O Q, position 9 the check digit. */
enum ps_err ps_vin_validate(struct ps_str s, struct ps_diag *diag) PS_WUR;
/* The model-year character of position 10 for year (1980-2039), '\0' outside. */
char ps_vin_year_code(int year);

/* A travel-passport number: 2 Latin capitals and 6 digits, "FX123456". */
enum ps_err ps_passport_number_validate(struct ps_str s, struct ps_diag *diag) PS_WUR;

/* ---- tables for the synthetic population ---- */

struct ps_vehicle_model {
    const char *make, *model;
    const char *wmi; /* world manufacturer identifier, 3 characters */
    const char *vds; /* vehicle descriptor section, 5 characters */
    unsigned weight; /* relative share of Ukraine's fleet */
    int from_year, to_year;
};
extern const struct ps_vehicle_model ps_vehicle_models[];
extern const size_t ps_n_vehicle_models;
extern const char *const ps_vehicle_colours[]; /* Ukrainian names, "Білий", ... */
extern const size_t ps_n_vehicle_colours;

/* What each oblast (in the order of the population's oblast table, names.h) uses: the plate
 * region codes of the 2013 series (one or two), its KOATUU code (the first two digits of its
 * service centres' and migration units' numbers) and a two-letter abbreviation for the series
 * of civil-status certificates. */
struct ps_oblast_codes {
    const char *oblast;   /* as in the population tables */
    const char *plates[2]; /* the second may be NULL */
    const char *koatuu;   /* "46" */
    const char *civil;    /* "ЛВ" */
};
extern const struct ps_oblast_codes ps_oblast_codes[];
extern const size_t ps_n_oblast_codes;
/* The codes of oblast (by name), or NULL. */
const struct ps_oblast_codes *ps_oblast_codes_of(struct ps_str oblast);

#endif
