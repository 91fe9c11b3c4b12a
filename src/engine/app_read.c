/* Reading applications (app.h): one with its history and open tasks, a citizen's list, an
 * official's queue, the inbox, the registrars' calendar, and the stored answers of keyed
 * submissions. A read of someone else's application is recorded (tlog/access.h). */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "engine/app_int.h"
#include "policy/actor.h"
#include "store/store.h"
#include "tlog/access.h"

static const struct ps_sql sql_view = {
    "applications.view",
    "SELECT id, service_id, service_version, applicant, status, step, answers, facts, reason, "
    "created_at_ms, updated_at_ms, COALESCE(submitted_at_ms, 0), (SELECT COALESCE(SUM("
    "amount_kop), 0) FROM fees WHERE application_id = $1 AND status = 'due') "
    "FROM applications WHERE id = $1"};
static const struct ps_sql sql_is_party = {
    "application_parties.is",
    "SELECT 1 FROM application_parties WHERE application_id = $1 AND rnokpp = $2"};
static const struct ps_sql sql_events = {
    "application_events.list",
    "SELECT seq, at_ms, actor_kind, actor_id, kind, step, detail FROM application_events "
    "WHERE application_id = $1 ORDER BY seq"};
static const struct ps_sql sql_open_tasks = {
    "tasks.open_for",
    "SELECT t.id, t.application_id, a.service_id, t.step, t.kind, COALESCE(t.party, ''), "
    "t.role, t.agency, t.oblast, t.status, COALESCE(t.claimed_by, ''), t.due_at_ms, "
    "t.created_at_ms FROM tasks t JOIN applications a ON a.id = t.application_id "
    "WHERE t.application_id = $1 AND t.status = 'open' ORDER BY t.created_at_ms"};
static const struct ps_sql sql_mine = {
    "applications.mine",
    "SELECT id FROM applications WHERE applicant = $1 UNION SELECT application_id FROM "
    "application_parties WHERE rnokpp = $1 ORDER BY 1 DESC LIMIT 50"};
static const struct ps_sql sql_queue = {
    "tasks.queue",
    "SELECT t.id, t.application_id, a.service_id, t.step, t.kind, COALESCE(t.party, ''), "
    "t.role, t.agency, t.oblast, t.status, COALESCE(t.claimed_by, ''), t.due_at_ms, "
    "t.created_at_ms FROM tasks t JOIN applications a ON a.id = t.application_id "
    "WHERE t.status = 'open' AND ((t.kind = 'decision' AND t.role = $1 AND t.agency = $2 "
    "AND ($3 = '' OR t.oblast = '' OR t.oblast = $3)) OR (t.kind = 'consent' AND "
    "t.party = $4)) ORDER BY t.created_at_ms LIMIT 50"};
static const struct ps_sql sql_inbox_list = {
    "inbox.list",
    "SELECT id, COALESCE(application_id, ''), title_uk, title_en, body_uk, body_en, at_ms, "
    "COALESCE(read_at_ms, 0) FROM inbox WHERE rnokpp = $1 ORDER BY id DESC LIMIT 50"};
static const struct ps_sql sql_inbox_read = {
    "inbox.read",
    "UPDATE inbox SET read_at_ms = $3 WHERE id = $1 AND rnokpp = $2 AND read_at_ms IS NULL"};
static const struct ps_sql sql_inbox_mine = {
    "inbox.mine", "SELECT 1 FROM inbox WHERE id = $1 AND rnokpp = $2"};
static const struct ps_sql sql_slot_add = {
    "slots.insert",
    "INSERT INTO slots (id, agency, kind, registrar, oblast, starts_at_ms, minutes, "
    "application_id, created_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8)"};
static const struct ps_sql sql_slots_free = {
    "slots.free",
    "SELECT id, agency, kind, registrar, oblast, starts_at_ms, minutes FROM slots "
    "WHERE agency = $1 AND kind = $2 AND application_id IS NULL AND starts_at_ms > $3 "
    "ORDER BY starts_at_ms LIMIT 50"};
static const struct ps_sql sql_idem_get = {
    "idempotency.get",
    "SELECT request_hash, status, response FROM idempotency WHERE rnokpp = $1 AND "
    "idem_key = $2"};
static const struct ps_sql sql_idem_put = {
    "idempotency.put",
    "INSERT INTO idempotency (rnokpp, idem_key, request_hash, status, response, "
    "created_at_ms) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (rnokpp, idem_key) "
    "DO NOTHING"};

static enum ps_err fail(const struct ps_app_ctx *c, enum ps_err e, const char *what,
                        struct ps_diag *diag)
{
    return ps_diag_set(diag, e, "%s: %s", what, ps_tx_errmsg(c->tx));
}

static struct ps_str col(const struct ps_app_ctx *c, struct ps_stmt *st, int i)
{
    return ps_arena_str(c->arena, ps_stmt_text(st, i));
}

