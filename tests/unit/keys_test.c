/* Tests of the keys: src/crypto/keys.c (sealing and its failures, sealed key pairs, signing
 * and verifying, the admin token) and src/keystore/keystore.c (master key loading: file mode,
 * environment hex; the keys table: generate, open, sign, tampering) on a real SQLite store. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keystore/keystore.h"
#include "pg_helper.h"
#include "store/store.h"

#define HEX_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define HEX_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static char tmpdir[64];

static void make_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ps_keys_test.XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
}

static struct ps_master_key *master(const char *hex)
{
    struct ps_master_key *m = NULL;
    struct ps_diag d = {0};
    cr_assert_eq(ps_keys_master_from_hex(ps_str_from_cstr(hex), &m, &d), PS_OK, "%s", d.message);
    return m;
}

static void write_key_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    cr_assert_eq(fchmod(fd, mode), 0);
    close(fd);
}

Test(keys, seal_round_trip)
{
    struct ps_master_key *m = master(HEX_A);
    const unsigned char plain[32] = "thirty-two bytes of private key";
    unsigned char sealed[32 + PS_SEALED_OVERHEAD], back[32];
    size_t slen = 0, blen = 0;
    cr_assert_eq(ps_keys_seal(m, PS_STR("id-1"), PS_STR("tlog-signing"), plain, sizeof plain,
                              sealed, sizeof sealed, &slen),
                 PS_OK);
    cr_assert_eq(slen, sizeof sealed);
    cr_assert_eq(ps_keys_unseal(m, PS_STR("id-1"), PS_STR("tlog-signing"), sealed, slen, back,
                                sizeof back, &blen),
                 PS_OK);
    cr_assert_eq(blen, sizeof plain);
    cr_assert_eq(memcmp(back, plain, sizeof plain), 0);
    /* two seals of one plaintext differ (random nonce) */
    unsigned char again[sizeof sealed];
    cr_assert_eq(ps_keys_seal(m, PS_STR("id-1"), PS_STR("tlog-signing"), plain, sizeof plain, again,
                              sizeof again, &slen),
                 PS_OK);
    cr_assert_neq(memcmp(again, sealed, sizeof sealed), 0);
    cr_assert_eq(
        ps_keys_seal(m, PS_STR("id-1"), PS_STR("p"), plain, sizeof plain, again, 40, &slen),
        PS_ERR_LIMIT);
    ps_keys_master_free(m);
}

Test(keys, wrong_master_or_binding_fails)
{
    struct ps_master_key *a = master(HEX_A), *b = master(HEX_B);
    const unsigned char plain[32] = {1, 2, 3};
    unsigned char sealed[32 + PS_SEALED_OVERHEAD], back[32];
    size_t slen = 0, blen = 0;
    cr_assert_eq(ps_keys_seal(a, PS_STR("id-1"), PS_STR("qr-signing"), plain, sizeof plain, sealed,
                              sizeof sealed, &slen),
                 PS_OK);
    cr_assert_eq(ps_keys_unseal(b, PS_STR("id-1"), PS_STR("qr-signing"), sealed, slen, back,
                                sizeof back, &blen),
                 PS_ERR_CRYPTO);
    cr_assert_eq(ps_keys_unseal(a, PS_STR("id-2"), PS_STR("qr-signing"), sealed, slen, back,
                                sizeof back, &blen),
                 PS_ERR_CRYPTO, "the blob is bound to its key id");
    cr_assert_eq(ps_keys_unseal(a, PS_STR("id-1"), PS_STR("tlog-signing"), sealed, slen, back,
                                sizeof back, &blen),
                 PS_ERR_CRYPTO, "the blob is bound to its purpose");
    ps_keys_master_free(a);
    ps_keys_master_free(b);
}

