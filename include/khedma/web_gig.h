/*
 * web_gig.h - the seller profile (/{username}) and gig (/{username}/{slug}) pages of the
 * storefront (docs/web.md, "Pages"), rendered from the read model the public API answers from.
 */
#ifndef KHEDMA_WEB_GIG_H
#define KHEDMA_WEB_GIG_H

#include "khedma/ctx.h"

/* GET /{username} : the seller's published gigs, rating and member-since date. */
void web_gig_profile(struct ctx *c);
/* GET /{username}/{slug} : a published gig with its packages, seller card and reviews. */
void web_gig_page(struct ctx *c);

#endif
