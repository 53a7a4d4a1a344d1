/*
 * gigs_read.c - the read side of the gig service (docs/api.md, "Gigs"): the Gig,
 * lists of GigSummary, GigDetails, the public parts of one gig, the category tree and the public
 * search. Shared by the tRPC procedures and the REST handlers.
 *
 * Why it is shaped like this (few round trips and a fast details page are the goals):
 *  - A gig page is ONE statement: a UNION ALL whose first part is the gig row (with owner,
 *    category and the owner's review count and sum) and whose other parts are the rows of its
 *    packages, tags, FAQs and attachments, all in one shared column layout (kind, gig id, id,
 *    fields...; unused columns NULL). A list of N summaries is TWO statements whatever N is: the
 *    gig rows, then the packages and attachments of exactly those gigs, whose ids travel as one
 *    JSON array parameter unpacked by JSON_TABLE (one fixed SQL text, so db.c prepares it once).
 *  - Not JSON_ARRAYAGG: measured on MariaDB 10.11, each aggregate over text columns builds an
 *    on-disk-engine temporary table per execution (about 0.25 ms each, five per page), silently
 *    truncates at group_concat_max_len, and raising that limit per statement crashed the server.
 *    Plain rows are streamed without temporary tables and are exact: DECIMAL prices and
 *    DATETIME(3) values arrive as text and become JSON numbers (jsonx_new_decimal) and ISO-8601
 *    strings (timeutil_iso_from_db) here.
 *  - Child rows are ordered here (position, then id), not by an ORDER BY over the union, which
 *    would need a temporary table.
 *  - Visibility is part of each WHERE clause, so a gig the caller may not see and a gig that does
 *    not exist are the same answer: "Gig not found". Only columns meant for the public are
 *    selected: the owner's e-mail is never read here, so it cannot leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/gigs_read.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/pagination.h"
#include "khedma/timeutil.h"

#define GIG_NOT_FOUND "Gig not found"
#define USER_NOT_FOUND "User not found"

/* Columns of "the Gig" object, in the order plain_json() reads them (table alias g). */
#define GIG_COLUMNS                                                                                \
    "g.id, g.title, g.slug, g.description, g.is_paused, g.status, g.offers_multiple_packages, "    \
    "g.owner_id, g.category_id, g.created_at, g.updated_at"

/* ---- SQL: child rows in the shared layout ---------------------------------------------------- */

/* Every child row starts with its kind ('p', 't', 'f', 'a'; 'g' for a gig row), its gig's id and
 * its own id; the columns after those depend on the kind. */
enum { CHILD_KIND, CHILD_GIG_ID, CHILD_ID, CHILD_FIELDS };
/* Package rows: 11 columns. */
enum {
    COL_PACKAGE_NAME = CHILD_FIELDS,
    COL_PACKAGE_PRICE,
    COL_PACKAGE_TYPE,
    COL_PACKAGE_DESCRIPTION,
    COL_PACKAGE_DELIVERY,
    COL_PACKAGE_REVISIONS,
    COL_PACKAGE_CREATED_AT,
    COL_PACKAGE_UPDATED_AT
};
#define PACKAGE_ROW                                                                                \
    "'p', p.gig_id, p.id, p.name, CAST(p.price AS CHAR), p.type, p.description, p.delivery, "      \
    "p.revisions, p.created_at, p.updated_at"
/* Tag rows: 5 columns. */
enum { COL_TAG_NAME = CHILD_FIELDS, COL_TAG_POSITION };
#define TAG_ROW "'t', t.gig_id, t.id, t.name, t.position"
/* FAQ rows: 6 columns. */
enum { COL_FAQ_QUESTION = CHILD_FIELDS, COL_FAQ_ANSWER, COL_FAQ_POSITION };
#define FAQ_ROW "'f', f.gig_id, f.id, f.question, f.answer, f.position"
/* Attachment rows: 7 columns. */
enum {
    COL_ATTACHMENT_NAME = CHILD_FIELDS,
    COL_ATTACHMENT_URL,
    COL_ATTACHMENT_TYPE,
    COL_ATTACHMENT_POSITION
};
#define ATTACHMENT_ROW "'a', a.gig_id, a.id, a.name, a.url, a.type, a.position"
/* The gig row of SQL_DESCRIPTION_FAQ, in the FAQ rows' 6 columns: the description where a FAQ
 * row has its question. */
enum { COL_GIG_DESCRIPTION = CHILD_FIELDS };

/* Every part of a UNION must have as many columns as the widest; these NULLs pad the narrower
 * parts. The details union is 19 columns wide (DETAILS_GIG_ROW and the owner's two stats). */
#define NULL_COLUMN ", NULL"
#define NULL_COLUMNS_2 NULL_COLUMN NULL_COLUMN
#define NULL_COLUMNS_4 NULL_COLUMNS_2 NULL_COLUMNS_2
#define PACKAGE_ROW_TO_DETAILS NULL_COLUMNS_4 NULL_COLUMNS_4                    /* 11 + 8 */
#define TAG_ROW_TO_DETAILS PACKAGE_ROW_TO_DETAILS NULL_COLUMNS_4 NULL_COLUMNS_2 /* 5 + 14 */
#define FAQ_ROW_TO_DETAILS PACKAGE_ROW_TO_DETAILS NULL_COLUMNS_4 NULL_COLUMN    /* 6 + 13 */
#define ATTACHMENT_ROW_TO_DETAILS PACKAGE_ROW_TO_DETAILS NULL_COLUMNS_4         /* 7 + 12 */
#define NO_OWNER_STATS NULL_COLUMNS_2            /* getGigById: the two stats columns left empty */
#define ATTACHMENT_ROW_TO_PACKAGE NULL_COLUMNS_4 /* 7 + 4: the list children union */
#define GIG_ROW_TO_FAQ NULL_COLUMNS_2            /* 4 + 2: SQL_DESCRIPTION_FAQ */

