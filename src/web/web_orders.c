/*
 * web_orders.c - the orders dashboard (include/khedma/web_orders.h).
 *
 * The list takes the query language of GET /api/orders through the same parser
 * (order_query_parse): the filter form's friendly fields (status, from, to) are only respelled
 * into filter.status and filter.createdAt first. The order page offers exactly the moves that
 * lifecycle_decide allows its viewer now, from the facts of the Order the API shows; the move
 * itself is order_moves_make (or reviews_create), which decides again under the order's lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/web_orders.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/lifecycle.h"
#include "khedma/order_input.h"
#include "khedma/order_moves.h"
#include "khedma/order_query.h"
#include "khedma/orders_read.h"
#include "khedma/payments.h"
#include "khedma/reviews.h"
#include "khedma/timeutil.h"
#include "khedma/web.h"

#define LIST_LIMIT "10" /* orders per dashboard page unless the address says otherwise */

/* ---- shared display ---- */

const char *web_orders_number(json_object *v)
{
    if (!v)
        return "";
    if (json_object_is_type(v, json_type_string))
        return json_object_get_string(v);
    return jsonx_to_string(v);
}

void web_orders_status(struct html *h, const char *status)
{
    static const struct {
        const char *name, *label;
    } labels[] = {{"pending", "Awaiting payment"},
                  {"processing", "In progress"},
                  {"completed", "Completed"},
                  {"cancelled", "Cancelled"}};
    const char *label = status;
    const char *cls = "other";
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (status && strcmp(status, labels[i].name) == 0) {
            label = labels[i].label;
            cls = labels[i].name;
        }
    html_raw(h, "<span class=\"status status-");
    html_raw(h, cls);
    html_raw(h, "\">");
    html_text(h, label);
    html_raw(h, "</span>");
}

static const char *at(json_object *o, const char *outer, const char *inner, const char *key)
{
    if (outer && !json_object_object_get_ex(o, outer, &o))
        return "";
    if (inner && !json_object_object_get_ex(o, inner, &o))
        return "";
    const char *s = jsonx_str(o, key);
    return s ? s : "";
}

void web_orders_retry_href(struct html *h, json_object *order)
{
    html_raw(h, "/order/");
    html_path_segment(h, at(order, "gig", "owner", "username"));
    html_raw(h, "/");
    html_path_segment(h, at(order, "gig", NULL, "slug"));
    html_raw(h, "/");
    html_path_segment(h, at(order, "package", NULL, "type"));
}

/* "2026-12-06T08:43:29.454Z" as "2026-12-06 08:43 UTC", in a <time> element. */
static void when(struct html *h, const char *iso)
{
    if (!iso || strlen(iso) < 16) {
        html_raw(h, "—");
        return;
    }
    char shown[32];
    snprintf(shown, sizeof shown, "%.10s %.5s UTC", iso, iso + 11);
    html_raw(h, "<time datetime=\"");
    html_attr(h, iso);
    html_raw(h, "\">");
    html_text(h, shown);
    html_raw(h, "</time>");
}

static void order_link(struct html *h, json_object *order)
{
    html_raw(h, "<a href=\"/dashboard/orders/");
    html_path_segment(h, at(order, NULL, NULL, "id"));
    html_raw(h, "\">");
    html_text(h, at(order, "gig", NULL, "title"));
    html_raw(h, "</a>");
}

static void amount(struct html *h, json_object *order)
{
    json_object *v = NULL;
    json_object_object_get_ex(order, "totalAmount", &v);
    web_price(h, web_orders_number(v), at(order, NULL, NULL, "currency"));
}

/* ---- the list ---- */

struct list_params {
    const char *as, *status, *from, *to, *page, *limit;
};

static const char *param(struct ctx *c, const char *name)
{
    const char *v = request_query(c->req, name);
    return v && *v ? v : NULL;
}

