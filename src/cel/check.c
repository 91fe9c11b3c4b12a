/* The CEL type checker and planner. It resolves every identifier (comprehension variables,
 * then declared variables with the container's scopes, longest qualified name first, then
 * type names), every function call to the overloads that can apply (so the evaluator only
 * checks runtime kinds among a few candidates), infers types with type parameters (langdef
 * "Gradual Type Checking": dyn is assignable both ways), folds calls on constants and
 * constant list and map literals, and runs the overloads' prepare hooks (regular expressions
 * compiled once). Without type checking (PS_CEL_NO_CHECK) the same pass plans the program:
 * all types are dyn, every overload of the right arity is a candidate, unknown names and
 * functions become runtime errors. */
#include <stdio.h>

#include "cel/cel_int.h"
#include "core/str.h"

struct scope {
    struct ps_str name;
    uint32_t slot;
    const struct ps_cel_type *type;
};

struct checker {
    const struct ps_cel_env *env;
    struct ps_cel_program *prog;
    struct ps_arena *a;
    struct ps_cel_diag *diag;
    enum ps_err err;
    bool typed;
    const struct ps_cel_type **subst;
    uint32_t nsubst, capsubst;
    uint32_t *trail;
    uint32_t ntrail, captrail;
    struct scope scopes[2 * CEL_MAX_DEPTH_HARD];
    uint32_t nscopes;
};

#define DYN CEL_T(T_DYN)

static const struct ps_cel_type *check(struct checker *c, struct cel_node *n);

static const struct ps_cel_type *cerr(struct checker *c, uint32_t at, const char *fmt, ...)
    PS_PRINTF(3, 4);

static const struct ps_cel_type *cerr(struct checker *c, uint32_t at, const char *fmt, ...)
{
    if (c->err != PS_OK)
        return NULL;
    char msg[220];
    va_list ap;
    va_start(ap, fmt);
    ps_str_vcut(msg, sizeof msg, fmt, ap);
    va_end(ap);
    c->err = cel_diag_at(c->diag, PS_ERR_INVALID, c->prog->source, c->prog->source_len, at,
                         "%s", msg);
    return NULL;
}

static const struct ps_cel_type *nomem(struct checker *c)
{
    if (c->err == PS_OK)
        c->err = cel_diag_set(c->diag, PS_ERR_LIMIT, "expression too large for the memory "
                                                     "budget");
    return NULL;
}

/* ---- type parameters and unification --------------------------------------------------------- */

static const struct ps_cel_type *fresh(struct checker *c)
{
    if (c->nsubst == c->capsubst) {
        uint32_t cap = c->capsubst ? c->capsubst * 2 : 64;
        const struct ps_cel_type **ns = ps_arena_array(c->a, cap, sizeof *ns);
        if (!ns)
            return nomem(c);
        if (c->nsubst)
            memcpy(ns, c->subst, c->nsubst * sizeof *ns);
        c->subst = ns;
        c->capsubst = cap;
    }
    struct ps_cel_type *t = ps_arena_zalloc(c->a, sizeof *t);
    if (!t)
        return nomem(c);
    t->kind = T_PARAM;
    t->id = c->nsubst;
    c->subst[c->nsubst++] = NULL;
    return t;
}

static const struct ps_cel_type *res(const struct checker *c, const struct ps_cel_type *t)
{
    while (t->kind == T_PARAM && !t->local && t->id < c->nsubst && c->subst[t->id])
        t = c->subst[t->id];
    return t;
}

static bool bind(struct checker *c, uint32_t id, const struct ps_cel_type *t)
{
    if (c->ntrail == c->captrail) {
        uint32_t cap = c->captrail ? c->captrail * 2 : 64;
        uint32_t *nt = ps_arena_array(c->a, cap, sizeof *nt);
        if (!nt) {
            nomem(c);
            return false;
        }
        if (c->ntrail)
            memcpy(nt, c->trail, c->ntrail * sizeof *nt);
        c->trail = nt;
        c->captrail = cap;
    }
    c->trail[c->ntrail++] = id;
    c->subst[id] = t;
    return true;
}

static void undo(struct checker *c, uint32_t mark)
{
    while (c->ntrail > mark)
        c->subst[c->trail[--c->ntrail]] = NULL;
}

static bool occurs(const struct checker *c, uint32_t id, const struct ps_cel_type *t)
{
    t = res(c, t);
    if (t->kind == T_PARAM)
        return t->id == id;
    return (t->p0 && occurs(c, id, t->p0)) || (t->p1 && occurs(c, id, t->p1));
}

