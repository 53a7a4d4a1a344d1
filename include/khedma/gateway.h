/*
 * gateway.h - the card gateways as the rest of the project calls them: YouCan Pay (tokenize,
 * transaction lookup, signed webhooks) and PayTabs (payment page, query, refund, signed
 * callbacks), behind one interface. gateway.c holds the table of gateway modules and calls
 * through it; the types that cross the interface are in gateway_util.h. Knows wire formats only:
 * the payment service (payments.c) decides what a result means for an order.
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
#include "khedma/errors.h"
#include "khedma/gateway_util.h"

/* The provider that takes "card" payments (KHEDMA_CARD_GATEWAY; YouCan Pay when unset). */
enum gateway_provider gateway_card_provider(void);
/* The gateway's name, as in KHEDMA_CARD_GATEWAY and payments.provider ("youcanpay"). */
const char *gateway_provider_name(enum gateway_provider p);
/* The gateway called name; false when there is none. */
bool gateway_provider_by_name(const char *name, enum gateway_provider *p);

void gateway_checkout_result_free(struct gateway_checkout_result *r);

/* Create the payment: YouCan Pay tokenize / PayTabs payment page. E_OK, or E_BAD_GATEWAY with a
 * client-safe message (the detail is logged without secrets). */
enum errkind gateway_checkout(enum gateway_provider p, const struct gateway_checkout_request *req,
                              struct gateway_checkout_result *res, struct err *e);

/* Look a payment up: YouCan Pay GET transactions/{ref}; PayTabs payment/query with tran_ref.
 * E_OK with t filled; E_NOT_FOUND when the gateway says there is no such transaction (404);
 * E_BAD_GATEWAY when it cannot be reached or answers nonsense. */
enum errkind gateway_lookup(enum gateway_provider p, const char *ref, struct gateway_transaction *t,
                            struct err *e);

/* PayTabs refund of tran_ref for amount (major units). E_OK when PayTabs approved it (refund_ref
 * gets its tran_ref), E_PRECONDITION when declined, E_BAD_GATEWAY on failure. YouCan Pay has no
 * refund call here (refunds are confirmed by its transaction.refunded event): E_UNPROCESSABLE. */
enum errkind gateway_refund(enum gateway_provider p, const char *tran_ref, const char *order_id,
                            const char *amount, const char *currency,
                            char refund_ref[GATEWAY_REF_MAX + 1], struct err *e);

/* Incoming webhook/callback signature: hex HMAC-SHA256 of the raw body keyed with the YouCan Pay
 * private key / PayTabs server key, compared in constant time. False when no key is configured. */
bool gateway_signature_valid(enum gateway_provider p, const char *body, size_t len,
                             const char *signature);

/* Reads an incoming webhook/callback body into ev (ev->provider = p). The signature is checked
 * separately (gateway_signature_valid). Pure: no database, no network. */
void gateway_parse_event(enum gateway_provider p, const char *body, size_t len,
                         struct gateway_event *ev);

#endif
