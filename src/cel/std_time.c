/* Timestamps and durations: conversions, arithmetic within the spec's ranges (timestamps in
 * 0001..9999, durations in int64 nanoseconds), comparisons (in std_core's ordering table), and
 * the accessors with an optional time zone: "UTC", a fixed offset ("+05:30", "-02:30",
 * "02:00") or an IANA name through the embedder's resolver. */
#include <stdio.h>

#include "cel/cel_int.h"

#define FN(name) static struct ps_cel_value name(const struct ps_cel_call *c, \
                                                  const struct ps_cel_value *a)
#define P PS_CEL_FN_PURE
#define R (PS_CEL_FN_RECEIVER | PS_CEL_FN_PURE)
#define NS 1000000000LL

static struct ps_cel_value ts(int64_t sec, uint32_t ns)
{
    return (struct ps_cel_value){.kind = PS_CEL_TIMESTAMP, .n = ns, .v.i = sec};
}

/* sec + nanos normalised and range-checked. */
static struct ps_cel_value ts_make(const struct ps_cel_call *c, int64_t sec, int64_t nanos)
{
    sec += nanos / NS;
    nanos %= NS;
    if (nanos < 0) {
        nanos += NS;
        sec--;
    }
    if (sec < CEL_TS_MIN || sec > CEL_TS_MAX)
        return cel_call_err(c, "timestamp out of range");
    return ts(sec, (uint32_t)nanos);
}

FN(timestamp_string)
{
    int64_t sec;
    uint32_t ns;
    int r = cel_parse_timestamp(a[0].v.s, a[0].n, &sec, &ns);
    if (r == -2)
        return cel_call_err(c, "timestamp out of range");
    if (r < 0)
        return cel_call_err(c, "invalid timestamp '%.*s': expected RFC 3339",
                            (int)(a[0].n > 40 ? 40 : a[0].n), a[0].v.s);
    return ts(sec, ns);
}

FN(timestamp_int)
{
    if (a[0].v.i < CEL_TS_MIN || a[0].v.i > CEL_TS_MAX)
        return cel_call_err(c, "timestamp out of range");
    return ts(a[0].v.i, 0);
}

FN(duration_string)
{
    int64_t ns;
    int r = cel_parse_duration(a[0].v.s, a[0].n, &ns);
    if (r == -2)
        return cel_call_err(c, "duration out of range");
    if (r < 0)
        return cel_call_err(c, "invalid duration '%.*s'", (int)(a[0].n > 40 ? 40 : a[0].n),
                            a[0].v.s);
    return ps_cel_duration(ns);
}

FN(identity)
{
    (void)c;
    return a[0];
}

FN(int_timestamp)
{
    (void)c;
    return ps_cel_int(a[0].v.i);
}

static struct ps_cel_value text(const struct ps_cel_call *c, const char *s, size_t n)
{
    char *p = cel_alloc(c->ev, n);
    if (!p)
        return cel_stop(c->ev, PS_ERR_LIMIT, c->node->offset, "memory budget exhausted");
    memcpy(p, s, n);
    return ps_cel_string((struct ps_str){p, n});
}

FN(string_timestamp)
{
    char buf[40];
    return text(c, buf, cel_format_timestamp(buf, a[0].v.i, a[0].n));
}

FN(string_duration)
{
    char buf[40];
    return text(c, buf, cel_format_duration(buf, a[0].v.i));
}

/* ---- arithmetic ------------------------------------------------------------------------------- */

FN(add_ts_dur)
{
    return ts_make(c, a[0].v.i + a[1].v.i / NS, (int64_t)a[0].n + a[1].v.i % NS);
}

FN(add_dur_ts)
{
    return ts_make(c, a[1].v.i + a[0].v.i / NS, (int64_t)a[1].n + a[0].v.i % NS);
}

FN(sub_ts_dur)
{
    return ts_make(c, a[0].v.i - a[1].v.i / NS, (int64_t)a[0].n - a[1].v.i % NS);
}

FN(sub_ts_ts)
{
    int64_t s, r;
    if (__builtin_sub_overflow(a[0].v.i, a[1].v.i, &s) || __builtin_mul_overflow(s, NS, &r) ||
        __builtin_add_overflow(r, (int64_t)a[0].n - (int64_t)a[1].n, &r))
        return cel_call_err(c, "duration out of range");
    return ps_cel_duration(r);
}

