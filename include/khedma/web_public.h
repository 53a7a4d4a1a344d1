/*
 * web_public.h - the public browsing pages of the storefront (docs/web.md, "Pages"): the home
 * page, the category list, a category's gigs and the search, plus the pieces the seller and gig
 * pages share with them (gig cards, ratings as text, pagination links).
 */
#ifndef KHEDMA_WEB_PUBLIC_H
#define KHEDMA_WEB_PUBLIC_H

#include <json-c/json.h>
#include "khedma/ctx.h"
#include "khedma/html.h"

/* GET / : categories, the newest gigs, a search box. */
void web_public_home(struct ctx *c);
/* GET /services : every category with its sub-categories. */
void web_public_services(struct ctx *c);
/* GET /services/{category} : the gigs of a category or sub-category, paginated. */
void web_public_category(struct ctx *c);
/* GET /services/search : results with the filters of GET /api/gigs, paginated. */
void web_public_search(struct ctx *c);

/* A rating as text for people and screen readers: "4.5 out of 5 (12 reviews)" after stars that
 * are hidden from assistive technology, or "No reviews yet". rating may be NULL. */
void web_public_rating(struct html *h, json_object *rating, long long count);
/* The VIP badge after a seller's name when owner (an owner or seller object) has vip true;
 * nothing otherwise. */
void web_public_vip_badge(struct html *h, json_object *owner);
/* A list of GigSummary cards (<ul class="grid">) with image, title (an <h3> link), seller,
 * rating and "From N MAD". ratings maps a username to {rating, numberOfReviews} (may be NULL:
 * no ratings shown). */
void web_public_gig_cards(struct html *h, json_object *items, json_object *ratings);
/* A seller's rating for each owner of the GigSummary items, as web_public_gig_cards takes them
 * (NULL when the lookup fails: the cards are then shown without ratings). */
json_object *web_public_card_ratings(struct ctx *c, json_object *items);
/* "December 2026" from an ISO time. */
void web_public_month(struct html *h, const char *iso);

#endif
