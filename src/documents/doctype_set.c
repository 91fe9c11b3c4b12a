/* A set of document types: the built-in ones (doctypes/ embedded at build time by
 * scripts/embed_doctypes.py), then the files of a directory, kept sorted by id. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "documents/doctype.h"

struct ps_doctype_file {
    const char *name;
    const char *text;
    size_t len;
};
extern const struct ps_doctype_file ps_doctype_files[];
extern const size_t ps_doctype_files_n;

struct ps_doctypes {
    struct ps_arena *arena;
    struct ps_doctype t[PS_DOCTYPES_MAX];
    size_t n;
};

#define SET_ARENA (4u << 20)

enum ps_err ps_doctypes_new(struct ps_doctypes **out)
{
    struct ps_doctypes *s = ps_calloc(1, sizeof *s);
    if (s)
        s->arena = ps_arena_new(SET_ARENA);
    if (!s || !s->arena) {
        ps_free(s);
        return PS_ERR_NOMEM;
    }
    *out = s;
    return PS_OK;
}

void ps_doctypes_free(struct ps_doctypes *set)
{
    if (!set)
        return;
    ps_arena_free(set->arena);
    ps_free(set);
}

/* Inserts t in id order, replacing a type with its id. */
static enum ps_err put(struct ps_doctypes *set, const struct ps_doctype *t, bool replace)
{
    size_t i = 0;
    while (i < set->n && strcmp(set->t[i].id, t->id) < 0)
        i++;
    if (i < set->n && strcmp(set->t[i].id, t->id) == 0) {
        if (!replace)
            return PS_ERR_EXISTS;
        set->t[i] = *t;
        return PS_OK;
    }
    if (set->n == PS_DOCTYPES_MAX)
        return PS_ERR_LIMIT;
    memmove(&set->t[i + 1], &set->t[i], (set->n - i) * sizeof set->t[0]);
    set->t[i] = *t;
    set->n++;
    return PS_OK;
}

static enum ps_err add(struct ps_doctypes *set, const char *file, const char *text, size_t len,
                       bool replace, struct ps_diag *diag)
{
    struct ps_doctype t;
    enum ps_err e = ps_doctype_parse(file, text, len, set->arena, &t, diag);
    if (e != PS_OK)
        return e;
    e = put(set, &t, replace);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e, "%s: another file defines type %s", file, t.id);
    if (e == PS_ERR_LIMIT)
        return ps_diag_set(diag, e, "%s: more than %d document types", file, PS_DOCTYPES_MAX);
    return e;
}

enum ps_err ps_doctypes_add(struct ps_doctypes *set, const char *file, const char *text,
                            size_t len, struct ps_diag *diag)
{
    return add(set, file, text, len, true, diag);
}

/* Reads path (at most PS_DOCTYPE_FILE_MAX bytes) into a malloc'd buffer. */
static enum ps_err slurp(const char *path, char **out, size_t *len, struct ps_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
    char *buf = ps_malloc(PS_DOCTYPE_FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, PS_DOCTYPE_FILE_MAX + 1, f) : 0;
    bool err = ferror(f);
    fclose(f);
    if (!buf)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    if (err || n > PS_DOCTYPE_FILE_MAX) {
        ps_free(buf);
        return err ? ps_diag_set(diag, PS_ERR_IO, "%s: read error", path)
                   : ps_diag_set(diag, PS_ERR_LIMIT, "%s: longer than %u bytes", path,
                                 PS_DOCTYPE_FILE_MAX);
    }
    *out = buf;
    *len = n;
    return PS_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The NAME.yaml files of dir, sorted (names in arena). */
static enum ps_err list_dir(const char *dir, struct ps_arena *arena, char **names, size_t *n,
                            struct ps_diag *diag)
{
    DIR *d = opendir(dir);
    if (!d)
        return ps_diag_set(diag, PS_ERR_IO, "%s: %s", dir, strerror(errno));
    struct dirent *de;
    enum ps_err e = PS_OK;
    *n = 0;
    while (e == PS_OK && (de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || de->d_name[0] == '.' || strcmp(de->d_name + len - 5, ".yaml") != 0)
            continue;
        if (*n == PS_DOCTYPES_MAX)
            e = ps_diag_set(diag, PS_ERR_LIMIT, "%s: more than %d types", dir, PS_DOCTYPES_MAX);
        else if (!(names[(*n)++] = ps_arena_strndup(arena, de->d_name, len)))
            e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    closedir(d);
    if (e == PS_OK)
        qsort(names, *n, sizeof *names, by_name);
    return e;
}

static void free_set(void *p)
{
    ps_doctypes_free(p);
}

static enum ps_err load_dir(struct ps_doctypes *set, const char *dir, struct ps_diag *diag)
{
    char *names[PS_DOCTYPES_MAX];
    size_t n = 0;
    struct ps_doctypes *own = NULL; /* the directory's own types: one id per file */
    enum ps_err e = list_dir(dir, set->arena, names, &n, diag);
    if (e == PS_OK)
        e = ps_doctypes_new(&own) == PS_OK ? PS_OK : ps_diag_set(diag, PS_ERR_NOMEM, "oom");
    for (size_t i = 0; e == PS_OK && i < n; i++) {
        char path[4096], *text = NULL;
        size_t len = 0;
        int k = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (k < 0 || (size_t)k >= sizeof path)
            e = ps_diag_set(diag, PS_ERR_LIMIT, "%s: path too long", dir);
        if (e == PS_OK)
            e = slurp(path, &text, &len, diag);
        if (e == PS_OK)
            e = add(own, path, text, len, false, diag);
        ps_free(text);
    }
    for (size_t i = 0; e == PS_OK && i < own->n; i++) {
        e = put(set, &own->t[i], true);
        if (e != PS_OK)
            ps_diag_set(diag, e, "%s: more than %d document types", dir, PS_DOCTYPES_MAX);
    }
    if (e == PS_OK) { /* the set keeps the directory's types: move their memory over */
        e = ps_arena_defer(set->arena, free_set, own);
        if (e == PS_OK)
            own = NULL;
    }
    ps_doctypes_free(own);
    return e;
}

enum ps_err ps_doctypes_load(const char *dir, struct ps_doctypes **out, struct ps_diag *diag)
{
    struct ps_doctypes *set = NULL;
    struct stat st;
    if (ps_doctypes_new(&set) != PS_OK)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    enum ps_err e = PS_OK;
    for (size_t i = 0; e == PS_OK && i < ps_doctype_files_n; i++)
        e = add(set, ps_doctype_files[i].name, ps_doctype_files[i].text, ps_doctype_files[i].len,
                false, diag);
    if (e == PS_OK && dir && stat(dir, &st) == 0)
        e = load_dir(set, dir, diag);
    if (e != PS_OK) {
        ps_doctypes_free(set);
        return e;
    }
    *out = set;
    return PS_OK;
}

size_t ps_doctypes_count(const struct ps_doctypes *set)
{
    return set->n;
}

const struct ps_doctype *ps_doctypes_at(const struct ps_doctypes *set, size_t i)
{
    PS_ASSERT(i < set->n);
    return &set->t[i];
}

const struct ps_doctype *ps_doctypes_find(const struct ps_doctypes *set, struct ps_str id)
{
    for (size_t i = 0; i < set->n; i++) {
        if (ps_str_eq_cstr(id, set->t[i].id))
            return &set->t[i];
    }
    return NULL;
}
