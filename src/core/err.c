/* Error names, diagnostics and the abort path for broken invariants. */
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

static const char *const names[] = {
    [PS_OK] = "ok",
    [PS_ERR_NOMEM] = "out-of-memory",
    [PS_ERR_INVALID] = "invalid",
    [PS_ERR_NOTFOUND] = "not-found",
    [PS_ERR_EXISTS] = "exists",
    [PS_ERR_CONFLICT] = "conflict",
    [PS_ERR_LIMIT] = "limit",
    [PS_ERR_IO] = "io",
    [PS_ERR_STORE] = "store",
    [PS_ERR_UNAVAILABLE] = "unavailable",
    [PS_ERR_CRYPTO] = "crypto",
    [PS_ERR_DENIED] = "denied",
    [PS_ERR_VERSION] = "version",
    [PS_ERR_INTERNAL] = "internal",
    [PS_ERR_UNKNOWN_OUTCOME] = "outcome-unknown",
};

const char *ps_err_name(enum ps_err err)
{
    if ((unsigned)err >= sizeof names / sizeof names[0] || !names[err])
        return "unknown";
    return names[err];
}

enum ps_err ps_diag_vset(struct ps_diag *diag, enum ps_err code, const char *fmt, va_list ap)
{
    if (!diag)
        return code;
    diag->code = code;
    ps_str_vcut(diag->message, sizeof diag->message, fmt, ap); /* bounded: a longer one is cut */
    return code;
}

enum ps_err ps_diag_set(struct ps_diag *diag, enum ps_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ps_diag_vset(diag, code, fmt, ap);
    va_end(ap);
    return code;
}

void ps_diag_clear(struct ps_diag *diag)
{
    if (!diag)
        return;
    diag->code = PS_OK;
    diag->message[0] = '\0';
}

void ps_panic(const char *file, int line, const char *what)
{
    fprintf(stderr, "pocketstate: %s:%d: %s\n", file, line, what);
    fflush(stderr);
    abort();
}