/* Whether a value of type from may be used where to is expected, binding parameters. */
static bool assignable(struct checker *c, const struct ps_cel_type *to,
                       const struct ps_cel_type *from)
{
    to = res(c, to);
    from = res(c, from);
    if (to == from || to->kind == T_DYN || from->kind == T_DYN || to->kind == T_ERROR ||
        from->kind == T_ERROR)
        return true;
    if (to->kind == T_PARAM) {
        if (from->kind == T_PARAM && from->id == to->id)
            return true;
        return !occurs(c, to->id, from) && bind(c, to->id, from);
    }
    if (from->kind == T_PARAM)
        return !occurs(c, from->id, to) && bind(c, from->id, to);
    if (to->kind != from->kind)
        return false;
    switch (to->kind) {
    case T_TYPE:
        return true; /* type values are compared at runtime (type(7) == type(7u)) */
    case T_LIST:
    case T_OPTIONAL:
        return assignable(c, to->p0, from->p0);
    case T_MAP:
        return assignable(c, to->p0, from->p0) && assignable(c, to->p1, from->p1);
    default:
        return true;
    }
}

/* t with bound parameters replaced (free ones become dyn when to_dyn). */
static const struct ps_cel_type *deep(struct checker *c, const struct ps_cel_type *t,
                                      bool to_dyn)
{
    t = res(c, t);
    if (t->kind == T_PARAM)
        return to_dyn ? DYN : t;
    if (!t->p0)
        return t;
    const struct ps_cel_type *p0 = deep(c, t->p0, to_dyn);
    const struct ps_cel_type *p1 = t->p1 ? deep(c, t->p1, to_dyn) : NULL;
    if (p0 == t->p0 && p1 == t->p1)
        return t;
    const struct ps_cel_type *n = cel_type_new(c->a, t->kind, p0, p1);
    return n ? n : nomem(c);
}

/* A signature type with its local parameters numbered from base. */
static const struct ps_cel_type *instantiate(struct checker *c, const struct ps_cel_type *t,
                                             uint32_t base)
{
    if (t->kind == T_PARAM && t->local) {
        struct ps_cel_type *n = ps_arena_zalloc(c->a, sizeof *n);
        if (!n)
            return nomem(c);
        n->kind = T_PARAM;
        n->id = base + t->id;
        return n;
    }
    if (!t->p0)
        return t;
    const struct ps_cel_type *p0 = instantiate(c, t->p0, base);
    const struct ps_cel_type *p1 = t->p1 ? instantiate(c, t->p1, base) : NULL;
    if (!p0 || (t->p1 && !p1))
        return NULL;
    return p0 == t->p0 && p1 == t->p1 ? t : cel_type_new(c->a, t->kind, p0, p1);
}

static bool same_type(const struct checker *c, const struct ps_cel_type *a,
                      const struct ps_cel_type *b)
{
    a = res(c, a);
    b = res(c, b);
    if (a == b)
        return true;
    if (a->kind != b->kind || (a->kind == T_PARAM && a->id != b->id))
        return false;
    if (a->p0 && b->p0 && !same_type(c, a->p0, b->p0))
        return false;
    return !(a->p1 && b->p1 && !same_type(c, a->p1, b->p1));
}

static const char *tname(struct checker *c, const struct ps_cel_type *t)
{
    char *s = ps_cel_type_format(c->a, deep(c, t, true));
    return s ? s : "?";
}

static const struct ps_cel_type *mk_type(struct checker *c, uint8_t kind,
                                         const struct ps_cel_type *p0,
                                         const struct ps_cel_type *p1)
{
    const struct ps_cel_type *t = cel_type_new(c->a, kind, p0, p1);
    return t ? t : nomem(c);
}

/* ---- names ------------------------------------------------------------------------------------ */

static const struct scope *find_local(const struct checker *c, struct ps_str name)
{
    for (uint32_t i = c->nscopes; i-- > 0;)
        if (ps_str_eq(c->scopes[i].name, name))
            return &c->scopes[i];
    return NULL;
}

static const struct {
    const char *name;
    uint8_t kind;
} type_names[] = {
    {"int", T_INT},           {"uint", T_UINT},   {"double", T_DOUBLE},
    {"bool", T_BOOL},         {"string", T_STRING}, {"bytes", T_BYTES},
    {"list", T_LIST},         {"map", T_MAP},     {"null_type", T_NULL},
    {"type", T_TYPE},         {"optional_type", T_OPTIONAL},
    {"google.protobuf.Timestamp", T_TIMESTAMP}, {"google.protobuf.Duration", T_DURATION},
};

