/* C2SP signed-note: text signed by one or more keys, with Ed25519 note signatures (type 0x01)
 * and tlog-cosignature/v1 timestamped Ed25519 witness cosignatures (type 0x04); verifier keys
 * in the "<name>+<hex key id>+<base64(type || public key)>" form. Pure: no I/O, no globals;
 * signing keys live in sodium_malloc memory. The process must have called sodium_init(). */
#ifndef PS_TLOG_NOTE_H
#define PS_TLOG_NOTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

/* Limits. The spec asks verifiers to accept at least 16 signatures; Go's sumdb/note stops at
 * 100. A checkpoint is ~100 bytes, so 1 MiB leaves room for post-quantum signatures. */
#define PS_NOTE_MAX_BYTES (1024 * 1024)
#define PS_NOTE_MAX_SIGS 100
#define PS_NOTE_MAX_NAME 255       /* bytes of a key name */
#define PS_NOTE_MAX_SIG_BYTES 8192 /* a decoded signature, key id included */

/* Signature types (the byte in key ids and verifier keys). */
#define PS_NOTE_ED25519 0x01
#define PS_NOTE_COSIG_V1 0x04

#define PS_NOTE_PUBLIC_KEY_LEN 32

/* Bytes "— " (U+2014 EM DASH, space) that open a signature line. */
#define PS_NOTE_SIG_PREFIX "\xE2\x80\x94 "

/* One signature line as parsed; nothing verified yet. */
struct ps_note_sig {
    struct ps_str name; /* borrowed from the message */
    uint32_t key_id;
    struct ps_str b64; /* borrowed: base64(key id || signature) */
    size_t sig_len;    /* decoded signature bytes after the key id */
};

/* A parsed note. Caller-owned storage (about 5 KiB); everything in it is borrowed from the
 * message passed to ps_note_parse, which must outlive it. */
struct ps_note {
    struct ps_str text; /* ends in '\n'; the bytes that were signed */
    size_t nsigs;
    struct ps_note_sig sigs[PS_NOTE_MAX_SIGS];
};

/* A public key a note can be checked against. Caller-owned, copyable. */
struct ps_note_verifier {
    char name[PS_NOTE_MAX_NAME + 1]; /* NUL-terminated */
    size_t name_len;
    uint32_t key_id;
    uint8_t type; /* PS_NOTE_ED25519 or PS_NOTE_COSIG_V1 */
    uint8_t pub[PS_NOTE_PUBLIC_KEY_LEN];
};

/* A private key. Opaque, in sodium_malloc memory; caller frees with ps_note_signer_free. */
struct ps_note_signer;

/* True when name is a valid key name: 1..255 bytes of UTF-8 without control characters,
 * Unicode spaces or '+'. */
bool ps_note_name_valid(struct ps_str name);

/* key ID = SHA-256(name || 0x0A || type || public key)[:4], as a big-endian uint32. */
enum ps_err ps_note_key_id(struct ps_str name, uint8_t type, const uint8_t *pub, size_t pub_len,
                           uint32_t *out) PS_WUR;

/* Strict standard base64 (RFC 4648 section 4) as every C2SP format uses it: padded,
 * canonical (unused bits zero), nothing but the alphabet. *len gets the decoded size; false
 * when malformed or longer than cap. */
bool ps_note_b64_decode(struct ps_str b64, uint8_t *out, size_t cap, size_t *len);

/* ---- parsing ---- */

/* Parses a signed note strictly: at most PS_NOTE_MAX_BYTES of valid UTF-8 with no control
 * characters but '\n', ending in '\n'; the text is everything up to and including the newline
 * before the last blank line; after it 1..PS_NOTE_MAX_SIGS lines "— <name> <base64>" with a
 * valid name and standard padded base64 of 5..PS_NOTE_MAX_SIG_BYTES bytes. Nothing is
 * verified. OUT note (borrows msg). Errors: PS_ERR_LIMIT (size, count), PS_ERR_INVALID, both
 * with the reason in diag. */
enum ps_err ps_note_parse(struct ps_str msg, struct ps_note *note, struct ps_diag *diag) PS_WUR;

/* ---- keys ---- */

/* Parses a verifier key "<name>+<8 hex digits>+<base64(type || 32-byte key)>" of type 0x01 or
 * 0x04 and checks that the key id is the one derived from name, type and key. Errors:
 * PS_ERR_INVALID with the reason. */