FN(add_dur)
{
    int64_t r;
    if (__builtin_add_overflow(a[0].v.i, a[1].v.i, &r))
        return cel_call_err(c, "duration out of range");
    return ps_cel_duration(r);
}

FN(sub_dur)
{
    int64_t r;
    if (__builtin_sub_overflow(a[0].v.i, a[1].v.i, &r))
        return cel_call_err(c, "duration out of range");
    return ps_cel_duration(r);
}

/* ---- time zones and accessors ----------------------------------------------------------------- */

static bool two_digits(const char *p, unsigned *out)
{
    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9')
        return false;
    *out = (unsigned)((p[0] - '0') * 10 + (p[1] - '0'));
    return true;
}

/* "+hh:mm", "-hh:mm" or "hh:mm". */
static bool fixed_offset(struct ps_str z, int32_t *off)
{
    size_t i = (z.len == 6 && (z.p[0] == '+' || z.p[0] == '-')) ? 1 : 0;
    unsigned h, m;
    if (z.len - i != 5 || z.p[i + 2] != ':' || !two_digits(z.p + i, &h) ||
        !two_digits(z.p + i + 3, &m) || h > 23 || m > 59)
        return false;
    *off = (int32_t)(h * 3600 + m * 60) * (i && z.p[0] == '-' ? -1 : 1);
    return true;
}

struct ps_cel_value cel_tz_offset(const struct ps_cel_call *c, struct ps_str zone, int64_t t,
                                  int32_t *off)
{
    if (ps_str_eq_cstr(zone, "UTC") || ps_str_eq_cstr(zone, "Z")) {
        *off = 0;
        return ps_cel_null();
    }
    if (fixed_offset(zone, off))
        return ps_cel_null();
    const struct ps_cel_tz_resolver *tz = c->ev->tz;
    if (tz && tz->offset) {
        enum ps_err e = tz->offset(tz->ctx, zone, t, off);
        if (e == PS_OK && *off > -86400 && *off < 86400)
            return ps_cel_null();
        if (e != PS_OK && e != PS_ERR_NOTFOUND && e != PS_ERR_INVALID)
            return ps_cel_call_fail(c, e, "time zone '%.*s' could not be read",
                                    (int)(zone.len > 64 ? 64 : zone.len), zone.p);
    }
    return cel_call_err(c, "unknown time zone '%.*s'", (int)(zone.len > 64 ? 64 : zone.len),
                        zone.p);
}

/* The civil date of local time t (day number days), remembered for the evaluation: rules ask
 * for the year, month and day of the same instant in turn. */
static void civil(struct cel_eval *ev, int64_t t, int64_t days, int64_t *y, unsigned *m,
                  unsigned *d)
{
    int64_t day_start = t - (t - days * 86400);
    for (int i = 0; i < 2; i++)
        if (ev->civil[i].valid && ev->civil[i].local == day_start) {
            *y = ev->civil[i].year;
            *m = ev->civil[i].month;
            *d = ev->civil[i].day;
            return;
        }
    cel_civil_from_days(days, y, m, d);
    ev->civil[1] = ev->civil[0];
    ev->civil[0].local = day_start;
    ev->civil[0].year = *y;
    ev->civil[0].month = *m;
    ev->civil[0].day = *d;
    ev->civil[0].valid = true;
}

enum part { YEAR, MONTH, DAY_OF_YEAR, DAY_OF_MONTH, DATE, DAY_OF_WEEK, HOURS, MINUTES, SECONDS,
            MILLIS };

