/* The planner: once a program is checked, every node gets the function that evaluates it
 * (cel_node.fn), chosen from what the checked tree knows and the generic walk (eval.c) would
 * find out again at every evaluation: leaves return their value, a field of a variable is
 * looked up directly, a call with one candidate calls it without a search, integer operators
 * are computed inline (with a constant operand read from the tree), and membership in a
 * constant list of strings or integers probes a hash set built here. Anything unusual
 * (another kind at runtime, an error, an optional) goes to the walk's own pieces with the
 * values already evaluated, so results, errors, their places and cost units are the walk's. */
#include "cel/cel_int.h"

#define EVAL(ev, n) ((n)->fn((ev), (n)))
#define STACK_ARGS 8

static struct ps_cel_value cost_stop(struct cel_eval *ev, const struct cel_node *n)
{
    return cel_stop(ev, PS_ERR_LIMIT, n->offset, "cost limit exceeded");
}

static inline uint64_t load8(const char *p)
{
    uint64_t x;
    memcpy(&x, p, 8);
    return x;
}

/* ---- leaves and selection ----------------------------------------------------------------- */

static struct ps_cel_value op_const(struct cel_eval *ev, const struct cel_node *n)
{
    (void)ev;
    return n->value;
}

static struct ps_cel_value op_local(struct cel_eval *ev, const struct cel_node *n)
{
    return ev->locals[n->slot];
}

static struct ps_cel_value op_var(struct cel_eval *ev, const struct cel_node *n)
{
    if (n->slot < ev->nvars && ev->vars[n->slot].kind != PS_CEL_UNSET)
        return ev->vars[n->slot];
    return cel_eval_walk(ev, n); /* the error */
}

/* Up to 8 bytes as one number, never reading past them: 4 to 8 bytes as two overlapping
 * 4-byte loads (key4, the second at n - 4), 1 to 3 as the single bytes at 0, n / 2 and n - 1
 * (key1) that cover them all. For a given n, equal numbers mean equal bytes. */
static inline uint64_t key4(const char *p, uint32_t n)
{
    return (uint64_t)cel_load4(p + n - 4) << 32 | cel_load4(p);
}

static inline uint64_t key1(const char *p, uint32_t n)
{
    return (uint64_t)(unsigned char)p[0] | (uint64_t)(unsigned char)p[n / 2] << 8 |
           (uint64_t)(unsigned char)p[n - 1] << 16;
}

static inline uint64_t load_key(const char *p, uint32_t n)
{
    if (n >= 4)
        return key4(p, n);
    return n ? key1(p, n) : 0;
}

/* A field name prepared at planning: kind and length as one word, a name of at most 8 bytes
 * as one number, the hash maps with an index file it under. */
struct cel_field {
    uint64_t head, bytes, hash;
    struct ps_cel_value name;
};

static const struct cel_field *field_new(struct ps_arena *a, struct ps_str name)
{
    struct cel_field *f = name.len < UINT32_MAX ? ps_arena_alloc(a, sizeof *f) : NULL;
    if (!f)
        return NULL;
    f->name = ps_cel_string(name);
    f->head = cel_value_head(&f->name);
    f->bytes = name.len <= 8 ? load_key(name.p, (uint32_t)name.len) : 0;
    f->hash = cel_map_key_hash(f->name);
    return f;
}

/* Every case of a selection from m the short ones below leave: a map with an index (by the
 * hash computed at planning), a longer name, an absent field, the errors. */
__attribute__((noinline)) static struct ps_cel_value field_slow(struct cel_eval *ev,
                                                                const struct cel_node *n,
                                                                struct ps_cel_value m)
{
    const struct cel_field *f = n->plan;
    if (m.kind == PS_CEL_MAP) {
        const struct ps_cel_value *v =
            m.v.map->hmask ? cel_map_lookup_hashed(m.v.map, f->name, f->hash)
                           : cel_map_str(m.v.map, f->name.v.s, f->name.n);
        if (v)
            return *v;
    }
    return cel_select_on(ev, n, m);
}

/* A selection from a variable or a comprehension variable (read again: no effect, no cost). */
__attribute__((noinline)) static struct ps_cel_value select_slow(struct cel_eval *ev,
                                                                 const struct cel_node *n)
{
    return field_slow(ev, n, EVAL(ev, n->target));
}

