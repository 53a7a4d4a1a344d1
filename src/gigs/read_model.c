/*
 * read_model.c - the read model of public gig reads: gig_pages (each published gig's public
 * GigDetails, serialised once at write time by gigs_read.c and cut around the owner's two stats)
 * and seller_stats (each seller's review sum and count). Writers call in inside their own
 * transaction; the public read is one indexed lookup that splices the seller's current stats into
 * the stored text and answers it without parsing it (jsonx_new_raw). read_model_check recomputes
 * everything from the base tables, so `khedmad check-read-model` can prove the model current.
 */
#include <stdlib.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/gigs_read.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/read_model.h"
#include "khedma/timeutil.h"

#define GIG_NOT_FOUND "Gig not found"
#define BUILD_BATCH 500 /* gig ids read per statement when building or checking */

/* The page and its owner's stats: username and slug are the page's unique key, and the stats are
 * one primary-key row (no row: no reviews yet). */
static const char SQL_DETAILS[] =
    "SELECT p.head, p.tail, s.rating_sum, COALESCE(s.rating_count, 0) FROM gig_pages p "
    "LEFT JOIN seller_stats s ON s.user_id = p.owner_id WHERE p.username = ? AND p.slug = ?";
static const char SQL_PAGE_UPSERT[] =
    "INSERT INTO gig_pages (gig_id, owner_id, username, slug, head, tail) VALUES (?, ?, ?, ?, ?, "
    "?) ON DUPLICATE KEY UPDATE owner_id = VALUES(owner_id), username = VALUES(username), "
    "slug = VALUES(slug), head = VALUES(head), tail = VALUES(tail)";
static const char SQL_PAGE_DELETE[] = "DELETE FROM gig_pages WHERE gig_id = ?";
static const char SQL_REVIEW_ADDED[] =
    "INSERT INTO seller_stats (user_id, rating_sum, rating_count) "
    "SELECT g.owner_id, ?, 1 FROM gigs g WHERE g.id = ? "
    "ON DUPLICATE KEY UPDATE rating_sum = rating_sum + VALUES(rating_sum), "
    "rating_count = rating_count + 1";
static const char SQL_OWNER_GIGS[] =
    "SELECT id FROM gigs WHERE owner_id = ? AND status = 'published' ORDER BY id";
/* The stats as the base tables give them: every review counts for its gig's owner, whatever the
 * gig's status (a deleted gig's reviews still rate its seller). */
#define STATS_FROM_REVIEWS                                                                         \
    "SELECT g.owner_id AS user_id, SUM(r.rating) AS rating_sum, COUNT(*) AS rating_count "         \
    "FROM reviews r JOIN gigs g ON g.id = r.gig_id GROUP BY g.owner_id"
static const char SQL_STATS_BUILD[] =
    "INSERT INTO seller_stats (user_id, rating_sum, rating_count) " STATS_FROM_REVIEWS
    " ON DUPLICATE KEY UPDATE rating_sum = VALUES(rating_sum), "
    "rating_count = VALUES(rating_count)";
static const char SQL_STATS_ORPHANS[] =
    "DELETE FROM seller_stats WHERE user_id NOT IN (SELECT x.user_id FROM (" STATS_FROM_REVIEWS
    ") x)";
/* Sellers whose stored stats differ from the reviews (a missing row reads as 0, 0). */
static const char SQL_STATS_DIFF[] =
    "SELECT x.user_id, x.rating_sum, x.rating_count, s.rating_sum, s.rating_count FROM "
    "(" STATS_FROM_REVIEWS
    ") x LEFT JOIN seller_stats s ON s.user_id = x.user_id WHERE s.user_id IS NULL "
    "OR s.rating_sum <> x.rating_sum OR s.rating_count <> x.rating_count "
    "UNION ALL SELECT s.user_id, 0, 0, s.rating_sum, s.rating_count FROM seller_stats s "
    "WHERE (s.rating_sum <> 0 OR s.rating_count <> 0) AND s.user_id NOT IN "
    "(SELECT y.user_id FROM (" STATS_FROM_REVIEWS ") y)";
