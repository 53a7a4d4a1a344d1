/*
 * web_auth.c - the account pages (include/khedma/web_auth.h): /auth/sign-up, /auth/sign-in and
 * POST /auth/sign-out. The forms are turned into the JSON the accounts service takes, so every
 * rule (field checks, the login throttle, sessions) is the one the REST routes under /api/auth
 * apply.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/web_auth.h"
#include "khedma/accounts.h"
#include "khedma/web.h"

/* Where to go after signing in or up: the form's (or the query's) next when it is a path on this
 * site, else the dashboard. */
static const char *next_of(const char *next)
{
    return web_next_ok(next) ? next : "/dashboard";
}

/* One labelled input with its hint and its error, pointed at by aria-describedby. */
static void input(struct html *h, const struct err *e, const char *name, const char *label,
                  const char *type, const char *value, const char *autocomplete, const char *hint,
                  bool required)
{
    bool bad = e && e->fields && json_object_object_get_ex(e->fields, name, NULL);
    html_raw(h, "<div class=\"field\"><label for=\"f-");
    html_attr(h, name);
    html_raw(h, "\">");
    html_text(h, label);
    html_raw(h, "</label><input id=\"f-");
    html_attr(h, name);
    html_raw(h, "\" name=\"");
    html_attr(h, name);
    html_raw(h, "\" type=\"");
    html_attr(h, type);
    html_raw(h, "\" autocomplete=\"");
    html_attr(h, autocomplete);
    html_raw(h, "\"");
    if (value && *value) {
        html_raw(h, " value=\"");
        html_attr(h, value);
        html_raw(h, "\"");
    }
    if (required)
        html_raw(h, " required");
    if (bad)
        html_raw(h, " aria-invalid=\"true\"");
    if (bad || hint) {
        html_raw(h, " aria-describedby=\"");
        if (hint) {
            html_raw(h, "f-");
            html_attr(h, name);
            html_raw(h, "-hint");
        }
        if (bad) {
            html_raw(h, hint ? " f-" : "f-");
            html_attr(h, name);
            html_raw(h, "-error");
        }
        html_raw(h, "\"");
    }
    html_raw(h, ">");
    if (hint) {
        html_raw(h, "<p class=\"hint\" id=\"f-");
        html_attr(h, name);
        html_raw(h, "-hint\">");
        html_text(h, hint);
        html_raw(h, "</p>");
    }
    char id[64];
    snprintf(id, sizeof id, "f-%s", name);
    web_field_error(h, e, name, id);
    html_raw(h, "</div>");
}

/* The top-of-form message: the service's when it is a sentence, a plain one for field errors. */
static void form_errors(struct html *h, const struct err *e, const char *override)
{
    if (!e || e->kind == E_OK)
        return;
    struct err shown = {.kind = e->kind};
    const char *msg = override ? override
                      : e->fields && (e->kind == E_UNPROCESSABLE || e->kind == E_CONFLICT)
                          ? "Please correct the fields marked below."
                          : e->message;
    snprintf(shown.message, sizeof shown.message, "%s", msg);
    web_form_errors(h, &shown);
}

static void hidden_next(struct html *h, const char *next)
{
    if (!web_next_ok(next))
        return;
    html_raw(h, "<input type=\"hidden\" name=\"next\" value=\"");
    html_attr(h, next);
    html_raw(h, "\">");
}

/* The other form's link, carrying the return address along. */
static void other_link(struct html *h, const char *path, const char *next, const char *text)
{
    html_raw(h, "<p>");
    html_raw(h, "<a href=\"");
    html_raw(h, path);
    if (web_next_ok(next)) {
        html_raw(h, "?next=");
        html_query_value(h, next);
    }
    html_raw(h, "\">");
    html_text(h, text);
    html_raw(h, "</a></p>");
}

static void sign_up_page(struct ctx *c, const struct kv_list *form, const char *next,
                         const struct err *e, int status)
{
    struct web_page p;
    if (!web_page_begin(&p, c, "Create your account", "Join Khedma to order services."))
        return;
    html_raw(&p.h, "<meta name=\"robots\" content=\"noindex\">\n");
    p.nav = "sign-up";
    web_page_body(&p);
    struct html *h = &p.h;
    html_raw(h, "<h1>Create your account</h1>"
                "<form class=\"stack card\" method=\"post\" action=\"/auth/sign-up\" novalidate>");
    form_errors(h, e, NULL);
    hidden_next(h, next);
    input(h, e, "name", "Full name", "text", web_field(form, "name"), "name", NULL, true);
    input(h, e, "username", "Username", "text", web_field(form, "username"), "username",
          "3 to 30 characters: a-z, 0-9, _ and -. Your profile lives at /your-username.", true);
    input(h, e, "email", "Email", "email", web_field(form, "email"), "email", NULL, true);
    input(h, e, "password", "Password", "password", NULL, "new-password", "At least 8 characters.",
          true);
    input(h, e, "phone", "Phone number (optional)", "tel", web_field(form, "phone"), "tel",
          "Needed to order a service (checkout asks the payment gateway for it). You can add it "
          "later in your settings.",
          false);
    html_raw(h, "<div><button type=\"submit\">Create account</button></div></form>");
    other_link(h, "/auth/sign-in", next, "Already have an account? Sign in");
    web_page_send(&p, status);
}

