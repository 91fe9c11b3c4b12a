/* Issuer keys: generation (OpenSSL), sealing under the master key, certificates from the
 * platform root, rotation by closing windows, the in-memory keyring and the trust list. */
#include "documents/issuer.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "crypto/keys.h"
#include "documents/soft_key.h"
#include "documents/trustlist_encode.h"
#include "store/store.h"
#include "tlog/access.h"

#define SEALED_MAX 512
#define DER_MAX 4096
#define CERT_YEARS 20
#define PURPOSE "issuer-key"
#define ROOT_CN "PocketState root"

static const struct ps_sql agency_name = {
    "issuer.agency", "SELECT name_en FROM agencies WHERE code = $1",
};
static const struct ps_sql insert_key = {
    "issuer.insert",
    "INSERT INTO issuer_keys (id, agency, kid, alg, public_key, sealed_private_key, certificate, "
    "types, created_at_ms, not_before_ms, not_after_ms) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL)",
};
static const struct ps_sql open_keys = {
    "issuer.open",
    "SELECT id, kid, not_before_ms FROM issuer_keys WHERE agency = $1 AND not_after_ms IS NULL",
};
static const struct ps_sql close_key = {
    "issuer.close",
    "UPDATE issuer_keys SET not_after_ms = $2 WHERE id = $1 AND not_after_ms IS NULL",
};
#define KEY_COLUMNS                                                                         \
    "k.id, k.agency, a.name_en, k.kid, k.alg, k.types, k.created_at_ms, k.not_before_ms, "     \
    "k.not_after_ms"
static const struct ps_sql list_keys = {
    "issuer.list",
    "SELECT " KEY_COLUMNS " FROM issuer_keys k JOIN agencies a ON a.code = k.agency "
    "ORDER BY k.created_at_ms, k.id",
};
static const struct ps_sql load_keys = {
    "issuer.load",
    "SELECT " KEY_COLUMNS ", k.sealed_private_key, k.certificate FROM issuer_keys k "
    "JOIN agencies a ON a.code = k.agency ORDER BY k.created_at_ms, k.id",
};
static const struct ps_sql keys_version = {
    "issuer.version",
    "SELECT count(*), COALESCE(max(created_at_ms), 0), count(not_after_ms) FROM issuer_keys",
};

enum ps_err ps_issuer_iss(const char *agency, char *out, size_t cap)
{
    int n = snprintf(out, cap, "ua.%s", agency);
    return n > 0 && (size_t)n < cap ? PS_OK : PS_ERR_LIMIT;
}

static const char *alg_name(int alg)
{
    return alg == -7 ? "ES256" : alg == -8 ? "EdDSA" : NULL;
}

static int alg_parse(struct ps_str s)
{
    return ps_str_eq_cstr(s, "ES256") ? -7 : ps_str_eq_cstr(s, "EdDSA") ? -8 : 0;
}

