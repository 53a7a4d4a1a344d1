/*
 * web_vip.c - the VIP page of the storefront (include/khedma/web_vip.h, docs/web.md): the
 * viewer's subscription and the plans from vip_read, a card checkout through vip_checkout (the
 * API's own validation and messages), the cancel through vip_read_cancel, and the page PayTabs
 * returns the browser to, which asks PayTabs about the order before showing anything.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/web_vip.h"
#include "khedma/jsonx.h"
#include "khedma/vip_checkout.h"
#include "khedma/vip_read.h"
#include "khedma/web.h"

static const char *str(json_object *o, const char *key)
{
    const char *s = jsonx_str(o, key);
    return s ? s : "";
}

/* An order number as PayTabs carries it back: 1-19 digits, else NULL. */
static const char *order_param(struct ctx *c)
{
    const char *s = request_query(c->req, "order");
    if (!s || !*s || strlen(s) > 19 || strspn(s, "0123456789") != strlen(s))
        return NULL;
    return s;
}

static const char *status_words(const char *status)
{
    static const struct {
        const char *status, *words;
    } words[] = {{"pending", "Waiting for payment"},
                 {"trialing", "Free trial"},
                 {"active", "Active"},
                 {"past_due", "Payment failed, retrying"},
                 {"cancelled", "Cancelled"},
                 {"expired", "Expired"}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (strcmp(status, words[i].status) == 0)
            return words[i].words;
    return status;
}

/* "2026-12-06T08:43:29.454Z" as "2026-12-06", in a <time> element. */
static void day(struct html *h, const char *iso)
{
    if (strlen(iso) < 10) {
        html_raw(h, "—");
        return;
    }
    char shown[11];
    snprintf(shown, sizeof shown, "%.10s", iso);
    html_raw(h, "<time datetime=\"");
    html_attr(h, iso);
    html_raw(h, "\">");
    html_text(h, shown);
    html_raw(h, "</time>");
}

static bool live(const char *status)
{
    return strcmp(status, "trialing") == 0 || strcmp(status, "active") == 0 ||
           strcmp(status, "past_due") == 0;
}

static void subscription_card(struct html *h, json_object *sub)
{
    html_raw(h, "<section class=\"card\" aria-labelledby=\"vip-mine\"><h2 id=\"vip-mine\">Your "
                "subscription</h2>");
    if (!sub) {
        html_raw(h, "<p>You are not a VIP seller yet. VIP sellers get a badge on their gigs and "
                    "their gigs are listed first in search and categories.</p></section>");
        return;
    }
    const char *status = str(sub, "status");
    html_raw(h, "<dl class=\"facts\"><dt>Plan</dt><dd>");
    html_text(h, str(jsonx_obj(sub, "plan"), "name"));
    html_raw(h, "</dd><dt>Status</dt><dd><span class=\"status status-");
    html_attr(h, status);
    html_raw(h, "\">");
    html_text(h, status_words(status));
    html_raw(h, "</span></dd>");
    if (*str(sub, "trialEnd") && strcmp(status, "trialing") == 0) {
        html_raw(h, "<dt>Trial ends</dt><dd>");
        day(h, str(sub, "trialEnd"));
        html_raw(h, "</dd>");
    }
    if (*str(sub, "currentPeriodEnd")) {
        bool ends = !live(status) ||
                    json_object_get_boolean(json_object_object_get(sub, "cancelAtPeriodEnd"));
        html_raw(h, ends ? "<dt>Ends</dt><dd>" : "<dt>Renews</dt><dd>");
        day(h, str(sub, "currentPeriodEnd"));
        html_raw(h, "</dd>");
    }
    html_raw(h, "<dt>Paid with</dt><dd>");
    html_text(h, strcmp(str(sub, "provider"), "app_store") == 0 ? "the App Store" : "card");
    html_raw(h, "</dd></dl>");
    bool cancel_set = json_object_get_boolean(json_object_object_get(sub, "cancelAtPeriodEnd"));
    if (live(status) && !cancel_set && strcmp(str(sub, "provider"), "paytabs") == 0)
        html_raw(h,
                 "<form method=\"post\" action=\"/dashboard/vip/cancel\"><button type=\"submit\" "
                 "class=\"secondary\">Stop renewing</button></form>");
    else if (live(status) && !cancel_set)
        html_raw(h, "<p class=\"hint\">Cancel it in the App Store's subscription settings on your "
                    "iPhone.</p>");
    html_raw(h, "</section>");
}

static void plans_section(struct html *h, json_object *plans, bool can_buy)
{
    html_raw(h, "<section aria-labelledby=\"vip-plans\"><h2 id=\"vip-plans\">Plans</h2>"
                "<ul class=\"grid\">");
    size_t n = json_object_array_length(plans);
    for (size_t i = 0; i < n; i++) {
        json_object *p = json_object_array_get_idx(plans, i);
        html_raw(h, "<li class=\"card\"><h3>");
        html_text(h, str(p, "name"));
        html_raw(h, "</h3><p class=\"price\">");
        web_price(h, json_object_get_string(json_object_object_get(p, "price")),
                  str(p, "currency"));
        html_printf(h, " for %d days</p>",
                    json_object_get_int(json_object_object_get(p, "periodDays")));
        int trial = json_object_get_int(json_object_object_get(p, "trialDays"));
        if (trial > 0)
            html_printf(h,
                        "<p>%d-day free trial for your first subscription: your card is "
                        "authorised, and charged when the trial ends.</p>",
                        trial);
        if (can_buy) {
            html_printf(h,
                        "<form method=\"post\" action=\"/dashboard/vip\"><input type=\"hidden\" "
                        "name=\"vip_package_id\" value=\"%d\"><button type=\"submit\">"
                        "Subscribe with card</button></form>",
                        json_object_get_int(json_object_object_get(p, "id")));
        }
        html_raw(h, "</li>");
    }
    html_raw(h, "</ul><p class=\"hint\">Prices in MAD, VAT included. Card payments go through "
                "PayTabs' secure page.</p></section>");
}

/* The page, with e (a refused checkout or cancel) shown at the top. */
static void render(struct ctx *c, const struct user *u, const struct err *shown, int status)
{
    struct err e = {0};
    json_object *sub = NULL, *plans = NULL;
    if (vip_read_my_subscription(c->db, u->id, &sub, &e) != E_OK ||
        vip_read_packages(c->db, &plans, &e) != E_OK) {
        json_object_put(sub);
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    struct web_page p;
    if (web_page_begin(&p, c, "VIP", "Your VIP subscription on Khedma.")) {
        p.nav = "dashboard";
        web_page_body(&p);
        html_raw(&p.h, "<p><a href=\"/dashboard\">Dashboard</a></p><h1>VIP</h1>");
        web_form_errors(&p.h, shown);
        if (shown && shown->kind == E_UNPROCESSABLE && strstr(shown->message, "phone") != NULL)
            html_raw(&p.h, "<p>Add it in <a href=\"/dashboard/settings\">Settings</a>.</p>");
        if (request_query(c->req, "cancelled"))
            html_raw(&p.h, "<p class=\"flash\" role=\"status\">Done: your subscription will not "
                           "renew.</p>");
        if (order_param(c) && sub) {
            const char *st = str(sub, "status");
            html_raw(&p.h, "<p class=\"flash\" role=\"status\">");
            html_text(&p.h, live(st) ? "Thank you: your payment went through and you are now a "
                                       "VIP seller."
                                     : "We have not received this payment (yet). If it failed, "
                                       "you can try again below.");
            html_raw(&p.h, "</p>");
        }
        subscription_card(&p.h, sub);
        plans_section(&p.h, plans, !(sub && live(str(sub, "status"))));
        web_page_send(&p, status);
    }
    json_object_put(sub);
    json_object_put(plans);
}

void web_vip_page(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    const char *number = order_param(c);
    if (number) {
        /* Back from PayTabs: ask it (never the address) before showing the status. A gateway
         * that cannot be asked now leaves the order to the callback and the jobs. */
        struct err e = {0};
        if (vip_checkout_confirm_number(c->db, u->id, number, &e) == E_UNAVAILABLE) {
            web_service_error(c, &e);
            err_clear(&e);
            return;
        }
        err_clear(&e);
    }
    render(c, u, NULL, 200);
}

void web_vip_subscribe(struct ctx *c)
{
    if (!web_post_ok(c))
        return;
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    struct kv_list form;
    if (!web_form(c, &form))
        return;
    json_object *plan = json_object_new_string(web_field(&form, "vip_package_id"));
    kv_list_free(&form);
    struct vip_checkout_input in = {"credit_card", plan, NULL, c->req->remote_addr};
    json_object *data = NULL;
    struct err e = {0};
    if (vip_checkout(c->db, u, &in, &data, &e) == E_OK) {
        const char *to = str(data, "redirect_url");
        /* The gateway's own page: the one redirect that leaves this site. */
        response_set_header(c->resp, "Location", to);
        response_set_header(c->resp, "Content-Type", "text/plain; charset=utf-8");
        c->resp->status = 303;
        response_body(c->resp, "See Other\n", 10);
    } else if (e.kind == E_UNAVAILABLE || e.kind == E_INTERNAL) {
        web_service_error(c, &e);
    } else {
        render(c, u, &e, errkind_http_status(e.kind));
    }
    json_object_put(data);
    json_object_put(plan);
    err_clear(&e);
}

void web_vip_cancel(struct ctx *c)
{
    if (!web_post_ok(c))
        return;
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    json_object *out = NULL;
    struct err e = {0};
    if (vip_read_cancel(c->db, u->id, &out, &e) == E_OK)
        web_redirect(c, "/dashboard/vip?cancelled=1");
    else if (e.kind == E_UNAVAILABLE || e.kind == E_INTERNAL)
        web_service_error(c, &e);
    else
        render(c, u, &e, errkind_http_status(e.kind));
    json_object_put(out);
    err_clear(&e);
}

void web_vip_return(struct ctx *c)
{
    const char *number = order_param(c);
    if (!number) {
        web_redirect(c, "/dashboard/vip");
        return;
    }
    char to[64];
    snprintf(to, sizeof to, "/dashboard/vip?order=%s", number);
    web_redirect(c, to);
}
