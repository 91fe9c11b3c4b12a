/* The record sources documents draw on: one SELECT per source over the registry tables, its
 * first column the record's id, then the fields in order, every value read as text. Times
 * kept in milliseconds (marriages, sole proprietors, IDP registrations) are given as dates.
 * A registration's details (sole_proprietor_details, marriage_surnames) join their act's row:
 * absent (an act recorded without them) the act's own values stand in. And the change
 * hook, one function pointer set at start. */
#include "registries/records.h"

#include <string.h>

#include "registries/date.h"
#include "store/store.h"

#define FIELDS(...) (const char *const[]){__VA_ARGS__, NULL}
#define NFIELDS(...) (sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))
#define SOURCE(name, ...) {name, FIELDS(__VA_ARGS__), NFIELDS(__VA_ARGS__)}

/* The sources and, at the same index, how to read them. */
static const struct ps_record_source sources[] = {
    SOURCE("person", "rnokpp", "unzr", "id_card", "surname", "given_name", "patronymic",
           "surname_latin", "given_name_latin", "patronymic_latin", "birth_date", "sex",
           "oblast", "hromada", "settlement", "street", "building"),
    SOURCE("passport", "number", "authority", "issued_on", "expires_on"),
    SOURCE("driving-licence", "number", "categories", "authority", "issued_on", "expires_on"),
    SOURCE("vehicle", "plate", "vin", "make", "model", "year", "colour", "certificate",
           "registered_on"),
    SOURCE("idp", "number", "issued_on", "from_hromada", "from_address", "current_address",
           "territory_status"),
    SOURCE("birth", "certificate", "act_number", "registered_on", "registry_office",
           "place_of_birth", "father", "mother"),
    SOURCE("marriage", "registered_on", "spouse_rnokpp", "spouse_surname", "spouse_given_name",
           "spouse_patronymic", "spouse_surname_latin", "spouse_given_name_latin",
           "spouse_birth_date", "surname_after", "spouse_surname_after"),
    SOURCE("sole-proprietor", "registered_on", "kved", "kveds", "tax_system"),
};
#define NSOURCES (sizeof sources / sizeof sources[0])

/* One SELECT per source: the record's id, then its fields in order. */
static const struct reader {
    struct ps_sql sql;
    int ms_date; /* the field (index) held in milliseconds, given as a date; -1: none */
} readers[] = {
    {{"records.person",
      "SELECT rnokpp, rnokpp, unzr, id_card, surname, given_name, patronymic, surname_latin, "
      "given_name_latin, patronymic_latin, birth_date, sex, oblast, hromada, settlement, "
      "street, building FROM persons WHERE rnokpp = $1 AND status = 'alive'"},
     -1},
    {{"records.passport", "SELECT id, number, authority, issued_on, expires_on FROM passports "
                          "WHERE rnokpp = $1 AND status = 'active' ORDER BY id"},
     -1},
    {{"records.driving_licence",
      "SELECT id, number, categories, authority, issued_on, expires_on FROM driving_licences "
      "WHERE rnokpp = $1 AND status = 'active' ORDER BY id"},
     -1},
    {{"records.vehicle",
      "SELECT id, substr(plate, 1, 2) || ' ' || substr(plate, 3, 4) || ' ' || "
      "substr(plate, 7, 2), vin, make, model, CAST(year AS TEXT), colour, certificate, "
      "registered_on FROM vehicles WHERE owner = $1 AND status = 'registered' ORDER BY id"},
     -1},
    {{"records.idp",
      "SELECT id, number, CAST(registered_at_ms AS TEXT), from_hromada, from_address, "
      "current_address, territory_status FROM idp_registrations "
      "WHERE rnokpp = $1 AND status = 'active' ORDER BY id"},
     1},
    {{"records.birth",
      "SELECT id, certificate, CAST(act_number AS TEXT), registered_on, registry_office, "
      "place_of_birth, father, mother FROM birth_records WHERE rnokpp = $1 ORDER BY id"},
     -1},
    {{"records.marriage",
      "SELECT m.id, CAST(m.registered_at_ms AS TEXT), o.rnokpp, p.surname, p.given_name, "
      "p.patronymic, p.surname_latin, p.given_name_latin, p.birth_date, "
      "COALESCE(sme.surname, pme.surname), COALESCE(so.surname, p.surname) "
      "FROM marriage_parties me JOIN marriages m ON m.id = me.marriage_id "
      "JOIN marriage_parties o ON o.marriage_id = me.marriage_id AND o.rnokpp <> me.rnokpp "
      "JOIN persons p ON p.rnokpp = o.rnokpp JOIN persons pme ON pme.rnokpp = me.rnokpp "
      "LEFT JOIN marriage_surnames sme ON sme.marriage_id = m.id AND sme.rnokpp = me.rnokpp "
      "LEFT JOIN marriage_surnames so ON so.marriage_id = m.id AND so.rnokpp = o.rnokpp "
      "WHERE me.rnokpp = $1 AND me.status = 'active' ORDER BY m.id"},
     0},
    {{"records.sole_proprietor",
      "SELECT s.id, CAST(s.registered_at_ms AS TEXT), s.kved, "
      "COALESCE(REPLACE(d.kveds, ',', ', '), s.kved), "
      "CASE d.tax_system WHEN 'single-1' THEN 'єдиний податок, 1 група' "
      "WHEN 'single-2' THEN 'єдиний податок, 2 група' "
      "WHEN 'single-3' THEN 'єдиний податок, 3 група' "
      "WHEN 'general' THEN 'загальна система' ELSE '' END "
      "FROM sole_proprietors s LEFT JOIN sole_proprietor_details d ON d.id = s.id "
      "WHERE s.rnokpp = $1 AND s.status = 'active' ORDER BY s.id"},
     0},
};
_Static_assert(sizeof readers / sizeof readers[0] == NSOURCES, "one reader per source");

