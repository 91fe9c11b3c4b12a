/* Private to src/cel: the AST, checked types, overloads, the environment and program layout,
 * the evaluation context, and the helpers the library's files share. */
#ifndef PS_CEL_CEL_INT_H
#define PS_CEL_CEL_INT_H

#include <stdarg.h>
#include <string.h>

#include "cel/cel.h"
#include "core/alloc.h"
#include "core/buf.h"

#define CEL_MAX_PARAMS 8           /* parameters of one declared overload */
#define CEL_MAX_DEPTH_DEFAULT 100  /* expression nesting */
#define CEL_MAX_DEPTH_HARD 250
#define CEL_MAX_SOURCE_DEFAULT (64u << 10)
#define CEL_MAX_MEMORY_DEFAULT (16u << 20)
#define CEL_VALUE_MAX_DEPTH 128    /* nesting of values compared, printed or converted */
#define CEL_MAX_STRING UINT32_MAX  /* bytes in one string or bytes value */

/* The length snprintf reported for a buffer sized to fit (an invariant: abort otherwise). */
static inline size_t cel_fitted(int n, size_t cap)
{
    PS_ASSERT(n >= 0 && (size_t)n < cap);
    return (size_t)n;
}

/* ---- types ---------------------------------------------------------------------------- */

enum cel_tkind {
    T_DYN,
    T_NULL,
    T_BOOL,
    T_INT,
    T_UINT,
    T_DOUBLE,
    T_STRING,
    T_BYTES,
    T_TIMESTAMP,
    T_DURATION,
    T_LIST,     /* p0: element */
    T_MAP,      /* p0: key, p1: value */
    T_TYPE,     /* p0: the type denoted (NULL: any type) */
    T_OPTIONAL, /* p0: contained */
    T_PARAM,    /* id: parameter number; local: declared in a signature */
    T_ERROR,
    T_COUNT
};

struct ps_cel_type {
    uint8_t kind;
    uint8_t local;
    uint32_t id;
    const char *name; /* T_PARAM: as written */
    const struct ps_cel_type *p0, *p1;
};

/* Unparameterised types (list and map of dyn, type without parameter), indexed by kind. */
extern const struct ps_cel_type cel_types[T_COUNT];
#define CEL_T(k) (&cel_types[(k)])

/* Runtime kind a value of type t has, or PS_CEL_UNSET when any kind may appear. */
uint8_t cel_type_runtime_kind(const struct ps_cel_type *t);
/* Name of a runtime type value ("int", "list", "google.protobuf.Timestamp"). */
const char *cel_type_name(const struct ps_cel_type *t);
/* The runtime type value of a value of kind k. */
const struct ps_cel_type *cel_type_of_kind(uint8_t kind);
bool cel_type_equal(const struct ps_cel_type *a, const struct ps_cel_type *b);
const struct ps_cel_type *cel_type_new(struct ps_arena *a, uint8_t kind,
                                       const struct ps_cel_type *p0,
                                       const struct ps_cel_type *p1);
/* Parses a type at *pos in text (signature syntax), advancing pos. Local type parameters get
 * ids from *nparams (names in pnames, at most CEL_MAX_PARAMS). */
enum ps_err cel_type_parse_at(struct ps_arena *a, const char *text, size_t *pos,
                              const char **pnames, uint32_t *nparams,
                              const struct ps_cel_type **out, struct ps_cel_diag *diag);
bool cel_type_format_buf(struct ps_buf *b, const struct ps_cel_type *t);

/* ---- AST ----------------------------------------------------------------------------------- */

enum cel_node_kind {
    N_CONST,   /* value */
    N_IDENT,   /* name (a leading dot kept in name) */
    N_SELECT,  /* target.name; flags OPT (.?), TEST (has) */
    N_CALL,    /* name(args) or args[0].name(args[1..]) with flag RECV */
    N_LIST,    /* args: items (flag OPT on an item node: ?item) */
    N_MAP,     /* args: key0 val0 key1 val1 ... (flag OPT on a key: ?key) */
    N_STRUCT,  /* name{field: value}: args as map, keys are N_CONST strings */
    N_COMPR,   /* op: macro; target: range; args: bodies; slot, slot2: variables */
    N_INDEX,   /* target[args[0]]; flag OPT: [?] */
    /* after checking */
    N_VAR,     /* activation slot */
    N_LOCAL,   /* comprehension variable slot */
    N_AND,     /* args[0] && args[1] */
    N_OR,
    N_COND,    /* args[0] ? args[1] : args[2] */
    N_OPT_OR,  /* args[0].or(args[1]), args[0].orValue(args[1]) (op says which) */
    N_FUNC,    /* resolved call: cands, ncand */
};

