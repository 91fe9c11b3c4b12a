/* The environment: declared variables (each with an activation slot) and functions (each a
 * list of typed overloads with their C implementation), hashed by name. The standard library
 * (stdlib.c) is declared through the same path as the embedder's functions. */
#include <stddef.h>
#include <stdio.h>

#include "cel/cel_int.h"

/* ---- hashing ---------------------------------------------------------------------------------- */

static uint32_t name_hash(struct ps_str s)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < s.len; i++)
        h = (h ^ (unsigned char)s.p[i]) * 16777619u;
    return h;
}

static bool grow(struct ps_arena *a, void ***buckets, uint32_t *nb, uint32_t count,
                 size_t next_off, const char *(*name)(void *))
{
    if (count < *nb)
        return true;
    uint32_t n2 = *nb * 2;
    void **nbk = ps_arena_array(a, n2, sizeof *nbk);
    if (!nbk)
        return false;
    for (uint32_t i = 0; i < *nb; i++) {
        void *e = (*buckets)[i];
        while (e) {
            void *next = *(void **)((char *)e + next_off);
            uint32_t h = name_hash(ps_str_from_cstr(name(e))) & (n2 - 1);
            *(void **)((char *)e + next_off) = nbk[h];
            nbk[h] = e;
            e = next;
        }
    }
    *buckets = nbk;
    *nb = n2;
    return true;
}

static const char *func_name(void *e)
{
    return ((struct cel_func *)e)->name;
}

static const char *var_name(void *e)
{
    return ((struct cel_var *)e)->name;
}

const struct cel_func *cel_env_func(const struct ps_cel_env *env, struct ps_str name)
{
    for (const struct cel_func *f = env->funcs[name_hash(name) & (env->nfunc_buckets - 1)]; f;
         f = f->hnext)
        if (ps_str_eq_cstr(name, f->name))
            return f;
    return NULL;
}

const struct cel_var *cel_env_var(const struct ps_cel_env *env, struct ps_str name)
{
    for (const struct cel_var *v = env->vars[name_hash(name) & (env->nvar_buckets - 1)]; v;
         v = v->hnext)
        if (ps_str_eq_cstr(name, v->name))
            return v;
    return NULL;
}

/* ---- the environment ------------------------------------------------------------------------- */

struct ps_cel_env *cel_env_create(const struct ps_cel_env_options *opts)
{
    struct ps_cel_env_options o = opts ? *opts : (struct ps_cel_env_options){0};
    size_t mem = o.max_memory ? o.max_memory : CEL_MAX_MEMORY_DEFAULT;
    struct ps_arena *a = ps_arena_new(mem > (4u << 20) ? mem : (4u << 20));
    struct ps_cel_env *env = a ? ps_arena_zalloc(a, sizeof *env) : NULL;
    if (!env)
        goto fail;
    env->arena = a;
    env->nfunc_buckets = env->nvar_buckets = 256;
    env->funcs = ps_arena_array(a, env->nfunc_buckets, sizeof *env->funcs);
    env->vars = ps_arena_array(a, env->nvar_buckets, sizeof *env->vars);
    env->container = ps_arena_strndup(a, o.container ? o.container : "",
                                      o.container ? strlen(o.container) : 0);
    env->max_source = o.max_source ? o.max_source : CEL_MAX_SOURCE_DEFAULT;
    env->max_depth = o.max_depth ? o.max_depth : CEL_MAX_DEPTH_DEFAULT;
    if (env->max_depth > CEL_MAX_DEPTH_HARD)
        env->max_depth = CEL_MAX_DEPTH_HARD;
    env->max_memory = mem;
    if (!env->funcs || !env->vars || !env->container)
        goto fail;
    return env;
fail:
    ps_arena_free(a);
    return NULL;
}

void ps_cel_env_free(struct ps_cel_env *env)
{
    if (env)
        ps_arena_free(env->arena);
}

static bool valid_name(const char *name)
{
    size_t i = 0;
    for (;;) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
            return false;
        while ((c = name[++i]) && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                                   (c >= '0' && c <= '9') || c == '_'))
            ;
        if (!c)
            return true;
        if (c != '.')
            return false;
        i++;
    }
}

