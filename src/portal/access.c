/* Who used my data: the transparency log's records about the signed-in person, each in plain
 * language, newest first, paged, filterable by period and organisation, and each marked as
 * included in the public log or pending. "Included" is the server's own check, made on every
 * page: the latest checkpoint's signature verifies with the log's key, the public entry at the
 * record's index is this record (same id, and its commitment recomputed from the record and
 * its salt), and the inclusion proof leads from the entry's leaf hash to the checkpoint's
 * root (RFC 9162, src/tlog/merkle.c). One read transaction: the records, their proofs, the
 * checkpoint and the agencies. Reading one's own records is not itself recorded. */
#include <stdio.h>
#include <string.h>

#include "api/render.h"
#include "core/clock.h"
#include "core/ids.h"
#include "core/json.h"
#include "identity/official.h"
#include "portal/documents_int.h"
#include "portal/portal_int.h"
#include "registries/persons.h"
#include "tlog/checkpoint.h"
#include "tlog/log.h"
#include "tlog/merkle.h"
#include "tlog/note.h"

#define PAGE 20     /* records a page shows */
#define ROUNDS 5    /* reads of PS_TLOG_PAGE_MAX records a filtered page looks through */

/* ---- one record in plain language ---- */

static const struct {
    const char *action, *text;
} actions[] = {
    {"person.read", N_("read your record")},
    {"person.status.read", N_("checked your status in the register")},
    {"access-log.read", N_("read who used your data")},
    {"person.register", N_("registered you in the population register")},
    {"activation-code.issue", N_("issued you an activation code")},
    {"passkey.add", N_("added a passkey")},
    {"passkey.rename", N_("renamed a passkey")},
    {"passkey.remove", N_("removed a passkey")},
    {"session.start", N_("signed in")},
    {"session.end", N_("ended a session")},
    {"auth.demo-signin", N_("signed in with the demonstration’s one-click sign-in")},
    {"auth.enrol.refuse", N_("refused an enrolment with your details")},
    {"auth.signin.refuse", N_("refused a sign-in with your passkey")},
    {"role.grant", N_("granted you an official role")},
    {"role.revoke", N_("revoked an official role of yours")},
    {"access.deny", N_("was refused access to your data")},
};

/* Who acted, as the sentence starts ("An official of the Pension Fund, role registrar"). */
static struct ps_str who_text(const struct ps_portal_access *r, enum ps_lang lang,
                              struct ps_arena *a)
{
    struct ps_i18n_arg args[] = {{"agency", r->agency},
                                 {"role", ps_portal_role_text(lang, r->role)}};
    const char *msg = N_("Someone else");
    if (ps_str_eq_cstr(r->actor_kind, "citizen"))
        msg = ps_str_eq(r->actor_id, r->subject) || !r->actor_id.len ? N_("You")
                                                                     : N_("Another person");
    else if (ps_str_eq_cstr(r->actor_kind, "official"))
        msg = r->agency.len && r->role.len ? N_("An official of {agency}, role {role},")
              : r->agency.len              ? N_("An official of {agency}")
                                           : N_("An official");
    else if (ps_str_eq_cstr(r->actor_kind, "system"))
        msg = ps_str_eq_cstr(r->actor_id, "pocketstate-auth") ? N_("The platform’s sign-in service")
              : ps_str_eq_cstr(r->actor_id, "public-verify") ? N_("Someone on the public verify page")
              : r->agency.len                                 ? N_("A system of {agency}")
                                                              : N_("An agency’s system");
    else if (ps_str_eq_cstr(r->actor_kind, "admin"))
        msg = N_("The platform’s administrator");
    return ps_i18n_fill(a, ps_i18n(lang, msg), args, 2);
}