Test(keys, tampered_blob_fails)
{
    struct ps_master_key *m = master(HEX_A);
    const unsigned char plain[32] = {9};
    unsigned char sealed[32 + PS_SEALED_OVERHEAD], back[32];
    size_t slen = 0, blen = 0;
    cr_assert_eq(ps_keys_seal(m, PS_STR("k"), PS_STR("p"), plain, sizeof plain, sealed,
                              sizeof sealed, &slen),
                 PS_OK);
    for (size_t i = 0; i < slen; i++) {
        for (int bit = 0; bit < 8; bit += 7) {
            sealed[i] ^= (unsigned char)(1u << bit);
            cr_assert_eq(
                ps_keys_unseal(m, PS_STR("k"), PS_STR("p"), sealed, slen, back, sizeof back, &blen),
                PS_ERR_CRYPTO, "byte %zu bit %d", i, bit);
            sealed[i] ^= (unsigned char)(1u << bit);
        }
    }
    cr_assert_eq(
        ps_keys_unseal(m, PS_STR("k"), PS_STR("p"), sealed, slen - 1, back, sizeof back, &blen),
        PS_ERR_CRYPTO, "truncated");
    cr_assert_eq(ps_keys_unseal(m, PS_STR("k"), PS_STR("p"), sealed, 10, back, sizeof back, &blen),
                 PS_ERR_CRYPTO, "shorter than the overhead");
    cr_assert_eq(
        ps_keys_unseal(m, PS_STR("k"), PS_STR("p"), sealed, slen, back, sizeof back, &blen), PS_OK);
    ps_keys_master_free(m);
}

Test(keys, env_hex_parsing)
{
    struct ps_master_key *m = NULL;
    struct ps_diag d = {0};
    const char *bad[] = {
        "",
        "00",
        HEX_A "00",
        HEX_A "\n",
        " " HEX_A,
        "g00102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
        "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_assert_eq(ps_keystore_load_master("/nonexistent", bad[i], true, &m, NULL, NULL, &d),
                     PS_ERR_INVALID, "accepted \"%s\"", bad[i]);
        cr_assert_null(m);
        cr_assert_not_null(strstr(d.message, PS_MASTER_KEY_ENV ": "), "%s", d.message);
    }
    bool from_env = false, created = true;
    cr_assert_eq(
        ps_keystore_load_master("/nonexistent/master.key",
                            "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F",
                            true, &m, &from_env, &created, &d),
        PS_OK, "%s", d.message);
    cr_assert(from_env);
    cr_assert(!created, "no file is written when the key comes from the environment");
    /* upper-case hex is the same key as lower-case */
    struct ps_master_key *lower = master(HEX_A);
    unsigned char sealed[1 + PS_SEALED_OVERHEAD], back[1];
    size_t slen, blen;
    cr_assert_eq(ps_keys_seal(m, PS_STR("i"), PS_STR("p"), (const unsigned char *)"x", 1, sealed,
                              sizeof sealed, &slen),
                 PS_OK);
    cr_assert_eq(
        ps_keys_unseal(lower, PS_STR("i"), PS_STR("p"), sealed, slen, back, sizeof back, &blen),
        PS_OK);
    ps_keys_master_free(m);
    ps_keys_master_free(lower);
}

Test(keys, key_file_mode_refused)
{
    make_tmp();
    char path[128];
    snprintf(path, sizeof path, "%s/master.key", tmpdir);
    struct ps_master_key *m = NULL;
    struct ps_diag d = {0};
    write_key_file(path, HEX_A "\n", 0644);
    cr_assert_eq(ps_keystore_master_read_file(path, &m, &d), PS_ERR_DENIED);
    cr_assert_null(m);
    cr_assert_not_null(strstr(d.message, "mode 0644"), "%s", d.message);
    cr_assert_eq(ps_keystore_load_master(path, NULL, true, &m, NULL, NULL, &d), PS_ERR_DENIED,
                 "an unsafe file is never replaced either");
    write_key_file(path, HEX_A "\n", 0640);
    cr_assert_eq(ps_keystore_master_read_file(path, &m, &d), PS_ERR_DENIED);
    write_key_file(path, HEX_A "\n", 0600);
    cr_assert_eq(ps_keystore_master_read_file(path, &m, &d), PS_OK, "%s", d.message);
    ps_keys_master_free(m);
    write_key_file(path, HEX_A, 0400);
    cr_assert_eq(ps_keystore_master_read_file(path, &m, &d), PS_OK, "no newline, read-only");
    ps_keys_master_free(m);
    write_key_file(path, "zz" HEX_A "\n", 0600);
    cr_assert_eq(ps_keystore_master_read_file(path, &m, &d), PS_ERR_INVALID);
    cr_assert_null(strstr(d.message, HEX_A), "the key is never echoed");
    write_key_file(path, HEX_A "\n\n", 0600);
    cr_assert_eq(ps_keystore_master_read_file(path, &m, &d), PS_ERR_INVALID);
}

