/* The Common Expression Language (cel-spec's doc/langdef.md), for rules written as data:
 * eligibility, form validation, decisions. An embedder builds an environment (declared
 * variables and host functions with their types), compiles expressions into immutable
 * programs (parse -> check), and evaluates a program with an activation (variable values)
 * into an arena it owns, under a cost limit. An expression can only compute a value: no I/O,
 * no globals, nothing allocated outside the caller's arena during evaluation.
 * Design, value model and cost model: docs/internals/cel.md. */
#ifndef PS_CEL_CEL_H
#define PS_CEL_CEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct ps_cel_env;

/* ---- diagnostics ------------------------------------------------------------------------ */

/* What went wrong and where. Owned by the caller (usually on the stack). line and column are
 * 1-based (column counts code points); both 0 when the error has no place in the source. */
struct ps_cel_diag {
    enum ps_err code;
    uint32_t line, column;
    uint32_t offset; /* byte offset in the source */
    char message[256];
};

/* ---- values ------------------------------------------------------------------------------ */

enum ps_cel_kind {
    PS_CEL_UNSET = 0, /* an activation slot with no value (evaluates to an error) */
    PS_CEL_NULL,
    PS_CEL_BOOL,
    PS_CEL_INT,
    PS_CEL_UINT,
    PS_CEL_DOUBLE,
    PS_CEL_STRING,    /* valid UTF-8, not NUL-terminated */
    PS_CEL_BYTES,
    PS_CEL_LIST,
    PS_CEL_MAP,
    PS_CEL_TIMESTAMP, /* v.i seconds since the Unix epoch, n nanoseconds (0..999999999) */
    PS_CEL_DURATION,  /* v.i nanoseconds (the spec's int64 range, about +-292 years) */
    PS_CEL_TYPE,      /* a type as a value: type(1) == int */
    PS_CEL_OPTIONAL,  /* v.opt: the contained value, NULL for optional.none() */
    PS_CEL_ERROR,     /* only inside evaluation and host functions; never returned by eval */
};

struct ps_cel_map;
struct ps_cel_type;
struct ps_cel_error;

/* A value: 16 bytes, passed by value. Scalars are inline; strings, bytes and list items point
 * into memory owned by whoever built the value (the evaluation arena, the program, or the
 * host), which must outlive the value. Read-only once built. */
struct ps_cel_value {
    uint8_t kind;  /* enum ps_cel_kind */
    uint8_t flags; /* private to the library */
    uint16_t reserved;
    uint32_t n; /* string/bytes: length in bytes; list: item count; timestamp: nanoseconds */
    union {
        bool b;
        int64_t i;
        uint64_t u;
        double d;
        const char *s;                   /* string, bytes */
        const struct ps_cel_value *items; /* list */
        const struct ps_cel_map *map;
        const struct ps_cel_type *type;
        const struct ps_cel_value *opt;
        const struct ps_cel_error *err;
    } v;
};

static inline struct ps_cel_value ps_cel_null(void)
{
    return (struct ps_cel_value){.kind = PS_CEL_NULL};
}
static inline struct ps_cel_value ps_cel_bool(bool b)
{
    return (struct ps_cel_value){.kind = PS_CEL_BOOL, .v.b = b};
}
static inline struct ps_cel_value ps_cel_int(int64_t i)
{
    return (struct ps_cel_value){.kind = PS_CEL_INT, .v.i = i};
}
static inline struct ps_cel_value ps_cel_uint(uint64_t u)
{
    return (struct ps_cel_value){.kind = PS_CEL_UINT, .v.u = u};
}
static inline struct ps_cel_value ps_cel_double(double d)
{
    return (struct ps_cel_value){.kind = PS_CEL_DOUBLE, .v.d = d};
}
static inline struct ps_cel_value ps_cel_duration(int64_t nanoseconds)
{
    return (struct ps_cel_value){.kind = PS_CEL_DURATION, .v.i = nanoseconds};
}
/* A string value over s (borrowed). The bytes must be valid UTF-8 and shorter than 4 GiB:
 * use ps_cel_string_checked for input that is not known to be. */
