/* Strict reading of an HTTP/1.1 request head as the edge accepts it (RFC 9112 sections 2-5,
 * RFC 9110 section 5): the request line, each field line, and the rules that span fields
 * (Host, Authorization, body framing). Pure: no allocation, no I/O, no locks, safe from any
 * thread. The gate (gate.c) runs the parser over the raw bytes of a connection's first
 * request before libmicrohttpd reads them; the server (server.c) runs the field checks over
 * the fields MHD parsed, for every request; fuzz/fuzz_http_head.c drives both.
 * docs/internals/http.md says which rule is checked where and why. */
#ifndef PS_HTTP_HEAD_H
#define PS_HTTP_HEAD_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

#define PS_HTTP_MAX_FIELDS 100 /* field lines in one head; more -> 431 */

/* What a bad head is answered: status and problem slug (docs/problems.md), title and a
 * detail for the human. All static strings. */
struct ps_http_head_error {
    int status; /* 400, 413, 414, 431 or 505 */
    const char *slug;
    const char *title;
    const char *detail;
};

/* The rules between fields, fed one field at a time. */
struct ps_http_fields {
    unsigned n, host, auth, cl, te;
    bool te_chunked;
    bool bad;
    struct ps_http_head_error err; /* the first problem, when bad */
};

void ps_http_fields_init(struct ps_http_fields *f);
/* Adds one field line: name as received (must be a token: whitespace before the colon or
 * any other separator in it is refused), value as libmicrohttpd keeps it (leading SP/HTAB
 * removed, trailing kept). Checks what one line can break: the name, control characters in
 * the value, the field count, the syntax of Host and Content-Length. False once bad. */
bool ps_http_fields_add(struct ps_http_fields *f, struct ps_str name, struct ps_str value);
/* After the last field of a request of version HTTP/1.minor (minor 0 or 1): exactly one
 * Host in HTTP/1.1 (at most one in 1.0), at most one Authorization and Content-Length, and
 * an unambiguous body framing (RFC 9112 6.1: no Content-Length beside Transfer-Encoding, one
 * Transfer-Encoding which is exactly "chunked", none in HTTP/1.0). True when the fields
 * are acceptable; else *err (may be NULL) gets the first problem. */
bool ps_http_fields_end(struct ps_http_fields *f, int minor, struct ps_http_head_error *err);

/* Parser state for one head, resumable: each call gets the head's bytes so far (the same
 * prefix again, plus what arrived since) and goes on from the line where it stopped. */
struct ps_http_head {
    size_t off;  /* bytes read as complete lines */
    size_t line_end; /* where the request line ended (its CRLF included); 0 before */
    int stage;   /* 0: before the request line, 1: field lines, 2: done */
    int minor;   /* HTTP/1.minor of the request line (1 for 1.1 .. 1.9) */
    struct ps_http_fields fields;
};

enum ps_head_result {
    PS_HEAD_PARTIAL, /* acceptable so far: more bytes needed */
    PS_HEAD_DONE,    /* complete and acceptable: the head is buf[0..h->off) */
    PS_HEAD_BAD,     /* refused: *err says how to answer */
};

void ps_http_head_init(struct ps_http_head *h);
/* Reads buf[0..n), the first n bytes the client sent on a connection. Accepts only:
 * optional empty lines, then `method SP request-target SP HTTP/1.d CRLF` (method a token,
 * the target visible ASCII), then field lines `name ":" OWS value CRLF` (no obs-fold, no
 * whitespace before the colon, no control characters but HTAB), then CRLF; bare CR and bare
 * LF are refused. A line is judged as soon as it is wrong, even before it ends (garbage is
 * answered at once). A head longer than max_bytes (more than max_bytes bytes without its
 * end) is BAD: 414 while the request line is still incomplete, else 431. HTTP/0.x and 2+
 * are BAD with 505. Bytes after the head (a body, a pipelined request) are not read. */
enum ps_head_result ps_http_head_feed(struct ps_http_head *h, const char *buf, size_t n,
                                      size_t max_bytes, struct ps_http_head_error *err);

#endif
