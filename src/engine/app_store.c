/* The engine's tables (migration 0012_engine): applications, their history, parties, tasks, fees,
 * slots, inbox, stored definition versions. Every statement here runs in the caller's
 * transaction; none decides anything a unique index or a conditional UPDATE should decide. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "engine/app_int.h"
#include "policy/actor.h"
#include "registries/business.h"
#include "registries/civil.h"
#include "registries/idp.h"
#include "registries/persons.h"
#include "store/store.h"

static const struct ps_sql sql_version_put = {
    "service_versions.put",
    "INSERT INTO service_versions (service_id, version, sha256, source, loaded_at_ms) "
    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (service_id, version) DO NOTHING"};
static const struct ps_sql sql_version_sha = {
    "service_versions.sha",
    "SELECT sha256 FROM service_versions WHERE service_id = $1 AND version = $2"};
static const struct ps_sql sql_version_source = {
    "service_versions.source",
    "SELECT source FROM service_versions WHERE service_id = $1 AND version = $2"};
static const struct ps_sql sql_app_insert = {
    "applications.insert",
    "INSERT INTO applications (id, service_id, service_version, applicant, status, step, "
    "answers, facts, reason, created_at_ms, updated_at_ms, submitted_at_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $9, NULL)"};
static const struct ps_sql sql_app_load = {
    "applications.load",
    "SELECT service_id, service_version, applicant, status, step, answers, facts, reason, "
    "updated_at_ms, (SELECT COALESCE(MAX(seq), 0) FROM application_events WHERE "
    "application_id = $1) FROM applications WHERE id = $1"};
static const struct ps_sql sql_app_update = {
    "applications.update",
    "UPDATE applications SET status = $2, step = $3, answers = $4, facts = $5, reason = $6, "
    "updated_at_ms = $7, submitted_at_ms = CASE WHEN $8 = 1 THEN $7 ELSE submitted_at_ms END "
    "WHERE id = $1 AND status = $9 AND updated_at_ms = $10"};
static const struct ps_sql sql_event = {
    "application_events.insert",
    "INSERT INTO application_events (application_id, seq, at_ms, actor_kind, actor_id, kind, "
    "step, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"};
static const struct ps_sql sql_party = {
    "application_parties.insert",
    "INSERT INTO application_parties (application_id, rnokpp, role) VALUES ($1, $2, $3) "
    "ON CONFLICT (application_id, rnokpp) DO NOTHING"};
static const struct ps_sql sql_parties = {
    "application_parties.list",
    "SELECT rnokpp FROM application_parties WHERE application_id = $1 ORDER BY rnokpp"};
static const struct ps_sql sql_task_open = {
    "tasks.insert",
    "INSERT INTO tasks (id, application_id, step, kind, party, role, agency, oblast, status, "
    "due_at_ms, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $9, $10)"};
#define TASK_COLS                                                                             \
    "t.id, t.application_id, a.service_id, t.step, t.kind, COALESCE(t.party, ''), t.role, "  \
    "t.agency, t.oblast, t.status, COALESCE(t.claimed_by, ''), t.due_at_ms, t.created_at_ms"
static const struct ps_sql sql_task_get = {
    "tasks.get", "SELECT " TASK_COLS " FROM tasks t JOIN applications a ON a.id = "
                 "t.application_id WHERE t.id = $1"};
static const struct ps_sql sql_task_for = {
    "tasks.for", "SELECT " TASK_COLS " FROM tasks t JOIN applications a ON a.id = "
                 "t.application_id WHERE t.application_id = $1 AND t.kind = $2 AND "
                 "t.status = 'open'"};
static const struct ps_sql sql_task_claim = {
    "tasks.claim",
    "UPDATE tasks SET claimed_by = $2, claimed_at_ms = $3 WHERE id = $1 AND status = 'open' "
    "AND kind = 'decision' AND (claimed_by IS NULL OR claimed_by = $2)"};
static const struct ps_sql sql_task_done = {
    "tasks.done",
    "UPDATE tasks SET status = 'done', done_at_ms = $2, decision = $3, reason = $4 "
    "WHERE id = $1 AND status = 'open'"};
static const struct ps_sql sql_fee = {
    "fees.insert",
    "INSERT INTO fees (id, application_id, payer, amount_kop, purpose, status, created_at_ms) "
    "VALUES ($1, $2, $3, $4, $5, 'due', $6)"};
static const struct ps_sql sql_book = {
    "slots.book",
    "UPDATE slots SET application_id = $1 WHERE id = $2 AND agency = $3 AND kind = $4 "
    "AND application_id IS NULL AND starts_at_ms > $5"};
static const struct ps_sql sql_inbox = {
    "inbox.insert",
    "INSERT INTO inbox (id, rnokpp, application_id, at_ms, title_uk, title_en, body_uk, "
    "body_en, read_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL)"};

/* ---- JSON kept with the arena ---- */

