/* UNZR, the unique record number in the Unified State Demographic Register: "YYYYMMDD-NNNNC",
 * the date of birth, a four-digit serial 0001..9999 among people born that day, and a check
 * digit. The check digit is the one of ICAO Doc 9303 machine-readable zones (weights 7 3 1
 * repeated, sum mod 10), as the State Migration Service states: see docs/internals/
 * registries.md for the sources. Pure functions; thread-safe. */
#ifndef PS_REGISTRIES_UNZR_H
#define PS_REGISTRIES_UNZR_H

#include "core/err.h"
#include "core/str.h"
#include "registries/date.h"

#define PS_UNZR_LEN 14
#define PS_UNZR_MAX_SERIAL 9999u

/* ICAO 9303 check digit of a run of ASCII digits (weights 7, 3, 1 repeated; mod 10). */
int ps_mrz_check_digit(struct ps_str digits);

/* Validates s ("YYYYMMDD-NNNNC") and, when birth_date is not NULL, fills the date it
 * encodes. Errors (PS_ERR_INVALID, with the reason in diag): wrong shape, a date that does
 * not exist or lies after today, serial 0000, wrong check digit. */
enum ps_err ps_unzr_validate(struct ps_str s, struct ps_date *birth_date,
                             struct ps_diag *diag) PS_WUR;

/* Validates s and checks that its date is the person's birth date. */
enum ps_err ps_unzr_check_person(struct ps_str s, struct ps_date birth_date,
                                 struct ps_diag *diag) PS_WUR;

/* Builds the UNZR for birth_date (year 1..9999) and serial (1..9999) into out (14 characters
 * and a NUL). Errors: PS_ERR_INVALID for an invalid date, PS_ERR_LIMIT for a serial out of
 * range. */
enum ps_err ps_unzr_make(struct ps_date birth_date, unsigned serial,
                         char out[PS_UNZR_LEN + 1]) PS_WUR;

#endif