const struct ps_record_source *ps_record_sources(size_t *n)
{
    *n = NSOURCES;
    return sources;
}

const struct ps_record_source *ps_record_source(struct ps_str name)
{
    for (size_t i = 0; i < NSOURCES; i++) {
        if (ps_str_eq_cstr(name, sources[i].name))
            return &sources[i];
    }
    return NULL;
}

int ps_record_field(const struct ps_record_source *src, struct ps_str name)
{
    for (size_t i = 0; src && i < src->nfields; i++) {
        if (ps_str_eq_cstr(name, src->fields[i]))
            return (int)i;
    }
    return -1;
}

/* Milliseconds since the epoch, as text, to the UTC date. */
static struct ps_str ms_to_date(struct ps_arena *arena, struct ps_str ms)
{
    uint64_t v = 0;
    if (ps_str_to_u64(ms, &v) != PS_OK)
        return ps_arena_str(arena, PS_STR(""));
    char out[11];
    ps_date_fmt(ps_date_from_days((int64_t)(v / 86400000u)), out);
    return ps_arena_str(arena, (struct ps_str){out, 10});
}

static enum ps_err copy_row(const struct ps_record_source *s, int ms_date, struct ps_stmt *st,
                            struct ps_arena *arena, struct ps_record *r)
{
    memset(r, 0, sizeof *r);
    r->id = ps_arena_str(arena, ps_stmt_text(st, 0));
    if (!r->id.p)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < s->nfields; i++) {
        struct ps_str v = ps_stmt_text(st, (int)i + 1);
        r->v[i] = (int)i == ms_date ? ms_to_date(arena, v) : ps_arena_str(arena, v);
        if (!r->v[i].p)
            return PS_ERR_NOMEM;
    }
    return PS_OK;
}

enum ps_err ps_records_of(struct ps_tx *tx, const struct ps_record_source *src,
                          struct ps_str rnokpp, struct ps_arena *arena, struct ps_record *out,
                          size_t cap, size_t *n, struct ps_diag *diag)
{
    PS_ASSERT(src >= sources && src < sources + NSOURCES && src->nfields <= PS_RECORD_MAX_FIELDS);
    const struct reader *rd = &readers[src - sources];
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &rd->sql);
    ps_query_text(&q, rnokpp);
    while (ps_query_row(&q)) {
        if (*n >= cap) {
            q.err = PS_ERR_LIMIT;
            break;
        }
        q.err = copy_row(src, rd->ms_date, q.st, arena, &out[*n]);
        if (q.err != PS_OK)
            break;
        (*n)++;
    }
    enum ps_err e = ps_query_end(&q);
    if (e == PS_ERR_LIMIT)
        return ps_diag_set(diag, e, "more than %zu %s records", cap, src->name);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading %s records: %s", src->name, ps_tx_errmsg(tx));
    return PS_OK;
}

/* ---- the hook ---- */

static ps_records_hook hook_fn;
static void *hook_ctx;

void ps_records_set_hook(ps_records_hook fn, void *ctx)
{
    hook_fn = fn;
    hook_ctx = ctx;
}

enum ps_err ps_records_changed(struct ps_tx *tx, const struct ps_actor *actor,
                               struct ps_str rnokpp, struct ps_str reason, struct ps_diag *diag)
{
    return hook_fn ? hook_fn(tx, actor, rnokpp, reason, hook_ctx, diag) : PS_OK;
}