/* Types: space-separated names of [a-z0-9.-], no empty ones. */
static bool types_ok(const char *types)
{
    size_t n = types ? strlen(types) : 0;
    if (n == 0 || n > PS_ISSUER_TYPES_MAX || types[0] == ' ' || types[n - 1] == ' ')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = types[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                  (c == ' ' && types[i + 1] != ' ');
        if (!ok)
            return false;
    }
    return true;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char H[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = H[p[i] >> 4];
        out[2 * i + 1] = H[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* ---- creation ---- */

struct material {
    char id[37];
    uint8_t kid[PS_ISSUER_KID_LEN];
    uint8_t pub[65];
    size_t pub_len;
    unsigned char sealed[SEALED_MAX];
    size_t sealed_len;
    struct ps_buf cert;
};

/* A fresh key, sealed and certified. */
static enum ps_err make_material(const struct ps_master_key *m, const struct ps_doc_soft_key *root,
                                 const char *agency, int alg, int64_t nbf_ms, struct material *mt)
{
    struct ps_doc_soft_key *k = ps_doc_soft_key_new(alg);
    struct ps_buf der;
    ps_buf_init(&der, DER_MAX);
    struct ps_uuid u = ps_uuid7();
    ps_uuid_fmt(&u, mt->id);
    enum ps_err e = k ? ps_doc_soft_key_public_raw(k, mt->pub, &mt->pub_len) : PS_ERR_CRYPTO;
    uint8_t digest[32];
    if (e == PS_OK) {
        crypto_hash_sha256(digest, mt->pub, mt->pub_len);
        memcpy(mt->kid, digest, PS_ISSUER_KID_LEN);
        e = ps_doc_soft_key_private_der(k, &der);
    }
    if (e == PS_OK)
        e = ps_keys_seal(m, ps_str_from_cstr(mt->id), PS_STR(PURPOSE), (const unsigned char *)der.p,
                         der.len, mt->sealed, sizeof mt->sealed, &mt->sealed_len);
    if (e == PS_OK) {
        char cn[96], kidhex[2 * PS_ISSUER_KID_LEN + 1];
        hex(mt->kid, PS_ISSUER_KID_LEN, kidhex);
        snprintf(cn, sizeof cn, "ua.%s document signer %s", agency, kidhex);
        int64_t nbf = nbf_ms / 1000;
        e = ps_doc_soft_key_cert_by(k, cn, nbf, nbf + CERT_YEARS * 366 * 86400LL, root, ROOT_CN,
                                    &mt->cert);
    }
    if (der.p)
        sodium_memzero(der.p, der.len);
    ps_buf_reset(&der);
    ps_doc_soft_key_free(k);
    return e;
}

static enum ps_err check_agency(struct ps_tx *tx, const char *agency, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &agency_name);
    ps_query_text(&q, ps_str_from_cstr(agency));
    bool found = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "reading agencies: %s", ps_tx_errmsg(tx));
    return found ? PS_OK : ps_diag_set(diag, PS_ERR_INVALID, "no agency \"%s\"", agency);
}

static enum ps_err record(struct ps_tx *tx, const struct ps_actor *actor, const char *action,
                          const char *agency, const uint8_t kid[PS_ISSUER_KID_LEN],
                          const char *extra, struct ps_str reason, struct ps_diag *diag)
{
    char kidhex[2 * PS_ISSUER_KID_LEN + 1], res[PS_ACCESS_RESOURCE_MAX + 1];
    hex(kid, PS_ISSUER_KID_LEN, kidhex);
    int n = snprintf(res, sizeof res, "issuer-keys/%s/%s%s", agency, kidhex, extra);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof res ? (size_t)n : sizeof res - 1;
    return ps_tlog_record_change(tx, actor, action, PS_STR_NULL, (struct ps_str){res, len},
                                 reason, diag);
}

enum ps_err ps_issuer_key_create(struct ps_tx *tx, const struct ps_master_key *m,
                                 const struct ps_doc_soft_key *root, const struct ps_actor *actor,
                                 const char *agency, int alg, const char *types, int64_t nbf_ms,
                                 struct ps_str reason, char id_out[37], struct ps_diag *diag)
{
    if (!alg_name(alg))
        return ps_diag_set(diag, PS_ERR_INVALID, "an issuer key is ES256 or EdDSA");
    if (!types_ok(types))
        return ps_diag_set(diag, PS_ERR_INVALID, "an issuer key needs the types it may sign");
    enum ps_err e = check_agency(tx, agency, diag);
    if (e != PS_OK)
        return e;
    struct material mt;
    ps_buf_init(&mt.cert, DER_MAX);
    e = make_material(m, root, agency, alg, nbf_ms, &mt);
    if (e != PS_OK) {
        ps_buf_reset(&mt.cert);
        return ps_diag_set(diag, e, "making a key for %s: %s", agency, ps_err_name(e));
    }
    struct ps_query q;
    ps_query_start(&q, tx, &insert_key);
    ps_query_text(&q, ps_str_from_cstr(mt.id));
    ps_query_text(&q, ps_str_from_cstr(agency));
    ps_query_blob(&q, mt.kid, sizeof mt.kid);
    ps_query_text(&q, ps_str_from_cstr(alg_name(alg)));
    ps_query_blob(&q, mt.pub, mt.pub_len);
    ps_query_blob(&q, mt.sealed, mt.sealed_len);
    ps_query_blob(&q, mt.cert.p, mt.cert.len);
    ps_query_text(&q, ps_str_from_cstr(types));
    ps_query_i64(&q, ps_clock_now_ms());
    ps_query_i64(&q, nbf_ms);
    e = ps_query_exec(&q);
    ps_buf_reset(&mt.cert);
    if (e != PS_OK)
        return ps_diag_set(diag, e, "storing a key for %s: %s", agency, ps_tx_errmsg(tx));
    char extra[PS_ISSUER_TYPES_MAX + 64];
    snprintf(extra, sizeof extra, "?alg=%s&types=%s", alg_name(alg), types);
    e = record(tx, actor, "issuer-key.create", agency, mt.kid, extra, reason, diag);
    if (e == PS_OK && id_out)
        memcpy(id_out, mt.id, sizeof mt.id);
    return e;
}

/* Closes every open window of agency's keys at `at` (or at a key's own start, if later). */
static enum ps_err close_windows(struct ps_tx *tx, const struct ps_actor *actor,
                                 const char *agency, int64_t at, struct ps_str reason,
                                 struct ps_diag *diag)
{
    struct {
        char id[37];
        uint8_t kid[PS_ISSUER_KID_LEN];
        int64_t nbf;
    } open[PS_ISSUER_KEYS_MAX];
    size_t n = 0;
    struct ps_query q;
    ps_query_start(&q, tx, &open_keys);
    ps_query_text(&q, ps_str_from_cstr(agency));
    while (ps_query_row(&q) && n < PS_ISSUER_KEYS_MAX) {
        struct ps_str kid = ps_stmt_blob(q.st, 1);
        if (ps_str_copy(open[n].id, sizeof open[n].id, ps_stmt_text(q.st, 0)) != PS_OK ||
            kid.len != PS_ISSUER_KID_LEN)
            q.err = PS_ERR_STORE;
        else
            memcpy(open[n].kid, kid.p, PS_ISSUER_KID_LEN);
        open[n++].nbf = ps_stmt_i64(q.st, 2);
    }
    enum ps_err e = ps_query_end(&q);
    for (size_t i = 0; e == PS_OK && i < n; i++) {
        ps_query_start(&q, tx, &close_key);
        ps_query_text(&q, ps_str_from_cstr(open[i].id));
        ps_query_i64(&q, at > open[i].nbf ? at : open[i].nbf);
        e = ps_query_exec(&q);
        if (e == PS_OK)
            e = record(tx, actor, "issuer-key.retire", agency, open[i].kid, "", reason, diag);
    }
    if (e != PS_OK && diag->code == PS_OK)
        ps_diag_set(diag, e, "closing %s's keys: %s", agency, ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_issuer_rotate(struct ps_tx *tx, const struct ps_master_key *m,
                             const struct ps_doc_soft_key *root, const struct ps_actor *actor,
                             const char *agency, int alg, const char *types, int64_t overlap_ms,
                             struct ps_str reason, char id_out[37], struct ps_diag *diag)
{
    if (overlap_ms < 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "the overlap cannot be negative");
    enum ps_err e = check_agency(tx, agency, diag);
    /* whole seconds: what documents' iat and the trust list's windows count in */
    int64_t at = (ps_clock_now_ms() + overlap_ms) / 1000 * 1000;
    if (e == PS_OK)
        e = close_windows(tx, actor, agency, at, reason, diag);
    if (e == PS_OK)
        e = ps_issuer_key_create(tx, m, root, actor, agency, alg, types, at, reason, id_out, diag);
    return e;
}

/* ---- reading ---- */

static enum ps_err read_key(struct ps_stmt *st, struct ps_arena *a, struct ps_issuer_key *k)
{
    struct ps_str kid = ps_stmt_blob(st, 3);
    memset(k, 0, sizeof *k);
    if (ps_str_copy(k->id, sizeof k->id, ps_stmt_text(st, 0)) != PS_OK ||
        kid.len != PS_ISSUER_KID_LEN)
        return PS_ERR_STORE;
    memcpy(k->kid, kid.p, PS_ISSUER_KID_LEN);
    k->agency = ps_arena_cstr(a, ps_stmt_text(st, 1));
    k->agency_name = ps_arena_cstr(a, ps_stmt_text(st, 2));
    k->alg = alg_parse(ps_stmt_text(st, 4));
    k->types = ps_arena_cstr(a, ps_stmt_text(st, 5));
    k->created_ms = ps_stmt_i64(st, 6);
    k->nbf_ms = ps_stmt_i64(st, 7);
    k->naf_ms = ps_stmt_is_null(st, 8) ? 0 : ps_stmt_i64(st, 8);
    if (!k->agency || !k->agency_name || !k->types)
        return PS_ERR_NOMEM;
    return k->alg ? PS_OK : PS_ERR_STORE;
}

enum ps_err ps_issuer_keys_list(struct ps_tx *tx, struct ps_arena *arena,
                                struct ps_issuer_key *out, size_t cap, size_t *n,
                                struct ps_diag *diag)
{
    struct ps_query q;
    *n = 0;
    ps_query_start(&q, tx, &list_keys);
    while (ps_query_row(&q)) {
        if (*n == cap) {
            q.err = PS_ERR_LIMIT;
            break;
        }
        q.err = read_key(q.st, arena, &out[(*n)++]);
    }
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading issuer keys: %s", ps_tx_errmsg(tx));
    return e;
}

enum ps_err ps_issuer_keys_version(struct ps_tx *tx, int64_t *version, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, &keys_version);
    if (ps_query_row(&q))
        *version = ps_stmt_i64(q.st, 1) * 1000003 + ps_stmt_i64(q.st, 0) * 1009 +
                   ps_stmt_i64(q.st, 2);
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK)
        ps_diag_set(diag, e, "reading issuer keys: %s", ps_tx_errmsg(tx));
    return e;
}

/* ---- the keyring ---- */

struct ring_key {
    struct ps_issuer_key pub;
    char iss[48];
    struct ps_doc_soft_key *key;
    char *jwk;
    uint8_t *cert;
    size_t cert_len;
    const char *types[64];
    size_t ntypes;
};

struct ps_keyring {
    struct ps_arena *arena;
    struct ring_key k[PS_ISSUER_KEYS_MAX];
    size_t n;
    int64_t version;
};

void ps_keyring_free(struct ps_keyring *kr)
{
    if (!kr)
        return;
    for (size_t i = 0; i < kr->n; i++)
        ps_doc_soft_key_free(kr->k[i].key);
    ps_arena_free(kr->arena);
    ps_free(kr);
}

int64_t ps_keyring_version(const struct ps_keyring *kr)
{
    return kr->version;
}

/* Splits the space-separated types into rk->types (pointers into the arena). */
static enum ps_err split_types(struct ps_arena *a, struct ring_key *rk)
{
    char *s = ps_arena_cstr(a, ps_str_from_cstr(rk->pub.types));
    if (!s)
        return PS_ERR_NOMEM;
    for (char *p = s; *p && rk->ntypes < 64;) {
        rk->types[rk->ntypes++] = p;
        char *sp = strchr(p, ' ');
        if (!sp)
            break;
        *sp = '\0';
        p = sp + 1;
    }
    return PS_OK;
}

static enum ps_err open_key(const struct ps_master_key *m, struct ps_stmt *st, struct ps_arena *a,
                            struct ring_key *rk)
{
    enum ps_err e = read_key(st, a, &rk->pub);
    struct ps_str sealed = ps_stmt_blob(st, 9), cert = ps_stmt_blob(st, 10);
    unsigned char der[SEALED_MAX];
    size_t der_len = 0;
    if (e == PS_OK)
        e = ps_keys_unseal(m, ps_str_from_cstr(rk->pub.id), PS_STR(PURPOSE),
                           (const unsigned char *)sealed.p, sealed.len, der, sizeof der, &der_len);
    if (e == PS_OK) {
        rk->key = ps_doc_soft_key_from_der(rk->pub.alg, der, der_len);
        e = rk->key ? PS_OK : PS_ERR_CRYPTO;
    }
    sodium_memzero(der, sizeof der);
    struct ps_buf jwk;
    ps_buf_init(&jwk, 512);
    if (e == PS_OK)
        e = ps_doc_soft_key_jwk(rk->key, &jwk);
    if (e == PS_OK) {
        rk->jwk = ps_arena_cstr(a, ps_buf_str(&jwk));
        rk->cert = ps_arena_alloc(a, cert.len ? cert.len : 1);
        e = rk->jwk && rk->cert ? PS_OK : PS_ERR_NOMEM;
    }
    ps_buf_reset(&jwk);
    if (e == PS_OK) {
        memcpy(rk->cert, cert.p, cert.len);
        rk->cert_len = cert.len;
        e = ps_issuer_iss(rk->pub.agency, rk->iss, sizeof rk->iss);
    }
    return e == PS_OK ? split_types(a, rk) : e;
}

enum ps_err ps_keyring_load(struct ps_tx *tx, const struct ps_master_key *m,
                            struct ps_keyring **out, struct ps_diag *diag)
{
    struct ps_keyring *kr = ps_calloc(1, sizeof *kr);
    if (kr)
        kr->arena = ps_arena_new(1u << 20);
    if (!kr || !kr->arena) {
        ps_free(kr);
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    }
    enum ps_err e = ps_issuer_keys_version(tx, &kr->version, diag);
    struct ps_query q;
    ps_query_start(&q, tx, &load_keys);
    while (e == PS_OK && ps_query_row(&q)) {
        if (kr->n == PS_ISSUER_KEYS_MAX) {
            q.err = PS_ERR_LIMIT;
            break;
        }
        q.err = open_key(m, q.st, kr->arena, &kr->k[kr->n++]);
    }
    enum ps_err qe = ps_query_end(&q);
    if (e == PS_OK && qe != PS_OK)
        e = ps_diag_set(diag, qe, qe == PS_ERR_CRYPTO
                                      ? "an issuer key does not open under this master key"
                                      : "loading issuer keys: %s", ps_tx_errmsg(tx));
    if (e != PS_OK) {
        ps_keyring_free(kr);
        return e;
    }
    *out = kr;
    return PS_OK;
}

static bool has_type(const struct ring_key *rk, const char *type)
{
    for (size_t i = 0; type && i < rk->ntypes; i++) {
        if (strcmp(rk->types[i], type) == 0)
            return true;
    }
    return type == NULL;
}

static bool in_window(const struct ring_key *rk, int64_t at)
{
    return rk->pub.nbf_ms <= at && (rk->pub.naf_ms == 0 || at < rk->pub.naf_ms);
}

enum ps_err ps_keyring_signer(const struct ps_keyring *kr, const char *agency, const char *type,
                              int64_t at_ms, struct ps_doc_signer *out)
{
    const struct ring_key *best = NULL;
    for (size_t i = 0; i < kr->n; i++) {
        const struct ring_key *rk = &kr->k[i];
        if (strcmp(rk->pub.agency, agency) != 0 || !in_window(rk, at_ms) || !has_type(rk, type))
            continue;
        if (!best || rk->pub.nbf_ms >= best->pub.nbf_ms)
            best = rk;
    }
    if (!best)
        return PS_ERR_NOTFOUND;
    ps_doc_soft_key_signer(best->key, best->pub.kid, PS_ISSUER_KID_LEN, out);
    return PS_OK;
}

bool ps_keyring_covers(const struct ps_keyring *kr, const char *agency, const char *types,
                       int64_t at_ms)
{
    for (size_t i = 0; i < kr->n; i++) {
        const struct ring_key *rk = &kr->k[i];
        if (strcmp(rk->pub.agency, agency) == 0 && in_window(rk, at_ms) &&
            strcmp(rk->pub.types, types) == 0)
            return true;
    }
    return false;
}

enum ps_err ps_keyring_trust_list(const struct ps_keyring *kr, const struct ps_doc_soft_key *root,
                                  int64_t now_s, struct ps_buf *out)
{
    struct ps_doc_tl_key *keys = ps_alloc_array(kr->n ? kr->n : 1, sizeof *keys);
    struct ps_buf root_jwk;
    ps_buf_init(&root_jwk, 512);
    if (!keys)
        return PS_ERR_NOMEM;
    for (size_t i = 0; i < kr->n; i++) {
        const struct ring_key *rk = &kr->k[i];
        keys[i] = (struct ps_doc_tl_key){
            .issuer = rk->iss, .name = rk->pub.agency_name, .kid = rk->pub.kid,
            .kid_len = PS_ISSUER_KID_LEN, .alg = rk->pub.alg, .jwk = rk->jwk,
            .cert = rk->cert, .cert_len = rk->cert_len, .types = rk->types,
            .ntypes = rk->ntypes, .uses = PS_DOC_USE_DOCUMENTS | PS_DOC_USE_STATUS,
            .nbf = rk->pub.nbf_ms / 1000,
            .exp = rk->pub.naf_ms ? (rk->pub.naf_ms + PS_ISSUER_RELOAD_MS + 999) / 1000 : 0,
        };
    }
    struct ps_doc_tl tl = {now_s, now_s + PS_TRUST_LIST_LIFETIME_S, keys, kr->n};
    struct ps_doc_signer signer;
    static const uint8_t root_kid[] = "root";
    ps_doc_soft_key_signer((struct ps_doc_soft_key *)root, root_kid, 4, &signer);
    enum ps_err e = ps_doc_soft_key_jwk(root, &root_jwk);
    if (e == PS_OK)
        e = ps_doc_trust_list_encode(&tl, &signer, root_jwk.p, out);
    ps_buf_reset(&root_jwk);
    ps_free(keys);
    return e;
}