Test(keys, key_file_create_then_read)
{
    make_tmp();
    char path[128];
    snprintf(path, sizeof path, "%s/master.key", tmpdir);
    struct ps_master_key *made = NULL, *read = NULL;
    struct ps_diag d = {0};
    bool from_env = true, created = false;
    cr_assert_eq(ps_keystore_load_master(path, NULL, true, &made, &from_env, &created, &d), PS_OK, "%s",
                 d.message);
    cr_assert(created);
    cr_assert(!from_env);
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600);
    cr_assert_eq(st.st_size, 65);
    cr_assert_eq(ps_keystore_load_master(path, NULL, true, &read, NULL, &created, &d), PS_OK);
    cr_assert(!created, "an existing key is never regenerated");
    unsigned char sealed[1 + PS_SEALED_OVERHEAD], back[1];
    size_t slen, blen;
    cr_assert_eq(ps_keys_seal(made, PS_STR("i"), PS_STR("p"), (const unsigned char *)"x", 1, sealed,
                              sizeof sealed, &slen),
                 PS_OK);
    cr_assert_eq(
        ps_keys_unseal(read, PS_STR("i"), PS_STR("p"), sealed, slen, back, sizeof back, &blen),
        PS_OK);
    struct ps_master_key *again = NULL;
    cr_assert_eq(ps_keystore_master_create_file(path, &again, &d), PS_ERR_EXISTS);
    cr_assert_eq(ps_keystore_load_master(path, NULL, false, &again, NULL, NULL, &d), PS_OK);
    ps_keys_master_free(again);
    snprintf(path, sizeof path, "%s/absent.key", tmpdir);
    cr_assert_eq(ps_keystore_load_master(path, NULL, false, &again, NULL, NULL, &d), PS_ERR_NOTFOUND);
    ps_keys_master_free(made);
    ps_keys_master_free(read);
}

Test(keys, admin_token)
{
    char tok[PS_ADMIN_TOKEN_MAX], tok2[PS_ADMIN_TOKEN_MAX];
    unsigned char hash[32], hash2[32];
    ps_admin_token_new(tok, hash);
    ps_admin_token_new(tok2, hash2);
    cr_assert_eq(strlen(tok), 9 + 43);
    cr_assert_eq(strncmp(tok, "ps_admin_", 9), 0);
    for (size_t i = 9; tok[i]; i++)
        cr_assert(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", tok[i]),
            "base64url");
    cr_assert_str_neq(tok, tok2);
    unsigned char want[32];
    crypto_hash_sha256(want, (const unsigned char *)tok, strlen(tok));
    cr_assert_eq(memcmp(want, hash, 32), 0, "SHA-256 of the whole token text");
    cr_assert(ps_admin_token_check(ps_str_from_cstr(tok), hash));
    cr_assert(!ps_admin_token_check(ps_str_from_cstr(tok2), hash));
    cr_assert(!ps_admin_token_check(PS_STR(""), hash));
}

/* ---- the keys table on a real store ---- */

/* SQLite in the temporary directory, or a fresh PostgreSQL schema when PS_TEST_DB is set
 * (scripts/pg-suite.sh runs this file again against a real server). */
