/* The civil-status register of marriages: registration and dissolution. A person is in at
 * most one active marriage, whichever party they are, a rule the database enforces: each
 * party is a row of marriage_parties and a unique index over the active rows' RNOKPP
 * (migration 0005) refuses a second one, so two marriages of one person racing on any number
 * of nodes end with one PS_OK and one PS_ERR_EXISTS. Every write records a transparency-log
 * change for each spouse in the same transaction (ARCHITECTURE.md rule 4). */
#ifndef PS_REGISTRIES_CIVIL_H
#define PS_REGISTRIES_CIVIL_H

#include "core/err.h"
#include "core/str.h"

struct ps_tx;
struct ps_actor;

/* A marriage id: UUIDv7 text, 36 characters (plus NUL in buffers). */
#define PS_MARRIAGE_ID_LEN 36

/* Registers the marriage of persons a and b in tx (a write transaction): one marriages row
 * and both marriage_parties rows, then the change "marriage.register" (resource
 * "marriages/<id>", reason as given) once for each spouse as subject. id_out (37 bytes, may be
 * NULL) gets the marriage id. Both inserts are in the one transaction, so a concurrent
 * marriage of either person makes this one or that one fail as a whole.
 * Errors: PS_ERR_INVALID (bad RNOKPP, a and b the same person, a spouse deceased; reason in
 * diag), PS_ERR_NOTFOUND (no such person), PS_ERR_EXISTS ("the person with RNOKPP X is already
 * married": the database's unique index), tlog and store errors. */
enum ps_err ps_marriage_register(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str a,
                                 struct ps_str b, struct ps_str reason, char id_out[37],
                                 struct ps_diag *diag) PS_WUR;

/* Dissolves the active marriage id for both spouses: one conditional UPDATE of the marriage
 * (status 'active' -> 'dissolved', dissolved_at_ms from ps_clock_now_ms) and one of its party
 * rows, then the change "marriage.dissolve" for each spouse. Either may marry again after.
 * Errors: PS_ERR_INVALID (id not a UUID), PS_ERR_NOTFOUND (no active marriage with this id:
 * unknown or already dissolved), tlog and store errors. */
enum ps_err ps_marriage_dissolve(struct ps_tx *tx, const struct ps_actor *actor, struct ps_str id,
                                 struct ps_str reason, struct ps_diag *diag) PS_WUR;

#endif