/* The i-th candidate of name in the container ("a.b.x", "a.x", "x"); false past the last. */
static bool candidate(struct checker *c, struct ps_str name, bool root, unsigned i,
                      struct ps_str *out)
{
    const char *cont = c->env->container;
    size_t len = strlen(cont);
    if (root || len == 0) {
        *out = name;
        return i == 0;
    }
    /* i-th: drop i trailing segments of the container; past them, the bare name */
    size_t cut = len;
    for (unsigned k = 0; k < i; k++) {
        while (cut > 0 && cont[cut - 1] != '.')
            cut--;
        if (cut == 0) {
            if (k + 1 == i) {
                *out = name;
                return true;
            }
            return false;
        }
        cut--;
    }
    char *s = ps_arena_printf(c->a, "%.*s.%.*s", (int)cut, cont, PS_STR_FMT(name));
    if (!s) {
        nomem(c);
        return false;
    }
    *out = ps_str_from_cstr(s);
    return true;
}

/* Resolves a (qualified) name to a variable or a type name; rewrites n. */
static const struct ps_cel_type *resolve_name(struct checker *c, struct cel_node *n,
                                              struct ps_str name, bool root)
{
    struct ps_str cand;
    for (unsigned i = 0; candidate(c, name, root, i, &cand); i++) {
        const struct cel_var *v = cel_env_var(c->env, cand);
        if (v) {
            n->kind = N_VAR;
            n->slot = v->slot;
            n->name = cand;
            n->target = NULL;
            return c->typed ? v->type : DYN;
        }
    }
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++)
        if (ps_str_eq_cstr(name, type_names[i].name)) {
            n->kind = N_CONST;
            n->target = NULL;
            n->value = (struct ps_cel_value){.kind = PS_CEL_TYPE,
                                             .v.type = CEL_T(type_names[i].kind)};
            return mk_type(c, T_TYPE, CEL_T(type_names[i].kind), NULL);
        }
    return NULL;
}

/* "a.b.c" for plain selections over an identifier that is not a comprehension variable. */
static struct ps_str chain_name(struct checker *c, const struct cel_node *n, bool *root)
{
    if (n->kind == N_IDENT) {
        *root = (n->flags & NF_ROOT) != 0;
        if (!*root && find_local(c, n->name))
            return PS_STR_NULL;
        return n->name;
    }
    if (n->kind != N_SELECT || (n->flags & (NF_OPT | NF_TEST)))
        return PS_STR_NULL;
    struct ps_str head = chain_name(c, n->target, root);
    if (!head.p)
        return PS_STR_NULL;
    char *s = ps_arena_printf(c->a, "%.*s.%.*s", PS_STR_FMT(head), PS_STR_FMT(n->name));
    if (!s)
        nomem(c);
    return s ? ps_str_from_cstr(s) : PS_STR_NULL;
}

static const struct ps_cel_type *check_ident(struct checker *c, struct cel_node *n)
{
    bool root = (n->flags & NF_ROOT) != 0;
    if (!root) {
        const struct scope *s = find_local(c, n->name);
        if (s) {
            n->kind = N_LOCAL;
            n->slot = s->slot;
            return s->type;
        }
    }
    const struct ps_cel_type *t = resolve_name(c, n, n->name, root);
    if (t || c->err != PS_OK)
        return t;
    if (c->typed)
        return cerr(c, n->offset, "undeclared reference to '%.*s'", PS_STR_FMT(n->name));
    return DYN; /* stays N_IDENT: an error when evaluated */
}

/* ---- selection and indexing ------------------------------------------------------------------- */

static const struct ps_cel_type *select_type(struct checker *c, const struct cel_node *n,
                                             const struct ps_cel_type *t, bool opt)
{
    t = res(c, t);
    switch (t->kind) {
    case T_MAP:
        if (!assignable(c, t->p0, CEL_T(T_STRING)))
            return cerr(c, n->offset, "field selection on a map with %s keys",
                        tname(c, t->p0));
        return opt ? mk_type(c, T_OPTIONAL, t->p1, NULL) : t->p1;
    case T_OPTIONAL: {
        const struct ps_cel_type *in = select_type(c, n, t->p0, false);
        return in ? mk_type(c, T_OPTIONAL, in, NULL) : NULL;
    }
    case T_DYN:
    case T_PARAM:
    case T_ERROR:
        return opt ? mk_type(c, T_OPTIONAL, DYN, NULL) : DYN;
    default:
        return cerr(c, n->offset, "type '%s' does not support field selection", tname(c, t));
    }
}

