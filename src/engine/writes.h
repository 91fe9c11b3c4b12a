/* The registry acts an outcome may name (`writes:` in a definition), each with its arguments,
 * and their execution through the registries' own functions (so the registries' rules hold:
 * the one-active indexes, the status checks, kinship). Private to src/engine. */
#ifndef PS_ENGINE_WRITES_H
#define PS_ENGINE_WRITES_H

#include <jansson.h>
#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

struct ps_engine_write_spec {
    const char *act;
    const char *const *required; /* NULL-terminated argument names */
    const char *const *optional;
    const char *doc; /* one line for the docs */
};

/* The spec of act, or NULL. */
const struct ps_engine_write_spec *ps_engine_write_spec(const char *act);
/* Every spec (static), *n their number. */
const struct ps_engine_write_spec *ps_engine_write_specs(size_t *n);
/* True when name is an argument of spec. */
bool ps_engine_write_has_arg(const struct ps_engine_write_spec *spec, struct ps_str name);

/* Runs act with args (a JSON object of its arguments' values) as actor for reason, in tx.
 * result (OUT, may be NULL) gets a new JSON object describing what was written ({"id": ...}).
 * Returns PS_OK with refused->code set when the registry refused (its reason in refused),
 * as the registries do. Errors: PS_ERR_INVALID (an argument missing or of the wrong type),
 * the registry's errors. */
enum ps_err ps_engine_write_run(struct ps_tx *tx, const struct ps_actor *actor, const char *act,
                                json_t *args, struct ps_str reason, json_t **result,
                                struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

#endif
