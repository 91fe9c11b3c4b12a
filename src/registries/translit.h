/* Romanization of Ukrainian by the official table of the Cabinet of Ministers of Ukraine
 * (resolution No. 55 of 27 January 2010), used for names in passports and for place names.
 * Pure functions; thread-safe. */
#ifndef PS_REGISTRIES_TRANSLIT_H
#define PS_REGISTRIES_TRANSLIT_H

#include <stddef.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

/* Bytes of output that always suffice for an input of n bytes (plus the NUL). */
#define PS_TRANSLIT_CAP(n) (2 * (n) + 1)

/* Transliterates UTF-8 text `in` into out (cap bytes, NUL-terminated); *out_len gets the
 * length. Rules: the 2010 table letter by letter; є ї й ю я give ye yi y yu ya at the start
 * of a word and ie i i iu ia elsewhere; г after з gives gh (зг -> zgh); the soft sign and
 * apostrophes (' U+02BC U+2019) are dropped; case is kept (a capital giving several Latin
 * letters is written all in capitals when the word around it is in capitals, "Щ" -> "Shch"
 * otherwise). Other ASCII passes through unchanged.
 * Errors: PS_ERR_INVALID for invalid UTF-8 or a character outside ASCII and the Ukrainian
 * alphabet (named in diag); PS_ERR_LIMIT when cap is too small (PS_TRANSLIT_CAP(in.len) is
 * always enough). */
enum ps_err ps_translit(struct ps_str in, char *out, size_t cap, size_t *out_len,
                        struct ps_diag *diag) PS_WUR;

/* The same, into a string owned by arena. */
enum ps_err ps_translit_arena(struct ps_arena *arena, struct ps_str in, struct ps_str *out,
                              struct ps_diag *diag) PS_WUR;

#endif
