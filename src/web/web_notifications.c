/*
 * web_notifications.c - the viewer's notifications (include/khedma/web_notifications.h): the
 * paged list from notifications_list, newest first, each with a link to its order and, while
 * unread, a form that marks it read; and a form that marks them all read. Both forms answer 303
 * back to the list.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "khedma/web_notifications.h"
#include "khedma/cuid.h"
#include "khedma/jsonx.h"
#include "khedma/notifications.h"
#include "khedma/web.h"

#define PER_PAGE 20

static const char *str(json_object *o, const char *key)
{
    const char *s = jsonx_str(o, key);
    return s ? s : "";
}

/* ?page=N: plain digits within the API's range, else 1. */
static long page_param(struct ctx *c)
{
    const char *s = request_query(c->req, "page");
    if (!s || !*s || strlen(s) > 7 || strspn(s, "0123456789") != strlen(s))
        return 1;
    long v = strtol(s, NULL, 10);
    return v >= 1 && v <= NOTIFICATIONS_PAGE_MAX ? v : 1;
}

static void item(struct html *h, json_object *n, long page)
{
    bool unread = *str(n, "readAt") == '\0';
    html_raw(h, unread ? "<li class=\"card unread\">" : "<li class=\"card\">");
    html_raw(h, "<h2 class=\"h3\">");
    if (unread)
        html_raw(h, "<span class=\"badge\">New</span> ");
    html_text(h, str(n, "title"));
    html_raw(h, "</h2><p>");
    html_text(h, str(n, "body"));
    html_raw(h, "</p><p class=\"muted\"><time datetime=\"");
    html_attr(h, str(n, "createdAt"));
    html_raw(h, "\">");
    char shown[32];
    const char *at = str(n, "createdAt");
    snprintf(shown, sizeof shown, "%.10s %.5s UTC", at, strlen(at) > 11 ? at + 11 : "");
    html_text(h, shown);
    html_raw(h, "</time>");
    const char *order = str(n, "orderId");
    if (*order) {
        html_raw(h, " · <a href=\"/dashboard/orders/");
        html_path_segment(h, order);
        html_raw(h, "\">See the order</a>");
    }
    html_raw(h, "</p>");
    if (unread) {
        html_raw(h, "<form method=\"post\" action=\"/dashboard/notifications/");
        html_path_segment(h, str(n, "id"));
        html_printf(h, "/read\"><input type=\"hidden\" name=\"page\" value=\"%ld\">", page);
        html_raw(h,
                 "<button type=\"submit\" class=\"secondary\">Mark as read<span class=\"vh\">: ");
        html_text(h, str(n, "title"));
        html_raw(h, "</span></button></form>");
    }
    html_raw(h, "</li>");
}

static long long pagination(json_object *list, const char *key)
{
    json_object *p = NULL, *v = NULL;
    if (!json_object_object_get_ex(list, "pagination", &p) ||
        !json_object_object_get_ex(p, key, &v))
        return 0;
    return json_object_get_int64(v);
}

static void pager(struct html *h, json_object *list)
{
    long long cur = pagination(list, "currentPage"), total = pagination(list, "totalPages");
    if (total <= 1)
        return;
    html_raw(h, "<nav class=\"pages\" aria-label=\"Pages\"><ul>");
    if (cur > 1)
        html_printf(h,
                    "<li><a rel=\"prev\" href=\"/dashboard/notifications?page=%lld\">Previous</a>"
                    "</li>",
                    cur - 1);
    html_printf(h, "<li><span aria-current=\"page\">Page %lld of %lld</span></li>", cur, total);
    if (cur < total)
        html_printf(h,
                    "<li><a rel=\"next\" href=\"/dashboard/notifications?page=%lld\">Next</a></li>",
                    cur + 1);
    html_raw(h, "</ul></nav>");
}

void web_notifications_list(struct ctx *c)
{
    const struct user *u = web_require_user(c);
    if (!u)
        return;
    long page = page_param(c);
    json_object *list = NULL;
    struct err e = {0};
    if (notifications_list(c->db, u->id, false, page, PER_PAGE, &list, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    struct web_page p;
    if (web_page_begin(&p, c, "Notifications", "Your notifications on Khedma.")) {
        p.nav = "notifications";
        web_page_body(&p);
        struct html *h = &p.h;
        html_raw(h, "<h1>Notifications</h1>");
        if (request_query(c->req, "done"))
            html_raw(h, "<p class=\"flash\" role=\"status\">Marked as read.</p>");
        if (p.unread > 0)
            html_raw(h, "<form method=\"post\" action=\"/dashboard/notifications/read-all\">"
                        "<button type=\"submit\">Mark all as read</button></form>");
        json_object *items = NULL;
        json_object_object_get_ex(list, "items", &items);
        size_t n = items ? json_object_array_length(items) : 0;
        if (n == 0)
            html_raw(h, "<p class=\"card\">No notifications yet.</p>");
        else
            html_raw(h, "<ul class=\"grid notifications\">");
        for (size_t i = 0; i < n; i++)
            item(h, json_object_array_get_idx(items, i), page);
        if (n)
            html_raw(h, "</ul>");
        pager(h, list);
        web_page_send(&p, 200);
    }
    json_object_put(list);
}

/* Back to the list (the page the form was on), saying it was done. */
static void back(struct ctx *c, const struct kv_list *form)
{
    const char *page = web_field(form, "page");
    char loc[64];
    if (*page && strlen(page) <= 7 && strspn(page, "0123456789") == strlen(page))
        snprintf(loc, sizeof loc, "/dashboard/notifications?page=%s&done=read", page);
    else
        snprintf(loc, sizeof loc, "/dashboard/notifications?done=read");
    web_redirect(c, loc);
}

void web_notifications_read(struct ctx *c)
{
    struct kv_list form;
    if (!web_post_ok(c))
        return;
    const struct user *u = web_require_user(c);
    if (!u || !web_form(c, &form))
        return;
    const char *id = router_param(&c->match, "id");
    json_object *n = NULL;
    struct err e = {0};
    if (!id || !cuid_valid(id))
        web_not_found(c);
    else if (notifications_mark_read(c->db, u->id, id, &n, &e) != E_OK)
        web_service_error(c, &e);
    else
        back(c, &form);
    json_object_put(n);
    err_clear(&e);
    kv_list_free(&form);
}

void web_notifications_read_all(struct ctx *c)
{
    struct kv_list form;
    if (!web_post_ok(c))
        return;
    const struct user *u = web_require_user(c);
    if (!u || !web_form(c, &form))
        return;
    long long updated = 0;
    struct err e = {0};
    if (notifications_mark_all_read(c->db, u->id, &updated, &e) != E_OK)
        web_service_error(c, &e);
    else
        back(c, &form);
    err_clear(&e);
    kv_list_free(&form);
}
