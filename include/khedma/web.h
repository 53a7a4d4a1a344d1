/*
 * web.h - what every HTML page of the storefront shares (docs/web.md): the page shell (head,
 * site header with the signed-in user and unread notifications, footer), the security headers,
 * redirects after a form POST, the HTML 404 and error pages, form bodies, the sign-in gate that
 * sends visitors to /auth/sign-in and back, the CSRF rule for forms, and the display of errors
 * next to the field they concern.
 *
 * A page handler is a route handler (router.h) like the REST ones, and calls the same services.
 */
#ifndef KHEDMA_WEB_H
#define KHEDMA_WEB_H

#include <stdbool.h>

#include "khedma/ctx.h"
#include "khedma/errors.h"
#include "khedma/html.h"
#include "khedma/kv_list.h"

struct web_page {
    struct ctx *c;
    struct html h;
    const struct user *user; /* the signed-in viewer, or NULL */
    long long unread;        /* the viewer's unread notifications */
    const char *nav;         /* which nav entry is current: "home", "services", "dashboard", ... */
};

/* Start a page: looks up the viewer (and their unread count), writes the doctype and the head up
 * to and including the title, meta description, viewport, stylesheet and deferred script. The
 * caller may then add head elements (Open Graph, JSON-LD, canonical link) to p->h, and must call
 * web_page_body. title and description are escaped here. Returns false, with an error page
 * already answered, when the database cannot be reached. */
bool web_page_begin(struct web_page *p, struct ctx *c, const char *title, const char *description);
/* Close the head, write the site header (logo, search box, nav, the viewer or the sign-in and
 * sign-up links) and open <main>. */
void web_page_body(struct web_page *p);
/* Close <main>, write the footer, and send the page with this status (200, 404, 422, ...). */
void web_page_send(struct web_page *p, int status);
/* Drop a page that will not be sent (an error was answered instead). */
void web_page_discard(struct web_page *p);

/* The headers every HTML answer carries: Content-Type, Content-Security-Policy,
 * X-Content-Type-Options, Referrer-Policy, X-Frame-Options. */
void web_security_headers(struct ctx *c);
/* 303 See Other to a path on this site (anything else goes to "/"). */
void web_redirect(struct ctx *c, const char *location);
/* The HTML 404 page. */
void web_not_found(struct ctx *c);
/* An HTML error page: a status (403, 500, 503...) and a sentence for a person. */
void web_error_page(struct ctx *c, int status, const char *message);
/* The page for a failed service call when no form is there to show it: 404 for E_NOT_FOUND,
 * 403, 503 with "try again" for E_UNAVAILABLE, and so on, using e->message. */
void web_service_error(struct ctx *c, const struct err *e);

/* The body of an application/x-www-form-urlencoded POST into form (empty for another type).
 * Returns false, with a 400 page answered, when the body is malformed or not UTF-8. */
bool web_form(struct ctx *c, struct kv_list *form);
/* A form field's value, or "" when absent. */
const char *web_field(const struct kv_list *form, const char *name);

/* The CSRF rule for a form POST: the request's Origin (which browsers send with every POST) must
 * be allowed (ctx.c) when present, and a cookie session needs it. Returns false with a 403 page
 * answered otherwise. */
bool web_post_ok(struct ctx *c);
/* The signed-in viewer; when there is none, answers a redirect to /auth/sign-in?next=<this
 * request's path and query> and returns NULL (an error page when the database is down). */
const struct user *web_require_user(struct ctx *c);
/* True when next is a safe place to return to after signing in: a path on this site. */
bool web_next_ok(const char *next);

/* The messages of e for one field, as <p class="field-error" id="<id>-error">…</p> (nothing when
 * there are none). Inputs point at it with aria-describedby="<id>-error". */
void web_field_error(struct html *h, const struct err *e, const char *field, const char *id);
/* e's message (and the messages of fields not shown next to an input) in a role="alert" box at
 * the top of a form; nothing when e is E_OK. */
void web_form_errors(struct html *h, const struct err *e);
/* A price as shown to people: "1,250.50 MAD" from a decimal string such as "1250.5". */
void web_price(struct html *h, const char *amount, const char *currency);

#endif
