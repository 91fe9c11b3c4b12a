/* Master key loading, sealing of private keys with XChaCha20-Poly1305 (libsodium), the platform
 * signing keys (Ed25519 via libsodium, ES256 via OpenSSL 3 EVP) in the `keys` table, and the
 * local admin token whose SHA-256 lives in `meta`. */
#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/ids.h"
#include "store/store.h"

#define SEAL_VERSION 0x01
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define PRIV_BYTES 32 /* Ed25519 seed or P-256 scalar: what is sealed */
#define SEALED_MAX (PRIV_BYTES + PS_SEALED_OVERHEAD)

struct ps_master_key {
    unsigned char k[PS_MASTER_KEY_BYTES];
};

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

static const char *const purpose_names[PS_KEY_PURPOSE_COUNT] = {
    [PS_KEY_DOCUMENTS] = "document-signing",
    [PS_KEY_TLOG] = "tlog-signing",
    [PS_KEY_QR] = "qr-signing",
};

const char *ps_key_purpose_name(enum ps_key_purpose p)
{
    PS_ASSERT((unsigned)p < PS_KEY_PURPOSE_COUNT);
    return purpose_names[p];
}

const char *ps_key_alg_name(enum ps_key_alg a)
{
    return a == PS_ALG_ES256 ? "ES256" : "Ed25519";
}

enum ps_key_alg ps_key_purpose_alg(enum ps_key_purpose p)
{
    return p == PS_KEY_QR ? PS_ALG_ES256 : PS_ALG_ED25519;
}

/* ---- master key ---- */

static enum ps_err need_sodium(struct ps_diag *diag)
{
    if (sodium_init() < 0)
        return ps_diag_set(diag, PS_ERR_CRYPTO, "libsodium failed to initialise");
    return PS_OK;
}

static struct ps_master_key *master_alloc(void)
{
    return sodium_malloc(sizeof(struct ps_master_key));
}

void ps_keys_master_free(struct ps_master_key *m)
{
    if (m)
        sodium_free(m); /* zeroes before release, also when read-only */
}

void ps_keys_master_derive(const struct ps_master_key *m, uint64_t id, const char context[8],
                           unsigned char out[32])
{
    PS_ASSERT(m != NULL);
    PS_ASSERT(crypto_kdf_derive_from_key(out, 32, id, context, m->k) == 0);
}

static bool is_hex(struct ps_str s)
{
    for (size_t i = 0; i < s.len; i++) {
        char c = s.p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return true;
}

enum ps_err ps_keys_master_from_hex(struct ps_str hex, struct ps_master_key **out,
                                    struct ps_diag *diag)
{
    *out = NULL;
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    if (hex.len != 2 * PS_MASTER_KEY_BYTES)
        return ps_diag_set(diag, PS_ERR_INVALID, "master key must be %d hex characters, got %zu",
                           2 * PS_MASTER_KEY_BYTES, hex.len);
    if (!is_hex(hex))
        return ps_diag_set(diag, PS_ERR_INVALID, "master key contains a non-hex character");
    struct ps_master_key *m = master_alloc();
    if (!m)
        return ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
    size_t n = 0;
    if (sodium_hex2bin(m->k, sizeof m->k, hex.p, hex.len, NULL, &n, NULL) != 0 ||
        n != sizeof m->k) {
        sodium_free(m);
        return ps_diag_set(diag, PS_ERR_INVALID, "master key is not valid hex");
    }
    sodium_mprotect_readonly(m);
    *out = m;
    return PS_OK;
}

enum ps_err ps_keys_master_read_file(const char *path, struct ps_master_key **out,
                                     struct ps_diag *diag)
{
    *out = NULL;
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    enum { CAP = 2 * PS_MASTER_KEY_BYTES + 2 };
    char *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        e = ps_diag_set(diag, errno == ENOENT ? PS_ERR_NOTFOUND : PS_ERR_IO, "%s: %s", path,
                        strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        e = ps_diag_set(diag, PS_ERR_DENIED, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_mode & 077) {
        e = ps_diag_set(diag, PS_ERR_DENIED,
                        "%s: mode %04o lets group or others access the master key "
                        "(chmod 600 it)",
                        path, (unsigned)(st.st_mode & 07777));
        goto out;
    }
    text = sodium_malloc(CAP);
    if (!text) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
        goto out;
    }
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, text + len, CAP - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == CAP) {
            e = ps_diag_set(diag, PS_ERR_INVALID, "%s: longer than a master key", path);
            goto out;
        }
    }
    if (len > 0 && text[len - 1] == '\n')
        len--;
    e = ps_keys_master_from_hex((struct ps_str){text, len}, out, diag);
    if (e != PS_OK) {
        char why[sizeof diag->message];
        if (diag && ps_str_copy(why, sizeof why, ps_str_from_cstr(diag->message)) == PS_OK)
            ps_diag_set(diag, e, "%s: %s", path, why);
    }
