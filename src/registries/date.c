/* Civil-date arithmetic for the registries. Day numbers use the well-known days-from-civil
 * construction over 400-year eras (H. Hinnant, "chrono-Compatible Low-Level Date
 * Algorithms"), so no table and no libc time zone state is involved. */
#include "registries/date.h"

#include "core/clock.h"

static bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

bool ps_date_valid(struct ps_date d)
{
    if (d.year < 1 || d.year > 9999 || d.month < 1 || d.month > 12 || d.day < 1)
        return false;
    return d.day <= month_days(d.year, d.month);
}

int64_t ps_date_to_days(struct ps_date d)
{
    int64_t y = d.year - (d.month <= 2);
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t mp = (d.month + 9) % 12; /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

struct ps_date ps_date_from_days(int64_t days)
{
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int y = (int)(yoe + era * 400 + (m <= 2));
    return (struct ps_date){y, m, d};
}

struct ps_date ps_date_today(void)
{
    int64_t ms = ps_clock_now_ms();
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    return ps_date_from_days(days);
}

int ps_date_cmp(struct ps_date a, struct ps_date b)
{
    if (a.year != b.year)
        return a.year < b.year ? -1 : 1;
    if (a.month != b.month)
        return a.month < b.month ? -1 : 1;
    if (a.day != b.day)
        return a.day < b.day ? -1 : 1;
    return 0;
}

static int digits_value(const char *p, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (p[i] - '0');
    return v;
}

enum ps_err ps_date_parse(struct ps_str s, struct ps_date *out, struct ps_diag *diag)
{
    if (s.len != 10 || s.p[4] != '-' || s.p[7] != '-')
        return ps_diag_set(diag, PS_ERR_INVALID, "date must be YYYY-MM-DD");
    for (size_t i = 0; i < 10; i++) {
        if (i != 4 && i != 7 && (s.p[i] < '0' || s.p[i] > '9'))
            return ps_diag_set(diag, PS_ERR_INVALID, "date must be YYYY-MM-DD");
    }
    struct ps_date d = {digits_value(s.p, 4), digits_value(s.p + 5, 2),
                        digits_value(s.p + 8, 2)};
    if (!ps_date_valid(d))
        return ps_diag_set(diag, PS_ERR_INVALID, "date %.10s does not exist", s.p);
    *out = d;
    return PS_OK;
}

void ps_date_fmt(struct ps_date d, char out[11])
{
    int parts[3] = {d.year, d.month, d.day};
    int widths[3] = {4, 2, 2};
    size_t pos = 0;
    for (int k = 0; k < 3; k++) {
        int v = parts[k];
        for (int i = widths[k] - 1; i >= 0; i--) {
            out[pos + (size_t)i] = (char)('0' + v % 10);
            v /= 10;
        }
        pos += (size_t)widths[k];
        if (k < 2)
            out[pos++] = '-';
    }
    out[10] = '\0';
}
