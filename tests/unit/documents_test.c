/* Documents over the store (SQLite, and PostgreSQL through pg_helper.h when PS_TEST_DB is
 * set): issuance from registry records and its log entries, reissue from the registries'
 * hook (person updates, marriages, sole proprietors) in the same transaction, revocation and
 * suspension through the status lists, shares (single use, expiry, who redeemed), the device
 * key and offline presentations, key rotation with overlap, and every signed form through
 * libpsverify with the trust list the service publishes: valid, revoked, a key used for a
 * type it may not sign. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "crypto/keys.h"
#include "keystore/keystore.h"
#include "documents/claims.h"
#include "documents/docs.h"
#include "documents/image.h"
#include "documents/issuer.h"
#include "documents/soft_key.h"
#include "pocketstate/verify.h"
#include "registries/business.h"
#include "registries/civil.h"
#include "registries/idp.h"
#include "registries/persons.h"
#include "registries/records.h"
#include "registries/transport.h"
#include "store/store.h"
#include "pg_helper.h"

#define HEX "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

static struct ps_store *store;
static struct ps_master_key *master;
static struct ps_docs *docs;
static struct ps_arena *arena;
static char dbpath[64], pg_url[512], pg_schema[64];
static const struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = {"local-admin", 11}};

static struct ps_str S(const char *s)
{
    return ps_str_from_cstr(s);
}

static void setup(void)
{
    int n = snprintf(dbpath, sizeof dbpath, "/tmp/ps-documents-%d.db", (int)getpid());
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
    cr_assert_eq(ps_population_load(store, 400, 11, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_keys_master_from_hex(S(HEX), &master, &d), PS_OK);
    cr_assert_eq(ps_keystore_generate_all(store, master, NULL, NULL, &d), PS_OK, "%s", d.message);
    struct ps_docs_opts opts = {"https://ps.example/", NULL, true};
    cr_assert_eq(ps_docs_start(store, master, &opts, &docs, &d), PS_OK, "%s", d.message);
    arena = ps_arena_new(8u << 20);
}

static void teardown(void)
{
    ps_docs_stop(docs);
    ps_store_free(store);
    ps_keys_master_free(master);
    ps_arena_free(arena);
    unlink(dbpath);
    if (pg_schema[0])
        ps_test_pg_drop(pg_schema);
}

TestSuite(documents, .init = setup, .fini = teardown, .timeout = 120);

/* ---- helpers ---- */

struct sql1 {
    const struct ps_sql *sql;
    const char *arg;
    char out[64];
    int64_t n;
    int64_t iarg; /* bound instead of arg when arg is NULL and iarg >= 0 */
};

static enum ps_err sql1_tx(struct ps_tx *tx, void *ctx)
{
    struct sql1 *s = ctx;
    struct ps_query q;
    ps_query_start(&q, tx, s->sql);
    if (s->arg)
        ps_query_text(&q, S(s->arg));
    else if (s->iarg >= 0)
        ps_query_i64(&q, s->iarg);
    s->out[0] = '\0';
    if (ps_query_row(&q)) {
        if (ps_str_copy(s->out, sizeof s->out, ps_stmt_text(q.st, 0)) != PS_OK)
            q.err = PS_ERR_LIMIT;
        s->n = ps_stmt_i64(q.st, 0);
    }
    return ps_query_end(&q);
}

/* The first column of the first row of sql (with arg as $1 when not NULL). */
static struct sql1 query1(const struct ps_sql *sql, const char *arg)
{
    struct sql1 s = {sql, arg, "", 0, -1};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, sql1_tx, &s, &d), PS_OK, "%s: %s", sql->name, d.message);
    return s;
}

static const struct ps_sql with_vehicle = {
    "t.with_vehicle",
    "SELECT v.owner FROM vehicles v JOIN driving_licences l ON l.rnokpp = v.owner "
    "JOIN persons p ON p.rnokpp = v.owner WHERE p.status = 'alive' ORDER BY v.owner LIMIT 1"};
static const struct ps_sql alive_adults = {
    "t.adults", "SELECT rnokpp FROM persons WHERE status = 'alive' AND birth_date < '2000-01-01' "
                "ORDER BY rnokpp LIMIT 1 OFFSET $1"};
static const struct ps_sql count_docs = {
    "t.count_docs", "SELECT count(*) FROM documents WHERE holder = $1 AND status = 'valid'"};
static const struct ps_sql count_action = {
    "t.count_action", "SELECT count(*) FROM access_log WHERE action = $1"};

static int64_t valid_docs(const char *rnokpp)
{
    return query1(&count_docs, rnokpp).n;
}

static int64_t log_rows(const char *action)
{
    return query1(&count_action, action).n;
}

/* The k-th living adult (RNOKPP order). */
static void adult(int k, char out[11])
{
    struct sql1 s = {&alive_adults, NULL, "", 0, k};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, sql1_tx, &s, &d), PS_OK, "%s", d.message);
    cr_assert_eq(strlen(s.out), 10, "no adult number %d", k);
    memcpy(out, s.out, 11);
}

static struct ps_actor citizen(const char *rnokpp)
{
    return (struct ps_actor){.kind = PS_ACTOR_CITIZEN, .id = S(rnokpp)};
}

struct op {
    const char *rnokpp;
    const struct ps_actor *actor;
    size_t changes;
    bool dry;
    struct ps_doc_view views[PS_DOCS_PER_PERSON_MAX];
    size_t n;
    struct ps_diag diag;
};

static enum ps_err sync_tx(struct ps_tx *tx, void *ctx)
{
    struct op *o = ctx;
    return ps_docs_sync(tx, docs, o->actor, S(o->rnokpp), S("test"), o->dry, &o->changes,
                        &o->diag);
}