/* Pages of gigs that are gone or no longer published. */
static const char SQL_STRAY_PAGES[] =
    "SELECT p.gig_id FROM gig_pages p LEFT JOIN gigs g ON g.id = p.gig_id "
    "WHERE g.id IS NULL OR g.status <> 'published'";
static const char SQL_STRAY_DELETE[] =
    "DELETE p FROM gig_pages p LEFT JOIN gigs g ON g.id = p.gig_id "
    "WHERE g.id IS NULL OR g.status <> 'published'";
/* Published gigs after an id, in id order (batches), with whether they have a page. */
static const char SQL_PUBLISHED_AFTER[] =
    "SELECT g.id, p.gig_id IS NOT NULL FROM gigs g LEFT JOIN gig_pages p ON p.gig_id = g.id "
    "WHERE g.status = 'published' AND g.id > ? ORDER BY g.id LIMIT ?";
static const char SQL_STORED_PAGE[] =
    "SELECT owner_id, username, slug, head, tail FROM gig_pages WHERE gig_id = ?";

/* ---- the public read ------------------------------------------------------------------------- */

static enum errkind read_failed(struct db *db, int rc, struct err *e)
{
    if (rc == DB_DOWN)
        return err_set(e, E_UNAVAILABLE, "Database unavailable");
    log_error("read model: gig details failed (%d): %s", rc, db_last_error(db));
    return err_set(e, E_INTERNAL, "Internal error");
}

/* head + rating + ,"numberOfReviews": + count + tail, as one raw JSON value. */
static json_object *splice(const char *head, const char *sum, long long count, const char *tail)
{
    json_object *rating = gigs_read_rating(sum, count);
    const char *rating_text = rating ? jsonx_to_string(rating) : "null";
    char count_text[24];
    snprintf(count_text, sizeof count_text, "%lld", count);
    size_t lh = strlen(head), lr = strlen(rating_text), lb = strlen(GIG_PAGE_BETWEEN_STATS),
           lc = strlen(count_text), lt = strlen(tail);
    char *text = malloc(lh + lr + lb + lc + lt + 1);
    json_object *raw = NULL;
    if (text) {
        char *p = text;
        memcpy(p, head, lh);
        memcpy(p += lh, rating_text, lr);
        memcpy(p += lr, GIG_PAGE_BETWEEN_STATS, lb);
        memcpy(p += lb, count_text, lc);
        memcpy(p += lc, tail, lt);
        raw = jsonx_new_raw(text, lh + lr + lb + lc + lt);
        free(text);
    }
    json_object_put(rating);
    return raw;
}

enum errkind read_model_details(struct db *db, const char *username, const char *slug,
                                json_object **out, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_DETAILS, DB_PARAMS(DBP_S(username), DBP_S(slug)), &r, NULL);
    if (rc != DB_OK)
        return read_failed(db, rc, e);
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    *out = splice(db_result_get(r, 0, 0), db_result_get(r, 0, 2), db_result_int(r, 0, 3, 0),
                  db_result_get(r, 0, 1));
    db_result_free(r);
    if (!*out) {
        log_error("read model: out of memory");
        return err_set(e, E_INTERNAL, "Internal error");
    }
    return E_OK;
}

/* The user and their stats: one unique-key row and one primary-key row. */
static const char SQL_SELLER[] =
    "SELECT u.id, u.name, u.username, u.image, u.created_at, s.rating_sum, "
    "COALESCE(s.rating_count, 0), u.vip FROM users u LEFT JOIN seller_stats s ON s.user_id = u.id "
    "WHERE u.username = ?";
static const char SQL_PAGES_AFTER[] =
    "SELECT gig_id, username, slug FROM gig_pages WHERE gig_id > ? ORDER BY gig_id LIMIT ?";

