/* RFC 9421 section 2: component values (derived components from the target URI, header fields
 * combined, ;bs, ;sf, ;key, @query-param's form decoding and re-encoding) and the signature
 * base. Everything here is shared by verification and signing, so that both sign exactly the
 * same bytes. */
#include "identity/httpsig.h"

#include <string.h>

#include "identity/b64.h"
#include "identity/sfv.h"

struct uri {
    struct ps_str scheme, authority, path, query;
    bool has_query;
};

struct basectx {
    struct ps_arena *a;
    const struct ps_httpsig_request *req;
    struct uri uri;
    struct ps_id_diag *diag;
};

static enum ps_err nomem(struct ps_id_diag *diag)
{
    return ps_id_fail(diag, PS_ID_INTERNAL, "out of memory");
}

/* Maps a ps_buf append error: the base is over its maximum, or memory ran out. */
static enum ps_err buf_err(enum ps_err e, struct ps_id_diag *diag)
{
    if (e == PS_ERR_LIMIT)
        return ps_id_fail(diag, PS_ID_HS_LIMIT, "signature base over %d bytes", PS_HTTPSIG_BASE_MAX);
    if (e == PS_ERR_NOMEM)
        return nomem(diag);
    return ps_id_fail(diag, PS_ID_HS_MALFORMED, "a value cannot be serialized");
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool printable(struct ps_str s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.p[i] <= 0x20 || (unsigned char)s.p[i] >= 0x7f)
            return false;
    return true;
}

/* ---- the target URI ---- */

static enum ps_err parse_uri(struct ps_str u, struct uri *out, struct ps_id_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (u.len == 0 || u.len > PS_HTTPSIG_TARGET_MAX || !printable(u))
        return ps_id_fail(diag, PS_ID_HS_MALFORMED,
                          "target URI empty, over %d bytes or not printable ASCII",
                          PS_HTTPSIG_TARGET_MAX);
    size_t i = 0;
    while (i < u.len && u.p[i] != ':' && u.p[i] != '/' && u.p[i] != '?' && u.p[i] != '#')
        i++;
    if (i == 0 || i + 3 > u.len || memcmp(u.p + i, "://", 3) != 0)
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "target URI is not absolute");
    out->scheme = (struct ps_str){u.p, i};
    size_t as = i + 3, ae = as;
    while (ae < u.len && u.p[ae] != '/' && u.p[ae] != '?' && u.p[ae] != '#')
        ae++;
    out->authority = (struct ps_str){u.p + as, ae - as};
    if (out->authority.len == 0 || memchr(out->authority.p, '@', out->authority.len) ||
        memchr(u.p, '#', u.len))
        return ps_id_fail(diag, PS_ID_HS_MALFORMED,
                          "target URI has an empty authority, userinfo or a fragment");
    size_t qs = ae;
    while (qs < u.len && u.p[qs] != '?')
        qs++;
    out->path = (struct ps_str){u.p + ae, qs - ae};
    out->has_query = qs < u.len;
    if (out->has_query)
        out->query = (struct ps_str){u.p + qs + 1, u.len - qs - 1};
    return PS_OK;
}

/* Lower-cases scheme and host, drops the default port (or an empty one). */
static enum ps_err authority_value(struct basectx *c, struct ps_buf *out)
{
    struct ps_str au = c->uri.authority;
    size_t colon = au.len;
    for (size_t i = au.len; i-- > 0;) {
        if (au.p[i] == ']')
            break;
        if (au.p[i] == ':') {
            colon = i;
            break;
        }
    }
    struct ps_str port = {au.p + colon + (colon < au.len), au.len - colon - (colon < au.len)};
    bool https = ps_str_eq_nocase(c->uri.scheme, PS_STR("https"));
    bool http = ps_str_eq_nocase(c->uri.scheme, PS_STR("http"));
    bool drop = port.len == 0 || (https && ps_str_eq_cstr(port, "443")) ||
                (http && ps_str_eq_cstr(port, "80"));
    size_t end = drop ? colon : au.len;
    for (size_t i = 0; i < end; i++) {
        char ch = i < colon ? lower(au.p[i]) : au.p[i];
        enum ps_err e = ps_buf_append(out, &ch, 1);
        if (e != PS_OK)
            return buf_err(e, c->diag);
    }
    return PS_OK;
}

/* ---- @query-param (HTML URL application/x-www-form-urlencoded) ---- */

