/* A time zone resolver for embedders (the CLI uses it): TZif files (RFC 8536, versions 1-4)
 * read from a zoneinfo directory, with the POSIX TZ string of the footer for instants past
 * the last transition, backward links taken from tzdata.zi when their files are absent, and
 * a bounded, mutex-protected cache of parsed zones. The evaluator itself never does I/O: it
 * only calls the resolver it is given. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cel/cel_int.h"

#define TZIF_MAX_BYTES (1u << 20)
#define TZIF_MAX_TIMES 65536u
#define TZIF_MAX_TYPES 256u
#define ZI_MAX_BYTES (4u << 20)
#define ZONE_NAME_MAX 255

/* ---- POSIX TZ strings ---------------------------------------------------------------------- */

struct rule {
    char kind; /* 'J' (1..365, no Feb 29), 'D' (0..365), 'M' (month.week.day) */
    int a, b, c;
    int32_t secs; /* transition time of day (may be negative or past 24h) */
};

struct posix_tz {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    struct rule start, end;
};

static const char *tz_name(const char *p)
{
    if (*p == '<') {
        const char *e = strchr(p, '>');
        return e ? e + 1 : NULL;
    }
    const char *s = p;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z'))
        p++;
    return p - s >= 3 ? p : NULL;
}

/* [+-]hh[:mm[:ss]] into seconds; hours up to max_h. */
static const char *tz_time(const char *p, int max_h, int32_t *out)
{
    int sign = 1;
    if (*p == '+' || *p == '-')
        sign = *p++ == '-' ? -1 : 1;
    int part[3] = {0, 0, 0};
    for (int i = 0; i < 3; i++) {
        if (*p < '0' || *p > '9') {
            if (i == 0)
                return NULL;
            break; /* "5:" with nothing after the colon */
        }
        int v = 0, digits = 0;
        while (*p >= '0' && *p <= '9' && digits < 3) {
            v = v * 10 + (*p++ - '0');
            digits++;
        }
        if ((i == 0 && v > max_h) || (i > 0 && v > 59))
            return NULL;
        part[i] = v;
        if (*p != ':' || i == 2)
            break;
        p++;
    }
    *out = sign * (part[0] * 3600 + part[1] * 60 + part[2]);
    return p;
}

static const char *tz_rule(const char *p, struct rule *r)
{
    r->secs = 7200;
    char *end;
    if (*p == 'M') {
        r->kind = 'M';
        r->a = (int)strtol(p + 1, &end, 10);
        if (*end != '.')
            return NULL;
        r->b = (int)strtol(end + 1, &end, 10);
        if (*end != '.')
            return NULL;
        r->c = (int)strtol(end + 1, &end, 10);
        if (r->a < 1 || r->a > 12 || r->b < 1 || r->b > 5 || r->c < 0 || r->c > 6)
            return NULL;
    } else {
        r->kind = *p == 'J' ? 'J' : 'D';
        if (*p == 'J')
            p++;
        if (*p < '0' || *p > '9')
            return NULL;
        r->a = (int)strtol(p, &end, 10);
        if (r->a < (r->kind == 'J') || r->a > 365)
            return NULL;
    }
    p = end;
    if (*p == '/' && !(p = tz_time(p + 1, 167, &r->secs)))
        return NULL;
    return p;
}

static bool parse_posix(const char *p, struct posix_tz *tz)
{
    int32_t off;
    memset(tz, 0, sizeof *tz);
    if (!(p = tz_name(p)) || !(p = tz_time(p, 24, &off)))
        return false;
    tz->std_off = -off;
    if (!*p)
        return true;
    if (!(p = tz_name(p)))
        return false;
    tz->has_dst = true;
    tz->dst_off = tz->std_off + 3600;
    if (*p && *p != ',') {
        if (!(p = tz_time(p, 24, &off)))
            return false;
        tz->dst_off = -off;
    }
    if (*p != ',' || !(p = tz_rule(p + 1, &tz->start)) || *p != ',' ||
        !(p = tz_rule(p + 1, &tz->end)))
        return false;
    return *p == '\0';
}

