/*
 * checkout.h - POST /api/orders/checkout and order.checkout (docs/api.md, "Checkout and
 * payment"): a pending order and payment at the package's price, then the gateway's payment page.
 * Knows nothing about HTTP.
 */
#ifndef KHEDMA_CHECKOUT_H
#define KHEDMA_CHECKOUT_H

#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"

struct checkout_input {
    const char *payment_method; /* card | credit_card | bank_transfer */
    const char *package_id;
    const char *gig_id; /* optional */
    const char *client_ip;
};
/* Validates in the documented order, writes a pending order + payment with the package's price,
 * then calls the gateway. data: the checkout data per provider. */
enum errkind checkout_order(struct db *db, const struct user *client,
                            const struct checkout_input *in, json_object **data, struct err *e);

#endif