static char pg_url[512], pg_schema[64];

static const char *store_url(char *buf, size_t cap)
{
    if (pg_schema[0])
        return pg_url;
    snprintf(buf, cap, "sqlite:%s/t.db", tmpdir);
    return buf;
}

static struct ps_store *open_store(void)
{
    char buf[128];
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    make_tmp();
    pg_schema[0] = '\0';
    if (ps_test_pg_base())
        cr_assert(ps_test_pg_fresh(pg_url, sizeof pg_url, pg_schema));
    ps_store_opts_init(&o);
    o.url = store_url(buf, sizeof buf);
    o.migrate = true;
    o.create = true;
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    return s;
}

/* ES256 r || s verified with OpenSSL from the stored public point. */
static bool es256_verify(const struct ps_key *k, const unsigned char *msg, size_t n,
                         const unsigned char sig[64])
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, k->public_key, k->public_len);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *pub = NULL;
    cr_assert_eq(EVP_PKEY_fromdata_init(ctx), 1);
    cr_assert_eq(EVP_PKEY_fromdata(ctx, &pub, EVP_PKEY_PUBLIC_KEY, params), 1);
    ECDSA_SIG *es = ECDSA_SIG_new();
    ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
    unsigned char *der = NULL;
    int derlen = i2d_ECDSA_SIG(es, &der);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    bool ok = EVP_DigestVerifyInit_ex(md, NULL, "SHA256", NULL, NULL, pub, NULL) == 1 &&
              EVP_DigestVerify(md, der, (size_t)derlen, msg, n) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    ECDSA_SIG_free(es);
    EVP_PKEY_free(pub);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    return ok;
}

/* Pure crypto, no store: a sealed key opens only under its master key, id and purpose, and
 * what it signs verifies with ps_key_verify (and with OpenSSL directly for ES256), while any
 * changed byte of message, signature or key does not. */
Test(keys, sealed_keys_sign_and_verify)
{
    struct ps_master_key *m = master(HEX_A), *wrong = master(HEX_B);
    struct ps_diag d = {0};
    unsigned char msg[] = "PocketState document", sig[64];
    for (int i = 0; i < PS_KEY_PURPOSE_COUNT; i++) {
        struct ps_sealed_key sk;
        struct ps_key *k = NULL;
        size_t siglen = 0;
        enum ps_key_alg alg = ps_key_purpose_alg((enum ps_key_purpose)i);
        cr_assert_eq(ps_keys_create_sealed(m, (enum ps_key_purpose)i, &sk, &d), PS_OK, "%s",
                     d.message);
        cr_assert_eq(sk.public_len, alg == PS_ALG_ES256 ? 65u : 32u);
        cr_assert_eq(sk.sealed_len, PS_KEY_SEALED_MAX);
        cr_assert_eq(ps_keys_open_sealed(wrong, &sk, &k, &d), PS_ERR_CRYPTO);
        cr_assert_null(k);
        struct ps_sealed_key moved = sk;
        moved.id[35] = moved.id[35] == '0' ? '1' : '0';
        cr_assert_eq(ps_keys_open_sealed(m, &moved, &k, &d), PS_ERR_CRYPTO, "bound to its id");
        moved = sk;
        moved.public_key[5] ^= 1;
        cr_assert_eq(ps_keys_open_sealed(m, &moved, &k, &d), PS_ERR_CRYPTO, "and its public key");
        cr_assert_eq(ps_keys_open_sealed(m, &sk, &k, &d), PS_OK, "%s", d.message);
        cr_assert_eq(ps_key_sign(k, msg, sizeof msg, sig, &siglen, &d), PS_OK);
        cr_assert_eq(ps_key_verify(alg, sk.public_key, sk.public_len, msg, sizeof msg, sig, siglen,
                                   &d),
                     PS_OK, "%s", d.message);
        if (alg == PS_ALG_ES256)
            cr_assert(es256_verify(k, msg, sizeof msg, sig), "OpenSSL agrees");
        else
            cr_assert_eq(crypto_sign_verify_detached(sig, msg, sizeof msg, sk.public_key), 0);
        msg[0] ^= 1;
        cr_assert_eq(ps_key_verify(alg, sk.public_key, sk.public_len, msg, sizeof msg, sig, siglen,
                                   &d),
                     PS_ERR_CRYPTO);
        msg[0] ^= 1;
        sig[10] ^= 1;
        cr_assert_eq(ps_key_verify(alg, sk.public_key, sk.public_len, msg, sizeof msg, sig, siglen,
                                   &d),
                     PS_ERR_CRYPTO);
        sig[10] ^= 1;
        cr_assert_eq(ps_key_verify(alg, sk.public_key, sk.public_len - 1, msg, sizeof msg, sig,
                                   siglen, &d),
                     PS_ERR_CRYPTO, "a short key is refused, not read past");
        cr_assert_eq(ps_key_verify(alg, sk.public_key, sk.public_len, msg, sizeof msg, sig,
                                   siglen - 1, &d),
                     PS_ERR_CRYPTO);
        ps_key_free(k);
    }
    ps_keys_master_free(m);
    ps_keys_master_free(wrong);
}