/* The dashboard's fields spelled as GET /api/orders spells them. */
static void api_query(const struct list_params *lp, struct kv_list *q, char *buf, size_t len)
{
    kv_list_add(q, "as", lp->as);
    if (lp->status)
        kv_list_add(q, "filter.status", lp->status);
    if (lp->from) {
        snprintf(buf, len, "$gte:%s", lp->from);
        kv_list_add(q, "filter.createdAt", buf);
    }
    if (lp->to) {
        /* A day typed into a date box means up to the end of that day. */
        if (strlen(lp->to) == 10)
            snprintf(buf, len, "$lte:%sT23:59:59.999Z", lp->to);
        else
            snprintf(buf, len, "$lte:%s", lp->to);
        kv_list_add(q, "filter.createdAt", buf);
    }
    if (lp->page)
        kv_list_add(q, "page", lp->page);
    kv_list_add(q, "limit", lp->limit);
}

/* The list page's address with these fields (and another page). */
static void list_href(struct html *h, const struct list_params *lp, const char *as, long page)
{
    html_raw(h, "/dashboard/orders?as=");
    html_query_value(h, as);
    if (lp->status) {
        html_raw(h, "&amp;status=");
        html_query_value(h, lp->status);
    }
    if (lp->from) {
        html_raw(h, "&amp;from=");
        html_query_value(h, lp->from);
    }
    if (lp->to) {
        html_raw(h, "&amp;to=");
        html_query_value(h, lp->to);
    }
    if (strcmp(lp->limit, LIST_LIMIT) != 0) {
        html_raw(h, "&amp;limit=");
        html_query_value(h, lp->limit);
    }
    if (page > 1)
        html_printf(h, "&amp;page=%ld", page);
}

static void role_switch(struct html *h, const struct list_params *lp)
{
    bool freelancer = strcmp(lp->as, "freelancer") == 0;
    struct list_params none = {lp->as, NULL, NULL, NULL, NULL, LIST_LIMIT};
    html_raw(h, "<nav aria-label=\"Role\" class=\"pages\"><ul><li><a href=\"");
    list_href(h, &none, "client", 1);
    html_raw(h, freelancer ? "\">" : "\" aria-current=\"page\">");
    html_raw(h, "Orders I placed</a></li><li><a href=\"");
    list_href(h, &none, "freelancer", 1);
    html_raw(h, freelancer ? "\" aria-current=\"page\">" : "\">");
    html_raw(h, "Orders I received</a></li></ul></nav>");
}

static void option(struct html *h, const char *value, const char *label, const char *current)
{
    html_raw(h, "<option value=\"");
    html_raw(h, value);
    html_raw(h, "\"");
    if ((current ? current : "")[0] == value[0] && strcmp(current ? current : "", value) == 0)
        html_raw(h, " selected");
    html_raw(h, ">");
    html_raw(h, label);
    html_raw(h, "</option>");
}

static void date_field(struct html *h, const struct err *e, const char *name, const char *label,
                       const char *value)
{
    html_raw(h, "<div class=\"field\"><label for=\"f-");
    html_raw(h, name);
    html_raw(h, "\">");
    html_raw(h, label);
    html_raw(h, "</label><input type=\"date\" id=\"f-");
    html_raw(h, name);
    html_raw(h, "\" name=\"");
    html_raw(h, name);
    html_raw(h, "\"");
    if (value) {
        html_raw(h, " value=\"");
        html_attr(h, value);
        html_raw(h, "\"");
    }
    if (e && e->fields && json_object_object_get_ex(e->fields, "filter.createdAt", NULL))
        html_raw(h, " aria-invalid=\"true\" aria-describedby=\"f-dates-error\"");
    html_raw(h, "></div>");
}

