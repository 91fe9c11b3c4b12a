/* RNOKPP, the Ukrainian taxpayer registration number of an individual: ten digits, of which
 * 1-5 are the date of birth as days since 1899-12-31, 6-9 a serial whose last digit is odd
 * for men and even for women, and 10 a check digit. Validation, decoding and construction.
 * Pure functions; thread-safe. */
#ifndef PS_REGISTRIES_RNOKPP_H
#define PS_REGISTRIES_RNOKPP_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"
#include "registries/date.h"

#define PS_RNOKPP_LEN 10
/* Serials per birth date and sex: digits 6-9 hold 0..9999, half of them of each parity. */
#define PS_RNOKPP_SERIALS 5000u

enum ps_sex { PS_SEX_MALE = 1, PS_SEX_FEMALE = 2 };

/* "male" / "female" (the JSON and database spelling); "" for anything else. */
const char *ps_sex_name(enum ps_sex sex);
/* Parses "male" / "female". */
bool ps_sex_parse(struct ps_str s, enum ps_sex *out);

/* What an RNOKPP encodes. */
struct ps_rnokpp_info {
    struct ps_date birth_date;
    enum ps_sex sex;
};

/* Check digit for the first nine digits (ASCII '0'..'9'): the weighted sum with weights
 * -1 5 7 9 4 6 10 5 7, mod 11, then mod 10. */
int ps_rnokpp_check_digit(const char digits[9]);

/* Validates s and, when info is not NULL, fills what it encodes. Errors (PS_ERR_INVALID, with
 * the precise reason in diag): not ten digits, wrong check digit ("RNOKPP check digit is 3,
 * expected 7"), day number 0, a birth date after today (ps_date_today). */
enum ps_err ps_rnokpp_validate(struct ps_str s, struct ps_rnokpp_info *info,
                               struct ps_diag *diag) PS_WUR;

/* Validates s and checks that it agrees with a person's birth date and sex. */
enum ps_err ps_rnokpp_check_person(struct ps_str s, struct ps_date birth_date, enum ps_sex sex,
                                   struct ps_diag *diag) PS_WUR;

/* Builds the RNOKPP for birth_date (from 1900-01-01 to 2173-10-14, the five-digit range),
 * sex and serial (0 .. PS_RNOKPP_SERIALS-1) into out (10 digits and a NUL). Errors:
 * PS_ERR_INVALID for a date out of range or an invalid date, PS_ERR_LIMIT for a serial out of
 * range. */
enum ps_err ps_rnokpp_make(struct ps_date birth_date, enum ps_sex sex, unsigned serial,
                           char out[PS_RNOKPP_LEN + 1]) PS_WUR;

#endif
