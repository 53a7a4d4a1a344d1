/*
 * web.c - the page shell, headers, redirects, error pages, forms and the sign-in gate shared by
 * every HTML page (include/khedma/web.h, docs/web.md).
 */
#include "khedma/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "khedma/http.h"
#include "khedma/notifications.h"
#include "khedma/utf8.h"

/* script-src and style-src 'self' only: no inline script or style can run even if markup were
 * ever injected. Images may come from https URLs (gallery URLs given through the API) and data:
 * (none today, but harmless). form-action is left to default: the Pay form's redirect goes to
 * the gateway's own origin, which form-action would have to list. */
static const char CSP[] = "default-src 'self'; img-src 'self' https: data:; script-src 'self'; "
                          "style-src 'self'; object-src 'none'; base-uri 'self'; "
                          "frame-ancestors 'none'";

void web_security_headers(struct ctx *c)
{
    struct response *r = c->resp;
    response_set_header(r, "Content-Type", "text/html; charset=utf-8");
    response_set_header(r, "Content-Security-Policy", CSP);
    response_set_header(r, "X-Content-Type-Options", "nosniff");
    response_set_header(r, "Referrer-Policy", "strict-origin-when-cross-origin");
    response_set_header(r, "X-Frame-Options", "DENY");
}

/* Head and header without a database lookup, for error pages (the database may be the error). */
static void head(struct web_page *p, const char *title, const char *description)
{
    struct html *h = &p->h;
    html_raw(h,
             "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
    html_text(h, title);
    html_raw(h, " · Khedma</title>\n");
    if (description && *description) {
        html_raw(h, "<meta name=\"description\" content=\"");
        html_attr(h, description);
        html_raw(h, "\">\n");
    }
    html_raw(h, "<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\">\n"
                "<link rel=\"stylesheet\" href=\"/static/khedma.css\">\n"
                "<script src=\"/static/khedma.js\" defer></script>\n");
}

bool web_page_begin(struct web_page *p, struct ctx *c, const char *title, const char *description)
{
    memset(p, 0, sizeof *p);
    p->c = c;
    enum errkind dberr = E_OK;
    p->user = ctx_user(c, &dberr);
    struct err e = {0};
    if (dberr == E_OK && p->user &&
        notifications_unread_count(c->db, p->user->id, &p->unread, &e) != E_OK)
        dberr = e.kind;
    err_clear(&e);
    if (dberr != E_OK) {
        web_error_page(c, 503, "The service is busy right now. Please try again in a moment.");
        return false;
    }
    head(p, title, description);
    return true;
}

static void nav_link(struct web_page *p, const char *href, const char *key, const char *label)
{
    struct html *h = &p->h;
    html_raw(h, "<li><a href=\"");
    html_raw(h, href);
    html_raw(h, "\"");
    if (p->nav && strcmp(p->nav, key) == 0)
        html_raw(h, " aria-current=\"page\"");
    html_raw(h, ">");
    html_raw(h, label);
    html_raw(h, "</a></li>");
}

void web_page_body(struct web_page *p)
{
    struct html *h = &p->h;
    html_raw(h, "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to content</a>\n"
                "<header class=\"site\"><div class=\"wrap bar\">"
                "<a class=\"logo\" href=\"/\">Khedma</a>"
                "<form class=\"site-search\" action=\"/services/search\" method=\"get\" "
                "role=\"search\"><label class=\"vh\" for=\"site-q\">Search services</label>"
                "<input id=\"site-q\" name=\"q\" type=\"search\" placeholder=\"Search services\">"
                "<button type=\"submit\">Search</button></form>"
                "<nav aria-label=\"Main\"><ul>");
    nav_link(p, "/services", "services", "Services");
    if (p->user) {
        nav_link(p, "/dashboard", "dashboard", "Dashboard");
        html_raw(h, "<li><a href=\"/dashboard/notifications\"");
        if (p->nav && strcmp(p->nav, "notifications") == 0)
            html_raw(h, " aria-current=\"page\"");
        html_raw(h, ">Notifications");
        if (p->unread > 0)
            html_printf(h, " <span class=\"badge\">%lld<span class=\"vh\"> unread</span></span>",
                        p->unread);
        html_raw(h, "</a></li><li class=\"who\">");
        html_text(h, p->user->name);
        html_raw(h, " <span class=\"muted\">@");
        html_text(h, p->user->username);
        html_raw(h, "</span></li><li><form method=\"post\" action=\"/auth/sign-out\">"
                    "<button type=\"submit\" class=\"link\">Sign out</button></form></li>");
    } else {
        nav_link(p, "/auth/sign-in", "sign-in", "Sign in");
        html_raw(h, "<li><a class=\"btn\" href=\"/auth/sign-up\">Join</a></li>");
    }
    html_raw(h, "</ul></nav></div></header>\n<main id=\"main\" class=\"wrap\">\n");
}

void web_page_send(struct web_page *p, int status)
{
    html_raw(&p->h, "\n</main>\n<footer class=\"site\"><div class=\"wrap\"><p>Khedma — services "
                    "by freelancers in Morocco. Prices in Moroccan dirhams (MAD), VAT "
                    "included.</p><p><a href=\"/services\">All services</a></p></div></footer>\n"
                    "</body>\n</html>\n");
    size_t len = 0;
    char *body = html_take(&p->h, &len);
    web_security_headers(p->c);
    p->c->resp->status = status;
    response_body(p->c->resp, body, len);
    free(body);
}

void web_page_discard(struct web_page *p)
{
    html_free(&p->h);
}

bool web_next_ok(const char *next)
{
    return next && next[0] == '/' && next[1] != '/' && html_url_ok(next) && strlen(next) < 2048;
}

void web_redirect(struct ctx *c, const char *location)
{
    const char *to = web_next_ok(location) ? location : "/";
    response_set_header(c->resp, "Location", to);
    response_set_header(c->resp, "Content-Type", "text/plain; charset=utf-8");
    c->resp->status = 303;
    response_body(c->resp, "See Other\n", 10);
}

/* A page with a heading and one sentence, without a database lookup. */
static void simple_page(struct ctx *c, int status, const char *title, const char *message,
                        const char *extra_html)
{
    struct web_page p;
    memset(&p, 0, sizeof p);
    p.c = c;
    head(&p, title, NULL);
    html_raw(&p.h, "<meta name=\"robots\" content=\"noindex\">\n");
    web_page_body(&p);
    html_raw(&p.h, "<section class=\"notice\"><h1>");
    html_text(&p.h, title);
    html_raw(&p.h, "</h1><p>");
    html_text(&p.h, message);
    html_raw(&p.h, "</p>");
    html_raw(&p.h, extra_html);
    html_raw(&p.h, "</section>");
    web_page_send(&p, status);
}

void web_not_found(struct ctx *c)
{
    simple_page(c, 404, "Page not found",
                "There is nothing at this address: the service may have been removed or paused.",
                "<p><a class=\"btn\" href=\"/\">Go to the home page</a> "
                "<a href=\"/services\">Browse services</a></p>");
}

void web_error_page(struct ctx *c, int status, const char *message)
{
    const char *title = status == 403   ? "Not allowed"
                        : status == 400 ? "Bad request"
                        : status == 503 ? "Try again in a moment"
                        : status >= 500 ? "Something went wrong"
                                        : "Cannot do that";
    simple_page(c, status, title, message, "<p><a href=\"/\">Go to the home page</a></p>");
}

void web_service_error(struct ctx *c, const struct err *e)
{
    if (e->kind == E_NOT_FOUND) {
        web_not_found(c);
        return;
    }
    int status = errkind_http_status(e->kind);
    const char *msg = e->message[0] ? e->message : http_reason(status);
    if (e->kind == E_UNAVAILABLE)
        msg = "The service is busy right now. Please try again in a moment.";
    else if (status >= 500 && e->kind != E_BAD_GATEWAY)
        msg = "Something went wrong on our side. Please try again.";
    web_error_page(c, status, msg);
}

bool web_form(struct ctx *c, struct kv_list *form)
{
    memset(form, 0, sizeof *form);
    const struct request *r = c->req;
    const char *ct = r->content_type ? r->content_type : "";
    static const char urlenc[] = "application/x-www-form-urlencoded";
    if (strncasecmp(ct, urlenc, sizeof urlenc - 1) != 0 || !r->body || r->body_len == 0)
        return true;
    if (!utf8_valid(r->body, r->body_len) || http_parse_query(r->body, form) != 0) {
        kv_list_free(form);
        web_error_page(c, 400, "The form could not be read. Please go back and try again.");
        return false;
    }
    return true;
}

const char *web_field(const struct kv_list *form, const char *name)
{
    const char *v = kv_list_get(form, name);
    return v ? v : "";
}

bool web_post_ok(struct ctx *c)
{
    const char *origin = request_header(c->req, "origin");
    enum errkind dberr = E_OK;
    ctx_user(c, &dberr); /* the CSRF rule depends on how the request is signed in */
    bool ok = (!origin || ctx_origin_allowed(origin)) && ctx_csrf_ok(c);
    if (!ok)
        web_error_page(c, 403,
                       "This form was sent from another site, so it was refused. Please "
                       "open the page again and send it from there.");
    return ok;
}

const struct user *web_require_user(struct ctx *c)
{
    enum errkind dberr = E_OK;
    const struct user *u = ctx_user(c, &dberr);
    if (dberr != E_OK) {
        web_error_page(c, 503, "The service is busy right now. Please try again in a moment.");
        return NULL;
    }
    if (u)
        return u;
    /* /auth/sign-in?next=<path?query>, the return address percent-encoded. */
    struct html loc = {0};
    html_raw(&loc, "/auth/sign-in?next=");
    struct html next = {0};
    html_raw(&next, c->req->path);
    if (c->req->raw_query && *c->req->raw_query) {
        html_raw(&next, "?");
        html_raw(&next, c->req->raw_query);
    }
    html_query_value(&loc, next.data);
    html_free(&next);
    /* html_query_value escapes for an attribute too, but a percent-encoded value has nothing
     * left to escape: it is plain ASCII without & < > " '. */
    web_redirect(c, loc.data);
    html_free(&loc);
    return NULL;
}

static void field_messages(struct html *h, json_object *msgs)
{
    if (json_object_is_type(msgs, json_type_array)) {
        size_t n = json_object_array_length(msgs);
        for (size_t i = 0; i < n; i++) {
            if (i)
                html_raw(h, " ");
            html_text(h, json_object_get_string(json_object_array_get_idx(msgs, i)));
        }
    } else {
        html_text(h, json_object_get_string(msgs));
    }
}

void web_field_error(struct html *h, const struct err *e, const char *field, const char *id)
{
    json_object *msgs = NULL;
    if (!e || !e->fields || !json_object_object_get_ex(e->fields, field, &msgs))
        return;
    html_raw(h, "<p class=\"field-error\" id=\"");
    html_attr(h, id);
    html_raw(h, "-error\">");
    field_messages(h, msgs);
    html_raw(h, "</p>");
}

void web_form_errors(struct html *h, const struct err *e)
{
    if (!e || e->kind == E_OK)
        return;
    html_raw(h, "<div class=\"form-errors\" role=\"alert\"><p>");
    if (e->kind == E_UNAVAILABLE)
        html_text(h, "The service is busy right now. Please try again in a moment.");
    else if (e->message[0])
        html_text(h, e->message);
    else
        html_text(h, "Please check the fields marked below.");
    html_raw(h, "</p></div>");
}

void web_price(struct html *h, const char *amount, const char *currency)
{
    const char *a = amount && *amount ? amount : "0";
    const char *dot = strchr(a, '.');
    size_t int_len = dot ? (size_t)(dot - a) : strlen(a);
    bool digits = int_len > 0;
    for (size_t i = 0; i < int_len; i++)
        digits = digits && a[i] >= '0' && a[i] <= '9';
    if (!digits) {
        html_text(h, a);
    } else {
        for (size_t i = 0; i < int_len; i++) {
            if (i > 0 && (int_len - i) % 3 == 0)
                html_raw(h, ",");
            html_raw_n(h, a + i, 1);
        }
        if (dot) {
            /* Two decimals, as prices are written: "1250.5" is 1,250.50; whole amounts have none.
             */
            char frac[3] = {dot[1] ? dot[1] : '0', dot[1] && dot[2] ? dot[2] : '0', 0};
            if (!(frac[0] == '0' && frac[1] == '0')) {
                html_raw(h, ".");
                html_text(h, frac);
            }
        }
    }
    html_raw(h, " ");
    html_text(h, currency && *currency ? currency : "MAD");
}
