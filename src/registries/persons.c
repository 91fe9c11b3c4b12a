/* Population registry reads and writes over the store interface. Every write validates the
 * whole person (identifiers, cross-checks, names, address); both reads (the record, and the
 * status check that precedes registry acts) record the access whenever someone other than the
 * person gets an answer. */
#include "registries/persons.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

#include "registries/population.h"
#include "registries/population_records.h"
#include "registries/records.h"
#include "registries/translit.h"
#include "registries/unzr.h"
#include "store/store.h"
#include "tlog/access.h"
#include "tlog/log.h"

#define PERSON_COLUMNS                                                                      \
    "rnokpp, unzr, id_card, surname, given_name, patronymic, surname_latin, "                \
    "given_name_latin, patronymic_latin, birth_date, sex, oblast, hromada, settlement, "     \
    "street, building, status"
#define N_COLUMNS 17

static const struct ps_sql insert_person = {
    "persons.insert",
    "INSERT INTO persons (" PERSON_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
    "$10, $11, $12, $13, $14, $15, $16, $17)",
};
static const struct ps_sql update_person = {
    "persons.update",
    "UPDATE persons SET unzr = $2, id_card = $3, surname = $4, given_name = $5, "
    "patronymic = $6, surname_latin = $7, given_name_latin = $8, patronymic_latin = $9, "
    "birth_date = $10, sex = $11, oblast = $12, hromada = $13, settlement = $14, street = $15, "
    "building = $16, status = $17 WHERE rnokpp = $1",
};
/* The spouse of an active marriage: their records show this person's name. */
static const struct ps_sql select_spouse = {
    "persons.spouse",
    "SELECT o.rnokpp FROM marriage_parties me JOIN marriage_parties o "
    "ON o.marriage_id = me.marriage_id AND o.rnokpp <> me.rnokpp "
    "WHERE me.rnokpp = $1 AND me.status = 'active'",
};
static const struct ps_sql select_person = {
    "persons.select",
    "SELECT " PERSON_COLUMNS " FROM persons WHERE rnokpp = $1",
};
static const struct ps_sql select_status = {
    "persons.select_status",
    "SELECT status FROM persons WHERE rnokpp = $1",
};
static const struct ps_sql select_identify = {
    "persons.identify",
    "SELECT birth_date, status FROM persons WHERE rnokpp = $1",
};
static const struct ps_sql select_oblast = {
    "persons.oblast",
    "SELECT oblast FROM persons WHERE rnokpp = $1",
};
static const struct ps_sql count_persons = {
    "persons.count",
    "SELECT count(*) FROM persons",
};

const char *ps_person_status_name(enum ps_person_status s)
{
    switch (s) {
    case PS_PERSON_ALIVE:
        return "alive";
    case PS_PERSON_DECEASED:
        return "deceased";
    }
    return "";
}

static bool status_parse(struct ps_str s, enum ps_person_status *out)
{
    if (ps_str_eq_cstr(s, "alive"))
        *out = PS_PERSON_ALIVE;
    else if (ps_str_eq_cstr(s, "deceased"))
        *out = PS_PERSON_DECEASED;
    else
        return false;
    return true;
}

/* ---- validation ---- */

static enum ps_err check_uk_name(const char *what, struct ps_str s, bool required,
                                 struct ps_diag *diag)
{
    if (s.len == 0)
        return required ? ps_diag_set(diag, PS_ERR_INVALID, "%s is required", what) : PS_OK;
    if (s.len > PS_PERSON_NAME_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s is longer than %d bytes", what,
                           PS_PERSON_NAME_MAX);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)s.p[i];
        if (c < 0x80 && c != '-' && c != '\'' && c != ' ')
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "%s must be written in Ukrainian letters", what);
    }
    char buf[PS_TRANSLIT_CAP(PS_PERSON_NAME_MAX)];
    struct ps_diag d;
    if (ps_translit(s, buf, sizeof buf, NULL, &d) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: %s", what, d.message);
    return PS_OK;
}