/* A gig that is published, or owned by the viewer (the next parameter) and not deleted. */
#define VISIBLE_TO_VIEWER "(g.status = 'published' OR (g.owner_id = ? AND g.status <> 'deleted'))"
#define NEWEST_FIRST " ORDER BY g.created_at DESC, g.id DESC"
/* Search and category lists: VIP owners' gigs first, newest first within each group; the order of
 * ix_gigs_public_vip and ix_gigs_category_vip (migration 0014), so a page reads in index order. */
#define VIP_THEN_NEWEST " ORDER BY g.owner_vip DESC, g.created_at DESC, g.id DESC"

/* ---- SQL: GigDetails and getGigById ---------------------------------------------------------- */

/* The gig row of a details union (19 columns; kind 'g'). */
enum {
    D_ID = 1,
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
    D_OWNER_VIP,
    D_RATING_SUM,
    D_RATING_COUNT
};
#define DETAILS_GIG_ROW                                                                            \
    "'g', g.id, g.title, g.slug, g.status, g.description, g.offers_multiple_packages, "            \
    "g.created_at, u.id, u.name, u.username, u.image, c.id, c.slug, c.name, c.parent_id, u.vip"
#define GIG_AND_OWNER " FROM gigs g JOIN users u ON u.id = g.owner_id"
/* One statement for a whole gig page; `where` (two parameters) picks the gig in every part. */
#define DETAILS_SQL(stats, where)                                                                  \
    "SELECT " DETAILS_GIG_ROW stats GIG_AND_OWNER                                                  \
    " LEFT JOIN categories c ON c.id = g.category_id WHERE " where                                 \
    " UNION ALL SELECT " PACKAGE_ROW PACKAGE_ROW_TO_DETAILS GIG_AND_OWNER                          \
    " JOIN packages p ON p.gig_id = g.id "                                                         \
    "WHERE " where " UNION ALL SELECT " TAG_ROW TAG_ROW_TO_DETAILS GIG_AND_OWNER                   \
    " JOIN tags t ON t.gig_id = g.id WHERE " where                                                 \
    " UNION ALL SELECT " FAQ_ROW FAQ_ROW_TO_DETAILS GIG_AND_OWNER                                  \
    " JOIN faqs f ON f.gig_id = g.id WHERE " where                                                 \
    " UNION ALL SELECT " ATTACHMENT_ROW ATTACHMENT_ROW_TO_DETAILS GIG_AND_OWNER                    \
    " JOIN attachments a ON a.gig_id = g.id WHERE " where

/* The public page of a gig by id; the second parameter is always 'published'. The owner's stats
 * are not read here: the read model keeps them per seller and splices them in (read_model.c). */
static const char SQL_PAGE[] = DETAILS_SQL(NO_OWNER_STATS, "g.id = ? AND g.status = ?");
static const char SQL_BY_ID[] =
    DETAILS_SQL(NO_OWNER_STATS, "g.id = ? AND g.owner_id = ? AND g.status <> 'deleted'");

/* ---- SQL: GigSummary lists ------------------------------------------------------------------- */

#define SUMMARY_COLUMNS                                                                            \
    "g.id, g.title, g.slug, g.status, c.id, c.name, c.parent_id, u.name, u.username, "             \
    "g.offers_multiple_packages, g.created_at, u.vip"
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
    S_OWNER_VIP,
    S_NCOLS
};
#define SUMMARY_JOINS                                                                              \
    " JOIN users u ON u.id = g.owner_id LEFT JOIN categories c ON c.id = g.category_id"

static const char SQL_USER_GIGS[] = "SELECT " SUMMARY_COLUMNS " FROM gigs g" SUMMARY_JOINS
                                    " WHERE g.owner_id = ? AND (g.status = 'published' "
                                    "OR g.owner_id = ?)" NEWEST_FIRST;
/* Driven from users so that "no such user" (no row) differs from "no gigs" (one row of NULLs). */
static const char SQL_BY_USERNAME[] =
    "SELECT " SUMMARY_COLUMNS " FROM users u LEFT JOIN gigs g ON g.owner_id = u.id "
    "AND g.status = 'published' LEFT JOIN categories c ON c.id = g.category_id "
    "WHERE u.username = ?" NEWEST_FIRST;
/* The packages and attachments of the gigs whose ids are in the JSON array parameter. */
#define IDS_IN "(SELECT j.id FROM JSON_TABLE(?, '$[*]' COLUMNS (id CHAR(25) PATH '$')) j)"
static const char SQL_LIST_CHILDREN[] =
    "SELECT " PACKAGE_ROW " FROM packages p WHERE p.gig_id IN " IDS_IN
    " UNION ALL SELECT " ATTACHMENT_ROW ATTACHMENT_ROW_TO_PACKAGE
    " FROM attachments a WHERE a.gig_id IN " IDS_IN;

/* ---- SQL: public parts of one gig, the Gig, categories --------------------------------------- */

