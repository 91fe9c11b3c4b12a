/* The strict request-head reader (src/http/head.h): each RFC 9112 rule the gate applies to a
 * connection's first request, byte by byte as well as whole, and the field rules the server
 * applies to every request. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "http/head.h"

#define MAX 8192

static enum ps_head_result feed_all(const char *raw, size_t len, size_t max,
                                    struct ps_http_head_error *e)
{
    struct ps_http_head h;
    ps_http_head_init(&h);
    return ps_http_head_feed(&h, raw, len, max, e);
}

/* Feeds raw one more byte at a time, as a trickling client would, through one parser. */
static enum ps_head_result feed_bytewise(const char *raw, size_t len, struct ps_http_head_error *e,
                                         size_t *at)
{
    struct ps_http_head h;
    ps_http_head_init(&h);
    enum ps_head_result r = PS_HEAD_PARTIAL;
    for (*at = 1; *at <= len; (*at)++) {
        r = ps_http_head_feed(&h, raw, *at, MAX, e);
        if (r != PS_HEAD_PARTIAL)
            return r;
    }
    return r;
}

static void accepted(const char *raw)
{
    struct ps_http_head_error e = {0};
    size_t at = 0;
    cr_assert_eq(feed_all(raw, strlen(raw), MAX, &e), PS_HEAD_DONE, "%s: %s", raw,
                 e.detail ? e.detail : "partial");
    cr_assert_eq(feed_bytewise(raw, strlen(raw), &e, &at), PS_HEAD_DONE, "%s", raw);
    cr_assert_eq(at, strlen(raw), "done before the end of the head");
}

/* Refused whole with status and a detail containing why; and byte by byte, no later than the
 * whole head (a prefix may already be judged). */
static void refused_n(const char *raw, size_t len, int status, const char *why)
{
    struct ps_http_head_error e = {0};
    cr_assert_eq(feed_all(raw, len, MAX, &e), PS_HEAD_BAD, "accepted: %s", raw);
    cr_assert_eq(e.status, status, "%s: %d %s", raw, e.status, e.detail);
    cr_assert(strstr(e.detail, why), "%s: detail \"%s\" lacks \"%s\"", raw, e.detail, why);
    struct ps_http_head_error b = {0};
    size_t at = 0;
    cr_assert_eq(feed_bytewise(raw, len, &b, &at), PS_HEAD_BAD, "bytewise accepted: %s", raw);
    cr_assert_eq(b.status, status, "bytewise %s: %d %s", raw, b.status, b.detail);
}

static void refused(const char *raw, int status, const char *why)
{
    refused_n(raw, strlen(raw), status, why);
}

Test(head, ordinary_requests)
{
    accepted("GET / HTTP/1.1\r\nHost: example.org\r\n\r\n");
    accepted("GET /healthz HTTP/1.0\r\n\r\n"); /* 1.0 needs no Host */
    accepted("POST /api/v1/x?y=1&z=%20 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
             "Content-Type: application/json\r\nContent-Length: 0\r\n\r\n");
    accepted("PUT /a HTTP/1.1\r\nHost: [::1]:80\r\nTransfer-Encoding: Chunked\r\n\r\n");
    accepted("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"); /* empty lines before: ignored */
    accepted("GET / HTTP/1.1\r\nHost:\r\n\r\n");            /* empty Host (RFC 9112 3.2) */
    accepted("GET / HTTP/1.1\r\nHost: x\r\nX-A:\tv \t\r\nX-B: \xc3\xa9t\xc3\xa9\r\n\r\n");
    accepted("GET / HTTP/1.9\r\nHost: x\r\n\r\n"); /* a later 1.x is served as 1.1 */
    accepted("M-SEARCH * HTTP/1.1\r\nHost: x\r\n\r\n");
}

Test(head, bytes_after_the_head_are_not_read)
{
    const char *raw = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n\x01\x02 GET";
    struct ps_http_head h;
    ps_http_head_init(&h);
    struct ps_http_head_error e;
    cr_assert_eq(ps_http_head_feed(&h, raw, strlen(raw), MAX, &e), PS_HEAD_DONE);
    cr_assert_eq(h.off, strlen(raw) - 6);
}

