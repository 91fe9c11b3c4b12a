/* Applications in the store (SQLite, or PostgreSQL under PS_TEST_DB): the three services end
 * to end through src/engine/app.h, the refusals of those not entitled (recorded), validation
 * failures all at once, keyed and concurrent submissions, pinned versions; and (suites issue,
 * issue_nohook) with the documents service installed as serve installs it: each outcome's
 * documents issued once, in its transaction, with what the application recorded, and a
 * promise the records do not support failing the transition. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "crypto/keys.h"
#include "documents/docs.h"
#include "engine/app.h"
#include "engine/engine.h"
#include "policy/actor.h"
#include "registries/date.h"
#include "registries/kinship.h"
#include "registries/persons.h"
#include "registries/rnokpp.h"
#include "registries/unzr.h"
#include "keystore/keystore.h"
#include "store/store.h"
#include "pg_helper.h"

static struct ps_str S(const char *s)
{
    return ps_str_from_cstr(s);
}

static struct ps_store *store;
static struct ps_engine *engine;
static struct ps_docs *docs;
static struct ps_master_key *master;
static char dbpath[64], pg_url[512], pg_schema[64], svcdir[64];

static void open_store(void)
{
    snprintf(dbpath, sizeof dbpath, "/tmp/ps-engine-%d.db", (int)getpid());
    unlink(dbpath);
    pg_schema[0] = '\0';
    bool pg = ps_test_pg_base() != NULL;
    if (pg)
        cr_assert(ps_test_pg_fresh(pg_url, sizeof pg_url, pg_schema));
    struct ps_store_opts o;
    ps_store_opts_init(&o);
    o.url = pg ? pg_url : dbpath;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_open(&o, &store, &d), PS_OK, "%s", d.message);
}

static void setup(void)
{
    struct ps_diag d = {0};
    open_store();
    struct ps_engine_report r;
    cr_assert_eq(ps_engine_new(NULL, &engine, &r, &d), PS_OK, "%s", d.message);
    cr_assert_eq(r.refused, 0, "%s", r.refusals[0]);
}

/* A service whose outcome promises an IDP certificate and writes nothing. */
static const char *promise_yaml =
    "format: 1\nid: promise\nversion: 1\nagency: minsoc\ncategory: test\n"
    "title: {uk: Т, en: T}\ndescription: {uk: Т, en: T}\nlegal_basis: {uk: Т, en: T}\n"
    "form:\n  fields:\n    - {name: n, type: number, label: {uk: Н, en: N}}\n"
    "workflow:\n  start: done\n  steps:\n"
    "    - {name: done, kind: outcome, result: approved,\n"
    "       documents: [{type: ua.idp-certificate, to: applicant}]}\n";

/* The store, the documents service (its hook installed when hook), and the engine issuing
 * through it, as serve sets them up; the built-in services and promise_yaml. */
static void setup_docs(bool hook)
{
    struct ps_diag d = {0};
    open_store();
    cr_assert_eq(ps_keys_master_from_hex(S("00112233445566778899aabbccddeeff00112233445566778899"
                                           "aabbccddeeff"),
                                         &master, &d),
                 PS_OK);
    cr_assert_eq(ps_keystore_generate_all(store, master, NULL, NULL, &d), PS_OK, "%s", d.message);
    struct ps_docs_opts dopts = {"https://ps.example", NULL, hook};
    cr_assert_eq(ps_docs_start(store, master, &dopts, &docs, &d), PS_OK, "%s", d.message);
    snprintf(svcdir, sizeof svcdir, "/tmp/ps-engine-svc-%d", (int)getpid());
    mkdir(svcdir, 0700);
    char path[96];
    snprintf(path, sizeof path, "%s/promise.yaml", svcdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(promise_yaml, f);
    fclose(f);
    struct ps_engine_opts eo = {.services_dir = svcdir, .issue = ps_docs_outcome_issue,
                                .issue_ctx = docs};
    struct ps_engine_report r;
    cr_assert_eq(ps_engine_new(&eo, &engine, &r, &d), PS_OK, "%s", d.message);
    cr_assert_eq(r.refused, 0, "%s", r.refusals[0]);
}

static void setup_hook(void)
{
    setup_docs(true);
}

static void setup_nohook(void)
{
    setup_docs(false);
}

static void teardown(void)
{
    ps_engine_free(engine);
    ps_docs_stop(docs);
    docs = NULL;
    ps_keys_master_free(master);
    master = NULL;
    if (svcdir[0]) {
        char path[96];
        snprintf(path, sizeof path, "%s/promise.yaml", svcdir);
        unlink(path);
        rmdir(svcdir);
        svcdir[0] = '\0';
    }
    ps_store_free(store);
    if (pg_schema[0])
        ps_test_pg_drop(pg_schema);
    const char *suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[80];
        snprintf(p, sizeof p, "%s%s", dbpath, suffix[i]);
        unlink(p);
    }
}

TestSuite(app, .init = setup, .fini = teardown, .timeout = 120);
TestSuite(issue, .init = setup_hook, .fini = teardown, .timeout = 120);
TestSuite(issue_nohook, .init = setup_nohook, .fini = teardown, .timeout = 120);

/* ---- people ---- */

struct who {
    char rnokpp[11], unzr[16], card[10];
    struct ps_person p;
    struct ps_actor actor;
    struct ps_role role;
};

static enum ps_err insert_tx(struct ps_tx *tx, void *ctx)
{
    struct who *w = ctx;
    struct ps_diag d;
    return ps_persons_insert(tx, &w->p, &d);
}

