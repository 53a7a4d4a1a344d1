/*
 * notifications.c - listing a user's notifications and marking them read (see notifications.h).
 * Every statement is scoped by user_id, so one user can never read or touch another's
 * notifications; both list shapes (all, unread only) are one range of an index
 * (ix_notifications_user, ix_notifications_user_unread), newest first.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/dberr.h"
#include "khedma/jsonx.h"
#include "khedma/notifications.h"
#include "khedma/pagination.h"
#include "khedma/timeutil.h"

#define NOTIFICATION_COLUMNS "id, type, order_id, title, body, read_at, created_at"

static void add_time(json_object *o, const char *key, const char *db_time)
{
    char iso[ISO_TIME_LEN + 1];
    jsonx_add_str(o, key, db_time && timeutil_iso_from_db(db_time, iso) == 0 ? iso : NULL);
}

static json_object *notification_json(const struct db_result *r, size_t row)
{
    json_object *n = json_object_new_object();
    jsonx_add_str(n, "id", db_result_get(r, row, 0));
    jsonx_add_str(n, "type", db_result_get(r, row, 1));
    jsonx_add_str(n, "orderId", db_result_get(r, row, 2));
    jsonx_add_str(n, "title", db_result_get(r, row, 3));
    jsonx_add_str(n, "body", db_result_get(r, row, 4));
    add_time(n, "readAt", db_result_get(r, row, 5));
    add_time(n, "createdAt", db_result_get(r, row, 6));
    return n;
}

/* Two fixed SQL texts rather than one with "(? OR read_at IS NULL)", so that each shape keeps its
 * own index range and prepared statement. */
static int count_rows(struct db *db, const char *user_id, bool unread_only, long long *total)
{
    struct db_result *r = NULL;
    int rc = db_exec(db,
                     unread_only ? "SELECT COUNT(*) FROM notifications WHERE user_id = ? AND "
                                   "read_at IS NULL"
                                 : "SELECT COUNT(*) FROM notifications WHERE user_id = ?",
                     DB_PARAMS(DBP_S(user_id)), &r, NULL);
    if (rc == DB_OK)
        *total = db_result_int(r, 0, 0, 0);
    db_result_free(r);
    return rc;
}

/* Newest first by seq, the insertion order (0004): created_at can tie within a millisecond. */
static int page_rows(struct db *db, const char *user_id, bool unread_only, long page, long limit,
                     struct db_result **r)
{
    const char *sql = unread_only ? "SELECT " NOTIFICATION_COLUMNS " FROM notifications "
                                    "WHERE user_id = ? AND read_at IS NULL "
                                    "ORDER BY seq DESC LIMIT ? OFFSET ?"
                                  : "SELECT " NOTIFICATION_COLUMNS " FROM notifications "
                                    "WHERE user_id = ? ORDER BY seq DESC "
                                    "LIMIT ? OFFSET ?";
    return db_exec(db, sql,
                   DB_PARAMS(DBP_S(user_id), DBP_I(limit), DBP_I((long long)(page - 1) * limit)), r,
                   NULL);
}

enum errkind notifications_list(struct db *db, const char *user_id, bool unread_only, long page,
                                long limit, json_object **out, struct err *e)
{
    long long total = 0;
    struct db_result *r = NULL;
    int rc = count_rows(db, user_id, unread_only, &total);
    if (rc == DB_OK)
        rc = page_rows(db, user_id, unread_only, page, limit, &r);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    json_object *items = json_object_new_array();
    for (size_t i = 0; i < r->rows; i++)
        json_object_array_add(items, notification_json(r, i));
    db_result_free(r);
    *out = pagination_page(items, total, page, limit);
    return E_OK;
}

enum errkind notifications_unread_count(struct db *db, const char *user_id, long long *count,
                                        struct err *e)
{
    *count = 0;
    int rc = count_rows(db, user_id, true, count);
    return rc == DB_OK ? E_OK : dberr_fail(db, rc, e);
}

enum errkind notifications_mark_read(struct db *db, const char *user_id, const char *id,
                                     json_object **out, struct err *e)
{
    unsigned long long matched = 0;
    /* COALESCE keeps the first readAt, so marking again changes nothing. */
    int rc = db_exec(db,
                     "UPDATE notifications SET read_at = COALESCE(read_at, UTC_TIMESTAMP(3)) "
                     "WHERE id = ? AND user_id = ?",
                     DB_PARAMS(DBP_S(id), DBP_S(user_id)), NULL, &matched);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    if (matched == 0)
        return err_set(e, E_NOT_FOUND, "Notification not found");
    struct db_result *r = NULL;
    rc = db_exec(db,
                 "SELECT " NOTIFICATION_COLUMNS " FROM notifications WHERE id = ? AND user_id = ?",
                 DB_PARAMS(DBP_S(id), DBP_S(user_id)), &r, NULL);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    enum errkind k = E_OK;
    if (r->rows == 1)
        *out = notification_json(r, 0);
    else /* removed in between, with its user or order */
        k = err_set(e, E_NOT_FOUND, "Notification not found");
    db_result_free(r);
    return k;
}

enum errkind notifications_mark_all_read(struct db *db, const char *user_id, long long *updated,
                                         struct err *e)
{
    unsigned long long matched = 0;
    /* Rows matched are exactly the unread ones (the WHERE says read_at IS NULL). */
    int rc = db_exec(db,
                     "UPDATE notifications SET read_at = UTC_TIMESTAMP(3) "
                     "WHERE user_id = ? AND read_at IS NULL",
                     DB_PARAMS(DBP_S(user_id)), NULL, &matched);
    if (rc != DB_OK)
        return dberr_fail(db, rc, e);
    *updated = (long long)matched;
    return E_OK;
}
