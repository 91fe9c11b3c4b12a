/* Who acts: the subject of every access decision (ARCHITECTURE.md rule 9), as the edge's
 * dispatcher authenticates it and the policy decides it (policy.h). Domain code takes the
 * decided actor and the transparency log records it (tlog/access.h): kind, id and, for an
 * official, the role and agency the act used. Plain data, no functions but two pure helpers. */
#ifndef PS_POLICY_ACTOR_H
#define PS_POLICY_ACTOR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/str.h"

enum ps_actor_kind {
    PS_ACTOR_ANONYMOUS = 0, /* nobody authenticated: public routes only; never recorded */
    PS_ACTOR_CITIZEN,       /* a person acting for themselves; id is their RNOKPP */
    PS_ACTOR_OFFICIAL,      /* a person acting in an official role (role set); id: RNOKPP */
    PS_ACTOR_SYSTEM,        /* an agency system over signed requests; id is the client id */
    PS_ACTOR_ADMIN,         /* the local operator; id names the admin credential */
};

/* An official role: what a person may do for an agency, optionally within one oblast. */
struct ps_role {
    struct ps_str name;   /* "clerk", "registrar", "inspector", "agency-admin", "auditor" */
    struct ps_str agency; /* the agency's code, e.g. "mvs" */
    struct ps_str oblast; /* empty: every oblast */
};

/* Client scopes (bits). */
#define PS_SCOPE_REGISTRY_READ 0x1u    /* "registry:read" */
#define PS_SCOPE_DOCUMENTS_VERIFY 0x2u /* "documents:verify" */

/* Who is acting. Borrowed strings and arrays: whoever fills it keeps them alive (the
 * dispatcher: the request's arena). */
struct ps_actor {
    enum ps_actor_kind kind;
    struct ps_str id;
    struct ps_str credential;   /* what authenticated it (session, passkey or key id); for
                                 * the act's own bookkeeping, never a secret */
    const struct ps_role *roles; /* a person's official roles (may be none) */
    size_t nroles;
    const struct ps_role *role; /* kind OFFICIAL: the role this act uses (one of roles) */
    unsigned scopes;            /* kind SYSTEM: PS_SCOPE_* */
    struct ps_str agency;       /* kind SYSTEM: the client's agency */
};

/* "citizen", "official", "system", "admin" (as the log stores them); "" for anonymous or
 * an unknown kind. */
const char *ps_actor_kind_name(enum ps_actor_kind kind);

/* True when actor is the citizen (acting for themselves) whose RNOKPP is subject: reading
 * one's own data is not an access by others and is not recorded. */
bool ps_actor_is_subject(const struct ps_actor *actor, struct ps_str subject);

#endif