static void filter_form(struct html *h, const struct list_params *lp, const struct err *e)
{
    html_raw(h, "<form class=\"card order-filters\" method=\"get\" action=\"/dashboard/orders\">"
                "<input type=\"hidden\" name=\"as\" value=\"");
    html_attr(h, lp->as);
    html_raw(h, "\"><div class=\"field\"><label for=\"f-status\">Status</label>"
                "<select id=\"f-status\" name=\"status\"");
    if (e && e->fields && json_object_object_get_ex(e->fields, "filter.status", NULL))
        html_raw(h, " aria-invalid=\"true\" aria-describedby=\"f-status-error\"");
    html_raw(h, ">");
    option(h, "", "Any status", lp->status);
    option(h, "pending", "Awaiting payment", lp->status);
    option(h, "processing", "In progress", lp->status);
    option(h, "completed", "Completed", lp->status);
    option(h, "cancelled", "Cancelled", lp->status);
    html_raw(h, "</select>");
    web_field_error(h, e, "filter.status", "f-status");
    html_raw(h, "</div>");
    date_field(h, e, "from", "Placed from", lp->from);
    date_field(h, e, "to", "Placed until", lp->to);
    web_field_error(h, e, "filter.createdAt", "f-dates");
    web_field_error(h, e, "page", "f-page");
    web_field_error(h, e, "limit", "f-limit");
    html_raw(h, "<div><button type=\"submit\">Filter</button> <a href=\"/dashboard/orders?as=");
    html_query_value(h, lp->as);
    html_raw(h, "\">Clear</a></div></form>");
}

static void orders_table(struct html *h, json_object *items, bool freelancer)
{
    size_t n = json_object_array_length(items);
    if (n == 0) {
        html_raw(h, "<p class=\"card\">No orders match.</p>");
        return;
    }
    html_raw(h, "<div class=\"table-wrap\"><table><caption class=\"vh\">Orders</caption><thead><tr>"
                "<th scope=\"col\">Service</th><th scope=\"col\">");
    html_raw(h, freelancer ? "Package" : "Seller");
    html_raw(h, "</th><th scope=\"col\">Status</th><th scope=\"col\">Amount</th>"
                "<th scope=\"col\">Placed</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(items, i);
        html_raw(h, "<tr><td>");
        order_link(h, o);
        html_raw(h, "</td><td>");
        if (freelancer)
            html_text(h, at(o, "package", NULL, "name"));
        else {
            html_raw(h, "@");
            html_text(h, at(o, "gig", "owner", "username"));
        }
        html_raw(h, "</td><td>");
        web_orders_status(h, at(o, NULL, NULL, "status"));
        html_raw(h, "</td><td>");
        amount(h, o);
        html_raw(h, "</td><td>");
        when(h, at(o, NULL, NULL, "createdAt"));
        html_raw(h, "</td></tr>");
    }
    html_raw(h, "</tbody></table></div>");
}

static long long page_number(json_object *page, const char *key)
{
    json_object *p = NULL, *v = NULL;
    if (!json_object_object_get_ex(page, "pagination", &p) ||
        !json_object_object_get_ex(p, key, &v))
        return 0;
    return json_object_get_int64(v);
}

static void pager(struct html *h, const struct list_params *lp, json_object *page)
{
    long long cur = page_number(page, "currentPage"), total = page_number(page, "totalPages");
    if (total <= 1)
        return;
    html_raw(h, "<nav class=\"pages\" aria-label=\"Pages\"><ul>");
    if (cur > 1) {
        html_raw(h, "<li><a rel=\"prev\" href=\"");
        list_href(h, lp, lp->as, (long)cur - 1);
        html_raw(h, "\">Previous</a></li>");
    }
    html_printf(h, "<li><span aria-current=\"page\">Page %lld of %lld</span></li>", cur, total);
    if (cur < total) {
        html_raw(h, "<li><a rel=\"next\" href=\"");
        list_href(h, lp, lp->as, (long)cur + 1);
        html_raw(h, "\">Next</a></li>");
    }
    html_raw(h, "</ul></nav>");
}

