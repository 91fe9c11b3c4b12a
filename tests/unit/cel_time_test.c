/* Timestamps, durations and time zones: RFC 3339 parsing within the spec's range, Go-style
 * durations in int64 nanoseconds, arithmetic and accessors, fixed offsets, and the TZif
 * (RFC 8536) resolver: real zones from the system's zoneinfo, POSIX TZ footers for the far
 * future, links from tzdata.zi, malformed files, the bounded cache. */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cel_helper.h"

static struct ps_cel_tzdb *db;

/* Evaluates with the system time zone database. */
static const char *run_tz(const char *expr)
{
    if (!db)
        db = ps_cel_tzdb_new(NULL, 0);
    struct ps_cel_tz_resolver tz = ps_cel_tzdb_resolver(db);
    struct ps_cel_eval_options o = {.tz = &tz};
    struct ps_cel_env *env = ps_cel_env_new(NULL);
    const char *r = cel_run_env(env, expr, 0, NULL, &o);
    ps_cel_env_free(env);
    return r;
}

#define EXPECT_TZ(expr, want)                                                                  \
    do {                                                                                       \
        const char *got_ = run_tz(expr);                                                       \
        cr_expect(strcmp(got_, (want)) == 0, "expr: %s\n got: %s\nwant: %s", (expr), got_,    \
                  (want));                                                                     \
    } while (0)

Test(cel_time, rfc3339_timestamps)
{
    EXPECT("timestamp('2009-02-13T23:31:30Z')", "timestamp(\"2009-02-13T23:31:30Z\")");
    EXPECT("timestamp('2009-02-14T01:31:30+02:00')", "timestamp(\"2009-02-13T23:31:30Z\")");
    EXPECT("timestamp('2009-02-13t23:31:30.5z')", "timestamp(\"2009-02-13T23:31:30.5Z\")");
    EXPECT("timestamp('2009-02-13T23:31:30.000000001Z')",
           "timestamp(\"2009-02-13T23:31:30.000000001Z\")");
    EXPECT("timestamp('2024-02-29T00:00:00Z')", "timestamp(\"2024-02-29T00:00:00Z\")");
    EXPECT("timestamp('1900-01-01T00:00:00Z')", "timestamp(\"1900-01-01T00:00:00Z\")");
    EXPECT("int(timestamp('1969-12-31T23:59:59Z'))", "-1");
    EXPECT("timestamp('2023-02-29T00:00:00Z')",
           "error: invalid timestamp '2023-02-29T00:00:00Z': expected RFC 3339");
    EXPECT_PREFIX("timestamp('2009-13-01T00:00:00Z')", "error: invalid timestamp");
    EXPECT_PREFIX("timestamp('2009-02-13 23:31:30Z')", "error: invalid timestamp");
    EXPECT_PREFIX("timestamp('2009-02-13T23:31:30')", "error: invalid timestamp");
    EXPECT_PREFIX("timestamp('2009-02-13T23:31:30.Z')", "error: invalid timestamp");
    EXPECT_PREFIX("timestamp('2009-02-13T23:31:30.1234567891Z')", "error: invalid timestamp");
    EXPECT_PREFIX("timestamp('2009-02-13T24:00:00Z')", "error: invalid timestamp");
    EXPECT("timestamp('0001-01-01T00:00:00+00:01')", "error: timestamp out of range");
    EXPECT("timestamp('9999-12-31T23:59:59.999999999Z')",
           "timestamp(\"9999-12-31T23:59:59.999999999Z\")");
    EXPECT("timestamp(253402300799)", "timestamp(\"9999-12-31T23:59:59Z\")");
    EXPECT("timestamp(253402300800)", "error: timestamp out of range");
}

