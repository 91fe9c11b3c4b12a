/* Accounts and passkeys (passkey.h). */
#include "identity/passkey.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "identity/session.h"
#include "store/store.h"
#include "tlog/access.h"

#define COLUMNS                                                                               \
    "id, credential_id, rnokpp, public_key, alg, sign_count, backup_eligible, backup_state, " \
    "transports, aaguid, name, created_at_ms, last_used_at_ms"

static const struct ps_sql sql_handle = {
    "account.handle",
    "SELECT user_handle FROM accounts WHERE rnokpp = $1",
};
static const struct ps_sql sql_account_insert = {
    "account.insert",
    "INSERT INTO accounts (rnokpp, user_handle, created_at_ms) VALUES ($1, $2, $3) "
    "ON CONFLICT (rnokpp) DO NOTHING",
};
static const struct ps_sql sql_of = {
    "passkeys.of",
    "SELECT " COLUMNS " FROM passkeys WHERE rnokpp = $1 AND removed_at_ms IS NULL "
    "ORDER BY created_at_ms, id LIMIT $2",
};
static const struct ps_sql sql_find = {
    "passkeys.find",
    "SELECT " COLUMNS " FROM passkeys WHERE credential_id = $1 AND removed_at_ms IS NULL",
};
static const struct ps_sql sql_count = {
    "passkeys.count",
    "SELECT count(*) FROM passkeys WHERE rnokpp = $1 AND removed_at_ms IS NULL",
};
static const struct ps_sql sql_insert = {
    "passkeys.insert",
    "INSERT INTO passkeys (" COLUMNS ", removed_at_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL)",
};
static const struct ps_sql sql_used = {
    "passkeys.used",
    "UPDATE passkeys SET sign_count = $2, last_used_at_ms = $3 WHERE id = $1",
};
static const struct ps_sql sql_rename = {
    "passkeys.rename",
    "UPDATE passkeys SET name = $3 WHERE id = $1 AND rnokpp = $2 AND removed_at_ms IS NULL",
};
static const struct ps_sql sql_remove = {
    "passkeys.remove",
    "UPDATE passkeys SET removed_at_ms = $3 WHERE id = $1 AND rnokpp = $2 "
    "AND removed_at_ms IS NULL",
};