static enum ps_err list_tx(struct ps_tx *tx, void *ctx)
{
    struct op *o = ctx;
    return ps_docs_list(tx, docs, o->actor, S(o->rnokpp), S("test"), arena, o->views,
                        PS_DOCS_PER_PERSON_MAX, &o->n, &o->diag);
}

/* Syncs rnokpp's documents as the person, returns them. */
static struct op *sync_and_list(const char *rnokpp)
{
    static struct op o;
    static struct ps_actor me;
    me = citizen(rnokpp);
    memset(&o, 0, sizeof o);
    o.rnokpp = rnokpp;
    o.actor = &me;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, sync_tx, &o, &d), PS_OK, "%s %s", o.diag.message,
                 d.message);
    cr_assert_eq(ps_store_read(store, list_tx, &o, &d), PS_OK, "%s %s", o.diag.message,
                 d.message);
    return &o;
}

static const struct ps_doc_view *find_type(struct op *o, const char *type)
{
    for (size_t i = 0; i < o->n; i++) {
        if (strcmp(o->views[i].doc.type->id, type) == 0)
            return &o->views[i];
    }
    return NULL;
}

static const struct ps_doc_claim *claim(const struct ps_doc_view *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++) {
        if (strcmp(v->claims[i].name, name) == 0)
            return &v->claims[i];
    }
    cr_assert_fail("no claim %s", name);
    return NULL;
}

/* ---- verification with what the service publishes ---- */

static psv_trust *trust(void)
{
    struct ps_buf tl, jwk;
    char etag[67];
    struct ps_diag d = {0};
    ps_buf_init(&tl, 1 << 20);
    ps_buf_init(&jwk, 1024);
    cr_assert_eq(ps_docs_trust_list(docs, &tl, etag, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_docs_root_jwk(docs, &jwk), PS_OK);
    psv_trust *t = psv_trust_new();
    struct psv_root root = {jwk.p, jwk.len};
    struct psv_diag pd;
    cr_assert_eq(psv_trust_load_list(t, tl.p, tl.len, &root, ps_clock_now_ms() / 1000, &pd),
                 PSV_OK, "%s", pd.message);
    ps_buf_reset(&tl);
    ps_buf_reset(&jwk);
    return t;
}

static psv_status_list *status_list(const psv_trust *t, int64_t id)
{
    struct ps_buf tok;
    char etag[67];
    struct ps_diag d = {0};
    ps_buf_init(&tok, 1 << 20);
    cr_assert_eq(ps_docs_status_list(docs, id, &tok, etag, &d), PS_OK, "%s", d.message);
    psv_status_list *sl = NULL;
    struct psv_diag pd;
    cr_assert_eq(psv_status_list_parse(t, (const uint8_t *)tok.p, tok.len,
                                       ps_clock_now_ms() / 1000, 0, &sl, &pd),
                 PSV_OK, "%s", pd.message);
    ps_buf_reset(&tok);
    return sl;
}

static enum psv_error verify(const char *qr, const psv_status_list *sl, struct psv_result *r)
{
    psv_trust *t = trust();
    struct psv_params p = {.trust = t, .status = sl, .now = ps_clock_now_ms() / 1000};
    enum psv_error e = psv_verify(&p, qr, strlen(qr), r);
    psv_trust_free(t);
    return e;
}

static void present(const struct ps_doc_view *v, ps_claim_mask mask, struct ps_buf *qr)
{
    struct ps_diag d = {0};
    ps_buf_init(qr, 16384);
    cr_assert_eq(ps_docs_present(docs, v, mask, ps_clock_now_ms() / 1000, qr, &d), PS_OK, "%s",
                 d.message);
}

/* ---- issuance ---- */

Test(documents, issued_from_records_once)
{
    char who[11];
    struct sql1 s = query1(&with_vehicle, NULL);
    cr_assert_eq(strlen(s.out), 10, "the population has no driver with a vehicle");
    memcpy(who, s.out, 11);
    int64_t issued_before = log_rows("document.issue");
    struct op *o = sync_and_list(who);
    /* ID card, taxpayer card, birth certificate, driving licence, at least one vehicle */
    cr_assert_geq(o->n, 5, "%zu documents", o->n);
    cr_assert_not_null(find_type(o, "ua.id-card"));
    cr_assert_not_null(find_type(o, "ua.taxpayer-card"));
    cr_assert_not_null(find_type(o, "ua.birth-certificate"));
    const struct ps_doc_view *dl = find_type(o, "ua.driving-licence");
    const struct ps_doc_view *car = find_type(o, "ua.vehicle-registration");
    cr_assert_not_null(dl);
    cr_assert_not_null(car);
    cr_assert_eq(log_rows("document.issue") - issued_before, (int64_t)o->n);
    struct ps_diag d = {0};
    cr_assert_eq(ps_licence_number_validate(S(claim(dl, "licence_number")->text), &d), PS_OK,
                 "%s", claim(dl, "licence_number")->text);
    char plate[9] = {0};
    const char *printed = claim(car, "plate")->text;
    cr_assert_eq(strlen(printed), 10, "%s", printed);
    memcpy(plate, printed, 2);
    memcpy(plate + 2, printed + 3, 4);
    memcpy(plate + 6, printed + 8, 2);
    cr_assert_eq(ps_plate_validate(S(plate), &d), PS_OK, "%s: %s", printed, d.message);
    cr_assert_eq(ps_vin_validate(S(claim(car, "vin")->text), &d), PS_OK, "%s", d.message);
    cr_assert_eq(claim(dl, "photo")->len, 32);
    cr_assert(claim(find_type(o, "ua.id-card"), "over_18")->b);
    /* in step: a second sync changes nothing */
    struct op *again = sync_and_list(who);
    cr_assert_eq(again->changes, 0);
    cr_assert_eq(log_rows("document.issue") - issued_before, (int64_t)again->n);
}

struct upd {
    struct ps_person p;
    const char *surname;
    struct ps_diag diag;
};

static enum ps_err rename_tx(struct ps_tx *tx, void *ctx)
{
    struct upd *u = ctx;
    enum ps_err e = ps_person_read(tx, &admin, u->p.rnokpp, S("test"), arena, &u->p, &u->diag);
    if (e != PS_OK)
        return e;
    u->p.surname = S(u->surname);
    u->p.surname_latin = PS_STR("");
    return ps_person_update(tx, &admin, &u->p, S("change of surname, act 17"), &u->diag);
}

Test(documents, person_update_reissues_in_the_same_transaction)
{
    char who[11];
    adult(0, who);
    struct op *o = sync_and_list(who);
    size_t before = o->n;
    char old_id[37];
    memcpy(old_id, find_type(o, "ua.id-card")->doc.id, 37);
    int64_t revoked = log_rows("document.revoke");
    struct upd u = {.p = {.rnokpp = S(who)}, .surname = "Коваленко"};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, rename_tx, &u, &d), PS_OK, "%s %s", u.diag.message,
                 d.message);
    /* every document shows the name: all reissued, the old ones revoked */
    cr_assert_eq(log_rows("document.revoke") - revoked, (int64_t)before);
    cr_assert_eq(valid_docs(who), (int64_t)before);
    o = sync_and_list(who);
    cr_assert_eq(o->changes, 0);
    const struct ps_doc_view *id = find_type(o, "ua.id-card");
    cr_assert_str_neq(id->doc.id, old_id);
    cr_assert_str_eq(claim(id, "family_name")->text, "Коваленко");
    cr_assert_str_eq(claim(id, "family_name_latin")->text, "Kovalenko");
    /* the old one says why */
    struct ps_document old;
    static const struct ps_sql sup = {"t.sup", "SELECT superseded_by FROM documents WHERE id = $1"};
    cr_assert_str_eq(query1(&sup, old_id).out, id->doc.id);
    (void)old;
}