/* Person k born on date, living in hromada of oblast. */
static void person(struct who *w, int k, const char *born, enum ps_sex sex, const char *oblast,
                   const char *hromada)
{
    struct ps_date d;
    struct ps_diag dg;
    memset(w, 0, sizeof *w);
    cr_assert_eq(ps_date_parse(S(born), &d, &dg), PS_OK);
    cr_assert_eq(ps_rnokpp_make(d, sex, (unsigned)k, w->rnokpp), PS_OK);
    cr_assert_eq(ps_unzr_make(d, (unsigned)k, w->unzr), PS_OK);
    snprintf(w->card, sizeof w->card, "%09d", 200000000 + k);
    w->p = (struct ps_person){.rnokpp = S(w->rnokpp), .unzr = S(w->unzr), .id_card = S(w->card),
                              .surname = S("Бондар"), .given_name = S(sex == PS_SEX_MALE ? "Іван" : "Марія"),
                              .patronymic = S(""), .birth_date = d, .sex = sex,
                              .address = {S(oblast), S(hromada), S("м. Місто"), S("вул. Миру"), S("1")},
                              .status = PS_PERSON_ALIVE};
    cr_assert_eq(ps_store_write(store, insert_tx, w, &dg), PS_OK, "%s", dg.message);
    w->actor = (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = S(w->rnokpp)};
}

static void make_official(struct who *w, const char *role, const char *agency)
{
    w->role = (struct ps_role){S(role), S(agency), S("")};
    w->actor = (struct ps_actor){.kind = PS_ACTOR_OFFICIAL, .id = S(w->rnokpp),
                                 .roles = &w->role, .nroles = 1, .role = &w->role};
}

/* ---- running the engine's calls in a write job ---- */

enum op { START, SUBMIT, CONSENT, CLAIM, DECIDE, GET, QUEUE, INBOX, SLOT_ADD, SLOTS, KIN };

struct call {
    enum op op;
    const struct ps_actor *actor;
    const char *service, *id;
    json_t *answers;
    bool flag; /* START: submit; CONSENT: yes; DECIDE: approve */
    const char *reason;
    struct ps_arena *arena;
    struct ps_app_result res;
    struct ps_app_view view;
    struct ps_app_task tasks[16];
    struct ps_inbox_msg msgs[16];
    struct ps_slot slots[8];
    size_t n;
    char slot_id[37];
    const char *a, *b;
    struct ps_diag diag;
};

static enum ps_err call_tx(struct ps_tx *tx, void *ctx)
{
    struct call *c = ctx;
    struct ps_app_ctx ac = {engine, tx, c->actor, c->arena};
    ps_diag_clear(&c->diag);
    switch (c->op) {
    case START:
        return ps_app_start(&ac, S(c->service), c->answers, c->flag, &c->res, &c->diag);
    case SUBMIT:
        return ps_app_submit(&ac, S(c->id), &c->res, &c->diag);
    case CONSENT:
        return ps_app_consent(&ac, S(c->id), c->flag, c->answers, &c->res, &c->diag);
    case CLAIM:
        return ps_app_claim(&ac, S(c->id), &c->res, &c->diag);
    case DECIDE:
        return ps_app_decide(&ac, S(c->id), c->flag, S(c->reason ? c->reason : ""), &c->res,
                             &c->diag);
    case GET:
        return ps_app_get(&ac, S(c->id), &c->view, &c->diag);
    case QUEUE:
        return ps_app_queue(&ac, c->tasks, 16, &c->n, &c->diag);
    case INBOX:
        return ps_inbox_list(&ac, c->msgs, 16, &c->n, &c->diag);
    case SLOT_ADD:
        return ps_slot_add(&ac, S("minjust"), S("video-ceremony"),
                           ps_clock_now_ms() + 86400000 * (int64_t)(c->flag ? 2 : 1), 30,
                           c->slot_id, &c->diag);
    case SLOTS:
        return ps_slots_free(&ac, S("minjust"), S("video-ceremony"), c->slots, 8, &c->n,
                             &c->diag);
    case KIN:
        return ps_kinship_register(tx, c->actor, S(c->a), S(c->b), S("birth record"),
                                   &c->diag);
    }
    return PS_ERR_INTERNAL;
}

static enum ps_err run(struct call *c)
{
    struct ps_diag d = {0};
    if (!c->arena)
        c->arena = ps_arena_new(16u << 20);
    enum ps_err e = ps_store_write(store, call_tx, c, &d);
    if (e != PS_OK && c->diag.code == PS_OK)
        c->diag = d;
    return e;
}

static void done(struct call *c)
{
    json_decref(c->answers);
    ps_arena_free(c->arena);
}

struct count_q {
    const struct ps_sql *sql;
    const char *arg;
    int64_t n;
};

static enum ps_err count_tx(struct ps_tx *tx, void *ctx)
{
    struct count_q *q = ctx;
    struct ps_query pq;
    ps_query_start(&pq, tx, q->sql);
    if (q->arg)
        ps_query_text(&pq, S(q->arg));
    if (ps_query_row(&pq))
        q->n = ps_stmt_i64(pq.st, 0);
    return ps_query_end(&pq);
}

static int64_t count(const struct ps_sql *sql, const char *arg)
{
    struct count_q q = {sql, arg, -1};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, count_tx, &q, &d), PS_OK, "%s", d.message);
    return q.n;
}