static enum ps_err check_latin(const char *what, struct ps_str s, struct ps_diag *diag)
{
    if (s.len > PS_PERSON_NAME_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s is longer than %d bytes", what,
                           PS_PERSON_NAME_MAX);
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == ' ' ||
                  c == '\'';
        if (!ok)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s must be Latin letters", what);
    }
    return PS_OK;
}

static enum ps_err check_text(const char *what, struct ps_str s, struct ps_diag *diag)
{
    if (s.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s is required", what);
    if (s.len > PS_PERSON_ADDRESS_FIELD_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s is longer than %d bytes", what,
                           PS_PERSON_ADDRESS_FIELD_MAX);
    for (size_t i = 0; i < s.len; i++) {
        if ((unsigned char)s.p[i] < 0x20 || s.p[i] == 0x7F)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s contains a control character", what);
    }
    return PS_OK;
}

static enum ps_err check_ids(const struct ps_person *p, struct ps_diag *diag)
{
    if (p->sex != PS_SEX_MALE && p->sex != PS_SEX_FEMALE)
        return ps_diag_set(diag, PS_ERR_INVALID, "sex must be male or female");
    if (!ps_date_valid(p->birth_date))
        return ps_diag_set(diag, PS_ERR_INVALID, "birth date does not exist");
    if (ps_date_cmp(p->birth_date, ps_date_today()) > 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "birth date is in the future");
    enum ps_err e = ps_rnokpp_check_person(p->rnokpp, p->birth_date, p->sex, diag);
    if (e == PS_OK)
        e = ps_unzr_check_person(p->unzr, p->birth_date, diag);
    if (e != PS_OK)
        return e;
    if (p->id_card.len != 9 || !ps_str_is_digits(p->id_card))
        return ps_diag_set(diag, PS_ERR_INVALID, "ID-card number must be 9 digits");
    if (p->status != PS_PERSON_ALIVE && p->status != PS_PERSON_DECEASED)
        return ps_diag_set(diag, PS_ERR_INVALID, "status must be alive or deceased");
    return PS_OK;
}

enum ps_err ps_person_validate(const struct ps_person *p, struct ps_diag *diag)
{
    enum ps_err e = check_ids(p, diag);
    if (e == PS_OK)
        e = check_uk_name("surname", p->surname, true, diag);
    if (e == PS_OK)
        e = check_uk_name("given name", p->given_name, true, diag);
    if (e == PS_OK)
        e = check_uk_name("patronymic", p->patronymic, false, diag);
    if (e == PS_OK)
        e = check_latin("surname_latin", p->surname_latin, diag);
    if (e == PS_OK)
        e = check_latin("given_name_latin", p->given_name_latin, diag);
    if (e == PS_OK)
        e = check_latin("patronymic_latin", p->patronymic_latin, diag);
    const struct ps_address *a = &p->address;
    if (e == PS_OK)
        e = check_text("oblast", a->oblast, diag);
    if (e == PS_OK)
        e = check_text("hromada", a->hromada, diag);
    if (e == PS_OK)
        e = check_text("settlement", a->settlement, diag);
    if (e == PS_OK)
        e = check_text("street", a->street, diag);
    if (e == PS_OK)
        e = check_text("building", a->building, diag);
    return e;
}

/* ---- writes ---- */

static enum ps_err bind_person(struct ps_stmt *st, const struct ps_person *p)
{
    char date[11];
    ps_date_fmt(p->birth_date, date);
    const struct ps_str v[N_COLUMNS] = {
        p->rnokpp, p->unzr, p->id_card, p->surname, p->given_name, p->patronymic,
        p->surname_latin, p->given_name_latin, p->patronymic_latin, {date, 10},
        ps_str_from_cstr(ps_sex_name(p->sex)), p->address.oblast, p->address.hromada,
        p->address.settlement, p->address.street, p->address.building,
        ps_str_from_cstr(ps_person_status_name(p->status)),
    };
    enum ps_err e = PS_OK;
    for (int i = 0; i < N_COLUMNS && e == PS_OK; i++)
        e = ps_stmt_bind_text(st, i + 1, v[i].p ? v[i] : PS_STR(""));
    return e;
}

static enum ps_err step_insert(struct ps_tx *tx, struct ps_stmt *st, const struct ps_person *p,
                               struct ps_diag *diag)
{
    bool row;
    enum ps_err e = bind_person(st, p);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e,
                           "a person with RNOKPP %.*s, this UNZR or this ID-card number is "
                           "already registered",
                           PS_STR_FMT(p->rnokpp));
    if (e != PS_OK)
        return ps_diag_set(diag, e, "inserting person: %s", ps_tx_errmsg(tx));
    return PS_OK;
}