static void decref(void *p)
{
    json_decref(p);
}

json_t *ps_app_json(struct ps_arena *arena, struct ps_str text)
{
    json_t *v = json_loadb(text.p ? text.p : "", text.len, JSON_REJECT_DUPLICATES, NULL);
    if (v && ps_arena_defer(arena, decref, v) != PS_OK) {
        json_decref(v);
        return NULL;
    }
    return v;
}

struct ps_str ps_app_json_text(struct ps_arena *arena, const json_t *v)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    struct ps_str out = s ? ps_arena_str(arena, ps_str_from_cstr(s)) : PS_STR_NULL;
    free(s);
    return out;
}

static enum ps_err store_fail(struct ps_tx *tx, enum ps_err e, const char *what,
                              struct ps_diag *diag)
{
    return ps_diag_set(diag, e, "%s: %s", what, ps_tx_errmsg(tx));
}

static struct ps_str actor_id(const struct ps_actor *a)
{
    return a->id.len ? a->id : PS_STR("-");
}

/* ---- definition versions ---- */

enum ps_err ps_app_store_version(struct ps_tx *tx, const struct ps_svc *svc,
                                 struct ps_diag *diag)
{
    struct ps_query q;
    if (atomic_load(&((struct ps_svc *)svc)->stored_))
        return PS_OK; /* stored (or found stored) with this content before: versions never change */
    ps_query_start(&q, tx, &sql_version_put);
    ps_query_text(&q, ps_str_from_cstr(svc->id));
    ps_query_i64(&q, svc->version);
    ps_query_text(&q, ps_str_from_cstr(svc->sha256));
    ps_query_text(&q, (struct ps_str){svc->source, svc->source_len});
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return store_fail(tx, e, "storing a definition version", diag);
    if (q.changes == 1)
        return PS_OK; /* marked once its transaction commits: see ps_app_version_stored */
    ps_query_start(&q, tx, &sql_version_sha);
    ps_query_text(&q, ps_str_from_cstr(svc->id));
    ps_query_i64(&q, svc->version);
    bool same = ps_query_row(&q) && ps_str_eq_cstr(ps_stmt_text(q.st, 0), svc->sha256);
    e = ps_query_end(&q);
    if (e != PS_OK)
        return store_fail(tx, e, "reading a definition version", diag);
    if (!same)
        return ps_diag_set(diag, PS_ERR_EXISTS,
                           "%s: version %u of %s is already stored with other content",
                           svc->file, svc->version, svc->id);
    return PS_OK;
}

