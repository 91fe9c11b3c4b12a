/* Activation codes (activation.h). The code is looked up by its keyed hash; a miss, a wrong
 * birth date and a dead code all get the same answer, and the person's live codes count the
 * wrong try whichever it was, so neither the answer nor its timing separates them much. */
#include "identity/activation.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/code.h"
#include "core/ids.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"

#define HASH_LEN crypto_auth_hmacsha256_BYTES
#define NO_MATCH "these details do not match a valid activation code"

static const struct ps_sql sql_insert = {
    "activation.insert",
    "INSERT INTO activation_codes (id, rnokpp, code_hash, created_at_ms, expires_at_ms, "
    "failures, used_at_ms) VALUES ($1, $2, $3, $4, $5, 0, NULL)",
};
static const struct ps_sql sql_find = {
    "activation.find",
    "SELECT id FROM activation_codes WHERE code_hash = $1 AND rnokpp = $2 "
    "AND used_at_ms IS NULL AND expires_at_ms > $3 AND failures < $4",
};
static const struct ps_sql sql_fail = {
    "activation.fail",
    "UPDATE activation_codes SET failures = failures + 1 WHERE rnokpp = $1 "
    "AND used_at_ms IS NULL AND expires_at_ms > $2 AND failures < $3",
};
static const struct ps_sql sql_use = {
    "activation.use",
    "UPDATE activation_codes SET used_at_ms = $2 WHERE id = $1 AND used_at_ms IS NULL "
    "AND expires_at_ms > $2 AND failures < $3",
};

/* HMAC-SHA256(key, symbols || rnokpp): the code is bound to its person. false when the typed
 * text is not a code at all. */
static bool code_hash(struct ps_str typed, struct ps_str rnokpp, const unsigned char *key,
                      unsigned char out[HASH_LEN])
{
    char sym[PS_ACTIVATION_SYMBOLS];
    if (typed.len > PS_ACTIVATION_INPUT_MAX ||
        !ps_code_canonical(typed, PS_ACTIVATION_SYMBOLS, sym))
        return false;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, PS_IDENTITY_KEY_BYTES);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)sym, sizeof sym);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)rnokpp.p, rnokpp.len);
    crypto_auth_hmacsha256_final(&st, out);
    sodium_memzero(sym, sizeof sym);
    sodium_memzero(&st, sizeof st);
    return true;
}

static enum ps_err insert_code(struct ps_tx *tx, struct ps_str rnokpp, const unsigned char *key,
                               struct ps_activation *a, struct ps_diag *diag)
{
    unsigned char hash[HASH_LEN];
    int64_t now = ps_clock_now_ms();
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, a->id);
    ps_code_make(PS_ACTIVATION_SYMBOLS, 5, a->code, sizeof a->code);
    a->expires_at_ms = now + PS_ACTIVATION_TTL_MS;
    PS_ASSERT(code_hash(ps_str_from_cstr(a->code), rnokpp, key, hash));
    struct ps_query q;
    ps_query_start(&q, tx, &sql_insert);
    ps_query_text(&q, ps_str_from_cstr(a->id));
    ps_query_text(&q, rnokpp);
    ps_query_blob(&q, hash, sizeof hash);
    ps_query_i64(&q, now);
    ps_query_i64(&q, a->expires_at_ms);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "storing an activation code: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_activation_issue(struct ps_tx *tx, const struct ps_actor *actor,
                                struct ps_str rnokpp, struct ps_str reason,
                                const unsigned char key[PS_IDENTITY_KEY_BYTES],
                                struct ps_activation *out, struct ps_diag *refused,
                                struct ps_diag *diag)
{
    memset(out, 0, sizeof *out);
    if (!reason.p || reason.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "reason: why the code is issued is required");
    enum ps_err e = ps_person_check_alive(tx, actor, rnokpp, reason, refused, diag);
    if (e != PS_OK || refused->code != PS_OK)
        return e;
    e = insert_code(tx, rnokpp, key, out, diag);
    char resource[64];
    int n = snprintf(resource, sizeof resource, "activation-codes/%s", out->id);
    if (e == PS_OK && (n < 0 || (size_t)n >= sizeof resource))
        e = ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
    if (e == PS_OK)
        e = ps_tlog_record_change(tx, actor, "activation-code.issue", rnokpp,
                                  (struct ps_str){resource, (size_t)n}, reason, diag);
    if (e != PS_OK)
        sodium_memzero(out, sizeof *out);
    return e;
}

/* The id of the live code of rnokpp whose hash is hash, or "" when none. */
static enum ps_err find_code(struct ps_tx *tx, const unsigned char hash[HASH_LEN],
                             struct ps_str rnokpp, char id[37], struct ps_diag *diag)
{
    struct ps_query q;
    id[0] = '\0';
    ps_query_start(&q, tx, &sql_find);
    ps_query_blob(&q, hash, HASH_LEN);
    ps_query_text(&q, rnokpp);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_i64(&q, PS_ACTIVATION_MAX_FAILURES);
    if (ps_query_row(&q) && ps_str_copy(id, 37, ps_stmt_text(q.st, 0)) != PS_OK)
        q.err = PS_ERR_INTERNAL;
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading activation codes: %s", ps_tx_errmsg(tx));
    return e;
}

static enum ps_err count_failure(struct ps_tx *tx, struct ps_str rnokpp, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_fail);
    ps_query_text(&q, rnokpp);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_i64(&q, PS_ACTIVATION_MAX_FAILURES);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "counting a wrong activation code: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_activation_check(struct ps_tx *tx, struct ps_str rnokpp, struct ps_date birth,
                                struct ps_str code, const unsigned char key[PS_IDENTITY_KEY_BYTES],
                                char activation_id[37], struct ps_diag *refused,
                                struct ps_diag *diag)
{
    unsigned char hash[HASH_LEN];
    bool person = false, typed = false;
    ps_diag_clear(refused);
    activation_id[0] = '\0';
    if (ps_rnokpp_validate(rnokpp, NULL, NULL) != PS_OK) {
        ps_diag_set(refused, PS_ERR_DENIED, NO_MATCH);
        return PS_OK;
    }
    enum ps_err e = ps_person_identify(tx, rnokpp, birth, &person, diag);
    if (e == PS_OK && person)
        typed = code_hash(code, rnokpp, key, hash);
    if (e == PS_OK && typed)
        e = find_code(tx, hash, rnokpp, activation_id, diag);
    if (e == PS_OK && activation_id[0] == '\0') {
        ps_diag_set(refused, PS_ERR_DENIED, NO_MATCH);
        e = count_failure(tx, rnokpp, diag); /* a no-op when no such person has codes */
    }
    sodium_memzero(hash, sizeof hash);
    return e;
}

enum ps_err ps_activation_use(struct ps_tx *tx, struct ps_str activation_id,
                              struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_use);
    ps_query_text(&q, activation_id);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_i64(&q, PS_ACTIVATION_MAX_FAILURES);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "using an activation code: %s", ps_tx_errmsg(tx));
    if (q.changes != 1)
        return ps_diag_set(diag, PS_ERR_DENIED, "the activation code is no longer valid");
    return PS_OK;
}