static const struct ps_cel_type *check_select(struct checker *c, struct cel_node *n)
{
    if (!(n->flags & (NF_OPT | NF_TEST))) {
        bool root = false;
        struct ps_str q = chain_name(c, n, &root);
        if (q.p) {
            const struct ps_cel_type *t = resolve_name(c, n, q, root);
            if (t || c->err != PS_OK)
                return t;
        }
    }
    const struct ps_cel_type *t = check(c, n->target);
    if (!t)
        return NULL;
    if (!c->typed)
        return DYN;
    const struct ps_cel_type *r = select_type(c, n, t, (n->flags & NF_OPT) != 0);
    if (r && (n->flags & NF_TEST))
        return CEL_T(T_BOOL);
    return r;
}

static const struct ps_cel_type *index_type(struct checker *c, const struct cel_node *n,
                                            const struct ps_cel_type *t,
                                            const struct ps_cel_type *it, bool opt)
{
    t = res(c, t);
    const struct ps_cel_type *r;
    switch (t->kind) {
    case T_LIST: {
        const struct ps_cel_type *k = res(c, it);
        if (!(k->kind == T_INT || k->kind == T_UINT || k->kind == T_DYN || k->kind == T_PARAM))
            return cerr(c, n->offset, "found no matching overload for '_[_]' applied to "
                        "'(%s, %s)'", tname(c, t), tname(c, it));
        r = t->p0;
        break;
    }
    case T_MAP:
        if (!assignable(c, t->p0, it))
            return cerr(c, n->offset, "found no matching overload for '_[_]' applied to "
                        "'(%s, %s)'", tname(c, t), tname(c, it));
        r = t->p1;
        break;
    case T_OPTIONAL: {
        const struct ps_cel_type *in = index_type(c, n, t->p0, it, false);
        return in ? mk_type(c, T_OPTIONAL, in, NULL) : NULL;
    }
    case T_DYN:
    case T_PARAM:
    case T_ERROR:
        r = DYN;
        break;
    default:
        return cerr(c, n->offset, "found no matching overload for '_[_]' applied to "
                    "'(%s, %s)'", tname(c, t), tname(c, it));
    }
    return opt ? mk_type(c, T_OPTIONAL, r, NULL) : r;
}

static const struct ps_cel_type *check_index(struct checker *c, struct cel_node *n)
{
    const struct ps_cel_type *t = check(c, n->target);
    const struct ps_cel_type *it = t ? check(c, n->args[0]) : NULL;
    if (!it)
        return NULL;
    return c->typed ? index_type(c, n, t, it, (n->flags & NF_OPT) != 0) : DYN;
}

/* ---- folding ------------------------------------------------------------------------------------ */

static bool all_const(const struct cel_node *n)
{
    for (uint32_t i = 0; i < n->nargs; i++)
        if (n->args[i]->kind != N_CONST || (n->args[i]->flags & NF_ENTRY))
            return false;
    return true;
}

/* Replaces n by its value when evaluating it now succeeds. */
static void fold(struct checker *c, struct cel_node *n)
{
    struct ps_cel_value v;
    if (cel_fold(c->prog, n, &v)) {
        n->kind = N_CONST;
        n->value = v;
    }
}

/* ---- calls ---------------------------------------------------------------------------------------- */

static const struct cel_func *find_func(struct checker *c, struct ps_str name, bool root)
{
    struct ps_str cand;
    for (unsigned i = 0; candidate(c, name, root, i, &cand); i++) {
        const struct cel_func *f = cel_env_func(c->env, cand);
        if (f)
            return f;
    }
    return NULL;
}

static bool arity_ok(const struct cel_overload *ov, uint32_t nargs)
{
    if (ov->flags & PS_CEL_FN_VARIADIC)
        return nargs >= ov->nparams;
    return nargs == ov->nparams;
}

static const struct ps_cel_type *param_at(const struct cel_overload *ov, uint32_t i)
{
    return ov->params[i < ov->nparams ? i : ov->nparams - 1u];
}

/* The result type when ov applies to args of types argt, or NULL. */
static const struct ps_cel_type *try_overload(struct checker *c, const struct cel_overload *ov,
                                              const struct ps_cel_type **argt, uint32_t nargs)
{
    uint32_t mark = c->ntrail, base = c->nsubst;
    for (uint8_t i = 0; i < ov->ntparams; i++)
        if (!fresh(c))
            return NULL;
    bool ok = true;
    for (uint32_t i = 0; i < nargs && ok; i++) {
        const struct ps_cel_type *p = instantiate(c, param_at(ov, i), base);
        ok = p && assignable(c, p, argt[i]);
    }
    const struct ps_cel_type *r = NULL;
    if (ok) {
        r = instantiate(c, ov->result, base);
        r = r ? deep(c, r, false) : NULL;
    }
    undo(c, mark);
    return r;
}

