/* C2SP signed notes: strict parsing, Ed25519 and cosignature/v1 signing and verification,
 * verifier and signer keys. Key material and signatures go through libsodium; the key-id hash
 * through OpenSSL, like every other SHA-256 of the log. */
#include "tlog/note.h"

#include <openssl/evp.h>
#include <sodium.h>
#include <string.h>

#include "core/alloc.h"

#define SIG_PREFIX_LEN 4 /* strlen(PS_NOTE_SIG_PREFIX) */
#define ED25519_SIG_LEN 64
#define COSIG_SIG_LEN (8 + ED25519_SIG_LEN)
#define COSIG_HEADER "cosignature/v1\ntime "

struct ps_note_signer {
    struct ps_note_verifier v;
    uint8_t sk[crypto_sign_SECRETKEYBYTES];
};

/* ---- small helpers ---- */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint64_t be64(const uint8_t *p)
{
    return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void put_be64(uint8_t *p, uint64_t v)
{
    put_be32(p, (uint32_t)(v >> 32));
    put_be32(p + 4, (uint32_t)v);
}

/* Decimal digits of v into out (at least 20 bytes), no NUL; returns the length. */
static size_t fmt_u64(uint64_t v, char *out)
{
    char tmp[20];
    size_t n = 0, i = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        out[i++] = tmp[--n];
    return i;
}

/* Decodes one UTF-8 sequence at s[*i] strictly (no overlongs, surrogates or values above
 * U+10FFFF); advances *i. */
static bool utf8_next(const uint8_t *s, size_t len, size_t *i, uint32_t *cp)
{
    uint8_t c = s[*i];
    size_t n;
    uint32_t v, min;
    if (c < 0x80) {
        *cp = c;
        (*i)++;
        return true;
    } else if ((c & 0xE0) == 0xC0) {
        n = 2, v = c & 0x1F, min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        n = 3, v = c & 0x0F, min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        n = 4, v = c & 0x07, min = 0x10000;
    } else {
        return false;
    }
    if (len - *i < n)
        return false;
    for (size_t k = 1; k < n; k++) {
        if ((s[*i + k] & 0xC0) != 0x80)
            return false;
        v = v << 6 | (s[*i + k] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return false;
    *cp = v;
    *i += n;
    return true;
}

/* Unicode White_Space (what Go's unicode.IsSpace reports). */
static bool is_unicode_space(uint32_t c)
{
    return c == ' ' || (c >= 0x09 && c <= 0x0D) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* Valid UTF-8 with no control character below U+0020 except '\n'; *bad gets the offset. */
static bool text_chars_ok(struct ps_str s, size_t *bad)
{
    const uint8_t *p = (const uint8_t *)s.p;
    size_t i = 0;
    while (i < s.len) {
        uint32_t cp;
        size_t at = i;
        if (!utf8_next(p, s.len, &i, &cp) || (cp < 0x20 && cp != '\n')) {
            *bad = at;
            return false;
        }
    }
    return true;
}

bool ps_note_name_valid(struct ps_str name)
{
    const uint8_t *p = (const uint8_t *)name.p;
    size_t i = 0;
    if (name.len == 0 || name.len > PS_NOTE_MAX_NAME)
        return false;
    while (i < name.len) {
        uint32_t cp;
        if (!utf8_next(p, name.len, &i, &cp) || cp < 0x20 || cp == 0x7F || cp == '+' ||
            is_unicode_space(cp))
            return false;
    }
    return true;
}

static enum ps_err sha256(const void *a, size_t alen, const void *b, size_t blen, uint8_t out[32])
{
    enum ps_err err = PS_ERR_CRYPTO;
    unsigned int n = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return PS_ERR_CRYPTO;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
        (alen == 0 || EVP_DigestUpdate(ctx, a, alen) == 1) &&
        (blen == 0 || EVP_DigestUpdate(ctx, b, blen) == 1) &&
        EVP_DigestFinal_ex(ctx, out, &n) == 1 && n == 32)
        err = PS_OK;
    EVP_MD_CTX_free(ctx);
    return err;
}

enum ps_err ps_note_key_id(struct ps_str name, uint8_t type, const uint8_t *pub, size_t pub_len,
                           uint32_t *out)
{
    uint8_t tail[2 + 64], h[32];
    if (pub_len > 64)
        return PS_ERR_INVALID;
    tail[0] = '\n';
    tail[1] = type;
    memcpy(tail + 2, pub, pub_len);
    enum ps_err err = sha256(name.p, name.len, tail, 2 + pub_len, h);
    if (err)
        return err;
    *out = be32(h);
    return PS_OK;
}

static bool b64_alphabet(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
}

bool ps_note_b64_decode(struct ps_str b64, uint8_t *out, size_t cap, size_t *len)
{
    if (!b64.p || b64.len == 0 || b64.len % 4 != 0)
        return false;
    /* the alphabet is checked here: libsodium 1.0.18 decodes some bytes >= 0x80 */
    size_t pad = b64.p[b64.len - 1] == '=' ? (b64.p[b64.len - 2] == '=' ? 2 : 1) : 0;
    for (size_t i = 0; i < b64.len - pad; i++)
        if (!b64_alphabet(b64.p[i]))
            return false;
    /* libsodium checks the padding length and that unused bits are zero (canonical form) */
    return sodium_base642bin(out, cap, b64.p, b64.len, NULL, len, NULL,
                             sodium_base64_VARIANT_ORIGINAL) == 0;
}

static bool b64_decode(struct ps_str b64, uint8_t *out, size_t cap, size_t *len)
{
    return ps_note_b64_decode(b64, out, cap, len);
}

static enum ps_err b64_append(struct ps_buf *out, const uint8_t *bin, size_t len)
{
    char tmp[sodium_base64_ENCODED_LEN(4 + COSIG_SIG_LEN, sodium_base64_VARIANT_ORIGINAL)];
    PS_ASSERT(len <= 4 + COSIG_SIG_LEN);
    sodium_bin2base64(tmp, sizeof tmp, bin, len, sodium_base64_VARIANT_ORIGINAL);
    return ps_buf_append_cstr(out, tmp);
}

/* ---- parsing ---- */

static enum ps_err parse_sig_line(struct ps_str line, struct ps_note_sig *sig, size_t n,
                                  struct ps_diag *diag)
{
    static uint8_t const prefix[] = PS_NOTE_SIG_PREFIX;
    if (line.len < SIG_PREFIX_LEN || memcmp(line.p, prefix, SIG_PREFIX_LEN) != 0)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "signature line %zu does not start with an "
                           "em dash and a space",
                           n + 1);
    const char *name = line.p + SIG_PREFIX_LEN;
    size_t rest = line.len - SIG_PREFIX_LEN;
    const char *sp = memchr(name, ' ', rest);
    if (!sp)
        return ps_diag_set(diag, PS_ERR_INVALID, "signature line %zu has no signature", n + 1);
    sig->name = (struct ps_str){name, (size_t)(sp - name)};
    sig->b64 = (struct ps_str){sp + 1, rest - sig->name.len - 1};
    if (!ps_note_name_valid(sig->name))
        return ps_diag_set(diag, PS_ERR_INVALID, "signature line %zu has an invalid key name",
                           n + 1);
    /* decoded size is checked before decoding: 4 characters make 3 bytes */
    if (sig->b64.len > (PS_NOTE_MAX_SIG_BYTES + 2) / 3 * 4)
        return ps_diag_set(diag, PS_ERR_LIMIT, "signature %zu is too long", n + 1);
    uint8_t buf[PS_NOTE_MAX_SIG_BYTES];
    size_t len = 0;
    if (!b64_decode(sig->b64, buf, sizeof buf, &len) || len < 5)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "signature %zu is not base64 of a key id and "
                           "a signature",
                           n + 1);
    sig->key_id = be32(buf);
    sig->sig_len = len - 4;
    return PS_OK;
}

enum ps_err ps_note_parse(struct ps_str msg, struct ps_note *note, struct ps_diag *diag)
{
    size_t bad = 0;
    note->nsigs = 0;
    note->text = PS_STR_NULL;
    if (msg.len > PS_NOTE_MAX_BYTES)
        return ps_diag_set(diag, PS_ERR_LIMIT, "note is larger than %d bytes", PS_NOTE_MAX_BYTES);
    if (!msg.p || msg.len == 0 || msg.p[msg.len - 1] != '\n')
        return ps_diag_set(diag, PS_ERR_INVALID, "note does not end in a newline");
    if (!text_chars_ok(msg, &bad))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "note has invalid UTF-8 or a control "
                           "character at byte %zu",
                           bad);
    /* the text ends at the last blank line: search for the last "\n\n" */
    size_t split = msg.len;
    for (size_t i = msg.len - 1; i-- > 0;)
        if (msg.p[i] == '\n' && msg.p[i + 1] == '\n') {
            split = i;
            break;
        }
    if (split == msg.len)
        return ps_diag_set(diag, PS_ERR_INVALID, "note has no blank line before signatures");
    struct ps_str text = {msg.p, split + 1};
    size_t at = split + 2, n = 0;
    if (at >= msg.len)
        return ps_diag_set(diag, PS_ERR_INVALID, "note has no signatures");
    while (at < msg.len) {
        const char *nl = memchr(msg.p + at, '\n', msg.len - at);
        struct ps_str line = {msg.p + at, (size_t)(nl - (msg.p + at))};
        if (n == PS_NOTE_MAX_SIGS)
            return ps_diag_set(diag, PS_ERR_LIMIT, "note has more than %d signatures",
                               PS_NOTE_MAX_SIGS);
        enum ps_err err = parse_sig_line(line, &note->sigs[n], n, diag);
        if (err)
            return err;
        n++;
        at += line.len + 1;
    }
    note->text = text;
    note->nsigs = n;
    return PS_OK;
}