out:
    if (text)
        sodium_free(text);
    if (fd >= 0)
        close(fd);
    return e;
}

/* fsync the directory holding path, so that a new file's name is durable too. */
static void sync_parent(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    struct ps_str d = slash ? (struct ps_str){path, (size_t)(slash - path)} : PS_STR(".");
    if (d.len == 0)
        d = PS_STR("/");
    if (ps_str_copy(dir, sizeof dir, d) != PS_OK)
        return;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

static enum ps_err write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return PS_ERR_IO;
        p += w;
        n -= (size_t)w;
    }
    return PS_OK;
}

enum ps_err ps_keys_master_create_file(const char *path, struct ps_master_key **out,
                                       struct ps_diag *diag)
{
    *out = NULL;
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    enum { HEXLEN = 2 * PS_MASTER_KEY_BYTES };
    char *hex = NULL;
    struct ps_master_key *m = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        e = ps_diag_set(diag, errno == EEXIST ? PS_ERR_EXISTS : PS_ERR_IO, "%s: %s", path,
                        strerror(errno));
        goto out;
    }
    m = master_alloc();
    hex = sodium_malloc(HEXLEN + 2);
    if (!m || !hex) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of secure memory");
        goto out;
    }
    ps_random_bytes(m->k, sizeof m->k);
    sodium_bin2hex(hex, HEXLEN + 1, m->k, sizeof m->k);
    hex[HEXLEN] = '\n';
    if (fchmod(fd, 0600) != 0 || write_all(fd, hex, HEXLEN + 1) != PS_OK || fsync(fd) != 0) {
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        e = ps_diag_set(diag, PS_ERR_IO, "%s: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    sync_parent(path);
    sodium_mprotect_readonly(m);
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

enum ps_err ps_keys_load_master(const char *path, const char *env_value, bool create,
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
    enum ps_err e = ps_keys_master_read_file(path, out, diag);
    if (e != PS_ERR_NOTFOUND || !create)
        return e;
    e = ps_keys_master_create_file(path, out, diag);
    if (e == PS_OK && created)
        *created = true;
    return e;
}

/* ---- sealing ---- */

/* Associated data: key id, NUL, purpose. Binds a sealed blob to its row. */
static enum ps_err make_ad(struct ps_str id, struct ps_str purpose, unsigned char ad[128],
                           size_t *len)
{
    size_t n;
    if (!ps_size_add(id.len, purpose.len, &n) || !ps_size_add(n, 1, &n) || n > 128)
        return PS_ERR_LIMIT;
    if (id.len)
        memcpy(ad, id.p, id.len);
    ad[id.len] = 0;
    if (purpose.len)
        memcpy(ad + id.len + 1, purpose.p, purpose.len);
    *len = n;
    return PS_OK;
}

enum ps_err ps_keys_seal(const struct ps_master_key *m, struct ps_str key_id, struct ps_str purpose,
                         const unsigned char *plain, size_t n, unsigned char *out, size_t cap,
                         size_t *out_len)
{
    unsigned char ad[128];
    size_t adlen, need;
    if (!ps_size_add(n, PS_SEALED_OVERHEAD, &need) || need > cap)
        return PS_ERR_LIMIT;
    if (make_ad(key_id, purpose, ad, &adlen) != PS_OK)
        return PS_ERR_LIMIT;
    if (sodium_init() < 0)
        return PS_ERR_CRYPTO;
    out[0] = SEAL_VERSION;
    ps_random_bytes(out + 1, NONCE_BYTES);
    unsigned long long clen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_encrypt(out + 1 + NONCE_BYTES, &clen, plain, n, ad,
                                                   adlen, NULL, out + 1, m->k) != 0)
        return PS_ERR_CRYPTO;
    *out_len = 1 + NONCE_BYTES + (size_t)clen;
    return PS_OK;
}

enum ps_err ps_keys_unseal(const struct ps_master_key *m, struct ps_str key_id,
                           struct ps_str purpose, const unsigned char *sealed, size_t len,
                           unsigned char *plain, size_t cap, size_t *plain_len)
{
    unsigned char ad[128];
    size_t adlen;
    if (len < PS_SEALED_OVERHEAD || sealed[0] != SEAL_VERSION)
        return PS_ERR_CRYPTO;
    if (len - PS_SEALED_OVERHEAD > cap)
        return PS_ERR_LIMIT;
    if (make_ad(key_id, purpose, ad, &adlen) != PS_OK)
        return PS_ERR_LIMIT;
    if (sodium_init() < 0)
        return PS_ERR_CRYPTO;
    unsigned long long plen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &plen, NULL, sealed + 1 + NONCE_BYTES,
                                                   len - 1 - NONCE_BYTES, ad, adlen, sealed + 1,
                                                   m->k) != 0) {
        sodium_memzero(plain, cap);
        return PS_ERR_CRYPTO;
    }
    *plain_len = (size_t)plen;
    return PS_OK;
}