/* LEFT JOINs: a visible gig without children still gives one row (with a NULL child id). */
static const char SQL_PACKAGES[] = "SELECT " PACKAGE_ROW " FROM gigs g LEFT JOIN packages p "
                                   "ON p.gig_id = g.id WHERE g.id = ? AND " VISIBLE_TO_VIEWER;
static const char SQL_GALLERY[] = "SELECT " ATTACHMENT_ROW " FROM gigs g LEFT JOIN attachments a "
                                  "ON a.gig_id = g.id WHERE g.id = ? AND " VISIBLE_TO_VIEWER;
/* The gig row (kind 'g', the description as COL_GIG_DESCRIPTION), then the FAQ rows. */
static const char SQL_DESCRIPTION_FAQ[] =
    "SELECT 'g', g.id, NULL, g.description" GIG_ROW_TO_FAQ
    " FROM gigs g WHERE g.id = ? AND " VISIBLE_TO_VIEWER " UNION ALL SELECT " FAQ_ROW
    " FROM gigs g JOIN faqs f ON f.gig_id = g.id "
    "WHERE g.id = ? AND " VISIBLE_TO_VIEWER;
static const char SQL_PLAIN[] = "SELECT " GIG_COLUMNS " FROM gigs g WHERE g.id = ?";
static const char SQL_OFFERS_MULTIPLE[] = "SELECT g.offers_multiple_packages FROM gigs g "
                                          "WHERE g.id = ? AND g.owner_id = ? "
                                          "AND g.status <> 'deleted'";
/* Top-level categories first, then every subcategory; both in position order. */
static const char SQL_CATEGORIES[] = "SELECT id, name, slug, parent_id FROM categories "
                                     "ORDER BY parent_id IS NOT NULL, position, id";

/* ---- small helpers --------------------------------------------------------------------------- */

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

static enum errkind out_of_memory(struct db_result *r, struct err *e)
{
    db_result_free(r);
    log_error("gigs: out of memory");
    return err_set(e, E_INTERNAL, "Internal error");
}

static void add_iso(json_object *o, const char *key, const char *db_time)
{
    char iso[ISO_TIME_LEN + 1];
    if (db_time && timeutil_iso_from_db(db_time, iso) == 0)
        jsonx_add_str(o, key, iso);
    else
        jsonx_add_null(o, key);
}

/* BOOLEAN columns arrive as "0" / "1". */
static bool cell_true(const char *cell)
{
    return cell && strcmp(cell, "0") != 0;
}

/* Parsed JSON text of a LONGTEXT column (the EditorJS description); null when absent or not
 * valid JSON, so a damaged row still renders. */
static json_object *stored_json(const char *text)
{
    json_object *v = NULL;
    if (!text || !jsonx_parse_value(text, strlen(text), &v))
        return NULL;
    return v;
}

static bool kind_is(const struct db_result *r, size_t row, char kind)
{
    const char *k = db_result_get(r, row, CHILD_KIND);
    return k && k[0] == kind;
}

/* A child row of that kind (LEFT JOINs give a row with a NULL id when a gig has no children). */
static bool row_is(const struct db_result *r, size_t row, char kind)
{
    return kind_is(r, row, kind) && db_result_get(r, row, CHILD_ID) != NULL;
}

/* ---- ordering child rows --------------------------------------------------------------------- */

struct row_key {
    const char *gig;
    long long position;
    const char *id;
    size_t row;
};

static int nullable_cmp(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "");
}

static int row_key_cmp(const void *pa, const void *pb)
{
    const struct row_key *a = pa, *b = pb;
    int c = nullable_cmp(a->gig, b->gig);
    if (c != 0)
        return c;
    if (a->position != b->position)
        return a->position < b->position ? -1 : 1;
    return nullable_cmp(a->id, b->id);
}

/* The rows of one kind ordered by gig, position (column pos_col) and id. Returns how many; *out
 * is malloc'd (NULL when there are none). -1 when memory runs out. */
static long rows_of_kind(const struct db_result *r, char kind, size_t pos_col, struct row_key **out)
{
    *out = NULL;
    size_t n = 0;
    for (size_t i = 0; i < r->rows; i++)
        n += row_is(r, i, kind);
    if (n == 0)
        return 0;
    struct row_key *keys = malloc(n * sizeof *keys);
    if (!keys)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < r->rows; i++) {
        if (!row_is(r, i, kind))
            continue;
        keys[k++] = (struct row_key){.gig = db_result_get(r, i, CHILD_GIG_ID),
                                     .position = db_result_int(r, i, pos_col, 0),
                                     .id = db_result_get(r, i, CHILD_ID),
                                     .row = i};
    }
    qsort(keys, n, sizeof *keys, row_key_cmp);
    *out = keys;
    return (long)n;
}

/* ---- child objects --------------------------------------------------------------------------- */

/* A Package (full) or a summary tier {id, name, price, type}. */
static json_object *package_json(const struct db_result *r, size_t row, bool full)
{
    json_object *p = json_object_new_object();
    jsonx_add_str(p, "id", db_result_get(r, row, CHILD_ID));
    jsonx_add_str(p, "name", db_result_get(r, row, COL_PACKAGE_NAME));
    if (full)
        jsonx_add_str(p, "description", db_result_get(r, row, COL_PACKAGE_DESCRIPTION));
    jsonx_add_decimal(p, "price", db_result_get(r, row, COL_PACKAGE_PRICE));
    if (full) {
        jsonx_add_int(p, "delivery", db_result_int(r, row, COL_PACKAGE_DELIVERY, 0));
        jsonx_add_int(p, "revisions", db_result_int(r, row, COL_PACKAGE_REVISIONS, 0));
    }
    jsonx_add_str(p, "type", db_result_get(r, row, COL_PACKAGE_TYPE));
    if (full) {
        jsonx_add_str(p, "gigId", db_result_get(r, row, CHILD_GIG_ID));
        add_iso(p, "createdAt", db_result_get(r, row, COL_PACKAGE_CREATED_AT));
        add_iso(p, "updatedAt", db_result_get(r, row, COL_PACKAGE_UPDATED_AT));
    }
    return p;
}

