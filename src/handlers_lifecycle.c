/*
 * handlers_lifecycle.c - the transports of the order lifecycle (contract sections 5 and 6):
 * REST POST /api/orders/{id}/deliver|accept|revision|cancel, GET /api/orders/{id}/events,
 * POST /api/orders/{id}/review, the notification routes, and the tRPC procedures order.deliver,
 * order.accept, order.requestRevision and order.cancel (listed in trpc_procs.c's table).
 *
 * Thin: validate the input at the edge, call the service (order_moves.c, reviews.c,
 * notifications.c), encode. REST validation failures are 422 "Validation failed" with per-field
 * errors, as everywhere in the REST API; tRPC ones are BAD_REQUEST with a zodError; bad query
 * parameters are 400 naming the parameter. An id that cannot be an id is simply not found.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/app.h"
#include "khedma/ids.h"
#include "khedma/jsonx.h"
#include "khedma/notifications.h"
#include "khedma/order_moves.h"
#include "khedma/rest.h"
#include "khedma/reviews.h"
#include "khedma/utf8.h"

#define DIGITS "0123456789"

/* An optional text field: absent or null -> NULL; a string of at most max characters without NUL
 * bytes -> the string (NULL when empty: an empty reason is no reason, when empty_is_null);
 * anything else -> a field error. */
static const char *opt_text(json_object *in, const char *key, size_t max, bool empty_is_null,
                            struct err *e)
{
    json_object *v = in ? json_object_object_get(in, key) : NULL;
    if (!v)
        return NULL;
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    size_t len = s ? strlen(s) : 0;
    if (!s || len != (size_t)json_object_get_string_len(v) || !utf8_valid(s, len) ||
        utf8_length(s, len) > max) {
        char message[96];
        snprintf(message, sizeof(message), "Must be a string of at most %zu characters", max);
        err_field(e, key, message);
        return NULL;
    }
    return empty_is_null && len == 0 ? NULL : s;
}

/* The path's {id} when it can be an id at all; otherwise the 404 is answered here. */
static const char *path_id(struct ctx *c, const char *not_found)
{
    const char *id = route_param(&c->match, "id");
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
    const char *reason = opt_text(body, "reason", MOVE_REASON_MAX, true, &e);
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

void handle_order_deliver(struct ctx *c)
{
    order_move(c, LIFECYCLE_DELIVER);
}

void handle_order_accept(struct ctx *c)
{
    order_move(c, LIFECYCLE_ACCEPT);
}

void handle_order_revision(struct ctx *c)
{
    order_move(c, LIFECYCLE_REVISION);
}

void handle_order_cancel(struct ctx *c)
{
    order_move(c, LIFECYCLE_CANCEL);
}

void handle_order_events(struct ctx *c)
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

void handle_order_review(struct ctx *c)
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
    const char *comment = opt_text(body, "comment", REVIEW_COMMENT_MAX, false, &e);
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

void handle_notifications_list(struct ctx *c)
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

void handle_notification_read(struct ctx *c)
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

void handle_notifications_read_all(struct ctx *c)
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

/* ---- tRPC: order.deliver / order.accept / order.requestRevision / order.cancel ---- */

/* The signed-in user for a mutation, or NULL with e set (the rules of trpc_procs.c's
 * protected procedures: 503 on a database failure, 401 anonymous, 403 cross-site cookie). */
static const struct user *trpc_user(struct ctx *c, struct err *e)
{
    enum errkind dberr = E_OK;
    const struct user *u = ctx_user(c, &dberr);
    if (dberr != E_OK)
        err_set(e, dberr, "Database unavailable");
    else if (!u)
        err_set(e, E_UNAUTHORIZED, "You must be signed in");
    else if (!ctx_csrf_ok(c))
        err_set(e, E_FORBIDDEN, "Cross-site request refused");
    return e->kind == E_OK ? u : NULL;
}

/* Input {id, reason?}; the output is the Order after the move. */
static enum errkind trpc_move(struct ctx *c, json_object *in, json_object **out, struct err *e,
                              enum lifecycle_move move)
{
    const struct user *u = trpc_user(c, e);
    if (!u)
        return e->kind;
    const char *id = jsonx_str(in, "id");
    if (!id || !*id)
        err_field(e, "id", "Required");
    const char *reason = opt_text(in, "reason", MOVE_REASON_MAX, true, e);
    if (e->kind != E_OK)
        return err_set(e, E_BAD_REQUEST, "Invalid input");
    if (!cuid_valid(id))
        return err_set(e, E_NOT_FOUND, "Order not found");
    return order_moves_make(c->db, u, id, move, reason, out, e);
}

enum errkind trpc_order_deliver(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return trpc_move(c, in, out, e, LIFECYCLE_DELIVER);
}

enum errkind trpc_order_accept(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return trpc_move(c, in, out, e, LIFECYCLE_ACCEPT);
}

enum errkind trpc_order_request_revision(struct ctx *c, json_object *in, json_object **out,
                                         struct err *e)
{
    return trpc_move(c, in, out, e, LIFECYCLE_REVISION);
}

enum errkind trpc_order_cancel(struct ctx *c, json_object *in, json_object **out, struct err *e)
{
    return trpc_move(c, in, out, e, LIFECYCLE_CANCEL);
}