Test(head, request_line)
{
    refused("GARBAGE\r\n\r\n", 400, "request line");
    refused("GET\r\n\r\n", 400, "request line");
    refused("GET /\r\nHost: x\r\n\r\n", 400, "request line");
    refused("GET  / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request line");
    refused("GET / HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "HTTP version");
    refused("GET /a b HTTP/1.1\r\nHost: x\r\n\r\n", 400, "HTTP version");
    refused("GET / FOO\r\nHost: x\r\n\r\n", 400, "HTTP version");
    refused("GET / http/1.1\r\nHost: x\r\n\r\n", 400, "HTTP version");
    refused("GET / HTTP/1.10\r\nHost: x\r\n\r\n", 400, "HTTP version");
    refused("G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request line");
    refused("GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "request line");
    refused_n("\x00\x01\x02\r\n\r\n", 7, 400, "request line");
    refused_n("GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n", 27, 400, "request line");
    refused("\x16\x03\x01\x02\x00", 400, "request line"); /* a TLS hello */
}

Test(head, garbage_is_judged_at_its_first_byte)
{
    struct ps_http_head h;
    ps_http_head_init(&h);
    struct ps_http_head_error e;
    cr_assert_eq(ps_http_head_feed(&h, "\x16", 1, MAX, &e), PS_HEAD_BAD);
    ps_http_head_init(&h);
    cr_assert_eq(ps_http_head_feed(&h, "GET /x HTTP/1.1\r\nX-A : ", 23, MAX, &e), PS_HEAD_BAD,
                 "whitespace before the colon, judged before the line ends");
    cr_assert(strstr(e.detail, "whitespace"));
}

Test(head, versions_not_served_505)
{
    refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1");
    refused("GET / HTTP/0.9\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1");
    refused("GET / HTTP/9.9\r\n\r\n", 505, "HTTP/1.0 and HTTP/1.1");
}

Test(head, line_endings)
{
    refused("GET / HTTP/1.1\nHost: x\r\n\r\n", 400, "CRLF");
    refused("GET / HTTP/1.1\r\nHost: x\n\r\n", 400, "CRLF");
    refused("GET / HTTP/1.1\r\nHost: x\r\n\n", 400, "CRLF");
    refused("GET / HTTP/1.1\r\nHost: x\rX-A: 1\r\n\r\n", 400, "bare CR");
    refused("GET / HTTP/1.1\r\r\nHost: x\r\n\r\n", 400, "bare CR");
}

/* RFC 9112 5.1: whitespace between a field name and the colon must get 400 (a request
 * smuggling vector: MHD would ignore "Transfer-Encoding " and frame by Content-Length). */
Test(head, whitespace_before_colon)
{
    refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\nContent-Length: 3"
            "\r\n\r\n",
            400, "whitespace between a header field name and its colon");
    refused("GET / HTTP/1.1\r\nHost\t: x\r\n\r\n", 400, "whitespace between");
}

/* RFC 9112 5.2: obs-fold in a request is refused, as is whitespace right after the request
 * line (2.2). */
Test(head, obs_fold)
{
    refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n", 400, "obsolete line folding");
    refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n\t2\r\n\r\n", 400, "obsolete line folding");
    refused("GET / HTTP/1.1\r\n Host: x\r\n\r\n", 400, "obsolete line folding");
    refused("POST / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n", 400,
            "obsolete line folding");
}

Test(head, field_lines)
{
    refused("GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n", 400, "without a colon");
    refused("GET / HTTP/1.1\r\nHost: x\r\n: v\r\n\r\n", 400, "field name");
    refused("GET / HTTP/1.1\r\nHost: x\r\nX(A): v\r\n\r\n", 400, "field name");
    refused_n("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 37, 400, "control character");
    refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400, "control character");
    refused("GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7f\r\n\r\n", 400, "control character");
}

Test(head, host)
{
    refused("GET / HTTP/1.1\r\n\r\n", 400, "without Host");
    refused("GET / HTTP/1.1\r\nX-A: 1\r\n\r\n", 400, "without Host");
    refused("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400, "more than one Host");
    refused("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400, "more than one Host");
    refused("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400, "invalid Host");
    refused("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400, "invalid Host");
    refused("GET / HTTP/1.1\r\nHost: a:80x\r\n\r\n", 400, "invalid Host");
    refused("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n", 400, "invalid Host");
    refused("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n", 400, "invalid Host");
    accepted("GET / HTTP/1.1\r\nHost: xn--80a.example:443 \r\n\r\n");
    accepted("GET / HTTP/1.1\r\nHost: a%41b\r\n\r\n");
}

Test(head, authorization_once)
{
    refused("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nauthorization: Bearer b"
            "\r\n\r\n",
            400, "more than one Authorization");
    accepted("GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n\r\n");
}

Test(head, body_framing)
{
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked"
            "\r\n\r\n",
            400, "both Transfer-Encoding and Content-Length");
    refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400,
            "only Transfer-Encoding accepted is chunked");
    refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked \r\n\r\n", 400,
            "only Transfer-Encoding accepted is chunked");
    refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            "Transfer-Encoding: chunked\r\n\r\n",
            400, "only Transfer-Encoding accepted is chunked");
    refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "older than HTTP/1.1");
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n", 400,
            "more than one Content-Length");
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 400,
            "invalid Content-Length");
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", 400,
            "invalid Content-Length");
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n", 400,
            "invalid Content-Length");
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5 \r\n\r\n", 400,
            "invalid Content-Length");
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n", 400,
            "invalid Content-Length");
    refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
            413, "larger than");
    accepted("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0000000000000000000000001\r\n\r\n");
}

