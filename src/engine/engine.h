/* The service engine: the catalogue of service definitions a server offers, the versions it
 * has ever loaded, and (app.h) the applications that run them. Definitions load at start from
 * the built-in set (services/<id>.yaml, embedded at build time) and a directory, and again on
 * reload (SIGHUP): a file that does not load is refused with its location and the version
 * before it keeps serving. Every version stays in memory for the engine's life, so an
 * application pinned to an old version keeps running it. Thread-safe: readers take a snapshot
 * of the catalogue under a lock; definitions themselves are immutable. Docs:
 * docs/internals/engine.md. */
#ifndef PS_ENGINE_ENGINE_H
#define PS_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/str.h"
#include "engine/env.h"
#include "engine/svc.h"

struct ps_engine;
struct ps_store;
struct ps_tx;
struct ps_actor;

/* Issues the document of type doctype an outcome promised to holder, in the transition's
 * transaction, as actor for reason (the application's purpose), and copies the document's id
 * to id_out (37 bytes); an error fails the whole transition. serve installs the documents
 * module's (documents/docs.h ps_docs_outcome_issue). NULL: the engine records each as
 * requested (a change entry "document.request") for the documents module to issue. */
typedef enum ps_err (*ps_engine_issue_fn)(struct ps_tx *tx, const struct ps_actor *actor,
                                          const char *doctype, struct ps_str holder,
                                          struct ps_str reason, void *ctx, char id_out[37],
                                          struct ps_diag *diag);

struct ps_engine_opts {
    const char *services_dir; /* more definitions (*.yaml); NULL: the built-in set only */
    bool no_builtin;          /* tests: only services_dir */
    ps_engine_issue_fn issue;
    void *issue_ctx;
};

#define PS_ENGINE_MAX_SERVICES 256
#define PS_ENGINE_REPORT_MAX 16

/* What a load or reload did: counts, and the first refusals' messages (located). */
struct ps_engine_report {
    size_t loaded, unchanged, refused;
    char refusals[PS_ENGINE_REPORT_MAX][256];
};

/* Builds the engine: the environment, then every definition. A definition that does not load
 * is refused (in report), the others serve. Errors: the environment's, PS_ERR_NOMEM. Caller
 * frees with ps_engine_free. */
enum ps_err ps_engine_new(const struct ps_engine_opts *opts, struct ps_engine **out,
                          struct ps_engine_report *report, struct ps_diag *diag) PS_WUR;
void ps_engine_free(struct ps_engine *e);
const struct ps_engine_env *ps_engine_env(const struct ps_engine *e);
const struct ps_engine_opts *ps_engine_opts(const struct ps_engine *e);

/* Reads the definitions again (SIGHUP). A file that changed and loads replaces its service's
 * current version only with a higher version number; one that fails, or keeps its version
 * number with other content, is refused and the current version stays. */
enum ps_err ps_engine_reload(struct ps_engine *e, struct ps_engine_report *report,
                             struct ps_diag *diag) PS_WUR;

/* The catalogue now: the current version of each service, sorted by id, into out (cap
 * entries); returns their number. Borrowed: valid for the engine's life. */
size_t ps_engine_catalogue(struct ps_engine *e, const struct ps_svc **out, size_t cap);
/* The current version of id, or NULL. */
const struct ps_svc *ps_engine_current(struct ps_engine *e, struct ps_str id);
/* The version of id this process has loaded (any, not only the current), or NULL. */
const struct ps_svc *ps_engine_version(struct ps_engine *e, struct ps_str id, uint32_t version);
/* Loads a version from its stored source (another node served it, or this one before a
 * restart) and keeps it. Errors: the loader's. */
enum ps_err ps_engine_adopt(struct ps_engine *e, const char *source, size_t len,
                            const char *name, const struct ps_svc **out,
                            struct ps_diag *diag) PS_WUR;

/* Records every version the catalogue offers in the store (service_versions), so any node can
 * run an application pinned to it. A version already stored with other content is a refusal
 * (report) and that service's catalogue entry is withdrawn until fixed. Blocks. */
enum ps_err ps_engine_sync(struct ps_engine *e, struct ps_store *store,
                           struct ps_engine_report *report, struct ps_diag *diag) PS_WUR;

#endif
