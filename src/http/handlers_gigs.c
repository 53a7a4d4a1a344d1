/*
 * handlers_gigs.c - the public REST reads of docs/api.md, "Gigs": the category tree, the gig
 * search, one gig's page by owner username and slug, and a user's published gigs.
 *
 * Thin on purpose: read the path and query parameters, call the gig service (gigs_read.c, the
 * same functions the tRPC procedures call), wrap the answer in the REST envelope. The only rules
 * here are those of the request's own syntax (query numbers, ranges and lengths, checked by
 * gig_search.c; UTF-8 in the path), checked before the service sees anything, with a 400 that
 * names the parameter.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/handlers_gigs.h"
#include "khedma/gig_search.h"
#include "khedma/gigs_read.h"
#include "khedma/read_model.h"
#include "khedma/rest.h"
#include "khedma/utf8.h"

/* Envelope for a service answer; e is cleared either way. */
static void answer(struct ctx *c, enum errkind k, json_object *data, struct err *e)
{
    if (k == E_OK)
        rest_ok(c, 200, data);
    else
        rest_error(c, e);
    err_clear(e);
}

/* A 400 entry for one parameter; the first one also becomes the envelope's message. */
static void bad_param(struct err *e, const char *name, const char *message)
{
    if (e->message[0] == '\0')
        snprintf(e->message, sizeof e->message, "%s", message);
    err_field(e, name, message);
}

/* The search parameters of GET /api/gigs, read and checked by the gig domain (gig_search.c) so
 * the web search pages refuse the same values; false (with e set) when one is malformed. */
static bool search_params(struct ctx *c, struct gig_search *s, struct err *e)
{
    const struct gig_search_query in = {
        .q = request_query(c->req, "q"),
        .category = request_query(c->req, "category"),
        .min_price = request_query(c->req, "minPrice"),
        .max_price = request_query(c->req, "maxPrice"),
        .page = request_query(c->req, "page"),
        .limit = request_query(c->req, "limit"),
    };
    return gig_search_parse(&in, s, e);
}

void handlers_gigs_categories(struct ctx *c)
{
    struct err e = {0};
    json_object *data = NULL;
    enum errkind k = gigs_read_categories(c->db, &data, &e);
    answer(c, k, data, &e);
}

void handlers_gigs_search(struct ctx *c)
{
    struct err e = {0};
    struct gig_search s;
    memset(&s, 0, sizeof s);
    if (!search_params(c, &s, &e)) {
        answer(c, e.kind, NULL, &e);
        return;
    }
    json_object *data = NULL;
    enum errkind k = gigs_read_search(c->db, &s, &data, &e);
    answer(c, k, data, &e);
}

/* A path parameter as the service may see it: MariaDB rejects a parameter that is not UTF-8, so
 * such a path is answered 400 here instead of failing in SQL. */
static const char *path_param(struct ctx *c, const char *name, struct err *e)
{
    const char *v = router_param(&c->match, name);
    if (v && utf8_valid(v, strlen(v)))
        return v;
    char message[64];
    snprintf(message, sizeof message, "%s must be valid UTF-8", name);
    bad_param(e, name, message);
    return NULL;
}

void handlers_gigs_details(struct ctx *c)
{
    struct err e = {0};
    const char *username = path_param(c, "username", &e);
    const char *slug = path_param(c, "slug", &e);
    json_object *data = NULL;
    enum errkind k = e.kind;
    if (k == E_OK)
        k = read_model_details(c->db, username, slug, &data, &e);
    answer(c, k, data, &e);
}

void handlers_gigs_user_gigs(struct ctx *c)
{
    struct err e = {0};
    const char *username = path_param(c, "username", &e);
    json_object *data = NULL;
    enum errkind k = e.kind;
    if (k == E_OK)
        k = gigs_read_by_username(c->db, username, &data, &e);
    answer(c, k, data, &e);
}