Test(cel_time, durations)
{
    EXPECT("duration('1h30m')", "duration(\"5400s\")");
    EXPECT("duration('-1.5s')", "duration(\"-1.5s\")");
    EXPECT("duration('0')", "duration(\"0s\")");
    EXPECT("duration('1.5h') == duration('90m')", "true");
    EXPECT("duration('1ms1us1ns')", "duration(\"0.001001001s\")");
    EXPECT("duration('2\\u00b5s') == duration('2\\u03bcs')", "true");
    EXPECT("duration('2562047h47m16.854775807s')",
           "duration(\"9223372036.854775807s\")");
    EXPECT("duration('2562047h47m16.854775808s')", "error: duration out of range");
    EXPECT("duration('-2562047h47m16.854775808s')",
           "duration(\"-9223372036.854775808s\")");
    EXPECT("duration('1d')", "error: invalid duration '1d'");
    EXPECT("duration('')", "error: invalid duration ''");
    EXPECT("duration('1')", "error: invalid duration '1'");
    EXPECT("duration('.s')", "error: invalid duration '.s'");
    EXPECT("string(duration('3h')) + ' ' + string(duration('-0.25s'))",
           "\"10800s -0.25s\"");
    EXPECT("[duration('3h').getHours(), duration('90m').getMinutes(), "
           "duration('90s').getSeconds(), duration('1.234s').getMilliseconds()]",
           "[3, 90, 90, 234]");
}

Test(cel_time, arithmetic_and_ranges)
{
    EXPECT("timestamp('2024-02-28T12:00:00Z') + duration('24h')",
           "timestamp(\"2024-02-29T12:00:00Z\")");
    EXPECT("timestamp('2024-01-01T00:00:00Z') - timestamp('2023-01-01T00:00:00Z')",
           "duration(\"31536000s\")");
    EXPECT("timestamp('2024-01-01T00:00:00.25Z') - duration('0.5s')",
           "timestamp(\"2023-12-31T23:59:59.75Z\")");
    EXPECT("duration('1h') + duration('1m') - duration('1s')", "duration(\"3659s\")");
    EXPECT("timestamp('9999-12-31T23:59:59Z') + duration('1s')",
           "error: timestamp out of range");
    EXPECT("timestamp('0001-01-01T00:00:00Z') - duration('1ns')",
           "error: timestamp out of range");
    EXPECT("timestamp('9999-01-01T00:00:00Z') - timestamp('1000-01-01T00:00:00Z')",
           "error: duration out of range");
    EXPECT("duration('2000000h') + duration('2000000h')", "error: duration out of range");
    EXPECT("timestamp('2024-01-01T00:00:00Z') < timestamp('2024-01-01T00:00:00.1Z')", "true");
}

Test(cel_time, accessors_in_utc_and_fixed_offsets)
{
    const char *t = "timestamp('2024-03-01T02:30:45.678Z')";
    char expr[1024];
    snprintf(expr, sizeof expr,
             "[%s.getFullYear(), %s.getMonth(), %s.getDate(), %s.getDayOfMonth(), "
             "%s.getDayOfYear(), %s.getDayOfWeek(), %s.getHours(), %s.getMinutes(), "
             "%s.getSeconds(), %s.getMilliseconds()]", t, t, t, t, t, t, t, t, t, t);
    EXPECT(expr, "[2024, 2, 1, 0, 60, 5, 2, 30, 45, 678]");
    EXPECT("timestamp('2024-03-01T02:30:00Z').getDate('-03:00')", "29");
    EXPECT("timestamp('2024-03-01T02:30:00Z').getMonth('-03:00')", "1");
    EXPECT("timestamp('2024-03-01T22:30:00Z').getHours('+05:30')", "4");
    EXPECT("timestamp('2024-03-01T22:30:00Z').getMinutes('05:30')", "0");
    EXPECT("timestamp('2024-12-31T23:00:00Z').getFullYear('+01:00')", "2025");
    EXPECT("timestamp('2024-03-01T00:00:00Z').getHours('UTC')", "0");
    EXPECT("timestamp('0001-01-01T00:00:00Z').getDayOfWeek()", "1"); /* a Monday */
    EXPECT("timestamp('2024-03-01T00:00:00Z').getHours('+24:00')",
           "error: unknown time zone '+24:00'");
    EXPECT("timestamp('2024-03-01T00:00:00Z').getHours('Europe/Kyiv')",
           "error: unknown time zone 'Europe/Kyiv'"); /* no resolver given */
}