enum errkind read_model_seller(struct db *db, const char *username, json_object **out,
                               struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_SELLER, DB_PARAMS(DBP_S(username)), &r, NULL);
    if (rc != DB_OK)
        return read_failed(db, rc, e);
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, "User not found");
    }
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", db_result_get(r, 0, 0));
    jsonx_add_str(o, "name", db_result_get(r, 0, 1));
    jsonx_add_str(o, "username", db_result_get(r, 0, 2));
    jsonx_add_str(o, "image", db_result_get(r, 0, 3));
    char iso[ISO_TIME_LEN + 1];
    if (timeutil_iso_from_db(db_result_get(r, 0, 4), iso) == 0)
        jsonx_add_str(o, "createdAt", iso);
    long long count = db_result_int(r, 0, 6, 0);
    json_object_object_add(o, "rating", gigs_read_rating(db_result_get(r, 0, 5), count));
    jsonx_add_int(o, "numberOfReviews", count);
    jsonx_add_bool(o, "vip", db_result_int(r, 0, 7, 0) != 0);
    db_result_free(r);
    *out = o;
    return E_OK;
}

enum errkind read_model_ratings(struct db *db, const char *const *usernames, size_t n,
                                json_object **out, struct err *e)
{
    static const char head[] =
        "SELECT u.username, s.rating_sum, s.rating_count FROM users u JOIN seller_stats s "
        "ON s.user_id = u.id WHERE s.rating_count > 0 AND u.username IN (";
    if (n > READ_MODEL_RATINGS_MAX)
        n = READ_MODEL_RATINGS_MAX;
    *out = json_object_new_object();
    if (n == 0)
        return E_OK;
    char sql[sizeof head + 2 * READ_MODEL_RATINGS_MAX + 2];
    struct db_param params[READ_MODEL_RATINGS_MAX];
    size_t len = sizeof head - 1;
    memcpy(sql, head, len);
    for (size_t i = 0; i < n; i++) {
        sql[len++] = i ? ',' : '?';
        if (i)
            sql[len++] = '?';
        params[i] = DBP_S(usernames[i]);
    }
    sql[len++] = ')';
    sql[len] = '\0';
    struct db_result *r = NULL;
    int rc = db_exec(db, sql, params, n, &r, NULL);
    if (rc != DB_OK) {
        json_object_put(*out);
        *out = NULL;
        return read_failed(db, rc, e);
    }
    for (size_t i = 0; i < r->rows; i++) {
        json_object *o = json_object_new_object();
        long long count = db_result_int(r, i, 2, 0);
        json_object_object_add(o, "rating", gigs_read_rating(db_result_get(r, i, 1), count));
        jsonx_add_int(o, "numberOfReviews", count);
        json_object_object_add(*out, db_result_get(r, i, 0), o);
    }
    db_result_free(r);
    return E_OK;
}

enum errkind read_model_pages_after(struct db *db, const char *after_gig_id, int limit,
                                    json_object **out, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_PAGES_AFTER, DB_PARAMS(DBP_S(after_gig_id), DBP_I(limit)), &r, NULL);
    if (rc != DB_OK)
        return read_failed(db, rc, e);
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < r->rows; i++) {
        json_object *o = json_object_new_object();
        jsonx_add_str(o, "gigId", db_result_get(r, i, 0));
        jsonx_add_str(o, "username", db_result_get(r, i, 1));
        jsonx_add_str(o, "slug", db_result_get(r, i, 2));
        json_object_array_add(list, o);
    }
    db_result_free(r);
    *out = list;
    return E_OK;
}

/* ---- writers --------------------------------------------------------------------------------- */

/* Roll back after gigs_read failed (it has set e). */
static enum errkind rolled_back(struct db *db, struct err *e)
{
    db_rollback(db);
    return e->kind;
}

