/* Sole-proprietor registrations. The one-active-registration rule lives in the database
 * (unique index sole_proprietors_one_active, migration 0005): register is one INSERT ... ON
 * CONFLICT DO NOTHING against that index, and a row not inserted is the refusal; terminate is
 * one conditional UPDATE, and no row updated is the refusal. Nothing here reads first to
 * decide uniqueness, so the rule holds across committers and nodes. Both refusals tell an
 * official something about the person, so they are PS_OK with `refused` set and the read is
 * recorded and committed (ARCHITECTURE.md rule 3). */
#include "registries/business.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "registries/act.h"
#include "registries/persons.h"
#include "registries/records.h"
#include "store/store.h"
#include "tlog/access.h"

static const struct ps_sql insert_sole_proprietor = {
    "sole_proprietors.insert",
    "INSERT INTO sole_proprietors (id, rnokpp, kved, registered_at_ms, status, "
    "terminated_at_ms) VALUES ($1, $2, $3, $4, 'active', NULL) "
    "ON CONFLICT (rnokpp) WHERE status = 'active' DO NOTHING RETURNING id",
};
static const struct ps_sql terminate_sole_proprietor = {
    "sole_proprietors.terminate",
    "UPDATE sole_proprietors SET status = 'terminated', terminated_at_ms = $2 "
    "WHERE rnokpp = $1 AND status = 'active' RETURNING id",
};

/* The divisions of KVED-2010 (= NACE Rev. 2), as first-last ranges. */
static const unsigned char kved_divisions[][2] = {
    {1, 3},   {5, 9},   {10, 33}, {35, 39}, {41, 43}, {45, 47}, {49, 53},
    {55, 56}, {58, 66}, {68, 75}, {77, 82}, {84, 88}, {90, 99},
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

enum ps_err ps_kved_validate(struct ps_str code, struct ps_diag *diag)
{
    const char *p = code.p;
    if (code.len != PS_KVED_LEN || !is_digit(p[0]) || !is_digit(p[1]) || p[2] != '.' ||
        !is_digit(p[3]) || !is_digit(p[4]))
        return ps_diag_set(diag, PS_ERR_INVALID, "KVED code must be NN.NN, e.g. 62.01");
    unsigned div = (unsigned)(p[0] - '0') * 10 + (unsigned)(p[1] - '0');
    for (size_t i = 0; i < sizeof kved_divisions / sizeof kved_divisions[0]; i++)
        if (div >= kved_divisions[i][0] && div <= kved_divisions[i][1])
            return PS_OK;
    return ps_diag_set(diag, PS_ERR_INVALID, "KVED-2010 has no division %c%c", p[0], p[1]);
}

/* "sole-proprietors/<id>" into buf (cap >= 64). */
static struct ps_str resource_of(const char id[37], char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "sole-proprietors/%s", id);
    PS_ASSERT(n > 0 && (size_t)n < cap);
    return (struct ps_str){buf, (size_t)n};
}

/* The INSERT; *inserted false when the unique index found an active registration of rnokpp
 * (ON CONFLICT DO NOTHING: no error, so the transaction and its recorded status read live
 * on). Only that index is the conflict target: any other violation is still an error. */
static enum ps_err insert_row(struct ps_tx *tx, const char id[37], struct ps_str rnokpp,
                              struct ps_str kved, bool *inserted, struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool more = false;
    enum ps_err e = ps_tx_prepare(tx, &insert_sole_proprietor, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, rnokpp);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 3, kved);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 4, ps_clock_now_ms());
    if (e == PS_OK)
        e = ps_stmt_step(st, inserted);
    if (e == PS_OK && *inserted)
        e = ps_stmt_step(st, &more); /* completes the statement: one row at most */
    if (e != PS_OK)
        ps_diag_set(diag, e, "registering a sole proprietor: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

static const struct ps_sql insert_details = {
    "sole_proprietor_details.insert",
    "INSERT INTO sole_proprietor_details (id, tax_system, kveds, email, phone) "
    "SELECT $1, $2, $3, $4, $5 FROM sole_proprietors WHERE id = $1 AND rnokpp = $6 "
    "AND status = 'active'",
};

static bool known_tax_system(struct ps_str t)
{
    static const char *const systems[] = {"single-1", "single-2", "single-3", "general"};
    for (size_t i = 0; i < sizeof systems / sizeof systems[0]; i++)
        if (ps_str_eq_cstr(t, systems[i]))
            return true;
    return false;
}

/* The activities, comma-separated, into buf; each checked. */
static enum ps_err join_kveds(const struct ps_sole_proprietor_details *d, char *buf, size_t cap,
                              size_t *len, struct ps_diag *diag)
{
    if (d->nkveds == 0 || d->nkveds > PS_SOLE_PROPRIETOR_KVEDS_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "a registration has 1 to %d activities",
                           PS_SOLE_PROPRIETOR_KVEDS_MAX);
    size_t n = 0;
    for (size_t i = 0; i < d->nkveds; i++) {
        enum ps_err e = ps_kved_validate(d->kveds[i], diag);
        if (e != PS_OK)
            return e;
        if (n + PS_KVED_LEN + 2 > cap)
            return ps_diag_set(diag, PS_ERR_LIMIT, "too many activities");
        if (i > 0)
            buf[n++] = ',';
        memcpy(buf + n, d->kveds[i].p, PS_KVED_LEN);
        n += PS_KVED_LEN;
    }
    buf[n] = '\0';
    *len = n;
    return PS_OK;
}

/* What needs no read: tax system, contacts, activities. */
static enum ps_err check_details(const struct ps_sole_proprietor_details *d,
                                 struct ps_diag *diag)
{
    char kveds[PS_SOLE_PROPRIETOR_KVEDS_MAX * (PS_KVED_LEN + 1) + 1];
    size_t klen = 0;
    if (!known_tax_system(d->tax_system))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "the tax system is single-1, single-2, single-3 or general");
    if (d->email.len > 254 || d->phone.len > 32)
        return ps_diag_set(diag, PS_ERR_INVALID, "contact too long");
    return join_kveds(d, kveds, sizeof kveds, &klen, diag);
}

