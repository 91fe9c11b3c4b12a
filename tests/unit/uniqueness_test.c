/* The uniqueness rules the database enforces (migration 0005, src/registries/business.c,
 * civil.c, share.c): one active sole-proprietor registration per person, one active marriage
 * per person, one use per share code. Each rule has its ordinary cases and a race: N threads
 * submit the same act at once through two stores on one database (two "nodes"), and exactly
 * one may win. The status check that precedes each act is a read of the person's data: an
 * official's is recorded in access_log and commits even when the act is refused, a citizen's
 * about themselves is not recorded. So do refusals by the uniqueness rules themselves
 * ("already married", "already registered", nothing to terminate, a marriage no longer
 * active): they are PS_OK with `refused` set, never an error that rolls the record back. The triggers that keep history immutable are each tested
 * where only the trigger can refuse, by its message. Runs on SQLite, and on PostgreSQL when
 * PS_TEST_DB is set (scripts/pg-suite.sh). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sodium.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "registries/business.h"
#include "registries/civil.h"
#include "registries/date.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"
#include "registries/share.h"
#include "registries/unzr.h"
#include "store/store.h"
#include "tlog/access.h"
#include "pg_helper.h"
#include "tx_helper.h"

/* Writers in each race; two stores share them. */
#define RACERS 16

static struct ps_str S(const char *s)
{
    return ps_str_from_cstr(s);
}

/* ---- stores: two on one database ---- */

static struct ps_store *store, *store2;
static char dbpath[64];
static char pg_url[512], pg_schema[64];

static struct ps_store *open_one(const char *url)
{
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = url;
    struct ps_store *s = NULL;
    struct ps_diag diag = {0};
    enum ps_err e = ps_store_open(&o, &s, &diag);
    cr_assert_eq(e, PS_OK, "open %s: %s", url, diag.message);
    return s;
}

static void setup(void)
{
    int n = snprintf(dbpath, sizeof dbpath, "/tmp/ps-uniq-%d.db", (int)getpid());
    cr_assert(n > 0 && (size_t)n < sizeof dbpath);
    unlink(dbpath);
    pg_schema[0] = '\0';
    bool pg = ps_test_pg_base() != NULL;
    if (pg)
        cr_assert(ps_test_pg_fresh(pg_url, sizeof pg_url, pg_schema), "PS_TEST_DB: no schema");
    store = open_one(pg ? pg_url : dbpath);
    store2 = open_one(pg ? pg_url : dbpath);
}

static void teardown(void)
{
    ps_store_free(store2);
    ps_store_free(store);
    store = store2 = NULL;
    ps_clock_set_fixed(-1);
    if (pg_schema[0])
        ps_test_pg_drop(pg_schema);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[80];
        if (snprintf(p, sizeof p, "%s%s", dbpath, suffix[i]) < (int)sizeof p)
            unlink(p);
    }
}

