/* The shape every registry act shares (business.c, civil.c; docs/internals/registries.md,
 * "Refusals are outcomes"): an act starts with nothing refused and no id; it ends either
 * refused — a committed outcome: the reason in `refused` and PS_OK returned, so that the
 * reads recorded on the way (ARCHITECTURE.md rule 3) commit with it — or done, its change
 * recorded in the same transaction and the new or changed row's id handed back. */
#ifndef PS_REGISTRIES_ACT_H
#define PS_REGISTRIES_ACT_H

#include "core/err.h"

/* The start of an act: refused (required, not diag itself: aborts otherwise) is cleared and
 * id_out (may be NULL) emptied. */
void ps_act_begin(struct ps_diag *refused, const struct ps_diag *diag, char *id_out);

/* Refuses the act: sets refused to code and the formatted reason, returns PS_OK (the
 * transaction commits what was recorded before the refusal). */
enum ps_err ps_act_refuse(struct ps_diag *refused, enum ps_err code, const char *fmt, ...)
    PS_PRINTF(3, 4);

/* The end of an act whose change was recorded with result e: on PS_OK, id (37 bytes) is
 * copied to id_out (may be NULL). Returns e. */
enum ps_err ps_act_done(enum ps_err e, const char id[37], char *id_out);

#endif
