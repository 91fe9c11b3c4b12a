/* Structured Field Values for HTTP (RFC 8941): strict, bounded parsing of Lists, Dictionaries
 * and Items, and their canonical serialization (section 4.1), as RFC 9421 (Signature-Input,
 * Signature, the ;sf and ;key component parameters) and RFC 9530 (Content-Digest) need them.
 * The RFC 9651 additions (Dates "@...", Display Strings "%...") are refused with their own
 * message. Pure: no I/O, no globals; everything parsed is owned by the caller's arena. */
#ifndef PS_IDENTITY_SFV_H
#define PS_IDENTITY_SFV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "identity/b64.h"

enum ps_sfv_type {
    PS_SFV_INTEGER, /* i: -999999999999999 .. 999999999999999 */
    PS_SFV_DECIMAL, /* i: the value times 1000 (at most 12 integer and 3 fraction digits) */
    PS_SFV_STRING,  /* s: unescaped, printable ASCII and SP only */
    PS_SFV_TOKEN,   /* s */
    PS_SFV_BYTES,   /* b: decoded */
    PS_SFV_BOOLEAN, /* boolean */
    PS_SFV_INNER_LIST,
};

struct ps_sfv_bare {
    enum ps_sfv_type type;
    int64_t i;
    bool boolean;
    struct ps_str s;
    struct ps_bytes b;
};

struct ps_sfv_param {
    struct ps_str key;
    struct ps_sfv_bare value; /* never an inner list */
};

/* An Item (bare.type other than PS_SFV_INNER_LIST) or an Inner List (bare.type ==
 * PS_SFV_INNER_LIST, items[0..nitems) being Items), with its parameters in order. */
struct ps_sfv_value {
    struct ps_sfv_bare bare;
    struct ps_sfv_value *items;
    size_t nitems;
    struct ps_sfv_param *params;
    size_t nparams;
};

struct ps_sfv_member {
    struct ps_str key; /* empty for List members */
    struct ps_sfv_value value;
};

/* A parsed List or Dictionary: members in order. For a Dictionary a repeated key keeps its
 * first position and its last value (RFC 8941 section 4.2.2); `dups` counts such repeats (of
 * members and of parameters anywhere in the field) so that callers whose fields demand unique
 * keys (Signature-Input, Signature) can refuse them. */
struct ps_sfv_field {
    struct ps_sfv_member *members;
    size_t n;
    size_t dups;
};

/* Limits on a parse (every one has a test). Zero fields take the defaults below. */
struct ps_sfv_limits {
    size_t max_bytes;   /* field value length; default 8192 */
    size_t max_members; /* list or dictionary members; default 64 */
    size_t max_items;   /* items in one inner list; default 64 */
    size_t max_params;  /* parameters on one item or inner list; default 16 */
};

/* Parses field (the combined field value) as a Dictionary / List / Item. Errors: PS_ERR_LIMIT
 * (a limit; the message names it), PS_ERR_INVALID (the message gives the offset and what was
 * expected), PS_ERR_NOMEM. limits may be NULL. *out is owned by the arena. */
enum ps_err ps_sfv_parse_dict(struct ps_arena *a, struct ps_str field,
                              const struct ps_sfv_limits *limits, struct ps_sfv_field *out,
                              struct ps_diag *diag) PS_WUR;
enum ps_err ps_sfv_parse_list(struct ps_arena *a, struct ps_str field,
                              const struct ps_sfv_limits *limits, struct ps_sfv_field *out,
                              struct ps_diag *diag) PS_WUR;
enum ps_err ps_sfv_parse_item(struct ps_arena *a, struct ps_str field,
                              const struct ps_sfv_limits *limits, struct ps_sfv_value *out,
                              struct ps_diag *diag) PS_WUR;

/* The member of a parsed Dictionary named key, or NULL. Borrowed from d. */
const struct ps_sfv_member *ps_sfv_dict_get(const struct ps_sfv_field *d, struct ps_str key);
/* The parameter named key of v, or NULL. Borrowed from v. */
const struct ps_sfv_bare *ps_sfv_param_get(const struct ps_sfv_value *v, struct ps_str key);

/* Canonical serialization (RFC 8941 section 4.1) appended to b. Errors: PS_ERR_INVALID for a
 * value that cannot be serialized (a string with a control character, a key or token with a
 * character outside its alphabet, an integer out of range), PS_ERR_LIMIT (b's maximum),
 * PS_ERR_NOMEM. */
enum ps_err ps_sfv_serialize_value(struct ps_buf *b, const struct ps_sfv_value *v) PS_WUR;
enum ps_err ps_sfv_serialize_dict(struct ps_buf *b, const struct ps_sfv_field *d) PS_WUR;
enum ps_err ps_sfv_serialize_list(struct ps_buf *b, const struct ps_sfv_field *l) PS_WUR;
enum ps_err ps_sfv_serialize_bare(struct ps_buf *b, const struct ps_sfv_bare *v) PS_WUR;
enum ps_err ps_sfv_serialize_params(struct ps_buf *b, const struct ps_sfv_param *p,
                                    size_t n) PS_WUR;
/* A Dictionary or parameter key (lower-case letter or '*', then a-z 0-9 _ - . *). */
enum ps_err ps_sfv_serialize_key(struct ps_buf *b, struct ps_str key) PS_WUR;
/* A String item with no parameters, quoted and escaped (what RFC 9421 uses for component
 * names). */
enum ps_err ps_sfv_serialize_string(struct ps_buf *b, struct ps_str s) PS_WUR;

#endif
