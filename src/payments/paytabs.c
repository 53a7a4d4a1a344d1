/*
 * paytabs.c - the PayTabs (PT2) client (paytabs.h): hosted payment page, transaction query,
 * refund, checking and reading a callback, exported as one operations table for the dispatcher
 * (gateway.c).
 *
 * PayTabs takes JSON with the server key in the "authorization" header, so request bodies hold
 * no secret and the checkout keeps the request it sent (cart_*, customer_details) for its answer.
 * Amounts travel in major units; they are normalised to two places on the way out and back so
 * that "500", 500.0 and "500.00" all compare equal to the package price.
 *
 * customer_details: PayTabs requires a billing address, which the marketplace does not collect.
 * We send Casablanca, Casablanca-Settat, 20000, MA (the platform's home market and the
 * currency's country) rather than invented per-user data; the hosted page is where a customer
 * whose card issuer checks the address can correct it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "khedma/config.h"
#include "khedma/errors.h"
#include "khedma/gateway_util.h"
#include "khedma/httpclient.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/money.h"
#include "khedma/paytabs.h"

#define PROFILE_DIGITS_MAX 18

/* Address fields the marketplace does not collect; PayTabs requires them in customer_details. */
#define DEFAULT_STREET "Casablanca"
#define DEFAULT_CITY "Casablanca"
#define DEFAULT_STATE "Casablanca-Settat"
#define DEFAULT_COUNTRY "MA"
#define DEFAULT_ZIP "20000"

/* ---- requests ---- */

/* profile_id as a JSON number when it is all digits (as PayTabs documents it), else a string. */
static json_object *profile_id_json(const char *profile_id)
{
    size_t n = profile_id ? strlen(profile_id) : 0;
    if (n > 0 && n <= PROFILE_DIGITS_MAX && strspn(profile_id, "0123456789") == n)
        return json_object_new_int64(strtoll(profile_id, NULL, 10));
    return json_object_new_string(profile_id ? profile_id : "");
}

/* An amount as a JSON number printed exactly as the normalised decimal ("500.00"). json-c wants
 * a double beside the text; it is only used if someone reads the value back as a double. */
static json_object *amount_json(const char *normalised)
{
    return json_object_new_double_s(strtod(normalised, NULL), normalised);
}

static void add_if(json_object *obj, const char *key, const char *value)
{
    if (value)
        jsonx_add_str(obj, key, value);
}

static json_object *customer_details(const struct gateway_customer *c)
{
    json_object *d = json_object_new_object();
    add_if(d, "name", c->name);
    add_if(d, "email", c->email);
    add_if(d, "phone", c->phone);
    jsonx_add_str(d, "street1", DEFAULT_STREET);
    jsonx_add_str(d, "city", DEFAULT_CITY);
    jsonx_add_str(d, "state", DEFAULT_STATE);
    jsonx_add_str(d, "country", DEFAULT_COUNTRY);
    jsonx_add_str(d, "zip", DEFAULT_ZIP);
    add_if(d, "ip", c->ip);
    return d;
}

/* The fields a sale and a refund share. */
static json_object *cart_request(const char *profile_id, const char *tran_type,
                                 const char *order_id, const char *currency, const char *amount,
                                 const char *description)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "profile_id", profile_id_json(profile_id));
    jsonx_add_str(o, "tran_type", tran_type);
    jsonx_add_str(o, "tran_class", "ecom");
    jsonx_add_str(o, "cart_id", order_id);
    jsonx_add_str(o, "cart_currency", currency ? currency : "MAD");
    json_object_object_add(o, "cart_amount", amount_json(amount));
    jsonx_add_str(o, "cart_description", description);
    return o;
}

json_object *paytabs_build_payment_request(const struct gateway_checkout_request *req,
                                           const char *profile_id, const char *public_url)
{
    char amount[32], ret[2048], callback[2048], description[160];
    if (!req || !profile_id || !money_normalize(req->amount, amount) ||
        !gateway_util_order_url(ret, sizeof ret, public_url, req->order_id, "payment-return"))
        return NULL;
    int n = snprintf(callback, sizeof callback, "%s/api/payments/paytabs/callback", public_url);
    if (n < 0 || (size_t)n >= sizeof callback)
        return NULL;
    snprintf(description, sizeof description, "Khedma order %s", req->order_id);
    json_object *o =
        cart_request(profile_id, "sale", req->order_id, req->currency, amount,
                     req->description && *req->description ? req->description : description);
    json_object_object_add(o, "customer_details", customer_details(&req->customer));
    jsonx_add_str(o, "callback", callback);
    jsonx_add_str(o, "return", ret);
    return o;
}