struct marry {
    const char *a, *b;
    char id[37];
    struct ps_diag refused, diag;
};

static enum ps_err marry_tx(struct ps_tx *tx, void *ctx)
{
    struct marry *m = ctx;
    return ps_marriage_register(tx, &admin, S(m->a), S(m->b), S("act 42"), m->id, &m->refused,
                                &m->diag);
}

static enum ps_err divorce_tx(struct ps_tx *tx, void *ctx)
{
    struct marry *m = ctx;
    return ps_marriage_dissolve(tx, &admin, S(m->id), S("court decision 5"), &m->refused,
                                &m->diag);
}

Test(documents, marriage_issues_and_dissolution_revokes_certificates)
{
    static const struct ps_sql unmarried = {
        "t.unmarried",
        "SELECT rnokpp FROM persons p WHERE status = 'alive' AND birth_date < '2000-01-01' AND "
        "rnokpp > $1 AND NOT EXISTS (SELECT 1 FROM marriage_parties m WHERE m.rnokpp = "
        "p.rnokpp) ORDER BY rnokpp LIMIT 1"};
    char a[11], b[11];
    memcpy(a, query1(&unmarried, "0").out, 11);
    memcpy(b, query1(&unmarried, a).out, 11);
    struct marry m = {a, b, "", {0}, {0}};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, marry_tx, &m, &d), PS_OK, "%s", m.diag.message);
    cr_assert_eq(m.refused.code, PS_OK, "%s", m.refused.message);
    /* both spouses hold a certificate naming the other, issued by the hook */
    struct op *oa = sync_and_list(a);
    cr_assert_eq(oa->changes, 0, "the hook issued everything already");
    const struct ps_doc_view *ca = find_type(oa, "ua.marriage-certificate");
    cr_assert_not_null(ca);
    char spouse_name[128];
    snprintf(spouse_name, sizeof spouse_name, "%s", claim(ca, "spouse_given_name")->text);
    struct op *ob = sync_and_list(b);
    cr_assert_not_null(find_type(ob, "ua.marriage-certificate"));
    cr_assert_str_eq(claim(find_type(ob, "ua.id-card"), "given_name")->text, spouse_name);
    /* dissolution: the certificates go */
    cr_assert_eq(ps_store_write(store, divorce_tx, &m, &d), PS_OK, "%s", m.diag.message);
    cr_assert_null(find_type(sync_and_list(a), "ua.marriage-certificate"));
    cr_assert_null(find_type(sync_and_list(b), "ua.marriage-certificate"));
}

struct fop {
    const char *who;
    struct ps_diag refused, diag;
};

static enum ps_err fop_tx(struct ps_tx *tx, void *ctx)
{
    struct fop *f = ctx;
    char id[37];
    return ps_sole_proprietor_register(tx, &admin, S(f->who), S("62.01"), S("application 9"), id,
                                       &f->refused, &f->diag);
}

Test(documents, sole_proprietor_extract)
{
    char who[11];
    adult(9, who);
    struct fop f = {who, {0}, {0}};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, fop_tx, &f, &d), PS_OK, "%s", f.diag.message);
    const struct ps_doc_view *x = find_type(sync_and_list(who), "ua.fop-extract");
    cr_assert_not_null(x);
    cr_assert_str_eq(claim(x, "kved")->text, "62.01");
}

