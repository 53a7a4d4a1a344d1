/*
 * paytabs.h - the PayTabs (PT2) client: its operations table (hosted payment page, transaction
 * query, refund, signed callbacks), which the dispatcher (gateway.h) calls through, and the pure
 * functions that build its requests and read its answers, exported for the unit tests and the
 * fuzz targets so that every malformed answer is a test rather than a surprise in production.
 *
 * Wire facts these functions encode (docs/api.md, "Gateway webhooks", and PayTabs' public
 * documentation): JSON with the server key in the "authorization" header; cart_amount in major
 * units; answers carry payment_result.response_status: A authorised, H on hold, P pending,
 * D declined, E error, V voided (and a few more); cart_amount comes back as a string. Callbacks
 * are the transaction object of a query answer, signed with the hex HMAC-SHA256 of the raw body
 * keyed with the server key (header signature).
 */
#ifndef KHEDMA_PAYTABS_H
#define KHEDMA_PAYTABS_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/gateway_util.h"

/* The operations the dispatcher calls (named "paytabs"). */
extern const struct gateway_ops paytabs_gateway;

/* The payment page request (tran_type sale, tran_class ecom, cart_*, customer_details, callback,
 * return); profile_id is a JSON number when it is all digits (as PayTabs documents it), else a
 * string; cart_amount is a JSON number printed with two decimals. NULL when the amount is not
 * a valid decimal or the order id is missing. */
json_object *paytabs_build_payment_request(const struct gateway_checkout_request *req,
                                           const char *profile_id, const char *public_url);
json_object *paytabs_build_query_request(const char *profile_id, const char *tran_ref);
json_object *paytabs_build_refund_request(const char *profile_id, const char *tran_ref,
                                          const char *order_id, const char *amount,
                                          const char *currency);
/* payment/request answer: tran_ref (1..128 chars) and an http(s) redirect_url (< 2048). */
bool paytabs_parse_payment_page(const char *body, size_t len, char tran_ref[GATEWAY_REF_MAX + 1],
                                char redirect_url[2048]);
/* payment/query answer into t: A paid, P/H pending, any other status failed. False when
 * tran_ref, cart_id, cart_amount (number or string, at most 2 places), cart_currency or
 * payment_result.response_status is missing or malformed, or tran_type is present and not a
 * sale (a refund's tran_ref must never read as a payment). */
bool paytabs_parse_query(const char *body, size_t len, struct gateway_transaction *t);

enum paytabs_refund_outcome {
    PAYTABS_REFUND_APPROVED,
    PAYTABS_REFUND_DECLINED,
    PAYTABS_REFUND_MALFORMED
};
/* Refund answer: approved (status A, refund_ref = its tran_ref), declined (any other status), or
 * malformed (no payment_result.response_status, or A without a tran_ref). */
enum paytabs_refund_outcome paytabs_parse_refund(const char *body, size_t len,
                                                 char refund_ref[GATEWAY_REF_MAX + 1]);

/* A callback body into ev, provider GATEWAY_PAYTABS (paytabs_gateway.parse_event). The event id is
 * "<tran_ref>:<response_status>": PayTabs calls back once per status change. */
void paytabs_parse_event(const char *body, size_t len, struct gateway_event *ev);

/* POSTs body to the API path with the server key (paytabs_vip.c's calls); -1 when the
 * gateway is not configured or the call failed, else 0 with the answer in r (free it with
 * httpclient_response_free). */
struct httpclient_response;
int paytabs_post(const char *op, const char *path, json_object *body,
                 struct httpclient_response *r);

#endif