/* Fills an empty Latin field by transliteration into buf. */
static enum ps_err fill_latin(struct ps_str uk, struct ps_str *lat, char *buf, size_t cap,
                              struct ps_diag *diag)
{
    if (lat->len > 0 || uk.len == 0)
        return PS_OK;
    size_t n = 0;
    enum ps_err e = ps_translit(uk, buf, cap, &n, diag);
    if (e == PS_OK)
        *lat = (struct ps_str){buf, n};
    return e;
}

/* A validated copy of in with empty Latin names filled (into the caller's latin buffers). */
struct latin_bufs {
    char b[3][PS_TRANSLIT_CAP(PS_PERSON_NAME_MAX)];
};

static enum ps_err complete_copy(const struct ps_person *in, struct ps_person *p,
                                 struct latin_bufs *lb, struct ps_diag *diag)
{
    enum ps_err e = ps_person_validate(in, diag);
    if (e != PS_OK)
        return e;
    *p = *in;
    e = fill_latin(p->surname, &p->surname_latin, lb->b[0], sizeof lb->b[0], diag);
    if (e == PS_OK)
        e = fill_latin(p->given_name, &p->given_name_latin, lb->b[1], sizeof lb->b[1], diag);
    if (e == PS_OK)
        e = fill_latin(p->patronymic, &p->patronymic_latin, lb->b[2], sizeof lb->b[2], diag);
    return e;
}

enum ps_err ps_persons_insert(struct ps_tx *tx, const struct ps_person *in,
                              struct ps_diag *diag)
{
    struct ps_person p;
    struct latin_bufs lb;
    enum ps_err e = complete_copy(in, &p, &lb, diag);
    if (e != PS_OK)
        return e;
    struct ps_stmt *st = NULL;
    e = ps_tx_prepare(tx, &insert_person, &st);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "preparing insert: %s", ps_tx_errmsg(tx));
    e = step_insert(tx, st, &p, diag);
    ps_stmt_done(st);
    return e;
}

/* The person and their spouse, if married: whose records a change of p shows in. */
static enum ps_err records_changed(struct ps_tx *tx, const struct ps_actor *actor,
                                   struct ps_str rnokpp, struct ps_str reason,
                                   struct ps_diag *diag)
{
    char spouse[PS_RNOKPP_LEN + 1] = "";
    struct ps_query q;
    ps_query_start(&q, tx, &select_spouse);
    ps_query_text(&q, rnokpp);
    if (ps_query_row(&q) && ps_str_copy(spouse, sizeof spouse, ps_stmt_text(q.st, 0)) != PS_OK)
        q.err = PS_ERR_STORE;
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading a spouse: %s", ps_tx_errmsg(tx));
    e = ps_records_changed(tx, actor, rnokpp, reason, diag);
    if (e == PS_OK && spouse[0])
        e = ps_records_changed(tx, actor, ps_str_from_cstr(spouse), reason, diag);
    return e;
}

