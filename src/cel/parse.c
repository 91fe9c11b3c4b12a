/* The CEL parser: recursive descent over langdef's grammar into a compact AST, with a depth
 * limit on both the parser's recursion and the height of the tree it builds (so that a long
 * chain such as 1+1+...+1 cannot make the checker or evaluator recurse without bound), and
 * macro expansion (has, all, exists, exists_one, map, filter, the two-variable forms,
 * transformList/transformMap, cel.bind, optMap/optFlatMap). */
#include "cel/cel_int.h"
#include "core/str.h"

struct parser {
    struct ps_arena *a;
    struct cel_lexer lx;
    struct cel_token tok;
    struct ps_cel_diag *diag;
    enum ps_err err;
    uint32_t depth, max_depth;
    bool macros;
};

struct nodevec {
    struct cel_node **v;
    uint32_t n, cap;
};

#define MAX_ARGS 65535u

static struct cel_node *parse_expr(struct parser *p);

static struct cel_node *fail(struct parser *p, uint32_t at, const char *fmt, ...)
    PS_PRINTF(3, 4);

static struct cel_node *fail(struct parser *p, uint32_t at, const char *fmt, ...)
{
    if (p->err != PS_OK)
        return NULL;
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    ps_str_vcut(msg, sizeof msg, fmt, ap);
    va_end(ap);
    p->err = cel_diag_at(p->diag, PS_ERR_INVALID, p->lx.src, p->lx.len, at, "%s", msg);
    return NULL;
}

static struct cel_node *nomem(struct parser *p)
{
    if (p->err == PS_OK)
        p->err = cel_diag_set(p->diag, PS_ERR_LIMIT, "expression too large for the memory "
                                                     "budget");
    return NULL;
}

static void next(struct parser *p)
{
    if (p->err != PS_OK)
        return;
    enum ps_err e = cel_lex_next(&p->lx, &p->tok, p->diag);
    if (e != PS_OK) {
        p->err = e;
        p->tok.kind = TK_EOF;
    }
}

static bool accept(struct parser *p, uint8_t kind)
{
    if (p->err != PS_OK || p->tok.kind != kind)
        return false;
    next(p);
    return true;
}

static bool expect(struct parser *p, uint8_t kind)
{
    if (accept(p, kind))
        return true;
    fail(p, p->tok.start, "syntax error: expected %s, found %s", cel_tok_name(kind),
         cel_tok_name(p->tok.kind));
    return false;
}

static struct cel_node *mk(struct parser *p, uint8_t kind, uint32_t offset)
{
    struct cel_node *n = ps_arena_zalloc(p->a, sizeof *n);
    if (!n)
        return nomem(p);
    n->kind = kind;
    n->offset = offset;
    n->depth = 1;
    return n;
}

/* Computes n's height from its children and enforces the depth limit. */
static struct cel_node *finish(struct parser *p, struct cel_node *n)
{
    if (!n)
        return NULL;
    uint32_t d = n->target ? n->target->depth : 0;
    for (uint32_t i = 0; i < n->nargs; i++)
        if (n->args[i]->depth > d)
            d = n->args[i]->depth;
    n->depth = d + 1;
    if (n->depth > p->max_depth)
        return fail(p, n->offset, "expression nested more than %u levels deep", p->max_depth);
    return n;
}