/* A detail recorded after its act (not as a service outcome does) runs the hook again: the
 * documents showing it are reissued with it, the spouse's too. */
struct later {
    const char *who, *id, *surname;
    struct ps_diag diag;
};

static enum ps_err surname_tx(struct ps_tx *tx, void *ctx)
{
    struct later *l = ctx;
    return ps_marriage_set_surname(tx, &admin, S(l->id), S(l->who), S(l->surname), S("act 43"),
                                   &l->diag);
}

static enum ps_err details_tx(struct ps_tx *tx, void *ctx)
{
    struct later *l = ctx;
    struct ps_str kv[2] = {S("62.01"), S("63.11")};
    struct ps_sole_proprietor_details d = {S("single-2"), kv, 2, S(""), S("")};
    return ps_sole_proprietor_set_details(tx, &admin, S(l->id), S(l->who), &d, S("act 44"),
                                          &l->diag);
}

static const struct ps_sql fop_id = {
    "t.fop_id", "SELECT id FROM sole_proprietors WHERE rnokpp = $1 AND status = 'active'"};

Test(documents, details_recorded_after_the_act_reissue_the_documents)
{
    static const struct ps_sql unmarried = {
        "t.unmarried2",
        "SELECT rnokpp FROM persons p WHERE status = 'alive' AND birth_date < '1990-01-01' AND "
        "rnokpp > $1 AND NOT EXISTS (SELECT 1 FROM marriage_parties m WHERE m.rnokpp = "
        "p.rnokpp) ORDER BY rnokpp LIMIT 1"};
    char a[11], b[11], ida[37], idb[37], own[128];
    memcpy(a, query1(&unmarried, "1").out, 11);
    memcpy(b, query1(&unmarried, a).out, 11);
    struct marry m = {a, b, "", {0}, {0}};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, marry_tx, &m, &d), PS_OK, "%s", m.diag.message);
    /* no surnames recorded: the persons' own */
    snprintf(own, sizeof own, "%s", claim(find_type(sync_and_list(a), "ua.id-card"),
                                          "family_name")->text);
    const struct ps_doc_view *ca = find_type(sync_and_list(a), "ua.marriage-certificate");
    cr_assert_str_eq(claim(ca, "surname_after")->text, own);
    memcpy(ida, ca->doc.id, 37);
    memcpy(idb, find_type(sync_and_list(b), "ua.marriage-certificate")->doc.id, 37);
    struct later l = {a, m.id, "Новак", {0}};
    cr_assert_eq(ps_store_write(store, surname_tx, &l, &d), PS_OK, "%s", l.diag.message);
    struct op *oa = sync_and_list(a);
    cr_assert_eq(oa->changes, 0, "the hook reissued already");
    ca = find_type(oa, "ua.marriage-certificate");
    cr_assert_str_neq(ca->doc.id, ida);
    cr_assert_str_eq(claim(ca, "surname_after")->text, "Новак");
    const struct ps_doc_view *cb = find_type(sync_and_list(b), "ua.marriage-certificate");
    cr_assert_str_neq(cb->doc.id, idb);
    cr_assert_str_eq(claim(cb, "spouse_surname_after")->text, "Новак");
    /* a sole proprietor's details */
    char who[11];
    adult(12, who);
    struct fop f = {who, {0}, {0}};
    cr_assert_eq(ps_store_write(store, fop_tx, &f, &d), PS_OK, "%s", f.diag.message);
    const struct ps_doc_view *x = find_type(sync_and_list(who), "ua.fop-extract");
    cr_assert_str_eq(claim(x, "activities")->text, "62.01");
    cr_assert_str_eq(claim(x, "tax_system")->text, "");
    char reg[64];
    snprintf(reg, sizeof reg, "%s", query1(&fop_id, who).out);
    struct later l2 = {who, reg, NULL, {0}};
    cr_assert_eq(ps_store_write(store, details_tx, &l2, &d), PS_OK, "%s", l2.diag.message);
    x = find_type(sync_and_list(who), "ua.fop-extract");
    cr_assert_str_eq(claim(x, "activities")->text, "62.01, 63.11");
    cr_assert_str_eq(claim(x, "tax_system")->text, "єдиний податок, 2 група");
}

/* ---- IDP certificates: drawn from the IDP register ---- */

struct idp_op {
    const char *who;
    char id[37];
    struct ps_diag refused, diag;
};

static enum ps_err idp_tx(struct ps_tx *tx, void *ctx)
{
    struct idp_op *o = ctx;
    struct ps_idp_registration r = {S(o->who), S(""), S("Маріупольська міська громада"),
                                    S("Донецька область, м. Маріуполь, просп. Миру, 5"),
                                    S("м. Львів, вул. Городоцька, 12"), S("occupied"), true};
    return ps_idp_register(tx, &admin, &r, S("application 7"), o->id, &o->refused, &o->diag);
}

static const struct ps_sql idp_number = {
    "t.idp_number", "SELECT number FROM idp_registrations WHERE rnokpp = $1 AND status = 'active'"};
static const struct ps_sql synthetic_idp = {
    "t.synthetic_idp", "SELECT i.rnokpp FROM idp_registrations i JOIN persons p ON "
                       "p.rnokpp = i.rnokpp WHERE p.status = 'alive' ORDER BY i.rnokpp LIMIT 1"};
static const struct ps_sql n_idp_docs = {
    "t.n_idp_docs", "SELECT count(*) FROM documents WHERE holder = $1 AND "
                    "type = 'ua.idp-certificate'"};

