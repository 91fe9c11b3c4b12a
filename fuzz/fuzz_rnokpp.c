/* Fuzz target: RNOKPP and date validation (src/registries/rnokpp.h, date.h), which guard every
 * person lookup. The input is validated as an RNOKPP and as an ISO date; then its first bytes
 * pick a birth date, sex and serial and ps_rnokpp_make must build a number that validates
 * back to the same facts. */
#include <string.h>

#include "registries/date.h"
#include "registries/rnokpp.h"
#include "fuzz.h"

static const struct ps_date epoch = {1899, 12, 31};

static void check_valid(struct ps_str s, const struct ps_rnokpp_info *info)
{
    FUZZ_CHECK(s.len == PS_RNOKPP_LEN);
    for (size_t i = 0; i < s.len; i++)
        FUZZ_CHECK(s.p[i] >= '0' && s.p[i] <= '9');
    FUZZ_CHECK(ps_rnokpp_check_digit(s.p) == s.p[9] - '0');
    FUZZ_CHECK(ps_date_valid(info->birth_date));
    FUZZ_CHECK(ps_date_cmp(info->birth_date, ps_date_today()) <= 0);
    int64_t days = ps_date_to_days(info->birth_date) - ps_date_to_days(epoch);
    int64_t coded = 0;
    for (size_t i = 0; i < 5; i++)
        coded = coded * 10 + (s.p[i] - '0');
    FUZZ_CHECK(days == coded);
    FUZZ_CHECK(info->sex == PS_SEX_MALE || info->sex == PS_SEX_FEMALE);
    FUZZ_CHECK(((s.p[8] - '0') % 2 == 1) == (info->sex == PS_SEX_MALE));
    struct ps_diag diag = {0};
    FUZZ_CHECK(ps_rnokpp_check_person(s, info->birth_date, info->sex, &diag) == PS_OK);
}

static void check_date(struct ps_str s)
{
    struct ps_date d;
    struct ps_diag diag = {0};
    if (ps_date_parse(s, &d, &diag) != PS_OK)
        return;
    FUZZ_CHECK(ps_date_valid(d));
    char text[11];
    ps_date_fmt(d, text);
    FUZZ_CHECK(s.len == 10 && memcmp(text, s.p, 10) == 0);
    FUZZ_CHECK(ps_date_cmp(ps_date_from_days(ps_date_to_days(d)), d) == 0);
}

static void check_make(const uint8_t *data, size_t size)
{
    if (size < 5)
        return;
    int64_t n = ((int64_t)data[0] << 8 | data[1]) % 99999 + 1;
    struct ps_date birth = ps_date_from_days(ps_date_to_days(epoch) + n);
    if (ps_date_cmp(birth, ps_date_today()) > 0)
        return;
    unsigned serial = ((unsigned)data[2] << 8 | data[3]) % PS_RNOKPP_SERIALS;
    enum ps_sex sex = (data[4] & 1) ? PS_SEX_MALE : PS_SEX_FEMALE;
    char out[PS_RNOKPP_LEN + 1];
    FUZZ_CHECK(ps_rnokpp_make(birth, sex, serial, out) == PS_OK);
    FUZZ_CHECK(strlen(out) == PS_RNOKPP_LEN);
    struct ps_rnokpp_info info;
    struct ps_diag diag = {0};
    FUZZ_CHECK(ps_rnokpp_validate((struct ps_str){out, PS_RNOKPP_LEN}, &info, &diag) == PS_OK);
    FUZZ_CHECK(ps_date_cmp(info.birth_date, birth) == 0);
    FUZZ_CHECK(info.sex == sex);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_str s = {(const char *)data, size};
    struct ps_rnokpp_info info;
    struct ps_diag diag = {0};
    if (ps_rnokpp_validate(s, &info, &diag) == PS_OK)
        check_valid(s, &info);
    else
        FUZZ_CHECK(diag.message[0] != '\0');
    FUZZ_CHECK(ps_rnokpp_validate(s, NULL, &diag) == ps_rnokpp_validate(s, &info, NULL));
    check_date(s);
    check_make(data, size);
    return 0;
}
