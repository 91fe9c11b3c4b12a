/* Identity's store-backed parts (src/identity): activation codes (hashed, single use, expiry,
 * five wrong tries counted in the database, one answer for every mismatch), WebAuthn
 * challenges (single use, purpose, expiry), accounts and passkeys (the last one stays,
 * removal ends its sessions), sessions (token hashed, idle and absolute limits, ended ones
 * refused, roles carried), official roles (grant, duplicate, revoke, refusal for a dead
 * person) and clients (add, scopes, nonce replay). Every change leaves its change entry. Runs
 * on SQLite, and on PostgreSQL when PS_TEST_DB is set (scripts/pg-suite.sh). */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "identity/activation.h"
#include "identity/challenge.h"
#include "identity/client.h"
#include "identity/official.h"
#include "identity/passkey.h"
#include "identity/session.h"
#include "registries/persons.h"
#include "registries/population.h"
#include "store/store.h"
#include "pg_helper.h"

#define S(lit) ps_str_from_cstr(lit)

static struct ps_store *store;
static char dbpath[64], pg_url[512], pg_schema[64];
static struct ps_person people[3]; /* alive, from the generator, strings in the arena */
static struct ps_arena *arena;
static const unsigned char key[PS_IDENTITY_KEY_BYTES] = "0123456789abcdef0123456789abcdef";
static const struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = {"local-admin", 11}};

/* ---- a transaction: fn(tx, arg, diag) in a write job ---- */

typedef enum ps_err (*op_fn)(struct ps_tx *tx, void *arg, struct ps_diag *diag);
struct op {
    op_fn fn;
    void *arg;
    struct ps_diag diag;
};

static enum ps_err op_tx(struct ps_tx *tx, void *ctx)
{
    struct op *o = ctx;
    ps_diag_clear(&o->diag);
    return o->fn(tx, o->arg, &o->diag);
}

/* Runs fn in a write job; the domain's error code (the message in *diag when given). */
static enum ps_err run(op_fn fn, void *arg, struct ps_diag *diag)
{
    struct op o = {fn, arg, {0}};
    struct ps_diag sd = {0};
    enum ps_err e = ps_store_write(store, op_tx, &o, &sd);
    if (diag)
        *diag = o.diag.code != PS_OK ? o.diag : sd;
    return e;
}

struct count {
    const char *action;
    int64_t n;
};

static enum ps_err count_tx(struct ps_tx *tx, void *arg)
{
    static const struct ps_sql sql = {"t.count",
                                      "SELECT count(*) FROM access_log WHERE action = $1"};
    struct count *c = arg;
    struct ps_query q;
    ps_query_start(&q, tx, &sql);
    ps_query_text(&q, ps_str_from_cstr(c->action));
    if (ps_query_row(&q))
        c->n = ps_stmt_i64(q.st, 0);
    return ps_query_end(&q);
}

/* Rows of the access log with this action. */
static int64_t count_rows(const char *action)
{
    struct count c = {action, 0};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, count_tx, &c, &d), PS_OK, "%s", d.message);
    return c.n;
}

static void setup(void)
{
    int n = snprintf(dbpath, sizeof dbpath, "/tmp/ps-identity-%d.db", (int)getpid());
    cr_assert(n > 0 && (size_t)n < sizeof dbpath);
    unlink(dbpath);
    pg_schema[0] = '\0';
    bool pg = ps_test_pg_base() != NULL;
    if (pg)
        cr_assert(ps_test_pg_fresh(pg_url, sizeof pg_url, pg_schema), "PS_TEST_DB: no schema");
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = pg ? pg_url : dbpath;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_open(&o, &store, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_population_load(store, 40, 7, &d), PS_OK, "%s", d.message);
    arena = ps_arena_new(1 << 20);
    struct ps_population *pop = NULL;
    cr_assert_eq(ps_population_new(7, &pop, NULL), PS_OK);
    for (size_t i = 0; i < 3;) {
        struct ps_person p;
        cr_assert_eq(ps_population_next(pop, &p), PS_OK);
        if (p.status != PS_PERSON_ALIVE)
            continue;
        people[i] = p;
        people[i].rnokpp = ps_arena_str(arena, p.rnokpp);
        i++;
    }
    ps_population_free(pop);
}