json_object *paytabs_build_query_request(const char *profile_id, const char *tran_ref)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "profile_id", profile_id_json(profile_id));
    jsonx_add_str(o, "tran_ref", tran_ref ? tran_ref : "");
    return o;
}

json_object *paytabs_build_refund_request(const char *profile_id, const char *tran_ref,
                                          const char *order_id, const char *amount,
                                          const char *currency)
{
    char normalised[32], description[160];
    if (!profile_id || !tran_ref || !*tran_ref || !order_id || !*order_id ||
        !money_normalize(amount, normalised))
        return NULL;
    snprintf(description, sizeof description, "Refund of Khedma order %s", order_id);
    json_object *o =
        cart_request(profile_id, "refund", order_id, currency, normalised, description);
    jsonx_add_str(o, "tran_ref", tran_ref);
    return o;
}

/* ---- answers ---- */

static bool is_http_url(const char *s)
{
    return s && (strncasecmp(s, "https://", 8) == 0 || strncasecmp(s, "http://", 7) == 0);
}

bool paytabs_parse_payment_page(const char *body, size_t len, char tran_ref[GATEWAY_REF_MAX + 1],
                                char redirect_url[2048])
{
    json_object *root = jsonx_parse(body, len);
    const char *url = jsonx_str(root, "redirect_url");
    bool ok = gateway_util_copy(tran_ref, GATEWAY_REF_MAX + 1, jsonx_str(root, "tran_ref")) &&
              is_http_url(url) && gateway_util_copy(redirect_url, 2048, url);
    if (!ok) {
        tran_ref[0] = '\0';
        redirect_url[0] = '\0';
    }
    json_object_put(root);
    return ok;
}

/* cart_amount: PayTabs sends a string ("101.51"); a number is accepted too. The text of a JSON
 * number is json-c's copy of what was received, so no double is involved. */
static bool parse_amount(json_object *value, char out[32])
{
    if (!json_object_is_type(value, json_type_string) &&
        !json_object_is_type(value, json_type_int) && !json_object_is_type(value, json_type_double))
        return false;
    return money_normalize(json_object_get_string(value), out);
}

static bool parse_status(const char *s, enum gateway_txn_status *out)
{
    if (!s || !*s)
        return false;
    if (strcasecmp(s, "A") == 0)
        *out = GATEWAY_TXN_PAID;
    else if (strcasecmp(s, "P") == 0 || strcasecmp(s, "H") == 0)
        *out = GATEWAY_TXN_PENDING;
    else
        *out = GATEWAY_TXN_FAILED;
    return true;
}

bool paytabs_parse_query(const char *body, size_t len, struct gateway_transaction *t)
{
    memset(t, 0, sizeof *t);
    json_object *root = jsonx_parse(body, len);
    json_object *amount = NULL;
    const char *tran_type = jsonx_str(root, "tran_type");
    bool sale = !jsonx_has(root, "tran_type") || (tran_type && strcasecmp(tran_type, "sale") == 0);
    bool ok =
        sale && json_object_object_get_ex(root, "cart_amount", &amount) &&
        gateway_util_copy(t->id, sizeof t->id, jsonx_str(root, "tran_ref")) &&
        gateway_util_copy(t->order_id, sizeof t->order_id, jsonx_str(root, "cart_id")) &&
        gateway_util_copy(t->currency, sizeof t->currency, jsonx_str(root, "cart_currency")) &&
        parse_amount(amount, t->amount) &&
        parse_status(jsonx_str(jsonx_obj(root, "payment_result"), "response_status"), &t->status);
    if (!ok)
        memset(t, 0, sizeof *t);
    json_object_put(root);
    return ok;
}