static const struct ps_sql n_fop = {
    "t.fop", "SELECT COUNT(*) FROM sole_proprietors s JOIN sole_proprietor_details d ON "
             "d.id = s.id WHERE s.rnokpp = $1 AND s.status = 'active' AND d.tax_system = "
             "'single-3' AND d.kveds = '62.01,62.02'"};
static const struct ps_sql n_apps = {"t.apps",
                                     "SELECT COUNT(*) FROM applications WHERE applicant = $1"};
static const struct ps_sql n_changes = {
    "t.changes", "SELECT COUNT(*) FROM access_log WHERE action = $1"};
static const struct ps_sql n_idp = {
    "t.idp", "SELECT COUNT(*) FROM idp_registrations WHERE rnokpp = $1 AND status = 'active'"};
static const struct ps_sql n_marriage = {
    "t.marriage", "SELECT COUNT(*) FROM marriage_surnames WHERE rnokpp = $1"};
static const struct ps_sql n_fees = {
    "t.fees", "SELECT COALESCE(SUM(amount_kop), 0) FROM fees WHERE payer = $1"};

static json_t *fop_answers(const char *tax)
{
    return json_pack("{s:[{s:s},{s:s}],s:s,s:s}", "activities", "code", "62.01", "code",
                     "62.02", "tax_system", tax, "email", "fop@example.com");
}

/* ---- FOP ---- */

Test(app, fop_registration_end_to_end)
{
    struct who w;
    person(&w, 1, "1988-04-02", PS_SEX_MALE, "Львівська область", "Стрийська міська громада");
    struct call c = {.op = START, .actor = &w.actor, .service = "fop-registration",
                     .answers = fop_answers("single-3"), .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.res.outcome, PS_APP_DONE, "%zu: %s", c.res.nerrors,
                 c.res.nerrors ? c.res.errors[0].en : "");
    cr_assert_str_eq(c.res.status, "approved");
    cr_assert_str_eq(c.res.step, "registered");
    /* the address was prefilled from the registry */
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(c.res.answers, "address"),
                                                       "hromada")),
                     "Стрийська міська громада");
    cr_assert_eq(count(&n_fop, w.rnokpp), 1);
    cr_assert_eq(count(&n_changes, "application.submit"), 1);
    cr_assert_eq(count(&n_changes, "sole-proprietor.register"), 1);
    cr_assert_eq(count(&n_changes, "document.request"), 1);
    struct call g = {.op = INBOX, .actor = &w.actor};
    cr_assert_eq(run(&g), PS_OK, "%s", g.diag.message);
    cr_assert_eq(g.n, 1);
    cr_assert(strstr(g.msgs[0].body_en.p, c.res.id), "%s", g.msgs[0].body_en.p);
    /* a second application: not eligible any more */
    struct call c2 = {.op = START, .actor = &w.actor, .service = "fop-registration",
                      .answers = fop_answers("general"), .flag = true};
    cr_assert_eq(run(&c2), PS_OK, "%s", c2.diag.message);
    cr_assert_eq(c2.res.outcome, PS_APP_NOT_ELIGIBLE);
    cr_assert_str_eq(c2.res.errors[0].en, "You are already registered as a sole proprietor");
    cr_assert_eq(count(&n_apps, w.rnokpp), 1);
    /* the history */
    struct call v = {.op = GET, .actor = &w.actor, .id = c.res.id};
    cr_assert_eq(run(&v), PS_OK, "%s", v.diag.message);
    cr_assert_geq(v.view.nevents, 4);
    cr_assert_str_eq(v.view.status.p, "approved");
    done(&c);
    done(&c2);
    done(&g);
    done(&v);
}

