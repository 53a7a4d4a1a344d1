/*
 * handlers_orders.c - REST handlers for checkout and payment confirmation (docs/api.md, "Checkout
 * and payment"): POST /api/orders/checkout, POST /api/orders (with idempotency keys), POST
 * /api/orders/{id}/confirm-transfer and the two gateway webhooks. Thin: parse and validate the
 * body, call the service, encode the envelope.
 */
#include <stdlib.h>
#include <string.h>

#include "khedma/checkout.h"
#include "khedma/handlers_orders.h"
#include "khedma/config.h"
#include "khedma/gateway_events.h"
#include "khedma/idempotency.h"
#include "khedma/jsonx.h"
#include "khedma/payments.h"
#include "khedma/rest.h"
#include "khedma/utf8.h"
#include "khedma/validate.h"
#include "khedma/vip_checkout.h"
#include "khedma/webhook_guard.h"

#define META_MAX 4096
#define PAYMENT_REFERENCE_MAX 128
#define TRANSACTION_ID_MAX 128
#define WEBHOOK_URLS_MAX 5
#define IDEMPOTENCY_KEY_MAX 255

/* A field given in snake_case or camelCase (older clients send snake_case). */
static const char *either(json_object *body, const char *snake, const char *camel)
{
    const char *v = jsonx_str(body, snake);
    return v ? v : jsonx_str(body, camel);
}

void handlers_orders_checkout(struct ctx *c)
{
    json_object *body = rest_body_object(c, false);
    if (!body)
        return;
    const struct user *u = rest_require_user(c);
    json_object *vip_package = json_object_object_get(body, "vip_package_id");
    const char *iap_product = jsonx_str(body, "iap_product_id");
    if (u && (vip_package || json_object_object_get(body, "iap_product_id"))) {
        /* A VIP checkout (src/vip/vip_checkout.c); package_id keeps the gig checkout below. */
        struct vip_checkout_input in = {jsonx_str(body, "payment_method"), vip_package, iap_product,
                                        c->req->remote_addr};
        json_object *data = NULL;
        struct err e = {0};
        if (vip_checkout(c->db, u, &in, &data, &e) == E_OK)
            rest_ok(c, 200, data);
        else
            rest_error(c, &e);
        err_clear(&e);
    } else if (u) {
        struct checkout_input in = {either(body, "payment_method", "paymentMethod"),
                                    either(body, "package_id", "packageId"),
                                    either(body, "gig_id", "gigId"), c->req->remote_addr};
        json_object *data = NULL;
        struct err e = {0};
        if (checkout_order(c->db, u, &in, &data, &e) == E_OK)
            rest_ok(c, 200, data);
        else
            rest_error(c, &e);
        err_clear(&e);
    }
    json_object_put(body);
}

/* An optional string of at most max bytes; a wrong type or length is a field error. */
static const char *opt_string(json_object *body, const char *key, size_t max, struct err *e)
{
    json_object *v = json_object_object_get(body, key);
    if (!v)
        return NULL;
    const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
    if (!s || !*s || strlen(s) > max)
        err_field(e, key, "Must be a non-empty string of limited length");
    return s;
}

static void check_webhook_urls(json_object *urls, struct err *e)
{
    if (!json_object_is_type(urls, json_type_array) ||
        json_object_array_length(urls) > WEBHOOK_URLS_MAX) {
        err_field(e, "webhookUrls", "Must be an array of at most 5 http(s) URLs");
        return;
    }
    /* Obvious SSRF targets are refused at once; delivery vets every address again (DNS can
     * change). KHEDMA_WEBHOOK_ALLOW_PRIVATE=1 lifts both, as test stacks need loopback URLs. */
    bool allow_private = g_config && g_config->webhook_allow_private;
    for (size_t i = 0; i < json_object_array_length(urls); i++) {
        json_object *u = json_object_array_get_idx(urls, i);
        const char *url =
            json_object_is_type(u, json_type_string) ? json_object_get_string(u) : NULL;
        char why[128];
        if (!url || !validate_http_url(url))
            err_field(e, "webhookUrls", "Each URL must be an http(s) URL");
        else if (!webhook_guard_url_acceptable(url, allow_private, why, sizeof why))
            err_field(e, "webhookUrls",
                      "Each URL must point at a public host (not localhost, a private, reserved "
                      "or special-purpose address, or this server)");
    }
}

/* Validate the seed-003 body into *in (strings borrowed from body, serialised JSON kept in
 * json_object strings owned by body's lifetime via `keep`). */
