/*
 * gigs_read.c - the read side of the gig service (seed 002, contract sections 5 and 6): the Gig,
 * lists of GigSummary, GigDetails, the public parts of one gig, the category tree and the public
 * search. Shared by the tRPC procedures and the REST handlers.
 *
 * Why it is shaped like this:
 *  - Every read is one SQL statement. A gig's children (packages, tags, FAQs, attachments) come
 *    back as JSON arrays built by correlated JSON_ARRAYAGG subqueries, so a GigDetails page is one
 *    round trip and a list of N summaries is one round trip too, never 1 + N (issue 3). The SQL
 *    texts are fixed strings (the search picks among a few fixed fragments), so db.c prepares
 *    each once per connection.
 *  - JSON_ARRAYAGG with ORDER BY inside is MariaDB syntax (10.5+). The aggregate is cut at
 *    group_concat_max_len into text that still parses as a shorter array, which would silently
 *    lose rows, so every aggregating statement raises that limit for itself with
 *    SET STATEMENT ... FOR, in the same round trip.
 *  - Money and times never pass through a double inside the SQL JSON: prices leave as
 *    CAST(price AS CHAR) strings and become exact JSON numbers here (jx_new_decimal); DATETIME(3)
 *    values leave as text and become ISO-8601 here (iso_from_db).
 *  - Visibility is part of each WHERE clause, so a gig the caller may not see and a gig that does
 *    not exist are the same answer: "Gig not found". Only columns meant for the public are
 *    selected: the owner's e-mail is never read here, so it cannot leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gigs.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/timeutil.h"

#define GIG_NOT_FOUND "Gig not found"
#define USER_NOT_FOUND "User not found"

/* 16 MiB: the largest gig the input limits allow (20 FAQs of 1,200 characters, 60 URLs of 2 KiB)
 * aggregates to well under 1 MiB, so this is never the limit that bites. */
#define AGG "SET STATEMENT group_concat_max_len = 16777216 FOR "

/* ---- SQL fragments: a gig's children as JSON arrays (g is the gig's alias) ------------------ */

/* Tiers of a GigSummary. ENUM order is basic, standard, premium. */
#define TIERS_JSON                                                                                 \
    "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', p.id, 'name', p.name, "                               \
    "'price', CAST(p.price AS CHAR), 'type', p.type) ORDER BY p.type) "                            \
    "FROM packages p WHERE p.gig_id = g.id)"
/* Full Packages. */
#define PACKAGES_JSON                                                                              \
    "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', p.id, 'name', p.name, "                               \
    "'description', p.description, 'price', CAST(p.price AS CHAR), 'delivery', p.delivery, "       \
    "'revisions', p.revisions, 'type', p.type, 'gigId', p.gig_id, "                                \
    "'createdAt', CAST(p.created_at AS CHAR), 'updatedAt', CAST(p.updated_at AS CHAR)) "           \
    "ORDER BY p.type) FROM packages p WHERE p.gig_id = g.id)"
#define ATTACHMENTS_JSON                                                                           \
    "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', a.id, 'name', a.name, 'url', a.url, 'type', a.type) " \
    "ORDER BY a.position, a.id) FROM attachments a WHERE a.gig_id = g.id)"
#define TAGS_JSON                                                                                  \
    "(SELECT JSON_ARRAYAGG(JSON_OBJECT('id', t.id, 'name', t.name) ORDER BY t.position, t.id) "    \
    "FROM tags t WHERE t.gig_id = g.id)"
#define FAQS_JSON                                                                                  \
    "(SELECT JSON_ARRAYAGG(JSON_OBJECT('question', f.question, 'answer', f.answer) "               \
    "ORDER BY f.position, f.id) FROM faqs f WHERE f.gig_id = g.id)"

/* A gig that is published, or owned by the viewer (the next parameter) and not deleted. */
#define VISIBLE_TO_VIEWER "(g.status = 'published' OR (g.owner_id = ? AND g.status <> 'deleted'))"
#define NEWEST_FIRST " ORDER BY g.created_at DESC, g.id DESC"

/* ---- GigSummary ----------------------------------------------------------------------------- */

#define SUMMARY_COLUMNS                                                                            \
    "g.id, g.title, g.slug, g.status, c.id, c.name, c.parent_id, u.name, u.username, "             \
    "g.offers_multiple_packages, g.created_at, " TIERS_JSON ", " ATTACHMENTS_JSON