Test(app, validation_failures_all_at_once_in_both_languages)
{
    struct who w;
    person(&w, 2, "1990-01-15", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    json_t *a = json_pack("{s:[{s:s},{s:s}],s:s,s:s,s:s,s:s}", "activities", "code", "62.01",
                          "code", "04.11", "tax_system", "single-4", "email", "not-an-email",
                          "phone", "123", "colour", "red");
    struct call c = {.op = START, .actor = &w.actor, .service = "fop-registration",
                     .answers = a, .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.res.outcome, PS_APP_INVALID);
    const char *want[] = {"colour", "activities[1].code", "tax_system", "email", "phone"};
    cr_assert_eq(c.res.nerrors, 5);
    for (size_t i = 0; i < 5; i++) {
        bool found = false;
        for (size_t k = 0; k < c.res.nerrors && !found; k++)
            found = strcmp(c.res.errors[k].field, want[i]) == 0;
        cr_assert(found, "%s", want[i]);
    }
    for (size_t k = 0; k < c.res.nerrors; k++)
        cr_assert(c.res.errors[k].uk[0] && c.res.errors[k].en[0] &&
                      strcmp(c.res.errors[k].uk, c.res.errors[k].en) != 0,
                  "%s", c.res.errors[k].field);
    cr_assert_eq(count(&n_apps, w.rnokpp), 0);
    done(&c);
}

Test(app, group_one_rule_across_fields)
{
    struct who w;
    person(&w, 3, "1990-01-15", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    struct call c = {.op = START, .actor = &w.actor, .service = "fop-registration",
                     .answers = fop_answers("single-1"), .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.res.outcome, PS_APP_INVALID);
    cr_assert_eq(c.res.nerrors, 1);
    cr_assert_str_eq(c.res.errors[0].field, "");
    cr_assert(strstr(c.res.errors[0].en, "group 1"));
    done(&c);
}

/* Two stores' worth of writers submitting the same keyed request at once: one application. */
#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "2222222222222222222222222222222222222222222222222222222222222222"

struct racer {
    struct who *w;
    pthread_barrier_t *gate;
    struct call c;
    enum ps_err e;
};

static enum ps_err keyed_tx(struct ps_tx *tx, void *ctx)
{
    struct racer *r = ctx;
    struct ps_app_ctx ac = {engine, tx, &r->w->actor, r->c.arena};
    bool found = false;
    int status = 0;
    struct ps_str body;
    enum ps_err e = ps_app_idem_get(tx, S(r->w->rnokpp), S("key-1"), S(H1), r->c.arena,
                                    &found, &status, &body, &r->c.diag);
    if (e != PS_OK || found)
        return e;
    e = ps_app_start(&ac, S("fop-registration"), r->c.answers, true, &r->c.res, &r->c.diag);
    if (e == PS_OK)
        e = ps_app_idem_put(tx, S(r->w->rnokpp), S("key-1"), S(H1), 201, S("{}"),
                            &r->c.diag);
    return e;
}

static void *race(void *arg)
{
    struct racer *r = arg;
    struct ps_diag d = {0};
    pthread_barrier_wait(r->gate);
    r->e = ps_store_write(store, keyed_tx, r, &d);
    return NULL;
}

struct idem_q {
    struct who *w;
    const char *hash;
    bool found;
    enum ps_err e;
};

static enum ps_err idem_tx(struct ps_tx *tx, void *ctx)
{
    struct idem_q *q = ctx;
    struct ps_arena *a = ps_arena_new(1u << 16);
    int status = 0;
    struct ps_str body;
    struct ps_diag d = {0};
    q->e = ps_app_idem_get(tx, S(q->w->rnokpp), S("key-1"), S(q->hash), a, &q->found, &status,
                           &body, &d);
    ps_arena_free(a);
    return PS_OK;
}

Test(app, concurrent_keyed_submissions_make_one_application)
{
    struct who w;
    person(&w, 4, "1985-07-07", PS_SEX_MALE, "м. Київ", "Київська міська громада");
    enum { N = 8 };
    struct racer r[N];
    pthread_t th[N];
    pthread_barrier_t gate;
    pthread_barrier_init(&gate, NULL, N);
    for (int i = 0; i < N; i++) {
        memset(&r[i], 0, sizeof r[i]);
        r[i] = (struct racer){.w = &w, .gate = &gate};
        r[i].c.answers = fop_answers("general");
        r[i].c.arena = ps_arena_new(16u << 20);
        pthread_create(&th[i], NULL, race, &r[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert_eq(r[i].e, PS_OK, "%d: %s", i, r[i].c.diag.message);
        done(&r[i].c);
    }
    pthread_barrier_destroy(&gate);
    cr_assert_eq(count(&n_apps, w.rnokpp), 1);
    /* the same key with another body: refused */
    struct idem_q q = {&w, H2, false, PS_OK};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, idem_tx, &q, &d), PS_OK);
    cr_assert_eq(q.e, PS_ERR_EXISTS);
    q = (struct idem_q){&w, H1, false, PS_OK};
    cr_assert_eq(ps_store_read(store, idem_tx, &q, &d), PS_OK);
    cr_assert_eq(q.e, PS_OK);
    cr_assert(q.found);
}

/* ---- IDP ---- */

Test(app, idp_with_a_child_and_a_second_registration_refused)
{
    struct who mum, son, other;
    person(&mum, 5, "1984-02-10", PS_SEX_FEMALE, "Донецька область", "Маріупольська міська громада");
    person(&son, 6, "2014-09-01", PS_SEX_MALE, "Донецька область", "Маріупольська міська громада");
    person(&other, 7, "2015-03-03", PS_SEX_FEMALE, "Донецька область", "Маріупольська міська громада");
    struct ps_actor registrar = {.kind = PS_ACTOR_ADMIN, .id = S("admin")};
    struct call k = {.op = KIN, .actor = &registrar, .a = son.rnokpp, .b = mum.rnokpp};
    cr_assert_eq(run(&k), PS_OK, "%s", k.diag.message);
    json_t *ans = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s},s:[{s:s}],s:b}", "left_on",
                            "2022-03-10", "current_address", "oblast", "Львівська область",
                            "hromada", "Львівська міська громада", "settlement", "м. Львів",
                            "street", "вул. Городоцька", "building", "12", "children", "rnokpp",
                            son.rnokpp, "allowance", 1);
    /* someone else's child first: refused, all at once */
    json_t *bad = json_deep_copy(ans);
    json_array_append_new(json_object_get(bad, "children"),
                          json_pack("{s:s}", "rnokpp", other.rnokpp));
    struct call b = {.op = START, .actor = &mum.actor, .service = "idp-registration",
                     .answers = bad, .flag = true};
    cr_assert_eq(run(&b), PS_OK, "%s", b.diag.message);
    cr_assert_eq(b.res.outcome, PS_APP_INVALID);
    cr_assert_str_eq(b.res.errors[0].field, "children[1].rnokpp");
    /* the look-up of the other child was recorded and committed */
    cr_assert_geq(count(&n_changes, "kinship.read"), 1);
    struct call c = {.op = START, .actor = &mum.actor, .service = "idp-registration",
                     .answers = ans, .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.res.outcome, PS_APP_DONE, "%s", c.res.nerrors ? c.res.errors[0].en : "");
    cr_assert_str_eq(c.res.status, "approved");
    cr_assert_eq(count(&n_idp, mum.rnokpp), 1);
    cr_assert_eq(count(&n_idp, son.rnokpp), 1);
    struct call c2 = {.op = START, .actor = &mum.actor, .service = "idp-registration",
                      .answers = json_deep_copy(ans), .flag = true};
    cr_assert_eq(run(&c2), PS_OK, "%s", c2.diag.message);
    cr_assert_eq(c2.res.outcome, PS_APP_NOT_ELIGIBLE);
    done(&k);
    done(&b);
    done(&c);
    done(&c2);
}

