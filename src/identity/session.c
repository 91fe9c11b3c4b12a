/* Sessions (session.h). */
#include "identity/session.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "store/store.h"
#include "tlog/access.h"

#define HASH_LEN crypto_hash_sha256_BYTES
#define COLUMNS "id, rnokpp, passkey_id, label, created_at_ms, last_seen_ms, expires_at_ms"

static const struct ps_sql sql_insert = {
    "sessions.insert",
    "INSERT INTO sessions (" COLUMNS ", token_hash, ended_at_ms, end_reason) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL)",
};
static const struct ps_sql sql_find = {
    "sessions.find",
    "SELECT " COLUMNS ", ended_at_ms FROM sessions WHERE token_hash = $1",
};
static const struct ps_sql sql_touch = {
    "sessions.touch",
    "UPDATE sessions SET last_seen_ms = $2 WHERE id = $1 AND ended_at_ms IS NULL "
    "AND last_seen_ms < $2",
};
static const struct ps_sql sql_of = {
    "sessions.of",
    "SELECT " COLUMNS " FROM sessions WHERE rnokpp = $1 AND ended_at_ms IS NULL "
    "AND expires_at_ms > $2 AND last_seen_ms > $3 ORDER BY created_at_ms DESC, id LIMIT $4",
};
static const struct ps_sql sql_end = {
    "sessions.end",
    "UPDATE sessions SET ended_at_ms = $3, end_reason = $4 WHERE id = $1 AND rnokpp = $2 "
    "AND ended_at_ms IS NULL",
};
static const struct ps_sql sql_end_passkey = {
    "sessions.end_passkey",
    "UPDATE sessions SET ended_at_ms = $2, end_reason = 'passkey-removed' "
    "WHERE passkey_id = $1 AND ended_at_ms IS NULL",
};

static int64_t idle_of(const struct ps_session_cfg *cfg)
{
    return cfg && cfg->idle_ms > 0 ? cfg->idle_ms : PS_SESSION_IDLE_DEFAULT_MS;
}

static int64_t absolute_of(const struct ps_session_cfg *cfg)
{
    return cfg && cfg->absolute_ms > 0 ? cfg->absolute_ms : PS_SESSION_ABSOLUTE_DEFAULT_MS;
}

/* Records a session change by actor ("sessions/<id>" about rnokpp). */
static enum ps_err record(struct ps_tx *tx, const struct ps_actor *actor, const char *action,
                          struct ps_str rnokpp, struct ps_str id, const char *why,
                          struct ps_diag *diag)
{
    char resource[64];
    int n = snprintf(resource, sizeof resource, "sessions/%.*s", PS_STR_FMT(id));
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
    return ps_tlog_record_change(tx, actor, action, rnokpp, (struct ps_str){resource, (size_t)n},
                                 ps_str_from_cstr(why), diag);
}

/* A label safe to store and show: printable ASCII only, cut to the limit. */
static size_t clean_label(struct ps_str in, char out[PS_SESSION_LABEL_MAX + 1])
{
    size_t n = 0;
    for (size_t i = 0; i < in.len && n < PS_SESSION_LABEL_MAX; i++)
        out[n++] = in.p[i] >= 0x20 && in.p[i] < 0x7f ? in.p[i] : '?';
    out[n] = '\0';
    return n;
}

enum ps_err ps_session_create(struct ps_tx *tx, struct ps_str rnokpp, const char *passkey_id,
                              struct ps_str label, const struct ps_session_cfg *cfg,
                              char token[PS_SESSION_TOKEN_LEN + 1], struct ps_session *out,
                              struct ps_diag *diag)
{
    unsigned char raw[32], hash[HASH_LEN];
    char lab[PS_SESSION_LABEL_MAX + 1];
    size_t nlab = clean_label(label, lab);
    memcpy(token, PS_SESSION_TOKEN_PREFIX, 8);
    ps_random_bytes(raw, sizeof raw);
    sodium_bin2base64(token + 8, PS_SESSION_TOKEN_LEN + 1 - 8, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(hash, (const unsigned char *)token, PS_SESSION_TOKEN_LEN);
    memset(out, 0, sizeof *out);
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, out->id);
    out->rnokpp = rnokpp;
    out->passkey_id = ps_str_from_cstr(passkey_id);
    out->created_at_ms = out->last_seen_ms = ps_clock_now_ms();
    out->expires_at_ms = out->created_at_ms + absolute_of(cfg);
    out->idle_expires_at_ms = out->last_seen_ms + idle_of(cfg);
    struct ps_query q;
    ps_query_start(&q, tx, &sql_insert);
    ps_query_text(&q, ps_str_from_cstr(out->id));
    ps_query_text(&q, rnokpp);
    ps_query_text(&q, out->passkey_id);
    ps_query_text(&q, (struct ps_str){lab, nlab});
    ps_query_i64(&q, out->created_at_ms);
    ps_query_i64(&q, out->last_seen_ms);
    ps_query_i64(&q, out->expires_at_ms);
    ps_query_blob(&q, hash, sizeof hash);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "storing a session: %s", ps_tx_errmsg(tx));
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = rnokpp};
    return record(tx, &self, "session.start", rnokpp, ps_str_from_cstr(out->id), "passkey",
                  diag);
}

