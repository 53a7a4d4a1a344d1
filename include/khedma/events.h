/*
 * events.h - what every order state change writes beside it, in the same transaction: the order
 * event, the notifications it causes and the outgoing webhook deliveries (docs/api.md,
 * "Notifications" and "Outgoing webhooks"). Called by the order store (order_store.h).
 */
#ifndef KHEDMA_EVENTS_H
#define KHEDMA_EVENTS_H

#include "khedma/db.h"
#include "khedma/errors.h"

struct order_event {
    const char *order_id;
    const char *type;     /* paid, delivered, revision_requested, completed, cancelled,
                             refunded, payment_failed */
    const char *from;     /* order status before (NULL when none) */
    const char *to;       /* order status after */
    const char *actor_id; /* NULL for the system (gateways, jobs) */
    const char *reason;   /* may be NULL */
};
/* Record the event, the notifications it causes (honouring orderUpdatesNotifications) and the
 * outgoing webhook deliveries for the order's webhookUrls. Must run inside a transaction; on
 * failure the transaction has been rolled back. */
enum errkind events_record(struct db *db, const struct order_event *m, struct err *e);
/* The order was confirmed (by a gateway webhook, usually) before its client attached webhookUrls
 * with POST /api/orders: queue order.paid for the URLs now, so they still hear of the payment.
 * Inside the caller's transaction. */
enum errkind events_paid_webhook_backfill(struct db *db, const char *order_id, struct err *e);

/* One notification for one user (order_id may be NULL: a VIP subscription's), in the caller's
 * transaction; the order events and the subscription store both write through it. */
enum errkind events_notify(struct db *db, const char *user_id, const char *type,
                           const char *order_id, const char *title, const char *body,
                           struct err *e);

#endif
