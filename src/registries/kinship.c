/* Parent links and the close-relative test of article 26 of the Family Code. The test is one
 * SELECT over person_parents: ancestors up to grandparents of each person, compared. */
#include "registries/kinship.h"

#include <stdio.h>

#include "policy/actor.h"
#include "registries/rnokpp.h"
#include "store/store.h"
#include "tlog/access.h"

static const struct ps_sql insert_parent = {
    "person_parents.insert", "INSERT INTO person_parents (child, parent) VALUES ($1, $2)"};
static const struct ps_sql is_parent = {
    "person_parents.is_parent",
    "SELECT 1 FROM person_parents WHERE child = $1 AND parent = $2"};
/* Each person with their parents and grandparents, each tagged with its generation (1, 2);
 * then: a is an ancestor of b or b of a; or they share an ancestor of generations (1,1)
 * siblings, (2,2) cousins, (1,2)/(2,1) aunt or uncle. Any common ancestor within two
 * generations on both sides is close kinship, so the test is: some ancestor-or-self of a
 * (generation 0..2) equals some ancestor-or-self of b (generation 0..2), except a = b. */
static const struct ps_sql close_kin = {
    "person_parents.close",
    "WITH up_a(p, g) AS (SELECT $1, 0 UNION ALL SELECT parent, 1 FROM person_parents "
    "WHERE child = $1 UNION ALL SELECT pp.parent, 2 FROM person_parents p1 JOIN "
    "person_parents pp ON pp.child = p1.parent WHERE p1.child = $1), "
    "up_b(p, g) AS (SELECT $2, 0 UNION ALL SELECT parent, 1 FROM person_parents "
    "WHERE child = $2 UNION ALL SELECT pp.parent, 2 FROM person_parents p1 JOIN "
    "person_parents pp ON pp.child = p1.parent WHERE p1.child = $2) "
    "SELECT 1 FROM up_a JOIN up_b ON up_a.p = up_b.p LIMIT 1"};

static enum ps_err check_two(struct ps_str a, struct ps_str b, struct ps_diag *diag)
{
    enum ps_err e = ps_rnokpp_validate(a, NULL, diag);
    if (e == PS_OK)
        e = ps_rnokpp_validate(b, NULL, diag);
    if (e == PS_OK && ps_str_eq(a, b))
        return ps_diag_set(diag, PS_ERR_INVALID, "the two RNOKPPs name the same person");
    return e;
}

enum ps_err ps_kinship_register(struct ps_tx *tx, const struct ps_actor *actor,
                                struct ps_str child, struct ps_str parent, struct ps_str reason,
                                struct ps_diag *diag)
{
    if (!actor)
        return ps_diag_set(diag, PS_ERR_DENIED, "recording kinship needs an actor");
    if (!reason.p || reason.len == 0)
        return ps_diag_set(diag, PS_ERR_INVALID, "recording kinship needs a reason");
    enum ps_err e = check_two(child, parent, diag);
    if (e != PS_OK)
        return e;
    struct ps_query q;
    ps_query_start(&q, tx, &insert_parent);
    ps_query_text(&q, child);
    ps_query_text(&q, parent);
    e = ps_query_exec(&q);
    if (e == PS_ERR_EXISTS)
        return ps_diag_set(diag, e, "%.*s is already recorded as a parent of %.*s",
                           PS_STR_FMT(parent), PS_STR_FMT(child));
    if (e != PS_OK)
        return ps_diag_set(diag, e, "recording kinship: %s", ps_tx_errmsg(tx));
    char res[64];
    int n = snprintf(res, sizeof res, "persons/%.*s/parents/%.*s", PS_STR_FMT(child),
                     PS_STR_FMT(parent));
    PS_ASSERT(n > 0 && (size_t)n < sizeof res);
    return ps_tlog_record_change(tx, actor, "kinship.register", child,
                                 (struct ps_str){res, (size_t)n}, reason, diag);
}

static enum ps_err exists(struct ps_tx *tx, const struct ps_sql *sql, struct ps_str a,
                          struct ps_str b, bool *out, struct ps_diag *diag)
{
    struct ps_query q;
    ps_query_start(&q, tx, sql);
    ps_query_text(&q, a);
    ps_query_text(&q, b);
    *out = ps_query_row(&q);
    enum ps_err e = ps_query_end(&q);
    if (e != PS_OK) {
        *out = false;
        return ps_diag_set(diag, e, "reading kinship: %s", ps_tx_errmsg(tx));
    }
    return PS_OK;
}

enum ps_err ps_kinship_is_parent(struct ps_tx *tx, struct ps_str parent, struct ps_str child,
                                 bool *out, struct ps_diag *diag)
{
    *out = false;
    enum ps_err e = check_two(child, parent, diag);
    return e == PS_OK ? exists(tx, &is_parent, child, parent, out, diag) : e;
}

enum ps_err ps_kinship_close(struct ps_tx *tx, struct ps_str a, struct ps_str b, bool *out,
                             struct ps_diag *diag)
{
    *out = false;
    enum ps_err e = check_two(a, b, diag);
    return e == PS_OK ? exists(tx, &close_kin, a, b, out, diag) : e;
}
