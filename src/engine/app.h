/* Applications: a citizen's use of a service, from draft to outcome, in the store. Every
 * function takes the transaction it runs in; a transition (submit, consent, claim, decide)
 * is one transaction: the application's new state, its history row, the tasks, fees, slots,
 * registry writes, documents and inbox messages its steps made, and its change entry in the
 * transparency log commit together or not at all (ARCHITECTURE.md rule 4). An application
 * runs the definition version it started with (service_versions), whatever the catalogue
 * offers later.
 *
 * Outcomes a caller shows rather than errors (struct ps_app_result.outcome): not eligible,
 * answers invalid (every failure with its reason in uk and en), refused (the actor is not
 * entitled: not the party a consent waits for, no role the decision needs; the attempt is
 * recorded in the log and committed). A registry write or a booking the registry refuses
 * fails the whole transition (PS_ERR_EXISTS, nothing written). */
#ifndef PS_ENGINE_APP_H
#define PS_ENGINE_APP_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "engine/engine.h"
#include "engine/flow.h"

struct ps_tx;
struct ps_actor;

/* Who acts, in which transaction, allocating where. Borrowed. */
struct ps_app_ctx {
    struct ps_engine *engine;
    struct ps_tx *tx;
    const struct ps_actor *actor;
    struct ps_arena *arena;
};

enum ps_app_outcome {
    PS_APP_DONE,         /* the transition happened (or the state was already there) */
    PS_APP_NOT_ELIGIBLE, /* errors: the eligibility rules that failed */
    PS_APP_INVALID,      /* errors: every failed answer */
    PS_APP_REFUSED,      /* not entitled; why in refused (recorded) */
};

struct ps_app_result {
    enum ps_app_outcome outcome;
    char id[37];
    const struct ps_svc *svc;
    const char *status; /* "draft", "in-progress", "waiting", "approved", "rejected" */
    const char *step;
    struct ps_svc_text reason;
    struct ps_form_error errors[PS_FORM_MAX_ERRORS];
    size_t nerrors;
    struct ps_diag refused;
    json_t *answers; /* the application's answers after the call (owned by the arena) */
};

#define PS_APP_REASON_MAX 500
#define PS_APP_LIST_MAX 50

/* Starts an application of the current version of service for the acting citizen, with
 * answers (an object, may be NULL; prefill fills what the registry knows), and with submit
 * submits it at once. Errors: PS_ERR_NOTFOUND (no such service), PS_ERR_DENIED (not a citizen),
 * PS_ERR_EXISTS (a registry write or booking refused: nothing written), evaluation, store and
 * recording errors. */
enum ps_err ps_app_start(const struct ps_app_ctx *c, struct ps_str service, json_t *answers,
                         bool submit, struct ps_app_result *res, struct ps_diag *diag) PS_WUR;
/* Replaces a draft's answers (the applicant only). PS_ERR_NOTFOUND (not theirs or no such),
 * PS_ERR_CONFLICT-free: a submitted application is PS_ERR_INVALID ("already submitted"). */
enum ps_err ps_app_save(const struct ps_app_ctx *c, struct ps_str id, json_t *answers,
                        struct ps_app_result *res, struct ps_diag *diag) PS_WUR;
/* Submits a draft: validation, then the workflow runs at once. A second submit of a
 * submitted application answers its state (PS_APP_DONE) and changes nothing. */
enum ps_err ps_app_submit(const struct ps_app_ctx *c, struct ps_str id,
                          struct ps_app_result *res, struct ps_diag *diag) PS_WUR;
/* Checks a draft's answers as submit would (eligibility, every field, the cross-field rules)
 * without submitting or storing anything: res->outcome PS_APP_NOT_ELIGIBLE (the eligibility
 * failures, field "", then every field's), PS_APP_INVALID (every field's), else PS_APP_DONE. The portal's form pages use it to show a page's
 * errors when it is saved. A submitted application: PS_APP_DONE. Errors as ps_app_submit. */
enum ps_err ps_app_check(const struct ps_app_ctx *c, struct ps_str id,
                         struct ps_app_result *res, struct ps_diag *diag) PS_WUR;
/* The named party's consent (yes) or refusal, with the answers the consent step asks. */
enum ps_err ps_app_consent(const struct ps_app_ctx *c, struct ps_str id, bool yes,
                           json_t *answers, struct ps_app_result *res,
                           struct ps_diag *diag) PS_WUR;
