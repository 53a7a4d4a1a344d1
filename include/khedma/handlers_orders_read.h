/*
 * handlers_orders_read.h - the order reads over REST (docs/api.md, "Orders API"): GET /api/orders
 * and GET /api/orders/{id}. Each handler answers one route of app.c's table and always leaves a
 * response in c->resp.
 */
#ifndef KHEDMA_HANDLERS_ORDERS_READ_H
#define KHEDMA_HANDLERS_ORDERS_READ_H

#include "khedma/ctx.h"

void handlers_orders_read_list(struct ctx *c);
void handlers_orders_read_get(struct ctx *c);

#endif
