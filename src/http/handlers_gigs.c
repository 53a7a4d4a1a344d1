/*
 * handlers_gigs.c - the public REST reads of docs/api.md, "Gigs": the category tree, the gig
 * search, one gig's page by owner username and slug, and a user's published gigs.
 *
 * Thin on purpose: read the path and query parameters, call the gig service (gigs_read.c, the
 * same functions the tRPC procedures call), wrap the answer in the REST envelope. The only rules
 * here are those of the request's own syntax (query numbers, ranges and lengths; UTF-8 in the
 * query and the path), checked before the service sees anything, with a 400 that names the
 * parameter.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/handlers_gigs.h"
#include "khedma/gigs_read.h"
#include "khedma/read_model.h"
#include "khedma/rest.h"
#include "khedma/utf8.h"

#define SEARCH_LIMIT_DEFAULT 25 /* as GET /api/orders */
#define SEARCH_LIMIT_MAX 100
/* Far beyond any listing people page through, and small enough that page * limit stays exact. */
#define SEARCH_PAGE_MAX 1000000
#define SEARCH_TEXT_MAX 100 /* characters of q: titles hold at most 80 */
#define SEARCH_SLUG_MAX 100 /* characters of category: the column's width */
/* Whole dirhams of a price bound: package prices stop at ten million (8 digits). */
#define PRICE_INT_DIGITS_MAX 9
#define DIGITS "0123456789"

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

/* A query parameter, NULL when absent or empty (forms send "minPrice=" for an empty field). */
static const char *query_value(struct ctx *c, const char *name)
{
    const char *v = request_query(c->req, name);
    return v && *v ? v : NULL;
}

/* page / limit: plain decimal digits within [min, max]; dflt when absent. */
static int int_param(struct ctx *c, const char *name, int dflt, int min, int max,
                     const char *message, struct err *e)
{
    const char *s = query_value(c, name);
    if (!s)
        return dflt;
    size_t digits = strspn(s, DIGITS);
    if (digits == 0 || s[digits] != '\0' || digits > 9) {
        bad_param(e, name, message);
        return dflt;
    }
    long v = strtol(s, NULL, 10);
    if (v < min || v > max) {
        bad_param(e, name, message);
        return dflt;
    }
    return (int)v;
}

/* minPrice / maxPrice: a non-negative amount in MAD with at most two decimals ("150", "99.5"). */
static const char *price_param(struct ctx *c, const char *name, const char *message, struct err *e)
{
    const char *s = query_value(c, name);
    if (!s)
        return NULL;
    size_t whole = strspn(s, DIGITS);
    const char *rest = s + whole;
    bool frac_ok = true;
    if (*rest == '.') {
        size_t frac = strspn(rest + 1, DIGITS);
        frac_ok = frac >= 1 && frac <= 2;
        rest += 1 + frac;
    }
    if (whole == 0 || whole > PRICE_INT_DIGITS_MAX || !frac_ok || *rest != '\0') {
        bad_param(e, name, message);
        return NULL;
    }
    return s;
}

/* q and category: valid UTF-8 of bounded size (anything else cannot match and is a client bug). */
static const char *text_param(struct ctx *c, const char *name, size_t max_chars,
                              const char *message, struct err *e)
{
    const char *s = query_value(c, name);
    if (!s)
        return NULL;
    size_t len = strlen(s);
    if (!utf8_valid(s, len) || utf8_length(s, len) > max_chars) {
        bad_param(e, name, message);
        return NULL;
    }
    return s;
}

/* The search parameters of GET /api/gigs; false (with e set) when one is malformed. */
static bool search_params(struct ctx *c, struct gig_search *s, struct err *e)
{
    s->q = text_param(c, "q", SEARCH_TEXT_MAX, "q must be at most 100 characters of text", e);
    s->category = text_param(c, "category", SEARCH_SLUG_MAX,
                             "category must be a category slug or id of at most 100 characters", e);
    s->min_price = price_param(
        c, "minPrice", "minPrice must be a non-negative number with at most two decimals", e);
    s->max_price = price_param(
        c, "maxPrice", "maxPrice must be a non-negative number with at most two decimals", e);
    s->page =
        int_param(c, "page", 1, 1, SEARCH_PAGE_MAX, "page must be an integer from 1 to 1000000", e);
    s->limit = int_param(c, "limit", SEARCH_LIMIT_DEFAULT, 1, SEARCH_LIMIT_MAX,
                         "limit must be an integer from 1 to 100", e);
    return e->kind == E_OK;
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
