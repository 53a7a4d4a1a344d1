/*
 * reviews.c - a client's review of a completed order (see reviews.h). One transaction: the order
 * row is share-locked so it cannot change state under the check, and "once per order" is the
 * unique key uq_reviews_order, so two concurrent reviews give one 201 and one 409 on any number
 * of hosts.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/gigs_read.h"
#include "khedma/read_model.h"
#include "khedma/reviews.h"
#include "khedma/timeutil.h"

/* Who may review: E_OK for the client of a completed order, otherwise the refusal (rolled back).
 * gig_id receives the order's gig. */
static enum errkind check_reviewer(struct db *db, const struct user *user, const char *order_id,
                                   char gig_id[CUID_LEN + 1], struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT user_id, freelancer_id, status, gig_id FROM orders WHERE id = ? "
                     "LOCK IN SHARE MODE",
                     DB_PARAMS(DBP_S(order_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    enum errkind k = E_OK;
    bool client = r->rows == 1 && strcmp(db_result_get(r, 0, 0), user->id) == 0;
    bool visible = client || (r->rows == 1 && (strcmp(db_result_get(r, 0, 1), user->id) == 0 ||
                                               strcmp(user->role, "admin") == 0));
    if (!visible)
        k = err_set(e, E_NOT_FOUND, "Order not found");
    else if (!client)
        k = err_set(e, E_FORBIDDEN, "Only the order's client can review it");
    else if (strcmp(db_result_get(r, 0, 2), "completed") != 0)
        k = err_set(e, E_CONFLICT, "Only a completed order can be reviewed");
    else
        snprintf(gig_id, CUID_LEN + 1, "%s", db_result_get(r, 0, 3));
    db_result_free(r);
    if (k != E_OK)
        db_rollback(db);
    return k;
}

static enum errkind load_review(struct db *db, const char *id, json_object **out, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     "SELECT id, order_id, gig_id, rating, comment, created_at FROM reviews "
                     "WHERE id = ?",
                     DB_PARAMS(DBP_S(id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (r->rows != 1) {
        db_result_free(r);
        return dberr_fail(db, DB_ERR, e);
    }
    json_object *o = json_object_new_object();
    char at[ISO_TIME_LEN + 1];
    jsonx_add_str(o, "id", db_result_get(r, 0, 0));
    jsonx_add_str(o, "orderId", db_result_get(r, 0, 1));
    jsonx_add_str(o, "gigId", db_result_get(r, 0, 2));
    jsonx_add_int(o, "rating", db_result_int(r, 0, 3, 0));
    jsonx_add_str(o, "comment", db_result_get(r, 0, 4));
    jsonx_add_str(o, "createdAt",
                  timeutil_iso_from_db(db_result_get(r, 0, 5), at) == 0 ? at : NULL);
    db_result_free(r);
    *out = o;
    return E_OK;
}

enum errkind reviews_create(struct db *db, const struct user *user, const char *order_id,
                            int rating, const char *comment, json_object **review, struct err *e)
{
    char gig_id[CUID_LEN + 1], id[CUID_LEN + 1];
    int rc = db_begin(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (check_reviewer(db, user, order_id, gig_id, e) != E_OK)
        return e->kind;
    cuid_new(id);
    rc = db_exec(db,
                 "INSERT INTO reviews (id, order_id, gig_id, user_id, rating, comment) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 DB_PARAMS(DBP_S(id), DBP_S(order_id), DBP_S(gig_id), DBP_S(user->id),
                           DBP_I(rating), DBP_S(comment)),
                 NULL, NULL);
    if (rc == DB_DUPLICATE) {
        db_rollback(db);
        return err_set(e, E_CONFLICT, "This order has already been reviewed");
    }
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    /* The seller's rating on every gig page moves with the review, in its transaction. */
    if (read_model_review_added(db, gig_id, rating, e) != E_OK)
        return e->kind;
    rc = db_commit(db);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    return load_review(db, id, review, e);
}

/* The gig's reviews by ix_reviews_gig (gig_id, rating): the count and sum read from the index
 * alone, the newest few ordered in memory (a gig's reviews are few next to a whole table). */
static const char SQL_GIG_REVIEW_STATS[] =
    "SELECT COUNT(*), SUM(rating) FROM reviews WHERE gig_id = ?";
static const char SQL_GIG_REVIEWS[] =
    "SELECT r.rating, r.comment, r.created_at, u.name, u.username FROM reviews r "
    "JOIN users u ON u.id = r.user_id WHERE r.gig_id = ? "
    "ORDER BY r.created_at DESC, r.id DESC LIMIT ?";

static json_object *review_item(const struct db_result *r, size_t i)
{
    json_object *o = json_object_new_object();
    jsonx_add_int(o, "rating", db_result_int(r, i, 0, 0));
    jsonx_add_str(o, "comment", db_result_get(r, i, 1));
    char iso[ISO_TIME_LEN + 1];
    if (timeutil_iso_from_db(db_result_get(r, i, 2), iso) == 0)
        jsonx_add_str(o, "createdAt", iso);
    json_object *author = json_object_new_object();
    jsonx_add_str(author, "name", db_result_get(r, i, 3));
    jsonx_add_str(author, "username", db_result_get(r, i, 4));
    json_object_object_add(o, "author", author);
    return o;
}

enum errkind reviews_of_gig(struct db *db, const char *gig_id, int limit, json_object **out,
                            struct err *e)
{
    struct db_result *stats = NULL, *r = NULL;
    int rc = db_exec(db, SQL_GIG_REVIEW_STATS, DB_PARAMS(DBP_S(gig_id)), &stats, NULL);
    long long count = rc == DB_OK ? db_result_int(stats, 0, 0, 0) : 0;
    if (rc == DB_OK && count > 0)
        rc = db_exec(db, SQL_GIG_REVIEWS, DB_PARAMS(DBP_S(gig_id), DBP_I(limit)), &r, NULL);
    if (rc != DB_OK) {
        db_result_free(stats);
        return dberr_fail(db, rc, e);
    }
    json_object *o = json_object_new_object();
    jsonx_add_int(o, "numberOfReviews", count);
    json_object_object_add(o, "rating", gigs_read_rating(db_result_get(stats, 0, 1), count));
    json_object *items = json_object_new_array();
    for (size_t i = 0; r && i < r->rows; i++)
        json_object_array_add(items, review_item(r, i));
    json_object_object_add(o, "items", items);
    db_result_free(stats);
    db_result_free(r);
    *out = o;
    return E_OK;
}