static const struct ps_cel_type *no_overload(struct checker *c, const struct cel_node *n,
                                             const struct ps_cel_type **argt)
{
    struct ps_buf b;
    ps_buf_init(&b, 512);
    for (uint32_t i = 0; i < n->nargs; i++)
        if ((i && ps_buf_append_cstr(&b, ", ") != PS_OK) ||
            !cel_type_format_buf(&b, deep(c, argt[i], true)))
            break;
    cerr(c, n->offset, "found no matching overload for '%.*s' applied to '(%s)'",
         PS_STR_FMT(n->name), b.p ? b.p : "");
    ps_buf_reset(&b);
    return NULL;
}

static enum ps_err prepare(struct checker *c, struct cel_node *n)
{
    for (uint16_t k = 0; k < n->ncand; k++) {
        const struct cel_overload *ov = n->cands[k];
        if (!ov->prepare)
            continue;
        const struct ps_cel_value *cargs[CEL_MAX_PARAMS] = {0};
        for (uint32_t i = 0; i < n->nargs && i < CEL_MAX_PARAMS; i++)
            if (n->args[i]->kind == N_CONST)
                cargs[i] = &n->args[i]->value;
        enum ps_err e = ov->prepare(c->prog, n, cargs, &n->aux, c->diag);
        if (e != PS_OK) {
            c->err = e;
            return e;
        }
    }
    return PS_OK;
}

static const struct ps_cel_type *resolve_call(struct checker *c, struct cel_node *n,
                                              const struct cel_func *f,
                                              const struct ps_cel_type **argt)
{
    uint32_t count = 0;
    for (const struct cel_overload *ov = f->first; ov; ov = ov->next)
        count++;
    const struct cel_overload **cands = ps_arena_array(c->a, count ? count : 1, sizeof *cands);
    if (!cands)
        return nomem(c);
    bool recv = (n->flags & NF_RECV) != 0;
    const struct ps_cel_type *result = NULL;
    uint16_t ncand = 0;
    bool pure = true;
    uint8_t lazy_or = 0;
    for (const struct cel_overload *ov = f->first; ov; ov = ov->next) {
        if (recv != ((ov->flags & PS_CEL_FN_RECEIVER) != 0) || !arity_ok(ov, n->nargs))
            continue;
        const struct ps_cel_type *r = DYN;
        if (c->typed && !(r = try_overload(c, ov, argt, n->nargs))) {
            if (c->err != PS_OK)
                return NULL;
            continue;
        }
        cands[ncand++] = ov;
        result = !result || same_type(c, result, r) ? r : DYN;
        pure = pure && (ov->flags & PS_CEL_FN_PURE);
        lazy_or = (ov->flags & CEL_FN_OPT_OR) ? 1 : (ov->flags & CEL_FN_OPT_OR_VALUE) ? 2 : 0;
    }
    if (ncand == 0 && c->typed)
        return no_overload(c, n, argt);
    n->kind = N_FUNC;
    n->cands = cands;
    n->ncand = ncand;
    if (lazy_or && ncand) {
        n->kind = N_OPT_OR;
        n->op = (uint8_t)(lazy_or - 1);
        return result ? result : DYN;
    }
    if (prepare(c, n) != PS_OK)
        return NULL;
    /* an integer fast path when some candidate takes (int, int) and is one the evaluator
     * computes inline: the evaluator still checks the runtime kinds */
    for (uint16_t k = 0; k < ncand && n->nargs == 2; k++)
        if (cands[k]->fast && cands[k]->kinds[0] == PS_CEL_INT &&
            cands[k]->kinds[1] == PS_CEL_INT) {
            n->op = cands[k]->fast;
            break;
        }
    if (ncand && pure && all_const(n))
        fold(c, n);
    return result ? result : DYN;
}

