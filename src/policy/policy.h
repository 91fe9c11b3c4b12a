/* The one access decision (ARCHITECTURE.md rule 9): (actor, action, resource) -> allow or
 * deny, with a reason. The route table names each route's action; the edge's dispatcher
 * authenticates the caller, asks ps_policy_decide and hands the DECIDED actor to the handler;
 * domain code asks again where a rule needs what only the record knows (the oblast a person
 * lives in, for a role scoped to one). The rules are a table of data in policy.c: every
 * action, who may perform it. Pure: no store, no I/O, no globals; thread-safe. */
#ifndef PS_POLICY_POLICY_H
#define PS_POLICY_POLICY_H

#include <stdbool.h>

#include "core/str.h"
#include "policy/actor.h"

/* What the act is about. Any field may be empty (unknown or not applicable). Borrowed. */
struct ps_resource {
    struct ps_str owner;  /* whose data: the person's RNOKPP */
    struct ps_str oblast; /* where that person lives (for oblast-scoped roles) */
    struct ps_str agency; /* the agency the resource belongs to (roles act on their own) */
};

struct ps_decision {
    bool allow;
    /* why (static text): for the 403's detail and the log; set for allow and deny alike */
    const char *reason;
    /* allow: the actor as it acts here. A citizen allowed through an official role comes out
     * as kind PS_ACTOR_OFFICIAL with `role` set to the role that allowed it; everything
     * else as given. Borrows from the actor passed in. */
    struct ps_actor actor;
    /* allow through an oblast-scoped role while resource->oblast was empty: the caller must
     * decide again once it knows the oblast (domain code, before it returns data) */
    bool needs_oblast;
};

/* Decides. action is a name from the route table ("person.read"); an unknown action is
 * denied ("no policy for this action"), as is an anonymous actor on a non-public action. */
void ps_policy_decide(const struct ps_actor *actor, const char *action,
                      const struct ps_resource *resource, struct ps_decision *out);

/* True when the policy has rules for action; *public (may be NULL) tells whether anyone,
 * unauthenticated, may perform it. For the route table's tests. */
bool ps_policy_known(const char *action, bool *public);

#endif
