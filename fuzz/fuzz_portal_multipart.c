/* Fuzz target: the portal's multipart/form-data reader (ps_multipart_parse,
 * src/portal/multipart.h) and the QR picture reader it feeds on the verify page (ps_qr_read,
 * src/documents/qr_read.h). The input's first line is the Content-Type, the rest the body
 * (one input in two: a fixed boundary with the whole input as the body). Every part is a slice
 * of the body, named, within the part limit; the picture reader answers OK with text or a
 * precise error, never more pixels than allowed. */
#include <string.h>

#include "documents/qr_read.h"
#include "fuzz.h"
#include "portal/multipart.h"

#define PARTS 8

static bool within(struct ps_str s, struct ps_str body)
{
    return !s.p || (s.p >= body.p && s.p + s.len <= body.p + body.len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_str in = {(const char *)data, size}, ctype, body;
    const char *nl = memchr(in.p, '\n', in.len);
    if (size && (data[0] & 1) && nl) {
        ctype = (struct ps_str){in.p, (size_t)(nl - in.p)};
        body = (struct ps_str){nl + 1, in.len - ctype.len - 1};
    } else {
        ctype = PS_STR("multipart/form-data; boundary=XyZ");
        body = in;
    }
    struct ps_multipart_part parts[PARTS];
    size_t n = 0;
    struct ps_diag d = {0};
    enum ps_err e = ps_multipart_parse(ctype, body, parts, PARTS, &n, &d);
    FUZZ_CHECK(e == PS_OK || e == PS_ERR_INVALID || e == PS_ERR_LIMIT);
    FUZZ_CHECK(n <= PARTS);
    FUZZ_CHECK(e == PS_OK || d.code == e);
    for (size_t i = 0; e == PS_OK && i < n; i++) {
        FUZZ_CHECK(parts[i].name.len > 0);
        FUZZ_CHECK(within(parts[i].data, body));
        FUZZ_CHECK(within(parts[i].filename, body));
        FUZZ_CHECK(within(parts[i].content_type, body));
        struct ps_buf text;
        ps_buf_init(&text, 8192);
        struct ps_diag qd = {0};
        enum ps_err q = ps_qr_read((const uint8_t *)parts[i].data.p, parts[i].data.len, 1u << 20,
                                   &text, &qd);
        FUZZ_CHECK(q == PS_OK || q == PS_ERR_INVALID || q == PS_ERR_LIMIT || q == PS_ERR_NOMEM);
        FUZZ_CHECK(q != PS_OK || text.len > 0);
        ps_buf_reset(&text);
    }
    return 0;
}
