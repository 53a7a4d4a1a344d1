/*
 * web_dashboard.c - the dashboard summary, the earnings list and the settings form
 * (web_dashboard.h). The order counts come from orders_read_list (answered from the per-party
 * counters), the earnings from earnings.c and the settings are saved by accounts_update, the
 * service behind PATCH /api/users/me, with its validation.
 */
#include "khedma/web_dashboard.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/accounts.h"
#include "khedma/earnings.h"
#include "khedma/jsonx.h"
#include "khedma/order_query.h"
#include "khedma/orders_read.h"
#include "khedma/web.h"

#define EARNINGS_PAGE_SIZE 20

static const char *const STATUSES[] = {"pending", "processing", "completed", "cancelled"};
static const char *const STATUS_LABELS[] = {"Waiting for payment", "In progress", "Completed",
                                            "Cancelled"};
#define NSTATUS (sizeof STATUSES / sizeof STATUSES[0])

static bool dashboard_begin(struct web_page *p, struct ctx *c, const char *title)
{
    if (!web_page_begin(p, c, title, NULL))
        return false;
    p->nav = "dashboard";
    html_raw(&p->h, "<meta name=\"robots\" content=\"noindex\">\n");
    web_page_body(p);
    return true;
}

/* totalItems of the viewer's orders on one side, with one status or all (status NULL). */
static enum errkind count_orders(struct ctx *c, const struct user *u, enum oq_as as,
                                 const char *status, long long *total, struct err *e)
{
    struct order_query q;
    order_query_init(&q);
    q.as = as;
    q.limit = 1;
    json_object *out = NULL;
    if ((!status || order_query_add_filter(&q, "status", status, "status", e) == E_OK) &&
        orders_read_list(c->db, u, &q, &out, e) == E_OK) {
        json_object *pg = jsonx_obj(out, "pagination");
        long long n = 0;
        *total = pg && jsonx_int(pg, "totalItems", &n) ? n : 0;
    }
    json_object_put(out);
    order_query_free(&q);
    return e->kind;
}

/* One side's counts as a definition list, linked to the orders page with that filter. */
static bool side_counts(struct ctx *c, struct html *h, const struct user *u, enum oq_as as,
                        struct err *e)
{
    const char *side = as == OQ_AS_CLIENT ? "client" : "freelancer";
    long long all = 0;
    if (count_orders(c, u, as, NULL, &all, e) != E_OK)
        return false;
    html_raw(h, "<section class=\"card\"><h2>");
    html_raw(h, as == OQ_AS_CLIENT ? "Orders you placed" : "Orders for your gigs");
    html_printf(h,
                "</h2><p><a href=\"/dashboard/orders?as=%s\">%lld order%s in all</a></p><dl "
                "class=\"counts\">",
                side, all, all == 1 ? "" : "s");
    for (size_t i = 0; i < NSTATUS; i++) {
        long long n = 0;
        if (count_orders(c, u, as, STATUSES[i], &n, e) != E_OK)
            return false;
        html_raw(h, "<div><dt>");
        html_raw(h, STATUS_LABELS[i]);
        html_printf(h,
                    "</dt><dd><a href=\"/dashboard/orders?as=%s&amp;status=%s\">%lld"
                    "<span class=\"vh\"> %s orders</span></a></dd></div>",
                    side, STATUSES[i], n, STATUSES[i]);
    }
    html_raw(h, "</dl></section>");
    return true;
}

