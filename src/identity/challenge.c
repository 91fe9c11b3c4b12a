/* WebAuthn challenges (challenge.h): enrolment ones stored, sign-in ones self-checking. */
#include "identity/challenge.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "store/store.h"

static const struct ps_sql sql_insert = {
    "challenge.insert",
    "INSERT INTO webauthn_challenges (challenge_hash, purpose, rnokpp, activation_id, "
    "user_handle, expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
};
static const struct ps_sql sql_take = {
    "challenge.take",
    "DELETE FROM webauthn_challenges WHERE challenge_hash = $1 AND purpose = $2 "
    "RETURNING expires_at_ms, rnokpp, activation_id, user_handle",
};
static const struct ps_sql sql_prune = {
    "challenge.prune",
    "DELETE FROM webauthn_challenges WHERE expires_at_ms < $1",
};

static const struct ps_sql sql_spend = {
    "challenge.spend",
    "INSERT INTO webauthn_challenges (challenge_hash, purpose, expires_at_ms) "
    "VALUES ($1, 'signin', $2) ON CONFLICT (challenge_hash) DO NOTHING",
};

static const char *purpose_name(enum ps_challenge_purpose p)
{
    return p == PS_CHALLENGE_ENROL ? "enrol" : "signin";
}

/* ---- sign-in challenges: expiry || random || MAC ---- */

#define SIGNIN_BODY 16 /* expiry (8) and random (8) */
#define SIGNIN_MAC (PS_CHALLENGE_BYTES - SIGNIN_BODY)
static const char signin_label[] = "ps-signin-challenge-v1";

static void signin_mac(const unsigned char key[32], const unsigned char body[SIGNIN_BODY],
                       unsigned char mac[SIGNIN_MAC])
{
    crypto_auth_hmacsha256_state st;
    unsigned char full[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, 32);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)signin_label,
                                  sizeof signin_label - 1);
    crypto_auth_hmacsha256_update(&st, body, SIGNIN_BODY);
    crypto_auth_hmacsha256_final(&st, full);
    memcpy(mac, full, SIGNIN_MAC);
    sodium_memzero(&st, sizeof st);
}

void ps_challenge_signin_new(const unsigned char key[32], struct ps_challenge *c)
{
    memset(c, 0, sizeof *c);
    c->purpose = PS_CHALLENGE_SIGNIN;
    c->expires_at_ms = ps_clock_now_ms() + PS_CHALLENGE_TTL_MS;
    uint64_t exp = (uint64_t)c->expires_at_ms;
    for (int i = 0; i < 8; i++)
        c->bytes[i] = (unsigned char)(exp >> (56 - 8 * i));
    ps_random_bytes(c->bytes + 8, 8);
    signin_mac(key, c->bytes, c->bytes + SIGNIN_BODY);
}

enum ps_err ps_challenge_signin_check(const unsigned char key[32], const unsigned char *bytes,
                                      size_t n, struct ps_challenge *out)
{
    unsigned char mac[SIGNIN_MAC];
    memset(out, 0, sizeof *out);
    if (n != PS_CHALLENGE_BYTES)
        return PS_ERR_NOTFOUND;
    signin_mac(key, bytes, mac);
    if (sodium_memcmp(mac, bytes + SIGNIN_BODY, SIGNIN_MAC) != 0)
        return PS_ERR_NOTFOUND;
    uint64_t exp = 0;
    for (int i = 0; i < 8; i++)
        exp = exp << 8 | bytes[i];
    memcpy(out->bytes, bytes, n);
    out->purpose = PS_CHALLENGE_SIGNIN;
    out->expires_at_ms = exp > INT64_MAX ? INT64_MAX : (int64_t)exp;
    out->expired = out->expires_at_ms <= ps_clock_now_ms();
    return PS_OK;
}

enum ps_err ps_challenge_spend(struct ps_tx *tx, const struct ps_challenge *c, struct ps_diag *diag)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(hash, c->bytes, sizeof c->bytes);
    struct ps_query q;
    ps_query_start(&q, tx, &sql_spend);
    ps_query_blob(&q, hash, sizeof hash);
    ps_query_i64(&q, c->expires_at_ms);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "spending a challenge: %s", ps_tx_errmsg(tx));
    if (q.changes == 0)
        return ps_diag_set(diag, PS_ERR_EXISTS, "the challenge was used already");
    return PS_OK;
}