static enum ps_err view_row(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_view *v,
                            bool *found, struct ps_diag *diag)
{
    struct ps_query q;
    memset(v, 0, sizeof *v);
    ps_query_start(&q, c->tx, &sql_view);
    ps_query_text(&q, id);
    *found = ps_query_row(&q);
    if (*found) {
        struct ps_str *f[] = {&v->id, &v->service};
        for (int i = 0; i < 2; i++)
            *f[i] = col(c, q.st, i);
        v->version = (uint32_t)ps_stmt_i64(q.st, 2);
        struct ps_str *g[] = {&v->applicant, &v->status, &v->step, &v->answers, &v->facts,
                              &v->reason};
        for (int i = 0; i < 6; i++)
            *g[i] = col(c, q.st, 3 + i);
        v->created_ms = ps_stmt_i64(q.st, 9);
        v->updated_ms = ps_stmt_i64(q.st, 10);
        v->submitted_ms = ps_stmt_i64(q.st, 11);
        v->fee_due_kop = ps_stmt_i64(q.st, 12);
    }
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : fail(c, e, "reading an application", diag);
}

static enum ps_err is_party(const struct ps_app_ctx *c, struct ps_str id, bool *out,
                            struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_is_party);
    ps_query_text(&q, id);
    ps_query_text(&q, c->actor->id);
    *out = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : fail(c, e, "reading parties", diag);
}

static enum ps_err tasks_of(const struct ps_app_ctx *c, struct ps_app_view *v,
                            struct ps_diag *diag)
{
    struct ps_query q;
    v->tasks = ps_arena_array(c->arena, 8, sizeof *v->tasks);
    if (!v->tasks)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    ps_query_start(&q, c->tx, &sql_open_tasks);
    ps_query_text(&q, v->id);
    while (v->ntasks < 8 && ps_query_row(&q)) {
        struct ps_app_task *t = &v->tasks[v->ntasks++];
        struct ps_str *f[] = {&t->id,     &t->application, &t->service, &t->step,
                              &t->kind,   &t->party,       &t->role,    &t->agency,
                              &t->oblast, &t->status,      &t->claimed_by};
        for (int i = 0; i < 11; i++)
            *f[i] = col(c, q.st, i);
        t->due_ms = ps_stmt_i64(q.st, 11);
        t->created_ms = ps_stmt_i64(q.st, 12);
    }
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : fail(c, e, "reading tasks", diag);
}

static enum ps_err events_of(const struct ps_app_ctx *c, struct ps_app_view *v,
                             struct ps_diag *diag)
{
    struct ps_query q;
    size_t cap = 64;
    v->events = ps_arena_array(c->arena, cap, sizeof *v->events);
    if (!v->events)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    ps_query_start(&q, c->tx, &sql_events);
    ps_query_text(&q, v->id);
    while (v->nevents < cap && ps_query_row(&q)) {
        struct ps_app_event *ev = &v->events[v->nevents++];
        ev->seq = ps_stmt_i64(q.st, 0);
        ev->at_ms = ps_stmt_i64(q.st, 1);
        struct ps_str *f[] = {&ev->actor_kind, &ev->actor_id, &ev->kind, &ev->step,
                              &ev->detail};
        for (int i = 0; i < 5; i++)
            *f[i] = col(c, q.st, 2 + i);
    }
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : fail(c, e, "reading history", diag);
}

/* May the actor see v, and must the look be recorded? An official may when one of their
 * roles may decide one of its open tasks. */
static bool official_may(const struct ps_actor *actor, const struct ps_app_view *v)
{
    for (size_t i = 0; i < v->ntasks; i++) {
        const struct ps_app_task *t = &v->tasks[i];
        for (size_t r = 0; ps_str_eq_cstr(t->kind, "decision") && r < actor->nroles; r++) {
            const struct ps_role *role = &actor->roles[r];
            if (ps_str_eq(role->name, t->role) && ps_str_eq(role->agency, t->agency) &&
                (role->oblast.len == 0 || t->oblast.len == 0 ||
                 ps_str_eq(role->oblast, t->oblast)))
                return true;
        }
    }
    return false;
}