/* Day number (since 1970-01-01) a rule falls on in year y. */
static int64_t rule_day(const struct rule *r, int64_t y)
{
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int64_t jan1 = cel_days_from_civil(y, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->a - 1 + (leap && r->a >= 60);
    if (r->kind == 'D')
        return jan1 + r->a;
    int64_t first = cel_days_from_civil(y, (unsigned)r->a, 1);
    int dow = (int)(((first % 7) + 11) % 7);
    int64_t day = first + (r->c - dow + 7) % 7 + 7 * (r->b - 1);
    unsigned mdays = r->a == 12 ? 31 : (unsigned)(cel_days_from_civil(y, (unsigned)r->a + 1, 1) -
                                                  first);
    while (day >= first + mdays)
        day -= 7;
    return day;
}

static int32_t posix_offset(const struct posix_tz *tz, int64_t t)
{
    if (!tz->has_dst)
        return tz->std_off;
    int64_t local = t + tz->std_off, y;
    unsigned m, d;
    cel_civil_from_days(local >= 0 ? local / 86400 : -((-local + 86399) / 86400), &y, &m, &d);
    int64_t start = rule_day(&tz->start, y) * 86400 + tz->start.secs - tz->std_off;
    int64_t end = rule_day(&tz->end, y) * 86400 + tz->end.secs - tz->dst_off;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? tz->dst_off : tz->std_off;
}

/* ---- TZif ------------------------------------------------------------------------------------ */

struct zone {
    char *name;
    int64_t *times;
    uint8_t *idx;
    int32_t *offs;
    uint32_t ntimes, ntypes;
    bool has_footer;
    struct posix_tz footer;
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

struct header {
    uint32_t isut, isstd, leap, time, type, chars;
    char version;
};

static bool read_header(const unsigned char *p, size_t len, struct header *h)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0)
        return false;
    h->version = (char)p[4];
    h->isut = be32(p + 20);
    h->isstd = be32(p + 24);
    h->leap = be32(p + 28);
    h->time = be32(p + 32);
    h->type = be32(p + 36);
    h->chars = be32(p + 40);
    return h->type >= 1 && h->type <= TZIF_MAX_TYPES && h->time <= TZIF_MAX_TIMES &&
           h->chars <= 65536 && h->leap <= 65536 && (h->isut == 0 || h->isut == h->type) &&
           (h->isstd == 0 || h->isstd == h->type);
}

static size_t block_size(const struct header *h, unsigned tsize)
{
    return (size_t)h->time * tsize + h->time + (size_t)h->type * 6 + h->chars +
           (size_t)h->leap * (tsize + 4) + h->isstd + h->isut;
}

static void zone_free(struct zone *z)
{
    if (!z)
        return;
    ps_free(z->name);
    ps_free(z->times);
    ps_free(z->idx);
    ps_free(z->offs);
    ps_free(z);
}

/* The footer of a version 2+ file at off: "\n" POSIX-TZ-string "\n" (a malformed one is
 * ignored: the last transition then holds for ever). */
static void read_footer(struct zone *z, const unsigned char *p, size_t len, size_t off)
{
    if (off >= len || p[off] != '\n')
        return;
    const unsigned char *nl = memchr(p + off + 1, '\n', len - off - 1);
    char footer[128];
    size_t flen = nl ? (size_t)(nl - (p + off + 1)) : 0;
    if (!nl || flen == 0 || flen >= sizeof footer)
        return;
    memcpy(footer, p + off + 1, flen);
    footer[flen] = '\0';
    z->has_footer = parse_posix(footer, &z->footer);
}