/* Selections of a field of 4 to 8 bytes (KEY key4) or 1 to 3 (KEY key1) from a map without an
 * index: heads compared, then the bytes as one number. The look-up (find) makes no call and
 * the selections only tail calls, so that it keeps no register saved. From a variable (read
 * without a call), a comprehension variable, any expression. */
#define SELECT_OPS(sfx, KEY)                                                                   \
    static inline const struct ps_cel_value *find##sfx(struct ps_cel_value m,                  \
                                                       const struct cel_field *f)              \
    {                                                                                          \
        if (m.kind != PS_CEL_MAP || m.v.map->hmask)                                            \
            return NULL;                                                                       \
        const struct ps_cel_map *map = m.v.map;                                                \
        for (uint32_t i = 0; i < map->n; i++)                                                  \
            if (cel_value_head(&map->keys[i]) == f->head &&                                    \
                KEY(map->keys[i].v.s, f->name.n) == f->bytes)                                  \
                return &map->vals[i];                                                          \
        return NULL;                                                                           \
    }                                                                                          \
    static struct ps_cel_value op_select_var##sfx(struct cel_eval *ev, const struct cel_node *n)\
    {                                                                                          \
        const struct cel_node *t = n->target;                                                  \
        const struct ps_cel_value *v =                                                         \
            t->slot < ev->nvars ? find##sfx(ev->vars[t->slot], n->plan) : NULL;                \
        return v ? *v : select_slow(ev, n);                                                    \
    }                                                                                          \
    static struct ps_cel_value op_select_local##sfx(struct cel_eval *ev,                       \
                                                    const struct cel_node *n)                  \
    {                                                                                          \
        const struct ps_cel_value *v = find##sfx(ev->locals[n->target->slot], n->plan);        \
        return v ? *v : select_slow(ev, n);                                                    \
    }                                                                                          \
    static struct ps_cel_value op_select##sfx(struct cel_eval *ev, const struct cel_node *n)   \
    {                                                                                          \
        struct ps_cel_value m = EVAL(ev, n->target);                                           \
        const struct ps_cel_value *v = find##sfx(m, n->plan);                                  \
        return v ? *v : field_slow(ev, n, m);                                                  \
    }
SELECT_OPS(4, key4)
SELECT_OPS(1, key1)

/* Any other name (empty or longer than 8 bytes). */
static struct ps_cel_value op_select_other(struct cel_eval *ev, const struct cel_node *n)
{
    return field_slow(ev, n, EVAL(ev, n->target));
}

/* target[index] (not [?]): a map by a string, a list by an int, here; the rest in eval.c. A
 * variable as the target is read without a call. */
static struct ps_cel_value op_index(struct cel_eval *ev, const struct cel_node *n)
{
    const struct cel_node *t = n->target;
    struct ps_cel_value v = t->kind == N_VAR && t->slot < ev->nvars &&
                                    ev->vars[t->slot].kind != PS_CEL_UNSET
                                ? ev->vars[t->slot]
                                : EVAL(ev, t);
    if (v.kind == PS_CEL_ERROR)
        return v;
    struct ps_cel_value i = EVAL(ev, n->args[0]);
    if (v.kind == PS_CEL_MAP && i.kind == PS_CEL_STRING) {
        const struct ps_cel_value *r = cel_map_str(v.v.map, i.v.s, i.n);
        if (r)
            return *r;
    }
    if (v.kind == PS_CEL_LIST && i.kind == PS_CEL_INT && i.v.i >= 0 && (uint64_t)i.v.i < v.n)
        return v.v.items[i.v.i];
    if (i.kind == PS_CEL_ERROR)
        return i;
    return cel_index_on(ev, n, v, i);
}

/* ---- calls -------------------------------------------------------------------------------- */

/* Any call: the arguments through their own functions, then the walk's dispatch. */
static struct ps_cel_value op_call(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value args[STACK_ARGS];
    for (uint32_t i = 0; i < n->nargs; i++) {
        args[i] = EVAL(ev, n->args[i]);
        if (args[i].kind == PS_CEL_ERROR)
            return args[i];
    }
    return cel_dispatch(ev, n, args);
}