enum ps_err ps_app_get(const struct ps_app_ctx *c, struct ps_str id, struct ps_app_view *out,
                       struct ps_diag *diag)
{
    bool found = false, party = false;
    struct ps_uuid u;
    if (!ps_uuid_parse(id, &u))
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such application");
    enum ps_err e = view_row(c, id, out, &found, diag);
    if (e == PS_OK && !found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such application");
    if (e == PS_OK)
        e = tasks_of(c, out, diag);
    bool own = e == PS_OK && ps_str_eq(out->applicant, c->actor->id) &&
               (c->actor->kind == PS_ACTOR_CITIZEN || c->actor->kind == PS_ACTOR_OFFICIAL);
    if (e == PS_OK && !own && c->actor->kind == PS_ACTOR_CITIZEN)
        e = is_party(c, id, &party, diag);
    if (e != PS_OK)
        return e;
    if (!own && !party && !official_may(c->actor, out))
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such application");
    if (!own) { /* the applicant's answers, seen by someone else */
        char res[64];
        int n = snprintf(res, sizeof res, "applications/%.*s", PS_STR_FMT(id));
        if (n < 0 || (size_t)n >= sizeof res)
            return ps_diag_set(diag, PS_ERR_INVALID, "bad id");
        e = ps_access_record(c->tx, c->actor, "application.read", out->applicant,
                             (struct ps_str){res, (size_t)n},
                             party ? PS_STR("a party to the application")
                                   : PS_STR("deciding the application"),
                             diag);
    }
    if (e == PS_OK)
        e = events_of(c, out, diag);
    if (e == PS_OK)
        out->svc = ps_engine_version(c->engine, out->service, out->version);
    return e;
}

enum ps_err ps_app_mine(const struct ps_app_ctx *c, struct ps_app_view *out, size_t cap,
                        size_t *n, struct ps_diag *diag)
{
    struct ps_query q;
    struct ps_str ids[PS_APP_LIST_MAX];
    size_t k = 0;
    *n = 0;
    ps_query_start(&q, c->tx, &sql_mine);
    ps_query_text(&q, c->actor->id);
    while (k < PS_APP_LIST_MAX && ps_query_row(&q))
        ids[k++] = col(c, q.st, 0);
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return fail(c, e, "listing applications", diag);
    for (size_t i = 0; i < k && *n < cap; i++) {
        bool found = false;
        e = view_row(c, ids[i], &out[*n], &found, diag);
        if (e != PS_OK)
            return e;
        if (found) {
            out[*n].svc = ps_engine_version(c->engine, out[*n].service, out[*n].version);
            if (!ps_str_eq(out[*n].applicant, c->actor->id))
                out[*n].answers = PS_STR("{}"); /* a party's list shows no one's answers */
            (*n)++;
        }
    }
    return PS_OK;
}

static enum ps_err queue_for(const struct ps_app_ctx *c, const struct ps_role *r,
                             struct ps_app_task *out, size_t cap, size_t *n,
                             struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_queue);
    ps_query_text(&q, r ? r->name : PS_STR(""));
    ps_query_text(&q, r ? r->agency : PS_STR(""));
    ps_query_text(&q, r ? r->oblast : PS_STR(""));
    ps_query_text(&q, r ? PS_STR("") : c->actor->id);
    while (*n < cap && ps_query_row(&q)) {
        struct ps_app_task *t = &out[*n];
        bool dup = false;
        struct ps_str id = ps_stmt_text(q.st, 0);
        for (size_t i = 0; i < *n && !dup; i++)
            dup = ps_str_eq(out[i].id, id);
        if (dup)
            continue;
        struct ps_str *f[] = {&t->id,     &t->application, &t->service, &t->step,
                              &t->kind,   &t->party,       &t->role,    &t->agency,
                              &t->oblast, &t->status,      &t->claimed_by};
        for (int i = 0; i < 11; i++)
            *f[i] = col(c, q.st, i);
        t->due_ms = ps_stmt_i64(q.st, 11);
        t->created_ms = ps_stmt_i64(q.st, 12);
        (*n)++;
    }
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : fail(c, e, "reading the queue", diag);
}

enum ps_err ps_app_queue(const struct ps_app_ctx *c, struct ps_app_task *out, size_t cap,
                         size_t *n, struct ps_diag *diag)
{
    *n = 0;
    enum ps_err e = queue_for(c, NULL, out, cap, n, diag); /* consents asked of me */
    for (size_t i = 0; e == PS_OK && i < c->actor->nroles; i++)
        e = queue_for(c, &c->actor->roles[i], out, cap, n, diag);
    return e;
}

enum ps_err ps_inbox_list(const struct ps_app_ctx *c, struct ps_inbox_msg *out, size_t cap,
                          size_t *n, struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, c->tx, &sql_inbox_list);
    ps_query_text(&q, c->actor->id);
    while (*n < cap && ps_query_row(&q)) {
        struct ps_inbox_msg *m = &out[(*n)++];
        struct ps_str *f[] = {&m->id,      &m->application, &m->title_uk,
                              &m->title_en, &m->body_uk,     &m->body_en};
        for (int i = 0; i < 6; i++)
            *f[i] = col(c, q.st, i);
        m->at_ms = ps_stmt_i64(q.st, 6);
        m->read_at_ms = ps_stmt_i64(q.st, 7);
    }
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : fail(c, e, "reading the inbox", diag);
}

