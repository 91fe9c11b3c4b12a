/* A new environment with the standard library and the extensions declared: the one place
 * that knows every library table (std_*.c), so that env.c depends on none of them. */
#include "cel/cel_int.h"

static enum ps_err (*const libraries[])(struct ps_cel_env *, struct ps_cel_diag *) = {
    cel_std_core, cel_std_string, cel_std_time, cel_std_math, cel_std_ext,
};

struct ps_cel_env *ps_cel_env_new(const struct ps_cel_env_options *opts)
{
    struct ps_cel_env *env = cel_env_create(opts);
    for (size_t i = 0; env && i < sizeof libraries / sizeof libraries[0]; i++) {
        struct ps_cel_diag d;
        if (libraries[i](env, &d) != PS_OK) { /* a broken table is a bug; tests catch it */
            ps_cel_env_free(env);
            return NULL;
        }
    }
    return env;
}