static inline struct ps_cel_value call_one(struct cel_eval *ev, const struct cel_node *n,
                                           const struct ps_cel_value *args)
{
    const struct cel_overload *ov = n->cands[0];
    if (++ev->cost > ev->max_cost)
        return cost_stop(ev, n);
    ev->at = n->offset;
    struct ps_cel_call call = {ev, n, ov, n->nargs};
    return ov->impl(&call, args);
}

/* A call with one candidate of one parameter: its kind checked, no search. */
static struct ps_cel_value op_call1(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value a = EVAL(ev, n->args[0]);
    if (a.kind == PS_CEL_ERROR)
        return a;
    uint8_t k = n->cands[0]->kinds[0];
    if (k != PS_CEL_UNSET && a.kind != k)
        return cel_dispatch(ev, n, &a); /* no such overload */
    return call_one(ev, n, &a);
}

static struct ps_cel_value op_call2(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value a[2];
    a[0] = EVAL(ev, n->args[0]);
    if (a[0].kind == PS_CEL_ERROR)
        return a[0];
    a[1] = EVAL(ev, n->args[1]);
    if (a[1].kind == PS_CEL_ERROR)
        return a[1];
    const uint8_t *k = n->cands[0]->kinds;
    if ((k[0] != PS_CEL_UNSET && a[0].kind != k[0]) || (k[1] != PS_CEL_UNSET && a[1].kind != k[1]))
        return cel_dispatch(ev, n, a);
    return call_one(ev, n, a);
}

/* The walk's dispatch of two evaluated arguments (the uncommon path, out of line so that the
 * operators' frames hold no array). */
__attribute__((noinline)) static struct ps_cel_value dispatch2(struct cel_eval *ev,
                                                               const struct cel_node *n,
                                                               struct ps_cel_value a0,
                                                               struct ps_cel_value a1)
{
    struct ps_cel_value a[2] = {a0, a1};
    return cel_dispatch(ev, n, a);
}

__attribute__((noinline)) static struct ps_cel_value dispatch1(struct cel_eval *ev,
                                                               const struct cel_node *n,
                                                               struct ps_cel_value a)
{
    return cel_dispatch(ev, n, &a);
}

/* t.getFullYear(), t.getMonth(), ... (no time zone): the part computed without a call's
 * set-up; another kind is dispatched (no such overload). */
static struct ps_cel_value op_ts_part(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value t = EVAL(ev, n->args[0]);
    if (t.kind == PS_CEL_TIMESTAMP && ev->cost < ev->max_cost) {
        ev->cost++;
        return cel_timestamp_part(ev, n->cands[0]->special - S_TS_PART, t.v.i, t.n);
    }
    if (t.kind == PS_CEL_ERROR)
        return t;
    return dispatch1(ev, n, t);
}

/* Integer operators: (int, int) computed here, anything else (and overflow) dispatched. With
 * a constant right operand (x < 18) that operand is read from the tree. */
#define INT_OP(name, op)                                                                       \
    static struct ps_cel_value name(struct cel_eval *ev, const struct cel_node *n)             \
    {                                                                                          \
        struct ps_cel_value a = EVAL(ev, n->args[0]), r;                                       \
        if (a.kind == PS_CEL_ERROR)                                                            \
            return a;                                                                          \
        struct ps_cel_value b = EVAL(ev, n->args[1]);                                          \
        if (b.kind == PS_CEL_ERROR)                                                            \
            return b;                                                                          \
        if (a.kind == PS_CEL_INT && b.kind == PS_CEL_INT && ev->cost < ev->max_cost &&        \
            cel_fast_int(op, a.v.i, b.v.i, &r)) {                                              \
            ev->cost++;                                                                        \
            return r;                                                                          \
        }                                                                                      \
        return dispatch2(ev, n, a, b);                                                         \
    }                                                                                          \
    static struct ps_cel_value name##_k(struct cel_eval *ev, const struct cel_node *n)         \
    {                                                                                          \
        struct ps_cel_value a = EVAL(ev, n->args[0]), r;                                       \
        if (a.kind == PS_CEL_INT && ev->cost < ev->max_cost &&                                 \
            cel_fast_int(op, a.v.i, n->args[1]->value.v.i, &r)) {                              \
            ev->cost++;                                                                        \
            return r;                                                                          \
        }                                                                                      \
        if (a.kind == PS_CEL_ERROR)                                                            \
            return a;                                                                          \
        return dispatch2(ev, n, a, n->args[1]->value);                                         \
    }
