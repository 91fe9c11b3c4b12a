/* Checkpoint note text (C2SP tlog-checkpoint) and the policy check that turns a signed note
 * into a trusted tree head: log signature, origin, witness quorum. */
#include "tlog/checkpoint.h"

#include <sodium.h>
#include <string.h>

/* Next line of text from *at (without its '\n'); false at the end or for a line that does not
 * end in '\n'. */
static bool next_line(struct ps_str text, size_t *at, struct ps_str *line)
{
    if (*at >= text.len)
        return false;
    const char *nl = memchr(text.p + *at, '\n', text.len - *at);
    if (!nl)
        return false;
    *line = (struct ps_str){text.p + *at, (size_t)(nl - (text.p + *at))};
    *at += line->len + 1;
    return true;
}

static bool parse_size(struct ps_str s, uint64_t *out)
{
    if (s.len > 1 && s.p[0] == '0')
        return false;
    return ps_str_to_u64(s, out) == PS_OK;
}

static bool parse_root(struct ps_str s, struct ps_hash *out)
{
    uint8_t buf[PS_HASH_LEN + 1];
    size_t len = 0;
    if (s.len != 44) /* padded base64 of 32 bytes */
        return false;
    if (!ps_note_b64_decode(s, buf, sizeof buf, &len) || len != PS_HASH_LEN)
        return false;
    memcpy(out->b, buf, PS_HASH_LEN);
    return true;
}

enum ps_err ps_checkpoint_parse(struct ps_str text, struct ps_checkpoint *c, struct ps_diag *diag)
{
    struct ps_checkpoint t = {0};
    struct ps_str origin, size, root, ext;
    size_t at = 0;
    if (!text.p || text.len == 0 || text.p[text.len - 1] != '\n')
        return ps_diag_set(diag, PS_ERR_INVALID, "checkpoint does not end in a newline");
    for (size_t i = 0; i < text.len; i++)
        if ((unsigned char)text.p[i] < 0x20 && text.p[i] != '\n')
            return ps_diag_set(diag, PS_ERR_INVALID, "checkpoint has a control character");
    if (!next_line(text, &at, &origin) || !next_line(text, &at, &size) ||
        !next_line(text, &at, &root))
        return ps_diag_set(diag, PS_ERR_INVALID, "checkpoint has fewer than three lines");
    if (origin.len == 0 || origin.len > PS_CHECKPOINT_MAX_ORIGIN)
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "checkpoint origin is empty or longer than "
                           "%d bytes",
                           PS_CHECKPOINT_MAX_ORIGIN);
    if (!parse_size(size, &t.size))
        return ps_diag_set(diag, PS_ERR_INVALID,
                           "checkpoint tree size is not a canonical "
                           "decimal below 2^64");
    if (!parse_root(root, &t.root))
        return ps_diag_set(diag, PS_ERR_INVALID, "checkpoint root is not base64 of 32 bytes");
    size_t ext_start = at;
    while (next_line(text, &at, &ext))
        if (ext.len == 0)
            return ps_diag_set(diag, PS_ERR_INVALID, "checkpoint has an empty extension line");
    t.origin = origin;
    t.extensions = (struct ps_str){text.p + ext_start, text.len - ext_start};
    *c = t;
    return PS_OK;
}