enum ps_err ps_account_handle(struct ps_tx *tx, struct ps_str rnokpp,
                              unsigned char handle[PS_USER_HANDLE_BYTES], bool *exists,
                              struct ps_diag *diag)
{
    struct ps_query q;
    *exists = false;
    ps_query_start(&q, tx, &sql_handle);
    ps_query_text(&q, rnokpp);
    if (ps_query_row(&q)) {
        struct ps_str h = ps_stmt_blob(q.st, 0);
        *exists = h.len == PS_USER_HANDLE_BYTES;
        if (*exists)
            memcpy(handle, h.p, h.len);
        else
            q.err = PS_ERR_INTERNAL;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading an account: %s", ps_tx_errmsg(tx));
    if (!*exists)
        ps_random_bytes(handle, PS_USER_HANDLE_BYTES);
    return PS_OK;
}

/* One row of COLUMNS into *p, strings copied into arena. */
static bool read_row(struct ps_stmt *st, struct ps_arena *a, struct ps_passkey *p)
{
    memset(p, 0, sizeof *p);
    p->credential_id = ps_arena_str(a, ps_stmt_blob(st, 1));
    p->rnokpp = ps_arena_str(a, ps_stmt_text(st, 2));
    p->public_key = ps_arena_str(a, ps_stmt_blob(st, 3));
    p->alg = (int)ps_stmt_i64(st, 4);
    p->sign_count = ps_stmt_i64(st, 5);
    p->backup_eligible = ps_stmt_i64(st, 6) != 0;
    p->backup_state = ps_stmt_i64(st, 7) != 0;
    p->transports = ps_arena_str(a, ps_stmt_text(st, 8));
    p->aaguid = ps_arena_str(a, ps_stmt_blob(st, 9));
    p->name = ps_arena_str(a, ps_stmt_text(st, 10));
    p->created_at_ms = ps_stmt_i64(st, 11);
    p->last_used_at_ms = ps_stmt_i64(st, 12);
    return p->credential_id.p && p->rnokpp.p && p->public_key.p && p->transports.p &&
           p->aaguid.p && p->name.p &&
           ps_str_copy(p->id, sizeof p->id, ps_stmt_text(st, 0)) == PS_OK;
}

enum ps_err ps_passkeys_of(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                           struct ps_passkey *out, size_t cap, size_t *n, struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &sql_of);
    ps_query_text(&q, rnokpp);
    ps_query_i64(&q, (int64_t)cap);
    while (*n < cap && ps_query_row(&q)) {
        if (!read_row(q.st, arena, &out[*n]))
            q.err = PS_ERR_NOMEM;
        else
            (*n)++;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading passkeys: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_passkey_find(struct ps_tx *tx, struct ps_str credential_id,
                            struct ps_arena *arena, struct ps_passkey *out,
                            struct ps_diag *diag)
{
    struct ps_query q;
    bool found = false;
    ps_query_start(&q, tx, &sql_find);
    ps_query_blob(&q, credential_id.p, credential_id.len);
    if (ps_query_row(&q)) {
        found = true;
        if (!read_row(q.st, arena, out))
            q.err = PS_ERR_NOMEM;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading a passkey: %s", ps_tx_errmsg(tx));
    if (!found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no passkey with this credential id");
    return PS_OK;
}

static enum ps_err count_of(struct ps_tx *tx, struct ps_str rnokpp, int64_t *n)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &sql_count);
    ps_query_text(&q, rnokpp);
    if (ps_query_row(&q))
        *n = ps_stmt_i64(q.st, 0);
    return ps_query_end(&q);
}

/* Records a passkey change by actor in tx ("passkeys/<id>" about rnokpp). */
static enum ps_err record(struct ps_tx *tx, const struct ps_actor *actor, const char *action,
                          struct ps_str rnokpp, const char *id, struct ps_diag *diag)
{
    char resource[64];
    int n = snprintf(resource, sizeof resource, "passkeys/%s", id);
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
    return ps_tlog_record_change(tx, actor, action, rnokpp, (struct ps_str){resource, (size_t)n},
                                 PS_STR_NULL, diag);
}

static enum ps_err ensure_account(struct ps_tx *tx, struct ps_str rnokpp,
                                  const unsigned char handle[PS_USER_HANDLE_BYTES],
                                  struct ps_diag *diag)
{
    unsigned char have[PS_USER_HANDLE_BYTES];
    bool exists = false;
    struct ps_query q;
    ps_query_start(&q, tx, &sql_account_insert);
    ps_query_text(&q, rnokpp);
    ps_query_blob(&q, handle, PS_USER_HANDLE_BYTES);
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e == PS_OK)
        e = ps_account_handle(tx, rnokpp, have, &exists, diag);
    if (e == PS_OK && (!exists || memcmp(have, handle, sizeof have) != 0))
        e = ps_diag_set(diag, PS_ERR_EXISTS, "the account was enrolled meanwhile; start again");
    if (e != PS_OK && diag->code == PS_OK)
        ps_diag_set(diag, e, "creating an account: %s", ps_tx_errmsg(tx));
    return e;
}

static enum ps_err insert_passkey(struct ps_tx *tx, struct ps_passkey *p, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_insert);
    ps_query_text(&q, ps_str_from_cstr(p->id));
    ps_query_blob(&q, p->credential_id.p, p->credential_id.len);
    ps_query_text(&q, p->rnokpp);
    ps_query_blob(&q, p->public_key.p, p->public_key.len);
    ps_query_i64(&q, p->alg);
    ps_query_i64(&q, p->sign_count);
    ps_query_i64(&q, p->backup_eligible);
    ps_query_i64(&q, p->backup_state);
    ps_query_text(&q, p->transports);
    if (p->aaguid.len)
        ps_query_blob(&q, p->aaguid.p, p->aaguid.len);
    else
        ps_query_null(&q);
    ps_query_text(&q, p->name);
    ps_query_i64(&q, p->created_at_ms);
    enum ps_err e = ps_query_exec(&q);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e, "this passkey is registered already");
    if (e != PS_OK)
        ps_diag_set(diag, e, "storing a passkey: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_passkey_add(struct ps_tx *tx, const unsigned char handle[PS_USER_HANDLE_BYTES],
                           struct ps_passkey *p, struct ps_diag *diag)
{
    int64_t have = 0;
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, p->id);
    p->created_at_ms = ps_clock_now_ms();
    if (p->credential_id.len == 0 || p->credential_id.len > PS_CREDENTIAL_ID_MAX ||
        p->name.len == 0 || p->name.len > PS_PASSKEY_NAME_MAX ||
        p->transports.len > PS_TRANSPORTS_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "passkey: bad credential id, name or transports");
    enum ps_err e = ensure_account(tx, p->rnokpp, handle, diag);
    if (e == PS_OK)
        e = count_of(tx, p->rnokpp, &have);
    if (e == PS_OK && have >= PS_PASSKEYS_MAX)
        return ps_diag_set(diag, PS_ERR_LIMIT, "at most %d passkeys per person",
                           PS_PASSKEYS_MAX);
    if (e == PS_OK)
        e = insert_passkey(tx, p, diag);
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = p->rnokpp};
    if (e == PS_OK)
        e = record(tx, &self, "passkey.add", p->rnokpp, p->id, diag);
    return e;
}

