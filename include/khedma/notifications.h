/*
 * notifications.h - a user's notifications (docs/api.md, "Notifications"). They are written by
 * events.c in the transaction of the order event that causes them; this module lists them and
 * marks them read. Notification: {id, type, orderId, title, body, readAt, createdAt}.
 */
#ifndef KHEDMA_NOTIFICATIONS_H
#define KHEDMA_NOTIFICATIONS_H

#include <stdbool.h>
#include <json-c/json.h>
#include "khedma/db.h"
#include "khedma/errors.h"

#define NOTIFICATIONS_LIMIT_DEFAULT 25
#define NOTIFICATIONS_LIMIT_MAX 100
#define NOTIFICATIONS_PAGE_MAX 1000000

/* {items: [Notification], pagination: {totalItems, currentPage, pageSize, totalPages}}, newest
 * first; only unread ones when unread_only. page >= 1 and limit within 1..100 (checked by the
 * caller). */
enum errkind notifications_list(struct db *db, const char *user_id, bool unread_only, long page,
                                long limit, json_object **out, struct err *e);
/* How many of the user's notifications are unread (the count in the site header). */
enum errkind notifications_unread_count(struct db *db, const char *user_id, long long *count,
                                        struct err *e);
/* Mark one of the user's own notifications read (idempotent: the first readAt stays) and return
 * it; E_NOT_FOUND when it is not theirs or does not exist. */
enum errkind notifications_mark_read(struct db *db, const char *user_id, const char *id,
                                     json_object **out, struct err *e);
/* Mark every unread notification of the user read; *updated = how many were unread. */
enum errkind notifications_mark_all_read(struct db *db, const char *user_id, long long *updated,
                                         struct err *e);

#endif
