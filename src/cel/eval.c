/* The evaluator: the generic walk of the checked tree (a switch on each node's kind, used by
 * constant folding and for the nodes plan.c does not specialise), the pieces the planned
 * functions fall back on, the host function interface and the entry points. Scalars never
 * allocate; lists, maps, strings and
 * errors go to the caller's arena. Calls dispatch among the few overloads the checker left by
 * the arguments' runtime kinds; && and || absorb errors commutatively (langdef "Logical
 * Operators"); comprehensions run in C with the spec's error rules. Every call and loop step
 * costs a unit; past the limit, or when the arena budget or a host function fails, the
 * evaluation stops and that error is never absorbed. */
#include <stdio.h>

#include "cel/cel_int.h"
#include "core/str.h"

#define STACK_ARGS 8
/* Keeps cel_eval_node's frame small: it recurses once per node. */
#define NOINLINE __attribute__((noinline))

/* ---- errors ------------------------------------------------------------------------------------ */

static const struct ps_cel_error err_budget = {PS_ERR_LIMIT, UINT32_MAX,
                                               "memory budget exhausted"};

static struct ps_cel_value err_value(const struct ps_cel_error *e)
{
    return (struct ps_cel_value){.kind = PS_CEL_ERROR, .v.err = e};
}

struct ps_cel_value cel_stop(struct cel_eval *ev, enum ps_err code, uint32_t offset,
                             const char *msg)
{
    if (!ev->stop) {
        if (offset == UINT32_MAX)
            offset = ev->at;
        struct ps_cel_error *e = ps_arena_alloc(ev->arena, sizeof *e);
        if (e)
            *e = (struct ps_cel_error){code, offset, msg};
        ev->stop = e ? e : &err_budget;
    }
    return err_value(ev->stop);
}

struct ps_cel_value cel_errv(struct cel_eval *ev, uint32_t offset, const char *fmt, va_list ap)
{
    if (ev->stop)
        return err_value(ev->stop);
    struct ps_cel_error *e = ps_arena_alloc(ev->arena, sizeof *e);
    char *msg = e ? ps_arena_alloc(ev->arena, 200) : NULL;
    if (!msg)
        return cel_stop(ev, PS_ERR_LIMIT, offset, "memory budget exhausted");
    ps_str_vcut(msg, 200, fmt, ap);
    *e = (struct ps_cel_error){PS_ERR_INVALID, offset, msg};
    return err_value(e);
}

struct ps_cel_value cel_err(struct cel_eval *ev, uint32_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct ps_cel_value v = cel_errv(ev, offset, fmt, ap);
    va_end(ap);
    return v;
}

struct ps_cel_value cel_call_err(const struct ps_cel_call *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct ps_cel_value v = cel_errv(c->ev, c->node->offset, fmt, ap);
    va_end(ap);
    return v;
}

struct ps_cel_value cel_no_overload(const struct ps_cel_call *c)
{
    return cel_call_err(c, "no such overload: %.*s", PS_STR_FMT(c->node->name));
}

void *cel_alloc(struct cel_eval *ev, size_t size)
{
    void *p = ps_arena_alloc(ev->arena, size);
    if (!p)
        cel_stop(ev, PS_ERR_LIMIT, UINT32_MAX, "memory budget exhausted");
    return p;
}

void *cel_alloc_array(struct cel_eval *ev, size_t n, size_t size)
{
    size_t total;
    if (!ps_size_mul(n, size, &total)) {
        cel_stop(ev, PS_ERR_LIMIT, UINT32_MAX, "memory budget exhausted");
        return NULL;
    }
    return cel_alloc(ev, total ? total : 1);
}

bool cel_cost(struct cel_eval *ev, uint64_t units)
{
    ev->cost += units;
    if (ev->cost <= ev->max_cost)
        return true;
    cel_stop(ev, PS_ERR_LIMIT, UINT32_MAX, "cost limit exceeded");
    return false;
}

/* ---- strings built in the arena ---------------------------------------------------------------- */

