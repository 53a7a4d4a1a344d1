/*
 * orders_read.h - the read side of orders (docs/api.md, "Orders API"): GET /api/orders,
 * GET /api/orders/{id}, order.list and order.byId. Knows nothing about HTTP.
 */
#ifndef KHEDMA_ORDERS_READ_H
#define KHEDMA_ORDERS_READ_H

#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"

struct order_query; /* order_query.h */
/* {items:[Order], pagination:{totalItems, currentPage, pageSize, totalPages}} of the orders the
 * query selects among those the viewer may see (order_query_render's visibility rule).
 * E_FORBIDDEN when a non-admin's query uses filter.userId. */
enum errkind orders_read_list(struct db *db, const struct user *viewer, const struct order_query *q,
                              json_object **out, struct err *e);
/* The Order when the viewer is its client, its freelancer or an admin; otherwise (and when there
 * is no such order) E_NOT_FOUND "Order not found". */
enum errkind orders_read_get(struct db *db, const struct user *viewer, const char *order_id,
                             json_object **out, struct err *e);

#endif
