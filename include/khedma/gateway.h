/*
 * gateway.h - the card gateways as the project calls them (contract section 8): YouCan Pay
 * (tokenize, transaction lookup, signed webhooks) and PayTabs (payment page, query, refund, signed
 * callbacks), behind one interface chosen by KHEDMA_CARD_GATEWAY. Knows wire formats only; the
 * payment service (payments.c) decides what a result means for an order.
 *
 * Every call: libcurl with a total timeout of KHEDMA_GATEWAY_TIMEOUT_MS, TLS verified (the dev
 * emulators speak plain http on loopback), non-2xx / malformed JSON / missing fields = failure,
 * keys and card data never logged. Amounts cross this interface as decimal strings in MAD major
 * units ("500.00"); the YouCan Pay client converts to minor units (50000) on the wire.
 */
#ifndef KHEDMA_GATEWAY_H
#define KHEDMA_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/config.h"
#include "khedma/errors.h"

enum gw_provider { GW_YOUCANPAY, GW_PAYTABS };

/* The provider that takes "card" payments (g_config->card_gateway). */
enum gw_provider gw_card_provider(void);
const char *gw_provider_name(enum gw_provider p); /* "youcanpay" / "paytabs" */

struct gw_customer {
    const char *name;
    const char *email;
    const char *phone;
    const char *ip;
};

struct gw_checkout_request {
    const char *order_id;    /* our order id: YouCan Pay order_id / PayTabs cart_id */
    const char *amount;      /* MAD major units, "500.00" */
    const char *currency;    /* "MAD" */
    const char *description; /* PayTabs cart_description */
    struct gw_customer customer;
};

struct gw_checkout_result {
    /* YouCan Pay */
    char token_id[129];
    char payment_url[2048];
    /* PayTabs */
    char tran_ref[129];
    char redirect_url[2048];
    /* PayTabs: the request body sent (cart_*, customer_details), for the checkout response.
     * Owned; release with gw_checkout_result_free(). NULL for YouCan Pay. */
    json_object *paytabs_request;
};
void gw_checkout_result_free(struct gw_checkout_result *r);

/* Create the payment: YouCan Pay tokenize / PayTabs payment page. E_OK, or E_BAD_GATEWAY with a
 * client-safe message (the detail is logged without secrets). */
enum errkind gw_checkout(enum gw_provider p, const struct gw_checkout_request *req,
                         struct gw_checkout_result *res, struct err *e);

enum gw_txn_status { GW_TXN_PAID, GW_TXN_PENDING, GW_TXN_FAILED };

struct gw_transaction {
    char id[129];       /* YouCan Pay transaction id / PayTabs tran_ref */
    char order_id[129]; /* YouCan Pay order_id / PayTabs cart_id */
    enum gw_txn_status status;
    char amount[32]; /* MAD major units as a decimal string with 2 places ("500.00") */
    char currency[8];
};

/* Look a payment up: YouCan Pay GET transactions/{ref}; PayTabs payment/query with tran_ref.
 * E_OK with t filled; E_NOT_FOUND when the gateway says there is no such transaction (404);
 * E_BAD_GATEWAY when it cannot be reached or answers nonsense. */
enum errkind gw_lookup(enum gw_provider p, const char *ref, struct gw_transaction *t,
                       struct err *e);

/* PayTabs refund of tran_ref for amount (major units). E_OK when PayTabs approved it (refund_ref
 * gets its tran_ref), E_PRECONDITION when declined, E_BAD_GATEWAY on failure. YouCan Pay has no
 * refund call here (refunds are confirmed by its transaction.refunded event): E_UNPROCESSABLE. */
enum errkind gw_refund(enum gw_provider p, const char *tran_ref, const char *order_id,
                       const char *amount, const char *currency, char refund_ref[129],
                       struct err *e);

/* Incoming webhook/callback signature: hex HMAC-SHA256 of the raw body keyed with the YouCan Pay
 * private key / PayTabs server key, compared in constant time. False when no key is configured. */
bool gw_signature_valid(enum gw_provider p, const char *body, size_t len, const char *signature);

#endif