bool cel_sb_put(struct cel_sb *sb, const void *p, size_t n)
{
    if (sb->failed)
        return false;
    if (n > CEL_MAX_STRING || sb->len > CEL_MAX_STRING - n) {
        sb->failed = true;
        cel_stop(sb->ev, PS_ERR_LIMIT, UINT32_MAX, "string longer than 4 GiB");
        return false;
    }
    if (sb->len + n > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 64;
        while (cap < sb->len + n)
            cap *= 2;
        char *np = cel_alloc(sb->ev, cap);
        if (!np || !cel_cost(sb->ev, cap / 256)) {
            sb->failed = true;
            return false;
        }
        if (sb->len)
            memcpy(np, sb->p, sb->len);
        sb->p = np;
        sb->cap = cap;
    }
    if (n)
        memcpy(sb->p + sb->len, p, n);
    sb->len += n;
    return true;
}

bool cel_sb_cstr(struct cel_sb *sb, const char *s)
{
    return cel_sb_put(sb, s, strlen(s));
}

bool cel_sb_printf(struct cel_sb *sb, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf) {
        sb->failed = true;
        cel_stop(sb->ev, PS_ERR_INTERNAL, UINT32_MAX, "formatting failed");
        return false;
    }
    return cel_sb_put(sb, buf, (size_t)n);
}

struct ps_cel_value cel_sb_value(struct cel_sb *sb, uint8_t kind)
{
    if (sb->failed || sb->ev->stop)
        return cel_stop(sb->ev, PS_ERR_LIMIT, UINT32_MAX, "memory budget exhausted");
    return (struct ps_cel_value){.kind = kind, .n = (uint32_t)sb->len, .v.s = sb->p ? sb->p : ""};
}

struct ps_cel_value cel_map_build(struct cel_eval *ev, uint32_t offset,
                                  const struct ps_cel_value *keys,
                                  const struct ps_cel_value *vals, uint32_t n)
{
    const char *why;
    struct ps_cel_map *m = cel_map_make(ev->arena, keys, vals, n, &why);
    if (!m)
        return why ? cel_err(ev, offset, "%s", why)
                   : cel_stop(ev, PS_ERR_LIMIT, offset, "memory budget exhausted");
    return (struct ps_cel_value){.kind = PS_CEL_MAP, .v.map = m};
}

/* ---- the host function interface -------------------------------------------------------------- */

struct ps_arena *ps_cel_call_arena(const struct ps_cel_call *call)
{
    return call->ev->arena;
}

void *ps_cel_call_udata(const struct ps_cel_call *call)
{
    return call->ov->udata;
}

void *ps_cel_call_host(const struct ps_cel_call *call)
{
    return call->ev->opts->host;
}

struct ps_cel_value ps_cel_call_error(const struct ps_cel_call *call, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    struct ps_cel_value v = cel_errv(call->ev, call->node->offset, fmt, ap);
    va_end(ap);
    return v;
}

struct ps_cel_value ps_cel_call_fail(const struct ps_cel_call *call, enum ps_err code,
                                     const char *fmt, ...)
{
    PS_ASSERT(code != PS_OK && code != PS_ERR_INVALID);
    va_list ap;
    va_start(ap, fmt);
    struct ps_cel_value v = cel_errv(call->ev, call->node->offset, fmt, ap);
    va_end(ap);
    if (v.kind == PS_CEL_ERROR && !call->ev->stop) {
        ((struct ps_cel_error *)v.v.err)->code = code;
        call->ev->stop = v.v.err;
    }
    return v;
}

bool ps_cel_call_cost(const struct ps_cel_call *call, uint64_t units)
{
    return cel_cost(call->ev, units);
}

/* ---- calls -------------------------------------------------------------------------------------- */

static bool kinds_match(const struct cel_overload *ov, const struct ps_cel_value *args,
                        uint32_t nargs)
{
    for (uint32_t i = 0; i < nargs; i++) {
        uint8_t k = ov->kinds[i < ov->nparams ? i : ov->nparams - 1u];
        if (k != PS_CEL_UNSET && args[i].kind != k)
            return false;
    }
    return true;
}