enum ps_err ps_app_svc(const struct ps_app_ctx *c, struct ps_str svc_id, uint32_t version,
                       const struct ps_svc **out, struct ps_diag *diag)
{
    *out = ps_engine_version(c->engine, svc_id, version);
    if (*out)
        return PS_OK;
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_version_source);
    ps_query_text(&q, svc_id);
    ps_query_i64(&q, version);
    struct ps_str src = PS_STR_NULL;
    if (ps_query_row(&q))
        src = ps_arena_str(c->arena, ps_stmt_text(q.st, 0));
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return store_fail(c->tx, e, "reading a definition version", diag);
    if (!src.p)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no version %u of %.*s", version,
                           PS_STR_FMT(svc_id));
    char name[160];
    snprintf(name, sizeof name, "stored:%.*s@%u", (int)(svc_id.len > 100 ? 100 : svc_id.len),
             svc_id.p, version);
    return ps_engine_adopt(c->engine, src.p, src.len, name, out, diag);
}

/* ---- applications ---- */

enum ps_err ps_app_load(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_row *a,
                        struct ps_diag *diag)
{
    struct ps_query q;
    memset(a, 0, sizeof *a);
    if (ps_str_copy(a->id, sizeof a->id, id) != PS_OK)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such application");
    ps_query_start(&q, c->tx, &sql_app_load);
    ps_query_text(&q, id);
    bool found = ps_query_row(&q);
    if (found) {
        struct ps_stmt *st = q.st;
        a->service = ps_arena_str(c->arena, ps_stmt_text(st, 0));
        a->version = (uint32_t)ps_stmt_i64(st, 1);
        a->applicant = ps_arena_str(c->arena, ps_stmt_text(st, 2));
        a->status = ps_arena_str(c->arena, ps_stmt_text(st, 3));
        a->step = ps_arena_str(c->arena, ps_stmt_text(st, 4));
        a->answers = ps_app_json(c->arena, ps_stmt_text(st, 5));
        a->facts = ps_app_json(c->arena, ps_stmt_text(st, 6));
        a->reason = ps_arena_str(c->arena, ps_stmt_text(st, 7));
        a->updated_ms = ps_stmt_i64(st, 8);
        a->seq = ps_stmt_i64(st, 9);
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return store_fail(c->tx, e, "reading an application", diag);
    if (!found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such application");
    if (!a->service.p || !a->applicant.p || !a->status.p || !a->step.p || !a->answers ||
        !a->facts || !a->reason.p)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    return ps_app_svc(c, a->service, a->version, &a->svc, diag);
}

enum ps_err ps_app_insert(const struct ps_app_ctx *c, struct ps_app_row *a,
                          struct ps_diag *diag)
{
    struct ps_query q;
    a->updated_ms = ps_clock_now_ms();
    ps_query_start(&q, c->tx, &sql_app_insert);
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_text(&q, a->service);
    ps_query_i64(&q, a->version);
    ps_query_text(&q, a->applicant);
    ps_query_text(&q, a->status);
    ps_query_text(&q, a->step);
    ps_query_text(&q, ps_app_json_text(c->arena, a->answers));
    ps_query_text(&q, ps_app_json_text(c->arena, a->facts));
    ps_query_i64(&q, a->updated_ms);
    enum ps_err e = ps_query_exec(&q);
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "storing an application", diag);
}

enum ps_err ps_app_update(const struct ps_app_ctx *c, const struct ps_app_row *a,
                          struct ps_str old_status, int64_t old_updated, bool submitted,
                          struct ps_diag *diag)
{
    struct ps_query q;
    int64_t now = ps_clock_now_ms();
    if (now <= old_updated)
        now = old_updated + 1; /* the guard below needs a new value */
    ps_query_start(&q, c->tx, &sql_app_update);
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_text(&q, a->status);
    ps_query_text(&q, a->step);
    ps_query_text(&q, ps_app_json_text(c->arena, a->answers));
    ps_query_text(&q, ps_app_json_text(c->arena, a->facts));
    ps_query_text(&q, a->reason);
    ps_query_i64(&q, now);
    ps_query_i64(&q, submitted ? 1 : 0);
    ps_query_text(&q, old_status);
    ps_query_i64(&q, old_updated);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return store_fail(c->tx, e, "updating an application", diag);
    if (q.changes != 1) /* another transition got there first: run again on its state */
        return ps_diag_set(diag, PS_ERR_CONFLICT, "the application changed meanwhile");
    return PS_OK;
}

enum ps_err ps_app_event(const struct ps_app_ctx *c, struct ps_app_row *a, const char *kind,
                         const char *step, const char *detail, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_event);
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_i64(&q, ++a->seq);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_text(&q, ps_str_from_cstr(ps_actor_kind_name(c->actor->kind)));
    ps_query_text(&q, actor_id(c->actor));
    ps_query_text(&q, ps_str_from_cstr(kind));
    ps_query_text(&q, ps_str_from_cstr(step ? step : ""));
    ps_query_text(&q, ps_str_from_cstr(detail ? detail : ""));
    enum ps_err e = ps_query_exec(&q);
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "recording history", diag);
}

