/* Time-ordered identifiers (UUIDv7, RFC 9562) so that indexes stay append-friendly. */
#ifndef PS_CORE_IDS_H
#define PS_CORE_IDS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

struct ps_uuid {
    uint8_t b[16];
};

/* A new UUIDv7 from the injectable clock and the random source; monotonic within a process
 * (a counter in rand_a breaks ties within one millisecond). Thread-safe. */
struct ps_uuid ps_uuid7(void);
/* Canonical lower-case text, 36 characters plus NUL. */
void ps_uuid_fmt(const struct ps_uuid *u, char out[37]);
/* Parses the canonical form (either case). */
bool ps_uuid_parse(struct ps_str s, struct ps_uuid *out);

#endif