/* Calls the first candidate whose parameter kinds the evaluated arguments have. */
struct ps_cel_value cel_dispatch(struct cel_eval *ev, const struct cel_node *n,
                                 const struct ps_cel_value *args)
{
    if (++ev->cost > ev->max_cost)
        return cel_stop(ev, PS_ERR_LIMIT, n->offset, "cost limit exceeded");
    struct ps_cel_call call = {ev, n, NULL, n->nargs};
    ev->at = n->offset;
    for (uint16_t k = 0; k < n->ncand; k++)
        if (kinds_match(n->cands[k], args, n->nargs)) {
            call.ov = n->cands[k];
            struct ps_cel_value r;
            if (call.ov->fast && args[0].kind == PS_CEL_INT && args[1].kind == PS_CEL_INT &&
                cel_fast_int(call.ov->fast, args[0].v.i, args[1].v.i, &r))
                return r;
            if ((call.ov->fast == F_EQ || call.ov->fast == F_NE) &&
                args[0].kind == PS_CEL_STRING && args[1].kind == PS_CEL_STRING)
                return ps_cel_bool((args[0].n == args[1].n &&
                                    cel_bytes_eq(args[0].v.s, args[1].v.s, args[0].n)) ==
                                   (call.ov->fast == F_EQ));
            return call.ov->impl(&call, args);
        }
    return cel_no_overload(&call);
}

NOINLINE static struct ps_cel_value eval_func(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value stack[STACK_ARGS];
    struct ps_cel_value *args = stack;
    if (n->nargs > STACK_ARGS && !(args = cel_alloc_array(ev, n->nargs, sizeof *args)))
        return err_value(ev->stop);
    for (uint32_t i = 0; i < n->nargs; i++) {
        args[i] = cel_eval_node(ev, n->args[i]);
        if (args[i].kind == PS_CEL_ERROR)
            return args[i];
    }
    return cel_dispatch(ev, n, args);
}

/* ---- logic --------------------------------------------------------------------------------------- */

struct ps_cel_value cel_eval_logic(struct cel_eval *ev, const struct cel_node *n)
{
    bool is_and = n->kind == N_AND;
    struct ps_cel_value l = cel_eval_node(ev, n->args[0]);
    if (l.kind == PS_CEL_BOOL && l.v.b != is_and)
        return l; /* false && _, true || _ */
    if (ev->stop)
        return err_value(ev->stop);
    struct ps_cel_value r = cel_eval_node(ev, n->args[1]);
    if (r.kind == PS_CEL_BOOL && r.v.b != is_and)
        return r;
    if (ev->stop)
        return err_value(ev->stop);
    if (l.kind == PS_CEL_ERROR)
        return l;
    if (r.kind == PS_CEL_ERROR)
        return r;
    if (l.kind != PS_CEL_BOOL || r.kind != PS_CEL_BOOL)
        return cel_err(ev, n->offset, "no matching overload for '%s'", is_and ? "_&&_"
                                                                              : "_||_");
    return l;
}

struct ps_cel_value cel_eval_cond(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value c = cel_eval_node(ev, n->args[0]);
    if (c.kind == PS_CEL_ERROR)
        return c;
    if (c.kind != PS_CEL_BOOL)
        return cel_err(ev, n->offset, "no matching overload for '_?_:_'");
    return cel_eval_node(ev, n->args[c.v.b ? 1 : 2]);
}

/* ---- optionals, selection, indexing ---------------------------------------------------------- */

static struct ps_cel_value opt_of(struct cel_eval *ev, struct ps_cel_value v)
{
    struct ps_cel_value *p = cel_alloc(ev, sizeof *p);
    if (!p)
        return err_value(ev->stop);
    *p = v;
    return (struct ps_cel_value){.kind = PS_CEL_OPTIONAL, .v.opt = p};
}

static struct ps_cel_value opt_none(void)
{
    return (struct ps_cel_value){.kind = PS_CEL_OPTIONAL, .v.opt = NULL};
}