static inline struct ps_cel_value ps_cel_string(struct ps_str s)
{
    return (struct ps_cel_value){.kind = PS_CEL_STRING, .n = (uint32_t)s.len, .v.s = s.p};
}
static inline struct ps_cel_value ps_cel_bytes(const void *p, size_t len)
{
    return (struct ps_cel_value){.kind = PS_CEL_BYTES, .n = (uint32_t)len, .v.s = p};
}
/* A list value over n items (borrowed array). */
static inline struct ps_cel_value ps_cel_list(const struct ps_cel_value *items, uint32_t n)
{
    return (struct ps_cel_value){.kind = PS_CEL_LIST, .n = n, .v.items = items};
}
static inline struct ps_str ps_cel_str(struct ps_cel_value v) /* string or bytes */
{
    return (struct ps_str){v.v.s ? v.v.s : "", v.n};
}

/* Validates UTF-8 and size (< 4 GiB); PS_ERR_INVALID otherwise. s is borrowed. */
enum ps_err ps_cel_string_checked(struct ps_str s, struct ps_cel_value *out) PS_WUR;
/* A timestamp; PS_ERR_INVALID outside 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999999999Z
 * or nanos > 999999999. */
enum ps_err ps_cel_timestamp(int64_t seconds, uint32_t nanos, struct ps_cel_value *out) PS_WUR;
/* Parses an RFC 3339 timestamp ("2009-02-13T23:31:30Z", "...+02:00"). */
enum ps_err ps_cel_timestamp_parse(struct ps_str s, struct ps_cel_value *out) PS_WUR;

/* A map from keys[i] to vals[i] (both arrays borrowed, n entries), indexed for look-up in
 * the arena. Keys must be int, uint, bool or string and distinct under CEL equality (1 and
 * 1u are the same key). Errors: PS_ERR_INVALID (bad or repeated key, message in diag),
 * PS_ERR_NOMEM (arena budget). */
enum ps_err ps_cel_map_new(struct ps_arena *arena, const struct ps_cel_value *keys,
                           const struct ps_cel_value *vals, size_t n, struct ps_cel_value *out,
                           struct ps_cel_diag *diag) PS_WUR;
size_t ps_cel_map_size(const struct ps_cel_map *m);
/* Entry i in insertion order (i < size). */
struct ps_cel_value ps_cel_map_key(const struct ps_cel_map *m, size_t i);
struct ps_cel_value ps_cel_map_value(const struct ps_cel_map *m, size_t i);
/* Looks key up (numeric keys compare across int, uint and double); false when absent. */
bool ps_cel_map_get(const struct ps_cel_map *m, struct ps_cel_value key, struct ps_cel_value *out);
bool ps_cel_map_get_str(const struct ps_cel_map *m, struct ps_str key, struct ps_cel_value *out);

/* CEL equality (heterogeneous numbers, NaN != NaN, deep for lists and maps). */
bool ps_cel_value_equal(struct ps_cel_value a, struct ps_cel_value b);
/* The message of an error value. */
const char *ps_cel_error_message(struct ps_cel_value err);

/* ---- JSON (form answers, registry records) ----------------------------------------------- */

enum {
    /* JSON numbers become doubles, as the spec's JSON mapping says (default: integers in
     * jansson's integer form become int, others double) */
    PS_CEL_JSON_NUMBERS_AS_DOUBLE = 1u << 0,
};
/* Converts a JSON value (borrowed; strings are copied into the arena) into a CEL value:
 * null, bool, number, string, array -> list, object -> map with string keys. max_depth bounds
 * nesting. Errors: PS_ERR_LIMIT (depth, arena budget), PS_ERR_INVALID. */
enum ps_err ps_cel_from_json(struct ps_arena *arena, const json_t *json, unsigned flags,
                             size_t max_depth, struct ps_cel_value *out,
                             struct ps_cel_diag *diag) PS_WUR;
