/* CEL values from and to JSON (jansson), after langdef's "JSON Data Conversion": objects are
 * maps with string keys, numbers doubles (or ints for JSON integers, the default), and in the
 * other direction ints beyond +-(2^53-1) become decimal strings, bytes base64, timestamps and
 * durations their string forms. */
#include <math.h>
#include <stdio.h>

#include "cel/cel_int.h"

#define INTEROP_MAX 9007199254740991LL /* 2^53 - 1 */

/* A string of a jansson value: valid UTF-8 by construction (every jansson constructor and its
 * parser refuse anything else, but the *_nocheck functions, which this project never calls),
 * so only its length is checked here. */
static enum ps_err copy_str(struct ps_arena *a, const char *s, size_t n, struct ps_cel_value *out,
                            struct ps_cel_diag *diag)
{
    if (n > CEL_MAX_STRING)
        return cel_diag_set(diag, PS_ERR_INVALID, "JSON string too long");
    char *p = ps_arena_alloc(a, n ? n : 1);
    if (!p)
        return cel_diag_set(diag, PS_ERR_LIMIT, "arena budget exhausted");
    memcpy(p, s, n);
    *out = ps_cel_string((struct ps_str){p, n});
    return PS_OK;
}

static enum ps_err from_json(struct ps_arena *a, const json_t *j, unsigned flags, size_t depth,
                             struct ps_cel_value *out, struct ps_cel_diag *diag);

static enum ps_err from_array(struct ps_arena *a, const json_t *j, unsigned flags, size_t depth,
                              struct ps_cel_value *out, struct ps_cel_diag *diag)
{
    size_t n = json_array_size(j);
    if (n > UINT32_MAX)
        return cel_diag_set(diag, PS_ERR_LIMIT, "JSON array too long");
    struct ps_cel_value *items = ps_arena_array(a, n ? n : 1, sizeof *items);
    if (!items)
        return cel_diag_set(diag, PS_ERR_LIMIT, "arena budget exhausted");
    for (size_t i = 0; i < n; i++) {
        enum ps_err e = from_json(a, json_array_get(j, i), flags, depth - 1, &items[i], diag);
        if (e != PS_OK)
            return e;
    }
    *out = ps_cel_list(items, (uint32_t)n);
    return PS_OK;
}

static enum ps_err from_object(struct ps_arena *a, const json_t *j, unsigned flags,
                               size_t depth, struct ps_cel_value *out, struct ps_cel_diag *diag)
{
    size_t n = json_object_size(j), i = 0;
    struct ps_cel_value *keys = ps_arena_array(a, n ? n : 1, sizeof *keys);
    struct ps_cel_value *vals = keys ? ps_arena_array(a, n ? n : 1, sizeof *vals) : NULL;
    if (!vals)
        return cel_diag_set(diag, PS_ERR_LIMIT, "arena budget exhausted");
    const char *k;
    size_t klen;
    json_t *v;
    json_object_keylen_foreach((json_t *)j, k, klen, v) {
        enum ps_err e = copy_str(a, k, klen, &keys[i], diag);
        if (e == PS_OK)
            e = from_json(a, v, flags, depth - 1, &vals[i], diag);
        if (e != PS_OK)
            return e;
        i++;
    }
    return ps_cel_map_new(a, keys, vals, i, out, diag);
}

static enum ps_err from_json(struct ps_arena *a, const json_t *j, unsigned flags, size_t depth,
                             struct ps_cel_value *out, struct ps_cel_diag *diag)
{
    if (depth == 0)
        return cel_diag_set(diag, PS_ERR_LIMIT, "JSON nested too deeply");
    switch (json_typeof(j)) {
    case JSON_NULL:
        *out = ps_cel_null();
        return PS_OK;
    case JSON_TRUE:
    case JSON_FALSE:
        *out = ps_cel_bool(json_is_true(j));
        return PS_OK;
    case JSON_INTEGER:
        *out = (flags & PS_CEL_JSON_NUMBERS_AS_DOUBLE)
                   ? ps_cel_double((double)json_integer_value(j))
                   : ps_cel_int(json_integer_value(j));
        return PS_OK;
    case JSON_REAL:
        *out = ps_cel_double(json_real_value(j));
        return PS_OK;
    case JSON_STRING:
        return copy_str(a, json_string_value(j), json_string_length(j), out, diag);
    case JSON_ARRAY:
        return from_array(a, j, flags, depth, out, diag);
    default:
        return from_object(a, j, flags, depth, out, diag);
    }
}

