/*
 * read_model.h - the read model of public gig reads (docs/decisions.md, "Read model for gig
 * pages"): each published gig's public GigDetails stored pre-serialised (gig_pages) and each
 * seller's rating sum and count (seller_stats), kept current by every write that changes them in
 * that write's own transaction, so a public gig page is one primary-key-sized lookup whatever the
 * seller's history.
 */
#ifndef KHEDMA_READ_MODEL_H
#define KHEDMA_READ_MODEL_H

#include <stdbool.h>
#include <stdio.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"

/* GigDetails of a published gig by owner username and slug (gig.getGigDetails and
 * GET /api/gigs/{username}/{slug}): a jsonx raw value holding the stored text. */
enum errkind read_model_details(struct db *db, const char *username, const char *slug,
                                json_object **out, struct err *e);

/* A seller's public profile by username (case-insensitive), with the stats the model keeps:
 * {id, name, username, image, createdAt, rating, numberOfReviews}; rating is null without
 * reviews. E_NOT_FOUND "User not found". */
enum errkind read_model_seller(struct db *db, const char *username, json_object **out,
                               struct err *e);
/* The stats of the sellers with these usernames (at most READ_MODEL_RATINGS_MAX; more are
 * ignored): {username: {rating, numberOfReviews}} for those with reviews, keyed by the usernames
 * as stored (the lookup ignores case like every username lookup). */
#define READ_MODEL_RATINGS_MAX 100
enum errkind read_model_ratings(struct db *db, const char *const *usernames, size_t n,
                                json_object **out, struct err *e);
/* The published gigs' public addresses in gig id order, after after_gig_id ("" for the start),
 * at most limit: [{gigId, username, slug}] (the sitemap). */
enum errkind read_model_pages_after(struct db *db, const char *after_gig_id, int limit,
                                    json_object **out, struct err *e);

/* Writers call these inside their open transaction, after their own changes; on failure the
 * transaction is rolled back and e is set. */
/* The gig's page rebuilt from the base tables (removed when the gig is not published). */
enum errkind read_model_gig_changed(struct db *db, const char *gig_id, struct err *e);
/* Every page of the user's published gigs rebuilt (their name shows on each). */
enum errkind read_model_owner_changed(struct db *db, const char *user_id, struct err *e);
/* A review of `rating` on the gig was added: its owner's sum and count move. */
enum errkind read_model_review_added(struct db *db, const char *gig_id, int rating, struct err *e);

/* Build the model from the base tables, one gig per transaction: the sellers' stats, the pages
 * of published gigs (only those without a page when missing_only), and no page for any other
 * gig. Returns 0, or -1 after logging what failed. */
int read_model_build(struct db *db, bool missing_only);
/* Recompute everything from the base tables in one snapshot and compare with the model; each
 * difference is printed to out. Returns the number of differences, -1 when the check could not
 * run. */
long read_model_check(struct db *db, FILE *out);

#endif
