/* The keystore: the master key file (or environment variable), the platform keys sealed in
 * the `keys` table, and the admin token's hash in `meta`. The key material is crypto/keys.c's;
 * every statement about keys is here. */
#include "keystore/keystore.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/file.h"
#include "store/store.h"

/* ---- SQL (domain code holds its SQL; handlers never do) ---- */

static const struct ps_sql sql_key_active = {
    "keys.active",
    "SELECT id, algorithm, public_key, sealed_private_key FROM keys "
    "WHERE purpose = $1 AND status = 'active'",
};
static const struct ps_sql sql_key_insert = {
    "keys.insert",
    "INSERT INTO keys (id, purpose, algorithm, public_key, sealed_private_key, created_at, "
    "status) VALUES ($1, $2, $3, $4, $5, $6, 'active')",
};
static const struct ps_sql sql_meta_get = {
    "meta.get",
    "SELECT value FROM meta WHERE key = $1",
};
static const struct ps_sql sql_meta_insert = {
    "meta.insert",
    "INSERT INTO meta (key, value) VALUES ($1, $2)",
};

/* ---- the master key ---- */

enum ps_err ps_keystore_master_read_file(const char *path, struct ps_master_key **out,
                                         struct ps_diag *diag)
{
    enum { CAP = 2 * PS_MASTER_KEY_BYTES + 2 }; /* the hex, a newline, and one byte too many */
    *out = NULL;
    if (sodium_init() < 0)
        return ps_diag_set(diag, PS_ERR_CRYPTO, "libsodium failed to initialise");
    char *text = sodium_malloc(CAP);
    if (!text)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
    size_t len = 0;
    enum ps_err e = ps_file_read_private(path, text, CAP, &len, diag);
    if (e == PS_ERR_LIMIT)
        e = ps_diag_set(diag, PS_ERR_INVALID, "%s: longer than a master key", path);
    if (e != PS_OK)
        goto out;
    if (len > 0 && text[len - 1] == '\n')
        len--;
    e = ps_keys_master_from_hex((struct ps_str){text, len}, out, diag);
    if (e != PS_OK && diag) {
        char why[sizeof diag->message];
        if (ps_str_copy(why, sizeof why, ps_str_from_cstr(diag->message)) == PS_OK)
            ps_diag_set(diag, e, "%s: %s", path, why);
    }
out:
    sodium_free(text);
    return e;
}

enum ps_err ps_keystore_master_create_file(const char *path, struct ps_master_key **out,
                                           struct ps_diag *diag)
{
    enum { HEXLEN = 2 * PS_MASTER_KEY_BYTES };
    *out = NULL;
    char *hex = NULL;
    struct ps_master_key *m = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0)
        return ps_diag_set(diag, errno == EEXIST ? PS_ERR_EXISTS : PS_ERR_IO, "%s: %s", path,
                           strerror(errno));
    enum ps_err e = ps_keys_master_new(&m, diag);
    if (e != PS_OK)
        goto out;
    hex = sodium_malloc(HEXLEN + 1);
    if (!hex) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
        goto out;
    }
    ps_keys_master_hex(m, hex);
    hex[HEXLEN] = '\n';
    if (fchmod(fd, 0600) != 0 || ps_file_write_all(fd, hex, HEXLEN + 1) != PS_OK ||
        fsync(fd) != 0) {
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    int rc = close(fd);
    fd = -1;
    if (rc != 0) {
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
        unlink(path);
        goto out;
    }
    ps_file_sync_dir_of(path);
    *out = m;
    m = NULL;
out:
    if (hex)
        sodium_free(hex);
    if (fd >= 0) {
        close(fd);
        unlink(path); /* a half-written key file must not be found later */
    }
    ps_keys_master_free(m);
    return e;
}

enum ps_err ps_keystore_load_master(const char *path, const char *env_value, bool create,
                                    struct ps_master_key **out, bool *from_env, bool *created,
                                    struct ps_diag *diag)
{
    if (from_env)
        *from_env = env_value != NULL;
    if (created)
        *created = false;
    if (env_value) {
        enum ps_err e = ps_keys_master_from_hex(ps_str_from_cstr(env_value), out, diag);
        if (e != PS_OK && diag) {
            char why[sizeof diag->message];
            if (ps_str_copy(why, sizeof why, ps_str_from_cstr(diag->message)) == PS_OK)
                ps_diag_set(diag, e, "%s: %s", PS_MASTER_KEY_ENV, why);
        }
        return e;
    }
    enum ps_err e = ps_keystore_master_read_file(path, out, diag);
    if (e != PS_ERR_NOTFOUND || !create)
        return e;
    e = ps_keystore_master_create_file(path, out, diag);
    if (e == PS_OK && created)
        *created = true;
    return e;
}

/* ---- keys table ---- */

