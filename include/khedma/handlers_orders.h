/*
 * handlers_orders.h - checkout, payment confirmation and gateway events over REST (docs/api.md,
 * "Checkout and payment" and "Gateway webhooks"): POST /api/orders/checkout, POST /api/orders,
 * POST /api/orders/{id}/confirm-transfer, the YouCan Pay webhook and the PayTabs callback.
 * Each handler answers one route of app.c's table and always leaves a response in c->resp.
 */
#ifndef KHEDMA_HANDLERS_ORDERS_H
#define KHEDMA_HANDLERS_ORDERS_H

#include "khedma/ctx.h"

void handlers_orders_checkout(struct ctx *c);
void handlers_orders_create(struct ctx *c);
void handlers_orders_confirm_transfer(struct ctx *c);
void handlers_orders_youcanpay_webhook(struct ctx *c);
void handlers_orders_paytabs_callback(struct ctx *c);

#endif
