/* Fuzz target: the signed-note, checkpoint and verifier-key parsers of the transparency log
 * (src/tlog/note.h, checkpoint.h), which read notes fetched from logs and witnesses. Whatever
 * parses must round-trip: a checkpoint formats back to its text, a key to an equal key; and
 * verification against fixed keys must not crash on any parsed note. */
#include <sodium.h>
#include <string.h>

#include "core/buf.h"
#include "fuzz.h"
#include "tlog/checkpoint.h"
#include "tlog/note.h"

static struct ps_note note;

static void check_checkpoint(struct ps_str text)
{
    struct ps_checkpoint c;
    if (ps_checkpoint_parse(text, &c, NULL) != PS_OK)
        return;
    FUZZ_CHECK(c.origin.len > 0);
    struct ps_buf b;
    ps_buf_init(&b, 2 * text.len + 64);
    if (ps_checkpoint_format(&c, &b) == PS_OK) /* fails only for origins that are no key name */
        FUZZ_CHECK(b.len == text.len && memcmp(b.p, text.p, text.len) == 0);
    ps_buf_reset(&b);
}

static void check_key(struct ps_str in)
{
    struct ps_note_verifier v, w;
    if (ps_note_verifier_parse(in, &v, NULL) != PS_OK)
        return;
    struct ps_buf b;
    ps_buf_init(&b, 1024);
    FUZZ_CHECK(ps_note_verifier_format(&v, &b) == PS_OK);
    FUZZ_CHECK(b.len == in.len);
    FUZZ_CHECK(ps_note_verifier_parse(ps_buf_str(&b), &w, NULL) == PS_OK);
    FUZZ_CHECK(memcmp(&v, &w, sizeof v) == 0);
    ps_buf_reset(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_str in = {(const char *)data, size};
    FUZZ_CHECK(sodium_init() >= 0);
    check_key(in);
    check_checkpoint(in);
    if (ps_note_parse(in, &note, NULL) != PS_OK)
        return 0;
    FUZZ_CHECK(note.nsigs >= 1 && note.nsigs <= PS_NOTE_MAX_SIGS);
    FUZZ_CHECK(note.text.p == in.p && note.text.len < size);
    FUZZ_CHECK(note.text.p[note.text.len - 1] == '\n');
    for (size_t i = 0; i < note.nsigs; i++)
        FUZZ_CHECK(ps_note_name_valid(note.sigs[i].name));
    check_checkpoint(note.text);
    /* verification of every line against keys named like the first signer */
    static const uint8_t seed[32] = {1, 2, 3};
    uint8_t pk[32], sk[64];
    crypto_sign_seed_keypair(pk, sk, seed);
    struct ps_note_verifier v[2];
    struct ps_note_check c[2];
    if (ps_note_verifier_init(&v[0], note.sigs[0].name, PS_NOTE_ED25519, pk) == PS_OK &&
        ps_note_verifier_init(&v[1], note.sigs[0].name, PS_NOTE_COSIG_V1, pk) == PS_OK) {
        v[0].key_id = v[1].key_id = note.sigs[0].key_id; /* force a match */
        FUZZ_CHECK(ps_note_check(&note, v, 2, c) == PS_OK);
        FUZZ_CHECK(c[0].result != PS_NOTE_ABSENT && c[1].result != PS_NOTE_ABSENT);
    }
    return 0;
}
