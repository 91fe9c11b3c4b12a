/* Located diagnostics for every stage of src/cel: a message, and the line and column (in code
 * points) computed from the source and a byte offset. */
#include <stdio.h>

#include "cel/cel_int.h"
#include "core/str.h"

static void diag_vset(struct ps_cel_diag *diag, enum ps_err code, const char *fmt, va_list ap)
{
    diag->code = code;
    ps_str_vcut(diag->message, sizeof diag->message, fmt, ap);
}

enum ps_err cel_diag_set(struct ps_cel_diag *diag, enum ps_err code, const char *fmt, ...)
{
    if (!diag)
        return code;
    memset(diag, 0, sizeof *diag);
    va_list ap;
    va_start(ap, fmt);
    diag_vset(diag, code, fmt, ap);
    va_end(ap);
    return code;
}

enum ps_err cel_diag_at(struct ps_cel_diag *diag, enum ps_err code, const char *source,
                        size_t len, uint32_t offset, const char *fmt, ...)
{
    if (!diag)
        return code;
    memset(diag, 0, sizeof *diag);
    va_list ap;
    va_start(ap, fmt);
    diag_vset(diag, code, fmt, ap);
    va_end(ap);
    if (offset > len)
        offset = (uint32_t)len;
    uint32_t line = 1, col = 1;
    for (uint32_t i = 0; i < offset; i++) {
        unsigned char c = (unsigned char)source[i];
        if (c == '\n') {
            line++;
            col = 1;
        } else if ((c & 0xC0) != 0x80) {
            col++;
        }
    }
    diag->line = line;
    diag->column = col;
    diag->offset = offset;
    return code;
}

