/*
 * order_store.h - the only writer of order and payment status. Creating an order (with its
 * payment) and every change of an order's or a payment's status go through here: checkout and
 * its gateway refusal, confirmations (POST /api/orders, order.create, an admin's bank transfer),
 * the gateways' events, the parties' moves and the jobs. A change locks the order row, asks the
 * state machine (lifecycle.h) whether the move is legal for who asks, writes the status with its
 * timestamp, the payment's status, and the order event with its notifications and outgoing
 * webhooks (events.h), all in the caller's transaction. Knows nothing about HTTP.
 */
#ifndef KHEDMA_ORDER_STORE_H
#define KHEDMA_ORDER_STORE_H

#include <stdbool.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"
#include "khedma/cuid.h"
#include "khedma/lifecycle.h"

/* A new order, pending, with its pending payment of the same amount in MAD. */
struct order_store_new {
    const char *order_id;
    const char *client_id;
    const char *freelancer_id;
    const char *gig_id;
    const char *package_id;
    const char *amount;         /* the package's price, from the database */
    const char *payment_method; /* card | bank_transfer */
    const char *provider;       /* youcanpay | paytabs | bank_transfer */
    long long revisions_allowed;
    const char *reference; /* the payment's reference (bank transfer code, gateway order id) */
};
/* Inside the caller's transaction; on failure it has been rolled back. */
enum errkind order_store_create(struct db *db, const struct order_store_new *o, struct err *e);

/* An order as read under its row lock. */
struct order_locked {
    bool found;
    char client_id[CUID_LEN + 1];
    char freelancer_id[CUID_LEN + 1];
    char total[32];
    char provider[16];     /* "" when none */
    bool has_webhook_urls; /* the client attached webhookUrls */
    struct lifecycle_order facts;
};
/* Lock the order row (FOR UPDATE, that row only) and read it with its payment's status, inside
 * the caller's transaction. No such order: E_OK with o->found false, the transaction left open.
 * Every status writer holds this lock, so the payment's status read beside it is current. */
enum errkind order_store_lock(struct db *db, const char *order_id, struct order_locked *o,
                              struct err *e);

struct order_change {
    enum lifecycle_move move;
    const struct user *user;    /* who asks; NULL for the system (a gateway's event, the jobs) */
    const char *reason;         /* the event's reason and a cancel's reason; may be NULL */
    const char *transaction_id; /* the gateway transaction a payment confirms; may be NULL */
    const char *refund_ref;     /* the gateway's refund reference; may be NULL */
    long long clock_offset_s;   /* the jobs' test clock (jobs_clock.h); 0 elsewhere */
};

/* Make the change on an order this transaction locked with order_store_lock (o found). *changed
 * (when not NULL) says whether anything was written: an allowed repeat, such as a second
 * confirmation, writes nothing. A refusal is the state machine's (E_CONFLICT, E_FORBIDDEN,
 * E_NOT_FOUND, with its message) and, like any failure, has rolled the transaction back. */
enum errkind order_store_apply(struct db *db, const char *order_id, const struct order_locked *o,
                               const struct order_change *c, bool *changed, struct err *e);

/* order_store_lock then order_store_apply; no such order is E_NOT_FOUND "Order not found". */
enum errkind order_store_transition(struct db *db, const char *order_id,
                                    const struct order_change *c, bool *changed, struct err *e);

#endif