static struct ps_str what_text(const struct ps_portal_access *r, enum ps_lang lang,
                               struct ps_arena *a)
{
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (ps_str_eq_cstr(r->action, actions[i].action))
            return ps_str_from_cstr(ps_i18n(lang, actions[i].text));
    if (ps_portal_doc_action(r->action))
        return ps_str_from_cstr(ps_i18n(lang, ps_portal_doc_action(r->action)));
    struct ps_i18n_arg arg = {"action", r->action};
    return ps_i18n_fill(a, ps_i18n(lang, N_("acted on your data ({action})")), &arg, 1);
}

struct ps_str ps_portal_access_text(const struct ps_portal_access *r, enum ps_lang lang,
                                    struct ps_arena *a)
{
    char date[PS_I18N_DATE_MAX], hm[8];
    int64_t days = r->at_s >= 0 ? r->at_s / 86400 : -((-r->at_s + 86399) / 86400);
    int64_t s = r->at_s - days * 86400;
    size_t nd = ps_i18n_date(lang, ps_date_from_days(days), date);
    int k = snprintf(hm, sizeof hm, "%02d:%02d", (int)(s / 3600), (int)(s % 3600 / 60));
    if (k < 0 || (size_t)k >= sizeof hm)
        hm[0] = '\0';
    struct ps_i18n_arg args[] = {
        {"who", who_text(r, lang, a)}, {"what", what_text(r, lang, a)},
        {"date", {date, nd}},          {"time", ps_str_from_cstr(hm)},
        {"purpose", r->purpose},
    };
    const char *msg = !r->purpose.len ? N_("{who} {what} on {date} at {time} UTC")
                      : r->change     ? N_("{who} {what} on {date} at {time} UTC, reason: "
                                           "{purpose}")
                                      : N_("{who} {what} on {date} at {time} UTC, purpose: "
                                           "{purpose}");
    return ps_i18n_fill(a, ps_i18n(lang, msg), args, 5);
}

/* ---- the page ---- */

static const struct {
    const char *value, *label;
    int64_t days; /* 0: any time */
} periods[] = {
    {"all", N_("Any time"), 0},
    {"week", N_("The last 7 days"), 7},
    {"month", N_("The last 30 days"), 30},
    {"year", N_("The last 12 months"), 365},
};

enum { F_PERIOD, F_ORG, F_BEFORE, F_N };
static const struct ps_field filter_fields[F_N] = {
    [F_PERIOD] = {.name = "period", .label = N_("Period"), .max_chars = 10},
    [F_ORG] = {.name = "org", .label = N_("Organisation"), .max_chars = 64},
    [F_BEFORE] = {.name = "before", .label = N_("Older records"), .max_chars = 36},
};

struct access_view {
    struct ps_page *pg; /* first: ps_page_failed */
    const struct ps_actor *actor;
    struct ps_form form;
    size_t period;      /* index in periods[] */
    struct ps_str org, before;
    int64_t since_s;    /* 0: any time */
    struct ps_api_access_page page;
    struct ps_tlog_subject_row batch[PS_TLOG_PAGE_MAX];
    struct ps_str older; /* the cursor of the next page, or NULL */
    struct ps_agency agencies[PS_AGENCIES_MAX];
    size_t nagencies;
};

static struct ps_str agency_name(const struct access_view *v, struct ps_str code)
{
    return ps_portal_agency_name(v->pg->lang, v->agencies, v->nagencies, code);
}

void ps_portal_access_of_row(const struct ps_tlog_subject_row *row, struct ps_str subject,
                             struct ps_portal_access *out)
{
    memset(out, 0, sizeof *out);
    out->subject = subject;
    out->change = ps_str_eq_cstr(row->kind, "change");
    out->actor_kind = row->actor_kind;
    out->actor_id = row->actor_id;
    out->action = row->action;
    out->purpose = row->purpose;
    out->at_s = ps_portal_time_s(row->time);
    /* an official's role and agency, an agency system's agency (records before migration 0007
     * have none: "An official ...") */
    out->role = row->actor_role.p ? row->actor_role : PS_STR("");
    out->agency = row->actor_agency.p ? row->actor_agency : PS_STR("");
}

