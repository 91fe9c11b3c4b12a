/* The relying party (rp.h). */
#include "identity/rp.h"

#include <arpa/inet.h>
#include <string.h>

static bool host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '.';
}

/* A DNS name, not an IP address literal. */
static enum ps_err check_host(struct ps_str h, struct ps_diag *diag)
{
    char buf[PS_RP_HOST_MAX + 1];
    unsigned char bin[16];
    if (h.len == 0 || h.len > PS_RP_HOST_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "public_url: the host must be 1 to %d bytes",
                           PS_RP_HOST_MAX);
    for (size_t i = 0; i < h.len; i++)
        if (!host_char(h.p[i]))
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "public_url: the host must be a name (letters, digits, - and .)");
    if (ps_str_copy(buf, sizeof buf, h) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "public_url: host too long");
    if (inet_pton(AF_INET, buf, bin) == 1)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "public_url: %s is an IP address; passkeys need a host name "
                           "(use http://localhost:PORT locally)", buf);
    return PS_OK;
}

/* Splits "scheme://authority[/]" into scheme and authority; false when malformed. */
static bool split_url(struct ps_str url, bool *https, struct ps_str *authority)
{
    size_t skip;
    if (ps_str_starts_with(url, PS_STR("https://")))
        *https = true, skip = 8;
    else if (ps_str_starts_with(url, PS_STR("http://")))
        *https = false, skip = 7;
    else
        return false;
    struct ps_str rest = {url.p + skip, url.len - skip};
    if (rest.len > 0 && rest.p[rest.len - 1] == '/')
        rest.len--;
    if (rest.len == 0 || memchr(rest.p, '/', rest.len) || memchr(rest.p, '?', rest.len) ||
        memchr(rest.p, '#', rest.len) || memchr(rest.p, '@', rest.len))
        return false;
    *authority = rest;
    return true;
}

enum ps_err ps_rp_set_url(struct ps_rp *rp, struct ps_str url, struct ps_diag *diag)
{
    struct ps_str auth;
    bool https = false;
    if (url.len >= PS_RP_URL_MAX || !split_url(url, &https, &auth))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "public_url: expected http(s)://HOST[:PORT] with nothing after it");
    const char *colon = memchr(auth.p, ':', auth.len);
    struct ps_str host = {auth.p, colon ? (size_t)(colon - auth.p) : auth.len};
    if (colon) {
        struct ps_str port = {colon + 1, auth.len - host.len - 1};
        uint64_t n;
        if (ps_str_to_u64(port, &n) != PS_OK || n == 0 || n > 65535)
            return ps_diag_set(diag, PS_ERR_INVALID, "public_url: bad port");
    }
    enum ps_err e = check_host(host, diag);
    if (e != PS_OK)
        return e;
    size_t scheme = https ? 8 : 7;
    struct ps_str origin = {url.p, scheme + auth.len};
    if (ps_str_copy(rp->url, sizeof rp->url, origin) != PS_OK ||
        ps_str_copy(rp->id, sizeof rp->id, host) != PS_OK ||
        ps_str_copy(rp->origin, sizeof rp->origin, origin) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "public_url: too long");
    for (char *p = rp->id; *p; p++) /* host names compare case-insensitively: keep one form */
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
    rp->https = https;
    return PS_OK;
}

static bool app_origin(struct ps_str o)
{
    static const char *const prefixes[] = {"android:apk-key-hash:", "ios:bundle-id:"};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        struct ps_str p = ps_str_from_cstr(prefixes[i]);
        if (!ps_str_starts_with(o, p) || o.len == p.len)
            continue;
        for (size_t k = p.len; k < o.len; k++)
            if (!(host_char(o.p[k]) || o.p[k] == '_' || o.p[k] == '='))
                return false;
        return true;
    }
    return false;
}

enum ps_err ps_rp_add_origin(struct ps_rp *rp, struct ps_str origin, struct ps_diag *diag)
{
    struct ps_str auth;
    bool https;
    if (rp->nextra == PS_RP_ORIGINS_MAX)
        return ps_diag_set(diag, PS_ERR_LIMIT, "origins: at most %d", PS_RP_ORIGINS_MAX);
    bool web = split_url(origin, &https, &auth) && origin.p[origin.len - 1] != '/';
    if (!web && !app_origin(origin))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "origins: \"%.*s\" is neither an http(s) origin without a path nor "
                           "an app origin (android:apk-key-hash:..., ios:bundle-id:...)",
                           (int)(origin.len > 80 ? 80 : origin.len), origin.p);
    if (ps_str_copy(rp->extra[rp->nextra], PS_RP_ORIGIN_MAX, origin) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "origins: longer than %d bytes",
                           PS_RP_ORIGIN_MAX - 1);
    rp->nextra++;
    return PS_OK;
}

bool ps_rp_origin_allowed(const struct ps_rp *rp, struct ps_str origin)
{
    if (ps_str_eq_cstr(origin, rp->origin))
        return true;
    for (size_t i = 0; i < rp->nextra; i++)
        if (ps_str_eq_cstr(origin, rp->extra[i]))
            return true;
    return false;
}