/* The details row and its change entry; not the hook. */
static enum ps_err write_details(struct ps_tx *tx, const struct ps_actor *actor,
                                 struct ps_str id, struct ps_str rnokpp,
                                 const struct ps_sole_proprietor_details *d,
                                 struct ps_str reason, struct ps_diag *diag)
{
    char kveds[PS_SOLE_PROPRIETOR_KVEDS_MAX * (PS_KVED_LEN + 1) + 1], res[64];
    size_t klen = 0;
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "recording details needs an actor");
    enum ps_err e = check_details(d, diag);
    if (e == PS_OK)
        e = join_kveds(d, kveds, sizeof kveds, &klen, diag);
    if (e != PS_OK)
        return e;
    struct ps_query q;
    ps_query_start(&q, tx, &insert_details);
    ps_query_text(&q, id);
    ps_query_text(&q, d->tax_system);
    ps_query_text(&q, (struct ps_str){kveds, klen});
    ps_query_text(&q, d->email.p ? d->email : PS_STR(""));
    ps_query_text(&q, d->phone.p ? d->phone : PS_STR(""));
    ps_query_text(&q, rnokpp);
    e = ps_query_exec(&q);
    if (e == PS_OK && q.changes != 1)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no active registration %.*s of %.*s",
                           PS_STR_FMT(id), PS_STR_FMT(rnokpp));
    if (e != PS_OK)
        return ps_diag_set(diag, e, "recording details: %s", ps_tx_errmsg(tx));
    char idz[37];
    if (ps_str_copy(idz, sizeof idz, id) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "bad registration id");
    return ps_tlog_record_change(tx, actor, "sole-proprietor.details", rnokpp,
                                 resource_of(idz, res, sizeof res), reason, diag);
}

/* The registration, and d's row when d is not NULL, before the records' hook runs once. */
static enum ps_err do_register(struct ps_tx *tx, const struct ps_actor *actor,
                               struct ps_str rnokpp, struct ps_str kved,
                               const struct ps_sole_proprietor_details *d, struct ps_str reason,
                               char id_out[37], struct ps_diag *refused, struct ps_diag *diag)
{
    ps_act_begin(refused, diag, id_out);
    enum ps_err e = ps_kved_validate(kved, diag);
    if (e == PS_OK && d)
        e = check_details(d, diag);
    if (e == PS_OK)
        e = ps_person_check_alive(tx, actor, rnokpp, reason, refused, diag);
    if (e != PS_OK || refused->code != PS_OK)
        return e; /* a refusal is PS_OK: the recorded status read must commit */
    char id[37], res[64];
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id);
    bool inserted = false;
    e = insert_row(tx, id, rnokpp, kved, &inserted, diag);
    if (e != PS_OK)
        return e;
    if (!inserted) /* refused by the index: a refusal, so the status read commits */
        return ps_act_refuse(refused, PS_ERR_EXISTS,
                             "the person with RNOKPP %.*s is already registered as a sole "
                             "proprietor (an active registration exists)",
                             PS_STR_FMT(rnokpp));
    e = ps_tlog_record_change(tx, actor, "sole-proprietor.register", rnokpp,
                              resource_of(id, res, sizeof res), reason, diag);
    if (e == PS_OK && d)
        e = write_details(tx, actor, ps_str_from_cstr(id), rnokpp, d, reason, diag);
    if (e == PS_OK)
        e = ps_records_changed(tx, actor, rnokpp, reason, diag);
    return ps_act_done(e, id, id_out);
}

enum ps_err ps_sole_proprietor_register(struct ps_tx *tx, const struct ps_actor *actor,
                                        struct ps_str rnokpp, struct ps_str kved,
                                        struct ps_str reason, char id_out[37],
                                        struct ps_diag *refused, struct ps_diag *diag)
{
    return do_register(tx, actor, rnokpp, kved, NULL, reason, id_out, refused, diag);
}