Test(documents, idp_certificates_come_from_the_idp_register)
{
    /* a synthetic IDP: the population's registrations are the register's rows */
    char syn[11];
    memcpy(syn, query1(&synthetic_idp, NULL).out, 11);
    cr_assert_eq(strlen(syn), 10, "the population has no IDPs");
    const struct ps_doc_view *c = find_type(sync_and_list(syn), "ua.idp-certificate");
    cr_assert_not_null(c);
    cr_assert_str_eq(claim(c, "certificate_number")->text, query1(&idp_number, syn).out);
    cr_assert(strstr(claim(c, "from_hromada")->text, "громада"), "%s",
              claim(c, "from_hromada")->text);
    /* a registration now: the hook issues its certificate in the same transaction */
    char who[11];
    for (int k = 20;; k++) {
        adult(k, who);
        if (query1(&idp_number, who).out[0] == '\0')
            break;
    }
    struct idp_op o = {who, "", {0}, {0}};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, idp_tx, &o, &d), PS_OK, "%s", o.diag.message);
    cr_assert_eq(o.refused.code, PS_OK, "%s", o.refused.message);
    cr_assert_eq(query1(&n_idp_docs, who).n, 1);
    struct op *ow = sync_and_list(who);
    cr_assert_eq(ow->changes, 0, "the hook issued it already");
    c = find_type(ow, "ua.idp-certificate");
    const char *num = claim(c, "certificate_number")->text;
    cr_assert_str_eq(num, query1(&idp_number, who).out);
    cr_assert(strlen(num) == 15 && num[4] == '-', "%s", num);
    char today[11];
    ps_doc_date_of(ps_clock_now_ms(), today);
    cr_assert_str_eq(claim(c, "issued_on")->text, today);
    cr_assert_str_eq(claim(c, "actual_address")->text, "м. Львів, вул. Городоцька, 12");
    /* a second registration is refused: no second certificate */
    struct idp_op o2 = {who, "", {0}, {0}};
    cr_assert_eq(ps_store_write(store, idp_tx, &o2, &d), PS_OK, "%s", o2.diag.message);
    cr_assert_eq(o2.refused.code, PS_ERR_EXISTS, "%s", o2.refused.message);
    cr_assert_eq(query1(&n_idp_docs, who).n, 1);
}

/* ---- presentations, status, revocation ---- */

struct status_op {
    const char *agency, *id;
    enum ps_doc_status to;
    const char *reason;
    struct ps_diag diag;
};

static enum ps_err status_tx(struct ps_tx *tx, void *ctx)
{
    struct status_op *s = ctx;
    return ps_docs_set_status(tx, docs, &admin, S(s->agency), S(s->id), s->to, S(s->reason),
                              &s->diag);
}

static enum ps_err set_status(const char *agency, const char *id, enum ps_doc_status to,
                              struct ps_diag *out)
{
    struct status_op s = {agency, id, to, "inspection 12", {0}};
    struct ps_diag d = {0};
    enum ps_err e = ps_store_write(store, status_tx, &s, &d);
    *out = s.diag.code ? s.diag : d;
    return e;
}

Test(documents, presentation_verifies_then_revoked_then_suspended)
{
    struct sql1 s = query1(&with_vehicle, NULL);
    struct op *o = sync_and_list(s.out);
    struct ps_doc_view dl = *find_type(o, "ua.driving-licence");
    ps_claim_mask mask = 0;
    struct ps_diag d = {0};
    cr_assert_eq(ps_docs_parse_claims(dl.doc.type, S("family_name,photo,categories"), &mask, &d),
                 PS_OK);
    struct ps_buf qr;
    present(&dl, mask, &qr);
    psv_trust *t = trust();
    psv_status_list *sl = status_list(t, dl.doc.status_list);
    struct psv_result r;
    cr_assert_eq(verify(qr.p, sl, &r), PSV_OK, "%s", r.error.message);
    cr_assert_str_eq(r.issuer, "ua.hsc-mvs");
    cr_assert_str_eq(r.doc_type, "ua.driving-licence");
    cr_assert(strstr(r.claims_json, "\"categories\"") != NULL, "%s", r.claims_json);
    cr_assert(strstr(r.claims_json, "\"given_name\"") == NULL, "not chosen: %s", r.claims_json);
    cr_assert_eq(r.expires_at - r.issued_at, PS_DOC_PRESENTATION_LIFETIME);
    psv_result_free(&r);
    psv_status_list_free(sl);
    /* an inspector suspends it: 2-bit list, "suspended" */
    cr_assert_eq(set_status("hsc-mvs", dl.doc.id, PS_DOC_SUSPENDED, &d), PS_OK, "%s", d.message);
    sl = status_list(t, dl.doc.status_list);
    cr_assert_eq(verify(qr.p, sl, &r), PSV_E_REVOKED);
    cr_assert_eq(r.status, PSV_CHECK_SUSPENDED);
    psv_result_free(&r);
    psv_status_list_free(sl);
    cr_assert_eq(set_status("mvs", dl.doc.id, PS_DOC_REVOKED, &d), PS_ERR_NOTFOUND,
                 "another agency's document");
    cr_assert_eq(set_status("hsc-mvs", dl.doc.id, PS_DOC_VALID, &d), PS_OK, "%s", d.message);
    cr_assert_eq(set_status("hsc-mvs", dl.doc.id, PS_DOC_REVOKED, &d), PS_OK, "%s", d.message);
    sl = status_list(t, dl.doc.status_list);
    cr_assert_eq(verify(qr.p, sl, &r), PSV_E_REVOKED);
    cr_assert_eq(r.status, PSV_CHECK_REVOKED);
    psv_result_free(&r);
    psv_status_list_free(sl);
    cr_assert_eq(set_status("hsc-mvs", dl.doc.id, PS_DOC_VALID, &d), PS_ERR_INVALID);
    cr_assert_str_eq(d.message, "a revoked document cannot become valid");
    cr_assert_eq(log_rows("document.suspend"), 1);
    cr_assert_eq(log_rows("document.reinstate"), 1);
    /* a revoked document is not presented any more, and a new one is not issued for the
     * same record until it changes: revocation is the issuer's decision */
    struct ps_doc_view gone = dl;
    gone.doc.status = PS_DOC_REVOKED;
    ps_buf_reset(&qr);
    ps_buf_init(&qr, 16384);
    cr_assert_eq(ps_docs_present(docs, &gone, mask, ps_clock_now_ms() / 1000, &qr, &d),
                 PS_ERR_INVALID);
    ps_buf_reset(&qr);
    psv_trust_free(t);
    struct op *after = sync_and_list(s.out);
    cr_assert_eq(after->changes, 0);
    cr_assert_null(find_type(after, "ua.driving-licence"));
}

