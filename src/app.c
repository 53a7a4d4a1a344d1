/*
 * app.c - the route table and the per-request dispatch: match the route (404 and 405 in the REST
 * envelope), run the handler, and make sure a response always leaves.
 *
 * Everything under /api/trpc is answered in tRPC's shape, whatever goes wrong: a tRPC client
 * cannot read a REST envelope. Requests whose target is too long or whose path is not canonical
 * (trailing or doubled slash, dot segment, encoded slash) are refused before routing.
 */
#include <stdio.h>
#include <string.h>

#include "khedma/app.h"
#include "khedma/rest.h"

static const struct route routes[] = {
    {"GET", "/healthz", handle_healthz},
    {"POST", "/api/auth/signup", handle_auth_signup},
    {"POST", "/api/auth/login", handle_auth_login},
    {"POST", "/api/auth/logout", handle_auth_logout},
    {"GET", "/api/auth/me", handle_auth_me},
    {"PATCH", "/api/users/me", handle_users_me_patch},
    {"GET", "/api/categories", handle_categories},
    {"GET", "/api/gigs", handle_gigs_search},
    {"GET", "/api/gigs/{username}/{slug}", handle_gig_details},
    {"GET", "/api/users/{username}/gigs", handle_user_gigs},
    {"POST", "/api/orders/checkout", handle_orders_checkout},
    {"POST", "/api/orders", handle_orders_create},
    {"POST", "/api/orders/{id}/confirm-transfer", handle_orders_confirm_transfer},
    {"GET", "/api/orders", handle_orders_list},
    {"GET", "/api/orders/{id}", handle_order_get},
    {"POST", "/api/payments/youcanpay/webhook", handle_youcanpay_webhook},
    {"POST", "/api/payments/paytabs/callback", handle_paytabs_callback},
    {"POST", "/api/orders/{id}/deliver", handle_order_deliver},
    {"POST", "/api/orders/{id}/accept", handle_order_accept},
    {"POST", "/api/orders/{id}/revision", handle_order_revision},
    {"POST", "/api/orders/{id}/cancel", handle_order_cancel},
    {"GET", "/api/orders/{id}/events", handle_order_events},
    {"POST", "/api/orders/{id}/review", handle_order_review},
    {"GET", "/api/notifications", handle_notifications_list},
    {"POST", "/api/notifications/read-all", handle_notifications_read_all},
    {"POST", "/api/notifications/{id}/read", handle_notification_read},
    {"*", "/api/trpc/{path*}", handle_trpc},
};

const struct route *app_routes(size_t *count)
{
    *count = sizeof routes / sizeof routes[0];
    return routes;
}

static bool is_trpc_path(const char *path)
{
    static const char prefix[] = "/api/trpc";
    size_t n = sizeof prefix - 1;
    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void app_refuse(struct ctx *c, int status, enum errkind kind, const char *message)
{
    const char *path = c->req->path;
    if (path && is_trpc_path(path))
        handle_trpc_refused(c, kind, message);
    else
        rest_fail(c, status, message, NULL);
}

/* False, with the answer written, when the request cannot be routed as it was spelled. */
static bool target_acceptable(struct ctx *c)
{
    const struct request *r = c->req;
    bool trpc = is_trpc_path(r->path);
    if (r->target_len > MAX_TARGET) {
        char msg[80];
        snprintf(msg, sizeof msg, "Request URI too long (limit %d bytes)", MAX_TARGET);
        if (trpc)
            handle_trpc_refused(c, E_TOO_LARGE, msg);
        else
            rest_fail(c, 414, msg, NULL);
        return false;
    }
    if (r->path_encoded_slash || !router_path_canonical(r->path)) {
        if (trpc)
            handle_trpc_refused(c, E_NOT_FOUND, "Not found");
        else
            rest_fail(c, 404, "Not found", NULL);
        return false;
    }
    return true;
}

void app_handle(struct ctx *c)
{
    if (!target_acceptable(c))
        return;
    enum route_result rr = router_match(routes, sizeof(routes) / sizeof(routes[0]), c->req->method,
                                        c->req->path, &c->match);
    switch (rr) {
    case ROUTE_NOT_FOUND:
        rest_fail(c, 404, "Not found", NULL);
        break;
    case ROUTE_METHOD_NOT_ALLOWED:
        rest_fail(c, 405, "Method not allowed", NULL);
        response_header(c->resp, "Allow", c->match.allowed);
        break;
    case ROUTE_FOUND:
        c->match.route->handler(c);
        break;
    }
    if (c->resp->status == 0)
        rest_fail(c, 500, "Internal server error", NULL);
}
