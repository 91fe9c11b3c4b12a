/* A request for a page handler without a server (no headers, so the default language unless
 * the query names one), shared by the portal's unit tests. */
#ifndef PS_TESTS_PORTAL_FAKE_H
#define PS_TESTS_PORTAL_FAKE_H

#include <string.h>

#include "policy/actor.h"
#include "portal/portal_int.h"

struct fake {
    struct ps_req req;
    struct ps_app app;
    struct ps_actor actor;
};

static inline void fake_init(struct fake *f, const char *path, const char *query)
{
    memset(f, 0, sizeof *f);
    f->app.version = "9.9.9";
    f->req.arena = ps_arena_new(1 << 20);
    ps_buf_init(&f->req.out, 1 << 20);
    f->req.app = &f->app;
    f->req.path = ps_str_from_cstr(path);
    f->req.query = ps_str_from_cstr(query);
    f->req.method = PS_STR("GET");
}

static inline void fake_free(struct fake *f)
{
    ps_buf_reset(&f->req.out);
    ps_arena_free(f->req.arena);
}

/* The value of the response header name, or NULL. */
static inline const char *header(struct ps_req *req, const char *name)
{
    for (size_t i = 0; i < req->nhdrs; i++)
        if (ps_str_eq_cstr(req->hdr_names[i], name))
            return req->hdr_values[i].p;
    return NULL;
}

#endif
