/* Fuzz target: UNZR validation (src/registries/unzr.h). A valid UNZR has the exact shape
 * "YYYYMMDD-NNNNC", a real date not after today, a serial above 0 and the ICAO check digit;
 * then the first bytes of the input build one with ps_unzr_make, which must validate. */
#include <stdbool.h>
#include <string.h>

#include "registries/date.h"
#include "registries/unzr.h"
#include "fuzz.h"

static void check_valid(struct ps_str s, struct ps_date birth)
{
    FUZZ_CHECK(s.len == PS_UNZR_LEN);
    FUZZ_CHECK(s.p[8] == '-');
    for (size_t i = 0; i < s.len; i++)
        FUZZ_CHECK(i == 8 || (s.p[i] >= '0' && s.p[i] <= '9'));
    FUZZ_CHECK(memcmp(s.p + 9, "0000", 4) != 0);
    FUZZ_CHECK(ps_date_valid(birth));
    FUZZ_CHECK(ps_date_cmp(birth, ps_date_today()) <= 0);
    char iso[11];
    ps_date_fmt(birth, iso);
    FUZZ_CHECK(memcmp(iso, s.p, 4) == 0 && memcmp(iso + 5, s.p + 4, 2) == 0 &&
               memcmp(iso + 8, s.p + 6, 2) == 0);
    struct ps_diag diag = {0};
    FUZZ_CHECK(ps_unzr_check_person(s, birth, &diag) == PS_OK);
}

static void check_make(const uint8_t *data, size_t size)
{
    if (size < 6)
        return;
    struct ps_date d = {1900 + data[0] % 126, 1 + data[1] % 12, 1 + data[2] % 28};
    if (ps_date_cmp(d, ps_date_today()) > 0)
        return;
    unsigned serial = 1 + ((unsigned)data[3] << 8 | data[4]) % PS_UNZR_MAX_SERIAL;
    char out[PS_UNZR_LEN + 1];
    FUZZ_CHECK(ps_unzr_make(d, serial, out) == PS_OK);
    FUZZ_CHECK(strlen(out) == PS_UNZR_LEN);
    struct ps_date back;
    struct ps_diag diag = {0};
    FUZZ_CHECK(ps_unzr_validate((struct ps_str){out, PS_UNZR_LEN}, &back, &diag) == PS_OK);
    FUZZ_CHECK(ps_date_cmp(back, d) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_str s = {(const char *)data, size};
    struct ps_date birth;
    struct ps_diag diag = {0};
    if (ps_unzr_validate(s, &birth, &diag) == PS_OK)
        check_valid(s, birth);
    else
        FUZZ_CHECK(diag.message[0] != '\0');
    bool digits = size > 0 && size <= 64;
    for (size_t i = 0; digits && i < size; i++)
        digits = data[i] >= '0' && data[i] <= '9';
    if (digits) {
        int c = ps_mrz_check_digit(s);
        FUZZ_CHECK(c >= 0 && c <= 9);
    }
    check_make(data, size);
    return 0;
}