/* Tier rank, so that {basic, standard, premium} keep that order whatever order rows came in. */
static int tier_rank(const char *type)
{
    static const char *const tiers[] = {"basic", "standard", "premium"};
    for (int i = 0; i < 3; i++)
        if (type && strcmp(type, tiers[i]) == 0)
            return i;
    return -1;
}

/* {basic?, standard?, premium?} full Packages from the package rows of a one-gig result. */
static json_object *packages_json(const struct db_result *r)
{
    json_object *tier[3] = {NULL, NULL, NULL};
    for (size_t i = 0; i < r->rows; i++) {
        if (!row_is(r, i, 'p'))
            continue;
        int rank = tier_rank(db_result_get(r, i, COL_PACKAGE_TYPE));
        if (rank >= 0 && !tier[rank])
            tier[rank] = package_json(r, i, true);
    }
    json_object *out = json_object_new_object();
    for (int t = 0; t < 3; t++)
        if (tier[t])
            json_object_object_add(out, jsonx_str(tier[t], "type"), tier[t]);
    return out;
}

static json_object *attachment_json(const struct db_result *r, size_t row)
{
    json_object *a = json_object_new_object();
    jsonx_add_str(a, "id", db_result_get(r, row, CHILD_ID));
    jsonx_add_str(a, "name", db_result_get(r, row, COL_ATTACHMENT_NAME));
    jsonx_add_str(a, "url", db_result_get(r, row, COL_ATTACHMENT_URL));
    jsonx_add_str(a, "type", db_result_get(r, row, COL_ATTACHMENT_TYPE));
    return a;
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

static json_object *empty_gallery(void)
{
    json_object *g = json_object_new_object();
    json_object_object_add(g, "images", json_object_new_array());
    json_object_object_add(g, "videos", json_object_new_array());
    json_object_object_add(g, "documents", json_object_new_array());
    return g;
}

/* One attachment row into a gallery object: the Attachment, or only its URL (getGigGallery). */
static void gallery_add(json_object *gallery, const struct db_result *r, size_t row, bool urls_only)
{
    json_object *list =
        jsonx_array(gallery, attachment_list(db_result_get(r, row, COL_ATTACHMENT_TYPE)));
    if (!list)
        return;
    if (urls_only)
        json_object_array_add(list,
                              json_object_new_string(db_result_get(r, row, COL_ATTACHMENT_URL)));
    else
        json_object_array_add(list, attachment_json(r, row));
}

/* {images, videos, documents} of every attachment row, in position order. NULL when memory runs
 * out. */
static json_object *gallery_json(const struct db_result *r, bool urls_only)
{
    struct row_key *keys;
    long n = rows_of_kind(r, 'a', COL_ATTACHMENT_POSITION, &keys);
    if (n < 0)
        return NULL;
    json_object *gallery = empty_gallery();
    for (long i = 0; i < n; i++)
        gallery_add(gallery, r, keys[i].row, urls_only);
    free(keys);
    return gallery;
}

static json_object *tag_json(const struct db_result *r, size_t row)
{
    json_object *t = json_object_new_object();
    jsonx_add_str(t, "id", db_result_get(r, row, CHILD_ID));
    jsonx_add_str(t, "name", db_result_get(r, row, COL_TAG_NAME));
    return t;
}

static json_object *faq_json(const struct db_result *r, size_t row)
{
    json_object *f = json_object_new_object();
    jsonx_add_str(f, "question", db_result_get(r, row, COL_FAQ_QUESTION));
    jsonx_add_str(f, "answer", db_result_get(r, row, COL_FAQ_ANSWER));
    return f;
}

/* [tag] or [faq] of every row of that kind, in position order; NULL when memory runs out. */
static json_object *ordered_list(const struct db_result *r, char kind, size_t pos_col,
                                 json_object *(*item)(const struct db_result *, size_t))
{
    struct row_key *keys;
    long n = rows_of_kind(r, kind, pos_col, &keys);
    if (n < 0)
        return NULL;
    json_object *list = json_object_new_array();
    for (long i = 0; i < n; i++)
        json_object_array_add(list, item(r, keys[i].row));
    free(keys);
    return list;
}

/* ---- the Gig --------------------------------------------------------------------------------- */

/* "The Gig" from row `row` of a result whose first columns are GIG_COLUMNS. */
static json_object *plain_json(const struct db_result *r, size_t row)
{
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", db_result_get(r, row, 0));
    jsonx_add_str(o, "title", db_result_get(r, row, 1));
    jsonx_add_str(o, "slug", db_result_get(r, row, 2));
    json_object_object_add(o, "description", stored_json(db_result_get(r, row, 3)));
    jsonx_add_bool(o, "isPaused", cell_true(db_result_get(r, row, 4)));
    jsonx_add_str(o, "status", db_result_get(r, row, 5));
    jsonx_add_bool(o, "offersMultiplePackages", cell_true(db_result_get(r, row, 6)));
    jsonx_add_str(o, "ownerId", db_result_get(r, row, 7));
    jsonx_add_str(o, "categoryId", db_result_get(r, row, 8));
    add_iso(o, "createdAt", db_result_get(r, row, 9));
    add_iso(o, "updatedAt", db_result_get(r, row, 10));
    return o;
}

enum errkind gigs_read_plain(struct db *db, const char *gig_id, json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "fetch gig", SQL_PLAIN, DB_PARAMS(DBP_S(gig_id)), &r, e) != E_OK)
        return e->kind;
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    *out = plain_json(r, 0);
    db_result_free(r);
    return E_OK;
}

