/* Calendar dates for the registries: proleptic Gregorian civil dates, their day numbers, and
 * the ISO 8601 text form (YYYY-MM-DD) used in the database and in JSON. Pure functions, no
 * state; thread-safe. */
#ifndef PS_REGISTRIES_DATE_H
#define PS_REGISTRIES_DATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"

struct ps_date {
    int year;  /* 1..9999 for a valid date */
    int month; /* 1..12 */
    int day;   /* 1..31, checked against the month and leap years */
};

/* True when d names a real day between 0001-01-01 and 9999-12-31. */
bool ps_date_valid(struct ps_date d);
/* Days since 1970-01-01 (negative before it). d must be valid (PS_ASSERT otherwise is not
 * done: an invalid date gives a meaningless number). */
int64_t ps_date_to_days(struct ps_date d);
/* Inverse of ps_date_to_days. */
struct ps_date ps_date_from_days(int64_t days);
/* Today's date in UTC from the injectable clock (ps_clock_now_ms). */
struct ps_date ps_date_today(void);
/* -1, 0 or 1 as a is before, equal to or after b. */
int ps_date_cmp(struct ps_date a, struct ps_date b);
/* Parses exactly "YYYY-MM-DD" naming a real day. Errors: PS_ERR_INVALID with the reason. */
enum ps_err ps_date_parse(struct ps_str s, struct ps_date *out, struct ps_diag *diag) PS_WUR;
/* Writes "YYYY-MM-DD" and a NUL into out. d must be valid. */
void ps_date_fmt(struct ps_date d, char out[11]);

#endif