enum {
    S_ID,
    S_TITLE,
    S_SLUG,
    S_STATUS,
    S_CAT_ID,
    S_CAT_NAME,
    S_CAT_PARENT,
    S_OWNER_NAME,
    S_OWNER_USERNAME,
    S_MULTI,
    S_CREATED,
    S_TIERS,
    S_ATTACHMENTS,
    S_NCOLS
};
#define SUMMARY_JOINS                                                                              \
    " JOIN users u ON u.id = g.owner_id LEFT JOIN categories c ON c.id = g.category_id"

static const char SQL_USER_GIGS[] = AGG "SELECT " SUMMARY_COLUMNS " FROM gigs g" SUMMARY_JOINS
                                        " WHERE g.owner_id = ? AND (g.status = 'published' "
                                        "OR g.owner_id = ?)" NEWEST_FIRST;
/* Driven from users so that "no such user" (no row) differs from "no gigs" (one row of NULLs). */
static const char SQL_BY_USERNAME[] =
    AGG "SELECT " SUMMARY_COLUMNS " FROM users u LEFT JOIN gigs g ON g.owner_id = u.id "
        "AND g.status = 'published' LEFT JOIN categories c ON c.id = g.category_id "
        "WHERE u.username = ?" NEWEST_FIRST;

/* ---- GigDetails ----------------------------------------------------------------------------- */

#define DETAILS_COLUMNS                                                                            \
    "g.id, g.title, g.slug, g.status, g.description, g.offers_multiple_packages, g.created_at, "   \
    "u.id, u.name, u.username, u.image, c.id, c.slug, c.name, c.parent_id, " TAGS_JSON             \
    ", " PACKAGES_JSON ", " FAQS_JSON ", " ATTACHMENTS_JSON
enum {
    D_ID,
    D_TITLE,
    D_SLUG,
    D_STATUS,
    D_DESCRIPTION,
    D_MULTI,
    D_CREATED,
    D_OWNER_ID,
    D_OWNER_NAME,
    D_OWNER_USERNAME,
    D_OWNER_IMAGE,
    D_CAT_ID,
    D_CAT_SLUG,
    D_CAT_NAME,
    D_CAT_PARENT,
    D_TAGS,
    D_PACKAGES,
    D_FAQS,
    D_ATTACHMENTS,
    D_RATING_SUM, /* only in SQL_DETAILS */
    D_RATING_COUNT
};
/* The owner's reviews over all of the owner's gigs (ix_gigs_owner_created, then the covering
 * ix_reviews_gig). The mean is computed in C from the sum and the count, like JavaScript would. */
#define OWNER_STATS                                                                                \
    ", (SELECT SUM(r.rating) FROM reviews r JOIN gigs rg ON rg.id = r.gig_id "                     \
    "WHERE rg.owner_id = u.id), (SELECT COUNT(*) FROM reviews r JOIN gigs rg ON rg.id = r.gig_id " \
    "WHERE rg.owner_id = u.id)"
#define DETAILS_FROM                                                                               \
    " FROM gigs g JOIN users u ON u.id = g.owner_id LEFT JOIN categories c ON c.id = "             \
    "g.category_id"

static const char SQL_DETAILS[] =
    AGG "SELECT " DETAILS_COLUMNS OWNER_STATS DETAILS_FROM " WHERE u.username = ? AND g.slug = ? "
        "AND g.status = 'published'";
static const char SQL_BY_ID[] = AGG "SELECT " DETAILS_COLUMNS DETAILS_FROM
                                    " WHERE g.id = ? AND g.owner_id = ? AND g.status <> 'deleted'";

/* ---- public parts of one gig, the Gig, categories ------------------------------------------- */

static const char SQL_PACKAGES[] =
    AGG "SELECT " PACKAGES_JSON " FROM gigs g WHERE g.id = ? AND " VISIBLE_TO_VIEWER;
static const char SQL_DESCRIPTION_FAQ[] =
    AGG "SELECT g.description, " FAQS_JSON " FROM gigs g WHERE g.id = ? AND " VISIBLE_TO_VIEWER;
