/*
 * vip_checkout.h - the VIP branch of POST /api/orders/checkout (docs/api.md, "VIP
 * subscriptions") and the confirmation of its PayTabs payments. Card payments always go through
 * PayTabs (whatever KHEDMA_CARD_GATEWAY says): the trial needs an authorisation and renewals a
 * saved token, which only the PayTabs client does. Status changes go through the subscription
 * store (subscription_store.h).
 */
#ifndef KHEDMA_VIP_CHECKOUT_H
#define KHEDMA_VIP_CHECKOUT_H

#include <stdbool.h>
#include <json-c/json.h>
#include "khedma/accounts.h"
#include "khedma/db.h"
#include "khedma/errors.h"

struct vip_checkout_input {
    const char *payment_method;  /* credit_card | in_app_purchase */
    json_object *vip_package_id; /* integer (or digits) for credit_card; NULL when absent */
    const char *iap_product_id;  /* for in_app_purchase; NULL when absent */
    const char *client_ip;
};

/* Validation in this order: 422 "Invalid payment method"; 422 "vip_package_id is required" /
 * "iap_product_id is required"; 404 "VIP package not found" (unknown or inactive plan or
 * product); 422 "User must have a phone number"; 422 "User already has an active
 * subscription". Then a pending subscription with its pending order; for credit_card the PayTabs
 * page (data: tran_type, tran_class, cart_*, customer_details, order_id, order_number, tax,
 * tran_ref, redirect_url), for in_app_purchase data = {order_id}. */
enum errkind vip_checkout(struct db *db, const struct user *u, const struct vip_checkout_input *in,
                          json_object **data, struct err *e);

/* A PayTabs transaction of a subscription order: asked of PayTabs by tran_ref (never trusted
 * from a callback body) and applied once: an authorised auth starts the trial, a paid sale
 * activates, a declined one fails the order and ends the pending subscription. *found false
 * when tran_ref is no subscription order's; *outcome "applied", "duplicate", "pending" or
 * "amount_mismatch". */
enum errkind vip_checkout_confirm(struct db *db, const char *tran_ref, bool *found,
                                  const char **outcome, struct err *e);

/* The same for the signed-in user's pending card order number `number` (the web page PayTabs
 * sends the browser back to): nothing is asked when the order is not theirs, not a card order or
 * no longer pending. */
enum errkind vip_checkout_confirm_number(struct db *db, const char *user_id, const char *number,
                                         struct err *e);

#endif
