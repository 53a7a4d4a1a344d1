/*
 * handlers_lifecycle.h - the order lifecycle and notification routes (docs/api.md, "Order
 * lifecycle" and "Notifications"): POST /api/orders/{id}/deliver|accept|revision|cancel, GET
 * /api/orders/{id}/events, POST /api/orders/{id}/review, GET /api/notifications, POST
 * /api/notifications/{id}/read and POST /api/notifications/read-all. Each handler answers one route
 * of app.c's table and always leaves a response in c->resp.
 */
#ifndef KHEDMA_HANDLERS_LIFECYCLE_H
#define KHEDMA_HANDLERS_LIFECYCLE_H

#include "khedma/ctx.h"

void handlers_lifecycle_deliver(struct ctx *c);
void handlers_lifecycle_accept(struct ctx *c);
void handlers_lifecycle_revision(struct ctx *c);
void handlers_lifecycle_cancel(struct ctx *c);
void handlers_lifecycle_events(struct ctx *c);
void handlers_lifecycle_review(struct ctx *c);
void handlers_lifecycle_notifications(struct ctx *c);
void handlers_lifecycle_notification_read(struct ctx *c);
void handlers_lifecycle_notifications_read_all(struct ctx *c);

#endif
