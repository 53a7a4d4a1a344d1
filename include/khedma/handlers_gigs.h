/*
 * handlers_gigs.h - the public gig reads over REST (docs/api.md, "Gigs"): GET /api/categories,
 * /api/gigs, /api/gigs/{username}/{slug} and /api/users/{username}/gigs.
 * Each handler answers one route of app.c's table and always leaves a response in c->resp.
 */
#ifndef KHEDMA_HANDLERS_GIGS_H
#define KHEDMA_HANDLERS_GIGS_H

#include "khedma/ctx.h"

void handlers_gigs_categories(struct ctx *c);
void handlers_gigs_search(struct ctx *c);
void handlers_gigs_details(struct ctx *c);
void handlers_gigs_user_gigs(struct ctx *c);

#endif