Test(keys, generate_open_sign)
{
    struct ps_store *s = open_store();
    struct ps_master_key *m = master(HEX_A), *wrong = master(HEX_B);
    struct ps_diag d = {0};
    int created = -1;
    cr_assert_eq(ps_keystore_generate_all(s, m, NULL, &created, &d), PS_OK, "%s", d.message);
    cr_assert_eq(created, PS_KEY_PURPOSE_COUNT);
    cr_assert_eq(ps_keystore_generate_all(s, m, NULL, &created, &d), PS_OK);
    cr_assert_eq(created, 0, "idempotent: no key regenerated");
    static const unsigned char msg[] = "PocketState document";
    for (int i = 0; i < PS_KEY_PURPOSE_COUNT; i++) {
        struct ps_key *k = NULL;
        cr_assert_eq(ps_keystore_open(s, m, (enum ps_key_purpose)i, &k, &d), PS_OK, "%s", d.message);
        unsigned char sig[64];
        size_t siglen = 0;
        cr_assert_eq(ps_key_sign(k, msg, sizeof msg, sig, &siglen, &d), PS_OK);
        cr_assert_eq(siglen, 64);
        if (k->alg == PS_ALG_ED25519) {
            cr_assert_eq(k->public_len, 32);
            cr_assert_not_null(ps_key_ed25519_sk(k));
            cr_assert_eq(memcmp(ps_key_ed25519_sk(k) + 32, k->public_key, 32), 0);
            cr_assert_eq(crypto_sign_verify_detached(sig, msg, sizeof msg, k->public_key), 0);
        } else {
            cr_assert_eq(k->public_len, 65);
            cr_assert_null(ps_key_ed25519_sk(k));
            cr_assert(es256_verify(k, msg, sizeof msg, sig));
        }
        ps_key_free(k);
        k = NULL;
        cr_assert_eq(ps_keystore_open(s, wrong, (enum ps_key_purpose)i, &k, &d), PS_ERR_CRYPTO);
        cr_assert_null(k);
    }
    unsigned char hash[32], back[32];
    char tok[PS_ADMIN_TOKEN_MAX];
    cr_assert_eq(ps_keystore_admin_token_get(s, back, &d), PS_ERR_NOTFOUND);
    ps_admin_token_new(tok, hash);
    cr_assert_eq(ps_keystore_admin_token_put(s, hash, NULL, &d), PS_OK, "%s", d.message);
    cr_assert_eq(ps_keystore_admin_token_put(s, hash, NULL, &d), PS_ERR_EXISTS);
    cr_assert_eq(ps_keystore_admin_token_get(s, back, &d), PS_OK);
    cr_assert_eq(memcmp(hash, back, 32), 0);
    ps_keys_master_free(m);
    ps_keys_master_free(wrong);
    ps_store_free(s);
}

