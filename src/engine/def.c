/* The definition loader (svc.h): YAML into the model, every value checked against the format
 * (docs/formats/service.schema.json), every expression compiled and type-checked, every error
 * located as "file:line:column: message". This file is the top: metadata, form, workflow,
 * tests, each read by its own file (def_form.c, def_flow.c, def_tests.c) with the primitives
 * of def_read.c; the workflow's graph is checked last (names resolve, every step is
 * reachable, no cycles, every path ends in an outcome). */
#include "engine/def_int.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"

static enum ps_err form(struct ps_ld *ld, const struct ps_yv *root)
{
    static const char *const keys[] = {"fields", "rules", NULL};
    const struct ps_yv *f = ps_yaml_get(root, "form");
    if (!f)
        return ps_ld_fail(ld, root, "a definition needs \"form\"");
    enum ps_err e = ps_ld_keys(ld, f, "form", keys);
    const struct ps_yv *fields = ps_yaml_get(f, "fields");
    if (e == PS_OK && !fields)
        return ps_ld_fail(ld, f, "form needs \"fields\"");
    if (e == PS_OK)
        e = ps_ld_fields(ld, fields, 0, &ld->s->fields, &ld->s->nfields);
    if (e == PS_OK)
        e = ps_ld_rules(ld, f, "rules", &ld->s->validate, &ld->s->nvalidate);
    return e;
}

/* ---- the definition ---- */

static enum ps_err metadata(struct ps_ld *ld, const struct ps_yv *root)
{
    struct ps_svc *s = ld->s;
    uint64_t format = 0, version = 0;
    enum ps_err e = ps_ld_uint(ld, root, "format", true, 1, 1000, &format);
    if (e == PS_OK && format != PS_SVC_FORMAT)
        return ps_ld_fail(ld, ps_yaml_get(root, "format"), "format %llu is not known (1 is)",
                          (unsigned long long)format);
    if (e == PS_OK)
        e = ps_ld_name(ld, root, "id", true, &s->id);
    if (e == PS_OK)
        e = ps_ld_uint(ld, root, "version", true, 1, 1000000, &version);
    s->version = (uint32_t)version;
    if (e == PS_OK)
        e = ps_ld_name(ld, root, "agency", true, &s->agency);
    if (e == PS_OK)
        e = ps_ld_name(ld, root, "category", true, &s->category);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, root, "title", true, &s->title);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, root, "description", true, &s->description);
    if (e == PS_OK)
        e = ps_ld_i18n(ld, root, "legal_basis", true, &s->legal_basis);
    if (e == PS_OK)
        e = ps_ld_rules(ld, root, "eligibility", &s->eligibility, &s->neligibility);
    return e;
}

static enum ps_err walk(struct ps_ld *ld, const struct ps_yv *root)
{
    static const char *const keys[] = {"format", "id",          "version",     "agency",
                                       "category", "title",     "description", "legal_basis",
                                       "eligibility", "form",   "workflow",    "tests", NULL};
    enum ps_err e = ps_ld_keys(ld, root, "a definition", keys);
    if (e == PS_OK)
        e = metadata(ld, root);
    if (e == PS_OK)
        e = form(ld, root);
    if (e == PS_OK)
        e = ps_ld_workflow(ld, root);
    if (e == PS_OK)
        e = ps_ld_tests(ld, root);
    return e;
}

enum ps_err ps_svc_load(const struct ps_engine_env *env, const char *text, size_t len,
                        const char *file, struct ps_svc **out, struct ps_diag *diag)
{
    *out = NULL;
    struct ps_svc *s = ps_calloc(1, sizeof *s);
    if (!s || !(s->arena = ps_arena_new(32u << 20))) {
        ps_free(s);
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    s->file = ps_arena_strndup(s->arena, file, strlen(file));
    s->source = ps_arena_strndup(s->arena, text, len);
    s->source_len = len;
    struct ps_ld ld = {.env = env, .s = s, .file = s->file, .diag = diag, .text = s->source,
                       .len = len};
    const struct ps_yv *root = NULL;
    enum ps_err e = s->file && s->source ? PS_OK : ps_ld_oom(&ld);
    if (e == PS_OK)
        e = ps_yaml_parse(s->source, len, s->file, s->arena, &root, diag);
    if (e == PS_OK)
        e = walk(&ld, root);
    if (e != PS_OK) {
        ps_svc_free(s);
        return e;
    }
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, (const unsigned char *)text, len);
    sodium_bin2hex(s->sha256, sizeof s->sha256, h, sizeof h);
    *out = s;
    return PS_OK;
}

enum ps_err ps_svc_load_file(const struct ps_engine_env *env, const char *path,
                             struct ps_svc **out, struct ps_diag *diag)
{
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ps_diag_set(diag, PS_ERR_IO, "%s: cannot open", path);
    size_t cap = PS_YAML_MAX_BYTES + 1;
    char *buf = ps_malloc(cap);
    size_t len = buf ? fread(buf, 1, cap, f) : 0;
    bool bad = buf && ferror(f);
    fclose(f);
    enum ps_err e;
    if (!buf)
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    else if (bad)
        e = ps_diag_set(diag, PS_ERR_IO, "%s: read error", path);
    else if (len == cap)
        e = ps_diag_set(diag, PS_ERR_LIMIT, "%s: larger than %u bytes", path,
                        PS_YAML_MAX_BYTES);
    else
        e = ps_svc_load(env, buf, len, path, out, diag);
    ps_free(buf);
    return e;
}

void ps_svc_free(struct ps_svc *s)
{
    if (!s)
        return;
    ps_svc_tests_free(s);
    for (size_t i = 0; i < s->nprogs_; i++)
        ps_cel_program_free(s->progs_[i]);
    ps_free(s->progs_);
    ps_arena_free(s->arena);
    ps_free(s);
}