/* An official claims a decision task (one official at a time) / decides it, with a reason
 * (required to reject). */
enum ps_err ps_app_claim(const struct ps_app_ctx *c, struct ps_str task,
                         struct ps_app_result *res, struct ps_diag *diag) PS_WUR;
enum ps_err ps_app_decide(const struct ps_app_ctx *c, struct ps_str task, bool approve,
                          struct ps_str reason, struct ps_app_result *res,
                          struct ps_diag *diag) PS_WUR;

/* ---- reading ---- */

struct ps_app_event {
    int64_t seq, at_ms;
    struct ps_str actor_kind, actor_id, kind, step, detail;
};
struct ps_app_task {
    struct ps_str id, application, service, step, kind, party, role, agency, oblast, status,
        claimed_by;
    int64_t due_ms, created_ms;
};
struct ps_app_view {
    struct ps_str id, service, applicant, status, step, answers, facts, reason;
    uint32_t version;
    const struct ps_svc *svc; /* NULL when that version cannot be loaded */
    int64_t created_ms, updated_ms, submitted_ms;
    struct ps_app_event *events;
    size_t nevents;
    struct ps_app_task *tasks; /* open ones */
    size_t ntasks;
    int64_t fee_due_kop;
};
/* An application with its history, for its applicant, a party on it (recorded when the
 * answers are the applicant's), or an official holding a matching role for one of its open
 * tasks (recorded). PS_ERR_NOTFOUND otherwise (no oracle). Needs a write transaction when a
 * read is recorded. */
enum ps_err ps_app_get(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_view *out,
                       struct ps_diag *diag) PS_WUR;
/* The acting citizen's applications (as applicant or party), newest first. */
enum ps_err ps_app_mine(const struct ps_app_ctx *c, struct ps_app_view *out, size_t cap,
                        size_t *n, struct ps_diag *diag) PS_WUR;
/* Open tasks the acting official's roles may decide, oldest first, and the citizen's own
 * consents waiting (kind consent, party = actor). */
enum ps_err ps_app_queue(const struct ps_app_ctx *c, struct ps_app_task *out, size_t cap,
                         size_t *n, struct ps_diag *diag) PS_WUR;

struct ps_inbox_msg {
    struct ps_str id, application, title_uk, title_en, body_uk, body_en;
    int64_t at_ms, read_at_ms;
};
enum ps_err ps_inbox_list(const struct ps_app_ctx *c, struct ps_inbox_msg *out, size_t cap,
                          size_t *n, struct ps_diag *diag) PS_WUR;
/* Marks one of the acting person's messages read; PS_ERR_NOTFOUND when not theirs. */
enum ps_err ps_inbox_read(const struct ps_app_ctx *c, struct ps_str id,
                          struct ps_diag *diag) PS_WUR;

struct ps_slot {
    struct ps_str id, agency, kind, registrar, oblast;
    int64_t starts_ms;
    int64_t minutes;
};
/* A registrar adds a slot to their calendar (agency from their role; recorded as a change).
 * PS_ERR_EXISTS when they already have one starting then. */
enum ps_err ps_slot_add(const struct ps_app_ctx *c, struct ps_str agency, struct ps_str kind,
                        int64_t starts_ms, int64_t minutes, char id_out[37],
                        struct ps_diag *diag) PS_WUR;
/* Free slots of agency and kind from now on, soonest first. */
enum ps_err ps_slots_free(const struct ps_app_ctx *c, struct ps_str agency, struct ps_str kind,
                          struct ps_slot *out, size_t cap, size_t *n,
                          struct ps_diag *diag) PS_WUR;

/* ---- idempotency of keyed submissions ---- */

/* The stored answer for (rnokpp, key): *found, and its status and body (arena). A key stored
 * with another request hash is PS_ERR_EXISTS ("Idempotency-Key reused with another body"). */
enum ps_err ps_app_idem_get(struct ps_tx *tx, struct ps_str rnokpp, struct ps_str key,
                            struct ps_str hash, struct ps_arena *arena, bool *found,
                            int *status, struct ps_str *body, struct ps_diag *diag) PS_WUR;
/* Stores the answer; a concurrent writer that stored first makes this PS_ERR_CONFLICT (the
 * job runs again and finds it). */
enum ps_err ps_app_idem_put(struct ps_tx *tx, struct ps_str rnokpp, struct ps_str key,
                            struct ps_str hash, int status, struct ps_str body,
                            struct ps_diag *diag) PS_WUR;

#endif