static bool vec_push(struct parser *p, struct nodevec *v, struct cel_node *n)
{
    if (!n)
        return false;
    if (v->n == v->cap) {
        if (v->cap >= MAX_ARGS) {
            fail(p, n->offset, "more than %u elements or arguments", MAX_ARGS);
            return false;
        }
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        if (cap > MAX_ARGS)
            cap = MAX_ARGS;
        struct cel_node **nv = ps_arena_array(p->a, cap, sizeof *nv);
        if (!nv) {
            nomem(p);
            return false;
        }
        if (v->n)
            memcpy(nv, v->v, v->n * sizeof *nv);
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = n;
    return true;
}

static struct cel_node *mk_args(struct parser *p, uint8_t kind, uint32_t offset,
                                struct cel_node *target, struct nodevec *args)
{
    struct cel_node *n = mk(p, kind, offset);
    if (!n)
        return NULL;
    n->target = target;
    n->args = args->v;
    n->nargs = (uint16_t)args->n;
    return finish(p, n);
}

/* An operator call with one (a1 NULL for unary operators) or two operands. */
static struct cel_node *mk_call(struct parser *p, const char *name, uint32_t offset,
                                struct cel_node *a0, struct cel_node *a1, bool binary)
{
    if (!a0 || (binary && !a1) || p->err != PS_OK)
        return NULL;
    struct nodevec v = {0};
    if (!vec_push(p, &v, a0) || (binary && !vec_push(p, &v, a1)))
        return NULL;
    struct cel_node *n = mk_args(p, N_CALL, offset, NULL, &v);
    if (n)
        n->name = ps_str_from_cstr(name);
    return n;
}

/* ---- macros --------------------------------------------------------------------------------- */

static bool simple_name(struct parser *p, const struct cel_node *n)
{
    if (n->kind == N_IDENT && !(n->flags & NF_ROOT))
        return true;
    fail(p, n->offset, "macro variable must be a simple name");
    return false;
}

struct macro_form {
    const char *name;
    uint8_t macro;
    uint8_t nargs; /* as written */
    uint8_t nvars;
};

static const struct macro_form receiver_macros[] = {
    {"all", M_ALL, 2, 1},           {"all", M_ALL, 3, 2},
    {"exists", M_EXISTS, 2, 1},     {"exists", M_EXISTS, 3, 2},
    {"exists_one", M_EXISTS_ONE, 2, 1}, {"exists_one", M_EXISTS_ONE, 3, 2},
    {"existsOne", M_EXISTS_ONE, 2, 1},  {"existsOne", M_EXISTS_ONE, 3, 2},
    {"map", M_MAP, 2, 1},           {"map", M_MAP, 3, 1},
    {"filter", M_FILTER, 2, 1},
    {"transformList", M_TLIST, 3, 2}, {"transformList", M_TLIST, 4, 2},
    {"transformMap", M_TMAP, 3, 2},   {"transformMap", M_TMAP, 4, 2},
    {"optMap", M_OPT_MAP, 2, 1},    {"optFlatMap", M_OPT_FLAT_MAP, 2, 1},
    {"bind", M_BIND, 3, 1},
};

static const struct macro_form *find_macro(struct ps_str name, struct cel_node *target,
                                           uint32_t nargs)
{
    for (size_t i = 0; i < sizeof receiver_macros / sizeof receiver_macros[0]; i++) {
        const struct macro_form *m = &receiver_macros[i];
        if (m->nargs != nargs || !ps_str_eq_cstr(name, m->name))
            continue;
        if (m->macro == M_BIND && !(target->kind == N_IDENT && !(target->flags & NF_ROOT) &&
                                    ps_str_eq_cstr(target->name, "cel")))
            continue;
        return m;
    }
    return NULL;
}

static struct cel_node *expand(struct parser *p, const struct macro_form *m,
                               struct cel_node *target, struct nodevec *args, uint32_t offset)
{
    for (uint32_t i = 0; i < m->nvars; i++)
        if (!simple_name(p, args->v[i]))
            return NULL;
    if (m->nvars == 2 && ps_str_eq(args->v[0]->name, args->v[1]->name))
        return fail(p, args->v[1]->offset, "the two macro variables must differ");
    struct cel_node *n = mk(p, N_COMPR, offset);
    if (!n)
        return NULL;
    n->op = m->macro;
    n->nvars = m->nvars;
    n->name = args->v[0]->name;
    if (m->nvars == 2)
        n->name2 = args->v[1]->name;
    n->target = target;
    if (m->macro == M_BIND)
        n->target = args->v[1]; /* cel.bind(var, init, body): the init is evaluated first */
    uint32_t first = m->macro == M_BIND ? 2 : m->nvars;
    n->args = args->v + first;
    n->nargs = (uint16_t)(args->n - first);
    return finish(p, n);
}

/* A call, or the macro it spells. target is NULL for a global call. */
static struct cel_node *make_call(struct parser *p, struct ps_str name, uint32_t offset,
                                  struct cel_node *target, struct nodevec *args, bool root)
{
    if (p->macros && !target && !root && ps_str_eq_cstr(name, "has") && args->n == 1) {
        struct cel_node *arg = args->v[0];
        if (arg->kind != N_SELECT || (arg->flags & (NF_OPT | NF_TEST)))
            return fail(p, arg->offset, "invalid argument to has(): expected a field selection "
                                        "such as has(a.b)");
        arg->flags |= NF_TEST;
        return arg;
    }
    if (p->macros && target) {
        const struct macro_form *m = find_macro(name, target, args->n);
        if (m)
            return expand(p, m, target, args, offset);
    }
    struct nodevec all = {0};
    if (target && !vec_push(p, &all, target))
        return NULL;
    for (uint32_t i = 0; i < args->n; i++)
        if (!vec_push(p, &all, args->v[i]))
            return NULL;
    struct cel_node *n = mk_args(p, N_CALL, offset, NULL, &all);
    if (!n)
        return NULL;
    n->name = name;
    if (target)
        n->flags |= NF_RECV;
    if (root)
        n->flags |= NF_ROOT;
    return n;
}

/* ---- primaries and members ------------------------------------------------------------------- */

static bool reserved(struct ps_str s)
{
    static const char *const words[] = {"as", "break", "const", "continue", "else", "for",
                                        "function", "if", "import", "let", "loop", "package",
                                        "namespace", "return", "var", "void", "while"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (ps_str_eq_cstr(s, words[i]))
            return true;
    return false;
}

static bool parse_call_args(struct parser *p, struct nodevec *args)
{
    if (!expect(p, TK_LPAREN))
        return false;
    if (accept(p, TK_RPAREN))
        return true;
    do {
        if (!vec_push(p, args, parse_expr(p)))
            return false;
    } while (accept(p, TK_COMMA));
    return expect(p, TK_RPAREN);
}

static struct cel_node *constant(struct parser *p, struct ps_cel_value v, uint32_t at)
{
    struct cel_node *n = mk(p, N_CONST, at);
    if (n)
        n->value = v;
    return n;
}

/* neg: a minus sign at offset neg_at belongs to the literal. */
static struct cel_node *parse_int(struct parser *p, bool neg, uint32_t neg_at)
{
    struct cel_token t = p->tok;
    next(p);
    if (t.kind == TK_UINT) {
        if (t.overflow)
            return fail(p, t.start, "uint literal out of range");
        return constant(p, ps_cel_uint(t.u), t.start);
    }
    if (t.overflow || t.u > (uint64_t)INT64_MAX + (neg ? 1u : 0u))
        return fail(p, t.start, "integer literal out of range");
    int64_t v = neg ? (t.u == (uint64_t)INT64_MAX + 1u ? INT64_MIN : -(int64_t)t.u)
                    : (int64_t)t.u;
    return constant(p, ps_cel_int(v), neg ? neg_at : t.start);
}

static struct cel_node *parse_list(struct parser *p, uint8_t close, uint8_t kind)
{
    uint32_t at = p->tok.start;
    next(p);
    struct nodevec v = {0};
    while (p->err == PS_OK && p->tok.kind != close) {
        bool opt = accept(p, TK_QUESTION);
        struct cel_node *e = parse_expr(p);
        if (!vec_push(p, &v, e))
            return NULL;
        if (opt)
            e->flags |= NF_ENTRY;
        if (kind == N_MAP) {
            if (!expect(p, TK_COLON) || !vec_push(p, &v, parse_expr(p)))
                return NULL;
        }
        if (!accept(p, TK_COMMA))
            break;
    }
    if (!expect(p, close))
        return NULL;
    return mk_args(p, kind, at, NULL, &v);
}

static bool field_name(struct parser *p, struct ps_str *out)
{
    if (p->tok.kind != TK_IDENT && p->tok.kind != TK_QIDENT) {
        fail(p, p->tok.start, "syntax error: expected a field name, found %s",
             cel_tok_name(p->tok.kind));
        return false;
    }
    *out = p->tok.s;
    next(p);
    return true;
}

/* Qualified name of an identifier/selection chain ("a.b.c"), or PS_STR_NULL. */
static struct ps_str qualified(struct parser *p, const struct cel_node *n)
{
    if (n->kind == N_IDENT)
        return n->name;
    if (n->kind != N_SELECT || (n->flags & (NF_OPT | NF_TEST)))
        return PS_STR_NULL;
    struct ps_str head = qualified(p, n->target);
    if (!head.p)
        return PS_STR_NULL;
    char *s = ps_arena_printf(p->a, "%.*s.%.*s", PS_STR_FMT(head), PS_STR_FMT(n->name));
    return s ? ps_str_from_cstr(s) : PS_STR_NULL;
}

static struct cel_node *parse_struct(struct parser *p, struct cel_node *type)
{
    struct ps_str name = qualified(p, type);
    if (!name.p)
        return fail(p, p->tok.start, "syntax error: unexpected '{'");
    uint32_t at = p->tok.start;
    next(p);
    struct nodevec v = {0};
    while (p->err == PS_OK && p->tok.kind != TK_RBRACE) {
        bool opt = accept(p, TK_QUESTION);
        uint32_t fat = p->tok.start;
        struct ps_str f;
        if (!field_name(p, &f))
            return NULL;
        struct cel_node *k = constant(p, ps_cel_string(f), fat);
        if (!vec_push(p, &v, k) || !expect(p, TK_COLON) || !vec_push(p, &v, parse_expr(p)))
            return NULL;
        if (opt)
            k->flags |= NF_ENTRY;
        if (!accept(p, TK_COMMA))
            break;
    }
    if (!expect(p, TK_RBRACE))
        return NULL;
    struct cel_node *n = mk_args(p, N_STRUCT, at, NULL, &v);
    if (n)
        n->name = name;
    return n;
}

static struct cel_node *parse_ident(struct parser *p)
{
    uint32_t at = p->tok.start;
    bool root = accept(p, TK_DOT);
    if (p->tok.kind != TK_IDENT)
        return fail(p, p->tok.start, "syntax error: expected an identifier, found %s",
                    cel_tok_name(p->tok.kind));
    struct ps_str name = p->tok.s;
    if (reserved(name))
        return fail(p, p->tok.start, "'%.*s' is a reserved word", PS_STR_FMT(name));
    next(p);
    if (p->tok.kind == TK_LPAREN) {
        struct nodevec args = {0};
        if (!parse_call_args(p, &args))
            return NULL;
        return make_call(p, name, at, NULL, &args, root);
    }
    struct cel_node *n = mk(p, N_IDENT, at);
    if (n) {
        n->name = name;
        n->flags = root ? NF_ROOT : 0;
    }
    return n;
}

static struct cel_node *parse_primary(struct parser *p, bool neg, uint32_t neg_at)
{
    struct cel_token t = p->tok;
    switch (t.kind) {
    case TK_INT:
    case TK_UINT:
        return parse_int(p, neg, neg_at);
    case TK_DOUBLE:
        next(p);
        return constant(p, ps_cel_double(neg ? -t.d : t.d), neg ? neg_at : t.start);
    case TK_STRING:
        next(p);
        return constant(p, ps_cel_string(t.s), t.start);
    case TK_BYTES:
        next(p);
        return constant(p, ps_cel_bytes(t.s.p, t.s.len), t.start);
    case TK_TRUE:
    case TK_FALSE:
        next(p);
        return constant(p, ps_cel_bool(t.kind == TK_TRUE), t.start);
    case TK_NULL:
        next(p);
        return constant(p, ps_cel_null(), t.start);
    case TK_DOT:
    case TK_IDENT:
        return parse_ident(p);
    case TK_LPAREN: {
        next(p);
        struct cel_node *e = parse_expr(p);
        return expect(p, TK_RPAREN) ? e : NULL;
    }
    case TK_LBRACKET:
        return parse_list(p, TK_RBRACKET, N_LIST);
    case TK_LBRACE:
        return parse_list(p, TK_RBRACE, N_MAP);
    default:
        return fail(p, t.start, "syntax error: unexpected %s", cel_tok_name(t.kind));
    }
}

static struct cel_node *parse_select(struct parser *p, struct cel_node *n)
{
    uint32_t at = p->tok.start;
    next(p);
    bool opt = accept(p, TK_QUESTION);
    bool quoted = p->tok.kind == TK_QIDENT;
    struct ps_str name;
    if (!field_name(p, &name))
        return NULL;
    if (p->tok.kind == TK_LPAREN && !opt && !quoted) {
        struct nodevec args = {0};
        if (!parse_call_args(p, &args))
            return NULL;
        return make_call(p, name, at, n, &args, false);
    }
    struct cel_node *s = mk(p, N_SELECT, at);
    if (!s)
        return NULL;
    s->target = n;
    s->name = name;
    s->flags = opt ? NF_OPT : 0;
    return finish(p, s);
}

static struct cel_node *parse_member(struct parser *p, bool neg, uint32_t neg_at)
{
    struct cel_node *n = parse_primary(p, neg, neg_at);
    while (n && p->err == PS_OK) {
        if (p->tok.kind == TK_DOT) {
            n = parse_select(p, n);
        } else if (p->tok.kind == TK_LBRACKET) {
            uint32_t at = p->tok.start;
            next(p);
            bool opt = accept(p, TK_QUESTION);
            struct nodevec v = {0};
            if (!vec_push(p, &v, parse_expr(p)) || !expect(p, TK_RBRACKET))
                return NULL;
            n = mk_args(p, N_INDEX, at, n, &v);
            if (n && opt)
                n->flags |= NF_OPT;
        } else if (p->tok.kind == TK_LBRACE && (n->kind == N_IDENT || n->kind == N_SELECT)) {
            n = parse_struct(p, n);
        } else {
            break;
        }
    }
    return p->err == PS_OK ? n : NULL;
}

/* ---- operators ------------------------------------------------------------------------------- */

static struct cel_node *parse_unary(struct parser *p)
{
    uint8_t op = p->tok.kind;
    if (op != TK_BANG && op != TK_MINUS)
        return parse_member(p, false, 0);
    uint32_t at = p->tok.start;
    unsigned count = 0;
    while (p->tok.kind == op && p->err == PS_OK) {
        count++;
        next(p);
    }
    bool odd = count % 2 == 1;
    /* a minus right before a number is the literal's sign (-9223372036854775808 is valid) */
    if (op == TK_MINUS && odd && (p->tok.kind == TK_INT || p->tok.kind == TK_DOUBLE))
        return parse_member(p, true, at);
    struct cel_node *m = parse_member(p, false, 0);
    if (!odd)
        return m; /* pairs cancel, as in cel-go */
    return mk_call(p, op == TK_BANG ? "!_" : "-_", at, m, NULL, false);
}

static const char *binop_name(uint8_t kind, int level)
{
    static const struct {
        uint8_t kind;
        int level;
        const char *name;
    } ops[] = {{TK_LT, 0, "_<_"},   {TK_LE, 0, "_<=_"}, {TK_GT, 0, "_>_"},  {TK_GE, 0, "_>=_"},
               {TK_EQ, 0, "_==_"},  {TK_NE, 0, "_!=_"}, {TK_IN, 0, "@in"},  {TK_PLUS, 1, "_+_"},
               {TK_MINUS, 1, "_-_"}, {TK_STAR, 2, "_*_"}, {TK_SLASH, 2, "_/_"},
               {TK_PERCENT, 2, "_%_"}};
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].kind == kind && ops[i].level == level)
            return ops[i].name;
    return NULL;
}

