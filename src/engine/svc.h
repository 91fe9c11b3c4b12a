/* Service definitions: the model a services/<id>.yaml file loads into, and its loader. A
 * definition is data: metadata, who may apply (eligibility rules), the form (fields with
 * validation rules and prefill), the workflow (named steps) and tests. Its expressions are
 * CEL, compiled once against the engine's environment (env.h) and type-checked at load, so a
 * loaded definition cannot fail with an unknown name or a type error at run time. The format
 * is docs/formats/service.schema.json; the meaning of each part, docs/internals/engine.md.
 *
 * A loaded definition is immutable and owned by one struct ps_svc (its arena and its
 * programs): any number of threads may read it. */
#ifndef PS_ENGINE_SVC_H
#define PS_ENGINE_SVC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cel/cel.h"
#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct ps_engine_env;

#define PS_SVC_FORMAT 1
#define PS_SVC_ID_MAX 64
#define PS_SVC_NAME_MAX 64
#define PS_SVC_TEXT_MAX 2000
#define PS_SVC_MAX_FIELDS 64
#define PS_SVC_MAX_STEPS 32
#define PS_SVC_MAX_RULES 32
#define PS_SVC_MAX_OPTIONS 64
#define PS_SVC_MAX_ITEMS 50   /* items of a list field */
#define PS_SVC_MAX_TESTS 64
#define PS_SVC_MAX_HOPS 64    /* steps one transition may pass through */

/* A text in both languages (both required). */
struct ps_svc_text {
    const char *uk, *en;
};

/* A CEL expression of the definition, compiled, with its source and place. */
struct ps_svc_expr {
    const struct ps_cel_program *prog; /* NULL: absent */
    const char *src;
    uint32_t line, col;
};

/* A rule: an expression that must be true, and what to tell when it is not. */
struct ps_svc_rule {
    struct ps_svc_expr expr;
    struct ps_svc_text message;
};

enum ps_svc_ftype {
    PS_SVC_TEXT,
    PS_SVC_NUMBER,
    PS_SVC_DATE,    /* "YYYY-MM-DD" */
    PS_SVC_ENUM,
    PS_SVC_BOOLEAN,
    PS_SVC_ADDRESS, /* {oblast, hromada, settlement, street, building} */
    PS_SVC_KVED,    /* a KVED-2010 class code */
    PS_SVC_LIST,    /* items, each a map of the item fields */
    PS_SVC_PERSON,  /* a reference to a person: an RNOKPP */
    PS_SVC_SLOT,    /* an appointment slot's id, from the calendar of the step that books it */
};
/* "text", "number", ... */
const char *ps_svc_ftype_name(enum ps_svc_ftype t);

struct ps_svc_option {
    const char *value;
    struct ps_svc_text label;
};

struct ps_svc_field {
    const char *name;
    enum ps_svc_ftype type;
    struct ps_svc_text label, hint; /* hint may have NULL texts */
    const char *page;               /* the page it is asked on (one question per page when
                                     * every field has its own); NULL: the form's only page */
    bool required;
    uint32_t max_len;               /* text: bytes (default 500) */
    double min, max;                /* number (defaults: no bound) */
    bool has_min, has_max;
    struct ps_svc_option *options;  /* enum */
    size_t noptions;
    struct ps_svc_field *items;     /* list: the fields of an item */
    size_t nitems;
    uint32_t max_items;             /* list (default 10, at most PS_SVC_MAX_ITEMS) */
    struct ps_svc_expr prefill;     /* over `applicant`: what the state already knows */
    struct ps_svc_rule *rules;      /* over `value`, `answers`, `applicant`, `item` */
    size_t nrules;
};

enum ps_svc_skind {
    PS_SVC_CHECK,       /* automatic: rules (and the registry look-ups they call) */
    PS_SVC_CONSENT,     /* a second person's consent, from their own account */
    PS_SVC_FEE,         /* an amount due, recorded */
    PS_SVC_APPOINTMENT, /* books the slot the applicant chose */
    PS_SVC_DECISION,    /* an official's decision (role, agency, oblast), with a deadline */
    PS_SVC_OUTCOME,     /* terminal: registry writes, documents, messages */
};
const char *ps_svc_skind_name(enum ps_svc_skind k);

/* A registry write of an outcome: a registry act by name (writes.c lists them and their
 * arguments) with each argument's value from an expression; with `each`, once per item of a
 * list (the item bound to `item`). */
struct ps_svc_write {
    const char *act; /* "sole-proprietor.register", "idp.register", "marriage.register" */
    const char **args;
    struct ps_svc_expr *vals;
    size_t nargs;
    struct ps_svc_expr each; /* optional: a list */
    uint32_t line, col;
};

