/* The access policy (src/policy): the decision for each kind of actor, roles scoped to an
 * agency and an oblast, client scopes, unknown actions, and the decided actor that the log
 * records. */
#include <criterion/criterion.h>
#include <string.h>

#include "policy/policy.h"

#define S(lit) PS_STR(lit)

static struct ps_decision decide(const struct ps_actor *a, const char *action,
                                 struct ps_resource r)
{
    struct ps_decision d;
    ps_policy_decide(a, action, &r, &d);
    cr_assert_not_null(d.reason, "every decision says why");
    return d;
}

static const struct ps_resource person_a = {.owner = S("3443818003")};

Test(policy, public_actions_allow_anyone_even_anonymous)
{
    struct ps_actor anon = {.kind = PS_ACTOR_ANONYMOUS};
    cr_assert(decide(&anon, "log.read", person_a).allow);
    cr_assert(decide(NULL, "system.read", person_a).allow);
    bool public = false;
    cr_assert(ps_policy_known("log.read", &public) && public);
    cr_assert(ps_policy_known("person.read", &public) && !public);
}

Test(policy, unknown_action_and_anonymous_are_denied)
{
    struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = S("local-admin")};
    struct ps_decision d = decide(&admin, "person.delete-everything", person_a);
    cr_assert(!d.allow);
    cr_assert_str_eq(d.reason, "no policy for this action");
    cr_assert(!ps_policy_known("person.delete-everything", NULL));
    struct ps_actor anon = {.kind = PS_ACTOR_ANONYMOUS};
    cr_assert(!decide(&anon, "person.read", person_a).allow);
    cr_assert(!decide(NULL, "person.read", person_a).allow);
}

Test(policy, citizen_reaches_only_their_own_data)
{
    struct ps_actor me = {.kind = PS_ACTOR_CITIZEN, .id = S("3443818003")};
    struct ps_decision d = decide(&me, "person.read", person_a);
    cr_assert(d.allow);
    cr_assert_eq(d.actor.kind, PS_ACTOR_CITIZEN);
    struct ps_resource other = {.owner = S("3287300012")};
    cr_assert(!decide(&me, "person.read", other).allow);
    cr_assert(!decide(&me, "person.read", (struct ps_resource){0}).allow, "no owner: not own");
    cr_assert(!decide(&me, "person.register", person_a).allow, "registering is not self-service");
    cr_assert(decide(&me, "access-log.read", person_a).allow);
}

Test(policy, official_role_scoped_by_oblast_and_agency)
{
    static const struct ps_role roles[] = {
        {S("clerk"), S("mvs"), S("Львівська область")},
        {S("auditor"), S("mintsyfra"), S("")},
    };
    struct ps_actor off = {.kind = PS_ACTOR_CITIZEN, .id = S("3287300012"), .roles = roles,
                           .nroles = 2};
    struct ps_resource lviv = {.owner = S("3443818003"), .oblast = S("Львівська область")};
    struct ps_resource kyiv = {.owner = S("3443818003"), .oblast = S("м. Київ")};
    struct ps_decision d = decide(&off, "person.read", lviv);
    cr_assert(d.allow);
    cr_assert_eq(d.actor.kind, PS_ACTOR_OFFICIAL, "acts as an official");
    cr_assert_eq(d.actor.role, &roles[0]);
    cr_assert(!d.needs_oblast);
    cr_assert(!decide(&off, "person.read", kyiv).allow, "out of the clerk's oblast");
    /* oblast not known yet: allowed provisionally, the domain must decide again */
    d = decide(&off, "person.read", person_a);
    cr_assert(d.allow && d.needs_oblast);
    /* a role that the action does not name does not help */
    cr_assert(!decide(&off, "person.register", lviv).allow);
    /* an agency's resource: only roles of that agency */
    struct ps_resource of_tax = {.owner = S("3443818003"), .oblast = S("Львівська область"),
                                 .agency = S("dps")};
    cr_assert(!decide(&off, "person.read", of_tax).allow);
    /* the auditor role (any oblast) for access logs */
    d = decide(&off, "access-log.read", kyiv);
    cr_assert(d.allow && !d.needs_oblast);
    cr_assert_eq(d.actor.role, &roles[1]);
    /* their own data: as a citizen, no role used (not recorded as an official's read) */
    struct ps_resource own = {.owner = S("3287300012")};
    d = decide(&off, "person.read", own);
    cr_assert(d.allow);
    cr_assert_eq(d.actor.kind, PS_ACTOR_CITIZEN);
    cr_assert_null(d.actor.role);
}

Test(policy, clients_by_scope_admin_by_rule)
{
    struct ps_actor bank = {.kind = PS_ACTOR_SYSTEM, .id = S("bank-1"),
                            .scopes = PS_SCOPE_DOCUMENTS_VERIFY};
    cr_assert(!decide(&bank, "person.read", person_a).allow);
    bank.scopes |= PS_SCOPE_REGISTRY_READ;
    cr_assert(decide(&bank, "person.read", person_a).allow);
    cr_assert(!decide(&bank, "person.register", person_a).allow);
    struct ps_actor admin = {.kind = PS_ACTOR_ADMIN, .id = S("local-admin")};
    cr_assert(decide(&admin, "person.register", person_a).allow);
    cr_assert(decide(&admin, "access-log.read", person_a).allow);
}

Test(policy, kind_names_and_self)
{
    cr_assert_str_eq(ps_actor_kind_name(PS_ACTOR_OFFICIAL), "official");
    cr_assert_str_eq(ps_actor_kind_name(PS_ACTOR_ANONYMOUS), "", "never recorded");
    struct ps_actor me = {.kind = PS_ACTOR_CITIZEN, .id = S("3443818003")};
    cr_assert(ps_actor_is_subject(&me, S("3443818003")));
    me.kind = PS_ACTOR_OFFICIAL;
    cr_assert(!ps_actor_is_subject(&me, S("3443818003")), "an official act is not self");
}
