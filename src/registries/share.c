/* Share codes: creation with the one randomness source, storage of SHA-256(code) only, and
 * the single conditional UPDATE that redeems a code at most once.
 *
 * Rule 8 asks for secrets to be compared in constant time. The comparison that decides here
 * is the database's index lookup of SHA-256(code): its timing can tell an attacker at most
 * how many leading bytes of a hash matched, which says nothing about any code (preimage
 * resistance), and the code itself is never compared anywhere. */
#include "registries/share.h"

#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/code.h"
#include "core/ids.h"
#include "registries/persons.h"
#include "store/store.h"

#define HASH_LEN crypto_hash_sha256_BYTES

static const struct ps_sql insert_code = {
    "share_codes.insert",
    "INSERT INTO share_codes (code_hash, id, subject, resource, created_at_ms, expires_at_ms, "
    "used_at_ms, used_by_kind, used_by_id) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL)",
};
/* THE redemption: one statement, so that two racing redeemers cannot both match. Without
 * RETURNING: SQLite's RETURNING costs ~20 us here (measured: an UPDATE by key 3 us, a SELECT
 * 1.5 us), and the grant is read after, in the same transaction, from the row this UPDATE
 * just made ours. */
static const struct ps_sql redeem_code = {
    "share_codes.redeem",
    "UPDATE share_codes SET used_at_ms = $2, used_by_kind = $3, used_by_id = $4 "
    "WHERE code_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2",
};
static const struct ps_sql grant_of = {
    "share_codes.grant", "SELECT id, subject, resource FROM share_codes WHERE code_hash = $1",
};
/* Only to explain a redemption that did not match. */
static const struct ps_sql why_not = {
    "share_codes.why_not",
    "SELECT used_at_ms, expires_at_ms FROM share_codes WHERE code_hash = $1",
};

static enum ps_err hash_code(struct ps_str in, unsigned char hash[HASH_LEN], struct ps_diag *diag)
{
    char sym[PS_SHARE_CODE_SYMBOLS];
    bool ok = in.len <= PS_SHARE_CODE_INPUT_MAX && ps_code_canonical(in, sizeof sym, sym);
    if (ok)
        crypto_hash_sha256(hash, (const unsigned char *)sym, sizeof sym);
    sodium_memzero(sym, sizeof sym);
    if (!ok)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a share code is 16 letters and digits, e.g. 7KQ3-M9XD-2HBT-R4ZC");
    return PS_OK;
}

/* ---- creation ---- */

/* Only one's own registry record, for now. */
static enum ps_err check_sharer(const struct ps_actor *actor, struct ps_str resource,
                                struct ps_diag *diag)
{
    if (!actor || actor->kind != PS_ACTOR_CITIZEN)
        return ps_diag_set(diag, PS_ERR_DENIED, "only a citizen can create a share code");
    if (!ps_str_starts_with(resource, PS_STR("persons/")))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "only a person's registry record (persons/<RNOKPP>) can be shared");
    struct ps_str who = {resource.p + 8, resource.len - 8};
    if (!ps_str_eq(who, actor->id))
        return ps_diag_set(diag, PS_ERR_DENIED, "a citizen can share only their own record");
    return PS_OK;
}

static enum ps_err insert_row(struct ps_tx *tx, const unsigned char hash[HASH_LEN],
                              const struct ps_share_code *c, struct ps_str subject,
                              struct ps_str resource, int64_t now, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row;
    enum ps_err e = ps_tx_prepare(tx, &insert_code, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_blob(st, 1, hash, HASH_LEN);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, ps_str_from_cstr(c->id));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 3, subject);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 4, resource);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 5, now);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 6, c->expires_at_ms);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e != PS_OK)
        ps_diag_set(diag, e, "storing a share code: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* A new code for resource, owned by the citizen actor (checked by the caller). */
static enum ps_err create_code(struct ps_tx *tx, const struct ps_actor *actor,
                               struct ps_str resource, int64_t ttl_ms, struct ps_share_code *out,
                               struct ps_diag *diag)
{
    if (ttl_ms < 0 || ttl_ms > PS_SHARE_TTL_MAX_MS)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a share code lives from 1 ms to %d minutes, not %lld ms",
                           PS_SHARE_TTL_MAX_MS / 60000, (long long)ttl_ms);
    if (resource.len > PS_ACCESS_RESOURCE_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "a shared resource is at most %d bytes",
                           PS_ACCESS_RESOURCE_MAX);
    /* the actor is the subject: their own status read is not recorded, so a refusal has
     * nothing that must commit and is returned as an error (rolled back). */
    struct ps_diag refused;
    enum ps_err e = ps_person_check_alive(tx, actor, actor->id, PS_STR_NULL, &refused, diag);
    if (e != PS_OK)
        return e;
    PS_ASSERT(ps_actor_is_subject(actor, actor->id));
    if (refused.code != PS_OK)
        return ps_diag_set(diag, refused.code, "%s", refused.message);
    struct ps_share_code c;
    unsigned char hash[HASH_LEN];
    struct ps_uuid u = ps_uuid7();
    int64_t now = ps_clock_now_ms();
    ps_uuid_fmt(&u, c.id);
    c.expires_at_ms = now + (ttl_ms ? ttl_ms : PS_SHARE_TTL_DEFAULT_MS);
    ps_code_make(PS_SHARE_CODE_SYMBOLS, 4, c.text, sizeof c.text);
    e = hash_code(ps_str_from_cstr(c.text), hash, diag);
    if (e == PS_OK)
        e = insert_row(tx, hash, &c, actor->id, resource, now, diag);
    char reason[64];
    int n = snprintf(reason, sizeof reason, "share code %s", c.id);
    PS_ASSERT(n > 0 && (size_t)n < sizeof reason);
    if (e == PS_OK)
        e = ps_tlog_record_change(tx, actor, "share.create", actor->id, resource,
                                  (struct ps_str){reason, (size_t)n}, diag);
    if (e == PS_OK)
        *out = c;
    sodium_memzero(&c, sizeof c);
    return e;
}