static void teardown(void)
{
    ps_store_free(store);
    store = NULL;
    ps_arena_free(arena);
    ps_clock_set_fixed(-1);
    if (pg_schema[0])
        ps_test_pg_drop(pg_schema);
    unlink(dbpath);
}

/* ---- activation codes ---- */

struct act {
    struct ps_str rnokpp, code;
    struct ps_date birth;
    struct ps_activation out;
    char id[37];
    struct ps_diag refused;
};

static enum ps_err issue_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct act *a = arg;
    return ps_activation_issue(tx, &admin, a->rnokpp, S("test"), key, &a->out, &a->refused,
                               diag);
}

static enum ps_err check_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct act *a = arg;
    return ps_activation_check(tx, a->rnokpp, a->birth, a->code, key, a->id, &a->refused, diag);
}

static enum ps_err use_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct act *a = arg;
    return ps_activation_use(tx, ps_str_from_cstr(a->id), diag);
}

/* Checks what was typed: true when it matched. */
static bool check(const struct ps_person *p, const char *code, struct ps_date birth)
{
    struct act a = {.rnokpp = p->rnokpp, .code = S(code), .birth = birth};
    struct ps_diag d;
    cr_assert_eq(run(check_op, &a, &d), PS_OK, "%s", d.message);
    if (a.refused.code != PS_OK) {
        cr_assert_eq(a.refused.code, PS_ERR_DENIED);
        cr_assert_str_eq(a.refused.message,
                         "these details do not match a valid activation code",
                         "one answer for every mismatch");
    }
    return a.refused.code == PS_OK;
}

