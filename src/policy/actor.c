/* The actor's two pure helpers (actor.h). */
#include "policy/actor.h"

const char *ps_actor_kind_name(enum ps_actor_kind kind)
{
    switch (kind) {
    case PS_ACTOR_CITIZEN:
        return "citizen";
    case PS_ACTOR_OFFICIAL:
        return "official";
    case PS_ACTOR_SYSTEM:
        return "system";
    case PS_ACTOR_ADMIN:
        return "admin";
    case PS_ACTOR_ANONYMOUS:
        break;
    }
    return "";
}

bool ps_actor_is_subject(const struct ps_actor *actor, struct ps_str subject)
{
    return actor && actor->kind == PS_ACTOR_CITIZEN && actor->id.len > 0 &&
           ps_str_eq(actor->id, subject);
}