static const struct ps_cel_type *check_call(struct checker *c, struct cel_node *n)
{
    const struct cel_func *f = NULL;
    if (n->flags & NF_RECV) {
        bool root = false;
        struct ps_str q = chain_name(c, n->args[0], &root);
        if (q.p) {
            char *fq = ps_arena_printf(c->a, "%.*s.%.*s", PS_STR_FMT(q), PS_STR_FMT(n->name));
            if (!fq)
                return nomem(c);
            f = find_func(c, ps_str_from_cstr(fq), root);
            if (f) { /* a namespaced function: math.greatest(...) */
                const struct cel_node *root_node = n->args[0];
                while (root_node->target)
                    root_node = root_node->target;
                n->offset = root_node->offset;
                n->args++;
                n->nargs--;
                n->flags &= (uint8_t)~NF_RECV;
                n->name = ps_str_from_cstr(fq);
            }
        }
        if (!f)
            f = cel_env_func(c->env, n->name);
    } else {
        f = find_func(c, n->name, (n->flags & NF_ROOT) != 0);
    }
    const struct ps_cel_type *argt[CEL_MAX_PARAMS * 4];
    const struct ps_cel_type **at = argt;
    if (n->nargs > sizeof argt / sizeof argt[0] &&
        !(at = ps_arena_array(c->a, n->nargs, sizeof *at)))
        return nomem(c);
    for (uint32_t i = 0; i < n->nargs; i++)
        if (!(at[i] = check(c, n->args[i])))
            return NULL;
    if (f)
        return resolve_call(c, n, f, at);
    if (c->typed)
        return cerr(c, n->offset, "undeclared reference to '%.*s'", PS_STR_FMT(n->name));
    return DYN; /* stays N_CALL: "unbound function" when evaluated */
}

/* ---- operators, literals --------------------------------------------------------------------- */

static const struct ps_cel_type *expect_bool(struct checker *c, struct cel_node *arg)
{
    const struct ps_cel_type *t = check(c, arg);
    if (t && c->typed && !assignable(c, CEL_T(T_BOOL), t))
        return cerr(c, arg->offset, "expected bool, found '%s'", tname(c, t));
    return t;
}

static const struct ps_cel_type *check_logic(struct checker *c, struct cel_node *n)
{
    for (uint32_t i = 0; i < n->nargs; i++)
        if (!expect_bool(c, n->args[i]))
            return NULL;
    return CEL_T(T_BOOL);
}

static const struct ps_cel_type *check_cond(struct checker *c, struct cel_node *n)
{
    if (!expect_bool(c, n->args[0]))
        return NULL;
    const struct ps_cel_type *a = check(c, n->args[1]);
    const struct ps_cel_type *b = a ? check(c, n->args[2]) : NULL;
    if (!b || !c->typed)
        return b ? DYN : NULL;
    uint32_t mark = c->ntrail;
    if (assignable(c, a, b))
        return deep(c, a, false);
    undo(c, mark);
    if (assignable(c, b, a))
        return deep(c, b, false);
    undo(c, mark);
    return cerr(c, n->offset, "found no matching overload for '_?_:_' applied to "
                "'(bool, %s, %s)'", tname(c, a), tname(c, b));
}

/* Joins t into *acc: keeps it when assignable, dyn otherwise. */
static void join(struct checker *c, const struct ps_cel_type **acc, const struct ps_cel_type *t)
{
    uint32_t mark = c->ntrail;
    if (!assignable(c, *acc, t)) {
        undo(c, mark);
        *acc = DYN;
    }
}

static const struct ps_cel_type *entry_type(struct checker *c, struct cel_node *e)
{
    const struct ps_cel_type *t = check(c, e);
    if (!t || !(e->flags & NF_ENTRY) || !c->typed)
        return t;
    t = res(c, t);
    if (t->kind == T_OPTIONAL)
        return t->p0;
    if (t->kind == T_DYN || t->kind == T_PARAM)
        return DYN;
    return cerr(c, e->offset, "an optional entry needs an optional value, found '%s'",
                tname(c, t));
}

static bool key_type_ok(const struct checker *c, const struct ps_cel_type *t)
{
    uint8_t k = res(c, t)->kind;
    return k == T_INT || k == T_UINT || k == T_BOOL || k == T_STRING || k == T_DYN ||
           k == T_PARAM || k == T_ERROR;
}

static const struct ps_cel_type *check_aggregate(struct checker *c, struct cel_node *n)
{
    bool is_map = n->kind == N_MAP;
    const struct ps_cel_type *kt = c->typed ? fresh(c) : DYN;
    const struct ps_cel_type *vt = c->typed ? fresh(c) : DYN;
    if (!kt || !vt)
        return NULL;
    for (uint32_t i = 0; i < n->nargs; i++) {
        bool is_key = is_map && i % 2 == 0;
        struct cel_node *e = n->args[i];
        const struct ps_cel_type *t;
        if (is_map && !is_key && (n->args[i - 1]->flags & NF_ENTRY)) {
            e->flags |= NF_ENTRY; /* the value of {?k: v} is the optional */
            t = entry_type(c, e);
            e->flags &= (uint8_t)~NF_ENTRY;
        } else {
            t = is_key ? check(c, e) : entry_type(c, e);
        }
        if (!t)
            return NULL;
        if (!c->typed)
            continue;
        if (is_key && !key_type_ok(c, t))
            return cerr(c, e->offset, "unsupported map key type '%s'", tname(c, t));
        join(c, is_key ? &kt : &vt, t);
    }
    if (all_const(n))
        fold(c, n);
    if (!c->typed)
        return DYN;
    return is_map ? mk_type(c, T_MAP, deep(c, kt, false), deep(c, vt, false))
                  : mk_type(c, T_LIST, deep(c, vt, false), NULL);
}

