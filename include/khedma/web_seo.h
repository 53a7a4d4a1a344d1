/*
 * web_seo.h - what the storefront tells search engines (docs/web.md, "Pages"): the canonical
 * link, Open Graph tags and schema.org JSON-LD of a gig page, /sitemap.xml and /robots.txt.
 */
#ifndef KHEDMA_WEB_SEO_H
#define KHEDMA_WEB_SEO_H

#include <json-c/json.h>
#include "khedma/ctx.h"
#include "khedma/html.h"

/* KHEDMA_PUBLIC_URL followed by path (already escaped for an attribute), written into h. */
void web_seo_absolute(struct html *h, const char *path);
/* <link rel="canonical"> for a path on this site (already escaped for an attribute). */
void web_seo_canonical(struct html *h, const char *path);
/* The head elements of a gig page: canonical link, Open Graph tags and the Product JSON-LD.
 * details is GigDetails; path is the gig's canonical path ("/user/slug", already escaped);
 * description the page's meta description; gig_rating and gig_reviews the gig's own reviews
 * (AggregateRating only when gig_reviews > 0). */
void web_seo_gig_head(struct html *h, json_object *details, const char *path,
                      const char *description, json_object *gig_rating, long long gig_reviews);
/* GET /sitemap.xml : home, services, categories, published gigs and their sellers. */
void web_seo_sitemap(struct ctx *c);
/* GET /robots.txt */
void web_seo_robots(struct ctx *c);

#endif
