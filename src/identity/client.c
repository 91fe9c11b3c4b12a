/* Agency systems (client.h). */
#include "identity/client.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "store/store.h"
#include "tlog/access.h"

#define REASON_MAX 256
#define PRUNE_BATCH 64

static const struct ps_sql sql_insert = {
    "clients.insert",
    "INSERT INTO clients (id, agency, name, alg, public_key, scopes, created_at_ms, "
    "removed_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)",
};
static const struct ps_sql sql_agency = {
    "clients.agency",
    "SELECT 1 FROM agencies WHERE code = $1",
};
static const struct ps_sql sql_remove = {
    "clients.remove",
    "UPDATE clients SET removed_at_ms = $2 WHERE id = $1 AND removed_at_ms IS NULL",
};
#define COLUMNS "id, agency, name, alg, public_key, scopes, created_at_ms"
static const struct ps_sql sql_get = {
    "clients.get",
    "SELECT " COLUMNS " FROM clients WHERE id = $1 AND removed_at_ms IS NULL",
};
static const struct ps_sql sql_list = {
    "clients.list",
    "SELECT " COLUMNS " FROM clients WHERE removed_at_ms IS NULL ORDER BY id LIMIT $1",
};
static const struct ps_sql sql_nonce = {
    "clients.nonce",
    "INSERT INTO client_nonces (client_id, nonce, seen_at_ms) VALUES ($1, $2, $3) "
    "ON CONFLICT (client_id, nonce) DO NOTHING",
};
static const struct ps_sql sql_nonce_prune = {
    "clients.nonce_prune",
    "DELETE FROM client_nonces WHERE (client_id, nonce) IN (SELECT client_id, nonce "
    "FROM client_nonces WHERE seen_at_ms < $1 ORDER BY seen_at_ms LIMIT $2)",
};

static const struct {
    unsigned bit;
    const char *name;
} scope_names[] = {
    {PS_SCOPE_REGISTRY_READ, "registry:read"},
    {PS_SCOPE_DOCUMENTS_VERIFY, "documents:verify"},
};

const char *ps_client_alg_name(enum ps_client_alg alg)
{
    return alg == PS_CLIENT_ED25519 ? "ed25519" : "ecdsa-p256-sha256";
}

bool ps_client_alg_parse(struct ps_str name, enum ps_client_alg *out)
{
    if (ps_str_eq_cstr(name, "ed25519"))
        *out = PS_CLIENT_ED25519;
    else if (ps_str_eq_cstr(name, "ecdsa-p256-sha256"))
        *out = PS_CLIENT_P256;
    else
        return false;
    return true;
}

enum ps_err ps_client_scopes_parse(struct ps_str text, unsigned *out, struct ps_diag *diag)
{
    *out = 0;
    size_t i = 0;
    while (i < text.len) {
        size_t j = i;
        while (j < text.len && text.p[j] != ' ' && text.p[j] != ',')
            j++;
        struct ps_str word = {text.p + i, j - i};
        bool known = word.len == 0;
        for (size_t k = 0; !known && k < sizeof scope_names / sizeof scope_names[0]; k++) {
            known = ps_str_eq_cstr(word, scope_names[k].name);
            if (known)
                *out |= scope_names[k].bit;
        }
        if (!known)
            return ps_diag_set(diag, PS_ERR_INVALID, "unknown scope \"%.*s\"",
                               (int)(word.len > 64 ? 64 : word.len), word.p);
        i = j + 1;
    }
    return PS_OK;
}

void ps_client_scopes_text(unsigned scopes, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (size_t k = 0; k < sizeof scope_names / sizeof scope_names[0]; k++) {
        if (!(scopes & scope_names[k].bit))
            continue;
        int w = snprintf(out + n, cap - n, "%s%s", n ? " " : "", scope_names[k].name);
        if (w < 0 || (size_t)w >= cap - n)
            return; /* cut at the caller's limit */
        n += (size_t)w;
    }
}

