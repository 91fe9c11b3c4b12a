/* The one error-detail writer of the store, shared by the dispatcher (store.c) and the two
 * backends, so that none of them depends on another for it. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

void ps_store_errf(char *errmsg, const char *fmt, ...)
{
    if (!errmsg)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errmsg, PS_STORE_ERRMSG_CAP, fmt, ap);
    va_end(ap);
    if (n < 0)
        errmsg[0] = '\0';
    else if (n >= PS_STORE_ERRMSG_CAP)
        memcpy(errmsg + PS_STORE_ERRMSG_CAP - 4, "...", 4);
}