static struct ps_cel_value select_field(struct cel_eval *ev, const struct cel_node *n,
                                        struct ps_cel_value v, bool opt)
{
    if (v.kind == PS_CEL_OPTIONAL) {
        if (!v.v.opt)
            return v;
        return select_field(ev, n, *v.v.opt, true);
    }
    if (v.kind != PS_CEL_MAP)
        return cel_err(ev, n->offset, "type '%s' does not support field selection",
                       cel_type_name(cel_type_of_kind(v.kind)));
    struct ps_cel_value out;
    bool found = cel_map_find_str(v.v.map, n->name.p, (uint32_t)n->name.len, &out);
    if (opt)
        return found ? opt_of(ev, out) : opt_none();
    if (!found)
        return cel_err(ev, n->offset, "no such key: '%.*s'", PS_STR_FMT(n->name));
    return out;
}

static struct ps_cel_value has_field(struct cel_eval *ev, const struct cel_node *n,
                                     struct ps_cel_value v)
{
    if (v.kind == PS_CEL_OPTIONAL)
        return v.v.opt ? has_field(ev, n, *v.v.opt) : ps_cel_bool(false);
    if (v.kind != PS_CEL_MAP)
        return cel_err(ev, n->offset, "invalid type for has(): '%s'",
                       cel_type_name(cel_type_of_kind(v.kind)));
    return ps_cel_bool(cel_map_find(v.v.map, ps_cel_string(n->name), NULL));
}

struct ps_cel_value cel_select_on(struct cel_eval *ev, const struct cel_node *n,
                                  struct ps_cel_value v)
{
    if (v.kind == PS_CEL_ERROR)
        return v;
    if (n->flags & NF_TEST)
        return has_field(ev, n, v);
    return select_field(ev, n, v, (n->flags & NF_OPT) != 0);
}

NOINLINE static struct ps_cel_value eval_select(struct cel_eval *ev, const struct cel_node *n)
{
    return cel_select_on(ev, n, cel_eval_node(ev, n->target));
}

static struct ps_cel_value index_list(struct cel_eval *ev, const struct cel_node *n,
                                      struct ps_cel_value l, struct ps_cel_value i, bool opt)
{
    int64_t at;
    if (i.kind == PS_CEL_INT) {
        at = i.v.i;
    } else if (i.kind == PS_CEL_UINT) {
        at = i.v.u > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)i.v.u;
    } else if (i.kind == PS_CEL_DOUBLE && i.v.d == (double)(int64_t)i.v.d &&
               i.v.d > -9.2e18 && i.v.d < 9.2e18) {
        at = (int64_t)i.v.d;
    } else {
        return cel_err(ev, n->offset, "invalid_argument: list index must be an integer, "
                       "found '%s'", cel_type_name(cel_type_of_kind(i.kind)));
    }
    if (at < 0 || (uint64_t)at >= l.n) {
        if (opt)
            return opt_none();
        return cel_err(ev, n->offset, "invalid_argument: index out of range: %lld",
                       (long long)at);
    }
    return opt ? opt_of(ev, l.v.items[at]) : l.v.items[at];
}

static struct ps_cel_value index_value(struct cel_eval *ev, const struct cel_node *n,
                                       struct ps_cel_value v, struct ps_cel_value i, bool opt)
{
    if (v.kind == PS_CEL_OPTIONAL) {
        if (!v.v.opt)
            return v;
        return index_value(ev, n, *v.v.opt, i, true);
    }
    if (v.kind == PS_CEL_LIST)
        return index_list(ev, n, v, i, opt);
    if (v.kind != PS_CEL_MAP)
        return cel_err(ev, n->offset, "no such overload: '_[_]' on '%s'",
                       cel_type_name(cel_type_of_kind(v.kind)));
    struct ps_cel_value out;
    bool found = i.kind == PS_CEL_STRING ? cel_map_find_str(v.v.map, i.v.s, i.n, &out)
                                         : cel_map_find(v.v.map, i, &out);
    if (found)
        return opt ? opt_of(ev, out) : out;
    if (opt)
        return opt_none();
    if (i.kind == PS_CEL_STRING)
        return cel_err(ev, n->offset, "no such key: '%.*s'", (int)(i.n > 64 ? 64 : i.n),
                       i.v.s);
    return cel_err(ev, n->offset, "no such key");
}