/* Who receives a message or a document: "applicant", "parties" (everyone on the
 * application), or an expression giving an RNOKPP or a list of them. */
struct ps_svc_to {
    const char *who; /* "applicant", "parties", NULL: expr */
    struct ps_svc_expr expr;
};

struct ps_svc_document {
    const char *type; /* a document type id ("ua.fop-extract") */
    struct ps_svc_to to;
};

struct ps_svc_message {
    struct ps_svc_to to;
    struct ps_svc_text title, body; /* body may hold {reason} and {application} */
};

struct ps_svc_step {
    const char *name;
    enum ps_svc_skind kind;
    int next, on_fail;          /* step indices; -1: none */
    uint32_t line, col;
    /* check */
    struct ps_svc_rule *rules;
    size_t nrules;
    /* consent: the party (an RNOKPP) and the answers they give (fields) */
    struct ps_svc_expr party;
    struct ps_svc_field *fields;
    size_t nfields;
    /* fee */
    int64_t amount_kop;
    struct ps_svc_text purpose;
    /* appointment: the slot field, the calendar (agency, kind) */
    const char *slot_field;
    const char *slot_kind;
    /* decision and appointment */
    const char *role, *agency;
    struct ps_svc_expr oblast;  /* decision: the oblast whose officials decide; absent: any */
    uint32_t deadline_days;     /* consent, decision */
    /* outcome */
    bool approved;
    struct ps_svc_text reason;  /* a rejection's default reason */
    struct ps_svc_write *writes;
    size_t nwrites;
    struct ps_svc_document *documents;
    size_t ndocuments;
    struct ps_svc_message *messages;
    size_t nmessages;
};

/* A test inside the definition: applicant and registry state in, expected result out. The
 * values are JSON (owned by the svc). */
struct ps_svc_test {
    const char *name;
    uint32_t line, col;
    void *applicant;  /* json_t *: the applicant's registry record */
    void *registry;   /* json_t *: other persons by RNOKPP, or NULL */
    void *answers;    /* json_t * */
    void *consents;   /* json_t *: step -> {consent: bool, answers: {...}} */
    void *decisions;  /* json_t *: step -> {decision: "approve"|"reject", reason} */
    const char *expect_status; /* "approved", "rejected", "waiting", "not-eligible",
                                * "invalid" */
    const char *expect_step;   /* optional: where it ends */
    const char *expect_reason; /* optional: a substring of the reason (either language) */
    const char **expect_errors; /* "invalid": the fields that fail */
    size_t nexpect_errors;
    const char **expect_writes; /* optional: the registry acts in order */
    size_t nexpect_writes;
};

struct ps_svc {
    struct ps_arena *arena;
    const char *file;
    const char *id;
    uint32_t version;
    char sha256[65]; /* of the source text */
    const char *source; /* the text as loaded (NUL-terminated) */
    size_t source_len;
    const char *agency;
    const char *category;
    struct ps_svc_text title, description, legal_basis;
    struct ps_svc_rule *eligibility;
    size_t neligibility;
    struct ps_svc_field *fields;
    size_t nfields;
    struct ps_svc_rule *validate; /* rules across fields */
    size_t nvalidate;
    struct ps_svc_step *steps;
    size_t nsteps;
    int start;
    struct ps_svc_test *tests;
    size_t ntests;
    /* private: stored in service_versions by this process (app_store.c) */
    _Atomic int stored_;
    /* private: programs to free */
    struct ps_cel_program **progs_;
    size_t nprogs_, capprogs_;
};

/* Loads a definition from text (len bytes; copied) named file in messages, compiling every
 * expression in env. Errors: PS_ERR_INVALID "file:line:column: message" for anything wrong in
 * the YAML, the format (unknown keys, missing or mistyped values, a step named but not
 * defined, a step no path reaches or that never ends ...) or an expression (a syntax or type
 * error, placed at the expression's character in the file; a rule that is not bool),
 * PS_ERR_LIMIT (sizes, counts), PS_ERR_NOMEM. Caller frees with ps_svc_free. */
enum ps_err ps_svc_load(const struct ps_engine_env *env, const char *text, size_t len,
                        const char *file, struct ps_svc **out, struct ps_diag *diag) PS_WUR;
/* Reads path (at most 1 MiB) and loads it. */
enum ps_err ps_svc_load_file(const struct ps_engine_env *env, const char *path,
                             struct ps_svc **out, struct ps_diag *diag) PS_WUR;
void ps_svc_free(struct ps_svc *s);

const struct ps_svc_field *ps_svc_field(const struct ps_svc *s, const char *name);
int ps_svc_step_index(const struct ps_svc *s, struct ps_str name);
/* The text in lang ("en": English, anything else Ukrainian). */
const char *ps_svc_text_in(struct ps_svc_text t, const char *lang);

#endif