void web_orders_list(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    struct list_params lp = {param(c, "as"), param(c, "status"), param(c, "from"),
                             param(c, "to"), param(c, "page"),   param(c, "limit")};
    if (!lp.as || strcmp(lp.as, "freelancer") != 0)
        lp.as = "client";
    if (!lp.limit)
        lp.limit = LIST_LIMIT;
    struct kv_list q = {0};
    char buf[300];
    api_query(&lp, &q, buf, sizeof buf);
    struct order_query oq;
    struct err e = {0};
    json_object *page = NULL;
    enum errkind k = order_query_parse(&q, &oq, &e);
    kv_list_free(&q);
    if (k == E_OK) {
        k = orders_read_list(c->db, u, &oq, &page, &e);
        order_query_free(&oq);
    }
    if (k != E_OK && k != E_BAD_REQUEST) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    struct web_page p;
    if (web_page_begin(&p, c, "Orders", "Your orders on Khedma.")) {
        p.nav = "dashboard";
        web_page_body(&p);
        html_raw(&p.h, "<h1>Orders</h1>");
        role_switch(&p.h, &lp);
        if (k != E_OK)
            html_raw(&p.h, "<div class=\"form-errors\" role=\"alert\"><p>Some filters could not "
                           "be used: see the messages below.</p></div>");
        filter_form(&p.h, &lp, &e);
        json_object *items = NULL;
        if (page && json_object_object_get_ex(page, "items", &items))
            orders_table(&p.h, items, strcmp(lp.as, "freelancer") == 0);
        if (page)
            pager(&p.h, &lp, page);
        web_page_send(&p, k == E_OK ? 200 : 400);
    }
    json_object_put(page);
    err_clear(&e);
}

/* ---- one order ---- */

/* The facts lifecycle_decide needs, read from the Order as the API shows it. */
static struct lifecycle_order facts_of(json_object *order)
{
    struct lifecycle_order f = {0};
    lifecycle_status_parse(at(order, NULL, NULL, "status"), &f.status);
    const char *pay = at(order, "payment", NULL, "status");
    lifecycle_payment_parse(*pay ? pay : NULL, &f.payment);
    f.delivered = *at(order, NULL, NULL, "deliveredAt") != '\0';
    const char *due = at(order, NULL, NULL, "dueAt");
    char now[ISO_TIME_LEN + 1];
    timeutil_iso_from_ms(timeutil_wall_ms(), now);
    /* Both in the API's fixed-width UTC format, so text order is time order. */
    f.due_passed = *due && strcmp(due, now) <= 0;
    json_object *rev = NULL, *v = NULL;
    if (json_object_object_get_ex(order, "revisions", &rev)) {
        if (json_object_object_get_ex(rev, "used", &v))
            f.revisions_used = json_object_get_int64(v);
        if (json_object_object_get_ex(rev, "allowed", &v))
            f.revisions_allowed = json_object_get_int64(v);
    }
    return f;
}

static bool may(json_object *order, const struct user *u, enum lifecycle_move move)
{
    struct lifecycle_order f = facts_of(order);
    bool client = strcmp(at(order, NULL, NULL, "userId"), u->id) == 0;
    bool freelancer = strcmp(at(order, "gig", "owner", "id"), u->id) == 0;
    bool admin = strcmp(u->role, "admin") == 0;
    enum lifecycle_role role = lifecycle_role_for(client, freelancer, admin, move);
    return lifecycle_decide(&f, role, move).kind == E_OK;
}

struct move_form {
    const char *move;       /* the form's move field */
    enum lifecycle_move lm; /* its lifecycle move */
    const char *heading;    /* the form's legend */
    const char *label;      /* the message box's label */
    const char *button;     /* the submit button */
    bool message_required;  /* a delivery or a revision says something */
    const char *button_class;
};

static const struct move_form MOVES[] = {
    {"deliver", LIFECYCLE_DELIVER, "Deliver the work", "Message to the client", "Deliver", true,
     ""},
    {"revision", LIFECYCLE_REVISION, "Ask for a revision", "What should change", "Request revision",
     true, " class=\"secondary\""},
    {"accept", LIFECYCLE_ACCEPT, "Accept the delivery", "A note (optional)", "Accept delivery",
     false, ""},
    {"cancel", LIFECYCLE_CANCEL, "Cancel the order", "Reason (optional)", "Cancel order", false,
     " class=\"danger\""},
};