enum ps_err ps_checkpoint_format(const struct ps_checkpoint *c, struct ps_buf *out)
{
    char root[sodium_base64_ENCODED_LEN(PS_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
    struct ps_str ext = c->extensions.p ? c->extensions : PS_STR("");
    if (!ps_note_name_valid(c->origin) || c->origin.len > PS_CHECKPOINT_MAX_ORIGIN)
        return PS_ERR_INVALID;
    if (ext.len &&
        (ext.p[ext.len - 1] != '\n' || ext.p[0] == '\n' || memmem(ext.p, ext.len, "\n\n", 2)))
        return PS_ERR_INVALID;
    for (size_t i = 0; i < ext.len; i++)
        if ((unsigned char)ext.p[i] < 0x20 && ext.p[i] != '\n')
            return PS_ERR_INVALID;
    sodium_bin2base64(root, sizeof root, c->root.b, PS_HASH_LEN, sodium_base64_VARIANT_ORIGINAL);
    size_t start = out->len;
    enum ps_err err = ps_buf_printf(out, "%.*s\n%llu\n%s\n", PS_STR_FMT(c->origin),
                                    (unsigned long long)c->size, root);
    if (!err)
        err = ps_buf_append_str(out, ext);
    if (err && out->p) {
        out->len = start;
        out->p[start] = '\0';
    }
    return err;
}

enum ps_err ps_checkpoint_open(struct ps_str msg, const struct ps_checkpoint_policy *policy,
                               struct ps_note *note, struct ps_checkpoint *c,
                               struct ps_note_check *witness_out, struct ps_diag *diag)
{
    enum ps_err err = ps_note_parse(msg, note, diag);
    if (err)
        return err;
    for (size_t i = 0; i < policy->nlog_keys; i++)
        if (policy->log_keys[i].type != PS_NOTE_ED25519)
            return ps_diag_set(diag, PS_ERR_INVALID, "log key %s is not an Ed25519 note key",
                               policy->log_keys[i].name);
    err = ps_note_verify(note, policy->log_keys, policy->nlog_keys, NULL, diag);
    if (err)
        return err;
    err = ps_checkpoint_parse(note->text, c, diag);
    if (err)
        return err;
    if (!ps_str_eq(c->origin, policy->origin))
        return ps_diag_set(diag, PS_ERR_DENIED, "checkpoint origin is not %.*s",
                           PS_STR_FMT(policy->origin));
    size_t valid = 0;
    for (size_t i = 0; i < policy->nwitnesses; i++) {
        struct ps_note_check one;
        struct ps_note_check *r = witness_out ? &witness_out[i] : &one;
        err = ps_note_check(note, &policy->witnesses[i], 1, r);
        if (err)
            return ps_diag_set(diag, err, "out of memory while checking cosignatures");
        if (r->result == PS_NOTE_VALID)
            valid++;
    }
    if (valid < policy->quorum)
        return ps_diag_set(diag, PS_ERR_DENIED, "%zu of %zu required witness cosignatures", valid,
                           policy->quorum);
    return PS_OK;
}

/* ---- the link to the previous checkpoint ---- */

enum ps_err ps_checkpoint_link_make(uint64_t size, struct ps_str note,
                                    struct ps_checkpoint_link *out)
{
    if (sodium_init() < 0)
        return PS_ERR_CRYPTO;
    out->size = size;
    crypto_hash_sha256(out->note_hash.b, (const unsigned char *)note.p, note.len);
    return PS_OK;
}

enum ps_err ps_checkpoint_link_format(const struct ps_checkpoint_link *l, struct ps_buf *out)
{
    char hash[sodium_base64_ENCODED_LEN(PS_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
    sodium_bin2base64(hash, sizeof hash, l->note_hash.b, PS_HASH_LEN,
                      sodium_base64_VARIANT_ORIGINAL);
    return ps_buf_printf(out, PS_CHECKPOINT_LINK_WORD " %llu %s\n", (unsigned long long)l->size,
                         hash);
}

/* "<size> <base64 hash>" after the word and its space. */
static bool parse_link(struct ps_str rest, struct ps_checkpoint_link *out)
{
    const char *sp = memchr(rest.p, ' ', rest.len);
    if (!sp)
        return false;
    struct ps_str size = {rest.p, (size_t)(sp - rest.p)};
    struct ps_str hash = {sp + 1, rest.len - size.len - 1};
    return parse_size(size, &out->size) && parse_root(hash, &out->note_hash);
}

enum ps_err ps_checkpoint_link_parse(struct ps_str extensions, bool *found,
                                     struct ps_checkpoint_link *out, struct ps_diag *diag)
{
    static const char word[] = PS_CHECKPOINT_LINK_WORD " ";
    struct ps_str line;
    size_t at = 0;
    *found = false;
    while (next_line(extensions, &at, &line)) {
        if (line.len < sizeof word - 1 || memcmp(line.p, word, sizeof word - 1) != 0)
            continue;
        if (*found)
            return ps_diag_set(diag, PS_ERR_INVALID, "more than one link to a previous checkpoint");
        struct ps_str rest = {line.p + sizeof word - 1, line.len - (sizeof word - 1)};
        if (!parse_link(rest, out))
            return ps_diag_set(diag, PS_ERR_INVALID,
                               "malformed link to the previous checkpoint: expected "
                               "'" PS_CHECKPOINT_LINK_WORD " <size> <base64 SHA-256>'");
        *found = true;
    }
    return PS_OK;
}