/* Runs sql (pg_sql on PostgreSQL, when it differs) on the closed database directly, past the
 * store (which offers no raw SQL), and checks that it changed a row. */
static void tamper2(const char *sql, const char *pg_sql)
{
    if (pg_schema[0]) {
        PGconn *c = PQconnectdb(pg_url);
        cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
        PGresult *r = PQexec(c, pg_sql ? pg_sql : sql);
        cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s", PQresultErrorMessage(r));
        uint64_t changed = 0;
        cr_assert_eq(ps_str_to_u64(ps_str_from_cstr(PQcmdTuples(r)), &changed), PS_OK);
        cr_assert_gt(changed, 0);
        PQclear(r);
        PQfinish(c);
        return;
    }
    char path[128];
    sqlite3 *db = NULL;
    snprintf(path, sizeof path, "%s/t.db", tmpdir);
    cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
    cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
    cr_assert_gt(sqlite3_changes(db), 0);
    sqlite3_close(db);
}

static void tamper(const char *sql)
{
    tamper2(sql, NULL);
}

static struct ps_store *reopen(void)
{
    char buf[128];
    struct ps_store_opts o;
    struct ps_store *s = NULL;
    struct ps_diag d = {0};
    ps_store_opts_init(&o);
    o.url = store_url(buf, sizeof buf);
    cr_assert_eq(ps_store_open(&o, &s, &d), PS_OK, "%s", d.message);
    return s;
}

Test(keys, tampered_rows_fail)
{
    struct ps_store *s = open_store();
    struct ps_master_key *m = master(HEX_A);
    struct ps_diag d = {0};
    struct ps_key *k = NULL;
    cr_assert_eq(ps_keystore_generate_all(s, m, NULL, NULL, &d), PS_OK, "%s", d.message);
    ps_store_free(s);
    /* another valid P-256 point: the pairwise check catches it */
    tamper("UPDATE keys SET public_key = (SELECT public_key FROM keys WHERE purpose = "
           "'qr-signing') WHERE purpose = 'document-signing'");
    /* the tlog key's sealed blob moved under the QR key's id and purpose */
    tamper("UPDATE keys SET sealed_private_key = (SELECT sealed_private_key FROM keys WHERE "
           "purpose = 'tlog-signing') WHERE purpose = 'qr-signing'");
    s = reopen();
    cr_assert_eq(ps_keystore_open(s, m, PS_KEY_DOCUMENTS, &k, &d), PS_ERR_CRYPTO);
    cr_assert_eq(ps_keystore_open(s, m, PS_KEY_QR, &k, &d), PS_ERR_CRYPTO);
    cr_assert_null(k);
    cr_assert_eq(ps_keystore_open(s, m, PS_KEY_TLOG, &k, &d), PS_OK, "%s", d.message);
    ps_key_free(k);
    ps_store_free(s);
    tamper2("UPDATE keys SET public_key = zeroblob(32) WHERE purpose = 'tlog-signing'",
            "UPDATE keys SET public_key = decode(repeat('00', 32), 'hex') WHERE purpose = "
            "'tlog-signing'");
    s = reopen();
    cr_assert_eq(ps_keystore_open(s, m, PS_KEY_TLOG, &k, &d), PS_ERR_CRYPTO,
                 "Ed25519: private key must match the stored public key");
    ps_store_free(s);
    tamper("UPDATE keys SET status = 'retired'");
    s = reopen();
    cr_assert_eq(ps_keystore_open(s, m, PS_KEY_TLOG, &k, &d), PS_ERR_NOTFOUND);
    ps_store_free(s);
    ps_keys_master_free(m);
}

/* ---- key changes reach the recorder inside their transaction (rule 4) ---- */

struct rec_log {
    int calls;
    bool fail;
    char actions[8][32];
    char resources[8][256];
};