/* Whether the row passes the filters; *stop when no older row can (it is before the period). */
static bool wanted(const struct access_view *v, const struct ps_tlog_subject_row *row,
                   bool *stop)
{
    struct ps_portal_access r;
    ps_portal_access_of_row(row, v->actor->id, &r);
    *stop = v->since_s && r.at_s < v->since_s;
    return !*stop && (!v->org.len || ps_str_eq(r.agency, v->org));
}

/* Up to PAGE rows that pass the filters, reading at most ROUNDS batches; older: the cursor
 * of the next page when there may be more. */
static enum ps_err collect(struct ps_tx *tx, struct access_view *v, struct ps_diag *diag)
{
    struct ps_arena *a = v->pg->req->arena;
    struct ps_str before = v->before;
    size_t batch = v->org.len ? PS_TLOG_PAGE_MAX : PAGE + 1;
    v->older = PS_STR_NULL;
    for (size_t round = 0; round < ROUNDS; round++) {
        size_t n = 0;
        bool stop = false;
        enum ps_err e = ps_person_access_log(tx, v->actor, v->actor->id, PS_STR_NULL, before,
                                             batch, a, v->batch, &n, diag);
        if (e != PS_OK)
            return e;
        for (size_t i = 0; i < n && !stop; i++) {
            if (!wanted(v, &v->batch[i], &stop))
                continue;
            if (v->page.n == PAGE) { /* one more than a page: there is a next page */
                v->older = v->page.rows[PAGE - 1].id;
                return PS_OK;
            }
            v->page.rows[v->page.n++] = v->batch[i];
        }
        if (stop || n < batch)
            return PS_OK;
        before = v->batch[n - 1].id;
    }
    v->older = before; /* looked far enough: the rest is on the next page */
    return PS_OK;
}

static enum ps_err access_op(struct ps_tx *tx, void *ctx, struct ps_diag *diag)
{
    struct access_view *v = ctx;
    struct ps_arena *a = v->pg->req->arena;
    v->page.n = 0;
    enum ps_err e = ps_agencies_list(tx, a, v->agencies, PS_AGENCIES_MAX, &v->nagencies, diag);
    if (e == PS_OK)
        e = collect(tx, v, diag);
    if (e == PS_OK)
        e = ps_api_access_page_prepare(a, &v->page);
    if (e == PS_OK)
        e = ps_tlog_rows_proofs(tx, v->page.rows, v->page.n, v->page.proofs, &v->page.size,
                                &v->page.checkpoint, diag);
    return e;
}

/* ---- the server's check of each record's place in the log ---- */

/* The checkpoint the proofs are against, when its signature verifies with the log's key. */
static bool checkpoint_ok(struct access_view *v, struct ps_checkpoint *c)
{
    struct ps_app *app = v->pg->req->app;
    struct ps_note_verifier key;
    struct ps_diag d = {0};
    struct ps_note *note = ps_arena_zalloc(v->pg->req->arena, sizeof *note);
    return note && app && app->log_key && v->page.size > 0 &&
           ps_note_verifier_parse(ps_str_from_cstr(app->log_key), &key, &d) == PS_OK &&
           ps_note_parse(ps_buf_str(&v->page.checkpoint), note, &d) == PS_OK &&
           ps_note_verify(note, &key, 1, NULL, &d) == PS_OK &&
           ps_checkpoint_parse(note->text, c, &d) == PS_OK && c->size == v->page.size;
}

/* The public entry is this record: the same id, and the commitment of its subject, resource
 * and purpose under its salt. */