enum cel_node_flags {
    NF_OPT = 1u << 0,
    NF_TEST = 1u << 1,
    NF_RECV = 1u << 2,
    NF_ROOT = 1u << 3,  /* identifier written with a leading dot */
    NF_ENTRY = 1u << 4, /* optional list item or map entry: [?x], {?k: v} */
};

enum cel_macro {
    M_ALL = 1,
    M_EXISTS,
    M_EXISTS_ONE,
    M_MAP,        /* args: transform, or filter + transform */
    M_FILTER,
    M_TLIST,      /* transformList: two variables, [filter,] transform */
    M_TMAP,       /* transformMap */
    M_BIND,       /* cel.bind: target is the value, args[0] the body */
    M_OPT_MAP,    /* optMap: target is the optional */
    M_OPT_FLAT_MAP,
};

struct cel_overload;

struct cel_node {
    uint8_t kind;
    uint8_t op;    /* N_COMPR: enum cel_macro; N_OPT_OR: 0 or, 1 orValue */
    uint8_t flags; /* enum cel_node_flags */
    uint8_t nvars; /* N_COMPR: 1 or 2 variables */
    uint16_t nargs;
    uint16_t ncand;
    uint32_t offset; /* byte offset of the node in the source */
    uint32_t depth;  /* height of the subtree (1 for a leaf) */
    struct ps_str name;
    struct ps_str name2; /* N_COMPR: second variable */
    struct cel_node *target;
    struct cel_node **args;
    struct ps_cel_value value;          /* N_CONST */
    const struct ps_cel_type *type;     /* checked */
    uint32_t slot, slot2;               /* N_VAR, N_LOCAL, N_COMPR */
    const struct cel_overload *const *cands; /* N_FUNC */
    void *aux;                          /* prepared by an overload (compiled regex) */
};

struct ps_cel_ast {
    struct ps_arena *arena;
    struct cel_node *root;
    char *source;
    size_t source_len;
    unsigned flags;
};

/* ---- lexer (lex.c) ------------------------------------------------------------------------- */

enum cel_tok {
    TK_EOF,
    TK_INT,    /* u: magnitude (a leading minus is the parser's) */
    TK_UINT,   /* u */
    TK_DOUBLE, /* d */
    TK_STRING, /* s: decoded, in the arena */
    TK_BYTES,
    TK_IDENT,  /* s: the name as written */
    TK_QIDENT, /* `quoted field name`: s without the backticks */
    TK_TRUE,
    TK_FALSE,
    TK_NULL,
    TK_IN,
    TK_LPAREN,
    TK_RPAREN,
    TK_LBRACKET,
    TK_RBRACKET,
    TK_LBRACE,
    TK_RBRACE,
    TK_DOT,
    TK_COMMA,
    TK_COLON,
    TK_QUESTION,
    TK_PLUS,
    TK_MINUS,
    TK_STAR,
    TK_SLASH,
    TK_PERCENT,
    TK_BANG,
    TK_EQ,
    TK_NE,
    TK_LT,
    TK_LE,
    TK_GT,
    TK_GE,
    TK_AND,
    TK_OR,
};

struct cel_token {
    uint8_t kind;
    bool overflow; /* TK_INT/TK_UINT: the literal does not fit in 64 bits */
    uint32_t start, end;
    uint64_t u;
    double d;
    struct ps_str s;
};

struct cel_lexer {
    struct ps_arena *arena;
    const char *src;
    size_t len, pos;
};

/* Reads the next token. Errors (PS_ERR_INVALID located, PS_ERR_NOMEM) in diag. */
enum ps_err cel_lex_next(struct cel_lexer *lx, struct cel_token *t, struct ps_cel_diag *diag);
/* Name of a token kind for messages ("')'", "identifier"). */
const char *cel_tok_name(uint8_t kind);

/* ---- overloads, environment, program ------------------------------------------------------- */

struct cel_eval;

/* Runs at check time for a call whose overload is this one; const_args[i] is NULL for an
 * argument that is not a constant. May set *aux (kept in the node). Errors are located at the
 * call. */
typedef enum ps_err (*cel_prepare_fn)(const struct ps_cel_program *prog,
                                      const struct cel_node *call,
                                      const struct ps_cel_value *const *const_args, void **aux,
                                      struct ps_cel_diag *diag);

enum {
    CEL_FN_OPT_OR = 1u << 8,       /* optional.or: evaluated lazily by the evaluator */
    CEL_FN_OPT_OR_VALUE = 1u << 9, /* optional.orValue: same */
};