static enum ps_err rec_fn(struct ps_tx *tx, const char *action, struct ps_str resource,
                          void *ctx, struct ps_diag *diag)
{
    struct rec_log *l = ctx;
    cr_assert_not_null(tx, "called inside the transaction");
    if (l->fail)
        return ps_diag_set(diag, PS_ERR_INVALID, "recorder refused %s", action);
    cr_assert_lt(l->calls, 8);
    snprintf(l->actions[l->calls], sizeof l->actions[0], "%s", action);
    snprintf(l->resources[l->calls], sizeof l->resources[0], "%.*s", PS_STR_FMT(resource));
    l->calls++;
    return PS_OK;
}

Test(keys, changes_are_recorded_in_their_transaction)
{
    struct ps_store *s = open_store();
    struct ps_master_key *m = master(HEX_A);
    struct ps_diag d = {0};
    struct rec_log log = {.fail = true};
    struct ps_keystore_recorder rec = {rec_fn, &log};
    int created = -1;
    /* a recorder that fails rolls the keys back: nothing is created unrecorded */
    cr_assert_eq(ps_keystore_generate_all(s, m, &rec, &created, &d), PS_ERR_INVALID);
    cr_assert(strstr(d.message, "recorder refused key.create"), "%s", d.message);
    struct ps_key *k = NULL;
    cr_assert_eq(ps_keystore_open(s, m, PS_KEY_TLOG, &k, &d), PS_ERR_NOTFOUND);
    log.fail = false;
    cr_assert_eq(ps_keystore_generate_all(s, m, &rec, &created, &d), PS_OK, "%s", d.message);
    cr_assert_eq(created, PS_KEY_PURPOSE_COUNT);
    cr_assert_eq(log.calls, PS_KEY_PURPOSE_COUNT, "one record per key created");
    for (int i = 0; i < PS_KEY_PURPOSE_COUNT; i++) {
        cr_assert_str_eq(log.actions[i], "key.create");
        cr_assert_eq(ps_keystore_open(s, m, (enum ps_key_purpose)i, &k, &d), PS_OK, "%s", d.message);
        /* the record names the key that exists: purpose, id, algorithm, public key */
        char pub[128];
        sodium_bin2base64(pub, sizeof pub, k->public_key, k->public_len,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        char want[256];
        snprintf(want, sizeof want, "keys/%s/%s?alg=%s&public=%s",
                 ps_key_purpose_name((enum ps_key_purpose)i), k->id,
                 ps_key_alg_name(k->alg), pub);
        bool found = false;
        for (int j = 0; j < log.calls; j++)
            found = found || strcmp(log.resources[j], want) == 0;
        cr_assert(found, "no record %s", want);
        ps_key_free(k);
    }
    cr_assert_eq(ps_keystore_generate_all(s, m, &rec, &created, &d), PS_OK);
    cr_assert_eq(log.calls, PS_KEY_PURPOSE_COUNT, "nothing created, nothing recorded");
    /* the admin token's hash: recorded, and refused with it when the recorder fails */
    unsigned char hash[32];
    char token[PS_ADMIN_TOKEN_MAX + 1];
    ps_admin_token_new(token, hash);
    log.fail = true;
    cr_assert_eq(ps_keystore_admin_token_put(s, hash, &rec, &d), PS_ERR_INVALID);
    unsigned char got[32];
    cr_assert_eq(ps_keystore_admin_token_get(s, got, &d), PS_ERR_NOTFOUND);
    log.fail = false;
    cr_assert_eq(ps_keystore_admin_token_put(s, hash, &rec, &d), PS_OK, "%s", d.message);
    cr_assert_eq(log.calls, PS_KEY_PURPOSE_COUNT + 1);
    cr_assert_str_eq(log.actions[PS_KEY_PURPOSE_COUNT], "admin-token.set");
    cr_assert_str_eq(log.resources[PS_KEY_PURPOSE_COUNT], "meta/admin_token_sha256");
    cr_assert_null(strstr(log.resources[PS_KEY_PURPOSE_COUNT], token), "no secret in a record");
    ps_keys_master_free(m);
    ps_store_free(s);
}