struct gen_ctx {
    struct ps_sealed_key keys[PS_KEY_PURPOSE_COUNT];
    char created_at[25];
    int created;
    const struct ps_keystore_recorder *rec;
    struct ps_diag rec_diag; /* the recorder's own reason */
};

/* "keys/<purpose>/<id>?alg=<alg>&public=<base64url>": what a verifier needs to know which key
 * signed what, and nothing secret. */
static enum ps_err record_key(struct ps_tx *tx, struct gen_ctx *g, const struct ps_sealed_key *k)
{
    if (!g->rec || !g->rec->fn)
        return PS_OK;
    char pub[sodium_base64_ENCODED_LEN(sizeof k->public_key,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(pub, sizeof pub, k->public_key, k->public_len,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char res[256];
    int n = snprintf(res, sizeof res, "keys/%s/%s?alg=%s&public=%s",
                     ps_key_purpose_name(k->purpose), k->id,
                     ps_key_alg_name(ps_key_purpose_alg(k->purpose)), pub);
    if (n < 0 || (size_t)n >= sizeof res)
        return ps_diag_set(&g->rec_diag, PS_ERR_INTERNAL, "key record too long");
    return g->rec->fn(tx, "key.create", (struct ps_str){res, (size_t)n}, g->rec->ctx,
                      &g->rec_diag);
}

static enum ps_err tx_has_active(struct ps_tx *tx, const char *purpose, bool *has)
{
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &sql_key_active, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(purpose));
    if (e == PS_OK)
        e = ps_stmt_step(st, has);
    ps_stmt_done(st);
    return e;
}

static enum ps_err tx_insert_key(struct ps_tx *tx, const struct ps_sealed_key *k,
                                 const char *created)
{
    struct ps_query q;
    ps_query_start(&q, tx, &sql_key_insert);
    ps_query_text(&q, ps_str_from_cstr(k->id));
    ps_query_text(&q, ps_str_from_cstr(ps_key_purpose_name(k->purpose)));
    ps_query_text(&q, ps_str_from_cstr(ps_key_alg_name(ps_key_purpose_alg(k->purpose))));
    ps_query_blob(&q, k->public_key, k->public_len);
    ps_query_blob(&q, k->sealed, k->sealed_len);
    ps_query_text(&q, ps_str_from_cstr(created));
    return ps_query_exec(&q);
}

static enum ps_err gen_tx(struct ps_tx *tx, void *arg)
{
    struct gen_ctx *g = arg;
    g->created = 0; /* the committer may run us again after a conflict */
    ps_diag_clear(&g->rec_diag);
    for (int i = 0; i < PS_KEY_PURPOSE_COUNT; i++) {
        bool has = false;
        enum ps_err e = tx_has_active(tx, ps_key_purpose_name(g->keys[i].purpose), &has);
        if (e != PS_OK)
            return e;
        if (has)
            continue;
        e = tx_insert_key(tx, &g->keys[i], g->created_at);
        if (e == PS_OK)
            e = record_key(tx, g, &g->keys[i]);
        if (e != PS_OK)
            return e;
        g->created++;
    }
    return PS_OK;
}

enum ps_err ps_keystore_generate_all(struct ps_store *store, const struct ps_master_key *m,
                                     const struct ps_keystore_recorder *rec, int *created,
                                     struct ps_diag *diag)
{
    if (created)
        *created = 0;
    enum ps_err e = PS_OK;
    struct gen_ctx *g = ps_calloc(1, sizeof *g);
    if (!g)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    /* Key generation is cheap (well under a millisecond each), so every purpose gets a
     * candidate and the transaction inserts only the missing ones. */
    for (int i = 0; i < PS_KEY_PURPOSE_COUNT && e == PS_OK; i++)
        e = ps_keys_create_sealed(m, (enum ps_key_purpose)i, &g->keys[i], diag);
    if (e != PS_OK)
        goto out;
    ps_clock_fmt_rfc3339(ps_clock_now_ms(), g->created_at);
    g->rec = rec;
    e = ps_store_write(store, gen_tx, g, diag);
    if (e != PS_OK && g->rec_diag.code != PS_OK && diag)
        *diag = g->rec_diag;
    if (e == PS_OK && created)
        *created = g->created;
out:
    ps_free(g);
    return e;
}

struct open_ctx {
    const char *purpose;
    bool found;
    char alg[16];
    struct ps_sealed_key row;
    bool bad_row;
};

static enum ps_err copy_col(struct ps_str v, void *dst, size_t cap, size_t *len)
{
    if (v.len > cap)
        return PS_ERR_CRYPTO;
    if (v.len)
        memcpy(dst, v.p, v.len);
    *len = v.len;
    return PS_OK;
}

static enum ps_err open_tx(struct ps_tx *tx, void *arg)
{
    struct open_ctx *o = arg;
    struct ps_sealed_key *k = &o->row;
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &sql_key_active, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(o->purpose));
    if (e == PS_OK)
        e = ps_stmt_step(st, &o->found);
    if (e == PS_OK && o->found)
        o->bad_row =
            ps_str_copy(k->id, sizeof k->id, ps_stmt_text(st, 0)) != PS_OK ||
            ps_str_copy(o->alg, sizeof o->alg, ps_stmt_text(st, 1)) != PS_OK ||
            copy_col(ps_stmt_blob(st, 2), k->public_key, sizeof k->public_key, &k->public_len) !=
                PS_OK ||
            copy_col(ps_stmt_blob(st, 3), k->sealed, sizeof k->sealed, &k->sealed_len) != PS_OK;
    ps_stmt_done(st);
    return e;
}

enum ps_err ps_keystore_open(struct ps_store *store, const struct ps_master_key *m,
                             enum ps_key_purpose purpose, struct ps_key **out,
                             struct ps_diag *diag)
{
    *out = NULL;
    const char *pname = ps_key_purpose_name(purpose);
    struct open_ctx *o = ps_calloc(1, sizeof *o);
    if (!o)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
    o->purpose = pname;
    o->row.purpose = purpose;
    enum ps_err e = ps_store_read(store, open_tx, o, diag);
    if (e != PS_OK)
        goto out;
    if (!o->found) {
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "no active %s key", pname);
        goto out;
    }
    if (o->bad_row || strcmp(o->alg, ps_key_alg_name(ps_key_purpose_alg(purpose))) != 0) {
        e = ps_diag_set(diag, PS_ERR_CRYPTO, "the %s key row is malformed", pname);
        goto out;
    }
    e = ps_keys_open_sealed(m, &o->row, out, diag);
out:
    ps_free(o);
    return e;
}

