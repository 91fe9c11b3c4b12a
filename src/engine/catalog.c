/* The catalogue (engine.h): every definition version this process loaded, and the current
 * one of each service. Versions are never freed before the engine, so a pointer handed out is
 * good for the engine's life; the lock guards only the two arrays. */
#include "engine/engine.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ps_malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* The built-in definitions, embedded from services/<id>.yaml (meson.build). */
extern const char ps_svc_fop_registration[], ps_svc_idp_registration[], ps_svc_marriage[];
extern const size_t ps_svc_fop_registration_len, ps_svc_idp_registration_len,
    ps_svc_marriage_len;

struct ps_engine {
    struct ps_engine_opts opts;
    char *dir;
    struct ps_engine_env *env;
    pthread_mutex_t mu;
    struct ps_svc **all; /* owned, every version */
    size_t nall, capall;
    const struct ps_svc *cur[PS_ENGINE_MAX_SERVICES];
    size_t ncur;
};

static void refusal(struct ps_engine_report *r, const char *msg)
{
    if (r->refused < PS_ENGINE_REPORT_MAX)
        snprintf(r->refusals[r->refused], sizeof r->refusals[0], "%s", msg);
    r->refused++;
}

static int cur_index(struct ps_engine *e, const char *id)
{
    for (size_t i = 0; i < e->ncur; i++)
        if (strcmp(e->cur[i]->id, id) == 0)
            return (int)i;
    return -1;
}

/* Takes svc (owned) into the engine, or frees it: unchanged, refused, or kept. Locked. */
static enum ps_err consider(struct ps_engine *e, struct ps_svc *svc,
                            struct ps_engine_report *r)
{
    char msg[256];
    for (size_t i = 0; i < e->nall; i++) {
        struct ps_svc *o = e->all[i];
        if (strcmp(o->id, svc->id) != 0 || o->version != svc->version)
            continue;
        if (strcmp(o->sha256, svc->sha256) != 0) {
            snprintf(msg, sizeof msg,
                     "%s: version %u of %s is already served with other content: raise the "
                     "version",
                     svc->file, svc->version, svc->id);
            refusal(r, msg);
        } else {
            r->unchanged++;
        }
        ps_svc_free(svc);
        return PS_OK;
    }
    int c = cur_index(e, svc->id);
    if (c < 0 && e->ncur == PS_ENGINE_MAX_SERVICES) {
        snprintf(msg, sizeof msg, "%s: more than %d services", svc->file,
                 PS_ENGINE_MAX_SERVICES);
        refusal(r, msg);
        ps_svc_free(svc);
        return PS_OK;
    }
    if (e->nall == e->capall) {
        size_t cap = e->capall ? e->capall * 2 : 16;
        struct ps_svc **n = ps_realloc(e->all, cap * sizeof *n);
        if (!n) {
            ps_svc_free(svc);
            return PS_ERR_NOMEM;
        }
        e->all = n;
        e->capall = cap;
    }
    e->all[e->nall++] = svc;
    if (c < 0)
        e->cur[e->ncur++] = svc;
    else if (e->cur[c]->version < svc->version)
        e->cur[c] = svc;
    r->loaded++;
    return PS_OK;
}

static enum ps_err take(struct ps_engine *e, const char *text, size_t len, const char *name,
                        struct ps_engine_report *r)
{
    struct ps_svc *svc = NULL;
    struct ps_diag d = {0};
    enum ps_err rc = ps_svc_load(e->env, text, len, name, &svc, &d);
    if (rc == PS_ERR_NOMEM)
        return rc;
    if (rc != PS_OK) {
        refusal(r, d.message);
        return PS_OK;
    }
    pthread_mutex_lock(&e->mu);
    rc = consider(e, svc, r);
    pthread_mutex_unlock(&e->mu);
    return rc;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.yaml files of dir, sorted (at most PS_ENGINE_MAX_SERVICES). */
static enum ps_err take_dir(struct ps_engine *e, struct ps_engine_report *r,
                            struct ps_diag *diag)
{
    DIR *d = opendir(e->dir);
    if (!d)
        return ps_diag_set(diag, PS_ERR_IO, "%s: cannot open the directory", e->dir);
    char *names[PS_ENGINE_MAX_SERVICES];
    size_t n = 0;
    struct dirent *de;
    enum ps_err rc = PS_OK;
    while (rc == PS_OK && (de = readdir(d)) != NULL) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 6 || strcmp(de->d_name + l - 5, ".yaml") != 0)
            continue;
        if (n == PS_ENGINE_MAX_SERVICES)
            rc = ps_diag_set(diag, PS_ERR_LIMIT, "%s: more than %d definitions", e->dir,
                             PS_ENGINE_MAX_SERVICES);
        else if (!(names[n++] = dupstr(de->d_name)))
            rc = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    closedir(d);
    qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n; i++) {
        char path[1024];
        struct ps_svc *svc = NULL;
        struct ps_diag ld = {0};
        int w = snprintf(path, sizeof path, "%s/%s", e->dir, names[i]);
        if (rc == PS_OK && (w < 0 || (size_t)w >= sizeof path))
            refusal(r, "a definition's path is too long");
        else if (rc == PS_OK && ps_svc_load_file(e->env, path, &svc, &ld) != PS_OK)
            refusal(r, ld.message);
        else if (rc == PS_OK) {
            pthread_mutex_lock(&e->mu);
            rc = consider(e, svc, r);
            pthread_mutex_unlock(&e->mu);
        }
        ps_free(names[i]);
    }
    return rc;
}