enum ps_err ps_cel_env_declare_var_type(struct ps_cel_env *env, const char *name,
                                        const struct ps_cel_type *type, uint32_t *slot,
                                        struct ps_cel_diag *diag)
{
    if (!valid_name(name))
        return cel_diag_set(diag, PS_ERR_INVALID, "invalid variable name '%.64s'", name);
    if (cel_env_var(env, ps_str_from_cstr(name)))
        return cel_diag_set(diag, PS_ERR_EXISTS, "variable '%.64s' declared twice", name);
    if (!grow(env->arena, (void ***)&env->vars, &env->nvar_buckets, env->nvars,
              offsetof(struct cel_var, hnext), var_name))
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    struct cel_var *v = ps_arena_zalloc(env->arena, sizeof *v);
    char *n = v ? ps_arena_strndup(env->arena, name, strlen(name)) : NULL;
    if (!n)
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    v->name = n;
    v->type = type;
    v->slot = env->nvars++;
    uint32_t h = name_hash(ps_str_from_cstr(name)) & (env->nvar_buckets - 1);
    v->hnext = env->vars[h];
    env->vars[h] = v;
    if (slot)
        *slot = v->slot;
    return PS_OK;
}

enum ps_err ps_cel_env_declare_var(struct ps_cel_env *env, const char *name, const char *type,
                                   uint32_t *slot, struct ps_cel_diag *diag)
{
    const struct ps_cel_type *t;
    enum ps_err e = ps_cel_type_parse(env, type, &t, diag);
    if (e != PS_OK)
        return e;
    return ps_cel_env_declare_var_type(env, name, t, slot, diag);
}

bool ps_cel_env_var_slot(const struct ps_cel_env *env, const char *name, uint32_t *slot)
{
    const struct cel_var *v = cel_env_var(env, ps_str_from_cstr(name));
    if (v && slot)
        *slot = v->slot;
    return v != NULL;
}

uint32_t ps_cel_env_var_count(const struct ps_cel_env *env)
{
    return env->nvars;
}

/* ---- functions --------------------------------------------------------------------------------- */

static enum ps_err parse_signature(struct ps_cel_env *env, struct cel_overload *ov,
                                   const char *sig, struct ps_cel_diag *diag)
{
    const char *pnames[CEL_MAX_PARAMS];
    uint32_t np = 0;
    size_t pos = 0;
    while (sig[pos] == ' ')
        pos++;
    if (sig[pos++] != '(')
        return cel_diag_set(diag, PS_ERR_INVALID, "signature '%s' must start with '('", sig);
    while (sig[pos] == ' ')
        pos++;
    while (sig[pos] != ')') {
        if (ov->nparams >= CEL_MAX_PARAMS)
            return cel_diag_set(diag, PS_ERR_LIMIT, "more than %d parameters in '%s'",
                                CEL_MAX_PARAMS, sig);
        enum ps_err e = cel_type_parse_at(env->arena, sig, &pos, pnames, &np,
                                          &ov->params[ov->nparams], diag);
        if (e != PS_OK)
            return e;
        ov->nparams++;
        while (sig[pos] == ' ')
            pos++;
        if (sig[pos] == ',')
            pos++;
        else if (sig[pos] != ')')
            return cel_diag_set(diag, PS_ERR_INVALID, "malformed signature '%s'", sig);
    }
    pos++;
    while (sig[pos] == ' ')
        pos++;
    if (sig[pos] != '-' || sig[pos + 1] != '>')
        return cel_diag_set(diag, PS_ERR_INVALID, "signature '%s' lacks '-> result'", sig);
    pos += 2;
    enum ps_err e = cel_type_parse_at(env->arena, sig, &pos, pnames, &np, &ov->result, diag);
    if (e != PS_OK)
        return e;
    while (sig[pos] == ' ')
        pos++;
    if (sig[pos])
        return cel_diag_set(diag, PS_ERR_INVALID, "unexpected text after '%s'", sig);
    ov->ntparams = (uint8_t)np;
    for (uint8_t i = 0; i < ov->nparams; i++)
        ov->kinds[i] = cel_type_runtime_kind(ov->params[i]);
    return PS_OK;
}

