/* The engine's expression environment: the CEL variables a definition's expressions see, the
 * host functions they may call (with their types), and the data those read (the KVED-2010
 * classifier, the list of occupied and combat territories). Built once at start; read-only
 * and shared by every thread after that.
 *
 * Variables:
 *   applicant  map(string, dyn)  the applicant's registry record (as person() returns it)
 *   answers    map(string, dyn)  the form's answers
 *   value      dyn               the field being validated
 *   item       dyn               the list item being validated or written
 *   facts      map(string, dyn)  what human steps established: facts.<step>.consent,
 *                                facts.<step>.answers, facts.<step>.decision, .reason
 *   today      string            today's date, "YYYY-MM-DD"
 * Host functions (docs/internals/engine.md has the table):
 *   age(string) -> int, age(string, string) -> int     full years at today / at a date
 *   rnokpp_valid(string) -> bool                        the taxpayer number's check digit
 *   kved_valid(string) -> bool, kved_title(string) -> string   the classifier
 *   territory_status(string, string) -> string         "occupied", "combat" or "" for a
 *                                                       hromada on a date
 *   person(string) -> map(string, dyn)                  a registry look-up (recorded when not
 *                                                       the applicant's own)
 *   related(string, string) -> bool                     close relatives (recorded)
 *   parent_of(string) -> bool                           the applicant is the child's parent
 *                                                       (recorded) */
#ifndef PS_ENGINE_ENV_H
#define PS_ENGINE_ENV_H

#include <jansson.h>
#include <stdbool.h>

#include "cel/cel.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct ps_engine_env;

/* Variable slots. */
enum ps_engine_var {
    PS_EV_APPLICANT,
    PS_EV_ANSWERS,
    PS_EV_VALUE,
    PS_EV_ITEM,
    PS_EV_FACTS,
    PS_EV_TODAY,
    PS_EV_COUNT
};

/* Registry look-ups the host functions make, for one evaluation. The server's reads go to the
 * store and record the access (app.c); `pocketstate service test` answers from the test's
 * registry state. Each fills or answers; an error stops the evaluation. */
struct ps_engine_lookup {
    /* The person's record as a JSON object (new reference), or *out NULL when there is none. */
    enum ps_err (*person)(void *ctx, struct ps_str rnokpp, json_t **out, struct ps_diag *diag);
    enum ps_err (*related)(void *ctx, struct ps_str a, struct ps_str b, bool *out,
                           struct ps_diag *diag);
    enum ps_err (*parent_of)(void *ctx, struct ps_str child, bool *out, struct ps_diag *diag);
    void *ctx;
};

/* What one evaluation's host functions see (through ps_cel_eval_options.host). */
struct ps_engine_host {
    const struct ps_engine_env *env;
    const struct ps_engine_lookup *lookup; /* NULL: look-ups fail */
    char today[11];                         /* "YYYY-MM-DD" */
    struct ps_diag failure;                 /* why a look-up failed */
};

/* Builds the environment with the classifier and territories from the embedded data (or
 * from data_dir/kved-2010.tsv and data_dir/territories.tsv when data_dir is not NULL).
 * Errors: PS_ERR_INVALID (a data file's line, located), PS_ERR_NOMEM. */
enum ps_err ps_engine_env_new(const char *data_dir, struct ps_engine_env **out,
                              struct ps_diag *diag) PS_WUR;
void ps_engine_env_free(struct ps_engine_env *env);
const struct ps_cel_env *ps_engine_cel(const struct ps_engine_env *env);

/* Starts host for one evaluation at today (ps_date_today when NULL). */
void ps_engine_host_init(struct ps_engine_host *host, const struct ps_engine_env *env,
                         const struct ps_engine_lookup *lookup);

/* Evaluates p with vals (PS_EV_COUNT slots) under the engine's cost limit (100,000 units).
 * Errors as ps_cel_eval; a look-up's own failure is in host->failure. */
enum ps_err ps_engine_eval(const struct ps_cel_program *p, const struct ps_cel_value *vals,
                           struct ps_engine_host *host, struct ps_arena *arena,
                           struct ps_cel_value *out, struct ps_cel_diag *diag) PS_WUR;

/* The classifier: true when code is a class of KVED-2010; *title (may be NULL) its
 * Ukrainian title. */
bool ps_engine_kved(const struct ps_engine_env *env, struct ps_str code, const char **title);
size_t ps_engine_kved_count(const struct ps_engine_env *env);
/* The territory list: "occupied", "combat" or "" for hromada on date ("YYYY-MM-DD"). */
const char *ps_engine_territory(const struct ps_engine_env *env, struct ps_str hromada,
                                struct ps_str date);
size_t ps_engine_territory_count(const struct ps_engine_env *env);

#define PS_ENGINE_MAX_COST 100000

#endif