struct ps_cel_value cel_index_on(struct cel_eval *ev, const struct cel_node *n,
                                 struct ps_cel_value target, struct ps_cel_value index)
{
    return index_value(ev, n, target, index, (n->flags & NF_OPT) != 0);
}

NOINLINE static struct ps_cel_value eval_index(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value v = cel_eval_node(ev, n->target);
    if (v.kind == PS_CEL_ERROR)
        return v;
    struct ps_cel_value i = cel_eval_node(ev, n->args[0]);
    if (i.kind == PS_CEL_ERROR)
        return i;
    return index_value(ev, n, v, i, (n->flags & NF_OPT) != 0);
}

struct ps_cel_value cel_eval_opt_or(struct cel_eval *ev, const struct cel_node *n)
{
    struct ps_cel_value v = cel_eval_node(ev, n->args[0]);
    if (v.kind == PS_CEL_ERROR)
        return v;
    if (v.kind != PS_CEL_OPTIONAL)
        return cel_err(ev, n->offset, "no such overload: %s on '%s'", n->op ? "orValue" : "or",
                       cel_type_name(cel_type_of_kind(v.kind)));
    if (v.v.opt)
        return n->op ? *v.v.opt : v;
    struct ps_cel_value alt = cel_eval_node(ev, n->args[1]);
    if (!n->op && alt.kind != PS_CEL_OPTIONAL && alt.kind != PS_CEL_ERROR)
        return cel_err(ev, n->offset, "no such overload: or with '%s'",
                       cel_type_name(cel_type_of_kind(alt.kind)));
    return alt;
}

/* ---- literals ------------------------------------------------------------------------------------ */

/* The value of an optional entry ([?x], {?k: v}): 1 present (*v unwrapped), 0 absent, -1
 * error (*v the error). */
static int entry(struct cel_eval *ev, const struct cel_node *n, struct ps_cel_value *v)
{
    if (v->kind == PS_CEL_ERROR)
        return -1;
    if (v->kind != PS_CEL_OPTIONAL) {
        *v = cel_err(ev, n->offset, "an optional entry needs an optional value");
        return -1;
    }
    if (!v->v.opt)
        return 0;
    *v = *v->v.opt;
    return 1;
}

struct ps_cel_value cel_eval_list(struct cel_eval *ev, const struct cel_node *n)
{
    ev->at = n->offset;
    struct ps_cel_value *items = cel_alloc_array(ev, n->nargs, sizeof *items);
    if (!items || !cel_cost(ev, 1 + n->nargs / 8u))
        return err_value(ev->stop);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n->nargs; i++) {
        struct ps_cel_value v = cel_eval_node(ev, n->args[i]);
        if (v.kind == PS_CEL_ERROR)
            return v;
        if (n->args[i]->flags & NF_ENTRY) {
            int e = entry(ev, n->args[i], &v);
            if (e < 0)
                return v;
            if (e == 0)
                continue;
        }
        items[k++] = v;
    }
    return ps_cel_list(items, k);
}

struct ps_cel_value cel_eval_map(struct cel_eval *ev, const struct cel_node *n)
{
    ev->at = n->offset;
    uint32_t cap = n->nargs / 2u;
    struct ps_cel_value *keys = cel_alloc_array(ev, cap, sizeof *keys);
    struct ps_cel_value *vals = keys ? cel_alloc_array(ev, cap, sizeof *vals) : NULL;
    if (!vals || !cel_cost(ev, 1 + cap / 4u))
        return err_value(ev->stop);
    uint32_t k = 0;
    for (uint32_t i = 0; i < cap; i++) {
        struct ps_cel_value key = cel_eval_node(ev, n->args[2 * i]);
        if (key.kind == PS_CEL_ERROR)
            return key;
        struct ps_cel_value v = cel_eval_node(ev, n->args[2 * i + 1]);
        if (v.kind == PS_CEL_ERROR)
            return v;
        if (n->args[2 * i]->flags & NF_ENTRY) {
            int e = entry(ev, n->args[2 * i + 1], &v);
            if (e < 0)
                return v;
            if (e == 0)
                continue;
        }
        keys[k] = key;
        vals[k++] = v;
    }
    return cel_map_build(ev, n->offset, keys, vals, k);
}