struct cel_overload {
    const char *name;
    const char *id;
    unsigned flags;
    uint8_t nparams;
    uint8_t ntparams;
    uint8_t fast; /* enum cel_fast: the evaluator computes int operations inline */
    uint8_t kinds[CEL_MAX_PARAMS]; /* runtime kind per parameter, PS_CEL_UNSET: any */
    const struct ps_cel_type *params[CEL_MAX_PARAMS];
    const struct ps_cel_type *result;
    ps_cel_fn impl;
    void *udata;
    cel_prepare_fn prepare;
    struct cel_overload *next; /* next overload of the same function, in declaration order */
};

/* Integer operators the evaluator computes without a call (same results as std_core.c). */
enum cel_fast { F_NONE, F_LT, F_LE, F_GT, F_GE, F_EQ, F_NE, F_ADD, F_SUB, F_MUL };

struct cel_func {
    const char *name;
    struct cel_overload *first, *last;
    struct cel_func *hnext;
};

struct cel_var {
    const char *name;
    const struct ps_cel_type *type;
    uint32_t slot;
    struct cel_var *hnext;
};

struct ps_cel_env {
    struct ps_arena *arena;
    struct cel_func **funcs;
    struct cel_var **vars;
    uint32_t nfunc_buckets, nvar_buckets;
    uint32_t nfuncs, nvars;
    char *container;
    size_t max_source;
    uint32_t max_depth;
    size_t max_memory;
};

struct ps_cel_program {
    struct ps_arena *arena;
    const struct ps_cel_env *env;
    struct cel_node *root;
    char *source;
    size_t source_len;
    uint32_t nlocals;
    const struct ps_cel_type *type;
};

/* An environment without any function (stdlib.c adds the standard library). */
struct ps_cel_env *cel_env_create(const struct ps_cel_env_options *opts);
const struct cel_func *cel_env_func(const struct ps_cel_env *env, struct ps_str name);
const struct cel_var *cel_env_var(const struct ps_cel_env *env, struct ps_str name);
/* Declares an overload with an internal prepare hook (the standard library). */
enum ps_err cel_env_declare(struct ps_cel_env *env, const struct ps_cel_fn_decl *decl,
                            cel_prepare_fn prepare, struct ps_cel_diag *diag);

/* The standard library and extensions (std_*.c), registered by ps_cel_env_new. */
enum ps_err cel_std_core(struct ps_cel_env *env, struct ps_cel_diag *diag);
enum ps_err cel_std_string(struct ps_cel_env *env, struct ps_cel_diag *diag);
enum ps_err cel_std_time(struct ps_cel_env *env, struct ps_cel_diag *diag);
enum ps_err cel_std_math(struct ps_cel_env *env, struct ps_cel_diag *diag);
enum ps_err cel_std_ext(struct ps_cel_env *env, struct ps_cel_diag *diag);

/* string.format (std_format.c). */
struct ps_cel_value cel_std_format(const struct ps_cel_call *c, const struct ps_cel_value *a);

/* A table of declarations, registered in order. */
struct cel_decl {
    const char *name, *id, *sig;
    unsigned flags;
    ps_cel_fn impl;
    cel_prepare_fn prepare;
};
enum ps_err cel_declare_table(struct ps_cel_env *env, const struct cel_decl *t, size_t n,
                              struct ps_cel_diag *diag);

/* ---- errors and evaluation ------------------------------------------------------------------ */

struct ps_cel_error {
    enum ps_err code;
    uint32_t offset; /* source offset of the sub-expression that failed; UINT32_MAX: unknown */
    const char *msg;
};

struct cel_eval {
    const struct ps_cel_program *prog;
    const struct ps_cel_value *vars;
    uint32_t nvars;
    struct ps_cel_value *locals;
    struct ps_arena *arena;
    uint64_t cost, max_cost;
    uint32_t re_match_limit, re_depth_limit;
    const struct ps_cel_tz_resolver *tz;
    void *host;
    /* a failure that stops the evaluation (cost, budget, host): never absorbed */
    const struct ps_cel_error *stop;
    void *re_gctx, *re_mctx; /* PCRE2 contexts allocating in arena, made on first use */
    uint32_t at;             /* offset of the node being evaluated: where a stop is reported */
    /* the last civil dates computed (timestamp accessors on the same instant repeat) */
    struct {
        int64_t local;       /* seconds since the epoch, in local time */
        int64_t year;
        unsigned month, day;
        bool valid;
    } civil[2];
    bool folding;            /* running at compile time on constant arguments */
};

struct ps_cel_call {
    struct cel_eval *ev;
    const struct cel_node *node;
    const struct cel_overload *ov;
    uint32_t nargs;
};