/* ---- the admin token ---- */

struct meta_ctx {
    char hex[65];
    bool found;
    const struct ps_keystore_recorder *rec;
    struct ps_diag rec_diag;
};

static enum ps_err meta_put_tx(struct ps_tx *tx, void *arg)
{
    struct meta_ctx *c = arg;
    struct ps_stmt *st = NULL;
    bool row;
    enum ps_err e = ps_tx_prepare(tx, &sql_meta_insert, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, PS_STR(PS_ADMIN_TOKEN_META_KEY));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, (struct ps_str){c->hex, 64});
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    ps_diag_clear(&c->rec_diag);
    if (e == PS_OK && c->rec && c->rec->fn)
        e = c->rec->fn(tx, "admin-token.set", PS_STR("meta/" PS_ADMIN_TOKEN_META_KEY),
                       c->rec->ctx, &c->rec_diag);
    return e;
}

enum ps_err ps_keystore_admin_token_put(struct ps_store *store, const unsigned char hash[32],
                                        const struct ps_keystore_recorder *rec,
                                        struct ps_diag *diag)
{
    struct meta_ctx c = {.found = false, .rec = rec};
    sodium_bin2hex(c.hex, sizeof c.hex, hash, 32);
    enum ps_err e = ps_store_write(store, meta_put_tx, &c, diag);
    if (e == PS_ERR_EXISTS)
        ps_diag_set(diag, e, "an admin token is already stored");
    else if (e != PS_OK && c.rec_diag.code != PS_OK && diag)
        *diag = c.rec_diag;
    return e;
}

static enum ps_err meta_get_tx(struct ps_tx *tx, void *arg)
{
    struct meta_ctx *c = arg;
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &sql_meta_get, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, PS_STR(PS_ADMIN_TOKEN_META_KEY));
    if (e == PS_OK)
        e = ps_stmt_step(st, &c->found);
    if (e == PS_OK && c->found && ps_str_copy(c->hex, sizeof c->hex, ps_stmt_text(st, 0)) != PS_OK)
        c->hex[0] = '\0'; /* too long: reported as corrupt below */
    ps_stmt_done(st);
    return e;
}

enum ps_err ps_keystore_admin_token_get(struct ps_store *store, unsigned char hash[32],
                                        struct ps_diag *diag)
{
    struct meta_ctx c = {.found = false};
    enum ps_err e = ps_store_read(store, meta_get_tx, &c, diag);
    if (e != PS_OK)
        return e;
    if (!c.found)
        return ps_diag_set(diag, PS_ERR_NOTFOUND, "no admin token: run `pocketstate init`");
    struct ps_str hex = ps_str_from_cstr(c.hex);
    size_t n = 0;
    /* sodium_hex2bin without an end pointer refuses any non-hex character */
    if (hex.len != 64 ||
        sodium_hex2bin(hash, 32, hex.p, hex.len, NULL, &n, NULL) != 0 || n != 32)
        return ps_diag_set(diag, PS_ERR_INVALID, "meta.%s is not a SHA-256 hex digest",
                           PS_ADMIN_TOKEN_META_KEY);
    return PS_OK;
}