enum ps_err ps_note_verifier_parse(struct ps_str vkey, struct ps_note_verifier *out,
                                   struct ps_diag *diag) PS_WUR;
/* Fills v from its parts (computing the key id). PS_ERR_INVALID for a bad name or type. */
enum ps_err ps_note_verifier_init(struct ps_note_verifier *v, struct ps_str name, uint8_t type,
                                  const uint8_t pub[PS_NOTE_PUBLIC_KEY_LEN]) PS_WUR;
/* Appends the verifier key string of v to out. */
enum ps_err ps_note_verifier_format(const struct ps_note_verifier *v, struct ps_buf *out) PS_WUR;

/* A signer of `type` (0x01 or 0x04) named `name` from a 32-byte Ed25519 seed (RFC 8032
 * private key). The seed is copied; the caller wipes its own copy. Errors: PS_ERR_INVALID,
 * PS_ERR_NOMEM. */
enum ps_err ps_note_signer_new(struct ps_str name, uint8_t type, const uint8_t seed[32],
                               struct ps_note_signer **out) PS_WUR;
/* Parses Go sumdb/note's private key form "PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>"
 * (the key id is checked). Errors: PS_ERR_INVALID (reason in diag, never key bytes),
 * PS_ERR_NOMEM. */
enum ps_err ps_note_signer_parse(struct ps_str skey, struct ps_note_signer **out,
                                 struct ps_diag *diag) PS_WUR;
/* Wipes and frees. NULL is a no-op. */
void ps_note_signer_free(struct ps_note_signer *s);
/* The signer's public half, borrowed from s. */
const struct ps_note_verifier *ps_note_signer_verifier(const struct ps_note_signer *s);

/* ---- signing ---- */

/* Appends to out one signature line for text by s: "— <name> <base64(key id || sig)>\n".
 * For a cosignature/v1 signer the signed message is "cosignature/v1\ntime <timestamp>\n"
 * followed by text, and the signature is the 8-byte big-endian timestamp followed by the
 * Ed25519 signature; timestamp (POSIX seconds, at most 2^63 - 1) is ignored for 0x01 keys.
 * text must be valid note text (see ps_note_sign). Errors: PS_ERR_INVALID, PS_ERR_NOMEM,
 * PS_ERR_LIMIT (out full), PS_ERR_CRYPTO. */
enum ps_err ps_note_sign_line(const struct ps_note_signer *s, struct ps_str text,
                              uint64_t timestamp, struct ps_buf *out, struct ps_diag *diag) PS_WUR;

/* Appends a whole signed note to out: text, a blank line, one signature line per signer (at
 * least one). text must be non-empty UTF-8 without control characters but '\n', end in
 * '\n', and leave room for the signatures within PS_NOTE_MAX_BYTES. */
enum ps_err ps_note_sign(struct ps_str text, struct ps_note_signer *const *signers, size_t n,
                         uint64_t timestamp, struct ps_buf *out, struct ps_diag *diag) PS_WUR;

/* ---- verification ---- */

enum ps_note_result {
    PS_NOTE_ABSENT,  /* no signature line with this verifier's name and key id */
    PS_NOTE_VALID,   /* the first such line verifies */
    PS_NOTE_INVALID, /* the first such line does not verify (or is malformed for its type) */
};

struct ps_note_check {
    enum ps_note_result result;
    size_t sig;         /* index in note->sigs when not ABSENT */
    uint64_t timestamp; /* cosignature/v1: the signed timestamp when VALID; 0 otherwise */
};

/* Checks the note against every verifier: out[i] tells what verifiers[i] says. The first
 * line matching a verifier's (name, key id) decides; later duplicates are ignored, lines of
 * unknown keys are ignored (even when name or key id alone matches). Errors: PS_ERR_NOMEM. */
enum ps_err ps_note_check(const struct ps_note *note, const struct ps_note_verifier *verifiers,
                          size_t n, struct ps_note_check *out) PS_WUR;

/* The signed-note acceptance rule: PS_OK when at least one of the verifiers signed and none of
 * their signatures fails. out (n entries, may be NULL) as for ps_note_check. Errors:
 * PS_ERR_CRYPTO (a known key's signature does not verify), PS_ERR_DENIED (no known key
 * signed), PS_ERR_NOMEM; diag names the key. */
enum ps_err ps_note_verify(const struct ps_note *note, const struct ps_note_verifier *verifiers,
                           size_t n, struct ps_note_check *out, struct ps_diag *diag) PS_WUR;

#endif