enum ps_err ps_app_party(const struct ps_app_ctx *c, const struct ps_app_row *a,
                         struct ps_str rnokpp, const char *role, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_party);
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_text(&q, rnokpp);
    ps_query_text(&q, ps_str_from_cstr(role));
    enum ps_err e = ps_query_exec(&q);
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "recording a party", diag);
}

json_t *ps_app_parties(const struct ps_app_ctx *c, const struct ps_app_row *a)
{
    json_t *list = json_array();
    struct ps_query q;
    if (!list || json_array_append_new(list, json_stringn(a->applicant.p, a->applicant.len)))
        return json_decref(list), NULL;
    ps_query_start(&q, c->tx, &sql_parties);
    ps_query_text(&q, ps_str_from_cstr(a->id));
    while (ps_query_row(&q)) {
        struct ps_str r = ps_stmt_text(q.st, 0);
        json_array_append_new(list, json_stringn(r.p, r.len));
    }
    if (ps_query_end(&q) != PS_OK) {
        json_decref(list);
        return NULL;
    }
    return list;
}

/* ---- tasks ---- */

static void new_id(char out[37])
{
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, out);
}

enum ps_err ps_app_task_open(const struct ps_app_ctx *c, const struct ps_app_row *a,
                             const struct ps_svc_step *st, struct ps_str party,
                             struct ps_str oblast, int64_t due_ms, struct ps_diag *diag)
{
    char id[37];
    struct ps_query q;
    new_id(id);
    bool consent = st->kind == PS_SVC_CONSENT;
    ps_query_start(&q, c->tx, &sql_task_open);
    ps_query_text(&q, ps_str_from_cstr(id));
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_text(&q, ps_str_from_cstr(st->name));
    ps_query_text(&q, ps_str_from_cstr(consent ? "consent" : "decision"));
    ps_query_text_or_null(&q, consent ? party : PS_STR_NULL);
    ps_query_text(&q, ps_str_from_cstr(consent ? "" : st->role));
    ps_query_text(&q, ps_str_from_cstr(consent ? a->svc->agency : st->agency));
    ps_query_text(&q, oblast.p ? oblast : PS_STR(""));
    ps_query_i64(&q, due_ms);
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "opening a task", diag);
}

static void task_row(const struct ps_app_ctx *c, struct ps_stmt *st, struct ps_app_task *t)
{
    struct ps_str *f[] = {&t->id,     &t->application, &t->service, &t->step,
                          &t->kind,   &t->party,       &t->role,    &t->agency,
                          &t->oblast, &t->status,      &t->claimed_by};
    for (int i = 0; i < (int)(sizeof f / sizeof f[0]); i++)
        *f[i] = ps_arena_str(c->arena, ps_stmt_text(st, i));
    t->due_ms = ps_stmt_i64(st, 11);
    t->created_ms = ps_stmt_i64(st, 12);
}

static enum ps_err task_query(const struct ps_app_ctx *c, const struct ps_sql *sql,
                              struct ps_str a, struct ps_str b, struct ps_app_task *t,
                              bool *found, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, sql);
    ps_query_text(&q, a);
    if (b.p)
        ps_query_text(&q, b);
    *found = ps_query_row(&q);
    if (*found)
        task_row(c, q.st, t);
    enum ps_err e = ps_query_end(&q);
    if (e == PS_OK && *found && !t->id.p)
        e = PS_ERR_NOMEM;
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "reading a task", diag);
}