enum ps_err ps_person_update(struct ps_tx *tx, const struct ps_actor *actor,
                             const struct ps_person *in, struct ps_str reason,
                             struct ps_diag *diag)
{
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "updating a person needs an actor");
    if (!reason.p || reason.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "a reason is required to change a record");
    struct ps_person p;
    struct latin_bufs lb;
    enum ps_err e = complete_copy(in, &p, &lb, diag);
    if (e != PS_OK)
        return e;
    struct ps_query q;
    ps_query_start(&q, tx, &update_person);
    if (q.err == PS_OK)
        q.err = bind_person(q.st, &p);
    e = ps_query_exec(&q);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e, "another person has this UNZR or ID-card number");
    if (e != PS_OK)
        return ps_diag_set(diag, e, "updating a person: %s", ps_tx_errmsg(tx));
    if (q.changes == 0)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no person with RNOKPP %.*s",
                           PS_STR_FMT(p.rnokpp));
    char resource[32];
    int n = snprintf(resource, sizeof resource, "persons/%.*s", PS_STR_FMT(p.rnokpp));
    PS_ASSERT(n > 0 && (size_t)n < sizeof resource);
    e = ps_tlog_record_change(tx, actor, "person.update", p.rnokpp,
                              (struct ps_str){resource, (size_t)n}, reason, diag);
    return e == PS_OK ? records_changed(tx, actor, p.rnokpp, reason, diag) : e;
}

enum ps_err ps_person_register(struct ps_tx *tx, const struct ps_actor *actor,
                               const struct ps_person *p, struct ps_str reason,
                               struct ps_diag *diag)
{
    char resource[32];
    int n = snprintf(resource, sizeof resource, "persons/%.*s", PS_STR_FMT(p->rnokpp));
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INVALID, "RNOKPP must be 10 digits");
    enum ps_err e = ps_persons_insert(tx, p, diag);
    if (e == PS_OK)
        e = ps_tlog_record_change(tx, actor, "person.register", p->rnokpp,
                                  (struct ps_str){resource, (size_t)n}, reason, diag);
    return e;
}

enum ps_err ps_person_complete(struct ps_person *p, struct ps_arena *arena,
                               struct ps_diag *diag)
{
    struct {
        struct ps_str uk, *lat;
    } names[] = {{p->surname, &p->surname_latin},
                 {p->given_name, &p->given_name_latin},
                 {p->patronymic, &p->patronymic_latin}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].lat->len > 0)
            continue;
        enum ps_err e = ps_translit_arena(arena, names[i].uk, names[i].lat, diag);
        if (e != PS_OK)
            return e;
    }
    return ps_person_validate(p, diag);
}

/* Reads the status column: *found, and *alive when found. */
static enum ps_err read_status(struct ps_tx *tx, struct ps_str rnokpp, bool *found, bool *alive,
                               struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &select_status, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, rnokpp);
    if (e == PS_OK)
        e = ps_stmt_step(st, found);
    if (e == PS_OK && *found)
        *alive = ps_str_eq_cstr(ps_stmt_text(st, 0), "alive");
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading person status: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

static enum ps_err record_status_read(struct ps_tx *tx, const struct ps_actor *actor,
                                      struct ps_str rnokpp, struct ps_str purpose,
                                      struct ps_diag *diag)
{
    char resource[8 + PS_RNOKPP_LEN + 7 + 1];
    int n = snprintf(resource, sizeof resource, "persons/%.*s#status", PS_STR_FMT(rnokpp));
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
    return ps_access_record(tx, actor, "person.status.read", rnokpp,
                           (struct ps_str){resource, (size_t)n}, purpose, diag);
}

/* What every look at a person's record checks before it reads anything: an actor, a valid
 * RNOKPP, and a purpose from anyone but the person (*self). */
static enum ps_err check_reader(const struct ps_actor *actor, struct ps_str rnokpp,
                                struct ps_str *purpose, const char *doing,
                                const char *no_purpose, bool *self, struct ps_diag *diag)
{
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "%s needs an actor", doing);
    enum ps_err e = ps_rnokpp_validate(rnokpp, NULL, diag);
    if (e != PS_OK)
        return e;
    *self = ps_actor_is_subject(actor, rnokpp);
    *purpose = ps_access_purpose(actor, *purpose);
    if (!*self && (!purpose->p || purpose->len == 0))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s", no_purpose);
    return PS_OK;
}