/* Same style and arity, and every parameter could take the same runtime values. */
static bool overlaps(const struct cel_overload *a, const struct cel_overload *b)
{
    if ((a->flags & PS_CEL_FN_RECEIVER) != (b->flags & PS_CEL_FN_RECEIVER) ||
        a->nparams != b->nparams || (a->flags & PS_CEL_FN_VARIADIC) != (b->flags & PS_CEL_FN_VARIADIC))
        return false;
    for (uint8_t i = 0; i < a->nparams; i++)
        if (a->kinds[i] != b->kinds[i] && a->kinds[i] != PS_CEL_UNSET &&
            b->kinds[i] != PS_CEL_UNSET)
            return false;
    return true;
}

static enum ps_err add_overload(struct ps_cel_env *env, struct cel_overload *ov, bool check,
                                struct ps_cel_diag *diag)
{
    struct cel_func *f = (struct cel_func *)cel_env_func(env, ps_str_from_cstr(ov->name));
    if (!f) {
        if (!grow(env->arena, (void ***)&env->funcs, &env->nfunc_buckets, env->nfuncs,
                  offsetof(struct cel_func, hnext), func_name))
            return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        f = ps_arena_zalloc(env->arena, sizeof *f);
        if (!f)
            return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        f->name = ov->name;
        uint32_t h = name_hash(ps_str_from_cstr(ov->name)) & (env->nfunc_buckets - 1);
        f->hnext = env->funcs[h];
        env->funcs[h] = f;
        env->nfuncs++;
    }
    for (const struct cel_overload *o = f->first; o; o = o->next) {
        if (strcmp(o->id, ov->id) == 0)
            return cel_diag_set(diag, PS_ERR_EXISTS, "overload '%s' declared twice", ov->id);
        if (check && overlaps(o, ov))
            return cel_diag_set(diag, PS_ERR_EXISTS, "overload '%s' overlaps '%s' of '%s'",
                                ov->id, o->id, ov->name);
    }
    if (f->last)
        f->last->next = ov;
    else
        f->first = ov;
    f->last = ov;
    return PS_OK;
}

static enum ps_err declare(struct ps_cel_env *env, const struct ps_cel_fn_decl *d,
                           cel_prepare_fn prepare, bool check, struct ps_cel_diag *diag)
{
    /* the standard library (check false) also declares operators such as _+_ */
    if (!d->name || (check && !valid_name(d->name)) || !d->overload_id || !d->signature ||
        !d->impl)
        return cel_diag_set(diag, PS_ERR_INVALID, "function declaration '%.64s' incomplete or "
                            "badly named", d->name ? d->name : "");
    struct cel_overload *ov = ps_arena_zalloc(env->arena, sizeof *ov);
    if (!ov)
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    ov->name = ps_arena_strndup(env->arena, d->name, strlen(d->name));
    ov->id = ps_arena_strndup(env->arena, d->overload_id, strlen(d->overload_id));
    if (!ov->name || !ov->id)
        return cel_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    ov->flags = d->flags;
    ov->impl = d->impl;
    ov->udata = d->udata;
    ov->prepare = prepare;
    enum ps_err e = parse_signature(env, ov, d->signature, diag);
    if (e != PS_OK)
        return e;
    if (((d->flags & PS_CEL_FN_RECEIVER) || (d->flags & PS_CEL_FN_VARIADIC)) && ov->nparams == 0)
        return cel_diag_set(diag, PS_ERR_INVALID, "'%s': a receiver or variadic function needs "
                            "a parameter", d->overload_id);
    return add_overload(env, ov, check, diag);
}

enum ps_err ps_cel_env_declare_fn(struct ps_cel_env *env, const struct ps_cel_fn_decl *decl,
                                  struct ps_cel_diag *diag)
{
    return declare(env, decl, NULL, true, diag);
}

enum ps_err cel_env_declare(struct ps_cel_env *env, const struct ps_cel_fn_decl *decl,
                            cel_prepare_fn prepare, struct ps_cel_diag *diag)
{
    return declare(env, decl, prepare, false, diag);
}

enum ps_err cel_declare_table(struct ps_cel_env *env, const struct cel_decl *t, size_t n,
                              struct ps_cel_diag *diag)
{
    for (size_t i = 0; i < n; i++) {
        struct ps_cel_fn_decl d = {.name = t[i].name, .overload_id = t[i].id,
                                   .signature = t[i].sig, .flags = t[i].flags,
                                   .impl = t[i].impl};
        enum ps_err e = cel_env_declare(env, &d, t[i].prepare, diag);
        if (e != PS_OK)
            return e;
    }
    return PS_OK;
}