/* Percent-decodes s ('+' as space; an invalid escape stays literal, as the HTML URL standard
 * says) into dst (at least s.len bytes); returns the length. */
static size_t form_decode(struct ps_str s, char *dst)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++) {
        int hi, lo;
        if (s.p[i] == '+') {
            dst[n++] = ' ';
        } else if (s.p[i] == '%' && i + 2 < s.len && (hi = ps_hex_digit(s.p[i + 1])) >= 0 &&
                   (lo = ps_hex_digit(s.p[i + 2])) >= 0) {
            dst[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            dst[n++] = s.p[i];
        }
    }
    return n;
}

static bool utf8_valid(const unsigned char *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = p[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3f);
        }
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* Decodes then re-encodes one name or value: bytes outside ALPHA / DIGIT / "*-._" as %XX. */
static enum ps_err form_reencode(struct basectx *c, struct ps_str s, struct ps_str *out)
{
    char *dec = ps_arena_alloc(c->a, s.len + 1);
    char *enc = ps_arena_array(c->a, s.len + 1, 3);
    if (!dec || !enc)
        return nomem(c->diag);
    size_t n = form_decode(s, dec), m = 0;
    if (!utf8_valid((const unsigned char *)dec, n))
        return ps_id_fail(c->diag, PS_ID_HS_UNSUPPORTED,
                          "query parameter that is not UTF-8 once percent-decoded");
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)dec[i];
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '*' || ch == '-' || ch == '.' || ch == '_') {
            enc[m++] = (char)ch;
        } else {
            enc[m++] = '%';
            enc[m++] = hex[ch >> 4];
            enc[m++] = hex[ch & 15];
        }
    }
    *out = (struct ps_str){enc, m};
    return PS_OK;
}

/* Splits the next "&"-separated pair of q at *i into name and value (value empty without
 * '='); false at the end. Empty pairs are skipped. */
static bool next_pair(struct ps_str q, size_t *i, struct ps_str *name, struct ps_str *value)
{
    while (*i <= q.len) {
        size_t j = *i;
        while (j < q.len && q.p[j] != '&')
            j++;
        struct ps_str pair = {q.p + *i, j - *i};
        *i = j + 1;
        if (pair.len == 0)
            continue;
        const char *eq = memchr(pair.p, '=', pair.len);
        *name = eq ? (struct ps_str){pair.p, (size_t)(eq - pair.p)} : pair;
        *value = eq ? (struct ps_str){eq + 1, pair.len - name->len - 1} : PS_STR("");
        return true;
    }
    return false;
}

static enum ps_err query_param(struct basectx *c, struct ps_str name, struct ps_buf *out)
{
    struct ps_str n, v, en, ev, found = PS_STR_NULL;
    size_t count = 0, i = 0;
    while (c->uri.has_query && next_pair(c->uri.query, &i, &n, &v)) {
        enum ps_err e = form_reencode(c, n, &en);
        if (e == PS_OK && ps_str_eq(en, name) && (e = form_reencode(c, v, &ev)) == PS_OK) {
            found = ev;
            count++;
        }
        if (e != PS_OK)
            return e;
    }
    if (count == 0)
        return ps_id_fail(c->diag, PS_ID_HS_COMPONENT_MISSING, "no query parameter %.*s",
                          PS_STR_FMT(name));
    if (count > 1)
        return ps_id_fail(c->diag, PS_ID_HS_UNSUPPORTED,
                          "query parameter %.*s occurs more than once", PS_STR_FMT(name));
    enum ps_err e = ps_buf_append_str(out, found);
    return e == PS_OK ? PS_OK : buf_err(e, c->diag);
}

/* ---- derived components ---- */

