/*
 * gigs_read.h - the read side of the gig service (docs/api.md, "Gigs"), shared by the tRPC
 * procedures and the public REST reads: the Gig, GigSummary lists, GigDetails, the public parts
 * of one gig, the category tree and the public search. Outputs are new JSON objects owned by the
 * caller. A gig the caller may not see and one that does not exist are the same E_NOT_FOUND
 * "Gig not found".
 */
#ifndef KHEDMA_GIGS_READ_H
#define KHEDMA_GIGS_READ_H

#include <stdbool.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"

/* The Gig by id, no ownership check (callers check first). E_NOT_FOUND when absent. */
enum errkind gigs_read_plain(struct db *db, const char *gig_id, json_object **out, struct err *e);
/* Boolean: does the owner's gig offer multiple packages (owner only). */
enum errkind gigs_read_offers_multiple(struct db *db, const char *owner_id, const char *gig_id,
                                       json_object **out, struct err *e);
/* [GigSummary] of user_id, newest first; drafts and deleted gigs only when viewer_id == user_id. */
enum errkind gigs_read_user_gigs(struct db *db, const char *viewer_id, const char *user_id,
                                 json_object **out, struct err *e);
/* Full gig for its owner (as GigDetails, without owner stats). */
enum errkind gigs_read_by_id(struct db *db, const char *owner_id, const char *gig_id,
                             json_object **out, struct err *e);
/* The public GigDetails of a gig as the read model stores it (read_model.h): its serialised
 * text cut around the owner's rating and numberOfReviews, which the model keeps per seller and
 * splices in at read time: head + rating + GIG_PAGE_BETWEEN_STATS + count + tail. */
struct gig_page {
    bool published; /* false: the gig has no public page, every other field is NULL */
    char *head;     /* ends with "rating": */
    char *tail;     /* starts right after the value of numberOfReviews */
    char *owner_id, *username, *slug;
};
#define GIG_PAGE_BETWEEN_STATS ",\"numberOfReviews\":"
/* Build the page of a gig from the base tables. */
enum errkind gigs_read_page(struct db *db, const char *gig_id, struct gig_page *p, struct err *e);
void gigs_read_page_free(struct gig_page *p);
/* The owner's mean rating as a JSON number from the sum (decimal text) and count of their
 * reviews: the mean printed with 15 significant digits, NULL (JSON null) without reviews. */
json_object *gigs_read_rating(const char *sum, long long count);
/* [GigSummary] of a user's published gigs, newest first. */
enum errkind gigs_read_by_username(struct db *db, const char *username, json_object **out,
                                   struct err *e);
/* Public parts of a gig: visible when published, or to its owner (viewer_id may be NULL). */
enum errkind gigs_read_packages(struct db *db, const char *viewer_id, const char *gig_id,
                                json_object **out, struct err *e);
enum errkind gigs_read_description_faq(struct db *db, const char *viewer_id, const char *gig_id,
                                       json_object **out, struct err *e);
enum errkind gigs_read_gallery(struct db *db, const char *viewer_id, const char *gig_id,
                               json_object **out, struct err *e);
/* Top-level categories with their subCategories. */
enum errkind gigs_read_categories(struct db *db, json_object **out, struct err *e);

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
enum errkind gigs_read_search(struct db *db, const struct gig_search *s, json_object **out,
                              struct err *e);

#endif