Test(documents, taxpayer_card_cannot_be_suspended)
{
    char who[11];
    adult(3, who);
    const struct ps_doc_view *tc = find_type(sync_and_list(who), "ua.taxpayer-card");
    struct ps_diag d = {0};
    cr_assert_eq(set_status("dps", tc->doc.id, PS_DOC_SUSPENDED, &d), PS_ERR_INVALID);
    cr_assert_str_eq(d.message, "a valid document cannot become suspended (its type has no "
                                "suspension)");
}

/* ---- shares ---- */

struct share {
    const struct ps_actor *actor;
    const char *id;
    ps_claim_mask mask;
    int64_t ttl;
    struct ps_share_code code;
    const char *text;
    bool public;
    struct ps_doc_source src;
    struct ps_doc_view view;
    ps_claim_mask seen;
    struct ps_diag refused, diag;
};

static enum ps_err share_tx(struct ps_tx *tx, void *ctx)
{
    struct share *s = ctx;
    return ps_docs_share_create(tx, docs, s->actor, S(s->id), s->mask, s->ttl, &s->code,
                                &s->diag);
}

static enum ps_err redeem_tx(struct ps_tx *tx, void *ctx)
{
    struct share *s = ctx;
    static const struct ps_actor bank = {.kind = PS_ACTOR_SYSTEM, .id = {"bank-17", 7}};
    static const struct ps_actor page = {.kind = PS_ACTOR_SYSTEM, .id = {"public-verify", 13}};
    return ps_docs_share_redeem(tx, docs, s->public ? &page : &bank, S(s->text),
                                S(s->public ? "public verification" : "account opening"),
                                s->public, arena, &s->src, &s->seen, &s->refused, &s->diag);
}

/* PS_OK, or the refusal's code (its message in s->diag). */
static enum ps_err redeem(struct share *s)
{
    struct ps_diag d = {0};
    memset(&s->diag, 0, sizeof s->diag);
    enum ps_err e = ps_store_write(store, redeem_tx, s, &d);
    if (e == PS_OK && s->refused.code != PS_OK) {
        s->diag = s->refused;
        return s->refused.code;
    }
    return e;
}

Test(documents, share_once_with_chosen_claims)
{
    char who[11];
    adult(6, who);
    const struct ps_doc_view *id = find_type(sync_and_list(who), "ua.id-card");
    struct ps_actor me = citizen(who), other = citizen("1111111111");
    struct share s = {.actor = &me, .id = id->doc.id};
    struct ps_diag d = {0};
    cr_assert_eq(ps_docs_parse_claims(id->doc.type, S("family_name,photo,over_18"), &s.mask, &d),
                 PS_OK);
    cr_assert_eq(ps_store_write(store, share_tx, &s, &d), PS_OK, "%s", s.diag.message);
    cr_assert_eq(strlen(s.code.text), PS_SHARE_CODE_TEXT_LEN);
    s.text = s.code.text;
    cr_assert_eq(redeem(&s), PS_OK, "%s", s.diag.message);
    cr_assert_str_eq(s.src.doc.id, id->doc.id);
    cr_assert_eq(s.seen, s.mask);
    cr_assert_eq(ps_docs_view_build(docs, &s.src, s.seen, ps_clock_now_ms(), arena, &s.view, &d),
                 PS_OK, "%s", d.message);
    cr_assert_str_eq(claim(&s.view, "family_name")->text, claim(id, "family_name")->text);
    cr_assert_str_eq(claim(&s.view, "given_name")->text, "", "not shared, not computed");
    cr_assert_eq(redeem(&s), PS_ERR_EXISTS);
    cr_assert_str_eq(s.diag.message, "this share code has already been used");
    /* who used my data: the bank, with its purpose */
    static const struct ps_sql who_redeemed = {
        "t.who", "SELECT actor_id FROM access_log WHERE action = 'document.share.redeem' AND "
                 "subject = $1"};
    cr_assert_str_eq(query1(&who_redeemed, who).out, "bank-17");
    /* the public page sees only what the type discloses by default */
    struct share p = {.actor = &me, .id = id->doc.id, .public = true};
    cr_assert_eq(ps_docs_parse_claims(id->doc.type, S("rnokpp,family_name"), &p.mask, &d), PS_OK);
    cr_assert_eq(ps_store_write(store, share_tx, &p, &d), PS_OK, "%s", p.diag.message);
    p.text = p.code.text;
    cr_assert_eq(redeem(&p), PS_OK, "%s", p.diag.message);
    cr_assert_eq(p.seen, (ps_claim_mask)1 << ps_doctype_claim_index(id->doc.type, S("family_name")));
    /* only the holder shares; an expired code; a malformed one */
    struct share x = {.actor = &other, .id = id->doc.id, .mask = 1};
    cr_assert_eq(ps_store_write(store, share_tx, &x, &d), PS_ERR_NOTFOUND);
    struct share e = {.actor = &me, .id = id->doc.id, .mask = 1, .ttl = 1};
    cr_assert_eq(ps_store_write(store, share_tx, &e, &d), PS_OK, "%s", e.diag.message);
    usleep(5000);
    e.text = e.code.text;
    cr_assert_eq(redeem(&e), PS_ERR_LIMIT);
    cr_assert(strncmp(e.diag.message, "this share code expired at ", 27) == 0, "%s",
              e.diag.message);
    e.text = "not a code";
    cr_assert_eq(redeem(&e), PS_ERR_INVALID);
    e.text = "0000-0000-0000-0000";
    cr_assert_eq(redeem(&e), PS_ERR_NOTFOUND);
}