enum ps_err ps_inbox_read(const struct ps_app_ctx *c, struct ps_str id, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_inbox_mine);
    ps_query_text(&q, id);
    ps_query_text(&q, c->actor->id);
    bool mine = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    if (e == PS_OK && !mine)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such message");
    if (e == PS_OK) {
        ps_query_start(&q, c->tx, &sql_inbox_read);
        ps_query_text(&q, id);
        ps_query_text(&q, c->actor->id);
        ps_query_i64(&q, ps_clock_now_ms());
        e = ps_query_exec(&q);
    }
    return e == PS_OK ? PS_OK : fail(c, e, "marking a message read", diag);
}

enum ps_err ps_slot_add(const struct ps_app_ctx *c, struct ps_str agency, struct ps_str kind,
                        int64_t starts_ms, int64_t minutes, char id_out[37],
                        struct ps_diag *diag)
{
    const struct ps_role *role = c->actor->role;
    if (!role || !ps_str_eq_cstr(role->name, "registrar") || !ps_str_eq(role->agency, agency))
        return ps_diag_set(diag, PS_ERR_DENIED, "only a registrar of %.*s adds its slots",
                           PS_STR_FMT(agency));
    if (kind.len == 0 || kind.len > 64 || minutes < 5 || minutes > 480 ||
        starts_ms <= ps_clock_now_ms())
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a slot has a kind, starts in the future and lasts 5 to 480 minutes");
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id_out);
    struct ps_query q;
    ps_query_start(&q, c->tx, &sql_slot_add);
    ps_query_text(&q, ps_str_from_cstr(id_out));
    ps_query_text(&q, agency);
    ps_query_text(&q, kind);
    ps_query_text(&q, c->actor->id);
    ps_query_text(&q, role->oblast);
    ps_query_i64(&q, starts_ms);
    ps_query_i64(&q, minutes);
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e, "you already have a slot starting then");
    if (e != PS_OK)
        return fail(c, e, "adding a slot", diag);
    char res[64];
    int n = snprintf(res, sizeof res, "slots/%s", id_out);
    PS_ASSERT(n > 0 && (size_t)n < sizeof res);
    return ps_tlog_record_change(c->tx, c->actor, "slot.add", PS_STR_NULL,
                                 (struct ps_str){res, (size_t)n}, kind, diag);
}

enum ps_err ps_slots_free(const struct ps_app_ctx *c, struct ps_str agency, struct ps_str kind,
                          struct ps_slot *out, size_t cap, size_t *n, struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, c->tx, &sql_slots_free);
    ps_query_text(&q, agency);
    ps_query_text(&q, kind);
    ps_query_i64(&q, ps_clock_now_ms());
    while (*n < cap && ps_query_row(&q)) {
        struct ps_slot *s = &out[(*n)++];
        struct ps_str *f[] = {&s->id, &s->agency, &s->kind, &s->registrar, &s->oblast};
        for (int i = 0; i < 5; i++)
            *f[i] = col(c, q.st, i);
        s->starts_ms = ps_stmt_i64(q.st, 5);
        s->minutes = ps_stmt_i64(q.st, 6);
    }
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : fail(c, e, "reading slots", diag);
}

enum ps_err ps_app_idem_get(struct ps_tx *tx, struct ps_str rnokpp, struct ps_str key,
                            struct ps_str hash, struct ps_arena *arena, bool *found,
                            int *status, struct ps_str *body, struct ps_diag *diag)
{
    struct ps_query q;
    bool same = false;
    ps_query_start(&q, tx, &sql_idem_get);
    ps_query_text(&q, rnokpp);
    ps_query_text(&q, key);
    *found = ps_query_row(&q);
    if (*found) {
        same = ps_str_eq(ps_stmt_text(q.st, 0), hash);
        *status = (int)ps_stmt_i64(q.st, 1);
        *body = ps_arena_str(arena, ps_stmt_text(q.st, 2));
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading an idempotency key: %s", ps_tx_errmsg(tx));
    if (*found && !same)
        return ps_diag_set(diag, PS_ERR_EXISTS,
                           "this Idempotency-Key was used with another request body");
    if (*found && !body->p)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    return PS_OK;
}

enum ps_err ps_app_idem_put(struct ps_tx *tx, struct ps_str rnokpp, struct ps_str key,
                            struct ps_str hash, int status, struct ps_str body,
                            struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_idem_put);
    ps_query_text(&q, rnokpp);
    ps_query_text(&q, key);
    ps_query_text(&q, hash);
    ps_query_i64(&q, status);
    ps_query_text(&q, body);
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "storing an idempotency key: %s", ps_tx_errmsg(tx));
    if (q.changes != 1) /* a concurrent request stored it first: run again and answer that */
        return ps_diag_set(diag, PS_ERR_CONFLICT, "a concurrent request with this key");
    return PS_OK;
}
