/* JSON representations (render.h): written with the sticky-error writer straight into the
 * response, and the one request body the registry takes, mapped member by member from a
 * table. */
#include "api/render.h"

#include <sodium.h>
#include <string.h>

#include "api/api_int.h"
#include "core/clock.h"
#include "core/ids.h"
#include "identity/client.h"
#include "identity/passkey.h"
#include "identity/session.h"

void ps_api_person_json(struct ps_jw *w, const struct ps_person *p)
{
    char date[11];
    ps_date_fmt(p->birth_date, date);
    const struct {
        const char *key;
        struct ps_str v;
    } top[] = {
        {"rnokpp", p->rnokpp},
        {"unzr", p->unzr},
        {"surname", p->surname},
        {"given_name", p->given_name},
        {"patronymic", p->patronymic},
        {"surname_latin", p->surname_latin},
        {"given_name_latin", p->given_name_latin},
        {"patronymic_latin", p->patronymic_latin},
        {"birth_date", {date, 10}},
        {"sex", ps_str_from_cstr(ps_sex_name(p->sex))},
        {"id_card", p->id_card},
    }, addr[] = {
        {"oblast", p->address.oblast},         {"hromada", p->address.hromada},
        {"settlement", p->address.settlement}, {"street", p->address.street},
        {"building", p->address.building},
    };
    ps_jw_obj(w);
    for (size_t i = 0; i < sizeof top / sizeof top[0]; i++)
        ps_jw_kstr(w, top[i].key, top[i].v.p ? top[i].v : PS_STR(""));
    ps_jw_key(w, "address");
    ps_jw_obj(w);
    for (size_t i = 0; i < sizeof addr / sizeof addr[0]; i++)
        ps_jw_kstr(w, addr[i].key, addr[i].v.p ? addr[i].v : PS_STR(""));
    ps_jw_obj_end(w);
    ps_jw_kcstr(w, "status", ps_person_status_name(p->status));
    ps_jw_obj_end(w);
}

void ps_api_time_json(struct ps_jw *w, const char *key, int64_t ms)
{
    char t[25];
    ps_clock_fmt_rfc3339(ms, t);
    ps_jw_kcstr(w, key, t);
}

void ps_api_roles_json(struct ps_jw *w, const struct ps_role *roles, size_t n)
{
    ps_jw_arr(w);
    for (size_t i = 0; i < n; i++) {
        ps_jw_obj(w);
        ps_jw_kstr(w, "role", roles[i].name);
        ps_jw_kstr(w, "agency", roles[i].agency);
        if (roles[i].oblast.len)
            ps_jw_kstr(w, "oblast", roles[i].oblast);
        ps_jw_obj_end(w);
    }
    ps_jw_arr_end(w);
}

static const char *alg_name(int alg)
{
    return alg == -7 ? "ES256" : alg == -8 ? "EdDSA" : alg == -257 ? "RS256" : "unknown";
}

void ps_api_passkey_json(struct ps_jw *w, const struct ps_passkey *p)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "id", p->id);
    ps_jw_kstr(w, "name", p->name);
    ps_jw_kcstr(w, "algorithm", alg_name(p->alg));
    ps_api_time_json(w, "created_at", p->created_at_ms);
    if (p->last_used_at_ms)
        ps_api_time_json(w, "last_used_at", p->last_used_at_ms);
    ps_jw_kbool(w, "backup_eligible", p->backup_eligible);
    ps_jw_kbool(w, "backup_state", p->backup_state);
    ps_jw_key(w, "transports");
    ps_jw_arr(w);
    size_t i = 0;
    while (i < p->transports.len) { /* space-separated words */
        size_t j = i;
        while (j < p->transports.len && p->transports.p[j] != ' ')
            j++;
        if (j > i)
            ps_jw_str(w, (struct ps_str){p->transports.p + i, j - i});
        i = j + 1;
    }
    ps_jw_arr_end(w);
    ps_jw_obj_end(w);
}

void ps_api_session_json(struct ps_jw *w, const struct ps_session *s, bool current)
{
    ps_jw_obj(w);
    ps_jw_kcstr(w, "id", s->id);
    ps_jw_kstr(w, "device", s->label);
    ps_api_time_json(w, "created_at", s->created_at_ms);
    ps_api_time_json(w, "last_seen_at", s->last_seen_ms);
    ps_api_time_json(w, "expires_at", s->expires_at_ms < s->idle_expires_at_ms
                                          ? s->expires_at_ms
                                          : s->idle_expires_at_ms);
    ps_jw_kbool(w, "current", current);
    ps_jw_obj_end(w);
}

/* ---- the registration body ---- */

#define REASON_MAX 200

/* Where each member of the body goes: a string field of the person (or the reason). */
struct member {
    const char *key;
    bool in_address, optional;
    size_t offset; /* of a struct ps_str within struct person_body */
};

struct person_body {
    struct ps_person p;
    struct ps_str birth, sex, reason;
};