static void form_open(struct html *h, const char *id, const char *move)
{
    html_raw(h, "<form class=\"stack card\" method=\"post\" action=\"/dashboard/orders/");
    html_path_segment(h, id);
    html_raw(h, "\"><input type=\"hidden\" name=\"move\" value=\"");
    html_raw(h, move);
    html_raw(h, "\">");
}

/* The error of the move that failed, next to its field (the form that was sent only). */
static const struct err *err_for(const struct err *e, const char *failed, const char *move)
{
    return e && failed && strcmp(failed, move) == 0 ? e : NULL;
}

static void move_form(struct html *h, const char *id, const struct move_form *m,
                      const struct err *e)
{
    form_open(h, id, m->move);
    html_raw(h, "<fieldset><legend>");
    html_raw(h, m->heading);
    html_raw(h, "</legend><div class=\"field\"><label for=\"r-");
    html_raw(h, m->move);
    html_raw(h, "\">");
    html_raw(h, m->label);
    html_raw(h, "</label><textarea id=\"r-");
    html_raw(h, m->move);
    html_raw(h, "\" name=\"reason\" maxlength=\"1000\"");
    if (m->message_required)
        html_raw(h, " required");
    if (e)
        html_printf(h, " aria-invalid=\"true\" aria-describedby=\"r-%s-error\"", m->move);
    html_raw(h, "></textarea>");
    if (e) {
        char fid[32];
        snprintf(fid, sizeof fid, "r-%s", m->move);
        if (e->fields)
            web_field_error(h, e, "reason", fid);
        else {
            html_raw(h, "<p class=\"field-error\" id=\"");
            html_raw(h, fid);
            html_raw(h, "-error\">");
            html_text(h, e->message);
            html_raw(h, "</p>");
        }
    }
    html_raw(h, "</div><div><button type=\"submit\"");
    html_raw(h, m->button_class);
    html_raw(h, ">");
    html_raw(h, m->button);
    html_raw(h, "</button></div></fieldset></form>");
}

static void review_form(struct html *h, const char *id, const struct err *e)
{
    form_open(h, id, "review");
    html_raw(h, "<fieldset");
    if (e && e->fields && json_object_object_get_ex(e->fields, "rating", NULL))
        html_raw(h, " aria-describedby=\"rating-error\"");
    html_raw(h, "><legend>Your rating (1 to 5 stars)</legend><div class=\"stars-choice\">");
    for (int i = 5; i >= 1; i--)
        html_printf(h,
                    "<div class=\"choice\"><input type=\"radio\" id=\"rating-%d\" name=\"rating\" "
                    "value=\"%d\"%s>"
                    " <label for=\"rating-%d\">%d star%s</label></div>",
                    i, i, i == 5 ? " required" : "", i, i, i == 1 ? "" : "s");
    html_raw(h, "</div>");
    web_field_error(h, e, "rating", "rating");
    html_raw(h, "</fieldset><div class=\"field\"><label for=\"review-comment\">Comment "
                "(optional)</label><textarea id=\"review-comment\" name=\"comment\" "
                "maxlength=\"2000\"");
    if (e && e->fields && json_object_object_get_ex(e->fields, "comment", NULL))
        html_raw(h, " aria-invalid=\"true\" aria-describedby=\"review-comment-error\"");
    html_raw(h, "></textarea>");
    web_field_error(h, e, "comment", "review-comment");
    if (e && !e->fields) {
        html_raw(h, "<p class=\"field-error\">");
        html_text(h, e->message);
        html_raw(h, "</p>");
    }
    html_raw(h, "</div><div><button type=\"submit\">Leave review</button></div></form>");
}

static const char *event_label(const char *type)
{
    static const struct {
        const char *type, *label;
    } labels[] = {{"paid", "Payment received"},
                  {"delivered", "Delivered"},
                  {"revision_requested", "Revision requested"},
                  {"completed", "Completed"},
                  {"cancelled", "Cancelled"},
                  {"refunded", "Refunded"},
                  {"payment_failed", "Payment failed"}};
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (type && strcmp(type, labels[i].type) == 0)
            return labels[i].label;
    return type ? type : "";
}