/* ---- comprehensions -------------------------------------------------------------------------------- */

struct loop {
    struct ps_cel_value range;
    uint32_t len;
    bool is_map;
};

static inline void set_vars(struct cel_eval *ev, const struct cel_node *n, const struct loop *l,
                     uint32_t i)
{
    if (n->nvars == 1) {
        ev->locals[n->slot] = l->is_map ? l->range.v.map->keys[i] : l->range.v.items[i];
        return;
    }
    ev->locals[n->slot] = l->is_map ? l->range.v.map->keys[i] : ps_cel_int(i);
    ev->locals[n->slot2] = l->is_map ? l->range.v.map->vals[i] : l->range.v.items[i];
}

static struct ps_cel_value bool_or_err(struct cel_eval *ev, const struct cel_node *n,
                                       struct ps_cel_value v)
{
    if (v.kind == PS_CEL_BOOL || v.kind == PS_CEL_ERROR)
        return v;
    return cel_err(ev, n->offset, "no such overload: predicate is '%s', not bool",
                   cel_type_name(cel_type_of_kind(v.kind)));
}

/* all, exists from item start on, first_err the first error of the items before: the first
 * deciding value wins; otherwise the first error, if any. */
static struct ps_cel_value quantify(struct cel_eval *ev, const struct cel_node *n,
                                    const struct loop *l, uint32_t start,
                                    struct ps_cel_value first_err)
{
    bool want = n->op == M_EXISTS; /* the value that decides */
    for (uint32_t i = start; i < l->len; i++) {
        if (++ev->cost > ev->max_cost)
            return cel_stop(ev, PS_ERR_LIMIT, n->offset, "cost limit exceeded");
        set_vars(ev, n, l, i);
        struct ps_cel_value p = cel_eval_node(ev, n->args[0]);
        if (p.kind == PS_CEL_BOOL) {
            if (p.v.b == want)
                return p;
            continue;
        }
        if (ev->stop)
            return err_value(ev->stop);
        p = bool_or_err(ev, n, p);
        if (first_err.kind == PS_CEL_UNSET)
            first_err = p;
    }
    return first_err.kind == PS_CEL_ERROR ? first_err : ps_cel_bool(!want);
}

struct ps_cel_value cel_quantify_from(struct cel_eval *ev, const struct cel_node *n,
                                      struct ps_cel_value list, uint32_t i, struct ps_cel_value p)
{
    if (ev->stop)
        return err_value(ev->stop);
    struct loop l = {list, list.n, false};
    return quantify(ev, n, &l, i + 1, bool_or_err(ev, n, p));
}

static struct ps_cel_value exists_one(struct cel_eval *ev, const struct cel_node *n,
                                      const struct loop *l)
{
    uint32_t count = 0;
    for (uint32_t i = 0; i < l->len; i++) {
        ev->at = n->offset;
        if (!cel_cost(ev, 1))
            return err_value(ev->stop);
        set_vars(ev, n, l, i);
        struct ps_cel_value p = bool_or_err(ev, n, cel_eval_node(ev, n->args[0]));
        if (p.kind == PS_CEL_ERROR)
            return p;
        count += p.v.b;
    }
    return ps_cel_bool(count == 1);
}

