/*
 * youcanpay.c - the YouCan Pay client (youcanpay.h): tokenize a payment, look a transaction up,
 * check and read a webhook, exported as one operations table for the dispatcher (gateway.c).
 * YouCan Pay takes no refund call from us: its transaction.refunded webhook confirms refunds.
 *
 * Two wire facts matter more than the rest. Amounts go out in minor units: the original app sent
 * 500 for a 500 MAD order, which YouCan Pay reads as 5.00 MAD. And the lookup carries the private
 * key in its query string, so that URL is never logged (httpclient logs URLs without queries and
 * this file logs only the operation and the order or transaction id).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "khedma/config.h"
#include "khedma/errors.h"
#include "khedma/gateway_util.h"
#include "khedma/httpclient.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/money.h"
#include "khedma/youcanpay.h"

/* Amounts in minor units have at most 18 digits: far above any real payment, and well inside a
 * long long, so parsing needs no overflow checks. */
#define MINOR_DIGITS 18
#define MINOR_LIMIT 1000000000000000000LL

/* ---- the tokenize form ---- */

static void add_field(struct youcanpay_form *form, const char *name, const char *value)
{
    if (value && form->count < YOUCANPAY_FORM_MAX) {
        form->fields[form->count].name = name;
        form->fields[form->count].value = value;
        form->count++;
    }
}

bool youcanpay_build_tokenize_form(const struct gateway_checkout_request *req, const char *pri_key,
                                   const char *public_url, struct youcanpay_form *form)
{
    memset(form, 0, sizeof *form);
    long long minor;
    if (!req || !req->order_id || !*req->order_id || strlen(req->order_id) > GATEWAY_REF_MAX ||
        !pri_key || !public_url || !money_to_minor(req->amount, &minor))
        return false;
    snprintf(form->amount, sizeof form->amount, "%lld", minor);
    if (!gateway_util_order_url(form->success_url, sizeof form->success_url, public_url,
                                req->order_id, "payment-success") ||
        !gateway_util_order_url(form->error_url, sizeof form->error_url, public_url, req->order_id,
                                "payment-failed"))
        return false;
    add_field(form, "pri_key", pri_key);
    add_field(form, "amount", form->amount);
    add_field(form, "currency", req->currency ? req->currency : "MAD");
    add_field(form, "order_id", req->order_id);
    add_field(form, "customer_ip", req->customer.ip);
    add_field(form, "success_url", form->success_url);
    add_field(form, "error_url", form->error_url);
    /* metadata comes back in the webhook payload: the order id there lets a webhook be matched
     * even if order_id handling ever changed on their side. */
    add_field(form, "metadata[order_id]", req->order_id);
    add_field(form, "metadata[type]", "checkout");
    add_field(form, "customer[name]", req->customer.name);
    add_field(form, "customer[email]", req->customer.email);
    add_field(form, "customer[phone]", req->customer.phone);
    return true;
}

/* ---- answers ---- */

bool youcanpay_parse_tokenize(const char *body, size_t len, char token_id[GATEWAY_REF_MAX + 1])
{
    token_id[0] = '\0';
    json_object *root = jsonx_parse(body, len);
    const char *id = jsonx_str(jsonx_obj(root, "token"), "id");
    bool ok = id && *id && strlen(id) <= GATEWAY_REF_MAX &&
              strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") ==
                  strlen(id);
    if (ok)
        gateway_util_copy(token_id, GATEWAY_REF_MAX + 1, id);
    json_object_put(root);
    return ok;
}

bool youcanpay_amount_minor(json_object *value, long long *minor)
{
    if (json_object_is_type(value, json_type_int)) {
        /* The same bound as for strings; it also turns away integers past INT64_MAX, which
         * json-c keeps as unsigned and get_int64 would clamp. */
        int64_t v = json_object_get_int64(value);
        if (v < 0 || v >= MINOR_LIMIT)
            return false;
        *minor = v;
        return true;
    }
    if (!json_object_is_type(value, json_type_string))
        return false;
    const char *s = json_object_get_string(value);
    size_t n = strlen(s);
    if (n == 0 || n > MINOR_DIGITS || strspn(s, "0123456789") != n)
        return false;
    long long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0'); /* MINOR_DIGITS digits cannot overflow */
    *minor = v;
    return true;
}

