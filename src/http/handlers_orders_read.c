/*
 * handlers_orders_read.c - GET /api/orders (the query language of order_query.h) and
 * GET /api/orders/{id} (docs/api.md, "Orders API"), in the REST envelope. Thin: sign-in first
 * (401), then the query string (400 naming the parameter), then the order service (403 for a
 * non-admin's filter.userId, 404 for an order the viewer is not a party to).
 */
#include "khedma/handlers_orders_read.h"
#include "khedma/cuid.h"
#include "khedma/order_query.h"
#include "khedma/orders_read.h"
#include "khedma/rest.h"

static void answer(struct ctx *c, enum errkind k, json_object *data, struct err *e)
{
    if (k == E_OK)
        rest_ok(c, 200, data);
    else
        rest_error(c, e);
    err_clear(e);
}

void handlers_orders_read_list(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    struct order_query q;
    struct err e = {0};
    json_object *data = NULL;
    enum errkind k = order_query_parse(&c->req->query, &q, &e);
    if (k == E_OK) {
        k = orders_read_list(c->db, u, &q, &data, &e);
        order_query_free(&q);
    }
    answer(c, k, data, &e);
}

void handlers_orders_read_get(struct ctx *c)
{
    const struct user *u = rest_require_user(c);
    if (!u)
        return;
    struct err e = {0};
    json_object *data = NULL;
    const char *id = router_param(&c->match, "id");
    /* Anything but an id cannot name an order; answered without asking the database, which
     * would also refuse a path segment that is not UTF-8. */
    enum errkind k = id && cuid_valid(id) ? orders_read_get(c->db, u, id, &data, &e)
                                          : err_set(&e, E_NOT_FOUND, "Order not found");
    answer(c, k, data, &e);
}