Test(cel_time, iana_zones_from_zoneinfo)
{
    EXPECT_TZ("timestamp('2024-07-01T12:00:00Z').getHours('Europe/Kyiv')", "15");
    EXPECT_TZ("timestamp('2024-01-01T12:00:00Z').getHours('Europe/Kyiv')", "14");
    EXPECT_TZ("timestamp('2024-03-31T00:59:59Z').getHours('Europe/Kyiv')", "2");
    EXPECT_TZ("timestamp('2024-03-31T01:00:00Z').getHours('Europe/Kyiv')", "4");
    EXPECT_TZ("timestamp('2024-01-15T12:00:00Z').getHours('Australia/Sydney')", "23");
    EXPECT_TZ("timestamp('2024-07-15T12:00:00Z').getHours('Australia/Sydney')", "22");
    EXPECT_TZ("timestamp('2024-01-15T12:00:00Z').getMinutes('Asia/Kathmandu')", "45");
    EXPECT_TZ("timestamp('2024-07-15T12:00:00Z').getMinutes('America/St_Johns')", "30");
    /* past the last transition of the file: the POSIX TZ footer decides */
    EXPECT_TZ("timestamp('2100-07-01T12:00:00Z').getHours('Europe/Kyiv')", "15");
    EXPECT_TZ("timestamp('2100-12-01T12:00:00Z').getHours('Europe/Kyiv')", "14");
    EXPECT_TZ("timestamp('2009-02-13T23:31:30Z').getDayOfMonth('US/Central')", "12");
    EXPECT_TZ("timestamp('2024-01-01T00:00:00Z').getHours('Mars/Olympus')",
              "error: unknown time zone 'Mars/Olympus'");
    EXPECT_TZ("timestamp('2024-01-01T00:00:00Z').getHours('../../etc/passwd')",
              "error: unknown time zone '../../etc/passwd'");
    EXPECT_TZ("timestamp('2024-01-01T00:00:00Z').getHours('/etc/localtime')",
              "error: unknown time zone '/etc/localtime'");
}

/* ---- TZif files ---------------------------------------------------------------------------------- */

static size_t put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
    return 4;
}

/* A version 2 file: one transition at t0 from +01:00 to +02:00, and footer. */
static size_t make_tzif(unsigned char *buf, int64_t t0, const char *footer)
{
    size_t n = 0;
    unsigned char hdr[44] = "TZif2";
    memset(hdr + 5, 0, 39);
    put32(hdr + 32, 0); /* v1 block: no transitions, one type, 4 chars */
    put32(hdr + 36, 1);
    put32(hdr + 40, 4);
    memcpy(buf, hdr, 44);
    n = 44;
    n += put32(buf + n, 3600); /* v1 ttinfo */
    buf[n++] = 0;
    buf[n++] = 0;
    memcpy(buf + n, "A\0B\0", 4);
    n += 4;
    memcpy(buf + n, hdr, 44); /* v2 header */
    put32(buf + n + 32, 1);
    put32(buf + n + 36, 2);
    n += 44;
    n += put32(buf + n, (uint32_t)((uint64_t)t0 >> 32));
    n += put32(buf + n, (uint32_t)t0);
    buf[n++] = 1; /* to type 1 */
    n += put32(buf + n, 3600);
    buf[n++] = 0;
    buf[n++] = 0;
    n += put32(buf + n, 7200);
    buf[n++] = 1;
    buf[n++] = 2;
    memcpy(buf + n, "A\0B\0", 4);
    n += 4;
    int k = snprintf((char *)buf + n, 64, "\n%s\n", footer);
    cr_assert(k > 0 && k < 64);
    return n + (size_t)k;
}

