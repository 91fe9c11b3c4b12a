/* multipart/form-data bodies (RFC 7578, delimiters as RFC 2046 5.1.1): the one form of the
 * portal that carries a file, the verify page's photo of a QR code. Slices only: nothing is
 * copied or decoded (a part's content is its bytes between the delimiters). Pure; fuzzed
 * (fuzz/fuzz_portal_multipart.c). */
#ifndef PS_PORTAL_MULTIPART_H
#define PS_PORTAL_MULTIPART_H

#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

#define PS_MULTIPART_BOUNDARY_MAX 70 /* RFC 2046 */
#define PS_MULTIPART_HEADER_MAX 1024 /* bytes in one part header line */
#define PS_MULTIPART_HEADERS_MAX 8   /* header lines in one part */

struct ps_multipart_part {
    struct ps_str name;         /* Content-Disposition: form-data; name="..." (never empty) */
    struct ps_str filename;     /* filename="..." or PS_STR_NULL */
    struct ps_str content_type; /* the part's Content-Type or PS_STR_NULL */
    struct ps_str data;         /* the content */
};

/* Parses body, sent with Content-Type ctype ("multipart/form-data; boundary=..."), into
 * parts[0..*n-1] (slices of body). A preamble before the first delimiter and an epilogue
 * after the closing one are ignored; header names are case-insensitive, only
 * Content-Disposition and Content-Type are read, quoted parameter values take no escapes (as
 * browsers send them: a quote in a file name is %22). Errors, with the reason in diag:
 * PS_ERR_INVALID (another media type, no boundary or a bad one, a part that is not form-data
 * or has no name, a header line without a colon, no closing delimiter), PS_ERR_LIMIT (more
 * than cap parts, a header line over PS_MULTIPART_HEADER_MAX bytes, more than
 * PS_MULTIPART_HEADERS_MAX lines). */
enum ps_err ps_multipart_parse(struct ps_str ctype, struct ps_str body,
                               struct ps_multipart_part *parts, size_t cap, size_t *n,
                               struct ps_diag *diag) PS_WUR;

#endif
