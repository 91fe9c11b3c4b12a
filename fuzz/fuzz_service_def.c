/* Fuzz target: the service definition loader (src/engine: yaml.c, def*.c) and, for a
 * definition that loads, its own tests (svctest.c). Any input is a services/<id>.yaml file;
 * it must load or fail with a located message ("t.yaml:LINE:COLUMN: ..." or "t.yaml: ..."),
 * never crash, and a loaded definition's invariants hold: steps resolve, the start exists. */
#include <string.h>

#include "engine/env.h"
#include "engine/svc.h"
#include "engine/svctest.h"
#include "fuzz.h"

static struct ps_engine_env *env;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct ps_diag d;
    FUZZ_CHECK(ps_engine_env_new(NULL, &env, &d) == PS_OK);
    return 0;
}

static void check_loaded(const struct ps_svc *s)
{
    FUZZ_CHECK(s->id && s->version > 0 && s->nsteps > 0 && s->start >= 0 &&
               (size_t)s->start < s->nsteps);
    for (size_t i = 0; i < s->nsteps; i++) {
        const struct ps_svc_step *st = &s->steps[i];
        FUZZ_CHECK(st->next < (int)s->nsteps && st->on_fail < (int)s->nsteps);
        FUZZ_CHECK((st->kind == PS_SVC_OUTCOME) == (st->next < 0));
    }
    static struct ps_svc_test_result r[PS_SVC_MAX_TESTS];
    size_t n = 0, failed = 0;
    struct ps_diag d;
    FUZZ_CHECK(ps_svc_run_tests(env, s, r, PS_SVC_MAX_TESTS, &n, &failed, &d) == PS_OK);
    FUZZ_CHECK(n == s->ntests && failed <= n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!env)
        LLVMFuzzerInitialize(NULL, NULL);
    struct ps_svc *s = NULL;
    struct ps_diag d = {0};
    enum ps_err e = ps_svc_load(env, (const char *)data, size, "t.yaml", &s, &d);
    if (e == PS_OK) {
        check_loaded(s);
    } else {
        FUZZ_CHECK(s == NULL);
        FUZZ_CHECK(strncmp(d.message, "t.yaml", 6) == 0 || e == PS_ERR_NOMEM);
    }
    ps_svc_free(s);
    return 0;
}