/* Converts v to a new JSON value (caller owns the reference): ints and uints within
 * +-(2^53-1) as numbers and as decimal strings beyond, doubles as numbers (NaN, +-Infinity as
 * "NaN", "Infinity", "-Infinity"), bytes as base64, timestamps as RFC 3339, durations as
 * "1.5s", maps with string keys as objects, optionals as their value or null. Types, and maps
 * with other keys, are PS_ERR_INVALID. */
enum ps_err ps_cel_to_json(struct ps_cel_value v, size_t max_depth, json_t **out,
                           struct ps_cel_diag *diag) PS_WUR;

/* Writes v as a CEL literal that parses back to an equal value ("1u", "1.0", "b\"\\x00\"",
 * "timestamp(\"2009-02-13T23:31:30Z\")", "double(\"NaN\")", ...) into a string owned by the
 * arena. Map entries keep their insertion order. NULL when the arena budget is reached. */
char *ps_cel_format_literal(struct ps_arena *arena, struct ps_cel_value v);

/* ---- types --------------------------------------------------------------------------------
 * Types are written as in cel-spec: int uint double bool string bytes null_type dyn type
 * timestamp (= google.protobuf.Timestamp) duration (= google.protobuf.Duration) list(T)
 * map(K, V) type(T) optional_type(T); an identifier of capitals (A, K, V, T1) is a type
 * parameter in function signatures. */

/* The type written in a string such as "map(string, list(int))"; owned by the env. */
enum ps_err ps_cel_type_parse(struct ps_cel_env *env, const char *text,
                              const struct ps_cel_type **out, struct ps_cel_diag *diag) PS_WUR;
/* "list(int)" into a string owned by the arena (NULL on budget). */
char *ps_cel_type_format(struct ps_arena *arena, const struct ps_cel_type *t);

/* ---- environment -------------------------------------------------------------------------- */

struct ps_cel_call; /* a function call being evaluated: see the ps_cel_call_* functions */

/* A host function overload: args has as many values as the signature has parameters (the
 * receiver first for receiver-style calls), never errors or unset values, each of the
 * declared parameter's runtime kind. Returns the result, or an error made with
 * ps_cel_call_error / ps_cel_call_fail. Must be thread-safe and free of side effects visible
 * to the expression; allocates only with ps_cel_call_arena. */
typedef struct ps_cel_value (*ps_cel_fn)(const struct ps_cel_call *call,
                                         const struct ps_cel_value *args);

enum {
    PS_CEL_FN_RECEIVER = 1u << 0, /* called as a.f(b): the first parameter is the receiver */
    PS_CEL_FN_PURE = 1u << 1,     /* same args, same result: may run at compile time */
    PS_CEL_FN_VARIADIC = 1u << 2, /* the last parameter repeats (at least once) */
};

/* One overload of a function. */
struct ps_cel_fn_decl {
    const char *name;        /* "age", "registry.person" (qualified names allowed) */
    const char *overload_id; /* unique in the env, "age_timestamp_timestamp" */
    const char *signature;   /* "(timestamp, timestamp) -> int"; receiver first */
    unsigned flags;          /* PS_CEL_FN_* */
    ps_cel_fn impl;
    void *udata; /* given back through ps_cel_call_udata */
};

/* Resolves an IANA time zone name (such as "Europe/Kyiv") to its offset from UTC, in seconds
 * east, at the instant unix_seconds. Returns PS_ERR_NOTFOUND for an unknown zone. Called
 * during evaluation from any thread: must be thread-safe. "UTC" and fixed offsets ("+02:00")
 * never reach it. */
struct ps_cel_tz_resolver {
    enum ps_err (*offset)(void *ctx, struct ps_str zone, int64_t unix_seconds, int32_t *out);
    void *ctx;
};

struct ps_cel_env_options {
    const char *container;  /* name resolution scope ("com.example"); NULL for the root */
    size_t max_source;      /* bytes of expression text; 0: 64 KiB */
    uint32_t max_depth;     /* nesting of the expression; 0: 100, at most 250 */
    size_t max_memory;      /* bytes for declarations and each program; 0: 16 MiB */
};

/* A new environment with the standard library, the strings, math, optional, encoders,
 * bindings (cel.bind) and two-variable comprehension extensions. opts may be NULL. Caller
 * frees with ps_cel_env_free, after every program compiled from it. NULL on memory failure.
 * Declare everything before compiling; after that the env is read-only and may be used by
 * any number of threads at once. */
