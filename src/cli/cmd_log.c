/* `pocketstate log verify|proof|key|witnesses`: checks the transparency log end to end (a local
 * database read in one snapshot, or a remote log through its C2SP checkpoint and tiles over HTTP
 * with libcurl), prints inclusion proofs and the log's note verifier key, and lists or edits
 * the witnesses whose cosignatures the log accepts. */
#include <curl/curl.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "store/store.h"
#include "tlog/access.h"
#include "tlog/checkpoint.h"
#include "tlog/integrator.h"
#include "tlog/log.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tiles.h"
#include "tlog/verify_store.h"

#define NOTE_CAP (PS_NOTE_MAX_BYTES + 1)
/* Response caps for the remote log: a whole signed note, a full hash tile, a full bundle. */
#define CAP_KEY 1024
#define CAP_HASH_TILE (PS_TILE_WIDTH * PS_HASH_LEN)
#define CAP_BUNDLE (PS_TILE_WIDTH * (2 + PS_BUNDLE_MAX_ENTRY))
#define HTTP_TIMEOUT_S 60L
#define HTTP_CONNECT_TIMEOUT_S 10L
#define URL_MAX 2048
#define B64_HASH (sodium_base64_ENCODED_LEN(PS_HASH_LEN, sodium_base64_VARIANT_ORIGINAL))