/* status: 1, 0 or -1, as a JSON integer or (as some SDKs cast it) a numeric string. */
static bool parse_status(json_object *value, enum gateway_txn_status *out)
{
    long long v;
    if (json_object_is_type(value, json_type_int)) {
        v = json_object_get_int64(value);
    } else if (json_object_is_type(value, json_type_string)) {
        const char *s = json_object_get_string(value);
        if (strcmp(s, "1") != 0 && strcmp(s, "0") != 0 && strcmp(s, "-1") != 0)
            return false;
        v = s[0] == '-' ? -1 : s[0] - '0';
    } else {
        return false;
    }
    if (v == 1)
        *out = GATEWAY_TXN_PAID;
    else if (v == 0)
        *out = GATEWAY_TXN_PENDING;
    else if (v == -1)
        *out = GATEWAY_TXN_FAILED;
    else
        return false;
    return true;
}

bool youcanpay_parse_transaction(const char *body, size_t len, struct gateway_transaction *t)
{
    memset(t, 0, sizeof *t);
    json_object *root = jsonx_parse(body, len);
    json_object *amount = NULL, *status = NULL;
    long long minor = 0;
    bool ok = json_object_is_type(root, json_type_object) &&
              json_object_object_get_ex(root, "amount", &amount) &&
              json_object_object_get_ex(root, "status", &status) &&
              gateway_util_copy(t->id, sizeof t->id, jsonx_str(root, "id")) &&
              gateway_util_copy(t->order_id, sizeof t->order_id, jsonx_str(root, "order_id")) &&
              gateway_util_copy(t->currency, sizeof t->currency, jsonx_str(root, "currency")) &&
              parse_status(status, &t->status) && youcanpay_amount_minor(amount, &minor);
    if (ok)
        money_from_minor(minor, t->amount);
    else
        memset(t, 0, sizeof *t);
    json_object_put(root);
    return ok;
}

bool youcanpay_lookup_url(const char *api, const char *ref, const char *pri_key, char *out,
                          size_t outlen)
{
    char ref_esc[3 * GATEWAY_REF_MAX + 1];
    char key_esc[768];
    if (!api || !gateway_util_url_escape(ref, ref_esc, sizeof ref_esc) ||
        !gateway_util_url_escape(pri_key, key_esc, sizeof key_esc))
        return false;
    int n = snprintf(out, outlen, "%s/transactions/%s?pri_key=%s", api, ref_esc, key_esc);
    return n > 0 && (size_t)n < outlen;
}

/* ---- webhooks ---- */

/* Amounts arrive in minor units as a number or a numeric string. */
static void event_amount(json_object *v, char out[32])
{
    long long minor = -1;
    if (json_object_is_type(v, json_type_int))
        minor = json_object_get_int64(v);
    else if (json_object_is_type(v, json_type_string)) {
        const char *s = json_object_get_string(v);
        char *end = NULL;
        long long n = strtoll(s, &end, 10);
        if (*s && end && *end == '\0')
            minor = n;
    }
    out[0] = '\0';
    if (minor >= 0)
        money_from_minor(minor, out);
}

static void event_fields(json_object *o, struct gateway_event *ev)
{
    gateway_util_copy_cut(ev->id, sizeof(ev->id), jsonx_str(o, "id"));
    gateway_util_copy_cut(ev->type, sizeof(ev->type), jsonx_str(o, "event_name"));
    json_object *t = jsonx_obj(jsonx_obj(o, "payload"), "transaction");
    gateway_util_copy_cut(ev->order_id, sizeof(ev->order_id), jsonx_str(t, "order_id"));
    gateway_util_copy_cut(ev->transaction_id, sizeof(ev->transaction_id), jsonx_str(t, "id"));
    gateway_util_copy_cut(ev->currency, sizeof(ev->currency), jsonx_str(t, "currency"));
    event_amount(t ? json_object_object_get(t, "amount") : NULL, ev->amount);
    ev->action = strcmp(ev->type, "transaction.paid") == 0       ? GATEWAY_EVENT_PAID
                 : strcmp(ev->type, "transaction.failed") == 0   ? GATEWAY_EVENT_FAILED
                 : strcmp(ev->type, "transaction.refunded") == 0 ? GATEWAY_EVENT_REFUNDED
                                                                 : GATEWAY_EVENT_NONE;
}