enum paytabs_refund_outcome paytabs_parse_refund(const char *body, size_t len,
                                                 char refund_ref[GATEWAY_REF_MAX + 1])
{
    refund_ref[0] = '\0';
    json_object *root = jsonx_parse(body, len);
    const char *status = jsonx_str(jsonx_obj(root, "payment_result"), "response_status");
    enum paytabs_refund_outcome outcome = PAYTABS_REFUND_MALFORMED;
    if (status && strcasecmp(status, "A") == 0)
        outcome = gateway_util_copy(refund_ref, GATEWAY_REF_MAX + 1, jsonx_str(root, "tran_ref"))
                      ? PAYTABS_REFUND_APPROVED
                      : PAYTABS_REFUND_MALFORMED;
    else if (status && *status)
        outcome = PAYTABS_REFUND_DECLINED;
    json_object_put(root);
    return outcome;
}

/* ---- callbacks ---- */

static void event_fields(json_object *o, struct gateway_event *ev)
{
    /* PayTabs calls back once per status change of a transaction (H on hold, then A), so the
     * event id is the transaction and its status: a replay repeats both, a change does not. */
    const char *ref = jsonx_str(o, "tran_ref");
    const char *st = jsonx_str(jsonx_obj(o, "payment_result"), "response_status");
    if (ref)
        snprintf(ev->id, sizeof(ev->id), "%s:%s", ref, st ? st : "?");
    gateway_util_copy_cut(ev->transaction_id, sizeof(ev->transaction_id), jsonx_str(o, "tran_ref"));
    gateway_util_copy_cut(ev->order_id, sizeof(ev->order_id), jsonx_str(o, "cart_id"));
    gateway_util_copy_cut(ev->currency, sizeof(ev->currency), jsonx_str(o, "cart_currency"));
    json_object *amount = json_object_object_get(o, "cart_amount");
    if (!amount || !money_normalize(json_object_get_string(amount), ev->amount))
        ev->amount[0] = '\0';
    const char *status = jsonx_str(jsonx_obj(o, "payment_result"), "response_status");
    const char *type = jsonx_str(o, "tran_type");
    bool is_refund = type && strcasecmp(type, "refund") == 0;
    snprintf(ev->type, sizeof(ev->type), "%s.%s", is_refund ? "refund" : "sale",
             status ? status : "?");
    if (!status)
        ev->action = GATEWAY_EVENT_NONE;
    else if (strcmp(status, "A") == 0)
        ev->action = is_refund ? GATEWAY_EVENT_REFUNDED : GATEWAY_EVENT_PAID;
    else if (!is_refund &&
             (strcmp(status, "D") == 0 || strcmp(status, "E") == 0 || strcmp(status, "V") == 0))
        ev->action = GATEWAY_EVENT_FAILED;
    else
        ev->action = GATEWAY_EVENT_NONE;
}

void paytabs_parse_event(const char *body, size_t len, struct gateway_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->provider = GATEWAY_PAYTABS;
    ev->action = GATEWAY_EVENT_NONE;
    json_object *o = jsonx_parse(body, len);
    if (o && json_object_is_type(o, json_type_object))
        event_fields(o, ev);
    json_object_put(o);
}

/* ---- calls ---- */

/* Both settings present, and a key that cannot smuggle a second header line. */
static bool configured(const char *op)
{
    const char *key = g_config->paytabs_server_key;
    if (key && g_config->paytabs_profile_id && !strpbrk(key, "\r\n"))
        return true;
    log_error("paytabs %s: KHEDMA_PAYTABS_SERVER_KEY and KHEDMA_PAYTABS_PROFILE_ID must be set",
              op);
    return false;
}

/* POSTs body to the API path with the server key; the header copy is wiped afterwards. */
static int post(const char *path, json_object *body, struct httpclient_response *r)
{
    char url[2048], auth[1024];
    int n = snprintf(url, sizeof url, "%s%s", g_config->paytabs_api, path);
    int m = snprintf(auth, sizeof auth, "authorization: %s", g_config->paytabs_server_key);
    if (n < 0 || (size_t)n >= sizeof url || m < 0 || (size_t)m >= sizeof auth) {
        log_error("paytabs %s: URL or server key too long", path);
        memset(r, 0, sizeof *r);
        sodium_memzero(auth, sizeof auth);
        return -1;
    }
    const char *headers[] = {auth, NULL};
    int rc = httpclient_post_json(url, headers, jsonx_to_string(body), r);
    sodium_memzero(auth, sizeof auth);
    return rc;
}

