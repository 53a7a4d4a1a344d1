/*
 * gigs.h - the gig service (seed 002, contract section 5) shared by the tRPC procedures and the
 * public REST reads. Inputs arrive already validated (gig_input.h); outputs are the contract's
 * JSON objects, owned by the caller. Ownership is enforced here on every call that names a gig:
 * a gig that does not exist, is deleted, or belongs to someone else is E_NOT_FOUND (or
 * E_UNAUTHORIZED for updateDescriptionFaq / updateGallery, as seed 002 says).
 *
 * Writes live in gigs_write.c, reads in gigs_read.c.
 */
#ifndef KHEDMA_GIGS_H
#define KHEDMA_GIGS_H

#include <stdbool.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/gig_input.h"

/* Columns of "the Gig" object, in the order gig_plain_json() reads them (table alias g). */
#define GIG_COLUMNS                                                                                \
    "g.id, g.title, g.slug, g.description, g.is_paused, g.status, g.offers_multiple_packages, "    \
    "g.owner_id, g.category_id, g.created_at, g.updated_at"

/* ---- writes (gigs_write.c); each is one transaction ---- */
enum errkind gigs_create_draft(struct db *db, const char *owner_id, json_object **out,
                               struct err *e);
enum errkind gigs_update_overview(struct db *db, const char *owner_id,
                                  const struct overview_input *in, json_object **out,
                                  struct err *e);
enum errkind gigs_create_packages(struct db *db, const char *owner_id,
                                  const struct packages_input *in, json_object **out,
                                  struct err *e);
enum errkind gigs_set_offers_multiple(struct db *db, const char *owner_id,
                                      const struct offers_input *in, json_object **out,
                                      struct err *e);
enum errkind gigs_update_description_faq(struct db *db, const char *owner_id,
                                         const struct description_faq_input *in, json_object **out,
                                         struct err *e);
enum errkind gigs_update_gallery(struct db *db, const char *owner_id,
                                 const struct gallery_input *in, json_object **out, struct err *e);
enum errkind gigs_publish(struct db *db, const char *owner_id, const char *gig_id,
                          json_object **out, struct err *e);
enum errkind gigs_delete(struct db *db, const char *owner_id, const char *gig_id, json_object **out,
                         struct err *e);

/* ---- reads (gigs_read.c) ---- */
/* "The Gig" from row `row` of a result whose first columns are GIG_COLUMNS. */
json_object *gig_plain_json(const struct db_result *r, size_t row);
/* The Gig by id, no ownership check (callers check first). E_NOT_FOUND when absent. */
enum errkind gigs_fetch_plain(struct db *db, const char *gig_id, json_object **out, struct err *e);
/* Boolean: does the owner's gig offer multiple packages (owner only). */
enum errkind gigs_offers_multiple(struct db *db, const char *owner_id, const char *gig_id,
                                  json_object **out, struct err *e);
/* [GigSummary] of user_id, newest first; drafts and deleted gigs only when viewer_id == user_id. */
enum errkind gigs_user_gigs(struct db *db, const char *viewer_id, const char *user_id,
                            json_object **out, struct err *e);
/* Full gig for its owner (as GigDetails, without owner stats). */
enum errkind gigs_by_id(struct db *db, const char *owner_id, const char *gig_id, json_object **out,
                        struct err *e);
/* GigDetails of a published gig by owner username and slug. */
enum errkind gigs_details(struct db *db, const char *username, const char *slug, json_object **out,
                          struct err *e);
/* [GigSummary] of a user's published gigs, newest first. */
enum errkind gigs_by_username(struct db *db, const char *username, json_object **out,
                              struct err *e);
/* Public parts of a gig: visible when published, or to its owner (viewer_id may be NULL). */
enum errkind gigs_packages(struct db *db, const char *viewer_id, const char *gig_id,
                           json_object **out, struct err *e);
enum errkind gigs_description_faq(struct db *db, const char *viewer_id, const char *gig_id,
                                  json_object **out, struct err *e);
enum errkind gigs_gallery(struct db *db, const char *viewer_id, const char *gig_id,
                          json_object **out, struct err *e);
/* Top-level categories with their subCategories. */
enum errkind categories_list(struct db *db, json_object **out, struct err *e);

/* GET /api/gigs: published gigs with a basic package, newest first. Strings may be NULL. */
struct gig_search {
    const char *q;         /* text in title (or tags) */
    const char *category;  /* category or subcategory slug */
    const char *min_price; /* decimal strings, validated by the caller */
    const char *max_price;
    int page;  /* from 1 */
    int limit; /* 1-100 */
};
/* {items:[GigSummary], pagination:{totalItems,currentPage,pageSize,totalPages}} */
enum errkind gigs_search(struct db *db, const struct gig_search *s, json_object **out,
                         struct err *e);

#endif
