/*
 * gig_search.h - the parameters of the public gig search (docs/api.md, "Gigs": q, category,
 * minPrice, maxPrice, page, limit) read from their text form and checked, once for every front
 * that takes them: GET /api/gigs (handlers_gigs.c) and the search pages of the web storefront
 * (web_public.c).
 */
#ifndef KHEDMA_GIG_SEARCH_H
#define KHEDMA_GIG_SEARCH_H

#include <stdbool.h>
#include "khedma/errors.h"
#include "khedma/gigs_read.h"

#define GIG_SEARCH_LIMIT_DEFAULT 25
#define GIG_SEARCH_LIMIT_MAX 100
#define GIG_SEARCH_PAGE_MAX 1000000

/* The parameters as received, each NULL or "" when absent (forms send "minPrice=" for an empty
 * field). */
struct gig_search_query {
    const char *q, *category, *min_price, *max_price, *page, *limit;
};

/* Fill s from in (s's strings point into in). Returns false with e set to E_BAD_REQUEST and one
 * field entry per malformed parameter, named as in the query string ("minPrice", ...); the
 * first one's message is also e's message. */
bool gig_search_parse(const struct gig_search_query *in, struct gig_search *s, struct err *e);

#endif
