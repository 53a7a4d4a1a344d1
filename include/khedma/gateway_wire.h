/*
 * gateway_wire.h - internal to the gateway clients (gateway.c, youcanpay.c, paytabs.c) and their
 * tests: the pure functions that build requests and read answers, kept apart from the network so
 * that every malformed answer a gateway could give is a unit test rather than a surprise in
 * production. Callers use gateway.h; the one exception is reading incoming notifications, where
 * ycp_amount_minor() (a webhook's payload.transaction.amount) and pt_parse_query() (a PayTabs
 * callback body is the same transaction object as a query answer) save re-implementing them.
 *
 * Wire facts these functions encode (contract section 8, and the public documentation):
 * - YouCan Pay tokenize: multipart/form-data; amount is an integer in minor units (centimes:
 *   500.00 MAD -> 50000); answer 200 {"token": {"id": "<uuid>"}}.
 * - YouCan Pay transaction: {id, order_id, status (1 paid, 0 pending, -1 failed), amount (minor
 *   units, number or numeric string), currency, created_at}.
 * - PayTabs (PT2): JSON with the server key in the "authorization" header; cart_amount in major
 *   units; answers carry payment_result.response_status: A authorised, H on hold, P pending,
 *   D declined, E error, V voided (and a few more); cart_amount comes back as a string.
 * - Signed notifications: hex HMAC-SHA256 of the raw body, keyed with the YouCan Pay private key
 *   (header x-youcanpay-signature) or the PayTabs server key (header signature).
 */
#ifndef KHEDMA_GATEWAY_WIRE_H
#define KHEDMA_GATEWAY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/errors.h"
#include "khedma/gateway.h"
#include "khedma/httpclient.h"

/* Longest reference (transaction id, tran_ref, token id, order id) taken from or sent to a
 * gateway: the size of the char[129] fields of gateway.h, less the NUL. */
#define GW_REF_MAX 128
/* The client-safe message of every E_BAD_GATEWAY (the detail goes to the log). */
#define GW_MSG_UNAVAILABLE "Payment gateway unavailable"

/* ---- incoming notifications (read by youcanpay.c and paytabs.c, applied by gateway_events.c) */

/* What an event asks for, once read from either gateway's format. */
enum gw_event_action { GW_EVENT_PAID, GW_EVENT_FAILED, GW_EVENT_REFUNDED, GW_EVENT_NONE };

/* One incoming event. Strings are "" when absent (too long ones are cut to fit). */
struct gw_event {
    enum gw_provider provider;
    char id[129];
    char type[65];
    char order_id[129];
    char transaction_id[129];
    char amount[32]; /* major units, 2 places; empty when absent */
    char currency[8];
    enum gw_event_action action;
};

/* ---- shared (gateway.c) ---- */

/* Percent-encodes every byte outside RFC 3986's unreserved set (A-Z a-z 0-9 - . _ ~), so a value
 * can sit in a path segment or a query without changing the URL's shape ("../", "?", "&").
 * False when out (outlen bytes, NUL included) is too small. */
bool gw_url_escape(const char *in, char *out, size_t outlen);

/* public_url + "/orders/" + escaped order_id + "/" + suffix (the pages a gateway sends the
 * customer back to). False when order_id is missing or longer than GW_REF_MAX, or out is short. */
bool gw_order_url(char *out, size_t outlen, const char *public_url, const char *order_id,
                  const char *suffix);

/* Copies src into dst when it is a non-empty string that fits; false otherwise (dst then ""). */
bool gw_copy(char *dst, size_t dstlen, const char *src);

/* True when signature is the hex HMAC-SHA256 of body[0..len) keyed with key, compared in
 * constant time and case-insensitively. False when key or signature is NULL or empty. */
bool gw_hmac_valid(const char *key, const char *body, size_t len, const char *signature);

/* ---- YouCan Pay (youcanpay.c) ---- */

/* The tokenize form: pri_key, amount, currency, order_id, customer_ip, success_url, error_url,
 * metadata[order_id], metadata[type], customer[name], customer[email], customer[phone] (fields
 * whose value is NULL are left out). Values point into req, pri_key or the struct itself. */
#define YCP_FORM_MAX 16
struct ycp_form {
    struct httpc_field fields[YCP_FORM_MAX];
    size_t count;
    char amount[24];
    char success_url[2048];
    char error_url[2048];
};
/* False when the amount is not a valid decimal, the order id is missing, or a URL is too long. */
bool ycp_build_tokenize_form(const struct gw_checkout_request *req, const char *pri_key,
                             const char *public_url, struct ycp_form *form);
