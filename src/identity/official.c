/* Agencies and official roles (official.h). */
#include "identity/official.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "registries/persons.h"
#include "store/store.h"
#include "tlog/access.h"

#define OBLAST_MAX 200
#define REASON_MAX 256

static const struct ps_sql sql_agencies = {
    "agencies.list",
    "SELECT code, name_uk, name_en, parent FROM agencies ORDER BY code LIMIT $1",
};
static const struct ps_sql sql_agency_exists = {
    "agencies.exists",
    "SELECT 1 FROM agencies WHERE code = $1",
};
static const struct ps_sql sql_roles_of = {
    "roles.of",
    "SELECT role, agency, oblast FROM official_roles WHERE rnokpp = $1 "
    "AND revoked_at_ms IS NULL ORDER BY granted_at_ms, id LIMIT $2",
};
static const struct ps_sql sql_grants_of_agency = {
    "roles.of_agency",
    "SELECT id, rnokpp, role, agency, oblast, granted_at_ms FROM official_roles "
    "WHERE agency = $1 AND revoked_at_ms IS NULL ORDER BY granted_at_ms DESC, id LIMIT $2",
};
static const struct ps_sql sql_count = {
    "roles.count",
    "SELECT count(*) FROM official_roles WHERE rnokpp = $1 AND revoked_at_ms IS NULL",
};
static const struct ps_sql sql_grant = {
    "roles.grant",
    "INSERT INTO official_roles (id, rnokpp, role, agency, oblast, granted_at_ms, "
    "revoked_at_ms) VALUES ($1, $2, $3, $4, $5, $6, NULL)",
};
static const struct ps_sql sql_revoke = {
    "roles.revoke",
    "UPDATE official_roles SET revoked_at_ms = $3 WHERE id = $1 AND agency = $2 "
    "AND revoked_at_ms IS NULL RETURNING rnokpp",
};

static const char *const role_names[] = {"clerk", "registrar", "inspector", "agency-admin",
                                         "auditor"};

bool ps_role_name_valid(struct ps_str name)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (ps_str_eq_cstr(name, role_names[i]))
            return true;
    return false;
}

enum ps_err ps_agencies_list(struct ps_tx *tx, struct ps_arena *arena, struct ps_agency *out,
                             size_t cap, size_t *n, struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &sql_agencies);
    ps_query_i64(&q, (int64_t)cap);
    while (*n < cap && ps_query_row(&q)) {
        struct ps_agency *a = &out[(*n)++];
        a->code = ps_arena_str(arena, ps_stmt_text(q.st, 0));
        a->name_uk = ps_arena_str(arena, ps_stmt_text(q.st, 1));
        a->name_en = ps_arena_str(arena, ps_stmt_text(q.st, 2));
        a->parent = ps_arena_str(arena, ps_stmt_text(q.st, 3));
        if (!a->code.p || !a->name_uk.p || !a->name_en.p || !a->parent.p)
            q.err = PS_ERR_NOMEM;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading agencies: %s", ps_tx_errmsg(tx));
    return e;
}

static bool read_role(struct ps_stmt *st, int col, struct ps_arena *arena, struct ps_role *r)
{
    r->name = ps_arena_str(arena, ps_stmt_text(st, col));
    r->agency = ps_arena_str(arena, ps_stmt_text(st, col + 1));
    r->oblast = ps_arena_str(arena, ps_stmt_text(st, col + 2));
    return r->name.p && r->agency.p && r->oblast.p;
}