/* map, filter, transformList, transformMap. */
static struct ps_cel_value collect(struct cel_eval *ev, const struct cel_node *n,
                                   const struct loop *l)
{
    struct ps_cel_value *out = cel_alloc_array(ev, l->len, sizeof *out);
    struct ps_cel_value *keys = n->op == M_TMAP ? cel_alloc_array(ev, l->len, sizeof *keys)
                                                : out;
    if (!out || !keys)
        return err_value(ev->stop);
    bool filtered = n->op == M_FILTER || n->nargs == 2;
    uint32_t k = 0;
    for (uint32_t i = 0; i < l->len; i++) {
        ev->at = n->offset;
        if (!cel_cost(ev, 1))
            return err_value(ev->stop);
        set_vars(ev, n, l, i);
        if (filtered) {
            struct ps_cel_value p = bool_or_err(ev, n, cel_eval_node(ev, n->args[0]));
            if (p.kind == PS_CEL_ERROR)
                return p;
            if (!p.v.b)
                continue;
        }
        struct ps_cel_value v = n->op == M_FILTER ? ev->locals[n->slot]
                                                  : cel_eval_node(ev, n->args[n->nargs - 1]);
        if (v.kind == PS_CEL_ERROR)
            return v;
        if (n->op == M_TMAP)
            keys[k] = l->is_map ? l->range.v.map->keys[i] : ps_cel_int(i);
        out[k++] = v;
    }
    if (n->op == M_TMAP)
        return cel_map_build(ev, n->offset, keys, out, k);
    return ps_cel_list(out, k);
}

static struct ps_cel_value eval_opt_map(struct cel_eval *ev, const struct cel_node *n,
                                        struct ps_cel_value r)
{
    if (r.kind != PS_CEL_OPTIONAL)
        return cel_err(ev, n->offset, "no such overload: %s on '%s'",
                       n->op == M_OPT_MAP ? "optMap" : "optFlatMap",
                       cel_type_name(cel_type_of_kind(r.kind)));
    if (!r.v.opt)
        return r;
    ev->locals[n->slot] = *r.v.opt;
    struct ps_cel_value v = cel_eval_node(ev, n->args[0]);
    if (v.kind == PS_CEL_ERROR)
        return v;
    if (n->op == M_OPT_MAP)
        return opt_of(ev, v);
    if (v.kind != PS_CEL_OPTIONAL)
        return cel_err(ev, n->offset, "optFlatMap: the expression must give an optional");
    return v;
}

struct ps_cel_value cel_eval_compr(struct cel_eval *ev, const struct cel_node *n)
{
    return cel_compr_on(ev, n, cel_eval_node(ev, n->target));
}

struct ps_cel_value cel_compr_on(struct cel_eval *ev, const struct cel_node *n,
                                 struct ps_cel_value r)
{
    if (r.kind == PS_CEL_ERROR)
        return r;
    if (n->op == M_BIND) {
        ev->locals[n->slot] = r;
        return cel_eval_node(ev, n->args[0]);
    }
    if (n->op == M_OPT_MAP || n->op == M_OPT_FLAT_MAP)
        return eval_opt_map(ev, n, r);
    struct loop l = {r, 0, r.kind == PS_CEL_MAP};
    if (r.kind == PS_CEL_LIST)
        l.len = r.n;
    else if (r.kind == PS_CEL_MAP)
        l.len = r.v.map->n;
    else
        return cel_err(ev, n->offset, "no such overload: cannot iterate over '%s'",
                       cel_type_name(cel_type_of_kind(r.kind)));
    switch (n->op) {
    case M_ALL:
    case M_EXISTS:
        return quantify(ev, n, &l, 0, (struct ps_cel_value){0});
    case M_EXISTS_ONE:
        return exists_one(ev, n, &l);
    default:
        return collect(ev, n, &l);
    }
}

/* ---- the walk --------------------------------------------------------------------------------------- */

struct ps_cel_value cel_eval_walk(struct cel_eval *ev, const struct cel_node *n)
{
    switch (n->kind) {
    case N_CONST:
        return n->value;
    case N_VAR:
        if (n->slot < ev->nvars && ev->vars[n->slot].kind != PS_CEL_UNSET)
            return ev->vars[n->slot];
        return cel_err(ev, n->offset, "no value for variable '%.*s'", PS_STR_FMT(n->name));
    case N_LOCAL:
        return ev->locals[n->slot];
    case N_FUNC:
        return eval_func(ev, n);
    case N_AND:
    case N_OR:
        return cel_eval_logic(ev, n);
    case N_COND:
        return cel_eval_cond(ev, n);
    case N_SELECT:
        return eval_select(ev, n);
    case N_INDEX:
        return eval_index(ev, n);
    case N_LIST:
        return cel_eval_list(ev, n);
    case N_MAP:
        return cel_eval_map(ev, n);
    case N_COMPR:
        return cel_eval_compr(ev, n);
    case N_OPT_OR:
        return cel_eval_opt_or(ev, n);
    case N_IDENT:
        return cel_err(ev, n->offset, "undeclared reference to '%.*s' (in container '%s')",
                       PS_STR_FMT(n->name), ev->prog->env->container);
    case N_CALL:
        return cel_err(ev, n->offset, "unbound function '%.*s'", PS_STR_FMT(n->name));
    default:
        return cel_err(ev, n->offset, "cannot evaluate this expression");
    }
}

