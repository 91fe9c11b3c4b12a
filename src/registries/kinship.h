/* Kinship in the population registry: who is whose parent (person_parents, migration 0011_registries_services),
 * and what follows from it: a parent may act for their minor child (registering them as an
 * internally displaced person with them), and close relatives may not marry (Family Code of
 * Ukraine, article 26: relatives in the direct line, full and half siblings, cousins, aunts
 * and uncles with nieces and nephews). Every answer here is about two persons; callers that
 * show it to an actor who is neither record the read (the services engine does, through its
 * host functions; the marriage registration refuses with its own record). */
#ifndef PS_REGISTRIES_KINSHIP_H
#define PS_REGISTRIES_KINSHIP_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

/* Records that parent is a parent of child (a birth registration's fact), with the change
 * entry "kinship.register" (subject child, resource "persons/<child>/parents/<parent>",
 * reason as given) in tx. Errors: PS_ERR_INVALID (bad RNOKPP, the same person, no reason),
 * PS_ERR_DENIED (no actor), PS_ERR_EXISTS (already recorded), PS_ERR_INVALID from the store
 * when either person is not registered (foreign key), tlog and store errors. */
enum ps_err ps_kinship_register(struct ps_tx *tx, const struct ps_actor *actor,
                                struct ps_str child, struct ps_str parent, struct ps_str reason,
                                struct ps_diag *diag) PS_WUR;

/* *out true when parent is recorded as a parent of child. Reads only; records nothing. */
enum ps_err ps_kinship_is_parent(struct ps_tx *tx, struct ps_str parent, struct ps_str child,
                                 bool *out, struct ps_diag *diag) PS_WUR;

/* *out true when a and b are close relatives under article 26 of the Family Code as far as
 * the registry's parent links show: one is a parent or grandparent of the other, they share
 * a parent (siblings, half-siblings), a grandparent (cousins), or a parent of one is a
 * sibling of the other (aunt or uncle). One SELECT. Reads only; records nothing. */
enum ps_err ps_kinship_close(struct ps_tx *tx, struct ps_str a, struct ps_str b, bool *out,
                             struct ps_diag *diag) PS_WUR;

#endif
