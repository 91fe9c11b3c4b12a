/* The relying party: the URL people open (public_url), and what follows from it for passkeys
 * and cookies: the RP ID (its host), the origins a ceremony may come from (its own plus the
 * configured ones, e.g. an app's "android:apk-key-hash:..."), and whether it is https (then
 * the session cookie is __Host- and Secure). Pure. */
#ifndef PS_IDENTITY_RP_H
#define PS_IDENTITY_RP_H

#include <stdbool.h>
#include <stddef.h>

#include "core/err.h"
#include "core/str.h"

#define PS_RP_URL_MAX 512
#define PS_RP_HOST_MAX 253
#define PS_RP_ORIGINS_MAX 8
#define PS_RP_ORIGIN_MAX 512
#define PS_RP_KEY_BYTES 32

struct ps_rp {
    char url[PS_RP_URL_MAX];                 /* as configured, without a trailing slash */
    char id[PS_RP_HOST_MAX + 1];             /* the host: the WebAuthn RP ID */
    char origin[PS_RP_ORIGIN_MAX];           /* scheme://host[:port] */
    bool https;
    char extra[PS_RP_ORIGINS_MAX][PS_RP_ORIGIN_MAX]; /* further allowed origins */
    size_t nextra;
    /* the key that makes and checks sign-in challenges (challenge.h), derived from the master
     * key so that every node of one platform has it; set by whoever sets up the RP */
    unsigned char challenge_key[PS_RP_KEY_BYTES];
};

/* Parses url: "http://" or "https://", a host name (letters, digits, hyphens and dots; not an
 * IP address: browsers refuse those as an RP ID), an optional port, an optional path "/".
 * Errors: PS_ERR_INVALID with the reason. rp's extra origins are kept. */
enum ps_err ps_rp_set_url(struct ps_rp *rp, struct ps_str url, struct ps_diag *diag) PS_WUR;

/* Adds an allowed origin (an https or http origin without path, or an app origin
 * "android:apk-key-hash:<base64url>" / "ios:bundle-id:<id>"). PS_ERR_LIMIT past
 * PS_RP_ORIGINS_MAX, PS_ERR_INVALID for anything else. */
enum ps_err ps_rp_add_origin(struct ps_rp *rp, struct ps_str origin, struct ps_diag *diag) PS_WUR;

/* True when origin (as a browser sends it in clientDataJSON or the Origin header) is the RP's
 * own origin or one of the extra ones: exact, byte for byte. */
bool ps_rp_origin_allowed(const struct ps_rp *rp, struct ps_str origin);

#endif