struct ps_cel_env *ps_cel_env_new(const struct ps_cel_env_options *opts);
void ps_cel_env_free(struct ps_cel_env *env);

/* Declares variable name (qualified names such as "request.auth" allowed) of type type
 * (ps_cel_type_parse syntax). Returns its activation slot in *slot (may be NULL). Errors:
 * PS_ERR_EXISTS (already declared), PS_ERR_INVALID (bad name or type). */
enum ps_err ps_cel_env_declare_var(struct ps_cel_env *env, const char *name, const char *type,
                                   uint32_t *slot, struct ps_cel_diag *diag) PS_WUR;
/* Same with a type obtained from ps_cel_type_parse or ps_cel_program_type. */
enum ps_err ps_cel_env_declare_var_type(struct ps_cel_env *env, const char *name,
                                        const struct ps_cel_type *type, uint32_t *slot,
                                        struct ps_cel_diag *diag) PS_WUR;
/* Declares one overload (decl is copied). Errors: PS_ERR_EXISTS (overload id taken, or a
 * signature that overlaps an existing overload of the same name), PS_ERR_INVALID. */
enum ps_err ps_cel_env_declare_fn(struct ps_cel_env *env, const struct ps_cel_fn_decl *decl,
                                  struct ps_cel_diag *diag) PS_WUR;
/* Activation slot of a declared variable; false when not declared. */
bool ps_cel_env_var_slot(const struct ps_cel_env *env, const char *name, uint32_t *slot);
/* Number of activation slots (variables declared so far). */
uint32_t ps_cel_env_var_count(const struct ps_cel_env *env);

/* ---- programs ----------------------------------------------------------------------------- */

struct ps_cel_ast;
struct ps_cel_program;

enum {
    PS_CEL_NO_CHECK = 1u << 0,  /* skip type checking: calls dispatch at runtime only */
    PS_CEL_NO_MACROS = 1u << 1, /* has(), all(), ... are ordinary function calls */
};

/* Parses source (UTF-8) into an AST, expanding macros. Errors: PS_ERR_INVALID (syntax, with
 * line and column), PS_ERR_LIMIT (too long, too deep). Caller frees with ps_cel_ast_free
 * unless it passes the AST to ps_cel_check. The source is copied. */
enum ps_err ps_cel_parse(const struct ps_cel_env *env, struct ps_str source, unsigned flags,
                         struct ps_cel_ast **out, struct ps_cel_diag *diag) PS_WUR;
void ps_cel_ast_free(struct ps_cel_ast *ast);
/* Type-checks ast against env (unless flags has PS_CEL_NO_CHECK), resolves names and
 * overloads, folds constants and compiles constant regular expressions, and makes the
 * program. Takes ownership of ast (also on failure). Errors: PS_ERR_INVALID (located). */
enum ps_err ps_cel_check(const struct ps_cel_env *env, struct ps_cel_ast *ast, unsigned flags,
                         struct ps_cel_program **out, struct ps_cel_diag *diag) PS_WUR;
/* ps_cel_parse then ps_cel_check. */
enum ps_err ps_cel_compile(const struct ps_cel_env *env, struct ps_str source, unsigned flags,
                           struct ps_cel_program **out, struct ps_cel_diag *diag) PS_WUR;
/* Frees the program. NULL is a no-op. A program is immutable: any number of threads may
 * evaluate it at once. */
void ps_cel_program_free(struct ps_cel_program *p);
/* The checked type of the program's result (dyn when unchecked). Owned by the program. */
const struct ps_cel_type *ps_cel_program_type(const struct ps_cel_program *p);
/* When the whole expression folded to a constant at compile time, true and its value (owned
 * by the program). */
bool ps_cel_program_constant(const struct ps_cel_program *p, struct ps_cel_value *out);

/* ---- evaluation --------------------------------------------------------------------------- */

/* Variable values by slot (ps_cel_env_var_slot); vals[i].kind == PS_CEL_UNSET for unbound.
 * Slots past n are unbound. Borrowed for the evaluation. */