void youcanpay_parse_event(const char *body, size_t len, struct gateway_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->provider = GATEWAY_YOUCANPAY;
    ev->action = GATEWAY_EVENT_NONE;
    json_object *o = jsonx_parse(body, len);
    if (o && json_object_is_type(o, json_type_object))
        event_fields(o, ev);
    json_object_put(o);
}

/* ---- calls ---- */

static enum errkind tokenize(const struct gateway_checkout_request *req,
                             struct gateway_checkout_result *res, struct err *e)
{
    const char *key = g_config->youcanpay_private_key;
    if (!key) {
        log_error("youcanpay tokenize: KHEDMA_YOUCANPAY_PRIVATE_KEY is not set");
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    struct youcanpay_form form;
    if (!youcanpay_build_tokenize_form(req, key, g_config->public_url, &form)) {
        log_error("youcanpay tokenize: cannot build the request (amount or order id invalid)");
        return err_set(e, E_INTERNAL, "Cannot prepare the payment");
    }
    char url[2048];
    snprintf(url, sizeof url, "%s/tokenize", g_config->youcanpay_api);
    struct httpclient_response r;
    if (httpclient_post_form(url, NULL, form.fields, form.count, &r) != 0)
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    bool ok = r.status == 200 && youcanpay_parse_tokenize(r.body, r.len, res->token_id);
    if (!ok)
        log_warn("youcanpay tokenize for order %s: unexpected answer (HTTP %ld, %zu bytes)",
                 req->order_id, r.status, r.len);
    httpclient_response_free(&r);
    if (!ok)
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    int n = snprintf(res->payment_url, sizeof res->payment_url, "%s/%s",
                     g_config->youcanpay_payment_form, res->token_id);
    if (n < 0 || (size_t)n >= sizeof res->payment_url) {
        log_error("youcanpay tokenize: payment URL too long");
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    return E_OK;
}

static enum errkind lookup(const char *ref, struct gateway_transaction *t, struct err *e)
{
    const char *key = g_config->youcanpay_private_key;
    if (!key) {
        log_error("youcanpay lookup: KHEDMA_YOUCANPAY_PRIVATE_KEY is not set");
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    /* No transaction has an empty or oversized id: nothing to ask. */
    if (!ref || !*ref || strlen(ref) > GATEWAY_REF_MAX)
        return err_set(e, E_NOT_FOUND, "Transaction not found");
    char url[4096];
    if (!youcanpay_lookup_url(g_config->youcanpay_api, ref, key, url, sizeof url)) {
        log_error("youcanpay lookup: URL too long");
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    struct httpclient_response r;
    int rc = httpclient_get(url, NULL, &r);
    sodium_memzero(url, sizeof url); /* it held the key */
    if (rc != 0)
        return err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    enum errkind kind = E_OK;
    if (r.status == 404) {
        kind = err_set(e, E_NOT_FOUND, "Transaction not found");
    } else if (r.status != 200 || !youcanpay_parse_transaction(r.body, r.len, t) ||
               strcmp(t->id, ref) != 0) {
        /* A different id than asked for would make us trust another payment's order_id. */
        log_warn("youcanpay lookup of %s: unexpected answer (HTTP %ld, %zu bytes)", ref, r.status,
                 r.len);
        memset(t, 0, sizeof *t);
        kind = err_set(e, E_BAD_GATEWAY, GATEWAY_MSG_UNAVAILABLE);
    }
    httpclient_response_free(&r);
    return kind;
}

/* YouCan Pay takes no refund call from us: refunds are confirmed by its transaction.refunded
 * webhook (gateway_events.c). */
static enum errkind refund(const char *ref, const char *order_id, const char *amount,
                           const char *currency, char refund_ref[GATEWAY_REF_MAX + 1],
                           struct err *e)
{
    refund_ref[0] = '\0';
    return err_set(e, E_UNPROCESSABLE,
                   "Refunds through YouCan Pay are confirmed by its transaction.refunded event");
}

static bool signature_valid(const char *body, size_t len, const char *signature)
{
    return g_config &&
           gateway_util_hmac_valid(g_config->youcanpay_private_key, body, len, signature);
}

const struct gateway_ops youcanpay_gateway = {
    .name = "youcanpay",
    .checkout = tokenize,
    .lookup = lookup,
    .refund = refund,
    .signature_valid = signature_valid,
    .parse_event = youcanpay_parse_event,
};