/* ---- entry points ------------------------------------------------------------------------------------ */

static const struct ps_cel_eval_options default_options; /* every limit its default */

bool cel_fold(const struct ps_cel_program *prog, const struct cel_node *n,
              struct ps_cel_value *out)
{
    struct cel_eval ev = {.prog = prog, .arena = prog->arena, .max_cost = 100000,
                          .opts = &default_options, .at = n->offset};
    struct ps_cel_value v = cel_eval_node(&ev, n);
    if (v.kind == PS_CEL_ERROR || ev.stop)
        return false;
    *out = v;
    return true;
}

/* The diagnostic of a failed evaluation (out of the way of the successful ones). */
NOINLINE static enum ps_err failed(const struct ps_cel_program *p, const struct cel_eval *ev,
                                   struct ps_cel_value v, struct ps_cel_diag *diag)
{
    const struct ps_cel_error *e = ev->stop ? ev->stop : v.v.err;
    if (e->offset == UINT32_MAX)
        return cel_diag_set(diag, e->code, "%s", e->msg);
    return cel_diag_at(diag, e->code, p->source, p->source_len, e->offset, "%s", e->msg);
}

/* Inlined into both entry points: a call less per evaluation. */
__attribute__((always_inline)) static inline enum ps_err evaluate(const struct ps_cel_program *p,
                                   const struct ps_cel_activation *act, struct ps_arena *arena,
                                   const struct ps_cel_eval_options *opts,
                                   struct ps_cel_value *out, uint64_t *cost,
                                   struct ps_cel_diag *diag)
{
    struct ps_cel_value locals_stack[16];
    struct cel_eval ev; /* every field set here: this runs once per evaluation */
    ev.prog = p;
    ev.vars = act ? act->vals : NULL;
    ev.nvars = act ? act->n : 0;
    ev.at = p->root->offset;
    ev.locals = locals_stack;
    ev.arena = arena;
    ev.cost = 0;
    ev.opts = opts ? opts : &default_options;
    ev.max_cost = ev.opts->max_cost ? ev.opts->max_cost : 1000000;
    ev.stop = NULL;
    ev.re_ctx = NULL;
    ev.civil[0].valid = ev.civil[1].valid = false;
    if (p->nlocals > 16 && !(ev.locals = ps_arena_array(arena, p->nlocals, sizeof *ev.locals)))
        return cel_diag_set(diag, PS_ERR_LIMIT, "memory budget exhausted");
    struct ps_cel_value v = p->root->fn(&ev, p->root);
    if (cost)
        *cost = ev.cost;
    if (v.kind == PS_CEL_ERROR)
        return failed(p, &ev, v, diag);
    *out = v;
    return PS_OK;
}

enum ps_err ps_cel_eval_cost(const struct ps_cel_program *p, const struct ps_cel_activation *act,
                             struct ps_arena *arena, const struct ps_cel_eval_options *opts,
                             struct ps_cel_value *out, uint64_t *cost, struct ps_cel_diag *diag)
{
    return evaluate(p, act, arena, opts, out, cost, diag);
}

enum ps_err ps_cel_eval(const struct ps_cel_program *p, const struct ps_cel_activation *act,
                        struct ps_arena *arena, const struct ps_cel_eval_options *opts,
                        struct ps_cel_value *out, struct ps_cel_diag *diag)
{
    return evaluate(p, act, arena, opts, out, NULL, diag);
}