static struct ps_activation issue(const struct ps_person *p)
{
    struct act a = {.rnokpp = p->rnokpp};
    struct ps_diag d;
    cr_assert_eq(run(issue_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert_eq(a.refused.code, PS_OK, "%s", a.refused.message);
    return a.out;
}

Test(activation, code_is_typed_back_once, .init = setup, .fini = teardown)
{
    struct ps_activation c = issue(&people[0]);
    cr_assert_eq(strlen(c.code), PS_ACTIVATION_TEXT_LEN);
    cr_assert_eq(c.code[5], '-');
    cr_assert_eq(count_rows("activation-code.issue"), 1);
    cr_assert_eq(count_rows("person.status.read"), 1, "the clerk's status read is recorded");
    /* typed back in lower case, without the hyphen, with O for 0: the same code */
    char typed[16];
    size_t k = 0;
    for (const char *s = c.code; *s; s++)
        if (*s != '-')
            typed[k++] = (char)(*s == '0' ? 'o' : (*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s));
    typed[k] = '\0';
    cr_assert(check(&people[0], typed, people[0].birth_date));
    struct act a = {.rnokpp = people[0].rnokpp, .code = S(c.code),
                    .birth = people[0].birth_date};
    struct ps_diag d;
    cr_assert_eq(run(check_op, &a, &d), PS_OK);
    cr_assert_eq(run(use_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(use_op, &a, &d), PS_ERR_DENIED, "single use");
    cr_assert(!check(&people[0], c.code, people[0].birth_date), "used");
}

Test(activation, every_mismatch_has_one_answer_and_five_wrong_tries_kill_it, .init = setup,
     .fini = teardown)
{
    struct ps_activation c = issue(&people[0]);
    struct ps_date wrong_birth = people[0].birth_date;
    wrong_birth.year -= 1;
    cr_assert(!check(&people[0], c.code, wrong_birth), "wrong birth date");
    cr_assert(!check(&people[1], c.code, people[1].birth_date), "another person's code");
    cr_assert(!check(&people[0], "not a code", people[0].birth_date), "not a code");
    cr_assert(!check(&people[0], "0000000000", people[0].birth_date), "a wrong code");
    cr_assert(check(&people[0], c.code, people[0].birth_date), "3 wrong tries: still alive");
    cr_assert(!check(&people[0], "0000000001", people[0].birth_date));
    cr_assert(!check(&people[0], "0000000002", people[0].birth_date), "the fifth wrong try");
    cr_assert(!check(&people[0], c.code, people[0].birth_date), "dead after five");
    /* a new code lives */
    struct ps_activation c2 = issue(&people[0]);
    cr_assert(check(&people[0], c2.code, people[0].birth_date));
}

Test(activation, expires_after_72_hours_and_refuses_the_dead, .init = setup, .fini = teardown)
{
    int64_t now = ps_clock_now_ms();
    ps_clock_set_fixed(now);
    struct ps_activation c = issue(&people[0]);
    ps_clock_set_fixed(now + PS_ACTIVATION_TTL_MS - 1000);
    cr_assert(check(&people[0], c.code, people[0].birth_date));
    ps_clock_set_fixed(now + PS_ACTIVATION_TTL_MS + 1);
    cr_assert(!check(&people[0], c.code, people[0].birth_date), "expired");
    /* nobody with that number: a refusal, recorded as the clerk's status read */
    struct act a = {.rnokpp = S("3443818003")};
    struct ps_diag d;
    if (ps_str_eq(a.rnokpp, people[0].rnokpp) || ps_str_eq(a.rnokpp, people[1].rnokpp))
        return;
    cr_assert_eq(run(issue_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert_eq(a.refused.code, PS_ERR_NOTFOUND);
}

/* ---- challenges ---- */

struct chal {
    struct ps_challenge c, got;
    enum ps_challenge_purpose want;
};

static enum ps_err chal_new_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    return ps_challenge_new(tx, &((struct chal *)arg)->c, diag);
}

static enum ps_err chal_take_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct chal *c = arg;
    return ps_challenge_take(tx, c->c.bytes, sizeof c->c.bytes, c->want, &c->got, diag);
}

Test(challenge, single_use_for_its_purpose_and_expiring, .init = setup, .fini = teardown)
{
    struct chal c = {.c = {.purpose = PS_CHALLENGE_ENROL}, .want = PS_CHALLENGE_SIGNIN};
    memcpy(c.c.rnokpp, people[0].rnokpp.p, 10);
    memcpy(c.c.activation_id, "01a24187-27b1-7004-ab70-f22a3d7a0415", 37);
    memset(c.c.user_handle, 7, sizeof c.c.user_handle);
    struct ps_diag d;
    cr_assert_eq(run(chal_new_op, &c, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(chal_take_op, &c, &d), PS_ERR_NOTFOUND, "the other purpose");
    c.want = PS_CHALLENGE_ENROL;
    cr_assert_eq(run(chal_take_op, &c, &d), PS_OK, "%s", d.message);
    cr_assert(!c.got.expired);
    cr_assert_str_eq(c.got.rnokpp, c.c.rnokpp);
    cr_assert_eq(memcmp(c.got.user_handle, c.c.user_handle, 32), 0);
    cr_assert_eq(run(chal_take_op, &c, &d), PS_ERR_NOTFOUND, "used once");
    int64_t now = ps_clock_now_ms();
    ps_clock_set_fixed(now);
    c.want = PS_CHALLENGE_ENROL;
    cr_assert_eq(run(chal_new_op, &c, &d), PS_OK);
    ps_clock_set_fixed(now + PS_CHALLENGE_TTL_MS + 1);
    cr_assert_eq(run(chal_take_op, &c, &d), PS_OK, "%s", d.message);
    cr_assert(c.got.expired, "expired");
    cr_assert_eq(run(chal_take_op, &c, &d), PS_ERR_NOTFOUND, "and gone");
    /* sign-in challenges are never stored when issued */
    struct chal s = {.c = {.purpose = PS_CHALLENGE_SIGNIN}, .want = PS_CHALLENGE_SIGNIN};
    cr_assert_eq(run(chal_new_op, &s, &d), PS_ERR_INVALID);
}

static enum ps_err chal_spend_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    return ps_challenge_spend(tx, &((struct chal *)arg)->got, diag);
}

/* A sign-in challenge proves itself: made under one key it checks under that key only, any
 * changed byte (expiry, random part, MAC) is refused, it expires, and it is spent once. */
Test(challenge, signin_challenges_check_themselves_and_spend_once, .init = setup,
     .fini = teardown)
{
    unsigned char other[32];
    memcpy(other, key, sizeof other);
    other[0] ^= 1;
    int64_t now = ps_clock_now_ms();
    ps_clock_set_fixed(now);
    struct chal s = {0};
    ps_challenge_signin_new(key, &s.c);
    cr_assert_eq(s.c.expires_at_ms, now + PS_CHALLENGE_TTL_MS);
    cr_assert_eq(ps_challenge_signin_check(key, s.c.bytes, sizeof s.c.bytes, &s.got), PS_OK);
    cr_assert(!s.got.expired);
    cr_assert_eq(s.got.expires_at_ms, s.c.expires_at_ms);
    cr_assert_eq(ps_challenge_signin_check(other, s.c.bytes, sizeof s.c.bytes, &s.got),
                 PS_ERR_NOTFOUND, "another platform's key");
    cr_assert_eq(ps_challenge_signin_check(key, s.c.bytes, sizeof s.c.bytes - 1, &s.got),
                 PS_ERR_NOTFOUND, "cut short");
    for (size_t i = 0; i < PS_CHALLENGE_BYTES; i++) {
        unsigned char b[PS_CHALLENGE_BYTES];
        memcpy(b, s.c.bytes, sizeof b);
        b[i] ^= 0x01;
        cr_assert_eq(ps_challenge_signin_check(key, b, sizeof b, &s.got), PS_ERR_NOTFOUND,
                     "byte %zu changed", i);
    }
    struct chal t = {0};
    ps_challenge_signin_new(key, &t.c);
    cr_assert_neq(memcmp(s.c.bytes, t.c.bytes, PS_CHALLENGE_BYTES), 0, "each one fresh");
    struct ps_diag d;
    cr_assert_eq(ps_challenge_signin_check(key, s.c.bytes, sizeof s.c.bytes, &s.got), PS_OK);
    cr_assert_eq(run(chal_spend_op, &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(chal_spend_op, &s, &d), PS_ERR_EXISTS, "spent once");
    cr_assert_eq(ps_challenge_signin_check(key, t.c.bytes, sizeof t.c.bytes, &t.got), PS_OK);
    cr_assert_eq(run(chal_spend_op, &t, &d), PS_OK, "another one is its own");
    /* a spent challenge cannot be taken as an enrolment one (its row is not one) */
    s.want = PS_CHALLENGE_ENROL;
    cr_assert_eq(run(chal_take_op, &s, &d), PS_ERR_NOTFOUND);
    ps_clock_set_fixed(now + PS_CHALLENGE_TTL_MS);
    cr_assert_eq(ps_challenge_signin_check(key, s.c.bytes, sizeof s.c.bytes, &s.got), PS_OK);
    cr_assert(s.got.expired, "expired at its expiry");
}

/* ---- passkeys and sessions ---- */

struct pk {
    unsigned char handle[32];
    struct ps_passkey p;
    char token[PS_SESSION_TOKEN_LEN + 1];
    struct ps_session s;
    struct ps_session_cfg cfg;
    struct ps_passkey list[PS_PASSKEYS_MAX];
    size_t n;
    struct ps_actor self;
};

static enum ps_err add_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct pk *k = arg;
    return ps_passkey_add(tx, k->handle, &k->p, diag);
}

static enum ps_err session_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct pk *k = arg;
    return ps_session_create(tx, k->p.rnokpp, k->p.id, S("Test browser"), &k->cfg, k->token,
                             &k->s, diag);
}

static enum ps_err find_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct pk *k = arg;
    return ps_session_find(tx, ps_str_from_cstr(k->token), &k->cfg, arena, &k->s, diag);
}

static enum ps_err touch_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    return ps_session_touch(tx, ((struct pk *)arg)->s.id, diag);
}

