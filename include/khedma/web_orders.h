/*
 * web_orders.h - the orders dashboard (docs/web.md, "Pages"): the viewer's orders as client or as
 * freelancer with the filters of GET /api/orders, one order with its timeline and the moves its
 * viewer may make now, and the forms that make them. Also the bits of an order's display that
 * the order and return pages share.
 */
#ifndef KHEDMA_WEB_ORDERS_H
#define KHEDMA_WEB_ORDERS_H

#include <json-c/json.h>
#include "khedma/ctx.h"
#include "khedma/html.h"

/* GET /dashboard/orders */
void web_orders_list(struct ctx *c);
/* GET /dashboard/orders/{id} */
void web_orders_detail(struct ctx *c);
/* POST /dashboard/orders/{id}: the form's `move` (deliver, revision, accept, cancel, review). */
void web_orders_move(struct ctx *c);

/* An order status as a labelled badge: <span class="status status-processing">In progress</span>.
 */
void web_orders_status(struct html *h, const char *status);
/* "/order/{username}/{slug}/{package type}" of an Order: where a new checkout of the same package
 * starts. */
void web_orders_retry_href(struct html *h, json_object *order);
/* A JSON number or string as text ("500", "12.5"); "" for NULL. */
const char *web_orders_number(json_object *v);

#endif
