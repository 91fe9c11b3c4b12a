/* Marriages. The one-active-marriage rule lives in the database (unique index
 * marriage_parties_one_active, migration 0005): registration inserts both party rows and lets
 * the index refuse a person who already has an active one; dissolution is a conditional
 * UPDATE. The index is the guard, so the rule holds across committers and nodes. What the
 * official is told about a spouse (married, or the marriage no longer active) is a read of
 * that person's data: it is a refusal (PS_OK, `refused` set) with the read recorded and
 * committed, never an error that rolls the record back. Because the three rows of a marriage
 * go in together or not at all, and domain code has no savepoint to take back a half-inserted
 * marriage, registration first asks the same index in one reporting SELECT; a writer that
 * races past it into the index is sent back to the committer as a conflict, and its re-run's
 * SELECT reports the winner. Rows about the two spouses are always written in ascending
 * RNOKPP order, so that two transactions about the same pair take the index entries in the
 * same order and cannot deadlock. */
#include "registries/civil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "registries/act.h"
#include "registries/kinship.h"
#include "registries/persons.h"
#include "registries/records.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"

static const struct ps_sql insert_marriage = {
    "marriages.insert",
    "INSERT INTO marriages (id, registered_at_ms, status, dissolved_at_ms) "
    "VALUES ($1, $2, 'active', NULL)",
};
static const struct ps_sql insert_party = {
    "marriage_parties.insert",
    "INSERT INTO marriage_parties (marriage_id, rnokpp, status) VALUES ($1, $2, 'active')",
};
/* The reporting check: the first spouse in RNOKPP order who is in an active marriage. It
 * decides nothing the index would not: it only lets the common refusal commit. */
static const struct ps_sql married_party = {
    "marriage_parties.married",
    "SELECT rnokpp FROM marriage_parties WHERE rnokpp IN ($1, $2) AND status = 'active' "
    "ORDER BY rnokpp LIMIT 1",
};
/* The spouses of a marriage, whatever its status (for the record of a refused dissolution). */
static const struct ps_sql spouses_of = {
    "marriage_parties.spouses",
    "SELECT rnokpp FROM marriage_parties WHERE marriage_id = $1 ORDER BY rnokpp",
};
static const struct ps_sql dissolve_marriage = {
    "marriages.dissolve",
    "UPDATE marriages SET status = 'dissolved', dissolved_at_ms = $2 "
    "WHERE id = $1 AND status = 'active' RETURNING id",
};
static const struct ps_sql dissolve_parties = {
    "marriage_parties.dissolve",
    "UPDATE marriage_parties SET status = 'dissolved' "
    "WHERE marriage_id = $1 AND status = 'active' RETURNING rnokpp",
};

/* "marriages/<id>" into buf (cap >= 64). */
static struct ps_str resource_of(const char id[37], char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "marriages/%s", id);
    PS_ASSERT(n > 0 && (size_t)n < cap);
    return (struct ps_str){buf, (size_t)n};
}

/* Runs a prepared INSERT to completion. */
static enum ps_err run_insert(struct ps_stmt *st)
{
    bool row;
    return ps_stmt_step(st, &row);
}