enum ps_err ps_app_task_get(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_task *t,
                            bool *found, struct ps_diag *diag)
{
    return task_query(c, &sql_task_get, id, PS_STR_NULL, t, found, diag);
}

enum ps_err ps_app_task_open_for(const struct ps_app_ctx *c, struct ps_str app,
                                 struct ps_str kind, struct ps_app_task *t, bool *found,
                                 struct ps_diag *diag)
{
    return task_query(c, &sql_task_for, app, kind, t, found, diag);
}

enum ps_err ps_app_task_claim(const struct ps_app_ctx *c, struct ps_str id, bool *claimed,
                              struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_task_claim);
    ps_query_text(&q, id);
    ps_query_text(&q, actor_id(c->actor));
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    *claimed = e == PS_OK && q.changes == 1;
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "claiming a task", diag);
}

enum ps_err ps_app_task_done(const struct ps_app_ctx *c, struct ps_str id, const char *decision,
                             struct ps_str reason, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_task_done);
    ps_query_text(&q, id);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_text(&q, ps_str_from_cstr(decision));
    ps_query_text_or_null(&q, reason);
    enum ps_err e = ps_query_exec(&q);
    if (e == PS_OK && q.changes != 1)
        return ps_diag_set(diag, PS_ERR_CONFLICT, "the task changed meanwhile");
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "closing a task", diag);
}

/* ---- fees, slots, inbox ---- */

enum ps_err ps_app_fee(const struct ps_app_ctx *c, const struct ps_app_row *a,
                       const struct ps_svc_step *st, struct ps_diag *diag)
{
    char id[37];
    struct ps_query q;
    new_id(id);
    ps_query_start(&q, c->tx, &sql_fee);
    ps_query_text(&q, ps_str_from_cstr(id));
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_text(&q, a->applicant);
    ps_query_i64(&q, st->amount_kop);
    ps_query_text(&q, ps_str_from_cstr(st->purpose.uk));
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "recording a fee", diag);
}

enum ps_err ps_app_book(const struct ps_app_ctx *c, const struct ps_app_row *a,
                        const struct ps_svc_step *st, struct ps_str slot, bool *booked,
                        struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_book);
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_text(&q, slot);
    ps_query_text(&q, ps_str_from_cstr(st->agency));
    ps_query_text(&q, ps_str_from_cstr(st->slot_kind));
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    *booked = e == PS_OK && q.changes == 1;
    if (e == PS_ERR_EXISTS) { /* this application holds another slot already */
        *booked = false;
        return PS_OK;
    }
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "booking a slot", diag);
}

enum ps_err ps_app_inbox(const struct ps_app_ctx *c, struct ps_str to, struct ps_str app,
                         const char *tu, const char *te, const char *bu, const char *be,
                         struct ps_diag *diag)
{
    char id[37];
    struct ps_query q;
    new_id(id);
    ps_query_start(&q, c->tx, &sql_inbox);
    ps_query_text(&q, ps_str_from_cstr(id));
    ps_query_text(&q, to);
    ps_query_text_or_null(&q, app);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_text(&q, ps_str_from_cstr(tu));
    ps_query_text(&q, ps_str_from_cstr(te));
    ps_query_text(&q, ps_str_from_cstr(bu));
    ps_query_text(&q, ps_str_from_cstr(be));
    enum ps_err e = ps_query_exec(&q);
    return e == PS_OK ? PS_OK : store_fail(c->tx, e, "writing to the inbox", diag);
}

/* ---- a person as expressions see them ---- */