/* ---- keys ---- */

static bool type_ok(uint8_t type)
{
    return type == PS_NOTE_ED25519 || type == PS_NOTE_COSIG_V1;
}

enum ps_err ps_note_verifier_init(struct ps_note_verifier *v, struct ps_str name, uint8_t type,
                                  const uint8_t pub[PS_NOTE_PUBLIC_KEY_LEN])
{
    struct ps_note_verifier t;
    memset(&t, 0, sizeof t);
    if (!ps_note_name_valid(name) || !type_ok(type))
        return PS_ERR_INVALID;
    memcpy(t.name, name.p, name.len);
    t.name_len = name.len;
    t.type = type;
    memcpy(t.pub, pub, PS_NOTE_PUBLIC_KEY_LEN);
    enum ps_err err = ps_note_key_id(name, type, pub, PS_NOTE_PUBLIC_KEY_LEN, &t.key_id);
    if (err)
        return err;
    *v = t;
    return PS_OK;
}

static bool parse_hex32(struct ps_str s, uint32_t *out)
{
    uint32_t v = 0;
    if (s.len != 8)
        return false;
    for (size_t i = 0; i < 8; i++) {
        char c = s.p[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return false;
        v = v << 4 | d;
    }
    *out = v;
    return true;
}

/* Splits "<name>+<hex id>+<base64>" (the name holds no '+'; the base64 may). */
static enum ps_err split_key(struct ps_str key, struct ps_str *name, uint32_t *id,
                             struct ps_str *b64, struct ps_diag *diag)
{
    const char *p1 = key.p ? memchr(key.p, '+', key.len) : NULL;
    if (!p1)
        return ps_diag_set(diag, PS_ERR_INVALID, "key has no + after its name");
    *name = (struct ps_str){key.p, (size_t)(p1 - key.p)};
    size_t rest = key.len - name->len - 1;
    const char *p2 = memchr(p1 + 1, '+', rest);
    if (!p2)
        return ps_diag_set(diag, PS_ERR_INVALID, "key has no + after its key id");
    struct ps_str hex = {p1 + 1, (size_t)(p2 - p1 - 1)};
    *b64 = (struct ps_str){p2 + 1, rest - hex.len - 1};
    if (!ps_note_name_valid(*name))
        return ps_diag_set(diag, PS_ERR_INVALID, "key name is invalid");
    if (!parse_hex32(hex, id))
        return ps_diag_set(diag, PS_ERR_INVALID, "key id is not 8 hex digits");
    return PS_OK;
}

enum ps_err ps_note_verifier_parse(struct ps_str vkey, struct ps_note_verifier *out,
                                   struct ps_diag *diag)
{
    struct ps_str name, b64;
    uint32_t id = 0;
    uint8_t raw[1 + PS_NOTE_PUBLIC_KEY_LEN + 1];
    size_t len = 0;
    enum ps_err err = split_key(vkey, &name, &id, &b64, diag);
    if (err)
        return err;
    if (!b64_decode(b64, raw, sizeof raw, &len) || len != 1 + PS_NOTE_PUBLIC_KEY_LEN)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "key is not base64 of a type byte and a "
                           "32-byte public key");
    if (!type_ok(raw[0]))
        return ps_diag_set(diag, PS_ERR_INVALID, "key type 0x%02x is not supported", raw[0]);
    struct ps_note_verifier v;
    err = ps_note_verifier_init(&v, name, raw[0], raw + 1);
    if (err)
        return ps_diag_set(diag, err, "cannot derive the key id");
    if (v.key_id != id)
        return ps_diag_set(diag, PS_ERR_INVALID, "key id %08x does not match the key (%08x)", id,
                           v.key_id);
    *out = v;
    return PS_OK;
}