/* Store the gig's page, or remove it when the gig has none. */
static enum errkind store_page(struct db *db, const char *gig_id, const struct gig_page *p,
                               struct err *e)
{
    int rc = p->published ? db_exec(db, SQL_PAGE_UPSERT,
                                    DB_PARAMS(DBP_S(gig_id), DBP_S(p->owner_id), DBP_S(p->username),
                                              DBP_S(p->slug), DBP_S(p->head), DBP_S(p->tail)),
                                    NULL, NULL)
                          : db_exec(db, SQL_PAGE_DELETE, DB_PARAMS(DBP_S(gig_id)), NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind read_model_gig_changed(struct db *db, const char *gig_id, struct err *e)
{
    struct gig_page p;
    if (gigs_read_page(db, gig_id, &p, e) != E_OK)
        return rolled_back(db, e);
    enum errkind k = store_page(db, gig_id, &p, e);
    gigs_read_page_free(&p);
    return k;
}

enum errkind read_model_owner_changed(struct db *db, const char *user_id, struct err *e)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_OWNER_GIGS, DB_PARAMS(DBP_S(user_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    enum errkind k = E_OK;
    for (size_t i = 0; i < r->rows && k == E_OK; i++)
        k = read_model_gig_changed(db, db_result_get(r, i, 0), e);
    db_result_free(r);
    return k;
}

enum errkind read_model_review_added(struct db *db, const char *gig_id, int rating, struct err *e)
{
    int rc = db_exec(db, SQL_REVIEW_ADDED, DB_PARAMS(DBP_I(rating), DBP_S(gig_id)), NULL, NULL);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

/* ---- building -------------------------------------------------------------------------------- */

static int log_failure(struct db *db, const char *what, int rc)
{
    log_error("read model: %s failed (%d): %s", what, rc, db_last_error(db));
    return -1;
}

/* One gig's page in its own transaction. */
static int build_one(struct db *db, const char *gig_id)
{
    struct err e = {0};
    int rc = db_begin(db);
    if (rc != DB_OK)
        return log_failure(db, "begin", rc);
    enum errkind k = read_model_gig_changed(db, gig_id, &e);
    if (k == E_OK && (rc = db_commit(db)) != DB_OK)
        k = dberr_fail(db, rc, &e);
    if (k != E_OK)
        log_error("read model: page of gig %s: %s", gig_id, e.message);
    err_clear(&e);
    return k == E_OK ? 0 : -1;
}

/* Every published gig's page (those without one when missing_only), in batches by id. */
static int build_pages(struct db *db, bool missing_only, long *built)
{
    char after[64] = "";
    for (;;) {
        struct db_result *r = NULL;
        int rc =
            db_exec(db, SQL_PUBLISHED_AFTER, DB_PARAMS(DBP_S(after), DBP_I(BUILD_BATCH)), &r, NULL);
        if (rc != DB_OK)
            return log_failure(db, "listing published gigs", rc);
        size_t n = r->rows;
        for (size_t i = 0; i < n; i++) {
            if (missing_only && db_result_int(r, i, 1, 0))
                continue;
            if (build_one(db, db_result_get(r, i, 0)) != 0) {
                db_result_free(r);
                return -1;
            }
            (*built)++;
        }
        if (n > 0)
            snprintf(after, sizeof after, "%s", db_result_get(r, n - 1, 0));
        db_result_free(r);
        if (n < BUILD_BATCH)
            return 0;
    }
}

int read_model_build(struct db *db, bool missing_only)
{
    int rc;
    if ((rc = db_exec(db, SQL_STATS_BUILD, NULL, 0, NULL, NULL)) != DB_OK ||
        (rc = db_exec(db, SQL_STATS_ORPHANS, NULL, 0, NULL, NULL)) != DB_OK)
        return log_failure(db, "seller stats", rc);
    if ((rc = db_exec(db, SQL_STRAY_DELETE, NULL, 0, NULL, NULL)) != DB_OK)
        return log_failure(db, "removing stray pages", rc);
    long built = 0;
    if (build_pages(db, missing_only, &built) != 0)
        return -1;
    log_info("read model: %ld gig pages built", built);
    return 0;
}

/* ---- checking -------------------------------------------------------------------------------- */

static const char *or_null(const char *s)
{
    return s ? s : "(none)";
}

static long check_stats(struct db *db, FILE *out)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_STATS_DIFF, NULL, 0, &r, NULL);
    if (rc != DB_OK)
        return log_failure(db, "checking seller stats", rc);
    for (size_t i = 0; i < r->rows; i++)
        fprintf(out, "seller_stats %s: reviews give sum %s count %s, model has sum %s count %s\n",
                db_result_get(r, i, 0), or_null(db_result_get(r, i, 1)),
                or_null(db_result_get(r, i, 2)), or_null(db_result_get(r, i, 3)),
                or_null(db_result_get(r, i, 4)));
    long n = (long)r->rows;
    db_result_free(r);
    return n;
}

/* Gigs whose ranking flag differs from their owner's badge (vip_badge_set keeps them equal). */
static const char SQL_VIP_DIFF[] = "SELECT g.id, g.owner_vip, u.vip FROM gigs g "
                                   "JOIN users u ON u.id = g.owner_id WHERE g.owner_vip <> u.vip";

static long check_owner_vip(struct db *db, FILE *out)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_VIP_DIFF, NULL, 0, &r, NULL);
    if (rc != DB_OK)
        return log_failure(db, "checking gigs.owner_vip", rc);
    for (size_t i = 0; i < r->rows; i++)
        fprintf(out, "gigs %s: owner_vip %s but the owner's vip is %s\n", db_result_get(r, i, 0),
                or_null(db_result_get(r, i, 1)), or_null(db_result_get(r, i, 2)));
    long n = (long)r->rows;
    db_result_free(r);
    return n;
}

