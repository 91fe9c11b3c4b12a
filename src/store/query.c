/* Statements with a sticky error (store.h, "the common shape"): the prepare/bind/step pattern
 * every domain module writes, without a chain of `if (e == PS_OK)`. */
#include "store/store.h"

void ps_query_start(struct ps_query *q, struct ps_tx *tx, const struct ps_sql *def)
{
    q->tx = tx;
    q->st = NULL;
    q->next = 1;
    q->changes = 0;
    q->err = ps_tx_prepare(tx, def, &q->st);
}

void ps_query_text(struct ps_query *q, struct ps_str v)
{
    if (q->err == PS_OK)
        q->err = ps_stmt_bind_text(q->st, q->next, v.p ? v : PS_STR(""));
    q->next++;
}

void ps_query_i64(struct ps_query *q, int64_t v)
{
    if (q->err == PS_OK)
        q->err = ps_stmt_bind_i64(q->st, q->next, v);
    q->next++;
}

void ps_query_blob(struct ps_query *q, const void *p, size_t n)
{
    if (q->err == PS_OK)
        q->err = ps_stmt_bind_blob(q->st, q->next, p, n);
    q->next++;
}

void ps_query_null(struct ps_query *q)
{
    if (q->err == PS_OK)
        q->err = ps_stmt_bind_null(q->st, q->next);
    q->next++;
}

void ps_query_text_or_null(struct ps_query *q, struct ps_str v)
{
    if (v.p)
        ps_query_text(q, v);
    else
        ps_query_null(q);
}

bool ps_query_row(struct ps_query *q)
{
    bool row = false;
    if (q->err == PS_OK)
        q->err = ps_stmt_step(q->st, &row);
    return q->err == PS_OK && row;
}

enum ps_err ps_query_exec(struct ps_query *q)
{
    while (ps_query_row(q))
        ;
    if (q->err == PS_OK)
        q->changes = ps_tx_changes(q->tx);
    return ps_query_end(q);
}

enum ps_err ps_query_end(struct ps_query *q)
{
    ps_stmt_done(q->st);
    q->st = NULL;
    return q->err;
}
