/* The home page (with the demo people when serving `pocketstate demo`) and the about page. */
#include "portal/portal_int.h"

void ps_portal_home(struct ps_req *req)
{
    struct ps_page *pg = ps_page_new(req, N_("The state in your phone"), "/");
    if (!pg)
        return;
    struct ps_tpl_home v = {.demo = pg->layout.demo, .latin = pg->lang != PS_LANG_UK};
    /* Identity (issue 9) turns this on when /signin and /enrol exist. */
    v.identity = false;
    const struct ps_portal *p = pg->portal;
    struct ps_tpl_home_people *people =
        p && p->npeople ? ps_api_alloc(req, p->npeople * sizeof *people) : NULL;
    if (p && p->npeople && !people)
        return;
    for (size_t i = 0; people && i < p->npeople; i++) {
        people[i].name = ps_str_from_cstr(p->people[i].name);
        people[i].name_latin = ps_str_from_cstr(p->people[i].name_latin);
        people[i].rnokpp = ps_str_from_cstr(p->people[i].rnokpp);
        people[i].birth = p->people[i].birth_date;
    }
    v.people = people;
    v.npeople = people ? p->npeople : 0;
    ps_page_send(pg, 200, ps_tpl_home_slot(&v));
}

void ps_portal_about(struct ps_req *req)
{
    struct ps_page *pg = ps_page_new(req, N_("About PocketState"), "/about");
    if (!pg)
        return;
    struct ps_tpl_about v = {.version = pg->layout.version};
    ps_page_send(pg, 200, ps_tpl_about_slot(&v));
}
