/* Words several pages share: an official role's name, an agency's name in the page's
 * language, a person's sex and status. Pure. */
#include "identity/official.h"
#include "portal/portal_int.h"

static const struct {
    const char *role, *text;
} roles[] = {
    {"clerk", N_("clerk")},
    {"registrar", N_("registrar")},
    {"inspector", N_("inspector")},
    {"agency-admin", N_("agency administrator")},
    {"auditor", N_("auditor")},
};

struct ps_str ps_portal_role_text(enum ps_lang lang, struct ps_str role)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
        if (ps_str_eq_cstr(role, roles[i].role))
            return ps_str_from_cstr(ps_i18n(lang, roles[i].text));
    return role;
}

struct ps_str ps_portal_agency_name(enum ps_lang lang, const struct ps_agency *list, size_t n,
                                    struct ps_str code)
{
    for (size_t i = 0; i < n; i++)
        if (ps_str_eq(list[i].code, code))
            return lang == PS_LANG_UK || !list[i].name_en.len ? list[i].name_uk
                                                              : list[i].name_en;
    return code;
}

const char *ps_portal_sex_msg(enum ps_sex sex)
{
    return sex == PS_SEX_FEMALE ? N_("Female") : sex == PS_SEX_MALE ? N_("Male") : "";
}

const char *ps_portal_status_msg(enum ps_person_status s)
{
    return s == PS_PERSON_DECEASED ? N_("Deceased") : N_("Living");
}