#define M(k, field, addr, opt) {k, addr, opt, offsetof(struct person_body, field)}
static const struct member members[] = {
    M("rnokpp", p.rnokpp, false, false),
    M("unzr", p.unzr, false, false),
    M("id_card", p.id_card, false, false),
    M("surname", p.surname, false, false),
    M("given_name", p.given_name, false, false),
    M("patronymic", p.patronymic, false, true),
    M("birth_date", birth, false, false),
    M("sex", sex, false, false),
    M("reason", reason, false, false),
    M("oblast", p.address.oblast, true, false),
    M("hromada", p.address.hromada, true, false),
    M("settlement", p.address.settlement, true, false),
    M("street", p.address.street, true, false),
    M("building", p.address.building, true, false),
};
#undef M

/* Only known members, so that a misspelt field is an error and not silently dropped. */
static enum ps_err known_members(const json_t *obj, bool address, struct ps_diag *diag)
{
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)obj, key, v) {
        bool known = !address && strcmp(key, "address") == 0;
        for (size_t i = 0; !known && i < sizeof members / sizeof members[0]; i++)
            known = members[i].in_address == address && strcmp(members[i].key, key) == 0;
        if (!known)
            return ps_diag_set(diag, PS_ERR_INVALID, "unknown field \"%.64s\"", key);
    }
    return PS_OK;
}

static enum ps_err take(const json_t *root, const json_t *addr, const struct member *m,
                        struct person_body *b, struct ps_diag *diag)
{
    const json_t *v = json_object_get(m->in_address ? addr : root, m->key);
    struct ps_str *out = (struct ps_str *)((char *)b + m->offset);
    if (!v && m->optional) {
        *out = PS_STR("");
        return PS_OK;
    }
    if (!json_is_string(v))
        return ps_diag_set(diag, PS_ERR_INVALID, "%s%s: %s", m->in_address ? "address." : "",
                           m->key, v ? "must be a string" : "is required");
    *out = (struct ps_str){json_string_value(v), json_string_length(v)};
    return PS_OK;
}

enum ps_err ps_api_person_from_json(const json_t *root, struct ps_person *p,
                                    struct ps_str *reason, struct ps_diag *diag)
{
    struct person_body b;
    memset(&b, 0, sizeof b);
    if (!json_is_object(root))
        return ps_diag_set(diag, PS_ERR_INVALID, "the body must be an object");
    const json_t *addr = json_object_get(root, "address");
    enum ps_err e = known_members(root, false, diag);
    if (e == PS_OK && !json_is_object(addr))
        e = ps_diag_set(diag, PS_ERR_INVALID, "address: %s",
                        addr ? "must be an object" : "is required");
    if (e == PS_OK)
        e = known_members(addr, true, diag);
    for (size_t i = 0; e == PS_OK && i < sizeof members / sizeof members[0]; i++)
        e = take(root, addr, &members[i], &b, diag);
    if (e == PS_OK)
        e = ps_date_parse(b.birth, &b.p.birth_date, diag);
    if (e == PS_OK && !ps_sex_parse(b.sex, &b.p.sex))
        e = ps_diag_set(diag, PS_ERR_INVALID, "sex: must be \"male\" or \"female\"");
    if (e == PS_OK && (b.reason.len == 0 || b.reason.len > REASON_MAX))
        e = ps_diag_set(diag, PS_ERR_INVALID,
                        "reason: the legal basis is required, at most %d bytes", REASON_MAX);
    if (e != PS_OK)
        return e;
    b.p.status = PS_PERSON_ALIVE;
    *p = b.p;
    *reason = b.reason;
    return PS_OK;
}

/* ---- agency systems ---- */