struct ps_cel_activation {
    const struct ps_cel_value *vals;
    uint32_t n;
};

struct ps_cel_eval_options {
    uint64_t max_cost;           /* 0: 1,000,000 cost units (docs/internals/cel.md) */
    uint32_t regex_match_limit;  /* 0: 100,000 (PCRE2 match limit) */
    uint32_t regex_depth_limit;  /* 0: 1,000 (PCRE2 depth limit) */
    const struct ps_cel_tz_resolver *tz; /* NULL: only "UTC" and fixed offsets */
    void *host;                  /* given to host functions through ps_cel_call_host */
};

/* Evaluates p with act, allocating only in arena. opts may be NULL. On PS_OK *out is the
 * result (never an error value; owned by the arena, the program or the activation's owner).
 * Errors: PS_ERR_INVALID (the expression evaluated to an error: division by zero, no such
 * key, ...; diag has the message and the place of the failing sub-expression), PS_ERR_LIMIT
 * (cost limit, arena budget, regex limits), or the code a host function failed with
 * (ps_cel_call_fail). Thread-safe for distinct arenas. */
enum ps_err ps_cel_eval(const struct ps_cel_program *p, const struct ps_cel_activation *act,
                        struct ps_arena *arena, const struct ps_cel_eval_options *opts,
                        struct ps_cel_value *out, struct ps_cel_diag *diag) PS_WUR;
/* ps_cel_eval that also reports the cost units the evaluation used in *cost. */
enum ps_err ps_cel_eval_cost(const struct ps_cel_program *p, const struct ps_cel_activation *act,
                             struct ps_arena *arena, const struct ps_cel_eval_options *opts,
                             struct ps_cel_value *out, uint64_t *cost,
                             struct ps_cel_diag *diag) PS_WUR;

/* ---- inside host functions ----------------------------------------------------------------- */

struct ps_arena *ps_cel_call_arena(const struct ps_cel_call *call);
void *ps_cel_call_udata(const struct ps_cel_call *call);
void *ps_cel_call_host(const struct ps_cel_call *call);
/* An error value with a message (the expression's own failure: absorbed by && and || like
 * any CEL error). */
struct ps_cel_value ps_cel_call_error(const struct ps_cel_call *call, const char *fmt, ...)
    PS_PRINTF(2, 3);
/* A failure of the host (store unavailable, ...): stops the evaluation, which returns code.
 * code must not be PS_OK or PS_ERR_INVALID. */
struct ps_cel_value ps_cel_call_fail(const struct ps_cel_call *call, enum ps_err code,
                                     const char *fmt, ...) PS_PRINTF(3, 4);
/* Adds units to the evaluation's cost; false (and the evaluation stops) past the limit. */
bool ps_cel_call_cost(const struct ps_cel_call *call, uint64_t units);

/* ---- time zones from TZif files (RFC 8536) ------------------------------------------------- */

struct ps_cel_tzdb;
/* A resolver reading <dir>/<Zone/Name> TZif files (dir NULL: $TZDIR or /usr/share/zoneinfo),
 * following the "L target link" lines of <dir>/tzdata.zi when a link file is absent, keeping
 * up to max_zones parsed zones (0: 64) in a thread-safe cache. Caller frees with
 * ps_cel_tzdb_free. NULL on memory failure. */
struct ps_cel_tzdb *ps_cel_tzdb_new(const char *dir, size_t max_zones);
void ps_cel_tzdb_free(struct ps_cel_tzdb *db);
/* The resolver interface over db (borrowed). */
struct ps_cel_tz_resolver ps_cel_tzdb_resolver(struct ps_cel_tzdb *db);
/* Parses one TZif file's bytes (exposed for tests and fuzzing) and gives the offset at t.
 * Errors: PS_ERR_INVALID (malformed), PS_ERR_LIMIT (too many transitions or types). */
enum ps_err ps_cel_tzif_offset(const void *data, size_t len, int64_t t, int32_t *out,
                               struct ps_cel_diag *diag) PS_WUR;

#endif
