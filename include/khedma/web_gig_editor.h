/*
 * web_gig_editor.h - the seller's gigs in the dashboard (docs/web.md, "Pages"): the list of their
 * gigs and the gig editor, one page per step of the gig.* procedures (overview, pricing,
 * description and FAQ, gallery, publish or pause, delete). Each step is a GET form prefilled
 * from gigs_read_* and a POST that calls gigs_write_* through the same input validation as tRPC
 * (gig_input.h), then 303 to the next step; a refused POST answers the form again with 422 and
 * the messages next to their fields.
 */
#ifndef KHEDMA_WEB_GIG_EDITOR_H
#define KHEDMA_WEB_GIG_EDITOR_H

#include "khedma/accounts.h"
#include "khedma/ctx.h"
#include "khedma/errors.h"

/* GET /dashboard/gigs and POST /dashboard/gigs (a new draft, then its overview step). */
void web_gig_editor_list(struct ctx *c);
void web_gig_editor_create(struct ctx *c);
/* GET and POST /dashboard/gigs/{id}/<step>. */
void web_gig_editor_overview(struct ctx *c);
void web_gig_editor_overview_save(struct ctx *c);
void web_gig_editor_pricing(struct ctx *c);
void web_gig_editor_pricing_save(struct ctx *c);
void web_gig_editor_description(struct ctx *c);
void web_gig_editor_description_save(struct ctx *c);
void web_gig_editor_gallery(struct ctx *c);
void web_gig_editor_gallery_save(struct ctx *c);
void web_gig_editor_publish(struct ctx *c);
void web_gig_editor_publish_save(struct ctx *c);
void web_gig_editor_delete(struct ctx *c);
void web_gig_editor_delete_save(struct ctx *c);

/* The gallery step of gig_id for user, with e's messages (422) or without (200): how the upload
 * route (web_uploads.c) answers a refused file. */
void web_gig_editor_gallery_page(struct ctx *c, const struct user *u, const char *gig_id,
                                 const struct err *e);
/* Append urls to the gig's images through the gallery service (gig_input_gallery and
 * gigs_write_update_gallery). */
enum errkind web_gig_editor_gallery_add(struct ctx *c, const struct user *u, const char *gig_id,
                                        const char *const *urls, size_t n, struct err *e);

#endif