static bool valid_id(struct ps_str id)
{
    if (id.len < PS_CLIENT_ID_MIN || id.len > PS_CLIENT_ID_MAX)
        return false;
    for (size_t i = 0; i < id.len; i++) {
        char c = id.p[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    }
    return true;
}

static enum ps_err check_client(const struct ps_client *c, struct ps_str reason,
                                struct ps_diag *diag)
{
    size_t keylen = c->alg == PS_CLIENT_ED25519 ? 32 : 65;
    if (!valid_id(c->id))
        return ps_diag_set(diag, PS_ERR_INVALID, "id: %d to %d of a-z, 0-9 and -",
                           PS_CLIENT_ID_MIN, PS_CLIENT_ID_MAX);
    if (c->name.len == 0 || c->name.len > PS_CLIENT_NAME_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "name: 1 to %d bytes", PS_CLIENT_NAME_MAX);
    if (c->public_key.len != keylen ||
        (c->alg == PS_CLIENT_P256 && (unsigned char)c->public_key.p[0] != 0x04))
        return ps_diag_set(diag, PS_ERR_INVALID, "public key: %s is %zu bytes%s",
                           ps_client_alg_name(c->alg), keylen,
                           c->alg == PS_CLIENT_P256 ? " (uncompressed point)" : "");
    if (c->scopes == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "scopes: at least one");
    if (!reason.p || reason.len == 0 || reason.len > REASON_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "reason: required, at most %d bytes",
                           REASON_MAX);
    return PS_OK;
}

static enum ps_err record(struct ps_tx *tx, const struct ps_actor *actor, const char *action,
                          struct ps_str id, struct ps_str reason, struct ps_diag *diag)
{
    char resource[16 + PS_CLIENT_ID_MAX];
    int n = snprintf(resource, sizeof resource, "clients/%.*s", PS_STR_FMT(id));
    if (n < 0 || (size_t)n >= sizeof resource)
        return ps_diag_set(diag, PS_ERR_INTERNAL, "resource name truncated");
    return ps_tlog_record_change(tx, actor, action, PS_STR_NULL,
                                 (struct ps_str){resource, (size_t)n}, reason, diag);
}

enum ps_err ps_client_add(struct ps_tx *tx, const struct ps_actor *actor,
                          const struct ps_client *c, struct ps_str reason, struct ps_diag *diag)
{
    char scopes[128];
    enum ps_err e = check_client(c, reason, diag);
    if (e != PS_OK)
        return e;
    struct ps_query q;
    ps_query_start(&q, tx, &sql_agency);
    ps_query_text(&q, c->agency);
    bool agency = ps_query_row(&q);
    e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading agencies: %s", ps_tx_errmsg(tx));
    if (!agency)
        return ps_diag_set(diag, PS_ERR_INVALID, "agency: no agency with code %.*s",
                           PS_STR_FMT(c->agency));
    ps_client_scopes_text(c->scopes, scopes, sizeof scopes);
    ps_query_start(&q, tx, &sql_insert);
    ps_query_text(&q, c->id);
    ps_query_text(&q, c->agency);
    ps_query_text(&q, c->name);
    ps_query_text(&q, ps_str_from_cstr(ps_client_alg_name(c->alg)));
    ps_query_blob(&q, c->public_key.p, c->public_key.len);
    ps_query_text(&q, ps_str_from_cstr(scopes));
    ps_query_i64(&q, ps_clock_now_ms());
    e = ps_query_exec(&q);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e, "a client with id %.*s exists (or existed)",
                           PS_STR_FMT(c->id));
    if (e != PS_OK)
        return ps_diag_set(diag, e, "adding a client: %s", ps_tx_errmsg(tx));
    return record(tx, actor, "client.add", c->id, reason, diag);
}

enum ps_err ps_client_remove(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str id,
                             struct ps_str reason, struct ps_diag *diag)
{
    if (!reason.p || reason.len == 0 || reason.len > REASON_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "reason: required, at most %d bytes",
                           REASON_MAX);
    struct ps_query q;
    ps_query_start(&q, tx, &sql_remove);
    ps_query_text(&q, id);
    ps_query_i64(&q, ps_clock_now_ms());
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "removing a client: %s", ps_tx_errmsg(tx));
    if (q.changes != 1)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no active client %.*s",
                           (int)(id.len > 64 ? 64 : id.len), id.p);
    return record(tx, actor, "client.remove", id, reason, diag);
}

static bool read_row(struct ps_stmt *st, struct ps_arena *a, struct ps_client *c)
{
    struct ps_diag ignored;
    c->id = ps_arena_str(a, ps_stmt_text(st, 0));
    c->agency = ps_arena_str(a, ps_stmt_text(st, 1));
    c->name = ps_arena_str(a, ps_stmt_text(st, 2));
    c->public_key = ps_arena_str(a, ps_stmt_blob(st, 4));
    c->created_at_ms = ps_stmt_i64(st, 6);
    return c->id.p && c->agency.p && c->name.p && c->public_key.p &&
           ps_client_alg_parse(ps_stmt_text(st, 3), &c->alg) &&
           ps_client_scopes_parse(ps_stmt_text(st, 5), &c->scopes, &ignored) == PS_OK;
}

enum ps_err ps_client_get(struct ps_tx *tx, struct ps_str id, struct ps_arena *arena,
                          struct ps_client *out, struct ps_diag *diag)
{
    struct ps_query q;
    bool found = false;
    if (!valid_id(id))
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such client");
    ps_query_start(&q, tx, &sql_get);
    ps_query_text(&q, id);
    if (ps_query_row(&q)) {
        found = true;
        if (!read_row(q.st, arena, out))
            q.err = PS_ERR_NOMEM;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading a client: %s", ps_tx_errmsg(tx));
    if (!found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no such client");
    return PS_OK;
}

enum ps_err ps_clients_list(struct ps_tx *tx, struct ps_arena *arena, struct ps_client *out,
                            size_t cap, size_t *n, struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &sql_list);
    ps_query_i64(&q, (int64_t)cap);
    while (*n < cap && ps_query_row(&q)) {
        if (!read_row(q.st, arena, &out[*n]))
            q.err = PS_ERR_NOMEM;
        else
            (*n)++;
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "listing clients: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_client_nonce_use(struct ps_tx *tx, struct ps_str id, struct ps_str nonce,
                                struct ps_diag *diag)
{
    int64_t now = ps_clock_now_ms();
    if (nonce.len == 0 || nonce.len > PS_NONCE_MAX)
        return ps_diag_set(diag, PS_ERR_INVALID, "nonce: 1 to %d bytes", PS_NONCE_MAX);
    struct ps_query q;
    ps_query_start(&q, tx, &sql_nonce_prune);
    ps_query_i64(&q, now - 2 * PS_SIGNATURE_WINDOW_MS);
    ps_query_i64(&q, PRUNE_BATCH);
    enum ps_err e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "pruning nonces: %s", ps_tx_errmsg(tx));
    ps_query_start(&q, tx, &sql_nonce);
    ps_query_text(&q, id);
    ps_query_text(&q, nonce);
    ps_query_i64(&q, now);
    e = ps_query_exec(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "storing a nonce: %s", ps_tx_errmsg(tx));
    /* a conflict does nothing rather than fail, so the transaction stays usable */
    if (q.changes == 0)
        return ps_diag_set(diag, PS_ERR_DENIED, "the nonce was used already: a replayed request");
    return PS_OK;
}