enum ps_err ps_note_verifier_format(const struct ps_note_verifier *v, struct ps_buf *out)
{
    uint8_t raw[1 + PS_NOTE_PUBLIC_KEY_LEN];
    raw[0] = v->type;
    memcpy(raw + 1, v->pub, PS_NOTE_PUBLIC_KEY_LEN);
    enum ps_err err = ps_buf_append(out, v->name, v->name_len);
    if (!err)
        err = ps_buf_printf(out, "+%08x+", (unsigned)v->key_id);
    if (!err)
        err = b64_append(out, raw, sizeof raw);
    return err;
}

enum ps_err ps_note_signer_new(struct ps_str name, uint8_t type, const uint8_t seed[32],
                               struct ps_note_signer **out)
{
    uint8_t pub[crypto_sign_PUBLICKEYBYTES];
    *out = NULL;
    if (!ps_note_name_valid(name) || !type_ok(type))
        return PS_ERR_INVALID;
    struct ps_note_signer *s = sodium_malloc(sizeof *s);
    if (!s)
        return PS_ERR_NOMEM;
    if (crypto_sign_seed_keypair(pub, s->sk, seed) != 0) {
        ps_note_signer_free(s);
        return PS_ERR_CRYPTO;
    }
    enum ps_err err = ps_note_verifier_init(&s->v, name, type, pub);
    if (err) {
        ps_note_signer_free(s);
        return err;
    }
    *out = s;
    return PS_OK;
}