/* ---- the device key and offline presentations ---- */

struct bind {
    const struct ps_actor *actor;
    const char *id;
    uint8_t x[32], y[32];
    struct ps_doc_view view;
    struct ps_diag diag;
};

static enum ps_err bind_tx(struct ps_tx *tx, void *ctx)
{
    struct bind *b = ctx;
    enum ps_err e = ps_docs_holder_key(tx, docs, b->actor, S(b->id), b->x, b->y, &b->diag);
    return e == PS_OK ? ps_docs_get(tx, docs, b->actor, S(b->id), arena, &b->view, &b->diag) : e;
}

Test(documents, offline_presentation_with_the_device_key)
{
    char who[11];
    adult(12, who);
    const struct ps_doc_view *tc = find_type(sync_and_list(who), "ua.taxpayer-card");
    struct ps_actor me = citizen(who);
    struct ps_doc_soft_key *device = ps_doc_soft_key_new(-7);
    struct bind b = {.actor = &me, .id = tc->doc.id};
    cr_assert_eq(ps_doc_soft_key_p256(device, b.x, b.y), PS_OK);
    struct ps_diag d = {0};
    b.x[0] ^= 1; /* not on the curve */
    cr_assert_eq(ps_store_write(store, bind_tx, &b, &d), PS_ERR_INVALID);
    b.x[0] ^= 1;
    cr_assert_eq(ps_store_write(store, bind_tx, &b, &d), PS_OK, "%s", b.diag.message);
    cr_assert(b.view.doc.has_holder_key);
    struct ps_doc_credential cred;
    int64_t now = ps_clock_now_ms() / 1000;
    cr_assert_eq(ps_docs_credential(docs, &b.view, now, &cred, &d), PS_OK, "%s", d.message);
    cr_assert_eq(cred.n, b.view.n);
    struct ps_doc_signer holder;
    ps_doc_soft_key_signer(device, (const uint8_t *)"dev", 3, &holder);
    size_t pick[] = {0};
    struct ps_buf qr;
    ps_buf_init(&qr, 16384);
    cr_assert_eq(ps_doc_ps1_present_holder(&cred, pick, 1, now, &holder, &qr), PS_OK);
    struct psv_result r;
    cr_assert_eq(verify(qr.p, NULL, &r), PSV_OK, "%s", r.error.message);
    cr_assert_eq(r.holder, PSV_CHECK_OK);
    cr_assert(strstr(r.claims_json, who) != NULL, "%s", r.claims_json);
    psv_result_free(&r);
    ps_buf_reset(&qr);
    ps_doc_credential_reset(&cred);
    ps_doc_soft_key_free(device);
    /* someone else's document is not found */
    struct ps_actor other = citizen("1111111111");
    b.actor = &other;
    cr_assert_eq(ps_store_write(store, bind_tx, &b, &d), PS_ERR_NOTFOUND);
}

/* ---- keys ---- */

struct rotate {
    const char *agency, *types;
    int alg;
    int64_t overlap;
    struct ps_doc_soft_key *root;
    struct ps_diag diag;
};

static enum ps_err rotate_tx(struct ps_tx *tx, void *ctx)
{
    struct rotate *r = ctx;
    return ps_issuer_rotate(tx, master, r->root, &admin, r->agency, r->alg, r->types, r->overlap,
                            S("scheduled rotation"), NULL, &r->diag);
}

static const struct ps_sql kid_of = {
    "t.kid", "SELECT count(*) FROM issuer_keys WHERE agency = $1"};