/* Left-associative binary levels: 0 relations, 1 additive, 2 multiplicative. */
static struct cel_node *parse_binary(struct parser *p, int level)
{
    struct cel_node *l = level == 2 ? parse_unary(p) : parse_binary(p, level + 1);
    const char *name;
    while (l && (name = binop_name(p->tok.kind, level)) != NULL) {
        uint32_t at = p->tok.start;
        next(p);
        struct cel_node *r = level == 2 ? parse_unary(p) : parse_binary(p, level + 1);
        l = mk_call(p, name, at, l, r, true);
    }
    return l;
}

static struct cel_node *parse_logic(struct parser *p, uint8_t tok, uint8_t kind)
{
    struct cel_node *l = tok == TK_OR ? parse_logic(p, TK_AND, N_AND) : parse_binary(p, 0);
    while (l && p->tok.kind == tok) {
        uint32_t at = p->tok.start;
        next(p);
        struct cel_node *r =
            tok == TK_OR ? parse_logic(p, TK_AND, N_AND) : parse_binary(p, 0);
        struct nodevec v = {0};
        if (!vec_push(p, &v, l) || !vec_push(p, &v, r))
            return NULL;
        l = mk_args(p, kind, at, NULL, &v);
    }
    return l;
}

static struct cel_node *parse_expr(struct parser *p)
{
    if (++p->depth > p->max_depth)
        return fail(p, p->tok.start, "expression nested more than %u levels deep",
                    p->max_depth);
    struct cel_node *c = parse_logic(p, TK_OR, N_OR);
    if (c && p->tok.kind == TK_QUESTION) {
        uint32_t at = p->tok.start;
        next(p);
        struct nodevec v = {0};
        if (!vec_push(p, &v, c) || !vec_push(p, &v, parse_logic(p, TK_OR, N_OR)) ||
            !expect(p, TK_COLON) || !vec_push(p, &v, parse_expr(p)))
            return NULL;
        c = mk_args(p, N_COND, at, NULL, &v);
    }
    p->depth--;
    return p->err == PS_OK ? c : NULL;
}