static const char SQL_GALLERY[] =
    AGG "SELECT " ATTACHMENTS_JSON " FROM gigs g WHERE g.id = ? AND " VISIBLE_TO_VIEWER;
static const char SQL_PLAIN[] = "SELECT " GIG_COLUMNS " FROM gigs g WHERE g.id = ?";
static const char SQL_OFFERS_MULTIPLE[] = "SELECT g.offers_multiple_packages FROM gigs g "
                                          "WHERE g.id = ? AND g.owner_id = ? "
                                          "AND g.status <> 'deleted'";
/* Top-level categories first, then every subcategory; both in position order. */
static const char SQL_CATEGORIES[] = "SELECT id, name, slug, parent_id FROM categories "
                                     "ORDER BY parent_id IS NOT NULL, position, id";

/* ---- small helpers -------------------------------------------------------------------------- */

/* A failed statement as the service's error: 503 when the database is out of reach, else 500
 * (the details go to the log, never to the client). */
static enum errkind read_failed(struct db *db, int rc, const char *what, struct err *e)
{
    if (rc == DB_DOWN)
        return err_set(e, E_UNAVAILABLE, "Database unavailable");
    log_error("gigs: %s failed (%d): %s", what, rc, db_last_error(db));
    return err_set(e, E_INTERNAL, "Internal error");
}

/* Run one read; on failure sets e and returns its kind. */
static enum errkind run(struct db *db, const char *what, const char *sql,
                        const struct db_param *params, size_t n, struct db_result **out,
                        struct err *e)
{
    *out = NULL;
    int rc = db_exec(db, sql, params, n, out, NULL);
    if (rc != DB_OK)
        return read_failed(db, rc, what, e);
    return E_OK;
}

/* Output JSON that could not be built from a row: the aggregated text was not what the SQL
 * promises (logged where it was noticed). */
static enum errkind build_failed(struct db_result *r, struct err *e)
{
    db_result_free(r);
    return err_set(e, E_INTERNAL, "Internal error");
}

static void add_iso(json_object *o, const char *key, const char *db_time)
{
    char iso[ISO_TIME_LEN + 1];
    if (db_time && iso_from_db(db_time, iso) == 0)
        jx_add_str(o, key, iso);
    else
        jx_add_null(o, key);
}

/* BOOLEAN columns arrive as "0" / "1". */
static void add_flag(json_object *o, const char *key, const char *cell)
{
    jx_add_bool(o, key, cell && strcmp(cell, "0") != 0);
}

/* Parsed JSON text of a LONGTEXT column (the EditorJS description); null when absent or not
 * valid JSON, so a damaged row still renders. */
static json_object *stored_json(const char *text)
{
    json_object *v = NULL;
    if (!text || !jx_parse_value(text, strlen(text), &v))
        return NULL;
    return v;
}

/* The array a JSON_ARRAYAGG subquery gave; SQL NULL (no child rows) is an empty array. NULL when
 * the text is not an array. */
static json_object *agg_array(const char *text)
{
    if (!text)
        return json_object_new_array();
    json_object *a = jx_parse(text, strlen(text));
    if (!a || !json_object_is_type(a, json_type_array)) {
        json_object_put(a);
        log_error("gigs: aggregated JSON did not parse as an array");
        return NULL;
    }
    return a;
}

/* In an object from an aggregate: a DECIMAL string becomes an exact JSON number. */
static void fix_decimal(json_object *o, const char *key)
{
    const char *s = jx_str(o, key);
    if (s)
        json_object_object_add(o, key, jx_new_decimal(s));
}

/* In an object from an aggregate: DATETIME(3) text becomes the contract's ISO form. */
static void fix_time(json_object *o, const char *key)
{
    const char *s = jx_str(o, key);
    if (!s)
        return;
    char iso[ISO_TIME_LEN + 1];
    json_object_object_add(o, key, iso_from_db(s, iso) == 0 ? json_object_new_string(iso) : NULL);
}

/* ---- children: packages and attachments ----------------------------------------------------- */

/* {basic?, standard?, premium?} from a packages aggregate (tiers or full Packages). NULL when the
 * text is malformed. */
