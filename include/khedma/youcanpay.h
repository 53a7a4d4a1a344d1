/*
 * youcanpay.h - the YouCan Pay client: its operations table (tokenize, transaction lookup, signed
 * webhooks; no refund call), which the dispatcher (gateway.h) calls through, and the pure
 * functions that build its requests and read its answers, exported for the unit tests and the
 * fuzz targets so that every malformed answer is a test rather than a surprise in production.
 *
 * Wire facts these functions encode (docs/api.md, "Gateway webhooks", and YouCan Pay's public
 * documentation):
 * - tokenize: multipart/form-data; amount is an integer in minor units (centimes: 500.00 MAD ->
 *   50000); answer 200 {"token": {"id": "<uuid>"}}.
 * - transaction: {id, order_id, status (1 paid, 0 pending, -1 failed), amount (minor units,
 *   number or numeric string), currency, created_at}.
 * - webhooks: {id, event_name, payload: {transaction: {...}}}, signed with the hex HMAC-SHA256
 *   of the raw body keyed with the private key (header x-youcanpay-signature).
 */
#ifndef KHEDMA_YOUCANPAY_H
#define KHEDMA_YOUCANPAY_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>
#include "khedma/gateway_util.h"
#include "khedma/httpclient.h"

/* The operations the dispatcher calls (named "youcanpay"). */
extern const struct gateway_ops youcanpay_gateway;

/* The tokenize form: pri_key, amount, currency, order_id, customer_ip, success_url, error_url,
 * metadata[order_id], metadata[type], customer[name], customer[email], customer[phone] (fields
 * whose value is NULL are left out). Values point into req, pri_key or the struct itself. */
#define YOUCANPAY_FORM_MAX 16
struct youcanpay_form {
    struct httpclient_field fields[YOUCANPAY_FORM_MAX];
    size_t count;
    char amount[24];
    char success_url[2048];
    char error_url[2048];
};
/* False when the amount is not a valid decimal, the order id is missing, or a URL is too long. */
bool youcanpay_build_tokenize_form(const struct gateway_checkout_request *req, const char *pri_key,
                                   const char *public_url, struct youcanpay_form *form);
/* A 200 tokenize answer: token.id, a string of 1..128 characters from [A-Za-z0-9_-] (it becomes
 * a path segment of the payment URL). False for anything else. */
bool youcanpay_parse_tokenize(const char *body, size_t len, char token_id[GATEWAY_REF_MAX + 1]);
/* A YouCan Pay amount in minor units: a non-negative JSON integer, or a string of 1..18 digits.
 * False for anything else (a fraction, a sign, a double, null). */
bool youcanpay_amount_minor(json_object *value, long long *minor);
/* A transaction answer into t (amount converted to major units, "500.00"). False when a field
 * is missing or of the wrong type, or status is not 1, 0 or -1. created_at is not required: it
 * is not used, and a lookup should not fail over a field it ignores. */
bool youcanpay_parse_transaction(const char *body, size_t len, struct gateway_transaction *t);
/* api + "/transactions/" + escaped ref + "?pri_key=" + escaped key. False when out is short. */
bool youcanpay_lookup_url(const char *api, const char *ref, const char *pri_key, char *out,
                          size_t outlen);
/* A webhook body into ev, provider GATEWAY_YOUCANPAY (youcanpay_gateway.parse_event). */
void youcanpay_parse_event(const char *body, size_t len, struct gateway_event *ev);

#endif