/* ---- marriage ---- */

Test(app, marriage_consent_registrar_and_refusals)
{
    struct who a, b, stranger, reg, clerk;
    person(&a, 8, "1991-05-05", PS_SEX_MALE, "м. Київ", "Київська міська громада");
    person(&b, 9, "1993-08-08", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    person(&stranger, 10, "1970-01-01", PS_SEX_MALE, "м. Київ", "Київська міська громада");
    person(&reg, 11, "1975-01-01", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    person(&clerk, 12, "1976-01-01", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    make_official(&reg, "registrar", "minjust");
    make_official(&clerk, "clerk", "minjust");
    struct call s = {.op = SLOT_ADD, .actor = &reg.actor};
    cr_assert_eq(run(&s), PS_OK, "%s", s.diag.message);
    struct call fs = {.op = SLOTS, .actor = &a.actor};
    cr_assert_eq(run(&fs), PS_OK, "%s", fs.diag.message);
    cr_assert_eq(fs.n, 1);
    json_t *ans = json_pack("{s:s,s:s,s:s}", "spouse", b.rnokpp, "surname_after", "Бондар",
                            "ceremony_slot", s.slot_id);
    struct call c = {.op = START, .actor = &a.actor, .service = "marriage", .answers = ans,
                     .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_eq(c.res.outcome, PS_APP_DONE, "%s", c.res.nerrors ? c.res.errors[0].en : "");
    cr_assert_str_eq(c.res.status, "waiting");
    cr_assert_str_eq(c.res.step, "consent");
    cr_assert_eq(count(&n_fees, a.rnokpp), 850);
    /* the slot is taken now */
    struct call fs2 = {.op = SLOTS, .actor = &a.actor};
    cr_assert_eq(run(&fs2), PS_OK);
    cr_assert_eq(fs2.n, 0);
    /* a stranger's consent: refused and recorded */
    struct call x = {.op = CONSENT, .actor = &stranger.actor, .id = c.res.id, .flag = true,
                     .answers = json_pack("{s:s}", "surname_after", "Х")};
    cr_assert_eq(run(&x), PS_OK, "%s", x.diag.message);
    cr_assert_eq(x.res.outcome, PS_APP_REFUSED);
    cr_assert_eq(count(&n_changes, "application.refused"), 1);
    /* the spouse sees it in their queue and consents with their surname */
    struct call q = {.op = QUEUE, .actor = &b.actor};
    cr_assert_eq(run(&q), PS_OK, "%s", q.diag.message);
    cr_assert_eq(q.n, 1);
    cr_assert_str_eq(q.tasks[0].kind.p, "consent");
    struct call y = {.op = CONSENT, .actor = &b.actor, .id = c.res.id, .flag = true,
                     .answers = json_pack("{s:s}", "surname_after", "Бондар")};
    cr_assert_eq(run(&y), PS_OK, "%s", y.diag.message);
    cr_assert_eq(y.res.outcome, PS_APP_DONE);
    cr_assert_str_eq(y.res.step, "registrar");
    /* a clerk may not decide: refused and recorded */
    struct call rq = {.op = QUEUE, .actor = &reg.actor};
    cr_assert_eq(run(&rq), PS_OK, "%s", rq.diag.message);
    cr_assert_eq(rq.n, 1);
    const char *task = rq.tasks[0].id.p;
    struct call cl = {.op = CLAIM, .actor = &clerk.actor, .id = task};
    cr_assert_eq(run(&cl), PS_OK, "%s", cl.diag.message);
    cr_assert_eq(cl.res.outcome, PS_APP_REFUSED);
    cr_assert_eq(count(&n_changes, "application.refused"), 2);
    /* the registrar must claim before deciding */
    struct call d0 = {.op = DECIDE, .actor = &reg.actor, .id = task, .flag = true};
    cr_assert_eq(run(&d0), PS_OK, "%s", d0.diag.message);
    cr_assert_eq(d0.res.outcome, PS_APP_REFUSED);
    struct call cl2 = {.op = CLAIM, .actor = &reg.actor, .id = task};
    cr_assert_eq(run(&cl2), PS_OK, "%s", cl2.diag.message);
    cr_assert_eq(cl2.res.outcome, PS_APP_DONE);
    struct call d1 = {.op = DECIDE, .actor = &reg.actor, .id = task, .flag = true};
    cr_assert_eq(run(&d1), PS_OK, "%s", d1.diag.message);
    cr_assert_eq(d1.res.outcome, PS_APP_DONE);
    cr_assert_str_eq(d1.res.status, "approved");
    cr_assert_eq(count(&n_marriage, a.rnokpp), 1);
    cr_assert_eq(count(&n_marriage, b.rnokpp), 1);
    /* the registrar reads the application: recorded */
    cr_assert_eq(count(&n_changes, "marriage.register"), 2);
    struct call in = {.op = INBOX, .actor = &b.actor};
    cr_assert_eq(run(&in), PS_OK);
    cr_assert_eq(in.n, 2); /* asked to consent; married */
    struct call *all[] = {&s, &fs, &c, &fs2, &x, &q, &y, &rq, &cl, &d0, &cl2, &d1, &in};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        done(all[i]);
}

Test(app, close_relatives_refused)
{
    struct who mum, a, b;
    person(&mum, 13, "1960-01-01", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    person(&a, 14, "1990-01-01", PS_SEX_MALE, "м. Київ", "Київська міська громада");
    person(&b, 15, "1992-01-01", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = S("admin")};
    struct call k1 = {.op = KIN, .actor = &admin, .a = a.rnokpp, .b = mum.rnokpp};
    struct call k2 = {.op = KIN, .actor = &admin, .a = b.rnokpp, .b = mum.rnokpp};
    cr_assert_eq(run(&k1), PS_OK, "%s", k1.diag.message);
    cr_assert_eq(run(&k2), PS_OK, "%s", k2.diag.message);
    json_t *ans = json_pack("{s:s,s:s,s:s}", "spouse", b.rnokpp, "surname_after", "Бондар",
                            "ceremony_slot", "0190a0b2-7c5e-7000-8000-000000000001");
    struct call c = {.op = START, .actor = &a.actor, .service = "marriage", .answers = ans,
                     .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_str_eq(c.res.status, "rejected");
    cr_assert(strstr(c.res.reason.en, "Close relatives"), "%s", c.res.reason.en);
    done(&k1);
    done(&k2);
    done(&c);
}

Test(app, taken_slot_fails_the_whole_submission)
{
    struct who a, b;
    person(&a, 16, "1990-01-01", PS_SEX_MALE, "м. Київ", "Київська міська громада");
    person(&b, 17, "1992-01-01", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    json_t *ans = json_pack("{s:s,s:s,s:s}", "spouse", b.rnokpp, "surname_after", "Бондар",
                            "ceremony_slot", "0190a0b2-7c5e-7000-8000-000000000001");
    struct call c = {.op = START, .actor = &a.actor, .service = "marriage", .answers = ans,
                     .flag = true};
    cr_assert_eq(run(&c), PS_ERR_EXISTS);
    cr_assert_str_eq(c.diag.message, "the chosen time is no longer free");
    cr_assert_eq(count(&n_apps, a.rnokpp), 0);
    done(&c);
}

/* ---- outcomes issue their documents (the documents service installed) ---- */

static const struct ps_sql n_docs = {
    "t.docs", "SELECT COUNT(*) FROM documents WHERE holder = $1 AND type = $2"};
static const struct ps_sql n_apps_all = {"t.apps_all", "SELECT COUNT(*) FROM applications"};

struct docs_q {
    const char *holder, *type;
    int64_t n;
    size_t changes;
    struct ps_arena *arena;
    struct ps_doc_view *v; /* PS_DOCS_PER_PERSON_MAX */
    size_t nv;
};

static enum ps_err rows_tx(struct ps_tx *tx, void *ctx)
{
    struct docs_q *q = ctx;
    struct ps_query pq;
    ps_query_start(&pq, tx, &n_docs);
    ps_query_text(&pq, S(q->holder));
    ps_query_text(&pq, S(q->type));
    if (ps_query_row(&pq))
        q->n = ps_stmt_i64(pq.st, 0);
    return ps_query_end(&pq);
}

/* Every document row of type for holder, whatever its status: 1 means issued once, never
 * revoked and reissued. */
static int64_t doc_rows(const char *holder, const char *type)
{
    struct docs_q q = {.holder = holder, .type = type, .n = -1};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, rows_tx, &q, &d), PS_OK, "%s", d.message);
    return q.n;
}

static enum ps_err dry_tx(struct ps_tx *tx, void *ctx)
{
    struct docs_q *q = ctx;
    struct ps_actor sys = {.kind = PS_ACTOR_SYSTEM, .id = S("test")};
    struct ps_diag d = {0};
    return ps_docs_sync(tx, docs, &sys, S(q->holder), S("check"), true, &q->changes, &d);
}

/* What a sync of holder's documents would change now (0: in step). */
static size_t pending(const char *holder)
{
    struct docs_q q = {.holder = holder};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, dry_tx, &q, &d), PS_OK, "%s", d.message);
    return q.changes;
}

static enum ps_err list_tx(struct ps_tx *tx, void *ctx)
{
    struct docs_q *q = ctx;
    struct ps_actor self = {.kind = PS_ACTOR_CITIZEN, .id = S(q->holder)};
    struct ps_diag d = {0};
    return ps_docs_list(tx, docs, &self, S(q->holder), PS_STR_NULL, q->arena, q->v,
                        PS_DOCS_PER_PERSON_MAX, &q->nv, &d);
}

/* The claim name of holder's document of type in force (its id into id when not NULL), in
 * arena; NULL when there is none. */
static const char *claim(const char *holder, const char *type, const char *name,
                         struct ps_arena *arena, char id[37])
{
    struct docs_q q = {.holder = holder, .arena = arena};
    q.v = ps_arena_zalloc(arena, PS_DOCS_PER_PERSON_MAX * sizeof *q.v);
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, list_tx, &q, &d), PS_OK, "%s", d.message);
    for (size_t i = 0; i < q.nv; i++) {
        if (!ps_str_eq_cstr(q.v[i].doc.type_id, type))
            continue;
        if (id)
            memcpy(id, q.v[i].doc.id, 37);
        for (size_t k = 0; k < q.v[i].n; k++)
            if (strcmp(q.v[i].claims[k].name, name) == 0)
                return q.v[i].claims[k].text;
    }
    return NULL;
}

/* The id the application recorded for the document of type issued to holder. */
static const char *recorded(struct call *v, const char *type, const char *holder)
{
    json_t *facts = json_loadb(v->view.facts.p, v->view.facts.len, 0, NULL), *x;
    cr_assert_not_null(facts);
    const char *out = NULL;
    size_t i;
    json_array_foreach(json_object_get(facts, "_documents"), i, x) {
        if (strcmp(json_string_value(json_object_get(x, "type")), type) == 0 &&
            strcmp(json_string_value(json_object_get(x, "holder")), holder) == 0) {
            cr_assert_str_eq(json_string_value(json_object_get(x, "status")), "issued");
            out = ps_arena_cstr(v->arena, ps_str_from_cstr(json_string_value(
                                              json_object_get(x, "id"))));
        }
    }
    json_decref(facts);
    return out;
}

static void fop_issues_the_extract_once(void)
{
    struct who w;
    person(&w, 31, "1988-04-02", PS_SEX_MALE, "Львівська область", "Стрийська міська громада");
    struct call c = {.op = START, .actor = &w.actor, .service = "fop-registration",
                     .answers = fop_answers("single-3"), .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_str_eq(c.res.status, "approved");
    cr_assert_eq(doc_rows(w.rnokpp, "ua.fop-extract"), 1);
    cr_assert_eq(count(&n_changes, "document.request"), 0);
    cr_assert_eq(pending(w.rnokpp), 0);
    char id[37] = "";
    cr_assert_str_eq(claim(w.rnokpp, "ua.fop-extract", "activities", c.arena, id),
                     "62.01, 62.02");
    cr_assert_str_eq(claim(w.rnokpp, "ua.fop-extract", "tax_system", c.arena, NULL),
                     "єдиний податок, 3 група");
    cr_assert_str_eq(claim(w.rnokpp, "ua.fop-extract", "kved", c.arena, NULL), "62.01");
    struct call v = {.op = GET, .actor = &w.actor, .id = c.res.id};
    cr_assert_eq(run(&v), PS_OK, "%s", v.diag.message);
    const char *rec = recorded(&v, "ua.fop-extract", w.rnokpp);
    cr_assert_not_null(rec);
    cr_assert_str_eq(rec, id);
    done(&c);
    done(&v);
}

Test(issue, fop_outcome_issues_the_extract_once_with_the_details)
{
    fop_issues_the_extract_once();
}

Test(issue_nohook, fop_outcome_issues_the_extract_without_the_registries_hook)
{
    fop_issues_the_extract_once();
}

static void idp_issues_certificates_to_parent_and_child(void)
{
    struct who mum, son;
    person(&mum, 32, "1984-02-10", PS_SEX_FEMALE, "Донецька область",
           "Маріупольська міська громада");
    person(&son, 33, "2014-09-01", PS_SEX_MALE, "Донецька область",
           "Маріупольська міська громада");
    struct ps_actor registrar = {.kind = PS_ACTOR_ADMIN, .id = S("admin")};
    struct call k = {.op = KIN, .actor = &registrar, .a = son.rnokpp, .b = mum.rnokpp};
    cr_assert_eq(run(&k), PS_OK, "%s", k.diag.message);
    json_t *ans = json_pack("{s:s,s:{s:s,s:s,s:s,s:s,s:s},s:[{s:s}],s:b}", "left_on",
                            "2022-03-10", "current_address", "oblast", "Львівська область",
                            "hromada", "Львівська міська громада", "settlement", "м. Львів",
                            "street", "вул. Городоцька", "building", "12", "children", "rnokpp",
                            son.rnokpp, "allowance", 1);
    struct call c = {.op = START, .actor = &mum.actor, .service = "idp-registration",
                     .answers = ans, .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_str_eq(c.res.status, "approved");
    struct call v = {.op = GET, .actor = &mum.actor, .id = c.res.id};
    cr_assert_eq(run(&v), PS_OK, "%s", v.diag.message);
    const struct who *both[] = {&mum, &son};
    for (size_t i = 0; i < 2; i++) {
        const char *r = both[i]->rnokpp;
        char id[37] = "";
        cr_assert_eq(doc_rows(r, "ua.idp-certificate"), 1, "%s", r);
        cr_assert_eq(pending(r), 0, "%s", r);
        const char *num = claim(r, "ua.idp-certificate", "certificate_number", c.arena, id);
        cr_assert_not_null(num, "%s has no IDP certificate", r);
        cr_assert_eq(strlen(num), 15, "%s", num);
        cr_assert_eq(num[4], '-');
        cr_assert_str_eq(claim(r, "ua.idp-certificate", "from_hromada", c.arena, NULL),
                         "Маріупольська міська громада");
        cr_assert_str_eq(claim(r, "ua.idp-certificate", "from_address", c.arena, NULL),
                         "Донецька область, м. Місто, вул. Миру, 1");
        cr_assert_str_eq(claim(r, "ua.idp-certificate", "actual_address", c.arena, NULL),
                         "м. Львів, вул. Городоцька, 12");
        cr_assert_str_eq(recorded(&v, "ua.idp-certificate", r), id);
    }
    /* two registrations, two numbers */
    cr_assert_str_neq(claim(mum.rnokpp, "ua.idp-certificate", "certificate_number", c.arena, NULL),
                      claim(son.rnokpp, "ua.idp-certificate", "certificate_number", c.arena, NULL));
    done(&k);
    done(&c);
    done(&v);
}

Test(issue, idp_outcome_issues_the_certificates_of_parent_and_child)
{
    idp_issues_certificates_to_parent_and_child();
}

Test(issue_nohook, idp_outcome_issues_the_certificates_without_the_registries_hook)
{
    idp_issues_certificates_to_parent_and_child();
}

/* a marries b (surnames chosen: sa, sb) through the marriage service, to the registrar's
 * approval; the application's id into id. */
static void marry(struct who *a, struct who *b, struct who *reg, const char *sa, const char *sb,
                  char id[37])
{
    struct call s = {.op = SLOT_ADD, .actor = &reg->actor};
    cr_assert_eq(run(&s), PS_OK, "%s", s.diag.message);
    json_t *ans = json_pack("{s:s,s:s,s:s}", "spouse", b->rnokpp, "surname_after", sa,
                            "ceremony_slot", s.slot_id);
    struct call c = {.op = START, .actor = &a->actor, .service = "marriage", .answers = ans,
                     .flag = true};
    cr_assert_eq(run(&c), PS_OK, "%s", c.diag.message);
    cr_assert_str_eq(c.res.step, "consent");
    struct call y = {.op = CONSENT, .actor = &b->actor, .id = c.res.id, .flag = true,
                     .answers = json_pack("{s:s}", "surname_after", sb)};
    cr_assert_eq(run(&y), PS_OK, "%s", y.diag.message);
    struct call rq = {.op = QUEUE, .actor = &reg->actor};
    cr_assert_eq(run(&rq), PS_OK, "%s", rq.diag.message);
    cr_assert_eq(rq.n, 1);
    struct call cl = {.op = CLAIM, .actor = &reg->actor, .id = rq.tasks[0].id.p};
    cr_assert_eq(run(&cl), PS_OK, "%s", cl.diag.message);
    struct call d1 = {.op = DECIDE, .actor = &reg->actor, .id = rq.tasks[0].id.p, .flag = true};
    cr_assert_eq(run(&d1), PS_OK, "%s", d1.diag.message);
    cr_assert_str_eq(d1.res.status, "approved");
    memcpy(id, c.res.id, 37);
    struct call *all[] = {&s, &c, &y, &rq, &cl, &d1};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        done(all[i]);
}

Test(issue, marriage_outcome_issues_both_certificates_with_the_chosen_surnames)
{
    struct who a, b, reg;
    person(&a, 34, "1991-05-05", PS_SEX_MALE, "м. Київ", "Київська міська громада");
    person(&b, 35, "1993-08-08", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    person(&reg, 36, "1975-01-01", PS_SEX_FEMALE, "м. Київ", "Київська міська громада");
    make_official(&reg, "registrar", "minjust");
    char app[37];
    marry(&a, &b, &reg, "Бондар", "Бондар-Коваль", app);
    struct ps_arena *ar = ps_arena_new(8u << 20);
    char ida[37] = "", idb[37] = "";
    cr_assert_eq(doc_rows(a.rnokpp, "ua.marriage-certificate"), 1);
    cr_assert_eq(doc_rows(b.rnokpp, "ua.marriage-certificate"), 1);
    cr_assert_eq(pending(a.rnokpp), 0);
    cr_assert_eq(pending(b.rnokpp), 0);
    cr_assert_str_eq(claim(a.rnokpp, "ua.marriage-certificate", "surname_after", ar, ida),
                     "Бондар");
    cr_assert_str_eq(claim(a.rnokpp, "ua.marriage-certificate", "spouse_surname_after", ar,
                           NULL),
                     "Бондар-Коваль");
    cr_assert_str_eq(claim(b.rnokpp, "ua.marriage-certificate", "surname_after", ar, idb),
                     "Бондар-Коваль");
    cr_assert_str_eq(claim(b.rnokpp, "ua.marriage-certificate", "spouse_surname_after", ar,
                           NULL),
                     "Бондар");
    struct call v = {.op = GET, .actor = &a.actor, .id = app};
    cr_assert_eq(run(&v), PS_OK, "%s", v.diag.message);
    cr_assert_str_eq(recorded(&v, "ua.marriage-certificate", a.rnokpp), ida);
    cr_assert_str_eq(recorded(&v, "ua.marriage-certificate", b.rnokpp), idb);
    done(&v);
    ps_arena_free(ar);
}

Test(issue, a_promise_the_records_do_not_support_fails_the_transition)
{
    struct who w;
    person(&w, 37, "1980-01-01", PS_SEX_MALE, "м. Київ", "Київська міська громада");
    struct call c = {.op = START, .actor = &w.actor, .service = "promise",
                     .answers = json_pack("{s:i}", "n", 1), .flag = true};
    cr_assert_eq(run(&c), PS_ERR_INTERNAL);
    cr_assert(strstr(c.diag.message, "promised a ua.idp-certificate to") &&
                  strstr(c.diag.message, "their records support none"),
              "%s", c.diag.message);
    /* nothing committed: no application, no document */
    cr_assert_eq(count(&n_apps_all, NULL), 0);
    cr_assert_eq(doc_rows(w.rnokpp, "ua.idp-certificate"), 0);
    done(&c);
}