enum ps_err ps_cel_from_json(struct ps_arena *arena, const json_t *json, unsigned flags,
                             size_t max_depth, struct ps_cel_value *out,
                             struct ps_cel_diag *diag)
{
    return from_json(arena, json, flags, max_depth ? max_depth : CEL_VALUE_MAX_DEPTH, out, diag);
}

/* ---- to JSON -------------------------------------------------------------------------------- */

static json_t *to_json(struct ps_cel_value v, size_t depth, struct ps_cel_diag *diag);

static json_t *integer(long long i, bool fits, const char *text)
{
    return fits ? json_integer(i) : json_string(text);
}

static json_t *aggregate_json(struct ps_cel_value v, size_t depth, struct ps_cel_diag *diag)
{
    bool is_map = v.kind == PS_CEL_MAP;
    json_t *out = is_map ? json_object() : json_array();
    uint32_t n = is_map ? v.v.map->n : v.n;
    for (uint32_t i = 0; out && i < n; i++) {
        if (is_map && v.v.map->keys[i].kind != PS_CEL_STRING) {
            cel_diag_set(diag, PS_ERR_INVALID, "a map with non-string keys has no JSON form");
            json_decref(out);
            return NULL;
        }
        json_t *item = to_json(is_map ? v.v.map->vals[i] : v.v.items[i], depth - 1, diag);
        int rc = !item ? -1
                 : is_map ? json_object_setn_new(out, v.v.map->keys[i].v.s,
                                                 v.v.map->keys[i].n, item)
                          : json_array_append_new(out, item);
        if (rc != 0) {
            json_decref(out);
            return NULL;
        }
    }
    return out;
}

static json_t *to_json(struct ps_cel_value v, size_t depth, struct ps_cel_diag *diag)
{
    char tmp[64];
    if (depth == 0) {
        cel_diag_set(diag, PS_ERR_LIMIT, "value nested too deeply for JSON");
        return NULL;
    }
    switch (v.kind) {
    case PS_CEL_NULL: return json_null();
    case PS_CEL_BOOL: return json_boolean(v.v.b);
    case PS_CEL_INT:
        cel_fitted(snprintf(tmp, sizeof tmp, "%lld", (long long)v.v.i), sizeof tmp);
        return integer(v.v.i, v.v.i >= -INTEROP_MAX && v.v.i <= INTEROP_MAX, tmp);
    case PS_CEL_UINT:
        cel_fitted(snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)v.v.u), sizeof tmp);
        return integer((long long)v.v.u, v.v.u <= (uint64_t)INTEROP_MAX, tmp);
    case PS_CEL_DOUBLE:
        if (isnan(v.v.d))
            return json_string("NaN");
        if (isinf(v.v.d))
            return json_string(v.v.d > 0 ? "Infinity" : "-Infinity");
        return json_real(v.v.d);
    case PS_CEL_STRING: return json_stringn(v.v.s ? v.v.s : "", v.n);
    case PS_CEL_BYTES: {
        size_t n = 4 * (((size_t)v.n + 2) / 3);
        char *buf = ps_malloc(n ? n : 1);
        if (!buf)
            return NULL;
        cel_base64_encode((const unsigned char *)v.v.s, v.n, buf);
        json_t *s = json_stringn(buf, n);
        ps_free(buf);
        return s;
    }
    case PS_CEL_TIMESTAMP:
        cel_format_timestamp(tmp, v.v.i, v.n);
        return json_string(tmp);
    case PS_CEL_DURATION:
        cel_format_duration(tmp, v.v.i);
        return json_string(tmp);
    case PS_CEL_LIST:
    case PS_CEL_MAP: return aggregate_json(v, depth, diag);
    case PS_CEL_OPTIONAL: return v.v.opt ? to_json(*v.v.opt, depth - 1, diag) : json_null();
    default:
        cel_diag_set(diag, PS_ERR_INVALID, "a %s value has no JSON form",
                     cel_type_name(cel_type_of_kind(v.kind)));
        return NULL;
    }
}

enum ps_err ps_cel_to_json(struct ps_cel_value v, size_t max_depth, json_t **out,
                           struct ps_cel_diag *diag)
{
    if (diag)
        diag->code = PS_OK;
    *out = to_json(v, max_depth ? max_depth : CEL_VALUE_MAX_DEPTH, diag);
    if (*out)
        return PS_OK;
    if (diag && diag->code != PS_OK)
        return diag->code;
    return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory building JSON");
}