/* ---- entry points ----------------------------------------------------------------------------- */

enum ps_err ps_cel_parse(const struct ps_cel_env *env, struct ps_str source, unsigned flags,
                         struct ps_cel_ast **out, struct ps_cel_diag *diag)
{
    *out = NULL;
    if (source.len > env->max_source)
        return cel_diag_set(diag, PS_ERR_LIMIT, "expression longer than %zu bytes",
                            env->max_source);
    size_t bad = cel_utf8_invalid_at(source.p, source.len);
    if (bad < source.len)
        return cel_diag_at(diag, PS_ERR_INVALID, source.p, bad, (uint32_t)bad,
                           "expression is not valid UTF-8");
    struct ps_arena *a = ps_arena_new(env->max_memory);
    struct ps_cel_ast *ast = a ? ps_arena_zalloc(a, sizeof *ast) : NULL;
    char *src = ast ? ps_arena_strndup(a, source.p ? source.p : "", source.len) : NULL;
    if (!src) {
        ps_arena_free(a);
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    struct parser p = {.a = a, .lx = {.arena = a, .src = src, .len = source.len},
                       .diag = diag, .max_depth = env->max_depth,
                       .macros = !(flags & PS_CEL_NO_MACROS)};
    next(&p);
    struct cel_node *root = parse_expr(&p);
    if (root && p.tok.kind != TK_EOF)
        fail(&p, p.tok.start, "syntax error: unexpected %s", cel_tok_name(p.tok.kind));
    if (p.err != PS_OK) {
        ps_arena_free(a);
        return p.err;
    }
    *ast = (struct ps_cel_ast){.arena = a, .root = root, .source = src,
                               .source_len = source.len, .flags = flags};
    *out = ast;
    return PS_OK;
}

void ps_cel_ast_free(struct ps_cel_ast *ast)
{
    if (ast)
        ps_arena_free(ast->arena);
}