/* Error values. cel_err allocates the message in the evaluation arena (a static message when
 * the budget is gone). */
struct ps_cel_value cel_err(struct cel_eval *ev, uint32_t offset, const char *fmt, ...)
    PS_PRINTF(3, 4);
struct ps_cel_value cel_errv(struct cel_eval *ev, uint32_t offset, const char *fmt, va_list ap);
struct ps_cel_value cel_call_err(const struct ps_cel_call *c, const char *fmt, ...)
    PS_PRINTF(2, 3);
/* Stops the evaluation with code (PS_ERR_LIMIT: "cost limit", "memory budget"). */
struct ps_cel_value cel_stop(struct cel_eval *ev, enum ps_err code, uint32_t offset,
                             const char *msg);
struct ps_cel_value cel_no_overload(const struct ps_cel_call *c);
static inline bool cel_is_err(struct ps_cel_value v)
{
    return v.kind == PS_CEL_ERROR;
}

/* Allocation in the evaluation arena; on failure the evaluation stops (memory budget). */
void *cel_alloc(struct cel_eval *ev, size_t size);
void *cel_alloc_array(struct cel_eval *ev, size_t n, size_t size);
/* A string built in the evaluation arena (grows by copying; the arena's budget bounds it). */
struct cel_sb {
    struct cel_eval *ev;
    char *p;
    size_t len, cap;
    bool failed;
};
bool cel_sb_put(struct cel_sb *sb, const void *p, size_t n);
bool cel_sb_cstr(struct cel_sb *sb, const char *s);
bool cel_sb_printf(struct cel_sb *sb, const char *fmt, ...) PS_PRINTF(2, 3);
/* The string value (kind PS_CEL_STRING), or the stop error when building failed. */
struct ps_cel_value cel_sb_value(struct cel_sb *sb, uint8_t kind);
/* Adds cost; false (evaluation stopped) past the limit. */
bool cel_cost(struct cel_eval *ev, uint64_t units);

/* Evaluates the checked tree (eval.c). */
struct ps_cel_value cel_eval_node(struct cel_eval *ev, const struct cel_node *n);
/* Evaluates n at compile time (its arguments are constants) into the program's arena; false
 * when that fails (the error is left for runtime). */
bool cel_fold(const struct ps_cel_program *prog, const struct cel_node *n,
              struct ps_cel_value *out);

/* ---- values (value.c) ---------------------------------------------------------------------- */

struct ps_cel_map {
    uint32_t n;
    uint32_t hmask;       /* hash index size - 1; 0: linear search */
    const struct ps_cel_value *keys;
    const struct ps_cel_value *vals;
    const uint32_t *index; /* entry number + 1, 0 for empty */
};

/* Byte equality for the short strings of keys and field names: 8 bytes at a time, no libc
 * call. */
static inline bool cel_bytes_eq(const char *a, const char *b, size_t n)
{
    while (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
        a += 8;
        b += 8;
        n -= 8;
    }
    while (n--)
        if (*a++ != *b++)
            return false;
    return true;
}

/* 1 equal, 0 not equal, -1 too deep. */
int cel_equal(struct ps_cel_value a, struct ps_cel_value b, unsigned depth);
/* Ordering of two values of orderable kinds (numbers across kinds): -1, 0, 1; 2 unordered
 * (NaN); 3 not comparable (no such overload). */
int cel_compare(struct ps_cel_value a, struct ps_cel_value b);
bool cel_is_numeric(uint8_t kind);
/* Builds a map in arena; NULL with *why set on a bad or repeated key, or with *why NULL when
 * the arena is exhausted. */
struct ps_cel_map *cel_map_make(struct ps_arena *arena, const struct ps_cel_value *keys,
                                const struct ps_cel_value *vals, uint32_t n, const char **why);
/* Builds a map in ev's arena; on a bad or repeated key returns an error value (eval.c). */
struct ps_cel_value cel_map_build(struct cel_eval *ev, uint32_t offset,
                                  const struct ps_cel_value *keys,
                                  const struct ps_cel_value *vals, uint32_t n);
/* Looks key up; an error value for a key kind maps cannot hold is not returned: absent. */
bool cel_map_find(const struct ps_cel_map *m, struct ps_cel_value key, struct ps_cel_value *out);
/* cel_map_find for a string key (field selection: the hot path). */
static inline bool cel_map_find_str(const struct ps_cel_map *m, const char *s, uint32_t n,
                                    struct ps_cel_value *out)
{
    if (m->hmask)
        return cel_map_find(m, (struct ps_cel_value){.kind = PS_CEL_STRING, .n = n, .v.s = s},
                            out);
    for (uint32_t i = 0; i < m->n; i++) {
        const struct ps_cel_value *k = &m->keys[i];
        if (k->kind == PS_CEL_STRING && k->n == n && cel_bytes_eq(k->v.s, s, n)) {
            if (out)
                *out = m->vals[i];
            return true;
        }
    }
    return false;
}