INT_OP(op_lt, F_LT)
INT_OP(op_le, F_LE)
INT_OP(op_gt, F_GT)
INT_OP(op_ge, F_GE)
INT_OP(op_add, F_ADD)
INT_OP(op_sub, F_SUB)
INT_OP(op_mul, F_MUL)

static const cel_op int_ops[][2] = {
    [F_LT] = {op_lt, op_lt_k},   [F_LE] = {op_le, op_le_k},   [F_GT] = {op_gt, op_gt_k},
    [F_GE] = {op_ge, op_ge_k},
    [F_ADD] = {op_add, op_add_k}, [F_SUB] = {op_sub, op_sub_k}, [F_MUL] = {op_mul, op_mul_k},
};

/* a == b and a != b (the "equals" overload): same-kind ints, strings and bools compared
 * here, anything else (numbers across kinds, lists, maps...) by the dispatch. */
static inline int equal_inline(struct ps_cel_value a, struct ps_cel_value b)
{
    if (a.kind != b.kind)
        return -1;
    switch (a.kind) {
    case PS_CEL_INT: return a.v.i == b.v.i;
    case PS_CEL_STRING: return a.n == b.n && cel_bytes_eq(a.v.s, b.v.s, a.n);
    case PS_CEL_BOOL: return a.v.b == b.v.b;
    default: return -1;
    }
}

#define EQ_OP(name, want)                                                                      \
    static struct ps_cel_value name(struct cel_eval *ev, const struct cel_node *n)             \
    {                                                                                          \
        struct ps_cel_value a = EVAL(ev, n->args[0]);                                          \
        if (a.kind == PS_CEL_ERROR)                                                            \
            return a;                                                                          \
        struct ps_cel_value b = EVAL(ev, n->args[1]);                                          \
        if (b.kind == PS_CEL_ERROR)                                                            \
            return b;                                                                          \
        int e = equal_inline(a, b);                                                            \
        if (e < 0 || ev->cost >= ev->max_cost)                                                 \
            return dispatch2(ev, n, a, b);                                                     \
        ev->cost++;                                                                            \
        return ps_cel_bool(e == (want));                                                       \
    }
EQ_OP(op_eq, 1)
EQ_OP(op_ne, 0)

/* ---- membership in a constant list -------------------------------------------------------- */

/* The items of a constant list of strings only, or ints only, by hash (open addressing). A
 * slot keeps what a probe compares: the item's head (kind and length), its key (an int, the
 * bytes of a string of at most 8, the hash of a longer one) and its number + 1 (0: empty). */
struct set_slot {
    uint64_t head, key;
    uint32_t item;
};

struct cel_set {
    uint8_t kind; /* PS_CEL_STRING or PS_CEL_INT */
    uint32_t mask;
    struct ps_cel_value list;
    struct set_slot slot[];
};

/* A hash of the bytes, eight at a time. */
static uint64_t str_hash(const char *p, uint32_t n)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ n;
    while (n >= 8) {
        h = (h ^ load8(p)) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        p += 8;
        n -= 8;
    }
    h = (h ^ load_key(p, n)) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

static inline uint64_t item_key(struct ps_cel_value v)
{
    if (v.kind == PS_CEL_INT)
        return (uint64_t)v.v.i;
    return v.n <= 8 ? load_key(v.v.s, v.n) : str_hash(v.v.s, v.n);
}

static inline uint64_t key_hash(uint64_t key, uint64_t head)
{
    uint64_t h = (key ^ head) * 0xff51afd7ed558ccdULL;
    return h ^ (h >> 32);
}

/* The number of x's slot (x of the set's kind), or of the empty one where it would go. */
static inline uint64_t set_probe(const struct cel_set *s, struct ps_cel_value x)
{
    uint64_t head = cel_value_head(&x), key = item_key(x);
    for (uint64_t h = key_hash(key, head);; h++) {
        const struct set_slot *e = &s->slot[h & s->mask];
        if (!e->item || (e->key == key && e->head == head &&
                         (x.kind == PS_CEL_INT || x.n <= 8 ||
                          cel_bytes_eq(s->list.v.items[e->item - 1].v.s, x.v.s, x.n))))
            return h & s->mask;
    }
}