static json_object *packages_by_tier(const char *text)
{
    json_object *arr = agg_array(text);
    if (!arr)
        return NULL;
    json_object *out = json_object_new_object();
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(arr, i);
        const char *type = jx_str(p, "type");
        if (!type)
            continue;
        fix_decimal(p, "price");
        fix_time(p, "createdAt");
        fix_time(p, "updatedAt");
        json_object_object_add(out, type, json_object_get(p));
    }
    json_object_put(arr);
    return out;
}

/* Plural list name of an attachment type. */
static const char *attachment_list(const char *type)
{
    if (!type)
        return NULL;
    if (strcmp(type, "image") == 0)
        return "images";
    if (strcmp(type, "video") == 0)
        return "videos";
    if (strcmp(type, "document") == 0)
        return "documents";
    return NULL;
}

/* {images, videos, documents} from an attachments aggregate: Attachment objects, or only their
 * URLs (getGigGallery). NULL when the text is malformed. */
static json_object *attachments_by_type(const char *text, bool urls_only)
{
    json_object *arr = agg_array(text);
    if (!arr)
        return NULL;
    json_object *out = json_object_new_object();
    json_object_object_add(out, "images", json_object_new_array());
    json_object_object_add(out, "videos", json_object_new_array());
    json_object_object_add(out, "documents", json_object_new_array());
    size_t n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(arr, i);
        const char *list = attachment_list(jx_str(a, "type"));
        if (!list)
            continue;
        const char *url = jx_str(a, "url");
        if (urls_only)
            json_object_array_add(jx_array(out, list), json_object_new_string(url ? url : ""));
        else
            json_object_array_add(jx_array(out, list), json_object_get(a));
    }
    json_object_put(arr);
    return out;
}

/* ---- the Gig -------------------------------------------------------------------------------- */

json_object *gig_plain_json(const struct db_result *r, size_t row)
{
    json_object *o = json_object_new_object();
    jx_add_str(o, "id", dbr_get(r, row, 0));
    jx_add_str(o, "title", dbr_get(r, row, 1));
    jx_add_str(o, "slug", dbr_get(r, row, 2));
    json_object_object_add(o, "description", stored_json(dbr_get(r, row, 3)));
    add_flag(o, "isPaused", dbr_get(r, row, 4));
    jx_add_str(o, "status", dbr_get(r, row, 5));
    add_flag(o, "offersMultiplePackages", dbr_get(r, row, 6));
    jx_add_str(o, "ownerId", dbr_get(r, row, 7));
    jx_add_str(o, "categoryId", dbr_get(r, row, 8));
    add_iso(o, "createdAt", dbr_get(r, row, 9));
    add_iso(o, "updatedAt", dbr_get(r, row, 10));
    return o;
}

enum errkind gigs_fetch_plain(struct db *db, const char *gig_id, json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "fetch gig", SQL_PLAIN, DB_PARAMS(DBP_S(gig_id)), &r, e) != E_OK)
        return e->kind;
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    *out = gig_plain_json(r, 0);
    db_result_free(r);
    return E_OK;
}

enum errkind gigs_offers_multiple(struct db *db, const char *owner_id, const char *gig_id,
                                  json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "offers multiple", SQL_OFFERS_MULTIPLE, DB_PARAMS(DBP_S(gig_id), DBP_S(owner_id)),
            &r, e) != E_OK)
        return e->kind;
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    const char *v = dbr_get(r, 0, 0);
    *out = json_object_new_boolean(v && strcmp(v, "0") != 0);
    db_result_free(r);
    return E_OK;
}

/* ---- GigSummary lists ----------------------------------------------------------------------- */

static json_object *summary_category(const struct db_result *r, size_t row)
{
    if (!dbr_get(r, row, S_CAT_ID))
        return NULL; /* a draft before updateOverview */
    json_object *c = json_object_new_object();
    jx_add_str(c, "id", dbr_get(r, row, S_CAT_ID));
    jx_add_str(c, "name", dbr_get(r, row, S_CAT_NAME));
    jx_add_str(c, "parentId", dbr_get(r, row, S_CAT_PARENT));
    return c;
}