enum ps_err ps_roles_of(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                        struct ps_role *out, size_t cap, size_t *n, struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &sql_roles_of);
    ps_query_text(&q, rnokpp);
    ps_query_i64(&q, (int64_t)cap);
    while (*n < cap && ps_query_row(&q)) {
        if (!read_role(q.st, 0, arena, &out[*n]))
            q.err = PS_ERR_NOMEM;
        else
            (*n)++;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading roles: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_grants_of_agency(struct ps_tx *tx, struct ps_str agency, struct ps_arena *arena,
                                struct ps_role_grant *out, size_t cap, size_t *n,
                                struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &sql_grants_of_agency);
    ps_query_text(&q, agency);
    ps_query_i64(&q, (int64_t)cap);
    while (*n < cap && ps_query_row(&q)) {
        struct ps_role_grant *g = &out[*n];
        g->rnokpp = ps_arena_str(arena, ps_stmt_text(q.st, 1));
        g->granted_at_ms = ps_stmt_i64(q.st, 5);
        if (ps_str_copy(g->id, sizeof g->id, ps_stmt_text(q.st, 0)) != PS_OK || !g->rnokpp.p ||
            !read_role(q.st, 2, arena, &g->role))
            q.err = PS_ERR_NOMEM;
        else
            (*n)++;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading an agency's roles: %s", ps_tx_errmsg(tx));
    return e;
}

/* A single count(*) or existence query with one text parameter. */
static enum ps_err scalar(struct ps_tx *tx, const struct ps_sql *def, struct ps_str v,
                          int64_t *out)
{
    struct ps_query q;
    *out = 0;
    ps_query_start(&q, tx, def);
    ps_query_text(&q, v);
    if (ps_query_row(&q))
        *out = ps_stmt_i64(q.st, 0);
    return ps_query_end(&q);
}

static enum ps_err check_grant(struct ps_tx *tx, struct ps_str rnokpp, const struct ps_role *role,
                               struct ps_str reason, struct ps_diag *diag)
{
    int64_t agency = 0, held = 0;
    if (!ps_role_name_valid(role->name))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "role: one of clerk, registrar, inspector, agency-admin, auditor");
    if (role->oblast.len > OBLAST_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "oblast: at most %d bytes", OBLAST_MAX);
    if (!reason.p || reason.len == 0 || reason.len > REASON_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "reason: required, at most %d bytes",
                           REASON_MAX);
    enum ps_err e = scalar(tx, &sql_agency_exists, role->agency, &agency);
    if (e == PS_OK && agency == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "agency: no agency with code %.*s",
                           PS_STR_FMT(role->agency));
    if (e == PS_OK)
        e = scalar(tx, &sql_count, rnokpp, &held);
    if (e == PS_OK && held >= PS_ROLES_MAX)
        return ps_diag_set(diag, PS_ERR_LIMIT, "a person holds at most %d roles", PS_ROLES_MAX);
    if (e != PS_OK)
        ps_diag_set(diag, e, "checking a role: %s", ps_tx_errmsg(tx));
    return e;
}

static enum ps_err record_role(struct ps_tx *tx, const struct ps_actor *actor,
                               const char *action, struct ps_str rnokpp, const char *id,
                               const struct ps_role *role, struct ps_str reason,
                               struct ps_diag *diag)
{
    char resource[PS_ACCESS_RESOURCE_MAX + 1];
    int n = role ? snprintf(resource, sizeof resource, "roles/%s?role=%.*s&agency=%.*s%s%.*s",
                            id, PS_STR_FMT(role->name), PS_STR_FMT(role->agency),
                            role->oblast.len ? "&oblast=" : "", PS_STR_FMT(role->oblast))
                 : snprintf(resource, sizeof resource, "roles/%s", id);
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INVALID, "the role does not fit a log entry");
    return ps_tlog_record_change(tx, actor, action, rnokpp, (struct ps_str){resource, (size_t)n},
                                 reason, diag);
}

enum ps_err ps_role_grant(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                          const struct ps_role *role, struct ps_str reason,
                          struct ps_role_grant *out, struct ps_diag *refused,
                          struct ps_diag *diag)
{
    memset(out, 0, sizeof *out);
    enum ps_err e = check_grant(tx, rnokpp, role, reason, diag);
    if (e == PS_OK)
        e = ps_person_check_alive(tx, actor, rnokpp, reason, refused, diag);
    if (e != PS_OK || refused->code != PS_OK)
        return e;
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, out->id);
    out->rnokpp = rnokpp;
    out->role = *role;
    out->granted_at_ms = ps_clock_now_ms();
    struct ps_query q;
    ps_query_start(&q, tx, &sql_grant);
    ps_query_text(&q, ps_str_from_cstr(out->id));
    ps_query_text(&q, rnokpp);
    ps_query_text(&q, role->name);
    ps_query_text(&q, role->agency);
    ps_query_text(&q, role->oblast);
    ps_query_i64(&q, out->granted_at_ms);
    e = ps_query_exec(&q);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e, "the person holds this role already");
    if (e != PS_OK)
        return ps_diag_set(diag, e, "granting a role: %s", ps_tx_errmsg(tx));
    return record_role(tx, actor, "role.grant", rnokpp, out->id, role, reason, diag);
}

enum ps_err ps_role_revoke(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str agency,
                           struct ps_str id, struct ps_str reason, struct ps_diag *diag)
{
    char idc[37], holder[11] = "";
    if (!reason.p || reason.len == 0 || reason.len > REASON_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "reason: required, at most %d bytes",
                           REASON_MAX);
    if (ps_str_copy(idc, sizeof idc, id) != PS_OK)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such role");
    struct ps_query q;
    ps_query_start(&q, tx, &sql_revoke);
    ps_query_text(&q, id);
    ps_query_text(&q, agency);
    ps_query_i64(&q, ps_clock_now_ms());
    if (ps_query_row(&q) && ps_str_copy(holder, sizeof holder, ps_stmt_text(q.st, 0)) != PS_OK)
        q.err = PS_ERR_INTERNAL;
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "revoking a role: %s", ps_tx_errmsg(tx));
    if (!holder[0])
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "the agency has no such active role");
    return record_role(tx, actor, "role.revoke", ps_str_from_cstr(holder), idc, NULL, reason,
                       diag);
}