static void sign_in_page(struct ctx *c, const struct kv_list *form, const char *next,
                         const struct err *e, const char *message, int status)
{
    struct web_page p;
    if (!web_page_begin(&p, c, "Sign in", "Sign in to Khedma."))
        return;
    html_raw(&p.h, "<meta name=\"robots\" content=\"noindex\">\n");
    p.nav = "sign-in";
    web_page_body(&p);
    struct html *h = &p.h;
    html_raw(h, "<h1>Sign in</h1>"
                "<form class=\"stack card\" method=\"post\" action=\"/auth/sign-in\" novalidate>");
    form_errors(h, e, message);
    hidden_next(h, next);
    input(h, e, "email", "Email", "email", web_field(form, "email"), "email", NULL, true);
    input(h, e, "password", "Password", "password", NULL, "current-password", NULL, true);
    html_raw(h, "<div><button type=\"submit\">Sign in</button></div></form>");
    other_link(h, "/auth/sign-up", next, "New to Khedma? Create an account");
    web_page_send(&p, status);
}

void web_auth_sign_up_get(struct ctx *c)
{
    struct kv_list none = {0};
    sign_up_page(c, &none, request_query(c->req, "next"), NULL, 200);
}

void web_auth_sign_in_get(struct ctx *c)
{
    struct kv_list none = {0};
    sign_in_page(c, &none, request_query(c->req, "next"), NULL, NULL, 200);
}

/* Signed in: the cookie set, and 303 to where the visitor was going. */
static void signed_in(struct ctx *c, struct user *u, char *token, const char *next)
{
    ctx_set_session_cookie(c, token);
    memset(token, 0, TOKEN_LEN + 1);
    accounts_user_free(u);
    web_redirect(c, next_of(next));
}

static void add_field(json_object *in, const struct kv_list *form, const char *name)
{
    const char *v = kv_list_get(form, name);
    if (v)
        json_object_object_add(in, name, json_object_new_string(v));
}

void web_auth_sign_up_post(struct ctx *c)
{
    struct kv_list form;
    if (!web_post_ok(c) || !web_form(c, &form))
        return;
    json_object *in = json_object_new_object();
    add_field(in, &form, "name");
    add_field(in, &form, "username");
    add_field(in, &form, "email");
    add_field(in, &form, "password");
    /* The phone number is optional: an empty box means none, not an invalid number. */
    if (*web_field(&form, "phone"))
        add_field(in, &form, "phone");
    const char *next = web_field(&form, "next");
    struct user u;
    memset(&u, 0, sizeof u);
    char token[TOKEN_LEN + 1] = {0};
    struct err e = {0};
    if (accounts_signup(c->db, in, &u, token, &e) == E_OK) {
        signed_in(c, &u, token, next);
    } else {
        int status = e.kind == E_CONFLICT || e.kind == E_UNPROCESSABLE || e.kind == E_BAD_REQUEST
                         ? 422
                         : errkind_http_status(e.kind);
        sign_up_page(c, &form, next, &e, status);
    }
    err_clear(&e);
    json_object_put(in);
    kv_list_free(&form);
}

/* The throttle's answer in words, with the Retry-After header the API sends too. */
static void too_many(struct ctx *c, const struct kv_list *form, const char *next, struct err *e,
                     long retry_after_s)
{
    long minutes = retry_after_s > 0 ? (retry_after_s + 59) / 60 : 1;
    char msg[200];
    snprintf(msg, sizeof msg,
             "Too many failed sign-in attempts. Please wait %ld minute%s and try again.", minutes,
             minutes == 1 ? "" : "s");
    sign_in_page(c, form, next, e, msg, 429);
    if (retry_after_s > 0) {
        char value[24];
        snprintf(value, sizeof value, "%ld", retry_after_s);
        response_set_header(c->resp, "Retry-After", value);
    }
}

void web_auth_sign_in_post(struct ctx *c)
{
    struct kv_list form;
    if (!web_post_ok(c) || !web_form(c, &form))
        return;
    json_object *in = json_object_new_object();
    add_field(in, &form, "email");
    add_field(in, &form, "password");
    const char *next = web_field(&form, "next");
    struct user u;
    memset(&u, 0, sizeof u);
    char token[TOKEN_LEN + 1] = {0};
    struct err e = {0};
    long retry_after_s = 0;
    enum errkind k = accounts_login(c->db, in, c->req->remote_addr, &u, token, &retry_after_s, &e);
    if (k == E_OK)
        signed_in(c, &u, token, next);
    else if (k == E_TOO_MANY)
        too_many(c, &form, next, &e, retry_after_s);
    else if (k == E_UNAUTHORIZED)
        sign_in_page(c, &form, next, &e, "The email or the password is not right.", 401);
    else if (k == E_UNPROCESSABLE || k == E_BAD_REQUEST)
        sign_in_page(c, &form, next, &e, "Please enter your email and your password.", 422);
    else
        sign_in_page(c, &form, next, &e, NULL, errkind_http_status(k));
    err_clear(&e);
    json_object_put(in);
    kv_list_free(&form);
}

void web_auth_sign_out(struct ctx *c)
{
    if (!web_post_ok(c))
        return;
    enum errkind dberr = E_OK;
    const struct user *u = ctx_user(c, &dberr);
    struct err e = {0};
    /* Only a cookie session is ended here: a bearer token is the API client's to revoke. */
    if (u && c->by_cookie && accounts_logout(c->db, c->token_hash, &e) != E_OK) {
        web_service_error(c, &e);
        err_clear(&e);
        return;
    }
    ctx_set_session_cookie(c, NULL);
    web_redirect(c, "/");
}