static enum ps_err insert_marriage_row(struct ps_tx *tx, const char id[37], struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &insert_marriage, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, ps_clock_now_ms());
    if (e == PS_OK)
        e = run_insert(st);
    if (e != PS_OK)
        ps_diag_set(diag, e, "registering a marriage: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* One party row. Only the unique index can refuse it, and only for a person whose active
 * marriage the reporting check did not see: one committed after this transaction's snapshot
 * (PostgreSQL; on SQLite the single writer makes check and insert one step). That is a race,
 * not an answer: PS_ERR_CONFLICT, so that the committer runs the job again and its check
 * reports the winner as a committed refusal. The message names no one. */
static enum ps_err insert_party_row(struct ps_tx *tx, const char id[37], struct ps_str rnokpp,
                                    struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &insert_party, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, rnokpp);
    if (e == PS_OK)
        e = run_insert(st);
    if (e == PS_ERR_EXISTS)
        e = ps_diag_set(diag, PS_ERR_CONFLICT,
                        "registering a marriage: a concurrent registration committed first");
    else if (e != PS_OK)
        ps_diag_set(diag, e, "registering a marriage: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* The reporting check: copies the first spouse in RNOKPP order who is married into who
 * (11 bytes; "" when neither is). */
static enum ps_err find_married(struct ps_tx *tx, struct ps_str a, struct ps_str b,
                                char who[PS_RNOKPP_LEN + 1], struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    who[0] = '\0';
    enum ps_err e = ps_tx_prepare(tx, &married_party, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, a);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, b);
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    if (e == PS_OK && row)
        e = ps_str_copy(who, PS_RNOKPP_LEN + 1, ps_stmt_text(st, 0)) == PS_OK ? PS_OK
                                                                              : PS_ERR_STORE;
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading marriages: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* The change record for each spouse. */
static enum ps_err record_both(struct ps_tx *tx, const struct ps_actor *actor,
                               const char *action, const char id[37], struct ps_str a,
                               struct ps_str b, struct ps_str reason, struct ps_diag *diag)
{
    char res[64];
    struct ps_str r = resource_of(id, res, sizeof res);
    enum ps_err e = ps_tlog_record_change(tx, actor, action, a, r, reason, diag);
    if (e == PS_OK)
        e = ps_tlog_record_change(tx, actor, action, b, r, reason, diag);
    return e;
}

/* Validation that needs no read: both RNOKPPs, and two different persons. */
static enum ps_err check_pair(struct ps_str a, struct ps_str b, struct ps_diag *diag)
{
    enum ps_err e = ps_rnokpp_validate(a, NULL, diag);
    if (e == PS_OK)
        e = ps_rnokpp_validate(b, NULL, diag);
    if (e == PS_OK && ps_str_eq(a, b))
        e = ps_diag_set(diag, PS_ERR_INVALID, "a person cannot marry themselves");
    return e;
}

static bool surname_ok(struct ps_str s)
{
    return s.len > 0 && s.len <= 400;
}

static const struct ps_sql insert_surname = {
    "marriage_surnames.insert",
    "INSERT INTO marriage_surnames (marriage_id, rnokpp, surname) "
    "SELECT $1, $2, $3 FROM marriage_parties WHERE marriage_id = $1 AND rnokpp = $2 "
    "AND status = 'active'",
};

/* The surname row and its change entry; not the hook. */
static enum ps_err write_surname(struct ps_tx *tx, const struct ps_actor *actor,
                                 struct ps_str id, struct ps_str rnokpp, struct ps_str surname,
                                 struct ps_str reason, struct ps_diag *diag)
{
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "recording a surname needs an actor");
    if (!surname_ok(surname))
        return ps_diag_set(diag, PS_ERR_INVALID, "a surname is 1 to 400 bytes");
    struct ps_query q;
    ps_query_start(&q, tx, &insert_surname);
    ps_query_text(&q, id);
    ps_query_text(&q, rnokpp);
    ps_query_text(&q, surname);
    enum ps_err e = ps_query_exec(&q);
    if (e == PS_OK && q.changes != 1)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "%.*s is not a spouse of active marriage %.*s",
                           PS_STR_FMT(rnokpp), PS_STR_FMT(id));
    if (e != PS_OK)
        return ps_diag_set(diag, e, "recording a surname: %s", ps_tx_errmsg(tx));
    char res[128];
    int n = snprintf(res, sizeof res, "marriages/%.*s/surnames/%.*s", PS_STR_FMT(id),
                     PS_STR_FMT(rnokpp));
    if (n < 0 || (size_t)n >= sizeof res)
        return ps_diag_set(diag, PS_ERR_INVALID, "marriage id too long");
    return ps_tlog_record_change(tx, actor, "marriage.surname", rnokpp,
                                 (struct ps_str){res, (size_t)n}, reason, diag);
}

/* The rows in ascending RNOKPP order: every writer takes the unique-index entries of two
 * persons in the same order, so two marriages of the same pair never deadlock. The chosen
 * surnames (sur[0] a's, sur[1] b's; sur may be NULL) go in before the records' hook runs. */
static enum ps_err insert_rows(struct ps_tx *tx, const struct ps_actor *actor, const char id[37],
                               struct ps_str a, struct ps_str b, const struct ps_str *sur,
                               struct ps_str reason, struct ps_diag *diag)
{
    PS_ASSERT(a.len == PS_RNOKPP_LEN && b.len == PS_RNOKPP_LEN);
    struct ps_str lo = memcmp(a.p, b.p, PS_RNOKPP_LEN) < 0 ? a : b;
    struct ps_str hi = lo.p == a.p ? b : a;
    enum ps_err e = insert_marriage_row(tx, id, diag);
    if (e == PS_OK)
        e = insert_party_row(tx, id, lo, diag);
    if (e == PS_OK)
        e = insert_party_row(tx, id, hi, diag);
    if (e == PS_OK)
        e = record_both(tx, actor, "marriage.register", id, lo, hi, reason, diag);
    for (int i = 0; sur && i < 2 && e == PS_OK; i++)
        e = write_surname(tx, actor, ps_str_from_cstr(id), i ? b : a, sur[i], reason, diag);
    if (e == PS_OK)
        e = ps_records_changed(tx, actor, lo, reason, diag);
    if (e == PS_OK)
        e = ps_records_changed(tx, actor, hi, reason, diag);
    return e;
}