/* ---- comprehensions ---------------------------------------------------------------------------- */

static bool push_var(struct checker *c, struct cel_node *n, struct ps_str name,
                     const struct ps_cel_type *t, uint32_t *slot)
{
    if (c->nscopes >= sizeof c->scopes / sizeof c->scopes[0]) {
        cerr(c, n->offset, "too many nested comprehensions");
        return false;
    }
    *slot = c->nscopes;
    c->scopes[c->nscopes++] = (struct scope){name, *slot, t};
    if (c->nscopes > c->prog->nlocals)
        c->prog->nlocals = c->nscopes;
    return true;
}

/* Types of the comprehension variables over a range of type r. */
static bool range_vars(struct checker *c, struct cel_node *n, const struct ps_cel_type *r,
                       const struct ps_cel_type **v1, const struct ps_cel_type **v2)
{
    r = res(c, r);
    *v1 = *v2 = DYN;
    if (!c->typed || r->kind == T_DYN || r->kind == T_PARAM || r->kind == T_ERROR)
        return true;
    if (n->op == M_BIND) {
        *v1 = r;
        return true;
    }
    if (n->op == M_OPT_MAP || n->op == M_OPT_FLAT_MAP) {
        if (r->kind != T_OPTIONAL)
            return cerr(c, n->offset, "%s needs an optional, found '%s'",
                        n->op == M_OPT_MAP ? "optMap" : "optFlatMap", tname(c, r)) != NULL;
        *v1 = r->p0;
        return true;
    }
    if (r->kind == T_LIST) {
        *v1 = n->nvars == 2 ? CEL_T(T_INT) : r->p0;
        *v2 = r->p0;
        return true;
    }
    if (r->kind == T_MAP) {
        *v1 = r->p0;
        *v2 = r->p1;
        return true;
    }
    cerr(c, n->target->offset, "expression of type '%s' cannot be the range of a "
         "comprehension (must be list, map, or dynamic)", tname(c, r));
    return false;
}

static const struct ps_cel_type *compr_result(struct checker *c, struct cel_node *n,
                                              const struct ps_cel_type *r,
                                              const struct ps_cel_type *v1,
                                              const struct ps_cel_type **bt)
{
    const struct ps_cel_type *last = bt[n->nargs - 1];
    switch (n->op) {
    case M_ALL:
    case M_EXISTS:
    case M_EXISTS_ONE:
        return CEL_T(T_BOOL);
    case M_MAP:
    case M_TLIST:
        return mk_type(c, T_LIST, deep(c, last, false), NULL);
    case M_FILTER:
        return mk_type(c, T_LIST, v1, NULL);
    case M_TMAP:
        r = res(c, r);
        return mk_type(c, T_MAP, r->kind == T_MAP ? r->p0 : r->kind == T_LIST ? CEL_T(T_INT)
                                                                              : DYN,
                       deep(c, last, false));
    case M_BIND:
        return last;
    case M_OPT_MAP:
        return mk_type(c, T_OPTIONAL, deep(c, last, false), NULL);
    default: { /* M_OPT_FLAT_MAP */
        const struct ps_cel_type *t = res(c, last);
        if (t->kind == T_OPTIONAL || t->kind == T_DYN)
            return t;
        return cerr(c, n->args[0]->offset, "optFlatMap needs an optional result, found '%s'",
                    tname(c, t));
    }
    }
}

static const struct ps_cel_type *check_compr(struct checker *c, struct cel_node *n)
{
    const struct ps_cel_type *r = check(c, n->target);
    const struct ps_cel_type *v1, *v2;
    if (!r || !range_vars(c, n, r, &v1, &v2))
        return NULL;
    uint32_t saved = c->nscopes;
    if (!push_var(c, n, n->name, v1, &n->slot) ||
        (n->nvars == 2 && !push_var(c, n, n->name2, v2, &n->slot2)))
        return NULL;
    const struct ps_cel_type *bt[4] = {DYN, DYN, DYN, DYN};
    for (uint32_t i = 0; i < n->nargs && i < 4; i++) {
        bool is_pred = (n->op <= M_EXISTS_ONE || n->op == M_FILTER) ||
                       ((n->op == M_MAP || n->op == M_TLIST || n->op == M_TMAP) &&
                        i + 1 < n->nargs);
        bt[i] = is_pred ? expect_bool(c, n->args[i]) : check(c, n->args[i]);
        if (!bt[i])
            return NULL;
    }
    c->nscopes = saved;
    return c->typed ? compr_result(c, n, r, v1, bt) : DYN;
}