void web_dashboard_home(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    struct web_page p;
    if (!dashboard_begin(&p, c, "Dashboard"))
        return;
    struct html *h = &p.h;
    html_raw(h, "<h1>Dashboard</h1><p>Welcome, ");
    html_text(h, u->name);
    html_raw(h, ".</p>");
    if (!u->phone)
        html_raw(h, "<p class=\"notice\">Add your phone number in <a href=\"/dashboard/settings"
                    "\">Settings</a>: it is needed to pay for an order.</p>");
    html_raw(h, "<div class=\"cards\">");
    struct err e = {0};
    if (!side_counts(c, h, u, OQ_AS_CLIENT, &e) || !side_counts(c, h, u, OQ_AS_FREELANCER, &e)) {
        web_page_discard(&p);
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    html_printf(h,
                "<section class=\"card\"><h2>Notifications</h2><p><a "
                "href=\"/dashboard/notifications\">%lld unread notification%s</a></p>"
                "</section></div>",
                p.unread, p.unread == 1 ? "" : "s");
    html_raw(h, "<nav aria-label=\"Dashboard\"><ul class=\"links\">"
                "<li><a href=\"/dashboard/orders\">Orders</a></li>"
                "<li><a href=\"/dashboard/gigs\">My gigs</a></li>"
                "<li><a href=\"/dashboard/earnings\">Earnings</a></li>"
                "<li><a href=\"/dashboard/vip\">VIP</a></li>"
                "<li><a href=\"/dashboard/settings\">Settings</a></li>"
                "<li><a href=\"/dashboard/notifications\">Notifications</a></li>"
                "</ul></nav>");
    web_page_send(&p, 200);
}

/* ?page=: 1 when absent; 0 when it is not a page number. */
static long page_param(struct ctx *c)
{
    const char *s = kv_list_get(&c->req->query, "page");
    if (!s || !*s)
        return 1;
    char *end = NULL;
    long v = strtol(s, &end, 10);
    return *end == '\0' && v >= 1 && v <= OQ_PAGE_MAX ? v : 0;
}

static void earnings_table(struct html *h, json_object *items)
{
    size_t n = json_object_array_length(items);
    html_raw(h, "<table class=\"list\"><caption class=\"vh\">Earnings, newest first</caption>"
                "<thead><tr><th scope=\"col\">Date</th><th scope=\"col\">Gig</th>"
                "<th scope=\"col\">Order</th><th scope=\"col\" class=\"num\">Amount</th></tr>"
                "</thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        json_object *it = json_object_array_get_idx(items, i);
        const char *at = jsonx_str(it, "createdAt");
        const char *order = jsonx_str(it, "orderId");
        html_raw(h, "<tr><td><time datetime=\"");
        html_attr(h, at);
        html_raw(h, "\">");
        if (at)
            html_raw_n(h, at, strlen(at) >= 10 ? 10 : strlen(at)); /* ISO text: digits, '-' */
        html_raw(h, "</time></td><td>");
        html_text(h, jsonx_str(it, "gigTitle") ? jsonx_str(it, "gigTitle") : "(untitled gig)");
        html_raw(h, "</td><td><a href=\"/dashboard/orders/");
        html_path_segment(h, order);
        html_raw(h, "\">");
        html_text(h, order);
        html_raw(h, "</a></td><td class=\"num\">");
        web_price(h, jsonx_str(it, "amount"), jsonx_str(it, "currency"));
        html_raw(h, "</td></tr>");
    }
    html_raw(h, "</tbody></table>");
}

void web_dashboard_earnings(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    long page = page_param(c);
    if (page == 0) {
        web_error_page(c, 400, "That page number is not valid.");
        return;
    }
    json_object *out = NULL;
    struct err e = {0};
    if (earnings_list(c->db, u->id, page, EARNINGS_PAGE_SIZE, &out, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    struct web_page p;
    if (!dashboard_begin(&p, c, "Earnings")) {
        json_object_put(out);
        return;
    }
    struct html *h = &p.h;
    json_object *items = jsonx_array(out, "items");
    json_object *pg = jsonx_obj(out, "pagination");
    long long total_items = 0, pages = 0;
    jsonx_int(pg, "totalItems", &total_items);
    jsonx_int(pg, "totalPages", &pages);
    html_raw(h, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/dashboard\">Dashboard"
                "</a></nav><h1>Earnings</h1><p class=\"total\">Total earned: <strong>");
    web_price(h, jsonx_str(out, "total"), "MAD");
    html_printf(h, "</strong> from %lld completed order%s.</p>", total_items,
                total_items == 1 ? "" : "s");
    if (json_object_array_length(items) > 0)
        earnings_table(h, items);
    else
        html_raw(h, "<p>No earnings here yet: you earn when a buyer accepts your delivery.</p>");
    if (pages > 1) {
        html_raw(h, "<nav class=\"pages\" aria-label=\"Pages\">");
        if (page > 1)
            html_printf(h, "<a href=\"/dashboard/earnings?page=%ld\" rel=\"prev\">Newer</a> ",
                        page - 1);
        html_printf(h, "<span>Page %ld of %lld</span>", page, pages);
        if (page < pages)
            html_printf(h, " <a href=\"/dashboard/earnings?page=%ld\" rel=\"next\">Older</a>",
                        page + 1);
        html_raw(h, "</nav>");
    }
    json_object_put(out);
    web_page_send(&p, 200);
}

struct settings_form {
    const char *name, *phone;
    bool order_updates, inbox;
};

static void field(struct html *h, const char *id, const char *label, const char *type,
                  const char *value, const char *hint, const struct err *e, const char *extra)
{
    bool bad = e && e->fields && json_object_object_get_ex(e->fields, id, NULL);
    html_raw(h, "<div class=\"field\"><label for=\"");
    html_raw(h, id);
    html_raw(h, "\">");
    html_raw(h, label);
    html_raw(h, "</label><p class=\"hint\" id=\"");
    html_raw(h, id);
    html_raw(h, "-hint\">");
    html_raw(h, hint);
    html_raw(h, "</p><input id=\"");
    html_raw(h, id);
    html_raw(h, "\" name=\"");
    html_raw(h, id);
    html_raw(h, "\" type=\"");
    html_raw(h, type);
    html_raw(h, "\" value=\"");
    html_attr(h, value ? value : "");
    html_raw(h, "\" aria-describedby=\"");
    html_raw(h, id);
    html_raw(h, "-hint");
    if (bad) {
        html_raw(h, " ");
        html_raw(h, id);
        html_raw(h, "-error\" aria-invalid=\"true");
    }
    html_raw(h, "\"");
    html_raw(h, extra);
    html_raw(h, ">");
    web_field_error(h, e, id, id);
    html_raw(h, "</div>");
}

static void checkbox(struct html *h, const char *id, bool on, const char *label)
{
    html_raw(h, "<div class=\"field check\"><input type=\"checkbox\" value=\"1\" id=\"");
    html_raw(h, id);
    html_raw(h, "\" name=\"");
    html_raw(h, id);
    html_raw(h, on ? "\" checked>" : "\">");
    html_raw(h, "<label for=\"");
    html_raw(h, id);
    html_raw(h, "\">");
    html_raw(h, label);
    html_raw(h, "</label></div>");
}

static void settings_page(struct ctx *c, const struct user *u, const struct settings_form *f,
                          const struct err *e)
{
    struct web_page p;
    if (!dashboard_begin(&p, c, "Settings"))
        return;
    struct html *h = &p.h;
    html_raw(h, "<nav class=\"crumbs\" aria-label=\"Breadcrumb\"><a href=\"/dashboard\">Dashboard"
                "</a></nav><h1>Settings</h1>");
    const char *saved = kv_list_get(&c->req->query, "saved");
    if (!e && saved && strcmp(saved, "1") == 0)
        html_raw(h, "<p class=\"flash\" role=\"status\">Your settings were saved.</p>");
    if (e && e->kind != E_OK) {
        html_raw(h, "<div class=\"form-errors\" role=\"alert\"><p>");
        html_text(h, e->kind == E_BAD_REQUEST || e->kind == E_UNPROCESSABLE
                         ? "Please correct the fields marked below."
                         : e->message);
        html_raw(h, "</p></div>");
    }
    html_raw(h, "<form method=\"post\" action=\"/dashboard/settings\" class=\"editor\" "
                "novalidate><p>Signed in as <strong>");
    html_text(h, u->email);
    html_raw(h, "</strong> (@");
    html_text(h, u->username);
    html_raw(h, ").</p>");
    field(h, "name", "Name", "text", f->name,
          "Shown on your gigs and orders. Up to 100 "
          "characters.",
          e, " maxlength=\"100\" autocomplete=\"name\" required");
    field(h, "phone", "Phone number", "tel", f->phone,
          "Needed to pay for an order: the payment service asks for it. For example +212 600 "
          "000 000. Leave it empty to remove it.",
          e, " autocomplete=\"tel\"");
    html_raw(h, "<fieldset><legend>Notifications</legend>");
    checkbox(h, "orderUpdatesNotifications", f->order_updates,
             "Tell me when one of my orders changes (paid, delivered, accepted...)");
    checkbox(h, "inboxNotifications", f->inbox, "Tell me about new messages");
    web_field_error(h, e, "orderUpdatesNotifications", "orderUpdatesNotifications");
    web_field_error(h, e, "inboxNotifications", "inboxNotifications");
    html_raw(h, "</fieldset><button type=\"submit\" class=\"btn\">Save settings</button></form>");
    web_page_send(&p, e ? 422 : 200);
}

void web_dashboard_settings(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    struct settings_form f = {u->name, u->phone, u->order_updates_notifications,
                              u->inbox_notifications};
    settings_page(c, u, &f, NULL);
}

/* The service's "Invalid phone number", said so that a person knows what to type. */
static void phone_message(struct err *e)
{
    json_object *msgs = NULL;
    if (!e->fields || !json_object_object_get_ex(e->fields, "phone", &msgs))
        return;
    json_object_object_del(e->fields, "phone");
    err_field(e, "phone",
              "This does not look like a phone number: use 6 to 20 digits, with an "
              "optional + in front and single spaces or dashes between them.");
}

void web_dashboard_settings_save(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u || !web_post_ok(c))
        return;
    struct kv_list form;
    if (!web_form(c, &form))
        return;
    struct settings_form f;
    f.name = web_field(&form, "name");
    f.phone = web_field(&form, "phone");
    f.order_updates = strcmp(web_field(&form, "orderUpdatesNotifications"), "1") == 0;
    f.inbox = strcmp(web_field(&form, "inboxNotifications"), "1") == 0;
    /* The body PATCH /api/users/me takes; "" for the phone removes it, as there. */
    json_object *in = json_object_new_object();
    jsonx_add_str(in, "name", f.name);
    jsonx_add_str(in, "phone", f.phone);
    jsonx_add_bool(in, "orderUpdatesNotifications", f.order_updates);
    jsonx_add_bool(in, "inboxNotifications", f.inbox);
    struct user updated;
    memset(&updated, 0, sizeof updated);
    struct err e = {0};
    if (accounts_update(c->db, u->id, in, &updated, &e) == E_OK) {
        web_redirect(c, "/dashboard/settings?saved=1");
    } else if (e.kind == E_BAD_REQUEST || e.kind == E_UNPROCESSABLE) {
        phone_message(&e);
        settings_page(c, u, &f, &e);
    } else {
        web_service_error(c, &e);
    }
    accounts_user_free(&updated); /* whatever the service filled in before failing */
    json_object_put(in);
    err_clear(&e);
    kv_list_free(&form);
}