enum ps_err ps_share_create(struct ps_tx *tx, const struct ps_actor *actor,
                            struct ps_str resource, int64_t ttl_ms, struct ps_share_code *out,
                            struct ps_diag *diag)
{
    enum ps_err e = check_sharer(actor, resource, diag);
    return e == PS_OK ? create_code(tx, actor, resource, ttl_ms, out, diag) : e;
}

enum ps_err ps_share_create_document(struct ps_tx *tx, const struct ps_actor *actor,
                                     struct ps_str resource, int64_t ttl_ms,
                                     struct ps_share_code *out, struct ps_diag *diag)
{
    if (!actor || actor->kind != PS_ACTOR_CITIZEN)
        return ps_diag_set(diag, PS_ERR_DENIED, "only a citizen can create a share code");
    if (!ps_str_starts_with(resource, PS_STR("documents/")))
        return ps_diag_set(diag, PS_ERR_INVALID, "not a document: %.*s",
                           (int)(resource.len > 64 ? 64 : resource.len), resource.p);
    return create_code(tx, actor, resource, ttl_ms, out, diag);
}

/* ---- redemption ---- */

/* Explains a redemption that matched no row. */
static enum ps_err explain(struct ps_tx *tx, const unsigned char hash[HASH_LEN], int64_t now,
                           struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &why_not, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_blob(st, 1, hash, HASH_LEN);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e != PS_OK) {
        ps_diag_set(diag, e, "redeeming a share code: %s", ps_tx_errmsg(tx));
    } else if (!row) {
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "unknown share code");
    } else if (!ps_stmt_is_null(st, 0)) {
        e = ps_diag_set(diag, PS_ERR_EXISTS, "this share code has already been used");
    } else {
        char at[25];
        ps_clock_fmt_rfc3339(ps_stmt_i64(st, 1), at);
        e = ps_stmt_i64(st, 1) <= now
                ? ps_diag_set(diag, PS_ERR_LIMIT, "this share code expired at %s", at)
                : ps_diag_set(diag, PS_ERR_INTERNAL, "share code neither used nor expired");
    }
    ps_stmt_done(st);
    return e;
}

static enum ps_err copy_grant(struct ps_stmt *st, struct ps_share_grant *g)
{
    if (ps_str_copy(g->id, sizeof g->id, ps_stmt_text(st, 0)) != PS_OK ||
        ps_str_copy(g->subject, sizeof g->subject, ps_stmt_text(st, 1)) != PS_OK ||
        ps_str_copy(g->resource, sizeof g->resource, ps_stmt_text(st, 2)) != PS_OK)
        return PS_ERR_STORE;
    return PS_OK;
}

/* The conditional UPDATE; *used true when this call used the code, then its grant. */
static enum ps_err use_code(struct ps_tx *tx, const unsigned char hash[HASH_LEN],
                            const struct ps_actor *verifier, int64_t now,
                            struct ps_share_grant *g, bool *used, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &redeem_code);
    ps_query_blob(&q, hash, HASH_LEN);
    ps_query_i64(&q, now);
    ps_query_text(&q, ps_str_from_cstr(ps_actor_kind_name(verifier->kind)));
    ps_query_text(&q, verifier->id);
    enum ps_err e = ps_query_exec(&q);
    *used = e == PS_OK && q.changes == 1; /* code_hash is the key: 0 or 1 row */
    if (e == PS_OK && *used) {
        ps_query_start(&q, tx, &grant_of);
        ps_query_blob(&q, hash, HASH_LEN);
        if (!ps_query_row(&q) && q.err == PS_OK)
            q.err = PS_ERR_INTERNAL; /* the row we just updated */
        if (q.err == PS_OK)
            q.err = copy_grant(q.st, g);
        e = ps_query_end(&q);
    }
    if (e != PS_OK)
        ps_diag_set(diag, e, "redeeming a share code: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_share_take(struct ps_tx *tx, const struct ps_actor *verifier, struct ps_str code,
                          struct ps_str purpose, struct ps_share_grant *out,
                          struct ps_diag *diag)
{
    if (!verifier || ps_actor_kind_name(verifier->kind)[0] == '\0' || verifier->id.len == 0)
        return ps_diag_set(diag, PS_ERR_DENIED, "redeeming a share code needs a verifier");
    if (!purpose.p || purpose.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "a purpose is required to redeem a share code");
    unsigned char hash[HASH_LEN];
    enum ps_err e = hash_code(code, hash, diag);
    if (e != PS_OK)
        return e;
    struct ps_share_grant g;
    bool used = false;
    int64_t now = ps_clock_now_ms();
    e = use_code(tx, hash, verifier, now, &g, &used, diag);
    if (e == PS_OK && !used)
        e = explain(tx, hash, now, diag);
    if (e == PS_OK)
        *out = g;
    return e;
}

enum ps_err ps_share_redeem(struct ps_tx *tx, const struct ps_actor *verifier, struct ps_str code,
                            struct ps_str purpose, struct ps_share_grant *out,
                            struct ps_diag *diag)
{
    enum ps_err e = ps_share_take(tx, verifier, code, purpose, out, diag);
    if (e == PS_OK)
        e = ps_tlog_record_change(tx, verifier, "share.redeem", ps_str_from_cstr(out->subject),
                                  ps_str_from_cstr(out->resource), purpose, diag);
    return e;
}