void ps_api_b64url(struct ps_str bytes, char *out, size_t cap)
{
    if (cap < sodium_base64_ENCODED_LEN(bytes.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
        out[0] = '\0';
        return;
    }
    sodium_bin2base64(out, cap, (const unsigned char *)bytes.p, bytes.len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

enum ps_err ps_api_client_from_json(const json_t *root, struct ps_arena *arena,
                                    struct ps_client *c, struct ps_str *reason,
                                    struct ps_diag *diag)
{
    static const char *const keys[] = {"id", "agency", "name", "alg", "public_key", "scopes",
                                       "reason"};
    struct ps_str v[7];
    memset(c, 0, sizeof *c);
    for (size_t i = 0; i < 7; i++) {
        v[i] = ps_json_get_str(root, keys[i]);
        if (!v[i].p)
            return ps_diag_set(diag, PS_ERR_INVALID, "%s: a string is required", keys[i]);
    }
    if (json_object_size(root) != 7)
        return ps_diag_set(diag, PS_ERR_INVALID, "only id, agency, name, alg, public_key, "
                                                 "scopes and reason");
    c->id = v[0];
    c->agency = v[1];
    c->name = v[2];
    *reason = v[6];
    if (!ps_client_alg_parse(v[3], &c->alg))
        return ps_diag_set(diag, PS_ERR_INVALID, "alg: \"ed25519\" or \"ecdsa-p256-sha256\"");
    unsigned char *key = ps_arena_alloc(arena, 96);
    size_t n = 0;
    if (!key || v[4].len > 128 ||
        sodium_base642bin(key, 96, v[4].p, v[4].len, NULL, &n, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "public_key: base64url without padding");
    c->public_key = (struct ps_str){(const char *)key, n};
    return ps_client_scopes_parse(v[5], &c->scopes, diag);
}

/* ---- who used my data ---- */

static void buf_release(void *b)
{
    ps_buf_reset(b);
}

enum ps_err ps_api_access_page_prepare(struct ps_arena *arena, struct ps_api_access_page *p)
{
    p->proofs = ps_arena_array(arena, p->n ? p->n : 1, sizeof *p->proofs);
    if (!p->proofs)
        return PS_ERR_NOMEM;
    ps_buf_init(&p->checkpoint, PS_NOTE_MAX_BYTES);
    return ps_arena_defer(arena, buf_release, &p->checkpoint);
}

void ps_api_hashes_json(struct ps_jw *w, const struct ps_merkle_proof *proof)
{
    ps_jw_arr(w);
    for (size_t i = 0; i < proof->len; i++) {
        char h[48];
        ps_tlog_b64(proof->h[i].b, PS_HASH_LEN, h, sizeof h);
        ps_jw_cstr(w, h);
    }
    ps_jw_arr_end(w);
}

/* Whether the actor's id may be shown: always to an administrator; to the subject, unless it
 * is another person's number (a citizen's or an official's). */
static bool actor_id_shown(const struct ps_api_access_page *p, const struct ps_tlog_subject_row *r)
{
    if (!p->for_subject || ps_str_eq(r->actor_id, p->subject))
        return true;
    return !ps_str_eq_cstr(r->actor_kind, "citizen") && !ps_str_eq_cstr(r->actor_kind, "official");
}

static void row_json(struct ps_jw *w, const struct ps_api_access_page *p,
                     const struct ps_tlog_subject_row *r, const struct ps_merkle_proof *proof)
{
    uint64_t size = p->size;
    ps_jw_obj(w);
    ps_jw_kstr(w, "id", r->id);
    ps_jw_kstr(w, "kind", r->kind);
    ps_jw_kstr(w, "time", r->time);
    ps_jw_key(w, "actor");
    ps_jw_obj(w);
    ps_jw_kstr(w, "kind", r->actor_kind);
    if (actor_id_shown(p, r))
        ps_jw_kstr(w, "id", r->actor_id);
    if (r->actor_role.len)
        ps_jw_kstr(w, "role", r->actor_role);
    if (r->actor_agency.len)
        ps_jw_kstr(w, "agency", r->actor_agency);
    ps_jw_obj_end(w);
    ps_jw_kstr(w, "action", r->action);
    ps_jw_kstr(w, "resource", r->resource);
    ps_jw_kstr(w, "purpose", r->purpose);
    if (r->has_salt) {
        char salt[48];
        ps_tlog_b64(r->salt, PS_TLOG_SALT_LEN, salt, sizeof salt);
        ps_jw_kcstr(w, "salt", salt);
    }
    if (r->sequenced) {
        ps_jw_kuint(w, "index", r->index);
        ps_jw_kstr(w, "entry", r->entry);
    }
    if (r->sequenced && r->index < size) {
        ps_jw_key(w, "inclusionProof");
        ps_api_hashes_json(w, proof);
    }
    ps_jw_obj_end(w);
}

void ps_api_access_page_json(struct ps_jw *w, const struct ps_api_access_page *p)
{
    ps_jw_obj(w);
    ps_jw_kstr(w, "subject", p->subject);
    ps_jw_kuint(w, "treeSize", p->size);
    ps_jw_kstr(w, "checkpoint", ps_buf_str(&p->checkpoint));
    ps_jw_key(w, "entries");
    ps_jw_arr(w);
    for (size_t i = 0; i < p->n; i++)
        row_json(w, p, &p->rows[i], &p->proofs[i]);
    ps_jw_arr_end(w);
    if (p->n == p->limit && p->n > 0)
        ps_jw_kstr(w, "next", p->rows[p->n - 1].id);
    ps_jw_obj_end(w);
}

bool ps_api_page_query(struct ps_req *req, size_t def, size_t *limit, struct ps_str *before)
{
    struct ps_str l = ps_req_query(req, "limit");
    uint64_t v = def;
    if (l.p && (ps_str_to_u64(l, &v) != PS_OK || v < 1 || v > PS_TLOG_PAGE_MAX)) {
        ps_api_invalid(req, "limit must be between 1 and %d", PS_TLOG_PAGE_MAX);
        return false;
    }
    *limit = (size_t)v;
    *before = ps_req_query(req, "before");
    /* ids are stored lower-case and compared as text: the canonical form only */
    bool canonical = before->p != NULL;
    for (size_t i = 0; canonical && i < before->len; i++)
        canonical = !(before->p[i] >= 'A' && before->p[i] <= 'F');
    struct ps_uuid u;
    if (before->p && (!canonical || !ps_uuid_parse(*before, &u))) {
        ps_api_invalid(req, "before must be a record id (a UUID) from a previous page's next");
        return false;
    }
    return true;
}