/* The set of list (a constant), or NULL when its items are not all strings or all ints. */
static const struct cel_set *set_build(struct ps_arena *a, struct ps_cel_value list)
{
    if (list.kind != PS_CEL_LIST || list.n == 0 || list.n > (1u << 24))
        return NULL;
    uint8_t kind = list.v.items[0].kind;
    if (kind != PS_CEL_STRING && kind != PS_CEL_INT)
        return NULL;
    for (uint32_t i = 0; i < list.n; i++)
        if (list.v.items[i].kind != kind)
            return NULL;
    uint32_t cap = 8;
    while (cap < 2 * list.n)
        cap *= 2;
    struct cel_set *s = ps_arena_zalloc(a, sizeof *s + cap * sizeof s->slot[0]);
    if (!s)
        return NULL;
    *s = (struct cel_set){kind, cap - 1, list};
    for (uint32_t i = 0; i < list.n; i++) {
        struct set_slot *e = &s->slot[set_probe(s, list.v.items[i])];
        if (!e->item) /* else a repeated item */
            *e = (struct set_slot){cel_value_head(&list.v.items[i]),
                                   item_key(list.v.items[i]), i + 1};
    }
    return s;
}

/* x in [constant list]: a probe when x has the items' kind, the list's cost units as in_list
 * (std_core.c) counts them; other kinds (1u in [1, 2]) dispatched to in_list. */
static struct ps_cel_value op_in_set(struct cel_eval *ev, const struct cel_node *n)
{
    const struct cel_set *s = n->plan;
    struct ps_cel_value x = EVAL(ev, n->args[0]);
    if (x.kind != s->kind)
        return x.kind == PS_CEL_ERROR ? x : dispatch2(ev, n, x, s->list);
    if (++ev->cost > ev->max_cost)
        return cost_stop(ev, n);
    if (s->slot[set_probe(s, x)].item)
        return ps_cel_bool(true);
    ev->cost += s->list.n / 16;
    if (ev->cost > ev->max_cost)
        return cost_stop(ev, n);
    return ps_cel_bool(false);
}

/* ---- matches() with a constant pattern ---------------------------------------------------- */

/* s.matches('constant') when the pattern has a DFA (regex_dfa.c): an ASCII subject is
 * answered here with the units the call and the match count (1 + 1 per 64 bytes); anything
 * else (another subject, a cost past the limit) goes through the call as usual. */
static struct ps_cel_value op_matches(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value s = EVAL(ev, n->args[0]);
    if (s.kind == PS_CEL_STRING) {
        uint64_t units = 2 + s.n / 64;
        if (ev->cost + units <= ev->max_cost) {
            int m = cel_dfa_match(n->plan, s.v.s, s.n);
            if (m >= 0) {
                ev->cost += units;
                return ps_cel_bool(m);
            }
        }
    }
    if (s.kind == PS_CEL_ERROR)
        return s;
    return dispatch2(ev, n, s, n->args[1]->value);
}

/* ---- comprehensions ----------------------------------------------------------------------- */

/* all and exists of one variable over a list: the predicate through its own function; the
 * first predicate that is not a bool hands the rest of the loop to the walk's rules. */
#define QUANTIFIER(name, want)                                                                 \
    static struct ps_cel_value name(struct cel_eval *ev, const struct cel_node *n)             \
    {                                                                                          \
        struct ps_cel_value r = EVAL(ev, n->target);                                           \
        if (r.kind != PS_CEL_LIST)                                                             \
            return cel_compr_on(ev, n, r);                                                     \
        const struct cel_node *body = n->args[0];                                              \
        for (uint32_t i = 0; i < r.n; i++) {                                                   \
            if (++ev->cost > ev->max_cost)                                                     \
                return cost_stop(ev, n);                                                       \
            ev->locals[n->slot] = r.v.items[i];                                                \
            struct ps_cel_value p = EVAL(ev, body);                                            \
            if (p.kind != PS_CEL_BOOL)                                                         \
                return cel_quantify_from(ev, n, r, i, p);                                      \
            if (p.v.b == (want))                                                               \
                return p;                                                                      \
        }                                                                                      \
        return ps_cel_bool(!(want));                                                           \
    }
QUANTIFIER(op_exists, true)
QUANTIFIER(op_all, false)

/* ---- choosing ----------------------------------------------------------------------------- */

