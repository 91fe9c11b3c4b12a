/* The home page (with the demo people when serving `pocketstate demo`) and the about page. */
#include "portal/portal_int.h"
#include "registries/translit.h"

/* The demo people as the home page lists them: English pages give the Latin name (the official
 * transliteration) with the Ukrainian one beside it. NULL after answering 500. */
static struct ps_tpl_home_people *demo_people(struct ps_page *pg, size_t *n)
{
    struct ps_app *app = pg->req->app;
    struct ps_diag d = {0};
    *n = app && app->demo ? app->ndemo : 0;
    if (*n == 0)
        return NULL;
    struct ps_tpl_home_people *people = ps_api_alloc(pg->req, *n * sizeof *people);
    for (size_t i = 0; people && i < *n; i++) {
        const struct ps_demo_person *dp = &app->demo[i];
        people[i].name = ps_str_from_cstr(dp->name);
        if (pg->lang != PS_LANG_UK &&
            ps_translit_arena(pg->req->arena, people[i].name, &people[i].name_latin, &d) != PS_OK)
            people[i].name_latin = PS_STR("");
        people[i].rnokpp = ps_str_from_cstr(dp->rnokpp);
        if (ps_date_parse(ps_str_from_cstr(dp->birth_date), &people[i].birth, &d) != PS_OK)
            people[i].birth = (struct ps_date){0, 0, 0};
        people[i].code = ps_str_from_cstr(dp->code);
        people[i].role = ps_str_from_cstr(dp->role);
    }
    return people;
}

void ps_portal_home(struct ps_req *req)
{
    struct ps_page *pg = ps_page_new(req, N_("The state in your phone"), "/");
    if (!pg)
        return;
    struct ps_tpl_home v = {.demo = pg->layout.demo};
    /* Identity's pages (part two of the portal) turn this on when /signin and /enrol exist. */
    v.identity = false;
    v.people = demo_people(pg, &v.npeople);
    if (v.npeople && !v.people)
        return;
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
