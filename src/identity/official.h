/* Agencies and official roles. Officials are persons with roles: clerk, registrar, inspector,
 * agency-admin or auditor, each held for one agency and optionally within one oblast. Roles
 * are granted and revoked with a reason, each a change entry of the transparency log; who may
 * grant is the access policy's decision (an agency admin of that agency, or the local
 * admin), made before these functions run. */
#ifndef PS_IDENTITY_OFFICIAL_H
#define PS_IDENTITY_OFFICIAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"
#include "policy/actor.h"

struct ps_tx;

#define PS_ROLES_MAX 32    /* active roles per person (and per listing page) */
#define PS_AGENCIES_MAX 64

struct ps_agency {
    struct ps_str code, name_uk, name_en, parent; /* parent empty for a top-level body */
};

/* A role as granted: the role itself (name, agency, oblast), who holds it, when. */
struct ps_role_grant {
    char id[37];
    struct ps_str rnokpp;
    struct ps_role role;
    int64_t granted_at_ms;
};

/* Every agency, by code (at most cap). */
enum ps_err ps_agencies_list(struct ps_tx *tx, struct ps_arena *arena, struct ps_agency *out,
                             size_t cap, size_t *n, struct ps_diag *diag) PS_WUR;

/* True when name is one of the five role names. */
bool ps_role_name_valid(struct ps_str name);

/* The active roles of a person (at most PS_ROLES_MAX; strings in arena): what a session
 * carries and the policy decides with. */
enum ps_err ps_roles_of(struct ps_tx *tx, struct ps_str rnokpp, struct ps_arena *arena,
                        struct ps_role *out, size_t cap, size_t *n,
                        struct ps_diag *diag) PS_WUR;

/* The active grants of an agency, newest first, at most cap. */
enum ps_err ps_grants_of_agency(struct ps_tx *tx, struct ps_str agency, struct ps_arena *arena,
                                struct ps_role_grant *out, size_t cap, size_t *n,
                                struct ps_diag *diag) PS_WUR;

/* Grants role (name, agency, oblast: '' for every oblast) to the person rnokpp, in tx: the
 * person must be alive (actor's recorded status read, purpose = reason; a refusal is a
 * committed outcome: PS_OK with refused set). Records "role.grant" (subject rnokpp,
 * resource "roles/<id>?role=..&agency=..[&oblast=..]", reason). out->id gets the new id.
 * Errors: PS_ERR_INVALID (unknown role name or agency, no reason, oblast too long),
 * PS_ERR_EXISTS (the person holds this role already), PS_ERR_LIMIT (PS_ROLES_MAX), store
 * and recording errors. */
enum ps_err ps_role_grant(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str rnokpp,
                          const struct ps_role *role, struct ps_str reason,
                          struct ps_role_grant *out, struct ps_diag *refused,
                          struct ps_diag *diag) PS_WUR;

/* Revokes the active role id held for agency, in tx, recording "role.revoke" (subject the
 * holder, reason). PS_ERR_NOTFOUND when the agency has no such active role; PS_ERR_INVALID
 * without a reason. */
enum ps_err ps_role_revoke(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str agency,
                           struct ps_str id, struct ps_str reason,
                           struct ps_diag *diag) PS_WUR;

#endif