static bool entry_is_row(struct access_view *v, const struct ps_tlog_subject_row *row)
{
    static const uint8_t zero[PS_TLOG_SALT_LEN];
    struct ps_hash h;
    char b64[64];
    json_t *j = NULL;
    struct ps_diag d = {0};
    if (ps_json_parse(v->pg->req->arena, row->entry, PS_TLOG_ENTRY_MAX, 4, &j, &d) != PS_OK ||
        ps_tlog_commitment(row->has_salt ? row->salt : zero, v->actor->id, row->resource,
                           row->purpose, &h) != PS_OK)
        return false;
    ps_tlog_b64(h.b, sizeof h.b, b64, sizeof b64);
    return ps_str_eq(ps_json_get_str(j, "id"), row->id) &&
           ps_str_eq_cstr(ps_json_get_str(j, "commitment"), b64);
}

enum place { PENDING, INCLUDED, FAILED };

static enum place place_of(struct access_view *v, size_t i, const struct ps_checkpoint *c,
                           bool verified)
{
    const struct ps_tlog_subject_row *row = &v->page.rows[i];
    const struct ps_merkle_proof *proof = &v->page.proofs[i];
    struct ps_hash leaf;
    if (!row->sequenced || row->index >= v->page.size)
        return PENDING;
    if (!verified || !entry_is_row(v, row) ||
        ps_merkle_leaf_hash(row->entry.p, row->entry.len, &leaf) != PS_OK ||
        ps_merkle_verify_inclusion(&leaf, row->index, c->size, proof->h, proof->len,
                                   &c->root) != PS_OK)
        return FAILED;
    return INCLUDED;
}

/* ---- rendering ---- */

/* This page's address with the filters and before= cursor (NULL: the newest page). */
static struct ps_str page_url(struct access_view *v, struct ps_str before)
{
    struct ps_arena *a = v->pg->req->arena;
    struct ps_buf b;
    ps_buf_init(&b, 512);
    enum ps_err e = ps_buf_append_cstr(&b, "/me/access?period=");
    if (e == PS_OK)
        e = ps_buf_append_cstr(&b, periods[v->period].value);
    if (e == PS_OK && v->org.len) {
        e = ps_buf_append_cstr(&b, "&org=");
        if (e == PS_OK)
            e = ps_html_escape(&b, PS_HTML_URL_PART, v->org);
    }
    if (e == PS_OK && before.len) {
        e = ps_buf_append_cstr(&b, "&before=");
        if (e == PS_OK)
            e = ps_html_escape(&b, PS_HTML_URL_PART, before);
    }
    struct ps_str out = e == PS_OK ? ps_arena_str(a, ps_buf_str(&b)) : PS_STR("/me/access");
    ps_buf_reset(&b);
    return out.p ? out : PS_STR("/me/access");
}

static bool filter_options(struct access_view *v, struct ps_tpl_access *t)
{
    struct ps_page *pg = v->pg;
    struct ps_tpl_access_periods *p =
        ps_api_alloc(pg->req, sizeof periods / sizeof periods[0] * sizeof *p);
    struct ps_tpl_access_orgs *o = ps_api_alloc(pg->req, (v->nagencies + 1) * sizeof *o);
    if (!p || !o)
        return false;
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        p[i] = (struct ps_tpl_access_periods){ps_str_from_cstr(periods[i].value),
                                              i == v->period,
                                              ps_str_from_cstr(ps_page_t(pg, periods[i].label))};
    o[0] = (struct ps_tpl_access_orgs){PS_STR(""), !v->org.len,
                                       ps_str_from_cstr(ps_page_t(pg, N_("All organisations")))};
    for (size_t i = 0; i < v->nagencies; i++)
        o[i + 1] = (struct ps_tpl_access_orgs){v->agencies[i].code,
                                               ps_str_eq(v->agencies[i].code, v->org),
                                               agency_name(v, v->agencies[i].code)};
    t->periods = p;
    t->nperiods = sizeof periods / sizeof periods[0];
    t->orgs = o;
    t->norgs = v->nagencies + 1;
    return true;
}

