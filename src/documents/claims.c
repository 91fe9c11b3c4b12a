/* Claim values: registry text converted to the declared type, the derived ones (names,
 * address, ages, photo) and the document's own; the content hash over the registry-drawn
 * ones, as CBOR (the encoders' own encoding) under SHA-256. */
#include "documents/claims.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "documents/cbor_write.h"
#include "documents/image.h"
#include "registries/date.h"

#define MS_PER_DAY 86400000LL

void ps_doc_date_of(int64_t ms, char out[11])
{
    int64_t days = ms >= 0 ? ms / MS_PER_DAY : -((-ms + MS_PER_DAY - 1) / MS_PER_DAY);
    ps_date_fmt(ps_date_from_days(days), out);
}

/* Person fields by name (the population source's order, registries/records.c). */
static struct ps_str pf(const struct ps_record *person, const char *name)
{
    int i = ps_record_field(ps_record_source(PS_STR("person")), ps_str_from_cstr(name));
    PS_ASSERT(i >= 0);
    return person->v[i];
}

static char *joined(struct ps_arena *a, const struct ps_record *p, const char *const *names)
{
    char buf[1024];
    size_t n = 0;
    for (size_t i = 0; names[i]; i++) {
        struct ps_str s = pf(p, names[i]);
        if (s.len == 0)
            continue;
        int k = snprintf(buf + n, sizeof buf - n, "%s%.*s", n ? " " : "", PS_STR_FMT(s));
        if (k < 0 || (size_t)k >= sizeof buf - n)
            break;
        n += (size_t)k;
    }
    return ps_arena_strndup(a, buf, n);
}

static char *address(struct ps_arena *a, const struct ps_record *p)
{
    static const char *const parts[] = {"oblast", "hromada", "settlement", "street", "building"};
    char buf[1200];
    size_t n = 0;
    for (size_t i = 0; i < 5; i++) {
        struct ps_str s = pf(p, parts[i]);
        /* Kyiv is both the oblast and the settlement: say it once */
        if (s.len == 0 || (i == 2 && ps_str_eq(s, pf(p, "oblast"))))
            continue;
        int k = snprintf(buf + n, sizeof buf - n, "%s%.*s", n ? ", " : "", PS_STR_FMT(s));
        if (k < 0 || (size_t)k >= sizeof buf - n)
            break;
        n += (size_t)k;
    }
    return ps_arena_strndup(a, buf, n);
}

/* Whole years from birth to the date of now_ms; -1 when birth is not a date. */
static int age(struct ps_str birth, int64_t now_ms)
{
    struct ps_date b, now;
    char today[11];
    if (ps_date_parse(birth, &b, NULL) != PS_OK)
        return -1;
    ps_doc_date_of(now_ms, today);
    if (ps_date_parse(ps_str_from_cstr(today), &now, NULL) != PS_OK)
        return -1;
    int years = now.year - b.year;
    if (now.month < b.month || (now.month == b.month && now.day < b.day))
        years--;
    return years;
}

static enum ps_err derived(const struct ps_doctype_claim *c, const struct ps_record *person,
                           int64_t now_ms, struct ps_arena *a, struct ps_doc_claim *out)
{
    static const char *const full[] = {"surname", "given_name", "patronymic", NULL};
    static const char *const latin[] = {"surname_latin", "given_name_latin", "patronymic_latin",
                                        NULL};
    int years = age(pf(person, "birth_date"), now_ms);
    switch ((enum ps_derived)c->field) {
    case PS_DERIVED_FULL_NAME: out->text = joined(a, person, full); break;
    case PS_DERIVED_FULL_NAME_LATIN: out->text = joined(a, person, latin); break;
    case PS_DERIVED_ADDRESS: out->text = address(a, person); break;
    case PS_DERIVED_OVER_18: out->b = years >= 18; return PS_OK;
    case PS_DERIVED_OVER_21: out->b = years >= 21; return PS_OK;
    case PS_DERIVED_AGE: out->i = years; return PS_OK;
    case PS_DERIVED_PHOTO: {
        uint8_t *h = ps_arena_alloc(a, 32);
        if (!h || ps_doc_photo_sha256(pf(person, "rnokpp"), h) != PS_OK)
            return PS_ERR_NOMEM;
        out->bytes = h;
        out->len = 32;
        return PS_OK;
    }
    }
    return out->text ? PS_OK : PS_ERR_NOMEM;
}

static enum ps_err document(const struct ps_doctype_claim *c, const struct ps_doc_meta *m,
                            struct ps_arena *a, struct ps_doc_claim *out)
{
    char date[11];
    if (c->field == PS_DOCFIELD_ID) {
        out->text = ps_arena_strndup(a, m->id, strlen(m->id));
    } else {
        ps_doc_date_of(c->field == PS_DOCFIELD_ISSUED_ON ? m->issued_at_ms : m->expires_at_ms,
                       date);
        out->text = ps_arena_strndup(a, date, 10);
    }
    return out->text ? PS_OK : PS_ERR_NOMEM;
}