/* One GigSummary from a row of SUMMARY_COLUMNS; NULL when an aggregate is malformed. */
static json_object *summary_json(const struct db_result *r, size_t row)
{
    json_object *attachments = attachments_by_type(dbr_get(r, row, S_ATTACHMENTS), false);
    json_object *packages = packages_by_tier(dbr_get(r, row, S_TIERS));
    if (!attachments || !packages) {
        json_object_put(attachments);
        json_object_put(packages);
        return NULL;
    }
    json_object *o = json_object_new_object();
    jx_add_str(o, "id", dbr_get(r, row, S_ID));
    jx_add_str(o, "title", dbr_get(r, row, S_TITLE));
    jx_add_str(o, "slug", dbr_get(r, row, S_SLUG));
    jx_add_str(o, "status", dbr_get(r, row, S_STATUS));
    json_object_object_add(o, "category", summary_category(r, row));
    json_object_object_add(o, "attachaments", attachments); /* sic: seed 002's key */
    json_object *owner = json_object_new_object();
    jx_add_str(owner, "name", dbr_get(r, row, S_OWNER_NAME));
    jx_add_str(owner, "username", dbr_get(r, row, S_OWNER_USERNAME));
    json_object_object_add(o, "owner", owner);
    add_flag(o, "offersMultiplePackages", dbr_get(r, row, S_MULTI));
    json_object_object_add(o, "packages", packages);
    add_iso(o, "createdAt", dbr_get(r, row, S_CREATED));
    return o;
}

/* [GigSummary] from every row of r that has a gig (rows of a user without gigs have a NULL id).
 * Frees r. */
static enum errkind summaries_from(struct db_result *r, json_object **out, struct err *e)
{
    json_object *list = json_object_new_array();
    for (size_t i = 0; i < r->rows; i++) {
        if (!dbr_get(r, i, S_ID))
            continue;
        json_object *s = summary_json(r, i);
        if (!s) {
            json_object_put(list);
            return build_failed(r, e);
        }
        json_object_array_add(list, s);
    }
    db_result_free(r);
    *out = list;
    return E_OK;
}

enum errkind gigs_user_gigs(struct db *db, const char *viewer_id, const char *user_id,
                            json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "user gigs", SQL_USER_GIGS, DB_PARAMS(DBP_S(user_id), DBP_S(viewer_id)), &r, e) !=
        E_OK)
        return e->kind;
    return summaries_from(r, out, e);
}

enum errkind gigs_by_username(struct db *db, const char *username, json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "gigs by username", SQL_BY_USERNAME, DB_PARAMS(DBP_S(username)), &r, e) != E_OK)
        return e->kind;
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, USER_NOT_FOUND);
    }
    return summaries_from(r, out, e);
}

/* ---- GigDetails and getGigById -------------------------------------------------------------- */

/* The owner's mean rating as a JSON number: sum / count printed with 15 significant digits (what
 * a double holds exactly), null without reviews. */
static json_object *rating_json(const char *sum, long long count)
{
    if (!sum || count <= 0)
        return NULL;
    char text[32];
    double mean = strtod(sum, NULL) / (double)count;
    snprintf(text, sizeof text, "%.15g", mean);
    return json_object_new_double_s(mean, text);
}

static json_object *details_owner(const struct db_result *r, bool with_stats)
{
    json_object *o = json_object_new_object();
    jx_add_str(o, "id", dbr_get(r, 0, D_OWNER_ID));
    jx_add_str(o, "name", dbr_get(r, 0, D_OWNER_NAME));
    jx_add_str(o, "username", dbr_get(r, 0, D_OWNER_USERNAME));
    jx_add_str(o, "image", dbr_get(r, 0, D_OWNER_IMAGE));
    if (with_stats) {
        long long count = dbr_int(r, 0, D_RATING_COUNT, 0);
        json_object_object_add(o, "rating", rating_json(dbr_get(r, 0, D_RATING_SUM), count));
        jx_add_int(o, "numberOfReviews", count);
    }
    return o;
}

static json_object *details_category(const struct db_result *r)
{
    if (!dbr_get(r, 0, D_CAT_ID))
        return NULL;
    json_object *c = json_object_new_object();
    jx_add_str(c, "id", dbr_get(r, 0, D_CAT_ID));
    jx_add_str(c, "slug", dbr_get(r, 0, D_CAT_SLUG));
    jx_add_str(c, "name", dbr_get(r, 0, D_CAT_NAME));
    jx_add_str(c, "parentId", dbr_get(r, 0, D_CAT_PARENT));
    return c;
}

/* The aggregated children of a details row, parsed; false when one is malformed (all freed). */
struct details_children {
    json_object *tags, *packages, *faqs, *attachments;
};

