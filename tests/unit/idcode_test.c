/* Unit tests of the identity failure codes: names are unique, stable in form, each has a class
 * and a text, ps_id_fail fills the diagnostic, and docs/internals/identity-protocols.md names
 * every code (the edge maps these names to problem types). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "identity/idcode.h"

#define PS_IDENTITY_DOC PS_SOURCE_DIR "/docs/internals/identity-protocols.md"

Test(idcode, names_classes_and_docs)
{
    FILE *f = fopen(PS_IDENTITY_DOC, "r");
    cr_assert(f, "cannot open %s", PS_IDENTITY_DOC);
    static char doc[1 << 17];
    size_t n = fread(doc, 1, sizeof doc - 1, f);
    fclose(f);
    doc[n] = '\0';
    for (int c = 0; c < PS_ID_CODE_COUNT; c++) {
        const char *name = ps_id_code_name(c);
        cr_assert_str_neq(name, "unknown", "code %d has no name", c);
        for (const char *p = name; *p; p++)
            cr_assert((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-', "%s", name);
        for (int d = 0; d < c; d++)
            cr_assert_str_neq(name, ps_id_code_name(d));
        cr_assert_str_neq(ps_id_code_text(c), "unknown code");
        if (c == PS_ID_OK)
            continue;
        enum ps_err e = ps_id_code_err(c);
        cr_assert(e == PS_ERR_INVALID || e == PS_ERR_LIMIT || e == PS_ERR_DENIED ||
                  (c == PS_ID_INTERNAL && e == PS_ERR_NOMEM), "%s", name);
        char quoted[64];
        cr_assert(snprintf(quoted, sizeof quoted, "`%s`", name) < (int)sizeof quoted);
        cr_assert(strstr(doc, quoted), "%s is not in %s", name, PS_IDENTITY_DOC);
    }
    cr_assert_str_eq(ps_id_code_name(PS_ID_CODE_COUNT), "unknown");
    cr_assert_eq(ps_id_code_err((enum ps_id_code)-1), PS_ERR_INTERNAL);
    struct ps_id_diag d;
    cr_assert_eq(ps_id_fail(&d, PS_ID_HS_STALE, "created %d", 5), PS_ERR_DENIED);
    cr_assert_eq(d.code, PS_ID_HS_STALE);
    cr_assert_eq(d.d.code, PS_ERR_DENIED);
    cr_assert_str_eq(d.d.message, "created 5");
    ps_id_diag_clear(&d);
    cr_assert_eq(d.code, PS_ID_OK);
    cr_assert_eq(ps_id_fail(NULL, PS_ID_WA_LIMIT, "x"), PS_ERR_LIMIT);
}
