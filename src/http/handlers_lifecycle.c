/*
 * handlers_lifecycle.c - the REST routes of the order lifecycle (docs/api.md, "Order lifecycle"
 * and "Notifications"): POST /api/orders/{id}/deliver|accept|revision|cancel,
 * GET /api/orders/{id}/events, POST /api/orders/{id}/review and the notification routes. The tRPC
 * procedures for the same moves are in trpc_procs_orders.c.
 *
 * Thin: validate the input at the edge, call the service (order_moves.c, reviews.c,
 * notifications.c), encode. Validation failures are 422 "Validation failed" with per-field
 * errors, as everywhere in the REST API; bad query parameters are 400 naming the parameter. An id
 * that cannot be an id is simply not found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/handlers_lifecycle.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/notifications.h"
#include "khedma/order_input.h"
#include "khedma/order_moves.h"
#include "khedma/rest.h"
#include "khedma/reviews.h"

#define DIGITS "0123456789"

/* The path's {id} when it can be an id at all; otherwise the 404 is answered here. */
static const char *path_id(struct ctx *c, const char *not_found)
{
    const char *id = router_param(&c->match, "id");
    if (id && cuid_valid(id))
        return id;
    rest_fail(c, 404, not_found, NULL);
    return NULL;
}

static void answer(struct ctx *c, enum errkind k, int status, json_object *data, struct err *e)
{
    if (k == E_OK)
        rest_ok(c, status, data);
    else
        rest_error(c, e);
    err_clear(e);
}

/* ---- order moves ---- */

static void order_move(struct ctx *c, enum lifecycle_move move)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    json_object *body = rest_body_object(c, true);
    if (!body)
        return;
    const char *id = path_id(c, "Order not found");
    struct err e = {0};
    const char *reason = order_input_text(body, "reason", MOVE_REASON_MAX, true, &e);
    json_object *order = NULL;
    enum errkind k = E_OK;
    if (id && e.kind != E_OK)
        k = err_set(&e, E_UNPROCESSABLE, "Validation failed");
    else if (id)
        k = order_moves_make(c->db, u, id, move, reason, &order, &e);
    if (id)
        answer(c, k, 200, order, &e);
    err_clear(&e);
    json_object_put(body);
}

void handlers_lifecycle_deliver(struct ctx *c)
{
    order_move(c, LIFECYCLE_DELIVER);
}

void handlers_lifecycle_accept(struct ctx *c)
{
    order_move(c, LIFECYCLE_ACCEPT);
}

void handlers_lifecycle_revision(struct ctx *c)
{
    order_move(c, LIFECYCLE_REVISION);
}

void handlers_lifecycle_cancel(struct ctx *c)
{
    order_move(c, LIFECYCLE_CANCEL);
}

void handlers_lifecycle_events(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    const char *id = u ? path_id(c, "Order not found") : NULL;
    if (!id)
        return;
    struct err e = {0};
    json_object *events = NULL;
    enum errkind k = order_moves_events(c->db, u, id, &events, &e);
    answer(c, k, 200, events, &e);
}

/* ---- reviews ---- */

void handlers_lifecycle_review(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    json_object *body = rest_body_object(c, false);
    if (!body)
        return;
    const char *id = path_id(c, "Order not found");
    struct err e = {0};
    long long rating = 0;
    if (!jsonx_int(body, "rating", &rating) || rating < 1 || rating > 5)
        err_field(&e, "rating", "Must be an integer from 1 to 5");
    const char *comment = order_input_text(body, "comment", REVIEW_COMMENT_MAX, false, &e);
    json_object *review = NULL;
    enum errkind k = E_OK;
    if (id && e.kind != E_OK)
        k = err_set(&e, E_UNPROCESSABLE, "Validation failed");
    else if (id)
        k = reviews_create(c->db, u, id, (int)rating, comment, &review, &e);
    if (id)
        answer(c, k, 201, review, &e);
    err_clear(&e);
    json_object_put(body);
}

/* ---- notifications ---- */

/* A 400 entry for one query parameter; the first one also becomes the envelope's message. */
static void bad_param(struct err *e, const char *name, const char *message)
{
    if (e->message[0] == '\0')
        snprintf(e->message, sizeof(e->message), "%s", message);
    err_field(e, name, message);
}

/* page / limit: plain decimal digits within [min, max]; dflt when absent or empty. */
static long int_param(struct ctx *c, const char *name, long dflt, long min, long max,
                      const char *message, struct err *e)
{
    const char *s = request_query(c->req, name);
    if (!s || !*s)
        return dflt;
    size_t digits = strspn(s, DIGITS);
    long v = digits > 0 && digits <= 9 && s[digits] == '\0' ? strtol(s, NULL, 10) : -1;
    if (v < min || v > max) {
        bad_param(e, name, message);
        return dflt;
    }
    return v;
}

/* unread: 1/true -> only unread, 0/false (or absent) -> all. */
static bool unread_param(struct ctx *c, struct err *e)
{
    const char *s = request_query(c->req, "unread");
    if (!s || !*s || strcmp(s, "0") == 0 || strcmp(s, "false") == 0)
        return false;
    if (strcmp(s, "1") == 0 || strcmp(s, "true") == 0)
        return true;
    bad_param(e, "unread", "unread must be 1, 0, true or false");
    return false;
}

void handlers_lifecycle_notifications(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    struct err e = {0};
    bool unread = unread_param(c, &e);
    long page = int_param(c, "page", 1, 1, NOTIFICATIONS_PAGE_MAX,
                          "page must be an integer from 1 to 1000000", &e);
    long limit = int_param(c, "limit", NOTIFICATIONS_LIMIT_DEFAULT, 1, NOTIFICATIONS_LIMIT_MAX,
                           "limit must be an integer from 1 to 100", &e);
    json_object *data = NULL;
    enum errkind k = e.kind;
    if (k == E_OK)
        k = notifications_list(c->db, u->id, unread, page, limit, &data, &e);
    answer(c, k, 200, data, &e);
}

void handlers_lifecycle_notification_read(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    const char *id = u ? path_id(c, "Notification not found") : NULL;
    if (!id)
        return;
    struct err e = {0};
    json_object *n = NULL;
    enum errkind k = notifications_mark_read(c->db, u->id, id, &n, &e);
    answer(c, k, 200, n, &e);
}

void handlers_lifecycle_notifications_read_all(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    struct err e = {0};
    long long updated = 0;
    json_object *data = NULL;
    enum errkind k = notifications_mark_all_read(c->db, u->id, &updated, &e);
    if (k == E_OK) {
        data = json_object_new_object();
        jsonx_add_int(data, "updated", updated);
    }
    answer(c, k, 200, data, &e);
}
