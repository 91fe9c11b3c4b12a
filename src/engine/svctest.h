/* `pocketstate service test`: runs the tests inside a definition (`tests:`) against the
 * registry state each test gives, with no store: the same eligibility, validation and
 * workflow code as the server (flow.h), and the registries' refusals simulated from the
 * state (an active sole-proprietor registration, an IDP registration, a marriage, close
 * kinship). */
#ifndef PS_ENGINE_SVCTEST_H
#define PS_ENGINE_SVCTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/env.h"
#include "engine/svc.h"

struct ps_svc_test_result {
    const char *name; /* borrowed from the svc */
    uint32_t line;
    bool ok;
    char message[512]; /* what differed, or what happened */
};

/* Runs every test of svc into results (cap entries; svc->ntests of them at most), *n their
 * number, *failed how many failed. Errors: PS_ERR_NOMEM only (a failing test is a result). */
enum ps_err ps_svc_run_tests(const struct ps_engine_env *env, const struct ps_svc *svc,
                             struct ps_svc_test_result *results, size_t cap, size_t *n,
                             size_t *failed, struct ps_diag *diag) PS_WUR;

#endif
