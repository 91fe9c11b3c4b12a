/* RNOKPP rules as published by the State Tax Service: the date-of-birth day count, the sex
 * parity of digit 9 and the weighted mod-11 check digit. */
#include "registries/rnokpp.h"

/* 1899-12-31 is day 0 of the RNOKPP count. */
#define RNOKPP_EPOCH_DAYS (-25568)
#define RNOKPP_MAX_DAY 99999

const char *ps_sex_name(enum ps_sex sex)
{
    switch (sex) {
    case PS_SEX_MALE:
        return "male";
    case PS_SEX_FEMALE:
        return "female";
    }
    return "";
}

bool ps_sex_parse(struct ps_str s, enum ps_sex *out)
{
    if (ps_str_eq_cstr(s, "male")) {
        *out = PS_SEX_MALE;
        return true;
    }
    if (ps_str_eq_cstr(s, "female")) {
        *out = PS_SEX_FEMALE;
        return true;
    }
    return false;
}

int ps_rnokpp_check_digit(const char digits[9])
{
    static const int weights[9] = {-1, 5, 7, 9, 4, 6, 10, 5, 7};
    int sum = 0;
    for (int i = 0; i < 9; i++)
        sum += weights[i] * (digits[i] - '0');
    int r = sum % 11;
    if (r < 0) /* the first weight is negative: keep the mathematical remainder */
        r += 11;
    return r % 10;
}

enum ps_err ps_rnokpp_validate(struct ps_str s, struct ps_rnokpp_info *info,
                               struct ps_diag *diag)
{
    if (s.len != PS_RNOKPP_LEN || !ps_str_is_digits(s))
        return ps_diag_set(diag, PS_ERR_INVALID, "RNOKPP must be 10 digits");
    int want = ps_rnokpp_check_digit(s.p);
    int have = s.p[9] - '0';
    if (want != have)
        return ps_diag_set(diag, PS_ERR_INVALID, "RNOKPP check digit is %d, expected %d", have,
                           want);
    int day = 0;
    for (int i = 0; i < 5; i++)
        day = day * 10 + (s.p[i] - '0');
    if (day == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "RNOKPP encodes no birth date (day 00000)");
    struct ps_date birth = ps_date_from_days(RNOKPP_EPOCH_DAYS + day);
    if (ps_date_cmp(birth, ps_date_today()) > 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "RNOKPP encodes a birth date in the future");
    if (info) {
        info->birth_date = birth;
        info->sex = (s.p[8] - '0') % 2 ? PS_SEX_MALE : PS_SEX_FEMALE;
    }
    return PS_OK;
}

enum ps_err ps_rnokpp_check_person(struct ps_str s, struct ps_date birth_date, enum ps_sex sex,
                                   struct ps_diag *diag)
{
    struct ps_rnokpp_info info;
    enum ps_err e = ps_rnokpp_validate(s, &info, diag);
    if (e != PS_OK)
        return e;
    if (ps_date_cmp(info.birth_date, birth_date) != 0) {
        char enc[11], given[11];
        ps_date_fmt(info.birth_date, enc);
        ps_date_fmt(birth_date, given);
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "RNOKPP encodes birth date %s, but the birth date is %s", enc, given);
    }
    if (info.sex != sex)
        return ps_diag_set(diag, PS_ERR_INVALID, "RNOKPP encodes sex %s, but the sex is %s",
                           ps_sex_name(info.sex), ps_sex_name(sex));
    return PS_OK;
}

enum ps_err ps_rnokpp_make(struct ps_date birth_date, enum ps_sex sex, unsigned serial,
                           char out[PS_RNOKPP_LEN + 1])
{
    if (!ps_date_valid(birth_date))
        return PS_ERR_INVALID;
    int64_t day = ps_date_to_days(birth_date) - RNOKPP_EPOCH_DAYS;
    if (day < 1 || day > RNOKPP_MAX_DAY)
        return PS_ERR_INVALID;
    if (serial >= PS_RNOKPP_SERIALS || (sex != PS_SEX_MALE && sex != PS_SEX_FEMALE))
        return PS_ERR_LIMIT;
    /* digits 6-9: serial*2 + parity, so the ninth digit is odd exactly for men */
    unsigned tail = serial * 2 + (sex == PS_SEX_MALE ? 1u : 0u);
    unsigned v = (unsigned)day;
    for (int i = 4; i >= 0; i--) {
        out[i] = (char)('0' + v % 10);
        v /= 10;
    }
    for (int i = 8; i >= 5; i--) {
        out[i] = (char)('0' + tail % 10);
        tail /= 10;
    }
    out[9] = (char)('0' + ps_rnokpp_check_digit(out));
    out[10] = '\0';
    return PS_OK;
}