enum ps_err ps_note_signer_parse(struct ps_str skey, struct ps_note_signer **out,
                                 struct ps_diag *diag)
{
    static const struct ps_str lead = PS_STR("PRIVATE+KEY+");
    struct ps_str name, b64;
    uint32_t id = 0;
    uint8_t raw[1 + 32 + 1];
    size_t len = 0;
    enum ps_err err = PS_ERR_INVALID;
    *out = NULL;
    if (!skey.p || !ps_str_starts_with(skey, lead))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "private key does not start with "
                           "PRIVATE+KEY+");
    skey.p += lead.len;
    skey.len -= lead.len;
    err = split_key(skey, &name, &id, &b64, diag);
    if (err)
        return err;
    if (!b64_decode(b64, raw, sizeof raw, &len) || len != 33 || !type_ok(raw[0])) {
        err = ps_diag_set(diag, PS_ERR_INVALID,
                          "private key is not base64 of a supported "
                          "type byte and a 32-byte seed");
        goto out;
    }
    err = ps_note_signer_new(name, raw[0], raw + 1, out);
    if (err) {
        ps_diag_set(diag, err, "cannot build the signer");
        goto out;
    }
    if ((*out)->v.key_id != id) {
        ps_note_signer_free(*out);
        *out = NULL;
        err = ps_diag_set(diag, PS_ERR_INVALID, "private key id does not match the key");
    }