static enum ps_err do_register(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str a,
                               struct ps_str b, const struct ps_str *sur, struct ps_str reason,
                               char id_out[37], struct ps_diag *refused, struct ps_diag *diag)
{
    ps_act_begin(refused, diag, id_out);
    enum ps_err e = check_pair(a, b, diag);
    if (e == PS_OK && sur && (!surname_ok(sur[0]) || !surname_ok(sur[1])))
        e = ps_diag_set(diag, PS_ERR_INVALID, "a surname is 1 to 400 bytes");
    if (e == PS_OK)
        e = ps_person_check_alive(tx, actor, a, reason, refused, diag);
    if (e == PS_OK && refused->code == PS_OK)
        e = ps_person_check_alive(tx, actor, b, reason, refused, diag);
    char married[PS_RNOKPP_LEN + 1] = "";
    if (e == PS_OK && refused->code == PS_OK)
        e = find_married(tx, a, b, married, diag);
    if (e == PS_OK && married[0])
        return ps_act_refuse(refused, PS_ERR_EXISTS,
                             "the person with RNOKPP %s is already married", married);
    bool kin = false;
    if (e == PS_OK && refused->code == PS_OK)
        e = ps_kinship_close(tx, a, b, &kin, diag);
    if (e == PS_OK && kin)
        return ps_act_refuse(refused, PS_ERR_INVALID,
                             "the persons with RNOKPP %.*s and %.*s are close relatives and "
                             "may not marry (Family Code, article 26)",
                             PS_STR_FMT(a), PS_STR_FMT(b));
    if (e != PS_OK || refused->code != PS_OK)
        return e; /* a refusal is PS_OK: the recorded status reads must commit */
    char id[37];
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id);
    return ps_act_done(insert_rows(tx, actor, id, a, b, sur, reason, diag), id, id_out);
}

enum ps_err ps_marriage_register(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str a,
                                 struct ps_str b, struct ps_str reason, char id_out[37],
                                 struct ps_diag *refused, struct ps_diag *diag)
{
    return do_register(tx, actor, a, b, NULL, reason, id_out, refused, diag);
}

enum ps_err ps_marriage_register_named(struct ps_tx *tx, const struct ps_actor *actor,
                                       struct ps_str a, struct ps_str b, struct ps_str surname_a,
                                       struct ps_str surname_b, struct ps_str reason,
                                       char id_out[37], struct ps_diag *refused,
                                       struct ps_diag *diag)
{
    const struct ps_str sur[2] = {surname_a, surname_b};
    return do_register(tx, actor, a, b, sur, reason, id_out, refused, diag);
}

