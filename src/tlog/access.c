/* The single recorder: validates the who/what/why and inserts one access_log row (with a fresh
 * random salt for the public commitment) in the caller's transaction. Reads of a person's data
 * come through ps_access_record, state changes through ps_tlog_record_change. An official's row
 * carries the role and agency the policy decided the act under (an agency system's, its agency;
 * migration 0007). The table refuses UPDATE and DELETE by trigger (migration 0004_tlog), so a
 * row once committed stays; the integrator (integrator.c) later makes it a leaf of the public
 * log. */
#include "tlog/access.h"

#include <string.h>

#include "core/clock.h"
#include "core/ids.h"
#include "store/store.h"
#include "tlog/log.h"

static const struct ps_sql insert_access = {
    "access.insert",
    "INSERT INTO access_log (id, at_ms, actor_kind, actor_id, action, subject, resource, "
    "purpose, salt, kind, actor_role, actor_agency) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
};

struct ps_str ps_access_purpose(const struct ps_actor *actor, struct ps_str given)
{
    if ((!given.p || given.len == 0) && actor && actor->kind == PS_ACTOR_ADMIN)
        return PS_STR(PS_ACCESS_ADMIN_PURPOSE);
    return given;
}

/* Valid UTF-8 (no overlongs, surrogates or code points past U+10FFFF) with no C0/C1 control
 * characters or DEL: what is recorded must print safely in any viewer. */
static bool clean_text(struct ps_str s)
{
    const unsigned char *p = (const unsigned char *)s.p;
    size_t i = 0;
    while (i < s.len) {
        unsigned c = p[i];
        size_t n;
        unsigned cp, min;
        if (c < 0x80) {
            if (c < 0x20 || c == 0x7F)
                return false;
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            n = 2, cp = c & 0x1F, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            n = 3, cp = c & 0x0F, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            n = 4, cp = c & 0x07, min = 0x10000;
        else
            return false;
        if (n > s.len - i)
            return false;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) ||
            (cp >= 0x80 && cp <= 0x9F))
            return false;
        i += n;
    }
    return true;
}

static enum ps_err check_field(const char *name, struct ps_str v, size_t max, bool optional,
                               struct ps_diag *diag)
{
    if (optional && v.len == 0)
        return PS_OK;
    if (!v.p || v.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "access record: %s is required", name);
    if (v.len > max)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "access record: %s is longer than %zu bytes", name, max);
    if (!clean_text(v))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "access record: %s is not valid UTF-8 text", name);
    return PS_OK;
}

/* A change need not be about one person (subject) nor carry a reason (purpose). */
static enum ps_err check_all(const struct ps_actor *actor, struct ps_str action,
                             struct ps_str subject, struct ps_str resource,
                             struct ps_str purpose, bool change, struct ps_diag *diag)
{
    if (!actor || ps_actor_kind_name(actor->kind)[0] == '\0')
        return ps_diag_set(diag, PS_ERR_INVALID, "access record: unknown actor kind");
    enum ps_err e = check_field("actor id", actor->id, PS_ACCESS_ACTOR_ID_MAX, false, diag);
    if (e == PS_OK)
        e = check_field("action", action, PS_ACCESS_ACTION_MAX, false, diag);
    if (e == PS_OK)
        e = check_field("subject", subject, PS_ACCESS_SUBJECT_MAX, change, diag);
    if (e == PS_OK)
        e = check_field("resource", resource, PS_ACCESS_RESOURCE_MAX, false, diag);
    if (e == PS_OK)
        e = check_field("purpose", purpose, PS_ACCESS_PURPOSE_MAX, change, diag);
    return e;
}

/* The role and agency an act used: an official's role; an agency system's agency. */
static void role_of(const struct ps_actor *actor, struct ps_str *role, struct ps_str *agency)
{
    *role = PS_STR("");
    *agency = PS_STR("");
    if (actor->kind == PS_ACTOR_OFFICIAL && actor->role) {
        *role = actor->role->name;
        *agency = actor->role->agency;
    } else if (actor->kind == PS_ACTOR_SYSTEM && actor->agency.p) {
        *agency = actor->agency;
    }
}

static enum ps_err record(struct ps_tx *tx, bool change, const struct ps_actor *actor,
                          const char *action, struct ps_str subject, struct ps_str resource,
                          struct ps_str purpose, struct ps_diag *diag)
{
    struct ps_str act = ps_str_from_cstr(action), role, agency;
    enum ps_err e = check_all(actor, act, subject, resource, purpose, change, diag);
    if (e != PS_OK)
        return e;
    role_of(actor, &role, &agency);
    e = check_field("actor role", role, PS_ACCESS_ACTION_MAX, true, diag);
    if (e == PS_OK)
        e = check_field("actor agency", agency, PS_ACCESS_ACTION_MAX, true, diag);
    if (e != PS_OK)
        return e;
    struct ps_uuid id = ps_uuid7();
    char idtext[37];
    ps_uuid_fmt(&id, idtext);
    unsigned char salt[PS_TLOG_SALT_LEN];
    ps_random_bytes(salt, sizeof salt);
    struct ps_query q;
    ps_query_start(&q, tx, &insert_access);
    ps_query_text(&q, ps_str_from_cstr(idtext));
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_text(&q, ps_str_from_cstr(ps_actor_kind_name(actor->kind)));
    ps_query_text(&q, actor->id);
    ps_query_text(&q, act);
    ps_query_text(&q, subject);
    ps_query_text(&q, resource);
    ps_query_text(&q, purpose);
    ps_query_blob(&q, salt, sizeof salt);
    ps_query_text(&q, change ? PS_STR("change") : PS_STR("access"));
    ps_query_text(&q, role);
    ps_query_text(&q, agency);
    e = ps_query_exec(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "recording the %s failed: %s", change ? "change" : "access",
                    ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_access_record(struct ps_tx *tx, const struct ps_actor *actor, const char *action,
                             struct ps_str subject, struct ps_str resource, struct ps_str purpose,
                             struct ps_diag *diag)
{
    return record(tx, false, actor, action, subject, resource, purpose, diag);
}

enum ps_err ps_tlog_record_change(struct ps_tx *tx, const struct ps_actor *actor,
                                  const char *action, struct ps_str subject,
                                  struct ps_str resource, struct ps_str reason,
                                  struct ps_diag *diag)
{
    return record(tx, true, actor, action, subject, resource, reason, diag);
}
