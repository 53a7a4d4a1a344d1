/*
 * web_order.c - ordering from the storefront (include/khedma/web_order.h).
 *
 * The order page reads the package from the gig's public details (read_model_details, the same
 * read as the gig page), so the price shown is the database's; the Pay form sends only the
 * package's place (username, slug, tier) and the payment method, and checkout_order takes the
 * amount from the database again. The return pages never believe their URL: they ask the
 * payment service to confirm with the gateway (payments_submit, as POST /api/orders does) and
 * then show the order's status as the database has it.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/web_order.h"
#include "khedma/checkout.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/log.h"
#include "khedma/orders_read.h"
#include "khedma/payments.h"
#include "khedma/read_model.h"
#include "khedma/web.h"
#include "khedma/web_orders.h"

#define MSG_NO_PHONE "User must have a phone number"
#define TRANSACTION_ID_MAX 128

static bool package_type_ok(const char *t)
{
    return t &&
           (strcmp(t, "basic") == 0 || strcmp(t, "standard") == 0 || strcmp(t, "premium") == 0);
}

/* The gig's public details (owned by the caller) and its package of the route's tier, or NULL
 * with the 404 (or error) page answered. */
static json_object *load_offer(struct ctx *c, json_object **package)
{
    const char *username = router_param(&c->match, "username");
    const char *slug = router_param(&c->match, "slug");
    const char *type = router_param(&c->match, "package");
    if (!package_type_ok(type)) {
        web_not_found(c);
        return NULL;
    }
    json_object *raw = NULL;
    struct err e = {0};
    if (read_model_details(c->db, username, slug, &raw, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return NULL;
    }
    json_object *details = jsonx_raw_expand(raw);
    json_object *packages = NULL;
    if (!details || !json_object_object_get_ex(details, "packages", &packages) ||
        !json_object_object_get_ex(packages, type, package) || !*package) {
        json_object_put(details);
        web_not_found(c);
        return NULL;
    }
    return details;
}

static const char *str_at(json_object *o, const char *key, const char *inner)
{
    json_object *v = NULL;
    if (inner && !json_object_object_get_ex(o, inner, &o))
        return "";
    if (!json_object_object_get_ex(o, key, &v) || !v)
        return "";
    return json_object_get_string(v);
}

static void summary(struct html *h, json_object *details, json_object *package)
{
    html_raw(h, "<section class=\"card\" aria-labelledby=\"summary-h\">"
                "<h2 id=\"summary-h\">Your order</h2><p><a href=\"/");
    html_path_segment(h, str_at(details, "username", "owner"));
    html_raw(h, "/");
    html_path_segment(h, str_at(details, "slug", NULL));
    html_raw(h, "\">");
    html_text(h, str_at(details, "title", NULL));
    html_raw(h, "</a> <span class=\"muted\">by ");
    html_text(h, str_at(details, "name", "owner"));
    html_raw(h, "</span></p><dl class=\"facts\"><dt>Package</dt><dd>");
    html_text(h, str_at(package, "name", NULL));
    html_raw(h, " <span class=\"pill\">");
    html_text(h, str_at(package, "type", NULL));
    html_raw(h, "</span></dd><dt>Price</dt><dd class=\"price\">");
    json_object *price = NULL;
    json_object_object_get_ex(package, "price", &price);
    web_price(h, web_orders_number(price), "MAD");
    html_raw(h, "</dd><dt>Delivery</dt><dd>");
    html_text(h, str_at(package, "delivery", NULL));
    html_raw(h, " days</dd><dt>Revisions</dt><dd>");
    html_text(h, str_at(package, "revisions", NULL));
    html_raw(h, "</dd></dl>");
    const char *desc = str_at(package, "description", NULL);
    if (*desc) {
        html_raw(h, "<p>");
        html_text(h, desc);
        html_raw(h, "</p>");
    }
    html_raw(h, "</section>");
}

/* The payment error next to the choice: the phone number gets a way to add one. */
static void payment_error(struct html *h, const struct err *e)
{
    if (!e || e->kind == E_OK)
        return;
    html_raw(h, "<p class=\"field-error\" id=\"pay-error\">");
    if (strcmp(e->message, MSG_NO_PHONE) == 0) {
        html_raw(h, "Checkout needs your phone number (the payment gateway asks for it). "
                    "<a href=\"/dashboard/settings\">Add it in your settings</a>, then come "
                    "back to this page.");
    } else if (e->kind == E_BAD_GATEWAY) {
        html_raw(h, "The payment service could not be reached, so nothing was charged. Please "
                    "press Pay again in a moment.");
    } else if (e->kind == E_UNAVAILABLE) {
        html_raw(h, "The service is busy right now. Please press Pay again in a moment.");
    } else {
        html_text(h, e->message);
    }
    html_raw(h, "</p>");
}

/* A radio button of the payment choice. */
static void method_radio(struct html *h, const char *value, const char *id, const char *label,
                         bool checked)
{
    html_raw(h, "<div class=\"choice\"><input type=\"radio\" name=\"payment_method\" id=\"");
    html_raw(h, id);
    html_raw(h, "\" value=\"");
    html_raw(h, value);
    html_raw(h, checked ? "\" checked> <label for=\"" : "\"> <label for=\"");
    html_raw(h, id);
    html_raw(h, "\">");
    html_raw(h, label);
    html_raw(h, "</label></div>");
}

static void pay_form(struct html *h, json_object *details, const char *type, const char *method,
                     const struct err *e)
{
    bool bank = method && strcmp(method, "bank_transfer") == 0;
    html_raw(h, "<form class=\"stack card\" method=\"post\" action=\"/order/");
    html_path_segment(h, str_at(details, "username", "owner"));
    html_raw(h, "/");
    html_path_segment(h, str_at(details, "slug", NULL));
    html_raw(h, "/");
    html_path_segment(h, type);
    html_raw(h, "\"><fieldset");
    if (e && e->kind != E_OK)
        html_raw(h, " aria-describedby=\"pay-error\"");
    html_raw(h, "><legend>Payment method</legend>");
    method_radio(h, "card", "pm-card", "Card, on the payment gateway's secure page", !bank);
    method_radio(h, "bank_transfer", "pm-bank",
                 "Bank transfer (the order starts once the transfer is confirmed)", bank);
    payment_error(h, e);
    html_raw(h, "</fieldset><div><button type=\"submit\">Pay</button></div></form>");
}

static void order_page(struct ctx *c, const struct user *u, json_object *details,
                       json_object *package, const char *method, const struct err *e, int status)
{
    struct web_page p;
    if (!web_page_begin(&p, c, "Order", "Order a service on Khedma."))
        return;
    html_raw(&p.h, "<meta name=\"robots\" content=\"noindex\">\n");
    web_page_body(&p);
    struct html *h = &p.h;
    html_raw(h, "<h1>Order: ");
    html_text(h, str_at(details, "title", NULL));
    html_raw(h, "</h1>");
    if (e && e->kind != E_OK)
        html_raw(h, "<div class=\"form-errors\" role=\"alert\"><p>The order could not be "
                    "placed: see the message next to the payment method.</p></div>");
    summary(h, details, package);
    if (strcmp(str_at(details, "id", "owner"), u->id) == 0)
        html_raw(h, "<p class=\"flash\">This is your own service: you cannot order it.</p>");
    pay_form(h, details, router_param(&c->match, "package"), method, e);
    web_page_send(&p, status);
}

void web_order_get(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    json_object *package = NULL;
    json_object *details = load_offer(c, &package);
    if (!details)
        return;
    order_page(c, u, details, package, NULL, NULL, 200);
    json_object_put(details);
}

/* 303 to a gateway's payment page: an absolute http(s) URL the gateway gave us. */
static void redirect_to_gateway(struct ctx *c, const char *url)
{
    if (!url || strncmp(url, "http", 4) != 0 || !html_url_ok(url)) {
        web_error_page(c, 502,
                       "The payment service gave no payment page. Nothing was charged; "
                       "please try again.");
        return;
    }
    response_set_header(c->resp, "Location", url);
    response_set_header(c->resp, "Content-Type", "text/plain; charset=utf-8");
    c->resp->status = 303;
    response_body(c->resp, "See Other\n", 10);
}

static void after_checkout(struct ctx *c, json_object *data)
{
    const char *provider = jsonx_str(data, "provider");
    provider = provider ? provider : "";
    if (strcmp(provider, "youcanpay") == 0) {
        redirect_to_gateway(c, jsonx_str(data, "payment_url"));
    } else if (strcmp(provider, "paytabs") == 0) {
        redirect_to_gateway(c, jsonx_str(data, "redirect_url"));
    } else {
        struct html loc = {0};
        html_raw(&loc, "/dashboard/orders/");
        html_path_segment(&loc, jsonx_str(data, "order_id"));
        html_raw(&loc, "?done=transfer");
        web_redirect(c, loc.data);
        html_free(&loc);
    }
}

void web_order_post(struct ctx *c)
{
    struct kv_list form;
    if (!web_post_ok(c))
        return;
    const struct user *u = web_require_user(c);
    if (!u || !web_form(c, &form))
        return;
    json_object *package = NULL;
    json_object *details = load_offer(c, &package);
    if (details) {
        struct checkout_input in = {web_field(&form, "payment_method"), str_at(package, "id", NULL),
                                    str_at(details, "id", NULL), c->req->remote_addr};
        json_object *data = NULL;
        struct err e = {0};
        if (checkout_order(c->db, u, &in, &data, &e) == E_OK)
            after_checkout(c, data);
        else if (e.kind == E_NOT_FOUND)
            web_not_found(c);
        else
            order_page(c, u, details, package, in.payment_method, &e, errkind_http_status(e.kind));
        json_object_put(data);
        err_clear(&e);
        json_object_put(details);
    }
    kv_list_free(&form);
}

/* ---- the pages the gateways send the browser back to ---- */

enum return_kind { RETURN_SUCCESS, RETURN_FAILED, RETURN_PAYTABS };

/* Ask the gateway through the payment service whether the client's pending order is paid; the
 * service confirms it when it is. Whatever it answers, the page then reads the order again. */
static bool confirm_with_gateway(struct ctx *c, const struct user *u, const char *id)
{
    const char *txn = request_query(c->req, "transaction_id");
    if (txn && (!*txn || strlen(txn) > TRANSACTION_ID_MAX))
        txn = NULL;
    struct order_submit in = {.checkout_id = id, .transaction_id = txn};
    struct err e = {0};
    enum errkind k = payments_submit(c->db, u, &in, &e);
    if (k != E_OK && k != E_UNPROCESSABLE && k != E_CONFLICT)
        log_info("order %s: the return page could not confirm the payment (%s)", id, e.message);
    err_clear(&e);
    return k != E_BAD_GATEWAY && k != E_UNAVAILABLE && k != E_INTERNAL;
}

static void return_body(struct html *h, json_object *order, const char *id, enum return_kind kind,
                        bool asked, bool client)
{
    const char *status = jsonx_str(order, "status");
    status = status ? status : "";
    bool paid = strcmp(status, "processing") == 0 || strcmp(status, "completed") == 0;
    bool failed = strcmp(status, "cancelled") == 0 || (!paid && kind == RETURN_FAILED);
    html_raw(h, "<section class=\"notice card\" aria-live=\"polite\">");
    if (paid) {
        html_raw(h, "<h1>Payment received</h1><p>Thank you. Your order is ");
        web_orders_status(h, status);
        html_raw(h, ": the freelancer has been told and is starting on it.</p>");
    } else if (failed) {
        html_raw(h, "<h1>Payment failed</h1><p>The payment did not go through, so nothing was "
                    "charged and the order was not placed.</p>");
        if (client) {
            html_raw(h, "<p><a class=\"btn\" href=\"");
            web_orders_retry_href(h, order);
            html_raw(h, "\">Try again</a></p>");
        }
    } else {
        html_raw(h, "<h1>Your payment is being confirmed</h1><p>The order is ");
        web_orders_status(h, status);
        html_raw(h, asked ? ": the payment service has not confirmed the payment yet."
                          : ": the payment service could not be asked just now.");
        html_raw(h, " This usually takes a moment; reload this page to see the latest.</p>");
    }
    html_raw(h, "<p><a href=\"/dashboard/orders/");
    html_path_segment(h, id);
    html_raw(h, "\">See the order</a></p></section>");
}

static void return_page(struct ctx *c, enum return_kind kind)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    const char *id = router_param(&c->match, "id");
    if (!id || !cuid_valid(id)) {
        web_not_found(c);
        return;
    }
    json_object *order = NULL;
    struct err e = {0};
    bool asked = true, client = false;
    if (orders_read_get(c->db, u, id, &order, &e) == E_OK) {
        const char *client_id = jsonx_str(order, "userId");
        const char *status = jsonx_str(order, "status");
        client = client_id && strcmp(client_id, u->id) == 0;
        if (client && status && strcmp(status, "pending") == 0) {
            asked = confirm_with_gateway(c, u, id);
            json_object_put(order);
            order = NULL;
            orders_read_get(c->db, u, id, &order, &e);
        }
    }
    if (!order) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    struct web_page p;
    if (web_page_begin(&p, c, "Payment", "The payment of your order.")) {
        html_raw(&p.h, "<meta name=\"robots\" content=\"noindex\">\n");
        web_page_body(&p);
        return_body(&p.h, order, id, kind, asked, client);
        web_page_send(&p, 200);
    }
    json_object_put(order);
}

void web_order_payment_success(struct ctx *c)
{
    return_page(c, RETURN_SUCCESS);
}

void web_order_payment_failed(struct ctx *c)
{
    return_page(c, RETURN_FAILED);
}

void web_order_payment_return(struct ctx *c)
{
    return_page(c, RETURN_PAYTABS);
}

void web_order_payment_return_post(struct ctx *c)
{
    /* Cross-site and without the session cookie (SameSite=Lax): nothing is read from the body
     * and nothing changes; the GET that follows carries the cookie and asks the gateway. */
    const char *id = router_param(&c->match, "id");
    if (!id || !cuid_valid(id)) {
        web_not_found(c);
        return;
    }
    struct html loc = {0};
    html_raw(&loc, "/orders/");
    html_path_segment(&loc, id);
    html_raw(&loc, "/payment-return");
    web_redirect(c, loc.data);
    html_free(&loc);
}