/* ---- key material ---- */

/* A new key pair: priv (PRIV_BYTES, caller's secure memory) and its public key. */
static enum ps_err keypair_new(enum ps_key_alg alg, unsigned char *priv, unsigned char pub[65],
                               size_t *publen)
{
    if (alg == PS_ALG_ED25519) {
        unsigned char *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
        if (!sk)
            return PS_ERR_NOMEM;
        ps_random_bytes(priv, PRIV_BYTES);
        int r = crypto_sign_seed_keypair(pub, sk, priv);
        sodium_free(sk);
        *publen = crypto_sign_PUBLICKEYBYTES;
        return r == 0 ? PS_OK : PS_ERR_CRYPTO;
    }
    enum ps_err e = PS_ERR_CRYPTO;
    BIGNUM *bn = NULL;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!pkey)
        goto out;
    if (EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_PRIV_KEY, &bn) != 1 ||
        BN_bn2binpad(bn, priv, PRIV_BYTES) != PRIV_BYTES)
        goto out;
    if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_PUB_KEY, pub, 65, publen) != 1 ||
        *publen != 65 || pub[0] != 0x04)
        goto out;
    e = PS_OK;
out:
    BN_clear_free(bn);
    EVP_PKEY_free(pkey);
    return e;
}

/* Builds an ES256 EVP_PKEY from scalar and public point and checks that they belong
 * together: a row whose public key was swapped fails here. */
static enum ps_err es256_from_raw(const unsigned char *scalar, const unsigned char *pub,
                                  size_t publen, EVP_PKEY **out)
{
    enum ps_err e = PS_ERR_CRYPTO;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL, *check = NULL;
    EVP_PKEY *pkey = NULL;
    BIGNUM *priv = BN_secure_new();
    if (!bld || !priv || !BN_bin2bn(scalar, PRIV_BYTES, priv))
        goto out;
    if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv) ||
        !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, publen))
        goto out;
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_KEYPAIR, params) != 1)
        goto out;
    check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
    if (!check || EVP_PKEY_pairwise_check(check) != 1)
        goto out;
    *out = pkey;
    pkey = NULL;
    e = PS_OK;
out:
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_clear_free(priv);
    return e;
}

void ps_key_free(struct ps_key *k)
{
    if (!k)
        return;
    if (k->secret_)
        sodium_free(k->secret_);
    EVP_PKEY_free(k->pkey_);
    ps_free(k);
}