static enum ps_err derived_value(struct basectx *c, struct ps_str name,
                                 const struct ps_sfv_value *it, struct ps_buf *out)
{
    const struct uri *u = &c->uri;
    struct ps_str v = PS_STR_NULL;
    if (ps_str_eq_cstr(name, "@query-param")) {
        const struct ps_sfv_bare *n = ps_sfv_param_get(it, PS_STR("name"));
        if (!n || n->type != PS_SFV_STRING || it->nparams != 1)
            return ps_id_fail(c->diag, PS_ID_HS_MALFORMED,
                              "@query-param needs exactly one parameter, name, a string");
        return query_param(c, n->s, out);
    }
    if (it->nparams != 0)
        return ps_id_fail(c->diag, PS_ID_HS_UNSUPPORTED, "parameter on %.*s", PS_STR_FMT(name));
    if (ps_str_eq_cstr(name, "@authority"))
        return authority_value(c, out);
    enum ps_err e = PS_OK;
    if (ps_str_eq_cstr(name, "@method")) {
        v = c->req->method;
    } else if (ps_str_eq_cstr(name, "@target-uri")) {
        v = c->req->target_uri;
    } else if (ps_str_eq_cstr(name, "@scheme")) {
        for (size_t i = 0; e == PS_OK && i < u->scheme.len; i++) {
            char ch = lower(u->scheme.p[i]);
            e = ps_buf_append(out, &ch, 1);
        }
        return e == PS_OK ? PS_OK : buf_err(e, c->diag);
    } else if (ps_str_eq_cstr(name, "@path")) {
        v = u->path.len ? u->path : PS_STR("/");
    } else if (ps_str_eq_cstr(name, "@query")) {
        e = ps_buf_append(out, "?", 1);
        v = u->query;
    } else if (ps_str_eq_cstr(name, "@request-target")) {
        if (c->req->request_target.p) {
            v = c->req->request_target;
        } else {
            e = ps_buf_append_str(out, u->path.len ? u->path : PS_STR("/"));
            if (e == PS_OK && u->has_query)
                e = ps_buf_append(out, "?", 1);
            v = u->query;
        }
    } else {
        return ps_id_fail(c->diag, PS_ID_HS_UNSUPPORTED, "derived component %.*s",
                          PS_STR_FMT(name));
    }
    if (e == PS_OK)
        e = ps_buf_append_str(out, v);
    return e == PS_OK ? PS_OK : buf_err(e, c->diag);
}

/* ---- header fields ---- */

static const char *const dict_fields[] = {"accept-signature", "content-digest", "repr-digest",
                                          "signature",        "signature-input", "want-content-digest",
                                          "want-repr-digest"};

static bool known_dict(struct ps_str name)
{
    for (size_t i = 0; i < sizeof dict_fields / sizeof dict_fields[0]; i++)
        if (ps_str_eq_cstr(name, dict_fields[i]))
            return true;
    return false;
}

/* One field line with surrounding whitespace stripped and obsolete line folding (CR/LF runs
 * with the whitespace around them) replaced by one space, appended to out. */
static enum ps_err append_line(struct ps_buf *out, struct ps_str v)
{
    while (v.len && (v.p[0] == ' ' || v.p[0] == '\t' || v.p[0] == '\r' || v.p[0] == '\n')) {
        v.p++;
        v.len--;
    }
    while (v.len && strchr(" \t\r\n", v.p[v.len - 1]))
        v.len--;
    enum ps_err e = PS_OK;
    for (size_t i = 0; e == PS_OK && i < v.len; i++) {
        if (v.p[i] != '\r' && v.p[i] != '\n') {
            e = ps_buf_append(out, v.p + i, 1);
            continue;
        }
        while (out->len && (out->p[out->len - 1] == ' ' || out->p[out->len - 1] == '\t'))
            out->len--;
        while (i + 1 < v.len && strchr(" \t\r\n", v.p[i + 1]))
            i++;
        e = ps_buf_append(out, " ", 1);
    }
    return e;
}

/* The field's lines combined ("a, b") into a fresh buffer; *n gets the number of lines. */
static enum ps_err field_combined(struct basectx *c, struct ps_str name, bool bs, struct ps_buf *v,
                                  size_t *n)
{
    struct ps_str line;
    enum ps_err e = PS_OK;
    for (*n = 0; e == PS_OK && c->req->field && c->req->field(c->req->field_ctx, name, *n, &line);
         (*n)++) {
        if (*n > 0)
            e = ps_buf_append(v, ", ", 2);
        if (e != PS_OK)
            break;
        if (!bs) {
            e = append_line(v, line);
            continue;
        }
        struct ps_buf one;
        ps_buf_init(&one, PS_HTTPSIG_BASE_MAX);
        e = append_line(&one, line);
        if (e == PS_OK)
            e = ps_buf_append(v, ":", 1);
        if (e == PS_OK)
            e = ps_b64_append(v, one.p, one.len, 0);
        if (e == PS_OK)
            e = ps_buf_append(v, ":", 1);
        ps_buf_reset(&one);
    }
    return e == PS_OK ? PS_OK : buf_err(e, c->diag);
}

struct field_params {
    bool sf, bs;
    const struct ps_sfv_bare *key;
};

