/*
 * paytabs_vip.h - the PayTabs (PT2) calls VIP subscriptions need beyond the hosted payment page:
 * capturing or voiding a trial's authorisation, and charging a renewal with the card token saved
 * at the first payment (a "recurring" sale). The request builders and the answer reader are pure
 * and exported for the unit tests; the calls go through paytabs.c's authenticated POST (same key,
 * same httpclient timeout and TLS rules).
 *
 * Wire facts (PayTabs' public documentation, "Manage transactions" and "Token-based
 * transactions"): all three are POST /payment/request. Capture and void carry tran_type capture
 * or void, tran_class ecom, the authorisation's tran_ref and the cart (id, currency, amount,
 * description) of the authorisation. A recurring sale carries tran_type sale, tran_class
 * recurring, the token and the tran_ref of the transaction that created it, and a new cart. The
 * answer is a transaction object whose payment_result.response_status says what happened
 * (A approved, D declined, E error, ...).
 */
#ifndef KHEDMA_PAYTABS_VIP_H
#define KHEDMA_PAYTABS_VIP_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/errors.h"
#include "khedma/gateway_util.h"

#define PAYTABS_VIP_TOKEN_MAX 255

/* What PayTabs answered: its transaction (empty when it refused the request outright), the
 * response_status ("A", "D", "E", ...; "E" when it refused the request with an error answer)
 * and its message, for the subscription's event. */
struct paytabs_vip_result {
    char tran_ref[GATEWAY_REF_MAX + 1];
    char status[4];
    char message[256];
};

/* The cart fields every request here carries: cart_id is the subscription order's number. */
struct paytabs_vip_cart {
    const char *order_number;
    const char *amount;   /* decimal text, e.g. "99.00" (from the database) */
    const char *currency; /* NULL: MAD */
};

/* Builders: NULL when a reference, the order number or the amount is missing or invalid. */
json_object *paytabs_vip_build_capture(const char *profile_id, const char *auth_ref,
                                       const struct paytabs_vip_cart *cart);
json_object *paytabs_vip_build_void(const char *profile_id, const char *auth_ref,
                                    const struct paytabs_vip_cart *cart);
json_object *paytabs_vip_build_recurring(const char *profile_id, const char *token,
                                         const char *original_ref,
                                         const struct paytabs_vip_cart *cart);

/* A 200 answer into res: false when payment_result.response_status is missing, or when it is A
 * without a tran_ref (an approval must name its transaction). */
bool paytabs_vip_parse_result(const char *body, size_t len, struct paytabs_vip_result *res);

/* The calls. E_OK with res filled when PayTabs gave an answer (approved or not: the caller reads
 * res->status); E_BAD_GATEWAY when the outcome is unknown (no answer, timeout, 5xx, malformed),
 * so the caller keeps the work due and tries again; E_INTERNAL when the request cannot be built.
 * The token is never logged. */
enum errkind paytabs_vip_capture(const char *auth_ref, const struct paytabs_vip_cart *cart,
                                 struct paytabs_vip_result *res, struct err *e);
enum errkind paytabs_vip_void(const char *auth_ref, const struct paytabs_vip_cart *cart,
                              struct paytabs_vip_result *res, struct err *e);
enum errkind paytabs_vip_recurring(const char *token, const char *original_ref,
                                   const struct paytabs_vip_cart *cart,
                                   struct paytabs_vip_result *res, struct err *e);

#endif
