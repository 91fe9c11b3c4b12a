/* A service's form as pages (docs/internals/portal.md, "Service pages"): the definition's
 * fields (src/engine/svc.h) rendered as GOV.UK questions in the page's language, the posted
 * form read back into the application's answers (JSON, as the API takes them), the engine's
 * validation errors placed on their inputs, and the answers worded for "check your answers".
 * No validation here: every message a person sees about an answer is the engine's.
 *
 * Input names (also their ids) are "f-" + the field's name, then "-day|-month|-year" (a date),
 * "-oblast|-hromada|-settlement|-street|-building" (an address), "-N-ITEM" (item N of a list,
 * its field ITEM); radios "f-NAME-K" (option K). A page's buttons post "_action": "continue",
 * "draft", "add-NAME" (a list's new row) or "remove-NAME-N". Private to src/portal. */
#ifndef PS_PORTAL_SVC_FORM_H
#define PS_PORTAL_SVC_FORM_H

#include <jansson.h>
#include <stdio.h>

#include "core/err.h"

#include "engine/app.h"
#include "engine/svc.h"
#include "portal/form.h"
#include "portal/i18n.h"
#include "portal/portal_gen.h"

#define PS_SVCFORM_ID_MAX 160 /* an input's id: "f-" + names and an index */

/* snprintf into an array sized for the definition's bounded names (PS_SVC_NAME_MAX) and ids:
 * a truncation is a broken invariant. Returns the length. */
#define PS_SVCFORM_FMT(buf, ...)                                                                   \
    ps_svcform_fmt_len(snprintf((buf), sizeof(buf), __VA_ARGS__), sizeof(buf))
static inline int ps_svcform_fmt_len(int n, size_t cap)
{
    PS_ASSERT(n >= 0 && (size_t)n < cap);
    return n;
}

/* The form's pages in the order their first field comes; a field without a page is on "".
 * Returns their number (at most cap). Borrowed from the definition. */
size_t ps_svcform_pages(const struct ps_svc *s, const char **out, size_t cap);
/* The index of page among them, or -1. */
int ps_svcform_page_index(const struct ps_svc *s, struct ps_str page);
/* True when field f is asked on page. */
bool ps_svcform_on_page(const struct ps_svc_field *f, const char *page);
/* True when every field of page is filled from the registry (prefill) and has its answer: the
 * page is not asked again (check your answers still shows it, with a change link). */
bool ps_svcform_page_known(const struct ps_svc *s, const char *page, json_t *answers);

/* What a page posted: the values of the fields of page (fields[0..n-1] whose page it is)
 * into answers (replacing theirs; an empty value removes the answer, so that the engine's
 * "required" applies), then _action's list edit (a new empty row, a row removed). A list's
 * rows with every input empty are dropped. Values keep their shapes for the engine to judge:
 * a number that does not read as one stays text, a partial date "YYYY-MM-DD" as typed.
 * Errors: PS_ERR_NOMEM. */
enum ps_err ps_svcform_read(const struct ps_svc_field *fields, size_t n, const char *page,
                            const struct ps_form_pair *pairs, size_t npairs, json_t *answers,
                            struct ps_diag *diag) PS_WUR;

/* A slot offered to choose from (a slot field's radios). */
struct ps_svcform_slot {
    const char *id;
    int64_t starts_s, minutes;
};

/* What a page needs to render its questions. Borrowed. */
struct ps_svcform_view {
    enum ps_lang lang;
    json_t *answers;
    const struct ps_form_error *errs; /* the engine's, for the whole form */
    size_t nerrs;
    const struct ps_svcform_slot *slots;
    size_t nslots;
};

/* The questions of page (fields[0..n-1] on it; page NULL: every field) with their values and
 * messages, into the arena: *out[0..*nout-1]. Errors: PS_ERR_NOMEM. */
enum ps_err ps_svcform_questions(const struct ps_svc_field *fields, size_t n, const char *page,
                                 const struct ps_svcform_view *v, struct ps_arena *a,
                                 struct ps_tpl_question **out, size_t *nout) PS_WUR;

/* The id of the input an error's field path points at ("activities[1].code" ->
 * "f-activities-1-code"), for the error summary's link; fields the form's. "" (a rule across
 * fields, an eligibility rule): the form's first input. In the arena; NULL when out of
 * memory. */
const char *ps_svcform_error_id(const struct ps_svc_field *fields, size_t n, const char *path,
                                struct ps_arena *a);
/* The error's message in lang. */
const char *ps_svcform_error_text(const struct ps_form_error *e, enum ps_lang lang);

/* The answers beside their questions (every field of the form; page links to change them when
 * change_base is not NULL: change_base + page), worded in lang: dates as dates, options by
 * their labels, yes/no, an address on one line, a list one line per item, a slot by its time
 * when slots has it, KVED codes with their titles (env). Into the arena. */
enum ps_err ps_svcform_answers(const struct ps_svc *s, const struct ps_svcform_view *v,
                               const struct ps_engine_env *env, const char *change_base,
                               struct ps_arena *a, struct ps_tpl_answers *out) PS_WUR;

/* A history entry (struct ps_app_event's kind and detail) as a msgid ("Consent given",
 * "Checks passed"); NULL for one the portal has no words for. */
const char *ps_svcform_event_msg(struct ps_str kind, struct ps_str detail);
/* An application's status ("draft", "waiting", ...) as a msgid ("Draft", "Waiting", ...). */
const char *ps_svcform_status_msg(struct ps_str status);

#endif