enum errkind gigs_read_offers_multiple(struct db *db, const char *owner_id, const char *gig_id,
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
    *out = json_object_new_boolean(cell_true(db_result_get(r, 0, 0)));
    db_result_free(r);
    return E_OK;
}

/* ---- GigSummary lists ------------------------------------------------------------------------ */

static json_object *summary_category(const struct db_result *r, size_t row)
{
    if (!db_result_get(r, row, S_CAT_ID))
        return NULL; /* a draft before updateOverview */
    json_object *c = json_object_new_object();
    jsonx_add_str(c, "id", db_result_get(r, row, S_CAT_ID));
    jsonx_add_str(c, "name", db_result_get(r, row, S_CAT_NAME));
    jsonx_add_str(c, "parentId", db_result_get(r, row, S_CAT_PARENT));
    return c;
}

/* One GigSummary from a row of SUMMARY_COLUMNS, with empty packages and attachments. */
static json_object *summary_json(const struct db_result *r, size_t row)
{
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", db_result_get(r, row, S_ID));
    jsonx_add_str(o, "title", db_result_get(r, row, S_TITLE));
    jsonx_add_str(o, "slug", db_result_get(r, row, S_SLUG));
    jsonx_add_str(o, "status", db_result_get(r, row, S_STATUS));
    json_object_object_add(o, "category", summary_category(r, row));
    json_object_object_add(o, "attachaments", empty_gallery()); /* sic: the tRPC clients' key */
    json_object *owner = json_object_new_object();
    jsonx_add_str(owner, "name", db_result_get(r, row, S_OWNER_NAME));
    jsonx_add_str(owner, "username", db_result_get(r, row, S_OWNER_USERNAME));
    jsonx_add_bool(owner, "vip", cell_true(db_result_get(r, row, S_OWNER_VIP)));
    json_object_object_add(o, "owner", owner);
    jsonx_add_bool(o, "offersMultiplePackages", cell_true(db_result_get(r, row, S_MULTI)));
    json_object_object_add(o, "packages", json_object_new_object());
    add_iso(o, "createdAt", db_result_get(r, row, S_CREATED));
    return o;
}

/* Fill the summaries' packages and attachments from the child rows (kinds 'p' and 'a'). by_id
 * maps each gig id to its summary. Tiers are added in rank order so every summary lists basic,
 * standard, premium in that order. False when memory runs out. */
static bool attach_children(const struct db_result *c, json_object *by_id)
{
    for (int rank = 0; rank < 3; rank++) {
        for (size_t i = 0; i < c->rows; i++) {
            if (!row_is(c, i, 'p') || tier_rank(db_result_get(c, i, COL_PACKAGE_TYPE)) != rank)
                continue;
            json_object *s = jsonx_obj(by_id, db_result_get(c, i, CHILD_GIG_ID));
            if (s)
                json_object_object_add(jsonx_obj(s, "packages"),
                                       db_result_get(c, i, COL_PACKAGE_TYPE),
                                       package_json(c, i, false));
        }
    }
    struct row_key *keys;
    long n = rows_of_kind(c, 'a', COL_ATTACHMENT_POSITION, &keys);
    if (n < 0)
        return false;
    for (long i = 0; i < n; i++) {
        json_object *s = jsonx_obj(by_id, keys[i].gig);
        if (s)
            gallery_add(jsonx_obj(s, "attachaments"), c, keys[i].row, false);
    }
    free(keys);
    return true;
}

/* The ids of the listed gigs as a JSON array text, for SQL_LIST_CHILDREN. */
static char *ids_json(json_object *list)
{
    json_object *ids = json_object_new_array();
    size_t n = json_object_array_length(list);
    for (size_t i = 0; i < n; i++)
        json_object_array_add(
            ids, json_object_new_string(jsonx_str(json_object_array_get_idx(list, i), "id")));
    char *text = strdup(jsonx_to_string(ids));
    json_object_put(ids);
    return text;
}

/* Second statement of every list: the listed gigs' packages and attachments. */
static enum errkind add_children(struct db *db, json_object *list, json_object *by_id,
                                 struct err *e)
{
    if (json_object_array_length(list) == 0)
        return E_OK;
    char *ids = ids_json(list);
    if (!ids)
        return out_of_memory(NULL, e);
    struct db_result *c;
    enum errkind k =
        run(db, "list children", SQL_LIST_CHILDREN, DB_PARAMS(DBP_S(ids), DBP_S(ids)), &c, e);
    free(ids);
    if (k != E_OK)
        return k;
    if (!attach_children(c, by_id))
        return out_of_memory(c, e);
    db_result_free(c);
    return E_OK;
}

/* [GigSummary] from every row of r that has a gig (a user without gigs gives one row with a
 * NULL id), completed by a second statement for their children. Frees r. */