static void timeline(struct html *h, json_object *events, json_object *order)
{
    html_raw(h, "<section aria-labelledby=\"tl-h\"><h2 id=\"tl-h\">Timeline</h2>"
                "<ol class=\"timeline\"><li><strong>Order placed</strong> ");
    when(h, at(order, NULL, NULL, "createdAt"));
    html_raw(h, "</li>");
    size_t n = events ? json_object_array_length(events) : 0;
    for (size_t i = 0; i < n; i++) {
        json_object *ev = json_object_array_get_idx(events, i);
        const char *actor = at(ev, NULL, NULL, "actorId");
        html_raw(h, "<li><strong>");
        html_text(h, event_label(at(ev, NULL, NULL, "type")));
        html_raw(h, "</strong> ");
        when(h, at(ev, NULL, NULL, "at"));
        html_raw(h, " <span class=\"muted\">");
        if (!*actor)
            html_raw(h, "by Khedma");
        else if (strcmp(actor, at(order, NULL, NULL, "userId")) == 0)
            html_raw(h, "by the client");
        else if (strcmp(actor, at(order, "gig", "owner", "id")) == 0)
            html_raw(h, "by the freelancer");
        else
            html_raw(h, "by an administrator");
        html_raw(h, "</span>");
        const char *reason = at(ev, NULL, NULL, "reason");
        if (*reason) {
            html_raw(h, "<p>");
            html_text(h, reason);
            html_raw(h, "</p>");
        }
        html_raw(h, "</li>");
    }
    html_raw(h, "</ol></section>");
}

static const char *done_message(const char *done)
{
    static const struct {
        const char *key, *message;
    } done_messages[] = {{"deliver", "Your delivery was sent to the client."},
                         {"revision", "Your revision request was sent to the freelancer."},
                         {"accept", "You accepted the delivery: the order is completed."},
                         {"cancel", "The order was cancelled."},
                         {"review", "Thank you: your review is published on the service's page."},
                         {"transfer", "Your order is placed. It starts once your bank transfer "
                                      "is confirmed."}};
    for (size_t i = 0; done && i < sizeof done_messages / sizeof done_messages[0]; i++)
        if (strcmp(done, done_messages[i].key) == 0)
            return done_messages[i].message;
    return NULL;
}

static void facts(struct html *h, json_object *order)
{
    html_raw(h, "<dl class=\"facts card\"><dt>Status</dt><dd>");
    web_orders_status(h, at(order, NULL, NULL, "status"));
    html_raw(h, "</dd><dt>Service</dt><dd><a href=\"/");
    html_path_segment(h, at(order, "gig", "owner", "username"));
    html_raw(h, "/");
    html_path_segment(h, at(order, "gig", NULL, "slug"));
    html_raw(h, "\">");
    html_text(h, at(order, "gig", NULL, "title"));
    html_raw(h, "</a> by @");
    html_text(h, at(order, "gig", "owner", "username"));
    html_raw(h, "</dd><dt>Package</dt><dd>");
    html_text(h, at(order, "package", NULL, "name"));
    html_raw(h, "</dd><dt>Amount</dt><dd>");
    amount(h, order);
    html_raw(h, "</dd><dt>Due</dt><dd>");
    when(h, at(order, NULL, NULL, "dueAt"));
    json_object *rev = NULL, *used = NULL, *allowed = NULL;
    if (json_object_object_get_ex(order, "revisions", &rev) &&
        json_object_object_get_ex(rev, "used", &used) &&
        json_object_object_get_ex(rev, "allowed", &allowed))
        html_printf(h, "</dd><dt>Revisions</dt><dd>%lld of %lld used",
                    (long long)json_object_get_int64(used),
                    (long long)json_object_get_int64(allowed));
    html_raw(h, "</dd></dl>");
}