Test(documents, rotation_with_overlap_and_types_per_key)
{
    char who[11];
    adult(15, who);
    struct ps_doc_view tc = *find_type(sync_and_list(who), "ua.taxpayer-card");
    struct ps_buf before;
    present(&tc, ps_docs_default_claims(tc.doc.type), &before);
    struct psv_result r;
    cr_assert_eq(verify(before.p, NULL, &r), PSV_OK, "%s", r.error.message);
    uint8_t kid1[64];
    size_t kid1_len = r.kid_len;
    memcpy(kid1, r.kid, r.kid_len);
    psv_result_free(&r);
    /* a rotation an hour ahead: the old key still signs, both are published */
    struct rotate rt = {"dps", "ua.taxpayer-card", -8, 3600 * 1000, NULL, {0}};
    rt.root = ps_doc_soft_key_new(-8);
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_write(store, rotate_tx, &rt, &d), PS_OK, "%s", rt.diag.message);
    cr_assert_eq(query1(&kid_of, "dps").n, 2);
    cr_assert_eq(log_rows("issuer-key.retire"), 1);
    struct ps_buf mid;
    present(&tc, ps_docs_default_claims(tc.doc.type), &mid);
    cr_assert_eq(verify(mid.p, NULL, &r), PSV_OK, "%s", r.error.message);
    cr_assert_eq(r.kid_len, kid1_len);
    cr_assert(memcmp(r.kid, kid1, kid1_len) == 0, "the old key signs until the overlap ends");
    psv_result_free(&r);
    /* at once: the new EdDSA key signs; what the old one signed still verifies */
    rt.overlap = 0;
    cr_assert_eq(ps_store_write(store, rotate_tx, &rt, &d), PS_OK, "%s", rt.diag.message);
    cr_assert_eq(ps_docs_reload_keys(docs, &d), PS_OK, "%s", d.message);
    struct ps_buf after;
    present(&tc, ps_docs_default_claims(tc.doc.type), &after);
    cr_assert_eq(verify(after.p, NULL, &r), PSV_OK, "%s", r.error.message);
    cr_assert(r.kid_len != kid1_len || memcmp(r.kid, kid1, kid1_len) != 0);
    psv_result_free(&r);
    cr_assert_eq(verify(before.p, NULL, &r), PSV_OK, "%s", r.error.message);
    psv_result_free(&r);
    ps_buf_reset(&before);
    ps_buf_reset(&mid);
    ps_buf_reset(&after);
    ps_doc_soft_key_free(rt.root);
}

static enum ps_err ring_tx(struct ps_tx *tx, void *ctx)
{
    struct ps_diag d = {0};
    return ps_keyring_load(tx, master, ctx, &d);
}

Test(documents, a_key_signs_only_its_types)
{
    /* the key of hsc-mvs (driving licences, vehicles) signs a passport-typed presentation: the
     * trust list says that key may not sign passports */
    struct ps_keyring *ring = NULL;
    struct ps_doc_signer s;
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(store, ring_tx, &ring, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_keyring_signer(ring, "hsc-mvs", NULL, ps_clock_now_ms(), &s), PS_OK);
    struct ps_doc_claim c = {.name = "family_name", .type = PS_DOC_TEXT, .text = "Шевченко"};
    uint8_t cti[16] = {1};
    struct ps_doc_header h = {"ua.hsc-mvs", "ua.passport", cti, 16, 0, 0, 0, NULL, 0};
    struct ps_buf forged;
    ps_buf_init(&forged, 16384);
    cr_assert_eq(ps_doc_ps1_present(&h, &c, 1, ps_clock_now_ms() / 1000, &s, &forged), PS_OK);
    struct psv_result r;
    cr_assert_eq(verify(forged.p, NULL, &r), PSV_E_UNKNOWN_KEY);
    psv_result_free(&r);
    /* and the same key on a driving licence is fine */
    h.type = "ua.driving-licence";
    forged.len = 0;
    cr_assert_eq(ps_doc_ps1_present(&h, &c, 1, ps_clock_now_ms() / 1000, &s, &forged), PS_OK);
    cr_assert_eq(verify(forged.p, NULL, &r), PSV_OK, "%s", r.error.message);
    psv_result_free(&r);
    /* another issuer's name on it: unknown key too */
    h.iss = "ua.dmsu";
    forged.len = 0;
    cr_assert_eq(ps_doc_ps1_present(&h, &c, 1, ps_clock_now_ms() / 1000, &s, &forged), PS_OK);
    cr_assert_eq(verify(forged.p, NULL, &r), PSV_E_UNKNOWN_KEY);
    psv_result_free(&r);
    ps_buf_reset(&forged);
    ps_keyring_free(ring);
}

/* ---- paper and pictures ---- */

Test(documents, pdf_and_images)
{
    char who[11];
    adult(21, who);
    const struct ps_doc_view *id = find_type(sync_and_list(who), "ua.id-card");
    struct ps_buf pdf;
    struct ps_diag d = {0};
    ps_buf_init(&pdf, 4u << 20);
    cr_assert_eq(ps_docs_pdf(docs, id, ps_clock_now_ms(), &pdf, &d), PS_OK, "%s", d.message);
    cr_assert(pdf.len > 1000 && memcmp(pdf.p, "%PDF-", 5) == 0);
    cr_assert(memmem(pdf.p, pdf.len, "/FontFile2", 10) != NULL, "the font is embedded");
    ps_buf_reset(&pdf);
    struct ps_buf png;
    ps_buf_init(&png, 1 << 20);
    cr_assert_eq(ps_doc_photo_png(S(who), &png), PS_OK);
    cr_assert(memcmp(png.p, "\x89PNG", 4) == 0);
    uint8_t h1[32], h2[32];
    cr_assert_eq(ps_doc_photo_sha256(S(who), h1), PS_OK);
    cr_assert_eq(ps_doc_photo_sha256(S(who), h2), PS_OK);
    cr_assert(memcmp(h1, h2, 32) == 0, "the same person, the same photo");
    cr_assert(memcmp(claim(id, "photo")->bytes, h1, 32) == 0);
    png.len = 0;
    cr_assert_eq(ps_doc_qr_png(S("PS1:TEST"), 4, &png), PS_OK);
    cr_assert(memcmp(png.p, "\x89PNG", 4) == 0);
    cr_assert_eq(ps_doc_qr_png(S("PS1:TEST"), 0, &png), PS_ERR_INVALID);
    png.len = 0;
    cr_assert_eq(ps_doc_qr_svg(S("PS1:TEST"), &png), PS_OK);
    cr_assert(strncmp(png.p, "<svg ", 5) == 0 && strstr(png.p, "</svg>"));
    ps_buf_reset(&png);
}