/* A registry value as the declared type. */
static enum ps_err from_registry(const struct ps_doctype_claim *c, struct ps_str v,
                                 struct ps_arena *a, struct ps_doc_claim *out,
                                 struct ps_diag *diag)
{
    struct ps_date d;
    uint64_t u = 0;
    if (c->type == PS_CLAIM_INT) {
        if (ps_str_to_u64(v, &u) != PS_OK || u > INT64_MAX)
            return ps_diag_set(diag, PS_ERR_INVALID, "claim %s: \"%.*s\" is not a number",
                               c->name, PS_STR_FMT(v));
        out->i = (int64_t)u;
        return PS_OK;
    }
    if (c->type == PS_CLAIM_DATE && ps_date_parse(v, &d, NULL) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "claim %s: \"%.*s\" is not a date", c->name,
                           PS_STR_FMT(v));
    out->text = ps_arena_cstr(a, v);
    return out->text ? PS_OK : ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
}

static enum ps_doc_value value_type(enum ps_claim_type t)
{
    switch (t) {
    case PS_CLAIM_INT: return PS_DOC_INT;
    case PS_CLAIM_BOOL: return PS_DOC_BOOL;
    case PS_CLAIM_BYTES: return PS_DOC_BYTES;
    case PS_CLAIM_TEXT:
    case PS_CLAIM_DATE: break;
    }
    return PS_DOC_TEXT;
}

enum ps_err ps_doc_claims_build(const struct ps_doctype *t, const struct ps_record *person,
                                const struct ps_record *record, const struct ps_doc_meta *meta,
                                uint64_t mask, int64_t now_ms, struct ps_arena *arena,
                                struct ps_doc_claim *out, struct ps_diag *diag)
{
    for (size_t i = 0; i < t->nclaims; i++) {
        const struct ps_doctype_claim *c = &t->claims[i];
        struct ps_doc_claim *o = &out[i];
        enum ps_err e;
        memset(o, 0, sizeof *o);
        o->name = c->name;
        o->type = value_type(c->type);
        if (!(mask & ((uint64_t)1 << i))) {
            if (o->type == PS_DOC_TEXT)
                o->text = "";
            continue;
        }
        if (c->from == PS_FROM_PERSON || c->from == PS_FROM_RECORD)
            e = from_registry(c, (c->from == PS_FROM_PERSON ? person : record)->v[c->field],
                              arena, o, diag);
        else if (c->from == PS_FROM_DERIVED)
            e = derived(c, person, now_ms, arena, o);
        else
            e = document(c, meta, arena, o);
        if (e != PS_OK)
            return diag->code != PS_OK ? e : ps_diag_set(diag, e, "building claim %s", c->name);
    }
    return PS_OK;
}

static bool hashed(const struct ps_doctype_claim *c)
{
    if (c->from == PS_FROM_PERSON || c->from == PS_FROM_RECORD)
        return true;
    return c->from == PS_FROM_DERIVED &&
           (c->field == PS_DERIVED_FULL_NAME || c->field == PS_DERIVED_FULL_NAME_LATIN ||
            c->field == PS_DERIVED_ADDRESS);
}

enum ps_err ps_doc_content_hash(const struct ps_doctype *t, const struct ps_record *person,
                                const struct ps_record *record, uint8_t out[32])
{
    struct ps_arena *a = ps_arena_new(64u << 10);
    struct ps_buf b;
    struct ps_diag d = {0};
    static const struct ps_doc_meta none = {"", 0, 0};
    ps_buf_init(&b, 64u << 10);
    enum ps_err e = a ? PS_OK : PS_ERR_NOMEM;
    if (e == PS_OK)
        e = ps_cbor_cstr(&b, t->id);
    if (e == PS_OK)
        e = ps_cbor_int(&b, t->version);
    for (size_t i = 0; e == PS_OK && i < t->nclaims; i++) {
        const struct ps_doctype_claim *c = &t->claims[i];
        struct ps_doc_claim v;
        if (!hashed(c))
            continue;
        e = ps_doc_claims_build(&(struct ps_doctype){.nclaims = 1, .claims = c}, person, record,
                                &none, 1, 0, a, &v, &d);
        if (e == PS_OK)
            e = ps_cbor_cstr(&b, c->name);
        if (e == PS_OK)
            e = ps_doc_claim_value(&b, &v);
    }
    if (e == PS_OK)
        crypto_hash_sha256(out, (const unsigned char *)b.p, b.len);
    ps_buf_reset(&b);
    ps_arena_free(a);
    return e;
}

enum ps_err ps_doc_expiry(const struct ps_doctype *t, const struct ps_record *record,
                          int64_t now_ms, int64_t *exp_ms, struct ps_diag *diag)
{
    struct ps_date d;
    char today[11];
    switch (t->validity) {
    case PS_VALID_DAYS:
        *exp_ms = now_ms + t->validity_n * MS_PER_DAY;
        return PS_OK;
    case PS_VALID_YEARS:
        ps_doc_date_of(now_ms, today);
        if (ps_date_parse(ps_str_from_cstr(today), &d, diag) != PS_OK)
            return PS_ERR_INVALID;
        d.year += t->validity_n;
        if (d.month == 2 && d.day == 29 && !ps_date_valid(d))
            d.day = 28;
        *exp_ms = ps_date_to_days(d) * MS_PER_DAY + now_ms % MS_PER_DAY;
        return PS_OK;
    case PS_VALID_FIELD:
        break;
    }
    struct ps_str v = record->v[t->validity_n];
    if (ps_date_parse(v, &d, NULL) != PS_OK)
        return ps_diag_set(diag, PS_ERR_INVALID, "%s: expiry \"%.*s\" is not a date", t->id,
                           PS_STR_FMT(v));
    *exp_ms = (ps_date_to_days(d) + 1) * MS_PER_DAY; /* valid through that day */
    return PS_OK;
}