/* Turns an unsealed private key into an opened struct ps_key, checking the public key. */
static enum ps_err key_from_priv(struct ps_key *k, const unsigned char *priv)
{
    if (k->alg == PS_ALG_ED25519) {
        unsigned char pk[crypto_sign_PUBLICKEYBYTES];
        k->secret_ = sodium_malloc(crypto_sign_SECRETKEYBYTES);
        if (!k->secret_)
            return PS_ERR_NOMEM;
        if (crypto_sign_seed_keypair(pk, k->secret_, priv) != 0 || k->public_len != sizeof pk ||
            sodium_memcmp(pk, k->public_key, sizeof pk) != 0)
            return PS_ERR_CRYPTO;
        return PS_OK;
    }
    k->secret_ = sodium_malloc(PRIV_BYTES);
    if (!k->secret_)
        return PS_ERR_NOMEM;
    memcpy(k->secret_, priv, PRIV_BYTES);
    EVP_PKEY *pkey = NULL;
    enum ps_err e = es256_from_raw(priv, k->public_key, k->public_len, &pkey);
    k->pkey_ = pkey;
    return e;
}

const unsigned char *ps_key_ed25519_sk(const struct ps_key *k)
{
    return k->alg == PS_ALG_ED25519 ? k->secret_ : NULL;
}

enum ps_err ps_key_sign(const struct ps_key *k, const unsigned char *msg, size_t n,
                        unsigned char sig[64], size_t *sig_len, struct ps_diag *diag)
{
    if (k->alg == PS_ALG_ED25519) {
        unsigned long long sl = 0;
        if (crypto_sign_detached(sig, &sl, msg, n, k->secret_) != 0)
            return ps_diag_set(diag, PS_ERR_CRYPTO, "Ed25519 signing failed");
        *sig_len = (size_t)sl;
        return PS_OK;
    }
    enum ps_err e = PS_ERR_CRYPTO;
    unsigned char der[80];
    size_t derlen = sizeof der;
    ECDSA_SIG *es = NULL;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k->pkey_, NULL) != 1 ||
        EVP_DigestSign(md, der, &derlen, msg, n) != 1)
        goto out;
    const unsigned char *p = der;
    es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
    if (!es)
        goto out;
    const BIGNUM *r = NULL, *s = NULL;
    ECDSA_SIG_get0(es, &r, &s);
    if (BN_bn2binpad(r, sig, 32) != 32 || BN_bn2binpad(s, sig + 32, 32) != 32)
        goto out;
    *sig_len = 64;
    e = PS_OK;
out:
    ECDSA_SIG_free(es);
    EVP_MD_CTX_free(md);
    if (e != PS_OK)
        ps_diag_set(diag, e, "ES256 signing failed");
    return e;
}

/* ---- keys table ---- */

struct new_key {
    char id[37];
    enum ps_key_purpose purpose;
    unsigned char pub[65];
    size_t publen;
    unsigned char sealed[SEALED_MAX];
    size_t sealedlen;
};

struct gen_ctx {
    struct new_key keys[PS_KEY_PURPOSE_COUNT];
    char created_at[25];
    int created;
    const struct ps_keys_recorder *rec;
    struct ps_diag rec_diag; /* the recorder's own reason */
};

/* "keys/<purpose>/<id>?alg=<alg>&public=<base64url>": what a verifier needs to know which key
 * signed what, and nothing secret. */