static enum ps_err field_params(struct basectx *c, struct ps_str name,
                                const struct ps_sfv_value *it, struct field_params *fp)
{
    memset(fp, 0, sizeof *fp);
    for (size_t i = 0; i < it->nparams; i++) {
        const struct ps_sfv_param *p = &it->params[i];
        bool is_true = p->value.type == PS_SFV_BOOLEAN && p->value.boolean;
        if (ps_str_eq_cstr(p->key, "sf") && is_true)
            fp->sf = true;
        else if (ps_str_eq_cstr(p->key, "bs") && is_true)
            fp->bs = true;
        else if (ps_str_eq_cstr(p->key, "key") && p->value.type == PS_SFV_STRING)
            fp->key = &p->value;
        else if (ps_str_eq_cstr(p->key, "sf") || ps_str_eq_cstr(p->key, "bs") ||
                 ps_str_eq_cstr(p->key, "key"))
            return ps_id_fail(c->diag, PS_ID_HS_MALFORMED, "parameter %.*s of the wrong type",
                              PS_STR_FMT(p->key));
        else
            return ps_id_fail(c->diag, PS_ID_HS_UNSUPPORTED, "component parameter %.*s",
                              PS_STR_FMT(p->key));
    }
    if (fp->bs && (fp->sf || fp->key))
        return ps_id_fail(c->diag, PS_ID_HS_MALFORMED, "bs together with sf or key");
    if ((fp->sf || fp->key) && !known_dict(name))
        return ps_id_fail(c->diag, PS_ID_HS_UNSUPPORTED,
                          "sf or key on %.*s, a field whose structured type is not known",
                          PS_STR_FMT(name));
    return PS_OK;
}

static enum ps_err structured_value(struct basectx *c, struct ps_str name,
                                    const struct field_params *fp, struct ps_str raw,
                                    struct ps_buf *out)
{
    struct ps_sfv_field d;
    struct ps_diag sd = {0};
    struct ps_sfv_limits lim = {.max_bytes = PS_HTTPSIG_BASE_MAX};
    enum ps_err e = ps_sfv_parse_dict(c->a, raw, &lim, &d, &sd);
    if (e == PS_ERR_NOMEM)
        return nomem(c->diag);
    if (e != PS_OK)
        return ps_id_fail(c->diag, PS_ID_HS_MALFORMED, "%.*s: %s", PS_STR_FMT(name), sd.message);
    if (!fp->key) {
        e = ps_sfv_serialize_dict(out, &d);
        return e == PS_OK ? PS_OK : buf_err(e, c->diag);
    }
    const struct ps_sfv_member *m = ps_sfv_dict_get(&d, fp->key->s);
    if (!m)
        return ps_id_fail(c->diag, PS_ID_HS_COMPONENT_MISSING, "%.*s has no key %.*s",
                          PS_STR_FMT(name), PS_STR_FMT(fp->key->s));
    e = ps_sfv_serialize_value(out, &m->value);
    return e == PS_OK ? PS_OK : buf_err(e, c->diag);
}

static enum ps_err field_value(struct basectx *c, struct ps_str name,
                               const struct ps_sfv_value *it, struct ps_buf *out)
{
    struct field_params fp;
    enum ps_err e = field_params(c, name, it, &fp);
    if (e != PS_OK)
        return e;
    struct ps_buf v;
    size_t n;
    ps_buf_init(&v, PS_HTTPSIG_BASE_MAX);
    e = field_combined(c, name, fp.bs, &v, &n);
    if (e == PS_OK && n == 0)
        e = ps_id_fail(c->diag, PS_ID_HS_COMPONENT_MISSING, "no %.*s field", PS_STR_FMT(name));
    for (size_t i = 0; e == PS_OK && i < v.len; i++)
        if (v.p[i] != '\t' && ((unsigned char)v.p[i] < 0x20 || (unsigned char)v.p[i] >= 0x7f))
            e = ps_id_fail(c->diag, PS_ID_HS_MALFORMED,
                           "%.*s has a byte outside printable ASCII (sign it with ;bs)",
                           PS_STR_FMT(name));
    if (e == PS_OK && (fp.sf || fp.key))
        e = structured_value(c, name, &fp, ps_buf_str(&v), out);
    else if (e == PS_OK && (e = ps_buf_append(out, v.p, v.len)) != PS_OK)
        e = buf_err(e, c->diag);
    ps_buf_reset(&v);
    return e;
}