static bool details_children(const struct db_result *r, struct details_children *k)
{
    k->tags = agg_array(dbr_get(r, 0, D_TAGS));
    k->packages = packages_by_tier(dbr_get(r, 0, D_PACKAGES));
    k->faqs = agg_array(dbr_get(r, 0, D_FAQS));
    k->attachments = attachments_by_type(dbr_get(r, 0, D_ATTACHMENTS), false);
    if (k->tags && k->packages && k->faqs && k->attachments)
        return true;
    json_object_put(k->tags);
    json_object_put(k->packages);
    json_object_put(k->faqs);
    json_object_put(k->attachments);
    return false;
}

/* GigDetails from the one row of SQL_DETAILS / SQL_BY_ID; NULL when an aggregate is malformed. */
static json_object *details_json(const struct db_result *r, bool with_stats)
{
    struct details_children k;
    if (!details_children(r, &k))
        return NULL;
    json_object *o = json_object_new_object();
    jx_add_str(o, "id", dbr_get(r, 0, D_ID));
    jx_add_str(o, "title", dbr_get(r, 0, D_TITLE));
    jx_add_str(o, "slug", dbr_get(r, 0, D_SLUG));
    jx_add_str(o, "status", dbr_get(r, 0, D_STATUS));
    json_object_object_add(o, "description", stored_json(dbr_get(r, 0, D_DESCRIPTION)));
    add_flag(o, "offersMultiplePackages", dbr_get(r, 0, D_MULTI));
    json_object_object_add(o, "owner", details_owner(r, with_stats));
    json_object_object_add(o, "category", details_category(r));
    json_object_object_add(o, "tags", k.tags);
    json_object_object_add(o, "packages", k.packages);
    add_iso(o, "createdAt", dbr_get(r, 0, D_CREATED));
    json_object_object_add(o, "faqs", k.faqs);
    json_object_object_add(o, "attachments", k.attachments);
    return o;
}

/* Shared tail of gigs_details and gigs_by_id: not found, or the details object. Frees r. */
static enum errkind details_from(struct db_result *r, bool with_stats, json_object **out,
                                 struct err *e)
{
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    json_object *o = details_json(r, with_stats);
    if (!o)
        return build_failed(r, e);
    db_result_free(r);
    *out = o;
    return E_OK;
}

enum errkind gigs_details(struct db *db, const char *username, const char *slug, json_object **out,
                          struct err *e)
{
    struct db_result *r;
    if (run(db, "gig details", SQL_DETAILS, DB_PARAMS(DBP_S(username), DBP_S(slug)), &r, e) != E_OK)
        return e->kind;
    return details_from(r, true, out, e);
}

enum errkind gigs_by_id(struct db *db, const char *owner_id, const char *gig_id, json_object **out,
                        struct err *e)
{
    struct db_result *r;
    if (run(db, "gig by id", SQL_BY_ID, DB_PARAMS(DBP_S(gig_id), DBP_S(owner_id)), &r, e) != E_OK)
        return e->kind;
    return details_from(r, false, out, e);
}

/* ---- public parts of one gig ---------------------------------------------------------------- */