enum ps_err ps_sole_proprietor_register_with(struct ps_tx *tx, const struct ps_actor *actor,
                                             struct ps_str rnokpp,
                                             const struct ps_sole_proprietor_details *d,
                                             struct ps_str reason, char id_out[37],
                                             struct ps_diag *refused, struct ps_diag *diag)
{
    PS_ASSERT(d != NULL);
    if (d->nkveds == 0 || !d->kveds) {
        ps_act_begin(refused, diag, id_out);
        return ps_diag_set(diag, PS_ERR_INVALID, "a registration has 1 to %d activities",
                           PS_SOLE_PROPRIETOR_KVEDS_MAX);
    }
    return do_register(tx, actor, rnokpp, d->kveds[0], d, reason, id_out, refused, diag);
}

/* The conditional UPDATE; *found false when no active registration matched. */
static enum ps_err update_row(struct ps_tx *tx, struct ps_str rnokpp, char id[37], bool *found,
                              struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &terminate_sole_proprietor, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, rnokpp);
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, ps_clock_now_ms());
    if (e == PS_OK)
        e = ps_stmt_step(st, found);
    if (e == PS_OK && *found)
        e = ps_str_copy(id, 37, ps_stmt_text(st, 0)) == PS_OK ? PS_OK : PS_ERR_STORE;
    bool more = false;
    if (e == PS_OK && *found)
        e = ps_stmt_step(st, &more); /* completes the statement; the index allows one row */
    if (e == PS_OK && more)
        e = PS_ERR_INTERNAL;
    if (e != PS_OK)
        ps_diag_set(diag, e, "terminating a sole proprietor: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* The record of an official's look at whether rnokpp has an active registration. */
static enum ps_err record_registration_read(struct ps_tx *tx, const struct ps_actor *actor,
                                            struct ps_str rnokpp, struct ps_str purpose,
                                            struct ps_diag *diag)
{
    char resource[64];
    int n = snprintf(resource, sizeof resource, "persons/%.*s#sole-proprietor",
                     PS_STR_FMT(rnokpp));
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
    return ps_access_record(tx, actor, "sole-proprietor.status.read", rnokpp,
                            (struct ps_str){resource, (size_t)n}, purpose, diag);
}

enum ps_err ps_sole_proprietor_terminate(struct ps_tx *tx, const struct ps_actor *actor,
                                         struct ps_str rnokpp, struct ps_str reason,
                                         char id_out[37], struct ps_diag *refused,
                                         struct ps_diag *diag)
{
    ps_act_begin(refused, diag, id_out);
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "terminating a registration needs an actor");
    enum ps_err e = ps_rnokpp_validate(rnokpp, NULL, diag);
    if (e != PS_OK)
        return e;
    bool self = ps_actor_is_subject(actor, rnokpp);
    if (!self && (!reason.p || reason.len == 0))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a reason is required to act on another person's record");
    char id[37] = "", res[64];
    bool found = false;
    e = update_row(tx, rnokpp, id, &found, diag);
    if (e == PS_OK && !found && !self) /* the answer is about the person: recorded */
        e = record_registration_read(tx, actor, rnokpp, reason, diag);
    if (e != PS_OK)
        return e;
    if (!found)
        return ps_act_refuse(refused, PS_ERR_NOTFOUND,
                             "the person with RNOKPP %.*s has no active sole-proprietor "
                             "registration",
                             PS_STR_FMT(rnokpp));
    e = ps_tlog_record_change(tx, actor, "sole-proprietor.terminate", rnokpp,
                              resource_of(id, res, sizeof res), reason, diag);
    if (e == PS_OK)
        e = ps_records_changed(tx, actor, rnokpp, reason, diag);
    return ps_act_done(e, id, id_out);
}

enum ps_err ps_sole_proprietor_set_details(struct ps_tx *tx, const struct ps_actor *actor,
                                           struct ps_str id, struct ps_str rnokpp,
                                           const struct ps_sole_proprietor_details *d,
                                           struct ps_str reason, struct ps_diag *diag)
{
    enum ps_err e = write_details(tx, actor, id, rnokpp, d, reason, diag);
    return e == PS_OK ? ps_records_changed(tx, actor, rnokpp, reason, diag) : e;
}

static const struct ps_sql active_registration = {
    "sole_proprietors.active",
    "SELECT 1 FROM sole_proprietors WHERE rnokpp = $1 AND status = 'active'",
};

enum ps_err ps_sole_proprietor_active(struct ps_tx *tx, struct ps_str rnokpp, bool *out,
                                      struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &active_registration);
    ps_query_text(&q, rnokpp);
    *out = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : ps_diag_set(diag, e, "reading registrations: %s",
                                            ps_tx_errmsg(tx));
}
