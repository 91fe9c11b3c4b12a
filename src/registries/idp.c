/* IDP registrations: one INSERT ... ON CONFLICT DO NOTHING against the unique indexes, as
 * sole-proprietor registrations do (business.c), so a second registration is refused by the
 * database and reported as a refusal that commits its recorded status read. The row is also
 * the certificate (довідка ВПО) the documents module issues: its number is drawn at random and
 * a number already taken (the other unique index) is drawn again. */
#include "registries/idp.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "registries/persons.h"
#include "registries/records.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"

#define FIELD_MAX 400
/* Draws of a certificate number before giving up: with 10^14 numbers a second collision in a
 * row means the random source is broken. */
#define NUMBER_TRIES 4

static const struct ps_sql insert_idp = {
    "idp_registrations.insert",
    "INSERT INTO idp_registrations (id, rnokpp, with_parent, from_hromada, from_address, "
    "current_address, territory_status, aid_eligible, registered_at_ms, status, number) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'active', $10) "
    "ON CONFLICT DO NOTHING RETURNING id",
};
static const struct ps_sql active_idp = {
    "idp_registrations.active",
    "SELECT id FROM idp_registrations WHERE rnokpp = $1 AND status = 'active'",
};

static enum ps_err check(const struct ps_idp_registration *r, struct ps_diag *diag)
{
    const struct ps_str f[] = {r->from_hromada, r->from_address, r->current_address};
    enum ps_err e = ps_rnokpp_validate(r->rnokpp, NULL, diag);
    if (e == PS_OK && r->with_parent.len)
        e = ps_rnokpp_validate(r->with_parent, NULL, diag);
    for (size_t i = 0; e == PS_OK && i < sizeof f / sizeof f[0]; i++)
        if (f[i].len == 0 || f[i].len > FIELD_MAX)
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "IDP registration: addresses and hromada are 1 to %d bytes",
                               FIELD_MAX);
    if (e == PS_OK && !ps_str_eq_cstr(r->territory_status, "occupied") &&
        !ps_str_eq_cstr(r->territory_status, "combat"))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "the territory status is \"occupied\" or \"combat\"");
    return e;
}

/* A certificate number, "NNNN-NNNNNNNNNN" (16 bytes with NUL), from the random source. */
static void draw_number(char out[16])
{
    uint32_t hi = ps_random_uniform(10000), mid = ps_random_uniform(100000);
    uint32_t lo = ps_random_uniform(100000);
    int n = snprintf(out, 16, "%04u-%05u%05u", (unsigned)hi, (unsigned)mid, (unsigned)lo);
    PS_ASSERT(n == 15);
}

/* The INSERT; *inserted false when a unique index refused the row: the person's active
 * registration or, rarely, the number (ps_idp_register tells them apart). */
static enum ps_err insert_row(struct ps_tx *tx, const char id[37], const char number[16],
                              const struct ps_idp_registration *r, bool *inserted,
                              struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &insert_idp);
    ps_query_text(&q, ps_str_from_cstr(id));
    ps_query_text(&q, r->rnokpp);
    ps_query_text_or_null(&q, r->with_parent.len ? r->with_parent : PS_STR_NULL);
    ps_query_text(&q, r->from_hromada);
    ps_query_text(&q, r->from_address);
    ps_query_text(&q, r->current_address);
    ps_query_text(&q, r->territory_status);
    ps_query_i64(&q, r->aid_eligible ? 1 : 0);
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_text(&q, ps_str_from_cstr(number));
    *inserted = ps_query_row(&q);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "registering an IDP: %s", ps_tx_errmsg(tx));
    return PS_OK;
}

/* Inserts r as id with a number not yet taken; *active true (nothing inserted) when the person
 * already has an active registration. */
static enum ps_err insert_numbered(struct ps_tx *tx, const char id[37],
                                   const struct ps_idp_registration *r, bool *active,
                                   struct ps_diag *diag)
{
    char number[16];
    bool inserted = false;
    enum ps_err e = PS_OK;
    *active = false;
    for (int i = 0; e == PS_OK && !inserted && !*active && i < NUMBER_TRIES; i++) {
        draw_number(number);
        e = insert_row(tx, id, number, r, &inserted, diag);
        if (e == PS_OK && !inserted) /* which index: the person's, or the number's */
            e = ps_idp_registered(tx, r->rnokpp, active, diag);
    }
    if (e == PS_OK && !inserted && !*active)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "no free IDP certificate number in %d draws",
                           NUMBER_TRIES);
    return e;
}

enum ps_err ps_idp_register(struct ps_tx *tx, const struct ps_actor *actor,
                            const struct ps_idp_registration *r, struct ps_str reason,
                            char id_out[37], struct ps_diag *refused, struct ps_diag *diag)
{
    PS_ASSERT(refused != NULL && refused != diag);
    ps_diag_clear(refused);
    if (id_out)
        id_out[0] = '\0';
    if (!reason.p || reason.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "an IDP registration needs a reason");
    enum ps_err e = check(r, diag);
    if (e == PS_OK)
        e = ps_person_check_alive(tx, actor, r->rnokpp, reason, refused, diag);
    if (e != PS_OK || refused->code != PS_OK)
        return e;
    char id[37], res[64];
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, id);
    bool active = false;
    e = insert_numbered(tx, id, r, &active, diag);
    if (e != PS_OK)
        return e;
    if (active) {
        ps_diag_set(refused, PS_ERR_EXISTS,
                    "the person with RNOKPP %.*s is already registered as an internally "
                    "displaced person",
                    PS_STR_FMT(r->rnokpp));
        return PS_OK;
    }
    int n = snprintf(res, sizeof res, "idp-registrations/%s", id);
    PS_ASSERT(n > 0 && (size_t)n < sizeof res);
    e = ps_tlog_record_change(tx, actor, "idp.register", r->rnokpp,
                              (struct ps_str){res, (size_t)n}, reason, diag);
    if (e == PS_OK) /* the certificate: the documents drawn from the registration */
        e = ps_records_changed(tx, actor, r->rnokpp, reason, diag);
    if (e == PS_OK && id_out)
        memcpy(id_out, id, sizeof id);
    return e;
}

enum ps_err ps_idp_registered(struct ps_tx *tx, struct ps_str rnokpp, bool *out,
                              struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &active_idp);
    ps_query_text(&q, rnokpp);
    *out = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading IDP registrations: %s", ps_tx_errmsg(tx));
    return PS_OK;
}