static enum errkind summaries_from(struct db *db, struct db_result *r, json_object **out,
                                   struct err *e)
{
    json_object *list = json_object_new_array();
    json_object *by_id = json_object_new_object();
    for (size_t i = 0; i < r->rows; i++) {
        if (!db_result_get(r, i, S_ID))
            continue;
        json_object *s = summary_json(r, i);
        json_object_array_add(list, s);
        json_object_object_add(by_id, db_result_get(r, i, S_ID), json_object_get(s));
    }
    db_result_free(r);
    enum errkind k = add_children(db, list, by_id, e);
    json_object_put(by_id);
    if (k != E_OK) {
        json_object_put(list);
        return k;
    }
    *out = list;
    return E_OK;
}

enum errkind gigs_read_user_gigs(struct db *db, const char *viewer_id, const char *user_id,
                                 json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "user gigs", SQL_USER_GIGS, DB_PARAMS(DBP_S(user_id), DBP_S(viewer_id)), &r, e) !=
        E_OK)
        return e->kind;
    return summaries_from(db, r, out, e);
}

enum errkind gigs_read_by_username(struct db *db, const char *username, json_object **out,
                                   struct err *e)
{
    struct db_result *r;
    if (run(db, "gigs by username", SQL_BY_USERNAME, DB_PARAMS(DBP_S(username)), &r, e) != E_OK)
        return e->kind;
    if (r->rows == 0) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, USER_NOT_FOUND);
    }
    return summaries_from(db, r, out, e);
}

/* ---- GigDetails and getGigById --------------------------------------------------------------- */

json_object *gigs_read_rating(const char *sum, long long count)
{
    if (!sum || count <= 0)
        return NULL;
    char text[32];
    double mean = strtod(sum, NULL) / (double)count;
    snprintf(text, sizeof text, "%.15g", mean);
    return json_object_new_double_s(mean, text);
}

/* Where the owner's two stats go in a serialised page: the offsets the marks record (NULL: a
 * page without stats, getGigById). */
struct stat_marks {
    size_t rating, count;
};

static json_object *details_owner(const struct db_result *r, size_t g, struct stat_marks *marks)
{
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", db_result_get(r, g, D_OWNER_ID));
    jsonx_add_str(o, "name", db_result_get(r, g, D_OWNER_NAME));
    jsonx_add_str(o, "username", db_result_get(r, g, D_OWNER_USERNAME));
    jsonx_add_str(o, "image", db_result_get(r, g, D_OWNER_IMAGE));
    jsonx_add_bool(o, "vip", cell_true(db_result_get(r, g, D_OWNER_VIP)));
    if (marks) {
        json_object_object_add(o, "rating", jsonx_new_mark(&marks->rating));
        json_object_object_add(o, "numberOfReviews", jsonx_new_mark(&marks->count));
    }
    return o;
}

static json_object *details_category(const struct db_result *r, size_t g)
{
    if (!db_result_get(r, g, D_CAT_ID))
        return NULL;
    json_object *c = json_object_new_object();
    jsonx_add_str(c, "id", db_result_get(r, g, D_CAT_ID));
    jsonx_add_str(c, "slug", db_result_get(r, g, D_CAT_SLUG));
    jsonx_add_str(c, "name", db_result_get(r, g, D_CAT_NAME));
    jsonx_add_str(c, "parentId", db_result_get(r, g, D_CAT_PARENT));
    return c;
}

/* The ordered child lists of a details union; false when memory runs out (all freed). */
struct details_lists {
    json_object *tags, *faqs, *attachments;
};

static bool details_lists(const struct db_result *r, struct details_lists *k)
{
    k->tags = ordered_list(r, 't', COL_TAG_POSITION, tag_json);
    k->faqs = ordered_list(r, 'f', COL_FAQ_POSITION, faq_json);
    k->attachments = gallery_json(r, false);
    if (k->tags && k->faqs && k->attachments)
        return true;
    json_object_put(k->tags);
    json_object_put(k->faqs);
    json_object_put(k->attachments);
    return false;
}

/* GigDetails from a details union whose gig row is row g; NULL when memory runs out. */
static json_object *details_json(const struct db_result *r, size_t g, struct stat_marks *marks)
{
    struct details_lists k;
    if (!details_lists(r, &k))
        return NULL;
    json_object *o = json_object_new_object();
    jsonx_add_str(o, "id", db_result_get(r, g, D_ID));
    jsonx_add_str(o, "title", db_result_get(r, g, D_TITLE));
    jsonx_add_str(o, "slug", db_result_get(r, g, D_SLUG));
    jsonx_add_str(o, "status", db_result_get(r, g, D_STATUS));
    json_object_object_add(o, "description", stored_json(db_result_get(r, g, D_DESCRIPTION)));
    jsonx_add_bool(o, "offersMultiplePackages", cell_true(db_result_get(r, g, D_MULTI)));
    json_object_object_add(o, "owner", details_owner(r, g, marks));
    json_object_object_add(o, "category", details_category(r, g));
    json_object_object_add(o, "tags", k.tags);
    json_object_object_add(o, "packages", packages_json(r));
    add_iso(o, "createdAt", db_result_get(r, g, D_CREATED));
    json_object_object_add(o, "faqs", k.faqs);
    json_object_object_add(o, "attachments", k.attachments);
    return o;
}

/* The gig row of a details union; r->rows when there is none. */
static size_t gig_row(const struct db_result *r)
{
    size_t g = 0;
    while (g < r->rows && !kind_is(r, g, 'g'))
        g++;
    return g;
}