/* One row of COLUMNS, strings into arena. */
static bool read_row(struct ps_stmt *st, const struct ps_session_cfg *cfg, struct ps_arena *a,
                     struct ps_session *s)
{
    s->rnokpp = ps_arena_str(a, ps_stmt_text(st, 1));
    s->passkey_id = ps_arena_str(a, ps_stmt_text(st, 2));
    s->label = ps_arena_str(a, ps_stmt_text(st, 3));
    s->created_at_ms = ps_stmt_i64(st, 4);
    s->last_seen_ms = ps_stmt_i64(st, 5);
    s->expires_at_ms = ps_stmt_i64(st, 6);
    s->idle_expires_at_ms = s->last_seen_ms + idle_of(cfg);
    s->nroles = 0;
    return s->rnokpp.p && s->passkey_id.p && s->label.p &&
           ps_str_copy(s->id, sizeof s->id, ps_stmt_text(st, 0)) == PS_OK;
}

/* Why the session read from a row cannot be used now, or NULL. */
static const char *dead(const struct ps_session *s, bool ended, int64_t now)
{
    if (ended)
        return "the session has ended";
    if (now >= s->expires_at_ms)
        return "the session has expired";
    if (now >= s->idle_expires_at_ms)
        return "the session expired after inactivity";
    return NULL;
}

enum ps_err ps_session_find(struct ps_tx *tx, struct ps_str token, const struct ps_session_cfg *cfg,
                            struct ps_arena *arena, struct ps_session *out, struct ps_diag *diag)
{
    unsigned char hash[HASH_LEN];
    if (token.len != PS_SESSION_TOKEN_LEN || !ps_str_starts_with(token, PS_STR("ps_sess_")))
        return ps_diag_set(diag, PS_ERR_DENIED, "not a session token");
    crypto_hash_sha256(hash, (const unsigned char *)token.p, token.len);
    memset(out, 0, sizeof *out);
    struct ps_query q;
    bool found = false, ended = false;
    ps_query_start(&q, tx, &sql_find);
    ps_query_blob(&q, hash, sizeof hash);
    if (ps_query_row(&q)) {
        found = true;
        ended = !ps_stmt_is_null(q.st, 7);
        if (!read_row(q.st, cfg, arena, out))
            q.err = PS_ERR_NOMEM;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading a session: %s", ps_tx_errmsg(tx));
    const char *why = found ? dead(out, ended, ps_clock_now_ms()) : "unknown session";
    if (why)
        return ps_diag_set(diag, PS_ERR_DENIED, "%s", why);
    return ps_roles_of(tx, out->rnokpp, arena, out->roles, PS_ROLES_MAX, &out->nroles, diag);
}

bool ps_session_touch_due(const struct ps_session *s, int64_t now_ms)
{
    return now_ms - s->last_seen_ms >= PS_SESSION_TOUCH_MS;
}

enum ps_err ps_session_touch(struct ps_tx *tx, const char *id, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_touch);
    ps_query_text(&q, ps_str_from_cstr(id));
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "touching a session: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_sessions_of(struct ps_tx *tx, struct ps_str rnokpp,
                           const struct ps_session_cfg *cfg, struct ps_arena *arena,
                           struct ps_session *out, size_t cap, size_t *n, struct ps_diag *diag)
{
    int64_t now = ps_clock_now_ms();
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &sql_of);
    ps_query_text(&q, rnokpp);
    ps_query_i64(&q, now);
    ps_query_i64(&q, now - idle_of(cfg));
    ps_query_i64(&q, (int64_t)cap);
    while (*n < cap && ps_query_row(&q)) {
        if (!read_row(q.st, cfg, arena, &out[*n]))
            q.err = PS_ERR_NOMEM;
        else
            (*n)++;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading sessions: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_session_end(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                           struct ps_str id, const char *why, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_end);
    ps_query_text(&q, id);
    ps_query_text(&q, rnokpp);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_text(&q, ps_str_from_cstr(why));
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "ending a session: %s", ps_tx_errmsg(tx));
    if (q.changes != 1)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such session");
    return record(tx, actor, "session.end", rnokpp, id, why, diag);
}

enum ps_err ps_sessions_end_for_passkey(struct ps_tx *tx, struct ps_str passkey_id,
                                        struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_end_passkey);
    ps_query_text(&q, passkey_id);
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "ending a passkey's sessions: %s", ps_tx_errmsg(tx));
    return e;
}