static void transfer_note(struct ctx *c, struct html *h, const struct user *u, json_object *order)
{
    if (strcmp(at(order, "payment", NULL, "provider"), "bank_transfer") != 0 ||
        strcmp(at(order, NULL, NULL, "status"), "pending") != 0)
        return;
    char ref[PAYMENTS_TRANSFER_REFERENCE_MAX + 1];
    struct err e = {0};
    if (payments_transfer_reference(c->db, u, at(order, NULL, NULL, "id"), ref, &e) == E_OK &&
        *ref) {
        html_raw(h, "<section class=\"card\"><h2>Bank transfer</h2><p>Transfer ");
        amount(h, order);
        html_raw(h, " and write this reference on the transfer: <strong class=\"reference\">");
        html_text(h, ref);
        html_raw(h, "</strong>. The order starts once the transfer is confirmed.</p></section>");
    }
    err_clear(&e);
}

static void review_section(struct html *h, json_object *review)
{
    json_object *rating = NULL;
    json_object_object_get_ex(review, "rating", &rating);
    int stars = json_object_get_int(rating);
    html_raw(h, "<section class=\"card\"><h2>Review</h2><p class=\"stars\">");
    for (int i = 0; i < stars && i < 5; i++)
        html_raw(h, "★");
    html_printf(h, " <span class=\"vh\">%d out of 5 stars</span></p>", stars);
    const char *comment = at(review, NULL, NULL, "comment");
    if (*comment) {
        html_raw(h, "<p>");
        html_text(h, comment);
        html_raw(h, "</p>");
    }
    html_raw(h, "</section>");
}

/* The moves the viewer may make now, each as its form; the review once the order is done. */
static void moves(struct html *h, json_object *order, const struct user *u,
                  const json_object *review, const struct err *e, const char *failed)
{
    const char *id = at(order, NULL, NULL, "id");
    html_raw(h, "<section aria-labelledby=\"mv-h\"><h2 id=\"mv-h\">What you can do</h2>");
    bool any = false;
    for (size_t i = 0; i < sizeof MOVES / sizeof MOVES[0]; i++)
        if (may(order, u, MOVES[i].lm)) {
            move_form(h, id, &MOVES[i], err_for(e, failed, MOVES[i].move));
            any = true;
        }
    bool client = strcmp(at(order, NULL, NULL, "userId"), u->id) == 0;
    if (client && !review && strcmp(at(order, NULL, NULL, "status"), "completed") == 0) {
        review_form(h, id, err_for(e, failed, "review"));
        any = true;
    }
    if (!any)
        html_raw(h, "<p>Nothing to do on this order right now.</p>");
    html_raw(h, "</section>");
}

/* The order page; e and failed (the move that was refused) when a form is answered again. */
static void detail_page(struct ctx *c, const struct user *u, const char *id, const struct err *e,
                        const char *failed, int status)
{
    json_object *order = NULL, *events = NULL, *review = NULL;
    struct err le = {0};
    if (orders_read_get(c->db, u, id, &order, &le) != E_OK ||
        order_moves_events(c->db, u, id, &events, &le) != E_OK ||
        reviews_of_order(c->db, id, &review, &le) != E_OK) {
        web_service_error(c, &le);
        goto out;
    }
    struct web_page p;
    if (!web_page_begin(&p, c, "Order", "An order on Khedma."))
        goto out;
    p.nav = "dashboard";
    web_page_body(&p);
    struct html *h = &p.h;
    html_raw(h, "<p><a href=\"/dashboard/orders\">All orders</a></p><h1>");
    html_text(h, at(order, "gig", NULL, "title"));
    html_raw(h, "</h1>");
    const char *done = e ? NULL : done_message(request_query(c->req, "done"));
    if (done) {
        html_raw(h, "<p class=\"flash\" role=\"status\">");
        html_raw(h, done);
        html_raw(h, "</p>");
    }
    if (e && e->fields)
        html_raw(h, "<div class=\"form-errors\" role=\"alert\"><p>That could not be done: see "
                    "the message next to the form.</p></div>");
    else if (e)
        web_form_errors(h, e);
    facts(h, order);
    transfer_note(c, h, u, order);
    if (review)
        review_section(h, review);
    moves(h, order, u, review, e, failed);
    timeline(h, events, order);
    web_page_send(&p, status);
out:
    json_object_put(order);
    json_object_put(events);
    json_object_put(review);
    err_clear(&le);
}

