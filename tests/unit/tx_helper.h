/* The one shape of a test's statement, shared by the suites that talk to a store (store,
 * postgres, registries, uniqueness, tlog_store, tlog_verify, ...): prepare, bind, step to the
 * end, read the first column, done. Header-only so that a suite includes it without linking
 * anything new; the store's own sticky-error query (store.h, ps_query) does the work. */
#ifndef PS_TESTS_TX_HELPER_H
#define PS_TESTS_TX_HELPER_H

#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdint.h>

#include "store/store.h"

/* Binds the arguments spec names, in order: 't' a C string (NULL binds SQL NULL), 's' a
 * struct ps_str (text), 'i' an int64_t, 'b' a pointer and a size_t (a blob), 'n' SQL NULL
 * (takes no argument). */
static inline void tx_bind(struct ps_query *q, const char *spec, va_list ap)
{
    for (const char *c = spec; c && *c; c++) {
        if (*c == 't') {
            const char *s = va_arg(ap, const char *);
            if (s)
                ps_query_text(q, ps_str_from_cstr(s));
            else
                ps_query_null(q);
        } else if (*c == 's') {
            ps_query_text(q, va_arg(ap, struct ps_str));
        } else if (*c == 'i') {
            ps_query_i64(q, va_arg(ap, int64_t));
        } else if (*c == 'b') {
            const void *p = va_arg(ap, const void *);
            ps_query_blob(q, p, va_arg(ap, size_t));
        } else {
            cr_assert_eq(*c, 'n', "tx_bind: unknown argument kind '%c'", *c);
            ps_query_null(q);
        }
    }
}

/* Runs def in tx with the arguments of spec and steps it to the end; *first (may be NULL)
 * gets column 0 of the first row as an integer, -1 when there is no row. Returns the
 * statement's first error. */
static inline enum ps_err tx_run(struct ps_tx *tx, const struct ps_sql *def, int64_t *first,
                                 const char *spec, ...)
{
    struct ps_query q;
    va_list ap;
    bool seen = false;
    ps_query_start(&q, tx, def);
    va_start(ap, spec);
    tx_bind(&q, spec, ap);
    va_end(ap);
    if (first)
        *first = -1;
    while (ps_query_row(&q)) {
        if (first && !seen)
            *first = ps_stmt_i64(q.st, 0);
        seen = true;
    }
    return ps_query_end(&q);
}

/* The common read of a test: a statement without arguments (a count, a sum) whose first column
 * of the first row is the answer (-1 without a row), in a read transaction that must work. */
struct tx_i64_job {
    const struct ps_sql *def;
    int64_t v;
};

static inline enum ps_err tx_i64_fn(struct ps_tx *tx, void *ctx)
{
    struct tx_i64_job *j = ctx;
    return tx_run(tx, j->def, &j->v, "");
}

static inline int64_t tx_read_i64(struct ps_store *s, const struct ps_sql *def)
{
    struct tx_i64_job j = {def, -1};
    struct ps_diag d = {0};
    cr_assert_eq(ps_store_read(s, tx_i64_fn, &j, &d), PS_OK, "%s: %s", def->name, d.message);
    return j.v;
}

#endif