/* Ends the marriage row; *found false when id is not an active marriage. */
static enum ps_err end_marriage(struct ps_tx *tx, const char id[37], bool *found,
                                struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool more = false;
    enum ps_err e = ps_tx_prepare(tx, &dissolve_marriage, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
    if (e == PS_OK)
        e = ps_stmt_bind_i64(st, 2, ps_clock_now_ms());
    if (e == PS_OK)
        e = ps_stmt_step(st, found);
    if (e == PS_OK && *found)
        e = ps_stmt_step(st, &more); /* completes the statement; id is the primary key */
    if (e != PS_OK)
        ps_diag_set(diag, e, "dissolving a marriage: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* Ends both party rows and copies the spouses' RNOKPPs out (11 bytes each). */
static enum ps_err end_parties(struct ps_tx *tx, const char id[37], char spouse[2][11],
                               struct ps_diag *diag)
{
    struct ps_stmt *st = NULL;
    bool row = false;
    int n = 0;
    enum ps_err e = ps_tx_prepare(tx, &dissolve_parties, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    while (e == PS_OK && row) {
        if (n >= 2 || ps_str_copy(spouse[n], 11, ps_stmt_text(st, 0)) != PS_OK)
            e = PS_ERR_INTERNAL;
        n++;
        if (e == PS_OK)
            e = ps_stmt_step(st, &row);
    }
    if (e == PS_OK && n != 2)
        e = PS_ERR_INTERNAL;
    if (e != PS_OK)
        ps_diag_set(diag, e, "dissolving a marriage: %d active parties: %s", n,
                    ps_tx_errmsg(tx));
    ps_stmt_done(st);
    return e;
}

/* A dissolution that matched nothing: if id is a marriage at all (so, a dissolved one), the
 * answer "no active marriage" tells the actor about both spouses, and each one the actor is not
 * gets the read recorded ("marriage.status.read"). An unknown id is about no one. */
static enum ps_err record_refused_dissolution(struct ps_tx *tx, const struct ps_actor *actor,
                                              const char id[37], struct ps_str reason,
                                              struct ps_diag *diag)
{
    char res[64], spouse[2][PS_RNOKPP_LEN + 1];
    int n = snprintf(res, sizeof res, "marriages/%s#status", id), k = 0;
    PS_ASSERT(n > 0 && (size_t)n < sizeof res);
    struct ps_stmt *st = NULL;
    bool row = false;
    enum ps_err e = ps_tx_prepare(tx, &spouses_of, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(id));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    for (; e == PS_OK && row; k++) {
        if (k >= 2 || ps_str_copy(spouse[k], sizeof spouse[k], ps_stmt_text(st, 0)) != PS_OK)
            e = PS_ERR_INTERNAL;
        if (e == PS_OK)
            e = ps_stmt_step(st, &row);
    }
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading a marriage: %s", ps_tx_errmsg(tx));
    ps_stmt_done(st);
    for (int i = 0; i < k && e == PS_OK; i++) {
        struct ps_str who = ps_str_from_cstr(spouse[i]);
        if (!ps_actor_is_subject(actor, who))
            e = ps_access_record(tx, actor, "marriage.status.read", who,
                                 (struct ps_str){res, (size_t)n}, reason, diag);
    }
    return e;
}

enum ps_err ps_marriage_dissolve(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str id,
                                 struct ps_str reason, struct ps_diag *refused,
                                 struct ps_diag *diag)
{
    ps_act_begin(refused, diag, NULL);
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "dissolving a marriage needs an actor");
    struct ps_uuid u;
    if (!ps_uuid_parse(id, &u))
        return ps_diag_set(diag, PS_ERR_INVALID, "a marriage id is a UUID");
    if (!reason.p || reason.len == 0) /* a marriage is always another person's record too */
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "a reason is required to act on another person's record");
    char canon[37], spouse[2][11];
    ps_uuid_fmt(&u, canon);
    bool found = false;
    enum ps_err e = end_marriage(tx, canon, &found, diag);
    if (e == PS_OK && !found)
        e = record_refused_dissolution(tx, actor, canon, reason, diag);
    if (e != PS_OK)
        return e;
    if (!found) /* the recorded reads commit */
        return ps_act_refuse(refused, PS_ERR_NOTFOUND, "no active marriage %s", canon);
    e = end_parties(tx, canon, spouse, diag);
    int first = e == PS_OK && strcmp(spouse[0], spouse[1]) > 0; /* the log in RNOKPP order */
    if (e == PS_OK)
        e = record_both(tx, actor, "marriage.dissolve", canon,
                        ps_str_from_cstr(spouse[first]), ps_str_from_cstr(spouse[1 - first]),
                        reason, diag);
    for (int i = 0; i < 2 && e == PS_OK; i++)
        e = ps_records_changed(tx, actor, ps_str_from_cstr(spouse[i]), reason, diag);
    return e;
}

enum ps_err ps_marriage_set_surname(struct ps_tx *tx, const struct ps_actor *actor,
                                    struct ps_str id, struct ps_str rnokpp,
                                    struct ps_str surname, struct ps_str reason,
                                    struct ps_diag *diag)
{
    enum ps_err e = write_surname(tx, actor, id, rnokpp, surname, reason, diag);
    if (e != PS_OK)
        return e;
    /* both certificates show it: the spouses of the marriage, read first (a statement stays
     * open while the hook runs others on the same connection otherwise) */
    char spouse[2][PS_RNOKPP_LEN + 1];
    size_t n = 0;
    struct ps_query q;
    ps_query_start(&q, tx, &spouses_of);
    ps_query_text(&q, id);
    while (ps_query_row(&q) && n < 2)
        if (ps_str_copy(spouse[n++], sizeof spouse[0], ps_stmt_text(q.st, 0)) != PS_OK)
            q.err = PS_ERR_INTERNAL;
    e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading a marriage: %s", ps_tx_errmsg(tx));
    for (size_t i = 0; i < n && e == PS_OK; i++)
        e = ps_records_changed(tx, actor, ps_str_from_cstr(spouse[i]), reason, diag);
    return e;
}

static const struct ps_sql active_party = {
    "marriage_parties.active",
    "SELECT 1 FROM marriage_parties WHERE rnokpp = $1 AND status = 'active'",
};

enum ps_err ps_marriage_active(struct ps_tx *tx, struct ps_str rnokpp, bool *out,
                               struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &active_party);
    ps_query_text(&q, rnokpp);
    *out = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    return e == PS_OK ? PS_OK : ps_diag_set(diag, e, "reading marriages: %s", ps_tx_errmsg(tx));
}
