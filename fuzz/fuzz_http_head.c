/* Fuzz target: the strict request-head reader (ps_http_head_feed, src/http/head.h). Input: one
 * byte that picks the size limit and how the bytes arrive, then the head's bytes. Checks the
 * header's contract: the same verdict whether the bytes come at once or in pieces (a prefix is
 * never refused unless the whole is, and an accepted head ends at the same place); an
 * accepted head fits the limit, ends with an empty line, and has no line that folds, lacks a
 * colon or has whitespace before it; a refusal carries one of the statuses the header names
 * and a detail. */
#include <string.h>

#include "http/head.h"
#include "fuzz.h"

static void check_error(const struct ps_http_head_error *e)
{
    FUZZ_CHECK(e->status == 400 || e->status == 413 || e->status == 414 || e->status == 431 ||
               e->status == 505);
    FUZZ_CHECK(e->slug && e->title && e->detail && e->detail[0]);
}

/* An accepted head, read again the simple way: CRLF lines, the request line, field lines. */
static void check_done(const char *p, size_t off, size_t max)
{
    FUZZ_CHECK(off <= max && off >= 4);
    FUZZ_CHECK(memcmp(p + off - 4, "\r\n\r\n", 4) == 0 || off == 4);
    size_t i = 0;
    while (i + 1 < off && p[i] == '\r' && p[i + 1] == '\n')
        i += 2; /* empty lines before the request line */
    bool first = true;
    while (i < off) {
        const char *lf = memchr(p + i, '\n', off - i);
        FUZZ_CHECK(lf && lf > p + i && lf[-1] == '\r');
        size_t len = (size_t)(lf - (p + i)) - 1;
        const char *line = p + i;
        FUZZ_CHECK(!memchr(line, '\r', len) && !memchr(line, '\0', len));
        if (len == 0) {
            FUZZ_CHECK(lf + 1 == p + off); /* the empty line ends the head */
        } else if (first) {
            FUZZ_CHECK(line[0] != ' ' && memchr(line, ' ', len));
        } else {
            const char *colon = memchr(line, ':', len);
            FUZZ_CHECK(colon && colon > line && line[0] != ' ' && line[0] != '\t');
            FUZZ_CHECK(!memchr(line, ' ', (size_t)(colon - line)));
            FUZZ_CHECK(!memchr(line, '\t', (size_t)(colon - line)));
        }
        first = false;
        i = (size_t)(lf - p) + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t max = 16 + (size_t)(data[0] & 0x3f) * 16, step = 1 + (data[0] >> 6) * 7;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    struct ps_http_head whole;
    struct ps_http_head_error we = {0}, pe = {0};
    ps_http_head_init(&whole);
    enum ps_head_result wr = ps_http_head_feed(&whole, p, n, max, &we);
    if (wr == PS_HEAD_BAD)
        check_error(&we);
    if (wr == PS_HEAD_DONE)
        check_done(p, whole.off, max);
    /* the same bytes, arriving `step` at a time, through one parser */
    struct ps_http_head part;
    ps_http_head_init(&part);
    enum ps_head_result pr = PS_HEAD_PARTIAL;
    size_t got = 0;
    while (pr == PS_HEAD_PARTIAL && got < n) {
        got = got + step < n ? got + step : n;
        pr = ps_http_head_feed(&part, p, got, max, &pe);
    }
    if (pr == PS_HEAD_BAD) {
        check_error(&pe);
        FUZZ_CHECK(wr == PS_HEAD_BAD);
    }
    if (wr == PS_HEAD_DONE) {
        FUZZ_CHECK(pr == PS_HEAD_DONE && part.off == whole.off);
    }
    if (pr == PS_HEAD_DONE) {
        FUZZ_CHECK(wr == PS_HEAD_DONE);
    }
    return 0;
}