static enum ps_err tzif_parse(const unsigned char *p, size_t len, struct zone **out,
                              struct ps_cel_diag *diag)
{
    struct header h;
    if (!read_header(p, len, &h))
        return cel_diag_set(diag, PS_ERR_INVALID, "not a TZif file, or counts out of range");
    size_t off = 44 + block_size(&h, 4);
    unsigned tsize = 4;
    if (h.version >= '2') { /* skip the 32-bit block, use the 64-bit one */
        if (off > len || !read_header(p + off, len - off, &h))
            return cel_diag_set(diag, PS_ERR_INVALID, "TZif version 2+ header missing");
        off += 44;
        tsize = 8;
    }
    if (off > len || block_size(&h, tsize) > len - off)
        return cel_diag_set(diag, PS_ERR_INVALID, "TZif data truncated");
    struct zone *z = ps_calloc(1, sizeof *z);
    if (!z)
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    z->ntimes = h.time;
    z->ntypes = h.type;
    z->times = ps_alloc_array(h.time ? h.time : 1, sizeof *z->times);
    z->idx = ps_malloc(h.time ? h.time : 1);
    z->offs = ps_alloc_array(h.type, sizeof *z->offs);
    if (!z->times || !z->idx || !z->offs) {
        zone_free(z);
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    const unsigned char *d = p + off;
    for (uint32_t i = 0; i < h.time; i++)
        z->times[i] = tsize == 8 ? be64(d + 8 * i) : (int32_t)be32(d + 4 * i);
    d += (size_t)h.time * tsize;
    for (uint32_t i = 0; i < h.time; i++) {
        z->idx[i] = d[i];
        if (d[i] >= h.type || (i && z->times[i] <= z->times[i - 1])) {
            zone_free(z);
            return cel_diag_set(diag, PS_ERR_INVALID, "TZif transition %u malformed", i);
        }
    }
    d += h.time;
    for (uint32_t i = 0; i < h.type; i++) {
        z->offs[i] = (int32_t)be32(d + 6 * i);
        if (z->offs[i] <= -89999 || z->offs[i] >= 93600 || d[6 * i + 4] > 1) {
            zone_free(z);
            return cel_diag_set(diag, PS_ERR_INVALID, "TZif local time type %u malformed", i);
        }
    }
    off += block_size(&h, tsize);
    if (tsize == 8)
        read_footer(z, p, len, off);
    *out = z;
    return PS_OK;
}

static int32_t zone_offset(const struct zone *z, int64_t t)
{
    if (z->ntimes == 0 || t < z->times[0])
        return z->ntimes == 0 && z->has_footer ? posix_offset(&z->footer, t) : z->offs[0];
    if (t >= z->times[z->ntimes - 1] && z->has_footer)
        return posix_offset(&z->footer, t);
    uint32_t lo = 0, hi = z->ntimes; /* last transition <= t */
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (z->times[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return z->offs[z->idx[lo]];
}

enum ps_err ps_cel_tzif_offset(const void *data, size_t len, int64_t t, int32_t *out,
                               struct ps_cel_diag *diag)
{
    struct zone *z;
    if (len > TZIF_MAX_BYTES)
        return cel_diag_set(diag, PS_ERR_LIMIT, "TZif file larger than %u bytes",
                            TZIF_MAX_BYTES);
    enum ps_err e = tzif_parse(data, len, &z, diag);
    if (e != PS_OK)
        return e;
    *out = zone_offset(z, t);
    zone_free(z);
    return PS_OK;
}

/* ---- the zoneinfo directory --------------------------------------------------------------------- */

struct ps_cel_tzdb {
    pthread_mutex_t lock;
    char *dir;
    struct zone **zones; /* cache, round-robin replacement */
    size_t nzones, max_zones, next;
    char *zi;            /* tzdata.zi, read once (NULL: not yet, or absent) */
    size_t zi_len;
    bool zi_read;
};

/* Reads path (a regular file of at most max bytes) into a new buffer. */
static unsigned char *read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    unsigned char *buf = NULL;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= max &&
        (buf = ps_malloc((size_t)st.st_size + 1)) != NULL) {
        size_t got = 0;
        while (got < (size_t)st.st_size) {
            ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                break;
            }
            got += (size_t)r;
        }
        *len = got;
        buf[got] = '\0';
    }
    close(fd);
    return buf;
}

static bool valid_zone_name(struct ps_str z)
{
    if (z.len == 0 || z.len > ZONE_NAME_MAX || z.p[0] == '/' || z.p[z.len - 1] == '/')
        return false;
    for (size_t i = 0; i < z.len; i++) {
        char c = z.p[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '+' || c == '/'))
            return false;
        if (c == '/' && z.p[i + 1] == '/')
            return false;
    }
    return true; /* no dots are allowed, so no ".." */
}

