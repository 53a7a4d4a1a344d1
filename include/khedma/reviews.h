/*
 * reviews.h - reviews of completed orders (docs/api.md, "Order lifecycle"): one per order, by its
 * client, rating 1-5. The gig owner's rating in GigDetails is computed from these rows
 * (gigs_read.c).
 */
#ifndef KHEDMA_REVIEWS_H
#define KHEDMA_REVIEWS_H

#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"

#define REVIEW_COMMENT_MAX 2000 /* characters */

/* rating is 1..5 and comment (NULL for none) at most REVIEW_COMMENT_MAX characters: the caller
 * validated both. *review = {id, orderId, gigId, rating, comment, createdAt}. E_NOT_FOUND for
 * someone who may not see the order, E_FORBIDDEN for anyone but its client, E_CONFLICT when the
 * order is not completed or already reviewed. */
enum errkind reviews_create(struct db *db, const struct user *user, const char *order_id,
                            int rating, const char *comment, json_object **review, struct err *e);

/* A gig's own reviews for its public page: {numberOfReviews, rating (the mean, null without
 * reviews), items: the newest `limit` (1-100) as [{rating, comment, createdAt, author: {name,
 * username}}]}. */
enum errkind reviews_of_gig(struct db *db, const char *gig_id, int limit, json_object **out,
                            struct err *e);

#endif