/* Map with no entries (static). */
extern const struct ps_cel_map cel_empty_map;
bool cel_utf8_valid(const char *p, size_t len);
/* Standard padded base64 of n bytes into out (4 * ((n + 2) / 3) bytes); returns the length. */
size_t cel_base64_encode(const unsigned char *in, size_t n, char *out);
/* Offset of the first byte that is not valid UTF-8; len when all are. */
size_t cel_utf8_invalid_at(const char *p, size_t len);
/* Code points in valid UTF-8. */
size_t cel_utf8_count(const char *p, size_t len);
/* Decodes one code point from valid UTF-8 at p (len > 0); returns its byte length. */
unsigned cel_utf8_decode(const unsigned char *p, size_t len, uint32_t *cp);
unsigned cel_utf8_encode(uint32_t cp, char out[4]);
/* Zero value of its kind (for optional.ofNonZeroValue). */
bool cel_is_zero(struct ps_cel_value v);

/* ---- text (print.c, time.c) ----------------------------------------------------------------- */

/* Shortest decimal that reads back as d, as Go's 'g' format: "1e+06", "0.0045", "NaN",
 * "+Inf"/"-Inf" spelt as the caller chooses (infinity: "Infinity"). */
size_t cel_format_double(char out[40], double d, bool cel_literal);
bool cel_buf_literal(struct ps_buf *b, struct ps_cel_value v, unsigned depth);
/* "2009-02-13T23:31:30Z" / "1.5s" into out (at least 40 bytes). */
size_t cel_format_timestamp(char out[40], int64_t sec, uint32_t nanos);
size_t cel_format_duration(char out[40], int64_t nanos);
/* Parses an RFC 3339 timestamp: 0 ok, -1 syntax, -2 out of range. */
int cel_parse_timestamp(const char *p, size_t len, int64_t *sec, uint32_t *nanos);
/* Parses a Go-style duration ("1h30m", "-1.5s", "0"): 0 ok, -1 syntax, -2 out of range. */
int cel_parse_duration(const char *p, size_t len, int64_t *nanos);
#define CEL_TS_MIN (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define CEL_TS_MAX 253402300799LL   /* 9999-12-31T23:59:59Z */
/* Days since 1970-01-01 to civil date and back (proleptic Gregorian). */
void cel_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
int64_t cel_days_from_civil(int64_t y, unsigned m, unsigned d);

/* ---- regular expressions (regex.c) ---------------------------------------------------------- */

/* Checks pattern for RE2 syntax PCRE2 would accept with another meaning or RE2 refuses
 * (backreferences, lookaround, possessive and atomic groups, recursion, conditionals,
 * callouts, \C \G \K \Z ...): PS_OK or PS_ERR_INVALID with the offending offset in *at. */
enum ps_err cel_re2_syntax(const char *p, size_t len, size_t *at, const char **why);
/* A pattern compiled at check time, in the program (freed with it); errors located at
 * offset (the pattern literal). */
enum ps_err cel_regex_compile_const(const struct ps_cel_program *prog, struct ps_str pattern,
                                    void **out, struct ps_cel_diag *diag, uint32_t offset);
/* 1 match, 0 no match; an error value (or stop) otherwise. code NULL: compile pattern in the
 * evaluation arena. */
struct ps_cel_value cel_regex_match(const struct ps_cel_call *c, const void *code,
                                    struct ps_str pattern, struct ps_str subject);

/* ---- time zones ----------------------------------------------------------------------------- */

/* Offset in seconds east of UTC of zone (UTC, +hh:mm, -hh:mm, hh:mm or an IANA name through
 * the resolver) at t. Error value when unknown. */
struct ps_cel_value cel_tz_offset(const struct ps_cel_call *c, struct ps_str zone, int64_t t,
                                  int32_t *off);

/* ---- diagnostics ---------------------------------------------------------------------------- */

/* Fills diag with code and message at offset, computing line and column from source. */
enum ps_err cel_diag_at(struct ps_cel_diag *diag, enum ps_err code, const char *source,
                        size_t len, uint32_t offset, const char *fmt, ...) PS_PRINTF(6, 7);
enum ps_err cel_diag_set(struct ps_cel_diag *diag, enum ps_err code, const char *fmt, ...)
    PS_PRINTF(3, 4);

#endif