/* The authenticated POST for the subscription calls (paytabs_vip.c): same key, same limits. */
int paytabs_post(const char *op, const char *path, json_object *body, struct httpclient_response *r)
{
    if (!configured(op)) {
        memset(r, 0, sizeof *r);
        return -1;
    }
    return post(path, body, r);
}

static enum errkind payment_page(const struct gateway_checkout_request *req,
                                 struct gateway_checkout_result *res, struct err *e)
{
    if (!configured("payment page"))
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    json_object *body =
        paytabs_build_payment_request(req, g_config->paytabs_profile_id, g_config->public_url);
    if (!body) {
        log_error("paytabs payment page: cannot build the request (amount or order id invalid)");
        return err_set(e, E_INTERNAL, "Cannot prepare the payment");
    }
    struct httpclient_response r;
    bool ok = post("/payment/request", body, &r) == 0 && r.status == 200 &&
              paytabs_parse_payment_page(r.body, r.len, res->tran_ref, res->redirect_url);
    if (!ok && r.body)
        log_warn("paytabs payment page for order %s: unexpected answer (HTTP %ld, %zu bytes)",
                 req->order_id, r.status, r.len);
    httpclient_response_free(&r);
    if (!ok) {
        json_object_put(body);
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    res->paytabs_request = body;
    return E_OK;
}

static enum errkind query(const char *tran_ref, struct gateway_transaction *t, struct err *e)
{
    if (!configured("query"))
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    if (!tran_ref || !*tran_ref || strlen(tran_ref) > GATEWAY_REF_MAX)
        return err_set(e, E_NOT_FOUND, "Transaction not found");
    json_object *body = paytabs_build_query_request(g_config->paytabs_profile_id, tran_ref);
    struct httpclient_response r;
    int rc = post("/payment/query", body, &r);
    json_object_put(body);
    if (rc != 0)
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    enum errkind kind = E_OK;
    if (r.status == 404) {
        kind = err_set(e, E_NOT_FOUND, "Transaction not found");
    } else if (r.status != 200 || !paytabs_parse_query(r.body, r.len, t) ||
               strcmp(t->id, tran_ref) != 0) {
        /* Another tran_ref than asked for would make us trust another payment's cart_id. */
        log_warn("paytabs query of %s: unexpected answer (HTTP %ld, %zu bytes)", tran_ref, r.status,
                 r.len);
        memset(t, 0, sizeof *t);
        kind = err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    httpclient_response_free(&r);
    return kind;
}

static enum errkind refund(const char *tran_ref, const char *order_id, const char *amount,
                           const char *currency, char refund_ref[GATEWAY_REF_MAX + 1],
                           struct err *e)
{
    refund_ref[0] = '\0';
    if (!configured("refund"))
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    json_object *body = paytabs_build_refund_request(g_config->paytabs_profile_id, tran_ref,
                                                     order_id, amount, currency);
    if (!body) {
        log_error("paytabs refund: cannot build the request (reference, order or amount)");
        return err_set(e, E_INTERNAL, "Cannot prepare the refund");
    }
    struct httpclient_response r;
    int rc = post("/payment/request", body, &r);
    json_object_put(body);
    if (rc != 0)
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    enum paytabs_refund_outcome outcome = r.status == 200
                                              ? paytabs_parse_refund(r.body, r.len, refund_ref)
                                              : PAYTABS_REFUND_MALFORMED;
    if (outcome != PAYTABS_REFUND_APPROVED)
        log_warn("paytabs refund of %s for order %s: %s (HTTP %ld)", tran_ref, order_id,
                 outcome == PAYTABS_REFUND_DECLINED ? "declined" : "unexpected answer", r.status);
    httpclient_response_free(&r);
    if (outcome == PAYTABS_REFUND_DECLINED)
        return err_set(e, E_PRECONDITION, "The payment gateway declined the refund");
    if (outcome == PAYTABS_REFUND_MALFORMED)
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    return E_OK;
}

static bool signature_valid(const char *body, size_t len, const char *signature)
{
    return g_config && gateway_util_hmac_valid(g_config->paytabs_server_key, body, len, signature);
}

const struct gateway_ops paytabs_gateway = {
    .name = "paytabs",
    .checkout = payment_page,
    .lookup = query,
    .refund = refund,
    .signature_valid = signature_valid,
    .parse_event = paytabs_parse_event,
};
