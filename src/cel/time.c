/* Time text for CEL: RFC 3339 timestamps (parse within 0001..9999, format with trailing zeros
 * of the fraction trimmed), Go-style durations ("1h30m", "-1.5s", "0"; int64 nanoseconds),
 * and proleptic Gregorian civil dates from day numbers (H. Hinnant's algorithms, written
 * from their published description). */
#include <stdio.h>

#include "cel/cel_int.h"

int64_t cel_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void cel_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, unsigned m)
{
    static const unsigned char days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* n decimal digits at p into *out; false unless all are digits. */
static bool num(const char *p, unsigned n, unsigned *out)
{
    unsigned v = 0;
    for (unsigned i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = v;
    return true;
}

static int parse_offset(const char *p, size_t len, int64_t *off)
{
    unsigned oh, om;
    if (len == 1 && (p[0] == 'Z' || p[0] == 'z')) {
        *off = 0;
        return 0;
    }
    if (len != 6 || (p[0] != '+' && p[0] != '-') || p[3] != ':' || !num(p + 1, 2, &oh) ||
        !num(p + 4, 2, &om) || oh > 23 || om > 59)
        return -1;
    *off = (int64_t)(oh * 3600 + om * 60) * (p[0] == '-' ? -1 : 1);
    return 0;
}

int cel_parse_timestamp(const char *p, size_t len, int64_t *sec, uint32_t *nanos)
{
    unsigned y, mo, d, h, mi, s;
    if (len < 20 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't') ||
        p[13] != ':' || p[16] != ':' || !num(p, 4, &y) || !num(p + 5, 2, &mo) ||
        !num(p + 8, 2, &d) || !num(p + 11, 2, &h) || !num(p + 14, 2, &mi) ||
        !num(p + 17, 2, &s))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59)
        return -1;
    size_t i = 19;
    uint32_t ns = 0;
    if (p[i] == '.') {
        unsigned digits = 0;
        for (i++; i < len && p[i] >= '0' && p[i] <= '9'; i++, digits++)
            if (digits < 9)
                ns = ns * 10 + (uint32_t)(p[i] - '0');
        if (digits == 0 || digits > 9)
            return -1;
        for (; digits < 9; digits++)
            ns *= 10;
    }
    int64_t off;
    if (parse_offset(p + i, len - i, &off) < 0)
        return -1;
    int64_t t = cel_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
    if (t < CEL_TS_MIN || t > CEL_TS_MAX)
        return -2;
    *sec = t;
    *nanos = ns;
    return 0;
}

static size_t fraction(char *out, uint32_t ns)
{
    if (ns == 0)
        return 0;
    int w = 9;
    while (ns % 10 == 0) {
        ns /= 10;
        w--;
    }
    return cel_fitted(snprintf(out, 12, ".%0*u", w, ns), 12);
}

size_t cel_format_timestamp(char out[40], int64_t sec, uint32_t nanos)
{
    int64_t days = sec >= 0 ? sec / 86400 : -((-sec + 86399) / 86400);
    int64_t rem = sec - days * 86400, y;
    unsigned m, d;
    cel_civil_from_days(days, &y, &m, &d);
    int n = snprintf(out, 40, "%04lld-%02u-%02uT%02u:%02u:%02u", (long long)y, m, d,
                     (unsigned)(rem / 3600), (unsigned)(rem / 60 % 60), (unsigned)(rem % 60));
    size_t len = cel_fitted(n, 26); /* room for 10 fraction digits and 'Z' */
    len += fraction(out + len, nanos);
    out[len++] = 'Z';
    out[len] = '\0';
    return len;
}

size_t cel_format_duration(char out[40], int64_t nanos)
{
    uint64_t mag = nanos < 0 ? (uint64_t)0 - (uint64_t)nanos : (uint64_t)nanos;
    int n = snprintf(out, 40, "%s%llu", nanos < 0 ? "-" : "",
                     (unsigned long long)(mag / 1000000000u));
    size_t len = cel_fitted(n, 26);
    len += fraction(out + len, (uint32_t)(mag % 1000000000u));
    out[len++] = 's';
    out[len] = '\0';
    return len;
}