/* One row of a VISIBLE_TO_VIEWER query, or E_NOT_FOUND. */
static enum errkind visible_row(struct db *db, const char *what, const char *sql,
                                const char *viewer_id, const char *gig_id, struct db_result **r,
                                struct err *e)
{
    if (run(db, what, sql, DB_PARAMS(DBP_S(gig_id), DBP_S(viewer_id)), r, e) != E_OK)
        return e->kind;
    if ((*r)->rows == 0) {
        db_result_free(*r);
        *r = NULL;
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    return E_OK;
}

enum errkind gigs_packages(struct db *db, const char *viewer_id, const char *gig_id,
                           json_object **out, struct err *e)
{
    struct db_result *r;
    if (visible_row(db, "gig packages", SQL_PACKAGES, viewer_id, gig_id, &r, e) != E_OK)
        return e->kind;
    json_object *o = packages_by_tier(dbr_get(r, 0, 0));
    if (!o)
        return build_failed(r, e);
    db_result_free(r);
    *out = o;
    return E_OK;
}

enum errkind gigs_description_faq(struct db *db, const char *viewer_id, const char *gig_id,
                                  json_object **out, struct err *e)
{
    struct db_result *r;
    if (visible_row(db, "gig description", SQL_DESCRIPTION_FAQ, viewer_id, gig_id, &r, e) != E_OK)
        return e->kind;
    json_object *faq = agg_array(dbr_get(r, 0, 1));
    if (!faq)
        return build_failed(r, e);
    json_object *o = json_object_new_object();
    json_object_object_add(o, "description", stored_json(dbr_get(r, 0, 0)));
    json_object_object_add(o, "faq", faq);
    db_result_free(r);
    *out = o;
    return E_OK;
}

enum errkind gigs_gallery(struct db *db, const char *viewer_id, const char *gig_id,
                          json_object **out, struct err *e)
{
    struct db_result *r;
    if (visible_row(db, "gig gallery", SQL_GALLERY, viewer_id, gig_id, &r, e) != E_OK)
        return e->kind;
    json_object *o = attachments_by_type(dbr_get(r, 0, 0), true);
    if (!o)
        return build_failed(r, e);
    db_result_free(r);
    *out = o;
    return E_OK;
}

/* ---- categories ----------------------------------------------------------------------------- */

static json_object *category_json(const struct db_result *r, size_t row)
{
    json_object *c = json_object_new_object();
    jx_add_str(c, "id", dbr_get(r, row, 0));
    jx_add_str(c, "name", dbr_get(r, row, 1));
    jx_add_str(c, "slug", dbr_get(r, row, 2));
    jx_add_str(c, "parentId", dbr_get(r, row, 3));
    return c;
}

enum errkind categories_list(struct db *db, json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "categories", SQL_CATEGORIES, NULL, 0, &r, e) != E_OK)
        return e->kind;
    json_object *list = json_object_new_array();
    json_object *children = json_object_new_object(); /* top-level id -> its subCategories */
    for (size_t i = 0; i < r->rows; i++) {
        const char *parent = dbr_get(r, i, 3);
        json_object *c = category_json(r, i);
        if (!parent) {
            json_object *subs = json_object_new_array();
            json_object_object_add(c, "subCategories", subs);
            json_object_object_add(children, dbr_get(r, i, 0), json_object_get(subs));
            json_object_array_add(list, c);
            continue;
        }
        json_object *subs = jx_array(children, parent);
        if (subs)
            json_object_array_add(subs, c);
        else
            json_object_put(c); /* under a subcategory: the tree has two levels only */
    }
    json_object_put(children);
    db_result_free(r);
    *out = list;
    return E_OK;
}

/* ---- search (GET /api/gigs) ----------------------------------------------------------------- */

#define SEARCH_SQL_MAX 4096
#define SEARCH_PARAMS_MAX 8
#define LIKE_MAX 1024 /* bytes of an escaped LIKE pattern; longer search text matches nothing */

/* A statement assembled from fixed fragments only; every value is a parameter. */
struct search_sql {
    char text[SEARCH_SQL_MAX];
    size_t len;
    struct db_param params[SEARCH_PARAMS_MAX];
    size_t nparams;
    char like[LIKE_MAX];
};

static void sql_add(struct search_sql *q, const char *fragment)
{
    size_t n = strlen(fragment);
    if (q->len + n >= sizeof q->text)
        abort(); /* the fragments are constants that fit; reaching this is a programming error */
    memcpy(q->text + q->len, fragment, n + 1);
    q->len += n;
}

static void sql_param(struct search_sql *q, struct db_param p)
{
    if (q->nparams >= SEARCH_PARAMS_MAX)
        abort(); /* as above: the number of parameters is fixed by the code */
    q->params[q->nparams++] = p;
}

/* "%text%" with LIKE's own characters (backslash, % and _) escaped, so the text matches
 * literally. False when it does not fit. */
static bool like_pattern(const char *text, char *out, size_t size)
{
    size_t o = 0;
    out[o++] = '%';
    for (const char *s = text; *s; s++) {
        if (o + 4 > size)
            return false;
        if (*s == '\\' || *s == '%' || *s == '_')
            out[o++] = '\\';
        out[o++] = *s;
    }
    out[o++] = '%';
    out[o] = '\0';
    return true;
}