/* ---- the base ---- */

static enum ps_err check_name(struct basectx *c, struct ps_str name)
{
    if (name.len == 0 || ps_str_eq_cstr(name, "@signature-params"))
        return ps_id_fail(c->diag, PS_ID_HS_MALFORMED, "empty or @signature-params component");
    if (ps_str_eq_cstr(name, "@status"))
        return ps_id_fail(c->diag, PS_ID_HS_UNSUPPORTED, "@status in a request signature");
    for (size_t i = name.p[0] == '@'; i < name.len; i++) {
        char ch = name.p[i];
        bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                  (ch && strchr("!#$%&'*+-.^_`|~", ch));
        if (!ok)
            return ps_id_fail(c->diag, PS_ID_HS_MALFORMED,
                              "component name %.*s is not a lower-case field name",
                              PS_STR_FMT(name));
    }
    return PS_OK;
}

/* Appends the serialized identifier of it to out; PS_ID_HS_MALFORMED when it is not a String. */
static enum ps_err identifier(struct basectx *c, const struct ps_sfv_value *it, struct ps_buf *out)
{
    if (it->bare.type != PS_SFV_STRING)
        return ps_id_fail(c->diag, PS_ID_HS_MALFORMED, "covered component is not a string");
    enum ps_err e = ps_sfv_serialize_value(out, it);
    return e == PS_OK ? PS_OK : buf_err(e, c->diag);
}

/* True when the identifier of items[k] equals that of an earlier item. */
static bool repeated(const struct ps_sfv_value *list, size_t k, struct ps_str id)
{
    for (size_t i = 0; i < k; i++) {
        struct ps_buf b;
        ps_buf_init(&b, PS_HTTPSIG_BASE_MAX);
        bool same = ps_sfv_serialize_value(&b, &list->items[i]) == PS_OK && ps_str_eq(ps_buf_str(&b), id);
        ps_buf_reset(&b);
        if (same)
            return true;
    }
    return false;
}

static enum ps_err base_line(struct basectx *c, const struct ps_sfv_value *list, size_t k,
                             struct ps_buf *out)
{
    const struct ps_sfv_value *it = &list->items[k];
    size_t start = out->len;
    enum ps_err e = identifier(c, it, out);
    if (e != PS_OK)
        return e;
    struct ps_str id = {out->p + start, out->len - start};
    if (repeated(list, k, id))
        return ps_id_fail(c->diag, PS_ID_HS_MALFORMED, "component %.*s covered twice",
                          PS_STR_FMT(id));
    if ((e = check_name(c, it->bare.s)) != PS_OK)
        return e;
    if ((e = ps_buf_append(out, ": ", 2)) != PS_OK)
        return buf_err(e, c->diag);
    e = it->bare.s.p[0] == '@' ? derived_value(c, it->bare.s, it, out)
                               : field_value(c, it->bare.s, it, out);
    if (e == PS_OK && (e = ps_buf_append(out, "\n", 1)) != PS_OK)
        e = buf_err(e, c->diag);
    return e;
}

enum ps_err ps_httpsig_base(struct ps_arena *a, const struct ps_httpsig_request *req,
                            const struct ps_sfv_value *params, struct ps_buf *out,
                            struct ps_id_diag *diag)
{
    struct basectx c = {.a = a, .req = req, .diag = diag};
    if (params->bare.type != PS_SFV_INNER_LIST)
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "signature input is not an inner list");
    if (params->nitems > PS_HTTPSIG_MAX_COMPONENTS)
        return ps_id_fail(diag, PS_ID_HS_LIMIT, "more than %d covered components",
                          PS_HTTPSIG_MAX_COMPONENTS);
    if (req->method.len == 0 || !printable(req->method))
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "method empty or not printable ASCII");
    if (req->request_target.p && (req->request_target.len == 0 || !printable(req->request_target)))
        return ps_id_fail(diag, PS_ID_HS_MALFORMED, "request target empty or not printable");
    enum ps_err e = parse_uri(req->target_uri, &c.uri, diag);
    for (size_t k = 0; e == PS_OK && k < params->nitems; k++)
        e = base_line(&c, params, k, out);
    if (e != PS_OK)
        return e;
    e = ps_buf_append_cstr(out, "\"@signature-params\": ");
    if (e == PS_OK)
        e = ps_sfv_serialize_value(out, params);
    return e == PS_OK ? PS_OK : buf_err(e, diag);
}