static void hash_b64(const struct ps_hash *h, char out[B64_HASH])
{
    sodium_bin2base64(out, B64_HASH, h->b, PS_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
}

/* A failure that is not a verdict, reported like one. */
static void copy_message(struct ps_tlog_report *rep, const struct ps_diag *d)
{
    _Static_assert(sizeof rep->message >= sizeof d->message, "report message too small");
    memcpy(rep->message, d->message, sizeof d->message);
}

/* ---- the local database ---- */


struct local_verify {
    const char *key;   /* --key or NULL */
    int64_t window_ms; /* --window, or -1 */
    struct ps_tlog_report rep;
    enum ps_err result;
};

static enum ps_err local_verify_tx(struct ps_tx *tx, void *arg)
{
    struct local_verify *lv = arg;
    struct ps_diag d = {0};
    struct ps_tlog_local_opts o = {.key = lv->key ? ps_str_from_cstr(lv->key) : PS_STR_NULL,
                                   .window_ms = lv->window_ms};
    lv->result = ps_tlog_verify_local(tx, &o, &lv->rep, &d);
    return PS_OK; /* the verdict is in lv; the read itself went well */
}

static int report(const char *cmd, enum ps_err result, const struct ps_tlog_report *rep)
{
    char root[B64_HASH];
    if (result == PS_ERR_CRYPTO)
        return ps_cli_failf(cmd, "%s", rep->message);
    if (result != PS_OK)
        return ps_cli_failf(cmd, "could not verify: %s", rep->message);
    hash_b64(&rep->root, root);
    printf("log verified: %" PRIu64 " entries, %" PRIu64 " checkpoints, root %s\n", rep->size,
           rep->checkpoints, root);
    return PS_EXIT_OK;
}

static int verify_local(const char *cmd, const char *dir, const char *key, int64_t window_ms)
{
    struct ps_store *store = NULL;
    struct ps_diag d = {0};
    struct local_verify lv = {.key = key, .window_ms = window_ms, .result = PS_OK};
    int rc = ps_cli_open_local(cmd, dir, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    enum ps_err err = ps_store_read(store, local_verify_tx, &lv, &d);
    if (err) {
        rc = ps_cli_failf(cmd, "could not verify: %s", d.message);
        goto out;
    }
    rc = report(cmd, lv.result, &lv.rep);
out:
    ps_store_free(store);
    return rc;
}

/* ---- the remote log over HTTP ---- */

struct remote {
    CURL *h;
    const char *base; /* without a trailing slash */
    struct ps_buf body;
    uint64_t size; /* of the fetched checkpoint */
    struct ps_buf note;
    struct ps_str entries[PS_TILE_WIDTH];
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
    struct ps_buf *b = ctx;
    size_t len;
    if (!ps_size_mul(size, n, &len) || ps_buf_append(b, p, len) != PS_OK)
        return 0; /* over the cap: curl aborts with CURLE_WRITE_ERROR */
    return len;
}

/* GET base/path into r->body, at most max bytes. PS_ERR_NOTFOUND for a 404. */
static enum ps_err http_get(struct remote *r, const char *path, size_t max, struct ps_diag *d)
{
    char url[URL_MAX];
    long status = 0;
    int n = snprintf(url, sizeof url, "%s/%s", r->base, path);
    if (n < 0 || (size_t)n >= sizeof url)
        return ps_diag_set(d, PS_ERR_LIMIT, "URL too long");
    ps_buf_reset(&r->body);
    ps_buf_init(&r->body, max);
    curl_easy_setopt(r->h, CURLOPT_URL, url);
    curl_easy_setopt(r->h, CURLOPT_WRITEDATA, &r->body);
    curl_easy_setopt(r->h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max);
    CURLcode cc = curl_easy_perform(r->h);
    if (cc == CURLE_WRITE_ERROR || cc == CURLE_FILESIZE_EXCEEDED)
        return ps_diag_set(d, PS_ERR_LIMIT, "GET %s: response larger than %zu bytes", url, max);
    if (cc != CURLE_OK)
        return ps_diag_set(d, PS_ERR_IO, "GET %s: %s", url, curl_easy_strerror(cc));
    curl_easy_getinfo(r->h, CURLINFO_RESPONSE_CODE, &status);
    if (status == 404)
        return ps_diag_set(d, PS_ERR_NOTFOUND, "GET %s: 404", url);
    if (status != 200)
        return ps_diag_set(d, PS_ERR_IO, "GET %s: HTTP status %ld", url, status);
    return PS_OK;
}

static enum ps_err r_size(void *ctx, uint64_t *out, struct ps_diag *d)
{
    struct remote *r = ctx;
    *out = r->size;
    return PS_OK;
}

static enum ps_err r_checkpoints(void *ctx, ps_tlog_row_fn row, void *rc, struct ps_diag *d)
{
    struct remote *r = ctx;
    return row(rc, r->size, ps_buf_str(&r->note));
}

/* Fetches tile t; PS_OK with *ok false when the log does not have it (the verifier then
 * reports the rows as missing). */
static enum ps_err get_tile(struct remote *r, const struct ps_tile *t, size_t max, bool *ok,
                            struct ps_diag *d)
{
    char path[PS_TILE_PATH_MAX];
    *ok = false;
    if (ps_tile_path(t, path, NULL) != PS_OK)
        return ps_diag_set(d, PS_ERR_INTERNAL, "bad tile");
    enum ps_err err = http_get(r, path, max, d);
    if (err == PS_ERR_NOTFOUND)
        return PS_OK;
    *ok = err == PS_OK;
    return err;
}

static enum ps_err r_entries(void *ctx, uint64_t first, uint64_t count, ps_tlog_row_fn row,
                             void *rc, struct ps_diag *d)
{
    struct remote *r = ctx;
    for (uint64_t n = first / PS_TILE_WIDTH; count && n <= (first + count - 1) / PS_TILE_WIDTH;
         n++) {
        uint64_t lo = n * PS_TILE_WIDTH;
        if (lo >= r->size)
            break;
        unsigned w = r->size - lo < PS_TILE_WIDTH ? (unsigned)(r->size - lo) : PS_TILE_WIDTH;
        struct ps_tile t = {true, 0, n, w};
        size_t got = 0;
        bool ok;
        enum ps_err err = get_tile(r, &t, CAP_BUNDLE, &ok, d);
        if (err)
            return err;
        if (!ok || ps_bundle_parse(ps_buf_str(&r->body), r->entries, w, &got, d) != PS_OK)
            continue;
        for (size_t i = 0; i < got; i++) {
            uint64_t idx = lo + i;
            if (idx >= first && idx - first < count) {
                err = row(rc, idx, r->entries[i]);
                if (err)
                    return err;
            }
        }
    }
    return PS_OK;
}

static enum ps_err r_hashes(void *ctx, unsigned level, uint64_t first, uint64_t count,
                            ps_tlog_row_fn row, void *rc, struct ps_diag *d)
{
    struct remote *r = ctx;
    if (level % PS_TILE_HEIGHT != 0 || level >= 64)
        return PS_OK;
    uint64_t have = r->size >> level;
    for (uint64_t n = first / PS_TILE_WIDTH; count && n <= (first + count - 1) / PS_TILE_WIDTH;
         n++) {
        uint64_t lo = n * PS_TILE_WIDTH;
        if (lo >= have)
            break;
        unsigned w = have - lo < PS_TILE_WIDTH ? (unsigned)(have - lo) : PS_TILE_WIDTH;
        struct ps_tile t = {false, level / PS_TILE_HEIGHT, n, w};
        bool ok;
        enum ps_err err = get_tile(r, &t, CAP_HASH_TILE, &ok, d);
        if (err)
            return err;
        if (!ok || r->body.len != (size_t)w * PS_HASH_LEN)
            continue;
        for (unsigned i = 0; i < w; i++) {
            uint64_t idx = lo + i;
            if (idx >= first && idx - first < count) {
                err =
                    row(rc, idx, (struct ps_str){r->body.p + (size_t)i * PS_HASH_LEN, PS_HASH_LEN});
                if (err)
                    return err;
            }
        }
    }
    return PS_OK;
}

/* The latest checkpoint's size, taken only once the note verifies under key with key's name
 * as origin: the size bounds every tile fetched afterwards, so a forged size must not send the
 * walk off for billions of entries. ps_tlog_verify checks the same note again with the rest. */
static enum ps_err note_size(struct ps_str msg, const struct ps_note_verifier *key,
                             uint64_t *size, struct ps_diag *d)
{
    struct ps_checkpoint c;
    struct ps_checkpoint_policy pol = {
        .origin = {key->name, key->name_len}, .log_keys = key, .nlog_keys = 1};
    struct ps_note *n = ps_malloc(sizeof *n);
    if (!n)
        return ps_diag_set(d, PS_ERR_NOMEM, "out of memory");
    enum ps_err err = ps_checkpoint_open(msg, &pol, n, &c, NULL, d);
    if (!err)
        *size = c.size;
    ps_free(n);
    if (err) {
        char why[sizeof d->message];
        memcpy(why, d->message, sizeof why);
        err = ps_diag_set(d, err, "the log's latest checkpoint does not verify: %s", why);
    }
    return err;
}

static enum ps_err remote_key(struct remote *r, const char *flag, struct ps_note_verifier *key,
                              struct ps_diag *d)
{
    if (flag)
        return ps_note_verifier_parse(ps_str_from_cstr(flag), key, d);
    enum ps_err err = http_get(r, ".well-known/pocketstate/log-key", CAP_KEY, d);
    if (err)
        return err;
    struct ps_str k = ps_buf_str(&r->body);
    while (k.len > 0 && (k.p[k.len - 1] == '\n' || k.p[k.len - 1] == '\r'))
        k.len--;
    fprintf(stderr, "pocketstate: log verify: trusting the key the log itself serves; pass "
                    "--key to pin it\n");
    return ps_note_verifier_parse(k, key, d);
}

static int verify_remote(const char *cmd, const char *url, const char *keyflag)
{
    struct remote r = {.base = url};
    struct ps_note_verifier key;
    struct ps_tlog_report rep;
    struct ps_diag d = {0};
    enum ps_err err;
    int rc;
    ps_buf_init(&r.body, 0);
    ps_buf_init(&r.note, PS_NOTE_MAX_BYTES);
    if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
        return ps_cli_usage(cmd, "--url: expected http:// or https://");
    char base[URL_MAX];
    size_t blen = strlen(url);
    while (blen > 0 && url[blen - 1] == '/')
        blen--;
    if (ps_str_copy(base, sizeof base, (struct ps_str){url, blen}) != PS_OK)
        return ps_cli_usage(cmd, "--url: too long");
    r.base = base;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return ps_cli_failf(cmd, "cannot initialise libcurl");
    r.h = curl_easy_init();
    if (!r.h) {
        rc = ps_cli_failf(cmd, "cannot initialise libcurl");
        goto out;
    }
    curl_easy_setopt(r.h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(r.h, CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
    curl_easy_setopt(r.h, CURLOPT_CONNECTTIMEOUT, HTTP_CONNECT_TIMEOUT_S);
    curl_easy_setopt(r.h, CURLOPT_ACCEPT_ENCODING, ""); /* gzip bundles, capped decoded */
    curl_easy_setopt(r.h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(r.h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(r.h, CURLOPT_USERAGENT, "pocketstate/" PS_VERSION " log verify");
    err = remote_key(&r, keyflag, &key, &d);
    if (!err)
        err = http_get(&r, "checkpoint", PS_NOTE_MAX_BYTES, &d);
    if (!err)
        err = ps_buf_append_str(&r.note, ps_buf_str(&r.body));
    if (!err)
        err = note_size(ps_buf_str(&r.note), &key, &r.size, &d);
    if (err) {
        rc = ps_cli_failf(cmd, "could not verify: %s", d.message);
        goto out;
    }
    struct ps_tlog_source src = {.size = r_size,
                                 .checkpoints = r_checkpoints,
                                 .entries = r_entries,
                                 .hashes = r_hashes,
                                 .ctx = &r};
    struct ps_tlog_verify_opts o = {.keys = &key, .nkeys = 1};
    err = ps_tlog_verify(&src, &o, &rep, &d);
    if (err != PS_OK && err != PS_ERR_CRYPTO)
        copy_message(&rep, &d);
    rc = report(cmd, err, &rep);
out:
    curl_easy_cleanup(r.h);
    curl_global_cleanup();
    ps_buf_reset(&r.body);
    ps_buf_reset(&r.note);
    return rc;
}

/* ---- log verify ---- */

enum { V_DATA, V_URL, V_KEY, V_WINDOW, NV };
static const struct ps_cli_flag verify_flags[NV] = {
    [V_DATA] = {"--data", "DIR",
                "verify the database of this data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [V_URL] = {"--url", "URL", "verify a remote log: its /checkpoint and /tile/... under URL"},
    [V_KEY] = {"--key", "VKEY",
               "the log's note verifier key (default: from the keys table, "
               "or the log's /.well-known/pocketstate/log-key)"},
    [V_WINDOW] = {"--window", "SECONDS",
                  "with --data: records older than this before the newest one must be in the log "
                  "(default 80, what a running integrator guarantees; 0: every record, for a "
                  "log at rest)"},
};

static int run_verify(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    if (vals[V_DATA] && vals[V_URL])
        return ps_cli_usage(cmd->name, "--data and --url exclude each other");
    if (vals[V_KEY]) {
        struct ps_note_verifier k;
        struct ps_diag d = {0};
        if (ps_note_verifier_parse(ps_str_from_cstr(vals[V_KEY]), &k, &d) != PS_OK)
            return ps_cli_usage(cmd->name, "--key: %s", d.message);
        if (k.type != PS_NOTE_ED25519)
            return ps_cli_usage(cmd->name, "--key: not an Ed25519 (0x01) note key");
    }
    uint64_t window_s = PS_TLOG_VERIFY_WINDOW_MS / 1000;
    if (vals[V_WINDOW] && vals[V_URL])
        return ps_cli_usage(cmd->name, "--window goes with --data");
    if (vals[V_WINDOW]) {
        int rc = ps_cli_u64(cmd->name, "--window", vals[V_WINDOW], 0, 86400 * 366, &window_s);
        if (rc != PS_CLI_CONTINUE)
            return rc;
    }
    if (vals[V_URL])
        return verify_remote(cmd->name, vals[V_URL], vals[V_KEY]);
    return verify_local(cmd->name, vals[V_DATA] ? vals[V_DATA] : PS_DEFAULT_DATA_DIR, vals[V_KEY],
                        (int64_t)window_s * 1000);
}

static const struct ps_cli_cmd cmd_verify = {
    .name = "log verify",
    .summary = "recompute the whole log and check every stored hash and checkpoint",
    .help = "Reads every entry of the transparency log in index order, recomputes the leaf\n"
            "hashes and the Merkle tree, and checks: indexes contiguous from 0, entries in\n"
            "canonical JSON, every stored tile hash, every checkpoint's signature (the log\n"
            "key), origin, size and root, and an RFC 9162 consistency proof between successive\n"
            "checkpoints. --data reads one snapshot of the local database (it may be serving)\n"
            "and also checks that every checkpoint names the one signed before it, that every\n"
            "stored witness cosignature has its checkpoint (and verifies, for a configured\n"
            "witness), that every entry matches the access record it was made from, and that\n"
            "every record older than --window before the newest is in the log. --url fetches\n"
            "the latest /checkpoint and every tile of a remote log. Prints\n"
            "\"log verified: N entries, K checkpoints, root B64\" and exits 0, or names the\n"
            "first bad entry, hash or checkpoint and exits 1.",
    .flags = verify_flags,
    .nflags = NV,
    .run = run_verify,
};

/* ---- log proof ---- */

enum { P_SIZE, P_DATA, NP };
static const struct ps_cli_flag proof_flags[NP] = {
    [P_SIZE] = {"--size", "N", "tree size (default: the latest checkpoint's)"},
    [P_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
};

struct proof_job {
    uint64_t index, size; /* size 0: latest */
    bool size_given;
    char *note;
    struct ps_hash leaf, root;
    struct ps_merkle_proof proof;
    struct ps_diag d;
};

static enum ps_err proof_tx(struct ps_tx *tx, void *arg)
{
    struct proof_job *pj = arg;
    struct ps_tlog_provider tp;
    struct ps_merkle_provider all;
    uint64_t latest = 0;
    enum ps_err err = ps_tlog_store_latest_checkpoint(tx, pj->note, NOTE_CAP, &latest, &pj->d);
    if (err)
        return err;
    if (!pj->size_given)
        pj->size = latest;
    if (pj->size > latest)
        return ps_diag_set(&pj->d, PS_ERR_INVALID,
                           "size %" PRIu64 " is beyond the latest checkpoint (%" PRIu64 ")",
                           pj->size, latest);
    if (pj->index >= pj->size)
        return ps_diag_set(&pj->d, PS_ERR_INVALID, "index %" PRIu64 " is not below size %" PRIu64,
                           pj->index, pj->size);
    ps_tlog_provider_init(&tp, tx, &all);
    err = all.hashes(all.ctx, 0, pj->index, 1, &pj->leaf);
    if (!err)
        err = ps_merkle_root(&all, pj->size, &pj->root);
    if (!err)
        err = ps_merkle_inclusion_proof(&all, pj->index, pj->size, &pj->proof);
    if (!err)
        err = ps_merkle_verify_inclusion(&pj->leaf, pj->index, pj->size, pj->proof.h, pj->proof.len,
                                         &pj->root);
    if (err)
        return ps_diag_set(&pj->d, err, "cannot build the proof from the stored hashes (%s)",
                           ps_err_name(err));
    return PS_OK;
}

static void print_proof(const struct proof_job *pj)
{
    char b[B64_HASH];
    hash_b64(&pj->leaf, b);
    printf("{\"index\":%" PRIu64 ",\"size\":%" PRIu64 ",\"leaf_hash\":\"%s\"", pj->index, pj->size,
           b);
    hash_b64(&pj->root, b);
    printf(",\"root\":\"%s\",\"path\":[", b);
    for (size_t i = 0; i < pj->proof.len; i++) {
        hash_b64(&pj->proof.h[i], b);
        printf("%s\"%s\"", i ? "," : "", b);
    }
    printf("]}\n");
}

static int run_proof(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    const char *name = cmd->name, *index = vals[NP];
    struct proof_job pj = {0};
    struct ps_store *store = NULL;
    struct ps_diag d = {0};
    if (!index)
        return ps_cli_usage(name, "missing INDEX");
    int rc = ps_cli_u64(name, "INDEX", index, 0, INT64_MAX - 1, &pj.index);
    if (rc == PS_CLI_CONTINUE && vals[P_SIZE]) {
        pj.size_given = true;
        rc = ps_cli_u64(name, "--size", vals[P_SIZE], 1, INT64_MAX, &pj.size);
    }
    if (rc != PS_CLI_CONTINUE)
        return rc;
    rc = ps_cli_open_local(name, vals[P_DATA] ? vals[P_DATA] : PS_DEFAULT_DATA_DIR, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    pj.note = ps_malloc(NOTE_CAP);
    if (!pj.note) {
        rc = ps_cli_failf(name, "out of memory");
        goto out;
    }
    if (ps_store_read(store, proof_tx, &pj, &d) != PS_OK) {
        rc = ps_cli_fail(name, pj.d.message[0] ? &pj.d : &d);
        goto out;
    }
    print_proof(&pj);
    rc = PS_EXIT_OK;
out:
    ps_free(pj.note);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_proof = {
    .name = "log proof",
    .summary = "print the inclusion proof of entry INDEX as JSON",
    .help = "Prints {\"index\",\"size\",\"leaf_hash\",\"root\",\"path\"} (hashes in base64) for\n"
            "entry INDEX in the tree of the latest checkpoint, or of --size N (at most the\n"
            "latest checkpoint's size). The proof is checked before it is printed.",
    .flags = proof_flags,
    .nflags = NP,
    .positional = "INDEX",
    .run = run_proof,
};

/* ---- log key ---- */

enum { K_DATA, NK };
static const struct ps_cli_flag key_flags[NK] = {
    [K_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
};

struct key_job {
    struct ps_note_verifier keys[PS_TLOG_MAX_LOG_KEYS];
    size_t nkeys;
    struct ps_diag d;
};

static enum ps_err key_tx(struct ps_tx *tx, void *arg)
{
    struct key_job *kj = arg;
    return ps_tlog_store_current_keys(tx, kj->keys, PS_TLOG_MAX_LOG_KEYS, &kj->nkeys, &kj->d);
}

static int run_key(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct key_job kj = {0};
    struct ps_store *store = NULL;
    struct ps_diag d = {0};
    struct ps_buf out;
    int rc = ps_cli_open_local(cmd->name, vals[K_DATA] ? vals[K_DATA] : PS_DEFAULT_DATA_DIR, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    ps_buf_init(&out, 1024);
    if (ps_store_read(store, key_tx, &kj, &d) != PS_OK) {
        rc = ps_cli_fail(cmd->name, kj.d.message[0] ? &kj.d : &d);
        goto out;
    }
    if (ps_note_verifier_format(&kj.keys[0], &out) != PS_OK) {
        rc = ps_cli_failf(cmd->name, "cannot format the key");
        goto out;
    }
    printf("%.*s\n", PS_STR_FMT(ps_buf_str(&out)));
    rc = PS_EXIT_OK;
out:
    ps_buf_reset(&out);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_key = {
    .name = "log key",
    .summary = "print the log's note verifier key",
    .help = "Prints the verifier key of the active checkpoint-signing key,\n"
            "\"<origin>+<key id>+<base64 key>\" (C2SP signed-note), for --key and for witnesses.",
    .flags = key_flags,
    .nflags = NK,
    .run = run_key,
};

/* ---- log witnesses ---- */

enum { W_DATA, W_ADD, W_REMOVE, W_REASON, NW };
static const struct ps_cli_flag witnesses_flags[NW] = {
    [W_DATA] = {"--data", "DIR", "data directory (default " PS_DEFAULT_DATA_DIR ")"},
    [W_ADD] = {"--add", "VKEY", "add the witness of this cosignature/v1 verifier key"},
    [W_REMOVE] = {"--remove", "NAME", "remove the witness of this name"},
    [W_REASON] = {"--reason", "TEXT",
                  "why, recorded in the log's change entry (default \"witness configuration\")"},
};

struct witness_job {
    const char *add, *remove; /* at most one; neither: list */
    struct ps_str reason;
    struct ps_note_verifier v[PS_TLOG_MAX_WITNESSES]; /* list: all; add/remove: v[0] */
    size_t n;
    struct ps_diag d;
};

static enum ps_err witness_list_tx(struct ps_tx *tx, void *arg)
{
    struct witness_job *wj = arg;
    return ps_tlog_witnesses(tx, wj->v, PS_TLOG_MAX_WITNESSES, &wj->n, &wj->d);
}

static enum ps_err witness_edit_tx(struct ps_tx *tx, void *arg)
{
    struct witness_job *wj = arg;
    struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = PS_STR("local-admin")};
    ps_diag_clear(&wj->d); /* the job may run again */
    if (wj->add)
        return ps_tlog_witness_add(tx, &admin, ps_str_from_cstr(wj->add), wj->reason, &wj->v[0],
                                   &wj->d);
    return ps_tlog_witness_remove(tx, &admin, ps_str_from_cstr(wj->remove), wj->reason,
                                  &wj->v[0], &wj->d);
}

/* Prints the keys of wj (all of them, or the one added or removed after `what`). */
static int witness_print(const char *cmd, const struct witness_job *wj, const char *what)
{
    int rc = PS_EXIT_OK;
    for (size_t i = 0; i < wj->n && rc == PS_EXIT_OK; i++) {
        struct ps_buf out;
        ps_buf_init(&out, PS_NOTE_MAX_NAME + 64);
        if (ps_note_verifier_format(&wj->v[i], &out) != PS_OK)
            rc = ps_cli_failf(cmd, "cannot format a witness key");
        else
            printf("%s%.*s\n", what, PS_STR_FMT(ps_buf_str(&out)));
        ps_buf_reset(&out);
    }
    return rc;
}

static int run_witnesses(const struct ps_cli_cmd *cmd, const char *const *vals)
{
    struct witness_job *wj = NULL;
    struct ps_store *store = NULL;
    struct ps_diag d = {0};
    if (vals[W_ADD] && vals[W_REMOVE])
        return ps_cli_usage(cmd->name, "--add and --remove exclude each other");
    if (vals[W_REASON] && !vals[W_ADD] && !vals[W_REMOVE])
        return ps_cli_usage(cmd->name, "--reason goes with --add or --remove");
    int rc = ps_cli_open_local(cmd->name, vals[W_DATA] ? vals[W_DATA] : PS_DEFAULT_DATA_DIR, &store);
    if (rc != PS_CLI_CONTINUE)
        return rc;
    wj = ps_calloc(1, sizeof *wj);
    if (!wj) {
        rc = ps_cli_failf(cmd->name, "out of memory");
        goto out;
    }
    wj->add = vals[W_ADD];
    wj->remove = vals[W_REMOVE];
    wj->reason = ps_str_from_cstr(vals[W_REASON] ? vals[W_REASON] : "witness configuration");
    bool edit = wj->add || wj->remove;
    enum ps_err err = edit ? ps_store_write(store, witness_edit_tx, wj, &d)
                           : ps_store_read(store, witness_list_tx, wj, &d);
    if (err != PS_OK) {
        rc = ps_cli_fail(cmd->name, wj->d.message[0] ? &wj->d : &d);
        goto out;
    }
    /* the change record into the log now: no integrator may be running */
    if (edit && ps_tlog_sequence_pending(store, NULL, &d) != PS_OK)
        fprintf(stderr, "pocketstate: %s: the change is made; its record waits for the next "
                        "serve to enter the log (%s)\n", cmd->name, d.message);
    if (edit)
        wj->n = 1;
    rc = witness_print(cmd->name, wj, !edit ? "" : wj->add ? "added witness " : "removed witness ");
out:
    ps_free(wj);
    ps_store_free(store);
    return rc;
}

static const struct ps_cli_cmd cmd_witnesses = {
    .name = "log witnesses",
    .summary = "list, add or remove the witnesses whose cosignatures the log accepts",
    .help = "Without --add or --remove, prints the configured witness verifier keys, one per\n"
            "line (nothing when none). --add VKEY adds a witness (a C2SP cosignature/v1 key,\n"
            "\"<name>+<key id>+<base64>\"; at most 16, one per name); --remove NAME removes\n"
            "one. Each change is one transaction in the database (a serving log accepts the\n"
            "new list at once, no restart) together with its change entry in the log\n"
            "(tlog.witness.add / tlog.witness.remove, resource witnesses/<name>+<key id>,\n"
            "actor admin local-admin, the --reason). Prints \"added witness VKEY\" or\n"
            "\"removed witness VKEY\" and exits 0, or says why not and exits 1.",
    .flags = witnesses_flags,
    .nflags = NW,
    .run = run_witnesses,
};

/* ---- dispatch: pocketstate log SUBCOMMAND ---- */

static const struct ps_cli_cmd *const subs[] = {&cmd_verify, &cmd_proof, &cmd_key,
                                                &cmd_witnesses};
#define NSUBS (sizeof subs / sizeof subs[0])

static void log_help(void)
{
    printf("Usage: pocketstate log SUBCOMMAND [OPTIONS]\n\nSubcommands:\n");
    for (size_t i = 0; i < NSUBS; i++)
        printf("  %-12s %s\n", subs[i]->name + 4, subs[i]->summary);
    printf("\nRun 'pocketstate log SUBCOMMAND --help' (or 'pocketstate help log SUBCOMMAND')"
           " for its options.\n");
}

static int log_dispatch(const struct ps_cli_cmd *cmd, int argc, char **argv)
{
    const char *vals[PS_CLI_MAX_FLAGS];
    if (argc < 1)
        return ps_cli_usage("log", "missing subcommand (verify, proof, key, witnesses)");
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        log_help();
        return PS_EXIT_OK;
    }
    for (size_t i = 0; i < NSUBS; i++) {
        const struct ps_cli_cmd *s = subs[i];
        if (strcmp(argv[0], s->name + 4) != 0)
            continue;
        int rc = ps_cli_parse(s, argc - 1, argv + 1, vals);
        if (rc != PS_CLI_CONTINUE)
            return rc;
        return s->run(s, vals);
    }
    return ps_cli_usage("log", "unknown subcommand '%.64s' (verify, proof, key, witnesses)",
                        argv[0]);
}

const struct ps_cli_cmd ps_cli_cmd_log = {
    .name = "log",
    .summary = "verify the transparency log, print proofs and its key, configure witnesses",
    .help = "Subcommands:\n"
            "  log verify [--data DIR | --url URL] [--key VKEY]\n"
            "  log proof INDEX [--size N] [--data DIR]\n"
            "  log key [--data DIR]\n"
            "  log witnesses [--data DIR] [--add VKEY | --remove NAME] [--reason TEXT]\n"
            "Run 'pocketstate log SUBCOMMAND --help' for each.",
    .dispatch = log_dispatch,
};
