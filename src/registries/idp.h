/* The register of internally displaced persons (облік внутрішньо переміщених осіб): where a
 * person left (a hromada on the list of occupied or combat territories, and the address),
 * where they live now, whether they are eligible for the living allowance, and, for a minor,
 * the parent they were registered with. The registration is also the certificate (довідка
 * ВПО) the documents module issues from it. At most one registration of a person is active, a
 * rule the database enforces (unique index idp_registrations_one_active, migration 0011_registries_services): a
 * second registration is refused there, on one node or many. */
#ifndef PS_REGISTRIES_IDP_H
#define PS_REGISTRIES_IDP_H

#include <stdbool.h>

#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

/* One registration. Strings borrowed. */
struct ps_idp_registration {
    struct ps_str rnokpp;
    struct ps_str with_parent;      /* empty: an adult registering themselves */
    struct ps_str from_hromada;     /* on the territories list */
    struct ps_str from_address;
    struct ps_str current_address;
    struct ps_str territory_status; /* "occupied" or "combat" */
    bool aid_eligible;
};

/* Registers r in tx with its change entry "idp.register" (subject r->rnokpp, resource
 * "idp-registrations/<id>", reason as given), then calls ps_records_changed for the person
 * (the registration is the IDP certificate's record: registries/records.h source "idp", its
 * number "NNNN-NNNNNNNNNN" drawn at random, unique, drawn again when taken; its date of issue
 * the registration's). id_out (37 bytes, may be NULL) gets the id.
 * ps_person_check_alive reads the person's status first (recorded when actor is not them).
 * Returns PS_OK with refused->code PS_OK when registered; PS_OK with refused->code set when
 * the person is missing or deceased (as ps_person_check_alive says), or already registered
 * (PS_ERR_EXISTS "the person with RNOKPP X is already registered as an internally displaced
 * person": the INSERT is ON CONFLICT DO NOTHING on the unique index, so the database decides).
 * tx must commit then. refused (OUT) is required and is not diag.
 * Errors (roll back): PS_ERR_INVALID (bad RNOKPP, empty or too long fields (400 bytes), an
 * unknown territory status, no reason), PS_ERR_DENIED (no actor), tlog and store errors. */
enum ps_err ps_idp_register(struct ps_tx *tx, const struct ps_actor *actor,
                            const struct ps_idp_registration *r, struct ps_str reason,
                            char id_out[37], struct ps_diag *refused,
                            struct ps_diag *diag) PS_WUR;

/* *out true when rnokpp has an active registration. Reads only; records nothing. */
enum ps_err ps_idp_registered(struct ps_tx *tx, struct ps_str rnokpp, bool *out,
                              struct ps_diag *diag) PS_WUR;

#endif