/* The WHERE clause of the search (the filtered gigs are g, their basic package bp). */
static void search_filters(struct search_sql *q, const struct gig_search *s)
{
    sql_add(q, " FROM gigs g JOIN packages bp ON bp.gig_id = g.id AND bp.type = 'basic' "
               "WHERE g.status = 'published'");
    if (s->q && *s->q) {
        /* Text that cannot fit the pattern buffer cannot be in an 80-character title either. */
        if (!like_pattern(s->q, q->like, sizeof q->like))
            snprintf(q->like, sizeof q->like, "%s", "");
        sql_add(q, " AND (g.title LIKE ? OR EXISTS (SELECT 1 FROM tags t "
                   "WHERE t.gig_id = g.id AND t.name LIKE ?))");
        const char *like = q->like;
        sql_param(q, DBP_S(like));
        sql_param(q, DBP_S(like));
    }
    if (s->category && *s->category) {
        /* A subcategory's slug, or a top-level one standing for all of its subcategories. */
        sql_add(q, " AND g.category_id IN (SELECT sc.id FROM categories sc LEFT JOIN categories "
                   "sp ON sp.id = sc.parent_id WHERE sc.slug = ? OR sp.slug = ?)");
        sql_param(q, DBP_S(s->category));
        sql_param(q, DBP_S(s->category));
    }
    if (s->min_price) {
        sql_add(q, " AND bp.price >= CAST(? AS DECIMAL(14,2))");
        sql_param(q, DBP_S(s->min_price));
    }
    if (s->max_price) {
        sql_add(q, " AND bp.price <= CAST(? AS DECIMAL(14,2))");
        sql_param(q, DBP_S(s->max_price));
    }
}

/* One page of summaries plus the total in the same statement: the inner query finds the page's
 * ids and COUNT(*) OVER () counts every match before LIMIT applies; only the page's rows then
 * pay for the summary subqueries. The total is the last column. */
static void search_page_sql(struct search_sql *q, const struct gig_search *s)
{
    sql_add(q, AGG "SELECT " SUMMARY_COLUMNS ", pg.total FROM (SELECT g.id, g.created_at, "
                   "COUNT(*) OVER () AS total");
    search_filters(q, s);
    sql_add(q, NEWEST_FIRST
            " LIMIT ? OFFSET ?) pg JOIN gigs g ON g.id = pg.id" SUMMARY_JOINS NEWEST_FIRST);
    sql_param(q, DBP_I(s->limit));
    sql_param(q, DBP_I((long long)(s->page - 1) * s->limit));
}

/* The total alone, for a page past the end (which has no row to carry it). */
static enum errkind search_count(struct db *db, const struct gig_search *s, long long *total,
                                 struct err *e)
{
    struct search_sql q = {.len = 0};
    sql_add(&q, "SELECT COUNT(*)");
    search_filters(&q, s);
    struct db_result *r;
    if (run(db, "gig search count", q.text, q.params, q.nparams, &r, e) != E_OK)
        return e->kind;
    *total = dbr_int(r, 0, 0, 0);
    db_result_free(r);
    return E_OK;
}

static json_object *pagination_json(long long total, const struct gig_search *s)
{
    json_object *p = json_object_new_object();
    jx_add_int(p, "totalItems", total);
    jx_add_int(p, "currentPage", s->page);
    jx_add_int(p, "pageSize", s->limit);
    jx_add_int(p, "totalPages", (total + s->limit - 1) / s->limit);
    return p;
}

enum errkind gigs_search(struct db *db, const struct gig_search *s, json_object **out,
                         struct err *e)
{
    struct search_sql q = {.len = 0};
    search_page_sql(&q, s);
    struct db_result *r;
    if (run(db, "gig search", q.text, q.params, q.nparams, &r, e) != E_OK)
        return e->kind;
    long long total = r->rows > 0 ? dbr_int(r, 0, S_NCOLS, 0) : 0;
    json_object *items;
    if (summaries_from(r, &items, e) != E_OK)
        return e->kind;
    if (json_object_array_length(items) == 0 && s->page > 1 &&
        search_count(db, s, &total, e) != E_OK) {
        json_object_put(items);
        return e->kind;
    }
    json_object *o = json_object_new_object();
    json_object_object_add(o, "items", items);
    json_object_object_add(o, "pagination", pagination_json(total, s));
    *out = o;
    return E_OK;
}