enum ps_err ps_person_check_alive(struct ps_tx *tx, const struct ps_actor *actor,
                                  struct ps_str rnokpp, struct ps_str purpose,
                                  struct ps_diag *refused, struct ps_diag *diag)
{
    PS_ASSERT(refused != NULL && refused != diag);
    ps_diag_clear(refused);
    bool self = false;
    enum ps_err e = check_reader(actor, rnokpp, &purpose, "checking a person's status",
                                 "a reason is required to act on another person's record",
                                 &self, diag);
    if (e != PS_OK)
        return e;
    bool found = false, alive = false;
    e = read_status(tx, rnokpp, &found, &alive, diag);
    if (e == PS_OK && !self)
        e = record_status_read(tx, actor, rnokpp, purpose, diag); /* whatever was found */
    if (e != PS_OK)
        return e;
    if (!found)
        ps_diag_set(refused, PS_ERR_NOTFOUND, "no person with RNOKPP %.*s", PS_STR_FMT(rnokpp));
    else if (!alive)
        ps_diag_set(refused, PS_ERR_INVALID, "the person with RNOKPP %.*s is deceased",
                    PS_STR_FMT(rnokpp));
    return PS_OK;
}

enum ps_err ps_person_identify(struct ps_tx *tx, struct ps_str rnokpp, struct ps_date birth,
                               bool *match, struct ps_diag *diag)
{
    char date[11];
    struct ps_query q;
    *match = false;
    ps_date_fmt(birth, date);
    ps_query_start(&q, tx, &select_identify);
    ps_query_text(&q, rnokpp);
    if (ps_query_row(&q))
        *match = ps_str_eq_cstr(ps_stmt_text(q.st, 0), date) &&
                 ps_str_eq_cstr(ps_stmt_text(q.st, 1), "alive");
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "identifying a person: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_person_oblast(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                             struct ps_str *oblast, struct ps_diag *diag)
{
    struct ps_query q;
    *oblast = PS_STR_NULL;
    ps_query_start(&q, tx, &select_oblast);
    ps_query_text(&q, rnokpp);
    if (ps_query_row(&q)) {
        *oblast = ps_arena_str(arena, ps_stmt_text(q.st, 0));
        if (!oblast->p)
            q.err = PS_ERR_NOMEM;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading where a person lives: %s", ps_tx_errmsg(tx));
    if (!oblast->p)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no person with RNOKPP %.*s",
                           PS_STR_FMT(rnokpp));
    return PS_OK;
}

enum ps_err ps_persons_count(struct ps_tx *tx, int64_t *out, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &count_persons, &st);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && !row)
        e = PS_ERR_INTERNAL;
    if (e == PS_OK)
        *out = ps_stmt_i64(st, 0);
    else
        ps_diag_set(diag, e, "counting persons: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* ---- the read ---- */

/* Copies the current row into *out, strings into arena. */
static enum ps_err row_to_person(struct ps_stmt *st, struct ps_arena *arena,
                                 struct ps_person *out, struct ps_diag *diag)
{
    struct ps_str *dst[N_COLUMNS] = {
        &out->rnokpp, &out->unzr, &out->id_card, &out->surname, &out->given_name,
        &out->patronymic, &out->surname_latin, &out->given_name_latin, &out->patronymic_latin,
        NULL, NULL, &out->address.oblast, &out->address.hromada, &out->address.settlement,
        &out->address.street, &out->address.building, NULL,
    };
    for (int i = 0; i < N_COLUMNS; i++) {
        if (!dst[i])
            continue;
        *dst[i] = ps_arena_str(arena, ps_stmt_text(st, i));
        if (!dst[i]->p)
            return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory reading a person");
    }
    enum ps_err e = ps_date_parse(ps_stmt_text(st, 9), &out->birth_date, diag);
    if (e != PS_OK)
        return ps_diag_set(diag, PS_ERR_STORE, "stored birth date is malformed");
    if (!ps_sex_parse(ps_stmt_text(st, 10), &out->sex) ||
        !status_parse(ps_stmt_text(st, 16), &out->status))
        return ps_diag_set(diag, PS_ERR_STORE, "stored sex or status is malformed");
    return PS_OK;
}

static enum ps_err select_one(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                              struct ps_person *out, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &select_person, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, rnokpp);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading person: %s", ps_tx_errmsg(tx));
    else if (!row)
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "no person with RNOKPP %.*s",
                        PS_STR_FMT(rnokpp));
    else
        e = row_to_person(st, arena, out, diag);
    ps_stmt_done(st);
    return e;
}

