/*
 * orders.h - orders and payments (seeds 000, 001, 003, 004; contract sections 5 and 6): the Order
 * object, checkout, payment confirmation (POST /api/orders, order.create, bank transfers, gateway
 * webhooks) and the order events every state change writes. Knows nothing about HTTP.
 */
#ifndef KHEDMA_ORDERS_H
#define KHEDMA_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"

/* ---- the Order object (order_json.c) ---- */
/* The SELECT list + joins that order_from_row() reads; append "WHERE ..." to use it. */
extern const char ORDER_SELECT[];
json_object *order_from_row(const struct db_result *r, size_t row);
/* The Order by id, or E_NOT_FOUND. No visibility check: callers check who may see it. */
enum errkind order_load(struct db *db, const char *order_id, json_object **out, struct err *e);

/* ---- events (events.c): written in the caller's transaction ---- */
struct order_move {
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
enum errkind order_event_record(struct db *db, const struct order_move *m, struct err *e);
/* The order was confirmed (by a gateway webhook, usually) before its client attached webhookUrls
 * with POST /api/orders: queue order.paid for the URLs now, so they still hear of the payment.
 * Inside the caller's transaction. */
enum errkind order_paid_webhook_backfill(struct db *db, const char *order_id, struct err *e);

/* ---- checkout (checkout.c) ---- */
struct checkout_input {
    const char *payment_method; /* card | credit_card | bank_transfer */
    const char *package_id;
    const char *gig_id; /* optional */
    const char *client_ip;
};
/* Validates in the contract's order, writes a pending order + payment with the package's price,
 * then calls the gateway. data: the contract's checkout data per provider. */
enum errkind orders_checkout(struct db *db, const struct user *client,
                             const struct checkout_input *in, json_object **data, struct err *e);

/* ---- confirmation (payments.c) ---- */
/* The client of a pending YouCan Pay order named this gateway transaction for it (POST
 * /api/orders, order.create): keep it in payments.client_transaction_id, in its own small write
 * retried on transient failures, before the gateway is asked. The last one named wins; it is
 * only a hint for the jobs, which verify it with the gateway (order, amount, currency) like any
 * other, and payments.transaction_id, which only a confirmation writes, is never touched. Best
 * effort: a failure is logged. */
void payment_note_client_transaction(struct db *db, const char *order_id,
                                     const char *transaction_id);

/* POST /api/orders body, validated by the handler. */
struct order_submit {
    const char *checkout_id;
    const char *transaction_id;    /* may be NULL */
    const char *payment_reference; /* may be NULL */
    const char *meta_json;         /* serialised object or NULL */
    const char *webhook_urls_json; /* serialised array or NULL */
    const char *idempotency_key;   /* may be NULL */
};
/* Confirm the client's checkout with the gateway. E_OK -> the order is processing. */
enum errkind orders_submit(struct db *db, const struct user *client, const struct order_submit *in,
                           struct err *e);

/* order.create (seed 000) input. */
struct order_create {
    const char *amount; /* decimal string */
    const char *transaction_id;
    const char *order_id;
    const char *gig_id;
    const char *package_id;
};
enum errkind orders_create_paid(struct db *db, const struct user *client,
                                const struct order_create *in, json_object **order, struct err *e);

/* Admin confirms a bank transfer with its reference. */
enum errkind orders_confirm_transfer(struct db *db, const struct user *admin, const char *order_id,
                                     const char *reference, json_object **order, struct err *e);

/* Incoming gateway events (raw body, signature header). *out is the data to answer 200 with;
 * E_UNAUTHORIZED for a missing or wrong signature (the event is still stored for audit). */
enum errkind payments_youcanpay_webhook(struct db *db, const char *body, size_t len,
                                        const char *signature, json_object **out, struct err *e);
enum errkind payments_paytabs_callback(struct db *db, const char *body, size_t len,
                                       const char *signature, json_object **out, struct err *e);

/* ---- reads (orders_read.c): GET /api/orders, GET /api/orders/{id}, order.list, order.byId ---- */
struct order_query; /* order_query.h */
/* {items:[Order], pagination:{totalItems, currentPage, pageSize, totalPages}} of the orders the
 * query selects among those the viewer may see (order_query_render's visibility rule).
 * E_FORBIDDEN when a non-admin's query uses filter.userId. */
enum errkind orders_list(struct db *db, const struct user *viewer, const struct order_query *q,
                         json_object **out, struct err *e);
/* The Order when the viewer is its client, its freelancer or an admin; otherwise (and when there
 * is no such order) E_NOT_FOUND "Order not found". */
enum errkind orders_get(struct db *db, const struct user *viewer, const char *order_id,
                        json_object **out, struct err *e);

#endif