static struct ps_cel_value part(const struct ps_cel_call *c, const struct ps_cel_value *a,
                                enum part what)
{
    int32_t off = 0;
    if (c->nargs == 2) {
        struct ps_cel_value e = cel_tz_offset(c, ps_cel_str(a[1]), a[0].v.i, &off);
        if (e.kind == PS_CEL_ERROR)
            return e;
    }
    int64_t t = a[0].v.i + off;
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400, y;
    unsigned m, d;
    civil(c->ev, t, days, &y, &m, &d);
    switch (what) {
    case YEAR: return ps_cel_int(y);
    case MONTH: return ps_cel_int(m - 1);
    case DAY_OF_YEAR: return ps_cel_int(days - cel_days_from_civil(y, 1, 1));
    case DAY_OF_MONTH: return ps_cel_int(d - 1);
    case DATE: return ps_cel_int(d);
    case DAY_OF_WEEK: return ps_cel_int(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    case HOURS: return ps_cel_int(secs / 3600);
    case MINUTES: return ps_cel_int(secs / 60 % 60);
    case SECONDS: return ps_cel_int(secs % 60);
    default: return ps_cel_int(a[0].n / 1000000);
    }
}

#define PART(fn, what)                                                                         \
    FN(fn)                                                                                     \
    {                                                                                          \
        return part(c, a, what);                                                               \
    }
PART(get_year, YEAR)
PART(get_month, MONTH)
PART(get_day_of_year, DAY_OF_YEAR)
PART(get_day_of_month, DAY_OF_MONTH)
PART(get_date, DATE)
PART(get_day_of_week, DAY_OF_WEEK)
PART(get_hours, HOURS)
PART(get_minutes, MINUTES)
PART(get_seconds, SECONDS)
PART(get_millis, MILLIS)

FN(dur_hours)
{
    (void)c;
    return ps_cel_int(a[0].v.i / (3600 * NS));
}

FN(dur_minutes)
{
    (void)c;
    return ps_cel_int(a[0].v.i / (60 * NS));
}

FN(dur_seconds)
{
    (void)c;
    return ps_cel_int(a[0].v.i / NS);
}

FN(dur_millis)
{
    (void)c;
    return ps_cel_int(a[0].v.i % NS / 1000000);
}

#define ACCESSOR(name, id, fn)                                                                 \
    {name, "timestamp_to_" id, "(timestamp) -> int", R, fn, NULL},                             \
    {name, "timestamp_to_" id "_with_tz", "(timestamp, string) -> int", R, fn, NULL}

static const struct cel_decl time_decls[] = {
    {"timestamp", "string_to_timestamp", "(string) -> timestamp", P, timestamp_string, NULL},
    {"timestamp", "timestamp_to_timestamp", "(timestamp) -> timestamp", P, identity, NULL},
    {"timestamp", "int64_to_timestamp", "(int) -> timestamp", P, timestamp_int, NULL},
    {"duration", "string_to_duration", "(string) -> duration", P, duration_string, NULL},
    {"duration", "duration_to_duration", "(duration) -> duration", P, identity, NULL},
    {"int", "timestamp_to_int64", "(timestamp) -> int", P, int_timestamp, NULL},
    {"string", "timestamp_to_string", "(timestamp) -> string", P, string_timestamp, NULL},
    {"string", "duration_to_string", "(duration) -> string", P, string_duration, NULL},
    {"_+_", "add_timestamp_duration", "(timestamp, duration) -> timestamp", P, add_ts_dur,
     NULL},
    {"_+_", "add_duration_timestamp", "(duration, timestamp) -> timestamp", P, add_dur_ts,
     NULL},
    {"_+_", "add_duration_duration", "(duration, duration) -> duration", P, add_dur, NULL},
    {"_-_", "subtract_timestamp_timestamp", "(timestamp, timestamp) -> duration", P, sub_ts_ts,
     NULL},
    {"_-_", "subtract_timestamp_duration", "(timestamp, duration) -> timestamp", P, sub_ts_dur,
     NULL},
    {"_-_", "subtract_duration_duration", "(duration, duration) -> duration", P, sub_dur, NULL},
    ACCESSOR("getFullYear", "year", get_year),
    ACCESSOR("getMonth", "month", get_month),
    ACCESSOR("getDayOfYear", "day_of_year", get_day_of_year),
    ACCESSOR("getDayOfMonth", "day_of_month", get_day_of_month),
    ACCESSOR("getDate", "day_of_month_1_based", get_date),
    ACCESSOR("getDayOfWeek", "day_of_week", get_day_of_week),
    ACCESSOR("getHours", "hours", get_hours),
    ACCESSOR("getMinutes", "minutes", get_minutes),
    ACCESSOR("getSeconds", "seconds", get_seconds),
    ACCESSOR("getMilliseconds", "milliseconds", get_millis),
    {"getHours", "duration_to_hours", "(duration) -> int", R, dur_hours, NULL},
    {"getMinutes", "duration_to_minutes", "(duration) -> int", R, dur_minutes, NULL},
    {"getSeconds", "duration_to_seconds", "(duration) -> int", R, dur_seconds, NULL},
    {"getMilliseconds", "duration_to_milliseconds", "(duration) -> int", R, dur_millis, NULL},
};

enum ps_err cel_std_time(struct ps_cel_env *env, struct ps_cel_diag *diag)
{
    return cel_declare_table(env, time_decls, sizeof time_decls / sizeof time_decls[0], diag);
}