static bool records(struct access_view *v, struct ps_tpl_access *t)
{
    struct ps_page *pg = v->pg;
    struct ps_arena *a = pg->req->arena;
    struct ps_checkpoint c;
    bool verified = checkpoint_ok(v, &c);
    struct ps_tpl_access_records *r = ps_api_alloc(pg->req, (v->page.n ? v->page.n : 1) *
                                                                sizeof *r);
    if (!r)
        return false;
    for (size_t i = 0; i < v->page.n; i++) {
        struct ps_portal_access one;
        char num[PS_I18N_NUM_MAX];
        ps_portal_access_of_row(&v->page.rows[i], v->actor->id, &one);
        one.agency = one.agency.len ? agency_name(v, one.agency) : one.agency;
        r[i].text = ps_portal_access_text(&one, pg->lang, a);
        enum place where = place_of(v, i, &c, verified);
        r[i].included = where == INCLUDED;
        r[i].failed = where == FAILED;
        r[i].index = ps_arena_str(a, (struct ps_str){num, ps_i18n_num(pg->lang,
                                                                      v->page.rows[i].index, num)});
    }
    t->records = r;
    t->nrecords = v->page.n;
    if (verified) {
        char num[PS_I18N_NUM_MAX];
        struct ps_i18n_arg arg = {"size", {num, ps_i18n_num(pg->lang, c.size, num)}};
        t->checked = ps_i18n_fill(a, ps_i18n_n(pg->lang,
                                               NN_("Checked against the log’s signed checkpoint "
                                                   "of {size} record.",
                                                   "Checked against the log’s signed checkpoint "
                                                   "of {size} records."),
                                               c.size),
                                  &arg, 1);
    }
    return true;
}

static void access_render(struct ps_req *req, void *ctx)
{
    struct access_view *v = ctx;
    struct ps_tpl_access t;
    (void)req;
    memset(&t, 0, sizeof t);
    if (!filter_options(v, &t) || !records(v, &t))
        return;
    t.older_url = v->older.p ? page_url(v, v->older) : PS_STR("");
    t.newest_url = v->before.len ? page_url(v, PS_STR_NULL) : PS_STR("");
    t.pager = t.older_url.len || t.newest_url.len;
    ps_page_send(v->pg, 200, ps_tpl_access_slot(&t));
}

/* The query's filters: an unknown period or organisation is "any"; a cursor must be a record
 * id as this page writes them (400 otherwise). */
static bool filters(struct access_view *v)
{
    struct ps_str period = v->form.values[F_PERIOD];
    for (size_t i = 0; i < sizeof periods / sizeof periods[0]; i++)
        if (ps_str_eq_cstr(period, periods[i].value))
            v->period = i;
    if (periods[v->period].days)
        v->since_s = ps_clock_now_ms() / 1000 - periods[v->period].days * 86400;
    v->org = v->form.values[F_ORG];
    v->before = v->form.values[F_BEFORE];
    struct ps_uuid u;
    bool canonical = true;
    for (size_t i = 0; i < v->before.len; i++)
        canonical &= !(v->before.p[i] >= 'A' && v->before.p[i] <= 'F');
    if (v->before.len && (!canonical || !ps_uuid_parse(v->before, &u))) {
        ps_page_error(v->pg, 400, N_("The address is not valid"),
                      N_("Check the address or the form and try again."));
        return false;
    }
    return true;
}

void ps_portal_access(struct ps_req *req)
{
    struct access_view *v = ps_api_alloc(req, sizeof *v);
    if (!v || !(v->pg = ps_page_new(req, N_("Who used my data"), "/me/access")))
        return;
    v->actor = ps_api_actor(req);
    v->page.subject = v->actor->id;
    v->page.limit = PAGE;
    ps_form_init(&v->form, filter_fields, F_N);
    if (!ps_page_query_form(v->pg, &v->form) || !filters(v))
        return;
    ps_api_read_or(req, access_op, v, access_render, ps_page_failed);
}