enum ps_err ps_person_read(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                           struct ps_str purpose, struct ps_arena *arena, struct ps_person *out,
                           struct ps_diag *diag)
{
    bool self = false;
    enum ps_err e = check_reader(actor, rnokpp, &purpose, "reading a person",
                                 "a purpose is required to read another person's record",
                                 &self, diag);
    if (e != PS_OK)
        return e;
    memset(out, 0, sizeof *out);
    e = select_one(tx, rnokpp, arena, out, diag);
    if (e != PS_OK || self)
        return e;
    char resource[8 + PS_RNOKPP_LEN + 1];
    int n = snprintf(resource, sizeof resource, "persons/%.*s", PS_STR_FMT(rnokpp));
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
    e = ps_access_record(tx, actor, "person.read", rnokpp, (struct ps_str){resource, (size_t)n},
                         purpose, diag);
    if (e != PS_OK)
        memset(out, 0, sizeof *out); /* no record, no data */
    return e;
}

enum ps_err ps_person_access_log(struct ps_tx *tx, const struct ps_actor *actor,
                                 struct ps_str rnokpp, struct ps_str purpose,
                                 struct ps_str before, size_t limit, struct ps_arena *arena,
                                 struct ps_tlog_subject_row *rows, size_t *n,
                                 struct ps_diag *diag)
{
    bool self = false, found = false, alive = false;
    enum ps_err e = check_reader(actor, rnokpp, &purpose, "reading an access log",
                                 "a purpose is required to read another person's access log",
                                 &self, diag);
    if (e == PS_OK)
        e = read_status(tx, rnokpp, &found, &alive, diag);
    if (e != PS_OK)
        return e;
    /* like ps_person_read: finding no one reveals no one's data and is not recorded */
    if (!found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no person with RNOKPP %.*s",
                           PS_STR_FMT(rnokpp));
    if (!self) {
        char resource[8 + PS_RNOKPP_LEN + 11 + 1];
        int k = snprintf(resource, sizeof resource, "persons/%.*s/access-log",
                         PS_STR_FMT(rnokpp));
        if (k < 0 || (size_t)k >= sizeof resource)
            return ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
        e = ps_access_record(tx, actor, "access-log.read", rnokpp,
                             (struct ps_str){resource, (size_t)k}, purpose, diag);
    }
    if (e == PS_OK)
        e = ps_tlog_subject_rows(tx, rnokpp, before, limit, arena, rows, n);
    if (e != PS_OK && diag->code == PS_OK)
        ps_diag_set(diag, e, "reading the access log: %s", ps_tx_errmsg(tx));
    return e;
}

struct get_ctx {
    const struct ps_actor *actor;
    struct ps_str rnokpp, purpose;
    struct ps_arena *arena;
    struct ps_person *out;
    struct ps_diag diag;
};

static enum ps_err get_tx(struct ps_tx *tx, void *ctx)
{
    struct get_ctx *g = ctx;
    return ps_person_read(tx, g->actor, g->rnokpp, g->purpose, g->arena, g->out, &g->diag);
}

