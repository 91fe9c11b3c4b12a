/* Forms the GOV.UK way (docs/internals/portal.md, "Forms"): a form is a static table of fields
 * (label, hint, type, limits, the message when a required field is empty); its values come
 * from a query string (GET) or a urlencoded body (POST), are checked on the server, and a
 * field that fails is shown again with its value and its message, while the page lists every
 * message in an error summary at the top and its title starts with "Error:".
 *
 * Before a POST body is read, ps_form_read refuses what no form of ours sends: another
 * origin (CSRF: the Origin header must name this site; session cookies are SameSite=Strict
 * as well), another media type, more than PS_FORM_BODY_MAX bytes or PS_FORM_MAX_PAIRS
 * fields, bad percent-encoding, NUL or bytes that are not UTF-8. Pure functions except where
 * an arena is passed; the parser is fuzzed (fuzz/fuzz_portal_form.c). */
#ifndef PS_PORTAL_FORM_H
#define PS_PORTAL_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/rp.h"
#include "portal/i18n.h"
#include "portal/portal_gen.h"

#define PS_FORM_MAX_FIELDS 16
#define PS_FORM_MAX_PAIRS 64          /* name=value pairs in one query or body */
#define PS_FORM_BODY_MAX (16 * 1024)  /* a form body the portal reads */
#define PS_FORM_ROUTE_MAX (64 * 1024) /* the max_body of a portal POST route: above it the
                                       * HTTP layer answers 413 itself; between the two the
                                       * page explains */
#define PS_FORM_VALUE_MAX 1000        /* characters in a field without its own limit */

struct ps_form_pair {
    struct ps_str name, value; /* decoded */
};

/* Parses application/x-www-form-urlencoded data (a body, or a query string without '?'):
 * '&'-separated name=value pairs, '+' a space, %XX escapes; empty pairs are skipped. Names and
 * values are decoded into the arena (or borrowed from data when they need no decoding).
 * OUT pairs[0..*n-1]. Errors, with the reason in diag: PS_ERR_INVALID (a bad %-escape, a
 * NUL), PS_ERR_LIMIT (more than cap pairs), PS_ERR_NOMEM. The bytes are not checked for
 * UTF-8 here: ps_form_utf8 does (a refusal of its own, with its own message). */
enum ps_err ps_form_parse(struct ps_arena *a, struct ps_str data, struct ps_form_pair *pairs,
                          size_t cap, size_t *n, struct ps_diag *diag) PS_WUR;
/* True when every name and value is UTF-8. */
bool ps_form_utf8(const struct ps_form_pair *pairs, size_t n);

/* One field of a form: static data. */
struct ps_field {
    const char *name;         /* the parameter name, also the input's id (a-z, 0-9, -) */
    const char *label;        /* N_() msgid */
    const char *hint;         /* N_() msgid, or NULL */
    const char *type;         /* input type; NULL: "text" (numbers too, as GOV.UK does) */
    const char *inputmode;    /* NULL, "numeric", "email", ... */
    const char *autocomplete; /* NULL or a token ("one-time-code", "off", ...) */
    const char *width;        /* NULL, "10" or "20": a narrower input (class input--N) */
    size_t max_chars;         /* 0: PS_FORM_VALUE_MAX */
    const char *required;     /* N_() msgid of the error for an empty value; NULL: optional */
    bool spellcheck_off;
};

struct ps_form {
    const struct ps_field *fields; /* borrowed, static */
    size_t n;
    struct ps_str values[PS_FORM_MAX_FIELDS]; /* as given, spaces trimmed; "" when absent */
    struct ps_str errors[PS_FORM_MAX_FIELDS]; /* translated message; len 0: no error */
    size_t nerrors;
    bool submitted; /* at least one of the fields was present */
};

/* Starts a form over the fields table (n <= PS_FORM_MAX_FIELDS, else PS_ASSERT). */
void ps_form_init(struct ps_form *f, const struct ps_field *fields, size_t n);
/* Takes the values of the form's fields from pairs (the first of a repeated name; unknown
 * names are ignored), leading and trailing ASCII spaces trimmed. */
void ps_form_fill(struct ps_form *f, const struct ps_form_pair *pairs, size_t n);
/* The checks every field gets: a required field that is empty, a value longer than its
 * limit (in characters). Messages in lang, in the arena. Returns f->nerrors. Pages add
 * their own checks after it with ps_form_error. */
size_t ps_form_check(struct ps_form *f, enum ps_lang lang, struct ps_arena *a);
/* Sets field i's message (the first one set stays). */
void ps_form_error(struct ps_form *f, size_t i, struct ps_str message);
/* Index of the field named name; PS_ASSERT that there is one. */
size_t ps_form_field(const struct ps_form *f, const char *name);

/* Fills the input component (components/input.html) for field i in lang: label, hint, value,
 * error and aria-describedby. Strings point into static data, f, or the arena. */
void ps_form_input(const struct ps_form *f, size_t i, enum ps_lang lang, struct ps_arena *a,
                   struct ps_tpl_input *out);

/* ---- POST ---- */

/* True when origin (the request's Origin header) names this site: the relying party's origin
 * or one of its extra origins (identity/rp.h: public_url, else http://localhost:PORT) when rp
 * is given, else "http://" or "https://" followed by the request's Host. A missing or "null"
 * Origin is not. */
bool ps_form_same_origin(struct ps_str origin, struct ps_str host, const struct ps_rp *rp);

enum ps_form_refusal {
    PS_FORM_OK = 0,
    PS_FORM_CROSS_ORIGIN, /* 403: Origin missing or another site's */
    PS_FORM_MEDIA_TYPE,   /* 415: not application/x-www-form-urlencoded */
    PS_FORM_TOO_LARGE,    /* 413: body over PS_FORM_BODY_MAX, or too many fields */
    PS_FORM_MALFORMED,    /* 400: bad encoding, NUL */
    PS_FORM_NOT_UTF8,     /* 400: a name or value that is not UTF-8 */
};

/* What a POST brings, from its headers (PS_STR_NULL when absent). Borrowed. */
struct ps_form_post {
    struct ps_str origin, host, content_type, body;
    const struct ps_rp *rp; /* NULL: compare with Host */
};

/* Checks a POST and, when it passes, fills f from its body (ps_form_fill). Nothing is
 * validated yet (ps_form_check). Decoded values live in the arena. */
enum ps_form_refusal ps_form_read(struct ps_arena *a, const struct ps_form_post *post,
                                  struct ps_form *f);

#endif