static long check_stray_pages(struct db *db, FILE *out)
{
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_STRAY_PAGES, NULL, 0, &r, NULL);
    if (rc != DB_OK)
        return log_failure(db, "checking stray pages", rc);
    for (size_t i = 0; i < r->rows; i++)
        fprintf(out, "gig_pages %s: page of a gig that is not published\n", db_result_get(r, i, 0));
    long n = (long)r->rows;
    db_result_free(r);
    return n;
}

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* One published gig's stored page against the page built now: 0 or 1 difference, -1 on error. */
static long check_page(struct db *db, const char *gig_id, FILE *out)
{
    struct err e = {0};
    struct gig_page want;
    if (gigs_read_page(db, gig_id, &want, &e) != E_OK) {
        err_clear(&e);
        return -1;
    }
    struct db_result *r = NULL;
    int rc = db_exec(db, SQL_STORED_PAGE, DB_PARAMS(DBP_S(gig_id)), &r, NULL);
    long diff = 0;
    if (rc != DB_OK) {
        diff = log_failure(db, "reading a stored page", rc);
    } else if (r->rows == 0) {
        fprintf(out, "gig_pages %s: published gig without a page\n", gig_id);
        diff = 1;
    } else {
        static const char *const names[] = {"owner_id", "username", "slug", "head", "tail"};
        const char *want_cols[] = {want.owner_id, want.username, want.slug, want.head, want.tail};
        for (size_t c = 0; c < 5 && diff == 0; c++) {
            if (same(db_result_get(r, 0, c), want_cols[c]))
                continue;
            fprintf(out, "gig_pages %s: %s differs from the base tables\n", gig_id, names[c]);
            diff = 1;
        }
    }
    db_result_free(r);
    gigs_read_page_free(&want);
    return diff;
}

static long check_pages(struct db *db, FILE *out)
{
    char after[64] = "";
    long diffs = 0;
    for (;;) {
        struct db_result *r = NULL;
        int rc =
            db_exec(db, SQL_PUBLISHED_AFTER, DB_PARAMS(DBP_S(after), DBP_I(BUILD_BATCH)), &r, NULL);
        if (rc != DB_OK)
            return log_failure(db, "listing published gigs", rc);
        size_t n = r->rows;
        for (size_t i = 0; i < n; i++) {
            long d = check_page(db, db_result_get(r, i, 0), out);
            if (d < 0) {
                db_result_free(r);
                return -1;
            }
            diffs += d;
        }
        if (n > 0)
            snprintf(after, sizeof after, "%s", db_result_get(r, n - 1, 0));
        db_result_free(r);
        if (n < BUILD_BATCH)
            return diffs;
    }
}

long read_model_check(struct db *db, FILE *out)
{
    /* One snapshot for every statement, so writes running meanwhile cannot look like drift. */
    int rc = db_exec(db, "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", NULL, 0, NULL, NULL);
    if (rc == DB_OK)
        rc = db_begin(db);
    if (rc != DB_OK)
        return log_failure(db, "starting the check", rc);
    long stats = check_stats(db, out);
    long stray = stats < 0 ? -1 : check_stray_pages(db, out);
    long pages = stray < 0 ? -1 : check_pages(db, out);
    long vip = pages < 0 ? -1 : check_owner_vip(db, out);
    db_rollback(db);
    if (vip < 0)
        return -1;
    return stats + stray + pages + vip;
}