static const char *path_id(struct ctx *c)
{
    const char *id = router_param(&c->match, "id");
    if (id && cuid_valid(id))
        return id;
    web_not_found(c);
    return NULL;
}

void web_orders_detail(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    const char *id = u ? path_id(c) : NULL;
    if (id)
        detail_page(c, u, id, NULL, NULL, 200);
}

/* A review from the form: rating 1 to 5 (the API's rule), the comment as the API checks it. */
static enum errkind make_review(struct ctx *c, const struct user *u, const char *id,
                                const struct kv_list *form, struct err *e)
{
    const char *r = web_field(form, "rating");
    int rating = strlen(r) == 1 && r[0] >= '1' && r[0] <= '5' ? r[0] - '0' : 0;
    if (!rating)
        err_field(e, "rating", "Choose from 1 to 5 stars.");
    json_object *in = json_object_new_object();
    json_object_object_add(in, "comment", json_object_new_string(web_field(form, "comment")));
    const char *comment = order_input_text(in, "comment", REVIEW_COMMENT_MAX, true, e);
    json_object *review = NULL;
    if (e->kind != E_OK)
        err_set(e, E_UNPROCESSABLE, "Validation failed");
    else
        reviews_create(c->db, u, id, rating, comment, &review, e);
    json_object_put(review);
    json_object_put(in);
    return e->kind;
}

static enum errkind make_move(struct ctx *c, const struct user *u, const char *id,
                              const struct move_form *m, const struct kv_list *form, struct err *e)
{
    json_object *in = json_object_new_object();
    json_object_object_add(in, "reason", json_object_new_string(web_field(form, "reason")));
    const char *reason = order_input_text(in, "reason", MOVE_REASON_MAX, true, e);
    if (m->message_required && !reason && e->kind == E_OK)
        err_field(e, "reason", "Please write a message.");
    json_object *order = NULL;
    if (e->kind != E_OK)
        err_set(e, E_UNPROCESSABLE, "Validation failed");
    else
        order_moves_make(c->db, u, id, m->lm, reason, &order, e);
    json_object_put(order);
    json_object_put(in);
    return e->kind;
}

void web_orders_move(struct ctx *c)
{
    struct kv_list form;
    if (!web_post_ok(c))
        return;
    const struct user *u = web_require_user(c);
    const char *id = u ? path_id(c) : NULL;
    if (!id || !web_form(c, &form))
        return;
    const char *move = web_field(&form, "move");
    const struct move_form *m = NULL;
    for (size_t i = 0; i < sizeof MOVES / sizeof MOVES[0]; i++)
        if (strcmp(move, MOVES[i].move) == 0)
            m = &MOVES[i];
    struct err e = {0};
    enum errkind k;
    if (m)
        k = make_move(c, u, id, m, &form, &e);
    else if (strcmp(move, "review") == 0)
        k = make_review(c, u, id, &form, &e);
    else
        k = err_set(&e, E_BAD_REQUEST, "Unknown action");
    if (k == E_OK) {
        struct html loc = {0};
        html_raw(&loc, "/dashboard/orders/");
        html_path_segment(&loc, id);
        html_raw(&loc, "?done=");
        html_raw(&loc, move);
        web_redirect(c, loc.data);
        html_free(&loc);
    } else if (k == E_NOT_FOUND || k == E_UNAVAILABLE || k == E_INTERNAL || k == E_BAD_REQUEST) {
        web_service_error(c, &e);
    } else {
        detail_page(c, u, id, &e, move, errkind_http_status(k));
    }
    err_clear(&e);
    kv_list_free(&form);
}
