/* UNZR shape, date and check digit. The check digit rule is the MRZ one of ICAO Doc 9303
 * part 3, which the State Migration Service says the demographic register uses. */
#include "registries/unzr.h"

int ps_mrz_check_digit(struct ps_str digits)
{
    static const int weights[3] = {7, 3, 1};
    int sum = 0;
    for (size_t i = 0; i < digits.len; i++)
        sum += weights[i % 3] * (digits.p[i] - '0');
    return sum % 10;
}

static int value_of(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

enum ps_err ps_unzr_validate(struct ps_str s, struct ps_date *birth_date, struct ps_diag *diag)
{
    if (s.len != PS_UNZR_LEN || s.p[8] != '-')
        return ps_diag_set(diag, PS_ERR_INVALID, "UNZR must be YYYYMMDD-NNNNC (14 characters)");
    char digits[13];
    for (size_t i = 0, k = 0; i < PS_UNZR_LEN; i++) {
        if (i == 8)
            continue;
        if (s.p[i] < '0' || s.p[i] > '9')
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "UNZR must be YYYYMMDD-NNNNC (digits and one hyphen)");
        digits[k++] = s.p[i];
    }
    struct ps_date d = {value_of(digits, 4), value_of(digits + 4, 2), value_of(digits + 6, 2)};
    if (!ps_date_valid(d))
        return ps_diag_set(diag, PS_ERR_INVALID, "UNZR encodes a date that does not exist");
    if (ps_date_cmp(d, ps_date_today()) > 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "UNZR encodes a birth date in the future");
    if (value_of(digits + 8, 4) == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "UNZR serial must be 0001..9999, not 0000");
    int want = ps_mrz_check_digit((struct ps_str){digits, 12});
    int have = digits[12] - '0';
    if (want != have)
        return ps_diag_set(diag, PS_ERR_INVALID, "UNZR check digit is %d, expected %d", have,
                           want);
    if (birth_date)
        *birth_date = d;
    return PS_OK;
}

enum ps_err ps_unzr_check_person(struct ps_str s, struct ps_date birth_date,
                                 struct ps_diag *diag)
{
    struct ps_date d;
    enum ps_err e = ps_unzr_validate(s, &d, diag);
    if (e != PS_OK)
        return e;
    if (ps_date_cmp(d, birth_date) != 0) {
        char enc[11], given[11];
        ps_date_fmt(d, enc);
        ps_date_fmt(birth_date, given);
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "UNZR encodes birth date %s, but the birth date is %s", enc, given);
    }
    return PS_OK;
}

enum ps_err ps_unzr_make(struct ps_date birth_date, unsigned serial, char out[PS_UNZR_LEN + 1])
{
    if (!ps_date_valid(birth_date))
        return PS_ERR_INVALID;
    if (serial < 1 || serial > PS_UNZR_MAX_SERIAL)
        return PS_ERR_LIMIT;
    char date[11];
    ps_date_fmt(birth_date, date); /* YYYY-MM-DD */
    const char src[12] = {date[0], date[1], date[2], date[3], date[5], date[6], date[8], date[9],
                          (char)('0' + serial / 1000), (char)('0' + serial / 100 % 10),
                          (char)('0' + serial / 10 % 10), (char)('0' + serial % 10)};
    for (size_t i = 0; i < 8; i++)
        out[i] = src[i];
    out[8] = '-';
    for (size_t i = 8; i < 12; i++)
        out[i + 1] = src[i];
    out[13] = (char)('0' + ps_mrz_check_digit((struct ps_str){src, 12}));
    out[14] = '\0';
    return PS_OK;
}