enum ps_err ps_passkey_used(struct ps_tx *tx, const char *id, int64_t sign_count,
                            struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_used);
    ps_query_text(&q, ps_str_from_cstr(id));
    ps_query_i64(&q, sign_count);
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "updating a passkey: %s", ps_tx_errmsg(tx));
    return e;
}

/* An UPDATE of one passkey of rnokpp: PS_ERR_NOTFOUND when it touched nothing. */
static enum ps_err update_one(struct ps_tx *tx, const struct ps_sql *def, struct ps_str id,
                              struct ps_str rnokpp, struct ps_str text, int64_t i,
                              struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, def);
    ps_query_text(&q, id);
    ps_query_text(&q, rnokpp);
    if (text.p)
        ps_query_text(&q, text);
    else
        ps_query_i64(&q, i);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "changing a passkey: %s", ps_tx_errmsg(tx));
    if (q.changes != 1)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such passkey");
    return PS_OK;
}

enum ps_err ps_passkey_rename(struct ps_tx *tx, const struct ps_actor *actor,
                              struct ps_str rnokpp, struct ps_str id, struct ps_str name,
                              struct ps_diag *diag)
{
    if (name.len == 0 || name.len > PS_PASSKEY_NAME_MAX || memchr(name.p, '\n', name.len))
        return ps_diag_set(diag, PS_ERR_INVALID, "name: 1 to %d bytes of text on one line",
                           PS_PASSKEY_NAME_MAX);
    char idc[37];
    if (ps_str_copy(idc, sizeof idc, id) != PS_OK)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such passkey");
    enum ps_err e = update_one(tx, &sql_rename, id, rnokpp, name, 0, diag);
    if (e == PS_OK)
        e = record(tx, actor, "passkey.rename", rnokpp, idc, diag);
    return e;
}

enum ps_err ps_passkey_remove(struct ps_tx *tx, const struct ps_actor *actor,
                              struct ps_str rnokpp, struct ps_str id, struct ps_diag *diag)
{
    int64_t have = 0;
    char idc[37];
    if (ps_str_copy(idc, sizeof idc, id) != PS_OK)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such passkey");
    enum ps_err e = update_one(tx, &sql_remove, id, rnokpp, PS_STR_NULL, ps_clock_now_ms(),
                               diag);
    if (e == PS_OK)
        e = count_of(tx, rnokpp, &have);
    if (e == PS_OK && have == 0)
        return ps_diag_set(diag, PS_ERR_EXISTS,
                           "this is the last passkey: add another one before removing it");
    if (e == PS_OK)
        e = ps_sessions_end_for_passkey(tx, id, diag);
    if (e == PS_OK)
        e = record(tx, actor, "passkey.remove", rnokpp, idc, diag);
    return e;
}