out:
    sodium_memzero(raw, sizeof raw);
    return err;
}

void ps_note_signer_free(struct ps_note_signer *s)
{
    if (!s)
        return;
    sodium_memzero(s, sizeof *s);
    sodium_free(s);
}

const struct ps_note_verifier *ps_note_signer_verifier(const struct ps_note_signer *s)
{
    return &s->v;
}

/* ---- signing and verification ---- */

/* The cosignature/v1 message: header, timestamp line, then the note text. Caller frees. */
static enum ps_err cosig_message(struct ps_str text, uint64_t ts, uint8_t **msg, size_t *len)
{
    char digits[20];
    size_t nd = fmt_u64(ts, digits), hl = sizeof COSIG_HEADER - 1, total;
    if (!ps_size_add(text.len, hl + nd + 1, &total))
        return PS_ERR_LIMIT;
    uint8_t *m = ps_malloc(total);
    if (!m)
        return PS_ERR_NOMEM;
    memcpy(m, COSIG_HEADER, hl);
    memcpy(m + hl, digits, nd);
    m[hl + nd] = '\n';
    if (text.len)
        memcpy(m + hl + nd + 1, text.p, text.len);
    *msg = m;
    *len = total;
    return PS_OK;
}

static enum ps_err check_text(struct ps_str text, struct ps_diag *diag)
{
    size_t bad = 0;
    if (!text.p || text.len == 0 || text.p[text.len - 1] != '\n')
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "note text is empty or does not end in a "
                           "newline");
    if (text.len > PS_NOTE_MAX_BYTES)
        return ps_diag_set(diag, PS_ERR_LIMIT, "note text is too large");
    if (!text_chars_ok(text, &bad))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "note text has invalid UTF-8 or a control "
                           "character at byte %zu",
                           bad);
    return PS_OK;
}

enum ps_err ps_note_sign_line(const struct ps_note_signer *s, struct ps_str text,
                              uint64_t timestamp, struct ps_buf *out, struct ps_diag *diag)
{
    uint8_t sig[4 + COSIG_SIG_LEN];
    uint8_t *msg = NULL;
    size_t sig_len = 4, msg_len = 0;
    enum ps_err err = check_text(text, diag);
    if (err)
        return err;
    put_be32(sig, s->v.key_id);
    if (s->v.type == PS_NOTE_COSIG_V1) {
        if (timestamp > INT64_MAX)
            return ps_diag_set(diag, PS_ERR_INVALID, "cosignature timestamp above 2^63 - 1");
        err = cosig_message(text, timestamp, &msg, &msg_len);
        if (err)
            return ps_diag_set(diag, err, "cannot build the cosigned message");
        put_be64(sig + 4, timestamp);
        sig_len += 8;
    }
    const uint8_t *m = msg ? msg : (const uint8_t *)text.p;
    if (crypto_sign_detached(sig + sig_len, NULL, m, msg ? msg_len : text.len, s->sk) != 0) {
        err = ps_diag_set(diag, PS_ERR_CRYPTO, "signing failed");
        goto out;
    }
    sig_len += ED25519_SIG_LEN;
    err = ps_buf_append_cstr(out, PS_NOTE_SIG_PREFIX);
    if (!err)
        err = ps_buf_append(out, s->v.name, s->v.name_len);
    if (!err)
        err = ps_buf_append(out, " ", 1);
    if (!err)
        err = b64_append(out, sig, sig_len);
    if (!err)
        err = ps_buf_append(out, "\n", 1);
    if (err)
        ps_diag_set(diag, err, "output buffer is full");
out:
    ps_free(msg);
    return err;
}

