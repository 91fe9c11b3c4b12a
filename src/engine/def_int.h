/* Private to the definition loader (def.c, def_read.c, def_form.c, def_flow.c, def_tests.c): the walk's state and the
 * helpers that read one part of the format each, with located errors. */
#ifndef PS_ENGINE_DEF_INT_H
#define PS_ENGINE_DEF_INT_H

#include "engine/env.h"
#include "engine/svc.h"
#include "engine/yaml.h"

struct ps_ld {
    const struct ps_engine_env *env;
    struct ps_svc *s;
    const char *file;
    struct ps_diag *diag;
    const char *text; /* the source, for places inside block scalars */
    size_t len;
};

enum ps_err ps_ld_fail(struct ps_ld *ld, const struct ps_yv *at, const char *fmt, ...)
    PS_PRINTF(3, 4);
enum ps_err ps_ld_oom(struct ps_ld *ld);
/* map must be a mapping whose keys are all in allowed (NULL-terminated). */
enum ps_err ps_ld_keys(struct ps_ld *ld, const struct ps_yv *map, const char *what,
                       const char *const *allowed) PS_WUR;
enum ps_err ps_ld_text(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, size_t max, const char **out) PS_WUR;
/* a-z 0-9 _ - . */
enum ps_err ps_ld_name(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, const char **out) PS_WUR;
enum ps_err ps_ld_uint(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, uint64_t lo, uint64_t hi, uint64_t *out) PS_WUR;
enum ps_err ps_ld_number(struct ps_ld *ld, const struct ps_yv *v, const char *key,
                         double *out) PS_WUR;
enum ps_err ps_ld_bool(struct ps_ld *ld, const struct ps_yv *map, const char *key, bool dflt,
                       bool *out) PS_WUR;
enum ps_err ps_ld_i18n(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, struct ps_svc_text *out) PS_WUR;
enum ps_err ps_ld_seq(struct ps_ld *ld, const struct ps_yv *map, const char *key, size_t max,
                      const struct ps_yv **out) PS_WUR;
enum ps_err ps_ld_expr(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                       bool required, const char *want, struct ps_svc_expr *out) PS_WUR;
enum ps_err ps_ld_expr_node(struct ps_ld *ld, const struct ps_yv *v, const char *key,
                            const char *want, struct ps_svc_expr *out) PS_WUR;
enum ps_err ps_ld_track(struct ps_ld *ld, struct ps_cel_program *p) PS_WUR;
enum ps_err ps_ld_rules(struct ps_ld *ld, const struct ps_yv *map, const char *key,
                        struct ps_svc_rule **out, size_t *n) PS_WUR;
enum ps_err ps_ld_fields(struct ps_ld *ld, const struct ps_yv *seq, unsigned depth,
                         struct ps_svc_field **out, size_t *n) PS_WUR;

/* def_flow.c: `workflow:` into s->steps, the graph checked. */
enum ps_err ps_ld_workflow(struct ps_ld *ld, const struct ps_yv *root) PS_WUR;
/* def_tests.c: `tests:` into s->tests (JSON values). */
enum ps_err ps_ld_tests(struct ps_ld *ld, const struct ps_yv *root) PS_WUR;
void ps_svc_tests_free(struct ps_svc *s);
/* A YAML node as JSON (plain scalars true/false/null/numbers typed, others strings). */
json_t *ps_yaml_to_json(const struct ps_yv *v);

#endif