Test(cel_time, tzif_parser)
{
    unsigned char f[256];
    struct ps_cel_diag d;
    int32_t off;
    size_t n = make_tzif(f, 1000000, "<+03>-3");
    cr_assert_eq(ps_cel_tzif_offset(f, n, 999999, &off, &d), PS_OK, "%s", d.message);
    cr_expect_eq(off, 3600, "before the first transition: type 0");
    cr_assert_eq(ps_cel_tzif_offset(f, n, 1000000, &off, &d), PS_OK);
    cr_expect_eq(off, 3 * 3600, "at and past the last transition: the footer");
    n = make_tzif(f, 1000000, "");
    cr_assert_eq(ps_cel_tzif_offset(f, n, 5000000, &off, &d), PS_OK);
    cr_expect_eq(off, 7200, "no footer: the last transition's type");
    n = make_tzif(f, 1000000, "EET-2EEST,M3.5.0/3,M10.5.0/4");
    cr_assert_eq(ps_cel_tzif_offset(f, n, 4118054400LL, &off, &d), PS_OK); /* 2100-06-30 */
    cr_expect_eq(off, 3 * 3600);
    cr_assert_eq(ps_cel_tzif_offset(f, n, 4133952000LL, &off, &d), PS_OK); /* 2100-12-31 */
    cr_expect_eq(off, 2 * 3600);
    /* malformed */
    cr_expect_eq(ps_cel_tzif_offset(f, 43, 0, &off, &d), PS_ERR_INVALID);
    cr_expect_eq(ps_cel_tzif_offset(f, 44 + 10 + 44 + 5, 0, &off, &d), PS_ERR_INVALID,
                 "data block cut short");
    unsigned char bad[256];
    memcpy(bad, f, n);
    bad[0] = 'X';
    cr_expect_eq(ps_cel_tzif_offset(bad, n, 0, &off, &d), PS_ERR_INVALID);
    memcpy(bad, f, n);
    put32(bad + 36, 100000); /* too many types */
    cr_expect_eq(ps_cel_tzif_offset(bad, n, 0, &off, &d), PS_ERR_INVALID);
    memcpy(bad, f, n);
    bad[54 + 44 + 8] = 7; /* transition to a type that does not exist */
    cr_expect_eq(ps_cel_tzif_offset(bad, n, 0, &off, &d), PS_ERR_INVALID);
}

Test(cel_time, links_from_tzdata_zi_and_a_bounded_cache)
{
    char dir[] = "/tmp/ps-cel-tz-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[512];
    unsigned char f[256];
    size_t n = make_tzif(f, 0, "<+05>-5");
    snprintf(path, sizeof path, "%s/Test", dir);
    cr_assert_eq(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/Test/Zone", dir);
    FILE *fp = fopen(path, "wb");
    cr_assert_eq(fwrite(f, 1, n, fp), n);
    fclose(fp);
    snprintf(path, sizeof path, "%s/tzdata.zi", dir);
    fp = fopen(path, "w");
    fprintf(fp, "# version test\nZ Test/Zone 5 - +05\nL Test/Zone Old/Name\n");
    fclose(fp);
    struct ps_cel_tzdb *tdb = ps_cel_tzdb_new(dir, 1);
    struct ps_cel_tz_resolver r = ps_cel_tzdb_resolver(tdb);
    int32_t off = 0;
    cr_expect_eq(r.offset(r.ctx, PS_STR("Test/Zone"), 100, &off), PS_OK);
    cr_expect_eq(off, 5 * 3600);
    cr_expect_eq(r.offset(r.ctx, PS_STR("Old/Name"), 100, &off), PS_OK, "a link");
    cr_expect_eq(off, 5 * 3600);
    cr_expect_eq(r.offset(r.ctx, PS_STR("Test/Zone"), 100, &off), PS_OK, "after eviction");
    cr_expect_eq(r.offset(r.ctx, PS_STR("Test/None"), 100, &off), PS_ERR_NOTFOUND);
    cr_expect_eq(r.offset(r.ctx, PS_STR("tzdata.zi"), 100, &off), PS_ERR_NOTFOUND,
                 "a file that is not TZif is not a zone");
    ps_cel_tzdb_free(tdb);
    snprintf(path, sizeof path, "rm -rf %s", dir);
    cr_expect_eq(system(path), 0);
}