static bool parse_submit(json_object *body, struct order_submit *in, json_object *keep,
                         struct err *e)
{
    memset(in, 0, sizeof(*in));
    in->checkout_id = opt_string(body, "checkoutId", 64, e);
    if (!jsonx_has(body, "checkoutId"))
        err_field(e, "checkoutId", "Required");
    in->transaction_id = opt_string(body, "transactionId", TRANSACTION_ID_MAX, e);
    json_object *ref = json_object_object_get(body, "paymentReference");
    if (ref)
        in->payment_reference = opt_string(body, "paymentReference", PAYMENT_REFERENCE_MAX, e);
    in->idempotency_key = opt_string(body, "idempotencyKey", IDEMPOTENCY_KEY_MAX, e);
    json_object *meta = json_object_object_get(body, "meta");
    if (meta) {
        const char *text = jsonx_to_string(meta);
        if (!json_object_is_type(meta, json_type_object) || strlen(text) > META_MAX)
            err_field(e, "meta", "Must be an object of at most 4 KiB");
        json_object_array_add(keep, json_object_new_string(text));
        in->meta_json = json_object_get_string(json_object_array_get_idx(keep, 0));
    }
    json_object *urls = json_object_object_get(body, "webhookUrls");
    if (urls) {
        check_webhook_urls(urls, e);
        json_object_array_add(keep, json_object_new_string(jsonx_to_string(urls)));
        in->webhook_urls_json = json_object_get_string(
            json_object_array_get_idx(keep, json_object_array_length(keep) - 1));
    }
    if (e->fields && e->kind == E_BAD_REQUEST)
        err_set(e, E_UNPROCESSABLE, "Validation failed");
    return e->kind == E_OK;
}

/* Run the submit and answer; the response bytes are what an idempotent replay returns. */
static void submit_and_answer(struct ctx *c, const struct user *u, const struct order_submit *in)
{
    struct err e = {0};
    if (payments_submit(c->db, u, in, &e) == E_OK) {
        json_object *data = json_object_new_object();
        jsonx_add_str(data, "id", in->checkout_id);
        rest_ok(c, 200, data);
    } else {
        rest_error(c, &e);
    }
    err_clear(&e);
}

static void submit_idempotent(struct ctx *c, const struct user *u, json_object *body,
                              const struct order_submit *in)
{
    json_object *params = json_object_get(body);
    char hash[SHA256_HEX_LEN + 1];
    idempotency_request_hash(params, hash);
    json_object_put(params);
    enum idem_state state;
    int status = 0;
    char *stored = NULL;
    struct err e = {0};
    if (idempotency_begin(c->db, u->id, in->idempotency_key, hash, &state, &status, &stored, &e) !=
        E_OK) {
        rest_error(c, &e);
    } else if (state == IDEM_MISMATCH) {
        rest_fail(c, 422, "Idempotency key reused with different parameters", NULL);
    } else if (state == IDEM_RUNNING) {
        rest_fail(c, 409, "A request with this idempotency key is still running", NULL);
    } else if (state == IDEM_REPLAY) {
        response_body(c->resp, stored, strlen(stored));
        response_set_header(c->resp, "Content-Type", "application/json");
        response_set_header(c->resp, "Idempotent-Replayed", "true");
        c->resp->status = status;
    } else {
        submit_and_answer(c, u, in);
        idempotency_finish(c->db, u->id, in->idempotency_key, c->resp->status, c->resp->body,
                           c->resp->body_len);
    }
    free(stored);
    err_clear(&e);
}

void handlers_orders_create(struct ctx *c)
{
    json_object *body = rest_body_object(c, false);
    if (!body)
        return;
    const struct user *u = rest_require_user(c);
    json_object *keep = json_object_new_array();
    struct order_submit in;
    struct err e = {0};
    if (!u) {
        /* rest_require_user answered */
    } else if (!parse_submit(body, &in, keep, &e)) {
        rest_error(c, &e);
    } else if (in.idempotency_key) {
        submit_idempotent(c, u, body, &in);
    } else {
        submit_and_answer(c, u, &in);
    }
    err_clear(&e);
    json_object_put(keep);
    json_object_put(body);
}

void handlers_orders_confirm_transfer(struct ctx *c)
{
    json_object *body = rest_body_object(c, false);
    if (!body)
        return;
    const struct user *u = rest_require_user(c);
    struct err e = {0};
    const char *reference = u ? opt_string(body, "reference", PAYMENT_REFERENCE_MAX, &e) : NULL;
    if (u && !reference && e.kind == E_OK)
        err_field(&e, "reference", "Required");
    json_object *order = NULL;
    if (!u) {
        /* answered */
    } else if (e.kind != E_OK) {
        err_set(&e, E_UNPROCESSABLE, "Validation failed");
        rest_error(c, &e);
    } else if (payments_confirm_transfer(c->db, u, router_param(&c->match, "id"), reference, &order,
                                         &e) == E_OK) {
        rest_ok(c, 200, order);
    } else {
        rest_error(c, &e);
    }
    err_clear(&e);
    json_object_put(body);
}

typedef enum errkind (*event_fn)(struct db *, const char *, size_t, const char *, json_object **,
                                 struct err *);

/* Gateways sign the raw body, so it is verified as received, before any parsing. */
static void answer_gateway_event(struct ctx *c, const char *signature_header, event_fn fn)
{
    const char *body = c->req->body ? c->req->body : "";
    json_object *data = NULL;
    struct err e = {0};
    if (fn(c->db, body, c->req->body_len, request_header(c->req, signature_header), &data, &e) ==
        E_OK)
        rest_ok(c, 200, data);
    else
        rest_error(c, &e);
    err_clear(&e);
}

void handlers_orders_youcanpay_webhook(struct ctx *c)
{
    answer_gateway_event(c, "x-youcanpay-signature", gateway_events_youcanpay);
}

void handlers_orders_paytabs_callback(struct ctx *c)
{
    answer_gateway_event(c, "signature", gateway_events_paytabs);
}