static json_t *address_json(const struct ps_address *ad)
{
    return json_pack("{s:s%,s:s%,s:s%,s:s%,s:s%}", "oblast", ad->oblast.p, ad->oblast.len,
                     "hromada", ad->hromada.p, ad->hromada.len, "settlement", ad->settlement.p,
                     ad->settlement.len, "street", ad->street.p, ad->street.len, "building",
                     ad->building.p, ad->building.len);
}

static json_t *person_json(const struct ps_person *p, bool married, bool fop, bool idp)
{
    char birth[11];
    ps_date_fmt(p->birth_date, birth);
    return json_pack("{s:b,s:s%,s:s,s:s,s:s,s:s%,s:s%,s:s%,s:o,s:b,s:b,s:b,s:b}", "found", 1,
                     "rnokpp", p->rnokpp.p, p->rnokpp.len, "status",
                     ps_person_status_name(p->status), "birth_date", birth, "sex",
                     p->sex == PS_SEX_MALE ? "male" : "female", "surname", p->surname.p,
                     p->surname.len, "given_name", p->given_name.p, p->given_name.len,
                     "patronymic", p->patronymic.p ? p->patronymic.p : "", p->patronymic.len,
                     "address", address_json(&p->address), "married", married, "fop_active",
                     fop, "idp_registered", idp,
                     /* the registry holds no court decisions on capacity yet */
                     "legally_capable", 1);
}

enum ps_err ps_app_person(const struct ps_app_ctx *c, struct ps_str rnokpp,
                          struct ps_str purpose, json_t **out, struct ps_diag *diag)
{
    struct ps_person p;
    bool married = false, fop = false, idp = false;
    *out = NULL;
    enum ps_err e = ps_person_read(c->tx, c->actor, rnokpp, purpose, c->arena, &p, diag);
    if (e == PS_ERR_NOTFOUND) {
        ps_diag_clear(diag);
        return PS_OK;
    }
    if (e == PS_OK)
        e = ps_marriage_active(c->tx, rnokpp, &married, diag);
    if (e == PS_OK)
        e = ps_sole_proprietor_active(c->tx, rnokpp, &fop, diag);
    if (e == PS_OK)
        e = ps_idp_registered(c->tx, rnokpp, &idp, diag);
    if (e != PS_OK)
        return e;
    *out = person_json(&p, married, fop, idp);
    return *out ? PS_OK : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
}

/* ---- the catalogue's versions, stored ---- */

struct sync {
    const struct ps_svc *svcs[PS_ENGINE_MAX_SERVICES];
    bool failed[PS_ENGINE_MAX_SERVICES];
    size_t n;
    struct ps_engine_report *report;
};

static enum ps_err sync_tx(struct ps_tx *tx, void *ctx)
{
    struct sync *s = ctx;
    for (size_t i = 0; i < s->n; i++) {
        struct ps_diag d = {0};
        enum ps_err e = ps_app_store_version(tx, s->svcs[i], &d);
        s->failed[i] = e != PS_OK;
        if (e == PS_ERR_EXISTS) {
            if (s->report->refused < PS_ENGINE_REPORT_MAX)
                snprintf(s->report->refusals[s->report->refused],
                         sizeof s->report->refusals[0], "%s", d.message);
            s->report->refused++;
        } else if (e != PS_OK) {
            return e;
        }
    }
    return PS_OK;
}

enum ps_err ps_engine_sync(struct ps_engine *e, struct ps_store *store,
                           struct ps_engine_report *report, struct ps_diag *diag)
{
    struct sync s = {.report = report};
    memset(report, 0, sizeof *report);
    s.n = ps_engine_catalogue(e, s.svcs, PS_ENGINE_MAX_SERVICES);
    enum ps_err rc = ps_store_write(store, sync_tx, &s, diag);
    for (size_t i = 0; rc == PS_OK && i < s.n; i++)
        if (!s.failed[i])
            ps_app_version_stored(s.svcs[i]);
    return rc;
}

void ps_app_version_stored(const struct ps_svc *svc)
{
    atomic_store(&((struct ps_svc *)svc)->stored_, 1);
}