static enum ps_err record_key(struct ps_tx *tx, struct gen_ctx *g, const struct new_key *k)
{
    if (!g->rec || !g->rec->fn)
        return PS_OK;
    char pub[sodium_base64_ENCODED_LEN(sizeof k->pub, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(pub, sizeof pub, k->pub, k->publen, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
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

static enum ps_err tx_insert_key(struct ps_tx *tx, const struct new_key *k, const char *created)
{
    struct ps_stmt *st = NULL;
    bool row;
    enum ps_err e = ps_tx_prepare(tx, &sql_key_insert, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(k->id));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 2, ps_str_from_cstr(ps_key_purpose_name(k->purpose)));
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 3,
                              ps_str_from_cstr(ps_key_alg_name(ps_key_purpose_alg(k->purpose))));
    if (e == PS_OK)
        e = ps_stmt_bind_blob(st, 4, k->pub, k->publen);
    if (e == PS_OK)
        e = ps_stmt_bind_blob(st, 5, k->sealed, k->sealedlen);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 6, ps_str_from_cstr(created));
    if (e == PS_OK)
        e = ps_stmt_step(st, &row);
    ps_stmt_done(st);
    return e;
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

static enum ps_err new_key_make(const struct ps_master_key *m, enum ps_key_purpose p,
                                struct new_key *k, unsigned char *priv)
{
    struct ps_uuid id = ps_uuid7();
    ps_uuid_fmt(&id, k->id);
    k->purpose = p;
    enum ps_err e = keypair_new(ps_key_purpose_alg(p), priv, k->pub, &k->publen);
    if (e == PS_OK)
        e = ps_keys_seal(m, ps_str_from_cstr(k->id), ps_str_from_cstr(ps_key_purpose_name(p)), priv,
                         PRIV_BYTES, k->sealed, sizeof k->sealed, &k->sealedlen);
    sodium_memzero(priv, PRIV_BYTES);
    return e;
}

enum ps_err ps_keys_generate_all(struct ps_store *store, const struct ps_master_key *m,
                                 const struct ps_keys_recorder *rec, int *created,
                                 struct ps_diag *diag)
{
    if (created)
        *created = 0;
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        return e;
    struct gen_ctx *g = ps_calloc(1, sizeof *g);
    unsigned char *priv = sodium_malloc(PRIV_BYTES);
    if (!g || !priv) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    /* Key generation is cheap (well under a millisecond each), so every purpose gets a
     * candidate and the transaction inserts only the missing ones. */
    for (int i = 0; i < PS_KEY_PURPOSE_COUNT; i++) {
        e = new_key_make(m, (enum ps_key_purpose)i, &g->keys[i], priv);
        if (e != PS_OK) {
            ps_diag_set(diag, e, "generating the %s key failed",
                        ps_key_purpose_name((enum ps_key_purpose)i));
            goto out;
        }
    }
    ps_clock_fmt_rfc3339(ps_clock_now_ms(), g->created_at);
    g->rec = rec;
    e = ps_store_write(store, gen_tx, g, diag);
    if (e != PS_OK && g->rec_diag.code != PS_OK && diag)
        *diag = g->rec_diag;
    if (e == PS_OK && created)
        *created = g->created;
out:
    if (priv)
        sodium_free(priv);
    if (g) {
        sodium_memzero(g, sizeof *g);
        ps_free(g);
    }
    return e;
}

struct open_ctx {
    const char *purpose;
    bool found;
    char id[37];
    char alg[16];
    unsigned char pub[65];
    size_t publen;
    unsigned char sealed[SEALED_MAX];
    size_t sealedlen;
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
    struct ps_stmt *st = NULL;
    enum ps_err e = ps_tx_prepare(tx, &sql_key_active, &st);
    if (e == PS_OK)
        e = ps_stmt_bind_text(st, 1, ps_str_from_cstr(o->purpose));
    if (e == PS_OK)
        e = ps_stmt_step(st, &o->found);
    if (e == PS_OK && o->found) {
        size_t n = 0;
        o->bad_row = ps_str_copy(o->id, sizeof o->id, ps_stmt_text(st, 0)) != PS_OK ||
                     ps_str_copy(o->alg, sizeof o->alg, ps_stmt_text(st, 1)) != PS_OK ||
                     copy_col(ps_stmt_blob(st, 2), o->pub, sizeof o->pub, &o->publen) != PS_OK ||
                     copy_col(ps_stmt_blob(st, 3), o->sealed, sizeof o->sealed, &n) != PS_OK;
        o->sealedlen = n;
    }
    ps_stmt_done(st);
    return e;
}

enum ps_err ps_keys_open(struct ps_store *store, const struct ps_master_key *m,
                         enum ps_key_purpose purpose, struct ps_key **out, struct ps_diag *diag)
{
    *out = NULL;
    const char *pname = ps_key_purpose_name(purpose);
    enum ps_key_alg alg = ps_key_purpose_alg(purpose);
    struct ps_key *k = NULL;
    unsigned char *priv = NULL;
    struct open_ctx *o = ps_calloc(1, sizeof *o);
    enum ps_err e = need_sodium(diag);
    if (e != PS_OK)
        goto out;
    if (!o) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    o->purpose = pname;
    e = ps_store_read(store, open_tx, o, diag);
    if (e != PS_OK)
        goto out;
    if (!o->found) {
        e = ps_diag_set(diag, PS_ERR_NOTFOUND, "no active %s key", pname);
        goto out;
    }
    if (o->bad_row || strcmp(o->alg, ps_key_alg_name(alg)) != 0) {
        e = ps_diag_set(diag, PS_ERR_CRYPTO, "the %s key row is malformed", pname);
        goto out;
    }
    k = ps_calloc(1, sizeof *k);
    priv = sodium_malloc(PRIV_BYTES);
    if (!k || !priv) {
        e = ps_diag_set(diag, PS_ERR_NOMEM, "out of memory");
        goto out;
    }
    memcpy(k->id, o->id, sizeof k->id);
    k->purpose = purpose;
    k->alg = alg;
    memcpy(k->public_key, o->pub, sizeof k->public_key);
    k->public_len = o->publen;
    size_t plen = 0;
    e = ps_keys_unseal(m, ps_str_from_cstr(o->id), ps_str_from_cstr(pname), o->sealed, o->sealedlen,
                       priv, PRIV_BYTES, &plen);
    if (e == PS_OK && plen != PRIV_BYTES)
        e = PS_ERR_CRYPTO;
    if (e == PS_OK)
        e = key_from_priv(k, priv);
    if (e != PS_OK) {
        ps_diag_set(diag, e == PS_ERR_NOMEM ? e : PS_ERR_CRYPTO,
                    "cannot open the %s key %s: wrong master key or tampered row", pname, o->id);
        e = e == PS_ERR_NOMEM ? e : PS_ERR_CRYPTO;
        goto out;
    }
    *out = k;
    k = NULL;
out:
    if (priv)
        sodium_free(priv);
    ps_key_free(k);
    ps_free(o);
    return e;
}

/* ---- admin token ---- */

void ps_admin_token_hash(struct ps_str token, unsigned char hash[32])
{
    PS_ASSERT(sodium_init() >= 0);
    crypto_hash_sha256(hash, (const unsigned char *)token.p, token.len);
}

void ps_admin_token_new(char out[PS_ADMIN_TOKEN_MAX], unsigned char hash[32])
{
    static const char prefix[] = PS_ADMIN_TOKEN_PREFIX;
    unsigned char raw[32];
    PS_ASSERT(sodium_init() >= 0);
    ps_random_bytes(raw, sizeof raw);
    memcpy(out, prefix, sizeof prefix - 1);
    sodium_bin2base64(out + sizeof prefix - 1, PS_ADMIN_TOKEN_MAX - (sizeof prefix - 1), raw,
                      sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    ps_admin_token_hash(ps_str_from_cstr(out), hash);
}

bool ps_admin_token_check(struct ps_str token, const unsigned char hash[32])
{
    unsigned char h[32];
    ps_admin_token_hash(token, h);
    bool ok = sodium_memcmp(h, hash, sizeof h) == 0;
    sodium_memzero(h, sizeof h);
    return ok;
}

struct meta_ctx {
    char hex[65];
    bool found;
    const struct ps_keys_recorder *rec;
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

enum ps_err ps_admin_token_store(struct ps_store *store, const unsigned char hash[32],
                                 const struct ps_keys_recorder *rec, struct ps_diag *diag)
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

enum ps_err ps_admin_token_load_hash(struct ps_store *store, unsigned char hash[32],
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
    if (hex.len != 64 || !is_hex(hex) ||
        sodium_hex2bin(hash, 32, hex.p, hex.len, NULL, &n, NULL) != 0 || n != 32)
        return ps_diag_set(diag, PS_ERR_INVALID, "meta.%s is not a SHA-256 hex digest",
                           PS_ADMIN_TOKEN_META_KEY);
    return PS_OK;
}