TestSuite(sole_proprietor, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(marriage, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(share, .init = setup, .fini = teardown, .timeout = 120);

/* ---- persons ---- */

/* Person k (k < 1000): born on day 4000 + k after 1970-01-01 (from 1980-12-14), alive unless
 * told otherwise. */
struct test_person {
    char rnokpp[PS_RNOKPP_LEN + 1], unzr[PS_UNZR_LEN + 1], id_card[10];
    struct ps_person p;
    struct ps_diag diag;
};

static void make_person(int k, enum ps_sex sex, enum ps_person_status status,
                        struct test_person *t)
{
    struct ps_date d = ps_date_from_days(4000 + k);
    cr_assert_eq(ps_rnokpp_make(d, sex, 1, t->rnokpp), PS_OK);
    cr_assert_eq(ps_unzr_make(d, 1, t->unzr), PS_OK);
    int n = snprintf(t->id_card, sizeof t->id_card, "%09d", 100000000 + k);
    cr_assert_eq(n, 9);
    t->p = (struct ps_person){
        .rnokpp = S(t->rnokpp),
        .unzr = S(t->unzr),
        .id_card = S(t->id_card),
        .surname = S("Коваленко"),
        .given_name = S(sex == PS_SEX_MALE ? "Петро" : "Олена"),
        .patronymic = S(""),
        .birth_date = d,
        .sex = sex,
        .address = {S("м. Київ"), S("Київська міська територіальна громада"), S("м. Київ"),
                    S("вул. Хрещатик"), S("1")},
        .status = status,
    };
}

static enum ps_err insert_tx(struct ps_tx *tx, void *ctx)
{
    struct test_person *t = ctx;
    return ps_persons_insert(tx, &t->p, &t->diag);
}

/* Registers person k and returns their RNOKPP in t. */
static void add_person(int k, enum ps_sex sex, enum ps_person_status status,
                       struct test_person *t)
{
    make_person(k, sex, status, t);
    struct ps_diag diag = {0};
    cr_assert_eq(ps_store_write(store, insert_tx, t, &diag), PS_OK, "%s", t->diag.message);
}

/* ---- queries of the test itself ---- */

struct count_q {
    const struct ps_sql *sql;
    const char *arg, *arg2; /* $1 and $2, or NULL for none */
    int64_t n;
};

static enum ps_err count_tx(struct ps_tx *tx, void *ctx)
{
    struct count_q *q = ctx;
    return tx_run(tx, q->sql, &q->n, q->arg2 ? "tt" : q->arg ? "t" : "", q->arg, q->arg2);
}

static int64_t count2(const struct ps_sql *sql, const char *arg, const char *arg2)
{
    struct count_q q = {sql, arg, arg2, -1};
    struct ps_diag diag = {0};
    cr_assert_eq(ps_store_read(store, count_tx, &q, &diag), PS_OK, "%s: %s", sql->name,
                 diag.message);
    return q.n;
}

static int64_t count(const struct ps_sql *sql, const char *arg)
{
    return count2(sql, arg, NULL);
}

static const struct ps_sql changes_of = {
    "test.changes_of", "SELECT count(*) FROM access_log WHERE kind = 'change' AND action = $1",
};
static const struct ps_sql log_rows = {"test.log_rows", "SELECT count(*) FROM access_log"};
static const struct ps_sql access_rows = {
    "test.access_rows", "SELECT count(*) FROM access_log WHERE kind = 'access'"};
/* The record of an official's status check of person $1 for purpose $2 (rule 3). */
static const struct ps_sql status_reads = {
    "test.status_reads",
    "SELECT count(*) FROM access_log WHERE kind = 'access' AND action = 'person.status.read' "
    "AND subject = $1 AND resource = 'persons/' || $1 || '#status' AND actor_kind = 'official' "
    "AND actor_id = 'registrar-7' AND purpose = $2",
};
/* All committed status reads of person $1 (any purpose). */
static const struct ps_sql status_reads_of = {
    "test.status_reads_of",
    "SELECT count(*) FROM access_log WHERE kind = 'access' AND action = 'person.status.read' "
    "AND subject = $1",
};
/* The record of an official's look at person $1's active registration, purpose $2. */
static const struct ps_sql registration_reads = {
    "test.registration_reads",
    "SELECT count(*) FROM access_log WHERE kind = 'access' "
    "AND action = 'sole-proprietor.status.read' AND subject = $1 "
    "AND resource = 'persons/' || $1 || '#sole-proprietor' AND actor_kind = 'official' "
    "AND actor_id = 'registrar-7' AND purpose = $2",
};
/* The record of an official's look at marriage $2 of spouse $1 (purpose "court decision 5"). */
static const struct ps_sql marriage_reads = {
    "test.marriage_reads",
    "SELECT count(*) FROM access_log WHERE kind = 'access' AND action = 'marriage.status.read' "
    "AND subject = $1 AND resource = 'marriages/' || $2 || '#status' "
    "AND actor_kind = 'official' AND actor_id = 'registrar-7' AND purpose = 'court decision 5'",
};
static const struct ps_sql actions_of = {
    "test.actions_of", "SELECT count(*) FROM access_log WHERE kind = 'access' AND action = $1"};
static const struct ps_sql all_parties = {"test.all_parties",
                                          "SELECT count(*) FROM marriage_parties"};
static const struct ps_sql active_registrations = {
    "test.active_sp",
    "SELECT count(*) FROM sole_proprietors WHERE rnokpp = $1 AND status = 'active'",
};
static const struct ps_sql all_registrations = {
    "test.all_sp", "SELECT count(*) FROM sole_proprietors WHERE rnokpp = $1",
};
static const struct ps_sql terminated_with_time = {
    "test.terminated_sp",
    "SELECT count(*) FROM sole_proprietors WHERE rnokpp = $1 AND status = 'terminated' "
    "AND terminated_at_ms IS NOT NULL",
};
static const struct ps_sql active_parties = {
    "test.active_parties",
    "SELECT count(*) FROM marriage_parties WHERE rnokpp = $1 AND status = 'active'",
};
static const struct ps_sql all_marriages = {"test.all_marriages",
                                            "SELECT count(*) FROM marriages"};
static const struct ps_sql active_marriages = {
    "test.active_marriages", "SELECT count(*) FROM marriages WHERE status = 'active'"};
static const struct ps_sql used_codes = {
    "test.used_codes", "SELECT count(*) FROM share_codes WHERE used_at_ms IS NOT NULL"};
static const struct ps_sql all_codes = {"test.all_codes", "SELECT count(*) FROM share_codes"};
/* The code must appear in no stored text (rule 8). */
static const struct ps_sql code_in_text = {
    "test.code_in_text",
    "SELECT (SELECT count(*) FROM access_log WHERE actor_id = $1 OR subject = $1 OR "
    "resource = $1 OR purpose = $1 OR actor_id LIKE '%' || $1 || '%' OR "
    "purpose LIKE '%' || $1 || '%') + (SELECT count(*) FROM share_codes WHERE id = $1 OR "
    "resource LIKE '%' || $1 || '%')",
};

struct exec_q {
    const struct ps_sql *sql;
    char errmsg[512]; /* the database's detail when it failed */
};

static enum ps_err exec_tx(struct ps_tx *tx, void *ctx)
{
    struct exec_q *q = ctx;
    enum ps_err e = ps_tx_exec(tx, q->sql);
    if (e != PS_OK)
        snprintf(q->errmsg, sizeof q->errmsg, "%s", ps_tx_errmsg(tx));
    return e;
}

/* Runs test fixture SQL that must succeed. */
static void exec_ok(const struct ps_sql *sql)
{
    struct exec_q q = {sql, ""};
    struct ps_diag diag = {0};
    cr_assert_eq(ps_store_write(store, exec_tx, &q, &diag), PS_OK, "%s: %s", sql->sql,
                 q.errmsg);
}

/* The triggers' messages (migration 0005). SQLite has one trigger for UPDATE and one for
 * DELETE; PostgreSQL one guard function that answers both (and TRUNCATE) alike. */
#define SP_TRANSITION "sole_proprietors: only active -> terminated may change"
#define MARRIAGE_TRANSITION "marriages: only active -> dissolved may change"
#define PARTY_TRANSITION "marriage_parties: only active -> dissolved may change"
#define CODE_TRANSITION "share_codes: only unused -> used may change"

/* Runs a statement that only a trigger can refuse (the test sets the rows up so that no index,
 * key or check would) and asserts that the trigger did: want in the database's error, on
 * SQLite, or want_pg (NULL: want) on PostgreSQL. */
static void refused(const struct ps_sql *sql, const char *want, const char *want_pg)
{
    struct exec_q q = {sql, ""};
    struct ps_diag diag = {0};
    if (want_pg && ps_store_backend(store) == PS_STORE_POSTGRES)
        want = want_pg;
    cr_assert_neq(ps_store_write(store, exec_tx, &q, &diag), PS_OK, "%s ran", sql->sql);
    cr_assert(strstr(q.errmsg, want), "%s: refused with \"%s\", not by the trigger (\"%s\")",
              sql->sql, q.errmsg, want);
}

/* ---- the race harness ---- */

struct race {
    pthread_barrier_t start;
    ps_tx_fn fn;
    void *ctx[RACERS];
    size_t diag_off; /* where each ctx keeps the domain function's diag */
    bool refusals;      /* losers are refusals: PS_OK with the diag at refused_off set */
    size_t refused_off;
    enum ps_err result[RACERS];
    struct ps_diag diag[RACERS];
};

struct racer {
    struct race *r;
    int i;
};

static void *racer_main(void *arg)
{
    struct racer *me = arg;
    struct race *r = me->r;
    pthread_barrier_wait(&r->start);
    /* even racers on one store, odd on the other: two nodes, one database */
    r->result[me->i] = ps_store_write(me->i % 2 ? store2 : store, r->fn, r->ctx[me->i],
                                      &r->diag[me->i]);
    return NULL;
}

/* Runs fn(ctx[i]) for every racer at once; asserts that exactly one wins and every other one
 * loses with lose and lose_message in its reason: as an error, or, with r->refusals, as a
 * refusal (PS_OK, the ctx's refused diag set; the winner's cleared). Returns the winner. */
static int race(struct race *r, enum ps_err lose, const char *lose_message)
{
    pthread_t t[RACERS];
    struct racer who[RACERS];
    struct ps_store_stats before[2], after[2];
    ps_store_stats(store, &before[0]);
    ps_store_stats(store2, &before[1]);
    cr_assert_eq(pthread_barrier_init(&r->start, NULL, RACERS), 0);
    for (int i = 0; i < RACERS; i++) {
        who[i] = (struct racer){r, i};
        cr_assert_eq(pthread_create(&t[i], NULL, racer_main, &who[i]), 0);
    }
    for (int i = 0; i < RACERS; i++)
        cr_assert_eq(pthread_join(t[i], NULL), 0);
    pthread_barrier_destroy(&r->start);
    ps_store_stats(store, &after[0]);
    ps_store_stats(store2, &after[1]);
    printf("race %s: %d racers, %llu commits, %llu retries\n", lose_message, RACERS,
           (unsigned long long)(after[0].commits - before[0].commits + after[1].commits -
                                before[1].commits),
           (unsigned long long)(after[0].retries - before[0].retries + after[1].retries -
                                before[1].retries));
    int wins = 0, winner = -1;
    for (int i = 0; i < RACERS; i++) {
        const struct ps_diag *no =
            r->refusals ? (const struct ps_diag *)((char *)r->ctx[i] + r->refused_off) : NULL;
        if (r->result[i] == PS_OK && (!no || no->code == PS_OK)) {
            wins++;
            winner = i;
            continue;
        }
        if (no) {
            const struct ps_diag *d = (const struct ps_diag *)((char *)r->ctx[i] + r->diag_off);
            cr_assert_eq(r->result[i], PS_OK, "racer %d: an error, not a refusal: %s: %s / %s",
                         i, ps_err_name(r->result[i]), d->message, r->diag[i].message);
            cr_assert_eq(no->code, lose, "racer %d: %s: %s", i, ps_err_name(no->code),
                         no->message);
            cr_assert(strstr(no->message, lose_message), "racer %d: %s", i, no->message);
            continue;
        }
        const struct ps_diag *d = (const struct ps_diag *)((char *)r->ctx[i] + r->diag_off);
        cr_assert_eq(r->result[i], lose, "racer %d: %s: %s / %s", i, ps_err_name(r->result[i]),
                     d->message, r->diag[i].message);
        cr_assert(strstr(d->message, lose_message), "racer %d: %s", i, d->message);
    }
    cr_assert_eq(wins, 1, "%d of %d racers won", wins, RACERS);
    return winner;
}

static const struct ps_actor registrar = {.kind = PS_ACTOR_OFFICIAL, .id = {"registrar-7", 11}};

/* ==== sole proprietors ==== */

static void kved_bad(const char *code, const char *msg)
{
    struct ps_diag diag = {0};
    cr_assert_eq(ps_kved_validate(S(code), &diag), PS_ERR_INVALID, "%s", code);
    cr_assert_str_eq(diag.message, msg, "%s", code);
}

Test(kved, format_and_divisions)
{
    const char *good[] = {"62.01", "01.11", "03.22", "47.11", "58.29", "66.30", "99.00"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        cr_assert_eq(ps_kved_validate(S(good[i]), NULL), PS_OK, "%s", good[i]);
    kved_bad("6201", "KVED code must be NN.NN, e.g. 62.01");
    kved_bad("62.0", "KVED code must be NN.NN, e.g. 62.01");
    kved_bad("62.011", "KVED code must be NN.NN, e.g. 62.01");
    kved_bad("62,01", "KVED code must be NN.NN, e.g. 62.01");
    kved_bad("6a.01", "KVED code must be NN.NN, e.g. 62.01");
    kved_bad("62.0x", "KVED code must be NN.NN, e.g. 62.01");
    kved_bad("", "KVED code must be NN.NN, e.g. 62.01");
    const char *gaps[] = {"00", "04", "34", "40", "44", "48", "54", "57", "67", "76", "83", "89"};
    for (size_t i = 0; i < sizeof gaps / sizeof gaps[0]; i++) {
        char code[6], msg[64];
        snprintf(code, sizeof code, "%s.10", gaps[i]);
        snprintf(msg, sizeof msg, "KVED-2010 has no division %s", gaps[i]);
        kved_bad(code, msg);
    }
    /* all the others exist: 88 divisions */
    int n = 0;
    for (int d = 0; d < 100; d++) {
        char code[6];
        snprintf(code, sizeof code, "%02d.10", d);
        n += ps_kved_validate(S(code), NULL) == PS_OK;
    }
    cr_assert_eq(n, 88);
}

struct sp_ctx {
    struct ps_str rnokpp, kved;
    const struct ps_actor *actor; /* NULL: the registrar */
    struct ps_str reason;         /* PS_STR_NULL: "application 1" */
    char id[37];
    struct ps_diag refused, diag;
};

static enum ps_err sp_register_tx(struct ps_tx *tx, void *ctx)
{
    struct sp_ctx *c = ctx;
    return ps_sole_proprietor_register(tx, c->actor ? c->actor : &registrar, c->rnokpp, c->kved,
                                       c->reason.p ? c->reason : S("application 1"), c->id,
                                       &c->refused, &c->diag);
}

static enum ps_err sp_terminate_tx(struct ps_tx *tx, void *ctx)
{
    struct sp_ctx *c = ctx;
    return ps_sole_proprietor_terminate(tx, c->actor ? c->actor : &registrar, c->rnokpp,
                                        c->reason.p ? c->reason : S("application 2"), c->id,
                                        &c->refused, &c->diag);
}

/* Runs fn with c in one job; the function's own diag is what the caller sees. */
static enum ps_err sp_run(ps_tx_fn fn, struct sp_ctx *c)
{
    struct ps_diag sd = {0};
    memset(&c->diag, 0, sizeof c->diag);
    memset(&c->refused, 0, sizeof c->refused);
    memset(c->id, 'x', sizeof c->id - 1);
    c->id[sizeof c->id - 1] = '\0';
    enum ps_err e = ps_store_write(store, fn, c, &sd);
    cr_assert(e == PS_OK || c->diag.code == e, "%s: %s / %s", ps_err_name(e), c->diag.message,
              sd.message);
    if (e == PS_OK && c->refused.code != PS_OK)
        cr_assert_str_eq(c->id, "", "a refused act has an id");
    return e;
}

/* Statements only the triggers refuse: each is valid for every index, key and check. */
static const struct ps_sql sp_change_kved = {
    "test.sp_change_kved", "UPDATE sole_proprietors SET kved = '01.11'"};
static const struct ps_sql sp_change_registered_at = {
    "test.sp_change_registered_at",
    "UPDATE sole_proprietors SET registered_at_ms = registered_at_ms + 1"};
/* Only registrations of persons with no active one: the unique index has nothing to refuse. */
static const struct ps_sql sp_reactivate = {
    "test.sp_reactivate",
    "UPDATE sole_proprietors SET status = 'active', terminated_at_ms = NULL "
    "WHERE status = 'terminated' AND rnokpp NOT IN "
    "(SELECT rnokpp FROM sole_proprietors WHERE status = 'active')"};
static const struct ps_sql sp_delete = {"test.sp_delete", "DELETE FROM sole_proprietors"};

Test(sole_proprietor, register_terminate_register_again)
{
    struct test_person a;
    add_person(1, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    struct sp_ctx c = {.rnokpp = S(a.rnokpp), .kved = S("62.01")};
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(strlen(c.id), PS_SOLE_PROPRIETOR_ID_LEN);
    char first[37];
    memcpy(first, c.id, sizeof first);
    /* a second active registration: the index refuses it, with a precise reason, and the
     * status reads of both attempts are committed */
    c.kved = S("47.11");
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_EXISTS);
    char want[160];
    snprintf(want, sizeof want,
             "the person with RNOKPP %s is already registered as a sole proprietor (an active "
             "registration exists)",
             a.rnokpp);
    cr_assert_str_eq(c.refused.message, want);
    cr_assert_eq(count(&all_registrations, a.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "sole-proprietor.register"), 1);
    cr_assert_eq(count2(&status_reads, a.rnokpp, "application 1"), 2);
    cr_assert_eq(count(&access_rows, NULL), 2);
    /* terminate (no access row: the change records it), then nothing is left to terminate:
     * a refusal whose read is recorded */
    cr_assert_eq(sp_run(sp_terminate_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_OK, "%s", c.refused.message);
    cr_assert_str_eq(c.id, first);
    cr_assert_eq(count(&terminated_with_time, a.rnokpp), 1);
    cr_assert_eq(count(&active_registrations, a.rnokpp), 0);
    cr_assert_eq(count(&access_rows, NULL), 2);
    cr_assert_eq(sp_run(sp_terminate_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_NOTFOUND);
    snprintf(want, sizeof want,
             "the person with RNOKPP %s has no active sole-proprietor registration", a.rnokpp);
    cr_assert_str_eq(c.refused.message, want);
    cr_assert_eq(count2(&registration_reads, a.rnokpp, "application 2"), 1);
    cr_assert_eq(count(&changes_of, "sole-proprietor.terminate"), 1);
    /* registering again after termination works: a new registration, the old one kept */
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_str_neq(c.id, first);
    cr_assert_eq(count(&all_registrations, a.rnokpp), 2);
    cr_assert_eq(count(&active_registrations, a.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "sole-proprietor.register"), 2);
    cr_assert_eq(count2(&status_reads, a.rnokpp, "application 1"), 3);
    /* b registers and terminates: a terminated registration whose person has no active one */
    struct test_person b;
    add_person(5, PS_SEX_FEMALE, PS_PERSON_ALIVE, &b);
    struct sp_ctx cb = {.rnokpp = S(b.rnokpp), .kved = S("62.01")};
    cr_assert_eq(sp_run(sp_register_tx, &cb), PS_OK, "%s", cb.diag.message);
    cr_assert_eq(sp_run(sp_terminate_tx, &cb), PS_OK, "%s", cb.diag.message);
    /* history is immutable: no edits, no reactivation, no deletes; only the trigger refuses */
    refused(&sp_change_kved, SP_TRANSITION, NULL);
    refused(&sp_change_registered_at, SP_TRANSITION, NULL);
    refused(&sp_reactivate, SP_TRANSITION, NULL);
    refused(&sp_delete, "sole_proprietors is append-only", SP_TRANSITION);
    cr_assert_eq(count(&all_registrations, a.rnokpp), 2);
    cr_assert_eq(count(&active_registrations, a.rnokpp), 1);
    cr_assert_eq(count(&active_registrations, b.rnokpp), 0);
}

/* An official asks to register a deceased person and a valid RNOKPP nobody has: the refusal
 * tells them the person's status, so the read is committed in access_log, and no act is. */
Test(sole_proprietor, refusals_commit_the_status_read_only)
{
    struct test_person dead, ghost;
    add_person(2, PS_SEX_FEMALE, PS_PERSON_DECEASED, &dead);
    make_person(3, PS_SEX_FEMALE, PS_PERSON_ALIVE, &ghost); /* never registered */
    char want[128];
    struct sp_ctx c = {.rnokpp = S(dead.rnokpp), .kved = S("62.01")};
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_INVALID);
    snprintf(want, sizeof want, "the person with RNOKPP %s is deceased", dead.rnokpp);
    cr_assert_str_eq(c.refused.message, want);
    cr_assert_eq(count(&log_rows, NULL), 1);
    cr_assert_eq(count2(&status_reads, dead.rnokpp, "application 1"), 1);
    cr_assert_eq(count(&all_registrations, dead.rnokpp), 0);
    c.rnokpp = S(ghost.rnokpp);
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_NOTFOUND);
    snprintf(want, sizeof want, "no person with RNOKPP %s", ghost.rnokpp);
    cr_assert_str_eq(c.refused.message, want);
    cr_assert_eq(count(&log_rows, NULL), 2);
    cr_assert_eq(count2(&status_reads, ghost.rnokpp, "application 1"), 1);
    /* refusals that read nothing are errors and leave nothing */
    c.rnokpp = S("3287300013");
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_ERR_INVALID);
    cr_assert_str_eq(c.diag.message, "RNOKPP check digit is 3, expected 2");
    cr_assert_eq(sp_run(sp_terminate_tx, &c), PS_ERR_INVALID);
    c.rnokpp = S(dead.rnokpp);
    c.kved = S("04.10");
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_ERR_INVALID);
    cr_assert_str_eq(c.diag.message, "KVED-2010 has no division 04");
    c.kved = S("62.01");
    c.reason = S("");
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_ERR_INVALID);
    cr_assert_str_eq(c.diag.message, "a reason is required to act on another person's record");
    cr_assert_eq(count(&log_rows, NULL), 2);
    cr_assert_eq(count(&all_registrations, dead.rnokpp), 0);
    cr_assert_eq(count(&changes_of, "sole-proprietor.register"), 0);
}