/* ---- the walk ----------------------------------------------------------------------------------- */

static const struct ps_cel_type *const_type(struct checker *c, struct ps_cel_value v)
{
    switch (v.kind) {
    case PS_CEL_NULL: return CEL_T(T_NULL);
    case PS_CEL_BOOL: return CEL_T(T_BOOL);
    case PS_CEL_INT: return CEL_T(T_INT);
    case PS_CEL_UINT: return CEL_T(T_UINT);
    case PS_CEL_DOUBLE: return CEL_T(T_DOUBLE);
    case PS_CEL_STRING: return CEL_T(T_STRING);
    case PS_CEL_BYTES: return CEL_T(T_BYTES);
    case PS_CEL_TIMESTAMP: return CEL_T(T_TIMESTAMP);
    case PS_CEL_DURATION: return CEL_T(T_DURATION);
    case PS_CEL_TYPE: return mk_type(c, T_TYPE, v.v.type, NULL);
    default: return DYN;
    }
}

static const struct ps_cel_type *check(struct checker *c, struct cel_node *n)
{
    if (c->err != PS_OK)
        return NULL;
    const struct ps_cel_type *t;
    switch (n->kind) {
    case N_CONST: t = const_type(c, n->value); break;
    case N_IDENT: t = check_ident(c, n); break;
    case N_SELECT: t = check_select(c, n); break;
    case N_INDEX: t = check_index(c, n); break;
    case N_CALL: t = check_call(c, n); break;
    case N_AND:
    case N_OR: t = check_logic(c, n); break;
    case N_COND: t = check_cond(c, n); break;
    case N_LIST:
    case N_MAP: t = check_aggregate(c, n); break;
    case N_COMPR: t = check_compr(c, n); break;
    case N_STRUCT:
        t = cerr(c, n->offset, "'%.*s{...}' constructs a protocol buffer message; message "
                 "types are not supported", PS_STR_FMT(n->name));
        break;
    default: t = cerr(c, n->offset, "internal error: unexpected node"); break;
    }
    if (c->err != PS_OK)
        return NULL;
    n->type = t;
    return t;
}

enum ps_err ps_cel_check(const struct ps_cel_env *env, struct ps_cel_ast *ast, unsigned flags,
                         struct ps_cel_program **out, struct ps_cel_diag *diag)
{
    *out = NULL;
    struct ps_cel_program *p = ps_arena_zalloc(ast->arena, sizeof *p);
    struct checker *c = p ? ps_arena_zalloc(ast->arena, sizeof *c) : NULL;
    if (!c) {
        ps_cel_ast_free(ast);
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    *p = (struct ps_cel_program){.arena = ast->arena, .env = env, .root = ast->root,
                                 .source = ast->source, .source_len = ast->source_len};
    *c = (struct checker){.env = env, .prog = p, .a = ast->arena, .diag = diag,
                          .typed = !(flags & PS_CEL_NO_CHECK)};
    const struct ps_cel_type *t = check(c, ast->root);
    p->type = t ? deep(c, t, true) : NULL;
    if (!p->type) {
        enum ps_err e = c->err; /* c lives in the arena */
        ps_arena_free(ast->arena);
        return e != PS_OK ? e : cel_diag_set(diag, PS_ERR_INTERNAL, "check failed");
    }
    cel_plan(p);
    *out = p;
    return PS_OK;
}

enum ps_err ps_cel_compile(const struct ps_cel_env *env, struct ps_str source, unsigned flags,
                           struct ps_cel_program **out, struct ps_cel_diag *diag)
{
    struct ps_cel_ast *ast;
    *out = NULL;
    enum ps_err e = ps_cel_parse(env, source, flags, &ast, diag);
    if (e != PS_OK)
        return e;
    return ps_cel_check(env, ast, flags, out, diag);
}

void ps_cel_program_free(struct ps_cel_program *p)
{
    if (p)
        ps_arena_free(p->arena);
}

const struct ps_cel_type *ps_cel_program_type(const struct ps_cel_program *p)
{
    return p->type;
}

bool ps_cel_program_constant(const struct ps_cel_program *p, struct ps_cel_value *out)
{
    if (p->root->kind != N_CONST)
        return false;
    *out = p->root->value;
    return true;
}