static bool is_const_int(const struct cel_node *n)
{
    return n->kind == N_CONST && n->value.kind == PS_CEL_INT;
}

static cel_op plan_call(struct ps_arena *a, struct cel_node *n)
{
    if (n->op && n->nargs == 2 && n->op < sizeof int_ops / sizeof int_ops[0])
        return int_ops[n->op][is_const_int(n->args[1])];
    if (n->nargs == 2 && n->ncand >= 1 && n->cands[0]->special == S_IN_LIST &&
        n->args[1]->kind == N_CONST && n->ncand <= 2) {
        const struct cel_set *s = set_build(a, n->args[1]->value);
        if (s) {
            n->plan = s;
            return op_in_set;
        }
    }
    if (n->nargs == 2 && n->ncand == 1 && n->cands[0]->special == S_MATCHES &&
        n->args[1]->kind == N_CONST && (n->plan = cel_regex_dfa(n->aux)))
        return op_matches;
    if (n->nargs == 1 && n->ncand == 1 && n->cands[0]->special >= S_TS_PART &&
        n->cands[0]->special < S_TS_PART + CEL_TS_PARTS)
        return op_ts_part;
    if (n->nargs > STACK_ARGS)
        return cel_eval_walk;
    if (n->nargs == 2 && n->ncand >= 1 && (n->cands[0]->fast == F_EQ || n->cands[0]->fast == F_NE))
        return n->cands[0]->fast == F_EQ ? op_eq : op_ne;
    const struct cel_overload *ov = n->ncand == 1 ? n->cands[0] : NULL;
    /* variadic overloads keep the dispatch's kind rule */
    if (!ov || (ov->flags & PS_CEL_FN_VARIADIC) || ov->nparams != n->nargs)
        return op_call;
    return n->nargs == 1 ? op_call1 : n->nargs == 2 ? op_call2 : op_call;
}

static cel_op plan_select(struct ps_arena *a, struct cel_node *n)
{
    if (n->flags & (NF_OPT | NF_TEST) || !(n->plan = field_new(a, n->name)))
        return cel_eval_walk;
    static const cel_op ops[2][3] = {
        {op_select_var1, op_select_local1, op_select1},
        {op_select_var4, op_select_local4, op_select4},
    };
    uint8_t t = n->target->kind;
    if (n->name.len == 0 || n->name.len > 8)
        return op_select_other;
    return ops[n->name.len >= 4][t == N_VAR ? 0 : t == N_LOCAL ? 1 : 2];
}

static cel_op choose(struct ps_arena *a, struct cel_node *n)
{
    switch (n->kind) {
    case N_CONST: return op_const;
    case N_LOCAL: return op_local;
    case N_VAR: return op_var;
    case N_SELECT: return plan_select(a, n);
    case N_INDEX: return (n->flags & NF_OPT) ? cel_eval_walk : op_index;
    case N_FUNC: return plan_call(a, n);
    case N_COMPR:
        if (n->nvars == 1 && (n->op == M_EXISTS || n->op == M_ALL))
            return n->op == M_EXISTS ? op_exists : op_all;
        return cel_eval_compr;
    case N_AND:
    case N_OR: return cel_eval_logic;
    case N_COND: return cel_eval_cond;
    case N_LIST: return cel_eval_list;
    case N_MAP: return cel_eval_map;
    case N_OPT_OR: return cel_eval_opt_or;
    default: return cel_eval_walk;
    }
}

/* Children first; the height of the tree is bounded by the parser (max_depth). */
static void plan_node(struct ps_arena *a, struct cel_node *n)
{
    if (n->fn)
        return; /* shared by a macro expansion */
    if (n->target)
        plan_node(a, n->target);
    for (uint32_t i = 0; i < n->nargs; i++)
        plan_node(a, n->args[i]);
    n->fn = choose(a, n);
}

void cel_plan(struct ps_cel_program *p)
{
    plan_node(p->arena, p->root);
}

static void unplan_node(struct cel_node *n)
{
    if (n->target)
        unplan_node(n->target);
    for (uint32_t i = 0; i < n->nargs; i++)
        unplan_node(n->args[i]);
    n->fn = NULL;
}

void cel_plan_remove(struct ps_cel_program *p)
{
    unplan_node(p->root);
    p->root->fn = cel_eval_walk;
}