/* The defect this guards against: an official registers a person who already has an active
 * registration. The answer ("already registered") tells them the person exists, is alive and
 * is a sole proprietor, so it must be a refusal whose status read commits, not an error that
 * rolls the read back. */
Test(sole_proprietor, already_registered_is_a_committed_refusal)
{
    struct test_person a;
    add_person(8, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    struct sp_ctx c = {.rnokpp = S(a.rnokpp), .kved = S("62.01")};
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_OK, "%s", c.refused.message);
    c = (struct sp_ctx){.rnokpp = S(a.rnokpp), .kved = S("47.11"), .reason = S("application 9")};
    enum ps_err e = sp_run(sp_register_tx, &c);
    cr_assert_eq(e, PS_OK, "an error, not a refusal: %s: %s", ps_err_name(e), c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_EXISTS, "%s", ps_err_name(c.refused.code));
    char want[160];
    snprintf(want, sizeof want,
             "the person with RNOKPP %s is already registered as a sole proprietor (an active "
             "registration exists)",
             a.rnokpp);
    cr_assert_str_eq(c.refused.message, want);
    cr_assert_str_eq(c.id, "");
    /* no act: still the one registration and its one change entry */
    cr_assert_eq(count(&all_registrations, a.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "sole-proprietor.register"), 1);
    /* and the refused attempt's status read is committed */
    cr_assert_eq(count2(&status_reads, a.rnokpp, "application 9"), 1);
    cr_assert_eq(count(&status_reads_of, a.rnokpp), 2);
}

