/* The start, the refusal and the end of a registry act (act.h). */
#include "registries/act.h"

#include <stdarg.h>
#include <string.h>

void ps_act_begin(struct ps_diag *refused, const struct ps_diag *diag, char *id_out)
{
    PS_ASSERT(refused != NULL && refused != diag);
    ps_diag_clear(refused);
    if (id_out)
        id_out[0] = '\0';
}

enum ps_err ps_act_refuse(struct ps_diag *refused, enum ps_err code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ps_diag_vset(refused, code, fmt, ap);
    va_end(ap);
    return PS_OK; /* a refusal is an outcome: the recorded reads commit */
}

enum ps_err ps_act_done(enum ps_err e, const char id[37], char *id_out)
{
    if (e == PS_OK && id_out)
        memcpy(id_out, id, 37);
    return e;
}