enum ps_err ps_note_sign(struct ps_str text, struct ps_note_signer *const *signers, size_t n,
                         uint64_t timestamp, struct ps_buf *out, struct ps_diag *diag)
{
    if (n == 0 || n > PS_NOTE_MAX_SIGS)
        return ps_diag_set(diag, PS_ERR_INVALID, "a note needs 1..%d signers", PS_NOTE_MAX_SIGS);
    enum ps_err err = check_text(text, diag);
    if (err)
        return err;
    size_t start = out->len;
    err = ps_buf_append_str(out, text);
    if (!err)
        err = ps_buf_append(out, "\n", 1);
    if (err)
        ps_diag_set(diag, err, "output buffer is full");
    for (size_t i = 0; !err && i < n; i++)
        err = ps_note_sign_line(signers[i], text, timestamp, out, diag); /* sets diag */
    if (!err && out->len - start > PS_NOTE_MAX_BYTES)
        err = ps_diag_set(diag, PS_ERR_LIMIT, "signed note is larger than %d bytes",
                          PS_NOTE_MAX_BYTES);
    if (err && out->p) {
        out->len = start; /* nothing half-written */
        out->p[start] = '\0';
    }
    return err;
}

/* Verifies one signature line against v; *ts gets the cosignature time. */
static enum ps_err check_one(const struct ps_note *note, const struct ps_note_sig *sig,
                             const struct ps_note_verifier *v, bool *ok, uint64_t *ts)
{
    uint8_t buf[4 + COSIG_SIG_LEN];
    size_t len = 0, want = v->type == PS_NOTE_COSIG_V1 ? COSIG_SIG_LEN : ED25519_SIG_LEN;
    *ok = false;
    *ts = 0;
    if (sig->sig_len != want || !b64_decode(sig->b64, buf, sizeof buf, &len) || len != 4 + want)
        return PS_OK;
    if (v->type == PS_NOTE_ED25519) {
        *ok = crypto_sign_verify_detached(buf + 4, (const uint8_t *)note->text.p, note->text.len,
                                          v->pub) == 0;
        return PS_OK;
    }
    uint64_t t = be64(buf + 4);
    if (t > INT64_MAX)
        return PS_OK;
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    enum ps_err err = cosig_message(note->text, t, &msg, &msg_len);
    if (err)
        return err;
    *ok = crypto_sign_verify_detached(buf + 12, msg, msg_len, v->pub) == 0;
    if (*ok)
        *ts = t;
    ps_free(msg);
    return PS_OK;
}

enum ps_err ps_note_check(const struct ps_note *note, const struct ps_note_verifier *verifiers,
                          size_t n, struct ps_note_check *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct ps_note_verifier *v = &verifiers[i];
        struct ps_str vname = {v->name, v->name_len};
        out[i] = (struct ps_note_check){.result = PS_NOTE_ABSENT};
        for (size_t j = 0; j < note->nsigs; j++) {
            const struct ps_note_sig *sig = &note->sigs[j];
            if (sig->key_id != v->key_id || !ps_str_eq(sig->name, vname))
                continue;
            bool ok;
            enum ps_err err = check_one(note, sig, v, &ok, &out[i].timestamp);
            if (err)
                return err;
            out[i].result = ok ? PS_NOTE_VALID : PS_NOTE_INVALID;
            out[i].sig = j;
            break;
        }
    }
    return PS_OK;
}

enum ps_err ps_note_verify(const struct ps_note *note, const struct ps_note_verifier *verifiers,
                           size_t n, struct ps_note_check *out, struct ps_diag *diag)
{
    struct ps_note_check one;
    bool any = false;
    for (size_t i = 0; i < n; i++) {
        struct ps_note_check *c = out ? &out[i] : &one;
        enum ps_err err = ps_note_check(note, &verifiers[i], 1, c);
        if (err)
            return ps_diag_set(diag, err, "out of memory while verifying");
        if (c->result == PS_NOTE_INVALID)
            return ps_diag_set(diag, PS_ERR_CRYPTO, "signature by %s+%08x does not verify",
                               verifiers[i].name, (unsigned)verifiers[i].key_id);
        any = any || c->result == PS_NOTE_VALID;
    }
    if (!any)
        return ps_diag_set(diag, PS_ERR_DENIED, "note is not signed by a known key");
    return PS_OK;
}