static enum ps_err load_all(struct ps_engine *e, struct ps_engine_report *r,
                            struct ps_diag *diag)
{
    static const struct {
        const char *name;
        const char *text;
        const size_t *len;
    } builtin[] = {
        {"services/fop-registration.yaml", ps_svc_fop_registration,
         &ps_svc_fop_registration_len},
        {"services/idp-registration.yaml", ps_svc_idp_registration,
         &ps_svc_idp_registration_len},
        {"services/marriage.yaml", ps_svc_marriage, &ps_svc_marriage_len},
    };
    memset(r, 0, sizeof *r);
    enum ps_err rc = PS_OK;
    for (size_t i = 0; rc == PS_OK && !e->opts.no_builtin && i < sizeof builtin / sizeof builtin[0];
         i++)
        rc = take(e, builtin[i].text, *builtin[i].len, builtin[i].name, r);
    if (rc == PS_ERR_NOMEM)
        return ps_diag_set(diag, rc, "out of memory");
    return rc == PS_OK && e->dir ? take_dir(e, r, diag) : rc;
}

enum ps_err ps_engine_new(const struct ps_engine_opts *opts, struct ps_engine **out,
                          struct ps_engine_report *report, struct ps_diag *diag)
{
    *out = NULL;
    struct ps_engine *e = ps_calloc(1, sizeof *e);
    if (!e)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&e->mu, NULL);
    if (opts)
        e->opts = *opts;
    enum ps_err rc = PS_OK;
    if (opts && opts->services_dir && !(e->dir = dupstr(opts->services_dir)))
        rc = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    e->opts.services_dir = e->dir;
    if (rc == PS_OK)
        rc = ps_engine_env_new(NULL, &e->env, diag);
    if (rc == PS_OK)
        rc = load_all(e, report, diag);
    if (rc != PS_OK) {
        ps_engine_free(e);
        return rc;
    }
    *out = e;
    return PS_OK;
}

void ps_engine_free(struct ps_engine *e)
{
    if (!e)
        return;
    for (size_t i = 0; i < e->nall; i++)
        ps_svc_free(e->all[i]);
    ps_free(e->all);
    ps_engine_env_free(e->env);
    ps_free(e->dir);
    pthread_mutex_destroy(&e->mu);
    ps_free(e);
}

const struct ps_engine_env *ps_engine_env(const struct ps_engine *e)
{
    return e->env;
}

const struct ps_engine_opts *ps_engine_opts(const struct ps_engine *e)
{
    return &e->opts;
}

enum ps_err ps_engine_reload(struct ps_engine *e, struct ps_engine_report *report,
                             struct ps_diag *diag)
{
    return load_all(e, report, diag);
}

static int svc_cmp(const void *a, const void *b)
{
    return strcmp((*(const struct ps_svc *const *)a)->id, (*(const struct ps_svc *const *)b)->id);
}

size_t ps_engine_catalogue(struct ps_engine *e, const struct ps_svc **out, size_t cap)
{
    pthread_mutex_lock(&e->mu);
    size_t n = e->ncur < cap ? e->ncur : cap;
    memcpy(out, e->cur, n * sizeof *out);
    pthread_mutex_unlock(&e->mu);
    qsort(out, n, sizeof *out, svc_cmp);
    return n;
}

const struct ps_svc *ps_engine_current(struct ps_engine *e, struct ps_str id)
{
    const struct ps_svc *s = NULL;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->ncur && !s; i++)
        if (ps_str_eq_cstr(id, e->cur[i]->id))
            s = e->cur[i];
    pthread_mutex_unlock(&e->mu);
    return s;
}

const struct ps_svc *ps_engine_version(struct ps_engine *e, struct ps_str id, uint32_t version)
{
    const struct ps_svc *s = NULL;
    pthread_mutex_lock(&e->mu);
    for (size_t i = 0; i < e->nall && !s; i++)
        if (e->all[i]->version == version && ps_str_eq_cstr(id, e->all[i]->id))
            s = e->all[i];
    pthread_mutex_unlock(&e->mu);
    return s;
}

enum ps_err ps_engine_adopt(struct ps_engine *e, const char *source, size_t len,
                            const char *name, const struct ps_svc **out, struct ps_diag *diag)
{
    struct ps_svc *svc = NULL;
    *out = NULL;
    enum ps_err rc = ps_svc_load(e->env, source, len, name, &svc, diag);
    if (rc != PS_OK)
        return rc;
    pthread_mutex_lock(&e->mu);
    const struct ps_svc *have = NULL;
    for (size_t i = 0; i < e->nall && !have; i++)
        if (e->all[i]->version == svc->version && strcmp(e->all[i]->id, svc->id) == 0)
            have = e->all[i];
    if (!have && e->nall < e->capall) {
        e->all[e->nall++] = svc; /* kept, but not current: the catalogue is this node's */
        have = svc;
        svc = NULL;
    } else if (!have) {
        size_t cap = e->capall ? e->capall * 2 : 16;
        struct ps_svc **n = ps_realloc(e->all, cap * sizeof *n);
        if (n) {
            e->all = n;
            e->capall = cap;
            e->all[e->nall++] = svc;
            have = svc;
            svc = NULL;
        }
    }
    pthread_mutex_unlock(&e->mu);
    ps_svc_free(svc);
    *out = have;
    return have ? PS_OK : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
}