/* Terminating the registration of someone who has none tells the official so ("no active
 * registration for X"): a refusal whose read is recorded, for an unregistered person, a
 * terminated one and a number nobody has alike. A citizen asking about themselves records
 * nothing; a reason is required, before the read, from anyone else. */
Test(sole_proprietor, nothing_to_terminate_is_a_committed_refusal)
{
    struct test_person a, ghost;
    add_person(9, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    make_person(12, PS_SEX_FEMALE, PS_PERSON_ALIVE, &ghost);
    char want[160];
    struct sp_ctx c = {.rnokpp = S(a.rnokpp)};
    enum ps_err e = sp_run(sp_terminate_tx, &c);
    cr_assert_eq(e, PS_OK, "an error, not a refusal: %s: %s", ps_err_name(e), c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_NOTFOUND);
    snprintf(want, sizeof want,
             "the person with RNOKPP %s has no active sole-proprietor registration", a.rnokpp);
    cr_assert_str_eq(c.refused.message, want);
    cr_assert_str_eq(c.id, "");
    cr_assert_eq(count2(&registration_reads, a.rnokpp, "application 2"), 1);
    c = (struct sp_ctx){.rnokpp = S(ghost.rnokpp)};
    cr_assert_eq(sp_run(sp_terminate_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_NOTFOUND);
    cr_assert_eq(count2(&registration_reads, ghost.rnokpp, "application 2"), 1);
    cr_assert_eq(count(&log_rows, NULL), 2);
    /* no reason from an official: an error before anything is read */
    c = (struct sp_ctx){.rnokpp = S(a.rnokpp), .reason = S("")};
    cr_assert_eq(sp_run(sp_terminate_tx, &c), PS_ERR_INVALID);
    cr_assert_str_eq(c.diag.message, "a reason is required to act on another person's record");
    /* the person themselves: refused, nothing recorded */
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = S(a.rnokpp)};
    c = (struct sp_ctx){.rnokpp = S(a.rnokpp), .actor = &self, .reason = S("")};
    cr_assert_eq(sp_run(sp_terminate_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_NOTFOUND);
    cr_assert_eq(count(&log_rows, NULL), 2);
    cr_assert_eq(count(&changes_of, "sole-proprietor.terminate"), 0);
}

/* A citizen acting for themselves reads their own status: nothing to record, refused or not. */
Test(sole_proprietor, self_registration_records_no_access)
{
    struct test_person a, dead;
    add_person(6, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    add_person(7, PS_SEX_FEMALE, PS_PERSON_DECEASED, &dead);
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = S(a.rnokpp)};
    struct sp_ctx c = {.rnokpp = S(a.rnokpp), .kved = S("62.01"), .actor = &self,
                       .reason = S("")};
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_OK, "%s", c.refused.message);
    cr_assert_eq(count(&active_registrations, a.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "sole-proprietor.register"), 1);
    struct ps_actor dead_self = {.kind = PS_ACTOR_CITIZEN, .id = S(dead.rnokpp)};
    c = (struct sp_ctx){.rnokpp = S(dead.rnokpp), .kved = S("62.01"), .actor = &dead_self};
    cr_assert_eq(sp_run(sp_register_tx, &c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.refused.code, PS_ERR_INVALID);
    cr_assert_eq(count(&access_rows, NULL), 0);
    cr_assert_eq(count(&log_rows, NULL), 1);
}

Test(sole_proprietor, concurrent_registrations_one_wins)
{
    struct test_person a;
    add_person(4, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    const size_t off = offsetof(struct sp_ctx, diag), roff = offsetof(struct sp_ctx, refused);
    struct race r = {.fn = sp_register_tx, .diag_off = off, .refusals = true, .refused_off = roff};
    struct sp_ctx c[RACERS];
    for (int i = 0; i < RACERS; i++) {
        c[i] = (struct sp_ctx){.rnokpp = S(a.rnokpp), .kved = S(i % 2 ? "62.01" : "47.11")};
        r.ctx[i] = &c[i];
    }
    /* every loser is a refusal (a racer that meets the winner in the index is retried by the
     * committer and then refused), so every racer's status read is committed, once */
    int w = race(&r, PS_ERR_EXISTS, "is already registered as a sole proprietor");
    cr_assert_eq(strlen(c[w].id), PS_SOLE_PROPRIETOR_ID_LEN);
    cr_assert_eq(count(&all_registrations, a.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "sole-proprietor.register"), 1);
    cr_assert_eq(count(&status_reads_of, a.rnokpp), RACERS);
    /* and of N terminations of that registration, one ends it; the others' reads commit */
    struct race t = {.fn = sp_terminate_tx, .diag_off = off, .refusals = true, .refused_off = roff};
    for (int i = 0; i < RACERS; i++)
        t.ctx[i] = &c[i];
    w = race(&t, PS_ERR_NOTFOUND, "has no active sole-proprietor registration");
    cr_assert_eq(count(&terminated_with_time, a.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "sole-proprietor.terminate"), 1);
    cr_assert_eq(count2(&registration_reads, a.rnokpp, "application 2"), RACERS - 1);
    /* then N registrations again: one more registration, no more */
    r = (struct race){.fn = sp_register_tx, .diag_off = off, .refusals = true, .refused_off = roff};
    for (int i = 0; i < RACERS; i++)
        r.ctx[i] = &c[i];
    race(&r, PS_ERR_EXISTS, "is already registered as a sole proprietor");
    cr_assert_eq(count(&all_registrations, a.rnokpp), 2);
    cr_assert_eq(count(&active_registrations, a.rnokpp), 1);
    cr_assert_eq(count(&status_reads_of, a.rnokpp), 2 * RACERS);
}

/* ==== marriages ==== */

struct m_ctx {
    struct ps_str a, b, id;
    char new_id[37];
    struct ps_diag refused, diag;
};

static enum ps_err marry_tx(struct ps_tx *tx, void *ctx)
{
    struct m_ctx *c = ctx;
    return ps_marriage_register(tx, &registrar, c->a, c->b, S("application 3"), c->new_id,
                                &c->refused, &c->diag);
}

static enum ps_err dissolve_tx(struct ps_tx *tx, void *ctx)
{
    struct m_ctx *c = ctx;
    return ps_marriage_dissolve(tx, &registrar, c->id, S("court decision 5"), &c->refused,
                                &c->diag);
}

static enum ps_err m_run(ps_tx_fn fn, struct m_ctx *c)
{
    struct ps_diag sd = {0};
    memset(&c->diag, 0, sizeof c->diag);
    memset(&c->refused, 0, sizeof c->refused);
    enum ps_err e = ps_store_write(store, fn, c, &sd);
    cr_assert(e == PS_OK || c->diag.code == e, "%s: %s / %s", ps_err_name(e), c->diag.message,
              sd.message);
    if (fn == marry_tx && e == PS_OK && c->refused.code != PS_OK)
        cr_assert_str_eq(c->new_id, "", "a refused marriage has an id");
    return e;
}

static enum ps_err marry(const char *a, const char *b, struct m_ctx *c)
{
    *c = (struct m_ctx){.a = S(a), .b = S(b)};
    return m_run(marry_tx, c);
}

/* Statements only the triggers refuse: each is valid for every index, key and check. */
/* Only parties of persons with no active marriage: the unique index has nothing to refuse. */
static const struct ps_sql party_reactivate = {
    "test.party_reactivate",
    "UPDATE marriage_parties SET status = 'active' WHERE status = 'dissolved' AND rnokpp NOT IN "
    "(SELECT rnokpp FROM marriage_parties WHERE status = 'active')"};
/* One active party row to a registered person who was never married: the foreign key, the
 * primary key and the unique index all allow it. */
static const struct ps_sql party_move = {
    "test.party_move",
    "UPDATE marriage_parties SET rnokpp = (SELECT min(rnokpp) FROM persons WHERE rnokpp NOT IN "
    "(SELECT rnokpp FROM marriage_parties)) WHERE status = 'active' AND rnokpp = "
    "(SELECT min(rnokpp) FROM marriage_parties WHERE status = 'active')"};
static const struct ps_sql party_delete = {"test.party_delete",
                                           "DELETE FROM marriage_parties"};
static const struct ps_sql marriage_change_registered_at = {
    "test.marriage_change_registered_at",
    "UPDATE marriages SET registered_at_ms = registered_at_ms + 1"};
static const struct ps_sql marriage_reactivate = {
    "test.marriage_reactivate",
    "UPDATE marriages SET status = 'active', dissolved_at_ms = NULL WHERE status = 'dissolved'"};
/* A marriage without party rows, so that no foreign key stands in the trigger's way. */
#define ORPHAN_MARRIAGE "0190c3a2-7b1e-7000-8000-0000000000ff"
static const struct ps_sql marriage_orphan = {
    "test.marriage_orphan",
    "INSERT INTO marriages (id, registered_at_ms, status, dissolved_at_ms) VALUES ('"
    ORPHAN_MARRIAGE "', 1, 'active', NULL)"};
static const struct ps_sql marriage_delete = {
    "test.marriage_delete", "DELETE FROM marriages WHERE id = '" ORPHAN_MARRIAGE "'"};

Test(marriage, register_dissolve_marry_again)
{
    struct test_person a, b, c, d;
    add_person(10, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    add_person(11, PS_SEX_FEMALE, PS_PERSON_ALIVE, &b);
    add_person(12, PS_SEX_FEMALE, PS_PERSON_ALIVE, &c);
    add_person(13, PS_SEX_MALE, PS_PERSON_ALIVE, &d);
    struct m_ctx ab, x;
    cr_assert_eq(marry(a.rnokpp, b.rnokpp, &ab), PS_OK, "%s", ab.diag.message);
    cr_assert_eq(strlen(ab.new_id), PS_MARRIAGE_ID_LEN);
    cr_assert_eq(count(&active_parties, a.rnokpp), 1);
    cr_assert_eq(count(&active_parties, b.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "marriage.register"), 2); /* one per spouse */
    /* either spouse, on either side, is refused a second marriage */
    char want[96];
    cr_assert_eq(marry(a.rnokpp, c.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(x.refused.code, PS_ERR_EXISTS);
    snprintf(want, sizeof want, "the person with RNOKPP %s is already married", a.rnokpp);
    cr_assert_str_eq(x.refused.message, want);
    cr_assert_eq(marry(d.rnokpp, b.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(x.refused.code, PS_ERR_EXISTS);
    snprintf(want, sizeof want, "the person with RNOKPP %s is already married", b.rnokpp);
    cr_assert_str_eq(x.refused.message, want);
    cr_assert_eq(marry(b.rnokpp, d.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_str_eq(x.refused.message, want);
    /* the refused ones left nothing: not even the marriage row or d's party row */
    cr_assert_eq(count(&all_marriages, NULL), 1);
    cr_assert_eq(count(&active_parties, d.rnokpp), 0);
    cr_assert_eq(count(&active_parties, c.rnokpp), 0);
    cr_assert_eq(count(&changes_of, "marriage.register"), 2);
    /* dissolve: both are free; a second dissolution finds nothing */
    ab.id = S(ab.new_id);
    cr_assert_eq(m_run(dissolve_tx, &ab), PS_OK, "%s", ab.diag.message);
    cr_assert_eq(count(&active_parties, a.rnokpp), 0);
    cr_assert_eq(count(&active_parties, b.rnokpp), 0);
    cr_assert_eq(count(&active_marriages, NULL), 0);
    cr_assert_eq(count(&changes_of, "marriage.dissolve"), 2);
    cr_assert_eq(count(&actions_of, "marriage.status.read"), 0);
    cr_assert_eq(m_run(dissolve_tx, &ab), PS_OK, "%s", ab.diag.message);
    cr_assert_eq(ab.refused.code, PS_ERR_NOTFOUND);
    snprintf(want, sizeof want, "no active marriage %s", ab.new_id);
    cr_assert_str_eq(ab.refused.message, want);
    cr_assert_eq(count(&changes_of, "marriage.dissolve"), 2);
    cr_assert_eq(count2(&marriage_reads, a.rnokpp, ab.new_id), 1);
    cr_assert_eq(count2(&marriage_reads, b.rnokpp, ab.new_id), 1);
    /* both marry again, to others */
    cr_assert_eq(marry(c.rnokpp, a.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(marry(b.rnokpp, d.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(count(&all_marriages, NULL), 3);
    cr_assert_eq(count(&active_marriages, NULL), 2);
    cr_assert_eq(count(&active_parties, a.rnokpp), 1);
    /* e and f marry and divorce and stay single; g never marries */
    struct test_person e, f, g;
    add_person(14, PS_SEX_MALE, PS_PERSON_ALIVE, &e);
    add_person(15, PS_SEX_FEMALE, PS_PERSON_ALIVE, &f);
    add_person(16, PS_SEX_FEMALE, PS_PERSON_ALIVE, &g);
    struct m_ctx ef;
    cr_assert_eq(marry(f.rnokpp, e.rnokpp, &ef), PS_OK, "%s", ef.diag.message);
    ef.id = S(ef.new_id);
    cr_assert_eq(m_run(dissolve_tx, &ef), PS_OK, "%s", ef.diag.message);
    exec_ok(&marriage_orphan);
    /* parties and marriages are immutable apart from active -> dissolved; only the trigger
     * refuses */
    refused(&party_reactivate, PARTY_TRANSITION, NULL);
    refused(&party_move, PARTY_TRANSITION, NULL);
    refused(&party_delete, "marriage_parties is append-only", PARTY_TRANSITION);
    refused(&marriage_change_registered_at, MARRIAGE_TRANSITION, NULL);
    refused(&marriage_reactivate, MARRIAGE_TRANSITION, NULL);
    refused(&marriage_delete, "marriages is append-only", MARRIAGE_TRANSITION);
    cr_assert_eq(count(&active_parties, a.rnokpp), 1);
    cr_assert_eq(count(&active_parties, b.rnokpp), 1);
    cr_assert_eq(count(&active_parties, e.rnokpp), 0);
    cr_assert_eq(count(&active_parties, g.rnokpp), 0);
    cr_assert_eq(count(&all_marriages, NULL), 5);
}

Test(marriage, refusals)
{
    struct test_person a, dead, ghost;
    add_person(20, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    add_person(21, PS_SEX_FEMALE, PS_PERSON_DECEASED, &dead);
    make_person(22, PS_SEX_FEMALE, PS_PERSON_ALIVE, &ghost);
    struct m_ctx x;
    char want[96];
    /* refused before anything is read: errors, nothing recorded */
    cr_assert_eq(marry(a.rnokpp, a.rnokpp, &x), PS_ERR_INVALID);
    cr_assert_str_eq(x.diag.message, "a person cannot marry themselves");
    cr_assert_eq(marry(a.rnokpp, "3287300013", &x), PS_ERR_INVALID);
    cr_assert_str_eq(x.diag.message, "RNOKPP check digit is 3, expected 2");
    cr_assert_eq(count(&log_rows, NULL), 0);
    /* a deceased spouse: the official has read both statuses, and both reads commit */
    cr_assert_eq(marry(a.rnokpp, dead.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(x.refused.code, PS_ERR_INVALID);
    snprintf(want, sizeof want, "the person with RNOKPP %s is deceased", dead.rnokpp);
    cr_assert_str_eq(x.refused.message, want);
    cr_assert_eq(count2(&status_reads, a.rnokpp, "application 3"), 1);
    cr_assert_eq(count2(&status_reads, dead.rnokpp, "application 3"), 1);
    cr_assert_eq(count(&log_rows, NULL), 2);
    /* named first, the deceased one is the only status read */
    cr_assert_eq(marry(dead.rnokpp, a.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_str_eq(x.refused.message, want);
    cr_assert_eq(count2(&status_reads, dead.rnokpp, "application 3"), 2);
    cr_assert_eq(count(&log_rows, NULL), 3);
    /* a valid RNOKPP nobody has: one committed status read */
    cr_assert_eq(marry(ghost.rnokpp, a.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(x.refused.code, PS_ERR_NOTFOUND);
    snprintf(want, sizeof want, "no person with RNOKPP %s", ghost.rnokpp);
    cr_assert_str_eq(x.refused.message, want);
    cr_assert_eq(count2(&status_reads, ghost.rnokpp, "application 3"), 1);
    cr_assert_eq(count(&log_rows, NULL), 4);
    cr_assert_eq(count(&access_rows, NULL), 4);
    x = (struct m_ctx){.id = S("not-a-uuid")};
    cr_assert_eq(m_run(dissolve_tx, &x), PS_ERR_INVALID);
    cr_assert_str_eq(x.diag.message, "a marriage id is a UUID");
    /* an unknown marriage id is about no one: a refusal, nothing recorded */
    x = (struct m_ctx){.id = S("0190C3A2-7B1E-7000-8000-000000000001")};
    cr_assert_eq(m_run(dissolve_tx, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(x.refused.code, PS_ERR_NOTFOUND);
    cr_assert_str_eq(x.refused.message,
                     "no active marriage 0190c3a2-7b1e-7000-8000-000000000001");
    cr_assert_eq(count(&log_rows, NULL), 4);
    cr_assert_eq(count(&all_marriages, NULL), 0);
    cr_assert_eq(count(&changes_of, "marriage.register"), 0);
}

/* The defect this guards against: an official marries A to B while B is already married. The
 * answer tells them that B exists, is alive and is married; both status reads must commit
 * with the refusal, and nothing of the marriage may be written. */
Test(marriage, already_married_is_a_committed_refusal)
{
    struct test_person a, b, c;
    add_person(50, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    add_person(51, PS_SEX_FEMALE, PS_PERSON_ALIVE, &b);
    add_person(52, PS_SEX_MALE, PS_PERSON_ALIVE, &c);
    struct m_ctx x;
    cr_assert_eq(marry(c.rnokpp, b.rnokpp, &x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(x.refused.code, PS_OK, "%s", x.refused.message);
    int64_t logged = count(&log_rows, NULL);
    enum ps_err e = marry(a.rnokpp, b.rnokpp, &x);
    cr_assert_eq(e, PS_OK, "an error, not a refusal: %s: %s", ps_err_name(e), x.diag.message);
    cr_assert_eq(x.refused.code, PS_ERR_EXISTS, "%s", ps_err_name(x.refused.code));
    char want[96];
    snprintf(want, sizeof want, "the person with RNOKPP %s is already married", b.rnokpp);
    cr_assert_str_eq(x.refused.message, want);
    cr_assert_str_eq(x.new_id, "");
    /* no new marriage, no party row, no change entry */
    cr_assert_eq(count(&all_marriages, NULL), 1);
    cr_assert_eq(count(&all_parties, NULL), 2);
    cr_assert_eq(count(&active_parties, a.rnokpp), 0);
    cr_assert_eq(count(&changes_of, "marriage.register"), 2);
    /* the official read both statuses, and both reads are committed */
    cr_assert_eq(count2(&status_reads, a.rnokpp, "application 3"), 1);
    cr_assert_eq(count2(&status_reads, b.rnokpp, "application 3"), 2);
    cr_assert_eq(count(&log_rows, NULL), logged + 2);
}

/* marry(lo, hi) and marry(hi, lo) at once, half each, through both stores: one marriage, and
 * every loser is refused at lo, the first spouse in RNOKPP order, whichever order it named
 * them in. Writing the party rows in that order is what keeps two such transactions from each
 * holding one index entry and waiting for the other (a deadlock on PostgreSQL). */
Test(marriage, same_pair_both_orders_one_wins)
{
    struct test_person lo, hi;
    add_person(40, PS_SEX_FEMALE, PS_PERSON_ALIVE, &lo);
    add_person(41, PS_SEX_MALE, PS_PERSON_ALIVE, &hi);
    cr_assert_lt(strcmp(lo.rnokpp, hi.rnokpp), 0);
    struct race r = {.fn = marry_tx, .diag_off = offsetof(struct m_ctx, diag), .refusals = true,
                     .refused_off = offsetof(struct m_ctx, refused)};
    struct m_ctx c[RACERS];
    for (int i = 0; i < RACERS; i++) { /* both orders on each store */
        c[i] = i % 4 < 2 ? (struct m_ctx){.a = S(lo.rnokpp), .b = S(hi.rnokpp)}
                         : (struct m_ctx){.a = S(hi.rnokpp), .b = S(lo.rnokpp)};
        r.ctx[i] = &c[i];
    }
    char lose[96];
    snprintf(lose, sizeof lose, "the person with RNOKPP %s is already married", lo.rnokpp);
    int w = race(&r, PS_ERR_EXISTS, lose);
    cr_assert_eq(c[w].refused.code, PS_OK);
    cr_assert_eq(count(&all_marriages, NULL), 1);
    cr_assert_eq(count(&active_parties, lo.rnokpp), 1);
    cr_assert_eq(count(&active_parties, hi.rnokpp), 1);
    cr_assert_eq(count(&changes_of, "marriage.register"), 2);
    /* every racer's two status reads are committed, once (retried attempts rolled back) */
    cr_assert_eq(count(&status_reads_of, lo.rnokpp), RACERS);
    cr_assert_eq(count(&status_reads_of, hi.rnokpp), RACERS);
}

static bool pg_ok(PGresult *res, char *err, size_t cap)
{
    ExecStatusType st = PQresultStatus(res);
    bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        snprintf(err, cap, "%s", PQresultErrorMessage(res));
    return ok;
}

/* Runs sql with up to one text parameter on c; false with the error in err. */
static bool pg_run(PGconn *c, const char *sql, const char *param, char *err, size_t cap)
{
    PGresult *res = PQexecParams(c, sql, param ? 1 : 0, NULL, &param, NULL, NULL, 0);
    bool ok = pg_ok(res, err, cap);
    PQclear(res);
    return ok;
}

/* Backends waiting for a lock that backend pid holds, seen from pid's own session. */
static int waiting_for(PGconn *c, int pid)
{
    char arg[16], err[256];
    int len = snprintf(arg, sizeof arg, "%d", pid);
    cr_assert(len > 0 && (size_t)len < sizeof arg);
    PGresult *res = PQexecParams(c,
                                 "SELECT count(*) FROM pg_locks WHERE NOT granted AND "
                                 "$1::int = ANY(pg_blocking_pids(pid))",
                                 1, NULL, (const char *const[]){arg}, NULL, NULL, 0);
    cr_assert(pg_ok(res, err, sizeof err), "%s", err);
    uint64_t n = 0;
    cr_assert_eq(ps_str_to_u64(ps_str_from_cstr(PQgetvalue(res, 0, 0)), &n), PS_OK);
    PQclear(res);
    return (int)n;
}

struct marry_thread {
    struct m_ctx c;
    enum ps_err e;
};

static void *marry_main(void *arg)
{
    struct marry_thread *t = arg;
    struct ps_diag sd = {0};
    t->e = ps_store_write(store, marry_tx, &t->c, &sd);
    return NULL;
}

/* PostgreSQL: the order in which marry(hi, lo) takes the two index entries, made visible.
 * A plain session holds an uncommitted active party row of lo, so the job waits for lo. The
 * session then inserts an active party row of hi. Had the job taken hi's entry before waiting
 * (argument order), the session would wait for the job while the job waits for the session:
 * the deadlock of marry(A, B) racing marry(B, A), which here ends in the session's lock
 * timeout. In RNOKPP order the job holds no party entry yet and the session's insert goes
 * through at once. */
Test(marriage, pair_rows_taken_in_rnokpp_order)
{
    if (ps_store_backend(store) != PS_STORE_POSTGRES)
        cr_skip_test("PostgreSQL only (PS_TEST_DB): SQLite has a single writer");
    struct test_person lo, hi;
    add_person(42, PS_SEX_FEMALE, PS_PERSON_ALIVE, &lo);
    add_person(43, PS_SEX_MALE, PS_PERSON_ALIVE, &hi);
    char err[512] = "";
    PGconn *s = PQconnectdb(pg_url);
    cr_assert_eq(PQstatus(s), CONNECTION_OK, "%s", PQerrorMessage(s));
    PQsetNoticeProcessor(s, ps_test_pg_quiet, NULL);
    cr_assert(pg_run(s, "BEGIN", NULL, err, sizeof err), "%s", err);
    cr_assert(pg_run(s, "INSERT INTO marriages (id, registered_at_ms, status, dissolved_at_ms) "
                        "VALUES ('" ORPHAN_MARRIAGE "', 1, 'active', NULL)",
                     NULL, err, sizeof err), "%s", err);
    const char *party = "INSERT INTO marriage_parties (marriage_id, rnokpp, status) VALUES ('"
                        ORPHAN_MARRIAGE "', $1, 'active')";
    cr_assert(pg_run(s, party, lo.rnokpp, err, sizeof err), "%s", err);
    struct marry_thread t = {.c = {.a = S(hi.rnokpp), .b = S(lo.rnokpp)}, .e = PS_ERR_INTERNAL};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, marry_main, &t), 0);
    int waited = 0;
    for (int i = 0; i < 1000 && !waited; i++) {
        waited = waiting_for(s, PQbackendPID(s));
        if (!waited)
            usleep(10000);
    }
    cr_assert(waited, "marry(hi, lo) never waited for the session's party row of lo");
    cr_assert(pg_run(s, "SET LOCAL lock_timeout = '500ms'", NULL, err, sizeof err), "%s", err);
    bool took_hi = pg_run(s, party, hi.rnokpp, err, sizeof err);
    cr_assert(pg_run(s, "ROLLBACK", NULL, err, sizeof err), "%s", err);
    cr_assert_eq(pthread_join(th, NULL), 0);
    PQfinish(s);
    cr_assert(took_hi, "the job held hi's index entry while waiting for lo's: %s", err);
    cr_assert_eq(t.e, PS_OK, "%s", t.c.diag.message);
    cr_assert_eq(count(&active_parties, lo.rnokpp), 1);
    cr_assert_eq(count(&active_parties, hi.rnokpp), 1);
}

/* PostgreSQL: the residual race, made deterministic. A plain session (READ COMMITTED, so
 * SERIALIZABLE's own detection has nothing to report) holds an uncommitted active party row of
 * hi; marry(lo, hi) passes its reporting SELECT, inserts the marriage and lo's party row, and
 * waits in the unique index for hi's. The session commits: the index refuses the job's row.
 * That must not come back as an error that drops the status reads: the job is sent back to the
 * committer (PS_ERR_CONFLICT), runs again, and its SELECT now refuses it, reads committed, and
 * the half-inserted marriage rolled back. */
Test(marriage, raced_past_the_check_is_retried_then_refused)
{
    if (ps_store_backend(store) != PS_STORE_POSTGRES)
        cr_skip_test("PostgreSQL only (PS_TEST_DB): SQLite has a single writer");
    struct test_person lo, hi;
    add_person(44, PS_SEX_FEMALE, PS_PERSON_ALIVE, &lo);
    add_person(45, PS_SEX_MALE, PS_PERSON_ALIVE, &hi);
    cr_assert_lt(strcmp(lo.rnokpp, hi.rnokpp), 0);
    char err[512] = "";
    PGconn *s = PQconnectdb(pg_url);
    cr_assert_eq(PQstatus(s), CONNECTION_OK, "%s", PQerrorMessage(s));
    PQsetNoticeProcessor(s, ps_test_pg_quiet, NULL);
    cr_assert(pg_run(s, "BEGIN", NULL, err, sizeof err), "%s", err);
    cr_assert(pg_run(s, "INSERT INTO marriages (id, registered_at_ms, status, dissolved_at_ms) "
                        "VALUES ('" ORPHAN_MARRIAGE "', 1, 'active', NULL)",
                     NULL, err, sizeof err), "%s", err);
    cr_assert(pg_run(s,
                     "INSERT INTO marriage_parties (marriage_id, rnokpp, status) VALUES ('"
                     ORPHAN_MARRIAGE "', $1, 'active')",
                     hi.rnokpp, err, sizeof err), "%s", err);
    struct ps_store_stats before, after;
    ps_store_stats(store, &before);
    struct marry_thread t = {.c = {.a = S(lo.rnokpp), .b = S(hi.rnokpp)}, .e = PS_ERR_INTERNAL};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, marry_main, &t), 0);
    int waited = 0;
    for (int i = 0; i < 1000 && !waited; i++) {
        waited = waiting_for(s, PQbackendPID(s));
        if (!waited)
            usleep(10000);
    }
    cr_assert(waited, "marry(lo, hi) never waited for the session's party row of hi");
    cr_assert(pg_run(s, "COMMIT", NULL, err, sizeof err), "%s", err);
    cr_assert_eq(pthread_join(th, NULL), 0);
    PQfinish(s);
    ps_store_stats(store, &after);
    cr_assert_eq(t.e, PS_OK, "an error, not a refusal: %s: %s", ps_err_name(t.e),
                 t.c.diag.message);
    cr_assert_eq(t.c.refused.code, PS_ERR_EXISTS, "%s", ps_err_name(t.c.refused.code));
    char want[96];
    snprintf(want, sizeof want, "the person with RNOKPP %s is already married", hi.rnokpp);
    cr_assert_str_eq(t.c.refused.message, want);
    cr_assert_geq(after.retries - before.retries, 1, "the job was not retried");
    cr_assert_eq(count(&all_marriages, NULL), 1); /* the session's only */
    cr_assert_eq(count(&active_parties, lo.rnokpp), 0);
    cr_assert_eq(count2(&status_reads, lo.rnokpp, "application 3"), 1);
    cr_assert_eq(count2(&status_reads, hi.rnokpp, "application 3"), 1);
    cr_assert_eq(count(&changes_of, "marriage.register"), 0);
}

/* N writers marry one person to N different partners, half with that person as the first
 * party and half as the second: one marriage, whichever side. */
Test(marriage, concurrent_marriages_of_one_person_one_wins)
{
    struct test_person p, partner[RACERS];
    add_person(30, PS_SEX_FEMALE, PS_PERSON_ALIVE, &p);
    const size_t off = offsetof(struct m_ctx, diag), roff = offsetof(struct m_ctx, refused);
    struct race r = {.fn = marry_tx, .diag_off = off, .refusals = true, .refused_off = roff};
    struct m_ctx c[RACERS];
    for (int i = 0; i < RACERS; i++) {
        add_person(31 + i, PS_SEX_MALE, PS_PERSON_ALIVE, &partner[i]);
        c[i] = i % 4 < 2 ? (struct m_ctx){.a = S(p.rnokpp), .b = S(partner[i].rnokpp)}
                         : (struct m_ctx){.a = S(partner[i].rnokpp), .b = S(p.rnokpp)};
        r.ctx[i] = &c[i];
    }
    char lose[96];
    snprintf(lose, sizeof lose, "the person with RNOKPP %s is already married", p.rnokpp);
    int w = race(&r, PS_ERR_EXISTS, lose);
    cr_assert_eq(count(&all_marriages, NULL), 1);
    cr_assert_eq(count(&active_parties, p.rnokpp), 1);
    cr_assert_eq(count(&active_parties, partner[w].rnokpp), 1);
    for (int i = 0; i < RACERS; i++)
        if (i != w)
            cr_assert_eq(count(&active_parties, partner[i].rnokpp), 0, "partner %d", i);
    cr_assert_eq(count(&changes_of, "marriage.register"), 2);
    cr_assert_eq(count(&status_reads_of, p.rnokpp), RACERS);
    cr_assert_eq(count(&actions_of, "person.status.read"), 2 * RACERS);
    /* N dissolutions of that marriage: one; each other one reads both spouses' marriage */
    struct race d = {.fn = dissolve_tx, .diag_off = off, .refusals = true, .refused_off = roff};
    char mid[37];
    memcpy(mid, c[w].new_id, sizeof mid);
    for (int i = 0; i < RACERS; i++) {
        c[i].id = S(mid);
        d.ctx[i] = &c[i];
    }
    race(&d, PS_ERR_NOTFOUND, "no active marriage");
    cr_assert_eq(count(&changes_of, "marriage.dissolve"), 2);
    cr_assert_eq(count(&active_marriages, NULL), 0);
    cr_assert_eq(count2(&marriage_reads, p.rnokpp, mid), RACERS - 1);
    cr_assert_eq(count2(&marriage_reads, partner[w].rnokpp, mid), RACERS - 1);
}

/* ==== share codes ==== */

static const struct ps_actor bank = {.kind = PS_ACTOR_SYSTEM, .id = {"bank-42", 7}};

struct s_ctx {
    struct ps_actor actor;
    struct ps_str resource, code, purpose;
    int64_t ttl_ms;
    struct ps_share_code made;
    struct ps_share_grant grant;
    struct ps_diag diag;
};

static enum ps_err create_tx(struct ps_tx *tx, void *ctx)
{
    struct s_ctx *c = ctx;
    return ps_share_create(tx, &c->actor, c->resource, c->ttl_ms, &c->made, &c->diag);
}

static enum ps_err redeem_tx(struct ps_tx *tx, void *ctx)
{
    struct s_ctx *c = ctx;
    return ps_share_redeem(tx, &bank, c->code, c->purpose, &c->grant, &c->diag);
}

static enum ps_err s_run(ps_tx_fn fn, struct s_ctx *c)
{
    struct ps_diag sd = {0};
    memset(&c->diag, 0, sizeof c->diag);
    enum ps_err e = ps_store_write(store, fn, c, &sd);
    cr_assert(e == PS_OK || c->diag.code == e, "%s: %s / %s", ps_err_name(e), c->diag.message,
              sd.message);
    return e;
}

/* A code for person t's own record. */
static struct s_ctx create_for(struct test_person *t, char resource[32], int64_t ttl_ms)
{
    snprintf(resource, 32, "persons/%s", t->rnokpp);
    struct s_ctx c = {.actor = {.kind = PS_ACTOR_CITIZEN, .id = S(t->rnokpp)},
                      .resource = S(resource),
                      .ttl_ms = ttl_ms};
    cr_assert_eq(s_run(create_tx, &c), PS_OK, "%s", c.diag.message);
    return c;
}

static enum ps_err redeem(const char *code, struct s_ctx *c)
{
    c->code = S(code);
    c->purpose = S("opening an account");
    return s_run(redeem_tx, c);
}

static const struct ps_sql code_unuse = {
    "test.code_unuse",
    "UPDATE share_codes SET used_at_ms = NULL, used_by_kind = NULL, used_by_id = NULL"};
static const struct ps_sql code_extend = {
    "test.code_extend", "UPDATE share_codes SET expires_at_ms = expires_at_ms + 1000000"};
static const struct ps_sql code_delete = {"test.code_delete", "DELETE FROM share_codes"};

struct hash_q {
    unsigned char want[32];
    int64_t n;
};

static const struct ps_sql code_by_hash = {
    "test.code_by_hash", "SELECT count(*) FROM share_codes WHERE code_hash = $1"};

static enum ps_err hash_tx(struct ps_tx *tx, void *ctx)
{
    struct hash_q *q = ctx;
    return tx_run(tx, &code_by_hash, &q->n, "b", (const void *)q->want, sizeof q->want);
}

Test(share, create_redeem_once)
{
    struct test_person a;
    add_person(60, PS_SEX_FEMALE, PS_PERSON_ALIVE, &a);
    char res[32];
    struct s_ctx c = create_for(&a, res, 0);
    /* XXXX-XXXX-XXXX-XXXX of Crockford base32 */
    cr_assert_eq(strlen(c.made.text), PS_SHARE_CODE_TEXT_LEN);
    for (int i = 0; i < PS_SHARE_CODE_TEXT_LEN; i++)
        cr_assert(i % 5 == 4 ? c.made.text[i] == '-'
                             : c.made.text[i] && strchr("0123456789ABCDEFGHJKMNPQRSTVWXYZ",
                                                        c.made.text[i]),
                  "%s", c.made.text);
    int64_t now = ps_clock_now_ms();
    cr_assert(c.made.expires_at_ms > now + PS_SHARE_TTL_DEFAULT_MS - 60000 &&
              c.made.expires_at_ms <= now + PS_SHARE_TTL_DEFAULT_MS);
    /* stored as SHA-256 of the 16 symbols, and the code is in no stored text */
    struct hash_q q = {.n = -1};
    char sym[17];
    int k = 0;
    for (int i = 0; c.made.text[i]; i++)
        if (c.made.text[i] != '-')
            sym[k++] = c.made.text[i];
    sym[k] = '\0';
    crypto_hash_sha256(q.want, (const unsigned char *)sym, 16);
    struct ps_diag diag = {0};
    cr_assert_eq(ps_store_read(store, hash_tx, &q, &diag), PS_OK, "%s", diag.message);
    cr_assert_eq(q.n, 1);
    cr_assert_eq(count(&code_in_text, c.made.text), 0);
    cr_assert_eq(count(&code_in_text, sym), 0);
    cr_assert_eq(count(&changes_of, "share.create"), 1);
    /* typed in lower case without hyphens, O for 0 and l for 1: still the code */
    char typed[17];
    for (int i = 0; i < 16; i++)
        typed[i] = sym[i] == '0' ? 'o' : sym[i] == '1' ? 'l' : (char)(sym[i] | 0x20);
    typed[16] = '\0';
    struct s_ctx r = {0};
    cr_assert_eq(redeem(typed, &r), PS_OK, "%s", r.diag.message);
    cr_assert_str_eq(r.grant.subject, a.rnokpp);
    cr_assert_str_eq(r.grant.resource, res);
    cr_assert_str_eq(r.grant.id, c.made.id);
    cr_assert_eq(count(&changes_of, "share.redeem"), 1);
    cr_assert_eq(count(&code_in_text, sym), 0);
    /* the one use is spent */
    cr_assert_eq(redeem(c.made.text, &r), PS_ERR_EXISTS);
    cr_assert_str_eq(r.diag.message, "this share code has already been used");
    cr_assert_eq(count(&changes_of, "share.redeem"), 1);
    /* rows only go unused -> used */
    refused(&code_unuse, CODE_TRANSITION, NULL);
    refused(&code_extend, CODE_TRANSITION, NULL);
    refused(&code_delete, "share_codes is append-only", CODE_TRANSITION);
    cr_assert_eq(count(&used_codes, NULL), 1);
    cr_assert_eq(redeem(c.made.text, &r), PS_ERR_EXISTS);
}

Test(share, unknown_malformed_and_expired)
{
    struct test_person a;
    add_person(61, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    struct s_ctx r = {0};
    cr_assert_eq(redeem("ABCD-EFGH-JKMN-PQRS", &r), PS_ERR_NOTFOUND);
    cr_assert_str_eq(r.diag.message, "unknown share code");
    const char *bad[] = {"ABCD-EFGH-JKMN-PQR", "ABCD-EFGH-JKMN-PQRST", "ABCD-EFGH-JKMN-PQRU",
                         "ABCD_EFGH_JKMN_PQRS", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(redeem(bad[i], &r), PS_ERR_INVALID, "%s", bad[i]);
        cr_assert_str_eq(r.diag.message,
                         "a share code is 16 letters and digits, e.g. 7KQ3-M9XD-2HBT-R4ZC");
    }
    char longest[PS_SHARE_CODE_INPUT_MAX + 2];
    memset(longest, '-', sizeof longest - 1);
    longest[sizeof longest - 1] = '\0';
    memcpy(longest, "ABCDEFGHJKMNPQRS", 16); /* 16 symbols, but 65 bytes */
    cr_assert_eq(redeem(longest, &r), PS_ERR_INVALID);
    longest[PS_SHARE_CODE_INPUT_MAX] = '\0'; /* 64 bytes: only a lookup */
    cr_assert_eq(redeem(longest, &r), PS_ERR_NOTFOUND);
    /* expiry against the injectable clock: valid until the last millisecond before */
    int64_t t0 = 1767225600000; /* 2026-01-01 */
    ps_clock_set_fixed(t0);
    char res[32];
    struct s_ctx c = create_for(&a, res, 1000);
    cr_assert_eq(c.made.expires_at_ms, t0 + 1000);
    struct s_ctx c2 = create_for(&a, res, 1000);
    ps_clock_set_fixed(t0 + 1000);
    cr_assert_eq(redeem(c.made.text, &r), PS_ERR_LIMIT);
    cr_assert_str_eq(r.diag.message, "this share code expired at 2026-01-01T00:00:01.000Z");
    ps_clock_set_fixed(t0 + 999);
    cr_assert_eq(redeem(c2.made.text, &r), PS_OK, "%s", r.diag.message);
    cr_assert_eq(count(&used_codes, NULL), 1);
    cr_assert_eq(count(&changes_of, "share.redeem"), 1);
}

Test(share, who_may_share_what)
{
    struct test_person a, b, dead;
    add_person(62, PS_SEX_MALE, PS_PERSON_ALIVE, &a);
    add_person(63, PS_SEX_FEMALE, PS_PERSON_ALIVE, &b);
    add_person(64, PS_SEX_FEMALE, PS_PERSON_DECEASED, &dead);
    char res[32];
    snprintf(res, sizeof res, "persons/%s", a.rnokpp);
    struct s_ctx c = {.actor = {.kind = PS_ACTOR_OFFICIAL, .id = S("official-1")},
                      .resource = S(res)};
    cr_assert_eq(s_run(create_tx, &c), PS_ERR_DENIED);
    cr_assert_str_eq(c.diag.message, "only a citizen can create a share code");
    c.actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = S(b.rnokpp)};
    cr_assert_eq(s_run(create_tx, &c), PS_ERR_DENIED);
    cr_assert_str_eq(c.diag.message, "a citizen can share only their own record");
    c.resource = S("documents/passport");
    cr_assert_eq(s_run(create_tx, &c), PS_ERR_INVALID);
    cr_assert_str_eq(c.diag.message,
                     "only a person's registry record (persons/<RNOKPP>) can be shared");
    c.actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = S(a.rnokpp)};
    c.resource = S(res);
    c.ttl_ms = PS_SHARE_TTL_MAX_MS + 1;
    cr_assert_eq(s_run(create_tx, &c), PS_ERR_INVALID);
    cr_assert_str_eq(c.diag.message, "a share code lives from 1 ms to 60 minutes, not 3600001 ms");
    c.ttl_ms = -1;
    cr_assert_eq(s_run(create_tx, &c), PS_ERR_INVALID);
    c.ttl_ms = PS_SHARE_TTL_MAX_MS;
    cr_assert_eq(s_run(create_tx, &c), PS_OK, "%s", c.diag.message);
    snprintf(res, sizeof res, "persons/%s", dead.rnokpp);
    c.actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = S(dead.rnokpp)};
    c.ttl_ms = 0;
    cr_assert_eq(s_run(create_tx, &c), PS_ERR_INVALID);
    char want[96];
    snprintf(want, sizeof want, "the person with RNOKPP %s is deceased", dead.rnokpp);
    cr_assert_str_eq(c.diag.message, want);
    cr_assert_eq(count(&all_codes, NULL), 1);
    cr_assert_eq(count(&changes_of, "share.create"), 1);
    /* the citizens checked their own status only: nothing to record */
    cr_assert_eq(count(&access_rows, NULL), 0);
    /* a verifier must say why */
    snprintf(res, sizeof res, "persons/%s", a.rnokpp);
    struct s_ctx made = create_for(&a, res, 0);
    struct s_ctx r = {.code = S(made.made.text), .purpose = S("")};
    cr_assert_eq(s_run(redeem_tx, &r), PS_ERR_INVALID);
    cr_assert_str_eq(r.diag.message, "a purpose is required to redeem a share code");
    cr_assert_eq(count(&used_codes, NULL), 0);
}

Test(share, concurrent_redemptions_one_wins)
{
    struct test_person a;
    add_person(70, PS_SEX_FEMALE, PS_PERSON_ALIVE, &a);
    char res[32];
    struct s_ctx made = create_for(&a, res, 0);
    struct race r = {.fn = redeem_tx, .diag_off = offsetof(struct s_ctx, diag)};
    struct s_ctx c[RACERS];
    for (int i = 0; i < RACERS; i++) {
        c[i] = (struct s_ctx){.code = S(made.made.text), .purpose = S("identification")};
        r.ctx[i] = &c[i];
    }
    int w = race(&r, PS_ERR_EXISTS, "this share code has already been used");
    cr_assert_str_eq(c[w].grant.subject, a.rnokpp);
    cr_assert_eq(count(&used_codes, NULL), 1);
    cr_assert_eq(count(&changes_of, "share.redeem"), 1);
}