enum ps_err ps_persons_get(struct ps_store *store, const struct ps_actor *actor,
                           struct ps_str rnokpp, struct ps_str purpose, struct ps_arena *arena,
                           struct ps_person *out, struct ps_diag *diag)
{
    struct get_ctx g = {actor, rnokpp, purpose, arena, out, {PS_OK, ""}};
    struct ps_diag sd = {PS_OK, ""};
    enum ps_err e = ps_actor_is_subject(actor, rnokpp) ? ps_store_read(store, get_tx, &g, &sd)
                                                       : ps_store_write(store, get_tx, &g, &sd);
    if (e != PS_OK && diag) {
        *diag = g.diag.code != PS_OK ? g.diag : sd;
        if (diag->code == PS_OK)
            diag->code = e;
    }
    return e;
}

/* ---- the bulk loader ---- */

/* Persons are generated in chunks and each chunk is inserted in RNOKPP order: the birth-date
 * prefix makes the RNOKPP and UNZR indexes fill page after page instead of at random, which
 * keeps SQLite's page cache from spilling the same pages again and again. */
#define LOAD_CHUNK 65536

struct loaded {
    struct ps_person p;
    char rnokpp[PS_RNOKPP_LEN + 1], unzr[PS_UNZR_LEN + 1], id_card[10], building[32];
    uint64_t index;                             /* in the stream: the records' key */
    char plates[PS_POP_VEHICLES_MAX][9];        /* handed out in the stream's order */
};

struct load_ctx {
    size_t n;
    uint64_t seed;
    struct ps_diag diag;
};

/* Sorts pointers, not the structs: each person's strings point into its own struct. */
static int by_rnokpp(const void *a, const void *b)
{
    const struct loaded *x = *(const struct loaded *const *)a;
    const struct loaded *y = *(const struct loaded *const *)b;
    return memcmp(x->rnokpp, y->rnokpp, PS_RNOKPP_LEN);
}

/* Takes the next person, copies what the generator overwrites on its next call, and gives
 * their vehicles plates (in the stream's order; the rest of their records is drawn again, from
 * the index alone, when they are inserted). */
static enum ps_err take(struct ps_population *pop, struct ps_pop_records_gen *gen,
                        struct loaded *l)
{
    l->index = ps_population_count(pop);
    enum ps_err e = ps_population_next(pop, &l->p);
    if (e != PS_OK)
        return e;
    struct ps_pop_records r;
    e = ps_pop_records_draw(gen, l->index, &l->p, &r);
    if (e == PS_OK)
        e = ps_pop_records_plates(gen, &l->p, &r);
    if (e != PS_OK)
        return e;
    for (unsigned i = 0; i < PS_POP_VEHICLES_MAX; i++)
        memcpy(l->plates[i], r.veh[i].plate, sizeof l->plates[i]);
    struct {
        struct ps_str *s;
        char *dst;
        size_t cap;
    } own[] = {
        {&l->p.rnokpp, l->rnokpp, sizeof l->rnokpp},
        {&l->p.unzr, l->unzr, sizeof l->unzr},
        {&l->p.id_card, l->id_card, sizeof l->id_card},
        {&l->p.address.building, l->building, sizeof l->building},
    };
    for (size_t k = 0; k < sizeof own / sizeof own[0]; k++) {
        e = ps_str_copy(own[k].dst, own[k].cap, *own[k].s);
        if (e != PS_OK)
            return PS_ERR_INTERNAL;
        own[k].s->p = own[k].dst;
    }
    return PS_OK;
}

/* The person's other records (population_records.h), inserted after them. */
static enum ps_err insert_records(struct ps_tx *tx, struct ps_pop_records_gen *gen,
                                  const struct loaded *l, struct ps_diag *diag)
{
    struct ps_pop_records r;
    enum ps_err e = ps_pop_records_draw(gen, l->index, &l->p, &r);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "no records for person %llu",
                           (unsigned long long)l->index);
    for (unsigned i = 0; i < PS_POP_VEHICLES_MAX; i++)
        memcpy(r.veh[i].plate, l->plates[i], sizeof r.veh[i].plate);
    return ps_pop_records_insert(tx, l->p.rnokpp, &r, diag);
}

