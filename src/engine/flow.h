/* Running a definition: eligibility, the form's validation and prefill, and the workflow's
 * steps, over JSON values (the applicant's record, the answers, the facts human steps
 * established). What the steps do to the world (tasks, fees, slots, registry writes,
 * documents, messages, history) goes through struct ps_flow_ops, so the same code runs for
 * the server (app.c: the store, in the transition's transaction) and for `pocketstate service
 * test` (svctest.c: the test's registry state). Private to src/engine. */
#ifndef PS_ENGINE_FLOW_H
#define PS_ENGINE_FLOW_H

#include <jansson.h>

#include "engine/env.h"
#include "engine/svc.h"

/* One failed check: the field (a path such as "activities[1]"; "" for a rule across fields
 * or an eligibility rule) and the reason in both languages. Strings in the arena or the svc. */
struct ps_form_error {
    const char *field;
    const char *uk, *en;
};
#define PS_FORM_MAX_ERRORS 64

/* The values expressions see, made once per run (in the arena). */
struct ps_flow_vars {
    struct ps_cel_value v[PS_EV_COUNT];
};
/* Sets applicant, answers (empty map when NULL), facts (empty when NULL) and today. */
enum ps_err ps_flow_vars(struct ps_flow_vars *vars, json_t *applicant, json_t *answers,
                         json_t *facts, const struct ps_engine_host *host,
                         struct ps_arena *arena, struct ps_diag *diag) PS_WUR;

/* Eligibility: every rule of svc over the applicant; the ones that fail into errs (cap
 * entries), *n their number (0: eligible). Errors: PS_ERR_LIMIT (cost), a look-up's failure,
 * PS_ERR_NOMEM. A rule that evaluates to an error counts as failed. */
enum ps_err ps_flow_eligible(const struct ps_svc *svc, const struct ps_flow_vars *vars,
                             struct ps_engine_host *host, struct ps_arena *arena,
                             struct ps_form_error *errs, size_t cap, size_t *n,
                             struct ps_diag *diag) PS_WUR;

/* Validates answers against fields (the form's, or a consent step's) and, when every field
 * passes, rules (the form's cross-field rules; may be NULL): every failure at once into errs.
 * Unknown answers are failures too. Errors as ps_flow_eligible. */
enum ps_err ps_flow_validate(const struct ps_svc *svc, const struct ps_svc_field *fields,
                             size_t nfields, const struct ps_svc_rule *rules, size_t nrules,
                             json_t *answers, const struct ps_flow_vars *vars,
                             struct ps_engine_host *host, struct ps_arena *arena,
                             struct ps_form_error *errs, size_t cap, size_t *n,
                             struct ps_diag *diag) PS_WUR;

/* Fills answers (an object) with each field's prefill that it lacks. Errors as above. */
enum ps_err ps_flow_prefill(const struct ps_svc *svc, json_t *answers,
                            const struct ps_flow_vars *vars, struct ps_engine_host *host,
                            struct ps_arena *arena, struct ps_diag *diag) PS_WUR;

/* ---- the workflow ---- */

enum ps_flow_status { PS_FLOW_RUNNING, PS_FLOW_WAITING, PS_FLOW_APPROVED, PS_FLOW_REJECTED };
/* "in-progress", "waiting", "approved", "rejected" */
const char *ps_flow_status_name(enum ps_flow_status s);

struct ps_flow_ops {
    /* a consent step: the party must answer from their account (a task), by due_ms */
    enum ps_err (*consent)(void *ctx, const struct ps_svc_step *st, struct ps_str party,
                           int64_t due_ms, struct ps_diag *diag);
    /* a decision step: officials of st->role at st->agency (in oblast, "" for any) */
    enum ps_err (*decision)(void *ctx, const struct ps_svc_step *st, struct ps_str oblast,
                            int64_t due_ms, struct ps_diag *diag);
    enum ps_err (*fee)(void *ctx, const struct ps_svc_step *st, struct ps_diag *diag);
    /* books slot; refused set when it is not free */
    enum ps_err (*book)(void *ctx, const struct ps_svc_step *st, struct ps_str slot,
                        struct ps_diag *refused, struct ps_diag *diag);
    /* a registry act; refused set when the registry refused */
    enum ps_err (*write)(void *ctx, const char *act, json_t *args, struct ps_diag *refused,
                         struct ps_diag *diag);
    enum ps_err (*document)(void *ctx, const char *type, struct ps_str holder,
                            struct ps_diag *diag);
    enum ps_err (*message)(void *ctx, struct ps_str to, const struct ps_svc_message *m,
                           const char *body_uk, const char *body_en, struct ps_diag *diag);
    /* everyone on the application (applicant first), a new JSON array of RNOKPPs */
    json_t *(*parties)(void *ctx);
    /* the history: one entry per step passed */
    enum ps_err (*event)(void *ctx, const struct ps_svc_step *st, const char *what,
                         struct ps_diag *diag);
    void *ctx;
};

/* Where an application stands, and the values its expressions see. */
struct ps_flow {
    const struct ps_svc *svc;
    struct ps_flow_vars vars;
    json_t *facts;      /* borrowed: what human steps established */
    const char *id;     /* the application's id, for messages' {application} */
    int step;
    enum ps_flow_status status;
    struct ps_svc_text reason; /* a rejection's (arena) */
};

/* Runs from f->step until a human step waits or an outcome ends it (at most
 * PS_SVC_MAX_HOPS steps). A human step whose fact is in f->facts (facts.<step>.consent or
 * .decision) is passed by it. refused gets why a booking or a registry write was refused:
 * the caller must then fail the whole transition. Errors: evaluation (PS_ERR_LIMIT for cost),
 * the ops', PS_ERR_INTERNAL (hops). */
enum ps_err ps_flow_run(struct ps_flow *f, const struct ps_flow_ops *ops,
                        struct ps_engine_host *host, struct ps_arena *arena,
                        struct ps_diag *refused, struct ps_diag *diag) PS_WUR;

/* The built-in messages of validation, in both languages. */
extern const struct ps_svc_text ps_flow_msg_required, ps_flow_msg_unknown;

#endif
