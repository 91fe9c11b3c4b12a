/* A reader for the protocol buffer text format subset the cel-spec conformance files use:
 * fields "name: value" and "name { ... }" (also "name: { ... }", "name < ... >"), repeated
 * fields, "[type.url/Name] { ... }" expansions, strings with C escapes and adjacent-literal
 * concatenation, numbers, identifiers, "[a, b]" scalar lists, '#' comments. No schema: every
 * value keeps its text and the runner interprets it. */
#ifndef PS_TESTS_CEL_TEXTPROTO_H
#define PS_TESTS_CEL_TEXTPROTO_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

enum tp_kind { TP_STRING, TP_NUMBER, TP_IDENT, TP_MESSAGE };

struct tp_node {
    const char *name; /* field name; "[type.googleapis.com/x.Y]" for an Any expansion */
    enum tp_kind kind;
    const char *text; /* decoded string bytes, or the token as written; NUL-terminated */
    size_t len;
    uint32_t line;
    struct tp_node *first; /* TP_MESSAGE: fields in order */
    struct tp_node *next;
};

/* Parses src into a message node (owned by arena). Errors: PS_ERR_INVALID with "line N: why"
 * in err, PS_ERR_LIMIT (nesting deeper than 64, arena budget). */
enum ps_err tp_parse(struct ps_arena *arena, const char *src, size_t len, struct tp_node **out,
                     char *err, size_t errcap);
/* First field called name in msg, or NULL. */
const struct tp_node *tp_get(const struct tp_node *msg, const char *name);

#endif
