/*
 * payments.h - confirming that a checkout is paid (docs/api.md, "Checkout and payment"): the
 * client's POST /api/orders, verified with the gateway, and an admin's bank-transfer
 * confirmation. Knows nothing about HTTP.
 */
#ifndef KHEDMA_PAYMENTS_H
#define KHEDMA_PAYMENTS_H

#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"

/* The client of a pending YouCan Pay order named this gateway transaction for it (POST
 * /api/orders, order.create): keep it in payments.client_transaction_id, in its own small write
 * retried on transient failures, before the gateway is asked. The last one named wins; it is
 * only a hint for the jobs, which verify it with the gateway (order, amount, currency) like any
 * other, and payments.transaction_id, which only a confirmation writes, is never touched. Best
 * effort: a failure is logged. */
void payments_note_client_transaction(struct db *db, const char *order_id,
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
enum errkind payments_submit(struct db *db, const struct user *client,
                             const struct order_submit *in, struct err *e);

/* Admin confirms a bank transfer with its reference. */
enum errkind payments_confirm_transfer(struct db *db, const struct user *admin,
                                       const char *order_id, const char *reference,
                                       json_object **order, struct err *e);

/* The reference the client writes on a bank transfer for their pending order (the checkout
 * answered it once; the order page shows it again). E_NOT_FOUND when the order is not the
 * client's or not a bank transfer. */
#define PAYMENTS_TRANSFER_REFERENCE_MAX 128
enum errkind payments_transfer_reference(struct db *db, const struct user *client,
                                         const char *order_id,
                                         char out[PAYMENTS_TRANSFER_REFERENCE_MAX + 1],
                                         struct err *e);

#endif