/* ---- durations ------------------------------------------------------------------------------ */

static const struct {
    const char *name;
    uint64_t ns;
} units[] = {{"ns", 1},
             {"us", 1000},
             {"\xc2\xb5s", 1000}, /* U+00B5 micro sign */
             {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
             {"ms", 1000000},
             {"s", 1000000000ull},
             {"m", 60000000000ull},
             {"h", 3600000000000ull}};

static int unit_at(const char *p, size_t len, size_t *i, uint64_t *unit)
{
    size_t start = *i;
    while (*i < len && p[*i] != '.' && (p[*i] < '0' || p[*i] > '9'))
        (*i)++;
    size_t n = *i - start;
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (strlen(units[k].name) == n && memcmp(units[k].name, p + start, n) == 0) {
            *unit = units[k].ns;
            return 0;
        }
    return -1;
}

/* One "<number><unit>" element added to *total (at most 2^63). */
static int element(const char *p, size_t len, size_t *i, uint64_t *total)
{
    const uint64_t lim = 1ull << 63;
    uint64_t v = 0, f = 0;
    double scale = 1;
    size_t start = *i;
    bool overflowed = false;
    for (; *i < len && p[*i] >= '0' && p[*i] <= '9'; (*i)++)
        if (v > (lim - 9) / 10)
            overflowed = true;
        else
            v = v * 10 + (uint64_t)(p[*i] - '0');
    bool pre = *i > start, post = false;
    if (*i < len && p[*i] == '.') {
        for ((*i)++; *i < len && p[*i] >= '0' && p[*i] <= '9'; (*i)++) {
            post = true;
            if (f <= (lim - 9) / 10) {
                f = f * 10 + (uint64_t)(p[*i] - '0');
                scale *= 10;
            }
        }
    }
    uint64_t unit;
    if ((!pre && !post) || unit_at(p, len, i, &unit) < 0)
        return -1;
    if (overflowed || v > lim / unit)
        return -2;
    v *= unit;
    if (f > 0) {
        v += (uint64_t)((double)f * ((double)unit / scale));
        if (v > lim)
            return -2;
    }
    if (*total > lim - v)
        return -2;
    *total += v;
    return 0;
}

int cel_parse_duration(const char *p, size_t len, int64_t *nanos)
{
    size_t i = 0;
    bool neg = false;
    if (len > 0 && (p[0] == '-' || p[0] == '+')) {
        neg = p[0] == '-';
        i = 1;
    }
    if (len - i == 1 && p[i] == '0') {
        *nanos = 0;
        return 0;
    }
    if (i == len)
        return -1;
    uint64_t total = 0;
    while (i < len) {
        int r = element(p, len, &i, &total);
        if (r < 0)
            return r;
    }
    if (neg) {
        *nanos = total == (1ull << 63) ? INT64_MIN : -(int64_t)total;
        return 0;
    }
    if (total > (uint64_t)INT64_MAX)
        return -2;
    *nanos = (int64_t)total;
    return 0;
}

enum ps_err ps_cel_timestamp(int64_t seconds, uint32_t nanos, struct ps_cel_value *out)
{
    if (seconds < CEL_TS_MIN || seconds > CEL_TS_MAX || nanos > 999999999u)
        return PS_ERR_INVALID;
    *out = (struct ps_cel_value){.kind = PS_CEL_TIMESTAMP, .n = nanos, .v.i = seconds};
    return PS_OK;
}

enum ps_err ps_cel_timestamp_parse(struct ps_str s, struct ps_cel_value *out)
{
    int64_t sec;
    uint32_t ns;
    if (cel_parse_timestamp(s.p, s.len, &sec, &ns) != 0)
        return PS_ERR_INVALID;
    *out = (struct ps_cel_value){.kind = PS_CEL_TIMESTAMP, .n = ns, .v.i = sec};
    return PS_OK;
}