enum errkind gigs_read_by_id(struct db *db, const char *owner_id, const char *gig_id,
                             json_object **out, struct err *e)
{
    struct db_result *r;
    struct db_param g = DBP_S(gig_id), o = DBP_S(owner_id);
    if (run(db, "gig by id", SQL_BY_ID, DB_PARAMS(g, o, g, o, g, o, g, o, g, o), &r, e) != E_OK)
        return e->kind;
    size_t row = gig_row(r);
    if (row == r->rows) {
        db_result_free(r);
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    json_object *d = details_json(r, row, NULL);
    if (!d)
        return out_of_memory(r, e);
    db_result_free(r);
    *out = d;
    return E_OK;
}

static char *dup_cell(const struct db_result *r, size_t row, size_t col)
{
    const char *v = db_result_get(r, row, col);
    return strdup(v ? v : "");
}

/* Cut the serialised page at the marks: head ends with "rating":, tail starts after the value
 * of numberOfReviews. False when memory runs out or the marks are not where they must be. */
static bool cut_page(const char *text, const struct stat_marks *m, struct gig_page *p)
{
    size_t len = strlen(text), between = strlen(GIG_PAGE_BETWEEN_STATS);
    if (m->rating > m->count || m->count > len || m->count - m->rating != between ||
        memcmp(text + m->rating, GIG_PAGE_BETWEEN_STATS, between) != 0)
        return false;
    p->head = strndup(text, m->rating);
    p->tail = strdup(text + m->count);
    return p->head && p->tail;
}

/* The page from a details union whose gig row is g. */
static bool page_from(const struct db_result *r, size_t g, struct gig_page *p)
{
    struct stat_marks marks = {0, 0};
    json_object *d = details_json(r, g, &marks);
    if (!d)
        return false;
    bool ok = cut_page(jsonx_to_string(d), &marks, p);
    json_object_put(d);
    p->owner_id = dup_cell(r, g, D_OWNER_ID);
    p->username = dup_cell(r, g, D_OWNER_USERNAME);
    p->slug = dup_cell(r, g, D_SLUG);
    return ok && p->owner_id && p->username && p->slug;
}

enum errkind gigs_read_page(struct db *db, const char *gig_id, struct gig_page *p, struct err *e)
{
    memset(p, 0, sizeof *p);
    struct db_result *r;
    struct db_param g = DBP_S(gig_id), s = DBP_S("published");
    if (run(db, "gig page", SQL_PAGE, DB_PARAMS(g, s, g, s, g, s, g, s, g, s), &r, e) != E_OK)
        return e->kind;
    size_t row = gig_row(r);
    p->published = row < r->rows;
    if (p->published && !page_from(r, row, p)) {
        gigs_read_page_free(p);
        return out_of_memory(r, e);
    }
    db_result_free(r);
    return E_OK;
}

void gigs_read_page_free(struct gig_page *p)
{
    free(p->head);
    free(p->tail);
    free(p->owner_id);
    free(p->username);
    free(p->slug);
    memset(p, 0, sizeof *p);
}

/* ---- public parts of one gig ----------------------------------------------------------------- */

/* The rows of a VISIBLE_TO_VIEWER query (the pair of parameters repeated `parts` times), or
 * E_NOT_FOUND when there are none. */
static enum errkind visible_rows(struct db *db, const char *what, const char *sql,
                                 const char *viewer_id, const char *gig_id, size_t parts,
                                 struct db_result **r, struct err *e)
{
    struct db_param g = DBP_S(gig_id), v = DBP_S(viewer_id);
    struct db_param params[] = {g, v, g, v};
    if (run(db, what, sql, params, 2 * parts, r, e) != E_OK)
        return e->kind;
    if ((*r)->rows == 0) {
        db_result_free(*r);
        *r = NULL;
        return err_set(e, E_NOT_FOUND, GIG_NOT_FOUND);
    }
    return E_OK;
}

enum errkind gigs_read_packages(struct db *db, const char *viewer_id, const char *gig_id,
                                json_object **out, struct err *e)
{
    struct db_result *r;
    if (visible_rows(db, "gig packages", SQL_PACKAGES, viewer_id, gig_id, 1, &r, e) != E_OK)
        return e->kind;
    *out = packages_json(r);
    db_result_free(r);
    return E_OK;
}

enum errkind gigs_read_description_faq(struct db *db, const char *viewer_id, const char *gig_id,
                                       json_object **out, struct err *e)
{
    struct db_result *r;
    if (visible_rows(db, "gig description", SQL_DESCRIPTION_FAQ, viewer_id, gig_id, 2, &r, e) !=
        E_OK)
        return e->kind;
    json_object *faq = ordered_list(r, 'f', COL_FAQ_POSITION, faq_json);
    if (!faq)
        return out_of_memory(r, e);
    json_object *description = NULL;
    for (size_t i = 0; i < r->rows; i++)
        if (kind_is(r, i, 'g'))
            description = stored_json(db_result_get(r, i, COL_GIG_DESCRIPTION));
    json_object *o = json_object_new_object();
    json_object_object_add(o, "description", description);
    json_object_object_add(o, "faq", faq);
    db_result_free(r);
    *out = o;
    return E_OK;
}

enum errkind gigs_read_gallery(struct db *db, const char *viewer_id, const char *gig_id,
                               json_object **out, struct err *e)
{
    struct db_result *r;
    if (visible_rows(db, "gig gallery", SQL_GALLERY, viewer_id, gig_id, 1, &r, e) != E_OK)
        return e->kind;
    json_object *o = gallery_json(r, true);
    if (!o)
        return out_of_memory(r, e);
    db_result_free(r);
    *out = o;
    return E_OK;
}

/* ---- categories ------------------------------------------------------------------------------ */

static json_object *category_json(const struct db_result *r, size_t row)
{
    json_object *c = json_object_new_object();
    jsonx_add_str(c, "id", db_result_get(r, row, 0));
    jsonx_add_str(c, "name", db_result_get(r, row, 1));
    jsonx_add_str(c, "slug", db_result_get(r, row, 2));
    jsonx_add_str(c, "parentId", db_result_get(r, row, 3));
    return c;
}

enum errkind gigs_read_categories(struct db *db, json_object **out, struct err *e)
{
    struct db_result *r;
    if (run(db, "categories", SQL_CATEGORIES, NULL, 0, &r, e) != E_OK)
        return e->kind;
    json_object *list = json_object_new_array();
    json_object *children = json_object_new_object(); /* top-level id -> its subCategories */
    for (size_t i = 0; i < r->rows; i++) {
        const char *parent = db_result_get(r, i, 3);
        json_object *c = category_json(r, i);
        if (!parent) {
            json_object *subs = json_object_new_array();
            json_object_object_add(c, "subCategories", subs);
            json_object_object_add(children, db_result_get(r, i, 0), json_object_get(subs));
            json_object_array_add(list, c);
            continue;
        }
        json_object *subs = jsonx_array(children, parent);
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

/* ---- search (GET /api/gigs) ------------------------------------------------------------------ */

#define SEARCH_SQL_MAX 2048
#define SEARCH_PARAMS_MAX 12
#define LIKE_MAX 1024 /* bytes of an escaped LIKE pattern (q is at most 100 characters) */

/* A statement assembled from fixed fragments only; every value is a parameter. At most 16
 * different texts exist (one per combination of filters), each prepared once per connection. */
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

/* The FROM and WHERE of the search: published gigs g with a basic package bp, filtered. */
static void search_filters(struct search_sql *q, const struct gig_search *s)
{
    sql_add(q, " FROM gigs g JOIN packages bp ON bp.gig_id = g.id AND bp.type = 'basic' "
               "WHERE g.status = 'published'");
    if (s->q && *s->q) {
        /* Text too long for the buffer is far longer than any title or tag: it matches none. */
        if (!like_pattern(s->q, q->like, sizeof q->like))
            q->like[0] = '\0';
        const char *like = q->like;
        sql_add(q, " AND (g.title LIKE ? OR EXISTS (SELECT 1 FROM tags t "
                   "WHERE t.gig_id = g.id AND t.name LIKE ?))");
        sql_param(q, DBP_S(like));
        sql_param(q, DBP_S(like));
    }
    if (s->category && *s->category) {
        /* A subcategory, or a top-level category standing for all of its subcategories; by
         * slug or by id, as updateOverview takes them. */
        sql_add(q, " AND g.category_id IN (SELECT sc.id FROM categories sc LEFT JOIN categories "
                   "sp ON sp.id = sc.parent_id WHERE sc.slug = ? OR sp.slug = ? OR sc.id = ? "
                   "OR sp.id = ?)");
        for (int i = 0; i < 4; i++)
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

/* One page of summary rows: the inner query finds the page's ids in index order and stops at
 * LIMIT (a window count here would materialise every match first); only the page's rows are then
 * joined to owners and categories. The total is a separate COUNT (search_count). */
static void search_page_sql(struct search_sql *q, const struct gig_search *s)
{
    sql_add(q, "SELECT " SUMMARY_COLUMNS " FROM (SELECT g.id, g.owner_vip, g.created_at");
    search_filters(q, s);
    sql_add(q, VIP_THEN_NEWEST
            " LIMIT ? OFFSET ?) pg JOIN gigs g ON g.id = pg.id" SUMMARY_JOINS VIP_THEN_NEWEST);
    sql_param(q, DBP_I(s->limit));
    sql_param(q, DBP_I((long long)(s->page - 1) * s->limit));
}

/* The number of matches, for the pagination's total. */
static enum errkind search_count(struct db *db, const struct gig_search *s, long long *total,
                                 struct err *e)
{
    struct search_sql q = {.len = 0};
    sql_add(&q, "SELECT COUNT(*)");
    search_filters(&q, s);
    struct db_result *r;
    if (run(db, "gig search count", q.text, q.params, q.nparams, &r, e) != E_OK)
        return e->kind;
    *total = db_result_int(r, 0, 0, 0);
    db_result_free(r);
    return E_OK;
}

enum errkind gigs_read_search(struct db *db, const struct gig_search *s, json_object **out,
                              struct err *e)
{
    struct search_sql q = {.len = 0};
    search_page_sql(&q, s);
    struct db_result *r;
    if (run(db, "gig search", q.text, q.params, q.nparams, &r, e) != E_OK)
        return e->kind;
    json_object *items;
    if (summaries_from(db, r, &items, e) != E_OK)
        return e->kind;
    /* A first page shorter than the limit holds every match: no count needed. */
    long long total = (long long)json_object_array_length(items);
    if ((s->page > 1 || total >= s->limit) && search_count(db, s, &total, e) != E_OK) {
        json_object_put(items);
        return e->kind;
    }
    *out = pagination_page(items, total, s->page, s->limit);
    return E_OK;
}