/* A 200 tokenize answer: token.id, a string of 1..128 characters from [A-Za-z0-9_-] (it becomes
 * a path segment of the payment URL). False for anything else. */
bool ycp_parse_tokenize(const char *body, size_t len, char token_id[GW_REF_MAX + 1]);
/* A YouCan Pay amount in minor units: a non-negative JSON integer, or a string of 1..18 digits.
 * False for anything else (a fraction, a sign, a double, null). Also used for webhook payloads. */
bool ycp_amount_minor(json_object *value, long long *minor);
/* A transaction answer into t (amount converted to major units, "500.00"). False when a field
 * is missing or of the wrong type, or status is not 1, 0 or -1. created_at is not required: it
 * is not used, and a lookup should not fail over a field it ignores. */
bool ycp_parse_transaction(const char *body, size_t len, struct gw_transaction *t);
/* api + "/transactions/" + escaped ref + "?pri_key=" + escaped key. False when out is short. */
bool ycp_lookup_url(const char *api, const char *ref, const char *pri_key, char *out,
                    size_t outlen);

/* A webhook body ({id, event_name, payload: {transaction: {...}}}) into ev, provider set. A body
 * that is not a JSON object leaves every field empty (action GW_EVENT_NONE); the signature is
 * checked separately (gw_signature_valid). Pure: no database, no network. */
void ycp_parse_event(const char *body, size_t len, struct gw_event *ev);

enum errkind ycp_tokenize(const struct gw_checkout_request *req, struct gw_checkout_result *res,
                          struct err *e);
enum errkind ycp_lookup(const char *ref, struct gw_transaction *t, struct err *e);

/* ---- PayTabs (paytabs.c) ---- */

/* Address fields the marketplace does not collect; PayTabs requires them in customer_details. */
#define PT_DEFAULT_STREET "Casablanca"
#define PT_DEFAULT_CITY "Casablanca"
#define PT_DEFAULT_STATE "Casablanca-Settat"
#define PT_DEFAULT_COUNTRY "MA"
#define PT_DEFAULT_ZIP "20000"

/* profile_id as a JSON number when it is all digits (as PayTabs documents it), else a string. */
json_object *pt_profile_id(const char *profile_id);
/* The payment page request (tran_type sale, tran_class ecom, cart_*, customer_details, callback,
 * return); cart_amount is a JSON number printed with two decimals. NULL when the amount is not
 * a valid decimal or the order id is missing. */
json_object *pt_build_payment_request(const struct gw_checkout_request *req, const char *profile_id,
                                      const char *public_url);
json_object *pt_build_query_request(const char *profile_id, const char *tran_ref);
json_object *pt_build_refund_request(const char *profile_id, const char *tran_ref,
                                     const char *order_id, const char *amount,
                                     const char *currency);
/* payment/request answer: tran_ref (1..128 chars) and an http(s) redirect_url (< 2048). */
bool pt_parse_payment_page(const char *body, size_t len, char tran_ref[GW_REF_MAX + 1],
                           char redirect_url[2048]);
/* payment/query answer into t: A paid, P/H pending, any other status failed. False when
 * tran_ref, cart_id, cart_amount (number or string, at most 2 places), cart_currency or
 * payment_result.response_status is missing or malformed, or tran_type is present and not a
 * sale (a refund's tran_ref must never read as a payment). */
bool pt_parse_query(const char *body, size_t len, struct gw_transaction *t);

enum pt_refund_outcome { PT_REFUND_APPROVED, PT_REFUND_DECLINED, PT_REFUND_MALFORMED };
/* Refund answer: approved (status A, refund_ref = its tran_ref), declined (any other status), or
 * malformed (no payment_result.response_status, or A without a tran_ref). */
enum pt_refund_outcome pt_parse_refund(const char *body, size_t len,
                                       char refund_ref[GW_REF_MAX + 1]);

/* A callback body (the transaction object of a query answer) into ev, provider set. The event id
 * is "<tran_ref>:<response_status>": PayTabs calls back once per status change. A body that is
 * not a JSON object leaves every field empty. Pure: no database, no network. */
void pt_parse_event(const char *body, size_t len, struct gw_event *ev);

enum errkind pt_payment_page(const struct gw_checkout_request *req, struct gw_checkout_result *res,
                             struct err *e);
enum errkind pt_query(const char *tran_ref, struct gw_transaction *t, struct err *e);
enum errkind pt_refund(const char *tran_ref, const char *order_id, const char *amount,
                       const char *currency, char refund_ref[GW_REF_MAX + 1], struct err *e);

#endif