static enum ps_err load_chunk(struct ps_tx *tx, struct ps_stmt *st, struct ps_population *pop,
                              struct ps_pop_records_gen *gen, struct loaded *chunk,
                              struct loaded **order, size_t n, struct ps_diag *diag)
{
    enum ps_err e = PS_OK;
    for (size_t i = 0; i < n && e == PS_OK; i++) {
        e = take(pop, gen, &chunk[i]);
        if (e != PS_OK)
            return ps_diag_set(diag, e, "population generator stopped after %llu persons",
                               (unsigned long long)ps_population_count(pop));
        e = ps_person_validate(&chunk[i].p, diag);
        order[i] = &chunk[i];
    }
    if (e != PS_OK)
        return e;
    qsort(order, n, sizeof *order, by_rnokpp);
    for (size_t i = 0; i < n && e == PS_OK; i++) {
        e = step_insert(tx, st, &order[i]->p, diag);
        ps_stmt_reset(st);
    }
    for (size_t i = 0; i < n && e == PS_OK; i++)
        e = insert_records(tx, gen, order[i], diag);
    return e;
}

static enum ps_err load_tx(struct ps_tx *tx, void *ctx)
{
    struct load_ctx *l = ctx;
    struct ps_population *pop = NULL;
    struct ps_pop_records_gen *gen = NULL;
    struct ps_stmt *st = NULL;
    size_t cap = l->n < LOAD_CHUNK ? l->n : LOAD_CHUNK;
    struct loaded *chunk = ps_alloc_array(cap ? cap : 1, sizeof *chunk);
    struct loaded **order = ps_alloc_array(cap ? cap : 1, sizeof *order);
    enum ps_err e = PS_OK;
    if (!chunk || !order)
        e = ps_diag_set(&l->diag, PS_ERR_NOMEM, "out of memory");
    if (e == PS_OK)
        e = ps_population_new(l->seed, &pop, &l->diag);
    if (e == PS_OK)
        e = ps_pop_records_gen_new(l->seed, &gen, &l->diag);
    if (e != PS_OK)
        goto out;
    e = ps_tx_prepare(tx, &insert_person, &st);
    if (e != PS_OK) {
        ps_diag_set(&l->diag, e, "preparing insert: %s", ps_tx_errmsg(tx));
        goto out;
    }
    for (size_t done = 0; done < l->n && e == PS_OK; done += cap) {
        size_t k = l->n - done < cap ? l->n - done : cap;
        e = load_chunk(tx, st, pop, gen, chunk, order, k, &l->diag);
    }
    if (e == PS_OK) {
        /* rule 4: the load is one state change with one log entry, in the same transaction */
        char resource[80];
        int len = snprintf(resource, sizeof resource, "persons?count=%zu&seed=%llu", l->n,
                           (unsigned long long)l->seed);
        const struct ps_actor loader = {.kind = PS_ACTOR_SYSTEM, .id = PS_STR("population-loader")};
        e = ps_tlog_record_change(tx, &loader, "population.load", PS_STR(""),
                                  (struct ps_str){resource, (size_t)len},
                                  PS_STR("synthetic demo population"), &l->diag);
    }
out:
    ps_stmt_done(st);
    ps_pop_records_gen_free(gen);
    ps_population_free(pop);
    ps_free(order);
    ps_free(chunk);
    return e;
}

enum ps_err ps_population_load(struct ps_store *store, size_t n, uint64_t seed,
                               struct ps_diag *diag)
{
    struct load_ctx l = {n, seed, {PS_OK, ""}};
    struct ps_diag sd = {PS_OK, ""};
    enum ps_err e = ps_store_bulk(store, load_tx, &l, &sd);
    if (e != PS_OK && diag) {
        *diag = l.diag.code != PS_OK ? l.diag : sd;
        if (diag->code == PS_OK)
            diag->code = e;
    }
    return e;
}