static enum ps_err remove_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct pk *k = arg;
    return ps_passkey_remove(tx, &k->self, k->p.rnokpp, ps_str_from_cstr(k->p.id), diag);
}

static enum ps_err list_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct pk *k = arg;
    return ps_passkeys_of(tx, k->p.rnokpp, arena, k->list, PS_PASSKEYS_MAX, &k->n, diag);
}

static struct pk enrolled(const struct ps_person *who, const char *cred)
{
    struct pk k;
    memset(&k, 0, sizeof k);
    memset(k.handle, 9, sizeof k.handle);
    k.p.rnokpp = who->rnokpp;
    k.p.credential_id = S(cred);
    k.p.public_key = S("cose-key-bytes");
    k.p.alg = -7;
    k.p.transports = S("internal hybrid");
    k.p.name = S("Phone");
    k.self = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = who->rnokpp};
    struct ps_diag d;
    cr_assert_eq(run(add_op, &k, &d), PS_OK, "%s", d.message);
    return k;
}

Test(passkey, last_one_stays_and_removal_ends_its_sessions, .init = setup, .fini = teardown)
{
    struct pk a = enrolled(&people[0], "cred-a"), again = a;
    struct ps_diag d;
    cr_assert_eq(run(add_op, &again, &d), PS_ERR_EXISTS, "the same credential id twice");
    cr_assert_eq(run(remove_op, &a, &d), PS_ERR_EXISTS, "%s", d.message);
    cr_assert(strstr(d.message, "last passkey"), "%s", d.message);
    struct pk b = enrolled(&people[0], "cred-b");
    cr_assert_eq(run(session_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(find_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(remove_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(find_op, &a, &d), PS_ERR_DENIED, "its session ended with it");
    cr_assert_eq(run(list_op, &b, &d), PS_OK);
    cr_assert_eq(b.n, 1);
    cr_assert_str_eq(b.list[0].id, b.p.id);
    cr_assert_eq(count_rows("passkey.add"), 2);
    cr_assert_eq(count_rows("passkey.remove"), 1);
    /* another person cannot use this account's handle */
    struct pk other;
    memset(&other, 0, sizeof other);
    memset(other.handle, 8, sizeof other.handle);
    other.p = b.p;
    other.p.credential_id = S("cred-c");
    cr_assert_eq(run(add_op, &other, &d), PS_ERR_EXISTS, "a different handle for the account");
}

Test(session, idle_and_absolute_limits_roles_and_hashed_token, .init = setup, .fini = teardown)
{
    struct pk a = enrolled(&people[0], "cred-a");
    struct ps_diag d;
    int64_t now = ps_clock_now_ms();
    ps_clock_set_fixed(now);
    a.cfg = (struct ps_session_cfg){.idle_ms = 60000, .absolute_ms = 600000};
    cr_assert_eq(run(session_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert(strncmp(a.token, "ps_sess_", 8) == 0);
    cr_assert_eq(strlen(a.token), PS_SESSION_TOKEN_LEN);
    cr_assert_eq(count_rows("session.start"), 1);
    ps_clock_set_fixed(now + 59000);
    cr_assert_eq(run(find_op, &a, &d), PS_OK, "%s", d.message);
    cr_assert_eq(a.s.nroles, 0);
    ps_clock_set_fixed(now + 61000);
    cr_assert_eq(run(find_op, &a, &d), PS_ERR_DENIED, "idle");
    cr_assert(strstr(d.message, "inactivity"), "%s", d.message);
    /* a touch keeps it alive; the absolute limit does not move */
    struct pk b = a;
    ps_clock_set_fixed(now);
    cr_assert_eq(run(session_op, &b, &d), PS_OK);
    ps_clock_set_fixed(now + 50000);
    cr_assert(!ps_session_touch_due(&b.s, now + 50000), "not yet a minute");
    cr_assert(ps_session_touch_due(&b.s, now + PS_SESSION_TOUCH_MS));
    cr_assert_eq(run(touch_op, &b, &d), PS_OK, "%s", d.message);
    ps_clock_set_fixed(now + 100000);
    cr_assert_eq(run(find_op, &b, &d), PS_OK, "touched at 50 s: alive at 100 s: %s", d.message);
    a.token[PS_SESSION_TOKEN_LEN - 1] ^= 1;
    cr_assert_eq(run(find_op, &a, &d), PS_ERR_DENIED, "a forged token");
    cr_assert_str_eq(d.message, "unknown session");
    ps_clock_set_fixed(now + 600001);
    cr_assert_eq(run(find_op, &b, &d), PS_ERR_DENIED, "past the absolute limit");
}

/* ---- roles ---- */

struct grant {
    struct ps_str rnokpp;
    struct ps_role role;
    struct ps_role_grant out;
    struct ps_diag refused;
    struct ps_role roles[PS_ROLES_MAX];
    size_t n;
};

static enum ps_err grant_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct grant *g = arg;
    return ps_role_grant(tx, &admin, g->rnokpp, &g->role, S("appointed"), &g->out, &g->refused,
                         diag);
}

static enum ps_err revoke_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct grant *g = arg;
    return ps_role_revoke(tx, &admin, g->role.agency, ps_str_from_cstr(g->out.id), S("left"),
                          diag);
}

static enum ps_err roles_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct grant *g = arg;
    return ps_roles_of(tx, g->rnokpp, arena, g->roles, PS_ROLES_MAX, &g->n, diag);
}

Test(official, grant_once_revoke_and_sessions_carry_roles, .init = setup, .fini = teardown)
{
    struct grant g = {.rnokpp = people[1].rnokpp,
                      .role = {S("registrar"), S("pfu"), S("Львівська область")}};
    struct ps_diag d;
    cr_assert_eq(run(grant_op, &g, &d), PS_OK, "%s", d.message);
    cr_assert_eq(g.refused.code, PS_OK);
    struct grant twice = g;
    cr_assert_eq(run(grant_op, &twice, &d), PS_ERR_EXISTS, "held already");
    struct grant bad = g;
    bad.role.name = S("king");
    cr_assert_eq(run(grant_op, &bad, &d), PS_ERR_INVALID);
    bad.role = (struct ps_role){S("clerk"), S("nosuchagency"), S("")};
    cr_assert_eq(run(grant_op, &bad, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "agency"), "%s", d.message);
    cr_assert_eq(run(roles_op, &g, &d), PS_OK);
    cr_assert_eq(g.n, 1);
    cr_assert(ps_str_eq_cstr(g.roles[0].oblast, "Львівська область"));
    struct pk k = enrolled(&people[1], "cred-x");
    cr_assert_eq(run(session_op, &k, &d), PS_OK);
    cr_assert_eq(run(find_op, &k, &d), PS_OK);
    cr_assert_eq(k.s.nroles, 1, "the session carries the role");
    cr_assert(ps_str_eq_cstr(k.s.roles[0].name, "registrar"));
    cr_assert_eq(run(revoke_op, &g, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(revoke_op, &g, &d), PS_ERR_NOTFOUND, "revoked once");
    cr_assert_eq(run(roles_op, &g, &d), PS_OK);
    cr_assert_eq(g.n, 0);
    cr_assert_eq(count_rows("role.grant"), 1);
    cr_assert_eq(count_rows("role.revoke"), 1);
}

/* ---- clients ---- */

struct cl {
    struct ps_client c;
    struct ps_str nonce;
};

static enum ps_err client_add_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    return ps_client_add(tx, &admin, &((struct cl *)arg)->c, S("bank onboarding"), diag);
}

static enum ps_err nonce_op(struct ps_tx *tx, void *arg, struct ps_diag *diag)
{
    struct cl *c = arg;
    return ps_client_nonce_use(tx, c->c.id, c->nonce, diag);
}

Test(client, add_validates_and_nonces_are_single_use, .init = setup, .fini = teardown)
{
    unsigned char pk[32];
    memset(pk, 1, sizeof pk);
    struct cl c = {.c = {.id = S("bank-7"), .agency = S("mintsyfra"), .name = S("Bank"),
                         .alg = PS_CLIENT_ED25519, .public_key = {(const char *)pk, 32},
                         .scopes = PS_SCOPE_REGISTRY_READ},
                   .nonce = S("n-1")};
    struct ps_diag d;
    cr_assert_eq(run(client_add_op, &c, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(client_add_op, &c, &d), PS_ERR_EXISTS);
    struct cl bad = c;
    bad.c.id = S("Bank 7");
    cr_assert_eq(run(client_add_op, &bad, &d), PS_ERR_INVALID);
    bad = c;
    bad.c.id = S("bank-8");
    bad.c.public_key.len = 31;
    cr_assert_eq(run(client_add_op, &bad, &d), PS_ERR_INVALID);
    unsigned scopes = 0;
    cr_assert_eq(ps_client_scopes_parse(S("registry:read,documents:verify"), &scopes, &d), PS_OK);
    cr_assert_eq(scopes, PS_SCOPE_REGISTRY_READ | PS_SCOPE_DOCUMENTS_VERIFY);
    cr_assert_eq(ps_client_scopes_parse(S("registry:write"), &scopes, &d), PS_ERR_INVALID);
    cr_assert_eq(run(nonce_op, &c, &d), PS_OK, "%s", d.message);
    cr_assert_eq(run(nonce_op, &c, &d), PS_ERR_DENIED, "replayed");
    c.nonce = S("n-2");
    cr_assert_eq(run(nonce_op, &c, &d), PS_OK);
    cr_assert_eq(count_rows("client.add"), 1);
}