/* The target of link name in tzdata.zi ("L America/Chicago US/Central"), or NULL. */
static const char *zi_link(struct ps_cel_tzdb *db, const char *name, char *out, size_t cap)
{
    if (!db->zi_read) {
        char path[4096];
        db->zi_read = true;
        if (snprintf(path, sizeof path, "%s/tzdata.zi", db->dir) < (int)sizeof path)
            db->zi = (char *)read_file(path, ZI_MAX_BYTES, &db->zi_len);
    }
    size_t nlen = strlen(name);
    for (const char *line = db->zi; line && *line;) {
        const char *eol = strchr(line, '\n');
        size_t llen = eol ? (size_t)(eol - line) : strlen(line);
        const char *sp = line[0] == 'L' && line[1] == ' ' ? memchr(line + 2, ' ', llen - 2)
                                                          : NULL;
        if (sp && (size_t)(line + llen - sp - 1) == nlen && memcmp(sp + 1, name, nlen) == 0 &&
            (size_t)(sp - line - 2) < cap) {
            memcpy(out, line + 2, (size_t)(sp - line - 2));
            out[sp - line - 2] = '\0';
            return out;
        }
        line = eol ? eol + 1 : NULL;
    }
    return NULL;
}

static struct zone *load_zone(struct ps_cel_tzdb *db, const char *name)
{
    char path[4096], target[ZONE_NAME_MAX + 1];
    size_t len = 0;
    unsigned char *data = NULL;
    if (snprintf(path, sizeof path, "%s/%s", db->dir, name) < (int)sizeof path)
        data = read_file(path, TZIF_MAX_BYTES, &len);
    if (!data && zi_link(db, name, target, sizeof target) &&
        valid_zone_name(ps_str_from_cstr(target)) &&
        snprintf(path, sizeof path, "%s/%s", db->dir, target) < (int)sizeof path)
        data = read_file(path, TZIF_MAX_BYTES, &len);
    if (!data)
        return NULL;
    struct zone *z = NULL;
    if (tzif_parse(data, len, &z, NULL) == PS_OK && !(z->name = ps_malloc(strlen(name) + 1))) {
        zone_free(z);
        z = NULL;
    }
    if (z)
        memcpy(z->name, name, strlen(name) + 1);
    ps_free(data);
    return z;
}

static enum ps_err tzdb_offset(void *ctx, struct ps_str zone, int64_t t, int32_t *out)
{
    struct ps_cel_tzdb *db = ctx;
    if (!valid_zone_name(zone))
        return PS_ERR_NOTFOUND;
    char name[ZONE_NAME_MAX + 1];
    memcpy(name, zone.p, zone.len);
    name[zone.len] = '\0';
    enum ps_err e = PS_ERR_NOTFOUND;
    pthread_mutex_lock(&db->lock);
    struct zone *z = NULL;
    for (size_t i = 0; i < db->nzones && !z; i++)
        if (strcmp(db->zones[i]->name, name) == 0)
            z = db->zones[i];
    if (!z && (z = load_zone(db, name)) != NULL) {
        if (db->nzones < db->max_zones) {
            db->zones[db->nzones++] = z;
        } else { /* replace round-robin */
            size_t slot = db->next++ % db->max_zones;
            zone_free(db->zones[slot]);
            db->zones[slot] = z;
        }
    }
    if (z) {
        *out = zone_offset(z, t);
        e = PS_OK;
    }
    pthread_mutex_unlock(&db->lock);
    return e;
}

struct ps_cel_tzdb *ps_cel_tzdb_new(const char *dir, size_t max_zones)
{
    if (!dir)
        dir = getenv("TZDIR");
    if (!dir || !*dir)
        dir = "/usr/share/zoneinfo";
    struct ps_cel_tzdb *db = ps_calloc(1, sizeof *db);
    if (!db)
        return NULL;
    db->max_zones = max_zones ? max_zones : 64;
    db->zones = ps_calloc(db->max_zones, sizeof *db->zones);
    db->dir = ps_malloc(strlen(dir) + 1);
    if (!db->zones || !db->dir || pthread_mutex_init(&db->lock, NULL) != 0) {
        ps_free(db->zones);
        ps_free(db->dir);
        ps_free(db);
        return NULL;
    }
    memcpy(db->dir, dir, strlen(dir) + 1);
    return db;
}

void ps_cel_tzdb_free(struct ps_cel_tzdb *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->nzones; i++)
        zone_free(db->zones[i]);
    pthread_mutex_destroy(&db->lock);
    ps_free(db->zones);
    ps_free(db->zi);
    ps_free(db->dir);
    ps_free(db);
}

struct ps_cel_tz_resolver ps_cel_tzdb_resolver(struct ps_cel_tzdb *db)
{
    return (struct ps_cel_tz_resolver){tzdb_offset, db};
}
