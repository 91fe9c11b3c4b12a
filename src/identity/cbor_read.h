/* A minimal bounded CBOR reader for WebAuthn's attestation object and authenticator data:
 * the extent of one data item inside a longer buffer (a credential public key is followed by
 * the extensions map in authenticatorData) and look-ups in a definite-length map.
 *
 * To be replaced by lib/verify's reader: lib/verify parses COSE_Keys for us already
 * (psv_cose_key_parse), but its CBOR tree (psv_cbor_parse) is private to it and accepts only
 * an item that spans the whole buffer; once it exports a reader that reports an item's
 * extent, this file goes. Built on libcbor's streaming decoder (one head at a time, no
 * allocation), as lib/verify's is. Pure: no I/O, no globals. */
#ifndef PS_IDENTITY_CBOR_READ_H
#define PS_IDENTITY_CBOR_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

enum ps_cbor_type {
    PS_CBOR_UINT,
    PS_CBOR_NINT, /* the value is -1 - u */
    PS_CBOR_BYTES,
    PS_CBOR_TEXT,
    PS_CBOR_ARRAY,
    PS_CBOR_MAP,
    PS_CBOR_SIMPLE, /* false, true, null, undefined, floats */
};

struct ps_cbor_val {
    enum ps_cbor_type type;
    uint64_t u;          /* UINT / NINT: see above; ARRAY: items; MAP: pairs */
    const uint8_t *p;    /* BYTES / TEXT: the content */
    size_t len;          /* BYTES / TEXT: content length */
    const uint8_t *raw;  /* the whole encoding of the item, children included */
    size_t raw_len;
    size_t head_len;     /* ARRAY / MAP: the children start at raw + head_len */
};

/* Reads the data item at the start of buf (n bytes, which may go on after it). Accepted:
 * definite lengths only, no tags, nesting at most max_depth arrays/maps deep, at most max_items
 * items in all. Errors: PS_ERR_INVALID (malformed, truncated, indefinite length, tag, reserved
 * value), PS_ERR_LIMIT (depth or item count). */
enum ps_err ps_cbor_read(const uint8_t *buf, size_t n, unsigned max_depth, size_t max_items,
                         struct ps_cbor_val *v) PS_WUR;

/* The value in map (a PS_CBOR_MAP from ps_cbor_read) under the text key `key` / the integer
 * key `key`. Errors: PS_ERR_NOTFOUND, PS_ERR_INVALID (the key occurs twice in the map). */
enum ps_err ps_cbor_map_text(const struct ps_cbor_val *map, const char *key,
                             struct ps_cbor_val *out) PS_WUR;
enum ps_err ps_cbor_map_int(const struct ps_cbor_val *map, int64_t key,
                            struct ps_cbor_val *out) PS_WUR;
/* True when the map's keys are all distinct (compared by encoding). */
bool ps_cbor_map_keys_unique(const struct ps_cbor_val *map);
/* An integer value as int64_t; false when v is no integer or out of range. */
bool ps_cbor_get_int(const struct ps_cbor_val *v, int64_t *out);

#endif
