/* Private to the applications code (app.c, app_run.c, app_store.c, app_read.c): the
 * application as loaded, and the SQL of the engine's tables. */
#ifndef PS_ENGINE_APP_INT_H
#define PS_ENGINE_APP_INT_H

#include "engine/app.h"

struct ps_app_row {
    char id[37];
    struct ps_str service, applicant, status, step, reason;
    uint32_t version;
    json_t *answers, *facts; /* owned: freed with the arena (deferred) */
    int64_t seq;             /* the last history row's */
    int64_t updated_ms;
    const struct ps_svc *svc;
};

/* JSON text into a value owned by the arena (freed with it); NULL on bad JSON or memory. */
json_t *ps_app_json(struct ps_arena *arena, struct ps_str text);
/* A value as compact JSON text in the arena. */
struct ps_str ps_app_json_text(struct ps_arena *arena, const json_t *v);

/* The definition version svc_id@version: in memory, or loaded from service_versions. */
enum ps_err ps_app_svc(const struct ps_app_ctx *c, struct ps_str svc_id, uint32_t version,
                       const struct ps_svc **out, struct ps_diag *diag) PS_WUR;
/* Stores svc's version in service_versions once (refuses other content under its number). */
enum ps_err ps_app_store_version(struct ps_tx *tx, const struct ps_svc *svc,
                                 struct ps_diag *diag) PS_WUR;
/* Marks svc as stored: later ps_app_store_version calls do nothing. Only after the store
 * confirmed it (a committed sync), since a job's insert may still roll back. */
void ps_app_version_stored(const struct ps_svc *svc);

enum ps_err ps_app_load(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_row *a,
                        struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_insert(const struct ps_app_ctx *c, struct ps_app_row *a,
                          struct ps_diag *diag) PS_WUR;
/* Writes status, step, answers, facts, reason; only when the row is still at
 * (old_status, old_updated): PS_ERR_CONFLICT otherwise (a concurrent transition won: rerun). */
enum ps_err ps_app_update(const struct ps_app_ctx *c, const struct ps_app_row *a,
                          struct ps_str old_status, int64_t old_updated, bool submitted,
                          struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_event(const struct ps_app_ctx *c, struct ps_app_row *a, const char *kind,
                         const char *step, const char *detail, struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_party(const struct ps_app_ctx *c, const struct ps_app_row *a,
                         struct ps_str rnokpp, const char *role, struct ps_diag *diag) PS_WUR;
/* Everyone on the application, applicant first: a new JSON array. */
json_t *ps_app_parties(const struct ps_app_ctx *c, const struct ps_app_row *a);

enum ps_err ps_app_task_open(const struct ps_app_ctx *c, const struct ps_app_row *a,
                             const struct ps_svc_step *st, struct ps_str party,
                             struct ps_str oblast, int64_t due_ms, struct ps_diag *diag) PS_WUR;
/* The open task id of kind; *found. Fills a->... of the task row into t (arena). */
enum ps_err ps_app_task_get(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_task *t,
                            bool *found, struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_task_open_for(const struct ps_app_ctx *c, struct ps_str app,
                                 struct ps_str kind, struct ps_app_task *t, bool *found,
                                 struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_task_claim(const struct ps_app_ctx *c, struct ps_str id, bool *claimed,
                              struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_task_done(const struct ps_app_ctx *c, struct ps_str id, const char *decision,
                             struct ps_str reason, struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_fee(const struct ps_app_ctx *c, const struct ps_app_row *a,
                       const struct ps_svc_step *st, struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_book(const struct ps_app_ctx *c, const struct ps_app_row *a,
                        const struct ps_svc_step *st, struct ps_str slot, bool *booked,
                        struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_inbox(const struct ps_app_ctx *c, struct ps_str to, struct ps_str app,
                         const char *tu, const char *te, const char *bu, const char *be,
                         struct ps_diag *diag) PS_WUR;

/* The person's record as the expressions see it (found, status, names, address, married,
 * fop_active, idp_registered, legally_capable): *out a new JSON object, NULL when there is no
 * such person. Recorded (person.read) when actor is not that person, with purpose. */
enum ps_err ps_app_person(const struct ps_app_ctx *c, struct ps_str rnokpp,
                          struct ps_str purpose, json_t **out, struct ps_diag *diag) PS_WUR;

/* app_run.c: runs the workflow of a from a->step (after its facts changed) as c->actor, and
 * saves the new state with its history and change entry ("application.<verb>"). */
struct ps_app_eval;
/* ev: the look-ups and values already made for a in this transaction (NULL: made here);
 * a->answers and a->facts must not have changed since, or ev must be NULL. */
enum ps_err ps_app_advance(const struct ps_app_ctx *c, struct ps_app_row *a, const char *verb,
                           struct ps_str old_status, int64_t old_updated, bool submitting,
                           struct ps_app_eval *ev, struct ps_app_result *res,
                           struct ps_diag *diag) PS_WUR;
/* The lookups and values for a's expressions: the host (with its lookup), vars. */
struct ps_app_eval {
    struct ps_engine_host host;
    struct ps_engine_lookup lookup;
    const struct ps_app_ctx *c;
    const struct ps_app_row *a;
    json_t *applicant;
    char purpose[160];
    struct ps_flow_vars vars;
};
enum ps_err ps_app_eval_init(struct ps_app_eval *ev, const struct ps_app_ctx *c,
                             const struct ps_app_row *a, struct ps_diag *diag) PS_WUR;
void ps_app_result_fill(struct ps_app_result *res, const struct ps_app_row *a);

#endif
