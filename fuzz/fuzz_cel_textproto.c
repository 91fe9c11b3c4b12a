/* Fuzz target: the protocol buffer text format reader the conformance runner uses
 * (tests/cel/textproto.c). Parsing must succeed or fail with a message, within its nesting
 * limit, and every node it returns must be well formed. */
#include <string.h>

#include "../tests/cel/textproto.h"
#include "fuzz.h"

static unsigned walk(const struct tp_node *n, unsigned depth)
{
    FUZZ_CHECK(depth <= 70);
    unsigned count = 1;
    for (const struct tp_node *f = n->first; f; f = f->next) {
        FUZZ_CHECK(f->name && f->name[0]);
        FUZZ_CHECK(f->kind == TP_MESSAGE || (f->text && f->text[f->len] == '\0'));
        if (f->kind == TP_MESSAGE)
            count += walk(f, depth + 1);
    }
    return count;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ps_arena *a = ps_arena_new(16u << 20);
    FUZZ_CHECK(a);
    struct tp_node *root = NULL;
    char err[256] = "";
    enum ps_err e = tp_parse(a, (const char *)data, size, &root, err, sizeof err);
    if (e == PS_OK)
        walk(root, 0);
    else
        FUZZ_CHECK(err[0] || e == PS_ERR_LIMIT);
    ps_arena_free(a);
    return 0;
}