/* ---- enrolment challenges: random, stored ---- */

enum ps_err ps_challenge_new(struct ps_tx *tx, struct ps_challenge *c, struct ps_diag *diag)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    bool enrol = c->purpose == PS_CHALLENGE_ENROL;
    if (!enrol) /* a stored sign-in row is a spent challenge: never issue one */
        return ps_diag_set(diag, PS_ERR_INVALID, "sign-in challenges are not stored");
    ps_random_bytes(c->bytes, sizeof c->bytes);
    crypto_hash_sha256(hash, c->bytes, sizeof c->bytes);
    c->expires_at_ms = ps_clock_now_ms() + PS_CHALLENGE_TTL_MS;
    struct ps_query q;
    ps_query_start(&q, tx, &sql_insert);
    ps_query_blob(&q, hash, sizeof hash);
    ps_query_text(&q, ps_str_from_cstr(purpose_name(c->purpose)));
    ps_query_text_or_null(&q, enrol ? ps_str_from_cstr(c->rnokpp) : PS_STR_NULL);
    ps_query_text_or_null(&q, enrol ? ps_str_from_cstr(c->activation_id) : PS_STR_NULL);
    if (enrol)
        ps_query_blob(&q, c->user_handle, sizeof c->user_handle);
    else
        ps_query_null(&q);
    ps_query_i64(&q, c->expires_at_ms);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "storing a challenge: %s", ps_tx_errmsg(tx));
    return e;
}

/* Copies the enrolment columns of the taken row. */
static bool enrol_fields(struct ps_stmt *st, struct ps_challenge *out)
{
    struct ps_str handle = ps_stmt_blob(st, 3);
    if (ps_str_copy(out->rnokpp, sizeof out->rnokpp, ps_stmt_text(st, 1)) != PS_OK ||
        ps_str_copy(out->activation_id, sizeof out->activation_id, ps_stmt_text(st, 2)) !=
            PS_OK ||
        handle.len != sizeof out->user_handle)
        return false;
    memcpy(out->user_handle, handle.p, handle.len);
    return true;
}

enum ps_err ps_challenge_take(struct ps_tx *tx, const unsigned char *bytes, size_t n,
                              enum ps_challenge_purpose purpose, struct ps_challenge *out,
                              struct ps_diag *diag)
{
    unsigned char hash[crypto_hash_sha256_BYTES];
    memset(out, 0, sizeof *out);
    if (n != PS_CHALLENGE_BYTES || purpose != PS_CHALLENGE_ENROL)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "the challenge is not one of ours");
    crypto_hash_sha256(hash, bytes, n);
    struct ps_query q;
    bool found = false;
    ps_query_start(&q, tx, &sql_take);
    ps_query_blob(&q, hash, sizeof hash);
    ps_query_text(&q, ps_str_from_cstr(purpose_name(purpose)));
    if (ps_query_row(&q)) {
        found = true;
        out->expires_at_ms = ps_stmt_i64(q.st, 0);
        if (purpose == PS_CHALLENGE_ENROL && !enrol_fields(q.st, out))
            q.err = PS_ERR_INTERNAL;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "taking a challenge: %s", ps_tx_errmsg(tx));
    if (!found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "unknown or already used challenge");
    memcpy(out->bytes, bytes, n);
    out->purpose = purpose;
    out->expired = out->expires_at_ms <= ps_clock_now_ms();
    return PS_OK;
}

enum ps_err ps_challenge_prune(struct ps_tx *tx, int64_t now, int64_t *deleted,
                               struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_prune);
    ps_query_i64(&q, now);
    enum ps_err e = ps_query_exec(&q);
    if (deleted)
        *deleted = q.changes;
    if (e != PS_OK)
        ps_diag_set(diag, e, "pruning challenges: %s", ps_tx_errmsg(tx));
    return e;
}