Test(head, sizes)
{
    char big[MAX + 64];
    memset(big, 'a', sizeof big);
    memcpy(big, "GET /", 5);
    struct ps_http_head_error e;
    cr_assert_eq(feed_all(big, MAX + 1, MAX, &e), PS_HEAD_BAD);
    cr_assert_eq(e.status, 414, "a request line with no end in sight");
    static const char start[] = "GET / HTTP/1.1\r\nHost: x\r\nX-A: ";
    memcpy(big, start, sizeof start - 1);
    memset(big + sizeof start - 1, 'b', sizeof big - (sizeof start - 1));
    cr_assert_eq(feed_all(big, MAX + 1, MAX, &e), PS_HEAD_BAD);
    cr_assert_eq(e.status, 431);
    /* exactly the limit is fine; one byte more is not */
    const char *head = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    cr_assert_eq(feed_all(head, strlen(head), strlen(head), &e), PS_HEAD_DONE);
    cr_assert_eq(feed_all(head, strlen(head), strlen(head) - 1, &e), PS_HEAD_BAD);
    cr_assert_eq(e.status, 431);
}

Test(head, field_count)
{
    char buf[4096];
    static const char start[] = "GET / HTTP/1.1\r\nHost: x\r\n";
    memcpy(buf, start, sizeof start);
    size_t n = sizeof start - 1;
    for (int i = 1; i < PS_HTTP_MAX_FIELDS; i++) {
        int k = snprintf(buf + n, sizeof buf - n, "A%d: 1\r\n", i);
        cr_assert(k > 0 && (size_t)k < sizeof buf - n);
        n += (size_t)k;
    }
    memcpy(buf + n, "\r\n", 3);
    accepted(buf); /* exactly the maximum */
    memcpy(buf + n, "Z: 1\r\n\r\n", 9);
    refused(buf, 431, "too many header fields");
}

/* The field rules alone, as the server runs them over the fields MHD parsed (MHD keeps
 * whitespace before a colon in the name). */
Test(head, fields_from_mhd)
{
    struct ps_http_fields f;
    struct ps_http_head_error e;
    ps_http_fields_init(&f);
    cr_assert(ps_http_fields_add(&f, PS_STR("Host"), PS_STR("x")));
    cr_assert_not(ps_http_fields_add(&f, PS_STR("Transfer-Encoding "), PS_STR("chunked")));
    cr_assert_not(ps_http_fields_end(&f, 1, &e));
    cr_assert(strstr(e.detail, "whitespace"));
    ps_http_fields_init(&f);
    cr_assert(ps_http_fields_end(&f, 0, &e), "HTTP/1.0 without Host");
    ps_http_fields_init(&f);
    cr_assert_not(ps_http_fields_end(&f, 1, &e));
    cr_assert_eq(e.status, 400);
    ps_http_fields_init(&f);
    cr_assert(ps_http_fields_add(&f, PS_STR("host"), PS_STR("a")));
    cr_assert(ps_http_fields_add(&f, PS_STR("Authorization"), PS_STR("Basic x")));
    cr_assert(ps_http_fields_add(&f, PS_STR("AUTHORIZATION"), PS_STR("Basic y")));
    cr_assert_not(ps_http_fields_end(&f, 1, &e));
    cr_assert(strstr(e.detail, "Authorization"));
}
