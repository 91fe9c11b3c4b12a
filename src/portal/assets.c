/* Looking up the embedded static files (the table is generated: portal_assets.c). */
#include "portal/assets.h"

#include <string.h>

const struct ps_asset *ps_asset_by_file(struct ps_str file)
{
    for (size_t i = 0; i < ps_nassets; i++) {
        const char *slash = strrchr(ps_assets[i].url, '/');
        if (ps_str_eq_cstr(file, slash + 1))
            return &ps_assets[i];
    }
    return NULL;
}

const struct ps_asset *ps_asset_by_name(const char *name)
{
    for (size_t i = 0; i < ps_nassets; i++)
        if (strcmp(ps_assets[i].name, name) == 0)
            return &ps_assets[i];
    return NULL;
}
